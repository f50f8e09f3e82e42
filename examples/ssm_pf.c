/*
 * A bootstrap particle filter written by hand on the GFI, for a linear-Gaussian
 * state-space model:
 *
 *   x/0 ~ Normal(0, 1);  x/t ~ Normal(0.9 x/(t-1), 1);  y/t ~ Normal(x/t, 0.5),  t < T
 *
 * The model takes the number of steps T as a host argument (GENC_ARGS(ctx, T),
 * read with genc_rt_arg_int). The filter keeps one batched trace of N particles:
 * generate with T = 1 and the constraint y/0, then genc_gf_update to T + 1 with
 * the new constraint y/T. The update draws x/T from the prior (the bootstrap
 * proposal) and its weight is log p(y/T | x/T), the incremental importance
 * weight. After each step the weights are copied to the host, the log marginal
 * likelihood estimate gains log(mean weight), and systematic resampling picks
 * the particles that genc_trace_take keeps.
 *
 * The estimate of log p(y/0..y/24) is checked against a Kalman filter. The data
 * are simulated from the model itself with a fixed seed. GENC_DEVICE=cuda runs
 * it on the GPU, unchanged.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "genc.h"

#define T 25
#define NPART 1000

static genc_array *ssm(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  int64_t steps = genc_rt_arg_int(rt, 0);
  genc_array *x = NULL;
  for (int64_t t = 0; t < steps; t++) {
    genc_dist prior =
        t == 0 ? genc_normal(ctx, 0.0, 1.0) : genc_normal(ctx, genc_mul(ctx, x, 0.9), 1.0);
    x = GENC_TRACE_AT(rt, "x", t, prior);
    GENC_TRACE_AT(rt, "y", t, genc_normal(ctx, x, 0.5));
  }
  return x;
}

/* log p(y_0..y_{T-1}) by the Kalman filter: predict, add the log density of
 * y_t under the predictive Normal(m, sqrt(P + 0.25)), correct. */
static double kalman_log_z(const double *y) {
  double m = 0, P = 1, lz = 0;
  for (int t = 0; t < T; t++) {
    if (t > 0) m = 0.9 * m, P = 0.81 * P + 1;
    double S = P + 0.25, K = P / S, e = y[t] - m;
    lz += -0.5 * log(2 * M_PI * S) - 0.5 * e * e / S;
    m += K * e, P *= 1 - K;
  }
  return lz;
}

/* Systematic resampling: N evenly spaced points (u + j) / N, one uniform u,
 * against the cumulative normalized weights. */
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

/* One filter run; returns the estimate of log p(y) (NAN on error). The
 * particles are resampled after every step, so every step starts with equal
 * weights and log Z-hat = sum over steps of log(mean incremental weight). */
static double particle_filter(genc_ctx *ctx, genc_gf *gf, const double *y, genc_key key) {
  double w[NPART], lz = 0;
  int32_t idx[NPART];
  int64_t np = NPART;
  genc_trace *tr = NULL;
  for (int t = 0; t < T; t++) {
    int64_t mark = genc_scope_begin(ctx); /* one scope per step: memory stays flat */
    genc_key k[2];
    genc_key_split(genc_key_fold_in(key, (uint64_t)t), 2, k);
    genc_choicemap *obs = genc_choicemap_new(ctx);
    genc_choicemap_set_path(ctx, obs, GENC_PATH(GENC_SYM("y"), genc_idx(t)),
                            genc_scalar(ctx, y[t]));
    genc_array *lw = NULL;
    genc_trace *next;
    if (t == 0) {
      next = genc_gf_generate(ctx, gf, GENC_ARGS(ctx, 1), obs, k[0], np, &lw);
    } else {
      genc_argdiff d = genc_intdiff(1); /* the argument T grew by one */
      next = genc_gf_update(ctx, tr, GENC_ARGS(ctx, t + 1), &d, obs, k[0], &lw, NULL);
    }
    genc_choicemap_free(obs);
    genc_trace_release(tr);
    tr = next;
    if (!tr || genc_array_copy_out(ctx, lw, w, np)) {
      genc_scope_end(ctx, mark);
      genc_trace_release(tr);
      return NAN;
    }
    double mx = -INFINITY, sw = 0;
    for (int i = 0; i < NPART; i++)
      mx = fmax(mx, w[i]);
    for (int i = 0; i < NPART; i++)
      sw += w[i] = exp(w[i] - mx);
    lz += mx + log(sw / NPART);
    if (t < T - 1) {
      double u = genc_value_double(ctx, genc_random_uniform(ctx, k[1], GENC_F64, 0, NULL, 0));
      systematic(w, NPART, u, idx);
      genc_trace *kept = genc_trace_take(ctx, tr, genc_array_from(ctx, GENC_I32, 1, &np, 0, idx));
      genc_trace_release(tr);
      tr = kept;
    }
    genc_scope_end(ctx, mark); /* the trace retains what it holds */
    if (!tr) return NAN;
  }
  genc_trace_release(tr);
  return lz;
}

