/*
 * The compiled CPU executor (genc/exec.h) on B1 poly-IS (shared/BENCHMARKS.md)
 * side by side in one process with handwritten C (bench/b1_hand/):
 *  - genc: batched generate of the B1 model through the GFI plus the log-sum-
 *    exp of the weights over particles, captured once (genc_graph_capture),
 *    compiled (genc_graph_compile) and replayed on new keys; one thread, then
 *    every online core (parallel efficiency = t1 / (P tP));
 *  - loop: one pass per particle, -O2 (shared/baselines/b1_is.c `loop`);
 *  - blk: 64 particles at a time, -O3 -march=native (`blk`), the faster of
 *    two builds (256- and 512-bit vectors preferred: gcc's tuning for Intel
 *    server cores keeps to 256 unless told);
 *  - loop eff: `loop` split over every online core (b1_par.c), its parallel
 *    efficiency (one-thread loop time / (P x its wall time)): what this
 *    machine gives a plain compute-bound loop, the ceiling for genc's;
 *  - eager: the same generate without capture (N <= 1e6).
 * The graph is captured at M = min(N, 1e5) particles (capture runs the model
 * once eagerly, and eager B1 holds N x 100 doubles per op) and a size-N run
 * is N / M replays on keys folded with the chunk index, their log-sum-exps
 * combined on the host. Compile time is reported cold (a fresh cache
 * directory: partition, emit, cc, dlopen) and cached (the same graph again:
 * a disk-cache hit, no compiler), with the capture time: time to first draw
 * is capture + cold compile + one replay.
 * One-thread columns are CPU time of the calling thread (robust to other
 * load on a shared machine); the all-core column is wall time, and the
 * efficiency compares it with the one-thread wall time (so on a loaded
 * machine it measures the load, not the executor).
 * Then the elementwise chain 2 exp(-x^2/2) + x at 1e6 and 1e7 particles:
 * eager, compiled on one thread and on every core, and a plain C loop.
 * argv[1]: largest N as a power of ten (default 7); argv[2]: runs per
 * median (default 3). Exact log p(y) = -7.48273979765505.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "b1_hand/b1_hand.h"
#include "benchutil.h"
#include "genc.h"

#define K 100
#define MCAP 100000
static const double EXACT = -7.48273979765505;

static genc_gf *gf;
static genc_choicemap *obs;
static genc_array *args[2];

static genc_array *b1(genc_rt *rt, genc_array *const *a, void *user) {
  (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *A = GENC_TRACE(rt, "a", genc_normal(ctx, 0.0, 1.0));
  genc_array *B = GENC_TRACE(rt, "b", genc_normal(ctx, 0.0, 1.0));
  genc_array *C = GENC_TRACE(rt, "c", genc_normal(ctx, 0.0, 1.0));
  genc_array *mu = genc_add(ctx, genc_add(ctx, A, genc_mul(ctx, B, a[0])), genc_mul(ctx, C, a[1]));
  return GENC_TRACE(rt, "y", genc_broadcasted_normal(ctx, mu, 0.3));
}

/* log-sum-exp over particles of the weights of a batched generate */
static genc_status is_step(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                           genc_array **out, void *user) {
  (void)in;
  genc_array *lw = NULL;
  genc_trace *t = genc_gf_generate(ctx, gf, args, obs, keys[0], *(const int64_t *)user, &lw);
  if (!t) return genc_ctx_status(ctx);
  out[0] = genc_particle_reduce(ctx, GENC_RLOGSUMEXP, lw);
  genc_trace_release(t);
  return out[0] ? GENC_OK : genc_ctx_status(ctx);
}

static void die(genc_ctx *ctx, const char *what) {
  fprintf(stderr, "%s failed: %s\n", what, genc_ctx_error(ctx));
  exit(1);
}

static double lse2(double a, double b) {
  double m = fmax(a, b);
  return m == -INFINITY ? m : m + log(exp(a - m) + exp(b - m));
}

/* log Z of n particles: n / m replays (or eager runs) of the m-particle step. */
static double run_genc(genc_ctx *ctx, genc_graph *g, int64_t n, int64_t m, uint64_t seed) {
  double acc = -INFINITY;
  for (int64_t c = 0; c < n / m; c++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_key key = genc_key_fold_in(genc_key_from_seed(seed), (uint64_t)c);
    genc_array *out = NULL;
    genc_status st =
        g ? genc_graph_replay(ctx, g, &key, NULL, &out) : is_step(ctx, &key, NULL, &out, &m);
    double v = NAN;
    if (st || genc_array_item(ctx, out, &v)) die(ctx, g ? "replay" : "eager");
    acc = lse2(acc, v);
    genc_scope_end(ctx, mark);
  }
  return acc - log((double)n);
}

/* CPU time of the calling thread: the one-thread columns, robust to other
 * load on a shared machine (the all-core column is wall time). */
static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct row {
  double t1, t1w, tp, tloop, tblk, teager, tlpar, z1, zloop, ze;
} row;

