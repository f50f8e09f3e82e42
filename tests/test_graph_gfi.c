/*
 * A captured batched generate (genc_gf_generate_capture, issue 12) on B1 of
 * the benchmarks (a, b, c ~ N(0, 1); 100 observations y_i ~ N(a + b x_i +
 * c x_i^2, 0.3)): a replay with a new key gives the trace values, score and
 * weights of an eager genc_gf_generate with that key, bit for bit; a single
 * trace (n = 0) too; a model that branches on a drawn value is refused; a
 * parameter check that would fail on replay makes the replay refuse, also
 * where a finite score stands in for the check (check_shapes).
 */
#include "b1_model.h"
#include "testutil.h"

#define K 100

/* sigma of y is the drawn |a| + 0.05 - 0.5: negative for some draws */
static genc_array *scale_model(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user, (void)args;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *a = GENC_TRACE(rt, "a", genc_normal(ctx, 0.0, 1.0));
  genc_array *s = genc_sub(ctx, genc_add(ctx, genc_abs(ctx, a), 0.05), 0.5);
  return GENC_TRACE(rt, "y", genc_normal(ctx, 0.0, s));
}

static genc_array *branch_model(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user, (void)args;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *a = GENC_TRACE(rt, "a", genc_normal(ctx, 0.0, 1.0));
  double v = 0;
  if (genc_array_item(ctx, a, &v)) return NULL;
  return GENC_TRACE(rt, "y", genc_normal(ctx, v > 0 ? 1.0 : -1.0, 1.0));
}

typedef struct fixture {
  genc_ctx *ctx;
  genc_gf *gf;
  genc_array *args[2];
  genc_choicemap *obs;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->ctx = t_ctx();
  double x[K], x2[K], y[K];
  b1_data(K, x, x2, y);
  f->gf = genc_gf_dynamic("b1", b1, 2, NULL);
  f->args[0] = genc_array_vec(f->ctx, K, x);
  f->args[1] = genc_array_vec(f->ctx, K, x2);
  f->obs = genc_choicemap_new(f->ctx);
  genc_choicemap_set_str(f->ctx, f->obs, "y", genc_array_vec(f->ctx, K, y));
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  genc_choicemap_free(f->obs);
  genc_gf_release(f->gf);
  genc_ctx_free(f->ctx);
  free(f);
  return 0;
}

static void same_bits(genc_ctx *ctx, const char *what, genc_array *a, genc_array *b) {
  if (!a || !b) fail_msg("%s: NULL (%s)", what, genc_ctx_error(ctx));
  assert_int_equal(genc_array_nparticles(a), genc_array_nparticles(b));
  assert_int_equal(genc_array_size(a), genc_array_size(b));
  int64_t n = genc_array_size(a) * (genc_array_nparticles(a) ? genc_array_nparticles(a) : 1);
  double *va = malloc((size_t)n * sizeof *va), *vb = malloc((size_t)n * sizeof *vb);
  assert_int_equal(genc_array_copy_out(ctx, a, va, n), GENC_OK);
  assert_int_equal(genc_array_copy_out(ctx, b, vb, n), GENC_OK);
  if (memcmp(va, vb, (size_t)n * sizeof *va)) fail_msg("%s: replay differs from eager", what);
  free(va);
  free(vb);
}

/* The trace and weight of a replay equal those of an eager generate. */
static void same_trace(genc_ctx *ctx, genc_trace *e, genc_array *we, genc_trace *r,
                       genc_array *wr) {
  static const char *addrs[] = {"a", "b", "c", "y"};
  for (int i = 0; i < 4; i++)
    same_bits(ctx, addrs[i], genc_trace_get_path(ctx, e, addrs[i]),
              genc_trace_get_path(ctx, r, addrs[i]));
  same_bits(ctx, "score", genc_trace_score(e), genc_trace_score(r));
  same_bits(ctx, "retval", genc_trace_retval(e), genc_trace_retval(r));
  same_bits(ctx, "weight", we, wr);
}

