/*
 * Reductions: every subset of axes of a 3-d array, with and without keepdims,
 * shared and batched, against naive C loops (f64: 1e-14 relative, the loops sum
 * in a different order than the kernel for some axes); logsumexp stability;
 * argmax/argmin; integer and bool inputs; the particle axis; errors.
 */
#include "testutil.h"

static genc_ctx *ctx;

static int setup(void **s) {
  (void)s;
  ctx = t_ctx();
  return ctx ? 0 : -1;
}
static int teardown(void **s) {
  (void)s;
  genc_ctx_free(ctx);
  return 0;
}

static double *host(genc_array *a) {
  T_OK(ctx, a);
  int64_t n = genc_array_size(a) * (genc_array_nparticles(a) ? genc_array_nparticles(a) : 1);
  double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
  assert_int_equal(genc_array_copy_out(ctx, a, v, n), GENC_OK);
  return v;
}

static void expect_err(genc_array *r, genc_status st, const char *s1) {
  assert_null(r);
  assert_int_equal(genc_ctx_status(ctx), st);
  if (s1 && !strstr(genc_ctx_error(ctx), s1))
    fail_msg("message '%s' lacks '%s'", genc_ctx_error(ctx), s1);
  genc_ctx_clear_error(ctx);
}

enum { D0 = 2, D1 = 3, D2 = 4, SZ = D0 * D1 * D2, NP = 2 };
static const int64_t SHAPE[3] = {D0, D1, D2};

/* Naive reduction of one [2, 3, 4] block over the axes in mask (bit d = axis d):
 * out is laid out like the keepdims result. */
static void naive(genc_reduce_op op, const double *x, unsigned mask, double *out, int64_t *nout) {
  int64_t os[3];
  for (int d = 0; d < 3; d++)
    os[d] = mask >> d & 1 ? 1 : SHAPE[d];
  *nout = os[0] * os[1] * os[2];
  double init = op == GENC_RPROD                           ? 1
                : op == GENC_RMAX || op == GENC_RLOGSUMEXP ? -INFINITY
                : op == GENC_RMIN                          ? INFINITY
                                                           : 0;
  for (int64_t k = 0; k < *nout; k++)
    out[k] = init;
  for (int pass = 0; pass < (op == GENC_RLOGSUMEXP ? 2 : 1); pass++) {
    double acc[SZ];
    for (int64_t k = 0; k < *nout; k++)
      acc[k] = 0;
    for (int i = 0; i < D0; i++)
      for (int j = 0; j < D1; j++)
        for (int l = 0; l < D2; l++) {
          double v = x[(i * D1 + j) * D2 + l];
          int64_t o =
              ((mask & 1 ? 0 : i) * os[1] + (mask & 2 ? 0 : j)) * os[2] + (mask & 4 ? 0 : l);
          switch (op) {
          case GENC_RSUM: out[o] += v; break;
          case GENC_RPROD: out[o] *= v; break;
          case GENC_RMAX: out[o] = fmax(out[o], v); break;
          case GENC_RMIN: out[o] = fmin(out[o], v); break;
          default:
            if (pass == 0)
              out[o] = fmax(out[o], v);
            else
              acc[o] += exp(v - out[o]);
          }
        }
    if (op == GENC_RLOGSUMEXP && pass == 1)
      for (int64_t k = 0; k < *nout; k++)
        out[k] += log(acc[k]);
  }
}

