/* Sequence traces share their unchanged prefix (white-box: reads the step
 * table of src/comb/seq.h). Extending an Unfold by one step shares every
 * whole chunk of the old trace's step table and the old step traces
 * themselves, runs the kernel once, and leaves the old trace untouched, also
 * when two updates branch from it. The prefix-skipping switch gives the same
 * results while rerunning every step. */
#include "../src/comb/seq.h"
#include "comb_seq_models.h"

/* Update old (T steps) to T + 1 steps with y at step T constrained to y. */
static genc_trace *extend(lg_fixture *f, const genc_trace *old, int T, double y, genc_array **w) {
  genc_ctx *ctx = f->ctx;
  genc_choicemap *c = genc_choicemap_new(ctx);
  genc_choicemap_set_path(ctx, c, (genc_comp[]){genc_idx(T), GENC_SYM("y")}, 2,
                          genc_scalar(ctx, y));
  genc_argdiff d[2] = {genc_intdiff(1), genc_nochange()};
  genc_trace *u = genc_gf_update(ctx, old, (genc_array *[]){i32(ctx, T + 1), genc_scalar(ctx, 0.0)},
                                 d, c, genc_key_from_seed(9), w, NULL);
  genc_choicemap_free(c);
  T_OK(ctx, u);
  return u;
}

/* T = 1000 -> 1001: one kernel run; whole chunks below 1000 are the old
 * trace's chunks (pointer equal: no per-step work), the partly kept chunk
 * holds the same step traces, and the value stacks the old states and the new. */
static void test_extend_shares_prefix(void **state) {
  lg_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  int64_t mark = genc_scope_begin(ctx);
  const int T = 1000;
  genc_trace *t =
      genc_gf_simulate(ctx, f->unfold, (genc_array *[]){i32(ctx, T), genc_scalar(ctx, 0.0)},
                       genc_key_from_seed(3), 0);
  T_OK(ctx, t);
  genc_array *w = NULL;
  f->runs = 0;
  genc_trace *u = extend(f, t, T, 0.25, &w);
  assert_int_equal(f->runs, 1);
  const seq_trace *od = genc_trace_impl(t), *nd = genc_trace_impl(u);
  assert_int_equal(nd->len, T + 1);
  for (int64_t i = 0; i < T / SEQ_CHUNK; i++)
    assert_ptr_equal(nd->chunks[i], od->chunks[i]);
  assert_ptr_not_equal(nd->chunks[T / SEQ_CHUNK], od->chunks[T / SEQ_CHUNK]);
  for (int64_t s = 0; s < T; s++)
    assert_ptr_equal(seq_sub(ctx, nd, s), seq_sub(ctx, od, s));
  /* weight: log N(0.25; x_T, 0.5) of the new step; score grows by the new step's */
  double xT = t_choice2(ctx, u, genc_idx(T), GENC_SYM("x"));
  double x999 = t_choice2(ctx, t, genc_idx(T - 1), GENC_SYM("x"));
  T_CLOSE(t_item(ctx, w), t_lnorm(0.25, xT, 0.5), 1e-12);
  T_CLOSE(t_item(ctx, genc_trace_score(u)),
          t_item(ctx, genc_trace_score(t)) + t_lnorm(xT, 0.9 * x999, 1) + t_lnorm(0.25, xT, 0.5),
          1e-10);
  genc_array *ro = genc_trace_retval(t), *rn = genc_trace_retval(u);
  assert_int_equal(genc_array_dim(rn, 0), T + 1);
  for (int s = 0; s < T; s += 97)
    T_CLOSE(t_at(ctx, rn, s), t_at(ctx, ro, s), 0);
  T_CLOSE(t_at(ctx, rn, T), xT, 0);
  genc_trace_release(u);
  genc_trace_release(t);
  genc_scope_end(ctx, mark);
}

/* Two updates branch from one trace (T = 130: two whole chunks and a partial
 * one): each has its own step 130, and the old trace keeps its choices and
 * score, before and after it is released first. */
