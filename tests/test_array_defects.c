/*
 * Regression tests for the defects that bad-input probes found in layer 0
 * (issue 8): unchecked allocation sizes, linear algebra that returned NaN
 * silently, unchecked dtypes and empty argmax axes, signed overflow in i32
 * kernels and slice bounds, NULL contexts and arrays, and the live-array limit
 * that catches loops without a scope. One test per defect; each asserts the
 * status and that the message names the op. Nothing here allocates more than a
 * few MiB: the huge requests must fail before any memory is asked for.
 */
#include <limits.h>

#include "backend/backend.h"
#include "testutil.h"

static const int64_t P61 = (int64_t)1 << 61, P62 = (int64_t)1 << 62;

/* ---- 1. allocation sizes ---- */

static void test_alloc_int64_max_elements(void **state) {
  genc_ctx *ctx = *state;
  int64_t s[1] = {INT64_MAX};
  t_expect_error(ctx, genc_array_zeros(ctx, GENC_F64, 1, s, 0), GENC_ERR_NOMEM, "genc_array_zeros",
                 "9223372036854775807");
}

static void test_alloc_product_overflow(void **state) {
  genc_ctx *ctx = *state;
  int64_t cube[3] = {100000000, 100000000, 100000000};
  t_expect_error(ctx, genc_array_ones(ctx, GENC_F32, 3, cube, 0), GENC_ERR_NOMEM, "genc_array_ones",
                 "[100000000, 100000000, 100000000]");
  int64_t wrap[2] = {P62, 4}; /* 2^64 elements: used to wrap to size 0 */
  t_expect_error(ctx, genc_array_zeros(ctx, GENC_F64, 2, wrap, 0), GENC_ERR_NOMEM,
                 "genc_array_zeros", "too large");
}

static void test_alloc_byte_overflow(void **state) {
  genc_ctx *ctx = *state;
  int64_t s[1] = {P61}; /* 2^61 f64 = 2^64 bytes: used to get no buffer at all */
  t_expect_error(ctx, genc_array_full(ctx, GENC_F64, 1, s, 0, 1.0), GENC_ERR_NOMEM,
                 "genc_array_full", "2305843009213693952");
}

static void test_alloc_particles_times_size(void **state) {
  genc_ctx *ctx = *state;
  int64_t s[1] = {(int64_t)1 << 32};
  t_expect_error(ctx, genc_array_zeros(ctx, GENC_BOOL, 1, s, (int64_t)1 << 32), GENC_ERR_NOMEM,
                 "genc_array_zeros", "4294967296 particles");
  int64_t m = genc_scope_begin(ctx);
  int64_t small[1] = {1 << 20};
  genc_array *x = genc_array_zeros(ctx, GENC_BOOL, 1, small, 0);
  T_OK(ctx, x);
  t_expect_error(ctx, genc_particle_broadcast(ctx, x, (int64_t)1 << 44), GENC_ERR_NOMEM,
                 "broadcast", "17592186044416 particles");
  genc_scope_end(ctx, m);
}

static void test_alloc_eye_huge(void **state) {
  genc_ctx *ctx = *state;
  t_expect_error(ctx, genc_array_eye(ctx, GENC_F64, (int64_t)1 << 32), GENC_ERR_NOMEM,
                 "genc_array_eye", "[4294967296, 4294967296]");
  t_expect_error(ctx, genc_array_linspace(ctx, GENC_F64, 0, 1, INT64_MAX), GENC_ERR_NOMEM,
                 "genc_array_linspace", NULL);
  t_expect_error(ctx, genc_array_arange(ctx, GENC_F64, 0, 1e300, 1), GENC_ERR_NOMEM,
                 "genc_array_arange", NULL);
}

