/*
 * The device half of the chunked reductions (cuda_reduce.cu), shared with the
 * kernels the CUDA executor generates (exec_cuda_src.c, compiled by NVRTC): a
 * region kernel that reduces its own output over the particles folds, publishes
 * and finishes its partials with this code, in the order k_red_part and
 * k_lse_part use, so a fused reduction gives the bits of the launch it saves.
 * Both compilers run with --fmad=false.
 */
#ifndef GENC_BACKEND_CUDA_REDUCE_CUH
#define GENC_BACKEND_CUDA_REDUCE_CUH

#include <math.h>
#include <stdint.h>

#include "backend/backend.h"

/* Threads of every reduction block (GENC_CU_THREADS in the backend). */
#define GENC_CU_RED_THREADS 256

__device__ inline double r_exp(double v) { return exp(v); }
__device__ inline float r_exp(float v) { return expf(v); }
__device__ inline double r_log(double v) { return log(v); }
__device__ inline float r_log(float v) { return logf(v); }
/* integer rows never reach logsumexp; these only let the templates compile */
__device__ inline int32_t r_exp(int32_t v) { return v; }
__device__ inline int32_t r_log(int32_t v) { return v; }
__device__ inline bool r_nan(double v) { return v != v; }
__device__ inline bool r_nan(float v) { return v != v; }
__device__ inline bool r_nan(int32_t) { return false; }

template <typename T> __device__ inline T r_lowest() { return -INFINITY; }
template <> __device__ inline int32_t r_lowest<int32_t>() { return INT32_MIN; }
template <typename T> __device__ inline T r_highest() { return INFINITY; }
template <> __device__ inline int32_t r_highest<int32_t>() { return INT32_MAX; }

template <typename T> __device__ inline T r_init(int op) {
  switch (op) {
  case GENC_RPROD: return 1;
  case GENC_RMAX: return r_lowest<T>();
  case GENC_RMIN: return r_highest<T>();
  default: return 0;
  }
}

/* the CPU's step: maximum/minimum let NaN win and keep it */
template <typename T> __device__ inline T r_step(int op, T acc, T v) {
  switch (op) {
  case GENC_RSUM: return acc + v;
  case GENC_RPROD: return acc * v;
  case GENC_RMAX: return (v > acc || r_nan(v)) ? v : acc;
  case GENC_RMIN: return (v < acc || r_nan(v)) ? v : acc;
  default: return acc;
  }
}
/* i32 sums and products wrap (two's complement, as on the CPU) */
template <> __device__ inline int32_t r_step<int32_t>(int op, int32_t acc, int32_t v) {
  uint32_t a = (uint32_t)acc, b = (uint32_t)v;
  switch (op) {
  case GENC_RSUM: return (int32_t)(a + b);
  case GENC_RPROD: return (int32_t)(a * b);
  case GENC_RMAX: return v > acc ? v : acc;
  case GENC_RMIN: return v < acc ? v : acc;
  default: return acc;
  }
}

template <typename T> struct racc {
  T v;
  int32_t i;
};

/* Combine two partials; argmax/argmin break ties (and NaN against NaN) by the
 * lower index, which is the CPU's first-occurrence rule in any order. */
template <typename T> __device__ inline racc<T> r_comb(int op, racc<T> a, racc<T> b) {
  if (op == GENC_RARGMAX || op == GENC_RARGMIN) {
    bool bn = r_nan(b.v), an = r_nan(a.v), take;
    if (bn || an)
      take = bn && (!an || b.i < a.i);
    else if (b.v == a.v)
      take = b.i < a.i;
    else
      take = op == GENC_RARGMAX ? b.v > a.v : b.v < a.v;
    return take ? b : a;
  }
  a.v = r_step<T>(op, a.v, b.v);
  return a;
}

/* A thread's empty accumulator for op (argmax/argmin start below every value). */
template <typename T> __device__ inline racc<T> r_start(int op, int32_t i) {
  racc<T> a = {r_init<T>(op), i};
  if (op == GENC_RARGMAX) a.v = r_lowest<T>();
  if (op == GENC_RARGMIN) a.v = r_highest<T>();
  return a;
}

/* How partials combine: r_comb under an op, and the load of a partial
 * another block wrote (read from L2, past this block's L1). */
template <typename T> struct rops {
  int op;
  __device__ racc<T> comb(racc<T> a, racc<T> b) const { return r_comb<T>(op, a, b); }
  __device__ racc<T> down(racc<T> a, int s) const {
    return racc<T>{__shfl_down_sync(0xffffffffu, a.v, s), __shfl_down_sync(0xffffffffu, a.i, s)};
  }
  __device__ racc<T> load(const racc<T> *p) const {
    racc<T> r;
    r.v = *(const volatile T *)&p->v;
    r.i = *(const volatile int32_t *)&p->i;
    return r;
  }
};
/* The values of threads [0, m) combined by a fixed tree into sh[0], which
 * every thread sees after: each warp's lanes take lane + s for s = 16 .. 1
 * (shuffles, no barrier), then warp 0 the warps' results the same way. Every
 * thread of the block calls it (blockDim.x a multiple of 32; sh holds 32
 * entries at least). Two barriers, not one a level (eight for 256 threads). */
