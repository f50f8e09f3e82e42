/* The public GFI entry points: argument checks, fast paths and the final
 * weight checks around the operations of a function's table. */
#include "gfi/internal.h"

static bool check_gf(genc_ctx *ctx, const genc_gf *gf, const char *op) {
  if (gf) return true;
  genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: NULL generative function", op);
  return false;
}

static bool check_trace(genc_ctx *ctx, const genc_trace *t, const char *op) {
  if (t) return true;
  genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: NULL trace", op);
  return false;
}

static bool check_n(genc_ctx *ctx, int64_t n, const char *op) {
  if (n >= 0) return true;
  genc_ctx_fail(ctx, GENC_ERR_PARTICLE, "%s: negative particle count %lld", op, (long long)n);
  return false;
}

/* Start an operation of @p gf: false without a context (nothing to report
 * into) or a function; then the argument check, which clears the context's
 * error unless an argument is NULL (keeping the message of the failed op that
 * most likely made it). */
static bool begin(genc_ctx *ctx, const genc_gf *gf, genc_array *const *args, const char *op) {
  if (!ctx) return false;
  if (!gf) {
    genc_ctx_clear_error(ctx);
    return check_gf(ctx, gf, op);
  }
  return genc__check_args(ctx, gf, args);
}

/* begin() for an operation on a trace; @p args NULL keeps the trace's. */
static bool begin_trace(genc_ctx *ctx, const genc_trace *t, genc_array *const *args,
                        const char *op) {
  if (!ctx) return false;
  if (t && args) return genc__check_args(ctx, t->gf, args);
  genc_ctx_clear_error(ctx);
  return check_trace(ctx, t, op);
}

/* Keep a trace only if its score and weight are legal log densities. */
static genc_trace *checked(genc_ctx *ctx, genc_gfi_result *r, genc_status st, const char *op,
                           genc_array **weight) {
  if (!st) st = genc__check_weight(ctx, r->trace->score, r->trace->gf->name, "score");
  if (!st && r->weight) st = genc__check_weight(ctx, r->weight, r->trace->gf->name, op);
  if (st) {
    genc_trace_release(r->trace);
    genc_choicemap_free(r->discard);
    r->discard = NULL;
    return NULL;
  }
  if (weight) *weight = r->weight;
  return r->trace;
}

/* simulate, reading @p from as a proposal's source trace (NULL: none) */
static genc_trace *simulate_from(genc_ctx *ctx, genc_gf *gf, const genc_trace *from,
                                 genc_array *const *args, genc_key key, int64_t n) {
  if (!begin(ctx, gf, args, "simulate") || !check_n(ctx, n, "simulate")) return NULL;
  genc_gfi_call c = {.args = args, .key = key, .n = n, .from = from};
  genc_gfi_result r = {0};
  /* a capture records the untiled run (an executor tiles the graph itself) */
  genc_status st = !genc_graph_capturing(ctx) && genc__tile_applies(gf, &c)
                       ? genc__tile_run(ctx, gf, gf->type->simulate, &c, &r)
                       : gf->type->simulate(ctx, gf, &c, &r);
  return checked(ctx, &r, st, "simulate weight", NULL);
}

genc_trace *genc_gf_simulate(genc_ctx *ctx, genc_gf *gf, genc_array *const *args, genc_key key,
                             int64_t n) {
  return simulate_from(ctx, gf, NULL, args, key, n);
}

genc_trace *genc_gf_generate(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                             const genc_choicemap *constraints, genc_key key, int64_t n,
                             genc_array **weight) {
  if (!begin(ctx, gf, args, "generate") || !check_n(ctx, n, "generate")) return NULL;
  genc_gfi_call c = {.args = args, .key = key, .n = n, .constraints = constraints};
  genc_gfi_result r = {0};
  genc_status st = !genc_graph_capturing(ctx) && genc__tile_applies(gf, &c)
                       ? genc__tile_run(ctx, gf, gf->type->generate, &c, &r)
                       : gf->type->generate(ctx, gf, &c, &r);
  return checked(ctx, &r, st, "generate weight", weight);
}

genc_array *genc_gf_assess_from(genc_ctx *ctx, genc_gf *gf, const genc_trace *from,
                                genc_array *const *args, const genc_choicemap *choices,
                                genc_array **retval) {
  if (!begin(ctx, gf, args, "assess")) return NULL;
  genc_gfi_call c = {.args = args, .constraints = choices, .from = from};
  genc_gfi_result r = {0};
  if (gf->type->assess(ctx, gf, &c, &r)) return NULL;
  if (genc__check_weight(ctx, r.weight, gf->name, "assess weight")) return NULL;
  if (retval) *retval = r.retval;
  return r.weight;
}

genc_array *genc_gf_assess(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                           const genc_choicemap *choices, genc_array **retval) {
  return genc_gf_assess_from(ctx, gf, NULL, args, choices, retval);
}