/* Outputs planned from inputs that exist (zero-size ones) can still be huge. */
static void test_alloc_op_outputs(void **state) {
  genc_ctx *ctx = *state;
  int64_t m = genc_scope_begin(ctx);
  int64_t sa[2] = {(int64_t)1 << 31, 0}, sb[2] = {0, (int64_t)1 << 31};
  genc_array *a = genc_array_zeros(ctx, GENC_F64, 2, sa, 0);
  genc_array *b = genc_array_zeros(ctx, GENC_F64, 2, sb, 0);
  T_OK(ctx, a && b);
  t_expect_error(ctx, genc_matmul(ctx, a, b), GENC_ERR_NOMEM, "matmul", "[2147483648, 2147483648]");
  int64_t se[2] = {P62, 0};
  genc_array *e = genc_array_zeros(ctx, GENC_F64, 2, se, 0);
  T_OK(ctx, e);
  genc_array *four[4] = {e, e, e, e};
  t_expect_error(ctx, genc_concat(ctx, 4, four, 0), GENC_ERR_SHAPE, "concat", "overflows");
  int64_t big[2] = {(int64_t)1 << 40, (int64_t)1 << 40};
  t_expect_error(ctx, genc_broadcast_to(ctx, genc_scalar(ctx, 1), 2, big), GENC_ERR_NOMEM,
                 "broadcast", "[1099511627776, 1099511627776]");
  genc_array *ix = genc_array_arange(ctx, GENC_I32, 0, 1 << 20, 1);
  t_expect_error(ctx, genc_one_hot(ctx, ix, (int64_t)1 << 60), GENC_ERR_NOMEM, "one_hot",
                 "[1048576, 1152921504606846976]");
  int64_t rs[3] = {P62, 4, 0}; /* a size-0 view whose other dims overflow */
  t_expect_error(ctx,
                 genc_reshape(ctx, genc_array_zeros(ctx, GENC_F64, 1, (int64_t[]){0}, 0), 3, rs),
                 GENC_ERR_SHAPE, "reshape", "overflows");
  genc_scope_end(ctx, m);
}

/* A valid size beyond the cap fails before the allocator is asked; one below it
 * that the system refuses fails with NOMEM too (not under the sanitizers, whose
 * allocator aborts on such requests instead of returning NULL). */
static void test_alloc_huge_valid(void **state) {
  genc_ctx *ctx = *state;
  int64_t s[1] = {(int64_t)1 << 50};
  t_expect_error(ctx, genc_array_zeros(ctx, GENC_BOOL, 1, s, 0), GENC_ERR_NOMEM, "genc_array_zeros",
                 "too large");
  if (getenv("GENC_SANITIZED")) return;
  int64_t r[1] = {(int64_t)1 << 46}; /* 64 TiB: no machine here has it */
  t_expect_error(ctx, genc_array_zeros(ctx, GENC_BOOL, 1, r, 0), GENC_ERR_NOMEM, "genc_array_zeros",
                 "out of memory");
}

/* The CPU allocator's size-class loop used to spin forever above 2^63 bytes. */
static void test_cpu_allocator_refuses(void **state) {
  (void)state;
  void *st = genc_backend_cpu.create(0, NULL, 0);
  assert_non_null(st);
  assert_null(genc_backend_cpu.alloc(st, SIZE_MAX));
  assert_null(genc_backend_cpu.alloc(st, ((size_t)1 << 63) + 1));
  genc_backend_cpu.destroy(st);
}

/* ---- 2. linear algebra reports instead of returning NaN ---- */

static void test_cholesky_nan_inf(void **state) {
  genc_ctx *ctx = *state;
  int64_t m = genc_scope_begin(ctx);
  double nan_m[4] = {NAN, 0, 0, 1};
  t_expect_error(ctx, genc_cholesky(ctx, genc_array_mat(ctx, 2, 2, nan_m)), GENC_ERR_LINALG,
                 "cholesky", "NaN or inf");
  /* three particles, the middle one with inf on its diagonal */
  double v[12] = {4, 0, 0, 4, 4, 0, 0, INFINITY, 1, 0, 0, 1};
  int64_t s[2] = {2, 2};
  t_expect_error(ctx, genc_cholesky(ctx, genc_array_from(ctx, GENC_F64, 2, s, 3, v)),
                 GENC_ERR_LINALG, "cholesky", "(particle 1)");
  genc_scope_end(ctx, m);
}

