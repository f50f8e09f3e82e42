/*
 * One NUTS transition as Stan's base_nuts::transition and build_tree (Stan
 * 2.26+), the only one in genc: genc__nuts_transition (genc_nuts) runs it to
 * its end evaluating the density itself; the lock-step samplers
 * (nuts_lockstep.c, nuts_kernel.c) evaluate the points of all their chains in
 * one batch between its steps. The trajectory doubles forwards or backwards
 * at random; within a subtree a point is kept by multinomial sampling on
 * exp(-H), a new subtree replaces the top-level sample with probability
 * min(1, w_new / w_old) (biased progressive sampling, which favours later
 * points); the generalized no-U-turn criterion (Betancourt 2017) is checked
 * with the sharp momenta M^-1 p at both ends of every merged tree, and,
 * since Stan 2.26, also across the two halves' adjacent ends (rho_init +
 * p_final_beg and rho_final + p_init_end), which catches U-turns that the
 * two halves hide from each other. A leapfrog whose energy error exceeds
 * 1000 is a divergence and stops the trajectory.
 *
 * build_tree's recursion is an explicit stack of frames, so the transition
 * can return to its caller at every leapfrog's model evaluation and resume
 * when the caller has evaluated the point. The scratch (s->top, s->levels,
 * allocated by genc__nuts_init) holds the top level's vectors and, per tree
 * level, the two halves' ends, rho and the second half's proposal.
 */
#include "infer/nuts_step.h"

#include <math.h>
#include <string.h>

#define MAX_DELTA_H 1000.0
#define TOP_VECS GENC__NUTS_TOP_VECS
#define LEVEL_VECS GENC__NUTS_LEVEL_VECS
#define NEED_EVAL 1

enum { PH_LOOP, PH_TREE };

static double log_sum_exp(double a, double b) {
  if (a == -INFINITY) return b;
  if (b == -INFINITY) return a;
  return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b));
}

static double dot(const double *a, const double *b, int n) {
  double s = 0;
  for (int i = 0; i < n; i++)
    s += a[i] * b[i];
  return s;
}

/* Stan's compute_criterion: both ends still move along rho. */
static int criterion(const double *sharp_minus, const double *sharp_plus, const double *rho,
                     int n) {
  return dot(sharp_plus, rho, n) > 0 && dot(sharp_minus, rho, n) > 0;
}

/* rho_ext = a + b, then the criterion on it. */
static int criterion_ext(const double *sharp_minus, const double *sharp_plus, const double *a,
                         const double *b, double *ext, int n) {
  for (int i = 0; i < n; i++)
    ext[i] = a[i] + b[i];
  return criterion(sharp_minus, sharp_plus, ext, n);
}

static void copy(double *dst, const double *src, int n) {
  memcpy(dst, src, (size_t)n * sizeof(double));
}

/* The top level's vectors, in their order in s->top. */
static genc__step_top carve(const genc__nuts *s) {
  double *v[TOP_VECS];
  for (int i = 0; i < TOP_VECS; i++)
    v[i] = s->top + (size_t)i * (size_t)s->dim;
  return (genc__step_top){v[0],  v[1],  v[2],  v[3],  v[4],  v[5],  v[6],  v[7],
                          v[8],  v[9],  v[10], v[11], v[12], v[13], v[14], v[15],
                          v[16], v[17], v[18], v[19], v[20], v[21]};
}

static double sharp(const genc__nuts *s, int i) {
  return s->dense ? s->v[i] : s->inv_metric[i] * s->p[i];
}

static genc__step_frame *push(genc__step *t, int depth) {
  genc__step_frame *f = &t->f[t->sp++];
  f->depth = depth;
  f->pc = 0;
  return f;
}

/* The child frame of f at depth - 1, writing its sample to the given point. */
static void push_child(genc__step *t, genc__step_frame *f, double *q, double *g, double *lp,
                       double *h, double *sb, double *se, double *rho, double *pb, double *pe,
                       double *lsw) {
  genc__step_frame *c = push(t, f->depth - 1);
  *c = (genc__step_frame){.depth = f->depth - 1,
                          .q_prop = q,
                          .g_prop = g,
                          .lp_prop = lp,
                          .h_prop = h,
                          .sharp_beg = sb,
                          .sharp_end = se,
                          .rho = rho,
                          .p_beg = pb,
                          .p_end = pe,
                          .lsw = lsw};
}

/* A leaf of build_tree after its leapfrog's evaluation: the kick, the
 * point's weight, a divergence, the leaf as a one-point tree. Returns 1
 * valid, 0 divergent. */
