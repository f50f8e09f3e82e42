/*
 * The particle axis as data: read one particle, reorder particles (resampling),
 * stack shared arrays into particles, and move the axis in and out of the
 * logical shape. Gradients go back through the same ops (a shared
 * [N, ...] view with scatter_add), so no op here needs a kernel of its own.
 */
#include "array/internal.h"

/* ---- to_axis / from_axis: same bytes, new bookkeeping ---- */

static genc_array *axis_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  genc_array *x = in[0], *y;
  if (p->flag) { /* to axis */
    int64_t s[GENC_MAX_DIMS] = {x->n};
    for (int d = 0; d < x->ndim; d++)
      s[d + 1] = x->shape[d];
    y = genc__alloc(ctx, (genc_dtype)x->dtype, x->ndim + 1, s, 0);
  } else {
    y = genc__alloc(ctx, (genc_dtype)x->dtype, x->ndim - 1, x->shape + 1, x->shape[0]);
  }
  if (y && y->bytes) ctx->bk->copy(ctx->bst, y->data, x->data, y->bytes);
  return y;
}

static genc_status axis_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  if (!nd->p.flag && !g->n) g = genc_particle_broadcast(ctx, g, nd->out->n);
  ic[0] = nd->p.flag ? genc_particle_from_axis(ctx, g) : genc_particle_to_axis(ctx, g);
  return ic[0] ? GENC_OK : genc_ctx_status(ctx);
}

static const genc_prim axis_prim = {"particle_axis", axis_fwd, axis_vjp};

genc_array *genc_particle_to_axis(genc_ctx *ctx, genc_array *x) {
  if (!genc__check_in(ctx, "particle_to_axis", 1, &x)) return NULL;
  if (!x->n) {
    genc_ctx_fail(ctx, GENC_ERR_PARTICLE, "particle_to_axis: the array is not batched");
    return NULL;
  }
  if (x->ndim == GENC_MAX_DIMS) {
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "particle_to_axis: the array already has %d dims",
                  GENC_MAX_DIMS);
    return NULL;
  }
  genc_params p = {.flag = true};
  return genc__dispatch(ctx, &axis_prim, 1, &x, &p);
}

genc_array *genc_particle_from_axis(genc_ctx *ctx, genc_array *x) {
  if (!genc__check_in(ctx, "particle_from_axis", 1, &x)) return NULL;
  if (x->n) {
    genc_ctx_fail(ctx, GENC_ERR_PARTICLE,
                  "particle_from_axis: the array is already batched over %lld particles",
                  (long long)x->n);
    return NULL;
  }
  if (x->ndim == 0 || x->shape[0] == 0) {
    char b[128];
    genc_ctx_fail(ctx, GENC_ERR_SHAPE,
                  "particle_from_axis: axis 0 of %s cannot become particles (need length >= 1)",
                  genc__shape_str(x, b, sizeof b));
    return NULL;
  }
  genc_params p = {.flag = false};
  return genc__dispatch(ctx, &axis_prim, 1, &x, &p);
}

/* ---- particle_get ---- */

static genc_array *get_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  genc_array *x = in[0], *y = genc__alloc(ctx, (genc_dtype)x->dtype, x->ndim, x->shape, 0);
  if (y && y->bytes)
    ctx->bk->copy(ctx->bst, y->data, (const char *)x->data + (size_t)p->i[0] * y->bytes, y->bytes);
  return y;
}

/* Cotangent of particle i alone, embedded in zeros for the other particles. */
static genc_status get_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  genc_array *x = nd->in[0];
  int64_t s[GENC_MAX_DIMS] = {x->n};
  for (int d = 0; d < x->ndim; d++)
    s[d + 1] = x->shape[d];
  int32_t i = (int32_t)nd->p.i[0];
  int64_t one = 1;
  genc_array *z = genc_array_zeros(ctx, (genc_dtype)x->dtype, x->ndim + 1, s, 0);
  genc_array *idx = genc_array_from(ctx, GENC_I32, 1, &one, 0, &i);
  genc_array *e = genc_scatter_add(ctx, z, idx, genc_expand_dims(ctx, g, 0), 0);
  ic[0] = genc_particle_from_axis(ctx, e);
  return ic[0] ? GENC_OK : genc_ctx_status(ctx);
}

