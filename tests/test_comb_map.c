/* Map: GFI laws single and batched, address layout, scores and weights worked
 * out by hand, incremental update counted in kernel runs, splicing. */
#include "comb_seq_models.h"

static genc_gf *make(genc_gf *kernel) { return genc_map(kernel); }

static int setup(void **state) { return seq_setup(state, "step", k_step, 1, make); }

static void test_laws(void **state) {
  seq_fixture *f = *state;
  genc_array *ms = t_vec(f->ctx, 0, 3, 1.0, -1.0);
  for (uint64_t s = 1; s <= 3; s++)
    gl_laws(f->ctx, f->comb, &ms, NULL, s);
  gl_batched(f->ctx, f->comb, &ms, 5, 21);
}

/* Choices 0/x, 0/y, 1/x, ...; score = sum of the kernel densities; retval = the xs. */
static void test_layout_and_score(void **state) {
  seq_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_array *ms = t_vec(ctx, 0, 3, 1.0, -1.0);
  genc_trace *t = genc_gf_simulate(ctx, f->comb, &ms, genc_key_from_seed(5), 0);
  T_OK(ctx, t);
  const genc_choicemap *cm = genc_trace_choices(ctx, t);
  assert_int_equal(genc_choicemap_num_values(cm), 6);
  assert_int_equal(genc_choicemap_count(cm), 3);
  double want = 0;
  for (int i = 0; i < 3; i++) {
    double x = t_choice2(ctx, t, genc_idx(i), GENC_SYM("x"));
    double y = t_choice2(ctx, t, genc_idx(i), GENC_SYM("y"));
    want += t_lnorm(x, i - 1.0, 1.0) + t_lnorm(y, x, 0.5);
    T_CLOSE(t_at(ctx, genc_trace_retval(t), i), x, 0);
  }
  T_CLOSE(t_item(ctx, genc_trace_score(t)), want, 1e-12);
  assert_int_equal(genc_array_dim(genc_trace_retval(t), 0), 3);
  genc_trace_release(t);
}

/* Updating one element of a 100-element Map runs the kernel once, whether the
 * element is constrained, its argument changed by a vector diff, or changed
 * with an unknown diff (found by comparing values). */
static void test_incremental(void **state) {
  seq_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  int64_t mark = genc_scope_begin(ctx);
  genc_array *ms = t_vec(ctx, 0, 100, 0.1, 0.0);
  genc_key key = genc_key_from_seed(9);
  genc_trace *t = genc_gf_simulate(ctx, f->comb, &ms, key, 0);
  T_OK(ctx, t);
  double x7 = t_choice2(ctx, t, genc_idx(7), GENC_SYM("x"));
  double y7 = t_choice2(ctx, t, genc_idx(7), GENC_SYM("y"));
  /* constrain 7/y */
  genc_choicemap *c = genc_choicemap_new(ctx);
  genc_comp p[2] = {genc_idx(7), GENC_SYM("y")};
  genc_choicemap_set_path(ctx, c, p, 2, genc_scalar(ctx, 0.25));
  genc_array *w = NULL;
  genc_choicemap *disc = NULL;
  f->runs = 0;
  genc_trace *u = genc_gf_update(ctx, t, NULL, NULL, c, key, &w, &disc);
  T_OK(ctx, u);
  assert_int_equal(f->runs, 1);
  T_CLOSE(t_item(ctx, w), t_lnorm(0.25, x7, 0.5) - t_lnorm(y7, x7, 0.5), 1e-12);
  T_CLOSE(t_item(ctx, genc_choicemap_get_path(ctx, disc, p, 2)), y7, 0);
  T_CLOSE(t_item(ctx, genc_trace_score(u)), t_item(ctx, genc_trace_score(t)) + t_item(ctx, w),
          1e-12);
  genc_choicemap_free(disc);
  genc_trace_release(u);
  /* argument 7 changes: m7 0.7 -> 2.0, told by a vector diff, then unknown */
  double *mv = malloc(100 * sizeof *mv);
  for (int i = 0; i < 100; i++)
    mv[i] = 0.1 * i;
  mv[7] = 2.0;
  genc_array *ms2 = genc_array_vec(ctx, 100, mv);
  free(mv);
  int64_t idx = 7;
  genc_argdiff vd = genc_vectordiff(&idx, 1);
  double want = t_lnorm(x7, 2.0, 1.0) - t_lnorm(x7, 0.7, 1.0);
  for (int pass = 0; pass < 2; pass++) {
    f->runs = 0;
    u = genc_gf_update(ctx, t, &ms2, pass ? NULL : &vd, NULL, key, &w, NULL);
    T_OK(ctx, u);
    assert_int_equal(f->runs, 1);
    T_CLOSE(t_item(ctx, w), want, 1e-12);
    genc_trace_release(u);
  }
  /* regenerate 7/x: weight = log p(y7 | x7') - log p(y7 | x7), the prior of x cancels */
  genc_selection *s = genc_selection_new(ctx);
  genc_selection_add_path(ctx, s, (genc_comp[]){genc_idx(7), GENC_SYM("x")}, 2);
  f->runs = 0;
  genc_trace *r = genc_gf_regenerate(ctx, t, NULL, NULL, s, genc_key_from_seed(10), &w);
  T_OK(ctx, r);
  assert_int_equal(f->runs, 1);
  double xn = t_choice2(ctx, r, genc_idx(7), GENC_SYM("x"));
  assert_true(xn != x7);
  T_CLOSE(t_item(ctx, w), t_lnorm(y7, xn, 0.5) - t_lnorm(y7, x7, 0.5), 1e-12);
  genc_selection_release(s);
  genc_trace_release(r);
  genc_choicemap_free(c);
  genc_trace_release(t);
  genc_scope_end(ctx, mark);
}

