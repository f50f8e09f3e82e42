/*
 * B3 poly-MH (shared/BENCHMARKS.md): N independent random-walk MH chains on
 * the B1 posterior over (a, b, c) (N(0, 1) priors, 100 observations,
 * sigma 0.3), proposal Normal(current, 0.05) on all three jointly, 1000 steps,
 * every chain starting at (0, 0, 0). Side by side in one process:
 *  - genc: the chains as one batched trace (N = 1: an unbatched trace), a
 *    proposal generative function reading the current trace through
 *    genc_rt_from(), genc_kernel_mh_proposal() driven by genc_mcmc_run();
 *  - handwritten C: shared/baselines/b3_mh.c's `loop` variant (chain after
 *    chain, state in registers, one fused pass over the 100 observations per
 *    step, xoshiro256+ with a 256-layer ziggurat normal).
 * Per N: medians of 3 interleaved runs, chain-steps/s, the ratio genc / C and
 * the mean of c over the second half of every chain (about 2.04: a
 * correctness check; genc records every 10th draw of the second half).
 * Usage: bench_b3 [largest N, default 1e4] [steps, default 1000]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "genc.h"
#include "benchutil.h"

#include "b3_model.h"

/* One run of n chains (n = 1: unbatched) for steps steps; returns the time, sets *mean_c. */
static double genc_run(genc_b3 *g, int64_t n, int64_t steps, uint64_t seed, double *mean_c) {
  genc_ctx *ctx = g->ctx;
  const int64_t burn = steps / 2, thin = n >= 100000 ? 50 : 10;
  const int64_t d = 1 + (steps - burn - 1) / thin, c = n > 1 ? n : 1;
  double *draws = malloc((size_t)(c * d) * sizeof *draws);
  const char *addr = "c";
  int64_t mark = genc_scope_begin(ctx);
  double t0 = bench_now();
  genc_trace *init = genc_gf_generate(ctx, g->model, g->args, g->obs, genc_key_from_seed(seed),
                                      n > 1 ? n : 0, NULL);
  genc_trace *out = init ? genc_mcmc_run(ctx, g->kernel, init,
                                         &(genc_mcmc_opts){.warmup = burn,
                                                           .samples = steps - burn,
                                                           .thin = thin,
                                                           .key = genc_key_from_seed(seed + 1),
                                                           .naddrs = 1,
                                                           .addrs = &addr,
                                                           .draws = draws,
                                                           .draws_cap = c * d})
                         : NULL;
  double dt = bench_now() - t0;
  if (!out || !draws) {
    fprintf(stderr, "genc B3 failed: %s\n", draws ? genc_ctx_error(ctx) : "out of memory");
    exit(1);
  }
  double s = 0;
  for (int64_t i = 0; i < c * d; i++)
    s += draws[i];
  *mean_c = s / (double)(c * d);
  genc_trace_release(out), genc_trace_release(init);
  genc_scope_end(ctx, mark);
  free(draws);
  return dt;
}

#include "b3_hand.h"

int main(int argc, char **argv) {
  int64_t nmax = argc > 1 ? (int64_t)atof(argv[1]) : 10000;
  int steps = argc > 2 ? atoi(argv[2]) : 1000;
  if (nmax < 1 || steps < 2) {
    fprintf(stderr, "usage: %s [largest N >= 1] [steps >= 2]\n", argv[0]);
    return 1;
  }
  for (int i = 0; i < K; i++) {
    X[i] = -1 + 2.0 * i / 99, X2[i] = X[i] * X[i];
    Y[i] = 0.5 - 1.0 * X[i] + 2.0 * X2[i] + 0.3 * sin(12.9898 * i);
  }
  zig_init();
  genc_status st;
  genc_b3 g = {.ctx = genc_ctx_new_env(&st)};
  if (!g.ctx) return 1;
  genc_ctx *ctx = g.ctx;
  g.model = genc_gf_dynamic("b1", b1, 2, NULL);
  genc_gf *q = genc_gf_dynamic("walk", walk, 0, NULL);
  g.kernel = genc_kernel_mh_proposal(q, NULL);
  g.args[0] = genc_array_vec(ctx, K, X), g.args[1] = genc_array_vec(ctx, K, X2);
  g.obs = genc_choicemap_new(ctx);
  genc_choicemap_set_str(ctx, g.obs, "y", genc_array_vec(ctx, K, Y));
  genc_choicemap_set_str(ctx, g.obs, "a", genc_scalar(ctx, 0.0));
  genc_choicemap_set_str(ctx, g.obs, "b", genc_scalar(ctx, 0.0));
  genc_choicemap_set_str(ctx, g.obs, "c", genc_scalar(ctx, 0.0));

  printf("B3 poly-MH, %d steps, medians of 3 interleaved runs (posterior mean of c ~ 2.04)\n",
         steps);
  printf("%9s %10s %10s %12s %12s %7s %8s %8s\n", "N", "genc s", "C s", "genc st/s", "C st/s",
         "ratio", "genc c", "C c");
  int64_t ns[4] = {1, 100, 10000, 1000000};
  for (int j = 0; j < 4; j++) {
    int64_t n = ns[j] < nmax ? ns[j] : nmax;
    if (j > 0 && n <= ns[j - 1]) break;
    double tg[3], th[3], cg = 0, ch = 0;
    genc_run(&g, n, steps < 20 ? steps : 20, 99, &cg); /* warm-up: pools, code */
    for (int r = 0; r < 3; r++) {
      tg[r] = genc_run(&g, n, steps, 10 + 2 * (uint64_t)r, &cg);
      th[r] = hand_run(n, steps, 3000017ULL * (uint64_t)(r + 1) + (uint64_t)n, &ch);
    }
    double mg = bench_median(tg, 3), mh = bench_median(th, 3), cs = (double)n * steps;
    printf("%9lld %10.4f %10.4f %12.4g %12.4g %7.2f %8.4f %8.4f\n", (long long)n, mg, mh, cs / mg,
           cs / mh, mg / mh, cg, ch);
    fflush(stdout);
    if (n == nmax) break;
  }
  genc_kernel_release(g.kernel);
  genc_gf_release(q), genc_gf_release(g.model);
  genc_choicemap_free(g.obs);
  genc_ctx_free(ctx);
  return 0;
}
