/*
 * Gradients of the math ops against central finite differences (tests/fdcheck.h:
 * f64, relative error < 1e-6 under a random cotangent; see that file for why the
 * bound is safe), for shared and batched inputs; per-particle gradients of a
 * batched function; gradient edge cases checked exactly.
 *
 * Inputs stay away from kinks and poles (|x| for abs, ties for max/min, integer
 * points for floor/round) where a central difference is not a derivative.
 */
#include "fdcheck.h"

#define TOL 1e-6

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

/* Deterministic values in [lo, hi). */
static genc_array *rnd(int ndim, const int64_t *shape, int64_t n, uint64_t seed, double lo,
                       double hi) {
  int64_t size = n ? n : 1;
  for (int d = 0; d < ndim; d++)
    size *= shape[d];
  double *v = malloc((size_t)size * sizeof *v);
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 7;
  for (int64_t i = 0; i < size; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    v[i] = lo + (hi - lo) * ((double)(s >> 11) * 0x1.0p-53);
  }
  genc_array *a = genc_array_from(ctx, GENC_F64, ndim, shape, n, v);
  free(v);
  T_OK(ctx, a);
  return a;
}

/* ---- unary ---- */

static genc_array *f_unary(genc_ctx *c, genc_array *const *a, void *u) {
  return genc_unary(c, *(genc_unary_op *)u, a[0]);
}

typedef struct {
  genc_unary_op op;
  double lo, hi; /* a smooth stretch of the domain */
} ucase;

static const ucase UNARY[] = {
    {GENC_NEG, -2, 2},      {GENC_ABS, 0.2, 2},        {GENC_EXP, -2, 2},
    {GENC_EXPM1, -2, 2},    {GENC_LOG, 0.2, 3},        {GENC_LOG1P, -0.5, 3},
    {GENC_SQRT, 0.2, 3},    {GENC_SQUARE, -2, 2},      {GENC_SIN, -3, 3},
    {GENC_COS, -3, 3},      {GENC_TAN, -1.2, 1.2},     {GENC_TANH, -2, 2},
    {GENC_SIGMOID, -4, 4},  {GENC_LOG_SIGMOID, -4, 4}, {GENC_SOFTPLUS, -4, 4},
    {GENC_ERF, -2, 2},      {GENC_ERFC, -2, 2},        {GENC_ERFINV, -0.9, 0.9},
    {GENC_LGAMMA, 0.2, 6},  {GENC_DIGAMMA, 0.3, 6},    {GENC_RECIPROCAL, 0.3, 3},
    {GENC_SIGN, 0.1, 0.9},  {GENC_FLOOR, 0.1, 0.9},    {GENC_CEIL, 0.1, 0.9},
    {GENC_ROUND, 0.1, 0.4},
};

static void test_unary_grads(void **s) {
  (void)s;
  int64_t s3[1] = {3}, s23[2] = {2, 3};
  for (size_t c = 0; c < sizeof UNARY / sizeof UNARY[0]; c++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_unary_op op = UNARY[c].op;
    genc_array *shared = rnd(1, s3, 0, 1 + c, UNARY[c].lo, UNARY[c].hi);
    genc_array *batched = rnd(2, s23, 3, 100 + c, UNARY[c].lo, UNARY[c].hi);
    double e1 = t_fdcheck(ctx, f_unary, 1, &shared, &op, 1u, TOL);
    double e2 = t_fdcheck(ctx, f_unary, 1, &batched, &op, 1u, TOL);
    (void)e1, (void)e2;
    genc_scope_end(ctx, mark);
  }
}

/* trigamma's derivative needs tetragamma: an explicit error, not a wrong value */
static void test_trigamma_grad_unsupported(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  genc_unary_op op = GENC_TRIGAMMA;
  genc_array *x = genc_scalar(ctx, 1.5), *out, *g;
  assert_int_equal(genc_vjp(ctx, f_unary, 1, &x, &op, 1u, NULL, &out, &g), GENC_ERR_UNSUPPORTED);
  assert_non_null(strstr(genc_ctx_error(ctx), "trigamma"));
  genc_ctx_clear_error(ctx);
  genc_scope_end(ctx, mark);
}

/* ---- binary ---- */

static genc_array *f_binary(genc_ctx *c, genc_array *const *a, void *u) {
  return genc_binary(c, *(genc_binary_op *)u, a[0], a[1]);
}

