/* Layer 2: choice maps: set/get laws, hierarchy, iteration, merge, equality,
 * printing, JSON, errors, ownership of leaves. */
#include <cJSON.h>

#include "testutil.h"

#define S(name) GENC_SYM(name)

static genc_array *sc(genc_ctx *ctx, double v) { return genc_scalar(ctx, v); }

static double val(genc_ctx *ctx, genc_array *a) { return a ? t_item(ctx, a) : NAN; }

/* slope = 1.5, y/0 = 0.25, y/1 = -2, noise/sd = 3 */
static genc_choicemap *sample_map(genc_ctx *ctx) {
  genc_choicemap *cm = genc_choicemap_new(ctx);
  T_OK(ctx, cm);
  assert_int_equal(genc_choicemap_set(ctx, cm, S("slope"), sc(ctx, 1.5)), GENC_OK);
  assert_int_equal(genc_choicemap_set_path(ctx, cm, GENC_PATH(S("y"), 0), sc(ctx, 0.25)), GENC_OK);
  assert_int_equal(genc_choicemap_set_path(ctx, cm, GENC_PATH(S("y"), 1), sc(ctx, -2)), GENC_OK);
  assert_int_equal(genc_choicemap_set_path(ctx, cm, GENC_PATH(S("noise"), S("sd")), sc(ctx, 3)),
                   GENC_OK);
  return cm;
}

static void test_get_after_set(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_choicemap *cm = sample_map(ctx);
  T_CLOSE(val(ctx, genc_choicemap_get(ctx, cm, S("slope"))), 1.5, 0);
  T_CLOSE(val(ctx, genc_choicemap_get_path(ctx, cm, GENC_PATH(S("y"), 1))), -2, 0);
  /* overwrite: the newest value wins, the other addresses are untouched */
  assert_int_equal(genc_choicemap_set(ctx, cm, S("slope"), sc(ctx, 7)), GENC_OK);
  T_CLOSE(val(ctx, genc_choicemap_lookup(cm, S("slope"))), 7, 0);
  T_CLOSE(val(ctx, genc_choicemap_lookup_path(cm, GENC_PATH(S("y"), 0))), 0.25, 0);
  assert_int_equal(genc_choicemap_num_values(cm), 4);
  assert_true(genc_choicemap_has(cm, S("slope")));
  assert_false(genc_choicemap_has(cm, S("y"))); /* a sub-map, not a value */
  assert_true(genc_choicemap_has_path(cm, GENC_PATH(S("noise"), S("sd"))));
  genc_choicemap_free(cm);
  genc_ctx_free(ctx);
}

static void test_missing(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_choicemap *cm = sample_map(ctx);
  assert_null(genc_choicemap_lookup(cm, S("nope")));
  assert_int_equal(genc_ctx_status(ctx), GENC_OK); /* lookup records nothing */
  assert_null(genc_choicemap_get_path(ctx, cm, GENC_PATH(S("y"), 3)));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ADDRESS);
  assert_non_null(strstr(genc_ctx_error(ctx), "no address y/3"));
  assert_null(genc_choicemap_get(ctx, cm, S("y")));
  assert_non_null(strstr(genc_ctx_error(ctx), "no value at address y"));
  assert_non_null(strstr(genc_ctx_error(ctx), "sub-map of 2"));
  assert_null(genc_choicemap_get_path(ctx, cm, GENC_PATH(S("slope"), 0)));
  assert_non_null(strstr(genc_ctx_error(ctx), "no address slope/0"));
  assert_non_null(strstr(genc_ctx_error(ctx), "a value ends the path"));
  /* NULL is the empty map */
  assert_null(genc_choicemap_get(ctx, NULL, S("a")));
  assert_non_null(strstr(genc_ctx_error(ctx), "no address a"));
  assert_false(genc_choicemap_has(NULL, S("a")));
  assert_true(genc_choicemap_is_empty(NULL));
  genc_choicemap_free(cm);
  genc_ctx_free(ctx);
}

