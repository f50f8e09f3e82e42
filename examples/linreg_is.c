/*
 * Bayesian linear regression by importance sampling, built from generate.
 *
 *   slope, intercept ~ Normal(0, 10);  y_i ~ Normal(slope x_i + intercept, 1), i < 100
 *
 * The model is written for one trace; generate runs it once for N particles
 * with the observations as constraints, and the importance weights give the
 * posterior mean, printed next to the exact (conjugate Gaussian) answer.
 * Deterministic: a fixed seed. GENC_DEVICE=cuda runs it on the GPU, unchanged.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "genc.h"

#define K 100

static genc_array *linreg(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *slope = GENC_TRACE(rt, "slope", genc_normal(ctx, 0.0, 10.0));
  genc_array *intercept = GENC_TRACE(rt, "intercept", genc_normal(ctx, 0.0, 10.0));
  genc_array *mu = genc_add(ctx, genc_mul(ctx, slope, args[0]), intercept);
  return GENC_TRACE(rt, "y", genc_broadcasted_normal(ctx, mu, 1.0));
}

/* Exact posterior mean (X'X + I/100)^-1 X'y with X = [x, 1], and the posterior
 * variances, the diagonal of (X'X + I/100)^-1 (noise variance 1). */
static void exact_posterior(const double *x, const double *y, double *m, double *var) {
  double a = 0.01, b = 0, d = 0.01, u = 0, v = 0;
  for (int i = 0; i < K; i++) {
    a += x[i] * x[i], b += x[i], d += 1;
    u += x[i] * y[i], v += y[i];
  }
  double det = a * d - b * b;
  m[0] = (d * u - b * v) / det;
  m[1] = (a * v - b * u) / det;
  var[0] = d / det;
  var[1] = a / det;
}

int main(void) {
  const int64_t n = 100000;
  double x[K], y[K];
  for (int i = 0; i < K; i++) {
    x[i] = -1 + 2.0 * i / (K - 1);
    y[i] = 1.7 * x[i] - 0.4 + 0.8 * sin(12.9898 * i);
  }
  genc_ctx *ctx = genc_ctx_new_env(NULL);
  if (!ctx) {
    fprintf(stderr, "%s\n", genc_ctx_new_error());
    return 1;
  }
  genc_gf *gf = genc_gf_dynamic("linreg", linreg, 1, NULL);
  genc_array *xs = genc_array_vec(ctx, K, x);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, obs, GENC_SYM("y"), genc_array_vec(ctx, K, y));

  genc_array *logw = NULL;
  genc_trace *t = genc_gf_generate(ctx, gf, &xs, obs, genc_key_from_seed(2026), n, &logw);
  if (!t) {
    fprintf(stderr, "generate failed: %s\n", genc_ctx_error(ctx));
    return 1;
  }
  double *w = malloc((size_t)n * sizeof *w), *s = malloc((size_t)n * sizeof *s),
         *c = malloc((size_t)n * sizeof *c);
  genc_array_copy_out(ctx, logw, w, n);
  genc_array_copy_out(ctx, genc_trace_get(ctx, t, GENC_PATH(GENC_SYM("slope"))), s, n);
  genc_array_copy_out(ctx, genc_trace_get(ctx, t, GENC_PATH(GENC_SYM("intercept"))), c, n);

  /* self-normalized weights, stable: subtract the max log weight */
  double mx = -INFINITY, sw = 0, sw2 = 0, ms = 0, mc = 0;
  for (int64_t i = 0; i < n; i++)
    mx = fmax(mx, w[i]);
  for (int64_t i = 0; i < n; i++) {
    double e = exp(w[i] - mx);
    sw += e, sw2 += e * e, ms += e * s[i], mc += e * c[i];
  }
  double exact[2], var[2], ess = sw * sw / sw2;
  exact_posterior(x, y, exact, var);
  printf("importance sampling on the %s, N = %lld particles (ESS %.0f)\n",
         genc_ctx_device(ctx) == GENC_CUDA ? "GPU" : "CPU", (long long)n, ess);
  printf("log p(y) estimate:  %.4f\n", mx + log(sw / (double)n));
  printf("posterior mean:     slope %.4f  intercept %.4f\n", ms / sw, mc / sw);
  printf("exact posterior:    slope %.4f  intercept %.4f\n", exact[0], exact[1]);
  /* ctest runs this example: the estimate must lie within 5 standard errors
   * (posterior sd / sqrt(ESS)) of the exact mean */
  bool ok = fabs(ms / sw - exact[0]) < 5 * sqrt(var[0] / ess) &&
            fabs(mc / sw - exact[1]) < 5 * sqrt(var[1] / ess);
  printf("check against the exact posterior: %s\n", ok ? "ok" : "FAILED");

  free(w), free(s), free(c);
  genc_trace_release(t);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
  genc_ctx_free(ctx);
  return ok ? 0 : 1;
}