int main(void) {
  enum { R = 40 };
  genc_ctx *ctx = genc_ctx_new_env(NULL);
  if (!ctx) {
    fprintf(stderr, "%s\n", genc_ctx_new_error());
    return 1;
  }
  genc_gf *gf = genc_gf_dynamic("ssm", ssm, 1, NULL);

  /* the data: one simulation of the model, read back at y/0 ... y/24 */
  double y[T];
  genc_trace *sim = genc_gf_simulate(ctx, gf, GENC_ARGS(ctx, T), genc_key_from_seed(25), 0);
  for (int t = 0; t < T && sim; t++) {
    char path[16];
    snprintf(path, sizeof path, "y/%d", t);
    y[t] = genc_trace_get_double(ctx, sim, path);
  }
  genc_trace_release(sim);
  if (!sim || genc_ctx_status(ctx)) {
    fprintf(stderr, "ssm_pf: %s\n", genc_ctx_error(ctx));
    return 1;
  }

  /* R independent filters (independent keys) */
  double lz[R], exact = kalman_log_z(y);
  genc_key key = genc_key_from_seed(2025);
  for (int r = 0; r < R; r++) {
    lz[r] = particle_filter(ctx, gf, y, genc_key_fold_in(key, (uint64_t)r));
    if (isnan(lz[r])) {
      fprintf(stderr, "ssm_pf: %s\n", genc_ctx_error(ctx));
      return 1;
    }
  }
  /* Z-hat is unbiased for Z, so Z-hat / Z has mean exactly 1; log Z-hat has a
   * small downward bias (about var(log Z-hat) / 2 by Jensen's inequality). The
   * check uses both: the mean of log Z-hat against the Kalman value, and the
   * mean of Z-hat / Z against 1, each within 4 SE of the R independent
   * estimates (SE = their sample sd / sqrt(R)); the bias of the first is
   * printed and stays well inside its tolerance. */
  double ml = 0, mr = 0, vl = 0, vr = 0, ratio[R];
  for (int r = 0; r < R; r++) {
    ratio[r] = exp(lz[r] - exact);
    ml += lz[r] / R, mr += ratio[r] / R;
  }
  for (int r = 0; r < R; r++)
    vl += (lz[r] - ml) * (lz[r] - ml) / (R - 1), vr += (ratio[r] - mr) * (ratio[r] - mr) / (R - 1);
  double est[2] = {ml, mr}, target[2] = {exact, 1}, tol[2] = {4 * sqrt(vl / R), 4 * sqrt(vr / R)};

  bool ok = true;
  printf("state-space model, bootstrap particle filter on the %s: T = %d, N = %d particles, "
         "%d filters\n",
         genc_ctx_device(ctx) == GENC_CUDA ? "GPU" : "CPU", T, NPART, R);
  printf("                  estimate      exact   tolerance (4 SE)\n");
  const char *names[2] = {"mean log Z-hat", "mean Z-hat / Z"};
  for (int i = 0; i < 2; i++) {
    bool good = fabs(est[i] - target[i]) < tol[i];
    ok = ok && good;
    printf("%-15s %10.4f %10.4f   %9.4f %s\n", names[i], est[i], target[i], tol[i],
           good ? "ok" : "FAILED");
  }
  printf("sd of log Z-hat %.4f (expected bias of its mean about -%.4f)\n", sqrt(vl), vl / 2);
  printf("check against the Kalman filter: %s\n", ok ? "ok" : "FAILED");

  genc_gf_release(gf);
  genc_ctx_free(ctx);
  return ok ? 0 : 1;
}
