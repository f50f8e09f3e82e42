/*
 * The NUTS sampler's state and the trajectory's primitives, shared by the
 * transition (nuts_step.c), static HMC (hmc.c, hmc_lockstep.c) and the step
 * size heuristic (nuts_run.c): the scratch, the metric (diagonal, or dense as
 * Stan's dense_e: M^-1 p a matrix-vector product, the momentum drawn by a
 * triangular solve with the Cholesky factor of M^-1 from LAPACK's dpotrf),
 * the Hamiltonian and the leapfrog.
 */
#include "infer/nuts.h"

#include <lapack.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

genc_status genc__nuts_init(genc__nuts *s) {
  size_t d = (size_t)s->dim;
  size_t dense = s->dense ? d * d + d : 0; /* the factor L and v */
  s->q = calloc(d * (3 + GENC__NUTS_TOP_VECS + GENC__NUTS_LEVEL_VECS * ((size_t)s->max_depth + 1)) +
                    dense,
                sizeof(double));
  if (!s->q)
    return genc_ctx_fail(s->ctx, GENC_ERR_NOMEM, "genc_nuts: out of memory (dim %d)", s->dim);
  s->p = s->q + d;
  s->g = s->p + d;
  s->top = s->g + d;
  s->levels = s->top + GENC__NUTS_TOP_VECS * d;
  if (s->dense) {
    s->chol = s->levels + GENC__NUTS_LEVEL_VECS * ((size_t)s->max_depth + 1) * d;
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

void genc__nuts_drift(genc__nuts *s, double eps) {
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
}

void genc__nuts_kick(genc__nuts *s, double eps) {
  for (int i = 0; i < s->dim; i++)
    s->p[i] += 0.5 * eps * s->g[i];
}

genc_status genc__nuts_leapfrog(genc__nuts *s, double eps) {
  genc__nuts_drift(s, eps);
  genc_status st = genc__nuts_eval(s);
  genc__nuts_kick(s, eps);
  return st;
}
