/*
 * B3 poly-MH (shared/BENCHMARKS.md) with the MH step compiled (issue 12 with
 * issue 10's B3 targets): genc_mcmc_run eagerly, genc_mcmc_run with
 * opts.compile (one kernel application captured as a graph of the trace's
 * arrays, compiled by genc_graph_compile, replayed every iteration; one worker
 * thread) and bench_b3.c's handwritten C (shared/baselines/b3_mh.c's `loop`:
 * chain after chain, xoshiro256+ and a ziggurat normal), in one process. The
 * model, proposal and handwritten chain are bench_b3.c's, copied.
 * Per N: medians of `reps` interleaved runs of `steps` steps, chain-steps/s,
 * ratios to C, the mean of c over the second half (about 2.04), and the time
 * to first draw of the compiled path: a 20-step run with an empty disk cache
 * (cold: capture + cc + load) and again with the cache filled (cached).
 * Then (first: 0 skips it) the time to first draw of a steps-iteration chain
 * (N = 1, 100, 1e4) eager, with a blocking compile (opts.compile =
 * GENC_COMPILE_ON) and with GENC_COMPILE_AUTO (the default: a background
 * compile when the run is long enough), cold and disk-cached, beside the
 * whole run's time.
 * GENC_BENCH_PIN=<cpu> pins the process (genc and C alike) to that CPU: on
 * the 2-vCPU development VM an unpinned one-chain run is bimodal (1.9x or
 * 2.4-2.5x C with one binary), pinned it is not.
 * Usage: bench_b3_compiled [largest N, default 1e4] [steps, default 1000]
 *        [reps, default 3] [eager: 0 skips it] [block, default 1] [first, default 1]
 * block B > 1 (an experiment: does a graph of B steps replay faster?): the
 * genc kernel is genc_kernel_repeat(mh, B) run for steps / B iterations, so
 * one capture holds B MH steps (other keys than B = 1: same chains in law,
 * not the same draws; the draws of c are every 10th iteration's).
 */
#define _GNU_SOURCE /* sched_setaffinity */
#include <math.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "genc.h"
#include "benchutil.h"

#include "b3_model.h"

