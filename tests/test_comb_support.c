/* genc_trace_support for choices inside combinator traces (each type's
 * trace_support entry): Map, Unfold, Scan (the step's kernel trace), Switch and
 * Mask (the taken branch; every branch for a batched index), Vmap (the flat
 * kernel trace, bounds back in [T] shape), Mix, Recurse, Contramap and Dimap
 * (the inner trace), and a Map spliced into a dynamic model. */
#include "testutil.h"

/* kernel(a): x ~ Gamma(2, 1) (positive), u ~ Uniform(a, a + 1) (interval
 * with per-draw bounds), returns x. */
static genc_array *pos_kernel(genc_rt *rt, genc_array *const *args, void *user) {
  genc_ctx *ctx = genc_rt_ctx(rt);
  (void)user;
  genc_array *x = GENC_TRACE(rt, "x", genc_gamma(ctx, 2.0, 1.0));
  GENC_TRACE(rt, "u", genc_uniform(ctx, args[0], genc_add(ctx, args[0], genc_scalar(ctx, 1.0))));
  return x;
}

/* Unfold kernel(t, state): z ~ Normal(state, 1). */
static genc_array *walk(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user;
  return GENC_TRACE(rt, "z", genc_normal(genc_rt_ctx(rt), args[1], 1.0));
}

/* Scan kernel(carry, x_t): p ~ Beta(2, 2) (unit interval), returns carry + p. */
static genc_array *scan_k(genc_rt *rt, genc_array *const *args, void *user) {
  genc_ctx *ctx = genc_rt_ctx(rt);
  (void)user;
  return genc_add(ctx, args[0], GENC_TRACE(rt, "p", genc_beta(ctx, 2.0, 2.0)));
}

/* The support at path, asserting success. */
static genc_support_info sup(genc_ctx *ctx, const genc_trace *t, const char *path) {
  genc_support_info si = {0};
  if (genc_trace_support(ctx, t, path, &si))
    fail_msg("genc_trace_support(%s): %s", path, genc_ctx_error(ctx));
  return si;
}

/* The call must fail with st and a message containing w. */
static void sup_fails(genc_ctx *ctx, const genc_trace *t, const char *path, genc_status st,
                      const char *w) {
  genc_support_info si;
  assert_int_equal(genc_trace_support(ctx, t, path, &si), st);
  if (w && !strstr(genc_ctx_error(ctx), w))
    fail_msg("message '%s' lacks '%s'", genc_ctx_error(ctx), w);
  genc_ctx_clear_error(ctx);
}

static void test_map(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *k = genc_gf_dynamic("pk", pos_kernel, 1, NULL), *m = genc_map(k);
  genc_array *a = genc_array_vec(ctx, 3, (double[]){10, 20, 30});
  genc_trace *t = genc_gf_simulate(ctx, m, &a, genc_key_from_seed(3), 0);
  T_OK(ctx, t);
  genc_support_info si = sup(ctx, t, "1/x");
  assert_int_equal(si.support.kind, GENC_SUPPORT_POSITIVE);
  assert_string_equal(si.dist->name, "gamma");
  si = sup(ctx, t, "2/u"); /* element 2's own bounds: [30, 31] */
  assert_int_equal(si.support.kind, GENC_SUPPORT_INTERVAL);
  assert_true(t_item(ctx, si.lo) == 30.0 && t_item(ctx, si.hi) == 31.0);
  sup_fails(ctx, t, "3/x", GENC_ERR_ADDRESS, "steps 0..2");
  sup_fails(ctx, t, "0/nope", GENC_ERR_ADDRESS, "0/nope");
  sup_fails(ctx, t, "1", GENC_ERR_ADDRESS, NULL);
  genc_trace_release(t);
  genc_gf_release(m), genc_gf_release(k);
}

static void test_unfold_scan(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *k = genc_gf_dynamic("walk", walk, 2, NULL), *u = genc_unfold(k);
  genc_array *ua[2] = {genc_scalar_of(ctx, 4, GENC_I32), genc_scalar(ctx, 0.0)};
  genc_trace *t = genc_gf_simulate(ctx, u, ua, genc_key_from_seed(4), 0);
  T_OK(ctx, t);
  genc_support_info si = sup(ctx, t, "3/z");
  assert_int_equal(si.support.kind, GENC_SUPPORT_REAL);
  assert_string_equal(si.dist->name, "normal");
  sup_fails(ctx, t, "4/z", GENC_ERR_ADDRESS, "Unfold(walk)");
  genc_trace_release(t);
  genc_gf *sk = genc_gf_dynamic("sk", scan_k, 2, NULL), *s = genc_scan(sk, NULL, NULL);
  genc_array *sa[2] = {genc_scalar(ctx, 0.0), genc_array_vec(ctx, 5, (double[]){0, 0, 0, 0, 0})};
  t = genc_gf_simulate(ctx, s, sa, genc_key_from_seed(5), 0);
  T_OK(ctx, t);
  si = sup(ctx, t, "4/p");
  assert_int_equal(si.support.kind, GENC_SUPPORT_UNIT_INTERVAL);
  genc_trace_release(t);
  genc_gf_release(s), genc_gf_release(sk), genc_gf_release(u), genc_gf_release(k);
}

