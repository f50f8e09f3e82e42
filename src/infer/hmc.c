/*
 * Static HMC and MALA (one leapfrog step) on a genc_logdensity, on host
 * doubles, with Stan's warmup: dual averaging of the step size (Hoffman and
 * Gelman 2014, Stan's stepsize_adaptation) and the inverse metric estimated in
 * doubling slow windows (Stan's windowed_adaptation, regularized toward 1e-3
 * times the identity as Stan does).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "genc/infer.h"

genc_hmc_options genc_hmc_options_default(void) {
  return (genc_hmc_options){.warmup = 1000,
                            .samples = 1000,
                            .step_size = 1.0,
                            .nleapfrog = 16,
                            .dense = false,
                            .adapt = true,
                            .delta = 0.8,
                            .gamma = 0.05,
                            .t0 = 10.0,
                            .kappa = 0.75,
                            .init_buffer = 75,
                            .term_buffer = 25,
                            .base_window = 25,
                            .max_energy_error = 1000.0};
}

void genc_hmc_result_clear(genc_hmc_result *r) {
  if (!r) return;
  free(r->draws), free(r->lp), free(r->accept), free(r->metric);
  memset(r, 0, sizeof *r);
}

typedef struct dual_avg {
  double mu, sbar, xbar;
  int64_t count;
} dual_avg;

static void da_restart(dual_avg *d, double eps) { *d = (dual_avg){.mu = log(10 * eps)}; }
static double da_learn(dual_avg *d, const genc_hmc_options *o, double stat) {
  d->count++;
  double eta = 1.0 / ((double)d->count + o->t0);
  d->sbar = (1 - eta) * d->sbar + eta * (o->delta - (stat > 1 ? 1 : stat));
  double x = d->mu - d->sbar * sqrt((double)d->count) / o->gamma;
  double xe = pow((double)d->count, -o->kappa);
  d->xbar = (1 - xe) * d->xbar + xe * x;
  return exp(x);
}

typedef struct sampler {
  genc_ctx *ctx;
  genc_logdensity *ld;
  const genc_hmc_options *o;
  int64_t d;
  double *minv, *chol;                   /* inverse metric; its Cholesky factor (dense) */
  double *q, *g, *q1, *g1, *p, *v, *buf; /* position, gradient, proposal, momentum... */
  double lp, eps;
} sampler;

/* velocity v = Minv p */
static void velocity(const sampler *s, const double *p, double *v) {
  int64_t d = s->d;
  for (int64_t i = 0; i < d; i++) {
    if (!s->o->dense) {
      v[i] = s->minv[i] * p[i];
      continue;
    }
    double a = 0;
    for (int64_t j = 0; j < d; j++)
      a += s->minv[i * d + j] * p[j];
    v[i] = a;
  }
}

/* p ~ N(0, M): p = L^{-T} z with Minv = L L^T (dense), z / sqrt(minv) (diagonal). */
static void draw_momentum(const sampler *s, genc_key key) {
  int64_t d = s->d;
  for (int64_t i = 0; i < d; i++)
    s->buf[i] = genc_dist_draw_scalar(genc_key_fold_in(key, (uint64_t)i), GENC_DIST_LAW_NORMAL);
  if (!s->o->dense) {
    for (int64_t i = 0; i < d; i++)
      s->p[i] = s->buf[i] / sqrt(s->minv[i]);
    return;
  }
  for (int64_t i = d - 1; i >= 0; i--) { /* back substitution with L^T */
    double a = s->buf[i];
    for (int64_t j = i + 1; j < d; j++)
      a -= s->chol[j * d + i] * s->p[j];
    s->p[i] = a / s->chol[i * d + i];
  }
}

static double kinetic(const sampler *s, const double *p) {
  velocity(s, p, s->v);
  double k = 0;
  for (int64_t i = 0; i < s->d; i++)
    k += p[i] * s->v[i];
  return 0.5 * k;
}

