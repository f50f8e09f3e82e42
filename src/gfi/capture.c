/*
 * A captured batched generate (issue 12): genc_graph_capture (array.h) of one
 * genc_gf_generate with the key as the graph's key input; its outputs are the
 * weight and every array of the trace in trace_map's visiting order
 * (genc__collect_fn, tile.c). A replay rebuilds a trace of the same structure
 * from the eager trace kept as a template, mapping its arrays, in the same
 * order, to the replay's outputs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gfi/internal.h"

struct genc_gen_graph {
  genc_ctx *ctx;
  genc_graph *g;
  genc_trace *tmpl; /* the eager trace: structure and visiting order */
  bool *present;    /* per visited position: an array (a graph output), not NULL */
  int npos;
  int64_t n;
  /* genc_gf_generate_capture_in: the graph's array inputs (the arguments,
   * then the constraints' values) and the constraints' shape (gen_ins) */
  bool with_in;
  int nin, nsig;
  uint64_t *sig;
};

typedef struct gen_cap {
  genc_gf *gf;
  genc_array *const *args;
  const genc_choicemap *constraints;
  int64_t n;
  genc_trace *t;
  genc__collect col;
  bool table; /* run the type's generate (genc_gf_generate_capture_in) */
} gen_cap;

/* The type's generate, as a combinator runs its kernel (no weight checks). */
static genc_status table_generate(genc_ctx *ctx, gen_cap *u, genc_key key, genc_array **w) {
  genc_gfi_call c = {.args = u->args, .key = key, .n = u->n, .constraints = u->constraints};
  genc_gfi_result r = {0};
  genc_status st = u->gf->type->generate(ctx, u->gf, &c, &r);
  genc_choicemap_free(r.discard);
  if (!st && !r.weight) /* a replay must return what the eager run returns */
    st = genc_ctx_fail(ctx, GENC_ERR_CAPTURE, "genc_gf_generate_capture_in: %s gave no weight",
                       u->gf->name);
  if (st) {
    genc_trace_release(r.trace);
    return st;
  }
  u->t = r.trace;
  *w = r.weight;
  return GENC_OK;
}

static genc_status gen_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                          genc_array **out, void *user) {
  (void)in; /* the inputs are the arrays of u->args and u->constraints themselves */
  gen_cap *u = user;
  if (u->table) {
    genc_status st = table_generate(ctx, u, keys[0], &out[0]);
    if (st) return st;
  } else {
    u->t = genc_gf_generate(ctx, u->gf, u->args, u->constraints, keys[0], u->n, &out[0]);
  }
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
  free(gg->sig);
  free(gg);
}

/* The inputs of a capture_in: the arguments, then the constraints' values in
 * the map's order, and the map's shape (sig). */
typedef struct gen_ins {
  genc_array **v;
  int len, cap;
  uint64_t *sig;
  int nsig, sigcap;
  bool oom;
} gen_ins;

/* Inputs beyond this many refuse (the distinctness check is quadratic). */
#define GEN_INS_MAX 256

static bool ins_grow(void **p, int *cap, int need, size_t size) {
  if (need <= *cap) return true;
  int c = *cap ? 2 * *cap : 16;
  while (c < need)
    c *= 2;
  void *q = realloc(*p, (size_t)c * size);
  if (!q) return false;
  *p = q, *cap = c;
  return true;
}

static bool ins_sig(gen_ins *l, uint64_t x) {
  if (!ins_grow((void **)&l->sig, &l->sigcap, l->nsig + 1, sizeof *l->sig)) return !(l->oom = true);
  l->sig[l->nsig++] = x;
  return true;
}

static bool ins_push(gen_ins *l, genc_array *a) {
  if (!ins_grow((void **)&l->v, &l->cap, l->len + 1, sizeof *l->v)) return !(l->oom = true);
  l->v[l->len++] = a;
  return true;
}

/* A map as sig entries: a leaf is GENC_COMP_INVALID (its value one input),
 * else its child count, then per child its component and its entries (a count
 * lacks the top bit, so the encoding is unambiguous). */
static bool ins_walk(gen_ins *l, const genc_choicemap *cm, int depth) {
  genc_array *v = genc_choicemap_value(cm);
  if (v) return ins_sig(l, GENC_COMP_INVALID) && ins_push(l, v);
  int64_t k = genc_choicemap_count(cm);
  if (depth > GENC_ADDR_MAX || !ins_sig(l, (uint64_t)k)) return false;
  for (int64_t i = 0; i < k; i++) {
    genc_comp c = 0;
    const genc_choicemap *ch = genc_choicemap_child(cm, i, &c);
    if (!ins_sig(l, c) || !ins_walk(l, ch, depth + 1)) return false;
  }
  return true;
}

static void ins_free(gen_ins *l) { free(l->v), free(l->sig); }

/* Collect the inputs; GENC_ERR_CAPTURE (message set) if two are one array. */
static genc_status ins_collect(genc_ctx *ctx, const char *f, genc_gf *gf, genc_array *const *args,
                               const genc_choicemap *constraints, gen_ins *l) {
  bool ok = true;
  for (int i = 0; ok && i < gf->nargs; i++)
    ok = ins_push(l, args[i]);
  ok = ok && ins_walk(l, constraints, 0);
  if (l->oom) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory", f);
  if (!ok || l->len > GEN_INS_MAX)
    return genc_ctx_fail(ctx, GENC_ERR_CAPTURE, "%s: %s's constraints are too large to capture", f,
                         gf->name);
  for (int i = 0; i < l->len; i++)
    for (int j = 0; j < i; j++)
      if (l->v[i] == l->v[j])
        return genc_ctx_fail(ctx, GENC_ERR_CAPTURE,
                             "%s: %s's inputs %d and %d (arguments, then constraint values) "
                             "are one array: run eagerly",
                             f, gf->name, j, i);
  return GENC_OK;
}

