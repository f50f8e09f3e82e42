/* The scalar fast path (single draws and densities on host doubles, and host
 * score/weight sums in single-trace GFI runs) gives exactly the numbers of the
 * array path: the same draws bit for bit, the same log densities, the same
 * scores and weights, and the same error messages. The array path is forced by
 * recording a tape (nothing is watched, so nothing is differentiated) or by
 * 1-element 1-d parameters. */
#include "testutil.h"

#include "dist/internal.h"

typedef struct fcase {
  const char *name;
  int np;
  double p[2];
  double xs[6]; /* values to score (in and out of the support) */
} fcase;

static const fcase cases[] = {
    {"normal", 2, {0.3, 1.7}, {0.0, -3.1, 40.0, 1e-300, -1e5, 2.5}},
    {"broadcasted_normal", 2, {-2.0, 0.25}, {0.0, -2.0, 7.0, -2.3, 1.0, 3.0}},
    {"uniform", 2, {-1.0, 2.5}, {-1.0, 2.5, 0.3, -1.0000001, 2.6, 1.0}},
    {"exponential", 1, {1.3}, {0.0, -1e-9, 0.7, 30.0, 1e-12, 2.0}},
    {"laplace", 2, {0.5, 0.8}, {0.5, -4.0, 9.0, 0.5000001, 0.0, 1.0}},
    {"cauchy", 2, {-1.0, 3.0}, {-1.0, 1e8, -1e8, 0.0, 2.0, 5.5}},
    {"lognormal", 2, {0.2, 0.6}, {1.0, 0.0, -1.0, 1e-10, 7.0, 2.5}},
    {"bernoulli", 1, {0.3}, {1.0, 0.0, 0.5, 2.0, -1.0, 1.0}},
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))

/* The distribution of case c with 0-d parameters, or [1]-shaped ones (vec). */
static genc_dist make(genc_ctx *ctx, const fcase *c, const double *p, bool vec) {
  genc_array *a[2] = {NULL, NULL};
  for (int i = 0; i < c->np; i++)
    a[i] = vec ? genc_array_vec(ctx, 1, &p[i]) : genc_scalar(ctx, p[i]);
  const char *n = c->name;
  /* genc_normal is scalar: its [1]-shaped twin is the broadcasted normal */
  if (!strcmp(n, "normal"))
    return vec ? (genc_broadcasted_normal)(ctx, a[0], a[1]) : (genc_normal)(ctx, a[0], a[1]);
  if (!strcmp(n, "broadcasted_normal")) return (genc_broadcasted_normal)(ctx, a[0], a[1]);
  if (!strcmp(n, "uniform")) return (genc_uniform)(ctx, a[0], a[1]);
  if (!strcmp(n, "exponential")) return (genc_exponential)(ctx, a[0]);
  if (!strcmp(n, "laplace")) return (genc_laplace)(ctx, a[0], a[1]);
  if (!strcmp(n, "cauchy")) return (genc_cauchy)(ctx, a[0], a[1]);
  if (!strcmp(n, "lognormal")) return (genc_lognormal)(ctx, a[0], a[1]);
  return (genc_bernoulli)(ctx, a[0]);
}

/* Bitwise equality (so -0.0 != 0.0 and NaN == NaN of one payload). */
static void same_bits(double a, double b, const char *what, const char *dist) {
  if (memcmp(&a, &b, sizeof a)) fail_msg("%s %s: fast %.17g, array path %.17g", dist, what, a, b);
}

/* The fast path is taken exactly where it is promised. */
static void test_applies(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  double pv[GENC_DIST_MAX_PARAMS];
  genc_dist d = genc_normal(ctx, 0.0, 1.0);
  assert_true(genc__dist_scalar_params(ctx, &d, 0, pv) == (genc_ctx_device(ctx) == GENC_CPU));
  assert_false(genc__dist_scalar_params(ctx, &d, 3, pv)); /* a batched draw */
  genc_dist v = make(ctx, &cases[0], cases[0].p, true);
  assert_false(genc__dist_scalar_params(ctx, &v, 0, pv)); /* 1-d parameters */
  genc_dist f = genc_normal(ctx, genc_scalar_of(ctx, 0.0, GENC_F32), 1.0);
  assert_false(genc__dist_scalar_params(ctx, &f, 0, pv)); /* f32 draws */
  genc_dist g = genc_gamma(ctx, 2.0, 1.0);
  assert_false(genc__dist_scalar_params(ctx, &g, 0, pv)); /* no scalar functions */
  T_OK(ctx, genc_tape_begin(ctx) == GENC_OK);
  assert_false(genc__dist_scalar_params(ctx, &d, 0, pv)); /* a tape records */
  genc_tape_end(ctx);
  genc_scope_end(ctx, mark);
}