static void check_reduction(genc_reduce_op op, genc_array *x, const double *xv, unsigned mask,
                            bool keep, bool mean) {
  int axes[3], na = 0;
  for (int d = 0; d < 3; d++)
    if (mask >> d & 1) axes[na++] = d - (d == 2 ? 3 : 0); /* mix in a negative axis */
  genc_array *y =
      mean ? genc_mean(ctx, x, na, axes, keep) : genc_reduce(ctx, op, x, na, axes, keep);
  T_OK(ctx, y);
  if (na == 0) mask = 7; /* naxes == 0 reduces every axis */
  int64_t np = genc_array_nparticles(x);
  assert_int_equal(genc_array_nparticles(y), np);
  int nd = 0;
  for (int d = 0; d < 3; d++) {
    bool red = mask >> d & 1;
    if (red && !keep) continue;
    assert_int_equal(genc_array_shape(y)[nd], red ? 1 : SHAPE[d]);
    nd++;
  }
  assert_int_equal(genc_array_ndim(y), nd);
  double *got = host(y), ref[SZ];
  int64_t nout = 0, cnt = 1;
  for (int d = 0; d < 3; d++)
    cnt *= mask >> d & 1 ? SHAPE[d] : 1;
  for (int64_t p = 0; p < (np ? np : 1); p++) {
    naive(op, xv + p * SZ, mask, ref, &nout);
    for (int64_t k = 0; k < nout; k++)
      T_CLOSE(got[p * nout + k], mean ? ref[k] / (double)cnt : ref[k], 1e-14);
  }
  free(got);
}

static void test_every_axis_set(void **s) {
  (void)s;
  double xv[NP * SZ];
  for (int i = 0; i < NP * SZ; i++)
    xv[i] = sin(1.7 * i) * 2 + 0.1; /* nonzero, mixed sign */
  genc_reduce_op ops[5] = {GENC_RSUM, GENC_RPROD, GENC_RMAX, GENC_RMIN, GENC_RLOGSUMEXP};
  for (int batched = 0; batched < 2; batched++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_array *x = genc_array_from(ctx, GENC_F64, 3, SHAPE, batched ? NP : 0, xv);
    for (unsigned mask = 0; mask < 8; mask++)
      for (int keep = 0; keep < 2; keep++) {
        for (int k = 0; k < 5; k++)
          check_reduction(ops[k], x, xv, mask, keep, false);
        check_reduction(GENC_RSUM, x, xv, mask, keep, true);
      }
    genc_scope_end(ctx, mark);
  }
}

static void test_logsumexp_stable(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  struct {
    double x[3];
    double want;
  } cases[] = {
      {{1e300, 1e300, 1e300}, 1e300},     /* naive exp overflows */
      {{-1e300, -1e300, -1e300}, -1e300}, /* naive exp underflows to log 0 */
      {{1000, 1000, -INFINITY}, 1000 + M_LN2},
      {{-1000, -1000, -1000}, -1000 + log(3.0)},
      {{-INFINITY, -INFINITY, -INFINITY}, -INFINITY}, /* no NaN from -inf - -inf */
      {{0, -INFINITY, -INFINITY}, 0},
      {{INFINITY, 1, -INFINITY}, INFINITY},
      {{NAN, 1, 2}, NAN},
      {{1, 2, 3}, 3 + log(1 + exp(-1.0) + exp(-2.0))},
  };
  int n = sizeof cases / sizeof cases[0];
  for (int c = 0; c < n; c++) {
    genc_array *x = genc_array_vec(ctx, 3, cases[c].x);
    double got = t_item(ctx, genc_logsumexp(ctx, x, 0, NULL, false));
    if (isinf(cases[c].want) || isnan(cases[c].want)) {
      assert_true(isnan(cases[c].want) ? isnan(got) : got == cases[c].want);
    } else {
      T_CLOSE(got, cases[c].want, 1e-15);
    }
    /* f32 (1e300 is inf in f32: skip those) */
    if (fabs(cases[c].x[0]) < 1e30) {
      double gf = t_item(ctx, genc_logsumexp(ctx, genc_astype(ctx, x, GENC_F32), 0, NULL, false));
      if (isfinite(cases[c].want))
        T_CLOSE(gf, cases[c].want, 1e-6);
      else
        assert_true(isnan(cases[c].want) ? isnan(gf) : gf == cases[c].want);
    }
  }
  /* along one axis of a batched array: rows of -inf stay -inf */
  double b[8] = {-INFINITY, -INFINITY, 1e300, 1e300, 0, 0, -1e300, -INFINITY};
  int64_t s22[2] = {2, 2};
  int ax = 1;
  genc_array *l = genc_logsumexp(ctx, genc_array_from(ctx, GENC_F64, 2, s22, 2, b), 1, &ax, false);
  double *g = host(l);
  assert_true(g[0] == -INFINITY);
  T_CLOSE(g[1], 1e300, 1e-15);
  T_CLOSE(g[2], M_LN2, 1e-15);
  T_CLOSE(g[3], -1e300, 1e-15);
  free(g);
  /* integers compute in f64 */
  int32_t iv[2] = {0, 0};
  int64_t s2[1] = {2};
  genc_array *li = genc_logsumexp(ctx, genc_array_from(ctx, GENC_I32, 1, s2, 0, iv), 0, NULL, 0);
  assert_int_equal(genc_array_dtype(li), GENC_F64);
  T_CLOSE(t_item(ctx, li), M_LN2, 1e-15);
  genc_scope_end(ctx, mark);
}

