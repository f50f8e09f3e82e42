/* CPU gather and scatter-add. */
#include <stdint.h>
#include <string.h>

#include "backend/cpu/cpu.h"

/* One row of 4 or 8 bytes (a scalar per particle or index, the common case
 * of particle resampling) moves by a plain load and store: memcpy with a
 * run-time size is a library call per element, one of a constant size
 * compiles to a move (and stays defined for a view at any byte offset). */
#define GATHER_SCALAR(T)                                                                           \
  for (int64_t o = 0; o < outer; o++) {                                                            \
    const int32_t *ix = idx + (iouter > 1 ? o * nidx : 0);                                         \
    const char *src = (const char *)x + (size_t)(o * xlen) * sizeof(T);                            \
    char *dst = (char *)out + (size_t)(o * nidx) * sizeof(T);                                      \
    for (int64_t k = 0; k < nidx; k++) {                                                           \
      int64_t j = ix[k];                                                                           \
      if (j < 0 || j >= xlen) return (iouter > 1 ? o * nidx : 0) + k;                              \
      memcpy(dst + (size_t)k * sizeof(T), src + (size_t)j * sizeof(T), sizeof(T));                 \
    }                                                                                              \
  }                                                                                                \
  return -1;

int64_t genc_cpu_gather(void *st, size_t esize, const void *x, const int32_t *idx, void *out,
                        int64_t outer, int64_t xlen, int64_t inner, int64_t nidx, int64_t iouter) {
  (void)st;
  const char *X = x;
  char *O = out;
  size_t row = (size_t)inner * esize;
  if (row == sizeof(uint64_t)) {
    GATHER_SCALAR(uint64_t)
  }
  if (row == sizeof(uint32_t)) {
    GATHER_SCALAR(uint32_t)
  }
  for (int64_t o = 0; o < outer; o++) {
    const int32_t *ix = idx + (iouter > 1 ? o * nidx : 0);
    for (int64_t k = 0; k < nidx; k++) {
      int64_t j = ix[k];
      if (j < 0 || j >= xlen) return (iouter > 1 ? o * nidx : 0) + k;
      memcpy(O + ((size_t)(o * nidx + k)) * row, X + ((size_t)(o * xlen + j)) * row, row);
    }
  }
  return -1;
}

#define SCATTER(T)                                                                                 \
  for (int64_t o = 0; o < outer; o++) {                                                            \
    const int32_t *ix = idx + (iouter > 1 ? o * nidx : 0);                                         \
    for (int64_t k = 0; k < nidx; k++) {                                                           \
      int64_t j = ix[k];                                                                           \
      if (j < 0 || j >= xlen) return (iouter > 1 ? o * nidx : 0) + k;                              \
      T *dst = (T *)out + (o * xlen + j) * inner;                                                  \
      const T *src = (const T *)upd + (o * nidx + k) * inner;                                      \
      for (int64_t i = 0; i < inner; i++)                                                          \
        dst[i] += src[i];                                                                          \
    }                                                                                              \
  }

int64_t genc_cpu_scatter_add(void *st, genc_dtype dt, void *out, const int32_t *idx,
                             const void *upd, int64_t outer, int64_t xlen, int64_t inner,
                             int64_t nidx, int64_t iouter) {
  (void)st;
  switch (dt) {
  case GENC_F64: SCATTER(double) break;
  case GENC_F32: SCATTER(float) break;
  case GENC_I32: SCATTER(int32_t) break;
  case GENC_BOOL: SCATTER(uint8_t) break;
  }
  return -1;
}
