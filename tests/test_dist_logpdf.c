/* Log densities against scipy (tests/fixtures/dist_logpdf.json, made by
 * tools/fixtures/dist.py): f64 relative error < 1e-10, f32 < 1e-5, -inf outside
 * the support; batched scoring equals one-at-a-time scoring. */
#include "test_dist_common.h"

static double rel_err(double got, double want) {
  if (got == want) return 0;
  return fabs(got - want) / fmax(fabs(want), 1e-300);
}

/* Every fixture case; reports the worst relative error per distribution. */
static void test_fixtures(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  cJSON *all = td_load("dist_logpdf.json");
  int n = 0;
  double worst = 0;
  for (const cJSON *c = all->child; c; c = c->next, n++) {
    int64_t mark = genc_scope_begin(ctx);
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(c, "dist"));
    const char *dts = cJSON_GetStringValue(cJSON_GetObjectItem(c, "dtype"));
    genc_dtype dt = dts && !strcmp(dts, "f32") ? GENC_F32 : GENC_F64;
    td_mix mix;
    genc_dist d = td_make_json(ctx, c, dt, &mix);
    genc_array *x = td_array(ctx, cJSON_GetObjectItem(c, "x"), dt);
    genc_array *lp = genc_dist_logpdf(ctx, &d, x);
    if (!lp) fail_msg("case %d (%s): %s", n, name, genc_ctx_error(ctx));
    double got = t_item(ctx, lp), want = td_num(cJSON_GetObjectItem(c, "logpdf"));
    double tol = dt == GENC_F32 ? 1e-5 : 1e-10;
    if (isinf(want)) {
      if (got != want) fail_msg("case %d (%s): got %.17g, want %g", n, name, got, want);
    } else if (!(rel_err(got, want) < tol)) {
      fail_msg("case %d (%s): got %.17g, want %.17g (rel err %.3g)", n, name, got, want,
               rel_err(got, want));
    }
    if (dt == GENC_F64 && !isinf(want)) worst = fmax(worst, rel_err(got, want));
    if (dt == GENC_F32) assert_int_equal(genc_array_dtype(lp), GENC_F32);
    genc_scope_end(ctx, mark);
  }
  assert_true(n >= 150);
  printf("%d cases, worst f64 relative error %.3g\n", n, worst);
  cJSON_Delete(all);
  genc_ctx_free(ctx);
}

/* Scoring N particles at once equals scoring each alone, with batched values
 * and batched parameters. */
static void test_batched(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  double xs[4] = {-1.0, 0.25, 3.0, 40.0}, sg[4] = {0.5, 1.0, 2.0, 3.0};
  int64_t none = 0;
  genc_array *x = genc_array_from(ctx, GENC_F64, 0, &none, 4, xs);
  genc_array *s = genc_array_from(ctx, GENC_F64, 0, &none, 4, sg);
  genc_dist d = genc_normal(ctx, 0.5, s);
  genc_array *lp = genc_dist_logpdf(ctx, &d, x);
  T_OK(ctx, lp);
  assert_int_equal(genc_array_nparticles(lp), 4);
  for (int i = 0; i < 4; i++) {
    genc_dist di = genc_normal(ctx, 0.5, sg[i]);
    genc_array *li = genc_dist_logpdf(ctx, &di, genc_scalar(ctx, xs[i]));
    T_CLOSE(t_at(ctx, lp, i), t_item(ctx, li), 1e-15);
  }
  /* gamma with batched values, shared parameters */
  genc_dist g = genc_gamma(ctx, 2.0, 3.0);
  genc_array *lg = genc_dist_logpdf(ctx, &g, x);
  T_CLOSE(t_at(ctx, lg, 0), -INFINITY, 0);
  T_CLOSE(t_at(ctx, lg, 1), log(9.0) + log(0.25) - 0.75, 1e-14);
  genc_ctx_free(ctx);
}

/* A sigma whose square underflows (1e-200) still scores: mu = 0 and x = sigma,
 * 40 sigma give z = 1 and 40, so log N = -z^2/2 - log sigma - log(2 pi)/2
 * with log sigma = -200 log 10; on the array path (a [2] value) and the scalar
 * path (a 0-d one). */
static void test_normal_tiny_sigma(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  const double s = 1e-200, c = 0.5 * log(2 * M_PI) - 200 * log(10.0);
  double xs[2] = {s, 40 * s}, zs[2] = {1, 40};
  genc_dist d = genc_normal(ctx, 0.0, s);
  genc_array *lp = genc_dist_logpdf(ctx, &d, genc_array_vec(ctx, 2, xs));
  T_OK(ctx, lp);
  double sum = 0;
  for (int i = 0; i < 2; i++) {
    double want = -0.5 * zs[i] * zs[i] - c;
    genc_array *li = genc_dist_logpdf(ctx, &d, genc_scalar(ctx, xs[i]));
    /* |want| ~ 460: a few roundings of terms that size */
    T_CLOSE(t_item(ctx, li), want, 1e-14);
    sum += want;
  }
  T_CLOSE(t_item(ctx, lp), sum, 1e-14);
  genc_ctx_free(ctx);
}

