/* Switch: GFI laws single and batched (shared and per-particle index), what
 * update does when the index changes (Gen.jl's rule: trace, discard, weight
 * by hand), the vectorized update against single updates, errors. */
#include "gfi_laws.h"

/* a(m): x ~ N(m, 1); y ~ N(x, 0.5); returns x */
static genc_array *br_a(genc_rt *rt, genc_array *const *args, void *u) {
  (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, args[0], 1.0));
  GENC_TRACE(rt, "y", genc_normal(ctx, x, 0.5));
  return x;
}

/* b(m): x ~ N(-m, 2); z ~ N(x, 1); returns x */
static genc_array *br_b(genc_rt *rt, genc_array *const *args, void *u) {
  (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, genc_neg(ctx, args[0]), 2.0));
  GENC_TRACE(rt, "z", genc_normal(ctx, x, 1.0));
  return x;
}

typedef struct fixture {
  genc_ctx *ctx;
  genc_gf *a, *b, *sw;
  genc_array *m;
  genc_selection *selx;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->ctx = t_ctx();
  f->a = genc_gf_dynamic("a", br_a, 1, NULL);
  f->b = genc_gf_dynamic("b", br_b, 1, NULL);
  f->sw = genc_switch("sw", 2, (genc_gf *[]){f->a, f->b});
  f->m = genc_scalar(f->ctx, 0.5);
  genc_array_retain(f->m);
  f->selx = genc_selection_new(f->ctx);
  genc_selection_add(f->ctx, f->selx, GENC_SYM("x"));
  *state = f;
  return f->sw ? 0 : -1;
}

static int teardown(void **state) {
  fixture *f = *state;
  genc_selection_release(f->selx);
  genc_array_release(f->m);
  genc_gf_release(f->sw);
  genc_gf_release(f->a);
  genc_gf_release(f->b);
  genc_ctx_free(f->ctx);
  free(f);
  return 0;
}

static genc_array *idx_of(genc_ctx *ctx, int n, const int32_t *v) {
  genc_array *a = genc_array_from(ctx, GENC_I32, 0, NULL, n, v);
  T_OK(ctx, a);
  return a;
}

static double normal_lp(double x, double mu, double s) {
  double z = (x - mu) / s;
  return -0.5 * z * z - log(s) - 0.5 * log(2 * M_PI);
}

static void test_laws_single(void **state) {
  fixture *f = *state;
  for (int32_t k = 0; k < 2; k++)
    for (uint64_t s = 1; s <= 3; s++)
      gl_laws(f->ctx, f->sw, (genc_array *[]){idx_of(f->ctx, 0, &k), f->m}, f->selx, s);
}

static void test_laws_batched(void **state) {
  fixture *f = *state;
  int32_t one = 1, per[5] = {0, 1, 1, 0, 1};
  gl_batched(f->ctx, f->sw, (genc_array *[]){idx_of(f->ctx, 0, &one), f->m}, 4, 21);
  gl_batched(f->ctx, f->sw, (genc_array *[]){idx_of(f->ctx, 5, per), f->m}, 5, 22);
}

/* Choices at the Switch's own level; index change in update with x
 * constrained: the new branch is generated with the constraints merged over
 * the old choices; x constrained and y (not in branch b) go to the discard,
 * w = generate weight - old score = log N(0.3; -m, 2) - old score. */
