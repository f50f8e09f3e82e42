/* Student's t(df, loc, scale). */
#include "dist/internal.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  genc_status st = genc__check_param(ctx, d, 0, GENC__POS);
  if (!st) st = genc__check_param(ctx, d, 1, GENC__REAL);
  return st ? st : genc__check_param(ctx, d, 2, GENC__POS);
}

/* lgamma((nu + 1) / 2) - lgamma(nu / 2) - log(nu) / 2, which cancels for large
 * nu (lgamma(5e5) ~ 6e6 against a result near -log(2) / 2). With x = nu / 2:
 * lgamma(x + 1/2) - lgamma(x) = log(x) / 2 + sum_n c_n / x^(n - 1) (n even,
 * c_n = (2^(1 - n) - 2) B_n / (n (n - 1)); tools/fixtures/student_t_large_df.py),
 * so the whole term is -log(2) / 2 + the series, used from x = 10 on (10 terms,
 * relative remainder 2e-18 there); below, the lgamma difference, which loses
 * at most a few ulps of lgamma(10). Array ops throughout: differentiable in nu. */
static genc_array *lgamma_ratio(genc_ctx *ctx, genc_array *nu) {
  static const double c[10] = {-1.0 / 8,
                               1.0 / 192,
                               -1.0 / 640,
                               17.0 / 14336,
                               -31.0 / 18432,
                               691.0 / 180224,
                               -5461.0 / 425984,
                               929569.0 / 15728640,
                               -3202291.0 / 8912896,
                               221930581.0 / 79691776};
  genc_array *x = genc_mul(ctx, nu, 0.5), *big = genc_ge(ctx, x, 10.0);
  genc_array *xb = genc_maximum(ctx, x, 10.0), *xs = genc_minimum(ctx, x, 10.0);
  genc_array *r = genc_reciprocal(ctx, xb), *r2 = genc_square(ctx, r);
  genc_array *ser = genc_scalar_weak(ctx, c[9]);
  for (int k = 8; k >= 0; k--)
    ser = genc_add(ctx, genc_mul(ctx, ser, r2), c[k]);
  ser = genc_add(ctx, genc_mul(ctx, ser, r), -0.5 * M_LN2);
  genc_array *dir = genc_sub(ctx, genc_lgamma(ctx, genc_add(ctx, xs, 0.5)), genc_lgamma(ctx, xs));
  dir = genc_sub(ctx, dir, genc_mul(ctx, genc_log(ctx, genc_mul(ctx, xs, 2.0)), 0.5));
  return genc_where(ctx, big, ser, dir);
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  genc_array *nu = d->p[0], *s = d->p[2];
  genc_array *z = genc_div(ctx, genc_sub(ctx, genc__as_float(ctx, x), d->p[1]), s);
  genc_array *h = genc_mul(ctx, genc_add(ctx, nu, 1.0), 0.5);
  genc_array *t = genc_mul(ctx, h, genc_log1p(ctx, genc_div(ctx, genc_square(ctx, z), nu)));
  genc_array *c = genc_sub(ctx, lgamma_ratio(ctx, nu), 0.5 * GENC_LOG_PI);
  return genc__sum_event(ctx, genc_sub(ctx, genc_sub(ctx, c, genc_log(ctx, s)), t));
}

/* loc + scale * Z / sqrt(2 G / df), G ~ Gamma(df / 2): chi-square over df */
static genc_array *sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  int ndim;
  int64_t shape[GENC_MAX_DIMS], m = genc__dist_particles(ctx, d, n);
  if (m < 0 || !genc__dist_shape(ctx, d, 3, &ndim, shape)) return NULL;
  genc_array *nu = d->p[0];
  genc_array *g = genc__gamma_draw(ctx, genc_key_fold_in(key, 1), genc_mul(ctx, nu, 0.5), ndim,
                                   shape, m, genc__dist_dtype(d), false);
  genc_array *z = genc__draw(ctx, genc_key_fold_in(key, 2), d, 3, n, GENC_LAW_NORMAL);
  genc_array *t = genc_div(ctx, z, genc_sqrt(ctx, genc_div(ctx, genc_mul(ctx, g, 2.0), nu)));
  return genc_add(ctx, d->p[1], genc_mul(ctx, d->p[2], t));
}

static const genc_dist_type student_t_type = {.name = "student_t",
                                              .support = {GENC_SUPPORT_REAL},
                                              .nparams = 3,
                                              .param_names = {"df", "loc", "scale"},
                                              .check = check,
                                              .sample = sample,
                                              .logpdf = logpdf,
                                              .rsample = sample};

genc_dist(genc_student_t)(genc_ctx *ctx, genc_array *df, genc_array *loc, genc_array *scale) {
  (void)ctx;
  return genc__dist(&student_t_type, df, loc, scale, NULL);
}
