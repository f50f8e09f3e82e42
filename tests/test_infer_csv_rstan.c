/* CmdStan CSV written by genc read by rstan::read_stan_csv: two chains with a
 * vector, a matrix and log_lik columns, checked by tools/check_stan_csv.R
 * (draws equal bit for bit). Skipped (exit 77) where Rscript or rstan is
 * absent, as on CI; the fixture-free tests are in test_infer_csv.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "genc.h"

static int write_chain(genc_ctx *ctx, const char *path, int chain) {
  const genc_stan_csv_param params[3] = {{"mu", 0, {0}}, {"theta", 1, {3}}, {"a", 2, {2, 2}}};
  double inv_metric[8] = {1, 0.5, 0.25, 2, 1, 1, 1, 1};
  genc_stan_csv_config cfg = {.model = "rstan_check",
                              .num_samples = 50,
                              .num_warmup = 20,
                              .seed = 7,
                              .chain_id = chain,
                              .stepsize = 0.3,
                              .inv_metric = inv_metric,
                              .inv_metric_dim = 8};
  genc_stan_csv *w = genc_stan_csv_open(ctx, NULL, path, &cfg, 3, params, 2);
  if (!w) return 1;
  for (int d = 0; d < 50; d++) {
    double v[8], ll[2] = {-0.5 - d / 100.0, -1.0 / 3.0};
    for (int j = 0; j < 8; j++)
      v[j] = sin(d * 1.7 + j * 0.3 + chain) / 3.0;
    genc_sampler_stats s = {-3 - v[0] * v[0], 0.8 + 0.1 * v[1], 0.3, 2, 3, d == 7, 3.5};
    if (genc_stan_csv_write(ctx, w, &s, v, ll)) return 1;
  }
  return genc_stan_csv_close(ctx, w) != GENC_OK;
}

int main(void) {
  if (system("command -v Rscript >/dev/null 2>&1") != 0) {
    printf("skipped: Rscript not found\n");
    return 77;
  }
  genc_ctx *ctx = genc_ctx_new(NULL, NULL);
  char p1[] = "/tmp/genc_rstan1_XXXXXX", p2[] = "/tmp/genc_rstan2_XXXXXX";
  int f1 = mkstemp(p1), f2 = mkstemp(p2);
  if (!ctx || f1 < 0 || f2 < 0) return 1;
  close(f1);
  close(f2);
  if (write_chain(ctx, p1, 1) || write_chain(ctx, p2, 2)) {
    printf("writing failed: %s\n", genc_ctx_error(ctx));
    return 1;
  }
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "Rscript %s/../../tools/check_stan_csv.R %s %s", GENC_FIXTURES, p1, p2);
  int rc = system(cmd);
  rc = rc == -1 ? 1 : WEXITSTATUS(rc);
  unlink(p1);
  unlink(p2);
  genc_ctx_free(ctx);
  return rc;
}
