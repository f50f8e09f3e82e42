/* GFI laws (docs/gfi.md) checked on any generative function: the one set of
 * law checks shared by test_gfi_laws.c and the combinator tests. Functions
 * may take arguments, batched ones included. Values are compared to 1e-12
 * relative: both sides sum the same log densities, possibly in another order. */
#ifndef GENC_TEST_GFI_LAWS_H
#define GENC_TEST_GFI_LAWS_H

#include "testutil.h"

/* Particle i of every argument (shared ones as they are). */
static inline void gl_part_args(genc_ctx *ctx, int nargs, genc_array *const *args, int64_t i,
                                genc_array **out) {
  for (int a = 0; a < nargs; a++)
    out[a] = genc_array_batched(args[a]) ? genc_particle_get(ctx, args[a], i) : args[a];
}

/* The arguments to pass "unchanged" through the update/regenerate table (a
 * function of no arguments gets a non-NULL empty list, NULL meaning "same"). */
#define GL_SAME_ARGS(args) ((args) ? (args) : (genc_array *const[]){NULL})

/* regenerate(t, s) with the same arguments: w = (s' - project(t', s)) - (s - project(t, s)),
 * the change of the unselected choices' density (address sets unchanged). */
static inline void gl_regen_law(genc_ctx *ctx, genc_trace *t, const genc_selection *sel,
                                uint64_t seed) {
  genc_array *w = NULL;
  genc_trace *r = genc_gf_regenerate(ctx, t, NULL, NULL, sel, genc_key_from_seed(seed), &w);
  T_OK(ctx, r);
  double lhs = t_item(ctx, w);
  double rhs = (t_item(ctx, genc_trace_score(r)) - t_item(ctx, genc_gf_project(ctx, r, sel))) -
               (t_item(ctx, genc_trace_score(t)) - t_item(ctx, genc_gf_project(ctx, t, sel)));
  T_CLOSE(lhs, rhs, 1e-12);
  genc_trace_release(r);
}

/* generate fully constrained = assess = score with the same choices;
 * unconstrained generate has weight 0; propose (same key) weighs its choices by score. */
static inline void gl_generate_laws(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                                    const genc_trace *t, uint64_t seed) {
  genc_key key = genc_key_from_seed(seed);
  double score = t_item(ctx, genc_trace_score(t));
  const genc_choicemap *cm = genc_trace_choices(ctx, t);
  T_OK(ctx, cm);
  genc_array *w = NULL;
  genc_trace *g = genc_gf_generate(ctx, gf, args, cm, genc_key_from_seed(seed + 1), 0, &w);
  T_OK(ctx, g);
  T_CLOSE(t_item(ctx, w), score, 1e-12);
  assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, g), cm));
  genc_trace_release(g);
  genc_array *a = genc_gf_assess(ctx, gf, args, cm, NULL);
  T_OK(ctx, a);
  T_CLOSE(t_item(ctx, a), score, 1e-12);
  g = genc_gf_generate(ctx, gf, args, NULL, key, 0, &w);
  T_OK(ctx, g);
  assert_true(t_item(ctx, w) == 0.0);
  genc_trace_release(g);
  genc_array *pw = NULL;
  genc_choicemap *pc = genc_gf_propose(ctx, gf, args, key, 0, &pw, NULL);
  T_OK(ctx, pc);
  T_CLOSE(t_item(ctx, pw), score, 1e-12);
  genc_choicemap_free(pc);
}

/* update with nothing new: w = 0 and the same trace on the fast path, the same
 * choices and score through the table; update constraining every choice of
 * another simulation: w = new score - old score. */