/* Wishart values outside the support (not positive definite, NaN) score -inf
 * with gradient 0, particle by particle; the others score as on their own. */
static genc_array *wishart_lp(genc_ctx *ctx, genc_array *const *args, void *u) {
  double s[4] = {2.0, 0.3, 0.3, 1.0};
  genc_dist d = *(const bool *)u ? genc_inv_wishart(ctx, 4.0, genc_array_mat(ctx, 2, 2, s))
                                 : genc_wishart(ctx, 4.0, genc_array_mat(ctx, 2, 2, s));
  return genc_dist_logpdf(ctx, &d, args[0]);
}

static void test_wishart_outside_support(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  /* particles: PD, indefinite, PD, negative definite, NaN entry */
  double v[5][4] = {{1.5, 0.2, 0.2, 0.8},
                    {1.0, 2.0, 2.0, 1.0},
                    {3.0, -0.5, -0.5, 2.0},
                    {-1.0, 0.0, 0.0, -2.0},
                    {1.0, NAN, NAN, 1.0}};
  const bool pd[5] = {true, false, true, false, false};
  int64_t sh[2] = {2, 2};
  genc_array *x = genc_array_from(ctx, GENC_F64, 2, sh, 5, &v[0][0]);
  for (int inv = 0; inv < 2; inv++) {
    bool b = inv;
    genc_array *lp, *g;
    T_OK(ctx, genc_value_and_grad(ctx, wishart_lp, 1, &x, &b, 1u, &lp, &g) == GENC_OK);
    for (int i = 0; i < 5; i++) {
      /* a NaN entry scores NaN (the NaN rule), other non-PD values -inf */
      double want = i == 4 ? NAN : -INFINITY;
      if (pd[i]) {
        genc_array *xi = genc_array_mat(ctx, 2, 2, v[i]);
        want = t_item(ctx, wishart_lp(ctx, &xi, &b));
      }
      /* the same formula per particle; batched ops may round exp/log differently
       * (vector libm, a few ulp of terms of size ~10) */
      T_CLOSE(t_at(ctx, lp, i), want, 1e-14);
      for (int e = 0; e < 4; e++) {
        double ge = t_at(ctx, g, i * 4 + e);
        if (pd[i] ? !isfinite(ge) : ge != 0.0)
          fail_msg("%s particle %d: gradient %g", inv ? "inv_wishart" : "wishart", i, ge);
      }
    }
  }
  genc_ctx_free(ctx);
}

/* Integer and bool values score like the same numbers in f64. */
static void test_value_dtypes(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  int32_t k = 7;
  bool b = true;
  genc_array *ki = genc_array_from(ctx, GENC_I32, 0, NULL, 0, &k);
  genc_array *bb = genc_array_from(ctx, GENC_BOOL, 0, NULL, 0, &b);
  genc_dist p = genc_poisson(ctx, 3.0), f = genc_flip(ctx, 0.25);
  T_CLOSE(t_item(ctx, genc_dist_logpdf(ctx, &p, ki)), 7 * log(3.0) - 3 - lgamma(8.0), 1e-13);
  T_CLOSE(t_item(ctx, genc_dist_logpdf(ctx, &f, bb)), log(0.25), 1e-15);
  genc_dist c = genc_categorical(ctx, genc_array_vec(ctx, 3, (double[]){0, 0, 0}));
  T_CLOSE(t_item(ctx, genc_dist_logpdf(ctx, &c, genc_scalar_of(ctx, 2, GENC_I32))), -log(3.0),
          1e-15);
  genc_ctx_free(ctx);
}

/* A user-defined distribution is used exactly like a built-in one. */
static genc_array *half_logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  (void)d;
  return genc_sum_all(ctx, genc_where(ctx, genc_ge(ctx, x, 0.0), genc_neg(ctx, x), -INFINITY));
}
static genc_array *half_sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  (void)d;
  return genc_random_exponential(ctx, key, GENC_F64, 0, NULL, n);
}
static void test_user_type(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  static const genc_dist_type t = {
      .name = "my_exp", .nparams = 0, .sample = half_sample, .logpdf = half_logpdf};
  genc_dist d = genc_dist_new(&t, 0, NULL);
  assert_string_equal(genc_dist_name(&d), "my_exp");
  assert_false(genc_dist_has_rsample(&d));
  T_CLOSE(t_item(ctx, genc_dist_logpdf(ctx, &d, genc_scalar(ctx, 2.0))), -2.0, 0);
  genc_array *s = genc_dist_sample(ctx, genc_key_from_seed(1), &d, 10);
  T_OK(ctx, s);
  assert_int_equal(genc_array_nparticles(s), 10);
  assert_null(genc_dist_rsample(ctx, genc_key_from_seed(1), &d, 10));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_UNSUPPORTED);
  genc_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixtures),          cmocka_unit_test(test_batched),
      cmocka_unit_test(test_normal_tiny_sigma), cmocka_unit_test(test_wishart_outside_support),
      cmocka_unit_test(test_value_dtypes),      cmocka_unit_test(test_user_type)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
