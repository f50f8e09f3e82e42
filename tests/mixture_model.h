/*
 * The two-component Gaussian mixture of the gradient-kernel tests
 * (test_infer_hmc_kernel.c, test_infer_nuts_kernel.c):
 *
 *   mu/0 ~ N(-2, 1),  mu/1 ~ N(2, 1),  z/i ~ Categorical(1/2, 1/2),
 *   y/i ~ N(mu/z_i, 1),  i < 5,
 *
 * a Gibbs sweep over the assignments, the exact posterior moments of the
 * means by enumerating the 2^5 assignments, and the check of NC chains
 * against them (within 4 MCSE from the chains' ESS, R-hat < 1.01).
 */
#ifndef GENC_TEST_MIXTURE_MODEL_H
#define GENC_TEST_MIXTURE_MODEL_H

#include "testutil.h"

enum { NY = 5, NC = 8 };
static const double ys[NY] = {-2.4, -1.5, 0.2, 1.8, 2.6}, m0[2] = {-2.0, 2.0};

static genc_array *mix(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu0 = GENC_TRACE_AT(rt, "mu", 0, genc_normal(ctx, m0[0], 1.0));
  genc_array *mu1 = GENC_TRACE_AT(rt, "mu", 1, genc_normal(ctx, m0[1], 1.0));
  double lw[2] = {log(0.5), log(0.5)};
  genc_array *logits = genc_array_vec(ctx, 2, lw), *z = NULL;
  for (int i = 0; i < NY; i++) {
    z = GENC_TRACE_AT(rt, "z", i, genc_categorical(ctx, logits));
    GENC_TRACE_AT(rt, "y", i,
                  genc_normal(ctx, genc_where(ctx, genc_eq(ctx, z, 0.0), mu0, mu1), 1.0));
  }
  return z;
}

static const char *zaddr[NY] = {"z/0", "z/1", "z/2", "z/3", "z/4"};
static const double zvals[2] = {0, 1};

static genc_trace *gibbs_z(genc_ctx *ctx, const genc_trace *t, genc_key key, int64_t step,
                           genc_array **acc, genc_array **prop, void *user) {
  (void)step, (void)acc, (void)prop, (void)user;
  genc_trace *cur = genc_trace_retain((genc_trace *)t);
  for (int i = 0; cur && i < NY; i++) {
    genc_enum_var v = {zaddr[i], 2, zvals};
    genc_trace *u = genc_gibbs(ctx, cur, &v, genc_key_fold_in(key, (uint64_t)i));
    genc_trace_release(cur);
    cur = u;
  }
  return cur;
}

/* Exact E[mu_k] and E[mu_k^2] by enumerating the assignments. */
static void exact_moments(double mean[2], double sq[2]) {
  double lw[1 << NY], m[1 << NY][2], v[1 << NY][2], top = -INFINITY, tot = 0;
  for (int a = 0; a < (1 << NY); a++) {
    lw[a] = 0;
    for (int k = 0; k < 2; k++) {
      double n = 0, s = 0, ss = 0;
      for (int i = 0; i < NY; i++)
        if (((a >> i) & 1) == k) n++, s += ys[i] - m0[k], ss += (ys[i] - m0[k]) * (ys[i] - m0[k]);
      /* y_k ~ N(m0 1, I + 1 1'): det 1 + n, inverse I - 1 1' / (1 + n) */
      lw[a] += -0.5 * log(1 + n) - 0.5 * (ss - s * s / (1 + n));
      v[a][k] = 1 / (1 + n);
      m[a][k] = m0[k] + s * v[a][k];
    }
    top = fmax(top, lw[a]);
  }
  mean[0] = mean[1] = sq[0] = sq[1] = 0;
  for (int a = 0; a < (1 << NY); a++)
    tot += exp(lw[a] - top);
  for (int a = 0; a < (1 << NY); a++)
    for (int k = 0; k < 2; k++) {
      double w = exp(lw[a] - top) / tot;
      mean[k] += w * m[a][k];
      sq[k] += w * (v[a][k] + m[a][k] * m[a][k]);
    }
}

static genc_choicemap *observations(genc_ctx *ctx) {
  genc_choicemap *obs = genc_choicemap_new(ctx);
  for (int i = 0; i < NY; i++) {
    char b[16];
    snprintf(b, sizeof b, "y/%d", i);
    genc_choicemap_set_str(ctx, obs, b, genc_scalar(ctx, ys[i]));
  }
  return obs;
}

static void check_within(genc_ctx *ctx, const double *v, int64_t n, double want, const char *what,
                         int k) {
  char name[48];
  double rhat;
  snprintf(name, sizeof name, "%s mu/%d", what, k);
  t_within_mcse(ctx, v, NC, n, want, 4, name);
  T_OK(ctx, !genc_diag_rhat(ctx, v, NC, n, &rhat));
  if (!(rhat < 1.01)) fail_msg("%s: rhat %g", name, rhat);
}

#endif