/* Draws: the fast one equals the tape-forced and the 1-d-parameter draws bit
 * for bit, over even and odd particle offsets (Box-Muller cos and sin). */
static void test_sample_same(void **state) {
  genc_ctx *ctx = *state;
  for (int c = 0; c < NCASES; c++) {
    for (int s = 0; s < 40; s++) {
      int64_t mark = genc_scope_begin(ctx);
      genc_key key = genc_key_particle(genc_key_from_seed((uint64_t)s), (uint32_t)(s % 3));
      genc_dist d0 = make(ctx, &cases[c], cases[c].p, false);
      genc_dist d1 = make(ctx, &cases[c], cases[c].p, true);
      genc_array *fast = genc_dist_sample(ctx, key, &d0, 0);
      T_OK(ctx, fast);
      T_OK(ctx, genc_tape_begin(ctx) == GENC_OK);
      genc_array *taped = genc_dist_sample(ctx, key, &d0, 0);
      genc_tape_end(ctx);
      genc_array *vec = genc_dist_sample(ctx, key, &d1, 0);
      T_OK(ctx, taped && vec);
      assert_int_equal(genc_array_ndim(fast), 0);
      assert_int_equal(genc_array_dtype(fast), genc_array_dtype(taped));
      same_bits(t_item(ctx, fast), t_item(ctx, taped), "draw vs taped", cases[c].name);
      same_bits(t_item(ctx, fast), t_at(ctx, vec, 0), "draw vs 1-d", cases[c].name);
      genc_scope_end(ctx, mark);
    }
  }
}

/* Densities: fast equals the same formula on arrays (tape-forced) exactly, and
 * the 1-d-parameter path (whose normal formula differs) to 2 ulp. */
static void test_logpdf_same(void **state) {
  genc_ctx *ctx = *state;
  for (int c = 0; c < NCASES; c++) {
    for (int i = 0; i < 6; i++) {
      int64_t mark = genc_scope_begin(ctx);
      genc_dist d0 = make(ctx, &cases[c], cases[c].p, false);
      genc_dist d1 = make(ctx, &cases[c], cases[c].p, true);
      genc_array *x = genc_scalar(ctx, cases[c].xs[i]);
      genc_array *fast = genc_dist_logpdf(ctx, &d0, x);
      T_OK(ctx, genc_tape_begin(ctx) == GENC_OK);
      genc_array *taped = genc_dist_logpdf(ctx, &d0, x);
      genc_tape_end(ctx);
      genc_array *vec = genc_dist_logpdf(ctx, &d1, x);
      T_OK(ctx, fast && taped && vec);
      same_bits(t_item(ctx, fast), t_item(ctx, taped), "logpdf vs taped", cases[c].name);
      T_CLOSE(t_item(ctx, fast), t_item(ctx, vec), 4e-16);
      genc_scope_end(ctx, mark);
    }
  }
}

/* Integer and bool values are scored as their f64 values on both paths. */
static void test_logpdf_int_values(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  genc_dist b = genc_bernoulli(ctx, genc_scalar(ctx, 0.3));
  genc_array *t = genc_scalar_of(ctx, 1.0, GENC_BOOL), *k = genc_scalar_of(ctx, 0.0, GENC_I32);
  double ft = t_item(ctx, genc_dist_logpdf(ctx, &b, t));
  double fk = t_item(ctx, genc_dist_logpdf(ctx, &b, k));
  T_OK(ctx, genc_tape_begin(ctx) == GENC_OK);
  same_bits(ft, t_item(ctx, genc_dist_logpdf(ctx, &b, t)), "bool value", "bernoulli");
  same_bits(fk, t_item(ctx, genc_dist_logpdf(ctx, &b, k)), "i32 value", "bernoulli");
  genc_tape_end(ctx);
  assert_true(ft == log(0.3));
  assert_true(fk == log1p(-0.3));
  genc_scope_end(ctx, mark);
}

