/*
 * The model of B1 poly-IS and B3 poly-MH (shared/BENCHMARKS.md), shared by
 * the tests that run it: a, b, c ~ N(0, 1); y ~ N(a + b x + c x^2, 0.3)
 * elementwise, with args[0] = x and args[1] = x^2 (any length).
 */
#ifndef GENC_TEST_B1_MODEL_H
#define GENC_TEST_B1_MODEL_H

#include "testutil.h"

static genc_array *b1(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *a = GENC_TRACE(rt, "a", genc_normal(ctx, 0.0, 1.0));
  genc_array *b = GENC_TRACE(rt, "b", genc_normal(ctx, 0.0, 1.0));
  genc_array *c = GENC_TRACE(rt, "c", genc_normal(ctx, 0.0, 1.0));
  genc_array *mu =
      genc_add(ctx, genc_add(ctx, a, genc_mul(ctx, b, args[0])), genc_mul(ctx, c, args[1]));
  return GENC_TRACE(rt, "y", genc_broadcasted_normal(ctx, mu, 0.3));
}

/* B1's data at k >= 2 points: x evenly spaced on [-1, 1], x2 = x^2,
 * y = 0.5 - x + 2 x^2 + 0.3 sin(12.9898 i). */
static inline void b1_data(int k, double *x, double *x2, double *y) {
  for (int i = 0; i < k; i++) {
    x[i] = -1 + 2.0 * i / (k - 1), x2[i] = x[i] * x[i];
    y[i] = 0.5 - x[i] + 2.0 * x2[i] + 0.3 * sin(12.9898 * i);
  }
}

/* B3's proposal: a random walk N(current, 0.05) on a, b, c, reading the
 * trace it proposes from. */
static inline genc_array *b3_walk(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  const genc_trace *t = genc_rt_from(rt);
  genc_comp a = GENC_SYM("a"), b = GENC_SYM("b"), c = GENC_SYM("c");
  genc_rt_trace(rt, a, genc_normal(ctx, genc_trace_get(ctx, t, &a, 1), 0.05));
  genc_rt_trace(rt, b, genc_normal(ctx, genc_trace_get(ctx, t, &b, 1), 0.05));
  return genc_rt_trace(rt, c, genc_normal(ctx, genc_trace_get(ctx, t, &c, 1), 0.05));
}

#endif
