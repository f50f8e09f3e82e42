/* Conditional SMC (Andrieu, Doucet and Holenstein 2010): genc_smc()'s
 * particle filter with particle 0 of the batched trace pinned to a reference
 * trajectory.
 *
 * Pinning uses the GFI only. The step first extends every particle as the
 * plain filter does (weights v, right for particles 1..n-1). An update with
 * the reference's step-t latents as (shared) constraints moves every particle
 * to the reference: its weight u_0 = log p(ref, y_t | past) - log p(own, y_t |
 * past) serves particle 0 and its discard holds every particle's own values.
 * A second update from the extended trace sets the latents to genc_where(slot
 * == 0, reference, own), moving particle 0 only. Particle 0's weight must be
 * the filter's weight at the reference, log p(ref, y_t | past) - log q(ref);
 * v_0 = log p(own, y_t | past) - log q(own), so v_0 + u_0 - log q(ref) +
 * log q(own) is it, q read by genc_gf_project() on the latents (the internal
 * proposal is the prior). Resampling keeps particle 0's ancestor at 0 and
 * draws the others multinomially from all n weights, the conditional of
 * multinomial resampling; with ancestor sampling particle 0's ancestor is
 * drawn too (ancestor()). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "genc.h"
#include "smc_internal.h"

#define FN "genc_csmc"

void genc_csmc_result_clear(genc_csmc_result *r) {
  if (!r) return;
  genc_trace_release(r->trace);
  genc_trace_release(r->sample);
  free(r->log_weights);
  memset(r, 0, sizeof *r);
}

/* What one run carries from step to step. */
typedef struct csmc_run {
  genc_gf *model;
  genc_smc_step_fn fn;
  void *user;
  const genc_choicemap *ref;
  genc_csmc_opts o;
  genc_array *slot0; /* batched 0-d bool, true at particle 0 (retained) */
  double *v, *u;     /* n incremental weights; n scratch doubles */
  genc_csmc_result *r;
} csmc_run;

/* The Unfold default of step_select: everything below address t. */
static genc_selection *unfold_select(genc_ctx *ctx, int64_t t) {
  genc_selection *s = genc_selection_new(ctx);
  if (s && genc_selection_add(ctx, s, genc_idx(t))) genc_selection_release(s), s = NULL;
  return s;
}

/* Step t's reference latents: ref at step t's selection, less the
 * addresses the observations name. NULL with an error when none remain. */
static genc_choicemap *ref_latents(genc_ctx *ctx, const csmc_run *c, int64_t t,
                                   const genc_choicemap *obs) {
  genc_selection *step =
      c->o.step_select ? c->o.step_select(ctx, t, c->user) : unfold_select(ctx, t);
  if (!step) return NULL;
  genc_selection *keep = step;
  if (obs && !genc_choicemap_is_empty(obs)) {
    genc_selection *os = genc_selection_from_choicemap(ctx, obs);
    genc_selection *nos = os ? genc_selection_complement(ctx, os) : NULL;
    keep = nos ? genc_selection_intersection(ctx, step, nos) : NULL;
    genc_selection_release(nos);
    genc_selection_release(os);
    genc_selection_release(step);
    if (!keep) return NULL;
  }
  genc_choicemap *lat = genc_choicemap_filter(ctx, c->ref, keep);
  genc_selection_release(keep);
  if (lat && genc_choicemap_is_empty(lat)) {
    genc_choicemap_free(lat);
    genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                  FN ": '%s': the reference has no latent choice at step %lld (a choice at the "
                     "step's addresses that the step's constraints do not name)",
                  genc_gf_name(c->model), (long long)t);
    return NULL;
  }
  return lat;
}

/* Per-leaf state of pin_constraints(). */
typedef struct pin_ctx {
  genc_ctx *ctx;
  const genc_choicemap *own;
  genc_array *slot0;
  genc_choicemap *out;
  int64_t t;
} pin_ctx;

static int pin_leaf(const genc_comp *path, int len, genc_array *ref, void *user) {
  pin_ctx *p = user;
  if (genc_array_batched(ref)) {
    char addr[128];
    genc_addr_format(path, len, addr, sizeof addr);
    genc_ctx_fail(p->ctx, GENC_ERR_ARG,
                  FN ": the reference value at '%s' (step %lld) is batched; give a single "
                     "trajectory's choices",
                  addr, (long long)p->t);
    return 1;
  }
  genc_array *own = genc_choicemap_get_path(p->ctx, p->own, path, len);
  genc_array *v = own ? genc_where(p->ctx, p->slot0, ref, own) : NULL;
  return !v || genc_choicemap_set_path(p->ctx, p->out, path, len, v) ? 1 : 0;
}

