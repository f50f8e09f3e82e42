/*
 * The log density of a model on the unconstrained space, as BridgeStan offers
 * for Stan models: theta (the selected continuous choices, each moved to R^d
 * by Stan's transform for its declared support, transform.c) maps to
 * log p(choices, observations) + log|J| and its gradient. One evaluation is a
 * fully constrained generate (score = the joint) and the choice gradients of
 * that trace, chained through the transforms on the host. The batched form
 * runs both once for N points.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genc/infer.h"
#include "infer/logdensity_impl.h"

void genc_logdensity_free(genc_logdensity *ld) {
  if (!ld) return;
  genc_gf_release(ld->gf);
  for (int i = 0; i < GENC_GF_MAX_ARGS; i++)
    genc_array_release(ld->args[i]);
  genc_choicemap_free(ld->obs);
  genc_selection_release(ld->sel);
  for (int i = 0; i < ld->naddr; i++) {
    free(ld->addr ? ld->addr[i] : NULL);
    if (ld->blk) free(ld->blk[i].lo), free(ld->blk[i].hi);
    free(ld->shape ? ld->shape[i] : NULL);
  }
  for (int64_t i = 0; ld->names && i < ld->xdim; i++)
    free(ld->names[i]);
  free(ld->names), free(ld->addr), free(ld->blk), free(ld->ndim), free(ld->shape);
  genc_graph_free(ld->graph);
  free(ld);
}

bool genc_logdensity_captured(const genc_logdensity *ld) { return ld && ld->graph; }

genc_status genc_logdensity_set_compile(genc_ctx *ctx, genc_logdensity *ld,
                                        genc_compile_mode mode) {
  if (!ctx) return GENC_ERR_ARG;
  if (!ld || (mode != GENC_COMPILE_AUTO && mode != GENC_COMPILE_ON && mode != GENC_COMPILE_OFF))
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_logdensity_set_compile: NULL log density or mode %d (AUTO 0, ON "
                         "1, OFF -1)",
                         (int)mode);
  ld->compile = mode;
  genc_graph_free(ld->graph), ld->graph = NULL;
  ld->refused = false;
  return GENC_OK;
}

/* Read an interval's bounds (shared, broadcast to the value's size) into b. */
static genc_status read_bounds(genc_ctx *ctx, const char *a, const genc_support_info *si,
                               ld_block *b) {
  int64_t n = b->rows * b->k;
  b->lo = malloc((size_t)n * sizeof(double));
  b->hi = malloc((size_t)n * sizeof(double));
  if (!b->lo || !b->hi) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_logdensity_new: no memory");
  if (si->support.kind == GENC_SUPPORT_CIRCLE) {
    for (int64_t i = 0; i < n; i++)
      b->lo[i] = -M_PI, b->hi[i] = M_PI;
    return GENC_OK;
  }
  genc_array *ab[2] = {si->lo, si->hi};
  double *out[2] = {b->lo, b->hi};
  for (int j = 0; j < 2; j++) {
    int64_t m = genc_array_size(ab[j]);
    if (genc_array_batched(ab[j]) || (m != 1 && m != n))
      return genc_ctx_fail(ctx, GENC_ERR_UNSUPPORTED,
                           "genc_logdensity_new: the bounds of %s (%s) must be shared numbers or "
                           "have the value's size",
                           a, si->dist->name);
    if (genc_array_copy_out(ctx, ab[j], out[j], m)) return genc_ctx_status(ctx);
    for (int64_t i = m; i < n; i++)
      out[j][i] = out[j][0];
  }
  return GENC_OK;
}

