/*
 * The CUDA executor of captured graphs (exec_cuda.h): regions run as NVRTC
 * kernels (exec_cuda_src.c; backend/cuda/cuda_rtc.h), other nodes through the
 * interpreter, on the context's stream.
 *
 * CUDA Graph: the second replay of a graph whose interpreted nodes never
 * synchronize with the host (graphable(): no downloads or flag reads, no
 * sampler whose key changes per replay) runs once under stream capture,
 * reading the plan's own copies of the inputs. Every block freed while
 * recording stays with the graph (cuda_cgraph.cu); the outputs and the guard
 * values stay with the plan. Later replays copy the inputs in, upload the
 * keys, launch the graph and copy the outputs into new arrays: no host
 * synchronization inside. A graph with anything else, or a capture that
 * fails, replays eagerly.
 *
 * Guards (g->exec_guards: this executor checks them, not replay.c): every
 * replay ends with one kernel comparing all guard values with their captured
 * values on the device (recorded into the CUDA Graph), which writes the count
 * that changed into pinned host memory (cuda_cgraph.cu); the replay then
 * waits for that word, its one synchronization (the output copies after the
 * graph may still run). Only when it says a guard changed are the guards read
 * again on the host, one by one, to fail with the replay's usual message
 * (genc__graph_check_guard). The check also brings the replay's small outputs
 * back (echoes: plan_echoes), so reading them costs no second wait. Since
 * every replay of such a graph ends with that wait, its key words live in
 * pinned memory and the graph's first node copies them: a replay through the
 * graph makes two driver calls (launch, output copy) besides the wait. A
 * graph without guards never synchronizes (its keys are uploaded from
 * pageable memory, staged by the driver).
 *
 * Particle reductions of a region's own outputs run inside its kernel
 * (plan_epilogues, exec_cuda_src.c) and keep their steps only for the values'
 * lifetimes (in_kernel).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "array/exec_cpu.h"
#include "array/exec_cuda.h"

#ifdef GENC_HAVE_CUDA

#include "backend/cuda/cuda_rtc.h"

enum { CG_UNTRIED, CG_READY, CG_NEVER };

typedef struct cplan {
  genc_xpart part;
  genc_cu_fn **fn; /* per region; NULL entries: interpreted */
  bool *pairs;   /* per region: it draws normals and half its particles fill the device (its kernel
                    takes pairs) */
  int32_t *koff; /* per region: its first key word */
  int32_t *last; /* per value: the last step reading it (nsteps: kept; -1: none) */
  genc_xcu_fuse *fuse; /* per region: the particle reductions its kernel finishes */
  bool *in_kernel;     /* per node: a reduction a region kernel finishes (no step of its own) */
  void **scratch;      /* per region with an epilogue: its partials, then its counter */
  size_t *scratch_bytes;
  int32_t nkw;      /* key words in all */
  uint32_t *hkeys;  /* this replay's key words (host; pinned when pinned_keys) */
  bool pinned_keys; /* the recorded graph copies hkeys itself (g has guards: see upload_keys) */
  void *dkeys;      /* and on the device (the context's allocator) */
  size_t dkeys_bytes;
  int64_t runs;
  int cg;
  bool graphable;
  genc_cu_graph *graph;
  genc_array **gin, **gout; /* the graph's inputs and outputs (held) */
  int32_t ninputs, nkeep;   /* gout: the outputs, then the guard values */
  genc_cu_guards *guards;   /* the device check of g's guards (NULL: none, or host reads) */
  int32_t necho, *echo;     /* outputs (indices into g->outputs) the check brings back */
  genc_ctx *ctx;
  genc_compile_info info;
} cplan;

static void drop_graph(cplan *pl) {
  genc_cu_graph_free(pl->ctx->bst, pl->graph);
  pl->graph = NULL;
  for (int32_t i = 0; pl->gin && i < pl->ninputs; i++)
    genc_array_release(pl->gin[i]);
  for (int32_t j = 0; pl->gout && j < pl->nkeep; j++)
    genc_array_release(pl->gout[j]);
  free(pl->gin), free(pl->gout);
  pl->gin = pl->gout = NULL;
}

