/*
 * Gradients: every log density in its value (continuous laws) and parameters,
 * and every reparameterized sampler in its parameters (same key), against
 * central finite differences with step h = 1e-6 max(1, |v|); the tolerance
 * 1e-6 (relative) is well above the O(h^2) truncation and the O(eps / h)
 * rounding error of the difference quotient.
 */
#include "test_dist_common.h"

#define MAXA 6
#define MAXE 16

typedef struct gcase {
  const char *dist;
  int nargs;      /* args[0] is the value, args[1..] the parameters */
  uint32_t wrt;   /* arguments whose gradients are checked */
  int ndim[MAXA]; /* rank of each argument */
  int64_t shape[MAXA][2];
  double v[MAXA][MAXE];
  bool rsample; /* differentiate sum(rsample) instead of logpdf (args[0] unused) */
} gcase;

static int64_t nel(const gcase *c, int i) {
  int64_t s = 1;
  for (int d = 0; d < c->ndim[i]; d++)
    s *= c->shape[i][d];
  return s;
}

static genc_array *fn(genc_ctx *ctx, genc_array *const *args, void *user) {
  const gcase *c = user;
  genc_array *p[8] = {0};
  for (int i = 1; i < c->nargs; i++)
    p[i - 1] = args[i];
  td_mix mix;
  genc_dist d = td_make(ctx, c->dist, p, &mix);
  if (c->rsample) return genc_sum_all(ctx, genc_dist_rsample(ctx, genc_key_from_seed(11), &d, 0));
  return genc_dist_logpdf(ctx, &d, args[0]);
}

static genc_array *arg(genc_ctx *ctx, const gcase *c, int i, const double *v) {
  return genc_array_from(ctx, GENC_F64, c->ndim[i], c->shape[i], 0, v);
}

static double eval(genc_ctx *ctx, const gcase *c, double v[MAXA][MAXE]) {
  int64_t mark = genc_scope_begin(ctx);
  genc_array *a[MAXA];
  for (int i = 0; i < c->nargs; i++)
    a[i] = arg(ctx, c, i, v[i]);
  genc_array *y = fn(ctx, a, (void *)c);
  if (!y) fail_msg("%s: %s", c->dist, genc_ctx_error(ctx));
  double r = t_item(ctx, y);
  genc_scope_end(ctx, mark);
  return r;
}

static int nchecked;

static void check_case(genc_ctx *ctx, const gcase *c) {
  genc_array *a[MAXA], *g[MAXA], *val;
  for (int i = 0; i < c->nargs; i++)
    a[i] = arg(ctx, c, i, c->v[i]);
  if (genc_value_and_grad(ctx, fn, c->nargs, a, (void *)c, c->wrt, &val, g))
    fail_msg("%s: %s", c->dist, genc_ctx_error(ctx));
  double v[MAXA][MAXE];
  memcpy(v, c->v, sizeof v);
  for (int i = 0; i < c->nargs; i++) {
    if (!(c->wrt >> i & 1)) continue;
    for (int64_t j = 0; j < nel(c, i); j++) {
      double x0 = v[i][j], h = 1e-6 * fmax(1.0, fabs(x0));
      v[i][j] = x0 + h;
      double fp = eval(ctx, c, v);
      v[i][j] = x0 - h;
      double fm = eval(ctx, c, v);
      v[i][j] = x0;
      double fd = (fp - fm) / (2 * h), ad = t_at(ctx, g[i], j);
      nchecked++;
      if (!(fabs(ad - fd) <= 1e-6 * fmax(1.0, fabs(fd))))
        fail_msg("%s%s: d/d arg%d[%lld] = %.12g, finite difference %.12g", c->dist,
                 c->rsample ? " (rsample)" : "", i, (long long)j, ad, fd);
    }
  }
}

#define S0                                                                                         \
  { 0 }
#define S1(n)                                                                                      \
  { n }
