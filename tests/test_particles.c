/* The particle axis as data: get, take (resampling), stack, to/from axis. */
#include "fdcheck.h"

static genc_array *ivec(genc_ctx *ctx, int64_t len, const int32_t *v) {
  genc_array *a = genc_array_from(ctx, GENC_I32, 1, &len, 0, v);
  T_OK(ctx, a);
  return a;
}

static void test_get(void **state) {
  genc_ctx *ctx = *state;
  genc_array *x = t_iota(ctx, 3, 1, (int64_t[]){2}, 1, 0);
  genc_array *y = genc_particle_get(ctx, x, 2);
  T_OK(ctx, y);
  assert_int_equal(genc_array_nparticles(y), 0);
  T_CLOSE(t_at(ctx, y, 0), 4, 0);
  T_CLOSE(t_at(ctx, y, 1), 5, 0);
  genc_array *s = genc_scalar(ctx, 7);
  assert_ptr_equal(genc_particle_get(ctx, s, 5), s); /* shared: itself */
  t_expect_error(ctx, genc_particle_get(ctx, x, 3), GENC_ERR_PARTICLE, "particle 3", "3 particles");
  t_expect_error(ctx, genc_particle_get(ctx, x, -1), GENC_ERR_PARTICLE, "particle_get", NULL);
}

static void test_take(void **state) {
  genc_ctx *ctx = *state;
  genc_array *x = t_iota(ctx, 3, 1, (int64_t[]){2}, 1, 0); /* particles [0,1] [2,3] [4,5] */
  genc_array *y = genc_particle_take(ctx, x, ivec(ctx, 4, (int32_t[]){2, 0, 2, 1}));
  T_OK(ctx, y);
  assert_int_equal(genc_array_nparticles(y), 4);
  double want[8] = {4, 5, 0, 1, 4, 5, 2, 3};
  for (int i = 0; i < 8; i++)
    T_CLOSE(t_at(ctx, y, i), want[i], 0);
  genc_array *s = genc_scalar(ctx, 1);
  assert_ptr_equal(genc_particle_take(ctx, s, ivec(ctx, 2, (int32_t[]){0, 0})), s);
  t_expect_error(ctx, genc_particle_take(ctx, x, ivec(ctx, 2, (int32_t[]){1, 3})), GENC_ERR_ARG,
                 "particle_take: index 3", "3 particles");
  t_expect_error(ctx, genc_particle_take(ctx, x, genc_array_vec(ctx, 1, (double[]){0})),
                 GENC_ERR_DTYPE, "particle_take", "f64");
  genc_array *ib = genc_array_from(ctx, GENC_I32, 1, (int64_t[]){1}, 3, (int32_t[]){0, 1, 2});
  t_expect_error(ctx, genc_particle_take(ctx, x, ib), GENC_ERR_PARTICLE, "particle_take", NULL);
  genc_array *i2 = genc_array_from(ctx, GENC_I32, 2, (int64_t[]){1, 1}, 0, (int32_t[]){0});
  t_expect_error(ctx, genc_particle_take(ctx, x, i2), GENC_ERR_SHAPE, "particle_take", "[1, 1]");
}

