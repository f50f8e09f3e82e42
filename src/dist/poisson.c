/* Poisson(rate); values are i32. */
#include "dist/edges.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  return genc__check_param(ctx, d, 0, GENC__NONNEG);
}

/* Loader's saddle-point form -stirlerr(k) - bd0(k, rate) - log(2 pi k) / 2:
 * the naive k log rate - rate - lgamma(k + 1) cancels terms of size 1e7 at
 * rate 1e6; this form keeps relative accuracy near 1e-15 there. */
genc_array *genc__poisson_terms(genc_ctx *ctx, genc_array *k, genc_array *rate) {
  genc_array *pos = genc_gt(ctx, rate, 0.0), *r = genc_where(ctx, pos, rate, 1.0);
  genc_array *k1 = genc_ge(ctx, k, 1.0), *ks = genc_where(ctx, k1, k, r);
  genc_array *t = genc_add(ctx, genc__stirlerr(ctx, ks), genc__bd0(ctx, ks, r));
  t = genc_neg(ctx,
               genc_add(ctx, t, genc_mul(ctx, genc_log(ctx, genc_mul(ctx, ks, 2 * M_PI)), 0.5)));
  t = genc_where(ctx, k1, t, genc_neg(ctx, rate));
  /* rate 0: mass 1 at k = 0 (written through k to keep k's dtype) */
  genc_array *at0 = genc_where(ctx, k1, -INFINITY, genc_mul(ctx, k, 0.0));
  return genc_where(ctx, pos, t, at0);
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  genc_array *k = genc__as_float(ctx, x);
  genc_array *ok = genc_logical_and(ctx, genc_ge(ctx, k, 0.0), genc__is_int(ctx, k));
  genc_array *ks = genc_where(ctx, ok, k, 0.0);
  return genc__finish_nan(ctx, genc__poisson_terms(ctx, ks, d->p[0]), ok, k);
}

static genc_array *sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  int64_t m = genc__dist_particles(ctx, d, n);
  genc_array *r = d->p[0];
  return m < 0 ? NULL : genc_random_poisson(ctx, key, r, r->n ? 0 : m);
}

static const genc_dist_type poisson_type = {.name = "poisson",
                                            .support = {GENC_SUPPORT_DISCRETE},
                                            .nparams = 1,
                                            .param_names = {"rate"},
                                            .discrete = true,
                                            .check = check,
                                            .sample = sample,
                                            .logpdf = logpdf};

genc_dist(genc_poisson)(genc_ctx *ctx, genc_array *rate) {
  (void)ctx;
  return genc__dist(&poisson_type, rate, NULL, NULL, NULL);
}
