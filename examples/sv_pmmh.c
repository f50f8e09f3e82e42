/*
 * A stochastic volatility model by particle filter (genc_smc()) and particle
 * marginal Metropolis-Hastings (genc_pmmh()) on its persistence phi:
 *
 *   x_0 ~ N(mu, sigma / sqrt(1 - phi^2))              (the stationary law)
 *   x_t ~ N(mu + phi (x_{t-1} - mu), sigma),  t > 0
 *   y_t ~ N(0, exp(x_t / 2))
 *
 * written with Unfold: one kernel per step (sv_step), the model's arguments
 * (T, init, mu, phi, sigma). The data are one simulation of the model at
 * mu = -1, phi = 0.9, sigma = 0.8 with a fixed seed. mu and sigma are known;
 * phi gets a Uniform(-1, 1) prior.
 *
 * Two checks, printed with their tolerances:
 * - the particle filter's log-likelihood estimate at the true parameters
 *   agrees between two groups of independent filters (different seeds): the
 *   group means within 4 standard errors of their difference, each SE the
 *   sample sd of the group over sqrt(R);
 * - the PMMH chain's central 95% interval of phi covers the true 0.9, and the
 *   chain mixes (ESS by genc_diag_ess_bulk() above 50, acceptance in
 *   (0.1, 0.9)).
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genc.h"

#define T 100
#define MU (-1.0)
#define PHI 0.9
#define SIGMA 0.8

/* kernel(t, x_prev, mu, phi, sigma): x_t, then y_t given x_t; returns x_t. t is
 * a shared step index, so branching on it is fine in a batched run. */
static genc_array *sv_step(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = args[2], *phi = args[3], *sigma = args[4];
  genc_dist prior;
  if (genc_array_to_double(ctx, args[0]) == 0) {
    genc_array *sd0 =
        genc_div(ctx, sigma, genc_sqrt(ctx, genc_sub(ctx, 1.0, genc_mul(ctx, phi, phi))));
    prior = genc_normal(ctx, mu, sd0);
  } else {
    prior =
        genc_normal(ctx, genc_add(ctx, mu, genc_mul(ctx, phi, genc_sub(ctx, args[1], mu))), sigma);
  }
  genc_array *x = GENC_TRACE(rt, "x", prior);
  GENC_TRACE(rt, "y", genc_normal(ctx, 0.0, genc_exp(ctx, genc_mul(ctx, x, 0.5))));
  return x;
}

typedef struct sv_data {
  genc_choicemap *obs[T]; /* step-relative: "y" */
} sv_data;

/* Step t's inputs at theta = {phi}: genc_smc_unfold_step with (init, mu, phi, sigma). */
static genc_status sv_inputs(genc_ctx *ctx, int64_t t, const double *theta, genc_array **args,
                             genc_argdiff *argdiffs, genc_choicemap **cons, void *user) {
  sv_data *d = user;
  genc_array *rest[4] = {genc_scalar(ctx, MU), genc_scalar(ctx, MU), genc_scalar(ctx, theta[0]),
                         genc_scalar(ctx, SIGMA)};
  genc_smc_unfold u = {.nrest = 4, .rest = rest, .obs = (const genc_choicemap *const *)d->obs};
  return genc_smc_unfold_step(ctx, t, args, argdiffs, cons, &u);
}

/* The same at the true phi, as a genc_smc_step_fn. */
static genc_status sv_inputs_true(genc_ctx *ctx, int64_t t, genc_array **args,
                                  genc_argdiff *argdiffs, genc_choicemap **cons, void *user) {
  const double phi = PHI;
  return sv_inputs(ctx, t, &phi, args, argdiffs, cons, user);
}

static double phi_prior(const double *theta, void *user) {
  (void)user;
  return fabs(theta[0]) < 1 ? 0 : -INFINITY;
}

/* The data: one simulation of the model, its y_t as step-relative maps. */
static genc_status simulate(genc_ctx *ctx, genc_gf *sv, sv_data *d) {
  genc_trace *sim =
      genc_gf_simulate(ctx, sv, GENC_ARGS(ctx, T, MU, MU, PHI, SIGMA), genc_key_from_seed(2024), 0);
  for (int t = 0; t < T && sim; t++) {
    char a[16];
    snprintf(a, sizeof a, "%d/y", t);
    d->obs[t] = genc_choicemap_new(ctx);
    genc_choicemap_set_str(ctx, d->obs[t], "y",
                           genc_scalar(ctx, genc_trace_get_double(ctx, sim, a)));
  }
  genc_trace_release(sim);
  return genc_ctx_status(ctx); /* set by a failed simulate or read */
}

