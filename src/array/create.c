/* Making arrays from C values, and reading them back at boundaries. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "array/internal.h"

/* The checks every creation function makes before it allocates. */
static bool check_dtype(genc_ctx *ctx, const char *op, genc_dtype dt) {
  if ((unsigned)dt <= GENC_BOOL) return true;
  genc_ctx_fail(ctx, GENC_ERR_DTYPE, "%s: unknown dtype %d", op, (int)dt);
  return false;
}

static genc_array *alloc_named(genc_ctx *ctx, const char *op, genc_dtype dt, int ndim,
                               const int64_t *shape, int64_t n) {
  if (!check_dtype(ctx, op, dt)) return NULL;
  if (ndim && !shape) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: array of rank %d given a NULL shape", op, ndim);
    return NULL;
  }
  /* inside another op (one_hot's zeros), errors name that op */
  const char *old = genc__op_enter(ctx, ctx->op ? ctx->op : op);
  genc_array *a = genc__alloc(ctx, dt, ndim, shape, n);
  ctx->op = old;
  return genc__capture_const(ctx, a); /* host data: a constant of a capture */
}

static genc_array *full(genc_ctx *ctx, const char *op, genc_dtype dt, int ndim,
                        const int64_t *shape, int64_t n, double v) {
  if (!ctx) return NULL;
  genc_array *a = alloc_named(ctx, op, dt, ndim, shape, n);
  if (a && a->bytes) ctx->bk->fill(ctx->bst, dt, a->data, genc__numel(a), v);
  return a;
}

/* full() of a shared 0-d array, the most common creation: no shape checks. */
static genc_array *scalar(genc_ctx *ctx, const char *op, genc_dtype dt, double v, bool weak) {
  if (!ctx || !check_dtype(ctx, op, dt)) return NULL;
  genc_array *a = genc__alloc_scalar(ctx, op, dt);
  if (!a) return NULL;
  ctx->bk->fill(ctx->bst, dt, a->data, 1, v);
  a->weak = weak;
  return genc__capture_const(ctx, a);
}

genc_array *genc_scalar(genc_ctx *ctx, double v) {
  return scalar(ctx, "genc_scalar", GENC_F64, v, false);
}

genc_array *genc_scalar_of(genc_ctx *ctx, double v, genc_dtype dt) {
  return scalar(ctx, "genc_scalar_of", dt, v, false);
}

genc_array *genc_scalar_weak(genc_ctx *ctx, double v) {
  return scalar(ctx, "genc_scalar_weak", GENC_F64, v, true);
}

genc_array *genc_scalar_weak_i32(genc_ctx *ctx, int32_t v) {
  return scalar(ctx, "genc_scalar_weak_i32", GENC_I32, (double)v, true);
}

genc_array *genc_array_full(genc_ctx *ctx, genc_dtype dt, int ndim, const int64_t *shape, int64_t n,
                            double v) {
  return full(ctx, "genc_array_full", dt, ndim, shape, n, v);
}

genc_array *genc_array_zeros(genc_ctx *ctx, genc_dtype dt, int ndim, const int64_t *shape,
                             int64_t n) {
  return full(ctx, "genc_array_zeros", dt, ndim, shape, n, 0.0);
}

genc_array *genc_array_ones(genc_ctx *ctx, genc_dtype dt, int ndim, const int64_t *shape,
                            int64_t n) {
  return full(ctx, "genc_array_ones", dt, ndim, shape, n, 1.0);
}

genc_array *genc_array_zeros_like(genc_ctx *ctx, const genc_array *like) {
  if (!like) return NULL;
  return full(ctx, "genc_array_zeros_like", (genc_dtype)like->dtype, like->ndim, like->shape,
              like->n, 0.0);
}

genc_array *genc_array_from(genc_ctx *ctx, genc_dtype dt, int ndim, const int64_t *shape, int64_t n,
                            const void *data) {
  if (!ctx) return NULL;
  if (!data) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_array_from: NULL data");
    return NULL;
  }
  genc_array *a = alloc_named(ctx, "genc_array_from", dt, ndim, shape, n);
  if (a && a->bytes && ctx->bk->upload(ctx->bst, a->data, data, a->bytes)) {
    genc_ctx_fail(ctx, GENC_ERR_BACKEND, "genc_array_from: copy to the device failed");
    return NULL;
  }
  return a;
}

genc_array *genc_array_vec(genc_ctx *ctx, int64_t len, const double *data) {
  return genc_array_from(ctx, GENC_F64, 1, &len, 0, data);
}

genc_array *genc_array_mat(genc_ctx *ctx, int64_t rows, int64_t cols, const double *data) {
  int64_t s[2] = {rows, cols};
  return genc_array_from(ctx, GENC_F64, 2, s, 0, data);
}

