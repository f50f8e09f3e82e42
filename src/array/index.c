/*
 * Indexing: slice, take, take_along, scatter_add, one_hot.
 *
 * take and scatter_add share one pair of primitives (flag = "along" selects
 * take_along's per-row indices). The public functions bring every case into a
 * form the gather/scatter kernels take directly: indices batched over particles
 * index axis 0 (the axis is moved to the front and back with permute), and
 * take_along works on its last axis with operands broadcast to one shape.
 * Those moves are ordinary recorded ops, so their gradients come for free.
 */
#include "array/internal.h"

#define ONE_HOT 1 /* params.op of the scatter that one_hot runs: names errors */

static int64_t prod(const int64_t *s, int from, int to) {
  int64_t p = 1;
  for (int d = from; d < to; d++)
    p *= s[d];
  return p;
}

/* The kernels report the position of a bad index; read it back for the message. */
static void index_fail(genc_ctx *ctx, const char *op, const genc_array *idx, int64_t pos, int axis,
                       int64_t len) {
  int32_t v = 0;
  ctx->bk->download(ctx->bst, &v, (const char *)idx->data + pos * 4, 4);
  genc_ctx_fail(ctx, GENC_ERR_ARG,
                "%s: index %d (at position %lld) out of range for axis %d of length %lld", op,
                (int)v, (long long)pos, axis, (long long)len);
}

static bool check_index(genc_ctx *ctx, const char *op, const genc_array *idx) {
  if (idx->dtype == GENC_I32) return true;
  genc_ctx_fail(ctx, GENC_ERR_DTYPE, "%s: indices must be i32, got %s", op,
                genc_dtype_name((genc_dtype)idx->dtype));
  return false;
}

/* ---- slice ---- */

static genc_array *slice_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  genc_array *x = in[0];
  int64_t shape[GENC_MAX_DIMS], start = p->i[0], len = p->i[1], step = p->i[2];
  for (int d = 0; d < x->ndim; d++)
    shape[d] = d == p->axis ? len : x->shape[d];
  genc_array *y = genc__alloc(ctx, (genc_dtype)x->dtype, x->ndim, shape, x->n);
  if (!y || !y->bytes) return y;
  int64_t xlen = x->shape[p->axis], inner = prod(x->shape, p->axis + 1, x->ndim);
  int64_t vs[3] = {(x->n ? x->n : 1) * prod(x->shape, 0, p->axis), len, inner};
  int64_t st[3] = {xlen * inner, step * inner, 1};
  size_t es = genc__esize((genc_dtype)x->dtype);
  ctx->bk->strided_copy(ctx->bst, es, (const char *)x->data + (size_t)(start * inner) * es, y->data,
                        3, vs, st);
  return y;
}

static genc_status slice_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  const genc_params *p = &nd->p;
  genc_array *idx = genc_array_arange(ctx, GENC_I32, (double)p->i[0],
                                      (double)(p->i[0] + p->i[1] * p->i[2]), (double)p->i[2]);
  ic[0] = genc_scatter_add(ctx, genc_array_zeros_like(ctx, nd->in[0]), idx, g, p->axis);
  return ic[0] ? GENC_OK : genc_ctx_status(ctx);
}

static const genc_prim slice_prim = {"slice", slice_fwd, slice_vjp};

genc_array *genc_slice(genc_ctx *ctx, genc_array *x, int axis, int64_t start, int64_t stop,
                       int64_t step) {
  if (!genc__check_in(ctx, "slice", 1, &x)) return NULL;
  int a = genc__axis(ctx, "slice", axis, x->ndim);
  if (a < 0) return NULL;
  if (step <= 0) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "slice: step %lld must be positive", (long long)step);
    return NULL;
  }
  /* Python's clamping, in an order that cannot overflow for any int64 bounds:
   * a negative bound plus n >= 0 stays in range, and the length is computed
   * without adding step */
  int64_t n = x->shape[a];
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  start = start < 0 ? 0 : start > n ? n : start;
  stop = stop < 0 ? 0 : stop > n ? n : stop;
  int64_t len = stop > start ? (stop - start - 1) / step + 1 : 0;
  if (len <= 1) step = 1; /* same elements; keeps step * inner in range */
  if (start == 0 && len == n && step == 1) return x;
  genc_params p = {.axis = a, .i = {start, len, step}};
  return genc__dispatch(ctx, &slice_prim, 1, &x, &p);
}

