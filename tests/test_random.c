/*
 * Tests of the random layer: keys, the golden stream, batched == per-particle,
 * independence of split keys, moments and goodness of fit of every sampler,
 * and the error paths.
 *
 * Statistical tests use fixed seeds, so they are deterministic; their bounds
 * are 5 standard errors (moments) or the 0.999 quantile of the chi-square law
 * (goodness of fit), so a correct sampler would fail them for about one seed in
 * a thousand or fewer, while a wrong law fails them decisively.
 */
#include <float.h>
#include <cjson/cJSON.h>

#include "genc/random.h"
#include "testutil.h"

#define NDRAW 100000
#define NGOF 300000

static cJSON *golden;

static int setup(void **state) {
  (void)state;
  FILE *f = fopen(GENC_FIXTURES "/random_golden.json", "rb");
  if (!f) return -1;
  static char buf[1 << 16];
  size_t len = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[len] = 0;
  golden = cJSON_Parse(buf);
  return golden ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  cJSON_Delete(golden);
  return 0;
}

static double gnum(const char *name, int i) {
  cJSON *a = cJSON_GetObjectItem(golden, name);
  cJSON *x = cJSON_GetArrayItem(a, i);
  if (!x) fail_msg("fixture %s[%d] missing", name, i);
  return x->valuedouble;
}

static double gnum2(const char *name, const char *sub, int i) {
  cJSON *x = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(golden, name), sub), i);
  if (!x) fail_msg("fixture %s[%s][%d] missing", name, sub, i);
  return x->valuedouble;
}

/* All elements of an array as doubles (caller frees). */
static double *host(genc_ctx *ctx, genc_array *a, int64_t *cnt) {
  if (!a) fail_msg("sampler failed: %s", genc_ctx_error(ctx));
  int64_t n = genc_array_size(a) * (genc_array_nparticles(a) ? genc_array_nparticles(a) : 1);
  double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
  if (genc_array_copy_out(ctx, a, v, n)) fail_msg("copy_out: %s", genc_ctx_error(ctx));
  if (cnt) *cnt = n;
  return v;
}

/* ---- keys and the golden stream ---- */

static void test_golden(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_key k = genc_key_from_seed(42);
  assert_int_equal(k.k[0], (uint32_t)gnum("key42", 0));
  assert_int_equal(k.k[1], (uint32_t)gnum("key42", 1));
  assert_int_equal(k.particle, 0);
  genc_key s[2];
  genc_key_split(k, 2, s);
  assert_int_equal(s[1].k[0], (uint32_t)gnum("split42_1", 0));
  assert_int_equal(s[1].k[1], (uint32_t)gnum("split42_1", 1));

  int64_t sh[1] = {8};
  double *u = host(ctx, genc_random_uniform(ctx, k, GENC_F64, 1, sh, 0), NULL);
  double *z = host(ctx, genc_random_normal(ctx, k, GENC_F64, 1, sh, 0), NULL);
  for (int i = 0; i < 8; i++) {
    assert_true(u[i] == gnum("uniform42", i)); /* exact: 53 bits, no rounding */
    T_CLOSE(z[i], gnum("normal42", i), 1e-15); /* libm log/cos: last ulp may vary */
  }
  int64_t sh4[1] = {4};
  int32_t bits[4];
  assert_int_equal(genc_array_copy_raw(ctx, genc_random_bits(ctx, k, 1, sh4, 0), bits, 16),
                   GENC_OK);
  for (int i = 0; i < 4; i++)
    assert_int_equal((uint32_t)bits[i], (uint32_t)gnum("bits42", i));
  /* particle 3 of a batched draw: counter word 1 is 3 */
  double *ub = host(ctx, genc_random_uniform(ctx, k, GENC_F64, 1, sh4, 5), NULL);
  for (int i = 0; i < 4; i++)
    assert_true(ub[3 * 4 + i] == gnum("uniform42_p3", i));
  free(u), free(z), free(ub);
  genc_ctx_free(ctx);
}

