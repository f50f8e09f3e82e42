/* Layer 2: symbols, address components, paths, argument diffs. */
#include <pthread.h>

#include "testutil.h"

static void test_intern(void **state) {
  (void)state;
  genc_sym a = genc_sym_intern("slope"), b = genc_sym_intern("intercept");
  assert_true(genc_comp_is_sym(a));
  assert_true(a != GENC_COMP_INVALID);
  assert_true(a != b);
  assert_true(a == genc_sym_intern("slope"));
  assert_string_equal(genc_sym_name(a), "slope");
  /* the call-site cache gives the same symbol, also on later runs of the site */
  for (int i = 0; i < 3; i++)
    assert_true(GENC_SYM("slope") == a);
  assert_true(genc_sym_intern_n("slope-and-more", 5) == a);
  assert_true(genc_sym_count() >= 2);
}

static void test_intern_invalid(void **state) {
  (void)state;
  assert_true(genc_sym_intern(NULL) == GENC_COMP_INVALID);
  assert_true(genc_sym_intern("") == GENC_COMP_INVALID);
  assert_true(genc_sym_intern("a/b") == GENC_COMP_INVALID);
  assert_true(genc_sym_intern("123") == GENC_COMP_INVALID); /* would print as an index */
  assert_true(genc_sym_intern("x1") != GENC_COMP_INVALID);
  assert_null(genc_sym_name(GENC_COMP_INVALID));
  assert_null(genc_sym_name(7));                               /* an index is not a symbol */
  assert_null(genc_sym_name(GENC_COMP_SYM_BIT | 0x7fffffffu)); /* never handed out */
}

static void test_index(void **state) {
  (void)state;
  assert_true(genc_idx(3) == 3);
  assert_false(genc_comp_is_sym(genc_idx(3)));
  assert_int_equal(genc_comp_index(genc_idx(42)), 42);
  assert_int_equal(genc_comp_index(GENC_SYM("y")), -1);
  assert_true(genc_idx(-1) == GENC_COMP_INVALID);
}

static void test_format(void **state) {
  (void)state;
  char buf[64];
  genc_comp p[] = {GENC_SYM("model"), GENC_SYM("y"), 3};
  assert_int_equal(genc_addr_format(p, 3, buf, sizeof buf), 9);
  assert_string_equal(buf, "model/y/3");
  /* snprintf semantics: truncates, returns the full length */
  assert_int_equal(genc_addr_format(p, 3, buf, 4), 9);
  assert_string_equal(buf, "mod");
  assert_int_equal(genc_addr_format(p, 0, buf, sizeof buf), 0);
  assert_string_equal(buf, "");
  genc_comp_format(GENC_COMP_INVALID, buf, sizeof buf);
  assert_string_equal(buf, "<invalid>");
}

static void test_parse(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_addr a;
  assert_int_equal(genc_addr_parse(ctx, "model/y/3", &a), GENC_OK);
  assert_int_equal(a.len, 3);
  assert_true(a.comp[0] == GENC_SYM("model"));
  assert_true(a.comp[1] == GENC_SYM("y"));
  assert_true(a.comp[2] == 3);
  char buf[64];
  genc_addr_format(a.comp, a.len, buf, sizeof buf);
  assert_string_equal(buf, "model/y/3"); /* round trip */
  assert_int_equal(genc_addr_parse(ctx, "", &a), GENC_OK);
  assert_int_equal(a.len, 0);
  /* errors name the address */
  assert_int_equal(genc_addr_parse(ctx, "a//b", &a), GENC_ERR_ADDRESS);
  assert_non_null(strstr(genc_ctx_error(ctx), "\"a//b\""));
  assert_int_equal(genc_addr_parse(ctx, "a/99999999999999999999", &a), GENC_ERR_ADDRESS);
  assert_non_null(strstr(genc_ctx_error(ctx), "99999999999999999999"));
  char deep[200] = "";
  for (int i = 0; i <= GENC_ADDR_MAX; i++)
    strcat(deep, i ? "/x" : "x");
  assert_int_equal(genc_addr_parse(ctx, deep, &a), GENC_ERR_ADDRESS);
  assert_non_null(strstr(genc_ctx_error(ctx), "more than 32 parts"));
  assert_int_equal(genc_addr_parse(ctx, NULL, &a), GENC_ERR_ARG);
  genc_ctx_free(ctx);
}

static void test_path_macro(void **state) {
  (void)state;
  char buf[64];
  assert_int_equal(genc_addr_format(GENC_PATH(GENC_SYM("a"), 7, GENC_SYM("b")), buf, sizeof buf),
                   5);
  assert_string_equal(buf, "a/7/b");
}

/* Several threads intern the same 500 names (in different orders): every
 * thread must see the same symbol for the same name. */
#define NT 4
#define NN 500
static genc_sym seen[NT][NN];

static void *intern_many(void *arg) {
  int t = (int)(intptr_t)arg;
  for (int k = 0; k < NN; k++) {
    int i = (k * 7 + t * 131) % NN;
    char name[32];
    snprintf(name, sizeof name, "thread_name_%d", i);
    seen[t][i] = genc_sym_intern(name);
  }
  return NULL;
}

static void test_threads(void **state) {
  (void)state;
  pthread_t th[NT];
  for (int t = 0; t < NT; t++)
    pthread_create(&th[t], NULL, intern_many, (void *)(intptr_t)t);
  for (int t = 0; t < NT; t++)
    pthread_join(th[t], NULL);
  for (int i = 0; i < NN; i++) {
    char name[32];
    snprintf(name, sizeof name, "thread_name_%d", i);
    assert_true(seen[0][i] != GENC_COMP_INVALID);
    for (int t = 1; t < NT; t++)
      assert_true(seen[t][i] == seen[0][i]);
    assert_string_equal(genc_sym_name(seen[0][i]), name);
  }
}

static void test_argdiffs(void **state) {
  (void)state;
  genc_argdiff d[3];
  genc_argdiffs_fill(d, 3, genc_nochange());
  assert_true(genc_argdiffs_all_unchanged(d, 3));
  d[1] = genc_unknown();
  assert_false(genc_argdiffs_all_unchanged(d, 3));
  assert_true(genc_argdiff_unchanged(d, 0));
  assert_false(genc_argdiff_unchanged(d, 1));
  assert_false(genc_argdiff_unchanged(NULL, 0)); /* NULL vector: every arg unknown */
  assert_false(genc_argdiffs_all_unchanged(NULL, 2));
  assert_true(genc_argdiffs_all_unchanged(NULL, 0));
  d[2] = genc_intdiff(2);
  assert_int_equal(d[2].kind, GENC_DIFF_INT);
  assert_int_equal(d[2].delta, 2);
  assert_int_equal(genc_intdiff(0).kind, GENC_DIFF_NO_CHANGE);
  genc_argdiff zero = {0};
  assert_int_equal(zero.kind, GENC_DIFF_UNKNOWN); /* the zero value is the safe default */
  assert_string_equal(genc_diff_kind_name(GENC_DIFF_NO_CHANGE), "no-change");
  assert_string_equal(genc_diff_kind_name(GENC_DIFF_UNKNOWN), "unknown");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_intern),  cmocka_unit_test(test_intern_invalid),
      cmocka_unit_test(test_index),   cmocka_unit_test(test_format),
      cmocka_unit_test(test_parse),   cmocka_unit_test(test_path_macro),
      cmocka_unit_test(test_threads), cmocka_unit_test(test_argdiffs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
