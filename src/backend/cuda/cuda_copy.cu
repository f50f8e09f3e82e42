/*
 * CUDA data movement: strided gathers (permute, broadcast, slice), gather
 * along an axis and scatter-add. Index validation is one small kernel whose
 * verdict (the first bad index position, as the CPU reports it) comes back to
 * the host: gather and scatter_add therefore synchronize the stream once.
 */
#include <limits.h>

#include "backend/cuda/cuda_internal.cuh"

typedef struct sc_plan {
  int ndim;
  int64_t shape[GENC_PDIMS];
  int64_t xstride[GENC_PDIMS];
} sc_plan;

template <typename T> __global__ void k_strided(const T *x, T *out, sc_plan p, int64_t total) {
  GENC_CU_LOOP(i, total) {
    int64_t r = i, off = 0;
    for (int d = p.ndim - 1; d > 0; d--) {
      int64_t q = r / p.shape[d];
      off += (r - q * p.shape[d]) * p.xstride[d];
      r = q;
    }
    off += r * p.xstride[0];
    out[i] = x[off];
  }
}

void genc_cu_strided_copy(void *stp, size_t esize, const void *x, void *out, int ndim,
                          const int64_t *shape, const int64_t *xstride) {
  genc_cu_state *st = genc_cu_enter(stp);
  sc_plan p;
  int64_t total = 1;
  p.ndim = ndim > 0 ? ndim : 1;
  p.shape[0] = 1;
  p.xstride[0] = 0;
  for (int d = 0; d < ndim; d++) {
    p.shape[d] = shape[d];
    p.xstride[d] = xstride[d];
    total *= shape[d];
  }
  if (total <= 0) return;
  unsigned nb = genc_cu_blocks(st, total);
  cudaStream_t s = st->stream;
  switch (esize) {
  case 8:
    k_strided<<<nb, GENC_CU_THREADS, 0, s>>>((const uint64_t *)x, (uint64_t *)out, p, total);
    break;
  case 4:
    k_strided<<<nb, GENC_CU_THREADS, 0, s>>>((const uint32_t *)x, (uint32_t *)out, p, total);
    break;
  default:
    k_strided<<<nb, GENC_CU_THREADS, 0, s>>>((const uint8_t *)x, (uint8_t *)out, p, total);
    break;
  }
  genc_cu_check(st);
}

/* flag = min position of an index outside [0, xlen) */
__global__ void k_idx_check(const int32_t *idx, int64_t count, int64_t xlen, long long *flag) {
  GENC_CU_LOOP(i, count) {
    int32_t j = idx[i];
    if (j < 0 || j >= xlen) atomicMin(flag, (long long)i);
  }
}

static int64_t check_indices(genc_cu_state *st, const int32_t *idx, int64_t count, int64_t xlen) {
  if (count <= 0) return -1;
  genc_cu_flag_set(st, LLONG_MAX);
  k_idx_check<<<genc_cu_blocks(st, count), GENC_CU_THREADS, 0, st->stream>>>(idx, count, xlen,
                                                                             st->dflag);
  long long f = genc_cu_flag_get(st);
  return f == LLONG_MAX ? -1 : (int64_t)f;
}

template <typename T>
__global__ void k_gather(const T *x, const int32_t *idx, T *out, int64_t outer, int64_t xlen,
                         int64_t inner, int64_t nidx, int64_t iouter) {
  GENC_CU_LOOP(e, outer * nidx * inner) {
    int64_t i = e % inner, ok = e / inner, k = ok % nidx, o = ok / nidx;
    int64_t j = idx[(iouter > 1 ? o * nidx : 0) + k];
    out[e] = x[(o * xlen + j) * inner + i];
  }
}

