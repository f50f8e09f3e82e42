/* CPU sampling kernel: the per-element laws of src/random/laws.h, the code the
 * CUDA kernel runs per thread, over tiles of elements whose first Philox
 * blocks are computed together in SIMD lanes (cpu_philox.c). Each element's
 * word source is then preloaded with its block, so every draw is bit for bit
 * genc_law_sample_elem's (test_gamma_law). Normal draws are computed two
 * particles at a time (the Box-Muller pairs of laws.h), a tile's pairs in one
 * vectorized loop (no libm: laws.h's polynomial log and sincos), as are
 * exponential and Gumbel tiles; gamma
 * elements get their first two blocks (the first Marsaglia-Tsang try's 8
 * words). */
#include "backend/cpu/cpu.h"
#include "random/laws.h"

enum { TILE = 256 };

/* Units of one tile: element (p, j), or the pair (p, p + 1) at j of a normal
 * request; c1 is the block's particle word. */
typedef struct tile {
  int n;
  int64_t p[TILE], j[TILE];
  uint8_t pair[TILE];
  uint32_t c0[TILE], c1[TILE], w[8 * TILE];
  double c[TILE], s[TILE]; /* a normal tile's cosine and sine halves, or its draws */
} tile;

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
#define LAW_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LAW_CLONES
#endif

/* Both Box-Muller normals of each of n units from their first blocks (word k
 * of unit u at w[k * n + u]): genc_law_normal2's arithmetic exactly (IEEE
 * operations only, no libm call, no contraction), so the loop vectorizes and
 * gives the per-element draws bit for bit; compiled for AVX-512, AVX2 and the
 * baseline, picked at load time. */
LAW_CLONES void genc_cpu_normal_pairs(int n, const uint32_t *restrict w, double *restrict c,
                                      double *restrict s) {
  for (int u = 0; u < n; u++)
    genc_law_bm_words(w[u], w[n + u], w[2 * n + u], w[3 * n + u], &c[u], &s[u]);
}

/* A normal tile: the pairs in SIMD lanes, then the stores (the cosine to an
 * even particle, the sine to an odd one: laws.h's pairing). */
static void normal_flush(const genc_sample_req *q, tile *t, void *out) {
  genc_cpu_normal_pairs(t->n, t->w, t->c, t->s);
  for (int u = 0; u < t->n; u++)
    genc_law_normal_store(q, t->p[u], t->j[u], t->pair[u], t->c[u], t->s[u], out);
}

/* Exponential (or, if gumbel, Gumbel) draws of n units from their first
 * blocks: genc_law_exponential's (genc_law_gumbel's) arithmetic, in SIMD
 * lanes as genc_cpu_normal_pairs. */
LAW_CLONES void genc_cpu_exp_draws(int n, const uint32_t *restrict w, bool gumbel,
                                   double *restrict v) {
  if (gumbel)
    for (int u = 0; u < n; u++)
      v[u] = genc_law_gumbel_of_exp(genc_law_exp_words(w[u], w[n + u]));
  else
    for (int u = 0; u < n; u++)
      v[u] = genc_law_exp_words(w[u], w[n + u]);
}

static void flush(const genc_sample_req *q, tile *t, void *out) {
  genc_cpu_philox(q->key, t->n, t->c0, t->c1, q->stream, 0, t->w);
  const int n = t->n;
  if (q->law == GENC_LAW_NORMAL) {
    normal_flush(q, t, out);
    t->n = 0;
    return;
  }
  if (q->law == GENC_LAW_EXPONENTIAL || q->law == GENC_LAW_GUMBEL) {
    genc_cpu_exp_draws(n, t->w, q->law == GENC_LAW_GUMBEL, t->c);
    for (int u = 0; u < n; u++)
      genc_law_write(q, t->p[u] * q->size + t->j[u], t->c[u], out);
    t->n = 0;
    return;
  }
  for (int u = 0; u < n; u++) {
    genc_rng r = genc_rng_make(q->key, t->c0[u], t->c1[u], q->stream);
    genc_rng_preload(&r, t->w[u], t->w[n + u], t->w[2 * n + u], t->w[3 * n + u]);
    genc_law_sample_rng(q, t->p[u], t->j[u], &r, out);
  }
  t->n = 0;
}

static void add(const genc_sample_req *q, tile *t, int64_t p, int64_t j, bool pair, void *out) {
  int u = t->n++;
  t->p[u] = p, t->j[u] = j, t->pair[u] = pair;
  t->c0[u] = (uint32_t)j;
  t->c1[u] = genc_law_block_particle(q, p);
  if (t->n == TILE) flush(q, t, out);
}

/* Gamma and log-gamma: elements in order, d and c computed once per run of
 * equal alphas. */
static void gamma_tile(const genc_sample_req *q, tile *t, int64_t i0, void *out) {
  const int n = t->n;
  genc_cpu_philox(q->key, n, t->c0, t->c1, q->stream, 0, t->w);
  genc_cpu_philox(q->key, n, t->c0, t->c1, q->stream, 1, t->w + 4 * n);
  const bool lg = q->law == GENC_LAW_LOG_GAMMA, f64 = q->dtype == GENC_F64;
  const double *alpha = q->param[0];
  double last = NAN, d = NAN, c = NAN;
  for (int u = 0; u < n; u++) {
    double a = alpha[t->p[u] * q->pstride[0][0] + t->j[u] * q->pstride[0][1]];
    uint32_t b[8], w[8];
    for (int k = 0; k < 8; k++)
      b[k] = t->w[k * n + u];
    genc_rng r = genc_rng_make(q->key, t->c0[u], t->c1[u], q->stream);
    genc_law_mt m;
    genc_law_mt_words_pre(&r, a, b, w);
    if (a != last) genc_law_mt_consts(last = a, &d, &c);
    genc_law_mt_first(w, a, d, c, &m);
    double v = genc_law_mt_end(&r, &m, lg);
    if (f64)
      ((double *)out)[i0 + u] = v;
    else
      genc_law_write(q, i0 + u, v, out);
  }
  t->n = 0;
}

static void gamma_run(const genc_sample_req *q, tile *t, void *out) {
  const int64_t size = q->size, total = q->npart * size;
  for (int64_t i0 = 0; i0 < total; i0 += TILE) {
    int64_t k = total - i0 < TILE ? total - i0 : TILE;
    for (int64_t u = 0; u < k; u++) {
      int64_t p = (i0 + u) / size, j = (i0 + u) - p * size;
      t->p[u] = p, t->j[u] = j;
      t->c0[u] = (uint32_t)j;
      t->c1[u] = (uint32_t)(p + q->part_offset);
    }
    t->n = (int)k;
    gamma_tile(q, t, i0, out);
  }
}

void genc_cpu_sample(void *st, const genc_sample_req *req, void *out) {
  (void)st;
  tile t; /* about 18 KiB of stack */
  t.n = 0;
  if (req->law == GENC_LAW_GAMMA || req->law == GENC_LAW_LOG_GAMMA) {
    gamma_run(req, &t, out);
    return;
  }
  bool pairs = req->law == GENC_LAW_NORMAL;
  for (int64_t p = 0; p < req->npart; p++) {
    bool pair = pairs && !((p + req->part_offset) & 1) && p + 1 < req->npart;
    for (int64_t j = 0; j < req->size; j++)
      add(req, &t, p, j, pair, out);
    p += pair;
  }
  if (t.n) flush(req, &t, out);
}
