/* Contramap and Dimap: choices are the inner function's at the same
 * addresses, values transformed, argument diffs passed through (weights by
 * hand), laws single and batched (batched argument), spliced into a model. */
#include "gfi_laws.h"

/* inner(m, s): x ~ N(m, s); y ~ N(x, 1); returns x */
static genc_array *m_inner(genc_rt *rt, genc_array *const *args, void *u) {
  (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, args[0], args[1]));
  GENC_TRACE(rt, "y", genc_normal(ctx, x, 1.0));
  return x;
}

/* (a) -> (2a, 1.5) */
static genc_status g_args(genc_ctx *ctx, genc_array *const *in, genc_array **out, void *user) {
  (void)user;
  out[0] = genc_mul(ctx, in[0], 2.0);
  out[1] = genc_scalar(ctx, 1.5);
  return out[0] && out[1] ? GENC_OK : genc_ctx_status(ctx);
}

static genc_array *h_ret(genc_ctx *ctx, genc_array *x, void *user) {
  (void)user;
  return genc_mul(ctx, x, 10.0);
}

/* top(): a ~ N(0, 1); dimap(a) at "d" */
static genc_array *m_top(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *a = GENC_TRACE(rt, "a", genc_normal(ctx, 0.0, 1.0));
  return genc_rt_splice(rt, GENC_SYM("d"), u, &a);
}

typedef struct fixture {
  genc_ctx *ctx;
  genc_gf *inner, *cm, *dm, *top;
  genc_selection *selx;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->ctx = t_ctx();
  f->inner = genc_gf_dynamic("inner", m_inner, 2, NULL);
  f->cm = genc_contramap("cm", f->inner, 1, g_args, NULL);
  f->dm = genc_dimap("dm", f->inner, 1, g_args, h_ret, NULL);
  f->top = genc_gf_dynamic("top", m_top, 0, f->dm);
  f->selx = genc_selection_new(f->ctx);
  genc_selection_add(f->ctx, f->selx, GENC_SYM("x"));
  *state = f;
  return f->cm && f->dm ? 0 : -1;
}

static int teardown(void **state) {
  fixture *f = *state;
  genc_selection_release(f->selx);
  genc_gf *g[] = {f->inner, f->cm, f->dm, f->top};
  for (int i = 0; i < 4; i++)
    genc_gf_release(g[i]);
  genc_ctx_free(f->ctx);
  free(f);
  return 0;
}

static double normal_lp(double x, double mu, double s) {
  double z = (x - mu) / s;
  return -0.5 * z * z - log(s) - 0.5 * log(2 * M_PI);
}

static void test_layout_and_diffs(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_array *a0 = genc_scalar(ctx, 0.25), *a1 = genc_scalar(ctx, -0.5);
  genc_trace *t = genc_gf_simulate(ctx, f->dm, &a0, genc_key_from_seed(1), 0);
  T_OK(ctx, t);
  double x = t_item(ctx, genc_trace_get(ctx, t, GENC_PATH(GENC_SYM("x"))));
  double y = t_item(ctx, genc_trace_get(ctx, t, GENC_PATH(GENC_SYM("y"))));
  assert_int_equal(genc_choicemap_num_values(genc_trace_choices(ctx, t)), 2);
  T_CLOSE(t_item(ctx, genc_trace_retval(t)), 10 * x, 1e-15);
  T_CLOSE(t_item(ctx, genc_trace_score(t)), normal_lp(x, 0.5, 1.5) + normal_lp(y, x, 1), 1e-12);
  /* unknown diff: the transform runs again, w = change of x's density */
  genc_array *w = NULL;
  genc_trace *u = genc_gf_update(ctx, t, &a1, NULL, NULL, genc_key_from_seed(2), &w, NULL);
  T_OK(ctx, u);
  T_CLOSE(t_item(ctx, w), normal_lp(x, -1.0, 1.5) - normal_lp(x, 0.5, 1.5), 1e-12);
  assert_ptr_equal(genc_trace_arg(u, 0), a1);
  /* no-change diff through the table: the inner function keeps its arguments, w = 0 */
  genc_argdiff nc = genc_nochange();
  genc_choicemap *empty = genc_choicemap_new(ctx);
  genc_trace *v = genc_gf_update(ctx, u, &a1, &nc, empty, genc_key_from_seed(3), &w, NULL);
  T_OK(ctx, v);
  assert_true(t_item(ctx, w) == 0.0);
  T_CLOSE(t_item(ctx, genc_trace_retval(v)), 10 * x, 1e-15);
  genc_choicemap_free(empty);
  genc_trace_release(v);
  genc_trace_release(u);
  genc_trace_release(t);
}

static void test_laws(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_array *a = genc_scalar(ctx, 0.25);
  for (uint64_t s = 1; s <= 3; s++) {
    gl_laws(ctx, f->cm, &a, f->selx, s);
    gl_laws(ctx, f->dm, &a, f->selx, s);
  }
  gl_batched(ctx, f->dm, &a, 4, 81);
  genc_array *ab = t_iota(ctx, 5, 0, NULL, 0.5, -1.0);
  gl_batched(ctx, f->dm, &ab, 5, 82);
  genc_selection *sel = genc_selection_new(ctx);
  genc_selection_add_path(ctx, sel, GENC_PATH(GENC_SYM("d"), GENC_SYM("x")));
  for (uint64_t s = 1; s <= 3; s++)
    gl_laws(ctx, f->top, NULL, sel, s);
  gl_batched(ctx, f->top, NULL, 4, 83);
  genc_selection_release(sel);
  assert_null(genc_contramap("bad", f->inner, 1, NULL, NULL));
  assert_null(genc_dimap("bad", f->inner, 1, NULL, h_ret, NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layout_and_diffs),
      cmocka_unit_test(test_laws),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
