/* Unfold: GFI laws single and batched, the exact joint density of a
 * linear-Gaussian chain, prefix skipping counted in kernel runs, extension by
 * one step, and a Map of an Unfold spliced in a model (three levels). */
#include "comb_seq_models.h"

static void test_laws(void **state) {
  lg_fixture *f = *state;
  genc_array *args[2] = {i32(f->ctx, 4), genc_scalar(f->ctx, 0.5)};
  for (uint64_t s = 1; s <= 3; s++)
    gl_laws(f->ctx, f->unfold, args, NULL, s);
  gl_batched(f->ctx, f->unfold, args, 5, 31);
}

/* generate with every choice constrained: weight = score = the joint density
 * sum_t log N(x_t; 0.9 x_{t-1}, 1) + log N(y_t; x_t, 0.5), by hand */
static void test_exact_joint(void **state) {
  lg_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  const int T = 5;
  double xs[5] = {0.3, -0.2, 1.1, 0.7, -0.5}, ys[5] = {0.1, 0.0, 1.5, 0.2, -1.0};
  genc_choicemap *c = genc_choicemap_new(ctx);
  double want = 0, prev = 1.0;
  for (int t = 0; t < T; t++) {
    genc_choicemap_set_path(ctx, c, (genc_comp[]){genc_idx(t), GENC_SYM("x")}, 2,
                            genc_scalar(ctx, xs[t]));
    genc_choicemap_set_path(ctx, c, (genc_comp[]){genc_idx(t), GENC_SYM("y")}, 2,
                            genc_scalar(ctx, ys[t]));
    want += t_lnorm(xs[t], 0.9 * prev, 1.0) + t_lnorm(ys[t], xs[t], 0.5);
    prev = xs[t];
  }
  genc_array *args[2] = {i32(ctx, T), genc_scalar(ctx, 1.0)};
  genc_array *w = NULL;
  genc_trace *t = genc_gf_generate(ctx, f->unfold, args, c, genc_key_from_seed(1), 0, &w);
  T_OK(ctx, t);
  T_CLOSE(t_item(ctx, w), want, 1e-12);
  T_CLOSE(t_item(ctx, genc_trace_score(t)), want, 1e-12);
  T_CLOSE(t_item(ctx, genc_gf_assess(ctx, f->unfold, args, c, NULL)), want, 1e-12);
  for (int s = 0; s < T; s++) /* the return value stacks the states */
    T_CLOSE(t_at(ctx, genc_trace_retval(t), s), xs[s], 0);
  genc_choicemap_free(c);
  genc_trace_release(t);
}

/* T = 1000: updating the last step runs the kernel once; constraining x at
 * step 500 runs steps 500 and 501 (501's carry changes, its own x is kept, so
 * 502's carry does not); extending to T + 1 runs it once. */
static void test_prefix_skipping(void **state) {
  lg_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  int64_t mark = genc_scope_begin(ctx);
  const int T = 1000;
  genc_array *args[2] = {i32(ctx, T), genc_scalar(ctx, 0.0)};
  genc_key key = genc_key_from_seed(4);
  f->runs = 0;
  genc_trace *t = genc_gf_simulate(ctx, f->unfold, args, key, 0);
  T_OK(ctx, t);
  assert_int_equal(f->runs, T);
  genc_choicemap *c = genc_choicemap_new(ctx);
  genc_comp py[2] = {genc_idx(T - 1), GENC_SYM("y")};
  genc_choicemap_set_path(ctx, c, py, 2, genc_scalar(ctx, 0.0));
  genc_array *w = NULL;
  f->runs = 0;
  genc_trace *u = genc_gf_update(ctx, t, NULL, NULL, c, key, &w, NULL);
  T_OK(ctx, u);
  assert_int_equal(f->runs, 1);
  genc_trace_release(u);
  genc_choicemap_free(c);

  double x499 = t_choice2(ctx, t, genc_idx(499), GENC_SYM("x"));
  double x500 = t_choice2(ctx, t, genc_idx(500), GENC_SYM("x"));
  double y500 = t_choice2(ctx, t, genc_idx(500), GENC_SYM("y"));
  double x501 = t_choice2(ctx, t, genc_idx(501), GENC_SYM("x"));
  c = genc_choicemap_new(ctx);
  genc_choicemap_set_path(ctx, c, (genc_comp[]){genc_idx(500), GENC_SYM("x")}, 2,
                          genc_scalar(ctx, 2.0));
  f->runs = 0;
  u = genc_gf_update(ctx, t, NULL, NULL, c, key, &w, NULL);
  T_OK(ctx, u);
  assert_int_equal(f->runs, 2);
  double want = t_lnorm(2.0, 0.9 * x499, 1) - t_lnorm(x500, 0.9 * x499, 1) +
                t_lnorm(y500, 2.0, 0.5) - t_lnorm(y500, x500, 0.5) + t_lnorm(x501, 1.8, 1) -
                t_lnorm(x501, 0.9 * x500, 1);
  T_CLOSE(t_item(ctx, w), want, 1e-12);
  T_CLOSE(t_item(ctx, genc_trace_score(u)), t_item(ctx, genc_trace_score(t)) + want, 1e-10);
  genc_trace_release(u);
  genc_choicemap_free(c);

  genc_array *args2[2] = {i32(ctx, T + 1), args[1]};
  genc_argdiff d[2] = {genc_intdiff(1), genc_nochange()};
  f->runs = 0;
  u = genc_gf_update(ctx, t, args2, d, NULL, key, &w, NULL);
  T_OK(ctx, u);
  assert_int_equal(f->runs, 1);
  T_CLOSE(t_item(ctx, w), 0.0, 0); /* the new step is unconstrained */
  assert_int_equal(genc_array_dim(genc_trace_retval(u), 0), T + 1);
  /* the same extension with an unknown diff: the arguments are compared, still one run */
  f->runs = 0;
  genc_trace *u2 = genc_gf_update(ctx, t, args2, NULL, NULL, key, &w, NULL);
  T_OK(ctx, u2);
  assert_int_equal(f->runs, 1);
  genc_trace_release(u2);
  genc_trace_release(u);
  genc_trace_release(t);
  genc_scope_end(ctx, mark);
}

