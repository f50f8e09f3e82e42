/* Linear algebra: matmul semantics (1-d promotion, batch broadcasting, the
 * particle axis), Cholesky, triangular solves, logdet, inverse, their errors.
 * References are naive C loops and algebraic identities (L L^T = A,
 * A inv(A) = I), in f64 to 1e-12 relative to the matrix scale. */
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

/* Deterministic values in [-1, 1). */
static void fill(double *v, int64_t n, uint64_t seed) {
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (int64_t i = 0; i < n; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    v[i] = (double)(s >> 11) * 0x1.0p-53 * 2 - 1;
  }
}

static genc_array *make(int ndim, const int64_t *shape, int64_t n, uint64_t seed, double **host) {
  int64_t size = n ? n : 1;
  for (int d = 0; d < ndim; d++)
    size *= shape[d];
  double *v = malloc((size_t)size * sizeof *v);
  fill(v, size, seed);
  genc_array *a = genc_array_from(ctx, GENC_F64, ndim, shape, n, v);
  T_OK(ctx, a);
  if (host)
    *host = v;
  else
    free(v);
  return a;
}

static double *host(genc_array *a) {
  int64_t n = genc_array_size(a) * (genc_array_nparticles(a) ? genc_array_nparticles(a) : 1);
  double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
  assert_int_equal(genc_array_copy_out(ctx, a, v, n), GENC_OK);
  return v;
}

static void naive_mm(const double *a, const double *b, double *c, int64_t m, int64_t k, int64_t n) {
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      double s = 0;
      for (int64_t l = 0; l < k; l++)
        s += a[i * k + l] * b[l * n + j];
      c[i * n + j] = s;
    }
}

static void check_shape(genc_array *a, int64_t n, int ndim, const int64_t *shape) {
  T_OK(ctx, a);
  assert_int_equal(genc_array_nparticles(a), n);
  assert_int_equal(genc_array_ndim(a), ndim);
  for (int d = 0; d < ndim; d++)
    assert_int_equal(genc_array_shape(a)[d], shape[d]);
}

/* Compare c (batch of [m, n]) against naive products of a and b blocks chosen by
 * the index maps ia, ib (block index of each output block). */
static void check_blocks(genc_array *c, const double *a, const double *b, int64_t nb,
                         const int64_t *ia, const int64_t *ib, int64_t m, int64_t k, int64_t n,
                         double tol) {
  double *got = host(c), *ref = malloc((size_t)(m * n) * sizeof *ref);
  for (int64_t q = 0; q < nb; q++) {
    naive_mm(a + ia[q] * m * k, b + ib[q] * k * n, ref, m, k, n);
    for (int64_t i = 0; i < m * n; i++)
      T_CLOSE(got[q * m * n + i], ref[i], tol);
  }
  free(got);
  free(ref);
}

static void test_matmul_2d(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  double *a, *b;
  int64_t z[1] = {0};
  /* tiny (the C loop) and large enough for gemm, with and without K = 0 */
  int64_t dims[3][3] = {{2, 3, 4}, {40, 50, 30}, {7, 1, 9}};
  for (int t = 0; t < 3; t++) {
    int64_t m = dims[t][0], k = dims[t][1], n = dims[t][2];
    int64_t sa[2] = {m, k}, sb[2] = {k, n}, sc[2] = {m, n};
    genc_array *A = make(2, sa, 0, 1 + t, &a), *B = make(2, sb, 0, 7 + t, &b);
    genc_array *C = genc_matmul(ctx, A, B);
    check_shape(C, 0, 2, sc);
    check_blocks(C, a, b, 1, z, z, m, k, n, 1e-13);
    free(a);
    free(b);
  }
  /* K = 0 gives zeros */
  int64_t s0[2] = {2, 0}, s1[2] = {0, 3};
  genc_array *C = genc_matmul(ctx, genc_array_zeros(ctx, GENC_F64, 2, s0, 0),
                              genc_array_zeros(ctx, GENC_F64, 2, s1, 0));
  T_OK(ctx, C);
  assert_int_equal(genc_array_size(C), 6);
  T_CLOSE(t_item(ctx, genc_sum_all(ctx, genc_abs(ctx, C))), 0, 0);
  genc_scope_end(ctx, mark);
}

