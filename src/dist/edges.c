/*
 * Edges of the floating range in distributions: draws that underflow or
 * overflow their dtype are clamped to the nearest representable value of the
 * support (so that every draw scores finite), and the one rule for NaN
 * values (their log density is NaN, which the GFI reports with the address).
 */
#include <float.h>

#include "dist/edges.h"

/* smallest positive (subnormal) and largest finite numbers, one below 1 */
static double tiny_of(genc_dtype dt) { return dt == GENC_F32 ? 0x1p-149 : 0x1p-1074; }
static double big_of(genc_dtype dt) { return dt == GENC_F32 ? (double)FLT_MAX : DBL_MAX; }
static double below1_of(genc_dtype dt) { return dt == GENC_F32 ? 1 - 0x1p-24 : 1 - 0x1p-53; }

genc_array *genc__clamp_pos(genc_ctx *ctx, genc_array *x) {
  if (!x) return NULL;
  genc_dtype dt = (genc_dtype)x->dtype;
  return genc_minimum(ctx, genc_maximum(ctx, x, tiny_of(dt)), big_of(dt));
}

genc_array *genc__clamp_open01(genc_ctx *ctx, genc_array *x) {
  if (!x) return NULL;
  genc_dtype dt = (genc_dtype)x->dtype;
  return genc_minimum(ctx, genc_maximum(ctx, x, tiny_of(dt)), below1_of(dt));
}

genc_array *genc__finish_nan(genc_ctx *ctx, genc_array *term, genc_array *ok, genc_array *x) {
  if (!x || !genc__is_float((genc_dtype)x->dtype)) return genc__finish(ctx, term, ok);
  /* x itself where it is NaN: the fill keeps x's dtype */
  genc_array *out = genc_where(ctx, genc_ne(ctx, x, x), x, -INFINITY);
  return genc__sum_event(ctx, genc_where(ctx, ok, term, out));
}
