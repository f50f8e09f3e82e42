/*
 * The D-dimensional Gaussian of the NUTS tests (test_infer_nuts.c,
 * test_infer_dense.c): AR(1) correlation RHO^|i-j| scaled by s_i from 0.1 to
 * 10, its log density and gradient as a genc_lp_grad_fn, and the check of a
 * moment of the chains against its exact value. Define D and RHO first.
 */
#ifndef GENC_TEST_AR1_GAUSS_H
#define GENC_TEST_AR1_GAUSS_H

#include "testutil.h"

static double scale(int i) { return 0.1 * pow(100.0, i / (double)(D - 1)); }
static double covar(int i, int j) { return pow(RHO, abs(i - j)) * scale(i) * scale(j); }

/* The AR(1) correlation's precision is tridiagonal: (R^-1)_ii = (1 or
 * 1 + rho^2) / (1 - rho^2), (R^-1)_{i,i+1} = -rho / (1 - rho^2); the
 * covariance's is that divided by s_i s_j. */
static genc_status gauss_lp(void *user, const double *x, int dim, double *lp, double *grad) {
  (void)user;
  double c = 1.0 / (1 - RHO * RHO), acc = 0;
  for (int i = 0; i < dim; i++) {
    double pii = (i == 0 || i == dim - 1 ? 1 : 1 + RHO * RHO) * c / (scale(i) * scale(i));
    double g = pii * x[i];
    if (i > 0) g -= RHO * c * x[i - 1] / (scale(i) * scale(i - 1));
    if (i < dim - 1) g -= RHO * c * x[i + 1] / (scale(i) * scale(i + 1));
    grad[i] = -g;
    acc += x[i] * g;
  }
  *lp = -0.5 * acc;
  return GENC_OK;
}

/* Estimate E[x_i x_j] (j < 0: E[x_i]) from nc chains within k MCSE of exact. */
static void check_moment(genc_ctx *ctx, const genc_nuts_result *r, int nc, int i, int j,
                         double exact, double k, double *buf) {
  int64_t n = r[0].samples;
  for (int c = 0; c < nc; c++)
    for (int64_t t = 0; t < n; t++) {
      const double *x = r[c].draws + t * D;
      buf[c * n + t] = j < 0 ? x[i] : x[i] * x[j];
    }
  double mean, mcse;
  T_OK(ctx, !genc_diag_mean_sd(ctx, buf, nc * n, &mean, NULL));
  T_OK(ctx, !genc_diag_mcse_mean(ctx, buf, nc, n, &mcse));
  if (!(fabs(mean - exact) <= k * mcse))
    fail_msg("E[x%d x%d] = %g, exact %g, mcse %g", i, j, mean, exact, mcse);
}

#endif
