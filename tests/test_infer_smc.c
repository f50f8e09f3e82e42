/* The particle filter (src/infer/smc.c) on the linear-Gaussian state-space
 * model B2 of BENCHMARKS.md, written with Unfold: the B2 accuracy study of
 * issue 11 at its full T = 100 steps (every resampling scheme, 50 seeds each,
 * N = 1000; 20 seeds under the sanitizers, GENC_SANITIZED set, where it runs
 * several times slower), the other tests shortened to T = 20:
 *
 *   x_0 ~ N(0, 1);  x_t = 0.9 x_{t-1} + N(0, 1);  y_t ~ N(x_t, 0.5)
 *   y_t = 2 sin(0.1 t) + 0.7 sin(12.9898 t)
 *
 * The exact log Z = log p(y_0..y_{T-1}) comes from a Kalman filter (T = 100:
 * -113.26911738003584, BENCHMARKS.md's value, asserted). Statistical checks:
 * over R independent filters (keys folded from a fixed seed), the mean of
 * Z-hat / Z against 1 (Z-hat is unbiased) and the mean of log Z-hat against
 * log Z, each within 4 standard errors, SE = sample sd / sqrt(R). log Z-hat
 * is biased down by about var(log Z-hat) / 2 (Jensen); the check asserts that
 * this bias is below 2 SE, so the 4-SE check keeps room (smc_stats.h). At
 * T = 100 that needs sd(log Z-hat) below about 0.55 with 50 seeds, hence
 * N = 1000 (sd about 0.3). */
#include "b2_model.h"
#include "smc_stats.h"

#define T 20
#define NP 500
#define R 40
#define TB2 B2_TMAX /* the B2 study */
#define NB2 1000
#define RB2 50

typedef b2_fixture fixture;

/* nrun filters of steps steps with opts (key replaced per run); log Z-hat
 * into lz, resamplings into *nres. */
static void run_filters_of(fixture *f, genc_smc_opts o, int steps, int nrun, double *lz,
                           int64_t *nres) {
  genc_smc_unfold u = {.nrest = 1, .rest = &f->init, .obs = (const genc_choicemap *const *)f->obs};
  genc_key key = o.key;
  *nres = 0;
  for (int r = 0; r < nrun; r++) {
    genc_smc_result res;
    o.key = genc_key_fold_in(key, (uint64_t)r);
    T_OK(f->ctx, !genc_smc(f->ctx, f->ssm, steps, genc_smc_unfold_step, &u, &o, &res));
    assert_int_equal(res.n, o.n);
    assert_true(res.ess[0] >= 1 && res.ess[0] <= o.n + 1e-9);
    lz[r] = res.log_ml;
    *nres += res.nresampled;
    genc_smc_result_clear(&res);
  }
}

static void run_filters(fixture *f, genc_smc_opts o, double *lz, int64_t *nres) {
  run_filters_of(f, o, T, R, lz, nres);
}

/* The two unbiasedness checks of the file comment, at T = 20. */
static void check_unbiased(const double *lz, const char *what) {
  smc_check_unbiased(lz, R, kalman_log_z(T), what);
}

static void test_schemes(void **state) {
  fixture *f = *state;
  const char *names[4] = {"multinomial", "systematic", "stratified", "residual"};
  for (int s = 0; s < 4; s++) {
    double lz[R];
    int64_t nres;
    genc_smc_opts o = {.n = NP,
                       .key = genc_key_from_seed(100 + (uint64_t)s),
                       .scheme = (genc_resample_scheme)s,
                       .ess_threshold = 1};
    run_filters(f, o, lz, &nres);
    assert_int_equal(nres, (int64_t)R * (T - 1)); /* threshold 1: after every step but the last */
    check_unbiased(lz, names[s]);
  }
}

/* Issue 11's B2 study: T = 100, every scheme resampling after every step. */
static void test_b2_study(void **state) {
  fixture *f = *state;
  const char *names[4] = {"B2 T=100 multinomial", "B2 T=100 systematic", "B2 T=100 stratified",
                          "B2 T=100 residual"};
  int nrun = getenv("GENC_SANITIZED") ? 20 : RB2;
  assert_true(fabs(kalman_log_z(TB2) - -113.26911738003584) < 1e-9);
  for (int s = 0; s < 4; s++) {
    double lz[RB2];
    int64_t nres;
    genc_smc_opts o = {.n = NB2,
                       .key = genc_key_from_seed(200 + (uint64_t)s),
                       .scheme = (genc_resample_scheme)s,
                       .ess_threshold = 1};
    run_filters_of(f, o, TB2, nrun, lz, &nres);
    assert_int_equal(nres, (int64_t)nrun * (TB2 - 1));
    smc_check_unbiased(lz, nrun, kalman_log_z(TB2), names[s]);
  }
}

