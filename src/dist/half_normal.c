/* Half-normal(sigma) = |Normal(0, sigma)| on x >= 0. */
#include "backend/specfun.h"
#include "dist/internal.h"
#include "random/internal.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  return genc_dist_check_param(ctx, d, 0, GENC_PARAM_POSITIVE);
}

/* log 2 + log N(x; 0, sigma) for x >= 0 (the normal's fused kernel);
 * "not below 0" lets a NaN value reach t, which is NaN there (the NaN rule) */
static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  x = genc__as_float(ctx, x);
  genc_array *t = genc__normal_terms(ctx, x, genc_scalar_weak(ctx, 0.0), d->p[0]);
  return genc_dist_sum_support(ctx, genc_add(ctx, t, M_LN2),
                               genc_logical_not(ctx, genc_lt(ctx, x, 0.0)));
}

static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *z = genc_dist_draw(ctx, key, d, 1, n, GENC_DIST_LAW_NORMAL);
  return genc_mul(ctx, d->p[0], genc_abs(ctx, z));
}

/* ---- scalar fast path: the operations of logpdf and rsample, in their order ---- */

static genc_status check_scalar(genc_ctx *ctx, const genc_dist *d, const double *p) {
  return genc_dist_check_value(ctx, d, 0, p[0], GENC_PARAM_POSITIVE);
}

static bool sample_scalar(genc_key key, const double *p, double *v) {
  *v = p[0] * fabs(genc__sample_scalar(key, GENC_LAW_NORMAL));
  return true;
}

static double logpdf_scalar(const double *p, double x) {
  double t = genc_sf_normal_lp(x, 0.0, p[0], 1.0 / p[0], log(p[0])) + M_LN2;
  return !(x < 0.0) ? t : -INFINITY; /* a NaN value scores NaN (the NaN rule) */
}

static const genc_dist_type half_normal_type = {.name = "half_normal",
                                                .support = {GENC_SUPPORT_NONNEGATIVE},
                                                .nparams = 1,
                                                .param_names = {"sigma"},
                                                .check = check,
                                                .sample = rsample,
                                                .logpdf = logpdf,
                                                .rsample = rsample,
                                                .check_scalar = check_scalar,
                                                .sample_scalar = sample_scalar,
                                                .logpdf_scalar = logpdf_scalar,
                                                .scalar_dtype = GENC_F64};

genc_dist(genc_half_normal)(genc_ctx *ctx, genc_array *sigma) {
  (void)ctx;
  return genc__dist(&half_normal_type, sigma, NULL, NULL, NULL);
}
