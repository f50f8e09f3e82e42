/* Categorical over 0..K-1 from logits along the last axis; values are i32. */
#include "dist/edges.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  genc_array *l = d->p[0];
  if (l->ndim < 1)
    return genc_ctx_fail(ctx, GENC_ERR_SHAPE,
                         "categorical: parameter logits must have an axis "
                         "of categories (got a 0-d array)");
  genc_status st = genc__check_param(ctx, d, 0, GENC__NOT_NAN_POSINF);
  int ax = -1;
  genc_array *mx = st ? NULL : genc_max(ctx, genc_stop_gradient(ctx, l), 1, &ax, false);
  return st ? st
            : genc__check_true(ctx, d, genc_gt(ctx, mx, -INFINITY),
                               "parameter logits has a row that is all -inf");
}

/* log softmax picked at x by an equality mask (no gather: O(K) per value) */
static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  genc_array *l = genc__as_float(ctx, d->p[0]);
  int ax = -1;
  int64_t k = l->shape[l->ndim - 1], shp[GENC_MAX_DIMS + 1];
  genc_array *lp = genc_sub(ctx, l, genc_logsumexp(ctx, l, 1, &ax, true));
  for (int i = 0; i < x->ndim; i++)
    shp[i] = x->shape[i];
  shp[x->ndim] = 1;
  genc_array *xe = x->ndim < GENC_MAX_DIMS ? genc_reshape(ctx, x, x->ndim + 1, shp) : NULL;
  if (!xe && genc_ctx_status(ctx) == GENC_OK)
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "categorical: value has too many dimensions");
  genc_array *mask = genc_eq(ctx, xe, genc_array_arange(ctx, GENC_I32, 0, (double)k, 1));
  genc_array *t = genc_sum(ctx, genc_where(ctx, mask, lp, 0.0), 1, &ax, false);
  genc_array *ok = genc_logical_and(ctx, genc_ge(ctx, x, 0.0), genc_lt(ctx, x, (double)k));
  return genc__finish_nan(ctx, t, genc_logical_and(ctx, ok, genc__is_int(ctx, x)), x);
}

static genc_array *sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  int64_t m = genc__dist_particles(ctx, d, n);
  genc_array *l = d->p[0];
  return m < 0 ? NULL : genc_random_categorical(ctx, key, l, l->n ? 0 : m);
}

static const genc_dist_type categorical_type = {.name = "categorical",
                                                .support = {GENC_SUPPORT_DISCRETE},
                                                .nparams = 1,
                                                .param_names = {"logits"},
                                                .discrete = true,
                                                .check = check,
                                                .sample = sample,
                                                .logpdf = logpdf};

genc_dist(genc_categorical)(genc_ctx *ctx, genc_array *logits) {
  (void)ctx;
  return genc__dist(&categorical_type, logits, NULL, NULL, NULL);
}