static void test_determinism(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  int64_t sh[2] = {3, 7};
  double *a = host(ctx, genc_random_normal(ctx, genc_key_from_seed(7), GENC_F64, 2, sh, 4), 0);
  double *b = host(ctx, genc_random_normal(ctx, genc_key_from_seed(7), GENC_F64, 2, sh, 4), 0);
  double *c = host(ctx, genc_random_normal(ctx, genc_key_from_seed(8), GENC_F64, 2, sh, 4), 0);
  assert_memory_equal(a, b, 84 * sizeof *a);
  int same = 0;
  for (int i = 0; i < 84; i++)
    same += a[i] == c[i];
  assert_int_equal(same, 0);
  /* keys are values: deriving twice gives the same key; different data differ */
  genc_key k = genc_key_from_seed(7), f1 = genc_key_fold_in(k, 1), f1b = genc_key_fold_in(k, 1);
  genc_key f2 = genc_key_fold_in(k, 2);
  assert_memory_equal(&f1, &f1b, sizeof f1);
  assert_true(f1.k[0] != f2.k[0] || f1.k[1] != f2.k[1]);
  assert_true(genc_key_from_seed(0).k[0] != genc_key_from_seed(1ull << 32).k[0]);
  /* derivation keeps the particle offset, so it commutes with genc_key_particle */
  genc_key s1[3], s2[3];
  genc_key_split(genc_key_particle(k, 5), 3, s1);
  genc_key_split(k, 3, s2);
  for (int i = 0; i < 3; i++) {
    genc_key e = genc_key_particle(s2[i], 5);
    assert_memory_equal(&s1[i], &e, sizeof e);
  }
  free(a), free(b), free(c);
  genc_ctx_free(ctx);
}

/* ---- batched draws reproduce per-particle draws ---- */

typedef genc_array *(*draw_fn)(genc_ctx *ctx, genc_key key, int64_t n);

static genc_array *d_uniform(genc_ctx *ctx, genc_key k, int64_t n) {
  int64_t sh[2] = {2, 3};
  return genc_random_uniform(ctx, k, GENC_F32, 2, sh, n);
}
static genc_array *d_normal(genc_ctx *ctx, genc_key k, int64_t n) {
  int64_t sh[1] = {5};
  return genc_random_normal(ctx, k, GENC_F64, 1, sh, n);
}
static genc_array *d_gamma(genc_ctx *ctx, genc_key k, int64_t n) {
  double a[4] = {1e-3, 0.5, 5, 1e3};
  return genc_random_gamma(ctx, k, genc_array_vec(ctx, 4, a), n);
}
static genc_array *d_poisson(genc_ctx *ctx, genc_key k, int64_t n) {
  double r[4] = {1e-3, 3, 300, 1e6};
  return genc_random_poisson(ctx, k, genc_array_vec(ctx, 4, r), n);
}
static genc_array *d_binomial(genc_ctx *ctx, genc_key k, int64_t n) {
  double c[3] = {10, 1e6, 40};
  return genc_random_binomial(ctx, k, genc_array_vec(ctx, 3, c), genc_scalar(ctx, 0.7), n);
}
static genc_array *d_categorical(genc_ctx *ctx, genc_key k, int64_t n) {
  double l[6] = {0, 1, 2, 2, 1, -INFINITY};
  return genc_random_categorical(ctx, k, genc_array_mat(ctx, 2, 3, l), n);
}
static genc_array *d_permutation(genc_ctx *ctx, genc_key k, int64_t n) {
  return genc_random_permutation(ctx, k, 6, n);
}
static genc_array *d_bernoulli(genc_ctx *ctx, genc_key k, int64_t n) {
  double p[3] = {0.1, 0.5, 0.9};
  return genc_random_bernoulli(ctx, k, genc_array_vec(ctx, 3, p), n);
}
static genc_array *d_exp_gumbel(genc_ctx *ctx, genc_key k, int64_t n) {
  int64_t sh[1] = {3};
  return genc_add(
      ctx, genc_random_exponential(ctx, k, GENC_F64, 1, sh, n),
      genc_mul(ctx, genc_random_gumbel(ctx, genc_key_fold_in(k, 1), GENC_F64, 1, sh, n), 1000.0));
}