static void test_binary_grads(void **s) {
  (void)s;
  genc_binary_op ops[8] = {GENC_ADD, GENC_SUB,     GENC_MUL,     GENC_DIV,
                           GENC_POW, GENC_MAXIMUM, GENC_MINIMUM, GENC_ATAN2};
  int64_t s23[2] = {2, 3}, s3[1] = {3}, s21[2] = {2, 1};
  for (int k = 0; k < 8; k++) {
    int64_t mark = genc_scope_begin(ctx);
    /* positive operands keep pow and div smooth; distinct seeds avoid max/min ties */
    genc_array *pairs[5][2] = {
        {rnd(2, s23, 0, 10 + k, 0.5, 2), rnd(2, s23, 0, 20 + k, 0.5, 2)},  /* same shape */
        {rnd(2, s23, 0, 30 + k, 0.5, 2), rnd(1, s3, 0, 40 + k, 0.5, 2)},   /* [2,3] x [3] */
        {rnd(2, s21, 0, 50 + k, 0.5, 2), rnd(1, s3, 0, 60 + k, 0.5, 2)},   /* [2,1] x [3] */
        {rnd(1, s3, 4, 70 + k, 0.5, 2), rnd(1, s3, 0, 80 + k, 0.5, 2)},    /* batched x shared */
        {rnd(0, NULL, 0, 90 + k, 0.5, 2), rnd(2, s23, 4, 95 + k, 0.5, 2)}, /* 0-d x batched */
    };
    for (int p = 0; p < 5; p++)
      t_fdcheck(ctx, f_binary, 2, pairs[p], &ops[k], 3u, TOL);
    genc_scope_end(ctx, mark);
  }
  /* pow with a negative base: d/da is fine, d/db is defined as 0 where a <= 0 */
  int64_t mark = genc_scope_begin(ctx);
  genc_binary_op op = GENC_POW;
  genc_array *ab[2] = {rnd(1, s3, 0, 5, -2, -0.5), genc_scalar(ctx, 3.0)};
  t_fdcheck(ctx, f_binary, 2, ab, &op, 1u, TOL);
  genc_array *out, *g[2];
  assert_int_equal(genc_vjp(ctx, f_binary, 2, ab, &op, 2u, NULL, &out, g), GENC_OK);
  T_CLOSE(t_item(ctx, g[1]), 0, 0);
  genc_scope_end(ctx, mark);
}

/* ---- where, astype ---- */

static genc_array *f_where(genc_ctx *c, genc_array *const *a, void *u) {
  (void)u;
  return genc_where(c, genc_gt(c, a[0], 0.0), genc_mul(c, a[1], a[1]), genc_exp(c, a[2]));
}

static void test_where_grads(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  int64_t s3[1] = {3}, s23[2] = {2, 3}, s21[2] = {2, 1};
  genc_array *sets[3][3] = {
      {rnd(1, s3, 0, 1, -1, 1), rnd(1, s3, 0, 2, -1, 1), rnd(1, s3, 0, 3, -1, 1)},
      {rnd(2, s21, 0, 4, -1, 1), rnd(1, s3, 0, 5, -1, 1), rnd(0, NULL, 0, 6, -1, 1)},
      {rnd(2, s23, 3, 7, -1, 1), rnd(1, s3, 0, 8, -1, 1), rnd(2, s23, 3, 9, -1, 1)},
  };
  for (int k = 0; k < 3; k++)
    t_fdcheck(ctx, f_where, 3, sets[k], NULL, 6u, TOL);
  genc_scope_end(ctx, mark);
}

static genc_array *f_astype(genc_ctx *c, genc_array *const *a, void *u) {
  genc_array *y = genc_astype(c, a[0], *(genc_dtype *)u);
  return genc_sum_all(c, genc_mul(c, genc_astype(c, y, GENC_F64), a[0]));
}

static void test_astype_grads(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  double v[3] = {0.25, -1.5, 2.75}; /* exact in f32 */
  genc_array *x = genc_array_vec(ctx, 3, v), *out, *g;
  /* d/dx sum(astype(x) * x) = 2x through f32 (exact values), x through i32 */
  genc_dtype dts[3] = {GENC_F32, GENC_F64, GENC_I32};
  for (int k = 0; k < 3; k++) {
    assert_int_equal(genc_vjp(ctx, f_astype, 1, &x, &dts[k], 1u, NULL, &out, &g), GENC_OK);
    for (int i = 0; i < 3; i++)
      T_CLOSE(t_at(ctx, g, i), dts[k] == GENC_I32 ? trunc(v[i]) : 2 * v[i], 0);
  }
  genc_scope_end(ctx, mark);
}

/* ---- reductions ---- */

typedef struct {
  genc_reduce_op op;
  bool mean;
  int naxes;
  int axes[3];
  bool keep;
} rcase;

