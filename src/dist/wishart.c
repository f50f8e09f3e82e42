/* Wishart(df, scale) and inverse Wishart(df, scale) over k x k matrices. */
#include <stdio.h>

#include "dist/internal.h"

static const genc_dist_type inv_wishart_type;

static int64_t dim_of(const genc_dist *d) {
  genc_array *s = d->p[1];
  return s->ndim >= 2 ? s->shape[s->ndim - 1] : -1;
}

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  genc_array *s = d->p[1];
  const char *name = d->type->name;
  if (s->ndim < 2 || s->shape[s->ndim - 1] != s->shape[s->ndim - 2]) {
    char b[96];
    return genc_ctx_fail(ctx, GENC_ERR_SHAPE, "%s: parameter scale must be square, got %s", name,
                         genc__shape_str(s, b, sizeof b));
  }
  genc_status st = genc__check_param(ctx, d, 0, GENC__REAL);
  if (!st) st = genc__check_param(ctx, d, 1, GENC__REAL);
  char msg[96];
  snprintf(msg, sizeof msg, "parameter df must be > k - 1 = %lld", (long long)dim_of(d) - 1);
  if (!st) st = genc__check_true(ctx, d, genc_gt(ctx, d->p[0], (double)(dim_of(d) - 1)), msg);
  if (st) return st;
  bool old = genc__norec_begin(ctx);
  int64_t mark = genc_scope_begin(ctx);
  if (!genc_cholesky(ctx, s))
    st = genc_ctx_fail(ctx, GENC_ERR_LINALG, "%s: parameter scale is not positive definite", name);
  genc_scope_end(ctx, mark);
  genc__norec_end(ctx, old);
  return st;
}

/* log det of a positive definite matrix through its Cholesky factor */
static genc_array *logdet_pd(genc_ctx *ctx, genc_array *m) {
  return genc_mul(ctx, genc_sum_all(ctx, genc_log(ctx, genc__diag(ctx, genc_cholesky(ctx, m)))),
                  2.0);
}

/* The terms shared by both laws: -df k/2 log 2 - log Gamma_k(df/2) */
static genc_array *norm_const(genc_ctx *ctx, genc_array *df, int64_t k) {
  genc_array *h = genc_mul(ctx, df, 0.5);
  return genc_neg(ctx,
                  genc_add(ctx, genc_mul(ctx, h, (double)k * M_LN2), genc__lmvgamma(ctx, h, k)));
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  genc_array *df = d->p[0], *s = d->p[1];
  int64_t k = dim_of(d);
  bool inv = d->type == &inv_wishart_type;
  x = genc__as_float(ctx, x);
  /* outside the support (not positive definite): -inf. The formula runs on the
   * identity there instead, so that no NaN reaches the value's gradient; that
   * costs a second factorization of x (the mask's, off the tape), since the
   * Cholesky vjp of a failed factor would be NaN. */
  int64_t one[2] = {1, 1};
  genc_array *ok = genc__pd_mask(ctx, x), *x0 = genc_stop_gradient(ctx, x);
  /* the identity in x's dtype: an f32 value keeps an f32 density */
  x = genc_where(ctx, genc_reshape(ctx, ok, 2, one), x,
                 genc_array_eye(ctx, x ? (genc_dtype)x->dtype : GENC_F64, k));
  genc_array *ldx = logdet_pd(ctx, x), *lds = logdet_pd(ctx, s);
  /* tr(S^-1 X) (Wishart) or tr(S X^-1) (inverse): both matrices symmetric */
  genc_array *tr =
      genc_sum_all(ctx, genc_mul(ctx, inv ? s : genc_inv(ctx, s), inv ? genc_inv(ctx, x) : x));
  genc_array *cx = inv ? genc_neg(ctx, genc_mul(ctx, genc_add(ctx, df, (double)(k + 1)), 0.5))
                       : genc_mul(ctx, genc_sub(ctx, df, (double)(k + 1)), 0.5);
  genc_array *cs = genc_mul(ctx, df, inv ? 0.5 : -0.5);
  genc_array *t = genc_add(ctx, genc_mul(ctx, cx, ldx), genc_mul(ctx, cs, lds));
  t = genc_sub(ctx, t, genc_mul(ctx, tr, 0.5));
  /* the NaN rule: a value holding a NaN (not positive definite) scores NaN */
  genc_array *s0 = genc_sum_all(ctx, genc_where(ctx, genc_ne(ctx, x0, x0), x0, 0.0));
  genc_array *out = genc_where(ctx, genc_ne(ctx, s0, s0), s0, -INFINITY);
  return genc_where(ctx, ok, genc_add(ctx, t, norm_const(ctx, df, k)), out);
}

