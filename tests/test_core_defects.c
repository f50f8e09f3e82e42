/* Regression tests for the layer-2 defects found by bad-input probes (issue 8):
 * deep nesting (no C-stack recursion), quadratic removal, aliasing in the map
 * algebra, string addresses, and NULL arguments. Each test runs well under a
 * second in a Release build. */
#include "testutil.h"

#define S(name) genc_sym_intern(name)
#define DEEP 30000

static genc_array *sc(genc_ctx *ctx, double v) {
  genc_array *a = genc_scalar(ctx, v);
  T_OK(ctx, a);
  return a;
}

static double val(genc_ctx *ctx, const genc_array *a) {
  assert_non_null(a);
  return t_item(ctx, (genc_array *)a);
}

/* d/d/.../d (depth components) then v = 1, built bottom-up by moving each map
 * into a new parent (linear: set_submap is O(1)). */
static genc_choicemap *chain(genc_ctx *ctx, int depth) {
  genc_choicemap *cur = genc_choicemap_new(ctx);
  assert_int_equal(genc_choicemap_set(ctx, cur, S("v"), sc(ctx, 1)), GENC_OK);
  for (int i = 0; i < depth; i++) {
    genc_choicemap *p = genc_choicemap_new(ctx);
    assert_int_equal(genc_choicemap_set_submap(ctx, p, S("d"), cur), GENC_OK);
    cur = p;
  }
  return cur;
}

/* The deepest node of chain(): depth times down "d". */
static const genc_choicemap *bottom(const genc_choicemap *cm, int depth) {
  for (int i = 0; i < depth; i++)
    cm = genc_choicemap_submap(cm, S("d"));
  return cm;
}

static void test_deep_map_text(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  genc_choicemap *cm = chain(ctx, DEEP);
  genc_scope_end(ctx, mark);
  assert_int_equal(genc_choicemap_num_values(cm), 1);
  assert_false(genc_choicemap_is_empty(cm));
  /* text: headers d at depth 0..DEEP-1, then the value at depth DEEP; indent
   * stops growing at 32 levels and deeper lines name their depth */
  char *s = genc_choicemap_to_string(ctx, cm);
  T_OK(ctx, s);
  assert_true(strncmp(s, "d\n  d\n    d\n", 12) == 0);
  char want[256];
  snprintf(want, sizeof want, "%64s[depth %d] v = 1\n", "", DEEP);
  size_t n = strlen(s), w = strlen(want);
  assert_true(n > w && strcmp(s + n - w, want) == 0);
  snprintf(want, sizeof want, "\n%64s[depth 33] d\n", "");
  assert_non_null(strstr(s, want));
  size_t expect = 0; /* line lengths: indent + "[depth k] " past 32 + the rest */
  for (int k = 0; k <= DEEP; k++) {
    char tag[32];
    expect += 2 * (size_t)(k < 32 ? k : 32);
    expect += k > 32 ? (size_t)snprintf(tag, sizeof tag, "[depth %d] ", k) : 0;
    expect += k < DEEP ? 2 : 6; /* "d\n" or "v = 1\n" */
  }
  assert_int_equal(n, expect);
  assert_int_equal(genc_choicemap_format(ctx, cm, NULL, 0), (int)expect);
  free(s);
  /* JSON, exactly: {"d":{ ... "d":{"v":1}...} */
  s = genc_choicemap_to_json(ctx, cm, false);
  T_OK(ctx, s);
  size_t jl = 1 + 5 * (size_t)DEEP + 5 + (size_t)DEEP + 1;
  assert_int_equal(strlen(s), jl);
  assert_true(s[0] == '{');
  for (int k = 0; k < DEEP; k++)
    assert_true(memcmp(s + 1 + 5 * k, "\"d\":{", 5) == 0);
  assert_true(memcmp(s + 1 + 5 * DEEP, "\"v\":1", 5) == 0);
  for (size_t k = 6 + 5 * (size_t)DEEP; k < jl; k++)
    assert_true(s[k] == '}');
  free(s);
  s = genc_choicemap_to_json(ctx, cm, true); /* pretty: tabs stop at 32 levels */
  T_OK(ctx, s);
  memset(want, '\t', 33);
  want[0] = '\n';
  snprintf(want + 33, sizeof want - 33, "\"v\":\t1\n");
  assert_non_null(strstr(s, want));
  assert_true(s[strlen(s) - 1] == '}' && s[strlen(s) - 2] == '\n');
  free(s);
  genc_choicemap_free(cm);
}

