/* genc_resample's systematic and stratified schemes find their ancestors by
 * counting points below each running sum (merge_even in resample.c), not by
 * the sequential scan of the other schemes. The two must give the same
 * ancestors: here the scan is written out again (the same compensated sums,
 * the same points from the same key) and compared index for index on weight
 * vectors that stress it: zero weights first, last and in runs, a weight
 * many orders below the rest, one particle holding everything or most of
 * it, m != n. */
#include "testutil.h"

typedef struct ksum {
  double s, c;
} ksum;

static void ksum_add(ksum *k, double x) {
  double t = k->s + x;
  k->c += fabs(k->s) >= fabs(x) ? (k->s - t) + x : (x - t) + k->s;
  k->s = t;
}

/* The scan: the smallest i with C_i > p[j], never past the last positive weight. */
static void scan(const double *u, int64_t n, const double *p, int64_t m, int32_t *idx) {
  int64_t last = n - 1, i = 0;
  while (last > 0 && u[last] == 0)
    last--;
  while (i < last && u[i] == 0)
    i++;
  ksum k = {u[i], 0};
  for (int64_t j = 0; j < m; j++) {
    while (i < last && k.s + k.c <= p[j])
      ksum_add(&k, u[++i]);
    idx[j] = (int32_t)i;
  }
}

/* The ancestors genc_resample must give for log weights lw: its points
 * (resample.c: (j + U) T / m, one U for systematic, U_j for stratified). */
static void expected(genc_ctx *ctx, const double *lw, int64_t n, int64_t m, bool strat,
                     genc_key key, int32_t *idx) {
  double mx = -INFINITY, *u = malloc((size_t)n * sizeof *u), *p = malloc((size_t)m * sizeof *p);
  for (int64_t i = 0; i < n; i++)
    mx = fmax(mx, lw[i]);
  ksum k = {0, 0};
  for (int64_t i = 0; i < n; i++)
    ksum_add(&k, u[i] = exp(lw[i] - mx));
  double total = k.s + k.c;
  int64_t nu = strat ? m : 1;
  genc_array *a = genc_random_uniform(ctx, key, GENC_F64, 1, &nu, 0);
  T_OK(ctx, a);
  assert_int_equal(genc_array_copy_out(ctx, a, p, nu), GENC_OK);
  for (int64_t j = m - 1; j >= 0; j--)
    p[j] = ((double)j + p[strat ? j : 0]) * (total / (double)m);
  scan(u, n, p, m, idx);
  free(u);
  free(p);
}

static void check(genc_ctx *ctx, const double *lw, int64_t n, int64_t m, uint64_t seed) {
  int32_t *want = malloc((size_t)m * sizeof *want), *got = malloc((size_t)m * sizeof *got);
  double *g = malloc((size_t)m * sizeof *g);
  for (int strat = 0; strat < 2; strat++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_key key = genc_key_from_seed(seed + (uint64_t)strat);
    expected(ctx, lw, n, m, strat, key, want);
    genc_array *a = genc_resample(ctx, lw, n, m,
                                  strat ? GENC_RESAMPLE_STRATIFIED : GENC_RESAMPLE_SYSTEMATIC, key);
    T_OK(ctx, a);
    assert_int_equal(genc_array_copy_out(ctx, a, g, m), GENC_OK);
    for (int64_t j = 0; j < m; j++)
      got[j] = (int32_t)g[j];
    assert_memory_equal(got, want, (size_t)m * sizeof *got);
    genc_scope_end(ctx, mark);
  }
  free(want);
  free(got);
  free(g);
}

static void test_even_schemes_match_the_scan(void **state) {
  genc_ctx *ctx = *state;
  enum { N = 3000 };
  double *lw = malloc(N * sizeof *lw);
  /* smooth random-looking weights, with runs of zeros (-inf) at both ends and inside */
  for (int64_t i = 0; i < N; i++)
    lw[i] = 3 * sin(0.37 * (double)i) + cos(1.9 * (double)i * (double)i);
  for (int64_t i = 0; i < 40; i++)
    lw[i] = lw[N - 1 - i] = lw[1000 + i] = -INFINITY;
  for (int64_t m = 1; m <= 2 * N; m += m < 10 ? 3 : 997)
    check(ctx, lw, N, m, 100 + (uint64_t)m);
  /* a tiny weight (1e-300 relative) among the others, and one particle with all of it */
  lw[2000] = -700;
  check(ctx, lw, N, N, 7);
  for (int64_t i = 0; i < N; i++)
    lw[i] = i == 1234 ? 0 : -INFINITY;
  check(ctx, lw, N, N, 8);
  /* one particle in the middle with most of the weight (hundreds of
   * offspring, past merge_even's 8-copy store), a zero weight right after it */
  for (int64_t i = 0; i < N; i++)
    lw[i] = i == 1500 ? 3 : i == 1501 ? -INFINITY : -5;
  check(ctx, lw, N, N, 12);
  check(ctx, lw, N, 2 * N + 3, 13);
  /* equal weights: each particle once or nearly so */
  for (int64_t i = 0; i < N; i++)
    lw[i] = -1;
  check(ctx, lw, N, N, 9);
  check(ctx, lw, N, N / 3, 10);
  check(ctx, lw, 1, 5, 11);
  free(lw);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_even_schemes_match_the_scan, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
