/* MH kernels, kernel combinators and the MCMC driver on N batched chains:
 * posteriors against closed forms and exact enumeration, R-hat, chains
 * independent of N, flat memory. Statistical tolerances: the final states of
 * C independent chains run long enough to mix are C independent posterior
 * draws, so the mean's standard error is sd / sqrt(C) and the sd's about
 * sd / sqrt(2 C); a frequency's is sqrt(p (1 - p) / C). Tests allow 4.5 SE at
 * fixed seeds. */
#include "testutil.h"

/* mu ~ N(0, 1); y ~ N(mu, 1). With y = 0 the posterior is N(0, 1/2). */
static genc_array *m_norm(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, 0.0, 1.0));
  return GENC_TRACE(rt, "y", genc_normal(ctx, mu, 1.0));
}

/* random walk mu' ~ N(mu, *(double *)u) from the trace it proposes from */
static genc_array *q_walk(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = genc_trace_get_path(ctx, genc_rt_from(rt), "mu");
  return GENC_TRACE(rt, "mu", genc_normal(ctx, mu, genc_scalar(ctx, *(double *)u)));
}

/* p ~ Beta(1, 1); x/i ~ Bernoulli(p), i < 10 */
static genc_array *m_coin(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *p = GENC_TRACE(rt, "p", genc_beta(ctx, 1.0, 1.0));
  for (int i = 0; i < 10; i++)
    GENC_TRACE_AT(rt, "x", i, genc_bernoulli(ctx, p));
  return p;
}

/* a ~ Bern(0.3); b ~ Bern(a ? 0.8 : 0.2); c ~ Bern(a && b ? 0.9 : (a || b ? 0.5 : 0.1)) */
static genc_array *m_disc(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *a = GENC_TRACE(rt, "a", genc_bernoulli(ctx, 0.3));
  genc_array *b = GENC_TRACE(rt, "b", genc_bernoulli(ctx, genc_where(ctx, a, 0.8, 0.2)));
  genc_array *pc = genc_where(ctx, genc_logical_and(ctx, a, b), 0.9,
                              genc_where(ctx, genc_logical_or(ctx, a, b), 0.5, 0.1));
  return GENC_TRACE(rt, "c", genc_bernoulli(ctx, pc));
}

static genc_choicemap *obs_of(genc_ctx *ctx, const char *addr, double v) {
  genc_choicemap *cm = genc_choicemap_new(ctx);
  T_OK(ctx, !genc_choicemap_set_str(ctx, cm, addr, genc_scalar(ctx, v)));
  return cm;
}

static genc_kernel *select_kernel(genc_ctx *ctx, const char *addr) {
  genc_selection *s = genc_selection_new(ctx);
  T_OK(ctx, !genc_selection_add_str(ctx, s, addr));
  genc_kernel *k = genc_kernel_mh_select(s);
  genc_selection_release(s);
  return k;
}

/* Run kernel k from a batched prior-with-observations trace; returns the
 * final-draw values of addr per chain (malloc'd) and the mean acceptance. */
static double *final_draws(genc_ctx *ctx, genc_gf *gf, const genc_choicemap *obs, genc_kernel *k,
                           int64_t chains, int64_t steps, const char *addr, double *acc) {
  int64_t mark = genc_scope_begin(ctx);
  genc_trace *t0 = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(3), chains, NULL);
  T_OK(ctx, t0);
  double *draws = malloc((size_t)(chains * steps) * sizeof *draws);
  double *rate = malloc((size_t)chains * sizeof *rate);
  const char *addrs[] = {addr};
  genc_trace *t = genc_mcmc_run(ctx, k, t0,
                                &(genc_mcmc_opts){.samples = steps,
                                                  .key = genc_key_from_seed(4),
                                                  .naddrs = 1,
                                                  .addrs = addrs,
                                                  .draws = draws,
                                                  .draws_cap = chains * steps,
                                                  .accept_rate = rate});
  T_OK(ctx, t);
  double *last = malloc((size_t)chains * sizeof *last);
  *acc = 0;
  for (int64_t c = 0; c < chains; c++) {
    last[c] = draws[c * steps + steps - 1];
    *acc += rate[c] / (double)chains;
  }
  /* the recorded last draw is the final trace's value */
  double *fin = malloc((size_t)chains * sizeof *fin);
  T_OK(ctx, !genc_trace_copy_out(ctx, t, addr, fin, chains));
  for (int64_t c = 0; c < chains; c++)
    assert_true(fin[c] == last[c]);
  free(fin), free(draws), free(rate);
  genc_trace_release(t), genc_trace_release(t0);
  genc_scope_end(ctx, mark);
  return last;
}

