/* Scans along one logical axis (cumsum, cumlogsumexp) and searchsorted. */
#include <math.h>

#include "array/internal.h"

static int64_t prod(const int64_t *s, int from, int to) {
  int64_t p = 1;
  for (int d = from; d < to; d++)
    p *= s[d];
  return p;
}

/* ---- cumsum / cumlogsumexp ---- */

static genc_array *scan_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  genc_reduce_op op = (genc_reduce_op)p->op;
  genc_dtype dt = (genc_dtype)in[0]->dtype;
  if (op == GENC_RLOGSUMEXP && !genc__is_float(dt)) dt = GENC_F64;
  if (dt == GENC_BOOL) dt = GENC_I32;
  genc_array *x = genc__cast_raw(ctx, in[0], dt);
  genc_array *y = x ? genc__alloc_like(ctx, x, dt) : NULL;
  if (!y || !y->bytes) return y;
  int64_t outer = (x->n ? x->n : 1) * prod(x->shape, 0, p->axis);
  ctx->bk->scan(ctx->bst, op, dt, x->data, y->data, outer, x->shape[p->axis],
                prod(x->shape, p->axis + 1, x->ndim));
  return y;
}

/* x reversed along axis (a gather with descending indices). */
static genc_array *flip(genc_ctx *ctx, genc_array *x, int axis) {
  if (!x) return NULL;
  int64_t n = x->shape[axis];
  genc_array *idx = genc_array_arange(ctx, GENC_I32, (double)(n - 1), -1.0, -1.0);
  return genc_take(ctx, x, idx, axis);
}

/* sum_{i >= j} along axis */
static genc_array *rev_cumsum(genc_ctx *ctx, genc_array *g, int axis) {
  return flip(ctx, genc_cumsum(ctx, flip(ctx, g, axis), axis), axis);
}

static genc_array *rev_cumlse(genc_ctx *ctx, genc_array *g, int axis) {
  return flip(ctx, genc_cumlogsumexp(ctx, flip(ctx, g, axis), axis), axis);
}

/*
 * y_i = log sum_{j<=i} e^{x_j}, so dx_j = sum_{i>=j} g_i e^{x_j - y_i}. Each term
 * is at most |g_i| (x_j <= y_j <= y_i), but e^{x_j} and e^{-y_i} alone can
 * overflow: the positive and negative parts of g are summed in log space,
 * dx_j = e^{x_j + R+_j} - e^{x_j + R-_j}, R+-_j = log sum_{i>=j} g+-_i e^{-y_i}.
 */
static genc_array *cumlse_vjp_of(genc_ctx *ctx, genc_array *x, genc_array *y, genc_array *g,
                                 int axis) {
  genc_array *gp = genc_maximum(ctx, g, 0.0), *gn = genc_maximum(ctx, genc_neg(ctx, g), 0.0);
  /* y_i = -inf only after inputs that are all -inf: drop those terms (they
   * would be -inf - -inf = NaN), which gives such inputs a zero gradient */
  y = genc_where(ctx, genc_eq(ctx, y, -INFINITY), INFINITY, y);
  genc_array *rp = rev_cumlse(ctx, genc_sub(ctx, genc_log(ctx, gp), y), axis);
  genc_array *rn = rev_cumlse(ctx, genc_sub(ctx, genc_log(ctx, gn), y), axis);
  return genc_sub(ctx, genc_exp(ctx, genc_add(ctx, x, rp)), genc_exp(ctx, genc_add(ctx, x, rn)));
}

static genc_status scan_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  int axis = nd->p.axis;
  if (nd->p.op == GENC_RSUM)
    ic[0] = rev_cumsum(ctx, g, axis);
  else
    ic[0] = cumlse_vjp_of(ctx, nd->in[0], nd->out, g, axis);
  return ic[0] ? GENC_OK : genc_ctx_status(ctx);
}

static const genc_prim scan_prim = {"scan", scan_fwd, scan_vjp};

static genc_array *scan(genc_ctx *ctx, const char *name, genc_reduce_op op, genc_array *x,
                        int axis) {
  if (!genc__check_in(ctx, name, 1, &x)) return NULL;
  int a = genc__axis(ctx, name, axis, x->ndim);
  if (a < 0) return NULL;
  genc_params p = {.op = op, .axis = a};
  return genc__dispatch(ctx, &scan_prim, 1, &x, &p);
}

genc_array *genc_cumsum(genc_ctx *ctx, genc_array *x, int axis) {
  return scan(ctx, "cumsum", GENC_RSUM, x, axis);
}

genc_array *genc_cumlogsumexp(genc_ctx *ctx, genc_array *x, int axis) {
  return scan(ctx, "cumlogsumexp", GENC_RLOGSUMEXP, x, axis);
}

/* ---- searchsorted ---- */

