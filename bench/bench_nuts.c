/*
 * B4 of /work/shared/BENCHMARKS.md: NUTS on a logistic regression (10
 * weights and an intercept, standard normal priors, 1000 observations),
 * 500 warmup + 1000 draws, one chain and four (run one after the other),
 * with a hand-written log density and gradient (genc_lp_grad_fn): plain C, and a
 * column-wise version the compiler vectorizes (lp_grad_simd); four chains also in
 * lock-step (genc_nuts_lockstep). Then B4 as a genc model through its log density
 * (genc_logdensity), evaluated by a compiled captured graph (genc_logdensity_set_compile
 * ON) and eagerly: one chain, four in lock-step and four in turn. B4_MODEL_ONLY skips
 * the hand-written runs, B4_COMPILED_ONLY the eager model runs, B4_NO_MODEL the model.
 * Reports
 * the minimum bulk ESS over the weights w_j per CPU second (warmup included;
 * CPU time because Stan's own timer is clock()), the largest
 * R-hat, mean leapfrogs and divergences. Usage: bench_nuts [seed [dir]]; with
 * a dir, each run's draws of w_1..w_10 go to dir/genc_<run>_s<seed>.csv
 * (first line "# secs=<CPU seconds>", then chain, iter, w1..w10), which
 * bench/b4_stan.R reads to compute every system's ESS with the same code.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "benchutil.h"
#include "genc.h"

#define N 1000
#define P 10

typedef struct data {
  double x[N][P];
  int y[N];
  double xt[P][N]; /* x by columns, and y as doubles, for lp_grad_simd */
  double yd[N];
} data;

static void make_data(data *d) {
  for (int i = 0; i < N; i++) {
    double eta = 0.5 * sin(12.9898 * i);
    for (int j = 0; j < P; j++) {
      d->x[i][j] = sin(0.37 * (i + 1) * (j + 1) + 0.1 * j);
      eta += d->x[i][j] * (-1 + 2.0 * j / (P - 1));
    }
    d->y[i] = eta > 0;
    d->yd[i] = d->y[i];
    for (int j = 0; j < P; j++)
      d->xt[j][i] = d->x[i][j];
  }
}

static genc_status lp_grad(void *user, const double *t, int dim, double *lp, double *grad) {
  const data *d = user;
  double acc = 0;
  for (int j = 0; j < dim; j++) {
    grad[j] = -t[j];
    acc -= 0.5 * t[j] * t[j];
  }
  for (int i = 0; i < N; i++) {
    double eta = t[P];
    for (int j = 0; j < P; j++)
      eta += d->x[i][j] * t[j];
    double e = exp(-fabs(eta));
    acc += d->y[i] * eta - (fmax(eta, 0) + log1p(e));
    double r = d->y[i] - (eta > 0 ? 1 : e) / (1 + e);
    for (int j = 0; j < P; j++)
      grad[j] += r * d->x[i][j];
    grad[P] += r;
  }
  *lp = acc;
  return GENC_OK;
}

/* lp_grad in three passes over columns that the compiler vectorizes: eta = X w + b, the
 * likelihood and the residuals (exp and log1p by glibc's vector math, libmvec: hence
 * fast-math, for this function only), and X' r. Plain x86-64 (SSE2), as Stan's build. */
__attribute__((optimize("O3", "fast-math"))) static genc_status
lp_grad_simd(void *user, const double *t, int dim, double *lp, double *grad) {
  const data *d = user;
  double eta[N], r[N], acc = 0;
  for (int i = 0; i < N; i++)
    eta[i] = t[P];
  for (int j = 0; j < P; j++)
    for (int i = 0; i < N; i++)
      eta[i] += d->xt[j][i] * t[j];
  for (int i = 0; i < N; i++) {
    double e = exp(-fabs(eta[i]));
    acc += d->yd[i] * eta[i] - (fmax(eta[i], 0) + log1p(e));
    r[i] = d->yd[i] - (eta[i] > 0 ? 1 : e) / (1 + e);
  }
  for (int j = 0; j < dim; j++) {
    double g = 0;
    for (int i = 0; i < N; i++)
      g += (j < P ? d->xt[j][i] : 1) * r[i];
    grad[j] = g - t[j];
    acc -= 0.5 * t[j] * t[j];
  }
  *lp = acc;
  return GENC_OK;
}

