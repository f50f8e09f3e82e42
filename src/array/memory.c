/* Array headers, data buffers and scopes (docs/architecture.md, decision 4). */
#include <stdio.h>
#include <stdlib.h>

#include "array/internal.h"

static __attribute__((noinline)) bool reg_grow(genc_ctx *ctx) {
  int64_t cap = ctx->reg_cap ? ctx->reg_cap * 2 : 256;
  genc_array **r = realloc(ctx->reg, (size_t)cap * sizeof *r);
  if (!r) return false;
  ctx->reg = r;
  ctx->reg_cap = cap;
  return true;
}

static inline bool reg_push(genc_ctx *ctx, genc_array *a) {
  if (__builtin_expect(ctx->reg_len == ctx->reg_cap, 0) && !reg_grow(ctx)) return false;
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

bool genc__plan_size(genc_dtype dt, int ndim, const int64_t *shape, int64_t n, int64_t *size,
                     size_t *bytes) {
  int64_t s = 1, total;
  for (int i = 0; i < ndim; i++)
    if (__builtin_mul_overflow(s, shape[i], &s)) return false;
  if (__builtin_mul_overflow(s, n ? n : 1, &total) ||
      __builtin_mul_overflow(total, (int64_t)genc__esize(dt), &total) ||
      total > GENC_MAX_ALLOC_BYTES)
    return false;
  *size = s;
  *bytes = (size_t)total;
  return true;
}

static const char *fmt_shape(int ndim, const int64_t *shape, int64_t n, char *buf, size_t cap) {
  size_t k = 0;
  if (n) k += (size_t)snprintf(buf, cap, "%lld particles x ", (long long)n);
  k += (size_t)snprintf(buf + k, k < cap ? cap - k : 0, "[");
  for (int i = 0; i < ndim && k < cap; i++)
    k += (size_t)snprintf(buf + k, cap - k, i ? ", %lld" : "%lld", (long long)shape[i]);
  if (k < cap) snprintf(buf + k, cap - k, "]");
  return buf;
}

void genc__fail_too_large(genc_ctx *ctx, const char *op, genc_dtype dt, int ndim,
                          const int64_t *shape, int64_t n) {
  char b[256];
  genc_ctx_fail(ctx, GENC_ERR_NOMEM,
                "%s: an array of shape %s (%s) is too large to allocate (more than %lld bytes)",
                op        ? op
                : ctx->op ? ctx->op
                          : "array",
                fmt_shape(ndim, shape, n, b, sizeof b), genc_dtype_name(dt),
                (long long)GENC_MAX_ALLOC_BYTES);
}

/* The debug aid of genc_ctx_opts.live_array_limit: arrays made with no scope
 * open live until genc_ctx_free, so a loop without a scope grows forever. */
static void fail_live_limit(genc_ctx *ctx) {
  genc_ctx_fail(ctx, GENC_ERR_NOMEM,
                "%s: %lld arrays are alive outside any scope, the context's live_array_limit: "
                "arrays made with no scope open live until genc_ctx_free, so a loop that makes "
                "arrays must open a scope per iteration: `int64_t m = genc_scope_begin(ctx); "
                "... genc_scope_end(ctx, m);` (genc_scope_end_keep keeps results)",
                ctx->op ? ctx->op : "array", (long long)ctx->reg_len);
}

/* The slow path of genc__alloc: say which check failed. */
static void alloc_fail(genc_ctx *ctx, genc_dtype dt, int ndim, const int64_t *shape, int64_t n) {
  const char *op = ctx->op ? ctx->op : "array";
  if (ndim < 0 || ndim > GENC_MAX_DIMS) {
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "%s: array rank %d outside 0..%d", op, ndim, GENC_MAX_DIMS);
    return;
  }
  if ((unsigned)dt > GENC_BOOL) {
    genc_ctx_fail(ctx, GENC_ERR_DTYPE, "%s: unknown dtype %d", op, (int)dt);
    return;
  }
  for (int i = 0; i < ndim; i++)
    if (shape[i] < 0) {
      char b[256];
      genc_ctx_fail(ctx, GENC_ERR_SHAPE, "%s: negative dimension %lld in array shape %s", op,
                    (long long)shape[i], fmt_shape(ndim, shape, n, b, sizeof b));
      return;
    }
  if (n < 0) {
    genc_ctx_fail(ctx, GENC_ERR_PARTICLE, "%s: negative particle count %lld", op, (long long)n);
    return;
  }
  int64_t size;
  size_t bytes;
  if (!genc__plan_size(dt, ndim, shape, n, &size, &bytes))
    genc__fail_too_large(ctx, NULL, dt, ndim, shape, n);
  else
    fail_live_limit(ctx);
}

/* The rare paths of genc__alloc live out of line (noinline), so that its
 * common path (a recycled header, a cached buffer) saves few registers. */
static __attribute__((noinline)) genc_array *new_header(genc_ctx *ctx) {
  genc_array *a = malloc(sizeof *a);
  if (!a) genc_ctx_fail(ctx, GENC_ERR_NOMEM, "out of memory for an array header");
  return a;
}

static __attribute__((noinline)) genc_array *data_fail(genc_ctx *ctx, genc_array *a) {
  char b[256];
  genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: out of memory for an array of shape %s (%zu bytes)",
                ctx->op ? ctx->op : "array", fmt_shape(a->ndim, a->shape, a->n, b, sizeof b),
                a->bytes);
  a->bytes = 0;
  array_free(a);
  return NULL;
}

