/*
 * Parameter checks. Each check is one reduction over every element of every
 * particle and one host read, so a batch of N particles costs one round trip
 * per parameter, not N. Checks are not recorded on the tape.
 */
#include <float.h>
#include <math.h>

#include "dist/internal.h"

static const char *kind_text(genc_param_kind k) {
  switch (k) {
  case GENC_PARAM_ANY: return "a number";
  case GENC_PARAM_REAL: return "finite";
  case GENC_PARAM_POSITIVE: return "finite and > 0";
  case GENC_PARAM_NONNEG: return "finite and >= 0";
  case GENC_PARAM_PROB: return "in [0, 1]";
  case GENC_PARAM_PROB_POS: return "in (0, 1]";
  case GENC_PARAM_COUNT: return "a non-negative integer";
  case GENC_PARAM_INT: return "an integer";
  case GENC_PARAM_LOGIT: return "finite or -inf";
  }
  return "valid";
}

static genc_array *kind_ok(genc_ctx *ctx, genc_array *x, genc_param_kind k) {
  genc_array *fin = genc_isfinite(ctx, x);
  switch (k) {
  case GENC_PARAM_ANY: return genc_eq(ctx, x, x);
  case GENC_PARAM_REAL: return fin;
  case GENC_PARAM_POSITIVE: return genc_logical_and(ctx, fin, genc_gt(ctx, x, 0.0));
  case GENC_PARAM_NONNEG: return genc_logical_and(ctx, fin, genc_ge(ctx, x, 0.0));
  case GENC_PARAM_PROB: return genc_logical_and(ctx, genc_ge(ctx, x, 0.0), genc_le(ctx, x, 1.0));
  case GENC_PARAM_PROB_POS:
    return genc_logical_and(ctx, genc_gt(ctx, x, 0.0), genc_le(ctx, x, 1.0));
  case GENC_PARAM_COUNT: return genc_logical_and(ctx, genc_ge(ctx, x, 0.0), genc__is_int(ctx, x));
  case GENC_PARAM_INT: return genc__is_int(ctx, x);
  case GENC_PARAM_LOGIT:
    return genc_logical_and(ctx, genc_eq(ctx, x, x), genc_ne(ctx, x, INFINITY));
  }
  return NULL;
}

/* Reduce x to one shared element with op (over every element and particle).
 * A float 0-d x (one number per particle: the common batched parameter)
 * skips the reduction over its no axes, which would only copy it. */
static genc_array *reduce_all(genc_ctx *ctx, genc_array *x, genc_reduce_op op) {
  genc_array *m = x && x->ndim == 0 && x->n && genc__is_float((genc_dtype)x->dtype)
                      ? x
                      : genc_reduce(ctx, op, x, 0, NULL, false);
  return m && m->n ? genc_particle_reduce(ctx, op, m) : m;
}

/* Smallest offending element: +inf when all are fine, NaN if one is NaN, and
 * an offending +inf reported through DBL_MAX (so it differs from "all fine").
 * In f64 whatever x's dtype: in f32 DBL_MAX would round back to +inf and an
 * f32 +inf would pass as "all fine" (every f32 value is exact in f64). */
static genc_status worst(genc_ctx *ctx, genc_array *x, genc_array *ok, double *out) {
  genc_array *big =
      genc_where(ctx, genc_eq(ctx, x, INFINITY), DBL_MAX, genc_astype(ctx, x, GENC_F64));
  genc_array *bad = genc_where(ctx, ok, INFINITY, big);
  genc_array *m = reduce_all(ctx, bad, GENC_RMIN);
  if (!m) return genc_ctx_status(ctx);
  return genc__guard_item(ctx, m, out);
}

/* Does v satisfy kind? (the host-side twin of kind_ok) */
static bool value_ok(double v, genc_param_kind k) {
  switch (k) {
  case GENC_PARAM_ANY: return v == v;
  case GENC_PARAM_REAL: return isfinite(v);
  case GENC_PARAM_POSITIVE: return isfinite(v) && v > 0;
  case GENC_PARAM_NONNEG: return isfinite(v) && v >= 0;
  case GENC_PARAM_PROB: return v >= 0 && v <= 1;
  case GENC_PARAM_PROB_POS: return v > 0 && v <= 1;
  case GENC_PARAM_COUNT: return isfinite(v) && v >= 0 && v == floor(v);
  case GENC_PARAM_INT: return isfinite(v) && v == floor(v);
  case GENC_PARAM_LOGIT: return v == v && v != INFINITY;
  }
  return false;
}

