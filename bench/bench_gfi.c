/*
 * GFI benchmarks, ratios measured side by side in one process:
 *  1. B1 poly-IS (shared/BENCHMARKS.md): batched generate vs a handwritten C loop
 *     computing the same log weights, N = 1e3 .. 1e7 (argv[1] = largest exponent).
 *     genc runs in chunks of at most 1e5 particles (genc_key_particle gives each
 *     chunk its particles' keys), so memory stays bounded.
 *  2. single-trace simulate on a 100-site model: ns per choice, vs the same
 *     distribution calls made directly (sample + logpdf, no GFI).
 *  3. one MH-style regenerate (one site selected) on the 100-site model.
 *  Lines 2 and 3 use the scalar fast path (host draws, densities and sums); the
 *  last line reruns both with a tape recording (nothing watched), which sends
 *  every choice down the array path: the baseline of the fast path.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "genc.h"
#include "benchutil.h"

#define K 100
static double X[K], Y[K];
static const double EXACT = -7.48273979765505;

/* ---- B1 in genc ---- */
static genc_array *b1(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *a = GENC_TRACE(rt, "a", genc_normal(ctx, 0.0, 1.0));
  genc_array *b = GENC_TRACE(rt, "b", genc_normal(ctx, 0.0, 1.0));
  genc_array *c = GENC_TRACE(rt, "c", genc_normal(ctx, 0.0, 1.0));
  genc_array *mu =
      genc_add(ctx, genc_add(ctx, a, genc_mul(ctx, b, args[0])), genc_mul(ctx, c, args[1]));
  return GENC_TRACE(rt, "y", genc_broadcasted_normal(ctx, mu, 0.3));
}

/* log mean exp of log weights, streamed over chunks: running max and sum */
typedef struct lme {
  double mx, s;
  int64_t n;
} lme;
static void lme_add(lme *l, const double *w, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    if (w[i] > l->mx) {
      l->s = l->s * exp(l->mx - w[i]) + 1;
      l->mx = w[i];
    } else {
      l->s += exp(w[i] - l->mx);
    }
  }
  l->n += n;
}
static double lme_get(const lme *l) { return l->mx + log(l->s / (double)l->n); }

static double genc_b1(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                      const genc_choicemap *obs, int64_t n, double *est) {
  const int64_t chunk = 100000;
  double *w = malloc((size_t)(n < chunk ? n : chunk) * sizeof *w);
  lme l = {-INFINITY, 0, 0};
  genc_key key = genc_key_from_seed(1);
  double t0 = bench_now();
  for (int64_t s = 0; s < n; s += chunk) {
    int64_t m = n - s < chunk ? n - s : chunk, mark = genc_scope_begin(ctx);
    genc_array *lw = NULL;
    genc_trace *t =
        genc_gf_generate(ctx, gf, args, obs, genc_key_particle(key, (uint32_t)s), m, &lw);
    if (!t) {
      fprintf(stderr, "generate failed: %s\n", genc_ctx_error(ctx));
      exit(1);
    }
    genc_array_copy_out(ctx, lw, w, m);
    lme_add(&l, w, m);
    genc_trace_release(t);
    genc_scope_end(ctx, mark);
  }
  double dt = bench_now() - t0;
  free(w);
  *est = lme_get(&l);
  return dt;
}

/* ---- B1 handwritten: xoshiro256+ and Box-Muller, one loop ---- */
static uint64_t rs[4] = {0x9e3779b97f4a7c15ull, 0xbf58476d1ce4e5b9ull, 0x94d049bb133111ebull, 1};
static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static double unif(void) {
  uint64_t r = rs[0] + rs[3], t = rs[1] << 17;
  rs[2] ^= rs[0], rs[3] ^= rs[1], rs[1] ^= rs[2], rs[0] ^= rs[3], rs[2] ^= t;
  rs[3] = rotl(rs[3], 45);
  return ((double)(r >> 11) + 0.5) * 0x1.0p-53;
}
static void normal2(double *z0, double *z1) {
  double r = sqrt(-2 * log(unif())), th = 6.283185307179586 * unif();
  *z0 = r * cos(th), *z1 = r * sin(th);
}
static double hand_b1(int64_t n, double *est) {
  const double ls = log(0.3), c0 = -0.5 * log(2 * M_PI);
  double *w = malloc((size_t)n * sizeof *w);
  double t0 = bench_now();
  for (int64_t j = 0; j < n; j++) {
    double a, b, c, spare;
    normal2(&a, &b);
    normal2(&c, &spare);
    double lw = 0;
    for (int i = 0; i < K; i++) {
      double z = (Y[i] - (a + b * X[i] + c * X[i] * X[i])) / 0.3;
      lw += -0.5 * z * z - ls + c0;
    }
    w[j] = lw;
  }
  lme l = {-INFINITY, 0, 0};
  lme_add(&l, w, n);
  double dt = bench_now() - t0;
  free(w);
  *est = lme_get(&l);
  return dt;
}

/* ---- the 100-site model for single-trace overheads ---- */
static genc_array *sites(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *last = NULL;
  for (int i = 0; i < K; i++)
    last = genc_rt_trace(rt, genc_idx(i), genc_normal(ctx, 0.0, 1.0));
  return last;
}

static double direct_sites(genc_ctx *ctx, int reps) {
  genc_key key = genc_key_from_seed(3);
  double t0 = bench_now();
  for (int r = 0; r < reps; r++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_array *score = NULL;
    for (int i = 0; i < K; i++) {
      genc_dist d = genc_normal(ctx, 0.0, 1.0);
      genc_array *v = genc_dist_sample(ctx, genc_key_fold_in(key, (uint64_t)i), &d, 0);
      genc_array *lp = genc_dist_logpdf(ctx, &d, v);
      score = score ? genc_add(ctx, score, lp) : lp;
    }
    genc_scope_end(ctx, mark);
  }
  return (bench_now() - t0) / reps;
}