static void test_index_change(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  int32_t zero = 0, one = 1;
  genc_array *args0[2] = {idx_of(ctx, 0, &zero), f->m}, *args1[2] = {idx_of(ctx, 0, &one), f->m};
  genc_trace *t = genc_gf_simulate(ctx, f->sw, args0, genc_key_from_seed(3), 0);
  T_OK(ctx, t);
  double x0 = t_item(ctx, genc_trace_get(ctx, t, GENC_PATH(GENC_SYM("x"))));
  double y0 = t_item(ctx, genc_trace_get(ctx, t, GENC_PATH(GENC_SYM("y"))));
  genc_choicemap *cons = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, cons, GENC_SYM("x"), genc_scalar(ctx, 0.3));
  genc_array *w = NULL;
  genc_choicemap *disc = NULL;
  genc_argdiff d[2] = {genc_unknown(), genc_nochange()};
  genc_trace *u = genc_gf_update(ctx, t, args1, d, cons, genc_key_from_seed(4), &w, &disc);
  T_OK(ctx, u);
  const genc_choicemap *cm = genc_trace_choices(ctx, u);
  assert_int_equal(genc_choicemap_num_values(cm), 2);
  assert_true(genc_choicemap_has(cm, GENC_SYM("z")) && !genc_choicemap_has(cm, GENC_SYM("y")));
  T_CLOSE(t_item(ctx, genc_choicemap_lookup(cm, GENC_SYM("x"))), 0.3, 0);
  assert_int_equal(genc_choicemap_num_values(disc), 2);
  T_CLOSE(t_item(ctx, genc_choicemap_lookup(disc, GENC_SYM("x"))), x0, 0);
  T_CLOSE(t_item(ctx, genc_choicemap_lookup(disc, GENC_SYM("y"))), y0, 0);
  double old = normal_lp(x0, 0.5, 1) + normal_lp(y0, x0, 0.5);
  T_CLOSE(t_item(ctx, genc_trace_score(t)), old, 1e-12);
  T_CLOSE(t_item(ctx, w), normal_lp(0.3, -0.5, 2) - old, 1e-12);
  double z = t_item(ctx, genc_choicemap_lookup(cm, GENC_SYM("z")));
  T_CLOSE(t_item(ctx, genc_trace_score(u)), normal_lp(0.3, -0.5, 2) + normal_lp(z, 0.3, 1), 1e-12);
  T_CLOSE(t_item(ctx, genc_trace_retval(u)), 0.3, 0);
  /* regenerate to the other branch: w = 0, a fresh branch-b trace */
  genc_trace *r =
      genc_gf_regenerate(ctx, t, args1, d, genc_selection_none(), genc_key_from_seed(5), &w);
  T_OK(ctx, r);
  assert_true(t_item(ctx, w) == 0.0);
  assert_true(genc_choicemap_has(genc_trace_choices(ctx, r), GENC_SYM("z")));
  genc_trace_release(r);
  genc_choicemap_free(disc);
  genc_choicemap_free(cons);
  genc_trace_release(u);
  genc_trace_release(t);
}

/* Gen.jl's cross-check model: g0: x ~ N(0,1), y ~ N(x,1); g1: x ~ N(2,1),
 * z ~ N(x,1). Weights worked out by hand from Gen.jl's switch/update.jl. */
static genc_array *g0(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, 0.0, 1.0));
  GENC_TRACE(rt, "y", genc_normal(ctx, x, 1.0));
  return x;
}
static genc_array *g1(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, 2.0, 1.0));
  GENC_TRACE(rt, "z", genc_normal(ctx, x, 1.0));
  return x;
}

static double cm_at(genc_ctx *ctx, const genc_choicemap *cm, const char *a) {
  return t_item(ctx, genc_choicemap_get_str(ctx, cm, a));
}

/* Switch 0 -> 1 by update with constraints @p cons: the trace, *w, *disc. */
static genc_trace *move01(genc_ctx *ctx, genc_trace *t, genc_choicemap *cons, double *w,
                          genc_choicemap **disc) {
  int32_t one = 1;
  genc_array *a1[2] = {idx_of(ctx, 0, &one), genc_scalar(ctx, 0.0)}, *wa = NULL;
  genc_argdiff d[2] = {genc_unknown(), genc_nochange()};
  genc_trace *u = genc_gf_update(ctx, t, a1, d, cons, genc_key_from_seed(31), &wa, disc);
  T_OK(ctx, u);
  *w = t_item(ctx, wa);
  return u;
}