/* ---- gather / scatter primitives ----
 * in: x, idx (and upd for scatter). Not along: idx is shared, or batched with
 * p->axis == 0 and x (and upd) batched alike or x shared (gather only).
 * Along: the axis is the last, and x, idx (and upd) have one leading shape and
 * particle count. */

static void gather_plan(const genc_array *x, const genc_array *idx, const genc_params *p,
                        int64_t *outer, int64_t *inner, int64_t *nidx, int64_t *iouter) {
  int64_t px = x->n ? x->n : 1;
  *inner = prod(x->shape, p->axis + 1, x->ndim);
  if (p->flag) { /* along the last axis, one index row per outer row */
    *outer = px * prod(x->shape, 0, x->ndim - 1);
    *nidx = idx->ndim ? idx->shape[idx->ndim - 1] : 1;
    *iouter = *outer;
  } else if (!idx->n) {
    *outer = px * prod(x->shape, 0, p->axis);
    *nidx = idx->size;
    *iouter = 1;
  } else if (x->n) {
    *outer = x->n, *nidx = idx->size, *iouter = x->n;
  } else { /* shared x, batched indices on axis 0: one long row of indices */
    *outer = 1, *nidx = idx->n * idx->size, *iouter = 1;
  }
}

static genc_array *take_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  genc_array *x = in[0], *idx = in[1];
  int64_t shape[GENC_MAX_DIMS];
  int nd = 0;
  if (p->flag) {
    for (int d = 0; d < idx->ndim; d++)
      shape[nd++] = idx->shape[d];
  } else {
    for (int d = 0; d < p->axis; d++)
      shape[nd++] = x->shape[d];
    for (int d = 0; d < idx->ndim; d++)
      shape[nd++] = idx->shape[d];
    for (int d = p->axis + 1; d < x->ndim; d++)
      shape[nd++] = x->shape[d];
  }
  genc_array *y = genc__alloc(ctx, (genc_dtype)x->dtype, nd, shape, x->n ? x->n : idx->n);
  if (!y || !y->bytes) return y;
  int64_t outer, inner, nidx, iouter;
  gather_plan(x, idx, p, &outer, &inner, &nidx, &iouter);
  int64_t bad = ctx->bk->gather(ctx->bst, genc__esize((genc_dtype)x->dtype), x->data, idx->data,
                                y->data, outer, x->shape[p->axis], inner, nidx, iouter);
  if (bad >= 0) {
    index_fail(ctx, p->flag ? "take_along" : "take", idx, bad, p->axis, x->shape[p->axis]);
    return NULL;
  }
  return y;
}

static genc_array *scatter_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  genc_array *x = in[0], *idx = in[1], *upd = in[2];
  genc_array *y = genc__alloc_like(ctx, x, (genc_dtype)x->dtype);
  if (!y || !y->bytes) return y;
  ctx->bk->copy(ctx->bst, y->data, x->data, y->bytes);
  if (!upd->size) return y;
  int64_t outer, inner, nidx, iouter;
  gather_plan(x, idx, p, &outer, &inner, &nidx, &iouter);
  int64_t bad = ctx->bk->scatter_add(ctx->bst, (genc_dtype)x->dtype, y->data, idx->data, upd->data,
                                     outer, x->shape[p->axis], inner, nidx, iouter);
  if (bad >= 0) {
    index_fail(ctx, p->op == ONE_HOT ? "one_hot" : "scatter_add", idx, bad, p->axis,
               x->shape[p->axis]);
    return NULL;
  }
  return y;
}

