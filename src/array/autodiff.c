/*
 * The dispatch point and reverse-mode autodiff. Every op calls genc__dispatch,
 * which runs the primitive and, while a tape records, appends a node holding the
 * primitive, its inputs and parameters: the same record a graph capture replays.
 */
#include <stdlib.h>

#include "array/internal.h"

static bool tape_push(genc_ctx *ctx, genc_node *nd) {
  genc_tape *t = ctx->tape;
  if (t->len == t->cap) {
    int64_t cap = t->cap ? t->cap * 2 : 256;
    genc_node **n = realloc(t->nodes, (size_t)cap * sizeof *n);
    if (!n) return false;
    t->nodes = n;
    t->cap = cap;
  }
  t->nodes[t->len++] = nd;
  return true;
}

static genc_node *node_new(genc_ctx *ctx, const genc_prim *prim, int nin, genc_array *const *in,
                           genc_array *out, const genc_params *p) {
  genc_node *nd = calloc(1, sizeof *nd);
  if (!nd || !tape_push(ctx, nd)) {
    free(nd);
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "out of memory recording the autodiff tape");
    return NULL;
  }
  nd->prim = prim;
  nd->nin = nin;
  for (int i = 0; i < nin; i++)
    nd->in[i] = genc_array_retain(in[i]);
  nd->out = genc_array_retain(out);
  if (p) nd->p = *p;
  out->node = nd;
  return nd;
}

genc_array *genc__dispatch(genc_ctx *ctx, const genc_prim *prim, int nin, genc_array *const *in,
                           const genc_params *p) {
  if (__builtin_expect(ctx->capture != NULL, 0))
    return genc__capture_dispatch(ctx, prim, nin, in, p);
  const char *op = ctx->op;
  ctx->op = prim->name;
  genc_array *out = prim->forward(ctx, in, p);
  ctx->op = op;
  return genc__tape_record(ctx, prim, nin, in, p, out);
}

genc_array *genc__tape_record(genc_ctx *ctx, const genc_prim *prim, int nin, genc_array *const *in,
                              const genc_params *p, genc_array *out) {
  if (!out || !ctx->tape || ctx->no_record || !prim->vjp) return out;
  bool tracked = false;
  for (int i = 0; i < nin; i++)
    if (in[i] && in[i]->node) tracked = true;
  if (tracked && out->node == NULL && !node_new(ctx, prim, nin, in, out, p)) return NULL;
  return out;
}

genc_status genc_tape_begin(genc_ctx *ctx) {
  if (!ctx) return GENC_ERR_ARG;
  if (ctx->tape)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_tape_begin: a tape is already recording (tapes do not nest)");
  ctx->tape = calloc(1, sizeof *ctx->tape);
  if (!ctx->tape) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_tape_begin: out of memory");
  return GENC_OK;
}

bool genc_tape_active(const genc_ctx *ctx) { return ctx && ctx->tape != NULL; }

static genc_array *copy_prim_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  (void)p;
  genc_array *x = in[0], *y = genc__alloc_like(ctx, x, (genc_dtype)x->dtype);
  if (y && x->bytes) ctx->bk->copy(ctx->bst, y->data, x->data, x->bytes);
  return y;
}

static const genc_prim copy_prim = {"copy", copy_prim_fwd, NULL};

genc_array *genc_tape_watch(genc_ctx *ctx, genc_array *x) {
  if (!genc__check_in(ctx, "genc_tape_watch", 1, &x)) return NULL;
  if (!ctx->tape) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_tape_watch: no tape is recording");
    return NULL;
  }
  if (!genc__is_float((genc_dtype)x->dtype)) {
    genc_ctx_fail(ctx, GENC_ERR_DTYPE, "genc_tape_watch: cannot differentiate a %s array",
                  genc_dtype_name((genc_dtype)x->dtype));
    return NULL;
  }
  genc_array *y = copy_prim_fwd(ctx, &x, NULL);
  /* a capture sees the leaf as a copy of x (the tape sees a leaf) */
  if (y && ctx->capture && !genc__capture_record(ctx, &copy_prim, 1, &x, NULL, y)) return NULL;
  if (y && !node_new(ctx, NULL, 0, NULL, y, NULL)) return NULL;
  return y;
}

void genc_tape_end(genc_ctx *ctx) {
  if (!ctx) return;
  genc_tape *t = ctx->tape;
  if (!t) return;
  ctx->tape = NULL;
  for (int64_t i = t->len - 1; i >= 0; i--) {
    genc_node *nd = t->nodes[i];
    nd->out->node = NULL;
    for (int k = 0; k < nd->nin; k++)
      genc_array_release(nd->in[k]);
    genc_array_release(nd->out);
    genc_array_release(nd->cot);
    free(nd);
  }
  free(t->nodes);
  free(t);
}

static genc_status accumulate(genc_ctx *ctx, genc_node *nd, genc_array *c) {
  if (!c) return GENC_OK;
  genc_array *sum = nd->cot ? genc_add(ctx, nd->cot, c) : c;
  if (!sum) return genc_ctx_status(ctx);
  genc_array_retain(sum);
  genc_array_release(nd->cot);
  nd->cot = sum;
  return GENC_OK;
}

