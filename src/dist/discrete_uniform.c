/* Uniform on the integers lo..hi, both ends included; values are i32. */
#include "dist/edges.h"

/* Values are i32, so the bounds must be too: bounds outside its range are
 * refused (the draws would be clamped), not silently narrowed. */
static genc_status in_i32(genc_ctx *ctx, const genc_dist *d, int i) {
  genc_array *p = d->p[i];
  /* < 2^31 rather than <= 2^31 - 1, which rounds to 2^31 in f32 */
  genc_array *ok =
      genc_logical_and(ctx, genc_ge(ctx, p, -2147483648.0), genc_lt(ctx, p, 2147483648.0));
  return genc__check_true(ctx, d, ok,
                          i ? "parameter hi must be in the i32 range [-2147483648, 2147483647]"
                            : "parameter lo must be in the i32 range [-2147483648, 2147483647]");
}

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  genc_status st = genc__check_param(ctx, d, 0, GENC__INT);
  if (!st) st = genc__check_param(ctx, d, 1, GENC__INT);
  if (!st) st = in_i32(ctx, d, 0);
  if (!st) st = in_i32(ctx, d, 1);
  if (!st)
    st = genc__check_true(ctx, d, genc_le(ctx, d->p[0], d->p[1]), "parameter lo must be <= hi");
  return st;
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  genc_array *k = genc__as_float(ctx, x), *lo = d->p[0], *hi = d->p[1];
  genc_array *ok = genc_logical_and(ctx, genc_ge(ctx, k, lo), genc_le(ctx, k, hi));
  ok = genc_logical_and(ctx, ok, genc__is_int(ctx, k));
  genc_array *w = genc_add(ctx, genc_sub(ctx, genc__as_float(ctx, hi), lo), 1.0);
  return genc__finish_nan(ctx, genc_neg(ctx, genc_log(ctx, w)), ok, k);
}

/* lo + floor(u w), w = hi - lo + 1 <= 2^32, from an f64 uniform whatever the
 * parameters' dtype (an f32 uniform's 2^24 grid would skip values) */
static genc_array *sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  int ndim;
  int64_t shape[GENC_MAX_DIMS], m = genc__dist_particles(ctx, d, n);
  if (m < 0 || !genc__dist_shape(ctx, d, 2, &ndim, shape)) return NULL;
  genc_array *u = genc_random_uniform(ctx, key, GENC_F64, ndim, shape, m);
  genc_array *lo = genc_astype(ctx, d->p[0], GENC_F64);
  genc_array *w = genc_add(ctx, genc_sub(ctx, genc_astype(ctx, d->p[1], GENC_F64), lo), 1.0);
  genc_array *k = genc_add(ctx, lo, genc_floor(ctx, genc_mul(ctx, u, w)));
  return genc_astype(ctx, genc_minimum(ctx, k, d->p[1]), GENC_I32);
}

static const genc_dist_type du_type = {.name = "discrete_uniform",
                                       .support = {GENC_SUPPORT_DISCRETE},
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