static void check_b1(fixture *f, int64_t n) {
  genc_ctx *ctx = f->ctx;
  int64_t m = genc_scope_begin(ctx);
  genc_trace *t0 = NULL, *e = NULL, *r = NULL;
  genc_array *w0 = NULL, *we = NULL, *wr = NULL;
  genc_gen_graph *gg =
      genc_gf_generate_capture(ctx, f->gf, f->args, f->obs, genc_key_from_seed(1), n, &t0, &w0);
  T_OK(ctx, gg);
  assert_true(genc_graph_nnodes(genc_gen_graph_graph(gg)) > 0);
  for (uint64_t s = 1; s <= 3; s++) { /* the capture's key, then new ones */
    genc_key k = genc_key_from_seed(s);
    T_OK(ctx, r = genc_gen_graph_replay(ctx, gg, k, &wr));
    T_OK(ctx, e = genc_gf_generate(ctx, f->gf, f->args, f->obs, k, n, &we));
    same_trace(ctx, e, we, r, wr);
    if (s == 1) same_trace(ctx, t0, w0, r, wr);
    genc_trace_release(e);
    genc_trace_release(r);
  }
  genc_trace_release(t0);
  genc_gen_graph_free(gg);
  genc_scope_end(ctx, m);
}

static void test_b1_batched(void **state) { check_b1(*state, 1000); }
static void test_b1_single(void **state) { check_b1(*state, 0); }

static void test_refused(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_gf *gf = genc_gf_dynamic("branchy", branch_model, 0, NULL);
  genc_trace *t = NULL;
  assert_null(genc_gf_generate_capture(ctx, gf, NULL, NULL, genc_key_from_seed(1), 0, &t, NULL));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_CAPTURE);
  assert_non_null(strstr(genc_ctx_error(ctx), "genc_array_item reads a value"));
  assert_null(t);
  genc_ctx_clear_error(ctx);
  genc_gf_release(gf);
}

/* The check on sigma passes for the capture's key and fails for another one:
 * the replay refuses with GENC_ERR_CAPTURE and eager generate names the error. */
static void test_guard(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  int64_t m = genc_scope_begin(ctx);
  genc_gf *gf = genc_gf_dynamic("scale", scale_model, 0, NULL);
  genc_key good = genc_key_from_seed(0), bad = good;
  double a = 0;
  uint64_t s = 0;
  do { /* a key whose draw of a passes the check, then one whose draw fails it */
    good = genc_key_from_seed(s++);
    genc_trace *t = genc_gf_simulate(ctx, gf, NULL, good, 0);
    a = t ? genc_trace_get_double(ctx, t, "a") : 0;
    genc_trace_release(t);
    genc_ctx_clear_error(ctx);
  } while (fabs(a) < 0.6);
  do {
    bad = genc_key_from_seed(s++);
    genc_trace *t = genc_gf_simulate(ctx, gf, NULL, bad, 0);
    genc_trace_release(t);
    if (!t) break;
  } while (1);
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_DOMAIN);
  genc_ctx_clear_error(ctx);
  genc_gen_graph *gg = genc_gf_generate_capture(ctx, gf, NULL, NULL, good, 0, NULL, NULL);
  T_OK(ctx, gg);
  assert_true(genc_graph_nguards(genc_gen_graph_graph(gg)) >= 1);
  assert_null(genc_gen_graph_replay(ctx, gg, bad, NULL));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_CAPTURE);
  assert_non_null(strstr(genc_ctx_error(ctx), "guard changed: rerun eagerly"));
  genc_ctx_clear_error(ctx);
  genc_gen_graph_free(gg);
  genc_gf_release(gf);
  genc_scope_end(ctx, m);
}

/* The normal's parameters, checked under a capture through its score (its
 * check_shapes): a score that is not finite on replay makes the replay refuse
 * where the checks would fail. mu = log(a + 1) is NaN for a < -1 and -inf at
 * -1; sigma = u + (0, 0.1, 0.2) - 0.2, u ~ U(0, 1), is <= 0 for u below 0.2. */
