/* Point mass at v. */
#include "dist/edges.h"

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  return genc__check_param(ctx, d, 0, GENC__ANY);
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  genc_array *t = genc_mul(ctx, genc_sub(ctx, genc__as_float(ctx, x), d->p[0]), 0.0);
  return genc__finish_nan(ctx, genc_where(ctx, genc_isfinite(ctx, t), t, 0.0),
                          genc_eq(ctx, x, d->p[0]), x);
}

/* the draw is v itself (a fresh array, replicated over n particles) */
static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  (void)key;
  genc_array *v = d->p[0];
  int64_t m = genc__dist_particles(ctx, d, n);
  if (m < 0) return NULL;
  if (m > 0 && v->n == 0) return genc_particle_broadcast(ctx, v, m);
  return genc_astype(ctx, v, (genc_dtype)v->dtype);
}

static const genc_dist_type delta_type = {.name = "delta",
                                          .support = {GENC_SUPPORT_OTHER},
                                          .nparams = 1,
                                          .param_names = {"v"},
                                          .check = check,
                                          .sample = rsample,
                                          .logpdf = logpdf,
                                          .rsample = rsample};

genc_dist(genc_delta)(genc_ctx *ctx, genc_array *v) {
  (void)ctx;
  return genc__dist(&delta_type, v, NULL, NULL, NULL);
}