/* Long rows (the GPU's chunked path, where each thread keeps a running
 * maximum and rescaled sum): a rising maximum, far tails, and the special
 * values in one row of 20000, against a two-pass host sum. Tolerances: in
 * f64 the sum of exp(v - max) is off by at most 19999 * 2^-53 = 2.2e-12
 * relative in any order, an absolute error of its log; T_CLOSE allows 1e-12
 * times |want| (4.0 and 4.7 here). In f32 the inputs round by up to half an
 * ulp of 900 (3.1e-5), which moves the result at most that much, and the
 * terms past the largest few hundred are below 2^-24 of the sum: 1e-4
 * relative (4e-4) covers both with room. */
static void test_logsumexp_long_rows(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  enum { L = 20000 };
  static double v[L];
  for (int c = 0; c < 5; c++) {
    for (int i = 0; i < L; i++) /* rising, so maxima keep rescaling sums */
      v[i] = -900.0 + 0.045 * i + 3 * sin(0.37 * i);
    if (c == 1) v[L - 3] = INFINITY;
    if (c == 2) v[17] = NAN, v[L - 3] = INFINITY;
    if (c == 3)
      for (int i = 0; i < L; i++)
        v[i] = -INFINITY;
    if (c == 4)
      for (int i = 0; i < L; i += 2)
        v[i] = -INFINITY;
    double m = -INFINITY, sum = 0;
    for (int i = 0; i < L; i++)
      m = v[i] > m || v[i] != v[i] ? v[i] : m;
    for (int i = 0; isfinite(m) && i < L; i++)
      sum += exp(v[i] - m);
    double want = isfinite(m) ? m + log(sum) : m;
    genc_array *x = genc_array_vec(ctx, L, v);
    double got = t_item(ctx, genc_logsumexp(ctx, x, 0, NULL, false));
    double gp = t_item(ctx, genc_particle_reduce(ctx, GENC_RLOGSUMEXP,
                                                 genc_array_from(ctx, GENC_F64, 0, NULL, L, v)));
    double gf = t_item(ctx, genc_logsumexp(ctx, genc_astype(ctx, x, GENC_F32), 0, NULL, false));
    if (isfinite(want)) {
      T_CLOSE(got, want, 1e-12);
      T_CLOSE(gp, want, 1e-12);
      T_CLOSE(gf, want, 1e-4);
    } else {
      bool nan = want != want;
      assert_true(nan ? got != got : got == want);
      assert_true(nan ? gp != gp : gp == want);
      assert_true(nan ? gf != gf : gf == want);
    }
  }
  genc_scope_end(ctx, mark);
}

