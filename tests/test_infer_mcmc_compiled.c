/*
 * genc_mcmc_run with opts.compile (src/infer/mcmc_compiled.c): one kernel
 * application captured, compiled and replayed every iteration must give the
 * eager run's chains. The executor documents float results within a few ulps
 * of eager (scalar against vector libm), draws bit for bit; an accept decision
 * could in principle flip on such an ulp, which these seeds do not hit, so the
 * draws are compared to 1e-12 relative and the acceptance rates exactly.
 */
#include "b1_model.h"
#include "testutil.h"

#define K 20
static double X[K], X2[K], Y[K];

/* b1_model.h's model (B3's) on these 20 observations */

/* z ~ N(0, 1), y ~ N(z, 1): regenerating z from the prior accepts often */
static genc_array *nn(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *z = GENC_TRACE(rt, "z", genc_normal(ctx, 0.0, 1.0));
  return GENC_TRACE(rt, "y", genc_normal(ctx, z, 1.0));
}

/* z ~ N(0, 1); a host branch on z: a capture must refuse it */
static genc_array *branchy(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *z = GENC_TRACE(rt, "z", genc_normal(ctx, 0.0, 1.0));
  double v = 0;
  if (genc_array_item(ctx, z, &v)) return NULL;
  return GENC_TRACE(rt, "y", genc_normal(ctx, v > 0 ? 1.0 : -1.0, 1.0));
}

typedef struct fixture {
  genc_ctx *ctx;
  genc_gf *model, *walk;
  genc_array *args[2];
  genc_choicemap *obs;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->ctx = t_ctx();
  if (!f->ctx) return -1;
  b1_data(K, X, X2, Y);
  f->model = genc_gf_dynamic("b1", b1, 2, NULL);
  f->walk = genc_gf_dynamic("walk", b3_walk, 0, NULL);
  f->args[0] = genc_array_retain(genc_array_vec(f->ctx, K, X));
  f->args[1] = genc_array_retain(genc_array_vec(f->ctx, K, X2));
  f->obs = genc_choicemap_new(f->ctx);
  genc_choicemap_set_str(f->ctx, f->obs, "y", genc_array_vec(f->ctx, K, Y));
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  genc_choicemap_free(f->obs);
  genc_array_release(f->args[0]), genc_array_release(f->args[1]);
  genc_gf_release(f->model), genc_gf_release(f->walk);
  genc_ctx_free(f->ctx);
  free(f);
  return 0;
}

/* One run: draws of a and c (every 3rd of 60 after 20 warmup) and acceptance rates. */
typedef struct result {
  double draws[2 * 16 * 20], rate[16], final_c[16];
  bool compiled;
} result;

static void run(fixture *f, const genc_kernel *k, genc_gf *model, genc_array *const *args,
                const genc_choicemap *obs, int64_t n, bool compile, int threads, result *r) {
  genc_ctx *ctx = f->ctx;
  int64_t mark = genc_scope_begin(ctx);
  genc_trace *init = genc_gf_generate(ctx, model, args, obs, genc_key_from_seed(5), n, NULL);
  T_OK(ctx, init);
  const char *addrs[2] = {model == f->model ? "a" : "z", model == f->model ? "c" : "z"};
  memset(r, 0, sizeof *r);
  genc_trace *out =
      genc_mcmc_run(ctx, k, init,
                    &(genc_mcmc_opts){.warmup = 20,
                                      .samples = 60,
                                      .thin = 3,
                                      .key = genc_key_from_seed(11),
                                      .naddrs = 2,
                                      .addrs = addrs,
                                      .draws = r->draws,
                                      .draws_cap = 2 * 16 * 20,
                                      .accept_rate = r->rate,
                                      .compile = compile ? GENC_COMPILE_ON : GENC_COMPILE_OFF,
                                      .compile_threads = threads,
                                      .compiled = &r->compiled});
  T_OK(ctx, out);
  int64_t c = n ? n : 1;
  T_OK(ctx, !genc_trace_copy_out(ctx, out, addrs[1], r->final_c, c));
  genc_trace_release(out), genc_trace_release(init);
  genc_scope_end(ctx, mark);
}

static void expect_same(const result *e, const result *c, int64_t n) {
  int64_t C = n ? n : 1;
  for (int64_t i = 0; i < 2 * C * 20; i++)
    T_CLOSE(c->draws[i], e->draws[i], 1e-12);
  for (int64_t i = 0; i < C; i++) {
    assert_true(c->rate[i] == e->rate[i]);
    T_CLOSE(c->final_c[i], e->final_c[i], 1e-12);
  }
}

static void check_kernel(fixture *f, genc_kernel *k, genc_gf *m, genc_array *const *args,
                         const genc_choicemap *obs, int64_t n) {
  result e, c;
  run(f, k, m, args, obs, n, false, 0, &e);
  run(f, k, m, args, obs, n, true, 1, &c);
  assert_false(e.compiled);
  assert_true(c.compiled);
  expect_same(&e, &c, n);
  /* the chains moved: a run that replayed nothing would fail here */
  double lo = 1, hi = 0;
  for (int64_t i = 0; i < (n ? n : 1); i++)
    lo = fmin(lo, e.rate[i]), hi = fmax(hi, e.rate[i]);
  assert_true(hi > 0.05 && lo < 1);
}

