/* Hierarchical addresses inside one dynamic model (GENC_TRACE_AT,
 * genc_rt_trace_path, genc_rt_trace_str) under every GFI operation, reading
 * choices by text address and as C numbers, and arguments from C numbers. */
#include "gfi_models.h"

#define KEY genc_key_from_seed(7)

/* args: K (int). flip/i ~ N(0, 1) for i < K; t/3/y ~ N(flip/0, 1); x ~ N(0, 2). */
static genc_array *m_nested(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  int64_t k = genc_rt_arg_int(rt, 0);
  genc_array *f0 = NULL;
  for (int64_t i = 0; i < k; i++) {
    genc_array *f = GENC_TRACE_AT(rt, "flip", i, genc_normal(ctx, 0.0, 1.0));
    if (i == 0) f0 = f;
  }
  genc_rt_trace_str(rt, "t/3/y", genc_normal(ctx, f0, 1.0));
  return GENC_TRACE(rt, "x", genc_normal(ctx, 0.0, 2.0));
}

/* inner(): the choice at index 0 and 1 of its own level (for the key property) */
static genc_array *m_idx(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_rt_trace(rt, genc_idx(0), genc_normal(ctx, 0.0, 1.0));
  return genc_rt_trace(rt, genc_idx(1), genc_normal(ctx, 0.0, 1.0));
}
/* splices m_idx at "flip" */
static genc_array *m_via_splice(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args;
  return genc_rt_splice(rt, GENC_SYM("flip"), (genc_gf *)u, NULL);
}
/* the same two choices as nested addresses */
static genc_array *m_via_path(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  GENC_TRACE_AT(rt, "flip", 0, genc_normal(ctx, 0.0, 1.0));
  return GENC_TRACE_AT(rt, "flip", 1, genc_normal(ctx, 0.0, 1.0));
}

static double lpn(double x, double mu, double s) {
  double z = (x - mu) / s;
  return -0.5 * z * z - log(s) - 0.5 * log(2 * M_PI);
}

static double get(genc_ctx *ctx, const genc_trace *t, const char *a) {
  double v = genc_trace_get_double(ctx, t, a);
  if (isnan(v)) fail_msg("get %s: %s", a, genc_ctx_error(ctx));
  return v;
}

/* log p of a single trace of m_nested with K = k, from its values */
static double nested_score(genc_ctx *ctx, const genc_trace *t, int k) {
  double s = 0;
  char a[32];
  for (int i = 0; i < k; i++) {
    snprintf(a, sizeof a, "flip/%d", i);
    s += lpn(get(ctx, t, a), 0, 1);
  }
  return s + lpn(get(ctx, t, "t/3/y"), get(ctx, t, "flip/0"), 1) + lpn(get(ctx, t, "x"), 0, 2);
}

static void test_simulate_and_choices(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("nested", m_nested, 1, NULL);
  genc_trace *t = genc_gf_simulate(ctx, gf, GENC_ARGS(ctx, 3), KEY, 0);
  T_OK(ctx, t);
  T_CLOSE(t_item(ctx, genc_trace_score(t)), nested_score(ctx, t, 3), 1e-12);
  const genc_choicemap *cm = genc_trace_choices(ctx, t);
  assert_int_equal(genc_choicemap_num_values(cm), 5);
  assert_int_equal(genc_choicemap_count(cm), 3); /* flip, t, x */
  assert_int_equal(genc_choicemap_count(genc_choicemap_submap(cm, GENC_SYM("flip"))), 3);
  genc_array *y = genc_trace_get(ctx, t, GENC_PATH(GENC_SYM("t"), 3, GENC_SYM("y")));
  T_OK(ctx, y);
  T_CLOSE(t_item(ctx, y), get(ctx, t, "t/3/y"), 0);
  /* assess of the trace's own choices gives its score */
  genc_array *w = genc_gf_assess(ctx, gf, GENC_ARGS(ctx, 3), cm, NULL);
  T_OK(ctx, w);
  T_CLOSE(t_item(ctx, w), t_item(ctx, genc_trace_score(t)), 1e-12);
  /* propose: a nested map and the score as weight */
  genc_array *pw = NULL;
  genc_choicemap *u = genc_gf_propose(ctx, gf, GENC_ARGS(ctx, 2), KEY, 0, &pw, NULL);
  T_OK(ctx, u);
  assert_true(genc_choicemap_has_path(u, GENC_PATH(GENC_SYM("flip"), 1)));
  assert_false(genc_choicemap_has_path(u, GENC_PATH(GENC_SYM("flip"), 2)));
  genc_array *aw = genc_gf_assess(ctx, gf, GENC_ARGS(ctx, 2), u, NULL);
  T_CLOSE(t_item(ctx, pw), t_item(ctx, aw), 1e-12);
  genc_choicemap_free(u);
  genc_trace_release(t);
  genc_gf_release(gf);
}

