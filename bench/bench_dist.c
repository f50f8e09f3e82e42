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
 * The samplers are also timed against a second baseline that is like for like
 * in generator and algorithm: a plain C loop that draws from Philox4x32-10
 * (Random123, one counter per element, as genc) by the textbook algorithm
 * genc implements (Box-Muller with libm log/sqrt/cos; Marsaglia-Tsang with
 * the boost below 1; beta as X / (X + Y); Dirichlet as normalized gammas).
 * Poisson has no such row: genc's PTRS for large rates is not a few lines.
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

#include <Random123/philox.h>

#include "genc.h"
#include "benchutil.h"

#define N 1000000
#define REPS 5

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
    double t0 = bench_now();
    genc_array *x = genc_dist_sample(ctx, genc_key_from_seed((uint64_t)r), &d, N);
    double t1 = bench_now();
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
    double t0 = bench_now();
    for (int i = 0; i < N; i++) {
      out[i] = gsl_draw(r, which, buf);
    }
    best = fmin(best, bench_now() - t0);
  }
  sink = out[N - 1];
  gsl_rng_free(r);
  return best;
}
#endif

/* ---- the same algorithms on the same generator, as a C programmer writes them ---- */

typedef struct crng {
  philox4x32_key_t key;
  philox4x32_ctr_t ctr, out;
  int used;
} crng;

static crng crng_make(uint32_t element) {
  crng r = {.key = {{12345u, 678u}}, .ctr = {{element, 0, 0, 0}}, .used = 4};
  return r;
}

/* U(0, 1) from two words, 53 bits, never 0 or 1 */
static double crng_u(crng *r) {
  if (r->used == 4) {
    r->out = philox4x32(r->ctr, r->key);
    r->ctr.v[3]++;
    r->used = 0;
  }
  uint32_t a = r->out.v[r->used++], b = r->out.v[r->used++];
  return ((double)(a >> 5) * 67108864.0 + (double)(b >> 6) + 0.5) / 9007199254740992.0;
}

static double c_normal(crng *r) {
  double u1 = crng_u(r), u2 = crng_u(r);
  return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static double c_gamma(crng *r, double a) {
  double boost = 1.0;
  if (a < 1.0) boost = pow(crng_u(r), 1.0 / a), a += 1.0;
  double d = a - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = c_normal(r);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    double u = crng_u(r), x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2 || log(u) < 0.5 * x2 + d * (1.0 - v + log(v)))
      return d * v * boost;
  }
}

/* seconds for N draws of case which (0..4), best of REPS; NAN for no baseline */
static double time_c_philox(int which, double *out) {
  if (which > 4) return NAN;
  double best = 1e30;
  for (int rep = 0; rep < REPS; rep++) {
    double t0 = bench_now();
    for (int i = 0; i < N; i++) {
      crng r = crng_make((uint32_t)i);
      switch (which) {
      case 0: out[i] = 0.5 + 2.0 * c_normal(&r); break;
      case 1: out[i] = c_gamma(&r, 0.5); break;
      case 2: out[i] = c_gamma(&r, 5.0); break;
      case 3: {
        double x = c_gamma(&r, 2.0), y = c_gamma(&r, 3.0);
        out[i] = x / (x + y);
        break;
      }
      default: {
        double g[10], t = 0;
        for (int k = 0; k < 10; k++)
          t += g[k] = c_gamma(&r, 1.0);
        out[i] = g[0] / t;
      }
      }
    }
    best = fmin(best, bench_now() - t0);
  }
  sink = out[N - 1];
  return best;
}

/* log density rows: genc batched vs a C loop of the same formula */
static double c_normal_lp(const double *x, double *out) {
  const double mu = 0.5, s = 2.0, c = log(s) + 0.5 * log(2 * M_PI);
  double t0 = bench_now();
  for (int i = 0; i < N; i++) {
    double z = (x[i] - mu) / s;
    out[i] = -0.5 * z * z - c;
  }
  return bench_now() - t0;
}

