/*
 * genc_nuts: the driver around one NUTS transition (nuts_step.c) as Stan's
 * run_adaptive_sampler and adapt_diag_e_nuts (adapt_dense_e_nuts) run it: an
 * initial point (given, or uniform on (-2, 2) with up to 100 tries), the step
 * size heuristic, then warmup iterations that feed each transition's
 * acceptance statistic to dual averaging and its draw to the windowed
 * variance (dense: covariance) estimator (at each window's end: new metric,
 * heuristic again, dual averaging restarted at mu = log(10 eps)), the final
 * step size exp(x_bar), and the sampling iterations recorded in CmdStan's
 * layout. The library never prints; progress goes to the caller's callback.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "infer/adapt.h"
#include "infer/nuts.h"

static double now_seconds(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static genc_host_rng rng_of(genc_key key) { return genc_host_rng_new(key); }

genc_status genc__nuts_fill_defaults(genc_ctx *ctx, int dim, genc_nuts_opts *o) {
  if (dim < 1) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_nuts: dim = %d, must be >= 1", dim);
  if (!o->warmup) o->warmup = 1000;
  if (o->warmup == GENC_NUTS_NO_WARMUP) o->warmup = 0;
  if (!o->samples) o->samples = 1000;
  if (!o->delta) o->delta = 0.8;
  if (!o->max_depth) o->max_depth = 10;
  if (!o->stepsize) o->stepsize = 1;
  if (!o->init_radius) o->init_radius = 2;
  if (!o->gamma) o->gamma = 0.05;
  if (!o->t0) o->t0 = 10;
  if (!o->kappa) o->kappa = 0.75;
  if (!o->init_buffer) o->init_buffer = 75;
  if (!o->term_buffer) o->term_buffer = 50;
  if (!o->window) o->window = 25;
  if (!o->progress_every) o->progress_every = 100;
  const char *bad = o->warmup < 0                                 ? "warmup"
                    : o->samples < 0                              ? "samples"
                    : !(o->delta > 0 && o->delta < 1)             ? "delta"
                    : o->max_depth < 1 || o->max_depth > 30       ? "max_depth"
                    : !(o->stepsize > 0 && isfinite(o->stepsize)) ? "stepsize"
                    : !(o->init_radius > 0)                       ? "init_radius"
                    : !(o->gamma > 0) || !(o->t0 >= 0)            ? "gamma or t0"
                    : !(o->kappa > 0)                             ? "kappa"
                    : o->init_buffer < 0 || o->term_buffer < 0 || o->window < 1
                        ? "buffers or window"
                    : o->progress_every < 1                   ? "progress_every"
                    : (unsigned)o->metric > GENC_METRIC_DENSE ? "metric"
                                                              : NULL;
  if (bad) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_nuts: option %s out of range", bad);
  if (o->inv_metric)
    return genc__nuts_check_metric(ctx, "genc_nuts", dim, o->metric == GENC_METRIC_DENSE,
                                   o->inv_metric);
  return GENC_OK;
}

static int point_ok(const genc__nuts *s) {
  if (!isfinite(s->lp)) return 0;
  for (int i = 0; i < s->dim; i++)
    if (!isfinite(s->g[i])) return 0;
  return 1;
}

/* Stan's initialize: the given point, or up to 100 uniform draws on
 * (-radius, radius) until lp and its gradient are finite. */
static genc_status find_init(genc__nuts *s, const genc_nuts_opts *o) {
  genc_host_rng rng = rng_of(genc_key_fold_in(o->key, UINT64_MAX));
  for (int t = 0; t < (o->init ? 1 : 100); t++) {
    for (int i = 0; i < s->dim; i++)
      s->q[i] = o->init ? o->init[i] : o->init_radius * (2 * genc_host_rng_uniform(&rng) - 1);
    if (genc__nuts_eval(s)) return s->err;
    if (point_ok(s)) return GENC_OK;
  }
  int bad = 0;
  while (bad < s->dim - 1 && isfinite(s->g[bad]))
    bad++;
  return genc_ctx_fail(s->ctx, GENC_ERR_DOMAIN,
                       "genc_nuts: no initial point with a finite log density and gradient (%s): "
                       "last tried theta[0] = %g, lp = %g, grad[%d] = %g",
                       o->init ? "the given init" : "100 uniform tries", s->q[0], s->lp, bad,
                       s->g[bad]);
}

/* Stan's init_stepsize: double or halve eps until one leapfrog's acceptance
 * crosses 0.8. z is restored after. */
