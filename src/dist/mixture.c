/* Mixture of distributions with unnormalized log weights. */
#include <string.h>

#include "dist/internal.h"

static const genc_mixture_comps *comps_of(const genc_dist *d) { return d->extra; }

/* What a component's draws are: "discrete" (integer or bool values) or the
 * float dtype of its draws. */
static const char *value_kind(const genc_dist *c) {
  return c->type->discrete ? "discrete" : genc_dtype_name(genc__dist_dtype(c));
}

/* Every component must draw values of one kind: a mixture picks among their
 * draws, so mixed dtypes would promote silently (an f32 model turning f64). */
static genc_status check_dtypes(genc_ctx *ctx, const genc_mixture_comps *mc) {
  const char *k0 = value_kind(&mc->comps[0]);
  for (int i = 1; i < mc->k; i++) {
    const char *ki = value_kind(&mc->comps[i]);
    if (strcmp(ki, k0))
      return genc_ctx_fail(ctx, GENC_ERR_DTYPE,
                           "mixture: component %d (%s) draws %s values but component 0 (%s) "
                           "draws %s values; components must agree",
                           i, genc_dist_name(&mc->comps[i]), ki, genc_dist_name(&mc->comps[0]), k0);
  }
  return GENC_OK;
}

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
  return st ? st : check_dtypes(ctx, mc);
}

/* log sum_i w_i p_i(x), accumulated pairwise in log space */
static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  const genc_mixture_comps *mc = comps_of(d);
  genc_array *lw = d->p[0];
  int ax = -1;
  genc_array *ln = genc_sub(ctx, lw, genc_logsumexp(ctx, lw, 1, &ax, true));
  /* the first term starts the sum (a weak -inf start would make the sum f64) */
  genc_array *acc = NULL;
  for (int i = 0; i < mc->k; i++) {
    const genc_dist *c = &mc->comps[i];
    genc_array *w = genc_sum(ctx, genc_slice(ctx, ln, -1, i, i + 1, 1), 1, &ax, false);
    genc_array *term = genc_add(ctx, w, c->type->logpdf(ctx, c, x));
    acc = i ? genc__logaddexp(ctx, acc, term) : term;
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
                                            .support = {GENC_SUPPORT_OTHER},
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
