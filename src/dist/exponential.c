/* Exponential(rate). */
#include "dist/internal.h"
#include "random/internal.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  return genc__check_param(ctx, d, 0, GENC__POS);
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  x = genc__as_float(ctx, x);
  genc_array *r = d->p[0];
  genc_array *t = genc_sub(ctx, genc_log(ctx, r), genc_mul(ctx, r, x));
  return genc__finish(ctx, t, genc_ge(ctx, x, 0.0));
}

static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *e = genc__draw(ctx, key, d, 1, n, GENC_LAW_EXPONENTIAL);
  return genc_div(ctx, e, d->p[0]);
}

/* ---- scalar fast path: the operations of logpdf and rsample, in their order ---- */

static genc_status check_scalar(genc_ctx *ctx, const genc_dist *d, const double *p) {
  return genc__check_value(ctx, d, 0, p[0], GENC__POS);
}

static bool sample_scalar(genc_key key, const double *p, double *v) {
  *v = genc__sample_scalar(key, GENC_LAW_EXPONENTIAL) / p[0];
  return true;
}

static double logpdf_scalar(const double *p, double x) {
  double t = log(p[0]) - p[0] * x;
  return x >= 0.0 ? t : -INFINITY;
}

static const genc_dist_type exponential_type = {.name = "exponential",
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
  return genc__dist(&exponential_type, rate, NULL, NULL, NULL);
}
