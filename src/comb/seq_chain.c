/* The chain shared by Unfold and Scan: step t runs the kernel on the carry
 * of step t-1 (the initial carry for t = 0), a per-step input and the
 * parameters. Unfold(T, init, params...) calls kernel(t, state, params...);
 * Scan(carry0, xs, params...) calls kernel(carry, xs[t], params...). So the
 * combinator's argument at the carry's position is the initial carry, the one
 * at the input's position gives the inputs, and parameters pass through.
 * Update skips steps whose inputs did not change and that are neither
 * constrained nor selected; a revisited step passes its carry on as changed
 * only if its value changed. */
#include <stdlib.h>

#include "comb/seq.h"

typedef struct chain {
  seq_run r;
  bool scan;
  int carry_pos, x_pos; /* positions in the kernel's (and the combinator's) arguments */
  bool *x_changed;      /* update/regenerate, Scan: per-step input changed */
  bool params_changed, init_changed;
} chain;

static genc_status chain_len(chain *c) {
  genc_ctx *ctx = c->r.ctx;
  genc_array *const *args = c->r.call->args;
  genc_array *x = args ? args[c->x_pos] : NULL;
  if (!c->scan) return seq_read_len(ctx, c->r.gf, x, "step count T (argument 0)", &c->r.len);
  if (!x || genc_array_ndim(x) < 1)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "%s: xs (argument 1) must be an array with a leading axis of steps",
                         genc_gf_name(c->r.gf));
  c->r.len = genc_array_dim(x, 0);
  return GENC_OK;
}

/* Update/regenerate: what changed in the arguments. */
static genc_status chain_changes(chain *c) {
  const genc_gfi_call *call = c->r.call;
  genc_ctx *ctx = c->r.ctx;
  const genc_argdiff *d = call->argdiffs;
  for (int j = 2; j < genc_gf_nargs(c->r.gf); j++)
    c->params_changed =
        c->params_changed ||
        !seq_arg_unchanged(ctx, d, j, genc_trace_arg(call->trace, j), call->args[j]);
  int p = c->carry_pos;
  c->init_changed = !seq_arg_unchanged(ctx, d, p, genc_trace_arg(call->trace, p), call->args[p]);
  if (!c->scan) return GENC_OK;
  c->x_changed = calloc((size_t)(c->r.len ? c->r.len : 1), sizeof *c->x_changed);
  if (!c->x_changed)
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: out of memory", genc_gf_name(c->r.gf));
  return seq_changed_elems(ctx, d ? &d[1] : NULL, genc_trace_arg(call->trace, 1), call->args[1],
                           c->r.len, c->x_changed);
}

static genc_array *carry_of(chain *c, genc_array *ret) {
  seq_gf *g = genc_gf_impl(c->r.gf);
  return g->carry && ret ? g->carry(c->r.ctx, ret, g->user) : ret;
}

/* Did a revisited step pass on the same carry? (Scan: the carries, not the
 * packed return values, whose outputs may differ.) */
static bool same_carry(chain *c, genc_array *ret, genc_array *old_ret) {
  if (ret == old_ret) return true;
  int64_t mark = genc_scope_begin(c->r.ctx);
  bool same = seq_same_value(c->r.ctx, carry_of(c, ret), carry_of(c, old_ret));
  genc_scope_end(c->r.ctx, mark);
  return same;
}

/* Fresh kernel arguments for step t from the previous step's return value. */
static void fresh_args(chain *c, int64_t t, genc_array **kargs) {
  genc_ctx *ctx = c->r.ctx;
  genc_array *const *args = c->r.call->args;
  for (int j = 2; j < genc_gf_nargs(c->r.gf); j++)
    kargs[j] = args[j];
  kargs[c->carry_pos] = t == 0 ? args[c->carry_pos] : carry_of(c, c->r.rets[t - 1]);
  kargs[c->x_pos] =
      c->scan ? seq_elem(ctx, args[c->x_pos], t) : genc_scalar_of(ctx, (double)t, GENC_I32);
}

/* Update: the first step that may change. Every step before it has the old
 * inputs (the initial carry and the parameters unchanged, no changed input
 * element, no constraint), so all of them are the old steps. */
