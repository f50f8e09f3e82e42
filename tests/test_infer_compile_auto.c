/*
 * GENC_COMPILE_AUTO, the default of genc_mcmc_opts.compile and
 * genc_is_opts.compile (infer.h): whatever path it takes (eager, a captured
 * step replayed interpreted, or compiled from the disk cache), the results
 * are OFF's: draws and acceptance rates of an interpreted replay bit for bit,
 * of a compiled one within 1e-12 relative (the executor's few ulps, which
 * an accept decision could in principle flip; these seeds do not); OFF never
 * captures; a value outside the enum is an argument error. The background
 * compile itself is test_graph_exec_async's; here the cache starts empty
 * (GENC_CACHE_DIR), so AUTO's short jobs interpret, and one blocking compile
 * (ON, about 0.3 s of cc) fills it for the cached case.
 */
#include <unistd.h>

#include "b1_model.h"
#include "testutil.h"

#define K 20
#define NCH 100 /* chains: an iteration takes about 50 us, so 600 iterations leave AUTO > 10 ms */
static double X[K], X2[K], Y[K];
static char cache_dir[64];

typedef struct fixture {
  genc_ctx *ctx;
  genc_gf *model, *walk;
  genc_kernel *mh;
  genc_array *args[2];
  genc_choicemap *obs;
} fixture;

static int setup(void **state) {
  if (!t_mkdir_cache(cache_dir, sizeof cache_dir, "auto_test")) return -1;
  setenv("GENC_CACHE_DIR", cache_dir, 1);
  fixture *f = calloc(1, sizeof *f);
  genc_status st; /* the CPU executor's policy: a CPU context */
  f->ctx = genc_ctx_new(&(genc_ctx_opts){0}, &st);
  if (!f->ctx) return -1;
  b1_data(K, X, X2, Y);
  f->model = genc_gf_dynamic("b1", b1, 2, NULL);
  f->walk = genc_gf_dynamic("walk", b3_walk, 0, NULL);
  f->mh = genc_kernel_mh_proposal(f->walk, NULL);
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
  genc_kernel_release(f->mh);
  genc_gf_release(f->model), genc_gf_release(f->walk);
  genc_ctx_free(f->ctx);
  free(f);
  return t_rmdir(cache_dir);
}

/* draws of c at every 50th of steps iterations of NCH chains, and rates */
typedef struct result {
  double draws[NCH * 20], rate[NCH];
  bool replayed;
} result;

static void run(fixture *f, int64_t steps, genc_compile_mode m, result *r) {
  genc_ctx *ctx = f->ctx;
  int64_t mark = genc_scope_begin(ctx);
  genc_trace *init =
      genc_gf_generate(ctx, f->model, f->args, f->obs, genc_key_from_seed(5), NCH, NULL);
  T_OK(ctx, init);
  const char *addr = "c";
  memset(r, 0, sizeof *r);
  genc_trace *out = genc_mcmc_run(ctx, f->mh, init,
                                  &(genc_mcmc_opts){.samples = steps,
                                                    .thin = 50,
                                                    .key = genc_key_from_seed(11),
                                                    .naddrs = 1,
                                                    .addrs = &addr,
                                                    .draws = r->draws,
                                                    .draws_cap = NCH * 20,
                                                    .accept_rate = r->rate,
                                                    .compile = m,
                                                    .compile_threads = 1,
                                                    .compiled = &r->replayed});
  T_OK(ctx, out);
  genc_trace_release(out), genc_trace_release(init);
  genc_scope_end(ctx, mark);
}

static void expect_same(const result *a, const result *b, int64_t ndraws, double tol) {
  for (int64_t i = 0; i < NCH * ndraws; i++)
    if (tol == 0)
      assert_true(a->draws[i] == b->draws[i]);
    else
      T_CLOSE(a->draws[i], b->draws[i], tol);
  for (int i = 0; i < NCH; i++)
    assert_true(a->rate[i] == b->rate[i]);
}

