/* Scan: GFI laws single and batched, the packed (carry, y) convention, the
 * exact joint density, per-element input diffs counted in kernel runs. */
#include "comb_seq_models.h"

/* kernel(carry, x): z ~ N(carry + x, 1); returns [z, z + x] (carry z, output z + x) */
static genc_array *k_scan(genc_rt *rt, genc_array *const *args, void *u) {
  ++*(int64_t *)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *z = GENC_TRACE(rt, "z", genc_normal(ctx, genc_add(ctx, args[0], args[1]), 1.0));
  genc_array *r[2] = {z, genc_add(ctx, z, args[1])};
  return genc_stack(ctx, 2, r, 0);
}

/* the carry is row 0 of the packed return value */
static genc_array *carry0(genc_ctx *ctx, genc_array *ret, void *user) {
  (void)user;
  return genc_take(ctx, ret, genc_scalar_of(ctx, 0, GENC_I32), -1);
}

/* kernel(carry, x): z ~ N(carry + x, 1); returns z (carry and output at once) */
static genc_array *k_plain(genc_rt *rt, genc_array *const *args, void *u) {
  (void)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  return GENC_TRACE(rt, "z", genc_normal(ctx, genc_add(ctx, args[0], args[1]), 1.0));
}

static genc_gf *make(genc_gf *kernel) { return genc_scan(kernel, carry0, NULL); }

static int setup(void **state) { return seq_setup(state, "ks", k_scan, 2, make); }

static void test_laws(void **state) {
  seq_fixture *f = *state;
  genc_array *args[2] = {genc_scalar(f->ctx, 0.5), t_vec(f->ctx, 0, 4, 0.5, -1)};
  for (uint64_t s = 1; s <= 3; s++)
    gl_laws(f->ctx, f->comb, args, NULL, s);
  gl_batched(f->ctx, f->comb, args, 5, 61);
  genc_gf *k = genc_gf_dynamic("plain", k_plain, 2, NULL);
  genc_gf *sc = genc_scan(k, NULL, NULL);
  gl_laws(f->ctx, sc, args, NULL, 4);
  gl_batched(f->ctx, sc, args, 5, 62);
  genc_gf_release(sc);
  genc_gf_release(k);
}

/* All z constrained: weight = sum_t log N(z_t; z_{t-1} + x_t, 1); rows [z_t, z_t + x_t]. */
static void test_exact(void **state) {
  seq_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  double zs[4] = {0.2, -0.4, 1.0, 0.3}, xv[4] = {-1, -0.5, 0, 0.5};
  genc_choicemap *c = genc_choicemap_new(ctx);
  double want = 0, prev = 0.5;
  for (int t = 0; t < 4; t++) {
    genc_choicemap_set_path(ctx, c, (genc_comp[]){genc_idx(t), GENC_SYM("z")}, 2,
                            genc_scalar(ctx, zs[t]));
    want += t_lnorm(zs[t], prev + xv[t], 1.0);
    prev = zs[t];
  }
  genc_array *args[2] = {genc_scalar(ctx, 0.5), genc_array_vec(ctx, 4, xv)};
  genc_array *w = NULL;
  genc_trace *t = genc_gf_generate(ctx, f->comb, args, c, genc_key_from_seed(2), 0, &w);
  T_OK(ctx, t);
  T_CLOSE(t_item(ctx, w), want, 1e-12);
  genc_array *ret = genc_trace_retval(t);
  assert_int_equal(genc_array_ndim(ret), 2);
  for (int s = 0; s < 4; s++) {
    T_CLOSE(t_at(ctx, ret, 2 * s), zs[s], 0);
    T_CLOSE(t_at(ctx, ret, 2 * s + 1), zs[s] + xv[s], 1e-15);
  }
  genc_choicemap_free(c);
  genc_trace_release(t);
}

/* xs[3] of 6 changes: step 3 reruns, its carry z3 is kept, so step 4 does not. */
static void test_incremental(void **state) {
  seq_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  double xv[6] = {0, 1, 2, 3, 4, 5};
  genc_array *args[2] = {genc_scalar(ctx, 0.0), genc_array_vec(ctx, 6, xv)};
  genc_key key = genc_key_from_seed(12);
  genc_trace *t = genc_gf_simulate(ctx, f->comb, args, key, 0);
  T_OK(ctx, t);
  double z2 = t_choice2(ctx, t, genc_idx(2), GENC_SYM("z"));
  double z3 = t_choice2(ctx, t, genc_idx(3), GENC_SYM("z"));
  xv[3] = -2;
  genc_array *args2[2] = {args[0], genc_array_vec(ctx, 6, xv)};
  int64_t idx = 3;
  genc_argdiff d[2] = {genc_nochange(), genc_vectordiff(&idx, 1)};
  double want = t_lnorm(z3, z2 - 2, 1) - t_lnorm(z3, z2 + 3, 1);
  for (int pass = 0; pass < 2; pass++) {
    genc_array *w = NULL;
    f->runs = 0;
    genc_trace *u = genc_gf_update(ctx, t, args2, pass ? NULL : d, NULL, key, &w, NULL);
    T_OK(ctx, u);
    assert_int_equal(f->runs, 1);
    T_CLOSE(t_item(ctx, w), want, 1e-12);
    T_CLOSE(t_at(ctx, genc_trace_retval(u), 7), z3 - 2, 1e-15); /* y3 = z3 + x3 */
    genc_trace_release(u);
  }
  genc_trace_release(t);
}

static void test_empty(void **state) {
  seq_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  int64_t zero = 0;
  genc_array *args[2] = {genc_scalar(ctx, 0.0), genc_array_zeros(ctx, GENC_F64, 1, &zero, 0)};
  f->runs = 0;
  genc_trace *t = genc_gf_simulate(ctx, f->comb, args, genc_key_from_seed(1), 0);
  T_OK(ctx, t);
  assert_int_equal(f->runs, 0);
  T_CLOSE(t_item(ctx, genc_trace_score(t)), 0.0, 0);
  assert_int_equal(genc_array_dim(genc_trace_retval(t), 0), 0);
  assert_true(genc_choicemap_is_empty(genc_trace_choices(ctx, t)));
  genc_trace_release(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_laws),
      cmocka_unit_test(test_exact),
      cmocka_unit_test(test_incremental),
      cmocka_unit_test(test_empty),
  };
  return cmocka_run_group_tests(tests, setup, seq_teardown);
}
