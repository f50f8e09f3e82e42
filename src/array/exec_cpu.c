/*
 * The CPU executor of captured graphs (genc/exec.h): a plan of steps
 * (exec_part.h), regions compiled to native code (exec_emit.c, exec_cc.c)
 * run over chunks of particles on a thread pool (exec_pool.c), the other
 * nodes through the interpreter (genc__graph_run_node). Without a working
 * compiler each region runs through its primitives' forwards over tiles of
 * particles instead (the same values: the eager kernels themselves, on
 * slices of the particle axis).
 *
 * A background compile (genc_compile_opts.background) runs the compiler on a
 * thread of the plan's own that reads only its copy of the source and writes
 * only its struct (bgc); the graph's owner thread installs the result at the
 * first replay (or info, wait) after its done flag is set, and interprets
 * every node until then. No state is shared between plans.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "array/exec_abi.h"
#include "array/exec_cpu.h"
#include "array/exec_cuda.h"
#include "genc/exec.h"

/* A compile running on its own thread: done (release) publishes the rest. */
typedef struct bgc {
  pthread_t tid;
  char *src; /* the regions' C, the thread's own copy */
  char cc[512], dir[2048];
  genc_xcc_stop stop;
  void *dl; /* the result: dlopen handle, NULL on failure (err says why) */
  bool hit;
  char path[512], err[256];
  double t0, secs;
  atomic_bool done;
} bgc;

typedef struct plan {
  genc_xpart part;
  bgc *bg;         /* a background compile not installed yet, or NULL */
  bool plain;      /* interpret node by node (cached_only missed, background failed) */
  int threads_opt; /* genc_compile_opts.threads and .tile, for the install */
  int64_t tile_opt;
  void *dl;           /* dlopen handle, NULL: tiled interpreter */
  genc_xfn *fn;       /* per region */
  genc_xstepfn *step; /* per region: its loop step (unbatched regions), or NULL */
  genc_xpool *pool;   /* NULL: one thread */
  int64_t tile;       /* particles per chunk (compiled) or tile (interpreted) */
  genc_array **keep;  /* per value: the last replay's region output, for reuse */
  int32_t nvals;
  int32_t *last; /* per value: the last step that reads it (nsteps: keep to the end) */
  genc_compile_info info;
} plan;

static void bg_free(bgc *b) {
  pthread_mutex_destroy(&b->stop.mu);
  free(b->src), free(b);
}

static void plan_free(void *e) {
  plan *pl = e;
  if (!pl) return;
  if (pl->bg) { /* stop the compiler rather than wait for it */
    genc__xcc_cancel(&pl->bg->stop);
    pthread_join(pl->bg->tid, NULL);
    if (pl->bg->dl) dlclose(pl->bg->dl);
    bg_free(pl->bg);
  }
  for (int32_t v = 0; pl->keep && v < pl->nvals; v++)
    genc_array_release(pl->keep[v]);
  free(pl->keep);
  free(pl->last);
  genc__xpool_free(pl->pool);
  if (pl->dl) dlclose(pl->dl);
  free(pl->fn), free(pl->step);
  genc__xpart_free(&pl->part);
  free(pl);
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The key words a sample node draws with at this replay: its derived key, or
 * the constant key captured in its parameters. */
static void node_key(const genc_gnode *nd, const genc_key *keys, uint32_t out[3]) {
  if (nd->key >= 0) {
    out[0] = keys[nd->key].k[0], out[1] = keys[nd->key].k[1];
    out[2] = keys[nd->key].particle;
  } else {
    out[0] = (uint32_t)nd->p.i[0], out[1] = (uint32_t)((uint64_t)nd->p.i[0] >> 32);
    out[2] = (uint32_t)nd->p.i[1];
  }
}

/* ---- compiled regions ---- */

typedef struct job {
  genc_xfn fn;
  const genc_xargs *args;
} job;

static void run_chunk(void *arg, int64_t a, int64_t b) {
  const job *j = arg;
  j->fn(j->args, a, b);
}

static genc_status run_compiled(genc_ctx *ctx, const genc_graph *g, plan *pl, int32_t ri,
                                const genc_key *keys, genc_array **vals) {
  const genc_xregion *r = &pl->part.regions[ri];
  const void **in = malloc(((size_t)r->nin + 1) * sizeof *in);
  void **out = malloc(((size_t)r->nout + 1) * sizeof *out);
  uint32_t *kw = malloc(((size_t)r->nsample * 3 + 1) * sizeof *kw);
  if (!in || !out || !kw) {
    free(in), free(out), free(kw);
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "graph replay: out of memory");
  }
  for (int i = 0; i < r->nin; i++)
    in[i] = vals[r->in[i]]->data;
  for (int i = 0; i < r->nout; i++)
    out[i] = vals[r->out[i]]->data;
  for (int i = 0; i < r->nsample; i++)
    node_key(&g->nodes[r->sample[i]], keys, kw + 3 * i);
  genc_xargs args = {.in = in, .out = (void *const *)out, .keys = kw};
  job j = {pl->fn[ri], &args};
  genc__xpool_run(pl->pool, r->n ? r->n : 1, pl->tile, run_chunk, &j);
  free(in), free(out), free(kw);
  return GENC_OK;
}

