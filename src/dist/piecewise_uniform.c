/* Piecewise uniform: bin [bounds[i], bounds[i+1]) has mass probs[i] / sum(probs). */
#include "dist/edges.h"

static genc_array *lo_of(genc_ctx *ctx, genc_array *b) {
  return genc_slice(ctx, b, -1, 0, b->shape[b->ndim - 1] - 1, 1);
}
static genc_array *hi_of(genc_ctx *ctx, genc_array *b) {
  return genc_slice(ctx, b, -1, 1, b->shape[b->ndim - 1], 1);
}

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  genc_array *b = d->p[0], *p = d->p[1];
  if (b->ndim != 1 || p->ndim != 1 || b->shape[0] != p->shape[0] + 1 || p->shape[0] < 1) {
    char x[96], y[96];
    return genc_ctx_fail(ctx, GENC_ERR_SHAPE,
                         "piecewise_uniform: parameter bounds %s must be 1-d with one more "
                         "entry than probs %s",
                         genc__shape_str(b, x, sizeof x), genc__shape_str(p, y, sizeof y));
  }
  genc_status st = genc__check_param(ctx, d, 0, GENC__REAL);
  if (!st) st = genc__check_param(ctx, d, 1, GENC__NONNEG);
  if (!st)
    st = genc__check_true(ctx, d, genc_lt(ctx, lo_of(ctx, b), hi_of(ctx, b)),
                          "parameter bounds must be strictly increasing");
  if (!st)
    st = genc__check_true(ctx, d, genc_gt(ctx, genc_sum_all(ctx, p), 0.0),
                          "parameter probs must not be all zero");
  return st;
}

/* log density of each bin: log(p_i / sum p) - log(width_i) */
static genc_array *bin_logd(genc_ctx *ctx, const genc_dist *d) {
  genc_array *b = d->p[0], *p = d->p[1];
  int ax = -1;
  genc_array *lp = genc_sub(ctx, genc_log(ctx, p), genc_log(ctx, genc_sum(ctx, p, 1, &ax, true)));
  return genc_sub(ctx, lp, genc_log(ctx, genc_sub(ctx, hi_of(ctx, b), lo_of(ctx, b))));
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  genc_array *b = d->p[0];
  int64_t k = b->shape[0] - 1;
  int ax = -1;
  genc_array *xe = genc_expand_dims(ctx, genc__as_float(ctx, x), -1);
  genc_array *lo = lo_of(ctx, b), *hi = hi_of(ctx, b);
  /* bins are half open, except that the last one holds its upper bound */
  genc_array *last =
      genc_eq(ctx, genc_array_arange(ctx, GENC_I32, 0, (double)k, 1), (double)(k - 1));
  genc_array *below =
      genc_logical_or(ctx, genc_lt(ctx, xe, hi), genc_logical_and(ctx, last, genc_eq(ctx, xe, hi)));
  genc_array *in = genc_logical_and(ctx, genc_ge(ctx, xe, lo), below);
  genc_array *t = genc_sum(ctx, genc_where(ctx, in, bin_logd(ctx, d), 0.0), 1, &ax, false);
  genc_array *ok = genc_gt(ctx, genc_max(ctx, genc_astype(ctx, in, GENC_F64), 1, &ax, false), 0.0);
  return genc__finish_nan(ctx, t, ok, x);
}

/* a bin by categorical draw, then a uniform point in it */
static genc_array *sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *b = d->p[0], *p = d->p[1];
  int64_t k = b->shape[0] - 1, m = genc__dist_particles(ctx, d, n);
  if (m < 0) return NULL;
  int ax = -1;
  genc_array *lp = genc_log(ctx, p);
  genc_array *c = genc_random_categorical(ctx, genc_key_fold_in(key, 1), lp, lp && lp->n ? 0 : m);
  genc_array *u = genc__draw(ctx, genc_key_fold_in(key, 2), d, 0, n, GENC_LAW_UNIFORM);
  genc_array *mask =
      genc_eq(ctx, genc_expand_dims(ctx, c, -1), genc_array_arange(ctx, GENC_I32, 0, (double)k, 1));
  genc_array *lo = genc_sum(ctx, genc_where(ctx, mask, lo_of(ctx, b), 0.0), 1, &ax, false);
  genc_array *hi = genc_sum(ctx, genc_where(ctx, mask, hi_of(ctx, b), 0.0), 1, &ax, false);
  genc_array *x = genc_add(ctx, lo, genc_mul(ctx, u, genc_sub(ctx, hi, lo)));
  return genc_minimum(ctx, x, hi);
}

static const genc_dist_type pu_type = {.name = "piecewise_uniform",
                                       .support = {GENC_SUPPORT_OTHER},
                                       .nparams = 2,
                                       .param_names = {"bounds", "probs"},
                                       .check = check,
                                       .sample = sample,
                                       .logpdf = logpdf};

genc_dist(genc_piecewise_uniform)(genc_ctx *ctx, genc_array *bounds, genc_array *probs) {
  (void)ctx;
  return genc__dist(&pu_type, bounds, probs, NULL, NULL);
}
