/*
 * Lock-step N-chain static HMC and MALA (genc_hmc_lockstep,
 * genc_mala_lockstep):
 * - chain c equals genc_hmc (genc_mala) run alone with the key
 *   genc_key_fold_in(key, c) bit for bit (draws, lp, acceptance, adapted step
 *   size and metric), diagonal and dense, through one batched model run per
 *   round (genc_logdensity_lp_grad_batch), and does not depend on the number
 *   of chains;
 * - exactness on a correlated 4-D Gaussian (HMC) and a normal-normal model
 *   (MALA): each mean and variance within 4 Monte Carlo standard errors of
 *   the exact value (the MCSE from genc_diag_mcse_mean over the chains' ESS;
 *   for a variance, of the squared deviations from the exact mean), R-hat <
 *   1.01;
 * - errors: bad arguments, a non-finite start, a failing batch callback.
 */
#include "testutil.h"

#define D 4
#define RHO 0.9

/* x ~ N(m, S), S_ij = RHO^|i-j| s_i s_j (AR(1)): tridiagonal precision. */
static const double gm[D] = {1.0, -2.0, 0.5, 3.0}, gs[D] = {1.0, 2.0, 0.5, 1.5};

static void gauss_lp(const double *x, int dim, double *lp, double *grad) {
  double c = 1.0 / (1 - RHO * RHO), acc = 0, z[D];
  for (int i = 0; i < dim; i++)
    z[i] = (x[i] - gm[i]) / gs[i];
  for (int i = 0; i < dim; i++) {
    double g = (i == 0 || i == dim - 1 ? 1 : 1 + RHO * RHO) * c * z[i];
    if (i > 0) g -= RHO * c * z[i - 1];
    if (i < dim - 1) g -= RHO * c * z[i + 1];
    grad[i] = -g / gs[i];
    acc += z[i] * g;
  }
  *lp = -0.5 * acc;
}

typedef struct batch_user {
  int calls, points, max_n, fail_after;
} batch_user;

static genc_status gauss_batch(void *user, int n, const double *x, int dim, double *lp,
                               double *grad) {
  batch_user *u = user;
  if (u) {
    u->calls++, u->points += n;
    if (n > u->max_n) u->max_n = n;
    if (u->fail_after && u->calls > u->fail_after) return GENC_ERR_DOMAIN;
  }
  for (int i = 0; i < n; i++)
    gauss_lp(x + i * dim, dim, &lp[i], grad + i * dim);
  return GENC_OK;
}

/* Normal-normal with a second latent: mu ~ N(1, 2), nu ~ N(mu, 1),
 * y_i ~ N(mu, 1.5), i < 6. The posterior of mu is normal with precision
 * 1/4 + 6/2.25 and mean (1/4 + sum y / 2.25) / precision. */
static const double ys[6] = {2.1, 0.4, 3.3, 1.7, 2.8, 1.2};
static genc_array *nn(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, 1.0, 2.0));
  GENC_TRACE(rt, "nu", genc_normal(ctx, mu, 1.0));
  for (int i = 0; i < 6; i++)
    GENC_TRACE_AT(rt, "y", i, genc_normal(ctx, mu, 1.5));
  return mu;
}

typedef struct nn_fix {
  genc_gf *gf;
  genc_choicemap *obs;
  genc_trace *t;
  genc_logdensity *ld;
  double mean, var; /* mu's exact posterior */
} nn_fix;

static void nn_open(genc_ctx *ctx, nn_fix *f) {
  f->gf = genc_gf_dynamic("nn", nn, 0, NULL);
  f->obs = genc_choicemap_new(ctx);
  double sy = 0;
  for (int i = 0; i < 6; i++) {
    char b[16];
    snprintf(b, sizeof b, "y/%d", i);
    genc_choicemap_set_str(ctx, f->obs, b, genc_scalar(ctx, ys[i]));
    sy += ys[i];
  }
  f->t = genc_gf_generate(ctx, f->gf, NULL, f->obs, genc_key_from_seed(1), 0, NULL);
  T_OK(ctx, f->t);
  const char *a[] = {"mu", "nu"};
  f->ld = genc_logdensity_new(ctx, f->gf, NULL, f->obs, 2, a, f->t);
  T_OK(ctx, f->ld);
  double prec = 1 / 4.0 + 6 / 2.25;
  f->mean = (1 / 4.0 + sy / 2.25) / prec, f->var = 1 / prec;
}

static void nn_close(nn_fix *f) {
  genc_logdensity_free(f->ld);
  genc_trace_release(f->t);
  genc_choicemap_free(f->obs);
  genc_gf_release(f->gf);
}

static void assert_same(const genc_hmc_result *a, const genc_hmc_result *b, bool dense) {
  assert_int_equal(a->ndraws, b->ndraws);
  assert_int_equal(a->dim, b->dim);
  size_t n = (size_t)a->ndraws, d = (size_t)a->dim;
  assert_memory_equal(a->draws, b->draws, n * d * sizeof(double));
  assert_memory_equal(a->lp, b->lp, n * sizeof(double));
  assert_memory_equal(a->accept, b->accept, n * sizeof(double));
  assert_int_equal(a->divergent, b->divergent);
  assert_true(a->step_size == b->step_size);
  assert_memory_equal(a->metric, b->metric, d * (dense ? d : 1) * sizeof(double));
}

