/* Every invalid-parameter case returns the promised error, naming the
 * distribution and the parameter, from sample, rsample and logpdf alike; and
 * the generic API's argument errors. */
#include "test_dist_common.h"

typedef struct ecase {
  const char *dist;
  const char *params; /* JSON list, as in the fixtures */
  genc_status st;
  const char *msg; /* expected substring of the message */
} ecase;

#define D GENC_ERR_DOMAIN
static const ecase cases[] = {
    {"normal", "[0, 0]", D, "normal: parameter sigma must be finite and > 0 (got 0)"},
    {"normal", "[0, -1]", D, "normal: parameter sigma must be finite and > 0 (got -1)"},
    {"normal", "[0, \"nan\"]", D, "normal: parameter sigma must be finite and > 0 (got nan)"},
    {"normal", "[0, \"inf\"]", D, "normal: parameter sigma must be finite and > 0 (got inf)"},
    {"normal", "[\"nan\", 1]", D, "normal: parameter mu must be finite (got nan)"},
    {"normal", "[\"-inf\", 1]", D, "normal: parameter mu must be finite (got -inf)"},
    {"broadcasted_normal", "[0, [1, 2, -3]]", D,
     "broadcasted_normal: parameter sigma must be finite and > 0 (got -3)"},
    {"uniform", "[\"nan\", 1]", D, "uniform: parameter lo must be finite"},
    {"uniform", "[1, 1]", D, "uniform: parameter lo must be < hi"},
    {"uniform", "[[0, 2], [1, 1]]", D, "uniform: parameter lo must be < hi"},
    {"bernoulli", "[-0.1]", D, "bernoulli: parameter p must be in [0, 1] (got -0.1)"},
    {"bernoulli", "[1.5]", D, "bernoulli: parameter p must be in [0, 1] (got 1.5)"},
    {"bernoulli", "[\"nan\"]", D, "bernoulli: parameter p must be in [0, 1] (got nan)"},
    {"beta", "[0, 1]", D, "beta: parameter alpha must be finite and > 0 (got 0)"},
    {"beta", "[1, -1]", D, "beta: parameter beta must be finite and > 0 (got -1)"},
    {"gamma", "[0, 1]", D, "gamma: parameter shape must be finite and > 0 (got 0)"},
    {"gamma", "[1, -2]", D, "gamma: parameter rate must be finite and > 0 (got -2)"},
    {"exponential", "[0]", D, "exponential: parameter rate must be finite and > 0 (got 0)"},
    {"categorical", "[[0, \"nan\"]]", D,
     "categorical: parameter logits must be finite or -inf (got nan)"},
    {"categorical", "[[0, \"inf\"]]", D,
     "categorical: parameter logits must be finite or -inf (got inf)"},
    {"categorical", "[[\"-inf\", \"-inf\"]]", D,
     "categorical: parameter logits has a row that is all -inf"},
    {"categorical", "[3]", GENC_ERR_SHAPE, "categorical: parameter logits must have an axis"},
    {"poisson", "[-1]", D, "poisson: parameter rate must be finite and >= 0 (got -1)"},
    {"poisson", "[\"inf\"]", D, "poisson: parameter rate must be finite and >= 0 (got inf)"},
    {"laplace", "[0, 0]", D, "laplace: parameter scale must be finite and > 0 (got 0)"},
    {"student_t", "[0, 0, 1]", D, "student_t: parameter df must be finite and > 0 (got 0)"},
    {"student_t", "[1, 0, -1]", D, "student_t: parameter scale must be finite and > 0 (got -1)"},
    {"lognormal", "[0, 0]", D, "lognormal: parameter sigma must be finite and > 0 (got 0)"},
    {"mvnormal", "[[0, 0], [[1, 2], [2, 1]]]", GENC_ERR_LINALG,
     "mvnormal: parameter cov is not positive definite"},
    {"mvnormal", "[[0, 0], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]]", GENC_ERR_SHAPE,
     "mvnormal: parameter cov [3, 3] does not fit mean [2]"},
    {"mvnormal", "[[0, \"nan\"], [[1, 0], [0, 1]]]", D,
     "mvnormal: parameter mean must be finite (got nan)"},
    {"mvnormal_chol", "[[0, 0], [[1, 0], [0.5, 0]]]", D,
     "mvnormal: parameter chol (its diagonal) must be finite and > 0 (got 0)"},
    {"dirichlet", "[[1, 0]]", D, "dirichlet: parameter alpha must be finite and > 0 (got 0)"},
    {"dirichlet", "[2]", GENC_ERR_SHAPE, "dirichlet: parameter alpha must have a last axis"},
    {"delta", "[\"nan\"]", D, "delta: parameter v must be a number (got nan)"},
    {"cauchy", "[0, -1]", D, "cauchy: parameter scale must be finite and > 0 (got -1)"},
    {"inv_gamma", "[0, 1]", D, "inv_gamma: parameter shape must be finite and > 0 (got 0)"},
    {"inv_gamma", "[1, 0]", D, "inv_gamma: parameter scale must be finite and > 0 (got 0)"},
    {"geometric", "[0]", D, "geometric: parameter p must be in (0, 1] (got 0)"},
    {"geometric", "[1.5]", D, "geometric: parameter p must be in (0, 1] (got 1.5)"},
    {"neg_binomial", "[0, 0.5]", D, "neg_binomial: parameter r must be finite and > 0 (got 0)"},
    {"neg_binomial", "[1, 0]", D, "neg_binomial: parameter p must be in (0, 1] (got 0)"},
    {"binomial", "[-1, 0.5]", D, "binomial: parameter n must be a non-negative integer (got -1)"},
    {"binomial", "[2.5, 0.5]", D, "binomial: parameter n must be a non-negative integer (got 2.5)"},
    {"binomial", "[3, 1.5]", D, "binomial: parameter p must be in [0, 1] (got 1.5)"},
    {"discrete_uniform", "[1.5, 3]", D,
     "discrete_uniform: parameter lo must be an integer (got 1.5)"},
    {"discrete_uniform", "[3, 2]", D, "discrete_uniform: parameter lo must be <= hi"},
    {"truncated_normal", "[0, 0, -1, 1]", D,
     "truncated_normal: parameter sigma must be finite and > 0 (got 0)"},
    {"truncated_normal", "[0, 1, 1, 1]", D, "truncated_normal: parameter lo must be < hi"},
    {"truncated_normal", "[0, 1, \"nan\", 1]", D,
     "truncated_normal: parameter lo must be a number (got nan)"},
    {"piecewise_uniform", "[[0, 2, 1], [1, 1]]", D,
     "piecewise_uniform: parameter bounds must be strictly increasing"},
    {"piecewise_uniform", "[[0, 1, 2], [1, -1]]", D,
     "piecewise_uniform: parameter probs must be finite and >= 0 (got -1)"},
    {"piecewise_uniform", "[[0, 1, 2], [0, 0]]", D,
     "piecewise_uniform: parameter probs must not be all zero"},
    {"piecewise_uniform", "[[0, 1], [1, 1]]", GENC_ERR_SHAPE,
     "piecewise_uniform: parameter bounds [2] must be 1-d with one more entry than probs [2]"},
    {"beta_uniform", "[1.5, 1, 1]", D, "beta_uniform: parameter theta must be in [0, 1] (got 1.5)"},
    {"beta_uniform", "[0.5, 0, 1]", D,
     "beta_uniform: parameter alpha must be finite and > 0 (got 0)"},
    {"wishart", "[0.5, [[1, 0], [0, 1]]]", D, "wishart: parameter df must be > k - 1 = 1"},
    {"wishart", "[3, [[1, 2], [2, 1]]]", GENC_ERR_LINALG,
     "wishart: parameter scale is not positive definite"},
    {"wishart", "[3, [1, 2]]", GENC_ERR_SHAPE, "wishart: parameter scale must be square"},
    {"inv_wishart", "[1, [[1, 0], [0, 1]]]", D, "inv_wishart: parameter df must be > k - 1 = 1"},
    {"inv_wishart", "[3, [[-1, 0], [0, 1]]]", GENC_ERR_LINALG,
     "inv_wishart: parameter scale is not positive definite"},
    {"von_mises", "[0, -1]", D, "von_mises: parameter kappa must be finite and > 0 (got -1)"},
    {"von_mises", "[\"inf\", 1]", D, "von_mises: parameter mu must be finite (got inf)"},
    {"mixture", "[[0, \"nan\"], 0, 1, 0, 1]", D,
     "mixture: parameter log_weights must be finite or -inf (got nan)"},
    {"mixture", "[[0, 0, 0], 0, 1, 0, 1]", GENC_ERR_SHAPE,
     "mixture: parameter log_weights [3] must be 1-d with 2 entries"},
    {"mixture", "[[0, 0], 0, 1, 0, -1]", D,
     "normal: parameter sigma must be finite and > 0 (got -1)"},
    {"mixture", "[[\"-inf\", \"-inf\"], 0, 1, 0, 1]", D,
     "mixture: parameter log_weights is all -inf"},
};
#undef D

