/* SMCP3 (Lew et al. 2023): an SMC step whose proposal is a generative
 * function K reading the old trace, with a backward generative function L
 * reading the new one.
 *
 * Why the weight is w + log L - log K. The update of t by K's choices u (and
 * the observations) gives w = log p(t') - log p(t) - log q(fresh), where the
 * fresh choices (new addresses K did not propose) come from the model's prior,
 * which is then part of the forward proposal and cancels with its density in
 * p(t'). The extended target's backward kernel L proposes back what the move
 * removed or replaced (the update's discard d) from t'. So
 * p(t') L(d; t') / (p(t) K(u; t) q(fresh)) is the SMCP3 incremental weight.
 * With K = L = the exact conditionals the weight does not depend on the
 * particle: the tests check zero variance. */
#include <stdlib.h>

#include "genc.h"

#define FN "genc_smcp3_extend"

/* The model's old arguments (those of t) into buf; NULL if one is missing. */
static genc_array *const *old_args(const genc_trace *t, int nargs, genc_array **buf) {
  for (int i = 0; i < nargs; i++)
    if (!(buf[i] = genc_trace_arg(t, i))) return NULL;
  return buf;
}

/* A kernel without its own arguments gets the model's: it must take as many. */
static genc_status check(genc_ctx *ctx, genc_gf *model, genc_gf *kernel, genc_array *const *given,
                         const char *which) {
  if (!kernel || given || genc_gf_nargs(kernel) == genc_gf_nargs(model)) return GENC_OK;
  return genc_ctx_fail(ctx, GENC_ERR_ARG,
                       FN ": '%s': the %s kernel '%s' takes %d arguments; without %s_args it gets "
                          "the model's %d",
                       genc_gf_name(model), which, genc_gf_name(kernel), genc_gf_nargs(kernel),
                       which, genc_gf_nargs(model));
}

/* Score the discard d of the move with the backward kernel; 0-d zero when d is empty. */
static genc_array *backward(genc_ctx *ctx, genc_gf *model, const genc_smcp3_kernels *k,
                            const genc_trace *t, const genc_trace *next, const genc_choicemap *d) {
  if (!d || genc_choicemap_is_empty(d)) return genc_scalar(ctx, 0.0);
  if (!k->bwd) {
    genc_ctx_fail(ctx, GENC_ERR_ARG,
                  FN ": '%s': the move discarded %lld choices but there is no backward kernel "
                     "to score them",
                  genc_gf_name(model), (long long)genc_choicemap_count(d));
    return NULL;
  }
  genc_array *buf[GENC_GF_MAX_ARGS];
  genc_array *const *bargs = k->bwd_args ? k->bwd_args : old_args(t, genc_gf_nargs(model), buf);
  return genc_gf_assess_from(ctx, k->bwd, next, bargs, d, NULL);
}

/* The move itself, in the caller's scope (the caller keeps only the weight). */
static genc_trace *move(genc_ctx *ctx, genc_gf *model, const genc_trace *t, genc_array *const *args,
                        const genc_argdiff *argdiffs, const genc_choicemap *obs,
                        const genc_smcp3_kernels *k, genc_key key, int64_t n, genc_array **weight) {
  genc_key ks[2];
  genc_key_split(key, 2, ks);
  genc_array *buf[GENC_GF_MAX_ARGS], *lk = NULL, *w = NULL, *ll = NULL;
  genc_array *const *margs = args ? args : old_args(t, genc_gf_nargs(model), buf);
  genc_array *const *fargs = k->fwd_args ? k->fwd_args : margs;
  genc_choicemap *u = t ? genc_gf_propose_from(ctx, k->fwd, t, fargs, ks[0], &lk, NULL)
                        : genc_gf_propose(ctx, k->fwd, fargs, ks[0], n, &lk, NULL);
  genc_choicemap *c = u ? genc_choicemap_merge(ctx, u, obs, GENC_MERGE_DISJOINT) : NULL;
  genc_choicemap *d = NULL;
  genc_trace *next = NULL;
  if (c)
    next = t ? genc_gf_update(ctx, t, args, argdiffs, c, ks[1], &w, &d)
             : genc_gf_generate(ctx, model, args, c, ks[1], n, &w);
  if (next && t && !(ll = backward(ctx, model, k, t, next, d)))
    genc_trace_release(next), next = NULL;
  if (next) *weight = genc_sub(ctx, t ? genc_add(ctx, w, ll) : w, lk);
  if (next && !*weight) genc_trace_release(next), next = NULL;
  genc_choicemap_free(u);
  genc_choicemap_free(c);
  genc_choicemap_free(d);
  return next;
}

genc_trace *genc_smcp3_extend(genc_ctx *ctx, genc_gf *model, const genc_trace *t,
                              genc_array *const *args, const genc_argdiff *argdiffs,
                              const genc_choicemap *obs, const genc_smcp3_kernels *k, genc_key key,
                              int64_t n, genc_array **weight) {
  if (!ctx) return NULL;
  if (weight) *weight = NULL;
  if (!model || !k || !weight || (!t && !args)) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": NULL %s",
                  !model    ? "model"
                  : !k      ? "kernels"
                  : !weight ? "weight"
                            : "args at the first step (no trace)");
    return NULL;
  }
  if (t && genc_trace_gf(t) != model) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": the trace is of '%s', not of the model '%s'",
                  genc_gf_name(genc_trace_gf(t)), genc_gf_name(model));
    return NULL;
  }
  if (!k->fwd) /* the model's internal proposal: plain generate / update */
    return t ? genc_gf_update(ctx, t, args, argdiffs, obs, key, weight, NULL)
             : genc_gf_generate(ctx, model, args, obs, key, n, weight);
  if (check(ctx, model, k->fwd, k->fwd_args, "fwd") ||
      check(ctx, model, k->bwd, k->bwd_args, "bwd"))
    return NULL;
  int64_t mark = genc_scope_begin(ctx);
  genc_trace *next = move(ctx, model, t, args, argdiffs, obs, k, key, n, weight);
  genc_scope_end_keep(ctx, mark, weight, next ? 1 : 0);
  if (!next) *weight = NULL;
  return next;
}
