/* Normal(mu, sigma) truncated to [lo, hi]. */
#include "dist/edges.h"

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

/* log Q(x) for finite x >= 0, also where Q underflows (x > 37.5): through erfc
 * below 35 (Q(35) ~ 1e-268 is still a normal number), above by the asymptotic
 * series Q(x) = phi(x) / x sum_k (-1)^k (2k - 1)!! / x^2k, 11 terms (the next
 * is below 2e-24 at 35). Each branch sees a clamped argument. */
static genc_array *log_q(genc_ctx *ctx, genc_array *x) {
  genc_array *xs = genc_minimum(ctx, x, 35.0), *xb = genc_maximum(ctx, x, 35.0);
  genc_array *small = genc_log(ctx, qtail(ctx, xs));
  double c[11] = {1};
  for (int k = 1; k < 11; k++)
    c[k] = -c[k - 1] * (2 * k - 1);
  genc_array *r = genc_reciprocal(ctx, genc_square(ctx, xb)), *ser = genc_scalar_weak(ctx, c[10]);
  for (int k = 9; k >= 0; k--)
    ser = genc_add(ctx, genc_mul(ctx, ser, r), c[k]);
  genc_array *big = genc_add(ctx, genc_mul(ctx, genc_square(ctx, xb), 0.5),
                             genc_add(ctx, genc_log(ctx, xb), 0.5 * GENC_LOG_2PI));
  big = genc_sub(ctx, genc_log(ctx, ser), big);
  return genc_where(ctx, genc_lt(ctx, x, 35.0), small, big);
}

/* The interval [a, b] (standardized) mirrored so that it is not in the lower
 * tail: [a2, b2] = [-b, -a] where b < 0. In the tail (a2 > 0) the mass and the
 * quantiles are computed from log Q, which does not underflow. */
typedef struct tn_iv {
  genc_array *flip, *a2, *b2, *tail, *la, *d; /* la = log Q(a2), d = log Q(b2) - la */
} tn_iv;

static tn_iv interval(genc_ctx *ctx, genc_array *a, genc_array *b) {
  tn_iv v;
  v.flip = genc_lt(ctx, b, 0.0);
  v.a2 = genc_where(ctx, v.flip, genc_neg(ctx, b), a);
  v.b2 = genc_where(ctx, v.flip, genc_neg(ctx, a), b);
  v.tail = genc_gt(ctx, v.a2, 0.0);
  /* stand-ins keep the tail formulas finite where they are not used (and so
   * out of the gradient): a2 >= 0, and b2 finite (Q(inf) = 0: d = -inf) */
  genc_array *at = genc_maximum(ctx, v.a2, 0.0), *binf = genc_eq(ctx, v.b2, INFINITY);
  genc_array *bt = genc_where(ctx, binf, genc_add(ctx, at, 1.0), genc_maximum(ctx, v.b2, at));
  v.la = log_q(ctx, at);
  v.d = genc_where(ctx, binf, -INFINITY, genc_sub(ctx, log_q(ctx, bt), v.la));
  return v;
}

/* log(1 - e^d), d <= 0, accurate for d near 0 and near -inf */
static genc_array *log1mexp(genc_ctx *ctx, genc_array *d) {
  genc_array *near = genc_gt(ctx, d, -M_LN2);
  genc_array *dn = genc_where(ctx, near, d, -1.0), *df = genc_where(ctx, near, -1.0, d);
  return genc_where(ctx, near, genc_log(ctx, genc_neg(ctx, genc_expm1(ctx, dn))),
                    genc_log1p(ctx, genc_neg(ctx, genc_exp(ctx, df))));
}

/* log(Phi(b) - Phi(a)) without cancellation or underflow: log Q(a2) + log(1 -
 * Q(b2) / Q(a2)) in the tail, 1 - Q(-a2) - Q(b2) around the center. */
