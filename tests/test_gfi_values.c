/* GFI values checked against hand-derived formulas, gradients, edit, and every
 * error the GFI promises. */
#include "gfi_models.h"

static const double LOG_2PI = 1.8378770664093454836;

/* log N(v; m, s) = -((v - m)/s)^2 / 2 - log s - log(2 pi) / 2 */
static double lnorm(double v, double m, double s) {
  double z = (v - m) / s;
  return -0.5 * z * z - log(s) - 0.5 * LOG_2PI;
}

static genc_ctx *ctx;
static int setup(void **s) {
  (void)s;
  ctx = t_ctx();
  return 0;
}
static int teardown(void **s) {
  (void)s;
  genc_ctx_free(ctx);
  return 0;
}

static const double XS[4] = {-1, 0, 0.5, 2}, YS[4] = {-2.1, -0.4, 0.3, 2.6};

static genc_choicemap *linreg_choices(double slope, double b) {
  genc_choicemap *cm = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, cm, GENC_SYM("slope"), genc_scalar(ctx, slope));
  genc_choicemap_set(ctx, cm, GENC_SYM("b"), genc_scalar(ctx, b));
  for (int i = 0; i < 4; i++)
    genc_choicemap_set(ctx, cm, genc_idx(i), genc_scalar(ctx, YS[i]));
  return cm;
}

/* assess of y_i ~ N(slope x_i + b, 1) with slope, b ~ N(0, 10):
 * log p = lnorm(slope; 0, 10) + lnorm(b; 0, 10) + sum_i lnorm(y_i; slope x_i + b, 1) */
static void test_assess_linreg(void **s) {
  (void)s;
  genc_gf *gf = genc_gf_dynamic("linreg", m_linreg, 1, NULL);
  genc_array *xs = genc_array_vec(ctx, 4, XS);
  genc_choicemap *cm = linreg_choices(1.5, -0.5);
  double expect = lnorm(1.5, 0, 10) + lnorm(-0.5, 0, 10);
  for (int i = 0; i < 4; i++)
    expect += lnorm(YS[i], 1.5 * XS[i] - 0.5, 1);
  genc_array *ret = NULL, *w = genc_gf_assess(ctx, gf, &xs, cm, &ret);
  T_OK(ctx, w);
  T_CLOSE(t_item(ctx, w), expect, 1e-13);
  T_CLOSE(t_item(ctx, ret), 1.5, 0);

  /* update changing observation y_2 from 0.3 to 3.0: only its density changes, so
   * w = lnorm(3.0; mu_2, 1) - lnorm(0.3; mu_2, 1) with mu_2 = 1.5 * 0.5 - 0.5 = 0.25;
   * the discard holds the old 0.3 */
  genc_trace *t = genc_gf_generate(ctx, gf, &xs, cm, genc_key_from_seed(1), 0, &w);
  T_OK(ctx, t);
  T_CLOSE(t_item(ctx, w), expect, 1e-13);
  genc_choicemap *u = genc_choicemap_new(ctx), *disc = NULL;
  genc_choicemap_set(ctx, u, genc_idx(2), genc_scalar(ctx, 3.0));
  genc_trace *t2 = genc_gf_update(ctx, t, NULL, NULL, u, genc_key_from_seed(2), &w, &disc);
  T_OK(ctx, t2);
  T_CLOSE(t_item(ctx, w), lnorm(3.0, 0.25, 1) - lnorm(0.3, 0.25, 1), 1e-13);
  T_CLOSE(t_item(ctx, genc_choicemap_lookup(disc, genc_idx(2))), 0.3, 0);
  assert_int_equal(genc_choicemap_num_values(disc), 1);
  T_CLOSE(t_item(ctx, genc_trace_get(ctx, t2, GENC_PATH(genc_idx(2)))), 3.0, 0);

  /* the old trace is unchanged (traces are values) */
  T_CLOSE(t_item(ctx, genc_trace_get(ctx, t, GENC_PATH(genc_idx(2)))), 0.3, 0);

  /* update with new arguments: x_3 = 2 -> 1; y_3's mean moves from 2.5 to 1.0 */
  double xs2[4] = {-1, 0, 0.5, 1};
  genc_array *xa = genc_array_vec(ctx, 4, xs2);
  genc_argdiff d = genc_unknown();
  genc_trace *t3 = genc_gf_update(ctx, t, &xa, &d, NULL, genc_key_from_seed(3), &w, NULL);
  T_OK(ctx, t3);
  T_CLOSE(t_item(ctx, w), lnorm(2.6, 1.0, 1) - lnorm(2.6, 2.5, 1), 1e-13);

  genc_trace_release(t3);
  genc_trace_release(t2);
  genc_trace_release(t);
  genc_choicemap_free(disc);
  genc_choicemap_free(u);
  genc_choicemap_free(cm);
  genc_gf_release(gf);
}