static void test_branches_keep_old(void **state) {
  lg_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  int64_t mark = genc_scope_begin(ctx);
  const int T = 130;
  genc_trace *t =
      genc_gf_simulate(ctx, f->unfold, (genc_array *[]){i32(ctx, T), genc_scalar(ctx, 0.0)},
                       genc_key_from_seed(5), 0);
  T_OK(ctx, t);
  genc_choicemap *before = genc_choicemap_copy(ctx, genc_trace_choices(ctx, t));
  double s0 = t_item(ctx, genc_trace_score(t));
  genc_array *w1 = NULL, *w2 = NULL;
  genc_trace *u1 = extend(f, t, T, 5.0, &w1), *u2 = extend(f, t, T, -5.0, &w2);
  genc_trace *u3 = extend(f, u1, T + 1, 1.0, NULL); /* a second step on one branch */
  assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, t), before));
  T_CLOSE(t_item(ctx, genc_trace_score(t)), s0, 0);
  genc_trace_release(t);
  T_CLOSE(t_choice2(ctx, u1, genc_idx(T), GENC_SYM("y")), 5.0, 0);
  T_CLOSE(t_choice2(ctx, u2, genc_idx(T), GENC_SYM("y")), -5.0, 0);
  T_CLOSE(t_choice2(ctx, u3, genc_idx(T), GENC_SYM("y")), 5.0, 0);
  T_CLOSE(t_choice2(ctx, u3, genc_idx(T + 1), GENC_SYM("y")), 1.0, 0);
  /* every branch's score is the assess of its own choices */
  genc_trace *us[3] = {u1, u2, u3};
  for (int i = 0; i < 3; i++) {
    genc_array *a = genc_gf_assess(
        ctx, f->unfold, (genc_array *[]){i32(ctx, T + 1 + (i == 2)), genc_scalar(ctx, 0.0)},
        genc_trace_choices(ctx, us[i]), NULL);
    T_OK(ctx, a);
    T_CLOSE(t_item(ctx, a), t_item(ctx, genc_trace_score(us[i])), 1e-12);
    genc_trace_release(us[i]);
  }
  genc_choicemap_free(before);
  genc_scope_end(ctx, mark);
}

/* A constraint in the middle (step 200 of 300) keeps steps 0..199 by sharing
 * chunks 0..2; with prefix skipping off the same update reruns all 300
 * steps and gives the same weight, score and choices. */
static void test_skipping_switch(void **state) {
  lg_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  int64_t mark = genc_scope_begin(ctx);
  genc_gf *noskip = genc_unfold(f->kernel);
  assert_int_equal(genc_unfold_set_prefix_skipping(noskip, false), GENC_OK);
  assert_int_equal(genc_unfold_set_prefix_skipping(f->kernel, false), GENC_ERR_ARG);
  assert_int_equal(genc_unfold_set_prefix_skipping(NULL, true), GENC_ERR_ARG);
  genc_array *args[2] = {i32(ctx, 300), genc_scalar(ctx, 0.0)};
  genc_choicemap *c = genc_choicemap_new(ctx);
  genc_choicemap_set_path(ctx, c, (genc_comp[]){genc_idx(200), GENC_SYM("x")}, 2,
                          genc_scalar(ctx, 1.5));
  genc_trace *tr[2];
  genc_array *w[2];
  genc_gf *gfs[2] = {f->unfold, noskip};
  int64_t runs[2];
  for (int i = 0; i < 2; i++) {
    genc_trace *t = genc_gf_simulate(ctx, gfs[i], args, genc_key_from_seed(8), 0);
    T_OK(ctx, t);
    f->runs = 0;
    tr[i] = genc_gf_update(ctx, t, NULL, NULL, c, genc_key_from_seed(2), &w[i], NULL);
    T_OK(ctx, tr[i]);
    runs[i] = f->runs;
    if (i == 0) {
      const seq_trace *od = genc_trace_impl(t), *nd = genc_trace_impl(tr[0]);
      for (int64_t k = 0; k < 200 / SEQ_CHUNK; k++)
        assert_ptr_equal(nd->chunks[k], od->chunks[k]);
    }
    genc_trace_release(t);
  }
  assert_int_equal(runs[0], 2); /* step 200 and 201 (its carry changed) */
  assert_int_equal(runs[1], 300);
  T_CLOSE(t_item(ctx, w[1]), t_item(ctx, w[0]), 1e-12);
  T_CLOSE(t_item(ctx, genc_trace_score(tr[1])), t_item(ctx, genc_trace_score(tr[0])), 1e-12);
  assert_true(
      genc_choicemap_equal(ctx, genc_trace_choices(ctx, tr[0]), genc_trace_choices(ctx, tr[1])));
  genc_trace_release(tr[0]);
  genc_trace_release(tr[1]);
  genc_choicemap_free(c);
  genc_gf_release(noskip);
  genc_scope_end(ctx, mark);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_extend_shares_prefix),
      cmocka_unit_test(test_branches_keep_old),
      cmocka_unit_test(test_skipping_switch),
  };
  return cmocka_run_group_tests(tests, lg_setup, lg_teardown);
}
