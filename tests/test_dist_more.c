/*
 * Half-normal, half-Cauchy, wrapped Cauchy, wrapped normal, product and iid
 * (issue 8), and the public helpers for writing a distribution type.
 *  - log densities against tests/fixtures/dist_more_logpdf.json (made by
 *    tools/fixtures/dist_more.py): relative error < 1e-10, -inf exactly
 *    outside the support, the array path equal to the scalar fast path;
 *  - 1e5 batched draws (fixed seeds) per law: mean and variance within 5
 *    standard errors (se of the mean sqrt(var / N), of the variance
 *    sqrt((mu4 - var^2) / N)), and a decile chi-square test below its 1e-6
 *    upper quantile (tests/fixtures/dist_more_sample.json); batched draws equal
 *    one-at-a-time draws;
 *  - gradients of log densities and reparameterized samplers against central
 *    finite differences (tests/fdcheck.h, tolerance 1e-6 as reasoned there);
 *  - an error naming the distribution and parameter for every invalid one.
 */
#include <float.h>

#include "fdcheck.h"
#include "test_dist_common.h"

#define N 100000

/* ---- building distributions from fixture cases ---- */

/* Storage that products and iids point at while they are used. */
typedef struct mk_store {
  genc_dist comps[4];
  genc_product_comps pc;
  genc_dist base;
  td_mix mix;
} mk_store;

static genc_dist mk_named(genc_ctx *ctx, const char *name, genc_array **p, td_mix *mix) {
  if (!strcmp(name, "half_normal")) return genc_half_normal(ctx, p[0]);
  if (!strcmp(name, "half_cauchy")) return genc_half_cauchy(ctx, p[0]);
  if (!strcmp(name, "wrapped_cauchy")) return genc_wrapped_cauchy(ctx, p[0], p[1]);
  if (!strcmp(name, "wrapped_normal")) return genc_wrapped_normal(ctx, p[0], p[1]);
  return td_make(ctx, name, p, mix);
}

/* [name, [params...]] */
static genc_dist mk_pair(genc_ctx *ctx, const cJSON *j, td_mix *mix) {
  genc_array *p[8] = {0};
  int i = 0;
  for (const cJSON *q = cJSON_GetArrayItem(j, 1)->child; q && i < 8; q = q->next)
    p[i++] = td_array(ctx, q, GENC_F64);
  return mk_named(ctx, cJSON_GetStringValue(cJSON_GetArrayItem(j, 0)), p, mix);
}

static genc_dist mk_case(genc_ctx *ctx, const cJSON *c, mk_store *s) {
  const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(c, "dist"));
  if (!strcmp(name, "product")) {
    const cJSON *cs = cJSON_GetObjectItem(c, "comps");
    s->pc.k = 0;
    for (const cJSON *q = cs->child; q; q = q->next)
      s->comps[s->pc.k++] = mk_pair(ctx, q, &s->mix);
    s->pc.comps = s->comps;
    return genc_product(ctx, &s->pc);
  }
  if (!strcmp(name, "iid")) {
    s->base = mk_pair(ctx, cJSON_GetObjectItem(c, "base"), &s->mix);
    int64_t shape[GENC_MAX_DIMS];
    int nd = 0;
    for (const cJSON *q = cJSON_GetObjectItem(c, "shape")->child; q; q = q->next)
      shape[nd++] = (int64_t)q->valuedouble;
    return genc_iid(ctx, &s->base, nd, shape);
  }
  genc_array *p[8] = {0};
  int i = 0;
  for (const cJSON *q = cJSON_GetObjectItem(c, "params")->child; q && i < 8; q = q->next)
    p[i++] = td_array(ctx, q, GENC_F64);
  return mk_named(ctx, name, p, &s->mix);
}

static double rel_err(double got, double want) {
  if (got == want) return 0;
  return fabs(got - want) / fmax(fabs(want), 1e-300);
}

static void expect_lp(const char *name, int n, const char *path, double got, double want) {
  if (isinf(want) || isnan(got)) {
    if (got != want) fail_msg("case %d (%s, %s): got %.17g, want %g", n, name, path, got, want);
  } else if (!(rel_err(got, want) < 1e-10)) {
    fail_msg("case %d (%s, %s): got %.17g, want %.17g (rel err %.3g)", n, name, path, got, want,
             rel_err(got, want));
  }
}

