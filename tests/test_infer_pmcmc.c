/* Conditional SMC, particle Gibbs and PMMH (src/infer/csmc.c, pmcmc.c) on a
 * linear-Gaussian state-space model written with Unfold, T = 15 steps, with
 * the AR coefficient phi unknown:
 *
 *   phi ~ Uniform(-1, 1);  x_t ~ N(phi x_{t-1}, 1) (x_{-1} = 0);  y_t ~ N(x_t, 0.5)
 *
 * The data are one simulation at phi = 0.7 (fixed seed). The exact posterior
 * of phi is computed by quadrature: the Kalman filter's likelihood on a grid
 * of G points over (-1, 1) (midpoint rule), normalized; the exact posterior
 * means of the states are the grid average of the Kalman (RTS) smoother means.
 * Statistical checks compare a chain's mean with the exact value within 4
 * Monte Carlo standard errors, MCSE = sd / sqrt(ESS), sd the exact posterior
 * sd (phi) or the chain's sample sd (states) and ESS genc_diag_ess_bulk() of
 * the chain: a false alarm has probability about 6e-5 per check. */
#include "testutil.h"

#define T 15
#define G 4000
#define PHI_TRUE 0.7

typedef struct fixture {
  genc_ctx *ctx;
  genc_gf *kernel, *ssm;
  double y[T];
  genc_choicemap *obs[T];
  genc_array *init;
} fixture;

/* kernel(t, x_prev, phi): x ~ N(phi x_prev, 1); y ~ N(x, 0.5); returns x. */
static genc_array *lg_kernel(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, genc_mul(ctx, args[2], args[1]), 1.0));
  GENC_TRACE(rt, "y", genc_normal(ctx, x, 0.5));
  return x;
}

/* Step inputs at theta = {phi}: genc_smc_unfold_step with rest = (init, phi). */
static genc_status lg_step(genc_ctx *ctx, int64_t t, const double *theta, genc_array **args,
                           genc_argdiff *argdiffs, genc_choicemap **cons, void *user) {
  fixture *f = user;
  genc_array *rest[2] = {f->init, genc_scalar(ctx, theta[0])};
  genc_smc_unfold u = {.nrest = 2, .rest = rest, .obs = (const genc_choicemap *const *)f->obs};
  return genc_smc_unfold_step(ctx, t, args, argdiffs, cons, &u);
}

/* The same at phi = 0.7, for genc_csmc() directly. */
static genc_status lg_step_fixed(genc_ctx *ctx, int64_t t, genc_array **args,
                                 genc_argdiff *argdiffs, genc_choicemap **cons, void *user) {
  const double phi = PHI_TRUE;
  return lg_step(ctx, t, &phi, args, argdiffs, cons, user);
}

static double flat_prior(const double *theta, void *user) {
  (void)user;
  return fabs(theta[0]) < 1 ? 0 : -INFINITY;
}

/* Kalman filter and RTS smoother at phi: returns log p(y | phi); the smoothed
 * means go to xs (may be NULL). */
static double kalman(const double *y, double phi, double *xs) {
  double mf[T], Pf[T], mp[T], Pp[T], lz = 0;
  for (int t = 0; t < T; t++) {
    mp[t] = t ? phi * mf[t - 1] : 0, Pp[t] = t ? phi * phi * Pf[t - 1] + 1 : 1;
    double S = Pp[t] + 0.25, e = y[t] - mp[t], K = Pp[t] / S;
    lz += -0.5 * log(2 * M_PI * S) - 0.5 * e * e / S;
    mf[t] = mp[t] + K * e, Pf[t] = Pp[t] * (1 - K);
  }
  if (xs) {
    xs[T - 1] = mf[T - 1];
    for (int t = T - 2; t >= 0; t--)
      xs[t] = mf[t] + Pf[t] * phi / Pp[t + 1] * (xs[t + 1] - mp[t + 1]);
  }
  return lz;
}

