/*
 * Regression tests for the defects that bad-input probes found in
 * distributions and samplers (issue 8), one test per defect. Statistical checks
 * use fixed seeds; a mean is compared with the exact one within 5 standard
 * errors, se = sqrt(var / N) with the exact variance.
 */
#include <float.h>
#include <math.h>

#include "test_dist_common.h"

#define N 20000

/* Every value of a (batched) array as doubles. */
static double *values(genc_ctx *ctx, genc_array *x, int64_t *cnt) {
  int64_t n = genc_array_nparticles(x), size = genc_array_size(x);
  *cnt = size * (n ? n : 1);
  double *v = malloc((size_t)*cnt * sizeof *v);
  if (genc_array_copy_out(ctx, x, v, *cnt)) fail_msg("copy_out: %s", genc_ctx_error(ctx));
  return v;
}

/* N draws of d and their log densities (as the GFI scores them: the type's
 * logpdf of the batched draw); every score must be finite. Returns the draws. */
static double *draws_scored(genc_ctx *ctx, const genc_dist *d, const char *what, int64_t *cnt) {
  genc_array *x = genc_dist_sample(ctx, genc_key_from_seed(7), d, N);
  T_OK(ctx, x);
  genc_array *lp = genc_dist_logpdf(ctx, d, x);
  T_OK(ctx, lp);
  int64_t nl;
  double *l = values(ctx, lp, &nl);
  assert_int_equal(nl, N);
  for (int64_t i = 0; i < nl; i++)
    if (!isfinite(l[i])) fail_msg("%s: draw %lld scores %g", what, (long long)i, l[i]);
  free(l);
  return values(ctx, x, cnt);
}

static void check_mean(const char *what, const double *v, int64_t n, int64_t stride, int64_t off,
                       double mean, double var) {
  double s = 0;
  for (int64_t i = off; i < n; i += stride)
    s += v[i];
  double m = s / (double)(n / stride), se = sqrt(var / (double)(n / stride));
  if (fabs(m - mean) > 5 * se)
    fail_msg("%s: mean %.9g, expected %.9g (se %.3g)", what, m, mean, se);
}

/* ---- 1. valid extreme parameters ---- */

/* Gamma(1e-3, 1): about half the draws lie below the smallest double (log X
 * is about -1000 E, E ~ Exp(1)); they are returned as the smallest positive
 * number of the dtype, whose log density is finite. Mean a/b, var a/b^2. */
static void test_gamma_tiny_shape(void **state) {
  genc_ctx *ctx = *state;
  genc_dtype dts[2] = {GENC_F64, GENC_F32};
  for (int k = 0; k < 2; k++) {
    genc_dist d =
        genc_gamma(ctx, genc_scalar_of(ctx, 1e-3, dts[k]), genc_scalar_of(ctx, 1, dts[k]));
    int64_t n;
    double *v = draws_scored(ctx, &d, "gamma(1e-3, 1)", &n);
    for (int64_t i = 0; i < n; i++)
      if (!(v[i] > 0 && isfinite(v[i]))) fail_msg("gamma draw %g", v[i]);
    check_mean("gamma(1e-3, 1)", v, n, 1, 0, 1e-3, 1e-3);
    free(v);
    /* inverse gamma: 1 / (those draws) would be +inf */
    genc_dist ig =
        genc_inv_gamma(ctx, genc_scalar_of(ctx, 1e-3, dts[k]), genc_scalar_of(ctx, 1, dts[k]));
    v = draws_scored(ctx, &ig, "inv_gamma(1e-3, 1)", &n);
    for (int64_t i = 0; i < n; i++)
      if (!(v[i] > 0 && isfinite(v[i]))) fail_msg("inv_gamma draw %g", v[i]);
    free(v);
  }
}

/* Beta(1e-3, 1e-3): draws pile up next to 0 and 1 and must not be exactly
 * 0 or 1. Mean 1/2, var ab / ((a + b)^2 (a + b + 1)). */
