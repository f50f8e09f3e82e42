/*
 * Cross-backend agreement: every computation here runs on a CPU context and on
 * a CUDA context from the same host data and keys, and the results are
 * compared element by element.
 *
 * Tolerances, and why:
 *  - exact (0): integer and bool outputs, data movement, the max and min of
 *    short rows (the CUDA reduction walks short rows in the CPU's order), and
 *    draws built from exactly rounded arithmetic only (uniform, bits, and the
 *    integer laws: poisson, binomial, categorical, permutation);
 *  - 1e-12 relative (f64): anything that calls exp/log/sin/... (CUDA's libm is
 *    within 2 ulp of glibc's, not identical), reductions summed in a
 *    different order (row sums: sixteen lanes on the CPU, four on the GPU,
 *    see exec_abi.h's genc_x_rowsum; long ones: chunked), the
 *    factorizations (LAPACK's blocked order against our kernels': errors of
 *    cond(A) * eps, with cond(A) < 10 here), and log densities, as the issue
 *    asks;
 *  - 1e-5 relative (f32): single-precision libm on both sides.
 * Relative errors are measured against max(|expected|, 1e-3), so values near
 * zero (lgamma near 1 and 2) are held to an absolute 1e-15.
 *
 * With no GPU (or a build without CUDA) the program exits 77: ctest skipped.
 */
#include "testutil.h"

static genc_ctx *cpu, *gpu;

typedef genc_array *(*build_fn)(genc_ctx *ctx, int variant);

/* Run f on both contexts and compare; returns the largest relative error. */
static double agree(const char *what, build_fn f, int variant, double tol) {
  int64_t m1 = genc_scope_begin(cpu), m2 = genc_scope_begin(gpu);
  genc_array *a = f(cpu, variant), *b = f(gpu, variant);
  if (!a) fail_msg("%s[%d] on the CPU: %s", what, variant, genc_ctx_error(cpu));
  if (!b) fail_msg("%s[%d] on CUDA: %s", what, variant, genc_ctx_error(gpu));
  assert_int_equal(genc_array_dtype(a), genc_array_dtype(b));
  assert_int_equal(genc_array_ndim(a), genc_array_ndim(b));
  assert_int_equal(genc_array_nparticles(a), genc_array_nparticles(b));
  for (int d = 0; d < genc_array_ndim(a); d++)
    assert_int_equal(genc_array_shape(a)[d], genc_array_shape(b)[d]);
  int64_t np = genc_array_nparticles(a), n = genc_array_size(a) * (np ? np : 1);
  double *x = malloc((size_t)(n ? n : 1) * sizeof *x), *y = malloc((size_t)(n ? n : 1) * sizeof *y);
  assert_int_equal(genc_array_copy_out(cpu, a, x, n), GENC_OK);
  assert_int_equal(genc_array_copy_out(gpu, b, y, n), GENC_OK);
  double worst = 0;
  for (int64_t i = 0; i < n; i++) {
    if (x[i] == y[i] || (isnan(x[i]) && isnan(y[i]))) continue;
    double e =
        isfinite(x[i]) && isfinite(y[i]) ? fabs(x[i] - y[i]) / fmax(fabs(x[i]), 1e-3) : INFINITY;
    if (e > worst) worst = e;
    if (e > tol)
      fail_msg("%s[%d]: element %lld: CPU %.17g, CUDA %.17g (rel %.3g > %.3g)", what, variant,
               (long long)i, x[i], y[i], e, tol);
  }
  free(x);
  free(y);
  genc_scope_end(cpu, m1);
  genc_scope_end(gpu, m2);
  return worst;
}

/* Deterministic data: 3 sin(1.3 i + s) over a batched [np, r, c] array. */
static genc_array *data(genc_ctx *ctx, genc_dtype dt, int64_t np, int64_t r, int64_t c, double s) {
  int64_t n = (np ? np : 1) * r * c, shape[2] = {r, c};
  double *v = malloc((size_t)n * sizeof *v);
  for (int64_t i = 0; i < n; i++)
    v[i] = 3 * sin(1.3 * (double)i + s);
  genc_array *a = genc_array_from(ctx, GENC_F64, 2, shape, np, v);
  free(v);
  return dt == GENC_F64 ? a : genc_astype(ctx, a, dt);
}

