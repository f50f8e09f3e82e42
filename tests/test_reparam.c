/*
 * Implicit reparameterization of the gamma family (gamma, inverse gamma, beta,
 * Dirichlet, Student's t, Wishart and inverse Wishart all draw through the
 * gamma samplers, whose vjp moves a draw along its quantile).
 *
 * 1. d log z / da of Gamma(a, 1) against mpmath at 60 digits
 *    (tests/fixtures/gamma_reparam.json, tools/fixtures/gamma_reparam.py), shapes
 *    1e-3 .. 1e3, probabilities 1e-10 .. 1 - 1e-10, through the array op (so on
 *    the GPU too under GENC_TEST_DEVICE=cuda). Tolerance 1e-12 relative: the
 *    series and the forward-mode continued fraction measured 1.2e-14 at worst.
 * 2. The gradient of the samplers is that function of their own draws.
 * 3. Unbiasedness: for each distribution a mean m(theta) known in closed form,
 *    the average over N = 20000 particles of d x / d theta (per-particle
 *    gradients of a batched parameter) matches dm/dtheta within 5 standard
 *    errors (sample sd / sqrt(N)), at a fixed seed. A wrong derivative (the
 *    Marsaglia-Tsang path derivative, say) is biased and fails this.
 */
#include "array/internal.h"
#include "backend/specfun.h"
#include "test_dist_common.h"

static void test_fixture(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  cJSON *all = td_load("gamma_reparam.json");
  int n = cJSON_GetArraySize(all);
  assert_true(n >= 50);
  double *a = malloc((size_t)n * sizeof *a), *lz = malloc((size_t)n * sizeof *lz);
  double *want = malloc((size_t)n * sizeof *want);
  for (int i = 0; i < n; i++) {
    const cJSON *r = cJSON_GetArrayItem(all, i);
    a[i] = td_num(cJSON_GetArrayItem(r, 0));
    lz[i] = td_num(cJSON_GetArrayItem(r, 2));
    want[i] = td_num(cJSON_GetArrayItem(r, 3));
  }
  genc_array *ga = genc_array_vec(ctx, n, a), *gl = genc_array_vec(ctx, n, lz);
  genc_array *d = genc__gamma_sample_grad(ctx, gl, ga, true);
  genc_array *dz = genc__gamma_sample_grad(ctx, genc_exp(ctx, gl), ga, false);
  T_OK(ctx, d);
  T_OK(ctx, dz);
  for (int i = 0; i < n; i++) {
    double got = t_at(ctx, d, i);
    if (!(fabs(got - want[i]) <= 1e-12 * fabs(want[i])))
      fail_msg("a = %g, log z = %.17g: d log z/da %.17g, want %.17g", a[i], lz[i], got, want[i]);
    /* dz/da = z d log z/da where z is a double; 0 where it underflows */
    double z = exp(lz[i]), gz = t_at(ctx, dz, i);
    if (z > 1e-300) T_CLOSE(gz, z * want[i], 1e-12);
    if (z == 0) T_CLOSE(gz, 0, 0);
  }
  free(a), free(lz), free(want);
  cJSON_Delete(all);
  genc_ctx_free(ctx);
}

static genc_array *gamma_sum(genc_ctx *ctx, genc_array *const *args, void *user) {
  bool lg = *(const bool *)user;
  genc_key k = genc_key_from_seed(5);
  return genc_sum_all(ctx, lg ? genc_random_log_gamma(ctx, k, args[0], 0)
                              : genc_random_gamma(ctx, k, args[0], 0));
}