static genc_status take_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic);
static genc_status scatter_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic);

static const genc_prim take_prim = {"take", take_fwd, take_vjp};
static const genc_prim scatter_prim = {"scatter_add", scatter_fwd, scatter_vjp};

static genc_status take_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  genc_array *z = genc_array_zeros_like(ctx, nd->in[0]);
  if (nd->p.flag) {
    genc_array *in[3] = {z, nd->in[1], g};
    ic[0] = z ? genc__dispatch(ctx, &scatter_prim, 3, in, &nd->p) : NULL;
  } else {
    ic[0] = genc_scatter_add(ctx, z, nd->in[1], g, nd->p.axis);
  }
  return ic[0] ? GENC_OK : genc_ctx_status(ctx);
}

static genc_status scatter_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  ic[0] = g;
  if (nd->p.flag) {
    genc_array *in[2] = {g, nd->in[1]};
    ic[2] = genc__dispatch(ctx, &take_prim, 2, in, &nd->p);
  } else {
    ic[2] = genc_take(ctx, g, nd->in[1], nd->p.axis);
  }
  return ic[2] ? GENC_OK : genc_ctx_status(ctx);
}

/* Permutation moving axis a of a rank-nd array to the front (fwd) and back. */
static void front_perm(int nd, int a, int *fwd, int *back) {
  fwd[0] = a;
  for (int d = 0, k = 1; d < nd; d++)
    if (d != a) fwd[k++] = d;
  for (int d = 0; d < nd; d++)
    back[fwd[d]] = d;
}

/* Permutation that moves a block of q axes starting at `from` to position `to`. */
static void block_perm(int nd, int q, int from, int to, int *perm) {
  int rest[GENC_MAX_DIMS], nr = 0;
  for (int d = 0; d < nd; d++)
    if (d < from || d >= from + q) rest[nr++] = d;
  for (int d = 0, r = 0; d < nd; d++)
    perm[d] = d >= to && d < to + q ? from + (d - to) : rest[r++];
}

genc_array *genc_take(genc_ctx *ctx, genc_array *x, genc_array *idx, int axis) {
  genc_array *in[2] = {x, idx};
  if (!genc__check_in(ctx, "take", 2, in) || !check_index(ctx, "take", idx)) return NULL;
  int a = genc__axis(ctx, "take", axis, x->ndim);
  if (a < 0 || genc__join_particles(ctx, "take", 2, in) < 0) return NULL;
  int nd = x->ndim - 1 + idx->ndim;
  if (nd > GENC_MAX_DIMS) {
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "take: the result would have %d dims (at most %d)", nd,
                  GENC_MAX_DIMS);
    return NULL;
  }
  genc_params p = {.axis = a};
  if (!idx->n || a == 0) return genc__dispatch(ctx, &take_prim, 2, in, &p);
  /* per-particle indices on an inner axis: move it to the front and back */
  int fwd[GENC_MAX_DIMS], back[GENC_MAX_DIMS], perm[GENC_MAX_DIMS];
  front_perm(x->ndim, a, fwd, back);
  in[0] = genc_permute(ctx, x, x->ndim, fwd);
  genc_array *r = in[0] ? genc__dispatch(ctx, &take_prim, 2, in, &(genc_params){.axis = 0}) : NULL;
  block_perm(nd, idx->ndim, 0, a, perm);
  return r ? genc_permute(ctx, r, nd, perm) : NULL;
}

/* Shape the updates of scatter_add(x, idx, ., a) must broadcast to. */
static int upd_shape(const genc_array *x, const genc_array *idx, int a, int64_t *s) {
  int nd = 0;
  for (int d = 0; d < a; d++)
    s[nd++] = x->shape[d];
  for (int d = 0; d < idx->ndim; d++)
    s[nd++] = idx->shape[d];
  for (int d = a + 1; d < x->ndim; d++)
    s[nd++] = x->shape[d];
  return nd;
}