static void test_batched_is_per_particle(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  draw_fn fns[] = {d_uniform,     d_normal,      d_gamma,     d_poisson,   d_binomial,
                   d_categorical, d_permutation, d_bernoulli, d_exp_gumbel};
  genc_key key = genc_key_particle(genc_key_from_seed(3), 11); /* a nonzero base offset */
  for (size_t f = 0; f < sizeof fns / sizeof *fns; f++) {
    int64_t mark = genc_scope_begin(ctx);
    int64_t cnt;
    double *b = host(ctx, fns[f](ctx, key, 5), &cnt);
    int64_t per = cnt / 5;
    for (uint32_t i = 0; i < 5; i++) {
      int64_t c1;
      double *s = host(ctx, fns[f](ctx, genc_key_particle(key, i), 0), &c1);
      assert_int_equal(c1, per);
      for (int64_t j = 0; j < per; j++)
        if (!(s[j] == b[i * per + j]))
          fail_msg("sampler %zu: particle %u element %lld: %g vs %g", f, i, (long long)j, s[j],
                   b[i * per + j]);
      free(s);
    }
    free(b);
    genc_scope_end(ctx, mark);
  }
  /* batched parameters: particle i uses parameter row i */
  double al[6] = {0.5, 2, 3, 0.5, 2, 3};
  int64_t sh[1] = {3};
  genc_array *ab = genc_array_from(ctx, GENC_F64, 1, sh, 2, al);
  double *g = host(ctx, genc_random_gamma(ctx, key, ab, 0), NULL);
  double *g1 =
      host(ctx, genc_random_gamma(ctx, genc_key_particle(key, 1), genc_particle_get(ctx, ab, 1), 0),
           NULL);
  assert_int_equal(genc_array_nparticles(genc_random_gamma(ctx, key, ab, 2)), 2);
  for (int j = 0; j < 3; j++)
    assert_true(g[3 + j] == g1[j]);
  free(g), free(g1);
  genc_ctx_free(ctx);
}

/* ---- independence ---- */

/* Pearson correlation of two samples times sqrt(n): about N(0, 1) if independent. */
static double corr_z(const double *a, const double *b, int64_t n) {
  double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
  for (int64_t i = 0; i < n; i++)
    ma += a[i], mb += b[i];
  ma /= n, mb /= n;
  for (int64_t i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / sqrt(saa * sbb) * sqrt((double)n);
}

static void test_independence(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_key k = genc_key_from_seed(2024), s[2];
  genc_key_split(k, 2, s);
  int64_t sh[1] = {NDRAW};
  genc_key pairs[][2] = {
      {s[0], s[1]},
      {k, s[0]},
      {genc_key_fold_in(k, 0), genc_key_fold_in(k, 1)},
      {genc_key_from_seed(0), genc_key_from_seed(1)},
      {k, genc_key_particle(k, 1)},
  };
  for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
    double *a = host(ctx, genc_random_normal(ctx, pairs[i][0], GENC_F64, 1, sh, 0), NULL);
    double *b = host(ctx, genc_random_normal(ctx, pairs[i][1], GENC_F64, 1, sh, 0), NULL);
    double z = corr_z(a, b, NDRAW), zlag = corr_z(a, a + 1, NDRAW - 1);
    if (fabs(z) > 5 || fabs(zlag) > 5) fail_msg("pair %zu: corr z %g, lag-1 z %g", i, z, zlag);
    free(a), free(b);
  }
  genc_ctx_free(ctx);
}

/* ---- moments ---- */

/* Sample mean within 5 standard errors (sqrt(var / n)) of @p mean, and sample
 * variance within 5 of its standard errors (sqrt((mu4 - var^2) / n)) of @p var. */
static void check_moments(const char *what, const double *x, int64_t n, double mean, double var,
                          double mu4) {
  double m = 0, v = 0;
  for (int64_t i = 0; i < n; i++)
    m += x[i];
  m /= n;
  for (int64_t i = 0; i < n; i++)
    v += (x[i] - m) * (x[i] - m);
  v /= n - 1;
  double se_m = sqrt(var / n), se_v = sqrt((mu4 - var * var) / n);
  if (fabs(m - mean) > 5 * se_m)
    fail_msg("%s: mean %.10g, expected %.10g (se %.3g)", what, m, mean, se_m);
  if (fabs(v - var) > 5 * se_v)
    fail_msg("%s: variance %.10g, expected %.10g (se %.3g)", what, v, var, se_v);
}

static void moments_of(genc_ctx *ctx, const char *what, genc_array *a, double mean, double var,
                       double mu4) {
  int64_t n;
  double *x = host(ctx, a, &n);
  assert_int_equal(n, NDRAW);
  check_moments(what, x, n, mean, var, mu4);
  free(x);
}