static void test_set_errors(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_choicemap *cm = genc_choicemap_new(ctx);
  assert_int_equal(genc_choicemap_set(ctx, NULL, S("a"), sc(ctx, 1)), GENC_ERR_ARG);
  genc_ctx_clear_error(ctx);
  assert_int_equal(genc_choicemap_set(ctx, cm, S("a"), NULL), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "NULL value"));
  /* a NULL value from a failed op keeps the op's message */
  genc_array *bad = genc_add(ctx, genc_array_zeros(ctx, GENC_F64, 1, (int64_t[]){2}, 0),
                             genc_array_zeros(ctx, GENC_F64, 1, (int64_t[]){3}, 0));
  assert_null(bad);
  genc_status st = genc_ctx_status(ctx);
  char msg[256];
  snprintf(msg, sizeof msg, "%s", genc_ctx_error(ctx));
  assert_int_equal(genc_choicemap_set(ctx, cm, S("a"), bad), st);
  assert_string_equal(genc_ctx_error(ctx), msg);
  assert_int_equal(genc_choicemap_set(ctx, cm, GENC_COMP_INVALID, sc(ctx, 1)), GENC_ERR_ADDRESS);
  assert_non_null(strstr(genc_ctx_error(ctx), "invalid address component"));
  genc_comp deep[GENC_ADDR_MAX + 1];
  for (int i = 0; i <= GENC_ADDR_MAX; i++)
    deep[i] = (genc_comp)i;
  assert_int_equal(genc_choicemap_set_path(ctx, cm, deep, GENC_ADDR_MAX + 1, sc(ctx, 1)),
                   GENC_ERR_ADDRESS);
  /* root values only in maps without addresses */
  assert_int_equal(genc_choicemap_set(ctx, cm, S("a"), sc(ctx, 1)), GENC_OK);
  assert_int_equal(genc_choicemap_set_path(ctx, cm, NULL, 0, sc(ctx, 1)), GENC_ERR_ADDRESS);
  genc_choicemap *leaf = genc_choicemap_new(ctx);
  assert_int_equal(genc_choicemap_set_path(ctx, leaf, NULL, 0, sc(ctx, 5)), GENC_OK);
  T_CLOSE(val(ctx, genc_choicemap_value(leaf)), 5, 0);
  assert_int_equal(genc_choicemap_set(ctx, leaf, S("a"), sc(ctx, 1)), GENC_ERR_ADDRESS);
  assert_non_null(strstr(genc_ctx_error(ctx), "below a leaf"));
  genc_choicemap_free(leaf);
  genc_choicemap_free(cm);
  genc_ctx_free(ctx);
}

static void test_hierarchy(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_choicemap *cm = sample_map(ctx);
  const genc_choicemap *y = genc_choicemap_submap(cm, S("y"));
  assert_non_null(y);
  assert_int_equal(genc_choicemap_count(y), 2);
  T_CLOSE(val(ctx, genc_choicemap_lookup(y, 1)), -2, 0);
  /* a leaf seen as a sub-map is a leaf map */
  const genc_choicemap *s = genc_choicemap_submap(cm, S("slope"));
  T_CLOSE(val(ctx, genc_choicemap_value(s)), 1.5, 0);
  assert_int_equal(genc_choicemap_count(s), 0);
  assert_ptr_equal(genc_choicemap_submap_path(cm, GENC_PATH(S("y"))), y);
  assert_null(genc_choicemap_submap(cm, S("zzz")));
  /* freeing a view is a no-op: the root still owns it */
  genc_choicemap_free((genc_choicemap *)y);
  T_CLOSE(val(ctx, genc_choicemap_lookup_path(cm, GENC_PATH(S("y"), 0))), 0.25, 0);
  /* writing below a leaf path replaces the leaf (newest write wins) */
  assert_int_equal(genc_choicemap_set_path(ctx, cm, GENC_PATH(S("slope"), S("a")), sc(ctx, 9)),
                   GENC_OK);
  assert_false(genc_choicemap_has(cm, S("slope")));
  T_CLOSE(val(ctx, genc_choicemap_lookup_path(cm, GENC_PATH(S("slope"), S("a")))), 9, 0);
  /* submap_mut fills in place; set_submap moves a whole map in */
  genc_choicemap *m = genc_choicemap_submap_mut(ctx, cm, S("inner"));
  T_OK(ctx, m);
  assert_int_equal(genc_choicemap_set(ctx, m, S("z"), sc(ctx, 4)), GENC_OK);
  T_CLOSE(val(ctx, genc_choicemap_lookup_path(cm, GENC_PATH(S("inner"), S("z")))), 4, 0);
  genc_choicemap *sub = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, sub, 5, sc(ctx, 55));
  assert_int_equal(genc_choicemap_set_submap(ctx, cm, S("moved"), sub), GENC_OK);
  T_CLOSE(val(ctx, genc_choicemap_lookup_path(cm, GENC_PATH(S("moved"), 5))), 55, 0);
  assert_int_equal(genc_choicemap_set_submap(ctx, cm, S("viewmove"),
                                             (genc_choicemap *)genc_choicemap_submap(cm, S("y"))),
                   GENC_ERR_ARG);
  /* remove_path prunes the sub-maps it empties */
  assert_true(genc_choicemap_remove_path(cm, GENC_PATH(S("noise"), S("sd"))));
  assert_null(genc_choicemap_submap(cm, S("noise")));
  assert_false(genc_choicemap_remove_path(cm, GENC_PATH(S("noise"), S("sd"))));
  assert_true(genc_choicemap_remove(cm, S("y")));
  assert_false(genc_choicemap_remove(cm, S("y")));
  genc_choicemap_free(cm);
  genc_ctx_free(ctx);
}