static genc_array *log_mu_model(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *a = GENC_TRACE(rt, "a", genc_normal(ctx, 0.0, 1.0));
  genc_array *u = GENC_TRACE(rt, "u", genc_uniform(ctx, 0.0, 1.0));
  if (user) return u; /* the model without y */
  genc_array *mu = genc_log(ctx, genc_add(ctx, a, 1.0));
  genc_array *sg =
      genc_sub(ctx, genc_add(ctx, u, genc_array_vec(ctx, 3, (double[]){0, 0.1, 0.2})), 0.2);
  return GENC_TRACE(rt, "y", genc_broadcasted_normal(ctx, mu, sg));
}

/* Keys from seed *s on: the first whose eager generate of n particles fails
 * (want_fail) or succeeds; the failure's message is kept in msg. */
static genc_key find_key(genc_ctx *ctx, genc_gf *gf, int64_t n, uint64_t *s, bool want_fail,
                         char *msg, size_t cap) {
  for (;; (*s)++) {
    int64_t m = genc_scope_begin(ctx);
    genc_trace *t = genc_gf_generate(ctx, gf, NULL, NULL, genc_key_from_seed(*s), n, NULL);
    bool failed = t == NULL;
    if (failed && msg) snprintf(msg, cap, "%s", genc_ctx_error(ctx));
    if (failed) assert_int_equal(genc_ctx_status(ctx), GENC_ERR_DOMAIN);
    genc_trace_release(t);
    genc_ctx_clear_error(ctx);
    genc_scope_end(ctx, m);
    if (failed == want_fail) return genc_key_from_seed((*s)++);
  }
}

static void test_score_guards_normal(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  int64_t m = genc_scope_begin(ctx);
  static int prefix = 1;
  genc_gf *gf = genc_gf_dynamic("log_mu", log_mu_model, 0, NULL);
  genc_gf *gf0 = genc_gf_dynamic("log_mu_prefix", log_mu_model, 0, &prefix);
  for (int64_t n = 0; n <= 4; n += 4) {
    uint64_t s = 1;
    char msg[256] = "", what[64];
    genc_key good = find_key(ctx, gf, n, &s, false, NULL, 0);
    genc_gen_graph *gg = genc_gf_generate_capture(ctx, gf, NULL, NULL, good, n, NULL, NULL);
    genc_gen_graph *g0 = genc_gf_generate_capture(ctx, gf0, NULL, NULL, good, n, NULL, NULL);
    T_OK(ctx, gg);
    T_OK(ctx, g0);
    /* y adds one guard, on its score, for mu and sigma (their own checks
     * would be two: a finite sum of mu, the range of sigma) */
    assert_int_equal(genc_graph_nguards(genc_gen_graph_graph(gg)),
                     genc_graph_nguards(genc_gen_graph_graph(g0)) + 1);
    genc_gen_graph_free(g0);
    int bad_mu = 0, bad_sigma = 0, good_keys = 0;
    for (int k = 0; k < 40 || !bad_mu || !bad_sigma; k++) {
      genc_key key = find_key(ctx, gf, n, &s, k % 2 == 0, msg, sizeof msg);
      genc_array *we = NULL, *wr = NULL;
      genc_trace *r = genc_gen_graph_replay(ctx, gg, key, &wr);
      if (k % 2 == 0) { /* eager fails: the replay refuses, never returns a trace */
        assert_null(r);
        assert_int_equal(genc_ctx_status(ctx), GENC_ERR_CAPTURE);
        assert_non_null(strstr(genc_ctx_error(ctx), "guard changed"));
        genc_ctx_clear_error(ctx);
        bad_mu += strstr(msg, "parameter mu") != NULL;
        bad_sigma += strstr(msg, "parameter sigma") != NULL;
        assert_non_null(strstr(msg, "broadcasted_normal"));
        continue;
      }
      genc_trace *e = genc_gf_generate(ctx, gf, NULL, NULL, key, n, &we);
      T_OK(ctx, r);
      T_OK(ctx, e);
      snprintf(what, sizeof what, "log_mu n=%lld y", (long long)n);
      same_bits(ctx, what, genc_trace_get_path(ctx, e, "y"), genc_trace_get_path(ctx, r, "y"));
      same_bits(ctx, what, genc_trace_score(e), genc_trace_score(r));
      good_keys++;
      genc_trace_release(e);
      genc_trace_release(r);
      if (k > 400)
        fail_msg("n=%lld: no key with a bad mu (%d) or sigma (%d)", (long long)n, bad_mu,
                 bad_sigma);
    }
    assert_true(good_keys >= 20);
    genc_gen_graph_free(gg);
  }
  genc_gf_release(gf0);
  genc_gf_release(gf);
  genc_scope_end(ctx, m);
}

