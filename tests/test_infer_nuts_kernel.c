/*
 * The NUTS kernel over a selection (genc_kernel_nuts) composed with Gibbs on
 * the discrete choices, on the mixture of mixture_model.h (a
 * two-component Gaussian mixture with unknown means and assignments),
 *
 *   mu/0 ~ N(-2, 1),  mu/1 ~ N(2, 1),  z/i ~ Categorical(1/2, 1/2),
 *   y/i ~ N(mu/z_i, 1),  i < 5,
 *
 * sampled by genc_mcmc_run over 8 chains (one batched trace) with the kernel
 * cycle [NUTS on mu/0, mu/1; Gibbs on each z/i]. The exact posterior mixes,
 * over the 2^5 assignments, the conjugate normal posteriors of the means,
 * weighted by the assignments' marginal likelihoods. Each posterior mean and
 * variance (the mean of squared deviations from the exact mean) is checked
 * within 4 Monte Carlo standard errors (genc_diag_mcse_mean over the chains'
 * ESS), R-hat < 1.01. Also: chain i of a batched application equals the
 * single-trace application with genc_key_particle(key, i); bad options and a
 * metric of the wrong length.
 */
#include "mixture_model.h"

/* NUTS and Gibbs in a cycle (one kernel per driver step, in turn). */
static void test_mixture_nuts_gibbs(void **state) {
  genc_ctx *ctx = *state;
  enum { S = 1500 };
  genc_gf *gf = genc_gf_dynamic("mix", mix, 0, NULL);
  genc_choicemap *obs = observations(ctx);
  genc_trace *t0 = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(7), NC, NULL);
  T_OK(ctx, t0);
  const char *mus[2] = {"mu/0", "mu/1"};
  genc_kernel *ks[2] = {genc_kernel_nuts(2, mus, &(genc_nuts_kernel_opts){.step_size = 0.5}),
                        genc_kernel_user("gibbs z", gibbs_z, NULL)};
  assert_non_null(ks[0]);
  genc_kernel *k = genc_kernel_cycle(2, ks);
  genc_kernel_release(ks[0]), genc_kernel_release(ks[1]);
  double *draws = malloc(2 * NC * S * sizeof *draws), acc[NC];
  genc_mcmc_opts o = {.warmup = 100,
                      .samples = S,
                      .key = genc_key_from_seed(8),
                      .naddrs = 2,
                      .addrs = mus,
                      .draws = draws,
                      .draws_cap = 2 * NC * S,
                      .accept_rate = acc};
  genc_trace *t = genc_mcmc_run(ctx, k, t0, &o);
  T_OK(ctx, t);
  double mean[2], sq[2];
  exact_moments(mean, sq);
  for (int c = 0; c < NC; c++) /* NUTS moves every time (Gibbs reports none) */
    assert_true(acc[c] > 0.9 && acc[c] <= 1);
  for (int kk = 0; kk < 2; kk++) {
    double *v = draws + kk * NC * S;
    check_within(ctx, v, S, mean[kk], "mean", kk);
    for (int64_t i = 0; i < NC * S; i++)
      v[i] = (v[i] - mean[kk]) * (v[i] - mean[kk]);
    check_within(ctx, v, S, sq[kk] - mean[kk] * mean[kk], "var", kk);
  }
  free(draws);
  genc_trace_release(t), genc_trace_release(t0);
  genc_kernel_release(k);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

/* 3 batched chains: chain i = the single run with genc_key_particle(key, i),
 * values bit for bit (a round evaluates the points of chains whose trees
 * are done too, their values unused). */
