/*
 * Parameter checks. Each check is one reduction over every element of every
 * particle and one host read, so a batch of N particles costs one round trip
 * per parameter, not N. Checks are not recorded on the tape.
 */
#include <float.h>

#include "dist/internal.h"

static const char *kind_text(genc__pkind k) {
  switch (k) {
  case GENC__ANY: return "a number";
  case GENC__REAL: return "finite";
  case GENC__POS: return "finite and > 0";
  case GENC__NONNEG: return "finite and >= 0";
  case GENC__PROB: return "in [0, 1]";
  case GENC__PROB_POS: return "in (0, 1]";
  case GENC__COUNT: return "a non-negative integer";
  case GENC__INT: return "an integer";
  case GENC__NOT_NAN_POSINF: return "finite or -inf";
  }
  return "valid";
}

static genc_array *kind_ok(genc_ctx *ctx, genc_array *x, genc__pkind k) {
  genc_array *fin = genc_isfinite(ctx, x);
  switch (k) {
  case GENC__ANY: return genc_eq(ctx, x, x);
  case GENC__REAL: return fin;
  case GENC__POS: return genc_logical_and(ctx, fin, genc_gt(ctx, x, 0.0));
  case GENC__NONNEG: return genc_logical_and(ctx, fin, genc_ge(ctx, x, 0.0));
  case GENC__PROB: return genc_logical_and(ctx, genc_ge(ctx, x, 0.0), genc_le(ctx, x, 1.0));
  case GENC__PROB_POS: return genc_logical_and(ctx, genc_gt(ctx, x, 0.0), genc_le(ctx, x, 1.0));
  case GENC__COUNT: return genc_logical_and(ctx, genc_ge(ctx, x, 0.0), genc__is_int(ctx, x));
  case GENC__INT: return genc__is_int(ctx, x);
  case GENC__NOT_NAN_POSINF:
    return genc_logical_and(ctx, genc_eq(ctx, x, x), genc_ne(ctx, x, INFINITY));
  }
  return NULL;
}

/* Smallest offending element: +inf when all are fine, NaN if one is NaN, and
 * an offending +inf reported through DBL_MAX (so it differs from "all fine"). */
static genc_status worst(genc_ctx *ctx, genc_array *x, genc_array *ok, double *out) {
  genc_array *big = genc_where(ctx, genc_eq(ctx, x, INFINITY), DBL_MAX, genc__as_float(ctx, x));
  genc_array *bad = genc_where(ctx, ok, INFINITY, big);
  genc_array *m = genc_min(ctx, bad, 0, NULL, false);
  if (m && m->n) m = genc_particle_reduce(ctx, GENC_RMIN, m);
  if (!m) return genc_ctx_status(ctx);
  return genc_array_item(ctx, m, out);
}

genc_status genc__check_array(genc_ctx *ctx, const char *dist, const char *name, genc_array *x,
                              genc__pkind kind) {
  if (!x) {
    if (genc_ctx_status(ctx) != GENC_OK) return genc_ctx_status(ctx);
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: parameter %s is NULL", dist, name);
  }
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

genc_status genc__check_param(genc_ctx *ctx, const genc_dist *d, int i, genc__pkind kind) {
  return genc__check_array(ctx, d->type->name, d->type->param_names[i], d->p[i], kind);
}

genc_status genc__check_true(genc_ctx *ctx, const genc_dist *d, genc_array *ok, const char *msg) {
  if (!ok) return genc_ctx_status(ctx);
  bool old = genc__norec_begin(ctx);
  int64_t mark = genc_scope_begin(ctx);
  genc_array *m = genc_min(ctx, genc_astype(ctx, ok, GENC_F64), 0, NULL, false);
  if (m && m->n) m = genc_particle_reduce(ctx, GENC_RMIN, m);
  double v = 0;
  genc_status st = m ? genc_array_item(ctx, m, &v) : genc_ctx_status(ctx);
  genc_scope_end(ctx, mark);
  genc__norec_end(ctx, old);
  if (st != GENC_OK) return st;
  if (v == 1.0) return GENC_OK;
  return genc_ctx_fail(ctx, GENC_ERR_DOMAIN, "%s: %s", d->type->name, msg);
}
