/*
 * N-chain MH (src/infer/mh.c, kernel.c, mcmc.c) on a 3-parameter linear
 * regression (slope, intercept ~ N(0, 10), sigma ~ Exp(1); 10 observations):
 * cost of one MH iteration per chain through genc_mcmc_run at N = 1, 100, 1e4,
 * for MH regenerating all three parameters and for a random walk on the
 * slope; then genc_trace_select() alone at N = 1e4 by the zip fast path and
 * by the choice-map fallback (a model whose splice has no trace_zip).
 * Medians of 5 runs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "genc.h"
#include "benchutil.h"

#define K 10

static genc_array *linreg(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *xs = genc_array_vec(ctx, K, user);
  genc_array *a = GENC_TRACE(rt, "slope", genc_normal(ctx, 0.0, 10.0));
  genc_array *b = GENC_TRACE(rt, "intercept", genc_normal(ctx, 0.0, 10.0));
  genc_array *s = GENC_TRACE(rt, "sigma", genc_exponential(ctx, 1.0));
  return GENC_TRACE(rt, "y",
                    genc_broadcasted_normal(ctx, genc_add(ctx, genc_mul(ctx, a, xs), b), s));
}

static genc_array *walk(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *a = genc_trace_get_path(ctx, genc_rt_from(rt), "slope");
  return GENC_TRACE(rt, "slope", genc_normal(ctx, a, 0.3));
}

static genc_array *one(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  return GENC_TRACE(rt, "z", genc_normal(genc_rt_ctx(rt), 0.0, 1.0));
}

static genc_array *spliced(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *a = GENC_TRACE(rt, "slope", genc_normal(ctx, 0.0, 10.0));
  GENC_TRACE(rt, "intercept", genc_normal(ctx, 0.0, 10.0));
  genc_rt_splice(rt, GENC_SYM("r"), user, NULL);
  return a;
}

static double per_chain_step(genc_ctx *ctx, genc_gf *gf, const genc_choicemap *obs, genc_kernel *k,
                             int64_t n, int64_t steps) {
  double t[5];
  genc_trace *t0 = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(1), n, NULL);
  for (int r = 0; r < 5; r++) {
    double s = bench_now();
    genc_trace *out = genc_mcmc_run(
        ctx, k, t0,
        &(genc_mcmc_opts){.samples = steps, .key = genc_key_from_seed(2 + (uint64_t)r)});
    t[r] = (bench_now() - s) / (double)steps / (double)(n ? n : 1);
    if (!out) fprintf(stderr, "mcmc: %s\n", genc_ctx_error(ctx));
    genc_trace_release(out);
  }
  genc_trace_release(t0);
  return bench_median(t, 5);
}

static double select_cost(genc_ctx *ctx, genc_gf *gf, int64_t n) {
  genc_trace *a = genc_gf_simulate(ctx, gf, NULL, genc_key_from_seed(1), n);
  genc_trace *b = genc_gf_simulate(ctx, gf, NULL, genc_key_from_seed(2), n);
  genc_array *c =
      genc_lt(ctx, genc_random_uniform(ctx, genc_key_from_seed(3), GENC_F64, 0, NULL, n), 0.5);
  double t[5];
  for (int r = 0; r < 5; r++) {
    int64_t m = genc_scope_begin(ctx);
    double s = bench_now();
    genc_trace *o = genc_trace_select(ctx, c, a, b);
    t[r] = (bench_now() - s) / (double)n;
    if (!o) fprintf(stderr, "select: %s\n", genc_ctx_error(ctx));
    genc_trace_release(o);
    genc_scope_end(ctx, m);
  }
  genc_trace_release(a), genc_trace_release(b);
  return bench_median(t, 5);
}

int main(void) {
  genc_status st;
  genc_ctx *ctx = genc_ctx_new_env(&st);
  if (!ctx) return 1;
  static double xs[K];
  genc_choicemap *obs = genc_choicemap_new(ctx);
  double ys[K];
  for (int i = 0; i < K; i++)
    xs[i] = i - 4.5, ys[i] = 2.0 * xs[i] + 1.0 + 0.5 * sin(i);
  genc_choicemap_set_str(ctx, obs, "y", genc_array_vec(ctx, K, ys));
  genc_gf *gf = genc_gf_dynamic("linreg", linreg, 0, xs);
  genc_gf *q = genc_gf_dynamic("walk", walk, 0, NULL);
  genc_selection *s = genc_selection_new(ctx);
  genc_selection_add_str(ctx, s, "slope");
  genc_selection_add_str(ctx, s, "intercept");
  genc_selection_add_str(ctx, s, "sigma");
  genc_kernel *ksel = genc_kernel_mh_select(s), *kw = genc_kernel_mh_proposal(q, NULL);
  printf("%-28s %10s %14s\n", "kernel", "N", "ns/chain/step");
  int64_t ns[] = {0, 100, 10000};
  for (int i = 0; i < 3; i++) {
    int64_t steps = ns[i] ? (ns[i] >= 10000 ? 20 : 200) : 2000;
    printf("%-28s %10lld %14.1f\n", "MH select (3 params)", (long long)(ns[i] ? ns[i] : 1),
           1e9 * per_chain_step(ctx, gf, obs, ksel, ns[i], steps));
    printf("%-28s %10lld %14.1f\n", "MH random walk (slope)", (long long)(ns[i] ? ns[i] : 1),
           1e9 * per_chain_step(ctx, gf, obs, kw, ns[i], steps));
  }
  genc_gf *k1 = genc_gf_dynamic("one", one, 0, NULL), *rep = genc_repeat(k1, 3);
  genc_gf *sp = genc_gf_dynamic("spliced", spliced, 0, rep);
  printf("genc_trace_select, N = 1e4: zip %.1f ns/particle (linreg), fallback %.1f ns/particle "
         "(spliced repeat)\n",
         1e9 * select_cost(ctx, gf, 10000), 1e9 * select_cost(ctx, sp, 10000));
  genc_kernel_release(ksel), genc_kernel_release(kw);
  genc_selection_release(s);
  genc_gf_release(sp), genc_gf_release(rep), genc_gf_release(k1);
  genc_gf_release(q), genc_gf_release(gf);
  genc_choicemap_free(obs);
  genc_ctx_free(ctx);
  return 0;
}
