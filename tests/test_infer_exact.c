/* Every sampler against closed forms (issue 10's exactness matrix): MH,
 * MALA, static HMC and NUTS on four posteriors with known moments,
 * normal-normal, beta-Bernoulli, gamma-Poisson and a 10-dimensional
 * correlated Gaussian.
 *
 * Tolerances. The gradient samplers run one chain; the posterior mean of a
 * coordinate is checked within 4 MCSE, the MCSE from the draws' own bulk ESS
 * (genc_diag_mcse_mean), and its variance as the mean of (x - m)^2, within 4
 * MCSE of those products. MH runs C = 1000 independent chains (one batched
 * trace) from one fixed start for K steps, K several times the chains' mixing
 * time, and checks the C final states, independent draws: the mean within
 * 4 sd / sqrt(C), the variance within 4 SE of a sample variance,
 * var sqrt(2 / (C - 1)) (Gaussian; the targets here are near enough, the
 * beta's and gamma's excess kurtosis adds under 25% at these shapes, so the
 * bound is widened by that factor). Static HMC on the 1-D targets sits
 * nearer its bounds than the others at the committed seed (up to 3.1 SE);
 * seeds 101-106 gave |z| <= 1.9 on all six of its 1-D checks, so that is
 * luck, not bias. */
#include "testutil.h"

#define DIM10 10
#define RHO 0.8

/* mu ~ N(0, 2); y_i ~ N(mu, 1): posterior precision 1/4 + 5, mean sum(y) / 5.25 */
static const double nn_y[5] = {0.3, -1.2, 2.1, 0.8, 1.5};
static genc_array *m_nn(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, 0.0, 2.0));
  for (int i = 0; i < 5; i++)
    GENC_TRACE_AT(rt, "y", i, genc_normal(ctx, mu, 1.0));
  return mu;
}

/* p ~ Beta(2, 3); x_i ~ Bernoulli(p), 7 ones in 10: posterior Beta(9, 6) */
static genc_array *m_bb(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *p = GENC_TRACE(rt, "p", genc_beta(ctx, 2.0, 3.0));
  for (int i = 0; i < 10; i++)
    GENC_TRACE_AT(rt, "x", i, genc_bernoulli(ctx, p));
  return p;
}

/* lambda ~ Gamma(2, rate 1); y_i ~ Poisson(lambda): posterior Gamma(17, 6) */
static const int gp_y[5] = {3, 1, 4, 2, 5};
static genc_array *m_gp(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *l = GENC_TRACE(rt, "lambda", genc_gamma(ctx, 2.0, 1.0));
  for (int i = 0; i < 5; i++)
    GENC_TRACE_AT(rt, "y", i, genc_poisson(ctx, l));
  return l;
}

/* x ~ N(m, S), S_ij = RHO^|i-j|, m_i = i / 4: the target itself */
static double g_mean[DIM10], g_cov[DIM10 * DIM10];
static genc_array *m_g10(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  return GENC_TRACE(rt, "x",
                    genc_mvnormal(ctx, genc_array_vec(ctx, DIM10, g_mean),
                                  genc_array_mat(ctx, DIM10, DIM10, g_cov)));
}

/* Random walk on the whole choice at addr with scale *(double *)u[1]. */
typedef struct walk {
  const char *addr;
  double scale;
} walk;
static genc_array *q_walk(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args;
  const walk *w = u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = genc_trace_get_path(ctx, genc_rt_from(rt), w->addr);
  return genc_rt_trace_str(rt, w->addr,
                           genc_broadcasted_normal(ctx, x, genc_scalar(ctx, w->scale)));
}

typedef struct target {
  const char *name;
  genc_model_fn fn;
  const char *addr; /* the one latent choice */
  int dim;
  const double *mean, *var; /* exact posterior moments, dim each */
  double walk;              /* MH: random-walk scale; 0: regenerate from the prior */
  double start;             /* MH: every chain starts here */
  int64_t mh_steps;
} target;

static double nn_m[1] = {3.5 / 5.25}, nn_v[1] = {1 / 5.25};
static double bb_m[1] = {0.6}, bb_v[1] = {54.0 / 3600.0};
static double gp_m[1] = {17.0 / 6.0}, gp_v[1] = {17.0 / 36.0};
static double g_var[DIM10];

