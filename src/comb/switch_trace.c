/* Switch traces: project, choices, particle maps and freeing. */
#include <math.h>
#include <stdlib.h>

#include "comb/switch_impl.h"

void genc__sw_trace_free(void *impl) {
  sw_trace *t = impl;
  for (int k = 0; k < t->k; k++)
    genc_trace_release(t->sub[k]);
  genc_array_release(t->index);
  free(t);
}

genc_status genc__sw_project(genc_ctx *ctx, genc_gf *gf, const genc_gfi_call *call,
                             genc_gfi_result *res) {
  const sw_trace *t = genc_trace_impl(call->trace);
  int64_t mark = genc_scope_begin(ctx);
  genc_array *w[SW_MAXK] = {0};
  genc_status st = GENC_OK;
  for (int k = 0; !st && k < t->k; k++) {
    if (!t->sub[k]) continue;
    genc_gfi_call c = {.trace = t->sub[k], .selection = call->selection, .n = call->n};
    genc_gfi_result o = {0};
    st = genc__cb2_call(ctx, genc_trace_gf(t->sub[k]), CB2_PROJECT, &c, &o);
    if (!st && !(w[k] = genc__cb2_per_particle(ctx, o.weight, call->n))) st = genc_ctx_status(ctx);
  }
  if (!st) {
    res->weight = t->taken >= 0 ? w[t->taken] : genc__sw_select(ctx, t->index, t->k, w);
    if (!res->weight) st = genc_ctx_status(ctx);
  }
  if (st) {
    genc_scope_end(ctx, mark);
    return st;
  }
  (void)gf;
  genc__cb2_keep(ctx, mark, res);
  return GENC_OK;
}

genc_status genc__sw_trace_choices(genc_ctx *ctx, const genc_trace *tr, genc_choicemap *out) {
  const sw_trace *t = genc_trace_impl(tr);
  const genc_trace *one = t->taken >= 0 ? t->sub[t->taken] : NULL;
  if (one) return genc_gf_type_of(genc_trace_gf(one))->trace_choices(ctx, one, out);
  /* the union: branch k's value where the index is k, padded elsewhere */
  int64_t mark = genc_scope_begin(ctx);
  genc_choicemap *acc = genc_choicemap_new(ctx);
  for (int k = t->k - 1; acc && k >= 0; k--) {
    const genc_choicemap *cm = genc_trace_choices(ctx, t->sub[k]);
    genc_choicemap *next =
        cm ? genc__cb2_where_merge(ctx, genc_eq(ctx, t->index, k), cm, acc) : NULL;
    genc_choicemap_free(acc);
    acc = next;
  }
  genc_status st =
      acc ? genc_choicemap_merge_into(ctx, out, acc, GENC_MERGE_RIGHT) : genc_ctx_status(ctx);
  genc_choicemap_free(acc);
  genc_scope_end(ctx, mark);
  return st;
}

static genc_trace *map_sub(genc_ctx *ctx, const genc_trace *s, genc_array_map_fn f, void *user,
                           int64_t n) {
  return genc_gf_type_of(genc_trace_gf(s))->trace_map(ctx, s, f, user, n);
}

/* The branch particle @p idx (now shared) took, for a map down to one trace. */
static int collapsed_branch(genc_ctx *ctx, const sw_trace *t, genc_array *idx, int64_t n) {
  if (t->taken >= 0 || n > 0) return t->taken;
  double v = -1;
  if (genc_array_item(ctx, idx, &v)) return -2;
  return (int)v;
}

genc_trace *genc__sw_trace_map(genc_ctx *ctx, const genc_trace *tr, genc_array_map_fn f, void *user,
                               int64_t n) {
  const sw_trace *t = genc_trace_impl(tr);
  genc_gf *gf = genc_trace_gf(tr);
  const sw_gf *s = genc_gf_impl(gf);
  genc_array *idx = f(ctx, t->index, user);
  int taken = idx ? collapsed_branch(ctx, t, idx, n) : -2;
  sw_trace *nt = taken >= -1 ? calloc(1, sizeof *nt + (size_t)t->k * sizeof(genc_trace *)) : NULL;
  bool ok = nt != NULL;
  for (int k = 0; ok && k < t->k; k++)
    if (t->sub[k] && (taken < 0 || k == taken))
      ok = (nt->sub[k] = map_sub(ctx, t->sub[k], f, user, n));
  genc_array *args[GENC_GF_MAX_ARGS] = {0};
  for (int i = 0; ok && i < genc_gf_nargs(gf); i++)
    ok = (args[i] = f(ctx, genc_trace_arg(tr, i), user)) != NULL;
  genc_array *ret = NULL, *score = ok ? f(ctx, genc_trace_score(tr), user) : NULL;
  if (score && s->mask && taken == 0)
    ret = genc_scalar(ctx, NAN); /* a Mask that was off: as its single run */
  else if (score)
    ret = taken >= 0 ? genc_trace_retval(nt->sub[taken]) : f(ctx, genc_trace_retval(tr), user);
  genc_trace *out = ret ? genc_trace_new(ctx, gf, args, ret, score, n, nt) : NULL;
  if (!out && nt) {
    nt->k = t->k;
    genc__sw_trace_free(nt);
    return NULL;
  }
  if (out) {
    nt->k = t->k;
    nt->taken = taken;
    nt->index = genc_array_retain(idx);
  }
  return out;
}
