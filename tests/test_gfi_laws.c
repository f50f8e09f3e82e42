/* GFI laws (docs/gfi.md) checked on five models, plus
 * batched runs against single-trace runs with the particles' keys. */
#include "gfi_models.h"

typedef struct fixture {
  genc_ctx *ctx;
  genc_gf *scalar, *vector, *inner, *spliced, *mid, *top, *branch;
  genc_array *xs;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->ctx = t_ctx();
  f->scalar = genc_gf_dynamic("scalar", m_scalar, 0, NULL);
  f->vector = genc_gf_dynamic("vector", m_vector, 1, NULL);
  f->inner = genc_gf_dynamic("inner", m_inner, 1, NULL);
  f->spliced = genc_gf_dynamic("spliced", m_spliced, 0, f->inner);
  f->mid = genc_gf_dynamic("mid", m_mid, 1, f->inner);
  f->top = genc_gf_dynamic("top", m_top, 0, f->mid);
  f->branch = genc_gf_dynamic("branch", m_branch, 0, NULL);
  double xs[4] = {-1, 0, 0.5, 2};
  f->xs = genc_array_vec(f->ctx, 4, xs);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  genc_gf *g[] = {f->scalar, f->vector, f->inner, f->spliced, f->mid, f->top, f->branch};
  for (size_t i = 0; i < sizeof g / sizeof *g; i++)
    genc_gf_release(g[i]);
  genc_ctx_free(f->ctx);
  free(f);
  return 0;
}

/* Every law that holds for any model and any trace, at one seed. Values are
 * compared to 1e-12 relative: both sides sum the same log densities, possibly
 * in a different order. */
static void check_laws(genc_ctx *ctx, genc_gf *gf, genc_array *const *args, uint64_t seed) {
  int64_t mark = genc_scope_begin(ctx);
  genc_key key = genc_key_from_seed(seed);
  genc_trace *t = genc_gf_simulate(ctx, gf, args, key, 0);
  T_OK(ctx, t);
  double score = t_item(ctx, genc_trace_score(t));
  const genc_choicemap *cm = genc_trace_choices(ctx, t);
  T_OK(ctx, cm);

  /* generate with all choices == assess == score */
  genc_array *w = NULL;
  genc_trace *g = genc_gf_generate(ctx, gf, args, cm, genc_key_from_seed(seed + 1), 0, &w);
  T_OK(ctx, g);
  T_CLOSE(t_item(ctx, w), score, 1e-12);
  genc_array *a = genc_gf_assess(ctx, gf, args, cm, NULL);
  T_OK(ctx, a);
  T_CLOSE(t_item(ctx, a), score, 1e-12);
  assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, g), cm));
  genc_trace_release(g);

  /* generate with no constraints: weight 0 */
  g = genc_gf_generate(ctx, gf, args, NULL, key, 0, &w);
  T_OK(ctx, g);
  assert_true(t_item(ctx, w) == 0.0);
  genc_trace_release(g);

  /* update with nothing new: weight 0, same trace (fast path, and through the body) */
  genc_choicemap *disc = NULL;
  genc_trace *u = genc_gf_update(ctx, t, NULL, NULL, NULL, key, &w, &disc);
  T_OK(ctx, u);
  assert_ptr_equal(u, t);
  assert_true(t_item(ctx, w) == 0.0);
  assert_true(genc_choicemap_is_empty(disc));
  genc_choicemap_free(disc);
  genc_trace_release(u);
  genc_choicemap *empty = genc_choicemap_new(ctx);
  u = genc_gf_update(ctx, t, args ? args : (genc_array *const[]){NULL}, NULL, empty, key, &w, NULL);
  T_OK(ctx, u);
  T_CLOSE(t_item(ctx, w), 0.0, 1e-12);
  assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, u), cm));
  T_CLOSE(t_item(ctx, genc_trace_score(u)), score, 1e-12);
  genc_trace_release(u);

  /* regenerate with the empty selection: weight 0 (fast path and through the body) */
  genc_trace *r = genc_gf_regenerate(ctx, t, NULL, NULL, genc_selection_none(), key, &w);
  T_OK(ctx, r);
  assert_true(t_item(ctx, w) == 0.0);
  genc_trace_release(r);
  r = genc_gf_regenerate(ctx, t, args ? args : (genc_array *const[]){NULL}, NULL,
                         genc_selection_none(), key, &w);
  T_OK(ctx, r);
  T_CLOSE(t_item(ctx, w), 0.0, 1e-12);
  assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, r), cm));
  genc_trace_release(r);

  /* project(all) = score, project(none) = 0 */
  T_CLOSE(t_item(ctx, genc_gf_project(ctx, t, genc_selection_all())), score, 1e-12);
  assert_true(t_item(ctx, genc_gf_project(ctx, t, genc_selection_none())) == 0.0);

  /* update weight = new score - old score when every changed choice is constrained:
   * constrain every choice of a fresh simulation (all of them change) */
  genc_trace *t2 = genc_gf_simulate(ctx, gf, args, genc_key_from_seed(seed + 7), 0);
  T_OK(ctx, t2);
  u = genc_gf_update(ctx, t, NULL, NULL, genc_trace_choices(ctx, t2), key, &w, &disc);
  T_OK(ctx, u);
  double s2 = t_item(ctx, genc_trace_score(t2));
  T_CLOSE(t_item(ctx, genc_trace_score(u)), s2, 1e-12);
  T_CLOSE(t_item(ctx, w), s2 - score, 1e-12);
  genc_choicemap_free(disc);
  genc_trace_release(u);
  genc_trace_release(t2);

  /* propose: weight = score of its choices */
  genc_array *pw = NULL;
  genc_choicemap *pc = genc_gf_propose(ctx, gf, args, key, 0, &pw, NULL);
  T_OK(ctx, pc);
  T_CLOSE(t_item(ctx, pw), score, 1e-12); /* same key: same choices as t */
  genc_choicemap_free(pc);

  genc_choicemap_free(empty);
  genc_trace_release(t);
  genc_scope_end(ctx, mark);
}

