/*
 * Eight schools (Rubin 1981), non-centered, by NUTS with four chains on the
 * model's log density over the unconstrained space.
 *
 *   mu ~ Normal(0, 5);  tau ~ HalfCauchy(5);  eta/j ~ Normal(0, 1)
 *   theta_j = mu + tau eta_j;  y/j ~ Normal(theta_j, sigma_j),  j < 8
 *
 * The non-centered form removes the funnel between tau and theta that makes
 * the centered one diverge. genc_logdensity_new() turns the model, its
 * observations and the addresses mu, tau, eta/0 .. eta/7 into a log density
 * on R^10 (tau moved to log tau, with its Jacobian); genc_nuts_chains() runs
 * four chains on it; each draw is mapped back by genc_logdensity_constrain()
 * and theta_j computed from it. The example prints the stansummary-style
 * table and checks R-hat < 1.05 for mu and tau and E[mu], E[tau] within 4
 * MCSE of 4.3968 and 3.5977, the posterior means computed by 2-D quadrature
 * in examples/eight_schools_is.c. Deterministic: fixed seeds.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "genc.h"

#define J 8
enum { CHAINS = 4, WARMUP = 300, SAMPLES = 300, DIM = J + 2, ROWS = J + 2 };
static const double y_obs[J] = {28, 8, -3, 7, -1, 1, 18, 12};
static const double sigma[J] = {15, 10, 16, 11, 9, 11, 10, 18};

static genc_array *eight_schools(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, 0.0, 5.0));
  genc_array *tau = GENC_TRACE(rt, "tau", genc_half_cauchy(ctx, 5.0));
  for (int64_t j = 0; j < J; j++) {
    genc_array *eta = GENC_TRACE_AT(rt, "eta", j, genc_normal(ctx, 0.0, 1.0));
    genc_array *theta = genc_add(ctx, mu, genc_mul(ctx, tau, eta));
    GENC_TRACE_AT(rt, "y", j, genc_normal(ctx, theta, sigma[j]));
  }
  return mu;
}

/* Draws of mu, tau and theta_0..7 on the constrained scale, into rows of
 * vals laid out [row][chain][draw]. */
static bool constrained_draws(genc_ctx *ctx, genc_logdensity *ld, const genc_nuts_result *res,
                              double *vals) {
  for (int c = 0; c < CHAINS; c++)
    for (int64_t s = 0; s < SAMPLES; s++) {
      double x[DIM];
      if (genc_logdensity_constrain(ctx, ld, res[c].draws + s * DIM, x, NULL)) return false;
      double row[ROWS] = {x[0], x[1]};
      for (int j = 0; j < J; j++)
        row[2 + j] = x[0] + x[1] * x[2 + j];
      for (int r = 0; r < ROWS; r++)
        vals[((int64_t)r * CHAINS + c) * SAMPLES + s] = row[r];
    }
  return true;
}

int main(void) {
  genc_ctx *ctx = genc_ctx_new_env(NULL);
  if (!ctx) {
    fprintf(stderr, "%s\n", genc_ctx_new_error());
    return 1;
  }
  genc_gf *gf = genc_gf_dynamic("eight_schools_nc", eight_schools, 0, NULL);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  for (int j = 0; j < J; j++)
    genc_choicemap_set_path(ctx, obs, GENC_PATH(GENC_SYM("y"), genc_idx(j)),
                            genc_scalar(ctx, y_obs[j]));
  const char *addrs[DIM] = {"mu",    "tau",   "eta/0", "eta/1", "eta/2",
                            "eta/3", "eta/4", "eta/5", "eta/6", "eta/7"};
  genc_trace *tmpl = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(1), 0, NULL);
  genc_logdensity *ld = tmpl ? genc_logdensity_new(ctx, gf, NULL, obs, DIM, addrs, tmpl) : NULL;
  genc_logdensity_fn fn = {ctx, ld, 0};
  genc_nuts_result res[CHAINS];
  static double vals[ROWS * CHAINS * SAMPLES];
  bool ok = ld && !genc_nuts_chains(ctx, genc_logdensity_lp_grad, &fn, DIM, CHAINS,
                                    &(genc_nuts_opts){.warmup = WARMUP,
                                                      .samples = SAMPLES,
                                                      .key = genc_key_from_seed(8)},
                                    res);
  bool ran = ok;
  ok = ok && constrained_draws(ctx, ld, res, vals);
  const char *names[ROWS] = {"mu",       "tau",      "theta[1]", "theta[2]", "theta[3]",
                             "theta[4]", "theta[5]", "theta[6]", "theta[7]", "theta[8]"};
  genc_diag_summary rows[ROWS];
  for (int r = 0; ok && r < ROWS; r++)
    ok = !genc_diag_summarize(ctx, vals + (int64_t)r * CHAINS * SAMPLES, CHAINS, SAMPLES, &rows[r]);
  size_t need = 0;
  char *table = NULL;
  if (ok && !genc_diag_summary_format(ctx, ROWS, names, rows, NULL, 0, &need)) {
    table = malloc(need + 1);
    ok = table && !genc_diag_summary_format(ctx, ROWS, names, rows, table, need + 1, NULL);
  }
  if (!ok) {
    fprintf(stderr, "eight_schools_nuts: %s\n", genc_ctx_error(ctx));
    return 1;
  }
  printf("eight schools (non-centered), NUTS, %d chains x %d draws (after %d warmup)\n", CHAINS,
         SAMPLES, WARMUP);
  for (int c = 0; c < CHAINS; c++) {
    genc_diag_sampler_summary ss;
    if (!genc_diag_summarize_sampler(ctx, res[c].stats, SAMPLES, 10, &ss))
      printf("chain %d: step %.3f, accept %.3f, leapfrogs %.1f, divergent %lld\n", c + 1,
             res[c].stepsize, ss.accept_mean, ss.leapfrog_mean, (long long)ss.ndivergent);
  }
  printf("%s", table);

  /* exact posterior means by 2-D quadrature (examples/eight_schools_is.c) */
  const double exact[2] = {4.3968, 3.5977};
  for (int p = 0; p < 2; p++) {
    bool good = rows[p].rhat < 1.05 && fabs(rows[p].mean - exact[p]) < 4 * rows[p].mcse_mean;
    printf("%-4s quadrature mean %.4f, estimate %.4f (4 MCSE = %.4f), rhat %.3f: %s\n", names[p],
           exact[p], rows[p].mean, 4 * rows[p].mcse_mean, rows[p].rhat, good ? "ok" : "FAILED");
    ok = ok && good;
  }
  free(table);
  for (int c = 0; ran && c < CHAINS; c++)
    genc_nuts_result_clear(&res[c]);
  genc_logdensity_free(ld);
  genc_trace_release(tmpl);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
  genc_ctx_free(ctx);
  return ok ? 0 : 1;
}