/* Every fixture case; a 0-d value is scored twice: as is (the scalar fast path
 * where the law has one) and as a [1] array (the array path). */
static void test_logpdf_fixtures(void **state) {
  genc_ctx *ctx = *state;
  cJSON *all = td_load("dist_more_logpdf.json");
  int n = 0;
  double worst = 0;
  for (const cJSON *c = all->child; c; c = c->next, n++) {
    int64_t mark = genc_scope_begin(ctx);
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(c, "dist"));
    mk_store s;
    genc_dist d = mk_case(ctx, c, &s);
    genc_array *x = td_array(ctx, cJSON_GetObjectItem(c, "x"), GENC_F64);
    double want = td_num(cJSON_GetObjectItem(c, "logpdf"));
    genc_array *lp = genc_dist_logpdf(ctx, &d, x);
    if (!lp) fail_msg("case %d (%s): %s", n, name, genc_ctx_error(ctx));
    expect_lp(name, n, "as is", t_item(ctx, lp), want);
    if (!isinf(want)) worst = fmax(worst, rel_err(t_item(ctx, lp), want));
    if (genc_array_ndim(x) == 0) {
      int64_t one = 1;
      genc_array *x1 = genc_reshape(ctx, x, 1, &one);
      genc_array *l1 = genc_dist_logpdf(ctx, &d, x1);
      T_OK(ctx, l1);
      expect_lp(name, n, "array", t_item(ctx, l1), want);
      /* the fast path must agree with the array path to the last bit or so */
      if (!isinf(want)) T_CLOSE(t_item(ctx, lp), t_item(ctx, l1), 4 * DBL_EPSILON);
    }
    genc_scope_end(ctx, mark);
  }
  assert_true(n >= 90);
  printf("%d cases, worst relative error %.3g\n", n, worst);
  cJSON_Delete(all);
}

/* f32 parameters and values give f32 log densities within 1e-5 (relative,
 * absolute below 1) of the f64 density at the same (f32-rounded) inputs,
 * which the fixtures pin to 1e-10. */
static void test_f32(void **state) {
  genc_ctx *ctx = *state;
  cJSON *all = td_load("dist_more_logpdf.json");
  int n = 0;
  for (const cJSON *c = all->child; c; c = c->next) {
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(c, "dist"));
    if (!strcmp(name, "product") || !strcmp(name, "iid")) continue;
    /* at +-pi rounded to f32 the circle's bounds are f32(pi): skip */
    double xv = td_num(cJSON_GetObjectItem(c, "x"));
    if (fabs(fabs(xv) - M_PI) < 1e-6) continue;
    int64_t mark = genc_scope_begin(ctx);
    genc_array *p32[2] = {0}, *p64[2] = {0};
    int i = 0;
    for (const cJSON *q = cJSON_GetObjectItem(c, "params")->child; q && i < 2; q = q->next, i++) {
      p32[i] = td_array(ctx, q, GENC_F32);
      p64[i] = genc_astype(ctx, p32[i], GENC_F64);
    }
    genc_array *x32 = td_array(ctx, cJSON_GetObjectItem(c, "x"), GENC_F32);
    genc_dist d32 = mk_named(ctx, name, p32, NULL), d64 = mk_named(ctx, name, p64, NULL);
    genc_array *l32 = genc_dist_logpdf(ctx, &d32, x32);
    genc_array *l64 = genc_dist_logpdf(ctx, &d64, genc_astype(ctx, x32, GENC_F64));
    T_OK(ctx, l32);
    T_OK(ctx, l64);
    assert_int_equal(genc_array_dtype(l32), GENC_F32);
    double a = t_item(ctx, l32), b = t_item(ctx, l64);
    if (isinf(b) ? a != b : !(fabs(a - b) <= 1e-5 * fmax(1.0, fabs(b))))
      fail_msg("%s case: f32 %.9g, f64 %.17g", name, a, b);
    n++;
    genc_scope_end(ctx, mark);
  }
  assert_true(n >= 80);
  cJSON_Delete(all);
}

/* ---- sampling ---- */

