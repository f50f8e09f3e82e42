/*
 * Per-element sampling algorithms, written once for every backend: plain C on
 * the CPU, __host__ __device__ under nvcc (GENC_HD), so that the CPU loop and
 * the CUDA kernel run the same code. Measured on an H100 (nvcc 13.0, 1e6 draws
 * per law): uniform, bits and every integer law (poisson, binomial, including
 * their rejection paths) agree bit for bit with the CPU. Normal, exponential
 * and gumbel draws use no libm: their log is genc_law_log_u and their cosine
 * and sine genc_law_sincos2pi, polynomials in IEEE arithmetic whose products
 * and sums are rounded one by one on CUDA too (GENC_LAW_MUL/ADD: no fma
 * contraction), with correctly rounded division and sqrt, so they are the
 * same bits on every backend and in the compiled executor's code; the gamma
 * law's logs and trig are the same functions, its exp (alpha < 1) is still
 * libm's (libdevice and glibc differed in the last ulp or so of such draws,
 * max relative difference 2e-13 near exp(-700); no draw took a different
 * rejection path). The CPU loop takes each element's first blocks from a
 * SIMD Philox and computes normal pairs in vectorized loops (cpu_random.c);
 * test_gamma_law and test_law_log check it against this per-element code
 * bit for bit, every law. Before this (libm log/cos) test_cuda_agree showed
 * normal draws differing in the last ulp in 0.3-18% of draws; it should now
 * show them equal (to be re-checked on a GPU).
 *
 * Element j of particle p reads 32-bit words from Philox4x32-10 with key
 * `key` and counter {j, p, stream, it}; each Philox call yields 4 words and
 * the iteration word `it` advances when they are used up. A law therefore
 * consumes as many words as it needs (rejection loops simply keep reading),
 * and no element's draws depend on another element's.
 */
#ifndef GENC_RANDOM_LAWS_H
#define GENC_RANDOM_LAWS_H

#include <Random123/philox.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/specfun.h"

/* The word source of one element. */
typedef struct genc_rng {
  philox4x32_key_t key;
  philox4x32_ctr_t ctr; /* v[3] is the iteration word */
  philox4x32_ctr_t buf;
  int used; /* words of buf already consumed (4: refill) */
} genc_rng;

GENC_HD genc_rng genc_rng_make(const uint32_t key[2], uint32_t j, uint32_t p, uint32_t stream) {
  genc_rng r;
  r.key.v[0] = key[0];
  r.key.v[1] = key[1];
  r.ctr.v[0] = j;
  r.ctr.v[1] = p;
  r.ctr.v[2] = stream;
  r.ctr.v[3] = 0;
  r.buf = r.ctr;
  r.used = 4;
  return r;
}

/* The state of r after its first refill, from that block computed elsewhere
 * (the CPU computes the first blocks of many elements in SIMD lanes): the
 * words a law then reads are exactly those it would have read. */
static inline void genc_rng_preload(genc_rng *r, uint32_t b0, uint32_t b1, uint32_t b2,
                                    uint32_t b3) {
  r->buf.v[0] = b0, r->buf.v[1] = b1, r->buf.v[2] = b2, r->buf.v[3] = b3;
  r->ctr.v[3] = 1;
  r->used = 0;
}

/* Philox4x32-10 on one block held in 64-bit lanes (x0..x3 counter words, k0,
 * k1 key words, all below 2^32; uint64_t lvalues, updated in place): the
 * same integer arithmetic as Random123's philox4x32, written so that loops
 * over many blocks vectorize (32 x 32 -> 64-bit products are exact in 64-bit
 * lanes: vpmuludq). The SIMD samplers (cpu_philox.c, exec_abi.h's
 * genc_x_philox, genc_graph_loop's per-lane keys in exec_loop.c) share it. */
#define GENC_PHILOX10_LANE(x0, x1, x2, x3, k0, k1)                                                 \
  for (int genc_r_ = 0; genc_r_ < 10; genc_r_++) {                                                 \
    uint64_t genc_p0_ = 0xD2511F53u * (x0), genc_p1_ = 0xCD9E8D57u * (x2);                         \
    uint64_t genc_y0_ = (genc_p1_ >> 32) ^ (x1) ^ (k0), genc_y2_ = (genc_p0_ >> 32) ^ (x3) ^ (k1); \
    (x1) = genc_p1_ & 0xffffffffu, (x3) = genc_p0_ & 0xffffffffu, (x0) = genc_y0_,                 \
    (x2) = genc_y2_;                                                                               \
    (k0) = ((k0) + 0x9E3779B9u) & 0xffffffffu, (k1) = ((k1) + 0xBB67AE85u) & 0xffffffffu;          \
  }