/* CmdStan names: "a" for a 0-d value, else "a.i.j" with 1-based indices. */
static genc_status make_names(genc_ctx *ctx, genc_logdensity *ld) {
  ld->names = calloc((size_t)(ld->xdim ? ld->xdim : 1), sizeof(char *));
  if (!ld->names) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_logdensity_new: no memory");
  int64_t q = 0;
  for (int a = 0; a < ld->naddr; a++) {
    int64_t n = ld->blk[a].rows * ld->blk[a].k;
    for (int64_t e = 0; e < n; e++, q++) {
      char buf[512];
      int len = snprintf(buf, sizeof buf, "%s", ld->addr[a]);
      int64_t rem = e, stride = n;
      for (int d = 0; d < ld->ndim[a] && len < (int)sizeof buf; d++) {
        stride /= ld->shape[a][d];
        len +=
            snprintf(buf + len, sizeof buf - (size_t)len, ".%lld", (long long)(rem / stride + 1));
        rem %= stride;
      }
      if (!(ld->names[q] = strdup(buf)))
        return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_logdensity_new: no memory");
    }
  }
  return GENC_OK;
}

/* Block of address a from the template: support, shape, theta slice. */
static genc_status add_block(genc_ctx *ctx, genc_logdensity *ld, int a, const genc_trace *tmpl) {
  const char *name = ld->addr[a];
  genc_support_info si;
  if (genc_trace_support(ctx, tmpl, name, &si)) return genc_ctx_status(ctx);
  genc_array *v = genc_trace_get_path(ctx, tmpl, name);
  if (!v) return genc_ctx_status(ctx);
  if (genc_array_batched(v))
    return genc_ctx_fail(ctx, GENC_ERR_PARTICLE,
                         "genc_logdensity_new: the template trace is batched (at %s); give one "
                         "trace",
                         name);
  ld_block *b = &ld->blk[a];
  int nd = genc_array_ndim(v);
  const int64_t *sh = genc_array_shape(v);
  b->kind = si.support.kind;
  b->k = b->kind == GENC_SUPPORT_SIMPLEX && nd > 0 ? sh[nd - 1] : 1;
  b->rows = b->k ? genc_array_size(v) / b->k : 0;
  int64_t d = genc__tf_dim(b->kind, b->rows, b->k);
  if (d < 0)
    return genc_ctx_fail(ctx, GENC_ERR_UNSUPPORTED,
                         "genc_logdensity_new: the choice at %s (%s) has support '%s', which has "
                         "no transform to the real line (select continuous choices with a real, "
                         "positive, interval or simplex support)",
                         name, si.dist ? si.dist->name : "?", genc_support_name(b->kind));
  ld->ndim[a] = nd;
  if (!(ld->shape[a] = malloc((size_t)(nd ? nd : 1) * sizeof(int64_t))))
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_logdensity_new: no memory");
  memcpy(ld->shape[a], sh, (size_t)nd * sizeof(int64_t));
  if ((b->kind == GENC_SUPPORT_INTERVAL || b->kind == GENC_SUPPORT_CIRCLE) &&
      read_bounds(ctx, name, &si, b))
    return genc_ctx_status(ctx);
  b->off = ld->dim;
  b->dim = d;
  ld->dim += d;
  ld->xdim += b->rows * b->k;
  return GENC_OK;
}

genc_logdensity *genc_logdensity_new(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                                     const genc_choicemap *obs, int naddrs,
                                     const char *const *addrs, const genc_trace *tmpl) {
  if (!ctx) return NULL;
  if (!gf || !tmpl || naddrs < 1 || !addrs || (genc_gf_nargs(gf) > 0 && !args)) {
    genc_ctx_fail(ctx, GENC_ERR_ARG,
                  "genc_logdensity_new: NULL model, arguments, addresses or template trace, or "
                  "no address (naddrs = %d)",
                  naddrs);
    return NULL;
  }
  genc_logdensity *ld = calloc(1, sizeof *ld);
  if (!ld) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_logdensity_new: no memory");
    return NULL;
  }
  ld->gf = genc_gf_retain(gf);
  for (int i = 0; i < genc_gf_nargs(gf); i++)
    ld->args[i] = genc_array_retain(args[i]);
  ld->naddr = naddrs;
  ld->addr = calloc((size_t)naddrs, sizeof(char *));
  ld->blk = calloc((size_t)naddrs, sizeof(ld_block));
  ld->ndim = calloc((size_t)naddrs, sizeof(int));
  ld->shape = calloc((size_t)naddrs, sizeof(int64_t *));
  ld->obs = obs ? genc_choicemap_copy(ctx, obs) : genc_choicemap_new(ctx);
  ld->sel = genc_selection_new(ctx);
  bool ok = ld->addr && ld->blk && ld->ndim && ld->shape && ld->obs && ld->sel;
  if (!ok) genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_logdensity_new: no memory");
  for (int a = 0; ok && a < naddrs; a++) {
    ok = addrs[a] && (ld->addr[a] = strdup(addrs[a]));
    if (!ok) genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_logdensity_new: address %d is NULL", a);
    ok = ok && !genc_selection_add_str(ctx, ld->sel, addrs[a]) && !add_block(ctx, ld, a, tmpl);
  }
  if (ok) ok = !make_names(ctx, ld);
  if (!ok) {
    genc_logdensity_free(ld);
    return NULL;
  }
  return ld;
}

