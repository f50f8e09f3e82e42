/* Edits with proposals that read the trace (Gen.jl's mh(trace, proposal, args)):
 * the forward proposal sees the old trace, the backward one the new trace. */
#include "testutil.h"

/* mu ~ N(0, 1); y ~ N(mu, 1) */
static genc_array *m_norm(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *mu = GENC_TRACE(rt, "mu", genc_normal(ctx, 0.0, 1.0));
  return GENC_TRACE(rt, "y", genc_normal(ctx, mu, 1.0));
}

/* random walk: mu' ~ N(mu of the source trace, 1) */
static genc_array *q_walk(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_comp p = GENC_SYM("mu");
  genc_array *mu = genc_trace_get(ctx, genc_rt_from(rt), &p, 1);
  return GENC_TRACE(rt, "mu", genc_normal(ctx, mu, 1.0));
}

/* One MH step by edit; returns the trace kept (a new reference). */
static genc_trace *mh_step(genc_ctx *ctx, genc_trace *t, genc_gf *q, genc_key key) {
  genc_key k[2];
  genc_key_split(key, 2, k);
  genc_edit_request req = {.kind = GENC_EDIT_PROPOSAL, .fwd = q, .bwd = q};
  genc_edit_result r;
  int64_t m = genc_scope_begin(ctx);
  if (genc_gf_edit(ctx, t, &req, k[0], &r)) fail_msg("edit: %s", genc_ctx_error(ctx));
  genc_array *u = genc_random_uniform(ctx, k[1], GENC_F64, 0, NULL, 0);
  bool accept = log(t_item(ctx, u)) < t_item(ctx, r.weight);
  genc_trace *out = genc_trace_retain(accept ? r.trace : t);
  genc_edit_result_clear(&r);
  genc_scope_end(ctx, m);
  return out;
}

static double trace_double(genc_ctx *ctx, const genc_trace *t, const char *name) {
  genc_comp p = genc_sym_intern(name);
  return t_item(ctx, genc_trace_get(ctx, t, &p, 1));
}

/* The law test: with y = 0 the posterior is N(0, 1/2). 2000 independent
 * chains of 40 steps from the prior (the random walk mixes in a few steps, so
 * the final states are posterior draws up to a negligible bias); the mean's SE
 * is 0.707/sqrt(2000) = 0.0158 and the sd's about 0.707/sqrt(2*2000) = 0.0112:
 * both within 4 SE. Fixed proposal arguments gave sd 1.07. */
static void test_random_walk_posterior(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *model = genc_gf_dynamic("norm", m_norm, 0, NULL);
  genc_gf *walk = genc_gf_dynamic("walk", q_walk, 0, NULL);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  T_OK(ctx, !genc_choicemap_set(ctx, obs, GENC_SYM("y"), genc_scalar(ctx, 0.0)));
  const int chains = 2000, steps = 40;
  double s1 = 0, s2 = 0;
  genc_key key = genc_key_from_seed(11);
  for (int c = 0; c < chains; c++) {
    int64_t m = genc_scope_begin(ctx);
    genc_key kc = genc_key_fold_in(key, (uint64_t)c);
    genc_trace *t = genc_gf_generate(ctx, model, NULL, obs, kc, 0, NULL);
    T_OK(ctx, t);
    for (int s = 0; s < steps; s++) {
      genc_trace *n = mh_step(ctx, t, walk, genc_key_fold_in(kc, 1000 + (uint64_t)s));
      genc_trace_release(t);
      t = n;
    }
    double mu = trace_double(ctx, t, "mu");
    s1 += mu, s2 += mu * mu;
    genc_trace_release(t);
    genc_scope_end(ctx, m);
  }
  double mean = s1 / chains, sd = sqrt(s2 / chains - mean * mean);
  double se_mean = M_SQRT1_2 / sqrt(chains), se_sd = M_SQRT1_2 / sqrt(2.0 * chains);
  if (fabs(mean) > 4 * se_mean) fail_msg("posterior mean %g, expected 0 +- %g", mean, 4 * se_mean);
  if (fabs(sd - M_SQRT1_2) > 4 * se_sd)
    fail_msg("posterior sd %g, expected %g +- %g", sd, M_SQRT1_2, 4 * se_sd);
  genc_choicemap_free(obs);
  genc_gf_release(walk);
  genc_gf_release(model);
}

