/*
 * NUTS (genc_nuts) on hand-written log densities: a 10-D correlated Gaussian
 * with scales from 0.1 to 10 against its exact moments, Neal's funnel for
 * divergence reporting, and the logistic regression of B4 for mixing; Stan's
 * adaptation windows; errors; reproducibility; a CmdStan CSV from a result.
 *
 * Statistical tolerances: each moment estimate must lie within 4.5 of its
 * own Monte Carlo standard errors (genc_diag_mcse_mean of the draws or of
 * their products, from the ESS of 4 chains), 29 checks at a fixed key.
 */
#include "infer/adapt.h"
#include "testutil.h"

#include <time.h>

#define D 10
#define RHO 0.5

#include "ar1_gauss.h"

static void test_gaussian(void **state) {
  genc_ctx *ctx = *state;
  enum { NC = 4 };
  genc_nuts_result r[NC];
  genc_nuts_opts o = {.key = genc_key_from_seed(11)};
  T_OK(ctx, !genc_nuts_chains(ctx, gauss_lp, NULL, D, NC, &o, r));
  double *buf = malloc(NC * 1000 * sizeof *buf);
  for (int i = 0; i < D; i++) {
    check_moment(ctx, r, NC, i, -1, 0, 4.5, buf);
    check_moment(ctx, r, NC, i, i, covar(i, i), 4.5, buf);
    if (i + 1 < D) check_moment(ctx, r, NC, i, i + 1, covar(i, i + 1), 4.5, buf);
    double rhat;
    T_OK(ctx, !genc_nuts_param_draws(ctx, r, NC, i, buf));
    T_OK(ctx, !genc_diag_rhat(ctx, buf, NC, 1000, &rhat));
    if (!(rhat < 1.01)) fail_msg("rhat[%d] = %g", i, rhat);
  }
  for (int c = 0; c < NC; c++) {
    genc_diag_sampler_summary ss;
    T_OK(ctx, !genc_diag_summarize_sampler(ctx, r[c].stats, 1000, 10, &ss));
    /* dual averaging targets 0.8 during warmup; the final exp(x_bar) step is
     * a little smaller, so the sampling mean lands in 0.75-0.95 */
    if (!(ss.accept_mean > 0.75 && ss.accept_mean < 0.95)) fail_msg("accept %g", ss.accept_mean);
    assert_int_equal(ss.ndivergent, 0);
    assert_true(ss.ebfmi > 0.3);
    /* the adapted metric estimates the variances (within 30%: ~400 warmup draws) */
    for (int i = 0; i < D; i++)
      T_CLOSE(r[c].inv_metric[i] / (scale(i) * scale(i)), 1.0, 0.3);
    printf("chain %d: stepsize %.3f accept %.3f leapfrog %.1f ebfmi %.2f\n", c, r[c].stepsize,
           ss.accept_mean, ss.leapfrog_mean, ss.ebfmi);
  }
  for (int c = 0; c < NC; c++)
    genc_nuts_result_clear(&r[c]);
  free(buf);
}

/* Neal's funnel: v ~ N(0, 3), x_k ~ N(0, exp(v / 2)), k < 9. The neck is too
 * narrow for the adapted step size: trajectories diverge there. */
static genc_status funnel_lp(void *user, const double *t, int dim, double *lp, double *grad) {
  (void)user;
  double v = t[0], ev = exp(-t[0]), ss = 0;
  for (int k = 1; k < dim; k++) {
    ss += t[k] * t[k];
    grad[k] = -t[k] * ev;
  }
  *lp = -v * v / 18 - 0.5 * ss * ev - 0.5 * (dim - 1) * v;
  grad[0] = -v / 9 + 0.5 * ss * ev - 0.5 * (dim - 1);
  return GENC_OK;
}

static void test_funnel_diverges(void **state) {
  genc_ctx *ctx = *state;
  genc_nuts_result r;
  genc_nuts_opts o = {.warmup = 300, .samples = 1000, .delta = 0.6, .key = genc_key_from_seed(3)};
  T_OK(ctx, !genc_nuts(ctx, funnel_lp, NULL, 10, &o, &r));
  genc_diag_sampler_summary ss;
  T_OK(ctx, !genc_diag_summarize_sampler(ctx, r.stats, r.samples, 10, &ss));
  printf("funnel: %lld divergent of %lld, accept %.3f, E-BFMI %.3f\n", (long long)ss.ndivergent,
         (long long)r.samples, ss.accept_mean, ss.ebfmi);
  assert_true(ss.ndivergent > 0);
  assert_true(ss.ebfmi < 0.3); /* the funnel's energy is badly explored: E-BFMI flags it */
  for (int64_t s = 0; s < r.samples; s++) {
    assert_true(r.stats[s].divergent == 0 || r.stats[s].divergent == 1);
    assert_true(r.stats[s].treedepth >= 0 && r.stats[s].treedepth <= 10);
    /* a full tree of depth d took 2^d leapfrogs; a stopped one at most 2^(d+1) - 1 */
    assert_true(r.stats[s].n_leapfrog >= 1 && r.stats[s].n_leapfrog < (2 << r.stats[s].treedepth));
  }
  genc_nuts_result_clear(&r);
}