static void test_moments_continuous(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_key k = genc_key_from_seed(11);
  int64_t sh[1] = {NDRAW};
  const double g = 0.57721566490153286, pi2_6 = M_PI * M_PI / 6;
  moments_of(ctx, "uniform", genc_random_uniform(ctx, k, GENC_F64, 1, sh, 0), 0.5, 1.0 / 12,
             1.0 / 80);
  moments_of(ctx, "uniform f32", genc_random_uniform(ctx, k, GENC_F32, 1, sh, 0), 0.5, 1.0 / 12,
             1.0 / 80);
  moments_of(ctx, "normal", genc_random_normal(ctx, k, GENC_F64, 1, sh, 0), 0, 1, 3);
  moments_of(ctx, "normal f32", genc_random_normal(ctx, k, GENC_F32, 1, sh, 0), 0, 1, 3);
  moments_of(ctx, "exponential", genc_random_exponential(ctx, k, GENC_F64, 1, sh, 0), 1, 1, 9);
  moments_of(ctx, "gumbel", genc_random_gumbel(ctx, k, GENC_F64, 1, sh, 0), g, pi2_6,
             5.4 * pi2_6 * pi2_6);
  /* batched draws: 1000 particles x 100 elements are one sample too */
  int64_t sh100[1] = {100};
  moments_of(ctx, "normal batched", genc_random_normal(ctx, k, GENC_F64, 1, sh100, 1000), 0, 1, 3);
  /* Gamma(a): mean a, variance a, fourth central moment 3a^2 + 6a */
  const double alphas[] = {1e-3, 0.5, 1, 5, 1e3};
  for (int i = 0; i < 5; i++) {
    double a = alphas[i];
    genc_array *al = genc_array_full(ctx, GENC_F64, 1, sh, 0, a);
    char what[64];
    snprintf(what, sizeof what, "gamma(%g)", a);
    moments_of(ctx, what, genc_random_gamma(ctx, genc_key_fold_in(k, (uint64_t)i), al, 0), a, a,
               3 * a * a + 6 * a);
  }
  /* log Gamma(a): mean digamma(a), variance trigamma(a), mu4 = k4 + 3 k2^2 */
  const char *la[] = {"0.001", "0.5"};
  for (int i = 0; i < 2; i++) {
    double a = atof(la[i]), k2 = gnum2("log_gamma_moments", la[i], 1);
    genc_array *al = genc_array_full(ctx, GENC_F64, 1, sh, 0, a);
    genc_key kk = genc_key_fold_in(k, 100 + (uint64_t)i);
    genc_array *lg = genc_random_log_gamma(ctx, kk, al, 0);
    moments_of(ctx, la[i], lg, gnum2("log_gamma_moments", la[i], 0), k2,
               gnum2("log_gamma_moments", la[i], 2) + 3 * k2 * k2);
    /* exp(log_gamma) is the gamma draw of the same key, up to the vector exp's
     * 4 ulp (src/backend/cpu/vecmath.h) */
    double *x = host(ctx, genc_exp(ctx, lg), NULL),
           *y = host(ctx, genc_random_gamma(ctx, kk, al, 0), NULL);
    for (int j = 0; j < 1000; j++)
      assert_true(fabs(x[j] - y[j]) <= 8 * DBL_EPSILON * y[j]);
    free(x), free(y);
  }
  genc_ctx_free(ctx);
}

static void test_gamma_tiny_alpha(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  int64_t sh[1] = {NDRAW};
  /* P(Gamma(1e-2) underflows to 0) = P(log G < -744.4) ~ P(log U < -7.44) ~ 6e-4:
   * a draw computed as G1 * pow(U, 1/alpha) loses no more, but nothing may be
   * negative, NaN or infinite, and log_gamma is finite everywhere. */
  genc_array *al = genc_array_full(ctx, GENC_F64, 1, sh, 0, 1e-2);
  genc_key k = genc_key_from_seed(5);
  double *x = host(ctx, genc_random_gamma(ctx, k, al, 0), NULL);
  double *l = host(ctx, genc_random_log_gamma(ctx, k, al, 0), NULL);
  int zeros = 0;
  for (int i = 0; i < NDRAW; i++) {
    assert_true(x[i] >= 0 && isfinite(x[i]) && isfinite(l[i]));
    zeros += x[i] == 0;
  }
  /* expected 59 zeros, sd ~7.7: accept within 5 sd */
  double expect = NDRAW * exp(-744.44 * 1e-2);
  if (fabs(zeros - expect) > 5 * sqrt(expect)) fail_msg("%d zeros, expected %g", zeros, expect);
  free(x), free(l);
  genc_ctx_free(ctx);
}