/* Min or max over every element of every particle (NaN propagates). */
static genc_status extreme(genc_ctx *ctx, genc_array *x, genc_reduce_op op, double *out) {
  genc_array *m = reduce_all(ctx, x, op);
  return m ? genc_array_item(ctx, m, out) : genc_ctx_status(ctx);
}

/* Under a capture the check reads one value that stays 1 while every element
 * is fine (a guard: see genc__guard_item); the bounds quick_ok reads
 * otherwise would change with the inputs and fail every replay. The same
 * passes as quick_ok: a sum for "finite", min and max for the ranges, each
 * judged by kind_ok on the one-element result; integer kinds need kind_ok of
 * every element. */
static int quick_ok_capture(genc_ctx *ctx, genc_array *x, genc_param_kind kind) {
  genc_array *ok;
  if (kind == GENC_PARAM_COUNT || kind == GENC_PARAM_INT || genc__numel(x) == 1)
    ok = reduce_all(ctx, genc_astype(ctx, kind_ok(ctx, x, kind), GENC_F64), GENC_RMIN);
  else if (kind == GENC_PARAM_REAL)
    ok = genc_isfinite(ctx, reduce_all(ctx, x, GENC_RSUM));
  else
    ok = genc_logical_and(ctx, kind_ok(ctx, reduce_all(ctx, x, GENC_RMIN), kind),
                          kind_ok(ctx, reduce_all(ctx, x, GENC_RMAX), kind));
  double v = 0;
  return ok && !genc__guard_item(ctx, genc_astype(ctx, ok, GENC_F64), &v) && v == 1.0;
}

/* ok := every element v of the n elements of type T at d satisfies COND; the
 * test is branch-free so the loop makes one cheap pass over the data. */
#define SCAN_ALL(T, COND)                                                                          \
  do {                                                                                             \
    const T *p_ = (const T *)d;                                                                    \
    int ok_ = 1;                                                                                   \
    for (int64_t i_ = 0; i_ < n; i_++) {                                                           \
      double v = (double)p_[i_];                                                                   \
      ok_ &= (COND);                                                                               \
    }                                                                                              \
    return ok_;                                                                                    \
  } while (0)

/* One scan function per element type; each kind is value_ok written with
 * non-short-circuit comparisons (NaN fails every comparison but !=). */
#define SCAN_FN(name, T)                                                                           \
  static int name(const void *d, int64_t n, genc_param_kind k) {                                   \
    switch (k) {                                                                                   \
    case GENC_PARAM_ANY: SCAN_ALL(T, v == v);                                                      \
    case GENC_PARAM_REAL: SCAN_ALL(T, (v > -INFINITY) & (v < INFINITY));                           \
    case GENC_PARAM_POSITIVE: SCAN_ALL(T, (v > 0) & (v < INFINITY));                               \
    case GENC_PARAM_NONNEG: SCAN_ALL(T, (v >= 0) & (v < INFINITY));                                \
    case GENC_PARAM_PROB: SCAN_ALL(T, (v >= 0) & (v <= 1));                                        \
    case GENC_PARAM_PROB_POS: SCAN_ALL(T, (v > 0) & (v <= 1));                                     \
    case GENC_PARAM_LOGIT: SCAN_ALL(T, v < INFINITY);                                              \
    default: SCAN_ALL(T, value_ok(v, k));                                                          \
    }                                                                                              \
  }
SCAN_FN(scan_f64, double)
SCAN_FN(scan_f32, float)
SCAN_FN(scan_i32, int32_t)
SCAN_FN(scan_bool, uint8_t)

/* The eager CPU hot path: every element judged by value_ok in one pass over
 * the array's memory, no temporaries and no reductions (arrays are dense:
 * max(n, 1) * size elements). -1 when x is not in host memory or of an
 * unknown dtype: the array-op path decides then. */
