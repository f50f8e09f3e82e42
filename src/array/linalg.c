/*
 * Linear algebra: the last two logical axes are the matrix, leading axes and
 * the particle axis are batch axes. Public ops validate, broadcast the batch
 * axes (with differentiable broadcast ops, so the tape sums gradients back) and
 * dispatch one primitive each. A primitive sees operands that are either
 * "full" (their batch, particles included, is the output's) or "single" (one
 * shared matrix, reused with batch stride 0).
 *
 * Integer and bool operands compute in f64; f32 stays f32 only if every
 * operand is f32.
 */
#include <stdio.h>
#include <stdlib.h>

#include "array/internal.h"

/* ---- helpers ---- */

static genc_dtype float_dt(genc_array *a, genc_array *b) {
  if (a->dtype == GENC_F32 && (!b || b->dtype == GENC_F32)) return GENC_F32;
  return GENC_F64;
}

/* Matrices in the physical array: particles times logical batch dims. */
static int64_t nbatch(const genc_array *a) {
  int64_t b = a->n ? a->n : 1;
  for (int d = 0; d + 2 < a->ndim; d++)
    b *= a->shape[d];
  return b;
}

static bool single(const genc_array *a) { return nbatch(a) == 1; }

/* " (particle p, batch index i)" for the flat batch index bi of x, or "". */
static const char *where_str(const genc_array *x, int64_t bi, char *buf, size_t cap) {
  int64_t per = nbatch(x) / (x->n ? x->n : 1);
  if (x->n && per > 1)
    snprintf(buf, cap, " (particle %lld, batch index %lld)", (long long)(bi / per),
             (long long)(bi % per));
  else if (x->n)
    snprintf(buf, cap, " (particle %lld)", (long long)bi);
  else if (per > 1)
    snprintf(buf, cap, " (batch index %lld)", (long long)bi);
  else
    buf[0] = 0;
  return buf;
}

/* Broadcast the batch shapes of a and b (matrix axes excluded). */
static bool batch_shape(genc_ctx *ctx, const char *op, genc_array *a, genc_array *b, int *nd,
                        int64_t *shape) {
  int na = a->ndim - 2, nb = b->ndim - 2;
  *nd = na > nb ? na : nb;
  for (int d = 0; d < *nd; d++) {
    int da = d - (*nd - na), db = d - (*nd - nb);
    int64_t sa = da >= 0 ? a->shape[da] : 1, sb = db >= 0 ? b->shape[db] : 1;
    if (sa != sb && sa != 1 && sb != 1) {
      char b1[128], b2[128];
      genc_ctx_fail(ctx, GENC_ERR_SHAPE, "%s: batch dims of %s and %s do not broadcast", op,
                    genc__shape_str(a, b1, sizeof b1), genc__shape_str(b, b2, sizeof b2));
      return false;
    }
    shape[d] = sa == 1 ? sb : sa;
  }
  return true;
}

/* x as a single or a full operand for batch shape [nd] + particles np. */
static genc_array *fit_batch(genc_ctx *ctx, genc_array *x, int nd, const int64_t *bs, int64_t np,
                             bool allow_single) {
  if (allow_single && single(x)) return x;
  bool same = x->n == np && x->ndim - 2 == nd;
  for (int d = 0; same && d < nd; d++)
    same = x->shape[d] == bs[d];
  if (same) return x;
  int64_t shape[GENC_MAX_DIMS];
  for (int d = 0; d < nd; d++)
    shape[d] = bs[d];
  shape[nd] = x->shape[x->ndim - 2];
  shape[nd + 1] = x->shape[x->ndim - 1];
  genc_array *y = genc_broadcast_to(ctx, x, nd + 2, shape);
  return y && np && !y->n ? genc_particle_broadcast(ctx, y, np) : y;
}

/* Output of a batched op: the batch of whichever operand is full. */
static genc_array *alloc_out(genc_ctx *ctx, genc_dtype dt, genc_array *a, genc_array *b, int64_t r,
                             int64_t c) {
  genc_array *full = b && nbatch(b) > nbatch(a) ? b : a;
  if (b && nbatch(b) == nbatch(a) && b->ndim > a->ndim) full = b;
  int64_t np = b && b->n > a->n ? b->n : a->n;
  int64_t shape[GENC_MAX_DIMS];
  int nd = full->ndim - 2;
  for (int d = 0; d < nd; d++)
    shape[d] = full->shape[d];
  shape[nd] = r;
  shape[nd + 1] = c;
  return genc__alloc(ctx, dt, nd + 2, shape, np);
}