/* B4 of BENCHMARKS.md: logistic regression, 10 weights and an intercept,
 * standard normal priors, 1000 observations. */
#define B4_N 1000
#define B4_P 10
typedef struct b4 {
  double x[B4_N][B4_P];
  int y[B4_N];
} b4;

static void b4_data(b4 *d) {
  for (int i = 0; i < B4_N; i++) {
    double eta = 0.5 * sin(12.9898 * i);
    for (int j = 0; j < B4_P; j++) {
      d->x[i][j] = sin(0.37 * (i + 1) * (j + 1) + 0.1 * j);
      eta += d->x[i][j] * (-1 + 2.0 * j / (B4_P - 1));
    }
    d->y[i] = eta > 0;
  }
}

static genc_status b4_lp(void *user, const double *t, int dim, double *lp, double *grad) {
  const b4 *d = user;
  double acc = 0;
  for (int j = 0; j < dim; j++) {
    grad[j] = -t[j];
    acc -= 0.5 * t[j] * t[j];
  }
  for (int i = 0; i < B4_N; i++) {
    double eta = t[B4_P];
    for (int j = 0; j < B4_P; j++)
      eta += d->x[i][j] * t[j];
    /* log p(y | eta) = y eta - log(1 + e^eta), stable for either sign,
     * with one exp: e = exp(-|eta|) */
    double e = exp(-fabs(eta)), l1pe = fmax(eta, 0) + log1p(e);
    acc += d->y[i] * eta - l1pe;
    double r = d->y[i] - (eta > 0 ? 1 : e) / (1 + e);
    for (int j = 0; j < B4_P; j++)
      grad[j] += r * d->x[i][j];
    grad[B4_P] += r;
  }
  *lp = acc;
  return GENC_OK;
}

static void test_b4_logreg(void **state) {
  genc_ctx *ctx = *state;
  enum { NC = 2, S = 600 }; /* small for CI time; bench/bench_nuts.c runs the full B4 */
  b4 *d = malloc(sizeof *d);
  b4_data(d);
  genc_nuts_result r[NC];
  genc_nuts_opts o = {.warmup = 300, .samples = S, .key = genc_key_from_seed(4)};
  clock_t c0 = clock();
  T_OK(ctx, !genc_nuts_chains(ctx, b4_lp, d, B4_P + 1, NC, &o, r));
  double *buf = malloc(NC * S * sizeof *buf), min_ess = INFINITY, max_rhat = 0;
  for (int j = 0; j <= B4_P; j++) {
    double rhat, ess;
    T_OK(ctx, !genc_nuts_param_draws(ctx, r, NC, j, buf));
    T_OK(ctx, !genc_diag_rhat(ctx, buf, NC, S, &rhat));
    T_OK(ctx, !genc_diag_ess_bulk(ctx, buf, NC, S, &ess));
    min_ess = fmin(min_ess, ess), max_rhat = fmax(max_rhat, rhat);
  }
  double secs = 0;
  for (int c = 0; c < NC; c++)
    secs += r[c].warmup_seconds + r[c].sampling_seconds;
  double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
  printf("B4: %.3f s CPU; max rhat %.4f, min bulk ESS %.0f of %d draws, %.3f s, %.0f min-ESS/s\n",
         cpu, max_rhat, min_ess, NC * S, secs, min_ess / secs);
  /* 1.02 for this short run (2 x 600 draws; R-hat's own noise is ~0.005
   * there); 4 x 1000 draws gave 1.0015-1.0032 and bench_nuts checks 1.01 */
  assert_true(max_rhat < 1.02);
  assert_true(min_ess > 0.25 * NC * S); /* NUTS on this well-conditioned posterior: near n */
  for (int c = 0; c < NC; c++)
    genc_nuts_result_clear(&r[c]);
  free(buf);
  free(d);
}