/* genc_dist_logpdf under a capture, for each type that declares check_shapes
 * (the broadcasted normal, lognormal, Laplace, Cauchy): the graph's inputs are
 * the location and scale; replays with a NaN or infinite location, or a scale
 * of 0, -1, +inf or NaN refuse; valid ones give the eager density bit for bit,
 * except where that density is not finite (a subnormal scale: -inf), which the
 * replay leaves to eager. */
static genc_status lp_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                         genc_array **out, void *user) {
  (void)keys;
  genc_array *y = genc_array_vec(ctx, 3, (double[]){0.5, 1.5, 2.0});
  int which = *(const int *)user;
  genc_dist d = which == 0   ? genc_broadcasted_normal(ctx, in[0], in[1])
                : which == 1 ? genc_lognormal(ctx, in[0], in[1])
                : which == 2 ? genc_laplace(ctx, in[0], in[1])
                             : genc_cauchy(ctx, in[0], in[1]);
  out[0] = genc_dist_logpdf(ctx, &d, y);
  return out[0] ? GENC_OK : genc_ctx_status(ctx);
}

static void check_score_guards(fixture *f, int which) {
  genc_ctx *ctx = f->ctx;
  int64_t m = genc_scope_begin(ctx);
  genc_array *in[2] = {genc_array_vec(ctx, 3, (double[]){0.1, 0.2, 0.3}), genc_scalar(ctx, 0.7)};
  genc_array *out = NULL;
  genc_graph *g = genc_graph_capture(ctx, lp_fn, &which, 0, NULL, 2, in, 1, &out);
  T_OK(ctx, g);
  assert_int_equal(genc_graph_nguards(g), 1);
  const double mus[][3] = {{0.1, NAN, 0.3}, {INFINITY, 0, 0}, {0, 0, -INFINITY}, {1, 2, 3}};
  const double sigmas[] = {0.0, -1.0, INFINITY, NAN, 0.3, 4.9e-324};
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 6; j++) {
      int64_t mk = genc_scope_begin(ctx);
      genc_array *ins[2] = {genc_array_vec(ctx, 3, mus[i]), genc_scalar(ctx, sigmas[j])}, *r = NULL;
      genc_status st = genc_graph_replay(ctx, g, NULL, ins, &r);
      genc_array *e = NULL;
      genc_status se = lp_fn(ctx, NULL, ins, &e, &which);
      bool valid = i == 3 && j >= 4, finite = valid && j == 4;
      if (valid != (se == GENC_OK))
        fail_msg("type %d, mu row %d sigma %g: eager status %d", which, i, sigmas[j], (int)se);
      if (!finite) { /* invalid, or a valid score of -inf: the replay refuses */
        assert_int_equal(st, GENC_ERR_CAPTURE);
        genc_ctx_clear_error(ctx);
      } else {
        if (st)
          fail_msg("type %d, mu row %d sigma %g: %s", which, i, sigmas[j], genc_ctx_error(ctx));
        same_bits(ctx, "logpdf", e, r);
      }
      genc_scope_end(ctx, mk);
    }
  genc_graph_free(g);
  genc_scope_end(ctx, m);
}