static void test_genjl_keep(void **state) {
  genc_ctx *ctx = ((fixture *)*state)->ctx;
  genc_gf *b0 = genc_gf_dynamic("g0", g0, 1, NULL), *b1 = genc_gf_dynamic("g1", g1, 1, NULL);
  genc_gf *sw = genc_switch("sw01", 2, (genc_gf *[]){b0, b1});
  int32_t zero = 0;
  genc_trace *t =
      genc_gf_simulate(ctx, sw, (genc_array *[]){idx_of(ctx, 0, &zero), genc_scalar(ctx, 0.0)},
                       genc_key_from_seed(30), 0);
  T_OK(ctx, t);
  const genc_choicemap *oc = genc_trace_choices(ctx, t);
  double x = cm_at(ctx, oc, "x"), y = cm_at(ctx, oc, "y");
  double old = normal_lp(x, 0, 1) + normal_lp(y, x, 1), w = 0;
  /* no constraints: x keeps its value, z is fresh, only y is discarded */
  genc_choicemap *disc = NULL;
  genc_trace *u = move01(ctx, t, NULL, &w, &disc);
  const genc_choicemap *uc = genc_trace_choices(ctx, u);
  assert_int_equal(genc_choicemap_num_values(uc), 2);
  T_CLOSE(cm_at(ctx, uc, "x"), x, 0);
  double z = cm_at(ctx, uc, "z");
  T_CLOSE(w, normal_lp(x, 2, 1) - normal_lp(x, 0, 1) - normal_lp(y, x, 1), 1e-12);
  T_CLOSE(t_item(ctx, genc_trace_score(u)), normal_lp(x, 2, 1) + normal_lp(z, x, 1), 1e-12);
  assert_int_equal(genc_choicemap_num_values(disc), 1);
  T_CLOSE(cm_at(ctx, disc, "y"), y, 0);
  /* and back 1 -> 0: x kept again, y fresh, z discarded */
  genc_array *a0[2] = {idx_of(ctx, 0, &zero), genc_scalar(ctx, 0.0)}, *wa = NULL;
  genc_choicemap *disc2 = NULL;
  genc_trace *b = genc_gf_update(ctx, u, a0, NULL, NULL, genc_key_from_seed(32), &wa, &disc2);
  T_OK(ctx, b);
  double y2 = cm_at(ctx, genc_trace_choices(ctx, b), "y");
  T_CLOSE(cm_at(ctx, genc_trace_choices(ctx, b), "x"), x, 0);
  T_CLOSE(t_item(ctx, wa), normal_lp(x, 0, 1) - normal_lp(x, 2, 1) - normal_lp(z, x, 1), 1e-12);
  T_CLOSE(t_item(ctx, genc_trace_score(b)), normal_lp(x, 0, 1) + normal_lp(y2, x, 1), 1e-12);
  assert_int_equal(genc_choicemap_num_values(disc2), 1);
  T_CLOSE(cm_at(ctx, disc2, "z"), z, 0);
  genc_trace_release(b);
  genc_trace_release(u);
  genc_choicemap_free(disc);
  genc_choicemap_free(disc2);
  /* z constrained: w gains log N(z; x, 1); the discard still only y */
  genc_choicemap *cons = genc_choicemap_new(ctx);
  genc_choicemap_set_str(ctx, cons, "z", genc_scalar(ctx, 0.7));
  u = move01(ctx, t, cons, &w, &disc);
  T_CLOSE(cm_at(ctx, genc_trace_choices(ctx, u), "x"), x, 0);
  T_CLOSE(w, normal_lp(x, 2, 1) + normal_lp(0.7, x, 1) - old, 1e-12);
  assert_int_equal(genc_choicemap_num_values(disc), 1);
  genc_trace_release(u);
  genc_choicemap_free(disc);
  genc_choicemap_free(cons);
  /* x constrained: the constraint wins, the old x joins the discard */
  cons = genc_choicemap_new(ctx);
  genc_choicemap_set_str(ctx, cons, "x", genc_scalar(ctx, 1.5));
  u = move01(ctx, t, cons, &w, &disc);
  T_CLOSE(cm_at(ctx, genc_trace_choices(ctx, u), "x"), 1.5, 0);
  T_CLOSE(w, normal_lp(1.5, 2, 1) - old, 1e-12);
  assert_int_equal(genc_choicemap_num_values(disc), 2);
  T_CLOSE(cm_at(ctx, disc, "x"), x, 0);
  T_CLOSE(cm_at(ctx, disc, "y"), y, 0);
  genc_trace_release(u);
  genc_choicemap_free(disc);
  genc_choicemap_free(cons);
  genc_trace_release(t);
  genc_gf_release(sw);
  genc_gf_release(b0);
  genc_gf_release(b1);
}