/* An [n, n] mask: 1 strictly inside the triangle, @p diag on the diagonal. */
static genc_array *tri_mask(genc_ctx *ctx, int64_t n, bool lower, double diag) {
  double *m = malloc((size_t)(n > 0 ? n * n : 1) * sizeof *m);
  if (!m) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "linalg: out of memory for a mask");
    return NULL;
  }
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++)
      m[i * n + j] = i == j ? diag : (lower ? i > j : i < j);
  genc_array *a = genc_array_mat(ctx, n, n, m);
  free(m);
  return a;
}

/* ---- matrix transpose (swap the last two axes) ---- */

static genc_array *mT(genc_ctx *ctx, genc_array *x);

static genc_array *mt_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  (void)p;
  genc_array *x = in[0];
  int pnd;
  int64_t ps[GENC_PDIMS], xs[GENC_PDIMS], s = 1;
  genc__phys_shape(x, &pnd, ps);
  for (int d = pnd - 1; d >= 0; d--)
    xs[d] = s, s *= ps[d];
  int64_t t = ps[pnd - 1];
  ps[pnd - 1] = ps[pnd - 2], ps[pnd - 2] = t;
  t = xs[pnd - 1];
  xs[pnd - 1] = xs[pnd - 2], xs[pnd - 2] = t;
  genc_array *y = genc__alloc(ctx, (genc_dtype)x->dtype, x->ndim, ps + 1, x->n);
  if (y && y->bytes)
    ctx->bk->strided_copy(ctx->bst, genc__esize((genc_dtype)x->dtype), x->data, y->data, pnd, ps,
                          xs);
  return y;
}

static genc_status mt_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  (void)nd;
  ic[0] = mT(ctx, g);
  return ic[0] ? GENC_OK : genc_ctx_status(ctx);
}

static const genc_prim mt_prim = {"matrix_transpose", mt_fwd, mt_vjp};

static genc_array *mT(genc_ctx *ctx, genc_array *x) {
  return x ? genc__dispatch(ctx, &mt_prim, 1, &x, NULL) : NULL;
}

/* ---- matmul: C = op(A) op(B), flag = transpose A, flag2 = transpose B ---- */

static genc_array *mm(genc_ctx *ctx, genc_array *a, genc_array *b, bool ta, bool tb);

static genc_array *mm_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  genc_dtype dt = float_dt(in[0], in[1]);
  genc_array *a = genc__cast_raw(ctx, in[0], dt), *b = genc__cast_raw(ctx, in[1], dt);
  if (!a || !b) return NULL;
  int64_t ar = a->shape[a->ndim - 2], ac = a->shape[a->ndim - 1];
  int64_t br = b->shape[b->ndim - 2], bc = b->shape[b->ndim - 1];
  int64_t m = p->flag ? ac : ar, k = p->flag ? ar : ac, n = p->flag2 ? br : bc;
  genc_array *y = alloc_out(ctx, dt, a, b, m, n);
  if (!y || !y->bytes) return y;
  int64_t batch = nbatch(y);
  int64_t sa = single(a) ? 0 : m * k, sb = single(b) ? 0 : k * n;
  ctx->bk->matmul(ctx->bst, dt, batch, m, n, k, a->data, sa, p->flag, b->data, sb, p->flag2,
                  y->data);
  return y;
}

static genc_status mm_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  genc_array *a = nd->in[0], *b = nd->in[1];
  bool ta = nd->p.flag, tb = nd->p.flag2;
  ic[0] = ta ? mm(ctx, b, g, tb, true) : mm(ctx, g, b, false, !tb);
  ic[1] = tb ? mm(ctx, g, a, true, ta) : mm(ctx, a, g, !ta, false);
  return ic[0] && ic[1] ? GENC_OK : genc_ctx_status(ctx);
}

static const genc_prim mm_prim = {"matmul", mm_fwd, mm_vjp};

static genc_array *mm(genc_ctx *ctx, genc_array *a, genc_array *b, bool ta, bool tb) {
  if (!a || !b) return NULL;
  genc_array *in[2] = {a, b};
  genc_params p = {.flag = ta, .flag2 = tb};
  return genc__dispatch(ctx, &mm_prim, 2, in, &p);
}

