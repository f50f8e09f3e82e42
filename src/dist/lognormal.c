/* Log-normal: log x ~ Normal(mu, sigma). */
#include "backend/specfun.h"
#include "dist/edges.h"
#include "random/internal.h"

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  x = genc__as_float(ctx, x);
  genc_array *ok = genc_gt(ctx, x, 0.0), *xs = genc_where(ctx, ok, x, 1.0);
  genc_array *lx = genc_log(ctx, xs);
  genc_array *t = genc_sub(ctx, genc__normal_terms(ctx, lx, d->p[0], d->p[1]), lx);
  return genc__finish_nan(ctx, t, ok, x);
}

static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *z = genc__draw(ctx, key, d, 2, n, GENC_LAW_NORMAL);
  return genc_exp(ctx, genc_add(ctx, d->p[0], genc_mul(ctx, d->p[1], z)));
}

/* ---- scalar fast path: the operations of logpdf and rsample, in their order ---- */

static bool sample_scalar(genc_key key, const double *p, double *v) {
  *v = exp(p[0] + p[1] * genc__sample_scalar(key, GENC_LAW_NORMAL));
  return true;
}

/* genc__normal_terms of log x, minus log x */
static double logpdf_scalar(const double *p, double x) {
  bool ok = x > 0.0;
  double lx = log(ok ? x : 1.0);
  if (!ok) return x != x ? x : -INFINITY; /* NaN scores NaN */
  return genc_sf_normal_lp(lx, p[0], p[1], 1.0 / p[1], log(p[1])) - lx;
}

/* check_shapes: the score is -inf off the support, and on it the normal
 * density of log x, NaN or -inf for a mu that is not finite or a sigma that
 * is not positive and finite (genc_sf_normal_lp), so under a capture a finite
 * score stands in for genc__check_loc_scale. */
static const genc_dist_type lognormal_type = {.name = "lognormal",
                                              .support = {GENC_SUPPORT_POSITIVE},
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

genc_dist(genc_lognormal)(genc_ctx *ctx, genc_array *mu, genc_array *sigma) {
  (void)ctx;
  return genc__dist(&lognormal_type, mu, sigma, NULL, NULL);
}
