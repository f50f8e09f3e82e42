/*
 * Sampling: for every distribution, 1e5 batched draws (fixed seeds) pass a
 * moment test and a chi-square goodness-of-fit test on element 0 of the value,
 * against tests/fixtures/dist_sample.json (tools/fixtures/dist.py).
 *  - mean within 5 standard errors: |m - mu| < 5 sqrt(var / N);
 *  - variance within 5 standard errors: |s2 - var| < 5 sqrt((mu4 - var^2) / N)
 *    (the large-N standard error of the sample variance);
 *  - chi-square over bins with probability >= 0.01 (deciles for continuous
 *    laws) below the 1e-6 upper quantile of its chi-square law.
 * Batched draws equal one-at-a-time draws made with genc_key_particle (so the
 * two agree in distribution exactly).
 */
#include <math.h>
#include <float.h>
#include "test_dist_common.h"

#define N 100000

/* Element 0 of every particle of a draw, as doubles. */
static double *first_elements(genc_ctx *ctx, genc_array *x, int64_t n) {
  int64_t size = genc_array_size(x);
  double *all = malloc((size_t)(n * size) * sizeof *all), *out = malloc((size_t)n * sizeof *out);
  if (genc_array_copy_out(ctx, x, all, n * size)) fail_msg("copy_out: %s", genc_ctx_error(ctx));
  for (int64_t i = 0; i < n; i++)
    out[i] = all[i * size];
  free(all);
  return out;
}

static void moments(const char *name, const double *v, const cJSON *c) {
  const cJSON *jm = cJSON_GetObjectItem(c, "mean");
  if (!cJSON_IsNumber(jm)) return; /* Cauchy: no moments */
  double mu = jm->valuedouble, var = cJSON_GetObjectItem(c, "var")->valuedouble;
  double mu4 = cJSON_GetObjectItem(c, "mu4")->valuedouble, s = 0, s2 = 0;
  for (int i = 0; i < N; i++)
    s += v[i];
  double m = s / N;
  for (int i = 0; i < N; i++)
    s2 += (v[i] - m) * (v[i] - m);
  s2 /= N - 1;
  double sem = sqrt(var / N), sev = sqrt((mu4 - var * var) / N);
  if (fabs(m - mu) > 5 * sem) fail_msg("%s: mean %.6g, expected %.6g (se %.3g)", name, m, mu, sem);
  if (fabs(s2 - var) > 5 * sev)
    fail_msg("%s: variance %.6g, expected %.6g (se %.3g)", name, s2, var, sev);
}

static void chi_square(const char *name, const double *v, const cJSON *c) {
  const cJSON *je = cJSON_GetObjectItem(c, "edges"), *jp = cJSON_GetObjectItem(c, "probs");
  int ne = cJSON_GetArraySize(je), nb = cJSON_GetArraySize(jp);
  assert_int_equal(nb, ne + 1);
  double edges[64], cnt[65] = {0};
  for (int i = 0; i < ne; i++)
    edges[i] = td_num(cJSON_GetArrayItem(je, i));
  for (int i = 0; i < N; i++) {
    int b = 0;
    while (b < ne && v[i] > edges[b])
      b++;
    cnt[b] += 1;
  }
  double stat = 0;
  for (int b = 0; b < nb; b++) {
    double e = N * cJSON_GetArrayItem(jp, b)->valuedouble;
    stat += (cnt[b] - e) * (cnt[b] - e) / e;
  }
  double crit = cJSON_GetObjectItem(c, "crit")->valuedouble;
  if (!(stat < crit)) fail_msg("%s: chi-square %.4g over %d bins >= %.4g", name, stat, nb, crit);
}

static void test_moments_and_fit(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  cJSON *all = td_load("dist_sample.json");
  int k = 0;
  for (const cJSON *c = all->child; c; c = c->next, k++) {
    int64_t mark = genc_scope_begin(ctx);
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(c, "dist"));
    td_mix mix;
    genc_dist d = td_make_json(ctx, c, GENC_F64, &mix);
    genc_array *x = genc_dist_sample(ctx, genc_key_from_seed(1000 + (uint64_t)k), &d, N);
    if (!x) fail_msg("%s: %s", name, genc_ctx_error(ctx));
    assert_int_equal(genc_array_nparticles(x), N);
    double *v = first_elements(ctx, x, N);
    moments(name, v, c);
    chi_square(name, v, c);
    free(v);
    genc_scope_end(ctx, mark);
  }
  cJSON_Delete(all);
  genc_ctx_free(ctx);
}