/* The edit weight is the MH log-ratio computed by hand:
 * log p(new) - log p(old) + log q(old | new) - log q(new | old). */
static void test_edit_weight_by_hand(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *model = genc_gf_dynamic("norm", m_norm, 0, NULL);
  genc_gf *walk = genc_gf_dynamic("walk", q_walk, 0, NULL);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  T_OK(ctx, !genc_choicemap_set(ctx, obs, GENC_SYM("y"), genc_scalar(ctx, 0.3)));
  genc_trace *t = genc_gf_generate(ctx, model, NULL, obs, genc_key_from_seed(3), 0, NULL);
  T_OK(ctx, t);
  genc_edit_request req = {.kind = GENC_EDIT_PROPOSAL, .fwd = walk, .bwd = walk};
  genc_edit_result r;
  T_OK(ctx, !genc_gf_edit(ctx, t, &req, genc_key_from_seed(4), &r));
  double a = trace_double(ctx, t, "mu"), b = trace_double(ctx, r.trace, "mu");
  double lp_old = -0.5 * a * a - 0.5 * (0.3 - a) * (0.3 - a);
  double lp_new = -0.5 * b * b - 0.5 * (0.3 - b) * (0.3 - b);
  /* the random walk is symmetric: q terms cancel */
  T_CLOSE(t_item(ctx, r.weight), lp_new - lp_old, 1e-12);
  T_CLOSE(trace_double(ctx, r.discard ? r.trace : t, "y"), 0.3, 0);
  /* the backward request swaps the proposals; applying it scores the way back */
  assert_int_equal(r.backward.kind, GENC_EDIT_PROPOSAL);
  assert_ptr_equal(r.backward.fwd, walk);
  genc_edit_result_clear(&r);
  genc_trace_release(t);
  genc_choicemap_free(obs);
  genc_gf_release(walk);
  genc_gf_release(model);
}

/* A batched edit equals the single-trace edits of its particles. */
static void test_batched_edit_matches_single(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *model = genc_gf_dynamic("norm", m_norm, 0, NULL);
  genc_gf *walk = genc_gf_dynamic("walk", q_walk, 0, NULL);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  T_OK(ctx, !genc_choicemap_set(ctx, obs, GENC_SYM("y"), genc_scalar(ctx, -0.4)));
  const int n = 6;
  genc_key k0 = genc_key_from_seed(21), k1 = genc_key_from_seed(22);
  genc_trace *tb = genc_gf_generate(ctx, model, NULL, obs, k0, n, NULL);
  T_OK(ctx, tb);
  genc_edit_request req = {.kind = GENC_EDIT_PROPOSAL, .fwd = walk, .bwd = walk};
  genc_edit_result rb;
  T_OK(ctx, !genc_gf_edit(ctx, tb, &req, k1, &rb));
  for (int i = 0; i < n; i++) {
    genc_trace *ts = genc_gf_generate(ctx, model, NULL, obs, genc_key_particle(k0, i), 0, NULL);
    genc_edit_result rs;
    T_OK(ctx, !genc_gf_edit(ctx, ts, &req, genc_key_particle(k1, i), &rs));
    genc_comp p = GENC_SYM("mu");
    T_CLOSE(t_at(ctx, genc_trace_get(ctx, rb.trace, &p, 1), i),
            t_item(ctx, genc_trace_get(ctx, rs.trace, &p, 1)), 1e-14);
    T_CLOSE(t_at(ctx, rb.weight, i), t_item(ctx, rs.weight), 1e-12);
    genc_edit_result_clear(&rs);
    genc_trace_release(ts);
  }
  genc_edit_result_clear(&rb);
  genc_trace_release(tb);
  genc_choicemap_free(obs);
  genc_gf_release(walk);
  genc_gf_release(model);
}

/* Discrete model: k ~ Categorical(prior) on {0..4}; y ~ N(k, 1), y = 2.6. */
static const double prior_p[5] = {0.1, 0.3, 0.2, 0.15, 0.25};

static genc_array *m_disc(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  double lg[5];
  for (int j = 0; j < 5; j++)
    lg[j] = log(prior_p[j]);
  int64_t five = 5;
  genc_array *logits = genc_array_vec(ctx, five, lg);
  genc_array *k = GENC_TRACE(rt, "k", genc_categorical(ctx, logits));
  return GENC_TRACE(rt, "y", genc_normal(ctx, genc_astype(ctx, k, GENC_F64), 1.0));
}

