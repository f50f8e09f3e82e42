/*
 * Importance sampling (src/infer/importance.c) on B1 poly-IS
 * (shared/BENCHMARKS.md), side by side in one process:
 *  1. genc_importance(): one batched generate of N particles plus the weight
 *     summaries (log-ML, delta-method SE, ESS, normalized weights);
 *  2. genc_gf_generate() alone with the weights copied out (the GFI floor);
 *  3. a handwritten C loop computing the same log weights (xoshiro256+ and
 *     Box-Muller, one loop over the 100 observations per particle, as
 *     shared/baselines/b1_is.c's "loop" variant);
 *  4. genc_resample() of N ancestors from the N weights, every scheme;
 *  5. the conjugate model of tests/test_infer_importance.c at N = 1e5 against
 *     its handwritten loop.
 * argv[1]: largest N as a power of ten (default 6). Medians of 5 runs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "genc.h"
#include "benchutil.h"

#define K 100
static double X[K], X2[K], Y[K];
static const double EXACT = -7.48273979765505;

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

/* ---- handwritten: xoshiro256+ and Box-Muller ---- */
static uint64_t rs[4] = {0x9e3779b97f4a7c15ull, 0xbf58476d1ce4e5b9ull, 0x94d049bb133111ebull, 1};
static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static double unif(void) {
  uint64_t r = rs[0] + rs[3], t = rs[1] << 17;
  rs[2] ^= rs[0], rs[3] ^= rs[1], rs[1] ^= rs[2], rs[0] ^= rs[3], rs[2] ^= t;
  rs[3] = rotl(rs[3], 45);
  return ((double)(r >> 11) + 0.5) * 0x1.0p-53;
}
static double hand_b1(int64_t n, double *est) {
  const double lc = -K * (log(0.3) + 0.5 * log(2 * M_PI)), inv = 1 / (2 * 0.3 * 0.3);
  double t0 = bench_now(), mx = -INFINITY, s = 0;
  for (int64_t j = 0; j < n; j++) {
    double r = sqrt(-2 * log(unif())), th = 6.283185307179586 * unif();
    double a = r * cos(th), b = r * sin(th);
    double c = sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif()), acc = 0;
    for (int i = 0; i < K; i++) {
      double e = Y[i] - (a + b * X[i] + c * X2[i]);
      acc += e * e;
    }
    double lw = lc - acc * inv;
    if (lw > mx)
      s = s * exp(mx - lw) + 1, mx = lw;
    else
      s += exp(lw - mx);
  }
  *est = mx + log(s / (double)n);
  return bench_now() - t0;
}

/* ---- the conjugate model of tests/test_infer_importance.c: mu ~ N(0, 1),
 * y_i ~ N(mu, 1), i < 3 ---- */
static const double CY[3] = {1.2, 2.0, 1.6};
static genc_array *conjugate_model(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, 0.0, 1.0));
  for (int i = 0; i < 3; i++)
    GENC_TRACE_AT(rt, "y", i, genc_normal(ctx, mu, 1.0));
  return mu;
}
static double hand_conj(int64_t n, double *est) {
  const double lc = -3 * 0.5 * log(2 * M_PI);
  double t0 = bench_now(), mx = -INFINITY, s = 0;
  for (int64_t j = 0; j < n; j++) {
    double mu = sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif()), lw = lc;
    for (int i = 0; i < 3; i++)
      lw -= 0.5 * (CY[i] - mu) * (CY[i] - mu);
    if (lw > mx)
      s = s * exp(mx - lw) + 1, mx = lw;
    else
      s += exp(lw - mx);
  }
  *est = mx + log(s / (double)n);
  return bench_now() - t0;
}

static void die(genc_ctx *ctx, const char *what) {
  fprintf(stderr, "%s failed: %s\n", what, genc_ctx_error(ctx));
  exit(1);
}