genc_status genc__nuts_init_stepsize(genc__nuts *s, double *scratch) {
  if (!(s->eps > 0 && s->eps <= 1e7)) return GENC_OK;
  size_t b = (size_t)s->dim * sizeof(double);
  double *q0 = scratch, *g0 = scratch + s->dim, lp0 = s->lp;
  memcpy(q0, s->q, b), memcpy(g0, s->g, b);
  int direction = 0;
  for (;;) {
    memcpy(s->q, q0, b), memcpy(s->g, g0, b), s->lp = lp0;
    genc__nuts_sample_p(s);
    double h0 = genc__nuts_h(s);
    if (genc__nuts_leapfrog(s, s->eps)) return s->err;
    double dh = h0 - genc__nuts_h(s);
    if (!direction) {
      direction = dh > log(0.8) ? 1 : -1;
      continue; /* Stan's first step only picks the direction */
    }
    if (direction == 1 ? !(dh > log(0.8)) : !(dh < log(0.8))) break;
    s->eps = direction == 1 ? 2 * s->eps : 0.5 * s->eps;
    if (s->eps > 1e7 || s->eps == 0)
      return genc_ctx_fail(s->ctx, GENC_ERR_DOMAIN,
                           "the step size heuristic reached %g: the density is %s", s->eps,
                           s->eps ? "improper" : "not continuous at the current point");
  }
  memcpy(s->q, q0, b), memcpy(s->g, g0, b), s->lp = lp0;
  return GENC_OK;
}

/* After a warmup transition: learn the step size, and at the end of a slow
 * window take the new metric, re-run the heuristic and restart dual
 * averaging around it (adapt_diag_e_nuts::transition). */
static genc_status adapt_step(genc__nuts_chain *c) {
  genc__nuts *s = &c->s;
  s->eps = genc__dual_avg_learn(&c->da, s->accept_stat);
  if (!c->adapt_metric || !genc__var_adapt_learn(&c->va, s->q, c->out->inv_metric)) return GENC_OK;
  genc_status st = genc__nuts_set_metric(s, "genc_nuts");
  if (!st) st = genc__nuts_init_stepsize(s, c->scratch);
  c->da.mu = log(10 * s->eps);
  genc__dual_avg_restart(&c->da);
  return st;
}

static void record(const genc__nuts *s, double eps, genc_nuts_result *out, int64_t i) {
  memcpy(out->draws + i * s->dim, s->q, (size_t)s->dim * sizeof(double));
  out->stats[i] = (genc_sampler_stats){s->lp,         s->accept_stat, eps,      s->depth,
                                       s->n_leapfrog, s->divergent,   s->energy};
}

genc_status genc__nuts_chain_after(genc__nuts_chain *c, int64_t it, double eps) {
  if (it >= c->o.warmup) {
    record(&c->s, eps, c->out, it - c->o.warmup);
    return GENC_OK;
  }
  genc_status st = adapt_step(c);
  if (it == c->o.warmup - 1) c->s.eps = genc__dual_avg_final(&c->da);
  return st;
}

static genc_status run_chain(genc__nuts_chain *c) {
  genc__nuts *s = &c->s;
  const genc_nuts_opts *o = &c->o;
  int64_t total = o->warmup + o->samples;
  double t0 = now_seconds();
  for (int64_t it = 0; it < total; it++) {
    s->rng = rng_of(genc_key_fold_in(o->key, (uint64_t)it));
    double eps = s->eps;
    genc_status st = genc__nuts_transition(s);
    if (!st) st = genc__nuts_chain_after(c, it, eps);
    if (st) return st;
    if (it == o->warmup - 1) {
      c->out->warmup_seconds = now_seconds() - t0;
      t0 = now_seconds();
    }
    if (o->progress && ((it + 1) % o->progress_every == 0 || it + 1 == total) &&
        o->progress(it + 1, total, o->progress_user))
      return genc_ctx_fail(s->ctx, GENC_ERR_ARG,
                           "genc_nuts: stopped by the progress callback at "
                           "iteration %lld",
                           (long long)(it + 1));
  }
  c->out->sampling_seconds = now_seconds() - t0;
  c->out->stepsize = s->eps;
  return GENC_OK;
}

static genc_status result_alloc(genc_ctx *ctx, int dim, const genc_nuts_opts *o,
                                genc_nuts_result *out) {
  int dense = o->metric == GENC_METRIC_DENSE;
  size_t nm = (size_t)dim * (dense ? (size_t)dim : 1);
  out->dim = dim;
  out->samples = o->samples;
  out->metric = o->metric;
  out->draws = malloc((size_t)(o->samples * dim + 1) * sizeof(double));
  out->stats = malloc((size_t)(o->samples + 1) * sizeof(genc_sampler_stats));
  out->inv_metric = malloc(nm * sizeof(double));
  if (!out->draws || !out->stats || !out->inv_metric)
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_nuts: out of memory (%lld draws of dim %d)",
                         (long long)o->samples, dim);
  for (size_t i = 0; i < nm; i++) /* the identity, unless given */
    out->inv_metric[i] = o->inv_metric ? o->inv_metric[i]
                         : dense       ? i % ((size_t)dim + 1) == 0
                                       : 1.0;
  return GENC_OK;
}