/* ---- elementwise ---- */

static genc_array *f_unary(genc_ctx *ctx, int op) {
  genc_array *x = data(ctx, op >= 1000 ? GENC_F32 : GENC_F64, 4, 5, 7, 0.1);
  op %= 1000;
  if (op == GENC_ERFINV) x = genc_tanh(ctx, x); /* inside (-1, 1) */
  return genc_unary(ctx, (genc_unary_op)op, x);
}

static void test_unary(void **state) {
  (void)state;
  for (int op = 0; op < GENC_UNARY_COUNT; op++) {
    if (op == GENC_NOT) continue;
    agree("unary f64", f_unary, op, 1e-12);
    agree("unary f32", f_unary, 1000 + op, 1e-5);
  }
}

static genc_array *f_binary(genc_ctx *ctx, int op) {
  genc_dtype dt = op >= 1000 ? GENC_F32 : op >= 100 ? GENC_I32 : GENC_F64;
  op %= 100;
  genc_array *a = data(ctx, dt, 6, 3, 4, 0.2), *b = data(ctx, dt, 0, 1, 4, 0.7);
  if (dt == GENC_I32) {
    a = genc_astype(ctx, genc_mul(ctx, data(ctx, GENC_F64, 6, 3, 4, 0.2), 10.0), GENC_I32);
    b = genc_astype(ctx, genc_mul(ctx, data(ctx, GENC_F64, 0, 1, 4, 0.7), 10.0), GENC_I32);
  }
  if (op == GENC_POW) a = genc_abs(ctx, a);
  if (op == GENC_AND || op == GENC_OR) {
    a = genc_gt(ctx, a, 0.0);
    b = genc_gt(ctx, b, 1.0);
  }
  return genc_binary(ctx, (genc_binary_op)op, a, b);
}

static void test_binary(void **state) {
  (void)state;
  for (int op = 0; op < GENC_BINARY_COUNT; op++) {
    bool arith = op <= GENC_ATAN2;
    agree("binary f64", f_binary, op,
          arith && op != GENC_ADD && op != GENC_SUB && op != GENC_MUL && op != GENC_DIV ? 1e-12
                                                                                        : 0);
    if (op == GENC_AND || op == GENC_OR) continue;
    agree("binary f32", f_binary, 1000 + op, 1e-5);
    if (op != GENC_POW && op != GENC_ATAN2 && op != GENC_DIV)
      agree("binary i32", f_binary, 100 + op, 0);
  }
}

static genc_array *f_where_cast(genc_ctx *ctx, int v) {
  genc_array *a = data(ctx, GENC_F64, 3, 4, 5, 0.3), *b = data(ctx, GENC_F64, 0, 1, 5, 1.1);
  switch (v) {
  case 0: return genc_where(ctx, genc_gt(ctx, a, b), a, b);
  case 1: return genc_astype(ctx, genc_mul(ctx, a, 7.0), GENC_I32);
  case 2: return genc_astype(ctx, a, GENC_F32);
  case 3: return genc_astype(ctx, genc_gt(ctx, a, 0.0), GENC_F64);
  default: return genc_isfinite(ctx, genc_div(ctx, a, genc_sub(ctx, b, b)));
  }
}

static void test_where_cast(void **state) {
  (void)state;
  for (int v = 0; v < 5; v++)
    agree("where/cast", f_where_cast, v, 0);
}

/* ---- reductions and scans ---- */

static genc_array *f_reduce(genc_ctx *ctx, int v) {
  int op = v % 10, kind = v / 10;
  if (kind == 0) { /* short rows over axis 1 of a batched array: the CPU's order */
    int ax = 1;
    return genc_reduce(ctx, (genc_reduce_op)op, data(ctx, GENC_F64, 5, 6, 7, 0.4), 1, &ax, false);
  }
  if (kind == 1) /* all axes */
    return genc_reduce(ctx, (genc_reduce_op)op, data(ctx, GENC_F64, 0, 6, 7, 0.4), 0, NULL, true);
  if (kind == 2) { /* long rows: the chunked block reduction */
    int ax = 1;
    return genc_reduce(ctx, (genc_reduce_op)op, data(ctx, GENC_F64, 0, 3, 300001, 0.5), 1, &ax,
                       false);
  }
  /* over 200000 particles */
  return genc_particle_reduce(ctx, (genc_reduce_op)op, data(ctx, GENC_F64, 200000, 1, 2, 0.6));
}