/* One transition; returns the acceptance statistic (NaN on error). */
static double transition(sampler *s, genc_key key, bool *divergent) {
  int64_t d = s->d;
  draw_momentum(s, genc_key_fold_in(key, 1));
  double h0 = kinetic(s, s->p) - s->lp, lp1 = s->lp;
  memcpy(s->q1, s->q, (size_t)d * sizeof(double));
  memcpy(s->g1, s->g, (size_t)d * sizeof(double));
  int L = s->o->nleapfrog < 1 ? 1 : s->o->nleapfrog;
  *divergent = false;
  for (int l = 0; l < L; l++) {
    for (int64_t i = 0; i < d; i++)
      s->p[i] += 0.5 * s->eps * s->g1[i];
    velocity(s, s->p, s->v);
    for (int64_t i = 0; i < d; i++)
      s->q1[i] += s->eps * s->v[i];
    if (genc_logdensity_eval(s->ctx, s->ld, s->q1, &lp1, s->g1)) return NAN;
    if (!isfinite(lp1)) break;
    for (int64_t i = 0; i < d; i++)
      s->p[i] += 0.5 * s->eps * s->g1[i];
  }
  double h1 = isfinite(lp1) ? kinetic(s, s->p) - lp1 : INFINITY;
  if (isnan(h1) || h1 - h0 > s->o->max_energy_error) *divergent = true;
  double acc = isnan(h1) ? 0.0 : exp(h0 - h1 < 0 ? h0 - h1 : 0.0);
  double u = genc_dist_draw_scalar(genc_key_fold_in(key, 2), GENC_DIST_LAW_UNIFORM);
  if (!*divergent && u < acc) {
    memcpy(s->q, s->q1, (size_t)d * sizeof(double));
    memcpy(s->g, s->g1, (size_t)d * sizeof(double));
    s->lp = lp1;
  }
  return *divergent ? 0.0 : acc;
}

/* Cholesky of the dense inverse metric into s->chol; false if not positive definite. */
static bool factor(sampler *s) {
  int64_t d = s->d;
  for (int64_t i = 0; i < d; i++)
    for (int64_t j = 0; j <= i; j++) {
      double a = s->minv[i * d + j];
      for (int64_t k = 0; k < j; k++)
        a -= s->chol[i * d + k] * s->chol[j * d + k];
      if (i == j) {
        if (!(a > 0)) return false;
        s->chol[i * d + i] = sqrt(a);
      } else {
        s->chol[i * d + j] = a / s->chol[j * d + j];
      }
    }
  return true;
}

/* The regularized (co)variance of window draws w [n][d] into the metric (Stan). */
static void set_metric(sampler *s, const double *w, int64_t n) {
  int64_t d = s->d;
  double *mean = s->buf, sh = (double)n / (n + 5.0), reg = 1e-3 * 5.0 / (n + 5.0);
  for (int64_t i = 0; i < d; i++) {
    mean[i] = 0;
    for (int64_t t = 0; t < n; t++)
      mean[i] += w[t * d + i] / (double)n;
  }
  for (int64_t i = 0; i < d; i++)
    for (int64_t j = 0; j < (s->o->dense ? d : 1); j++) {
      int64_t jj = s->o->dense ? j : i;
      double c = 0;
      for (int64_t t = 0; t < n; t++)
        c += (w[t * d + i] - mean[i]) * (w[t * d + jj] - mean[jj]);
      c = sh * c / (double)(n - 1) + (i == jj ? reg : 0.0);
      s->minv[s->o->dense ? i * d + j : i] = c;
    }
  if (s->o->dense) factor(s);
}

/* Stan's window schedule: is iteration it (0-based) the end of a slow window? */
static bool window_end(const genc_hmc_options *o, int64_t it, int64_t *wstart, int64_t *wsize,
                       int64_t tb) {
  int64_t end = *wstart + *wsize;
  if (it + 1 != end) return false;
  *wstart = end;
  *wsize *= 2;
  int64_t last = o->warmup - tb;
  if (*wstart + 2 * *wsize > last) *wsize = last - *wstart;
  return true;
}