static int leaf_end(genc__step *t, genc__step_frame *f) {
  genc__nuts *s = t->s;
  int n = s->dim;
  genc__nuts_kick(s, t->sign * s->eps);
  s->n_leapfrog++;
  double h = genc__nuts_h(s);
  if (h - t->h0 > MAX_DELTA_H) s->divergent = 1;
  *f->lsw = log_sum_exp(*f->lsw, t->h0 - h);
  s->sum_metro += t->h0 - h > 0 ? 1 : exp(t->h0 - h);
  copy(f->q_prop, s->q, n), copy(f->g_prop, s->g, n);
  *f->lp_prop = s->lp, *f->h_prop = h;
  /* the frame's pointers in locals: gcc reloads them after every store otherwise */
  double *sb = f->sharp_beg, *se = f->sharp_end, *rho = f->rho, *pb = f->p_beg, *pe = f->p_end;
  for (int i = 0; i < n; i++) {
    sb[i] = se[i] = sharp(s, i);
    rho[i] += s->p[i];
    pb[i] = pe[i] = s->p[i];
  }
  return !s->divergent;
}

/* build_tree after its second half: the multinomial pick between the
 * halves and the three criteria (w: the level's scratch). */
static int merge(genc__step *t, genc__step_frame *f, double *w) {
  genc__nuts *s = t->s;
  int n = s->dim;
  double *sharp_init_end = w + n, *rho_init = w + 2 * n, *p_final_beg = w + 3 * n;
  double *sharp_final_beg = w + 4 * n, *rho_final = w + 5 * n, *ext = w + 6 * n;
  double *p_init_end = w;
  double lsw_sub = log_sum_exp(f->lsw_init, f->lsw_final);
  *f->lsw = log_sum_exp(*f->lsw, lsw_sub);
  if (f->lsw_final > lsw_sub || genc_host_rng_uniform(&s->rng) < exp(f->lsw_final - lsw_sub)) {
    copy(f->q_prop, w + 7 * n, n), copy(f->g_prop, w + 8 * n, n);
    *f->lp_prop = f->lp_final, *f->h_prop = f->h_final;
  }
  double *rho = f->rho;
  for (int i = 0; i < n; i++) {
    ext[i] = rho_init[i] + rho_final[i];
    rho[i] += ext[i];
  }
  int ok = criterion(f->sharp_beg, f->sharp_end, ext, n);
  ok = ok && criterion_ext(f->sharp_beg, sharp_final_beg, rho_init, p_final_beg, ext, n);
  ok = ok && criterion_ext(sharp_init_end, f->sharp_end, rho_final, p_init_end, ext, n);
  return ok;
}

/* Advance the top frame; returns NEED_EVAL, or 0 after a step that pushed or
 * popped a frame. */
static int frame_step(genc__step *t) {
  genc__step_frame *f = &t->f[t->sp - 1];
  genc__nuts *s = t->s;
  int n = s->dim, v = t->ret;
  if (f->depth == 0) {
    if (f->pc == 0) {
      genc__nuts_drift(s, t->sign * s->eps);
      f->pc = 1;
      return NEED_EVAL;
    }
    t->ret = leaf_end(t, f);
    t->sp--;
    return 0;
  }
  double *w = s->levels + (size_t)f->depth * LEVEL_VECS * (size_t)n;
  if (f->pc == 0) {
    memset(w + 2 * n, 0, (size_t)n * sizeof(double)); /* rho_init */
    memset(w + 5 * n, 0, (size_t)n * sizeof(double)); /* rho_final */
    f->lsw_init = f->lsw_final = -INFINITY;
    f->pc = 1;
    push_child(t, f, f->q_prop, f->g_prop, f->lp_prop, f->h_prop, f->sharp_beg, w + n, w + 2 * n,
               f->p_beg, w, &f->lsw_init);
  } else if (v <= 0) {
    t->sp--; /* t->ret stays v */
  } else if (f->pc == 1) {
    f->pc = 2;
    push_child(t, f, w + 7 * n, w + 8 * n, &f->lp_final, &f->h_final, w + 4 * n, f->sharp_end,
               w + 5 * n, w + 3 * n, f->p_end, &f->lsw_final);
  } else {
    t->ret = merge(t, f, w);
    t->sp--;
  }
  return 0;
}

static void z_save(const genc__nuts *s, double *q, double *p, double *g, double *lp) {
  copy(q, s->q, s->dim), copy(p, s->p, s->dim), copy(g, s->g, s->dim);
  *lp = s->lp;
}

static void z_load(genc__nuts *s, const double *q, const double *p, const double *g, double lp) {
  copy(s->q, q, s->dim), copy(s->p, p, s->dim), copy(s->g, g, s->dim);
  s->lp = lp;
}

