/* B1 by hand in blocks of 64 particles (b1_hand.h); built -O3 -march=native. */
#include "b1_hand.h"
#include "b1_rng.h"

#define BLK 64

double b1_blk(long n, uint64_t seed) {
  static b1_state r;
  b1_init(&r, seed);
  const double lc = b1_lconst(), inv = 1.0 / (2.0 * B1_SIGMA * B1_SIGMA);
  double a[BLK], b[BLK], c[BLK], acc[BLK];
  for (long k0 = 0; k0 < n; k0 += BLK) {
    int nb = n - k0 < BLK ? (int)(n - k0) : BLK;
    for (int k = 0; k < nb; k++)
      a[k] = b1_normal(&r), b[k] = b1_normal(&r), c[k] = b1_normal(&r), acc[k] = 0.0;
    for (int i = 0; i < B1_NOBS; i++) {
      const double x = r.x[i], x2 = r.x2[i], y = r.y[i];
      for (int k = 0; k < nb; k++) {
        double e = y - (a[k] + b[k] * x + c[k] * x2);
        acc[k] += e * e;
      }
    }
    for (int k = 0; k < nb; k++)
      b1_lse_add(&r, lc - acc[k] * inv);
  }
  return r.m + log(r.sum) - log((double)n);
}