/* Control flow on a kept value. neg: x ~ N(-5, .1); y ~ N(x, 1) only if
 * x > 0. pos: x ~ N(5, .1), y ~ N(0, 1). pos -> neg keeps x (> 0), so neg
 * then visits y and keeps it too (the fixpoint's second round): nothing is
 * discarded. lt: y only if x < 0: keeping x = 5 skips the y the fresh run
 * visited, which genc refuses. */
static genc_array *neg(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, -5.0, 0.1));
  double v = 0;
  genc_array_item(ctx, x, &v);
  if (u ? v < 0 : v > 0) GENC_TRACE(rt, "y", genc_normal(ctx, x, 1.0));
  return x;
}
static genc_array *pos(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, 5.0, 0.1));
  GENC_TRACE(rt, "y", genc_normal(ctx, 0.0, 1.0));
  return x;
}

static void test_keep_control_flow(void **state) {
  genc_ctx *ctx = ((fixture *)*state)->ctx;
  static int lt_flag = 1;
  genc_gf *gn = genc_gf_dynamic("neg", neg, 1, NULL), *gp = genc_gf_dynamic("pos", pos, 1, NULL);
  genc_gf *gl = genc_gf_dynamic("lt", neg, 1, &lt_flag);
  genc_gf *sw = genc_switch("swcf", 2, (genc_gf *[]){gn, gp});
  genc_gf *sl = genc_switch("swlt", 2, (genc_gf *[]){gl, gp});
  int32_t zero = 0, one = 1;
  genc_array *m = genc_scalar(ctx, 0.0);
  genc_trace *t = genc_gf_simulate(ctx, sw, (genc_array *[]){idx_of(ctx, 0, &one), m},
                                   genc_key_from_seed(40), 0);
  T_OK(ctx, t);
  double x = cm_at(ctx, genc_trace_choices(ctx, t), "x");
  double y = cm_at(ctx, genc_trace_choices(ctx, t), "y");
  genc_array *w = NULL;
  genc_choicemap *disc = NULL;
  genc_trace *u = genc_gf_update(ctx, t, (genc_array *[]){idx_of(ctx, 0, &zero), m}, NULL, NULL,
                                 genc_key_from_seed(41), &w, &disc);
  T_OK(ctx, u);
  T_CLOSE(cm_at(ctx, genc_trace_choices(ctx, u), "x"), x, 0);
  T_CLOSE(cm_at(ctx, genc_trace_choices(ctx, u), "y"), y, 0);
  T_CLOSE(t_item(ctx, w),
          normal_lp(x, -5, 0.1) + normal_lp(y, x, 1) - normal_lp(x, 5, 0.1) - normal_lp(y, 0, 1),
          1e-9);
  assert_true(genc_choicemap_is_empty(disc));
  genc_trace *tl = genc_gf_simulate(ctx, sl, (genc_array *[]){idx_of(ctx, 0, &one), m},
                                    genc_key_from_seed(40), 0);
  T_OK(ctx, tl);
  genc_trace *ul = genc_gf_update(ctx, tl, (genc_array *[]){idx_of(ctx, 0, &zero), m}, NULL, NULL,
                                  genc_key_from_seed(41), &w, NULL);
  t_expect_error(ctx, (genc_array *)ul, GENC_ERR_ADDRESS, "lt", "changes which addresses");
  genc_trace_release(tl);
  genc_choicemap_free(disc);
  genc_trace_release(u);
  genc_trace_release(t);
  genc_gf_release(sw);
  genc_gf_release(sl);
  genc_gf_release(gn);
  genc_gf_release(gp);
  genc_gf_release(gl);
}