/* Fewer elements: the removed ones leave the weight and go to the discard. */
static void test_shrink(void **state) {
  seq_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_array *ms = t_vec(ctx, 0, 3, 1.0, 0.0), *ms2 = t_vec(ctx, 0, 2, 1.0, 0.0);
  genc_key key = genc_key_from_seed(3);
  genc_trace *t = genc_gf_simulate(ctx, f->comb, &ms, key, 0);
  T_OK(ctx, t);
  double x2 = t_choice2(ctx, t, genc_idx(2), GENC_SYM("x"));
  double y2 = t_choice2(ctx, t, genc_idx(2), GENC_SYM("y"));
  genc_array *w = NULL;
  genc_choicemap *disc = NULL;
  f->runs = 0;
  genc_trace *u = genc_gf_update(ctx, t, &ms2, NULL, NULL, key, &w, &disc);
  T_OK(ctx, u);
  assert_int_equal(f->runs, 0);
  T_CLOSE(t_item(ctx, w), -(t_lnorm(x2, 2.0, 1.0) + t_lnorm(y2, x2, 0.5)), 1e-12);
  assert_int_equal(genc_choicemap_num_values(disc), 2);
  assert_int_equal(genc_choicemap_num_values(genc_trace_choices(ctx, u)), 4);
  genc_choicemap_free(disc);
  genc_trace_release(u);
  /* and back to 3: element 2 is generated afresh, weight 0 (nothing constrained) */
  genc_trace *t2 = genc_gf_update(ctx, t, &ms2, NULL, NULL, key, &w, NULL);
  T_OK(ctx, t2);
  f->runs = 0;
  u = genc_gf_update(ctx, t2, &ms, NULL, NULL, key, &w, NULL);
  T_OK(ctx, u);
  assert_int_equal(f->runs, 1);
  T_CLOSE(t_item(ctx, w), 0.0, 0);
  genc_trace_release(u);
  genc_trace_release(t2);
  genc_trace_release(t);
}

/* A batched argument composes with the particle axis: particle i of a batched
 * run equals the single run with particle i's argument and key. */
static void test_batched_args(void **state) {
  seq_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  int64_t mark = genc_scope_begin(ctx);
  const int n = 4;
  genc_array *ms = t_vec(ctx, n, 3, 0.5, -1.0);
  genc_key key = genc_key_from_seed(33);
  genc_choicemap *c = genc_choicemap_new(ctx);
  genc_choicemap_set_path(ctx, c, (genc_comp[]){genc_idx(1), GENC_SYM("y")}, 2,
                          genc_scalar(ctx, 0.5));
  genc_array *w = NULL;
  f->runs = 0;
  genc_trace *bt = genc_gf_generate(ctx, f->comb, &ms, c, key, n, &w);
  T_OK(ctx, bt);
  assert_int_equal(f->runs, 3); /* one batched kernel run per element */
  for (int i = 0; i < n; i++) {
    genc_array *mi = genc_particle_get(ctx, ms, i);
    genc_array *wi = NULL;
    genc_trace *s = genc_gf_generate(ctx, f->comb, &mi, c, genc_key_particle(key, i), 0, &wi);
    genc_trace *p = genc_trace_particle(ctx, bt, i);
    T_OK(ctx, s);
    T_OK(ctx, p);
    assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, s), genc_trace_choices(ctx, p)));
    T_CLOSE(t_at(ctx, w, i), t_item(ctx, wi), 1e-12);
    T_CLOSE(t_item(ctx, genc_trace_score(p)), t_item(ctx, genc_trace_score(s)), 1e-12);
    genc_trace_release(s);
    genc_trace_release(p);
  }
  genc_choicemap_free(c);
  genc_trace_release(bt);
  genc_scope_end(ctx, mark);
}

/* mu ~ N(0, 1); Map(step)(mu + xs) at "m" */
static genc_array *m_outer(genc_rt *rt, genc_array *const *args, void *u) {
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, 0.0, 1.0));
  genc_array *a = genc_add(ctx, args[0], mu);
  return genc_rt_splice(rt, GENC_SYM("m"), (genc_gf *)u, &a);
}

