/* B1 by hand, one pass per particle (b1_hand.h); built -O2. */
#include "b1_hand.h"
#include "b1_rng.h"

double b1_loop(long n, uint64_t seed) {
  static b1_state r;
  b1_init(&r, seed);
  const double lc = b1_lconst(), inv = 1.0 / (2.0 * B1_SIGMA * B1_SIGMA);
  for (long k = 0; k < n; k++) {
    double a = b1_normal(&r), b = b1_normal(&r), c = b1_normal(&r), acc = 0.0;
    for (int i = 0; i < B1_NOBS; i++) {
      double e = r.y[i] - (a + b * r.x[i] + c * r.x2[i]);
      acc += e * e;
    }
    b1_lse_add(&r, lc - acc * inv);
  }
  return r.m + log(r.sum) - log((double)n);
}
