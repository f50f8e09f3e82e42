/* Layout ops: permute/transpose, expand_dims/squeeze, concat/stack. */
#include "array/internal.h"

static void logical_strides(const genc_array *x, int64_t *st) {
  int64_t s = 1;
  for (int d = x->ndim - 1; d >= 0; d--) {
    st[d] = s;
    s *= x->shape[d];
  }
}

/* ---- permute ---- */

static genc_array *permute_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  genc_array *x = in[0];
  int64_t shape[GENC_MAX_DIMS], st[GENC_MAX_DIMS], ps[GENC_PDIMS], xs[GENC_PDIMS];
  logical_strides(x, st);
  ps[0] = x->n ? x->n : 1;
  xs[0] = x->size;
  for (int i = 0; i < x->ndim; i++) {
    shape[i] = ps[i + 1] = x->shape[p->axes[i]];
    xs[i + 1] = st[p->axes[i]];
  }
  genc_array *y = genc__alloc(ctx, (genc_dtype)x->dtype, x->ndim, shape, x->n);
  if (y && y->bytes)
    ctx->bk->strided_copy(ctx->bst, genc__esize((genc_dtype)x->dtype), x->data, y->data,
                          x->ndim + 1, ps, xs);
  return y;
}

static genc_status permute_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  int inv[GENC_MAX_DIMS];
  for (int i = 0; i < nd->p.ndim; i++)
    inv[nd->p.axes[i]] = i;
  ic[0] = genc_permute(ctx, g, nd->p.ndim, inv);
  return ic[0] ? GENC_OK : genc_ctx_status(ctx);
}

static const genc_prim permute_prim = {"permute", permute_fwd, permute_vjp};

genc_array *genc_permute(genc_ctx *ctx, genc_array *x, int ndim, const int *perm) {
  if (!genc__check_in(ctx, "permute", 1, &x)) return NULL;
  if (ndim != x->ndim || (ndim && !perm)) {
    genc_ctx_fail(ctx, GENC_ERR_AXIS, "permute: %d axes given for an array of rank %d", ndim,
                  x->ndim);
    return NULL;
  }
  genc_params p = {.ndim = ndim};
  bool seen[GENC_MAX_DIMS] = {0}, identity = true;
  for (int i = 0; i < ndim; i++) {
    int a = genc__axis(ctx, "permute", perm[i], ndim);
    if (a < 0) return NULL;
    if (seen[a]) {
      genc_ctx_fail(ctx, GENC_ERR_AXIS, "permute: axis %d given twice", a);
      return NULL;
    }
    seen[a] = true;
    p.axes[i] = a;
    identity = identity && a == i;
  }
  if (identity) return x;
  return genc__dispatch(ctx, &permute_prim, 1, &x, &p);
}

genc_array *genc_transpose(genc_ctx *ctx, genc_array *x) {
  if (!genc__check_in(ctx, "transpose", 1, &x)) return NULL;
  int perm[GENC_MAX_DIMS];
  for (int i = 0; i < x->ndim; i++)
    perm[i] = x->ndim - 1 - i;
  return genc_permute(ctx, x, x->ndim, perm);
}

/* ---- expand_dims / squeeze (views through reshape) ---- */

genc_array *genc_expand_dims(genc_ctx *ctx, genc_array *x, int axis) {
  if (!genc__check_in(ctx, "expand_dims", 1, &x)) return NULL;
  if (x->ndim == GENC_MAX_DIMS) {
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "expand_dims: the array already has %d dims", GENC_MAX_DIMS);
    return NULL;
  }
  int a = genc__axis(ctx, "expand_dims", axis, x->ndim + 1);
  if (a < 0) return NULL;
  int64_t shape[GENC_MAX_DIMS];
  for (int d = 0, k = 0; d <= x->ndim; d++)
    shape[d] = d == a ? 1 : x->shape[k++];
  return genc_reshape(ctx, x, x->ndim + 1, shape);
}

genc_array *genc_squeeze(genc_ctx *ctx, genc_array *x, int axis) {
  if (!genc__check_in(ctx, "squeeze", 1, &x)) return NULL;
  int a = -1;
  if (axis != GENC_ALL_AXES && (a = genc__axis(ctx, "squeeze", axis, x->ndim)) < 0) return NULL;
  if (a >= 0 && x->shape[a] != 1) {
    char b[128];
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "squeeze: axis %d of %s has size %lld, not 1", a,
                  genc__shape_str(x, b, sizeof b), (long long)x->shape[a]);
    return NULL;
  }
  int64_t shape[GENC_MAX_DIMS];
  int nd = 0;
  for (int d = 0; d < x->ndim; d++)
    if (!(x->shape[d] == 1 && (a < 0 || d == a))) shape[nd++] = x->shape[d];
  return genc_reshape(ctx, x, nd, shape);
}