static const gcase cases[] = {
    {"normal", 3, 7, {0, 0, 0}, {S0}, {{1.1}, {0.3}, {1.7}}, false},
    {"broadcasted_normal",
     3,
     7,
     {1, 1, 1},
     {S1(2), S1(2), S1(2)},
     {{0.5, 0.5}, {0.1, -0.2}, {1.0, 2.0}},
     false},
    {"uniform", 3, 6, {0, 0, 0}, {S0}, {{0.5}, {-1}, {2}}, false},
    {"beta", 3, 7, {0, 0, 0}, {S0}, {{0.3}, {2.5}, {3.5}}, false},
    {"gamma", 3, 7, {0, 0, 0}, {S0}, {{1.2}, {2.5}, {1.5}}, false},
    {"exponential", 2, 3, {0, 0}, {S0}, {{0.7}, {1.5}}, false},
    {"laplace", 3, 7, {0, 0, 0}, {S0}, {{1.5}, {0.2}, {1.3}}, false},
    {"student_t", 4, 15, {0, 0, 0, 0}, {S0}, {{1.1}, {4.5}, {0.2}, {1.3}}, false},
    {"lognormal", 3, 7, {0, 0, 0}, {S0}, {{1.3}, {0.2}, {0.7}}, false},
    {"mvnormal",
     3,
     3,
     {1, 1, 2},
     {S1(2), S1(2), {2, 2}},
     {{1, 0}, {0.5, -0.5}, {2, 0.3, 0.3, 1}},
     false},
    {"mvnormal_chol",
     3,
     7,
     {1, 1, 2},
     {S1(2), S1(2), {2, 2}},
     {{1, 0}, {0.5, -0.5}, {1.4, 0, 0.2, 0.9}},
     false},
    {"dirichlet", 2, 2, {1, 1}, {S1(3), S1(3)}, {{0.2, 0.3, 0.5}, {1.5, 2.5, 3}}, false},
    {"cauchy", 3, 7, {0, 0, 0}, {S0}, {{2}, {0.1}, {1.2}}, false},
    {"inv_gamma", 3, 7, {0, 0, 0}, {S0}, {{0.8}, {3}, {2}}, false},
    {"truncated_normal", 5, 31, {0, 0, 0, 0, 0}, {S0}, {{0.5}, {0.3}, {1.2}, {-1}, {2}}, false},
    {"truncated_normal", 5, 31, {0, 0, 0, 0, 0}, {S0}, {{2.5}, {0}, {1}, {2}, {3}}, false},
    {"beta_uniform", 4, 15, {0, 0, 0, 0}, {S0}, {{0.4}, {0.3}, {2}, {3}}, false},
    {"von_mises", 3, 7, {0, 0, 0}, {S0}, {{0.9}, {0.3}, {2.5}}, false},
    {"von_mises", 3, 7, {0, 0, 0}, {S0}, {{0.4}, {0.3}, {25}}, false},
    {"wishart",
     3,
     2,
     {2, 0, 2},
     {{2, 2}, S0, {2, 2}},
     {{1, 0.2, 0.2, 2}, {5}, {2, 0.5, 0.5, 1}},
     false},
    {"inv_wishart",
     3,
     2,
     {2, 0, 2},
     {{2, 2}, S0, {2, 2}},
     {{1, 0.2, 0.2, 2}, {5}, {2, 0.5, 0.5, 1}},
     false},
    {"piecewise_uniform",
     3,
     6,
     {0, 1, 1},
     {S0, S1(4), S1(3)},
     {{1.5}, {0, 1, 3, 3.5}, {0.2, 0.5, 0.3}},
     false},
    {"mixture",
     6,
     63,
     {0, 1, 0, 0, 0, 0},
     {S0, S1(2)},
     {{1.2}, {0.3, -0.4}, {0}, {1}, {3}, {0.5}},
     false},
    {"bernoulli", 2, 2, {0, 0}, {S0}, {{1}, {0.3}}, false},
    {"poisson", 2, 2, {0, 0}, {S0}, {{2}, {3.5}}, false},
    {"poisson", 2, 2, {0, 0}, {S0}, {{0}, {3.5}}, false},
    {"poisson", 2, 2, {0, 0}, {S0}, {{1000100}, {1e6}}, false},
    {"binomial", 3, 4, {0, 0, 0}, {S0}, {{7}, {20}, {0.3}}, false},
    {"binomial", 3, 4, {0, 0, 0}, {S0}, {{0}, {20}, {0.3}}, false},
    {"geometric", 2, 2, {0, 0}, {S0}, {{4}, {0.3}}, false},
    {"neg_binomial", 3, 6, {0, 0, 0}, {S0}, {{5}, {3.5}, {0.4}}, false},
    {"categorical", 2, 2, {0, 1}, {S0, S1(3)}, {{1}, {0.1, -0.5, 2}}, false},
    /* reparameterized samplers: d sum(rsample) / d parameters, same key */
    {"normal", 3, 6, {0, 0, 0}, {S0}, {{0}, {0.3}, {1.7}}, true},
    {"broadcasted_normal", 3, 6, {0, 1, 0}, {S0, S1(3)}, {{0}, {0.1, -0.2, 3}, {1.5}}, true},
    {"uniform", 3, 6, {0, 0, 0}, {S0}, {{0}, {-1}, {2}}, true},
    {"exponential", 2, 2, {0, 0}, {S0}, {{0}, {1.5}}, true},
    {"laplace", 3, 6, {0, 0, 0}, {S0}, {{0}, {0.2}, {1.3}}, true},
    {"lognormal", 3, 6, {0, 0, 0}, {S0}, {{0}, {0.2}, {0.7}}, true},
    {"cauchy", 3, 6, {0, 0, 0}, {S0}, {{0}, {0.1}, {1.2}}, true},
    {"truncated_normal", 5, 30, {0, 0, 0, 0, 0}, {S0}, {{0}, {0.3}, {1.2}, {-1}, {2}}, true},
    {"mvnormal_chol",
     3,
     6,
     {0, 1, 2},
     {S0, S1(2), {2, 2}},
     {{0}, {0.5, -0.5}, {1.4, 0, 0.2, 0.9}},
     true},
    {"mvnormal", 3, 2, {0, 1, 2}, {S0, S1(2), {2, 2}}, {{0}, {0.5, -0.5}, {2, 0.3, 0.3, 1}}, true},
    {"delta", 2, 2, {0, 1}, {S0, S1(2)}, {{0}, {0.5, -0.5}}, true},
};

