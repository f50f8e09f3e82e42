/*
 * A captured batched generate (issue 12): genc_graph_capture (array.h) of one
 * genc_gf_generate with the key as the graph's key input; its outputs are the
 * weight and every array of the trace in trace_map's visiting order
 * (genc__collect_fn, tile.c). A replay rebuilds a trace of the same structure
 * from the eager trace kept as a template, mapping its arrays, in the same
 * order, to the replay's outputs.
 */
#include <stdlib.h>

#include "gfi/internal.h"

struct genc_gen_graph {
  genc_ctx *ctx;
  genc_graph *g;
  genc_trace *tmpl; /* the eager trace: structure and visiting order */
  bool *present;    /* per visited position: an array (a graph output), not NULL */
  int npos;
  int64_t n;
};

typedef struct gen_cap {
  genc_gf *gf;
  genc_array *const *args;
  const genc_choicemap *constraints;
  int64_t n;
  genc_trace *t;
  genc__collect col;
} gen_cap;

static genc_status gen_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                          genc_array **out, void *user) {
  (void)in;
  gen_cap *u = user;
  u->t = genc_gf_generate(ctx, u->gf, u->args, u->constraints, keys[0], u->n, &out[0]);
  if (!u->t) return genc_ctx_status(ctx);
  genc_trace *seen = u->gf->type->trace_map(ctx, u->t, genc__collect_fn, &u->col, u->n);
  if (!seen) return genc_ctx_status(ctx);
  genc_trace_release(seen);
  genc_status st = GENC_OK;
  for (int i = 0; i < u->col.len && !st; i++)
    if (u->col.v[i]) st = genc_graph_add_output(ctx, u->col.v[i]);
  return st;
}

void genc_gen_graph_free(genc_gen_graph *gg) {
  if (!gg) return;
  genc_graph_free(gg->g);
  genc_trace_release(gg->tmpl);
  free(gg->present);
  free(gg);
}

genc_gen_graph *genc_gf_generate_capture(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                                         const genc_choicemap *constraints, genc_key key, int64_t n,
                                         genc_trace **trace, genc_array **weight) {
  if (!ctx) return NULL;
  if (trace) *trace = NULL;
  if (weight) *weight = NULL;
  if (!gf || !gf->type || !gf->type->trace_map) {
    genc_ctx_fail(ctx, GENC_ERR_UNSUPPORTED,
                  "genc_gf_generate_capture: %s%s traces cannot be rebuilt (no trace_map)",
                  gf ? gf->name : "NULL", gf ? "'s" : "");
    return NULL;
  }
  gen_cap u = {gf, args, constraints, n, NULL, {0}};
  genc_array *w = NULL;
  genc_graph *g = genc_graph_capture(ctx, gen_fn, &u, 1, &key, 0, NULL, 1, &w);
  genc_gen_graph *gg = g ? calloc(1, sizeof *gg) : NULL;
  bool *present = gg ? calloc((size_t)u.col.len + 1, sizeof *present) : NULL;
  if (g && !present) genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_gf_generate_capture: no memory");
  if (!present) {
    free(gg), free(u.col.v);
    genc_graph_free(g);
    genc_trace_release(u.t);
    return NULL;
  }
  for (int i = 0; i < u.col.len; i++)
    present[i] = u.col.v[i] != NULL;
  *gg = (genc_gen_graph){ctx, g, u.t, present, u.col.len, n};
  free(u.col.v);
  if (trace) *trace = genc_trace_retain(u.t);
  if (weight) *weight = w;
  return gg;
}

typedef struct feed {
  genc_gen_graph *gg;
  genc_array **outs; /* the replay's trace arrays, in visiting order */
  int pos, k, nouts;
} feed;

static genc_array *feed_fn(genc_ctx *ctx, genc_array *x, void *user) {
  feed *f = user;
  int p = f->pos++;
  if (p >= f->gg->npos || f->gg->present[p] != (x != NULL) || (x && f->k >= f->nouts)) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_gen_graph_replay: the trace changed its structure");
    return NULL;
  }
  return x ? f->outs[f->k++] : NULL;
}

genc_trace *genc_gen_graph_replay(genc_ctx *ctx, genc_gen_graph *gg, genc_key key,
                                  genc_array **weight) {
  if (!ctx) return NULL;
  if (weight) *weight = NULL;
  if (!gg || gg->ctx != ctx) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_gen_graph_replay: %s",
                  gg ? "the graph belongs to another context" : "NULL graph");
    return NULL;
  }
  int no = genc_graph_noutputs(gg->g);
  genc_array **outs = malloc((size_t)no * sizeof *outs);
  if (!outs) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_gen_graph_replay: no memory");
    return NULL;
  }
  genc_trace *t = NULL;
  if (!genc_graph_replay(ctx, gg->g, &key, NULL, outs)) {
    feed f = {gg, outs + 1, 0, 0, no - 1};
    t = gg->tmpl->gf->type->trace_map(ctx, gg->tmpl, feed_fn, &f, gg->n);
    if (t && weight) *weight = outs[0];
  }
  free(outs);
  return t;
}

genc_graph *genc_gen_graph_graph(const genc_gen_graph *gg) { return gg ? gg->g : NULL; }
