/* Layer 2: selections: all/none/sets/hierarchical, set algebra (De Morgan,
 * absorption, ...) checked at every address of a small universe, the
 * subselection law, choice-map filtering, printing, errors. */
#include "testutil.h"

#define S(name) GENC_SYM(name)

/* The universe the laws are checked on: every path of length 0..3 over these
 * components (1 + 5 + 25 + 125 = 156 addresses). */
#define NC 5
static genc_comp comps[NC];

static void init_comps(void) {
  comps[0] = S("a");
  comps[1] = S("b");
  comps[2] = S("c");
  comps[3] = 0;
  comps[4] = 1;
}

/* Calls f on every path of the universe; returns false at the first failure. */
static bool all_paths(bool (*f)(const genc_comp *p, int len, void *u), void *u) {
  genc_comp p[3] = {0};
  if (!f(p, 0, u)) return false;
  for (int i = 0; i < NC; i++) {
    p[0] = comps[i];
    if (!f(p, 1, u)) return false;
    for (int j = 0; j < NC; j++) {
      p[1] = comps[j];
      if (!f(p, 2, u)) return false;
      for (int k = 0; k < NC; k++) {
        p[2] = comps[k];
        if (!f(p, 3, u)) return false;
      }
    }
  }
  return true;
}

/* A deterministic pseudo-random selection built from sets, hierarchical
 * parts and the three operators (xorshift, fixed seed). */
static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static genc_selection *random_set(genc_ctx *ctx, int depth) {
  genc_selection *s = genc_selection_new(ctx);
  int n = (int)(next() % 4);
  for (int i = 0; i < n; i++) {
    genc_comp p[3] = {0};
    int len = 1 + (int)(next() % 3);
    for (int j = 0; j < len; j++)
      p[j] = comps[next() % NC];
    if (depth > 0 && next() % 3 == 0) {
      genc_selection *sub = random_set(ctx, depth - 1);
      assert_int_equal(genc_selection_add_sub(ctx, s, p, len, sub), GENC_OK);
      genc_selection_release(sub);
    } else {
      assert_int_equal(genc_selection_add_path(ctx, s, p, len), GENC_OK);
    }
  }
  return s;
}

static genc_selection *random_sel(genc_ctx *ctx, int depth) {
  uint64_t r = next() % 8;
  if (depth == 0 || r < 3) return random_set(ctx, 1);
  if (r == 3) return next() % 2 ? genc_selection_all() : genc_selection_none();
  genc_selection *x = random_sel(ctx, depth - 1), *y = NULL, *res;
  if (r == 4)
    res = genc_selection_complement(ctx, x);
  else {
    y = random_sel(ctx, depth - 1);
    res = r % 2 ? genc_selection_union(ctx, x, y) : genc_selection_intersection(ctx, x, y);
  }
  genc_selection_release(x);
  genc_selection_release(y);
  return res;
}

typedef struct {
  genc_ctx *ctx;
  genc_selection *a, *b, *x, *y;
} pair;

static bool has(const genc_selection *s, const genc_comp *p, int len) {
  return genc_selection_has_path(s, p, len);
}

/* De Morgan, complement, union/intersection definitions, at one address. */
static bool laws_at(const genc_comp *p, int len, void *u) {
  pair *q = u;
  genc_ctx *ctx = q->ctx;
  bool a = has(q->a, p, len), b = has(q->b, p, len);
  genc_selection *na = genc_selection_complement(ctx, q->a);
  genc_selection *nb = genc_selection_complement(ctx, q->b);
  genc_selection *u_ = genc_selection_union(ctx, q->a, q->b);
  genc_selection *i_ = genc_selection_intersection(ctx, q->a, q->b);
  genc_selection *nu = genc_selection_complement(ctx, u_);
  genc_selection *ni = genc_selection_complement(ctx, i_);
  genc_selection *na_i_nb = genc_selection_intersection(ctx, na, nb);
  genc_selection *na_u_nb = genc_selection_union(ctx, na, nb);
  bool ok = has(na, p, len) == !a && has(u_, p, len) == (a || b) && has(i_, p, len) == (a && b) &&
            has(nu, p, len) == has(na_i_nb, p, len) && has(ni, p, len) == has(na_u_nb, p, len);
  genc_selection *all[] = {na, nb, u_, i_, nu, ni, na_i_nb, na_u_nb};
  for (int k = 0; k < 8; k++)
    genc_selection_release(all[k]);
  return ok;
}

/* has(s, c ++ q) == has(sub(s, c), q) for every c and q in the universe. */
static bool sub_law_at(const genc_comp *p, int len, void *u) {
  pair *q = u;
  if (len == 0) return true;
  genc_selection *sub = genc_selection_sub(q->ctx, q->a, p[0]);
  bool ok = sub && has(q->a, p, len) == has(sub, p + 1, len - 1);
  genc_selection_release(sub);
  return ok;
}