/* Stan's windows for 1000 warmup iterations: buffers 75 and 50, slow windows
 * of 25, 50, 100, 200 and 500 (the last absorbs what would be too short),
 * so metric updates at iterations 99, 149, 249, 449 and 949. */
static void test_windows(void **state) {
  (void)state;
  genc__var_adapt va;
  assert_int_equal(genc__var_adapt_init(&va, 1, 1000, 75, 50, 25), 0);
  int64_t ends[8];
  int k = 0;
  double var = 0;
  for (int64_t it = 0; it < 1000; it++) {
    double q = (double)(it % 7);
    if (genc__var_adapt_learn(&va, &q, &var)) ends[k++] = it;
  }
  assert_int_equal(k, 5);
  int64_t want[5] = {99, 149, 249, 449, 949};
  for (int i = 0; i < 5; i++)
    assert_int_equal(ends[i], want[i]);
  genc__var_adapt_free(&va);
  /* the regularized variance of the last window (500 draws of it % 7) */
  double m = 0, m2 = 0;
  for (int64_t it = 450; it < 950; it++)
    m += (double)(it % 7) / 500;
  for (int64_t it = 450; it < 950; it++)
    m2 += ((double)(it % 7) - m) * ((double)(it % 7) - m) / 499;
  T_CLOSE(var, 500.0 / 505 * m2 + 1e-3 * 5.0 / 505, 1e-12);
}

static void test_errors_and_repro(void **state) {
  genc_ctx *ctx = *state;
  genc_nuts_result r, r2;
  assert_int_equal(genc_nuts(ctx, NULL, NULL, 2, NULL, &r), GENC_ERR_ARG);
  genc_ctx_clear_error(ctx);
  assert_int_equal(genc_nuts(ctx, gauss_lp, NULL, 0, NULL, &r), GENC_ERR_ARG);
  genc_ctx_clear_error(ctx);
  assert_int_equal(genc_nuts(ctx, gauss_lp, NULL, 2, &(genc_nuts_opts){.delta = 1.5}, &r),
                   GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "delta"));
  genc_ctx_clear_error(ctx);
  double bad[2] = {1e300, 0};
  assert_int_equal(genc_nuts(ctx, funnel_lp, NULL, 2, &(genc_nuts_opts){.init = bad}, &r),
                   GENC_ERR_DOMAIN);
  assert_non_null(strstr(genc_ctx_error(ctx), "theta[0]"));
  genc_ctx_clear_error(ctx);
  /* same key, same chain; no warmup keeps the given step size */
  genc_nuts_opts o = {.warmup = 50, .samples = 20, .key = genc_key_from_seed(9)};
  T_OK(ctx, !genc_nuts(ctx, gauss_lp, NULL, D, &o, &r));
  T_OK(ctx, !genc_nuts(ctx, gauss_lp, NULL, D, &o, &r2));
  assert_memory_equal(r.draws, r2.draws, 20 * D * sizeof(double));
  genc_nuts_result_clear(&r2);
  o = (genc_nuts_opts){.warmup = GENC_NUTS_NO_WARMUP, .samples = 5, .stepsize = 0.01};
  T_OK(ctx, !genc_nuts(ctx, gauss_lp, NULL, D, &o, &r2));
  for (int s = 0; s < 5; s++)
    assert_true(r2.stats[s].stepsize == 0.01);
  genc_nuts_result_clear(&r2);
  /* a result goes straight to the CmdStan CSV writer */
  FILE *f = tmpfile();
  genc_stan_csv_param p = {.name = "x", .ndim = 1, .shape = {D}};
  genc_stan_csv_config cfg = {.num_samples = 20,
                              .num_warmup = 50,
                              .stepsize = r.stepsize,
                              .inv_metric = r.inv_metric,
                              .inv_metric_dim = D};
  genc_stan_csv *csv = genc_stan_csv_open(ctx, f, NULL, &cfg, 1, &p, 0);
  T_OK(ctx, csv);
  for (int64_t s = 0; s < r.samples; s++)
    T_OK(ctx, !genc_stan_csv_write(ctx, csv, &r.stats[s], r.draws + s * D, NULL));
  T_OK(ctx, !genc_stan_csv_close(ctx, csv));
  assert_true(ftell(f) > 0);
  fclose(f);
  genc_nuts_result_clear(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_windows),   cmocka_unit_test(test_errors_and_repro),
      cmocka_unit_test(test_gaussian),  cmocka_unit_test(test_funnel_diverges),
      cmocka_unit_test(test_b4_logreg),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