/* foreach collects "path=value" lines */
typedef struct {
  char buf[1024];
  const genc_choicemap *cm;
  genc_ctx *ctx;
  int n;
} collect;

static int visit(const genc_comp *path, int len, genc_array *v, void *user) {
  collect *c = user;
  char a[128];
  genc_addr_format(path, len, a, sizeof a);
  snprintf(c->buf + strlen(c->buf), sizeof c->buf - strlen(c->buf), "%s=%g;", a, t_item(c->ctx, v));
  /* has and iterate agree: every visited path has exactly this value */
  assert_true(genc_choicemap_has_path(c->cm, path, len));
  assert_ptr_equal(genc_choicemap_lookup_path(c->cm, path, len), v);
  c->n++;
  return 0;
}

static int stop_at_two(const genc_comp *path, int len, genc_array *v, void *user) {
  (void)path, (void)len, (void)v;
  return ++*(int *)user == 2 ? 42 : 0;
}

static void test_iterate(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_choicemap *cm = sample_map(ctx);
  collect c = {.cm = cm, .ctx = ctx};
  assert_int_equal(genc_choicemap_foreach(cm, visit, &c), 0);
  assert_string_equal(c.buf, "slope=1.5;y/0=0.25;y/1=-2;noise/sd=3;"); /* insertion order */
  assert_int_equal(c.n, genc_choicemap_num_values(cm));
  int k = 0;
  assert_int_equal(genc_choicemap_foreach(cm, stop_at_two, &k), 42);
  assert_int_equal(k, 2);
  /* children walk without callbacks */
  genc_comp comp;
  assert_non_null(genc_choicemap_child(cm, 1, &comp));
  assert_true(comp == S("y"));
  assert_null(genc_choicemap_child(cm, 3, &comp));
  genc_choicemap_free(cm);
  genc_ctx_free(ctx);
}

/* Many index children go through the hash index; lookups stay right after
 * growth and removals. */
static void test_many(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_choicemap *cm = genc_choicemap_new(ctx);
  int64_t mark = genc_scope_begin(ctx);
  for (int i = 0; i < 1000; i++)
    assert_int_equal(genc_choicemap_set(ctx, cm, genc_idx(i * 3), sc(ctx, i)), GENC_OK);
  genc_scope_end(ctx, mark); /* the map retained its leaves */
  for (int i = 0; i < 1000; i++)
    T_CLOSE(val(ctx, genc_choicemap_lookup(cm, genc_idx(i * 3))), i, 0);
  assert_null(genc_choicemap_lookup(cm, 1));
  for (int i = 0; i < 1000; i += 2)
    assert_true(genc_choicemap_remove(cm, genc_idx(i * 3)));
  assert_int_equal(genc_choicemap_count(cm), 500);
  for (int i = 0; i < 1000; i++) {
    genc_array *v = genc_choicemap_lookup(cm, genc_idx(i * 3));
    if (i % 2)
      T_CLOSE(val(ctx, v), i, 0);
    else
      assert_null(v);
  }
  genc_comp c;
  genc_choicemap_child(cm, 0, &c);
  assert_true(c == 3); /* order kept after removals */
  genc_choicemap_free(cm);
  genc_ctx_free(ctx);
}