static void test_trisolve_zero_diagonal(void **state) {
  genc_ctx *ctx = *state;
  int64_t m = genc_scope_begin(ctx);
  double l[4] = {1, 0, 2, 0}, b[2] = {1, 1};
  t_expect_error(ctx,
                 genc_triangular_solve(ctx, genc_array_mat(ctx, 2, 2, l), genc_array_vec(ctx, 2, b),
                                       true, false),
                 GENC_ERR_LINALG, "triangular_solve", "zero on the diagonal");
  /* batch index 1 of a [3, 2, 2] stack is singular */
  double ls[12] = {1, 0, 0, 1, 0, 0, 1, 1, 2, 0, 1, 2};
  int64_t s[3] = {3, 2, 2};
  genc_array *L = genc_array_from(ctx, GENC_F64, 3, s, 0, ls);
  t_expect_error(ctx, genc_triangular_solve(ctx, L, genc_array_vec(ctx, 2, b), true, true),
                 GENC_ERR_LINALG, "triangular_solve", "(batch index 1)");
  /* a regular solve still works: [[2,0],[1,2]] x = [2, 5] gives x = [1, 2] */
  double ok[4] = {2, 0, 1, 2}, rhs[2] = {2, 5};
  genc_array *x = genc_triangular_solve(ctx, genc_array_mat(ctx, 2, 2, ok),
                                        genc_array_vec(ctx, 2, rhs), true, false);
  T_OK(ctx, x);
  T_CLOSE(t_at(ctx, x, 0), 1.0, 1e-12);
  T_CLOSE(t_at(ctx, x, 1), 2.0, 1e-12);
  genc_scope_end(ctx, m);
}

/* ---- 3. dtypes and empty argmax axes ---- */

static void test_bad_dtype_creation(void **state) {
  genc_ctx *ctx = *state;
  genc_dtype bad = (genc_dtype)99;
  int64_t s[1] = {2};
  double d[2] = {1, 2};
  t_expect_error(ctx, genc_array_arange(ctx, bad, 0, 3, 1), GENC_ERR_DTYPE, "genc_array_arange",
                 "99");
  t_expect_error(ctx, genc_array_eye(ctx, bad, 3), GENC_ERR_DTYPE, "genc_array_eye", "99");
  t_expect_error(ctx, genc_array_linspace(ctx, bad, 0, 1, 3), GENC_ERR_DTYPE, "genc_array_linspace",
                 "99");
  t_expect_error(ctx, genc_array_zeros(ctx, bad, 1, s, 0), GENC_ERR_DTYPE, "genc_array_zeros",
                 "99");
  t_expect_error(ctx, genc_array_full(ctx, bad, 1, s, 0, 1), GENC_ERR_DTYPE, "genc_array_full",
                 "99");
  t_expect_error(ctx, genc_array_ones(ctx, bad, 1, s, 0), GENC_ERR_DTYPE, "genc_array_ones", "99");
  t_expect_error(ctx, genc_scalar_of(ctx, 1, bad), GENC_ERR_DTYPE, "genc_scalar_of", "99");
  t_expect_error(ctx, genc_array_from(ctx, bad, 1, s, 0, d), GENC_ERR_DTYPE, "genc_array_from",
                 "99");
  int64_t m = genc_scope_begin(ctx);
  t_expect_error(ctx, genc_astype(ctx, genc_scalar(ctx, 1), bad), GENC_ERR_DTYPE, "astype", "99");
  genc_scope_end(ctx, m);
  assert_int_equal(genc_dtype_size(bad), 0);
}

static void test_argmax_empty_axis(void **state) {
  genc_ctx *ctx = *state;
  int64_t m = genc_scope_begin(ctx);
  int64_t s[2] = {3, 0};
  genc_array *x = genc_array_zeros(ctx, GENC_F64, 2, s, 0);
  T_OK(ctx, x);
  t_expect_error(ctx, genc_argmax(ctx, x, 1, false), GENC_ERR_SHAPE, "argmax", "axis 1");
  t_expect_error(ctx, genc_argmin(ctx, x, -1, true), GENC_ERR_SHAPE, "argmin", "axis -1");
  /* an empty array reduced over a non-empty axis is fine: [0, 3] -> [0] */
  genc_array *y =
      genc_argmax(ctx, genc_array_zeros(ctx, GENC_F64, 2, (int64_t[]){0, 3}, 0), 1, false);
  T_OK(ctx, y);
  assert_int_equal(genc_array_size(y), 0);
  genc_scope_end(ctx, m);
}

