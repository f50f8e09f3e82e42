/* Layout and indexing ops: values against NumPy semantics written out as C loops,
 * gradients against central differences (fdcheck.h), and every error path. */
#include "fdcheck.h"

static genc_array *ivec(genc_ctx *ctx, int ndim, const int64_t *shape, int64_t n,
                        const int32_t *v) {
  genc_array *a = genc_array_from(ctx, GENC_I32, ndim, shape, n, v);
  T_OK(ctx, a);
  return a;
}

static double *host(genc_ctx *ctx, genc_array *a) {
  int64_t n;
  T_OK(ctx, a);
  return t_fd_host(ctx, a, &n);
}

static void expect_shape(genc_array *a, int64_t n, int ndim, const int64_t *shape) {
  assert_non_null(a);
  assert_int_equal(genc_array_nparticles(a), n);
  assert_int_equal(genc_array_ndim(a), ndim);
  for (int d = 0; d < ndim; d++)
    assert_int_equal(genc_array_shape(a)[d], shape[d]);
}

/* ---- permute / transpose / expand / squeeze ---- */

static void test_permute(void **state) {
  genc_ctx *ctx = *state;
  int64_t s[3] = {2, 3, 4}, e[3] = {4, 2, 3};
  for (int64_t n = 0; n <= 2; n += 2) {
    genc_array *x = t_iota(ctx, n, 3, s, 1, 0);
    int perm[3] = {2, 0, 1};
    genc_array *y = genc_permute(ctx, x, 3, perm);
    expect_shape(y, n, 3, e);
    double *v = host(ctx, y);
    for (int64_t p = 0; p < (n ? n : 1); p++)
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++)
          for (int k = 0; k < 3; k++) /* y[i,j,k] = x[j,k,i] */
            T_CLOSE(v[p * 24 + i * 6 + j * 3 + k], (double)(p * 24 + j * 12 + k * 4 + i), 0);
    free(v);
  }
  genc_array *m = t_iota(ctx, 0, 2, (int64_t[]){2, 3}, 1, 0);
  double *t = host(ctx, genc_transpose(ctx, m));
  double want[6] = {0, 3, 1, 4, 2, 5};
  for (int i = 0; i < 6; i++)
    T_CLOSE(t[i], want[i], 0);
  free(t);
  t_expect_error(ctx, genc_permute(ctx, m, 2, (int[]){0, 0}), GENC_ERR_AXIS, "permute", "twice");
  t_expect_error(ctx, genc_permute(ctx, m, 2, (int[]){0, 2}), GENC_ERR_AXIS, "permute", "2");
  t_expect_error(ctx, genc_permute(ctx, m, 3, (int[]){0, 1, 2}), GENC_ERR_AXIS, "permute", "rank");
}

static void test_expand_squeeze(void **state) {
  genc_ctx *ctx = *state;
  genc_array *x = t_iota(ctx, 3, 2, (int64_t[]){2, 3}, 1, 0);
  genc_array *y = genc_expand_dims(ctx, x, -1);
  expect_shape(y, 3, 3, (int64_t[]){2, 3, 1});
  y = genc_expand_dims(ctx, y, 0);
  expect_shape(y, 3, 4, (int64_t[]){1, 2, 3, 1});
  T_CLOSE(t_at(ctx, y, 17), 17, 0);
  expect_shape(genc_squeeze(ctx, y, GENC_ALL_AXES), 3, 2, (int64_t[]){2, 3});
  expect_shape(genc_squeeze(ctx, y, -1), 3, 3, (int64_t[]){1, 2, 3});
  t_expect_error(ctx, genc_squeeze(ctx, y, 1), GENC_ERR_SHAPE, "squeeze", "[1, 2, 3, 1]");
  t_expect_error(ctx, genc_squeeze(ctx, y, 4), GENC_ERR_AXIS, "squeeze", "4");
  t_expect_error(ctx, genc_expand_dims(ctx, x, 4), GENC_ERR_AXIS, "expand_dims", NULL);
}