typedef struct bad {
  int c;
  double p[2];
  const char *msg;
} bad;

/* Invalid scalar parameters: the fast path gives the array path's status and
 * message, which names the distribution and the parameter. */
static void test_errors_same(void **state) {
  genc_ctx *ctx = *state;
  static const bad bads[] = {
      {0, {0.0, 0.0}, "normal: parameter sigma must be finite and > 0 (got 0)"},
      {0, {NAN, 1.0}, "normal: parameter mu must be finite (got nan)"},
      {0, {0.0, INFINITY}, "normal: parameter sigma must be finite and > 0 (got inf)"},
      {1, {0.0, -2.0}, "broadcasted_normal: parameter sigma must be finite and > 0 (got -2)"},
      {2, {1.0, 1.0}, "uniform: parameter lo must be < hi"},
      {2, {-INFINITY, 1.0}, "uniform: parameter lo must be finite (got -inf)"},
      {3, {0.0}, "exponential: parameter rate must be finite and > 0 (got 0)"},
      {4, {0.0, -1.0}, "laplace: parameter scale must be finite and > 0 (got -1)"},
      {5, {NAN, 1.0}, "cauchy: parameter loc must be finite (got nan)"},
      {6, {0.0, 0.0}, "lognormal: parameter sigma must be finite and > 0 (got 0)"},
      {7, {1.5}, "bernoulli: parameter p must be in [0, 1] (got 1.5)"},
      {7, {NAN}, "bernoulli: parameter p must be in [0, 1] (got nan)"},
  };
  for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
    const bad *b = &bads[i];
    for (int op = 0; op < 2; op++) {
      char fast[1024];
      int64_t mark = genc_scope_begin(ctx);
      genc_dist d0 = make(ctx, &cases[b->c], b->p, false);
      genc_dist d1 = make(ctx, &cases[b->c], b->p, true);
      genc_array *x = genc_scalar(ctx, 0.5);
      genc_ctx_clear_error(ctx);
      genc_array *r =
          op ? genc_dist_logpdf(ctx, &d0, x) : genc_dist_sample(ctx, genc_key_from_seed(1), &d0, 0);
      assert_null(r);
      assert_int_equal(genc_ctx_status(ctx), GENC_ERR_DOMAIN);
      snprintf(fast, sizeof fast, "%s", genc_ctx_error(ctx));
      assert_string_equal(fast, b->msg);
      genc_ctx_clear_error(ctx);
      r = op ? genc_dist_logpdf(ctx, &d1, x) : genc_dist_sample(ctx, genc_key_from_seed(1), &d1, 0);
      assert_null(r);
      assert_int_equal(genc_ctx_status(ctx), GENC_ERR_DOMAIN);
      /* after the name: the [1]-shaped twin of normal is broadcasted_normal */
      assert_string_equal(strchr(genc_ctx_error(ctx), ':'), strchr(fast, ':'));
      genc_ctx_clear_error(ctx);
      genc_scope_end(ctx, mark);
    }
  }
}

/* ---- single-trace GFI runs: host sums vs array sums ---- */

/* inner(m): v ~ N(m, 1) */
static genc_array *m_inner(genc_rt *rt, genc_array *const *args, void *u) {
  (void)u;
  return GENC_TRACE(rt, "v", genc_normal(genc_rt_ctx(rt), args[0], 1.0));
}

/* Every covered distribution, a site on the array path ([1]-shaped mean) in
 * the middle, and a splice (an array score term joining a host sum). */
static genc_array *m_mixed(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *a = GENC_TRACE(rt, "a", genc_normal(ctx, 0.0, 1.0));
  genc_array *b = GENC_TRACE(rt, "b", genc_uniform(ctx, -1.0, 2.0));
  GENC_TRACE(rt, "c", genc_exponential(ctx, genc_add(ctx, genc_exp(ctx, a), 0.5)));
  double one = 1.0;
  GENC_TRACE(rt, "vec", genc_broadcasted_normal(ctx, genc_array_vec(ctx, 1, &one), 2.0));
  GENC_TRACE(rt, "d", genc_laplace(ctx, b, 0.7));
  genc_array *s = genc_rt_splice(rt, GENC_SYM("sub"), (genc_gf *)u, &a);
  GENC_TRACE(rt, "e", genc_cauchy(ctx, s, 1.5));
  GENC_TRACE(rt, "f", genc_lognormal(ctx, 0.1, 0.4));
  GENC_TRACE(rt, "g", genc_bernoulli(ctx, 0.35));
  return GENC_TRACE(rt, "h", genc_broadcasted_normal(ctx, a, 0.3));
}

