/* Host streams (genc_host_rng): reproducible from the key, and the right laws. */
#include "testutil.h"

/* 1e5 draws: the uniform mean within 4 SE (sd 1/sqrt(12)), the normal mean and
 * variance within 4 SE (sd 1 and sqrt(2)). */
static void test_laws(void **state) {
  (void)state;
  const int n = 100000;
  genc_host_rng r = genc_host_rng_new(genc_key_from_seed(3));
  double su = 0, sz = 0, sz2 = 0;
  for (int i = 0; i < n; i++) {
    double u = genc_host_rng_uniform(&r), z = genc_host_rng_normal(&r);
    assert_true(u >= 0 && u < 1);
    su += u, sz += z, sz2 += z * z;
  }
  assert_true(fabs(su / n - 0.5) < 4 / sqrt(12.0 * n));
  assert_true(fabs(sz / n) < 4 / sqrt((double)n));
  assert_true(fabs(sz2 / n - 1) < 4 * sqrt(2.0 / n));
}

/* The same key gives the same stream; a copy continues it; other keys differ. */
static void test_reproducible(void **state) {
  (void)state;
  genc_host_rng a = genc_host_rng_new(genc_key_from_seed(9));
  genc_host_rng b = genc_host_rng_new(genc_key_from_seed(9));
  genc_host_rng c = genc_host_rng_new(genc_key_from_seed(10));
  double x = genc_host_rng_normal(&a);
  assert_true(x == genc_host_rng_normal(&b));
  genc_host_rng d = a;
  assert_true(genc_host_rng_uniform(&a) == genc_host_rng_uniform(&d));
  assert_true(genc_host_rng_normal(&c) != x);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_laws),
                                     cmocka_unit_test(test_reproducible)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
