#include "testutil.h"

static void test_basic(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  double xs[3] = {1, 2, 3};
  genc_array *x = genc_array_vec(ctx, 3, xs);
  genc_array *y = genc_add(ctx, genc_mul(ctx, x, 2.0), 1);
  T_OK(ctx, y);
  T_CLOSE(t_at(ctx, y, 2), 7, 0);
  genc_array *s = genc_sum_all(ctx, y);
  T_CLOSE(t_item(ctx, s), 15, 0);
  genc_ctx_destroy(ctx);
}

static genc_array *f(genc_ctx *ctx, genc_array *const *a, void *u) {
  (void)u;
  return genc_sum_all(ctx, genc_mul(ctx, genc_exp(ctx, a[0]), a[1]));
}

static void test_grad(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  double xs[3] = {0.1, 0.2, 0.3};
  genc_array *args[2] = {genc_array_vec(ctx, 3, xs), genc_scalar(ctx, 3.0)};
  genc_array *v, *g[2];
  assert_int_equal(genc_value_and_grad(ctx, f, 2, args, NULL, 3u, &v, g), GENC_OK);
  T_CLOSE(t_at(ctx, g[0], 1), 3 * exp(0.2), 1e-15);
  T_CLOSE(t_item(ctx, g[1]), exp(0.1) + exp(0.2) + exp(0.3), 1e-15);
  genc_ctx_destroy(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_basic), cmocka_unit_test(test_grad)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