static __attribute__((noinline)) genc_array *reg_fail(genc_ctx *ctx, genc_array *a) {
  array_free(a);
  genc_ctx_fail(ctx, GENC_ERR_NOMEM, "out of memory for the scope registry");
  return NULL;
}

/* Every check folds into one flag and one branch: this runs once per op. A
 * shared 0-d array (every scalar) has nothing to multiply, so it skips the
 * overflow checks: its size is one element. */
genc_array *genc__alloc(genc_ctx *ctx, genc_dtype dt, int ndim, const int64_t *shape, int64_t n) {
  int64_t size = 1, total;
  bool bad;
  if (__builtin_expect(ndim == 0 && n == 0, 1)) {
    bad = (unsigned)dt > GENC_BOOL;
    total = (int64_t)genc__esize(dt);
  } else {
    bad = (unsigned)ndim > GENC_MAX_DIMS || (unsigned)dt > GENC_BOOL || n < 0;
    for (int i = 0; i < ndim && !bad; i++)
      bad = shape[i] < 0 || __builtin_mul_overflow(size, shape[i], &size);
    bad = bad || __builtin_mul_overflow(size, n ? n : 1, &total) ||
          __builtin_mul_overflow(total, (int64_t)genc__esize(dt), &total) ||
          total > GENC_MAX_ALLOC_BYTES;
  }
  if (__builtin_expect(bad || ctx->reg_len >= ctx->reg_limit, 0)) {
    alloc_fail(ctx, dt, ndim, shape, n);
    return NULL;
  }
  genc_array *a = ctx->free_arrays;
  if (__builtin_expect(a != NULL, 1))
    ctx->free_arrays = a->next_free;
  else if (!(a = new_header(ctx)))
    return NULL;
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
  a->gcap = ctx->cap_serial;
  a->gval = 0;
  a->hcopy = 0;
  a->bytes = (size_t)total;
  a->data = NULL;
  ctx->live_arrays++;
  if (a->bytes && !(a->data = ctx->bk->alloc(ctx->bst, a->bytes))) return data_fail(ctx, a);
  ctx->live_bytes += (int64_t)a->bytes;
  if (!reg_push(ctx, a)) return reg_fail(ctx, a);
  return a;
}

/* The creation functions' scalars (every genc_scalar*, a third of all arrays a
 * model makes) skip the shape checks and the op-name swap: only the rare
 * paths (no recycled header, a full registry, the live-array limit, a failed
 * buffer) go through genc__alloc under op's name. */
genc_array *genc__alloc_scalar(genc_ctx *ctx, const char *op, genc_dtype dt) {
  genc_array *a = ctx->free_arrays;
  if (__builtin_expect(!a || (unsigned)dt > GENC_BOOL || ctx->reg_len >= ctx->reg_limit ||
                           ctx->reg_len == ctx->reg_cap,
                       0)) {
    const char *old = genc__op_enter(ctx, ctx->op ? ctx->op : op);
    a = genc__alloc(ctx, dt, 0, NULL, 0);
    ctx->op = old;
    return a;
  }
  ctx->free_arrays = a->next_free;
  a->ctx = ctx;
  a->refs = 1;
  a->dtype = (uint8_t)dt;
  a->ndim = 0;
  a->weak = 0;
  a->n = 0;
  a->size = 1;
  a->node = NULL;
  a->gcap = ctx->cap_serial;
  a->gval = 0;
  a->hcopy = 0;
  a->bytes = genc__esize(dt);
  ctx->live_arrays++;
  if (!(a->data = ctx->bk->alloc(ctx->bst, a->bytes))) {
    const char *old = genc__op_enter(ctx, ctx->op ? ctx->op : op);
    data_fail(ctx, a);
    ctx->op = old;
    return NULL;
  }
  ctx->live_bytes += (int64_t)a->bytes;
  ctx->reg[ctx->reg_len++] = a;
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
  if (!ctx) return -1;
  ctx->scope_depth++;
  ctx->reg_limit = INT64_MAX; /* the live-array limit counts unscoped arrays only */
  return ctx->reg_len;
}

void genc_scope_end(genc_ctx *ctx, int64_t mark) {
  if (!ctx || mark < 0 || mark > ctx->reg_len) return;
  while (ctx->reg_len > mark)
    genc_array_release(ctx->reg[--ctx->reg_len]);
  if (ctx->scope_depth > 0) ctx->scope_depth--;
  if (ctx->scope_depth == 0) ctx->reg_limit = ctx->live_limit;
}

void genc_scope_end_keep(genc_ctx *ctx, int64_t mark, genc_array *const *keep, int nkeep) {
  if (!ctx) return;
  if (!keep) nkeep = 0;
  for (int i = 0; i < nkeep; i++)
    genc_array_retain(keep[i]);
  genc_scope_end(ctx, mark);
  for (int i = 0; i < nkeep; i++)
    if (keep[i] && !reg_push(ctx, keep[i])) {
      /* cannot re-register: leave the reference with the caller's context only */
      genc_ctx_fail(ctx, GENC_ERR_NOMEM, "out of memory for the scope registry");
    }
}