static void expect(genc_ctx *ctx, const ecase *e, const char *what, genc_array *r) {
  if (r) fail_msg("%s %s %s: expected an error", e->dist, e->params, what);
  if (genc_ctx_status(ctx) != e->st)
    fail_msg("%s %s %s: status %s, expected %s (%s)", e->dist, e->params, what,
             genc_status_name(genc_ctx_status(ctx)), genc_status_name(e->st), genc_ctx_error(ctx));
  if (!strstr(genc_ctx_error(ctx), e->msg))
    fail_msg("%s %s %s: message \"%s\" lacks \"%s\"", e->dist, e->params, what, genc_ctx_error(ctx),
             e->msg);
  genc_ctx_clear_error(ctx);
}

static void test_invalid_params(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_key key = genc_key_from_seed(1);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const ecase *e = &cases[i];
    int64_t mark = genc_scope_begin(ctx);
    char buf[512];
    snprintf(buf, sizeof buf, "{\"dist\": \"%s\", \"params\": %s}", e->dist, e->params);
    cJSON *c = cJSON_Parse(buf);
    assert_non_null(c);
    td_mix mix;
    genc_dist d = td_make_json(ctx, c, GENC_F64, &mix);
    assert_int_equal(genc_dist_check(ctx, &d), e->st);
    genc_ctx_clear_error(ctx);
    expect(ctx, e, "sample", genc_dist_sample(ctx, key, &d, 3));
    expect(ctx, e, "logpdf", genc_dist_logpdf(ctx, &d, genc_scalar(ctx, 0.5)));
    if (genc_dist_has_rsample(&d)) expect(ctx, e, "rsample", genc_dist_rsample(ctx, key, &d, 3));
    cJSON_Delete(c);
    genc_scope_end(ctx, mark);
  }
  genc_ctx_free(ctx);
}

