/*
 * Lock-step N-chain NUTS (genc_nuts_lockstep, genc_nuts_model_lockstep):
 * - chain c equals genc_nuts_chains's chain c bit for bit (draws and every
 *   sampler statistic), for the diagonal and the dense metric, and does not
 *   depend on the number of chains;
 * - exactness on a correlated 4-D Gaussian (hand-written batched density) and
 *   on a normal-normal model through one batched model run per round: each
 *   mean and variance within 4 Monte Carlo standard errors of the exact
 *   value (the MCSE from genc_diag_mcse_mean over the 4 chains' ESS; for a
 *   variance, of the squared deviations from the exact mean), R-hat < 1.01;
 * - errors: bad arguments, a failing batch callback.
 */
#include "testutil.h"

#define D 4
#define RHO 0.9

/* x ~ N(m, S), S_ij = RHO^|i-j| s_i s_j (AR(1)): tridiagonal precision. */
static const double gm[D] = {1.0, -2.0, 0.5, 3.0}, gs[D] = {1.0, 2.0, 0.5, 1.5};

static genc_status gauss_lp(void *user, const double *x, int dim, double *lp, double *grad) {
  int *calls = user;
  if (calls) ++*calls;
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
  return GENC_OK;
}

/* The batch as n single calls: bit for bit the single callback's values. */
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
    gauss_lp(NULL, x + i * dim, dim, &lp[i], grad + i * dim);
  return GENC_OK;
}

static void assert_same(const genc_nuts_result *a, const genc_nuts_result *b) {
  assert_int_equal(a->samples, b->samples);
  assert_memory_equal(a->draws, b->draws, (size_t)(a->samples * a->dim) * sizeof(double));
  for (int64_t i = 0; i < a->samples; i++) { /* field by field: the struct has padding */
    const genc_sampler_stats *x = &a->stats[i], *y = &b->stats[i];
    assert_true(x->lp == y->lp && x->accept_stat == y->accept_stat && x->stepsize == y->stepsize &&
                x->energy == y->energy);
    assert_true(x->treedepth == y->treedepth && x->n_leapfrog == y->n_leapfrog &&
                x->divergent == y->divergent);
  }
  assert_true(a->stepsize == b->stepsize);
  size_t nm = (size_t)a->dim * (a->metric == GENC_METRIC_DENSE ? (size_t)a->dim : 1);
  assert_memory_equal(a->inv_metric, b->inv_metric, nm * sizeof(double));
}

static void check_equal_to_sequential(genc_ctx *ctx, genc_metric metric) {
  enum { NC = 3 };
  genc_nuts_opts o = {
      .warmup = 150, .samples = 100, .metric = metric, .key = genc_key_from_seed(4)};
  genc_nuts_result seq[NC], lock[NC], two[2];
  batch_user u = {0};
  T_OK(ctx, !genc_nuts_chains(ctx, gauss_lp, NULL, D, NC, &o, seq));
  T_OK(ctx, !genc_nuts_lockstep(ctx, gauss_batch, &u, D, NC, &o, lock));
  T_OK(ctx, !genc_nuts_lockstep(ctx, gauss_batch, NULL, D, 2, &o, two));
  for (int c = 0; c < NC; c++)
    assert_same(&seq[c], &lock[c]);
  for (int c = 0; c < 2; c++)
    assert_same(&seq[c], &two[c]);
  /* the transitions' evaluations were batched: most calls carry all chains */
  assert_int_equal(u.max_n, NC);
  print_message("metric %d: %d calls for %d points\n", (int)metric, u.calls, u.points);
  assert_true(u.points > 2 * u.calls);
  for (int c = 0; c < NC; c++)
    genc_nuts_result_clear(&seq[c]), genc_nuts_result_clear(&lock[c]);
  for (int c = 0; c < 2; c++)
    genc_nuts_result_clear(&two[c]);
}

static void test_equal_diag(void **state) { check_equal_to_sequential(*state, GENC_METRIC_DIAG); }
static void test_equal_dense(void **state) { check_equal_to_sequential(*state, GENC_METRIC_DENSE); }

/* Means, variances (squared deviations from the exact mean) and R-hat of
 * parameter j of nc results. */