/* propose, reading @p from as the proposal's source trace (NULL: none) */
static genc_choicemap *propose_from(genc_ctx *ctx, genc_gf *gf, const genc_trace *from,
                                    genc_array *const *args, genc_key key, int64_t n,
                                    genc_array **weight, genc_array **retval) {
  genc_trace *t = simulate_from(ctx, gf, from, args, key, n);
  if (!t) return NULL;
  const genc_choicemap *cm = genc_trace_choices(ctx, t);
  genc_choicemap *out = cm ? genc_choicemap_copy(ctx, cm) : NULL;
  if (out) {
    /* the trace dies below: hand its score and value to the caller's scope */
    genc_array *rv = retval ? genc_trace_retval(t) : NULL;
    genc_array *keep[2] = {t->score, rv};
    genc_scope_end_keep(ctx, genc_scope_begin(ctx), keep, rv ? 2 : 1);
    if (weight) *weight = t->score;
    if (retval) *retval = rv;
  }
  genc_trace_release(t);
  return out;
}

genc_choicemap *genc_gf_propose(genc_ctx *ctx, genc_gf *gf, genc_array *const *args, genc_key key,
                                int64_t n, genc_array **weight, genc_array **retval) {
  return propose_from(ctx, gf, NULL, args, key, n, weight, retval);
}

genc_choicemap *genc_gf_propose_from(genc_ctx *ctx, genc_gf *gf, const genc_trace *from,
                                     genc_array *const *args, genc_key key, genc_array **weight,
                                     genc_array **retval) {
  if (!ctx) return NULL;
  if (!from) {
    genc_ctx_clear_error(ctx);
    genc_ctx_fail(ctx, GENC_ERR_ARG, "propose_from: NULL source trace");
    return NULL;
  }
  return propose_from(ctx, gf, from, args, key, from->n, weight, retval);
}

const genc_trace *genc_rt_from(const genc_rt *rt) { return rt ? rt->from : NULL; }

static genc_array *zero_weight(genc_ctx *ctx, int64_t n) {
  return genc__per_particle(ctx, NULL, n);
}

genc_trace *genc_gf_update(genc_ctx *ctx, const genc_trace *t, genc_array *const *args,
                           const genc_argdiff *argdiffs, const genc_choicemap *constraints,
                           genc_key key, genc_array **weight, genc_choicemap **discard) {
  if (discard) *discard = NULL;
  if (!begin_trace(ctx, t, args, "update")) return NULL;
  genc_gf *gf = t->gf;
  bool same = !args || genc_argdiffs_all_unchanged(argdiffs, gf->nargs);
  if (same && genc_choicemap_is_empty(constraints)) {
    if (discard && !(*discard = genc_choicemap_new(ctx))) return NULL;
    if (weight && !(*weight = zero_weight(ctx, t->n))) return NULL;
    return genc_trace_retain((genc_trace *)t);
  }
  genc_gfi_call c = {.args = args ? args : t->args,
                     .argdiffs = argdiffs,
                     .key = key,
                     .n = t->n,
                     .constraints = constraints,
                     .trace = t};
  genc_gfi_result r = {0};
  genc_status st = gf->type->update(ctx, gf, &c, &r);
  genc_trace *out = checked(ctx, &r, st, "update weight", weight);
  if (!out) return NULL;
  if (discard && !r.discard && !(r.discard = genc_choicemap_new(ctx))) {
    genc_trace_release(out);
    return NULL;
  }
  if (discard)
    *discard = r.discard;
  else
    genc_choicemap_free(r.discard);
  return out;
}

genc_trace *genc_gf_regenerate(genc_ctx *ctx, const genc_trace *t, genc_array *const *args,
                               const genc_argdiff *argdiffs, const genc_selection *selection,
                               genc_key key, genc_array **weight) {
  if (!begin_trace(ctx, t, args, "regenerate")) return NULL;
  genc_gf *gf = t->gf;
  bool same = !args || genc_argdiffs_all_unchanged(argdiffs, gf->nargs);
  if (same && (!selection || genc_selection_is_none(selection))) {
    if (weight && !(*weight = zero_weight(ctx, t->n))) return NULL;
    return genc_trace_retain((genc_trace *)t);
  }
  genc_gfi_call c = {.args = args ? args : t->args,
                     .argdiffs = argdiffs,
                     .key = key,
                     .n = t->n,
                     .selection = selection,
                     .trace = t};
  genc_gfi_result r = {0};
  genc_status st = gf->type->regenerate(ctx, gf, &c, &r);
  return checked(ctx, &r, st, "regenerate weight", weight);
}

genc_array *genc_gf_project(genc_ctx *ctx, const genc_trace *t, const genc_selection *s) {
  if (!begin_trace(ctx, t, NULL, "project")) return NULL;
  genc_gfi_call c = {.args = t->args, .n = t->n, .selection = s, .trace = t};
  genc_gfi_result r = {0};
  if (t->gf->type->project(ctx, t->gf, &c, &r)) return NULL;
  return r.weight;
}