static int64_t first_changed(chain *c) {
  seq_run *r = &c->r;
  const seq_gf *g = genc_gf_impl(r->gf);
  if (r->mode != SEQ_UPDATE || !r->old || g->no_skip || c->init_changed || c->params_changed)
    return 0;
  int64_t first = r->len < r->old->len ? r->len : r->old->len;
  if (r->ncons && r->cons[0] < first) first = r->cons[0] < 0 ? 0 : r->cons[0];
  for (int64_t t = 0; c->x_changed && t < first; t++)
    if (c->x_changed[t]) first = t;
  return first;
}

static genc_status chain_steps(chain *c) {
  seq_run *r = &c->r;
  const seq_gf *g = genc_gf_impl(r->gf);
  /* the kept prefix in O(first / SEQ_CHUNK): its chunks are shared, and only
   * the last kept step's value (the next carry) is read */
  int64_t first = first_changed(c);
  if (first > 0) {
    if (!seq_share_prefix(r->ctx, r->tr, r->old, first)) return genc_ctx_status(r->ctx);
    r->kept = first;
    if (!seq_sub_retval(r->ctx, r->old, first - 1, &r->rets[first - 1]))
      return genc_ctx_status(r->ctx);
  }
  int nargs = genc_gf_nargs(r->gf);
  genc_argdiff kd[GENC_GF_MAX_ARGS];
  bool carry_changed = c->init_changed;
  genc_status st = GENC_OK;
  for (int64_t t = first; !st && t < r->len; t++) {
    const genc_trace *o = r->old && t < r->old->len ? seq_sub(r->ctx, r->old, t) : NULL;
    if (r->old && t < r->old->len && !o) return genc_ctx_status(r->ctx);
    genc_array *kargs[GENC_GF_MAX_ARGS] = {0};
    bool x_ch = c->x_changed && c->x_changed[t];
    bool keep = o && !carry_changed && !x_ch && !c->params_changed && !g->no_skip;
    genc_argdiffs_fill(kd, nargs, genc_nochange());
    if (keep) { /* the old step's inputs, by pointer: no op, and the kernel sees no change */
      for (int j = 0; j < nargs; j++)
        kargs[j] = genc_trace_arg(o, j);
    } else {
      fresh_args(c, t, kargs);
      for (int j = 2; j < nargs; j++)
        if (c->params_changed) kd[j] = genc_unknown();
      if (carry_changed) kd[c->carry_pos] = genc_unknown();
      if (x_ch) kd[c->x_pos] = genc_unknown();
    }
    bool rev = false;
    st = seq_step(r, t, kargs, kd, &rev);
    carry_changed = !st && rev && (!o || !same_carry(c, r->rets[t], genc_trace_retval(o)));
  }
  return st;
}

genc_status seq_chain_run(genc_ctx *ctx, genc_gf *gf, seq_mode mode, const genc_gfi_call *call,
                          genc_gfi_result *res, bool scan) {
  seq_gf *g = genc_gf_impl(gf);
  int64_t mark = genc_scope_begin(ctx);
  chain c = {.r = {.ctx = ctx, .gf = gf, .kernel = g->kernel, .mode = mode, .call = call},
             .scan = scan,
             .carry_pos = scan ? 0 : 1,
             .x_pos = scan ? 1 : 0};
  if (call->trace) c.r.old = genc_trace_impl(call->trace);
  genc_status st = call->args
                       ? chain_len(&c)
                       : genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: NULL arguments", genc_gf_name(gf));
  if (!st) st = seq_run_init(&c.r);
  if (!st && c.r.old) st = chain_changes(&c);
  if (!st) st = chain_steps(&c);
  free(c.x_changed);
  if (!st) st = seq_run_finish(&c.r, c.carry_pos, res);
  return seq_close(ctx, mark, st, &c.r, res);
}

#define SEQ_CHAIN_DEF(name, mode)                                                                  \
  SEQ_CHAIN_OP(name) {                                                                             \
    return seq_chain_run(ctx, gf, mode, call, res, ((seq_gf *)genc_gf_impl(gf))->scan);            \
  }
SEQ_CHAIN_DEF(seq_chain_simulate, SEQ_SIMULATE)
SEQ_CHAIN_DEF(seq_chain_generate, SEQ_GENERATE)
SEQ_CHAIN_DEF(seq_chain_update, SEQ_UPDATE)
SEQ_CHAIN_DEF(seq_chain_regenerate, SEQ_REGENERATE)
SEQ_CHAIN_DEF(seq_chain_assess, SEQ_ASSESS)