int64_t genc_logdensity_dim(const genc_logdensity *ld) { return ld ? ld->dim : 0; }
int64_t genc_logdensity_constrained_dim(const genc_logdensity *ld) { return ld ? ld->xdim : 0; }
const char *genc_logdensity_param_name(const genc_logdensity *ld, int64_t i) {
  return ld && i >= 0 && i < ld->xdim ? ld->names[i] : NULL;
}

genc_status genc_logdensity_constrain(genc_ctx *ctx, const genc_logdensity *ld, const double *theta,
                                      double *x, double *log_jac) {
  if (!ctx) return GENC_ERR_ARG;
  if (!ld || !theta || !x)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_logdensity_constrain: NULL argument");
  double lj = 0.0;
  int64_t q = 0;
  for (int a = 0; a < ld->naddr; a++) {
    lj += genc__tf_constrain(&ld->blk[a], theta + ld->blk[a].off, x + q);
    q += ld->blk[a].rows * ld->blk[a].k;
  }
  if (log_jac) *log_jac = lj;
  return GENC_OK;
}

genc_status genc_logdensity_unconstrain(genc_ctx *ctx, const genc_logdensity *ld,
                                        const genc_trace *t, double *theta) {
  if (!ctx) return GENC_ERR_ARG;
  if (!ld || !t || !theta)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_logdensity_unconstrain: NULL argument");
  int64_t np = genc_trace_nparticles(t) ? genc_trace_nparticles(t) : 1; /* rows of theta */
  for (int a = 0; a < ld->naddr; a++) {
    const ld_block *b = &ld->blk[a];
    int64_t n = b->rows * b->k;
    double *x = malloc((size_t)(np * n + 1) * sizeof *x);
    if (!x) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_logdensity_unconstrain: no memory");
    if (genc_trace_copy_out(ctx, t, ld->addr[a], x, np * n)) {
      free(x);
      return genc_ctx_status(ctx);
    }
    int64_t bad = -1;
    for (int64_t p = 0; p < np && bad < 0; p++)
      if ((bad = genc__tf_unconstrain(b, x + p * n, theta + p * ld->dim + b->off)) >= 0)
        bad += p * n;
    double xv = bad >= 0 ? x[bad] : 0.0;
    free(x);
    if (bad >= 0)
      return genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                           "genc_logdensity_unconstrain: the value %g at %s (element %lld) is not "
                           "inside the %s support of its distribution, so no unconstrained point "
                           "maps to it",
                           xv, ld->addr[a], (long long)bad, genc_support_name(b->kind));
  }
  return GENC_OK;
}

/* Constraints: observations plus the selected values x ([n][xdim] rows). */
static genc_choicemap *make_constraints(genc_ctx *ctx, const genc_logdensity *ld, int64_t n,
                                        const double *x) {
  genc_choicemap *cm = genc_choicemap_copy(ctx, ld->obs);
  int64_t q = 0;
  for (int a = 0; cm && a < ld->naddr; a++) {
    int64_t m = ld->blk[a].rows * ld->blk[a].k;
    double *buf = malloc((size_t)((n ? n : 1) * m + 1) * sizeof *buf);
    if (!buf) {
      genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_logdensity: no memory");
      genc_choicemap_free(cm);
      return NULL;
    }
    for (int64_t p = 0; p < (n ? n : 1); p++)
      memcpy(buf + p * m, x + p * ld->xdim + q, (size_t)m * sizeof *buf);
    genc_array *v = genc_array_from(ctx, GENC_F64, ld->ndim[a], ld->shape[a], n, buf);
    free(buf);
    if (!v || genc_choicemap_set_str(ctx, cm, ld->addr[a], v)) {
      genc_choicemap_free(cm);
      return NULL;
    }
    q += m;
  }
  return cm;
}

