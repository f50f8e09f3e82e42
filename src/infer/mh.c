/*
 * Metropolis-Hastings steps on one trace or on N chains held as one batched
 * trace. The move is a GFI edit (regenerate a selection, or a custom proposal
 * that reads the trace); the accept test is log(u) < w, computed with array
 * ops in both modes so that chain i of a batched step is bit-identical to the
 * single step with genc_key_particle(key, i); the batched decision is applied
 * per chain with genc_trace_select().
 */
#include "genc.h"

/* Accept or reject the edit r of t; the kept trace (new reference) or NULL. */
static genc_trace *mh_decide(genc_ctx *ctx, const genc_trace *t, genc_edit_result *r, genc_key key,
                             genc_array **accepted) {
  int64_t n = genc_trace_nparticles(t);
  genc_array *u = genc_random_uniform(ctx, key, GENC_F64, 0, NULL, n);
  genc_array *acc = genc_lt(ctx, genc_log(ctx, u), r->weight);
  genc_trace *out = acc ? genc_trace_select(ctx, acc, r->trace, t) : NULL;
  if (accepted) *accepted = out ? acc : NULL;
  return out;
}

/* One edit then the accept step; the kept trace and its bool in the caller's scope. */
static genc_trace *mh_edit(genc_ctx *ctx, const genc_trace *t, const genc_edit_request *req,
                           genc_key key, genc_array **accepted, const char *who) {
  if (accepted) *accepted = NULL;
  if (!ctx) return NULL;
  if (!t) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: NULL trace", who);
    return NULL;
  }
  genc_key k[2];
  genc_key_split(key, 2, k);
  int64_t mark = genc_scope_begin(ctx);
  genc_edit_result r;
  genc_trace *out = NULL;
  genc_array *acc = NULL;
  if (!genc_gf_edit(ctx, t, req, k[0], &r)) {
    out = mh_decide(ctx, t, &r, k[1], &acc);
    genc_edit_result_clear(&r);
  }
  genc_scope_end_keep(ctx, mark, &acc, acc ? 1 : 0);
  if (accepted) *accepted = acc;
  return out;
}

genc_trace *genc_mh_select(genc_ctx *ctx, const genc_trace *t, const genc_selection *s,
                           genc_key key, genc_array **accepted) {
  if (ctx && !s) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_mh_select: NULL selection");
    return NULL;
  }
  genc_edit_request req = {.kind = GENC_EDIT_SELECTION, .selection = s};
  return mh_edit(ctx, t, &req, key, accepted, "genc_mh_select");
}

genc_trace *genc_mh_proposal(genc_ctx *ctx, const genc_trace *t, genc_gf *fwd, genc_gf *bwd,
                             genc_array *const *fwd_args, genc_array *const *bwd_args, genc_key key,
                             genc_array **accepted) {
  if (ctx && !fwd) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_mh_proposal: NULL forward proposal");
    return NULL;
  }
  genc_edit_request req = {.kind = GENC_EDIT_PROPOSAL,
                           .fwd = fwd,
                           .bwd = bwd ? bwd : fwd,
                           .fwd_args = fwd_args,
                           .bwd_args = bwd ? bwd_args : fwd_args};
  return mh_edit(ctx, t, &req, key, accepted, "genc_mh_proposal");
}