static void cplan_free(void *e) {
  cplan *pl = e;
  if (!pl) return;
  genc_ctx *ctx = pl->ctx;
  drop_graph(pl);
  genc_cu_guards_free(ctx->bst, pl->guards);
  if (pl->pinned_keys)
    genc_cu_host_free(ctx->bst, pl->hkeys);
  else
    free(pl->hkeys);
  for (int32_t r = 0; pl->scratch && r < pl->part.nregions; r++)
    if (pl->scratch[r]) ctx->bk->free(ctx->bst, pl->scratch[r], pl->scratch_bytes[r]);
  free(pl->scratch), free(pl->scratch_bytes), free(pl->fuse), free(pl->in_kernel);
  free(pl->fn), free(pl->pairs), free(pl->koff), free(pl->last), free(pl->echo);
  if (pl->dkeys) ctx->bk->free(ctx->bst, pl->dkeys, pl->dkeys_bytes);
  genc__xpart_free(&pl->part);
  free(pl);
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- one eager pass ---- */

/* Release value v (a node's) after step s if s was its last reader. By step,
 * not by node: an interpreted node deferred after a region runs after region
 * nodes with higher indices that read the same value. */
static void drop_if_last(const genc_graph *g, const cplan *pl, genc_array **vals, int32_t v,
                         int32_t s) {
  int32_t base = g->ninputs + g->nconsts;
  if (v >= base && pl->last[v] == s && vals[v]) {
    genc_array_release(vals[v]);
    vals[v] = NULL;
  }
}

static genc_status run_kernel(genc_ctx *ctx, const genc_graph *g, cplan *pl, int32_t ri,
                              genc_array **vals) {
  const genc_xregion *r = &pl->part.regions[ri];
  const genc_xcu_fuse *f = &pl->fuse[ri];
  int32_t base = g->ninputs + g->nconsts;
  /* the kernel's parameter block: genc_xkp<r> of the source, in[nin + 1], then
   * out[nout + 2 nred + 2]: outputs, the epilogue's outputs, partials, counter */
  size_t np = (size_t)(r->nin + r->nout + 2 * f->nred + 3);
  void *stack[64], **blk = np <= 64 ? stack : calloc(np, sizeof *blk); /* no malloc, mostly */
  if (!blk) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "graph replay: out of memory");
  for (int i = 0; i < r->nin; i++)
    blk[i] = vals[r->in[i]]->data;
  void **out = blk + r->nin + 1;
  for (int i = 0; i < r->nout; i++)
    out[i] = vals[r->out[i]]->data;
  for (int e = 0; e < f->nred; e++) {
    out[r->nout + e] = vals[base + f->node[e]]->data;
    out[r->nout + f->nred + e] = (char *)pl->scratch[ri] + (size_t)e * (size_t)f->nchunk * 16;
  }
  if (f->nred) out[r->nout + 2 * f->nred] = (char *)pl->scratch[ri] + pl->scratch_bytes[ri] - 16;
  int64_t n = r->n ? r->n : 1;
  void *kp = (char *)pl->dkeys + (size_t)pl->koff[ri] * sizeof(uint32_t);
  int pair_ok = pl->pairs[ri];
  void *args[4] = {blk, &n, &kp, &pair_ok};
  char err[256];
  /* a region that draws normals runs particles in pairs (exec_cuda_src.c);
   * one with an epilogue runs the chunked reductions' grid */
  int64_t items = pl->pairs[ri] ? n / 2 + 1 : n;
  int rc = f->nred
               ? genc_cu_rtc_launch_blocks(ctx->bst, pl->fn[ri], f->nchunk, args, err, sizeof err)
               : genc_cu_rtc_launch(ctx->bst, pl->fn[ri], items, args, err, sizeof err);
  if (blk != stack) free(blk);
  return rc ? genc_ctx_fail(ctx, GENC_ERR_BACKEND, "graph replay: %s", err) : GENC_OK;
}