static void test_reduce(void **state) {
  (void)state;
  for (int kind = 0; kind < 4; kind++)
    for (int op = GENC_RSUM; op <= GENC_RARGMIN; op++) {
      bool arg = op == GENC_RARGMAX || op == GENC_RARGMIN;
      if (arg && (kind == 1 || kind == 3)) continue; /* one axis only; no particle argmax */
      bool exact = op != GENC_RLOGSUMEXP && op != GENC_RSUM && (kind < 2 || op >= GENC_RMAX);
      if (op == GENC_RPROD && kind >= 2) continue; /* 3^300000 overflows on both: no test */
      agree("reduce", f_reduce, kind * 10 + op, exact ? 0 : 1e-12);
    }
}

static genc_array *f_scan(genc_ctx *ctx, int v) {
  genc_array *x =
      v < 2 ? data(ctx, GENC_F64, 4, 50, 3, 0.8) : data(ctx, GENC_F64, 0, 100003, 2, 0.8);
  return v % 2 ? genc_cumlogsumexp(ctx, x, 0) : genc_cumsum(ctx, x, 0);
}

static genc_array *f_search(genc_ctx *ctx, int v) {
  (void)v;
  genc_array *s = genc_array_linspace(ctx, GENC_F64, -3, 3, 17);
  return genc_searchsorted(ctx, s, data(ctx, GENC_F64, 3, 4, 5, 0.9), v);
}

static void test_scan(void **state) {
  (void)state;
  agree("cumsum", f_scan, 0, 0);
  agree("cumlogsumexp", f_scan, 1, 1e-12);
  /* long rows take the chunked parallel scan: a differently associated sum of
   * 1e5 terms of size 3 may drift by up to ~1e5 * 3 * 1e-16 = 3e-11 absolute,
   * and partial sums pass near 0 (relative floor 1e-3): hence 1e-7 */
  agree("cumsum long", f_scan, 2, 1e-7);
  agree("cumlogsumexp long", f_scan, 3, 1e-12);
  agree("searchsorted", f_search, 0, 0);
  agree("searchsorted right", f_search, 1, 0);
}

/* ---- shape, indexing, particles ---- */

static genc_array *f_index(genc_ctx *ctx, int v) {
  genc_array *x = data(ctx, GENC_F64, 3, 4, 5, 1.2);
  int32_t iv[6] = {4, 0, 2, 2, 1, 3};
  int64_t six = 6;
  genc_array *idx = genc_array_from(ctx, GENC_I32, 1, &six, 0, iv);
  int perm[2] = {1, 0};
  switch (v) {
  case 0: return genc_transpose(ctx, x);
  case 1: return genc_permute(ctx, x, 2, perm);
  case 2: return genc_slice(ctx, x, 1, 1, 5, 2);
  case 3: return genc_take(ctx, x, idx, 1);
  case 4:
    return genc_scatter_add(ctx, genc_array_zeros(ctx, GENC_F64, 1, (int64_t[]){5}, 0), idx,
                            genc_array_ones(ctx, GENC_F64, 1, &six, 0), 0);
  case 5:
    return genc_particle_take(
        ctx, x, genc_array_from(ctx, GENC_I32, 1, (int64_t[]){4}, 0, (int32_t[]){2, 0, 1, 1}));
  case 6: return genc_particle_broadcast(ctx, data(ctx, GENC_F64, 0, 2, 3, 0.1), 4);
  case 7: return genc_broadcast_to(ctx, data(ctx, GENC_F64, 0, 1, 5, 0.1), 2, (int64_t[]){4, 5});
  default: {
    genc_array *xs[2] = {x, x};
    return genc_concat(ctx, 2, xs, 1);
  }
  }
}

static void test_index(void **state) {
  (void)state;
  for (int v = 0; v < 9; v++)
    agree("index", f_index, v, 0);
}

