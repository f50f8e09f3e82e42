/* Philox4x32-10 of many blocks in explicit SIMD lanes (GCC vector types).
 *
 * GENC_PHILOX10_LANE (laws.h) leaves the vectorizing to the compiler, which
 * cannot see that its 64-bit lanes hold 32-bit words: with AVX-512 it
 * multiplies with vpmullq (three micro-ops of 15 cycles' latency on Intel
 * cores, where Philox became half of a compiled B3 step), with AVX2 it
 * builds 64-bit products from shifts and adds (five times slower than
 * needed). Here the products are vpmuludq's, which read the low 32 bits of
 * each 64-bit lane. Nothing is masked: xor and add carry nothing from high
 * bits to low ones, so the low 32 bits of every lane are Random123's words.
 *
 * genc_philox_x8 (AVX-512) and genc_philox_x4 (AVX2) compute whole groups of
 * lanes and return how many they did; the caller finishes the rest with
 * GENC_PHILOX10_LANE. Lane u: counter (c0[u], c1[u], c2[u * s2], c3), key
 * (ka[u * sk], kb[u * sk]) (s2, sk: 1 per lane, 0 shared), word k at
 * out[k * n + u]. Callers pick one by the target they are compiled for
 * (__AVX512F__, __AVX2__) or by __builtin_cpu_supports. */
#ifndef GENC_RANDOM_PHILOX_SIMD_H
#define GENC_RANDOM_PHILOX_SIMD_H

#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__CUDACC__) &&     \
    !defined(GENC_NO_PHILOX_SIMD)
#define GENC_PHILOX_SIMD 1

typedef unsigned long long genc_u64x8 __attribute__((vector_size(64)));
typedef unsigned genc_u32x8 __attribute__((vector_size(32)));
typedef int genc_i32x16 __attribute__((vector_size(64)));
typedef long long genc_i64x8 __attribute__((vector_size(64)));
typedef unsigned long long genc_u64x4 __attribute__((vector_size(32)));
typedef unsigned genc_u32x4 __attribute__((vector_size(16)));
typedef int genc_i32x8 __attribute__((vector_size(32)));

/* The ten rounds on vectors V of lanes, products by MUL(a, constant). */
#define GENC_PHILOX10_V(V, MUL, x, k0, k1)                                                         \
  for (int r_ = 0; r_ < 10; r_++) {                                                                \
    V p0_ = MUL(x[0], 0xD2511F53u), p1_ = MUL(x[2], 0xCD9E8D57u);                                  \
    V y0_ = (p1_ >> 32) ^ x[1] ^ k0, y2_ = (p0_ >> 32) ^ x[3] ^ k1;                                \
    x[1] = p1_, x[3] = p0_, x[0] = y0_, x[2] = y2_;                                                \
    k0 += 0x9E3779B9u, k1 += 0xBB67AE85u;                                                          \
  }

#define GENC_MUL32_X8(a, c)                                                                        \
  ((genc_u64x8)__builtin_ia32_pmuludq512_mask((genc_i32x16)(a),                                    \
                                              (genc_i32x16)((genc_u64x8){0} + (c)),                \
                                              (genc_i64x8){0}, (unsigned char)0xff))
#define GENC_MUL32_X4(a, c)                                                                        \
  ((genc_u64x4)__builtin_ia32_pmuludq256((genc_i32x8)(a), (genc_i32x8)((genc_u64x4){0} + (c))))

/* genc_philox_x<W> for the target TGT: W lanes of V (64-bit) and U (32-bit)
 * vectors, products by MUL; genc_ld_x<W> widens W words (s = 1) or one word
 * for every lane (s = 0). */
#define GENC_PHILOX_SIMD_FN(W, TGT, V, U, MUL)                                                     \
  __attribute__((target(TGT))) static inline V genc_ld_x##W(const uint32_t *p, int s) {            \
    U t;                                                                                           \
    if (s)                                                                                         \
      memcpy(&t, p, sizeof t);                                                                     \
    else                                                                                           \
      t = (U){0} + *p;                                                                             \
    return __builtin_convertvector(t, V);                                                          \
  }                                                                                                \
  __attribute__((target(TGT))) static inline int64_t genc_philox_x##W(                             \
      int64_t n, const uint32_t *ka, const uint32_t *kb, int sk, const uint32_t *c0,               \
      const uint32_t *c1, const uint32_t *c2, int s2, uint32_t c3, uint32_t *out) {                \
    int64_t u = 0;                                                                                 \
    for (; u + W <= n; u += W) {                                                                   \
      V x[4] = {genc_ld_x##W(c0 + u, 1), genc_ld_x##W(c1 + u, 1), genc_ld_x##W(c2 + u * s2, s2),   \
                (V){0} + c3};                                                                      \
      V k0 = genc_ld_x##W(ka + u * sk, sk), k1 = genc_ld_x##W(kb + u * sk, sk);                    \
      GENC_PHILOX10_V(V, MUL, x, k0, k1)                                                           \
      for (int k = 0; k < 4; k++) {                                                                \
        U t = __builtin_convertvector(x[k], U);                                                    \
        memcpy(out + k * n + u, &t, sizeof t);                                                     \
      }                                                                                            \
    }                                                                                              \
    return u;                                                                                      \
  }

GENC_PHILOX_SIMD_FN(8, "avx512f", genc_u64x8, genc_u32x8, GENC_MUL32_X8)
GENC_PHILOX_SIMD_FN(4, "avx2", genc_u64x4, genc_u32x4, GENC_MUL32_X4)

/* The widest of the two this CPU runs (0: neither; the caller's lanes). */
static inline int64_t genc_philox_simd(int64_t n, const uint32_t *ka, const uint32_t *kb, int sk,
                                       const uint32_t *c0, const uint32_t *c1, const uint32_t *c2,
                                       int s2, uint32_t c3, uint32_t *out) {
#if defined(__AVX512F__)
  return genc_philox_x8(n, ka, kb, sk, c0, c1, c2, s2, c3, out);
#elif defined(__AVX2__)
  return genc_philox_x4(n, ka, kb, sk, c0, c1, c2, s2, c3, out);
#else
  if (__builtin_cpu_supports("avx512f"))
    return genc_philox_x8(n, ka, kb, sk, c0, c1, c2, s2, c3, out);
  if (__builtin_cpu_supports("avx2")) return genc_philox_x4(n, ka, kb, sk, c0, c1, c2, s2, c3, out);
  return 0;
#endif
}

#endif
#endif