static void test_deep_map_algebra(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  genc_choicemap *a = chain(ctx, DEEP);
  genc_choicemap *b = genc_choicemap_copy(ctx, a);
  T_OK(ctx, b);
  assert_true(genc_choicemap_equal(ctx, a, b));
  /* a different value at the bottom: unequal */
  genc_choicemap *bb = (genc_choicemap *)bottom(b, DEEP);
  assert_int_equal(genc_choicemap_set(ctx, bb, S("v"), sc(ctx, 2)), GENC_OK);
  assert_false(genc_choicemap_equal(ctx, a, b));
  /* merge: right wins at the bottom, a new sibling there joins */
  assert_int_equal(genc_choicemap_set(ctx, bb, S("w"), sc(ctx, 3)), GENC_OK);
  assert_int_equal(genc_choicemap_merge_into(ctx, a, b, GENC_MERGE_RIGHT), GENC_OK);
  T_CLOSE(val(ctx, genc_choicemap_lookup(bottom(a, DEEP), S("v"))), 2, 0);
  T_CLOSE(val(ctx, genc_choicemap_lookup(bottom(a, DEEP), S("w"))), 3, 0);
  assert_true(genc_choicemap_equal(ctx, a, b));
  assert_int_equal(genc_choicemap_merge_into(ctx, a, b, GENC_MERGE_DISJOINT), GENC_ERR_ADDRESS);
  assert_non_null(strstr(genc_ctx_error(ctx), "d/d/d/"));
  genc_ctx_clear_error(ctx);
  genc_choicemap *m = genc_choicemap_merge(ctx, a, NULL, GENC_MERGE_DISJOINT);
  T_OK(ctx, m);
  assert_int_equal(genc_choicemap_num_values(m), 2);
  /* filter by all, or by a complement, copies the whole chain */
  genc_choicemap *f = genc_choicemap_filter(ctx, a, genc_selection_all());
  assert_true(genc_choicemap_equal(ctx, f, a));
  genc_choicemap_free(f);
  genc_selection *x = genc_selection_new(ctx);
  genc_selection_add(ctx, x, S("zz"));
  genc_selection *nx = genc_selection_complement(ctx, x);
  f = genc_choicemap_filter(ctx, a, nx);
  T_OK(ctx, f);
  assert_true(genc_choicemap_equal(ctx, f, a));
  genc_choicemap_free(f);
  genc_selection_release(nx);
  genc_selection_release(x);
  /* removing the bottom value by its (deep) path prunes the emptied chain */
  genc_choicemap_remove(bb, S("w"));
  genc_comp *path = malloc((DEEP + 1) * sizeof *path);
  for (int i = 0; i < DEEP; i++)
    path[i] = S("d");
  path[DEEP] = S("v");
  assert_true(genc_choicemap_has_path(b, path, DEEP + 1));
  assert_true(genc_choicemap_remove_path(b, path, DEEP + 1));
  assert_int_equal(genc_choicemap_count(b), 0);
  free(path);
  genc_choicemap_free(m);
  genc_choicemap_free(b);
  genc_choicemap_free(a);
  genc_scope_end(ctx, mark);
}

