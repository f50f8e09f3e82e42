/* Vmap traces: project, choices, trace_map and freeing, each through the
 * kernel's flat trace and the reshapes of vmap_flat.c. */
#include <stdlib.h>

#include "comb/vmap.h"

genc_status vm_project(genc_ctx *ctx, genc_gf *gf, const genc_gfi_call *call,
                       genc_gfi_result *res) {
  const vmap_trace *vt = genc_trace_impl(call->trace);
  genc_gf *k = genc_trace_gf(vt->inner);
  int64_t mark = genc_scope_begin(ctx);
  genc_gfi_call kc = {
      .trace = vt->inner, .selection = call->selection, .n = genc_trace_nparticles(vt->inner)};
  genc_gfi_result kr = {0};
  genc_status st = genc_gf_type_of(k)->project(ctx, k, &kc, &kr);
  genc_array *w = st ? NULL : vm_sum(ctx, kr.weight, call->n, vt->len);
  if (w && call->n > 0 && !genc_array_batched(w)) w = genc_particle_broadcast(ctx, w, call->n);
  if (!w) {
    genc_scope_end(ctx, mark);
    return st ? st : genc_ctx_status(ctx);
  }
  (void)gf;
  res->weight = w;
  genc_scope_end_keep(ctx, mark, &w, 1);
  return GENC_OK;
}

genc_status vm_trace_choices(genc_ctx *ctx, const genc_trace *t, genc_choicemap *out) {
  const vmap_trace *vt = genc_trace_impl(t);
  genc_choicemap *flat = genc_choicemap_new(ctx);
  genc_gf *k = genc_trace_gf(vt->inner);
  genc_status st =
      flat ? genc_gf_type_of(k)->trace_choices(ctx, vt->inner, flat) : genc_ctx_status(ctx);
  if (!st) st = vm_convert_cm(ctx, flat, genc_trace_nparticles(t), vt->len, false, out);
  genc_choicemap_free(flat);
  return st;
}

/* trace_map of the flat kernel trace: each flat array is seen by f in the
 * Vmap's shape ([T, ...] over the old particles) and flattened again for the
 * new particle count. */
typedef struct vm_wrap {
  genc_array_map_fn f;
  void *user;
  int64_t n_old, n_new, len;
} vm_wrap;

static genc_array *wrap_fn(genc_ctx *ctx, genc_array *x, void *user) {
  vm_wrap *w = user;
  if (!genc_array_batched(x)) return w->f(ctx, x, w->user);
  genc_array *y = w->f(ctx, vm_unflat(ctx, x, w->n_old, w->len), w->user);
  return vm_flat(ctx, y, w->n_new, w->len, true);
}

genc_trace *vm_trace_map(genc_ctx *ctx, const genc_trace *t, genc_array_map_fn f, void *user,
                         int64_t n) {
  const vmap_trace *vt = genc_trace_impl(t);
  vm_wrap w = {f, user, genc_trace_nparticles(t), n, vt->len};
  genc_gf *k = genc_trace_gf(vt->inner);
  vmap_trace *nv = calloc(1, sizeof *nv);
  if (!nv) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: out of memory", genc_gf_name(genc_trace_gf(t)));
    return NULL;
  }
  nv->len = vt->len;
  nv->inner = genc_gf_type_of(k)->trace_map(ctx, vt->inner, wrap_fn, &w, (n > 0 ? n : 1) * vt->len);
  genc_gf *gf = genc_trace_gf(t);
  genc_array *args[GENC_GF_MAX_ARGS] = {0};
  bool ok = nv->inner != NULL;
  for (int i = 0; ok && i < genc_gf_nargs(gf); i++)
    ok = !genc_trace_arg(t, i) || (args[i] = f(ctx, genc_trace_arg(t, i), user));
  genc_array *ret = ok ? f(ctx, genc_trace_retval(t), user) : NULL;
  genc_array *score = ret ? f(ctx, genc_trace_score(t), user) : NULL;
  genc_trace *out = score ? genc_trace_new(ctx, gf, args, ret, score, n, nv) : NULL;
  if (!out) vm_trace_free(nv);
  return out;
}

void vm_trace_free(void *impl) {
  vmap_trace *vt = impl;
  if (!vt) return;
  genc_trace_release(vt->inner);
  free(vt);
}

void vm_gf_free(void *impl) {
  vmap_gf *g = impl;
  if (!g) return;
  genc_gf_release(g->kernel);
  free(g);
}

/* The flat kernel trace answers (same addresses); per-element bounds, batched
 * over the flat particles there, come back in the Vmap's [T, ...] shape (new
 * arrays in the current scope); shared bounds are returned as they are. */
genc_status vm_trace_support(genc_ctx *ctx, const genc_trace *t, const genc_comp *path, int len,
                             genc_support_info *out) {
  const vmap_trace *vt = genc_trace_impl(t);
  genc_status st = genc_trace_support_at(ctx, vt->inner, path, len, out);
  int64_t n = genc_trace_nparticles(t);
  genc_array **b[2] = {&out->lo, &out->hi};
  for (int j = 0; !st && j < 2; j++)
    if (*b[j] && genc_array_batched(*b[j]) && !(*b[j] = vm_unflat(ctx, *b[j], n, vt->len)))
      st = genc_ctx_status(ctx);
  return st;
}
