/*
 * The libm-free log and the vectorized normal paths of src/random/laws.h:
 *  - genc_law_log_u is within 1 ulp of the exact log (long double logl as the
 *    reference) over uniforms on the 53-bit grid (down to 2^-54), values near
 *    1, exact powers of two and random positive normal doubles, and is exact
 *    where the answer is (log 1 = 0);
 *  - genc_law_normal2 is Box-Muller: libm's sqrt(-2 log u1) (cos, sin)(2 pi u2)
 *    of the same words to rounding;
 *  - the eager CPU sampler (genc_cpu_sample: a tile's pairs in a vectorized
 *    loop) and the compiled executor's tile sampler (genc_x_sample_tile)
 *    give bit for bit genc_law_sample_elem's normal draws, for odd and even
 *    particle offsets, particle counts and sizes, f64 and f32 (and the
 *    exponential and Gumbel draws, vectorized alike);
 *  - exponential and gumbel at the top uniform (u = 1): -0 and +inf.
 */
#include "testutil.h"

#include "array/exec_abi.h"
#include "backend/cpu/cpu.h"
#include "random/laws.h"

/* |got - log x| in ulps of the exact value (ulp of a double of its size). */
static double ulp_err(double x) {
  long double ref = logl((long double)x);
  double r = (double)ref, a = fabs(r);
  if (a == 0.0) return genc_law_log_u(x) == 0.0 ? 0.0 : INFINITY;
  double ulp = nextafter(a, INFINITY) - a;
  return (double)fabsl(((long double)genc_law_log_u(x) - ref) / ulp);
}

static void check_ulp(double x, double *worst) {
  double e = ulp_err(x);
  if (!(e <= 1.0))
    fail_msg("log_u(%a) = %.17g, log = %.17g: %.3g ulp", x, genc_law_log_u(x), log(x), e);
  if (e > *worst) *worst = e;
}

static void test_log_u_ulp(void **state) {
  (void)state;
  double worst = 0.0;
  uint64_t s = 88172645463325252u; /* xorshift64 */
  for (int i = 0; i < 600000; i++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    uint32_t a = (uint32_t)(s >> 32), b = (uint32_t)s;
    check_ulp(genc_law_u53_open(a, b), &worst); /* the uniforms Box-Muller logs */
    if (genc_law_u53(a, b) > 0.0) check_ulp(genc_law_u53(a, b), &worst);
    uint64_t bits = (s >> 1) % (UINT64_C(0x7fe) << 52) + (UINT64_C(1) << 52); /* positive normal */
    double x;
    memcpy(&x, &bits, 8);
    check_ulp(x, &worst);
  }
  for (int k = 1; k <= 20000; k++) { /* near 1, where the result is tiny */
    check_ulp(1.0 - k * 0x1p-53, &worst);
    check_ulp(1.0 + k * 0x1p-52, &worst);
    check_ulp(1.0 + k * 1e-7, &worst);
    check_ulp(1.0 - k * 1e-7, &worst);
  }
  for (int e = -1022; e <= 1023; e++) { /* powers of two, and their neighbours */
    double x = ldexp(1.0, e);
    check_ulp(x, &worst);
    check_ulp(nextafter(x, 0.0), &worst);
    check_ulp(nextafter(x, INFINITY), &worst);
  }
  check_ulp(0x1p-53, &worst);
  check_ulp(0x1p-54, &worst);            /* the smallest open uniform */
  check_ulp(0.7071067811865476, &worst); /* the reduction's edges */
  check_ulp(0.7071067811865475, &worst);
  check_ulp(1.4142135623730951, &worst);
  assert_true(genc_law_log_u(1.0) == 0.0);
  assert_true(genc_law_log_u(genc_law_u53_open(0xffffffffu, 0xffffffffu)) == 0.0); /* u = 1 */
  print_message("log_u: worst %.3f ulp\n", worst);
}

static void test_normal2_is_box_muller(void **state) {
  (void)state;
  uint32_t key[2] = {7, 8};
  for (uint32_t p = 0; p < 100000; p++) {
    genc_rng r = genc_rng_make(key, p % 7, p, 3), r2 = r;
    double c, s;
    genc_law_normal2(&r, &c, &s);
    uint32_t w[4];
    for (int k = 0; k < 4; k++)
      w[k] = genc_rng_u32(&r2);
    double rad = sqrt(-2.0 * log(genc_law_u53_open(w[0], w[1])));
    double th = 6.283185307179586476925 * genc_law_u53(w[2], w[3]);
    /* log_u within 1 ulp, sincos2pi about 1e-16 absolute, and libm's own
     * angle carries the rounding of 2 pi u2 (up to 4.4e-16): a few 1e-16 rad */
    double tol = 2e-15 * (rad > 1.0 ? rad : 1.0);
    if (fabs(c - rad * cos(th)) > tol || fabs(s - rad * sin(th)) > tol)
      fail_msg("p = %u: (%.17g, %.17g) vs (%.17g, %.17g)", p, c, s, rad * cos(th), rad * sin(th));
    genc_rng r3 = genc_rng_make(key, p % 7, p, 3);
    assert_true(genc_law_normal(&r3) == c);
  }
}