static void test_stack_axis(void **state) {
  genc_ctx *ctx = *state;
  genc_array *xs[5];
  for (int k = 0; k < 5; k++)
    xs[k] = t_iota(ctx, 0, 2, (int64_t[]){1, 2}, 1, 10 * k);
  genc_array *y = genc_particle_stack(ctx, 5, xs);
  T_OK(ctx, y);
  assert_int_equal(genc_array_nparticles(y), 5);
  assert_int_equal(genc_array_ndim(y), 2);
  for (int k = 0; k < 5; k++)
    T_CLOSE(t_at(ctx, y, 2 * k + 1), 10 * k + 1, 0);
  genc_array *a = genc_particle_to_axis(ctx, y);
  T_OK(ctx, a);
  assert_int_equal(genc_array_nparticles(a), 0);
  assert_int_equal(genc_array_ndim(a), 3);
  assert_int_equal(genc_array_shape(a)[0], 5);
  T_CLOSE(t_at(ctx, a, 9), 41, 0);
  genc_array *b = genc_particle_from_axis(ctx, a);
  T_OK(ctx, b);
  assert_int_equal(genc_array_nparticles(b), 5);
  T_CLOSE(t_at(ctx, b, 8), 40, 0);
  t_expect_error(ctx, genc_particle_to_axis(ctx, a), GENC_ERR_PARTICLE, "particle_to_axis", NULL);
  t_expect_error(ctx, genc_particle_from_axis(ctx, b), GENC_ERR_PARTICLE, "particle_from_axis",
                 "5 particles");
  t_expect_error(ctx, genc_particle_from_axis(ctx, genc_scalar(ctx, 1)), GENC_ERR_SHAPE,
                 "particle_from_axis", NULL);
  genc_array *bad[2] = {xs[0], y};
  t_expect_error(ctx, genc_particle_stack(ctx, 2, bad), GENC_ERR_PARTICLE, "particle_stack",
                 "array 1");
  bad[1] = genc_scalar(ctx, 1);
  t_expect_error(ctx, genc_particle_stack(ctx, 2, bad), GENC_ERR_SHAPE, "stack", "[1, 2]");
  t_expect_error(ctx, genc_particle_stack(ctx, 0, bad), GENC_ERR_ARG, "particle_stack", NULL);
}

/* Resampling as model code writes it: take with a batched i32 index on axis 0
 * of the particle-axis view agrees with particle_take. */
static void test_resample_paths_agree(void **state) {
  genc_ctx *ctx = *state;
  genc_array *x = t_iota(ctx, 4, 2, (int64_t[]){2, 3}, 0.5, 1);
  genc_array *idx = ivec(ctx, 4, (int32_t[]){3, 3, 0, 1});
  genc_array *a = genc_particle_take(ctx, x, idx);
  genc_array *b =
      genc_particle_from_axis(ctx, genc_take(ctx, genc_particle_to_axis(ctx, x), idx, 0));
  T_OK(ctx, b);
  for (int i = 0; i < 24; i++)
    T_CLOSE(t_at(ctx, a, i), t_at(ctx, b, i), 0);
}

/* ---- gradients ---- */

enum { K_GET, K_TAKE, K_STACK, K_TO, K_FROM };

static genc_array *pfn(genc_ctx *ctx, genc_array *const *a, void *user) {
  int kind = *(int *)user;
  genc_array *x = genc_sin(ctx, a[0]);
  switch (kind) {
  case K_GET: return genc_mul(ctx, genc_particle_get(ctx, x, 1), genc_particle_get(ctx, x, 2));
  case K_TAKE: return genc_particle_take(ctx, x, a[1]);
  case K_STACK: {
    genc_array *xs[3] = {x, genc_exp(ctx, x), x};
    return genc_particle_stack(ctx, 3, xs);
  }
  case K_TO: return genc_mul(ctx, genc_particle_to_axis(ctx, x), x);
  case K_FROM: return genc_mul(ctx, genc_particle_from_axis(ctx, x), 3.0);
  }
  return NULL;
}

static void test_grads(void **state) {
  genc_ctx *ctx = *state;
  genc_array *xb = t_iota(ctx, 3, 1, (int64_t[]){2}, 0.3, -0.5);
  genc_array *xs = t_iota(ctx, 0, 2, (int64_t[]){3, 2}, 0.3, -0.5);
  genc_array *idx = ivec(ctx, 5, (int32_t[]){2, 0, 2, 2, 1});
  int kinds[5] = {K_GET, K_TAKE, K_STACK, K_TO, K_FROM};
  genc_array *which[5] = {xb, xb, xs, xb, xs};
  for (int k = 0; k < 5; k++) {
    genc_array *args[2] = {which[k], idx};
    double err = t_fdcheck(ctx, pfn, 2, args, &kinds[k], 1u, 1e-6);
    assert_true(err < 1e-6);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_get, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_take, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_stack_axis, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_resample_paths_agree, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_grads, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
