/* Mixture of distributions with unnormalized log weights. */
#include "dist/internal.h"

static const genc_mixture_comps *comps_of(const genc_dist *d) { return d->extra; }

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  const genc_mixture_comps *mc = comps_of(d);
  genc_array *lw = d->p[0];
  if (!mc || mc->k < 1 || !mc->comps)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "mixture: no components");
  if (lw->ndim != 1 || lw->shape[0] != mc->k) {
    char b[96];
    return genc_ctx_fail(ctx, GENC_ERR_SHAPE,
                         "mixture: parameter log_weights %s must be 1-d with %d entries",
                         genc__shape_str(lw, b, sizeof b), mc->k);
  }
  genc_status st = genc__check_param(ctx, d, 0, GENC__NOT_NAN_POSINF);
  if (!st)
    st = genc__check_true(ctx, d, genc_gt(ctx, genc_max(ctx, lw, 0, NULL, false), -INFINITY),
                          "parameter log_weights is all -inf");
  for (int i = 0; i < mc->k && !st; i++)
    st = genc_dist_check(ctx, &mc->comps[i]);
  return st;
}

/* log sum_i w_i p_i(x), accumulated pairwise in log space */
static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  const genc_mixture_comps *mc = comps_of(d);
  genc_array *lw = d->p[0];
  int ax = -1;
  genc_array *ln = genc_sub(ctx, lw, genc_logsumexp(ctx, lw, 1, &ax, true));
  genc_array *acc = genc_scalar_weak(ctx, -INFINITY);
  for (int i = 0; i < mc->k; i++) {
    const genc_dist *c = &mc->comps[i];
    genc_array *w = genc_sum(ctx, genc_slice(ctx, ln, -1, i, i + 1, 1), 1, &ax, false);
    acc = genc__logaddexp(ctx, acc, genc_add(ctx, w, c->type->logpdf(ctx, c, x)));
  }
  return acc;
}

/* draw every component, then pick per particle by a categorical index */
static genc_array *sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  const genc_mixture_comps *mc = comps_of(d);
  genc_array *lw = d->p[0];
  int64_t m = genc__dist_particles(ctx, d, n);
  if (m < 0) return NULL;
  genc_array *c = genc_random_categorical(ctx, genc_key_fold_in(key, 0), lw, lw->n ? 0 : m);
  genc_array *out = NULL;
  for (int i = 0; i < mc->k; i++) {
    const genc_dist *ci = &mc->comps[i];
    genc_array *s = ci->type->sample(ctx, genc_key_fold_in(key, (uint64_t)i + 1), ci, n);
    out = out ? genc_where(ctx, genc_eq(ctx, c, (double)i), s, out) : s;
  }
  return out;
}

static const genc_dist_type mixture_type = {.name = "mixture",
                                            .nparams = 1,
                                            .param_names = {"log_weights"},
                                            .check = check,
                                            .sample = sample,
                                            .logpdf = logpdf};

genc_dist(genc_mixture)(genc_ctx *ctx, const genc_mixture_comps *comps, genc_array *log_weights) {
  (void)ctx;
  genc_dist d = genc__dist(&mixture_type, log_weights, NULL, NULL, NULL);
  d.extra = comps;
  return d;
}