/* Per particle @p i, the batched discard @p bd holds the single one's values. */
static void same_discard(genc_ctx *ctx, const genc_choicemap *bd, const genc_choicemap *sd, int i) {
  const char *addrs[3] = {"x", "y", "z"};
  for (int a = 0; a < 3; a++)
    if (genc_choicemap_has(sd, genc_sym_intern(addrs[a]))) {
      assert_true(genc_choicemap_has(bd, genc_sym_intern(addrs[a])));
      T_CLOSE(t_at(ctx, genc_choicemap_get_str(ctx, bd, addrs[a]), i), cm_at(ctx, sd, addrs[a]), 0);
    }
}

/* A batched update that moves particles between branches equals single
 * updates of the particles with their keys (trace, weight, score, discard
 * values), with x constrained and with no constraints (moves keep x). */
static void test_vectorized_update(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  int32_t i0[5] = {0, 1, 1, 0, 1}, i1[5] = {1, 1, 0, 0, 0};
  genc_array *a0[2] = {idx_of(ctx, 5, i0), f->m}, *a1[2] = {idx_of(ctx, 5, i1), f->m};
  genc_key key = genc_key_from_seed(8);
  genc_trace *bt = genc_gf_simulate(ctx, f->sw, a0, genc_key_from_seed(7), 5);
  T_OK(ctx, bt);
  genc_choicemap *cx = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, cx, GENC_SYM("x"), genc_scalar(ctx, -0.2));
  for (int c = 0; c < 2; c++) {
    genc_choicemap *cons = c ? NULL : cx, *bd = NULL;
    genc_array *w = NULL;
    genc_trace *u = genc_gf_update(ctx, bt, a1, NULL, cons, key, &w, &bd);
    T_OK(ctx, u);
    for (int i = 0; i < 5; i++) {
      genc_trace *p = genc_trace_particle(ctx, bt, i);
      genc_array *pa[2], *ws = NULL;
      genc_choicemap *sd = NULL;
      gl_part_args(ctx, 2, a1, i, pa);
      genc_trace *us = genc_gf_update(ctx, p, pa, NULL, cons, genc_key_particle(key, i), &ws, &sd);
      T_OK(ctx, us);
      genc_trace *up = genc_trace_particle(ctx, u, i);
      T_OK(ctx, up);
      assert_true(
          genc_choicemap_equal(ctx, genc_trace_choices(ctx, us), genc_trace_choices(ctx, up)));
      T_CLOSE(t_at(ctx, w, i), t_item(ctx, ws), 1e-12);
      T_CLOSE(t_at(ctx, genc_trace_score(u), i), t_item(ctx, genc_trace_score(us)), 1e-12);
      same_discard(ctx, bd, sd, i);
      if (c == 1 && i0[i] != i1[i]) /* a move keeps x */
        T_CLOSE(cm_at(ctx, genc_trace_choices(ctx, us), "x"),
                cm_at(ctx, genc_trace_choices(ctx, p), "x"), 0);
      genc_choicemap_free(sd);
      genc_trace_release(p);
      genc_trace_release(us);
      genc_trace_release(up);
    }
    genc_choicemap_free(bd);
    genc_trace_release(u);
  }
  genc_choicemap_free(cx);
  genc_trace_release(bt);
}

/* Batched regenerate moving particles between branches equals single
 * regenerates; resampling (take) keeps each particle's branch. */