static void test_argmax_argmin(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  /* [2, 3]: ties resolve to the first index; NaN wins argmax and argmin (NumPy) */
  double v[6] = {3, 7, 7, -1, NAN, -5};
  int64_t s23[2] = {2, 3};
  genc_array *x = genc_array_from(ctx, GENC_F64, 2, s23, 0, v);
  genc_array *am = genc_argmax(ctx, x, 1, false), *an = genc_argmin(ctx, x, -1, false);
  T_OK(ctx, am);
  assert_int_equal(genc_array_dtype(am), GENC_I32);
  assert_int_equal(genc_array_ndim(am), 1);
  T_CLOSE(t_at(ctx, am, 0), 1, 0);
  T_CLOSE(t_at(ctx, am, 1), 1, 0);
  T_CLOSE(t_at(ctx, an, 0), 0, 0);
  T_CLOSE(t_at(ctx, an, 1), 1, 0);
  genc_array *a0 = genc_argmax(ctx, x, 0, true);
  assert_int_equal(genc_array_ndim(a0), 2);
  assert_int_equal(genc_array_shape(a0)[0], 1);
  double w0[3] = {0, 1, 0};
  for (int i = 0; i < 3; i++)
    T_CLOSE(t_at(ctx, a0, i), w0[i], 0);
  /* batched and integer inputs */
  int32_t iv[6] = {4, 9, 1, 2, 2, 8};
  int64_t s3[1] = {3};
  genc_array *xi = genc_array_from(ctx, GENC_I32, 1, s3, 2, iv);
  genc_array *bi = genc_argmin(ctx, xi, 0, false);
  assert_int_equal(genc_array_nparticles(bi), 2);
  T_CLOSE(t_at(ctx, bi, 0), 2, 0);
  T_CLOSE(t_at(ctx, bi, 1), 0, 0);
  T_CLOSE(t_at(ctx, genc_argmax(ctx, xi, 0, false), 1), 2, 0);
  expect_err(genc_argmax(ctx, x, 2, false), GENC_ERR_AXIS, "argmax");
  int two[2] = {0, 1};
  expect_err(genc_reduce(ctx, GENC_RARGMAX, x, 2, two, false), GENC_ERR_AXIS, "one axis");
  genc_scope_end(ctx, mark);
}

static void test_int_and_bool(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  int32_t iv[4] = {1, 2, -3, 4};
  int64_t s4[1] = {4}, s22[2] = {2, 2};
  genc_array *x = genc_array_from(ctx, GENC_I32, 1, s4, 0, iv);
  genc_array *sum = genc_sum_all(ctx, x);
  assert_int_equal(genc_array_dtype(sum), GENC_I32);
  T_CLOSE(t_item(ctx, sum), 4, 0);
  T_CLOSE(t_item(ctx, genc_prod(ctx, x, 0, NULL, false)), -24, 0);
  T_CLOSE(t_item(ctx, genc_max(ctx, x, 0, NULL, false)), 4, 0);
  T_CLOSE(t_item(ctx, genc_min(ctx, x, 0, NULL, false)), -3, 0);
  /* mean of ints is f64 and exact */
  genc_array *m =
      genc_mean(ctx, genc_array_from(ctx, GENC_I32, 2, s22, 0, iv), 1, (int[]){1}, false);
  T_OK(ctx, m);
  assert_int_equal(genc_array_dtype(m), GENC_F64);
  T_CLOSE(t_at(ctx, m, 0), 1.5, 0);
  T_CLOSE(t_at(ctx, m, 1), 0.5, 0);
  /* bool sums count */
  uint8_t bv[4] = {1, 0, 1, 1};
  genc_array *b = genc_array_from(ctx, GENC_BOOL, 1, s4, 0, bv);
  genc_array *bs = genc_sum_all(ctx, b);
  assert_int_equal(genc_array_dtype(bs), GENC_I32);
  T_CLOSE(t_item(ctx, bs), 3, 0);
  T_CLOSE(t_item(ctx, genc_mean(ctx, b, 0, NULL, false)), 0.75, 0);
  /* f32 stays f32 */
  genc_array *mf = genc_mean(ctx, genc_astype(ctx, x, GENC_F32), 0, NULL, false);
  assert_int_equal(genc_array_dtype(mf), GENC_F32);
  T_CLOSE(t_item(ctx, mf), 1.0, 0);
  /* NaN propagates through max/min/sum; empty sum is 0 */
  double nv[3] = {1, NAN, 2};
  genc_array *xn = genc_array_vec(ctx, 3, nv);
  assert_true(isnan(t_item(ctx, genc_max(ctx, xn, 0, NULL, false))));
  assert_true(isnan(t_item(ctx, genc_min(ctx, xn, 0, NULL, false))));
  int64_t z[1] = {0};
  T_CLOSE(t_item(ctx, genc_sum_all(ctx, genc_array_zeros(ctx, GENC_F64, 1, z, 0))), 0, 0);
  genc_scope_end(ctx, mark);
}

