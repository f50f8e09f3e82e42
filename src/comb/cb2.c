/* Helpers shared by the combinators of the second half (see cb2.h). */
#include "comb/cb2.h"

genc_status genc__cb2_call(genc_ctx *ctx, genc_gf *gf, cb2_op op, const genc_gfi_call *call,
                           genc_gfi_result *res) {
  const genc_gf_type *ty = genc_gf_type_of(gf);
  switch (op) {
  case CB2_SIMULATE: return ty->simulate(ctx, gf, call, res);
  case CB2_GENERATE: return ty->generate(ctx, gf, call, res);
  case CB2_UPDATE: return ty->update(ctx, gf, call, res);
  case CB2_REGENERATE: return ty->regenerate(ctx, gf, call, res);
  case CB2_ASSESS: return ty->assess(ctx, gf, call, res);
  case CB2_PROJECT: return ty->project(ctx, gf, call, res);
  }
  return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: unknown operation", genc_gf_name(gf));
}

genc_array *genc__cb2_per_particle(genc_ctx *ctx, genc_array *w, int64_t n) {
  if (!w) w = genc_scalar(ctx, 0.0);
  if (w && n > 0 && !genc_array_batched(w)) w = genc_particle_broadcast(ctx, w, n);
  return w;
}

typedef struct merge_state {
  genc_ctx *ctx;
  genc_choicemap *out;
  const genc_choicemap *other;
  genc_array *cond;
  bool first; /* visiting a (where against b) or b (only what a lacks) */
} merge_state;

static int merge_leaf(const genc_comp *path, int len, genc_array *v, void *user) {
  merge_state *s = user;
  genc_array *o = genc_choicemap_lookup_path(s->other, path, len);
  if (!s->first && o) return 0; /* done while visiting a */
  genc_array *x = s->first && o ? genc_where(s->ctx, s->cond, v, o) : v;
  return genc_choicemap_set_path(s->ctx, s->out, path, len, x) ? 1 : 0;
}

genc_choicemap *genc__cb2_where_merge(genc_ctx *ctx, genc_array *cond, const genc_choicemap *a,
                                      const genc_choicemap *b) {
  genc_choicemap *out = genc_choicemap_new(ctx);
  if (!out) return NULL;
  merge_state s = {ctx, out, b, cond, true};
  int r = genc_choicemap_foreach(a, merge_leaf, &s);
  s.other = a;
  s.first = false;
  if (!r) r = genc_choicemap_foreach(b, merge_leaf, &s);
  if (r) {
    if (!genc_ctx_status(ctx))
      genc_ctx_fail(ctx, GENC_ERR_ADDRESS, "choice map nests deeper than GENC_ADDR_MAX");
    genc_choicemap_free(out);
    return NULL;
  }
  return out;
}

genc_choicemap *genc__cb2_choices_copy(genc_ctx *ctx, const genc_trace *t) {
  const genc_choicemap *cm = genc_trace_choices(ctx, t);
  return cm ? genc_choicemap_copy(ctx, cm) : NULL;
}

void genc__cb2_keep(genc_ctx *ctx, int64_t mark, genc_gfi_result *res) {
  genc_array *keep[2];
  int k = 0;
  if (res->weight) keep[k++] = res->weight;
  if (res->retval) keep[k++] = res->retval;
  genc_scope_end_keep(ctx, mark, keep, k);
}
