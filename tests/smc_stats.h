/* Shared checks of the SMC-family tests (test_infer_smcp3.c, test_infer_tempered.c,
 * test_infer_smc_b2.c): unbiasedness of a marginal likelihood estimator over
 * independent runs, and the exact log marginal likelihood of a Gaussian linear model.
 *
 * Unbiasedness. Over R independent runs with estimates log Z-hat_r, E[Z-hat] = Z
 * says the mean of Z-hat_r / Z is 1 within 4 standard errors, SE = sample sd /
 * sqrt(R) (a central-limit z-test; 4 SE leaves a false alarm rate near 6e-5 for
 * each check). The mean of log Z-hat is within 4 of its SEs of log Z up to the
 * Jensen bias E[log Z-hat] - log Z ~= -var(log Z-hat) / 2: the check asserts
 * that this bias is below 2 SE (the run is precise enough for the comparison
 * to mean something) and then |mean - log Z| < 4 SE. A wrong weight (a missing
 * term, a wrong sign) shifts log Z-hat by far more than these SEs. */
#ifndef GENC_TEST_SMC_STATS_H
#define GENC_TEST_SMC_STATS_H

#include "testutil.h"

/* The two checks above on lz[0..R); what names the estimator in the message. */
static inline void smc_check_unbiased(const double *lz, int R, double exact, const char *what) {
  double ml = 0, mr = 0, vl = 0, vr = 0;
  for (int r = 0; r < R; r++)
    ml += lz[r] / R, mr += exp(lz[r] - exact) / R;
  for (int r = 0; r < R; r++) {
    double d = exp(lz[r] - exact) - mr;
    vl += (lz[r] - ml) * (lz[r] - ml) / (R - 1), vr += d * d / (R - 1);
  }
  double sel = sqrt(vl / R), ser = sqrt(vr / R);
  print_message("%-28s mean log Z-hat %.4f (exact %.4f, SE %.4f, sd %.4f), mean Z-hat/Z %.4f "
                "(SE %.4f)\n",
                what, ml, exact, sel, sqrt(vl), mr, ser);
  assert_true(vl / 2 < 2 * sel);
  assert_true(fabs(ml - exact) < 4 * sel);
  assert_true(fabs(mr - 1) < 4 * ser);
}

/* log N(y; 0, X X^T tau2 + s2 I): the marginal likelihood of y = X beta + e,
 * beta ~ N(0, tau2 I_p), e ~ N(0, s2 I_n); X is n x p row-major. Cholesky on
 * the n x n covariance (n <= 128). */
static inline double smc_gaussian_log_z(const double *X, int n, int p, double tau2, double s2,
                                        const double *y) {
  static double L[128 * 128];
  double z[128], ld = 0, q = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j <= i; j++) {
      double s = i == j ? s2 : 0;
      for (int k = 0; k < p; k++)
        s += tau2 * X[i * p + k] * X[j * p + k];
      for (int k = 0; k < j; k++)
        s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = i == j ? sqrt(s) : s / L[j * n + j];
    }
  for (int i = 0; i < n; i++) { /* z = L^-1 y */
    double s = y[i];
    for (int k = 0; k < i; k++)
      s -= L[i * n + k] * z[k];
    z[i] = s / L[i * n + i];
    ld += log(L[i * n + i]), q += z[i] * z[i];
  }
  return -0.5 * n * log(2 * M_PI) - ld - 0.5 * q;
}

#endif
