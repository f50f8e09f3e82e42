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
  genc_ctx_free(ctx);
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
  /* grad alone: the same gradients, here of the first argument only */
  genc_array *h[2];
  assert_int_equal(genc_grad(ctx, f, 2, args, NULL, 1u, h), GENC_OK);
  assert_null(h[1]);
  T_CLOSE(t_at(ctx, h[0], 2), 3 * exp(0.3), 1e-15);
  genc_ctx_free(ctx);
}

/* GENC_DEVICE picks the device of genc_ctx_new_env: the CPU when unset or
 * "cpu"; malformed values are GENC_ERR_ARG with the value in the message; a GPU
 * that is not there (no build, no card, or not card 99) is GENC_ERR_BACKEND. */
static void test_ctx_env(void **state) {
  (void)state;
  const char *saved = getenv("GENC_DEVICE");
  char keep[64] = "";
  if (saved) snprintf(keep, sizeof keep, "%s", saved);
  const char *cpu[] = {NULL, "", "cpu"};
  for (int i = 0; i < 3; i++) {
    if (cpu[i])
      setenv("GENC_DEVICE", cpu[i], 1);
    else
      unsetenv("GENC_DEVICE");
    genc_status st = GENC_ERR_ARG;
    genc_ctx *ctx = genc_ctx_new_env(&st);
    assert_non_null(ctx);
    assert_int_equal(st, GENC_OK);
    assert_int_equal(genc_ctx_device(ctx), GENC_CPU);
    genc_ctx_free(ctx);
  }
  const char *bad[] = {"gpu", "cuda:", "cuda:x", "cuda:1x", "cudax", "cuda:-1", "CPU"};
  for (int i = 0; i < 7; i++) {
    setenv("GENC_DEVICE", bad[i], 1);
    genc_status st = GENC_OK;
    assert_null(genc_ctx_new_env(&st));
    assert_int_equal(st, GENC_ERR_ARG);
    char want[64];
    snprintf(want, sizeof want, "GENC_DEVICE=\"%s\" is not cpu, cuda or cuda:N", bad[i]);
    assert_non_null(strstr(genc_ctx_new_error(), want));
  }
  setenv("GENC_DEVICE", "cuda:99", 1);
  genc_status st = GENC_OK;
  assert_null(genc_ctx_new_env(&st));
  assert_int_equal(st, GENC_ERR_BACKEND);
  if (saved)
    setenv("GENC_DEVICE", keep, 1);
  else
    unsetenv("GENC_DEVICE");
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_basic), cmocka_unit_test(test_grad),
                                     cmocka_unit_test(test_ctx_env)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