/* regenerate {x} on the scalar model: x' is drawn fresh, y is kept, so
 * w = lnorm(y; x', 0.5) - lnorm(y; x, 0.5) (the prior terms of x cancel with q) */
static void test_regenerate_weight(void **s) {
  (void)s;
  genc_gf *gf = genc_gf_dynamic("scalar", m_scalar, 0, NULL);
  genc_trace *t = genc_gf_simulate(ctx, gf, NULL, genc_key_from_seed(4), 0);
  genc_selection *sel = genc_selection_new(ctx);
  genc_selection_add(ctx, sel, GENC_SYM("x"));
  genc_array *w = NULL;
  genc_trace *r = genc_gf_regenerate(ctx, t, NULL, NULL, sel, genc_key_from_seed(5), &w);
  T_OK(ctx, r);
  double x0 = t_item(ctx, genc_trace_get(ctx, t, GENC_PATH(GENC_SYM("x"))));
  double x1 = t_item(ctx, genc_trace_get(ctx, r, GENC_PATH(GENC_SYM("x"))));
  double y = t_item(ctx, genc_trace_get(ctx, r, GENC_PATH(GENC_SYM("y"))));
  assert_true(x0 != x1);
  T_CLOSE(t_item(ctx, w), lnorm(y, x1, 0.5) - lnorm(y, x0, 0.5), 1e-13);

  /* edit with the same selection gives the same move and weight */
  genc_edit_request req = {.kind = GENC_EDIT_SELECTION, .selection = sel};
  genc_edit_result er;
  assert_int_equal(genc_gf_edit(ctx, t, &req, genc_key_from_seed(5), &er), GENC_OK);
  T_CLOSE(t_item(ctx, er.weight), t_item(ctx, w), 0);
  genc_edit_result_clear(&er);

  /* constraint edit and its backward request: weights cancel, values come back */
  genc_choicemap *u = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, u, GENC_SYM("y"), genc_scalar(ctx, 0.7));
  genc_edit_request cr = {.kind = GENC_EDIT_CONSTRAINTS, .constraints = u};
  assert_int_equal(genc_gf_edit(ctx, t, &cr, genc_key_from_seed(6), &er), GENC_OK);
  genc_edit_result back;
  assert_int_equal(genc_gf_edit(ctx, er.trace, &er.backward, genc_key_from_seed(7), &back),
                   GENC_OK);
  T_CLOSE(t_item(ctx, back.weight), -t_item(ctx, er.weight), 1e-13);
  assert_true(
      genc_choicemap_equal(ctx, genc_trace_choices(ctx, back.trace), genc_trace_choices(ctx, t)));
  genc_edit_result_clear(&back);
  genc_edit_result_clear(&er);

  genc_choicemap_free(u);
  genc_selection_release(sel);
  genc_trace_release(r);
  genc_trace_release(t);
  genc_gf_release(gf);
}

/* score = lnorm(x; 0, 1) + lnorm(y; x, 0.5):
 * d/dx = -x + (y - x) / 0.25, d/dy = -(y - x) / 0.25 */
static void test_choice_gradients(void **s) {
  (void)s;
  genc_gf *gf = genc_gf_dynamic("scalar", m_scalar, 0, NULL);
  genc_trace *t = genc_gf_simulate(ctx, gf, NULL, genc_key_from_seed(8), 0);
  genc_choicemap *vals = NULL, *grads = NULL;
  assert_int_equal(genc_gf_choice_gradients(ctx, t, genc_selection_all(), &vals, &grads), GENC_OK);
  double x = t_item(ctx, genc_choicemap_lookup(vals, GENC_SYM("x")));
  double y = t_item(ctx, genc_choicemap_lookup(vals, GENC_SYM("y")));
  T_CLOSE(t_item(ctx, genc_choicemap_lookup(grads, GENC_SYM("x"))), -x + (y - x) / 0.25, 1e-12);
  T_CLOSE(t_item(ctx, genc_choicemap_lookup(grads, GENC_SYM("y"))), -(y - x) / 0.25, 1e-12);
  genc_choicemap_free(vals);
  genc_choicemap_free(grads);
  genc_trace_release(t);
  genc_gf_release(gf);
}

