/*
 * CUDA reductions, scans and searchsorted over the middle axis of an
 * [outer, len, inner] view.
 *
 * Three reduction paths. With many outputs or short rows, one thread per output
 * walks its row in order: the CPU backend's loop, so sums come out in the same
 * order and identical. With few outputs and rows up to 4096, one block per
 * output reduces its row in one launch (a particle reduction of N = 1e3 in a
 * recorded replay). With few outputs and long rows (a reduction over 1e8
 * particles), rows are cut into chunks reduced by whole blocks into partials,
 * then the partials are combined in chunk order. The last two order a sum
 * differently from the CPU, so they agree to rounding, not bit for bit.
 * logsumexp is two reductions, as on the CPU (the maximum, then the sum of
 * exp(x - max)), except on the chunked path: there each thread keeps a running
 * maximum and its sum, (m, s) pairs that combine like the other partials, so
 * the reduction reads its row once in one launch (a B1 replay's particle
 * logsumexp paid a launch for each pass).
 */
#include <float.h>

#include "backend/cuda/cuda_internal.cuh"
#include "backend/cuda/cuda_reduce.cuh"
#include "backend/cuda/cuda_rtc.h"

static __device__ inline double r_log1p(double v) { return log1p(v); }
static __device__ inline float r_log1p(float v) { return log1pf(v); }
static_assert(GENC_CU_RED_THREADS == GENC_CU_THREADS, "one block size for every reduction");

/* ---- one thread per output (the CPU's loop) ---- */

template <typename T> __device__ inline bool r_is_int() { return false; }
template <> __device__ inline bool r_is_int<int32_t>() { return true; }

/* The contiguous-row loop (inner == 1, floats, sum/max/min): four
 * accumulators over l mod 4, the tail into the first, then combined in order
 * (the CPU's for max and min; its sums take sixteen lanes, which a GPU
 * thread would pay in registers: exec_abi.h's genc_x_rowsum). */
template <typename T> __device__ inline T row4(int op, const T *r, int64_t len) {
  T init = r_init<T>(op), a0 = init, a1 = init, a2 = init, a3 = init;
  int64_t l = 0;
  for (; l + 4 <= len; l += 4) {
    a0 = r_step<T>(op, a0, r[l]);
    a1 = r_step<T>(op, a1, r[l + 1]);
    a2 = r_step<T>(op, a2, r[l + 2]);
    a3 = r_step<T>(op, a3, r[l + 3]);
  }
  for (; l < len; l++)
    a0 = r_step<T>(op, a0, r[l]);
  return r_step<T>(op, r_step<T>(op, r_step<T>(op, a0, a1), a2), a3);
}

template <typename T>
__global__ void k_red_seq(int op, const T *x, void *yv, int64_t outer, int64_t len, int64_t inner) {
  GENC_CU_LOOP(q, outer * inner) {
    int64_t o = q / inner, j = q - o * inner;
    const T *xo = x + o * len * inner + j;
    if (op == GENC_RARGMAX || op == GENC_RARGMIN) {
      int32_t best = 0;
      for (int64_t l = 1; l < len; l++) {
        T v = xo[l * inner], b = xo[best * inner];
        bool better = op == GENC_RARGMAX ? v > b : v < b;
        if (better || (r_nan(v) && !r_nan(b))) best = (int32_t)l;
      }
      ((int32_t *)yv)[q] = best;
    } else if (op == GENC_RLOGSUMEXP) {
      T m = r_lowest<T>(), s = 0;
      for (int64_t l = 0; l < len; l++) {
        T v = xo[l * inner];
        if (v > m || r_nan(v)) m = v;
      }
      if (r_nan(m) || m == INFINITY || m == -INFINITY) {
        ((T *)yv)[q] = m;
        continue;
      }
      for (int64_t l = 0; l < len; l++)
        s += r_exp(xo[l * inner] - m);
      ((T *)yv)[q] = m + r_log(s);
    } else if (inner == 1 && !r_is_int<T>() && op != GENC_RPROD) {
      ((T *)yv)[q] = row4<T>(op, xo, len);
    } else {
      T acc = r_init<T>(op);
      for (int64_t l = 0; l < len; l++)
        acc = r_step<T>(op, acc, xo[l * inner]);
      ((T *)yv)[q] = acc;
    }
  }
}

/* ---- chunked block reduction ---- */

/* Block (chunk c, output blockIdx.y) reduces its slice of one row into part;
 * the last block of an output to finish combines the partials into yv
 * (r_finish), so a reduction is one launch, not two. */
