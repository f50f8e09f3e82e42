/* edit: one entry point for constraint, selection and proposal moves (GenJAX
 * style), each returning its weight and the request that undoes it. */
#include <string.h>

#include "gfi/internal.h"

void genc_edit_result_clear(genc_edit_result *r) {
  if (!r) return;
  genc_trace_release(r->trace);
  genc_choicemap_free(r->discard);
  memset(r, 0, sizeof *r);
}

static genc_status edit_proposal(genc_ctx *ctx, const genc_trace *t, const genc_edit_request *req,
                                 genc_key key, genc_edit_result *out) {
  if (!req->fwd || !req->bwd)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "edit: a proposal request needs fwd and bwd");
  genc_key k[2];
  genc_key_split(key, 2, k);
  genc_array *wf = NULL, *w = NULL;
  genc_choicemap *u = genc_gf_propose_from(ctx, req->fwd, t, req->fwd_args, k[0], &wf, NULL);
  if (!u) return genc_ctx_status(ctx);
  out->trace = genc_gf_update(ctx, t, NULL, NULL, u, k[1], &w, &out->discard);
  genc_choicemap_free(u);
  if (!out->trace) return genc_ctx_status(ctx);
  genc_array *wb =
      genc_gf_assess_from(ctx, req->bwd, out->trace, req->bwd_args, out->discard, NULL);
  out->weight = genc_sub(ctx, genc_add(ctx, w, wb), wf);
  if (!out->weight) return genc_ctx_status(ctx);
  out->backward = (genc_edit_request){.kind = GENC_EDIT_PROPOSAL,
                                      .fwd = req->bwd,
                                      .bwd = req->fwd,
                                      .fwd_args = req->bwd_args,
                                      .bwd_args = req->fwd_args};
  return GENC_OK;
}

genc_status genc_gf_edit(genc_ctx *ctx, const genc_trace *t, const genc_edit_request *req,
                         genc_key key, genc_edit_result *out) {
  if (!ctx) return GENC_ERR_ARG;
  if (!out || !req || !t)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "edit: NULL trace, request or result");
  memset(out, 0, sizeof *out);
  genc_status st = GENC_OK;
  switch (req->kind) {
  case GENC_EDIT_CONSTRAINTS:
    out->trace =
        genc_gf_update(ctx, t, NULL, NULL, req->constraints, key, &out->weight, &out->discard);
    out->backward = (genc_edit_request){.kind = GENC_EDIT_CONSTRAINTS, .constraints = out->discard};
    break;
  case GENC_EDIT_SELECTION:
    out->trace = genc_gf_regenerate(ctx, t, NULL, NULL, req->selection, key, &out->weight);
    out->discard = out->trace ? genc_choicemap_new(ctx) : NULL;
    out->backward = *req;
    break;
  case GENC_EDIT_PROPOSAL: st = edit_proposal(ctx, t, req, key, out); break;
  default: st = genc_ctx_fail(ctx, GENC_ERR_ARG, "edit: unknown request kind %d", (int)req->kind);
  }
  if (!st && (!out->trace || !out->discard || !out->weight)) st = genc_ctx_status(ctx);
  if (st) genc_edit_result_clear(out);
  return st;
}