/* inner(m): score = lnorm(v; m, 1) + lnorm(w; v, 1): d/dm = v - m */
static void test_arg_gradients(void **s) {
  (void)s;
  genc_gf *gf = genc_gf_dynamic("inner", m_inner, 1, NULL);
  genc_gf_set_arg_grads(gf, 1u);
  genc_array *m = genc_scalar(ctx, 0.3);
  genc_trace *t = genc_gf_simulate(ctx, gf, &m, genc_key_from_seed(9), 0);
  genc_array *g[1] = {NULL};
  assert_int_equal(genc_gf_arg_gradients(ctx, t, g), GENC_OK);
  double v = t_item(ctx, genc_trace_get(ctx, t, GENC_PATH(GENC_SYM("v"))));
  T_CLOSE(t_item(ctx, g[0]), v - 0.3, 1e-12);
  genc_trace_release(t);
  genc_gf_release(gf);
}

static genc_array *m_param(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *c = genc_rt_ctx(rt);
  return GENC_TRACE(rt, "x", genc_normal(c, genc_rt_param(rt, "mu"), 1.0));
}

/* x ~ N(mu, 1): d score / d mu = x - mu; accumulated twice with scale 2 -> 4 (x - mu) */
static void test_param_gradients(void **s) {
  (void)s;
  genc_param_store *ps = genc_param_store_new(ctx);
  assert_int_equal(genc_param_store_set(ctx, ps, "mu", genc_scalar(ctx, 0.5)), GENC_OK);
  genc_gf *gf = genc_gf_dynamic("param", m_param, 0, NULL);
  genc_gf_set_params(gf, ps);
  genc_trace *t = genc_gf_simulate(ctx, gf, NULL, genc_key_from_seed(10), 0);
  T_OK(ctx, t);
  double x = t_item(ctx, genc_trace_get(ctx, t, GENC_PATH(GENC_SYM("x"))));
  assert_int_equal(genc_gf_accumulate_param_grads(ctx, t, 2.0), GENC_OK);
  assert_int_equal(genc_gf_accumulate_param_grads(ctx, t, 2.0), GENC_OK);
  T_CLOSE(t_item(ctx, genc_param_store_grad(ctx, ps, "mu")), 4 * (x - 0.5), 1e-12);
  assert_int_equal(genc_param_store_count(ps), 1);
  assert_string_equal(genc_param_store_name(ps, 0), "mu");
  assert_int_equal(genc_param_store_zero_grads(ctx, ps), GENC_OK);
  T_CLOSE(t_item(ctx, genc_param_store_grad(ctx, ps, "mu")), 0, 0);
  genc_trace_release(t);
  /* no store: a clear error */
  genc_gf_set_params(gf, NULL);
  assert_null(genc_gf_simulate(ctx, gf, NULL, genc_key_from_seed(10), 0));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ADDRESS);
  assert_non_null(strstr(genc_ctx_error(ctx), "mu"));
  genc_gf_release(gf);
  genc_param_store_free(ps);
}

/* ---- errors ---- */

static genc_array *m_twice(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *c = genc_rt_ctx(rt);
  GENC_TRACE(rt, "x", genc_normal(c, 0.0, 1.0));
  return GENC_TRACE(rt, "x", genc_normal(c, 0.0, 1.0));
}

static void expect_error(genc_status st, const char *part) {
  assert_int_equal(genc_ctx_status(ctx), st);
  if (!strstr(genc_ctx_error(ctx), part))
    fail_msg("message \"%s\" lacks \"%s\"", genc_ctx_error(ctx), part);
}