static double *elements(genc_ctx *ctx, genc_array *x, int64_t n, int64_t elem) {
  int64_t size = genc_array_size(x);
  double *all = malloc((size_t)(n * size) * sizeof *all), *out = malloc((size_t)n * sizeof *out);
  if (genc_array_copy_out(ctx, x, all, n * size)) fail_msg("copy_out: %s", genc_ctx_error(ctx));
  for (int64_t i = 0; i < n; i++)
    out[i] = all[i * size + elem];
  free(all);
  return out;
}

static void moments(const char *name, const double *v, const cJSON *c) {
  const cJSON *jm = cJSON_GetObjectItem(c, "mean");
  if (!cJSON_IsNumber(jm)) return; /* half-Cauchy: no moments */
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
  double edges[64], cnt[65] = {0}, stat = 0;
  for (int i = 0; i < ne; i++)
    edges[i] = td_num(cJSON_GetArrayItem(je, i));
  for (int i = 0; i < N; i++) {
    int b = 0;
    while (b < ne && v[i] > edges[b])
      b++;
    cnt[b] += 1;
  }
  for (int b = 0; b < nb; b++) {
    double e = N * cJSON_GetArrayItem(jp, b)->valuedouble;
    stat += (cnt[b] - e) * (cnt[b] - e) / e;
  }
  double crit = cJSON_GetObjectItem(c, "crit")->valuedouble;
  if (!(stat < crit)) fail_msg("%s: chi-square %.4g over %d bins >= %.4g", name, stat, nb, crit);
}

static void test_sample_fixtures(void **state) {
  genc_ctx *ctx = *state;
  cJSON *all = td_load("dist_more_sample.json");
  int k = 0;
  for (const cJSON *c = all->child; c; c = c->next, k++) {
    int64_t mark = genc_scope_begin(ctx);
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(c, "dist"));
    const cJSON *je = cJSON_GetObjectItem(c, "elem");
    int64_t elem = je ? (int64_t)je->valuedouble : 0;
    mk_store s;
    genc_dist d = mk_case(ctx, c, &s);
    genc_key key = genc_key_from_seed(2000 + (uint64_t)k);
    genc_array *x = genc_dist_sample(ctx, key, &d, N);
    if (!x) fail_msg("%s: %s", name, genc_ctx_error(ctx));
    assert_int_equal(genc_array_nparticles(x), N);
    double *v = elements(ctx, x, N, elem);
    if (!strncmp(name, "wrapped", 7))
      for (int i = 0; i < N; i++)
        if (!(v[i] >= -M_PI && v[i] < M_PI)) fail_msg("%s: draw %.17g off [-pi, pi)", name, v[i]);
    moments(name, v, c);
    chi_square(name, v, c);
    free(v);
    /* particle i of a batched draw is the shared draw of genc_key_particle
     * (through the scalar fast path for the half laws) */
    genc_array *xb = genc_dist_sample(ctx, key, &d, 4);
    genc_array *rb = genc_dist_has_rsample(&d) ? genc_dist_rsample(ctx, key, &d, 4) : xb;
    T_OK(ctx, xb);
    T_OK(ctx, rb);
    int64_t size = genc_array_size(xb);
    for (uint32_t i = 0; i < 4; i++) {
      genc_array *xi = genc_dist_sample(ctx, genc_key_particle(key, i), &d, 0);
      T_OK(ctx, xi);
      for (int64_t j = 0; j < size; j++) {
        double a = t_at(ctx, xb, i * size + j), b = t_at(ctx, xi, j);
        /* libmvec in batches: a few ulp (see test_dist_sample.c) */
        if (!(a == b || fabs(a - b) <= 8 * DBL_EPSILON * fabs(b)))
          fail_msg("%s: particle %u element %lld: %.17g vs %.17g", name, i, (long long)j, a, b);
        T_CLOSE(t_at(ctx, rb, i * size + j), a, 8 * DBL_EPSILON);
      }
    }
    genc_scope_end(ctx, mark);
  }
  cJSON_Delete(all);
}

