/* Geometric(p): failures before the first success, k >= 0; values are i32. */
#include "dist/internal.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  return genc__check_param(ctx, d, 0, GENC__PROB_POS);
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  genc_array *k = genc__as_float(ctx, x), *p = d->p[0];
  genc_array *ok = genc_logical_and(ctx, genc_ge(ctx, k, 0.0), genc__is_int(ctx, k));
  genc_array *ks = genc_where(ctx, ok, k, 0.0);
  genc_array *t = genc_add(ctx, genc_log(ctx, p), genc__xlog1py(ctx, ks, genc_neg(ctx, p)));
  return genc__finish(ctx, t, ok);
}

/* inversion: floor(E / -log1p(-p)) with E standard exponential */
static genc_array *sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *e = genc__draw(ctx, key, d, 1, n, GENC_LAW_EXPONENTIAL);
  genc_array *l = genc_neg(ctx, genc_log1p(ctx, genc_neg(ctx, d->p[0])));
  genc_array *k = genc_minimum(ctx, genc_floor(ctx, genc_div(ctx, e, l)), 2147483647.0);
  return genc_astype(ctx, k, GENC_I32);
}

static const genc_dist_type geometric_type = {.name = "geometric",
                                              .nparams = 1,
                                              .param_names = {"p"},
                                              .discrete = true,
                                              .check = check,
                                              .sample = sample,
                                              .logpdf = logpdf};

genc_dist(genc_geometric)(genc_ctx *ctx, genc_array *p) {
  (void)ctx;
  return genc__dist(&geometric_type, p, NULL, NULL, NULL);
}