static genc_gen_graph *capture(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                               const genc_choicemap *constraints, genc_key key, int64_t n,
                               genc_trace **trace, genc_array **weight, gen_ins *ins) {
  gen_cap u = {gf, args, constraints, n, NULL, {0}, ins != NULL};
  genc_array *w = NULL;
  genc_graph *g =
      genc_graph_capture(ctx, gen_fn, &u, 1, &key, ins ? ins->len : 0, ins ? ins->v : NULL, 1, &w);
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
  *gg = (genc_gen_graph){ctx, g, u.t, present, u.col.len, n, ins != NULL, 0, 0, NULL};
  if (ins) {
    gg->nin = ins->len, gg->nsig = ins->nsig;
    gg->sig = ins->sig, ins->sig = NULL;
  }
  free(u.col.v);
  if (trace) *trace = genc_trace_retain(u.t);
  if (weight) *weight = w;
  return gg;
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
  return capture(ctx, gf, args, constraints, key, n, trace, weight, NULL);
}

genc_gen_graph *genc_gf_generate_capture_in(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                                            const genc_choicemap *constraints, genc_key key,
                                            int64_t n, genc_trace **trace, genc_array **weight) {
  const char *f = "genc_gf_generate_capture_in";
  if (!ctx) return NULL;
  if (trace) *trace = NULL;
  if (weight) *weight = NULL;
  if (!gf || !gf->type || !gf->type->trace_map) {
    genc_ctx_fail(ctx, GENC_ERR_CAPTURE, "%s: %s%s traces cannot be rebuilt (no trace_map)", f,
                  gf ? gf->name : "NULL", gf ? "'s" : "");
    return NULL;
  }
  if (n < 0) {
    genc_ctx_fail(ctx, GENC_ERR_PARTICLE, "%s: negative particle count %lld", f, (long long)n);
    return NULL;
  }
  if (!genc__check_args(ctx, gf, args)) return NULL;
  gen_ins ins = {0};
  genc_gen_graph *gg = ins_collect(ctx, f, gf, args, constraints, &ins)
                           ? NULL
                           : capture(ctx, gf, args, constraints, key, n, trace, weight, &ins);
  ins_free(&ins);
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

/* Replay gg on the inputs @p in (NULL: none): the trace, or NULL. */
static genc_trace *replay(genc_ctx *ctx, genc_gen_graph *gg, genc_key key, genc_array *const *in,
                          genc_array **weight) {
  int no = genc_graph_noutputs(gg->g);
  genc_array **outs = malloc((size_t)no * sizeof *outs);
  if (!outs) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_gen_graph_replay: no memory");
    return NULL;
  }
  genc_trace *t = NULL;
  genc_status st = genc_graph_replay(ctx, gg->g, &key, in, outs);
  if (st == GENC_ERR_SHAPE && in) { /* an input of another shape: not this graph's call */
    char msg[768];
    snprintf(msg, sizeof msg, "%s", genc_ctx_error(ctx));
    genc_ctx_fail(ctx, GENC_ERR_CAPTURE, "genc_gen_graph_replay_in: %s: run eagerly", msg);
  }
  if (!st) {
    feed f = {gg, outs + 1, 0, 0, no - 1};
    t = gg->tmpl->gf->type->trace_map(ctx, gg->tmpl, feed_fn, &f, gg->n);
    if (t && weight) *weight = outs[0];
  }
  free(outs);
  return t;
}

genc_trace *genc_gen_graph_replay(genc_ctx *ctx, genc_gen_graph *gg, genc_key key,
                                  genc_array **weight) {
  if (!ctx) return NULL;
  if (weight) *weight = NULL;
  if (!gg || gg->ctx != ctx || gg->with_in) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_gen_graph_replay: %s",
                  !gg              ? "NULL graph"
                  : gg->ctx != ctx ? "the graph belongs to another context"
                                   : "the graph has inputs (genc_gen_graph_replay_in)");
    return NULL;
  }
  return replay(ctx, gg, key, NULL, weight);
}

genc_trace *genc_gen_graph_replay_in(genc_ctx *ctx, genc_gen_graph *gg, genc_key key,
                                     genc_array *const *args, const genc_choicemap *constraints,
                                     genc_array **weight) {
  const char *f = "genc_gen_graph_replay_in";
  if (!ctx) return NULL;
  if (weight) *weight = NULL;
  if (!gg || gg->ctx != ctx || !gg->with_in) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: %s", f,
                  !gg              ? "NULL graph"
                  : gg->ctx != ctx ? "the graph belongs to another context"
                                   : "the graph has no inputs (genc_gen_graph_replay)");
    return NULL;
  }
  genc_gf *gf = gg->tmpl->gf;
  if (!genc__check_args(ctx, gf, args)) return NULL;
  gen_ins ins = {0};
  genc_trace *t = NULL;
  if (!ins_collect(ctx, f, gf, args, constraints, &ins)) {
    if (ins.len != gg->nin || ins.nsig != gg->nsig ||
        memcmp(ins.sig, gg->sig, (size_t)ins.nsig * sizeof *ins.sig))
      genc_ctx_fail(ctx, GENC_ERR_CAPTURE,
                    "%s: %s's constraints name other addresses than the capture's: run eagerly", f,
                    gf->name);
    else
      t = replay(ctx, gg, key, ins.v, weight);
  }
  ins_free(&ins);
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