/* Region ri through its primitives' forwards (no kernel: NVRTC failed). */
static genc_status run_region_interp(genc_ctx *ctx, const genc_graph *g, const genc_xregion *r,
                                     const genc_key *keys, genc_array **vals) {
  int32_t base = g->ninputs + g->nconsts;
  for (int i = 0; i < r->nnodes; i++) {
    int32_t k = r->nodes[i];
    if (!(vals[base + k] = genc__graph_run_node(ctx, g, k, vals, keys)))
      return genc_ctx_status(ctx);
  }
  return GENC_OK;
}

/* A new array for value v of g into vals[v]. */
static genc_status make_value(genc_ctx *ctx, const genc_graph *g, int32_t v, genc_array **vals) {
  const genc_gmeta *m = &g->meta[v];
  genc_array *y = genc__alloc(ctx, (genc_dtype)m->dtype, m->ndim, m->shape, m->n);
  if (!y) return genc_ctx_status(ctx);
  y->weak = m->weak;
  vals[v] = genc_array_retain(y);
  return GENC_OK;
}

static genc_status run_region(genc_ctx *ctx, const genc_graph *g, cplan *pl, int32_t ri,
                              const genc_key *keys, genc_array **vals) {
  const genc_xregion *r = &pl->part.regions[ri];
  const genc_xcu_fuse *f = &pl->fuse[ri];
  if (!pl->fn[ri]) return run_region_interp(ctx, g, r, keys, vals);
  for (int i = 0; i < r->nout; i++)
    if (make_value(ctx, g, r->out[i], vals)) return genc_ctx_status(ctx);
  for (int e = 0; e < f->nred; e++)
    if (make_value(ctx, g, g->ninputs + g->nconsts + f->node[e], vals)) return genc_ctx_status(ctx);
  return run_kernel(ctx, g, pl, ri, vals);
}

/* Every step in order; intermediates are released after their last reader
 * (pl->last; outputs and guard values stay). */
static genc_status run_steps(genc_ctx *ctx, const genc_graph *g, cplan *pl, const genc_key *keys,
                             genc_array **vals) {
  int32_t base = g->ninputs + g->nconsts;
  for (int32_t s = 0; s < pl->part.nsteps; s++) {
    const genc_xstep *st = &pl->part.steps[s];
    if (st->node >= 0) {
      const genc_gnode *nd = &g->nodes[st->node];
      /* a reduction its region's kernel finished has its value already */
      if (!pl->in_kernel[st->node] &&
          !(vals[base + st->node] = genc__graph_run_node(ctx, g, st->node, vals, keys)))
        return genc_ctx_status(ctx);
      for (int i = 0; i < nd->nin; i++)
        drop_if_last(g, pl, vals, nd->in[i], s);
      continue;
    }
    const genc_xregion *r = &pl->part.regions[st->region];
    if (run_region(ctx, g, pl, st->region, keys, vals)) return genc_ctx_status(ctx);
    for (int i = 0; i < r->nnodes; i++) {
      const genc_gnode *nd = &g->nodes[r->nodes[i]];
      for (int j = 0; j < nd->nin; j++)
        drop_if_last(g, pl, vals, nd->in[j], s);
    }
  }
  return GENC_OK;
}

/* ---- keys ---- */

static genc_status upload_keys(genc_ctx *ctx, const genc_graph *g, cplan *pl,
                               const genc_key *keys) {
  if (!pl->nkw) return GENC_OK;
  for (int32_t ri = 0; ri < pl->part.nregions; ri++) {
    const genc_xregion *r = &pl->part.regions[ri];
    for (int i = 0; i < r->nsample; i++) {
      const genc_gnode *nd = &g->nodes[r->sample[i]];
      uint32_t *w = pl->hkeys + pl->koff[ri] + 3 * i;
      if (nd->key >= 0) {
        w[0] = keys[nd->key].k[0], w[1] = keys[nd->key].k[1], w[2] = keys[nd->key].particle;
      } else {
        w[0] = (uint32_t)nd->p.i[0], w[1] = (uint32_t)((uint64_t)nd->p.i[0] >> 32);
        w[2] = (uint32_t)nd->p.i[1];
      }
    }
  }
  size_t bytes = (size_t)pl->nkw * sizeof *pl->hkeys;
  /* pinned: every replay ends waiting for its guard check, which runs after
   * this copy, so the next replay cannot overwrite hkeys before it is read;
   * a recorded graph holds its own copy node (record), so nothing to do */
  if (pl->pinned_keys) {
    if (pl->cg == CG_READY || !genc_cu_upload_async(ctx->bst, pl->dkeys, pl->hkeys, bytes))
      return GENC_OK;
  } else if (!ctx->bk->upload(ctx->bst, pl->dkeys, pl->hkeys, bytes)) {
    return GENC_OK; /* from pageable memory: staged before upload returns */
  }
  return genc_ctx_fail(ctx, GENC_ERR_BACKEND, "graph replay: key upload failed");
}

