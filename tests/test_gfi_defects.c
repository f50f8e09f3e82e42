/* Regression tests of GFI defects: constraints of the wrong shape or dtype,
 * traces given to another function, updates of traces holding a -inf site,
 * deep splice recursion, NULL contexts, functions and arguments, the batched
 * branch message, releasing a function before its traces, and the scalar
 * normal given an array parameter. */
#include "gfi_models.h"

#define KEY genc_key_from_seed(5)

/* v ~ broadcasted N(zeros[3], 1); s ~ N(0, 1); b ~ Bernoulli(0.3) */
static genc_array *m_sites(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  int64_t three = 3;
  GENC_TRACE(rt, "v",
             genc_broadcasted_normal(ctx, genc_array_zeros(ctx, GENC_F64, 1, &three, 0), 1.0));
  GENC_TRACE(rt, "b", genc_bernoulli(ctx, 0.3));
  return GENC_TRACE(rt, "s", genc_normal(ctx, 0.0, 1.0));
}

static genc_choicemap *one(genc_ctx *ctx, const char *addr, genc_array *v) {
  genc_choicemap *c = genc_choicemap_new(ctx);
  genc_addr a;
  genc_addr_parse(ctx, addr, &a);
  genc_choicemap_set_path(ctx, c, a.comp, a.len, v);
  return c;
}

static genc_trace *gen1(genc_ctx *ctx, genc_gf *gf, const char *addr, genc_array *v, int64_t n,
                        genc_array **w) {
  genc_choicemap *c = one(ctx, addr, v);
  genc_trace *t = genc_gf_generate(ctx, gf, NULL, c, KEY, n, w);
  genc_choicemap_free(c);
  return t;
}

static void test_constraint_shape(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("sites", m_sites, 0, NULL);
  int64_t s23[2] = {2, 3}, s3 = 3;
  /* [2, 3] at a [3] site used to add six terms */
  genc_trace *t = gen1(ctx, gf, "v", genc_array_zeros(ctx, GENC_F64, 2, s23, 0), 0, NULL);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_SHAPE, "constraint at v has shape [2, 3]",
                 "broadcasted_normal choice there has shape [3]");
  /* a vector at a scalar site used to be stored */
  t = gen1(ctx, gf, "s", genc_array_zeros(ctx, GENC_F64, 1, &s3, 0), 0, NULL);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_SHAPE, "constraint at s has shape [3]",
                 "normal choice there has shape []");
  /* assess and update check too */
  genc_choicemap *c = one(ctx, "s", genc_array_zeros(ctx, GENC_F64, 1, &s3, 0));
  genc_trace *ok = genc_gf_simulate(ctx, gf, NULL, KEY, 0);
  T_OK(ctx, ok);
  t = genc_gf_update(ctx, ok, NULL, NULL, c, KEY, NULL, NULL);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_SHAPE, "constraint at s", NULL);
  genc_choicemap_free(c);
  /* a batched constraint of the site's shape per particle is legal */
  genc_array *w = NULL;
  t = gen1(ctx, gf, "v", genc_array_full(ctx, GENC_F64, 1, &s3, 4, 0.5), 4, &w);
  T_OK(ctx, t);
  T_CLOSE(t_at(ctx, w, 2), 3 * (-0.125 - 0.5 * log(2 * M_PI)), 1e-12);
  genc_trace_release(t);
  genc_trace_release(ok);
  genc_gf_release(gf);
}

/* dtype rule: an int at a float site is converted; a float at a discrete site
 * must be integral. */
static void test_constraint_dtype(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("sites", m_sites, 0, NULL);
  genc_array *w = NULL;
  genc_trace *t = gen1(ctx, gf, "s", genc_scalar_of(ctx, 2, GENC_I32), 0, &w);
  T_OK(ctx, t);
  genc_array *s = genc_trace_get_path(ctx, t, "s");
  assert_int_equal(genc_array_dtype(s), GENC_F64);
  T_CLOSE(t_item(ctx, w), -2.0 - 0.5 * log(2 * M_PI), 1e-12);
  genc_trace_release(t);
  t = gen1(ctx, gf, "b", genc_scalar(ctx, 0.5), 0, NULL);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_DOMAIN, "constraint at b is not integral",
                 "bernoulli");
  t = gen1(ctx, gf, "b", genc_scalar(ctx, 1.0), 0, &w);
  T_OK(ctx, t);
  T_CLOSE(t_item(ctx, w), log(0.3), 1e-12);
  genc_trace_release(t);
  genc_gf_release(gf);
}

