/*
 * Static HMC and MALA (HMC with one leapfrog step) on a genc_logdensity, on
 * host doubles. The trajectory machinery (state, momentum, leapfrog,
 * Hamiltonian, Stan's step size heuristic, the dense metric's factor) is
 * NUTS's (nuts.h) and the warmup is adapt.c's, driven as Stan's
 * adapt_diag_e_static_hmc (adapt_dense_e_static_hmc): dual averaging of the
 * step size after every iteration; at the end of each slow window the new
 * diagonal (dense) metric, the step size heuristic again and dual averaging
 * restarted with mu = log(10 eps). The model is evaluated through
 * genc_logdensity_lp_grad(), so a failed evaluation inside a trajectory is a
 * point of probability zero: the transition is divergent and rejected.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "genc/infer.h"
#include "infer/adapt.h"
#include "infer/nuts.h"

#define HMC_DELTA 0.8   /* Stan's adapt delta */
#define MALA_DELTA 0.57 /* Roberts and Rosenthal (1998): optimal MALA acceptance */

genc_hmc_options genc_hmc_options_default(void) {
  return (genc_hmc_options){.warmup = 1000,
                            .samples = 1000,
                            .step_size = 1.0,
                            .nleapfrog = 16,
                            .dense = false,
                            .adapt = true,
                            .delta = 0.0, /* the sampler's own: HMC 0.8, MALA 0.57 */
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

/* One static HMC transition from z: L leapfrog steps, then Metropolis on the
 * energy error. A trajectory reaching lp = -inf (a failed evaluation) or an
 * energy error above max_err is divergent and rejected. Sets
 * s->accept_stat (min(1, exp(H0 - H1)), 0 when divergent) and s->divergent;
 * keep holds 2 dim doubles for the starting point. */
static genc_status transition(genc__nuts *s, int L, double max_err, double *keep) {
  size_t b = (size_t)s->dim * sizeof(double);
  double lp0 = s->lp;
  memcpy(keep, s->q, b), memcpy(keep + s->dim, s->g, b);
  genc__nuts_sample_p(s);
  double h0 = genc__nuts_h(s);
  for (int l = 0; l < L && isfinite(s->lp); l++)
    if (genc__nuts_leapfrog(s, s->eps)) return s->err;
  double dh = h0 - genc__nuts_h(s); /* -inf when lp is not finite */
  s->divergent = !(-dh <= max_err);
  s->accept_stat = s->divergent ? 0.0 : dh > 0 ? 1.0 : exp(dh);
  s->n_leapfrog = L;
  if (!(genc_host_rng_uniform(&s->rng) < s->accept_stat)) {
    memcpy(s->q, keep, b), memcpy(s->g, keep + s->dim, b);
    s->lp = lp0;
  }
  return GENC_OK;
}

/* After a warmup transition (Stan's adapt_diag_e_static_hmc::transition). */
static genc_status adapt_step(genc__nuts *s, genc__dual_avg *da, genc__var_adapt *va,
                              double *metric, double *scratch) {
  s->eps = genc__dual_avg_learn(da, s->accept_stat);
  if (!genc__var_adapt_learn(va, s->q, metric)) return GENC_OK;
  genc_status st = genc__nuts_set_metric(s, "genc_hmc/genc_mala: adapted metric");
  if (!st) st = genc__nuts_init_stepsize(s, scratch);
  da->mu = log(10 * s->eps);
  genc__dual_avg_restart(da);
  return st;
}

static genc_status check_opts(genc_ctx *ctx, const genc_hmc_options *o, const char *who) {
  if (o->warmup < 0 || o->samples < 1 || !(o->step_size > 0) || !(o->delta > 0 && o->delta < 1) ||
      o->nleapfrog < 1 || !(o->max_energy_error > 0) || !(o->gamma > 0) || !(o->t0 >= 0) ||
      !(o->kappa > 0))
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "%s: warmup %lld must be >= 0, samples %lld >= 1, step_size %g > 0, "
                         "delta %g in (0, 1), nleapfrog %d >= 1, max_energy_error %g, gamma %g, "
                         "kappa %g > 0 and t0 %g >= 0",
                         who, (long long)o->warmup, (long long)o->samples, o->step_size, o->delta,
                         o->nleapfrog, o->max_energy_error, o->gamma, o->kappa, o->t0);
  return GENC_OK;
}

/* The result's arrays; its metric the initial one (the identity unless given). */
static genc_status result_alloc(genc_ctx *ctx, int64_t d, const genc_hmc_options *o,
                                genc_hmc_result *out, const char *who) {
  int64_t n = o->samples, nm = o->dense ? d * d : d;
  out->draws = malloc((size_t)(n * d + 1) * sizeof(double));
  out->lp = malloc((size_t)n * sizeof(double));
  out->accept = malloc((size_t)n * sizeof(double));
  out->metric = malloc((size_t)(nm + 1) * sizeof(double));
  if (!out->draws || !out->lp || !out->accept || !out->metric)
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory (%lld draws of dim %lld)", who,
                         (long long)n, (long long)d);
  for (int64_t i = 0; i < nm; i++)
    out->metric[i] = o->inv_metric ? o->inv_metric[i] : !o->dense || i % (d + 1) == 0;
  out->ndraws = n, out->dim = d;
  return GENC_OK;
}