template <typename T>
__global__ void k_red_part(int op, const T *x, racc<T> *part, int64_t len, int64_t inner,
                           int64_t clen, unsigned *count, void *yv) {
  __shared__ racc<T> sh[GENC_CU_THREADS];
  const rops<T> f = {op};
  int64_t q = blockIdx.y, o = q / inner, j = q - o * inner, c = blockIdx.x;
  int64_t l0 = c * clen, l1 = l0 + clen < len ? l0 + clen : len;
  const T *xo = x + o * len * inner + j;
  racc<T> acc = r_start<T>(op, (int32_t)l0);
  for (int64_t l = l0 + threadIdx.x; l < l1; l += blockDim.x) {
    racc<T> e = {xo[l * inner], (int32_t)l};
    acc = r_comb<T>(op, acc, e);
  }
  r_tree(f, sh, acc);
  if (!r_publish(part + q * gridDim.x, sh, &count[q])) return;
  r_finish(f, part + q * gridDim.x, gridDim.x, sh);
  if (threadIdx.x != 0) return;
  if (op == GENC_RARGMAX || op == GENC_RARGMIN)
    ((int32_t *)yv)[q] = sh[0].i;
  else
    ((T *)yv)[q] = sh[0].v;
  count[q] = 0; /* for the next reduction on this stream */
}

/* One block per output (blockIdx.x): the chunked path's partial and final
 * combine in one launch (logsumexp: the maximum, then the sum of exp(x - max),
 * and the same result rules as k_red_part and k_lse_part). */
template <typename T>
__global__ void k_red_block(int op, const T *x, void *yv, int64_t len, int64_t inner) {
  __shared__ racc<T> sh[GENC_CU_THREADS];
  int64_t q = blockIdx.x, o = q / inner, j = q - o * inner;
  const T *xo = x + o * len * inner + j;
  bool lse = op == GENC_RLOGSUMEXP;
  T m = 0;
  for (int pass = 0; pass < (lse ? 2 : 1); pass++) {
    int pop = lse ? (pass ? GENC_RSUM : GENC_RMAX) : op;
    racc<T> acc = r_start<T>(pop, 0);
    for (int64_t l = threadIdx.x; l < len; l += blockDim.x) {
      T v = xo[l * inner];
      if (pass) v = r_exp(v - m);
      racc<T> e = {v, (int32_t)l};
      acc = r_comb<T>(pop, acc, e);
    }
    r_tree(rops<T>{pop}, sh, acc);
    if (lse && !pass) {
      m = sh[0].v;
      __syncthreads(); /* everyone has m before sh is reused */
      if (r_nan(m) || m == INFINITY || m == -INFINITY) {
        if (threadIdx.x == 0) ((T *)yv)[q] = m;
        return;
      }
    }
  }
  if (threadIdx.x != 0) return;
  if (op == GENC_RARGMAX || op == GENC_RARGMIN)
    ((int32_t *)yv)[q] = sh[0].i;
  else
    ((T *)yv)[q] = lse ? m + r_log(sh[0].v) : sh[0].v;
}

/* k_red_part for logsumexp: each thread's pair over its elements, the same
 * tree, publish and finish. */
template <typename T>
__global__ void k_lse_part(const T *x, lacc<T> *part, int64_t len, int64_t inner, int64_t clen,
                           unsigned *count, T *y) {
  __shared__ lacc<T> sh[GENC_CU_THREADS];
  const lops<T> f = {};
  int64_t q = blockIdx.y, o = q / inner, j = q - o * inner, c = blockIdx.x;
  int64_t l0 = c * clen, l1 = l0 + clen < len ? l0 + clen : len;
  const T *xo = x + o * len * inner + j;
  lacc<T> acc = {r_lowest<T>(), 0};
  for (int64_t l = l0 + threadIdx.x; l < l1; l += blockDim.x)
    acc = l_add<T>(acc, xo[l * inner]);
  r_tree(f, sh, acc);
  if (!r_publish(part + q * gridDim.x, sh, &count[q])) return;
  r_finish(f, part + q * gridDim.x, gridDim.x, sh);
  if (threadIdx.x != 0) return;
  y[q] = l_value<T>(sh[0]);
  count[q] = 0;
}

/* One thread a row only for short rows or many rows (a lone thread walking a
 * row of 1000, a particle logsumexp at N = 1e3, takes ~0.1 ms); chunks for
 * long rows (genc_cu_chunk_rule: beyond 4096 they measured faster, B1
 * replays at 1e4); one block a row between. */