static row measure(genc_ctx *ctx, genc_graph *g1, genc_graph *gp, int64_t n, int64_t m, int reps,
                   int cores) {
  double a[16], b[16], c[16], d[16], d5[16], e[16], f[16], h[16];
  row r = {0};
  for (int i = 0; i < reps; i++) {
    double t0 = cpu_now(), w0 = bench_now();
    r.z1 = run_genc(ctx, g1, n, m, (uint64_t)i + 1);
    a[i] = cpu_now() - t0, f[i] = bench_now() - w0;
    t0 = bench_now();
    run_genc(ctx, gp, n, m, (uint64_t)i + 1);
    b[i] = bench_now() - t0;
    t0 = cpu_now();
    r.zloop = b1_loop(n, 1000003ull * (uint64_t)(i + 1) + (uint64_t)n);
    c[i] = cpu_now() - t0;
    t0 = cpu_now();
    b1_blk(n, 1000003ull * (uint64_t)(i + 1) + (uint64_t)n);
    d[i] = cpu_now() - t0;
    t0 = cpu_now();
    b1_blk512(n, 1000003ull * (uint64_t)(i + 1) + (uint64_t)n);
    d5[i] = cpu_now() - t0;
    t0 = bench_now();
    b1_loop_par(n, 1000003ull * (uint64_t)(i + 1) + (uint64_t)n, cores);
    h[i] = bench_now() - t0;
    t0 = cpu_now();
    if (n <= 1000000) r.ze = run_genc(ctx, NULL, n, m, (uint64_t)i + 1);
    e[i] = n <= 1000000 ? cpu_now() - t0 : NAN;
  }
  r.t1 = bench_median(a, reps), r.tp = bench_median(b, reps), r.t1w = bench_median(f, reps);
  r.tloop = bench_median(c, reps);
  r.tblk = fmin(bench_median(d, reps), bench_median(d5, reps)); /* the faster build of blk */
  r.teager = bench_median(e, reps), r.tlpar = bench_median(h, reps);
  return r;
}

/* ---- the elementwise chain y = 2 exp(-x^2 / 2) + x over n particles ---- */

static genc_status chain_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                            genc_array **out, void *user) {
  (void)keys, (void)user;
  genc_array *x = in[0];
  out[0] =
      genc_add(ctx, genc_mul(ctx, genc_exp(ctx, genc_mul(ctx, -0.5, genc_square(ctx, x))), 2.0), x);
  return out[0] ? GENC_OK : genc_ctx_status(ctx);
}

static void chain_hand(const double *x, double *y, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    y[i] = exp(-0.5 * (x[i] * x[i])) * 2.0 + x[i];
}

/* Median wall time of replays of g (or of the eager chain when g is NULL). */
static double chain_time(genc_ctx *ctx, genc_graph *g, genc_array *x, int reps) {
  double t[16];
  for (int i = 0; i < reps; i++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_array *y = NULL;
    double t0 = bench_now();
    genc_status st =
        g ? genc_graph_replay(ctx, g, NULL, &x, &y) : chain_fn(ctx, NULL, &x, &y, NULL);
    t[i] = bench_now() - t0;
    if (st) die(ctx, "chain");
    genc_scope_end(ctx, mark);
  }
  return bench_median(t, reps);
}

/* The chain on 1e6 and 1e7 particles: eager, compiled on one thread and on
 * every core (wall time), and a plain C loop (-O2 like the rest of bench/,
 * so its exp is glibc's scalar one while the generated -O3 -march=native code
 * calls the vector library: the ratio shows vectorization, the efficiency
 * column the thread pool). */
static void chain_rows(genc_ctx *ctx, const char *dir, int cores, int reps) {
  printf("\nelementwise chain y = 2 exp(-x^2/2) + x, f64, wall time, medians of %d\n", reps);
  printf("%-6s %10s %10s %10s %10s %8s %6s\n", "N", "eager", "genc 1t", "genc all", "C loop",
         "1t/C", "eff");
  for (int e = 6; e <= 7; e++) {
    int64_t n = (int64_t)pow(10, e), mark = genc_scope_begin(ctx);
    genc_array *x = genc_random_normal(ctx, genc_key_from_seed(5), GENC_F64, 0, NULL, n), *y;
    genc_graph *g1 = genc_graph_capture(ctx, chain_fn, NULL, 0, NULL, 1, &x, 1, &y);
    genc_graph *gp = genc_graph_capture(ctx, chain_fn, NULL, 0, NULL, 1, &x, 1, &y);
    genc_compile_opts o = {.threads = 1, .cache_dir = dir};
    if (!g1 || !gp || genc_graph_compile(ctx, g1, &o)) die(ctx, "chain capture");
    o.threads = cores;
    if (genc_graph_compile(ctx, gp, &o)) die(ctx, "chain compile");
    double *hx = malloc((size_t)n * sizeof *hx), *hy = malloc((size_t)n * sizeof *hy), tc[16];
    if (!hx || !hy || genc_array_copy_out(ctx, x, hx, n)) die(ctx, "chain copy");
    for (int i = 0; i < reps; i++) {
      double t0 = bench_now();
      chain_hand(hx, hy, n);
      tc[i] = bench_now() - t0;
    }
    double te = chain_time(ctx, NULL, x, reps), t1 = chain_time(ctx, g1, x, reps);
    double tp = chain_time(ctx, gp, x, reps), th = bench_median(tc, reps);
    printf("%-6.0e %8.2fms %8.2fms %8.2fms %8.2fms %7.2fx %5.0f%%\n", (double)n, 1e3 * te, 1e3 * t1,
           1e3 * tp, 1e3 * th, t1 / th, 100 * t1 / (cores * tp));
    free(hx), free(hy);
    genc_graph_free(g1), genc_graph_free(gp);
    genc_scope_end(ctx, mark);
  }
}

