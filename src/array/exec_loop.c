/*
 * genc_graph_loop's compiled loop (exec_cpu.h): a graph whose plan is one
 * compiled region over one particle (a single MCMC chain's step) replayed
 * many times without the executor. A replay there costs little arithmetic
 * (B3: 4 draws, 100 observations), so what a replay through
 * genc_graph_replay adds (derived keys one Philox block at a time, the
 * scalar draws of a one-particle tile, arrays made, scopes, guard reads
 * through genc_array_item) was 10x the handwritten chain's step. Here:
 *  - keys and draws depend on the iteration only, not on the state, so a
 *    block of 64 iterations' keys (fold-in, then the graph's derivations)
 *    and draws are computed ahead in SIMD lanes, one Philox block per lane,
 *    the words and per-element law code of the region's own sampler
 *    (exec_abi.h's genc_x_sample_tile on a one-particle tile), so the draws
 *    are bit for bit a replay's;
 *  - the region's step function (GENC_XSTEP_FMT) runs on two sets of output
 *    buffers in turn: replay i writes set i % 2 and reads its carried
 *    inputs from set (i - 1) % 2, so no buffer is read and written at once
 *    and nothing is allocated per replay;
 *  - guards are read straight from the buffers.
 */
#include <stdlib.h>
#include <string.h>

#include "array/exec_abi.h"
#include "array/exec_cpu.h"
#include "backend/cpu/cpu.h"
#include "backend/cpu/vecmath.h"
#include "random/internal.h"

enum { BLK = 64 };

/* Philox4x32-10 first blocks of n lanes, each with its own key: counters
 * {c0[u], c1[u], c2[u], 0} under {ka[u], kb[u]}; word k of lane u at
 * out[k * n + u]. genc_x_philox's loop with the key per lane. */
GENC_VEC_CLONES static void philox_lanes(int n, const uint32_t *restrict ka,
                                         const uint32_t *restrict kb, const uint32_t *restrict c0,
                                         const uint32_t *restrict c1, const uint32_t *restrict c2,
                                         uint32_t *restrict out) {
  int u = 0;
#ifdef GENC_PHILOX_SIMD
  u = (int)genc_philox_simd(n, ka, kb, 1, c0, c1, c2, 1, 0, out);
#endif
  for (; u < n; u++) {
    uint64_t x0 = c0[u], x1 = c1[u], x2 = c2[u], x3 = 0, k0 = ka[u], k1 = kb[u];
    GENC_PHILOX10_LANE(x0, x1, x2, x3, k0, k1)
    out[u] = (uint32_t)x0, out[n + u] = (uint32_t)x1;
    out[2 * n + u] = (uint32_t)x2, out[3 * n + u] = (uint32_t)x3;
  }
}

/* Keys of a block, lane-major per key: key d of lane u at k0/k1/pa[d * BLK + u]. */
typedef struct lkeys {
  uint32_t *k0, *k1, *pa;
} lkeys;

/* Scratch of a derivation pass: the words of BLK lanes. */
typedef struct lscratch {
  uint32_t a[BLK], b[BLK], c0[BLK], c1[BLK], c2[BLK], w[4 * BLK];
} lscratch;

/* out = derive(parent, w0, w1, tag) over nb lanes (key.c's derive). */
static void derive_lanes(int nb, const uint32_t *pk0, const uint32_t *pk1, const uint32_t *pw0,
                         const uint32_t *pw1, uint32_t tag, uint32_t *o0, uint32_t *o1,
                         lscratch *s) {
  for (int u = 0; u < nb; u++)
    s->c2[u] = tag;
  philox_lanes(nb, pk0, pk1, pw0, pw1, s->c2, s->w);
  memcpy(o0, s->w, (size_t)nb * sizeof *o0);
  memcpy(o1, s->w + nb, (size_t)nb * sizeof *o1);
}

/* The key inputs (fold-in of keys[k] with first + i0 + u) and every derived
 * key of the graph for lanes u < nb: genc__graph_keys per lane. Key inputs
 * occupy slots 0 .. nkeys_in - 1, derived key d slot nkeys_in + d. */
