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

genc_trace *genc_gf_simulate(genc_ctx *ctx, genc_gf *gf, genc_array *const *args, genc_key key,
                             int64_t n) {
  genc_ctx_clear_error(ctx);
  if (!check_gf(ctx, gf, "simulate") || !check_n(ctx, n, "simulate")) return NULL;
  genc_gfi_call c = {.args = args, .key = key, .n = n};
  genc_gfi_result r = {0};
  genc_status st = genc__tile_applies(gf, &c) ? genc__tile_run(ctx, gf, gf->type->simulate, &c, &r)
                                              : gf->type->simulate(ctx, gf, &c, &r);
  return checked(ctx, &r, st, "simulate weight", NULL);
}

genc_trace *genc_gf_generate(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                             const genc_choicemap *constraints, genc_key key, int64_t n,
                             genc_array **weight) {
  genc_ctx_clear_error(ctx);
  if (!check_gf(ctx, gf, "generate") || !check_n(ctx, n, "generate")) return NULL;
  genc_gfi_call c = {.args = args, .key = key, .n = n, .constraints = constraints};
  genc_gfi_result r = {0};
  genc_status st = genc__tile_applies(gf, &c) ? genc__tile_run(ctx, gf, gf->type->generate, &c, &r)
                                              : gf->type->generate(ctx, gf, &c, &r);
  return checked(ctx, &r, st, "generate weight", weight);
}

genc_array *genc_gf_assess(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                           const genc_choicemap *choices, genc_array **retval) {
  genc_ctx_clear_error(ctx);
  if (!check_gf(ctx, gf, "assess")) return NULL;
  genc_gfi_call c = {.args = args, .constraints = choices};
  genc_gfi_result r = {0};
  if (gf->type->assess(ctx, gf, &c, &r)) return NULL;
  if (genc__check_weight(ctx, r.weight, gf->name, "assess weight")) return NULL;
  if (retval) *retval = r.retval;
  return r.weight;
}

genc_choicemap *genc_gf_propose(genc_ctx *ctx, genc_gf *gf, genc_array *const *args, genc_key key,
                                int64_t n, genc_array **weight, genc_array **retval) {
  genc_trace *t = genc_gf_simulate(ctx, gf, args, key, n);
  if (!t) return NULL;
  const genc_choicemap *cm = genc_trace_choices(ctx, t);
  genc_choicemap *out = cm ? genc_choicemap_copy(ctx, cm) : NULL;
  if (out) {
    /* the trace dies below: hand its score and value to the caller's scope */
    genc_array *keep[2] = {t->score, t->retval};
    genc_scope_end_keep(ctx, genc_scope_begin(ctx), keep, t->retval ? 2 : 1);
    if (weight) *weight = t->score;
    if (retval) *retval = t->retval;
  }
  genc_trace_release(t);
  return out;
}

static genc_array *zero_weight(genc_ctx *ctx, int64_t n) {
  return genc__per_particle(ctx, NULL, n);
}

genc_trace *genc_gf_update(genc_ctx *ctx, const genc_trace *t, genc_array *const *args,
                           const genc_argdiff *argdiffs, const genc_choicemap *constraints,
                           genc_key key, genc_array **weight, genc_choicemap **discard) {
  genc_ctx_clear_error(ctx);
  if (discard) *discard = NULL;
  if (!check_trace(ctx, t, "update")) return NULL;
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
  genc_ctx_clear_error(ctx);
  if (!check_trace(ctx, t, "regenerate")) return NULL;
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
  genc_ctx_clear_error(ctx);
  if (!check_trace(ctx, t, "project")) return NULL;
  genc_gfi_call c = {.args = t->args, .n = t->n, .selection = s, .trace = t};
  genc_gfi_result r = {0};
  if (t->gf->type->project(ctx, t->gf, &c, &r)) return NULL;
  return r.weight;
}
