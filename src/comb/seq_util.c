/* Helpers of the sequence combinators: element access, stacking, and the
 * change detection behind incremental update (which elements or steps of an
 * argument changed, from its diff or, when the diff is unknown, by value). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comb/seq.h"

static bool same_layout(const genc_array *a, const genc_array *b, int from_axis);

genc_array *seq_per_particle(genc_ctx *ctx, genc_array *x, int64_t n) {
  if (!x) x = genc_scalar(ctx, 0.0);
  if (x && n > 0 && !genc_array_batched(x)) x = genc_particle_broadcast(ctx, x, n);
  return x;
}

genc_array *seq_elem(genc_ctx *ctx, genc_array *x, int64_t t) {
  return genc_take(ctx, x, genc_scalar_of(ctx, (double)t, GENC_I32), 0);
}

/* On the CPU, f64 arrays of one shape and one particle count stacked through
 * one host buffer: genc_stack would make and copy a [1, ...] array per step
 * (a strided copy per element when batched). Not while a tape records (the
 * buffer is not differentiable). NULL when not applicable. */
static genc_array *stack_host(genc_ctx *ctx, int64_t len, genc_array *const *xs) {
  genc_array *x0 = xs[0];
  if (genc_ctx_device(ctx) != GENC_CPU || genc_tape_active(ctx) || !x0 ||
      genc_array_dtype(x0) != GENC_F64 || genc_array_ndim(x0) >= GENC_MAX_DIMS)
    return NULL;
  int64_t n = genc_array_nparticles(x0), np = n ? n : 1, sz = genc_array_size(x0);
  for (int64_t t = 1; t < len; t++)
    if (!xs[t] || !same_layout(xs[t], x0, 0)) return NULL;
  double *buf = malloc((size_t)(len * np * sz) * sizeof *buf);
  double *one = malloc((size_t)(np * sz) * sizeof *one);
  genc_status st = buf && one ? GENC_OK : GENC_ERR_NOMEM;
  for (int64_t t = 0; !st && t < len; t++) { /* particle-major: [p][t][elements] */
    st = genc_array_copy_out(ctx, xs[t], one, np * sz);
    for (int64_t p = 0; !st && p < np; p++)
      memcpy(buf + (p * len + t) * sz, one + p * sz, (size_t)sz * sizeof *buf);
  }
  int64_t shape[GENC_MAX_DIMS] = {len};
  for (int i = 0; i < genc_array_ndim(x0); i++)
    shape[i + 1] = genc_array_shape(x0)[i];
  genc_array *out =
      st ? NULL : genc_array_from(ctx, GENC_F64, genc_array_ndim(x0) + 1, shape, n, buf);
  free(buf);
  free(one);
  return out;
}

genc_array *seq_stack(genc_ctx *ctx, int64_t len, genc_array *const *xs, genc_array *like) {
  if (len > 0) {
    genc_array *s = stack_host(ctx, len, xs);
    return s ? s : genc_stack(ctx, (int)len, xs, 0);
  }
  if (!like) {
    int64_t zero = 0;
    return genc_array_zeros(ctx, GENC_F64, 1, &zero, 0);
  }
  return genc_slice(ctx, genc_expand_dims(ctx, like, 0), 0, 0, 0, 1);
}

static bool same_layout(const genc_array *a, const genc_array *b, int from_axis) {
  if (genc_array_dtype(a) != genc_array_dtype(b) || genc_array_ndim(a) != genc_array_ndim(b) ||
      genc_array_nparticles(a) != genc_array_nparticles(b))
    return false;
  for (int i = from_axis; i < genc_array_ndim(a); i++)
    if (genc_array_shape(a)[i] != genc_array_shape(b)[i]) return false;
  return true;
}

bool seq_same_value(genc_ctx *ctx, genc_array *a, genc_array *b) {
  if (a == b) return true;
  if (!a || !b || !same_layout(a, b, 0)) return false;
  int64_t mark = genc_scope_begin(ctx);
  genc_array *s = genc_sum_all(ctx, genc_astype(ctx, genc_ne(ctx, a, b), GENC_F64));
  if (s && genc_array_batched(s)) s = genc_particle_reduce(ctx, GENC_RSUM, s);
  double v = 1;
  bool ok = s && genc_array_item(ctx, s, &v) == GENC_OK;
  genc_scope_end(ctx, mark);
  return ok && v == 0;
}