/* regenerate x at the last step of 3: weight = log p(y2 | x2') - log p(y2 | x2) */
static void test_regenerate(void **state) {
  lg_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_array *args[2] = {i32(ctx, 3), genc_scalar(ctx, 0.0)};
  genc_trace *t = genc_gf_simulate(ctx, f->unfold, args, genc_key_from_seed(6), 0);
  T_OK(ctx, t);
  genc_selection *s = genc_selection_new(ctx);
  genc_selection_add_path(ctx, s, (genc_comp[]){genc_idx(2), GENC_SYM("x")}, 2);
  genc_array *w = NULL;
  f->runs = 0;
  genc_trace *r = genc_gf_regenerate(ctx, t, NULL, NULL, s, genc_key_from_seed(7), &w);
  T_OK(ctx, r);
  assert_int_equal(f->runs, 1);
  double y2 = t_choice2(ctx, t, genc_idx(2), GENC_SYM("y"));
  double xo = t_choice2(ctx, t, genc_idx(2), GENC_SYM("x"));
  double xn = t_choice2(ctx, r, genc_idx(2), GENC_SYM("x"));
  T_CLOSE(t_item(ctx, w), t_lnorm(y2, xn, 0.5) - t_lnorm(y2, xo, 0.5), 1e-12);
  genc_selection_release(s);
  genc_trace_release(r);
  genc_trace_release(t);
}

/* outer: mu ~ N(0, 1); Map(Unfold(lg)) at "m" over chains (Ts, inits + mu) */
static genc_array *m_outer(genc_rt *rt, genc_array *const *args, void *u) {
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, 0.0, 1.0));
  genc_array *a[2] = {args[0], genc_add(ctx, args[1], mu)};
  return genc_rt_splice(rt, GENC_SYM("m"), (genc_gf *)u, a);
}

static void test_nested(void **state) {
  lg_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_gf *map = genc_map(f->unfold);
  genc_gf *outer = genc_gf_dynamic("outer", m_outer, 2, map);
  int32_t ts[3] = {3, 3, 3}; /* equal lengths: Map stacks the returns */
  int64_t three = 3;
  genc_array *args[2] = {genc_array_from(ctx, GENC_I32, 1, &three, 0, ts), t_vec(ctx, 0, 3, 1, 0)};
  for (uint64_t s = 1; s <= 2; s++)
    gl_laws(ctx, outer, args, NULL, s);
  gl_batched(ctx, outer, args, 5, 50);
  genc_trace *t = genc_gf_simulate(ctx, outer, args, genc_key_from_seed(8), 0);
  T_OK(ctx, t);
  const genc_choicemap *cm = genc_trace_choices(ctx, t);
  assert_int_equal(genc_choicemap_num_values(cm), 1 + 2 * 9);
  assert_true(genc_choicemap_has_path(
      cm, (genc_comp[]){GENC_SYM("m"), genc_idx(2), genc_idx(2), GENC_SYM("y")}, 4));
  genc_trace_release(t);
  genc_gf_release(outer);
  genc_gf_release(map);
}

static void test_errors(void **state) {
  lg_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_array *args[2] = {genc_scalar(ctx, -1.0), genc_scalar(ctx, 0.0)};
  genc_trace *t = genc_gf_simulate(ctx, f->unfold, args, genc_key_from_seed(1), 0);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_ARG, "Unfold(lg)", "whole number");
  args[0] = genc_particle_broadcast(ctx, i32(ctx, 2), 2);
  t = genc_gf_simulate(ctx, f->unfold, args, genc_key_from_seed(1), 2);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_ARG, "Unfold(lg)", "shared");
  assert_null(genc_unfold(NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_laws),
      cmocka_unit_test(test_exact_joint),
      cmocka_unit_test(test_prefix_skipping),
      cmocka_unit_test(test_regenerate),
      cmocka_unit_test(test_nested),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, lg_setup, lg_teardown);
}