static void mean_sd(const double *x, int64_t n, double *m, double *sd) {
  double s1 = 0, s2 = 0;
  for (int64_t i = 0; i < n; i++)
    s1 += x[i], s2 += x[i] * x[i];
  *m = s1 / (double)n;
  *sd = sqrt((s2 - (double)n * *m * *m) / (double)(n - 1));
}

static void check_normal_posterior(genc_ctx *ctx, genc_kernel *k, double acc_lo, double acc_hi) {
  genc_gf *gf = genc_gf_dynamic("norm", m_norm, 0, NULL);
  genc_choicemap *obs = obs_of(ctx, "y", 0.0);
  const int64_t C = 1000;
  double acc, m, sd;
  double *x = final_draws(ctx, gf, obs, k, C, 60, "mu", &acc);
  mean_sd(x, C, &m, &sd);
  double s = sqrt(0.5);
  assert_true(fabs(m) < 4.5 * s / sqrt((double)C));
  assert_true(fabs(sd - s) < 4.5 * s / sqrt(2.0 * (double)C));
  assert_true(acc > acc_lo && acc < acc_hi);
  free(x);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

/* regenerate mu from the prior: acceptance min(1, L'/L), about 0.7 here */
static void test_normal_mh_select(void **state) {
  genc_ctx *ctx = *state;
  genc_kernel *k = select_kernel(ctx, "mu");
  check_normal_posterior(ctx, k, 0.5, 0.9);
  genc_kernel_release(k);
}

/* random walk with step 1: acceptance about 0.6 */
static void test_normal_random_walk(void **state) {
  genc_ctx *ctx = *state;
  double step = 1.0;
  genc_gf *walk = genc_gf_dynamic("walk", q_walk, 0, &step);
  genc_kernel *k = genc_kernel_mh_proposal(walk, NULL);
  genc_gf_release(walk); /* the kernel holds it */
  check_normal_posterior(ctx, k, 0.4, 0.85);
  genc_kernel_release(k);
}

/* More chains than the proposal's tile size (2048): the proposal reads its
 * batched source trace, so it runs untiled (a tiled run failed on the shape). */
static void test_random_walk_many_chains(void **state) {
  genc_ctx *ctx = *state;
  double step = 1.0;
  genc_gf *walk = genc_gf_dynamic("walk", q_walk, 0, &step);
  genc_gf *gf = genc_gf_dynamic("norm", m_norm, 0, NULL);
  genc_choicemap *obs = obs_of(ctx, "y", 0.0);
  genc_trace *t0 = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(3), 3000, NULL);
  genc_array *acc = NULL;
  genc_trace *t = genc_mh_proposal(ctx, t0, walk, NULL, NULL, NULL, genc_key_from_seed(4), &acc);
  T_OK(ctx, t);
  assert_int_equal(genc_array_nparticles(acc), 3000);
  genc_trace_release(t), genc_trace_release(t0);
  genc_choicemap_free(obs);
  genc_gf_release(gf), genc_gf_release(walk);
}

