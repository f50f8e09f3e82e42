/* Shapes, dtypes and numerically careful building blocks of log densities. */
#include "dist/internal.h"
#include "random/internal.h"

genc_dtype genc__dist_dtype(const genc_dist *d) {
  bool f32 = false, f64 = false;
  for (int i = 0; i < d->nparams; i++) {
    const genc_array *p = d->p[i];
    if (!p || p->weak) continue;
    if (p->dtype == GENC_F32) f32 = true;
    if (p->dtype == GENC_F64) f64 = true;
  }
  return f32 && !f64 ? GENC_F32 : GENC_F64;
}

bool genc__dist_shape(genc_ctx *ctx, const genc_dist *d, int np, int *ndim, int64_t *shape) {
  if (np == 0) {
    *ndim = 0;
    return true;
  }
  return genc__broadcast_shapes(ctx, d->type->name, np, d->p, ndim, shape);
}

int64_t genc__dist_particles(genc_ctx *ctx, const genc_dist *d, int64_t n) {
  int64_t m = genc__join_particles(ctx, d->type->name, d->nparams, d->p);
  if (m < 0) return -1;
  if (n > 0 && m > 0 && m != n) {
    genc_ctx_fail(ctx, GENC_ERR_PARTICLE,
                  "%s: asked for %lld particles but the parameters have %lld", d->type->name,
                  (long long)n, (long long)m);
    return -1;
  }
  return n > 0 ? n : m;
}

genc_array *genc__draw(genc_ctx *ctx, genc_key key, const genc_dist *d, int np, int64_t n,
                       genc_law law) {
  int ndim = 0;
  int64_t shape[GENC_MAX_DIMS];
  int64_t m = genc__dist_particles(ctx, d, n);
  if (m < 0 || !genc__dist_shape(ctx, d, np, &ndim, shape)) return NULL;
  genc_dtype dt = genc__dist_dtype(d);
  switch (law) {
  case GENC_LAW_UNIFORM: return genc_random_uniform(ctx, key, dt, ndim, shape, m);
  case GENC_LAW_EXPONENTIAL: return genc_random_exponential(ctx, key, dt, ndim, shape, m);
  default: return genc_random_normal(ctx, key, dt, ndim, shape, m);
  }
}

static genc_law law_of(genc_dist_law law) {
  switch (law) {
  case GENC_DIST_LAW_UNIFORM: return GENC_LAW_UNIFORM;
  case GENC_DIST_LAW_EXPONENTIAL: return GENC_LAW_EXPONENTIAL;
  default: return GENC_LAW_NORMAL;
  }
}

genc_array *genc_dist_draw(genc_ctx *ctx, genc_key key, const genc_dist *d, int np, int64_t n,
                           genc_dist_law law) {
  if (!ctx) return NULL;
  if (!d || !d->type || np < 0 || np > d->nparams || (unsigned)law > GENC_DIST_LAW_EXPONENTIAL) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_dist_draw: NULL distribution, np %d or law %d invalid",
                  np, (int)law);
    return NULL;
  }
  return genc__draw(ctx, key, d, np, n, law_of(law));
}

double genc_dist_draw_scalar(genc_key key, genc_dist_law law) {
  return genc__sample_scalar(key, law_of(law));
}

genc_array *genc_dist_sum_event(genc_ctx *ctx, genc_array *lp, int event_ndim) {
  if (!lp) return NULL; /* the failure that made it NULL is already reported */
  /* a 0-d term is already the per-particle log density: skip a pass */
  if (lp->ndim == 0 || event_ndim == 0) return lp;
  if (event_ndim < 0 || event_ndim == lp->ndim) return genc_sum_all(ctx, lp);
  if (event_ndim > lp->ndim) {
    char b[96];
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "genc_dist_sum_event: %d event axes but the terms are %s",
                  event_ndim, genc__shape_str(lp, b, sizeof b));
    return NULL;
  }
  int axes[GENC_MAX_DIMS];
  for (int i = 0; i < event_ndim; i++)
    axes[i] = -1 - i;
  return genc_sum(ctx, lp, event_ndim, axes, false);
}

genc_array *genc_dist_sum_support(genc_ctx *ctx, genc_array *term, genc_array *ok) {
  return genc_dist_sum_event(ctx, genc_where(ctx, ok, term, -INFINITY), -1);
}

genc_array *genc__as_float(genc_ctx *ctx, genc_array *x) {
  if (!x || genc__is_float((genc_dtype)x->dtype)) return x;
  return genc_astype(ctx, x, GENC_F64);
}

genc_array *genc__is_int(genc_ctx *ctx, genc_array *x) {
  if (x && !genc__is_float((genc_dtype)x->dtype)) return genc_eq(ctx, x, x);
  return genc_logical_and(ctx, genc_isfinite(ctx, x), genc_eq(ctx, genc_floor(ctx, x), x));
}

/* a * log of a safe stand-in where a == 0 (0 * log 1 = 0): the value is
 * right and no 0 * inf enters the gradient */
genc_array *genc__xlogy(genc_ctx *ctx, genc_array *a, genc_array *x) {
  return genc_mul(ctx, a, genc_log(ctx, genc_where(ctx, genc_eq(ctx, a, 0.0), 1.0, x)));
}

genc_array *genc__xlog1py(genc_ctx *ctx, genc_array *a, genc_array *x) {
  return genc_mul(ctx, a, genc_log1p(ctx, genc_where(ctx, genc_eq(ctx, a, 0.0), 0.0, x)));
}

