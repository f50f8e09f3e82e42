/* Exponential(rate). */
#include "dist/internal.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  return genc__check_param(ctx, d, 0, GENC__POS);
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  x = genc__as_float(ctx, x);
  genc_array *r = d->p[0];
  genc_array *t = genc_sub(ctx, genc_log(ctx, r), genc_mul(ctx, r, x));
  return genc__finish(ctx, t, genc_ge(ctx, x, 0.0));
}

static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *e = genc__draw(ctx, key, d, 1, n, GENC_LAW_EXPONENTIAL);
  return genc_div(ctx, e, d->p[0]);
}

static const genc_dist_type exponential_type = {"exponential", 1,       {"rate"}, false,
                                                check,         rsample, logpdf,   rsample};

genc_dist(genc_exponential)(genc_ctx *ctx, genc_array *rate) {
  (void)ctx;
  return genc__dist(&exponential_type, rate, NULL, NULL, NULL);
}