static void test_ownership(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  int64_t base = genc_ctx_live_arrays(ctx);
  genc_choicemap *cm = genc_choicemap_new(ctx);
  int64_t mark = genc_scope_begin(ctx);
  genc_choicemap_set(ctx, cm, S("a"), sc(ctx, 1));
  genc_choicemap_set(ctx, cm, S("a"), sc(ctx, 2)); /* releases the first */
  genc_choicemap_set_path(ctx, cm, GENC_PATH(S("b"), 0), sc(ctx, 3));
  genc_choicemap *cp = genc_choicemap_copy(ctx, cm);
  genc_scope_end(ctx, mark);
  assert_int_equal(genc_ctx_live_arrays(ctx), base + 2);
  /* a deep copy: changing it leaves the original alone */
  genc_choicemap_set_path(ctx, cp, GENC_PATH(S("b"), 0), sc(ctx, 30));
  T_CLOSE(val(ctx, genc_choicemap_lookup_path(cm, GENC_PATH(S("b"), 0))), 3, 0);
  genc_choicemap_free(cp);
  genc_choicemap_free(cm);
  assert_int_equal(genc_ctx_live_arrays(ctx), base + 1); /* only the 30, made outside a scope */
  genc_ctx_free(ctx);
}

static void test_merge(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_choicemap *a = sample_map(ctx), *e = genc_choicemap_new(ctx);
  /* identity laws */
  genc_choicemap *m1 = genc_choicemap_merge(ctx, a, e, GENC_MERGE_RIGHT);
  genc_choicemap *m2 = genc_choicemap_merge(ctx, e, a, GENC_MERGE_DISJOINT);
  genc_choicemap *m3 = genc_choicemap_merge(ctx, NULL, a, GENC_MERGE_RIGHT);
  assert_true(genc_choicemap_equal(ctx, m1, a));
  assert_true(genc_choicemap_equal(ctx, m2, a));
  assert_true(genc_choicemap_equal(ctx, m3, a));
  /* right wins; disjoint parts are kept; sub-maps merge recursively */
  genc_choicemap *b = genc_choicemap_new(ctx);
  genc_choicemap_set_path(ctx, b, GENC_PATH(S("y"), 1), sc(ctx, 100));
  genc_choicemap_set_path(ctx, b, GENC_PATH(S("y"), 2), sc(ctx, 200));
  genc_choicemap *r = genc_choicemap_merge(ctx, a, b, GENC_MERGE_RIGHT);
  T_CLOSE(val(ctx, genc_choicemap_lookup_path(r, GENC_PATH(S("y"), 0))), 0.25, 0);
  T_CLOSE(val(ctx, genc_choicemap_lookup_path(r, GENC_PATH(S("y"), 1))), 100, 0);
  T_CLOSE(val(ctx, genc_choicemap_lookup_path(r, GENC_PATH(S("y"), 2))), 200, 0);
  T_CLOSE(val(ctx, genc_choicemap_lookup(r, S("slope"))), 1.5, 0);
  assert_int_equal(genc_choicemap_num_values(r), 5);
  /* disjoint: an overlap is an error naming the address */
  assert_null(genc_choicemap_merge(ctx, a, b, GENC_MERGE_DISJOINT));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ADDRESS);
  assert_non_null(strstr(genc_ctx_error(ctx), "address y/1 is in both maps"));
  /* leaf vs sub-map conflicts too */
  genc_choicemap *c = genc_choicemap_new(ctx);
  genc_choicemap_set_path(ctx, c, GENC_PATH(S("slope"), 0), sc(ctx, 1));
  assert_null(genc_choicemap_merge(ctx, a, c, GENC_MERGE_DISJOINT));
  assert_non_null(strstr(genc_ctx_error(ctx), "address slope"));
  genc_choicemap *rc = genc_choicemap_merge(ctx, a, c, GENC_MERGE_RIGHT);
  assert_false(genc_choicemap_has(rc, S("slope")));
  T_CLOSE(val(ctx, genc_choicemap_lookup_path(rc, GENC_PATH(S("slope"), 0))), 1, 0);
  /* associativity of right-wins merge on these three maps */
  genc_choicemap *ab = genc_choicemap_merge(ctx, a, b, GENC_MERGE_RIGHT);
  genc_choicemap *ab_c = genc_choicemap_merge(ctx, ab, c, GENC_MERGE_RIGHT);
  genc_choicemap *bc = genc_choicemap_merge(ctx, b, c, GENC_MERGE_RIGHT);
  genc_choicemap *a_bc = genc_choicemap_merge(ctx, a, bc, GENC_MERGE_RIGHT);
  assert_true(genc_choicemap_equal(ctx, ab_c, a_bc));
  assert_null(genc_choicemap_merge(ctx, a, b, (genc_merge_mode)7));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ARG);
  genc_choicemap *maps[] = {a, e, m1, m2, m3, b, r, c, rc, ab, ab_c, bc, a_bc};
  for (size_t i = 0; i < sizeof maps / sizeof *maps; i++)
    genc_choicemap_free(maps[i]);
  genc_ctx_free(ctx);
}