/* Hot helpers must inline even where the compiler judges Philox too big:
 * otherwise every word costs a call. */
#if defined(__CUDACC__)
#define GENC_LAW_INLINE __host__ __device__ static __forceinline__
#elif defined(__GNUC__)
#define GENC_LAW_INLINE static inline __attribute__((always_inline))
#else
#define GENC_LAW_INLINE static inline
#endif

/* The next block of 4 words into buf (a function, so that the fast path of
 * genc_rng_u32 stays small enough to inline everywhere). */
GENC_HD void genc_rng_refill(genc_rng *r) {
  r->buf = philox4x32(r->ctr, r->key);
  r->ctr.v[3]++;
  r->used = 0;
}

GENC_LAW_INLINE uint32_t genc_rng_u32(genc_rng *r) {
  if (r->used == 4) genc_rng_refill(r);
  return r->buf.v[r->used++];
}

/* The next 8 words, those 8 calls of genc_rng_u32 would give. From a block
 * boundary the two Philox blocks are computed side by side: they are
 * independent, so their 10-round dependency chains overlap. */
GENC_LAW_INLINE void genc_rng_words8(genc_rng *r, uint32_t w[8]) {
  if (r->used != 4) {
    for (int i = 0; i < 8; i++)
      w[i] = genc_rng_u32(r);
    return;
  }
  philox4x32_ctr_t c1 = r->ctr;
  c1.v[3]++;
  philox4x32_ctr_t b0 = philox4x32(r->ctr, r->key), b1 = philox4x32(c1, r->key);
  for (int i = 0; i < 4; i++) {
    w[i] = b0.v[i];
    w[4 + i] = b1.v[i];
  }
  r->ctr.v[3] += 2;
}

/* Products and sums of the laws below, rounded once each: nvcc and NVRTC
 * would otherwise contract a * b + c into an fma in device code (the library
 * and the generated kernels pass --fmad=false, but the law code should not
 * depend on it), while C17 mode contracts nothing (gcc: -ffp-contract=off;
 * clang is told below). Division and sqrt are correctly rounded on both.
 * nvcc's host pass of GENC_HD code takes the plain operators. */
#if defined(__CUDA_ARCH__)
#define GENC_LAW_MUL(a, b) __dmul_rn((a), (b))
#define GENC_LAW_ADD(a, b) __dadd_rn((a), (b))
#define GENC_LAW_SUB(a, b) __dsub_rn((a), (b))
#else
#define GENC_LAW_MUL(a, b) ((a) * (b))
#define GENC_LAW_ADD(a, b) ((a) + (b))
#define GENC_LAW_SUB(a, b) ((a) - (b))
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif
#endif

/* 53-bit uniforms of two words a, b: on [0, 1) and on (0, 1] (the grid shifted
 * by half a step, so that log() is finite; its top point rounds to 1). The
 * int32 casts change no value but let AVX2 convert a vector of them. */
GENC_LAW_INLINE double genc_law_u53(uint32_t a, uint32_t b) {
  double hi = GENC_LAW_MUL((double)(int32_t)(a >> 5), 67108864.0);
  return GENC_LAW_ADD(hi, (double)(int32_t)(b >> 6)) * (1.0 / 9007199254740992.0);
}
GENC_LAW_INLINE double genc_law_u53_open(uint32_t a, uint32_t b) {
  double hi = GENC_LAW_MUL((double)(int32_t)(a >> 5), 67108864.0);
  return GENC_LAW_ADD(GENC_LAW_ADD(hi, (double)(int32_t)(b >> 6)), 0.5) *
         (1.0 / 9007199254740992.0);
}

/* Uniform on [0, 1) with 53 random bits (27 from one word, 26 from the next). */
GENC_HD double genc_law_uniform(genc_rng *r) {
  uint32_t a = genc_rng_u32(r);
  return genc_law_u53(a, genc_rng_u32(r));
}

/* Uniform on (0, 1]: the 53-bit grid shifted by half a step, so log() is finite. */
GENC_HD double genc_law_uniform_open(genc_rng *r) {
  uint32_t a = genc_rng_u32(r);
  return genc_law_u53_open(a, genc_rng_u32(r));
}

/* Uniform on [0, 1) in single precision: 24 bits of one word (a double draw
 * rounded to float could round up to 1.0). */
GENC_HD float genc_law_uniform_f32(genc_rng *r) {
  return (float)(genc_rng_u32(r) >> 8) * (1.0f / 16777216.0f);
}

