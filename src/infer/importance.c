/* Importance sampling, batched: one run of the model for all particles (the
 * GFI's particle mode), with the internal proposal or a custom proposal
 * generative function. Weights follow docs/gfi.md: generate's weight is the sum
 * of the log densities of the constrained choices, so with the proposal's
 * choices constrained, w = log p(c, obs) / p(rest | ...) - log q(c). Layer 5:
 * public headers only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "genc.h"

/* The n per-particle values of a weight array (batched over n particles, or
 * shared: one value for every particle) into buf. */
static genc_status weights_out(genc_ctx *ctx, const char *what, genc_array *w, int64_t n,
                               double *buf) {
  if (!w) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_importance: no %s weight", what);
  if (genc_array_size(w) != 1)
    return genc_ctx_fail(ctx, GENC_ERR_SHAPE, "genc_importance: the %s weight is not a scalar",
                         what);
  if (!genc_array_batched(w)) {
    double v;
    genc_status st = genc_array_item(ctx, w, &v);
    for (int64_t i = 0; i < n && !st; i++)
      buf[i] = v;
    return st;
  }
  if (genc_array_nparticles(w) != n)
    return genc_ctx_fail(ctx, GENC_ERR_PARTICLE,
                         "genc_importance: the %s weight has %lld particles, expected %lld", what,
                         (long long)genc_array_nparticles(w), (long long)n);
  return genc_array_copy_out(ctx, w, buf, n);
}

/* Fill the weight summaries of r from r->log_weights (see genc_is_result). Sums
 * are compensated (Neumaier) so that a large n loses no precision. */
static void summarize(genc_is_result *r) {
  int64_t n = r->n;
  double m = -INFINITY;
  for (int64_t i = 0; i < n; i++)
    if (r->log_weights[i] > m) m = r->log_weights[i];
  if (m == -INFINITY) { /* every particle impossible */
    memset(r->weights, 0, (size_t)n * sizeof *r->weights);
    r->log_ml = -INFINITY;
    r->log_ml_se = NAN;
    r->ess = 0;
    return;
  }
  double s = 0, c = 0;
  for (int64_t i = 0; i < n; i++) {
    double u = exp(r->log_weights[i] - m), t = s + u;
    c += fabs(s) >= u ? (s - t) + u : (u - t) + s;
    s = t;
    r->weights[i] = u;
  }
  s += c;
  double mean = s / (double)n, ss = 0, sq = 0;
  for (int64_t i = 0; i < n; i++) {
    double d = r->weights[i] - mean;
    ss += d * d;
    r->weights[i] /= s;
    sq += r->weights[i] * r->weights[i];
  }
  r->log_ml = m + log(mean);
  /* delta method: se(log Z) ~= se(Z) / Z = sd(u) / (sqrt(n) mean(u)) */
  r->log_ml_se = n > 1 ? sqrt(ss / (double)(n - 1)) / (sqrt((double)n) * mean) : NAN;
  r->ess = 1.0 / sq;
}

/* The constraints of a custom-proposal run: the proposal's n-particle choices
 * (their log density into *wq) merged with obs, which must be disjoint. */
static genc_choicemap *proposal_constraints(genc_ctx *ctx, const genc_is_opts *o, int64_t n,
                                            const genc_choicemap *obs, genc_array **wq) {
  genc_choicemap *c =
      genc_gf_propose(ctx, o->proposal, o->proposal_args, genc_key_fold_in(o->key, 1), n, wq, NULL);
  if (!c) return NULL; /* the proposal's own message names it */
  genc_choicemap *all = genc_choicemap_merge(ctx, c, obs, GENC_MERGE_DISJOINT);
  genc_choicemap_free(c);
  if (!all) { /* copy the merge's message (naming the address) before replacing it */
    char why[512];
    snprintf(why, sizeof why, "%s", genc_ctx_error(ctx));
    genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                  "genc_importance: proposal %s proposes an observed choice (the proposal's "
                  "choices and the observations must be disjoint): %s",
                  genc_gf_name(o->proposal), why);
  }
  return all;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* What the prepare hook needs: the mode, when the first tile began, the
 * tiles in all. */
typedef struct prep {
  genc_compile_mode mode;
  double t0;
  int64_t tiles;
} prep;

/* The prepare hook of opts.compile: compile the captured tile's graph
 * (genc/exec.h). AUTO: in the background when the first tile's time times
 * the tiles left reaches GENC_AUTO_COMPILE_S, else only an object the disk
 * cache holds (replays then interpret). A failure is no error: the
 * interpreter replays the graph then. */