static void test_matmul_f32(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  double *a, *b;
  int64_t z[1] = {0}, sa[2] = {30, 20}, sb[2] = {20, 10};
  genc_array *A = genc_astype(ctx, make(2, sa, 0, 3, &a), GENC_F32);
  genc_array *B = genc_astype(ctx, make(2, sb, 0, 4, &b), GENC_F32);
  genc_array *C = genc_matmul(ctx, A, B);
  T_OK(ctx, C);
  assert_int_equal(genc_array_dtype(C), GENC_F32);
  check_blocks(C, a, b, 1, z, z, 30, 20, 10, 1e-5);
  /* f32 x f64 computes in f64; integers compute in f64 */
  assert_int_equal(genc_array_dtype(genc_matmul(ctx, A, genc_astype(ctx, B, GENC_F64))), GENC_F64);
  int64_t two[2] = {2, 2};
  genc_array *I = genc_array_full(ctx, GENC_I32, 2, two, 0, 3);
  genc_array *P = genc_matmul(ctx, I, I);
  T_OK(ctx, P);
  assert_int_equal(genc_array_dtype(P), GENC_F64);
  T_CLOSE(t_at(ctx, P, 3), 18, 0);
  free(a);
  free(b);
  genc_scope_end(ctx, mark);
}

static void test_matmul_1d(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  double *v, *w, *m, *bm;
  int64_t s3[1] = {3}, s33[2] = {3, 4}, s23[2] = {2, 3}, sb[3] = {5, 2, 3};
  genc_array *V = make(1, s3, 0, 1, &v), *W = make(1, s3, 0, 2, &w);
  genc_array *M = make(2, s33, 0, 3, &m), *BM = make(3, sb, 0, 4, &bm);
  genc_array *dot = genc_matmul(ctx, V, W);
  check_shape(dot, 0, 0, NULL);
  T_CLOSE(t_item(ctx, dot), v[0] * w[0] + v[1] * w[1] + v[2] * w[2], 1e-15);
  /* [3] @ [3, 4] -> [4]: the vector is a row */
  genc_array *vm = genc_matmul(ctx, V, M);
  int64_t s4[1] = {4};
  check_shape(vm, 0, 1, s4);
  int64_t z[1] = {0};
  check_blocks(vm, v, m, 1, z, z, 1, 3, 4, 1e-15);
  /* [2, 3] @ [3] -> [2]: the vector is a column */
  genc_array *mv = genc_matmul(ctx, genc_array_from(ctx, GENC_F64, 2, s23, 0, bm), V);
  int64_t s2[1] = {2};
  check_shape(mv, 0, 1, s2);
  check_blocks(mv, bm, v, 1, z, z, 2, 3, 1, 1e-15);
  /* batched [5, 2, 3] @ [3] -> [5, 2] */
  genc_array *bv = genc_matmul(ctx, BM, V);
  int64_t s52[2] = {5, 2};
  check_shape(bv, 0, 2, s52);
  int64_t ia[5] = {0, 1, 2, 3, 4}, ib[5] = {0};
  check_blocks(bv, bm, v, 5, ia, ib, 2, 3, 1, 1e-15);
  free(v), free(w), free(m), free(bm);
  genc_scope_end(ctx, mark);
}

