/* Von Mises(mu, kappa) on the circle. */
#include "dist/edges.h"

/* log I0(k) with array ops (so it is differentiable): the power series
 * sum (k^2/4)^j / (j!)^2 below 20 (40 terms: the last is < 1e-16 of the sum
 * at k = 20) and the asymptotic series e^k / sqrt(2 pi k) sum c_j / k^j above
 * (30 terms; its remainder is about e^-2k < 1e-17). Each branch sees a clamped
 * argument so the other one never overflows. */
static genc_array *log_i0(genc_ctx *ctx, genc_array *k) {
  genc_array *ks = genc_minimum(ctx, k, 20.0), *q = genc_mul(ctx, genc_square(ctx, ks), 0.25);
  genc_array *t = genc_scalar_weak(ctx, 1.0), *s = genc_scalar_weak(ctx, 0.0);
  for (int j = 1; j <= 40; j++) {
    t = genc_mul(ctx, t, genc_mul(ctx, q, 1.0 / ((double)j * j)));
    s = genc_add(ctx, s, t);
  }
  genc_array *small = genc_log1p(ctx, s);
  genc_array *kl = genc_maximum(ctx, k, 20.0), *r = genc_reciprocal(ctx, kl);
  genc_array *u = genc_scalar_weak(ctx, 1.0), *v = genc_scalar_weak(ctx, 1.0);
  for (int j = 1; j <= 30; j++) {
    u = genc_mul(ctx, u, genc_mul(ctx, r, (2.0 * j - 1) * (2.0 * j - 1) / (8.0 * j)));
    v = genc_add(ctx, v, u);
  }
  genc_array *big =
      genc_sub(ctx, kl, genc_mul(ctx, genc_log(ctx, genc_mul(ctx, kl, 2 * M_PI)), 0.5));
  big = genc_add(ctx, big, genc_log(ctx, v));
  return genc_where(ctx, genc_lt(ctx, k, 20.0), small, big);
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  genc_array *k = d->p[1];
  /* an infinite angle is outside the support (cos(inf) is NaN); NaN stays NaN */
  x = genc__as_float(ctx, x);
  genc_array *ok = genc_isfinite(ctx, x), *xs = genc_where(ctx, ok, x, 0.0);
  genc_array *c = genc_mul(ctx, k, genc_cos(ctx, genc_sub(ctx, xs, d->p[0])));
  genc_array *t = genc_sub(ctx, c, genc_add(ctx, log_i0(ctx, k), log(2 * M_PI)));
  return genc__finish_nan(ctx, t, ok, x);
}

/* One round of Best and Fisher's (1979) rejection sampler for the angle. */
typedef struct bf {
  genc_array *r, *k, *x, *done;
} bf;

static void bf_round(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n, bf *s) {
  genc_array *u1 = genc__draw(ctx, genc_key_fold_in(key, 1), d, 2, n, GENC_LAW_UNIFORM);
  genc_array *u2 = genc__draw(ctx, genc_key_fold_in(key, 2), d, 2, n, GENC_LAW_UNIFORM);
  genc_array *u3 = genc__draw(ctx, genc_key_fold_in(key, 3), d, 2, n, GENC_LAW_UNIFORM);
  genc_array *z = genc_cos(ctx, genc_mul(ctx, u1, M_PI));
  genc_array *f = genc_div(ctx, genc_add(ctx, genc_mul(ctx, s->r, z), 1.0), genc_add(ctx, s->r, z));
  genc_array *c = genc_mul(ctx, s->k, genc_sub(ctx, s->r, f));
  genc_array *acc1 = genc_gt(ctx, genc_sub(ctx, genc_mul(ctx, c, genc_sub(ctx, 2.0, c)), u2), 0.0);
  genc_array *l = genc_sub(ctx, genc_log(ctx, genc_div(ctx, c, u2)), genc_sub(ctx, c, 1.0));
  genc_array *acc = genc_logical_or(ctx, acc1, genc_ge(ctx, l, 0.0));
  /* acos(f) = atan2(sqrt(1 - f^2), f) */
  genc_array *sf = genc_sqrt(ctx, genc_maximum(ctx, genc_sub(ctx, 1.0, genc_square(ctx, f)), 0.0));
  genc_array *th = genc_mul(ctx, genc_sign(ctx, genc_sub(ctx, u3, 0.5)), genc_atan2(ctx, sf, f));
  genc_array *take = genc_logical_and(ctx, acc, genc_logical_not(ctx, s->done));
  s->x = genc_where(ctx, take, th, s->x);
  s->done = genc_logical_or(ctx, s->done, acc);
}

static bool all_done(genc_ctx *ctx, genc_array *done) {
  genc_array *m = genc_min(ctx, genc_astype(ctx, done, GENC_F64), 0, NULL, false);
  if (m && m->n) m = genc_particle_reduce(ctx, GENC_RMIN, m);
  double v = 0;
  return !m || genc_array_item(ctx, m, &v) != GENC_OK || v == 1.0;
}

static genc_array *sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *k = d->p[1];
  /* r = (1 + rho^2) / (2 rho), rho = (tau - sqrt(2 tau)) / (2k) written without
   * the cancellation of tau - sqrt(2 tau) at small k */
  genc_array *s1 = genc_sqrt(ctx, genc_add(ctx, genc_mul(ctx, genc_square(ctx, k), 4.0), 1.0));
  genc_array *tau = genc_add(ctx, s1, 1.0);
  genc_array *den = genc_mul(ctx, tau, genc_add(ctx, tau, genc_sqrt(ctx, genc_mul(ctx, tau, 2.0))));
  genc_array *rho = genc_div(ctx, genc_mul(ctx, genc_mul(ctx, k, tau), 2.0), den);
  int ndim;
  int64_t shape[GENC_MAX_DIMS], m = genc__dist_particles(ctx, d, n);
  if (m < 0 || !genc__dist_shape(ctx, d, 2, &ndim, shape)) return NULL;
  bf s = {genc_div(ctx, genc_add(ctx, genc_square(ctx, rho), 1.0), genc_mul(ctx, rho, 2.0)), k,
          genc_array_zeros(ctx, genc__dist_dtype(d), ndim, shape, m),
          genc_array_zeros(ctx, GENC_BOOL, ndim, shape, m)};
  /* rounds accept with probability > 0.65; check for stragglers every 8 */
  for (uint64_t it = 0; it < 4096 && s.done; it += 8) {
    for (uint64_t j = it; j < it + 8; j++)
      bf_round(ctx, genc_key_fold_in(key, 100 + j), d, n, &s);
    if (!s.done || all_done(ctx, s.done)) break;
  }
  return s.done ? genc_add(ctx, s.x, d->p[0]) : NULL;
}

static const genc_dist_type von_mises_type = {.name = "von_mises",
                                              .support = {GENC_SUPPORT_REAL},
                                              .nparams = 2,
                                              .param_names = {"mu", "kappa"},
                                              .check = genc__check_loc_scale,
                                              .sample = sample,
                                              .logpdf = logpdf};

genc_dist(genc_von_mises)(genc_ctx *ctx, genc_array *mu, genc_array *kappa) {
  (void)ctx;
  return genc__dist(&von_mises_type, mu, kappa, NULL, NULL);
}
