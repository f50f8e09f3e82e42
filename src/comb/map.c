/* Map: the kernel applied independently to each element of the leading axis
 * of its arguments; element t at address t. Update and regenerate revisit
 * only elements whose arguments changed or that are constrained or selected. */
#include <stdlib.h>

#include "comb/seq.h"

/* The common leading length of the arguments. */
static genc_status map_len(genc_ctx *ctx, genc_gf *gf, genc_array *const *args, int64_t *len) {
  int nargs = genc_gf_nargs(gf);
  for (int j = 0; j < nargs; j++) {
    genc_array *x = args ? args[j] : NULL;
    if (!x || genc_array_ndim(x) < 1)
      return genc_ctx_fail(ctx, GENC_ERR_ARG,
                           "%s: argument %d must be an array with a leading axis of elements%s",
                           genc_gf_name(gf), j, x ? " (it is 0-d)" : " (it is NULL)");
    int64_t d = genc_array_dim(x, 0);
    if (j > 0 && d != *len)
      return genc_ctx_fail(ctx, GENC_ERR_SHAPE,
                           "%s: argument %d has %lld elements, argument 0 has %lld",
                           genc_gf_name(gf), j, (long long)d, (long long)*len);
    *len = d;
  }
  return GENC_OK;
}

/* Update/regenerate: which elements have changed arguments (new ones too). */
static genc_status map_changes(seq_run *r, bool **changed) {
  const genc_gfi_call *c = r->call;
  bool *ch = calloc((size_t)(r->len ? r->len : 1), sizeof *ch);
  bool *tmp = calloc((size_t)(r->len ? r->len : 1), sizeof *tmp);
  genc_status st =
      ch && tmp ? GENC_OK
                : genc_ctx_fail(r->ctx, GENC_ERR_NOMEM, "%s: out of memory", genc_gf_name(r->gf));
  for (int j = 0; !st && j < genc_gf_nargs(r->gf); j++) {
    const genc_argdiff *d = c->argdiffs ? &c->argdiffs[j] : NULL;
    st = seq_changed_elems(r->ctx, d, genc_trace_arg(c->trace, j), c->args[j], r->len, tmp);
    for (int64_t t = 0; !st && t < r->len; t++)
      ch[t] = ch[t] || tmp[t];
  }
  free(tmp);
  if (st) {
    free(ch);
    return st;
  }
  *changed = ch;
  return GENC_OK;
}

static genc_status map_steps(seq_run *r, const bool *changed) {
  int nargs = genc_gf_nargs(r->gf);
  genc_argdiff same[GENC_GF_MAX_ARGS];
  genc_argdiffs_fill(same, nargs, genc_nochange());
  genc_status st = GENC_OK;
  for (int64_t t = 0; !st && t < r->len; t++) {
    const genc_trace *o = r->old && t < r->old->len ? seq_sub(r->ctx, r->old, t) : NULL;
    if (r->old && t < r->old->len && !o) return genc_ctx_status(r->ctx);
    genc_array *kargs[GENC_GF_MAX_ARGS] = {0};
    bool keep = o && changed && !changed[t];
    for (int j = 0; j < nargs; j++) /* unchanged: the old slices, no op */
      kargs[j] = keep ? genc_trace_arg(o, j) : seq_elem(r->ctx, r->call->args[j], t);
    st = seq_step(r, t, kargs, keep ? same : NULL, NULL);
  }
  return st;
}

static genc_status map_run(genc_ctx *ctx, genc_gf *gf, seq_mode mode, const genc_gfi_call *call,
                           genc_gfi_result *res) {
  seq_gf *g = genc_gf_impl(gf);
  int64_t mark = genc_scope_begin(ctx);
  seq_run r = {.ctx = ctx, .gf = gf, .kernel = g->kernel, .mode = mode, .call = call};
  if (call->trace) r.old = genc_trace_impl(call->trace);
  bool *changed = NULL;
  genc_status st = map_len(ctx, gf, call->args, &r.len);
  if (!st) st = seq_run_init(&r);
  if (!st && r.old) st = map_changes(&r, &changed);
  if (!st) st = map_steps(&r, changed);
  free(changed);
  if (!st) st = seq_run_finish(&r, -1, res);
  return seq_close(ctx, mark, st, &r, res);
}

static genc_status map_simulate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                                genc_gfi_result *r) {
  return map_run(c, g, SEQ_SIMULATE, k, r);
}
static genc_status map_generate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                                genc_gfi_result *r) {
  return map_run(c, g, SEQ_GENERATE, k, r);
}
static genc_status map_update(genc_ctx *c, genc_gf *g, const genc_gfi_call *k, genc_gfi_result *r) {
  return map_run(c, g, SEQ_UPDATE, k, r);
}
static genc_status map_regenerate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                                  genc_gfi_result *r) {
  return map_run(c, g, SEQ_REGENERATE, k, r);
}
static genc_status map_assess(genc_ctx *c, genc_gf *g, const genc_gfi_call *k, genc_gfi_result *r) {
  return map_run(c, g, SEQ_ASSESS, k, r);
}

static const genc_gf_type map_type = {
    .name = "map",
    .simulate = map_simulate,
    .generate = map_generate,
    .update = map_update,
    .regenerate = map_regenerate,
    .assess = map_assess,
    .project = seq_project,
    .trace_map = seq_trace_map,
    .trace_take = seq_trace_take,
    .trace_retval = seq_trace_retval,
    .trace_support = seq_trace_support,
    .trace_choices = seq_trace_choices,
    .trace_free = seq_trace_free,
    .gf_free = seq_gf_free,
};

genc_gf *genc_map(genc_gf *kernel) {
  if (!kernel || genc_gf_nargs(kernel) < 1) return NULL;
  return seq_gf_new(&map_type, "Map", kernel, genc_gf_nargs(kernel), NULL, NULL);
}
