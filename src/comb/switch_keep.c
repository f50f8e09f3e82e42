/* Switch update across an index change, by Gen.jl's rule
 * (src/modeling_library/switch/update.jl): the new branch is generated with
 * the previous choices merged under the constraints (constraints win), so an
 * address both branches visit keeps its old value; w = generate weight - old
 * score; the discard holds the previous choices at addresses the new trace
 * lacks or the constraints name.
 *
 * genc's generate fails on constraints the run never visits, so the previous
 * choices are first restricted to the addresses the new branch visits, found
 * by running it: a first generate with the constraints alone visits V0; the
 * old choices at V0 (less the constrained ones) join the constraints and the
 * branch runs again, and so on until the kept set stops growing. Each round
 * keeps a superset of the last (every kept address was visited), so this ends
 * after at most (number of old choices) rounds, usually one; a fresh choice
 * depends only on the key and its address, so the fixpoint is exactly Gen.jl's
 * generate with the merged map. In batched mode addresses cannot depend on
 * values, so one round suffices. One case is refused (GENC_ERR_ADDRESS): a
 * kept old value that makes the branch skip another kept address (an address
 * the fresh run visited and the old value's branch does not), which Gen.jl
 * would silently drop. */
#include <stdio.h>

#include "comb/switch_impl.h"

genc_selection *genc__sw_visited(genc_ctx *ctx, const genc_trace *t) {
  const genc_choicemap *cm = genc_trace_choices(ctx, t);
  return cm ? genc_selection_from_choicemap(ctx, cm) : NULL;
}

/* Every address except the constrained ones (all when @p cons is empty). */
genc_selection *genc__sw_unconstrained(genc_ctx *ctx, const genc_choicemap *cons) {
  if (genc_choicemap_is_empty(cons)) return genc_selection_all();
  genc_selection *c = genc_selection_from_choicemap(ctx, cons);
  genc_selection *r = c ? genc_selection_complement(ctx, c) : NULL;
  genc_selection_release(c);
  return r;
}

genc_choicemap *genc__sw_kept(genc_ctx *ctx, const genc_choicemap *old, genc_selection *visited,
                              genc_selection *uncons) {
  genc_selection *s = genc_selection_intersection(ctx, visited, uncons);
  genc_choicemap *k = s ? genc_choicemap_filter(ctx, old, s) : NULL;
  genc_selection_release(s);
  return k;
}

genc_choicemap *genc__sw_move_discard(genc_ctx *ctx, const genc_choicemap *old,
                                      genc_selection *visited, const genc_choicemap *cons) {
  genc_selection *gone = genc_selection_complement(ctx, visited);
  genc_selection *c = genc_choicemap_is_empty(cons) ? genc_selection_none()
                                                    : genc_selection_from_choicemap(ctx, cons);
  genc_selection *s = gone && c ? genc_selection_union(ctx, gone, c) : NULL;
  genc_choicemap *d = s ? genc_choicemap_filter(ctx, old, s) : NULL;
  genc_selection_release(s);
  genc_selection_release(c);
  genc_selection_release(gone);
  return d;
}

genc_status genc__sw_generate_merged(genc_ctx *ctx, genc_gf *branch, const genc_gfi_call *c,
                                     const genc_choicemap *kept, genc_gfi_result *out) {
  genc_choicemap *given = genc_choicemap_merge(ctx, c->constraints, kept, GENC_MERGE_RIGHT);
  if (!given) return genc_ctx_status(ctx);
  genc_gfi_call g = *c;
  g.constraints = given;
  genc_status st = genc__cb2_call(ctx, branch, CB2_GENERATE, &g, out);
  genc_choicemap_free(given);
  return st;
}

/* One round: the kept old choices for the run @p t; *grew when more than @p prev. */
static genc_choicemap *round_kept(genc_ctx *ctx, const genc_choicemap *old, const genc_trace *t,
                                  genc_selection *uncons, int64_t prev, bool *grew) {
  genc_selection *v = genc__sw_visited(ctx, t);
  genc_choicemap *k = v ? genc__sw_kept(ctx, old, v, uncons) : NULL;
  genc_selection_release(v);
  int64_t n = k ? genc_choicemap_num_values(k) : -1;
  if (n < 0) {
    genc_choicemap_free(k);
    return NULL;
  }
  *grew = n > prev;
  return k;
}

/* A kept old value made the branch skip an address kept with it: control
 * flow depending on the values of shared choices (single-trace only). */
static genc_status explain(genc_ctx *ctx, genc_gf *branch) {
  char msg[512];
  snprintf(msg, sizeof msg, "%s", genc_ctx_error(ctx));
  return genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                       "switch to branch %s: keeping the previous choices it visits changes which "
                       "addresses it visits (unsupported): %s",
                       genc_gf_name(branch), msg);
}

/* The fixpoint of the header: generate @p branch keeping what it can of @p old. */
static genc_status generate_keeping(genc_ctx *ctx, genc_gf *branch, const genc_gfi_call *c,
                                    const genc_choicemap *old, genc_gfi_result *o) {
  genc_selection *uncons = genc__sw_unconstrained(ctx, c->constraints);
  genc_status st = uncons ? genc__cb2_call(ctx, branch, CB2_GENERATE, c, o) : genc_ctx_status(ctx);
  int64_t prev = 0;
  bool grew = true;
  while (!st && grew) {
    genc_choicemap *k = round_kept(ctx, old, o->trace, uncons, prev, &grew);
    if (!k) st = genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_NOMEM;
    if (!st && grew) {
      prev = genc_choicemap_num_values(k);
      genc_trace_release(o->trace);
      *o = (genc_gfi_result){0};
      st = genc__sw_generate_merged(ctx, branch, c, k, o);
      if (st == GENC_ERR_ADDRESS) st = explain(ctx, branch);
    }
    genc_choicemap_free(k);
  }
  genc_selection_release(uncons);
  return st;
}

genc_status genc__sw_move_one(genc_ctx *ctx, genc_gf *gf, const genc_gfi_call *c, int taken,
                              int64_t n, const genc_trace *old_trace, sw_runs *r) {
  const sw_gf *s = genc_gf_impl(gf);
  const sw_trace *ot = genc_trace_impl(old_trace);
  const genc_choicemap *old = genc_trace_choices(ctx, ot->sub[ot->taken]);
  genc_gfi_result o = {0};
  genc_status st = old ? generate_keeping(ctx, s->br[taken], c, old, &o) : genc_ctx_status(ctx);
  if (st) {
    genc_trace_release(o.trace);
    return st;
  }
  r->sub[taken] = o.trace;
  genc_array *w = genc__cb2_per_particle(ctx, o.weight, n);
  r->w[taken] = w ? genc_sub(ctx, w, genc_trace_score(old_trace)) : NULL;
  genc_selection *v = genc__sw_visited(ctx, o.trace);
  r->discard = v ? genc__sw_move_discard(ctx, old, v, c->constraints) : NULL;
  genc_selection_release(v);
  return r->w[taken] && r->discard ? GENC_OK : genc_ctx_status(ctx);
}