static void test_moments_discrete(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_key k = genc_key_from_seed(12);
  int64_t sh[1] = {NDRAW};
  /* Poisson(r): mean r, variance r, mu4 = r (1 + 3 r) */
  const double rates[] = {1e-3, 3, 9.99, 10, 300, 1e6};
  for (int i = 0; i < 6; i++) {
    double r = rates[i];
    char what[64];
    snprintf(what, sizeof what, "poisson(%g)", r);
    genc_array *ra = genc_array_full(ctx, GENC_F64, 1, sh, 0, r);
    genc_array *x = genc_random_poisson(ctx, genc_key_fold_in(k, (uint64_t)i), ra, 0);
    T_OK(ctx, x);
    assert_int_equal(genc_array_dtype(x), GENC_I32);
    moments_of(ctx, what, x, r, r, r * (1 + 3 * r));
  }
  /* Binomial(n, p): mean np, variance npq, mu4 = 3 (npq)^2 + npq (1 - 6pq) */
  const double bn[][2] = {{1e6, 0.3}, {10, 0.5}, {100, 0.97}, {40, 0.2}, {5, 1}, {0, 0.5}};
  for (int i = 0; i < 6; i++) {
    double n = bn[i][0], p = bn[i][1], q = 1 - p, v = n * p * q;
    char what[64];
    snprintf(what, sizeof what, "binomial(%g, %g)", n, p);
    genc_array *na = genc_array_full(ctx, GENC_F64, 1, sh, 0, n);
    genc_array *x = genc_random_binomial(ctx, genc_key_fold_in(k, 10 + (uint64_t)i), na,
                                         genc_scalar(ctx, p), 0);
    moments_of(ctx, what, x, n * p, v, 3 * v * v + v * (1 - 6 * p * q));
  }
  genc_array *pa = genc_array_full(ctx, GENC_F64, 1, sh, 0, 0.3);
  moments_of(ctx, "bernoulli(0.3)", genc_random_bernoulli(ctx, k, pa, 0), 0.3, 0.21,
             0.21 * (1 - 3 * 0.21));
  genc_ctx_free(ctx);
}

/* ---- goodness of fit ---- */

/* The 0.999 quantile of chi-square with df degrees of freedom (Wilson-Hilferty,
 * accurate to about 1% here, z = 3.09). */
static double chi2_crit(int df) {
  double h = 2.0 / (9.0 * df);
  return df * pow(1 - h + 3.0902 * sqrt(h), 3);
}

/* Chi-square of counts against expected probabilities over nb bins. */
static void check_chi2(const char *what, const double *count, const double *prob, int nb,
                       int64_t n) {
  double c2 = 0;
  for (int b = 0; b < nb; b++) {
    double e = prob[b] * n;
    c2 += (count[b] - e) * (count[b] - e) / e;
  }
  if (c2 > chi2_crit(nb - 1))
    fail_msg("%s: chi-square %g over %d bins exceeds %g", what, c2, nb, chi2_crit(nb - 1));
}

/* Continuous law: bin by the CDF into nb equiprobable bins. */
static void gof_cdf(const char *what, const double *x, int64_t n, double (*cdf)(double, double),
                    double par, int nb) {
  double *cnt = calloc((size_t)nb, sizeof *cnt), *pr = malloc((size_t)nb * sizeof *pr);
  for (int b = 0; b < nb; b++)
    pr[b] = 1.0 / nb;
  for (int64_t i = 0; i < n; i++) {
    int b = (int)(cdf(x[i], par) * nb);
    cnt[b < 0 ? 0 : b >= nb ? nb - 1 : b] += 1;
  }
  check_chi2(what, cnt, pr, nb, n);
  free(cnt), free(pr);
}

static double cdf_uniform(double x, double p) { return (void)p, x; }
static double cdf_normal(double x, double p) { return (void)p, 0.5 * erfc(-x / M_SQRT2); }
static double cdf_exp(double x, double p) { return (void)p, -expm1(-x); }
static double cdf_gumbel(double x, double p) { return (void)p, exp(-exp(-x)); }

/* Discrete law on 0..: bins of single values, merged from both ends until each
 * expects at least 20 draws. */