/* log(x) for a positive normal double x (uniforms on (0, 1], and any positive
 * x >= 2^-1022; zero, subnormals, inf and NaN are not handled), in IEEE
 * arithmetic only, so every backend rounds it the same way: within 1 ulp
 * (0.81 ulp measured over 2e7 arguments, exact at powers of two;
 * test_law_log), branch-free, and a plain loop of it vectorizes (no libm
 * call). x = 2^k z with z in [sqrt(1/2), sqrt(2)) by integer operations on the
 * bits, f = z - 1 (exact), then fdlibm's e_log.c: log(1 + f) = f - hfsq +
 * s (hfsq + R(s^2)), s = f / (2 + f), hfsq = f^2 / 2, R a minimax polynomial
 * of the atanh series 2 s^2 (1/3 + s^2/5 + ...) for |s| <= 0.1716, and k ln 2
 * with ln 2 split in hi (k ln2_hi exact for |k| < 2^11) and lo parts. k is
 * converted to double by the 1.5 2^52 bias trick, not an int64 conversion
 * (which AVX2 lacks). */
GENC_LAW_INLINE double genc_law_log_u(double x) {
  uint64_t ix;
  memcpy(&ix, &x, 8);
  /* the biased exponent of x / sqrt(1/2), so that z = x 2^-k >= sqrt(1/2) */
  uint64_t t = ix + (UINT64_C(0x3ff0000000000000) - UINT64_C(0x3fe6a09e667f3bcd));
  uint64_t iz = (t & UINT64_C(0x000fffffffffffff)) + UINT64_C(0x3fe6a09e667f3bcd);
  uint64_t kb = UINT64_C(0x4338000000000000) + (t >> 52); /* 1.5 2^52 + k + 1023 */
  double z, dk;
  memcpy(&z, &iz, 8);
  memcpy(&dk, &kb, 8);
  dk = dk - (6755399441055744.0 + 1023.0); /* k, exactly */
  const double lg1 = 6.666666666666735130e-01, lg2 = 3.999999999940941908e-01,
               lg3 = 2.857142874366239149e-01, lg4 = 2.222219843214978396e-01,
               lg5 = 1.818357216161805012e-01, lg6 = 1.531383769920937332e-01,
               lg7 = 1.479819860511658591e-01, ln2_hi = 6.93147180369123816490e-01,
               ln2_lo = 1.90821492927058770002e-10;
  double f = z - 1.0, s = f / (2.0 + f);
  double hfsq = GENC_LAW_MUL(GENC_LAW_MUL(0.5, f), f);
  double s2 = GENC_LAW_MUL(s, s), s4 = GENC_LAW_MUL(s2, s2);
  double t1 = GENC_LAW_ADD(lg4, GENC_LAW_MUL(s4, lg6));
  t1 = GENC_LAW_MUL(s4, GENC_LAW_ADD(lg2, GENC_LAW_MUL(s4, t1)));
  double t2 = GENC_LAW_ADD(lg5, GENC_LAW_MUL(s4, lg7));
  t2 = GENC_LAW_ADD(lg3, GENC_LAW_MUL(s4, t2));
  t2 = GENC_LAW_MUL(s2, GENC_LAW_ADD(lg1, GENC_LAW_MUL(s4, t2)));
  double r = GENC_LAW_MUL(s, GENC_LAW_ADD(hfsq, GENC_LAW_ADD(t2, t1)));
  r = GENC_LAW_SUB(GENC_LAW_ADD(r, GENC_LAW_MUL(dk, ln2_lo)), hfsq);
  return GENC_LAW_ADD(GENC_LAW_ADD(r, f), GENC_LAW_MUL(dk, ln2_hi));
}

/* cos(2 pi u) and sin(2 pi u) for u in [0, 1]: an exact quadrant reduction in
 * u (2 pi u = q pi/2 + phi, q = round(4u), phi = (4u - q) pi/2 with 4u - q
 * exact), then Taylor polynomials on |phi| <= pi/4 (truncation below 5e-17)
 * and a branch-free choice of quadrant. About 1 ulp, like libm, in IEEE
 * arithmetic only (the same bits on every backend), and a loop of it
 * vectorizes (q goes through int32, which AVX2 converts). */
