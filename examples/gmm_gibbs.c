/*
 * Assignments of a Gaussian mixture by Gibbs sampling, checked against exact
 * enumeration.
 *
 *   z/i ~ Categorical(w);  x/i ~ Normal(m[z/i], s[z/i]),  i < 6
 *
 * with the weights w, means m and sds s known. genc_gibbs() updates each
 * assignment in turn from its conditional (scoring the 3 values in one
 * batched run); one chain runs SWEEPS sweeps. Given the parameters the
 * assignments are independent, and genc_enumerate() of the 3^6 combinations
 * gives each datum's exact posterior p(z/i = k | x). A frequency f estimated
 * with effective sample size ESS has standard error sqrt(p (1 - p) / ESS);
 * ESS is the chain's own for the indicator (genc_diag_ess_basic, Geyer's
 * initial monotone sequence), which inflates the tolerance for autocorrelation
 * as tests/test_infer_enum_gibbs.c does. Each frequency must lie within 4.5 SE.
 * Deterministic: fixed seeds.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "genc.h"

enum { N = 6, K = 3, SWEEPS = 2000 };
static const double xs[N] = {-2.5, -0.8, 0.4, 1.2, 2.6, 4.1};
static const double w[K] = {0.3, 0.4, 0.3}, m[K] = {-2.0, 0.5, 3.0}, s[K] = {1.0, 0.8, 1.2};

static genc_array *gmm(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  double lw[K];
  for (int k = 0; k < K; k++)
    lw[k] = log(w[k]);
  genc_array *logits = genc_array_vec(ctx, K, lw);
  genc_array *z = NULL;
  for (int64_t i = 0; i < N; i++) {
    z = GENC_TRACE_AT(rt, "z", i, genc_categorical(ctx, logits));
    genc_array *mean = genc_where(ctx, genc_eq(ctx, z, 0.0), m[0],
                                  genc_where(ctx, genc_eq(ctx, z, 1.0), m[1], m[2]));
    genc_array *sd = genc_where(ctx, genc_eq(ctx, z, 0.0), s[0],
                                genc_where(ctx, genc_eq(ctx, z, 1.0), s[1], s[2]));
    GENC_TRACE_AT(rt, "x", i, genc_normal(ctx, mean, sd));
  }
  return z;
}

int main(void) {
  genc_ctx *ctx = genc_ctx_new_env(NULL);
  if (!ctx) {
    fprintf(stderr, "%s\n", genc_ctx_new_error());
    return 1;
  }
  genc_gf *gf = genc_gf_dynamic("gmm", gmm, 0, NULL);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  for (int i = 0; i < N; i++)
    genc_choicemap_set_path(ctx, obs, GENC_PATH(GENC_SYM("x"), genc_idx(i)),
                            genc_scalar(ctx, xs[i]));
  static const double vals[K] = {0, 1, 2};
  static const char *addrs[N] = {"z/0", "z/1", "z/2", "z/3", "z/4", "z/5"};
  genc_enum_var vars[N];
  for (int i = 0; i < N; i++)
    vars[i] = (genc_enum_var){addrs[i], K, vals};

  genc_enum_result er;
  double exact[N][K];
  bool ok = !genc_enumerate(ctx, gf, NULL, obs, N, vars, &er);
  for (int i = 0; ok && i < N; i++)
    ok = !genc_enum_marginal(ctx, &er, vars, i, exact[i]);
  if (ok) genc_enum_result_clear(&er);

  static int z[SWEEPS][N];
  genc_trace *t = ok ? genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(1), 0, NULL) : NULL;
  ok = t != NULL;
  for (int sweep = 0; ok && sweep < SWEEPS; sweep++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_key key = genc_key_fold_in(genc_key_from_seed(2), (uint64_t)sweep);
    for (int i = 0; ok && i < N; i++) {
      genc_trace *u = genc_gibbs(ctx, t, &vars[i], genc_key_fold_in(key, (uint64_t)i));
      genc_trace_release(t);
      t = u, ok = u != NULL;
      if (ok) z[sweep][i] = (int)genc_trace_get_double(ctx, t, addrs[i]);
    }
    genc_scope_end(ctx, mark);
  }
  if (!ok) {
    fprintf(stderr, "gmm_gibbs: %s\n", genc_ctx_error(ctx));
    return 1;
  }
  printf("Gaussian mixture assignments, Gibbs, 1 chain x %d sweeps\n", SWEEPS);
  printf("datum      x   component  Gibbs   exact     ESS  |diff|/SE\n");
  static double ind[SWEEPS];
  double worst = 0;
  for (int i = 0; i < N; i++)
    for (int k = 0; k < K; k++) {
      double f = 0, ess = 0;
      for (int sweep = 0; sweep < SWEEPS; sweep++)
        f += (ind[sweep] = z[sweep][i] == k);
      f /= SWEEPS;
      double p = exact[i][k];
      /* a frequency of 0 or 1 has constant indicators (NaN ESS): the chain
       * length stands in, and the check then needs p within 4.5 sqrt(p (1 - p) / T) */
      if (genc_diag_ess_basic(ctx, ind, 1, SWEEPS, &ess) || !isfinite(ess)) ess = SWEEPS;
      double se = sqrt(p * (1 - p) / ess), dev = se > 0 ? fabs(f - p) / se : fabs(f - p) * 1e9;
      bool good = dev <= 4.5;
      worst = fmax(worst, dev);
      printf("z/%d  %6.2f   %d        %6.4f  %6.4f  %6.0f  %5.2f %s\n", i, xs[i], k, f, p, ess, dev,
             good ? "ok" : "FAILED");
      ok = ok && good;
    }
  printf("worst |freq - exact| = %.2f SE: %s\n", worst, ok ? "ok" : "FAILED");
  genc_trace_release(t);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
  genc_ctx_free(ctx);
  return ok ? 0 : 1;
}
