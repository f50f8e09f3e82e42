/* GFI laws (docs/gfi.md) for the Map/Unfold/Scan/Vmap tests: the
 * checks of test_gfi_laws.c, shared by the tests of every combinator, plus
 * kernel models that count their runs through their user pointer. */
#ifndef GENC_TEST_COMB_SEQ_LAWS_H
#define GENC_TEST_COMB_SEQ_LAWS_H

#include "testutil.h"

/* Every law that holds for any model and any trace, at one seed. Values are
 * compared to 1e-12 relative: both sides sum the same log densities, possibly
 * in a different order. */
static inline void check_laws(genc_ctx *ctx, genc_gf *gf, genc_array *const *args, uint64_t seed) {
  int64_t mark = genc_scope_begin(ctx);
  genc_key key = genc_key_from_seed(seed);
  genc_trace *t = genc_gf_simulate(ctx, gf, args, key, 0);
  T_OK(ctx, t);
  double score = t_item(ctx, genc_trace_score(t));
  const genc_choicemap *cm = genc_trace_choices(ctx, t);
  T_OK(ctx, cm);

  /* generate with all choices == assess == score */
  genc_array *w = NULL;
  genc_trace *g = genc_gf_generate(ctx, gf, args, cm, genc_key_from_seed(seed + 1), 0, &w);
  T_OK(ctx, g);
  T_CLOSE(t_item(ctx, w), score, 1e-12);
  genc_array *a = genc_gf_assess(ctx, gf, args, cm, NULL);
  T_OK(ctx, a);
  T_CLOSE(t_item(ctx, a), score, 1e-12);
  assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, g), cm));
  genc_trace_release(g);

  /* generate with no constraints: weight 0 */
  g = genc_gf_generate(ctx, gf, args, NULL, key, 0, &w);
  T_OK(ctx, g);
  assert_true(t_item(ctx, w) == 0.0);
  genc_trace_release(g);

  /* update with nothing new: weight 0, same trace (fast path, and through the body) */
  genc_choicemap *disc = NULL;
  genc_trace *u = genc_gf_update(ctx, t, NULL, NULL, NULL, key, &w, &disc);
  T_OK(ctx, u);
  assert_ptr_equal(u, t);
  assert_true(t_item(ctx, w) == 0.0);
  assert_true(genc_choicemap_is_empty(disc));
  genc_choicemap_free(disc);
  genc_trace_release(u);
  genc_choicemap *empty = genc_choicemap_new(ctx);
  u = genc_gf_update(ctx, t, args ? args : (genc_array *const[]){NULL}, NULL, empty, key, &w, NULL);
  T_OK(ctx, u);
  T_CLOSE(t_item(ctx, w), 0.0, 1e-12);
  assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, u), cm));
  T_CLOSE(t_item(ctx, genc_trace_score(u)), score, 1e-12);
  genc_trace_release(u);

  /* regenerate with the empty selection: weight 0 (fast path and through the body) */
  genc_trace *r = genc_gf_regenerate(ctx, t, NULL, NULL, genc_selection_none(), key, &w);
  T_OK(ctx, r);
  assert_true(t_item(ctx, w) == 0.0);
  genc_trace_release(r);
  r = genc_gf_regenerate(ctx, t, args ? args : (genc_array *const[]){NULL}, NULL,
                         genc_selection_none(), key, &w);
  T_OK(ctx, r);
  T_CLOSE(t_item(ctx, w), 0.0, 1e-12);
  assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, r), cm));
  genc_trace_release(r);

  /* project(all) = score, project(none) = 0 */
  T_CLOSE(t_item(ctx, genc_gf_project(ctx, t, genc_selection_all())), score, 1e-12);
  assert_true(t_item(ctx, genc_gf_project(ctx, t, genc_selection_none())) == 0.0);

  /* update weight = new score - old score when every changed choice is constrained:
   * constrain every choice of a fresh simulation (all of them change) */
  genc_trace *t2 = genc_gf_simulate(ctx, gf, args, genc_key_from_seed(seed + 7), 0);
  T_OK(ctx, t2);
  u = genc_gf_update(ctx, t, NULL, NULL, genc_trace_choices(ctx, t2), key, &w, &disc);
  T_OK(ctx, u);
  double s2 = t_item(ctx, genc_trace_score(t2));
  T_CLOSE(t_item(ctx, genc_trace_score(u)), s2, 1e-12);
  T_CLOSE(t_item(ctx, w), s2 - score, 1e-12);
  genc_choicemap_free(disc);
  genc_trace_release(u);
  genc_trace_release(t2);

  /* propose: weight = score of its choices */
  genc_array *pw = NULL;
  genc_choicemap *pc = genc_gf_propose(ctx, gf, args, key, 0, &pw, NULL);
  T_OK(ctx, pc);
  T_CLOSE(t_item(ctx, pw), score, 1e-12); /* same key: same choices as t */
  genc_choicemap_free(pc);

  genc_choicemap_free(empty);
  genc_trace_release(t);
  genc_scope_end(ctx, mark);
}

