/*
 * B1 poly-IS (shared/BENCHMARKS.md) on the GPU, N = 1e3 .. 1e8, in one run:
 *   fused64 / fused32: a handwritten fused CUDA kernel, one thread per
 *     particle (grid-stride), Philox4x32-10 draws of a, b, c by Box-Muller,
 *     the 100-point log likelihood, and an online logsumexp of the weights
 *     (per thread, then per block, then one block over the block partials);
 *   genc: the same estimate with genc array ops and genc's broadcasted normal
 *     density on a CUDA context, executed eagerly (one kernel per op, the
 *     density one fused kernel), particles in chunks of 2^22 so temporaries
 *     of [chunk, 100] doubles fit on the card; chunk estimates are combined
 *     with a logsumexp, as a user would write it;
 *   compiled: the same estimate captured once (genc_graph_capture) and
 *     replayed through the CUDA executor (genc_graph_compile: one NVRTC
 *     kernel for the per-particle work, a recorded CUDA Graph per replay),
 *     one graph of min(N, 1e7) particles replayed N / 1e7 times beyond that;
 *     nograph: the same without the CUDA Graph (kernels launched one by one).
 *     compile_s is genc_graph_compile's time (NVRTC, or the cache), capture_s
 *     the capture's (one eager run); replay_ms and item_ms split a compiled
 *     estimate of one graph into the genc_graph_replay call (host work, and
 *     the wait for the guard word) and the read of the result.
 * Times are medians of wall-clock time around the whole estimate, the result's
 * copy to the host included (each ends with the scalar on the host), each
 * variant's runs back to back (since 2026-12-02; before, the variants ran in
 * turn).
 * Ratios = genc / fused64. Exact answer: log p(y) = -7.48273979765505.
 * Usage: bench_b1_cuda [max_log10_N (default 8) [min_log10_N (default 3)]]
 */
#include <Random123/philox.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../benchutil.h"
#include "genc/array.h"
#include "genc/dist.h"
#include "genc/exec.h"
#include "genc/random.h"

#define NOBS 100
#define SIGMA 0.3
#define EXACT (-7.48273979765505)

__constant__ double c_x[NOBS], c_y[NOBS];

/* ---- the handwritten fused kernel ---- */

template <typename T> struct lse { T m, s; };

template <typename T> __device__ inline lse<T> lse_add(lse<T> a, lse<T> b) {
  if (a.m < b.m) {
    lse<T> t = a;
    a = b;
    b = t;
  }
  if (b.m == -INFINITY) return a;
  a.s += b.s * exp(b.m - a.m);
  return a;
}

template <typename T> __device__ inline T u01(uint32_t w) {
  return ((T)w + (T)0.5) * (T)2.3283064365386963e-10; /* (0, 1) */
}

template <typename T> __device__ inline lse<T> block_lse(lse<T> v) {
  __shared__ T sm[32], ss[32];
  for (int o = 16; o > 0; o >>= 1) {
    lse<T> w = {__shfl_down_sync(0xffffffffu, v.m, o), __shfl_down_sync(0xffffffffu, v.s, o)};
    v = lse_add(v, w);
  }
  int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
  if (lane == 0) sm[wid] = v.m, ss[wid] = v.s;
  __syncthreads();
  if (wid == 0) {
    int nw = blockDim.x >> 5;
    v = lane < nw ? lse<T>{sm[lane], ss[lane]} : lse<T>{(T)-INFINITY, (T)0};
    for (int o = 16; o > 0; o >>= 1) {
      lse<T> w = {__shfl_down_sync(0xffffffffu, v.m, o), __shfl_down_sync(0xffffffffu, v.s, o)};
      v = lse_add(v, w);
    }
  }
  return v;
}

template <typename T> __global__ void k_b1(int64_t n, uint32_t k0, uint32_t k1, T *pm, T *ps) {
  philox4x32_key_t key = {{k0, k1}};
  lse<T> acc = {(T)-INFINITY, (T)0};
  const T twopi = (T)6.283185307179586, ls = (T)(-log(SIGMA) - 0.9189385332046728) * NOBS;
  const T inv = (T)(1.0 / SIGMA);
  for (int64_t p = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; p < n;
       p += (int64_t)gridDim.x * blockDim.x) {
    philox4x32_ctr_t c = {{(uint32_t)p, (uint32_t)(p >> 32), 0, 0}};
    philox4x32_ctr_t r = philox4x32(c, key);
    T r1 = sqrt(-2 * log(u01<T>(r.v[0]))), t1 = twopi * u01<T>(r.v[1]);
    T r2 = sqrt(-2 * log(u01<T>(r.v[2]))), t2 = twopi * u01<T>(r.v[3]);
    T a = r1 * cos(t1), b = r1 * sin(t1), cc = r2 * cos(t2);
    T ll = 0;
#pragma unroll 4
    for (int i = 0; i < NOBS; i++) {
      T x = (T)c_x[i], z = ((T)c_y[i] - (a + x * (b + x * cc))) * inv;
      ll -= (T)0.5 * z * z;
    }
    lse<T> w = {ll + ls, (T)1};
    acc = lse_add(acc, w);
  }
  acc = block_lse(acc);
  if (threadIdx.x == 0) pm[blockIdx.x] = acc.m, ps[blockIdx.x] = acc.s;
}

