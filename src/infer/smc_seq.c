/* Sequential SMC: genc_smc()'s particle filter over n separate single traces,
 * the baseline of vectorized SMC (issue 11).
 *
 * It mirrors genc_smc() step for step: the step keys are split from
 * fold_in(key, t) into (extend, resample, rejuvenate), particle i runs its
 * single-trace operation with genc_key_particle() of the extend key, and the
 * weights go through the same host bookkeeping (genc__smc_reweight_ws and
 * genc__smc_ancestors), so that the bootstrap filter draws what the batched
 * filter draws. Resampling only reorders trace pointers (retain the
 * ancestors, release the rest). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "genc.h"
#include "smc_internal.h"

#define FN "genc_smc_sequential"

typedef struct seq {
  genc_ctx *ctx;
  genc_gf *model;
  genc_smc_step_fn fn;
  void *user;
  genc_smc_opts o;
  genc_array **args;
  genc_argdiff *diffs;
  genc_trace **tmp;     /* n: the reordering buffer */
  double *v, *a;        /* n: incremental weights, ancestors */
  genc__resample_ws ws; /* resampling's host buffers, as genc_smc's */
} seq;

/* Extend particle i by step t (args, diffs, obs made by the step function). */
static genc_status extend_one(seq *s, genc_smc_result *r, int64_t t, int64_t i,
                              const genc_choicemap *obs, genc_key k) {
  genc_ctx *ctx = s->ctx;
  int64_t mark = genc_scope_begin(ctx);
  genc_key ki = genc_key_particle(k, (uint64_t)i);
  genc_trace *old = t ? r->traces[i] : NULL, *next;
  genc_array *lw = NULL;
  if (s->o.proposal)
    next = genc_smcp3_extend(ctx, s->model, old, s->args, s->diffs, obs, s->o.proposal, ki, 0, &lw);
  else
    next = t ? genc_gf_update(ctx, old, s->args, s->diffs, obs, ki, &lw, NULL)
             : genc_gf_generate(ctx, s->model, s->args, obs, ki, 0, &lw);
  genc_status st = next ? genc_array_copy_out(ctx, lw, &s->v[i], 1) : genc_ctx_status(ctx);
  if (next) genc_trace_release(old), r->traces[i] = next;
  genc_scope_end(ctx, mark);
  return st;
}

/* Resample by the log weights (pointer reorder), then rejuvenate each trace. */
static genc_status resample(seq *s, genc_smc_result *r, int64_t t, const genc_key *k) {
  int64_t n = r->n;
  genc_array *idx = genc__smc_ancestors(s->ctx, r->log_weights, n, n, s->o.scheme, k[0], &s->ws);
  if (!idx || genc_array_copy_out(s->ctx, idx, s->a, n)) return genc_ctx_status(s->ctx);
  for (int64_t j = 0; j < n; j++)
    s->tmp[j] = genc_trace_retain(r->traces[(int64_t)s->a[j]]);
  for (int64_t j = 0; j < n; j++) {
    genc_trace_release(r->traces[j]);
    r->traces[j] = s->tmp[j];
    r->log_weights[j] = -log((double)n);
  }
  for (int64_t j = 0; s->o.rejuvenate && j < n; j++) {
    genc_key kj = genc_key_particle(k[1], (uint64_t)j);
    genc_trace *moved = genc_kernel_apply(s->ctx, s->o.rejuvenate, r->traces[j], kj, t, NULL, NULL);
    if (!moved) return genc_ctx_status(s->ctx);
    genc_trace_release(r->traces[j]);
    r->traces[j] = moved;
  }
  return GENC_OK;
}