/* One run of n chains (n = 1: unbatched); returns the time, sets *mean_c. */
static double genc_run(genc_b3 *g, int64_t n, int64_t steps, uint64_t seed,
                       genc_compile_mode compile, double *mean_c) {
  genc_ctx *ctx = g->ctx;
  const int64_t burn = steps / 2, thin = n >= 100000 ? 50 : 10;
  const int64_t d = 1 + (steps - burn - 1) / thin, c = n > 1 ? n : 1;
  double *draws = malloc((size_t)(c * d) * sizeof *draws);
  const char *addr = "c";
  bool compiled = false;
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
                                                           .draws_cap = c * d,
                                                           .compile = compile,
                                                           .compile_threads = 1,
                                                           .compiled = &compiled})
                         : NULL;
  double dt = bench_now() - t0;
  if (!out || !draws ||
      (compile != GENC_COMPILE_AUTO && compiled != (compile == GENC_COMPILE_ON))) {
    fprintf(stderr, "genc B3 failed: %s\n",
            !draws ? "out of memory"
            : !out ? genc_ctx_error(ctx)
                   : "no compiled replay");
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

/* ---- time to first draw: eager, blocking compile, AUTO (background) ---- */

typedef struct stamp {
  double t0, first;
} stamp;

static int stamp_first(int64_t done, int64_t total, void *user) {
  (void)total;
  stamp *s = user;
  if (done == 10) s->first = bench_now() - s->t0;
  return 0;
}

/* A steps-iteration run of n chains with compile mode m and GENC_CACHE_DIR
 * dir: the total time, *first the time from the start (generate included)
 * to the end of the 10th iteration (a blocking compile happens at the first
 * or, when generate's trace is laid out unlike the kernel's, the second),
 * *comp whether iterations replayed. */
static double first_run(genc_b3 *g, int64_t n, int64_t steps, genc_compile_mode m, const char *dir,
                        double *first, bool *comp) {
  genc_ctx *ctx = g->ctx;
  setenv("GENC_CACHE_DIR", dir, 1);
  int64_t mark = genc_scope_begin(ctx);
  stamp st = {bench_now(), NAN};
  genc_trace *init =
      genc_gf_generate(ctx, g->model, g->args, g->obs, genc_key_from_seed(5), n > 1 ? n : 0, NULL);
  *comp = false;
  genc_trace *out = init ? genc_mcmc_run(ctx, g->kernel, init,
                                         &(genc_mcmc_opts){.samples = steps,
                                                           .key = genc_key_from_seed(6),
                                                           .progress = stamp_first,
                                                           .progress_every = 1,
                                                           .progress_user = &st,
                                                           .compile = m,
                                                           .compile_threads = 1,
                                                           .compiled = comp})
                         : NULL;
  double dt = bench_now() - st.t0;
  if (!out) {
    fprintf(stderr, "genc B3 failed: %s\n", genc_ctx_error(ctx));
    exit(1);
  }
  genc_trace_release(out), genc_trace_release(init);
  genc_scope_end(ctx, mark);
  *first = st.first;
  return dt;
}

/* The first-draw table for N = 1, 100, 1e4 (up to nmax): per mode, the time
 * to the first 10 draws (ms) and of the whole run (s), cold (a fresh cache
 * directory) and cached (the object on disk). */
static void first_table(genc_b3 *g, int64_t nmax, int64_t steps, const char *cache) {
  printf("\ntime to first draw of a %lld-iteration chain: first 10 draws ms / whole run s "
         "(* = iterations replayed a captured step)\n",
         (long long)steps);
  printf("%8s %16s %16s %16s %16s %16s\n", "N", "eager", "blocking cold", "blocking cached",
         "AUTO cold", "AUTO cached");
  const genc_compile_mode mode[5] = {GENC_COMPILE_OFF, GENC_COMPILE_ON, GENC_COMPILE_ON,
                                     GENC_COMPILE_AUTO, GENC_COMPILE_AUTO};
  int64_t ns[3] = {1, 100, 10000};
  for (int j = 0; j < 3 && ns[j] <= nmax; j++) {
    char cold1[300], cold2[300];
    snprintf(cold1, sizeof cold1, "%s/ttfd_on_%lld", cache, (long long)ns[j]);
    snprintf(cold2, sizeof cold2, "%s/ttfd_auto_%lld", cache, (long long)ns[j]);
    /* blocking cold fills cold1; AUTO cold starts from the empty cold2 */
    const char *dirs[5] = {cold1, cold1, cold1, cold2, cold1};
    printf("%8lld", (long long)ns[j]);
    for (int k = 0; k < 5; k++) {
      double first;
      bool comp;
      double tot = first_run(g, ns[j], steps, mode[k], dirs[k], &first, &comp);
      printf(" %7.2f/%7.3f%s", 1e3 * first, tot, comp ? "*" : " ");
    }
    printf("\n");
    fflush(stdout);
  }
}

int main(int argc, char **argv) {
  int64_t nmax = argc > 1 ? (int64_t)atof(argv[1]) : 10000;
  int steps = argc > 2 ? atoi(argv[2]) : 1000, reps = argc > 3 ? atoi(argv[3]) : 3;
  int eager = argc > 4 ? atoi(argv[4]) : 1, block = argc > 5 ? atoi(argv[5]) : 1;
  int first = argc > 6 ? atoi(argv[6]) : 1;
  if (nmax < 1 || steps < 2 || reps < 1 || block < 1 || steps % block || steps / block < 2) {
    fprintf(stderr, "usage: %s [largest N >= 1] [steps >= 2] [reps >= 1] [eager 0/1]\n", argv[0]);
    return 1;
  }
  const char *pin = getenv("GENC_BENCH_PIN");
  if (pin && *pin) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(atoi(pin), &set);
    if (sched_setaffinity(0, sizeof set, &set)) perror("GENC_BENCH_PIN");
  }
  /* an empty disk cache, so that the first compiled run measures a cold compile */
  char cache[] = "/tmp/genc_b3c_XXXXXX";
  if (!mkdtemp(cache)) return 1;
  setenv("GENC_CACHE_DIR", cache, 1);
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
  genc_kernel *mh = genc_kernel_mh_proposal(q, NULL);
  g.kernel = block > 1 ? genc_kernel_repeat(mh, block) : genc_kernel_retain(mh);
  genc_kernel_release(mh);
  const int iters = steps / block;
  g.args[0] = genc_array_vec(ctx, K, X), g.args[1] = genc_array_vec(ctx, K, X2);
  g.obs = genc_choicemap_new(ctx);
  genc_choicemap_set_str(ctx, g.obs, "y", genc_array_vec(ctx, K, Y));
  genc_choicemap_set_str(ctx, g.obs, "a", genc_scalar(ctx, 0.0));
  genc_choicemap_set_str(ctx, g.obs, "b", genc_scalar(ctx, 0.0));
  genc_choicemap_set_str(ctx, g.obs, "c", genc_scalar(ctx, 0.0));

  printf("B3 poly-MH, %d steps, medians of %d interleaved runs (posterior mean of c ~ 2.04);\n"
         "compiled: one worker thread; first: a 20-step compiled run, cold / disk-cached;"
         " %d MH step(s) per kernel application\n",
         steps, reps, block);
  printf("%8s %9s %9s %9s %10s %10s %10s %6s %6s %7s %7s %7s %7s\n", "N", "eager s", "comp s",
         "C s", "eager st/s", "comp st/s", "C st/s", "eag/C", "cmp/C", "first c", "first w",
         "c comp", "c C");
  int64_t ns[4] = {1, 100, 10000, 1000000};
  double *te = calloc((size_t)reps * 3, sizeof *te), *tc = te + reps, *th = te + 2 * reps;
  for (int j = 0; j < 4; j++) {
    int64_t n = ns[j] < nmax ? ns[j] : nmax;
    if (j > 0 && n <= ns[j - 1]) break;
    double ce = 0, cc = 0, ch = 0, cold, warm;
    cold = genc_run(&g, n, 20, 99, GENC_COMPILE_ON, &cc); /* capture + compile (+ warm pools) */
    warm = genc_run(&g, n, 20, 98, GENC_COMPILE_ON, &cc);
    if (eager) genc_run(&g, n, 20, 97, GENC_COMPILE_OFF, &ce);
    for (int r = 0; r < reps; r++) {
      te[r] = eager ? genc_run(&g, n, iters, 10 + 2 * (uint64_t)r, GENC_COMPILE_OFF, &ce) : NAN;
      tc[r] = genc_run(&g, n, iters, 10 + 2 * (uint64_t)r, GENC_COMPILE_ON, &cc);
      th[r] = hand_run(n, steps, 3000017ULL * (uint64_t)(r + 1) + (uint64_t)n, &ch);
    }
    double me = bench_median(te, reps), mc = bench_median(tc, reps), mh = bench_median(th, reps);
    double cs = (double)n * iters * block; /* chain-steps of the genc runs */
    printf("%8lld %9.4f %9.4f %9.4f %10.4g %10.4g %10.4g %6.2f %6.2f %7.3f %7.3f %7.4f %7.4f\n",
           (long long)n, me, mc, mh, cs / me, cs / mc, cs / mh, me / mh, mc / mh, cold, warm, cc,
           ch);
    fflush(stdout);
    if (n == nmax) break;
  }
  free(te);
  if (block == 1 && first) first_table(&g, nmax, steps, cache);
  genc_kernel_release(g.kernel);
  genc_gf_release(q), genc_gf_release(g.model);
  genc_choicemap_free(g.obs);
  genc_ctx_free(ctx);
  return 0;
}
