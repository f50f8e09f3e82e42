/* Reductions over logical axes and over the particle axis. */
#include <math.h>
#include <stdlib.h>

#include "array/internal.h"

static const char *reduce_name(genc_reduce_op op) {
  static const char *n[] = {"sum", "prod", "max", "min", "logsumexp", "argmax", "argmin"};
  return (unsigned)op <= GENC_RARGMIN ? n[op] : "reduce";
}

/* Reduce physical axis pax of x (keeping it as size 1). */
static genc_array *reduce_axis(genc_ctx *ctx, genc_reduce_op op, genc_array *x, int pax) {
  int pnd;
  int64_t ps[GENC_PDIMS];
  genc__phys_shape(x, &pnd, ps);
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < pax; d++)
    outer *= ps[d];
  for (int d = pax + 1; d < pnd; d++)
    inner *= ps[d];
  int64_t shape[GENC_MAX_DIMS];
  for (int d = 0; d < x->ndim; d++)
    shape[d] = x->shape[d];
  int64_t n = x->n;
  if (pax == 0)
    n = 0;
  else
    shape[pax - 1] = 1;
  genc_dtype odt = op == GENC_RARGMAX || op == GENC_RARGMIN ? GENC_I32 : (genc_dtype)x->dtype;
  genc_array *y = genc__alloc(ctx, odt, x->ndim, shape, n);
  if (y && y->bytes)
    ctx->bk->reduce(ctx->bst, op, (genc_dtype)x->dtype, x->data, y->data, outer, ps[pax], inner);
  return y;
}

static genc_dtype reduce_dtype(genc_reduce_op op, genc_dtype dt) {
  if (op == GENC_RLOGSUMEXP) return genc__is_float(dt) ? dt : GENC_F64;
  return dt == GENC_BOOL ? GENC_I32 : dt;
}

static genc_array *reduce_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  genc_reduce_op op = (genc_reduce_op)p->op;
  genc_array *y = genc__cast_raw(ctx, in[0], reduce_dtype(op, (genc_dtype)in[0]->dtype));
  if (p->flag2) return y ? reduce_axis(ctx, op, y, 0) : NULL; /* particle axis */
  for (int k = p->naxes - 1; k >= 0 && y; k--)
    y = reduce_axis(ctx, op, y, p->axes[k] + 1);
  if (!y || p->flag) return y;
  int64_t shape[GENC_MAX_DIMS];
  int nd = 0;
  for (int d = 0, k = 0; d < in[0]->ndim; d++) {
    if (k < p->naxes && p->axes[k] == d)
      k++;
    else
      shape[nd++] = in[0]->shape[d];
  }
  return genc_reshape(ctx, y, nd, shape);
}

/* The output cotangent with reduced axes restored as size 1. */
static genc_array *keep_shape(genc_ctx *ctx, const genc_node *nd, genc_array *a) {
  if (nd->p.flag || nd->p.flag2) return a;
  genc_array *x = nd->in[0];
  int64_t shape[GENC_MAX_DIMS];
  for (int d = 0, k = 0; d < x->ndim; d++) {
    bool red = k < nd->p.naxes && nd->p.axes[k] == d;
    if (red) k++;
    shape[d] = red ? 1 : x->shape[d];
  }
  return genc_reshape(ctx, a, x->ndim, shape);
}

/* Reduce like node nd, keeping reduced axes as size 1. */
static genc_array *reduce_like(genc_ctx *ctx, const genc_node *nd, genc_reduce_op op,
                               genc_array *x) {
  genc_params p = nd->p;
  p.op = op;
  p.flag = true;
  return x ? genc__dispatch(ctx, nd->prim, 1, &x, &p) : NULL;
}

/* d prod / d x_i = product of the other elements. y / x is that only where no
 * element is zero: with one zero, the zero's gradient is the product of the
 * rest and every other gradient is 0; with two or more, all are 0. */
static genc_array *prod_others(genc_ctx *ctx, const genc_node *nd, genc_array *x) {
  genc_array *z = genc_eq(ctx, x, 0.0);
  genc_array *nz = reduce_like(ctx, nd, GENC_RSUM, genc_astype(ctx, z, GENC_I32));
  genc_array *xs = genc_where(ctx, z, 1.0, x);
  genc_array *ps = reduce_like(ctx, nd, GENC_RPROD, xs);
  genc_array *one = genc_where(ctx, genc_logical_and(ctx, z, genc_eq(ctx, nz, 1)), ps, 0.0);
  return genc_where(ctx, genc_eq(ctx, nz, 0), genc_div(ctx, ps, xs), one);
}

static genc_status reduce_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  genc_array *x = nd->in[0];
  genc_array *gk = keep_shape(ctx, nd, g), *yk = keep_shape(ctx, nd, nd->out);
  switch ((genc_reduce_op)nd->p.op) {
  case GENC_RSUM: {
    genc_array *gb = genc_broadcast_to(ctx, gk, x->ndim, x->shape);
    ic[0] = gb && x->n && !gb->n ? genc_particle_broadcast(ctx, gb, x->n) : gb;
    break;
  }
  case GENC_RPROD: ic[0] = genc_mul(ctx, gk, prod_others(ctx, nd, x)); break;
  case GENC_RLOGSUMEXP: ic[0] = genc_mul(ctx, gk, genc_exp(ctx, genc_sub(ctx, x, yk))); break;
  case GENC_RMAX:
  case GENC_RMIN: {
    /* split the gradient evenly between ties */
    genc_array *hit = genc_astype(ctx, genc_eq(ctx, x, yk), (genc_dtype)x->dtype);
    genc_params cnt = nd->p;
    cnt.op = GENC_RSUM;
    cnt.flag = true;
    genc_array *c = hit ? genc__dispatch(ctx, nd->prim, 1, &hit, &cnt) : NULL;
    ic[0] = genc_mul(ctx, hit, genc_div(ctx, gk, c));
    break;
  }
  default: return GENC_OK;
  }
  return ic[0] ? GENC_OK : genc_ctx_status(ctx);
}