/* Value shapes and dtypes of product and iid draws. */
static void test_layouts(void **state) {
  genc_ctx *ctx = *state;
  genc_key key = genc_key_from_seed(9);
  genc_dist comps[2] = {genc_normal(ctx, 0.0, 1.0), genc_poisson(ctx, 4.0)};
  genc_product_comps pc = {2, comps};
  genc_dist p = genc_product(ctx, &pc);
  assert_false(genc_dist_has_rsample(&p)); /* poisson has none */
  genc_array *x = genc_dist_sample(ctx, key, &p, 3);
  T_OK(ctx, x);
  assert_int_equal(genc_array_ndim(x), 1);
  assert_int_equal(genc_array_shape(x)[0], 2);
  assert_int_equal(genc_array_dtype(x), GENC_F64); /* i32 and f64 promote */
  assert_int_equal(genc_array_nparticles(x), 3);
  /* component 1 is the poisson draw with key fold_in(key, 1) */
  genc_array *k1 = genc_dist_sample(ctx, genc_key_fold_in(key, 1), &comps[1], 3);
  for (int i = 0; i < 3; i++)
    T_CLOSE(t_at(ctx, x, 2 * i + 1), t_at(ctx, k1, i), 0);
  genc_array *lp = genc_dist_logpdf(ctx, &p, x);
  T_OK(ctx, lp);
  assert_int_equal(genc_array_nparticles(lp), 3);
  assert_true(isfinite(t_at(ctx, lp, 2)));

  genc_dist mv = genc_mvnormal(ctx, genc_array_vec(ctx, 2, (double[]){1, -1}),
                               genc_array_mat(ctx, 2, 2, (double[]){2, 0.6, 0.6, 1}));
  genc_dist iv = genc_iid(ctx, &mv, 2, (int64_t[]){3, 4});
  assert_true(genc_dist_has_rsample(&iv));
  genc_array *y = genc_dist_rsample(ctx, key, &iv, 0);
  T_OK(ctx, y);
  assert_int_equal(genc_array_ndim(y), 3);
  assert_int_equal(genc_array_shape(y)[0], 3);
  assert_int_equal(genc_array_shape(y)[1], 4);
  assert_int_equal(genc_array_shape(y)[2], 2);
  /* the iid log density is the sum of the base's over the repeats */
  genc_array *ly = genc_dist_logpdf(ctx, &iv, y), *acc = genc_scalar(ctx, 0.0);
  for (int64_t i = 0; i < 3; i++)
    for (int64_t j = 0; j < 4; j++) {
      genc_array *r = genc_squeeze(ctx, genc_slice(ctx, y, 0, i, i + 1, 1), 0);
      r = genc_squeeze(ctx, genc_slice(ctx, r, 0, j, j + 1, 1), 0);
      acc = genc_add(ctx, acc, genc_dist_logpdf(ctx, &mv, r));
    }
  T_OK(ctx, ly);
  T_CLOSE(t_item(ctx, ly), t_item(ctx, acc), 1e-13);
  /* repeat e is the base draw with key fold_in(key, e), past the 16-way join */
  genc_dist big = genc_iid(ctx, &comps[0], 2, (int64_t[]){5, 8});
  genc_array *xb = genc_dist_sample(ctx, key, &big, 2);
  T_OK(ctx, xb);
  assert_int_equal(genc_array_shape(xb)[1], 8);
  for (int e = 0; e < 40; e += 13) {
    genc_array *xe = genc_dist_sample(ctx, genc_key_fold_in(key, (uint64_t)e), &comps[0], 2);
    for (int i = 0; i < 2; i++)
      T_CLOSE(t_at(ctx, xb, 40 * i + e), t_at(ctx, xe, i), 0);
  }
  /* a zero-size repeat has log density 0 */
  genc_dist e = genc_iid(ctx, &comps[0], 1, (int64_t[]){0});
  genc_array *xe = genc_dist_sample(ctx, key, &e, 0);
  T_OK(ctx, xe);
  assert_int_equal(genc_array_size(xe), 0);
  T_CLOSE(t_item(ctx, genc_dist_logpdf(ctx, &e, xe)), 0.0, 0);
}

/* Values off the support score exactly -inf, and no valid input gives NaN; a
 * NaN value scores NaN (the library's NaN rule: the GFI reports it). */