/* ---- concat / stack ---- */

static void test_concat(void **state) {
  genc_ctx *ctx = *state;
  genc_array *a = t_iota(ctx, 0, 2, (int64_t[]){2, 2}, 1, 0); /* shared [[0,1],[2,3]] */
  genc_array *b =
      t_iota(ctx, 2, 2, (int64_t[]){2, 1}, 1, 10); /* batched [[10],[11]] / [[12],[13]] */
  genc_array *ab[2] = {a, b};
  genc_array *y = genc_concat(ctx, 2, ab, 1);
  expect_shape(y, 2, 2, (int64_t[]){2, 3});
  double want[12] = {0, 1, 10, 2, 3, 11, 0, 1, 12, 2, 3, 13}, *v = host(ctx, y);
  for (int i = 0; i < 12; i++)
    T_CLOSE(v[i], want[i], 0);
  free(v);
  /* axis 0 of shared arrays, more inputs than a tape node holds, dtypes promoted */
  genc_array *parts[6];
  for (int k = 0; k < 6; k++)
    parts[k] = t_iota(ctx, 0, 1, (int64_t[]){k % 2 + 1}, 1, 10 * k);
  parts[3] = genc_astype(ctx, parts[3], GENC_I32);
  y = genc_concat(ctx, 6, parts, 0);
  expect_shape(y, 0, 1, (int64_t[]){9});
  assert_int_equal(genc_array_dtype(y), GENC_F64);
  double w2[9] = {0, 10, 11, 20, 30, 31, 40, 50, 51};
  v = host(ctx, y);
  for (int i = 0; i < 9; i++)
    T_CLOSE(v[i], w2[i], 0);
  free(v);
  genc_array *c = t_iota(ctx, 0, 2, (int64_t[]){3, 2}, 1, 0), *ac[2] = {a, c};
  t_expect_error(ctx, genc_concat(ctx, 2, ac, 1), GENC_ERR_SHAPE, "[2, 2]", "[3, 2]");
  t_expect_error(ctx, genc_concat(ctx, 2, ac, 2), GENC_ERR_AXIS, "concat", NULL);
  t_expect_error(ctx, genc_concat(ctx, 0, ac, 0), GENC_ERR_ARG, "concat", NULL);
  genc_array *d = t_iota(ctx, 3, 2, (int64_t[]){2, 1}, 1, 0), *bd[2] = {b, d};
  t_expect_error(ctx, genc_concat(ctx, 2, bd, 1), GENC_ERR_PARTICLE, "concat", NULL);
}

static void test_stack(void **state) {
  genc_ctx *ctx = *state;
  genc_array *xs[5];
  for (int k = 0; k < 5; k++)
    xs[k] = t_iota(ctx, 0, 1, (int64_t[]){3}, 1, 10 * k);
  genc_array *y = genc_stack(ctx, 5, xs, 0);
  expect_shape(y, 0, 2, (int64_t[]){5, 3});
  double *v = host(ctx, y);
  for (int k = 0; k < 5; k++)
    for (int j = 0; j < 3; j++)
      T_CLOSE(v[k * 3 + j], 10 * k + j, 0);
  free(v);
  y = genc_stack(ctx, 5, xs, -1);
  expect_shape(y, 0, 2, (int64_t[]){3, 5});
  v = host(ctx, y);
  for (int k = 0; k < 5; k++)
    for (int j = 0; j < 3; j++)
      T_CLOSE(v[j * 5 + k], 10 * k + j, 0);
  free(v);
  xs[1] = t_iota(ctx, 0, 1, (int64_t[]){4}, 1, 0);
  t_expect_error(ctx, genc_stack(ctx, 2, xs, 0), GENC_ERR_SHAPE, "[3]", "[4]");
  t_expect_error(ctx, genc_stack(ctx, 1, xs, 2), GENC_ERR_AXIS, "stack", NULL);
}

