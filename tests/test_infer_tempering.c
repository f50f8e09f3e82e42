/* Parallel tempering: a bimodal posterior where random-walk MH started in one
 * mode never leaves it while PT's cold chain visits both with the weights
 * computed by quadrature; swap rates strictly between 0 and 1; the tempered
 * step at beta = 1 equals genc_mh_select() bit for bit; replica m's chains do
 * not depend on the number of replicas.
 *
 * Tolerances: the cold chains' draws are autocorrelated (a mode switch needs
 * a state to travel down the ladder by swaps), so the Monte Carlo standard
 * error of a posterior mean is sd / sqrt(ESS), not sd / sqrt(M D): ESS (from
 * genc_diag_ess_basic(), the split-chain autocorrelation estimate of Stan and
 * posterior::ess_mean) inflates the error by sqrt(M D / ESS). For the mode
 * weight P(x < 0) the draws are indicators with sd sqrt(p (1 - p)), p exact.
 * Tests allow 4 such SE at a fixed seed. */
#include "testutil.h"

/* x ~ N(0.5, 3); y ~ N(x^2, 0.5). With y = 9: modes near -3 and +3, the
 * prior's shift making the right one heavier (about 0.58). */
static genc_array *m_bimodal(genc_rt *rt, genc_array *const *args, void *u) {
  (void)args, (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, 0.5, 3.0));
  return GENC_TRACE(rt, "y", genc_normal(ctx, genc_mul(ctx, x, x), 0.5));
}

