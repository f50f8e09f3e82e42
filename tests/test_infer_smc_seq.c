/* Sequential SMC (genc_smc_sequential, src/infer/smc_seq.c) against the
 * vectorized genc_smc on B2 shortened to T = 20 (Unfold, x_t = 0.9 x_{t-1} +
 * N(0, 1), y_t ~ N(x_t, 0.5)). Particle i of a batched operation equals the
 * single-trace operation keyed genc_key_particle(key, i), and both drivers
 * split the step keys alike, so the bootstrap filters must agree to rounding:
 * log Z-hat, every ESS, every resampling decision and the particles' last
 * states. With an SMCP3 proposal the random numbers differ, so that run is
 * checked for unbiasedness against the Kalman filter (smc_stats.h). */
#include "b2_model.h"
#include "smc_stats.h"

#define T 20
#define R 30

/* The locally optimal proposal N(0.2 (0.9 x_{t-1} + 4 y_t), 0.2) at t/x. */
static genc_array *opt(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  int64_t t = (int64_t)genc_array_to_double(ctx, args[0]) - 1;
  genc_array *xp =
      t && genc_rt_from(rt)
          ? genc_trace_get(ctx, genc_rt_from(rt), (genc_comp[]){genc_idx(t - 1), GENC_SYM("x")}, 2)
          : genc_scalar(ctx, 0.0);
  genc_array *mean = genc_mul(ctx, genc_add(ctx, genc_mul(ctx, xp, 0.9), 4 * y_at((int)t)), 0.2);
  return genc_rt_trace_path(rt, (genc_comp[]){genc_idx(t), GENC_SYM("x")}, 2,
                            genc_normal(ctx, mean, sqrt(0.2)));
}

typedef struct fixture {
  b2_fixture b;
  genc_gf *opt;
  genc_smc_unfold u;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  b2_fixture_init(&f->b);
  f->opt = genc_gf_dynamic("opt", opt, 2, NULL);
  f->u = (genc_smc_unfold){
      .nrest = 1, .rest = &f->b.init, .obs = (const genc_choicemap *const *)f->b.obs};
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  genc_gf_release(f->opt);
  b2_fixture_clear(&f->b);
  free(f);
  return 0;
}

static void test_same_as_vectorized(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->b.ctx;
  enum { N = 64 };
  genc_smc_opts o = {.n = N, .key = genc_key_from_seed(9), .scheme = GENC_RESAMPLE_STRATIFIED};
  genc_smc_result v, s;
  T_OK(ctx, !genc_smc(ctx, f->b.ssm, T, genc_smc_unfold_step, &f->u, &o, &v));
  T_OK(ctx, !genc_smc_sequential(ctx, f->b.ssm, T, genc_smc_unfold_step, &f->u, &o, &s));
  assert_null(s.trace);
  assert_non_null(s.traces);
  print_message("log Z-hat vectorized %.12f, sequential %.12f; %lld resamplings\n", v.log_ml,
                s.log_ml, (long long)v.nresampled);
  assert_true(fabs(v.log_ml - s.log_ml) < 1e-9);
  assert_true(v.nresampled > 0 && v.nresampled < T - 1); /* adaptive: some steps, not all */
  for (int t = 0; t < T; t++) {
    assert_true(fabs(v.ess[t] - s.ess[t]) < 1e-9 * N);
    assert_int_equal(v.resampled[t], s.resampled[t]);
  }
  double xv[N];
  T_OK(ctx, !genc_trace_copy_out(ctx, v.trace, "19/x", xv, N));
  for (int i = 0; i < N; i++) {
    assert_true(fabs(genc_trace_get_double(ctx, s.traces[i], "19/x") - xv[i]) < 1e-12);
    assert_true(fabs(v.log_weights[i] - s.log_weights[i]) < 1e-9);
  }
  genc_smc_result_clear(&v);
  genc_smc_result_clear(&s);
}

static void test_smcp3_unbiased(void **state) {
  fixture *f = *state;
  double lz[R];
  genc_smcp3_kernels k = {.fwd = f->opt};
  for (int r = 0; r < R; r++) {
    genc_smc_opts o = {.n = 50,
                       .key = genc_key_fold_in(genc_key_from_seed(10), (uint64_t)r),
                       .ess_threshold = 1,
                       .proposal = &k};
    genc_smc_result s;
    T_OK(f->b.ctx,
         !genc_smc_sequential(f->b.ctx, f->b.ssm, T, genc_smc_unfold_step, &f->u, &o, &s));
    lz[r] = s.log_ml;
    genc_smc_result_clear(&s);
  }
  smc_check_unbiased(lz, R, kalman_log_z(T), "sequential SMCP3");
}

static void test_errors(void **state) {
  fixture *f = *state;
  genc_smc_result s;
  assert_int_equal(
      genc_smc_sequential(f->b.ctx, f->b.ssm, 0, genc_smc_unfold_step, &f->u, NULL, &s),
      GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(f->b.ctx), "steps"));
  genc_ctx_clear_error(f->b.ctx);
  assert_int_equal(genc_smc_sequential(f->b.ctx, NULL, T, genc_smc_unfold_step, &f->u, NULL, &s),
                   GENC_ERR_ARG);
  genc_ctx_clear_error(f->b.ctx);
  assert_null(s.traces);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_same_as_vectorized),
      cmocka_unit_test(test_smcp3_unbiased),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
