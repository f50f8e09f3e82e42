/* Vmap / Repeat: GFI laws single and batched, one array per address, one
 * kernel run for all elements, exact scores and weights, splicing. */
#include "comb_seq_models.h"

static genc_gf *make(genc_gf *kernel) { return genc_vmap(kernel, 1u); }

static int setup(void **state) { return seq_setup(state, "step", k_step, 1, make); }

static void test_laws(void **state) {
  seq_fixture *f = *state;
  genc_array *ms = t_vec(f->ctx, 0, 5, 1.0, -2.0);
  for (uint64_t s = 1; s <= 3; s++)
    gl_laws(f->ctx, f->comb, &ms, NULL, s);
  gl_batched(f->ctx, f->comb, &ms, 5, 71);
  genc_gf *rep = genc_repeat(f->kernel, 3);
  genc_array *m = genc_scalar(f->ctx, 0.5);
  gl_laws(f->ctx, rep, &m, NULL, 5);
  gl_batched(f->ctx, rep, &m, 5, 72);
  genc_gf_release(rep);
}

/* 1000 elements: one kernel run; "x" and "y" hold [1000] arrays; the score
 * is the sum of the elements' densities. */
static void test_layout(void **state) {
  seq_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  const int T = 1000;
  genc_array *ms = t_vec(ctx, 0, T, 0.01, 0.0);
  f->runs = 0;
  genc_trace *t = genc_gf_simulate(ctx, f->comb, &ms, genc_key_from_seed(3), 0);
  T_OK(ctx, t);
  assert_int_equal(f->runs, 1);
  const genc_choicemap *cm = genc_trace_choices(ctx, t);
  assert_int_equal(genc_choicemap_num_values(cm), 2);
  genc_array *x = genc_choicemap_lookup(cm, GENC_SYM("x"));
  genc_array *y = genc_choicemap_lookup(cm, GENC_SYM("y"));
  assert_non_null(x);
  assert_int_equal(genc_array_ndim(x), 1);
  assert_int_equal(genc_array_dim(x, 0), T);
  assert_false(genc_array_batched(x));
  double *xv = malloc(T * sizeof *xv), *yv = malloc(T * sizeof *yv), want = 0;
  genc_array_copy_out(ctx, x, xv, T);
  genc_array_copy_out(ctx, y, yv, T);
  for (int j = 0; j < T; j++)
    want += t_lnorm(xv[j], 0.01 * j, 1) + t_lnorm(yv[j], xv[j], 0.5);
  T_CLOSE(t_item(ctx, genc_trace_score(t)), want, 1e-11);
  T_CLOSE(t_at(ctx, genc_trace_retval(t), 17), xv[17], 0);
  /* update: constrain the whole "y" array; one kernel run, w = new - old density */
  genc_choicemap *c = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, c, GENC_SYM("y"), genc_array_zeros(ctx, GENC_F64, 1, (int64_t[]){T}, 0));
  double wexp = 0;
  for (int j = 0; j < T; j++)
    wexp += t_lnorm(0, xv[j], 0.5) - t_lnorm(yv[j], xv[j], 0.5);
  genc_array *w = NULL;
  genc_choicemap *disc = NULL;
  f->runs = 0;
  genc_trace *u = genc_gf_update(ctx, t, NULL, NULL, c, genc_key_from_seed(4), &w, &disc);
  T_OK(ctx, u);
  assert_int_equal(f->runs, 1);
  T_CLOSE(t_item(ctx, w), wexp, 1e-11);
  T_CLOSE(t_at(ctx, genc_choicemap_lookup(disc, GENC_SYM("y")), 5), yv[5], 0);
  free(xv);
  free(yv);
  genc_choicemap_free(disc);
  genc_choicemap_free(c);
  genc_trace_release(u);
  genc_trace_release(t);
}

/* A batched mapped argument: particle i equals the single run with particle
 * i's argument and genc_key_particle(key, i); one kernel run for all. */