static bool use_seq(int64_t nout, int64_t len) {
  return len <= 128 || nout >= GENC_CU_RCOUNT || nout > 65535;
}
static_assert(GENC_CU_RCOUNT == 1024 && GENC_CU_THREADS == 256, "genc_cu_chunk_rule's constants");

extern "C" bool genc_cu_reduce_chunks(void *bst, int64_t nout, int64_t len, int64_t *nchunk,
                                      int64_t *clen) {
  const genc_cu_state *st = genc_cu_enter(bst);
  return genc_cu_chunk_rule(st->sms, nout, len, nchunk, clen);
}

template <typename T>
static void reduce_chunked(genc_cu_state *st, int op, const T *x, void *y, int64_t outer,
                           int64_t len, int64_t inner, int64_t nchunk, int64_t clen) {
  int64_t nout = outer * inner;
  bool lse = op == GENC_RLOGSUMEXP;
  size_t pbytes = (size_t)(nout * nchunk) * (lse ? sizeof(lacc<T>) : sizeof(racc<T>));
  void *part = genc_cu_alloc(st, pbytes);
  if (!part) {
    if (st->err == cudaSuccess) st->err = cudaErrorMemoryAllocation;
    return;
  }
  dim3 grid((unsigned)nchunk, (unsigned)nout);
  cudaStream_t s = st->stream;
  unsigned *cnt = st->rcount;
  if (lse)
    k_lse_part<T>
        <<<grid, GENC_CU_THREADS, 0, s>>>(x, (lacc<T> *)part, len, inner, clen, cnt, (T *)y);
  else
    k_red_part<T>
        <<<grid, GENC_CU_THREADS, 0, s>>>(op, x, (racc<T> *)part, len, inner, clen, cnt, y);
  genc_cu_free(st, part, pbytes); /* stream order makes the reuse safe */
}

template <typename T>
static void reduce_t(genc_cu_state *st, int op, const void *x, void *y, int64_t outer, int64_t len,
                     int64_t inner) {
  int64_t nout = outer * inner, nchunk, clen;
  if (genc_cu_chunk_rule(st->sms, nout, len, &nchunk, &clen)) {
    reduce_chunked<T>(st, op, (const T *)x, y, outer, len, inner, nchunk, clen);
  } else if (use_seq(nout, len)) {
    k_red_seq<T><<<genc_cu_blocks(st, nout), GENC_CU_THREADS, 0, st->stream>>>(op, (const T *)x, y,
                                                                               outer, len, inner);
  } else {
    k_red_block<T>
        <<<(unsigned)nout, GENC_CU_THREADS, 0, st->stream>>>(op, (const T *)x, y, len, inner);
  }
}

void genc_cu_reduce(void *stp, genc_reduce_op op, genc_dtype dt, const void *x, void *out,
                    int64_t outer, int64_t len, int64_t inner) {
  genc_cu_state *st = genc_cu_enter(stp);
  if (outer * inner <= 0) return;
  switch (dt) {
  case GENC_F64: reduce_t<double>(st, op, x, out, outer, len, inner); break;
  case GENC_F32: reduce_t<float>(st, op, x, out, outer, len, inner); break;
  case GENC_I32:
    if (op != GENC_RLOGSUMEXP) reduce_t<int32_t>(st, op, x, out, outer, len, inner);
    break;
  case GENC_BOOL: break;
  }
  genc_cu_check(st);
}

/* ---- scans: one thread per row, the CPU's recurrence ---- */

template <typename T>
__global__ void k_scan(int op, const T *x, T *y, int64_t outer, int64_t len, int64_t inner) {
  GENC_CU_LOOP(q, outer * inner) {
    int64_t o = q / inner, j = q - o * inner;
    const T *xo = x + o * len * inner + j;
    T *yo = y + o * len * inner + j;
    T acc = op == GENC_RSUM ? (T)0 : (T)-INFINITY;
    for (int64_t l = 0; l < len; l++) {
      T v = xo[l * inner];
      if (op == GENC_RSUM) {
        acc += v;
      } else if (acc == -INFINITY || v == INFINITY) {
        acc = v;
      } else if (v != -INFINITY) {
        T hi = acc > v ? acc : v, lo = acc > v ? v : acc;
        acc = hi + r_log1p(r_exp(lo - hi));
      }
      yo[l * inner] = acc;
    }
  }
}

