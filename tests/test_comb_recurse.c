/* Recurse: a deterministic production builds a full binary tree of exact
 * size; a Bernoulli production builds trees of the Galton-Watson expected
 * size; scores are sums of node scores; laws single and batched; depth error. */
#include "gfi_laws.h"

/* full(v): c ~ N(0, 1); two children with v - 1 while v > 0, else none */
static genc_array *p_full(genc_rt *rt, genc_array *const *args, void *u) {
  (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  if (!GENC_TRACE(rt, "c", genc_normal(ctx, 0.0, 1.0))) return NULL;
  double v = 0;
  if (genc_array_item(ctx, args[0], &v)) return NULL;
  int64_t m = v > 0 ? 2 : 0;
  return genc_add(ctx, genc_array_zeros(ctx, GENC_F64, 1, &m, 0), v - 1);
}

/* flip(v): b ~ Bernoulli(0.3); two children if b, else none */
static genc_array *p_flip(genc_rt *rt, genc_array *const *args, void *u) {
  (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *b = GENC_TRACE(rt, "b", genc_bernoulli(ctx, 0.3));
  double bv = 0;
  if (!b || genc_array_item(ctx, b, &bv)) return NULL;
  int64_t m = bv ? 2 : 0;
  return genc_add(ctx, genc_array_zeros(ctx, GENC_F64, 1, &m, 0), args[0]);
}

/* count(v, kids): 1 + sum(kids): the number of nodes */
static genc_array *a_count(genc_rt *rt, genc_array *const *args, void *u) {
  (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  return genc_add(ctx, genc_sum_all(ctx, args[1]), 1.0);
}

typedef struct fixture {
  genc_ctx *ctx;
  genc_gf *pf, *pb, *agg, *full, *flip, *shallow;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->ctx = t_ctx();
  f->pf = genc_gf_dynamic("full", p_full, 1, NULL);
  f->pb = genc_gf_dynamic("flip", p_flip, 1, NULL);
  f->agg = genc_gf_dynamic("count", a_count, 2, NULL);
  f->full = genc_recurse("tree", f->pf, f->agg, 10);
  f->flip = genc_recurse("gw", f->pb, f->agg, GENC_RECURSE_MAX_DEPTH);
  f->shallow = genc_recurse("shallow", f->pf, f->agg, 2);
  *state = f;
  return f->full && f->flip && f->shallow ? 0 : -1;
}

static int teardown(void **state) {
  fixture *f = *state;
  genc_gf *g[] = {f->pf, f->pb, f->agg, f->full, f->flip, f->shallow};
  for (int i = 0; i < 6; i++)
    genc_gf_release(g[i]);
  genc_ctx_free(f->ctx);
  free(f);
  return 0;
}

typedef struct lp_sum {
  genc_ctx *ctx;
  double s;
  int n;
} lp_sum;

static int add_lp(const genc_comp *path, int len, genc_array *v, void *user) {
  (void)path, (void)len;
  lp_sum *a = user;
  double x = 0;
  x = t_item(a->ctx, v);
  a->s += -0.5 * x * x - 0.5 * log(2 * M_PI);
  a->n++;
  return 0;
}

/* depth 3: 15 nodes, 15 choices, value 15, score = sum of the N(0, 1) densities */
static void test_full_tree(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_array *args[1] = {genc_scalar(ctx, 3.0)};
  genc_trace *t = genc_gf_simulate(ctx, f->full, args, genc_key_from_seed(1), 0);
  T_OK(ctx, t);
  T_CLOSE(t_item(ctx, genc_trace_retval(t)), 15, 0);
  lp_sum a = {ctx, 0, 0};
  genc_choicemap_foreach(genc_trace_choices(ctx, t), add_lp, &a);
  assert_int_equal(a.n, 15);
  T_CLOSE(t_item(ctx, genc_trace_score(t)), a.s, 1e-12);
  T_OK(ctx, genc_trace_get(ctx, t, GENC_PATH(0, 1, GENC_SYM("production"), GENC_SYM("c"))));
  genc_trace_release(t);
  genc_selection *sel = genc_selection_new(ctx);
  genc_selection_add_path(ctx, sel, GENC_PATH(1, GENC_SYM("production")));
  for (uint64_t s = 1; s <= 3; s++)
    gl_laws(ctx, f->full, args, sel, s);
  genc_selection_release(sel);
  gl_batched(ctx, f->full, (genc_array *[]){genc_scalar(ctx, 2.0)}, 4, 71);
  /* deeper than max_depth */
  t = genc_gf_simulate(ctx, f->shallow, args, genc_key_from_seed(1), 0);
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_ARG, "max_depth 2", NULL);
}

/* Galton-Watson with 2 children w.p. 0.3: E[size] = 1 / (1 - 0.6) = 2.5; the
 * mean of 3000 sizes within 4 standard errors (sample SE); each tree's value
 * is its number of nodes = number of choices, and its score the sum of the
 * Bernoulli log probabilities. */
static void test_random_tree(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  const int n = 3000;
  double s = 0, s2 = 0;
  for (int i = 0; i < n; i++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_trace *t = genc_gf_simulate(ctx, f->flip, (genc_array *[]){genc_scalar(ctx, 0.0)},
                                     genc_key_from_seed(1000 + i), 0);
    T_OK(ctx, t);
    double size = t_item(ctx, genc_trace_retval(t));
    const genc_choicemap *cm = genc_trace_choices(ctx, t);
    assert_int_equal(genc_choicemap_num_values(cm), (int64_t)size);
    double kids = (size - 1) / 2; /* internal nodes */
    T_CLOSE(t_item(ctx, genc_trace_score(t)), kids * log(0.3) + (size - kids) * log(0.7), 1e-12);
    s += size, s2 += size * size;
    genc_trace_release(t);
    genc_scope_end(ctx, mark);
  }
  double mean = s / n, se = sqrt((s2 / n - mean * mean) / n);
  if (fabs(mean - 2.5) > 4 * se) fail_msg("mean size %g, expected 2.5, se %g", mean, se);
  for (uint64_t k = 1; k <= 5; k++)
    gl_laws(ctx, f->flip, (genc_array *[]){genc_scalar(ctx, 0.0)}, NULL, k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_tree),
      cmocka_unit_test(test_random_tree),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
