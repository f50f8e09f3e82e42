/* Particle MCMC for static parameters theta of a state-space model (Andrieu,
 * Doucet and Holenstein 2010): particle Gibbs, which alternates conditional
 * SMC for the states with MH on theta given them, and PMMH, random-walk MH on
 * theta scored by a particle filter's likelihood estimate.
 *
 * Both run on the host: theta is a vector of doubles, the model sees it
 * through the step function's arguments. Iteration s (warmup included) draws
 * from genc_key_fold_in(key, s) split three ways (proposal, filter, accept)
 * and runs in its own array scope, so memory stays flat over long chains. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "genc.h"

void genc_pmcmc_result_clear(genc_pmcmc_result *r) {
  if (!r) return;
  free(r->theta);
  free(r->states);
  free(r->log_ml);
  genc_trace_release(r->trace);
  memset(r, 0, sizeof *r);
}

/* A chain's state shared by both samplers. */
typedef struct pm_chain {
  const char *fn; /* "genc_pmmh" or "genc_particle_gibbs", for messages */
  const genc_pmcmc_model *m;
  genc_pmcmc_opts o;
  double *theta, *prop; /* dim current values; dim scratch */
  double lp, lz;        /* log prior at theta; PMMH: current log Z-hat */
  genc_trace *traj;     /* particle Gibbs: the current trajectory */
  int64_t acc, tried;   /* theta moves accepted and proposed (recorded iterations) */
} pm_chain;

/* genc_smc_step_fn adapter: the model's step at a fixed theta. */
typedef struct at_theta {
  const genc_pmcmc_model *m;
  const double *theta;
} at_theta;

static genc_status step_at(genc_ctx *ctx, int64_t t, genc_array **args, genc_argdiff *argdiffs,
                           genc_choicemap **constraints, void *user) {
  const at_theta *a = user;
  return a->m->step(ctx, t, a->theta, args, argdiffs, constraints, a->m->user);
}

static genc_selection *select_at(genc_ctx *ctx, int64_t t, void *user) {
  const at_theta *a = user;
  return a->m->step_select(ctx, t, a->m->user);
}

static genc_status check(genc_ctx *ctx, const char *fn, const genc_pmcmc_model *m,
                         const genc_pmcmc_opts *o, bool need_scale) {
  if (!m || !m->model || !m->step || !m->log_prior)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: %s is NULL", fn,
                         !m          ? "the model"
                         : !m->model ? "model->model"
                         : !m->step  ? "model->step"
                                     : "model->log_prior");
  const char *name = genc_gf_name(m->model);
  if (m->steps < 1 || m->dim < 1)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: '%s': steps = %lld and dim = %d must be >= 1", fn,
                         name, (long long)m->steps, m->dim);
  if (o->iters < 0 || o->warmup < 0 || o->n < 0 || o->n == 1 || o->theta_moves < 0)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "%s: '%s': iters, warmup and theta_moves must be >= 0 and n >= 2 "
                         "(or 0: default)",
                         fn, name);
  if (!o->theta0 || (need_scale && !o->scale))
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: '%s': opts->%s is NULL", fn, name,
                         !o->theta0 ? "theta0" : "scale");
  for (int j = 0; need_scale && j < m->dim; j++)
    if (!(o->scale[j] > 0) || isinf(o->scale[j]))
      return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: '%s': scale[%d] = %g, must be finite and > 0",
                           fn, name, j, o->scale[j]);
  if (o->naddrs < 0 || (o->naddrs > 0 && !o->addrs))
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: '%s': naddrs < 0 or addrs NULL", fn, name);
  return GENC_OK;
}

