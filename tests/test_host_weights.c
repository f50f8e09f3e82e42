/* The host log-weight kernels of genc/array.h (src/array/host_weights.c; the
 * SMC driver's weight passes): w += v with the
 * NaN rule and the max, then the exps exp(w - max) by libmvec and their
 * compensated sum and sum of squares in eight lanes. Against a scalar
 * reference: exps within 4 ulp of libm's (libmvec's bound), sums within a few
 * ulp of a long-double sum, bit-identical results with and without a buffer
 * for the exps, and compensation that keeps many tiny weights after a large
 * one (a plain f64 sum drops them all). */
#include "testutil.h"

#include <float.h>

/* Sizes around the lane width (8) and the block (512). */
static const int64_t SIZES[] = {1, 2, 7, 8, 9, 15, 16, 17, 511, 512, 513, 1031, 4099};

static void test_add_max_rule(void **state) {
  (void)state;
  double w[11] = {0, -INFINITY, 1, 2, -INFINITY, 3, -1, 0.5, 7, -2, 4};
  const double v[11] = {1, INFINITY, -INFINITY, 0.25, -1, NAN, 2, 0, -0.5, 9.5, 0};
  double mx = genc_host_logw_add(w, v, 11);
  /* -inf + inf and 3 + NaN are NaN: zero weight (-inf); the rest add */
  const double want[11] = {1, -INFINITY, -INFINITY, 2.25, -INFINITY, -INFINITY,
                           1, 0.5,       6.5,       7.5,  4};
  for (int i = 0; i < 11; i++)
    assert_true(w[i] == want[i]);
  assert_true(mx == 7.5); /* index 9: in the scalar tail after the one group of 8 */
  double z[3] = {-INFINITY, -INFINITY, -INFINITY}, zv[3] = {0, 0, 0};
  assert_true(genc_host_logw_add(z, zv, 3) == -INFINITY);
  assert_true(genc_host_logw_add(z, zv, 0) == -INFINITY);
  /* the max in lane 6 of a group, the tail below it */
  double t[11] = {0}, tv[11] = {0};
  tv[6] = 5, tv[10] = 4;
  assert_true(genc_host_logw_add(t, tv, 11) == 5);
}

/* ulps between a and b (finite, same sign or zero). */
static double ulps(double a, double b) {
  if (a == b) return 0;
  double d = fabs(a - b), m = fmax(fabs(a), fabs(b));
  return d / (m * DBL_EPSILON);
}

static void test_exp_sums_match_scalar(void **state) {
  (void)state;
  for (size_t k = 0; k < sizeof SIZES / sizeof *SIZES; k++) {
    int64_t n = SIZES[k];
    double *w = malloc((size_t)n * sizeof *w), *e = malloc((size_t)n * sizeof *e);
    for (int64_t i = 0; i < n; i++) /* spread over [-40, 0], a few zero weights */
      w[i] = i % 13 == 5 ? -INFINITY : -20 - 20 * sin(0.7 * (double)i + 0.1 * (double)(i * i));
    double mx = -INFINITY;
    for (int64_t i = 0; i < n; i++)
      mx = w[i] > mx ? w[i] : mx;
    double got[2], nobuf[2];
    genc_host_exp_sums(w, n, mx, e, got);
    genc_host_exp_sums(w, n, mx, NULL, nobuf);
    /* the buffer changes nothing: the same lanes, the same bits */
    assert_memory_equal(got, nobuf, sizeof got);
    long double s = 0, s2 = 0;
    for (int64_t i = 0; i < n; i++) {
      double x = exp(w[i] - mx);
      /* libmvec's bound (4 ulp); -inf gives exactly 0 */
      if (x == 0)
        assert_true(e[i] == 0 || (w[i] != -INFINITY && e[i] < 1e-300));
      else
        assert_true(ulps(e[i], x) <= 4);
      s += e[i], s2 += (long double)e[i] * e[i];
    }
    /* compensated: within 2 ulp of the exact sum of the e; the squares plain,
     * n eps at most (every term >= 0) */
    assert_true(ulps(got[0], (double)s) <= 2);
    assert_true(fabs(got[1] - (double)s2) <= (double)n * DBL_EPSILON * (double)s2);
    free(w);
    free(e);
  }
}

/* Log weights far below the max (importance weights from a prior): below
 * -746 the exps skip the vector call and are exactly 0, in the subnormal band
 * above it they are libm's own (libmvec's fallback for those lanes), and the
 * sums are those of the exps. */