static void test_proposal_batched(void **state) {
  fixture *f = *state;
  genc_kernel *k = genc_kernel_mh_proposal(f->walk, NULL);
  check_kernel(f, k, f->model, f->args, f->obs, 16);
  genc_kernel_release(k);
}

static void test_proposal_single(void **state) {
  fixture *f = *state;
  genc_kernel *k = genc_kernel_mh_proposal(f->walk, NULL);
  check_kernel(f, k, f->model, f->args, f->obs, 0);
  genc_kernel_release(k);
}

/* MH regenerating z of the normal-normal model from its prior, y = 0.7 */
static void check_select(fixture *f, int64_t n) {
  genc_gf *m = genc_gf_dynamic("nn", nn, 0, NULL);
  genc_selection *s = genc_selection_new(f->ctx);
  genc_selection_add_str(f->ctx, s, "z");
  genc_kernel *k = genc_kernel_mh_select(s);
  genc_selection_release(s);
  genc_choicemap *obs = genc_choicemap_new(f->ctx);
  genc_choicemap_set_str(f->ctx, obs, "y", genc_scalar(f->ctx, 0.7));
  check_kernel(f, k, m, NULL, obs, n);
  genc_choicemap_free(obs);
  genc_kernel_release(k);
  genc_gf_release(m);
}

static void test_select_batched(void **state) {
  fixture *f = *state;
  check_select(f, 16);
}

static void test_select_single(void **state) {
  fixture *f = *state;
  check_select(f, 0);
}

/* chains started at shared constrained values (a = b = c = 0, as B3): the
 * first step's input holds them shared, its output batched, so the capture
 * waits for the next step */
static void test_shared_start(void **state) {
  fixture *f = *state;
  genc_kernel *k = genc_kernel_mh_proposal(f->walk, NULL);
  genc_choicemap *obs = genc_choicemap_new(f->ctx);
  genc_choicemap_set_str(f->ctx, obs, "y", genc_array_vec(f->ctx, K, Y));
  genc_choicemap_set_str(f->ctx, obs, "a", genc_scalar(f->ctx, 0.0));
  genc_choicemap_set_str(f->ctx, obs, "b", genc_scalar(f->ctx, 0.0));
  genc_choicemap_set_str(f->ctx, obs, "c", genc_scalar(f->ctx, 0.0));
  check_kernel(f, k, f->model, f->args, obs, 16);
  genc_choicemap_free(obs);
  genc_kernel_release(k);
}

/* threads 1 and 2 give the same bits (each chain is computed by one thread) */
static void test_threads(void **state) {
  fixture *f = *state;
  genc_kernel *k = genc_kernel_mh_proposal(f->walk, NULL);
  result one, two;
  run(f, k, f->model, f->args, f->obs, 16, true, 1, &one);
  run(f, k, f->model, f->args, f->obs, 16, true, 2, &two);
  assert_true(one.compiled && two.compiled);
  assert_memory_equal(one.draws, two.draws, sizeof one.draws);
  assert_memory_equal(one.rate, two.rate, sizeof one.rate);
  genc_kernel_release(k);
}

/* a model that branches on its value: the capture refuses, the run is eager */
static void test_refused_falls_back(void **state) {
  fixture *f = *state;
  genc_gf *m = genc_gf_dynamic("branchy", branchy, 0, NULL);
  genc_selection *s = genc_selection_new(f->ctx);
  genc_selection_add_str(f->ctx, s, "z");
  genc_kernel *k = genc_kernel_mh_select(s);
  genc_selection_release(s);
  genc_choicemap *obs = genc_choicemap_new(f->ctx);
  genc_choicemap_set_str(f->ctx, obs, "y", genc_scalar(f->ctx, 0.7));
  result e, c;
  run(f, k, m, NULL, obs, 0, false, 1, &e);
  run(f, k, m, NULL, obs, 0, true, 1, &c);
  assert_false(c.compiled);
  assert_memory_equal(e.draws, c.draws, sizeof e.draws);
  assert_true(e.rate[0] == c.rate[0]);
  genc_choicemap_free(obs);
  genc_kernel_release(k);
  genc_gf_release(m);
}

/* One chain with n_iter = warmup + samples iterations, every thin-th draw
 * of a, b and c recorded: draws (3 x ndraws) and the acceptance rate. */
