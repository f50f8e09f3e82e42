/*
 * A Gaussian mixture written with Mix (a first-class mixture: a Switch over
 * the components with the index traced), mapped over the data with Map,
 * checked against exact enumeration over the components.
 *
 *   c/j ~ Categorical(w);  y/j ~ Normal(mu[c/j], 1),  j < D = 4
 *
 * with K = 3 components, weights w = (0.5, 0.3, 0.2) and means (-3, 0, 3).
 * Component k is a generative function tracing "y"; genc_mix() traces the
 * component index at "component" and the component's choices under "value",
 * and genc_map() puts datum j's choices under j: "j/component",
 * "j/value/y". Importance sampling: one batched generate of N particles with
 * the observations j/value/y constrained; the assignments are drawn from the
 * prior, so particle i's weight is p(y | c_i), and mean weight estimates p(y).
 * (Each datum singles out about one component of three, so the effective
 * sample size falls by about 3 per datum: D is kept small.)
 *
 * Checked: log p(y) and the posterior of the assignment of datum 0,
 * P(c/0 = k | y), against enumeration over the components (the assignments
 * are independent given the fixed weights and means, so the K^D terms factor
 * into a product of per-datum sums over K). GENC_DEVICE=cuda runs it on the
 * GPU, unchanged.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "genc.h"

#define D 4
#define K 3

static const double W[K] = {0.5, 0.3, 0.2};
static const double MU[K] = {-3.0, 0.0, 3.0};
/* datum 0 lies between components 1 and 2: its posterior is spread */
static const double Y[D] = {1.4, -2.7, 0.3, 2.9};

/* component k: y ~ Normal(mu_k, 1), mu_k passed as the user pointer */
static genc_array *component(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args;
  genc_ctx *ctx = genc_rt_ctx(rt);
  return GENC_TRACE(rt, "y", genc_normal(ctx, *(const double *)user, 1.0));
}

static double normal_pdf(double y, double m) {
  return exp(-0.5 * (y - m) * (y - m)) / sqrt(2 * M_PI);
}

/* Exact: log p(y) = sum_j log sum_k w_k N(y_j; mu_k, 1), and P(c/0 = k | y). */
static double exact_answer(double *post0) {
  double lz = 0;
  for (int j = 0; j < D; j++) {
    double s = 0;
    for (int k = 0; k < K; k++)
      s += W[k] * normal_pdf(Y[j], MU[k]);
    lz += log(s);
    for (int k = 0; j == 0 && k < K; k++)
      post0[k] = W[k] * normal_pdf(Y[0], MU[k]) / s;
  }
  return lz;
}

int main(void) {
  const int64_t n = 100000;
  genc_ctx *ctx = genc_ctx_new_env(NULL);
  if (!ctx) {
    fprintf(stderr, "%s\n", genc_ctx_new_error());
    return 1;
  }
  genc_gf *comps[K];
  for (int k = 0; k < K; k++)
    comps[k] = genc_gf_dynamic("component", component, 0, (void *)&MU[k]);
  genc_gf *mix = genc_mix("mixture", K, comps);
  genc_gf *model = genc_map(mix);

  /* the Map's one argument: the logits log w, one row per datum ([D, K]) */
  double logits[D * K];
  for (int j = 0; j < D * K; j++)
    logits[j] = log(W[j % K]);
  int64_t shape[2] = {D, K};
  genc_array *arg = genc_array_from(ctx, GENC_F64, 2, shape, 0, logits);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  for (int j = 0; j < D; j++)
    genc_choicemap_set_path(ctx, obs, GENC_PATH(genc_idx(j), GENC_SYM("value"), GENC_SYM("y")),
                            genc_scalar(ctx, Y[j]));

  genc_array *logw = NULL;
  genc_trace *t = genc_gf_generate(ctx, model, &arg, obs, genc_key_from_seed(2028), n, &logw);
  double *w = malloc((size_t)n * sizeof *w), *c = malloc((size_t)n * sizeof *c);
  if (!t || !w || !c || genc_array_copy_out(ctx, logw, w, n) ||
      genc_trace_copy_out(ctx, t, "0/component", c, n)) {
    fprintf(stderr, "mixture_switch: %s\n", genc_ctx_error(ctx));
    return 1;
  }

  /* Z-hat = mean(e^lw); its relative SE is sd(e^lw) / (mean sqrt(N)), which is
   * also the SE of log Z-hat (delta method). The self-normalized posterior
   * p-hat_k = sum w_i [c_i = k] / sum w_i has SE sqrt(sum w_i^2 ([c_i = k] -
   * p-hat_k)^2) / sum w_i. Each check allows 4 SE. */
  double mx = -INFINITY, sw = 0, sw2 = 0, pk[K] = {0};
  for (int64_t i = 0; i < n; i++)
    mx = fmax(mx, w[i]);
  for (int64_t i = 0; i < n; i++) {
    w[i] = exp(w[i] - mx);
    sw += w[i], sw2 += w[i] * w[i];
    pk[(int)c[i]] += w[i];
  }
  double mean = sw / n, sd = sqrt(fmax(sw2 / n - mean * mean, 0));
  double est[1 + K], se[1 + K], target[1 + K];
  target[0] = exact_answer(target + 1);
  est[0] = mx + log(mean);
  se[0] = sd / (mean * sqrt((double)n));
  for (int k = 0; k < K; k++) {
    double v = 0;
    est[1 + k] = pk[k] / sw;
    for (int64_t i = 0; i < n; i++) {
      double e = ((int)c[i] == k) - est[1 + k];
      v += w[i] * w[i] * e * e;
    }
    se[1 + k] = sqrt(v) / sw;
  }

  bool ok = true;
  printf("Gaussian mixture with Mix over Map, importance sampling on the %s: %d data, "
         "%d components, N = %lld particles\n",
         genc_ctx_device(ctx) == GENC_CUDA ? "GPU" : "CPU", D, K, (long long)n);
  printf("                      estimate      exact   tolerance (4 SE)\n");
  for (int i = 0; i <= K; i++) {
    char name[32];
    if (i == 0)
      snprintf(name, sizeof name, "log p(y)");
    else
      snprintf(name, sizeof name, "P(c/0 = %d | y)", i - 1);
    bool good = fabs(est[i] - target[i]) < 4 * se[i];
    ok = ok && good;
    printf("%-19s %10.4f %10.4f   %9.4f %s\n", name, est[i], target[i], 4 * se[i],
           good ? "ok" : "FAILED");
  }
  printf("check against enumeration over the components: %s\n", ok ? "ok" : "FAILED");

  free(w);
  free(c);
  genc_trace_release(t);
  genc_choicemap_free(obs);
  genc_gf_release(model);
  genc_gf_release(mix);
  for (int k = 0; k < K; k++)
    genc_gf_release(comps[k]);
  genc_ctx_free(ctx);
  return ok ? 0 : 1;
}