static void test_matmul_broadcast(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  double *a, *b;
  /* [2, 1, 2, 3] @ [4, 3, 5] -> [2, 4, 2, 5] */
  int64_t sa[4] = {2, 1, 2, 3}, sb[3] = {4, 3, 5}, sc[4] = {2, 4, 2, 5};
  genc_array *A = make(4, sa, 0, 11, &a), *B = make(3, sb, 0, 12, &b);
  genc_array *C = genc_matmul(ctx, A, B);
  check_shape(C, 0, 4, sc);
  int64_t ia[8], ib[8];
  for (int q = 0; q < 8; q++)
    ia[q] = q / 4, ib[q] = q % 4;
  check_blocks(C, a, b, 8, ia, ib, 2, 3, 5, 1e-14);
  /* a size-1 batch on both sides keeps the rank: [1, 1, 2, 3] @ [3, 5] */
  int64_t s1[4] = {1, 1, 2, 3}, s35[2] = {3, 5}, s1c[4] = {1, 1, 2, 5};
  genc_array *C1 = genc_matmul(ctx, genc_array_from(ctx, GENC_F64, 4, s1, 0, a),
                               genc_array_from(ctx, GENC_F64, 2, s35, 0, b));
  check_shape(C1, 0, 4, s1c);
  int64_t z[1] = {0};
  check_blocks(C1, a, b, 1, z, z, 2, 3, 5, 1e-14);
  /* [3p; 1, 2, 3] @ [1, 3, 5] keeps the batch axis and the particles */
  int64_t s123[3] = {1, 2, 3}, s135[3] = {1, 3, 5}, s125[3] = {1, 2, 5};
  double *a3;
  genc_array *C2 =
      genc_matmul(ctx, make(3, s123, 3, 13, &a3), genc_array_from(ctx, GENC_F64, 3, s135, 0, b));
  check_shape(C2, 3, 3, s125);
  int64_t i3[3] = {0, 1, 2}, z3[3] = {0, 0, 0};
  check_blocks(C2, a3, b, 3, i3, z3, 2, 3, 5, 1e-14);
  free(a3);
  free(a), free(b);
  genc_scope_end(ctx, mark);
}

static void test_matmul_particles(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  double *a, *b, *c;
  int64_t sa[2] = {2, 3}, sb[2] = {3, 4}, sc[2] = {2, 4}, N = 3;
  genc_array *A = make(2, sa, N, 21, &a), *B = make(2, sb, 0, 22, &b);
  genc_array *BB = make(2, sb, N, 23, &c);
  int64_t ip[3] = {0, 1, 2}, z[3] = {0, 0, 0};
  /* batched x shared, shared x batched, batched x batched */
  genc_array *C = genc_matmul(ctx, A, B);
  check_shape(C, N, 2, sc);
  check_blocks(C, a, b, 3, ip, z, 2, 3, 4, 1e-14);
  genc_array *sa2 = genc_array_from(ctx, GENC_F64, 2, sa, 0, a);
  C = genc_matmul(ctx, sa2, BB);
  check_shape(C, N, 2, sc);
  check_blocks(C, a, c, 3, z, ip, 2, 3, 4, 1e-14);
  C = genc_matmul(ctx, A, BB);
  check_shape(C, N, 2, sc);
  check_blocks(C, a, c, 3, ip, ip, 2, 3, 4, 1e-14);
  /* a shared batch axis against batched operands: [3p; 2, 3] @ [2, 3, 4] */
  double *d;
  int64_t sd[3] = {2, 3, 4}, sdc[3] = {2, 2, 4};
  genc_array *D = make(3, sd, 0, 24, &d);
  C = genc_matmul(ctx, A, D);
  check_shape(C, N, 3, sdc);
  int64_t ia6[6] = {0, 0, 1, 1, 2, 2}, ib6[6] = {0, 1, 0, 1, 0, 1};
  check_blocks(C, a, d, 6, ia6, ib6, 2, 3, 4, 1e-14);
  /* large per-particle matrices go through gemm with a shared right side folded */
  int64_t sl[2] = {20, 30}, sr[2] = {30, 10};
  double *la, *lb;
  genc_array *LA = make(2, sl, 4, 25, &la), *LB = make(2, sr, 0, 26, &lb);
  int64_t i4[4] = {0, 1, 2, 3}, z4[4] = {0};
  check_blocks(genc_matmul(ctx, LA, LB), la, lb, 4, i4, z4, 20, 30, 10, 1e-13);
  free(a), free(b), free(c), free(d), free(la), free(lb);
  genc_scope_end(ctx, mark);
}

static void expect_err(genc_array *r, genc_status st, const char *s1, const char *s2) {
  assert_null(r);
  assert_int_equal(genc_ctx_status(ctx), st);
  const char *msg = genc_ctx_error(ctx);
  if (s1 && !strstr(msg, s1)) fail_msg("message '%s' lacks '%s'", msg, s1);
  if (s2 && !strstr(msg, s2)) fail_msg("message '%s' lacks '%s'", msg, s2);
  genc_ctx_clear_error(ctx);
}