static void test_particle_reduce(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  double v[6] = {1, 2, 3, 4, 5, 1e300};
  int64_t s2[1] = {2};
  genc_array *x = genc_array_from(ctx, GENC_F64, 1, s2, 3, v); /* 3 particles x [2] */
  genc_array *sm = genc_particle_reduce(ctx, GENC_RSUM, x);
  T_OK(ctx, sm);
  assert_int_equal(genc_array_nparticles(sm), 0);
  assert_int_equal(genc_array_size(sm), 2);
  T_CLOSE(t_at(ctx, sm, 0), 9, 0);
  genc_array *mx = genc_particle_reduce(ctx, GENC_RMAX, x);
  T_CLOSE(t_at(ctx, mx, 1), 1e300, 0);
  genc_array *ls = genc_particle_reduce(ctx, GENC_RLOGSUMEXP, x);
  T_CLOSE(t_at(ctx, ls, 0), log(exp(1.0) + exp(3.0) + exp(5.0)), 1e-15);
  T_CLOSE(t_at(ctx, ls, 1), 1e300, 1e-15);
  /* logical reductions leave the particle axis alone */
  genc_array *per = genc_sum_all(ctx, x);
  assert_int_equal(genc_array_nparticles(per), 3);
  T_CLOSE(t_at(ctx, per, 1), 7, 0);
  expect_err(genc_particle_reduce(ctx, GENC_RSUM, genc_array_vec(ctx, 2, v)), GENC_ERR_PARTICLE,
             "not batched");
  expect_err(genc_particle_reduce(ctx, GENC_RARGMAX, x), GENC_ERR_ARG, "argmax");
  genc_scope_end(ctx, mark);
}

static void test_axis_errors(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  genc_array *x = genc_array_zeros(ctx, GENC_F64, 3, SHAPE, 0);
  expect_err(genc_sum(ctx, x, 1, (int[]){3}, false), GENC_ERR_AXIS, "axis 3");
  expect_err(genc_sum(ctx, x, 1, (int[]){-4}, false), GENC_ERR_AXIS, "axis -4");
  expect_err(genc_sum(ctx, x, 2, (int[]){1, -2}, false), GENC_ERR_AXIS, "twice");
  expect_err(genc_sum(ctx, x, 4, (int[]){0, 1, 2, 0}, false), GENC_ERR_AXIS, "4 axes");
  expect_err(genc_sum(ctx, x, 1, NULL, false), GENC_ERR_AXIS, "sum");
  expect_err(genc_reduce(ctx, (genc_reduce_op)42, x, 0, NULL, false), GENC_ERR_ARG, NULL);
  assert_null(genc_sum(ctx, NULL, 0, NULL, false));
  assert_null(genc_mean(ctx, NULL, 0, NULL, false));
  assert_int_equal(genc_ctx_status(ctx), GENC_OK);
  /* a 0-d array reduces to itself */
  T_CLOSE(t_item(ctx, genc_sum_all(ctx, genc_scalar(ctx, 2.5))), 2.5, 0);
  genc_scope_end(ctx, mark);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_axis_set),      cmocka_unit_test(test_logsumexp_stable),
      cmocka_unit_test(test_logsumexp_long_rows), cmocka_unit_test(test_argmax_argmin),
      cmocka_unit_test(test_int_and_bool),        cmocka_unit_test(test_particle_reduce),
      cmocka_unit_test(test_axis_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