/* A choice at flip/i draws exactly what a choice at i of a function spliced at
 * flip draws: the key is folded with each component in turn. */
static void test_key_matches_splice(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *inner = genc_gf_dynamic("idx", m_idx, 0, NULL);
  genc_gf *a = genc_gf_dynamic("via_splice", m_via_splice, 0, inner);
  genc_gf *b = genc_gf_dynamic("via_path", m_via_path, 0, NULL);
  genc_trace *ta = genc_gf_simulate(ctx, a, NULL, KEY, 0);
  genc_trace *tb = genc_gf_simulate(ctx, b, NULL, KEY, 0);
  T_OK(ctx, ta && tb);
  assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, ta), genc_trace_choices(ctx, tb)));
  T_CLOSE(t_item(ctx, genc_trace_score(ta)), t_item(ctx, genc_trace_score(tb)), 0);
  genc_trace_release(ta), genc_trace_release(tb);
  genc_gf_release(a), genc_gf_release(b), genc_gf_release(inner);
}

static void test_generate(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("nested", m_nested, 1, NULL);
  genc_choicemap *c = genc_choicemap_new(ctx);
  genc_choicemap_set_path(ctx, c, GENC_PATH(GENC_SYM("flip"), 1), genc_scalar(ctx, 0.75));
  genc_choicemap_set_path(ctx, c, GENC_PATH(GENC_SYM("t"), 3, GENC_SYM("y")),
                          genc_scalar(ctx, -0.5));
  genc_array *w = NULL;
  genc_trace *t = genc_gf_generate(ctx, gf, GENC_ARGS(ctx, 3), c, KEY, 0, &w);
  T_OK(ctx, t);
  T_CLOSE(get(ctx, t, "flip/1"), 0.75, 0);
  T_CLOSE(t_item(ctx, w), lpn(0.75, 0, 1) + lpn(-0.5, get(ctx, t, "flip/0"), 1), 1e-12);
  genc_trace_release(t);
  /* an unvisited nested constraint is named; so is a value where choices nest */
  genc_choicemap_set_path(ctx, c, GENC_PATH(GENC_SYM("flip"), 7), genc_scalar(ctx, 0.0));
  t = genc_gf_generate(ctx, gf, GENC_ARGS(ctx, 3), c, KEY, 0, NULL);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_ADDRESS, "never visited", "flip/7");
  genc_choicemap_free(c);
  c = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, c, GENC_SYM("flip"), genc_scalar(ctx, 0.0));
  t = genc_gf_generate(ctx, gf, GENC_ARGS(ctx, 3), c, KEY, 0, NULL);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_ADDRESS, "never visited", "flip");
  genc_choicemap_free(c);
  genc_gf_release(gf);
}

