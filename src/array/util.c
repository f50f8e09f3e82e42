/* Shape bookkeeping shared by every op: validation, broadcasting, strides. */
#include <stdio.h>

#include "array/internal.h"

const char *genc__shape_str(const genc_array *a, char *buf, size_t cap) {
  size_t k = 0;
  if (a->n) k += (size_t)snprintf(buf + k, cap - k, "%lld particles x ", (long long)a->n);
  k += (size_t)snprintf(buf + k, k < cap ? cap - k : 0, "[");
  for (int i = 0; i < a->ndim && k < cap; i++)
    k += (size_t)snprintf(buf + k, cap - k, i ? ", %lld" : "%lld", (long long)a->shape[i]);
  if (k < cap) snprintf(buf + k, cap - k, "]");
  return buf;
}

int genc__axis(genc_ctx *ctx, const char *op, int axis, int ndim) {
  int ax = axis < 0 ? axis + ndim : axis;
  if (ax < 0 || ax >= ndim) {
    genc_ctx_fail(ctx, GENC_ERR_AXIS, "%s: axis %d out of range for an array of rank %d", op, axis,
                  ndim);
    return -1;
  }
  return ax;
}

bool genc__check_in(genc_ctx *ctx, const char *op, int n, genc_array *const *in) {
  for (int i = 0; i < n; i++) {
    if (!in[i]) return false; /* earlier failure: its message stands */
    if (in[i]->ctx != ctx) {
      genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: operand %d belongs to another context", op, i);
      return false;
    }
  }
  return true;
}

int64_t genc__join_particles(genc_ctx *ctx, const char *op, int n, genc_array *const *in) {
  int64_t np = 0;
  for (int i = 0; i < n; i++) {
    if (!in[i]->n) continue;
    if (np && in[i]->n != np) {
      genc_ctx_fail(ctx, GENC_ERR_PARTICLE,
                    "%s: operands are batched over different particle counts (%lld and %lld)", op,
                    (long long)np, (long long)in[i]->n);
      return -1;
    }
    np = in[i]->n;
  }
  return np;
}

bool genc__broadcast_shapes(genc_ctx *ctx, const char *op, int n, genc_array *const *in, int *ndim,
                            int64_t *shape) {
  int nd = 0;
  for (int i = 0; i < n; i++)
    if (in[i]->ndim > nd) nd = in[i]->ndim;
  for (int d = 0; d < nd; d++)
    shape[d] = 1;
  for (int i = 0; i < n; i++) {
    int off = nd - in[i]->ndim;
    for (int d = 0; d < in[i]->ndim; d++) {
      int64_t s = in[i]->shape[d], *o = &shape[off + d];
      if (s == *o || s == 1) continue;
      if (*o == 1) {
        *o = s;
        continue;
      }
      char b1[128], b2[128];
      genc_ctx_fail(ctx, GENC_ERR_SHAPE, "%s: shapes %s and %s do not broadcast", op,
                    genc__shape_str(in[0], b1, sizeof b1), genc__shape_str(in[i], b2, sizeof b2));
      return false;
    }
  }
  *ndim = nd;
  return true;
}

void genc__phys_shape(const genc_array *a, int *pndim, int64_t *pshape) {
  pshape[0] = a->n ? a->n : 1;
  for (int i = 0; i < a->ndim; i++)
    pshape[i + 1] = a->shape[i];
  *pndim = a->ndim + 1;
}

void genc__bcast_plan(const genc_array *out, int nin, const genc_array *const *in, genc_bcast *g) {
  /* Fast path: every operand is either the full output (same layout, since the
   * shapes broadcast) or a single element. Most ops, and all scalar ops, end here. */
  int64_t total = genc__numel(out);
  bool simple = true;
  for (int k = 0; k < nin && simple; k++) {
    int64_t m = genc__numel(in[k]);
    if (m == total)
      g->stride[k][0] = 1;
    else if (m == 1)
      g->stride[k][0] = 0;
    else
      simple = false;
  }
  if (simple) {
    g->ndim = 1;
    g->shape[0] = total;
    g->n = total;
    return;
  }
  int nd;
  int64_t shp[GENC_PDIMS], st[3][GENC_PDIMS];
  genc__phys_shape(out, &nd, shp);
  for (int k = 0; k < nin; k++) {
    const genc_array *a = in[k];
    int off = out->ndim - a->ndim;
    int64_t s = 1;
    for (int d = nd - 1; d >= 0; d--) {
      int64_t dim;
      if (d == 0)
        dim = a->n ? a->n : 1;
      else if (d - 1 - off >= 0)
        dim = a->shape[d - 1 - off];
      else
        dim = 1;
      st[k][d] = dim == 1 ? 0 : s;
      s *= dim;
    }
  }
  /* drop size-1 dims, then merge neighbours that are contiguous for every operand */
  int m = 0;
  for (int d = 0; d < nd; d++) {
    if (shp[d] == 1) continue;
    if (m > 0) {
      bool merge = true;
      for (int k = 0; k < nin; k++)
        if (g->stride[k][m - 1] != st[k][d] * shp[d]) merge = false;
      if (merge) {
        g->shape[m - 1] *= shp[d];
        for (int k = 0; k < nin; k++)
          g->stride[k][m - 1] = st[k][d];
        continue;
      }
    }
    g->shape[m] = shp[d];
    for (int k = 0; k < nin; k++)
      g->stride[k][m] = st[k][d];
    m++;
  }
  if (m == 0) {
    g->shape[0] = 1;
    for (int k = 0; k < nin; k++)
      g->stride[k][0] = 0;
    m = 1;
  }
  g->ndim = m;
  g->n = 1;
  for (int d = 0; d < m; d++)
    g->n *= g->shape[d];
}
