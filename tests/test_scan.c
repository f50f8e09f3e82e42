/* Scans (cumsum, cumlogsumexp) and searchsorted: values against libm loops,
 * gradients against central differences and, where exp overflows, against the
 * exact gradient written out in log space. */
#include "fdcheck.h"

static genc_array *from(genc_ctx *ctx, int64_t n, int ndim, const int64_t *shape, const double *v) {
  genc_array *a = genc_array_from(ctx, GENC_F64, ndim, shape, n, v);
  T_OK(ctx, a);
  return a;
}

static const double X[12] = {0.5, -1.0, 2.0, 0.25, 3.0, -0.5, 1.5, 1.0, -2.0, 0.0, 0.75, 4.0};

static void test_cumsum(void **state) {
  genc_ctx *ctx = *state;
  genc_array *x = from(ctx, 2, 2, (int64_t[]){2, 3}, X); /* 2 particles of [2, 3] */
  genc_array *c1 = genc_cumsum(ctx, x, -1), *c0 = genc_cumsum(ctx, x, 0);
  T_OK(ctx, c1);
  T_OK(ctx, c0);
  for (int p = 0; p < 2; p++)
    for (int r = 0; r < 2; r++) {
      double acc = 0;
      for (int c = 0; c < 3; c++) {
        int i = p * 6 + r * 3 + c;
        acc += X[i];
        T_CLOSE(t_at(ctx, c1, i), acc, 1e-15);
        T_CLOSE(t_at(ctx, c0, i), r ? X[i] + X[i - 3] : X[i], 1e-15);
      }
    }
  int32_t iv[4] = {1, 2, 3, 4};
  genc_array *ci = genc_cumsum(ctx, genc_array_from(ctx, GENC_I32, 1, (int64_t[]){4}, 0, iv), 0);
  T_OK(ctx, ci);
  assert_int_equal(genc_array_dtype(ci), GENC_I32);
  T_CLOSE(t_at(ctx, ci, 3), 10, 0);
  bool bv[3] = {true, false, true};
  genc_array *cb = genc_cumsum(ctx, genc_array_from(ctx, GENC_BOOL, 1, (int64_t[]){3}, 0, bv), 0);
  T_OK(ctx, cb);
  assert_int_equal(genc_array_dtype(cb), GENC_I32);
  T_CLOSE(t_at(ctx, cb, 2), 2, 0);
  t_expect_error(ctx, genc_cumsum(ctx, x, 2), GENC_ERR_AXIS, "cumsum", "rank 2");
  t_expect_error(ctx, genc_cumsum(ctx, genc_scalar(ctx, 1), 0), GENC_ERR_AXIS, "cumsum", NULL);
}

static void test_cumlogsumexp(void **state) {
  genc_ctx *ctx = *state;
  genc_array *x = from(ctx, 0, 2, (int64_t[]){3, 4}, X);
  genc_array *y = genc_cumlogsumexp(ctx, x, 0);
  T_OK(ctx, y);
  for (int c = 0; c < 4; c++) {
    double s = 0;
    for (int r = 0; r < 3; r++) {
      s += exp(X[r * 4 + c]);
      T_CLOSE(t_at(ctx, y, r * 4 + c), log(s), 1e-14);
    }
  }
  /* stable where exp overflows, and -inf (log 0) entries are neutral */
  double big[4] = {1000, 1000, -INFINITY, 999};
  y = genc_cumlogsumexp(ctx, from(ctx, 0, 1, (int64_t[]){4}, big), 0);
  T_OK(ctx, y);
  T_CLOSE(t_at(ctx, y, 1), 1000 + log(2.0), 1e-15);
  T_CLOSE(t_at(ctx, y, 2), 1000 + log(2.0), 1e-15);
  T_CLOSE(t_at(ctx, y, 3), 1000 + log(2.0 + exp(-1.0)), 1e-15);
  double ninf[2] = {-INFINITY, -INFINITY};
  y = genc_cumlogsumexp(ctx, from(ctx, 0, 1, (int64_t[]){2}, ninf), 0);
  assert_true(isinf(t_at(ctx, y, 1)) && t_at(ctx, y, 1) < 0);
  int32_t iv[2] = {0, 0};
  y = genc_cumlogsumexp(ctx, genc_array_from(ctx, GENC_I32, 1, (int64_t[]){2}, 0, iv), 0);
  assert_int_equal(genc_array_dtype(y), GENC_F64);
  T_CLOSE(t_at(ctx, y, 1), log(2.0), 1e-15);
  t_expect_error(ctx, genc_cumlogsumexp(ctx, x, -3), GENC_ERR_AXIS, "cumlogsumexp", NULL);
}

static genc_array *scan_fn(genc_ctx *ctx, genc_array *const *a, void *user) {
  int which = *(int *)user;
  genc_array *x = genc_sin(ctx, genc_mul(ctx, a[0], 2.0));
  return which == 0   ? genc_cumsum(ctx, x, 1)
         : which == 1 ? genc_cumlogsumexp(ctx, x, 1)
                      : genc_cumlogsumexp(ctx, x, 0);
}

static void test_grads(void **state) {
  genc_ctx *ctx = *state;
  for (int64_t n = 0; n <= 2; n += 2) {
    genc_array *x = from(ctx, n, 2, (int64_t[]){2, 3}, X);
    for (int which = 0; which < 3; which++) {
      double err = t_fdcheck(ctx, scan_fn, 1, &x, &which, 1u, 1e-6);
      assert_true(err < 1e-6);
    }
  }
}

static genc_array *cumlse0(genc_ctx *ctx, genc_array *const *a, void *user) {
  (void)user;
  return genc_cumlogsumexp(ctx, a[0], 0);
}