/* Constraints that give particle 0 the reference latents @p lat and the other
 * particles their own values @p own (a map of the same addresses). */
static genc_choicemap *pin_constraints(genc_ctx *ctx, const csmc_run *c, const genc_choicemap *own,
                                       const genc_choicemap *lat, int64_t t) {
  pin_ctx p = {ctx, own, c->slot0, genc_choicemap_new(ctx), t};
  if (p.out && !genc_choicemap_foreach(lat, pin_leaf, &p)) return p.out;
  genc_choicemap_free(p.out);
  return NULL;
}

/* Element 0 of the batched 0-d f64 array @p a (scratch of n doubles). */
static genc_status first(genc_ctx *ctx, genc_array *a, int64_t n, double *scratch, double *out) {
  if (!a) return genc_ctx_status(ctx);
  genc_status st = genc_array_copy_out(ctx, a, scratch, n);
  *out = scratch[0];
  return st;
}

/* Move particle 0 of *tr to the reference latents of step t and correct its
 * incremental weight v[0] (file comment). The particles' own values come
 * from the discard of an update that moves every particle to the reference
 * (whose weight serves particle 0), not from genc_trace_get(), which would
 * build the whole trace's choice map: three kernel runs per step, none
 * linear in t. */
static genc_status pin(genc_ctx *ctx, csmc_run *c, genc_trace **tr, int64_t t,
                       const genc_choicemap *obs, genc_key key) {
  genc_choicemap *lat = ref_latents(ctx, c, t, obs), *own = NULL, *cons = NULL;
  genc_array *u = NULL;
  genc_trace *all = lat ? genc_gf_update(ctx, *tr, NULL, NULL, lat, key, &u, &own) : NULL;
  if (all) cons = pin_constraints(ctx, c, own, lat, t);
  genc_trace *next = cons ? genc_gf_update(ctx, *tr, NULL, NULL, cons, key, NULL, NULL) : NULL;
  genc_selection *sel = next ? genc_selection_from_choicemap(ctx, lat) : NULL;
  genc_status st = sel ? GENC_OK : genc_ctx_status(ctx);
  double u0 = 0, q_own = 0, q_ref = 0;
  if (!st) st = first(ctx, u, c->r->n, c->u, &u0);
  if (!st) st = first(ctx, genc_gf_project(ctx, *tr, sel), c->r->n, c->u, &q_own);
  if (!st) st = first(ctx, genc_gf_project(ctx, next, sel), c->r->n, c->u, &q_ref);
  if (!st) {
    c->v[0] += u0 - q_ref + q_own;
    genc_trace_release(*tr);
    *tr = genc_trace_retain(next);
  }
  genc_trace_release(next);
  genc_trace_release(all);
  genc_selection_release(sel);
  genc_choicemap_free(cons);
  genc_choicemap_free(own);
  genc_choicemap_free(lat);
  return st;
}

/* Step t's inputs from the step function into args, diffs and *obs. */
static genc_status inputs(genc_ctx *ctx, const csmc_run *c, int64_t t, genc_array **args,
                          genc_argdiff *diffs, genc_choicemap **obs) {
  int nargs = genc_gf_nargs(c->model);
  for (int i = 0; i < nargs; i++)
    diffs[i] = genc_unknown();
  genc_status st = c->fn(ctx, t, args, diffs, obs, c->user);
  for (int i = 0; !st && i < nargs; i++)
    if (!args[i])
      st = genc_ctx_fail(ctx, GENC_ERR_ARG,
                         FN ": the step function left argument %d of '%s' NULL at step %lld", i,
                         genc_gf_name(c->model), (long long)t);
  return st;
}

/* Extend every particle by step t (generate or update), then pin particle 0;
 * the incremental weights go to c->v. */
static genc_status extend(genc_ctx *ctx, csmc_run *c, int64_t t, const genc_key *k) {
  genc_array *args[GENC_GF_MAX_ARGS + 1] = {0};
  genc_argdiff diffs[GENC_GF_MAX_ARGS + 1];
  genc_choicemap *obs = NULL;
  genc_trace **tr = &c->r->trace;
  genc_status st = inputs(ctx, c, t, args, diffs, &obs);
  genc_array *lw = NULL;
  genc_trace *next = st       ? NULL
                     : t == 0 ? genc_gf_generate(ctx, c->model, args, obs, k[0], c->r->n, &lw)
                              : genc_gf_update(ctx, *tr, args, diffs, obs, k[0], &lw, NULL);
  if (!st && !next) st = genc_ctx_status(ctx);
  if (!st) {
    genc_trace_release(*tr);
    *tr = next;
    st = genc_array_copy_out(ctx, lw, c->v, c->r->n);
  }
  if (!st) st = pin(ctx, c, tr, t, obs, k[1]);
  genc_choicemap_free(obs);
  return st;
}