/* Posterior mean and sd of phi and the states' posterior means, by quadrature. */
static void exact_posterior(const double *y, double *mean, double *sd, double *xmean) {
  static double lz[G];
  double mx = -INFINITY, z = 0, m1 = 0, m2 = 0, xs[T];
  for (int g = 0; g < G; g++)
    mx = fmax(mx, lz[g] = kalman(y, -1 + (g + 0.5) * 2.0 / G, NULL));
  memset(xmean, 0, T * sizeof *xmean);
  for (int g = 0; g < G; g++) {
    double phi = -1 + (g + 0.5) * 2.0 / G, w = exp(lz[g] - mx);
    kalman(y, phi, xs);
    z += w, m1 += w * phi, m2 += w * phi * phi;
    for (int t = 0; t < T; t++)
      xmean[t] += w * xs[t];
  }
  *mean = m1 / z, *sd = sqrt(m2 / z - *mean * *mean);
  for (int t = 0; t < T; t++)
    xmean[t] /= z;
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->ctx = t_ctx();
  f->kernel = genc_gf_dynamic("lg", lg_kernel, 3, NULL);
  f->ssm = genc_unfold(f->kernel);
  f->init = genc_array_retain(genc_scalar(f->ctx, 0.0));
  genc_trace *sim = genc_gf_simulate(f->ctx, f->ssm, GENC_ARGS(f->ctx, T, f->init, PHI_TRUE),
                                     genc_key_from_seed(15), 0);
  for (int t = 0; t < T; t++) {
    char a[16];
    snprintf(a, sizeof a, "%d/y", t);
    f->y[t] = genc_trace_get_double(f->ctx, sim, a);
    f->obs[t] = genc_choicemap_new(f->ctx);
    genc_choicemap_set_str(f->ctx, f->obs[t], "y", genc_scalar(f->ctx, f->y[t]));
  }
  genc_trace_release(sim);
  *state = f;
  return genc_ctx_status(f->ctx) ? -1 : 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  for (int t = 0; t < T; t++)
    genc_choicemap_free(f->obs[t]);
  genc_array_release(f->init);
  genc_gf_release(f->ssm);
  genc_gf_release(f->kernel);
  genc_ctx_free(f->ctx);
  free(f);
  return 0;
}

/* A reference trajectory: one prior simulation at phi = 0.7 (its y are not the data). */
static genc_trace *reference(fixture *f, uint64_t seed) {
  genc_trace *ref = genc_gf_simulate(f->ctx, f->ssm, GENC_ARGS(f->ctx, T, f->init, PHI_TRUE),
                                     genc_key_from_seed(seed), 0);
  T_OK(f->ctx, ref);
  return ref;
}

/* Particle 0 holds the reference's x_t at every step, through resampling at
 * every step; other particles do not; the sample is a single trace of the
 * particle drawn. */
static void test_csmc_keeps_reference(void **state) {
  fixture *f = *state;
  enum { N = 64 };
  genc_trace *ref = reference(f, 3);
  genc_csmc_opts o = {.n = N, .key = genc_key_from_seed(4), .ess_threshold = 1};
  genc_csmc_result r;
  T_OK(f->ctx,
       !genc_csmc(f->ctx, f->ssm, T, lg_step_fixed, f, genc_trace_choices(f->ctx, ref), &o, &r));
  assert_int_equal(r.nresampled, T - 1);
  assert_int_equal(genc_trace_nparticles(r.trace), N);
  assert_int_equal(genc_trace_nparticles(r.sample), 0);
  int differ = 0;
  for (int t = 0; t < T; t++) {
    char a[16];
    double xs[N];
    snprintf(a, sizeof a, "%d/x", t);
    T_OK(f->ctx, !genc_trace_copy_out(f->ctx, r.trace, a, xs, N));
    assert_true(xs[0] == genc_trace_get_double(f->ctx, ref, a));
    assert_true(xs[r.index] == genc_trace_get_double(f->ctx, r.sample, a));
    differ += xs[N - 1] != xs[0];
  }
  assert_true(differ > T / 2); /* the free particles are not copies of the reference */
  genc_csmc_result_clear(&r);
  genc_trace_release(ref);
}

