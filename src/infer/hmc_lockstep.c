/*
 * genc_hmc_lockstep / genc_mala_lockstep: N chains of static HMC (MALA)
 * whose leapfrog evaluations run as one batch. Each chain is genc_hmc's chain
 * (hmc.c) written as a resumable state machine: it runs until its next
 * leapfrog needs the density, then waits while a round evaluates every
 * waiting chain's point with one call of the batched density. Everything
 * that evaluates the density is resumable, the step size heuristic included
 * (Stan's init_stepsize, as genc__nuts_init_stepsize in nuts_run.c), so a
 * chain makes the same arithmetic and random draws in the same order as
 * genc_hmc with the key genc_key_fold_in(key, c): it equals that run bit for
 * bit when the batch evaluates each point as the single callback would, and
 * does not depend on the number of chains. Chains run different numbers of
 * leapfrogs only in the heuristic (its doubling or halving loop); a chain
 * whose iterations are over waits.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "genc/infer.h"
#include "infer/adapt.h"
#include "infer/nuts.h"

#define HMC_DELTA 0.8
#define MALA_DELTA 0.57

/* Where a chain stands (see chain_advance). */
enum {
  P_START,
  P_ITER,
  P_LEAP,
  P_LEAP_END,
  P_ACCEPT,
  P_ADAPT_END,
  P_FINAL,
  H_LOOP,
  H_AFTER,
  P_DONE
};

typedef struct hchain {
  genc__nuts s;
  genc__dual_avg da;
  genc__var_adapt va;
  genc_hmc_result *out;
  genc_key key;
  const genc_hmc_options *o;
  const char *who; /* the public function, for messages */
  int index;       /* the chain's */
  double *keep;    /* 2 dim: the transition's starting q and g */
  double *h_q0;    /* 2 dim: the heuristic's starting q and g */
  int64_t it;      /* the iteration under way */
  int pc, ret, l;  /* state, the heuristic's return state, leapfrogs done */
  int direction;   /* the heuristic's: 0 undecided, +1 doubling, -1 halving */
  double h0, lp0;  /* the trajectory's starting energy and lp */
  double h_lp0;    /* the heuristic's starting lp */
} hchain;

static void save(const genc__nuts *s, double *q, double *g) {
  memcpy(q, s->q, (size_t)s->dim * sizeof(double));
  memcpy(g, s->g, (size_t)s->dim * sizeof(double));
}

static void restore(genc__nuts *s, const double *q, const double *g, double lp) {
  memcpy(s->q, q, (size_t)s->dim * sizeof(double));
  memcpy(s->g, g, (size_t)s->dim * sizeof(double));
  s->lp = lp;
}

/* Enter Stan's step size heuristic; it continues at @p ret. */
static int heuristic_begin(hchain *c, int ret) {
  c->ret = ret;
  if (!(c->s.eps > 0 && c->s.eps <= 1e7)) return ret;
  save(&c->s, c->h_q0, c->h_q0 + c->s.dim);
  c->h_lp0 = c->s.lp;
  c->direction = 0;
  return H_LOOP;
}

/* After the heuristic's leapfrog: decide, as genc__nuts_init_stepsize. */
static int heuristic_after(hchain *c, genc_status *st) {
  genc__nuts *s = &c->s;
  genc__nuts_kick(s, s->eps);
  double dh = c->h0 - genc__nuts_h(s);
  if (!c->direction) {
    c->direction = dh > log(0.8) ? 1 : -1;
    return H_LOOP;
  }
  if (c->direction == 1 ? !(dh > log(0.8)) : !(dh < log(0.8))) {
    restore(s, c->h_q0, c->h_q0 + s->dim, c->h_lp0);
    return c->ret;
  }
  s->eps = c->direction == 1 ? 2 * s->eps : 0.5 * s->eps;
  if (s->eps > 1e7 || s->eps == 0) {
    *st = genc_ctx_fail(s->ctx, GENC_ERR_DOMAIN,
                        "%s: chain %d: the step size heuristic reached %g: the density is %s",
                        c->who, c->index, s->eps,
                        s->eps ? "improper" : "not continuous at the current point");
    return P_DONE;
  }
  return H_LOOP;
}

/* The transition's Metropolis step (hmc.c's transition), then adaptation or
 * the draw recorded (hmc.c's chain). */
static int accept(hchain *c, genc_status *st) {
  genc__nuts *s = &c->s;
  const genc_hmc_options *o = c->o;
  double dh = c->h0 - genc__nuts_h(s);
  s->divergent = !(-dh <= o->max_energy_error);
  s->accept_stat = s->divergent ? 0.0 : dh > 0 ? 1.0 : exp(dh);
  if (!(genc_host_rng_uniform(&s->rng) < s->accept_stat))
    restore(s, c->keep, c->keep + s->dim, c->lp0);
  if (c->it < o->warmup && o->adapt) {
    s->eps = genc__dual_avg_learn(&c->da, s->accept_stat);
    if (!genc__var_adapt_learn(&c->va, s->q, c->out->metric)) return P_FINAL;
    if ((*st = genc__nuts_set_metric(s, "genc_hmc_lockstep: adapted metric"))) return P_DONE;
    return heuristic_begin(c, P_ADAPT_END);
  }
  if (c->it >= o->warmup) {
    int64_t k = c->it - o->warmup, d = s->dim;
    memcpy(c->out->draws + k * d, s->q, (size_t)d * sizeof(double));
    c->out->lp[k] = s->lp, c->out->accept[k] = s->accept_stat;
    c->out->divergent += s->divergent;
  }
  c->it++;
  return P_ITER;
}