typedef struct gfis {
  genc_gf *inner, *mixed;
} gfis;

static gfis make_gfs(void) {
  gfis g;
  g.inner = genc_gf_dynamic("inner", m_inner, 1, NULL);
  g.mixed = genc_gf_dynamic("mixed", m_mixed, 0, g.inner);
  return g;
}

static void free_gfs(gfis g) {
  genc_gf_release(g.mixed);
  genc_gf_release(g.inner);
}

static genc_trace *sim(genc_ctx *ctx, genc_gf *gf, uint64_t seed, bool taped) {
  if (taped) T_OK(ctx, genc_tape_begin(ctx) == GENC_OK);
  genc_trace *t = genc_gf_simulate(ctx, gf, NULL, genc_key_from_seed(seed), 0);
  if (taped) genc_tape_end(ctx);
  T_OK(ctx, t);
  return t;
}

static const char *const addrs[] = {"a", "b", "c", "vec", "d", "e", "f", "g", "h"};

/* simulate, assess and generate: fast and taped runs agree bit for bit, and
 * assess / fully constrained generate reproduce the score exactly. */
static void test_gfi_simulate_assess(void **state) {
  genc_ctx *ctx = *state;
  gfis g = make_gfs();
  for (uint64_t seed = 0; seed < 20; seed++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_trace *t = sim(ctx, g.mixed, seed, false), *tt = sim(ctx, g.mixed, seed, true);
    double score = t_item(ctx, genc_trace_score(t));
    same_bits(score, t_item(ctx, genc_trace_score(tt)), "score", "mixed");
    const genc_choicemap *cm = genc_trace_choices(ctx, t);
    const genc_choicemap *ct = genc_trace_choices(ctx, tt);
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
      genc_comp c = genc_sym_intern(addrs[i]);
      same_bits(t_at(ctx, genc_choicemap_lookup(cm, c), 0),
                t_at(ctx, genc_choicemap_lookup(ct, c), 0), addrs[i], "mixed choice");
    }
    genc_array *w = genc_gf_assess(ctx, g.mixed, NULL, cm, NULL);
    T_OK(ctx, w);
    same_bits(t_item(ctx, w), score, "assess", "mixed");
    genc_array *gw = NULL;
    genc_trace *gt = genc_gf_generate(ctx, g.mixed, NULL, cm, genc_key_from_seed(99), 0, &gw);
    T_OK(ctx, gt);
    same_bits(t_item(ctx, gw), score, "generate weight", "mixed");
    same_bits(t_item(ctx, genc_trace_score(gt)), score, "generate score", "mixed");
    genc_trace_release(gt);
    genc_trace_release(t);
    genc_trace_release(tt);
    genc_scope_end(ctx, mark);
  }
  free_gfs(g);
}

/* regenerate and update weights: fast and taped runs agree bit for bit. */
static void test_gfi_regenerate_update(void **state) {
  genc_ctx *ctx = *state;
  gfis g = make_gfs();
  genc_selection *sel = genc_selection_new(ctx);
  genc_selection_add(ctx, sel, GENC_SYM("a"));
  genc_selection_add(ctx, sel, GENC_SYM("g"));
  for (uint64_t seed = 0; seed < 20; seed++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_trace *t = sim(ctx, g.mixed, seed, false);
    genc_key key = genc_key_from_seed(1000 + seed);
    genc_array *w = NULL, *wt = NULL;
    genc_trace *r = genc_gf_regenerate(ctx, t, NULL, NULL, sel, key, &w);
    T_OK(ctx, genc_tape_begin(ctx) == GENC_OK);
    genc_trace *rt = genc_gf_regenerate(ctx, t, NULL, NULL, sel, key, &wt);
    genc_tape_end(ctx);
    T_OK(ctx, r && rt);
    same_bits(t_item(ctx, w), t_item(ctx, wt), "regenerate weight", "mixed");
    same_bits(t_item(ctx, genc_trace_score(r)), t_item(ctx, genc_trace_score(rt)),
              "regenerate score", "mixed");
    genc_choicemap *u = genc_choicemap_new(ctx);
    genc_choicemap_set(ctx, u, GENC_SYM("b"), genc_scalar(ctx, 0.25));
    genc_choicemap_set(ctx, u, GENC_SYM("g"), genc_scalar_of(ctx, 1.0, GENC_BOOL));
    genc_trace *up = genc_gf_update(ctx, t, NULL, NULL, u, key, &w, NULL);
    T_OK(ctx, genc_tape_begin(ctx) == GENC_OK);
    genc_trace *upt = genc_gf_update(ctx, t, NULL, NULL, u, key, &wt, NULL);
    genc_tape_end(ctx);
    T_OK(ctx, up && upt);
    same_bits(t_item(ctx, w), t_item(ctx, wt), "update weight", "mixed");
    /* update's weight is the change of score */
    T_CLOSE(t_item(ctx, w), t_item(ctx, genc_trace_score(up)) - t_item(ctx, genc_trace_score(t)),
            1e-12);
    genc_choicemap_free(u);
    genc_trace_release(up);
    genc_trace_release(upt);
    genc_trace_release(r);
    genc_trace_release(rt);
    genc_trace_release(t);
    genc_scope_end(ctx, mark);
  }
  genc_selection_release(sel);
  free_gfs(g);
}

