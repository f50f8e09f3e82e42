/*
 * Gradient samplers on models built from combinators (their latents' supports
 * come from the combinator traces, genc_trace_support):
 *  - eight schools, non-centered, with eta_j inside a Map over the schools,
 *    has the log density and gradient of the same model written as one
 *    dynamic function (to 1e-12: the sums run in another order), and NUTS
 *    (genc_nuts_model) on it gives posterior means of mu and tau within 4
 *    MCSE of the quadrature means (examples/eight_schools_is.c) and of the
 *    dynamic model's NUTS means;
 *  - an AR(1) latent model with its states inside an Unfold (phi on an
 *    interval, the noise scale positive: both transformed) has the log
 *    density and gradient of its dynamic version to 1e-12 at several points.
 */
#include "testutil.h"

#define J 8
static const double y_obs[J] = {28, 8, -3, 7, -1, 1, 18, 12};
static const double sigma[J] = {15, 10, 16, 11, 9, 11, 10, 18};

static genc_array *schools_dyn(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, 0.0, 5.0));
  genc_array *tau = GENC_TRACE(rt, "tau", genc_half_cauchy(ctx, 5.0));
  for (int64_t j = 0; j < J; j++) {
    const genc_comp eta_p[3] = {GENC_SYM("schools"), genc_idx(j), GENC_SYM("eta")};
    const genc_comp y_p[3] = {GENC_SYM("schools"), genc_idx(j), GENC_SYM("y")};
    genc_array *eta = genc_rt_trace_path(rt, eta_p, 3, genc_normal(ctx, 0.0, 1.0));
    genc_rt_trace_path(rt, y_p, 3,
                       genc_normal(ctx, genc_add(ctx, mu, genc_mul(ctx, tau, eta)), sigma[j]));
  }
  return mu;
}

/* Map kernel (sigma_j, mu, tau): one school. */
static genc_array *school(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *eta = GENC_TRACE(rt, "eta", genc_normal(ctx, 0.0, 1.0));
  return GENC_TRACE(rt, "y",
                    genc_normal(ctx, genc_add(ctx, args[1], genc_mul(ctx, args[2], eta)), args[0]));
}

static genc_array *schools_map(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, 0.0, 5.0));
  genc_array *tau = GENC_TRACE(rt, "tau", genc_half_cauchy(ctx, 5.0));
  int64_t j = J;
  genc_array *ones = genc_array_full(ctx, GENC_F64, 1, &j, 0, 1.0);
  genc_array *margs[3] = {genc_array_vec(ctx, J, sigma), genc_mul(ctx, ones, mu),
                          genc_mul(ctx, ones, tau)};
  genc_rt_splice(rt, GENC_SYM("schools"), (genc_gf *)user, margs);
  return mu;
}

static const char *school_addrs[J + 2] = {"mu",
                                          "tau",
                                          "schools/0/eta",
                                          "schools/1/eta",
                                          "schools/2/eta",
                                          "schools/3/eta",
                                          "schools/4/eta",
                                          "schools/5/eta",
                                          "schools/6/eta",
                                          "schools/7/eta"};

/* The log density of a model over addrs given obs (template: a generate). */
static genc_logdensity *density(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                                const genc_choicemap *obs, int n, const char *const *addrs) {
  genc_trace *t = genc_gf_generate(ctx, gf, args, obs, genc_key_from_seed(1), 0, NULL);
  T_OK(ctx, t);
  genc_logdensity *ld = genc_logdensity_new(ctx, gf, args, obs, n, addrs, t);
  T_OK(ctx, ld);
  genc_trace_release(t);
  return ld;
}

/* Both densities agree in lp and gradient at npts pseudo-random points. */
static void same_density(genc_ctx *ctx, genc_logdensity *a, genc_logdensity *b, int npts) {
  int d = (int)genc_logdensity_dim(a);
  assert_int_equal(d, genc_logdensity_dim(b));
  double th[32], ga[32], gb[32], la, lb;
  uint64_t s = 12345;
  for (int p = 0; p < npts; p++) {
    for (int i = 0; i < d; i++) {
      s = s * 6364136223846793005u + 1442695040888963407u;
      th[i] = ((double)(s >> 11) / 9007199254740992.0 - 0.5) * 3.0;
    }
    assert_int_equal(genc_logdensity_eval(ctx, a, th, &la, ga), GENC_OK);
    assert_int_equal(genc_logdensity_eval(ctx, b, th, &lb, gb), GENC_OK);
    T_CLOSE(lb, la, 1e-12);
    for (int i = 0; i < d; i++)
      T_CLOSE(gb[i], ga[i], 1e-12);
  }
}

enum { CH = 2, WARM = 300, DRAWS = 400 };

/* Posterior summaries of mu and tau from CH chains of genc_nuts_model. */
static void nuts_summary(genc_ctx *ctx, genc_logdensity *ld, genc_diag_summary *out) {
  static double v[2][CH * DRAWS];
  int d = (int)genc_logdensity_dim(ld);
  for (int c = 0; c < CH; c++) {
    genc_nuts_result r;
    genc_nuts_opts o = {.warmup = WARM, .samples = DRAWS, .key = genc_key_from_seed(40 + c)};
    if (genc_nuts_model(ctx, ld, &o, &r)) fail_msg("nuts: %s", genc_ctx_error(ctx));
    for (int s = 0; s < DRAWS; s++) {
      double x[J + 2];
      assert_int_equal(genc_logdensity_constrain(ctx, ld, r.draws + (int64_t)s * d, x, NULL), 0);
      v[0][c * DRAWS + s] = x[0], v[1][c * DRAWS + s] = x[1];
    }
    genc_nuts_result_clear(&r);
  }
  for (int p = 0; p < 2; p++)
    assert_int_equal(genc_diag_summarize(ctx, v[p], CH, DRAWS, &out[p]), GENC_OK);
}

