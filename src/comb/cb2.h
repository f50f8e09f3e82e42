/* Helpers of Switch, Mask, Mix, Recurse, Contramap and Dimap (src/comb), built
 * on the public implementer interface of gfi.h only. Not public. */
#ifndef GENC_COMB_CB2_H
#define GENC_COMB_CB2_H

#include "genc.h"

/* Which operation of a function's table to run. */
typedef enum cb2_op {
  CB2_SIMULATE,
  CB2_GENERATE,
  CB2_UPDATE,
  CB2_REGENERATE,
  CB2_ASSESS,
  CB2_PROJECT
} cb2_op;

/* Run operation @p op of @p gf's table (no error clearing, no weight checks:
 * the caller is itself inside an operation). */
genc_status genc__cb2_call(genc_ctx *ctx, genc_gf *gf, cb2_op op, const genc_gfi_call *call,
                           genc_gfi_result *res);

/* @p w, or a 0-d zero when NULL, broadcast to @p n particles when n > 0. */
genc_array *genc__cb2_per_particle(genc_ctx *ctx, genc_array *w, int64_t n);

/* A new map whose leaves are where(cond, a, b) at addresses in both maps and
 * the leaf of whichever map holds one elsewhere (NULL maps are empty). */
genc_choicemap *genc__cb2_where_merge(genc_ctx *ctx, genc_array *cond, const genc_choicemap *a,
                                      const genc_choicemap *b);

/* A copy of the choices of @p t (a new map), NULL on error. */
genc_choicemap *genc__cb2_choices_copy(genc_ctx *ctx, const genc_trace *t);

/* Close the scope at @p mark keeping res->weight and res->retval. */
void genc__cb2_keep(genc_ctx *ctx, int64_t mark, genc_gfi_result *res);

/* The argument diffs of a callee taking arguments 1.. of @p d (NULL stays NULL). */
static inline const genc_argdiff *genc__cb2_diffs_tail(const genc_argdiff *d) {
  return d ? d + 1 : NULL;
}

/* ---- the wrapper type of Contramap, Dimap, Mix and Recurse ---- */

/* What a wrapper owns besides its inner function. */
typedef struct cb2_owned {
  genc_gf *gfs[4]; /* released with the wrapper */
  void *data;      /* freed with free_data (if set) */
  void (*free_data)(void *data);
} cb2_owned;

/* A generative function of @p nin arguments running @p inner on
 * args_fn(args) (NULL: the same arguments) and returning ret_fn(value) (NULL:
 * the value). Retains @p inner; takes @p owned (may be NULL) in every case. */
genc_gf *genc__cb2_wrap(const char *name, genc_gf *inner, int nin, genc_args_transform args_fn,
                        genc_value_transform ret_fn, void *user, const cb2_owned *owned);

#endif