static const genc_prim get_prim = {"particle_get", get_fwd, get_vjp};

genc_array *genc_particle_get(genc_ctx *ctx, genc_array *x, int64_t i) {
  if (!genc__check_in(ctx, "particle_get", 1, &x)) return NULL;
  if (!x->n) return x;
  if (i < 0 || i >= x->n) {
    genc_ctx_fail(ctx, GENC_ERR_PARTICLE,
                  "particle_get: particle %lld out of range for %lld particles", (long long)i,
                  (long long)x->n);
    return NULL;
  }
  genc_params p = {.i = {i}};
  return genc__dispatch(ctx, &get_prim, 1, &x, &p);
}

/* ---- particle_take ---- */

static genc_array *ptake_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  (void)p;
  genc_array *x = in[0], *idx = in[1];
  genc_array *y = genc__alloc(ctx, (genc_dtype)x->dtype, x->ndim, x->shape, idx->size);
  if (!y || !y->bytes) return y;
  int64_t bad = ctx->bk->gather(ctx->bst, genc__esize((genc_dtype)x->dtype), x->data, idx->data,
                                y->data, 1, x->n, x->size, idx->size, 1);
  if (bad >= 0) {
    int32_t v = 0;
    ctx->bk->download(ctx->bst, &v, (const int32_t *)idx->data + bad, 4);
    genc_ctx_fail(ctx, GENC_ERR_ARG,
                  "particle_take: index %d (at position %lld) out of range for %lld particles",
                  (int)v, (long long)bad, (long long)x->n);
    return NULL;
  }
  return y;
}

/* Each source particle collects the cotangents of every copy made of it. */
static genc_status ptake_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  genc_array *x = nd->in[0];
  genc_array *z = genc_particle_to_axis(ctx, genc_array_zeros_like(ctx, x));
  genc_array *s = genc_scatter_add(ctx, z, nd->in[1], genc_particle_to_axis(ctx, g), 0);
  ic[0] = genc_particle_from_axis(ctx, s);
  return ic[0] ? GENC_OK : genc_ctx_status(ctx);
}

static const genc_prim ptake_prim = {"particle_take", ptake_fwd, ptake_vjp};

genc_array *genc_particle_take(genc_ctx *ctx, genc_array *x, genc_array *idx) {
  genc_array *in[2] = {x, idx};
  if (!genc__check_in(ctx, "particle_take", 2, in)) return NULL;
  if (idx->dtype != GENC_I32 || idx->ndim != 1 || idx->n || idx->size == 0) {
    char b[128];
    genc_status st = idx->n                   ? GENC_ERR_PARTICLE
                     : idx->dtype != GENC_I32 ? GENC_ERR_DTYPE
                                              : GENC_ERR_SHAPE;
    genc_ctx_fail(ctx, st,
                  "particle_take: indices must be a non-empty 1-d shared i32 array, got %s %s",
                  genc_dtype_name((genc_dtype)idx->dtype), genc__shape_str(idx, b, sizeof b));
    return NULL;
  }
  if (!x->n) return x; /* shared: every particle already holds the same value */
  return genc__dispatch(ctx, &ptake_prim, 2, in, NULL);
}

/* ---- particle_stack ---- */