/* A million levels, built top-down in place, freed without recursion. */
static void test_deep_free(void **state) {
  genc_ctx *ctx = *state;
  genc_choicemap *root = genc_choicemap_new(ctx), *cur = root;
  for (int i = 0; i < 1000000; i++) {
    cur = genc_choicemap_submap_mut(ctx, cur, genc_idx(i % 7));
    assert_non_null(cur);
  }
  int64_t mark = genc_scope_begin(ctx);
  assert_int_equal(genc_choicemap_set(ctx, cur, S("v"), sc(ctx, 5)), GENC_OK);
  genc_scope_end(ctx, mark);
  assert_int_equal(genc_choicemap_num_values(root), 1);
  genc_choicemap_free(root);
  assert_int_equal(genc_ctx_live_arrays(ctx), 0); /* the leaf was released */
}

/* 30,000 unions folded both ways, queried, sub-selected and released. */
static void test_deep_unions(void **state) {
  genc_ctx *ctx = *state;
  genc_selection *left = genc_selection_none(), *right = genc_selection_none();
  for (int i = 0; i < DEEP; i++) {
    genc_selection *x = genc_selection_new(ctx);
    assert_int_equal(genc_selection_add_path(ctx, x, GENC_PATH(genc_idx(i), S("y"))), GENC_OK);
    genc_selection *l = genc_selection_union(ctx, left, x);
    genc_selection *r = genc_selection_union(ctx, x, right);
    T_OK(ctx, l && r);
    genc_selection_release(left);
    genc_selection_release(right);
    genc_selection_release(x);
    left = l;
    right = r;
  }
  for (int k = 0; k < 2; k++) {
    genc_selection *u = k ? right : left;
    assert_true(genc_selection_has_path(u, GENC_PATH(0, S("y"))));
    assert_true(genc_selection_has_path(u, GENC_PATH(DEEP - 1, S("y"), 4)));
    assert_true(genc_selection_has_path(u, GENC_PATH(12345, S("y"))));
    assert_false(genc_selection_has_path(u, GENC_PATH(12345, S("z"))));
    assert_false(genc_selection_has(u, genc_idx(DEEP)));
    assert_false(genc_selection_is_none(u));
    assert_false(genc_selection_is_all(u));
    genc_selection *s = genc_selection_sub(ctx, u, genc_idx(777));
    T_OK(ctx, s);
    assert_true(genc_selection_has(s, S("y")));
    assert_false(genc_selection_has(s, S("q")));
    genc_selection_release(s);
    genc_selection *c = genc_selection_complement(ctx, u);
    assert_false(genc_selection_has_path(c, GENC_PATH(9, S("y"))));
    assert_true(genc_selection_has_path(c, GENC_PATH(9, S("q"))));
    genc_selection *i = genc_selection_intersection(ctx, u, c);
    assert_false(genc_selection_has_path(i, GENC_PATH(9, S("y"))));
    char buf[64];
    assert_true(genc_selection_format(u, buf, sizeof buf) > 0); /* deep parts print as ... */
    genc_selection_release(i);
    genc_selection_release(c);
  }
  genc_selection_release(left);
  genc_selection_release(right);
  /* 30,000 nested hierarchical selections: d/d/.../d selects all below */
  genc_selection *h = genc_selection_all();
  for (int i = 0; i < DEEP; i++) {
    genc_selection *p = genc_selection_new(ctx);
    assert_int_equal(genc_selection_add_sub(ctx, p, GENC_PATH(S("d")), h), GENC_OK);
    genc_selection_release(h);
    h = p;
  }
  assert_false(genc_selection_is_none(h)); /* walks all 30,000 levels */
  assert_false(genc_selection_is_all(h));
  assert_false(genc_selection_has_path(h, GENC_PATH(S("d"), S("d")))); /* selected only deeper */
  char buf[16];
  assert_true(genc_selection_format(h, buf, sizeof buf) > 64 * 4); /* cut at 64 levels */
  genc_selection_release(h);
}

/* d/d/.../d (depth) selecting everything below. */
static genc_selection *sel_chain(genc_ctx *ctx, int depth) {
  genc_selection *h = genc_selection_all();
  for (int i = 0; i < depth; i++) {
    genc_selection *p = genc_selection_new(ctx);
    assert_int_equal(genc_selection_add_sub(ctx, p, GENC_PATH(S("d")), h), GENC_OK);
    genc_selection_release(h);
    h = p;
  }
  return h;
}