/* ---- guards ---- */

/* Enqueue the device check of g's guards on this replay's values (recorded
 * when a graph records). */
static genc_status guards_enqueue(genc_ctx *ctx, const genc_graph *g, cplan *pl,
                                  genc_array **vals) {
  enum { SMALL = 16 };
  const void *echo[GENC_CU_GUARD_ECHOES + 1];
  unsigned char eb[GENC_CU_GUARD_ECHOES + 1];
  for (int32_t e = 0; e < pl->necho; e++) {
    const genc_array *v = vals[g->outputs[pl->echo[e]]];
    echo[e] = v->data, eb[e] = (unsigned char)v->bytes;
  }
  void *sp[SMALL], **p = sp;
  unsigned char sdt[SMALL], *dt = sdt;
  double sseen[SMALL], *seen = sseen;
  if (g->nguards > SMALL) {
    p = malloc((size_t)g->nguards * sizeof *p);
    dt = malloc((size_t)g->nguards);
    seen = malloc((size_t)g->nguards * sizeof *seen);
  }
  genc_status st = GENC_OK;
  char err[256];
  genc_cu_guards_arm(pl->guards);
  if (!p || !dt || !seen) {
    st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, "graph replay: out of memory");
  } else {
    for (int32_t q = 0; q < g->nguards; q++) {
      const genc_array *v = vals[g->guards[q].value];
      p[q] = v->data, dt[q] = v->dtype, seen[q] = g->guards[q].seen;
    }
    if (genc_cu_guards_launch(ctx->bst, pl->guards, p, dt, seen, echo, eb, err, sizeof err))
      st = genc_ctx_fail(ctx, GENC_ERR_BACKEND, "graph replay: %s", err);
  }
  if (p != sp) free(p), free(dt), free(seen);
  return st;
}

/* The one synchronization of a replay: the check's word; when it says a guard
 * changed, the host reads them again to fail with the replay's message. */
static genc_status guards_wait(genc_ctx *ctx, const genc_graph *g, cplan *pl, genc_array **vals) {
  long long changed = 0;
  if (genc_cu_guards_wait(ctx->bst, pl->guards, &changed))
    return genc_ctx_fail(ctx, GENC_ERR_BACKEND, "graph replay: a CUDA error before the guards");
  for (int32_t e = 0; !changed && e < pl->necho; e++) { /* host reads of them skip the device */
    genc_array *y = vals[g->outputs[pl->echo[e]]];
    memcpy(&y->hval, genc_cu_guards_echo(pl->guards, e), y->bytes);
    y->hcopy = 1;
  }
  genc_status st = GENC_OK;
  for (int32_t q = 0; changed && q < g->nguards && !st; q++)
    st = genc__graph_check_guard(ctx, g, q, vals);
  if (changed && !st) /* the device saw a change the host does not: still refuse */
    st = genc_ctx_fail(ctx, GENC_ERR_CAPTURE,
                       "genc_graph_replay: guard changed: rerun eagerly (%lld checks read a value "
                       "other than at capture)",
                       changed);
  return st;
}

/* The guards of an eager replay: the device check and one wait, or (no room
 * for the check's word) one host read each. */
