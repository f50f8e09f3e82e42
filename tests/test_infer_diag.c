/* MCMC diagnostics (include/genc/infer.h) against the R package posterior, on
 * fixed draws committed with the values posterior computed from them
 * (tests/fixtures/diagnostics.json, made by tools/fixtures/diagnostics.R). */
#include <cjson/cJSON.h>

#include "testutil.h"
/* internal helpers, to test both paths of the sort and the autocovariance */
#include "infer/diag.h"

/* posterior and genc run the same algorithm (same split, ranks, AS 241 normal
 * quantile, Geyer sequence) and differ only in rounding: R's FFT (mixed radix,
 * length nextn(n)) against our radix-2 FFT, and summation order. The ESS is a
 * ratio of sums of O(n) autocovariances, each exact to ~1e-15 relative to the
 * variance, so 1e-8 relative leaves room; order statistics and means agree to
 * a few ulps. */
#define TOL_DIAG 1e-8
#define TOL_EXACT 1e-13

static cJSON *load(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", GENC_FIXTURES, name);
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)len + 1);
  size_t got = fread(buf, 1, (size_t)len, f);
  buf[got] = 0;
  fclose(f);
  cJSON *j = cJSON_Parse(buf);
  free(buf);
  if (!j) fail_msg("cannot parse %s", path);
  return j;
}