static int scan_ok(genc_ctx *ctx, const genc_array *x, genc_param_kind kind) {
  if (x->ctx != ctx || ctx->bk->device != GENC_CPU || !x->data) return -1;
  int64_t n = genc__numel(x);
  switch ((genc_dtype)x->dtype) {
  case GENC_F64: return scan_f64(x->data, n, kind);
  case GENC_F32: return scan_f32(x->data, n, kind);
  case GENC_I32: return scan_i32(x->data, n, kind);
  case GENC_BOOL: return scan_bool(x->data, n, kind);
  }
  return -1;
}

/* The hot path of every check: 1 if x surely satisfies kind, 0 if the exact
 * (slower, message-making) path must decide. A one-element array costs one
 * read; a larger one two reductions and two reads, with no elementwise
 * temporaries: min and max bound every element, and both propagate NaN. */
static int quick_ok(genc_ctx *ctx, genc_array *x, genc_param_kind kind) {
  if (genc__capturing(ctx)) return quick_ok_capture(ctx, x, kind);
  int scanned = scan_ok(ctx, x, kind);
  if (scanned >= 0) return scanned;
  if (genc__numel(x) == 1) {
    double v;
    return !genc_array_copy_out(ctx, x, &v, 1) && value_ok(v, kind);
  }
  if (kind == GENC_PARAM_COUNT || kind == GENC_PARAM_INT) return 0;
  if (kind == GENC_PARAM_REAL) {
    /* a finite sum means every element is finite (an overflowing sum of finite
     * values only sends us to the exact path); one pass instead of two */
    double s;
    genc_array *t = genc_sum_all(ctx, x);
    if (t && t->n) t = genc_particle_reduce(ctx, GENC_RSUM, t);
    return t && !genc_array_item(ctx, t, &s) && isfinite(s);
  }
  double lo, hi;
  if (extreme(ctx, x, GENC_RMIN, &lo) || extreme(ctx, x, GENC_RMAX, &hi)) return 0;
  return value_ok(lo, kind) && value_ok(hi, kind);
}

/* quick_ok in a scope of its own, recording nothing on a tape; when it fails
 * its error (if any) is cleared: the caller's exact path reports. */
static int quick_scoped(genc_ctx *ctx, genc_array *x, genc_param_kind kind) {
  bool old = genc__norec_begin(ctx);
  genc_status before = genc_ctx_status(ctx);
  int64_t mark = genc_scope_begin(ctx);
  int ok = quick_ok(ctx, x, kind);
  genc_scope_end(ctx, mark);
  genc__norec_end(ctx, old);
  if (!ok && before == GENC_OK) genc_ctx_clear_error(ctx);
  return ok;
}

genc_status genc_dist_check_array(genc_ctx *ctx, const char *dist, const char *name, genc_array *x,
                                  genc_param_kind kind) {
  if (!ctx) return GENC_ERR_ARG;
  if (!dist) dist = "distribution";
  if (!name) name = "?";
  if ((unsigned)kind > GENC_PARAM_LOGIT)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: unknown kind %d for parameter %s", dist, (int)kind,
                         name);
  if (!x) {
    if (genc_ctx_status(ctx) != GENC_OK) return genc_ctx_status(ctx);
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: parameter %s is NULL", dist, name);
  }
  if (genc__numel(x) == 0 || quick_scoped(ctx, x, kind)) return GENC_OK;
  bool old = genc__norec_begin(ctx);
  int64_t mark = genc_scope_begin(ctx);
  double v = INFINITY;
  genc_status st = worst(ctx, x, kind_ok(ctx, x, kind), &v);
  genc_scope_end(ctx, mark);
  genc__norec_end(ctx, old);
  if (st != GENC_OK) return st;
  if (v == INFINITY) return GENC_OK;
  if (v == DBL_MAX) v = INFINITY;
  return genc_ctx_fail(ctx, GENC_ERR_DOMAIN, "%s: parameter %s must be %s (got %g)", dist, name,
                       kind_text(kind), v);
}