/* filter keeps its recursion, bounded by GENC_RECURSION_MAX levels where the
 * selection stays partial. */
static void test_filter_depth(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  genc_choicemap *cm = chain(ctx, 500);
  genc_selection *h = sel_chain(ctx, 500);
  genc_choicemap *f = genc_choicemap_filter(ctx, cm, h);
  T_OK(ctx, f);
  assert_true(genc_choicemap_equal(ctx, f, cm));
  genc_choicemap_free(f);
  genc_selection_release(h);
  genc_choicemap_free(cm);
  cm = chain(ctx, GENC_RECURSION_MAX + 100);
  h = sel_chain(ctx, GENC_RECURSION_MAX + 100);
  assert_null(genc_choicemap_filter(ctx, cm, h));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "genc_choicemap_filter"));
  assert_non_null(strstr(genc_ctx_error(ctx), "GENC_RECURSION_MAX"));
  genc_ctx_clear_error(ctx);
  genc_selection_release(h);
  genc_choicemap_free(cm);
  genc_scope_end(ctx, mark);
}

/* 50,000 removals from 100,000 children: O(1) amortized each, order kept. */
static void test_many_removals(void **state) {
  genc_ctx *ctx = *state;
  genc_choicemap *cm = genc_choicemap_new(ctx);
  genc_array *one = sc(ctx, 1);
  for (int i = 0; i < 100000; i++)
    assert_int_equal(genc_choicemap_set(ctx, cm, genc_idx(i), one), GENC_OK);
  for (int i = 0; i < 100000; i += 2) /* every even child, in order */
    assert_true(genc_choicemap_remove(cm, genc_idx(i)));
  assert_false(genc_choicemap_remove(cm, genc_idx(0)));
  assert_int_equal(genc_choicemap_count(cm), 50000);
  assert_int_equal(genc_choicemap_num_values(cm), 50000);
  for (int i = 0; i < 100000; i++)
    assert_true(genc_choicemap_has(cm, genc_idx(i)) == (i % 2 == 1));
  for (int64_t k = 0; k < 50000; k++) { /* the others keep their order */
    genc_comp c = 0;
    assert_non_null(genc_choicemap_child(cm, k, &c));
    assert_true(c == (genc_comp)(2 * k + 1));
  }
  assert_null(genc_choicemap_child(cm, 50000, NULL));
  /* removals from the middle without compaction in between, then re-adding:
   * the re-added component goes last */
  for (int i = 30001; i < 40000; i += 4)
    assert_true(genc_choicemap_remove(cm, genc_idx(i)));
  assert_int_equal(genc_choicemap_count(cm), 47500);
  assert_int_equal(genc_choicemap_set(ctx, cm, genc_idx(30001), one), GENC_OK);
  genc_comp c = 0;
  genc_choicemap_child(cm, 47500, &c);
  assert_true(c == 30001);
  genc_choicemap_child(cm, 15000, &c); /* 30001 gone: 30003 is next after 29999 */
  assert_true(c == 30003);
  genc_choicemap_child(cm, 14999, &c);
  assert_true(c == 29999);
  genc_choicemap_free(cm);
  /* a small map: remove the middle, order kept */
  cm = genc_choicemap_new(ctx);
  for (int i = 0; i < 5; i++)
    genc_choicemap_set(ctx, cm, genc_idx(i), one);
  genc_choicemap_remove(cm, 2);
  char *s = genc_choicemap_to_json(ctx, cm, false);
  assert_string_equal(s, "{\"0\":1,\"1\":1,\"3\":1,\"4\":1}");
  free(s);
  genc_choicemap_free(cm);
}

static genc_choicemap *xyz(genc_ctx *ctx) {
  genc_choicemap *a = genc_choicemap_new(ctx);
  genc_choicemap_set_path(ctx, a, GENC_PATH(S("x"), S("y")), sc(ctx, 1));
  genc_choicemap_set(ctx, a, S("z"), sc(ctx, 2));
  return a;
}

