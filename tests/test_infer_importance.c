/* Importance sampling and resampling (src/infer/importance.c, resample.c).
 *
 * The model is conjugate: mu ~ N(0, 1), y_i ~ N(mu, 1), i < K. Then
 * y ~ N(0, I + 11'), so log p(y) = -K/2 log 2pi - 1/2 log(1 + K)
 * - 1/2 (sum y^2 - (sum y)^2 / (1 + K)), and mu | y ~ N(sum y / (1 + K), 1 / (1 + K)).
 * Every statistical check uses a fixed seed and a tolerance of 4 standard
 * errors of the estimator, derived next to the check. */
#include <time.h>

#include "b1_model.h"
#include "testutil.h"

#define K 3
static const double Y[K] = {1.2, 2.0, 1.6};

static double exact_log_ml(void) {
  double s = 0, s2 = 0;
  for (int i = 0; i < K; i++)
    s += Y[i], s2 += Y[i] * Y[i];
  return -0.5 * K * log(2 * M_PI) - 0.5 * log(1.0 + K) - 0.5 * (s2 - s * s / (1.0 + K));
}
static double post_mean(void) {
  double s = 0;
  for (int i = 0; i < K; i++)
    s += Y[i];
  return s / (1.0 + K);
}
static const double POST_SD = 0.5; /* 1 / sqrt(1 + K) */

static genc_array *model(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, 0.0, 1.0));
  for (int i = 0; i < K; i++)
    GENC_TRACE_AT(rt, "y", i, genc_normal(ctx, mu, 1.0));
  return mu;
}

/* q(mu) = N(1.2, 1): centred at the posterior mean, twice its sd */
static genc_array *proposal(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  return GENC_TRACE(rt, "mu", genc_normal(ctx, 1.2, 1.0));
}

/* a proposal that also proposes an observed choice */
static genc_array *bad_proposal(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  GENC_TRACE(rt, "mu", genc_normal(ctx, 1.2, 1.0));
  return GENC_TRACE_AT(rt, "y", 1, genc_normal(ctx, 0.0, 1.0));
}

static genc_choicemap *observations(genc_ctx *ctx) {
  genc_choicemap *obs = genc_choicemap_new(ctx);
  char a[16];
  for (int i = 0; i < K; i++) {
    snprintf(a, sizeof a, "y/%d", i);
    assert_int_equal(genc_choicemap_set_str(ctx, obs, a, genc_scalar(ctx, Y[i])), GENC_OK);
  }
  return obs;
}

/* self-normalized posterior mean of mu */
static double weighted_mu(genc_ctx *ctx, const genc_is_result *r) {
  double *mu = malloc((size_t)r->n * sizeof *mu), s = 0;
  assert_int_equal(genc_trace_copy_out(ctx, r->trace, "mu", mu, r->n), GENC_OK);
  for (int64_t i = 0; i < r->n; i++)
    s += r->weights[i] * mu[i];
  free(mu);
  return s;
}