static void test_update(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("nested", m_nested, 1, NULL);
  genc_trace *t = genc_gf_simulate(ctx, gf, GENC_ARGS(ctx, 3), KEY, 0);
  T_OK(ctx, t);
  double old1 = get(ctx, t, "flip/1"), old2 = get(ctx, t, "flip/2");
  genc_choicemap *c = genc_choicemap_new(ctx);
  genc_choicemap_set_path(ctx, c, GENC_PATH(GENC_SYM("flip"), 1), genc_scalar(ctx, 2.0));
  genc_array *w = NULL;
  genc_choicemap *d = NULL;
  /* K = 2 drops flip/2 and replaces flip/1 */
  genc_argdiff ad[1] = {genc_intdiff(-1)};
  genc_trace *t2 = genc_gf_update(ctx, t, GENC_ARGS(ctx, 2), ad, c, KEY, &w, &d);
  T_OK(ctx, t2);
  T_CLOSE(get(ctx, t2, "flip/1"), 2.0, 0);
  assert_null(genc_trace_get_path(ctx, t2, "flip/2"));
  genc_ctx_clear_error(ctx);
  T_CLOSE(t_item(ctx, genc_choicemap_lookup_path(d, GENC_PATH(GENC_SYM("flip"), 1))), old1, 0);
  T_CLOSE(t_item(ctx, genc_choicemap_lookup_path(d, GENC_PATH(GENC_SYM("flip"), 2))), old2, 0);
  assert_int_equal(genc_choicemap_num_values(d), 2);
  /* no fresh choices: w = new score - old score */
  T_CLOSE(t_item(ctx, w), nested_score(ctx, t2, 2) - nested_score(ctx, t, 3), 1e-12);
  genc_choicemap_free(d);
  genc_choicemap_free(c);
  genc_trace_release(t2);
  genc_trace_release(t);
  genc_gf_release(gf);
}

static void test_regenerate_project(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("nested", m_nested, 1, NULL);
  genc_trace *t = genc_gf_simulate(ctx, gf, GENC_ARGS(ctx, 3), KEY, 0);
  genc_selection *s = genc_selection_new(ctx);
  genc_selection_add(ctx, s, GENC_SYM("flip"));
  genc_array *w = NULL;
  genc_trace *t2 = genc_gf_regenerate(ctx, t, NULL, NULL, s, genc_key_from_seed(99), &w);
  T_OK(ctx, t2);
  /* every flip/i is new, t/3/y and x are kept */
  assert_true(get(ctx, t2, "flip/0") != get(ctx, t, "flip/0"));
  assert_true(get(ctx, t2, "flip/2") != get(ctx, t, "flip/2"));
  T_CLOSE(get(ctx, t2, "t/3/y"), get(ctx, t, "t/3/y"), 0);
  T_CLOSE(get(ctx, t2, "x"), get(ctx, t, "x"), 0);
  /* prior proposal: w = change of the unselected sites' densities */
  double y = get(ctx, t, "t/3/y");
  T_CLOSE(t_item(ctx, w), lpn(y, get(ctx, t2, "flip/0"), 1) - lpn(y, get(ctx, t, "flip/0"), 1),
          1e-12);
  /* project on flip: the flips' densities */
  genc_array *p = genc_gf_project(ctx, t, s);
  T_OK(ctx, p);
  double e = lpn(get(ctx, t, "flip/0"), 0, 1) + lpn(get(ctx, t, "flip/1"), 0, 1) +
             lpn(get(ctx, t, "flip/2"), 0, 1);
  T_CLOSE(t_item(ctx, p), e, 1e-12);
  /* a selection of one nested address */
  genc_selection *s1 = genc_selection_new(ctx);
  genc_selection_add_path(ctx, s1, GENC_PATH(GENC_SYM("t"), 3, GENC_SYM("y")));
  T_CLOSE(t_item(ctx, genc_gf_project(ctx, t, s1)), lpn(y, get(ctx, t, "flip/0"), 1), 1e-12);
  genc_selection_release(s1);
  genc_selection_release(s);
  genc_trace_release(t2);
  genc_trace_release(t);
  genc_gf_release(gf);
}

