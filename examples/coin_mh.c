/*
 * A coin's bias by Metropolis-Hastings with a custom proposal that reads the trace.
 *
 *   p ~ Beta(2, 2);  flip/i ~ Bernoulli(p),  i < 50 (the number of flips is a host argument)
 *
 * The proposal is a random walk that stays inside (0, 1): p' ~ Normal(p, 0.1)
 * truncated to [0, 1], where p is read from the trace it proposes from
 * (genc_rt_from). The truncation makes it asymmetric (the normalizer depends
 * on p), and the edit accounts for that by itself: the backward proposal reads
 * the new trace and scores the old p, so the edit's weight is the full MH
 * log-ratio log p(p')/p(p) + log q(p | p') - log q(p' | p). (A plain normal
 * walk would propose values outside [0, 1], where Bernoulli's parameter check
 * fails the operation instead of scoring -inf.)
 *
 * 64 independent chains run together as the particles of one batched trace:
 * one edit per step moves every chain, and each chain accepts or rejects on
 * its own. Their posterior mean and sd are checked against the conjugate
 * answer Beta(2 + heads, 2 + tails). Deterministic: fixed seeds. GENC_DEVICE=cuda runs
 * it on the GPU, unchanged.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "genc.h"

enum { CHAINS = 64, BURN = 50, KEEP = 500 };

static const char flips[] = "11111110110101111010110111010000101001110111111110";

static genc_array *coin(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  int64_t nflips = genc_rt_arg_int(rt, 0);
  genc_array *p = GENC_TRACE(rt, "p", genc_beta(ctx, 2.0, 2.0));
  for (int64_t i = 0; i < nflips; i++)
    GENC_TRACE_AT(rt, "flip", i, genc_bernoulli(ctx, p));
  return p;
}

/* The proposal: a new p near the p of the trace it proposes from. */
static genc_array *walk(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *p = genc_trace_get_path(ctx, genc_rt_from(rt), "p");
  return GENC_TRACE(rt, "p", genc_truncated_normal(ctx, p, 0.1, 0.0, 1.0));
}

/* Accept or reject per chain. The batched edit proposed a new p for every
 * chain; the kept trace takes the new p where the chain accepts and the old p
 * elsewhere, by an update that constrains p to that choice (p is the model's
 * only latent choice, so this trace is exactly the accepted or the old one). */
static genc_trace *accept_per_chain(genc_ctx *ctx, const genc_trace *t, const genc_trace *proposed,
                                    const bool *accept, int64_t chains, genc_key key) {
  genc_array *take = genc_array_from(ctx, GENC_BOOL, 0, NULL, chains, accept);
  genc_array *p = genc_where(ctx, take, genc_trace_get_path(ctx, proposed, "p"),
                             genc_trace_get_path(ctx, t, "p"));
  genc_choicemap *cm = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, cm, GENC_SYM("p"), p);
  genc_trace *kept = genc_gf_update(ctx, t, NULL, NULL, cm, key, NULL, NULL);
  genc_choicemap_free(cm);
  return kept;
}

/* CHAINS independent chains, run together as the particles of one batched
 * trace: one edit per step moves every chain. `burn` steps are discarded;
 * then each chain's means of p and p^2 over `keep` steps. False if an
 * operation failed. */
static bool run_chains(genc_ctx *ctx, genc_gf *model, genc_gf *q, const genc_choicemap *obs,
                       genc_key key, int burn, int keep, double *mean, double *mean2,
                       double *acceptance) {
  enum { C = CHAINS };
  int64_t n = (int64_t)strlen(flips);
  genc_trace *t = genc_gf_generate(ctx, model, GENC_ARGS(ctx, n), obs, key, C, NULL);
  if (!t) return false;
  genc_edit_request req = {.kind = GENC_EDIT_PROPOSAL, .fwd = q, .bwd = q};
  double s1[C] = {0}, s2[C] = {0}, w[C], u[C], p[C];
  bool accept[C];
  int64_t accepted = 0;
  bool ok = true;
  for (int s = 0; s < burn + keep && ok; s++) {
    int64_t mark = genc_scope_begin(ctx); /* one scope per step: memory stays flat */
    genc_key k[3];
    genc_key_split(genc_key_fold_in(key, (uint64_t)s + 1), 3, k);
    genc_edit_result r;
    ok = !genc_gf_edit(ctx, t, &req, k[0], &r);
    ok = ok && !genc_array_copy_out(ctx, r.weight, w, C) &&
         !genc_array_copy_out(ctx, genc_random_uniform(ctx, k[1], GENC_F64, 0, NULL, C), u, C);
    if (ok) {
      for (int c = 0; c < C; c++)
        accepted += accept[c] = log(u[c]) < w[c];
      genc_trace *kept = accept_per_chain(ctx, t, r.trace, accept, C, k[2]);
      genc_trace_release(t);
      t = kept;
      genc_edit_result_clear(&r);
      ok = t && !genc_trace_copy_out(ctx, t, "p", p, C);
    }
    for (int c = 0; c < C && ok && s >= burn; c++)
      s1[c] += p[c], s2[c] += p[c] * p[c];
    genc_scope_end(ctx, mark); /* the step's temporaries die here; t retains its arrays */
  }
  genc_trace_release(t);
  for (int c = 0; c < C; c++) {
    mean[c] = s1[c] / keep;
    mean2[c] = s2[c] / keep;
  }
  *acceptance = (double)accepted / ((double)C * (burn + keep));
  return ok;
}