/* Without resampling particle 0's accumulated weight is the bootstrap weight
 * of the reference path, sum_t log N(y_t; x_t^ref, 0.5): the pinning's weight
 * correction (csmc.c) recovers it exactly. With normalized final weights w
 * and log_ml = log mean exp(W) of the accumulated W, W_0 = w_0 + log_ml + log N. */
static void test_csmc_reference_weight(void **state) {
  fixture *f = *state;
  enum { N = 16 };
  genc_trace *ref = reference(f, 5);
  genc_csmc_opts o = {
      .n = N, .key = genc_key_from_seed(6), .ess_threshold = GENC_SMC_NEVER_RESAMPLE};
  genc_csmc_result r;
  T_OK(f->ctx,
       !genc_csmc(f->ctx, f->ssm, T, lg_step_fixed, f, genc_trace_choices(f->ctx, ref), &o, &r));
  assert_int_equal(r.nresampled, 0);
  double want = 0;
  for (int t = 0; t < T; t++) {
    char a[16];
    snprintf(a, sizeof a, "%d/x", t);
    double z = (f->y[t] - genc_trace_get_double(f->ctx, ref, a)) / 0.5;
    want += -0.5 * z * z - log(0.5) - 0.5 * log(2 * M_PI);
  }
  T_CLOSE(r.log_weights[0] + r.log_ml + log((double)N), want, 1e-9);
  genc_csmc_result_clear(&r);
  genc_trace_release(ref);
}

static const char *const state_addrs[3] = {"0/x", "7/x", "14/x"};
static const int state_t[3] = {0, 7, 14};

/* |chain mean - exact| < 4 sd / sqrt(ESS) (file comment); sd < 0: the chain's own. */
static void check_mean(genc_ctx *ctx, const char *what, const double *d, int64_t D, double exact,
                       double sd) {
  double ess, m = 0, v = 0;
  T_OK(ctx, !genc_diag_ess_bulk(ctx, d, 1, D, &ess));
  for (int64_t i = 0; i < D; i++)
    m += d[i] / (double)D;
  for (int64_t i = 0; i < D; i++)
    v += (d[i] - m) * (d[i] - m) / (double)(D - 1);
  if (sd < 0) sd = sqrt(v);
  double tol = 4 * sd / sqrt(ess);
  print_message("%-10s mean %.4f exact %.4f tol %.4f (ESS %.0f of %lld)\n", what, m, exact, tol,
                ess, (long long)D);
  assert_true(ess > 50);
  assert_true(fabs(m - exact) < tol);
}

static genc_pmcmc_model lg_model(fixture *f) {
  return (genc_pmcmc_model){
      .model = f->ssm, .steps = T, .dim = 1, .step = lg_step, .log_prior = flat_prior, .user = f};
}

static void test_particle_gibbs(void **state) {
  fixture *f = *state;
  double mean, sd, xmean[T], theta0 = 0, scale = 0.3;
  exact_posterior(f->y, &mean, &sd, xmean);
  genc_pmcmc_model m = lg_model(f);
  genc_pmcmc_opts o = {.iters = 1200,
                       .warmup = 100,
                       .key = genc_key_from_seed(21),
                       .theta0 = &theta0,
                       .scale = &scale,
                       .n = 32,
                       .theta_moves = 3,
                       .naddrs = 3,
                       .addrs = state_addrs};
  genc_pmcmc_result r;
  T_OK(f->ctx, !genc_particle_gibbs(f->ctx, &m, &o, &r));
  print_message("particle Gibbs: accept rate %.2f\n", r.accept_rate);
  assert_true(r.accept_rate > 0.1 && r.accept_rate < 0.9);
  check_mean(f->ctx, "PG phi", r.theta, r.iters, mean, sd);
  for (int p = 0; p < 3; p++)
    check_mean(f->ctx, state_addrs[p], r.states + p * r.iters, r.iters, xmean[state_t[p]], -1);
  assert_int_equal(genc_trace_nparticles(r.trace), 0);
  genc_pmcmc_result_clear(&r);
}

