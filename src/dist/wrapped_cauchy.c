/* Wrapped Cauchy(mu, rho) on the support [-pi, pi). */
#include "dist/internal.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  genc_status st = genc_dist_check_param(ctx, d, 0, GENC_PARAM_REAL);
  if (!st) st = genc_dist_check_param(ctx, d, 1, GENC_PARAM_PROB);
  if (!st)
    st = genc_dist_check_true(ctx, d, genc_lt(ctx, d->p[1], 1.0), "parameter rho must be < 1");
  return st;
}

/*
 * log(1 - rho^2) - log(2 pi) - log(1 + rho^2 - 2 rho cos(x - mu)), with the
 * last term written (1 - rho)^2 + 4 rho sin^2((x - mu) / 2): no cancellation
 * when rho is near 1 and x near mu.
 */
static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  x = genc__as_float(ctx, x);
  genc_array *rho = d->p[1];
  genc_array *s = genc_sin(ctx, genc_mul(ctx, genc_sub(ctx, x, d->p[0]), 0.5));
  genc_array *q = genc_add(ctx, genc_square(ctx, genc_sub(ctx, 1.0, rho)),
                           genc_mul(ctx, genc_mul(ctx, rho, 4.0), genc_square(ctx, s)));
  genc_array *c = genc_add(ctx, genc_log1p(ctx, genc_neg(ctx, rho)), genc_log1p(ctx, rho));
  genc_array *t = genc_sub(ctx, genc_sub(ctx, c, genc_log(ctx, q)), GENC_LOG_2PI);
  return genc_dist_sum_support(ctx, t, genc__in_circle(ctx, x));
}

/* inverse CDF: theta = 2 atan((1 - rho) / (1 + rho) tan(pi (u - 1/2))), then
 * mu + theta wrapped; rho = 0 gives theta uniform on (-pi, pi) */
static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *u = genc_dist_draw(ctx, key, d, 2, n, GENC_DIST_LAW_UNIFORM);
  genc_array *rho = d->p[1];
  genc_array *t = genc_tan(ctx, genc_mul(ctx, genc_sub(ctx, u, 0.5), M_PI));
  genc_array *r = genc_div(ctx, genc_sub(ctx, 1.0, rho), genc_add(ctx, rho, 1.0));
  genc_array *th = genc_mul(ctx, genc_atan2(ctx, genc_mul(ctx, r, t), 1.0), 2.0);
  return genc__wrap_angle(ctx, genc_add(ctx, d->p[0], th));
}

static const genc_dist_type wrapped_cauchy_type = {.name = "wrapped_cauchy",
                                                   .support = {GENC_SUPPORT_CIRCLE},
                                                   .nparams = 2,
                                                   .param_names = {"mu", "rho"},
                                                   .check = check,
                                                   .sample = rsample,
                                                   .logpdf = logpdf,
                                                   .rsample = rsample};

genc_dist(genc_wrapped_cauchy)(genc_ctx *ctx, genc_array *mu, genc_array *rho) {
  (void)ctx;
  return genc__dist(&wrapped_cauchy_type, mu, rho, NULL, NULL);
}
