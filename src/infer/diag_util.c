/* Shared pieces of the MCMC diagnostics: argument checks, the split into
 * half-chains, means and variances, order statistics, as posterior and R
 * compute them (so the diagnostics agree with posterior to rounding). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "infer/diag.h"

genc_status genc__diag_args(genc_ctx *ctx, const char *fn, const double *draws, int64_t nchains,
                            int64_t niter, const void *out) {
  if (!draws || !out)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: %s is NULL", fn, draws ? "output" : "draws");
  if (nchains < 1 || niter < 1)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "%s: need at least one chain and one iteration, got %lld chains of "
                         "%lld iterations",
                         fn, (long long)nchains, (long long)niter);
  if (nchains > INT64_MAX / niter / (int64_t)sizeof(double))
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: %lld chains of %lld iterations overflow", fn,
                         (long long)nchains, (long long)niter);
  return GENC_OK;
}

bool genc__diag_degenerate(const double *x, int64_t n) {
  double lo = INFINITY, hi = -INFINITY;
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(x[i])) return true;
    lo = fmin(lo, x[i]);
    hi = fmax(hi, x[i]);
  }
  return fabs(hi - lo) < DBL_EPSILON;
}

bool genc__diag_has_nan(const double *x, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (isnan(x[i])) return true;
  return false;
}

double *genc__diag_split(genc_ctx *ctx, const char *fn, const double *x, int64_t m, int64_t n,
                         int64_t *mc, int64_t *nc) {
  int64_t half = n == 1 ? 1 : n / 2, parts = n == 1 ? 1 : 2;
  double *y = malloc((size_t)(m * parts * half) * sizeof *y);
  if (!y) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory for %lld split draws", fn,
                  (long long)(m * parts * half));
    return NULL;
  }
  /* posterior: cbind(x[1:floor(n/2), ], x[ceiling(n/2 + 1):n, ]), so all first
   * halves come before all second halves; the chain order does not change any
   * diagnostic but we keep it. */
  for (int64_t c = 0; c < m; c++) {
    memcpy(y + c * half, x + c * n, (size_t)half * sizeof *y);
    if (parts == 2) memcpy(y + (m + c) * half, x + c * n + (n - half), (size_t)half * sizeof *y);
  }
  *mc = m * parts;
  *nc = half;
  return y;
}

double genc__diag_mean(const double *x, int64_t n) {
  long double s = 0;
  for (int64_t i = 0; i < n; i++)
    s += x[i];
  s /= n;
  if (isfinite((double)s)) { /* R's mean: one pass of refinement */
    long double t = 0;
    for (int64_t i = 0; i < n; i++)
      t += x[i] - s;
    s += t / n;
  }
  return (double)s;
}

double genc__diag_var(const double *x, int64_t n) {
  if (n < 2) return NAN;
  double mu = genc__diag_mean(x, n);
  long double s = 0;
  for (int64_t i = 0; i < n; i++)
    s += (x[i] - mu) * (x[i] - mu);
  return (double)(s / (n - 1));
}

double *genc__diag_sorted(genc_ctx *ctx, const char *fn, const double *x, int64_t n) {
  double *s = malloc((size_t)(n ? n : 1) * sizeof *s);
  if (!s) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory to sort %lld draws", fn, (long long)n);
    return NULL;
  }
  memcpy(s, x, (size_t)n * sizeof *s);
  if (genc__diag_sort(ctx, fn, s, NULL, n)) {
    free(s);
    return NULL;
  }
  return s;
}

double genc__diag_quantile_sorted(const double *s, int64_t n, double p) {
  /* R: index <- 1 + (n - 1) * p; lo <- floor(index); hi <- ceiling(index);
   * q <- x[lo]; if (index > lo && x[hi] != q) q <- (1 - h) q + h x[hi] */
  double index = 1.0 + (double)(n - 1) * p;
  double lo = floor(index), hi = ceil(index);
  double q = s[(int64_t)lo - 1], xh = s[(int64_t)hi - 1];
  if (index > lo && xh != q) {
    double h = index - lo;
    q = (1 - h) * q + h * xh;
  }
  return q;
}

double genc__diag_median_sorted(const double *s, int64_t n) {
  if (n % 2) return s[n / 2];
  double two[2] = {s[n / 2 - 1], s[n / 2]};
  return genc__diag_mean(two, 2);
}
