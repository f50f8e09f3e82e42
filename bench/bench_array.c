/*
 * Array-engine benchmark (issue 2): genc against plain C / OpenBLAS measured in
 * the same run, reported as ratios.
 *   1. elementwise chain y = exp(-0.5 x^2) * 2 + x on 1e7 f64 elements, against
 *      a fused C loop, the same loop vectorized with glibc's vector exp (as
 *      genc's kernels are, src/backend/cpu/vecmath.h), and an unfused C loop
 *      (one pass per op, as eager ops do);
 *   2. 512x512 f64 matmul against cblas_dgemm called directly;
 *   3. the cost of one scalar op: 1e6 scalar adds in a scope.
 * Usage: bench_array [reps]   (median of reps, default 5)
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "backend/cpu/vecmath.h"
#include "genc.h"
#include "benchutil.h"

static volatile double sink;

/* scalar libm calls, as a plain C loop makes them (this file is built with
 * -fno-math-errno for the vector baselines below, so vectorization is kept off) */
__attribute__((optimize("no-tree-vectorize"))) static void c_fused(const double *x, double *y,
                                                                   int64_t n) {
  for (int64_t i = 0; i < n; i++)
    y[i] = exp(-0.5 * x[i] * x[i]) * 2 + x[i];
}

/* the fair fused baseline: what a C programmer gets from the same vector libm */
GENC_VEC_CLONES static void c_fused_vec(const double *restrict x, double *restrict y, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    y[i] = exp(-0.5 * x[i] * x[i]) * 2 + x[i];
}

GENC_VEC_CLONES static void c_unfused(const double *restrict x, double *restrict y,
                                      double *restrict t, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    t[i] = x[i] * x[i];
  for (int64_t i = 0; i < n; i++)
    t[i] = t[i] * -0.5;
  for (int64_t i = 0; i < n; i++)
    t[i] = exp(t[i]);
  for (int64_t i = 0; i < n; i++)
    t[i] = t[i] * 2;
  for (int64_t i = 0; i < n; i++)
    y[i] = t[i] + x[i];
}

static genc_array *genc_chain(genc_ctx *ctx, genc_array *x) {
  genc_array *t = genc_mul(ctx, genc_square(ctx, x), -0.5);
  return genc_add(ctx, genc_mul(ctx, genc_exp(ctx, t), 2.0), x);
}

int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 5;
  if (reps < 1 || reps > 100) reps = 5;
  genc_ctx *ctx = genc_ctx_new(NULL, NULL);
  double tg[100], tf[100], tv[100], tu[100];

  /* 1. elementwise chain */
  const int64_t n = 10000000;
  double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
  double *t = malloc((size_t)n * sizeof *t);
  for (int64_t i = 0; i < n; i++)
    x[i] = sin((double)i);
  genc_array *gx = genc_array_vec(ctx, n, x);
  for (int r = 0; r < reps; r++) {
    double t0 = bench_now();
    int64_t m = genc_scope_begin(ctx);
    genc_array *gy = genc_chain(ctx, gx);
    sink = gy ? 1 : 0;
    genc_scope_end(ctx, m);
    double t1 = bench_now();
    c_fused(x, y, n);
    sink = y[n / 2];
    double t2 = bench_now();
    c_fused_vec(x, y, n);
    sink = y[n / 4];
    double t3 = bench_now();
    c_unfused(x, y, t, n);
    sink = y[n / 3];
    double t4 = bench_now();
    tg[r] = t1 - t0, tf[r] = t2 - t1, tv[r] = t3 - t2, tu[r] = t4 - t3;
  }
  double g = bench_median(tg, reps), f = bench_median(tf, reps), v = bench_median(tv, reps),
         u = bench_median(tu, reps);
  printf("elementwise chain, 1e7 f64 (5 ops): genc %.1f ms | C fused %.1f ms | C fused, vector"
         " exp %.1f ms | C unfused, vector exp %.1f ms\n"
         "  ratio vs fused %.2f, vs fused vector %.2f, vs unfused vector %.2f\n",
         g * 1e3, f * 1e3, v * 1e3, u * 1e3, g / f, g / v, g / u);

  /* 2. matmul 512 x 512 */
  const int64_t k = 512;
  double *a = malloc((size_t)(k * k) * sizeof *a), *b = malloc((size_t)(k * k) * sizeof *b);
  double *c = malloc((size_t)(k * k) * sizeof *c);
  for (int64_t i = 0; i < k * k; i++)
    a[i] = sin(0.1 * (double)i), b[i] = cos(0.3 * (double)i);
  genc_array *ga = genc_array_mat(ctx, k, k, a), *gb = genc_array_mat(ctx, k, k, b);
  for (int r = 0; r < reps; r++) {
    double t0 = bench_now();
    int64_t m = genc_scope_begin(ctx);
    genc_array *gc = genc_matmul(ctx, ga, gb);
    sink = gc ? 1 : 0;
    genc_scope_end(ctx, m);
    double t1 = bench_now();
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)k, (int)k, (int)k, 1.0, a, (int)k,
                b, (int)k, 0.0, c, (int)k);
    sink = c[7];
    double t2 = bench_now();
    tg[r] = t1 - t0, tf[r] = t2 - t1;
  }
  g = bench_median(tg, reps), f = bench_median(tf, reps);
  printf("matmul 512x512 f64: genc %.2f ms | OpenBLAS dgemm %.2f ms | ratio %.3f\n", g * 1e3,
         f * 1e3, g / f);

  /* 3. scalar op cost */
  const int iters = 1000000;
  for (int r = 0; r < reps; r++) {
    genc_array *s = genc_scalar(ctx, 1.0), *one = genc_scalar(ctx, 1e-9);
    double t0 = bench_now();
    int64_t m = genc_scope_begin(ctx);
    for (int i = 0; i < iters; i++) {
      s = genc_add(ctx, s, one);
      if ((i & 1023) == 1023) { /* keep memory flat, as a model's per-step scope does */
        genc_scope_end_keep(ctx, m, &s, 1);
        m = genc_scope_begin(ctx);
      }
    }
    genc_scope_end_keep(ctx, m, &s, 1);
    tg[r] = (bench_now() - t0) / iters;
  }
  printf("scalar add: %.1f ns per op (target < 100 ns)\n", bench_median(tg, reps) * 1e9);
  printf("live bytes at end: %lld\n", (long long)genc_ctx_live_bytes(ctx));
  genc_ctx_free(ctx);
  free(x), free(y), free(t), free(a), free(b), free(c);
  return 0;
}