static void gof_pmf(const char *what, const double *x, int64_t n,
                    double (*lpmf)(double, double, double), double a, double b, int kmax) {
  double *cnt = calloc((size_t)kmax + 1, sizeof *cnt), *pr = calloc((size_t)kmax + 1, sizeof *pr);
  double *bc = calloc((size_t)kmax + 1, sizeof *bc), *bp = calloc((size_t)kmax + 1, sizeof *bp);
  for (int64_t i = 0; i < n; i++)
    cnt[x[i] > kmax ? kmax : (int)x[i]] += 1;
  double tail = 1;
  for (int k = 0; k < kmax; k++)
    pr[k] = exp(lpmf(k, a, b)), tail -= pr[k];
  pr[kmax] = tail > 0 ? tail : 0;
  int nb = 0;
  double accc = 0, accp = 0;
  for (int k = 0; k <= kmax; k++) {
    accc += cnt[k], accp += pr[k];
    if (accp * n >= 20) bc[nb] = accc, bp[nb++] = accp, accc = accp = 0;
  }
  if (nb && accp > 0) bc[nb - 1] += accc, bp[nb - 1] += accp;
  check_chi2(what, bc, bp, nb, n);
  free(cnt), free(pr), free(bc), free(bp);
}

static double lpmf_poisson(double k, double r, double u) {
  return (void)u, -r + k * log(r) - lgamma(k + 1);
}
static double lpmf_binomial(double k, double n, double p) {
  return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1) + k * log(p) + (n - k) * log1p(-p);
}

static void test_goodness_of_fit(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_key k = genc_key_from_seed(99);
  int64_t sh[1] = {NDRAW};
  double *x = host(ctx, genc_random_uniform(ctx, k, GENC_F64, 1, sh, 0), NULL);
  gof_cdf("uniform", x, NDRAW, cdf_uniform, 0, 100);
  free(x);
  x = host(ctx, genc_random_uniform(ctx, k, GENC_F32, 1, sh, 0), NULL);
  gof_cdf("uniform f32", x, NDRAW, cdf_uniform, 0, 100);
  free(x);
  x = host(ctx, genc_random_normal(ctx, k, GENC_F64, 1, sh, 0), NULL);
  gof_cdf("normal", x, NDRAW, cdf_normal, 0, 100);
  free(x);
  x = host(ctx, genc_random_exponential(ctx, k, GENC_F64, 1, sh, 0), NULL);
  gof_cdf("exponential", x, NDRAW, cdf_exp, 0, 100);
  free(x);
  x = host(ctx, genc_random_gumbel(ctx, k, GENC_F64, 1, sh, 0), NULL);
  gof_cdf("gumbel", x, NDRAW, cdf_gumbel, 0, 100);
  free(x);
  /* the rejection samplers get 3x the draws: their likely bugs (a wrong
   * acceptance bound) distort the law by a few percent or less */
  sh[0] = NGOF;
  /* gamma: 10 equiprobable bins between scipy's deciles */
  const char *as[] = {"0.5", "5.0"};
  for (int i = 0; i < 2; i++) {
    genc_array *al = genc_array_full(ctx, GENC_F64, 1, sh, 0, atof(as[i]));
    x = host(ctx, genc_random_gamma(ctx, genc_key_fold_in(k, (uint64_t)i), al, 0), NULL);
    double cnt[10] = {0}, pr[10];
    for (int b = 0; b < 10; b++)
      pr[b] = 0.1;
    for (int j = 0; j < NGOF; j++) {
      int b = 0;
      while (b < 9 && x[j] > gnum2("gamma_deciles", as[i], b))
        b++;
      cnt[b] += 1;
    }
    check_chi2(as[i], cnt, pr, 10, NGOF);
    free(x);
  }
  /* poisson on both sides of the inversion / PTRS switch at 10, binomial on
   * both sides of the inversion / BTRS switch at n min(p, q) = 10 */
  const double rates[] = {3, 9.5, 10, 45.5, 300};
  for (int i = 0; i < 5; i++) {
    genc_array *ra = genc_array_full(ctx, GENC_F64, 1, sh, 0, rates[i]);
    x = host(ctx, genc_random_poisson(ctx, genc_key_fold_in(k, 10 + (uint64_t)i), ra, 0), 0);
    char what[64];
    snprintf(what, sizeof what, "poisson(%g)", rates[i]);
    gof_pmf(what, x, NGOF, lpmf_poisson, rates[i], 0, (int)(rates[i] * 3 + 30));
    free(x);
  }
  const double bn[][2] = {{10, 0.5}, {19, 0.5}, {21, 0.5}, {100, 0.3}, {1000, 0.9}};
  for (int i = 0; i < 5; i++) {
    genc_array *na = genc_array_full(ctx, GENC_F64, 1, sh, 0, bn[i][0]);
    x = host(ctx,
             genc_random_binomial(ctx, genc_key_fold_in(k, 20 + (uint64_t)i), na,
                                  genc_scalar(ctx, bn[i][1]), 0),
             0);
    char what[64];
    snprintf(what, sizeof what, "binomial(%g, %g)", bn[i][0], bn[i][1]);
    gof_pmf(what, x, NGOF, lpmf_binomial, bn[i][0], bn[i][1], (int)bn[i][0]);
    free(x);
  }
  genc_ctx_free(ctx);
}