typedef genc_status (*single_fn)(genc_ctx *, genc_logdensity *, const double *,
                                 const genc_hmc_options *, genc_key, genc_hmc_result *);
typedef genc_status (*lock_fn)(genc_ctx *, genc_lp_grad_batch_fn, void *, int, int, const double *,
                               const genc_hmc_options *, genc_key, genc_hmc_result *);

/* NC chains in lock-step against NC single runs, and 2 chains against the
 * first 2: warmup long enough for three metric windows (each re-running the
 * heuristic, whose leapfrog counts differ between chains). */
static void check_equal(genc_ctx *ctx, single_fn single, lock_fn lock, bool dense) {
  enum { NC = 3 };
  nn_fix f;
  nn_open(ctx, &f);
  genc_hmc_options o = genc_hmc_options_default();
  o.warmup = 200, o.samples = 100, o.nleapfrog = 5, o.dense = dense;
  double init[NC][2] = {{0.3, -0.2}, {2.0, 1.0}, {-1.0, 0.5}};
  genc_key key = genc_key_from_seed(7);
  genc_hmc_result seq[NC], lk[NC], two[2];
  for (int c = 0; c < NC; c++)
    T_OK(ctx, !single(ctx, f.ld, init[c], &o, genc_key_fold_in(key, (uint64_t)c), &seq[c]));
  genc_logdensity_fn fn = {.ctx = ctx, .ld = f.ld};
  T_OK(ctx, !lock(ctx, genc_logdensity_lp_grad_batch, &fn, 2, NC, &init[0][0], &o, key, lk));
  T_OK(ctx, !lock(ctx, genc_logdensity_lp_grad_batch, &fn, 2, 2, &init[0][0], &o, key, two));
  for (int c = 0; c < NC; c++)
    assert_same(&seq[c], &lk[c], dense);
  for (int c = 0; c < 2; c++)
    assert_same(&seq[c], &two[c], dense);
  assert_true(seq[0].step_size != seq[1].step_size); /* the chains adapted on their own */
  for (int c = 0; c < NC; c++)
    genc_hmc_result_clear(&seq[c]), genc_hmc_result_clear(&lk[c]);
  for (int c = 0; c < 2; c++)
    genc_hmc_result_clear(&two[c]);
  nn_close(&f);
}

static void test_equal_hmc_diag(void **state) {
  check_equal(*state, genc_hmc, genc_hmc_lockstep, false);
}
static void test_equal_hmc_dense(void **state) {
  check_equal(*state, genc_hmc, genc_hmc_lockstep, true);
}
static void test_equal_mala(void **state) {
  check_equal(*state, genc_mala, genc_mala_lockstep, false);
}

/* The rounds batch the chains: with equal leapfrog counts in transitions,
 * most calls carry every chain. */
static void test_batched_calls(void **state) {
  genc_ctx *ctx = *state;
  enum { NC = 4 };
  genc_hmc_options o = genc_hmc_options_default();
  o.warmup = 100, o.samples = 50, o.nleapfrog = 8;
  double init[NC * D] = {0};
  genc_hmc_result r[NC];
  batch_user u = {0};
  T_OK(ctx, !genc_hmc_lockstep(ctx, gauss_batch, &u, D, NC, init, &o, genc_key_from_seed(2), r));
  print_message("%d calls for %d points\n", u.calls, u.points);
  assert_int_equal(u.max_n, NC);
  assert_true(u.points > 3 * u.calls);
  for (int c = 0; c < NC; c++)
    genc_hmc_result_clear(&r[c]);
}

/* Mean, variance (squared deviations from the exact mean) and R-hat of
 * parameter j of nc results. */
static void check_param(genc_ctx *ctx, const genc_hmc_result *r, int nc, int j, double m,
                        double var) {
  char what[32];
  int64_t n = r[0].ndraws, d = r[0].dim;
  double *v = malloc((size_t)(nc * n) * sizeof *v), rhat;
  for (int c = 0; c < nc; c++)
    for (int64_t i = 0; i < n; i++)
      v[c * n + i] = r[c].draws[i * d + j];
  T_OK(ctx, !genc_diag_rhat(ctx, v, nc, n, &rhat));
  print_message("rhat[%d] = %.4f\n", j, rhat);
  if (!(rhat < 1.01)) fail_msg("rhat[%d] = %g", j, rhat);
  snprintf(what, sizeof what, "mean[%d]", j);
  t_within_mcse(ctx, v, nc, n, m, 4, what);
  for (int64_t i = 0; i < nc * n; i++)
    v[i] = (v[i] - m) * (v[i] - m);
  snprintf(what, sizeof what, "var[%d]", j);
  t_within_mcse(ctx, v, nc, n, var, 4, what);
  free(v);
}

