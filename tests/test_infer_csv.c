/* CmdStan CSV output (genc_stan_csv_*): column names in CmdStan's order,
 * values that read back to the same doubles, the comment header and footer,
 * and argument errors. tests/test_infer_csv_rstan.c reads such a file with
 * rstan::read_stan_csv where R is installed. */
#include <unistd.h>

#include "testutil.h"

/* A file in /tmp; the caller unlinks it. */
static void tmp_path(char *path, size_t size) {
  snprintf(path, size, "/tmp/genc_csv_XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
}

/* theta[8], a[2,3], sigma: 15 values per draw in row-major order. */
static const genc_stan_csv_param params[3] = {
    {"theta", 1, {8}}, {"a", 2, {2, 3}}, {"sigma", 0, {0}}};

/* Values that a 6-digit or %g writer would not round-trip. */
static double value(int draw, int j) {
  static const double tricky[] = {
      0.1,  1.0 / 3.0,         -2.5e-300, 4.9406564584124654e-324, 1.7976931348623157e308,
      -0.0, 123456789.12345678};
  if (draw == 0 && j < 7) return tricky[j];
  return sin(1.0 + draw * 31.0 + j * 7.0) * exp(j % 5);
}

/* Split a CSV line at commas (in place). */
static int split(char *line, char **cells, int max) {
  int n = 0;
  for (char *tok = strtok(line, ",\n"); tok && n < max; tok = strtok(NULL, ",\n"))
    cells[n++] = tok;
  return n;
}

static void test_roundtrip(void **state) {
  genc_ctx *ctx = *state;
  char path[64];
  tmp_path(path, sizeof path);
  double inv_metric[3] = {0.5, 1.25, 2.0};
  genc_stan_csv_config cfg = {.model = "test_model",
                              .num_samples = 4,
                              .num_warmup = 10,
                              .seed = 42,
                              .chain_id = 2,
                              .stepsize = 0.123456789,
                              .inv_metric = inv_metric,
                              .inv_metric_dim = 3,
                              .warmup_seconds = 0.5,
                              .sampling_seconds = 1.5};
  genc_stan_csv *w = genc_stan_csv_open(ctx, NULL, path, &cfg, 3, params, 2);
  T_OK(ctx, w);
  assert_int_equal(genc_stan_csv_nvalues(w), 15);
  enum { NDRAW = 4, NV = 15, NCOL = 7 + NV + 2 };
  double vals[NDRAW][NV], ll[NDRAW][2];
  for (int d = 0; d < NDRAW; d++) {
    for (int j = 0; j < NV; j++)
      vals[d][j] = value(d, j);
    ll[d][0] = -1.0 / (d + 3.0);
    ll[d][1] = d == 3 ? -INFINITY : -0.7 * d;
    genc_sampler_stats s = {-7.0 - d / 3.0, 0.9 - d / 7.0, 0.123456789,  d + 1,
                               3 + d,          d == 2,        8.0 + d / 9.0};
    if (d == 1) s.accept_stat = NAN;
    assert_int_equal(genc_stan_csv_write(ctx, w, &s, vals[d], ll[d]), GENC_OK);
  }
  assert_int_equal(genc_stan_csv_close(ctx, w), GENC_OK);

  static const char *names[NCOL] = {
      "lp__",     "accept_stat__", "stepsize__", "treedepth__", "n_leapfrog__", "divergent__",
      "energy__", "theta.1",       "theta.2",    "theta.3",     "theta.4",      "theta.5",
      "theta.6",  "theta.7",       "theta.8",    "a.1.1",       "a.2.1",        "a.1.2",
      "a.2.2",    "a.1.3",         "a.2.3",      "sigma",       "log_lik.1",    "log_lik.2"};
  /* a.i.j (1-based) is row-major value (i-1)*3 + (j-1) of a, after theta's 8 */
  static const int src[NV] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 9, 12, 10, 13, 14};
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char line[8192], *cells[64];
  int row = -1, saw_step = 0, saw_metric = 0, saw_elapsed = 0, saw_seed = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#') {
      saw_step |= !strcmp(line, "# Step size = 0.123456789\n");
      saw_metric |= !strcmp(line, "# 0.5, 1.25, 2\n");
      saw_elapsed |= strstr(line, "Elapsed Time: 0.5 seconds (Warm-up)") != NULL;
      saw_seed |= !strcmp(line, "#   seed = 42\n");
      continue;
    }
    int n = split(line, cells, 64);
    assert_int_equal(n, NCOL);
    if (row < 0) {
      for (int j = 0; j < NCOL; j++)
        assert_string_equal(cells[j], names[j]);
    } else {
      double lp = strtod(cells[0], NULL);
      assert_true(lp == -7.0 - row / 3.0);
      if (row == 1)
        assert_string_equal(cells[1], "nan");
      else
        assert_true(strtod(cells[1], NULL) == 0.9 - row / 7.0);
      assert_int_equal(atoi(cells[3]), row + 1);
      assert_int_equal(atoi(cells[5]), row == 2);
      assert_true(strtod(cells[6], NULL) == 8.0 + row / 9.0);
      for (int j = 0; j < NV; j++) {
        double got = strtod(cells[7 + j], NULL), want = vals[row][src[j]];
        /* bit for bit, so -0.0 and the subnormal count */
        if (memcmp(&got, &want, sizeof got))
          fail_msg("draw %d column %s: read %.17g from '%s', wrote %.17g", row, names[7 + j], got,
                   cells[7 + j], want);
      }
      assert_true(strtod(cells[7 + NV], NULL) == ll[row][0]);
      if (row == 3) assert_string_equal(cells[8 + NV], "-inf");
    }
    row++;
  }
  fclose(f);
  unlink(path);
  assert_int_equal(row, NDRAW);
  assert_true(saw_step && saw_metric && saw_elapsed && saw_seed);
}

