/*
 * NUTS's transition (nuts.c, Stan's base_nuts) turned inside out: the
 * recursion of build_tree is an explicit stack of frames, so the transition
 * can return to its caller at every leapfrog's model evaluation and resume
 * when the caller has evaluated the point. Every floating-point operation and
 * random draw is the one nuts.c makes, in the same order (the comments name
 * nuts.c's function each piece mirrors): the lock-step chains of
 * nuts_lockstep.c are then the single-chain sampler's chains bit for bit.
 * The scratch (s->top, s->levels) is carved as nuts.c carves it.
 */
#include "infer/nuts_step.h"

#include <math.h>
#include <string.h>

#define MAX_DELTA_H 1000.0
#define TOP_VECS 22
#define LEVEL_VECS 9
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

static int criterion(const double *sharp_minus, const double *sharp_plus, const double *rho,
                     int n) {
  return dot(sharp_plus, rho, n) > 0 && dot(sharp_minus, rho, n) > 0;
}

static int criterion_ext(const double *sharp_minus, const double *sharp_plus, const double *a,
                         const double *b, double *ext, int n) {
  for (int i = 0; i < n; i++)
    ext[i] = a[i] + b[i];
  return criterion(sharp_minus, sharp_plus, ext, n);
}

static void copy(double *dst, const double *src, int n) {
  memcpy(dst, src, (size_t)n * sizeof(double));
}

/* The top level's vectors in nuts.c's order (top_carve). */
typedef struct top {
  double *p_ff, *s_ff, *p_fb, *s_fb, *p_bf, *s_bf, *p_bb, *s_bb;
  double *rho, *rho_f, *rho_b, *ext;
  double *fq, *fp, *fg, *bq, *bp, *bg; /* the forward and backward ends */
  double *sq, *sg, *zq, *zg;           /* the sample and the new subtree's proposal */
} top;

static top carve(const genc__nuts *s) {
  double *v[TOP_VECS];
  for (int i = 0; i < TOP_VECS; i++)
    v[i] = s->top + (size_t)i * (size_t)s->dim;
  return (top){v[0],  v[1],  v[2],  v[3],  v[4],  v[5],  v[6],  v[7],  v[8],  v[9],  v[10],
               v[11], v[12], v[13], v[14], v[15], v[16], v[17], v[18], v[19], v[20], v[21]};
}