/* The draws of w as CSV for b4_stan.R (see the top comment). */
static int write_draws(const char *dir, const char *run, uint64_t seed, const genc_nuts_result *r,
                       int nc, double secs) {
  char path[4096];
  snprintf(path, sizeof path, "%s/genc_%s_s%llu.csv", dir, run, (unsigned long long)seed);
  FILE *f = fopen(path, "w");
  if (!f) return 1;
  fprintf(f, "# secs=%.17g\nchain,iter", secs);
  for (int j = 0; j < P; j++)
    fprintf(f, ",w%d", j + 1);
  for (int c = 0; c < nc; c++)
    for (int64_t s = 0; s < r[c].samples; s++) {
      fprintf(f, "\n%d,%lld", c, (long long)s);
      for (int j = 0; j < P; j++)
        fprintf(f, ",%.17g", r[c].draws[s * r[c].dim + j]);
    }
  fputc('\n', f);
  return fclose(f) != 0;
}

/* B4 as a genc model: w ~ N(0, 1)^10, b ~ N(0, 1), y ~ Bernoulli(sigmoid(X w + b)), X the
 * model's argument, y observed as one vector choice. */
static genc_array *b4_model(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  double zeros[P] = {0};
  genc_array *w =
      GENC_TRACE(rt, "w", genc_broadcasted_normal(ctx, genc_array_vec(ctx, P, zeros), 1.0));
  genc_array *b = GENC_TRACE(rt, "b", genc_normal(ctx, 0.0, 1.0));
  genc_array *eta = genc_add(ctx, genc_matmul(ctx, args[0], w), b);
  return GENC_TRACE(rt, "y", genc_bernoulli(ctx, genc_sigmoid(ctx, eta)));
}

/* nc chains on the model's log density: in lock-step (one batched run of the model per round)
 * or one after another (one run per evaluation); comp: its evaluations replay a captured,
 * compiled graph (genc_logdensity_set_compile ON; the capture and the compiler's time are
 * inside the CPU seconds, a disk-cached object loads at once). */
static genc_status run_model_chains(genc_ctx *ctx, genc_logdensity *ld, int nc, int lock, int comp,
                                    uint64_t seed, const char *dir) {
  genc_nuts_result r[4];
  genc_nuts_opts o = {.warmup = 500, .samples = 1000, .key = genc_key_from_seed(seed)};
  genc_logdensity_fn f = {.ctx = ctx, .ld = ld};
  double wall = bench_now();
  clock_t cpu = clock();
  genc_status st = genc_logdensity_set_compile(ctx, ld, comp ? GENC_COMPILE_ON : GENC_COMPILE_OFF);
  if (!st)
    st = lock ? genc_nuts_model_lockstep(ctx, ld, nc, &o, r)
              : genc_nuts_chains(ctx, genc_logdensity_lp_grad, &f, P + 1, nc, &o, r);
  double secs = (double)(clock() - cpu) / CLOCKS_PER_SEC, min_ess = INFINITY, ess;
  wall = bench_now() - wall;
  if (st) return st;
  char name[64];
  snprintf(name, sizeof name, "%dch%s_model%s", nc, lock ? "_lockstep" : "",
           comp ? "_compiled" : "");
  double *buf = malloc(4 * 1000 * sizeof *buf);
  for (int j = 0; !st && j < P; j++)
    if (!(st = genc_nuts_param_draws(ctx, r, nc, j, buf)) &&
        !(st = genc_diag_ess_bulk(ctx, buf, nc, 1000, &ess)))
      min_ess = fmin(min_ess, ess);
  if (!st && dir && write_draws(dir, name, seed, r, nc, secs)) st = GENC_ERR_ARG;
  if (!st)
    printf("B4 NUTS %-22s: %.3f s CPU (wall %.3f), min bulk ESS %.0f, %.0f min-ESS/s\n", name, secs,
           wall, min_ess, min_ess / secs);
  for (int c = 0; c < nc; c++)
    genc_nuts_result_clear(&r[c]);
  free(buf);
  return st;
}

/* The model's log density over (w, b) given y, and 4 chains on it. */
static int run_model(genc_ctx *ctx, const data *d, uint64_t seed, const char *dir) {
  int64_t shx[2] = {N, P}, shy[1] = {N};
  genc_array *x = genc_array_from(ctx, GENC_F64, 2, shx, 0, &d->x[0][0]);
  genc_array *y = genc_array_from(ctx, GENC_F64, 1, shy, 0, d->yd);
  genc_gf *gf = genc_gf_dynamic("b4", b4_model, 1, NULL);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  if (!x || !y || !gf || !obs || genc_choicemap_set_str(ctx, obs, "y", y)) return 1;
  genc_trace *t = genc_gf_generate(ctx, gf, &x, obs, genc_key_from_seed(1), 0, NULL);
  const char *addrs[2] = {"w", "b"};
  genc_logdensity *ld = t ? genc_logdensity_new(ctx, gf, &x, obs, 2, addrs, t) : NULL;
  if (!ld) return 1;
  genc_status st = GENC_OK;
  for (int comp = 1; comp >= (getenv("B4_COMPILED_ONLY") ? 1 : 0) && !st; comp--) {
    st = run_model_chains(ctx, ld, 1, 0, comp, seed, dir);
    for (int lock = 1; lock >= 0 && !st; lock--)
      st = run_model_chains(ctx, ld, 4, lock, comp, seed, dir);
  }
  genc_logdensity_free(ld);
  genc_trace_release(t);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
  return st != GENC_OK;
}

