/* Vectorized Switch update and regenerate (batched index): every branch is
 * updated (or regenerated) where particles keep it and generated (or
 * simulated) where they move to it (update: generated keeping the choices of
 * each old branch they leave at the addresses they share, switch_keep.c);
 * per particle the right one is kept. The
 * same key serves both runs of a branch, so particle i gets exactly what a
 * single-trace edit with genc_key_particle(key, i) gets. */
#include "comb/switch_impl.h"

/* Where branch k's particles come from: sources i < m where cond[i] holds
 * (the kept edit, or a move from an old branch keeping its choices), the
 * rest from @p rest. */
typedef struct sources {
  int m;
  genc_array *cond[SW_MAXK];
  genc_gfi_result res[SW_MAXK];
  bool moved[SW_MAXK]; /* weight = generate weight - old score */
  genc_gfi_result rest;
  bool rest_moved;
} sources;

static void sources_clear(sources *p) {
  for (int i = 0; i < p->m; i++) {
    genc_trace_release(p->res[i].trace);
    genc_choicemap_free(p->res[i].discard);
  }
  genc_trace_release(p->rest.trace);
  genc_choicemap_free(p->rest.discard);
}

/* True if some particle is in @p mask (a bool, shared or batched). */
static bool any(genc_ctx *ctx, genc_array *mask, bool *out) {
  genc_array *f = mask ? genc_astype(ctx, mask, GENC_F64) : NULL;
  if (f && genc_array_batched(f)) f = genc_particle_reduce(ctx, GENC_RMAX, f);
  double v = 0;
  if (!f || genc_array_item(ctx, f, &v)) return false;
  *out = v > 0;
  return true;
}

/* Per particle, the source's trace, as one trace of branch k (a fully
 * constrained generate of the joined choices). */
static genc_trace *join(genc_ctx *ctx, const sw_gf *s, int k, const genc_gfi_call *call,
                        const sources *p) {
  if (p->m == 0) return genc_trace_retain(p->rest.trace);
  const genc_choicemap *rc = genc_trace_choices(ctx, p->rest.trace);
  genc_choicemap *cm = rc ? genc_choicemap_copy(ctx, rc) : NULL;
  for (int i = 0; cm && i < p->m; i++) {
    const genc_choicemap *ci = genc_trace_choices(ctx, p->res[i].trace);
    genc_choicemap *nx = ci ? genc__cb2_where_merge(ctx, p->cond[i], ci, cm) : NULL;
    genc_choicemap_free(cm);
    cm = nx;
  }
  if (!cm) return NULL;
  genc_gfi_call c = {.args = call->args + 1, .key = call->key, .n = call->n, .constraints = cm};
  genc_gfi_result o = {0};
  genc_status st = genc__cb2_call(ctx, s->br[k], CB2_GENERATE, &c, &o);
  genc_choicemap_free(cm);
  return st ? NULL : o.trace;
}

static genc_array *source_weight(genc_ctx *ctx, cb2_op op, const genc_gfi_call *call,
                                 const genc_gfi_result *o, bool moved) {
  if (moved && op != CB2_UPDATE) return genc__cb2_per_particle(ctx, NULL, call->n);
  genc_array *w = genc__cb2_per_particle(ctx, o->weight, call->n);
  return w && moved ? genc_sub(ctx, w, genc_trace_score(call->trace)) : w;
}

/* Per particle, its source's weight (moves: generate weight - old score for
 * update, 0 for regenerate). */
static genc_array *branch_weight(genc_ctx *ctx, cb2_op op, const genc_gfi_call *call,
                                 const sources *p) {
  genc_array *w = source_weight(ctx, op, call, &p->rest, p->rest_moved);
  for (int i = 0; w && i < p->m; i++) {
    genc_array *wi = source_weight(ctx, op, call, &p->res[i], p->moved[i]);
    w = wi ? genc_where(ctx, p->cond[i], wi, w) : NULL;
  }
  return w;
}