static void block_keys(const genc_graph *g, const genc_key *keys, int64_t i0, int nb, lkeys *K,
                       lscratch *s) {
  for (int32_t k = 0; k < g->nkeys_in; k++) {
    for (int u = 0; u < nb; u++) {
      uint64_t d = (uint64_t)(i0 + u);
      s->a[u] = keys[k].k[0], s->b[u] = keys[k].k[1];
      s->c0[u] = (uint32_t)d, s->c1[u] = (uint32_t)(d >> 32);
      K->pa[k * BLK + u] = keys[k].particle;
    }
    derive_lanes(nb, s->a, s->b, s->c0, s->c1, GENC__KEY_TAG_FOLD, K->k0 + k * BLK, K->k1 + k * BLK,
                 s);
  }
  for (int32_t d = 0; d < g->nkeys; d++) {
    const genc_gkey *gk = &g->keys[d];
    int32_t p = gk->parent < 0 ? -gk->parent - 1 : g->nkeys_in + gk->parent;
    int32_t o = (g->nkeys_in + d) * BLK;
    const uint32_t *pk0 = K->k0 + p * BLK, *pk1 = K->k1 + p * BLK, *pp = K->pa + p * BLK;
    if (gk->op == GENC_GKEY_PARTICLE) {
      for (int u = 0; u < nb; u++)
        K->k0[o + u] = pk0[u], K->k1[o + u] = pk1[u], K->pa[o + u] = pp[u] + (uint32_t)gk->arg;
      continue;
    }
    bool split = gk->op == GENC_GKEY_SPLIT;
    for (int u = 0; u < nb; u++) {
      s->c0[u] = (uint32_t)gk->arg, s->c1[u] = split ? 0u : (uint32_t)(gk->arg >> 32);
      K->pa[o + u] = pp[u];
    }
    derive_lanes(nb, pk0, pk1, s->c0, s->c1, split ? GENC__KEY_TAG_SPLIT : GENC__KEY_TAG_FOLD,
                 K->k0 + o, K->k1 + o, s);
  }
}

/* One sample node of the region: what its generated genc_x_sample_tile call
 * passes (exec_emit.c's emit_driver), and its draws of a block. */
typedef struct lsample {
  const genc_gnode *nd;
  genc_law law;
  genc_dtype dt;
  uint32_t stream;
  int64_t size;
  size_t es;
  char *buf; /* BLK * size elements */
} lsample;

/* Draws of sample node q for lanes u < nb into q->buf (lane u's particle at
 * buf + u * size): genc_x_sample_units on the units (u, j) of one-particle
 * tiles (no Box-Muller pairs across particles there), each lane with its own
 * key words kw0, kw1 and particle offset kpa. t: scratch of 9 n words and 2 n
 * doubles, n = nb * size. */
static void block_draws(lsample *q, int nb, const uint32_t *kw0, const uint32_t *kw1,
                        const uint32_t *kpa, uint32_t *t, double *d) {
  int n = nb * (int)q->size;
  uint32_t *ka = t, *kb = t + n, *c0 = t + 2 * n, *c1 = t + 3 * n, *c2 = t + 4 * n, *w = t + 5 * n;
  for (int x = 0, u = 0; u < nb; u++)
    for (int64_t j = 0; j < q->size; j++, x++) {
      ka[x] = kw0[u], kb[x] = kw1[u], c0[x] = (uint32_t)j, c2[x] = q->stream;
      c1[x] = q->law == GENC_LAW_NORMAL ? kpa[u] & ~1u : kpa[u];
    }
  philox_lanes(n, ka, kb, c0, c1, c2, w);
  genc_sample_req r = {
      .law = q->law, .dtype = q->dt, .stream = q->stream, .npart = 1, .size = q->size};
  if (q->law == GENC_LAW_NORMAL) /* the cosine to an even particle, the sine to an odd one */
    genc_cpu_normal_pairs(n, w, d, d + n);
  else if (q->law == GENC_LAW_EXPONENTIAL || q->law == GENC_LAW_GUMBEL)
    genc_cpu_exp_draws(n, w, q->law == GENC_LAW_GUMBEL, d);
  for (int x = 0, u = 0; u < nb; u++) {
    void *buf = q->buf + (size_t)(u * q->size) * q->es;
    r.key[0] = kw0[u], r.key[1] = kw1[u], r.part_offset = kpa[u];
    for (int64_t j = 0; j < q->size; j++, x++) {
      if (q->law == GENC_LAW_NORMAL && q->dt == GENC_F64) { /* genc_law_normal_store's rule */
        ((double *)buf)[j] = kpa[u] & 1 ? d[n + x] : d[x];
      } else if (q->law == GENC_LAW_NORMAL) {
        genc_law_normal_store(&r, 0, j, false, d[x], d[n + x], buf);
      } else if (q->law == GENC_LAW_EXPONENTIAL || q->law == GENC_LAW_GUMBEL) {
        genc_law_write(&r, j, d[x], buf);
      } else {
        genc_rng g = genc_rng_make(r.key, c0[x], c1[x], q->stream);
        genc_rng_preload(&g, w[x], w[n + x], w[2 * n + x], w[3 * n + x]);
        genc_law_sample_rng(&r, 0, j, &g, buf);
      }
    }
  }
}