/* An asymmetric proposal reading k: from k, move to k+1 (mod 5) with
 * probability 0.7 and to k-1 with 0.3. Its backward weight is not its forward
 * one, so a wrong source trace gives a wrong stationary law. */
static genc_array *q_step(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_comp p = GENC_SYM("k");
  double kv = t_item(ctx, genc_trace_get(ctx, genc_rt_from(rt), &p, 1));
  double lg[5];
  for (int j = 0; j < 5; j++)
    lg[j] = -INFINITY;
  int k = (int)kv;
  lg[(k + 1) % 5] = log(0.7);
  lg[(k + 4) % 5] = log(0.3);
  int64_t five = 5;
  genc_array *logits = genc_array_vec(ctx, five, lg);
  return GENC_TRACE(rt, "k", genc_categorical(ctx, logits));
}

/* Custom-proposal MH against exact enumeration: the visit frequencies of one
 * long chain (after a burn-in) against the exact posterior. The chain mixes in
 * a few steps; its states are correlated, so the tolerance is 5 SE with the
 * binomial SE inflated by a factor 3 for autocorrelation (an integrated
 * autocorrelation time below 9 steps on this 5-state chain). */
static void test_discrete_mh_against_enumeration(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *model = genc_gf_dynamic("disc", m_disc, 0, NULL);
  genc_gf *q = genc_gf_dynamic("step", q_step, 0, NULL);
  genc_choicemap *obs = genc_choicemap_new(ctx);
  T_OK(ctx, !genc_choicemap_set(ctx, obs, GENC_SYM("y"), genc_scalar(ctx, 2.6)));
  double post[5], z = 0;
  for (int j = 0; j < 5; j++)
    z += post[j] = prior_p[j] * exp(-0.5 * (2.6 - j) * (2.6 - j));
  for (int j = 0; j < 5; j++)
    post[j] /= z;
  genc_trace *t = genc_gf_generate(ctx, model, NULL, obs, genc_key_from_seed(5), 0, NULL);
  T_OK(ctx, t);
  const int burn = 200, steps = 40000;
  int count[5] = {0};
  genc_key key = genc_key_from_seed(6);
  for (int s = 0; s < burn + steps; s++) {
    genc_trace *n = mh_step(ctx, t, q, genc_key_fold_in(key, (uint64_t)s));
    genc_trace_release(t);
    t = n;
    if (s >= burn) count[(int)trace_double(ctx, t, "k")]++;
  }
  for (int j = 0; j < 5; j++) {
    double f = (double)count[j] / steps, se = 3 * sqrt(post[j] * (1 - post[j]) / steps);
    if (fabs(f - post[j]) > 5 * se)
      fail_msg("state %d: frequency %g, exact %g (tol %g)", j, f, post[j], 5 * se);
  }
  genc_trace_release(t);
  genc_choicemap_free(obs);
  genc_gf_release(q);
  genc_gf_release(model);
}

/* propose_from / assess_from need their source trace; without one a proposal
 * that reads it fails naming the address, not with a crash. */
static void test_source_trace_required(void **state) {
  genc_ctx *ctx = *state;
  genc_gf *walk = genc_gf_dynamic("walk", q_walk, 0, NULL);
  genc_choicemap *u =
      genc_gf_propose_from(ctx, walk, NULL, NULL, genc_key_from_seed(1), NULL, NULL);
  assert_null(u);
  assert_non_null(strstr(genc_ctx_error(ctx), "source trace"));
  u = genc_gf_propose(ctx, walk, NULL, genc_key_from_seed(1), 0, NULL, NULL);
  assert_null(u);
  assert_int_not_equal(genc_ctx_status(ctx), GENC_OK);
  /* a NULL context is refused, not dereferenced */
  genc_edit_request req = {.kind = GENC_EDIT_PROPOSAL, .fwd = walk, .bwd = walk};
  genc_edit_result r;
  assert_int_equal(genc_gf_edit(NULL, NULL, &req, genc_key_from_seed(1), &r), GENC_ERR_ARG);
  genc_gf_release(walk);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_random_walk_posterior),
      cmocka_unit_test(test_edit_weight_by_hand),
      cmocka_unit_test(test_batched_edit_matches_single),
      cmocka_unit_test(test_discrete_mh_against_enumeration),
      cmocka_unit_test(test_source_trace_required),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