/* Validate, apply defaults, allocate the result and the chain. */
static genc_status start(genc_ctx *ctx, pm_chain *c, const genc_pmcmc_model *m,
                         const genc_pmcmc_opts *opts, genc_pmcmc_result *out, bool pg) {
  memset(out, 0, sizeof *out);
  c->m = m;
  c->o = opts ? *opts : (genc_pmcmc_opts){0};
  genc_status st = check(ctx, c->fn, m, &c->o, !pg || !c->o.theta_step);
  if (st) return st;
  if (c->o.iters == 0) c->o.iters = 1000;
  if (c->o.theta_moves == 0) c->o.theta_moves = 1;
  if (!pg) c->o.naddrs = 0;
  size_t d = (size_t)m->dim, D = (size_t)c->o.iters;
  out->dim = m->dim, out->iters = c->o.iters, out->naddrs = c->o.naddrs;
  out->theta = malloc(d * D * sizeof(double) + 1);
  out->log_ml = malloc(D * sizeof(double) + 1);
  out->states = c->o.naddrs ? malloc((size_t)c->o.naddrs * D * sizeof(double)) : NULL;
  c->theta = malloc(2 * d * sizeof(double));
  if (!out->theta || !out->log_ml || (c->o.naddrs && !out->states) || !c->theta)
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: out of memory for %zu iterations", c->fn, D);
  c->prop = c->theta + d;
  memcpy(c->theta, c->o.theta0, d * sizeof(double));
  c->lp = m->log_prior(c->theta, m->user);
  if (!(c->lp > -INFINITY) || isnan(c->lp))
    return genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                         "%s: '%s': the log prior at theta0 is %g; start where it is finite", c->fn,
                         genc_gf_name(m->model), c->lp);
  return GENC_OK;
}

/* prop = theta + scale * eps from the host stream of @p key; returns its log prior. */
static double propose(const pm_chain *c, genc_key key) {
  genc_host_rng rng = genc_host_rng_new(key);
  for (int j = 0; j < c->m->dim; j++)
    c->prop[j] = c->theta[j] + c->o.scale[j] * genc_host_rng_normal(&rng);
  double lp = c->m->log_prior(c->prop, c->m->user);
  return isnan(lp) ? -INFINITY : lp;
}

/* Accept with probability min(1, exp(log_ratio)), by a host uniform of @p key. */
static bool accept(double log_ratio, genc_key key) {
  if (isnan(log_ratio)) return false;
  genc_host_rng rng = genc_host_rng_new(key);
  return log(genc_host_rng_uniform(&rng)) < log_ratio;
}

/* Record iteration s (s >= warmup) of the chain, and the trajectory's values. */
static genc_status record(genc_ctx *ctx, const pm_chain *c, int64_t s, double lz,
                          genc_pmcmc_result *out) {
  int64_t D = out->iters, i = s - c->o.warmup;
  if (i < 0) return GENC_OK;
  for (int j = 0; j < out->dim; j++)
    out->theta[j * D + i] = c->theta[j];
  out->log_ml[i] = lz;
  for (int p = 0; p < out->naddrs; p++) {
    double v = genc_trace_get_double(ctx, c->traj, c->o.addrs[p]);
    if (isnan(v) && genc_ctx_status(ctx)) return genc_ctx_status(ctx);
    out->states[p * D + i] = v;
  }
  return GENC_OK;
}

/* ---- PMMH ---- */

/* log Z-hat of a fresh filter at theta (NaN with the context's error). */
static double filter_log_z(genc_ctx *ctx, const pm_chain *c, const double *theta, genc_key key) {
  at_theta a = {c->m, theta};
  genc_smc_opts so = {
      .n = c->o.n, .key = key, .scheme = c->o.scheme, .ess_threshold = c->o.ess_threshold};
  genc_smc_result r;
  if (genc_smc(ctx, c->m->model, c->m->steps, step_at, &a, &so, &r)) return NAN;
  double lz = r.log_ml;
  genc_smc_result_clear(&r);
  return lz;
}