static void test_equal(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_choicemap *a = genc_choicemap_new(ctx), *b = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, a, S("x"), sc(ctx, 1));
  genc_choicemap_set(ctx, a, S("n"), sc(ctx, NAN));
  genc_choicemap_set(ctx, b, S("n"), sc(ctx, NAN)); /* other order, NaN == NaN */
  genc_choicemap_set(ctx, b, S("x"), sc(ctx, 1));
  assert_true(genc_choicemap_equal(ctx, a, b));
  genc_choicemap_submap_mut(ctx, b, S("empty")); /* empty sub-maps do not count */
  assert_true(genc_choicemap_equal(ctx, a, b));
  genc_choicemap_set(ctx, b, S("x"), sc(ctx, 1.0000001));
  assert_false(genc_choicemap_equal(ctx, a, b));
  genc_choicemap_set(ctx, b, S("x"), genc_scalar_of(ctx, 1, GENC_F32)); /* dtype differs */
  assert_false(genc_choicemap_equal(ctx, a, b));
  genc_choicemap_set(ctx, b, S("x"), genc_array_full(ctx, GENC_F64, 0, NULL, 2, 1)); /* batched */
  assert_false(genc_choicemap_equal(ctx, a, b));
  genc_choicemap_set(ctx, b, S("x"), genc_array_vec(ctx, 1, (double[]){1})); /* shape [1] */
  assert_false(genc_choicemap_equal(ctx, a, b));
  genc_choicemap_set(ctx, b, S("x"), sc(ctx, 1));
  genc_choicemap_set(ctx, b, S("extra"), sc(ctx, 1));
  assert_false(genc_choicemap_equal(ctx, a, b));
  assert_false(genc_choicemap_equal(ctx, b, a));
  assert_true(genc_choicemap_equal(ctx, NULL, genc_choicemap_submap(b, S("empty"))));
  genc_choicemap_free(a);
  genc_choicemap_free(b);
  genc_ctx_free(ctx);
}

static genc_choicemap *rich_map(genc_ctx *ctx) {
  genc_choicemap *cm = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, cm, S("slope"), sc(ctx, 1.5));
  genc_choicemap_set_path(ctx, cm, GENC_PATH(S("y"), 0), genc_array_vec(ctx, 2, (double[]){1, 2}));
  genc_choicemap_set_path(ctx, cm, GENC_PATH(S("y"), 1), sc(ctx, NAN));
  genc_choicemap_set(ctx, cm, S("flag"), genc_scalar_of(ctx, 1, GENC_BOOL));
  genc_choicemap_set(ctx, cm, S("k"), genc_scalar_of(ctx, 3, GENC_I32));
  genc_choicemap_set(ctx, cm, S("z"),
                     genc_array_from(ctx, GENC_F64, 0, NULL, 3, (double[]){0.5, -1, INFINITY}));
  return cm;
}

static void test_print(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_choicemap *cm = rich_map(ctx);
  char *s = genc_choicemap_to_string(ctx, cm);
  T_OK(ctx, s);
  assert_string_equal(s, "slope = 1.5\n"
                         "y\n"
                         "  0 = [1, 2]\n"
                         "  1 = nan\n"
                         "flag = true\n"
                         "k = 3\n"
                         "z = (3 particles) [0.5, -1, inf]\n");
  char small[8];
  assert_int_equal(genc_choicemap_format(ctx, cm, small, sizeof small), (int)strlen(s));
  assert_string_equal(small, "slope =");
  free(s);
  char buf[64];
  genc_choicemap_format(ctx, NULL, buf, sizeof buf);
  assert_string_equal(buf, "(empty choice map)\n");
  genc_choicemap_free(cm);
  /* long axes are cut */
  cm = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, cm, S("v"), genc_array_arange(ctx, GENC_F64, 0, 20, 1));
  s = genc_choicemap_to_string(ctx, cm);
  assert_string_equal(s, "v = [0, 1, 2, 3, 4, 5, 6, 7, ... (20)]\n");
  free(s);
  genc_choicemap_free(cm);
  genc_ctx_free(ctx);
}

