/*
 * B2 of shared/BENCHMARKS.md, shared by the SMC tests: the linear-Gaussian
 * state-space model written with Unfold,
 *
 *   x_0 ~ N(0, 1);  x_t = 0.9 x_{t-1} + N(0, 1);  y_t ~ N(x_t, 0.5)
 *   y_t = 2 sin(0.1 t) + 0.7 sin(12.9898 t),
 *
 * its exact log p(y_0..y_{T-1}) by a Kalman filter, and a cmocka fixture with
 * the Unfold and the observations of B2_TMAX steps (a test runs any prefix).
 */
#ifndef GENC_TEST_B2_MODEL_H
#define GENC_TEST_B2_MODEL_H

#include <math.h>

#include "testutil.h"

#define B2_TMAX 100

static inline double y_at(int t) { return 2 * sin(0.1 * t) + 0.7 * sin(12.9898 * t); }

/* Step t of the Unfold: kernel(t, x_{t-1}) -> x_t (x_{-1} = 0, so x_0 ~ N(0, 1)). */
static inline genc_array *lg_step(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, genc_mul(ctx, args[1], 0.9), 1.0));
  GENC_TRACE(rt, "y", genc_normal(ctx, x, 0.5));
  return x;
}

/* log p(y_0..y_{steps-1}) by the Kalman filter: predict, add log N(y_t; m, P + 0.25), correct. */
static inline double kalman_log_z(int steps) {
  double m = 0, P = 1, lz = 0;
  for (int t = 0; t < steps; t++) {
    if (t > 0) m = 0.9 * m, P = 0.81 * P + 1;
    double S = P + 0.25, e = y_at(t) - m;
    lz += -0.5 * log(2 * M_PI * S) - 0.5 * e * e / S;
    m += P / S * e, P *= 1 - P / S;
  }
  return lz;
}

typedef struct b2_fixture {
  genc_ctx *ctx;
  genc_gf *step, *ssm;
  genc_choicemap *obs[B2_TMAX];
  genc_array *init; /* the Unfold's initial state, 0 */
} b2_fixture;

/* Fill f (zeroed by the caller) on a fresh test context. */
static inline void b2_fixture_init(b2_fixture *f) {
  f->ctx = t_ctx();
  f->step = genc_gf_dynamic("lg_step", lg_step, 2, NULL);
  f->ssm = genc_unfold(f->step);
  for (int t = 0; t < B2_TMAX; t++) {
    f->obs[t] = genc_choicemap_new(f->ctx);
    genc_choicemap_set_str(f->ctx, f->obs[t], "y", genc_scalar(f->ctx, y_at(t)));
  }
  f->init = genc_scalar(f->ctx, 0.0);
}

static inline void b2_fixture_clear(b2_fixture *f) {
  for (int t = 0; t < B2_TMAX; t++)
    genc_choicemap_free(f->obs[t]);
  genc_gf_release(f->ssm);
  genc_gf_release(f->step);
  genc_ctx_free(f->ctx);
}

static inline int b2_setup(void **state) {
  b2_fixture *f = calloc(1, sizeof *f);
  b2_fixture_init(f);
  *state = f;
  return 0;
}

static inline int b2_teardown(void **state) {
  b2_fixture_clear(*state);
  free(*state);
  return 0;
}

#endif