static genc_status check_guards(genc_ctx *ctx, const genc_graph *g, cplan *pl, genc_array **vals) {
  if (!g->nguards) return GENC_OK;
  if (pl->guards) {
    genc_status st = guards_enqueue(ctx, g, pl, vals);
    return st ? st : guards_wait(ctx, g, pl, vals);
  }
  genc_status st = GENC_OK;
  for (int32_t q = 0; q < g->nguards && !st; q++)
    st = genc__graph_check_guard(ctx, g, q, vals);
  return st;
}

/* ---- CUDA Graph ---- */

static bool graphable(const genc_graph *g, const cplan *pl) {
  static const char *ok[] = {"copy",    "unary",         "binary",           "where",
                             "astype",  "stop_gradient", "normal_logpdf",    "slice",
                             "permute", "concat",        "matrix_transpose", "reduce",
                             "scan",    "reshape",       "broadcast",        "particle_axis"};
  for (int32_t s = 0; s < pl->part.nsteps; s++) {
    int32_t k = pl->part.steps[s].node;
    if (k < 0) {
      if (!pl->fn[pl->part.steps[s].region]) return false;
      continue;
    }
    const genc_gnode *nd = &g->nodes[k];
    bool found = !strcmp(nd->prim->name, "random") && nd->key < 0; /* a constant key */
    for (size_t i = 0; !found && i < sizeof ok / sizeof *ok; i++)
      found = !strcmp(nd->prim->name, ok[i]);
    if (!found) return false;
  }
  return true;
}

static genc_array *copy_of(genc_ctx *ctx, const genc_array *x) {
  genc_array *y = genc__alloc(ctx, (genc_dtype)x->dtype, x->ndim, x->shape, x->n);
  if (!y) return NULL;
  y->weak = x->weak;
  if (y->bytes) ctx->bk->copy(ctx->bst, y->data, x->data, y->bytes);
  return y;
}

/* Value id of kept value j (outputs, then guard values). */
static int32_t kept(const genc_graph *g, int32_t j) {
  return j < g->noutputs ? g->outputs[j] : g->guards[j - g->noutputs].value;
}

/* Record one replay (nothing runs); true when the graph is ready. */
static bool record(genc_ctx *ctx, const genc_graph *g, cplan *pl, const genc_key *keys,
                   genc_array **vals) {
  int32_t base = g->ninputs + g->nconsts, nv = base + g->nnodes;
  genc_array **tv = calloc((size_t)nv + 1, sizeof *tv);
  pl->gin = calloc((size_t)g->ninputs + 1, sizeof *pl->gin);
  pl->gout = calloc((size_t)pl->nkeep + 1, sizeof *pl->gout);
  bool ok = tv && pl->gin && pl->gout;
  for (int32_t i = 0; ok && i < g->ninputs; i++) /* made before recording: the plan's own */
    ok = (pl->gin[i] = genc_array_retain(genc__alloc(ctx, (genc_dtype)vals[i]->dtype, vals[i]->ndim,
                                                     vals[i]->shape, vals[i]->n))) != NULL;
  char err[256];
  if (!ok || genc_cu_graph_begin(ctx->bst, err, sizeof err)) {
    free(tv);
    drop_graph(pl);
    genc_ctx_clear_error(ctx);
    return false;
  }
  for (int32_t i = 0; i < g->ninputs; i++)
    tv[i] = pl->gin[i], tv[i]->weak = vals[i]->weak;
  for (int32_t v = g->ninputs; v < base; v++)
    tv[v] = vals[v];
  int64_t mark = genc_scope_begin(ctx);
  genc_status st = GENC_OK;
  if (pl->pinned_keys && pl->nkw && /* the graph's first node: each launch's keys */
      genc_cu_upload_async(ctx->bst, pl->dkeys, pl->hkeys, (size_t)pl->nkw * sizeof *pl->hkeys))
    st = GENC_ERR_BACKEND;
  if (!st) st = run_steps(ctx, g, pl, keys, tv);
  if (!st && pl->guards) st = guards_enqueue(ctx, g, pl, tv); /* the graph's last kernel */
  for (int32_t j = 0; j < pl->nkeep; j++) { /* the plan keeps outputs and guard values */
    int32_t v = kept(g, j);
    pl->gout[j] = v >= base && !st ? genc_array_retain(tv[v]) : NULL;
  }
  for (int32_t v = base; v < nv; v++)
    genc_array_release(tv[v]);
  genc_scope_end(ctx, mark); /* intermediates freed while recording: the graph holds them */
  pl->graph = genc_cu_graph_end(ctx->bst, err, sizeof err);
  free(tv);
  if (st || !pl->graph) {
    drop_graph(pl);
    genc_ctx_clear_error(ctx);
    return false;
  }
  return true;
}