static void test_gradients(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int64_t mark = genc_scope_begin(ctx);
    check_case(ctx, &cases[i]);
    genc_scope_end(ctx, mark);
  }
  assert_true(nchecked >= 100);
  printf("checked %d partial derivatives\n", nchecked);
  genc_ctx_free(ctx);
}

/* Plain sample does not record: no gradient reaches the parameters. */
static void test_sample_not_differentiated(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  assert_int_equal(genc_tape_begin(ctx), GENC_OK);
  genc_array *mu = genc_tape_watch(ctx, genc_scalar(ctx, 0.5));
  genc_dist d = genc_normal(ctx, mu, 1.0);
  genc_array *x = genc_dist_sample(ctx, genc_key_from_seed(3), &d, 0), *g;
  genc_array *xr = genc_dist_rsample(ctx, genc_key_from_seed(3), &d, 0), *gr;
  T_CLOSE(t_item(ctx, x), t_item(ctx, xr), 0);
  assert_int_equal(genc_tape_backward(ctx, x, NULL, 1, &mu, &g), GENC_OK);
  T_CLOSE(t_item(ctx, g), 0, 0);
  assert_int_equal(genc_tape_backward(ctx, xr, NULL, 1, &mu, &gr), GENC_OK);
  T_CLOSE(t_item(ctx, gr), 1, 0);
  genc_tape_end(ctx);
  genc_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_gradients),
                                     cmocka_unit_test(test_sample_not_differentiated)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