static void test_beta_tiny(void **state) {
  genc_ctx *ctx = *state;
  genc_dtype dts[2] = {GENC_F64, GENC_F32};
  for (int k = 0; k < 2; k++) {
    genc_array *a = genc_scalar_of(ctx, 1e-3, dts[k]);
    genc_dist d = genc_beta(ctx, a, a);
    int64_t n;
    double *v = draws_scored(ctx, &d, "beta(1e-3, 1e-3)", &n);
    for (int64_t i = 0; i < n; i++)
      if (!(v[i] > 0 && v[i] < 1)) fail_msg("beta draw %.17g", v[i]);
    check_mean("beta(1e-3, 1e-3)", v, n, 1, 0, 0.5, 0.25 / 1.002);
    free(v);
    genc_dist bu = genc_beta_uniform(ctx, genc_scalar_of(ctx, 0.9, dts[k]), a, a);
    free(draws_scored(ctx, &bu, "beta_uniform(0.9, 1e-3, 1e-3)", &n));
  }
}

/* Dirichlet(1e-3 x 5): all but one component underflow. Component mean 1/5,
 * var a_i (a0 - a_i) / (a0^2 (a0 + 1)). */
static void test_dirichlet_tiny(void **state) {
  genc_ctx *ctx = *state;
  double al[5] = {1e-3, 1e-3, 1e-3, 1e-3, 1e-3};
  int64_t five = 5;
  genc_dist d = genc_dirichlet(ctx, genc_array_from(ctx, GENC_F64, 1, &five, 0, al));
  int64_t n;
  double *v = draws_scored(ctx, &d, "dirichlet(1e-3 x 5)", &n);
  for (int64_t i = 0; i < n; i++)
    if (!(v[i] > 0 && v[i] <= 1)) fail_msg("dirichlet draw %g", v[i]);
  check_mean("dirichlet(1e-3 x 5)[2]", v, n, 5, 2, 0.2, 0.2 * 0.8 / 1.005);
  free(v);
}

/* Truncated normal mean and variance from long double erfc (range to 1e-4951):
 * Z = Q(a) - Q(b), mean = (phi(a) - phi(b)) / Z,
 * var = 1 + (a phi(a) - b phi(b)) / Z - mean^2, for the standard normal. */
static void tn_moments(double a, double b, double *mean, double *var) {
  long double pa = expl(-0.5L * a * a) / sqrtl(2 * 3.14159265358979323846L);
  long double pb = isinf(b) ? 0 : expl(-0.5L * b * b) / sqrtl(2 * 3.14159265358979323846L);
  long double z = 0.5L * erfcl(a / sqrtl(2)) - (isinf(b) ? 0 : 0.5L * erfcl(b / sqrtl(2)));
  long double m = (pa - pb) / z;
  *mean = (double)m;
  *var = (double)(1 + (a * pa - (isinf(b) ? 0 : b * pb)) / z - m * m);
}

/* Truncated normal far in a tail: [40, 41] (and mirrored, and a half line).
 * The interval's mass (e^-800) underflows; draws and scores stay exact. */
static void test_truncated_normal_tail(void **state) {
  genc_ctx *ctx = *state;
  double cases[3][2] = {{40, 41}, {-41, -40}, {8, INFINITY}};
  for (int c = 0; c < 3; c++) {
    double lo = cases[c][0], hi = cases[c][1];
    genc_dist d = genc_truncated_normal(ctx, 0.0, 1.0, lo, hi);
    int64_t n;
    double *v = draws_scored(ctx, &d, "truncated_normal tail", &n);
    for (int64_t i = 0; i < n; i++)
      if (!(v[i] >= lo && v[i] <= hi)) fail_msg("truncated normal draw %.17g", v[i]);
    double mean, var;
    if (lo > 0) {
      tn_moments(lo, hi, &mean, &var);
    } else {
      tn_moments(-hi, -lo, &mean, &var);
      mean = -mean;
    }
    check_mean("truncated_normal tail", v, n, 1, 0, mean, var);
    free(v);
  }
  /* the density at 40.5 on [40, 41]: -x^2/2 - log sqrt(2 pi) - log(Q(40) - Q(41)) */
  genc_dist d = genc_truncated_normal(ctx, 0.0, 1.0, 40.0, 41.0);
  long double z = 0.5L * erfcl(40 / sqrtl(2)) - 0.5L * erfcl(41 / sqrtl(2));
  double want =
      (double)(-0.5L * 40.5L * 40.5L - 0.5L * logl(2 * 3.14159265358979323846L) - logl(z));
  T_CLOSE(t_item(ctx, genc_dist_logpdf(ctx, &d, genc_scalar(ctx, 40.5))), want, 1e-12);
}

