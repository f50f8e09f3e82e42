/* The device path of genc_smc (src/infer/smc.c, genc__smc_reweight_dev, and
 * resample.c, genc__smc_ancestors_dev), forced on a CPU context through
 * genc__smc_run (GENC_TEST_DEVICE=cuda runs the same checks on the GPU, where
 * genc_smc takes that path by itself), against the host path for the same
 * keys:
 *
 * - the B2 filter of test_infer_smc.c (x_t = 0.9 x_{t-1} + N(0, 1), y_t ~
 *   N(x_t, 0.5), T = 100, N = 1000, resampling after every step): log Z agrees
 *   to 1e-10 for every scheme. The two paths differ only in the rounding of
 *   their sums (the host's are serial and compensated), about 1e-16 relative
 *   per step; an ancestor that moved would change log Z by far more (one
 *   particle's weight, ~1/N of Z), so the agreement also says the ancestors
 *   agree. The final weights agree to 1e-9 and the ESS to 1e-9 relative.
 * - the ancestors alone, systematic and stratified, at 1e5 particles with
 *   zero weights first, last and in runs, against genc_resample: they may
 *   differ only where a point falls within rounding of a cumulative sum, so at
 *   most a handful (asserted <= 3), and never pick a particle of zero weight. */
#include "b2_model.h"

#include "infer/smc_internal.h"

#define T 100
#define NP 1000

typedef b2_fixture fixture;

static void test_b2_paths_agree(void **state) {
  fixture *f = *state;
  genc_smc_unfold u = {.nrest = 1, .rest = &f->init, .obs = (const genc_choicemap *const *)f->obs};
  for (int s = 0; s < 4; s++) {
    genc_smc_opts o = {.n = NP,
                       .key = genc_key_from_seed(7 + (uint64_t)s),
                       .scheme = (genc_resample_scheme)s,
                       .ess_threshold = 1};
    genc_smc_result h, d;
    T_OK(f->ctx, !genc__smc_run(f->ctx, f->ssm, T, genc_smc_unfold_step, &u, &o, &h, false));
    T_OK(f->ctx, !genc__smc_run(f->ctx, f->ssm, T, genc_smc_unfold_step, &u, &o, &d, true));
    print_message("scheme %d: log Z host %.15f device %.15f (diff %.3g)\n", s, h.log_ml, d.log_ml,
                  d.log_ml - h.log_ml);
    assert_true(isfinite(h.log_ml));
    assert_true(fabs(d.log_ml - h.log_ml) <= 1e-10);
    assert_int_equal(d.nresampled, T - 1);
    for (int t = 0; t < T; t++)
      T_CLOSE(d.ess[t], h.ess[t], 1e-9);
    for (int i = 0; i < NP; i++)
      assert_true(fabs(d.log_weights[i] - h.log_weights[i]) <= 1e-9);
    genc_smc_result_clear(&h);
    genc_smc_result_clear(&d);
  }
}

/* Log weights of n particles with zero weights at the ends and in runs. */
static void weights(double *lw, int64_t n) {
  uint64_t x = 88172645463325252u;
  for (int64_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    double r = (double)(x >> 11) / 9007199254740992.0;
    lw[i] = (i < 3 || i >= n - 2 || (i / 100) % 7 == 3) ? -INFINITY : 8 * r - 4;
  }
}