__global__ void k_scan_i(const int32_t *x, int32_t *y, int64_t outer, int64_t len, int64_t inner) {
  GENC_CU_LOOP(q, outer * inner) {
    int64_t o = q / inner, j = q - o * inner;
    uint32_t acc = 0; /* wraps, as on the CPU */
    for (int64_t l = 0; l < len; l++) {
      acc += (uint32_t)x[(o * len + l) * inner + j];
      y[(o * len + l) * inner + j] = (int32_t)acc;
    }
  }
}

/* ---- long rows, few of them: a three-phase chunked scan ----
 * 1. each block totals one chunk of SCAN_CHUNK elements; 2. one thread per row
 * turns the chunk totals into exclusive prefixes; 3. each block scans its chunk
 * (8 elements per thread in registers, then across threads in shared memory)
 * and adds its prefix. The association differs from the CPU's left-to-right
 * recurrence, so results agree to rounding. */
#define SCAN_PER_THREAD 8
#define SCAN_CHUNK (GENC_CU_THREADS * SCAN_PER_THREAD)

/* the CPU's step as a combine: sum, or log(e^a + e^b) with its inf/NaN rules */
template <typename T> __device__ inline T sc_comb(int op, T a, T b) {
  if (op == GENC_RSUM) return a + b;
  if (a == -INFINITY || b == INFINITY) return b;
  if (b == -INFINITY) return a;
  T hi = a > b ? a : b, lo = a > b ? b : a;
  return hi + r_log1p(r_exp(lo - hi));
}

template <typename T> __device__ inline T sc_id(int op) {
  return op == GENC_RSUM ? (T)0 : (T)-INFINITY;
}

/* Block-wide inclusive scan of one value per thread (Hillis-Steele). */
template <typename T> __device__ inline T sc_block(int op, T v, T *sh) {
  sh[threadIdx.x] = v;
  __syncthreads();
  for (int d = 1; d < (int)blockDim.x; d <<= 1) {
    T w = (int)threadIdx.x >= d ? sh[threadIdx.x - d] : sc_id<T>(op);
    __syncthreads();
    if ((int)threadIdx.x >= d) v = sc_comb<T>(op, w, v);
    sh[threadIdx.x] = v;
    __syncthreads();
  }
  return v;
}

template <typename T>
__global__ void k_scan_tot(int op, const T *x, T *tot, int64_t len, int64_t inner) {
  __shared__ T sh[GENC_CU_THREADS];
  int64_t q = blockIdx.y, o = q / inner, j = q - o * inner, c = blockIdx.x;
  const T *xo = x + o * len * inner + j;
  int64_t l0 = c * SCAN_CHUNK + (int64_t)threadIdx.x * SCAN_PER_THREAD;
  T acc = sc_id<T>(op);
  for (int k = 0; k < SCAN_PER_THREAD && l0 + k < len; k++)
    acc = sc_comb<T>(op, acc, xo[(l0 + k) * inner]);
  acc = sc_block<T>(op, acc, sh);
  if (threadIdx.x == blockDim.x - 1) tot[q * gridDim.x + c] = acc;
}

template <typename T> __global__ void k_scan_prefix(int op, T *tot, int64_t nchunk, int64_t nout) {
  GENC_CU_LOOP(q, nout) {
    T acc = sc_id<T>(op);
    for (int64_t c = 0; c < nchunk; c++) {
      T t = tot[q * nchunk + c];
      tot[q * nchunk + c] = acc;
      acc = sc_comb<T>(op, acc, t);
    }
  }
}

template <typename T>
__global__ void k_scan_chunk(int op, const T *x, T *y, const T *pre, int64_t len, int64_t inner) {
  __shared__ T sh[GENC_CU_THREADS];
  int64_t q = blockIdx.y, o = q / inner, j = q - o * inner, c = blockIdx.x;
  const T *xo = x + o * len * inner + j;
  T *yo = y + o * len * inner + j;
  int64_t l0 = c * SCAN_CHUNK + (int64_t)threadIdx.x * SCAN_PER_THREAD;
  T v[SCAN_PER_THREAD], acc = sc_id<T>(op);
#pragma unroll
  for (int k = 0; k < SCAN_PER_THREAD; k++) {
    if (l0 + k < len) acc = sc_comb<T>(op, acc, xo[(l0 + k) * inner]);
    v[k] = acc;
  }
  sc_block<T>(op, acc, sh); /* leaves the inclusive scan in sh */
  T before = threadIdx.x ? sh[threadIdx.x - 1] : sc_id<T>(op);
  T p = sc_comb<T>(op, pre[q * gridDim.x + c], before);
#pragma unroll
  for (int k = 0; k < SCAN_PER_THREAD; k++)
    if (l0 + k < len) yo[(l0 + k) * inner] = sc_comb<T>(op, p, v[k]);
}