static void run_long(fixture *f, const genc_kernel *k, int warmup, int samples, int thin,
                     bool compile, double *draws, double *rate, bool *compiled) {
  genc_ctx *ctx = f->ctx;
  int64_t mark = genc_scope_begin(ctx);
  genc_trace *init =
      genc_gf_generate(ctx, f->model, f->args, f->obs, genc_key_from_seed(7), 0, NULL);
  T_OK(ctx, init);
  const char *addrs[3] = {"a", "b", "c"};
  int64_t nd = 1 + (samples - 1) / thin;
  genc_trace *out =
      genc_mcmc_run(ctx, k, init,
                    &(genc_mcmc_opts){.warmup = warmup,
                                      .samples = samples,
                                      .thin = thin,
                                      .key = genc_key_from_seed(13),
                                      .naddrs = 3,
                                      .addrs = addrs,
                                      .draws = draws,
                                      .draws_cap = 3 * nd,
                                      .accept_rate = rate,
                                      .compile = compile ? GENC_COMPILE_ON : GENC_COMPILE_OFF,
                                      .compile_threads = 1,
                                      .compiled = compiled});
  T_OK(ctx, out);
  genc_trace_release(out), genc_trace_release(init);
  genc_scope_end(ctx, mark);
}

/* A single chain runs its compiled step in loop mode (genc_graph_loop, up to
 * 4096 iterations a call, keys and draws ahead, host rows): every
 * iteration's state is served (thin 1) and thinned draws too (thin 7),
 * equal to the eager chain (to the executor's 1e-12), acceptance rates
 * exactly; two compiled runs give the same bits. */
static void test_loop_single(void **state) {
  fixture *f = *state;
  genc_kernel *k = genc_kernel_mh_proposal(f->walk, NULL);
  static double de[3 * 390], db[3 * 390], d1[3 * 390];
  for (int thin = 1; thin <= 7; thin += 6) {
    int nd = 1 + (390 - 1) / thin;
    double re = 0, rb = 0, r1 = 0;
    bool ce = true, cb = false, c1 = false;
    run_long(f, k, 13, 390, thin, false, de, &re, &ce);
    run_long(f, k, 13, 390, thin, true, db, &rb, &cb);
    run_long(f, k, 13, 390, thin, true, d1, &r1, &c1);
    assert_false(ce);
    assert_true(cb && c1);
    for (int i = 0; i < 3 * nd; i++)
      T_CLOSE(db[i], de[i], 1e-12);
    assert_memory_equal(db, d1, sizeof(double) * 3 * (size_t)nd);
    assert_true(rb == re && r1 == re);
    assert_true(re > 0.05 && re < 0.95); /* the chain moved */
    /* successive recorded c differ often: iterations were not repeated */
    int moved = 0;
    for (int i = 1; i < nd; i++)
      moved += db[2 * nd + i] != db[2 * nd + i - 1];
    assert_true(moved > nd / 10);
  }
  genc_kernel_release(k);
}

/* 1e5 iterations on one chain: the live arrays and bytes do not grow. The
 * progress callback takes their least and greatest values over a window of
 * 10 iterations after iteration 1000 and one 10 before the end; the chain
 * runs in loop mode, so an iteration makes no arrays at all and both windows
 * see the same counts. */
typedef struct live {
  genc_ctx *ctx;
  int64_t lo[2][2], hi[2][2]; /* [window][arrays, bytes] */
} live;

static int sample_live(int64_t done, int64_t total, void *user) {
  live *l = user;
  int w = done > 1000 && done <= 1010 ? 0 : done > total - 20 && done <= total - 10 ? 1 : -1;
  if (w < 0) return 0;
  int64_t v[2] = {genc_ctx_live_arrays(l->ctx), genc_ctx_live_bytes(l->ctx)};
  for (int j = 0; j < 2; j++) {
    if (!l->hi[w][j] || v[j] < l->lo[w][j]) l->lo[w][j] = v[j];
    if (!l->hi[w][j] || v[j] > l->hi[w][j]) l->hi[w][j] = v[j];
  }
  return 0;
}

static void test_memory_flat(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_kernel *k = genc_kernel_mh_proposal(f->walk, NULL);
  genc_trace *init =
      genc_gf_generate(ctx, f->model, f->args, f->obs, genc_key_from_seed(1), 0, NULL);
  T_OK(ctx, init);
  live l = {ctx, {{0}}, {{0}}};
  bool compiled = false;
  genc_trace *out = genc_mcmc_run(ctx, k, init,
                                  &(genc_mcmc_opts){.samples = 100000,
                                                    .key = genc_key_from_seed(2),
                                                    .compile = GENC_COMPILE_ON,
                                                    .compile_threads = 1,
                                                    .compiled = &compiled,
                                                    .progress = sample_live,
                                                    .progress_every = 1,
                                                    .progress_user = &l});
  T_OK(ctx, out);
  assert_true(compiled);
  for (int j = 0; j < 2; j++) {
    assert_true(l.hi[0][j] > 0);
    assert_int_equal(l.lo[1][j], l.lo[0][j]);
    assert_int_equal(l.hi[1][j], l.hi[0][j]);
  }
  genc_trace_release(out), genc_trace_release(init);
  genc_kernel_release(k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_proposal_batched),
      cmocka_unit_test(test_proposal_single),
      cmocka_unit_test(test_select_batched),
      cmocka_unit_test(test_select_single),
      cmocka_unit_test(test_threads),
      cmocka_unit_test(test_shared_start),
      cmocka_unit_test(test_refused_falls_back),
      cmocka_unit_test(test_loop_single),
      cmocka_unit_test(test_memory_flat),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