/* Promote a 1-d operand to a matrix: [k] -> [1, k] (left) or [k, 1] (right). */
static genc_array *promote_1d(genc_ctx *ctx, genc_array *x, bool left) {
  if (x->ndim != 1) return x;
  int64_t shape[2] = {left ? 1 : x->shape[0], left ? x->shape[0] : 1};
  return genc_reshape(ctx, x, 2, shape);
}

genc_array *genc_matmul(genc_ctx *ctx, genc_array *a0, genc_array *b0) {
  genc_array *in[2] = {a0, b0};
  if (!genc__check_in(ctx, "matmul", 2, in)) return NULL;
  char s1[128], s2[128];
  if (a0->ndim == 0 || b0->ndim == 0) {
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "matmul: operands must have rank >= 1, got %s and %s",
                  genc__shape_str(a0, s1, sizeof s1), genc__shape_str(b0, s2, sizeof s2));
    return NULL;
  }
  if (a0->shape[a0->ndim - 1] != b0->shape[b0->ndim == 1 ? 0 : b0->ndim - 2]) {
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "matmul: inner dims of %s and %s differ",
                  genc__shape_str(a0, s1, sizeof s1), genc__shape_str(b0, s2, sizeof s2));
    return NULL;
  }
  int64_t np = genc__join_particles(ctx, "matmul", 2, in);
  genc_array *a = promote_1d(ctx, a0, true), *b = promote_1d(ctx, b0, false);
  int nd;
  int64_t bs[GENC_MAX_DIMS];
  if (np < 0 || !a || !b || !batch_shape(ctx, "matmul", a, b, &nd, bs)) return NULL;
  a = fit_batch(ctx, a, nd, bs, np, true);
  b = fit_batch(ctx, b, nd, bs, np, true);
  genc_array *y = mm(ctx, a, b, false, false);
  if (!y || (a0->ndim > 1 && b0->ndim > 1)) return y;
  /* drop the promoted axes again */
  int64_t shape[GENC_MAX_DIMS];
  int k = 0;
  for (int d = 0; d < y->ndim; d++)
    if (!((d == y->ndim - 2 && a0->ndim == 1) || (d == y->ndim - 1 && b0->ndim == 1)))
      shape[k++] = y->shape[d];
  return genc_reshape(ctx, y, k, shape);
}

/* ---- square-matrix ops: shared validation ---- */

static bool check_square(genc_ctx *ctx, const char *op, genc_array *x) {
  if (x->ndim >= 2 && x->shape[x->ndim - 1] == x->shape[x->ndim - 2]) return true;
  char b[128];
  genc_ctx_fail(ctx, GENC_ERR_SHAPE, "%s: needs square matrices in the last two axes, got %s", op,
                genc__shape_str(x, b, sizeof b));
  return false;
}

/* A fresh float copy of x for an in-place kernel. */
static genc_array *float_copy(genc_ctx *ctx, genc_array *x) {
  genc_dtype dt = float_dt(x, NULL);
  genc_array *c = genc__cast_raw(ctx, x, dt);
  if (c != x) return c;
  genc_array *y = genc__alloc_like(ctx, x, dt);
  if (y && y->bytes) ctx->bk->copy(ctx->bst, y->data, x->data, y->bytes);
  return y;
}

static genc_array *linalg_fail(genc_ctx *ctx, const char *op, const char *what, genc_array *x,
                               int64_t bi) {
  char b1[128], b2[96];
  genc_ctx_fail(ctx, GENC_ERR_LINALG, "%s: matrix is %s%s (input %s)", op, what,
                where_str(x, bi, b2, sizeof b2), genc__shape_str(x, b1, sizeof b1));
  return NULL;
}

/* ---- Cholesky ---- */

static genc_array *chol_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  (void)p;
  genc_array *x = in[0], *y = float_copy(ctx, x);
  if (!y || !y->bytes) return y;
  int64_t bad =
      ctx->bk->cholesky(ctx->bst, (genc_dtype)y->dtype, nbatch(y), y->shape[y->ndim - 1], y->data);
  return bad < 0
             ? y
             : linalg_fail(ctx, "cholesky", "not positive definite (or holds NaN or inf)", x, bad);
}

