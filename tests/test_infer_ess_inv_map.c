/* Elliptical slice sampling, involutive MCMC and MAP on conjugate normal
 * models with closed-form posteriors.
 * - One ESS chain: posterior mean and variance within 4.5 Monte Carlo
 *   standard errors, MCSE = sd / sqrt(ESS) with the chain's own ESS
 *   (genc_diag_ess_basic; for the variance, of the squared deviations).
 * - Involutive MCMC on C batched chains: the final states are C independent
 *   posterior draws, SE(mean) = sd / sqrt(C), SE(var) = var sqrt(2 / C).
 *   The same run with the Jacobian term left out is asserted to be far off
 *   (the bias is what a wrong log |J| produces: the test would fail with it).
 * - MAP: the Gaussian posterior's mode, to 1e-6. */
#include "testutil.h"

/* mu ~ N(1, 2); y/i ~ N(mu, 1), i < 3. */
static const double Y[3] = {0.5, 2.0, 1.5};
static genc_array *m_conj(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, 1.0, 2.0));
  for (int i = 0; i < 3; i++)
    GENC_TRACE_AT(rt, "y", i, genc_normal(ctx, mu, 1.0));
  return mu;
}
#define POST_PREC (0.25 + 3.0)
#define POST_MEAN ((0.25 * 1.0 + 0.5 + 2.0 + 1.5) / POST_PREC)
#define POST_VAR (1.0 / POST_PREC)

static genc_choicemap *obs_y(genc_ctx *ctx) {
  genc_choicemap *cm = genc_choicemap_new(ctx);
  char a[16];
  for (int i = 0; i < 3; i++) {
    snprintf(a, sizeof a, "y/%d", i);
    T_OK(ctx, !genc_choicemap_set_str(ctx, cm, a, genc_scalar(ctx, Y[i])));
  }
  return cm;
}

static void check_mcse(genc_ctx *ctx, const double *x, int64_t n, const char *who) {
  double mean, sd, ess_m, ess_v;
  static double dev[8000];
  T_OK(ctx, !genc_diag_mean_sd(ctx, x, n, &mean, &sd));
  for (int64_t i = 0; i < n; i++)
    dev[i] = (x[i] - mean) * (x[i] - mean);
  T_OK(ctx, !genc_diag_ess_basic(ctx, x, 1, n, &ess_m));
  T_OK(ctx, !genc_diag_ess_basic(ctx, dev, 1, n, &ess_v));
  double dsd, dm;
  T_OK(ctx, !genc_diag_mean_sd(ctx, dev, n, &dm, &dsd));
  double se_m = sd / sqrt(ess_m), se_v = dsd / sqrt(ess_v);
  printf("%s: mean %.4f (exact %.4f, %.2f MCSE), var %.4f (exact %.4f, %.2f MCSE), ESS %.0f\n", who,
         mean, POST_MEAN, (mean - POST_MEAN) / se_m, sd * sd, POST_VAR, (sd * sd - POST_VAR) / se_v,
         ess_m);
  assert_true(fabs(mean - POST_MEAN) <= 4.5 * se_m);
  assert_true(fabs(sd * sd - POST_VAR) <= 4.5 * se_v);
}

static void test_elliptical_slice(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("conj", m_conj, 0, NULL);
  genc_choicemap *obs = obs_y(ctx);
  genc_trace *t = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(1), 0, NULL);
  T_OK(ctx, t);
  genc_array *mean = genc_array_retain(genc_scalar(ctx, 1.0));
  genc_array *scale = genc_array_retain(genc_scalar(ctx, 2.0));
  enum { T = 4000 };
  static double x[T];
  int64_t live = 0;
  for (int s = 0; s < T; s++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_trace *u = genc_elliptical_slice(ctx, t, "mu", mean, scale,
                                          genc_key_fold_in(genc_key_from_seed(2), (uint64_t)s));
    T_OK(ctx, u);
    genc_trace_release(t);
    t = u;
    x[s] = genc_trace_get_double(ctx, t, "mu");
    genc_scope_end(ctx, mark);
    if (s == 10) live = genc_ctx_live_arrays(ctx);
  }
  assert_true(genc_ctx_live_arrays(ctx) <= live);
  check_mcse(ctx, x, T, "elliptical slice");
  assert_null(genc_elliptical_slice(ctx, t, "mu", NULL, scale, genc_key_from_seed(0)));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ARG);
  genc_array_release(mean), genc_array_release(scale);
  genc_trace_release(t);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

/* mu ~ N(0, 1); y ~ N(mu, 1), y = 1: posterior N(1/2, 1/2). */
static genc_array *m_norm(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, 0.0, 1.0));
  return GENC_TRACE(rt, "y", genc_normal(ctx, mu, 1.0));
}

/* auxiliary u ~ N(0, 0.5) */
static genc_array *q_u(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  return GENC_TRACE(rt, "u", genc_normal(genc_rt_ctx(rt), 0.0, 0.5));
}