static void test_support(void **state) {
  genc_ctx *ctx = *state;
  double xs[6] = {-INFINITY, INFINITY, NAN, -1e-300, 4.0, -M_PI - 1e-12};
  genc_array *x = genc_array_vec(ctx, 6, xs);
  genc_dist ds[4] = {genc_half_normal(ctx, 1.0), genc_half_cauchy(ctx, 2.0),
                     genc_wrapped_cauchy(ctx, 0.5, 0.9), genc_wrapped_normal(ctx, 0.5, 0.5)};
  for (int k = 0; k < 4; k++)
    for (int i = 0; i < 6; i++) {
      /* the half laws' support is x >= 0 (4 is on it, -pi - 1e-12 off it as
       * -1e-300 is); the wrapped laws' is [-pi, pi) (-1e-300 is on it) */
      if (k < 2 ? i >= 4 : i == 3) continue;
      for (int path = 0; path < 2; path++) { /* a 0-d value (fast path), a [1] one */
        genc_array *xi = genc_slice(ctx, x, 0, i, i + 1, 1);
        if (!path) xi = genc_squeeze(ctx, xi, 0);
        double v = t_item(ctx, genc_dist_logpdf(ctx, &ds[k], xi));
        bool want_nan = isnan(xs[i]);
        if (want_nan ? !isnan(v) : v != -INFINITY)
          fail_msg("%s at %g (path %d): %g", genc_dist_name(&ds[k]), xs[i], path, v);
      }
    }
  /* the boundary: 0 is in the half laws' support, -pi in the circle's, pi not */
  assert_true(isfinite(t_item(ctx, genc_dist_logpdf(ctx, &ds[0], genc_scalar(ctx, 0.0)))));
  assert_true(isfinite(t_item(ctx, genc_dist_logpdf(ctx, &ds[2], genc_scalar(ctx, -M_PI)))));
  T_CLOSE(t_item(ctx, genc_dist_logpdf(ctx, &ds[3], genc_scalar(ctx, M_PI))), -INFINITY, 0);
}

/* ---- gradients ---- */

typedef struct gcase {
  const char *name;
  int np;
  bool rsample;
} gcase;

static genc_array *g_fn(genc_ctx *ctx, genc_array *const *args, void *user) {
  const gcase *g = user;
  genc_array *p[4] = {args[1], args[2], NULL, NULL};
  genc_dist d;
  genc_dist comps[2];
  genc_product_comps pc = {2, comps};
  if (!strcmp(g->name, "product")) { /* normal(a1, 1) x half_normal(a2) */
    comps[0] = genc_normal(ctx, p[0], 1.0);
    comps[1] = genc_half_normal(ctx, p[1]);
    d = genc_product(ctx, &pc);
  } else if (!strcmp(g->name, "iid")) { /* wrapped_normal(a1, a2) over [2] */
    comps[0] = genc_wrapped_normal(ctx, p[0], p[1]);
    d = genc_iid(ctx, &comps[0], 1, (int64_t[]){2});
  } else {
    d = mk_named(ctx, g->name, p, NULL);
  }
  if (g->rsample) return genc_sum_all(ctx, genc_dist_rsample(ctx, genc_key_from_seed(11), &d, 0));
  return genc_dist_logpdf(ctx, &d, args[0]);
}

static void gcheck(genc_ctx *ctx, const gcase *g, genc_array *x, double a1, double a2,
                   uint32_t wrt) {
  genc_array *args[3] = {x, genc_scalar(ctx, a1), genc_scalar(ctx, a2)};
  int nargs = g->np + 1;
  if (!strcmp(g->name, "product") || !strcmp(g->name, "iid")) nargs = 3;
  double err = t_fdcheck(ctx, g_fn, nargs, args, (void *)g, wrt, 1e-6);
  if (!(err < 1e-6))
    fail_msg("%s%s: gradient error %.3g", g->name, g->rsample ? " rsample" : "", err);
}