/* Values near 800 overflow exp: the vjp must still match the exact gradient
 * dx_j = sum_{i>=j} g_i exp(x_j - y_i), computed here term by term. */
static void test_grad_large(void **state) {
  genc_ctx *ctx = *state;
  double xv[4] = {800, 801.5, 799, 802}, gv[4] = {0.5, -2, 1, -0.25}, y[4], s = -INFINITY;
  for (int i = 0; i < 4; i++) {
    double m = fmax(s, xv[i]);
    s = m + log(exp(s - m) + exp(xv[i] - m));
    y[i] = s;
  }
  genc_array *x = from(ctx, 0, 1, (int64_t[]){4}, xv), *g[1], *out;
  genc_array *cot = from(ctx, 0, 1, (int64_t[]){4}, gv);
  assert_int_equal(genc_vjp(ctx, cumlse0, 1, &x, NULL, 1u, cot, &out, g), GENC_OK);
  for (int j = 0; j < 4; j++) {
    double want = 0;
    for (int i = j; i < 4; i++)
      want += gv[i] * exp(xv[j] - y[i]);
    T_CLOSE(t_at(ctx, g[0], j), want, 1e-12);
  }
}

/* Leading -inf inputs (zero weights in log space) get a zero gradient, not NaN;
 * the others keep the exact gradient. */
static void test_grad_neg_inf(void **state) {
  genc_ctx *ctx = *state;
  double xv[3] = {-INFINITY, 0, 1}, gv[3] = {0.5, 1, 2}, y2 = log(1 + exp(1.0));
  genc_array *x = from(ctx, 0, 1, (int64_t[]){3}, xv), *g[1], *out;
  genc_array *cot = from(ctx, 0, 1, (int64_t[]){3}, gv);
  assert_int_equal(genc_vjp(ctx, cumlse0, 1, &x, NULL, 1u, cot, &out, g), GENC_OK);
  T_CLOSE(t_at(ctx, g[0], 0), 0, 0);
  T_CLOSE(t_at(ctx, g[0], 1), gv[1] + gv[2] * exp(-y2), 1e-14);
  T_CLOSE(t_at(ctx, g[0], 2), gv[2] * exp(1 - y2), 1e-14);
}

static void test_searchsorted(void **state) {
  genc_ctx *ctx = *state;
  double sv[5] = {1, 2, 2, 3, 5}, q[6] = {0, 1, 2, 2.5, 5, 6};
  genc_array *s = from(ctx, 0, 1, (int64_t[]){5}, sv), *v = from(ctx, 0, 1, (int64_t[]){6}, q);
  genc_array *l = genc_searchsorted(ctx, s, v, false), *r = genc_searchsorted(ctx, s, v, true);
  T_OK(ctx, l);
  T_OK(ctx, r);
  assert_int_equal(genc_array_dtype(l), GENC_I32);
  int wl[6] = {0, 0, 1, 3, 4, 5}, wr[6] = {0, 1, 3, 3, 5, 5}; /* numpy.searchsorted */
  for (int i = 0; i < 6; i++) {
    T_CLOSE(t_at(ctx, l, i), wl[i], 0);
    T_CLOSE(t_at(ctx, r, i), wr[i], 0);
  }
  /* batched sorted rows (per-particle CDFs) against one shared 0-d query */
  double cdf[6] = {0.2, 0.5, 1.0, 0.6, 0.9, 1.0};
  genc_array *sb = from(ctx, 2, 1, (int64_t[]){3}, cdf);
  genc_array *y = genc_searchsorted(ctx, sb, genc_scalar(ctx, 0.55), false);
  T_OK(ctx, y);
  assert_int_equal(genc_array_nparticles(y), 2);
  assert_int_equal(genc_array_ndim(y), 0);
  T_CLOSE(t_at(ctx, y, 0), 2, 0);
  T_CLOSE(t_at(ctx, y, 1), 0, 0);
  /* leading dims broadcast: sorted [2, 3] rows against v [1, 2] */
  genc_array *s2 = from(ctx, 0, 2, (int64_t[]){2, 3}, cdf);
  genc_array *v2 = from(ctx, 0, 2, (int64_t[]){1, 2}, (double[]){0.3, 0.95});
  y = genc_searchsorted(ctx, s2, v2, false);
  T_OK(ctx, y);
  assert_int_equal(genc_array_ndim(y), 2);
  assert_int_equal(genc_array_shape(y)[0], 2);
  int w2[4] = {1, 2, 0, 2};
  for (int i = 0; i < 4; i++)
    T_CLOSE(t_at(ctx, y, i), w2[i], 0);
  /* i32 sorted against f64 values: compared in f64 */
  int32_t iv[3] = {1, 3, 5};
  y = genc_searchsorted(ctx, genc_array_from(ctx, GENC_I32, 1, (int64_t[]){3}, 0, iv),
                        genc_scalar(ctx, 3.5), false);
  T_CLOSE(t_item(ctx, y), 2, 0);
  t_expect_error(ctx, genc_searchsorted(ctx, genc_scalar(ctx, 1), v, false), GENC_ERR_SHAPE,
                 "searchsorted", NULL);
  genc_array *v3 = from(ctx, 0, 2, (int64_t[]){3, 1}, q);
  t_expect_error(ctx, genc_searchsorted(ctx, s2, v3, false), GENC_ERR_SHAPE, "[2, 3]", "[3, 1]");
  genc_array *v4 = from(ctx, 3, 0, NULL, q);
  t_expect_error(ctx, genc_searchsorted(ctx, sb, v4, false), GENC_ERR_PARTICLE, "searchsorted",
                 NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_cumsum, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_cumlogsumexp, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_grads, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_grad_large, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_grad_neg_inf, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_searchsorted, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
