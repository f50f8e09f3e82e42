/* The log density on the unconstrained space: supports recorded by the GFI,
 * the transforms' log-Jacobians and gradients by finite differences, round
 * trips, and the error naming a bad initial point. */
#include "testutil.h"

/* positive (gamma), unit interval (beta), simplex (dirichlet), interval
 * (uniform), real (normal), observed y. */
static genc_array *model(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *s = GENC_TRACE(rt, "s", genc_gamma(ctx, 2.0, 1.5));
  genc_array *p = GENC_TRACE(rt, "p", genc_beta(ctx, 2.0, 3.0));
  double al[3] = {1.5, 2.0, 3.0};
  genc_array *w = GENC_TRACE(rt, "w", genc_dirichlet(ctx, genc_array_vec(ctx, 3, al)));
  genc_array *u = GENC_TRACE(rt, "u", genc_uniform(ctx, -1.0, 2.0));
  genc_array *m = GENC_TRACE(rt, "m", genc_normal(ctx, u, s));
  genc_array *mu = genc_add(ctx, genc_mul(ctx, p, m), genc_sum_all(ctx, genc_mul(ctx, w, w)));
  GENC_TRACE(rt, "y", genc_normal(ctx, mu, 1.0));
  return m;
}

static const char *const addrs[] = {"s", "p", "w", "u", "m"};

static genc_logdensity *make(genc_ctx *ctx, genc_gf **gfo) {
  genc_gf *gf = genc_gf_dynamic("ldm", model, 0, NULL);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  genc_choicemap_set_str(ctx, obs, "y", genc_scalar(ctx, 0.7));
  genc_trace *t = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(3), 0, NULL);
  T_OK(ctx, t);
  genc_logdensity *ld = genc_logdensity_new(ctx, gf, NULL, obs, 5, addrs, t);
  T_OK(ctx, ld);
  genc_trace_release(t);
  genc_choicemap_free(obs);
  *gfo = gf;
  return ld;
}

static void test_support(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("ldm", model, 0, NULL);
  genc_trace *t = genc_gf_simulate(ctx, gf, NULL, genc_key_from_seed(1), 0);
  genc_support_info si;
  assert_int_equal(genc_trace_support(ctx, t, "s", &si), GENC_OK);
  assert_int_equal(si.support.kind, GENC_SUPPORT_POSITIVE);
  assert_int_equal(genc_trace_support(ctx, t, "w", &si), GENC_OK);
  assert_int_equal(si.support.kind, GENC_SUPPORT_SIMPLEX);
  assert_int_equal(genc_trace_support(ctx, t, "u", &si), GENC_OK);
  assert_int_equal(si.support.kind, GENC_SUPPORT_INTERVAL);
  T_CLOSE(t_item(ctx, si.lo), -1.0, 0);
  T_CLOSE(t_item(ctx, si.hi), 2.0, 0);
  assert_string_equal(si.dist->name, "uniform");
  assert_int_equal(genc_trace_support(ctx, t, "nope", &si), GENC_ERR_ADDRESS);
  genc_trace_release(t);
  genc_gf_release(gf);
}

/* Gradient against central differences (step 1e-6: error ~ h^2 f''' ~ 1e-10,
 * rounding ~ 1e-16 / 1e-6 = 1e-10; tolerance 1e-5). */