/* Mean and standard error of R filters' log-likelihood estimates from seed base @p seed. */
static genc_status filter_group(genc_ctx *ctx, genc_gf *sv, sv_data *d, uint64_t seed, double *mean,
                                double *se) {
  enum { R = 8 };
  double lz[R], m = 0, v = 0;
  for (int r = 0; r < R; r++) {
    genc_smc_opts o = {.n = 1000,
                       .key = genc_key_fold_in(genc_key_from_seed(seed), (uint64_t)r),
                       .scheme = GENC_RESAMPLE_SYSTEMATIC};
    genc_smc_result res;
    genc_status st = genc_smc(ctx, sv, T, sv_inputs_true, d, &o, &res);
    if (st) return st;
    lz[r] = res.log_ml, m += res.log_ml / R;
    genc_smc_result_clear(&res);
  }
  for (int r = 0; r < R; r++)
    v += (lz[r] - m) * (lz[r] - m) / (R - 1);
  *mean = m, *se = sqrt(v / R);
  return GENC_OK;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(void) {
  genc_ctx *ctx = genc_ctx_new_env(NULL);
  if (!ctx) {
    fprintf(stderr, "%s\n", genc_ctx_new_error());
    return 1;
  }
  genc_gf *kernel = genc_gf_dynamic("sv_step", sv_step, 5, NULL);
  genc_gf *sv = genc_unfold(kernel);
  sv_data d = {0};
  double m1, se1, m2, se2, theta0 = 0.5, scale = 0.2, ess = NAN;
  genc_pmcmc_model model = {
      .model = sv, .steps = T, .dim = 1, .step = sv_inputs, .log_prior = phi_prior, .user = &d};
  genc_pmcmc_opts o = {.iters = 1000,
                       .warmup = 100,
                       .key = genc_key_from_seed(7),
                       .theta0 = &theta0,
                       .scale = &scale,
                       .n = 100,
                       .scheme = GENC_RESAMPLE_SYSTEMATIC};
  genc_pmcmc_result r = {0};
  if (simulate(ctx, sv, &d) || filter_group(ctx, sv, &d, 1, &m1, &se1) ||
      filter_group(ctx, sv, &d, 2, &m2, &se2) || genc_pmmh(ctx, &model, &o, &r) ||
      genc_diag_ess_bulk(ctx, r.theta, 1, r.iters, &ess)) {
    fprintf(stderr, "sv_pmmh: %s\n", genc_ctx_error(ctx));
    return 1;
  }

  double tol = 4 * sqrt(se1 * se1 + se2 * se2);
  bool lz_ok = fabs(m1 - m2) < tol;
  printf("stochastic volatility, T = %d, on the %s\n", T,
         genc_ctx_device(ctx) == GENC_CUDA ? "GPU" : "CPU");
  printf("particle filter log p(y | true parameters), N = 1000, two groups of 8 seeds:\n"
         "  %.3f (SE %.3f) and %.3f (SE %.3f); difference %.3f, tolerance (4 SE) %.3f %s\n",
         m1, se1, m2, se2, m1 - m2, tol, lz_ok ? "ok" : "FAILED");

  double *s = malloc((size_t)r.iters * sizeof *s), mean = 0;
  memcpy(s, r.theta, (size_t)r.iters * sizeof *s);
  qsort(s, (size_t)r.iters, sizeof *s, cmp);
  for (int64_t i = 0; i < r.iters; i++)
    mean += s[i] / (double)r.iters;
  double lo = s[(int64_t)(0.025 * (double)r.iters)], hi = s[(int64_t)(0.975 * (double)r.iters)];
  bool covers = lo < PHI && PHI<hi, mixes = ess> 50 && r.accept_rate > 0.1 && r.accept_rate < 0.9;
  printf("PMMH on phi (N = %lld particles, %lld iterations after %lld warmup):\n"
         "  posterior mean %.3f, 95%% interval [%.3f, %.3f] (true %.2f) %s\n"
         "  acceptance %.2f, ESS %.0f %s\n",
         (long long)o.n, (long long)r.iters, (long long)o.warmup, mean, lo, hi, PHI,
         covers ? "ok" : "FAILED", r.accept_rate, ess, mixes ? "ok" : "FAILED");
  bool ok = lz_ok && covers && mixes;
  printf("checks: %s\n", ok ? "ok" : "FAILED");

  free(s);
  genc_pmcmc_result_clear(&r);
  for (int t = 0; t < T; t++)
    genc_choicemap_free(d.obs[t]);
  genc_gf_release(sv);
  genc_gf_release(kernel);
  genc_ctx_free(ctx);
  return ok ? 0 : 1;
}