/* Uniform(-1e308, 1e308): hi - lo overflows; draws are finite, in range, with
 * mean 0 and var (hi - lo)^2 / 12 (computed in units of 1e308). */
static void test_uniform_huge(void **state) {
  genc_ctx *ctx = *state;
  genc_dist d = genc_uniform(ctx, -1e308, 1e308);
  int64_t n;
  double *v = draws_scored(ctx, &d, "uniform(-1e308, 1e308)", &n);
  for (int64_t i = 0; i < n; i++) {
    if (!(v[i] >= -1e308 && v[i] <= 1e308)) fail_msg("uniform draw %g", v[i]);
    v[i] /= 1e308;
  }
  check_mean("uniform(-1e308, 1e308)", v, n, 1, 0, 0.0, 4.0 / 12);
  free(v);
  /* -log(2e308), computed without overflow */
  double want = -(M_LN2 + log(1e308));
  T_CLOSE(t_item(ctx, genc_dist_logpdf(ctx, &d, genc_scalar(ctx, 0.5))), want, 1e-15);
  /* the scalar fast path (shared 0-d f64 parameters, one draw) agrees */
  genc_array *x = genc_dist_sample(ctx, genc_key_from_seed(3), &d, 0);
  T_OK(ctx, x);
  double xv = t_item(ctx, x);
  assert_true(xv >= -1e308 && xv <= 1e308);
  T_CLOSE(t_item(ctx, genc_dist_logpdf(ctx, &d, x)), want, 1e-15);
}

/* ---- 2. -inf, not NaN, at infinite values ---- */

/* The first fixture case of each distribution, f64 or f32 parameters. */
typedef void (*case_fn)(genc_ctx *ctx, const char *name, genc_dist *d, genc_array *x,
                        genc_dtype dt);

static void each_dist(genc_ctx *ctx, genc_dtype dt, case_fn fn) {
  cJSON *all = td_load("dist_logpdf.json");
  char seen[64][32];
  int ns = 0;
  for (const cJSON *c = all->child; c; c = c->next) {
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(c, "dist"));
    int s = 0;
    while (s < ns && strcmp(seen[s], name))
      s++;
    if (s < ns) continue;
    snprintf(seen[ns++], sizeof seen[0], "%s", name);
    int64_t mark = genc_scope_begin(ctx);
    td_mix mix;
    genc_dist d = td_make_json(ctx, c, dt, &mix);
    genc_array *x = td_array(ctx, cJSON_GetObjectItem(c, "x"), dt);
    T_OK(ctx, x);
    fn(ctx, name, &d, x, dt);
    genc_scope_end(ctx, mark);
  }
  cJSON_Delete(all);
}

/* x with its first element replaced by v. */
static genc_array *with_first(genc_ctx *ctx, genc_array *x, double v) {
  int64_t n = genc_array_size(x);
  double *b = malloc((size_t)n * sizeof *b);
  if (genc_array_copy_out(ctx, x, b, n)) fail_msg("copy_out: %s", genc_ctx_error(ctx));
  b[0] = v;
  genc_array *r = genc_array_from(ctx, GENC_F64, genc_array_ndim(x), genc_array_shape(x), 0, b);
  free(b);
  return genc_astype(ctx, r, genc_array_dtype(x));
}

static void at_inf(genc_ctx *ctx, const char *name, genc_dist *d, genc_array *x, genc_dtype dt) {
  (void)dt;
  if (!strcmp(name, "delta")) return; /* a point mass: its parameter is its only value */
  for (int s = -1; s <= 1; s += 2) {
    genc_array *lp = genc_dist_logpdf(ctx, d, with_first(ctx, x, s * INFINITY));
    T_OK(ctx, lp);
    double v = t_item(ctx, lp);
    if (v != -INFINITY)
      fail_msg("%s: log density at %cinf is %g, not -inf", name, s > 0 ? '+' : '-', v);
  }
}