/* in: sorted [lead, len], v [lead, m] (or v's lead all ones and shared: one row
 * for all, flag2), both of one dtype; out i32. p->i[0] = m, p->flag = right,
 * p->ndim/shape = output shape. */
static genc_array *ss_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  genc_array *s = in[0], *v = in[1];
  int64_t np = s->n ? s->n : v->n;
  genc_array *y = genc__alloc(ctx, GENC_I32, p->ndim, p->shape, np);
  if (!y || !y->bytes) return y;
  int64_t len = s->shape[s->ndim - 1], m = p->i[0], outer = y->size * (np ? np : 1) / m;
  int64_t srow = s->size == len && !s->n ? 0 : len, vrow = v->size == m && !v->n ? 0 : m;
  ctx->bk->searchsorted(ctx->bst, (genc_dtype)s->dtype, s->data, srow, len, v->data, vrow, y->data,
                        outer, m, p->flag);
  return y;
}

static const genc_prim ss_prim = {"searchsorted", ss_fwd, NULL};

static int dtype_rank(genc_dtype d) {
  return d == GENC_BOOL ? 0 : d == GENC_I32 ? 1 : d == GENC_F32 ? 2 : 3;
}

/* Broadcast a to lead + [last] and to np particles, unless it is one shared row. */
static genc_array *ss_operand(genc_ctx *ctx, genc_array *a, int nl, const int64_t *lead,
                              int64_t last, int64_t np) {
  if (!a->n && a->size == last) return a; /* one row serves every output row */
  int64_t s[GENC_MAX_DIMS];
  for (int d = 0; d < nl; d++)
    s[d] = lead[d];
  s[nl] = last;
  if (a->ndim != nl + 1 || a->size != prod(s, 0, nl + 1)) a = genc_broadcast_to(ctx, a, nl + 1, s);
  return a && np && !a->n ? genc_particle_broadcast(ctx, a, np) : a;
}

genc_array *genc_searchsorted(genc_ctx *ctx, genc_array *sorted, genc_array *v, bool right) {
  genc_array *in[2] = {sorted, v};
  if (!genc__check_in(ctx, "searchsorted", 2, in)) return NULL;
  if (sorted->ndim == 0) {
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "searchsorted: the sorted array must have an axis");
    return NULL;
  }
  int64_t np = genc__join_particles(ctx, "searchsorted", 2, in), one = 1;
  if (np < 0) return NULL;
  genc_array *v1 = v->ndim ? v : genc_reshape(ctx, v, 1, &one); /* a 0-d query is one row */
  if (!v1) return NULL;
  /* leading shapes: sorted[:-1] against v[:-1], right-aligned */
  int ls = sorted->ndim - 1, lv = v1->ndim - 1, nl = ls > lv ? ls : lv;
  int64_t lead[GENC_MAX_DIMS], m = v1->shape[lv];
  for (int d = 0; d < nl; d++) {
    int64_t a = d - (nl - ls) >= 0 ? sorted->shape[d - (nl - ls)] : 1;
    int64_t b = d - (nl - lv) >= 0 ? v1->shape[d - (nl - lv)] : 1;
    if (a != b && a != 1 && b != 1) {
      char b1[128], b2[128];
      genc_ctx_fail(ctx, GENC_ERR_SHAPE, "searchsorted: sorted %s and values %s do not broadcast",
                    genc__shape_str(sorted, b1, sizeof b1), genc__shape_str(v, b2, sizeof b2));
      return NULL;
    }
    lead[d] = a == 1 ? b : a;
  }
  genc_dtype dt = dtype_rank((genc_dtype)sorted->dtype) > dtype_rank((genc_dtype)v->dtype)
                      ? (genc_dtype)sorted->dtype
                      : (genc_dtype)v->dtype;
  if (dt == GENC_BOOL) dt = GENC_I32;
  genc_params p = {.i = {m}, .flag = right, .ndim = nl + (v->ndim ? 1 : 0)};
  for (int d = 0; d < nl; d++)
    p.shape[d] = lead[d];
  if (v->ndim) p.shape[nl] = m;
  int64_t len = sorted->shape[ls];
  if (m == 0 || len == 0 || prod(lead, 0, nl) == 0) /* nothing to search: all at 0 */
    return genc_array_zeros(ctx, GENC_I32, p.ndim, p.shape, np);
  /* not differentiable, so the broadcasts below are never recorded for it */
  genc_array *ops[2] = {genc__cast_raw(ctx, sorted, dt), genc__cast_raw(ctx, v1, dt)};
  if (ops[0]) ops[0] = ss_operand(ctx, ops[0], nl, lead, len, np);
  if (ops[1]) ops[1] = ss_operand(ctx, ops[1], nl, lead, m, np);
  if (!ops[0] || !ops[1]) return NULL;
  return genc__dispatch(ctx, &ss_prim, 2, ops, &p);
}