/* A bad value among batched parameters is found in one check. */
static void test_batched_params(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  double p[4] = {0.2, 0.5, 1.25, 0.1};
  genc_dist d = genc_bernoulli(ctx, genc_array_from(ctx, GENC_F64, 0, NULL, 4, p));
  assert_null(genc_dist_sample(ctx, genc_key_from_seed(2), &d, 0));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_DOMAIN);
  assert_non_null(
      strstr(genc_ctx_error(ctx), "bernoulli: parameter p must be in [0, 1] (got 1.25)"));
  genc_ctx_free(ctx);
}

/* Argument errors of the generic API. */
static void test_api_errors(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_key key = genc_key_from_seed(3);
  assert_int_equal(genc_dist_check(ctx, NULL), GENC_ERR_ARG);
  genc_ctx_clear_error(ctx);
  genc_dist d = genc_normal(ctx, (genc_array *)NULL, 1.0);
  assert_null(genc_dist_sample(ctx, key, &d, 2));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "normal: parameter mu is NULL"));
  genc_ctx_clear_error(ctx);
  /* a NULL from an earlier failure keeps that failure's message */
  genc_array *bad = genc_add(ctx, genc_array_vec(ctx, 2, (double[]){1, 2}),
                             genc_array_vec(ctx, 3, (double[]){1, 2, 3}));
  genc_dist d2 = genc_normal(ctx, bad, 1.0);
  assert_null(genc_dist_logpdf(ctx, &d2, genc_scalar(ctx, 0.0)));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_SHAPE);
  genc_ctx_clear_error(ctx);
  genc_dist ok = genc_normal(ctx, 0.0, 1.0);
  assert_null(genc_dist_logpdf(ctx, &ok, NULL));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ARG);
  genc_ctx_clear_error(ctx);
  assert_null(genc_dist_sample(ctx, key, &ok, -1));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ARG);
  genc_ctx_clear_error(ctx);
  genc_dist g = genc_von_mises(ctx, 0.0, 1.0);
  assert_false(genc_dist_has_rsample(&g));
  assert_null(genc_dist_rsample(ctx, key, &g, 2));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_UNSUPPORTED);
  assert_non_null(strstr(genc_ctx_error(ctx), "von_mises: no reparameterized sampler"));
  genc_ctx_clear_error(ctx);
  genc_dist wrong = ok;
  wrong.nparams = 1;
  assert_int_equal(genc_dist_check(ctx, &wrong), GENC_ERR_ARG);
  genc_ctx_clear_error(ctx);
  /* the reparameterized set */
  const char *rs[] = {"normal",
                      "uniform",
                      "exponential",
                      "laplace",
                      "lognormal",
                      "cauchy",
                      "truncated_normal",
                      "broadcasted_normal",
                      "mvnormal",
                      "delta",
                      "gamma",
                      "inv_gamma",
                      "beta",
                      "student_t",
                      "dirichlet",
                      "wishart",
                      "inv_wishart"};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) {
    genc_array *p[8] = {genc_scalar(ctx, 0), genc_scalar(ctx, 1), genc_scalar(ctx, 0),
                        genc_scalar(ctx, 1)};
    td_mix mix;
    genc_dist r = td_make(ctx, rs[i], p, &mix);
    assert_true(genc_dist_has_rsample(&r));
  }
  assert_string_equal(genc_dist_name(&ok), "normal");
  genc_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_invalid_params),
                                     cmocka_unit_test(test_batched_params),
                                     cmocka_unit_test(test_api_errors)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