/* ---- slice ---- */

static void test_slice(void **state) {
  genc_ctx *ctx = *state;
  genc_array *x = t_iota(ctx, 2, 2, (int64_t[]){3, 7}, 1, 0);
  genc_array *y = genc_slice(ctx, x, 1, -6, 100, 2); /* columns 1, 3, 5 */
  expect_shape(y, 2, 2, (int64_t[]){3, 3});
  double *v = host(ctx, y);
  for (int p = 0; p < 2; p++)
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++)
        T_CLOSE(v[p * 9 + i * 3 + j], p * 21 + i * 7 + 1 + 2 * j, 0);
  free(v);
  expect_shape(genc_slice(ctx, x, 0, 2, 1, 1), 2, 2, (int64_t[]){0, 7});
  y = genc_slice(ctx, x, 0, -1, 3, 1);
  expect_shape(y, 2, 2, (int64_t[]){1, 7});
  T_CLOSE(t_at(ctx, y, 7), 21 + 14, 0);
  t_expect_error(ctx, genc_slice(ctx, x, 1, 0, 3, 0), GENC_ERR_ARG, "slice", "step");
  t_expect_error(ctx, genc_slice(ctx, x, -3, 0, 3, 1), GENC_ERR_AXIS, "slice", NULL);
}

/* ---- take / take_along / scatter_add / one_hot ---- */

static void test_take(void **state) {
  genc_ctx *ctx = *state;
  genc_array *x = t_iota(ctx, 0, 2, (int64_t[]){3, 4}, 1, 0);
  genc_array *i2 = ivec(ctx, 2, (int64_t[]){2, 2}, 0, (int32_t[]){3, 0, 1, 1});
  genc_array *y = genc_take(ctx, x, i2, 1); /* [3, 2, 2]: y[r,a,b] = x[r, idx[a,b]] */
  expect_shape(y, 0, 3, (int64_t[]){3, 2, 2});
  double *v = host(ctx, y);
  int32_t iv[4] = {3, 0, 1, 1};
  for (int r = 0; r < 3; r++)
    for (int k = 0; k < 4; k++)
      T_CLOSE(v[r * 4 + k], r * 4 + iv[k], 0);
  free(v);
  /* resampling: batched indices (one per particle) on axis 0 of a shared array */
  genc_array *ib = ivec(ctx, 0, NULL, 3, (int32_t[]){2, 0, 2});
  y = genc_take(ctx, x, ib, 0);
  expect_shape(y, 3, 1, (int64_t[]){4});
  v = host(ctx, y);
  for (int p = 0; p < 3; p++)
    for (int c = 0; c < 4; c++)
      T_CLOSE(v[p * 4 + c], (p == 1 ? 0 : 2) * 4 + c, 0);
  free(v);
  /* batched x and batched indices on an inner axis */
  genc_array *xb = t_iota(ctx, 2, 2, (int64_t[]){2, 3}, 1, 0);
  genc_array *ib2 = ivec(ctx, 1, (int64_t[]){2}, 2, (int32_t[]){2, 0, 1, 1});
  y = genc_take(ctx, xb, ib2, 1);
  expect_shape(y, 2, 2, (int64_t[]){2, 2});
  double w[8] = {2, 0, 5, 3, 7, 7, 10, 10};
  v = host(ctx, y);
  for (int i = 0; i < 8; i++)
    T_CLOSE(v[i], w[i], 0);
  free(v);
  genc_array *bad = ivec(ctx, 1, (int64_t[]){2}, 0, (int32_t[]){1, 4});
  t_expect_error(ctx, genc_take(ctx, x, bad, 1), GENC_ERR_ARG, "take: index 4", "length 4");
  bad = ivec(ctx, 1, (int64_t[]){1}, 0, (int32_t[]){-1});
  t_expect_error(ctx, genc_take(ctx, x, bad, 0), GENC_ERR_ARG, "index -1", "length 3");
  t_expect_error(ctx, genc_take(ctx, x, x, 0), GENC_ERR_DTYPE, "take", "i32");
  t_expect_error(ctx, genc_take(ctx, x, i2, 2), GENC_ERR_AXIS, "take", NULL);
  genc_array *ib4 = ivec(ctx, 0, NULL, 2, (int32_t[]){0, 1});
  genc_array *x3 = t_iota(ctx, 3, 1, (int64_t[]){3}, 1, 0);
  t_expect_error(ctx, genc_take(ctx, x3, ib4, 0), GENC_ERR_PARTICLE, "take", NULL);
}

