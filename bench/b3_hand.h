/*
 * B3's handwritten chain (shared/baselines/b3_mh.c's `loop` variant): chain
 * after chain, state in registers, one fused pass over the K observations
 * per step. Include benchutil.h and b3_model.h (K, X, X2, Y, SIGMA, STEP)
 * first.
 */
#ifndef GENC_BENCH_B3_HAND_H
#define GENC_BENCH_B3_HAND_H

#include "hand_rng.h"

static inline double lp_loop(double a, double b, double c) {
  const double inv2s2 = 1.0 / (2.0 * SIGMA * SIGMA);
  double acc = 0.0;
  for (int i = 0; i < K; i++) {
    double e = Y[i] - (a + b * X[i] + c * X2[i]);
    acc += e * e;
  }
  return -acc * inv2s2 - 0.5 * (a * a + b * b + c * c);
}

static double hand_run(int64_t n, int steps, uint64_t seed, double *mean_c) {
  seed_rng(seed);
  const int burn = steps / 2;
  double csum = 0, t0 = bench_now();
  for (int64_t k = 0; k < n; k++) {
    double a = 0, b = 0, c = 0, lp = lp_loop(a, b, c);
    for (int s = 0; s < steps; s++) {
      double a2 = a + STEP * std_normal(), b2 = b + STEP * std_normal(),
             c2 = c + STEP * std_normal(), lp2 = lp_loop(a2, b2, c2);
      if (log(unif()) < lp2 - lp) a = a2, b = b2, c = c2, lp = lp2;
      if (s >= burn) csum += c;
    }
  }
  double dt = bench_now() - t0;
  *mean_c = csum / ((double)n * (steps - burn));
  return dt;
}

#endif