/* ---- the tiled interpreter ---- */

/* Particles [t0, t0 + nt) of a batched array as a new array. */
static genc_array *tile_of(genc_ctx *ctx, genc_array *x, int64_t t0, int64_t nt) {
  if (!x->n) return x;
  genc_array *y = genc__alloc(ctx, (genc_dtype)x->dtype, x->ndim, x->shape, nt);
  size_t es = genc__esize((genc_dtype)x->dtype);
  if (y && y->bytes)
    ctx->bk->copy(ctx->bst, y->data, (char *)x->data + (size_t)(t0 * x->size) * es, y->bytes);
  return y;
}

/* The parameters of node nd run on particles [t0, t0 + nt) of its region. */
static genc_params tile_params(const genc_gnode *nd, const genc_key *keys, int64_t t0, int64_t nt) {
  genc_params p = nd->p;
  if (!strcmp(nd->prim->name, "random")) {
    uint32_t kw[3];
    node_key(nd, keys, kw);
    p.i[0] = (int64_t)((uint64_t)kw[0] | (uint64_t)kw[1] << 32);
    p.i[1] = (int64_t)kw[2] + t0;
    if (p.i[3]) p.i[3] = nt;
  } else if (!strcmp(nd->prim->name, "broadcast") && p.i[0]) {
    p.i[0] = nt; /* a particle broadcast */
  }
  return p;
}

static genc_status interp_tile(genc_ctx *ctx, const genc_graph *g, const genc_xregion *r,
                               const genc_key *keys, genc_array **vals, genc_array **tv, int64_t t0,
                               int64_t nt) {
  int32_t base = g->ninputs + g->nconsts;
  for (int i = 0; i < r->nin; i++)
    if (!(tv[r->in[i]] = r->n ? tile_of(ctx, vals[r->in[i]], t0, nt) : vals[r->in[i]]))
      return genc_ctx_status(ctx);
  for (int i = 0; i < r->nnodes; i++) {
    const genc_gnode *nd = &g->nodes[r->nodes[i]];
    genc_array *in[GENC_MAX_INPUTS];
    for (int j = 0; j < nd->nin; j++)
      in[j] = tv[nd->in[j]];
    genc_params p = tile_params(nd, keys, r->n ? t0 : 0, nt);
    if (!(tv[base + r->nodes[i]] = nd->prim->forward(ctx, in, &p))) return genc_ctx_status(ctx);
  }
  for (int i = 0; i < r->nout; i++) {
    genc_array *x = tv[r->out[i]], *y = vals[r->out[i]];
    size_t es = genc__esize((genc_dtype)y->dtype);
    if (x->bytes)
      ctx->bk->copy(ctx->bst, (char *)y->data + (size_t)(t0 * y->size) * es, x->data, x->bytes);
  }
  return GENC_OK;
}