static void test_take_along(void **state) {
  genc_ctx *ctx = *state;
  genc_array *x = t_iota(ctx, 0, 2, (int64_t[]){2, 3}, 1, 0);
  genc_array *i = ivec(ctx, 2, (int64_t[]){2, 2}, 0, (int32_t[]){2, 2, 0, 1});
  double *v = host(ctx, genc_take_along(ctx, x, i, 1));
  double w[4] = {2, 2, 3, 4};
  for (int k = 0; k < 4; k++)
    T_CLOSE(v[k], w[k], 0);
  free(v);
  /* axis 0, index broadcast along axis 1: out[a, c] = x[idx[a, 0], c] */
  genc_array *i0 = ivec(ctx, 2, (int64_t[]){3, 1}, 0, (int32_t[]){1, 0, 1});
  genc_array *y = genc_take_along(ctx, x, i0, 0);
  expect_shape(y, 0, 2, (int64_t[]){3, 3});
  v = host(ctx, y);
  int32_t r[3] = {1, 0, 1};
  for (int a = 0; a < 3; a++)
    for (int c = 0; c < 3; c++)
      T_CLOSE(v[a * 3 + c], r[a] * 3 + c, 0);
  free(v);
  /* batched indices against a shared array (per-particle argsort-style gathers) */
  genc_array *ib = ivec(ctx, 2, (int64_t[]){1, 1}, 2, (int32_t[]){2, 1});
  y = genc_take_along(ctx, x, ib, 1);
  expect_shape(y, 2, 2, (int64_t[]){2, 1});
  double w2[4] = {2, 5, 1, 4};
  v = host(ctx, y);
  for (int k = 0; k < 4; k++)
    T_CLOSE(v[k], w2[k], 0);
  free(v);
  genc_array *bad = ivec(ctx, 2, (int64_t[]){1, 1}, 0, (int32_t[]){3});
  t_expect_error(ctx, genc_take_along(ctx, x, bad, 1), GENC_ERR_ARG, "take_along: index 3",
                 "length 3");
  t_expect_error(ctx, genc_take_along(ctx, x, ivec(ctx, 1, (int64_t[]){1}, 0, (int32_t[]){0}), 0),
                 GENC_ERR_SHAPE, "take_along", "rank");
  genc_array *i3 = ivec(ctx, 2, (int64_t[]){3, 1}, 0, (int32_t[]){0, 0, 0});
  t_expect_error(ctx, genc_take_along(ctx, x, i3, 1), GENC_ERR_SHAPE, "[2, 3]", "[3, 1]");
}