/* is_none / is_all are never wrong when they answer true. */
static bool not_none_at(const genc_comp *p, int len, void *u) { return !has(u, p, len); }
static bool not_all_at(const genc_comp *p, int len, void *u) { return has(u, p, len); }

static void test_laws(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  init_comps();
  for (int trial = 0; trial < 40; trial++) {
    pair q = {ctx, random_sel(ctx, 3), random_sel(ctx, 3), NULL, NULL};
    T_OK(ctx, q.a);
    T_OK(ctx, q.b);
    if (!all_paths(laws_at, &q)) fail_msg("set-algebra law broken in trial %d", trial);
    if (!all_paths(sub_law_at, &q)) fail_msg("subselection law broken in trial %d", trial);
    if (genc_selection_is_none(q.a) && !all_paths(not_none_at, q.a))
      fail_msg("is_none wrong in trial %d", trial);
    if (genc_selection_is_all(q.a) && !all_paths(not_all_at, q.a))
      fail_msg("is_all wrong in trial %d", trial);
    genc_selection_release(q.a);
    genc_selection_release(q.b);
  }
  genc_ctx_free(ctx);
}

static void test_basic(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_selection *all = genc_selection_all(), *none = genc_selection_none();
  assert_true(genc_selection_has(all, S("x")));
  assert_true(genc_selection_has_path(all, NULL, 0));
  assert_false(genc_selection_has(none, S("x")));
  assert_false(genc_selection_has(NULL, S("x")));
  assert_true(genc_selection_is_all(all) && genc_selection_is_none(none));
  genc_selection_release(all); /* static: no-op */
  genc_selection *s = genc_selection_new(ctx);
  assert_true(genc_selection_is_none(s));
  assert_int_equal(genc_selection_add(ctx, s, S("slope")), GENC_OK);
  assert_int_equal(genc_selection_add_path(ctx, s, GENC_PATH(S("y"), 3)), GENC_OK);
  assert_false(genc_selection_is_none(s) || genc_selection_is_all(s));
  assert_true(genc_selection_has(s, S("slope")));
  assert_true(genc_selection_has_path(s, GENC_PATH(S("slope"), 0))); /* below is selected */
  assert_false(genc_selection_has(s, S("y")));                       /* only y/3 is */
  assert_true(genc_selection_has_path(s, GENC_PATH(S("y"), 3)));
  assert_false(genc_selection_has_path(s, GENC_PATH(S("y"), 2)));
  assert_false(genc_selection_has(s, S("intercept")));
  /* subselections: all below a selected address, none off the set (Gen.jl) */
  genc_selection *ss = genc_selection_sub(ctx, s, S("slope"));
  genc_selection *sy = genc_selection_sub(ctx, s, S("y"));
  genc_selection *so = genc_selection_sub(ctx, s, S("other"));
  assert_ptr_equal(ss, genc_selection_all());
  assert_ptr_equal(so, genc_selection_none());
  assert_true(genc_selection_has(sy, 3) && !genc_selection_has(sy, 4));
  genc_selection_release(sy);
  /* hierarchical: below "model", select what an inner selection does */
  genc_selection *inner = genc_selection_new(ctx);
  genc_selection_add(ctx, inner, S("z"));
  genc_selection *h = genc_selection_new(ctx);
  assert_int_equal(genc_selection_add_sub(ctx, h, GENC_PATH(S("model")), inner), GENC_OK);
  genc_selection_release(inner); /* h holds its own reference */
  assert_true(genc_selection_has_path(h, GENC_PATH(S("model"), S("z"))));
  assert_false(genc_selection_has(h, S("model")));
  assert_false(genc_selection_has_path(h, GENC_PATH(S("model"), S("w"))));
  /* adding the whole address afterwards selects all of it */
  genc_selection_add(ctx, h, S("model"));
  assert_true(genc_selection_has_path(h, GENC_PATH(S("model"), S("w"))));
  /* len 0 selects everything */
  genc_selection *e = genc_selection_new(ctx);
  genc_selection_add_path(ctx, e, NULL, 0);
  assert_true(genc_selection_is_all(e));
  genc_selection *ne = genc_selection_complement(ctx, e);
  assert_ptr_equal(ne, genc_selection_none()); /* simplified, no allocation */
  genc_selection *cs = genc_selection_complement(ctx, s);
  genc_selection *nn = genc_selection_complement(ctx, cs);
  assert_ptr_equal(nn, s); /* !!s simplifies to s */
  genc_selection_release(nn);
  genc_selection_release(cs);
  genc_selection_release(s);
  genc_selection_release(h);
  genc_selection_release(e);
  genc_ctx_free(ctx);
}

