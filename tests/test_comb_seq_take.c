/* genc_trace_take on a sequence trace is lazy (white-box: reads the step
 * table of src/comb/seq.h): the new trace shares every chunk of the old one
 * under a pending particle index, and a step is materialized only when read.
 * Every read after a lazy take (choices, another take, an update of the last
 * step, an extension, a regenerate) gives bit for bit what the eager take
 * (the type's trace_map with a particle take, the path before the hook) gives. */
#include <string.h>

#include "../src/comb/seq.h"
#include "comb_seq_models.h"

#define N 8

static genc_array *index_of(genc_ctx *ctx, const int32_t *v, int64_t n) {
  double d[64];
  for (int64_t i = 0; i < n; i++)
    d[i] = v[i];
  return genc_astype(ctx, genc_array_from(ctx, GENC_F64, 1, &n, 0, d), GENC_I32);
}

static genc_array *map_take(genc_ctx *ctx, genc_array *x, void *user) {
  return genc_array_batched(x) ? genc_particle_take(ctx, x, (genc_array *)user) : x;
}

/* The eager take: the type's trace_map over every array. */
static genc_trace *eager(genc_ctx *ctx, const genc_trace *t, genc_array *idx) {
  genc_trace *r =
      genc_gf_type_of(genc_trace_gf(t))->trace_map(ctx, t, map_take, idx, genc_array_dim(idx, 0));
  T_OK(ctx, r);
  return r;
}

static void same_bits(genc_ctx *ctx, genc_array *a, genc_array *b) {
  T_OK(ctx, a);
  T_OK(ctx, b);
  assert_int_equal(genc_array_nparticles(a), genc_array_nparticles(b));
  assert_int_equal(genc_array_size(a), genc_array_size(b));
  int64_t k = (genc_array_nparticles(a) ? genc_array_nparticles(a) : 1) * genc_array_size(a);
  double *x = calloc((size_t)k + 1, sizeof *x), *y = calloc((size_t)k + 1, sizeof *y);
  assert_int_equal(genc_array_copy_out(ctx, a, x, k), GENC_OK);
  assert_int_equal(genc_array_copy_out(ctx, b, y, k), GENC_OK);
  assert_memory_equal(x, y, (size_t)k * sizeof *x);
  free(x);
  free(y);
}

/* Score, return value and every step's x and y, bit for bit. */
static void same_trace(genc_ctx *ctx, const genc_trace *a, const genc_trace *b) {
  int64_t mark = genc_scope_begin(ctx);
  const seq_trace *d = genc_trace_impl(a);
  assert_int_equal(d->len, ((const seq_trace *)genc_trace_impl(b))->len);
  assert_int_equal(genc_trace_nparticles(a), genc_trace_nparticles(b));
  same_bits(ctx, genc_trace_score(a), genc_trace_score(b));
  same_bits(ctx, genc_trace_retval(a), genc_trace_retval(b));
  for (int64_t s = 0; s < d->len; s++)
    for (int k = 0; k < 2; k++) {
      genc_comp p[2] = {genc_idx(s), k ? GENC_SYM("y") : GENC_SYM("x")};
      same_bits(ctx, genc_trace_get(ctx, a, p, 2), genc_trace_get(ctx, b, p, 2));
    }
  genc_scope_end(ctx, mark);
}

static int64_t materialized(const genc_trace *t) {
  const seq_trace *d = genc_trace_impl(t);
  int64_t k = 0;
  for (int64_t s = 0; d->cache && s < d->nchunks * SEQ_CHUNK; s++)
    k += d->cache[s] != NULL;
  return k;
}

static genc_trace *sim(lg_fixture *f, int T, uint64_t seed) {
  genc_trace *t = genc_gf_simulate(f->ctx, f->unfold,
                                   (genc_array *[]){i32(f->ctx, T), genc_scalar(f->ctx, 0.0)},
                                   genc_key_from_seed(seed), N);
  T_OK(f->ctx, t);
  return t;
}