static genc_status pmmh_iter(genc_ctx *ctx, pm_chain *c, int64_t s, genc_pmcmc_result *out) {
  genc_key k[3];
  genc_key_split(genc_key_fold_in(c->o.key, (uint64_t)s), 3, k);
  double lp = propose(c, k[0]), lz = -INFINITY;
  if (lp > -INFINITY) {
    lz = filter_log_z(ctx, c, c->prop, k[1]);
    if (isnan(lz)) return genc_ctx_status(ctx);
  }
  /* lz == -inf (every particle of zero weight is an error, so only the prior) rejects */
  bool ok = lp > -INFINITY && accept(lp + lz - c->lp - c->lz, k[2]);
  if (ok) {
    memcpy(c->theta, c->prop, (size_t)c->m->dim * sizeof(double));
    c->lp = lp, c->lz = lz;
  }
  if (s >= c->o.warmup) c->acc += ok, c->tried++;
  return record(ctx, c, s, c->lz, out);
}

genc_status genc_pmmh(genc_ctx *ctx, const genc_pmcmc_model *m, const genc_pmcmc_opts *opts,
                      genc_pmcmc_result *out) {
  if (!ctx) return GENC_ERR_ARG;
  if (!out) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_pmmh: out is NULL");
  pm_chain c = {.fn = "genc_pmmh"};
  genc_status st = start(ctx, &c, m, opts, out, false);
  if (!st) {
    c.lz = filter_log_z(ctx, &c, c.theta, genc_key_fold_in(c.o.key, UINT64_MAX));
    if (isnan(c.lz)) st = genc_ctx_status(ctx);
  }
  for (int64_t s = 0; !st && s < c.o.warmup + c.o.iters; s++) {
    int64_t mark = genc_scope_begin(ctx);
    st = pmmh_iter(ctx, &c, s, out);
    genc_scope_end(ctx, mark);
  }
  if (!st) out->accept_rate = c.tried ? (double)c.acc / (double)c.tried : 0;
  free(c.theta);
  if (st) genc_pmcmc_result_clear(out);
  return st;
}

/* ---- particle Gibbs ---- */

/* The trajectory updated to theta' = c->prop: the trace at step T-1's
 * arguments (argument diffs unknown); its weight is log p(x, y | theta') -
 * log p(x, y | theta). */
static genc_trace *retheta(genc_ctx *ctx, const pm_chain *c, genc_key key, double *w) {
  genc_array *args[GENC_GF_MAX_ARGS + 1] = {0};
  genc_argdiff diffs[GENC_GF_MAX_ARGS + 1];
  genc_choicemap *obs = NULL;
  int nargs = genc_gf_nargs(c->m->model);
  genc_status st = c->m->step(ctx, c->m->steps - 1, c->prop, args, diffs, &obs, c->m->user);
  genc_choicemap_free(obs); /* the trajectory holds the observations already */
  for (int i = 0; i < nargs; i++)
    diffs[i] = genc_unknown();
  genc_array *lw = NULL;
  genc_trace *next = st ? NULL : genc_gf_update(ctx, c->traj, args, diffs, NULL, key, &lw, NULL);
  if (next && genc_array_item(ctx, lw, w)) genc_trace_release(next), next = NULL;
  return next;
}

/* opts->theta_moves random-walk MH moves on theta given the trajectory. */
static genc_status theta_moves(genc_ctx *ctx, pm_chain *c, int64_t s, genc_key key) {
  for (int i = 0; i < c->o.theta_moves; i++) {
    genc_key k[3];
    genc_key_split(genc_key_fold_in(key, (uint64_t)i), 3, k);
    double lp = propose(c, k[0]), w = 0;
    genc_trace *next = NULL;
    if (lp > -INFINITY && !(next = retheta(ctx, c, k[1], &w))) return genc_ctx_status(ctx);
    bool ok = next && accept(lp - c->lp + w, k[2]);
    if (ok) {
      memcpy(c->theta, c->prop, (size_t)c->m->dim * sizeof(double));
      c->lp = lp;
      genc_trace_release(c->traj);
      c->traj = genc_trace_retain(next);
    }
    genc_trace_release(next);
    if (s >= c->o.warmup) c->acc += ok, c->tried++;
  }
  return GENC_OK;
}