static genc_array *log_mass(genc_ctx *ctx, const tn_iv *v) {
  genc_array *lt = genc_add(ctx, v->la, log1mexp(ctx, v->d));
  genc_array *mid = genc_log1p(
      ctx, genc_neg(ctx, genc_add(ctx, qtail(ctx, genc_neg(ctx, v->a2)), qtail(ctx, v->b2))));
  return genc_where(ctx, v->tail, lt, mid);
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  x = genc__as_float(ctx, x);
  genc_array *mu = d->p[0], *s = d->p[1];
  genc_array *a = genc_div(ctx, genc_sub(ctx, d->p[2], mu), s);
  genc_array *b = genc_div(ctx, genc_sub(ctx, d->p[3], mu), s);
  tn_iv v = interval(ctx, a, b);
  genc_array *ok = genc_logical_and(ctx, genc_ge(ctx, x, d->p[2]), genc_le(ctx, x, d->p[3]));
  genc_array *t = genc_sub(ctx, genc__normal_terms(ctx, x, mu, s), log_mass(ctx, &v));
  return genc__finish_nan(ctx, t, ok, x);
}

/* The tail quantile: y >= a2 with log Q(y) = L = log(Q(a2) - u (Q(a2) - Q(b2))),
 * by Newton's method on log Q, which is concave: from any start, after one
 * step the iterates decrease monotonically to the root. The start solves the
 * asymptotic log Q(y) ~ -y^2/2 - log y - log(2 pi)/2 once; 5 steps reach
 * 2e-16 relative from a2 = 1e-6 to 1e4 and u up to 1 - 2^-53 (checked in
 * double precision against 8 steps). */
static genc_array *tail_quantile(genc_ctx *ctx, const tn_iv *v, genc_array *u) {
  genc_array *l = genc_add(ctx, v->la, genc_log1p(ctx, genc_mul(ctx, u, genc_expm1(ctx, v->d))));
  genc_array *q = genc_sub(ctx, genc_mul(ctx, l, -2.0), GENC_LOG_2PI);
  genc_array *s = genc_maximum(ctx, genc_sqrt(ctx, genc_maximum(ctx, q, 0.0)), 1.0);
  genc_array *y = genc_sub(ctx, q, genc_mul(ctx, genc_log(ctx, s), 2.0));
  y = genc_maximum(ctx, genc_sqrt(ctx, genc_maximum(ctx, y, 0.0)), genc_maximum(ctx, v->a2, 0.0));
  for (int i = 0; i < 5; i++) {
    genc_array *lq = log_q(ctx, y);
    /* (log Q)' = -phi(y) / Q(y) */
    genc_array *e = genc_add(ctx, genc_mul(ctx, genc_square(ctx, y), -0.5), -0.5 * GENC_LOG_2PI);
    genc_array *slope = genc_neg(ctx, genc_exp(ctx, genc_sub(ctx, e, lq)));
    y = genc_sub(ctx, y, genc_div(ctx, genc_sub(ctx, lq, l), slope));
  }
  return y;
}

/* Inverse CDF. Around the center: y = sqrt 2 erfinv(erf(a / sqrt 2) + u (erf(b /
 * sqrt 2) - erf(a / sqrt 2))); in a tail (the interval mirrored to the upper
 * one), the quantile of log Q above. Clamped to [a, b] against rounding. */
static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *mu = d->p[0], *s = d->p[1];
  genc_array *a = genc_div(ctx, genc_sub(ctx, d->p[2], mu), s);
  genc_array *b = genc_div(ctx, genc_sub(ctx, d->p[3], mu), s);
  genc_array *u = genc__draw(ctx, key, d, 4, n, GENC_LAW_UNIFORM);
  tn_iv v = interval(ctx, a, b);
  genc_array *ea = genc_erf(ctx, genc_mul(ctx, a, M_SQRT1_2));
  genc_array *eb = genc_erf(ctx, genc_mul(ctx, b, M_SQRT1_2));
  genc_array *e = genc_add(ctx, ea, genc_mul(ctx, u, genc_sub(ctx, eb, ea)));
  /* the center formula on a stand-in where it is not used (erfinv(1) = inf) */
  e = genc_where(ctx, v.tail, 0.0, e);
  genc_array *yc = genc_mul(ctx, genc_erfinv(ctx, e), M_SQRT2);
  genc_array *yt = tail_quantile(ctx, &v, u);
  yt = genc_where(ctx, v.flip, genc_neg(ctx, yt), yt);
  genc_array *y = genc_where(ctx, v.tail, yt, yc);
  y = genc_minimum(ctx, genc_maximum(ctx, y, a), b);
  return genc_add(ctx, mu, genc_mul(ctx, s, y));
}

static const genc_dist_type tn_type = {.name = "truncated_normal",
                                       .support = {GENC_SUPPORT_INTERVAL, 2, 3},
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