static genc_array *f_reduce(genc_ctx *c, genc_array *const *a, void *u) {
  const rcase *r = u;
  if (r->mean) return genc_mean(c, a[0], r->naxes, r->axes, r->keep);
  return genc_reduce(c, r->op, a[0], r->naxes, r->axes, r->keep);
}

static void test_reduce_grads(void **s) {
  (void)s;
  int64_t s234[3] = {2, 3, 4};
  genc_reduce_op ops[5] = {GENC_RSUM, GENC_RPROD, GENC_RMAX, GENC_RMIN, GENC_RLOGSUMEXP};
  int sets[5][4] = {{0}, {1, 0}, {1, -1}, {2, 0, 2}, {3, 0, 1, 2}}; /* naxes, axes... */
  for (int k = 0; k < 6; k++)
    for (int b = 0; b < 2; b++) {
      int64_t mark = genc_scope_begin(ctx);
      /* values in [0.5, 1.5): nonzero for prod, distinct (no ties) for max/min */
      genc_array *x = rnd(3, s234, b ? 2 : 0, 200 + k * 2 + b, 0.5, 1.5);
      for (int a = 0; a < 5; a++)
        for (int keep = 0; keep < 2; keep++) {
          rcase r = {k < 5 ? ops[k] : GENC_RSUM, k == 5, sets[a][0], {0}, keep};
          for (int i = 0; i < r.naxes; i++)
            r.axes[i] = sets[a][i + 1];
          t_fdcheck(ctx, f_reduce, 1, &x, &r, 1u, TOL);
        }
      genc_scope_end(ctx, mark);
    }
}

/* prod at zeros: y / x would be 0 / 0; the gradient is the product of the rest */
static void test_prod_zero_grads(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  double v[12] = {0, 2, 3, 4, /* one zero */ 0, 5, 0, 2, /* two zeros */ 1, 2, 3, 0.5};
  int64_t s34[2] = {3, 4};
  genc_array *x = genc_array_from(ctx, GENC_F64, 2, s34, 0, v), *xb;
  rcase rows = {GENC_RPROD, false, 1, {1}, false}, all = {GENC_RPROD, false, 0, {0}, true};
  genc_array *out, *g;
  assert_int_equal(genc_vjp(ctx, f_reduce, 1, &x, &rows, 1u, NULL, &out, &g), GENC_OK);
  double want[12] = {24, 0, 0, 0, 0, 0, 0, 0, 3, 1.5, 1, 6};
  for (int i = 0; i < 12; i++)
    T_CLOSE(t_at(ctx, g, i), want[i], 1e-15);
  /* prod is multilinear, so central differences are exact even at 0 */
  t_fdcheck(ctx, f_reduce, 1, &x, &rows, 1u, TOL);
  t_fdcheck(ctx, f_reduce, 1, &x, &all, 1u, TOL);
  xb = genc_array_from(ctx, GENC_F64, 1, s34 + 1, 3, v); /* batched over particles */
  t_fdcheck(ctx, f_reduce, 1, &xb, &all, 1u, TOL);
  genc_scope_end(ctx, mark);
}

static genc_array *f_preduce(genc_ctx *c, genc_array *const *a, void *u) {
  return genc_particle_reduce(c, *(genc_reduce_op *)u, a[0]);
}

static void test_particle_reduce_grads(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  int64_t s3[1] = {3};
  genc_array *x = rnd(1, s3, 4, 300, 0.5, 1.5);
  genc_reduce_op ops[5] = {GENC_RSUM, GENC_RMAX, GENC_RMIN, GENC_RLOGSUMEXP, GENC_RPROD};
  for (int k = 0; k < 5; k++)
    t_fdcheck(ctx, f_preduce, 1, &x, &ops[k], 1u, TOL);
  double v[6] = {0, 1, 2, 3, 0, 5}; /* prod over particles with zeros */
  genc_array *xz = genc_array_from(ctx, GENC_F64, 1, s3, 2, v);
  t_fdcheck(ctx, f_preduce, 1, &xz, &ops[4], 1u, TOL);
  genc_scope_end(ctx, mark);
}

/* ---- linear algebra ---- */

static genc_array *f_matmul(genc_ctx *c, genc_array *const *a, void *u) {
  (void)u;
  return genc_matmul(c, a[0], a[1]);
}

