/*
 * One NUTS transition as Stan's base_nuts::transition and build_tree (Stan
 * 2.26+): the trajectory doubles forwards or backwards at random; within a
 * subtree a point is kept by multinomial sampling on exp(-H), a new subtree
 * replaces the top-level sample with probability min(1, w_new / w_old)
 * (biased progressive sampling, which favours later points); the generalized
 * no-U-turn criterion (Betancourt 2017) is checked with the sharp momenta
 * M^-1 p at both ends of every merged tree, and, since Stan 2.26, also
 * across the two halves' adjacent ends (rho_init + p_final_beg and
 * rho_final + p_init_end), which catches U-turns that the two halves hide
 * from each other. A leapfrog whose energy error exceeds 1000 is a
 * divergence and stops the trajectory. A dense metric (dense_e) differs only
 * in M^-1 p (a matrix-vector product) and in the momentum draw (a triangular
 * solve with the Cholesky factor of M^-1, from LAPACK's dpotrf).
 */
#include "infer/nuts.h"

#include <lapack.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DELTA_H 1000.0
#define TOP_VECS 22
#define LEVEL_VECS 9

genc_status genc__nuts_init(genc__nuts *s) {
  size_t d = (size_t)s->dim;
  size_t dense = s->dense ? d * d + d : 0; /* the factor L and v */
  s->q =
      calloc(d * (3 + TOP_VECS + LEVEL_VECS * ((size_t)s->max_depth + 1)) + dense, sizeof(double));
  if (!s->q)
    return genc_ctx_fail(s->ctx, GENC_ERR_NOMEM, "genc_nuts: out of memory (dim %d)", s->dim);
  s->p = s->q + d;
  s->g = s->p + d;
  s->top = s->g + d;
  s->levels = s->top + TOP_VECS * d;
  if (s->dense) {
    s->chol = s->levels + LEVEL_VECS * ((size_t)s->max_depth + 1) * d;
    s->v = s->chol + d * d;
  }
  return GENC_OK;
}

void genc__nuts_free(genc__nuts *s) {
  free(s->q);
  s->q = s->chol = s->v = NULL;
}

genc_status genc__nuts_check_metric(genc_ctx *ctx, const char *who, int dim, int dense,
                                    const double *m) {
  for (int i = 0; i < dim; i++)
    for (int j = 0; j < (dense ? dim : 1); j++) {
      double a = dense ? m[i * dim + j] : m[i], b = dense ? m[j * dim + i] : a;
      /* symmetric to rounding: within 1e-12 of the larger magnitude */
      const char *bad = !isfinite(a)                                   ? "not finite"
                        : (i == j || !dense) && !(a > 0)               ? "not > 0"
                        : fabs(a - b) > 1e-12 * fmax(fabs(a), fabs(b)) ? "not symmetric"
                                                                       : NULL;
      if (bad)
        return dense ? genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: dense inv_metric[%d][%d] = %g is %s",
                                     who, i, j, a, bad)
                     : genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: inv_metric[%d] = %g is %s", who, i, a,
                                     bad);
    }
  return GENC_OK;
}

/* Cholesky through LAPACK's Fortran interface, as src/backend/cpu does: the
 * row-major symmetric matrix read column-major is itself, and its 'U' factor
 * (U'U = A column-major) read row-major is the lower L with L L' = A. */
genc_status genc__nuts_set_metric(genc__nuts *s, const char *who) {
  if (!s->dense) return GENC_OK;
  int n = s->dim, info = 0;
  memcpy(s->chol, s->inv_metric, (size_t)n * (size_t)n * sizeof(double));
  lapack_int ln = n, lda = n, linfo = 0;
  LAPACK_dpotrf("U", &ln, s->chol, &lda, &linfo);
  info = (int)linfo;
  for (int i = 0; i < n && !info; i++)
    if (!(s->chol[i * n + i] > 0 && isfinite(s->chol[i * n + i]))) info = i + 1;
  if (info)
    return genc_ctx_fail(s->ctx, GENC_ERR_ARG,
                         "%s: the dense inverse metric is not positive definite (Cholesky "
                         "failed at row %d)",
                         who, info - 1);
  return GENC_OK;
}

/* v = M^-1 p (dense), a plain row-major loop rather than cblas_dsymv: at
 * dim 10 OpenBLAS's threaded level-2 call took 92 us per leapfrog on a loaded
 * 2-core machine against 3.5 us for the whole leapfrog single-threaded, and
 * its summation order follows the thread count, so the same key would not
 * give the same chain everywhere. */