static void test_matmul_errors(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  int64_t s23[2] = {2, 3}, s43[2] = {4, 3}, s233[3] = {2, 3, 3}, s333[3] = {3, 3, 3};
  genc_array *A = genc_array_zeros(ctx, GENC_F64, 2, s23, 0);
  genc_array *B = genc_array_zeros(ctx, GENC_F64, 2, s43, 0);
  expect_err(genc_matmul(ctx, A, B), GENC_ERR_SHAPE, "[2, 3]", "[4, 3]");
  expect_err(genc_matmul(ctx, genc_scalar(ctx, 1), A), GENC_ERR_SHAPE, "matmul", NULL);
  expect_err(genc_matmul(ctx, genc_array_zeros(ctx, GENC_F64, 3, s233, 0),
                         genc_array_zeros(ctx, GENC_F64, 3, s333, 0)),
             GENC_ERR_SHAPE, "[2, 3, 3]", "[3, 3, 3]");
  int64_t s33[2] = {3, 3};
  expect_err(genc_matmul(ctx, genc_array_zeros(ctx, GENC_F64, 2, s33, 2),
                         genc_array_zeros(ctx, GENC_F64, 2, s33, 3)),
             GENC_ERR_PARTICLE, "matmul", NULL);
  assert_null(genc_matmul(ctx, NULL, A));
  assert_int_equal(genc_ctx_status(ctx), GENC_OK);
  genc_scope_end(ctx, mark);
}

/* A symmetric positive definite matrix X X^T + n I. */
static void spd(double *a, int64_t n, uint64_t seed) {
  double *x = malloc((size_t)(n * n) * sizeof *x);
  fill(x, n * n, seed);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++) {
      double s = i == j ? (double)n : 0;
      for (int64_t l = 0; l < n; l++)
        s += x[i * n + l] * x[j * n + l];
      a[i * n + j] = s;
    }
  free(x);
}

static void test_cholesky(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  /* hand example: [[4, 2], [2, 5]] = L L^T with L = [[2, 0], [1, 2]] */
  double a2[4] = {4, 2, 2, 5};
  genc_array *L = genc_cholesky(ctx, genc_array_mat(ctx, 2, 2, a2));
  T_OK(ctx, L);
  double want[4] = {2, 0, 1, 2};
  for (int i = 0; i < 4; i++)
    T_CLOSE(t_at(ctx, L, i), want[i], 1e-15);
  /* batched over particles, n = 6: L lower, L L^T = A */
  int64_t n = 6, N = 3, sh[2] = {6, 6};
  double a[108];
  for (int p = 0; p < N; p++)
    spd(a + p * 36, n, 40 + p);
  genc_array *A = genc_array_from(ctx, GENC_F64, 2, sh, N, a);
  L = genc_cholesky(ctx, A);
  check_shape(L, N, 2, sh);
  double *l = host(L);
  for (int p = 0; p < N; p++) {
    const double *lp = l + p * 36;
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < n; j++) {
        if (j > i) assert_true(lp[i * n + j] == 0);
        double s2 = 0;
        for (int64_t k = 0; k < n; k++)
          s2 += lp[i * n + k] * lp[j * n + k];
        T_CLOSE(s2, a[p * 36 + i * n + j], 1e-13);
      }
  }
  free(l);
  /* f32 */
  genc_array *L32 = genc_cholesky(ctx, genc_astype(ctx, genc_array_mat(ctx, 2, 2, a2), GENC_F32));
  T_OK(ctx, L32);
  assert_int_equal(genc_array_dtype(L32), GENC_F32);
  T_CLOSE(t_at(ctx, L32, 2), 1, 1e-6);
  genc_scope_end(ctx, mark);
}