int main(int argc, char **argv) {
  int top = argc > 1 ? atoi(argv[1]) : 7, reps = argc > 2 ? atoi(argv[2]) : 3;
  if (reps < 1 || reps > 16) reps = 3;
  double X[K], X2[K], Y[K];
  for (int i = 0; i < K; i++) {
    X[i] = -1 + 2.0 * i / 99, X2[i] = X[i] * X[i];
    Y[i] = 0.5 - 1.0 * X[i] + 2.0 * X2[i] + 0.3 * sin(12.9898 * i);
  }
  genc_ctx *ctx = genc_ctx_new(NULL, NULL);
  if (!ctx) return 1;
  gf = genc_gf_dynamic("b1", b1, 2, NULL);
  args[0] = genc_array_vec(ctx, K, X), args[1] = genc_array_vec(ctx, K, X2);
  obs = genc_choicemap_new(ctx);
  genc_choicemap_set_str(ctx, obs, "y", genc_array_vec(ctx, K, Y));
  int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
  char dir[] = "/tmp/genc_bench_compiled_XXXXXX";
  if (!mkdtemp(dir)) return 1;
  printf("B1 poly-IS, exact log p(y) = %.5f; %d online cores; medians of %d runs; graph captured "
         "at min(N, %d) particles\n",
         EXACT, cores, reps, MCAP);
  printf("%-6s %10s %10s %10s %8s %8s | %10s %6s %9s | %10s | %8s %8s %8s\n", "N", "genc 1t",
         "loop", "blk", "/loop", "/blk", "genc all", "eff", "loop eff", "eager", "capture",
         "cc cold", "cached");
  for (int e = 4; e <= top; e++) {
    int64_t n = (int64_t)pow(10, e), m = n < MCAP ? n : MCAP;
    genc_key k0 = genc_key_from_seed(0);
    genc_array *out;
    double t0 = bench_now();
    genc_graph *g1 = genc_graph_capture(ctx, is_step, &m, 1, &k0, 0, NULL, 1, &out);
    double tcap = bench_now() - t0;
    genc_graph *gp = genc_graph_capture(ctx, is_step, &m, 1, &k0, 0, NULL, 1, &out);
    if (!g1 || !gp) die(ctx, "capture");
    char d[96];
    snprintf(d, sizeof d, "%s/%d", dir, e); /* fresh: a cold compile */
    genc_compile_opts o = {.threads = 1, .cache_dir = d};
    genc_compile_info cold, hot;
    if (genc_graph_compile(ctx, g1, &o) || genc_graph_compile_info(ctx, g1, &cold))
      die(ctx, "compile");
    o.threads = cores;
    if (genc_graph_compile(ctx, gp, &o) || genc_graph_compile_info(ctx, gp, &hot))
      die(ctx, "compile");
    if (!cold.compiled || !hot.cache_hit)
      printf("(compiled %d, cache hit %d)\n", cold.compiled, hot.cache_hit);
    row r = measure(ctx, g1, gp, n, m, reps, cores);
    printf("%-6.0e %8.2fms %8.2fms %8.2fms %7.2fx %7.2fx | %8.2fms %5.0f%% %8.0f%% | %8.2fms | "
           "%6.0fms %6.0fms %6.1fms\n",
           (double)n, 1e3 * r.t1, 1e3 * r.tloop, 1e3 * r.tblk, r.t1 / r.tloop, r.t1 / r.tblk,
           1e3 * r.tp, 100 * r.t1w / (cores * r.tp), 100 * r.tloop / (cores * r.tlpar),
           1e3 * r.teager, 1e3 * tcap, 1e3 * cold.compile_s, 1e3 * hot.compile_s);
    printf("       log Z: genc %.4f (eager, same keys: %.4f), loop %.4f; regions %d, fused nodes "
           "%d, interpreted %d\n",
           r.z1, n <= 1000000 ? r.ze : NAN, r.zloop, cold.regions, cold.fused_nodes,
           cold.interp_nodes);
    fflush(stdout);
    genc_graph_free(g1);
    genc_graph_free(gp);
  }
  chain_rows(ctx, dir, cores, reps);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd)) return 1;
  genc_ctx_free(ctx);
  return 0;
}