static void test_aliasing(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  genc_choicemap *a = xyz(ctx), *a0 = xyz(ctx);
  /* into itself: right wins is a no-op; disjoint is an overlap error */
  assert_int_equal(genc_choicemap_merge_into(ctx, a, a, GENC_MERGE_RIGHT), GENC_OK);
  assert_true(genc_choicemap_equal(ctx, a, a0));
  assert_int_equal(genc_choicemap_merge_into(ctx, a, a, GENC_MERGE_DISJOINT), GENC_ERR_ADDRESS);
  genc_ctx_clear_error(ctx);
  assert_true(genc_choicemap_equal(ctx, a, a0));
  genc_choicemap *e = genc_choicemap_new(ctx);
  assert_int_equal(genc_choicemap_merge_into(ctx, e, e, GENC_MERGE_DISJOINT), GENC_OK);
  /* a child of a into a: its addresses land at the top too */
  assert_int_equal(
      genc_choicemap_merge_into(ctx, a, genc_choicemap_submap(a, S("x")), GENC_MERGE_DISJOINT),
      GENC_OK);
  T_CLOSE(val(ctx, genc_choicemap_lookup(a, S("y"))), 1, 0);
  T_CLOSE(val(ctx, genc_choicemap_lookup_path(a, GENC_PATH(S("x"), S("y")))), 1, 0);
  assert_int_equal(genc_choicemap_num_values(a), 3);
  /* a into a child view of a: the snapshot {x: {y}, z, y} lands below x */
  genc_choicemap *v = genc_choicemap_submap_mut(ctx, a, S("x"));
  assert_int_equal(genc_choicemap_merge_into(ctx, v, a, GENC_MERGE_RIGHT), GENC_OK);
  T_CLOSE(val(ctx, genc_choicemap_lookup_path(a, GENC_PATH(S("x"), S("x"), S("y")))), 1, 0);
  T_CLOSE(val(ctx, genc_choicemap_lookup_path(a, GENC_PATH(S("x"), S("z")))), 2, 0);
  T_CLOSE(val(ctx, genc_choicemap_lookup_path(a, GENC_PATH(S("x"), S("y")))), 1, 0);
  assert_int_equal(genc_choicemap_num_values(a), 5);
  /* moving a map into itself or below itself is refused and leaves it */
  assert_int_equal(genc_choicemap_set_submap(ctx, a, S("w"), a), GENC_ERR_ARG);
  v = genc_choicemap_submap_mut(ctx, a, S("x"));
  assert_int_equal(genc_choicemap_set_submap(ctx, v, S("w"), a), GENC_ERR_ARG);
  assert_int_equal(genc_choicemap_set_submap(ctx, a, S("w"), v), GENC_ERR_ARG); /* a view */
  assert_non_null(strstr(genc_ctx_error(ctx), "copy"));
  genc_ctx_clear_error(ctx);
  assert_int_equal(genc_choicemap_num_values(a), 5);
  /* setting a value of a at the address that holds it */
  assert_int_equal(genc_choicemap_set(ctx, a, S("z"), genc_choicemap_lookup(a, S("z"))), GENC_OK);
  T_CLOSE(val(ctx, genc_choicemap_lookup(a, S("z"))), 2, 0);
  /* selections: no cycles, no changes once shared */
  genc_selection *s = genc_selection_new(ctx);
  assert_int_equal(genc_selection_add_sub(ctx, s, GENC_PATH(S("x")), s), GENC_ERR_ARG);
  assert_int_equal(genc_selection_add(ctx, s, S("p")), GENC_OK);
  genc_selection *u = genc_selection_union(ctx, s, genc_selection_none());
  assert_true(u == s);
  assert_int_equal(genc_selection_add(ctx, s, S("q")), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "shared"));
  genc_ctx_clear_error(ctx);
  genc_selection_release(u);
  assert_int_equal(genc_selection_add(ctx, s, S("q")), GENC_OK); /* sole owner again */
  assert_true(genc_selection_has(s, S("q")));
  genc_selection_release(s);
  genc_choicemap_free(e);
  genc_choicemap_free(a0);
  genc_choicemap_free(a);
  genc_scope_end(ctx, mark);
}