void genc__step_start(genc__step *t, genc__nuts *s) {
  int n = s->dim;
  t->s = s;
  t->k = carve(s);
  const genc__step_top *k = &t->k;
  genc__nuts_sample_p(s);
  t->h0 = genc__nuts_h(s), t->lsw = 0;
  z_save(s, k->fq, k->fp, k->fg, &t->fwd_lp); /* both ends and the sample: z */
  z_save(s, k->bq, k->bp, k->bg, &t->bck_lp);
  copy(k->sq, s->q, n), copy(k->sg, s->g, n);
  t->s_lp = s->lp, t->s_h = t->h0;
  for (int i = 0; i < n; i++) {
    double sh = sharp(s, i);
    k->p_ff[i] = k->p_fb[i] = k->p_bf[i] = k->p_bb[i] = k->rho[i] = s->p[i];
    k->s_ff[i] = k->s_fb[i] = k->s_bf[i] = k->s_bb[i] = sh;
  }
  s->n_leapfrog = 0, s->sum_metro = 0, s->depth = 0, s->divergent = 0;
  t->phase = PH_LOOP;
  t->sp = 0;
}

/* Extend the trajectory by a subtree of 2^depth steps in a random direction
 * (the old tree becomes the other part, its inner end the old outer end):
 * the direction and the root frame of build_tree. */
static void extend(genc__step *t) {
  genc__nuts *s = t->s;
  const genc__step_top *k = &t->k;
  size_t b = (size_t)s->dim * sizeof(double);
  t->lsw_sub = -INFINITY;
  memset(k->rho_f, 0, b);
  memset(k->rho_b, 0, b);
  genc__step_frame *f = push(t, s->depth);
  *f = (genc__step_frame){.depth = s->depth,
                          .q_prop = k->zq,
                          .g_prop = k->zg,
                          .lp_prop = &t->z_lp,
                          .h_prop = &t->z_h,
                          .lsw = &t->lsw_sub};
  if (genc_host_rng_uniform(&s->rng) > 0.5) {
    t->sign = 1;
    z_load(s, k->fq, k->fp, k->fg, t->fwd_lp);
    memcpy(k->rho_b, k->rho, b), memcpy(k->p_bf, k->p_ff, b), memcpy(k->s_bf, k->s_ff, b);
    f->sharp_beg = k->s_fb, f->sharp_end = k->s_ff, f->rho = k->rho_f;
    f->p_beg = k->p_fb, f->p_end = k->p_ff;
  } else {
    t->sign = -1;
    z_load(s, k->bq, k->bp, k->bg, t->bck_lp);
    memcpy(k->rho_f, k->rho, b), memcpy(k->p_fb, k->p_bb, b), memcpy(k->s_fb, k->s_bb, b);
    f->sharp_beg = k->s_bf, f->sharp_end = k->s_bb, f->rho = k->rho_b;
    f->p_beg = k->p_bf, f->p_end = k->p_bb;
  }
}

/* After a subtree: the new end saved, biased progressive sampling, the
 * criteria over the whole tree; returns 1 to go on doubling. */
static int subtree_done(genc__step *t) {
  genc__nuts *s = t->s;
  int n = s->dim;
  const genc__step_top *k = &t->k;
  if (t->sign > 0)
    z_save(s, k->fq, k->fp, k->fg, &t->fwd_lp);
  else
    z_save(s, k->bq, k->bp, k->bg, &t->bck_lp);
  if (!t->ret) return 0;
  s->depth++;
  if (t->lsw_sub > t->lsw || genc_host_rng_uniform(&s->rng) < exp(t->lsw_sub - t->lsw)) {
    copy(k->sq, k->zq, n), copy(k->sg, k->zg, n);
    t->s_lp = t->z_lp, t->s_h = t->z_h;
  }
  t->lsw = log_sum_exp(t->lsw, t->lsw_sub);
  for (int i = 0; i < n; i++)
    k->rho[i] = k->rho_b[i] + k->rho_f[i];
  int ok = criterion(k->s_bb, k->s_ff, k->rho, n);
  ok = ok && criterion_ext(k->s_bb, k->s_fb, k->rho_b, k->p_fb, k->ext, n);
  ok = ok && criterion_ext(k->s_bf, k->s_ff, k->rho_f, k->p_bf, k->ext, n);
  return ok;
}

static void finish(genc__step *t) {
  genc__nuts *s = t->s;
  const genc__step_top *k = &t->k;
  s->accept_stat = s->n_leapfrog ? s->sum_metro / (double)s->n_leapfrog : 0;
  copy(s->q, k->sq, s->dim), copy(s->g, k->sg, s->dim);
  s->lp = t->s_lp;
  s->energy = t->s_h;
}

int genc__step_run(genc__step *t) {
  for (;;) {
    if (t->phase == PH_LOOP) {
      if (t->s->depth >= t->s->max_depth) break;
      extend(t);
      t->phase = PH_TREE;
    }
    while (t->sp > 0)
      if (frame_step(t) == NEED_EVAL) return 1;
    t->phase = PH_LOOP;
    if (!subtree_done(t)) break;
  }
  finish(t);
  return 0;
}

genc_status genc__nuts_transition(genc__nuts *s) {
  genc__step t;
  genc__step_start(&t, s);
  while (genc__step_run(&t))
    if (genc__nuts_eval(s)) return s->err;
  return GENC_OK;
}