static void test_eight_schools_map(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *k = genc_gf_dynamic("school", school, 3, NULL), *m = genc_map(k);
  genc_gf *gm = genc_gf_dynamic("schools_map", schools_map, 0, m);
  genc_gf *gd = genc_gf_dynamic("schools_dyn", schools_dyn, 0, NULL);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  for (int j = 0; j < J; j++)
    genc_choicemap_set_path(ctx, obs, GENC_PATH(GENC_SYM("schools"), genc_idx(j), GENC_SYM("y")),
                            genc_scalar(ctx, y_obs[j]));
  genc_logdensity *lm = density(ctx, gm, NULL, obs, J + 2, school_addrs);
  genc_logdensity *ldyn = density(ctx, gd, NULL, obs, J + 2, school_addrs);
  same_density(ctx, ldyn, lm, 4);
  genc_diag_summary sm[2], sd[2];
  nuts_summary(ctx, lm, sm);
  nuts_summary(ctx, ldyn, sd);
  /* quadrature means (examples/eight_schools_is.c); each estimate's standard
   * error is its MCSE (from its own bulk ESS), so 4 MCSE bounds a correct
   * sampler's error except with tiny probability; two independent-ish
   * estimates differ by at most 4 sqrt(mcse_a^2 + mcse_b^2) */
  const double exact[2] = {4.3968, 3.5977};
  for (int p = 0; p < 2; p++) {
    print_message("%s: map %.4f (mcse %.4f), dynamic %.4f (mcse %.4f), exact %.4f\n",
                  p ? "tau" : "mu", sm[p].mean, sm[p].mcse_mean, sd[p].mean, sd[p].mcse_mean,
                  exact[p]);
    assert_true(fabs(sm[p].mean - exact[p]) < 4 * sm[p].mcse_mean);
    assert_true(fabs(sm[p].mean - sd[p].mean) <
                4 * sqrt(sm[p].mcse_mean * sm[p].mcse_mean + sd[p].mcse_mean * sd[p].mcse_mean));
  }
  genc_logdensity_free(lm), genc_logdensity_free(ldyn);
  genc_choicemap_free(obs);
  genc_gf_release(gd), genc_gf_release(gm), genc_gf_release(m), genc_gf_release(k);
}

#define T 6
static const double ar_y[T] = {0.3, -0.2, 0.9, 1.4, 0.6, -0.1};

/* Unfold kernel (t, state, phi, s): x ~ N(phi state, s), y ~ N(x, 0.5). */
static genc_array *ar_step(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, genc_mul(ctx, args[2], args[1]), args[3]));
  GENC_TRACE(rt, "y", genc_normal(ctx, x, 0.5));
  return x;
}

static genc_array *ar_unfold(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *phi = GENC_TRACE(rt, "phi", genc_uniform(ctx, -1.0, 1.0));
  genc_array *s = GENC_TRACE(rt, "s", genc_half_normal(ctx, 1.0));
  genc_array *uargs[4] = {genc_scalar_of(ctx, T, GENC_I32), genc_scalar(ctx, 0.0), phi, s};
  return genc_rt_splice(rt, GENC_SYM("xs"), (genc_gf *)user, uargs);
}

static genc_array *ar_dyn(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *phi = GENC_TRACE(rt, "phi", genc_uniform(ctx, -1.0, 1.0));
  genc_array *s = GENC_TRACE(rt, "s", genc_half_normal(ctx, 1.0));
  genc_array *x = genc_scalar(ctx, 0.0);
  for (int64_t t = 0; t < T; t++) {
    const genc_comp xp[3] = {GENC_SYM("xs"), genc_idx(t), GENC_SYM("x")};
    const genc_comp yp[3] = {GENC_SYM("xs"), genc_idx(t), GENC_SYM("y")};
    x = genc_rt_trace_path(rt, xp, 3, genc_normal(ctx, genc_mul(ctx, phi, x), s));
    genc_rt_trace_path(rt, yp, 3, genc_normal(ctx, x, 0.5));
  }
  return x;
}

static void test_ar1_unfold(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *k = genc_gf_dynamic("ar_step", ar_step, 4, NULL), *u = genc_unfold(k);
  genc_gf *gu = genc_gf_dynamic("ar_unfold", ar_unfold, 0, u);
  genc_gf *gd = genc_gf_dynamic("ar_dyn", ar_dyn, 0, NULL);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  for (int t = 0; t < T; t++)
    genc_choicemap_set_path(ctx, obs, GENC_PATH(GENC_SYM("xs"), genc_idx(t), GENC_SYM("y")),
                            genc_scalar(ctx, ar_y[t]));
  const char *addrs[T + 2] = {"phi",    "s",      "xs/0/x", "xs/1/x",
                              "xs/2/x", "xs/3/x", "xs/4/x", "xs/5/x"};
  genc_logdensity *lu = density(ctx, gu, NULL, obs, T + 2, addrs);
  genc_logdensity *ldyn = density(ctx, gd, NULL, obs, T + 2, addrs);
  same_density(ctx, ldyn, lu, 5);
  genc_logdensity_free(lu), genc_logdensity_free(ldyn);
  genc_choicemap_free(obs);
  genc_gf_release(gd), genc_gf_release(gu), genc_gf_release(u), genc_gf_release(k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ar1_unfold),
      cmocka_unit_test(test_eight_schools_map),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