static inline void gl_update_laws(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                                  genc_trace *t, uint64_t seed) {
  genc_key key = genc_key_from_seed(seed);
  double score = t_item(ctx, genc_trace_score(t));
  const genc_choicemap *cm = genc_trace_choices(ctx, t);
  genc_array *w = NULL;
  genc_choicemap *disc = NULL;
  genc_trace *u = genc_gf_update(ctx, t, NULL, NULL, NULL, key, &w, &disc);
  T_OK(ctx, u);
  assert_ptr_equal(u, t);
  assert_true(t_item(ctx, w) == 0.0);
  assert_true(genc_choicemap_is_empty(disc));
  genc_choicemap_free(disc);
  genc_trace_release(u);
  genc_choicemap *empty = genc_choicemap_new(ctx);
  u = genc_gf_update(ctx, t, GL_SAME_ARGS(args), NULL, empty, key, &w, NULL);
  T_OK(ctx, u);
  T_CLOSE(t_item(ctx, w), 0.0, 1e-12);
  assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, u), cm));
  T_CLOSE(t_item(ctx, genc_trace_score(u)), score, 1e-12);
  genc_trace_release(u);
  genc_choicemap_free(empty);
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
}

/* Every law for one single trace at one seed: generate/assess/propose, update,
 * regenerate(none) = 0 (fast path and through the table), the regenerate law
 * for @p sel (a selection of some choices; NULL: skip it), project(all) =
 * score and project(none) = 0. */
static inline void gl_laws(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                           const genc_selection *sel, uint64_t seed) {
  int64_t mark = genc_scope_begin(ctx);
  genc_key key = genc_key_from_seed(seed);
  genc_trace *t = genc_gf_simulate(ctx, gf, args, key, 0);
  T_OK(ctx, t);
  double score = t_item(ctx, genc_trace_score(t));
  const genc_choicemap *cm = genc_trace_choices(ctx, t);
  T_OK(ctx, cm);
  gl_generate_laws(ctx, gf, args, t, seed);
  gl_update_laws(ctx, gf, args, t, seed);
  genc_array *w = NULL;
  genc_trace *r = genc_gf_regenerate(ctx, t, NULL, NULL, genc_selection_none(), key, &w);
  T_OK(ctx, r);
  assert_true(t_item(ctx, w) == 0.0);
  genc_trace_release(r);
  r = genc_gf_regenerate(ctx, t, GL_SAME_ARGS(args), NULL, genc_selection_none(), key, &w);
  T_OK(ctx, r);
  T_CLOSE(t_item(ctx, w), 0.0, 1e-12);
  assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, r), cm));
  genc_trace_release(r);
  if (sel) gl_regen_law(ctx, t, sel, seed + 3);
  T_CLOSE(t_item(ctx, genc_gf_project(ctx, t, genc_selection_all())), score, 1e-12);
  assert_true(t_item(ctx, genc_gf_project(ctx, t, genc_selection_none())) == 0.0);
  genc_trace_release(t);
  genc_scope_end(ctx, mark);
}

/* Particle i of the batched trace @p bt equals the single simulate on
 * particle i's arguments with genc_key_particle(key, i); particle i of @p r
 * (bt regenerated at all with @p k2, weights @p rw) equals the single
 * regenerate of that simulation with genc_key_particle(k2, i). */
static inline void gl_batched_particles(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                                        genc_trace *bt, genc_key key, genc_trace *r, genc_array *rw,
                                        genc_key k2) {
  int n = genc_trace_nparticles(bt);
  for (int i = 0; i < n; i++) {
    genc_array *pa[GENC_GF_MAX_ARGS] = {0};
    gl_part_args(ctx, genc_gf_nargs(gf), args, i, pa);
    genc_trace *s = genc_gf_simulate(ctx, gf, pa, genc_key_particle(key, (uint32_t)i), 0);
    genc_trace *p = genc_trace_particle(ctx, bt, i);
    T_OK(ctx, s);
    T_OK(ctx, p);
    assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, s), genc_trace_choices(ctx, p)));
    T_CLOSE(t_item(ctx, genc_trace_score(p)), t_item(ctx, genc_trace_score(s)), 1e-12);
    T_CLOSE(t_at(ctx, genc_trace_score(bt), i), t_item(ctx, genc_trace_score(s)), 1e-12);
    genc_array *ws = NULL;
    genc_trace *rs = genc_gf_regenerate(ctx, s, NULL, NULL, genc_selection_all(),
                                        genc_key_particle(k2, (uint32_t)i), &ws);
    genc_trace *rp = genc_trace_particle(ctx, r, i);
    T_OK(ctx, rs);
    T_OK(ctx, rp);
    assert_true(
        genc_choicemap_equal(ctx, genc_trace_choices(ctx, rs), genc_trace_choices(ctx, rp)));
    T_CLOSE(t_at(ctx, rw, i), t_item(ctx, ws), 1e-12);
    genc_trace *trs[4] = {s, p, rs, rp};
    for (int j = 0; j < 4; j++)
      genc_trace_release(trs[j]);
  }
}