/* A batched run (array path) reproduces single traces (fast path), and project
 * reads host-kept densities. */
static void test_gfi_batched_and_project(void **state) {
  genc_ctx *ctx = *state;
  gfis g = make_gfs();
  int64_t mark = genc_scope_begin(ctx);
  genc_key key = genc_key_from_seed(7);
  genc_trace *bt = genc_gf_simulate(ctx, g.mixed, NULL, key, 6);
  T_OK(ctx, bt);
  for (uint32_t i = 0; i < 6; i++) {
    genc_trace *t = genc_gf_simulate(ctx, g.mixed, NULL, genc_key_particle(key, i), 0);
    T_OK(ctx, t);
    /* a batch runs exp and log in their vector versions (libmvec, at most 4 ulp:
     * src/backend/cpu/vecmath.h), so equal to a few ulp of the score, not in bits */
    T_CLOSE(t_item(ctx, genc_trace_score(t)), t_at(ctx, genc_trace_score(bt), i), 1e-14);
    genc_selection *all = genc_selection_all();
    genc_array *p = genc_gf_project(ctx, t, all);
    T_OK(ctx, p);
    T_CLOSE(t_item(ctx, p), t_item(ctx, genc_trace_score(t)), 1e-14);
    genc_selection_release(all);
    genc_trace_release(t);
  }
  genc_trace_release(bt);
  genc_scope_end(ctx, mark);
  free_gfs(g);
}

/* An invalid scalar parameter inside a model names the address, the
 * distribution and the parameter, as on the array path. */
static genc_array *m_bad(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  GENC_TRACE(rt, "ok", genc_normal(ctx, 0.0, 1.0));
  return GENC_TRACE(rt, "bad", genc_normal(ctx, 0.0, -1.0));
}

static void test_gfi_error(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("badm", m_bad, 0, NULL);
  char fast[1024];
  assert_null(genc_gf_simulate(ctx, gf, NULL, genc_key_from_seed(1), 0));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_DOMAIN);
  snprintf(fast, sizeof fast, "%s", genc_ctx_error(ctx));
  assert_non_null(strstr(fast, "bad"));
  assert_non_null(strstr(fast, "normal: parameter sigma must be finite and > 0 (got -1)"));
  T_OK(ctx, genc_tape_begin(ctx) == GENC_OK);
  assert_null(genc_gf_simulate(ctx, gf, NULL, genc_key_from_seed(1), 0));
  genc_tape_end(ctx);
  assert_string_equal(genc_ctx_error(ctx), fast);
  genc_ctx_clear_error(ctx);
  genc_gf_release(gf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_applies),
      cmocka_unit_test(test_sample_same),
      cmocka_unit_test(test_logpdf_same),
      cmocka_unit_test(test_logpdf_int_values),
      cmocka_unit_test(test_errors_same),
      cmocka_unit_test(test_gfi_simulate_assess),
      cmocka_unit_test(test_gfi_regenerate_update),
      cmocka_unit_test(test_gfi_batched_and_project),
      cmocka_unit_test(test_gfi_error),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