static void test_batched_args(void **state) {
  seq_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  const int n = 3;
  genc_array *ms = t_vec(ctx, n, 4, 0.5, 0.0);
  genc_key key = genc_key_from_seed(8);
  f->runs = 0;
  genc_trace *bt = genc_gf_simulate(ctx, f->comb, &ms, key, n);
  T_OK(ctx, bt);
  assert_int_equal(f->runs, 1);
  for (int i = 0; i < n; i++) {
    genc_array *mi = genc_particle_get(ctx, ms, i);
    genc_trace *s = genc_gf_simulate(ctx, f->comb, &mi, genc_key_particle(key, i), 0);
    genc_trace *p = genc_trace_particle(ctx, bt, i);
    T_OK(ctx, s);
    T_OK(ctx, p);
    assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, s), genc_trace_choices(ctx, p)));
    T_CLOSE(t_at(ctx, genc_trace_score(bt), i), t_item(ctx, genc_trace_score(s)), 1e-12);
    genc_array *a = genc_gf_assess(ctx, f->comb, &mi, genc_trace_choices(ctx, s), NULL);
    T_OK(ctx, a);
    T_CLOSE(t_item(ctx, a), t_item(ctx, genc_trace_score(s)), 1e-12);
    genc_trace_release(s);
    genc_trace_release(p);
  }
  genc_trace_release(bt);
}

/* mu ~ N(0, 1); Vmap(step)(xs + mu) at "v" */
static genc_array *m_outer(genc_rt *rt, genc_array *const *args, void *u) {
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, 0.0, 1.0));
  genc_array *a = genc_add(ctx, args[0], mu);
  return genc_rt_splice(rt, GENC_SYM("v"), (genc_gf *)u, &a);
}

static void test_spliced(void **state) {
  seq_fixture *f = *state;
  genc_gf *outer = genc_gf_dynamic("outer", m_outer, 1, f->comb);
  genc_array *xs = t_vec(f->ctx, 0, 3, 1.0, 0.0);
  for (uint64_t s = 1; s <= 2; s++)
    gl_laws(f->ctx, outer, &xs, NULL, s);
  gl_batched(f->ctx, outer, &xs, 5, 80);
  genc_gf_release(outer);
}

/* Tiled batched runs join Vmap traces through trace_map (tile of 2 for 5). */
static void test_tiled(void **state) {
  seq_fixture *f = *state;
  genc_array *ms = t_vec(f->ctx, 0, 3, 1.0, -1.0);
  genc_gf_set_tile(f->comb, 2);
  gl_batched(f->ctx, f->comb, &ms, 5, 73);
  genc_gf_set_tile(f->comb, 2048);
}

/* Choice gradients of "x" (a [T] array): (m - x) + (y - x) / 0.25 elementwise. */
static void test_gradients(void **state) {
  seq_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_array *ms = t_vec(ctx, 0, 3, 1.0, -1.0);
  genc_trace *t = genc_gf_simulate(ctx, f->comb, &ms, genc_key_from_seed(19), 0);
  T_OK(ctx, t);
  genc_choicemap *g = NULL;
  assert_int_equal(genc_gf_choice_gradients(ctx, t, genc_selection_all(), NULL, &g), GENC_OK);
  const genc_choicemap *cm = genc_trace_choices(ctx, t);
  for (int j = 0; j < 3; j++) {
    double x = t_at(ctx, genc_choicemap_lookup(cm, GENC_SYM("x")), j);
    double y = t_at(ctx, genc_choicemap_lookup(cm, GENC_SYM("y")), j);
    T_CLOSE(t_at(ctx, genc_choicemap_lookup(g, GENC_SYM("x")), j), (j - 1.0 - x) + (y - x) / 0.25,
            1e-12);
  }
  genc_choicemap_free(g);
  genc_trace_release(t);
}

static void test_errors(void **state) {
  seq_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_array *zero = genc_scalar(ctx, 0.0);
  genc_trace *t = genc_gf_simulate(ctx, f->comb, &zero, genc_key_from_seed(1), 0);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_ARG, "Vmap(step)", "leading axis");
  genc_array *ms = t_vec(ctx, 0, 3, 1, 0), *ms4 = t_vec(ctx, 0, 4, 1, 0);
  t = genc_gf_simulate(ctx, f->comb, &ms, genc_key_from_seed(1), 0);
  T_OK(ctx, t);
  genc_trace *u = genc_gf_update(ctx, t, &ms4, NULL, NULL, genc_key_from_seed(1), NULL, NULL);
  t_expect_error(ctx, (genc_array *)u, GENC_ERR_SHAPE, "Vmap(step)", "Map");
  genc_trace_release(t);
  assert_null(genc_vmap(f->kernel, 2u));
  assert_null(genc_repeat(f->kernel, 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_laws),         cmocka_unit_test(test_layout),
      cmocka_unit_test(test_batched_args), cmocka_unit_test(test_spliced),
      cmocka_unit_test(test_errors),       cmocka_unit_test(test_tiled),
      cmocka_unit_test(test_gradients),
  };
  return cmocka_run_group_tests(tests, setup, seq_teardown);
}
