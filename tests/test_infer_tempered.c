/* Tempered SMC and annealed importance sampling (src/infer/tempered.c) on static
 * models with closed-form marginal likelihoods:
 *
 *  - normal-normal: mu ~ N(0, 2), y_i ~ N(mu, 1), i < 10, y_i = 1 + sin(i);
 *  - B1 of shared/BENCHMARKS.md: a, b, c ~ N(0, 1), y_i ~ N(a + b x_i + c x_i^2, 0.3),
 *    i < 100, log p(y) = -7.48273979765505 (checked against our Cholesky formula).
 *
 * log Z by smc_gaussian_log_z (smc_stats.h); unbiasedness checks and how their
 * tolerances follow from the estimator's standard error: see smc_stats.h. */
#include "smc_stats.h"

#define NY 10
#define NB1 100

static double y_nn[NY], x_b1[NB1], y_b1[NB1];

static genc_array *nn_model(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, 0.0, 2.0));
  for (int i = 0; i < NY; i++)
    GENC_TRACE_AT(rt, "y", i, genc_normal(ctx, mu, 1.0));
  return mu;
}

/* B1, the 100 observations as one vector choice "y" (args[0]: the x_i). */
static genc_array *b1_model(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *a = GENC_TRACE(rt, "a", genc_normal(ctx, 0.0, 1.0));
  genc_array *b = GENC_TRACE(rt, "b", genc_normal(ctx, 0.0, 1.0));
  genc_array *c = GENC_TRACE(rt, "c", genc_normal(ctx, 0.0, 1.0));
  genc_array *x = args[0];
  genc_array *mu =
      genc_add(ctx, genc_add(ctx, a, genc_mul(ctx, b, x)), genc_mul(ctx, c, genc_mul(ctx, x, x)));
  return GENC_TRACE(rt, "y", genc_broadcasted_normal(ctx, mu, 0.3));
}

/* Random walk N(current, *user) on a, b, c of the trace it proposes from. */
static genc_array *b1_rw(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args;
  genc_ctx *ctx = genc_rt_ctx(rt);
  double s = *(const double *)user;
  const char *names[3] = {"a", "b", "c"};
  genc_array *last = NULL;
  for (int j = 0; j < 3; j++) {
    genc_array *cur = genc_trace_get_path(ctx, genc_rt_from(rt), names[j]);
    last = genc_rt_trace_str(rt, names[j], genc_normal(ctx, cur, s));
  }
  return last;
}

typedef struct fixture {
  genc_ctx *ctx;
  genc_gf *nn, *b1, *rw;
  genc_choicemap *obs_nn, *obs_b1;
  genc_selection *mu_sel;
  genc_array *xs;
  double lz_nn, lz_b1, rw_scale;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->ctx = t_ctx();
  genc_ctx *ctx = f->ctx;
  f->nn = genc_gf_dynamic("nn", nn_model, 0, NULL);
  f->b1 = genc_gf_dynamic("b1", b1_model, 1, NULL);
  f->rw_scale = 0.1;
  f->rw = genc_gf_dynamic("b1_rw", b1_rw, 0, &f->rw_scale);
  f->obs_nn = genc_choicemap_new(ctx);
  double ones[NY], X[NB1 * 3];
  for (int i = 0; i < NY; i++) {
    y_nn[i] = 1 + sin(i), ones[i] = 1;
    genc_choicemap_set_path(ctx, f->obs_nn, (genc_comp[]){GENC_SYM("y"), genc_idx(i)}, 2,
                            genc_scalar(ctx, y_nn[i]));
  }
  f->lz_nn = smc_gaussian_log_z(ones, NY, 1, 4.0, 1.0, y_nn);
  for (int i = 0; i < NB1; i++) {
    x_b1[i] = -1 + 2.0 * i / 99;
    y_b1[i] = 0.5 - x_b1[i] + 2 * x_b1[i] * x_b1[i] + 0.3 * sin(12.9898 * i);
    X[3 * i] = 1, X[3 * i + 1] = x_b1[i], X[3 * i + 2] = x_b1[i] * x_b1[i];
  }
  f->lz_b1 = smc_gaussian_log_z(X, NB1, 3, 1.0, 0.09, y_b1);
  int64_t nb = NB1;
  f->xs = genc_array_from(ctx, GENC_F64, 1, &nb, 0, x_b1);
  f->obs_b1 = genc_choicemap_new(ctx);
  genc_choicemap_set_str(ctx, f->obs_b1, "y", genc_array_from(ctx, GENC_F64, 1, &nb, 0, y_b1));
  f->mu_sel = genc_selection_new(ctx);
  genc_selection_add_str(ctx, f->mu_sel, "mu");
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  genc_choicemap_free(f->obs_nn);
  genc_choicemap_free(f->obs_b1);
  genc_selection_release(f->mu_sel);
  genc_gf_release(f->nn), genc_gf_release(f->b1), genc_gf_release(f->rw);
  genc_ctx_free(f->ctx);
  free(f);
  return 0;
}