static void test_exp_sums_far_below(void **state) {
  (void)state;
  int64_t n = 1031;
  double *w = malloc((size_t)n * sizeof *w), *e = malloc((size_t)n * sizeof *e), got[2];
  for (int64_t i = 0; i < n; i++)
    w[i] = i == 17 ? 0 : i % 97 == 3 ? -INFINITY : -1000.0 * (double)((i * 37) % n) / (double)n;
  genc_host_exp_sums(w, n, 0, e, got);
  long double s = 0;
  int under = 0, band = 0;
  for (int64_t i = 0; i < n; i++) {
    if (w[i] < -746) {
      assert_true(e[i] == 0 && !signbit(e[i]));
      under++;
    } else if (w[i] < -709) {
      assert_true(e[i] == exp(w[i])); /* subnormal or near it: the scalar exp's bits */
      band++;
    } else
      assert_true(ulps(e[i], exp(w[i])) <= 4);
    s += e[i];
  }
  assert_true(under > 200 && band > 20);
  assert_true(ulps(got[0], (double)s) <= 2);
  free(w);
  free(e);
}

static void test_exp_sums_compensated(void **state) {
  (void)state;
  /* one weight 1 and 2^20 of 2^-60 each (log weights 0 and -60 log 2), all
   * in lane 3 (the other lanes zero weights): the total is 1 + 2^-40; each
   * tiny one alone is below half an ulp of 1, so a plain running sum, in
   * lanes or not, would stay at 1 */
  int64_t n = (int64_t)8 << 20;
  double *w = malloc((size_t)n * sizeof *w);
  for (int64_t i = 0; i < n; i++)
    w[i] = i == 3 ? 0 : i % 8 == 3 ? -60 * log(2.0) : -INFINITY;
  double out[2];
  genc_host_exp_sums(w, n, 0, NULL, out);
  double tiny = exp(-60 * log(2.0)); /* within 4 ulp of 2^-60, as libmvec's */
  double want = 1 + (double)((n >> 3) - 1) * tiny;
  assert_true(fabs(out[0] - want) <= 2 * DBL_EPSILON);
  assert_true(out[0] > 1 + 0.5 * ldexp(1, -40));
  free(w);
}

/* NULL buffers with elements to read: NaN, not a crash; nothing to read: the
 * empty results. */
static void test_bad_buffers(void **state) {
  (void)state;
  double w[2] = {0, 1}, out[2] = {7, 7};
  assert_true(isnan(genc_host_logw_add(NULL, w, 2)));
  assert_true(isnan(genc_host_logw_add(w, NULL, 2)));
  assert_true(genc_host_logw_add(NULL, NULL, 0) == -INFINITY);
  genc_host_exp_sums(NULL, 2, 0, NULL, out);
  assert_true(isnan(out[0]) && isnan(out[1]));
  genc_host_exp_sums(NULL, 0, 0, NULL, out);
  assert_true(out[0] == 0 && out[1] == 0);
}

static genc_status view_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                           genc_array **out, void *user) {
  (void)keys;
  *(const double **)user = genc_array_host_f64(ctx, in[0], 6);
  out[0] = genc_add(ctx, in[0], 1.0);
  return out[0] ? GENC_OK : genc_ctx_status(ctx);
}

/* genc_array_host_f64: the eager CPU f64 array's own memory (particle-major,
 * every element), NULL for another count or dtype and inside a capture. */
static void test_host_view(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  const double v[6] = {1, 2, 3, 4, 5, 6};
  genc_array *a = genc_array_from(ctx, GENC_F64, 1, (int64_t[]){2}, 3, v);
  T_OK(ctx, a);
  const double *p = genc_array_host_f64(ctx, a, 6);
  if (genc_ctx_device(ctx) != GENC_CPU) {
    assert_null(p); /* device memory is never handed out */
  } else {
    assert_non_null(p);
    for (int i = 0; i < 6; i++)
      assert_true(p[i] == v[i]);
  }
  assert_null(genc_array_host_f64(ctx, a, 5));
  assert_null(genc_array_host_f64(ctx, genc_astype(ctx, a, GENC_F32), 6));
  assert_null(genc_array_host_f64(ctx, NULL, 6));
  const double *seen = v;
  genc_array *out[1];
  genc_key key = genc_key_from_seed(1);
  genc_graph *g = genc_graph_capture(ctx, view_fn, &seen, 1, &key, 1, &a, 1, out);
  T_OK(ctx, g);
  assert_null(seen);
  genc_graph_free(g);
  genc_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_buffers),        cmocka_unit_test(test_host_view),
      cmocka_unit_test(test_add_max_rule),       cmocka_unit_test(test_exp_sums_match_scalar),
      cmocka_unit_test(test_exp_sums_far_below), cmocka_unit_test(test_exp_sums_compensated),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