static void test_gradient_fd(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf;
  genc_logdensity *ld = make(ctx, &gf);
  int64_t d = genc_logdensity_dim(ld);
  assert_int_equal(d, 1 + 1 + 2 + 1 + 1);
  assert_int_equal(genc_logdensity_constrained_dim(ld), 7);
  assert_string_equal(genc_logdensity_param_name(ld, 3), "w.2");
  double th[6] = {0.3, -0.4, 0.2, -0.7, 0.5, 0.9}, g[6], lp;
  assert_int_equal(genc_logdensity_eval(ctx, ld, th, &lp, g), GENC_OK);
  for (int i = 0; i < d; i++) {
    double h = 1e-6, a[6], b[6], la, lb;
    memcpy(a, th, sizeof th), memcpy(b, th, sizeof th);
    a[i] += h, b[i] -= h;
    genc_logdensity_eval(ctx, ld, a, &la, NULL);
    genc_logdensity_eval(ctx, ld, b, &lb, NULL);
    T_CLOSE(g[i], (la - lb) / (2 * h), 1e-5);
  }
  /* batched: the same values for each of 3 points */
  double tb[18], gb[18], lb3[3];
  for (int p = 0; p < 3; p++)
    for (int i = 0; i < 6; i++)
      tb[p * 6 + i] = th[i] + 0.1 * p;
  assert_int_equal(genc_logdensity_eval_batch(ctx, ld, 3, tb, lb3, gb), GENC_OK);
  for (int p = 0; p < 3; p++) {
    double l1, g1[6];
    genc_logdensity_eval(ctx, ld, tb + p * 6, &l1, g1);
    T_CLOSE(lb3[p], l1, 1e-12);
    for (int i = 0; i < 6; i++)
      T_CLOSE(gb[p * 6 + i], g1[i], 1e-10);
  }
  genc_logdensity_free(ld);
  genc_gf_release(gf);
}

/* Evaluations through the captured graph (ON: compiled, blocking; AUTO: in
 * the background, replays interpreted until it loads) equal the eager ones:
 * the interpreter replays the eager kernels bit for bit, and compiled code
 * differs from them only where it calls glibc's scalar maths for the vector
 * maths of the eager loops (a few ulps: 1e-12 relative here, far below any
 * wrong op's error), unbatched and for a batch of 3, with and without the
 * gradient, and again after a second capture for another batch size. */
static void test_compiled(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf, *gf2;
  genc_logdensity *ld = make(ctx, &gf), *le = make(ctx, &gf2);
  genc_gf_release(gf2);
  int mode[2] = {GENC_COMPILE_ON, GENC_COMPILE_AUTO};
  for (int m = 0; m < 2; m++) {
    assert_int_equal(genc_logdensity_set_compile(ctx, ld, (genc_compile_mode)mode[m]), GENC_OK);
    assert_false(genc_logdensity_captured(ld));
    for (int rep = 0; rep < 3; rep++)
      for (int k = 0; k < 4; k++) {
        double th[18], g[18], ge[18], lp[3], lpe[3];
        int n = k < 2 ? 1 : 3;
        for (int i = 0; i < 6 * n; i++)
          th[i] = 0.3 * sin(1.7 * i + rep + 0.5 * k);
        bool grad = k % 2 == 0;
        if (n == 1) {
          assert_int_equal(genc_logdensity_eval(ctx, ld, th, lp, grad ? g : NULL), GENC_OK);
          assert_int_equal(genc_logdensity_eval(ctx, le, th, lpe, grad ? ge : NULL), GENC_OK);
        } else {
          assert_int_equal(genc_logdensity_eval_batch(ctx, ld, 3, th, lp, grad ? g : NULL),
                           GENC_OK);
          assert_int_equal(genc_logdensity_eval_batch(ctx, le, 3, th, lpe, grad ? ge : NULL),
                           GENC_OK);
        }
        /* CUDA contexts evaluate eagerly (capture is CPU only) */
        assert_true(genc_logdensity_captured(ld) == (genc_ctx_device(ctx) == GENC_CPU));
        for (int p = 0; p < n; p++)
          T_CLOSE(lp[p], lpe[p], 1e-12 * fabs(lpe[p]));
        for (int i = 0; grad && i < 6 * n; i++)
          T_CLOSE(g[i], ge[i], 1e-12 * (1 + fabs(ge[i])));
      }
  }
  assert_int_equal(genc_logdensity_set_compile(ctx, ld, (genc_compile_mode)7), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "genc_logdensity_set_compile"));
  genc_logdensity_free(ld), genc_logdensity_free(le);
  genc_gf_release(gf);
}

/* log|J| against the log-determinant of the finite-difference Jacobian of
 * the one-to-one map theta -> (s, p, w1, w2, u, m) (w3 = 1 - w1 - w2 dropped,
 * Stan's convention), and the round trip through a trace. */