static genc_choicemap *observations(genc_ctx *ctx, const target *tg) {
  genc_choicemap *cm = genc_choicemap_new(ctx);
  char b[32];
  for (int i = 0; i < 10 && tg->fn != m_g10; i++) {
    double v = tg->fn == m_nn   ? (i < 5 ? nn_y[i] : NAN)
               : tg->fn == m_bb ? (i < 7)
                                : (i < 5 ? gp_y[i] : NAN);
    if (isnan(v)) break;
    snprintf(b, sizeof b, "%s/%d", tg->fn == m_bb ? "x" : "y", i);
    T_OK(ctx, !genc_choicemap_set_str(ctx, cm, b, genc_scalar(ctx, v)));
  }
  return cm;
}

/* MH's final states are independent draws: got within 4 standard errors se. */
static void check_within(const char *what, double got, double want, double se) {
  print_message("%s: %.5f, exact %.5f, se %.5f (%.1f SE)\n", what, got, want, se,
                (got - want) / se);
  if (!(fabs(got - want) <= 4 * se)) fail_msg("%s: %g, expected %g (se %g)", what, got, want, se);
}

/* One chain's draws [n][dim] (constrained), checked coordinate by coordinate. */
static void check_chain(genc_ctx *ctx, const char *who, const target *tg, const double *draws,
                        int64_t n) {
  double *col = malloc((size_t)n * sizeof *col);
  char what[96];
  for (int j = 0; j < tg->dim; j++) {
    for (int64_t t = 0; t < n; t++)
      col[t] = draws[t * tg->dim + j];
    snprintf(what, sizeof what, "%s %s mean[%d]", who, tg->name, j);
    t_within_mcse(ctx, col, 1, n, tg->mean[j], 4, what);
    for (int64_t t = 0; t < n; t++)
      col[t] = (col[t] - tg->mean[j]) * (col[t] - tg->mean[j]);
    snprintf(what, sizeof what, "%s %s var[%d]", who, tg->name, j);
    t_within_mcse(ctx, col, 1, n, tg->var[j], 4, what);
  }
  free(col);
}

typedef struct problem {
  genc_gf *gf;
  genc_choicemap *obs;
  genc_trace *t;
  genc_logdensity *ld;
} problem;

static problem make(genc_ctx *ctx, const target *tg) {
  problem p = {.gf = genc_gf_dynamic(tg->name, tg->fn, 0, NULL)};
  p.obs = observations(ctx, tg);
  p.t = genc_gf_generate(ctx, p.gf, NULL, p.obs, genc_key_from_seed(2), 0, NULL);
  T_OK(ctx, p.t);
  const char *a[] = {tg->addr};
  p.ld = genc_logdensity_new(ctx, p.gf, NULL, p.obs, 1, a, p.t);
  T_OK(ctx, p.ld);
  return p;
}

static void unmake(problem *p) {
  genc_logdensity_free(p->ld);
  genc_choicemap_free(p->obs);
  genc_trace_release(p->t);
  genc_gf_release(p->gf);
}

/* Unconstrained draws [n][dim] to the constrained space, in place. */
static void constrain(genc_ctx *ctx, const problem *p, double *draws, int64_t n, int dim) {
  double *tmp = malloc((size_t)dim * sizeof *tmp);
  for (int64_t s = 0; s < n; s++) {
    T_OK(ctx, !genc_logdensity_constrain(ctx, p->ld, draws + s * dim, tmp, NULL));
    memcpy(draws + s * dim, tmp, (size_t)dim * sizeof *tmp);
  }
  free(tmp);
}

static void run_gradient(genc_ctx *ctx, const target *tg, int which) {
  static const char *names[] = {"MALA", "HMC", "NUTS"};
  problem p = make(ctx, tg);
  double init[DIM10];
  T_OK(ctx, !genc_logdensity_unconstrain(ctx, p.ld, p.t, init));
  genc_key key = genc_key_from_seed(100 + (uint64_t)which);
  double *draws;
  int64_t n;
  genc_hmc_result hr = {0};
  genc_nuts_result nr = {0};
  if (which < 2) {
    genc_hmc_options o = genc_hmc_options_default();
    o.warmup = 500;
    o.samples = which == 0 ? 4000 : 2000;
    o.nleapfrog = 8;
    genc_status st = which == 0 ? genc_mala(ctx, p.ld, init, &o, key, &hr)
                                : genc_hmc(ctx, p.ld, init, &o, key, &hr);
    if (st) fail_msg("%s", genc_ctx_error(ctx));
    draws = hr.draws, n = hr.ndraws;
  } else {
    genc_nuts_opts o = {.warmup = 500, .samples = 2000, .key = key, .init = init};
    if (genc_nuts_model(ctx, p.ld, &o, &nr)) fail_msg("%s", genc_ctx_error(ctx));
    draws = nr.draws, n = nr.samples;
  }
  constrain(ctx, &p, draws, n, tg->dim);
  check_chain(ctx, names[which], tg, draws, n);
  genc_hmc_result_clear(&hr);
  genc_nuts_result_clear(&nr);
  unmake(&p);
}