static void test_spliced(void **state) {
  seq_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_gf *outer = genc_gf_dynamic("outer", m_outer, 1, f->comb);
  genc_array *xs = t_vec(ctx, 0, 4, 1.0, 0.0);
  for (uint64_t s = 1; s <= 2; s++)
    gl_laws(ctx, outer, &xs, NULL, s);
  gl_batched(ctx, outer, &xs, 5, 40);
  genc_trace *t = genc_gf_simulate(ctx, outer, &xs, genc_key_from_seed(2), 0);
  T_OK(ctx, t);
  genc_comp p[3] = {GENC_SYM("m"), genc_idx(3), GENC_SYM("x")};
  T_OK(ctx, genc_trace_get(ctx, t, p, 3));
  /* constraining one element under the splice: the Map sees an unknown diff of
   * its (unchanged) argument, finds it unchanged by value, runs the kernel once */
  genc_choicemap *c = genc_choicemap_new(ctx);
  genc_choicemap_set_path(ctx, c, p, 3, genc_scalar(ctx, 1.5));
  f->runs = 0;
  genc_trace *u = genc_gf_update(ctx, t, NULL, NULL, c, genc_key_from_seed(3), NULL, NULL);
  T_OK(ctx, u);
  assert_int_equal(f->runs, 1);
  genc_trace_release(u);
  genc_choicemap_free(c);
  genc_trace_release(t);
  genc_gf_release(outer);
}

/* Tiled batched runs (tile of 2 particles for 5) join Map traces through
 * trace_map: the laws of batched runs still hold. */
static void test_tiled(void **state) {
  seq_fixture *f = *state;
  genc_array *ms = t_vec(f->ctx, 0, 3, 1.0, -1.0);
  genc_gf_set_tile(f->comb, 2);
  gl_batched(f->ctx, f->comb, &ms, 5, 23);
  genc_gf_set_tile(f->comb, 2048);
}

/* Choice gradients through the Map: d score / d x_t = (m_t - x_t) + (y_t - x_t) / 0.25. */
static void test_gradients(void **state) {
  seq_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_array *ms = t_vec(ctx, 0, 3, 1.0, -1.0);
  genc_trace *t = genc_gf_simulate(ctx, f->comb, &ms, genc_key_from_seed(17), 0);
  T_OK(ctx, t);
  genc_choicemap *g = NULL;
  assert_int_equal(genc_gf_choice_gradients(ctx, t, genc_selection_all(), NULL, &g), GENC_OK);
  for (int i = 0; i < 3; i++) {
    double x = t_choice2(ctx, t, genc_idx(i), GENC_SYM("x"));
    double y = t_choice2(ctx, t, genc_idx(i), GENC_SYM("y"));
    genc_comp p[2] = {genc_idx(i), GENC_SYM("x")};
    T_CLOSE(t_item(ctx, genc_choicemap_lookup_path(g, p, 2)), (i - 1.0 - x) + (y - x) / 0.25,
            1e-12);
  }
  genc_choicemap_free(g);
  genc_trace_release(t);
}

static void test_errors(void **state) {
  seq_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_gf *k2 = genc_gf_dynamic("two", k_step, 2, NULL);
  genc_gf *m2 = genc_map(k2);
  genc_array *args[2] = {t_vec(ctx, 0, 3, 1, 0), t_vec(ctx, 0, 4, 1, 0)};
  genc_trace *t = genc_gf_simulate(ctx, m2, args, genc_key_from_seed(1), 0);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_SHAPE, "Map(two)", "4 elements");
  genc_array *zero = genc_scalar(ctx, 0.0);
  t = genc_gf_simulate(ctx, f->comb, &zero, genc_key_from_seed(1), 0);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_ARG, "Map(step)", "leading axis");
  /* a constraint at an element that does not exist */
  genc_choicemap *c = genc_choicemap_new(ctx);
  genc_choicemap_set_path(ctx, c, (genc_comp[]){genc_idx(5), GENC_SYM("x")}, 2,
                          genc_scalar(ctx, 0.0));
  genc_array *ms = t_vec(ctx, 0, 3, 1, 0);
  t = genc_gf_generate(ctx, f->comb, &ms, c, genc_key_from_seed(1), 0, NULL);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_ADDRESS, "Map(step)", "5");
  genc_choicemap_free(c);
  assert_null(genc_map(NULL));
  genc_gf_release(m2);
  genc_gf_release(k2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_laws),         cmocka_unit_test(test_layout_and_score),
      cmocka_unit_test(test_incremental),  cmocka_unit_test(test_shrink),
      cmocka_unit_test(test_batched_args), cmocka_unit_test(test_spliced),
      cmocka_unit_test(test_errors),       cmocka_unit_test(test_tiled),
      cmocka_unit_test(test_gradients),
  };
  return cmocka_run_group_tests(tests, setup, seq_teardown);
}