static genc_status step(seq *s, genc_smc_result *r, int64_t t) {
  genc_ctx *ctx = s->ctx;
  int64_t mark = genc_scope_begin(ctx);
  genc_key k[3];
  genc_key_split(genc_key_fold_in(s->o.key, (uint64_t)t), 3, k);
  int nargs = genc_gf_nargs(s->model);
  genc_choicemap *obs = NULL;
  for (int i = 0; i < nargs; i++)
    s->args[i] = NULL, s->diffs[i] = genc_unknown();
  genc_status st = s->fn(ctx, t, s->args, s->diffs, &obs, s->user);
  for (int i = 0; !st && i < nargs; i++)
    if (!s->args[i])
      st = genc_ctx_fail(ctx, GENC_ERR_ARG,
                         FN ": the step function left argument %d of '%s' NULL at step %lld", i,
                         genc_gf_name(s->model), (long long)t);
  for (int64_t i = 0; !st && i < r->n; i++)
    st = extend_one(s, r, t, i, obs, k[0]);
  genc_choicemap_free(obs);
  if (!st) {
    double lse = genc__smc_reweight_ws(r->log_weights, s->v, r->n, &r->ess[t], &s->ws);
    r->log_ml += lse;
    if (lse == -INFINITY)
      st = genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                         FN ": every particle of '%s' has weight zero at step %lld",
                         genc_gf_name(s->model), (long long)t);
  }
  double thr = s->o.ess_threshold;
  if (!st && t < r->steps - 1 && thr >= 0 && (thr >= 1 || r->ess[t] < thr * (double)r->n)) {
    st = resample(s, r, t, &k[1]);
    r->resampled[t] = true, r->nresampled++;
  }
  genc_scope_end(ctx, mark);
  return st;
}

static genc_status check(genc_ctx *ctx, genc_gf *model, int64_t steps, genc_smc_step_fn fn,
                         const genc_smc_opts *o) {
  if (!model || !fn)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": %s is NULL", model ? "step_fn" : "model");
  if (steps < 1 || o->n < 0 || o->n > INT32_MAX || isnan(o->ess_threshold))
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         FN ": '%s': need steps >= 1 (got %lld), n in [0, 2^31) (got %lld) and a "
                            "non-NaN ess_threshold",
                         genc_gf_name(model), (long long)steps, (long long)o->n);
  return GENC_OK;
}

genc_status genc_smc_sequential(genc_ctx *ctx, genc_gf *model, int64_t steps,
                                genc_smc_step_fn step_fn, void *user, const genc_smc_opts *opts,
                                genc_smc_result *out) {
  if (!ctx) return GENC_ERR_ARG;
  if (!out) return genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": out is NULL");
  memset(out, 0, sizeof *out);
  seq s = {.ctx = ctx, .model = model, .fn = step_fn, .user = user};
  s.o = opts ? *opts : (genc_smc_opts){0};
  genc_status st = check(ctx, model, steps, step_fn, &s.o);
  if (st) return st;
  if (!s.o.n) s.o.n = GENC_SMC_DEFAULT_N;
  if (!s.o.ess_threshold) s.o.ess_threshold = GENC_SMC_DEFAULT_ESS_THRESHOLD;
  size_t n = (size_t)s.o.n, na = (size_t)genc_gf_nargs(model) + 1;
  out->n = s.o.n, out->steps = steps;
  out->traces = calloc(n, sizeof *out->traces);
  out->log_weights = malloc(n * sizeof(double));
  out->ess = calloc((size_t)steps, sizeof(double));
  out->resampled = calloc((size_t)steps, sizeof(bool));
  s.args = calloc(na, sizeof *s.args), s.diffs = calloc(na, sizeof *s.diffs);
  s.tmp = calloc(n, sizeof *s.tmp);
  s.v = malloc(n * sizeof *s.v), s.a = malloc(n * sizeof *s.a);
  if (!out->traces || !out->log_weights || !out->ess || !out->resampled || !s.args || !s.diffs ||
      !s.tmp || !s.v || !s.a)
    st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, FN ": out of memory for %lld particles", (long long)n);
  if (!st) st = genc__resample_ws_reserve(ctx, &s.ws, s.o.n, s.o.n);
  for (size_t i = 0; !st && i < n; i++)
    out->log_weights[i] = -log((double)n);
  for (int64_t t = 0; !st && t < steps; t++)
    st = step(&s, out, t);
  free(s.args), free(s.diffs), free(s.tmp), free(s.v), free(s.a);
  genc__resample_ws_free(&s.ws);
  if (st) genc_smc_result_clear(out);
  return st;
}
