/* Pooled summaries of draws: mean and sd, type-7 quantiles (R's default and
 * posterior's quantile2), and the Monte Carlo standard errors of the mean and
 * of a quantile. */
#include <math.h>
#include <stdlib.h>

#include "infer/diag.h"

genc_status genc_diag_mean_sd(genc_ctx *ctx, const double *draws, int64_t n, double *mean,
                              double *sd) {
  if (!draws) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_diag_mean_sd: draws is NULL");
  if (n < 1)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_diag_mean_sd: n = %lld draws, need >= 1",
                         (long long)n);
  if (mean) *mean = genc__diag_mean(draws, n);
  if (sd) *sd = sqrt(genc__diag_var(draws, n));
  return GENC_OK;
}

genc_status genc_diag_quantiles(genc_ctx *ctx, const double *draws, int64_t n, const double *probs,
                                int nprobs, double *out) {
  const char *fn = "genc_diag_quantiles";
  if (!draws || !probs || !out)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: %s is NULL", fn,
                         !draws   ? "draws"
                         : !probs ? "probs"
                                  : "out");
  if (n < 1 || nprobs < 0)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: n = %lld draws, nprobs = %d", fn, (long long)n,
                         nprobs);
  for (int i = 0; i < nprobs; i++)
    if (!(probs[i] >= 0 && probs[i] <= 1))
      return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: probs[%d] = %g is not in [0, 1]", fn, i,
                           probs[i]);
  bool has_nan = false;
  for (int64_t i = 0; i < n; i++)
    has_nan |= isnan(draws[i]);
  if (has_nan) {
    for (int i = 0; i < nprobs; i++)
      out[i] = NAN;
    return GENC_OK;
  }
  double *s = genc__diag_sorted(ctx, fn, draws, n);
  if (!s) return genc_ctx_status(ctx);
  for (int i = 0; i < nprobs; i++)
    out[i] = genc__diag_quantile_sorted(s, n, probs[i]);
  free(s);
  return GENC_OK;
}

genc_status genc_diag_mcse_mean(genc_ctx *ctx, const double *draws, int64_t nchains, int64_t niter,
                                double *mcse) {
  double ess = NAN;
  genc_status st = genc__diag_args(ctx, "genc_diag_mcse_mean", draws, nchains, niter, mcse);
  if (!st) st = genc_diag_ess_basic(ctx, draws, nchains, niter, &ess);
  if (st) return st; /* the message names genc_diag_ess_basic and the bad argument */
  *mcse = sqrt(genc__diag_var(draws, nchains * niter)) / sqrt(ess);
  return GENC_OK;
}

genc_status genc_diag_mcse_quantile(genc_ctx *ctx, const double *draws, int64_t nchains,
                                    int64_t niter, double prob, double *mcse) {
  const char *fn = "genc_diag_mcse_quantile";
  genc_status st = genc__diag_args(ctx, fn, draws, nchains, niter, mcse);
  if (st) return st;
  if (!(prob >= 0 && prob <= 1))
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: prob = %g is not in [0, 1]", fn, prob);
  double ess = NAN;
  st = genc_diag_ess_quantile(ctx, draws, nchains, niter, prob, &ess);
  if (st) return st;
  *mcse = NAN;
  if (isnan(ess)) return GENC_OK;
  /* posterior: a <- qbeta(c(0.1586553, 0.8413447), ess p + 1, ess (1 - p) + 1), the
   * +-1 sd probabilities of a normal; the order statistics there bound the quantile */
  double a1 = genc__diag_qbeta(0.1586553, ess * prob + 1, ess * (1 - prob) + 1);
  double a2 = genc__diag_qbeta(0.8413447, ess * prob + 1, ess * (1 - prob) + 1);
  int64_t n = nchains * niter;
  double *s = genc__diag_sorted(ctx, fn, draws, n);
  if (!s) return genc_ctx_status(ctx);
  int64_t i1 = (int64_t)fmax(floor(a1 * (double)n), 1),
          i2 = (int64_t)fmin(ceil(a2 * (double)n), (double)n);
  *mcse = (s[i2 - 1] - s[i1 - 1]) / 2;
  free(s);
  return GENC_OK;
}