static genc_host_rng rng_of(genc_key key) { return genc_host_rng_new(key); }

static genc_status chain(genc__nuts *s, const genc_hmc_options *o, genc_key key, genc__dual_avg *da,
                         genc__var_adapt *va, genc_hmc_result *out, double *scratch) {
  int64_t d = s->dim;
  genc_status st = GENC_OK;
  if (o->adapt && o->warmup > 0) {
    s->rng = rng_of(genc_key_fold_in(key, UINT64_MAX - 1));
    st = genc__nuts_init_stepsize(s, scratch);
  }
  for (int64_t it = 0; !st && it < o->warmup + o->samples; it++) {
    s->rng = rng_of(genc_key_fold_in(key, (uint64_t)it));
    st = transition(s, o->nleapfrog, o->max_energy_error, scratch);
    if (!st && it < o->warmup && o->adapt) {
      st = adapt_step(s, da, va, out->metric, scratch);
      if (it + 1 == o->warmup) s->eps = genc__dual_avg_final(da);
    } else if (!st && it >= o->warmup) {
      int64_t k = it - o->warmup;
      memcpy(out->draws + k * d, s->q, (size_t)d * sizeof(double));
      out->lp[k] = s->lp, out->accept[k] = s->accept_stat;
      out->divergent += s->divergent;
    }
  }
  out->step_size = s->eps;
  return st;
}

static genc_status run(genc_ctx *ctx, genc_logdensity *ld, const double *init,
                       const genc_hmc_options *opt, genc_key key, genc_hmc_result *out, int nleap,
                       const char *who) {
  if (!ctx) return GENC_ERR_ARG;
  if (!ld || !init || !out)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: NULL log density, initial point or result", who);
  memset(out, 0, sizeof *out);
  genc_hmc_options o = opt ? *opt : genc_hmc_options_default();
  if (nleap) o.nleapfrog = nleap;
  if (o.delta == 0) o.delta = nleap == 1 ? MALA_DELTA : HMC_DELTA;
  genc_status st = check_opts(ctx, &o, who);
  if (st) return st;
  /* a failure at the start is the caller's error, named by check_init */
  if (genc_logdensity_check_init(ctx, ld, init)) return genc_ctx_status(ctx);
  int64_t d = genc_logdensity_dim(ld);
  if (o.inv_metric && genc__nuts_check_metric(ctx, who, (int)d, o.dense, o.inv_metric))
    return genc_ctx_status(ctx);
  genc_logdensity_fn f = {.ctx = ctx, .ld = ld};
  st = result_alloc(ctx, d, &o, out, who);
  genc__nuts s = {.ctx = ctx,
                  .fn = genc_logdensity_lp_grad,
                  .user = &f,
                  .dim = (int)d,
                  .max_depth = 0,
                  .inv_metric = out->metric,
                  .dense = o.dense,
                  .eps = o.step_size};
  genc__dual_avg da = {.mu = log(10 * o.step_size),
                       .delta = o.delta,
                       .gamma = o.gamma,
                       .kappa = o.kappa,
                       .t0 = o.t0};
  genc__var_adapt va = {0};
  double *scratch = st ? NULL : malloc(2 * (size_t)(d + 1) * sizeof(double));
  if (!st && !scratch) st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory", who);
  if (!st) st = genc__nuts_init(&s);
  if (!st) st = genc__nuts_set_metric(&s, who);
  if (!st && (o.dense ? genc__var_adapt_init_dense : genc__var_adapt_init)(
                 &va, (int)d, o.adapt ? o.warmup : 0, o.init_buffer, o.term_buffer, o.base_window))
    st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory", who);
  if (!st) {
    memcpy(s.q, init, (size_t)d * sizeof(double));
    st = genc__nuts_eval(&s);
  }
  if (!st) st = chain(&s, &o, key, &da, &va, out, scratch);
  genc__var_adapt_free(&va);
  if (s.q) genc__nuts_free(&s);
  free(scratch);
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
