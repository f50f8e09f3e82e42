/* Normal(mu, sigma) truncated to [lo, hi]. */
#include "dist/internal.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  genc_status st = genc__check_loc_scale(ctx, d);
  if (!st) st = genc__check_param(ctx, d, 2, GENC__ANY);
  if (!st) st = genc__check_param(ctx, d, 3, GENC__ANY);
  if (!st)
    st = genc__check_true(ctx, d, genc_lt(ctx, d->p[2], d->p[3]), "parameter lo must be < hi");
  return st;
}

/* half erfc(x / sqrt 2): the upper tail Q(x), accurate for large x */
static genc_array *qtail(genc_ctx *ctx, genc_array *x) {
  return genc_mul(ctx, genc_erfc(ctx, genc_mul(ctx, x, M_SQRT1_2)), 0.5);
}

/* log(Phi(b) - Phi(a)) without cancellation: mirror so that the interval is not
 * in the lower tail, then use upper-tail probabilities there. */
static genc_array *log_mass(genc_ctx *ctx, genc_array *a, genc_array *b) {
  genc_array *flip = genc_lt(ctx, b, 0.0);
  genc_array *a2 = genc_where(ctx, flip, genc_neg(ctx, b), a);
  genc_array *b2 = genc_where(ctx, flip, genc_neg(ctx, a), b);
  genc_array *tail = genc_gt(ctx, a2, 0.0);
  genc_array *qa = qtail(ctx, a2), *qb = qtail(ctx, b2);
  genc_array *qas = genc_where(ctx, tail, qa, 1.0);
  genc_array *lt =
      genc_add(ctx, genc_log(ctx, qas), genc_log1p(ctx, genc_neg(ctx, genc_div(ctx, qb, qas))));
  genc_array *mid =
      genc_log1p(ctx, genc_neg(ctx, genc_add(ctx, qtail(ctx, genc_neg(ctx, a2)), qb)));
  return genc_where(ctx, tail, lt, mid);
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  x = genc__as_float(ctx, x);
  genc_array *mu = d->p[0], *s = d->p[1];
  genc_array *a = genc_div(ctx, genc_sub(ctx, d->p[2], mu), s);
  genc_array *b = genc_div(ctx, genc_sub(ctx, d->p[3], mu), s);
  genc_array *ok = genc_logical_and(ctx, genc_ge(ctx, x, d->p[2]), genc_le(ctx, x, d->p[3]));
  genc_array *t = genc_sub(ctx, genc__normal_terms(ctx, x, mu, s), log_mass(ctx, a, b));
  return genc__finish(ctx, t, ok);
}

/* inverse CDF: y = sqrt 2 erfinv(erf(a / sqrt 2) + u (erf(b / sqrt 2) - erf(a / sqrt 2))),
 * clamped to [a, b] against rounding; precise while the interval holds
 * probability well above machine epsilon */
static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *mu = d->p[0], *s = d->p[1];
  genc_array *a = genc_div(ctx, genc_sub(ctx, d->p[2], mu), s);
  genc_array *b = genc_div(ctx, genc_sub(ctx, d->p[3], mu), s);
  genc_array *u = genc__draw(ctx, key, d, 4, n, GENC_LAW_UNIFORM);
  genc_array *ea = genc_erf(ctx, genc_mul(ctx, a, M_SQRT1_2));
  genc_array *eb = genc_erf(ctx, genc_mul(ctx, b, M_SQRT1_2));
  genc_array *e = genc_add(ctx, ea, genc_mul(ctx, u, genc_sub(ctx, eb, ea)));
  genc_array *y = genc_mul(ctx, genc_erfinv(ctx, e), M_SQRT2);
  y = genc_minimum(ctx, genc_maximum(ctx, y, a), b);
  return genc_add(ctx, mu, genc_mul(ctx, s, y));
}

static const genc_dist_type tn_type = {.name = "truncated_normal",
                                       .nparams = 4,
                                       .param_names = {"mu", "sigma", "lo", "hi"},
                                       .check = check,
                                       .sample = rsample,
                                       .logpdf = logpdf,
                                       .rsample = rsample};

genc_dist(genc_truncated_normal)(genc_ctx *ctx, genc_array *mu, genc_array *sigma, genc_array *lo,
                                 genc_array *hi) {
  (void)ctx;
  return genc__dist(&tn_type, mu, sigma, lo, hi);
}