static void test_categorical_and_permutation(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_key k = genc_key_from_seed(31);
  double lp[4] = {log(0.2), log(0.3), log(0.5), -INFINITY};
  genc_array *logits = genc_array_vec(ctx, 4, lp);
  double *x = host(ctx, genc_random_categorical(ctx, k, logits, NDRAW), NULL);
  double cnt[3] = {0}, pr[3] = {0.2, 0.3, 0.5};
  for (int i = 0; i < NDRAW; i++) {
    assert_true(x[i] >= 0 && x[i] <= 2); /* -inf is never drawn */
    cnt[(int)x[i]] += 1;
  }
  check_chi2("categorical", cnt, pr, 3, NDRAW);
  free(x);
  /* permutations of 3: all 6 equally likely, each a permutation */
  const int np = 60000;
  genc_array *pa = genc_random_permutation(ctx, k, 3, np);
  T_OK(ctx, pa);
  assert_int_equal(genc_array_dtype(pa), GENC_I32);
  x = host(ctx, pa, NULL);
  double pc[9] = {0}, pp[6];
  for (int i = 0; i < 6; i++)
    pp[i] = 1.0 / 6;
  for (int i = 0; i < np; i++) {
    int a = (int)x[3 * i], b = (int)x[3 * i + 1], c = (int)x[3 * i + 2];
    assert_true(a != b && b != c && a != c && a + b + c == 3);
    pc[a * 2 + (b > c)] += 1; /* a and the order of the other two */
  }
  check_chi2("permutation", pc, pp, 6, np);
  free(x);
  /* a longer one is a permutation too */
  x = host(ctx, genc_random_permutation(ctx, k, 50, 0), NULL);
  int seen[50] = {0};
  for (int i = 0; i < 50; i++)
    seen[(int)x[i]]++;
  for (int i = 0; i < 50; i++)
    assert_int_equal(seen[i], 1);
  free(x);
  assert_int_equal(genc_array_size(genc_random_permutation(ctx, k, 0, 0)), 0);
  genc_ctx_free(ctx);
}

/* ---- errors ---- */