GENC_LAW_INLINE void genc_law_sincos2pi(double u, double *c, double *s) {
  int32_t k = (int32_t)(4.0 * u + 0.5); /* round(4u): truncation is floor here, and no libm call */
  double p = GENC_LAW_MUL(1.5707963267948966192, 4.0 * u - (double)k), p2 = GENC_LAW_MUL(p, p);
  double sp = -1.0 / 1307674368000.0;
  sp = GENC_LAW_ADD(1.0 / 6227020800.0, GENC_LAW_MUL(p2, sp));
  sp = GENC_LAW_ADD(-1.0 / 39916800.0, GENC_LAW_MUL(p2, sp));
  sp = GENC_LAW_ADD(1.0 / 362880.0, GENC_LAW_MUL(p2, sp));
  sp = GENC_LAW_ADD(-1.0 / 5040.0, GENC_LAW_MUL(p2, sp));
  sp = GENC_LAW_ADD(1.0 / 120.0, GENC_LAW_MUL(p2, sp));
  sp = GENC_LAW_ADD(-1.0 / 6.0, GENC_LAW_MUL(p2, sp));
  sp = GENC_LAW_ADD(p, GENC_LAW_MUL(GENC_LAW_MUL(p, p2), sp));
  double cp = 1.0 / 20922789888000.0;
  cp = GENC_LAW_ADD(-1.0 / 87178291200.0, GENC_LAW_MUL(p2, cp));
  cp = GENC_LAW_ADD(1.0 / 479001600.0, GENC_LAW_MUL(p2, cp));
  cp = GENC_LAW_ADD(-1.0 / 3628800.0, GENC_LAW_MUL(p2, cp));
  cp = GENC_LAW_ADD(1.0 / 40320.0, GENC_LAW_MUL(p2, cp));
  cp = GENC_LAW_ADD(-1.0 / 720.0, GENC_LAW_MUL(p2, cp));
  cp = GENC_LAW_ADD(1.0 / 24.0, GENC_LAW_MUL(p2, cp));
  cp = GENC_LAW_ADD(-0.5, GENC_LAW_MUL(p2, cp));
  cp = GENC_LAW_ADD(1.0, GENC_LAW_MUL(p2, cp));
  /* the quadrant by bit masks, not branches: it is random, so a branch would
   * be mispredicted half the time. cos(t + pi/2) = -sin t, cos(t + pi) = -cos t */
  uint64_t bs, bc, odd = (uint64_t)0 - (uint64_t)(k & 1);
  memcpy(&bs, &sp, 8);
  memcpy(&bc, &cp, 8);
  uint64_t a = (bs & odd) | (bc & ~odd), b = (bc & odd) | (bs & ~odd);
  a ^= (uint64_t)(((k + 1) >> 1) & 1) << 63; /* k = 1, 2 */
  b ^= (uint64_t)((k >> 1) & 1) << 63;       /* k = 2, 3 */
  memcpy(c, &a, 8);
  memcpy(s, &b, 8);
}

/* The Box-Muller radius sqrt(-2 log u1), u1 in (0, 1]. */
GENC_LAW_INLINE double genc_law_bm_rad(double u1) { return sqrt(-2.0 * genc_law_log_u(u1)); }

/* Box-Muller, both normals of the uniforms of words w0, w1 (u1 on (0, 1]) and
 * w2, w3 (u2 on [0, 1)): rad cos(2 pi u2) in *c, rad sin(2 pi u2) in *s. Every
 * normal draw of every backend comes from here (or from genc_law_bm_rad and
 * genc_law_sincos2pi, for the gamma law's tries): IEEE arithmetic only, no
 * libm, so the draws are the same bits everywhere, and a loop of it over
 * elements vectorizes (cpu_random.c, exec_abi.h). Exact, table-free, and no
 * polar-method rejection, so draw counts stay fixed. */
GENC_LAW_INLINE void genc_law_bm_words(uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3,
                                       double *c, double *s) {
  double rad = genc_law_bm_rad(genc_law_u53_open(w0, w1)), cs, sn;
  genc_law_sincos2pi(genc_law_u53(w2, w3), &cs, &sn);
  *c = rad * cs;
  *s = rad * sn;
}

/* Both Box-Muller normals of the element's next 4 words. */
GENC_HD void genc_law_normal2(genc_rng *r, double *c, double *s) {
  uint32_t w0 = genc_rng_u32(r), w1 = genc_rng_u32(r), w2 = genc_rng_u32(r);
  genc_law_bm_words(w0, w1, w2, genc_rng_u32(r), c, s);
}

/* One normal: genc_law_normal2's cosine half. */
GENC_HD double genc_law_normal(genc_rng *r) {
  double c, s;
  genc_law_normal2(r, &c, &s);
  return c;
}

