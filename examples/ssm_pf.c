/*
 * A bootstrap particle filter by the library (genc_smc()), for a linear-Gaussian
 * state-space model:
 *
 *   x/0 ~ Normal(0, 1);  x/t ~ Normal(0.9 x/(t-1), 1);  y/t ~ Normal(x/t, 0.5),  t < T
 *
 * The model takes the number of steps T as a host argument (GENC_ARGS(ctx, T),
 * read with genc_rt_arg_int). genc_smc() runs the filter on one batched trace
 * of N particles: generate with T = 1 and the constraint y/0, then
 * genc_gf_update to T + 1 with the new constraint y/T, as the step function
 * ssm_step() says. The update draws x/T from the prior (the bootstrap
 * proposal) and its weight is log p(y/T | x/T), the incremental importance
 * weight; the filter accumulates the log marginal likelihood estimate and
 * resamples (systematic, every step here).
 *
 * The estimate of log p(y/0..y/24) is checked against a Kalman filter. The data
 * are simulated from the model itself with a fixed seed. GENC_DEVICE=cuda runs
 * it on the GPU, unchanged.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "genc.h"

#define T 25
#define NPART 1000

static genc_array *ssm(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  int64_t steps = genc_rt_arg_int(rt, 0);
  genc_array *x = NULL;
  for (int64_t t = 0; t < steps; t++) {
    genc_dist prior =
        t == 0 ? genc_normal(ctx, 0.0, 1.0) : genc_normal(ctx, genc_mul(ctx, x, 0.9), 1.0);
    x = GENC_TRACE_AT(rt, "x", t, prior);
    GENC_TRACE_AT(rt, "y", t, genc_normal(ctx, x, 0.5));
  }
  return x;
}

/* log p(y_0..y_{T-1}) by the Kalman filter: predict, add the log density of
 * y_t under the predictive Normal(m, sqrt(P + 0.25)), correct. */
static double kalman_log_z(const double *y) {
  double m = 0, P = 1, lz = 0;
  for (int t = 0; t < T; t++) {
    if (t > 0) m = 0.9 * m, P = 0.81 * P + 1;
    double S = P + 0.25, K = P / S, e = y[t] - m;
    lz += -0.5 * log(2 * M_PI * S) - 0.5 * e * e / S;
    m += K * e, P *= 1 - K;
  }
  return lz;
}

/* Step t's inputs for genc_smc(): the model runs t + 1 steps (the argument T
 * grew by one, genc_intdiff(1), so the update only adds x/t and y/t) and y/t
 * is observed. */
static genc_status ssm_step(genc_ctx *ctx, int64_t t, genc_array **args, genc_argdiff *argdiffs,
                            genc_choicemap **obs, void *user) {
  const double *y = user;
  args[0] = genc_scalar(ctx, (double)(t + 1));
  argdiffs[0] = genc_intdiff(1);
  *obs = genc_choicemap_new(ctx);
  if (!args[0] || !*obs) return genc_ctx_status(ctx);
  return genc_choicemap_set_path(ctx, *obs, GENC_PATH(GENC_SYM("y"), genc_idx(t)),
                                 genc_scalar(ctx, y[t]));
}

/* One filter run; returns the estimate of log p(y) (NAN on error). Systematic
 * resampling after every step (threshold 1), as the hand-written filter this
 * example used to hold did. */
static double particle_filter(genc_ctx *ctx, genc_gf *gf, const double *y, genc_key key) {
  genc_smc_opts o = {
      .n = NPART, .key = key, .scheme = GENC_RESAMPLE_SYSTEMATIC, .ess_threshold = 1};
  genc_smc_result r;
  if (genc_smc(ctx, gf, T, ssm_step, (void *)y, &o, &r)) return NAN;
  double lz = r.log_ml;
  genc_smc_result_clear(&r);
  return lz;
}

int main(void) {
  enum { R = 40 };
  genc_ctx *ctx = genc_ctx_new_env(NULL);
  if (!ctx) {
    fprintf(stderr, "%s\n", genc_ctx_new_error());
    return 1;
  }
  genc_gf *gf = genc_gf_dynamic("ssm", ssm, 1, NULL);

  /* the data: one simulation of the model, read back at y/0 ... y/24 */
  double y[T];
  genc_trace *sim = genc_gf_simulate(ctx, gf, GENC_ARGS(ctx, T), genc_key_from_seed(25), 0);
  for (int t = 0; t < T && sim; t++) {
    char path[16];
    snprintf(path, sizeof path, "y/%d", t);
    y[t] = genc_trace_get_double(ctx, sim, path);
  }
  genc_trace_release(sim);
  if (!sim || genc_ctx_status(ctx)) {
    fprintf(stderr, "ssm_pf: %s\n", genc_ctx_error(ctx));
    return 1;
  }

  /* R independent filters (independent keys) */
  double lz[R], exact = kalman_log_z(y);
  genc_key key = genc_key_from_seed(2025);
  for (int r = 0; r < R; r++) {
    lz[r] = particle_filter(ctx, gf, y, genc_key_fold_in(key, (uint64_t)r));
    if (isnan(lz[r])) {
      fprintf(stderr, "ssm_pf: %s\n", genc_ctx_error(ctx));
      return 1;
    }
  }
  /* Z-hat is unbiased for Z, so Z-hat / Z has mean exactly 1; log Z-hat has a
   * small downward bias (about var(log Z-hat) / 2 by Jensen's inequality). The
   * check uses both: the mean of log Z-hat against the Kalman value, and the
   * mean of Z-hat / Z against 1, each within 4 SE of the R independent
   * estimates (SE = their sample sd / sqrt(R)); the bias of the first is
   * printed and stays well inside its tolerance. */
  double ml = 0, mr = 0, vl = 0, vr = 0, ratio[R];
  for (int r = 0; r < R; r++) {
    ratio[r] = exp(lz[r] - exact);
    ml += lz[r] / R, mr += ratio[r] / R;
  }
  for (int r = 0; r < R; r++)
    vl += (lz[r] - ml) * (lz[r] - ml) / (R - 1), vr += (ratio[r] - mr) * (ratio[r] - mr) / (R - 1);
  double est[2] = {ml, mr}, target[2] = {exact, 1}, tol[2] = {4 * sqrt(vl / R), 4 * sqrt(vr / R)};

  bool ok = true;
  printf("state-space model, bootstrap particle filter on the %s: T = %d, N = %d particles, "
         "%d filters\n",
         genc_ctx_device(ctx) == GENC_CUDA ? "GPU" : "CPU", T, NPART, R);
  printf("                  estimate      exact   tolerance (4 SE)\n");
  const char *names[2] = {"mean log Z-hat", "mean Z-hat / Z"};
  for (int i = 0; i < 2; i++) {
    bool good = fabs(est[i] - target[i]) < tol[i];
    ok = ok && good;
    printf("%-15s %10.4f %10.4f   %9.4f %s\n", names[i], est[i], target[i], tol[i],
           good ? "ok" : "FAILED");
  }
  printf("sd of log Z-hat %.4f (expected bias of its mean about -%.4f)\n", sqrt(vl), vl / 2);
  printf("check against the Kalman filter: %s\n", ok ? "ok" : "FAILED");

  genc_gf_release(gf);
  genc_ctx_free(ctx);
  return ok ? 0 : 1;
}
