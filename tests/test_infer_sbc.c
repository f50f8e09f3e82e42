/*
 * Simulation-based calibration (Talts, Betancourt, Simpson, Vehtari and
 * Gelman 2018) of MH, HMC and NUTS on a small hierarchical model:
 *
 *   mu ~ Normal(0, 1);  tau ~ LogNormal(0, 0.5);
 *   theta/j ~ Normal(mu, tau);  y/j ~ Normal(theta/j, sigma_j),  j < 4.
 *
 * S replications draw (mu, tau, theta, y) from the prior (one batched
 * genc_gf_simulate), run the sampler on y, thin its chain to L = 19 draws
 * spaced by n / ESS (the chain's smallest bulk ESS over the ranked
 * parameters, so the L draws are about independent) and take the rank of the
 * true value among them (0..L) for mu, tau and theta/0. If the sampler draws
 * from the posterior, each rank is uniform on 0..L; the test bins the S ranks
 * of each parameter in 5 bins of 4 rank values and requires Pearson's
 * chi-square statistic (4 degrees of freedom) to stay below 18.467, its
 * 0.999 quantile: each of the 9 checks passes a correct sampler with
 * probability 0.999 (and does at these fixed seeds).
 *
 * A wrong sampler fails: MH on the model with the likelihood's scales halved
 * (an overconfident posterior pulled towards y) must exceed the critical
 * value for at least one parameter (theta/0's ranks pile up at the ends).
 *
 * MH runs all S replications as one batched trace (chain i holds
 * replication i's observations, per-particle constraints), a sweep of
 * single-site genc_mh_select() moves per iteration through genc_mcmc_run().
 * HMC (genc_hmc) and NUTS (genc_nuts_model) run one replication at a time on
 * its genc_logdensity (tau on the log scale, with its Jacobian, so the check
 * of tau covers the transform too). Under GENC_SANITIZED=1 S drops from 100
 * to 40 (8 expected per bin; chi-square still applies) to keep ASan's time
 * down; the wrong sampler still fails there.
 */
#include <stdbool.h>

#include "testutil.h"

#define J 4
#define NP 3             /* ranked parameters: mu, tau, theta/0 */
#define NLAT (2 + J)     /* latent choices */
#define L 19             /* thinned draws per replication: ranks 0..L */
#define BINS 5           /* of (L + 1) / BINS = 4 rank values each */
#define CHI2_CRIT 18.467 /* chi-square with BINS - 1 = 4 df: P(X > 18.467) = 0.001 */
#define SMAX 100

static const double sigma[J] = {1.0, 1.5, 0.8, 1.2};
static const char *const latents[NLAT] = {"mu", "tau", "theta/0", "theta/1", "theta/2", "theta/3"};
static const char *const names[NP] = {"mu", "tau", "theta/0"};

/* user: the factor on the likelihood's scales (1, or 0.5 for the wrong model) */
static genc_array *hier(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args;
  genc_ctx *ctx = genc_rt_ctx(rt);
  double f = *(const double *)user;
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, 0.0, 1.0));
  genc_array *tau = GENC_TRACE(rt, "tau", genc_lognormal(ctx, 0.0, 0.5));
  for (int j = 0; j < J; j++) {
    genc_array *theta = GENC_TRACE_AT(rt, "theta", j, genc_normal(ctx, mu, tau));
    GENC_TRACE_AT(rt, "y", j, genc_normal(ctx, theta, f * sigma[j]));
  }
  return mu;
}

static const double right_f = 1.0, wrong_f = 0.5;

/* The replications: prior draws of the ranked parameters and the data. */
typedef struct reps {
  int S;
  genc_trace *sim; /* batched prior draws, S particles */
  double truth[NP][SMAX], y[J][SMAX];
} reps;

static bool sanitized(void) {
  const char *san = getenv("GENC_SANITIZED");
  return san && *san == '1';
}

static int nreps(void) { return sanitized() ? 40 : SMAX; }

static void copy_particles(genc_ctx *ctx, const genc_trace *t, const char *addr, int S,
                           double *out) {
  genc_array *a = genc_trace_get_path(ctx, t, addr);
  T_OK(ctx, a && !genc_array_copy_out(ctx, a, out, S));
}

static reps *reps_new(genc_ctx *ctx, genc_gf *gf) {
  reps *r = calloc(1, sizeof *r);
  r->S = nreps();
  r->sim = genc_gf_simulate(ctx, gf, NULL, genc_key_from_seed(2018), r->S);
  T_OK(ctx, r->sim);
  for (int p = 0; p < NP; p++)
    copy_particles(ctx, r->sim, names[p], r->S, r->truth[p]);
  for (int j = 0; j < J; j++) {
    char a[16];
    snprintf(a, sizeof a, "y/%d", j);
    copy_particles(ctx, r->sim, a, r->S, r->y[j]);
  }
  return r;
}