static genc_status run_interp(genc_ctx *ctx, const genc_graph *g, plan *pl, int32_t ri,
                              const genc_key *keys, genc_array **vals) {
  const genc_xregion *r = &pl->part.regions[ri];
  int32_t nv = g->ninputs + g->nconsts + g->nnodes;
  genc_array **tv = calloc((size_t)nv, sizeof *tv);
  if (!tv) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "graph replay: out of memory");
  genc_status st = GENC_OK;
  int64_t n = r->n ? r->n : 1;
  for (int64_t t0 = 0; t0 < n && !st; t0 += pl->tile) {
    int64_t mark = genc_scope_begin(ctx);
    st = interp_tile(ctx, g, r, keys, vals, tv, t0, n - t0 < pl->tile ? n - t0 : pl->tile);
    genc_scope_end(ctx, mark);
  }
  free(tv);
  return st;
}

/* ---- replay ---- */

/* The buffer of region output v: the last replay's when nothing else holds
 * it any more (no allocation, no page faults), else a new one. A reference
 * of its own, as genc__graph_run_node's results: the replay releases every
 * node value it finds in vals. */
static genc_array *region_out(genc_ctx *ctx, const genc_graph *g, plan *pl, int32_t v) {
  genc_array *y = pl->keep[v];
  if (y && y->refs == 1) return genc_array_retain(y);
  const genc_gmeta *m = &g->meta[v];
  if (!(y = genc__alloc(ctx, (genc_dtype)m->dtype, m->ndim, m->shape, m->n))) return NULL;
  y->weak = m->weak;
  genc_array_release(pl->keep[v]);
  pl->keep[v] = genc_array_retain(y);
  return genc_array_retain(y);
}

static genc_status run_region(genc_ctx *ctx, genc_graph *g, plan *pl, int32_t ri,
                              const genc_key *keys, genc_array **vals) {
  const genc_xregion *r = &pl->part.regions[ri];
  for (int i = 0; i < r->nout; i++)
    if (!(vals[r->out[i]] = region_out(ctx, g, pl, r->out[i]))) return genc_ctx_status(ctx);
  return pl->dl ? run_compiled(ctx, g, pl, ri, keys, vals) : run_interp(ctx, g, pl, ri, keys, vals);
}

/* Call f(pl, g, v, s, arg) for every node value v step s reads. */
static void step_reads(const plan *pl, const genc_graph *g, int32_t s,
                       void (*f)(const plan *, int32_t v, int32_t s, void *), void *arg) {
  const genc_xstep *st = &pl->part.steps[s];
  int32_t base = g->ninputs + g->nconsts;
  if (st->node >= 0) {
    for (int i = 0; i < g->nodes[st->node].nin; i++)
      if (g->nodes[st->node].in[i] >= base) f(pl, g->nodes[st->node].in[i], s, arg);
  } else {
    const genc_xregion *r = &pl->part.regions[st->region];
    for (int i = 0; i < r->nin; i++)
      if (r->in[i] >= base) f(pl, r->in[i], s, arg);
  }
}

static void release_last(const plan *pl, int32_t v, int32_t s, void *arg) {
  genc_array **vals = arg;
  if (pl->last[v] == s && vals[v]) genc_array_release(vals[v]), vals[v] = NULL;
}

/* Every node through its primitive's forward in order, as genc_graph_replay
 * interprets a graph without an executor (the eager values bit for bit),
 * releasing each value after its last use; the replay checks the guards. */
static genc_status interp_all(genc_ctx *ctx, genc_graph *g, const genc_key *keys,
                              genc_array **vals) {
  int32_t base = g->ninputs + g->nconsts;
  for (int32_t k = 0; k < g->nnodes; k++) {
    genc_array *y = genc__graph_run_node(ctx, g, k, vals, keys);
    if (!y) return genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_BACKEND;
    vals[base + k] = y;
    for (int i = 0; i < g->nodes[k].nin; i++) {
      int32_t u = g->nodes[k].in[i];
      if (u >= base && g->last_use[u] == k) genc_array_release(vals[u]), vals[u] = NULL;
    }
  }
  return GENC_OK;
}

static void bg_install(plan *pl, bool wait);