int main(int argc, char **argv) {
  int top = argc > 1 ? atoi(argv[1]) : 6;
  for (int i = 0; i < K; i++) {
    X[i] = -1 + 2.0 * i / 99, X2[i] = X[i] * X[i];
    Y[i] = 0.5 - 1.0 * X[i] + 2.0 * X2[i] + 0.3 * sin(12.9898 * i);
  }
  genc_ctx *ctx = genc_ctx_new_env(NULL);
  if (!ctx) return 1;
  genc_gf *gf = genc_gf_dynamic("b1", b1, 2, NULL);
  genc_array *xs = genc_array_vec(ctx, K, X), *x2 = genc_array_vec(ctx, K, X2);
  genc_array *args[2] = {xs, x2};
  genc_choicemap *obs = genc_choicemap_new(ctx);
  genc_choicemap_set_str(ctx, obs, "y", genc_array_vec(ctx, K, Y));
  printf("B1 poly-IS, exact log p(y) = %.5f; medians of 5 runs\n", EXACT);
  for (int e = 3; e <= top; e++) {
    int64_t n = (int64_t)pow(10, e);
    double ti[5], tg[5], th[5], est_h = 0;
    genc_is_result r = {0};
    for (int rep = 0; rep < 5; rep++) {
      genc_is_result_clear(&r);
      double t0 = bench_now();
      genc_is_opts o = {.n = n, .key = genc_key_from_seed((uint64_t)rep)};
      if (genc_importance(ctx, gf, args, obs, &o, &r)) die(ctx, "genc_importance");
      ti[rep] = bench_now() - t0;
      int64_t mark = genc_scope_begin(ctx);
      double *w = malloc((size_t)n * sizeof *w);
      genc_array *lw = NULL;
      t0 = bench_now();
      genc_trace *t = genc_gf_generate(ctx, gf, args, obs, o.key, n, &lw);
      if (!t || genc_array_copy_out(ctx, lw, w, n)) die(ctx, "generate");
      tg[rep] = bench_now() - t0;
      genc_trace_release(t);
      free(w);
      genc_scope_end(ctx, mark);
      th[rep] = hand_b1(n, &est_h);
    }
    double mi = bench_median(ti, 5), mg = bench_median(tg, 5), mh = bench_median(th, 5);
    printf("N=%-9lld genc_importance %9.3f ms (log p(y) %.4f +- %.4f, z %+.2f, ESS %.1f)\n"
           "            generate alone  %9.3f ms | handwritten C loop %9.3f ms (%.4f) | "
           "importance/hand %.2fx\n",
           (long long)n, 1e3 * mi, r.log_ml, r.log_ml_se, (r.log_ml - EXACT) / r.log_ml_se, r.ess,
           1e3 * mg, 1e3 * mh, est_h, mi / mh);
    const char *names[4] = {"multinomial", "systematic", "stratified", "residual"};
    printf("            resample N of N:");
    for (int s = 0; s < 4; s++) {
      double ts[5];
      for (int rep = 0; rep < 5; rep++) {
        int64_t mark = genc_scope_begin(ctx);
        double t0 = bench_now();
        if (!genc_resample(ctx, r.log_weights, n, n, (genc_resample_scheme)s,
                           genc_key_from_seed((uint64_t)rep)))
          die(ctx, "genc_resample");
        ts[rep] = bench_now() - t0;
        genc_scope_end(ctx, mark);
      }
      printf(" %s %.3f ms", names[s], 1e3 * bench_median(ts, 5));
    }
    printf("\n");
    genc_is_result_clear(&r);
  }
  genc_choicemap_free(obs);
  genc_gf_release(gf);
  /* the conjugate model at N = 1e5 (exact log p(y) = -4.56996) */
  genc_gf *cg = genc_gf_dynamic("conjugate", conjugate_model, 0, NULL);
  genc_choicemap *cobs = genc_choicemap_new(ctx);
  char a[8];
  for (int i = 0; i < 3; i++) {
    snprintf(a, sizeof a, "y/%d", i);
    genc_choicemap_set_str(ctx, cobs, a, genc_scalar(ctx, CY[i]));
  }
  double tc[5], thc[5], est_c = 0;
  genc_is_result r = {0};
  for (int rep = 0; rep < 5; rep++) {
    genc_is_result_clear(&r);
    genc_is_opts o = {.n = 100000, .key = genc_key_from_seed((uint64_t)rep)};
    double t0 = bench_now();
    if (genc_importance(ctx, cg, NULL, cobs, &o, &r)) die(ctx, "genc_importance");
    tc[rep] = bench_now() - t0;
    thc[rep] = hand_conj(100000, &est_c);
  }
  double mc = bench_median(tc, 5), mhc = bench_median(thc, 5);
  printf("conjugate N=1e5: genc_importance %.3f ms (%.4f +- %.4f) | handwritten C loop %.3f ms "
         "(%.4f) | %.2fx\n",
         1e3 * mc, r.log_ml, r.log_ml_se, 1e3 * mhc, est_c, mc / mhc);
  genc_is_result_clear(&r);
  genc_choicemap_free(cobs);
  genc_gf_release(cg);
  genc_ctx_free(ctx);
  return 0;
}