static void check_param(genc_ctx *ctx, const genc_nuts_result *r, int nc, int j, double m,
                        double var) {
  char what[32];
  int64_t n = r[0].samples;
  double *v = malloc((size_t)(nc * n) * sizeof *v), rhat;
  T_OK(ctx, !genc_nuts_param_draws(ctx, r, nc, j, v));
  T_OK(ctx, !genc_diag_rhat(ctx, v, nc, n, &rhat));
  if (!(rhat < 1.01)) fail_msg("rhat[%d] = %g", j, rhat);
  snprintf(what, sizeof what, "mean[%d]", j);
  t_within_mcse(ctx, v, nc, n, m, 4, what);
  for (int64_t i = 0; i < nc * n; i++)
    v[i] = (v[i] - m) * (v[i] - m);
  snprintf(what, sizeof what, "var[%d]", j);
  t_within_mcse(ctx, v, nc, n, var, 4, what);
  free(v);
}

static void test_gaussian(void **state) {
  genc_ctx *ctx = *state;
  enum { NC = 4 };
  genc_nuts_result r[NC];
  genc_nuts_opts o = {.warmup = 500, .samples = 1000, .key = genc_key_from_seed(21)};
  T_OK(ctx, !genc_nuts_lockstep(ctx, gauss_batch, NULL, D, NC, &o, r));
  for (int j = 0; j < D; j++)
    check_param(ctx, r, NC, j, gm[j], gs[j] * gs[j]);
  for (int c = 0; c < NC; c++)
    genc_nuts_result_clear(&r[c]);
}

/* Normal-normal: mu ~ N(1, 2); y_i ~ N(mu, 1.5), i < 6. Posterior normal with
 * precision 1/4 + 6/2.25 and mean (1/4 + sum y / 2.25) / precision. */
static const double ys[6] = {2.1, 0.4, 3.3, 1.7, 2.8, 1.2};
static genc_array *nn(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, 1.0, 2.0));
  for (int i = 0; i < 6; i++)
    GENC_TRACE_AT(rt, "y", i, genc_normal(ctx, mu, 1.5));
  return mu;
}

static void test_normal_normal_model(void **state) {
  genc_ctx *ctx = *state;
  enum { NC = 4 };
  genc_gf *gf = genc_gf_dynamic("nn", nn, 0, NULL);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  double sy = 0;
  for (int i = 0; i < 6; i++) {
    char b[16];
    snprintf(b, sizeof b, "y/%d", i);
    genc_choicemap_set_str(ctx, obs, b, genc_scalar(ctx, ys[i]));
    sy += ys[i];
  }
  genc_trace *t = genc_gf_generate(ctx, gf, NULL, obs, genc_key_from_seed(1), 0, NULL);
  T_OK(ctx, t);
  const char *a[] = {"mu"};
  genc_logdensity *ld = genc_logdensity_new(ctx, gf, NULL, obs, 1, a, t);
  T_OK(ctx, ld);
  double prec = 1 / 4.0 + 6 / 2.25, mean = (1 / 4.0 + sy / 2.25) / prec;
  genc_nuts_result r[NC];
  genc_nuts_opts o = {.warmup = 300, .samples = 1000, .key = genc_key_from_seed(3)};
  T_OK(ctx, !genc_nuts_model_lockstep(ctx, ld, NC, &o, r));
  check_param(ctx, r, NC, 0, mean, 1 / prec);
  for (int c = 0; c < NC; c++)
    genc_nuts_result_clear(&r[c]);
  genc_logdensity_free(ld);
  genc_trace_release(t);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

static void test_errors(void **state) {
  genc_ctx *ctx = *state;
  genc_nuts_result r[2];
  genc_nuts_opts o = {.warmup = 50, .samples = 20, .key = genc_key_from_seed(1)};
  assert_int_equal(genc_nuts_lockstep(ctx, gauss_batch, NULL, D, 0, &o, r), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "nchains = 0"));
  genc_ctx_clear_error(ctx);
  assert_int_equal(genc_nuts_lockstep(ctx, NULL, NULL, D, 2, &o, r), GENC_ERR_ARG);
  genc_ctx_clear_error(ctx);
  o.delta = 1.5;
  assert_int_equal(genc_nuts_lockstep(ctx, gauss_batch, NULL, D, 2, &o, r), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "delta"));
  genc_ctx_clear_error(ctx);
  o.delta = 0;
  batch_user u = {.fail_after = 40};
  assert_int_equal(genc_nuts_lockstep(ctx, gauss_batch, &u, D, 2, &o, r), GENC_ERR_DOMAIN);
  assert_non_null(strstr(genc_ctx_error(ctx), "failed"));
  genc_ctx_clear_error(ctx);
  assert_null(r[0].draws); /* freed on error */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_equal_diag), cmocka_unit_test(test_equal_dense),
      cmocka_unit_test(test_gaussian),   cmocka_unit_test(test_normal_normal_model),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