/* An Exp(1) draw -log U of the open uniform of words w0, w1, and the Gumbel
 * draw -log(-log U) of it: -log U is in [0, 37.5], zero only for U = 1 (the
 * Gumbel draw is then +inf, as libm's log(0) = -inf would give). Branch-free
 * (a select), so loops of them vectorize (cpu_random.c, exec_abi.h). */
GENC_LAW_INLINE double genc_law_exp_words(uint32_t w0, uint32_t w1) {
  return -genc_law_log_u(genc_law_u53_open(w0, w1));
}
GENC_LAW_INLINE double genc_law_gumbel_of_exp(double e) {
  return e > 0.0 ? -genc_law_log_u(e) : INFINITY;
}

GENC_HD double genc_law_exponential(genc_rng *r) {
  uint32_t w0 = genc_rng_u32(r);
  return genc_law_exp_words(w0, genc_rng_u32(r));
}

GENC_HD double genc_law_gumbel(genc_rng *r) {
  return genc_law_gumbel_of_exp(genc_law_exponential(r));
}

/* A Gamma(alpha, 1) draw, alpha > 0, by Marsaglia & Tsang ("A simple method
 * for generating gamma variables", 2000), as its log if lg. For alpha < 1 the
 * boost Gamma(alpha) = Gamma(alpha + 1) U^(1/alpha) is applied in log space:
 * log U / alpha is finite even where U^(1/alpha) underflows. For alpha >= 1
 * the plain draw is d v itself (it cannot underflow), no log or exp.
 *
 * Words: the first 8 (two Philox blocks computed side by side) are the first
 * try's Box-Muller pair (genc_law_normal's 4 words and, bit for bit, its
 * draw), its acceptance uniform,
 * and U; later tries read on. The normals of successive tries are the halves
 * of Box-Muller pairs: a rejected cosine try leaves the sine half (computed
 * only then) to the next, which so costs no words, log or sqrt for its normal.
 * The squeeze accepts most tries (over 95% for alpha + 1 >= 1) without a log.
 * Everything the first try needs is known up front, so its logs, sqrt and
 * trig calls can overlap. alpha == 1 is drawn as Exp(1) = -log U instead (2
 * words, one log: the law is exactly the same). Every log here is
 * genc_law_log_u (its arguments are positive normal doubles: v = (1 + c x)^3
 * >= 2^-159 when 1 + c x > 0); only exp, for alpha < 1, and the log of an
 * Exp(1) draw for log-gamma(1) are libm's. */
typedef struct genc_law_mt {
  double alpha, d, c, lu, rad, sn, x, u, v;
  int state; /* 0: the first try awaits its full test, 1: accepted, 2: v is the result,
                3: v is the draw (log it for the log law) */
} genc_law_mt;

/* The words the first try of alpha needs: 2 for alpha == 1, else 8. */
GENC_LAW_INLINE void genc_law_mt_words(genc_rng *r, double alpha, uint32_t w[8]) {
  if (alpha == 1.0) {
    w[0] = genc_rng_u32(r);
    w[1] = genc_rng_u32(r);
    for (int i = 2; i < 8; i++)
      w[i] = 0; /* unused */
  } else {
    genc_rng_words8(r, w);
  }
}

/* genc_law_mt_words from the element's first two blocks b (8 words, computed
 * elsewhere), leaving r where genc_law_mt_words would. */
static inline void genc_law_mt_words_pre(genc_rng *r, double alpha, const uint32_t b[8],
                                         uint32_t w[8]) {
  genc_rng_preload(r, b[0], b[1], b[2], b[3]);
  if (alpha == 1.0) {
    genc_law_mt_words(r, alpha, w); /* two words of the first block */
    return;
  }
  for (int i = 0; i < 8; i++)
    w[i] = b[i];
  r->ctr.v[3] = 2;
  r->used = 4;
}

/* d = a - 1/3 and c = 1 / sqrt(9 d) of Marsaglia-Tsang for alpha (a = alpha,
 * or alpha + 1 below 1): a square root and a division that a loop over
 * elements of one alpha computes once (the CPU loop, cpu_random.c). */
GENC_LAW_INLINE void genc_law_mt_consts(double alpha, double *d, double *c) {
  *d = (alpha < 1.0 ? alpha + 1.0 : alpha) - 1.0 / 3.0;
  *c = 1.0 / sqrt(9.0 * *d);
}

/* The first try from its words (which a caller may fetch ahead, as the CPU
 * loop does from its SIMD Philox), straight-line code up to the squeeze test. */
