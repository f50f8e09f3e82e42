/* The generic distribution API: packaging, checks, and the checked entry
 * points that every caller (models, the GFI, inference) goes through. */
#include "dist/internal.h"

genc_dist genc_dist_new(const genc_dist_type *type, int nparams, genc_array *const *params) {
  genc_dist d = {.type = type, .nparams = nparams};
  for (int i = 0; i < nparams && i < GENC_DIST_MAX_PARAMS; i++)
    d.p[i] = params[i];
  return d;
}

genc_dist genc__dist(const genc_dist_type *t, genc_array *a, genc_array *b, genc_array *c,
                     genc_array *e) {
  genc_dist d = {.type = t, .nparams = t->nparams, .p = {a, b, c, e}};
  for (int i = t->nparams; i < GENC_DIST_MAX_PARAMS; i++)
    d.p[i] = NULL;
  return d;
}

/* Structural checks: a type, the right parameter count, no NULL parameter (a
 * NULL from an earlier failure keeps that failure's message). */
static genc_status check_shape(genc_ctx *ctx, const genc_dist *d) {
  if (!ctx) return GENC_ERR_ARG;
  if (!d || !d->type)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "distribution: NULL distribution or type");
  const genc_dist_type *t = d->type;
  const char *name = t->name ? t->name : "distribution";
  if (!t->sample || !t->logpdf)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: the type has no sample or logpdf function", name);
  if (d->nparams != t->nparams || d->nparams < 0 || d->nparams > GENC_DIST_MAX_PARAMS)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: expected %d parameters, got %d", name, t->nparams,
                         d->nparams);
  for (int i = 0; i < d->nparams; i++) {
    if (d->p[i]) continue;
    if (genc_ctx_status(ctx) != GENC_OK) return genc_ctx_status(ctx);
    const char *pn = t->param_names[i] ? t->param_names[i] : "?";
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: parameter %s is NULL", name, pn);
  }
  return GENC_OK;
}

genc_status genc_dist_check(genc_ctx *ctx, const genc_dist *d) {
  genc_status st = check_shape(ctx, d);
  if (st != GENC_OK || !d->type->check) return st;
  return d->type->check(ctx, d);
}

genc_status genc__dist_check_first(genc_ctx *ctx, const genc_dist *d, bool *after) {
  *after = false;
  genc_status st = check_shape(ctx, d);
  if (st != GENC_OK || !d->type->check) return st;
  if (!genc__capturing(ctx) || !d->type->check_shapes) return d->type->check(ctx, d);
  *after = true;
  return d->type->check_shapes(ctx, d);
}

genc_status genc__dist_check_score(genc_ctx *ctx, const genc_dist *d, genc_array *lp) {
  if (!lp) return genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_ARG;
  if (genc__numel(lp) > 0 && genc__capture_finite(ctx, lp)) return GENC_OK;
  return d->type->check(ctx, d);
}

static bool check_n(genc_ctx *ctx, const genc_dist *d, int64_t n) {
  if (n >= 0) return true;
  genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: particle count %lld is negative", d->type->name,
                (long long)n);
  return false;
}

/* ---- the scalar fast path: single draws and densities on host doubles ---- */

bool genc__dist_scalar_params(genc_ctx *ctx, const genc_dist *d, int64_t n, double *pv) {
  /* a capture needs the draw as a recorded op, not a host value */
  if (!ctx || !d || !d->type || n != 0 || ctx->tape || ctx->capture ||
      genc_ctx_device(ctx) != GENC_CPU)
    return false;
  const genc_dist_type *t = d->type;
  if (!t->sample_scalar || !t->logpdf_scalar || d->nparams != t->nparams ||
      d->nparams > GENC_DIST_MAX_PARAMS)
    return false;
  for (int i = 0; i < d->nparams; i++) {
    const genc_array *a = d->p[i];
    /* 0-d only: a [1]-shaped parameter gives [1]-shaped draws on the array path */
    if (!a || a->ctx != ctx || a->n || a->ndim || a->dtype != GENC_F64) return false;
    if (genc_array_item(ctx, a, &pv[i])) return false;
  }
  return true;
}

genc_status genc__dist_check_scalar(genc_ctx *ctx, const genc_dist *d, const double *pv) {
  genc_status st = check_shape(ctx, d);
  if (st != GENC_OK) return st;
  if (d->type->check_scalar) return d->type->check_scalar(ctx, d, pv);
  return d->type->check ? d->type->check(ctx, d) : GENC_OK;
}

bool genc__dist_scalar_value(genc_ctx *ctx, const genc_array *x, double *xv) {
  /* a weak value would make a weak density on the array path */
  if (!x || x->ctx != ctx || x->n || x->ndim || x->dtype == GENC_F32 || x->weak) return false;
  return genc_array_item(ctx, x, xv) == GENC_OK;
}

int genc__dist_sample_scalar(genc_ctx *ctx, genc_key key, const genc_dist *d, const double *pv,
                             genc_array **out, double *lp) {
  double v;
  if (!d->type->sample_scalar(key, pv, &v)) return 0;
  *out = genc_scalar_of(ctx, v, d->type->scalar_dtype);
  if (!*out) return -1;
  if (lp) *lp = d->type->logpdf_scalar(pv, v);
  return 1;
}

genc_array *genc_dist_sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  double pv[GENC_DIST_MAX_PARAMS];
  if (genc__dist_scalar_params(ctx, d, n, pv)) {
    if (genc__dist_check_scalar(ctx, d, pv) != GENC_OK) return NULL;
    genc_array *x = NULL;
    int r = genc__dist_sample_scalar(ctx, key, d, pv, &x, NULL);
    if (r) return x;
  } else if (genc_dist_check(ctx, d) != GENC_OK || !check_n(ctx, d, n)) {
    return NULL;
  }
  /* plain draws are not differentiated: gradients flow through rsample only */
  bool old = genc__norec_begin(ctx);
  genc_array *x = d->type->sample(ctx, key, d, n);
  genc__norec_end(ctx, old);
  return x;
}

genc_array *genc_dist_rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  if (genc_dist_check(ctx, d) != GENC_OK || !check_n(ctx, d, n)) return NULL;
  if (!d->type->rsample) {
    genc_ctx_fail(ctx, GENC_ERR_UNSUPPORTED, "%s: no reparameterized sampler", d->type->name);
    return NULL;
  }
  return d->type->rsample(ctx, key, d, n);
}

genc_array *genc_dist_logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  double pv[GENC_DIST_MAX_PARAMS], xv;
  if (genc__dist_scalar_params(ctx, d, 0, pv) && genc__dist_scalar_value(ctx, x, &xv)) {
    if (genc__dist_check_scalar(ctx, d, pv) != GENC_OK) return NULL;
    return genc_scalar(ctx, d->type->logpdf_scalar(pv, xv));
  }
  bool after;
  if (genc__dist_check_first(ctx, d, &after) != GENC_OK) return NULL;
  if (!x) {
    if (genc_ctx_status(ctx) == GENC_OK)
      genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: logpdf of a NULL value", d->type->name);
    return NULL;
  }
  genc_array *lp = d->type->logpdf(ctx, d, x);
  return lp && after && genc__dist_check_score(ctx, d, lp) != GENC_OK ? NULL : lp;
}

bool genc_dist_has_rsample(const genc_dist *d) { return d && d->type && d->type->rsample; }

const char *genc_dist_name(const genc_dist *d) {
  return d && d->type && d->type->name ? d->type->name : "";
}