genc_array *genc__unbroadcast(genc_ctx *ctx, genc_array *cot, const genc_array *like) {
  if (!cot) return NULL;
  genc_array *c = cot;
  if (c->n && !like->n) c = genc_particle_reduce(ctx, GENC_RSUM, c);
  if (!c) return NULL;
  int lead = c->ndim - like->ndim, axes[GENC_MAX_DIMS], na = 0;
  for (int d = 0; d < c->ndim; d++)
    if (d < lead || (like->shape[d - lead] == 1 && c->shape[d] != 1)) axes[na++] = d;
  if (na) c = genc_sum(ctx, c, na, axes, false);
  if (c && (c->ndim != like->ndim || c->size != like->size))
    c = genc_reshape(ctx, c, like->ndim, like->shape);
  if (c && c->dtype != like->dtype && genc__is_float((genc_dtype)like->dtype))
    c = genc__cast_raw(ctx, c, (genc_dtype)like->dtype);
  return c;
}

genc_status genc_tape_backward(genc_ctx *ctx, genc_array *out, genc_array *cot, int n,
                               genc_array *const *leaves, genc_array **grads) {
  if (!ctx) return GENC_ERR_ARG;
  if (!ctx->tape) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_tape_backward: no tape");
  if (!out) return genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_ARG;
  if (n < 0 || (n && (!leaves || !grads)))
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_tape_backward: %d leaves need leaves and grads",
                         n);
  for (int i = 0; i < n; i++)
    grads[i] = NULL;
  genc_tape *t = ctx->tape;
  genc_status st = GENC_OK;
  ctx->no_record = true;
  if (!cot) cot = genc_array_full(ctx, (genc_dtype)out->dtype, out->ndim, out->shape, out->n, 1);
  if (cot && (cot->n != out->n || cot->size != out->size)) {
    char b1[128], b2[128];
    st = genc_ctx_fail(ctx, GENC_ERR_SHAPE, "genc_tape_backward: cotangent %s for output %s",
                       genc__shape_str(cot, b1, sizeof b1), genc__shape_str(out, b2, sizeof b2));
  }
  if (!cot && !st) st = genc_ctx_status(ctx);
  for (int64_t i = 0; i < t->len; i++) {
    genc_array_release(t->nodes[i]->cot);
    t->nodes[i]->cot = NULL;
  }
  if (!st && out->node) st = accumulate(ctx, out->node, cot);
  for (int64_t i = t->len - 1; i >= 0 && !st; i--) {
    genc_node *nd = t->nodes[i];
    if (!nd->cot || !nd->prim) continue;
    genc_array *ic[GENC_MAX_INPUTS] = {0};
    st = nd->prim->vjp(ctx, nd, nd->cot, ic);
    for (int k = 0; k < nd->nin && !st; k++) {
      if (!ic[k] || !nd->in[k]->node) continue;
      genc_array *c = genc__unbroadcast(ctx, ic[k], nd->in[k]);
      st = c ? accumulate(ctx, nd->in[k]->node, c) : genc_ctx_status(ctx);
    }
  }
  for (int i = 0; i < n && !st; i++) {
    genc_node *nd = leaves[i] ? leaves[i]->node : NULL;
    grads[i] = nd && nd->cot ? nd->cot : genc_array_zeros_like(ctx, leaves[i]);
    if (nd && nd->cot && (nd->cot->n != leaves[i]->n || nd->cot->size != leaves[i]->size))
      grads[i] = genc__unbroadcast(ctx, nd->cot, leaves[i]);
    if (!grads[i]) st = genc_ctx_status(ctx);
  }
  ctx->no_record = false;
  return st;
}

genc_status genc_vjp(genc_ctx *ctx, genc_fn f, int nargs, genc_array *const *args, void *user,
                     uint32_t wrt, genc_array *cot, genc_array **out, genc_array **grads) {
  if (!ctx) return GENC_ERR_ARG;
  if (!f || nargs < 0 || nargs > 32 || (nargs && !args))
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_vjp: need a function and 0..32 arguments");
  if (!genc__check_in(ctx, "genc_vjp", nargs, args))
    return genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_ARG;
  genc_status st = genc_tape_begin(ctx);
  if (st) return st;
  genc_array *tracked[32], *leaves[32], *g[32];
  int nl = 0;
  for (int i = 0; i < nargs && !st; i++) {
    tracked[i] = args[i];
    if (wrt >> i & 1u) {
      tracked[i] = genc_tape_watch(ctx, args[i]);
      if (!tracked[i]) st = genc_ctx_status(ctx);
      leaves[nl++] = tracked[i];
    }
  }
  genc_array *y = st ? NULL : f(ctx, tracked, user);
  if (!st && !y) st = genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_ARG;
  if (!st) st = genc_tape_backward(ctx, y, cot, nl, leaves, g);
  genc_tape_end(ctx);
  if (out) *out = st ? NULL : y;
  for (int i = 0, k = 0; grads && i < nargs; i++)
    grads[i] = !st && (wrt >> i & 1u) ? g[k++] : NULL;
  return st;
}

genc_status genc_value_and_grad(genc_ctx *ctx, genc_fn f, int nargs, genc_array *const *args,
                                void *user, uint32_t wrt, genc_array **value, genc_array **grads) {
  return genc_vjp(ctx, f, nargs, args, user, wrt, NULL, value, grads);
}

genc_status genc_grad(genc_ctx *ctx, genc_fn f, int nargs, genc_array *const *args, void *user,
                      uint32_t wrt, genc_array **grads) {
  return genc_vjp(ctx, f, nargs, args, user, wrt, NULL, NULL, grads);
}