static void test_pmmh(void **state) {
  fixture *f = *state;
  double mean, sd, xmean[T], theta0 = 0, scale = 0.35;
  exact_posterior(f->y, &mean, &sd, xmean);
  genc_pmcmc_model m = lg_model(f);
  genc_pmcmc_opts o = {.iters = 1500,
                       .warmup = 100,
                       .key = genc_key_from_seed(22),
                       .theta0 = &theta0,
                       .scale = &scale,
                       .n = 64,
                       .scheme = GENC_RESAMPLE_SYSTEMATIC};
  genc_pmcmc_result r;
  T_OK(f->ctx, !genc_pmmh(f->ctx, &m, &o, &r));
  print_message("PMMH: accept rate %.2f, exact posterior sd %.4f\n", r.accept_rate, sd);
  assert_true(r.accept_rate > 0.1 && r.accept_rate < 0.9);
  check_mean(f->ctx, "PMMH phi", r.theta, r.iters, mean, sd);
  for (int64_t i = 0; i < r.iters; i++)
    assert_true(fabs(r.theta[i]) < 1 && isfinite(r.log_ml[i]));
  assert_null(r.trace);
  genc_pmcmc_result_clear(&r);
}

/* The same state-space model as one dynamic function of T (a host argument)
 * with addresses x/t and y/t, for cSMC over a model that is not an Unfold:
 * the step selection names step t's addresses. */
static genc_array *dyn_ssm(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  int64_t steps = genc_rt_arg_int(rt, 0);
  genc_array *x = NULL;
  for (int64_t t = 0; t < steps; t++) {
    genc_dist prior =
        t ? genc_normal(ctx, genc_mul(ctx, x, PHI_TRUE), 1.0) : genc_normal(ctx, 0.0, 1.0);
    x = GENC_TRACE_AT(rt, "x", t, prior);
    GENC_TRACE_AT(rt, "y", t, genc_normal(ctx, x, 0.5));
  }
  return x;
}

static genc_status dyn_step(genc_ctx *ctx, int64_t t, genc_array **args, genc_argdiff *argdiffs,
                            genc_choicemap **obs, void *user) {
  fixture *f = user;
  args[0] = genc_scalar(ctx, (double)(t + 1));
  argdiffs[0] = genc_intdiff(1);
  *obs = genc_choicemap_new(ctx);
  if (!args[0] || !*obs) return genc_ctx_status(ctx);
  return genc_choicemap_set_path(ctx, *obs, GENC_PATH(GENC_SYM("y"), genc_idx(t)),
                                 genc_scalar(ctx, f->y[t]));
}

static genc_selection *dyn_select(genc_ctx *ctx, int64_t t, void *user) {
  (void)user;
  genc_selection *s = genc_selection_new(ctx);
  genc_comp x[2] = {GENC_SYM("x"), genc_idx(t)}, y[2] = {GENC_SYM("y"), genc_idx(t)};
  if (s && (genc_selection_add_path(ctx, s, x, 2) || genc_selection_add_path(ctx, s, y, 2)))
    genc_selection_release(s), s = NULL;
  return s;
}

/* On the dynamic model: particle 0 keeps the reference through resampling at
 * every step, and without resampling its weight is the reference path's
 * bootstrap weight (as test_csmc_reference_weight). */
static void test_csmc_dynamic(void **state) {
  fixture *f = *state;
  enum { N = 16 };
  genc_gf *gf = genc_gf_dynamic("dyn_ssm", dyn_ssm, 1, NULL);
  genc_trace *ref = genc_gf_simulate(f->ctx, gf, GENC_ARGS(f->ctx, T), genc_key_from_seed(9), 0);
  T_OK(f->ctx, ref);
  const genc_choicemap *cm = genc_trace_choices(f->ctx, ref);
  double want = 0, xref[T], xs[N];
  for (int t = 0; t < T; t++) {
    char a[16];
    snprintf(a, sizeof a, "x/%d", t);
    xref[t] = genc_trace_get_double(f->ctx, ref, a);
    double z = (f->y[t] - xref[t]) / 0.5;
    want += -0.5 * z * z - log(0.5) - 0.5 * log(2 * M_PI);
  }
  for (int pass = 0; pass < 2; pass++) {
    genc_csmc_opts o = {.n = N,
                        .key = genc_key_from_seed(10),
                        .ess_threshold = pass ? GENC_SMC_NEVER_RESAMPLE : 1,
                        .step_select = dyn_select};
    genc_csmc_result r;
    T_OK(f->ctx, !genc_csmc(f->ctx, gf, T, dyn_step, f, cm, &o, &r));
    assert_int_equal(r.nresampled, pass ? 0 : T - 1);
    for (int t = 0; t < T; t++) {
      char a[16];
      snprintf(a, sizeof a, "x/%d", t);
      T_OK(f->ctx, !genc_trace_copy_out(f->ctx, r.trace, a, xs, N));
      assert_true(xs[0] == xref[t]);
    }
    if (pass) T_CLOSE(r.log_weights[0] + r.log_ml + log((double)N), want, 1e-9);
    genc_csmc_result_clear(&r);
  }
  genc_trace_release(ref);
  genc_gf_release(gf);
}