static genc_status exec_run(genc_ctx *ctx, genc_graph *g, const genc_key *keys, genc_array **vals) {
  plan *pl = g->exec;
  if (pl->bg) bg_install(pl, false);
  if (pl->bg || pl->plain) { /* the compiler still runs, or none will */
    pl->info.interpreted_replays += pl->bg != NULL;
    return interp_all(ctx, g, keys, vals);
  }
  int32_t base = g->ninputs + g->nconsts;
  for (int32_t s = 0; s < pl->part.nsteps; s++) {
    const genc_xstep *st = &pl->part.steps[s];
    if (st->node >= 0) {
      genc_array *y = genc__xpreduce(ctx, pl->pool, g, st->node, vals);
      if (!y && genc_ctx_status(ctx)) return genc_ctx_status(ctx);
      if (!y && !(y = genc__graph_run_node(ctx, g, st->node, vals, keys)))
        return genc_ctx_status(ctx);
      vals[base + st->node] = y;
    } else if (run_region(ctx, g, pl, st->region, keys, vals)) {
      return genc_ctx_status(ctx);
    }
    step_reads(pl, g, s, release_last, vals); /* memory stays at what later steps need */
  }
  return GENC_OK;
}

/* genc_graph_loop on a compiled graph of one unbatched region: its loop
 * (exec_loop.c); other graphs go back to replays one by one. */
static genc_status exec_loop(genc_ctx *ctx, genc_graph *g, const genc_key *keys,
                             genc_array *const *in, genc_array **out, const genc_graph_loop_opts *o,
                             bool *handled) {
  plan *pl = g->exec;
  if (pl->bg) bg_install(pl, false);
  *handled = !pl->bg && !pl->plain && pl->dl && pl->step &&
             genc__xloop_fits(g, &pl->part, o->carry) && pl->step[pl->part.steps[0].region];
  if (!*handled) return GENC_OK;
  int64_t done = 0;
  genc_status st = genc__xloop_run(ctx, g, &pl->part, pl->step[pl->part.steps[0].region], keys, in,
                                   out, o, &done);
  pl->info.looped_replays += done;
  if (o->done) *o->done = st && st != GENC_ERR_CAPTURE ? 0 : done;
  return st;
}

/* ---- compile ---- */

static int online_cores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

/* Bind the region functions of pl->dl; false (pl->dl closed) when one is
 * missing. */
static bool bind_regions(plan *pl) {
  pl->fn = calloc((size_t)pl->part.nregions + 1, sizeof *pl->fn);
  pl->step = calloc((size_t)pl->part.nregions + 1, sizeof *pl->step);
  for (int32_t r = 0; pl->fn && pl->step && r < pl->part.nregions; r++) {
    char name[64];
    snprintf(name, sizeof name, GENC_XSTEP_FMT, (int)r);
    *(void **)&pl->step[r] = dlsym(pl->dl, name); /* unbatched regions only */
    snprintf(name, sizeof name, GENC_XFN_FMT, (int)r);
    *(void **)&pl->fn[r] = dlsym(pl->dl, name);
    if (!pl->fn[r]) break;
  }
  if (pl->fn && pl->step && (!pl->part.nregions || pl->fn[pl->part.nregions - 1])) return true;
  free(pl->fn), pl->fn = NULL;
  free(pl->step), pl->step = NULL;
  dlclose(pl->dl), pl->dl = NULL;
  return false;
}

/* The plan's threads and tile once its regions are compiled or not. */
static void plan_finish(plan *pl, bool compiled) {
  pl->info.compiled = compiled;
  pl->info.threads = compiled ? (pl->threads_opt ? pl->threads_opt : online_cores()) : 1;
  pl->pool = genc__xpool_new(pl->info.threads);
  pl->tile = pl->tile_opt ? pl->tile_opt : compiled ? 2 * GENC_X_TILE : 512;
}

static void *bg_main(void *arg) {
  bgc *b = arg;
  b->dl = genc__xcc_load(b->src, b->cc, b->dir, &b->hit, b->path, sizeof b->path, b->err,
                         sizeof b->err, &b->stop);
  b->secs = now_s() - b->t0;
  atomic_store_explicit(&b->done, true, memory_order_release);
  return NULL;
}

