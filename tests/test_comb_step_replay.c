/*
 * Issue 12: an SMC over an Unfold replays a captured kernel generate for its
 * new steps (genc_unfold_set_step_replay, seq_stepcache.c), and the capture
 * with inputs it uses (genc_gf_generate_capture_in / genc_gen_graph_replay_in).
 */
#include <string.h>

#include "b2_model.h"

typedef b2_fixture fixture;

/* B2 at this many particles: an eager step takes ~1 ms of CPU on the 2-vCPU
 * development machine, five times the cache's 0.2 ms bar for a capture; a
 * filter of T_SMC steps ~30 ms. */
#define N_SMC 100000
#define T_SMC 16

static void run_smc(fixture *f, genc_smc_result *res) {
  genc_smc_unfold u = {.nrest = 1, .rest = &f->init, .obs = (const genc_choicemap *const *)f->obs};
  genc_smc_opts o = {.n = N_SMC,
                     .key = genc_key_from_seed(1212),
                     .scheme = GENC_RESAMPLE_SYSTEMATIC,
                     .ess_threshold = 1};
  T_OK(f->ctx, !genc_smc(f->ctx, f->ssm, T_SMC, genc_smc_unfold_step, &u, &o, res));
}

/* The N values of choice t/x of a trace, copied out (malloc'ed). */
static double *xs_at(fixture *f, const genc_trace *t, int64_t step) {
  genc_array *x = genc_trace_get(f->ctx, t, GENC_PATH(genc_idx(step), GENC_SYM("x")));
  T_OK(f->ctx, x);
  double *v = malloc(N_SMC * sizeof *v);
  T_OK(f->ctx, !genc_array_copy_out(f->ctx, x, v, N_SMC));
  return v;
}

/* The replayed filter equals the eager one: the same log Z-hat up to the
 * compiled code's ulps (1e-9 relative is ~1e5 ulps of slack on a sum of 24
 * terms; interpreted replays give it exactly), and the same draws bit for bit
 * at every step (the ancestors follow from weights equal to those ulps). */
static void test_smc_replays_equal_eager(void **state) {
  fixture *f = *state;
  genc_smc_result eager = {0}, rep = {0};
  assert_int_equal(genc_unfold_set_step_replay(f->ssm, false), GENC_OK);
  run_smc(f, &eager);
  assert_int_equal(genc_unfold_trace_step_replays(eager.trace), 0);
  assert_int_equal(genc_unfold_set_step_replay(f->ssm, true), GENC_OK);
  run_smc(f, &rep);
  /* three eager new steps, a capture, the rest replays: step 0's generate
   * runs over tiles of genc_gf_tile() particles whose joined trace starts its
   * own cache with step 1 (steps 1..3 eager, step 4 captured; an untiled
   * step 0 would count as the first eager step) */
  int64_t nrep = genc_unfold_trace_step_replays(rep.trace);
  assert_true(nrep >= T_SMC - 5 && nrep <= T_SMC - 4);
  assert_true(fabs(rep.log_ml - eager.log_ml) <= 1e-9 * fabs(eager.log_ml));
  for (int64_t t = 0; t < T_SMC; t++) {
    double *a = xs_at(f, eager.trace, t), *b = xs_at(f, rep.trace, t);
    assert_memory_equal(a, b, N_SMC * sizeof *a);
    free(a), free(b);
  }
  genc_smc_result_clear(&eager);
  genc_smc_result_clear(&rep);
}

static void test_set_step_replay_args(void **state) {
  fixture *f = *state;
  assert_int_equal(genc_unfold_set_step_replay(NULL, true), GENC_ERR_ARG);
  assert_int_equal(genc_unfold_set_step_replay(f->step, true), GENC_ERR_ARG);
  assert_int_equal(genc_unfold_trace_step_replays(NULL), -1);
}

/* The kernel's args (t, carry) and constraint {y} at N particles. */
typedef struct step_in {
  genc_array *args[2];
  genc_choicemap *cm;
} step_in;

