/*
 * Bayesian logistic regression by static HMC on the model's log density,
 * checked against importance sampling in the same program.
 *
 *   w0, w1, b ~ Normal(0, 1);  y_i ~ Bernoulli(sigmoid(w0 x_i0 + w1 x_i1 + b)),  i < 50
 *
 * The data follow B4 of ../shared/BENCHMARKS.md, smaller: x_ij = sin(0.37 (i
 * + 1)(j + 1) + 0.1 j) and y_i = 1 when x_i . (-1, 1) + 0.3 + 0.5 sin(12.9898
 * i) > 0. The 50 observations are one vector address scored by a single
 * Bernoulli. genc_hmc() runs one chain (Stan's warmup: dual averaging and a
 * diagonal metric) on genc_logdensity_new()'s density. No closed form exists,
 * so the reference is self-normalized importance sampling with the prior as
 * proposal and N = 2e5 particles (genc_importance(), one batched run): each
 * posterior mean must agree within 4 combined standard errors, sqrt(MCSE^2 +
 * SE_IS^2), MCSE from HMC's ESS and SE_IS by the delta method. Deterministic:
 * fixed seeds.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "genc.h"

enum { K = 50, P = 3, WARMUP = 500, SAMPLES = 1000 };
static double x0[K], x1[K], ys[K];

static genc_array *logreg(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *w0 = GENC_TRACE(rt, "w0", genc_normal(ctx, 0.0, 1.0));
  genc_array *w1 = GENC_TRACE(rt, "w1", genc_normal(ctx, 0.0, 1.0));
  genc_array *b = GENC_TRACE(rt, "b", genc_normal(ctx, 0.0, 1.0));
  genc_array *logit = genc_add(ctx,
                               genc_add(ctx, genc_mul(ctx, w0, genc_array_vec(ctx, K, x0)),
                                        genc_mul(ctx, w1, genc_array_vec(ctx, K, x1))),
                               b);
  return GENC_TRACE(rt, "y", genc_bernoulli(ctx, genc_sigmoid(ctx, logit)));
}

/* Self-normalized estimate sum u_i x_i / sum u_i and its delta-method
 * standard error sqrt(sum u_i^2 (x_i - xbar)^2) / sum u_i. */
static void sn_estimate(const double *u, const double *x, int64_t n, double *est, double *se) {
  double su = 0, sux = 0, v = 0;
  for (int64_t i = 0; i < n; i++)
    su += u[i], sux += u[i] * x[i];
  *est = sux / su;
  for (int64_t i = 0; i < n; i++)
    v += u[i] * u[i] * (x[i] - *est) * (x[i] - *est);
  *se = sqrt(v) / su;
}

/* Importance-sampling posterior means and standard errors of w0, w1, b. */
static bool is_reference(genc_ctx *ctx, genc_gf *gf, const genc_choicemap *obs,
                         const char *const *names, double *est, double *se) {
  const int64_t n = 200000;
  genc_is_result r;
  if (genc_importance(ctx, gf, NULL, obs, &(genc_is_opts){.n = n, .key = genc_key_from_seed(3)},
                      &r))
    return false;
  double *x = malloc((size_t)n * sizeof *x);
  bool ok = x != NULL;
  for (int p = 0; ok && p < P; p++) {
    ok = !genc_trace_copy_out(ctx, r.trace, names[p], x, n);
    if (ok) sn_estimate(r.weights, x, n, &est[p], &se[p]);
  }
  printf("importance sampling: N = %lld, ESS %.0f\n", (long long)n, r.ess);
  free(x);
  genc_is_result_clear(&r);
  return ok;
}

int main(void) {
  genc_ctx *ctx = genc_ctx_new_env(NULL);
  if (!ctx) {
    fprintf(stderr, "%s\n", genc_ctx_new_error());
    return 1;
  }
  for (int i = 0; i < K; i++) {
    x0[i] = sin(0.37 * (i + 1));
    x1[i] = sin(0.74 * (i + 1) + 0.1);
    ys[i] = -x0[i] + x1[i] + 0.3 + 0.5 * sin(12.9898 * i) > 0;
  }
  genc_gf *gf = genc_gf_dynamic("logreg", logreg, 0, NULL);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  genc_choicemap_set_str(ctx, obs, "y", genc_array_vec(ctx, K, ys));
  const char *names[P] = {"w0", "w1", "b"};
  genc_trace *tmpl = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(1), 0, NULL);
  genc_logdensity *ld = tmpl ? genc_logdensity_new(ctx, gf, NULL, obs, P, names, tmpl) : NULL;
  genc_hmc_options o = genc_hmc_options_default();
  o.warmup = WARMUP, o.samples = SAMPLES, o.nleapfrog = 8;
  genc_hmc_result r = {0};
  double init[P] = {0, 0, 0};
  bool ok = ld && !genc_hmc(ctx, ld, init, &o, genc_key_from_seed(2), &r);
  static double col[P][SAMPLES];
  genc_diag_summary rows[P];
  for (int p = 0; ok && p < P; p++) {
    for (int64_t s = 0; s < SAMPLES; s++)
      col[p][s] = r.draws[s * P + p];
    ok = !genc_diag_summarize(ctx, col[p], 1, SAMPLES, &rows[p]);
  }
  double est[P], se[P];
  ok = ok && is_reference(ctx, gf, obs, names, est, se);
  size_t need = 0;
  char *table = NULL;
  if (ok && !genc_diag_summary_format(ctx, P, names, rows, NULL, 0, &need)) {
    table = malloc(need + 1);
    ok = table && !genc_diag_summary_format(ctx, P, names, rows, table, need + 1, NULL);
  }
  if (!ok) {
    fprintf(stderr, "logreg_hmc: %s\n", genc_ctx_error(ctx));
    return 1;
  }
  double acc = 0;
  for (int64_t s = 0; s < SAMPLES; s++)
    acc += r.accept[s] / SAMPLES;
  printf("logistic regression, HMC (%d leapfrogs), 1 chain x %d draws (after %d warmup)\n",
         o.nleapfrog, SAMPLES, WARMUP);
  printf("step %.3f, accept %.3f, divergent %lld\n%s", r.step_size, acc, (long long)r.divergent,
         table);
  for (int p = 0; p < P; p++) {
    double tol = 4 * sqrt(rows[p].mcse_mean * rows[p].mcse_mean + se[p] * se[p]);
    bool good = fabs(rows[p].mean - est[p]) < tol;
    printf("%-3s HMC mean %8.4f, importance sampling %8.4f (SE %.4f), tolerance %.4f: %s\n",
           names[p], rows[p].mean, est[p], se[p], tol, good ? "ok" : "FAILED");
    ok = ok && good;
  }
  free(table);
  genc_hmc_result_clear(&r);
  genc_logdensity_free(ld);
  genc_trace_release(tmpl);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
  genc_ctx_free(ctx);
  return ok ? 0 : 1;
}