static void reps_free(reps *r) {
  genc_trace_release(r->sim);
  free(r);
}

/* Replication s's ranks from its chain: draws[p][t], t < n (constrained
 * values). The spacing is n / ESS (at least 1), capped at n / L when the
 * chain is shorter than L ESS-spaced draws (returns 1 then). */
static int thin_ranks(genc_ctx *ctx, const double *const draws[NP], int64_t n,
                      const double truth[NP], int ranks[NP]) {
  double ess = INFINITY;
  for (int p = 0; p < NP; p++) {
    double e;
    T_OK(ctx, !genc_diag_ess_bulk(ctx, draws[p], 1, n, &e));
    ess = fmin(ess, isnan(e) ? 1 : e);
  }
  int64_t thin = (int64_t)ceil((double)n / fmin(ess, (double)n)), cap = n / L;
  int capped = thin > cap;
  if (capped) thin = cap;
  for (int p = 0; p < NP; p++) {
    ranks[p] = 0;
    for (int k = 0; k < L; k++)
      ranks[p] += draws[p][n - 1 - k * thin] < truth[p];
  }
  return capped;
}

/* Pearson's chi-square of the S ranks of each parameter against uniform. */
static void chi2(const int ranks[][NP], int S, double out[NP]) {
  for (int p = 0; p < NP; p++) {
    int count[BINS] = {0};
    for (int s = 0; s < S; s++)
      count[ranks[s][p] * BINS / (L + 1)]++;
    double e = (double)S / BINS, x = 0;
    for (int b = 0; b < BINS; b++)
      x += (count[b] - e) * (count[b] - e) / e;
    out[p] = x;
  }
}

static void report(const char *who, const int ranks[][NP], int S, int capped, double x[NP]) {
  chi2(ranks, S, x);
  print_message("%s: S = %d (%d chains shorter than %d ESS-spaced draws); chi-square mu %.2f, "
                "tau %.2f, theta/0 %.2f (critical %.3f)\n",
                who, S, capped, L, x[0], x[1], x[2], CHI2_CRIT);
}

static void assert_uniform(const char *who, const double x[NP]) {
  for (int p = 0; p < NP; p++)
    if (!(x[p] < CHI2_CRIT))
      fail_msg("%s: ranks of %s not uniform: chi-square %.2f >= %.3f (p < 0.001)", who, names[p],
               x[p], CHI2_CRIT);
}

/* MH on all replications at once: chain s of one batched trace holds
 * replication s's observations; a sweep regenerates each latent in turn. */
static void run_mh(genc_ctx *ctx, reps *r, genc_gf *gf, int ranks[][NP], int *capped) {
  enum { WARMUP = 300, N = 600 };
  int64_t mark = genc_scope_begin(ctx);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  for (int j = 0; j < J; j++) {
    char a[16];
    snprintf(a, sizeof a, "y/%d", j);
    T_OK(ctx, !genc_choicemap_set_str(ctx, obs, a, genc_trace_get_path(ctx, r->sim, a)));
  }
  genc_trace *init = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(7), r->S, NULL);
  T_OK(ctx, init);
  genc_kernel *ks[NLAT];
  for (int k = 0; k < NLAT; k++) {
    genc_selection *sel = genc_selection_new(ctx);
    T_OK(ctx, !genc_selection_add_str(ctx, sel, latents[k]));
    ks[k] = genc_kernel_mh_select(sel); /* retains sel */
    genc_selection_release(sel);
  }
  genc_kernel *sweep = genc_kernel_sequence(NLAT, ks);
  double *draws = malloc((size_t)NP * (size_t)r->S * N * sizeof *draws);
  genc_mcmc_opts o = {.warmup = WARMUP,
                      .samples = N,
                      .key = genc_key_from_seed(8),
                      .naddrs = NP,
                      .addrs = names,
                      .draws = draws,
                      .draws_cap = (int64_t)NP * r->S * N};
  genc_trace *last = genc_mcmc_run(ctx, sweep, init, &o);
  T_OK(ctx, last);
  *capped = 0;
  for (int s = 0; s < r->S; s++) {
    const double *d[NP];
    double truth[NP];
    for (int p = 0; p < NP; p++)
      d[p] = draws + ((int64_t)p * r->S + s) * N, truth[p] = r->truth[p][s];
    *capped += thin_ranks(ctx, d, N, truth, ranks[s]);
  }
  free(draws);
  genc_trace_release(last);
  genc_trace_release(init);
  genc_kernel_release(sweep);
  for (int k = 0; k < NLAT; k++)
    genc_kernel_release(ks[k]);
  genc_choicemap_free(obs);
  genc_scope_end(ctx, mark);
}

typedef enum { USE_NUTS, USE_HMC } grad_sampler;

/* One replication by NUTS or HMC on its log density: the unconstrained draws
 * of (mu, log tau, theta/0), tau mapped back by exp. */
