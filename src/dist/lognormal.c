/* Log-normal: log x ~ Normal(mu, sigma). */
#include "dist/internal.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  genc_status st = genc__check_param(ctx, d, 0, GENC__REAL);
  return st ? st : genc__check_param(ctx, d, 1, GENC__POS);
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  x = genc__as_float(ctx, x);
  genc_array *ok = genc_gt(ctx, x, 0.0), *xs = genc_where(ctx, ok, x, 1.0);
  genc_array *lx = genc_log(ctx, xs);
  genc_array *t = genc_sub(ctx, genc__normal_terms(ctx, lx, d->p[0], d->p[1]), lx);
  return genc__finish(ctx, t, ok);
}

static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *z = genc__draw(ctx, key, d, 2, n, GENC_LAW_NORMAL);
  return genc_exp(ctx, genc_add(ctx, d->p[0], genc_mul(ctx, d->p[1], z)));
}

static const genc_dist_type lognormal_type = {"lognormal", 2,       {"mu", "sigma"}, false,
                                              check,       rsample, logpdf,          rsample};

genc_dist(genc_lognormal)(genc_ctx *ctx, genc_array *mu, genc_array *sigma) {
  (void)ctx;
  return genc__dist(&lognormal_type, mu, sigma, NULL, NULL);
}