/* x' ~ N(x, args[0]): a random walk whose step may be batched (per temperature) */
static genc_array *q_walk(genc_rt *rt, genc_array *const *args, void *u) {
  (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = genc_trace_get_path(ctx, genc_rt_from(rt), "x");
  return GENC_TRACE(rt, "x", genc_normal(ctx, x, args[0]));
}

/* Exact P(x < 0) and E[x] under the posterior, by the midpoint rule on
 * [-12, 12] with h = 1e-4 (the density is smooth; error far below 1e-6). */
static void exact_moments(double *p_neg, double *mean) {
  double z = 0, zn = 0, zx = 0, h = 1e-4;
  for (double x = -12 + h / 2; x < 12; x += h) {
    double r = 9 - x * x, lp = -(x - 0.5) * (x - 0.5) / 18 - r * r / 0.5;
    double d = exp(lp + 10); /* the peak log density is near -0.4; no underflow of the modes */
    z += d, zx += d * x;
    if (x < 0) zn += d;
  }
  *p_neg = zn / z, *mean = zx / z;
}

typedef struct fixture {
  genc_gf *gf, *walk;
  genc_choicemap *cons;
  genc_selection *obs, *lat;
} fixture;

static fixture fx_new(genc_ctx *ctx) {
  fixture f = {genc_gf_dynamic("bimodal", m_bimodal, 0, NULL),
               genc_gf_dynamic("walk", q_walk, 1, NULL), genc_choicemap_new(ctx),
               genc_selection_new(ctx), genc_selection_new(ctx)};
  T_OK(ctx, !genc_choicemap_set_str(ctx, f.cons, "y", genc_scalar(ctx, 9.0)));
  T_OK(ctx, !genc_choicemap_set_str(ctx, f.cons, "x", genc_scalar(ctx, 3.0)));
  T_OK(ctx, !genc_selection_add_str(ctx, f.obs, "y"));
  T_OK(ctx, !genc_selection_add_str(ctx, f.lat, "x"));
  return f;
}

static void fx_free(fixture *f) {
  genc_gf_release(f->gf), genc_gf_release(f->walk);
  genc_choicemap_free(f->cons);
  genc_selection_release(f->obs), genc_selection_release(f->lat);
}

/* Random-walk step per particle m K + k: 0.15 / sqrt(beta_k), wider when hotter. */
static genc_array *walk_steps(genc_ctx *ctx, const double *beta, int K, int64_t M) {
  double *s = malloc((size_t)(K * M) * sizeof *s);
  for (int64_t i = 0; i < K * M; i++)
    s[i] = 0.15 / sqrt(beta[i % K]);
  genc_array *a = genc_array_from(ctx, GENC_F64, 0, NULL, K * M, s);
  free(s);
  return a;
}

/* Run PT (K temperatures, M replicas, every chain started at x = 3); cold
 * draws of x into draws (M x D), rates into acc (K) and swap (K - 1). */
static void run_pt(genc_ctx *ctx, fixture *f, int K, int64_t M, int64_t warmup, int64_t D,
                   double *draws, double *acc, double *swap) {
  int64_t mark = genc_scope_begin(ctx);
  double beta[8];
  T_OK(ctx, !genc_pt_ladder(ctx, K, 0.01, beta));
  genc_trace *t0 = genc_gf_generate(ctx, f->gf, NULL, f->cons, genc_key_from_seed(1), K * M, NULL);
  T_OK(ctx, t0);
  genc_array *step = walk_steps(ctx, beta, K, M);
  genc_array *args[] = {step};
  genc_edit_request move = {.kind = GENC_EDIT_PROPOSAL,
                            .fwd = f->walk,
                            .bwd = f->walk,
                            .fwd_args = args,
                            .bwd_args = args};
  const char *addrs[] = {"x"};
  genc_trace *t = genc_pt_run(ctx, t0, &move, f->obs,
                              &(genc_pt_opts){.ntemps = K,
                                              .warmup = warmup,
                                              .samples = D,
                                              .key = genc_key_from_seed(7),
                                              .naddrs = 1,
                                              .addrs = addrs,
                                              .draws = draws,
                                              .draws_cap = M * D,
                                              .accept_rate = acc,
                                              .swap_rate = swap});
  T_OK(ctx, t);
  assert_int_equal(genc_trace_nparticles(t), K * M);
  genc_trace_release(t), genc_trace_release(t0);
  genc_scope_end(ctx, mark);
}

static void test_pt_finds_both_modes(void **state) {
  genc_ctx *ctx = *state;
  fixture f = fx_new(ctx);
  enum { K = 6, M = 8, D = 4000 };
  double *draws = malloc(M * D * sizeof *draws), *ind = malloc(M * D * sizeof *ind);
  double acc[K], swap[K - 1], p_neg, mean;
  run_pt(ctx, &f, K, M, 200, D, draws, acc, swap);
  exact_moments(&p_neg, &mean);
  double phat = 0, xbar = 0;
  for (int i = 0; i < M * D; i++)
    ind[i] = draws[i] < 0, phat += ind[i] / (M * D), xbar += draws[i] / (M * D);
  double ess_p, ess_x, mcse_x;
  T_OK(ctx, !genc_diag_ess_basic(ctx, ind, M, D, &ess_p));
  T_OK(ctx, !genc_diag_ess_basic(ctx, draws, M, D, &ess_x));
  T_OK(ctx, !genc_diag_mcse_mean(ctx, draws, M, D, &mcse_x));
  double se_p = sqrt(p_neg * (1 - p_neg) / ess_p);
  print_message("PT K=%d M=%d D=%d: P(x<0) %.4f exact %.4f (SE %.4f, ESS %.0f); E[x] %.4f exact "
                "%.4f (MCSE %.4f, ESS %.0f)\n",
                K, M, D, phat, p_neg, se_p, ess_p, xbar, mean, mcse_x, ess_x);
  print_message("accept per temperature:");
  for (int k = 0; k < K; k++)
    print_message(" %.3f", acc[k]);
  print_message("\nswap per pair:");
  for (int k = 0; k + 1 < K; k++)
    print_message(" %.3f", swap[k]);
  print_message("\n");
  assert_true(ess_p > 100); /* the cold chains really switch modes, many times */
  assert_true(fabs(phat - p_neg) < 4 * se_p);
  assert_true(fabs(xbar - mean) < 4 * mcse_x);
  for (int k = 0; k + 1 < K; k++)
    assert_true(swap[k] > 0.05 && swap[k] < 1);
  for (int k = 0; k < K; k++)
    assert_true(acc[k] > 0.05 && acc[k] < 1);
  free(draws), free(ind);
  fx_free(&f);
}

/* Plain random-walk MH (the cold chain's own kernel) from x = 3 never crosses:
 * the barrier at x = 0 is exp(-162) below the modes. */
static void test_plain_mh_stuck(void **state) {
  genc_ctx *ctx = *state;
  fixture f = fx_new(ctx);
  int64_t n = 8;
  genc_trace *t = genc_gf_generate(ctx, f.gf, NULL, f.cons, genc_key_from_seed(1), n, NULL);
  T_OK(ctx, t);
  double x[8], minx = INFINITY, nacc = 0;
  for (int64_t s = 0; s < 2000; s++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_array *args[] = {genc_scalar(ctx, 0.15)}, *acc = NULL;
    genc_trace *t1 = genc_mh_proposal(ctx, t, f.walk, NULL, args, NULL,
                                      genc_key_fold_in(genc_key_from_seed(7), (uint64_t)s), &acc);
    T_OK(ctx, t1);
    nacc += t_at(ctx, acc, 0);
    genc_trace_release(t), t = t1;
    T_OK(ctx, !genc_trace_copy_out(ctx, t, "x", x, n));
    for (int i = 0; i < n; i++)
      minx = fmin(minx, x[i]);
    genc_scope_end(ctx, mark);
  }
  print_message("plain MH: min x over 8 chains x 2000 steps %.3f, accept %.3f\n", minx,
                nacc / 2000);
  assert_true(minx > 1.5);
  assert_true(nacc > 200); /* it moves, within its mode */
  genc_trace_release(t);
  fx_free(&f);
}

/* At beta = 1 the tempered step is genc_mh_select() with the same key, bit for bit. */
static void test_beta_one_is_mh(void **state) {
  genc_ctx *ctx = *state;
  fixture f = fx_new(ctx);
  int64_t mark = genc_scope_begin(ctx);
  genc_trace *t0 = genc_gf_generate(ctx, f.gf, NULL, f.cons, genc_key_from_seed(1), 64, NULL);
  genc_edit_request move = {.kind = GENC_EDIT_SELECTION, .selection = f.lat};
  genc_trace *a = t0, *b = genc_trace_retain(t0);
  int nacc = 0;
  for (uint64_t s = 0; s < 50; s++) {
    genc_key k = genc_key_fold_in(genc_key_from_seed(5), s);
    genc_array *acc = NULL;
    genc_trace *a1 = genc_mh_tempered(ctx, a, &move, f.obs, genc_scalar(ctx, 1.0), k, &acc);
    genc_trace *b1 = genc_mh_select(ctx, b, f.lat, k, NULL);
    T_OK(ctx, a1 && b1);
    genc_trace_release(a), genc_trace_release(b), a = a1, b = b1;
    for (int i = 0; i < 64; i++)
      nacc += t_at(ctx, acc, i) != 0;
  }
  double xa[64], xb[64];
  T_OK(ctx, !genc_trace_copy_out(ctx, a, "x", xa, 64));
  T_OK(ctx, !genc_trace_copy_out(ctx, b, "x", xb, 64));
  assert_memory_equal(xa, xb, sizeof xa);
  assert_true(nacc > 0);
  genc_trace_release(a), genc_trace_release(b);
  genc_scope_end(ctx, mark);
  fx_free(&f);
}

/* Replica 0's cold chain is the same with M = 1 and M = 3. */
static void test_same_whatever_m(void **state) {
  genc_ctx *ctx = *state;
  fixture f = fx_new(ctx);
  enum { K = 4, D = 150 };
  double d1[D], d3[3 * D], acc[K], swap[K - 1];
  run_pt(ctx, &f, K, 1, 10, D, d1, acc, swap);
  run_pt(ctx, &f, K, 3, 10, D, d3, acc, swap);
  assert_memory_equal(d1, d3, sizeof d1); /* chain 0's block comes first */
  assert_true(memcmp(d3, d3 + D, sizeof d1) != 0);
  fx_free(&f);
}

static void test_errors(void **state) {
  genc_ctx *ctx = *state;
  fixture f = fx_new(ctx);
  int64_t mark = genc_scope_begin(ctx);
  genc_trace *t0 = genc_gf_generate(ctx, f.gf, NULL, f.cons, genc_key_from_seed(1), 6, NULL);
  genc_edit_request move = {.kind = GENC_EDIT_SELECTION, .selection = f.lat};
  genc_trace *t = genc_pt_run(ctx, t0, &move, f.obs, &(genc_pt_opts){.ntemps = 4});
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_ARG, "K * M particles", "6");
  double bad[3] = {1, 0.5, 0.7};
  t = genc_pt_run(ctx, t0, &move, f.obs, &(genc_pt_opts){.ntemps = 3, .betas = bad});
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_ARG, "betas[2]", "0.7");
  genc_edit_request upd = {.kind = GENC_EDIT_CONSTRAINTS, .constraints = f.cons};
  t = genc_pt_run(ctx, t0, &upd, f.obs, &(genc_pt_opts){.ntemps = 3});
  t_expect_error(ctx, (genc_array *)t, GENC_ERR_ARG, "genc_pt_run", "MH edit");
  double lad[4];
  T_OK(ctx, !genc_pt_ladder(ctx, 4, 0.001, lad));
  assert_true(lad[0] == 1 && fabs(lad[1] - 0.1) < 1e-15 && fabs(lad[3] - 0.001) < 1e-15);
  assert_int_equal(genc_pt_ladder(ctx, 3, 1.5, lad), GENC_ERR_ARG);
  genc_ctx_clear_error(ctx);
  genc_trace_release(t0);
  genc_scope_end(ctx, mark);
  fx_free(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pt_finds_both_modes),
      cmocka_unit_test(test_plain_mh_stuck),
      cmocka_unit_test(test_beta_one_is_mh),
      cmocka_unit_test(test_same_whatever_m),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