static void test_sampler_vjp(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  double av[6] = {0.002, 0.3, 1.0, 2.5, 40.0, 900.0};
  genc_array *a = genc_array_vec(ctx, 6, av), *g;
  for (int lg = 0; lg < 2; lg++) {
    bool l = lg;
    assert_int_equal(genc_grad(ctx, gamma_sum, 1, &a, &l, 1u, &g), GENC_OK);
    genc_key k = genc_key_from_seed(5);
    genc_array *z = l ? genc_random_log_gamma(ctx, k, a, 0) : genc_random_gamma(ctx, k, a, 0);
    for (int i = 0; i < 6; i++) {
      double zi = t_at(ctx, z, i);
      double want = l ? genc_sf_gamma_dlogz_da(zi, av[i]) : genc_sf_gamma_dz_da(zi, av[i]);
      /* the same function of the same draw: equal on the CPU; on the GPU libdevice's
       * exp/log/lgamma differ from glibc's by an ulp or so, amplified by the series */
      T_CLOSE(t_at(ctx, g, i), want, 1e-13);
    }
  }
  genc_ctx_free(ctx);
}

/* ---- unbiasedness of the reparameterized gradient of a mean ---- */

#define NP 20000

typedef struct mcase {
  const char *what;
  genc_dist (*make)(genc_ctx *ctx, genc_array *theta, const double *fixed);
  double theta;             /* the differentiated parameter */
  double fixed[4];          /* the others */
  double (*stat)(double x); /* NULL: x itself */
  int64_t elem;             /* element of the event read (0 for scalars) */
  double dmean;             /* d E[stat(x_elem)] / d theta, exact */
} mcase;

static genc_dist mk_gamma_a(genc_ctx *c, genc_array *t, const double *f) {
  return genc_gamma(c, t, f[0]);
}
static genc_dist mk_gamma_rate(genc_ctx *c, genc_array *t, const double *f) {
  return genc_gamma(c, f[0], t);
}
static genc_dist mk_inv_gamma(genc_ctx *c, genc_array *t, const double *f) {
  return genc_inv_gamma(c, t, f[0]);
}
static genc_dist mk_beta_a(genc_ctx *c, genc_array *t, const double *f) {
  return genc_beta(c, t, f[0]);
}
static genc_dist mk_beta_b(genc_ctx *c, genc_array *t, const double *f) {
  return genc_beta(c, f[0], t);
}
/* Dirichlet(theta, f0, f1): alpha as a concatenation, so theta is one element */
static genc_dist mk_dirichlet(genc_ctx *c, genc_array *t, const double *f) {
  int64_t one = 1;
  genc_array *parts[3] = {genc_reshape(c, t, 1, &one), genc_array_vec(c, 1, &f[0]),
                          genc_array_vec(c, 1, &f[1])};
  return genc_dirichlet(c, genc_concat(c, 3, parts, 0));
}
static genc_dist mk_student_df(genc_ctx *c, genc_array *t, const double *f) {
  return genc_student_t(c, t, f[0], f[1]);
}
/* Wishart(theta, S) with S = [[f0, f1], [f1, f2]] */
static genc_array *mat2(genc_ctx *c, const double *f) {
  double s[4] = {f[0], f[1], f[1], f[2]};
  return genc_array_mat(c, 2, 2, s);
}
static genc_dist mk_wishart_df(genc_ctx *c, genc_array *t, const double *f) {
  return genc_wishart(c, t, mat2(c, f));
}
static genc_dist mk_inv_wishart_df(genc_ctx *c, genc_array *t, const double *f) {
  return genc_inv_wishart(c, t, mat2(c, f));
}

static double sq(double x) { return x * x; }