/* 7 heads in 10 flips under a uniform prior: Beta(8, 4), mean 2/3, sd 0.1307 */
static void test_beta_bernoulli(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("coin", m_coin, 0, NULL);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  for (int i = 0; i < 10; i++) {
    char a[16];
    snprintf(a, sizeof a, "x/%d", i);
    T_OK(ctx, !genc_choicemap_set_str(ctx, obs, a, genc_scalar(ctx, i < 7 ? 1.0 : 0.0)));
  }
  genc_kernel *k1 = select_kernel(ctx, "p");
  genc_kernel *k = genc_kernel_repeat(k1, 2);
  genc_kernel_release(k1);
  const int64_t C = 1000;
  double acc, m, sd;
  double *x = final_draws(ctx, gf, obs, k, C, 60, "p", &acc);
  mean_sd(x, C, &m, &sd);
  double em = 8.0 / 12.0, es = sqrt(32.0 / (144.0 * 13.0));
  assert_true(fabs(m - em) < 4.5 * es / sqrt((double)C));
  assert_true(fabs(sd - es) < 4.5 * es / sqrt(2.0 * (double)C));
  free(x);
  genc_kernel_release(k);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

/* c = 1 observed; the posterior of (a, b) by enumeration vs a 50/50 mixture of
 * single-site MH moves on a and on b (2000 chains). */
static void test_discrete_mixture_enumeration(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("disc", m_disc, 0, NULL);
  genc_choicemap *obs = obs_of(ctx, "c", 1.0);
  double post[4], z = 0;
  for (int a = 0; a < 2; a++)
    for (int b = 0; b < 2; b++) {
      double pb = a ? 0.8 : 0.2, pc = a && b ? 0.9 : (a || b ? 0.5 : 0.1);
      post[2 * a + b] = (a ? 0.3 : 0.7) * (b ? pb : 1 - pb) * pc;
      z += post[2 * a + b];
    }
  genc_kernel *ks[2] = {select_kernel(ctx, "a"), select_kernel(ctx, "b")};
  genc_kernel *mix = genc_kernel_mixture(2, ks, (double[]){1.0, 1.0});
  genc_kernel_release(ks[0]), genc_kernel_release(ks[1]);
  assert_non_null(mix);
  const int64_t C = 2000;
  double acc;
  double *xa = final_draws(ctx, gf, obs, mix, C, 80, "a", &acc);
  double *xb = final_draws(ctx, gf, obs, mix, C, 80, "b", &acc);
  double freq[4] = {0};
  for (int64_t c = 0; c < C; c++)
    freq[2 * (int)xa[c] + (int)xb[c]] += 1.0 / (double)C;
  for (int s = 0; s < 4; s++) {
    double p = post[s] / z;
    assert_true(fabs(freq[s] - p) < 4.5 * sqrt(p * (1 - p) / (double)C));
  }
  free(xa), free(xb);
  genc_kernel_release(mix);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

/* R-hat of 4 chains: near 1 when mixed; far above 1.1 for chains started at
 * -10 and +10 with a tiny random walk and 100 steps. */
static double rhat_of(genc_ctx *ctx, genc_kernel *k, double start, int64_t warmup,
                      int64_t samples) {
  genc_gf *gf = genc_gf_dynamic("norm", m_norm, 0, NULL);
  genc_choicemap *obs = obs_of(ctx, "y", 0.0);
  const int64_t C = 4;
  double mu0[4] = {-start, start, -start, start};
  T_OK(ctx,
       !genc_choicemap_set_str(ctx, obs, "mu", genc_array_from(ctx, GENC_F64, 0, NULL, C, mu0)));
  genc_trace *t0 = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(5), C, NULL);
  T_OK(ctx, t0);
  double *draws = malloc((size_t)(C * samples) * sizeof *draws);
  const char *addrs[] = {"mu"};
  genc_trace *t = genc_mcmc_run(ctx, k, t0,
                                &(genc_mcmc_opts){.warmup = warmup,
                                                  .samples = samples,
                                                  .key = genc_key_from_seed(6),
                                                  .naddrs = 1,
                                                  .addrs = addrs,
                                                  .draws = draws,
                                                  .draws_cap = C * samples});
  T_OK(ctx, t);
  double r = NAN;
  T_OK(ctx, !genc_diag_rhat(ctx, draws, C, samples, &r));
  free(draws);
  genc_trace_release(t), genc_trace_release(t0);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
  return r;
}

static void test_rhat(void **state) {
  genc_ctx *ctx = *state;
  genc_kernel *k = select_kernel(ctx, "mu");
  double r = rhat_of(ctx, k, 3.0, 100, 1000);
  assert_true(r < 1.02); /* 4 x 1000 mixed draws: R-hat's noise is about 0.005 */
  genc_kernel_release(k);
  double step = 0.05;
  genc_gf *walk = genc_gf_dynamic("walk", q_walk, 0, &step);
  k = genc_kernel_mh_proposal(walk, NULL);
  r = rhat_of(ctx, k, 10.0, 0, 100);
  assert_true(r > 2.0);
  genc_kernel_release(k);
  genc_gf_release(walk);
}

/* A composite kernel run on N = 5 chains equals, chain by chain, the single
 * chain run with genc_key_particle(key, i): the draws, the acceptance rate. */
static void test_chains_independent_of_n(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("norm", m_norm, 0, NULL);
  genc_choicemap *obs = obs_of(ctx, "y", 0.3);
  double step = 0.7;
  genc_gf *walk = genc_gf_dynamic("walk", q_walk, 0, &step);
  genc_kernel *sel = select_kernel(ctx, "mu"), *rw = genc_kernel_mh_proposal(walk, NULL);
  genc_kernel *mix = genc_kernel_mixture(2, (genc_kernel *[]){sel, rw}, (double[]){0.3, 0.7});
  genc_kernel *cyc = genc_kernel_cycle(2, (genc_kernel *[]){rw, sel});
  genc_kernel *seq = genc_kernel_sequence(2, (genc_kernel *[]){mix, cyc});
  genc_kernel *k = genc_kernel_repeat(seq, 2);
  genc_kernel_release(sel), genc_kernel_release(rw), genc_kernel_release(mix);
  genc_kernel_release(cyc), genc_kernel_release(seq);
  enum { N = 5, S = 30 };
  genc_key k0 = genc_key_from_seed(7), k1 = genc_key_from_seed(8);
  const char *addrs[] = {"mu"};
  double draws[N * S], rate[N], one[S], r1;
  genc_trace *t0 = genc_gf_generate(ctx, gf, NULL, obs, k0, N, NULL);
  genc_trace *t = genc_mcmc_run(ctx, k, t0,
                                &(genc_mcmc_opts){.warmup = 5,
                                                  .samples = S,
                                                  .key = k1,
                                                  .naddrs = 1,
                                                  .addrs = addrs,
                                                  .draws = draws,
                                                  .draws_cap = N * S,
                                                  .accept_rate = rate});
  T_OK(ctx, t);
  genc_trace_release(t), genc_trace_release(t0);
  for (uint32_t i = 0; i < N; i++) {
    t0 = genc_gf_generate(ctx, gf, NULL, obs, genc_key_particle(k0, i), 0, NULL);
    t = genc_mcmc_run(ctx, k, t0,
                      &(genc_mcmc_opts){.warmup = 5,
                                        .samples = S,
                                        .key = genc_key_particle(k1, i),
                                        .naddrs = 1,
                                        .addrs = addrs,
                                        .draws = one,
                                        .draws_cap = S,
                                        .accept_rate = &r1});
    T_OK(ctx, t);
    for (int s = 0; s < S; s++)
      assert_true(one[s] == draws[i * S + s]);
    assert_true(r1 == rate[i]);
    assert_true(r1 > 0.2 && r1 < 1.0);
    genc_trace_release(t), genc_trace_release(t0);
  }
  genc_kernel_release(k);
  genc_gf_release(walk);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

static int count_calls(int64_t done, int64_t total, void *user) {
  (void)total;
  int *n = user;
  ++*n;
  return done >= 600; /* stop the run there */
}

/* 1000 iterations leave the live-array count where it was; the progress
 * callback runs every k iterations and can stop the run. */
static void test_memory_flat_and_progress(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("norm", m_norm, 0, NULL);
  genc_choicemap *obs = obs_of(ctx, "y", 0.0);
  genc_trace *t0 = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(1), 100, NULL);
  genc_kernel *k = select_kernel(ctx, "mu");
  int64_t live = genc_ctx_live_arrays(ctx);
  genc_trace *t =
      genc_mcmc_run(ctx, k, t0, &(genc_mcmc_opts){.samples = 1000, .key = genc_key_from_seed(2)});
  T_OK(ctx, t);
  genc_trace_release(t);
  assert_int_equal(genc_ctx_live_arrays(ctx), live);
  int calls = 0;
  t = genc_mcmc_run(ctx, k, t0,
                    &(genc_mcmc_opts){.samples = 1000,
                                      .progress = count_calls,
                                      .progress_every = 200,
                                      .progress_user = &calls});
  assert_null(t);
  assert_int_equal(calls, 3);
  assert_non_null(strstr(genc_ctx_error(ctx), "600 of 1000"));
  assert_int_equal(genc_ctx_live_arrays(ctx), live);
  /* a buffer too small is refused before running */
  double buf[10];
  const char *addrs[] = {"mu"};
  t = genc_mcmc_run(
      ctx, k, t0,
      &(genc_mcmc_opts){.samples = 10, .naddrs = 1, .addrs = addrs, .draws = buf, .draws_cap = 10});
  assert_null(t);
  assert_non_null(strstr(genc_ctx_error(ctx), "1000 doubles"));
  genc_kernel_release(k);
  genc_trace_release(t0);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_normal_mh_select),
      cmocka_unit_test(test_normal_random_walk),
      cmocka_unit_test(test_random_walk_many_chains),
      cmocka_unit_test(test_beta_bernoulli),
      cmocka_unit_test(test_discrete_mixture_enumeration),
      cmocka_unit_test(test_rhat),
      cmocka_unit_test(test_chains_independent_of_n),
      cmocka_unit_test(test_memory_flat_and_progress),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