/* An exact Gibbs step for phi given the states: p(phi | x) is N(sum x_t
 * x_{t-1} / S, 1 / S), S = sum x_{t-1}^2, truncated to (-1, 1), drawn by
 * rejection from the host stream. */
static genc_status phi_gibbs(genc_ctx *ctx, const genc_trace *traj, double *theta, genc_key key,
                             int64_t *accepted, int64_t *proposed, void *user) {
  (void)user;
  double x[T], sxy = 0, sxx = 0;
  for (int t = 0; t < T; t++) {
    char a[16];
    snprintf(a, sizeof a, "%d/x", t);
    x[t] = genc_trace_get_double(ctx, traj, a);
    if (isnan(x[t])) return genc_ctx_status(ctx);
  }
  for (int t = 1; t < T; t++)
    sxy += x[t] * x[t - 1], sxx += x[t - 1] * x[t - 1];
  genc_host_rng rng = genc_host_rng_new(key);
  do
    theta[0] = sxy / sxx + genc_host_rng_normal(&rng) / sqrt(sxx);
  while (fabs(theta[0]) >= 1);
  ++*accepted, ++*proposed;
  return GENC_OK;
}

/* Particle Gibbs with the user's exact theta step instead of random-walk MH. */
static void test_particle_gibbs_user_step(void **state) {
  fixture *f = *state;
  double mean, sd, xmean[T], theta0 = 0;
  exact_posterior(f->y, &mean, &sd, xmean);
  genc_pmcmc_model m = lg_model(f);
  genc_pmcmc_opts o = {.iters = 600,
                       .warmup = 50,
                       .key = genc_key_from_seed(23),
                       .theta0 = &theta0,
                       .n = 32,
                       .theta_step = phi_gibbs};
  genc_pmcmc_result r;
  T_OK(f->ctx, !genc_particle_gibbs(f->ctx, &m, &o, &r));
  assert_true(r.accept_rate == 1);
  check_mean(f->ctx, "PG-Gibbs phi", r.theta, r.iters, mean, sd);
  genc_pmcmc_result_clear(&r);
}

/* Ancestor sampling: particle 0 still ends at the reference's last state, but
 * its history is redrawn, so over a few runs it leaves the reference's x_0. */
static void test_csmc_ancestor_sampling(void **state) {
  fixture *f = *state;
  enum { N = 32, RUNS = 4 };
  genc_trace *ref = reference(f, 11);
  char last[16], a0[16] = "0/x";
  snprintf(last, sizeof last, "%d/x", T - 1);
  int moved = 0;
  for (int k = 0; k < RUNS; k++) {
    genc_csmc_opts o = {.n = N,
                        .key = genc_key_from_seed(40 + (uint64_t)k),
                        .ess_threshold = 1,
                        .ancestor_sampling = true};
    genc_csmc_result r;
    double xs[N];
    T_OK(f->ctx,
         !genc_csmc(f->ctx, f->ssm, T, lg_step_fixed, f, genc_trace_choices(f->ctx, ref), &o, &r));
    T_OK(f->ctx, !genc_trace_copy_out(f->ctx, r.trace, last, xs, N));
    assert_true(xs[0] == genc_trace_get_double(f->ctx, ref, last));
    T_OK(f->ctx, !genc_trace_copy_out(f->ctx, r.trace, a0, xs, N));
    moved += xs[0] != genc_trace_get_double(f->ctx, ref, a0);
    genc_csmc_result_clear(&r);
  }
  assert_true(moved > 0);
  genc_trace_release(ref);
}