static genc_status run(genc_ctx *ctx, genc_logdensity *ld, const double *init,
                       const genc_hmc_options *opt, genc_key key, genc_hmc_result *out, int nleap,
                       const char *who) {
  if (!ctx) return GENC_ERR_ARG;
  if (!ld || !init || !out)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: NULL log density, initial point or result", who);
  genc_hmc_options o = opt ? *opt : genc_hmc_options_default();
  if (nleap) o.nleapfrog = nleap;
  if (o.warmup < 0 || o.samples < 1 || !(o.step_size > 0) || !(o.delta > 0 && o.delta < 1))
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "%s: warmup %lld must be >= 0, samples %lld >= 1, step size %g > 0 and "
                         "delta %g in (0, 1)",
                         who, (long long)o.warmup, (long long)o.samples, o.step_size, o.delta);
  if (genc_logdensity_check_init(ctx, ld, init)) return genc_ctx_status(ctx);
  memset(out, 0, sizeof *out);
  int64_t d = genc_logdensity_dim(ld), md = o.dense ? d * d : d;
  sampler s = {.ctx = ctx, .ld = ld, .o = &o, .d = d, .eps = o.step_size};
  double *mem = calloc((size_t)(md * 2 + 7 * d + 1), sizeof(double));
  int64_t ib = o.init_buffer, tb = o.term_buffer, bw = o.base_window;
  if (o.warmup < ib + tb + bw) /* Stan's fallback: 15% / 75% / 10% */
    ib = (int64_t)(0.15 * (double)o.warmup), tb = (int64_t)(0.1 * (double)o.warmup),
    bw = o.warmup - ib - tb;
  double *win = calloc((size_t)((bw > 0 ? o.warmup : 0) * d + 1), sizeof(double));
  out->draws = malloc((size_t)(o.samples * d + 1) * sizeof(double));
  out->lp = malloc((size_t)o.samples * sizeof(double));
  out->accept = malloc((size_t)o.samples * sizeof(double));
  out->metric = malloc((size_t)md * sizeof(double));
  if (!mem || !win || !out->draws || !out->lp || !out->accept || !out->metric) {
    free(mem), free(win), genc_hmc_result_clear(out);
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory", who);
  }
  s.minv = mem, s.chol = mem + md, s.q = mem + 2 * md, s.g = s.q + d, s.q1 = s.g + d;
  s.g1 = s.q1 + d, s.p = s.g1 + d, s.v = s.p + d, s.buf = s.v + d;
  for (int64_t i = 0; i < d; i++) {
    if (o.dense)
      s.minv[i * d + i] = s.chol[i * d + i] = 1.0;
    else
      s.minv[i] = 1.0;
  }
  memcpy(s.q, init, (size_t)d * sizeof(double));
  genc_status st = genc_logdensity_eval(ctx, ld, s.q, &s.lp, s.g);
  dual_avg da;
  da_restart(&da, s.eps);
  int64_t wstart = ib, wsize = bw;
  for (int64_t it = 0; !st && it < o.warmup + o.samples; it++) {
    bool div;
    double acc = transition(&s, genc_key_fold_in(key, (uint64_t)it), &div);
    if (isnan(acc)) st = genc_ctx_status(ctx);
    if (st) break;
    if (it < o.warmup && o.adapt) {
      s.eps = da_learn(&da, &o, acc);
      bool slow = bw > 0 && it >= ib && it < o.warmup - tb;
      if (slow) memcpy(win + (it - wstart) * d, s.q, (size_t)d * sizeof(double));
      int64_t w0 = wstart;
      if (slow && window_end(&o, it, &wstart, &wsize, tb)) {
        set_metric(&s, win, it + 1 - w0);
        da_restart(&da, s.eps);
      }
      if (it + 1 == o.warmup) s.eps = exp(da.xbar);
    } else if (it >= o.warmup) {
      int64_t k = it - o.warmup;
      memcpy(out->draws + k * d, s.q, (size_t)d * sizeof(double));
      out->lp[k] = s.lp, out->accept[k] = acc;
      out->divergent += div;
    }
  }
  memcpy(out->metric, s.minv, (size_t)md * sizeof(double));
  out->step_size = s.eps, out->ndraws = o.samples, out->dim = d;
  free(mem), free(win);
  if (st) genc_hmc_result_clear(out);
  return st;
}

genc_status genc_hmc(genc_ctx *ctx, genc_logdensity *ld, const double *init,
                     const genc_hmc_options *opt, genc_key key, genc_hmc_result *out) {
  return run(ctx, ld, init, opt, key, out, 0, "genc_hmc");
}

genc_status genc_mala(genc_ctx *ctx, genc_logdensity *ld, const double *init,
                      const genc_hmc_options *opt, genc_key key, genc_hmc_result *out) {
  return run(ctx, ld, init, opt, key, out, 1, "genc_mala");
}
