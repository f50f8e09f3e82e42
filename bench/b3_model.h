/*
 * B3 poly-MH (shared/BENCHMARKS.md) as genc code, shared by bench_b3 and
 * bench_b3_compiled: the B1 data, the model, the random-walk proposal reading
 * the current trace, and the objects one run needs. Include genc.h first.
 */
#ifndef GENC_BENCH_B3_MODEL_H
#define GENC_BENCH_B3_MODEL_H

#define K 100
static double X[K], X2[K], Y[K];
static const double SIGMA = 0.3, STEP = 0.05;

/* ---- genc: model and random-walk proposal ---- */
static genc_array *b1(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *a = GENC_TRACE(rt, "a", genc_normal(ctx, 0.0, 1.0));
  genc_array *b = GENC_TRACE(rt, "b", genc_normal(ctx, 0.0, 1.0));
  genc_array *c = GENC_TRACE(rt, "c", genc_normal(ctx, 0.0, 1.0));
  genc_array *mu =
      genc_add(ctx, genc_add(ctx, a, genc_mul(ctx, b, args[0])), genc_mul(ctx, c, args[1]));
  return GENC_TRACE(rt, "y", genc_broadcasted_normal(ctx, mu, SIGMA));
}

static genc_array *walk(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  const genc_trace *t = genc_rt_from(rt);
  genc_comp a = GENC_SYM("a"), b = GENC_SYM("b"), c = GENC_SYM("c");
  genc_rt_trace(rt, a, genc_normal(ctx, genc_trace_get(ctx, t, &a, 1), STEP));
  genc_rt_trace(rt, b, genc_normal(ctx, genc_trace_get(ctx, t, &b, 1), STEP));
  return genc_rt_trace(rt, c, genc_normal(ctx, genc_trace_get(ctx, t, &c, 1), STEP));
}

typedef struct genc_b3 {
  genc_ctx *ctx;
  genc_gf *model;
  genc_kernel *kernel;
  genc_array *args[2];
  genc_choicemap *obs; /* y and the start a = b = c = 0 */
} genc_b3;

#endif