static void test_gaussian_hmc(void **state) {
  genc_ctx *ctx = *state;
  enum { NC = 4 };
  genc_hmc_options o = genc_hmc_options_default();
  o.warmup = 500, o.samples = 1000, o.nleapfrog = 10;
  double init[NC * D];
  for (int i = 0; i < NC * D; i++)
    init[i] = (double)(i % 5) - 2.0;
  genc_hmc_result r[NC];
  T_OK(ctx, !genc_hmc_lockstep(ctx, gauss_batch, NULL, D, NC, init, &o, genc_key_from_seed(21), r));
  for (int j = 0; j < D; j++)
    check_param(ctx, r, NC, j, gm[j], gs[j] * gs[j]);
  for (int c = 0; c < NC; c++)
    genc_hmc_result_clear(&r[c]);
}

static void test_normal_normal_mala(void **state) {
  genc_ctx *ctx = *state;
  enum { NC = 4 };
  nn_fix f;
  nn_open(ctx, &f);
  genc_hmc_options o = genc_hmc_options_default();
  o.warmup = 500, o.samples = 2000;
  double init[NC * 2] = {0, 0, 1, 1, 2, -1, 3, 2};
  genc_hmc_result r[NC];
  genc_logdensity_fn fn = {.ctx = ctx, .ld = f.ld};
  T_OK(ctx, !genc_mala_lockstep(ctx, genc_logdensity_lp_grad_batch, &fn, 2, NC, init, &o,
                                genc_key_from_seed(5), r));
  check_param(ctx, r, NC, 0, f.mean, f.var);
  check_param(ctx, r, NC, 1, f.mean, f.var + 1.0); /* nu = mu + N(0, 1) */
  for (int c = 0; c < NC; c++)
    genc_hmc_result_clear(&r[c]);
  nn_close(&f);
}

static genc_status bad_start(void *user, int n, const double *x, int dim, double *lp,
                             double *grad) {
  genc_status st = gauss_batch(user, n, x, dim, lp, grad);
  for (int i = 0; i < n; i++)
    if (x[i * dim] > 100) lp[i] = -INFINITY;
  return st;
}

/* A flat density: the step size heuristic doubles without end. */
static genc_status flat(void *user, int n, const double *x, int dim, double *lp, double *grad) {
  (void)user, (void)x;
  for (int i = 0; i < n; i++)
    lp[i] = 0;
  memset(grad, 0, (size_t)(n * dim) * sizeof(double));
  return GENC_OK;
}

static void test_errors(void **state) {
  genc_ctx *ctx = *state;
  genc_hmc_result r[2];
  genc_hmc_options o = genc_hmc_options_default();
  o.warmup = 50, o.samples = 20;
  double init[2 * D] = {0};
  genc_key k = genc_key_from_seed(1);
  assert_int_equal(genc_hmc_lockstep(ctx, gauss_batch, NULL, D, 0, init, &o, k, r), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "nchains 0"));
  genc_ctx_clear_error(ctx);
  assert_int_equal(genc_hmc_lockstep(ctx, NULL, NULL, D, 2, init, &o, k, r), GENC_ERR_ARG);
  genc_ctx_clear_error(ctx);
  o.delta = 1.5;
  assert_int_equal(genc_mala_lockstep(ctx, gauss_batch, NULL, D, 2, init, &o, k, r), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "genc_mala_lockstep: warmup"));
  genc_ctx_clear_error(ctx);
  o.delta = 0;
  init[D] = 1000;
  assert_int_equal(genc_hmc_lockstep(ctx, bad_start, NULL, D, 2, init, &o, k, r), GENC_ERR_DOMAIN);
  assert_non_null(strstr(genc_ctx_error(ctx), "chain 1's initial point"));
  genc_ctx_clear_error(ctx);
  init[D] = 0;
  assert_int_equal(genc_hmc_lockstep(ctx, flat, NULL, D, 2, init, &o, k, r), GENC_ERR_DOMAIN);
  assert_non_null(
      strstr(genc_ctx_error(ctx), "genc_hmc_lockstep: chain 0: the step size heuristic"));
  assert_non_null(strstr(genc_ctx_error(ctx), "improper"));
  genc_ctx_clear_error(ctx);
  batch_user u = {.fail_after = 40};
  assert_int_equal(genc_hmc_lockstep(ctx, gauss_batch, &u, D, 2, init, &o, k, r), GENC_ERR_DOMAIN);
  assert_non_null(strstr(genc_ctx_error(ctx), "failed"));
  genc_ctx_clear_error(ctx);
  assert_null(r[0].draws); /* cleared on error */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_equal_hmc_diag), cmocka_unit_test(test_equal_hmc_dense),
      cmocka_unit_test(test_equal_mala),     cmocka_unit_test(test_batched_calls),
      cmocka_unit_test(test_gaussian_hmc),   cmocka_unit_test(test_normal_normal_mala),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