bool seq_arg_unchanged(genc_ctx *ctx, const genc_argdiff *d, int i, genc_array *old_x,
                       genc_array *new_x) {
  return genc_argdiff_unchanged(d, i) || seq_same_value(ctx, old_x, new_x);
}

/* Per-element count of differing entries of the first m elements (shared [m]). */
static genc_array *diff_counts(genc_ctx *ctx, genc_array *a, genc_array *b, int64_t m) {
  a = genc_slice(ctx, a, 0, 0, m, 1);
  b = genc_slice(ctx, b, 0, 0, m, 1);
  genc_array *ne = genc_astype(ctx, genc_ne(ctx, a, b), GENC_F64);
  if (ne && genc_array_batched(ne)) { /* particles become axis 0: [n, m, ...] */
    ne = genc_particle_to_axis(ctx, ne);
    ne = genc_sum(ctx, ne, 1, (int[]){0}, false);
  }
  int nd = ne ? genc_array_ndim(ne) : 0;
  int axes[GENC_MAX_DIMS];
  for (int i = 1; i < nd; i++)
    axes[i - 1] = i;
  return nd > 1 ? genc_sum(ctx, ne, nd - 1, axes, false) : ne;
}

genc_status seq_changed_elems(genc_ctx *ctx, const genc_argdiff *d, genc_array *old_x,
                              genc_array *new_x, int64_t len, bool *changed) {
  int64_t old_len = old_x && genc_array_ndim(old_x) ? genc_array_dim(old_x, 0) : 0;
  for (int64_t t = 0; t < len; t++)
    changed[t] = t >= old_len;
  int64_t m = old_len < len ? old_len : len;
  if (m == 0 || old_x == new_x || (d && d->kind == GENC_DIFF_NO_CHANGE)) return GENC_OK;
  if (d && d->kind == GENC_DIFF_VECTOR) {
    for (int64_t k = 0; k < d->nchanged; k++)
      if (d->changed[k] >= 0 && d->changed[k] < len) changed[d->changed[k]] = true;
    return GENC_OK;
  }
  if (!same_layout(old_x, new_x, 1)) {
    for (int64_t t = 0; t < m; t++)
      changed[t] = true;
    return GENC_OK;
  }
  int64_t mark = genc_scope_begin(ctx);
  double *v = malloc((size_t)m * sizeof *v);
  genc_array *cnt = v ? diff_counts(ctx, old_x, new_x, m) : NULL;
  genc_status st = cnt ? genc_array_copy_out(ctx, cnt, v, m) : genc_ctx_status(ctx);
  if (!v) st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, "out of memory comparing arguments");
  for (int64_t t = 0; !st && t < m; t++)
    changed[t] = v[t] != 0;
  free(v);
  genc_scope_end(ctx, mark);
  return st;
}

genc_status seq_read_len(genc_ctx *ctx, const genc_gf *gf, genc_array *x, const char *what,
                         int64_t *out) {
  double v = -1;
  if (!x || genc_array_batched(x) || genc_array_size(x) != 1)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "%s: the %s must be a shared one-element integer array (it may not "
                         "differ between particles)",
                         genc_gf_name(gf), what);
  genc_status st = genc_array_item(ctx, x, &v);
  if (st) return st;
  if (!(v >= 0) || v != floor(v) || v > 1e12)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: the %s is %g; it must be a whole number >= 0",
                         genc_gf_name(gf), what, v);
  *out = (int64_t)v;
  return GENC_OK;
}

genc_status seq_close(genc_ctx *ctx, int64_t mark, genc_status st, seq_run *r,
                      genc_gfi_result *res) {
  seq_run_free(r);
  if (st) {
    genc_trace_release(res->trace);
    genc_choicemap_free(res->discard);
    *res = (genc_gfi_result){0};
    genc_scope_end(ctx, mark);
    return st;
  }
  genc_array *keep[2] = {res->weight, res->retval};
  genc_scope_end_keep(ctx, mark, keep, res->retval ? 2 : 1);
  return GENC_OK;
}