static void test_gradients(void **state) {
  genc_ctx *ctx = *state;
  genc_array *xh = genc_array_vec(ctx, 3, (double[]){0.3, 1.7, 0.05});
  genc_array *xc = genc_array_vec(ctx, 3, (double[]){0.3, -2.9, 3.0});
  for (int r = 0; r < 2; r++) {
    bool rs = r == 1;
    uint32_t wrt = rs ? 6u : 7u; /* rsample: the parameters only */
    gcase hn = {"half_normal", 1, rs}, hc = {"half_cauchy", 1, rs};
    gcase wc = {"wrapped_cauchy", 2, rs}, wn = {"wrapped_normal", 2, rs};
    gcase pr = {"product", 2, rs}, iid = {"iid", 2, rs};
    gcheck(ctx, &hn, xh, 0.8, 0, wrt & 3u);
    gcheck(ctx, &hc, xh, 1.3, 0, wrt & 3u);
    gcheck(ctx, &wc, xc, 0.4, 0.6, wrt);
    gcheck(ctx, &wc, xc, -2.5, 0.95, wrt);
    gcheck(ctx, &wc, xc, 1.0, 0.0, wrt & 3u); /* rho = 0: the rho difference would leave [0, 1) */
    gcheck(ctx, &wn, xc, 0.4, 0.3, wrt);      /* wrapping sum */
    gcheck(ctx, &wn, xc, 2.8, 1.2, wrt);
    gcheck(ctx, &wn, xc, -0.5, 2.5, wrt); /* Fourier series */
    gcheck(ctx, &pr, genc_array_vec(ctx, 2, (double[]){0.2, 0.9}), 0.5, 0.7, wrt);
    gcheck(ctx, &iid, genc_array_vec(ctx, 2, (double[]){0.2, -3.0}), 0.5, 0.7, wrt);
  }
}

/* ---- errors ---- */

static void expect_err(genc_ctx *ctx, genc_dist d, genc_status st, const char *msg) {
  genc_key key = genc_key_from_seed(1);
  const char *what[3] = {"sample", "logpdf", "rsample"};
  for (int w = 0; w < 3; w++) {
    if (w == 2 && !genc_dist_has_rsample(&d)) continue;
    genc_array *r = w == 0   ? genc_dist_sample(ctx, key, &d, 3)
                    : w == 1 ? genc_dist_logpdf(ctx, &d, genc_scalar(ctx, 0.5))
                             : genc_dist_rsample(ctx, key, &d, 3);
    if (r) fail_msg("%s %s: expected an error", genc_dist_name(&d), what[w]);
    if (genc_ctx_status(ctx) != st)
      fail_msg("%s %s: status %s (%s)", genc_dist_name(&d), what[w],
               genc_status_name(genc_ctx_status(ctx)), genc_ctx_error(ctx));
    if (!strstr(genc_ctx_error(ctx), msg))
      fail_msg("%s %s: message \"%s\" lacks \"%s\"", genc_dist_name(&d), what[w],
               genc_ctx_error(ctx), msg);
    genc_ctx_clear_error(ctx);
  }
}