void genc__nuts_velocity(const genc__nuts *s, const double *p, double *v) {
  int n = s->dim;
  for (int i = 0; i < n; i++) {
    const double *row = s->inv_metric + (size_t)i * (size_t)n;
    double acc = 0;
    for (int j = 0; j < n; j++)
      acc += row[j] * p[j];
    v[i] = acc;
  }
}

/* Solve L' p = u in place by back substitution (L lower, row-major): the
 * dense momentum draw; a loop for the reason genc__nuts_velocity gives. */
static void solve_lt(const double *l, int n, double *p) {
  for (int i = n - 1; i >= 0; i--) {
    double acc = p[i];
    for (int k = i + 1; k < n; k++)
      acc -= l[(size_t)k * (size_t)n + (size_t)i] * p[k];
    p[i] = acc / l[(size_t)i * (size_t)n + (size_t)i];
  }
}

genc_status genc__nuts_eval(genc__nuts *s) {
  genc_status st = s->fn(s->user, s->q, s->dim, &s->lp, s->g);
  if (st) {
    s->err = st;
    if (!genc_ctx_status(s->ctx))
      genc_ctx_fail(s->ctx, st, "genc_nuts: the log density callback failed (status %d)", (int)st);
  }
  return st;
}

double genc__nuts_h(const genc__nuts *s) {
  double k = 0;
  if (s->dense) {
    genc__nuts_velocity(s, s->p, s->v);
    for (int i = 0; i < s->dim; i++)
      k += s->v[i] * s->p[i];
  } else
    for (int i = 0; i < s->dim; i++)
      k += s->inv_metric[i] * s->p[i] * s->p[i];
  double h = 0.5 * k - s->lp;
  return isnan(h) ? INFINITY : h;
}

void genc__nuts_sample_p(genc__nuts *s) {
  for (int i = 0; i < s->dim; i++)
    s->p[i] = s->dense ? genc_host_rng_normal(&s->rng)
                       : genc_host_rng_normal(&s->rng) / sqrt(s->inv_metric[i]);
  if (s->dense) solve_lt(s->chol, s->dim, s->p);
}

genc_status genc__nuts_leapfrog(genc__nuts *s, double eps) {
  if (s->dense) {
    for (int i = 0; i < s->dim; i++)
      s->p[i] += 0.5 * eps * s->g[i];
    genc__nuts_velocity(s, s->p, s->v);
    for (int i = 0; i < s->dim; i++)
      s->q[i] += eps * s->v[i];
  } else
    for (int i = 0; i < s->dim; i++) {
      s->p[i] += 0.5 * eps * s->g[i];
      s->q[i] += eps * s->inv_metric[i] * s->p[i];
    }
  genc_status st = genc__nuts_eval(s);
  for (int i = 0; i < s->dim; i++)
    s->p[i] += 0.5 * eps * s->g[i];
  return st;
}

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

/* A proposal: a point of the trajectory (position, gradient, lp, energy). */
typedef struct prop {
  double *q, *g;
  double lp, h;
} prop;

static void prop_take(prop *dst, const prop *src, int n) {
  memcpy(dst->q, src->q, (size_t)n * sizeof(double));
  memcpy(dst->g, src->g, (size_t)n * sizeof(double));
  dst->lp = src->lp;
  dst->h = src->h;
}

/* The leaf of build_tree: one leapfrog step and its weight. Returns 1 valid,
 * 0 divergent, -1 callback failure. */
static int leaf(genc__nuts *s, prop *z_prop, double *sharp_beg, double *sharp_end, double *rho,
                double *p_beg, double *p_end, double h0, double sign, double *lsw) {
  int n = s->dim;
  if (genc__nuts_leapfrog(s, sign * s->eps)) return -1;
  s->n_leapfrog++;
  double h = genc__nuts_h(s);
  if (h - h0 > MAX_DELTA_H) s->divergent = 1;
  *lsw = log_sum_exp(*lsw, h0 - h);
  s->sum_metro += h0 - h > 0 ? 1 : exp(h0 - h);
  memcpy(z_prop->q, s->q, (size_t)n * sizeof(double));
  memcpy(z_prop->g, s->g, (size_t)n * sizeof(double));
  z_prop->lp = s->lp;
  z_prop->h = h;
  for (int i = 0; i < n; i++) { /* s->v is M^-1 p: genc__nuts_h just ran */
    sharp_beg[i] = sharp_end[i] = s->dense ? s->v[i] : s->inv_metric[i] * s->p[i];
    rho[i] += s->p[i];
    p_beg[i] = p_end[i] = s->p[i];
  }
  return !s->divergent;
}

