/*
 * genc_nuts_lockstep: N NUTS chains whose leapfrog evaluations run as one
 * batch, as NumPyro's vectorized chains: each chain builds its own tree with
 * the resumable transition of nuts_step.c; a round advances every unfinished
 * chain to its next evaluation and evaluates all of those points with one
 * call of the batched density. A chain whose transition ends starts its next
 * iteration in the same round (its warmup adaptation is its own), so the
 * batch stays full until chains run out of iterations; finished chains wait.
 * Each chain runs genc_nuts's driver step for step (initial point, step size
 * heuristic, dual averaging, metric windows, keys folded by iteration) with
 * the key genc_key_fold_in(opts->key, c): chain c equals
 * genc_nuts_chains's chain c whenever the batch evaluates a point as the
 * single callback would. The initial point, the step size heuristics and the
 * rare evaluations outside transitions go through the batch one point at a
 * time.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "infer/nuts_step.h"

static double now_seconds(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The batched density at one point, as the chains' genc_lp_grad_fn. */
typedef struct one {
  genc_lp_grad_batch_fn fn;
  void *user;
} one;

static genc_status eval_one(void *user, const double *theta, int dim, double *lp, double *grad) {
  const one *o = user;
  return o->fn(o->user, 1, theta, dim, lp, grad);
}

/* One chain: genc_nuts's driver state (nuts.h) and where its iteration stands. */
typedef struct chain {
  genc__nuts_chain nc;
  genc__step step;
  int64_t it; /* the iteration under way */
  double eps; /* its step size */
  int busy;   /* a transition is under way */
  double t0;  /* when the current phase (warmup, sampling) began */
} chain;

/* Run chain c until it needs an evaluation (1), or has run all its
 * iterations (0); *done counts the iterations completed. The iteration's
 * steps are run_chain's in nuts_run.c. */
static int chain_advance(chain *c, int64_t *done, genc_status *st) {
  const genc_nuts_opts *o = &c->nc.o;
  genc__nuts *s = &c->nc.s;
  int64_t total = o->warmup + o->samples;
  for (;;) {
    if (!c->busy) {
      if (c->it == total) return 0;
      s->rng = genc_host_rng_new(genc_key_fold_in(o->key, (uint64_t)c->it));
      c->eps = s->eps;
      genc__step_start(&c->step, s);
      c->busy = 1;
    }
    if (genc__step_run(&c->step)) return 1;
    c->busy = 0;
    if ((*st = genc__nuts_chain_after(&c->nc, c->it, c->eps))) return 0;
    if (c->it == o->warmup - 1) {
      c->nc.out->warmup_seconds = now_seconds() - c->t0;
      c->t0 = now_seconds();
    }
    if (++c->it == total) {
      c->nc.out->sampling_seconds = now_seconds() - c->t0;
      c->nc.out->stepsize = s->eps;
    }
    ++*done;
  }
}

/* ---- the rounds ---- */

typedef struct batch {
  int n, dim;
  int *who;
  double *theta, *lp, *grad;
} batch;

static genc_status run_rounds(genc_ctx *ctx, genc_lp_grad_batch_fn fn, void *user, chain *cs,
                              int nchains, const genc_nuts_opts *o, batch *b) {
  int64_t done = 0, total = (o->warmup + o->samples) * nchains, reported = 0;
  for (;;) {
    genc_status st = GENC_OK;
    b->n = 0;
    for (int c = 0; c < nchains && !st; c++)
      if (chain_advance(&cs[c], &done, &st)) b->who[b->n++] = c;
    if (st) return st;
    int report = done / o->progress_every > reported / o->progress_every ||
                 (done == total && reported < total);
    if (o->progress && report) {
      reported = done;
      if (o->progress(done, total, o->progress_user))
        return genc_ctx_fail(ctx, GENC_ERR_ARG,
                             "genc_nuts_lockstep: stopped by the progress callback after %lld of "
                             "%lld chain iterations",
                             (long long)done, (long long)total);
    }
    if (!b->n) return GENC_OK;
    size_t d = (size_t)b->dim;
    for (int k = 0; k < b->n; k++)
      memcpy(b->theta + k * d, cs[b->who[k]].nc.s.q, d * sizeof(double));
    if ((st = fn(user, b->n, b->theta, b->dim, b->lp, b->grad))) {
      if (!genc_ctx_status(ctx))
        genc_ctx_fail(ctx, st, "genc_nuts_lockstep: the batched log density failed (status %d)",
                      (int)st);
      return st;
    }
    for (int k = 0; k < b->n; k++) {
      genc__nuts *s = &cs[b->who[k]].nc.s;
      s->lp = b->lp[k];
      memcpy(s->g, b->grad + k * d, d * sizeof(double));
    }
  }
}

genc_status genc_nuts_lockstep(genc_ctx *ctx, genc_lp_grad_batch_fn fn, void *user, int dim,
                               int nchains, const genc_nuts_opts *opts, genc_nuts_result *out) {
  if (!ctx) return GENC_ERR_ARG;
  if (!fn || !out || nchains < 1)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_nuts_lockstep: NULL density or results, or nchains = %d < 1",
                         nchains);
  genc_nuts_opts o = opts ? *opts : (genc_nuts_opts){0};
  genc_status st = genc__nuts_fill_defaults(ctx, dim, &o);
  if (st) return st;
  memset(out, 0, (size_t)nchains * sizeof *out);
  one ev = {fn, user};
  chain *cs = calloc((size_t)nchains, sizeof *cs);
  batch b = {.dim = dim, .who = malloc((size_t)nchains * sizeof(int))};
  b.theta = malloc((2 * (size_t)dim + 1) * (size_t)nchains * sizeof(double));
  if (!cs || !b.who || !b.theta)
    st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_nuts_lockstep: no memory (%d chains)", nchains);
  else
    b.grad = b.theta + (size_t)dim * (size_t)nchains, b.lp = b.grad + (size_t)dim * (size_t)nchains;
  for (int c = 0; !st && c < nchains; c++) {
    cs[c].nc.o = o;
    cs[c].nc.o.key = genc_key_fold_in(o.key, (uint64_t)c);
    st = genc__nuts_chain_begin(&cs[c].nc, ctx, eval_one, &ev, dim, &out[c]);
    cs[c].t0 = now_seconds();
  }
  if (!st) st = run_rounds(ctx, fn, user, cs, nchains, &o, &b);
  for (int c = 0; cs && c < nchains; c++) {
    genc__nuts_chain_end(&cs[c].nc);
    if (st) genc_nuts_result_clear(&out[c]);
  }
  free(cs), free(b.who), free(b.theta);
  return st;
}