static void test_scatter_add(void **state) {
  genc_ctx *ctx = *state;
  genc_array *x = t_iota(ctx, 0, 2, (int64_t[]){2, 3}, 0, 1); /* ones */
  genc_array *i = ivec(ctx, 1, (int64_t[]){3}, 0, (int32_t[]){2, 0, 2});
  genc_array *u = t_iota(ctx, 0, 2, (int64_t[]){2, 3}, 1, 0);
  double *v = host(ctx, genc_scatter_add(ctx, x, i, u, 1));
  double w[6] = {1 + 1, 1, 1 + 0 + 2, 1 + 4, 1, 1 + 3 + 5}; /* duplicates accumulate */
  for (int k = 0; k < 6; k++)
    T_CLOSE(v[k], w[k], 0);
  free(v);
  /* a scalar update broadcasts; batched indices per particle on axis 1 */
  genc_array *ib = ivec(ctx, 0, NULL, 2, (int32_t[]){0, 2});
  genc_array *y = genc_scatter_add(ctx, x, ib, genc_scalar(ctx, 5), 1);
  expect_shape(y, 2, 2, (int64_t[]){2, 3});
  double w2[12] = {6, 1, 1, 6, 1, 1, 1, 1, 6, 1, 1, 6};
  v = host(ctx, y);
  for (int k = 0; k < 12; k++)
    T_CLOSE(v[k], w2[k], 0);
  free(v);
  t_expect_error(ctx, genc_scatter_add(ctx, x, i, t_iota(ctx, 0, 1, (int64_t[]){2}, 1, 0), 1),
                 GENC_ERR_SHAPE, "scatter_add", "[2]");
  genc_array *bad = ivec(ctx, 1, (int64_t[]){1}, 0, (int32_t[]){7});
  t_expect_error(ctx, genc_scatter_add(ctx, x, bad, genc_scalar(ctx, 1), 0), GENC_ERR_ARG,
                 "scatter_add: index 7", "length 2");
}

static void test_one_hot(void **state) {
  genc_ctx *ctx = *state;
  genc_array *i = ivec(ctx, 1, (int64_t[]){3}, 2, (int32_t[]){0, 2, 1, 1, 0, 3});
  genc_array *y = genc_one_hot(ctx, i, 4);
  expect_shape(y, 2, 2, (int64_t[]){3, 4});
  assert_int_equal(genc_array_dtype(y), GENC_F64);
  double *v = host(ctx, y);
  int32_t iv[6] = {0, 2, 1, 1, 0, 3};
  for (int r = 0; r < 6; r++)
    for (int c = 0; c < 4; c++)
      T_CLOSE(v[r * 4 + c], c == iv[r] ? 1 : 0, 0);
  free(v);
  t_expect_error(ctx, genc_one_hot(ctx, i, 3), GENC_ERR_ARG, "one_hot: index 3", "length 3");
  t_expect_error(ctx, genc_one_hot(ctx, i, 0), GENC_ERR_ARG, "one_hot", "depth");
  t_expect_error(ctx, genc_one_hot(ctx, genc_scalar(ctx, 1), 2), GENC_ERR_DTYPE, "one_hot", NULL);
}

/* ---- gradients ---- */

typedef struct op_case {
  int kind;
  int axis;
  genc_array *idx;
} op_case;

enum { K_PERMUTE, K_EXPAND, K_CONCAT, K_STACK, K_SLICE, K_TAKE, K_ALONG, K_SCATTER };

static genc_array *op_fn(genc_ctx *ctx, genc_array *const *a, void *user) {
  op_case *c = user;
  genc_array *x = genc_sin(ctx, a[0]); /* a nonlinearity makes the gradient depend on x */
  switch (c->kind) {
  case K_PERMUTE: return genc_permute(ctx, x, 3, (int[]){1, 2, 0});
  case K_EXPAND:
    return genc_squeeze(ctx, genc_expand_dims(ctx, genc_transpose(ctx, x), 1), GENC_ALL_AXES);
  case K_CONCAT: {
    genc_array *xs[5] = {x, a[1], x, a[1], genc_mul(ctx, x, a[1])};
    return genc_concat(ctx, 5, xs, c->axis);
  }
  case K_STACK: {
    genc_array *xs[3] = {x, a[1], genc_mul(ctx, x, a[1])};
    return genc_stack(ctx, 3, xs, c->axis);
  }
  case K_SLICE: return genc_slice(ctx, x, c->axis, 1, 5, 2);
  case K_TAKE: return genc_take(ctx, x, c->idx, c->axis);
  case K_ALONG: return genc_take_along(ctx, x, c->idx, c->axis);
  case K_SCATTER: return genc_scatter_add(ctx, x, c->idx, a[1], c->axis);
  }
  return NULL;
}

