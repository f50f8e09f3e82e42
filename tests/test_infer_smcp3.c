/* SMCP3 (src/infer/smcp3.c, genc_smc with opts.proposal) on the state-space
 * model x_0 ~ N(0, 1), x_t = phi x_{t-1} + N(0, 1), y_t ~ N(x_t, 0.5), written
 * with Unfold, T = 20, y_t = 2 sin(0.1 t) + 0.7 sin(12.9898 t):
 *
 *  - phi = 0 (independent steps): the exact proposal p(x_t | y_t) =
 *    N(0.8 y_t, 0.2) makes every incremental weight p(y_t) = N(y_t; 0, 1.25),
 *    whatever the particle: zero-variance weights (ESS = N at every step) and
 *    log Z-hat equal to log Z to rounding. The same holds for a move that also
 *    re-proposes x_{t-1} from its exact posterior, with the backward kernel
 *    scoring the replaced x_{t-1} under that posterior: the weight
 *    p(t')/p(t) L/K telescopes to p(y_t) again, so this checks the discard and
 *    the backward term.
 *  - phi = 0.9 (B2): the locally optimal proposal N(0.2 (0.9 x_{t-1} + 4 y_t), 0.2)
 *    and a move that also perturbs x_{t-1} by a random walk (backward kernel:
 *    the reverse walk, reading the new trace), against the Kalman filter's log
 *    Z; unbiasedness as smc_stats.h says; the optimal proposal's log Z-hat has
 *    a smaller spread than the bootstrap filter's at the same N. */
#include "smc_stats.h"

#define T 20
#define NP 100
#define R 40

typedef struct ssm {
  double phi;
  int mode; /* 0: propose x_t; 1: also x_{t-1} exactly; 2: also x_{t-1} by a random walk */
  double y[T];
} ssm;

static genc_array *ssm_step(genc_rt *rt, genc_array *const *args, void *user) {
  genc_ctx *ctx = genc_rt_ctx(rt);
  double phi = ((const ssm *)user)->phi;
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, genc_mul(ctx, args[1], phi), 1.0));
  GENC_TRACE(rt, "y", genc_normal(ctx, x, 0.5));
  return x;
}

static genc_array *x_at(genc_rt *rt, const genc_trace *t, int64_t s) {
  if (s < 0) return genc_scalar(genc_rt_ctx(rt), 0.0);
  return genc_trace_get(genc_rt_ctx(rt), t, (genc_comp[]){genc_idx(s), GENC_SYM("x")}, 2);
}

static genc_array *trace_x(genc_rt *rt, int64_t s, genc_dist d) {
  return genc_rt_trace_path(rt, (genc_comp[]){genc_idx(s), GENC_SYM("x")}, 2, d);
}

/* The exact posterior of x_s given y_s alone (phi = 0): N(0.8 y_s, 0.2). */
static genc_dist exact_x(genc_ctx *ctx, const ssm *m, int64_t s) {
  return genc_normal(ctx, 0.8 * m->y[s], sqrt(0.2));
}

/* Forward kernel; args are the model's new arguments (T = t + 1, init). */
static genc_array *fwd(genc_rt *rt, genc_array *const *args, void *user) {
  genc_ctx *ctx = genc_rt_ctx(rt);
  const ssm *m = user;
  int64_t t = (int64_t)genc_array_to_double(ctx, args[0]) - 1;
  const genc_trace *old = genc_rt_from(rt);
  genc_array *xp = old ? x_at(rt, old, t - 1) : genc_scalar(ctx, 0.0);
  if (m->mode == 1 && old && t >= 1) trace_x(rt, t - 1, exact_x(ctx, m, t - 1));
  if (m->mode == 2 && old && t >= 1) trace_x(rt, t - 1, genc_normal(ctx, xp, 0.3));
  genc_array *mean = genc_mul(ctx, genc_add(ctx, genc_mul(ctx, xp, m->phi), 4 * m->y[t]), 0.2);
  return trace_x(rt, t, genc_normal(ctx, mean, sqrt(0.2)));
}

/* Backward kernel; args are the model's old arguments (T = t): scores x_{t-1}. */
static genc_array *bwd(genc_rt *rt, genc_array *const *args, void *user) {
  genc_ctx *ctx = genc_rt_ctx(rt);
  const ssm *m = user;
  int64_t s = (int64_t)genc_array_to_double(ctx, args[0]) - 1;
  if (m->mode == 1) return trace_x(rt, s, exact_x(ctx, m, s));
  return trace_x(rt, s, genc_normal(ctx, x_at(rt, genc_rt_from(rt), s), 0.3));
}