/* The lock-step chains' density: the points one after another (the data stay
 * in cache; what lock-step saves here is little, see bench/README.md). */
static genc_status lp_grad_batch(void *user, int n, const double *t, int dim, double *lp,
                                 double *grad) {
  for (int k = 0; k < n; k++)
    lp_grad(user, t + k * dim, dim, &lp[k], grad + k * dim);
  return GENC_OK;
}

static genc_status lp_grad_simd_batch(void *user, int n, const double *t, int dim, double *lp,
                                      double *grad) {
  for (int k = 0; k < n; k++)
    lp_grad_simd(user, t + k * dim, dim, &lp[k], grad + k * dim);
  return GENC_OK;
}

/* nc chains one after another, or in lock-step (genc_nuts_lockstep), with the plain or the
 * vectorized gradient. Time is the process's CPU time (clock()), as Stan's own timer counts
 * it: on a shared machine wall time measures the neighbours. */
static int run(genc_ctx *ctx, const data *d, int nc, int lock, int simd, uint64_t seed,
               const char *dir) {
  genc_nuts_result r[4];
  genc_nuts_opts o = {.warmup = 500, .samples = 1000, .key = genc_key_from_seed(seed)};
  double wall = bench_now();
  clock_t cpu = clock();
  genc_status st =
      lock ? genc_nuts_lockstep(ctx, simd ? lp_grad_simd_batch : lp_grad_batch, (void *)d, P + 1,
                                nc, &o, r)
           : genc_nuts_chains(ctx, simd ? lp_grad_simd : lp_grad, (void *)d, P + 1, nc, &o, r);
  double secs = (double)(clock() - cpu) / CLOCKS_PER_SEC;
  wall = bench_now() - wall;
  if (st) return 1;
  double *buf = malloc((size_t)nc * 1000 * sizeof *buf), min_ess = INFINITY, max_rhat = 0;
  double leap = 0;
  int64_t div = 0;
  for (int j = 0; j < P; j++) {
    double ess, rhat;
    if (genc_nuts_param_draws(ctx, r, nc, j, buf) || genc_diag_ess_bulk(ctx, buf, nc, 1000, &ess) ||
        genc_diag_rhat(ctx, buf, nc, 1000, &rhat))
      return 1;
    min_ess = fmin(min_ess, ess), max_rhat = fmax(max_rhat, rhat);
  }
  char name[32];
  snprintf(name, sizeof name, "%dch%s%s", nc, lock ? "_lockstep" : "", simd ? "_simd" : "");
  if (dir && write_draws(dir, name, seed, r, nc, secs)) return 1;
  for (int c = 0; c < nc; c++) {
    for (int s = 0; s < 1000; s++)
      leap += (double)r[c].stats[s].n_leapfrog / (1000.0 * nc), div += r[c].stats[s].divergent;
    genc_nuts_result_clear(&r[c]);
  }
  printf("B4 NUTS %-22s: %.3f s CPU (wall %.3f), min bulk ESS %.0f, %.0f min-ESS/s, max rhat "
         "%.4f, mean leapfrog %.1f, divergences %lld\n",
         name, secs, wall, min_ess, min_ess / secs, max_rhat, leap, (long long)div);
  free(buf);
  return 0;
}

int main(int argc, char **argv) {
  uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
  genc_ctx *ctx = genc_ctx_new(NULL, NULL);
  data *d = malloc(sizeof *d);
  if (!ctx || !d) return 1;
  make_data(d);
  const char *dir = argc > 2 ? argv[2] : NULL;
  int sum_y = 0;
  for (int i = 0; i < N; i++)
    sum_y += d->y[i];
  printf("B4 data: sum(y) = %d\n", sum_y);
  int rc = 0;
  for (int simd = 0; simd < 2 && !rc && !getenv("B4_MODEL_ONLY"); simd++)
    rc = run(ctx, d, 1, 0, simd, seed, dir) || run(ctx, d, 4, 0, simd, seed, dir) ||
         run(ctx, d, 4, 1, simd, seed, dir);
  if (!rc && !getenv("B4_NO_MODEL")) rc = run_model(ctx, d, seed, dir);
  if (rc) fprintf(stderr, "bench_nuts: %s\n", genc_ctx_error(ctx));
  free(d);
  genc_ctx_free(ctx);
  return rc;
}