static void test_mcmc_auto_equals_off(void **state) {
  fixture *f = *state;
  static result off, aut;
  /* 600 iterations: about 30 ms eager, so AUTO captures (>= GENC_AUTO_LOAD_S)
   * and, the cache being empty, replays the step interpreted: OFF's bits */
  run(f, 600, GENC_COMPILE_OFF, &off);
  assert_false(off.replayed); /* OFF never captures */
  run(f, 600, GENC_COMPILE_AUTO, &aut);
  print_message("AUTO replayed: %d\n", aut.replayed);
  expect_same(&aut, &off, 12, 0);
  /* a short run stays eager: OFF's bits. 8 iterations: the decision at
   * iteration 1 + GENC_MCMC_AUTO_PROBE = 4 sees 4 left, which captures only at
   * 2.5 ms an iteration (about 0.05 ms here, 0.25-0.6 ms under ASan on a busy
   * machine: 20 iterations, 16 left, did capture there once) */
  run(f, 8, GENC_COMPILE_OFF, &off);
  run(f, 8, GENC_COMPILE_AUTO, &aut);
  assert_false(aut.replayed);
  expect_same(&aut, &off, 1, 0);
}

static void test_mcmc_auto_cached(void **state) {
  fixture *f = *state;
  static result off, on, aut;
  run(f, 600, GENC_COMPILE_OFF, &off);
  run(f, 600, GENC_COMPILE_ON, &on); /* blocking: fills the cache */
  assert_true(on.replayed);
  expect_same(&on, &off, 12, 1e-12);
  run(f, 600, GENC_COMPILE_AUTO, &aut); /* loads the cached object when it captures */
  expect_same(&aut, &off, 12, 1e-12);
}

/* Importance sampling over 16 tiles: AUTO captures the first and replays the
 * others (interpreted with an empty cache: OFF's weights bit for bit;
 * compiled once ON filled it: within 1e-12). */
static void test_is_auto(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_gf *tiled = genc_gf_dynamic("b1_tiled", b1, 2, NULL);
  genc_gf_set_tile(tiled, 256);
  const genc_compile_mode modes[4] = {GENC_COMPILE_OFF, GENC_COMPILE_AUTO, GENC_COMPILE_ON,
                                      GENC_COMPILE_AUTO};
  genc_is_result r[4];
  char sub[128];
  snprintf(sub, sizeof sub, "%s/is", cache_dir); /* empty: the MCMC tests filled cache_dir */
  setenv("GENC_CACHE_DIR", sub, 1);
  for (int k = 0; k < 4; k++) {
    genc_is_opts o = {.n = 4096, .key = genc_key_from_seed(3), .compile = modes[k]};
    T_OK(ctx, !genc_importance(ctx, tiled, f->args, f->obs, &o, &r[k]));
  }
  setenv("GENC_CACHE_DIR", cache_dir, 1);
  for (int64_t i = 0; i < 4096; i++) {
    assert_true(r[1].log_weights[i] == r[0].log_weights[i]);
    T_CLOSE(r[2].log_weights[i], r[0].log_weights[i], 1e-12);
    T_CLOSE(r[3].log_weights[i], r[0].log_weights[i], 1e-12);
  }
  for (int k = 0; k < 4; k++)
    genc_is_result_clear(&r[k]);
  genc_gf_release(tiled);
}

static void test_bad_mode(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_is_result r;
  genc_is_opts o = {.n = 10, .compile = (genc_compile_mode)2};
  assert_int_equal(genc_importance(ctx, f->model, f->args, f->obs, &o, &r), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "genc_compile_mode"));
  genc_ctx_clear_error(ctx);
  int64_t mark = genc_scope_begin(ctx);
  genc_trace *init =
      genc_gf_generate(ctx, f->model, f->args, f->obs, genc_key_from_seed(5), 0, NULL);
  T_OK(ctx, init);
  genc_trace *out = genc_mcmc_run(ctx, f->mh, init, &(genc_mcmc_opts){.samples = 5, .compile = 7});
  assert_null(out);
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "compile = 7"));
  genc_ctx_clear_error(ctx);
  genc_trace_release(init);
  genc_scope_end(ctx, mark);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mcmc_auto_equals_off),
      cmocka_unit_test(test_mcmc_auto_cached),
      cmocka_unit_test(test_is_auto),
      cmocka_unit_test(test_bad_mode),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