/* Particle Gibbs with ancestor sampling recovers phi and the states too. */
static void test_particle_gibbs_ancestor_sampling(void **state) {
  fixture *f = *state;
  double mean, sd, xmean[T], theta0 = 0, scale = 0.3;
  exact_posterior(f->y, &mean, &sd, xmean);
  genc_pmcmc_model m = lg_model(f);
  genc_pmcmc_opts o = {.iters = 800,
                       .warmup = 50,
                       .key = genc_key_from_seed(24),
                       .theta0 = &theta0,
                       .scale = &scale,
                       .n = 16,
                       .theta_moves = 3,
                       .ancestor_sampling = true,
                       .naddrs = 3,
                       .addrs = state_addrs};
  genc_pmcmc_result r;
  T_OK(f->ctx, !genc_particle_gibbs(f->ctx, &m, &o, &r));
  check_mean(f->ctx, "PGAS phi", r.theta, r.iters, mean, sd);
  for (int p = 0; p < 3; p++)
    check_mean(f->ctx, state_addrs[p], r.states + p * r.iters, r.iters, xmean[state_t[p]], -1);
  genc_pmcmc_result_clear(&r);
}

static void test_errors(void **state) {
  fixture *f = *state;
  genc_trace *ref = reference(f, 7);
  const genc_choicemap *cm = genc_trace_choices(f->ctx, ref);
  genc_csmc_result r;
  genc_csmc_opts one = {.n = 1};
  assert_int_equal(genc_csmc(f->ctx, f->ssm, T, lg_step_fixed, f, cm, &one, &r), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(f->ctx), "n = 1"));
  assert_int_equal(genc_csmc(f->ctx, f->ssm, T, lg_step_fixed, f, NULL, NULL, &r), GENC_ERR_ARG);
  assert_null(r.trace);
  /* a reference without step 3: a model of 3 steps run for T */
  genc_trace *short_ref = genc_gf_simulate(f->ctx, f->ssm, GENC_ARGS(f->ctx, 3, f->init, PHI_TRUE),
                                           genc_key_from_seed(1), 0);
  genc_csmc_opts o = {.n = 8};
  assert_int_equal(
      genc_csmc(f->ctx, f->ssm, T, lg_step_fixed, f, genc_trace_choices(f->ctx, short_ref), &o, &r),
      GENC_ERR_ADDRESS);
  assert_non_null(strstr(genc_ctx_error(f->ctx), "step 3"));
  genc_ctx_clear_error(f->ctx);
  genc_pmcmc_model m = lg_model(f);
  double bad = 2, good = 0, zero = 0, step = 0.1;
  genc_pmcmc_result pr;
  genc_pmcmc_opts po = {.theta0 = &bad, .scale = &step};
  assert_int_equal(genc_pmmh(f->ctx, &m, &po, &pr), GENC_ERR_DOMAIN); /* outside the prior */
  po = (genc_pmcmc_opts){.theta0 = &good, .scale = &zero};
  assert_int_equal(genc_particle_gibbs(f->ctx, &m, &po, &pr), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(f->ctx), "scale[0]"));
  assert_null(pr.theta);
  genc_ctx_clear_error(f->ctx);
  genc_pmcmc_result_clear(NULL);
  genc_csmc_result_clear(NULL);
  genc_trace_release(short_ref);
  genc_trace_release(ref);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_csmc_keeps_reference),
      cmocka_unit_test(test_csmc_reference_weight),
      cmocka_unit_test(test_particle_gibbs),
      cmocka_unit_test(test_pmmh),
      cmocka_unit_test(test_csmc_dynamic),
      cmocka_unit_test(test_particle_gibbs_user_step),
      cmocka_unit_test(test_csmc_ancestor_sampling),
      cmocka_unit_test(test_particle_gibbs_ancestor_sampling),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
