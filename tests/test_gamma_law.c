/*
 * The gamma law's fast paths (src/random/laws.h), checked against their
 * definitions on the host:
 *  - the CPU sampling loop (genc_cpu_sample: tiles of elements whose first
 *    Philox blocks come from the SIMD Philox, d and c cached) gives bit for bit
 *    genc_law_sample_elem's draw for every element, the per-element code the
 *    CUDA kernel runs, for every law;
 *  - the SIMD Philox gives Random123's philox4x32 words;
 *  - genc_law_sincos2pi agrees with libm's cos and sin of 2 pi u;
 *  - alpha == 1 is Exp(1) = -log U of the element's first two words (laws.h's
 *    libm-free log, as the exponential law).
 * Distributional tests of gamma draws are in test_random.c and test_dist_sample.c.
 */
#include "testutil.h"

#include "backend/cpu/cpu.h"
#include "random/laws.h"
#include "random/philox_simd.h"

/* Run both paths over a request with the given alphas (one per element, or
 * one for all when nalpha == 1) and compare every element's bits. */
static void check_run2(genc_law law, genc_dtype dt, int64_t npart, int64_t size, const double *al,
                       int64_t nalpha, const double *p1) {
  genc_sample_req q = {.law = law,
                       .dtype = dt,
                       .key = {0x9e3779b9u, 12345u},
                       .stream = 7,
                       .npart = npart,
                       .size = size,
                       .part_offset = 3};
  q.param[0] = al;
  q.pstride[0][0] = nalpha == 1 ? 0 : size;
  q.pstride[0][1] = nalpha == 1 ? 0 : 1;
  q.param[1] = p1; /* binomial's p: as many as alpha */
  q.pstride[1][0] = q.pstride[0][0], q.pstride[1][1] = q.pstride[0][1];
  int64_t n = npart * size;
  size_t bytes = (size_t)n * (dt == GENC_F64 ? 8 : 4);
  unsigned char *a = malloc(bytes), *b = malloc(bytes);
  for (int64_t p = 0; p < npart; p++)
    for (int64_t j = 0; j < size; j++)
      genc_law_sample_elem(&q, p, j, a);
  genc_cpu_sample(NULL, &q, b);
  if (memcmp(a, b, bytes)) {
    for (int64_t i = 0; i < n; i++) {
      size_t w = dt == GENC_F64 ? 8 : 4;
      if (memcmp(a + i * w, b + i * w, w))
        fail_msg("law %d: element %lld differs", law, (long long)i);
    }
  }
  free(a);
  free(b);
}

static void check_run(genc_law law, genc_dtype dt, int64_t npart, int64_t size, const double *al,
                      int64_t nalpha) {
  check_run2(law, dt, npart, size, al, nalpha, NULL);
}

static void test_run_equals_elem(void **state) {
  (void)state;
  /* a mix of shapes: the boost (< 1), the Exp(1) case, large alpha, and
   * parameters the law answers with NaN or inf, so every branch is taken */
  const double mix[] = {5.0, 0.5, 1.0, 1e-3, 1e3, 2.0, 1.0, 0.9999, 1.0001, 30.0, NAN, INFINITY};
  const int64_t nmix = sizeof mix / sizeof *mix;
  double *al = malloc(4000 * sizeof *al);
  for (int i = 0; i < 4000; i++)
    al[i] = mix[(i * 7) % nmix];
  const genc_law laws[] = {GENC_LAW_GAMMA, GENC_LAW_LOG_GAMMA};
  for (int l = 0; l < 2; l++) {
    check_run(laws[l], GENC_F64, 4000, 1, al, 4000); /* one element per particle */
    check_run(laws[l], GENC_F64, 333, 12, al, 3996); /* odd total, rows of 12 */
    check_run(laws[l], GENC_F32, 7, 3, al, 21);      /* f32 output, a short tail */
    check_run(laws[l], GENC_F64, 1, 1, al, 1);       /* a single element */
    for (int i = 0; i < 5; i++)
      check_run(laws[l], GENC_F64, 1001, 1, &mix[i], 1); /* shared */
  }
  free(al);
}

/* The other laws through the same tiles: parameterless ones (normal in its
 * particle pairs, with an odd particle offset and odd particle counts), and
 * Poisson and binomial, whose rejection loops read past the preloaded block. */
static void test_laws_equal_elem(void **state) {
  (void)state;
  const genc_law plain[] = {GENC_LAW_UNIFORM, GENC_LAW_NORMAL, GENC_LAW_EXPONENTIAL,
                            GENC_LAW_GUMBEL};
  for (int l = 0; l < 4; l++) {
    check_run(plain[l], GENC_F64, 1001, 1, NULL, 1);
    check_run(plain[l], GENC_F64, 37, 29, NULL, 1); /* tiles cut inside a particle */
    check_run(plain[l], GENC_F32, 5, 3, NULL, 1);
  }
  check_run(GENC_LAW_BITS, GENC_I32, 300, 3, NULL, 1);
  double rate[600], cnt[600], prob[600];
  const double rates[] = {0.0, 1e-3, 3.0, 9.9, 10.0, 300.0, 1e6};
  for (int i = 0; i < 600; i++) {
    rate[i] = rates[i % 7];
    cnt[i] = (double)((i * 37) % 1000) + (i % 5 == 0 ? 1e6 : 0);
    prob[i] = (double)(i % 11) / 10.0 * 0.999;
  }
  check_run(GENC_LAW_POISSON, GENC_I32, 200, 3, rate, 600);
  check_run2(GENC_LAW_BINOMIAL, GENC_I32, 600, 1, cnt, 600, prob);
}

