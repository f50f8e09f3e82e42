/* Autocovariance at every lag by FFT, as posterior's autocovariance(): the
 * centred chain is zero-padded to at least twice its length (so the circular
 * correlation is the linear one), transformed, squared in modulus and
 * transformed back. O(n log n), where direct sums would be O(n^2). */
#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include "infer/diag.h"

/* In-place iterative radix-2 FFT of length m (a power of two); sign -1 forward,
 * +1 inverse (unnormalized). Twiddles from a table of exact cos/sin values. */
static void fft(double complex *z, const double complex *tw, int64_t m, int sign) {
  for (int64_t i = 1, j = 0; i < m; i++) { /* bit reversal */
    int64_t bit = m >> 1;
    for (; j & bit; bit >>= 1)
      j ^= bit;
    j |= bit;
    if (i < j) {
      double complex t = z[i];
      z[i] = z[j];
      z[j] = t;
    }
  }
  for (int64_t len = 2; len <= m; len <<= 1) {
    int64_t step = m / len;
    for (int64_t s = 0; s < m; s += len)
      for (int64_t k = 0; k < len / 2; k++) {
        /* the product by hand: C's complex multiply calls __muldc3 for its
         * inf/NaN rules, several times slower, and nothing here is infinite */
        double wr = creal(tw[k * step]), wi = -sign * cimag(tw[k * step]);
        double complex *a = &z[s + k], *b = &z[s + k + len / 2];
        double br = creal(*b), bi = cimag(*b);
        double vr = br * wr - bi * wi, vi = br * wi + bi * wr;
        double ur = creal(*a), ui = cimag(*a);
        *a = CMPLX(ur + vr, ui + vi);
        *b = CMPLX(ur - vr, ui - vi);
      }
  }
}

genc_status genc__diag_autocov(genc_ctx *ctx, const char *fn, const double *x, int64_t n,
                               double *acov) {
  int64_t m = 1;
  while (m < 2 * n)
    m <<= 1;
  double complex *z = malloc((size_t)m * sizeof *z);
  double complex *tw = malloc((size_t)(m / 2 + 1) * sizeof *tw);
  if (!z || !tw) {
    free(z);
    free(tw);
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory for an FFT of length %lld", fn,
                         (long long)m);
  }
  const double two_pi = 6.283185307179586476925286766559;
  for (int64_t k = 0; k <= m / 2; k++)
    tw[k] = CMPLX(cos(two_pi * (double)k / (double)m), -sin(two_pi * (double)k / (double)m));
  double mu = genc__diag_mean(x, n);
  for (int64_t i = 0; i < m; i++)
    z[i] = CMPLX(i < n ? x[i] - mu : 0.0, 0.0);
  fft(z, tw, m, -1);
  for (int64_t i = 0; i < m; i++)
    z[i] = CMPLX(creal(z[i]) * creal(z[i]) + cimag(z[i]) * cimag(z[i]), 0.0);
  fft(z, tw, m, +1);
  /* biased estimate (divisor n), as Geyer (1992) recommends; scaled as posterior
   * does, lag 0 set to the sample variance times (n - 1) / n */
  double varx = genc__diag_var(x, n), r0 = creal(z[0]);
  for (int64_t k = 0; k < n; k++)
    acov[k] = varx == 0 ? 0 : creal(z[k]) / r0 * varx * (double)(n - 1) / (double)n;
  free(z);
  free(tw);
  return GENC_OK;
}