int main(void) {
  genc_ctx *ctx = genc_ctx_new_env(NULL);
  if (!ctx) {
    fprintf(stderr, "%s\n", genc_ctx_new_error());
    return 1;
  }
  genc_gf *model = genc_gf_dynamic("coin", coin, 1, NULL);
  genc_gf *q = genc_gf_dynamic("walk", walk, 0, NULL);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  int heads = 0, n = (int)strlen(flips);
  for (int i = 0; i < n; i++) {
    heads += flips[i] == '1';
    genc_choicemap_set_path(ctx, obs, GENC_PATH(GENC_SYM("flip"), genc_idx(i)),
                            genc_scalar_of(ctx, flips[i] == '1', GENC_BOOL));
  }

  /* Independent chains from prior draws of p. Each chain's means of p and p^2
   * are one estimate each; their spread across chains gives the Monte Carlo
   * standard errors, autocorrelation included, with no model of it. */
  double m1[CHAINS], m2[CHAINS], acc;
  if (!run_chains(ctx, model, q, obs, genc_key_from_seed(50), BURN, KEEP, m1, m2, &acc)) {
    fprintf(stderr, "coin_mh: %s\n", genc_ctx_error(ctx));
    return 1;
  }
  /* mean M1 = avg m1; sd = sqrt(M2 - M1^2) from the pooled moments (a per-chain
   * sd would be biased low by the chain's own autocorrelation). SE of the sd by
   * the delta method: chain c contributes (m2_c - M2) - 2 M1 (m1_c - M1) to
   * the variance, and d sd = d var / (2 sd). */
  double M1 = 0, M2 = 0, v1 = 0, vv = 0;
  for (int c = 0; c < CHAINS; c++)
    M1 += m1[c] / CHAINS, M2 += m2[c] / CHAINS;
  for (int c = 0; c < CHAINS; c++) {
    double z = (m2[c] - M2) - 2 * M1 * (m1[c] - M1);
    v1 += (m1[c] - M1) * (m1[c] - M1) / (CHAINS - 1), vv += z * z / (CHAINS - 1);
  }
  double sd = sqrt(M2 - M1 * M1);
  double est[2] = {M1, sd}, se[2] = {sqrt(v1 / CHAINS), sqrt(vv / CHAINS) / (2 * sd)};

  /* the conjugate posterior Beta(a, b) */
  double a = 2 + heads, b = 2 + (n - heads);
  double exact[2] = {a / (a + b), sqrt(a * b / ((a + b) * (a + b) * (a + b + 1)))};

  /* ctest runs this example: both estimates must lie within 4.5 MCSEs. The
   * SE comes from 64 chains, so the error / SE ratio is Student t with 63
   * degrees of freedom: 4.5 is exceeded with probability about 3e-5. */
  const double k = 4.5;
  bool ok = true;
  printf("coin, Metropolis-Hastings on the %s: %d heads in %d flips, %d chains of %d steps "
         "(+%d burn-in), acceptance %.2f\n",
         genc_ctx_device(ctx) == GENC_CUDA ? "GPU" : "CPU", heads, n, CHAINS, KEEP, BURN, acc);
  printf("              estimate    exact   tolerance (%.1f MCSE)\n", k);
  const char *names[2] = {"mean of p", "sd of p"};
  for (int i = 0; i < 2; i++) {
    bool good = fabs(est[i] - exact[i]) < k * se[i];
    ok = ok && good;
    printf("%-12s %9.4f %9.4f   %9.4f %s\n", names[i], est[i], exact[i], k * se[i],
           good ? "ok" : "FAILED");
  }
  printf("check against the conjugate posterior Beta(%g, %g): %s\n", a, b, ok ? "ok" : "FAILED");

  genc_choicemap_free(obs);
  genc_gf_release(q);
  genc_gf_release(model);
  genc_ctx_free(ctx);
  return ok ? 0 : 1;
}