/* The SIMD Philox against Random123 for every tail length of the vector loop. */
static void test_philox(void **state) {
  (void)state;
  uint32_t key[2] = {0xdeadbeefu, 0x01234567u}, c0[70], c1[70], out[4 * 70];
  for (int n = 1; n <= 70; n++) {
    for (int u = 0; u < n; u++)
      c0[u] = (uint32_t)u * 2654435761u + (uint32_t)n, c1[u] = 0xffffffffu - (uint32_t)u;
    genc_cpu_philox(key, n, c0, c1, 99u, (uint32_t)n * 3u, out);
    for (int u = 0; u < n; u++) {
      philox4x32_ctr_t c = {{c0[u], c1[u], 99u, (uint32_t)n * 3u}};
      philox4x32_key_t k = {{key[0], key[1]}};
      philox4x32_ctr_t r = philox4x32(c, k);
      for (int w = 0; w < 4; w++)
        if (r.v[w] != out[w * n + u]) fail_msg("n = %d, block %d, word %d", n, u, w);
    }
  }
}

/* Both explicit SIMD widths (random/philox_simd.h) where this CPU runs
 * them, with keys and third counter words per lane and shared, against
 * Random123; the lanes they leave are the caller's. */
static void test_philox_simd_widths(void **state) {
  (void)state;
#ifdef GENC_PHILOX_SIMD
  uint32_t ka[37], kb[37], c0[37], c1[37], c2[37], out[4 * 37];
  for (int u = 0; u < 37; u++)
    ka[u] = 0x9e3779b9u * (uint32_t)(u + 1), kb[u] = ~ka[u] ^ 0x5bd1e995u,
    c0[u] = (uint32_t)u * 2654435761u, c1[u] = 0xfffffff0u - (uint32_t)u, c2[u] = 7u * (uint32_t)u;
  int done = 0;
  for (int wide = 0; wide < 2; wide++) {
    if (wide ? !__builtin_cpu_supports("avx512f") : !__builtin_cpu_supports("avx2")) continue;
    for (int shared = 0; shared < 2; shared++)
      for (int n = 1; n <= 37; n += 3) {
        int s = !shared;
        int64_t m = wide ? genc_philox_x8(n, ka, kb, s, c0, c1, c2, s, 5u, out)
                         : genc_philox_x4(n, ka, kb, s, c0, c1, c2, s, 5u, out);
        assert_int_equal(m, n - n % (wide ? 8 : 4));
        for (int u = 0; u < m; u++) {
          philox4x32_ctr_t c = {{c0[u], c1[u], c2[u * s], 5u}};
          philox4x32_key_t k = {{ka[u * s], kb[u * s]}};
          philox4x32_ctr_t r = philox4x32(c, k);
          for (int w = 0; w < 4; w++)
            if (r.v[w] != out[w * n + u])
              fail_msg("x%d n %d lane %d word %d", wide ? 8 : 4, n, u, w);
        }
        done++;
      }
  }
  assert_true(done > 0); /* the x86-64 machines this runs on have AVX2 */
#else
  skip();
#endif
}

static void test_sincos2pi(void **state) {
  (void)state;
  /* the quadrant edges, then a grid: the reduction is exact, so the error is
   * the polynomials' (truncation < 5e-17) plus rounding, a few 1e-16; libm's
   * own result carries the rounding of 2 pi u (up to 4.4e-16 near u = 1) */
  double edge[] = {0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0 - 0x1p-53};
  for (int i = 0; i < 9 + 100000; i++) {
    double u = i < 9 ? edge[i] : (i - 9 + 0.5) / 100000.0, c, s;
    genc_law_sincos2pi(u, &c, &s);
    double t = 6.283185307179586476925 * u;
    if (fabs(c - cos(t)) > 1.5e-15 || fabs(s - sin(t)) > 1.5e-15)
      fail_msg("u = %.17g: (%.17g, %.17g) vs (%.17g, %.17g)", u, c, s, cos(t), sin(t));
  }
  double c, s;
  genc_law_sincos2pi(0.25, &c, &s);
  assert_true(fabs(c) < 1e-300 && s == 1.0); /* exact at the quadrant points */
  genc_law_sincos2pi(0.5, &c, &s);
  assert_true(c == -1.0 && fabs(s) < 1e-300);
}

static void test_exp1_case(void **state) {
  (void)state;
  uint32_t key[2] = {1, 2};
  for (uint32_t p = 0; p < 1000; p++) {
    genc_rng r = genc_rng_make(key, 0, p, 0), r2 = r;
    uint32_t a = genc_rng_u32(&r2);
    double want = -genc_law_log_u(genc_law_u53_open(a, genc_rng_u32(&r2)));
    assert_true(genc_law_gamma(&r, 1.0) == want);
    r = genc_rng_make(key, 0, p, 0);
    assert_true(genc_law_log_gamma(&r, 1.0) == log(want));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_run_equals_elem), cmocka_unit_test(test_laws_equal_elem),
      cmocka_unit_test(test_philox),          cmocka_unit_test(test_philox_simd_widths),
      cmocka_unit_test(test_sincos2pi),       cmocka_unit_test(test_exp1_case)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