genc_array *genc_particle_stack(genc_ctx *ctx, int n, genc_array *const *xs) {
  if (n <= 0 || !xs) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "particle_stack: needs at least one array (got %d)", n);
    return NULL;
  }
  if (!genc__check_in(ctx, "particle_stack", n, xs)) return NULL;
  for (int k = 0; k < n; k++)
    if (xs[k]->n) {
      genc_ctx_fail(ctx, GENC_ERR_PARTICLE,
                    "particle_stack: array %d is already batched over %lld particles", k,
                    (long long)xs[k]->n);
      return NULL;
    }
  return genc_particle_from_axis(ctx, genc_stack(ctx, n, xs, 0));
}

/* ---- particle_concat ---- */

static genc_array *pcat_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  int n = p->naxes;
  int64_t total = 0;
  for (int k = 0; k < n; k++)
    if (__builtin_add_overflow(total, in[k]->n, &total)) {
      genc_ctx_fail(ctx, GENC_ERR_PARTICLE, "particle_concat: the total particle count overflows");
      return NULL;
    }
  genc_array *y = genc__alloc(ctx, (genc_dtype)in[0]->dtype, in[0]->ndim, in[0]->shape, total);
  if (!y) return NULL;
  size_t off = 0;
  for (int k = 0; k < n; k++) {
    if (in[k]->bytes) ctx->bk->copy(ctx->bst, (char *)y->data + off, in[k]->data, in[k]->bytes);
    off += in[k]->bytes;
  }
  return y;
}

static genc_status pcat_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  int64_t start = 0;
  for (int k = 0; k < nd->nin; k++) {
    int64_t m = nd->in[k]->n;
    genc_array *idx = genc_array_arange(ctx, GENC_I32, (double)start, (double)(start + m), 1);
    if (!(ic[k] = genc_particle_take(ctx, g, idx))) return genc_ctx_status(ctx);
    start += m;
  }
  return GENC_OK;
}

static const genc_prim pcat_prim = {"particle_concat", pcat_fwd, pcat_vjp};

genc_array *genc_particle_concat(genc_ctx *ctx, int n, genc_array *const *xs) {
  if (n <= 0 || !xs) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "particle_concat: needs at least one array (got %d)", n);
    return NULL;
  }
  if (!genc__check_in(ctx, "particle_concat", n, xs)) return NULL;
  for (int k = 0; k < n; k++) {
    char b1[128], b2[128];
    if (!xs[k]->n) {
      genc_ctx_fail(ctx, GENC_ERR_PARTICLE,
                    "particle_concat: array %d is shared; give it particles with "
                    "genc_particle_broadcast first",
                    k);
      return NULL;
    }
    if (xs[k]->ndim != xs[0]->ndim || xs[k]->dtype != xs[0]->dtype ||
        memcmp(xs[k]->shape, xs[0]->shape, (size_t)xs[0]->ndim * sizeof(int64_t))) {
      genc_ctx_fail(
          ctx, GENC_ERR_SHAPE, "particle_concat: array %d (%s %s) differs from array 0 (%s %s)", k,
          genc_dtype_name((genc_dtype)xs[k]->dtype), genc__shape_str(xs[k], b1, sizeof b1),
          genc_dtype_name((genc_dtype)xs[0]->dtype), genc__shape_str(xs[0], b2, sizeof b2));
      return NULL;
    }
  }
  genc_params p = {.naxes = n};
  if (n <= GENC_MAX_INPUTS) return genc__dispatch(ctx, &pcat_prim, n, xs, &p);
  if (!ctx->tape && !ctx->capture) return pcat_fwd(ctx, xs, &p); /* nothing to record: one pass */
  /* a tape node holds at most GENC_MAX_INPUTS inputs: join in recorded groups */
  genc_array *acc = NULL;
  for (int k = 0; k < n && (k == 0 || acc);) {
    genc_array *grp[GENC_MAX_INPUTS];
    int m = 0;
    if (acc) grp[m++] = acc;
    while (m < GENC_MAX_INPUTS && k < n)
      grp[m++] = xs[k++];
    acc = genc_particle_concat(ctx, m, grp);
  }
  return acc;
}
