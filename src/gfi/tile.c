/*
 * Tiled batched execution. simulate and generate with many particles run the
 * model body over tiles of particles, so that every temporary of the body stays
 * in cache (eager ops over N particles would stream each one through memory),
 * and join the tiles' traces along the particle axis. Tile t of a run with key
 * k uses genc_key_particle(k, start of t): its draws are exactly particles
 * start.. of the untiled run, so tiling changes speed, never values.
 * Tiling applies when the function's type can map traces, every argument and
 * constraint is shared and no batched source trace is read (per-particle inputs
 * would need slicing) and the function has a tile size (genc_gf_set_tile()).
 */
#include <stdlib.h>

#include "gfi/internal.h"

typedef genc__collect collect;

genc_array *genc__collect_fn(genc_ctx *ctx, genc_array *x, void *user) {
  collect *c = user;
  if (c->len == c->cap) {
    int cap = c->cap ? 2 * c->cap : 32;
    genc_array **v = realloc(c->v, (size_t)cap * sizeof *v);
    if (!v) {
      genc_ctx_fail(ctx, GENC_ERR_NOMEM, "out of memory joining tiles");
      return NULL;
    }
    c->v = v;
    c->cap = cap;
  }
  c->v[c->len++] = x;
  return x;
}

typedef struct joiner {
  collect *tiles; /* one per tile */
  const int64_t *sizes;
  int k, pos;
} joiner;

static genc_array *join_fn(genc_ctx *ctx, genc_array *x, void *user) {
  joiner *j = user;
  int pos = j->pos++;
  bool same = true;
  for (int t = 0; t < j->k; t++) {
    if (pos >= j->tiles[t].len) {
      genc_ctx_fail(ctx, GENC_ERR_ARG, "tiles of a batched run made traces of different shapes");
      return NULL;
    }
    same = same && j->tiles[t].v[pos] == x;
  }
  if (same || !x) return x; /* a shared input, e.g. a constraint or an argument */
  genc_array **xs = malloc((size_t)j->k * sizeof *xs);
  if (!xs) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "out of memory joining tiles");
    return NULL;
  }
  genc_array *out = x;
  for (int t = 0; t < j->k && out; t++) {
    genc_array *v = j->tiles[t].v[pos];
    xs[t] = v && genc_array_nparticles(v) ? v : genc_particle_broadcast(ctx, v, j->sizes[t]);
    if (!xs[t]) out = NULL;
  }
  if (out) out = genc_particle_concat(ctx, j->k, xs);
  free(xs);
  return out;
}

static int batched_leaf(const genc_comp *path, int len, genc_array *v, void *user) {
  (void)path, (void)len, (void)user;
  return v && genc_array_nparticles(v) > 0;
}

bool genc__tile_applies(const genc_gf *gf, const genc_gfi_call *c) {
  if (!gf->tile || c->n <= gf->tile || !gf->type->trace_map) return false;
  if (c->from && c->from->n > 0) return false; /* a proposal reads its batched source trace */
  for (int i = 0; i < gf->nargs; i++)
    if (c->args && c->args[i] && genc_array_nparticles(c->args[i]) > 0) return false;
  return !c->constraints || !genc_choicemap_foreach(c->constraints, batched_leaf, NULL);
}

static genc_status run_op(genc_ctx *ctx, genc_gf *gf, const genc_gfi_call *c, genc_gfi_result *r,
                          void *user) {
  return (*(genc_gfi_op *)user)(ctx, gf, c, r);
}

genc_status genc__tile_run(genc_ctx *ctx, genc_gf *gf, genc_gfi_op op, const genc_gfi_call *call,
                           genc_gfi_result *res) {
  return genc__tile_run_fn(ctx, gf, run_op, &op, call, res);
}

genc_status genc__tile_run_fn(genc_ctx *ctx, genc_gf *gf, genc__tile_fn fn, void *user,
                              const genc_gfi_call *call, genc_gfi_result *res) {
  int k = (int)((call->n + gf->tile - 1) / gf->tile);
  genc_trace **tr = calloc((size_t)k, sizeof *tr);
  genc_array **w = calloc((size_t)k, sizeof *w);
  collect *cols = calloc((size_t)k, sizeof *cols);
  int64_t *sizes = calloc((size_t)k, sizeof *sizes);
  genc_status st =
      tr && w && cols && sizes
          ? GENC_OK
          : genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: out of memory for tiles", gf->name);
  int64_t mark = genc_scope_begin(ctx);
  for (int t = 0; t < k && !st; t++) {
    int64_t s = (int64_t)t * gf->tile;
    genc_gfi_call c = *call;
    c.n = sizes[t] = call->n - s < gf->tile ? call->n - s : gf->tile;
    c.key = genc_key_particle(call->key, (uint32_t)s);
    genc_gfi_result r = {0};
    st = fn(ctx, gf, &c, &r, user);
    tr[t] = r.trace, w[t] = r.weight;
    genc_choicemap_free(r.discard);
    if (!st) {
      genc_trace *seen = gf->type->trace_map(ctx, tr[t], genc__collect_fn, &cols[t], sizes[t]);
      st = seen ? GENC_OK : genc_ctx_status(ctx);
      genc_trace_release(seen);
    }
  }
  genc_trace *out = NULL;
  genc_array *weight = NULL;
  if (!st) {
    joiner j = {cols, sizes, k, 0};
    out = gf->type->trace_map(ctx, tr[0], join_fn, &j, call->n);
    if (out && w[0]) {
      joiner jw = {NULL, sizes, k, 0};
      collect *wc = calloc((size_t)k, sizeof *wc);
      for (int t = 0; wc && t < k; t++)
        wc[t] = (collect){&w[t], 1, 1};
      jw.tiles = wc;
      weight = wc ? join_fn(ctx, w[0], &jw) : NULL;
      free(wc);
    }
    if (!out || (w[0] && !weight))
      st = genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_NOMEM;
  }
  for (int t = 0; t < k; t++) {
    if (tr) genc_trace_release(tr[t]);
    if (cols) free(cols[t].v);
  }
  if (st) {
    genc_trace_release(out);
    out = NULL, weight = NULL;
  }
  genc_scope_end_keep(ctx, mark, &weight, weight ? 1 : 0);
  res->trace = out;
  res->weight = weight;
  free(tr), free(w), free(cols), free(sizes);
  return st;
}

void genc_gf_set_tile(genc_gf *gf, int64_t particles) {
  if (gf) gf->tile = particles > 0 ? particles : 0;
}

int64_t genc_gf_tile(const genc_gf *gf) { return gf ? gf->tile : 0; }