static void test_index_errors(void **state) {
  (void)state;
  genc_ctx *cs[2] = {cpu, gpu};
  char msg[2][1024];
  for (int k = 0; k < 2; k++) {
    genc_ctx *c = cs[k];
    int64_t m = genc_scope_begin(c), two = 2;
    int32_t iv[2] = {1, 9};
    genc_array *idx = genc_array_from(c, GENC_I32, 1, &two, 0, iv);
    assert_null(genc_take(c, data(c, GENC_F64, 0, 1, 5, 0), idx, 1));
    snprintf(msg[k], sizeof msg[k], "%s", genc_ctx_error(c));
    genc_ctx_clear_error(c);
    genc_scope_end(c, m);
  }
  assert_string_equal(msg[0], msg[1]); /* the same error, index and position named */
}

/* ---- linear algebra ---- */

/* SPD matrices A = B B^T + n I, batched over particles. */
static genc_array *spd(genc_ctx *ctx, int64_t np, int64_t n) {
  genc_array *b = data(ctx, GENC_F64, np, n, n, 0.3);
  return genc_add(ctx, genc_matmul(ctx, b, genc_transpose(ctx, b)),
                  genc_mul(ctx, genc_array_eye(ctx, GENC_F64, n), (double)n * 4));
}

static genc_array *f_linalg(genc_ctx *ctx, int v) {
  switch (v) {
  case 0:
    return genc_matmul(ctx, data(ctx, GENC_F64, 3, 4, 6, 0.1), data(ctx, GENC_F64, 0, 6, 5, 0.2));
  case 1:
    return genc_matmul(ctx, data(ctx, GENC_F32, 3, 4, 6, 0.1), data(ctx, GENC_F32, 3, 6, 5, 0.2));
  case 2: return genc_cholesky(ctx, spd(ctx, 5, 6));
  case 3:
    return genc_triangular_solve(ctx, genc_cholesky(ctx, spd(ctx, 5, 6)),
                                 data(ctx, GENC_F64, 5, 6, 3, 0.5), true, false);
  case 4:
    return genc_triangular_solve(ctx, genc_cholesky(ctx, spd(ctx, 0, 6)),
                                 data(ctx, GENC_F64, 5, 6, 3, 0.5), true, true);
  case 5: return genc_logdet(ctx, spd(ctx, 5, 6));
  case 6: return genc_inv(ctx, spd(ctx, 5, 6));
  /* the data matrices have rank 2: shift them off singular; LU still pivots */
  case 7:
    return genc_logdet(ctx, genc_add(ctx, data(ctx, GENC_F64, 4, 5, 5, 0.7),
                                     genc_mul(ctx, genc_array_eye(ctx, GENC_F64, 5), 2.0)));
  case 9: /* past the small-matrix kernel: cuBLAS, with a broadcast operand */
    return genc_matmul(ctx, data(ctx, GENC_F64, 3, 70, 80, 0.1),
                       data(ctx, GENC_F64, 0, 80, 65, 0.2));
  case 10:
    return genc_matmul(ctx, genc_transpose(ctx, data(ctx, GENC_F64, 0, 90, 70, 0.1)),
                       data(ctx, GENC_F64, 2, 90, 65, 0.2));
  default:
    return genc_inv(ctx, genc_add(ctx, data(ctx, GENC_F64, 0, 40, 40, 0.7),
                                  genc_mul(ctx, genc_array_eye(ctx, GENC_F64, 40), 5.0)));
  }
}

static void test_linalg(void **state) {
  (void)state;
  agree("matmul f64", f_linalg, 0, 1e-12);
  agree("matmul f32", f_linalg, 1, 1e-5);
  for (int v = 2; v < 8; v++)
    agree("linalg", f_linalg, v, 1e-12);
  agree("inv 40x40 unsymmetric", f_linalg, 8, 1e-9); /* cond ~ 1e3 */
  /* dot products of ~85 terms of size ~9 in another order: up to ~1e-13
   * absolute, and a few outputs lie near 0 (relative floor 1e-3) */
  agree("matmul cuBLAS", f_linalg, 9, 1e-9);
  agree("matmul cuBLAS transposed", f_linalg, 10, 1e-9);
}