static void test_trace_of_other_function(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *a = genc_gf_dynamic("model_a", m_scalar, 0, NULL);
  genc_gf *b = genc_gf_dynamic("model_b", m_scalar, 0, NULL);
  genc_trace *ta = genc_gf_simulate(ctx, a, NULL, KEY, 0);
  T_OK(ctx, ta);
  const genc_gf_type *ty = genc_gf_type_of(b);
  genc_gfi_call c = {.trace = ta, .key = KEY, .selection = genc_selection_all()};
  genc_gfi_result r = {0};
  assert_int_equal(ty->regenerate(ctx, b, &c, &r), GENC_ERR_ARG);
  t_expect_error(ctx, (genc_array *)r.trace, GENC_ERR_ARG, "regenerate of model_b", "model_a");
  assert_int_equal(ty->update(ctx, b, &c, &r), GENC_ERR_ARG);
  t_expect_error(ctx, (genc_array *)r.trace, GENC_ERR_ARG, "update of model_b", "model_a");
  assert_int_equal(ty->project(ctx, b, &c, &r), GENC_ERR_ARG);
  t_expect_error(ctx, r.weight, GENC_ERR_ARG, "project of model_b", "model_a");
  genc_trace_release(ta);
  genc_gf_release(a), genc_gf_release(b);
}

/* a ~ U(0, 1) constrained outside its support (-inf); b ~ N(0, 1) */
static genc_array *m_ninf(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  GENC_TRACE(rt, "a", genc_uniform(ctx, 0.0, 1.0));
  return GENC_TRACE(rt, "b", genc_normal(ctx, 0.0, 1.0));
}

/* Gen.jl updates an unrelated site of a zero-probability trace: the untouched
 * -inf site contributes nothing to the weight. Single and batched (array path). */
static void test_update_with_ninf_site(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("ninf", m_ninf, 0, NULL);
  for (int64_t n = 0; n <= 3; n += 3) {
    genc_array *w = NULL;
    genc_trace *t = gen1(ctx, gf, "a", genc_scalar(ctx, 2.0), n, &w);
    T_OK(ctx, t);
    T_CLOSE(t_at(ctx, w, 0), -INFINITY, 0);
    genc_choicemap *c = one(ctx, "b", genc_scalar(ctx, 0.5));
    genc_trace *t2 = genc_gf_update(ctx, t, NULL, NULL, c, KEY, &w, NULL);
    T_OK(ctx, t2);
    double b0 = t_at(ctx, genc_trace_get_path(ctx, t, "b"), 0);
    T_CLOSE(t_at(ctx, w, 0), -0.125 + 0.5 * b0 * b0, 1e-12);
    /* regenerate of b likewise: the prior proposal cancels b, a is unchanged */
    genc_selection *s = genc_selection_new(ctx);
    genc_selection_add(ctx, s, GENC_SYM("b"));
    genc_trace *t3 = genc_gf_regenerate(ctx, t, NULL, NULL, s, KEY, &w);
    T_OK(ctx, t3);
    T_CLOSE(t_at(ctx, w, 0), 0.0, 0);
    genc_selection_release(s);
    genc_choicemap_free(c);
    genc_trace_release(t3), genc_trace_release(t2), genc_trace_release(t);
  }
  genc_gf_release(gf);
}