static step_in step_inputs(genc_ctx *ctx, int t, int64_t n, const char *addr) {
  step_in s = {{genc_scalar_of(ctx, (double)t, GENC_I32), NULL}, genc_choicemap_new(ctx)};
  double carry[400];
  for (int64_t i = 0; i < n; i++)
    carry[i] = sin(0.37 * (double)(i + t));
  s.args[1] = genc_array_from(ctx, GENC_F64, 0, NULL, n, carry);
  genc_choicemap_set_str(ctx, s.cm, addr, genc_scalar(ctx, y_at(t)));
  T_OK(ctx, s.args[0] && s.args[1]);
  return s;
}

/* A replay on other inputs gives the generate of those inputs bit for bit
 * (interpreted: no compile here); inputs that do not fit refuse. */
static void test_capture_in(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  const int64_t n = 300;
  genc_key k0 = genc_key_from_seed(5), k1 = genc_key_from_seed(6);
  step_in a = step_inputs(ctx, 3, n, "y"), b = step_inputs(ctx, 7, n, "y");
  genc_trace *ta = NULL;
  genc_array *wa = NULL;
  genc_gen_graph *gg = genc_gf_generate_capture_in(ctx, f->step, a.args, a.cm, k0, n, &ta, &wa);
  T_OK(ctx, gg);
  genc_array *wb = NULL, *we = NULL;
  genc_trace *tb = genc_gen_graph_replay_in(ctx, gg, k1, b.args, b.cm, &wb);
  genc_trace *te = genc_gf_generate(ctx, f->step, b.args, b.cm, k1, n, &we);
  T_OK(ctx, tb && te);
  double vb[300], ve[300];
  T_OK(ctx, !genc_array_copy_out(ctx, wb, vb, n) && !genc_array_copy_out(ctx, we, ve, n));
  assert_memory_equal(vb, ve, sizeof vb);
  genc_array *xb = genc_trace_get_path(ctx, tb, "x"), *xe = genc_trace_get_path(ctx, te, "x");
  T_OK(ctx, !genc_array_copy_out(ctx, xb, vb, n) && !genc_array_copy_out(ctx, xe, ve, n));
  assert_memory_equal(vb, ve, sizeof vb);
  T_CLOSE(t_item(ctx, genc_trace_get_path(ctx, tb, "y")), y_at(7), 0);
  /* compiled (blocking; the interpreter where no compiler runs): the same
   * draws bit for bit, weights within the compiled libm's few ulps */
  T_OK(ctx, !genc_graph_compile(ctx, genc_gen_graph_graph(gg), NULL));
  genc_array *wc = NULL;
  genc_trace *tc = genc_gen_graph_replay_in(ctx, gg, k1, b.args, b.cm, &wc);
  T_OK(ctx, tc);
  T_OK(ctx, !genc_array_copy_out(ctx, genc_trace_get_path(ctx, tc, "x"), vb, n));
  assert_memory_equal(vb, ve, sizeof vb);
  T_OK(ctx, !genc_array_copy_out(ctx, wc, vb, n) && !genc_array_copy_out(ctx, we, ve, n));
  for (int64_t i = 0; i < n; i++)
    T_CLOSE(vb[i], ve[i], 1e-13);
  genc_trace_release(tc);
  /* a constraint at another address, another particle count, one array twice */
  step_in c = step_inputs(ctx, 4, n, "x"), d = step_inputs(ctx, 4, n + 1, "y");
  assert_null(genc_gen_graph_replay_in(ctx, gg, k1, c.args, c.cm, NULL));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_CAPTURE);
  assert_null(genc_gen_graph_replay_in(ctx, gg, k1, d.args, d.cm, NULL));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_CAPTURE);
  assert_null(genc_gen_graph_replay(ctx, gg, k1, NULL));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ARG);
  genc_choicemap_set_str(ctx, c.cm, "x", c.args[1]);
  assert_null(genc_gf_generate_capture_in(ctx, f->step, c.args, c.cm, k0, n, NULL, NULL));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_CAPTURE);
  genc_ctx_clear_error(ctx);
  genc_trace_release(ta), genc_trace_release(tb), genc_trace_release(te);
  genc_gen_graph_free(gg);
  genc_choicemap_free(a.cm), genc_choicemap_free(b.cm);
  genc_choicemap_free(c.cm), genc_choicemap_free(d.cm);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_smc_replays_equal_eager, b2_setup, b2_teardown),
      cmocka_unit_test_setup_teardown(test_set_step_replay_args, b2_setup, b2_teardown),
      cmocka_unit_test_setup_teardown(test_capture_in, b2_setup, b2_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