genc_array *genc__lbeta(genc_ctx *ctx, genc_array *a, genc_array *b) {
  return genc_sub(ctx, genc_add(ctx, genc_lgamma(ctx, a), genc_lgamma(ctx, b)),
                  genc_lgamma(ctx, genc_add(ctx, a, b)));
}

genc_array *genc__stirlerr(genc_ctx *ctx, genc_array *k) {
  /* series in 1/k above 15 (error below 1e-16 there); the direct formula below
   * cancels only mildly (its terms are < 50) */
  genc_array *ks = genc_maximum(ctx, k, 15.0), *kk = genc_square(ctx, ks);
  genc_array *s = genc_sub(ctx, 1.0 / 1680, genc_div(ctx, 1.0 / 1188, kk));
  s = genc_sub(ctx, 1.0 / 1260, genc_div(ctx, s, kk));
  s = genc_sub(ctx, 1.0 / 360, genc_div(ctx, s, kk));
  s = genc_div(ctx, genc_sub(ctx, 1.0 / 12, genc_div(ctx, s, kk)), ks);
  genc_array *kl = genc_minimum(ctx, genc_maximum(ctx, k, 1.0), 15.0);
  genc_array *dir = genc_sub(ctx, genc_lgamma(ctx, genc_add(ctx, kl, 1.0)),
                             genc_mul(ctx, genc_add(ctx, kl, 0.5), genc_log(ctx, kl)));
  dir = genc_sub(ctx, genc_add(ctx, dir, kl), 0.5 * GENC_LOG_2PI);
  return genc_where(ctx, genc_gt(ctx, k, 15.0), s, dir);
}

genc_array *genc__bd0(genc_ctx *ctx, genc_array *k, genc_array *m) {
  /* m * phi(t), phi(t) = (1 + t) log1p(t) - t, t = (k - m) / m: absolute error
   * about eps * (|k - m| + k |log(k / m)|), far below the terms it replaces */
  genc_array *t = genc_div(ctx, genc_sub(ctx, k, m), m);
  genc_array *phi = genc_sub(ctx, genc_mul(ctx, genc_add(ctx, t, 1.0), genc_log1p(ctx, t)), t);
  return genc_mul(ctx, m, phi);
}

genc_array *genc__diag(genc_ctx *ctx, genc_array *m) {
  if (!m) return NULL;
  int64_t k = m->ndim ? m->shape[m->ndim - 1] : 1;
  genc_array *eye = genc_array_eye(ctx, (genc_dtype)m->dtype, k);
  int ax = -1;
  return genc_sum(ctx, genc_mul(ctx, m, eye), 1, &ax, false);
}

genc_array *genc__lmvgamma(genc_ctx *ctx, genc_array *a, int64_t k) {
  genc_array *s = genc_scalar_weak(ctx, 0.25 * (double)(k * (k - 1)) * GENC_LOG_PI);
  for (int64_t j = 1; j <= k; j++)
    s = genc_add(ctx, s, genc_lgamma(ctx, genc_add(ctx, a, 0.5 * (double)(1 - j))));
  return s;
}

genc_array *genc__wrap_angle(genc_ctx *ctx, genc_array *y) {
  genc_array *k = genc_floor(ctx, genc_div(ctx, genc_add(ctx, y, M_PI), 2 * M_PI));
  genc_array *w = genc_sub(ctx, y, genc_mul(ctx, k, 2 * M_PI));
  /* rounding can leave w a hair outside [-pi, pi) */
  w = genc_where(ctx, genc_lt(ctx, w, -M_PI), genc_add(ctx, w, 2 * M_PI), w);
  return genc_where(ctx, genc_ge(ctx, w, M_PI), genc_sub(ctx, w, 2 * M_PI), w);
}

genc_array *genc__in_circle(genc_ctx *ctx, genc_array *x) {
  /* "not outside", so that a NaN passes (the NaN rule) */
  return genc_logical_not(ctx, genc_logical_or(ctx, genc_lt(ctx, x, -M_PI), genc_ge(ctx, x, M_PI)));
}

genc_array *genc__logaddexp(genc_ctx *ctx, genc_array *a, genc_array *b) {
  genc_array *m = genc_maximum(ctx, a, b);
  genc_array *inf = genc_eq(ctx, m, -INFINITY);
  genc_array *ms = genc_where(ctx, inf, 0.0, m);
  genc_array *d = genc_neg(ctx, genc_abs(ctx, genc_sub(ctx, genc_where(ctx, inf, 0.0, a),
                                                       genc_where(ctx, inf, 0.0, b))));
  genc_array *r = genc_add(ctx, ms, genc_log1p(ctx, genc_exp(ctx, d)));
  return genc_where(ctx, inf, -INFINITY, r);
}

genc_array *genc__gamma_draw(genc_ctx *ctx, genc_key key, genc_array *alpha, int ndim,
                             const int64_t *shape, int64_t m, genc_dtype dt, bool lg) {
  genc_array *a = genc_broadcast_to(ctx, genc__as_float(ctx, alpha), ndim, shape);
  int64_t n = a && a->n ? 0 : m;
  genc_array *g = !a   ? NULL
                  : lg ? genc_random_log_gamma(ctx, key, a, n)
                       : genc_random_gamma(ctx, key, a, n);
  return g && g->dtype != dt ? genc_astype(ctx, g, dt) : g;
}
