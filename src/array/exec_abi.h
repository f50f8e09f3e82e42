/*
 * The interface between the CPU executor (exec_cpu.c) and the C it generates
 * for a region (exec_emit.c): the argument block of a region function, and
 * the sampling helpers the generated code calls. The generated source
 * includes this header (compiled with -I <source tree>/src, see exec_cc.c),
 * so the compiled code and the library agree on the layout by construction,
 * and the draws come from the same per-element law code (random/laws.h) as
 * the eager samplers. Helpers marked GENC_HD also compile as CUDA device code.
 */
#ifndef GENC_ARRAY_EXEC_ABI_H
#define GENC_ARRAY_EXEC_ABI_H

#include <math.h>
#include <stdint.h>

#include "backend/rowsum.h"
#include "random/laws.h"
#include "random/philox_simd.h"

/* One call of a region function. Buffers are host memory, particle-major
 * (element j of particle p of a batched value at p * size + j; shared values
 * have no particle stride). */
typedef struct genc_xargs {
  const void *const *in; /* the region's external inputs, in region order */
  void *const *out;      /* the region values needed outside it, in region order */
  const uint32_t *keys;  /* per sample node: key word 0, key word 1, particle offset */
} genc_xargs;

/* i32 arithmetic wraps, as the eager kernels' GENC_WRAP32 (backend/cpu/cpu.h) */
#define GENC_XWRAP32(a, OP, b) ((int32_t)((uint32_t)(a)OP(uint32_t)(b)))

/* genc_x_rowsum, genc_x_rowsumf: the eager sum of a contiguous row (backend/rowsum.h) */

/* A compiled region over the particles [p0, p1). */
typedef void (*genc_xfn)(const genc_xargs *a, int64_t p0, int64_t p1);

/* The symbol of region r in the shared object. */
#define GENC_XFN_FMT "genc_xregion%d"

/* Particles of a CPU row body's block (genc_xbodyb<r>, exec_row.c): its
 * per-particle scalars are arrays of this length and its loops run across
 * them, one AVX-512 vector of doubles (two AVX2 ones). */
#define GENC_XPB 8

/* Batched regions' drivers and block bodies prefer 512-bit vectors: gcc's
 * tuning for Intel server cores (sapphirerapids) keeps to 256 bits on an
 * AVX-512 core, and the block bodies' loops are bound by arithmetic
 * throughput (B1 at 1e6 on the device host's Xeon: 62 -> 42-48 ms). The
 * one-particle bodies of a chain's step keep the default: no measurement
 * showed a gain for them (the development machine's chain timings are
 * bimodal unpinned, bench/README.md). Nothing where 512-bit vectors are
 * absent, and no value changes. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__CUDACC__)
#define GENC_X512 __attribute__((target("prefer-vector-width=512")))
#else
#define GENC_X512
#endif

/* The loop header over a block's particles. GCC would unroll these short
 * loops completely before vectorizing, then vectorize the loop around them
 * across the sixteen lanes of a row sum instead (strided); kept rolled, each
 * becomes one vector loop. */
#if defined(__GNUC__) && !defined(__clang__)
#define GENC_XPB_FOR _Pragma("GCC unroll 1") for
#else
#define GENC_XPB_FOR for
#endif

/* An unbatched region's one particle on draws S the caller made (sample node
 * i of the region at S[i]), H and hs room for its hoisted constants (two
 * and one per hoisted sigma; the region's node count bounds their count), fresh on the first call:
 * genc_graph_loop's compiled loop (exec_loop.c). Symbol GENC_XSTEP_FMT, present for unbatched
 * regions. */
typedef void (*genc_xstepfn)(const genc_xargs *a, const void *const *S, double *H, double *hs,
                             int fresh);
#define GENC_XSTEP_FMT "genc_xstep%d"