/* A replay through the recorded graph: inputs in, launch, outputs out as new
 * arrays; guard values are lent (read only if the device check says one
 * changed); then the replay's one synchronization, if g has guards. */
static genc_status launch(genc_ctx *ctx, const genc_graph *g, cplan *pl, genc_array **vals) {
  int32_t base = g->ninputs + g->nconsts;
  for (int32_t i = 0; i < g->ninputs; i++)
    if (pl->gin[i]->bytes) ctx->bk->copy(ctx->bst, pl->gin[i]->data, vals[i]->data, vals[i]->bytes);
  char err[256];
  if (pl->guards) genc_cu_guards_arm(pl->guards);
  if (genc_cu_graph_launch(ctx->bst, pl->graph, err, sizeof err))
    return genc_ctx_fail(ctx, GENC_ERR_BACKEND, "graph replay: %s", err);
  for (int32_t j = 0; j < pl->nkeep; j++) {
    int32_t v = kept(g, j);
    if (v < base || vals[v]) continue; /* an input or constant, or a value kept twice */
    genc_array *y = j < g->noutputs ? copy_of(ctx, pl->gout[j]) : pl->gout[j];
    if (!(vals[v] = genc_array_retain(y))) return genc_ctx_status(ctx);
  }
  if (!g->nguards) return GENC_OK;
  if (pl->guards) return guards_wait(ctx, g, pl, vals);
  return check_guards(ctx, g, pl, vals);
}

static genc_status exec_run(genc_ctx *ctx, genc_graph *g, const genc_key *keys, genc_array **vals) {
  cplan *pl = g->exec;
  genc_status st = upload_keys(ctx, g, pl, keys);
  if (st) return st;
  if (pl->cg == CG_READY) return launch(ctx, g, pl, vals);
  /* the first replay runs eagerly (warming the allocator), the second records */
  if (pl->cg == CG_UNTRIED && pl->graphable && pl->runs++ >= 1) {
    if (record(ctx, g, pl, keys, vals)) {
      pl->cg = CG_READY;
      pl->info.cuda_graph = true;
      return launch(ctx, g, pl, vals);
    }
    pl->cg = CG_NEVER;
  }
  st = run_steps(ctx, g, pl, keys, vals);
  return st ? st : check_guards(ctx, g, pl, vals);
}

/* ---- compile ---- */

static bool compile_regions(genc_ctx *ctx, const genc_graph *g, cplan *pl,
                            const genc_compile_opts *o) {
  char dir[2048], err[2048];
  if (!genc__xcc_cache_dir(o->cache_dir, dir, sizeof dir)) dir[0] = 0;
  char *src = genc__xcuda_make_source(g, &pl->part, pl->fuse);
  if (!src) return false;
  bool ok = true;
  for (int32_t r = 0; ok && r < pl->part.nregions; r++) {
    char name[64];
    genc_cu_rtc_info inf;
    snprintf(name, sizeof name, "genc_xk%d", (int)r);
    pl->fn[r] = genc_cu_rtc_kernel(ctx->bst, src, name, dir, &inf, err, sizeof err);
    if (r == 0) pl->info.cache_hit = inf.disk_hit || inf.mem_hit;
    ok = pl->fn[r] != NULL;
  }
  free(src);
  if (!ok)
    for (int32_t r = 0; r < pl->part.nregions; r++)
      pl->fn[r] = NULL;
  return ok;
}

