/* Models shared by the GFI tests (scalar, vector sites, spliced, three-level
 * nested splice, data-dependent branching). */
#ifndef GENC_TEST_GFI_MODELS_H
#define GENC_TEST_GFI_MODELS_H

#include "testutil.h"

/* x ~ N(0, 1); y ~ N(x, 0.5); returns x */
static inline genc_array *m_scalar(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, 0.0, 1.0));
  GENC_TRACE(rt, "y", genc_normal(ctx, x, 0.5));
  return x;
}

/* args[0] = xs [K]: slope, b ~ N(0, 2); y ~ broadcasted N(slope xs + b, 1) (one vector site);
 * z ~ N(0, 1) a vector site of shape [2] via broadcasting */
static inline genc_array *m_vector(genc_rt *rt, genc_array *const *args, void *u) {
  (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *slope = GENC_TRACE(rt, "slope", genc_normal(ctx, 0.0, 2.0));
  genc_array *b = GENC_TRACE(rt, "b", genc_normal(ctx, 0.0, 2.0));
  genc_array *mu = genc_add(ctx, genc_mul(ctx, slope, args[0]), b);
  genc_array *y = GENC_TRACE(rt, "y", genc_broadcasted_normal(ctx, mu, 1.0));
  int64_t two = 2;
  GENC_TRACE(rt, "z",
             genc_broadcasted_normal(ctx, genc_array_zeros(ctx, GENC_F64, 1, &two, 0), 1.0));
  return y;
}

/* args[0] = xs [K]: slope, b ~ N(0, 10); y_i ~ N(slope x_i + b, 1) at index addresses i */
static inline genc_array *m_linreg(genc_rt *rt, genc_array *const *args, void *u) {
  (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *slope = GENC_TRACE(rt, "slope", genc_normal(ctx, 0.0, 10.0));
  genc_array *b = GENC_TRACE(rt, "b", genc_normal(ctx, 0.0, 10.0));
  int64_t k = genc_array_dim(args[0], 0);
  for (int64_t i = 0; i < k; i++) {
    genc_array *xi = genc_slice(ctx, args[0], 0, i, i + 1, 1);
    genc_array *mu = genc_add(ctx, genc_mul(ctx, slope, genc_squeeze(ctx, xi, 0)), b);
    genc_rt_trace(rt, genc_idx(i), genc_normal(ctx, mu, 1.0));
  }
  return slope;
}

/* inner(m): v ~ N(m, 1); w ~ N(v, 1) */
static inline genc_array *m_inner(genc_rt *rt, genc_array *const *args, void *u) {
  (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *v = GENC_TRACE(rt, "v", genc_normal(ctx, args[0], 1.0));
  GENC_TRACE(rt, "w", genc_normal(ctx, v, 1.0));
  return v;
}

/* spliced: a ~ N(0, 1); sub = inner(a) at "sub"; c ~ N(sub, 2); user = the inner gf */
static inline genc_array *m_spliced(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *a = GENC_TRACE(rt, "a", genc_normal(ctx, 0.0, 1.0));
  genc_array *s = genc_rt_splice(rt, GENC_SYM("sub"), (genc_gf *)u, &a);
  GENC_TRACE(rt, "c", genc_normal(ctx, s, 2.0));
  return s;
}

/* mid(m): q ~ N(m, 1); r = spliced-level inner(q) at "leaf" (user = inner) */
static inline genc_array *m_mid(genc_rt *rt, genc_array *const *args, void *u) {
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *q = GENC_TRACE(rt, "q", genc_normal(ctx, args[0], 1.0));
  return genc_rt_splice(rt, GENC_SYM("leaf"), (genc_gf *)u, &q);
}

/* top: t ~ N(0, 1); mid(t) at "mid" (user = mid gf) which splices inner at "leaf";
 * o ~ N(mid, 1) */
static inline genc_array *m_top(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *t = GENC_TRACE(rt, "t", genc_normal(ctx, 0.0, 1.0));
  genc_array *m = genc_rt_splice(rt, GENC_SYM("mid"), (genc_gf *)u, &t);
  GENC_TRACE(rt, "o", genc_normal(ctx, m, 1.0));
  return m;
}

/* branching (single-trace only): c ~ Bernoulli(0.5); c ? x ~ N(0, 1) : g ~ Gamma(2, 1) */
static inline genc_array *m_branch(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *c = GENC_TRACE(rt, "c", genc_bernoulli(ctx, 0.5));
  double cv = 0;
  if (genc_array_item(ctx, c, &cv)) return NULL;
  if (cv != 0) return GENC_TRACE(rt, "x", genc_normal(ctx, 0.0, 1.0));
  return GENC_TRACE(rt, "g", genc_gamma(ctx, 2.0, 1.0));
}

#endif
