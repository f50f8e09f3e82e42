/* Laplace(loc, scale). */
#include "dist/internal.h"
#include "random/internal.h"

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

/* ---- scalar fast path: the operations of logpdf and rsample, in their order ---- */

static bool sample_scalar(genc_key key, const double *p, double *v) {
  double e1 = genc__sample_scalar(genc_key_fold_in(key, 1), GENC_LAW_EXPONENTIAL);
  double e2 = genc__sample_scalar(genc_key_fold_in(key, 2), GENC_LAW_EXPONENTIAL);
  *v = p[0] + p[1] * (e1 - e2);
  return true;
}

static double logpdf_scalar(const double *p, double x) {
  double z = fabs(x - p[0]) / p[1];
  return -(z + log(p[1] * 2.0));
}

/* check_shapes: a scale of 0 gives inf - inf (or 0 / 0), a negative or NaN one
 * log NaN, +inf -inf; an infinite or NaN loc an infinite or NaN z: the score
 * is never finite with bad parameters, so under a capture a finite score stands
 * in for genc__check_loc_scale. */
static const genc_dist_type laplace_type = {.name = "laplace",
                                            .support = {GENC_SUPPORT_REAL},
                                            .nparams = 2,
                                            .param_names = {"loc", "scale"},
                                            .check = genc__check_loc_scale,
                                            .sample = rsample,
                                            .logpdf = logpdf,
                                            .rsample = rsample,
                                            .check_scalar = genc__check_loc_scale_scalar,
                                            .sample_scalar = sample_scalar,
                                            .logpdf_scalar = logpdf_scalar,
                                            .scalar_dtype = GENC_F64,
                                            .check_shapes = genc__check_no_shapes};

genc_dist(genc_laplace)(genc_ctx *ctx, genc_array *loc, genc_array *scale) {
  (void)ctx;
  return genc__dist(&laplace_type, loc, scale, NULL, NULL);
}
