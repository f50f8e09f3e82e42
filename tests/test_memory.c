/* Memory stays flat: scopes, scope_end_keep, retain/release, and a long loop of
 * model-like work (docs/architecture.md, decision 4). */
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define T_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define T_SANITIZED 1
#endif
#endif
#ifndef T_SANITIZED
#define T_SANITIZED 0
#endif

/* 1e6 iterations normally (about 1 s); sanitizers make each op ~20x slower. */
static int64_t iterations(void) {
  return T_SANITIZED || getenv("GENC_SANITIZED") ? 200000 : 1000000;
}

/* One step of a toy model: a normal log density of a scalar and of a small vector. */
static genc_array *model_step(genc_ctx *ctx, genc_array *mu, genc_array *xs, int64_t i) {
  genc_array *z = genc_scalar(ctx, (double)(i % 7) * 0.1);
  genc_array *lp = genc_mul(ctx, genc_square(ctx, genc_sub(ctx, z, mu)), -0.5);
  genc_array *d = genc_sub(ctx, xs, genc_mul(ctx, z, 2.0));
  genc_array *v = genc_sum_all(ctx, genc_mul(ctx, genc_square(ctx, d), -0.5));
  return genc_add(ctx, lp, v);
}

static void test_long_loop_flat(void **state) {
  genc_ctx *ctx = *state;
  double xv[4] = {0.1, -0.3, 0.7, 1.2};
  genc_array *mu = genc_scalar(ctx, 0.25), *xs = genc_array_vec(ctx, 4, xv);
  int64_t bytes0 = genc_ctx_live_bytes(ctx), arrays0 = genc_ctx_live_arrays(ctx);
  int64_t n = iterations();
  double acc = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_array *w = model_step(ctx, mu, xs, i);
    if (i % 1000 == 0) acc += t_item(ctx, w);
    genc_scope_end(ctx, mark);
    if ((i + 1) % (n / 10) == 0) { /* checkpoints: nothing accumulates */
      assert_int_equal(genc_ctx_live_bytes(ctx), bytes0);
      assert_int_equal(genc_ctx_live_arrays(ctx), arrays0);
    }
  }
  assert_true(isfinite(acc));
  assert_int_equal(genc_ctx_live_bytes(ctx), bytes0);
  assert_int_equal(genc_ctx_live_arrays(ctx), arrays0);
}

static genc_array *loss(genc_ctx *ctx, genc_array *const *a, void *u) {
  (void)u;
  genc_array *idx = genc_array_from(ctx, GENC_I32, 1, (int64_t[]){3}, 0, (int32_t[]){2, 0, 2});
  genc_array *t = genc_take(ctx, a[0], idx, 0);
  genc_array *parts[2] = {genc_slice(ctx, t, 0, 0, 2, 1), a[0]};
  return genc_sum_all(ctx, genc_sin(ctx, genc_concat(ctx, 2, parts, 0)));
}

/* Gradients (tape, vjps of the shape ops) in a loop leave nothing behind. */
static void test_grad_loop_flat(void **state) {
  genc_ctx *ctx = *state;
  genc_array *x = genc_array_vec(ctx, 3, (double[]){0.1, 0.2, 0.3});
  int64_t bytes0 = genc_ctx_live_bytes(ctx), arrays0 = genc_ctx_live_arrays(ctx);
  for (int i = 0; i < 2000; i++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_array *v, *g;
    assert_int_equal(genc_value_and_grad(ctx, loss, 1, &x, NULL, 1u, &v, &g), GENC_OK);
    if (i == 0) T_CLOSE(t_at(ctx, g, 0), 2 * cos(0.1), 1e-15); /* x0 twice */
    genc_scope_end(ctx, mark);
  }
  assert_int_equal(genc_ctx_live_bytes(ctx), bytes0);
  assert_int_equal(genc_ctx_live_arrays(ctx), arrays0);
}

static void test_scope_end_keep(void **state) {
  genc_ctx *ctx = *state;
  int64_t arrays0 = genc_ctx_live_arrays(ctx), bytes0 = genc_ctx_live_bytes(ctx);
  int64_t outer = genc_scope_begin(ctx);
  int64_t inner = genc_scope_begin(ctx);
  genc_array *a = genc_array_vec(ctx, 3, (double[]){1, 2, 3});
  genc_array *b = genc_mul(ctx, a, 2.0); /* also makes a weak scalar */
  genc_array *c = genc_add(ctx, b, 1.0);
  assert_true(genc_ctx_live_arrays(ctx) >= arrays0 + 3);
  genc_scope_end_keep(ctx, inner, &c, 1);
  assert_int_equal(genc_ctx_live_arrays(ctx), arrays0 + 1); /* only c survives */
  assert_int_equal(genc_ctx_live_bytes(ctx), bytes0 + 3 * 8);
  T_CLOSE(t_at(ctx, c, 2), 7, 0);
  genc_scope_end(ctx, outer); /* c now belonged to the outer scope */
  assert_int_equal(genc_ctx_live_arrays(ctx), arrays0);
  assert_int_equal(genc_ctx_live_bytes(ctx), bytes0);
}

static void test_retain_release(void **state) {
  genc_ctx *ctx = *state;
  int64_t arrays0 = genc_ctx_live_arrays(ctx), bytes0 = genc_ctx_live_bytes(ctx);
  int64_t mark = genc_scope_begin(ctx);
  genc_array *a = genc_array_vec(ctx, 2, (double[]){4, 5});
  assert_ptr_equal(genc_array_retain(a), a);
  genc_array_retain(a); /* two references beyond the scope's */
  genc_scope_end(ctx, mark);
  assert_int_equal(genc_ctx_live_arrays(ctx), arrays0 + 1);
  T_CLOSE(t_at(ctx, a, 1), 5, 0);
  genc_array_release(a);
  assert_int_equal(genc_ctx_live_arrays(ctx), arrays0 + 1);
  genc_array_release(a);
  assert_int_equal(genc_ctx_live_arrays(ctx), arrays0);
  assert_int_equal(genc_ctx_live_bytes(ctx), bytes0);
  genc_array_release(NULL); /* a no-op */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_long_loop_flat, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_grad_loop_flat, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_scope_end_keep, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_retain_release, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