static void test_json(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  genc_choicemap *cm = rich_map(ctx);
  char *s = genc_choicemap_to_json(ctx, cm, false);
  T_OK(ctx, s);
  assert_string_equal(s, "{\"slope\":1.5,\"y\":{\"0\":[1,2],\"1\":\"NaN\"},\"flag\":true,\"k\":3,"
                         "\"z\":[0.5,-1,\"Infinity\"]}");
  /* it parses back as JSON with the same structure */
  cJSON *j = cJSON_Parse(s);
  assert_non_null(j);
  T_CLOSE(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "y"), "0")->child->next->valuedouble, 2, 0);
  cJSON_Delete(j);
  free(s);
  s = genc_choicemap_to_json(ctx, cm, true);
  assert_non_null(strstr(s, "\n"));
  free(s);
  genc_choicemap_free(cm);
  s = genc_choicemap_to_json(ctx, NULL, false);
  assert_string_equal(s, "{}");
  free(s);
  /* full precision survives */
  cm = genc_choicemap_new(ctx);
  genc_choicemap_set(ctx, cm, 0, sc(ctx, 0.1 + 0.2));
  s = genc_choicemap_to_json(ctx, cm, false);
  j = cJSON_Parse(s);
  assert_true(cJSON_GetObjectItem(j, "0")->valuedouble == 0.1 + 0.2);
  cJSON_Delete(j);
  free(s);
  genc_choicemap_free(cm);
  genc_ctx_free(ctx);
}

static void test_edges(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  /* batched leaves: JSON puts the particle axis outermost */
  genc_choicemap *cm = genc_choicemap_new(ctx);
  genc_array *b = genc_array_from(ctx, GENC_F64, 1, (int64_t[]){2}, 2, (double[]){1, 2, 3, 4});
  genc_choicemap_set(ctx, cm, S("w"), b);
  char *s = genc_choicemap_to_json(ctx, cm, false);
  assert_string_equal(s, "{\"w\":[[1,2],[3,4]]}");
  free(s);
  s = genc_choicemap_to_string(ctx, cm);
  assert_string_equal(s, "w = (2 particles) [[1, 2], [3, 4]]\n");
  free(s);
  /* moving in an empty map removes the address */
  assert_int_equal(genc_choicemap_set_submap(ctx, cm, S("w"), genc_choicemap_new(ctx)), GENC_OK);
  assert_true(genc_choicemap_is_empty(cm));
  assert_int_equal(genc_choicemap_count(cm), 0);
  /* a leaf map: root value, filtering by a selection of the root */
  genc_choicemap *leaf = genc_choicemap_new(ctx);
  genc_choicemap_set_path(ctx, leaf, NULL, 0, genc_scalar(ctx, 2));
  genc_choicemap *f = genc_choicemap_filter(ctx, leaf, genc_selection_all());
  T_CLOSE(val(ctx, genc_choicemap_value(f)), 2, 0);
  genc_choicemap_free(f);
  f = genc_choicemap_filter(ctx, leaf, genc_selection_none());
  assert_true(genc_choicemap_is_empty(f));
  genc_choicemap_free(f);
  s = genc_choicemap_to_json(ctx, leaf, false);
  assert_string_equal(s, "2");
  free(s);
  /* merging a leaf map into a map with addresses replaces it (right wins) */
  genc_choicemap_set(ctx, cm, S("a"), genc_scalar(ctx, 1));
  assert_int_equal(genc_choicemap_merge_into(ctx, cm, leaf, GENC_MERGE_RIGHT), GENC_OK);
  T_CLOSE(val(ctx, genc_choicemap_value(cm)), 2, 0);
  assert_int_equal(genc_choicemap_merge_into(ctx, cm, leaf, GENC_MERGE_DISJOINT), GENC_ERR_ADDRESS);
  assert_non_null(strstr(genc_ctx_error(ctx), "(root)"));
  assert_true(genc_choicemap_remove_path(cm, NULL, 0));
  assert_true(genc_choicemap_is_empty(cm));
  assert_int_equal(genc_choicemap_set_path(ctx, cm, NULL, -1, genc_scalar(ctx, 1)), GENC_ERR_ARG);
  assert_int_equal(genc_choicemap_merge_into(ctx, NULL, leaf, GENC_MERGE_RIGHT), GENC_ERR_ARG);
  genc_choicemap_free(leaf);
  genc_choicemap_free(cm);
  genc_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_get_after_set), cmocka_unit_test(test_missing),
      cmocka_unit_test(test_set_errors),    cmocka_unit_test(test_hierarchy),
      cmocka_unit_test(test_iterate),       cmocka_unit_test(test_many),
      cmocka_unit_test(test_ownership),     cmocka_unit_test(test_merge),
      cmocka_unit_test(test_equal),         cmocka_unit_test(test_print),
      cmocka_unit_test(test_json),          cmocka_unit_test(test_edges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
