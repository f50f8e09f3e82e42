/*
 * Bayesian linear regression by N-chain Metropolis-Hastings with the
 * library's kernels and driver, checked against the exact posterior.
 *
 *   slope, intercept ~ Normal(0, 10);  y_j ~ Normal(slope * x_j + intercept, 1),  j < 20
 *
 * With the noise known the posterior is Gaussian, computed here in closed
 * form. The kernel is a random mixture (weights 0.9 / 0.1) of a random walk
 * that moves both parameters, reading them from the trace it proposes from,
 * and a regeneration of the slope from its prior; genc_mcmc_run() runs it on
 * 4 chains held as one batched trace (each chain accepts or rejects on its
 * own), records the draws in the diagnostics' layout, and the example prints
 * the stansummary-style table. It checks R-hat < 1.05, each posterior mean
 * within 4.5 Monte Carlo standard errors (from the bulk ESS) of the exact one,
 * and each sd within 4.5 sd / sqrt(2 ESS) (the sd's standard error).
 * Deterministic: fixed seeds.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "genc.h"

enum { K = 20, CHAINS = 4, WARMUP = 500, SAMPLES = 2000 };

static double xs[K], ys[K];

static genc_array *model(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *a = GENC_TRACE(rt, "slope", genc_normal(ctx, 0.0, 10.0));
  genc_array *b = GENC_TRACE(rt, "intercept", genc_normal(ctx, 0.0, 10.0));
  genc_array *mean = genc_add(ctx, genc_mul(ctx, a, genc_array_vec(ctx, K, xs)), b);
  return GENC_TRACE(rt, "y", genc_broadcasted_normal(ctx, mean, 1.0));
}

/* symmetric random walk on both parameters, from the trace it proposes from */
static genc_array *walk(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  const genc_trace *t = genc_rt_from(rt);
  GENC_TRACE(rt, "slope", genc_normal(ctx, genc_trace_get_path(ctx, t, "slope"), 0.08));
  return GENC_TRACE(rt, "intercept",
                    genc_normal(ctx, genc_trace_get_path(ctx, t, "intercept"), 0.25));
}

/* The exact posterior mean (X'X + I/100)^-1 X'y and sd of (slope, intercept). */
static void exact_posterior(double m[2], double sd[2]) {
  double sxx = 0.01, sx = 0, n = 0.01, sxy = 0, sy = 0;
  for (int j = 0; j < K; j++)
    sxx += xs[j] * xs[j], sx += xs[j], n += 1, sxy += xs[j] * ys[j], sy += ys[j];
  double det = sxx * n - sx * sx;
  m[0] = (n * sxy - sx * sy) / det;
  m[1] = (sxx * sy - sx * sxy) / det;
  sd[0] = sqrt(n / det), sd[1] = sqrt(sxx / det);
}

int main(void) {
  genc_ctx *ctx = genc_ctx_new_env(NULL);
  if (!ctx) {
    fprintf(stderr, "%s\n", genc_ctx_new_error());
    return 1;
  }
  for (int j = 0; j < K; j++)
    xs[j] = 0.5 * j - 5.0, ys[j] = 1.5 * xs[j] - 2.0 + sin(3.0 * j);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  genc_choicemap_set_str(ctx, obs, "y", genc_array_vec(ctx, K, ys));
  genc_gf *gf = genc_gf_dynamic("linreg", model, 0, NULL);
  genc_gf *q = genc_gf_dynamic("walk", walk, 0, NULL);
  genc_selection *s = genc_selection_new(ctx);
  genc_selection_add_str(ctx, s, "slope");
  genc_kernel *parts[2] = {genc_kernel_mh_proposal(q, NULL), genc_kernel_mh_select(s)};
  genc_kernel *kernel = genc_kernel_mixture(2, parts, (double[]){0.9, 0.1});
  genc_kernel_release(parts[0]), genc_kernel_release(parts[1]);
  genc_selection_release(s), genc_gf_release(q);

  const char *addrs[] = {"slope", "intercept"};
  static double draws[2 * CHAINS * SAMPLES];
  double rate[CHAINS];
  genc_trace *t0 = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(1), CHAINS, NULL);
  genc_trace *t = t0 ? genc_mcmc_run(ctx, kernel, t0,
                                     &(genc_mcmc_opts){.warmup = WARMUP,
                                                       .samples = SAMPLES,
                                                       .key = genc_key_from_seed(2),
                                                       .naddrs = 2,
                                                       .addrs = addrs,
                                                       .draws = draws,
                                                       .draws_cap = 2 * CHAINS * SAMPLES,
                                                       .accept_rate = rate})
                     : NULL;
  genc_diag_summary rows[2];
  bool ok = t != NULL;
  for (int p = 0; ok && p < 2; p++)
    ok = !genc_diag_summarize(ctx, draws + p * CHAINS * SAMPLES, CHAINS, SAMPLES, &rows[p]);
  size_t need = 0;
  char *table = NULL;
  if (ok && !genc_diag_summary_format(ctx, 2, addrs, rows, NULL, 0, &need)) {
    table = malloc(need + 1);
    ok = table && !genc_diag_summary_format(ctx, 2, addrs, rows, table, need + 1, NULL);
  }
  if (!ok) {
    fprintf(stderr, "linreg_mcmc: %s\n", genc_ctx_error(ctx));
    return 1;
  }
  printf("linear regression, MH mixture kernel, %d chains x %d draws (after %d warmup)\n", CHAINS,
         SAMPLES, WARMUP);
  printf("acceptance per chain: %.3f %.3f %.3f %.3f\n%s", rate[0], rate[1], rate[2], rate[3],
         table);
  double exact[2], esd[2];
  exact_posterior(exact, esd);
  for (int p = 0; p < 2; p++) {
    double sd_tol = 4.5 * esd[p] / sqrt(2.0 * rows[p].ess_bulk);
    bool good = rows[p].rhat < 1.05 && fabs(rows[p].mean - exact[p]) < 4.5 * rows[p].mcse_mean &&
                fabs(rows[p].sd - esd[p]) < sd_tol;
    printf("%-10s exact mean %8.4f sd %.4f, estimate %8.4f (4.5 MCSE = %.4f) sd %.4f (tol %.4f), "
           "rhat %.3f: %s\n",
           addrs[p], exact[p], esd[p], rows[p].mean, 4.5 * rows[p].mcse_mean, rows[p].sd, sd_tol,
           rows[p].rhat, good ? "ok" : "FAILED");
    ok = ok && good;
  }
  free(table);
  genc_trace_release(t), genc_trace_release(t0);
  genc_kernel_release(kernel);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
  genc_ctx_free(ctx);
  return ok ? 0 : 1;
}