/* ---- 4. i32 wraps; slice bounds clamp without overflow ---- */

static double i32_op(genc_ctx *ctx, genc_binary_op op, int32_t a, int32_t b) {
  return t_item(ctx, genc_binary(ctx, op, genc_scalar_of(ctx, a, GENC_I32),
                                 genc_scalar_of(ctx, b, GENC_I32)));
}

static void test_i32_wraps(void **state) {
  genc_ctx *ctx = *state;
  int64_t m = genc_scope_begin(ctx);
  assert_true(i32_op(ctx, GENC_ADD, INT32_MAX, 1) == INT32_MIN);
  assert_true(i32_op(ctx, GENC_SUB, INT32_MIN, 1) == INT32_MAX);
  assert_true(i32_op(ctx, GENC_MUL, 65536, 65536) == 0);
  genc_array *mn = genc_scalar_of(ctx, INT32_MIN, GENC_I32);
  assert_true(t_item(ctx, genc_neg(ctx, mn)) == INT32_MIN);
  assert_true(t_item(ctx, genc_abs(ctx, mn)) == INT32_MIN);
  assert_true(t_item(ctx, genc_square(ctx, genc_scalar_of(ctx, 65536, GENC_I32))) == 0);
  int32_t v[2] = {INT32_MAX, 1};
  int64_t s[1] = {2};
  genc_array *x = genc_array_from(ctx, GENC_I32, 1, s, 0, v);
  assert_true(t_item(ctx, genc_sum(ctx, x, 0, NULL, false)) == INT32_MIN);
  assert_true(t_at(ctx, genc_cumsum(ctx, x, 0), 1) == INT32_MIN);
  int32_t w[2] = {65536, 65536};
  assert_true(
      t_item(ctx, genc_prod(ctx, genc_array_from(ctx, GENC_I32, 1, s, 0, w), 0, NULL, false)) == 0);
  genc_scope_end(ctx, m);
}

/* Python's range(10)[start:stop:step] for the given bounds. */
static void expect_slice(genc_ctx *ctx, int64_t start, int64_t stop, int64_t step, int n,
                         const double *want) {
  genc_array *x = genc_array_arange(ctx, GENC_F64, 0, 10, 1);
  genc_array *y = genc_slice(ctx, x, 0, start, stop, step);
  T_OK(ctx, y);
  assert_int_equal(genc_array_size(y), n);
  for (int i = 0; i < n; i++)
    T_CLOSE(t_at(ctx, y, i), want[i], 0);
}

static void test_slice_extreme_bounds(void **state) {
  genc_ctx *ctx = *state;
  int64_t m = genc_scope_begin(ctx);
  double all[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  expect_slice(ctx, INT64_MIN, INT64_MAX, INT64_MAX, 1, (double[]){0});
  expect_slice(ctx, INT64_MIN, INT64_MAX, 1, 10, all);
  expect_slice(ctx, INT64_MIN, INT64_MAX, INT64_MAX - 1, 1, (double[]){0});
  expect_slice(ctx, -3, INT64_MAX, 2, 2, (double[]){7, 9});
  expect_slice(ctx, INT64_MAX, INT64_MIN, 1, 0, NULL);
  expect_slice(ctx, 5, INT64_MAX, (int64_t)1 << 62, 1, (double[]){5});
  expect_slice(ctx, 1, INT64_MAX, 4, 3, (double[]){1, 5, 9});
  genc_scope_end(ctx, m);
}

/* ---- 5. NULL contexts and arrays ---- */

static void test_null_ctx_after_failed_new(void **state) {
  (void)state;
  genc_ctx_opts o = {.device = (genc_device)7};
  genc_status st;
  genc_ctx *ctx = genc_ctx_new(&o, &st);
  assert_null(ctx);
  assert_int_equal(st, GENC_ERR_ARG);
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ARG);
  const char *msg = genc_ctx_error(ctx);
  assert_non_null(strstr(msg, "no context (genc_ctx_new failed: "));
  assert_non_null(strstr(msg, "unknown device 7"));
  genc_ctx_clear_error(ctx);
  genc_ctx_free(ctx);
  assert_int_equal(genc_ctx_live_arrays(ctx), 0);
  assert_int_equal(genc_ctx_live_bytes(ctx), 0);
  assert_int_equal(genc_ctx_device(ctx), GENC_CPU);
}

