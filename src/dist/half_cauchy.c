/* Half-Cauchy(scale) = |Cauchy(0, scale)| on x >= 0. */
#include "dist/internal.h"
#include "random/internal.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  return genc_dist_check_param(ctx, d, 0, GENC_PARAM_POSITIVE);
}

/* log(2 / pi) - (log1p(z^2) + log scale), z = x / scale, for x >= 0;
 * "not below 0" lets a NaN value reach t, which is NaN there (the NaN rule) */
static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  x = genc__as_float(ctx, x);
  genc_array *s = d->p[0];
  genc_array *z = genc_div(ctx, x, s);
  genc_array *t = genc_add(ctx, genc_log1p(ctx, genc_square(ctx, z)), genc_log(ctx, s));
  t = genc_sub(ctx, M_LN2 - GENC_LOG_PI, t);
  return genc_dist_sum_support(ctx, t, genc_logical_not(ctx, genc_lt(ctx, x, 0.0)));
}

/* scale |tan(pi (u - 1/2))|: the Cauchy sampler, folded */
static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *u = genc_dist_draw(ctx, key, d, 1, n, GENC_DIST_LAW_UNIFORM);
  genc_array *c = genc_tan(ctx, genc_mul(ctx, genc_sub(ctx, u, 0.5), M_PI));
  return genc_mul(ctx, d->p[0], genc_abs(ctx, c));
}

/* ---- scalar fast path: the operations of logpdf and rsample, in their order ---- */

static genc_status check_scalar(genc_ctx *ctx, const genc_dist *d, const double *p) {
  return genc_dist_check_value(ctx, d, 0, p[0], GENC_PARAM_POSITIVE);
}

static bool sample_scalar(genc_key key, const double *p, double *v) {
  double u = genc__sample_scalar(key, GENC_LAW_UNIFORM);
  *v = p[0] * fabs(tan((u - 0.5) * M_PI));
  return true;
}

static double logpdf_scalar(const double *p, double x) {
  double z = x / p[0];
  double t = (M_LN2 - GENC_LOG_PI) - (log1p(z * z) + log(p[0]));
  return !(x < 0.0) ? t : -INFINITY; /* a NaN value scores NaN (the NaN rule) */
}

static const genc_dist_type half_cauchy_type = {.name = "half_cauchy",
                                                .support = {GENC_SUPPORT_NONNEGATIVE},
                                                .nparams = 1,
                                                .param_names = {"scale"},
                                                .check = check,
                                                .sample = rsample,
                                                .logpdf = logpdf,
                                                .rsample = rsample,
                                                .check_scalar = check_scalar,
                                                .sample_scalar = sample_scalar,
                                                .logpdf_scalar = logpdf_scalar,
                                                .scalar_dtype = GENC_F64};

genc_dist(genc_half_cauchy)(genc_ctx *ctx, genc_array *scale) {
  (void)ctx;
  return genc__dist(&half_cauchy_type, scale, NULL, NULL, NULL);
}