bool genc__xloop_fits(const genc_graph *g, const genc_xpart *p, const int32_t *carry) {
  if (p->nsteps != 1 || p->steps[0].node >= 0) return false;
  const genc_xregion *r = &p->regions[p->steps[0].region];
  if (r->n) return false;
  int32_t base = g->ninputs + g->nconsts;
  /* carried outputs: the region's, or the input itself (a slot the step
   * leaves alone); another input's would alias a buffer set */
  for (int32_t j = 0; j < g->ninputs; j++) {
    int32_t v = carry[j] < 0 ? j : g->outputs[carry[j]];
    if (v != j && v < base) return false;
  }
  for (int32_t k = 0; k < g->noutputs; k++)
    if (g->outputs[k] >= base && p->region_of[g->outputs[k] - base] < 0) return false;
  for (int32_t q = 0; q < g->nguards; q++)
    if (g->guards[q].value >= base && p->region_of[g->guards[q].value - base] < 0) return false;
  return true;
}

/* Where replay i reads or writes a value: its kind of replay t (0: the
 * first; 1: odd i, carried inputs from set 0; 2: even i > 0, from set 1)
 * fixes every buffer, so each kind has its tables. */
typedef struct lview {
  const void **in; /* the region's inputs */
  void **out;      /* the region's outputs: set i % 2 */
  const void **gv; /* the guard values */
  const void **rv; /* the recorded outputs */
} lview;

/* The loop's state. */
typedef struct lstate {
  genc_graph *g;
  const genc_xregion *r;
  int32_t base;
  genc_array *const *in0; /* the caller's inputs */
  const int32_t *carry;
  genc_array **set[2]; /* per region output: its buffer of each set */
  int32_t *oix;        /* per value: its region output index, or -1 */
  lsample *smp;
  lkeys K;
  lview view[3];
  const void **ptrs; /* the views' pointer tables, one allocation */
} lstate;

static int kind_of(int64_t i) { return i == 0 ? 0 : (i & 1) ? 1 : 2; }

/* Value v's array at replay i. */
static genc_array *arr_at(const lstate *L, int32_t v, int64_t i) {
  const genc_graph *g = L->g;
  if (v >= L->base) return L->set[i & 1][L->oix[v]];
  if (v >= g->ninputs) return g->consts[v - g->ninputs];
  int32_t c = L->carry[v];
  if (i == 0 || c < 0 || g->outputs[c] == v) return L->in0[v];
  return L->set[(i - 1) & 1][L->oix[g->outputs[c]]];
}

static double elem(int dt, const void *p, int64_t e) {
  switch ((genc_dtype)dt) {
  case GENC_F64: return ((const double *)p)[e];
  case GENC_F32: return ((const float *)p)[e];
  case GENC_I32: return ((const int32_t *)p)[e];
  default: return ((const uint8_t *)p)[e];
  }
}

static genc_status guards_ok(genc_ctx *ctx, const lstate *L, const lview *V, int64_t i) {
  const genc_graph *g = L->g;
  for (int32_t q = 0; q < g->nguards; q++) {
    int dt = g->meta[g->guards[q].value].dtype;
    double v = dt == GENC_F64 ? *(const double *)V->gv[q] : elem(dt, V->gv[q], 0);
    double seen = g->guards[q].seen;
    if (!(v == seen || (isnan(v) && isnan(seen))))
      return genc_ctx_fail(ctx, GENC_ERR_CAPTURE,
                           "genc_graph_loop: guard changed in replay %lld: rerun eagerly (a check "
                           "read %g at capture and %g now)",
                           (long long)i, seen, v);
  }
  return GENC_OK;
}

static void record_row(const lstate *L, const lview *V, const genc_graph_loop_opts *o,
                       double *row) {
  for (int32_t r = 0; r < o->nrecord; r++) {
    const genc_gmeta *m = &L->g->meta[L->g->outputs[o->record[r]]];
    int64_t c = m->size * (m->n ? m->n : 1);
    if (m->dtype == GENC_F64 && c == 1) { /* counts and scalar choices: no memcpy call */
      *row++ = *(const double *)V->rv[r];
      continue;
    }
    if (m->dtype == GENC_F64) {
      memcpy(row, V->rv[r], (size_t)c * sizeof *row);
      row += c;
      continue;
    }
    for (int64_t e = 0; e < c; e++)
      *row++ = elem(m->dtype, V->rv[r], e);
  }
}