static genc_status plan_keys(genc_ctx *ctx, cplan *pl) {
  pl->koff = calloc((size_t)pl->part.nregions + 1, sizeof *pl->koff);
  if (!pl->koff) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_graph_compile: out of memory");
  for (int32_t r = 0; r < pl->part.nregions; r++) {
    pl->koff[r] = pl->nkw;
    pl->nkw += 3 * pl->part.regions[r].nsample;
  }
  pl->dkeys_bytes = ((size_t)pl->nkw + 1) * sizeof(uint32_t);
  pl->hkeys = calloc((size_t)pl->nkw + 1, sizeof *pl->hkeys);
  pl->dkeys = ctx->bk->alloc(ctx->bst, pl->dkeys_bytes);
  if (!pl->hkeys || !pl->dkeys)
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_graph_compile: out of memory");
  return GENC_OK;
}

static bool cu_chunks(void *bst, int64_t n, int64_t *nchunk, int64_t *clen) {
  return genc_cu_reduce_chunks(bst, 1, n, nchunk, clen);
}

/* The particle reductions region kernels finish themselves (genc_xcu_fuse;
 * none in regions that take particles in pairs, whose threads the chunk grid
 * would not match) and their scratch: 16 bytes a partial, then the counter,
 * zeroed once (each launch's last block zeroes it again). A region whose
 * scratch cannot be had keeps its reductions as steps. False when out of
 * host memory. */
static bool plan_epilogues(genc_ctx *ctx, const genc_graph *g, cplan *pl) {
  int32_t nr = pl->part.nregions;
  pl->fuse = calloc((size_t)nr + 1, sizeof *pl->fuse);
  pl->in_kernel = calloc((size_t)g->nnodes + 1, sizeof *pl->in_kernel);
  pl->scratch = calloc((size_t)nr + 1, sizeof *pl->scratch);
  pl->scratch_bytes = calloc((size_t)nr + 1, sizeof *pl->scratch_bytes);
  if (!pl->fuse || !pl->in_kernel || !pl->scratch || !pl->scratch_bytes) return false;
  genc__xcuda_plan_fuse(g, &pl->part, pl->pairs, cu_chunks, ctx->bst, pl->fuse);
  static const unsigned char zero[16];
  for (int32_t r = 0; r < nr; r++) {
    genc_xcu_fuse *f = &pl->fuse[r];
    if (!f->nred) continue;
    size_t bytes = (size_t)f->nred * (size_t)f->nchunk * 16 + 16;
    void *p = ctx->bk->alloc(ctx->bst, bytes);
    if (!p || ctx->bk->upload(ctx->bst, (char *)p + bytes - 16, zero, sizeof zero)) {
      if (p) ctx->bk->free(ctx->bst, p, bytes);
      genc_ctx_clear_error(ctx);
      f->nred = 0;
      continue;
    }
    pl->scratch[r] = p, pl->scratch_bytes[r] = bytes;
    for (int e = 0; e < f->nred; e++)
      pl->in_kernel[f->node[e]] = true;
  }
  return true;
}

/* The outputs the guard check echoes: node values of 8 bytes or fewer (an
 * estimate, a log weight), each once. A replay waits for the check anyway, so
 * a caller's read of them then costs no copy and no second wait. False when
 * out of memory. */
static bool plan_echoes(const genc_graph *g, cplan *pl) {
  int32_t base = g->ninputs + g->nconsts;
  if (!(pl->echo = malloc(((size_t)g->noutputs + 1) * sizeof *pl->echo))) return false;
  for (int32_t j = 0; j < g->noutputs && pl->necho < GENC_CU_GUARD_ECHOES; j++) {
    int32_t v = g->outputs[j];
    const genc_gmeta *m = &g->meta[v];
    bool seen = false;
    for (int32_t e = 0; e < pl->necho; e++)
      seen = seen || g->outputs[pl->echo[e]] == v;
    int64_t bytes = m->size * (m->n ? m->n : 1) * (int64_t)genc__esize((genc_dtype)m->dtype);
    if (v >= base && !seen && bytes > 0 && bytes <= 8) pl->echo[pl->necho++] = j;
  }
  return true;
}