static void test_linalg_errors(void **state) {
  (void)state;
  genc_ctx *cs[2] = {cpu, gpu};
  for (int k = 0; k < 2; k++) {
    genc_ctx *c = cs[k];
    int64_t m = genc_scope_begin(c);
    /* particle 2 of 4 is not positive definite */
    genc_array *a = spd(c, 4, 3);
    genc_array *sign =
        genc_array_from(c, GENC_F64, 3, (int64_t[]){4, 1, 1}, 0, (double[]){1, 1, -1, 1});
    genc_array *bad = genc_particle_from_axis(c, sign);
    assert_null(genc_cholesky(c, genc_mul(c, a, bad)));
    assert_int_equal(genc_ctx_status(c), GENC_ERR_LINALG);
    genc_ctx_clear_error(c);
    genc_scope_end(c, m);
  }
}

/* ---- random draws: same key, same numbers ---- */

static genc_array *f_random(genc_ctx *ctx, int v) {
  genc_key key = genc_key_fold_in(genc_key_from_seed(42), (uint64_t)v);
  int64_t shape[1] = {257};
  int64_t np = 64;
  switch (v) {
  case 0: return genc_random_uniform(ctx, key, GENC_F64, 1, shape, np);
  case 1: return genc_random_uniform(ctx, key, GENC_F32, 1, shape, np);
  case 2: return genc_random_bits(ctx, key, 1, shape, np);
  case 3: return genc_random_normal(ctx, key, GENC_F64, 1, shape, np);
  case 4: return genc_random_exponential(ctx, key, GENC_F64, 1, shape, np);
  case 5: return genc_random_gumbel(ctx, key, GENC_F64, 1, shape, np);
  case 6: return genc_random_normal(ctx, key, GENC_F32, 1, shape, np);
  default: break;
  }
  double grid[8] = {1e-3, 0.5, 1, 3, 9.9, 10, 300, 1e6};
  genc_array *par = genc_array_vec(ctx, 8, grid);
  switch (v) {
  case 7: return genc_random_gamma(ctx, key, par, 2000);
  case 8: return genc_random_log_gamma(ctx, key, par, 2000);
  case 9: return genc_random_poisson(ctx, key, par, 2000);
  case 10:
    return genc_random_binomial(
        ctx, key, genc_array_vec(ctx, 8, (double[]){1, 5, 10, 30, 100, 1e3, 1e5, 1e6}),
        genc_array_vec(ctx, 8, (double[]){0.5, 0.01, 0.9, 0.3, 0.5, 0.2, 0.7, 0.3}), 2000);
  case 11: return genc_random_categorical(ctx, key, data(ctx, GENC_F64, 0, 3, 10, 0.2), 500);
  case 12: return genc_random_permutation(ctx, key, 20, 100);
  default:
    return genc_random_bernoulli(ctx, key, genc_array_vec(ctx, 3, (double[]){0.1, 0.5, 0.99}),
                                 1000);
  }
}

static void test_random(void **state) {
  (void)state;
  /* uniform, bits and the integer laws bit for bit; the rest through libm */
  const double tol[14] = {0, 0, 0, 1e-12, 1e-12, 1e-12, 1e-5, 1e-12, 1e-12, 0, 0, 0, 0, 0};
  for (int v = 0; v < 14; v++)
    agree("random", f_random, v, tol[v]);
}

/* ---- distributions: log densities and samples ---- */

