/* Effective sample sizes: posterior's .ess (Geyer's initial monotone sequence
 * over the chains' pooled autocorrelations) and the bulk, tail, basic and
 * quantile ESS built on it. */
#include <math.h>
#include <stdlib.h>

#include "infer/diag.h"

/* Geyer's initial positive then monotone sequence over rho[0..n) (rho[0] = 1,
 * the lag autocorrelations already pooled over chains); returns tau, the
 * integrated autocorrelation time, as posterior does. */
static double geyer_tau(double *rho, const double *acov_mean, int64_t n, double mean_var,
                        double var_plus) {
  int64_t t = 0;
  double even = 1, odd = 1 - (mean_var - acov_mean[1]) / var_plus;
  rho[0] = even;
  rho[1] = odd;
  while (t < n - 5 && !isnan(even + odd) && even + odd > 0) {
    t += 2;
    even = 1 - (mean_var - acov_mean[t]) / var_plus;
    odd = 1 - (mean_var - acov_mean[t + 1]) / var_plus;
    if (even + odd >= 0) {
      rho[t] = even;
      rho[t + 1] = odd;
    }
  }
  int64_t max_t = t;
  if (even > 0) rho[max_t] = even; /* the improved estimate's last term */
  for (t = 2; t <= max_t - 2; t += 2)
    if (rho[t] + rho[t + 1] > rho[t - 2] + rho[t - 1]) {
      rho[t] = (rho[t - 2] + rho[t - 1]) / 2;
      rho[t + 1] = rho[t];
    }
  double s = rho[0]; /* R's sum(rho[1:max_t]) is rho[1] alone when max_t is 0 */
  for (int64_t k = 1; k < max_t; k++)
    s += rho[k];
  return -1 + 2 * s + rho[max_t];
}

genc_status genc__diag_ess_of(genc_ctx *ctx, const char *fn, const double *x, int64_t m, int64_t n,
                              double *ess) {
  *ess = NAN;
  if (n < 3 || genc__diag_degenerate(x, m * n)) return GENC_OK;
  double *acov = calloc((size_t)(n * (m + 2)), sizeof *acov);
  double *means = malloc((size_t)m * sizeof *means);
  if (!acov || !means) {
    free(acov);
    free(means);
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory for autocovariances", fn);
  }
  double *acov_mean = acov + m * n, *rho = acov + (m + 1) * n;
  genc_status st = GENC_OK;
  for (int64_t c = 0; c < m && !st; c++) {
    st = genc__diag_autocov(ctx, fn, x + c * n, n, acov + c * n);
    means[c] = genc__diag_mean(x + c * n, n);
  }
  if (!st) {
    for (int64_t k = 0; k < n; k++) {
      long double s = 0;
      for (int64_t c = 0; c < m; c++)
        s += acov[c * n + k];
      acov_mean[k] = (double)(s / m);
    }
    double mean_var = acov_mean[0] * (double)n / (double)(n - 1);
    double var_plus = mean_var * (double)(n - 1) / (double)n;
    if (m > 1) var_plus += genc__diag_var(means, m);
    double tau = geyer_tau(rho, acov_mean, n, mean_var, var_plus);
    double total = (double)(m * n);
    *ess = total / fmax(tau, 1 / log10(total));
  }
  free(acov);
  free(means);
  return st;
}

/* ESS of the split chains of draws, rank-normalized when z is set, or of the
 * indicator draws <= quantile(prob) when prob >= 0. */
static genc_status ess_split(genc_ctx *ctx, const char *fn, const double *draws, int64_t nchains,
                             int64_t niter, bool z, double prob, double *ess) {
  genc_status st = genc__diag_args(ctx, fn, draws, nchains, niter, ess);
  if (st) return st;
  *ess = NAN;
  int64_t total = nchains * niter, mc, nc;
  /* posterior: the rank-normalized ESS ranks infinities (only NaN makes it NA);
   * the others are NA for any non-finite or constant draws */
  if (z ? genc__diag_has_nan(draws, total) : genc__diag_degenerate(draws, total)) return GENC_OK;
  double *y = genc__diag_split(ctx, fn, draws, nchains, niter, &mc, &nc);
  if (!y) return genc_ctx_status(ctx);
  if (prob >= 0) {
    if (prob == 1) prob = ((double)total - 0.5) / (double)total; /* as posterior */
    double *s = genc__diag_sorted(ctx, fn, draws, total);
    if (!s) {
      free(y);
      return genc_ctx_status(ctx);
    }
    double q = genc__diag_quantile_sorted(s, total, prob);
    free(s);
    for (int64_t i = 0; i < mc * nc; i++)
      y[i] = y[i] <= q;
  }
  if (z) st = genc__diag_zscale(ctx, fn, y, mc * nc);
  if (!st) st = genc__diag_ess_of(ctx, fn, y, mc, nc, ess);
  free(y);
  return st;
}

genc_status genc_diag_ess_bulk(genc_ctx *ctx, const double *draws, int64_t nchains, int64_t niter,
                               double *ess) {
  return ess_split(ctx, "genc_diag_ess_bulk", draws, nchains, niter, true, -1, ess);
}

genc_status genc_diag_ess_basic(genc_ctx *ctx, const double *draws, int64_t nchains, int64_t niter,
                                double *ess) {
  return ess_split(ctx, "genc_diag_ess_basic", draws, nchains, niter, false, -1, ess);
}

genc_status genc_diag_ess_quantile(genc_ctx *ctx, const double *draws, int64_t nchains,
                                   int64_t niter, double prob, double *ess) {
  if (!(prob >= 0 && prob <= 1))
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_diag_ess_quantile: prob = %g is not in [0, 1]",
                         prob);
  return ess_split(ctx, "genc_diag_ess_quantile", draws, nchains, niter, false, prob, ess);
}

genc_status genc_diag_ess_tail(genc_ctx *ctx, const double *draws, int64_t nchains, int64_t niter,
                               double *ess) {
  double lo = NAN, hi = NAN;
  genc_status st = genc__diag_args(ctx, "genc_diag_ess_tail", draws, nchains, niter, ess);
  if (!st) st = ess_split(ctx, "genc_diag_ess_tail", draws, nchains, niter, false, 0.05, &lo);
  if (!st) st = ess_split(ctx, "genc_diag_ess_tail", draws, nchains, niter, false, 0.95, &hi);
  if (!st) *ess = isnan(lo) || isnan(hi) ? NAN : fmin(lo, hi);
  return st;
}