genc_choicemap *genc_logdensity_choicemap(genc_ctx *ctx, const genc_logdensity *ld, int64_t n,
                                          const double *theta) {
  if (!ctx) return NULL;
  if (!ld || !theta || n < 0) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_logdensity_choicemap: NULL argument or n = %lld < 0",
                  (long long)n);
    return NULL;
  }
  int64_t np = n ? n : 1;
  double *x = malloc((size_t)(np * ld->xdim + 1) * sizeof *x);
  if (!x) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_logdensity_choicemap: no memory");
    return NULL;
  }
  for (int64_t p = 0; p < np; p++)
    genc_logdensity_constrain(ctx, ld, theta + p * ld->dim, x + p * ld->xdim, NULL);
  genc_choicemap *none = genc_choicemap_new(ctx), *cm = NULL;
  if (none) {
    genc_logdensity tmp = *ld; /* make_constraints without the observations */
    tmp.obs = none;
    cm = make_constraints(ctx, &tmp, n, x);
  }
  genc_choicemap_free(none);
  free(x);
  return cm;
}

/* Gradients of the score at the selected addresses into gx ([n][xdim]). */
static genc_status score_grads(genc_ctx *ctx, const genc_logdensity *ld, const genc_trace *t,
                               int64_t n, double *gx) {
  genc_choicemap *g = NULL;
  if (genc_gf_choice_gradients(ctx, t, ld->sel, NULL, &g)) return genc_ctx_status(ctx);
  int64_t q = 0, np = n ? n : 1;
  genc_status st = GENC_OK;
  double *buf = malloc((size_t)(np * ld->xdim + 1) * sizeof *buf);
  if (!buf) st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_logdensity: no memory");
  for (int a = 0; !st && a < ld->naddr; a++) {
    int64_t m = ld->blk[a].rows * ld->blk[a].k;
    genc_array *ga = genc_choicemap_get_str(ctx, g, ld->addr[a]);
    if (!ga || (n && !genc_array_batched(ga))) {
      st = ga ? genc_ctx_fail(ctx, GENC_ERR_PARTICLE, "genc_logdensity: unbatched gradient at %s",
                              ld->addr[a])
              : genc_ctx_status(ctx);
      break;
    }
    if ((st = genc_array_copy_out(ctx, ga, buf, np * m))) break;
    for (int64_t p = 0; p < np; p++)
      memcpy(gx + p * ld->xdim + q, buf + p * m, (size_t)m * sizeof *buf);
    q += m;
  }
  free(buf);
  genc_choicemap_free(g);
  return st;
}