static void test_gradients(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("nested", m_nested, 1, NULL);
  genc_trace *t = genc_gf_simulate(ctx, gf, GENC_ARGS(ctx, 2), KEY, 0);
  genc_selection *s = genc_selection_new(ctx);
  genc_selection_add(ctx, s, GENC_SYM("flip"));
  genc_choicemap *g = NULL;
  T_OK(ctx, !genc_gf_choice_gradients(ctx, t, s, NULL, &g));
  double f0 = get(ctx, t, "flip/0"), f1 = get(ctx, t, "flip/1"), y = get(ctx, t, "t/3/y");
  /* d/df0 [lp(f0) + lp(y | f0)] = -f0 + (y - f0); d/df1 = -f1 */
  T_CLOSE(t_item(ctx, genc_choicemap_lookup_path(g, GENC_PATH(GENC_SYM("flip"), 0))), y - 2 * f0,
          1e-12);
  T_CLOSE(t_item(ctx, genc_choicemap_lookup_path(g, GENC_PATH(GENC_SYM("flip"), 1))), -f1, 1e-12);
  assert_int_equal(genc_choicemap_num_values(g), 2);
  genc_choicemap_free(g);
  genc_selection_release(s);
  genc_trace_release(t);
  genc_gf_release(gf);
}

/* Batched: particle i is the single trace under genc_key_particle(key, i);
 * particle and take keep the nesting. */
static void test_batched(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("nested", m_nested, 1, NULL);
  genc_gf_set_tile(gf, 2); /* tiles join nested records too */
  genc_trace *tb = genc_gf_simulate(ctx, gf, GENC_ARGS(ctx, 2), KEY, 5);
  T_OK(ctx, tb);
  double buf[5];
  T_OK(ctx, !genc_trace_copy_out(ctx, tb, "t/3/y", buf, 5));
  assert_int_equal(genc_trace_copy_out(ctx, tb, "t/3/y", buf, 4), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "t/3/y"));
  assert_true(isnan(genc_trace_get_double(ctx, tb, "x")));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_PARTICLE);
  for (int i = 0; i < 5; i++) {
    genc_trace *ts = genc_gf_simulate(ctx, gf, GENC_ARGS(ctx, 2), genc_key_particle(KEY, i), 0);
    genc_trace *tp = genc_trace_particle(ctx, tb, i);
    T_OK(ctx, ts && tp);
    T_CLOSE(buf[i], get(ctx, ts, "t/3/y"), 1e-15);
    T_CLOSE(get(ctx, tp, "flip/1"), get(ctx, ts, "flip/1"), 1e-15);
    genc_trace_release(ts), genc_trace_release(tp);
  }
  int32_t idx[2] = {4, 4};
  int64_t two = 2;
  genc_trace *tt = genc_trace_take(ctx, tb, genc_array_from(ctx, GENC_I32, 1, &two, 0, idx));
  T_OK(ctx, tt);
  double b2[2];
  T_OK(ctx, !genc_trace_copy_out(ctx, tt, "t/3/y", b2, 2));
  T_CLOSE(b2[1], buf[4], 0);
  genc_trace_release(tt);
  genc_trace_release(tb);
  genc_gf_release(gf);
}

/* ---- conflicts ---- */

static genc_array *m_conflict(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args;
  genc_ctx *ctx = genc_rt_ctx(rt);
  int which = (int)(intptr_t)u;
  genc_dist d = genc_normal(ctx, 0.0, 1.0);
  switch (which) {
  case 0: GENC_TRACE(rt, "flip", d); return GENC_TRACE_AT(rt, "flip", 1, d);
  case 1: GENC_TRACE_AT(rt, "flip", 1, d); return GENC_TRACE(rt, "flip", d);
  case 2: genc_rt_trace_str(rt, "a/2/b", d); return genc_rt_trace_str(rt, "a/2/b", d);
  case 3: genc_rt_trace_str(rt, "a/2/b", d); return genc_rt_trace_str(rt, "a/2", d);
  default: return genc_rt_trace_str(rt, "a//b", d);
  }
}

static genc_array *m_splice_conflict(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args;
  genc_rt_splice(rt, GENC_SYM("flip"), (genc_gf *)u, NULL);
  return GENC_TRACE_AT(rt, "flip", 1, genc_normal(genc_rt_ctx(rt), 0.0, 1.0));
}