/* Update to T2 steps with y at step s constrained to v (T2 = T: the last step revisited). */
static genc_trace *upd(lg_fixture *f, const genc_trace *t, int T, int T2, int s, double v,
                       genc_array **w) {
  genc_ctx *ctx = f->ctx;
  genc_choicemap *c = genc_choicemap_new(ctx);
  genc_choicemap_set_path(ctx, c, (genc_comp[]){genc_idx(s), GENC_SYM("y")}, 2,
                          genc_scalar(ctx, v));
  genc_argdiff d[2] = {T2 == T ? genc_nochange() : genc_intdiff(T2 - T), genc_nochange()};
  genc_trace *u = genc_gf_update(ctx, t, (genc_array *[]){i32(ctx, T2), genc_scalar(ctx, 0.0)}, d,
                                 c, genc_key_from_seed(11), w, NULL);
  genc_choicemap_free(c);
  T_OK(ctx, u);
  return u;
}

/* T = 150 (two whole chunks and a partial one): take, take again, extend,
 * update the last step, extend and take again (the partly kept chunk with
 * composed per-step indices), regenerate a middle step; lazy and eager agree
 * bit for bit at every stage, and per particle with genc_trace_particle. */
static void test_lazy_equals_eager(void **state) {
  lg_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  int64_t mark = genc_scope_begin(ctx);
  const int T = 150;
  genc_trace *t = sim(f, T, 3);
  genc_array *i1 = index_of(ctx, (int32_t[]){3, 3, 0, 7, 1, 1, 5, 2}, N);
  genc_array *i2 = index_of(ctx, (int32_t[]){6, 2, 2, 0, 4, 7, 7, 1}, N);
  genc_trace *l1 = genc_trace_take(ctx, t, i1), *e1 = eager(ctx, t, i1);
  T_OK(ctx, l1);
  assert_int_equal(materialized(l1), 0);
  genc_trace *l2 = genc_trace_take(ctx, l1, i2), *e2 = eager(ctx, e1, i2);
  assert_int_equal(materialized(l2), 0);
  same_trace(ctx, l1, e1);
  same_trace(ctx, l2, e2);
  for (int64_t i = 0; i < N; i += 3) {
    genc_trace *pl = genc_trace_particle(ctx, l2, i), *pe = genc_trace_particle(ctx, e2, i);
    same_trace(ctx, pl, pe);
    genc_trace_release(pl);
    genc_trace_release(pe);
  }
  /* extend (new step past a partly kept chunk), update the last step, take, extend */
  genc_array *wl = NULL, *we = NULL;
  genc_trace *ul = upd(f, l2, T, T + 1, T, 0.5, &wl), *ue = upd(f, e2, T, T + 1, T, 0.5, &we);
  same_bits(ctx, wl, we);
  same_trace(ctx, ul, ue);
  genc_trace *vl = upd(f, ul, T + 1, T + 1, T, -1.0, &wl),
             *ve = upd(f, ue, T + 1, T + 1, T, -1.0, &we);
  same_bits(ctx, wl, we);
  genc_trace *l3 = genc_trace_take(ctx, vl, i1), *e3 = eager(ctx, ve, i1);
  genc_trace *xl = upd(f, l3, T + 1, T + 2, T + 1, 2.0, &wl),
             *xe = upd(f, e3, T + 1, T + 2, T + 1, 2.0, &we);
  same_bits(ctx, wl, we);
  same_trace(ctx, xl, xe);
  /* regenerate x at step 140: steps 140.. revisited from the lazily taken trace */
  genc_trace *l4 = genc_trace_take(ctx, xl, i2), *e4 = eager(ctx, xe, i2);
  genc_selection *sel = genc_selection_new(ctx);
  assert_int_equal(
      genc_selection_add_path(ctx, sel, (genc_comp[]){genc_idx(140), GENC_SYM("x")}, 2), GENC_OK);
  genc_argdiff nd[2] = {genc_nochange(), genc_nochange()};
  genc_array *args[2] = {i32(ctx, T + 2), genc_scalar(ctx, 0.0)};
  genc_trace *rl = genc_gf_regenerate(ctx, l4, args, nd, sel, genc_key_from_seed(21), &wl);
  genc_trace *re = genc_gf_regenerate(ctx, e4, args, nd, sel, genc_key_from_seed(21), &we);
  T_OK(ctx, rl);
  same_bits(ctx, wl, we);
  same_trace(ctx, rl, re);
  genc_selection_release(sel);
  genc_trace *all[] = {t, l1, e1, l2, e2, ul, ue, vl, ve, l3, e3, xl, xe, l4, e4, rl, re};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++)
    genc_trace_release(all[i]);
  genc_scope_end(ctx, mark);
}