/* R runs of the normal-normal model with opts (key folded per run) into lz. */
static void run_nn(fixture *f, genc_tempered_opts o, int R, double *lz, int64_t *steps) {
  genc_key key = o.key;
  *steps = 0;
  for (int r = 0; r < R; r++) {
    genc_tempered_result res;
    o.key = genc_key_fold_in(key, (uint64_t)r);
    T_OK(f->ctx, !genc_tempered_smc(f->ctx, f->nn, NULL, f->obs_nn, &o, &res));
    assert_int_equal(res.betas[0], 0);
    assert_true(res.betas[res.steps] == 1);
    for (int64_t k = 0; k < res.steps; k++)
      assert_true(res.betas[k + 1] > res.betas[k] && res.ess[k] <= o.n * (1 + 1e-12));
    lz[r] = res.log_ml;
    *steps += res.steps;
    genc_tempered_result_clear(&res);
  }
}

static void test_exact(void **state) {
  fixture *f = *state;
  assert_true(fabs(f->lz_b1 - -7.48273979765505) < 1e-9); /* BENCHMARKS.md's value */
}

/* A fixed ladder (k / 10)^3, resampling every step, two MH moves per step. */
static void test_fixed_ladder(void **state) {
  fixture *f = *state;
  double betas[11], lz[50];
  for (int k = 0; k <= 10; k++)
    betas[k] = pow(k / 10.0, 3);
  genc_edit_request mv = {.kind = GENC_EDIT_SELECTION, .selection = f->mu_sel};
  genc_tempered_opts o = {.n = 100,
                          .key = genc_key_from_seed(21),
                          .nbetas = 11,
                          .betas = betas,
                          .ess_threshold = 1,
                          .move = &mv,
                          .nmoves = 2};
  int64_t steps;
  run_nn(f, o, 50, lz, &steps);
  assert_int_equal(steps, 50 * 10);
  smc_check_unbiased(lz, 50, f->lz_nn, "tempered SMC, fixed ladder");
}

/* Annealed importance sampling: never resample; the same ladder. Also the
 * weights only degenerate: ESS decreases along the ladder without resampling. */
static void test_ais(void **state) {
  fixture *f = *state;
  double betas[11], lz[50];
  for (int k = 0; k <= 10; k++)
    betas[k] = pow(k / 10.0, 3);
  genc_edit_request mv = {.kind = GENC_EDIT_SELECTION, .selection = f->mu_sel};
  genc_tempered_opts o = {.n = 100,
                          .key = genc_key_from_seed(22),
                          .nbetas = 11,
                          .betas = betas,
                          .ess_threshold = GENC_SMC_NEVER_RESAMPLE,
                          .move = &mv};
  int64_t steps;
  run_nn(f, o, 50, lz, &steps);
  smc_check_unbiased(lz, 50, f->lz_nn, "AIS (no resampling)");
  genc_tempered_result res;
  T_OK(f->ctx, !genc_tempered_smc(f->ctx, f->nn, NULL, f->obs_nn, &o, &res));
  assert_int_equal(res.nresampled, 0);
  assert_true(res.ess[9] < res.ess[0]);
  assert_true(res.accept_rate > 0 && res.accept_rate < 1);
  genc_tempered_result_clear(&res);
}