static genc_status compile_graph(genc_ctx *ctx, genc_graph *g, void *user) {
  const prep *p = user;
  bool aut = p->mode == GENC_COMPILE_AUTO;
  bool worth = (now_s() - p->t0) * (double)(p->tiles - 1) >= GENC_AUTO_COMPILE_S;
  genc_compile_opts co = {.background = aut && worth, .cached_only = aut && !worth};
  genc_status before = genc_ctx_status(ctx);
  if (genc_graph_compile(ctx, g, &co) && before == GENC_OK) genc_ctx_clear_error(ctx);
  return GENC_OK;
}

/* Run the model (after the proposal, if any) and store its trace and the n log
 * weights in r. Temporaries die in the caller's scope. */
static genc_status run(genc_ctx *ctx, genc_gf *model, genc_array *const *args,
                       const genc_choicemap *obs, const genc_is_opts *o, genc_is_result *r) {
  genc_array *wq = NULL, *wp = NULL;
  genc_choicemap *cons = NULL;
  if (o->proposal) {
    cons = proposal_constraints(ctx, o, r->n, obs, &wq);
    if (!cons) return genc_ctx_status(ctx);
  }
  genc_key key = o->proposal ? genc_key_fold_in(o->key, 2) : o->key;
  int64_t tile = genc_gf_tile(model);
  prep pr = {o->compile, now_s(), tile > 0 ? (r->n + tile - 1) / tile : 1};
  r->trace =
      o->compile != GENC_COMPILE_OFF && !cons && pr.tiles > 1 &&
              (o->compile == GENC_COMPILE_ON || genc_ctx_device(ctx) == GENC_CPU)
          ? genc_gf_generate_replayed(ctx, model, args, obs, key, r->n, &wp, compile_graph, &pr)
          : genc_gf_generate(ctx, model, args, cons ? cons : obs, key, r->n, &wp);
  genc_choicemap_free(cons);
  if (!r->trace) return genc_ctx_status(ctx);
  genc_status st = weights_out(ctx, "model", wp, r->n, r->log_weights);
  if (st || !wq) return st;
  double *q = malloc((size_t)r->n * sizeof *q);
  if (!q) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_importance: out of memory");
  st = weights_out(ctx, "proposal", wq, r->n, q);
  for (int64_t i = 0; i < r->n && !st; i++)
    r->log_weights[i] -= q[i];
  free(q);
  return st;
}

genc_status genc_importance(genc_ctx *ctx, genc_gf *model, genc_array *const *args,
                            const genc_choicemap *obs, const genc_is_opts *opts,
                            genc_is_result *out) {
  if (!ctx) return GENC_ERR_ARG;
  if (out) memset(out, 0, sizeof *out);
  if (!model || !out)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_importance: %s is NULL",
                         !model ? "the model" : "the result");
  genc_is_opts o = opts ? *opts : (genc_is_opts){0};
  if (o.compile != GENC_COMPILE_AUTO && o.compile != GENC_COMPILE_ON &&
      o.compile != GENC_COMPILE_OFF)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_importance(%s): compile = %d is not a genc_compile_mode (AUTO 0, "
                         "ON 1, OFF -1)",
                         genc_gf_name(model), (int)o.compile);
  if (o.n < 0)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_importance(%s): particle count n = %lld must be >= 1 (0: the "
                         "default %d)",
                         genc_gf_name(model), (long long)o.n, GENC_IS_DEFAULT_N);
  out->n = o.n ? o.n : GENC_IS_DEFAULT_N;
  out->log_weights = malloc((size_t)out->n * sizeof(double));
  out->weights = malloc((size_t)out->n * sizeof(double));
  genc_status st = GENC_OK;
  if (!out->log_weights || !out->weights)
    st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_importance(%s): out of memory for %lld weights",
                       genc_gf_name(model), (long long)out->n);
  if (!st) {
    int64_t mark = genc_scope_begin(ctx);
    st = run(ctx, model, args, obs, &o, out);
    genc_scope_end(ctx, mark);
  }
  if (st) {
    genc_is_result_clear(out);
    return st;
  }
  summarize(out);
  return GENC_OK;
}

void genc_is_result_clear(genc_is_result *r) {
  if (!r) return;
  genc_trace_release(r->trace);
  free(r->log_weights);
  free(r->weights);
  memset(r, 0, sizeof *r);
}