template <typename A, typename F> __device__ inline void r_block(const F &f, A *sh, A acc, int m) {
  const int t = (int)threadIdx.x, lane = t & 31, w = t >> 5, nw = (m + 31) >> 5;
  for (int s = 16; s > 0; s >>= 1) {
    A o = f.down(acc, s);
    if (lane + s < 32 && t + s < m) acc = f.comb(acc, o);
  }
  if (lane == 0 && t < m) sh[w] = acc;
  __syncthreads();
  if (w == 0) {
    if (lane < nw) acc = sh[lane];
    for (int s = 16; s > 0; s >>= 1) {
      A o = f.down(acc, s);
      if (lane + s < nw) acc = f.comb(acc, o);
    }
    if (lane == 0) sh[0] = acc;
  }
  __syncthreads();
}
/* The block's accumulators combined by r_block's tree into sh[0]. */
template <typename A, typename F> __device__ inline void r_tree(const F &f, A *sh, A acc) {
  r_block(f, sh, acc, (int)blockDim.x);
}
/* One output's nchunk partials combined by one block into sh[0]: thread t
 * folds partials t, t + B, ... in order, then r_block's tree over the
 * threads' results, so the bits depend only on nchunk (a lone thread walking
 * 1056 partials took 0.22 ms, most of a B1 replay at N = 1e6). */
template <typename A, typename F>
__device__ void r_finish(const F &f, const A *pq, int64_t nchunk, A *sh) {
  const int t = (int)threadIdx.x;
  A acc{};
  if (t < nchunk) {
    acc = f.load(pq + t);
    for (int64_t c = t + blockDim.x; c < nchunk; c += blockDim.x)
      acc = f.comb(acc, f.load(pq + c));
  }
  r_block(f, sh, acc, nchunk < (int64_t)blockDim.x ? (int)nchunk : (int)blockDim.x);
}
/* After each block's thread 0 wrote its partials: true in the last block to
 * arrive (count: zero between launches; the last block sets it back to zero
 * when it is done), which then sees every block's partials. */
__device__ inline bool r_arrive(unsigned *count) {
  __shared__ bool last;
  if (threadIdx.x == 0) {
    __threadfence(); /* the partials are visible before the count says so */
    last = atomicAdd(count, 1u) == gridDim.x - 1;
  }
  __syncthreads();
  if (last) __threadfence();
  return last;
}
/* Block c's one partial into part[c], then r_arrive. */
template <typename A> __device__ bool r_publish(A *part, const A *sh, unsigned *count) {
  if (threadIdx.x == 0) part[blockIdx.x] = sh[0];
  return r_arrive(count);
}

/* ---- logsumexp in one pass: (maximum, rescaled sum) pairs ---- */

/* m + log(s) of the elements seen; m NaN or +inf is the answer itself. */
template <typename T> struct lacc { T m, s; };
/* One element into a running pair: the sum rescaled when the maximum rises;
 * -inf adds nothing, NaN and then +inf stick (the two-pass rules: NaN wins
 * the maximum). */
template <typename T> __device__ inline lacc<T> l_add(lacc<T> a, T v) {
  if (r_nan(a.m)) return a;
  if (r_nan(v)) return lacc<T>{v, 1};
  if (a.m == INFINITY || v == -INFINITY) return a;
  if (v == INFINITY) return lacc<T>{v, 1};
  if (v > a.m) return lacc<T>{v, a.s * r_exp(a.m - v) + 1};
  a.s += r_exp(v - a.m);
  return a;
}
template <typename T> struct lops {
  __device__ lacc<T> comb(lacc<T> a, lacc<T> b) const {
    if (r_nan(a.m)) return a;
    if (r_nan(b.m)) return b;
    if (a.m == INFINITY || b.m == -INFINITY) return a;
    if (b.m == INFINITY || a.m == -INFINITY) return b;
    T m = a.m > b.m ? a.m : b.m;
    return lacc<T>{m, a.s * r_exp(a.m - m) + b.s * r_exp(b.m - m)};
  }
  __device__ lacc<T> down(lacc<T> a, int s) const {
    return lacc<T>{__shfl_down_sync(0xffffffffu, a.m, s), __shfl_down_sync(0xffffffffu, a.s, s)};
  }
  __device__ lacc<T> load(const lacc<T> *p) const {
    return lacc<T>{*(const volatile T *)&p->m, *(const volatile T *)&p->s};
  }
};
template <typename T> __device__ inline T l_value(lacc<T> a) {
  return (r_nan(a.m) || a.m == INFINITY || a.m == -INFINITY) ? a.m : a.m + r_log(a.s);
}

#endif