/* With shared arguments particle 0's choices fully constrain every particle:
 * a batched generate with them weighs each particle by particle 0's score. */
static inline void gl_batched_generate_p0(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                                          genc_trace *bt, genc_key key) {
  int n = genc_trace_nparticles(bt);
  genc_trace *p0 = genc_trace_particle(ctx, bt, 0);
  T_OK(ctx, p0);
  genc_array *w = NULL;
  genc_trace *g = genc_gf_generate(ctx, gf, args, genc_trace_choices(ctx, p0), key, n, &w);
  T_OK(ctx, g);
  for (int i = 0; i < n; i++)
    T_CLOSE(t_at(ctx, w, i), t_item(ctx, genc_trace_score(p0)), 1e-12);
  genc_trace_release(g);
  genc_trace_release(p0);
}

/* generate and assess with the batched trace's own (union) choice map give
 * its score per particle; update with no change (through the table) is 0 per
 * particle; project(all) = score. */
static inline void gl_batched_own_choices(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                                          genc_trace *bt, genc_key key, uint64_t seed) {
  int n = genc_trace_nparticles(bt);
  const genc_choicemap *cm = genc_trace_choices(ctx, bt);
  T_OK(ctx, cm);
  genc_array *w = NULL;
  genc_trace *g = genc_gf_generate(ctx, gf, args, cm, genc_key_from_seed(seed + 5), n, &w);
  T_OK(ctx, g);
  genc_array *a = genc_gf_assess(ctx, gf, args, cm, NULL);
  T_OK(ctx, a);
  genc_choicemap *empty = genc_choicemap_new(ctx);
  genc_array *uw = NULL;
  genc_trace *u = genc_gf_update(ctx, bt, GL_SAME_ARGS(args), NULL, empty, key, &uw, NULL);
  T_OK(ctx, u);
  for (int i = 0; i < n; i++) {
    double s = t_at(ctx, genc_trace_score(bt), i);
    T_CLOSE(t_at(ctx, w, i), s, 1e-12);
    T_CLOSE(t_at(ctx, a, i), s, 1e-12);
    T_CLOSE(t_at(ctx, genc_trace_score(g), i), s, 1e-12);
    T_CLOSE(t_at(ctx, uw, i), 0.0, 1e-12);
  }
  T_CLOSE(t_at(ctx, genc_gf_project(ctx, bt, genc_selection_all()), 1),
          t_at(ctx, genc_trace_score(bt), 1), 1e-12);
  genc_choicemap_free(empty);
  genc_trace_release(u);
  genc_trace_release(g);
}

/* Resampling: take particles [n-1, n-1, 0] keeps their scores. */
static inline void gl_batched_take(genc_ctx *ctx, genc_trace *bt) {
  int32_t last = genc_trace_nparticles(bt) - 1, idx[3] = {last, last, 0};
  int64_t three = 3;
  genc_trace *tk = genc_trace_take(ctx, bt, genc_array_from(ctx, GENC_I32, 1, &three, 0, idx));
  T_OK(ctx, tk);
  assert_int_equal(genc_trace_nparticles(tk), 3);
  T_CLOSE(t_at(ctx, genc_trace_score(tk), 1), t_at(ctx, genc_trace_score(bt), last), 0);
  T_CLOSE(t_at(ctx, genc_trace_score(tk), 2), t_at(ctx, genc_trace_score(bt), 0), 0);
  genc_trace_release(tk);
}

