/*
 * Wrapped normal(mu, sigma) on the support [-pi, pi). With r = x - mu wrapped
 * into [-pi, pi), the density is
 *   sum_k N(r + 2 pi k; 0, sigma)                                 (sigma < 1.5)
 *   (1 + 2 sum_{n >= 1} exp(-n^2 sigma^2 / 2) cos(n r)) / (2 pi)  (sigma >= 1.5)
 * (the second is the Fourier / Jacobi theta form of the first). Truncation:
 * the first omitted wrapping term (|k| = 3) is below exp(-24 pi^2 / (2 1.5^2))
 * = 1e-23 of the k = 0 term, and the first omitted Fourier term (n = 7) below
 * exp(-49 1.5^2 / 2) = 1e-24, against a sum >= 0.37: double precision at
 * every sigma.
 */
#include "dist/internal.h"

#define SWITCH 1.5
#define NWRAP 2
#define NFOURIER 6

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  genc_status st = genc_dist_check_param(ctx, d, 0, GENC_PARAM_REAL);
  return st ? st : genc_dist_check_param(ctx, d, 1, GENC_PARAM_POSITIVE);
}

/* log N(r; 0, s) + log1p(sum_{k != 0} exp(-2 pi k (r + pi k) / s^2)): the k = 0
 * term is the largest for |r| <= pi, so the exponents are <= 0 */
static genc_array *wrap_sum(genc_ctx *ctx, genc_array *r, genc_array *s) {
  genc_array *s2 = genc_square(ctx, s), *acc = genc_scalar_weak(ctx, 0.0);
  for (int k = -NWRAP; k <= NWRAP; k++) {
    if (!k) continue;
    genc_array *e = genc_mul(ctx, genc_add(ctx, r, M_PI * k), -2.0 * M_PI * k);
    acc = genc_add(ctx, acc, genc_exp(ctx, genc_div(ctx, e, s2)));
  }
  genc_array *lp0 = genc__normal_terms(ctx, r, genc_scalar_weak(ctx, 0.0), s);
  return genc_add(ctx, lp0, genc_log1p(ctx, acc));
}

/* -log(2 pi) + log1p(2 sum_n exp(-n^2 s^2 / 2) cos(n r)) */
static genc_array *fourier(genc_ctx *ctx, genc_array *r, genc_array *s) {
  genc_array *h = genc_mul(ctx, genc_square(ctx, s), -0.5), *acc = genc_scalar_weak(ctx, 0.0);
  for (int n = 1; n <= NFOURIER; n++) {
    genc_array *w = genc_exp(ctx, genc_mul(ctx, h, (double)(n * n)));
    acc = genc_add(ctx, acc, genc_mul(ctx, w, genc_cos(ctx, genc_mul(ctx, r, (double)n))));
  }
  return genc_sub(ctx, genc_log1p(ctx, genc_mul(ctx, acc, 2.0)), GENC_LOG_2PI);
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  x = genc__as_float(ctx, x);
  genc_array *s = d->p[1];
  genc_array *r = genc__wrap_angle(ctx, genc_sub(ctx, x, d->p[0]));
  /* each branch sees sigma clamped into its own range, so the one not taken
   * stays finite (no NaN in the gradient through where) */
  genc_array *lw = wrap_sum(ctx, r, genc_minimum(ctx, s, SWITCH));
  genc_array *lf = fourier(ctx, r, genc_maximum(ctx, s, SWITCH));
  genc_array *t = genc_where(ctx, genc_lt(ctx, s, SWITCH), lw, lf);
  return genc_dist_sum_support(ctx, t, genc__in_circle(ctx, x));
}

static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *z = genc_dist_draw(ctx, key, d, 2, n, GENC_DIST_LAW_NORMAL);
  return genc__wrap_angle(ctx, genc_add(ctx, d->p[0], genc_mul(ctx, d->p[1], z)));
}

static const genc_dist_type wrapped_normal_type = {.name = "wrapped_normal",
                                                   .support = {GENC_SUPPORT_CIRCLE},
                                                   .nparams = 2,
                                                   .param_names = {"mu", "sigma"},
                                                   .check = check,
                                                   .sample = rsample,
                                                   .logpdf = logpdf,
                                                   .rsample = rsample};

genc_dist(genc_wrapped_normal)(genc_ctx *ctx, genc_array *mu, genc_array *sigma) {
  (void)ctx;
  return genc__dist(&wrapped_normal_type, mu, sigma, NULL, NULL);
}