/* Bartlett: X = (L A)(L A)^T with A lower triangular, A_ii = sqrt(chi2(df - i)),
 * A_ij ~ N(0, 1) below the diagonal */
genc_array *genc__wishart_draw(genc_ctx *ctx, genc_key key, genc_array *df, genc_array *chol,
                               int64_t m) {
  if (!df || !chol) return NULL;
  int64_t k = chol->shape[chol->ndim - 1], kk[2] = {k, k}, col[2] = {k, 1};
  /* draws in the scale's dtype (f32 parameters give f32 draws) */
  genc_dtype dt = chol->dtype == GENC_F32 ? GENC_F32 : GENC_F64;
  genc_array *idx = genc_array_arange(ctx, GENC_F64, 0, (double)k, 1);
  genc_array *alpha = genc_mul(ctx, genc_sub(ctx, df, idx), 0.5);
  int64_t ma = alpha && alpha->n ? 0 : m;
  genc_array *g = genc__gamma_draw(ctx, genc_key_fold_in(key, 1), alpha, 1, &k, ma, dt, false);
  genc_array *z = genc_random_normal(ctx, genc_key_fold_in(key, 2), dt, 2, kk, m);
  genc_array *lower = genc_lt(ctx, idx, genc_reshape(ctx, idx, 2, col));
  genc_array *a = genc_where(ctx, lower, z, 0.0);
  a = genc_add(ctx, a,
               genc_mul(ctx, genc_array_eye(ctx, dt, k), genc_sqrt(ctx, genc_mul(ctx, g, 2.0))));
  genc_array *la = genc_matmul(ctx, chol, a);
  return genc_matmul(ctx, la, genc_transpose(ctx, la));
}

static genc_array *sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  int64_t m = genc__dist_particles(ctx, d, n);
  if (m < 0) return NULL;
  bool inv = d->type == &inv_wishart_type;
  genc_array *s = inv ? genc_inv(ctx, d->p[1]) : d->p[1];
  genc_array *w = genc__wishart_draw(ctx, key, d->p[0], genc_cholesky(ctx, s), m);
  return inv ? genc_inv(ctx, w) : w;
}

static const genc_dist_type wishart_type = {.name = "wishart",
                                            .support = {GENC_SUPPORT_COV_MATRIX},
                                            .nparams = 2,
                                            .param_names = {"df", "scale"},
                                            .check = check,
                                            .sample = sample,
                                            .logpdf = logpdf,
                                            .rsample = sample};
static const genc_dist_type inv_wishart_type = {.name = "inv_wishart",
                                                .support = {GENC_SUPPORT_COV_MATRIX},
                                                .nparams = 2,
                                                .param_names = {"df", "scale"},
                                                .check = check,
                                                .sample = sample,
                                                .logpdf = logpdf,
                                                .rsample = sample};

genc_dist(genc_wishart)(genc_ctx *ctx, genc_array *df, genc_array *scale) {
  (void)ctx;
  return genc__dist(&wishart_type, df, scale, NULL, NULL);
}

genc_dist(genc_inv_wishart)(genc_ctx *ctx, genc_array *df, genc_array *scale) {
  (void)ctx;
  return genc__dist(&inv_wishart_type, df, scale, NULL, NULL);
}