/* The first trajectory: a plain filter at theta0, one particle drawn by its weights. */
static genc_status first_traj(genc_ctx *ctx, pm_chain *c) {
  at_theta a = {c->m, c->theta};
  genc_key key = genc_key_fold_in(c->o.key, UINT64_MAX);
  genc_smc_opts so = {.n = c->o.n, .key = key, .ess_threshold = c->o.ess_threshold};
  genc_smc_result r;
  genc_status st = genc_smc(ctx, c->m->model, c->m->steps, step_at, &a, &so, &r);
  if (st) return st;
  genc_host_rng rng = genc_host_rng_new(genc_key_fold_in(key, 1));
  double u = genc_host_rng_uniform(&rng), acc = 0;
  int64_t b = r.n - 1;
  for (int64_t i = 0; i < r.n; i++)
    if ((acc += exp(r.log_weights[i])) > u) {
      b = i;
      break;
    }
  c->traj = genc_trace_particle(ctx, r.trace, b);
  genc_smc_result_clear(&r);
  return c->traj ? GENC_OK : genc_ctx_status(ctx);
}

static genc_status pg_iter(genc_ctx *ctx, pm_chain *c, int64_t s, genc_pmcmc_result *out) {
  genc_key k[2];
  genc_key_split(genc_key_fold_in(c->o.key, (uint64_t)s), 2, k);
  at_theta a = {c->m, c->theta};
  const genc_choicemap *ref = genc_trace_choices(ctx, c->traj);
  genc_csmc_opts co = {.n = c->o.n,
                       .key = k[0],
                       .ess_threshold = c->o.ess_threshold,
                       .step_select = c->m->step_select ? select_at : NULL,
                       .ancestor_sampling = c->o.ancestor_sampling};
  genc_csmc_result r;
  genc_status st = ref ? genc_csmc(ctx, c->m->model, c->m->steps, step_at, &a, ref, &co, &r)
                       : genc_ctx_status(ctx);
  if (st) return st;
  genc_trace_release(c->traj);
  c->traj = genc_trace_retain(r.sample);
  double lz = r.log_ml;
  genc_csmc_result_clear(&r);
  if (c->o.theta_step) {
    int64_t acc = 0, tried = 0;
    st = c->o.theta_step(ctx, c->traj, c->theta, k[1], &acc, &tried, c->o.theta_user);
    if (!st) c->lp = c->m->log_prior(c->theta, c->m->user);
    if (s >= c->o.warmup) c->acc += acc, c->tried += tried;
  } else {
    st = theta_moves(ctx, c, s, k[1]);
  }
  return st ? st : record(ctx, c, s, lz, out);
}

genc_status genc_particle_gibbs(genc_ctx *ctx, const genc_pmcmc_model *m,
                                const genc_pmcmc_opts *opts, genc_pmcmc_result *out) {
  if (!ctx) return GENC_ERR_ARG;
  if (!out) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_particle_gibbs: out is NULL");
  pm_chain c = {.fn = "genc_particle_gibbs"};
  genc_status st = start(ctx, &c, m, opts, out, true);
  if (!st) st = first_traj(ctx, &c);
  for (int64_t s = 0; !st && s < c.o.warmup + c.o.iters; s++) {
    int64_t mark = genc_scope_begin(ctx);
    st = pg_iter(ctx, &c, s, out);
    genc_scope_end(ctx, mark);
  }
  if (!st) {
    out->accept_rate = c.tried ? (double)c.acc / (double)c.tried : 0;
    out->trace = c.traj, c.traj = NULL;
  }
  genc_trace_release(c.traj);
  free(c.theta);
  if (st) genc_pmcmc_result_clear(out);
  return st;
}
