/* Normal(mu, sigma) and the broadcasted normal (the same law, elementwise over
 * the broadcast shape of its parameters, scored as one address). */
#include "backend/specfun.h"
#include "dist/internal.h"
#include "random/internal.h"

/* -z^2/2 - log sigma - log(2 pi)/2, z = (x - mu) / sigma: one fused pass */
genc_array *genc__normal_terms(genc_ctx *ctx, genc_array *x, genc_array *mu, genc_array *sigma) {
  return genc__normal_logpdf(ctx, genc__as_float(ctx, x), mu, sigma);
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  return genc__sum_event(ctx, genc__normal_terms(ctx, x, d->p[0], d->p[1]));
}

static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *z = genc__draw(ctx, key, d, 2, n, GENC_LAW_NORMAL);
  return genc_add(ctx, d->p[0], genc_mul(ctx, d->p[1], z));
}

/* ---- scalar fast path: the operations of logpdf and rsample, in their order ---- */

static bool sample_scalar(genc_key key, const double *p, double *v) {
  *v = p[0] + p[1] * genc__sample_scalar(key, GENC_LAW_NORMAL);
  return true;
}

/* the fused kernel's formula, so both paths give the same bits */
static double logpdf_scalar(const double *p, double x) {
  return genc_sf_normal_lp(x, p[0], p[1], 1.0 / p[1], log(p[1]));
}

/* genc_normal is scalar, as in Gen.jl: a parameter with dimensions (batched
 * 0-d ones are fine) is a mistake for the broadcasted normal. */
static genc_status check_normal_dims(genc_ctx *ctx, const genc_dist *d) {
  for (int i = 0; i < 2; i++)
    if (d->p[i] && genc_array_ndim(d->p[i]) != 0)
      return genc_ctx_fail(ctx, GENC_ERR_SHAPE,
                           "normal: parameter %s has %d dimension(s), but genc_normal is a scalar "
                           "distribution; use genc_broadcasted_normal for elementwise normals over "
                           "arrays",
                           d->type->param_names[i], genc_array_ndim(d->p[i]));
  return GENC_OK;
}

/* The normal's log density is NaN or -inf where mu is not finite or sigma is
 * not positive and finite (a NaN or infinite z, or log sigma NaN or +inf), so
 * the types declare check_shapes: under a capture a finite score stands in
 * for genc__check_loc_scale. */
static genc_status check_normal(genc_ctx *ctx, const genc_dist *d) {
  genc_status st = check_normal_dims(ctx, d);
  return st ? st : genc__check_loc_scale(ctx, d);
}

static const genc_dist_type normal_type = {.name = "normal",
                                           .support = {GENC_SUPPORT_REAL},
                                           .nparams = 2,
                                           .param_names = {"mu", "sigma"},
                                           .check = check_normal,
                                           .sample = rsample,
                                           .logpdf = logpdf,
                                           .rsample = rsample,
                                           .check_scalar = genc__check_loc_scale_scalar,
                                           .sample_scalar = sample_scalar,
                                           .logpdf_scalar = logpdf_scalar,
                                           .scalar_dtype = GENC_F64,
                                           .check_shapes = check_normal_dims};
/* the fast path only runs with 0-d parameters, where the two types agree */
static const genc_dist_type bnormal_type = {.name = "broadcasted_normal",
                                            .support = {GENC_SUPPORT_REAL},
                                            .nparams = 2,
                                            .param_names = {"mu", "sigma"},
                                            .check = genc__check_loc_scale,
                                            .sample = rsample,
                                            .logpdf = logpdf,
                                            .rsample = rsample,
                                            .check_scalar = genc__check_loc_scale_scalar,
                                            .sample_scalar = sample_scalar,
                                            .logpdf_scalar = logpdf_scalar,
                                            .scalar_dtype = GENC_F64,
                                            .check_shapes = genc__check_no_shapes};

genc_dist(genc_normal)(genc_ctx *ctx, genc_array *mu, genc_array *sigma) {
  (void)ctx;
  return genc__dist(&normal_type, mu, sigma, NULL, NULL);
}

genc_dist(genc_broadcasted_normal)(genc_ctx *ctx, genc_array *mu, genc_array *sigma) {
  (void)ctx;
  return genc__dist(&bnormal_type, mu, sigma, NULL, NULL);
}