static double c_gamma_lp(const double *x, double *out) {
  const double a = 5.0, b = 1.0, c = a * log(b) - lgamma(a);
  double t0 = bench_now();
  for (int i = 0; i < N; i++)
    out[i] = x[i] >= 0 ? (a - 1) * log(x[i]) - b * x[i] + c : -INFINITY;
  return bench_now() - t0;
}

static double time_genc_lp(genc_ctx *ctx, genc_dist (*make)(genc_ctx *), genc_array *x) {
  double best = 1e30;
  for (int r = 0; r < REPS; r++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_dist d = make(ctx);
    double t0 = bench_now();
    genc_array *lp = genc_dist_logpdf(ctx, &d, x);
    double t1 = bench_now();
    if (!lp) exit(1);
    best = fmin(best, t1 - t0);
    genc_scope_end(ctx, mark);
  }
  return best;
}

static void row(const char *what, double tg, double tb, const char *base) {
  printf("%-24s %9.2f %9.2f %8.2f  (%s)\n", what, 1e9 * tg / N, 1e9 * tb / N, tg / tb, base);
}

static void row2(const char *what, double tg, double tb, double tc) {
  printf("%-28s %9.2f %9.2f %7.2f", what, 1e9 * tg / N, 1e9 * tb / N, tg / tb);
  if (isnan(tc))
    printf("         -       -\n");
  else
    printf(" %9.2f %7.2f\n", 1e9 * tc / N, tg / tc);
}

int main(void) {
  genc_ctx *ctx = genc_ctx_new(NULL, NULL);
  if (!ctx) return 1;
  double *buf = malloc(N * sizeof *buf), *out = malloc(N * sizeof *out);
  printf("N = %d per call, best of %d\n", N, REPS);
  printf("%-28s %9s %9s %7s %9s %7s\n", "", "genc ns", "GSL ns", "ratio", "C-Phx ns", "ratio");
  const bcase cases[] = {{"normal(0.5, 2)", mk_normal, 1},    {"gamma(0.5)", mk_gamma05, 1},
                         {"gamma(5)", mk_gamma5, 1},          {"beta(2, 3)", mk_beta, 1},
                         {"dirichlet(10 x 1.0)", mk_dir, 10}, {"poisson(3)", mk_pois3, 1},
                         {"poisson(300)", mk_pois300, 1}};
  for (int i = 0; i < 7; i++) {
    double tg = time_genc_sample(ctx, &cases[i]);
#ifdef GENC_HAVE_GSL
    double tb = time_gsl(i, out), tc = time_c_philox(i, out);
    char name[64];
    snprintf(name, sizeof name, "sample %s", cases[i].name);
    row2(name, tg, tb, tc);
#else
    printf("sample %-17s %9.2f\n", cases[i].name, 1e9 * tg / N);
#endif
  }
  for (int i = 0; i < N; i++)
    buf[i] = 0.01 + 10.0 * (i + 0.5) / N;
  int64_t none = 0;
  genc_array *x = genc_array_from(ctx, GENC_F64, 0, &none, N, buf);
#ifdef GENC_HAVE_GSL
  printf("GSL: gsl_rng_mt19937, a cheaper generator than Philox4x32-10, and a ziggurat\n"
         "normal inside its gamma; C-Phx: the same algorithm as genc on the same generator\n");
#endif
  printf("%-24s %9s %9s %8s\n", "", "genc ns", "C ns", "ratio");
  row("logpdf normal", time_genc_lp(ctx, mk_normal, x),
      fmin(c_normal_lp(buf, out), c_normal_lp(buf, out)), "C loop");
  sink = out[7];
  row("logpdf gamma(5, 1)", time_genc_lp(ctx, mk_gamma5, x),
      fmin(c_gamma_lp(buf, out), c_gamma_lp(buf, out)), "C loop");
  sink = out[7];

  free(buf);
  free(out);
  genc_ctx_free(ctx);
  return 0;
}