static void test_errors(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  genc_gf *twice = genc_gf_dynamic("twice", m_twice, 0, NULL);
  assert_null(genc_gf_simulate(ctx, twice, NULL, genc_key_from_seed(1), 0));
  expect_error(GENC_ERR_ADDRESS, "x traced twice");

  /* constraints never visited are listed */
  genc_gf *sc = genc_gf_dynamic("scalar", m_scalar, 0, NULL);
  genc_choicemap *cm = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, cm, GENC_SYM("x"), genc_scalar(ctx, 0.1));
  genc_choicemap_set(ctx, cm, GENC_SYM("bogus"), genc_scalar(ctx, 0.1));
  genc_choicemap_set(ctx, cm, genc_idx(7), genc_scalar(ctx, 0.1));
  assert_null(genc_gf_generate(ctx, sc, NULL, cm, genc_key_from_seed(1), 0, NULL));
  expect_error(GENC_ERR_ADDRESS, "bogus, 7");

  /* assess with a missing choice names it */
  genc_choicemap *only_x = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, only_x, GENC_SYM("x"), genc_scalar(ctx, 0.1));
  assert_null(genc_gf_assess(ctx, sc, NULL, only_x, NULL));
  expect_error(GENC_ERR_ADDRESS, "none at y");

  /* a missing choice inside a splice: the message names the path */
  genc_gf *inner = genc_gf_dynamic("inner", m_inner, 1, NULL);
  genc_gf *sp = genc_gf_dynamic("spliced", m_spliced, 0, inner);
  genc_choicemap *partial = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, partial, GENC_SYM("a"), genc_scalar(ctx, 0.1));
  genc_choicemap_set_path(ctx, partial, GENC_PATH(GENC_SYM("sub"), GENC_SYM("v")),
                          genc_scalar(ctx, 0.1));
  assert_null(genc_gf_assess(ctx, sp, NULL, partial, NULL));
  expect_error(GENC_ERR_ADDRESS, "address sub of spliced");
  expect_error(GENC_ERR_ADDRESS, "none at w");

  /* a batched model branching on a random value: name what selects per particle */
  genc_gf *br = genc_gf_dynamic("branch", m_branch, 0, NULL);
  assert_null(genc_gf_simulate(ctx, br, NULL, genc_key_from_seed(1), 4));
  expect_error(GENC_ERR_PARTICLE, "genc_switch / genc_mask");

  /* non-finite weight: a NaN constraint */
  genc_choicemap *nan = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, nan, GENC_SYM("y"), genc_scalar(ctx, NAN));
  assert_null(genc_gf_generate(ctx, sc, NULL, nan, genc_key_from_seed(1), 0, NULL));
  expect_error(GENC_ERR_DOMAIN, "NaN");

  /* invalid distribution parameters name the address */
  assert_null(genc_gf_simulate(ctx, NULL, NULL, genc_key_from_seed(1), 0));
  expect_error(GENC_ERR_ARG, "NULL generative function");
  /* a constraint given as a sub-map at a choice */
  genc_choicemap *deep = genc_choicemap_new(ctx);
  genc_choicemap_set_path(ctx, deep, GENC_PATH(GENC_SYM("x"), GENC_SYM("z")), genc_scalar(ctx, 1));
  assert_null(genc_gf_generate(ctx, sc, NULL, deep, genc_key_from_seed(1), 0, NULL));
  expect_error(GENC_ERR_ADDRESS, "is a sub-map");
  /* particle of a single trace */
  genc_trace *t = genc_gf_simulate(ctx, sc, NULL, genc_key_from_seed(1), 0);
  assert_null(genc_trace_particle(ctx, t, 0));
  expect_error(GENC_ERR_PARTICLE, "particle 0");
  genc_trace_release(t);

  genc_choicemap_free(deep);
  genc_choicemap_free(nan);
  genc_choicemap_free(partial);
  genc_choicemap_free(only_x);
  genc_choicemap_free(cm);
  genc_gf_release(br);
  genc_gf_release(sp);
  genc_gf_release(inner);
  genc_gf_release(sc);
  genc_gf_release(twice);
  genc_scope_end(ctx, mark);
}

/* An MH loop of regenerate keeps memory flat. */
static void test_memory_flat(void **s) {
  (void)s;
  genc_gf *gf = genc_gf_dynamic("scalar", m_scalar, 0, NULL);
  genc_selection *sel = genc_selection_new(ctx);
  genc_selection_add(ctx, sel, GENC_SYM("x"));
  genc_trace *t = genc_gf_simulate(ctx, gf, NULL, genc_key_from_seed(1), 0);
  int64_t live0 = 0;
  for (int it = 0; it < 400; it++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_array *w = NULL;
    genc_trace *r = genc_gf_regenerate(ctx, t, NULL, NULL, sel, genc_key_from_seed(100 + it), &w);
    T_OK(ctx, r);
    if (t_item(ctx, w) > -0.5) {
      genc_trace_release(t);
      t = r;
    } else {
      genc_trace_release(r);
    }
    genc_scope_end(ctx, mark);
    if (it == 10) live0 = genc_ctx_live_arrays(ctx);
  }
  assert_int_equal(genc_ctx_live_arrays(ctx), live0);
  genc_trace_release(t);
  genc_selection_release(sel);
  genc_gf_release(gf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_assess_linreg),    cmocka_unit_test(test_regenerate_weight),
      cmocka_unit_test(test_choice_gradients), cmocka_unit_test(test_arg_gradients),
      cmocka_unit_test(test_param_gradients),  cmocka_unit_test(test_errors),
      cmocka_unit_test(test_memory_flat),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