static void test_logpdf_at_inf(void **state) {
  genc_ctx *ctx = *state;
  genc_dist g = genc_gamma(ctx, 2.0, 1.0), vm = genc_von_mises(ctx, 0.0, 1.0);
  assert_true(t_item(ctx, genc_dist_logpdf(ctx, &g, genc_scalar(ctx, INFINITY))) == -INFINITY);
  assert_true(t_item(ctx, genc_dist_logpdf(ctx, &vm, genc_scalar(ctx, INFINITY))) == -INFINITY);
  assert_true(t_item(ctx, genc_dist_logpdf(ctx, &vm, genc_scalar(ctx, -INFINITY))) == -INFINITY);
  each_dist(ctx, GENC_F64, at_inf);
}

/* ---- 3. Student t at huge df ---- */

/* References: tools/fixtures/student_t_large_df.py (mpmath, 60 digits). */
static void test_student_t_large_df(void **state) {
  genc_ctx *ctx = *state;
  struct {
    double nu, x, loc, scale, want;
  } cs[3] = {{1e6, 0.7, 0.0, 1.0, -1.1639389681796322938},
             {1e10, -1.3, 0.25, 2.0, -1.9123982138106305586},
             {30.0, 2.5, 0.0, 1.0, -3.8605213197760359677}};
  for (int i = 0; i < 3; i++) {
    genc_dist d = genc_student_t(ctx, cs[i].nu, cs[i].loc, cs[i].scale);
    double v = t_item(ctx, genc_dist_logpdf(ctx, &d, genc_scalar(ctx, cs[i].x)));
    if (!(fabs(v - cs[i].want) <= 2e-15 * fabs(cs[i].want)))
      fail_msg("student_t(%g): %.17g, expected %.17g", cs[i].nu, v, cs[i].want);
  }
}

/* ---- 4. dtypes follow f32 inputs ---- */

static void f32_dtype(genc_ctx *ctx, const char *name, genc_dist *d, genc_array *x, genc_dtype dt) {
  (void)dt;
  genc_array *lp = genc_dist_logpdf(ctx, d, x);
  T_OK(ctx, lp);
  if (genc_array_dtype(lp) != GENC_F32)
    fail_msg("%s: f32 parameters and value give a %s log density", name,
             genc_dtype_name(genc_array_dtype(lp)));
  genc_array *s = genc_dist_sample(ctx, genc_key_from_seed(1), d, 0);
  T_OK(ctx, s);
  genc_dtype sd = genc_array_dtype(s);
  if (sd == GENC_F64) fail_msg("%s: f32 parameters give f64 draws", name);
}

static void test_f32_dtypes(void **state) { each_dist(*state, GENC_F32, f32_dtype); }

/* ---- 5. refused inputs ---- */

static void test_mixture_mixed_dtypes(void **state) {
  genc_ctx *ctx = *state;
  genc_dist comps[2] = {genc_normal(ctx, genc_scalar_of(ctx, 0, GENC_F32), 1.0),
                        genc_gamma(ctx, genc_scalar(ctx, 2), 1.0)};
  genc_mixture_comps mc = {2, comps};
  int64_t two = 2;
  genc_dist m = genc_mixture(ctx, &mc, genc_array_zeros(ctx, GENC_F32, 1, &two, 0));
  t_expect_error(ctx, genc_dist_sample(ctx, genc_key_from_seed(1), &m, 0), GENC_ERR_DTYPE,
                 "mixture", "component 1 (gamma)");
}