/* The final draw: slot b with probability exp(w_b), by a host uniform. */
static int64_t draw_index(const double *w, int64_t n, genc_key key) {
  genc_host_rng rng = genc_host_rng_new(key);
  double u = genc_host_rng_uniform(&rng), acc = 0;
  for (int64_t i = 0; i < n; i++)
    if ((acc += exp(w[i])) > u) return i;
  for (int64_t i = n - 1; i > 0; i--) /* rounding left u above the sum: the last live slot */
    if (w[i] > -INFINITY) return i;
  return 0;
}

/* Ancestor sampling (Lindsten, Jordan and Schon 2014): particle 0's ancestor
 * for step t + 1, drawn with probability proportional to W_i p(ref_{t+1},
 * y_{t+1} | particle i's past), the second factor the weight of an update
 * that extends every particle by step t + 1 with the reference's latents and
 * the observations as constraints (no fresh choice: the weight is the
 * target's ratio). Exact when a step depends on the past through the previous
 * step only (a Markov model); the step function runs twice for step t + 1. */
static genc_status ancestor(genc_ctx *ctx, csmc_run *c, int64_t t, genc_key key, int32_t *a) {
  genc_array *args[GENC_GF_MAX_ARGS + 1] = {0};
  genc_argdiff diffs[GENC_GF_MAX_ARGS + 1];
  genc_choicemap *obs = NULL, *lat = NULL, *cons = NULL;
  genc_status st = inputs(ctx, c, t + 1, args, diffs, &obs);
  if (!st) lat = ref_latents(ctx, c, t + 1, obs);
  if (lat) cons = genc_choicemap_merge(ctx, obs, lat, GENC_MERGE_DISJOINT);
  genc_array *lw = NULL;
  genc_trace *ext =
      cons ? genc_gf_update(ctx, c->r->trace, args, diffs, cons, key, &lw, NULL) : NULL;
  if (!st) st = ext ? genc_array_copy_out(ctx, lw, c->u, c->r->n) : genc_ctx_status(ctx);
  if (!st) { /* log W_i + u_i, normalized, in the scratch c->v (the step is weighted) */
    double ess;
    memcpy(c->v, c->r->log_weights, (size_t)c->r->n * sizeof(double));
    bool none = genc__smc_reweight(c->v, c->u, c->r->n, &ess) == -INFINITY; /* none fits: keep 0 */
    *a = none ? 0 : (int32_t)draw_index(c->v, c->r->n, genc_key_fold_in(key, 1));
  }
  genc_trace_release(ext);
  genc_choicemap_free(cons);
  genc_choicemap_free(lat);
  genc_choicemap_free(obs);
  return st;
}

/* Resample particles 1..n-1 from all n weights (multinomial), particle 0
 * its own ancestor or, with ancestor sampling, the one ancestor() draws; the
 * weights reset to -log n. */
static genc_status resample(genc_ctx *ctx, csmc_run *c, int64_t t, genc_key key) {
  int64_t n = c->r->n;
  double *w = c->r->log_weights;
  genc_array *anc = genc_resample(ctx, w, n, n - 1, GENC_RESAMPLE_MULTINOMIAL, key);
  int32_t *idx = malloc((size_t)n * sizeof *idx);
  genc_status st = !idx   ? genc_ctx_fail(ctx, GENC_ERR_NOMEM, FN ": out of memory")
                   : !anc ? genc_ctx_status(ctx)
                          : genc_array_copy_raw(ctx, anc, idx + 1, (size_t)(n - 1) * sizeof *idx);
  genc_array *all = NULL;
  if (!st) {
    idx[0] = 0;
    if (c->o.ancestor_sampling) st = ancestor(ctx, c, t, genc_key_fold_in(key, 1), &idx[0]);
  }
  if (!st) all = genc_array_from(ctx, GENC_I32, 1, &n, 0, idx);
  genc_trace *kept = all ? genc_trace_take(ctx, c->r->trace, all) : NULL;
  free(idx);
  if (!kept) return st ? st : genc_ctx_status(ctx);
  genc_trace_release(c->r->trace);
  c->r->trace = kept;
  for (int64_t i = 0; i < n; i++)
    w[i] = -log((double)n);
  return GENC_OK;
}

