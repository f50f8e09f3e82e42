/*
 * Combinator benchmark: B2 of shared/BENCHMARKS.md (bootstrap particle filter)
 * written with Unfold, ratios measured side by side in one process.
 *
 *   x_0 ~ N(0, 1);  x_t = 0.9 x_{t-1} + N(0, 1);  y_t ~ N(x_t, 0.5)
 *   data y_t = 2 sin(0.1 t) + 0.7 sin(12.9898 t);  Kalman log p(y_0..y_99) = -113.26911738003584
 *
 * The model is Unfold(step) with step(t, state): x ~ N(0.9 state, 1) at "x",
 * y ~ N(x, 0.5) at "y", returning x (initial state 0, so x_0 ~ N(0, 1)). The
 * filter extends the Unfold one step at a time: generate with T = 1 and the
 * constraint 0/y, then genc_gf_update T -> T+1 (genc_intdiff(1)) with the
 * constraint T/y, N particles in one batched trace, systematic resampling
 * after every step with genc_trace_take; log Z-hat = sum_t log mean w_t.
 *
 * Rows:
 *  1. the Unfold filter for T = 100 .. 1000: total time and time per step
 *     (flat in T when an update costs O(1) steps);
 *  2. the same with prefix skipping off (genc_unfold_set_prefix_skipping):
 *     every update reruns all steps, time per step grows linearly in T;
 *  3. the same filter over a plain C-function model (GENC_TRACE_AT at x/t and
 *     y/t in a loop): a dynamic model has no prefix skipping, so it reruns
 *     its whole body at each update, like row 2;
 *  4. one step of Unfold against the same step in the C-function model:
 *     generate of the whole T-step model with every y constrained, both ways,
 *     at N = 1 (single trace) and N = 1000; ratio of times (target 1.5);
 *     (rows 1-3 also for a single trace, N = 0: no resampling, so the
 *     time per step is the update's alone);
 *  5. the handwritten C bootstrap filter (shared/baselines/b2_pf.c's
 *     algorithm: xoshiro256+, Box-Muller), the honest baseline.
 * Every filter prints its log Z-hat next to the Kalman value for the same T;
 * at T = 100 each variant runs R times and prints mean, sd and the error of
 * the mean against the exact value in units of its standard error.
 *
 * Usage: bench_unfold [N [Tmax [R [rows]]]]   (defaults 1000, 1000, 5, all rows;
 * rows is a bit mask: 1 Unfold, 2 prefix skipping off, 4 C-function model,
 * 8 one step and accuracy, 16 handwritten C)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "genc.h"
#include "benchutil.h"

#define TMAX 4000
static double Y[TMAX];

/* log p(y_0..y_{T-1}) by the Kalman filter */
static double kalman(int T) {
  double m = 0, P = 1, lz = 0;
  for (int t = 0; t < T; t++) {
    if (t > 0) m = 0.9 * m, P = 0.81 * P + 1;
    double S = P + 0.25, K = P / S, e = Y[t] - m;
    lz += -0.5 * log(2 * M_PI * S) - 0.5 * e * e / S;
    m += K * e, P *= 1 - K;
  }
  return lz;
}

static void die(genc_ctx *ctx, const char *what) {
  fprintf(stderr, "bench_unfold: %s: %s\n", what, genc_ctx_error(ctx));
  exit(1);
}

/* ---- the models ---- */

static genc_array *step(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, genc_mul(ctx, args[1], 0.9), 1.0));
  GENC_TRACE(rt, "y", genc_normal(ctx, x, 0.5));
  return x;
}

#ifdef GENC_TRACE_AT
#define FLAT 1 /* hierarchical addresses: the C-function model traces x/t and y/t */
/* the same model as one C function: x/t, y/t in a loop (argument T) */
static genc_array *loop(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  int64_t T = genc_rt_arg_int(rt, 0);
  genc_array *x = genc_scalar(ctx, 0.0);
  for (int64_t t = 0; t < T; t++) {
    x = GENC_TRACE_AT(rt, "x", t, genc_normal(ctx, genc_mul(ctx, x, 0.9), 1.0));
    GENC_TRACE_AT(rt, "y", t, genc_normal(ctx, x, 0.5));
  }
  return x;
}
#else
#define FLAT 0 /* no GENC_TRACE_AT: the loop splices the step kernel at t (t/x, t/y) */
static genc_array *loop(genc_rt *rt, genc_array *const *args, void *user) {
  genc_ctx *ctx = genc_rt_ctx(rt);
  double T = genc_array_to_double(ctx, args[0]);
  genc_array *x = genc_scalar(ctx, 0.0);
  for (int64_t t = 0; t < (int64_t)T; t++)
    x = genc_rt_splice(rt, genc_idx(t), (genc_gf *)user,
                       (genc_array *[]){genc_scalar_of(ctx, (double)t, GENC_I32), x});
  return x;
}
#endif

