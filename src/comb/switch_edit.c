/* Vectorized Switch update and regenerate (batched index): every branch is
 * updated (or regenerated) where particles keep it and generated (or
 * simulated) where they move to it; per particle the right one is kept. The
 * same key serves both runs of a branch, so particle i gets exactly what a
 * single-trace edit with genc_key_particle(key, i) gets. */
#include "comb/switch_impl.h"

/* Per particle: stay ? a : b, as one trace of branch k (a fully constrained
 * generate of the joined choices). */
static genc_trace *join(genc_ctx *ctx, const sw_gf *s, int k, const genc_gfi_call *call,
                        genc_array *stay, genc_trace *a, genc_trace *b) {
  const genc_choicemap *ca = genc_trace_choices(ctx, a), *cb = genc_trace_choices(ctx, b);
  genc_choicemap *cm = ca && cb ? genc__cb2_where_merge(ctx, stay, ca, cb) : NULL;
  if (!cm) return NULL;
  genc_gfi_call c = {.args = call->args + 1, .key = call->key, .n = call->n, .constraints = cm};
  genc_gfi_result o = {0};
  genc_status st = genc__cb2_call(ctx, s->br[k], CB2_GENERATE, &c, &o);
  genc_choicemap_free(cm);
  return st ? NULL : o.trace;
}

/* True if some particle is in @p mask (a bool, shared or batched). */
static bool any(genc_ctx *ctx, genc_array *mask, bool *out) {
  genc_array *f = genc_astype(ctx, mask, GENC_F64);
  if (f && genc_array_batched(f)) f = genc_particle_reduce(ctx, GENC_RMAX, f);
  double v = 0;
  if (!f || genc_array_item(ctx, f, &v)) return false;
  *out = v > 0;
  return true;
}

/* Old choices of branch k go to the discard if some particle leaves k. */
static genc_status discard_left(genc_ctx *ctx, const sw_trace *ot, int k, genc_array *stay,
                                genc_array *idx, sw_runs *r) {
  bool left = false;
  if (!any(ctx, genc_logical_and(ctx, stay, genc_ne(ctx, idx, k)), &left)) return GENC_ERR_ARG;
  if (!left) return GENC_OK;
  const genc_choicemap *cm = genc_trace_choices(ctx, ot->sub[k]);
  return cm ? genc_choicemap_merge_into(ctx, r->discard, cm, GENC_MERGE_RIGHT)
            : genc_ctx_status(ctx);
}

typedef struct edit_parts {
  genc_gfi_result kept, fresh; /* the edit of the old sub-trace, the fresh run */
} edit_parts;

static void parts_clear(edit_parts *p) {
  genc_trace_release(p->kept.trace);
  genc_trace_release(p->fresh.trace);
  genc_choicemap_free(p->kept.discard);
}

/* Weight of branch k's particles: kept ones the edit's, moved ones the fresh
 * run's (update: generate weight - old score; regenerate: 0). */
static genc_array *branch_weight(genc_ctx *ctx, cb2_op op, const genc_gfi_call *call,
                                 genc_array *stay, const edit_parts *p, bool has_old, bool fresh) {
  genc_array *fw = NULL;
  if (fresh) {
    fw = genc__cb2_per_particle(ctx, op == CB2_UPDATE ? p->fresh.weight : NULL, call->n);
    if (fw && op == CB2_UPDATE) fw = genc_sub(ctx, fw, genc_trace_score(call->trace));
  }
  if (!fresh) return genc__cb2_per_particle(ctx, p->kept.weight, call->n);
  if (!has_old) return fw;
  genc_array *kw = genc__cb2_per_particle(ctx, p->kept.weight, call->n);
  return fw && kw ? genc_where(ctx, stay, kw, fw) : NULL;
}

static genc_status edit_branch(genc_ctx *ctx, genc_gf *gf, cb2_op op, const genc_gfi_call *call,
                               genc_array *idx, int k, const genc_choicemap *cons, sw_runs *r) {
  const sw_gf *s = genc_gf_impl(gf);
  const sw_trace *ot = genc_trace_impl(call->trace);
  genc_array *stay = genc_eq(ctx, ot->index, k);
  bool has_old = ot->sub[k] != NULL, fresh = !has_old || ot->taken != k;
  genc_gfi_call c = {.args = call->args + 1,
                     .argdiffs = genc__cb2_diffs_tail(call->argdiffs),
                     .key = call->key,
                     .n = call->n,
                     .constraints = cons,
                     .selection = call->selection,
                     .trace = ot->sub[k]};
  edit_parts p = {0};
  genc_status st = stay ? GENC_OK : genc_ctx_status(ctx);
  if (!st && has_old) st = genc__cb2_call(ctx, s->br[k], op, &c, &p.kept);
  c.argdiffs = NULL, c.trace = NULL, c.selection = NULL;
  cb2_op fop = op == CB2_UPDATE ? CB2_GENERATE : CB2_SIMULATE;
  if (!st && fresh) st = genc__cb2_call(ctx, s->br[k], fop, &c, &p.fresh);
  if (!st) {
    r->sub[k] = !fresh     ? genc_trace_retain(p.kept.trace)
                : !has_old ? genc_trace_retain(p.fresh.trace)
                           : join(ctx, s, k, call, stay, p.kept.trace, p.fresh.trace);
    r->w[k] = branch_weight(ctx, op, call, stay, &p, has_old, fresh);
    if (!r->sub[k] || !r->w[k]) st = genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_ARG;
  }
  if (!st && op == CB2_UPDATE && p.kept.discard)
    st = genc_choicemap_merge_into(ctx, r->discard, p.kept.discard, GENC_MERGE_RIGHT);
  if (!st && op == CB2_UPDATE && has_old) st = discard_left(ctx, ot, k, stay, idx, r);
  parts_clear(&p);
  return st;
}

genc_status genc__sw_edit_all(genc_ctx *ctx, genc_gf *gf, cb2_op op, const genc_gfi_call *call,
                              genc_array *idx, sw_runs *r) {
  const sw_gf *s = genc_gf_impl(gf);
  genc_choicemap *parts[SW_MAXK] = {0};
  genc_status st = op == CB2_UPDATE ? genc__sw_split_cons(ctx, gf, call, call->n, parts) : GENC_OK;
  if (!st && op == CB2_UPDATE && !(r->discard = genc_choicemap_new(ctx))) st = genc_ctx_status(ctx);
  for (int k = 0; !st && k < s->k; k++)
    st = edit_branch(ctx, gf, op, call, idx, k, parts[k], r);
  for (int k = 0; k < s->k; k++)
    genc_choicemap_free(parts[k]);
  return st;
}
