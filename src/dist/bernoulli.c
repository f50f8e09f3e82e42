/* Bernoulli(p): values are bool (numbers 0 and 1 are scored too). */
#include "dist/edges.h"
#include "random/internal.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  return genc__check_param(ctx, d, 0, GENC__PROB);
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  genc_array *p = d->p[0], *xf = genc__as_float(ctx, x);
  genc_array *one = genc_eq(ctx, xf, 1.0);
  genc_array *ok = genc_logical_or(ctx, one, genc_eq(ctx, xf, 0.0));
  genc_array *t = genc_where(ctx, one, genc_log(ctx, p), genc_log1p(ctx, genc_neg(ctx, p)));
  return genc__finish_nan(ctx, t, ok, xf);
}

static genc_array *sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  int64_t m = genc__dist_particles(ctx, d, n);
  genc_array *p = d->p[0];
  return m < 0 ? NULL : genc_random_bernoulli(ctx, key, p, p->n ? 0 : m);
}

/* ---- scalar fast path: genc_random_bernoulli and logpdf on host doubles ---- */

static genc_status check_scalar(genc_ctx *ctx, const genc_dist *d, const double *p) {
  return genc__check_value(ctx, d, 0, p[0], GENC__PROB);
}

static bool sample_scalar(genc_key key, const double *p, double *v) {
  *v = genc__sample_scalar(key, GENC_LAW_UNIFORM) < p[0] ? 1.0 : 0.0;
  return true;
}

static double logpdf_scalar(const double *p, double x) {
  bool one = x == 1.0;
  if (!one && x != 0.0) return x != x ? x : -INFINITY; /* NaN scores NaN */
  return one ? log(p[0]) : log1p(-p[0]);
}

static const genc_dist_type bernoulli_type = {.name = "bernoulli",
                                              .support = {GENC_SUPPORT_DISCRETE},
                                              .nparams = 1,
                                              .param_names = {"p"},
                                              .discrete = true,
                                              .check = check,
                                              .sample = sample,
                                              .logpdf = logpdf,
                                              .check_scalar = check_scalar,
                                              .sample_scalar = sample_scalar,
                                              .logpdf_scalar = logpdf_scalar,
                                              .scalar_dtype = GENC_BOOL};

genc_dist(genc_bernoulli)(genc_ctx *ctx, genc_array *p) {
  (void)ctx;
  return genc__dist(&bernoulli_type, p, NULL, NULL, NULL);
}
