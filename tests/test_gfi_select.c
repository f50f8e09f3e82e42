/* genc_trace_select: per-particle select between two batched traces (the
 * accept/reject step of N-chain MCMC), by the zip fast path and the generic
 * choice-map fallback. */
#include "testutil.h"

/* mu ~ N(x, 1); v ~ N(mu, 1) of shape [2]; returns mu + x */
static genc_array *m_two(genc_rt *rt, genc_array *const *args, void *u) {
  (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, args[0], 1.0));
  genc_array *loc = genc_add(ctx, mu, genc_array_zeros(ctx, GENC_F64, 1, (int64_t[]){2}, 0));
  GENC_TRACE(rt, "v", genc_broadcasted_normal(ctx, loc, 1.0));
  return genc_add(ctx, mu, args[0]);
}

static genc_array *k_one(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  return GENC_TRACE(rt, "z", genc_normal(ctx, 0.0, 1.0));
}

/* The repeat combinator has no trace_zip: splicing it forces the fallback. */
static genc_array *m_splice(genc_rt *rt, genc_array *const *args, void *u) {
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, args[0], 1.0));
  genc_rt_splice(rt, GENC_SYM("r"), (genc_gf *)u, NULL);
  return mu;
}

static void check_particle(genc_ctx *ctx, genc_trace *s, genc_trace *src, int64_t i) {
  int64_t m = genc_scope_begin(ctx);
  genc_trace *ps = genc_trace_particle(ctx, s, i), *pq = genc_trace_particle(ctx, src, i);
  T_OK(ctx, ps && pq);
  const genc_choicemap *cs = genc_trace_choices(ctx, ps), *cq = genc_trace_choices(ctx, pq);
  assert_int_equal(genc_choicemap_num_values(cs), genc_choicemap_num_values(cq));
  assert_true(genc_choicemap_equal(ctx, cs, cq));
  assert_true(t_item(ctx, genc_trace_score(ps)) == t_item(ctx, genc_trace_score(pq)));
  assert_true(t_item(ctx, genc_trace_retval(ps)) == t_item(ctx, genc_trace_retval(pq)));
  assert_true(t_item(ctx, genc_trace_arg(ps, 0)) == t_item(ctx, genc_trace_arg(pq, 0)));
  genc_trace_release(ps), genc_trace_release(pq);
  genc_scope_end(ctx, m);
}

/* a and b differ everywhere (different keys, a batched argument in b): every
 * particle of the selection must be the chosen trace's particle, exactly. */
static void run_select(genc_ctx *ctx, genc_gf *gf) {
  const int64_t n = 7;
  int64_t live = genc_ctx_live_arrays(ctx), mark = genc_scope_begin(ctx);
  genc_array *xa = genc_scalar(ctx, 0.5);
  genc_array *xb = genc_random_normal(ctx, genc_key_from_seed(9), GENC_F64, 0, NULL, n);
  genc_trace *a = genc_gf_simulate(ctx, gf, (genc_array *[]){xa}, genc_key_from_seed(1), n);
  genc_trace *b = genc_gf_simulate(ctx, gf, (genc_array *[]){xb}, genc_key_from_seed(2), n);
  T_OK(ctx, a && b);
  bool c[7] = {true, false, false, true, true, false, true};
  genc_array *cond = genc_array_from(ctx, GENC_BOOL, 1, (int64_t[]){n}, 0, c);
  T_OK(ctx, cond);
  genc_trace *s = genc_trace_select(ctx, cond, a, b);
  T_OK(ctx, s);
  assert_int_equal(genc_trace_nparticles(s), n);
  for (int64_t i = 0; i < n; i++)
    check_particle(ctx, s, c[i] ? a : b, i);
  genc_trace_release(s);
  genc_trace_release(a), genc_trace_release(b);
  genc_scope_end(ctx, mark);
  assert_int_equal(genc_ctx_live_arrays(ctx), live); /* nothing leaked */
}

static void test_select_fast_path(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("two", m_two, 1, NULL);
  run_select(ctx, gf);
  genc_gf_release(gf);
}

static void test_select_fallback_spliced(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *k = genc_gf_dynamic("one", k_one, 0, NULL);
  genc_gf *rep = genc_repeat(k, 3);
  genc_gf *gf = genc_gf_dynamic("spl", m_splice, 1, rep);
  run_select(ctx, gf);
  genc_gf_release(gf), genc_gf_release(rep), genc_gf_release(k);
}

/* single traces: a shared 0-d bool picks one of them */
static void test_select_single(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *gf = genc_gf_dynamic("two", m_two, 1, NULL);
  genc_array *x = genc_scalar(ctx, 0.0);
  genc_trace *a = genc_gf_simulate(ctx, gf, (genc_array *[]){x}, genc_key_from_seed(1), 0);
  genc_trace *b = genc_gf_simulate(ctx, gf, (genc_array *[]){x}, genc_key_from_seed(2), 0);
  genc_trace *s = genc_trace_select(ctx, genc_scalar_of(ctx, 1, GENC_BOOL), a, b);
  assert_ptr_equal(s, a);
  genc_trace_release(s);
  s = genc_trace_select(ctx, genc_scalar_of(ctx, 0, GENC_BOOL), a, b);
  assert_ptr_equal(s, b);
  genc_trace_release(s);
  /* errors name the function */
  assert_null(genc_trace_select(ctx, genc_scalar(ctx, 1.0), a, b));
  assert_non_null(strstr(genc_ctx_error(ctx), "two"));
  genc_trace *bb = genc_gf_simulate(ctx, gf, (genc_array *[]){x}, genc_key_from_seed(2), 3);
  assert_null(genc_trace_select(ctx, genc_scalar_of(ctx, 1, GENC_BOOL), a, bb));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ARG);
  genc_trace_release(a), genc_trace_release(b), genc_trace_release(bb);
  genc_gf_release(gf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_select_fast_path),
      cmocka_unit_test(test_select_fallback_spliced),
      cmocka_unit_test(test_select_single),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
