/*
 * A model's log density at n points as the lock-step samplers' callback
 * (genc_lp_grad_batch_fn): one batched run of the model for all points. A
 * point where the model fails is of probability zero, as in
 * genc_logdensity_lp_grad; the batched run cannot say which point failed, so
 * a failed batch is evaluated again point by point.
 */
#include <math.h>
#include <string.h>

#include "genc/infer.h"

genc_status genc_logdensity_lp_grad_batch(void *user, int n, const double *theta, int dim,
                                          double *lp, double *grad) {
  genc_logdensity_fn *f = user;
  if (!f || !f->ctx || !f->ld || !theta || !lp || !grad || n < 1) return GENC_ERR_ARG;
  if (dim != genc_logdensity_dim(f->ld))
    return genc_ctx_fail(f->ctx, GENC_ERR_ARG,
                         "genc_logdensity_lp_grad_batch: dim %d, the log density has %lld", dim,
                         (long long)genc_logdensity_dim(f->ld));
  genc_status st = genc_logdensity_eval_batch(f->ctx, f->ld, n, theta, lp, grad);
  if (st == GENC_ERR_NOMEM) return st;
  if (st) {
    genc_ctx_clear_error(f->ctx);
    for (int i = 0; i < n; i++)
      if ((st = genc_logdensity_lp_grad(f, theta + (size_t)i * dim, dim, &lp[i],
                                        grad + (size_t)i * dim)))
        return st;
    return GENC_OK;
  }
  for (int i = 0; i < n; i++)
    if (!isfinite(lp[i])) {
      lp[i] = -INFINITY;
      memset(grad + (size_t)i * dim, 0, (size_t)dim * sizeof(double));
    }
  return GENC_OK;
}

genc_status genc_nuts_model_lockstep(genc_ctx *ctx, genc_logdensity *ld, int nchains,
                                     const genc_nuts_opts *opts, genc_nuts_result *out) {
  if (!ctx) return GENC_ERR_ARG;
  if (!ld || !out)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_nuts_model_lockstep: NULL log density or result");
  if (opts && opts->init && genc_logdensity_check_init(ctx, ld, opts->init))
    return genc_ctx_status(ctx);
  genc_logdensity_fn f = {.ctx = ctx, .ld = ld};
  return genc_nuts_lockstep(ctx, genc_logdensity_lp_grad_batch, &f, (int)genc_logdensity_dim(ld),
                            nchains, opts, out);
}