#define EXPECT_ERR(ctx, call, st, ...)                                                             \
  do {                                                                                             \
    genc_ctx_clear_error(ctx);                                                                     \
    if ((call) != NULL) fail_msg("%s should fail", #call);                                         \
    assert_int_equal(genc_ctx_status(ctx), st);                                                    \
    const char *subs_[] = {__VA_ARGS__};                                                           \
    for (size_t i_ = 0; i_ < sizeof subs_ / sizeof *subs_; i_++)                                   \
      if (!strstr(genc_ctx_error(ctx), subs_[i_]))                                                 \
        fail_msg("message '%s' lacks '%s'", genc_ctx_error(ctx), subs_[i_]);                       \
  } while (0)

static void test_errors(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_key k = genc_key_from_seed(1);
  int64_t sh[1] = {3}, bad[1] = {-1};
  double v[3] = {1, -1, 2}, nanv[2] = {1, NAN};
  genc_array *neg = genc_array_vec(ctx, 3, v), *nan = genc_array_vec(ctx, 2, nanv);
  EXPECT_ERR(ctx, genc_random_poisson(ctx, k, neg, 0), GENC_ERR_DOMAIN, "genc_random_poisson",
             "rate", "-1", "element 1");
  EXPECT_ERR(ctx, genc_random_poisson(ctx, k, nan, 0), GENC_ERR_DOMAIN, "rate", "nan");
  EXPECT_ERR(ctx, genc_random_poisson(ctx, k, genc_scalar(ctx, 2e9), 0), GENC_ERR_DOMAIN, "rate");
  EXPECT_ERR(ctx, genc_random_gamma(ctx, k, genc_scalar(ctx, 0), 0), GENC_ERR_DOMAIN,
             "genc_random_gamma", "alpha");
  EXPECT_ERR(ctx, genc_random_gamma(ctx, k, nan, 0), GENC_ERR_DOMAIN, "alpha");
  EXPECT_ERR(ctx, genc_random_gamma(ctx, k, genc_scalar(ctx, INFINITY), 0), GENC_ERR_DOMAIN,
             "alpha");
  EXPECT_ERR(ctx, genc_random_log_gamma(ctx, k, neg, 0), GENC_ERR_DOMAIN, "genc_random_log_gamma",
             "alpha");
  EXPECT_ERR(ctx, genc_random_binomial(ctx, k, genc_scalar(ctx, 2.5), genc_scalar(ctx, 0.5), 0),
             GENC_ERR_DOMAIN, "genc_random_binomial", "count");
  EXPECT_ERR(ctx, genc_random_binomial(ctx, k, genc_scalar(ctx, 3), genc_scalar(ctx, 1.5), 0),
             GENC_ERR_DOMAIN, "genc_random_binomial", "p");
  EXPECT_ERR(ctx, genc_random_binomial(ctx, k, genc_scalar(ctx, 3), genc_scalar(ctx, NAN), 0),
             GENC_ERR_DOMAIN, "p");
  EXPECT_ERR(ctx, genc_random_binomial(ctx, k, neg, nan, 0), GENC_ERR_SHAPE,
             "genc_random_binomial");
  EXPECT_ERR(ctx, genc_random_bernoulli(ctx, k, neg, 0), GENC_ERR_DOMAIN, "genc_random_bernoulli",
             "p");
  EXPECT_ERR(ctx, genc_random_categorical(ctx, k, nan, 0), GENC_ERR_DOMAIN, "logits");
  EXPECT_ERR(ctx, genc_random_categorical(ctx, k, genc_scalar(ctx, 1), 0), GENC_ERR_SHAPE,
             "logits");
  EXPECT_ERR(ctx, genc_random_uniform(ctx, k, GENC_I32, 1, sh, 0), GENC_ERR_DTYPE, "i32");
  EXPECT_ERR(ctx, genc_random_normal(ctx, k, GENC_F64, 1, bad, 0), GENC_ERR_SHAPE,
             "genc_random_normal");
  EXPECT_ERR(ctx, genc_random_normal(ctx, k, GENC_F64, 9, sh, 0), GENC_ERR_SHAPE, "rank");
  EXPECT_ERR(ctx, genc_random_bits(ctx, k, 1, sh, -2), GENC_ERR_PARTICLE, "particle");
  genc_array *b2 = genc_array_full(ctx, GENC_F64, 1, sh, 2, 1.0);
  EXPECT_ERR(ctx, genc_random_gamma(ctx, k, b2, 3), GENC_ERR_PARTICLE, "2", "3");
  EXPECT_ERR(ctx, genc_random_permutation(ctx, k, -1, 0), GENC_ERR_ARG, "len");
  /* a NULL input (an earlier failure) gives NULL without a new message */
  genc_ctx_clear_error(ctx);
  assert_null(genc_random_gamma(ctx, k, NULL, 0));
  assert_null(genc_random_binomial(ctx, k, NULL, neg, 0));
  /* a batched parameter with n == its count is fine; empty shapes give empty arrays */
  T_OK(ctx, genc_random_gamma(ctx, k, b2, 2));
  int64_t zero[1] = {0};
  genc_array *e = genc_random_normal(ctx, k, GENC_F64, 1, zero, 4);
  T_OK(ctx, e);
  assert_int_equal(genc_array_size(e), 0);
  genc_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden),
      cmocka_unit_test(test_determinism),
      cmocka_unit_test(test_batched_is_per_particle),
      cmocka_unit_test(test_independence),
      cmocka_unit_test(test_moments_continuous),
      cmocka_unit_test(test_gamma_tiny_alpha),
      cmocka_unit_test(test_moments_discrete),
      cmocka_unit_test(test_goodness_of_fit),
      cmocka_unit_test(test_categorical_and_permutation),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