static int run_grad_rep(genc_ctx *ctx, genc_gf *gf, const reps *r, int s, grad_sampler which,
                        int ranks[NP]) {
  enum { NMAX = 200 };
  /* warmup and draws: 200 each (120 under the sanitizers; NUTS's ESS is
   * still about n there, and HMC's above 19) */
  int64_t N = sanitized() ? 120 : NMAX, WARMUP = N;
  int64_t mark = genc_scope_begin(ctx);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  for (int j = 0; j < J; j++) {
    char a[16];
    snprintf(a, sizeof a, "y/%d", j);
    T_OK(ctx, !genc_choicemap_set_str(ctx, obs, a, genc_scalar(ctx, r->y[j][s])));
  }
  genc_key key = genc_key_fold_in(genc_key_from_seed(9), (uint64_t)s);
  genc_trace *tmpl = genc_gf_generate(ctx, gf, NULL, obs, key, 0, NULL);
  T_OK(ctx, tmpl);
  genc_logdensity *ld = genc_logdensity_new(ctx, gf, NULL, obs, NLAT, latents, tmpl);
  T_OK(ctx, ld);
  double *theta; /* [N][NLAT] */
  genc_nuts_result nr = {0};
  genc_hmc_result hr = {0};
  if (which == USE_NUTS) {
    genc_nuts_opts o = {.warmup = WARMUP, .samples = N, .key = key};
    T_OK(ctx, !genc_nuts_model(ctx, ld, &o, &nr));
    theta = nr.draws;
  } else {
    double init[NLAT];
    T_OK(ctx, !genc_logdensity_unconstrain(ctx, ld, tmpl, init));
    genc_hmc_options o = genc_hmc_options_default();
    o.warmup = WARMUP, o.samples = N, o.nleapfrog = 8;
    T_OK(ctx, !genc_hmc(ctx, ld, init, &o, key, &hr));
    theta = hr.draws;
  }
  double cols[NP][NMAX], truth[NP];
  const double *d[NP];
  for (int p = 0; p < NP; p++) {
    for (int64_t t = 0; t < N; t++)
      cols[p][t] = p == 1 ? exp(theta[t * NLAT + p]) : theta[t * NLAT + p];
    d[p] = cols[p], truth[p] = r->truth[p][s];
  }
  int capped = thin_ranks(ctx, d, N, truth, ranks);
  genc_nuts_result_clear(&nr);
  genc_hmc_result_clear(&hr);
  genc_logdensity_free(ld);
  genc_trace_release(tmpl);
  genc_choicemap_free(obs);
  genc_scope_end(ctx, mark);
  return capped;
}

/* The models and the replications, shared by the tests (group setup). */
static genc_gf *right_gf, *wrong_gf;
static reps *the_reps;
static int ranks[SMAX][NP];

static int group_setup(void **state) {
  if (t_setup(state)) return -1;
  genc_ctx *ctx = *state;
  right_gf = genc_gf_dynamic("hier", hier, 0, (void *)&right_f);
  wrong_gf = genc_gf_dynamic("hier_halved_sigma", hier, 0, (void *)&wrong_f);
  the_reps = reps_new(ctx, right_gf);
  return 0;
}

static int group_teardown(void **state) {
  reps_free(the_reps);
  genc_gf_release(right_gf);
  genc_gf_release(wrong_gf);
  return t_teardown(state);
}

static void test_sbc_mh(void **state) {
  genc_ctx *ctx = *state;
  int capped;
  double x[NP];
  run_mh(ctx, the_reps, right_gf, ranks, &capped);
  report("MH", ranks, the_reps->S, capped, x);
  assert_uniform("MH", x);
}

static void run_grad(genc_ctx *ctx, grad_sampler which, const char *who) {
  int capped = 0;
  double x[NP];
  for (int s = 0; s < the_reps->S; s++)
    capped += run_grad_rep(ctx, right_gf, the_reps, s, which, ranks[s]);
  report(who, ranks, the_reps->S, capped, x);
  assert_uniform(who, x);
}

static void test_sbc_nuts(void **state) { run_grad(*state, USE_NUTS, "NUTS"); }
static void test_sbc_hmc(void **state) { run_grad(*state, USE_HMC, "HMC"); }

/* The data from the right model, MH on the wrong one: SBC must see it. */
static void test_sbc_catches_wrong_likelihood(void **state) {
  genc_ctx *ctx = *state;
  int capped;
  double x[NP];
  run_mh(ctx, the_reps, wrong_gf, ranks, &capped);
  report("MH, likelihood scales halved", ranks, the_reps->S, capped, x);
  assert_true(x[0] >= CHI2_CRIT || x[1] >= CHI2_CRIT || x[2] >= CHI2_CRIT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sbc_mh),
      cmocka_unit_test(test_sbc_catches_wrong_likelihood),
      cmocka_unit_test(test_sbc_nuts),
      cmocka_unit_test(test_sbc_hmc),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
