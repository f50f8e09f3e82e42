/* Switch: running the branches for one operation (one branch, or all of them
 * for a batched index) and assembling the result. */
#include <stdlib.h>

#include "comb/switch_impl.h"

void genc__sw_runs_clear(int k, sw_runs *r) {
  for (int i = 0; i < k; i++)
    genc_trace_release(r->sub[i]);
  genc_choicemap_free(r->discard);
  *r = (sw_runs){0};
}

genc_array *genc__sw_select(genc_ctx *ctx, genc_array *idx, int k, genc_array *const *vals) {
  genc_array *out = vals[k - 1];
  for (int i = k - 2; out && i >= 0; i--)
    out = genc_where(ctx, genc_eq(ctx, idx, i), vals[i], out);
  return out;
}

/* The call of branch @p k: arguments 1.., the rest as given. */
static genc_gfi_call branch_call(const genc_gfi_call *call, int64_t n) {
  genc_gfi_call c = {.args = call->args + 1,
                     .argdiffs = genc__cb2_diffs_tail(call->argdiffs),
                     .key = call->key,
                     .n = n};
  return c;
}

/* Run op of branch k and store its trace, weight and value in r. */
static genc_status run_branch(genc_ctx *ctx, const sw_gf *s, int k, cb2_op op,
                              const genc_gfi_call *c, sw_runs *r) {
  genc_gfi_result o = {0};
  genc_status st = genc__cb2_call(ctx, s->br[k], op, c, &o);
  if (st) return st;
  r->sub[k] = o.trace;
  r->w[k] = o.weight;
  r->ret[k] = o.retval;
  genc_choicemap_free(o.discard);
  return GENC_OK;
}

genc_status genc__sw_run_one(genc_ctx *ctx, genc_gf *gf, cb2_op op, const genc_gfi_call *call,
                             int taken, sw_runs *r) {
  genc_gfi_call c = branch_call(call, call->n);
  c.constraints = call->constraints;
  return run_branch(ctx, genc_gf_impl(gf), taken, op, &c, r);
}

genc_selection *genc__sw_branch_addrs(genc_ctx *ctx, const sw_gf *s, int k,
                                      const genc_gfi_call *call, int64_t n) {
  genc_gfi_call c = branch_call(call, n);
  c.argdiffs = NULL;
  genc_gfi_result o = {0};
  if (genc__cb2_call(ctx, s->br[k], CB2_SIMULATE, &c, &o)) return NULL;
  const genc_choicemap *cm = genc_trace_choices(ctx, o.trace);
  genc_selection *sel = cm ? genc_selection_from_choicemap(ctx, cm) : NULL;
  genc_trace_release(o.trace);
  return sel;
}

/* Split constraints (a union map) into each branch's part; every entry must
 * belong to some branch. parts[] stay NULL when there are no constraints. */
genc_status genc__sw_split_cons(genc_ctx *ctx, genc_gf *gf, const genc_gfi_call *call, int64_t n,
                                genc_choicemap **parts) {
  const sw_gf *s = genc_gf_impl(gf);
  if (genc_choicemap_is_empty(call->constraints)) return GENC_OK;
  genc_selection *all = genc_selection_none();
  genc_status st = GENC_OK;
  for (int k = 0; !st && k < s->k; k++) {
    genc_selection *sel = genc__sw_branch_addrs(ctx, s, k, call, n);
    genc_selection *u = sel ? genc_selection_union(ctx, all, sel) : NULL;
    parts[k] = sel ? genc_choicemap_filter(ctx, call->constraints, sel) : NULL;
    genc_selection_release(sel);
    genc_selection_release(all);
    all = u;
    if (!u || !parts[k]) st = genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_NOMEM;
  }
  genc_selection *rest = st ? NULL : genc_selection_complement(ctx, all);
  genc_choicemap *left = rest ? genc_choicemap_filter(ctx, call->constraints, rest) : NULL;
  if (!st && !left) st = genc_ctx_status(ctx);
  if (!st && !genc_choicemap_is_empty(left)) {
    char *txt = genc_choicemap_to_string(ctx, left);
    st = genc_ctx_fail(ctx, GENC_ERR_ADDRESS, "%s: constrained address(es) no branch visits:\n%s",
                       genc_gf_name(gf), txt ? txt : "?");
    free(txt);
  }
  genc_choicemap_free(left);
  genc_selection_release(rest);
  genc_selection_release(all);
  return st;
}

static void free_parts(int k, genc_choicemap **parts) {
  for (int i = 0; i < k; i++)
    genc_choicemap_free(parts[i]);
}