static const mcase mcases[] = {
    /* E x = a / rate */
    {"gamma shape 0.3", mk_gamma_a, 0.3, {2.0}, NULL, 0, 0.5},
    {"gamma shape 1", mk_gamma_a, 1.0, {2.0}, NULL, 0, 0.5},
    {"gamma shape 4.5", mk_gamma_a, 4.5, {2.0}, NULL, 0, 0.5},
    {"gamma shape 150", mk_gamma_a, 150.0, {2.0}, NULL, 0, 0.5},
    {"gamma rate", mk_gamma_rate, 2.0, {3.0}, NULL, 0, -3.0 / 4.0},
    /* E x = scale / (shape - 1) */
    {"inv_gamma shape", mk_inv_gamma, 6.0, {2.0}, NULL, 0, -2.0 / 25.0},
    /* E x = a / (a + b): d/da = b / (a + b)^2, d/db = -a / (a + b)^2 */
    {"beta a", mk_beta_a, 2.0, {3.0}, NULL, 0, 3.0 / 25.0},
    {"beta b", mk_beta_b, 3.0, {0.4}, NULL, 0, -0.4 / (3.4 * 3.4)},
    /* E x_0 = a_0 / sum a: d/da_0 = (sum a - a_0) / (sum a)^2 */
    {"dirichlet alpha_0", mk_dirichlet, 1.5, {2.0, 0.5}, NULL, 0, 2.5 / 16.0},
    {"dirichlet x_1 by alpha_0", mk_dirichlet, 1.5, {2.0, 0.5}, NULL, 1, -2.0 / 16.0},
    /* E x^2 = scale^2 df / (df - 2) (loc 0): d/ddf = -2 scale^2 / (df - 2)^2 */
    {"student_t df (second moment)", mk_student_df, 10.0, {0.0, 1.5}, sq, 0, -2.0 * 2.25 / 64.0},
    /* E W = df S; E W^-1 (inverse Wishart) = S / (df - k - 1), k = 2 */
    {"wishart df", mk_wishart_df, 5.0, {2.0, 0.3, 1.0}, NULL, 0, 2.0},
    {"inv_wishart df", mk_inv_wishart_df, 9.0, {2.0, 0.3, 1.0}, NULL, 3, -1.0 / 36.0},
};

static genc_array *mean_fn(genc_ctx *ctx, genc_array *const *args, void *user) {
  const mcase *m = user;
  genc_dist d = m->make(ctx, args[0], m->fixed);
  genc_array *x = genc_dist_rsample(ctx, genc_key_from_seed(2026), &d, 0);
  if (!x) return NULL;
  if (genc_array_ndim(x) > 0) x = genc_reshape(ctx, x, 1, (int64_t[]){-1});
  genc_array *e = genc_array_ndim(x) > 0
                      ? genc_squeeze(ctx, genc_slice(ctx, x, 0, m->elem, m->elem + 1, 1), 0)
                      : x;
  return m->stat ? genc_square(ctx, e) : e;
}

static void test_unbiased(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  double *buf = malloc(NP * sizeof *buf);
  for (size_t c = 0; c < sizeof mcases / sizeof mcases[0]; c++) {
    const mcase *m = &mcases[c];
    int64_t mark = genc_scope_begin(ctx);
    for (int i = 0; i < NP; i++)
      buf[i] = m->theta;
    int64_t none = 0;
    genc_array *theta = genc_array_from(ctx, GENC_F64, 0, &none, NP, buf), *g, *v;
    if (genc_value_and_grad(ctx, mean_fn, 1, &theta, (void *)m, 1u, &v, &g) != GENC_OK)
      fail_msg("%s: %s", m->what, genc_ctx_error(ctx));
    assert_int_equal(genc_array_nparticles(g), NP);
    genc_array_copy_out(ctx, g, buf, NP);
    double s = 0, s2 = 0;
    for (int i = 0; i < NP; i++)
      s += buf[i], s2 += buf[i] * buf[i];
    double mean = s / NP, se = sqrt((s2 / NP - mean * mean) / NP);
    if (!(fabs(mean - m->dmean) <= 5 * se))
      fail_msg("%s: mean gradient %.6g, exact %.6g (se %.3g)", m->what, mean, m->dmean, se);
    genc_scope_end(ctx, mark);
  }
  free(buf);
  genc_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_fixture),
                                     cmocka_unit_test(test_sampler_vjp),
                                     cmocka_unit_test(test_unbiased)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
