/* Vmap / Repeat: the kernel mapped over a new leading axis inside one
 * particle, as GenJAX's vmap. The T elements are one batched kernel run over
 * n*T flat particles (vmap_flat.c); an address of the kernel holds a [T, ...]
 * array, not T sub-traces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comb/vmap.h"

typedef enum vm_mode { VM_SIMULATE, VM_GENERATE, VM_UPDATE, VM_REGENERATE, VM_ASSESS } vm_mode;

static genc_status vm_len(genc_ctx *ctx, genc_gf *gf, genc_array *const *args, int64_t *len) {
  const vmap_gf *g = genc_gf_impl(gf);
  *len = g->mapped ? -1 : g->count;
  for (int j = 0; j < genc_gf_nargs(gf); j++) {
    if (!(g->mapped >> j & 1u)) continue;
    genc_array *x = args ? args[j] : NULL;
    if (!x || genc_array_ndim(x) < 1)
      return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: mapped argument %d needs a leading axis",
                           genc_gf_name(gf), j);
    int64_t d = genc_array_dim(x, 0);
    if (*len >= 0 && d != *len)
      return genc_ctx_fail(ctx, GENC_ERR_SHAPE,
                           "%s: mapped argument %d has %lld elements, not %lld", genc_gf_name(gf),
                           j, (long long)d, (long long)*len);
    *len = d;
  }
  if (*len < 1)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: needs at least one element", genc_gf_name(gf));
  return GENC_OK;
}

/* Outer particle count of an assess: the largest of the arguments' and choices'. */
static int max_n(const genc_comp *p, int l, genc_array *v, void *user) {
  (void)p, (void)l;
  int64_t *n = user;
  if (genc_array_nparticles(v) > *n) *n = genc_array_nparticles(v);
  return 0;
}

typedef struct vm_op {
  genc_ctx *ctx;
  genc_gf *gf;
  const vmap_gf *g;
  vm_mode mode;
  int64_t n, len;
  genc_array *kargs[GENC_GF_MAX_ARGS];
  genc_choicemap *cons; /* flattened constraints */
} vm_op;

static genc_status vm_prepare(vm_op *o, const genc_gfi_call *call) {
  genc_status st = vm_len(o->ctx, o->gf, call->args, &o->len);
  if (st) return st;
  if (o->mode == VM_ASSESS) {
    for (int j = 0; j < genc_gf_nargs(o->gf); j++)
      max_n(NULL, 0, call->args[j], &o->n);
    genc_choicemap_foreach(call->constraints, max_n, &o->n);
  }
  for (int j = 0; j < genc_gf_nargs(o->gf); j++)
    if (!(o->kargs[j] = vm_flat(o->ctx, call->args[j], o->n, o->len, o->g->mapped >> j & 1u)))
      return genc_ctx_status(o->ctx);
  if (!call->constraints || o->mode == VM_SIMULATE || o->mode == VM_REGENERATE) return GENC_OK;
  if (!(o->cons = genc_choicemap_new(o->ctx))) return genc_ctx_status(o->ctx);
  return vm_convert_cm(o->ctx, call->constraints, o->n, o->len, true, o->cons);
}

static genc_status vm_kernel(vm_op *o, const genc_gfi_call *call, genc_gfi_result *kr) {
  const genc_gf_type *ty = genc_gf_type_of(o->g->kernel);
  genc_gfi_call kc = *call;
  kc.args = o->kargs;
  kc.constraints = o->cons;
  kc.n = (o->n > 0 ? o->n : 1) * o->len;
  /* outer particle p's element j is flat particle p*T + j: single runs with
   * genc_key_particle(key, p) then match particle p of a batched run */
  kc.key.particle = call->key.particle * (uint32_t)o->len;
  genc_argdiff same[GENC_GF_MAX_ARGS];
  genc_argdiffs_fill(same, genc_gf_nargs(o->gf), genc_nochange());
  kc.argdiffs = genc_argdiffs_all_unchanged(call->argdiffs, genc_gf_nargs(o->gf)) ? same : NULL;
  if (call->trace) {
    const vmap_trace *vt = genc_trace_impl(call->trace);
    if (vt->len != o->len)
      return genc_ctx_fail(o->ctx, GENC_ERR_SHAPE,
                           "%s: update and regenerate keep the number of elements (%lld, not "
                           "%lld); use Map for a changing length",
                           genc_gf_name(o->gf), (long long)vt->len, (long long)o->len);
    kc.trace = vt->inner;
  }
  switch (o->mode) {
  case VM_SIMULATE: return ty->simulate(o->ctx, o->g->kernel, &kc, kr);
  case VM_GENERATE: return ty->generate(o->ctx, o->g->kernel, &kc, kr);
  case VM_UPDATE: return ty->update(o->ctx, o->g->kernel, &kc, kr);
  case VM_REGENERATE: return ty->regenerate(o->ctx, o->g->kernel, &kc, kr);
  case VM_ASSESS: return ty->assess(o->ctx, o->g->kernel, &kc, kr);
  }
  return GENC_ERR_ARG;
}