/* branch 0: x ~ Normal(a, 1); branch 1: x ~ Gamma(2, 1), w ~ Beta(2, 2) */
static genc_array *br_real(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user;
  return GENC_TRACE(rt, "x", genc_normal(genc_rt_ctx(rt), args[0], 1.0));
}
static genc_array *br_pos(genc_rt *rt, genc_array *const *args, void *user) {
  genc_ctx *ctx = genc_rt_ctx(rt);
  (void)user, (void)args;
  GENC_TRACE(rt, "w", genc_beta(ctx, 2.0, 2.0));
  return GENC_TRACE(rt, "x", genc_gamma(ctx, 2.0, 1.0));
}

static void test_switch_mask(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *br[2] = {genc_gf_dynamic("real", br_real, 1, NULL),
                    genc_gf_dynamic("pos", br_pos, 1, NULL)};
  genc_gf *sw = genc_switch("sw", 2, br), *mk = genc_mask("mk", br[1]);
  genc_array *args[2] = {genc_scalar_of(ctx, 1, GENC_I32), genc_scalar(ctx, 0.0)};
  genc_trace *t = genc_gf_simulate(ctx, sw, args, genc_key_from_seed(6), 0);
  T_OK(ctx, t);
  assert_int_equal(sup(ctx, t, "x").support.kind, GENC_SUPPORT_POSITIVE); /* taken: branch 1 */
  genc_trace_release(t);
  args[0] = genc_scalar_of(ctx, 0, GENC_I32);
  t = genc_gf_simulate(ctx, sw, args, genc_key_from_seed(6), 0);
  assert_int_equal(sup(ctx, t, "x").support.kind, GENC_SUPPORT_REAL); /* taken: branch 0 */
  sup_fails(ctx, t, "w", GENC_ERR_ADDRESS, "w");
  genc_trace_release(t);
  /* batched index: "w" only in branch 1 is answered; "x" differs per particle */
  args[0] = genc_array_from(ctx, GENC_I32, 0, NULL, 2, (int32_t[]){0, 1});
  t = genc_gf_simulate(ctx, sw, args, genc_key_from_seed(7), 2);
  T_OK(ctx, t);
  assert_int_equal(sup(ctx, t, "w").support.kind, GENC_SUPPORT_UNIT_INTERVAL);
  sup_fails(ctx, t, "x", GENC_ERR_UNSUPPORTED, "branches 0 and 1");
  sup_fails(ctx, t, "v", GENC_ERR_ADDRESS, "no branch of sw");
  genc_trace_release(t);
  args[0] = genc_scalar_of(ctx, 1, GENC_BOOL);
  t = genc_gf_simulate(ctx, mk, args, genc_key_from_seed(8), 0);
  T_OK(ctx, t);
  assert_int_equal(sup(ctx, t, "w").support.kind, GENC_SUPPORT_UNIT_INTERVAL);
  genc_trace_release(t);
  genc_gf_release(mk), genc_gf_release(sw), genc_gf_release(br[0]), genc_gf_release(br[1]);
}

static void test_vmap(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *k = genc_gf_dynamic("pk", pos_kernel, 1, NULL), *v = genc_vmap(k, 1u);
  genc_array *a = genc_array_vec(ctx, 3, (double[]){10, 20, 30});
  genc_trace *t = genc_gf_simulate(ctx, v, &a, genc_key_from_seed(9), 0);
  T_OK(ctx, t);
  assert_int_equal(sup(ctx, t, "x").support.kind, GENC_SUPPORT_POSITIVE);
  genc_support_info si = sup(ctx, t, "u"); /* per-element bounds as [3] arrays */
  assert_int_equal(si.support.kind, GENC_SUPPORT_INTERVAL);
  assert_false(genc_array_batched(si.lo));
  assert_int_equal(genc_array_size(si.lo), 3);
  for (int i = 0; i < 3; i++)
    assert_true(t_at(ctx, si.lo, i) == 10.0 * (i + 1) && t_at(ctx, si.hi, i) == 10.0 * (i + 1) + 1);
  genc_trace_release(t);
  genc_gf_release(v), genc_gf_release(k);
}