static void test_jacobian_roundtrip(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf;
  genc_logdensity *ld = make(ctx, &gf);
  double th[6] = {0.3, -0.4, 0.2, -0.7, 0.5, 0.9}, x[7], lj;
  genc_logdensity_constrain(ctx, ld, th, x, &lj);
  const int keep[6] = {0, 1, 2, 3, 5, 6};
  double J[6][6];
  for (int j = 0; j < 6; j++) {
    double a[6], b[6], xa[7], xb[7], h = 1e-6;
    memcpy(a, th, sizeof th), memcpy(b, th, sizeof th);
    a[j] += h, b[j] -= h;
    genc_logdensity_constrain(ctx, ld, a, xa, NULL);
    genc_logdensity_constrain(ctx, ld, b, xb, NULL);
    for (int i = 0; i < 6; i++)
      J[i][j] = (xa[keep[i]] - xb[keep[i]]) / (2 * h);
  }
  double det = 1; /* Gaussian elimination with partial pivoting */
  for (int c = 0; c < 6; c++) {
    int piv = c;
    for (int r = c + 1; r < 6; r++)
      if (fabs(J[r][c]) > fabs(J[piv][c])) piv = r;
    if (piv != c)
      for (int k = 0; k < 6; k++) {
        double tmp = J[c][k];
        J[c][k] = J[piv][k], J[piv][k] = tmp;
      }
    det *= J[c][c];
    for (int r = c + 1; r < 6; r++) {
      double f = J[r][c] / J[c][c];
      for (int k = c; k < 6; k++)
        J[r][k] -= f * J[c][k];
    }
  }
  T_CLOSE(lj, log(fabs(det)), 1e-6);
  T_CLOSE(x[2] + x[3] + x[4], 1.0, 1e-14);
  /* round trip: constrained values into a trace, back to theta */
  genc_choicemap *cm = genc_choicemap_new(ctx);
  genc_choicemap_set_str(ctx, cm, "s", genc_scalar(ctx, x[0]));
  genc_choicemap_set_str(ctx, cm, "p", genc_scalar(ctx, x[1]));
  genc_choicemap_set_str(ctx, cm, "w", genc_array_vec(ctx, 3, x + 2));
  genc_choicemap_set_str(ctx, cm, "u", genc_scalar(ctx, x[5]));
  genc_choicemap_set_str(ctx, cm, "m", genc_scalar(ctx, x[6]));
  genc_trace *t = genc_gf_generate(ctx, gf, NULL, cm, genc_key_from_seed(2), 0, NULL);
  T_OK(ctx, t);
  double back[6];
  assert_int_equal(genc_logdensity_unconstrain(ctx, ld, t, back), GENC_OK);
  for (int i = 0; i < 6; i++)
    T_CLOSE(back[i], th[i], 1e-9);
  genc_trace_release(t);
  genc_choicemap_free(cm);
  genc_logdensity_free(ld);
  genc_gf_release(gf);
}

static genc_array *bad_model(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *a = GENC_TRACE(rt, "a", genc_normal(ctx, 0.0, 1.0));
  return GENC_TRACE(rt, "b", genc_uniform(ctx, 0.0, 1.0)) ? a : NULL;
}

/* A point the model gives probability zero names the address and value; a
 * discrete choice is refused naming its support. */
static void test_errors(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("bad", bad_model, 0, NULL);
  genc_trace *t = genc_gf_simulate(ctx, gf, NULL, genc_key_from_seed(1), 0);
  const char *ab[] = {"a", "b"};
  genc_logdensity *ld = genc_logdensity_new(ctx, gf, NULL, NULL, 2, ab, t);
  T_OK(ctx, ld);
  double th[2] = {0.0, 0.0};
  assert_int_equal(genc_logdensity_check_init(ctx, ld, th), GENC_OK);
  th[0] = INFINITY;
  assert_int_equal(genc_logdensity_check_init(ctx, ld, th), GENC_ERR_DOMAIN);
  assert_non_null(strstr(genc_ctx_error(ctx), "at a"));
  assert_non_null(strstr(genc_ctx_error(ctx), "inf"));
  genc_logdensity_free(ld);
  genc_trace_release(t);
  genc_gf_release(gf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_support),
      cmocka_unit_test(test_gradient_fd),
      cmocka_unit_test(test_jacobian_roundtrip),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_compiled),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
