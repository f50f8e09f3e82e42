/* Negative binomial(r, p): pmf C(k + r - 1, k) p^r (1 - p)^k; values are i32. */
#include "dist/edges.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  genc_status st = genc__check_param(ctx, d, 0, GENC__POS);
  return st ? st : genc__check_param(ctx, d, 1, GENC__PROB_POS);
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  genc_array *k = genc__as_float(ctx, x), *r = d->p[0], *p = d->p[1];
  genc_array *ok = genc_logical_and(ctx, genc_ge(ctx, k, 0.0), genc__is_int(ctx, k));
  genc_array *ks = genc_where(ctx, ok, k, 0.0);
  genc_array *t =
      genc_sub(ctx, genc_lgamma(ctx, genc_add(ctx, ks, r)),
               genc_add(ctx, genc_lgamma(ctx, genc_add(ctx, ks, 1.0)), genc_lgamma(ctx, r)));
  t = genc_add(ctx, t, genc_mul(ctx, r, genc_log(ctx, p)));
  t = genc_add(ctx, t, genc__xlog1py(ctx, ks, genc_neg(ctx, p)));
  return genc__finish_nan(ctx, t, ok, k);
}

/* gamma-Poisson: rate ~ Gamma(r) (1 - p) / p, then Poisson(rate) */
static genc_array *sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  int ndim;
  int64_t shape[GENC_MAX_DIMS], m = genc__dist_particles(ctx, d, n);
  if (m < 0 || !genc__dist_shape(ctx, d, 2, &ndim, shape)) return NULL;
  genc_array *p = d->p[1];
  genc_array *g =
      genc__gamma_draw(ctx, genc_key_fold_in(key, 1), d->p[0], ndim, shape, m, GENC_F64, false);
  genc_array *rate = genc_mul(ctx, g, genc_div(ctx, genc_sub(ctx, 1.0, p), p));
  return genc_random_poisson(ctx, genc_key_fold_in(key, 2), rate, 0);
}

static const genc_dist_type nb_type = {.name = "neg_binomial",
                                       .support = {GENC_SUPPORT_DISCRETE},
                                       .nparams = 2,
                                       .param_names = {"r", "p"},
                                       .discrete = true,
                                       .check = check,
                                       .sample = sample,
                                       .logpdf = logpdf};

genc_dist(genc_neg_binomial)(genc_ctx *ctx, genc_array *r, genc_array *p) {
  (void)ctx;
  return genc__dist(&nb_type, r, p, NULL, NULL);
}