/* Install the background compile of pl once it is done (wait: join it even
 * if it still runs); the plan is then what a blocking compile makes. */
static void bg_install(plan *pl, bool wait) {
  bgc *b = pl->bg;
  if (!b || (!wait && !atomic_load_explicit(&b->done, memory_order_acquire))) return;
  pthread_join(b->tid, NULL);
  pl->bg = NULL;
  pl->dl = b->dl;
  pl->info.cache_hit = b->hit;
  pl->info.background_s = b->secs;
  pl->info.pending = false;
  snprintf(pl->info.so_path, sizeof pl->info.so_path, "%s", b->path);
  bool compiled = pl->dl && bind_regions(pl);
  if (!compiled)
    snprintf(pl->info.why, sizeof pl->info.why, "%s",
             b->err[0] ? b->err : "a region function is missing");
  pl->plain = !compiled; /* replays go on as they ran while it was pending */
  plan_finish(pl, compiled);
  bg_free(b);
}

/* Start the compiler on a thread of its own for src (taken); false (src
 * freed) when no thread starts. */
static bool bg_start(plan *pl, char *src, const char *cc, const char *dir) {
  bgc *b = calloc(1, sizeof *b);
  if (!b || pthread_mutex_init(&b->stop.mu, NULL)) {
    free(b), free(src);
    return false;
  }
  b->src = src;
  snprintf(b->cc, sizeof b->cc, "%s", cc);
  snprintf(b->dir, sizeof b->dir, "%s", dir);
  b->t0 = now_s();
  atomic_init(&b->done, false);
  if (pthread_create(&b->tid, NULL, bg_main, b)) {
    bg_free(b);
    return false;
  }
  pl->bg = b;
  pl->info.background = pl->info.pending = true;
  return true;
}

enum { NOT_COMPILED, COMPILED, PENDING };

/* Compile the regions of pl: COMPILED, NOT_COMPILED (pl->info.why says why
 * when known) when the compiler, the cache or the loader fails, PENDING when
 * the compiler runs in the background (o->background, not in the cache). */
static int compile_regions(const genc_graph *g, plan *pl, const genc_compile_opts *o) {
  char dir[2048], err[512];
  const char *cc = o->compiler ? o->compiler : getenv("CC");
  if (!cc || !*cc) cc = "cc";
  if (!genc__xcc_cache_dir(o->cache_dir, dir, sizeof dir)) {
    snprintf(pl->info.why, sizeof pl->info.why, "no cache directory (set GENC_CACHE_DIR)");
    return NOT_COMPILED;
  }
  genc_xbuf src = {0};
  genc__xemit(g, &pl->part, &src);
  if (src.oom) {
    free(src.s);
    return NOT_COMPILED;
  }
  const char *dump = getenv("GENC_EXEC_SOURCE"); /* debugging: where to copy the source */
  FILE *df = dump && *dump ? fopen(dump, "w") : NULL;
  if (df) fputs(src.s, df), fclose(df);
  if (o->background || o->cached_only) {
    pl->dl = genc__xcc_cached(src.s, cc, dir, pl->info.so_path, sizeof pl->info.so_path);
    pl->info.cache_hit = pl->dl != NULL;
    if (!pl->dl && o->cached_only) {
      snprintf(pl->info.why, sizeof pl->info.why, "not in the disk cache (cached_only)");
      pl->plain = true;
      free(src.s);
      return NOT_COMPILED;
    }
    if (!pl->dl && bg_start(pl, src.s, cc, dir)) return PENDING;
    if (!pl->dl) {
      snprintf(pl->info.why, sizeof pl->info.why, "no thread for the background compile");
      return NOT_COMPILED;
    }
  } else {
    pl->dl = genc__xcc_load(src.s, cc, dir, &pl->info.cache_hit, pl->info.so_path,
                            sizeof pl->info.so_path, err, sizeof err, NULL);
    if (!pl->dl) snprintf(pl->info.why, sizeof pl->info.why, "%.255s", err);
  }
  free(src.s);
  return pl->dl && bind_regions(pl) ? COMPILED : NOT_COMPILED;
}