/* Stan's build_tree: a subtree of 2^depth leapfrogs from z in direction sign,
 * its sample in z_prop, its ends' momenta, rho accumulated, log weights
 * accumulated into lsw. Returns 1 valid, 0 invalid (U-turn or divergence),
 * -1 callback failure. */
static int build_tree(genc__nuts *s, int depth, prop *z_prop, double *sharp_beg, double *sharp_end,
                      double *rho, double *p_beg, double *p_end, double h0, double sign,
                      double *lsw) {
  if (depth == 0) return leaf(s, z_prop, sharp_beg, sharp_end, rho, p_beg, p_end, h0, sign, lsw);
  int n = s->dim;
  double *w = s->levels + (size_t)depth * LEVEL_VECS * (size_t)n;
  double *p_init_end = w, *sharp_init_end = w + n, *rho_init = w + 2 * n;
  double *p_final_beg = w + 3 * n, *sharp_final_beg = w + 4 * n, *rho_final = w + 5 * n;
  double *ext = w + 6 * n;
  prop z_final = {w + 7 * n, w + 8 * n, 0, 0};
  memset(rho_init, 0, (size_t)n * sizeof(double));
  memset(rho_final, 0, (size_t)n * sizeof(double));
  double lsw_init = -INFINITY, lsw_final = -INFINITY;
  int v = build_tree(s, depth - 1, z_prop, sharp_beg, sharp_init_end, rho_init, p_beg, p_init_end,
                     h0, sign, &lsw_init);
  if (v <= 0) return v;
  v = build_tree(s, depth - 1, &z_final, sharp_final_beg, sharp_end, rho_final, p_final_beg, p_end,
                 h0, sign, &lsw_final);
  if (v <= 0) return v;
  /* multinomial sample between the halves */
  double lsw_sub = log_sum_exp(lsw_init, lsw_final);
  *lsw = log_sum_exp(*lsw, lsw_sub);
  if (lsw_final > lsw_sub || genc_host_rng_uniform(&s->rng) < exp(lsw_final - lsw_sub))
    prop_take(z_prop, &z_final, n);
  double *rho_sub = ext; /* rho_init + rho_final, then added to rho */
  for (int i = 0; i < n; i++) {
    rho_sub[i] = rho_init[i] + rho_final[i];
    rho[i] += rho_sub[i];
  }
  int ok = criterion(sharp_beg, sharp_end, rho_sub, n);
  ok = ok && criterion_ext(sharp_beg, sharp_final_beg, rho_init, p_final_beg, ext, n);
  ok = ok && criterion_ext(sharp_init_end, sharp_end, rho_final, p_init_end, ext, n);
  return ok;
}

/* A saved point z (position, momentum, gradient, lp): an end of the trajectory. */
typedef struct zpt {
  double *q, *p, *g, lp;
} zpt;

static void z_save(const genc__nuts *s, zpt *z) {
  size_t b = (size_t)s->dim * sizeof(double);
  memcpy(z->q, s->q, b), memcpy(z->p, s->p, b), memcpy(z->g, s->g, b);
  z->lp = s->lp;
}

static void z_load(genc__nuts *s, const zpt *z) {
  size_t b = (size_t)s->dim * sizeof(double);
  memcpy(s->q, z->q, b), memcpy(s->p, z->p, b), memcpy(s->g, z->g, b);
  s->lp = z->lp;
}

/* The top level's vectors, carved from s->top: the momenta and sharp momenta
 * at the four ends (ff: forward end of the forward part, fb: its backward
 * end, bf, bb likewise), rho of the whole tree and of each part, scratch,
 * both ends as points, the sample and the new subtree's proposal. */
typedef struct top {
  double *p_ff, *s_ff, *p_fb, *s_fb, *p_bf, *s_bf, *p_bb, *s_bb;
  double *rho, *rho_f, *rho_b, *ext;
  zpt fwd, bck;
  prop sample, z_prop;
} top;

