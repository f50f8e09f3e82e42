/*
 * Elliptical slice sampling (Murray, Adams and MacKay 2010) at one address
 * with a Gaussian prior. The likelihood is everything in the score except the
 * prior term of that address: score - project(trace, {addr}), so no prior
 * density is recomputed here and the caller's mean and scale serve only to
 * draw the auxiliary nu and to centre the ellipse.
 */
#include <math.h>

#include "genc.h"

#define ESS_MAX_SHRINKS 200

static double ess_uniform(genc_ctx *ctx, genc_key key) {
  double u = NAN;
  genc_array *a = genc_random_uniform(ctx, key, GENC_F64, 0, NULL, 0);
  if (a) genc_array_item(ctx, a, &u);
  return u;
}

/* log likelihood of t: score minus the prior term at the selected address. */
static double ess_loglik(genc_ctx *ctx, const genc_trace *t, const genc_selection *sel) {
  genc_array *p = genc_gf_project(ctx, t, sel);
  double s = genc_array_to_double(ctx, genc_trace_score(t));
  return p ? s - genc_array_to_double(ctx, p) : NAN;
}

/* nu ~ N(0, S S^T): S elementwise, or a [d, d] Cholesky factor for a [d] value. */
static genc_array *ess_nu(genc_ctx *ctx, genc_array *x, genc_array *scale, genc_key key) {
  genc_array *z =
      genc_random_normal(ctx, key, GENC_F64, genc_array_ndim(x), genc_array_shape(x), 0);
  if (!z) return NULL;
  if (genc_array_ndim(x) == 1 && genc_array_ndim(scale) == 2) {
    int64_t d = genc_array_dim(x, 0), col[2] = {d, 1};
    genc_array *v = genc_matmul(ctx, scale, genc_reshape(ctx, z, 2, col));
    return v ? genc_reshape(ctx, v, 1, &d) : NULL;
  }
  return genc_mul(ctx, scale, z);
}

static genc_trace *ess_at(genc_ctx *ctx, const genc_trace *t, const char *addr, genc_array *mean,
                          genc_array *x, genc_array *nu, double theta) {
  genc_array *d = genc_sub(ctx, x, mean);
  genc_array *xp = genc_add(ctx, mean,
                            genc_add(ctx, genc_mul(ctx, d, genc_scalar(ctx, cos(theta))),
                                     genc_mul(ctx, nu, genc_scalar(ctx, sin(theta)))));
  genc_choicemap *cm = xp ? genc_choicemap_new(ctx) : NULL;
  genc_trace *out = NULL;
  if (cm && !genc_choicemap_set_str(ctx, cm, addr, genc_astype(ctx, xp, genc_array_dtype(x))))
    out = genc_gf_update(ctx, t, NULL, NULL, cm, genc_key_from_seed(0), NULL, NULL);
  genc_choicemap_free(cm);
  return out;
}

static genc_trace *ess_loop(genc_ctx *ctx, const genc_trace *t, const char *addr,
                            const genc_selection *sel, genc_array *mean, genc_array *scale,
                            genc_key key) {
  genc_key k[3];
  genc_key_split(key, 3, k);
  genc_array *x = genc_trace_get_path(ctx, t, addr);
  genc_array *nu = x ? ess_nu(ctx, x, scale, k[0]) : NULL;
  double ly = ess_loglik(ctx, t, sel) + log(ess_uniform(ctx, k[1]));
  double theta = 2 * M_PI * ess_uniform(ctx, genc_key_fold_in(k[2], 0));
  double lo = theta - 2 * M_PI, hi = theta;
  for (int i = 1; nu && !isnan(ly) && i <= ESS_MAX_SHRINKS; i++) {
    genc_trace *tp = ess_at(ctx, t, addr, mean, x, nu, theta);
    double ll = tp ? ess_loglik(ctx, tp, sel) : NAN;
    if (isnan(ll)) return NULL;
    if (ll > ly) return tp;
    genc_trace_release(tp);
    if (theta < 0)
      lo = theta;
    else
      hi = theta;
    theta = lo + (hi - lo) * ess_uniform(ctx, genc_key_fold_in(k[2], (uint64_t)i));
  }
  if (!genc_ctx_status(ctx))
    genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                  "genc_elliptical_slice: model %s: address %s: no point on the ellipse after %d "
                  "shrinks (is the likelihood -inf at the current value?)",
                  genc_gf_name(genc_trace_gf(t)), addr, ESS_MAX_SHRINKS);
  return NULL;
}

genc_trace *genc_elliptical_slice(genc_ctx *ctx, const genc_trace *t, const char *addr,
                                  genc_array *mean, genc_array *scale, genc_key key) {
  if (!ctx) return NULL;
  if (!t || !addr || !mean || !scale) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_elliptical_slice: NULL trace, address, mean or scale");
    return NULL;
  }
  if (genc_trace_nparticles(t) || genc_array_batched(mean) || genc_array_batched(scale)) {
    genc_ctx_fail(ctx, GENC_ERR_ARG,
                  "genc_elliptical_slice: model %s: address %s: single traces and shared "
                  "mean and scale only",
                  genc_gf_name(genc_trace_gf(t)), addr);
    return NULL;
  }
  int64_t mark = genc_scope_begin(ctx);
  genc_selection *sel = genc_selection_new(ctx);
  genc_trace *out = NULL;
  if (sel && !genc_selection_add_str(ctx, sel, addr))
    out = ess_loop(ctx, t, addr, sel, mean, scale, key);
  genc_selection_release(sel);
  genc_scope_end(ctx, mark);
  return out;
}