template <typename T>
__global__ void k_b1_final(int nb, const T *pm, const T *ps, T *out, int64_t n) {
  lse<T> acc = {(T)-INFINITY, (T)0};
  for (int i = threadIdx.x; i < nb; i += blockDim.x)
    acc = lse_add(acc, lse<T>{pm[i], ps[i]});
  acc = block_lse(acc);
  if (threadIdx.x == 0) *out = acc.m + log(acc.s) - log((T)n);
}

template <typename T> struct fused {
  T *pm, *ps, *out;
  int nb;
  fused(int sms) : nb(sms * 16) {
    cudaMalloc(&pm, nb * sizeof(T));
    cudaMalloc(&ps, nb * sizeof(T));
    cudaMalloc(&out, sizeof(T));
  }
  ~fused() {
    cudaFree(pm);
    cudaFree(ps);
    cudaFree(out);
  }
  double run(int64_t n, uint64_t seed) {
    int64_t need = (n + 255) / 256;
    int g = need < nb ? (int)need : nb;
    k_b1<T><<<g, 256>>>(n, (uint32_t)seed, (uint32_t)(seed >> 32), pm, ps);
    k_b1_final<T><<<1, 1024>>>(g, pm, ps, out, n);
    T h;
    cudaMemcpy(&h, out, sizeof h, cudaMemcpyDeviceToHost);
    return (double)h;
  }
};

/* ---- genc, eager ---- */

static double xs[NOBS], ys[NOBS];

static double genc_b1(genc_ctx *ctx, int64_t n, uint64_t seed) {
  const int64_t chunk = (int64_t)1 << 22;
  int64_t top = genc_scope_begin(ctx), nobs = NOBS;
  genc_array *x = genc_array_vec(ctx, nobs, xs), *y = genc_array_vec(ctx, nobs, ys);
  genc_array *x2 = genc_square(ctx, x);
  genc_key key = genc_key_from_seed(seed), ka = genc_key_fold_in(key, 1),
           kb = genc_key_fold_in(key, 2), kc = genc_key_fold_in(key, 3);
  int64_t nch = (n + chunk - 1) / chunk;
  genc_array **parts = (genc_array **)malloc((size_t)nch * sizeof *parts);
  for (int64_t c = 0; c < nch; c++) {
    int64_t p0 = c * chunk, m = n - p0 < chunk ? n - p0 : chunk;
    int64_t mark = genc_scope_begin(ctx);
    genc_key a_k = ka, b_k = kb, c_k = kc; /* particles p0.. of the whole run's draws */
    a_k.particle += (uint32_t)p0, b_k.particle += (uint32_t)p0, c_k.particle += (uint32_t)p0;
    genc_array *a = genc_random_normal(ctx, a_k, GENC_F64, 0, NULL, m);
    genc_array *b = genc_random_normal(ctx, b_k, GENC_F64, 0, NULL, m);
    genc_array *cc = genc_random_normal(ctx, c_k, GENC_F64, 0, NULL, m);
    genc_array *mu = genc_add(ctx, genc_add(ctx, a, genc_mul(ctx, b, x)), genc_mul(ctx, cc, x2));
    /* the observations' density as a model scores it: one fused pass and a sum */
    genc_dist obs = genc_broadcasted_normal(ctx, mu, genc_scalar_weak(ctx, SIGMA));
    genc_array *ll = genc_dist_logpdf(ctx, &obs, y);
    parts[c] = genc_particle_reduce(ctx, GENC_RLOGSUMEXP, ll);
    genc_scope_end_keep(ctx, mark, &parts[c], 1);
  }
  genc_array *all =
      nch > 1 ? genc_logsumexp(ctx, genc_stack(ctx, (int)nch, parts, 0), 0, NULL, false) : parts[0];
  double v = NAN;
  if (genc_array_item(ctx, all, &v)) fprintf(stderr, "genc: %s\n", genc_ctx_error(ctx));
  free(parts);
  genc_scope_end(ctx, top);
  return v - log((double)n);
}

/* ---- genc, compiled: the estimate captured once and replayed (issue 12) ---- */

/* The estimate of particles [0, m) of a key as a function of arrays: the same
 * ops as genc_b1's chunk, ending in the particle logsumexp. */
