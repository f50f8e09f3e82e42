/* Uniform(lo, hi) on the closed interval [lo, hi]. */
#include "dist/edges.h"
#include "random/internal.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  genc_status st = genc__check_param(ctx, d, 0, GENC__REAL);
  if (!st) st = genc__check_param(ctx, d, 1, GENC__REAL);
  if (!st)
    st = genc__check_true(ctx, d, genc_lt(ctx, d->p[0], d->p[1]), "parameter lo must be < hi");
  return st;
}

/* log(hi - lo), also where hi - lo overflows (lo = -1e308, hi = 1e308): then
 * log(hi / 2 - lo / 2) + log 2 (halving is exact there) */
static genc_array *log_width(genc_ctx *ctx, genc_array *lo, genc_array *hi) {
  genc_array *w = genc_sub(ctx, hi, lo);
  genc_array *half = genc_sub(ctx, genc_mul(ctx, hi, 0.5), genc_mul(ctx, lo, 0.5));
  genc_array *big = genc_eq(ctx, w, INFINITY);
  return genc_where(ctx, big, genc_add(ctx, genc_log(ctx, half), M_LN2),
                    genc_log(ctx, genc_where(ctx, big, 1.0, w)));
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  x = genc__as_float(ctx, x);
  genc_array *ok = genc_logical_and(ctx, genc_ge(ctx, x, d->p[0]), genc_le(ctx, x, d->p[1]));
  genc_array *t = genc_neg(ctx, log_width(ctx, d->p[0], d->p[1]));
  return genc__finish_nan(ctx, t, ok, x);
}

/* lo (1 - u) + hi u, which does not overflow where hi - lo does, clamped to
 * [lo, hi] against rounding */
static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *u = genc__draw(ctx, key, d, 2, n, GENC_LAW_UNIFORM), *lo = d->p[0], *hi = d->p[1];
  genc_array *x = genc_add(ctx, genc_mul(ctx, lo, genc_sub(ctx, 1.0, u)), genc_mul(ctx, hi, u));
  return genc_minimum(ctx, genc_maximum(ctx, x, lo), hi);
}

/* ---- scalar fast path: the operations of logpdf and rsample, in their order ---- */

static genc_status check_scalar(genc_ctx *ctx, const genc_dist *d, const double *p) {
  genc_status st = genc__check_value(ctx, d, 0, p[0], GENC__REAL);
  if (!st) st = genc__check_value(ctx, d, 1, p[1], GENC__REAL);
  if (!st && !(p[0] < p[1]))
    st = genc_ctx_fail(ctx, GENC_ERR_DOMAIN, "%s: parameter lo must be < hi", d->type->name);
  return st;
}

static bool sample_scalar(genc_key key, const double *p, double *v) {
  double u = genc__sample_scalar(key, GENC_LAW_UNIFORM);
  *v = fmin(fmax(p[0] * (1.0 - u) + p[1] * u, p[0]), p[1]);
  return true;
}

static double logpdf_scalar(const double *p, double x) {
  if (x != x) return x; /* the NaN rule */
  if (!(x >= p[0] && x <= p[1])) return -INFINITY;
  double w = p[1] - p[0];
  return -(w == INFINITY ? log(p[1] * 0.5 - p[0] * 0.5) + M_LN2 : log(w));
}

static const genc_dist_type uniform_type = {.name = "uniform",
                                            .support = {GENC_SUPPORT_INTERVAL, 0, 1},
                                            .nparams = 2,
                                            .param_names = {"lo", "hi"},
                                            .check = check,
                                            .sample = rsample,
                                            .logpdf = logpdf,
                                            .rsample = rsample,
                                            .check_scalar = check_scalar,
                                            .sample_scalar = sample_scalar,
                                            .logpdf_scalar = logpdf_scalar,
                                            .scalar_dtype = GENC_F64};

genc_dist(genc_uniform)(genc_ctx *ctx, genc_array *lo, genc_array *hi) {
  (void)ctx;
  return genc__dist(&uniform_type, lo, hi, NULL, NULL);
}