typedef struct model {
  genc_gf *gf;
  bool unfold; /* arguments (T, 0.0) and addresses t/y; else (T) and y/t */
} model;

static genc_choicemap *obs_at(genc_ctx *ctx, const model *m, genc_choicemap *c, int t) {
  genc_comp path[2] = {genc_idx(t), GENC_SYM("y")};
  if (!m->unfold && FLAT) path[0] = GENC_SYM("y"), path[1] = genc_idx(t);
  if (genc_choicemap_set_path(ctx, c, path, 2, genc_scalar(ctx, Y[t]))) die(ctx, "constraint");
  return c;
}

static genc_array *const *model_args(genc_ctx *ctx, const model *m, int T, genc_array **buf) {
  buf[0] = genc_scalar_of(ctx, T, GENC_I32);
  buf[1] = genc_scalar(ctx, 0.0);
  (void)m;
  return buf;
}

/* ---- the filter over a model ---- */

/* Systematic resampling against unnormalized weights w. */
static void systematic(const double *w, int64_t n, double u, int32_t *idx) {
  double sum = 0, c = 0;
  for (int64_t i = 0; i < n; i++)
    sum += w[i];
  int64_t i = 0;
  for (int64_t j = 0; j < n; j++) {
    double point = (u + (double)j) / (double)n * sum;
    while (i < n - 1 && c + w[i] < point)
      c += w[i++];
    idx[j] = (int32_t)i;
  }
}

/* One filter of T steps with n particles (n = 0: one trace, no resampling).
 * Returns log Z-hat; *secs gets the wall time. */
static double take_secs; /* time spent in genc_trace_take by the last pf() */

static double pf(genc_ctx *ctx, const model *m, int T, int64_t n, genc_key key, double *secs) {
  int64_t np = n ? n : 1;
  double *w = malloc((size_t)np * sizeof *w), lz = 0;
  int32_t *idx = malloc((size_t)np * sizeof *idx);
  genc_trace *tr = NULL;
  double t0 = bench_now();
  take_secs = 0;
  for (int t = 0; t < T; t++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_key k[2];
    genc_key_split(genc_key_fold_in(key, (uint64_t)t), 2, k);
    genc_choicemap *obs = obs_at(ctx, m, genc_choicemap_new(ctx), t);
    genc_array *ab[2], *lw = NULL;
    genc_array *const *args = model_args(ctx, m, t + 1, ab);
    genc_trace *next;
    if (t == 0) {
      next = genc_gf_generate(ctx, m->gf, args, obs, k[0], n, &lw);
    } else {
      genc_argdiff d[2] = {genc_intdiff(1), genc_nochange()};
      next = genc_gf_update(ctx, tr, args, d, obs, k[0], &lw, NULL);
    }
    genc_choicemap_free(obs);
    genc_trace_release(tr);
    tr = next;
    if (!tr || genc_array_copy_out(ctx, lw, w, np)) die(ctx, "filter step");
    double mx = -INFINITY, sw = 0;
    for (int64_t i = 0; i < np; i++)
      mx = fmax(mx, w[i]);
    for (int64_t i = 0; i < np; i++)
      sw += w[i] = exp(w[i] - mx);
    lz += mx + log(sw / (double)np);
    if (n > 0 && t < T - 1) {
      double u = genc_array_to_double(ctx, genc_random_uniform(ctx, k[1], GENC_F64, 0, NULL, 0));
      systematic(w, n, u, idx);
      double tk = bench_now();
      genc_trace *kept = genc_trace_take(ctx, tr, genc_array_from(ctx, GENC_I32, 1, &n, 0, idx));
      genc_trace_release(tr);
      take_secs += bench_now() - tk;
      if (!(tr = kept)) die(ctx, "take");
    }
    genc_scope_end(ctx, mark);
  }
  *secs = bench_now() - t0;
  genc_trace_release(tr);
  free(w);
  free(idx);
  return lz;
}

