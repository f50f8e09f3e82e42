/* Traces: immutable, reference-counted records of one run of a generative function. */
#include <stdlib.h>

#include "gfi/internal.h"

genc_trace *genc_trace_new(genc_ctx *ctx, genc_gf *gf, genc_array *const *args, genc_array *retval,
                           genc_array *score, int64_t n, void *impl) {
  genc_trace *t = calloc(1, sizeof *t);
  if (!t) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: out of memory for a trace", genc_gf_name(gf));
    return NULL;
  }
  t->refs = 1;
  t->gf = genc_gf_retain(gf);
  t->ctx = ctx;
  t->n = n;
  for (int i = 0; i < gf->nargs; i++)
    t->args[i] = genc_array_retain(args ? args[i] : NULL);
  t->retval = genc_array_retain(retval);
  t->score = genc_array_retain(score);
  t->impl = impl;
  return t;
}

void *genc_trace_impl(const genc_trace *t) { return t ? t->impl : NULL; }

genc_trace *genc_trace_retain(genc_trace *t) {
  if (t) t->refs++;
  return t;
}

void genc_trace_release(genc_trace *t) {
  if (!t || --t->refs > 0) return;
  for (int i = 0; i < t->gf->nargs; i++)
    genc_array_release(t->args[i]);
  genc_array_release(t->retval);
  genc_array_release(t->score);
  genc_choicemap_free(t->choices);
  if (t->impl && t->gf->type->trace_free) t->gf->type->trace_free(t->impl);
  genc_gf_release(t->gf);
  free(t);
}

genc_gf *genc_trace_gf(const genc_trace *t) { return t ? t->gf : NULL; }
genc_array *genc_trace_arg(const genc_trace *t, int i) {
  return t && i >= 0 && i < t->gf->nargs ? t->args[i] : NULL;
}
genc_array *genc_trace_retval(const genc_trace *t) {
  if (!t) return NULL;
  if (!t->retval && t->gf->type->trace_retval) {
    /* a cache, not a change: the value is a function of the trace */
    genc_trace *m = (genc_trace *)t;
    m->retval = genc_array_retain(t->gf->type->trace_retval(t->ctx, t));
  }
  return t->retval;
}
genc_array *genc_trace_score(const genc_trace *t) { return t ? t->score : NULL; }
int64_t genc_trace_nparticles(const genc_trace *t) { return t ? t->n : 0; }

const genc_choicemap *genc_trace_choices(genc_ctx *ctx, const genc_trace *t) {
  if (!ctx) return NULL;
  if (!t) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_trace_choices: NULL trace");
    return NULL;
  }
  if (t->choices) return t->choices;
  genc_choicemap *cm = genc_choicemap_new(ctx);
  if (!cm) return NULL;
  if (t->gf->type->trace_choices(ctx, t, cm)) {
    genc_choicemap_free(cm);
    return NULL;
  }
  /* the cache is not part of the trace's value, so filling it keeps t immutable */
  ((genc_trace *)t)->choices = cm;
  return cm;
}

genc_array *genc_trace_get(genc_ctx *ctx, const genc_trace *t, const genc_comp *path, int len) {
  const genc_choicemap *cm = genc_trace_choices(ctx, t);
  if (!cm) return NULL;
  return genc_choicemap_get_path(ctx, cm, path, len);
}

static genc_array *map_particle(genc_ctx *ctx, genc_array *x, void *user) {
  return genc_array_batched(x) ? genc_particle_get(ctx, x, *(int64_t *)user) : x;
}

genc_trace *genc_trace_particle(genc_ctx *ctx, const genc_trace *t, int64_t i) {
  if (!ctx) return NULL;
  if (!t) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_trace_particle: NULL trace");
    return NULL;
  }
  if (t->n == 0 || i < 0 || i >= t->n) {
    genc_ctx_fail(ctx, GENC_ERR_PARTICLE,
                  "genc_trace_particle: particle %lld of a trace of %s with %lld particles",
                  (long long)i, t->gf->name, (long long)t->n);
    return NULL;
  }
  int64_t m = genc_scope_begin(ctx);
  genc_trace *r = t->gf->type->trace_map(ctx, t, map_particle, &i, 0);
  genc_scope_end(ctx, m);
  return r;
}

static genc_array *map_take(genc_ctx *ctx, genc_array *x, void *user) {
  return genc_array_batched(x) ? genc_particle_take(ctx, x, (genc_array *)user) : x;
}

genc_trace *genc_trace_take(genc_ctx *ctx, const genc_trace *t, genc_array *idx) {
  if (!ctx) return NULL;
  if (!t || !idx) {
    if (!t) genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_trace_take: NULL trace");
    return NULL;
  }
  if (t->n == 0 || genc_array_ndim(idx) != 1 || genc_array_batched(idx)) {
    genc_ctx_fail(ctx, GENC_ERR_PARTICLE,
                  "genc_trace_take: needs a batched trace (this one of %s has %lld particles) "
                  "and a shared 1-d index array",
                  t->gf->name, (long long)t->n);
    return NULL;
  }
  int64_t m = genc_scope_begin(ctx);
  genc_trace *r = t->gf->type->trace_take
                      ? t->gf->type->trace_take(ctx, t, idx)
                      : t->gf->type->trace_map(ctx, t, map_take, idx, genc_array_dim(idx, 0));
  genc_scope_end(ctx, m);
  return r;
}