/* The public entry points check their arguments: user types call them. */
static genc_status bad_args(genc_ctx *ctx, const char *fn, const genc_dist *d, int i,
                            genc_param_kind kind) {
  if (!ctx) return GENC_ERR_ARG;
  if (!d || !d->type) return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: NULL distribution or type", fn);
  if (i < 0 || i >= d->nparams || i >= GENC_DIST_MAX_PARAMS)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: %s has no parameter %d", fn,
                         d->type->name ? d->type->name : "distribution", i);
  if ((unsigned)kind > GENC_PARAM_LOGIT)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: unknown parameter kind %d", fn, (int)kind);
  return GENC_OK;
}

static const char *dname(const genc_dist *d) {
  return d->type->name ? d->type->name : "distribution";
}

static const char *pname(const genc_dist *d, int i) {
  return d->type->param_names[i] ? d->type->param_names[i] : "?";
}

genc_status genc_dist_check_param(genc_ctx *ctx, const genc_dist *d, int i, genc_param_kind kind) {
  genc_status st = bad_args(ctx, "genc_dist_check_param", d, i, kind);
  return st ? st : genc_dist_check_array(ctx, dname(d), pname(d, i), d->p[i], kind);
}

int genc__capture_finite(genc_ctx *ctx, genc_array *x) {
  return genc__capturing(ctx) && quick_scoped(ctx, x, GENC_PARAM_REAL);
}

genc_status genc__check_no_shapes(genc_ctx *ctx, const genc_dist *d) {
  (void)ctx, (void)d;
  return GENC_OK;
}

genc_status genc__check_loc_scale(genc_ctx *ctx, const genc_dist *d) {
  genc_status st = genc__check_param(ctx, d, 0, GENC_PARAM_REAL);
  return st ? st : genc__check_param(ctx, d, 1, GENC_PARAM_POSITIVE);
}

genc_status genc_dist_check_true(genc_ctx *ctx, const genc_dist *d, genc_array *ok,
                                 const char *msg) {
  if (!ctx) return GENC_ERR_ARG;
  if (!d || !d->type)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_dist_check_true: NULL distribution or type");
  if (!ok) {
    if (genc_ctx_status(ctx) != GENC_OK) return genc_ctx_status(ctx);
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: genc_dist_check_true of a NULL array", dname(d));
  }
  bool old = genc__norec_begin(ctx);
  int64_t mark = genc_scope_begin(ctx);
  genc_array *m = genc_min(ctx, genc_astype(ctx, ok, GENC_F64), 0, NULL, false);
  if (m && m->n) m = genc_particle_reduce(ctx, GENC_RMIN, m);
  double v = 0;
  genc_status st = m ? genc__guard_item(ctx, m, &v) : genc_ctx_status(ctx);
  genc_scope_end(ctx, mark);
  genc__norec_end(ctx, old);
  if (st != GENC_OK) return st;
  if (v == 1.0) return GENC_OK;
  return genc_ctx_fail(ctx, GENC_ERR_DOMAIN, "%s: %s", dname(d), msg ? msg : "invalid parameters");
}

genc_status genc_dist_check_value(genc_ctx *ctx, const genc_dist *d, int i, double v,
                                  genc_param_kind kind) {
  genc_status st = bad_args(ctx, "genc_dist_check_value", d, i, kind);
  if (st) return st;
  if (value_ok(v, kind)) return GENC_OK;
  /* the message genc_dist_check_array gives for a one-element array */
  return genc_ctx_fail(ctx, GENC_ERR_DOMAIN, "%s: parameter %s must be %s (got %g)", dname(d),
                       pname(d, i), kind_text(kind), v);
}

genc_status genc__check_loc_scale_scalar(genc_ctx *ctx, const genc_dist *d, const double *p) {
  /* valid parameters (every draw of a model) answer here; the checked public
   * calls below only run to name the offending parameter */
  if (isfinite(p[0]) && isfinite(p[1]) && p[1] > 0) return GENC_OK;
  genc_status st = genc__check_value(ctx, d, 0, p[0], GENC_PARAM_REAL);
  return st ? st : genc__check_value(ctx, d, 1, p[1], GENC_PARAM_POSITIVE);
}