/* Seconds for one generate of the whole T-step model, every y constrained
 * (median of reps); *lw gets particle 0's weight. */
static double gen_time(genc_ctx *ctx, const model *m, int T, int64_t n, int reps) {
  genc_choicemap *obs = genc_choicemap_new(ctx);
  for (int t = 0; t < T; t++)
    obs_at(ctx, m, obs, t);
  double best = INFINITY;
  for (int r = 0; r < reps; r++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_array *ab[2], *lw = NULL;
    double t0 = bench_now();
    genc_trace *tr = genc_gf_generate(ctx, m->gf, model_args(ctx, m, T, ab), obs,
                                      genc_key_from_seed((uint64_t)r + 1), n, &lw);
    double dt = bench_now() - t0;
    if (!tr) die(ctx, "generate");
    genc_trace_release(tr);
    genc_scope_end(ctx, mark);
    best = fmin(best, dt);
  }
  genc_choicemap_free(obs);
  return best;
}

/* ---- the handwritten filter: xoshiro256+, Box-Muller ---- */
static uint64_t rs[4] = {0x9e3779b97f4a7c15ull, 0xbf58476d1ce4e5b9ull, 0x94d049bb133111ebull, 1};
static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static double unif(void) {
  uint64_t r = rs[0] + rs[3], t = rs[1] << 17;
  rs[2] ^= rs[0], rs[3] ^= rs[1], rs[1] ^= rs[2], rs[0] ^= rs[3], rs[2] ^= t;
  rs[3] = rotl(rs[3], 45);
  return ((double)(r >> 11) + 0.5) * 0x1.0p-53;
}
static double std_normal(void) {
  static int have;
  static double spare;
  if (have) return have = 0, spare;
  double r = sqrt(-2 * log(unif())), th = 6.283185307179586 * unif();
  spare = r * sin(th), have = 1;
  return r * cos(th);
}