template <typename T>
static bool scan_chunked(genc_cu_state *st, int op, const T *x, T *y, int64_t outer, int64_t len,
                         int64_t inner) {
  int64_t nout = outer * inner, nchunk = (len + SCAN_CHUNK - 1) / SCAN_CHUNK;
  size_t bytes = (size_t)(nout * nchunk) * sizeof(T);
  T *tot = (T *)genc_cu_alloc(st, bytes);
  if (!tot) return false;
  dim3 grid((unsigned)nchunk, (unsigned)nout);
  cudaStream_t s = st->stream;
  k_scan_tot<T><<<grid, GENC_CU_THREADS, 0, s>>>(op, x, tot, len, inner);
  k_scan_prefix<T><<<genc_cu_blocks(st, nout), GENC_CU_THREADS, 0, s>>>(op, tot, nchunk, nout);
  k_scan_chunk<T><<<grid, GENC_CU_THREADS, 0, s>>>(op, x, y, tot, len, inner);
  genc_cu_free(st, tot, bytes);
  return true;
}

void genc_cu_scan(void *stp, genc_reduce_op op, genc_dtype dt, const void *x, void *out,
                  int64_t outer, int64_t len, int64_t inner) {
  genc_cu_state *st = genc_cu_enter(stp);
  int64_t nout = outer * inner;
  if (nout <= 0 || len <= 0) return;
  /* a few long rows (a cumulative sum over many particles): chunked, parallel */
  if (len >= 4 * SCAN_CHUNK && nout <= 64 && (dt == GENC_F64 || dt == GENC_F32)) {
    bool ok =
        dt == GENC_F64
            ? scan_chunked<double>(st, op, (const double *)x, (double *)out, outer, len, inner)
            : scan_chunked<float>(st, op, (const float *)x, (float *)out, outer, len, inner);
    if (ok) {
      genc_cu_check(st);
      return;
    }
  }
  unsigned nb = genc_cu_blocks(st, nout);
  cudaStream_t s = st->stream;
  if (dt == GENC_F64)
    k_scan<<<nb, GENC_CU_THREADS, 0, s>>>((int)op, (const double *)x, (double *)out, outer, len,
                                          inner);
  else if (dt == GENC_F32)
    k_scan<<<nb, GENC_CU_THREADS, 0, s>>>((int)op, (const float *)x, (float *)out, outer, len,
                                          inner);
  else if (dt == GENC_I32)
    k_scan_i<<<nb, GENC_CU_THREADS, 0, s>>>((const int32_t *)x, (int32_t *)out, outer, len, inner);
  genc_cu_check(st);
}

/* ---- searchsorted: one thread per query, binary search ---- */

template <typename T>
__global__ void k_ss(const T *s, int64_t srow, int64_t len, const T *v, int64_t vrow, int32_t *out,
                     int64_t outer, int64_t m, bool right) {
  GENC_CU_LOOP(q, outer * m) {
    int64_t o = q / m, k = q - o * m;
    const T *row = s + o * srow;
    T x = v[o * vrow + k];
    int64_t lo = 0, hi = len;
    while (lo < hi) {
      int64_t mid = (lo + hi) / 2;
      if (right ? !(x < row[mid]) : row[mid] < x)
        lo = mid + 1;
      else
        hi = mid;
    }
    out[q] = (int32_t)lo;
  }
}

void genc_cu_searchsorted(void *stp, genc_dtype dt, const void *sorted, int64_t srow, int64_t len,
                          const void *v, int64_t vrow, void *out, int64_t outer, int64_t m,
                          bool right) {
  genc_cu_state *st = genc_cu_enter(stp);
  if (outer * m <= 0) return;
  unsigned nb = genc_cu_blocks(st, outer * m);
  cudaStream_t s = st->stream;
  int32_t *o = (int32_t *)out;
  if (dt == GENC_F64)
    k_ss<<<nb, GENC_CU_THREADS, 0, s>>>((const double *)sorted, srow, len, (const double *)v, vrow,
                                        o, outer, m, right);
  else if (dt == GENC_F32)
    k_ss<<<nb, GENC_CU_THREADS, 0, s>>>((const float *)sorted, srow, len, (const float *)v, vrow, o,
                                        outer, m, right);
  else if (dt == GENC_I32)
    k_ss<<<nb, GENC_CU_THREADS, 0, s>>>((const int32_t *)sorted, srow, len, (const int32_t *)v,
                                        vrow, o, outer, m, right);
  genc_cu_check(st);
}