/* ---- concat ---- */

/*
 * The concat axis is moved in front of the particle axis, where each input is
 * one contiguous block that strided_copy can write directly; one more strided
 * copy moves the axis back. When nothing precedes the axis (axis 0 of shared
 * arrays) the blocks already are the output.
 */
static genc_array *concat_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  int n = p->naxes, ax = p->axis + 1; /* physical axis */
  genc_array *x0 = in[0];
  int64_t np = genc__join_particles(ctx, "concat", n, in);
  int64_t shape[GENC_MAX_DIMS], total = 0;
  for (int k = 0; k < n; k++)
    if (__builtin_add_overflow(total, in[k]->shape[p->axis], &total)) {
      genc_ctx_fail(ctx, GENC_ERR_SHAPE, "concat: the joined length of axis %d overflows int64",
                    p->axis);
      return NULL;
    }
  for (int d = 0; d < x0->ndim; d++)
    shape[d] = d == p->axis ? total : x0->shape[d];
  genc_array *y = genc__alloc(ctx, (genc_dtype)x0->dtype, x0->ndim, shape, np);
  if (!y || !y->bytes) return y;
  size_t es = genc__esize((genc_dtype)x0->dtype);
  int pnd;
  int64_t ps[GENC_PDIMS], ord[GENC_PDIMS], outer = 1;
  genc__phys_shape(y, &pnd, ps);
  for (int d = 0; d < ax; d++)
    outer *= ps[d];
  ord[0] = ax; /* temp layout: the concat axis first, the others in order */
  for (int d = 0, k = 1; d < pnd; d++)
    if (d != ax) ord[k++] = d;
  char *tmp = outer == 1 ? y->data : ctx->bk->alloc(ctx->bst, y->bytes);
  if (!tmp) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "concat: out of memory for %zu bytes", y->bytes);
    return NULL;
  }
  int64_t rest = y->size * (np ? np : 1) / total, off = 0;
  for (int k = 0; k < n; k++) {
    int64_t xps[GENC_PDIMS], xst[GENC_PDIMS], ts[GENC_PDIMS], tst[GENC_PDIMS];
    int xnd;
    genc__phys_shape(in[k], &xnd, xps);
    int64_t s = 1;
    for (int d = xnd - 1; d >= 0; d--) {
      bool rep = d == 0 && !in[k]->n; /* a shared input repeats over particles */
      xst[d] = rep ? 0 : s;
      s *= rep ? 1 : xps[d];
    }
    for (int d = 0; d < pnd; d++) {
      ts[d] = d == 0 ? xps[ax] : ps[ord[d]];
      tst[d] = xst[ord[d]];
    }
    ctx->bk->strided_copy(ctx->bst, es, in[k]->data, tmp + (size_t)(off * rest) * es, pnd, ts, tst);
    off += xps[ax];
  }
  if (outer != 1) {
    int64_t tstride[GENC_PDIMS], back[GENC_PDIMS], s = 1;
    for (int d = pnd - 1; d >= 0; d--) {
      tstride[d] = s;
      s *= ps[ord[d]];
    }
    for (int d = 0; d < pnd; d++)
      back[ord[d]] = tstride[d];
    ctx->bk->strided_copy(ctx->bst, es, tmp, y->data, pnd, ps, back);
    ctx->bk->free(ctx->bst, tmp, y->bytes);
  }
  return y;
}

static genc_status concat_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  int64_t off = 0;
  for (int k = 0; k < nd->nin; k++) {
    int64_t len = nd->in[k]->shape[nd->p.axis];
    ic[k] = genc_slice(ctx, g, nd->p.axis, off, off + len, 1);
    if (!ic[k]) return genc_ctx_status(ctx);
    off += len;
  }
  return GENC_OK;
}

static const genc_prim concat_prim = {"concat", concat_fwd, concat_vjp};

static int dtype_rank(genc_dtype d) {
  return d == GENC_BOOL ? 0 : d == GENC_I32 ? 1 : d == GENC_F32 ? 2 : 3;
}

