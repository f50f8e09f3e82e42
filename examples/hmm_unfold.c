/*
 * A hidden Markov model written with Unfold, filtered by a bootstrap particle
 * filter, checked against the exact forward algorithm.
 *
 *   z/t ~ Categorical(A[z/(t-1)]) (z/(-1) = 0);  y/t ~ Normal(mu[z/t], 1),  t < T = 30
 *
 * with 3 states (sticky transitions A, emission means -2, 0, 2). The step is
 * one small generative function (the kernel); genc_unfold() threads the state
 * through T steps, step t's choices at "t/z" and "t/y". The filter keeps one
 * batched trace of N particles: generate with T = 1 and the constraint 0/y,
 * then genc_gf_update to T + 1 steps (argument diff genc_intdiff(1)) with the
 * constraint t/y. Unfold skips the unchanged prefix, so each extension runs the
 * kernel once: the whole filter is O(T) kernel work. The update draws z/t from
 * the prior (the bootstrap proposal) and its weight is log p(y/t | z/t);
 * systematic resampling picks the particles genc_trace_take keeps.
 *
 * Checked: the log marginal likelihood log p(y/0..y/29) and the filtering
 * posterior of the last state P(z/29 = k | y), against the forward algorithm.
 * The data are simulated from the model itself with a fixed seed.
 * GENC_DEVICE=cuda runs it on the GPU, unchanged.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "genc.h"

#define T 30
#define S 3
#define NPART 1000
#define R 20

static const double A[S][S] = {{0.8, 0.1, 0.1}, {0.1, 0.8, 0.1}, {0.15, 0.15, 0.7}};
static const double MU[S] = {-2.0, 0.0, 2.0};

/* One step: kernel(t, state) -> the new state. The row A[state] is picked per
 * particle with genc_where (the state is batched over the particles). */
static genc_array *hmm_step(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *s = args[1], *row[S], *mu[S];
  for (int i = 0; i < S; i++) {
    double lr[S];
    for (int j = 0; j < S; j++)
      lr[j] = log(A[i][j]);
    row[i] = genc_array_vec(ctx, S, lr);
    mu[i] = genc_scalar(ctx, MU[i]);
  }
  genc_array *logits = genc_where(ctx, genc_eq(ctx, s, 0), row[0],
                                  genc_where(ctx, genc_eq(ctx, s, 1), row[1], row[2]));
  genc_array *z = GENC_TRACE(rt, "z", genc_categorical(ctx, logits));
  genc_array *m =
      genc_where(ctx, genc_eq(ctx, z, 0), mu[0], genc_where(ctx, genc_eq(ctx, z, 1), mu[1], mu[2]));
  GENC_TRACE(rt, "y", genc_normal(ctx, m, 1.0));
  return z;
}

static double normal_pdf(double y, double m) {
  return exp(-0.5 * (y - m) * (y - m)) / sqrt(2 * M_PI);
}

/* The forward algorithm, normalized each step: log p(y) and P(z/(T-1) | y). */
static double forward(const double *y, double *last) {
  double a[S], lz = 0;
  for (int j = 0; j < S; j++)
    a[j] = A[0][j] * normal_pdf(y[0], MU[j]);
  for (int t = 0;; t++) {
    double c = a[0] + a[1] + a[2];
    lz += log(c);
    for (int j = 0; j < S; j++)
      a[j] /= c;
    if (t == T - 1) break;
    double b[S];
    for (int j = 0; j < S; j++) {
      b[j] = 0;
      for (int i = 0; i < S; i++)
        b[j] += a[i] * A[i][j];
      b[j] *= normal_pdf(y[t + 1], MU[j]);
    }
    for (int j = 0; j < S; j++)
      a[j] = b[j];
  }
  for (int j = 0; j < S; j++)
    last[j] = a[j];
  return lz;
}

/* Systematic resampling: N evenly spaced points (u + j) / N against the
 * cumulative weights. */
