/* Mask: GFI laws single (on and off) and batched (per-particle flag), flips
 * in update and regenerate with hand-computed weights, and a Switch inside a
 * Mask inside a C-function model (three levels), single and batched. */
#include "gfi_laws.h"

/* f(m): x ~ N(m, 1); y ~ N(x, 0.5); returns x */
static genc_array *m_f(genc_rt *rt, genc_array *const *args, void *u) {
  (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, args[0], 1.0));
  GENC_TRACE(rt, "y", genc_normal(ctx, x, 0.5));
  return x;
}

/* g(m): x ~ N(-m, 2); returns x */
static genc_array *m_g(genc_rt *rt, genc_array *const *args, void *u) {
  (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  return GENC_TRACE(rt, "x", genc_normal(ctx, genc_neg(ctx, args[0]), 2.0));
}

/* top(flag, idx): a ~ N(0, 1); Mask(Switch(f, g))(flag, idx, a) at "inner"; returns a */
static genc_array *m_top(genc_rt *rt, genc_array *const *args, void *u) {
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *a = GENC_TRACE(rt, "a", genc_normal(ctx, 0.0, 1.0));
  genc_array *in[3] = {args[0], args[1], a};
  return genc_rt_splice(rt, GENC_SYM("inner"), u, in) ? a : NULL;
}

typedef struct fixture {
  genc_ctx *ctx;
  genc_gf *f, *g, *mask, *sw, *msw, *top;
  genc_array *m;
  genc_selection *selx;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->ctx = t_ctx();
  f->f = genc_gf_dynamic("f", m_f, 1, NULL);
  f->g = genc_gf_dynamic("g", m_g, 1, NULL);
  f->mask = genc_mask("mk", f->f);
  f->sw = genc_switch("sw", 2, (genc_gf *[]){f->f, f->g});
  f->msw = genc_mask("msw", f->sw);
  f->top = genc_gf_dynamic("top", m_top, 2, f->msw);
  f->m = genc_array_retain(genc_scalar(f->ctx, 0.5));
  f->selx = genc_selection_new(f->ctx);
  genc_selection_add(f->ctx, f->selx, GENC_SYM("x"));
  *state = f;
  return f->mask && f->msw ? 0 : -1;
}

static int teardown(void **state) {
  fixture *f = *state;
  genc_selection_release(f->selx);
  genc_array_release(f->m);
  genc_gf *g[] = {f->f, f->g, f->mask, f->sw, f->msw, f->top};
  for (int i = 0; i < 6; i++)
    genc_gf_release(g[i]);
  genc_ctx_free(f->ctx);
  free(f);
  return 0;
}

/* A 0-d bool array over n particles (n == 0: shared) from 0/1 values. */
static genc_array *flags(genc_ctx *ctx, int n, const int32_t *v) {
  genc_array *a = genc_gt(ctx, genc_array_from(ctx, GENC_I32, 0, NULL, n, v), 0);
  T_OK(ctx, a);
  return a;
}

static genc_array *ints(genc_ctx *ctx, int n, const int32_t *v) {
  genc_array *a = genc_array_from(ctx, GENC_I32, 0, NULL, n, v);
  T_OK(ctx, a);
  return a;
}

static double normal_lp(double x, double mu, double s) {
  double z = (x - mu) / s;
  return -0.5 * z * z - log(s) - 0.5 * log(2 * M_PI);
}

static void test_laws(void **state) {
  fixture *f = *state;
  int32_t on = 1, off = 0, per[5] = {1, 0, 1, 1, 0};
  for (uint64_t s = 1; s <= 3; s++) {
    gl_laws(f->ctx, f->mask, (genc_array *[]){flags(f->ctx, 0, &on), f->m}, f->selx, s);
    gl_laws(f->ctx, f->mask, (genc_array *[]){flags(f->ctx, 0, &off), f->m}, NULL, s);
  }
  genc_trace *t = genc_gf_simulate(f->ctx, f->mask, (genc_array *[]){flags(f->ctx, 0, &off), f->m},
                                   genc_key_from_seed(1), 0);
  T_OK(f->ctx, t);
  assert_true(genc_choicemap_is_empty(genc_trace_choices(f->ctx, t)));
  assert_true(t_item(f->ctx, genc_trace_score(t)) == 0.0);
  assert_true(isnan(t_item(f->ctx, genc_trace_retval(t))));
  genc_trace_release(t);
  gl_batched(f->ctx, f->mask, (genc_array *[]){flags(f->ctx, 5, per), f->m}, 5, 31);
  /* per-particle flips in a batched update, with and without a constraint */
  int32_t per2[5] = {0, 0, 1, 1, 1};
  genc_array *a0[2] = {flags(f->ctx, 5, per), f->m}, *a1[2] = {flags(f->ctx, 5, per2), f->m};
  genc_choicemap *cons = genc_choicemap_new(f->ctx);
  gl_batched_update(f->ctx, f->mask, a0, a1, cons, 5, 32);
  /* a constraint needs every particle on (a single off Mask has no x to constrain) */
  int32_t all[5] = {1, 1, 1, 1, 1};
  a1[0] = flags(f->ctx, 5, all);
  genc_choicemap_set(f->ctx, cons, GENC_SYM("x"), genc_scalar(f->ctx, 0.1));
  gl_batched_update(f->ctx, f->mask, a0, a1, cons, 5, 33);
  genc_choicemap_free(cons);
}

/* on -> off: w = -old score, everything discarded; off -> on with x
 * constrained: w = log N(x; m, 1) (y is fresh). */
static void test_flips(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  int32_t on = 1, off = 0;
  genc_array *a_on[2] = {flags(ctx, 0, &on), f->m}, *a_off[2] = {flags(ctx, 0, &off), f->m};
  genc_trace *t = genc_gf_simulate(ctx, f->mask, a_on, genc_key_from_seed(2), 0);
  T_OK(ctx, t);
  genc_array *w = NULL;
  genc_choicemap *disc = NULL;
  genc_trace *u = genc_gf_update(ctx, t, a_off, NULL, NULL, genc_key_from_seed(3), &w, &disc);
  T_OK(ctx, u);
  T_CLOSE(t_item(ctx, w), -t_item(ctx, genc_trace_score(t)), 1e-12);
  assert_true(genc_choicemap_equal(ctx, disc, genc_trace_choices(ctx, t)));
  assert_true(genc_choicemap_is_empty(genc_trace_choices(ctx, u)));
  genc_choicemap *cons = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, cons, GENC_SYM("x"), genc_scalar(ctx, 1.25));
  genc_choicemap_free(disc);
  genc_trace *v = genc_gf_update(ctx, u, a_on, NULL, cons, genc_key_from_seed(4), &w, &disc);
  T_OK(ctx, v);
  T_CLOSE(t_item(ctx, w), normal_lp(1.25, 0.5, 1), 1e-12);
  assert_true(genc_choicemap_is_empty(disc));
  /* regenerate off -> on: w = 0 */
  genc_trace *r =
      genc_gf_regenerate(ctx, u, a_on, NULL, genc_selection_none(), genc_key_from_seed(5), &w);
  T_OK(ctx, r);
  assert_true(t_item(ctx, w) == 0.0);
  assert_int_equal(genc_choicemap_num_values(genc_trace_choices(ctx, r)), 2);
  genc_trace *tr[] = {t, u, v, r};
  for (int i = 0; i < 4; i++)
    genc_trace_release(tr[i]);
  genc_choicemap_free(disc);
  genc_choicemap_free(cons);
}