/* Particle i of a batched simulate/generate equals the single run with key_particle(key, i). */
static void check_batched(genc_ctx *ctx, genc_gf *gf, genc_array *const *args, uint64_t seed) {
  int64_t mark = genc_scope_begin(ctx);
  const int n = 5;
  genc_key key = genc_key_from_seed(seed);
  genc_trace *bt = genc_gf_simulate(ctx, gf, args, key, n);
  T_OK(ctx, bt);
  assert_int_equal(genc_trace_nparticles(bt), n);
  assert_int_equal(genc_array_nparticles(genc_trace_score(bt)), n);
  for (int i = 0; i < n; i++) {
    genc_trace *s = genc_gf_simulate(ctx, gf, args, genc_key_particle(key, (uint32_t)i), 0);
    genc_trace *p = genc_trace_particle(ctx, bt, i);
    T_OK(ctx, s);
    T_OK(ctx, p);
    assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, s), genc_trace_choices(ctx, p)));
    T_CLOSE(t_item(ctx, genc_trace_score(p)), t_item(ctx, genc_trace_score(s)), 1e-12);
    T_CLOSE(t_at(ctx, genc_trace_score(bt), i), t_item(ctx, genc_trace_score(s)), 1e-12);
    genc_trace_release(s);
    genc_trace_release(p);
  }
  /* batched generate constrained by particle 0's choices: weight = score per particle */
  genc_trace *p0 = genc_trace_particle(ctx, bt, 0);
  genc_array *w = NULL;
  genc_trace *g = genc_gf_generate(ctx, gf, args, genc_trace_choices(ctx, p0), key, n, &w);
  T_OK(ctx, g);
  for (int i = 0; i < n; i++)
    T_CLOSE(t_at(ctx, w, i), t_item(ctx, genc_trace_score(p0)), 1e-12);
  /* batched regenerate of everything equals single regenerates of the particles */
  genc_key k2 = genc_key_from_seed(seed + 3);
  genc_trace *r = genc_gf_regenerate(ctx, bt, args, NULL, genc_selection_all(), k2, &w);
  T_OK(ctx, r);
  for (int i = 0; i < n; i++) {
    genc_trace *p = genc_trace_particle(ctx, bt, i);
    genc_array *ws = NULL;
    genc_trace *rs =
        genc_gf_regenerate(ctx, p, args, NULL, genc_selection_all(), genc_key_particle(k2, i), &ws);
    T_OK(ctx, rs);
    genc_trace *rp = genc_trace_particle(ctx, r, i);
    assert_true(
        genc_choicemap_equal(ctx, genc_trace_choices(ctx, rs), genc_trace_choices(ctx, rp)));
    T_CLOSE(t_at(ctx, w, i), t_item(ctx, ws), 1e-12);
    genc_trace_release(p);
    genc_trace_release(rs);
    genc_trace_release(rp);
  }
  /* resampling: take particles [4, 4, 0] */
  int32_t idx[3] = {4, 4, 0};
  int64_t three = 3;
  genc_trace *tk = genc_trace_take(ctx, bt, genc_array_from(ctx, GENC_I32, 1, &three, 0, idx));
  T_OK(ctx, tk);
  assert_int_equal(genc_trace_nparticles(tk), 3);
  T_CLOSE(t_at(ctx, genc_trace_score(tk), 1), t_at(ctx, genc_trace_score(bt), 4), 0);
  T_CLOSE(t_at(ctx, genc_trace_score(tk), 2), t_at(ctx, genc_trace_score(bt), 0), 0);
  genc_trace_release(tk);
  genc_trace_release(r);
  genc_trace_release(g);
  genc_trace_release(p0);
  genc_trace_release(bt);
  genc_scope_end(ctx, mark);
}

