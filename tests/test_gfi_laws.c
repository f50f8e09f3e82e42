/* GFI laws (docs/gfi.md) checked on five models, plus
 * batched runs against single-trace runs with the particles' keys. */
#include "gfi_laws.h"
#include "gfi_models.h"

typedef struct fixture {
  genc_ctx *ctx;
  genc_gf *scalar, *vector, *inner, *spliced, *mid, *top, *branch;
  genc_array *xs;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->ctx = t_ctx();
  f->scalar = genc_gf_dynamic("scalar", m_scalar, 0, NULL);
  f->vector = genc_gf_dynamic("vector", m_vector, 1, NULL);
  f->inner = genc_gf_dynamic("inner", m_inner, 1, NULL);
  f->spliced = genc_gf_dynamic("spliced", m_spliced, 0, f->inner);
  f->mid = genc_gf_dynamic("mid", m_mid, 1, f->inner);
  f->top = genc_gf_dynamic("top", m_top, 0, f->mid);
  f->branch = genc_gf_dynamic("branch", m_branch, 0, NULL);
  double xs[4] = {-1, 0, 0.5, 2};
  f->xs = genc_array_vec(f->ctx, 4, xs);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  genc_gf *g[] = {f->scalar, f->vector, f->inner, f->spliced, f->mid, f->top, f->branch};
  for (size_t i = 0; i < sizeof g / sizeof *g; i++)
    genc_gf_release(g[i]);
  genc_ctx_free(f->ctx);
  free(f);
  return 0;
}

static void test_scalar(void **state) {
  fixture *f = *state;
  for (uint64_t s = 1; s <= 3; s++)
    gl_laws(f->ctx, f->scalar, NULL, NULL, s);
  gl_batched(f->ctx, f->scalar, NULL, 5, 11);
}

static void test_vector(void **state) {
  fixture *f = *state;
  for (uint64_t s = 1; s <= 3; s++)
    gl_laws(f->ctx, f->vector, &f->xs, NULL, s);
  gl_batched(f->ctx, f->vector, &f->xs, 5, 12);
}

static void test_spliced(void **state) {
  fixture *f = *state;
  for (uint64_t s = 1; s <= 3; s++)
    gl_laws(f->ctx, f->spliced, NULL, NULL, s);
  gl_batched(f->ctx, f->spliced, NULL, 5, 13);
}

static void test_nested3(void **state) {
  fixture *f = *state;
  for (uint64_t s = 1; s <= 3; s++)
    gl_laws(f->ctx, f->top, NULL, NULL, s);
  gl_batched(f->ctx, f->top, NULL, 5, 14);
  /* the deepest choice lives at mid/leaf/w */
  genc_trace *t = genc_gf_simulate(f->ctx, f->top, NULL, genc_key_from_seed(5), 0);
  T_OK(f->ctx,
       genc_trace_get(f->ctx, t, GENC_PATH(GENC_SYM("mid"), GENC_SYM("leaf"), GENC_SYM("w"))));
  genc_trace_release(t);
}

static void test_branch(void **state) {
  fixture *f = *state;
  /* seeds chosen to cover both branches (checked below) */
  bool seen[2] = {false, false};
  for (uint64_t s = 1; s <= 8; s++) {
    gl_laws(f->ctx, f->branch, NULL, NULL, s);
    genc_trace *t = genc_gf_simulate(f->ctx, f->branch, NULL, genc_key_from_seed(s), 0);
    seen[genc_choicemap_has(genc_trace_choices(f->ctx, t), GENC_SYM("x"))] = true;
    genc_trace_release(t);
  }
  assert_true(seen[0] && seen[1]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scalar),  cmocka_unit_test(test_vector), cmocka_unit_test(test_spliced),
      cmocka_unit_test(test_nested3), cmocka_unit_test(test_branch),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