static top top_carve(genc__nuts *s) {
  double *v[TOP_VECS];
  for (int i = 0; i < TOP_VECS; i++)
    v[i] = s->top + (size_t)i * (size_t)s->dim;
  return (top){v[0],
               v[1],
               v[2],
               v[3],
               v[4],
               v[5],
               v[6],
               v[7],
               v[8],
               v[9],
               v[10],
               v[11],
               {v[12], v[13], v[14], 0},
               {v[15], v[16], v[17], 0},
               {v[18], v[19], 0, 0},
               {v[20], v[21], 0, 0}};
}

static void top_start(genc__nuts *s, top *t, double h0) {
  int n = s->dim;
  z_save(s, &t->fwd);
  z_save(s, &t->bck);
  memcpy(t->sample.q, s->q, (size_t)n * sizeof(double));
  memcpy(t->sample.g, s->g, (size_t)n * sizeof(double));
  t->sample.lp = s->lp;
  t->sample.h = h0;
  for (int i = 0; i < n; i++) {
    double sh = s->dense ? s->v[i] : s->inv_metric[i] * s->p[i]; /* v: h0's */
    t->p_ff[i] = t->p_fb[i] = t->p_bf[i] = t->p_bb[i] = t->rho[i] = s->p[i];
    t->s_ff[i] = t->s_fb[i] = t->s_bf[i] = t->s_bb[i] = sh;
  }
}

/* Extend the trajectory by a subtree of 2^depth steps in a random direction;
 * the old tree becomes the other part (its inner end the old outer end).
 * Returns build_tree's verdict; its log weight goes to lsw_sub. */
static int extend(genc__nuts *s, top *t, int depth, double h0, double *lsw_sub) {
  size_t b = (size_t)s->dim * sizeof(double);
  memset(t->rho_f, 0, b);
  memset(t->rho_b, 0, b);
  int v;
  if (genc_host_rng_uniform(&s->rng) > 0.5) {
    z_load(s, &t->fwd);
    memcpy(t->rho_b, t->rho, b), memcpy(t->p_bf, t->p_ff, b), memcpy(t->s_bf, t->s_ff, b);
    v = build_tree(s, depth, &t->z_prop, t->s_fb, t->s_ff, t->rho_f, t->p_fb, t->p_ff, h0, 1,
                   lsw_sub);
    z_save(s, &t->fwd);
  } else {
    z_load(s, &t->bck);
    memcpy(t->rho_f, t->rho, b), memcpy(t->p_fb, t->p_bb, b), memcpy(t->s_fb, t->s_bb, b);
    v = build_tree(s, depth, &t->z_prop, t->s_bf, t->s_bb, t->rho_b, t->p_bf, t->p_bb, h0, -1,
                   lsw_sub);
    z_save(s, &t->bck);
  }
  return v;
}

genc_status genc__nuts_transition(genc__nuts *s) {
  int n = s->dim;
  top t = top_carve(s);
  genc__nuts_sample_p(s);
  double h0 = genc__nuts_h(s), lsw = 0;
  top_start(s, &t, h0);
  s->n_leapfrog = 0, s->sum_metro = 0, s->depth = 0, s->divergent = 0;
  while (s->depth < s->max_depth) {
    double lsw_sub = -INFINITY;
    int v = extend(s, &t, s->depth, h0, &lsw_sub);
    if (v < 0) return s->err;
    if (!v) break;
    s->depth++;
    /* biased progressive sampling: the new subtree wins with min(1, w_sub / w_old) */
    if (lsw_sub > lsw || genc_host_rng_uniform(&s->rng) < exp(lsw_sub - lsw))
      prop_take(&t.sample, &t.z_prop, n);
    lsw = log_sum_exp(lsw, lsw_sub);
    for (int i = 0; i < n; i++)
      t.rho[i] = t.rho_b[i] + t.rho_f[i];
    int ok = criterion(t.s_bb, t.s_ff, t.rho, n);
    ok = ok && criterion_ext(t.s_bb, t.s_fb, t.rho_b, t.p_fb, t.ext, n);
    ok = ok && criterion_ext(t.s_bf, t.s_ff, t.rho_f, t.p_bf, t.ext, n);
    if (!ok) break;
  }
  s->accept_stat = s->n_leapfrog ? s->sum_metro / (double)s->n_leapfrog : 0;
  memcpy(s->q, t.sample.q, (size_t)n * sizeof(double));
  memcpy(s->g, t.sample.g, (size_t)n * sizeof(double));
  s->lp = t.sample.lp;
  s->energy = t.sample.h;
  return GENC_OK;
}