/* Abar = sym(L^-T Phi(L^T Lbar) L^-1), Phi = lower triangle with half the
 * diagonal (Murray 2016); the symmetric form is the gradient for symmetric
 * perturbations, which is what a covariance parameter sees. */
static genc_status chol_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  genc_array *l = nd->out;
  int64_t n = l->shape[l->ndim - 1];
  genc_array *phi = genc_mul(ctx, mm(ctx, l, g, true, false), tri_mask(ctx, n, true, 0.5));
  genc_array *x = genc_triangular_solve(ctx, l, phi, true, true);
  genc_array *s = genc_triangular_solve(ctx, l, mT(ctx, x), true, true);
  ic[0] = genc_mul(ctx, genc_add(ctx, s, mT(ctx, s)), 0.5);
  return ic[0] ? GENC_OK : genc_ctx_status(ctx);
}

static const genc_prim chol_prim = {"cholesky", chol_fwd, chol_vjp};

genc_array *genc_cholesky(genc_ctx *ctx, genc_array *a) {
  if (!genc__check_in(ctx, "cholesky", 1, &a) || !check_square(ctx, "cholesky", a)) return NULL;
  return genc__dispatch(ctx, &chol_prim, 1, &a, NULL);
}

/* Cholesky factors, NaN-filled where a matrix is not positive definite (never
 * an error): a primitive without a vjp, so a capture records it. */
static genc_array *chol_raw_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  (void)p;
  genc_array *y = float_copy(ctx, in[0]);
  if (y && y->bytes)
    ctx->bk->cholesky(ctx->bst, (genc_dtype)y->dtype, nbatch(y), y->shape[y->ndim - 1], y->data);
  return y;
}

static const genc_prim chol_raw_prim = {"cholesky_nan", chol_raw_fwd, NULL};

genc_array *genc__pd_mask(genc_ctx *ctx, genc_array *a) {
  if (!genc__check_in(ctx, "pd_mask", 1, &a) || !check_square(ctx, "pd_mask", a)) return NULL;
  /* never on the tape: the mask is not differentiable */
  genc_array *y = genc__dispatch(ctx, &chol_raw_prim, 1, &a, NULL);
  if (!y) return NULL;
  int ax[2] = {-2, -1};
  genc_array *bad = genc_logical_not(ctx, genc_isfinite(ctx, y));
  return genc_eq(ctx, genc_sum(ctx, genc_astype(ctx, bad, GENC_F64), 2, ax, false), 0.0);
}

/* ---- triangular solve: X = op(L)^-1 B, flag = lower, flag2 = transpose ---- */

static genc_array *trsv_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  genc_dtype dt = float_dt(in[0], in[1]);
  genc_array *l = genc__cast_raw(ctx, in[0], dt), *y = NULL;
  genc_array *b = in[1]->dtype == dt ? float_copy(ctx, in[1]) : genc__cast_raw(ctx, in[1], dt);
  if (!l || !b || !b->bytes) return l ? b : NULL;
  y = b;
  int64_t n = l->shape[l->ndim - 1];
  int64_t bad = ctx->bk->trisolve(ctx->bst, dt, nbatch(y), n, y->shape[y->ndim - 1], l->data,
                                  single(l) ? 0 : n * n, y->data, p->flag, p->flag2);
  return bad < 0 ? y
                 : linalg_fail(ctx, "triangular_solve", "singular (a zero on the diagonal of L)",
                               in[0], bad);
}

/* Bbar = op(L)^-T Xbar; Lbar = -Bbar X^T (or its transpose), on L's triangle. */
static genc_status trsv_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  genc_array *l = nd->in[0], *x = nd->out;
  bool lower = nd->p.flag, trans = nd->p.flag2;
  ic[1] = genc_triangular_solve(ctx, l, g, lower, !trans);
  genc_array *lb = trans ? mm(ctx, x, ic[1], false, true) : mm(ctx, ic[1], x, false, true);
  ic[0] = genc_mul(ctx, genc_neg(ctx, lb), tri_mask(ctx, l->shape[l->ndim - 1], lower, 1));
  return ic[0] && ic[1] ? GENC_OK : genc_ctx_status(ctx);
}

static const genc_prim trsv_prim = {"triangular_solve", trsv_fwd, trsv_vjp};