static void test_score_guards_logpdf(void **state) {
  for (int which = 0; which < 4; which++)
    check_score_guards(*state, which);
}

/* Tiles replayed from the first tile's capture give the eager tiled run, and
 * importance sampling with .compile the weights of the eager one. */
static void test_replayed_tiles(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  int64_t m = genc_scope_begin(ctx);
  genc_gf_set_tile(f->gf, 256);
  genc_key k = genc_key_from_seed(9);
  genc_array *we = NULL, *wr = NULL;
  genc_trace *e = genc_gf_generate(ctx, f->gf, f->args, f->obs, k, 1000, &we);
  genc_trace *r = genc_gf_generate_replayed(ctx, f->gf, f->args, f->obs, k, 1000, &wr, NULL, NULL);
  T_OK(ctx, e);
  T_OK(ctx, r);
  same_trace(ctx, e, we, r, wr);
  genc_is_result ie = {0}, ic = {0};
  genc_is_opts o = {.n = 1000, .key = k};
  assert_int_equal(genc_importance(ctx, f->gf, f->args, f->obs, &o, &ie), GENC_OK);
  o.compile = true;
  assert_int_equal(genc_importance(ctx, f->gf, f->args, f->obs, &o, &ic), GENC_OK);
  /* compiled code computes floats within a few ulps of the eager kernels */
  for (int i = 0; i < 1000; i++)
    T_CLOSE(ic.log_weights[i], ie.log_weights[i], 1e-12);
  genc_is_result_clear(&ie);
  genc_is_result_clear(&ic);
  genc_trace_release(e);
  genc_trace_release(r);
  genc_gf_set_tile(f->gf, 2048);
  genc_scope_end(ctx, m);
}

/* ---- a zoo of distributions: site x's law depends on a drawn z, so every
 * parameter check becomes a guard ---- */

#define NZOO 25
static const char *zoo_names[NZOO] = {
    "normal",       "uniform",        "bernoulli",        "beta",
    "gamma",        "exponential",    "categorical",      "poisson",
    "laplace",      "student_t",      "lognormal",        "mvnormal",
    "dirichlet",    "cauchy",         "inv_gamma",        "geometric",
    "neg_binomial", "binomial",       "truncated_normal", "half_normal",
    "half_cauchy",  "wrapped_cauchy", "wrapped_normal",   "discrete_uniform",
    "von_mises"};