genc_status genc__xcuda_compile(genc_ctx *ctx, genc_graph *g, const genc_compile_opts *o) {
  double t0 = now_s();
  cplan *pl = calloc(1, sizeof *pl);
  if (!pl) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_graph_compile: out of memory");
  pl->ctx = ctx, pl->ninputs = g->ninputs, pl->nkeep = g->noutputs + g->nguards;
  if (genc__xpart_build(ctx, g, true, &pl->part)) {
    free(pl);
    return genc_ctx_status(ctx);
  }
  pl->fn = calloc((size_t)pl->part.nregions + 1, sizeof *pl->fn);
  pl->pairs = calloc((size_t)pl->part.nregions + 1, sizeof *pl->pairs);
  /* Pairs halve the Box-Muller work but also the threads: only worth it when
   * half the particles still fill the device (B1 at 1e4: 24 us paired against
   * about 12 us unpaired on an H200, where 5000 threads ran 100-observation
   * bodies two at a time). */
  int64_t resident = genc_cu_rtc_resident(ctx->bst);
  for (int32_t r = 0; pl->pairs && r < pl->part.nregions; r++)
    for (int i = 0; i < pl->part.regions[r].nsample; i++)
      if (g->nodes[pl->part.regions[r].sample[i]].p.op == GENC_LAW_NORMAL &&
          pl->part.regions[r].n >= 2 * resident)
        pl->pairs[r] = true;
  int32_t nv = g->ninputs + g->nconsts + g->nnodes;
  if ((pl->last = malloc(((size_t)nv + 1) * sizeof *pl->last)))
    genc__xpart_lifetimes(g, &pl->part, pl->last);
  bool oom = !pl->fn || !pl->pairs || !pl->last || !plan_epilogues(ctx, g, pl);
  if (oom || plan_keys(ctx, pl)) {
    cplan_free(pl);
    return oom ? genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_graph_compile: out of memory")
               : genc_ctx_status(ctx);
  }
  bool compiled = !o->interpret && pl->part.nregions && compile_regions(ctx, g, pl, o);
  for (int32_t r = 0; !compiled && r < pl->part.nregions; r++) { /* interpreted regions */
    for (int e = 0; e < pl->fuse[r].nred; e++)
      pl->in_kernel[pl->fuse[r].node[e]] = false; /* every reduction is a step again */
    pl->fuse[r].nred = 0;
  }
  pl->info.compiled = compiled;
  pl->info.threads = 1;
  pl->info.regions = pl->part.nregions;
  for (int32_t r = 0; r < pl->part.nregions; r++)
    pl->info.fused_nodes += pl->part.regions[r].nnodes + pl->fuse[r].nred;
  pl->info.interp_nodes = g->nnodes - pl->info.fused_nodes;
  pl->graphable = graphable(g, pl) && !o->no_cuda_graph;
  char err[256];
  /* no room for the check's word: the guards are read on the host instead */
  if (g->nguards && plan_echoes(g, pl))
    pl->guards = genc_cu_guards_new(ctx->bst, g->nguards, pl->necho, err, sizeof err);
  uint32_t *pk = pl->guards && pl->nkw ? genc_cu_host_alloc(ctx->bst, pl->dkeys_bytes) : NULL;
  if (pk) free(pl->hkeys), pl->hkeys = pk, pl->pinned_keys = true;
  if (g->exec_free) g->exec_free(g->exec);
  g->exec = pl, g->exec_run = exec_run, g->exec_free = cplan_free, g->exec_guards = true;
  g->exec_loop = NULL; /* genc_graph_loop replays one by one */
  pl->info.compile_s = now_s() - t0;
  return GENC_OK;
}

bool genc__xcuda_info(const genc_graph *g, genc_compile_info *out) {
  if (!g || g->exec_free != cplan_free) return false;
  *out = ((const cplan *)g->exec)->info;
  return true;
}

#else

genc_status genc__xcuda_compile(genc_ctx *ctx, genc_graph *g, const genc_compile_opts *o) {
  (void)g, (void)o;
  return genc_ctx_fail(ctx, GENC_ERR_UNSUPPORTED,
                       "genc_graph_compile: this genc was built without CUDA");
}

bool genc__xcuda_info(const genc_graph *g, genc_compile_info *out) {
  (void)g, (void)out;
  return false;
}

#endif