static bool concat_check(genc_ctx *ctx, const char *op, int n, genc_array *const *xs, int axis) {
  for (int k = 1; k < n; k++) {
    bool ok = xs[k]->ndim == xs[0]->ndim;
    for (int d = 0; ok && d < xs[0]->ndim; d++)
      ok = d == axis || xs[k]->shape[d] == xs[0]->shape[d];
    if (!ok) {
      char b1[128], b2[128];
      genc_ctx_fail(ctx, GENC_ERR_SHAPE, "%s: shapes %s and %s differ outside axis %d", op,
                    genc__shape_str(xs[0], b1, sizeof b1), genc__shape_str(xs[k], b2, sizeof b2),
                    axis);
      return false;
    }
  }
  return genc__join_particles(ctx, op, n, xs) >= 0;
}

/* Concat of <= GENC_MAX_INPUTS validated arrays of one dtype. */
static genc_array *concat_small(genc_ctx *ctx, int n, genc_array *const *xs, int axis) {
  if (n == 1) return xs[0];
  genc_params p = {.axis = axis, .naxes = n};
  return genc__dispatch(ctx, &concat_prim, n, xs, &p);
}

genc_array *genc_concat(genc_ctx *ctx, int n, genc_array *const *xs, int axis) {
  if (n <= 0 || !xs) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "concat: needs at least one array (got %d)", n);
    return NULL;
  }
  if (!genc__check_in(ctx, "concat", n, xs)) return NULL;
  int a = genc__axis(ctx, "concat", axis, xs[0]->ndim);
  if (a < 0 || !concat_check(ctx, "concat", n, xs, a)) return NULL;
  genc_dtype dt = (genc_dtype)xs[0]->dtype;
  for (int k = 1; k < n; k++)
    if (dtype_rank((genc_dtype)xs[k]->dtype) > dtype_rank(dt)) dt = (genc_dtype)xs[k]->dtype;
  /* a tape node holds at most GENC_MAX_INPUTS inputs: join in groups */
  genc_array *level[GENC_MAX_INPUTS];
  genc_array *acc = NULL;
  for (int k = 0; k < n;) {
    int m = 0;
    if (acc) level[m++] = acc;
    for (; m < GENC_MAX_INPUTS && k < n; k++) {
      level[m] = xs[k]->dtype == dt ? xs[k] : genc_astype(ctx, xs[k], dt);
      if (!level[m++]) return NULL;
    }
    acc = concat_small(ctx, m, level, a);
    if (!acc) return NULL;
  }
  return acc;
}

genc_array *genc_stack(genc_ctx *ctx, int n, genc_array *const *xs, int axis) {
  if (n <= 0 || !xs) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "stack: needs at least one array (got %d)", n);
    return NULL;
  }
  if (!genc__check_in(ctx, "stack", n, xs)) return NULL;
  for (int k = 1; k < n; k++) {
    bool ok = xs[k]->ndim == xs[0]->ndim;
    for (int d = 0; ok && d < xs[0]->ndim; d++)
      ok = xs[k]->shape[d] == xs[0]->shape[d];
    if (!ok) {
      char b1[128], b2[128];
      genc_ctx_fail(ctx, GENC_ERR_SHAPE, "stack: shapes %s and %s differ",
                    genc__shape_str(xs[0], b1, sizeof b1), genc__shape_str(xs[k], b2, sizeof b2));
      return NULL;
    }
  }
  if (xs[0]->ndim == GENC_MAX_DIMS) {
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "stack: the arrays already have %d dims", GENC_MAX_DIMS);
    return NULL;
  }
  int a = genc__axis(ctx, "stack", axis, xs[0]->ndim + 1);
  if (a < 0 || genc__join_particles(ctx, "stack", n, xs) < 0) return NULL;
  int64_t mark = genc_scope_begin(ctx);
  genc_array *r = NULL;
  /* expand and join in groups, so no host buffer of n arrays is needed */
  genc_array *level[GENC_MAX_INPUTS];
  for (int k = 0; k < n;) {
    int m = 0;
    if (r) level[m++] = r;
    for (; m < GENC_MAX_INPUTS && k < n; k++)
      if (!(level[m++] = genc_expand_dims(ctx, xs[k], a))) break;
    r = level[m - 1] ? genc_concat(ctx, m, level, a) : NULL;
    if (!r) break;
  }
  genc_scope_end_keep(ctx, mark, &r, r ? 1 : 0);
  return r;
}