GENC_LAW_INLINE void genc_law_mt_first(const uint32_t w[8], double alpha, double d, double c,
                                       genc_law_mt *m) {
  m->alpha = alpha;
  if (!(alpha > 0.0) || alpha == INFINITY) {
    m->state = 2;
    m->v = alpha == INFINITY ? INFINITY : NAN;
    return;
  }
  if (alpha == 1.0) { /* Gamma(1) = Exp(1) = -log U, exactly (2 words) */
    m->state = 3;
    m->v = -genc_law_log_u(genc_law_u53_open(w[0], w[1]));
    return;
  }
  bool boost = alpha < 1.0;
  double cs;
  m->d = d;
  m->c = c;
  m->lu = boost ? genc_law_log_u(genc_law_u53_open(w[6], w[7])) / alpha : 0.0;
  m->rad = genc_law_bm_rad(genc_law_u53_open(w[0], w[1]));
  genc_law_sincos2pi(genc_law_u53(w[2], w[3]), &cs, &m->sn);
  double x = m->rad * cs, u = genc_law_u53_open(w[4], w[5]), v = 1.0 + c * x, x2 = x * x;
  m->x = x;
  m->u = u;
  m->v = v * v * v;
  m->state = v > 0.0 && u < 1.0 - 0.0331 * x2 * x2;
}

/* The first try of one element. */
GENC_LAW_INLINE void genc_law_mt_start(genc_rng *r, double alpha, genc_law_mt *m) {
  uint32_t w[8];
  double d, c;
  genc_law_mt_words(r, alpha, w);
  genc_law_mt_consts(alpha, &d, &c);
  genc_law_mt_first(w, alpha, d, c, m);
}

/* The remaining tries, then the draw (its log if lg). */
GENC_LAW_INLINE double genc_law_mt_end(genc_rng *r, genc_law_mt *m, bool lg) {
  if (m->state >= 2) return m->state == 3 && lg ? log(m->v) : m->v;
  double d = m->d, c = m->c, x = m->x, u = m->u, v = m->v, rad = m->rad, sn = m->sn, cs;
  bool spare = true;
  while (m->state == 0) {
    v = 1.0 + c * x;
    if (v > 0.0) {
      v = v * v * v;
      double x2 = x * x;
      if (u < 1.0 - 0.0331 * x2 * x2 ||
          genc_law_log_u(u) < 0.5 * x2 + d * (1.0 - v + genc_law_log_u(v)))
        break;
    }
    if (spare) {
      x = rad * sn;
      spare = false;
    } else {
      double u1 = genc_law_uniform_open(r);
      rad = genc_law_bm_rad(u1);
      genc_law_sincos2pi(genc_law_uniform(r), &cs, &sn);
      x = rad * cs;
      spare = true;
    }
    /* a try with v <= 0 is rejected before its uniform is read */
    if (1.0 + c * x > 0.0) u = genc_law_uniform_open(r);
  }
  if (lg) return genc_law_log_u(d * v) + m->lu;
  /* below 1: exactly exp of the log draw of the same words */
  return m->alpha < 1.0 ? exp(genc_law_log_u(d * v) + m->lu) : d * v;
}

GENC_LAW_INLINE double genc_law_gamma_mt(genc_rng *r, double alpha, bool lg) {
  genc_law_mt m;
  genc_law_mt_start(r, alpha, &m);
  return genc_law_mt_end(r, &m, lg);
}

GENC_LAW_INLINE double genc_law_log_gamma(genc_rng *r, double alpha) {
  return genc_law_gamma_mt(r, alpha, true);
}

GENC_LAW_INLINE double genc_law_gamma(genc_rng *r, double alpha) {
  return genc_law_gamma_mt(r, alpha, false);
}

/* Poisson by sequential inversion (expected rate + 1 steps), for small rates. */
GENC_HD double genc_law_poisson_inv(genc_rng *r, double rate) {
  double u = genc_law_uniform(r), p = exp(-rate), s = p, k = 0.0;
  /* the cap only matters when rounding leaves s just below u in the far tail */
  while (u >= s && k < 1000.0) {
    k += 1.0;
    p *= rate / k;
    s += p;
  }
  return k;
}

/* Poisson for rate >= 10: Hormann's transformed rejection with squeeze (PTRS),
 * "The transformed rejection method for generating Poisson random variables",
 * Insurance: Mathematics and Economics 12 (1993). */
GENC_HD double genc_law_poisson_ptrs(genc_rng *r, double rate) {
  double slam = sqrt(rate), loglam = log(rate);
  double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2.0);
  for (;;) {
    double u = genc_law_uniform(r) - 0.5, v = genc_law_uniform_open(r);
    double us = 0.5 - fabs(u);
    double k = floor((2.0 * a / us + b) * u + rate + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0.0 || (us < 0.013 && v > us)) continue;
    if (log(v) + log(inv_alpha) - log(a / (us * us) + b) <=
        -rate + k * loglam - genc_sf_lgamma(k + 1.0))
      return k;
  }
}