/* Run chain c until it needs the density at s.q (1) or is over (0). */
static int chain_advance(hchain *c, genc_status *st) {
  genc__nuts *s = &c->s;
  const genc_hmc_options *o = c->o;
  for (;;)
    switch (c->pc) {
    case P_START:
      c->pc = P_ITER;
      if (o->adapt && o->warmup > 0) {
        s->rng = genc_host_rng_new(genc_key_fold_in(c->key, UINT64_MAX - 1));
        c->pc = heuristic_begin(c, P_ITER);
      }
      break;
    case P_ITER:
      if (c->it == o->warmup + o->samples) {
        c->out->step_size = s->eps;
        c->pc = P_DONE;
        break;
      }
      s->rng = genc_host_rng_new(genc_key_fold_in(c->key, (uint64_t)c->it));
      c->lp0 = s->lp;
      save(s, c->keep, c->keep + s->dim);
      genc__nuts_sample_p(s);
      c->h0 = genc__nuts_h(s);
      c->l = 0;
      c->pc = P_LEAP;
      break;
    case P_LEAP:
      if (c->l < o->nleapfrog && isfinite(s->lp)) {
        genc__nuts_drift(s, s->eps);
        c->pc = P_LEAP_END;
        return 1;
      }
      c->pc = P_ACCEPT;
      break;
    case P_LEAP_END:
      genc__nuts_kick(s, s->eps);
      c->l++;
      c->pc = P_LEAP;
      break;
    case P_ACCEPT: c->pc = accept(c, st); break;
    case P_ADAPT_END:
      c->da.mu = log(10 * s->eps);
      genc__dual_avg_restart(&c->da);
      c->pc = P_FINAL;
      break;
    case P_FINAL:
      if (c->it + 1 == o->warmup) s->eps = genc__dual_avg_final(&c->da);
      c->it++;
      c->pc = P_ITER;
      break;
    case H_LOOP:
      restore(s, c->h_q0, c->h_q0 + s->dim, c->h_lp0);
      genc__nuts_sample_p(s);
      c->h0 = genc__nuts_h(s);
      genc__nuts_drift(s, s->eps);
      c->pc = H_AFTER;
      return 1;
    case H_AFTER: c->pc = heuristic_after(c, st); break;
    default: return 0;
    }
}

/* ---- the run ---- */

typedef struct batch {
  genc_lp_grad_batch_fn fn;
  void *user;
  int n, dim;
  int *who;
  double *theta, *lp, *grad;
} batch;

/* The density at the waiting chains' points, one call. */
static genc_status eval_waiting(genc_ctx *ctx, batch *b, hchain *cs, const char *who) {
  size_t d = (size_t)b->dim;
  for (int k = 0; k < b->n; k++)
    memcpy(b->theta + k * d, cs[b->who[k]].s.q, d * sizeof(double));
  genc_status st = b->fn(b->user, b->n, b->theta, b->dim, b->lp, b->grad);
  if (st) {
    if (!genc_ctx_status(ctx))
      genc_ctx_fail(ctx, st, "%s: the batched log density failed (status %d)", who, (int)st);
    return st;
  }
  for (int k = 0; k < b->n; k++) {
    genc__nuts *s = &cs[b->who[k]].s;
    s->lp = b->lp[k];
    memcpy(s->g, b->grad + k * d, d * sizeof(double));
  }
  return GENC_OK;
}

