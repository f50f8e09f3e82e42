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

#endif
