/*
 * Distribution throughput, genc against a baseline in the same run:
 *  - batched sampling of N = 1e6 particles in one call vs GSL's sampler in a
 *    plain C loop (gsl_rng_mt19937; GSL's gamma is also Marsaglia-Tsang with
 *    the same boost below shape 1, its Poisson is the gamma/binomial recursion);
 *  - batched log density of N values vs a plain C loop of the same formula.
 * Prints ns per draw (or value) for both and the ratio genc / baseline (lower
 * is better; the target is < 2). Best of 5 repetitions.
 * Without GSL only the log-density rows are printed.
 *
 * The GSL rows are not like for like in one way, said in the output: GSL
 * draws from mt19937, several times cheaper per word than genc's Philox4x32-10
 * (a counter-based generator, needed for per-element streams that agree
 * between CPU and CUDA), and its gamma takes its normals from a ziggurat.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef GENC_HAVE_GSL
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#endif

#include "genc.h"

#define N 1000000
#define REPS 5

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static volatile double sink;

typedef struct bcase {
  const char *name;
  genc_dist (*make)(genc_ctx *ctx);
  int k; /* values per draw (dirichlet: 10) */
} bcase;

static genc_dist mk_normal(genc_ctx *c) { return genc_normal(c, 0.5, 2.0); }
static genc_dist mk_gamma05(genc_ctx *c) { return genc_gamma(c, 0.5, 1.0); }
static genc_dist mk_gamma5(genc_ctx *c) { return genc_gamma(c, 5.0, 1.0); }
static genc_dist mk_beta(genc_ctx *c) { return genc_beta(c, 2.0, 3.0); }
static genc_dist mk_dir(genc_ctx *c) {
  int64_t k = 10;
  return genc_dirichlet(c, genc_array_full(c, GENC_F64, 1, &k, 0, 1.0));
}
static genc_dist mk_pois3(genc_ctx *c) { return genc_poisson(c, 3.0); }
static genc_dist mk_pois300(genc_ctx *c) { return genc_poisson(c, 300.0); }

/* Seconds per call of genc's batched sampler (best of REPS). */
static double time_genc_sample(genc_ctx *ctx, const bcase *b) {
  double best = 1e30;
  for (int r = 0; r < REPS; r++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_dist d = b->make(ctx);
    double t0 = now();
    genc_array *x = genc_dist_sample(ctx, genc_key_from_seed((uint64_t)r), &d, N);
    double t1 = now();
    if (!x) {
      fprintf(stderr, "%s: %s\n", b->name, genc_ctx_error(ctx));
      exit(1);
    }
    best = fmin(best, t1 - t0);
    genc_scope_end(ctx, mark);
  }
  return best;
}

#ifdef GENC_HAVE_GSL
static double gsl_draw(gsl_rng *r, int which, double *buf) {
  switch (which) {
  case 0: return 0.5 + gsl_ran_gaussian(r, 2.0);
  case 1: return gsl_ran_gamma(r, 0.5, 1.0);
  case 2: return gsl_ran_gamma(r, 5.0, 1.0);
  case 3: return gsl_ran_beta(r, 2.0, 3.0);
  case 4: {
    double a[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    gsl_ran_dirichlet(r, 10, a, buf);
    return buf[0];
  }
  case 5: return gsl_ran_poisson(r, 3.0);
  default: return gsl_ran_poisson(r, 300.0);
  }
}

static double time_gsl(int which, double *out) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  double best = 1e30, buf[10];
  for (int rep = 0; rep < REPS; rep++) {
    double t0 = now();
    for (int i = 0; i < N; i++) {
      out[i] = gsl_draw(r, which, buf);
    }
    best = fmin(best, now() - t0);
  }
  sink = out[N - 1];
  gsl_rng_free(r);
  return best;
}
#endif

/* log density rows: genc batched vs a C loop of the same formula */
static double c_normal_lp(const double *x, double *out) {
  const double mu = 0.5, s = 2.0, c = log(s) + 0.5 * log(2 * M_PI);
  double t0 = now();
  for (int i = 0; i < N; i++) {
    double z = (x[i] - mu) / s;
    out[i] = -0.5 * z * z - c;
  }
  return now() - t0;
}

static double c_gamma_lp(const double *x, double *out) {
  const double a = 5.0, b = 1.0, c = a * log(b) - lgamma(a);
  double t0 = now();
  for (int i = 0; i < N; i++)
    out[i] = x[i] >= 0 ? (a - 1) * log(x[i]) - b * x[i] + c : -INFINITY;
  return now() - t0;
}

static double time_genc_lp(genc_ctx *ctx, genc_dist (*make)(genc_ctx *), genc_array *x) {
  double best = 1e30;
  for (int r = 0; r < REPS; r++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_dist d = make(ctx);
    double t0 = now();
    genc_array *lp = genc_dist_logpdf(ctx, &d, x);
    double t1 = now();
    if (!lp) exit(1);
    best = fmin(best, t1 - t0);
    genc_scope_end(ctx, mark);
  }
  return best;
}

static void row(const char *what, double tg, double tb, const char *base) {
  printf("%-24s %9.2f %9.2f %8.2f  (%s)\n", what, 1e9 * tg / N, 1e9 * tb / N, tg / tb, base);
}

int main(void) {
  genc_ctx *ctx = genc_ctx_create(NULL, NULL);
  if (!ctx) return 1;
  double *buf = malloc(N * sizeof *buf), *out = malloc(N * sizeof *out);
  printf("N = %d per call, best of %d\n", N, REPS);
  printf("%-24s %9s %9s %8s\n", "", "genc ns", "base ns", "ratio");
  const bcase cases[] = {{"normal(0.5, 2)", mk_normal, 1},    {"gamma(0.5)", mk_gamma05, 1},
                         {"gamma(5)", mk_gamma5, 1},          {"beta(2, 3)", mk_beta, 1},
                         {"dirichlet(10 x 1.0)", mk_dir, 10}, {"poisson(3)", mk_pois3, 1},
                         {"poisson(300)", mk_pois300, 1}};
  for (int i = 0; i < 7; i++) {
    double tg = time_genc_sample(ctx, &cases[i]);
#ifdef GENC_HAVE_GSL
    double tb = time_gsl(i, out);
    char name[64];
    snprintf(name, sizeof name, "sample %s", cases[i].name);
    row(name, tg, tb, "GSL loop, mt19937");
#else
    printf("sample %-17s %9.2f\n", cases[i].name, 1e9 * tg / N);
#endif
  }
  for (int i = 0; i < N; i++)
    buf[i] = 0.01 + 10.0 * (i + 0.5) / N;
  int64_t none = 0;
  genc_array *x = genc_array_from(ctx, GENC_F64, 0, &none, N, buf);
  row("logpdf normal", time_genc_lp(ctx, mk_normal, x),
      fmin(c_normal_lp(buf, out), c_normal_lp(buf, out)), "C loop");
  sink = out[7];
  row("logpdf gamma(5, 1)", time_genc_lp(ctx, mk_gamma5, x),
      fmin(c_gamma_lp(buf, out), c_gamma_lp(buf, out)), "C loop");
  sink = out[7];
#ifdef GENC_HAVE_GSL
  printf("GSL draws from mt19937, a cheaper generator than genc's Philox4x32-10\n");
#endif
  free(buf);
  free(out);
  genc_ctx_destroy(ctx);
  return 0;
}