/* Philox4x32-10 first blocks of counters {c0[u], c1[u], c2, 0}, word k of
 * block u at out[k * n + u]: genc_cpu_philox's loop (64-bit lanes, so it
 * vectorizes), the same integer arithmetic, so the same words. */
static inline void genc_x_philox(const uint32_t key[2], int64_t n, const uint32_t *restrict c0,
                                 const uint32_t *restrict c1, uint32_t c2, uint32_t *restrict out) {
  const uint64_t key0 = key[0], key1 = key[1];
  int64_t u = 0;
#ifdef GENC_PHILOX_SIMD
  u = genc_philox_simd(n, key, key + 1, 0, c0, c1, &c2, 0, 0, out);
#endif
  for (; u < n; u++) {
    uint64_t x0 = c0[u], x1 = c1[u], x2 = c2, x3 = 0, k0 = key0, k1 = key1;
    GENC_PHILOX10_LANE(x0, x1, x2, x3, k0, k1)
    out[u] = (uint32_t)x0, out[n + u] = (uint32_t)x1;
    out[2 * n + u] = (uint32_t)x2, out[3 * n + u] = (uint32_t)x3;
  }
}

/* Most units (element, or normal pair) of one sampling pass of a tile. */
#define GENC_X_SAMPLE_UNITS 256

/* Both Box-Muller normals of n units from their first blocks (word k of unit
 * u at w[k * n + u]): genc_law_normal2's arithmetic (no libm call, no
 * contraction: -ffp-contract=off), a loop that vectorizes, bit for bit the
 * per-element draws. */
static inline void genc_x_normal_pairs(int n, const uint32_t *restrict w, double *restrict c,
                                       double *restrict s) {
  for (int u = 0; u < n; u++)
    genc_law_bm_words(w[u], w[n + u], w[2 * n + u], w[3 * n + u], &c[u], &s[u]);
}

/* One pass over n units of a tile: their first blocks, then the draws. */
static inline void genc_x_sample_units(const genc_sample_req *q, int n, const int64_t *up,
                                       const int64_t *uj, const uint8_t *pair, const uint32_t *c0,
                                       const uint32_t *c1, uint32_t *w, void *buf) {
  genc_x_philox(q->key, n, c0, c1, q->stream, w);
  if (q->law == GENC_LAW_NORMAL) { /* cosines to even particles, sines to odd ones */
    double c[GENC_X_SAMPLE_UNITS], s[GENC_X_SAMPLE_UNITS];
    genc_x_normal_pairs(n, w, c, s);
    for (int u = 0; u < n; u++)
      genc_law_normal_store(q, up[u], uj[u], pair[u], c[u], s[u], buf);
    return;
  }
  if (q->law == GENC_LAW_EXPONENTIAL || q->law == GENC_LAW_GUMBEL) {
    double v[GENC_X_SAMPLE_UNITS];
    if (q->law == GENC_LAW_GUMBEL)
      for (int u = 0; u < n; u++)
        v[u] = genc_law_gumbel_of_exp(genc_law_exp_words(w[u], w[n + u]));
    else
      for (int u = 0; u < n; u++)
        v[u] = genc_law_exp_words(w[u], w[n + u]);
    for (int u = 0; u < n; u++)
      genc_law_write(q, up[u] * q->size + uj[u], v[u], buf);
    return;
  }
  for (int u = 0; u < n; u++) {
    genc_rng r = genc_rng_make(q->key, c0[u], c1[u], q->stream);
    genc_rng_preload(&r, w[u], w[n + u], w[2 * n + u], w[3 * n + u]);
    genc_law_sample_rng(q, up[u], uj[u], &r, buf);
  }
}

/* genc_x_sample_tile's normal f64 draws of one element per particle for the
 * particles [h, e) of a tile, h + off even and e - h even: one unit per pair,
 * its counter block (0, particle of the pair's first, stream), the cosine to
 * the first and the sine to the second, as genc_law_normal_store pairs them;
 * the unit setup and the stores are plain loops that vectorize. */