static void test_discrete_uniform_range(void **state) {
  genc_ctx *ctx = *state;
  genc_dist d = genc_discrete_uniform(ctx, -3e9, 3e9);
  t_expect_error(ctx, genc_dist_sample(ctx, genc_key_from_seed(1), &d, 0), GENC_ERR_DOMAIN,
                 "discrete_uniform", "parameter lo");
  d = genc_discrete_uniform(ctx, 0.0, 3e9);
  t_expect_error(ctx, genc_dist_sample(ctx, genc_key_from_seed(1), &d, 0), GENC_ERR_DOMAIN,
                 "discrete_uniform", "parameter hi");
  /* the whole i32 range is fine: mean -1/2, var ((hi - lo + 1)^2 - 1) / 12 */
  d = genc_discrete_uniform(ctx, (double)INT32_MIN, (double)INT32_MAX);
  int64_t n;
  double *v = draws_scored(ctx, &d, "discrete_uniform(i32 range)", &n);
  double w = 4294967296.0;
  check_mean("discrete_uniform(i32 range)", v, n, 1, 0, -0.5, (w * w - 1) / 12);
  free(v);
  /* f32 bounds: draws are not limited to the 2^24 grid of an f32 uniform */
  d = genc_discrete_uniform(ctx, genc_scalar_of(ctx, 0, GENC_F32),
                            genc_scalar_of(ctx, 1e9, GENC_F32));
  v = draws_scored(ctx, &d, "discrete_uniform(0, 1e9) f32", &n);
  int odd = 0;
  for (int64_t i = 0; i < n; i++)
    odd += fmod(v[i], 64.0) != 0; /* 1e9 / 2^24 ~ 60: a grid draw is a multiple of ~60 */
  assert_true(odd > n / 2);
  free(v);
}

static void test_categorical_all_neginf(void **state) {
  genc_ctx *ctx = *state;
  double l[6] = {0, 1, 2, -INFINITY, -INFINITY, -INFINITY};
  int64_t shape[2] = {2, 3};
  genc_array *logits = genc_array_from(ctx, GENC_F64, 2, shape, 0, l);
  t_expect_error(ctx, genc_random_categorical(ctx, genc_key_from_seed(1), logits, 0),
                 GENC_ERR_DOMAIN, "genc_random_categorical", "every logit is -inf");
  /* one finite logit: always that category */
  double l2[3] = {-INFINITY, 5, -INFINITY};
  int64_t three = 3;
  genc_array *c = genc_random_categorical(ctx, genc_key_from_seed(1),
                                          genc_array_from(ctx, GENC_F64, 1, &three, 0, l2), 50);
  T_OK(ctx, c);
  int64_t n;
  double *v = values(ctx, c, &n);
  for (int64_t i = 0; i < n; i++)
    assert_true(v[i] == 1);
  free(v);
}

/* ---- 6. the NaN rule: the log density of a NaN value is NaN ---- */

static void at_nan(genc_ctx *ctx, const char *name, genc_dist *d, genc_array *x, genc_dtype dt) {
  (void)dt;
  genc_array *lp = genc_dist_logpdf(ctx, d, with_first(ctx, x, NAN));
  T_OK(ctx, lp);
  double v = t_item(ctx, lp);
  if (!isnan(v)) fail_msg("%s: log density of a NaN value is %g, not NaN", name, v);
}

static void test_nan_value_scores_nan(void **state) {
  genc_ctx *ctx = *state;
  each_dist(ctx, GENC_F64, at_nan);
  each_dist(ctx, GENC_F32, at_nan);
  /* the scalar fast path follows the same rule */
  genc_dist ds[3] = {genc_uniform(ctx, 0.0, 1.0), genc_exponential(ctx, 1.0),
                     genc_normal(ctx, 0.0, 1.0)};
  for (int i = 0; i < 3; i++)
    assert_true(isnan(t_item(ctx, genc_dist_logpdf(ctx, &ds[i], genc_scalar(ctx, NAN)))));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gamma_tiny_shape),       cmocka_unit_test(test_beta_tiny),
      cmocka_unit_test(test_dirichlet_tiny),         cmocka_unit_test(test_truncated_normal_tail),
      cmocka_unit_test(test_uniform_huge),           cmocka_unit_test(test_logpdf_at_inf),
      cmocka_unit_test(test_student_t_large_df),     cmocka_unit_test(test_f32_dtypes),
      cmocka_unit_test(test_mixture_mixed_dtypes),   cmocka_unit_test(test_discrete_uniform_range),
      cmocka_unit_test(test_categorical_all_neginf), cmocka_unit_test(test_nan_value_scores_nan),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