/* r->discard = piece where @p cond, else what it held (a union map). */
static genc_status add_discard(genc_ctx *ctx, genc_array *cond, const genc_choicemap *piece,
                               sw_runs *r) {
  if (genc_choicemap_is_empty(piece)) return GENC_OK;
  genc_choicemap *d = genc__cb2_where_merge(ctx, cond, piece, r->discard);
  if (!d) return genc_ctx_status(ctx);
  genc_choicemap_free(r->discard);
  r->discard = d;
  return GENC_OK;
}

/* Update: particles moving from old branch j to k keep j's choices at the
 * addresses k visits (Gen.jl's rule, switch_keep.c; the addresses are those of
 * the fresh run, batched addresses not depending on values); their discard
 * is j's choices that k lacks or the constraints name. */
static genc_status add_moves(genc_ctx *ctx, const sw_gf *s, int k, const genc_gfi_call *call,
                             const genc_gfi_call *c, genc_array *idx, sources *p, sw_runs *r) {
  const sw_trace *ot = genc_trace_impl(call->trace);
  genc_selection *vis = genc__sw_visited(ctx, p->rest.trace);
  genc_selection *uncons = genc__sw_unconstrained(ctx, call->constraints);
  genc_status st = vis && uncons ? GENC_OK : genc_ctx_status(ctx);
  for (int j = 0; !st && j < s->k; j++) {
    if (j == k || !ot->sub[j]) continue;
    genc_array *from = genc_eq(ctx, ot->index, j);
    genc_array *mv = from ? genc_logical_and(ctx, from, genc_eq(ctx, idx, k)) : NULL;
    bool some = false;
    if (!any(ctx, mv, &some)) st = genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_ARG;
    if (st || !some) continue;
    const genc_choicemap *old = genc_trace_choices(ctx, ot->sub[j]);
    genc_choicemap *kept = old ? genc__sw_kept(ctx, old, vis, uncons) : NULL;
    genc_choicemap *disc = old ? genc__sw_move_discard(ctx, old, vis, call->constraints) : NULL;
    if (!kept || !disc) st = genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_NOMEM;
    if (!st) st = add_discard(ctx, mv, disc, r);
    if (!st && !genc_choicemap_is_empty(kept)) {
      st = genc__sw_generate_merged(ctx, s->br[k], c, kept, &p->res[p->m]);
      p->cond[p->m] = from, p->moved[p->m] = true;
      p->m++;
    }
    genc_choicemap_free(kept);
    genc_choicemap_free(disc);
  }
  genc_selection_release(uncons);
  genc_selection_release(vis);
  return st;
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
  sources p = {0};
  genc_gfi_result kept = {0};
  genc_status st = stay ? GENC_OK : genc_ctx_status(ctx);
  if (!st && has_old) st = genc__cb2_call(ctx, s->br[k], op, &c, &kept);
  if (!st && op == CB2_UPDATE && kept.discard) st = add_discard(ctx, stay, kept.discard, r);
  if (!fresh) p.rest = kept;
  c.argdiffs = NULL, c.trace = NULL, c.selection = NULL;
  cb2_op fop = op == CB2_UPDATE ? CB2_GENERATE : CB2_SIMULATE;
  if (!st && fresh) {
    if (has_old) p.cond[0] = stay, p.res[0] = kept, p.m = 1;
    p.rest_moved = true;
    st = genc__cb2_call(ctx, s->br[k], fop, &c, &p.rest);
    if (!st && op == CB2_UPDATE) st = add_moves(ctx, s, k, call, &c, idx, &p, r);
  } else if (fresh) {
    genc_trace_release(kept.trace);
    genc_choicemap_free(kept.discard);
  }
  if (!st) {
    r->sub[k] = join(ctx, s, k, call, &p);
    r->w[k] = branch_weight(ctx, op, call, &p);
    if (!r->sub[k] || !r->w[k]) st = genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_ARG;
  }
  sources_clear(&p);
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