/* The kernel's results back in the Vmap's shape. */
static genc_status vm_result(vm_op *o, const genc_gfi_call *call, genc_gfi_result *kr,
                             genc_gfi_result *res) {
  genc_ctx *ctx = o->ctx;
  if (o->mode == VM_ASSESS) {
    res->weight = vm_sum(ctx, kr->weight, o->n, o->len);
    res->retval = vm_unflat(ctx, kr->retval, o->n, o->len);
    return res->weight && res->retval ? GENC_OK : genc_ctx_status(ctx);
  }
  vmap_trace *vt = calloc(1, sizeof *vt);
  genc_array *score = vm_sum(ctx, genc_trace_score(kr->trace), o->n, o->len);
  genc_array *ret = vm_unflat(ctx, genc_trace_retval(kr->trace), o->n, o->len);
  genc_array *w = kr->weight ? vm_sum(ctx, kr->weight, o->n, o->len) : genc_scalar(ctx, 0.0);
  if (w && o->n > 0 && !genc_array_batched(w)) w = genc_particle_broadcast(ctx, w, o->n);
  if (!vt || !score || !ret || !w) {
    free(vt);
    return genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_NOMEM;
  }
  vt->inner = kr->trace, vt->len = o->len;
  kr->trace = NULL;
  res->trace = genc_trace_new(ctx, o->gf, call->args, ret, score, o->n, vt);
  if (!res->trace) {
    genc_trace_release(vt->inner);
    free(vt);
    return genc_ctx_status(ctx);
  }
  res->weight = w;
  if (kr->discard && (res->discard = genc_choicemap_new(ctx)))
    return vm_convert_cm(ctx, kr->discard, o->n, o->len, false, res->discard);
  return kr->discard && !res->discard ? genc_ctx_status(ctx) : GENC_OK;
}

static genc_status vm_run(genc_ctx *ctx, genc_gf *gf, vm_mode mode, const genc_gfi_call *call,
                          genc_gfi_result *res) {
  int64_t mark = genc_scope_begin(ctx);
  vm_op o = {.ctx = ctx, .gf = gf, .g = genc_gf_impl(gf), .mode = mode, .n = call->n};
  genc_gfi_result kr = {0};
  genc_status st = vm_prepare(&o, call);
  if (!st) st = vm_kernel(&o, call, &kr);
  if (!st) st = vm_result(&o, call, &kr, res);
  genc_trace_release(kr.trace);
  genc_choicemap_free(kr.discard);
  genc_choicemap_free(o.cons);
  if (st) {
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", genc_ctx_error(ctx));
    if (!strstr(msg, genc_gf_name(gf))) genc_ctx_fail(ctx, st, "%s: %s", genc_gf_name(gf), msg);
    genc_trace_release(res->trace);
    genc_choicemap_free(res->discard);
    *res = (genc_gfi_result){0};
    genc_scope_end(ctx, mark);
    return st;
  }
  genc_array *keep[2] = {res->weight, res->retval};
  genc_scope_end_keep(ctx, mark, keep, res->retval ? 2 : 1);
  return GENC_OK;
}

static genc_status vm_simulate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                               genc_gfi_result *r) {
  return vm_run(c, g, VM_SIMULATE, k, r);
}
static genc_status vm_generate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                               genc_gfi_result *r) {
  return vm_run(c, g, VM_GENERATE, k, r);
}
static genc_status vm_update(genc_ctx *c, genc_gf *g, const genc_gfi_call *k, genc_gfi_result *r) {
  return vm_run(c, g, VM_UPDATE, k, r);
}
static genc_status vm_regenerate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                                 genc_gfi_result *r) {
  return vm_run(c, g, VM_REGENERATE, k, r);
}
static genc_status vm_assess(genc_ctx *c, genc_gf *g, const genc_gfi_call *k, genc_gfi_result *r) {
  return vm_run(c, g, VM_ASSESS, k, r);
}

static const genc_gf_type vmap_type = {
    .name = "vmap",
    .simulate = vm_simulate,
    .generate = vm_generate,
    .update = vm_update,
    .regenerate = vm_regenerate,
    .assess = vm_assess,
    .project = vm_project,
    .trace_map = vm_trace_map,
    .trace_choices = vm_trace_choices,
    .trace_support = vm_trace_support,
    .trace_free = vm_trace_free,
    .gf_free = vm_gf_free,
};

static genc_gf *vm_new(const char *prefix, genc_gf *kernel, uint32_t mapped, int64_t count) {
  vmap_gf *g = calloc(1, sizeof *g);
  char name[256];
  snprintf(name, sizeof name, "%s(%s)", prefix, genc_gf_name(kernel));
  genc_gf *gf = g ? genc_gf_new(&vmap_type, name, genc_gf_nargs(kernel), g) : NULL;
  if (!gf) {
    free(g);
    return NULL;
  }
  g->kernel = genc_gf_retain(kernel);
  g->mapped = mapped;
  g->count = count;
  return gf;
}

genc_gf *genc_vmap(genc_gf *kernel, uint32_t in_axes) {
  if (!kernel || !in_axes || in_axes >> genc_gf_nargs(kernel)) return NULL;
  return vm_new("Vmap", kernel, in_axes, 0);
}

genc_gf *genc_repeat(genc_gf *kernel, int64_t count) {
  if (!kernel || count < 1) return NULL;
  return vm_new("Repeat", kernel, 0, count);
}