static void systematic(const double *w, int n, double u, int32_t *idx) {
  double sum = 0, c = 0;
  for (int i = 0; i < n; i++)
    sum += w[i];
  int i = 0;
  for (int j = 0; j < n; j++) {
    double point = (u + j) / n * sum;
    while (i < n - 1 && c + w[i] < point)
      c += w[i++];
    idx[j] = i;
  }
}

/* The arguments of the Unfold for @p steps steps: (T, initial state 0). */
static void unfold_args(genc_ctx *ctx, int steps, genc_array **args) {
  int32_t zero = 0;
  args[0] = genc_scalar(ctx, (double)steps);
  args[1] = genc_array_from(ctx, GENC_I32, 0, NULL, 0, &zero);
}

/* Step t of the filter: extend tr (NULL at t = 0) by one step constrained to
 * y[t]; the incremental log weights go to w. Returns the new trace. */
static genc_trace *extend(genc_ctx *ctx, genc_gf *hmm, genc_trace *tr, int t, double yt,
                          genc_key key, double *w) {
  genc_choicemap *obs = genc_choicemap_new(ctx);
  genc_choicemap_set_path(ctx, obs, GENC_PATH(genc_idx(t), GENC_SYM("y")), genc_scalar(ctx, yt));
  genc_array *args[2], *lw = NULL;
  unfold_args(ctx, t + 1, args);
  genc_trace *next;
  if (t == 0) {
    next = genc_gf_generate(ctx, hmm, args, obs, key, NPART, &lw);
  } else {
    genc_argdiff d[2] = {genc_intdiff(1), genc_nochange()}; /* one more step */
    next = genc_gf_update(ctx, tr, args, d, obs, key, &lw, NULL);
  }
  genc_choicemap_free(obs);
  if (next && genc_array_copy_out(ctx, lw, w, NPART)) {
    genc_trace_release(next);
    return NULL;
  }
  return next;
}

/* One filter: returns log Z-hat (NAN on error) and the weighted estimate of
 * P(z/(T-1) = k | y) in post. Resampled after every step but the last, so log
 * Z-hat = sum over steps of log(mean incremental weight). */
static double particle_filter(genc_ctx *ctx, genc_gf *hmm, const double *y, genc_key key,
                              double *post) {
  double w[NPART], z[NPART], lz = 0;
  int32_t idx[NPART];
  int64_t np = NPART;
  genc_trace *tr = NULL;
  for (int t = 0; t < T; t++) {
    int64_t mark = genc_scope_begin(ctx); /* one scope per step: memory stays flat */
    genc_key k[2];
    genc_key_split(genc_key_fold_in(key, (uint64_t)t), 2, k);
    genc_trace *next = extend(ctx, hmm, tr, t, y[t], k[0], w);
    genc_trace_release(tr);
    tr = next;
    double mx = -INFINITY, sw = 0;
    for (int i = 0; tr && i < NPART; i++)
      mx = fmax(mx, w[i]);
    for (int i = 0; tr && i < NPART; i++)
      sw += w[i] = exp(w[i] - mx);
    lz += mx + log(sw / NPART);
    if (tr && t < T - 1) {
      double u = genc_array_to_double(ctx, genc_random_uniform(ctx, k[1], GENC_F64, 0, NULL, 0));
      systematic(w, NPART, u, idx);
      genc_trace *kept = genc_trace_take(ctx, tr, genc_array_from(ctx, GENC_I32, 1, &np, 0, idx));
      genc_trace_release(tr);
      tr = kept;
    }
    genc_scope_end(ctx, mark); /* the trace retains what it holds */
    if (!tr) return NAN;
  }
  char last[16];
  snprintf(last, sizeof last, "%d/z", T - 1);
  genc_status st = genc_trace_copy_out(ctx, tr, last, z, NPART);
  genc_trace_release(tr);
  if (st) return NAN;
  double sw = 0;
  for (int k = 0; k < S; k++)
    post[k] = 0;
  for (int i = 0; i < NPART; i++)
    post[(int)z[i]] += w[i], sw += w[i];
  for (int k = 0; k < S; k++)
    post[k] /= sw;
  return lz;
}

