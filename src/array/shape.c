/* Reshape and broadcast: the shape ops autodiff itself relies on. */
#include "array/internal.h"

static genc_array *reshape_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  genc_array *x = in[0], *y = genc__alloc(ctx, (genc_dtype)x->dtype, p->ndim, p->shape, x->n);
  if (y && y->bytes) ctx->bk->copy(ctx->bst, y->data, x->data, y->bytes);
  return y;
}

static genc_status reshape_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  ic[0] = genc_reshape(ctx, g, nd->in[0]->ndim, nd->in[0]->shape);
  return ic[0] ? GENC_OK : genc_ctx_status(ctx);
}

static const genc_prim reshape_prim = {"reshape", reshape_fwd, reshape_vjp};

genc_array *genc_reshape(genc_ctx *ctx, genc_array *x, int ndim, const int64_t *shape) {
  if (!genc__check_in(ctx, "reshape", 1, &x)) return NULL;
  if (ndim < 0 || ndim > GENC_MAX_DIMS || (ndim && !shape)) {
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "reshape: rank %d outside 0..%d", ndim, GENC_MAX_DIMS);
    return NULL;
  }
  genc_params p = {.ndim = ndim};
  int infer = -1;
  int64_t known = 1;
  for (int d = 0; d < ndim; d++) {
    p.shape[d] = shape[d];
    if (shape[d] == -1 && infer < 0)
      infer = d;
    else if (shape[d] < 0) {
      genc_ctx_fail(ctx, GENC_ERR_SHAPE, "reshape: bad dimension %lld", (long long)shape[d]);
      return NULL;
    } else if (__builtin_mul_overflow(known, shape[d], &known)) {
      genc_ctx_fail(ctx, GENC_ERR_SHAPE, "reshape: the product of the new shape overflows int64");
      return NULL;
    }
  }
  if (infer >= 0 && known > 0 && x->size % known == 0) p.shape[infer] = x->size / known;
  int64_t size = 1; /* cannot overflow: known did not, and the inferred dim divides */
  for (int d = 0; d < ndim; d++)
    size *= p.shape[d];
  if (size != x->size || (infer >= 0 && p.shape[infer] < 0)) {
    char b[128];
    genc_ctx_fail(ctx, GENC_ERR_SHAPE,
                  "reshape: cannot view %s (%lld elements) with %d dims of %lld elements",
                  genc__shape_str(x, b, sizeof b), (long long)x->size, ndim, (long long)size);
    return NULL;
  }
  return genc__dispatch(ctx, &reshape_prim, 1, &x, &p);
}

/* Copy x into out, broadcasting x's physical shape against out's. */
static void broadcast_copy(genc_ctx *ctx, const genc_array *x, genc_array *out) {
  int pnd;
  int64_t ps[GENC_PDIMS], xs[GENC_PDIMS];
  genc__phys_shape(out, &pnd, ps);
  int off = out->ndim - x->ndim;
  int64_t s = 1;
  for (int d = pnd - 1; d >= 0; d--) {
    int64_t dim = d == 0 ? (x->n ? x->n : 1) : (d - 1 - off >= 0 ? x->shape[d - 1 - off] : 1);
    xs[d] = dim == 1 ? 0 : s;
    s *= dim;
  }
  ctx->bk->strided_copy(ctx->bst, genc__esize((genc_dtype)x->dtype), x->data, out->data, pnd, ps,
                        xs);
}

static genc_array *bcast_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  genc_array *x = in[0];
  int64_t n = p->i[0] ? p->i[0] : x->n;
  genc_array *y = genc__alloc(ctx, (genc_dtype)x->dtype, p->ndim, p->shape, n);
  if (y && y->bytes) broadcast_copy(ctx, x, y);
  return y;
}

static genc_status bcast_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  (void)ctx, (void)nd;
  ic[0] = g; /* the tape sums it back down to the input's shape */
  return GENC_OK;
}

static const genc_prim bcast_prim = {"broadcast", bcast_fwd, bcast_vjp};

genc_array *genc_broadcast_to(genc_ctx *ctx, genc_array *x, int ndim, const int64_t *shape) {
  if (!genc__check_in(ctx, "broadcast_to", 1, &x)) return NULL;
  if (ndim < x->ndim || ndim > GENC_MAX_DIMS || (ndim && !shape)) {
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "broadcast_to: cannot broadcast rank %d to rank %d", x->ndim,
                  ndim);
    return NULL;
  }
  genc_params p = {.ndim = ndim};
  for (int d = 0; d < ndim; d++) {
    p.shape[d] = shape[d];
    int xd = d - (ndim - x->ndim);
    if (xd >= 0 && x->shape[xd] != 1 && x->shape[xd] != shape[d]) {
      char b[128];
      genc_ctx_fail(ctx, GENC_ERR_SHAPE,
                    "broadcast_to: %s does not broadcast to dim %d of size %lld",
                    genc__shape_str(x, b, sizeof b), d, (long long)shape[d]);
      return NULL;
    }
  }
  return genc__dispatch(ctx, &bcast_prim, 1, &x, &p);
}

genc_array *genc_particle_broadcast(genc_ctx *ctx, genc_array *x, int64_t n) {
  if (!genc__check_in(ctx, "particle_broadcast", 1, &x)) return NULL;
  if (n <= 0 || (x->n && x->n != n)) {
    genc_ctx_fail(ctx, GENC_ERR_PARTICLE,
                  "particle_broadcast: cannot give an array of %lld particles %lld particles",
                  (long long)x->n, (long long)n);
    return NULL;
  }
  genc_params p = {.ndim = x->ndim, .i = {n}};
  for (int d = 0; d < x->ndim; d++)
    p.shape[d] = x->shape[d];
  return genc__dispatch(ctx, &bcast_prim, 1, &x, &p);
}