static void test_conjugate(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("conjugate", model, 0, NULL);
  genc_choicemap *obs = observations(ctx);
  genc_is_result r;
  genc_is_opts o = {.n = 20000, .key = genc_key_from_seed(11)};
  T_OK(ctx, !genc_importance(ctx, gf, NULL, obs, &o, &r));
  assert_int_equal(r.n, 20000);
  assert_int_equal(genc_trace_nparticles(r.trace), 20000);
  printf("IS n = %lld: log p(y) = %.5f +- %.5f (exact %.5f), ESS %.0f\n", (long long)r.n, r.log_ml,
         r.log_ml_se, exact_log_ml(), r.ess);
  /* log-ML within 4 of its own standard errors */
  assert_true(r.log_ml_se > 0 && r.log_ml_se < 0.05);
  assert_true(fabs(r.log_ml - exact_log_ml()) < 4 * r.log_ml_se);
  /* normalized weights sum to 1; ESS in [1, n] and about n / E_q[(p/q)^2]
   * = n * 0.29 for q = N(0,1), p = N(1.2, 0.25) (see test_custom_proposal) */
  double s = 0;
  for (int64_t i = 0; i < r.n; i++)
    s += r.weights[i];
  T_CLOSE(s, 1.0, 1e-12);
  assert_true(r.ess > 0.25 * r.n && r.ess < 0.33 * r.n);
  /* the posterior mean: a self-normalized estimate, se ~= sd_post / sqrt(ESS) */
  assert_true(fabs(weighted_mu(ctx, &r) - post_mean()) < 4 * POST_SD / sqrt(r.ess));
  genc_is_result_clear(&r);
  assert_null(r.trace);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

/* The reported standard error against the spread over 30 seeds. The sample sd
 * of 30 estimates has a relative error of about 1 / sqrt(2 * 29) = 0.13 (its
 * log has sd 0.13), so a factor 1.5 (log 1.5 = 0.41) is 3 of those standard
 * errors; the reported SE varies far less from seed to seed at n = 2000. */
static void test_se_calibrated(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("conjugate", model, 0, NULL);
  genc_choicemap *obs = observations(ctx);
  enum { S = 30 };
  double est[S], mean = 0, se = 0, var = 0;
  for (int s = 0; s < S; s++) {
    genc_is_result r;
    genc_is_opts o = {.n = 2000, .key = genc_key_from_seed(100 + (uint64_t)s)};
    T_OK(ctx, !genc_importance(ctx, gf, NULL, obs, &o, &r));
    est[s] = r.log_ml, mean += r.log_ml / S, se += r.log_ml_se / S;
    genc_is_result_clear(&r);
  }
  for (int s = 0; s < S; s++)
    var += (est[s] - mean) * (est[s] - mean) / (S - 1);
  double ratio = sqrt(var) / se;
  printf("30 seeds: empirical sd %.5f, mean reported se %.5f (ratio %.3f)\n", sqrt(var), se, ratio);
  if (!(ratio > 1 / 1.5 && ratio < 1.5))
    fail_msg("empirical sd %.4g vs mean reported se %.4g (ratio %.3f)", sqrt(var), se, ratio);
  /* and the mean of 30 estimates within 4 se / sqrt(30) of exact (the bias of
   * log mean is -var/2 ~ 1e-4, negligible) */
  assert_true(fabs(mean - exact_log_ml()) < 4 * se / sqrt((double)S));
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

/* q = N(1.2, 1) against the prior N(0, 1), posterior N(1.2, 0.5^2): with
 * E_q[(p/q)^2] = t^2 / (s sqrt(2 t^2 - s^2)) exp((m - m0)^2 / (2 t^2 - s^2))
 * (t = 1, s = 0.5), ESS / n is 0.66 for q and 0.29 for the prior. */
static void test_custom_proposal(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("conjugate", model, 0, NULL);
  genc_gf *q = genc_gf_dynamic("near_posterior", proposal, 0, NULL);
  genc_choicemap *obs = observations(ctx);
  genc_is_result rp, rq;
  genc_is_opts op = {.n = 20000, .key = genc_key_from_seed(5)};
  genc_is_opts oq = {.n = 20000, .key = genc_key_from_seed(5), .proposal = q};
  T_OK(ctx, !genc_importance(ctx, gf, NULL, obs, &op, &rp));
  T_OK(ctx, !genc_importance(ctx, gf, NULL, obs, &oq, &rq));
  printf("custom proposal: ESS %.0f vs prior %.0f; log p(y) %.5f +- %.5f\n", rq.ess, rp.ess,
         rq.log_ml, rq.log_ml_se);
  assert_true(rq.ess > 0.62 * rq.n && rq.ess < 0.70 * rq.n);
  assert_true(rq.ess > 2 * rp.ess);
  assert_true(rq.log_ml_se < rp.log_ml_se);
  assert_true(fabs(rq.log_ml - exact_log_ml()) < 4 * rq.log_ml_se);
  assert_true(fabs(rq.log_ml - rp.log_ml) < 4 * hypot(rq.log_ml_se, rp.log_ml_se));
  assert_true(fabs(weighted_mu(ctx, &rq) - post_mean()) < 4 * POST_SD / sqrt(rq.ess));
  /* w = log p(mu, y) - log q(mu) exactly, particle 0 */
  double *mus = malloc((size_t)rq.n * sizeof *mus);
  assert_int_equal(genc_trace_copy_out(ctx, rq.trace, "mu", mus, rq.n), GENC_OK);
  double lp = -0.5 * mus[0] * mus[0] - 0.5 * log(2 * M_PI);
  for (int i = 0; i < K; i++)
    lp += -0.5 * (Y[i] - mus[0]) * (Y[i] - mus[0]) - 0.5 * log(2 * M_PI);
  double lq = -0.5 * (mus[0] - 1.2) * (mus[0] - 1.2) - 0.5 * log(2 * M_PI);
  T_CLOSE(rq.log_weights[0], lp - lq, 1e-12);
  free(mus);
  genc_is_result_clear(&rp);
  genc_is_result_clear(&rq);
  genc_choicemap_free(obs);
  genc_gf_release(q);
  genc_gf_release(gf);
}

static void test_is_errors(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("conjugate", model, 0, NULL);
  genc_gf *bad = genc_gf_dynamic("greedy", bad_proposal, 0, NULL);
  genc_choicemap *obs = observations(ctx);
  genc_is_result r;
  genc_is_opts o = {.n = 10, .proposal = bad};
  assert_int_equal(genc_importance(ctx, gf, NULL, obs, &o, &r), GENC_ERR_ADDRESS);
  assert_non_null(strstr(genc_ctx_error(ctx), "greedy"));
  assert_non_null(strstr(genc_ctx_error(ctx), "disjoint"));
  assert_non_null(strstr(genc_ctx_error(ctx), "y/1"));
  assert_null(r.trace);
  assert_null(r.log_weights);
  o = (genc_is_opts){.n = -1};
  assert_int_equal(genc_importance(ctx, gf, NULL, obs, &o, &r), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "n = -1"));
  assert_int_equal(genc_importance(ctx, NULL, NULL, obs, NULL, &r), GENC_ERR_ARG);
  assert_int_equal(genc_importance(ctx, gf, NULL, obs, NULL, NULL), GENC_ERR_ARG);
  /* n = 0 (and no options) is the documented default */
  T_OK(ctx, !genc_importance(ctx, gf, NULL, obs, NULL, &r));
  assert_int_equal(r.n, GENC_IS_DEFAULT_N);
  genc_is_result_clear(&r);
  genc_is_result_clear(NULL);
  genc_choicemap_free(obs);
  genc_gf_release(bad);
  genc_gf_release(gf);
}

/* SIR: m resampled traces of mu; their mean has se ~= sd_post sqrt(1/ESS + 1/m)
 * (the IS error plus the resampling noise). */
static void test_sir(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("conjugate", model, 0, NULL);
  genc_choicemap *obs = observations(ctx);
  genc_is_opts o = {.n = 50000, .key = genc_key_from_seed(9)};
  double lml = 0;
  genc_trace *t =
      genc_importance_resampling(ctx, gf, NULL, obs, &o, 5000, GENC_RESAMPLE_SYSTEMATIC, &lml);
  T_OK(ctx, t);
  assert_int_equal(genc_trace_nparticles(t), 5000);
  double *mu = malloc(5000 * sizeof *mu), m = 0, v = 0;
  assert_int_equal(genc_trace_copy_out(ctx, t, "mu", mu, 5000), GENC_OK);
  for (int i = 0; i < 5000; i++)
    m += mu[i] / 5000;
  for (int i = 0; i < 5000; i++)
    v += (mu[i] - m) * (mu[i] - m) / 4999;
  assert_true(fabs(m - post_mean()) < 4 * POST_SD * sqrt(1 / (0.29 * 50000) + 1 / 5000.0));
  /* the variance within 4 se (se of a sample variance ~ var sqrt(2 / m)) */
  assert_true(fabs(v - POST_SD * POST_SD) < 4 * POST_SD * POST_SD * sqrt(2 / 5000.0) + 0.01);
  assert_true(fabs(lml - exact_log_ml()) < 0.1);
  free(mu);
  genc_trace_release(t);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

/* B1 poly-IS of shared/BENCHMARKS.md: a, b, c ~ N(0, 1), y_i ~ N(a + b x_i +
 * c x_i^2, 0.3), i < 100; exact log p(y) = -7.48273979765505. The posterior is
 * narrow against the prior, so even 1e6 particles give an ESS of about 30: the
 * check is 4 reported standard errors, and the SE must be below 0.3. The
 * model is b1_model.h's. */
static void test_b1(void **state) {
  genc_ctx *ctx = *state;
  double x[100], x2[100], y[100];
  b1_data(100, x, x2, y);
  genc_gf *gf = genc_gf_dynamic("b1", b1, 2, NULL);
  genc_array *args[2] = {genc_array_vec(ctx, 100, x), genc_array_vec(ctx, 100, x2)};
  genc_choicemap *obs = genc_choicemap_new(ctx);
  assert_int_equal(genc_choicemap_set_str(ctx, obs, "y", genc_array_vec(ctx, 100, y)), GENC_OK);
  genc_is_result r;
  genc_is_opts o = {.n = 1000000, .key = genc_key_from_seed(2)};
  T_OK(ctx, !genc_importance(ctx, gf, args, obs, &o, &r));
  printf("B1 n = 1e6: log p(y) = %.4f +- %.4f (exact -7.48274), ESS %.1f\n", r.log_ml, r.log_ml_se,
         r.ess);
  assert_true(r.log_ml_se < 0.3);
  assert_true(fabs(r.log_ml - -7.48273979765505) < 4 * r.log_ml_se);
  genc_is_result_clear(&r);
  genc_choicemap_free(obs);
  genc_gf_release(gf);
}

/* ---- resampling ---- */

static void counts_of(genc_ctx *ctx, genc_array *idx, int64_t n, int64_t m, int32_t *cnt) {
  T_OK(ctx, idx);
  assert_int_equal(genc_array_dtype(idx), GENC_I32);
  assert_int_equal(genc_array_size(idx), m);
  assert_false(genc_array_batched(idx));
  int32_t *a = malloc((size_t)m * sizeof *a);
  assert_int_equal(genc_array_copy_raw(ctx, idx, a, (size_t)m * sizeof *a), GENC_OK);
  memset(cnt, 0, (size_t)n * sizeof *cnt);
  for (int64_t j = 0; j < m; j++) {
    assert_true(a[j] >= 0 && a[j] < n);
    assert_true(j == 0 || a[j] >= a[j - 1]); /* sorted */
    cnt[a[j]]++;
  }
  free(a);
}

#define NP 6
static const double W[NP] = {0.1, 0.2, 0.3, 0.15, 0.25, 0.0}; /* last: zero weight */
enum { M = 7, REPS = 4000 };

/* Mean and variance of each particle's offspring count over REPS seeds. The
 * mean must be M w_i within 4 multinomial standard errors sqrt(M w (1-w) /
 * REPS) (every scheme here has at most the multinomial variance). */
static double offspring_stats(genc_ctx *ctx, genc_resample_scheme scheme, double *mean) {
  double lw[NP], sum[NP] = {0}, sq[NP] = {0};
  int32_t cnt[NP];
  for (int i = 0; i < NP; i++)
    lw[i] = log(W[i]) + 3.0; /* unnormalized */
  for (int r = 0; r < REPS; r++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_key key = genc_key_from_seed(1000 + (uint64_t)r);
    counts_of(ctx, genc_resample(ctx, lw, NP, M, scheme, key), NP, M, cnt);
    genc_scope_end(ctx, mark);
    for (int i = 0; i < NP; i++) {
      sum[i] += cnt[i], sq[i] += (double)cnt[i] * cnt[i];
      if (scheme == GENC_RESAMPLE_SYSTEMATIC)
        assert_true(cnt[i] == floor(M * W[i]) || cnt[i] == ceil(M * W[i]));
      if (scheme == GENC_RESAMPLE_RESIDUAL) assert_true(cnt[i] >= floor(M * W[i]));
    }
    assert_int_equal(cnt[NP - 1], 0);
  }
  double var = 0;
  for (int i = 0; i < NP; i++) {
    mean[i] = sum[i] / REPS;
    double se = sqrt(M * W[i] * (1 - W[i]) / REPS);
    if (!(fabs(mean[i] - M * W[i]) <= 4 * se))
      fail_msg("scheme %d particle %d: mean count %.4f, expected %.4f (se %.3g)", (int)scheme, i,
               mean[i], M * W[i], se);
    var += sq[i] / REPS - mean[i] * mean[i];
  }
  return var;
}

/* Total offspring variance: multinomial's is M (1 - sum w^2) = 5.43 here;
 * residual's R (1 - sum p^2) with R = 2 residual draws and p the residuals
 * over R is 1.39; stratified and systematic are lower still. The sample
 * variances over 4000 seeds are within a few percent, so half is a safe bar. */
static void test_resample_schemes(void **state) {
  genc_ctx *ctx = *state;
  double mean[NP];
  double vm = offspring_stats(ctx, GENC_RESAMPLE_MULTINOMIAL, mean);
  double vr = offspring_stats(ctx, GENC_RESAMPLE_RESIDUAL, mean);
  double vs = offspring_stats(ctx, GENC_RESAMPLE_STRATIFIED, mean);
  double vy = offspring_stats(ctx, GENC_RESAMPLE_SYSTEMATIC, mean);
  printf("offspring variance: multinomial %.3f residual %.3f stratified %.3f systematic %.3f\n", vm,
         vr, vs, vy);
  T_CLOSE(vm, 5.425, 0.05);
  T_CLOSE(vr, 1.3875, 0.05);
  assert_true(vr < 0.5 * vm);
  assert_true(vs < 0.5 * vm);
  assert_true(vy <= vs + 0.05);
}

/* Systematic counts are floor or ceil of m W_i for arbitrary weights too. */
static void test_systematic_random_weights(void **state) {
  genc_ctx *ctx = *state;
  enum { N = 1000, MM = 777 };
  double lw[N], w[N], tot = 0;
  int32_t cnt[N];
  srand(3);
  for (int i = 0; i < N; i++)
    lw[i] = 8.0 * rand() / RAND_MAX - 4.0, tot += exp(lw[i]);
  for (int i = 0; i < N; i++)
    w[i] = exp(lw[i]) / tot;
  for (int r = 0; r < 20; r++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_array *idx =
        genc_resample(ctx, lw, N, MM, GENC_RESAMPLE_SYSTEMATIC, genc_key_from_seed((uint64_t)r));
    counts_of(ctx, idx, N, MM, cnt);
    genc_scope_end(ctx, mark);
    for (int i = 0; i < N; i++)
      assert_true(cnt[i] == floor(MM * w[i]) || cnt[i] == ceil(MM * w[i]));
  }
}

/* 1e7 particles, particle 0 with log weight 0 and the rest log(1e-12): the rest
 * hold 1e-5 of the mass, so particle 0 expects m W_0 = 1e7 / (1 + 1e-5) =
 * 9999900.001 offspring, the others 100 in all. Systematic must give floor or
 * ceil exactly; multinomial within 4 sd (sqrt(m W_0 (1 - W_0)) = 10). */
static void test_resample_large(void **state) {
  genc_ctx *ctx = *state;
  const int64_t n = 10000000;
  double *lw = malloc((size_t)n * sizeof *lw);
  int32_t *cnt = malloc((size_t)n * sizeof *cnt);
  lw[0] = 0;
  for (int64_t i = 1; i < n; i++)
    lw[i] = log(1e-12);
  double w0 = 1.0 / (1.0 + (double)(n - 1) * 1e-12), e0 = (double)n * w0;
  genc_resample_scheme schemes[] = {GENC_RESAMPLE_SYSTEMATIC, GENC_RESAMPLE_MULTINOMIAL,
                                    GENC_RESAMPLE_RESIDUAL, GENC_RESAMPLE_STRATIFIED};
  for (int s = 0; s < 4; s++) {
    int64_t mark = genc_scope_begin(ctx);
    clock_t c0 = clock();
    counts_of(ctx, genc_resample(ctx, lw, n, n, schemes[s], genc_key_from_seed(77)), n, n, cnt);
    double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
    genc_scope_end(ctx, mark);
    int64_t rest = 0;
    for (int64_t i = 1; i < n; i++)
      rest += cnt[i];
    assert_int_equal(cnt[0] + rest, n);
    if (schemes[s] == GENC_RESAMPLE_MULTINOMIAL)
      assert_true(fabs(cnt[0] - e0) < 4 * sqrt(e0 * (1 - w0)));
    else /* systematic, stratified (one point per stratum) and residual (the floor
            plus ~1e-5 of a residual draw): floor or ceil */
      assert_true(cnt[0] == floor(e0) || cnt[0] == ceil(e0));
    if (schemes[s] == GENC_RESAMPLE_SYSTEMATIC) assert_true(rest == 99 || rest == 100);
    printf("resample 1e7 scheme %d: %.2f s, particle 0 has %d offspring (expected %.3f)\n",
           (int)schemes[s], secs, cnt[0], e0);
  }
  free(lw);
  free(cnt);
}

static void test_resample_errors(void **state) {
  genc_ctx *ctx = *state;
  double lw[3] = {0, -1, NAN};
  genc_key k = genc_key_from_seed(1);
  t_expect_error(ctx, genc_resample(ctx, lw, 3, 3, GENC_RESAMPLE_MULTINOMIAL, k), GENC_ERR_DOMAIN,
                 "log weight 2", "NaN");
  t_expect_error(ctx, genc_resample(ctx, lw, 0, 3, GENC_RESAMPLE_MULTINOMIAL, k), GENC_ERR_ARG,
                 "n = 0", NULL);
  t_expect_error(ctx, genc_resample(ctx, lw, 2, 0, GENC_RESAMPLE_MULTINOMIAL, k), GENC_ERR_ARG,
                 "m = 0", NULL);
  t_expect_error(ctx, genc_resample(ctx, NULL, 2, 2, GENC_RESAMPLE_MULTINOMIAL, k), GENC_ERR_ARG,
                 "NULL", NULL);
  t_expect_error(ctx, genc_resample(ctx, lw, 2, 2, (genc_resample_scheme)9, k), GENC_ERR_ARG,
                 "scheme", NULL);
  double ninf[2] = {-INFINITY, -INFINITY};
  t_expect_error(ctx, genc_resample(ctx, ninf, 2, 2, GENC_RESAMPLE_SYSTEMATIC, k), GENC_ERR_DOMAIN,
                 "-inf", NULL);
  /* -inf weights are zero weights: never chosen */
  double some[4] = {-INFINITY, 0, -INFINITY, 0};
  int32_t cnt[4];
  for (int s = 0; s < 4; s++) {
    counts_of(ctx, genc_resample(ctx, some, 4, 50, (genc_resample_scheme)s, k), 4, 50, cnt);
    assert_int_equal(cnt[0] + cnt[2], 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_conjugate),
                                     cmocka_unit_test(test_se_calibrated),
                                     cmocka_unit_test(test_custom_proposal),
                                     cmocka_unit_test(test_is_errors),
                                     cmocka_unit_test(test_sir),
                                     cmocka_unit_test(test_b1),
                                     cmocka_unit_test(test_resample_schemes),
                                     cmocka_unit_test(test_systematic_random_weights),
                                     cmocka_unit_test(test_resample_large),
                                     cmocka_unit_test(test_resample_errors)};
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