/* The three views' tables. */
static bool views_new(lstate *L, const genc_graph_loop_opts *o) {
  const genc_graph *g = L->g;
  const genc_xregion *r = L->r;
  size_t w = (size_t)r->nin + (size_t)r->nout + (size_t)g->nguards + (size_t)o->nrecord;
  L->ptrs = malloc((3 * w + 1) * sizeof *L->ptrs);
  if (!L->ptrs) return false;
  for (int t = 0; t < 3; t++) {
    int64_t i = t; /* a replay of kind t */
    lview *V = &L->view[t];
    V->in = L->ptrs + (size_t)t * w, V->out = (void **)(V->in + r->nin);
    V->gv = (const void **)(V->out + r->nout), V->rv = V->gv + g->nguards;
    for (int32_t k = 0; k < r->nin; k++)
      V->in[k] = arr_at(L, r->in[k], i)->data;
    for (int32_t k = 0; k < r->nout; k++)
      V->out[k] = L->set[i & 1][k]->data;
    for (int32_t q = 0; q < g->nguards; q++)
      V->gv[q] = arr_at(L, g->guards[q].value, i)->data;
    for (int32_t k = 0; k < o->nrecord; k++)
      V->rv[k] = arr_at(L, g->outputs[o->record[k]], i)->data;
  }
  return true;
}

static genc_status state_new(genc_ctx *ctx, lstate *L, const genc_graph_loop_opts *o) {
  const genc_graph *g = L->g;
  const genc_xregion *r = L->r;
  int32_t nv = L->base + g->nnodes, nk = g->nkeys_in + g->nkeys;
  L->oix = malloc((size_t)nv * sizeof *L->oix);
  L->smp = calloc((size_t)r->nsample + 1, sizeof *L->smp);
  L->K.k0 = malloc(((size_t)nk * BLK + 1) * 3 * sizeof *L->K.k0);
  for (int s = 0; s < 2; s++)
    L->set[s] = calloc((size_t)r->nout + 1, sizeof *L->set[s]);
  if (!L->oix || !L->smp || !L->K.k0 || !L->set[0] || !L->set[1])
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_graph_loop: out of memory");
  L->K.k1 = L->K.k0 + nk * BLK + 1, L->K.pa = L->K.k1 + nk * BLK + 1;
  for (int32_t v = 0; v < nv; v++)
    L->oix[v] = -1;
  int64_t mark = genc_scope_begin(ctx);
  for (int s = 0; s < 2; s++)
    for (int32_t i = 0; i < r->nout; i++) {
      const genc_gmeta *m = &g->meta[r->out[i]];
      genc_array *a = genc__alloc(ctx, (genc_dtype)m->dtype, m->ndim, m->shape, m->n);
      if (a) a->weak = m->weak;
      L->set[s][i] = genc_array_retain(a);
      L->oix[r->out[i]] = i;
    }
  genc_scope_end(ctx, mark);
  if (genc_ctx_status(ctx)) return genc_ctx_status(ctx);
  for (int32_t i = 0; i < r->nsample; i++) {
    lsample *q = &L->smp[i];
    q->nd = &g->nodes[r->sample[i]];
    q->law = (genc_law)q->nd->p.op, q->dt = (genc_dtype)q->nd->p.axis;
    q->stream = (uint32_t)q->nd->p.i[2], q->size = q->nd->out.size;
    q->es = genc_dtype_size((genc_dtype)q->nd->out.dtype);
    q->buf = malloc((size_t)(BLK * q->size) * q->es + 1);
    if (!q->buf) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_graph_loop: out of memory");
  }
  return views_new(L, o) ? GENC_OK
                         : genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_graph_loop: out of memory");
}

static void state_free(lstate *L) {
  for (int s = 0; s < 2; s++)
    for (int32_t i = 0; L->set[s] && i < L->r->nout; i++)
      genc_array_release(L->set[s][i]);
  for (int32_t i = 0; L->smp && i < L->r->nsample; i++)
    free(L->smp[i].buf);
  free(L->set[0]), free(L->set[1]), free(L->oix), free(L->smp), free(L->K.k0);
  free(L->ptrs);
}

