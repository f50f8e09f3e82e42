/*
 * The dense metric (GENC_METRIC_DENSE, Stan's dense_e) of NUTS: Stan's
 * windowed covariance estimate against a direct computation; a 10-D strongly
 * correlated Gaussian (AR(1) correlation 0.95, scales 0.1 to 10: correlation
 * condition number ~ 1500) whose exact moments the chains must match, whose
 * covariance the adapted inverse metric must approach, and on which the dense
 * metric must give clearly more minimum ESS per gradient than the diagonal
 * one; a given dense metric without warmup; the CmdStan CSV adaptation block
 * of a dense result and its reproducibility; bad metrics.
 *
 * Statistical tolerances: each moment estimate (E x_i, E x_i^2, E x_i x_i+1)
 * lies within 4 of its Monte Carlo standard errors (genc_diag_mcse_mean from
 * the ESS of 4 chains), at a fixed key.
 */
#include "infer/adapt.h"
#include "testutil.h"

#define D 10
#define RHO 0.95

#include "ar1_gauss.h"

static void check_moments(genc_ctx *ctx, const genc_nuts_result *r, int nc) {
  double *buf = malloc((size_t)(nc * r[0].samples) * sizeof *buf);
  for (int i = 0; i < D; i++) {
    check_moment(ctx, r, nc, i, -1, 0, 4, buf);
    check_moment(ctx, r, nc, i, i, covar(i, i), 4, buf);
    if (i + 1 < D) check_moment(ctx, r, nc, i, i + 1, covar(i, i + 1), 4, buf);
  }
  free(buf);
}

/* Minimum bulk ESS over the coordinates per gradient evaluation of sampling. */
static double ess_per_grad(genc_ctx *ctx, const genc_nuts_result *r, int nc) {
  int64_t n = r[0].samples, grads = 0;
  double *buf = malloc((size_t)(nc * n) * sizeof *buf), min_ess = INFINITY;
  for (int i = 0; i < D; i++) {
    double ess;
    T_OK(ctx, !genc_nuts_param_draws(ctx, r, nc, i, buf));
    T_OK(ctx, !genc_diag_ess_bulk(ctx, buf, nc, n, &ess));
    min_ess = fmin(min_ess, ess);
  }
  for (int c = 0; c < nc; c++)
    for (int64_t t = 0; t < n; t++)
      grads += r[c].stats[t].n_leapfrog;
  free(buf);
  return min_ess / (double)grads;
}

/* Stan's covar_adaptation for 100 warmup iterations (15 / 75 / 10: one slow
 * window, iterations 15..89): the regularized sample covariance of that
 * window's draws, against a two-pass computation. */
static void test_covar_window(void **state) {
  (void)state;
  genc__var_adapt va;
  assert_int_equal(genc__var_adapt_init_dense(&va, 3, 100, 75, 50, 25), 0);
  double q[100][3], var[9] = {0};
  int ends = 0;
  for (int it = 0; it < 100; it++) {
    q[it][0] = sin(0.7 * it), q[it][1] = q[it][0] + 0.3 * cos(1.3 * it), q[it][2] = it % 5;
    if (genc__var_adapt_learn(&va, q[it], var)) ends++, assert_int_equal(it, 89);
  }
  assert_int_equal(ends, 1);
  genc__var_adapt_free(&va);
  double n = 75, m[3] = {0};
  for (int it = 15; it < 90; it++)
    for (int k = 0; k < 3; k++)
      m[k] += q[it][k] / n;
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++) {
      double c = 0;
      for (int it = 15; it < 90; it++)
        c += (q[it][a] - m[a]) * (q[it][b] - m[b]) / (n - 1);
      double want = n / (n + 5) * c + (a == b ? 1e-3 * 5 / (n + 5) : 0);
      T_CLOSE(var[a * 3 + b], want, 1e-12);
      assert_true(var[a * 3 + b] == var[b * 3 + a]); /* exactly symmetric */
    }
}

static void test_dense_gaussian(void **state) {
  genc_ctx *ctx = *state;
  enum { NC = 4 };
  genc_nuts_result dn[NC], dg[NC];
  genc_nuts_opts o = {.key = genc_key_from_seed(21), .metric = GENC_METRIC_DENSE};
  T_OK(ctx, !genc_nuts_chains(ctx, gauss_lp, NULL, D, NC, &o, dn));
  check_moments(ctx, dn, NC);
  /* The last window's estimate (500 warmup draws): an entry's standard error
   * is sqrt((S_ii S_jj + S_ij^2) / n_eff) <= sqrt(2 / n_eff) in units of
   * sqrt(S_ii S_jj); 0.3 is 4 of them down to n_eff = 90, below what the
   * near-independent dense draws give. */
  double worst = 0;
  for (int c = 0; c < NC; c++) {
    assert_int_equal(dn[c].metric, GENC_METRIC_DENSE);
    for (int i = 0; i < D; i++)
      for (int j = 0; j < D; j++) {
        double e = fabs(dn[c].inv_metric[i * D + j] - covar(i, j)) / (scale(i) * scale(j));
        worst = fmax(worst, e);
      }
  }
  print_message("dense: worst |M^-1 - Sigma| / (s_i s_j) = %.3f\n", worst);
  assert_true(worst < 0.3);
  o.metric = GENC_METRIC_DIAG;
  T_OK(ctx, !genc_nuts_chains(ctx, gauss_lp, NULL, D, NC, &o, dg));
  double e_dense = ess_per_grad(ctx, dn, NC), e_diag = ess_per_grad(ctx, dg, NC);
  genc_diag_sampler_summary sd, sg;
  T_OK(ctx, !genc_diag_summarize_sampler(ctx, dn[0].stats, dn[0].samples, 10, &sd));
  T_OK(ctx, !genc_diag_summarize_sampler(ctx, dg[0].stats, dg[0].samples, 10, &sg));
  print_message("min bulk ESS per gradient: dense %.4f (%.1f leapfrogs), diag %.4f (%.1f): "
                "%.1fx\n",
                e_dense, sd.leapfrog_mean, e_diag, sg.leapfrog_mean, e_dense / e_diag);
  /* the diagonal metric cannot undo a correlation condition number ~ 1500:
   * its trajectories are many times longer for the same ESS */
  assert_true(e_dense > 3 * e_diag);
  for (int c = 0; c < NC; c++)
    genc_nuts_result_clear(&dn[c]), genc_nuts_result_clear(&dg[c]);
}

