/* Beta(alpha, beta) and the beta-uniform mixture theta Beta + (1 - theta) U(0, 1). */
#include "dist/edges.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  genc_status st = genc__check_param(ctx, d, 0, GENC__POS);
  return st ? st : genc__check_param(ctx, d, 1, GENC__POS);
}

/* xlogy(a-1, x) + xlog1py(b-1, -x) - lbeta(a, b): log x and log1p(-x) keep
 * full relative accuracy next to 0 and 1 */
genc_array *genc__beta_terms(genc_ctx *ctx, genc_array *x, genc_array *a, genc_array *b) {
  genc_array *t = genc__xlogy(ctx, genc_sub(ctx, a, 1.0), x);
  t = genc_add(ctx, t, genc__xlog1py(ctx, genc_sub(ctx, b, 1.0), genc_neg(ctx, x)));
  return genc_sub(ctx, t, genc__lbeta(ctx, a, b));
}

static genc_array *in01(genc_ctx *ctx, genc_array *x) {
  return genc_logical_and(ctx, genc_ge(ctx, x, 0.0), genc_le(ctx, x, 1.0));
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  x = genc__as_float(ctx, x);
  genc_array *ok = in01(ctx, x), *xs = genc_where(ctx, ok, x, 0.5);
  return genc__finish_nan(ctx, genc__beta_terms(ctx, xs, d->p[0], d->p[1]), ok, x);
}

/* Ga / (Ga + Gb) = sigmoid(log Ga - log Gb) from log-gamma draws, which stays
 * exact for tiny alpha or beta where Ga and Gb underflow. A draw closer to 0
 * or 1 than the dtype resolves (beta(1e-3, 1e-3) puts half its mass within
 * e^-700 of them) is the nearest number inside (0, 1), where the density is
 * finite, not 0 or 1, where it is +inf. */
static genc_array *beta_draw(genc_ctx *ctx, genc_key key, const genc_dist *d, int a, int64_t m) {
  int ndim;
  int64_t shape[GENC_MAX_DIMS];
  if (!genc__dist_shape(ctx, d, d->nparams, &ndim, shape)) return NULL;
  genc_dtype dt = genc__dist_dtype(d);
  genc_key k1 = genc_key_fold_in(key, 1), k2 = genc_key_fold_in(key, 2);
  genc_array *ga = genc__gamma_draw(ctx, k1, d->p[a], ndim, shape, m, dt, true);
  genc_array *gb = genc__gamma_draw(ctx, k2, d->p[a + 1], ndim, shape, m, dt, true);
  return genc__clamp_open01(ctx, genc_sigmoid(ctx, genc_sub(ctx, ga, gb)));
}

static genc_array *sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  int64_t m = genc__dist_particles(ctx, d, n);
  return m < 0 ? NULL : beta_draw(ctx, key, d, 0, m);
}

static const genc_dist_type beta_type = {.name = "beta",
                                         .support = {GENC_SUPPORT_UNIT_INTERVAL},
                                         .nparams = 2,
                                         .param_names = {"alpha", "beta"},
                                         .check = check,
                                         .sample = sample,
                                         .logpdf = logpdf,
                                         .rsample = sample};

genc_dist(genc_beta)(genc_ctx *ctx, genc_array *alpha, genc_array *beta) {
  (void)ctx;
  return genc__dist(&beta_type, alpha, beta, NULL, NULL);
}

static genc_status bu_check(genc_ctx *ctx, const genc_dist *d) {
  genc_status st = genc__check_param(ctx, d, 0, GENC__PROB);
  if (!st) st = genc__check_param(ctx, d, 1, GENC__POS);
  return st ? st : genc__check_param(ctx, d, 2, GENC__POS);
}

static genc_array *bu_logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  x = genc__as_float(ctx, x);
  genc_array *th = d->p[0], *ok = in01(ctx, x), *xs = genc_where(ctx, ok, x, 0.5);
  genc_array *la = genc_add(ctx, genc_log(ctx, th), genc__beta_terms(ctx, xs, d->p[1], d->p[2]));
  genc_array *lb = genc_log1p(ctx, genc_neg(ctx, th));
  return genc__finish_nan(ctx, genc__logaddexp(ctx, la, lb), ok, x);
}

static genc_array *bu_sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  int64_t m = genc__dist_particles(ctx, d, n);
  if (m < 0) return NULL;
  genc_array *b = beta_draw(ctx, key, d, 1, m);
  genc_array *u = genc__draw(ctx, genc_key_fold_in(key, 3), d, 3, n, GENC_LAW_UNIFORM);
  genc_array *c = genc__draw(ctx, genc_key_fold_in(key, 4), d, 3, n, GENC_LAW_UNIFORM);
  return genc_where(ctx, genc_lt(ctx, c, d->p[0]), b, u);
}

static const genc_dist_type bu_type = {.name = "beta_uniform",
                                       .support = {GENC_SUPPORT_UNIT_INTERVAL},
                                       .nparams = 3,
                                       .param_names = {"theta", "alpha", "beta"},
                                       .check = bu_check,
                                       .sample = bu_sample,
                                       .logpdf = bu_logpdf};

genc_dist(genc_beta_uniform)(genc_ctx *ctx, genc_array *theta, genc_array *alpha,
                             genc_array *beta) {
  (void)ctx;
  return genc__dist(&bu_type, theta, alpha, beta, NULL);
}