genc_status genc__nuts_chain_begin(genc__nuts_chain *c, genc_ctx *ctx, genc_lp_grad_fn fn,
                                   void *user, int dim, genc_nuts_result *out) {
  const genc_nuts_opts *o = &c->o;
  c->out = out;
  genc_status st = result_alloc(ctx, dim, o, out);
  c->s = (genc__nuts){.ctx = ctx,
                      .fn = fn,
                      .user = user,
                      .dim = dim,
                      .max_depth = o->max_depth,
                      .inv_metric = out->inv_metric,
                      .dense = o->metric == GENC_METRIC_DENSE,
                      .eps = o->stepsize};
  c->da = (genc__dual_avg){.mu = log(10 * o->stepsize),
                           .delta = o->delta,
                           .gamma = o->gamma,
                           .kappa = o->kappa,
                           .t0 = o->t0};
  c->adapt_metric = o->metric != GENC_METRIC_UNIT;
  c->scratch = st ? NULL : malloc(2 * (size_t)dim * sizeof(double));
  if (!st && !c->scratch) st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_nuts: out of memory");
  if (!st) st = genc__nuts_init(&c->s);
  if (!st) st = genc__nuts_set_metric(&c->s, "genc_nuts");
  if (!st && (c->s.dense ? genc__var_adapt_init_dense : genc__var_adapt_init)(
                 &c->va, dim, o->warmup, o->init_buffer, o->term_buffer, o->window))
    st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_nuts: out of memory");
  if (!st) st = find_init(&c->s, o);
  if (!st && o->warmup) {
    c->s.rng = rng_of(genc_key_fold_in(o->key, UINT64_MAX - 1));
    st = genc__nuts_init_stepsize(&c->s, c->scratch);
  }
  return st;
}

void genc__nuts_chain_end(genc__nuts_chain *c) {
  genc__var_adapt_free(&c->va);
  if (c->s.q) genc__nuts_free(&c->s);
  free(c->scratch);
  c->scratch = NULL;
}

genc_status genc_nuts(genc_ctx *ctx, genc_lp_grad_fn fn, void *user, int dim,
                      const genc_nuts_opts *opts, genc_nuts_result *out) {
  if (!ctx) return GENC_ERR_ARG;
  if (!fn || !out) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_nuts: NULL density or result");
  memset(out, 0, sizeof *out);
  genc__nuts_chain c = {.o = opts ? *opts : (genc_nuts_opts){0}};
  genc_status st = genc__nuts_fill_defaults(ctx, dim, &c.o);
  if (!st) st = genc__nuts_chain_begin(&c, ctx, fn, user, dim, out);
  if (!st) st = run_chain(&c);
  genc__nuts_chain_end(&c);
  if (st) genc_nuts_result_clear(out);
  return st;
}

void genc_nuts_result_clear(genc_nuts_result *r) {
  if (!r) return;
  free(r->draws);
  free(r->stats);
  free(r->inv_metric);
  memset(r, 0, sizeof *r);
}

genc_status genc_nuts_chains(genc_ctx *ctx, genc_lp_grad_fn fn, void *user, int dim, int nchains,
                             const genc_nuts_opts *opts, genc_nuts_result *out) {
  if (!ctx) return GENC_ERR_ARG;
  if (nchains < 1 || !out)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_nuts_chains: nchains = %d (>= 1) or NULL out",
                         nchains);
  genc_nuts_opts o = opts ? *opts : (genc_nuts_opts){0};
  genc_key key = o.key;
  for (int c = 0; c < nchains; c++) {
    o.key = genc_key_fold_in(key, (uint64_t)c);
    genc_status st = genc_nuts(ctx, fn, user, dim, &o, &out[c]);
    if (st) {
      for (int k = 0; k < c; k++)
        genc_nuts_result_clear(&out[k]);
      return st;
    }
  }
  return GENC_OK;
}

genc_status genc_nuts_param_draws(genc_ctx *ctx, const genc_nuts_result *res, int nchains, int j,
                                  double *dst) {
  if (!ctx) return GENC_ERR_ARG;
  if (!res || !dst || nchains < 1)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_nuts_param_draws: NULL argument or nchains < 1");
  for (int c = 0; c < nchains; c++)
    if (res[c].samples != res[0].samples || j < 0 || j >= res[c].dim)
      return genc_ctx_fail(ctx, GENC_ERR_ARG,
                           "genc_nuts_param_draws: chain %d has %lld draws of dim %d (parameter "
                           "%d, chain 0 has %lld draws)",
                           c, (long long)res[c].samples, res[c].dim, j, (long long)res[0].samples);
  for (int c = 0; c < nchains; c++)
    for (int64_t t = 0; t < res[0].samples; t++)
      dst[c * res[0].samples + t] = res[c].draws[t * res[c].dim + j];
  return GENC_OK;
}
