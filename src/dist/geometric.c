/* Geometric(p): failures before the first success, k >= 0; values are i32.
 * Written on the public helpers of genc/dist.h only, as a user-defined type
 * would be. */
#include <math.h>

#include "genc/dist.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  return genc_dist_check_param(ctx, d, 0, GENC_PARAM_PROB_POS);
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  genc_dtype dt = genc_array_dtype(x);
  genc_array *k = dt == GENC_F64 || dt == GENC_F32 ? x : genc_astype(ctx, x, GENC_F64);
  genc_array *p = d->p[0];
  /* k a finite integer >= 0 (floor(inf) == inf, hence the isfinite) */
  genc_array *ok =
      genc_logical_and(ctx, genc_logical_and(ctx, genc_ge(ctx, k, 0.0), genc_isfinite(ctx, k)),
                       genc_eq(ctx, genc_floor(ctx, k), k));
  genc_array *ks = genc_where(ctx, ok, k, 0.0);
  /* k log1p(-p) with 0 * log1p(-1) = 0 (p = 1, k = 0): log1p of 0 where k == 0 */
  genc_array *q = genc_where(ctx, genc_eq(ctx, ks, 0.0), 0.0, genc_neg(ctx, p));
  genc_array *t = genc_add(ctx, genc_log(ctx, p), genc_mul(ctx, ks, genc_log1p(ctx, q)));
  /* the NaN rule: a NaN value scores NaN, not -inf */
  genc_array *nan = genc_ne(ctx, k, k);
  return genc_dist_sum_support(ctx, genc_where(ctx, nan, k, t), genc_logical_or(ctx, ok, nan));
}

/* inversion: floor(E / -log1p(-p)) with E standard exponential */
static genc_array *sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *e = genc_dist_draw(ctx, key, d, 1, n, GENC_DIST_LAW_EXPONENTIAL);
  genc_array *l = genc_neg(ctx, genc_log1p(ctx, genc_neg(ctx, d->p[0])));
  genc_array *k = genc_minimum(ctx, genc_floor(ctx, genc_div(ctx, e, l)), 2147483647.0);
  return genc_astype(ctx, k, GENC_I32);
}

static const genc_dist_type geometric_type = {.name = "geometric",
                                              .support = {GENC_SUPPORT_DISCRETE},
                                              .nparams = 1,
                                              .param_names = {"p"},
                                              .discrete = true,
                                              .check = check,
                                              .sample = sample,
                                              .logpdf = logpdf};

genc_dist(genc_geometric)(genc_ctx *ctx, genc_array *p) {
  (void)ctx;
  return genc_dist_new(&geometric_type, 1, &p);
}