/* A Switch inside a Mask inside a model: laws and batched equality, with
 * the address layout inner/x. */
static void test_nested3(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_selection *sel = genc_selection_new(ctx);
  genc_selection_add_path(ctx, sel, GENC_PATH(GENC_SYM("inner"), GENC_SYM("x")));
  for (int32_t fl = 0; fl < 2; fl++)
    for (int32_t k = 0; k < 2; k++)
      for (uint64_t s = 1; s <= 2; s++)
        gl_laws(ctx, f->top, (genc_array *[]){flags(ctx, 0, &fl), ints(ctx, 0, &k)},
                fl ? sel : NULL, s);
  int32_t on = 1, k1 = 1;
  genc_trace *t =
      genc_gf_simulate(ctx, f->top, (genc_array *[]){flags(ctx, 0, &on), ints(ctx, 0, &k1)},
                       genc_key_from_seed(9), 0);
  T_OK(ctx, genc_trace_get(ctx, t, GENC_PATH(GENC_SYM("inner"), GENC_SYM("x"))));
  assert_int_equal(genc_choicemap_num_values(genc_trace_choices(ctx, t)), 2);
  genc_trace_release(t);
  int32_t fls[6] = {1, 0, 1, 1, 0, 1}, ks[6] = {0, 1, 1, 0, 0, 1};
  gl_batched(ctx, f->top, (genc_array *[]){flags(ctx, 6, fls), ints(ctx, 6, ks)}, 6, 41);
  genc_selection_release(sel);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_laws),
      cmocka_unit_test(test_flips),
      cmocka_unit_test(test_nested3),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