/* Recurse pieces: production(v): c ~ Gamma(2, 1), two children while v > 0. */
static genc_array *prod(genc_rt *rt, genc_array *const *args, void *u) {
  genc_ctx *ctx = genc_rt_ctx(rt);
  (void)u;
  if (!GENC_TRACE(rt, "c", genc_gamma(ctx, 2.0, 1.0))) return NULL;
  double v = 0;
  if (genc_array_item(ctx, args[0], &v)) return NULL;
  int64_t m = v > 0 ? 2 : 0;
  return genc_add(ctx, genc_array_zeros(ctx, GENC_F64, 1, &m, 0), v - 1);
}
static genc_array *agg(genc_rt *rt, genc_array *const *args, void *u) {
  (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  return genc_add(ctx, genc_sum_all(ctx, args[1]), 1.0);
}
static genc_status plus_one(genc_ctx *ctx, genc_array *const *in, genc_array **out, void *u) {
  (void)u;
  out[0] = genc_add(ctx, in[0], genc_scalar(ctx, 1.0));
  return out[0] ? GENC_OK : genc_ctx_status(ctx);
}
static genc_array *twice(genc_ctx *ctx, genc_array *x, void *u) {
  (void)u;
  return genc_mul(ctx, x, genc_scalar(ctx, 2.0));
}

static void test_mix_recurse_wrappers(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *br[2] = {genc_gf_dynamic("real", br_real, 1, NULL),
                    genc_gf_dynamic("pos", br_pos, 1, NULL)};
  genc_gf *mix = genc_mix("mix", 2, br);
  genc_array *margs[2] = {genc_array_vec(ctx, 2, (double[]){-INFINITY, 0.0}),
                          genc_scalar(ctx, 0.0)};
  genc_trace *t = genc_gf_simulate(ctx, mix, margs, genc_key_from_seed(10), 0);
  T_OK(ctx, t);
  assert_int_equal(sup(ctx, t, "component").support.kind, GENC_SUPPORT_DISCRETE);
  assert_int_equal(sup(ctx, t, "value/x").support.kind, GENC_SUPPORT_POSITIVE);
  genc_trace_release(t);
  genc_gf *pg = genc_gf_dynamic("prod", prod, 1, NULL), *ag = genc_gf_dynamic("agg", agg, 2, NULL);
  genc_gf *rec = genc_recurse("tree", pg, ag, 4);
  genc_array *root = genc_scalar(ctx, 2.0);
  t = genc_gf_simulate(ctx, rec, &root, genc_key_from_seed(11), 0);
  T_OK(ctx, t);
  assert_int_equal(sup(ctx, t, "production/c").support.kind, GENC_SUPPORT_POSITIVE);
  assert_int_equal(sup(ctx, t, "1/0/production/c").support.kind, GENC_SUPPORT_POSITIVE);
  sup_fails(ctx, t, "1/0/0/production/c", GENC_ERR_ADDRESS, "1/0/0/production/c");
  genc_trace_release(t);
  genc_gf *cm = genc_contramap("cm", br[0], 1, plus_one, NULL);
  genc_gf *dm = genc_dimap("dm", br[1], 1, NULL, twice, NULL);
  genc_array *x0 = genc_scalar(ctx, 0.0);
  t = genc_gf_simulate(ctx, cm, &x0, genc_key_from_seed(12), 0);
  T_OK(ctx, t);
  assert_int_equal(sup(ctx, t, "x").support.kind, GENC_SUPPORT_REAL);
  genc_trace_release(t);
  t = genc_gf_simulate(ctx, dm, &x0, genc_key_from_seed(13), 0);
  T_OK(ctx, t);
  assert_int_equal(sup(ctx, t, "w").support.kind, GENC_SUPPORT_UNIT_INTERVAL);
  genc_trace_release(t);
  genc_gf_release(cm), genc_gf_release(dm), genc_gf_release(rec), genc_gf_release(pg);
  genc_gf_release(ag), genc_gf_release(mix), genc_gf_release(br[0]), genc_gf_release(br[1]);
}

/* A Map spliced into a dynamic model at "pts". */
static genc_array *outer(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args;
  genc_array *a = genc_array_vec(genc_rt_ctx(rt), 2, (double[]){1, 2});
  return genc_rt_splice(rt, GENC_SYM("pts"), (genc_gf *)user, &a);
}

static void test_map_in_dynamic(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *k = genc_gf_dynamic("pk", pos_kernel, 1, NULL), *m = genc_map(k);
  genc_gf *gf = genc_gf_dynamic("outer", outer, 0, m);
  genc_trace *t = genc_gf_simulate(ctx, gf, NULL, genc_key_from_seed(14), 0);
  T_OK(ctx, t);
  genc_support_info si = sup(ctx, t, "pts/1/u");
  assert_true(t_item(ctx, si.lo) == 2.0 && t_item(ctx, si.hi) == 3.0);
  /* a failure deep inside names the relative address and the whole one */
  sup_fails(ctx, t, "pts/1/v", GENC_ERR_ADDRESS, "pts/1/v of outer");
  genc_trace_release(t);
  genc_gf_release(gf), genc_gf_release(m), genc_gf_release(k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_map),
      cmocka_unit_test(test_unfold_scan),
      cmocka_unit_test(test_switch_mask),
      cmocka_unit_test(test_vmap),
      cmocka_unit_test(test_mix_recurse_wrappers),
      cmocka_unit_test(test_map_in_dynamic),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