static void test_null_array_queries(void **state) {
  genc_ctx *ctx = *state;
  assert_int_equal(genc_array_ndim(NULL), -1);
  assert_null(genc_array_shape(NULL));
  assert_int_equal(genc_array_dim(NULL, 0), -1);
  assert_int_equal(genc_array_size(NULL), 0);
  assert_int_equal(genc_array_nparticles(NULL), 0);
  assert_false(genc_array_batched(NULL));
  assert_int_equal(genc_dtype_size(genc_array_dtype(NULL)), 0);
  double v = 0;
  assert_int_equal(genc_array_item(ctx, NULL, &v), GENC_ERR_ARG);
  assert_int_equal(genc_array_item(NULL, NULL, &v), GENC_ERR_ARG);
  assert_int_equal(genc_array_copy_out(NULL, NULL, &v, 1), GENC_ERR_ARG);
  assert_int_equal(genc_array_copy_raw(NULL, NULL, &v, 8), GENC_ERR_ARG);
  char buf[16];
  assert_true(genc_array_format(NULL, NULL, buf, sizeof buf) > 0);
  assert_string_equal(buf, "<null>");
  int64_t m = genc_scope_begin(ctx);
  genc_array *x = genc_scalar(ctx, 2);
  /* a real array with a NULL context: an error status, no crash */
  assert_int_equal(genc_array_item(NULL, x, &v), GENC_ERR_ARG);
  assert_int_equal(genc_array_copy_out(NULL, x, &v, 1), GENC_ERR_ARG);
  assert_int_equal(genc_array_copy_out(ctx, x, NULL, 1), GENC_ERR_ARG);
  genc_ctx_clear_error(ctx);
  genc_scope_end(ctx, m);
}

static genc_array *ident(genc_ctx *ctx, genc_array *const *args, void *user) {
  (void)ctx, (void)user;
  return args[0];
}

/* Every op of array.h given a NULL context (with real arrays) or NULL arrays
 * returns NULL or an error: nothing crashes (run under ASan/UBSan). */