static bool fits(const genc_array *u, int nd, const int64_t *s) {
  if (u->ndim > nd) return false;
  for (int d = 0; d < u->ndim; d++) {
    int64_t us = u->shape[d], ts = s[nd - u->ndim + d];
    if (us != ts && us != 1) return false;
  }
  return true;
}

static genc_array *to_particles(genc_ctx *ctx, genc_array *a, int64_t np) {
  return a && np && !a->n ? genc_particle_broadcast(ctx, a, np) : a;
}

genc_array *genc_scatter_add(genc_ctx *ctx, genc_array *x, genc_array *idx, genc_array *upd,
                             int axis) {
  genc_array *in[3] = {x, idx, upd};
  if (!genc__check_in(ctx, "scatter_add", 3, in) || !check_index(ctx, "scatter_add", idx))
    return NULL;
  int a = genc__axis(ctx, "scatter_add", axis, x->ndim);
  int64_t np = a < 0 ? -1 : genc__join_particles(ctx, "scatter_add", 3, in);
  if (np < 0) return NULL;
  int64_t us[GENC_MAX_DIMS];
  int nd = upd_shape(x, idx, a, us);
  if (nd > GENC_MAX_DIMS || !fits(upd, nd, us)) {
    char b1[128], b2[128], b3[128];
    genc_ctx_fail(ctx, GENC_ERR_SHAPE,
                  "scatter_add: updates %s do not fit array %s indexed by %s on axis %d",
                  genc__shape_str(upd, b1, sizeof b1), genc__shape_str(x, b2, sizeof b2),
                  genc__shape_str(idx, b3, sizeof b3), a);
    return NULL;
  }
  if (upd->dtype != x->dtype) upd = genc_astype(ctx, upd, (genc_dtype)x->dtype);
  if (upd && (upd->ndim != nd || upd->size != prod(us, 0, nd)))
    upd = genc_broadcast_to(ctx, upd, nd, us);
  in[0] = to_particles(ctx, x, np);
  in[2] = to_particles(ctx, upd, np);
  if (!in[0] || !in[2]) return NULL;
  if (!idx->n || a == 0)
    return genc__dispatch(ctx, &scatter_prim, 3, in, &(genc_params){.axis = a});
  int fwd[GENC_MAX_DIMS], back[GENC_MAX_DIMS], perm[GENC_MAX_DIMS];
  front_perm(x->ndim, a, fwd, back);
  block_perm(nd, idx->ndim, a, 0, perm);
  in[0] = genc_permute(ctx, in[0], x->ndim, fwd);
  in[2] = genc_permute(ctx, in[2], nd, perm);
  if (!in[0] || !in[2]) return NULL;
  genc_array *r = genc__dispatch(ctx, &scatter_prim, 3, in, &(genc_params){.axis = 0});
  return r ? genc_permute(ctx, r, x->ndim, back) : NULL;
}

/* ---- take_along ---- */

/* Broadcast x to lead + [last] over np particles (recorded ops). */
static genc_array *lead_to(genc_ctx *ctx, genc_array *x, int nl, const int64_t *lead, int64_t np) {
  int64_t s[GENC_MAX_DIMS];
  for (int d = 0; d < nl; d++)
    s[d] = lead[d];
  s[nl] = x->shape[x->ndim - 1];
  genc_array *y =
      x->ndim == nl + 1 && x->size == prod(s, 0, nl + 1) ? x : genc_broadcast_to(ctx, x, nl + 1, s);
  return to_particles(ctx, y, np);
}