static genc_status b1_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                         genc_array **out, void *user) {
  (void)in;
  int64_t m = *(const int64_t *)user, nobs = NOBS;
  genc_array *x = genc_array_vec(ctx, nobs, xs), *y = genc_array_vec(ctx, nobs, ys);
  genc_array *x2 = genc_square(ctx, x);
  genc_array *a = genc_random_normal(ctx, genc_key_fold_in(keys[0], 1), GENC_F64, 0, NULL, m);
  genc_array *b = genc_random_normal(ctx, genc_key_fold_in(keys[0], 2), GENC_F64, 0, NULL, m);
  genc_array *cc = genc_random_normal(ctx, genc_key_fold_in(keys[0], 3), GENC_F64, 0, NULL, m);
  genc_array *mu = genc_add(ctx, genc_add(ctx, a, genc_mul(ctx, b, x)), genc_mul(ctx, cc, x2));
  genc_dist obs = genc_broadcasted_normal(ctx, mu, genc_scalar_weak(ctx, SIGMA));
  out[0] = genc_particle_reduce(ctx, GENC_RLOGSUMEXP, genc_dist_logpdf(ctx, &obs, y));
  return out[0] ? GENC_OK : genc_ctx_status(ctx);
}

/* A compiled B1 of n particles: one graph of min(n, 1e7) particles (the eager
 * run inside the capture holds [m, 100] temporaries), replayed n / m times
 * with the key's particle offset advanced (the same draws as one run of n). */
struct compiled_b1 {
  genc_graph *g = NULL;
  int64_t m = 0, reps = 0;
  double compile_s = 0, capture_s = 0, t_replay = 0, t_item = 0;
  bool cache_hit = false, cuda_graph = false;
  compiled_b1(genc_ctx *ctx, int64_t n, bool no_cuda_graph) {
    m = n > 10000000 ? 10000000 : n;
    reps = n / m;
    genc_key key = genc_key_from_seed(1);
    genc_array *out[1];
    int64_t mark = genc_scope_begin(ctx);
    double t = bench_now();
    g = genc_graph_capture(ctx, b1_fn, &m, 1, &key, 0, NULL, 1, out);
    capture_s = bench_now() - t;
    genc_scope_end(ctx, mark);
    if (!g) {
      fprintf(stderr, "genc capture: %s\n", genc_ctx_error(ctx));
      return;
    }
    genc_compile_opts o = {};
    o.no_cuda_graph = no_cuda_graph;
    genc_compile_info inf = {};
    if (genc_graph_compile(ctx, g, &o) || genc_graph_compile_info(ctx, g, &inf)) {
      fprintf(stderr, "genc compile: %s\n", genc_ctx_error(ctx));
      genc_graph_free(g);
      g = NULL;
      return;
    }
    compile_s = inf.compile_s, cache_hit = inf.cache_hit;
  }
  ~compiled_b1() { genc_graph_free(g); }
  double run(genc_ctx *ctx, uint64_t seed) {
    if (!g) return NAN;
    int64_t mark = genc_scope_begin(ctx);
    genc_key key = genc_key_from_seed(seed);
    genc_array **parts = (genc_array **)malloc((size_t)reps * sizeof *parts);
    for (int64_t r = 0; r < reps; r++) {
      genc_key k = key;
      k.particle += (uint32_t)(r * m);
      double t = bench_now();
      genc_status st = genc_graph_replay(ctx, g, &k, NULL, &parts[r]);
      t_replay = bench_now() - t;
      if (st) {
        fprintf(stderr, "genc replay: %s\n", genc_ctx_error(ctx));
        parts[r] = NULL;
      }
    }
    genc_array *all =
        reps > 1 ? genc_logsumexp(ctx, genc_stack(ctx, (int)reps, parts, 0), 0, NULL, false)
                 : parts[0];
    double v = NAN, t = bench_now();
    if (genc_array_item(ctx, all, &v)) fprintf(stderr, "genc: %s\n", genc_ctx_error(ctx));
    t_item = bench_now() - t;
    genc_compile_info inf;
    if (!genc_graph_compile_info(ctx, g, &inf)) cuda_graph = inf.cuda_graph;
    free(parts);
    genc_scope_end(ctx, mark);
    return v - log((double)(m * reps));
  }
};