int64_t genc_cu_gather(void *stp, size_t esize, const void *x, const int32_t *idx, void *out,
                       int64_t outer, int64_t xlen, int64_t inner, int64_t nidx, int64_t iouter) {
  genc_cu_state *st = genc_cu_enter(stp);
  int64_t bad = check_indices(st, idx, (iouter > 1 ? outer : 1) * nidx, xlen);
  if (bad >= 0) return bad;
  int64_t total = outer * nidx * inner;
  if (total <= 0) return -1;
  unsigned nb = genc_cu_blocks(st, total);
  cudaStream_t s = st->stream;
  switch (esize) {
  case 8:
    k_gather<<<nb, GENC_CU_THREADS, 0, s>>>((const uint64_t *)x, idx, (uint64_t *)out, outer, xlen,
                                            inner, nidx, iouter);
    break;
  case 4:
    k_gather<<<nb, GENC_CU_THREADS, 0, s>>>((const uint32_t *)x, idx, (uint32_t *)out, outer, xlen,
                                            inner, nidx, iouter);
    break;
  default:
    k_gather<<<nb, GENC_CU_THREADS, 0, s>>>((const uint8_t *)x, idx, (uint8_t *)out, outer, xlen,
                                            inner, nidx, iouter);
    break;
  }
  genc_cu_check(st);
  return -1;
}

/* One thread per (o, i) column, adding the updates in index order: the CPU's
 * order, so duplicates accumulate to the identical value. */
template <typename T>
__global__ void k_scatter_seq(T *out, const int32_t *idx, const T *upd, int64_t outer, int64_t xlen,
                              int64_t inner, int64_t nidx, int64_t iouter) {
  GENC_CU_LOOP(q, outer * inner) {
    int64_t o = q / inner, i = q - o * inner;
    const int32_t *ix = idx + (iouter > 1 ? o * nidx : 0);
    for (int64_t k = 0; k < nidx; k++)
      out[(o * xlen + ix[k]) * inner + i] += upd[(o * nidx + k) * inner + i];
  }
}

/* One thread per update with atomics: for few long columns (particle scatters). */
template <typename T>
__global__ void k_scatter_atomic(T *out, const int32_t *idx, const T *upd, int64_t outer,
                                 int64_t xlen, int64_t inner, int64_t nidx, int64_t iouter) {
  GENC_CU_LOOP(e, outer * nidx * inner) {
    int64_t i = e % inner, ok = e / inner, k = ok % nidx, o = ok / nidx;
    int64_t j = idx[(iouter > 1 ? o * nidx : 0) + k];
    atomicAdd(&out[(o * xlen + j) * inner + i], upd[e]);
  }
}

template <typename T>
static void scatter_t(genc_cu_state *st, bool atomic, void *out, const int32_t *idx,
                      const void *upd, int64_t outer, int64_t xlen, int64_t inner, int64_t nidx,
                      int64_t iouter) {
  cudaStream_t s = st->stream;
  if constexpr (sizeof(T) > 1) { /* no byte atomics: bool always goes in order */
    if (atomic) {
      k_scatter_atomic<T><<<genc_cu_blocks(st, outer * nidx * inner), GENC_CU_THREADS, 0, s>>>(
          (T *)out, idx, (const T *)upd, outer, xlen, inner, nidx, iouter);
      return;
    }
  }
  k_scatter_seq<T><<<genc_cu_blocks(st, outer * inner), GENC_CU_THREADS, 0, s>>>(
      (T *)out, idx, (const T *)upd, outer, xlen, inner, nidx, iouter);
}

int64_t genc_cu_scatter_add(void *stp, genc_dtype dt, void *out, const int32_t *idx,
                            const void *upd, int64_t outer, int64_t xlen, int64_t inner,
                            int64_t nidx, int64_t iouter) {
  genc_cu_state *st = genc_cu_enter(stp);
  int64_t bad = check_indices(st, idx, (iouter > 1 ? outer : 1) * nidx, xlen);
  if (bad >= 0) return bad;
  if (outer * inner * nidx <= 0) return -1;
  /* ordered sums when there are enough columns to fill the GPU */
  bool atomic = outer * inner < 4096 && nidx > 64;
  switch (dt) {
  case GENC_F64:
    scatter_t<double>(st, atomic, out, idx, upd, outer, xlen, inner, nidx, iouter);
    break;
  case GENC_F32:
    scatter_t<float>(st, atomic, out, idx, upd, outer, xlen, inner, nidx, iouter);
    break;
  case GENC_I32:
    scatter_t<int32_t>(st, atomic, out, idx, upd, outer, xlen, inner, nidx, iouter);
    break;
  case GENC_BOOL:
    scatter_t<uint8_t>(st, false, out, idx, upd, outer, xlen, inner, nidx, iouter);
    break;
  }
  genc_cu_check(st);
  return -1;
}