GENC_HD double genc_law_poisson(genc_rng *r, double rate) {
  if (!(rate >= 0.0)) return NAN;
  if (rate == 0.0) return 0.0;
  return rate < 10.0 ? genc_law_poisson_inv(r, rate) : genc_law_poisson_ptrs(r, rate);
}

/* Binomial by inversion (expected n p + 1 steps), p <= 0.5. */
GENC_HD double genc_law_binomial_inv(genc_rng *r, double n, double p) {
  double q = 1.0 - p, s = p / q, a = (n + 1.0) * s, f = exp(n * log1p(-p));
  double u = genc_law_uniform(r), k = 0.0;
  while (u >= f && k < n) {
    u -= f;
    k += 1.0;
    f *= a / k - s;
  }
  return k;
}

/* The tail of Stirling's series, lgamma(k + 1) - [(k + 1/2) log(k + 1) - (k + 1)
 * + log(2 pi) / 2]: a table for k < 10 (exact constants, the same everywhere),
 * else the first three terms of the series. */
GENC_HD double genc_law_stirling_tail(double k) {
  if (k < 10.0) {
    const double t[10] = {0.0810614667953272582196702, 0.0413406959554092940938221,
                          0.0276779256849983391487893, 0.0207906721037650975185008,
                          0.0166446911898211921631949, 0.0138761288230707480737469,
                          0.0118967099458917700950557, 0.0104112652619720965496356,
                          0.0092554621827127329177286, 0.0083305634333594725168432};
    return t[(int)k];
  }
  double kp1 = k + 1.0, k2 = kp1 * kp1;
  return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / k2) / k2) / kp1;
}

/* Binomial for n p >= 10, p <= 0.5: Hormann's BTRS (transformed rejection with
 * squeeze, no normal draws), "The generation of binomial random variates",
 * J. Statist. Comput. Simul. 46 (1993). */
GENC_HD double genc_law_binomial_btrs(genc_rng *r, double n, double p) {
  double q = 1.0 - p, spq = sqrt(n * p * q);
  double b = 1.15 + 2.53 * spq, a = -0.0873 + 0.0248 * b + 0.01 * p, c = n * p + 0.5;
  double vr = 0.92 - 4.2 / b, rr = p / q, alpha = (2.83 + 5.1 / b) * spq;
  double m = floor((n + 1.0) * p);
  for (;;) {
    double u = genc_law_uniform(r) - 0.5, v = genc_law_uniform_open(r);
    double us = 0.5 - fabs(u);
    double k = floor((2.0 * a / us + b) * u + c);
    if (k < 0.0 || k > n) continue;
    if (us >= 0.07 && v <= vr) return k;
    double lv = log(v * alpha / (a / (us * us) + b));
    double bound = (m + 0.5) * log((m + 1.0) / (rr * (n - m + 1.0))) +
                   (n + 1.0) * log((n - m + 1.0) / (n - k + 1.0)) +
                   (k + 0.5) * log(rr * (n - k + 1.0) / (k + 1.0)) + genc_law_stirling_tail(m) +
                   genc_law_stirling_tail(n - m) - genc_law_stirling_tail(k) -
                   genc_law_stirling_tail(n - k);
    if (lv <= bound) return k;
  }
}

/* Binomial(n, p), n a non-negative integer, p in [0, 1]; p > 1/2 draws the
 * failures instead so both algorithms see p <= 1/2. */
GENC_HD double genc_law_binomial(genc_rng *r, double n, double p) {
  if (!(n >= 0.0) || !(p >= 0.0 && p <= 1.0)) return NAN;
  bool flip = p > 0.5;
  double pp = flip ? 1.0 - p : p, k;
  if (n == 0.0 || pp == 0.0)
    k = 0.0;
  else if (n * pp < 10.0)
    k = genc_law_binomial_inv(r, n, pp);
  else
    k = genc_law_binomial_btrs(r, n, pp);
  return flip ? n - k : k;
}

/* One element of a request: element j of particle p (both 0-based within the
 * request), written to out[p * size + j]. The CPU loop and the CUDA kernel
 * both call exactly this. */
/* Normal draws come in Box-Muller pairs across particles: particles 2k and
 * 2k+1 (counting the key's particle offset) share the block of particle 2k,
 * the even one taking the cosine, the odd one the sine. A batched draw then
 * costs one Philox block, one log and one sqrt per two normals, and particle
 * i still equals the shared draw made with genc_key_particle(key, i). */
