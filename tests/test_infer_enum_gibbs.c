/* Exact enumeration and Gibbs over discrete choices on a 3-variable Bayes net
 * with one observed child. Enumeration is checked to 1e-12 against the
 * product of the conditional probability tables written out here; Gibbs
 * against enumeration: a frequency p estimated from draws with effective
 * sample size ESS has standard error sqrt(p (1 - p) / ESS). For one long
 * chain the draws are autocorrelated, so ESS is the chain's own (Geyer's
 * initial monotone sequence, genc_diag_ess_basic of the indicator), not its
 * length: that is the autocorrelation-inflated tolerance. For N independent
 * batched chains the final states are N independent draws (ESS = N). Tests
 * allow 4.5 SE at fixed seeds. */
#include "testutil.h"

static double pb(int a) { return a ? 0.8 : 0.2; }
static double pc(int a, int b) { return a && b ? 0.9 : (a || b ? 0.5 : 0.1); }
static double pd(int c) { return c ? 0.7 : 0.2; }
static double bern(double p, int x) { return x ? p : 1.0 - p; }

/* a ~ Bern(0.3); b ~ Bern(pb(a)); c ~ Bern(pc(a, b)); d ~ Bern(pd(c)) */
static genc_array *m_net(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *a = GENC_TRACE(rt, "a", genc_bernoulli(ctx, 0.3));
  genc_array *b = GENC_TRACE(rt, "b", genc_bernoulli(ctx, genc_where(ctx, a, 0.8, 0.2)));
  genc_array *p = genc_where(ctx, genc_logical_and(ctx, a, b), 0.9,
                             genc_where(ctx, genc_logical_or(ctx, a, b), 0.5, 0.1));
  genc_array *c = GENC_TRACE(rt, "c", genc_bernoulli(ctx, p));
  return GENC_TRACE(rt, "d", genc_bernoulli(ctx, genc_where(ctx, c, 0.7, 0.2)));
}

/* x ~ N(0, 1) (continuous, cannot be enumerated); z ~ Bern(0.5) */
static genc_array *m_mixed(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  GENC_TRACE(rt, "x", genc_normal(ctx, 0.0, 1.0));
  return GENC_TRACE(rt, "z", genc_bernoulli(ctx, 0.5));
}

static const double bin[2] = {0, 1};
static const genc_enum_var vars[3] = {{"a", 2, bin}, {"b", 2, bin}, {"c", 2, bin}};

/* Exact p(a, b, c | d = 1) in enumeration order (c fastest) and p(d = 1). */
static double exact_posterior(double post[8]) {
  double z = 0;
  for (int j = 0; j < 8; j++) {
    int a = j >> 2, b = (j >> 1) & 1, c = j & 1;
    post[j] = bern(0.3, a) * bern(pb(a), b) * bern(pc(a, b), c) * pd(c);
    z += post[j];
  }
  for (int j = 0; j < 8; j++)
    post[j] /= z;
  return z;
}

static genc_choicemap *obs_d(genc_ctx *ctx) {
  genc_choicemap *cm = genc_choicemap_new(ctx);
  T_OK(ctx, !genc_choicemap_set_str(ctx, cm, "d", genc_scalar(ctx, 1)));
  return cm;
}

static void test_enumerate_exact(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("net", m_net, 0, NULL);
  genc_choicemap *obs = obs_d(ctx);
  genc_enum_result r;
  T_OK(ctx, !genc_enumerate(ctx, gf, NULL, obs, 3, vars, &r));
  double post[8], z = exact_posterior(post);
  assert_int_equal(r.n, 8);
  T_CLOSE(r.log_ml, log(z), 1e-12);
  for (int j = 0; j < 8; j++) {
    T_CLOSE(r.posterior[j], post[j], 1e-12);
    assert_true(r.values[j * 3 + 0] == (j >> 2) && r.values[j * 3 + 2] == (j & 1));
  }
  double ma[2];
  T_OK(ctx, !genc_enum_marginal(ctx, &r, vars, 0, ma));
  T_CLOSE(ma[1], post[4] + post[5] + post[6] + post[7], 1e-12);
  printf("enumerate: log p(d=1) = %.15f (exact %.15f), P(a=1|d) = %.6f\n", r.log_ml, log(z), ma[1]);
  genc_enum_result_clear(&r);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

static void test_enumerate_errors(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("mixed", m_mixed, 0, NULL);
  genc_enum_result r;
  const genc_enum_var z[1] = {{"z", 2, bin}};
  assert_int_equal(genc_enumerate(ctx, gf, NULL, NULL, 1, z, &r), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "unconstrained"));
  assert_null(r.posterior);
  assert_int_equal(genc_enumerate(ctx, gf, NULL, NULL, 0, z, &r), GENC_ERR_ARG);
  genc_gf_release(gf);
}