/* The adaptive ladder: resampling every step makes the weights equal before
 * each reweighting, so the ESS after it is the CESS the bisection aimed at:
 * target * N to the bisection's precision at every step but the last (which
 * jumps to 1 with ESS >= target * N). A higher target takes more steps. */
static void test_adaptive(void **state) {
  fixture *f = *state;
  genc_edit_request mv = {.kind = GENC_EDIT_SELECTION, .selection = f->mu_sel};
  int64_t K[2];
  const double targets[2] = {0.3, 0.8};
  for (int j = 0; j < 2; j++) {
    genc_tempered_opts o = {.n = 400,
                            .key = genc_key_from_seed(23),
                            .target_cess = targets[j],
                            .ess_threshold = 1,
                            .move = &mv};
    genc_tempered_result res;
    T_OK(f->ctx, !genc_tempered_smc(f->ctx, f->nn, NULL, f->obs_nn, &o, &res));
    K[j] = res.steps;
    assert_true(res.steps >= 2);
    for (int64_t k = 0; k + 1 < res.steps; k++)
      assert_true(fabs(res.ess[k] - targets[j] * 400) < 1e-6 * 400);
    assert_true(res.ess[res.steps - 1] >= targets[j] * 400 * (1 - 1e-9));
    assert_int_equal(res.nresampled, res.steps - 1);
    genc_tempered_result_clear(&res);
  }
  print_message("adaptive ladder: %lld steps at CESS 0.3, %lld at 0.8\n", (long long)K[0],
                (long long)K[1]);
  assert_true(K[1] > K[0]);
  double lz[50];
  int64_t steps;
  run_nn(f, (genc_tempered_opts){.n = 100, .key = genc_key_from_seed(24), .move = &mv, .nmoves = 2},
         50, lz, &steps);
  smc_check_unbiased(lz, 50, f->lz_nn, "tempered SMC, adaptive");
}

/* B1: 3 latents, 100 observations; adaptive ladder, random-walk moves. */
static void test_b1(void **state) {
  fixture *f = *state;
  enum { R = 20 };
  double lz[R];
  genc_edit_request mv = {.kind = GENC_EDIT_PROPOSAL, .fwd = f->rw, .bwd = f->rw};
  for (int r = 0; r < R; r++) {
    genc_tempered_opts o = {.n = 1000,
                            .target_cess = 0.8,
                            .key = genc_key_from_seed(1000 + (uint64_t)r),
                            .move = &mv,
                            .nmoves = 10};
    genc_tempered_result res;
    T_OK(f->ctx, !genc_tempered_smc(f->ctx, f->b1, (genc_array *[]){f->xs}, f->obs_b1, &o, &res));
    lz[r] = res.log_ml;
    if (r == 0)
      print_message("B1: %lld steps, MH acceptance %.2f\n", (long long)res.steps, res.accept_rate);
    genc_tempered_result_clear(&res);
  }
  smc_check_unbiased(lz, R, f->lz_b1, "B1 tempered SMC");
}

static void test_errors(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_tempered_result res;
  double bad[3] = {0, 0.7, 0.5};
  genc_tempered_opts o = {.nbetas = 3, .betas = bad};
  assert_int_equal(genc_tempered_smc(ctx, f->nn, NULL, f->obs_nn, &o, &res), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "betas[2]"));
  assert_null(res.trace);
  genc_ctx_clear_error(ctx);
  o = (genc_tempered_opts){.target_cess = 1.5};
  assert_int_equal(genc_tempered_smc(ctx, f->nn, NULL, f->obs_nn, &o, &res), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "target_cess"));
  genc_ctx_clear_error(ctx);
  assert_int_equal(genc_tempered_smc(ctx, NULL, NULL, f->obs_nn, NULL, &res), GENC_ERR_ARG);
  genc_ctx_clear_error(ctx);
  genc_tempered_result_clear(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exact), cmocka_unit_test(test_fixed_ladder),
      cmocka_unit_test(test_ais),   cmocka_unit_test(test_adaptive),
      cmocka_unit_test(test_b1),    cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