/* T = 1000: a take shares every chunk by pointer and materializes no step;
 * extending the taken trace by one step materializes none either (the carry
 * is step 999's return value taken by its index, seq_sub_retval) and runs
 * on; reading the choices materializes every step. */
static void test_take_touches_no_step(void **state) {
  lg_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  int64_t mark = genc_scope_begin(ctx);
  const int T = 1000;
  genc_trace *t = sim(f, T, 5);
  genc_array *idx = index_of(ctx, (int32_t[]){1, 1, 2, 3, 4, 5, 6, 0}, N);
  genc_trace *l = genc_trace_take(ctx, t, idx);
  T_OK(ctx, l);
  const seq_trace *od = genc_trace_impl(t), *ld = genc_trace_impl(l);
  for (int64_t i = 0; i < od->nchunks; i++) {
    assert_ptr_equal(ld->chunks[i], od->chunks[i]);
    assert_ptr_equal(ld->perm[i], ld->perm[0]); /* one composed index for all */
  }
  assert_null(ld->cache);
  assert_int_equal(materialized(t), 0);
  genc_trace *u = upd(f, l, T, T + 1, T, 0.25, NULL);
  assert_int_equal(materialized(l), 0);
  assert_non_null(genc_trace_choices(ctx, u));
  assert_int_equal(materialized(u), T);
  genc_trace_release(u);
  genc_trace_release(l);
  genc_trace_release(t);
  genc_scope_end(ctx, mark);
}

/* A loop of takes and updates that keeps steps 0..2 of one partly kept chunk
 * (T = 5, step 3 constrained each time), 150 rounds: each round links one
 * more index to their pending chains, which are flattened at SEQ_PERM_DEPTH
 * links (so twice here); lazy and eager agree bit for bit, midway and at the
 * end. */
static void test_take_update_loop(void **state) {
  lg_fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  const int T = 5;
  genc_trace *l = sim(f, T, 7), *e = genc_trace_retain(l);
  int max_depth = 0;
  for (int r = 0; r < 150; r++) {
    int64_t mark = genc_scope_begin(ctx);
    int32_t v[N];
    for (int i = 0; i < N; i++)
      v[i] = (int32_t)((5 * i + 3 * r) % N);   /* a permutation (5 is prime to N) */
    if (r % 3 == 0) v[r % N] = v[(r + 1) % N]; /* with a repeat every third round */
    genc_array *idx = index_of(ctx, v, N);
    genc_trace *tl = genc_trace_take(ctx, l, idx), *te = eager(ctx, e, idx);
    genc_trace_release(l), genc_trace_release(e);
    l = upd(f, tl, T, T, 3, 0.1 * r, NULL), e = upd(f, te, T, T, 3, 0.1 * r, NULL);
    genc_trace_release(tl), genc_trace_release(te);
    const seq_perm *p = ((const seq_trace *)genc_trace_impl(l))->chunks[0]->perm[0];
    int depth = p ? p->depth : 0;
    assert_true(depth <= SEQ_PERM_DEPTH);
    if (depth > max_depth) max_depth = depth;
    if (r == 70 || r == 149) same_trace(ctx, l, e);
    genc_scope_end(ctx, mark);
  }
  assert_int_equal(max_depth, SEQ_PERM_DEPTH); /* the chains did grow to the bound */
  genc_trace_release(l);
  genc_trace_release(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_lazy_equals_eager, lg_setup, lg_teardown),
      cmocka_unit_test_setup_teardown(test_take_touches_no_step, lg_setup, lg_teardown),
      cmocka_unit_test_setup_teardown(test_take_update_loop, lg_setup, lg_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