static void test_vectorized_regenerate(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  int32_t i0[4] = {0, 1, 1, 0}, i1[4] = {1, 1, 0, 0};
  genc_array *a0[2] = {idx_of(ctx, 4, i0), f->m}, *a1[2] = {idx_of(ctx, 4, i1), f->m};
  genc_key key = genc_key_from_seed(18);
  genc_trace *bt = genc_gf_simulate(ctx, f->sw, a0, genc_key_from_seed(17), 4);
  T_OK(ctx, bt);
  genc_array *w = NULL;
  genc_trace *r = genc_gf_regenerate(ctx, bt, a1, NULL, f->selx, key, &w);
  T_OK(ctx, r);
  for (int i = 0; i < 4; i++) {
    genc_trace *p = genc_trace_particle(ctx, bt, i);
    genc_array *pa[2], *ws = NULL;
    gl_part_args(ctx, 2, a1, i, pa);
    genc_trace *rs = genc_gf_regenerate(ctx, p, pa, NULL, f->selx, genc_key_particle(key, i), &ws);
    genc_trace *rp = genc_trace_particle(ctx, r, i);
    T_OK(ctx, rs);
    T_OK(ctx, rp);
    assert_true(
        genc_choicemap_equal(ctx, genc_trace_choices(ctx, rs), genc_trace_choices(ctx, rp)));
    T_CLOSE(t_at(ctx, w, i), t_item(ctx, ws), 1e-12);
    genc_trace_release(p);
    genc_trace_release(rs);
    genc_trace_release(rp);
  }
  int32_t idx[3] = {1, 1, 3};
  int64_t three = 3;
  genc_trace *tk = genc_trace_take(ctx, r, genc_array_from(ctx, GENC_I32, 1, &three, 0, idx));
  T_OK(ctx, tk);
  for (int j = 0; j < 3; j++) {
    genc_trace *a = genc_trace_particle(ctx, tk, j), *b = genc_trace_particle(ctx, r, idx[j]);
    assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, a), genc_trace_choices(ctx, b)));
    T_CLOSE(t_item(ctx, genc_trace_score(a)), t_item(ctx, genc_trace_score(b)), 0);
    genc_trace_release(a);
    genc_trace_release(b);
  }
  genc_trace_release(tk);
  genc_trace_release(r);
  genc_trace_release(bt);
}

/* Choice gradients come from the table (a tape over assess): branch a's
 * d score / dx = -(x - m) + (y - x) / 0.25. */
static void test_gradients(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  int32_t zero = 0;
  genc_trace *t = genc_gf_simulate(ctx, f->sw, (genc_array *[]){idx_of(ctx, 0, &zero), f->m},
                                   genc_key_from_seed(12), 0);
  T_OK(ctx, t);
  genc_choicemap *grads = NULL;
  T_OK(ctx, !genc_gf_choice_gradients(ctx, t, f->selx, NULL, &grads));
  double x = t_item(ctx, genc_trace_get(ctx, t, GENC_PATH(GENC_SYM("x"))));
  double y = t_item(ctx, genc_trace_get(ctx, t, GENC_PATH(GENC_SYM("y"))));
  T_CLOSE(t_item(ctx, genc_choicemap_lookup(grads, GENC_SYM("x"))), -(x - 0.5) + (y - x) / 0.25,
          1e-12);
  genc_choicemap_free(grads);
  genc_trace_release(t);
}

static void test_errors(void **state) {
  fixture *f = *state;
  int32_t two = 2;
  genc_trace *t = genc_gf_simulate(f->ctx, f->sw, (genc_array *[]){idx_of(f->ctx, 0, &two), f->m},
                                   genc_key_from_seed(1), 0);
  t_expect_error(f->ctx, (genc_array *)t, GENC_ERR_ARG, "sw", "out of range");
  t = genc_gf_simulate(f->ctx, f->sw, (genc_array *[]){f->m, f->m}, genc_key_from_seed(1), 0);
  t_expect_error(f->ctx, (genc_array *)t, GENC_ERR_ARG, "sw", "branch index");
  assert_null(genc_switch("bad", 0, NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_laws_single),
      cmocka_unit_test(test_laws_batched),
      cmocka_unit_test(test_index_change),
      cmocka_unit_test(test_genjl_keep),
      cmocka_unit_test(test_keep_control_flow),
      cmocka_unit_test(test_vectorized_update),
      cmocka_unit_test(test_vectorized_regenerate),
      cmocka_unit_test(test_gradients),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