static void test_string_paths(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  genc_choicemap *cm = genc_choicemap_new(ctx);
  assert_int_equal(genc_choicemap_set_str(ctx, cm, "t/3/y", sc(ctx, 4.5)), GENC_OK);
  T_CLOSE(val(ctx, genc_choicemap_lookup_path(cm, GENC_PATH(S("t"), 3, S("y")))), 4.5, 0);
  T_CLOSE(val(ctx, genc_choicemap_get_str(ctx, cm, "t/3/y")), 4.5, 0);
  genc_addr a;
  assert_int_equal(genc_addr_parse(ctx, "t/3/y", &a), GENC_OK);
  assert_int_equal(a.len, 3);
  T_CLOSE(val(ctx, genc_choicemap_get_path(ctx, cm, a.comp, a.len)), 4.5, 0);
  t_expect_error(ctx, genc_choicemap_get_str(ctx, cm, "t/4/y"), GENC_ERR_ADDRESS, "t/4/y", NULL);
  t_expect_error(ctx, genc_choicemap_get_str(ctx, cm, "t//y"), GENC_ERR_ADDRESS, "empty part",
                 NULL);
  t_expect_error(ctx, genc_choicemap_get_str(ctx, cm, NULL), GENC_ERR_ARG, "NULL", NULL);
  genc_selection *s = genc_selection_new(ctx);
  assert_int_equal(genc_selection_add_str(ctx, s, "t/3"), GENC_OK);
  assert_true(genc_selection_has_str(s, "t/3/y"));
  assert_false(genc_selection_has_str(s, "t/4/y"));
  assert_false(genc_selection_has_str(s, "t//3"));
  assert_false(genc_selection_has_str(s, NULL));
  assert_int_equal(genc_selection_add_str(ctx, s, "a//b"), GENC_ERR_ADDRESS);
  genc_ctx_clear_error(ctx);
  genc_selection_release(s);
  genc_choicemap_free(cm);
  genc_scope_end(ctx, mark);
}