static void test_ancestors_agree(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  const int64_t n = 100000;
  double *lw = malloc((size_t)n * sizeof *lw), *rel = malloc((size_t)n * sizeof *rel);
  double *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
  weights(lw, n);
  double mx = -INFINITY;
  for (int64_t i = 0; i < n; i++)
    mx = lw[i] > mx ? lw[i] : mx;
  for (int64_t i = 0; i < n; i++)
    rel[i] = exp(lw[i] - mx);
  for (int s = GENC_RESAMPLE_SYSTEMATIC; s <= GENC_RESAMPLE_STRATIFIED; s++) {
    for (int seed = 0; seed < 3; seed++) {
      int64_t mark = genc_scope_begin(ctx);
      genc_key key = genc_key_from_seed(500 + (uint64_t)seed);
      genc_array *h = genc_resample(ctx, lw, n, n, (genc_resample_scheme)s, key);
      genc_array *r = genc_array_from(ctx, GENC_F64, 1, &n, 0, rel);
      genc_array *d = genc__smc_ancestors_dev(ctx, r, n, (genc_resample_scheme)s, key);
      T_OK(ctx, h && d);
      assert_int_equal(genc_array_dtype(d), GENC_I32);
      assert_int_equal(genc_array_size(d), n);
      T_OK(ctx, !genc_array_copy_out(ctx, h, a, n) && !genc_array_copy_out(ctx, d, b, n));
      int64_t differ = 0;
      for (int64_t j = 0; j < n; j++) {
        assert_true(b[j] >= 0 && b[j] < (double)n);
        assert_true(lw[(int64_t)b[j]] > -INFINITY); /* never a zero weight */
        differ += a[j] != b[j];
      }
      print_message("scheme %d seed %d: %lld of %lld ancestors differ\n", s, seed,
                    (long long)differ, (long long)n);
      assert_true(differ <= 3);
      genc_scope_end(ctx, mark);
    }
  }
  /* multinomial has no device path: an error, not wrong ancestors */
  int64_t mark = genc_scope_begin(ctx);
  genc_array *r = genc_array_from(ctx, GENC_F64, 1, &n, 0, rel);
  assert_null(genc__smc_ancestors_dev(ctx, r, n, GENC_RESAMPLE_MULTINOMIAL, genc_key_from_seed(1)));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ARG);
  genc_ctx_clear_error(ctx);
  genc_scope_end(ctx, mark);
  free(lw), free(rel), free(a), free(b);
}

/* genc__smc_reweight_dev on weights the host path rejects: every weight zero
 * is -inf with ESS 0 (genc_smc then fails naming the step); a +inf weight
 * gives no relative weights (resampling then fails on the host, saying why). */
static void test_reweight_dev_edges(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  int64_t n = 5, mark = genc_scope_begin(ctx);
  double lw[5] = {0.5, -1, 2, 0, -3};
  genc_array *w = genc_array_retain(genc_array_full(ctx, GENC_F64, 1, &n, 0, -log(5.0)));
  genc_array *v = genc_particle_from_axis(ctx, genc_array_from(ctx, GENC_F64, 1, &n, 0, lw));
  genc_array *rel = NULL;
  double ess;
  genc_status st;
  double lse = genc__smc_reweight_dev(ctx, &w, v, &ess, &rel, &st);
  double want = 0, s2 = 0, h[5];
  for (int i = 0; i < 5; i++)
    want += exp(lw[i]) / 5, s2 += exp(2 * lw[i]);
  assert_int_equal(st, GENC_OK);
  T_CLOSE(lse, log(want), 1e-14);
  T_CLOSE(ess, 25 * want * want / s2, 1e-13); /* (sum e)^2 / sum e^2 */
  T_OK(ctx, rel && !genc_array_copy_out(ctx, w, h, 5));
  for (int i = 0; i < 5; i++)
    T_CLOSE(h[i], -log(5.0) + lw[i] - lse, 1e-14);
  genc_array *zero = genc_array_full(ctx, GENC_F64, 0, NULL, n, -INFINITY);
  assert_true(genc__smc_reweight_dev(ctx, &w, zero, &ess, &rel, &st) == -INFINITY);
  assert_int_equal(st, GENC_OK);
  assert_null(rel);
  assert_true(ess == 0);
  genc_array *inf = genc_array_full(ctx, GENC_F64, 0, NULL, n, INFINITY);
  genc_array_release(w);
  w = genc_array_retain(genc_array_full(ctx, GENC_F64, 1, &n, 0, 0.0));
  lse = genc__smc_reweight_dev(ctx, &w, inf, &ess, &rel, &st);
  assert_int_equal(st, GENC_OK);
  assert_true(isnan(lse));
  assert_null(rel);
  genc_array_release(w);
  genc_scope_end(ctx, mark);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_b2_paths_agree),
      cmocka_unit_test(test_ancestors_agree),
      cmocka_unit_test(test_reweight_dev_edges),
  };
  return cmocka_run_group_tests(tests, b2_setup, b2_teardown);
}