/* The exact covariance as a given dense metric, no warmup: the draws are
 * right (a momentum law that did not match the kinetic energy would bias
 * them) and the metric is returned as given. */
static void test_given_dense_metric(void **state) {
  genc_ctx *ctx = *state;
  enum { NC = 4 };
  double m[D * D];
  for (int i = 0; i < D; i++)
    for (int j = 0; j < D; j++)
      m[i * D + j] = covar(i, j);
  genc_nuts_opts o = {.warmup = GENC_NUTS_NO_WARMUP,
                      .stepsize = 0.7,
                      .metric = GENC_METRIC_DENSE,
                      .inv_metric = m,
                      .key = genc_key_from_seed(5)};
  genc_nuts_result r[NC];
  T_OK(ctx, !genc_nuts_chains(ctx, gauss_lp, NULL, D, NC, &o, r));
  check_moments(ctx, r, NC);
  assert_memory_equal(r[0].inv_metric, m, sizeof m);
  for (int c = 0; c < NC; c++)
    genc_nuts_result_clear(&r[c]);
}

/* A dense result's adaptation block as CmdStan writes dense_e: the step
 * size, "Elements of inverse mass matrix:", then one comment line per row. */
static void test_dense_csv(void **state) {
  genc_ctx *ctx = *state;
  genc_nuts_result r;
  genc_nuts_opts o = {.warmup = 150, .samples = 10, .metric = GENC_METRIC_DENSE};
  T_OK(ctx, !genc_nuts(ctx, gauss_lp, NULL, D, &o, &r));
  genc_nuts_result r2; /* same key, same chain, bit for bit */
  T_OK(ctx, !genc_nuts(ctx, gauss_lp, NULL, D, &o, &r2));
  assert_memory_equal(r.draws, r2.draws, 10 * D * sizeof(double));
  assert_memory_equal(r.inv_metric, r2.inv_metric, D * D * sizeof(double));
  genc_nuts_result_clear(&r2);
  FILE *f = tmpfile();
  genc_stan_csv_param p = {.name = "x", .ndim = 1, .shape = {D}};
  genc_stan_csv_config cfg = {.num_samples = 10,
                              .num_warmup = 150,
                              .metric = "dense_e",
                              .stepsize = r.stepsize,
                              .inv_metric = r.inv_metric,
                              .inv_metric_dim = D};
  genc_stan_csv *csv = genc_stan_csv_open(ctx, f, NULL, &cfg, 1, &p, 0);
  T_OK(ctx, csv);
  for (int64_t s = 0; s < r.samples; s++)
    T_OK(ctx, !genc_stan_csv_write(ctx, csv, &r.stats[s], r.draws + s * D, NULL));
  T_OK(ctx, !genc_stan_csv_close(ctx, csv));
  rewind(f);
  char line[4096];
  int row = -1;
  while (fgets(line, sizeof line, f)) {
    if (!strcmp(line, "# Elements of inverse mass matrix:\n")) {
      row = 0;
      continue;
    }
    if (row < 0 || row >= D) continue;
    char *s = line + 2; /* "# " then D values joined by ", " */
    for (int j = 0; j < D; j++) {
      char *end;
      double v = strtod(s, &end);
      assert_true(end != s && v == r.inv_metric[row * D + j]); /* %.17g round-trips */
      s = end + (j + 1 < D ? 2 : 0);
    }
    assert_int_equal(*s, '\n');
    row++;
  }
  assert_int_equal(row, D);
  fclose(f);
  genc_nuts_result_clear(&r);
}

static void test_bad_metrics(void **state) {
  genc_ctx *ctx = *state;
  genc_nuts_result r;
  double m[4] = {1, 0.5, 0.4, 1}; /* not symmetric */
  genc_nuts_opts o = {.metric = GENC_METRIC_DENSE, .inv_metric = m, .samples = 5};
  assert_int_equal(genc_nuts(ctx, gauss_lp, NULL, 2, &o, &r), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "inv_metric[0][1] = 0.5 is not symmetric"));
  genc_ctx_clear_error(ctx);
  m[1] = m[2] = 2; /* symmetric, eigenvalues 3 and -1 */
  assert_int_equal(genc_nuts(ctx, gauss_lp, NULL, 2, &o, &r), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "not positive definite"));
  genc_ctx_clear_error(ctx);
  o.metric = (genc_metric)7;
  assert_int_equal(genc_nuts(ctx, gauss_lp, NULL, 2, &o, &r), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "metric"));
  genc_ctx_clear_error(ctx);
  double dg[2] = {1, -1};
  o = (genc_nuts_opts){.inv_metric = dg, .samples = 5};
  assert_int_equal(genc_nuts(ctx, gauss_lp, NULL, 2, &o, &r), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "inv_metric[1] = -1 is not > 0"));
  genc_ctx_clear_error(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_covar_window),   cmocka_unit_test(test_bad_metrics),
      cmocka_unit_test(test_dense_csv),      cmocka_unit_test(test_given_dense_metric),
      cmocka_unit_test(test_dense_gaussian),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
