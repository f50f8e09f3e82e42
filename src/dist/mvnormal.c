/* Multivariate normal from a covariance or from its lower Cholesky factor. */
#include "dist/internal.h"

static const genc_dist_type mvn_chol_type;

static bool check_shapes(genc_ctx *ctx, const genc_dist *d) {
  genc_array *m = d->p[0], *c = d->p[1];
  int64_t k = m->ndim ? m->shape[m->ndim - 1] : -1;
  if (m->ndim >= 1 && c->ndim >= 2 && c->shape[c->ndim - 1] == k && c->shape[c->ndim - 2] == k)
    return true;
  char a[96], b[96];
  genc_ctx_fail(ctx, GENC_ERR_SHAPE, "mvnormal: parameter %s %s does not fit mean %s",
                d->type->param_names[1], genc__shape_str(c, b, sizeof b),
                genc__shape_str(m, a, sizeof a));
  return false;
}

static genc_array *chol_of(genc_ctx *ctx, const genc_dist *d) {
  if (d->type == &mvn_chol_type) return d->p[1];
  genc_array *l = genc_cholesky(ctx, d->p[1]);
  if (!l && genc_ctx_status(ctx) == GENC_ERR_LINALG)
    genc_ctx_fail(ctx, GENC_ERR_LINALG, "mvnormal: parameter cov is not positive definite");
  return l;
}

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  if (!check_shapes(ctx, d)) return genc_ctx_status(ctx);
  genc_status st = genc__check_param(ctx, d, 0, GENC__REAL);
  if (!st) st = genc__check_param(ctx, d, 1, GENC__REAL);
  if (st) return st;
  bool old = genc__norec_begin(ctx);
  int64_t mark = genc_scope_begin(ctx);
  genc_array *l = chol_of(ctx, d);
  if (l && l == d->p[1])
    st = genc__check_array(ctx, "mvnormal", "chol (its diagonal)", genc__diag(ctx, l), GENC__POS);
  else
    st = l ? GENC_OK : genc_ctx_status(ctx);
  genc_scope_end(ctx, mark);
  genc__norec_end(ctx, old);
  return st;
}

/* -|L^-1 (x - mean)|^2 / 2 - sum log diag L - k log(2 pi) / 2, per vector */
static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  genc_array *l = chol_of(ctx, d);
  genc_array *diff = genc_sub(ctx, genc__as_float(ctx, x), d->p[0]);
  if (!l || !diff) return NULL;
  int64_t k = d->p[0]->shape[d->p[0]->ndim - 1], nvec = diff->size / k;
  genc_array *z = genc_triangular_solve(ctx, l, genc_expand_dims(ctx, diff, -1), true, false);
  genc_array *q = genc_mul(ctx, genc_sum_all(ctx, genc_square(ctx, z)), -0.5);
  genc_array *h = genc_sum_all(ctx, genc_log(ctx, genc__diag(ctx, l)));
  h = genc_mul(ctx, genc_add(ctx, h, 0.5 * (double)k * GENC_LOG_2PI), (double)nvec);
  return genc_sub(ctx, q, h);
}

static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *l = chol_of(ctx, d);
  genc_array *z = genc__draw(ctx, key, d, 1, n, GENC_LAW_NORMAL);
  genc_array *lz = genc_squeeze(ctx, genc_matmul(ctx, l, genc_expand_dims(ctx, z, -1)), -1);
  return genc_add(ctx, d->p[0], lz);
}

static const genc_dist_type mvn_type = {.name = "mvnormal",
                                        .support = {GENC_SUPPORT_REAL},
                                        .nparams = 2,
                                        .param_names = {"mean", "cov"},
                                        .check = check,
                                        .sample = rsample,
                                        .logpdf = logpdf,
                                        .rsample = rsample};
static const genc_dist_type mvn_chol_type = {.name = "mvnormal",
                                             .support = {GENC_SUPPORT_REAL},
                                             .nparams = 2,
                                             .param_names = {"mean", "chol"},
                                             .check = check,
                                             .sample = rsample,
                                             .logpdf = logpdf,
                                             .rsample = rsample};

genc_dist(genc_mvnormal)(genc_ctx *ctx, genc_array *mean, genc_array *cov) {
  (void)ctx;
  return genc__dist(&mvn_type, mean, cov, NULL, NULL);
}

genc_dist(genc_mvnormal_chol)(genc_ctx *ctx, genc_array *mean, genc_array *chol) {
  (void)ctx;
  return genc__dist(&mvn_chol_type, mean, chol, NULL, NULL);
}