static void test_cholesky_errors(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  double bad[4] = {1, 2, 2, 1}; /* eigenvalues 3, -1 */
  expect_err(genc_cholesky(ctx, genc_array_mat(ctx, 2, 2, bad)), GENC_ERR_LINALG, "cholesky",
             "positive definite");
  double three[12] = {1, 0, 0, 1, 1, 2, 2, 1, 2, 0, 0, 2};
  int64_t sh[2] = {2, 2}, sb[3] = {3, 2, 2};
  expect_err(genc_cholesky(ctx, genc_array_from(ctx, GENC_F64, 2, sh, 3, three)), GENC_ERR_LINALG,
             "cholesky", "particle 1");
  expect_err(genc_cholesky(ctx, genc_array_from(ctx, GENC_F64, 3, sb, 0, three)), GENC_ERR_LINALG,
             "cholesky", "batch index 1");
  int64_t s23[2] = {2, 3};
  expect_err(genc_cholesky(ctx, genc_array_zeros(ctx, GENC_F64, 2, s23, 0)), GENC_ERR_SHAPE,
             "cholesky", "[2, 3]");
  expect_err(genc_cholesky(ctx, genc_array_zeros(ctx, GENC_F64, 1, s23, 0)), GENC_ERR_SHAPE,
             "cholesky", NULL);
  genc_scope_end(ctx, mark);
}

/* op(T) X = B for every lower/trans combination, X checked by multiplying back. */
static void test_triangular_solve(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  int64_t n = 5, m = 3, N = 2, sl[2] = {5, 5}, sbm[2] = {5, 3};
  double t[25], *b;
  fill(t, 25, 50);
  for (int i = 0; i < 5; i++)
    t[i * 5 + i] = 2 + fabs(t[i * 5 + i]); /* well conditioned */
  genc_array *T = genc_array_from(ctx, GENC_F64, 2, sl, 0, t);
  genc_array *B = make(2, sbm, N, 51, &b);
  for (int lower = 0; lower < 2; lower++)
    for (int trans = 0; trans < 2; trans++) {
      genc_array *X = genc_triangular_solve(ctx, T, B, lower, trans);
      check_shape(X, N, 2, sbm);
      double *x = host(X);
      for (int p = 0; p < N; p++)
        for (int64_t i = 0; i < n; i++)
          for (int64_t j = 0; j < m; j++) {
            double acc = 0;
            for (int64_t k = 0; k < n; k++) {
              int64_t r = trans ? k : i, c = trans ? i : k; /* op(T)[i][k] = T[r][c] */
              bool in = lower ? c <= r : c >= r;
              if (in) acc += t[r * n + c] * x[p * n * m + k * m + j];
            }
            T_CLOSE(acc, b[p * n * m + i * m + j], 1e-13);
          }
      free(x);
    }
  /* 1-d right side: [5] -> [5] */
  int64_t s5[1] = {5};
  genc_array *V = genc_array_from(ctx, GENC_F64, 1, s5, 0, b);
  genc_array *xv = genc_triangular_solve(ctx, T, V, true, false);
  check_shape(xv, 0, 1, s5);
  double *x = host(xv);
  for (int64_t i = 0; i < n; i++) {
    double acc = 0;
    for (int64_t k = 0; k <= i; k++)
      acc += t[i * n + k] * x[k];
    T_CLOSE(acc, b[i], 1e-13);
  }
  free(x);
  int64_t s4[2] = {4, 3};
  expect_err(genc_triangular_solve(ctx, T, genc_array_zeros(ctx, GENC_F64, 2, s4, 0), true, false),
             GENC_ERR_SHAPE, "[5, 5]", "[4, 3]");
  expect_err(genc_triangular_solve(ctx, genc_array_zeros(ctx, GENC_F64, 2, s4, 0), B, true, false),
             GENC_ERR_SHAPE, "triangular_solve", NULL);
  free(b);
  genc_scope_end(ctx, mark);
}

