/* Binomial(n, p); values are i32. */
#include "dist/edges.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  genc_status st = genc__check_param(ctx, d, 0, GENC__COUNT);
  return st ? st : genc__check_param(ctx, d, 1, GENC__PROB);
}

/* Loader's form for 0 < k < n: stirlerr(n) - stirlerr(k) - stirlerr(n - k)
 * - bd0(k, np) - bd0(n - k, nq) + log(n / (2 pi k (n - k))) / 2, accurate at
 * n = 1e6 where the lgamma form loses ~7 digits. */
static genc_array *interior(genc_ctx *ctx, genc_array *k, genc_array *n, genc_array *p) {
  genc_array *nk = genc_sub(ctx, n, k);
  genc_array *t = genc_sub(ctx, genc__stirlerr(ctx, n),
                           genc_add(ctx, genc__stirlerr(ctx, k), genc__stirlerr(ctx, nk)));
  t = genc_sub(ctx, t, genc__bd0(ctx, k, genc_mul(ctx, n, p)));
  t = genc_sub(ctx, t, genc__bd0(ctx, nk, genc_mul(ctx, n, genc_sub(ctx, 1.0, p))));
  genc_array *r = genc_div(ctx, n, genc_mul(ctx, genc_mul(ctx, k, nk), 2 * M_PI));
  return genc_add(ctx, t, genc_mul(ctx, genc_log(ctx, r), 0.5));
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  genc_array *k = genc__as_float(ctx, x), *n = d->p[0], *p = d->p[1];
  genc_array *ok = genc_logical_and(ctx, genc_ge(ctx, k, 0.0), genc_le(ctx, k, n));
  ok = genc_logical_and(ctx, ok, genc__is_int(ctx, k));
  genc_array *k0 = genc_eq(ctx, k, 0.0), *kn = genc_eq(ctx, k, n);
  genc_array *in = genc_logical_not(
      ctx, genc_logical_or(ctx, genc_logical_not(ctx, ok), genc_logical_or(ctx, k0, kn)));
  genc_array *pin = genc_logical_and(ctx, genc_gt(ctx, p, 0.0), genc_lt(ctx, p, 1.0));
  /* safe stand-ins where a branch is not taken keep NaN out of the gradient */
  genc_array *ks = genc_where(ctx, in, k, 1.0), *ns = genc_where(ctx, in, n, 2.0);
  genc_array *ps = genc_where(ctx, pin, p, 0.5);
  genc_array *t = genc_where(ctx, pin, interior(ctx, ks, ns, ps), -INFINITY);
  t = genc_where(ctx, k0, genc__xlog1py(ctx, n, genc_neg(ctx, p)), t);
  t = genc_where(ctx, kn, genc__xlogy(ctx, n, p), t);
  return genc__finish_nan(ctx, t, ok, k);
}

static genc_array *sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  int64_t m = genc__dist_particles(ctx, d, n);
  if (m < 0) return NULL;
  bool b = d->p[0]->n || d->p[1]->n;
  return genc_random_binomial(ctx, key, d->p[0], d->p[1], b ? 0 : m);
}

static const genc_dist_type binomial_type = {.name = "binomial",
                                             .support = {GENC_SUPPORT_DISCRETE},
                                             .nparams = 2,
                                             .param_names = {"n", "p"},
                                             .discrete = true,
                                             .check = check,
                                             .sample = sample,
                                             .logpdf = logpdf};

genc_dist(genc_binomial)(genc_ctx *ctx, genc_array *n, genc_array *p) {
  (void)ctx;
  return genc__dist(&binomial_type, n, p, NULL, NULL);
}