GENC_HD uint32_t genc_law_block_particle(const genc_sample_req *q, int64_t p) {
  uint32_t P = (uint32_t)(p + q->part_offset);
  return q->law == GENC_LAW_NORMAL ? P & ~1u : P;
}

GENC_HD void genc_law_write(const genc_sample_req *q, int64_t o, double v, void *out) {
  if (q->dtype == GENC_F64)
    ((double *)out)[o] = v;
  else if (q->dtype == GENC_F32)
    ((float *)out)[o] = (float)v;
  else
    ((int32_t *)out)[o] = (int32_t)v;
}

/* The Box-Muller pair (c, s) of element j of particle p of a normal request
 * stored by the pairing rule: both halves when pair (p is even, counting the
 * offset, and p + 1 is in the request), else the half of p's parity (the
 * cosine to an even particle, the sine to an odd one). The eager tiles
 * (cpu_random.c) and the compiled ones (exec_abi.h) store through it. */
GENC_LAW_INLINE void genc_law_normal_store(const genc_sample_req *q, int64_t p, int64_t j,
                                           bool pair, double c, double s, void *out) {
  int64_t o = p * q->size + j;
  if (pair) {
    genc_law_write(q, o, c, out);
    genc_law_write(q, o + q->size, s, out);
  } else {
    genc_law_write(q, o, (p + q->part_offset) & 1 ? s : c, out);
  }
}

/* An element of a gamma or log-gamma request (the CUDA kernel's and the
 * host's one-draw path; the CPU loop, cpu_random.c, starts from precomputed
 * blocks), kept apart from the switch over every law so that the gamma code
 * is compiled on its own. */
GENC_HD void genc_law_gamma_elem(const genc_sample_req *q, int64_t p, int64_t j, void *out) {
  genc_rng r = genc_rng_make(q->key, (uint32_t)j, (uint32_t)(p + q->part_offset), q->stream);
  double a = q->param[0][p * q->pstride[0][0] + j * q->pstride[0][1]];
  int64_t o = p * q->size + j;
  if (q->law == GENC_LAW_LOG_GAMMA)
    genc_law_write(q, o, genc_law_gamma_mt(&r, a, true), out);
  else if (q->dtype == GENC_F64)
    ((double *)out)[o] = genc_law_gamma_mt(&r, a, false);
  else
    genc_law_write(q, o, genc_law_gamma_mt(&r, a, false), out);
}

/* Element j of particle p of a request other than gamma, from its word source
 * r (fresh, or preloaded with its first block). */
GENC_HD void genc_law_sample_rng(const genc_sample_req *q, int64_t p, int64_t j, genc_rng *r,
                                 void *out) {
  int64_t o = p * q->size + j;
  double a = q->param[0] ? q->param[0][p * q->pstride[0][0] + j * q->pstride[0][1]] : 0.0;
  double b = q->param[1] ? q->param[1][p * q->pstride[1][0] + j * q->pstride[1][1]] : 0.0;
  double v;
  switch (q->law) {
  case GENC_LAW_BITS: ((int32_t *)out)[o] = (int32_t)genc_rng_u32(r); return;
  case GENC_LAW_UNIFORM:
    if (q->dtype == GENC_F32) {
      ((float *)out)[o] = genc_law_uniform_f32(r);
      return;
    }
    v = genc_law_uniform(r);
    break;
  case GENC_LAW_NORMAL: {
    double c, sn;
    genc_law_normal2(r, &c, &sn);
    v = (p + q->part_offset) & 1 ? sn : c;
    break;
  }
  case GENC_LAW_EXPONENTIAL: v = genc_law_exponential(r); break;
  case GENC_LAW_GUMBEL: v = genc_law_gumbel(r); break;
  case GENC_LAW_POISSON: v = genc_law_poisson(r, a); break;
  case GENC_LAW_BINOMIAL: v = genc_law_binomial(r, a, b); break;
  default: v = NAN; break;
  }
  genc_law_write(q, o, v, out);
}

GENC_HD void genc_law_sample_elem(const genc_sample_req *q, int64_t p, int64_t j, void *out) {
  if (q->law == GENC_LAW_GAMMA || q->law == GENC_LAW_LOG_GAMMA) {
    genc_law_gamma_elem(q, p, j, out);
    return;
  }
  genc_rng r = genc_rng_make(q->key, (uint32_t)j, genc_law_block_particle(q, p), q->stream);
  genc_law_sample_rng(q, p, j, &r, out);
}

#endif