static genc_sample_req law_req(genc_law law, genc_dtype dt, int64_t npart, int64_t size,
                               int64_t off) {
  genc_sample_req q = {.law = law,
                       .dtype = dt,
                       .key = {0x243f6a88u, 0x85a308d3u},
                       .stream = 5,
                       .npart = npart,
                       .size = size,
                       .part_offset = off};
  return q;
}

/* genc_cpu_sample against the per-element law, and genc_x_sample_tile of
 * every tiling [t0, t0 + nt) against the matching slice, bit for bit. */
static void check_law(genc_law law, genc_dtype dt, int64_t npart, int64_t size, int64_t off) {
  genc_sample_req q = law_req(law, dt, npart, size, off);
  size_t w = dt == GENC_F64 ? 8 : 4, bytes = (size_t)(npart * size) * w;
  unsigned char *a = malloc(bytes), *b = malloc(bytes), *c = malloc(bytes);
  for (int64_t p = 0; p < npart; p++)
    for (int64_t j = 0; j < size; j++)
      genc_law_sample_elem(&q, p, j, a);
  genc_cpu_sample(NULL, &q, b);
  for (int64_t i = 0; i < npart * size; i++)
    if (memcmp(a + i * w, b + i * w, w))
      fail_msg("eager law %d: npart %lld size %lld offset %lld: element %lld differs", law,
               (long long)npart, (long long)size, (long long)off, (long long)i);
  const int64_t tiles[] = {1, 2, 3, 64, 1000};
  for (int k = 0; k < 5; k++) {
    memset(c, 0xff, bytes);
    const uint32_t kw[3] = {q.key[0], q.key[1], (uint32_t)off};
    for (int64_t t0 = 0; t0 < npart; t0 += tiles[k]) {
      int64_t nt = npart - t0 < tiles[k] ? npart - t0 : tiles[k];
      genc_x_sample_tile(law, dt, kw, q.stream, t0, nt, size, c + t0 * size * w);
    }
    if (memcmp(a, c, bytes))
      fail_msg("tile sampler law %d: npart %lld size %lld offset %lld tile %lld differs", law,
               (long long)npart, (long long)size, (long long)off, (long long)tiles[k]);
  }
  free(a), free(b), free(c);
}

static void test_vector_normal_equals_elem(void **state) {
  (void)state;
  const int64_t nparts[] = {1, 2, 3, 7, 255, 256, 257, 1001};
  const int64_t sizes[] = {1, 2, 3, 29};
  for (int64_t off = 0; off < 4; off++)
    for (int i = 0; i < 8; i++)
      for (int k = 0; k < 4; k++) {
        check_law(GENC_LAW_NORMAL, GENC_F64, nparts[i], sizes[k], off);
        if (nparts[i] < 300) check_law(GENC_LAW_NORMAL, GENC_F32, nparts[i], sizes[k], off);
      }
  /* exponential and Gumbel tiles are vectorized the same way (no pairs) */
  for (int i = 0; i < 8; i++) {
    check_law(GENC_LAW_EXPONENTIAL, GENC_F64, nparts[i], 3, 1);
    check_law(GENC_LAW_GUMBEL, GENC_F64, nparts[i], 2, 0);
    check_law(GENC_LAW_GUMBEL, GENC_F32, nparts[i], 1, 1);
  }
}

static void test_top_uniform(void **state) {
  (void)state;
  /* words that give u = 1 on the open grid: the exponential draw is -0 and
   * the gumbel draw +inf, as with libm's log */
  uint32_t key[2] = {0, 0};
  genc_rng r = genc_rng_make(key, 0, 0, 0);
  genc_rng_preload(&r, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu);
  double e = genc_law_exponential(&r);
  assert_true(e == 0.0 && signbit(e));
  assert_true(genc_law_gumbel(&r) == INFINITY);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_log_u_ulp), cmocka_unit_test(test_normal2_is_box_muller),
      cmocka_unit_test(test_vector_normal_equals_elem), cmocka_unit_test(test_top_uniform)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
