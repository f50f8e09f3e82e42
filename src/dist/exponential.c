/* Exponential(rate). Written on the public helpers of genc/dist.h only, as a
 * user-defined type would be (and as a test that they suffice). */
#include <math.h>

#include "genc/dist.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  return genc_dist_check_param(ctx, d, 0, GENC_PARAM_POSITIVE);
}

/* integer and bool values are scored in f64 */
static genc_array *as_float(genc_ctx *ctx, genc_array *x) {
  genc_dtype dt = genc_array_dtype(x);
  return dt == GENC_F64 || dt == GENC_F32 ? x : genc_astype(ctx, x, GENC_F64);
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  x = as_float(ctx, x);
  genc_array *r = d->p[0];
  genc_array *t = genc_sub(ctx, genc_log(ctx, r), genc_mul(ctx, r, x));
  /* "not below 0" lets a NaN value through to t, which is NaN there (the NaN rule) */
  return genc_dist_sum_support(ctx, t, genc_logical_not(ctx, genc_lt(ctx, x, 0.0)));
}

static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *e = genc_dist_draw(ctx, key, d, 1, n, GENC_DIST_LAW_EXPONENTIAL);
  return genc_div(ctx, e, d->p[0]);
}

/* ---- scalar fast path: the operations of logpdf and rsample, in their order ---- */

static genc_status check_scalar(genc_ctx *ctx, const genc_dist *d, const double *p) {
  return genc_dist_check_value(ctx, d, 0, p[0], GENC_PARAM_POSITIVE);
}

static bool sample_scalar(genc_key key, const double *p, double *v) {
  *v = genc_dist_draw_scalar(key, GENC_DIST_LAW_EXPONENTIAL) / p[0];
  return true;
}

static double logpdf_scalar(const double *p, double x) {
  double t = log(p[0]) - p[0] * x;
  return !(x < 0.0) ? t : -INFINITY; /* NaN: t is NaN */
}

static const genc_dist_type exponential_type = {.name = "exponential",
                                                .support = {GENC_SUPPORT_NONNEGATIVE},
                                                .nparams = 1,
                                                .param_names = {"rate"},
                                                .check = check,
                                                .sample = rsample,
                                                .logpdf = logpdf,
                                                .rsample = rsample,
                                                .check_scalar = check_scalar,
                                                .sample_scalar = sample_scalar,
                                                .logpdf_scalar = logpdf_scalar,
                                                .scalar_dtype = GENC_F64};

genc_dist(genc_exponential)(genc_ctx *ctx, genc_array *rate) {
  (void)ctx;
  return genc_dist_new(&exponential_type, 1, &rate);
}