static void test_null_everywhere(void **state) {
  genc_ctx *ctx = *state;
  int64_t m = genc_scope_begin(ctx);
  genc_array *x = genc_scalar(ctx, 1), *v = genc_array_arange(ctx, GENC_F64, 0, 4, 1);
  genc_array *ix = genc_array_arange(ctx, GENC_I32, 0, 2, 1);
  int64_t s2[2] = {2, 2};
  genc_array *mat = genc_reshape(ctx, v, 2, s2);
  T_OK(ctx, x && v && ix && mat);
  int ax[1] = {0};
  int perm[2] = {1, 0};
  genc_array *g = NULL;
  for (int k = 0; k < 2; k++) {
    genc_ctx *c = k ? ctx : NULL;
    genc_array *a = k ? NULL : x, *vv = k ? NULL : v, *ii = k ? NULL : ix, *mm = k ? NULL : mat;
    genc_array *pair[2] = {a, a};
    assert_null(genc_scalar(NULL, 1));
    assert_null(genc_scalar_weak(NULL, 1));
    assert_null(genc_scalar_weak_i32(NULL, 1));
    assert_null(genc_array_vec(NULL, 1, (double[]){1}));
    assert_null(genc_array_mat(NULL, 1, 1, (double[]){1}));
    assert_null(genc_array_zeros_like(c, a));
    assert_null(genc_array_arange(NULL, GENC_F64, 0, 1, 1));
    assert_null(genc_array_linspace(NULL, GENC_F64, 0, 1, 2));
    assert_null(genc_array_eye(NULL, GENC_F64, 2));
    for (int op = 0; op < GENC_UNARY_COUNT; op++)
      assert_null(genc_unary(c, (genc_unary_op)op, a));
    for (int op = 0; op < GENC_BINARY_COUNT; op++)
      assert_null(genc_binary(c, (genc_binary_op)op, a, a));
    assert_null(genc_where(c, a, a, a));
    assert_null(genc_astype(c, a, GENC_F32));
    assert_null(genc_stop_gradient(c, a));
    for (int op = 0; op <= GENC_RARGMIN; op++)
      assert_null(genc_reduce(c, (genc_reduce_op)op, vv, 1, ax, false));
    assert_null(genc_mean(c, vv, 0, NULL, false));
    assert_null(genc_sum_all(c, vv));
    assert_null(genc_cumsum(c, vv, 0));
    assert_null(genc_cumlogsumexp(c, vv, 0));
    assert_null(genc_searchsorted(c, vv, a, false));
    assert_null(genc_reshape(c, vv, 2, s2));
    assert_null(genc_transpose(c, mm));
    assert_null(genc_permute(c, mm, 2, perm));
    assert_null(genc_broadcast_to(c, a, 2, s2));
    assert_null(genc_expand_dims(c, vv, 0));
    assert_null(genc_squeeze(c, vv, GENC_ALL_AXES));
    assert_null(genc_slice(c, vv, 0, 0, 2, 1));
    assert_null(genc_take(c, vv, ii, 0));
    assert_null(genc_take_along(c, vv, ii, 0));
    assert_null(genc_scatter_add(c, vv, ii, a, 0));
    assert_null(genc_concat(c, 2, pair, 0));
    assert_null(genc_stack(c, 2, pair, 0));
    assert_null(genc_one_hot(c, ii, 3));
    assert_null(genc_matmul(c, mm, mm));
    assert_null(genc_cholesky(c, mm));
    assert_null(genc_triangular_solve(c, mm, vv, true, false));
    assert_null(genc_logdet(c, mm));
    assert_null(genc_inv(c, mm));
    assert_null(genc_particle_broadcast(c, a, 2));
    assert_null(genc_particle_get(c, a, 0));
    assert_null(genc_particle_take(c, a, ii));
    assert_null(genc_particle_reduce(c, GENC_RSUM, a));
    assert_null(genc_particle_stack(c, 2, pair));
    assert_null(genc_particle_concat(c, 2, pair));
    assert_null(genc_particle_to_axis(c, a));
    assert_null(genc_particle_from_axis(c, vv));
    genc_array *out = NULL;
    assert_int_not_equal(genc_vjp(c, ident, 1, &a, NULL, 1, NULL, &out, &g), GENC_OK);
    assert_int_not_equal(genc_value_and_grad(c, ident, 1, &a, NULL, 1, &out, &g), GENC_OK);
    assert_int_not_equal(genc_grad(c, ident, 1, &a, NULL, 1, &g), GENC_OK);
    assert_null(genc_tape_watch(c, a));
    genc_ctx_clear_error(ctx);
  }
  assert_int_not_equal(genc_tape_begin(NULL), GENC_OK);
  assert_int_not_equal(genc_tape_backward(NULL, x, NULL, 1, &x, &g), GENC_OK);
  genc_tape_end(NULL);
  assert_false(genc_tape_active(NULL));
  assert_int_equal(genc_scope_begin(NULL), -1);
  genc_scope_end(NULL, 0);
  genc_scope_end_keep(NULL, 0, &x, 1);
  assert_null(genc_array_retain(NULL));
  genc_array_release(NULL);
  genc_ctx_clear_error(ctx);
  genc_scope_end(ctx, m);
}

/* ---- 6. live arrays outside any scope ---- */

static void test_live_array_limit_triggers(void **state) {
  (void)state;
  genc_ctx_opts o = {.live_array_limit = 50};
  genc_ctx *ctx = genc_ctx_new(&o, NULL);
  assert_non_null(ctx);
  genc_array *x = NULL;
  int i;
  for (i = 0; i < 100; i++) /* the mistake: no scope, so every x lives on */
    if (!(x = genc_scalar(ctx, i))) break;
  assert_int_equal(i, 50);
  t_expect_error(ctx, x, GENC_ERR_NOMEM, "genc_scalar", "genc_scope_begin(ctx)");
  assert_int_equal(genc_ctx_status(ctx), GENC_OK);
  genc_ctx_free(ctx);
  o.live_array_limit = -1;
  genc_status st;
  assert_null(genc_ctx_new(&o, &st));
  assert_int_equal(st, GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_new_error(), "live_array_limit"));
}

