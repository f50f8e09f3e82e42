/* Product of independent distributions: the value stacks the components'
 * values along a new leading axis ([k, S...]); the log density is their sum. */
#include <stdlib.h>

#include "dist/internal.h"

static const genc_product_comps *comps_of(const genc_dist *d) { return d->extra; }

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  const genc_product_comps *pc = comps_of(d);
  if (!pc || pc->k < 1 || !pc->comps)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "product: no components");
  genc_status st = GENC_OK;
  for (int i = 0; i < pc->k && !st; i++)
    st = genc_dist_check(ctx, &pc->comps[i]);
  return st;
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  const genc_product_comps *pc = comps_of(d);
  if (x->ndim < 1 || x->shape[0] != pc->k) {
    char b[96];
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "product: value %s must have %d entries along axis 0",
                  genc__shape_str(x, b, sizeof b), pc->k);
    return NULL;
  }
  genc_array *acc = NULL;
  for (int i = 0; i < pc->k; i++) {
    const genc_dist *c = &pc->comps[i];
    genc_array *xi = genc_squeeze(ctx, genc_slice(ctx, x, 0, i, i + 1, 1), 0);
    genc_array *li = xi ? c->type->logpdf(ctx, c, xi) : NULL;
    acc = acc ? genc_add(ctx, acc, li) : li;
  }
  return acc;
}

/* component i draws with key fold_in(key, i); the draws are stacked (dtypes
 * promote, shared and batched draws mix) */
static genc_array *draw(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n, bool reparam) {
  const genc_product_comps *pc = comps_of(d);
  genc_array **xs = calloc((size_t)pc->k, sizeof *xs);
  if (!xs) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "product: out of memory");
    return NULL;
  }
  genc_array *out = NULL;
  int i = 0;
  for (; i < pc->k; i++) {
    const genc_dist *c = &pc->comps[i];
    genc_key ki = genc_key_fold_in(key, (uint64_t)i);
    genc_array *s = reparam ? c->type->rsample(ctx, ki, c, n) : c->type->sample(ctx, ki, c, n);
    if (!(xs[i] = genc_expand_dims(ctx, s, 0))) break;
  }
  if (i == pc->k) out = genc_concat(ctx, pc->k, xs, 0);
  free(xs);
  return out;
}

static genc_array *sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  return draw(ctx, key, d, n, false);
}

static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  return draw(ctx, key, d, n, true);
}

static const genc_dist_type product_type = {.name = "product",
                                            .support = {GENC_SUPPORT_OTHER},
                                            .nparams = 0,
                                            .check = check,
                                            .sample = sample,
                                            .logpdf = logpdf};
/* the type when every component is reparameterized */
static const genc_dist_type product_r_type = {.name = "product",
                                              .support = {GENC_SUPPORT_OTHER},
                                              .nparams = 0,
                                              .check = check,
                                              .sample = sample,
                                              .logpdf = logpdf,
                                              .rsample = rsample};

genc_dist genc_product(genc_ctx *ctx, const genc_product_comps *comps) {
  (void)ctx;
  bool r = comps && comps->comps && comps->k >= 1;
  for (int i = 0; r && i < comps->k; i++)
    r = comps->comps[i].type && comps->comps[i].type->rsample;
  genc_dist d = genc__dist(r ? &product_r_type : &product_type, NULL, NULL, NULL, NULL);
  d.extra = comps;
  return d;
}