/* posterior's NA is JSON null; genc's is NaN */
static double num(const cJSON *set, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(set, key);
  if (!v) fail_msg("fixture lacks %s", key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static double *vec(const cJSON *set, const char *key, int *n) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(set, key);
  *n = cJSON_GetArraySize(a);
  double *v = malloc((size_t)*n * sizeof *v);
  for (int i = 0; i < *n; i++)
    v[i] = cJSON_IsNumber(cJSON_GetArrayItem(a, i)) ? cJSON_GetArrayItem(a, i)->valuedouble : NAN;
  return v;
}

/* Largest relative error seen against posterior, printed at the end. */
static double max_err_diag, max_err_exact;

/* Compare one computed value with the fixture's (NaN matches null). */
static void expect(const char *set, const char *key, double got, double want, double tol) {
  if (got == want) return; /* infinities too */
  if (isfinite(got) && isfinite(want) && want != 0) {
    double e = fabs(got - want) / fabs(want);
    double *m = tol == TOL_DIAG ? &max_err_diag : &max_err_exact;
    if (e > *m) *m = e;
  }
  if (isnan(want) || isnan(got)) {
    if (isnan(want) != isnan(got))
      fail_msg("%s %s: got %.17g, posterior %.17g", set, key, got, want);
    return;
  }
  if (!(fabs(got - want) <= tol * fmax(1e-300, fabs(want))))
    fail_msg("%s %s: got %.17g, posterior %.17g (rel err %.3g, tol %.3g)", set, key, got, want,
             fabs(got - want) / fabs(want), tol);
}

/* Every diagnostic of every fixture set against posterior. */
static void test_against_posterior(void **state) {
  genc_ctx *ctx = *state;
  cJSON *root = load("diagnostics.json");
  int nsets = 0;
  for (cJSON *set = root->child; set; set = set->next) {
    if (!cJSON_IsObject(set)) continue;
    const char *name = set->string;
    int64_t m = (int64_t)num(set, "nchains"), n = (int64_t)num(set, "niter");
    int nd = 0, np = 0;
    double *x = vec(set, "draws", &nd);
    assert_int_equal(nd, m * n);
    double v = NAN;
#define RUN(call, key, tol)                                                                        \
  do {                                                                                             \
    if (call) fail_msg("%s: %s", name, genc_ctx_error(ctx));                                       \
    expect(name, key, v, num(set, key), tol);                                                      \
  } while (0)
    RUN(genc_diag_rhat(ctx, x, m, n, &v), "rhat", TOL_DIAG);
    RUN(genc_diag_rhat_basic(ctx, x, m, n, &v), "rhat_basic", TOL_DIAG);
    RUN(genc_diag_ess_bulk(ctx, x, m, n, &v), "ess_bulk", TOL_DIAG);
    RUN(genc_diag_ess_tail(ctx, x, m, n, &v), "ess_tail", TOL_DIAG);
    RUN(genc_diag_ess_basic(ctx, x, m, n, &v), "ess_basic", TOL_DIAG);
    RUN(genc_diag_ess_quantile(ctx, x, m, n, 0.05, &v), "ess_q05", TOL_DIAG);
    RUN(genc_diag_ess_quantile(ctx, x, m, n, 0.5, &v), "ess_q50", TOL_DIAG);
    RUN(genc_diag_mcse_mean(ctx, x, m, n, &v), "mcse_mean", TOL_DIAG);
    RUN(genc_diag_mcse_quantile(ctx, x, m, n, 0.05, &v), "mcse_q05", TOL_DIAG);
    RUN(genc_diag_mcse_quantile(ctx, x, m, n, 0.95, &v), "mcse_q95", TOL_DIAG);
#undef RUN
    double mean = NAN, sd = NAN;
    assert_int_equal(genc_diag_mean_sd(ctx, x, nd, &mean, &sd), GENC_OK);
    expect(name, "mean", mean, num(set, "mean"), TOL_EXACT);
    expect(name, "sd", sd, num(set, "sd"), TOL_EXACT);
    double *probs = vec(set, "probs", &np), *want = vec(set, "quantiles", &np);
    double q[16];
    assert_int_equal(genc_diag_quantiles(ctx, x, nd, probs, np, q), GENC_OK);
    for (int i = 0; i < np; i++)
      expect(name, "quantiles", q[i], want[i], TOL_EXACT);
    double *ebfmi = vec(set, "ebfmi", &np);
    assert_int_equal(np, m);
    for (int64_t c = 0; c < m; c++) {
      assert_int_equal(genc_diag_ebfmi(ctx, x + c * n, n, &v), GENC_OK);
      expect(name, "ebfmi", v, ebfmi[c], TOL_EXACT);
    }
    free(ebfmi);
    genc_diag_summary s;
    assert_int_equal(genc_diag_summarize(ctx, x, m, n, &s), GENC_OK);
    expect(name, "median", s.median, num(set, "median"), TOL_EXACT);
    expect(name, "mad", s.mad, num(set, "mad"), TOL_EXACT);
    expect(name, "summary rhat", s.rhat, num(set, "rhat"), TOL_DIAG);
    expect(name, "summary ess_tail", s.ess_tail, num(set, "ess_tail"), TOL_DIAG);
    expect(name, "summary q5", s.q5, want[1], TOL_EXACT);
    expect(name, "summary q95", s.q95, want[5], TOL_EXACT);
    expect(name, "summary mean", s.mean, num(set, "mean"), TOL_EXACT);
    expect(name, "summary ess_bulk", s.ess_bulk, num(set, "ess_bulk"), TOL_DIAG);
    expect(name, "summary mcse_mean", s.mcse_mean, num(set, "mcse_mean"), TOL_DIAG);
    free(probs);
    free(want);
    free(x);
    nsets++;
  }
  assert_true(nsets >= 8);
  printf("%d sets: largest relative error against posterior %.2g (rhat, ess, mcse), %.2g "
         "(mean, sd, quantiles, mad)\n",
         nsets, max_err_diag, max_err_exact);
  cJSON_Delete(root);
}

/* What the diagnostics are for, independent of posterior: mixed chains have
 * R-hat near 1, a shifted chain pushes it above 1.1, and AR(1) chains with
 * lag-1 correlation 0.9 have an ESS near N (1 - 0.9) / (1 + 0.9). */
static void test_meaning(void **state) {
  genc_ctx *ctx = *state;
  cJSON *root = load("diagnostics.json");
  int nd;
  cJSON *mixed = cJSON_GetObjectItem(root, "ar1_mixed"),
        *shifted = cJSON_GetObjectItem(root, "shifted");
  double *x = vec(mixed, "draws", &nd), r = NAN, ess = NAN;
  assert_int_equal(genc_diag_rhat(ctx, x, 4, 1000, &r), GENC_OK);
  assert_true(r < 1.05); /* posterior: 1.0196 */
  assert_int_equal(genc_diag_ess_basic(ctx, x, 4, 1000, &ess), GENC_OK);
  /* 4000 * 0.1 / 1.9 = 210; the ESS estimate of 4000 draws varies by ~20% */
  assert_true(ess > 140 && ess < 300);
  free(x);
  x = vec(shifted, "draws", &nd);
  assert_int_equal(genc_diag_rhat(ctx, x, 4, 500, &r), GENC_OK);
  assert_true(r > 1.1);
  free(x);
  cJSON_Delete(root);
}

/* The summary table: one header and one line per parameter, the query form
 * gives the length, a short buffer is an error with a truncated table. */
static void test_summary_table(void **state) {
  genc_ctx *ctx = *state;
  double x[2][50];
  for (int c = 0; c < 2; c++)
    for (int t = 0; t < 50; t++)
      x[c][t] = sin(0.7 * t + c) + 0.01 * t;
  genc_diag_summary rows[2];
  assert_int_equal(genc_diag_summarize(ctx, &x[0][0], 2, 50, &rows[0]), GENC_OK);
  assert_int_equal(genc_diag_summarize(ctx, &x[0][0], 1, 100, &rows[1]), GENC_OK);
  assert_true(rows[0].q5 < rows[0].median && rows[0].median < rows[0].q95);
  const char *names[2] = {"theta.1", "a_much_longer_name"};
  size_t need = 0;
  assert_int_equal(genc_diag_summary_format(ctx, 2, names, rows, NULL, 0, &need), GENC_OK);
  char *buf = malloc(need + 1);
  size_t need2 = 0;
  assert_int_equal(genc_diag_summary_format(ctx, 2, names, rows, buf, need + 1, &need2), GENC_OK);
  assert_int_equal(need, need2);
  assert_int_equal(strlen(buf), need);
  assert_non_null(strstr(buf, "variable"));
  assert_non_null(strstr(buf, "ess_bulk"));
  const char *l1 = strchr(buf, '\n') + 1, *l2 = strchr(l1, '\n') + 1;
  assert_int_equal(strncmp(l1, "theta.1 ", 8), 0);
  assert_int_equal(strncmp(l2, "a_much_longer_name ", 19), 0);
  /* columns aligned: every line has the same length */
  assert_int_equal(l1 - buf, l2 - l1);
  char rhat[16];
  snprintf(rhat, sizeof rhat, "%.3f", rows[0].rhat);
  assert_non_null(strstr(l1, rhat));
  char small[20];
  assert_int_equal(genc_diag_summary_format(ctx, 2, names, rows, small, sizeof small, NULL),
                   GENC_ERR_ARG);
  assert_int_equal(strlen(small), sizeof small - 1);
  assert_non_null(strstr(genc_ctx_error(ctx), "needs"));
  genc_ctx_clear_error(ctx);
  free(buf);
}

/* Counts and means of one chain's sampler statistics; E-BFMI of energies
 * 1, 3, 2, 4: squared steps 4 + 1 + 4 = 9 over 4 draws, sample variance 5/3,
 * so 2.25 / (5/3) = 1.35. */
static void test_sampler_summary(void **state) {
  genc_ctx *ctx = *state;
  genc_sampler_stats st[4] = {{-1, 0.9, 0.5, 3, 7, 0, 1},
                              {-2, 0.7, 0.5, 10, 1023, 1, 3},
                              {-1, 0.8, 0.5, 10, 1023, 0, 2},
                              {-3, 0.6, 0.5, 2, 3, 1, 4}};
  genc_diag_sampler_summary o;
  assert_int_equal(genc_diag_summarize_sampler(ctx, st, 4, 10, &o), GENC_OK);
  T_CLOSE(o.accept_mean, 0.75, 1e-15);
  T_CLOSE(o.leapfrog_mean, 514, 1e-15);
  assert_int_equal(o.ndivergent, 2);
  assert_int_equal(o.nmax_depth, 2);
  T_CLOSE(o.ebfmi, 1.35, 1e-15);
  assert_int_equal(genc_diag_summarize_sampler(ctx, st, 4, 0, &o), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "max_depth = 0"));
  genc_ctx_clear_error(ctx);
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The radix sort (large inputs) orders like qsort, ties and signed zeros
 * included, and carries the index along stably; the FFT autocovariance
 * equals direct sums at every lag (lengths that are no power of two). */
static void test_internals(void **state) {
  genc_ctx *ctx = *state;
  int64_t n = 10007;
  double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
  int64_t *idx = malloc((size_t)n * sizeof *idx);
  for (int64_t i = 0; i < n; i++) {
    x[i] = i % 7 == 0 ? (double)(i % 5) - 2.0 : sin((double)i * 12.9898) * 1e3 * (i % 3);
    if (i == 11) x[i] = -INFINITY;
    if (i == 12) x[i] = INFINITY;
    if (i == 13) x[i] = -0.0;
    y[i] = x[i];
    idx[i] = i;
  }
  assert_int_equal(genc__diag_sort(ctx, "test", x, idx, n), GENC_OK);
  qsort(y, (size_t)n, sizeof *y, cmp_d);
  for (int64_t i = 0; i < n; i++) {
    assert_true(x[i] == y[i]);
    if (i && x[i] == x[i - 1] && signbit(x[i]) == signbit(x[i - 1]))
      assert_true(idx[i] > idx[i - 1]);
  }
  for (int64_t len = 3; len <= 1000; len = len * 3 + 1) {
    double *a = malloc((size_t)len * sizeof *a);
    for (int64_t i = 0; i < len; i++)
      a[i] = y[(i * 7919) % n] / 1e3 + (double)i / (double)len;
    assert_int_equal(genc__diag_autocov(ctx, "test", a, len, x), GENC_OK);
    double mu = genc__diag_mean(a, len), r0 = 0;
    for (int64_t t = 0; t < len; t++)
      r0 += (a[t] - mu) * (a[t] - mu);
    for (int64_t k = 0; k < len; k++) {
      double r = 0;
      for (int64_t t = 0; t + k < len; t++)
        r += (a[t] - mu) * (a[t + k] - mu);
      /* FFT rounding is relative to the lag-0 value, not to each lag */
      T_CLOSE(x[k] / x[0], r / r0, 1e-13);
    }
    free(a);
  }
  free(x);
  free(y);
  free(idx);
}

static void expect_arg_error(genc_ctx *ctx, genc_status st, const char *w1, const char *w2) {
  assert_int_equal(st, GENC_ERR_ARG);
  const char *m = genc_ctx_error(ctx);
  if (w1 && !strstr(m, w1)) fail_msg("message '%s' lacks '%s'", m, w1);
  if (w2 && !strstr(m, w2)) fail_msg("message '%s' lacks '%s'", m, w2);
  genc_ctx_clear_error(ctx);
}

/* Invalid arguments are errors naming the function; degenerate draws are NaN. */
static void test_errors(void **state) {
  genc_ctx *ctx = *state;
  double x[6] = {1, 2, 3, 4, 5, 6}, v = 0;
  expect_arg_error(ctx, genc_diag_rhat(ctx, NULL, 1, 6, &v), "genc_diag_rhat", "draws");
  expect_arg_error(ctx, genc_diag_ess_bulk(ctx, x, 0, 6, &v), "genc_diag_ess_bulk", "0 chains");
  expect_arg_error(ctx, genc_diag_ess_tail(ctx, x, 1, 6, NULL), "genc_diag_ess_tail", "output");
  expect_arg_error(ctx, genc_diag_ess_quantile(ctx, x, 1, 6, 1.5, &v), "genc_diag_ess_quantile",
                   "1.5");
  expect_arg_error(ctx, genc_diag_mcse_quantile(ctx, x, 1, 6, -1, &v), "genc_diag_mcse_quantile",
                   "prob");
  double p = -0.1;
  expect_arg_error(ctx, genc_diag_quantiles(ctx, x, 6, &p, 1, &v), "genc_diag_quantiles",
                   "probs[0]");
  expect_arg_error(ctx, genc_diag_mean_sd(ctx, x, 0, &v, NULL), "genc_diag_mean_sd", "n = 0");
  const char *names[1] = {NULL};
  genc_diag_summary row = {0};
  expect_arg_error(ctx, genc_diag_summary_format(ctx, 1, names, &row, NULL, 0, NULL),
                   "genc_diag_summary_format", "names[0]");
  /* too few draws: NaN where posterior gives NA (R-hat needs 2 draws per split
   * chain, ESS 3), finite pooled summaries */
  genc_diag_summary tiny;
  assert_int_equal(genc_diag_summarize(ctx, x, 1, 1, &tiny), GENC_OK);
  assert_true(isnan(tiny.rhat) && isnan(tiny.ess_bulk) && isnan(tiny.mcse_mean));
  assert_true(tiny.mean == 1 && tiny.median == 1 && tiny.q95 == 1 && isnan(tiny.sd));
  /* chains of 3 draws split into halves of 1: NaN. (posterior returns numbers
   * here: its split of 2- or 3-draw chains drops a matrix dimension in R and
   * computes on the transposed draws.) */
  assert_int_equal(genc_diag_summarize(ctx, x, 2, 3, &tiny), GENC_OK);
  assert_true(isnan(tiny.rhat) && isnan(tiny.ess_tail));
  assert_int_equal(genc_diag_summarize(ctx, x, 1, 6, &tiny), GENC_OK);
  /* posterior on these six draws: rhat 2.0194426890617572, ess_bulk 3 */
  T_CLOSE(tiny.rhat, 2.0194426890617572, 1e-14);
  T_CLOSE(tiny.ess_bulk, 3, 1e-14);
  /* a NaN draw: NaN diagnostics, as posterior's NA, and no error */
  x[2] = NAN;
  assert_int_equal(genc_diag_rhat(ctx, x, 2, 3, &v), GENC_OK);
  assert_true(isnan(v));
  assert_int_equal(genc_diag_quantiles(ctx, x, 6, (double[]){0.5}, 1, &v), GENC_OK);
  assert_true(isnan(v));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_against_posterior), cmocka_unit_test(test_meaning),
      cmocka_unit_test(test_summary_table),     cmocka_unit_test(test_sampler_summary),
      cmocka_unit_test(test_internals),         cmocka_unit_test(test_errors)};
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
