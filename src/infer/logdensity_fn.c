/*
 * A model's log density as the gradient samplers' callback
 * (genc_lp_grad_fn), and NUTS on a model in one call. A model evaluation
 * that fails at a point (a non-finite score, a distribution refusing an
 * extreme parameter) is that point having probability zero for the sampler:
 * lp = -inf, which a trajectory counts as a divergence and rejects, instead
 * of an error that would end the whole run. Out of memory still stops it.
 */
#include <math.h>
#include <string.h>

#include "genc/infer.h"

genc_status genc_logdensity_lp_grad(void *user, const double *theta, int dim, double *lp,
                                    double *grad) {
  genc_logdensity_fn *f = user;
  if (!f || !f->ctx || !f->ld || !theta || !lp || !grad) return GENC_ERR_ARG;
  if (dim != genc_logdensity_dim(f->ld))
    return genc_ctx_fail(f->ctx, GENC_ERR_ARG,
                         "genc_logdensity_lp_grad: dim %d, the log density has %lld", dim,
                         (long long)genc_logdensity_dim(f->ld));
  genc_status st = genc_logdensity_eval(f->ctx, f->ld, theta, lp, grad);
  if (st == GENC_ERR_NOMEM) return st;
  if (st || !isfinite(*lp)) {
    if (st) genc_ctx_clear_error(f->ctx);
    f->failures += st != GENC_OK;
    *lp = -INFINITY;
    memset(grad, 0, (size_t)dim * sizeof(double));
  }
  return GENC_OK;
}

genc_status genc_nuts_model(genc_ctx *ctx, genc_logdensity *ld, const genc_nuts_opts *opts,
                            genc_nuts_result *out) {
  if (!ctx) return GENC_ERR_ARG;
  if (!ld || !out)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_nuts_model: NULL log density or result");
  /* a given start that fails is the model's error, named by check_init */
  if (opts && opts->init && genc_logdensity_check_init(ctx, ld, opts->init))
    return genc_ctx_status(ctx);
  genc_logdensity_fn f = {.ctx = ctx, .ld = ld};
  return genc_nuts(ctx, genc_logdensity_lp_grad, &f, (int)genc_logdensity_dim(ld), opts, out);
}
