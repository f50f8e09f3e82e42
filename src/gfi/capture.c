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

/* ---- batched generate over tiles: the first captured, the others replayed ---- */

typedef struct tiled {
  int64_t tile;
  genc_gen_graph *gg;
  bool refused; /* the capture was refused: every tile runs eagerly */
  genc_graph_prepare_fn prepare;
  void *user;
} tiled;

/* A refusal (GENC_ERR_CAPTURE) is not an error here: the tile runs eagerly. */
static bool refused(genc_ctx *ctx) {
  if (genc_ctx_status(ctx) != GENC_ERR_CAPTURE) return false;
  genc_ctx_clear_error(ctx);
  return true;
}

static genc_status tile_fn(genc_ctx *ctx, genc_gf *gf, const genc_gfi_call *c, genc_gfi_result *r,
                           void *user) {
  tiled *s = user;
  bool full = c->n == s->tile;
  if (full && !s->gg && !s->refused) {
    s->gg = genc_gf_generate_capture(ctx, gf, c->args, c->constraints, c->key, c->n, &r->trace,
                                     &r->weight);
    if (s->gg && s->prepare) return s->prepare(ctx, genc_gen_graph_graph(s->gg), s->user);
    if (s->gg) return GENC_OK;
    if (!(s->refused = refused(ctx))) return genc_ctx_status(ctx);
  } else if (full && s->gg) {
    r->trace = genc_gen_graph_replay(ctx, s->gg, c->key, &r->weight);
    if (r->trace) return GENC_OK;
    if (!refused(ctx)) return genc_ctx_status(ctx); /* a changed guard: rerun eagerly */
  }
  r->trace = genc_gf_generate(ctx, gf, c->args, c->constraints, c->key, c->n, &r->weight);
  return r->trace ? GENC_OK : genc_ctx_status(ctx);
}

genc_trace *genc_gf_generate_replayed(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                                      const genc_choicemap *constraints, genc_key key, int64_t n,
                                      genc_array **weight, genc_graph_prepare_fn prepare,
                                      void *user) {
  if (!ctx) return NULL;
  if (weight) *weight = NULL;
  genc_gfi_call c = {.args = args, .key = key, .n = n, .constraints = constraints};
  if (!gf || genc_graph_capturing(ctx) || !genc__tile_applies(gf, &c))
    return genc_gf_generate(ctx, gf, args, constraints, key, n, weight);
  tiled s = {gf->tile, NULL, false, prepare, user};
  genc_gfi_result r = {0};
  genc_status st = genc__tile_run_fn(ctx, gf, tile_fn, &s, &c, &r);
  genc_gen_graph_free(s.gg);
  if (st) {
    genc_trace_release(r.trace);
    return NULL;
  }
  if (weight) *weight = r.weight;
  return r.trace;
}