genc_array *genc_triangular_solve(genc_ctx *ctx, genc_array *l, genc_array *b0, bool lower,
                                  bool trans) {
  genc_array *in[2] = {l, b0};
  if (!genc__check_in(ctx, "triangular_solve", 2, in) || !check_square(ctx, "triangular_solve", l))
    return NULL;
  char s1[128], s2[128];
  int64_t n = l->shape[l->ndim - 1];
  if (b0->ndim == 0 || b0->shape[b0->ndim == 1 ? 0 : b0->ndim - 2] != n) {
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "triangular_solve: L %s does not fit the right side %s",
                  genc__shape_str(l, s1, sizeof s1), genc__shape_str(b0, s2, sizeof s2));
    return NULL;
  }
  int64_t np = genc__join_particles(ctx, "triangular_solve", 2, in);
  genc_array *b = promote_1d(ctx, b0, false);
  int nd;
  int64_t bs[GENC_MAX_DIMS];
  if (np < 0 || !b || !batch_shape(ctx, "triangular_solve", l, b, &nd, bs)) return NULL;
  in[0] = fit_batch(ctx, l, nd, bs, np, true);
  in[1] = fit_batch(ctx, b, nd, bs, np, false);
  if (!in[0] || !in[1]) return NULL;
  genc_params p = {.flag = lower, .flag2 = trans};
  genc_array *y = genc__dispatch(ctx, &trsv_prim, 2, in, &p);
  if (!y || b0->ndim > 1) return y;
  return genc_reshape(ctx, y, y->ndim - 1, y->shape);
}

/* ---- log |det| and inverse, through LU ---- */

static genc_array *logdet_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  (void)p;
  genc_array *x = in[0], *lu = float_copy(ctx, x);
  if (!lu) return NULL;
  genc_array *y = genc__alloc(ctx, (genc_dtype)lu->dtype, x->ndim - 2, x->shape, x->n);
  if (!y || !y->bytes) return y;
  int64_t bad = ctx->bk->logdet(ctx->bst, (genc_dtype)lu->dtype, nbatch(lu),
                                lu->shape[lu->ndim - 1], lu->data, y->data);
  return bad < 0 ? y : linalg_fail(ctx, "logdet", "singular", x, bad);
}

/* d log|det A| = tr(A^-1 dA): Abar = g A^-T */
static genc_status logdet_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  genc_array *a = nd->in[0];
  int64_t shape[GENC_MAX_DIMS];
  for (int d = 0; d < a->ndim; d++)
    shape[d] = d < a->ndim - 2 ? a->shape[d] : 1;
  genc_array *gk = genc_reshape(ctx, g, a->ndim, shape);
  ic[0] = genc_mul(ctx, gk, mT(ctx, genc_inv(ctx, a)));
  return ic[0] ? GENC_OK : genc_ctx_status(ctx);
}

static const genc_prim logdet_prim = {"logdet", logdet_fwd, logdet_vjp};

genc_array *genc_logdet(genc_ctx *ctx, genc_array *a) {
  if (!genc__check_in(ctx, "logdet", 1, &a) || !check_square(ctx, "logdet", a)) return NULL;
  return genc__dispatch(ctx, &logdet_prim, 1, &a, NULL);
}

static genc_array *inv_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  (void)p;
  genc_array *x = in[0], *y = float_copy(ctx, x);
  if (!y || !y->bytes) return y;
  int64_t bad =
      ctx->bk->inv(ctx->bst, (genc_dtype)y->dtype, nbatch(y), y->shape[y->ndim - 1], y->data);
  return bad < 0 ? y : linalg_fail(ctx, "inv", "singular", x, bad);
}

/* d A^-1 = -A^-1 dA A^-1: Abar = -Y^T G Y^T */
static genc_status inv_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  genc_array *y = nd->out;
  ic[0] = genc_neg(ctx, mm(ctx, mm(ctx, y, g, true, false), y, false, true));
  return ic[0] ? GENC_OK : genc_ctx_status(ctx);
}

static const genc_prim inv_prim = {"inv", inv_fwd, inv_vjp};

genc_array *genc_inv(genc_ctx *ctx, genc_array *a) {
  if (!genc__check_in(ctx, "inv", 1, &a) || !check_square(ctx, "inv", a)) return NULL;
  return genc__dispatch(ctx, &inv_prim, 1, &a, NULL);
}
