/*
 * Eight schools (Rubin 1981) by importance sampling with the prior as proposal.
 *
 *   mu ~ Normal(0, 5);  tau ~ HalfCauchy(5)
 *   theta/j ~ Normal(mu, tau);  y/j ~ Normal(theta/j, sigma_j),  j < 8
 *
 * Hierarchical addresses: GENC_TRACE_AT(rt, "theta", j, ...) makes the choice
 * theta/j, and the observations are constrained at y/0 ... y/7. The number of
 * schools is a host argument (GENC_ARGS(ctx, J), read with genc_rt_arg_int);
 * the known standard errors sigma_j are C data reached through `user`.
 * generate runs the body once for N particles; the importance weights give the
 * posterior means of mu and tau, checked against 2-D quadrature of the
 * marginal likelihood (theta integrated out: y_j ~ Normal(mu, sqrt(tau^2 +
 * sigma_j^2))). Deterministic: a fixed seed. GENC_DEVICE=cuda runs it on the
 * GPU, unchanged.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "genc.h"

#define J 8
static const double y_obs[J] = {28, 8, -3, 7, -1, 1, 18, 12};
static const double sigma[J] = {15, 10, 16, 11, 9, 11, 10, 18};

/* args[0]: the number of schools J; user: their J standard errors */
static genc_array *eight_schools(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args;
  const double *s = user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  int64_t nschools = genc_rt_arg_int(rt, 0);
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, 0.0, 5.0));
  genc_array *tau = GENC_TRACE(rt, "tau", genc_half_cauchy(ctx, 5.0));
  for (int64_t j = 0; j < nschools; j++) {
    genc_array *theta = GENC_TRACE_AT(rt, "theta", j, genc_normal(ctx, mu, tau));
    GENC_TRACE_AT(rt, "y", j, genc_normal(ctx, theta, s[j]));
  }
  return mu;
}

/* Posterior means of mu and tau by the midpoint rule on a grid. tau = 5 tan(pi
 * u / 2) maps u ~ Uniform(0, 1) to HalfCauchy(5), so the prior of tau is flat
 * in u and the grid covers tau's whole heavy tail. mu covers +-8 prior sds.
 * Given tau, sum_j (y_j - mu)^2 / v_j = A mu^2 - 2 B mu + C with v_j = tau^2 +
 * sigma_j^2, so each grid point costs O(1). Two passes: the max log density,
 * then the normalized sums. */
static void exact_means(double *mean_mu, double *mean_tau) {
  enum { NU = 1000, NM = 1000 };
  const double mlo = -40, mhi = 40, dm = (mhi - mlo) / NM;
  double mx = -INFINITY, z = 0, smu = 0, stau = 0;
  for (int pass = 0; pass < 2; pass++) {
    for (int a = 0; a < NU; a++) {
      double tau = 5 * tan(M_PI * (a + 0.5) / (2 * NU));
      double A = 0, B = 0, C = 0, logdet = 0;
      for (int j = 0; j < J; j++) {
        double v = tau * tau + sigma[j] * sigma[j];
        A += 1 / v, B += y_obs[j] / v, C += y_obs[j] * y_obs[j] / v, logdet += log(v);
      }
      for (int b = 0; b < NM; b++) {
        double mu = mlo + (b + 0.5) * dm;
        double lp = -0.5 * (A * mu * mu - 2 * B * mu + C) - 0.5 * logdet - mu * mu / 50;
        if (pass == 0) {
          mx = fmax(mx, lp);
        } else {
          double e = exp(lp - mx);
          z += e, smu += e * mu, stau += e * tau;
        }
      }
    }
  }
  *mean_mu = smu / z;
  *mean_tau = stau / z;
}

/* Self-normalized estimate sum w_i x_i / sum w_i and its delta-method
 * standard error sqrt(sum w_i^2 (x_i - xbar)^2) / sum w_i. */
static void sn_estimate(const double *w, const double *x, int64_t n, double *est, double *se) {
  double sw = 0, swx = 0, v = 0;
  for (int64_t i = 0; i < n; i++)
    sw += w[i], swx += w[i] * x[i];
  *est = swx / sw;
  for (int64_t i = 0; i < n; i++)
    v += w[i] * w[i] * (x[i] - *est) * (x[i] - *est);
  *se = sqrt(v) / sw;
}

int main(void) {
  const int64_t n = 100000;
  genc_ctx *ctx = genc_ctx_new_env(NULL);
  if (!ctx) {
    fprintf(stderr, "%s\n", genc_ctx_new_error());
    return 1;
  }
  genc_gf *gf = genc_gf_dynamic("eight_schools", eight_schools, 1, (void *)sigma);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  for (int j = 0; j < J; j++)
    genc_choicemap_set_path(ctx, obs, GENC_PATH(GENC_SYM("y"), genc_idx(j)),
                            genc_scalar(ctx, y_obs[j]));

  genc_array *logw = NULL;
  genc_trace *t =
      genc_gf_generate(ctx, gf, GENC_ARGS(ctx, J), obs, genc_key_from_seed(8), n, &logw);
  double *w = malloc((size_t)n * sizeof *w), *mu = malloc((size_t)n * sizeof *mu),
         *tau = malloc((size_t)n * sizeof *tau);
  if (!t || genc_array_copy_out(ctx, logw, w, n) || genc_trace_copy_out(ctx, t, "mu", mu, n) ||
      genc_trace_copy_out(ctx, t, "tau", tau, n)) {
    fprintf(stderr, "eight_schools_is: %s\n", genc_ctx_error(ctx));
    return 1;
  }

  /* weights exp(log w - max log w): the common factor cancels in the ratios */
  double mx = -INFINITY, sw = 0, sw2 = 0;
  for (int64_t i = 0; i < n; i++)
    mx = fmax(mx, w[i]);
  for (int64_t i = 0; i < n; i++) {
    w[i] = exp(w[i] - mx);
    sw += w[i], sw2 += w[i] * w[i];
  }
  double est[2], se[2], exact[2];
  sn_estimate(w, mu, n, &est[0], &se[0]);
  sn_estimate(w, tau, n, &est[1], &se[1]);
  exact_means(&exact[0], &exact[1]);

  /* ctest runs this example: each estimate must lie within 4.5 standard errors
   * of the quadrature answer (a correct sampler fails this about once in
   * 150000 runs per quantity). The quadrature error is below 1e-6: doubling
   * or quadrupling the grid changes the means by less than that. */
  const double k = 4.5;
  bool ok = true;
  printf("eight schools, importance sampling on the %s: N = %lld particles, ESS %.0f\n",
         genc_ctx_device(ctx) == GENC_CUDA ? "GPU" : "CPU", (long long)n, sw * sw / sw2);
  printf("             estimate    exact   tolerance (%.1f SE)\n", k);
  const char *names[2] = {"E[mu | y]", "E[tau | y]"};
  for (int q = 0; q < 2; q++) {
    bool good = fabs(est[q] - exact[q]) < k * se[q];
    ok = ok && good;
    printf("%-11s %9.4f %9.4f   %9.4f %s\n", names[q], est[q], exact[q], k * se[q],
           good ? "ok" : "FAILED");
  }
  printf("check against quadrature: %s\n", ok ? "ok" : "FAILED");

  free(w), free(mu), free(tau);
  genc_trace_release(t);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
  genc_ctx_free(ctx);
  return ok ? 0 : 1;
}