/* A caller's stream stays open; with no parameters only sampler columns. */
static void test_stream(void **state) {
  genc_ctx *ctx = *state;
  FILE *f = tmpfile();
  genc_stan_csv *w = genc_stan_csv_open(ctx, f, NULL, NULL, 0, NULL, 0);
  T_OK(ctx, w);
  genc_sampler_stats s = {-1.5, 1, 0.5, 2, 3, 0, 2.25};
  assert_int_equal(genc_stan_csv_write(ctx, w, &s, NULL, NULL), GENC_OK);
  assert_int_equal(genc_stan_csv_close(ctx, w), GENC_OK);
  rewind(f); /* still open */
  char line[512];
  int data = 0;
  while (fgets(line, sizeof line, f))
    if (line[0] != '#' && !strncmp(line, "-1.5,1,0.5,2,3,0,2.25\n", 22)) data++;
  assert_int_equal(data, 1);
  fclose(f);
}

static void expect_open_error(genc_ctx *ctx, genc_stan_csv *w, const char *what) {
  assert_null(w);
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ARG);
  if (!strstr(genc_ctx_error(ctx), what))
    fail_msg("message '%s' lacks '%s'", genc_ctx_error(ctx), what);
  genc_ctx_clear_error(ctx);
}

static void test_errors(void **state) {
  genc_ctx *ctx = *state;
  expect_open_error(ctx, genc_stan_csv_open(ctx, NULL, NULL, NULL, 0, NULL, 0), "neither");
  expect_open_error(ctx, genc_stan_csv_open(ctx, NULL, "/nonexistent/dir/x.csv", NULL, 0, NULL, 0),
                    "/nonexistent/dir/x.csv");
  genc_stan_csv_param bad[1] = {{"a,b", 0, {0}}};
  FILE *f = tmpfile();
  expect_open_error(ctx, genc_stan_csv_open(ctx, f, NULL, NULL, 1, bad, 0), "a,b");
  bad[0].name = "theta/1";
  expect_open_error(ctx, genc_stan_csv_open(ctx, f, NULL, NULL, 1, bad, 0), "theta/1");
  genc_stan_csv_param zero[1] = {{"v", 1, {0}}};
  expect_open_error(ctx, genc_stan_csv_open(ctx, f, NULL, NULL, 1, zero, 0), "shape[0] = 0");
  expect_open_error(ctx, genc_stan_csv_open(ctx, f, NULL, NULL, 0, NULL, -1), "nloglik = -1");
  genc_stan_csv *w = genc_stan_csv_open(ctx, f, NULL, NULL, 1, params, 1);
  T_OK(ctx, w);
  genc_sampler_stats s = {0};
  assert_int_equal(genc_stan_csv_write(ctx, w, &s, NULL, NULL), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "values"));
  genc_ctx_clear_error(ctx);
  assert_int_equal(genc_stan_csv_close(ctx, w), GENC_OK);
  assert_int_equal(genc_stan_csv_close(ctx, NULL), GENC_OK);
  fclose(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_roundtrip),
                                     cmocka_unit_test(test_stream), cmocka_unit_test(test_errors)};
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