static double hand_pf(int T, int64_t N, double *secs) {
  double *x = malloc((size_t)N * sizeof *x), *xa = malloc((size_t)N * sizeof *xa);
  double *w = malloc((size_t)N * sizeof *w), lz = 0;
  const double ls = -log(0.5) - 0.5 * log(2 * M_PI), inv2v = 1.0 / (2.0 * 0.25);
  double t0 = bench_now();
  for (int t = 0; t < T; t++) {
    double mx = -INFINITY, sum = 0;
    for (int64_t i = 0; i < N; i++) {
      double xi = (t ? 0.9 * xa[i] : 0.0) + std_normal(), d = Y[t] - xi, l = -d * d * inv2v;
      x[i] = xi, w[i] = l, mx = fmax(mx, l);
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
  *secs = bench_now() - t0;
  free(x), free(xa), free(w);
  return lz;
}

/* ---- the report ---- */

static double mean_sd(const double *v, int r, double *sd) {
  double m = 0, s = 0;
  for (int i = 0; i < r; i++)
    m += v[i] / r;
  for (int i = 0; i < r; i++)
    s += (v[i] - m) * (v[i] - m) / (r > 1 ? r - 1 : 1);
  *sd = sqrt(s);
  return m;
}

/* R filters at T = 100 of one variant (kind: 0 genc model m, 1 handwritten) */
static void accuracy(genc_ctx *ctx, const char *name, const model *m, int64_t n, int R) {
  double lz[64], secs;
  for (int r = 0; r < R && r < 64; r++)
    lz[r] = m ? pf(ctx, m, 100, n, genc_key_from_seed(900 + (uint64_t)r), &secs)
              : hand_pf(100, n, &secs);
  double sd, mean = mean_sd(lz, R, &sd), ex = kalman(100), se = sd / sqrt((double)R);
  printf("  %-28s N=%-6lld log Z-hat mean %10.4f sd %.4f  exact %.5f  err %+.4f = %+.1f SE %s\n",
         name, (long long)n, mean, sd, ex, mean - ex, (mean - ex) / se,
         fabs(mean - ex) < 4 * se + 0.5 * sd * sd ? "ok" : "DISAGREES");
}

static void series(genc_ctx *ctx, const char *name, const model *m, int64_t n, int tmax,
                   double *per_step100) {
  printf("%s, N = %lld\n  %6s %10s %14s %12s %12s %12s\n", name, (long long)n, "T", "total s",
         "us per step", "of it take", "log Z-hat", "Kalman");
  static const int Ts[] = {100, 250, 500, 1000, 2000, 4000};
  for (size_t i = 0; i < sizeof Ts / sizeof *Ts && Ts[i] <= tmax; i++) {
    int T = Ts[i];
    double secs;
    double lz =
        m ? pf(ctx, m, T, n, genc_key_from_seed(77 + (uint64_t)T), &secs) : hand_pf(T, n, &secs);
    printf("  %6d %10.4f %14.2f %12.2f %12.3f %12.3f\n", T, secs, 1e6 * secs / T,
           m ? 1e6 * take_secs / T : 0.0, lz, kalman(T));
    if (T == 100 && per_step100) *per_step100 = secs / T;
    fflush(stdout);
  }
}

int main(int argc, char **argv) {
  int64_t N = argc > 1 ? atoll(argv[1]) : 1000;
  int tmax = argc > 2 ? atoi(argv[2]) : 1000, R = argc > 3 ? atoi(argv[3]) : 5;
  unsigned rows = argc > 4 ? (unsigned)atoi(argv[4]) : 0xff; /* bit i: row i + 1 above */
  if (tmax > TMAX) tmax = TMAX;
  for (int t = 0; t < TMAX; t++)
    Y[t] = 2.0 * sin(0.1 * t) + 0.7 * sin(12.9898 * t);
  genc_ctx *ctx = genc_ctx_new(NULL, NULL);
  if (!ctx) return 1;
  genc_gf *kern = genc_gf_dynamic("step", step, 2, NULL);
  genc_gf *unf = genc_unfold(kern), *unf_noskip = genc_unfold(kern);
  genc_gf *dyn = genc_gf_dynamic("loop", loop, 2, kern);
  if (!unf || !unf_noskip || !dyn || genc_unfold_set_prefix_skipping(unf_noskip, false)) return 1;
  model mu = {unf, true}, mns = {unf_noskip, true}, md = {dyn, false};
  printf("B2 with Unfold, T steps (T = 100, 250, 500, 1000 ... <= %d), systematic resampling\n",
         tmax);

  double hand100 = 0, unf100 = 0;
  int tq = tmax > 500 ? 500 : tmax; /* the quadratic rows stop at 500 */
  if (rows & 16) series(ctx, "handwritten C bootstrap filter", NULL, N, tmax, &hand100);
  if (rows & 1) series(ctx, "Unfold filter (prefix skipping)", &mu, N, tmax, &unf100);
  if (rows & 2) series(ctx, "Unfold filter, prefix skipping off", &mns, N, tq, NULL);
  if (rows & 4) series(ctx, "C-function model filter (reruns the body)", &md, N, tq, NULL);
  if (rows & 1) series(ctx, "Unfold filter, single trace", &mu, 0, tmax, NULL);
  if (rows & 2)
    series(ctx, "Unfold filter, single trace, prefix skipping off", &mns, 0, tmax, NULL);
  if (rows & 4) series(ctx, "C-function model filter, single trace", &md, 0, tmax, NULL);
  if (!(rows & 8)) return 0;

  printf("one step: generate of the T = 100 model, every y constrained (best of 5)\n");
  double g[2][2];
  int64_t ns[2] = {0, N};
  for (int i = 0; i < 2; i++) {
    g[i][0] = gen_time(ctx, &mu, 100, ns[i], 5);
    g[i][1] = gen_time(ctx, &md, 100, ns[i], 5);
    printf("  N=%-6lld Unfold %8.2f us/step  C-function model %8.2f us/step  ratio %.2f\n",
           (long long)ns[i], 1e6 * g[i][0] / 100, 1e6 * g[i][1] / 100, g[i][0] / g[i][1]);
  }
  printf("accuracy at T = 100 (%d filters each; ok: |err| < 4 SE + sd^2/2, the Jensen bias)\n", R);
  accuracy(ctx, "handwritten C", NULL, N, R);
  accuracy(ctx, "Unfold", &mu, N, R);
  accuracy(ctx, "Unfold, prefix skipping off", &mns, N, R);
  accuracy(ctx, "C-function model", &md, N, R);
  printf("ratio Unfold filter / handwritten C at T = 100, N = %lld: %.1f\n", (long long)N,
         unf100 / hand100);
  genc_gf_release(unf);
  genc_gf_release(unf_noskip);
  genc_gf_release(dyn);
  genc_gf_release(kern);
  genc_ctx_free(ctx);
  return 0;
}