/* Mean and standard error of x[0..R) (stride @p stride). */
static void mean_se(const double *x, int stride, double *m, double *se) {
  double s = 0, v = 0;
  for (int r = 0; r < R; r++)
    s += x[r * stride];
  *m = s / R;
  for (int r = 0; r < R; r++)
    v += (x[r * stride] - *m) * (x[r * stride] - *m) / (R - 1);
  *se = sqrt(v / R);
}

int main(void) {
  genc_ctx *ctx = genc_ctx_new_env(NULL);
  if (!ctx) {
    fprintf(stderr, "%s\n", genc_ctx_new_error());
    return 1;
  }
  genc_gf *step = genc_gf_dynamic("hmm_step", hmm_step, 2, NULL);
  genc_gf *hmm = genc_unfold(step);

  /* the data: one simulation of the model, read back at t/y */
  double y[T];
  genc_array *args[2];
  unfold_args(ctx, T, args);
  genc_trace *sim = genc_gf_simulate(ctx, hmm, args, genc_key_from_seed(30), 0);
  for (int t = 0; t < T && sim; t++) {
    char path[16];
    snprintf(path, sizeof path, "%d/y", t);
    y[t] = genc_trace_get_double(ctx, sim, path);
  }
  genc_trace_release(sim);
  if (!sim || genc_ctx_status(ctx)) {
    fprintf(stderr, "hmm_unfold: %s\n", genc_ctx_error(ctx));
    return 1;
  }

  /* R independent filters (independent keys) */
  double lz[R], post[R][S], exact_post[S], exact = forward(y, exact_post);
  genc_key key = genc_key_from_seed(2027);
  for (int r = 0; r < R; r++) {
    lz[r] = particle_filter(ctx, hmm, y, genc_key_fold_in(key, (uint64_t)r), post[r]);
    if (isnan(lz[r])) {
      fprintf(stderr, "hmm_unfold: %s\n", genc_ctx_error(ctx));
      return 1;
    }
  }
  /* Each check: the mean of the R independent estimates against the exact
   * value within 4 SE (SE = their sample sd / sqrt(R)). log Z-hat is biased
   * down by about var(log Z-hat) / 2 (Jensen) and the self-normalized
   * posterior by O(1/N); both are far inside 4 SE at N = 1000. */
  bool ok = true;
  printf("hidden Markov model with Unfold, bootstrap particle filter on the %s: T = %d, "
         "%d states, N = %d particles, %d filters\n",
         genc_ctx_device(ctx) == GENC_CUDA ? "GPU" : "CPU", T, S, NPART, R);
  printf("                      estimate      exact   tolerance (4 SE)\n");
  for (int i = 0; i <= S; i++) {
    double m, se, target = i == 0 ? exact : exact_post[i - 1];
    if (i == 0)
      mean_se(lz, 1, &m, &se);
    else
      mean_se(&post[0][i - 1], S, &m, &se);
    double tol = fmax(4 * se, 2e-3); /* floor: a state every filter gives ~0 */
    bool good = fabs(m - target) < tol;
    ok = ok && good;
    char name[32];
    if (i == 0)
      snprintf(name, sizeof name, "log p(y)");
    else
      snprintf(name, sizeof name, "P(z/%d = %d | y)", T - 1, i - 1);
    printf("%-19s %10.4f %10.4f   %9.4f %s\n", name, m, target, tol, good ? "ok" : "FAILED");
  }
  printf("check against the forward algorithm: %s\n", ok ? "ok" : "FAILED");

  genc_gf_release(hmm);
  genc_gf_release(step);
  genc_ctx_free(ctx);
  return ok ? 0 : 1;
}
