/* Uniform(lo, hi) on the closed interval [lo, hi]. */
#include "dist/internal.h"
#include "random/internal.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  genc_status st = genc__check_param(ctx, d, 0, GENC__REAL);
  if (!st) st = genc__check_param(ctx, d, 1, GENC__REAL);
  if (!st)
    st = genc__check_true(ctx, d, genc_lt(ctx, d->p[0], d->p[1]), "parameter lo must be < hi");
  return st;
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  x = genc__as_float(ctx, x);
  genc_array *ok = genc_logical_and(ctx, genc_ge(ctx, x, d->p[0]), genc_le(ctx, x, d->p[1]));
  genc_array *t = genc_neg(ctx, genc_log(ctx, genc_sub(ctx, d->p[1], d->p[0])));
  return genc__finish(ctx, t, ok);
}

static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *u = genc__draw(ctx, key, d, 2, n, GENC_LAW_UNIFORM);
  return genc_add(ctx, d->p[0], genc_mul(ctx, genc_sub(ctx, d->p[1], d->p[0]), u));
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
  *v = p[0] + (p[1] - p[0]) * genc__sample_scalar(key, GENC_LAW_UNIFORM);
  return true;
}

static double logpdf_scalar(const double *p, double x) {
  return x >= p[0] && x <= p[1] ? -log(p[1] - p[0]) : -INFINITY;
}

static const genc_dist_type uniform_type = {.name = "uniform",
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