/* The keys and draws of a block of nb replays from i0 (every sample node);
 * t, d: block_draws's scratch for the largest node. */
static void block_ahead(lstate *L, const genc_key *keys, int64_t i0, int nb, uint32_t *t,
                        double *d) {
  lscratch s;
  block_keys(L->g, keys, i0, nb, &L->K, &s);
  for (int32_t i = 0; i < L->r->nsample; i++) {
    lsample *q = &L->smp[i];
    uint32_t c0[BLK], c1[BLK], pa[BLK];
    if (q->nd->key >= 0) {
      int32_t k = (L->g->nkeys_in + q->nd->key) * BLK;
      memcpy(c0, L->K.k0 + k, sizeof c0), memcpy(c1, L->K.k1 + k, sizeof c1);
      memcpy(pa, L->K.pa + k, sizeof pa);
    } else { /* a constant key: the same draws every replay */
      for (int u = 0; u < BLK; u++)
        c0[u] = (uint32_t)q->nd->p.i[0], c1[u] = (uint32_t)((uint64_t)q->nd->p.i[0] >> 32),
        pa[u] = (uint32_t)q->nd->p.i[1];
    }
    block_draws(q, nb, c0, c1, pa, t, d);
  }
}

/* Replays [0, iters); *done: how many completed. */
static genc_status run_loop(genc_ctx *ctx, lstate *L, genc_xstepfn fn, const genc_key *keys,
                            const genc_graph_loop_opts *o, int64_t *done) {
  const genc_graph *g = L->g;
  const genc_xregion *r = L->r;
  int64_t most = 1, w = 0, i = 0;
  for (int32_t k = 0; k < r->nsample; k++)
    most = L->smp[k].size > most ? L->smp[k].size : most;
  for (int32_t k = 0; k < o->nrecord; k++) {
    const genc_gmeta *m = &g->meta[g->outputs[o->record[k]]];
    w += m->size * (m->n ? m->n : 1);
  }
  size_t n = (size_t)(BLK * most);
  int32_t nh = r->nnodes + 1;
  const void **S = malloc(((size_t)r->nsample + 1) * sizeof *S);
  double *H = malloc(((size_t)nh * 3 + 2 * n) * sizeof *H), *hs = H + 2 * nh, *d = H + 3 * nh;
  uint32_t *t = malloc((9 * n + 1) * sizeof *t);
  genc_status st =
      S && H && t ? GENC_OK : genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_graph_loop: out of memory");
  for (; !st && i < o->iters; i++) {
    int u = (int)(i % BLK);
    if (!u)
      block_ahead(L, keys, o->first + i, o->iters - i < BLK ? (int)(o->iters - i) : BLK, t, d);
    const lview *V = &L->view[kind_of(i)];
    for (int32_t k = 0; k < r->nsample; k++)
      S[k] = L->smp[k].buf + (size_t)(u * L->smp[k].size) * L->smp[k].es;
    genc_xargs A = {.in = V->in, .out = (void *const *)V->out, .keys = NULL};
    fn(&A, S, H, hs, i == 0);
    if ((st = guards_ok(ctx, L, V, i))) break;
    if (o->nrecord) record_row(L, V, o, o->rec + i * w);
  }
  *done = i;
  free(S), free(H), free(t);
  return st;
}

genc_status genc__xloop_run(genc_ctx *ctx, genc_graph *g, const genc_xpart *p, genc_xstepfn fn,
                            const genc_key *keys, genc_array *const *in, genc_array **out,
                            const genc_graph_loop_opts *o, int64_t *done) {
  lstate L = {.g = g,
              .r = &p->regions[p->steps[0].region],
              .base = g->ninputs + g->nconsts,
              .in0 = in,
              .carry = o->carry};
  *done = 0;
  genc_status st = state_new(ctx, &L, o);
  if (!st) st = run_loop(ctx, &L, fn, keys, o, done);
  if ((!st || st == GENC_ERR_CAPTURE) && *done > 0) { /* the last completed replay's outputs */
    for (int32_t k = 0; k < g->noutputs; k++)
      out[k] = genc_array_retain(arr_at(&L, g->outputs[k], *done - 1));
    int64_t mark = genc_scope_begin(ctx);
    genc_scope_end_keep(ctx, mark, out, g->noutputs);
    for (int32_t k = 0; k < g->noutputs; k++)
      genc_array_release(out[k]);
  }
  state_free(&L);
  return st;
}
