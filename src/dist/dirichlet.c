/* Dirichlet(alpha) over the last axis. */
#include "dist/edges.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  if (d->p[0]->ndim < 1)
    return genc_ctx_fail(ctx, GENC_ERR_SHAPE,
                         "dirichlet: parameter alpha must have a last axis (got a 0-d array)");
  return genc__check_param(ctx, d, 0, GENC__POS);
}

/* sum (a - 1) log x + lgamma(sum a) - sum lgamma(a); the value must be
 * non-negative and sum to 1 within 1e-9 (f64) or 1e-5 (f32) */
static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  x = genc__as_float(ctx, x);
  genc_array *a = d->p[0];
  int ax = -1;
  double tol = x && x->dtype == GENC_F32 ? 1e-5 : 1e-9;
  genc_array *nonneg = genc_ge(ctx, genc_min(ctx, x, 1, &ax, false), 0.0);
  genc_array *s = genc_sum(ctx, x, 1, &ax, false);
  genc_array *ok =
      genc_logical_and(ctx, nonneg, genc_le(ctx, genc_abs(ctx, genc_sub(ctx, s, 1.0)), tol));
  genc_array *xs = genc_maximum(ctx, x, 0.0);
  genc_array *t = genc_sum(ctx, genc__xlogy(ctx, genc_sub(ctx, a, 1.0), xs), 1, &ax, false);
  genc_array *c = genc_sub(ctx, genc_lgamma(ctx, genc_sum(ctx, a, 1, &ax, false)),
                           genc_sum(ctx, genc_lgamma(ctx, a), 1, &ax, false));
  /* the row sum is NaN where the value holds a NaN (the NaN rule) */
  return genc__finish_nan(ctx, genc_add(ctx, t, c), ok, s);
}

/* normalized gamma draws, from their logs (tiny alpha underflows): e^(g - max g)
 * over its sum. One exp per element (a logsumexp would take a second); the
 * largest term is 1, so the sum is in [1, K] and nothing underflows to 0/0. */
static genc_array *sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  int64_t m = genc__dist_particles(ctx, d, n);
  genc_array *a = d->p[0];
  if (m < 0) return NULL;
  int ax = -1;
  genc_array *g = genc__gamma_draw(ctx, key, a, a->ndim, a->shape, m, genc__dist_dtype(d), true);
  /* the shift only guards exp; the normalized result does not depend on it */
  genc_array *shift = genc_stop_gradient(ctx, genc_max(ctx, g, 1, &ax, true));
  genc_array *e = genc_exp(ctx, genc_sub(ctx, g, shift));
  /* components below the smallest positive number (all but one for alpha
   * 1e-3) are that number, where the density is finite (at 0 it is +inf); the
   * sum moves by at most K times it */
  return genc__clamp_pos(ctx, genc_div(ctx, e, genc_sum(ctx, e, 1, &ax, true)));
}

static const genc_dist_type dirichlet_type = {.name = "dirichlet",
                                              .support = {GENC_SUPPORT_SIMPLEX},
                                              .nparams = 1,
                                              .param_names = {"alpha"},
                                              .check = check,
                                              .sample = sample,
                                              .logpdf = logpdf,
                                              .rsample = sample};

genc_dist(genc_dirichlet)(genc_ctx *ctx, genc_array *alpha) {
  (void)ctx;
  return genc__dist(&dirichlet_type, alpha, NULL, NULL, NULL);
}