static void check(genc_ctx *ctx, op_case c, genc_array *x, genc_array *y, uint32_t wrt) {
  genc_array *args[2] = {x, y};
  double err = t_fdcheck(ctx, op_fn, 2, args, &c, wrt, 1e-6);
  assert_true(err < 1e-6);
}

static void test_grads(void **state) {
  genc_ctx *ctx = *state;
  int64_t s3[3] = {2, 3, 2}, s2[2] = {3, 4};
  for (int64_t n = 0; n <= 3; n += 3) { /* shared, then batched over 3 particles */
    genc_array *x3 = t_iota(ctx, n, 3, s3, 0.1, -0.4), *x2 = t_iota(ctx, n, 2, s2, 0.13, -0.7);
    genc_array *y2 = t_iota(ctx, 0, 2, s2, -0.07, 0.3); /* always shared */
    check(ctx, (op_case){K_PERMUTE, 0, NULL}, x3, y2, 1);
    check(ctx, (op_case){K_EXPAND, 0, NULL}, x2, y2, 1);
    check(ctx, (op_case){K_CONCAT, 1, NULL}, x2, y2, 3);
    check(ctx, (op_case){K_CONCAT, 0, NULL}, x2, y2, 3);
    check(ctx, (op_case){K_STACK, 1, NULL}, x2, y2, 3);
    check(ctx, (op_case){K_SLICE, 1, NULL}, x2, y2, 1);
    genc_array *dup = ivec(ctx, 2, (int64_t[]){2, 2}, 0, (int32_t[]){3, 1, 3, 3});
    check(ctx, (op_case){K_TAKE, 1, dup}, x2, y2, 1);
    genc_array *ib = ivec(ctx, 1, (int64_t[]){2}, 3, (int32_t[]){0, 0, 2, 1, 3, 3});
    check(ctx, (op_case){K_TAKE, 1, ib}, x2, y2, 1); /* batched, inner axis */
    genc_array *ib0 = ivec(ctx, 0, NULL, 3, (int32_t[]){2, 2, 0});
    check(ctx, (op_case){K_TAKE, 0, ib0}, x2, y2, 1); /* resampling-style */
    genc_array *ia = ivec(ctx, 2, (int64_t[]){1, 3}, 0, (int32_t[]){3, 3, 0});
    check(ctx, (op_case){K_ALONG, 1, ia}, x2, y2, 1);
    genc_array *ia0 =
        ivec(ctx, 2, (int64_t[]){2, 4}, 3,
             (int32_t[]){0, 1, 2, 2, 2, 2, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0, 2, 0, 2, 0, 1, 2, 1, 2});
    check(ctx, (op_case){K_ALONG, 0, ia0}, x2, y2, 1);
    genc_array *is = ivec(ctx, 1, (int64_t[]){4}, 0, (int32_t[]){0, 2, 2, 1});
    genc_array *x24 = t_iota(ctx, n, 2, (int64_t[]){3, 4}, 0.1, 0.2);
    genc_array *u44 = t_iota(ctx, 0, 2, (int64_t[]){3, 4}, -0.2, 0.5);
    genc_array *args[2] = {genc_transpose(ctx, x24), genc_transpose(ctx, u44)};
    check(ctx, (op_case){K_SCATTER, 0, is}, args[0], args[1], 3);
    genc_array *isb =
        ivec(ctx, 1, (int64_t[]){4}, 3, (int32_t[]){0, 2, 2, 1, 1, 1, 1, 1, 0, 0, 2, 2});
    check(ctx, (op_case){K_SCATTER, 1, isb}, x24, u44, 3);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_permute, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_expand_squeeze, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_concat, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_stack, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_slice, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_take, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_take_along, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_scatter_add, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_one_hot, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_grads, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