static void test_live_array_limit_scoped_loop(void **state) {
  (void)state;
  genc_ctx_opts o = {.live_array_limit = 50};
  genc_ctx *ctx = genc_ctx_new(&o, NULL);
  assert_non_null(ctx);
  genc_array *two = genc_scalar(ctx, 2); /* made once, outside: fine */
  double acc = 0;
  for (int i = 0; i < 1000; i++) { /* the idiom: a scope per iteration */
    int64_t m = genc_scope_begin(ctx);
    acc += t_item(ctx, genc_mul(ctx, genc_scalar(ctx, i), two));
    genc_scope_end(ctx, m);
  }
  T_CLOSE(acc, 999.0 * 1000.0, 0);
  /* inside a scope the limit does not count: 200 temporaries are fine */
  int64_t m = genc_scope_begin(ctx);
  for (int i = 0; i < 200; i++)
    T_OK(ctx, genc_scalar(ctx, i));
  genc_scope_end(ctx, m);
  assert_int_equal(genc_ctx_live_arrays(ctx), 1);
  assert_int_equal(genc_ctx_status(ctx), GENC_OK);
  genc_ctx_free(ctx);
}

/* logical_and/or of two float scalars: bool results computed on bools (the
 * scalar fast path once ran them in f64, where the kernel has no such op, and
 * returned an f64 array holding whatever the buffer held). */
static void test_logical_of_float_scalars(void **state) {
  genc_ctx *ctx = *state;
  for (int rep = 0; rep < 50; rep++) {
    int64_t m = genc_scope_begin(ctx);
    genc_array *z = genc_scalar(ctx, 0.0), *o = genc_scalar(ctx, 2.5);
    genc_array *az = genc_logical_and(ctx, z, z), *ao = genc_logical_or(ctx, z, o);
    genc_array *an = genc_logical_and(ctx, o, z);
    assert_int_equal(genc_array_dtype(az), GENC_BOOL);
    assert_int_equal(genc_array_dtype(ao), GENC_BOOL);
    double v = -1;
    assert_int_equal(genc_array_item(ctx, az, &v), GENC_OK);
    assert_true(v == 0.0);
    assert_int_equal(genc_array_item(ctx, ao, &v), GENC_OK);
    assert_true(v == 1.0);
    assert_int_equal(genc_array_item(ctx, an, &v), GENC_OK);
    assert_true(v == 0.0);
    /* dirty the pool so that an unwritten output would show garbage */
    genc_array_full(ctx, GENC_F64, 0, NULL, 0, 4.6e-310);
    genc_scope_end(ctx, m);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_alloc_int64_max_elements),
      cmocka_unit_test(test_alloc_product_overflow),
      cmocka_unit_test(test_alloc_byte_overflow),
      cmocka_unit_test(test_alloc_particles_times_size),
      cmocka_unit_test(test_alloc_eye_huge),
      cmocka_unit_test(test_alloc_op_outputs),
      cmocka_unit_test(test_alloc_huge_valid),
      cmocka_unit_test(test_cpu_allocator_refuses),
      cmocka_unit_test(test_cholesky_nan_inf),
      cmocka_unit_test(test_trisolve_zero_diagonal),
      cmocka_unit_test(test_bad_dtype_creation),
      cmocka_unit_test(test_argmax_empty_axis),
      cmocka_unit_test(test_i32_wraps),
      cmocka_unit_test(test_slice_extreme_bounds),
      cmocka_unit_test(test_null_ctx_after_failed_new),
      cmocka_unit_test(test_null_array_queries),
      cmocka_unit_test(test_null_everywhere),
      cmocka_unit_test(test_live_array_limit_triggers),
      cmocka_unit_test(test_live_array_limit_scoped_loop),
      cmocka_unit_test(test_logical_of_float_scalars),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
