/*
 * The HMC kernel over a selection (genc_kernel_hmc) composed with Gibbs on
 * the discrete choices: a two-component Gaussian mixture with unknown means
 * and assignments,
 *
 *   mu/0 ~ N(-2, 1),  mu/1 ~ N(2, 1),  z/i ~ Categorical(1/2, 1/2),
 *   y/i ~ N(mu/z_i, 1),  i < 5,
 *
 * sampled by genc_mcmc_run over 8 chains (one batched trace) with the kernel
 * sequence [HMC on mu/0, mu/1; Gibbs on each z/i]. The exact posterior
 * mixes, over the 2^5 assignments, the conjugate normal posteriors of the
 * means, weighted by the assignments' marginal likelihoods. Each posterior
 * mean and variance (the mean of squared deviations from the exact mean) is
 * checked within 4 Monte Carlo standard errors (genc_diag_mcse_mean over the
 * chains' ESS), R-hat < 1.01. Also: MALA's chain i equals the single-trace
 * run with genc_key_particle(key, i); the kernel also runs on latents
 * inside a Map spliced into the model (the Map answers their supports).
 */
#include "mixture_model.h"

static void test_mixture_hmc_gibbs(void **state) {
  genc_ctx *ctx = *state;
  enum { S = 1500 };
  genc_gf *gf = genc_gf_dynamic("mix", mix, 0, NULL);
  genc_choicemap *obs = observations(ctx);
  genc_trace *t0 = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(7), NC, NULL);
  T_OK(ctx, t0);
  const char *mus[2] = {"mu/0", "mu/1"};
  genc_kernel *ks[2] = {
      genc_kernel_hmc(2, mus, &(genc_hmc_kernel_opts){.step_size = 0.35, .nleapfrog = 4}),
      genc_kernel_user("gibbs z", gibbs_z, NULL)};
  assert_non_null(ks[0]);
  genc_kernel *k = genc_kernel_sequence(2, ks);
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
  for (int c = 0; c < NC; c++) /* HMC's and Gibbs's moves (Gibbs reports none) */
    assert_true(acc[c] > 0.6 && acc[c] <= 1);
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

/* MALA (one leapfrog) on 3 batched chains: chain i = the single run with
 * genc_key_particle(key, i), values bit for bit. */
static void test_chain_is_single_run(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("mix", mix, 0, NULL);
  genc_choicemap *obs = observations(ctx);
  genc_trace *tb = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(3), 3, NULL);
  T_OK(ctx, tb);
  const char *mus[2] = {"mu/0", "mu/1"};
  double im[2] = {0.5, 2.0};
  genc_kernel *k = genc_kernel_hmc(
      2, mus, &(genc_hmc_kernel_opts){.step_size = 0.5, .inv_metric = im, .metric_dim = 2});
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
      double b[3], s;
      T_OK(ctx, !genc_trace_copy_out(ctx, ub, mus[j], b, 3));
      T_OK(ctx, !genc_trace_copy_out(ctx, ui, mus[j], &s, 1));
      assert_true(b[i] == s);
    }
    genc_trace_release(ti), genc_trace_release(ui);
  }
  genc_trace_release(ub), genc_trace_release(tb);
  /* a metric of the wrong length is named at the first application */
  genc_kernel *bad = genc_kernel_hmc(
      2, mus, &(genc_hmc_kernel_opts){.step_size = 0.5, .inv_metric = im, .metric_dim = 1});
  genc_trace *t1 = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(3), 0, NULL);
  assert_null(genc_kernel_apply(ctx, bad, t1, key, 0, NULL, NULL));
  assert_non_null(strstr(genc_ctx_error(ctx), "inverse metric has 1 values"));
  genc_ctx_clear_error(ctx);
  assert_null(genc_kernel_hmc(2, mus, &(genc_hmc_kernel_opts){.step_size = 0}));
  genc_trace_release(t1);
  genc_kernel_release(bad), genc_kernel_release(k);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

/* Latents inside a Map: x/t ~ N(0, 1), y/t ~ N(x/t, 1) for t < 3 under "pts". */
static genc_array *pt(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, 0.0, 1.0));
  (void)args;
  return GENC_TRACE(rt, "y", genc_normal(ctx, x, 1.0));
}

static genc_array *mapped(genc_rt *rt, genc_array *const *args, void *user) {
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *idx = genc_array_vec(ctx, 3, (double[]){0, 1, 2});
  (void)args;
  return genc_rt_splice(rt, GENC_SYM("pts"), (genc_gf *)user, &idx);
}

static void test_latents_in_a_map(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *k = genc_gf_dynamic("pt", pt, 1, NULL), *m = genc_map(k);
  genc_gf *gf = genc_gf_dynamic("mapped", mapped, 0, m);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  for (int i = 0; i < 3; i++) {
    char b[32];
    snprintf(b, sizeof b, "pts/%d/y", i);
    genc_choicemap_set_str(ctx, obs, b, genc_scalar(ctx, 1.0 + i));
  }
  genc_trace *t = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(1), 0, NULL);
  T_OK(ctx, t);
  const char *xs[3] = {"pts/0/x", "pts/1/x", "pts/2/x"};
  genc_kernel *h = genc_kernel_hmc(3, xs, &(genc_hmc_kernel_opts){.step_size = 0.3});
  genc_trace *u = genc_kernel_apply(ctx, h, t, genc_key_from_seed(2), 0, NULL, NULL);
  /* A Map trace answers genc_trace_support from its element traces, so the
   * kernel runs on latents inside it: the step moves every x (a continuous
   * proposal moves each coordinate with probability 1 if accepted, and an
   * HMC step of size 0.3 on this well-conditioned target is accepted with
   * high probability at this seed) and keeps the observations. */
  T_OK(ctx, u);
  for (int i = 0; i < 3; i++) {
    char b[32];
    snprintf(b, sizeof b, "pts/%d/y", i);
    assert_true(genc_trace_get_double(ctx, u, b) == 1.0 + i);
  }
  int moved = 0;
  for (int i = 0; i < 3; i++)
    moved += genc_trace_get_double(ctx, u, xs[i]) != genc_trace_get_double(ctx, t, xs[i]);
  assert_int_equal(moved, 3);
  genc_trace_release(u);
  genc_trace_release(t);
  genc_kernel_release(h);
  genc_choicemap_free(obs);
  genc_gf_release(gf), genc_gf_release(m), genc_gf_release(k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chain_is_single_run),
      cmocka_unit_test(test_mixture_hmc_gibbs),
      cmocka_unit_test(test_latents_in_a_map),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