static void run_mh(genc_ctx *ctx, const target *tg) {
  const int64_t C = 1000;
  int64_t mark = genc_scope_begin(ctx);
  problem p = make(ctx, tg);
  genc_choicemap *init = genc_choicemap_copy(ctx, p.obs);
  double start[DIM10];
  for (int j = 0; j < tg->dim; j++)
    start[j] = tg->start;
  genc_array *x0 = tg->dim == 1 ? genc_scalar(ctx, start[0]) : genc_array_vec(ctx, tg->dim, start);
  T_OK(ctx, !genc_choicemap_set_str(ctx, init, tg->addr, x0));
  genc_trace *t0 = genc_gf_generate(ctx, p.gf, NULL, init, genc_key_from_seed(3), C, NULL);
  T_OK(ctx, t0);
  walk w = {tg->addr, tg->walk};
  genc_gf *q = genc_gf_dynamic("walk", q_walk, 0, &w);
  genc_kernel *k;
  if (tg->walk > 0) {
    k = genc_kernel_mh_proposal(q, NULL);
  } else {
    genc_selection *s = genc_selection_new(ctx);
    T_OK(ctx, !genc_selection_add_str(ctx, s, tg->addr));
    k = genc_kernel_mh_select(s);
    genc_selection_release(s);
  }
  genc_trace *t = genc_mcmc_run(
      ctx, k, t0, &(genc_mcmc_opts){.samples = tg->mh_steps, .key = genc_key_from_seed(4)});
  T_OK(ctx, t);
  double *fin = malloc((size_t)(C * tg->dim) * sizeof *fin);
  T_OK(ctx, !genc_trace_copy_out(ctx, t, tg->addr, fin, C * tg->dim));
  for (int j = 0; j < tg->dim; j++) {
    double s1 = 0, s2 = 0;
    for (int64_t c = 0; c < C; c++)
      s1 += fin[c * tg->dim + j];
    double m = s1 / (double)C;
    for (int64_t c = 0; c < C; c++)
      s2 += (fin[c * tg->dim + j] - m) * (fin[c * tg->dim + j] - m);
    double v = s2 / (double)(C - 1), sd = sqrt(tg->var[j]);
    char what[96];
    snprintf(what, sizeof what, "MH %s mean[%d]", tg->name, j);
    check_within(what, m, tg->mean[j], sd / sqrt((double)C));
    snprintf(what, sizeof what, "MH %s var[%d]", tg->name, j);
    check_within(what, v, tg->var[j], 1.25 * tg->var[j] * sqrt(2.0 / (double)(C - 1)));
  }
  free(fin);
  genc_kernel_release(k);
  genc_gf_release(q);
  genc_trace_release(t), genc_trace_release(t0);
  genc_choicemap_free(init);
  unmake(&p);
  genc_scope_end(ctx, mark);
}

static const target targets[4] = {
    {"normal-normal", m_nn, "mu", 1, nn_m, nn_v, 0.8, 3.0, 200},
    {"beta-bernoulli", m_bb, "p", 1, bb_m, bb_v, 0, 0.05, 100},
    {"gamma-poisson", m_gp, "lambda", 1, gp_m, gp_v, 0, 10.0, 100},
    /* mixing along the top eigenvector (variance ~ 8) with steps of ~0.25
     * takes ~ (2.8 / 0.25)^2 ~ 130 steps per unit: 2000 is many times that */
    {"gauss10", m_g10, "x", DIM10, g_mean, g_var, 0.25, 2.0, 2000},
};

static void test_mh(void **state) {
  for (int i = 0; i < 4; i++)
    run_mh(*state, &targets[i]);
}
static void test_mala(void **state) {
  for (int i = 0; i < 4; i++)
    run_gradient(*state, &targets[i], 0);
}
static void test_hmc(void **state) {
  for (int i = 0; i < 4; i++)
    run_gradient(*state, &targets[i], 1);
}
static void test_nuts(void **state) {
  for (int i = 0; i < 4; i++)
    run_gradient(*state, &targets[i], 2);
}

int main(void) {
  for (int i = 0; i < DIM10; i++) {
    g_mean[i] = i / 4.0;
    g_var[i] = 1.0;
    for (int j = 0; j < DIM10; j++)
      g_cov[i * DIM10 + j] = pow(RHO, abs(i - j));
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mh),
      cmocka_unit_test(test_mala),
      cmocka_unit_test(test_hmc),
      cmocka_unit_test(test_nuts),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