/* recursion through splices: depth d splices itself at "r" until d == limit */
static genc_gf *g_rec;
static genc_array *m_rec2(genc_rt *rt, genc_array *const *args, void *u) {
  (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  int64_t d = genc_rt_arg_int(rt, 0), limit = genc_rt_arg_int(rt, 1);
  if (genc_ctx_status(ctx)) return NULL;
  if (d >= limit) return GENC_TRACE(rt, "leaf", genc_normal(ctx, 0.0, 1.0));
  return genc_rt_splice(rt, GENC_SYM("r"), g_rec, GENC_ARGS(ctx, (int)d + 1, args[1]));
}

static void test_splice_depth(void **state) {
  genc_ctx *ctx = *state;
  g_rec = genc_gf_dynamic("recurse", m_rec2, 2, NULL);
  genc_trace *t = genc_gf_simulate(ctx, g_rec, GENC_ARGS(ctx, 0, 200), KEY, 0);
  T_OK(ctx, t);
  genc_trace_release(t);
  t = genc_gf_simulate(ctx, g_rec, GENC_ARGS(ctx, 0, 10000), KEY, 0);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_ARG, "GENC_MAX_SPLICE_DEPTH (1000)", "recurse");
  /* the depth counter unwound: a shallow run works again */
  t = genc_gf_simulate(ctx, g_rec, GENC_ARGS(ctx, 0, 3), KEY, 0);
  T_OK(ctx, t);
  genc_trace_release(t);
  genc_gf_release(g_rec);
}

static void test_null_inputs(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("m", m_inner, 1, NULL);
  genc_array *x = genc_scalar(ctx, 0.0);
  genc_trace *t = genc_gf_simulate(ctx, gf, &x, KEY, 0);
  T_OK(ctx, t);
  genc_selection *all = genc_selection_all();
  /* no context: no crash, nothing returned */
  assert_null(genc_gf_simulate(NULL, gf, &x, KEY, 0));
  assert_null(genc_gf_generate(NULL, gf, &x, NULL, KEY, 0, NULL));
  assert_null(genc_gf_assess(NULL, gf, &x, NULL, NULL));
  assert_null(genc_gf_propose(NULL, gf, &x, KEY, 0, NULL, NULL));
  assert_null(genc_gf_update(NULL, t, NULL, NULL, NULL, KEY, NULL, NULL));
  assert_null(genc_gf_regenerate(NULL, t, NULL, NULL, all, KEY, NULL));
  assert_null(genc_gf_project(NULL, t, all));
  assert_null(genc_trace_choices(NULL, t));
  assert_null(genc_trace_get_path(NULL, t, "v"));
  assert_null(genc_trace_particle(NULL, t, 0));
  assert_null(genc_trace_take(NULL, t, NULL));
  assert_true(genc_gf_choice_gradients(NULL, t, all, NULL, NULL) != GENC_OK);
  assert_true(genc_trace_copy_out(NULL, t, "v", NULL, 0) != GENC_OK);
  /* no function or trace: an error in the context */
  assert_null(genc_gf_simulate(ctx, NULL, &x, KEY, 0));
  t_expect_error(ctx, NULL, GENC_ERR_ARG, "NULL generative function", NULL);
  assert_null(genc_gf_assess(ctx, NULL, &x, NULL, NULL));
  t_expect_error(ctx, NULL, GENC_ERR_ARG, "NULL generative function", NULL);
  assert_null(genc_gf_update(ctx, NULL, NULL, NULL, NULL, KEY, NULL, NULL));
  t_expect_error(ctx, NULL, GENC_ERR_ARG, "NULL trace", NULL);
  assert_null(genc_gf_project(ctx, NULL, all));
  t_expect_error(ctx, NULL, GENC_ERR_ARG, "NULL trace", NULL);
  /* arguments */
  assert_null(genc_gf_simulate(ctx, gf, NULL, KEY, 0));
  t_expect_error(ctx, NULL, GENC_ERR_ARG, "model 'm': NULL argument vector, expected 1 arguments",
                 NULL);
  genc_array *none[1] = {NULL};
  assert_null(genc_gf_generate(ctx, gf, none, NULL, KEY, 0, NULL));
  t_expect_error(ctx, NULL, GENC_ERR_ARG, "model 'm': argument 0 is NULL", NULL);
  assert_null(genc_gf_update(ctx, t, none, NULL, NULL, KEY, NULL, NULL));
  t_expect_error(ctx, NULL, GENC_ERR_ARG, "argument 0 is NULL", NULL);
  /* a NULL argument made by a failed op keeps that op's message */
  genc_array *bad[1] = {genc_add(ctx, genc_array_vec(ctx, 2, (double[]){1, 2}),
                                 genc_array_vec(ctx, 3, (double[]){1, 2, 3}))};
  assert_null(genc_gf_simulate(ctx, gf, bad, KEY, 0));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_SHAPE);
  assert_null(strstr(genc_ctx_error(ctx), "argument 0"));
  genc_ctx_clear_error(ctx);
  genc_trace_release(t);
  genc_gf_release(gf);
}

