/* Gamma(shape, rate) and inverse gamma(shape, scale). */
#include "dist/edges.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  genc_status st = genc__check_param(ctx, d, 0, GENC__POS);
  return st ? st : genc__check_param(ctx, d, 1, GENC__POS);
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  x = genc__as_float(ctx, x);
  genc_array *a = d->p[0], *b = d->p[1];
  /* +inf is outside the support (its terms would be inf - inf) */
  genc_array *ok = genc_logical_and(ctx, genc_ge(ctx, x, 0.0), genc_lt(ctx, x, INFINITY));
  genc_array *xs = genc_where(ctx, ok, x, 1.0);
  genc_array *t = genc_sub(ctx, genc__xlogy(ctx, genc_sub(ctx, a, 1.0), xs), genc_mul(ctx, b, xs));
  t = genc_add(ctx, t, genc_sub(ctx, genc_mul(ctx, a, genc_log(ctx, b)), genc_lgamma(ctx, a)));
  return genc__finish_nan(ctx, t, ok, x);
}

static genc_array *sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  int ndim;
  int64_t shape[GENC_MAX_DIMS], m = genc__dist_particles(ctx, d, n);
  if (m < 0 || !genc__dist_shape(ctx, d, 2, &ndim, shape)) return NULL;
  genc_array *g = genc__gamma_draw(ctx, key, d->p[0], ndim, shape, m, genc__dist_dtype(d), false);
  /* a draw below the smallest positive number (half of them for shape 1e-3:
   * log X is about -1000 Exp(1)) is that number, not 0, whose density would be
   * +inf; one beyond the largest finite is that number */
  return genc__clamp_pos(ctx, genc_div(ctx, g, d->p[1]));
}

static const genc_dist_type gamma_type = {.name = "gamma",
                                          .support = {GENC_SUPPORT_POSITIVE},
                                          .nparams = 2,
                                          .param_names = {"shape", "rate"},
                                          .check = check,
                                          .sample = sample,
                                          .logpdf = logpdf,
                                          .rsample = sample};

genc_dist(genc_gamma)(genc_ctx *ctx, genc_array *shape, genc_array *rate) {
  (void)ctx;
  return genc__dist(&gamma_type, shape, rate, NULL, NULL);
}

/* a log b - lgamma(a) - (a + 1) log x - b / x on x > 0 */
static genc_array *ig_logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  x = genc__as_float(ctx, x);
  genc_array *a = d->p[0], *b = d->p[1];
  genc_array *ok = genc_gt(ctx, x, 0.0), *xs = genc_where(ctx, ok, x, 1.0);
  genc_array *t = genc_mul(ctx, genc_add(ctx, a, 1.0), genc_log(ctx, xs));
  t = genc_neg(ctx, genc_add(ctx, t, genc_div(ctx, b, xs)));
  t = genc_add(ctx, t, genc_sub(ctx, genc_mul(ctx, a, genc_log(ctx, b)), genc_lgamma(ctx, a)));
  return genc__finish_nan(ctx, t, ok, x);
}

static genc_array *ig_sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  int ndim;
  int64_t shape[GENC_MAX_DIMS], m = genc__dist_particles(ctx, d, n);
  if (m < 0 || !genc__dist_shape(ctx, d, 2, &ndim, shape)) return NULL;
  genc_array *g = genc__gamma_draw(ctx, key, d->p[0], ndim, shape, m, genc__dist_dtype(d), false);
  /* clamped like gamma's draws: scale / 0 would be +inf */
  return genc__clamp_pos(ctx, genc_div(ctx, d->p[1], genc__clamp_pos(ctx, g)));
}

static const genc_dist_type inv_gamma_type = {.name = "inv_gamma",
                                              .support = {GENC_SUPPORT_POSITIVE},
                                              .nparams = 2,
                                              .param_names = {"shape", "scale"},
                                              .check = check,
                                              .sample = ig_sample,
                                              .logpdf = ig_logpdf,
                                              .rsample = ig_sample};

genc_dist(genc_inv_gamma)(genc_ctx *ctx, genc_array *shape, genc_array *scale) {
  (void)ctx;
  return genc__dist(&inv_gamma_type, shape, scale, NULL, NULL);
}