/* Particle i of a batched simulate/generate equals the single run with key_particle(key, i). */
static inline void check_batched(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                                 uint64_t seed) {
  int64_t mark = genc_scope_begin(ctx);
  const int n = 5;
  genc_key key = genc_key_from_seed(seed);
  genc_trace *bt = genc_gf_simulate(ctx, gf, args, key, n);
  T_OK(ctx, bt);
  assert_int_equal(genc_trace_nparticles(bt), n);
  assert_int_equal(genc_array_nparticles(genc_trace_score(bt)), n);
  for (int i = 0; i < n; i++) {
    genc_trace *s = genc_gf_simulate(ctx, gf, args, genc_key_particle(key, (uint32_t)i), 0);
    genc_trace *p = genc_trace_particle(ctx, bt, i);
    T_OK(ctx, s);
    T_OK(ctx, p);
    assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, s), genc_trace_choices(ctx, p)));
    T_CLOSE(t_item(ctx, genc_trace_score(p)), t_item(ctx, genc_trace_score(s)), 1e-12);
    T_CLOSE(t_at(ctx, genc_trace_score(bt), i), t_item(ctx, genc_trace_score(s)), 1e-12);
    genc_trace_release(s);
    genc_trace_release(p);
  }
  /* batched generate constrained by particle 0's choices: weight = score per particle */
  genc_trace *p0 = genc_trace_particle(ctx, bt, 0);
  genc_array *w = NULL;
  genc_trace *g = genc_gf_generate(ctx, gf, args, genc_trace_choices(ctx, p0), key, n, &w);
  T_OK(ctx, g);
  for (int i = 0; i < n; i++)
    T_CLOSE(t_at(ctx, w, i), t_item(ctx, genc_trace_score(p0)), 1e-12);
  /* batched regenerate of everything equals single regenerates of the particles */
  genc_key k2 = genc_key_from_seed(seed + 3);
  genc_trace *r = genc_gf_regenerate(ctx, bt, args, NULL, genc_selection_all(), k2, &w);
  T_OK(ctx, r);
  for (int i = 0; i < n; i++) {
    genc_trace *p = genc_trace_particle(ctx, bt, i);
    genc_array *ws = NULL;
    genc_trace *rs =
        genc_gf_regenerate(ctx, p, args, NULL, genc_selection_all(), genc_key_particle(k2, i), &ws);
    T_OK(ctx, rs);
    genc_trace *rp = genc_trace_particle(ctx, r, i);
    assert_true(
        genc_choicemap_equal(ctx, genc_trace_choices(ctx, rs), genc_trace_choices(ctx, rp)));
    T_CLOSE(t_at(ctx, w, i), t_item(ctx, ws), 1e-12);
    genc_trace_release(p);
    genc_trace_release(rs);
    genc_trace_release(rp);
  }
  /* resampling: take particles [4, 4, 0] */
  int32_t idx[3] = {4, 4, 0};
  int64_t three = 3;
  genc_trace *tk = genc_trace_take(ctx, bt, genc_array_from(ctx, GENC_I32, 1, &three, 0, idx));
  T_OK(ctx, tk);
  assert_int_equal(genc_trace_nparticles(tk), 3);
  T_CLOSE(t_at(ctx, genc_trace_score(tk), 1), t_at(ctx, genc_trace_score(bt), 4), 0);
  T_CLOSE(t_at(ctx, genc_trace_score(tk), 2), t_at(ctx, genc_trace_score(bt), 0), 0);
  genc_trace_release(tk);
  genc_trace_release(r);
  genc_trace_release(g);
  genc_trace_release(p0);
  genc_trace_release(bt);
  genc_scope_end(ctx, mark);
}

/* x ~ N(m, 1); y ~ N(x, 0.5); returns x. args[0] = m (0-d); user: a counter of runs or NULL */
static inline genc_array *k_step(genc_rt *rt, genc_array *const *args, void *u) {
  if (u) ++*(int64_t *)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, args[0], 1.0));
  GENC_TRACE(rt, "y", genc_normal(ctx, x, 0.5));
  return x;
}

/* An n-particle (0: shared) 1-d f64 array of length len holding j * scale + off. */
static inline genc_array *t_vec(genc_ctx *ctx, int64_t n, int64_t len, double scale, double off) {
  return t_iota(ctx, n, 1, &len, scale, off);
}

/* log N(x; mu, sigma) */
static inline double t_lnorm(double x, double mu, double sigma) {
  double z = (x - mu) / sigma;
  return -0.5 * z * z - log(sigma) - 0.5 * log(2 * M_PI);
}

/* The value at path (a, b) of a trace's choices, as a double. */
static inline double t_choice2(genc_ctx *ctx, const genc_trace *t, genc_comp a, genc_comp b) {
  genc_comp p[2] = {a, b};
  genc_array *v = genc_trace_get(ctx, t, p, 2);
  T_OK(ctx, v);
  return t_item(ctx, v);
}

#endif