/* One step in its own array scope. */
static genc_status csmc_step(genc_ctx *ctx, csmc_run *c, int64_t t) {
  int64_t mark = genc_scope_begin(ctx);
  genc_key k[3];
  genc_key_split(genc_key_fold_in(c->o.key, (uint64_t)t), 3, k);
  genc_csmc_result *r = c->r;
  genc_status st = extend(ctx, c, t, k);
  double ess = 0;
  if (!st) {
    double lse = genc__smc_reweight(r->log_weights, c->v, r->n, &ess);
    r->log_ml += lse;
    if (lse == -INFINITY)
      st = genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                         FN ": every particle of '%s' has weight zero at step %lld",
                         genc_gf_name(c->model), (long long)t);
  }
  double thr = c->o.ess_threshold;
  if (!st && t < r->steps - 1 && thr >= 0 && (thr >= 1 || ess < thr * (double)r->n)) {
    st = resample(ctx, c, t, k[2]);
    r->nresampled++;
  }
  genc_scope_end(ctx, mark);
  return st;
}

static genc_status check_args(genc_ctx *ctx, genc_gf *model, int64_t steps,
                              genc_smc_step_fn step_fn, const genc_choicemap *ref,
                              const genc_csmc_opts *o) {
  if (!model || !step_fn || !ref)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": %s is NULL",
                         !model     ? "model"
                         : !step_fn ? "step_fn"
                                    : "ref");
  const char *name = genc_gf_name(model);
  if (steps < 1)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": '%s': steps = %lld, must be >= 1", name,
                         (long long)steps);
  if (o->n < 0 || o->n == 1 || o->n > INT32_MAX)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         FN ": '%s': n = %lld particles, must be in [2, 2^31) (or 0: default)",
                         name, (long long)o->n);
  if (isnan(o->ess_threshold))
    return genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": '%s': ess_threshold is NaN", name);
  if (genc_gf_nargs(model) > GENC_GF_MAX_ARGS)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": '%s' takes too many arguments", name);
  return GENC_OK;
}

/* A batched 0-d bool over n particles, true at particle 0 only (retained). */
static genc_array *slot0_mask(genc_ctx *ctx, int64_t n) {
  bool *b = calloc((size_t)n, sizeof *b);
  if (!b) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, FN ": out of memory"), NULL;
  b[0] = true;
  int64_t mark = genc_scope_begin(ctx);
  genc_array *m = genc_array_from(ctx, GENC_BOOL, 0, NULL, n, b);
  genc_array_retain(m);
  genc_scope_end(ctx, mark);
  free(b);
  return m;
}

genc_status genc_csmc(genc_ctx *ctx, genc_gf *model, int64_t steps, genc_smc_step_fn step_fn,
                      void *user, const genc_choicemap *ref, const genc_csmc_opts *opts,
                      genc_csmc_result *out) {
  if (!ctx) return GENC_ERR_ARG;
  if (!out) return genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": out is NULL");
  memset(out, 0, sizeof *out);
  csmc_run c = {model, step_fn, user, ref, opts ? *opts : (genc_csmc_opts){0},
                NULL,  NULL,    NULL, out};
  genc_status st = check_args(ctx, model, steps, step_fn, ref, &c.o);
  if (st) return st;
  if (c.o.n == 0) c.o.n = GENC_SMC_DEFAULT_N;
  if (c.o.ess_threshold == 0) c.o.ess_threshold = GENC_SMC_DEFAULT_ESS_THRESHOLD;
  size_t n = (size_t)c.o.n;
  out->n = c.o.n, out->steps = steps;
  out->log_weights = malloc(n * sizeof(double));
  c.v = malloc(n * sizeof(double));
  c.u = malloc(n * sizeof(double));
  c.slot0 = slot0_mask(ctx, c.o.n);
  if (!out->log_weights || !c.v || !c.u)
    st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, FN ": out of memory for %zu particles", n);
  else if (!c.slot0)
    st = genc_ctx_status(ctx);
  for (size_t i = 0; !st && i < n; i++)
    out->log_weights[i] = -log((double)n);
  for (int64_t t = 0; !st && t < steps; t++)
    st = csmc_step(ctx, &c, t);
  if (!st) {
    genc_key last = genc_key_fold_in(c.o.key, (uint64_t)steps);
    out->index = draw_index(out->log_weights, out->n, last);
    out->sample = genc_trace_particle(ctx, out->trace, out->index);
    if (!out->sample) st = genc_ctx_status(ctx);
  }
  genc_array_release(c.slot0);
  free(c.v);
  free(c.u);
  if (st) genc_csmc_result_clear(out);
  return st;
}