static double kalman_log_z(const ssm *m) {
  double mu = 0, P = 1, lz = 0;
  for (int t = 0; t < T; t++) {
    if (t > 0) mu = m->phi * mu, P = m->phi * m->phi * P + 1;
    double S = P + 0.25, e = m->y[t] - mu;
    lz += -0.5 * log(2 * M_PI * S) - 0.5 * e * e / S;
    mu += P / S * e, P *= 1 - P / S;
  }
  return lz;
}

typedef struct fixture {
  genc_ctx *ctx;
  ssm m[2]; /* phi = 0, phi = 0.9 */
  genc_gf *step[2], *model[2], *fwd[2], *bwd[2];
  genc_choicemap *obs[T];
  genc_array *init;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->ctx = t_ctx();
  for (int j = 0; j < 2; j++) {
    f->m[j].phi = j ? 0.9 : 0.0;
    for (int t = 0; t < T; t++)
      f->m[j].y[t] = 2 * sin(0.1 * t) + 0.7 * sin(12.9898 * t);
    f->step[j] = genc_gf_dynamic("ssm_step", ssm_step, 2, &f->m[j]);
    f->model[j] = genc_unfold(f->step[j]);
    f->fwd[j] = genc_gf_dynamic("fwd", fwd, 2, &f->m[j]);
    f->bwd[j] = genc_gf_dynamic("bwd", bwd, 2, &f->m[j]);
  }
  for (int t = 0; t < T; t++) {
    f->obs[t] = genc_choicemap_new(f->ctx);
    genc_choicemap_set_str(f->ctx, f->obs[t], "y", genc_scalar(f->ctx, f->m[0].y[t]));
  }
  f->init = genc_scalar(f->ctx, 0.0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  for (int t = 0; t < T; t++)
    genc_choicemap_free(f->obs[t]);
  for (int j = 0; j < 2; j++) {
    genc_gf_release(f->model[j]), genc_gf_release(f->step[j]);
    genc_gf_release(f->fwd[j]), genc_gf_release(f->bwd[j]);
  }
  genc_ctx_free(f->ctx);
  free(f);
  return 0;
}

/* One filter of model j; the proposal kernels k (NULL: bootstrap). */
static genc_status filter(fixture *f, int j, const genc_smcp3_kernels *k, genc_key key,
                          genc_smc_result *res) {
  genc_smc_unfold u = {.nrest = 1, .rest = &f->init, .obs = (const genc_choicemap *const *)f->obs};
  genc_smc_opts o = {.n = NP, .key = key, .ess_threshold = 1, .proposal = k};
  return genc_smc(f->ctx, f->model[j], T, genc_smc_unfold_step, &u, &o, res);
}

static void check_zero_variance(fixture *f, int mode, const genc_smcp3_kernels *k) {
  f->m[0].mode = mode;
  double exact = kalman_log_z(&f->m[0]);
  genc_smc_result res;
  T_OK(f->ctx, !filter(f, 0, k, genc_key_from_seed(5), &res));
  for (int t = 0; t < T; t++)
    assert_true(fabs(res.ess[t] - NP) < 1e-9 * NP);
  print_message("mode %d: log Z-hat %.12f, exact %.12f\n", mode, res.log_ml, exact);
  assert_true(fabs(res.log_ml - exact) < 1e-9);
  genc_smc_result_clear(&res);
}

static void test_exact_proposal(void **state) {
  fixture *f = *state;
  check_zero_variance(f, 0, &(genc_smcp3_kernels){.fwd = f->fwd[0]});
  check_zero_variance(f, 1, &(genc_smcp3_kernels){.fwd = f->fwd[0], .bwd = f->bwd[0]});
}

/* R filters of B2 (phi = 0.9) with kernels k: log Z-hat into lz. */
static void run_b2(fixture *f, int mode, const genc_smcp3_kernels *k, uint64_t seed, double *lz) {
  f->m[1].mode = mode;
  for (int r = 0; r < R; r++) {
    genc_smc_result res;
    T_OK(f->ctx, !filter(f, 1, k, genc_key_fold_in(genc_key_from_seed(seed), (uint64_t)r), &res));
    lz[r] = res.log_ml;
    genc_smc_result_clear(&res);
  }
}

static double spread(const double *v) {
  double m = 0, s = 0;
  for (int r = 0; r < R; r++)
    m += v[r] / R;
  for (int r = 0; r < R; r++)
    s += (v[r] - m) * (v[r] - m) / (R - 1);
  return sqrt(s);
}

static void test_b2_unbiased(void **state) {
  fixture *f = *state;
  double exact = kalman_log_z(&f->m[1]), opt[R], rw[R], boot[R];
  run_b2(f, 0, &(genc_smcp3_kernels){.fwd = f->fwd[1]}, 31, opt);
  smc_check_unbiased(opt, R, exact, "SMCP3 optimal proposal");
  run_b2(f, 2, &(genc_smcp3_kernels){.fwd = f->fwd[1], .bwd = f->bwd[1]}, 32, rw);
  smc_check_unbiased(rw, R, exact, "SMCP3 + random-walk revise");
  run_b2(f, 0, NULL, 33, boot);
  print_message("sd of log Z-hat: optimal %.4f, revise %.4f, bootstrap %.4f\n", spread(opt),
                spread(rw), spread(boot));
  assert_true(spread(opt) < 0.5 * spread(boot));
}

/* The weights particle by particle: the first step's is log N(y_0; 0, 1.25)
 * and the second's log N(y_1; 0.9 x_0, 1.25), x_0 the particle's, for the
 * optimal proposal on B2 (the model's and the proposal's densities cancel to
 * the predictive of y_t). */
static void test_weights(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  f->m[1].mode = 0;
  const double *y = f->m[1].y;
  genc_smcp3_kernels k = {.fwd = f->fwd[1]};
  genc_array *w0 = NULL, *w1 = NULL;
  genc_choicemap *c0 = genc_choicemap_new(ctx), *c1 = genc_choicemap_new(ctx);
  genc_choicemap_set_str(ctx, c0, "0/y", genc_scalar(ctx, y[0]));
  genc_choicemap_set_str(ctx, c1, "1/y", genc_scalar(ctx, y[1]));
  genc_trace *t0 =
      genc_smcp3_extend(ctx, f->model[1], NULL, (genc_array *[]){genc_scalar(ctx, 1.0), f->init},
                        NULL, c0, &k, genc_key_from_seed(3), 8, &w0);
  T_OK(ctx, t0);
  genc_argdiff d[2] = {genc_intdiff(1), genc_nochange()};
  genc_trace *t1 =
      genc_smcp3_extend(ctx, f->model[1], t0, (genc_array *[]){genc_scalar(ctx, 2.0), f->init}, d,
                        c1, &k, genc_key_from_seed(4), 0, &w1);
  T_OK(ctx, t1);
  double x0[8];
  T_OK(ctx, !genc_trace_copy_out(ctx, t0, "0/x", x0, 8));
  for (int i = 0; i < 8; i++) {
    double e0 = y[0], e1 = y[1] - 0.9 * x0[i], c = -0.5 * log(2 * M_PI * 1.25);
    T_CLOSE(t_at(ctx, w0, i), c - 0.5 * e0 * e0 / 1.25, 1e-12);
    T_CLOSE(t_at(ctx, w1, i), c - 0.5 * e1 * e1 / 1.25, 1e-12);
  }
  genc_trace_release(t0), genc_trace_release(t1);
  genc_choicemap_free(c0), genc_choicemap_free(c1);
}

static void test_errors(void **state) {
  fixture *f = *state;
  genc_smc_result res;
  f->m[0].mode = 1; /* replaces x_{t-1}, but no backward kernel */
  assert_int_equal(
      filter(f, 0, &(genc_smcp3_kernels){.fwd = f->fwd[0]}, genc_key_from_seed(1), &res),
      GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(f->ctx), "backward kernel"));
  assert_null(res.trace);
  genc_ctx_clear_error(f->ctx);
  genc_array *w = NULL;
  genc_gf *one = genc_gf_dynamic("one", fwd, 1, &f->m[0]); /* arity 1: not the model's 2 */
  assert_null(genc_smcp3_extend(f->ctx, f->model[0], NULL, (genc_array *[]){f->init, f->init}, NULL,
                                NULL, &(genc_smcp3_kernels){.fwd = one}, genc_key_from_seed(1), 4,
                                &w));
  assert_non_null(strstr(genc_ctx_error(f->ctx), "fwd kernel 'one'"));
  genc_ctx_clear_error(f->ctx);
  assert_null(genc_smcp3_extend(f->ctx, f->model[0], NULL, NULL, NULL, NULL,
                                &(genc_smcp3_kernels){0}, genc_key_from_seed(1), 4, &w));
  genc_ctx_clear_error(f->ctx);
  genc_trace *t0 =
      genc_gf_simulate(f->ctx, f->model[1], (genc_array *[]){genc_scalar(f->ctx, 1.0), f->init},
                       genc_key_from_seed(2), 4);
  T_OK(f->ctx, t0);
  assert_null(genc_smcp3_extend(f->ctx, f->model[0], t0, NULL, NULL, NULL,
                                &(genc_smcp3_kernels){.fwd = f->fwd[0]}, genc_key_from_seed(1), 0,
                                &w));
  assert_non_null(strstr(genc_ctx_error(f->ctx), "not of the model"));
  genc_ctx_clear_error(f->ctx);
  genc_trace_release(t0);
  genc_gf_release(one);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exact_proposal),
      cmocka_unit_test(test_weights),
      cmocka_unit_test(test_b2_unbiased),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