static void test_errors(void **state) {
  genc_ctx *ctx = *state;
  const genc_status D = GENC_ERR_DOMAIN;
  expect_err(ctx, genc_half_normal(ctx, 0.0), D,
             "half_normal: parameter sigma must be finite and > 0 (got 0)");
  expect_err(ctx, genc_half_normal(ctx, NAN), D, "half_normal: parameter sigma");
  expect_err(ctx, genc_half_normal(ctx, INFINITY), D, "half_normal: parameter sigma");
  expect_err(ctx, genc_half_cauchy(ctx, -2.0), D,
             "half_cauchy: parameter scale must be finite and > 0 (got -2)");
  expect_err(ctx, genc_half_cauchy(ctx, NAN), D, "half_cauchy: parameter scale");
  expect_err(ctx, genc_wrapped_cauchy(ctx, INFINITY, 0.5), D,
             "wrapped_cauchy: parameter mu must be finite");
  expect_err(ctx, genc_wrapped_cauchy(ctx, NAN, 0.5), D, "wrapped_cauchy: parameter mu");
  expect_err(ctx, genc_wrapped_cauchy(ctx, 0.0, -0.1), D,
             "wrapped_cauchy: parameter rho must be in [0, 1] (got -0.1)");
  expect_err(ctx, genc_wrapped_cauchy(ctx, 0.0, 1.0), D,
             "wrapped_cauchy: parameter rho must be < 1");
  expect_err(ctx, genc_wrapped_cauchy(ctx, 0.0, NAN), D, "wrapped_cauchy: parameter rho");
  expect_err(ctx, genc_wrapped_normal(ctx, NAN, 1.0), D, "wrapped_normal: parameter mu");
  expect_err(ctx, genc_wrapped_normal(ctx, 0.0, 0.0), D,
             "wrapped_normal: parameter sigma must be finite and > 0 (got 0)");
  /* a component's or base's error names it */
  genc_dist comps[2] = {genc_normal(ctx, 0.0, 1.0), genc_half_normal(ctx, -1.0)};
  genc_product_comps pc = {2, comps}, none = {0, comps};
  expect_err(ctx, genc_product(ctx, &pc), D, "half_normal: parameter sigma");
  expect_err(ctx, genc_product(ctx, &none), GENC_ERR_ARG, "product: no components");
  expect_err(ctx, genc_product(ctx, NULL), GENC_ERR_ARG, "product: no components");
  expect_err(ctx, genc_iid(ctx, &comps[1], 1, (int64_t[]){3}), D, "half_normal: parameter sigma");
  expect_err(ctx, genc_iid(ctx, &comps[0], 1, (int64_t[]){-2}), D,
             "iid: parameter shape must be a non-negative integer (got -1)");
  expect_err(ctx, genc_iid(ctx, NULL, 1, (int64_t[]){2}), GENC_ERR_ARG, "iid: NULL base");
  genc_dist bad = genc_iid(ctx, &comps[0], -1, NULL); /* fails when made, and when used */
  assert_non_null(strstr(genc_ctx_error(ctx), "iid: -1 repeat axes"));
  t_expect_error(ctx, genc_dist_sample(ctx, genc_key_from_seed(1), &bad, 0), GENC_ERR_ARG,
                 "iid: -1 repeat axes", NULL);
  /* values of the wrong layout */
  genc_product_comps ok = {2,
                           (genc_dist[]){genc_normal(ctx, 0.0, 1.0), genc_normal(ctx, 0.0, 1.0)}};
  genc_dist p = genc_product(ctx, &ok);
  t_expect_error(ctx, genc_dist_logpdf(ctx, &p, genc_array_vec(ctx, 3, (double[]){1, 2, 3})),
                 GENC_ERR_SHAPE, "product: value [3]", "2 entries");
  genc_dist i = genc_iid(ctx, &comps[0], 1, (int64_t[]){2});
  t_expect_error(ctx, genc_dist_logpdf(ctx, &i, genc_array_vec(ctx, 3, (double[]){1, 2, 3})),
                 GENC_ERR_SHAPE, "iid: value [3]", "repeat shape");
  /* batched parameters: one bad particle is found in one check */
  double sg[4] = {0.5, 1.0, -3.0, 2.0};
  genc_dist b = genc_wrapped_normal(ctx, 0.0, genc_array_from(ctx, GENC_F64, 0, NULL, 4, sg));
  expect_err(ctx, b, D, "wrapped_normal: parameter sigma must be finite and > 0 (got -3)");
}

/* ---- a user-defined distribution on the public helpers ---- */

/* scaled_exp(rate, scale): scale * Exponential(rate), both > 0 */
static genc_status u_check(genc_ctx *ctx, const genc_dist *d) {
  genc_status st = genc_dist_check_param(ctx, d, 0, GENC_PARAM_POSITIVE);
  return st ? st : genc_dist_check_param(ctx, d, 1, GENC_PARAM_POSITIVE);
}

static genc_array *u_logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  genc_array *r = genc_div(ctx, d->p[0], d->p[1]);
  genc_array *t = genc_sub(ctx, genc_log(ctx, r), genc_mul(ctx, r, x));
  return genc_dist_sum_support(ctx, t, genc_ge(ctx, x, 0.0));
}

static genc_array *u_sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  genc_array *e = genc_dist_draw(ctx, key, d, 2, n, GENC_DIST_LAW_EXPONENTIAL);
  return genc_mul(ctx, e, genc_div(ctx, d->p[1], d->p[0]));
}

static const genc_dist_type scaled_exp = {.name = "scaled_exp",
                                          .nparams = 2,
                                          .param_names = {"rate", "scale"},
                                          .check = u_check,
                                          .sample = u_sample,
                                          .logpdf = u_logpdf,
                                          .rsample = u_sample};