static void test_conflicts(void **state) {
  genc_ctx *ctx = *state;
  const char *want[5][2] = {{"address flip holds a random choice", "flip/1"},
                            {"address flip already holds nested addresses", "random choice"},
                            {"a/2/b traced twice", NULL},
                            {"address a/2 already holds nested addresses", NULL},
                            {"a//b", NULL}};
  for (int i = 0; i < 5; i++) {
    genc_gf *gf = genc_gf_dynamic("clash", m_conflict, 0, (void *)(intptr_t)i);
    genc_trace *t = genc_gf_simulate(ctx, gf, NULL, KEY, 0);
    t_expect_error(ctx, (genc_array *)t, GENC_ERR_ADDRESS, want[i][0], want[i][1]);
    genc_gf_release(gf);
  }
  genc_gf *inner = genc_gf_dynamic("idx", m_idx, 0, NULL);
  genc_gf *gf = genc_gf_dynamic("clash", m_splice_conflict, 0, inner);
  genc_trace *t = genc_gf_simulate(ctx, gf, NULL, KEY, 0);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_ADDRESS, "address flip holds a splice", "flip/1");
  genc_gf_release(gf), genc_gf_release(inner);
}

/* ---- C values at the boundary ---- */

static genc_array *m_args(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  int64_t k = genc_rt_arg_int(rt, 0);
  double s = genc_rt_arg_double(rt, 1);
  if (genc_ctx_status(ctx)) return NULL;
  return GENC_TRACE(rt, "v", genc_normal(ctx, (double)k, s));
}

static void test_args_and_values(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("args", m_args, 2, NULL);
  genc_trace *t = genc_gf_simulate(ctx, gf, GENC_ARGS(ctx, 4, 0.5), KEY, 0);
  T_OK(ctx, t);
  assert_int_equal(genc_array_dtype(genc_trace_arg(t, 0)), GENC_I32);
  assert_int_equal(genc_array_dtype(genc_trace_arg(t, 1)), GENC_F64);
  double v = get(ctx, t, "v");
  T_CLOSE(t_item(ctx, genc_trace_score(t)), lpn(v, 4, 0.5), 1e-12);
  T_CLOSE(genc_array_to_double(ctx, genc_trace_get_path(ctx, t, "v")), v, 0);
  genc_trace_release(t);
  /* an argument that is not a 0-d number, one that is not whole, one out of range */
  t = genc_gf_simulate(ctx, gf, GENC_ARGS(ctx, genc_array_vec(ctx, 2, (double[]){1, 2}), 0.5), KEY,
                       0);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_ARG, "model 'args': argument 0", "not 0-d");
  t = genc_gf_simulate(ctx, gf, GENC_ARGS(ctx, 2.5, 0.5), KEY, 0);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_ARG, "argument 0 is 2.5", "integer");
  t = genc_gf_simulate(ctx, gf, GENC_ARGS(ctx, 1ll << 40, 0.5), KEY, 0);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_ARG, "does not fit an i32", NULL);
  /* reads that are not one number */
  assert_true(isnan(genc_array_to_double(ctx, genc_array_vec(ctx, 2, (double[]){1, 2}))));
  t_expect_error(ctx, NULL, GENC_ERR_SHAPE, "not 0-d", NULL);
  t = genc_gf_simulate(ctx, gf, GENC_ARGS(ctx, 1, 1.0), KEY, 0);
  assert_true(isnan(genc_trace_get_double(ctx, t, "w")));
  t_expect_error(ctx, NULL, GENC_ERR_ADDRESS, "w", NULL);
  assert_true(isnan(genc_trace_get_double(ctx, t, "a//b")));
  t_expect_error(ctx, NULL, GENC_ERR_ADDRESS, NULL, NULL);
  genc_trace_release(t);
  genc_gf_release(gf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_simulate_and_choices),
      cmocka_unit_test(test_key_matches_splice),
      cmocka_unit_test(test_generate),
      cmocka_unit_test(test_update),
      cmocka_unit_test(test_regenerate_project),
      cmocka_unit_test(test_gradients),
      cmocka_unit_test(test_batched),
      cmocka_unit_test(test_conflicts),
      cmocka_unit_test(test_args_and_values),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