static genc_dist zoo_dist(genc_ctx *ctx, int which, genc_array *z) {
  genc_array *s = genc_add(ctx, genc_exp(ctx, genc_mul(ctx, z, 0.3)), 0.5);
  genc_array *p = genc_sigmoid(ctx, z);
  genc_array *v3 = genc_array_vec(ctx, 3, (double[]){0.5, 1.0, 2.0});
  switch (which) {
  case 0: return genc_normal(ctx, z, s);
  case 1: return genc_uniform(ctx, z, genc_add(ctx, z, s));
  case 2: return genc_bernoulli(ctx, p);
  case 3: return genc_beta(ctx, s, genc_add(ctx, s, 1.0));
  case 4: return genc_gamma(ctx, s, s);
  case 5: return genc_exponential(ctx, s);
  case 6: return genc_categorical(ctx, genc_mul(ctx, z, v3));
  case 7: return genc_poisson(ctx, genc_mul(ctx, s, 3.0));
  case 8: return genc_laplace(ctx, z, s);
  case 9: return genc_student_t(ctx, genc_add(ctx, s, 2.0), z, s);
  case 10: return genc_lognormal(ctx, z, s);
  case 11: {
    genc_array *cov = genc_mul(ctx, genc_array_eye(ctx, GENC_F64, 2),
                               genc_expand_dims(ctx, genc_expand_dims(ctx, s, 0), 0));
    return genc_mvnormal(ctx, genc_mul(ctx, z, genc_array_vec(ctx, 2, (double[]){1, -1})), cov);
  }
  case 12: return genc_dirichlet(ctx, genc_mul(ctx, s, v3));
  case 13: return genc_cauchy(ctx, z, s);
  case 14: return genc_inv_gamma(ctx, s, s);
  case 15: return genc_geometric(ctx, genc_mul(ctx, p, 0.9));
  case 16: return genc_neg_binomial(ctx, s, genc_mul(ctx, p, 0.9));
  case 17: return genc_binomial(ctx, genc_scalar(ctx, 10.0), p);
  case 18: return genc_truncated_normal(ctx, z, s, genc_sub(ctx, z, 1.0), genc_add(ctx, z, 2.0));
  case 19: return genc_half_normal(ctx, s);
  case 20: return genc_half_cauchy(ctx, s);
  case 21: return genc_wrapped_cauchy(ctx, z, genc_mul(ctx, p, 0.9));
  case 22: return genc_wrapped_normal(ctx, z, s);
  case 23: return genc_discrete_uniform(ctx, genc_scalar(ctx, 0.0), genc_scalar(ctx, 5.0));
  default: return genc_von_mises(ctx, z, s);
  }
}

static genc_array *zoo_model(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *z = GENC_TRACE(rt, "z", genc_normal(ctx, 0.0, 1.0));
  return GENC_TRACE(rt, "x", zoo_dist(ctx, *(int *)user, z));
}

static void test_zoo(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  for (int which = 0; which < NZOO; which++) {
    for (int64_t n = 0; n <= 8; n += 8) {
      int64_t m = genc_scope_begin(ctx);
      genc_gf *gf = genc_gf_dynamic(zoo_names[which], zoo_model, 0, &which);
      genc_gen_graph *gg =
          genc_gf_generate_capture(ctx, gf, NULL, NULL, genc_key_from_seed(2), n, NULL, NULL);
      if (!gg) {
        /* only von Mises (a rejection loop until every draw is accepted) refuses */
        if (which != NZOO - 1)
          fail_msg("%s n=%lld: %s", zoo_names[which], (long long)n, genc_ctx_error(ctx));
        assert_int_equal(genc_ctx_status(ctx), GENC_ERR_CAPTURE);
        genc_ctx_clear_error(ctx);
      }
      for (uint64_t s = 3; gg && s <= 5; s++) {
        genc_array *we = NULL, *wr = NULL;
        genc_trace *r = genc_gen_graph_replay(ctx, gg, genc_key_from_seed(s), &wr);
        genc_trace *e = genc_gf_generate(ctx, gf, NULL, NULL, genc_key_from_seed(s), n, &we);
        if (!r || !e)
          fail_msg("%s n=%lld: %s", zoo_names[which], (long long)n, genc_ctx_error(ctx));
        char what[64];
        snprintf(what, sizeof what, "%s n=%lld x", zoo_names[which], (long long)n);
        same_bits(ctx, what, genc_trace_get_path(ctx, e, "x"), genc_trace_get_path(ctx, r, "x"));
        snprintf(what, sizeof what, "%s n=%lld score", zoo_names[which], (long long)n);
        same_bits(ctx, what, genc_trace_score(e), genc_trace_score(r));
        genc_trace_release(e);
        genc_trace_release(r);
      }
      genc_gen_graph_free(gg);
      genc_gf_release(gf);
      genc_scope_end(ctx, m);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_b1_batched),
      cmocka_unit_test(test_b1_single),
      cmocka_unit_test(test_refused),
      cmocka_unit_test(test_guard),
      cmocka_unit_test(test_replayed_tiles),
      cmocka_unit_test(test_zoo),
      cmocka_unit_test(test_score_guards_normal),
      cmocka_unit_test(test_score_guards_logpdf),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