/* Seconds per single-trace simulate of the 100-site model; taped: with a tape
 * recording, which turns the scalar fast path off. */
static double sim_time(genc_ctx *ctx, genc_gf *sg, int reps, bool taped) {
  if (taped) genc_tape_begin(ctx);
  double t0 = bench_now();
  for (int r = 0; r < reps; r++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_trace *t = genc_gf_simulate(ctx, sg, NULL, genc_key_from_seed((uint64_t)r), 0);
    genc_trace_release(t);
    genc_scope_end(ctx, mark);
  }
  double dt = (bench_now() - t0) / reps;
  if (taped) genc_tape_end(ctx);
  return dt;
}

/* Seconds per MH step (regenerate one selected site, accept or reject). */
static double mh_time(genc_ctx *ctx, genc_trace **tp, const genc_selection *sel, int reps,
                      bool taped) {
  if (taped) genc_tape_begin(ctx);
  genc_trace *t = *tp;
  double t0 = bench_now();
  for (int r = 0; r < reps; r++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_array *w = NULL;
    genc_trace *nt = genc_gf_regenerate(ctx, t, NULL, NULL, sel, genc_key_from_seed(100 + r), &w);
    double wv = 0;
    genc_array_item(ctx, w, &wv);
    if (log(((double)(r % 97) + 0.5) / 97) < wv) { /* deterministic stand-in for log U */
      genc_trace_release(t);
      t = nt;
    } else {
      genc_trace_release(nt);
    }
    genc_scope_end(ctx, mark);
  }
  double dt = (bench_now() - t0) / reps;
  if (taped) genc_tape_end(ctx);
  *tp = t;
  return dt;
}

int main(int argc, char **argv) {
  int maxexp = argc > 1 ? atoi(argv[1]) : 7;
  for (int i = 0; i < K; i++) {
    X[i] = -1 + 2.0 * i / 99;
    Y[i] = 0.5 - 1.0 * X[i] + 2.0 * X[i] * X[i] + 0.3 * sin(12.9898 * i);
  }
  genc_ctx *ctx = genc_ctx_new(NULL, NULL);
  genc_gf *gf = genc_gf_dynamic("b1", b1, 2, NULL);
  double x2[K];
  for (int i = 0; i < K; i++)
    x2[i] = X[i] * X[i];
  genc_array *args[2] = {genc_array_vec(ctx, K, X), genc_array_vec(ctx, K, x2)};
  genc_choicemap *obs = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, obs, GENC_SYM("y"), genc_array_vec(ctx, K, Y));

  printf("B1 poly-IS, exact log p(y) = %.6f\n", EXACT);
  printf("%10s %12s %12s %8s %12s %12s\n", "N", "genc s", "hand C s", "ratio", "genc est",
         "hand est");
  for (int e = 3; e <= 7; e++) {
    int64_t n = 1;
    for (int i = 0; i < e; i++)
      n *= 10;
    if (e > maxexp) {
      printf("%10lld skipped (largest exponent %d; pass it as argv[1])\n", (long long)n, maxexp);
      continue;
    }
    /* medians over reps after one warm-up run each, interleaved so that machine
     * noise hits both alike */
    int reps = n <= 10000 ? 15 : n <= 1000000 ? 5 : 3;
    double tgs[15], ths[15], eg = 0, eh = 0;
    genc_b1(ctx, gf, args, obs, n, &eg), hand_b1(n, &eh);
    for (int r = 0; r < reps; r++)
      tgs[r] = genc_b1(ctx, gf, args, obs, n, &eg), ths[r] = hand_b1(n, &eh);
    double tg = bench_median(tgs, reps), th = bench_median(ths, reps);
    printf("%10lld %12.5f %12.5f %8.2f %12.4f %12.4f\n", (long long)n, tg, th, tg / th, eg, eh);
  }

  genc_gf *sg = genc_gf_dynamic("sites", sites, 0, NULL);
  const int reps = 2000;
  double sim = sim_time(ctx, sg, reps, false), dir = direct_sites(ctx, reps);
  printf("single-trace simulate, %d sites: %.0f ns/choice (direct sample+logpdf %.0f ns/choice, "
         "GFI overhead %.0f ns/choice, ratio %.2f)\n",
         K, 1e9 * sim / K, 1e9 * dir / K, 1e9 * (sim - dir) / K, sim / dir);

  genc_selection *sel = genc_selection_new(ctx);
  genc_selection_add(ctx, sel, genc_idx(17));
  genc_trace *t = genc_gf_simulate(ctx, sg, NULL, genc_key_from_seed(9), 0);
  double mh = mh_time(ctx, &t, sel, reps, false);
  printf("MH step (regenerate 1 of %d sites + accept): %.1f us/step (%.0f ns/site; "
         "%.2f x one simulate)\n",
         K, 1e6 * mh, 1e9 * mh / K, mh / sim);
  double sim_a = sim_time(ctx, sg, reps, true), mh_a = mh_time(ctx, &t, sel, reps, true);
  printf("array path (tape on): simulate %.0f ns/choice (fast path %.2fx faster), MH %.0f "
         "ns/site (fast path %.2fx faster)\n",
         1e9 * sim_a / K, sim_a / sim, 1e9 * mh_a / K, mh_a / mh);
  genc_trace_release(t);
  genc_selection_release(sel);
  genc_gf_release(sg);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
  genc_ctx_free(ctx);
  return 0;
}