static genc_array *f_dist(genc_ctx *ctx, int v) {
  genc_array *x = data(ctx, GENC_F64, 50, 1, 4, 0.3);
  genc_array *pos = genc_add(ctx, genc_abs(ctx, x), 0.01);
  genc_array *cnt = genc_astype(ctx, genc_floor(ctx, genc_mul(ctx, pos, 3.0)), GENC_I32);
  genc_array *u = genc_sigmoid(ctx, x);
  genc_dist d;
  switch (v) {
  case 0: d = genc_normal(ctx, 0.5, 1.7); return genc_dist_logpdf(ctx, &d, x);
  case 1: d = genc_gamma(ctx, 2.5, 0.7); return genc_dist_logpdf(ctx, &d, pos);
  case 2: d = genc_gamma(ctx, 1e-3, 2.0); return genc_dist_logpdf(ctx, &d, pos);
  case 3: d = genc_poisson(ctx, 3.3); return genc_dist_logpdf(ctx, &d, cnt);
  case 4: d = genc_beta(ctx, 0.7, 2.2); return genc_dist_logpdf(ctx, &d, u);
  case 5: d = genc_student_t(ctx, 3.0, 0.1, 2.0); return genc_dist_logpdf(ctx, &d, x);
  case 6: d = genc_exponential(ctx, 1.3); return genc_dist_logpdf(ctx, &d, pos);
  case 7: d = genc_lognormal(ctx, 0.2, 0.8); return genc_dist_logpdf(ctx, &d, pos);
  case 8: d = genc_laplace(ctx, 0.2, 0.8); return genc_dist_logpdf(ctx, &d, x);
  case 9: d = genc_cauchy(ctx, 0.2, 0.8); return genc_dist_logpdf(ctx, &d, x);
  case 10: d = genc_binomial(ctx, 12.0, 0.3); return genc_dist_logpdf(ctx, &d, cnt);
  case 11:
    d = genc_normal(ctx, 0.0, 1.0);
    return genc_dist_sample(ctx, genc_key_from_seed(7), &d, 1000);
  case 12:
    d = genc_gamma(ctx, 0.5, 2.0);
    return genc_dist_sample(ctx, genc_key_from_seed(7), &d, 1000);
  default:
    d = genc_poisson(ctx, 40.0);
    return genc_dist_sample(ctx, genc_key_from_seed(7), &d, 1000);
  }
}

static void test_dist(void **state) {
  (void)state;
  for (int v = 0; v < 14; v++)
    agree("dist", f_dist, v, v == 13 ? 0 : 1e-12);
}

/* ---- autodiff ---- */

static genc_array *g_fn(genc_ctx *ctx, genc_array *const *a, void *u) {
  (void)u;
  genc_array *z = genc_matmul(ctx, genc_tanh(ctx, a[0]), a[1]);
  return genc_logsumexp(ctx, genc_mul(ctx, genc_sin(ctx, z), a[0]), 0, NULL, false);
}

static genc_array *f_grad(genc_ctx *ctx, int v) {
  genc_array *args[2] = {data(ctx, GENC_F64, 8, 3, 3, 0.1), data(ctx, GENC_F64, 0, 3, 3, 0.9)};
  genc_array *val, *g[2];
  if (genc_value_and_grad(ctx, g_fn, 2, args, NULL, 3u, &val, g)) return NULL;
  return v == 0 ? val : g[v - 1];
}

static void test_grad(void **state) {
  (void)state;
  for (int v = 0; v < 3; v++)
    agree("grad", f_grad, v, 1e-12);
}

/* ---- device selection ---- */

static void test_bad_device(void **state) {
  (void)state;
  genc_ctx_opts o = {.device = GENC_CUDA, .device_index = 99};
  genc_status st = GENC_OK;
  assert_null(genc_ctx_new(&o, &st));
  assert_int_equal(st, GENC_ERR_BACKEND);
  assert_non_null(strstr(genc_ctx_new_error(), "device 99"));
}

int main(void) {
  genc_ctx_opts o = {.device = GENC_CUDA};
  genc_status st;
  gpu = genc_ctx_new(&o, &st);
  if (!gpu) {
    printf("skipped: no CUDA device (%s)\n", genc_ctx_new_error());
    return 77;
  }
  cpu = genc_ctx_new(NULL, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_unary),         cmocka_unit_test(test_binary),
      cmocka_unit_test(test_where_cast),    cmocka_unit_test(test_reduce),
      cmocka_unit_test(test_scan),          cmocka_unit_test(test_index),
      cmocka_unit_test(test_index_errors),  cmocka_unit_test(test_linalg),
      cmocka_unit_test(test_linalg_errors), cmocka_unit_test(test_random),
      cmocka_unit_test(test_dist),          cmocka_unit_test(test_grad),
      cmocka_unit_test(test_bad_device),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  genc_ctx_free(cpu);
  genc_ctx_free(gpu);
  return rc;
}
