/*
 * The sum of a contiguous row in one fixed order, shared by the CPU backend's
 * reductions (cpu_reduce.c), the C the CPU executor generates and the CUDA
 * kernels NVRTC compiles from it (array/exec_abi.h includes this header), so
 * a compiled row sum gives the eager bits.
 */
#ifndef GENC_BACKEND_ROWSUM_H
#define GENC_BACKEND_ROWSUM_H

#include <stdint.h>
#include <string.h>

#include "backend/specfun.h" /* GENC_HD */

/* genc_x_rowsum (genc_x_rowsumf for float). On the CPU: sixteen lanes over
 * the whole groups of sixteen, lane q adding r[q], r[q + 16], ... in order, halved
 * (lane k + h into lane k for h = 8, 4, 2, 1), plus the sum in order of the
 * last len % 16 elements (a partial group in the lanes would leave the
 * vector registers). Sixteen, not four: a row of
 * 100 in four lanes is a chain of 25 dependent adds per particle, which was
 * a third of a compiled B3 chain step. gcc vectorizes no floating-point
 * reduction without reassociation, so on gcc the lanes are one vector
 * (lane-wise adds: the same additions in the same order, the same bits). In
 * CUDA code (cuda_reduce.cu row4, exec_row.c): four lanes, the tail
 * into lane 0, then ((a0 + a1) + a2) + a3, as sixteen running sums would
 * cost a GPU thread registers. */
#if defined(__CUDACC__)
#define GENC_X_ROWSUM(NAME, T, VB)                                                                 \
  GENC_HD T NAME(const T *r, int64_t len) {                                                        \
    T a0 = 0, a1 = 0, a2 = 0, a3 = 0;                                                              \
    int64_t l = 0;                                                                                 \
    for (; l + 4 <= len; l += 4)                                                                   \
      a0 = a0 + r[l], a1 = a1 + r[l + 1], a2 = a2 + r[l + 2], a3 = a3 + r[l + 3];                  \
    for (; l < len; l++)                                                                           \
      a0 = a0 + r[l];                                                                              \
    return ((a0 + a1) + a2) + a3;                                                                  \
  }
#elif defined(__GNUC__)
/* four vectors of four lanes (lanes 4i .. 4i + 3 in a[i]): 256-bit ops at
 * most, which Intel cores run without lowering their clock, and the lanes
 * stay in registers to the end */
#define GENC_X_ROWSUM(NAME, T, VB)                                                                 \
  static inline T NAME(const T *r, int64_t len) {                                                  \
    typedef T v4 __attribute__((vector_size(VB)));                                                 \
    typedef T v2 __attribute__((vector_size(VB / 2)));                                             \
    v4 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, v;                                                  \
    int64_t l = 0;                                                                                 \
    for (; l + 16 <= len; l += 16) {                                                               \
      memcpy(&v, r + l, sizeof v), a0 = a0 + v;                                                    \
      memcpy(&v, r + l + 4, sizeof v), a1 = a1 + v;                                                \
      memcpy(&v, r + l + 8, sizeof v), a2 = a2 + v;                                                \
      memcpy(&v, r + l + 12, sizeof v), a3 = a3 + v;                                               \
    }                                                                                              \
    T s = 0;                                                                                       \
    for (; l < len; l++)                                                                           \
      s = s + r[l];                                                                                \
    a0 = a0 + a2, a1 = a1 + a3; /* lane k + 8 into lane k */                                       \
    a0 = a0 + a1;               /* k + 4 into k */                                                 \
    v2 h = __builtin_shufflevector(a0, a0, 0, 1) + __builtin_shufflevector(a0, a0, 2, 3);          \
    return (h[0] + h[1]) + s;                                                                      \
  }
#else
#define GENC_X_ROWSUM(NAME, T, VB)                                                                 \
  static inline T NAME(const T *r, int64_t len) {                                                  \
    T t[16] = {0}, s = 0;                                                                          \
    int64_t l = 0;                                                                                 \
    for (; l + 16 <= len; l += 16)                                                                 \
      for (int q = 0; q < 16; q++)                                                                 \
        t[q] = t[q] + r[l + q];                                                                    \
    for (; l < len; l++)                                                                           \
      s = s + r[l];                                                                                \
    for (int h = 8; h >= 1; h /= 2)                                                                \
      for (int k = 0; k < h; k++)                                                                  \
        t[k] = t[k] + t[k + h];                                                                    \
    return t[0] + s;                                                                               \
  }
#endif
GENC_X_ROWSUM(genc_x_rowsum, double, 32)
GENC_X_ROWSUM(genc_x_rowsumf, float, 16)

#endif
