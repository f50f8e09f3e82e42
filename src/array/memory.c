/* Array headers, data buffers and scopes (ARCHITECTURE.md decision 4). */
#include <stdlib.h>

#include "array/internal.h"

static bool reg_push(genc_ctx *ctx, genc_array *a) {
  if (ctx->reg_len == ctx->reg_cap) {
    int64_t cap = ctx->reg_cap ? ctx->reg_cap * 2 : 256;
    genc_array **r = realloc(ctx->reg, (size_t)cap * sizeof *r);
    if (!r) return false;
    ctx->reg = r;
    ctx->reg_cap = cap;
  }
  ctx->reg[ctx->reg_len++] = a;
  return true;
}

static void array_free(genc_array *a) {
  genc_ctx *ctx = a->ctx;
  if (a->data) ctx->bk->free(ctx->bst, a->data, a->bytes);
  ctx->live_bytes -= (int64_t)a->bytes;
  ctx->live_arrays--;
  a->next_free = ctx->free_arrays;
  ctx->free_arrays = a;
}

genc_array *genc__alloc(genc_ctx *ctx, genc_dtype dt, int ndim, const int64_t *shape, int64_t n) {
  int64_t size = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0) {
      genc_ctx_fail(ctx, GENC_ERR_SHAPE, "negative dimension %lld in array shape",
                    (long long)shape[i]);
      return NULL;
    }
    size *= shape[i];
  }
  if (ndim < 0 || ndim > GENC_MAX_DIMS) {
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "array rank %d outside 0..%d", ndim, GENC_MAX_DIMS);
    return NULL;
  }
  if (n < 0) {
    genc_ctx_fail(ctx, GENC_ERR_PARTICLE, "negative particle count %lld", (long long)n);
    return NULL;
  }
  genc_array *a = ctx->free_arrays;
  if (a) {
    ctx->free_arrays = a->next_free;
  } else {
    a = malloc(sizeof *a);
    if (!a) {
      genc_ctx_fail(ctx, GENC_ERR_NOMEM, "out of memory for an array header");
      return NULL;
    }
  }
  a->ctx = ctx;
  a->refs = 1;
  a->dtype = (uint8_t)dt;
  a->ndim = (uint8_t)ndim;
  a->weak = 0;
  a->n = n;
  a->size = size;
  for (int i = 0; i < ndim; i++)
    a->shape[i] = shape[i];
  a->node = NULL;
  a->bytes = (size_t)((n ? n : 1) * size) * genc__esize(dt);
  a->data = NULL;
  ctx->live_arrays++;
  if (a->bytes) {
    a->data = ctx->bk->alloc(ctx->bst, a->bytes);
    if (!a->data) {
      a->bytes = 0;
      array_free(a);
      genc_ctx_fail(ctx, GENC_ERR_NOMEM, "out of memory for an array of %lld elements",
                    (long long)((n ? n : 1) * size));
      return NULL;
    }
  }
  ctx->live_bytes += (int64_t)a->bytes;
  if (!reg_push(ctx, a)) {
    array_free(a);
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "out of memory for the scope registry");
    return NULL;
  }
  return a;
}

genc_array *genc__alloc_like(genc_ctx *ctx, const genc_array *like, genc_dtype dt) {
  return genc__alloc(ctx, dt, like->ndim, like->shape, like->n);
}

genc_array *genc_array_retain(genc_array *a) {
  if (a) a->refs++;
  return a;
}

void genc_array_release(genc_array *a) {
  if (a && --a->refs == 0) array_free(a);
}

int64_t genc_scope_begin(genc_ctx *ctx) {
  ctx->scope_depth++;
  return ctx->reg_len;
}

void genc_scope_end(genc_ctx *ctx, int64_t mark) {
  if (mark < 0 || mark > ctx->reg_len) return;
  while (ctx->reg_len > mark)
    genc_array_release(ctx->reg[--ctx->reg_len]);
  if (ctx->scope_depth > 0) ctx->scope_depth--;
}

void genc_scope_end_keep(genc_ctx *ctx, int64_t mark, genc_array *const *keep, int nkeep) {
  for (int i = 0; i < nkeep; i++)
    genc_array_retain(keep[i]);
  genc_scope_end(ctx, mark);
  for (int i = 0; i < nkeep; i++)
    if (keep[i] && !reg_push(ctx, keep[i])) {
      /* cannot re-register: leave the reference with the caller's context only */
      genc_ctx_fail(ctx, GENC_ERR_NOMEM, "out of memory for the scope registry");
    }
}
