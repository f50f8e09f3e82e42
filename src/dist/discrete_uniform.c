/* Uniform on the integers lo..hi, both ends included; values are i32. */
#include "dist/internal.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  genc_status st = genc__check_param(ctx, d, 0, GENC__INT);
  if (!st) st = genc__check_param(ctx, d, 1, GENC__INT);
  if (!st)
    st = genc__check_true(ctx, d, genc_le(ctx, d->p[0], d->p[1]), "parameter lo must be <= hi");
  return st;
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  genc_array *k = genc__as_float(ctx, x), *lo = d->p[0], *hi = d->p[1];
  genc_array *ok = genc_logical_and(ctx, genc_ge(ctx, k, lo), genc_le(ctx, k, hi));
  ok = genc_logical_and(ctx, ok, genc__is_int(ctx, k));
  genc_array *w = genc_add(ctx, genc_sub(ctx, genc__as_float(ctx, hi), lo), 1.0);
  return genc__finish(ctx, genc_neg(ctx, genc_log(ctx, w)), ok);
}

static genc_array *sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *u = genc__draw(ctx, key, d, 2, n, GENC_LAW_UNIFORM);
  genc_array *lo = genc__as_float(ctx, d->p[0]);
  genc_array *w = genc_add(ctx, genc_sub(ctx, genc__as_float(ctx, d->p[1]), lo), 1.0);
  genc_array *k =
      genc_add(ctx, lo, genc_floor(ctx, genc_mul(ctx, genc_astype(ctx, u, GENC_F64), w)));
  return genc_astype(ctx, genc_minimum(ctx, k, d->p[1]), GENC_I32);
}

static const genc_dist_type du_type = {.name = "discrete_uniform",
                                       .nparams = 2,
                                       .param_names = {"lo", "hi"},
                                       .discrete = true,
                                       .check = check,
                                       .sample = sample,
                                       .logpdf = logpdf};

genc_dist(genc_discrete_uniform)(genc_ctx *ctx, genc_array *lo, genc_array *hi) {
  (void)ctx;
  return genc__dist(&du_type, lo, hi, NULL, NULL);
}