static void test_errors(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  assert_int_equal(genc_selection_add(ctx, genc_selection_all(), S("a")), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "genc_selection_new"));
  assert_int_equal(genc_selection_add(ctx, NULL, S("a")), GENC_ERR_ARG);
  genc_selection *s = genc_selection_new(ctx);
  assert_int_equal(genc_selection_add(ctx, s, GENC_COMP_INVALID), GENC_ERR_ADDRESS);
  assert_int_equal(genc_selection_add_sub(ctx, s, GENC_PATH(S("a")), NULL), GENC_ERR_ARG);
  genc_comp deep[GENC_ADDR_MAX + 1] = {0};
  assert_int_equal(genc_selection_add_path(ctx, s, deep, GENC_ADDR_MAX + 1), GENC_ERR_ADDRESS);
  assert_null(genc_selection_union(ctx, s, NULL));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ARG);
  assert_null(genc_selection_complement(ctx, NULL));
  genc_selection_release(s);
  genc_ctx_free(ctx);
}

static void test_choicemaps(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_choicemap *cm = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, cm, S("slope"), genc_scalar(ctx, 1));
  genc_choicemap_set_path(ctx, cm, GENC_PATH(S("y"), 0), genc_scalar(ctx, 2));
  genc_choicemap_set_path(ctx, cm, GENC_PATH(S("y"), 1), genc_scalar(ctx, 3));
  genc_choicemap_set_path(ctx, cm, GENC_PATH(S("m"), S("k"), 4), genc_scalar(ctx, 4));
  genc_selection *fc = genc_selection_from_choicemap(ctx, cm);
  assert_true(genc_selection_has(fc, S("slope")));
  assert_true(genc_selection_has_path(fc, GENC_PATH(S("y"), 1)));
  assert_false(genc_selection_has_path(fc, GENC_PATH(S("y"), 2)));
  assert_false(genc_selection_has(fc, S("y")));
  /* filter(all) == cm, filter(none) empty, filter(from_choicemap(cm)) == cm */
  genc_choicemap *fa = genc_choicemap_filter(ctx, cm, genc_selection_all());
  genc_choicemap *fn = genc_choicemap_filter(ctx, cm, genc_selection_none());
  genc_choicemap *ff = genc_choicemap_filter(ctx, cm, fc);
  assert_true(genc_choicemap_equal(ctx, fa, cm));
  assert_true(genc_choicemap_is_empty(fn));
  assert_true(genc_choicemap_equal(ctx, ff, cm));
  /* a selection and its complement split the map: their filters are disjoint
   * and merge back to it */
  genc_selection *s = genc_selection_new(ctx);
  genc_selection_add_path(ctx, s, GENC_PATH(S("y"), 1));
  genc_selection_add_path(ctx, s, GENC_PATH(S("m"), S("k")));
  genc_selection *ns = genc_selection_complement(ctx, s);
  genc_choicemap *f1 = genc_choicemap_filter(ctx, cm, s);
  genc_choicemap *f2 = genc_choicemap_filter(ctx, cm, ns);
  assert_int_equal(genc_choicemap_num_values(f1), 2);
  assert_int_equal(genc_choicemap_num_values(f2), 2);
  assert_true(genc_choicemap_has_path(f1, GENC_PATH(S("m"), S("k"), 4)));
  assert_true(genc_choicemap_has(f2, S("slope")));
  genc_choicemap *back = genc_choicemap_merge(ctx, f1, f2, GENC_MERGE_DISJOINT);
  T_OK(ctx, back);
  assert_true(genc_choicemap_equal(ctx, back, cm));
  genc_choicemap *maps[] = {cm, fa, fn, ff, f1, f2, back};
  for (int i = 0; i < 7; i++)
    genc_choicemap_free(maps[i]);
  genc_selection_release(fc);
  genc_selection_release(s);
  genc_selection_release(ns);
  genc_ctx_free(ctx);
}

static void test_format(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  char buf[128];
  genc_selection *s = genc_selection_new(ctx), *t = genc_selection_new(ctx);
  genc_selection_add(ctx, s, S("a"));
  genc_selection_add_path(ctx, s, GENC_PATH(S("y"), 3));
  genc_selection_add(ctx, t, S("b"));
  genc_selection_format(s, buf, sizeof buf);
  assert_string_equal(buf, "{a, y: {3}}");
  genc_selection *u = genc_selection_union(ctx, s, t);
  genc_selection *n = genc_selection_complement(ctx, u);
  genc_selection *i = genc_selection_intersection(ctx, n, s);
  genc_selection_format(i, buf, sizeof buf);
  assert_string_equal(buf, "(!(({a, y: {3}} | {b})) & {a, y: {3}})");
  genc_selection_format(genc_selection_all(), buf, sizeof buf);
  assert_string_equal(buf, "all");
  genc_selection *all[] = {s, t, u, n, i};
  for (int k = 0; k < 5; k++)
    genc_selection_release(all[k]);
  genc_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basic),  cmocka_unit_test(test_laws),
      cmocka_unit_test(test_errors), cmocka_unit_test(test_choicemaps),
      cmocka_unit_test(test_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
