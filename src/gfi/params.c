/* The parameter store: named trainable arrays and their accumulated gradients.
 * Arrays are immutable values, so the store keeps references, not copies. */
#include <stdlib.h>

#include "gfi/internal.h"

typedef struct param {
  genc_sym name;
  genc_array *value, *grad;
  genc_array *watched; /* the tape leaf while gradients are computed */
} param;

struct genc_param_store {
  int len, cap;
  param *p;
};

genc_param_store *genc_param_store_new(genc_ctx *ctx) {
  genc_param_store *ps = calloc(1, sizeof *ps);
  if (!ps) genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_param_store_new: out of memory");
  return ps;
}

void genc_param_store_free(genc_param_store *ps) {
  if (!ps) return;
  for (int i = 0; i < ps->len; i++) {
    genc_array_release(ps->p[i].value);
    genc_array_release(ps->p[i].grad);
  }
  free(ps->p);
  free(ps);
}

static int find(const genc_param_store *ps, genc_sym s) {
  for (int i = 0; ps && i < ps->len; i++)
    if (ps->p[i].name == s) return i;
  return -1;
}

static int find_named(genc_ctx *ctx, const genc_param_store *ps, const char *name, const char *op) {
  int i = find(ps, name ? genc_sym_intern(name) : GENC_COMP_INVALID);
  if (i < 0)
    genc_ctx_fail(ctx, GENC_ERR_ADDRESS, "%s: no parameter named %s in the store", op,
                  name ? name : "(null)");
  return i;
}

genc_status genc_param_store_set(genc_ctx *ctx, genc_param_store *ps, const char *name,
                                 genc_array *value) {
  if (!ctx) return GENC_ERR_ARG;
  if (!ps || !value)
    return value ? genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_param_store_set: NULL store")
           : genc_ctx_status(ctx)
               ? genc_ctx_status(ctx)
               : genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_param_store_set: NULL value");
  genc_sym s = name ? genc_sym_intern(name) : GENC_COMP_INVALID;
  if (s == GENC_COMP_INVALID)
    return genc_ctx_fail(ctx, GENC_ERR_ADDRESS, "genc_param_store_set: invalid name");
  if (genc_array_batched(value) ||
      (genc_array_dtype(value) != GENC_F64 && genc_array_dtype(value) != GENC_F32))
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_param_store_set: parameter %s must be a shared float array", name);
  int i = find(ps, s);
  if (i < 0) {
    if (ps->len == ps->cap) {
      int cap = ps->cap ? 2 * ps->cap : 8;
      param *p = realloc(ps->p, (size_t)cap * sizeof *p);
      if (!p) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_param_store_set: out of memory");
      ps->p = p;
      ps->cap = cap;
    }
    i = ps->len++;
    ps->p[i] = (param){.name = s};
  }
  param *p = &ps->p[i];
  bool same = p->grad && genc_array_size(p->grad) == genc_array_size(value) &&
              genc_array_ndim(p->grad) == genc_array_ndim(value);
  if (!same) {
    genc_array *g = genc_array_retain(genc_array_zeros_like(ctx, value));
    if (!g) return genc_ctx_status(ctx);
    genc_array_release(p->grad);
    p->grad = g;
  }
  genc_array_retain(value);
  genc_array_release(p->value);
  p->value = value;
  return GENC_OK;
}

genc_array *genc_param_store_get(genc_ctx *ctx, const genc_param_store *ps, const char *name) {
  int i = find_named(ctx, ps, name, "genc_param_store_get");
  return i < 0 ? NULL : ps->p[i].value;
}

genc_array *genc_param_store_grad(genc_ctx *ctx, const genc_param_store *ps, const char *name) {
  int i = find_named(ctx, ps, name, "genc_param_store_grad");
  return i < 0 ? NULL : ps->p[i].grad;
}

genc_status genc_param_store_zero_grads(genc_ctx *ctx, genc_param_store *ps) {
  if (!ctx) return GENC_ERR_ARG;
  for (int i = 0; ps && i < ps->len; i++) {
    genc_array *g = genc_array_retain(genc_array_zeros_like(ctx, ps->p[i].value));
    if (!g) return genc_ctx_status(ctx);
    genc_array_release(ps->p[i].grad);
    ps->p[i].grad = g;
  }
  return GENC_OK;
}

int genc_param_store_count(const genc_param_store *ps) { return ps ? ps->len : 0; }

const char *genc_param_store_name(const genc_param_store *ps, int i) {
  return ps && i >= 0 && i < ps->len ? genc_sym_name(ps->p[i].name) : NULL;
}

genc_array *genc__param_lookup(genc_ctx *ctx, genc_param_store *ps, const char *name) {
  int i = find_named(ctx, ps, name, "genc_rt_param");
  if (i < 0) return NULL;
  return ps->p[i].watched ? ps->p[i].watched : ps->p[i].value;
}

int genc__params_watch(genc_ctx *ctx, genc_param_store *ps, bool watch, genc_array **leaves,
                       int cap) {
  int k = 0;
  for (int i = 0; ps && i < ps->len; i++) {
    ps->p[i].watched = watch ? genc_tape_watch(ctx, ps->p[i].value) : NULL;
    if (watch && k < cap) leaves[k++] = ps->p[i].watched;
  }
  return k;
}

genc_status genc__param_add_grad(genc_ctx *ctx, genc_param_store *ps, int i, genc_array *g,
                                 double scale) {
  genc_array *s = genc_add(ctx, ps->p[i].grad, genc_mul(ctx, g, scale));
  if (!s) return genc_ctx_status(ctx);
  genc_array_retain(s);
  genc_array_release(ps->p[i].grad);
  ps->p[i].grad = s;
  return GENC_OK;
}