static void test_null_args(void **state) {
  genc_ctx *ctx = *state;
  char buf[16];
  /* reads: a NULL map is empty; a NULL path with len > 0 is absent */
  genc_choicemap *cm = genc_choicemap_new(NULL);
  assert_non_null(cm);
  assert_null(genc_choicemap_lookup_path(cm, NULL, 2));
  assert_null(genc_choicemap_lookup_path(cm, NULL, -1));
  assert_false(genc_choicemap_has_path(NULL, NULL, 3));
  assert_null(genc_choicemap_submap_path(cm, NULL, 1));
  assert_false(genc_choicemap_remove_path(cm, NULL, 1));
  assert_false(genc_choicemap_remove_path(cm, NULL, -1));
  assert_null(genc_choicemap_child(NULL, 0, NULL));
  assert_int_equal(genc_choicemap_count(NULL), 0);
  assert_int_equal(genc_choicemap_num_values(NULL), 0);
  assert_true(genc_choicemap_equal(NULL, NULL, cm));
  assert_int_equal(genc_choicemap_foreach(cm, NULL, NULL), 0);
  t_expect_error(ctx, genc_choicemap_get_path(ctx, cm, NULL, 2), GENC_ERR_ARG, "NULL", NULL);
  assert_null(genc_choicemap_get(NULL, NULL, S("a")));
  /* writes: errors, also without a context */
  assert_int_equal(genc_choicemap_set(NULL, NULL, S("a"), NULL), GENC_ERR_ARG);
  assert_int_equal(genc_choicemap_set_path(NULL, cm, NULL, 2, NULL), GENC_ERR_ARG);
  assert_int_equal(genc_choicemap_set_str(NULL, cm, NULL, NULL), GENC_ERR_ARG);
  assert_null(genc_choicemap_submap_mut(NULL, NULL, S("a")));
  assert_int_equal(genc_choicemap_set_submap(NULL, NULL, S("a"), NULL), GENC_ERR_ARG);
  assert_int_equal(genc_choicemap_merge_into(NULL, NULL, cm, GENC_MERGE_RIGHT), GENC_ERR_ARG);
  assert_int_equal(genc_choicemap_merge_into(NULL, cm, NULL, GENC_MERGE_DISJOINT), GENC_OK);
  genc_choicemap *m = genc_choicemap_merge(NULL, NULL, NULL, GENC_MERGE_RIGHT);
  assert_true(genc_choicemap_is_empty(m));
  genc_choicemap_free(m);
  m = genc_choicemap_filter(NULL, NULL, NULL);
  assert_true(genc_choicemap_is_empty(m));
  genc_choicemap_free(m);
  /* text into a NULL buffer measures */
  assert_int_equal(genc_choicemap_format(NULL, NULL, NULL, 10), 19);
  char *s = genc_choicemap_to_json(NULL, NULL, true);
  assert_string_equal(s, "{}");
  free(s);
  assert_int_equal(genc_addr_format(NULL, 3, buf, sizeof buf), 0);
  assert_string_equal(buf, "");
  assert_int_equal(genc_addr_format(GENC_PATH(S("ab"), 7), NULL, 5), 4);
  assert_int_equal(genc_comp_format(7, NULL, 8), 1);
  assert_int_equal(genc_selection_format(genc_selection_all(), NULL, 8), 3);
  assert_int_equal(genc_addr_parse(NULL, NULL, NULL), GENC_ERR_ARG);
  assert_true(genc_sym_intern(NULL) == GENC_COMP_INVALID);
  assert_null(genc_sym_name(GENC_COMP_INVALID));
  /* selections */
  assert_false(genc_selection_has(NULL, S("a")));
  assert_false(genc_selection_has_path(genc_selection_all(), NULL, 2));
  assert_true(genc_selection_is_none(NULL));
  assert_false(genc_selection_is_all(NULL));
  assert_true(genc_selection_sub(NULL, NULL, S("a")) == genc_selection_none());
  assert_null(genc_selection_union(NULL, NULL, genc_selection_all()));
  assert_null(genc_selection_intersection(NULL, genc_selection_all(), NULL));
  assert_null(genc_selection_complement(NULL, NULL));
  assert_int_equal(genc_selection_add(NULL, NULL, S("a")), GENC_ERR_ARG);
  genc_selection *sel = genc_selection_new(NULL);
  assert_int_equal(genc_selection_add_path(NULL, sel, NULL, 1), GENC_ERR_ARG);
  assert_int_equal(genc_selection_add_sub(NULL, sel, NULL, 0, NULL), GENC_ERR_ARG);
  assert_int_equal(genc_selection_add_str(NULL, sel, NULL), GENC_ERR_ARG);
  genc_selection *fc = genc_selection_from_choicemap(NULL, NULL);
  assert_true(genc_selection_is_none(fc));
  genc_selection_release(fc);
  genc_selection_release(sel);
  genc_selection_release(NULL);
  assert_null(genc_selection_retain(NULL));
  genc_choicemap_free(cm);
  genc_choicemap_free(NULL);
  /* argument diffs */
  assert_false(genc_argdiff_unchanged(NULL, 0));
  assert_false(genc_argdiffs_all_unchanged(NULL, 2));
  genc_argdiffs_fill(NULL, 3, genc_nochange());
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_deep_map_text), cmocka_unit_test(test_deep_map_algebra),
      cmocka_unit_test(test_deep_free),     cmocka_unit_test(test_deep_unions),
      cmocka_unit_test(test_many_removals), cmocka_unit_test(test_aliasing),
      cmocka_unit_test(test_string_paths),  cmocka_unit_test(test_null_args),
      cmocka_unit_test(test_filter_depth),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