static void test_batched_branch_message(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("branchy", m_branch, 0, NULL);
  genc_trace *t = genc_gf_simulate(ctx, gf, NULL, KEY, 4);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_PARTICLE, "branchy, run batched over 4",
                 "select between their values with genc_where(cond, a, b)");
  genc_gf_release(gf);
}

static void test_release_gf_before_trace(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *inner = genc_gf_dynamic("inner", m_inner, 1, NULL);
  genc_gf *gf = genc_gf_dynamic("spliced", m_spliced, 0, inner);
  genc_trace *t = genc_gf_simulate(ctx, gf, NULL, KEY, 0);
  T_OK(ctx, t);
  genc_gf_release(gf); /* the trace keeps gf, and its sub-trace keeps inner */
  genc_gf_release(inner);
  assert_string_equal(genc_gf_name(genc_trace_gf(t)), "spliced");
  genc_choicemap *c = one(ctx, "sub/w", genc_scalar(ctx, 0.25));
  genc_array *w = NULL;
  genc_trace *t2 = genc_gf_update(ctx, t, NULL, NULL, c, KEY, &w, NULL);
  T_OK(ctx, t2);
  double v = t_item(ctx, genc_trace_get_path(ctx, t, "sub/v"));
  double w0 = t_item(ctx, genc_trace_get_path(ctx, t, "sub/w"));
  T_CLOSE(t_item(ctx, w), 0.5 * ((w0 - v) * (w0 - v) - (0.25 - v) * (0.25 - v)), 1e-12);
  genc_choicemap_free(c);
  genc_trace_release(t);
  genc_trace_release(t2);
}

static genc_array *m_vec_normal(genc_rt *rt, genc_array *const *args, void *u) {
  (void)u;
  return GENC_TRACE(rt, "y", genc_normal(genc_rt_ctx(rt), args[0], 1.0));
}

static void test_scalar_normal(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("vecnormal", m_vec_normal, 1, NULL);
  genc_trace *t = genc_gf_simulate(
      ctx, gf, GENC_ARGS(ctx, genc_array_vec(ctx, 3, (double[]){1, 2, 3})), KEY, 0);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_SHAPE, "genc_broadcasted_normal", "parameter mu");
  genc_dist d = genc_normal(ctx, genc_array_vec(ctx, 2, (double[]){1, 2}), 1.0);
  assert_null(genc_dist_sample(ctx, KEY, &d, 0));
  t_expect_error(ctx, NULL, GENC_ERR_SHAPE, "genc_broadcasted_normal", NULL);
  /* batched 0-d parameters stay legal */
  int64_t none = 0;
  genc_array *mu = genc_array_from(ctx, GENC_F64, 0, &none, 3, (double[]){1, 2, 3});
  t = genc_gf_simulate(ctx, gf, GENC_ARGS(ctx, mu), KEY, 3);
  T_OK(ctx, t);
  genc_trace_release(t);
  genc_gf_release(gf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_constraint_shape),
      cmocka_unit_test(test_constraint_dtype),
      cmocka_unit_test(test_trace_of_other_function),
      cmocka_unit_test(test_update_with_ninf_site),
      cmocka_unit_test(test_splice_depth),
      cmocka_unit_test(test_null_inputs),
      cmocka_unit_test(test_batched_branch_message),
      cmocka_unit_test(test_release_gf_before_trace),
      cmocka_unit_test(test_scalar_normal),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