/* The first half of genc__nuts_leapfrog: half kick and drift. */
static void drift(genc__nuts *s, double eps) {
  int n = s->dim;
  if (s->dense) {
    for (int i = 0; i < n; i++)
      s->p[i] += 0.5 * eps * s->g[i];
    genc__nuts_velocity(s, s->p, s->v);
    for (int i = 0; i < n; i++)
      s->q[i] += eps * s->v[i];
  } else
    for (int i = 0; i < n; i++) {
      s->p[i] += 0.5 * eps * s->g[i];
      s->q[i] += eps * s->inv_metric[i] * s->p[i];
    }
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

/* The rest of nuts.c's leaf after the evaluation. */
static int leaf_end(genc__step *t, genc__step_frame *f) {
  genc__nuts *s = t->s;
  int n = s->dim;
  double eps = t->sign * s->eps;
  for (int i = 0; i < n; i++)
    s->p[i] += 0.5 * eps * s->g[i];
  s->n_leapfrog++;
  double h = genc__nuts_h(s);
  if (h - t->h0 > MAX_DELTA_H) s->divergent = 1;
  *f->lsw = log_sum_exp(*f->lsw, t->h0 - h);
  s->sum_metro += t->h0 - h > 0 ? 1 : exp(t->h0 - h);
  copy(f->q_prop, s->q, n), copy(f->g_prop, s->g, n);
  *f->lp_prop = s->lp, *f->h_prop = h;
  for (int i = 0; i < n; i++) {
    f->sharp_beg[i] = f->sharp_end[i] = sharp(s, i);
    f->rho[i] += s->p[i];
    f->p_beg[i] = f->p_end[i] = s->p[i];
  }
  return !s->divergent;
}

/* nuts.c's build_tree after its second half: the multinomial pick between
 * the halves and the three criteria. */
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
  for (int i = 0; i < n; i++) {
    ext[i] = rho_init[i] + rho_final[i];
    f->rho[i] += ext[i];
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
      drift(s, t->sign * s->eps);
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
  top k = carve(s);
  genc__nuts_sample_p(s);
  t->h0 = genc__nuts_h(s), t->lsw = 0;
  z_save(s, k.fq, k.fp, k.fg, &t->fwd_lp); /* nuts.c's top_start */
  z_save(s, k.bq, k.bp, k.bg, &t->bck_lp);
  copy(k.sq, s->q, n), copy(k.sg, s->g, n);
  t->s_lp = s->lp, t->s_h = t->h0;
  for (int i = 0; i < n; i++) {
    double sh = sharp(s, i);
    k.p_ff[i] = k.p_fb[i] = k.p_bf[i] = k.p_bb[i] = k.rho[i] = s->p[i];
    k.s_ff[i] = k.s_fb[i] = k.s_bf[i] = k.s_bb[i] = sh;
  }
  s->n_leapfrog = 0, s->sum_metro = 0, s->depth = 0, s->divergent = 0;
  t->phase = PH_LOOP;
  t->sp = 0;
}

/* nuts.c's extend up to its build_tree call: the direction and the root frame. */
static void extend(genc__step *t) {
  genc__nuts *s = t->s;
  top k = carve(s);
  size_t b = (size_t)s->dim * sizeof(double);
  t->lsw_sub = -INFINITY;
  memset(k.rho_f, 0, b);
  memset(k.rho_b, 0, b);
  genc__step_frame *f = push(t, s->depth);
  *f = (genc__step_frame){.depth = s->depth,
                          .q_prop = k.zq,
                          .g_prop = k.zg,
                          .lp_prop = &t->z_lp,
                          .h_prop = &t->z_h,
                          .lsw = &t->lsw_sub};
  if (genc_host_rng_uniform(&s->rng) > 0.5) {
    t->sign = 1;
    z_load(s, k.fq, k.fp, k.fg, t->fwd_lp);
    memcpy(k.rho_b, k.rho, b), memcpy(k.p_bf, k.p_ff, b), memcpy(k.s_bf, k.s_ff, b);
    f->sharp_beg = k.s_fb, f->sharp_end = k.s_ff, f->rho = k.rho_f;
    f->p_beg = k.p_fb, f->p_end = k.p_ff;
  } else {
    t->sign = -1;
    z_load(s, k.bq, k.bp, k.bg, t->bck_lp);
    memcpy(k.rho_f, k.rho, b), memcpy(k.p_fb, k.p_bb, b), memcpy(k.s_fb, k.s_bb, b);
    f->sharp_beg = k.s_bf, f->sharp_end = k.s_bb, f->rho = k.rho_b;
    f->p_beg = k.p_bf, f->p_end = k.p_bb;
  }
}

/* nuts.c's transition loop after a subtree: returns 1 to go on doubling. */
static int subtree_done(genc__step *t) {
  genc__nuts *s = t->s;
  int n = s->dim;
  top k = carve(s);
  if (t->sign > 0)
    z_save(s, k.fq, k.fp, k.fg, &t->fwd_lp);
  else
    z_save(s, k.bq, k.bp, k.bg, &t->bck_lp);
  if (!t->ret) return 0;
  s->depth++;
  if (t->lsw_sub > t->lsw || genc_host_rng_uniform(&s->rng) < exp(t->lsw_sub - t->lsw)) {
    copy(k.sq, k.zq, n), copy(k.sg, k.zg, n);
    t->s_lp = t->z_lp, t->s_h = t->z_h;
  }
  t->lsw = log_sum_exp(t->lsw, t->lsw_sub);
  for (int i = 0; i < n; i++)
    k.rho[i] = k.rho_b[i] + k.rho_f[i];
  int ok = criterion(k.s_bb, k.s_ff, k.rho, n);
  ok = ok && criterion_ext(k.s_bb, k.s_fb, k.rho_b, k.p_fb, k.ext, n);
  ok = ok && criterion_ext(k.s_bf, k.s_ff, k.rho_f, k.p_bf, k.ext, n);
  return ok;
}

static void finish(genc__step *t) {
  genc__nuts *s = t->s;
  top k = carve(s);
  s->accept_stat = s->n_leapfrog ? s->sum_metro / (double)s->n_leapfrog : 0;
  copy(s->q, k.sq, s->dim), copy(s->g, k.sg, s->dim);
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
