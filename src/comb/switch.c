/* Switch: one of K branches chosen by argument 0; vectorized over particles
 * when the index is batched (every branch runs, results selected per
 * particle). The table operations; trace layout and helpers in switch_trace.c. */
#include <stdlib.h>

#include "comb/switch_impl.h"

/* The index argument as i32; *taken = its value when shared, -1 when batched. */
static genc_status sw_index(genc_ctx *ctx, genc_gf *gf, genc_array *a, genc_array **idx,
                            int *taken) {
  const sw_gf *s = genc_gf_impl(gf);
  if (!a || genc_array_ndim(a) != 0 ||
      (genc_array_dtype(a) != GENC_I32 && genc_array_dtype(a) != GENC_BOOL))
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "%s: argument 0 (the branch index) must be a 0-d i32 or bool array",
                         genc_gf_name(gf));
  genc_array *i = genc_array_dtype(a) == GENC_I32 ? a : genc_astype(ctx, a, GENC_I32);
  genc_array *f = genc_astype(ctx, i, GENC_F64);
  double lo = -1, hi = -1;
  bool b = genc_array_batched(a);
  genc_status st = b ? genc_array_item(ctx, genc_particle_reduce(ctx, GENC_RMIN, f), &lo)
                     : genc_array_item(ctx, f, &lo);
  if (st) return st;
  hi = lo;
  if (b && (st = genc_array_item(ctx, genc_particle_reduce(ctx, GENC_RMAX, f), &hi))) return st;
  if (lo < 0 || hi >= s->k)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: branch index %g out of range [0, %d)",
                         genc_gf_name(gf), lo < 0 ? lo : hi, s->k);
  *idx = i;
  *taken = b ? -1 : (int)lo;
  return GENC_OK;
}

/* Fresh runs (simulate, generate, assess) of one branch or of all. */
static genc_status sw_fresh(genc_ctx *ctx, genc_gf *gf, cb2_op op, const genc_gfi_call *call,
                            genc_gfi_result *res) {
  const sw_gf *s = genc_gf_impl(gf);
  int64_t mark = genc_scope_begin(ctx);
  genc_array *idx = NULL;
  int taken = 0;
  genc_status st = sw_index(ctx, gf, call->args[0], &idx, &taken);
  if (!st && taken < 0 && op != CB2_ASSESS && genc_array_nparticles(idx) != call->n)
    st = genc_ctx_fail(ctx, GENC_ERR_PARTICLE,
                       "%s: the branch index has %lld particles in a run of %lld", genc_gf_name(gf),
                       (long long)genc_array_nparticles(idx), (long long)call->n);
  sw_runs runs = {0};
  if (!st)
    st = taken >= 0 ? genc__sw_run_one(ctx, gf, op, call, taken, &runs)
                    : genc__sw_run_all(ctx, gf, op, call, idx, &runs);
  if (!st) st = genc__sw_finish(ctx, gf, op, call, idx, taken, &runs, res);
  genc__sw_runs_clear(s->k, &runs);
  if (st) {
    genc_scope_end(ctx, mark);
    return st;
  }
  genc__cb2_keep(ctx, mark, res);
  return GENC_OK;
}

/* Update and regenerate. */
static genc_status sw_edit(genc_ctx *ctx, genc_gf *gf, cb2_op op, const genc_gfi_call *call,
                           genc_gfi_result *res) {
  const sw_gf *s = genc_gf_impl(gf);
  const sw_trace *ot = genc_trace_impl(call->trace);
  int64_t mark = genc_scope_begin(ctx);
  genc_array *idx = NULL;
  int taken = 0;
  genc_status st = sw_index(ctx, gf, call->args[0], &idx, &taken);
  bool vec = ot->taken < 0 || taken < 0;
  if (!st && vec && taken >= 0 && !(idx = genc_particle_broadcast(ctx, idx, call->n)))
    st = genc_ctx_status(ctx);
  sw_runs runs = {0};
  if (!st)
    st = vec ? genc__sw_edit_all(ctx, gf, op, call, idx, &runs)
             : genc__sw_edit_one(ctx, gf, op, call, taken, &runs);
  if (!st) st = genc__sw_finish(ctx, gf, op, call, idx, vec ? -1 : taken, &runs, res);
  genc__sw_runs_clear(s->k, &runs);
  if (st) {
    genc_scope_end(ctx, mark);
    return st;
  }
  genc__cb2_keep(ctx, mark, res);
  return GENC_OK;
}

static genc_status sw_simulate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                               genc_gfi_result *r) {
  return sw_fresh(c, g, CB2_SIMULATE, k, r);
}
static genc_status sw_generate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                               genc_gfi_result *r) {
  return sw_fresh(c, g, CB2_GENERATE, k, r);
}
static genc_status sw_assess(genc_ctx *c, genc_gf *g, const genc_gfi_call *k, genc_gfi_result *r) {
  return sw_fresh(c, g, CB2_ASSESS, k, r);
}
static genc_status sw_update(genc_ctx *c, genc_gf *g, const genc_gfi_call *k, genc_gfi_result *r) {
  return sw_edit(c, g, CB2_UPDATE, k, r);
}
static genc_status sw_regenerate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                                 genc_gfi_result *r) {
  return sw_edit(c, g, CB2_REGENERATE, k, r);
}

static void sw_gf_free(void *impl) {
  sw_gf *s = impl;
  for (int i = 0; i < s->k; i++)
    genc_gf_release(s->br[i]);
  free(s);
}

static const genc_gf_type sw_type = {
    .name = "switch",
    .simulate = sw_simulate,
    .generate = sw_generate,
    .update = sw_update,
    .regenerate = sw_regenerate,
    .assess = sw_assess,
    .project = genc__sw_project,
    .trace_map = genc__sw_trace_map,
    .trace_choices = genc__sw_trace_choices,
    .trace_support = genc__sw_trace_support,
    .trace_free = genc__sw_trace_free,
    .gf_free = sw_gf_free,
};

genc_gf *genc__switch_new(const char *name, int k, genc_gf *const *branches, bool mask) {
  if (k < 1 || k > SW_MAXK || !branches) return NULL;
  int nargs = genc_gf_nargs(branches[0]);
  for (int i = 0; i < k; i++)
    if (!branches[i] || genc_gf_nargs(branches[i]) != nargs) return NULL;
  if (nargs + 1 > GENC_GF_MAX_ARGS) return NULL;
  sw_gf *s = calloc(1, sizeof *s + (size_t)k * sizeof(genc_gf *));
  genc_gf *gf = s ? genc_gf_new(&sw_type, name, nargs + 1, s) : NULL;
  if (!gf) {
    free(s);
    return NULL;
  }
  s->k = k;
  s->mask = mask;
  for (int i = 0; i < k; i++)
    s->br[i] = genc_gf_retain(branches[i]);
  return gf;
}

genc_gf *genc_switch(const char *name, int k, genc_gf *const *branches) {
  return genc__switch_new(name ? name : "switch", k, branches, false);
}
