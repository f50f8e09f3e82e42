/* Effective sample sizes: posterior's .ess (Geyer's initial monotone sequence
 * over the chains' pooled autocorrelations) and the bulk, tail, basic and
 * quantile ESS built on it. */
#include <math.h>
#include <stdlib.h>

#include "infer/diag.h"

/* The chains' mean autocovariance at each lag, computed on demand: Geyer's
 * sequence usually stops after a few lags, so direct sums come first (O(n) a
 * lag, in blocks that double), up to about the lag count whose cost matches an
 * FFT; only a chain that mixes slowly pays for the FFT of every lag
 * (O(n log n)). Both give posterior's values to rounding. */
typedef struct {
  genc_ctx *ctx;
  const char *fn;
  const double *x;         /* m chains of n draws */
  int64_t m, n, have, cap; /* lags [0, have) are in mean; direct sums below cap */
  double *mean, *tmp;      /* mean acov per lag; one chain's work buffer */
} acov_lazy;

/* sum_t y_t y_{t+k} for the four lags k .. k+3 at once (k + 3 < n) */
static void lag_sums4(const double *y, int64_t n, int64_t k, double *r) {
  double r0 = 0, r1 = 0, r2 = 0, r3 = 0;
  int64_t t = 0;
  for (; t + k + 3 < n; t++) {
    r0 += y[t] * y[t + k];
    r1 += y[t] * y[t + k + 1];
    r2 += y[t] * y[t + k + 2];
    r3 += y[t] * y[t + k + 3];
  }
  for (; t + k + 2 < n; t++) { /* the last terms of the shorter lags */
    r0 += y[t] * y[t + k];
    r1 += y[t] * y[t + k + 1];
    r2 += y[t] * y[t + k + 2];
  }
  for (; t + k + 1 < n; t++) {
    r0 += y[t] * y[t + k];
    r1 += y[t] * y[t + k + 1];
  }
  for (; t + k < n; t++)
    r0 += y[t] * y[t + k];
  r[0] = r0, r[1] = r1, r[2] = r2, r[3] = r3;
}

/* Direct sums of lags [lo, hi) of every chain, scaled as posterior scales its
 * FFT result: lag k is sum_t yc_t yc_{t+k} / sum_t yc_t^2 * var(x) (n - 1) / n. */
static void acov_direct(acov_lazy *a, int64_t lo, int64_t hi) {
  int64_t n = a->n;
  double *y = a->tmp;
  for (int64_t k = lo; k < hi; k++)
    a->mean[k] = 0;
  for (int64_t c = 0; c < a->m; c++) {
    const double *x = a->x + c * n;
    double mu = genc__diag_mean(x, n), r0 = 0, r[4];
    for (int64_t t = 0; t < n; t++) {
      y[t] = x[t] - mu;
      r0 += y[t] * y[t];
    }
    double f = genc__diag_var(x, n) * (double)(n - 1) / (double)n;
    for (int64_t k = lo; k < hi; k += 4) {
      if (k + 3 < n)
        lag_sums4(y, n, k, r);
      else
        for (int j = 0; j < 4 && k + j < n; j++) {
          r[j] = 0;
          for (int64_t t = 0; t + k + j < n; t++)
            r[j] += y[t] * y[t + k + j];
        }
      for (int j = 0; j < 4 && k + j < hi; j++)
        a->mean[k + j] += (f == 0 ? 0 : r[j] / r0 * f) / (double)a->m;
    }
  }
}

/* Make lag k available; false on an allocation failure (reported). */
static bool acov_need(acov_lazy *a, int64_t k) {
  if (k < a->have) return true;
  if (k < a->cap) {
    int64_t hi = 2 * a->have > k + 1 ? 2 * a->have : k + 1;
    hi = hi < 32 ? 32 : hi;
    hi = hi > a->cap ? a->cap : hi;
    acov_direct(a, a->have, hi);
    a->have = hi;
    return true;
  }
  for (int64_t i = 0; i < a->n; i++)
    a->mean[i] = 0;
  for (int64_t c = 0; c < a->m; c++) {
    if (genc__diag_autocov(a->ctx, a->fn, a->x + c * a->n, a->n, a->tmp)) return false;
    for (int64_t i = 0; i < a->n; i++)
      a->mean[i] += a->tmp[i] / (double)a->m;
  }
  a->have = a->n;
  return true;
}

/* Lags summed directly before the FFT takes over. Measured on 4 chains of 1e6
 * draws (split: 8 of 5e5, M = 2^20): a direct lag costs ~1.1 ms in all, the
 * FFTs ~1.65 s, about 75 log2(M) lags. 48 log2(M) keeps a slowly mixing chain
 * (which needs the FFT anyway) within 1.7x of the FFT alone, and spares chains
 * whose Geyer sequence stops below ~900 lags the FFT. */
static int64_t direct_cap(int64_t n) {
  int64_t m = 1, lg = 0;
  while (m < 2 * n)
    m <<= 1, lg++;
  int64_t cap = 48 * lg;
  return cap < n ? cap : n;
}

/* Geyer's initial positive then monotone sequence over the pooled
 * autocorrelations rho (rho[0] = 1); stores tau, the integrated
 * autocorrelation time, as posterior's .ess computes it. */
static genc_status geyer_tau(acov_lazy *a, double *rho, double mean_var, double var_plus,
                             double *tau) {
  int64_t t = 0, n = a->n;
  if (!acov_need(a, 1)) return GENC_ERR_NOMEM;
  double even = 1, odd = 1 - (mean_var - a->mean[1]) / var_plus;
  rho[0] = even;
  rho[1] = odd;
  while (t < n - 5 && !isnan(even + odd) && even + odd > 0) {
    t += 2;
    if (!acov_need(a, t + 1)) return GENC_ERR_NOMEM;
    even = 1 - (mean_var - a->mean[t]) / var_plus;
    odd = 1 - (mean_var - a->mean[t + 1]) / var_plus;
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
  *tau = -1 + 2 * s + rho[max_t];
  return GENC_OK;
}

genc_status genc__diag_ess_of(genc_ctx *ctx, const char *fn, const double *x, int64_t m, int64_t n,
                              double *ess) {
  *ess = NAN;
  if (n < 3 || genc__diag_degenerate(x, m * n)) return GENC_OK;
  double *buf = calloc((size_t)(3 * n + m), sizeof *buf);
  if (!buf) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory for autocovariances", fn);
  acov_lazy a = {ctx, fn, x, m, n, 0, direct_cap(n), buf, buf + n};
  double *rho = buf + 2 * n, *means = buf + 3 * n;
  for (int64_t c = 0; c < m; c++)
    means[c] = genc__diag_mean(x + c * n, n);
  genc_status st = acov_need(&a, 0) ? GENC_OK : GENC_ERR_NOMEM;
  double mean_var = a.mean[0] * (double)n / (double)(n - 1);
  double var_plus = mean_var * (double)(n - 1) / (double)n;
  if (m > 1) var_plus += genc__diag_var(means, m);
  double tau = NAN, total = (double)(m * n);
  if (!st) st = geyer_tau(&a, rho, mean_var, var_plus, &tau);
  if (!st) *ess = total / fmax(tau, 1 / log10(total));
  free(buf);
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