static void test_user_dist(void **state) {
  genc_ctx *ctx = *state;
  genc_key key = genc_key_from_seed(4);
  double sc[4] = {1.0, 2.0, 0.0, 3.0};
  genc_array *p[2] = {genc_scalar(ctx, 2.0), genc_array_from(ctx, GENC_F64, 0, NULL, 4, sc)};
  genc_dist d = genc_dist_new(&scaled_exp, 2, p);
  t_expect_error(ctx, genc_dist_sample(ctx, key, &d, 0), GENC_ERR_DOMAIN,
                 "scaled_exp: parameter scale must be finite and > 0 (got 0)", NULL);
  t_expect_error(ctx, genc_dist_logpdf(ctx, &d, genc_scalar(ctx, 1.0)), GENC_ERR_DOMAIN,
                 "scaled_exp: parameter scale", NULL);
  /* valid: batched draws of the public genc_dist_draw, scored in batch */
  sc[2] = 0.5;
  p[1] = genc_array_from(ctx, GENC_F64, 0, NULL, 4, sc);
  d = genc_dist_new(&scaled_exp, 2, p);
  genc_array *x = genc_dist_sample(ctx, key, &d, 0);
  T_OK(ctx, x);
  assert_int_equal(genc_array_nparticles(x), 4);
  genc_array *e = genc_random_exponential(ctx, key, GENC_F64, 0, NULL, 4);
  genc_array *lp = genc_dist_logpdf(ctx, &d, x);
  for (int i = 0; i < 4; i++) {
    T_CLOSE(t_at(ctx, x, i), t_at(ctx, e, i) * sc[i] / 2.0, 1e-15);
    T_CLOSE(t_at(ctx, lp, i), log(2.0 / sc[i]) - 2.0 / sc[i] * t_at(ctx, x, i), 1e-14);
  }
  /* the helpers' own checks and messages */
  assert_int_equal(genc_dist_check_param(ctx, &d, 2, GENC_PARAM_REAL), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "scaled_exp has no parameter 2"));
  genc_ctx_clear_error(ctx);
  assert_int_equal(genc_dist_check_value(ctx, &d, 0, -1.0, GENC_PARAM_POSITIVE), GENC_ERR_DOMAIN);
  assert_non_null(
      strstr(genc_ctx_error(ctx), "scaled_exp: parameter rate must be finite and > 0 (got -1)"));
  genc_ctx_clear_error(ctx);
  assert_int_equal(genc_dist_check_true(ctx, &d, genc_gt(ctx, p[1], 0.6), "scale must exceed 0.6"),
                   GENC_ERR_DOMAIN);
  assert_non_null(strstr(genc_ctx_error(ctx), "scaled_exp: scale must exceed 0.6"));
  genc_ctx_clear_error(ctx);
  assert_int_equal(genc_dist_check_array(ctx, "mine", "w", genc_scalar(ctx, NAN), GENC_PARAM_ANY),
                   GENC_ERR_DOMAIN);
  assert_non_null(strstr(genc_ctx_error(ctx), "mine: parameter w must be a number"));
  genc_ctx_clear_error(ctx);
  /* genc_dist_sum_event over the last axes only */
  genc_array *m = genc_array_mat(ctx, 2, 3, (double[]){1, 2, 3, 4, 5, 6});
  genc_array *s1 = genc_dist_sum_event(ctx, m, 1), *sa = genc_dist_sum_event(ctx, m, -1);
  assert_int_equal(genc_array_ndim(s1), 1);
  T_CLOSE(t_at(ctx, s1, 0), 6, 0);
  T_CLOSE(t_at(ctx, s1, 1), 15, 0);
  T_CLOSE(t_item(ctx, sa), 21, 0);
  t_expect_error(ctx, genc_dist_sum_event(ctx, m, 3), GENC_ERR_SHAPE, "genc_dist_sum_event", NULL);
  /* the scalar twin draws what the array draw makes: bit for bit on the CPU,
   * to an ulp on the GPU, whose libdevice log/cos round differently */
  genc_dist one =
      genc_dist_new(&scaled_exp, 2, (genc_array *[]){genc_scalar(ctx, 1.0), genc_scalar(ctx, 1.0)});
  genc_array *g = genc_dist_draw(ctx, key, &one, 2, 0, GENC_DIST_LAW_NORMAL);
  double host = genc_dist_draw_scalar(key, GENC_DIST_LAW_NORMAL);
  if (genc_ctx_device(ctx) == GENC_CPU)
    assert_true(t_item(ctx, g) == host);
  else
    T_CLOSE(t_item(ctx, g), host, 4e-16);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_logpdf_fixtures), cmocka_unit_test(test_f32),
      cmocka_unit_test(test_sample_fixtures), cmocka_unit_test(test_layouts),
      cmocka_unit_test(test_support),         cmocka_unit_test(test_gradients),
      cmocka_unit_test(test_errors),          cmocka_unit_test(test_user_dist)};
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