static void test_logdet_inv(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  /* det [[2, 1], [1, 3]] = 5; det [[0, 1], [1, 0]] = -1 (pivoting; |det| = 1) */
  double m[8] = {2, 1, 1, 3, 0, 1, 1, 0};
  int64_t sb[3] = {2, 2, 2};
  genc_array *M = genc_array_from(ctx, GENC_F64, 3, sb, 0, m);
  genc_array *ld = genc_logdet(ctx, M);
  int64_t s2[1] = {2};
  check_shape(ld, 0, 1, s2);
  T_CLOSE(t_at(ctx, ld, 0), log(5.0), 1e-15);
  T_CLOSE(t_at(ctx, ld, 1), 0, 1e-15);
  /* inverse of a random 7x7 batch over particles: A inv(A) = I */
  int64_t sh[2] = {7, 7}, N = 2;
  double *a;
  genc_array *A = make(2, sh, N, 60, &a);
  genc_array *I = genc_matmul(ctx, A, genc_inv(ctx, A));
  check_shape(I, N, 2, sh);
  double *id = host(I);
  for (int p = 0; p < N; p++)
    for (int i = 0; i < 49; i++)
      T_CLOSE(id[p * 49 + i], i % 8 == 0 ? 1 : 0, 1e-12);
  free(id);
  /* logdet = sum log |diag U|, checked against the product of pivots via inv:
   * log|det A| + log|det inv(A)| = 0 */
  genc_array *sum = genc_add(ctx, genc_logdet(ctx, A), genc_logdet(ctx, genc_inv(ctx, A)));
  T_OK(ctx, sum);
  T_CLOSE(t_at(ctx, sum, 0), 0, 1e-12);
  T_CLOSE(t_at(ctx, sum, 1), 0, 1e-12);
  /* f32 stays f32 */
  genc_array *i32 = genc_inv(ctx, genc_astype(ctx, M, GENC_F32));
  T_OK(ctx, i32);
  assert_int_equal(genc_array_dtype(i32), GENC_F32);
  T_CLOSE(t_at(ctx, i32, 0), 0.6, 1e-6);
  free(a);
  genc_scope_end(ctx, mark);
}

static void test_singular(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  double sg[4] = {1, 2, 2, 4};
  expect_err(genc_inv(ctx, genc_array_mat(ctx, 2, 2, sg)), GENC_ERR_LINALG, "inv", "singular");
  expect_err(genc_logdet(ctx, genc_array_mat(ctx, 2, 2, sg)), GENC_ERR_LINALG, "logdet",
             "singular");
  double two[8] = {1, 0, 0, 1, 1, 2, 2, 4};
  int64_t sh[2] = {2, 2};
  expect_err(genc_inv(ctx, genc_array_from(ctx, GENC_F64, 2, sh, 2, two)), GENC_ERR_LINALG, "inv",
             "particle 1");
  int64_t s23[2] = {2, 3};
  expect_err(genc_inv(ctx, genc_array_zeros(ctx, GENC_F64, 2, s23, 0)), GENC_ERR_SHAPE, "inv",
             "[2, 3]");
  expect_err(genc_logdet(ctx, genc_array_zeros(ctx, GENC_F64, 2, s23, 0)), GENC_ERR_SHAPE, "logdet",
             "[2, 3]");
  genc_scope_end(ctx, mark);
}

static void test_no_leaks(void **s) {
  (void)s;
  int64_t live = genc_ctx_live_arrays(ctx);
  int64_t mark = genc_scope_begin(ctx);
  double a2[4] = {4, 2, 2, 5};
  genc_array *A = genc_array_mat(ctx, 2, 2, a2);
  T_OK(ctx, genc_logdet(ctx, genc_cholesky(ctx, genc_matmul(ctx, A, genc_inv(ctx, A)))));
  genc_scope_end(ctx, mark);
  assert_int_equal(genc_ctx_live_arrays(ctx), live);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_matmul_2d),        cmocka_unit_test(test_matmul_f32),
      cmocka_unit_test(test_matmul_1d),        cmocka_unit_test(test_matmul_broadcast),
      cmocka_unit_test(test_matmul_particles), cmocka_unit_test(test_matmul_errors),
      cmocka_unit_test(test_cholesky),         cmocka_unit_test(test_cholesky_errors),
      cmocka_unit_test(test_triangular_solve), cmocka_unit_test(test_logdet_inv),
      cmocka_unit_test(test_singular),         cmocka_unit_test(test_no_leaks),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