genc_status genc_graph_compile(genc_ctx *ctx, genc_graph *g, const genc_compile_opts *opts) {
  if (!ctx) return GENC_ERR_ARG;
  if (!g || g->ctx != ctx)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_graph_compile: %s",
                         g ? "the graph belongs to another context" : "graph is NULL");
  if (ctx->bk->device == GENC_CUDA) /* the CUDA executor (exec_cuda.c) */
    return genc__xcuda_compile(ctx, g, opts ? opts : &(genc_compile_opts){0});
  if (ctx->bk->device != GENC_CPU)
    return genc_ctx_fail(ctx, GENC_ERR_UNSUPPORTED,
                         "genc_graph_compile: the CPU executor needs a CPU context (this one "
                         "runs on %s)",
                         ctx->bk->name);
  genc_compile_opts o = opts ? *opts : (genc_compile_opts){0};
  if (o.threads < 0 || o.tile < 0)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_graph_compile: threads (%d) and tile (%lld) must be >= 0", o.threads,
                         (long long)o.tile);
  double t0 = now_s();
  plan *pl = calloc(1, sizeof *pl);
  if (!pl) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_graph_compile: out of memory");
  pl->nvals = g->ninputs + g->nconsts + g->nnodes;
  pl->keep = calloc((size_t)pl->nvals + 1, sizeof *pl->keep);
  pl->last = malloc(((size_t)pl->nvals + 1) * sizeof *pl->last);
  if (!pl->keep || !pl->last) {
    free(pl->keep), free(pl->last), free(pl);
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_graph_compile: out of memory");
  }
  if (genc__xpart_build(ctx, g, false, &pl->part)) {
    free(pl->keep), free(pl->last), free(pl);
    return genc_ctx_status(ctx);
  }
  pl->threads_opt = o.threads, pl->tile_opt = o.tile;
  int c = !o.interpret && pl->part.nregions ? compile_regions(g, pl, &o) : NOT_COMPILED;
  if (c == NOT_COMPILED && !pl->info.why[0])
    snprintf(pl->info.why, sizeof pl->info.why, "%s",
             o.interpret         ? "interpret was asked"
             : pl->part.nregions ? "a region function is missing"
                                 : "no region");
  if (c != PENDING) plan_finish(pl, c == COMPILED);
  genc__xpart_lifetimes(g, &pl->part, pl->last);
  pl->info.regions = pl->part.nregions;
  for (int32_t r = 0; r < pl->part.nregions; r++)
    pl->info.fused_nodes += pl->part.regions[r].nnodes;
  pl->info.interp_nodes = g->nnodes - pl->info.fused_nodes;
  if (g->exec_free) g->exec_free(g->exec);
  g->exec = pl, g->exec_run = exec_run, g->exec_free = plan_free, g->exec_loop = exec_loop;
  pl->info.compile_s = now_s() - t0;
  return GENC_OK;
}

genc_status genc_graph_compile_info(genc_ctx *ctx, const genc_graph *g, genc_compile_info *out) {
  if (!ctx) return GENC_ERR_ARG;
  if (g && out && genc__xcuda_info(g, out)) return GENC_OK;
  if (!g || !out || g->exec_free != plan_free)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_graph_compile_info: %s",
                         !g || !out ? "graph or out is NULL"
                                    : "the graph has no CPU executor (call genc_graph_compile)");
  plan *pl = g->exec; /* the plan is not part of the const graph: installing changes no value */
  bg_install(pl, false);
  *out = pl->info;
  return GENC_OK;
}

genc_status genc_graph_compile_wait(genc_ctx *ctx, genc_graph *g) {
  if (!ctx) return GENC_ERR_ARG;
  genc_compile_info info;
  if (g && genc__xcuda_info(g, &info)) return GENC_OK; /* CUDA compiles block */
  if (!g || g->ctx != ctx || g->exec_free != plan_free)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_graph_compile_wait: %s",
                         !g ? "graph is NULL"
                         : g->ctx != ctx
                             ? "the graph belongs to another context"
                             : "the graph has no CPU executor (call genc_graph_compile)");
  bg_install(g->exec, true);
  return GENC_OK;
}
