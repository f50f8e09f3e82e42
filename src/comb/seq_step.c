/* One GFI operation of a sequence combinator, step by step: each step runs
 * (or reuses) one kernel trace at index address t, and its score, weight and
 * discard join the operation's. Weights follow Gen.jl: update adds the
 * kernel's update weight of kept steps and the generate weight of new ones and
 * subtracts removed steps' scores; regenerate counts only kept steps. */
#include <stdio.h>
#include <stdlib.h>

#include "comb/seq.h"

static bool acc(genc_ctx *ctx, genc_array **a, genc_array *x, int sign) {
  if (!x) return false;
  if (sign < 0) x = genc_neg(ctx, x);
  *a = *a ? genc_add(ctx, *a, x) : x;
  return *a != NULL;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Update: the steps the constraints name, from the constraint map's children
 * (so a step is checked against them by a cursor, not by a lookup per step). */
static genc_status constrained_steps(seq_run *r) {
  const genc_choicemap *cm = r->call->constraints;
  int64_t k = cm ? genc_choicemap_count(cm) : 0;
  r->cons = malloc((size_t)(k ? k : 1) * sizeof *r->cons);
  if (!r->cons) return GENC_ERR_NOMEM;
  for (int64_t i = 0; i < k; i++) {
    genc_comp c;
    const genc_choicemap *ch = genc_choicemap_child(cm, i, &c);
    if (genc_comp_index(c) >= 0 && !genc_choicemap_is_empty(ch))
      r->cons[r->ncons++] = genc_comp_index(c);
  }
  qsort(r->cons, (size_t)r->ncons, sizeof *r->cons, cmp_i64);
  return GENC_OK;
}

/* Is step t constrained? Steps are asked in increasing order. */
static bool is_constrained(seq_run *r, int64_t t) {
  while (r->ci < r->ncons && r->cons[r->ci] < t)
    r->ci++;
  return r->ci < r->ncons && r->cons[r->ci] == t;
}

/* The new trace's step cache: an Unfold's or Scan's generate or update
 * shares the old trace's, or starts one (NULL: new steps run eagerly). */
static seq_stepcache *stepcache_of(seq_run *r) {
  const seq_gf *g = genc_gf_impl(r->gf);
  bool chain = genc_gf_type_of(r->gf)->generate == seq_chain_generate;
  if (!chain || g->no_replay) return NULL;
  if (r->old && r->old->steps && seq_stepcache_ctx(r->old->steps) == r->ctx)
    return seq_stepcache_retain(r->old->steps);
  return r->mode == SEQ_GENERATE || r->mode == SEQ_UPDATE ? seq_stepcache_new(r->ctx) : NULL;
}

genc_status seq_run_init(seq_run *r) {
  int64_t cap = r->len > 0 ? r->len : 1;
  r->rets = calloc((size_t)cap, sizeof *r->rets);
  if (r->mode != SEQ_ASSESS) r->tr = seq_trace_alloc(r->len);
  if (r->tr) r->tr->steps = stepcache_of(r);
  if (r->mode == SEQ_UPDATE) r->discard = genc_choicemap_new(r->ctx);
  bool ok = r->rets && (r->mode == SEQ_ASSESS || r->tr) &&
            (r->mode != SEQ_UPDATE || (r->discard && !constrained_steps(r)));
  if (ok) return GENC_OK;
  return genc_ctx_fail(r->ctx, GENC_ERR_NOMEM, "%s: out of memory for %lld steps",
                       genc_gf_name(r->gf), (long long)r->len);
}

void seq_run_free(seq_run *r) {
  if (r->tr) {
    r->tr->len = r->len;
    seq_trace_free(r->tr);
  }
  free(r->rets);
  free(r->cons);
  genc_choicemap_free(r->discard);
  r->tr = NULL, r->rets = NULL, r->discard = NULL, r->cons = NULL;
}

/* Run the kernel's operation for step t; *reuse set when the old step stands. */
static genc_status step_op(seq_run *r, genc_gfi_call *kc, const genc_trace *o, bool unchanged,
                           genc_gfi_result *kr, bool *reuse) {
  const genc_gf_type *ty = genc_gf_type_of(r->kernel);
  genc_ctx *ctx = r->ctx;
  *reuse = false;
  switch (r->mode) {
  case SEQ_SIMULATE: return ty->simulate(ctx, r->kernel, kc, kr);
  case SEQ_GENERATE: return seq_stepcache_generate(r->tr->steps, ctx, r->kernel, kc, kr);
  case SEQ_ASSESS: return ty->assess(ctx, r->kernel, kc, kr);
  case SEQ_UPDATE: /* a new step: replayed where its capture applies */
    if (!o) return seq_stepcache_generate(r->tr->steps, ctx, r->kernel, kc, kr);
    if ((*reuse = unchanged && genc_choicemap_is_empty(kc->constraints))) return GENC_OK;
    kc->trace = o;
    return ty->update(ctx, r->kernel, kc, kr);
  case SEQ_REGENERATE: break; /* regen_op */
  }
  return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: bad mode", genc_gf_name(r->gf));
}

static genc_status regen_op(seq_run *r, genc_gfi_call *kc, int64_t t, const genc_trace *o,
                            bool unchanged, genc_gfi_result *kr, bool *reuse) {
  const genc_gf_type *ty = genc_gf_type_of(r->kernel);
  *reuse = false;
  if (!o) return ty->simulate(r->ctx, r->kernel, kc, kr);
  genc_selection *sel = genc_selection_sub(r->ctx, r->call->selection, genc_idx(t));
  if (!sel) return genc_ctx_status(r->ctx);
  genc_status st = GENC_OK;
  if (!(*reuse = unchanged && genc_selection_is_none(sel))) {
    kc->trace = o;
    kc->selection = sel;
    st = ty->regenerate(r->ctx, r->kernel, kc, kr);
  }
  genc_selection_release(sel);
  return st;
}

/* Fold the kernel's result for step t into the run. */
static genc_status absorb(seq_run *r, int64_t t, const genc_trace *o, genc_gfi_result *kr) {
  genc_ctx *ctx = r->ctx;
  bool ok = true;
  if (r->mode == SEQ_ASSESS) {
    r->rets[t] = kr->retval;
    ok = acc(ctx, &r->dscore, kr->weight, 1);
    return ok ? GENC_OK : genc_ctx_status(ctx);
  }
  genc_trace *kt = kr->trace;
  kr->trace = NULL;
  if (!seq_set_sub(r->tr, t, kt)) {
    genc_choicemap_free(kr->discard);
    kr->discard = NULL;
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: out of memory", genc_gf_name(r->gf));
  }
  r->rets[t] = genc_trace_retval(kt);
  ok = acc(ctx, &r->dscore, genc_trace_score(kt), 1);
  if (ok && o) ok = acc(ctx, &r->dscore, genc_trace_score(o), -1);
  bool weighs =
      r->mode == SEQ_GENERATE || r->mode == SEQ_UPDATE || (r->mode == SEQ_REGENERATE && o);
  if (ok && weighs && kr->weight) ok = acc(ctx, &r->weight, kr->weight, 1);
  if (ok && kr->discard && !genc_choicemap_is_empty(kr->discard)) {
    ok = !genc_choicemap_set_submap(ctx, r->discard, genc_idx(t), kr->discard);
    kr->discard = NULL;
  }
  genc_choicemap_free(kr->discard);
  return ok ? GENC_OK : genc_ctx_status(ctx);
}

/* Keep the old step t as it is (shared, not copied). */
static genc_status reuse_step(seq_run *r, int64_t t, const genc_trace *o) {
  if (!seq_set_sub(r->tr, t, genc_trace_retain((genc_trace *)o)))
    return genc_ctx_fail(r->ctx, GENC_ERR_NOMEM, "%s: out of memory", genc_gf_name(r->gf));
  r->rets[t] = genc_trace_retval(o);
  if (t == r->kept) r->kept++;
  return GENC_OK;
}

genc_status seq_step(seq_run *r, int64_t t, genc_array *const *kargs, const genc_argdiff *kd,
                     bool *revisited) {
  genc_ctx *ctx = r->ctx;
  const genc_trace *o = r->old && t < r->old->len ? seq_sub(ctx, r->old, t) : NULL;
  if (r->old && t < r->old->len && !o) return genc_ctx_status(ctx);
  if (((seq_gf *)genc_gf_impl(r->gf))->no_skip) kd = NULL; /* rerun every step */
  bool unchanged = kd && genc_argdiffs_all_unchanged(kd, genc_gf_nargs(r->kernel));
  if (revisited) *revisited = true;
  /* the common case of an update, decided without a key or a constraint lookup */
  if (r->mode == SEQ_UPDATE && o && unchanged && !is_constrained(r, t)) {
    if (revisited) *revisited = false;
    return reuse_step(r, t, o);
  }
  genc_gfi_call kc = *r->call; /* keeps n and any field this layer does not know */
  kc.args = kargs;
  kc.argdiffs = kd;
  kc.key = genc_key_fold_in(r->call->key, (uint64_t)t);
  kc.constraints = NULL, kc.selection = NULL, kc.trace = NULL;
  if (r->mode == SEQ_GENERATE || r->mode == SEQ_UPDATE || r->mode == SEQ_ASSESS) {
    kc.constraints = genc_choicemap_submap(r->call->constraints, genc_idx(t));
    if (genc_choicemap_value(kc.constraints))
      return genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                           "%s: the constraint at %lld is a value, but step %lld is a call of %s",
                           genc_gf_name(r->gf), (long long)t, (long long)t,
                           genc_gf_name(r->kernel));
  }
  genc_gfi_result kr = {0};
  bool reuse = false;
  genc_status st = r->mode == SEQ_REGENERATE ? regen_op(r, &kc, t, o, unchanged, &kr, &reuse)
                                             : step_op(r, &kc, o, unchanged, &kr, &reuse);
  if (revisited) *revisited = !reuse;
  if (st) {
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", genc_ctx_error(ctx));
    return genc_ctx_fail(ctx, st, "%s, step %lld: %s", genc_gf_name(r->gf), (long long)t, msg);
  }
  if (reuse) return reuse_step(r, t, o);
  r->runs++;
  return absorb(r, t, o, &kr);
}