int main(int argc, char **argv) {
  int maxe = argc > 1 ? atoi(argv[1]) : 8;
  int mine = argc > 2 ? atoi(argv[2]) : 3;
  /* GENC_B1_COMPILED_ONLY=1: only the handwritten f64 kernel and the compiled replay (for
   * profilers such as ncu, which time every kernel the eager path launches otherwise) */
  bool only = getenv("GENC_B1_COMPILED_ONLY") != NULL;
  for (int i = 0; i < NOBS; i++) {
    xs[i] = -1 + 2.0 * i / 99;
    ys[i] = 0.5 - 1.0 * xs[i] + 2.0 * xs[i] * xs[i] + 0.3 * sin(12.9898 * i);
  }
  cudaMemcpyToSymbol(c_x, xs, sizeof xs);
  cudaMemcpyToSymbol(c_y, ys, sizeof ys);
  cudaDeviceProp prop;
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) {
    printf("skipped: no CUDA device\n");
    return 77;
  }
  genc_ctx_opts o = {GENC_CUDA, 0};
  genc_ctx *ctx = genc_ctx_new(&o, NULL);
  if (!ctx) {
    printf("genc: %s\n", genc_ctx_new_error());
    return 1;
  }
  printf("B1 poly-IS on %s (%d SMs); exact log p(y) = %.6f\n", prop.name, prop.multiProcessorCount,
         EXACT);
  printf("%-6s %11s %11s %11s %11s %9s %9s %11s %11s %11s %10s %10s %6s %11s %10s %10s\n", "N",
         "fused64_ms", "fused32_ms", "eager_ms", "compiled_ms", "eager/f64", "comp/f64",
         "est_fused64", "est_eager", "est_comp", "compile_s", "capture_s", "cgraph", "nograph_ms",
         "replay_ms", "item_ms");
  fused<double> f64(prop.multiProcessorCount);
  fused<float> f32(prop.multiProcessorCount);
  for (int w = 0; w < 20; w++) /* clocks up before the first timing */
    f64.run(10000000, 7);
  for (int e = mine; e <= maxe; e++) {
    int64_t n = 1;
    for (int i = 0; i < e; i++)
      n *= 10;
    int reps = e >= 8 ? 3 : e >= 7 ? 5 : e >= 6 ? 15 : 41;
    double t64[41], t32[41], tg[41], tc[41], tn[41], trp[41], tit[41], r64 = 0, rg = 0, rc = 0;
    compiled_b1 comp(ctx, n, false), nog(ctx, n, true);
    f64.run(n, 1), f32.run(n, 1); /* warm-up */
    if (!only) genc_b1(ctx, n, 1);
    comp.run(ctx, 1), comp.run(ctx, 2); /* the second replay records the CUDA Graph */
    nog.run(ctx, 1);
    /* Each variant's runs back to back, as b1_jax.py times JAX: run in turn,
     * one variant's work evicted another's caches (the compiled replay at 1e4
     * took 0.034 ms after an eager run against 0.028 ms in a row). */
    for (int r = 0; r < reps; r++) {
      double t = bench_now();
      r64 = f64.run(n, 100 + r);
      t64[r] = bench_now() - t;
    }
    for (int r = 0; r < reps; r++) {
      double t = bench_now();
      if (!only) f32.run(n, 100 + r);
      t32[r] = bench_now() - t;
    }
    for (int r = 0; r < reps; r++) {
      double t = bench_now();
      if (!only) rg = genc_b1(ctx, n, 100 + r);
      tg[r] = bench_now() - t;
    }
    for (int r = 0; r < reps; r++) {
      double t = bench_now();
      rc = comp.run(ctx, 100 + r);
      tc[r] = bench_now() - t;
      trp[r] = comp.t_replay, tit[r] = comp.t_item;
    }
    for (int r = 0; r < reps; r++) {
      double t = bench_now();
      if (!only) nog.run(ctx, 100 + r);
      tn[r] = bench_now() - t;
    }
    qsort(t64, reps, sizeof(double), bench_cmp_d);
    qsort(t32, reps, sizeof(double), bench_cmp_d);
    qsort(tg, reps, sizeof(double), bench_cmp_d);
    qsort(tc, reps, sizeof(double), bench_cmp_d);
    qsort(tn, reps, sizeof(double), bench_cmp_d);
    qsort(trp, reps, sizeof(double), bench_cmp_d);
    qsort(tit, reps, sizeof(double), bench_cmp_d);
    double m64 = t64[reps / 2], m32 = t32[reps / 2], mg = tg[reps / 2], mc = tc[reps / 2];
    printf("1e%-4d %11.4f %11.4f %11.4f %11.4f %9.2f %9.2f %11.5f %11.5f %11.5f %10.3f %10.3f %6s "
           "%11.4f %10.4f %10.4f\n",
           e, m64 * 1e3, m32 * 1e3, mg * 1e3, mc * 1e3, mg / m64, mc / m64, r64, rg, rc,
           comp.compile_s, comp.capture_s, comp.cuda_graph ? "yes" : "no", tn[reps / 2] * 1e3,
           trp[reps / 2] * 1e3, tit[reps / 2] * 1e3);
    fflush(stdout);
  }
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) printf("CUDA error: %s\n", cudaGetErrorString(err));
  genc_ctx_free(ctx);
  return 0;
}