/* Batched (n particles) against single runs: simulate and regenerate(all),
 * the latter both on the fast path and through the table, equal the single
 * runs with genc_key_particle; generate/assess/update/project laws per
 * particle; take; and, when no argument is batched, generate constrained by
 * particle 0's choices. */
static inline void gl_batched(genc_ctx *ctx, genc_gf *gf, genc_array *const *args, int n,
                              uint64_t seed) {
  int64_t mark = genc_scope_begin(ctx);
  genc_key key = genc_key_from_seed(seed), k2 = genc_key_from_seed(seed + 3);
  genc_trace *bt = genc_gf_simulate(ctx, gf, args, key, n);
  T_OK(ctx, bt);
  assert_int_equal(genc_trace_nparticles(bt), n);
  assert_int_equal(genc_array_nparticles(genc_trace_score(bt)), n);
  genc_array *const *via[2] = {NULL, GL_SAME_ARGS(args)};
  for (int v = 0; v < 2; v++) {
    genc_array *rw = NULL;
    genc_trace *r = genc_gf_regenerate(ctx, bt, via[v], NULL, genc_selection_all(), k2, &rw);
    T_OK(ctx, r);
    gl_batched_particles(ctx, gf, args, bt, key, r, rw, k2);
    genc_trace_release(r);
  }
  gl_batched_own_choices(ctx, gf, args, bt, key, seed);
  bool shared = true;
  for (int a = 0; a < genc_gf_nargs(gf); a++)
    shared = shared && !genc_array_batched(args[a]);
  if (shared) gl_batched_generate_p0(ctx, gf, args, bt, key);
  gl_batched_take(ctx, bt);
  genc_trace_release(bt);
  genc_scope_end(ctx, mark);
}

/* A batched update from @p a0 to @p a1 with @p cons equals, per particle,
 * the single update of particle i with genc_key_particle(key, i): choices,
 * weight and score. */
static inline void gl_batched_update(genc_ctx *ctx, genc_gf *gf, genc_array *const *a0,
                                     genc_array *const *a1, const genc_choicemap *cons, int n,
                                     uint64_t seed) {
  int64_t mark = genc_scope_begin(ctx);
  int na = genc_gf_nargs(gf);
  genc_key key = genc_key_from_seed(seed + 1);
  genc_trace *bt = genc_gf_simulate(ctx, gf, a0, genc_key_from_seed(seed), n);
  T_OK(ctx, bt);
  genc_array *w = NULL;
  genc_trace *u = genc_gf_update(ctx, bt, a1, NULL, cons, key, &w, NULL);
  T_OK(ctx, u);
  for (int i = 0; i < n; i++) {
    genc_trace *p = genc_trace_particle(ctx, bt, i);
    genc_array *pa[GENC_GF_MAX_ARGS] = {0}, *ws = NULL;
    gl_part_args(ctx, na, a1, i, pa);
    genc_trace *us = genc_gf_update(ctx, p, pa, NULL, cons, genc_key_particle(key, i), &ws, NULL);
    T_OK(ctx, us);
    genc_trace *up = genc_trace_particle(ctx, u, i);
    T_OK(ctx, up);
    assert_true(
        genc_choicemap_equal(ctx, genc_trace_choices(ctx, us), genc_trace_choices(ctx, up)));
    T_CLOSE(t_at(ctx, w, i), t_item(ctx, ws), 1e-12);
    T_CLOSE(t_at(ctx, genc_trace_score(u), i), t_item(ctx, genc_trace_score(us)), 1e-12);
    genc_trace_release(p);
    genc_trace_release(us);
    genc_trace_release(up);
  }
  genc_trace_release(u);
  genc_trace_release(bt);
  genc_scope_end(ctx, mark);
}

#endif