/* Particle i of a batched draw equals the shared draw of genc_key_particle(key, i). */
static void test_batched_equals_single(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  cJSON *all = td_load("dist_sample.json");
  genc_key key = genc_key_from_seed(77);
  for (const cJSON *c = all->child; c; c = c->next) {
    int64_t mark = genc_scope_begin(ctx);
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(c, "dist"));
    td_mix mix;
    genc_dist d = td_make_json(ctx, c, GENC_F64, &mix);
    genc_array *xb = genc_dist_sample(ctx, key, &d, 6);
    if (!xb) fail_msg("%s: %s", name, genc_ctx_error(ctx));
    int64_t size = genc_array_size(xb);
    for (uint32_t i = 0; i < 6; i++) {
      genc_array *xi = genc_dist_sample(ctx, genc_key_particle(key, i), &d, 0);
      T_OK(ctx, xi);
      assert_int_equal(genc_array_nparticles(xi), 0);
      assert_int_equal(genc_array_dtype(xi), genc_array_dtype(xb));
      for (int64_t j = 0; j < size; j++) {
        double a = t_at(ctx, xb, i * size + j), b = t_at(ctx, xi, j);
        /* bit-equal except where a libm function ran in its vector version for
         * the batch (libmvec: at most 4 ulp, src/backend/cpu/vecmath.h) */
        if (!(a == b || fabs(a - b) <= 8 * DBL_EPSILON * fabs(b)))
          fail_msg("%s: particle %u element %lld: %.17g vs %.17g", name, i, (long long)j, a, b);
      }
    }
    genc_scope_end(ctx, mark);
  }
  cJSON_Delete(all);
  genc_ctx_free(ctx);
}

/* Value dtypes and shapes of draws; batched parameters give batched draws. */
static void test_draw_types(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_key key = genc_key_from_seed(5);
  genc_dist p = genc_poisson(ctx, 3.0), b = genc_bernoulli(ctx, 0.5), g = genc_geometric(ctx, 0.5);
  assert_int_equal(genc_array_dtype(genc_dist_sample(ctx, key, &p, 4)), GENC_I32);
  assert_int_equal(genc_array_dtype(genc_dist_sample(ctx, key, &b, 4)), GENC_BOOL);
  assert_int_equal(genc_array_dtype(genc_dist_sample(ctx, key, &g, 4)), GENC_I32);
  double sg[3] = {1, 2, 3};
  genc_array *s = genc_array_from(ctx, GENC_F64, 0, NULL, 3, sg);
  genc_dist nb = genc_normal(ctx, 0.0, s);
  genc_array *x = genc_dist_sample(ctx, key, &nb, 0);
  T_OK(ctx, x);
  assert_int_equal(genc_array_nparticles(x), 3);
  assert_null(genc_dist_sample(ctx, key, &nb, 4)); /* 4 particles vs parameters of 3 */
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_PARTICLE);
  genc_ctx_clear_error(ctx);
  genc_dist f =
      genc_normal(ctx, genc_scalar_of(ctx, 0, GENC_F32), genc_scalar_of(ctx, 1, GENC_F32));
  assert_int_equal(genc_array_dtype(genc_dist_sample(ctx, key, &f, 2)), GENC_F32);
  genc_dist dl = genc_delta(ctx, genc_array_vec(ctx, 2, (double[]){1.5, -2}));
  genc_array *xd = genc_dist_sample(ctx, key, &dl, 3);
  T_CLOSE(t_at(ctx, xd, 5), -2, 0);
  T_CLOSE(t_at(ctx, xd, 4), 1.5, 0);
  genc_dist dir = genc_dirichlet(ctx, genc_array_vec(ctx, 3, (double[]){1e-3, 1e-3, 1e-3}));
  genc_array *xs = genc_sum_all(ctx, genc_dist_sample(ctx, key, &dir, 5));
  for (int i = 0; i < 5; i++)
    T_CLOSE(t_at(ctx, xs, i), 1.0, 1e-14); /* no 0/0 for tiny alpha */
  genc_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_moments_and_fit),
                                     cmocka_unit_test(test_batched_equals_single),
                                     cmocka_unit_test(test_draw_types)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
