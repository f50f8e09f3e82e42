/* GFI law checks shared by the tests of Switch, Mask, Mix, Recurse,
 * Contramap and Dimap (the approach of test_gfi_laws.c, for functions with
 * arguments, batched arguments included). Values are compared to 1e-12
 * relative: both sides sum the same log densities, possibly in another order. */
#ifndef GENC_TEST_COMB_LAWS_H
#define GENC_TEST_COMB_LAWS_H

#include "testutil.h"

/* Particle i of every argument (shared ones as they are). */
static inline void cl_part_args(genc_ctx *ctx, int nargs, genc_array *const *args, int64_t i,
                                genc_array **out) {
  for (int a = 0; a < nargs; a++)
    out[a] = genc_array_batched(args[a]) ? genc_particle_get(ctx, args[a], i) : args[a];
}

/* regenerate(t, s) with the same arguments: w = (s' - project(t', s)) - (s - project(t, s)),
 * the change of the unselected choices' density (address sets unchanged). */
static inline void cl_regen_law(genc_ctx *ctx, genc_trace *t, const genc_selection *sel,
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

/* Every law for one single trace at one seed; @p sel is a selection of some
 * choices for the regenerate law (NULL: skip it). */
static inline void cl_laws(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                           const genc_selection *sel, uint64_t seed) {
  int64_t mark = genc_scope_begin(ctx);
  genc_key key = genc_key_from_seed(seed);
  genc_trace *t = genc_gf_simulate(ctx, gf, args, key, 0);
  T_OK(ctx, t);
  double score = t_item(ctx, genc_trace_score(t));
  const genc_choicemap *cm = genc_trace_choices(ctx, t);
  T_OK(ctx, cm);
  /* generate fully constrained = assess = score, same choices */
  genc_array *w = NULL;
  genc_trace *g = genc_gf_generate(ctx, gf, args, cm, genc_key_from_seed(seed + 1), 0, &w);
  T_OK(ctx, g);
  T_CLOSE(t_item(ctx, w), score, 1e-12);
  assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, g), cm));
  genc_trace_release(g);
  genc_array *a = genc_gf_assess(ctx, gf, args, cm, NULL);
  T_OK(ctx, a);
  T_CLOSE(t_item(ctx, a), score, 1e-12);
  /* update, same arguments, no constraints, through the table: w = 0 */
  genc_choicemap *empty = genc_choicemap_new(ctx);
  genc_trace *u = genc_gf_update(ctx, t, args, NULL, empty, key, &w, NULL);
  T_OK(ctx, u);
  T_CLOSE(t_item(ctx, w), 0.0, 1e-12);
  assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, u), cm));
  genc_trace_release(u);
  /* update weight law: constrain every choice of another simulation */
  genc_trace *t2 = genc_gf_simulate(ctx, gf, args, genc_key_from_seed(seed + 7), 0);
  T_OK(ctx, t2);
  genc_choicemap *disc = NULL;
  u = genc_gf_update(ctx, t, NULL, NULL, genc_trace_choices(ctx, t2), key, &w, &disc);
  T_OK(ctx, u);
  double s2 = t_item(ctx, genc_trace_score(t2));
  T_CLOSE(t_item(ctx, genc_trace_score(u)), s2, 1e-12);
  T_CLOSE(t_item(ctx, w), s2 - score, 1e-12);
  genc_choicemap_free(disc);
  genc_trace_release(u);
  genc_trace_release(t2);
  /* regenerate: none through the table gives w = 0; the law for sel */
  genc_trace *r = genc_gf_regenerate(ctx, t, args, NULL, genc_selection_none(), key, &w);
  T_OK(ctx, r);
  T_CLOSE(t_item(ctx, w), 0.0, 1e-12);
  genc_trace_release(r);
  if (sel) cl_regen_law(ctx, t, sel, seed + 3);
  /* project(all) = score, project(none) = 0 */
  T_CLOSE(t_item(ctx, genc_gf_project(ctx, t, genc_selection_all())), score, 1e-12);
  assert_true(t_item(ctx, genc_gf_project(ctx, t, genc_selection_none())) == 0.0);
  genc_choicemap_free(empty);
  genc_trace_release(t);
  genc_scope_end(ctx, mark);
}

/* Batched (n particles) against single runs: particle i of simulate and of
 * regenerate(all) equals the single run with genc_key_particle(key, i) on
 * particle i's arguments; generate and assess of the batched trace's own
 * (union) choice map give its score per particle; update with no change is 0. */
static inline void cl_batched(genc_ctx *ctx, genc_gf *gf, genc_array *const *args, int n,
                              uint64_t seed) {
  int64_t mark = genc_scope_begin(ctx);
  int na = genc_gf_nargs(gf);
  genc_key key = genc_key_from_seed(seed), k2 = genc_key_from_seed(seed + 3);
  genc_trace *bt = genc_gf_simulate(ctx, gf, args, key, n);
  T_OK(ctx, bt);
  genc_array *w = NULL, *rw = NULL;
  genc_trace *r = genc_gf_regenerate(ctx, bt, NULL, NULL, genc_selection_all(), k2, &rw);
  T_OK(ctx, r);
  for (int i = 0; i < n; i++) {
    genc_array *pa[GENC_GF_MAX_ARGS] = {0};
    cl_part_args(ctx, na, args, i, pa);
    genc_trace *s = genc_gf_simulate(ctx, gf, pa, genc_key_particle(key, (uint32_t)i), 0);
    genc_trace *p = genc_trace_particle(ctx, bt, i);
    T_OK(ctx, s);
    T_OK(ctx, p);
    assert_true(genc_choicemap_equal(ctx, genc_trace_choices(ctx, s), genc_trace_choices(ctx, p)));
    T_CLOSE(t_item(ctx, genc_trace_score(p)), t_item(ctx, genc_trace_score(s)), 1e-12);
    T_CLOSE(t_at(ctx, genc_trace_score(bt), i), t_item(ctx, genc_trace_score(s)), 1e-12);
    genc_array *ws = NULL;
    genc_trace *rs =
        genc_gf_regenerate(ctx, s, NULL, NULL, genc_selection_all(), genc_key_particle(k2, i), &ws);
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
  const genc_choicemap *cm = genc_trace_choices(ctx, bt);
  T_OK(ctx, cm);
  genc_trace *g = genc_gf_generate(ctx, gf, args, cm, genc_key_from_seed(seed + 5), n, &w);
  T_OK(ctx, g);
  genc_array *a = genc_gf_assess(ctx, gf, args, cm, NULL);
  T_OK(ctx, a);
  genc_choicemap *empty = genc_choicemap_new(ctx);
  genc_array *uw = NULL;
  genc_trace *u = genc_gf_update(ctx, bt, args, NULL, empty, key, &uw, NULL);
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
  genc_trace_release(r);
  genc_trace_release(bt);
  genc_scope_end(ctx, mark);
}

/* A batched update from @p a0 to @p a1 with @p cons equals, per particle,
 * the single update of particle i with genc_key_particle(key, i): choices,
 * weight and score. */
static inline void cl_batched_update(genc_ctx *ctx, genc_gf *gf, genc_array *const *a0,
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
    cl_part_args(ctx, na, a1, i, pa);
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