/* (mu, u) -> (-mu e^u, -u): its own inverse; |J| = e^u. *(int *)user = 0 drops log|J|. */
static genc_status flip_scale(genc_ctx *ctx, const genc_trace *t, const genc_choicemap *fwd,
                              genc_choicemap *cons, genc_choicemap *bwd, genc_array **logj,
                              void *user) {
  genc_array *mu = genc_trace_get_path(ctx, t, "mu");
  genc_array *u = genc_choicemap_get_str(ctx, fwd, "u");
  if (!mu || !u) return genc_ctx_status(ctx);
  genc_status st =
      genc_choicemap_set_str(ctx, cons, "mu", genc_neg(ctx, genc_mul(ctx, mu, genc_exp(ctx, u))));
  if (!st) st = genc_choicemap_set_str(ctx, bwd, "u", genc_neg(ctx, u));
  *logj = *(int *)user ? u : NULL;
  return st;
}

static void run_involutive(genc_ctx *ctx, int with_jacobian, double *mean, double *var) {
  genc_gf *gf = genc_gf_dynamic("norm", m_norm, 0, NULL);
  genc_gf *q = genc_gf_dynamic("q_u", q_u, 0, NULL);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  T_OK(ctx, !genc_choicemap_set_str(ctx, obs, "y", genc_scalar(ctx, 1.0)));
  enum { C = 2000 };
  genc_trace *t = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(5), C, NULL);
  T_OK(ctx, t);
  for (int s = 0; s < 150; s++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_trace *u = genc_mh_involutive(ctx, t, q, NULL, flip_scale, &with_jacobian,
                                       genc_key_fold_in(genc_key_from_seed(6), (uint64_t)s), NULL);
    T_OK(ctx, u);
    genc_trace_release(t);
    t = u;
    genc_scope_end(ctx, mark);
  }
  static double x[C];
  T_OK(ctx, !genc_trace_copy_out(ctx, t, "mu", x, C));
  double sd;
  T_OK(ctx, !genc_diag_mean_sd(ctx, x, C, mean, &sd));
  *var = sd * sd;
  genc_trace_release(t);
  genc_choicemap_free(obs);
  genc_gf_release(q), genc_gf_release(gf);
}

static void test_involutive(void **state) {
  genc_ctx *ctx = *state;
  const double C = 2000, se_m = sqrt(0.5 / C), se_v = 0.5 * sqrt(2 / C);
  double m, v, mw, vw;
  run_involutive(ctx, 1, &m, &v);
  run_involutive(ctx, 0, &mw, &vw);
  printf("involutive: mean %.4f (%.2f SE), var %.4f (%.2f SE); without log|J|: mean %.4f, var "
         "%.4f (%.1f SE off)\n",
         m, (m - 0.5) / se_m, v, (v - 0.5) / se_v, mw, vw, (vw - 0.5) / se_v);
  assert_true(fabs(m - 0.5) <= 4.5 * se_m && fabs(v - 0.5) <= 4.5 * se_v);
  assert_true(fabs(mw - 0.5) > 8 * se_m || fabs(vw - 0.5) > 8 * se_v);
}

static void test_map(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("conj", m_conj, 0, NULL);
  genc_choicemap *obs = obs_y(ctx);
  genc_selection *sel = genc_selection_new(ctx);
  T_OK(ctx, !genc_selection_add_str(ctx, sel, "mu"));
  genc_trace *t = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(1), 0, NULL);
  int64_t it_sgd = 0, it_adam = 0;
  genc_trace *a =
      genc_map_optimize(ctx, t, sel, &(genc_map_opts){.method = GENC_MAP_SGD, .lr = 0.2}, &it_sgd);
  T_OK(ctx, a);
  T_CLOSE(genc_trace_get_double(ctx, a, "mu"), POST_MEAN, 1e-6);
  genc_trace *b = genc_map_optimize(
      ctx, t, sel, &(genc_map_opts){.lr = 0.05, .iters = 20000, .grad_tol = 1e-8}, &it_adam);
  T_OK(ctx, b);
  T_CLOSE(genc_trace_get_double(ctx, b, "mu"), POST_MEAN, 1e-6);
  /* four batched traces, each to the same mode */
  genc_trace *tb = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(2), 4, NULL);
  genc_trace *c =
      genc_map_optimize(ctx, tb, sel, &(genc_map_opts){.method = GENC_MAP_SGD, .lr = 0.2}, NULL);
  T_OK(ctx, c);
  double mu[4];
  T_OK(ctx, !genc_trace_copy_out(ctx, c, "mu", mu, 4));
  for (int i = 0; i < 4; i++)
    T_CLOSE(mu[i], POST_MEAN, 1e-6);
  printf("MAP: mode %.10f (exact %.10f): SGD %lld steps, Adam %lld steps\n",
         genc_trace_get_double(ctx, b, "mu"), POST_MEAN, (long long)it_sgd, (long long)it_adam);
  assert_null(genc_map_optimize(ctx, t, NULL, NULL, NULL));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ARG);
  genc_trace_release(a), genc_trace_release(b), genc_trace_release(c);
  genc_trace_release(t), genc_trace_release(tb);
  genc_selection_release(sel);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_elliptical_slice),
      cmocka_unit_test(test_involutive),
      cmocka_unit_test(test_map),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
