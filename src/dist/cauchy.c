/* Cauchy(loc, scale). */
#include "dist/internal.h"
#include "random/internal.h"

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  genc_array *s = d->p[1];
  genc_array *z = genc_div(ctx, genc_sub(ctx, genc__as_float(ctx, x), d->p[0]), s);
  genc_array *t = genc_add(ctx, genc_log1p(ctx, genc_square(ctx, z)), genc_log(ctx, s));
  return genc__sum_event(ctx, genc_neg(ctx, genc_add(ctx, t, GENC_LOG_PI)));
}

static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *u = genc__draw(ctx, key, d, 2, n, GENC_LAW_UNIFORM);
  genc_array *c = genc_tan(ctx, genc_mul(ctx, genc_sub(ctx, u, 0.5), M_PI));
  return genc_add(ctx, d->p[0], genc_mul(ctx, d->p[1], c));
}

/* ---- scalar fast path: the operations of logpdf and rsample, in their order ---- */

static bool sample_scalar(genc_key key, const double *p, double *v) {
  double u = genc__sample_scalar(key, GENC_LAW_UNIFORM);
  *v = p[0] + p[1] * tan((u - 0.5) * M_PI);
  return true;
}

static double logpdf_scalar(const double *p, double x) {
  double z = (x - p[0]) / p[1];
  return -((log1p(z * z) + log(p[1])) + GENC_LOG_PI);
}

/* check_shapes: a scale of 0 gives inf - inf (or NaN), a negative or NaN one
 * log NaN, +inf -inf; an infinite or NaN loc an infinite or NaN z: the score
 * is never finite with bad parameters, so under a capture a finite score stands
 * in for genc__check_loc_scale. */
static const genc_dist_type cauchy_type = {.name = "cauchy",
                                           .support = {GENC_SUPPORT_REAL},
                                           .nparams = 2,
                                           .param_names = {"loc", "scale"},
                                           .check = genc__check_loc_scale,
                                           .sample = rsample,
                                           .logpdf = logpdf,
                                           .rsample = rsample,
                                           .check_scalar = genc__check_loc_scale_scalar,
                                           .sample_scalar = sample_scalar,
                                           .logpdf_scalar = logpdf_scalar,
                                           .scalar_dtype = GENC_F64,
                                           .check_shapes = genc__check_no_shapes};

genc_dist(genc_cauchy)(genc_ctx *ctx, genc_array *loc, genc_array *scale) {
  (void)ctx;
  return genc__dist(&cauchy_type, loc, scale, NULL, NULL);
}