static genc_status run_rounds(genc_ctx *ctx, batch *b, hchain *cs, int nchains, const char *who) {
  for (;;) {
    genc_status st = GENC_OK;
    b->n = 0;
    for (int c = 0; c < nchains && !st; c++)
      if (chain_advance(&cs[c], &st)) b->who[b->n++] = c;
    if (st || !b->n) return st;
    if ((st = eval_waiting(ctx, b, cs, who))) return st;
  }
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

/* Chain c's result arrays, sampler and adaptation, as hmc.c's run. */
static genc_status chain_begin(genc_ctx *ctx, hchain *c, int dim, const genc_hmc_options *o,
                               genc_key key, genc_hmc_result *out, const char *who) {
  int64_t n = o->samples, d = dim, nm = o->dense ? d * d : d;
  c->o = o, c->key = key, c->out = out, c->pc = P_START, c->who = who;
  out->draws = malloc((size_t)(n * d + 1) * sizeof(double));
  out->lp = malloc((size_t)n * sizeof(double));
  out->accept = malloc((size_t)n * sizeof(double));
  out->metric = malloc((size_t)(nm + 1) * sizeof(double));
  c->keep = malloc(4 * (size_t)d * sizeof(double));
  if (!out->draws || !out->lp || !out->accept || !out->metric || !c->keep)
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory (%lld draws of dim %lld)", who,
                         (long long)n, (long long)d);
  c->h_q0 = c->keep + 2 * d;
  for (int64_t i = 0; i < nm; i++)
    out->metric[i] = o->inv_metric ? o->inv_metric[i] : !o->dense || i % (d + 1) == 0;
  out->ndraws = n, out->dim = d;
  c->s = (genc__nuts){
      .ctx = ctx, .dim = dim, .inv_metric = out->metric, .dense = o->dense, .eps = o->step_size};
  c->da = (genc__dual_avg){.mu = log(10 * o->step_size),
                           .delta = o->delta,
                           .gamma = o->gamma,
                           .kappa = o->kappa,
                           .t0 = o->t0};
  genc_status st = genc__nuts_init(&c->s);
  if (!st) st = genc__nuts_set_metric(&c->s, who);
  if (!st && (o->dense ? genc__var_adapt_init_dense
                       : genc__var_adapt_init)(&c->va, dim, o->adapt ? o->warmup : 0,
                                               o->init_buffer, o->term_buffer, o->base_window))
    st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory", who);
  return st;
}

static void chain_end(hchain *c) {
  genc__var_adapt_free(&c->va);
  if (c->s.q) genc__nuts_free(&c->s);
  free(c->keep);
}

/* The initial points, one call; each must have a finite density. */
static genc_status start(genc_ctx *ctx, batch *b, hchain *cs, int nchains, const double *init,
                         const char *who) {
  b->n = nchains;
  for (int c = 0; c < nchains; c++) {
    b->who[c] = c;
    memcpy(cs[c].s.q, init + (size_t)c * (size_t)b->dim, (size_t)b->dim * sizeof(double));
  }
  genc_status st = eval_waiting(ctx, b, cs, who);
  for (int c = 0; !st && c < nchains; c++)
    if (!isfinite(cs[c].s.lp))
      st = genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                         "%s: the log density of chain %d's initial point is %g, not finite", who,
                         c, cs[c].s.lp);
  return st;
}

static genc_status run(genc_ctx *ctx, genc_lp_grad_batch_fn fn, void *user, int dim, int nchains,
                       const double *init, const genc_hmc_options *opt, genc_key key,
                       genc_hmc_result *out, int nleap, const char *who) {
  if (!ctx) return GENC_ERR_ARG;
  if (!fn || !init || !out || nchains < 1 || dim < 1)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "%s: NULL density, initial points or results, or nchains %d / dim %d < 1",
                         who, nchains, dim);
  memset(out, 0, (size_t)nchains * sizeof *out);
  genc_hmc_options o = opt ? *opt : genc_hmc_options_default();
  if (nleap) o.nleapfrog = nleap;
  if (o.delta == 0) o.delta = nleap == 1 ? MALA_DELTA : HMC_DELTA;
  genc_status st = check_opts(ctx, &o, who);
  if (!st && o.inv_metric) st = genc__nuts_check_metric(ctx, who, dim, o.dense, o.inv_metric);
  if (st) return st;
  hchain *cs = calloc((size_t)nchains, sizeof *cs);
  size_t nd = (size_t)nchains * (size_t)dim;
  batch b = {.fn = fn, .user = user, .dim = dim, .who = malloc((size_t)nchains * sizeof(int))};
  b.theta = malloc((2 * nd + (size_t)nchains) * sizeof(double));
  if (!cs || !b.who || !b.theta)
    st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory (%d chains)", who, nchains);
  else
    b.grad = b.theta + nd, b.lp = b.grad + nd;
  for (int c = 0; !st && c < nchains; c++) {
    cs[c].index = c;
    st = chain_begin(ctx, &cs[c], dim, &o, genc_key_fold_in(key, (uint64_t)c), &out[c], who);
  }
  if (!st) st = start(ctx, &b, cs, nchains, init, who);
  if (!st) st = run_rounds(ctx, &b, cs, nchains, who);
  for (int c = 0; cs && c < nchains; c++) {
    chain_end(&cs[c]);
    if (st) genc_hmc_result_clear(&out[c]);
  }
  free(cs), free(b.who), free(b.theta);
  return st;
}

genc_status genc_hmc_lockstep(genc_ctx *ctx, genc_lp_grad_batch_fn fn, void *user, int dim,
                              int nchains, const double *init, const genc_hmc_options *opt,
                              genc_key key, genc_hmc_result *out) {
  return run(ctx, fn, user, dim, nchains, init, opt, key, out, 0, "genc_hmc_lockstep");
}

genc_status genc_mala_lockstep(genc_ctx *ctx, genc_lp_grad_batch_fn fn, void *user, int dim,
                               int nchains, const double *init, const genc_hmc_options *opt,
                               genc_key key, genc_hmc_result *out) {
  return run(ctx, fn, user, dim, nchains, init, opt, key, out, 1, "genc_mala_lockstep");
}
