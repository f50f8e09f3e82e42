/* Laplace(loc, scale). */
#include "dist/internal.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  genc_status st = genc__check_param(ctx, d, 0, GENC__REAL);
  return st ? st : genc__check_param(ctx, d, 1, GENC__POS);
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  genc_array *b = d->p[1];
  genc_array *z = genc_div(ctx, genc_abs(ctx, genc_sub(ctx, genc__as_float(ctx, x), d->p[0])), b);
  genc_array *t = genc_neg(ctx, genc_add(ctx, z, genc_log(ctx, genc_mul(ctx, b, 2.0))));
  return genc__sum_event(ctx, t);
}

/* loc + scale * (E1 - E2): the difference of two exponentials is Laplace, and
 * unlike the inverse CDF it never produces an infinite draw */
static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *e1 = genc__draw(ctx, genc_key_fold_in(key, 1), d, 2, n, GENC_LAW_EXPONENTIAL);
  genc_array *e2 = genc__draw(ctx, genc_key_fold_in(key, 2), d, 2, n, GENC_LAW_EXPONENTIAL);
  return genc_add(ctx, d->p[0], genc_mul(ctx, d->p[1], genc_sub(ctx, e1, e2)));
}

static const genc_dist_type laplace_type = {"laplace", 2,       {"loc", "scale"}, false,
                                            check,     rsample, logpdf,           rsample};

genc_dist(genc_laplace)(genc_ctx *ctx, genc_array *loc, genc_array *scale) {
  (void)ctx;
  return genc__dist(&laplace_type, loc, scale, NULL, NULL);
}
