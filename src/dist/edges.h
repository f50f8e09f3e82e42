/*
 * Edges of the floating range in distributions (src/dist/edges.c): clamping
 * draws that underflow or overflow their dtype into the support, and the NaN
 * rule of log densities.
 */
#ifndef GENC_DIST_EDGES_H
#define GENC_DIST_EDGES_H

#include "dist/internal.h"

/* x clamped into [smallest positive, largest finite] of its dtype: a draw
 * that underflows to 0 or overflows to inf becomes the nearest number of the
 * support, where its density is finite. */
genc_array *genc__clamp_pos(genc_ctx *ctx, genc_array *x);
/* x clamped into [smallest positive, largest below 1] of its dtype. */
genc_array *genc__clamp_open01(genc_ctx *ctx, genc_array *x);
/* genc__finish with the NaN rule: the log density is NaN where the value x is
 * NaN (not -inf), so that the GFI's NaN check reports the address. x must
 * broadcast against ok (integer values, never NaN, cost nothing extra). */
genc_array *genc__finish_nan(genc_ctx *ctx, genc_array *term, genc_array *ok, genc_array *x);

#endif