/* Build a host buffer of doubles, convert to dt, upload. */
static genc_array *from_doubles(genc_ctx *ctx, const char *op, genc_dtype dt, int64_t len,
                                double *v) {
  genc_array *a = alloc_named(ctx, op, GENC_F64, 1, &len, 0);
  if (!a) return NULL;
  if (a->bytes && ctx->bk->upload(ctx->bst, a->data, v, a->bytes)) {
    genc_ctx_fail(ctx, GENC_ERR_BACKEND, "%s: copy to the device failed", op);
    return NULL;
  }
  return dt == GENC_F64 ? a : genc__cast_raw(ctx, a, dt);
}

/* A host buffer of len doubles (zeroed), or NULL with an error naming op: a
 * length whose f64 array would be too large fails before malloc is asked. */
static double *host_doubles(genc_ctx *ctx, const char *op, int ndim, const int64_t *shape) {
  int64_t len;
  size_t bytes;
  if (!genc__plan_size(GENC_F64, ndim, shape, 0, &len, &bytes)) {
    genc__fail_too_large(ctx, op, GENC_F64, ndim, shape, 0);
    return NULL;
  }
  double *v = calloc(bytes ? bytes : 1, 1);
  if (!v) genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: out of memory for %zu bytes", op, bytes);
  return v;
}

genc_array *genc_array_arange(genc_ctx *ctx, genc_dtype dt, double start, double stop,
                              double step) {
  const char *op = "genc_array_arange";
  if (!ctx || !check_dtype(ctx, op, dt)) return NULL;
  if (step == 0 || !isfinite(start) || !isfinite(stop) || !isfinite(step)) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_array_arange: need finite bounds and a nonzero step");
    return NULL;
  }
  double c = ceil((stop - start) / step);
  if (c > (double)GENC_MAX_ALLOC_BYTES) { /* beyond any allocation, and beyond int64 */
    genc_ctx_fail(ctx, GENC_ERR_NOMEM,
                  "%s: %.17g elements (start %g, stop %g, step %g) are too many to allocate", op, c,
                  start, stop, step);
    return NULL;
  }
  int64_t len = c > 0 ? (int64_t)c : 0;
  double *v = host_doubles(ctx, op, 1, &len);
  if (!v) return NULL;
  for (int64_t i = 0; i < len; i++)
    v[i] = start + (double)i * step;
  genc_array *a = from_doubles(ctx, op, dt, len, v);
  free(v);
  return a;
}

genc_array *genc_array_linspace(genc_ctx *ctx, genc_dtype dt, double start, double stop,
                                int64_t num) {
  const char *op = "genc_array_linspace";
  if (!ctx || !check_dtype(ctx, op, dt)) return NULL;
  if (num < 0) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_array_linspace: negative count %lld", (long long)num);
    return NULL;
  }
  double *v = host_doubles(ctx, op, 1, &num);
  if (!v) return NULL;
  double step = num > 1 ? (stop - start) / (double)(num - 1) : 0;
  for (int64_t i = 0; i < num; i++)
    v[i] = start + (double)i * step;
  if (num > 1) v[num - 1] = stop;
  genc_array *a = from_doubles(ctx, op, dt, num, v);
  free(v);
  return a;
}

genc_array *genc_array_eye(genc_ctx *ctx, genc_dtype dt, int64_t n) {
  const char *op = "genc_array_eye";
  if (!ctx || !check_dtype(ctx, op, dt)) return NULL;
  if (n < 0) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_array_eye: negative size %lld", (long long)n);
    return NULL;
  }
  int64_t s[2] = {n, n};
  double *v = host_doubles(ctx, op, 2, s); /* n * n cannot overflow past here */
  if (!v) return NULL;
  for (int64_t i = 0; i < n; i++)
    v[i * n + i] = 1;
  genc_array *a = from_doubles(ctx, op, dt, n * n, v);
  free(v);
  return genc_reshape(ctx, a, 2, s);
}

/* The queries answer a NULL array (an earlier failure) with the neutral values
 * array.h documents instead of crashing. */
genc_dtype genc_array_dtype(const genc_array *a) {
  return a ? (genc_dtype)a->dtype : (genc_dtype)-1;
}
int genc_array_ndim(const genc_array *a) { return a ? a->ndim : -1; }
const int64_t *genc_array_shape(const genc_array *a) { return a ? a->shape : NULL; }
int64_t genc_array_dim(const genc_array *a, int axis) {
  if (!a) return -1;
  int ax = axis < 0 ? axis + a->ndim : axis;
  return ax >= 0 && ax < a->ndim ? a->shape[ax] : -1;
}
int64_t genc_array_size(const genc_array *a) { return a ? a->size : 0; }
int64_t genc_array_nparticles(const genc_array *a) { return a ? a->n : 0; }
bool genc_array_batched(const genc_array *a) { return a && a->n > 0; }

static double elem_to_double(const void *p, genc_dtype dt, int64_t i) {
  switch (dt) {
  case GENC_F64: return ((const double *)p)[i];
  case GENC_F32: return ((const float *)p)[i];
  case GENC_I32: return ((const int32_t *)p)[i];
  case GENC_BOOL: return ((const uint8_t *)p)[i];
  }
  return NAN;
}