static void check_single_run(genc_ctx *ctx, const genc_nuts_kernel_opts *ko) {
  genc_gf *gf = genc_gf_dynamic("mix", mix, 0, NULL);
  genc_choicemap *obs = observations(ctx);
  genc_trace *tb = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(3), 3, NULL);
  T_OK(ctx, tb);
  const char *mus[2] = {"mu/0", "mu/1"};
  genc_kernel *k = genc_kernel_nuts(2, mus, ko);
  assert_non_null(k);
  genc_key key = genc_key_from_seed(9);
  genc_array *acc = NULL;
  genc_trace *ub = genc_kernel_apply(ctx, k, tb, key, 0, &acc, NULL);
  T_OK(ctx, ub);
  for (int i = 0; i < 3; i++) {
    genc_trace *ti = genc_trace_particle(ctx, tb, i), *ui;
    T_OK(ctx, ti);
    ui = genc_kernel_apply(ctx, k, ti, genc_key_particle(key, (uint32_t)i), 0, NULL, NULL);
    T_OK(ctx, ui);
    for (int j = 0; j < 2; j++) {
      double b[3], s, s0;
      T_OK(ctx, !genc_trace_copy_out(ctx, ub, mus[j], b, 3));
      T_OK(ctx, !genc_trace_copy_out(ctx, ui, mus[j], &s, 1));
      T_OK(ctx, !genc_trace_copy_out(ctx, ti, mus[j], &s0, 1));
      assert_true(b[i] == s);
      assert_true(s != s0); /* it moved */
    }
    assert_true(t_at(ctx, acc, i) == 1);
    genc_trace_release(ti), genc_trace_release(ui);
  }
  genc_trace_release(ub), genc_trace_release(tb);
  genc_kernel_release(k);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

static void test_chain_is_single_run(void **state) {
  double im[2] = {0.5, 2.0};
  check_single_run(*state,
                   &(genc_nuts_kernel_opts){.step_size = 0.3, .inv_metric = im, .metric_dim = 2});
}

static void test_chain_is_single_run_dense(void **state) {
  double im[4] = {0.5, -0.2, -0.2, 2.0};
  check_single_run(*state, &(genc_nuts_kernel_opts){
                               .step_size = 0.3, .inv_metric = im, .metric_dim = 4, .dense = true});
}

/* Bad options are NULL; a metric of the wrong length or a dense one that is
 * not positive definite is named at the first application. */
static void test_errors(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("mix", mix, 0, NULL);
  genc_choicemap *obs = observations(ctx);
  const char *mus[2] = {"mu/0", "mu/1"};
  double im[4] = {0.5, 2.0, 2.0, 1.0};
  genc_key key = genc_key_from_seed(9);
  genc_kernel *bad = genc_kernel_nuts(
      2, mus, &(genc_nuts_kernel_opts){.step_size = 0.5, .inv_metric = im, .metric_dim = 1});
  genc_trace *t1 = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(3), 0, NULL);
  assert_null(genc_kernel_apply(ctx, bad, t1, key, 0, NULL, NULL));
  assert_non_null(strstr(genc_ctx_error(ctx), "genc_kernel_nuts: the inverse metric has 1 values"));
  genc_ctx_clear_error(ctx);
  genc_kernel *nonpd = genc_kernel_nuts(
      2, mus,
      &(genc_nuts_kernel_opts){.step_size = 0.5, .inv_metric = im, .metric_dim = 4, .dense = true});
  assert_null(genc_kernel_apply(ctx, nonpd, t1, key, 0, NULL, NULL));
  assert_non_null(strstr(genc_ctx_error(ctx), "genc_kernel_nuts: the dense inverse metric is not"));
  genc_ctx_clear_error(ctx);
  genc_kernel_release(nonpd);
  assert_null(genc_kernel_nuts(2, mus, &(genc_nuts_kernel_opts){.step_size = 1, .dense = true}));
  assert_null(genc_kernel_nuts(2, mus, &(genc_nuts_kernel_opts){.step_size = 0}));
  assert_null(genc_kernel_nuts(2, mus, &(genc_nuts_kernel_opts){.step_size = 1, .max_depth = 31}));
  assert_null(genc_kernel_nuts(0, mus, &(genc_nuts_kernel_opts){.step_size = 1}));
  genc_trace_release(t1);
  genc_kernel_release(bad);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mixture_nuts_gibbs),
      cmocka_unit_test(test_chain_is_single_run),
      cmocka_unit_test(test_chain_is_single_run_dense),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