static genc_array *take_along_last(genc_ctx *ctx, genc_array *x, genc_array *idx) {
  genc_array *pair[2] = {x, idx};
  int nl = x->ndim - 1;
  int64_t lead[GENC_MAX_DIMS];
  for (int d = 0; d < nl; d++) {
    int64_t xs = x->shape[d], is = idx->shape[d];
    if (xs != is && xs != 1 && is != 1) {
      char b1[128], b2[128];
      genc_ctx_fail(ctx, GENC_ERR_SHAPE, "take_along: shapes %s and %s do not broadcast",
                    genc__shape_str(x, b1, sizeof b1), genc__shape_str(idx, b2, sizeof b2));
      return NULL;
    }
    lead[d] = xs == 1 ? is : xs;
  }
  int64_t np = genc__join_particles(ctx, "take_along", 2, pair);
  if (np < 0) return NULL;
  pair[0] = lead_to(ctx, x, nl, lead, np);
  pair[1] = lead_to(ctx, idx, nl, lead, np);
  if (!pair[0] || !pair[1]) return NULL;
  genc_params p = {.axis = nl, .flag = true};
  return genc__dispatch(ctx, &take_prim, 2, pair, &p);
}

genc_array *genc_take_along(genc_ctx *ctx, genc_array *x, genc_array *idx, int axis) {
  genc_array *in[2] = {x, idx};
  if (!genc__check_in(ctx, "take_along", 2, in) || !check_index(ctx, "take_along", idx))
    return NULL;
  int a = genc__axis(ctx, "take_along", axis, x->ndim);
  if (a < 0) return NULL;
  if (idx->ndim != x->ndim) {
    char b1[128], b2[128];
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "take_along: indices %s and array %s differ in rank",
                  genc__shape_str(idx, b1, sizeof b1), genc__shape_str(x, b2, sizeof b2));
    return NULL;
  }
  int last = x->ndim - 1;
  if (a == last) return take_along_last(ctx, x, idx);
  int perm[GENC_MAX_DIMS]; /* swap axis a and the last: its own inverse */
  for (int d = 0; d < x->ndim; d++)
    perm[d] = d == a ? last : d == last ? a : d;
  genc_array *r = take_along_last(ctx, genc_permute(ctx, x, x->ndim, perm),
                                  genc_permute(ctx, idx, x->ndim, perm));
  return r ? genc_permute(ctx, r, x->ndim, perm) : NULL;
}

/* ---- one_hot ---- */

genc_array *genc_one_hot(genc_ctx *ctx, genc_array *idx, int64_t depth) {
  if (!genc__check_in(ctx, "one_hot", 1, &idx)) return NULL;
  if (idx->dtype == GENC_BOOL) idx = genc__cast_raw(ctx, idx, GENC_I32);
  if (!idx || !check_index(ctx, "one_hot", idx)) return NULL;
  if (depth <= 0 || idx->ndim == GENC_MAX_DIMS) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "one_hot: depth %lld for indices of rank %d", (long long)depth,
                  idx->ndim);
    return NULL;
  }
  /* scatter ones along a new last axis: the kernel checks the range */
  int64_t s[GENC_MAX_DIMS];
  for (int d = 0; d < idx->ndim; d++)
    s[d] = idx->shape[d];
  s[idx->ndim] = 1;
  genc_array *col = genc_reshape(ctx, genc_stop_gradient(ctx, idx), idx->ndim + 1, s);
  genc_array *ones = genc_array_ones(ctx, GENC_F64, idx->ndim + 1, s, idx->n);
  s[idx->ndim] = depth;
  const char *old = genc__op_enter(ctx, "one_hot");
  genc_array *z = genc_array_zeros(ctx, GENC_F64, idx->ndim + 1, s, idx->n);
  ctx->op = old;
  if (!col || !ones || !z) return NULL;
  genc_array *in[3] = {z, col, ones};
  genc_params p = {.op = ONE_HOT, .axis = idx->ndim, .flag = true};
  return genc__dispatch(ctx, &scatter_prim, 3, in, &p);
}