static void test_matmul_grads(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  int64_t s23[2] = {2, 3}, s34[2] = {3, 4}, s3[1] = {3}, s4[1] = {4}, s523[3] = {5, 2, 3};
  int64_t s2134[4] = {2, 1, 3, 4}, s234[3] = {2, 3, 4}, big1[2] = {12, 10}, big2[2] = {10, 9};
  genc_array *pairs[][2] = {
      {rnd(2, s23, 0, 1, -1, 1), rnd(2, s34, 0, 2, -1, 1)},     /* 2-d */
      {rnd(1, s3, 0, 3, -1, 1), rnd(1, s3, 0, 4, -1, 1)},       /* dot */
      {rnd(1, s3, 0, 5, -1, 1), rnd(2, s34, 0, 6, -1, 1)},      /* vector @ matrix */
      {rnd(2, s34, 0, 7, -1, 1), rnd(1, s4, 0, 8, -1, 1)},      /* matrix @ vector */
      {rnd(3, s523, 0, 9, -1, 1), rnd(4, s2134, 0, 10, -1, 1)}, /* broadcast batch */
      {rnd(2, s23, 3, 11, -1, 1), rnd(2, s34, 0, 12, -1, 1)},   /* batched @ shared */
      {rnd(2, s23, 0, 13, -1, 1), rnd(2, s34, 3, 14, -1, 1)},   /* shared @ batched */
      {rnd(2, s23, 3, 15, -1, 1), rnd(2, s34, 3, 16, -1, 1)},   /* batched @ batched */
      {rnd(2, s23, 3, 17, -1, 1), rnd(3, s234, 0, 18, -1, 1)},  /* batched @ shared batch */
      {rnd(2, big1, 2, 19, -1, 1), rnd(2, big2, 0, 20, -1, 1)}, /* gemm path */
  };
  for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++)
    t_fdcheck(ctx, f_matmul, 2, pairs[k], NULL, 3u, TOL);
  genc_scope_end(ctx, mark);
}

/* A = X X^T + 3 I built from differentiable elementwise ops; returns chol(A). */
static genc_array *f_chol(genc_ctx *c, genc_array *const *a, void *u) {
  (void)u;
  genc_array *x = a[0];
  int nd = genc_array_ndim(x);
  int64_t n = genc_array_dim(x, -2), k = genc_array_dim(x, -1), sa[3] = {n, 1, k},
          sb[3] = {1, n, k};
  int ax = -1;
  (void)nd;
  genc_array *xx = genc_mul(c, genc_reshape(c, x, 3, sa), genc_reshape(c, x, 3, sb));
  genc_array *A =
      genc_add(c, genc_sum(c, xx, 1, &ax, false), genc_mul(c, genc_array_eye(c, GENC_F64, n), 3.0));
  return genc_cholesky(c, A);
}

static void test_cholesky_grads(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  int64_t s44[2] = {4, 4}, s33[2] = {3, 3};
  genc_array *x = rnd(2, s44, 0, 31, -1, 1), *xb = rnd(2, s33, 3, 32, -1, 1);
  t_fdcheck(ctx, f_chol, 1, &x, NULL, 1u, TOL);
  t_fdcheck(ctx, f_chol, 1, &xb, NULL, 1u, TOL);
  genc_scope_end(ctx, mark);
}

static genc_array *f_trsv(genc_ctx *c, genc_array *const *a, void *u) {
  const int *flags = u;
  return genc_triangular_solve(c, a[0], a[1], flags[0], flags[1]);
}

/* a triangular-friendly matrix: entries in [-0.5, 0.5) plus 2 on the diagonal */
static genc_array *tri(int64_t n, int64_t np, uint64_t seed) {
  int64_t sh[2] = {n, n};
  return genc_add(ctx, rnd(2, sh, np, seed, -0.5, 0.5),
                  genc_mul(ctx, genc_array_eye(ctx, GENC_F64, n), 2.0));
}

static void test_triangular_solve_grads(void **s) {
  (void)s;
  int64_t s32[2] = {3, 2}, s3[1] = {3}, s232[3] = {2, 3, 2};
  for (int f = 0; f < 4; f++) {
    int64_t mark = genc_scope_begin(ctx);
    int flags[2] = {f & 1, f >> 1};
    genc_array *pairs[][2] = {
        {tri(3, 0, 40 + f), rnd(2, s32, 0, 50 + f, -1, 1)},  /* shared */
        {tri(3, 0, 41 + f), rnd(1, s3, 0, 51 + f, -1, 1)},   /* 1-d right side */
        {tri(3, 0, 42 + f), rnd(2, s32, 2, 52 + f, -1, 1)},  /* shared L, batched B */
        {tri(3, 2, 43 + f), rnd(2, s32, 2, 53 + f, -1, 1)},  /* batched both */
        {tri(3, 2, 44 + f), rnd(3, s232, 0, 54 + f, -1, 1)}, /* batched L, shared batch */
    };
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++)
      t_fdcheck(ctx, f_trsv, 2, pairs[k], flags, 3u, TOL);
    genc_scope_end(ctx, mark);
  }
}

