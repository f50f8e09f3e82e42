/*
 * Involutive MCMC (Cusumano-Towner, Lew and Mansinghka; Gen.jl's
 * mh(trace, proposal, args, involution)). The proposal reads the old trace,
 * the user's involution maps (trace choices, auxiliary choices) to (new
 * constraints, backward auxiliary choices) with its log |Jacobian|, and the
 * acceptance log-ratio is update weight + backward assess - forward weight +
 * log |J|. The accept step is per chain, as in mh.c.
 */
#include "genc.h"

static genc_array *inv_alpha(genc_ctx *ctx, const genc_trace *t, genc_gf *q,
                             genc_array *const *qargs, genc_involution_fn f, void *user,
                             genc_key key, genc_trace **tp) {
  genc_array *wf = NULL, *w = NULL, *wb = NULL, *logj = NULL;
  genc_choicemap *u = genc_gf_propose_from(ctx, q, t, qargs, key, &wf, NULL);
  genc_choicemap *c = u ? genc_choicemap_new(ctx) : NULL;
  genc_choicemap *b = c ? genc_choicemap_new(ctx) : NULL;
  genc_array *alpha = NULL;
  if (b && !f(ctx, t, u, c, b, &logj, user) && !genc_ctx_status(ctx)) {
    *tp = genc_gf_update(ctx, t, NULL, NULL, c, key, &w, NULL);
    wb = *tp ? genc_gf_assess_from(ctx, q, *tp, qargs, b, NULL) : NULL;
    alpha = wb ? genc_sub(ctx, genc_add(ctx, w, wb), wf) : NULL;
    if (alpha && logj) alpha = genc_add(ctx, alpha, logj);
  } else if (b && !genc_ctx_status(ctx)) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_mh_involutive: the involution failed");
  }
  genc_choicemap_free(u), genc_choicemap_free(c), genc_choicemap_free(b);
  return alpha;
}

genc_trace *genc_mh_involutive(genc_ctx *ctx, const genc_trace *t, genc_gf *proposal,
                               genc_array *const *proposal_args, genc_involution_fn involution,
                               void *user, genc_key key, genc_array **accepted) {
  if (accepted) *accepted = NULL;
  if (!ctx) return NULL;
  if (!t || !proposal || !involution) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_mh_involutive: NULL trace, proposal or involution");
    return NULL;
  }
  genc_key k[2];
  genc_key_split(key, 2, k);
  int64_t mark = genc_scope_begin(ctx);
  genc_trace *tp = NULL, *out = NULL;
  genc_array *acc = NULL;
  genc_array *alpha = inv_alpha(ctx, t, proposal, proposal_args, involution, user, k[0], &tp);
  if (alpha) {
    genc_array *u = genc_random_uniform(ctx, k[1], GENC_F64, 0, NULL, genc_trace_nparticles(t));
    acc = genc_lt(ctx, genc_log(ctx, u), alpha);
    out = acc ? genc_trace_select(ctx, acc, tp, t) : NULL;
  }
  genc_trace_release(tp);
  if (!out) acc = NULL;
  genc_scope_end_keep(ctx, mark, &acc, acc ? 1 : 0);
  if (accepted) *accepted = acc;
  return out;
}