genc_status genc_array_item(genc_ctx *ctx, const genc_array *a, double *out) {
  if (!ctx) return GENC_ERR_ARG;
  if (!a) return genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_ARG;
  if (!out) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_array_item: NULL output");
  genc_status rs = genc__host_read_ok(ctx, a, "genc_array_item");
  if (rs) return rs;
  if (a->n)
    return genc_ctx_fail(ctx, GENC_ERR_PARTICLE,
                         "genc_array_item: the array is batched over %lld particles, so it has "
                         "no single value; in a batched model, select with genc_where or the "
                         "genc_switch / genc_mask combinators, or read one particle with "
                         "genc_particle_get",
                         (long long)a->n);
  if (a->size != 1) {
    char b[128];
    return genc_ctx_fail(ctx, GENC_ERR_SHAPE,
                         "genc_array_item: needs exactly one element, the array has shape %s",
                         genc__shape_str(a, b, sizeof b));
  }
  unsigned char buf[8];
  if (a->hcopy)
    memcpy(buf, &a->hval, a->bytes);
  else if (ctx->bk->download(ctx->bst, buf, a->data, genc__esize((genc_dtype)a->dtype)))
    return genc_ctx_fail(ctx, GENC_ERR_BACKEND, "genc_array_item: copy from the device failed");
  *out = elem_to_double(buf, (genc_dtype)a->dtype, 0);
  return GENC_OK;
}

double genc_array_to_double(genc_ctx *ctx, const genc_array *a) {
  if (!ctx) return NAN;
  if (!a) {
    if (!genc_ctx_status(ctx)) genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_array_to_double: NULL array");
    return NAN;
  }
  if (!a->n && a->ndim != 0) {
    char b[128];
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "genc_array_to_double: the array has shape %s, not 0-d",
                  genc__shape_str(a, b, sizeof b));
    return NAN;
  }
  double v = NAN;
  if (genc__host_read_ok(ctx, a, "genc_array_to_double")) return NAN;
  return genc_array_item(ctx, a, &v) ? NAN : v;
}

genc_status genc_array_copy_raw(genc_ctx *ctx, const genc_array *a, void *out, size_t bytes) {
  if (!ctx) return GENC_ERR_ARG;
  if (!a) return genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_ARG;
  if (!out && a->bytes) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_array_copy_raw: NULL output");
  genc_status rs = genc__host_read_ok(ctx, a, "genc_array_copy_raw");
  if (rs) return rs;
  if (bytes < a->bytes)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_array_copy_raw: buffer of %zu bytes, the array needs %zu", bytes,
                         a->bytes);
  if (a->hcopy)
    memcpy(out, &a->hval, a->bytes);
  else if (a->bytes && ctx->bk->download(ctx->bst, out, a->data, a->bytes))
    return genc_ctx_fail(ctx, GENC_ERR_BACKEND, "genc_array_copy_raw: copy from the device failed");
  return GENC_OK;
}

genc_status genc_array_copy_out(genc_ctx *ctx, const genc_array *a, double *out, int64_t cap) {
  if (!ctx) return GENC_ERR_ARG;
  if (!a) return genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_ARG;
  int64_t n = genc__numel(a);
  if (!out && n) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_array_copy_out: NULL output");
  genc_status rs = genc__host_read_ok(ctx, a, "genc_array_copy_out");
  if (rs) return rs;
  if (cap < n)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_array_copy_out: buffer holds %lld values, the array has %lld",
                         (long long)cap, (long long)n);
  if (a->dtype == GENC_F64) return genc_array_copy_raw(ctx, a, out, (size_t)cap * sizeof *out);
  void *tmp = malloc(a->bytes ? a->bytes : 1);
  if (!tmp) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_array_copy_out: out of memory");
  genc_status st = genc_array_copy_raw(ctx, a, tmp, a->bytes);
  if (!st)
    for (int64_t i = 0; i < n; i++)
      out[i] = elem_to_double(tmp, (genc_dtype)a->dtype, i);
  free(tmp);
  return st;
}

int genc_array_format(genc_ctx *ctx, const genc_array *a, char *buf, size_t cap) {
  if (!buf) cap = 0;
  if (!a) return snprintf(buf, cap, "<null>");
  int64_t n = genc__numel(a);
  double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
  if (!v || genc_array_copy_out(ctx, a, v, n)) {
    free(v);
    return snprintf(buf, cap, "<unreadable>");
  }
  char sb[128];
  size_t k = (size_t)snprintf(buf, cap, "array(%s %s: ", genc_dtype_name((genc_dtype)a->dtype),
                              genc__shape_str(a, sb, sizeof sb));
  int64_t show = n < 64 ? n : 64;
  for (int64_t i = 0; i < show; i++)
    k += (size_t)snprintf(k < cap ? buf + k : NULL, k < cap ? cap - k : 0, i ? ", %.17g" : "%.17g",
                          v[i]);
  k += (size_t)snprintf(k < cap ? buf + k : NULL, k < cap ? cap - k : 0, "%s)",
                        show < n ? ", ..." : "");
  free(v);
  return (int)k;
}