static void test_scalar(void **state) {
  fixture *f = *state;
  for (uint64_t s = 1; s <= 3; s++)
    check_laws(f->ctx, f->scalar, NULL, s);
  check_batched(f->ctx, f->scalar, NULL, 11);
}

static void test_vector(void **state) {
  fixture *f = *state;
  for (uint64_t s = 1; s <= 3; s++)
    check_laws(f->ctx, f->vector, &f->xs, s);
  check_batched(f->ctx, f->vector, &f->xs, 12);
}

static void test_spliced(void **state) {
  fixture *f = *state;
  for (uint64_t s = 1; s <= 3; s++)
    check_laws(f->ctx, f->spliced, NULL, s);
  check_batched(f->ctx, f->spliced, NULL, 13);
}

static void test_nested3(void **state) {
  fixture *f = *state;
  for (uint64_t s = 1; s <= 3; s++)
    check_laws(f->ctx, f->top, NULL, s);
  check_batched(f->ctx, f->top, NULL, 14);
  /* the deepest choice lives at mid/leaf/w */
  genc_trace *t = genc_gf_simulate(f->ctx, f->top, NULL, genc_key_from_seed(5), 0);
  T_OK(f->ctx,
       genc_trace_get(f->ctx, t, GENC_PATH(GENC_SYM("mid"), GENC_SYM("leaf"), GENC_SYM("w"))));
  genc_trace_release(t);
}

static void test_branch(void **state) {
  fixture *f = *state;
  /* seeds chosen to cover both branches (checked below) */
  bool seen[2] = {false, false};
  for (uint64_t s = 1; s <= 8; s++) {
    check_laws(f->ctx, f->branch, NULL, s);
    genc_trace *t = genc_gf_simulate(f->ctx, f->branch, NULL, genc_key_from_seed(s), 0);
    seen[genc_choicemap_has(genc_trace_choices(f->ctx, t), GENC_SYM("x"))] = true;
    genc_trace_release(t);
  }
  assert_true(seen[0] && seen[1]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scalar),  cmocka_unit_test(test_vector), cmocka_unit_test(test_spliced),
      cmocka_unit_test(test_nested3), cmocka_unit_test(test_branch),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