/* One Gibbs sweep over a, b, c. */
static genc_trace *sweep(genc_ctx *ctx, genc_trace *t, genc_key key) {
  for (int v = 0; v < 3; v++) {
    genc_trace *u = genc_gibbs(ctx, t, &vars[v], genc_key_fold_in(key, (uint64_t)v));
    T_OK(ctx, u);
    genc_trace_release(t);
    t = u;
  }
  return t;
}

static int state_of(genc_ctx *ctx, const genc_trace *t) {
  return (int)genc_trace_get_double(ctx, t, "a") * 4 + (int)genc_trace_get_double(ctx, t, "b") * 2 +
         (int)genc_trace_get_double(ctx, t, "c");
}

static void test_gibbs_single_chain(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("net", m_net, 0, NULL);
  genc_choicemap *obs = obs_d(ctx);
  genc_trace *t = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(1), 0, NULL);
  T_OK(ctx, t);
  enum { T = 20000 };
  static int states[T];
  for (int s = 0; s < T; s++) {
    int64_t mark = genc_scope_begin(ctx);
    t = sweep(ctx, t, genc_key_fold_in(genc_key_from_seed(2), (uint64_t)s));
    states[s] = state_of(ctx, t);
    genc_scope_end(ctx, mark);
  }
  double post[8], worst = 0;
  exact_posterior(post);
  static double ind[T];
  for (int j = 0; j < 8; j++) {
    double f = 0, ess = 0;
    for (int s = 0; s < T; s++)
      f += (ind[s] = states[s] == j);
    f /= T;
    T_OK(ctx, !genc_diag_ess_basic(ctx, ind, 1, T, &ess));
    double se = sqrt(post[j] * (1 - post[j]) / ess);
    worst = fmax(worst, fabs(f - post[j]) / se);
    if (!(fabs(f - post[j]) <= 4.5 * se))
      fail_msg("state %d: frequency %.4f, exact %.4f, SE %.4f (ESS %.0f)", j, f, post[j], se, ess);
  }
  printf("gibbs single chain: %d sweeps, worst |freq - exact| = %.2f SE\n", T, worst);
  genc_trace_release(t);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

static void test_gibbs_batched(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("net", m_net, 0, NULL);
  genc_choicemap *obs = obs_d(ctx);
  enum { C = 4000 };
  genc_trace *t = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(3), C, NULL);
  T_OK(ctx, t);
  int64_t live = 0;
  for (int s = 0; s < 30; s++) {
    int64_t mark = genc_scope_begin(ctx);
    t = sweep(ctx, t, genc_key_fold_in(genc_key_from_seed(4), (uint64_t)s));
    genc_scope_end(ctx, mark);
    if (s == 5) live = genc_ctx_live_arrays(ctx);
  }
  assert_true(genc_ctx_live_arrays(ctx) <= live); /* flat memory */
  static double a[C], b[C], c[C];
  T_OK(ctx, !genc_trace_copy_out(ctx, t, "a", a, C));
  T_OK(ctx, !genc_trace_copy_out(ctx, t, "b", b, C));
  T_OK(ctx, !genc_trace_copy_out(ctx, t, "c", c, C));
  double post[8], f[8] = {0}, worst = 0;
  exact_posterior(post);
  for (int i = 0; i < C; i++)
    f[(int)a[i] * 4 + (int)b[i] * 2 + (int)c[i]] += 1.0 / C;
  for (int j = 0; j < 8; j++) {
    double se = sqrt(post[j] * (1 - post[j]) / C);
    worst = fmax(worst, fabs(f[j] - post[j]) / se);
    if (!(fabs(f[j] - post[j]) <= 4.5 * se))
      fail_msg("state %d: frequency %.4f, exact %.4f, SE %.4f", j, f[j], post[j], se);
  }
  printf("gibbs %d batched chains x 30 sweeps: worst |freq - exact| = %.2f SE\n", C, worst);
  genc_trace_release(t);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

static void test_gibbs_errors(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("net", m_net, 0, NULL);
  genc_choicemap *obs = obs_d(ctx);
  genc_trace *t = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(1), 0, NULL);
  const genc_enum_var v = {"nowhere", 2, bin};
  assert_null(genc_gibbs(ctx, t, &v, genc_key_from_seed(1)));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ADDRESS);
  assert_null(genc_gibbs(ctx, NULL, &v, genc_key_from_seed(1)));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ARG);
  genc_trace_release(t);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_enumerate_exact),    cmocka_unit_test(test_enumerate_errors),
      cmocka_unit_test(test_gibbs_single_chain), cmocka_unit_test(test_gibbs_batched),
      cmocka_unit_test(test_gibbs_errors),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