/* Adaptive resampling (default threshold 0.5) resamples less often and stays
 * unbiased; never resampling (sequential IS) resamples zero times. */
static void test_adaptive(void **state) {
  fixture *f = *state;
  double lz[R];
  int64_t nres;
  run_filters(f, (genc_smc_opts){.n = NP, .key = genc_key_from_seed(7)}, lz, &nres);
  print_message("adaptive: %lld resamplings in %d filters of %d steps\n", (long long)nres, R, T);
  assert_true(nres > 0 && nres < (int64_t)R * (T - 1));
  check_unbiased(lz, "adaptive 0.5");
  genc_smc_opts never = {
      .n = NP, .key = genc_key_from_seed(8), .ess_threshold = GENC_SMC_NEVER_RESAMPLE};
  genc_smc_result res;
  genc_smc_unfold u = {.nrest = 1, .rest = &f->init, .obs = (const genc_choicemap *const *)f->obs};
  T_OK(f->ctx, !genc_smc(f->ctx, f->ssm, T, genc_smc_unfold_step, &u, &never, &res));
  assert_int_equal(res.nresampled, 0);
  assert_true(res.ess[T - 1] < res.ess[0]); /* the weights degenerate without resampling */
  genc_smc_result_clear(&res);
}

/* Rejuvenation: MH regenerating x_t and then x_{t-1} from their priors at step t. */
static genc_trace *rejuv(genc_ctx *ctx, const genc_trace *t, genc_key key, int64_t step,
                         genc_array **accepted, genc_array **proposed, void *user) {
  (void)accepted, (void)proposed;
  ++*(int64_t *)user;
  genc_trace *cur = genc_trace_retain((genc_trace *)t);
  for (int64_t s = step; cur && s >= 0 && s >= step - 1; s--) {
    genc_selection *sel = genc_selection_new(ctx);
    genc_comp path[2] = {genc_idx(s), GENC_SYM("x")};
    genc_selection_add_path(ctx, sel, path, 2);
    genc_trace *next = genc_mh_select(ctx, cur, sel, genc_key_fold_in(key, (uint64_t)s), NULL);
    genc_selection_release(sel);
    genc_trace_release(cur);
    cur = next;
  }
  return cur;
}

static void test_rejuvenation(void **state) {
  fixture *f = *state;
  int64_t calls = 0, nres;
  genc_kernel *k = genc_kernel_user("rejuv", rejuv, &calls);
  double lz[R], plain[R];
  genc_smc_opts o = {.n = NP, .key = genc_key_from_seed(11), .ess_threshold = 1, .rejuvenate = k};
  run_filters(f, o, lz, &nres);
  assert_int_equal(calls, nres); /* one application per resampling */
  check_unbiased(lz, "rejuvenated (MH)");
  o.rejuvenate = NULL; /* same keys: the kernel moved the particles, so the estimates differ */
  run_filters(f, o, plain, &nres);
  assert_true(lz[0] != plain[0] && lz[1] != plain[1]);
  genc_kernel_release(k);
}

static void test_errors(void **state) {
  fixture *f = *state;
  genc_smc_result res;
  genc_smc_unfold u = {.nrest = 1, .rest = &f->init, .obs = (const genc_choicemap *const *)f->obs};
  assert_int_equal(genc_smc(f->ctx, f->ssm, 0, genc_smc_unfold_step, &u, NULL, &res), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(f->ctx), "steps"));
  genc_ctx_clear_error(f->ctx);
  genc_smc_opts bad = {.n = -1};
  assert_int_equal(genc_smc(f->ctx, f->ssm, T, genc_smc_unfold_step, &u, &bad, &res), GENC_ERR_ARG);
  genc_ctx_clear_error(f->ctx);
  assert_int_equal(genc_smc(f->ctx, NULL, T, genc_smc_unfold_step, &u, NULL, &res), GENC_ERR_ARG);
  genc_ctx_clear_error(f->ctx);
  assert_null(res.trace);
  genc_smc_result_clear(&res);
  genc_smc_result_clear(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_schemes),  cmocka_unit_test(test_b2_study),
      cmocka_unit_test(test_adaptive), cmocka_unit_test(test_rejuvenation),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, b2_setup, b2_teardown);
}
