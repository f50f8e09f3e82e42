/* CPU data movement: strided gathers (permute, broadcast, slice). */
#include <string.h>

#include "backend/cpu/cpu.h"

#define STRIDED(T)                                                                                 \
  {                                                                                                \
    const T *X = x;                                                                                \
    T *O = out;                                                                                    \
    int64_t w = shape[ndim - 1], sw = xstride[ndim - 1], outer = total / (w ? w : 1);              \
    int64_t idx[GENC_PDIMS] = {0}, off = 0;                                                        \
    for (int64_t o = 0; o < outer; o++) {                                                          \
      if (sw == 1)                                                                                 \
        memcpy(O + o * w, X + off, (size_t)w * sizeof(T));                                         \
      else                                                                                         \
        for (int64_t i = 0; i < w; i++)                                                            \
          O[o * w + i] = X[off + i * sw];                                                          \
      for (int d = ndim - 2; d >= 0; d--) {                                                        \
        off += xstride[d];                                                                         \
        if (++idx[d] < shape[d]) break;                                                            \
        off -= xstride[d] * shape[d];                                                              \
        idx[d] = 0;                                                                                \
      }                                                                                            \
    }                                                                                              \
  }

void genc_cpu_strided_copy(void *st, size_t esize, const void *x, void *out, int ndim,
                           const int64_t *shape, const int64_t *xstride) {
  (void)st;
  int64_t total = 1;
  for (int d = 0; d < ndim; d++)
    total *= shape[d];
  if (total == 0) return;
  if (ndim == 0) {
    memcpy(out, x, esize);
    return;
  }
  switch (esize) {
  case 8: STRIDED(uint64_t) break;
  case 4: STRIDED(uint32_t) break;
  default: STRIDED(uint8_t) break;
  }
}