genc_status genc__sw_run_all(genc_ctx *ctx, genc_gf *gf, cb2_op op, const genc_gfi_call *call,
                             genc_array *idx, sw_runs *r) {
  const sw_gf *s = genc_gf_impl(gf);
  int64_t n = op == CB2_ASSESS ? genc_array_nparticles(idx) : call->n;
  genc_choicemap *parts[SW_MAXK] = {0};
  genc_status st = genc__sw_split_cons(ctx, gf, call, n, parts);
  for (int k = 0; !st && k < s->k; k++) {
    genc_gfi_call c = branch_call(call, op == CB2_ASSESS ? 0 : n);
    c.constraints = parts[k];
    st = run_branch(ctx, s, k, op, &c, r);
  }
  free_parts(s->k, parts);
  return st;
}

genc_status genc__sw_edit_one(genc_ctx *ctx, genc_gf *gf, cb2_op op, const genc_gfi_call *call,
                              int taken, sw_runs *r) {
  const sw_gf *s = genc_gf_impl(gf);
  const sw_trace *ot = genc_trace_impl(call->trace);
  genc_gfi_call c = branch_call(call, call->n);
  c.constraints = call->constraints;
  c.selection = call->selection;
  if (ot->taken == taken) {
    c.trace = ot->sub[taken];
    genc_gfi_result o = {0};
    genc_status st = genc__cb2_call(ctx, s->br[taken], op, &c, &o);
    r->sub[taken] = o.trace;
    r->w[taken] = o.weight;
    r->discard = o.discard;
    return st;
  }
  /* a new branch: update keeps the old choices it visits (Gen.jl's rule,
   * switch_keep.c); regenerate simulates it */
  c.argdiffs = NULL;
  c.selection = NULL;
  if (op == CB2_UPDATE) return genc__sw_move_one(ctx, gf, &c, taken, call->n, call->trace, r);
  genc_status st = run_branch(ctx, s, taken, CB2_SIMULATE, &c, r);
  r->w[taken] = NULL; /* regenerate: fresh and removed choices cancel, w = 0 */
  return st;
}

/* Score, value and weight of the result: the taken branch's, or selected. */
static genc_array *pick(genc_ctx *ctx, const sw_gf *s, genc_array *idx, int taken,
                        genc_array *const *vals, bool value) {
  if (taken >= 0) return vals[taken];
  if (value && s->mask) return vals[1]; /* a Mask's value: f's at every particle */
  return genc__sw_select(ctx, idx, s->k, vals);
}

static genc_status make_trace(genc_ctx *ctx, genc_gf *gf, const genc_gfi_call *call,
                              genc_array *idx, int taken, sw_runs *r, genc_gfi_result *res) {
  const sw_gf *s = genc_gf_impl(gf);
  genc_array *score[SW_MAXK] = {0}, *ret[SW_MAXK] = {0};
  for (int k = 0; k < s->k; k++)
    if (r->sub[k]) score[k] = genc_trace_score(r->sub[k]), ret[k] = genc_trace_retval(r->sub[k]);
  genc_array *sc = pick(ctx, s, idx, taken, score, false);
  genc_array *rv = pick(ctx, s, idx, taken, ret, true);
  sw_trace *t = sc && rv ? calloc(1, sizeof *t + (size_t)s->k * sizeof(genc_trace *)) : NULL;
  res->trace = t ? genc_trace_new(ctx, gf, call->args, rv, sc, call->n, t) : NULL;
  if (!res->trace) {
    free(t);
    return genc_ctx_status(ctx)
               ? genc_ctx_status(ctx)
               : genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: out of memory", genc_gf_name(gf));
  }
  t->k = s->k;
  t->taken = taken;
  t->index = genc_array_retain(idx);
  for (int k = 0; k < s->k; k++)
    t->sub[k] = r->sub[k], r->sub[k] = NULL;
  return GENC_OK;
}

genc_status genc__sw_finish(genc_ctx *ctx, genc_gf *gf, cb2_op op, const genc_gfi_call *call,
                            genc_array *idx, int taken, sw_runs *r, genc_gfi_result *res) {
  const sw_gf *s = genc_gf_impl(gf);
  int64_t n = op == CB2_ASSESS ? 0 : call->n;
  if (op != CB2_SIMULATE) {
    genc_array *w[SW_MAXK] = {0};
    for (int k = 0; k < s->k; k++)
      if (taken < 0 || k == taken)
        if (!(w[k] = genc__cb2_per_particle(ctx, r->w[k], n))) return genc_ctx_status(ctx);
    if (!(res->weight = pick(ctx, s, idx, taken, w, false))) return genc_ctx_status(ctx);
  }
  if (op == CB2_ASSESS) {
    res->retval = pick(ctx, s, idx, taken, r->ret, true);
    return res->retval ? GENC_OK : genc_ctx_status(ctx);
  }
  genc_status st = make_trace(ctx, gf, call, idx, taken, r, res);
  if (!st) res->discard = r->discard, r->discard = NULL;
  return st;
}