static const genc_prim reduce_prim = {"reduce", reduce_fwd, reduce_vjp};

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

genc_array *genc_reduce(genc_ctx *ctx, genc_reduce_op op, genc_array *x, int naxes, const int *axes,
                        bool keepdims) {
  const char *name = reduce_name(op);
  if (!genc__check_in(ctx, name, 1, &x)) return NULL;
  if ((unsigned)op > GENC_RARGMIN) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "unknown reduction %d", (int)op);
    return NULL;
  }
  genc_params p = {.op = op, .flag = keepdims};
  if (naxes < 0 || naxes > x->ndim || (naxes && !axes)) {
    genc_ctx_fail(ctx, GENC_ERR_AXIS, "%s: %d axes given for an array of rank %d", name, naxes,
                  x->ndim);
    return NULL;
  }
  if (naxes == 0) {
    p.naxes = x->ndim;
    for (int d = 0; d < x->ndim; d++)
      p.axes[d] = d;
  } else {
    p.naxes = naxes;
    for (int k = 0; k < naxes; k++)
      if ((p.axes[k] = genc__axis(ctx, name, axes[k], x->ndim)) < 0) return NULL;
    qsort(p.axes, (size_t)naxes, sizeof(int), cmp_int);
    for (int k = 1; k < naxes; k++)
      if (p.axes[k] == p.axes[k - 1]) {
        genc_ctx_fail(ctx, GENC_ERR_AXIS, "%s: axis %d given twice", name, p.axes[k]);
        return NULL;
      }
  }
  if ((op == GENC_RARGMAX || op == GENC_RARGMIN) && p.naxes != 1) {
    genc_ctx_fail(ctx, GENC_ERR_AXIS, "%s: needs exactly one axis", name);
    return NULL;
  }
  if ((op == GENC_RARGMAX || op == GENC_RARGMIN) && x->shape[p.axes[0]] == 0) {
    char b[128]; /* an empty axis has no index to return (NumPy raises too) */
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "%s: axis %d of %s is empty: no index to return", name,
                  axes[0], genc__shape_str(x, b, sizeof b));
    return NULL;
  }
  return genc__dispatch(ctx, &reduce_prim, 1, &x, &p);
}

genc_array *genc_sum(genc_ctx *ctx, genc_array *x, int naxes, const int *axes, bool keepdims) {
  return genc_reduce(ctx, GENC_RSUM, x, naxes, axes, keepdims);
}
genc_array *genc_prod(genc_ctx *ctx, genc_array *x, int naxes, const int *axes, bool keepdims) {
  return genc_reduce(ctx, GENC_RPROD, x, naxes, axes, keepdims);
}
genc_array *genc_max(genc_ctx *ctx, genc_array *x, int naxes, const int *axes, bool keepdims) {
  return genc_reduce(ctx, GENC_RMAX, x, naxes, axes, keepdims);
}
genc_array *genc_min(genc_ctx *ctx, genc_array *x, int naxes, const int *axes, bool keepdims) {
  return genc_reduce(ctx, GENC_RMIN, x, naxes, axes, keepdims);
}
genc_array *genc_logsumexp(genc_ctx *ctx, genc_array *x, int naxes, const int *axes,
                           bool keepdims) {
  return genc_reduce(ctx, GENC_RLOGSUMEXP, x, naxes, axes, keepdims);
}
genc_array *genc_argmax(genc_ctx *ctx, genc_array *x, int axis, bool keepdims) {
  return genc_reduce(ctx, GENC_RARGMAX, x, 1, &axis, keepdims);
}
genc_array *genc_argmin(genc_ctx *ctx, genc_array *x, int axis, bool keepdims) {
  return genc_reduce(ctx, GENC_RARGMIN, x, 1, &axis, keepdims);
}
genc_array *genc_sum_all(genc_ctx *ctx, genc_array *x) {
  return genc_reduce(ctx, GENC_RSUM, x, 0, NULL, false);
}

genc_array *genc_mean(genc_ctx *ctx, genc_array *x, int naxes, const int *axes, bool keepdims) {
  genc_array *s = genc_sum(ctx, x, naxes, axes, keepdims);
  if (!s) return NULL;
  double count = (double)x->size / (double)(s->size ? s->size : 1);
  if (!genc__is_float((genc_dtype)s->dtype)) s = genc_astype(ctx, s, GENC_F64);
  return genc_div(ctx, s, count);
}

genc_array *genc_particle_reduce(genc_ctx *ctx, genc_reduce_op op, genc_array *x) {
  if (!genc__check_in(ctx, "particle_reduce", 1, &x)) return NULL;
  if (!x->n) {
    genc_ctx_fail(ctx, GENC_ERR_PARTICLE, "particle_reduce: the array is not batched");
    return NULL;
  }
  if (op == GENC_RARGMAX || op == GENC_RARGMIN || (unsigned)op > GENC_RARGMIN) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "particle_reduce: unsupported reduction %s", reduce_name(op));
    return NULL;
  }
  genc_params p = {.op = op, .flag2 = true};
  return genc__dispatch(ctx, &reduce_prim, 1, &x, &p);
}