static inline void genc_x_normal_pairs_f64(const genc_sample_req *q, int64_t h, int64_t e,
                                           double *restrict out) {
  uint32_t c0[GENC_X_SAMPLE_UNITS], c1[GENC_X_SAMPLE_UNITS], w[4 * GENC_X_SAMPLE_UNITS];
  double c[GENC_X_SAMPLE_UNITS], s[GENC_X_SAMPLE_UNITS];
  for (int64_t p0 = h; p0 < e; p0 += 2 * GENC_X_SAMPLE_UNITS) {
    int n = (int)((e - p0) / 2 < GENC_X_SAMPLE_UNITS ? (e - p0) / 2 : GENC_X_SAMPLE_UNITS);
    uint32_t base = (uint32_t)(p0 + q->part_offset);
    for (int u = 0; u < n; u++)
      c0[u] = 0, c1[u] = base + 2 * (uint32_t)u;
    genc_x_philox(q->key, n, c0, c1, q->stream, w);
    genc_x_normal_pairs(n, w, c, s);
    double *o = out + p0;
    for (int u = 0; u < n; u++)
      o[2 * u] = c[u], o[2 * u + 1] = s[u];
  }
}

/* The draws of particles [t0, t0 + nt) (all size elements each) of a sample
 * node of a parameterless law (normal, uniform, exponential, gumbel, bits)
 * into buf (particle t0 + u at buf[u * size]): cpu_random.c's loop over a
 * request of nt particles whose particle offset is kw[2] + t0, so the draws
 * (and the Box-Muller pairs, which depend on the global particle parity
 * only) are bit for bit the eager ones. Normal pairs, exponential and Gumbel
 * draws are computed a pass at a time in SIMD lanes, as cpu_random.c does. */
static inline void genc_x_sample_tile(genc_law law, genc_dtype dt, const uint32_t kw[3],
                                      uint32_t stream, int64_t t0, int64_t nt, int64_t size,
                                      void *buf) {
  genc_sample_req q = {.law = law,
                       .dtype = dt,
                       .key = {kw[0], kw[1]},
                       .stream = stream,
                       .npart = nt,
                       .size = size,
                       .part_offset = (int64_t)kw[2] + t0};
  int64_t up[GENC_X_SAMPLE_UNITS], uj[GENC_X_SAMPLE_UNITS];
  uint8_t pair[GENC_X_SAMPLE_UNITS];
  uint32_t c0[GENC_X_SAMPLE_UNITS], c1[GENC_X_SAMPLE_UNITS], w[4 * GENC_X_SAMPLE_UNITS];
  int n = 0;
  if (law == GENC_LAW_NORMAL && dt == GENC_F64 && size == 1 && nt > 1) {
    /* whole pairs in SIMD lanes; an odd first particle and an unpaired last
     * one are tiles of one particle (the loop below) */
    int64_t h = q.part_offset & 1, e = h + (nt - h) / 2 * 2;
    genc_x_normal_pairs_f64(&q, h, e, (double *)buf);
    if (h) genc_x_sample_tile(law, dt, kw, stream, t0, 1, 1, buf);
    if (e < nt) genc_x_sample_tile(law, dt, kw, stream, t0 + e, 1, 1, (double *)buf + e);
    return;
  }
  for (int64_t p = 0; p < nt; p++) {
    int pr = law == GENC_LAW_NORMAL && !((p + q.part_offset) & 1) && p + 1 < nt;
    for (int64_t j = 0; j < size; j++) {
      up[n] = p, uj[n] = j, pair[n] = (uint8_t)pr;
      c0[n] = (uint32_t)j;
      c1[n] = genc_law_block_particle(&q, p);
      if (++n == GENC_X_SAMPLE_UNITS || (p + pr + 1 >= nt && j + 1 == size)) {
        genc_x_sample_units(&q, n, up, uj, pair, c0, c1, w, buf);
        n = 0;
      }
    }
    p += pr;
  }
}

#endif
