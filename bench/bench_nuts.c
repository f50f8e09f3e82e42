/*
 * B4 of /work/shared/BENCHMARKS.md: NUTS on a logistic regression (10
 * weights and an intercept, standard normal priors, 1000 observations),
 * 500 warmup + 1000 draws, one chain and four (run one after the other),
 * with a hand-written log density and gradient (genc_lp_grad_fn). Reports
 * the minimum bulk ESS over the weights w_j per second of wall time
 * (warmup included, as the Stan and NumPyro figures count it), the largest
 * R-hat, mean leapfrogs and divergences. Usage: bench_nuts [seed].
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "genc.h"

#define N 1000
#define P 10

typedef struct data {
  double x[N][P];
  int y[N];
} data;

static void make_data(data *d) {
  for (int i = 0; i < N; i++) {
    double eta = 0.5 * sin(12.9898 * i);
    for (int j = 0; j < P; j++) {
      d->x[i][j] = sin(0.37 * (i + 1) * (j + 1) + 0.1 * j);
      eta += d->x[i][j] * (-1 + 2.0 * j / (P - 1));
    }
    d->y[i] = eta > 0;
  }
}

static genc_status lp_grad(void *user, const double *t, int dim, double *lp, double *grad) {
  const data *d = user;
  double acc = 0;
  for (int j = 0; j < dim; j++) {
    grad[j] = -t[j];
    acc -= 0.5 * t[j] * t[j];
  }
  for (int i = 0; i < N; i++) {
    double eta = t[P];
    for (int j = 0; j < P; j++)
      eta += d->x[i][j] * t[j];
    double e = exp(-fabs(eta));
    acc += d->y[i] * eta - (fmax(eta, 0) + log1p(e));
    double r = d->y[i] - (eta > 0 ? 1 : e) / (1 + e);
    for (int j = 0; j < P; j++)
      grad[j] += r * d->x[i][j];
    grad[P] += r;
  }
  *lp = acc;
  return GENC_OK;
}

static int run(genc_ctx *ctx, const data *d, int nc, uint64_t seed) {
  genc_nuts_result r[4];
  genc_nuts_opts o = {.warmup = 500, .samples = 1000, .key = genc_key_from_seed(seed)};
  if (genc_nuts_chains(ctx, lp_grad, (void *)d, P + 1, nc, &o, r)) return 1;
  double *buf = malloc((size_t)nc * 1000 * sizeof *buf), min_ess = INFINITY, max_rhat = 0;
  double secs = 0, leap = 0;
  int64_t div = 0;
  for (int j = 0; j < P; j++) {
    double ess, rhat;
    if (genc_nuts_param_draws(ctx, r, nc, j, buf) || genc_diag_ess_bulk(ctx, buf, nc, 1000, &ess) ||
        genc_diag_rhat(ctx, buf, nc, 1000, &rhat))
      return 1;
    min_ess = fmin(min_ess, ess), max_rhat = fmax(max_rhat, rhat);
  }
  for (int c = 0; c < nc; c++) {
    secs += r[c].warmup_seconds + r[c].sampling_seconds;
    for (int s = 0; s < 1000; s++)
      leap += (double)r[c].stats[s].n_leapfrog / (1000.0 * nc), div += r[c].stats[s].divergent;
    genc_nuts_result_clear(&r[c]);
  }
  printf("B4 NUTS %d chain%s: %.3f s, min bulk ESS %.0f, %.0f min-ESS/s, max rhat %.4f, "
         "mean leapfrog %.1f, divergences %lld\n",
         nc, nc > 1 ? "s" : "", secs, min_ess, min_ess / secs, max_rhat, leap, (long long)div);
  free(buf);
  return 0;
}

int main(int argc, char **argv) {
  uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
  genc_ctx *ctx = genc_ctx_new(NULL, NULL);
  data *d = malloc(sizeof *d);
  if (!ctx || !d) return 1;
  make_data(d);
  int rc = run(ctx, d, 1, seed) || run(ctx, d, 4, seed);
  if (rc) fprintf(stderr, "bench_nuts: %s\n", genc_ctx_error(ctx));
  free(d);
  genc_ctx_free(ctx);
  return rc;
}
