/*
 * SMC benchmark (issue 11): B2 of shared/BENCHMARKS.md by genc_smc, side by side in one process.
 *
 *   x_0 ~ N(0, 1);  x_t = 0.9 x_{t-1} + N(0, 1);  y_t ~ N(x_t, 0.5)
 *   data y_t = 2 sin(0.1 t) + 0.7 sin(12.9898 t);  Kalman log p(y_0..y_99) = -113.26911738003584
 *
 * The model is Unfold(step), step(t, state): x ~ N(0.9 state, 1) at "x", y ~ N(x, 0.5) at "y";
 * every filter resamples systematically after every step (ess_threshold 1).
 *
 * Part 1, vectorized against sequential SMC: genc_smc (all N particles in one batched trace, the
 * model body run once per step for all of them) against the same filter over N separate single
 * traces (genc_smc_sequential: one genc_gf_generate / genc_gf_update per particle and step, the
 * particles' keys genc_key_particle(k, i), the same genc_resample). Particle i of a batched
 * operation equals the single-trace operation with genc_key_particle(key, i), so both filters
 * draw the same numbers and must print the same log Z-hat (checked, to 1e-9). Sizes: N = 50,
 * T = 5 (GenMLX reported 24.5x there), then T = 100 at N = 1e3 .. Nseq.
 *
 * Part 2 (printed first: see main), vectorized SMC against a handwritten C bootstrap filter
 * (shared/baselines/b2_pf.c's algorithm: xoshiro256+, 256-layer ziggurat normals, one fused
 * propagate/weight pass, one exp pass, systematic resampling by a merge pass), T = 100, N = 1e3 ..
 * Nmax.
 *
 * Times are process CPU seconds (CLOCK_PROCESS_CPUTIME_ID: the development machine is shared by
 * many builds, and wall time there measures the load; the process's CPU time counts the worker
 * threads that replay a compiled Unfold step as well as the calling thread). OpenBLAS's thread
 * pool, started when libopenblas loads, spins in sched_yield for a while before it sleeps; on the
 * 16-core Xeon its 15 threads charged up to 0.5 s of process CPU time to whichever filter ran
 * first (N = 1e3 and 1e4 read 400-750 ns per particle-step for genc and the handwritten C alike),
 * so the program first waits 1.5 s for them to settle. Medians of R runs (the N = 50, T = 5 row
 * takes the median of 25).
 * Usage: bench_smc [Nmax [Nseq [R]]]   (defaults 1e5, 1e4, 3)
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "benchutil.h"
#include "genc.h"

#define TMAX 100
static const double EXACT = -113.26911738003584;
static double Y[TMAX];

static void die(genc_ctx *ctx, const char *what) {
  fprintf(stderr, "bench_smc: %s: %s\n", what, genc_ctx_error(ctx));
  exit(1);
}

static genc_array *step(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, genc_mul(ctx, args[1], 0.9), 1.0));
  GENC_TRACE(rt, "y", genc_normal(ctx, x, 0.5));
  return x;
}

typedef struct b2 {
  genc_ctx *ctx;
  genc_gf *kern, *model;
  genc_choicemap *obs[TMAX];
  genc_array *init;
  genc_smc_unfold u;
} b2;

/* ---- the vectorized filter: genc_smc ---- */

static double vec_smc(b2 *b, int T, int64_t n, genc_key key) {
  genc_smc_opts o = {.n = n, .key = key, .scheme = GENC_RESAMPLE_SYSTEMATIC, .ess_threshold = 1};
  genc_smc_result r;
  if (genc_smc(b->ctx, b->model, T, genc_smc_unfold_step, &b->u, &o, &r)) die(b->ctx, "genc_smc");
  double lz = r.log_ml;
  genc_smc_result_clear(&r);
  return lz;
}

/* ---- the sequential filter: genc_smc_sequential, N single traces ---- */

static double seq_smc(b2 *b, int T, int64_t n, genc_key key) {
  genc_smc_opts o = {.n = n, .key = key, .scheme = GENC_RESAMPLE_SYSTEMATIC, .ess_threshold = 1};
  genc_smc_result r;
  if (genc_smc_sequential(b->ctx, b->model, T, genc_smc_unfold_step, &b->u, &o, &r))
    die(b->ctx, "genc_smc_sequential");
  double lz = r.log_ml;
  genc_smc_result_clear(&r);
  return lz;
}

/* ---- the handwritten filter: b2_pf.c (xoshiro256+, ziggurat) ---- */

#include "hand_rng.h"

static double hand_pf(int T, int64_t N, double *x, double *xa, double *w) {
  const double ls = -log(0.5) - 0.5 * log(2 * M_PI), inv2v = 1.0 / (2.0 * 0.25);
  double lz = 0;
  for (int t = 0; t < T; t++) {
    const double y = Y[t];
    double mx = -INFINITY, sum = 0;
    for (int64_t i = 0; i < N; i++) {
      double xi = (t ? 0.9 * xa[i] : 0.0) + std_normal(), d = y - xi, l = -d * d * inv2v;
      x[i] = xi, w[i] = l;
      if (l > mx) mx = l;
    }
    for (int64_t i = 0; i < N; i++)
      sum += w[i] = exp(w[i] - mx);
    lz += mx + ls + log(sum / (double)N);
    if (t == T - 1) break;
    const double stride = sum / (double)N;
    double u = unif() * stride, cum = w[0];
    int64_t i = 0;
    for (int64_t j = 0; j < N; j++, u += stride) {
      while (cum < u && i < N - 1)
        cum += w[++i];
      xa[j] = x[i];
    }
  }
  return lz;
}