/* Evaluate n points (n == 0: one, unbatched). */
static genc_status eval(genc_ctx *ctx, genc_logdensity *ld, int64_t n, const double *theta,
                        double *lp, double *grad) {
  int64_t np = n ? n : 1;
  double *x = malloc((size_t)(2 * np * ld->xdim + np + 1) * sizeof *x);
  if (!x) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_logdensity: no memory");
  double *gx = x + np * ld->xdim, *lj = gx + np * ld->xdim;
  for (int64_t p = 0; p < np; p++)
    genc_logdensity_constrain(ctx, ld, theta + p * ld->dim, x + p * ld->xdim, &lj[p]);
  bool handled = false;
  genc_status st = genc__ld_eval_graph(ctx, ld, n, x, lp, grad ? gx : NULL, &handled);
  if (!handled && !st) {
    int64_t mark = genc_scope_begin(ctx);
    genc_choicemap *cm = make_constraints(ctx, ld, n, x);
    genc_trace *t =
        cm ? genc_gf_generate(ctx, ld->gf, ld->args, cm, genc_key_from_seed(0), n, NULL) : NULL;
    genc_choicemap_free(cm);
    if (!t || genc_array_copy_out(ctx, genc_trace_score(t), lp, np)) st = genc_ctx_status(ctx);
    if (!st && grad) st = score_grads(ctx, ld, t, n, gx);
    genc_trace_release(t);
    genc_scope_end(ctx, mark);
  }
  for (int64_t p = 0; !st && p < np; p++) {
    lp[p] += lj[p];
    if (!grad) continue;
    double *gy = grad + p * ld->dim;
    memset(gy, 0, (size_t)ld->dim * sizeof *gy);
    if (!isfinite(lp[p])) continue; /* outside the support: no gradient */
    int64_t q = 0;
    for (int a = 0; a < ld->naddr; a++) {
      const ld_block *b = &ld->blk[a];
      genc__tf_grad(b, theta + p * ld->dim + b->off, x + p * ld->xdim + q, gx + p * ld->xdim + q,
                    gy + b->off);
      q += b->rows * b->k;
    }
  }
  free(x);
  return st ? genc_ctx_status(ctx) : GENC_OK;
}

genc_status genc_logdensity_eval(genc_ctx *ctx, genc_logdensity *ld, const double *theta,
                                 double *lp, double *grad) {
  if (!ctx) return GENC_ERR_ARG;
  if (!ld || !theta || !lp)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_logdensity_eval: NULL argument");
  return eval(ctx, ld, 0, theta, lp, grad);
}

genc_status genc_logdensity_eval_batch(genc_ctx *ctx, genc_logdensity *ld, int64_t n,
                                       const double *theta, double *lp, double *grad) {
  if (!ctx) return GENC_ERR_ARG;
  if (!ld || !theta || !lp || n < 1)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_logdensity_eval_batch: NULL argument or n = %lld < 1", (long long)n);
  return eval(ctx, ld, n, theta, lp, grad);
}

genc_status genc_logdensity_check_init(genc_ctx *ctx, genc_logdensity *ld, const double *theta) {
  if (!ctx) return GENC_ERR_ARG;
  double lp;
  if (genc_logdensity_eval(ctx, ld, theta, &lp, NULL)) return genc_ctx_status(ctx);
  if (isfinite(lp)) return GENC_OK;
  /* Name the first selected address whose own log density is not finite. */
  double *x = malloc((size_t)(ld->xdim + 1) * sizeof *x);
  if (!x) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_logdensity: no memory");
  genc_logdensity_constrain(ctx, ld, theta, x, NULL);
  int64_t mark = genc_scope_begin(ctx);
  genc_choicemap *cm = make_constraints(ctx, ld, 0, x);
  genc_trace *t =
      cm ? genc_gf_generate(ctx, ld->gf, ld->args, cm, genc_key_from_seed(0), 0, NULL) : NULL;
  genc_choicemap_free(cm);
  int bad = -1;
  int64_t q = 0, bq = 0;
  for (int a = 0; t && a < ld->naddr && bad < 0; a++) {
    genc_selection *s = genc_selection_new(ctx);
    genc_array *w =
        s && !genc_selection_add_str(ctx, s, ld->addr[a]) ? genc_gf_project(ctx, t, s) : NULL;
    double v = w ? genc_array_to_double(ctx, w) : NAN;
    if (!isfinite(v)) bad = a, bq = q;
    genc_selection_release(s);
    q += ld->blk[a].rows * ld->blk[a].k;
  }
  genc_trace_release(t);
  genc_scope_end(ctx, mark);
  double xv = bad >= 0 ? x[bq] : NAN;
  free(x);
  if (bad >= 0)
    return genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                         "%s: no valid initial point: the choice at %s (constraint: %s) has "
                         "log density %s at the value %g",
                         genc_gf_name(ld->gf), ld->addr[bad], genc_support_name(ld->blk[bad].kind),
                         "-inf or NaN", xv);
  return genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                       "%s: no valid initial point: log density %g at the initial values (the "
                       "observations or an unselected choice have probability zero)",
                       genc_gf_name(ld->gf), lp);
}