static genc_array *f_logdet(genc_ctx *c, genc_array *const *a, void *u) {
  (void)u;
  return genc_logdet(c, a[0]);
}
static genc_array *f_inv(genc_ctx *c, genc_array *const *a, void *u) {
  (void)u;
  return genc_inv(c, a[0]);
}

static void test_logdet_inv_grads(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  int64_t s233[3] = {2, 3, 3};
  /* non-symmetric, well conditioned; one with negative determinant */
  genc_array *xs[4] = {tri(4, 0, 60), tri(3, 3, 61), rnd(3, s233, 0, 62, -1, 1), NULL};
  double sw[4] = {0, 1, 1, 0};
  xs[3] = genc_add(ctx, genc_array_mat(ctx, 2, 2, sw), genc_mul(ctx, tri(2, 0, 63), 0.1));
  xs[2] = genc_add(ctx, xs[2], genc_mul(ctx, genc_array_eye(ctx, GENC_F64, 3), 2.0));
  for (int k = 0; k < 4; k++) {
    t_fdcheck(ctx, f_logdet, 1, &xs[k], NULL, 1u, TOL);
    t_fdcheck(ctx, f_inv, 1, &xs[k], NULL, 1u, TOL);
  }
  genc_scope_end(ctx, mark);
}

/* ---- per-particle gradients of a batched function ---- */

static genc_array *f_particle(genc_ctx *c, genc_array *const *a, void *u) {
  (void)u;
  /* batched x [N; 3], shared w [3]: per particle sum(w * x^2) + logdet(diag) */
  return genc_sum_all(c, genc_mul(c, a[1], genc_square(c, a[0])));
}

static void test_per_particle_grads(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  double xv[6] = {1, 2, 3, -1, 0.5, 4}, wv[3] = {0.5, -1, 2};
  int64_t s3[1] = {3};
  genc_array *args[2] = {genc_array_from(ctx, GENC_F64, 1, s3, 2, xv), genc_array_vec(ctx, 3, wv)};
  genc_array *val, *g[2];
  assert_int_equal(genc_value_and_grad(ctx, f_particle, 2, args, NULL, 3u, &val, g), GENC_OK);
  assert_int_equal(genc_array_nparticles(val), 2);
  assert_int_equal(genc_array_nparticles(g[0]), 2);
  assert_int_equal(genc_array_nparticles(g[1]), 0);
  for (int p = 0; p < 2; p++)
    for (int i = 0; i < 3; i++)
      T_CLOSE(t_at(ctx, g[0], p * 3 + i), 2 * wv[i] * xv[p * 3 + i], 0);
  /* the shared argument gets the sum over particles */
  for (int i = 0; i < 3; i++)
    T_CLOSE(t_at(ctx, g[1], i), xv[i] * xv[i] + xv[3 + i] * xv[3 + i], 0);
  /* and per-particle linalg: d logdet(A_p) / d A_p = A_p^-T, particle by particle */
  genc_array *A = tri(3, 2, 70), *Ag;
  assert_int_equal(genc_value_and_grad(ctx, f_logdet, 1, &A, NULL, 1u, &val, &Ag), GENC_OK);
  assert_int_equal(genc_array_nparticles(val), 2);
  genc_array *want = genc_inv(ctx, A); /* transpose checked elementwise below */
  for (int p = 0; p < 2; p++)
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++)
        T_CLOSE(t_at(ctx, Ag, p * 9 + i * 3 + j), t_at(ctx, want, p * 9 + j * 3 + i), 1e-14);
  genc_scope_end(ctx, mark);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_unary_grads),
      cmocka_unit_test(test_trigamma_grad_unsupported),
      cmocka_unit_test(test_binary_grads),
      cmocka_unit_test(test_where_grads),
      cmocka_unit_test(test_astype_grads),
      cmocka_unit_test(test_reduce_grads),
      cmocka_unit_test(test_prod_zero_grads),
      cmocka_unit_test(test_particle_reduce_grads),
      cmocka_unit_test(test_matmul_grads),
      cmocka_unit_test(test_cholesky_grads),
      cmocka_unit_test(test_triangular_solve_grads),
      cmocka_unit_test(test_logdet_inv_grads),
      cmocka_unit_test(test_per_particle_grads),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