/* ---- timing ---- */

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef enum { VEC, SEQ, HAND } kind;

/* Median seconds of reps runs of one filter; *lz gets the last run's log Z-hat. */
static double timed(b2 *b, kind k, int T, int64_t n, int reps, double *lz) {
  double ts[64];
  double *x = NULL, *xa = NULL, *w = NULL;
  if (k == HAND) {
    x = malloc((size_t)n * sizeof *x), xa = malloc((size_t)n * sizeof *xa);
    w = malloc((size_t)n * sizeof *w);
  }
  for (int r = 0; r < reps && r < 64; r++) {
    genc_key key = genc_key_from_seed(5000 + (uint64_t)r);
    seed_rng(7000003ULL * (uint64_t)(r + 1) + (uint64_t)n);
    double t0 = cpu_now();
    *lz = k == VEC   ? vec_smc(b, T, n, key)
          : k == SEQ ? seq_smc(b, T, n, key)
                     : hand_pf(T, n, x, xa, w);
    ts[r] = cpu_now() - t0;
  }
  free(x), free(xa), free(w);
  return bench_median(ts, reps < 64 ? reps : 64);
}

static void vec_vs_seq(b2 *b, int T, int64_t n, int reps) {
  double lv, ls;
  double tv = timed(b, VEC, T, n, reps, &lv), ts = timed(b, SEQ, T, n, reps, &ls);
  printf("  T=%-4d N=%-8lld vectorized %10.5f s  sequential %10.5f s  ratio %7.1fx  "
         "log Z-hat %.6f / %.6f (%s)\n",
         T, (long long)n, tv, ts, ts / tv, lv, ls, fabs(lv - ls) < 1e-9 ? "same" : "DIFFER");
  fflush(stdout);
}

static void vec_vs_hand(b2 *b, int64_t n, int reps) {
  double lv, lh;
  double tv = timed(b, VEC, TMAX, n, reps, &lv), th = timed(b, HAND, TMAX, n, reps, &lh);
  printf("  N=%-8lld vectorized %9.4f s (%6.1f ns per particle-step)  handwritten C %9.4f s "
         "(%5.1f ns)  ratio %5.2fx  log Z-hat %.3f / %.3f (exact %.3f)\n",
         (long long)n, tv, 1e9 * tv / ((double)n * TMAX), th, 1e9 * th / ((double)n * TMAX),
         tv / th, lv, lh, EXACT);
  fflush(stdout);
}

int main(int argc, char **argv) {
  struct timespec settle = {1, 500000000}; /* OpenBLAS's startup spin: see the top */
  nanosleep(&settle, NULL);
  int64_t nmax = argc > 1 ? (int64_t)atof(argv[1]) : 100000;
  int64_t nseq = argc > 2 ? (int64_t)atof(argv[2]) : 10000;
  int reps = argc > 3 ? atoi(argv[3]) : 3;
  if (reps < 1) reps = 1;
  for (int t = 0; t < TMAX; t++)
    Y[t] = 2.0 * sin(0.1 * t) + 0.7 * sin(12.9898 * t);
  zig_init();
  b2 b = {.ctx = genc_ctx_new(NULL, NULL)};
  if (!b.ctx) return 1;
  b.kern = genc_gf_dynamic("step", step, 2, NULL);
  b.model = genc_unfold(b.kern);
  b.init = genc_scalar(b.ctx, 0.0);
  for (int t = 0; t < TMAX; t++) {
    b.obs[t] = genc_choicemap_new(b.ctx);
    if (genc_choicemap_set_str(b.ctx, b.obs[t], "y", genc_scalar(b.ctx, Y[t]))) die(b.ctx, "obs");
  }
  b.u = (genc_smc_unfold){.nrest = 1, .rest = &b.init, .obs = (const genc_choicemap *const *)b.obs};
  printf("B2 (Unfold), systematic resampling every step; medians of %d runs\n", reps);
  /* part 2 first: after part 1's sequential runs free millions of small blocks, glibc's
   * malloc walks its fragmented bins (malloc_consolidate, _int_malloc) and the next filter's
   * first run paid up to 0.97 s for 4 ms of work (after N = 1e5 sequential) */
  printf("vectorized genc_smc vs handwritten C (b2_pf.c's algorithm), T = %d:\n", TMAX);
  for (int64_t n = 1000; n <= nmax; n *= 10)
    vec_vs_hand(&b, n, reps);
  printf("vectorized (one batched trace) vs sequential (N single traces), same keys:\n");
  vec_vs_seq(&b, 5, 50, 25);
  for (int64_t n = 1000; n <= nseq; n *= 10)
    vec_vs_seq(&b, TMAX, n, reps);
  for (int t = 0; t < TMAX; t++)
    genc_choicemap_free(b.obs[t]);
  genc_gf_release(b.model), genc_gf_release(b.kern);
  genc_ctx_free(b.ctx);
  return 0;
}
