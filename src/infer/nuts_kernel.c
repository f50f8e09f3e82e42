/*
 * NUTS as an MCMC kernel over a selection of continuous addresses of a trace,
 * the other choices held fixed (genc_logdensity_of_trace, as genc_kernel_hmc
 * in hmc_kernel.c), with a fixed step size and a diagonal or dense metric. One
 * application is one NUTS transition per chain (Stan's, the resumable
 * transition of nuts_step.c). The chains of a batched trace build their own
 * trees in lock-step as genc_nuts_lockstep does: a round advances every chain
 * to its next leapfrog evaluation and evaluates them with one batched run of
 * the model. The density of a batched trace must be evaluated at exactly n
 * points (particle i's other choices are its observations), so a round also
 * re-evaluates the points of chains that are done or not waiting and ignores
 * those values. Chain i draws from genc_key_particle(key, i) (a single trace:
 * from key), so it is the single run with that key. The draws go back into
 * the trace with one genc_gf_update.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "genc/infer.h"
#include "infer/grad_kernel.h"
#include "infer/nuts_step.h"

typedef struct nk {
  genc__gk g;
  int max_depth;
  int dense; /* g.inv_metric is dim x dim */
} nk;

static void nk_free(void *user) {
  nk *h = user;
  if (!h) return;
  genc__gk_clear(&h->g);
  free(h);
}

/* One application's work space over np chains of dim values. */
typedef struct ws {
  int64_t n, np, dim;                           /* n: the particle count (0: one trace) */
  double *q, *q0, *lp, *g, *metric, *acc, *one; /* q0: the start */
  genc__nuts *s;
  genc__step *t;
  int *busy;
} ws;

static void ws_free(ws *w) {
  for (int64_t c = 0; w->s && c < w->np; c++)
    if (w->s[c].q) genc__nuts_free(&w->s[c]);
  free(w->q), free(w->s), free(w->t), free(w->busy);
}

static genc_status ws_alloc(genc_ctx *ctx, const nk *h, ws *w) {
  size_t nd = (size_t)(w->np * w->dim), np = (size_t)w->np;
  size_t nm = (size_t)w->dim * (h->dense ? (size_t)w->dim : 1);
  w->q = malloc((3 * nd + nm + 3 * np) * sizeof(double));
  w->s = calloc(np, sizeof *w->s);
  w->t = calloc(np, sizeof *w->t);
  w->busy = calloc(np, sizeof *w->busy);
  if (!w->q || !w->s || !w->t || !w->busy)
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_kernel_nuts: no memory");
  w->g = w->q + nd, w->q0 = w->g + nd, w->metric = w->q0 + nd, w->lp = w->metric + nm;
  w->acc = w->lp + np, w->one = w->acc + np;
  for (size_t i = 0; i < nm; i++)
    w->metric[i] = h->g.inv_metric ? h->g.inv_metric[i] : 1.0;
  if (h->dense) return genc__nuts_check_metric(ctx, "genc_kernel_nuts", (int)w->dim, 1, w->metric);
  return GENC_OK;
}

/* lp and grad at the np points w->q: one (batched) run of the model. A
 * failed run is a point of probability zero for every chain, as in
 * genc_kernel_hmc; only NOMEM is returned. */
static genc_status eval(genc_ctx *ctx, genc_logdensity *ld, ws *w) {
  genc_status st = w->n ? genc_logdensity_eval_batch(ctx, ld, w->n, w->q, w->lp, w->g)
                        : genc_logdensity_eval(ctx, ld, w->q, w->lp, w->g);
  if (st == GENC_ERR_NOMEM) return st;
  if (st) genc_ctx_clear_error(ctx);
  for (int64_t c = 0; c < w->np; c++)
    if (st || !isfinite(w->lp[c])) {
      w->lp[c] = -INFINITY;
      memset(w->g + c * w->dim, 0, (size_t)w->dim * sizeof(double));
    }
  return GENC_OK;
}

/* Each chain's sampler at its start w->q (lp and grad evaluated). */
static genc_status chains_start(genc_ctx *ctx, const nk *h, ws *w, genc_key key) {
  size_t b = (size_t)w->dim * sizeof(double);
  for (int64_t c = 0; c < w->np; c++) {
    genc__nuts *s = &w->s[c];
    *s = (genc__nuts){.ctx = ctx,
                      .dim = (int)w->dim,
                      .max_depth = h->max_depth,
                      .inv_metric = w->metric,
                      .dense = h->dense,
                      .eps = h->g.eps};
    genc_status st = genc__nuts_init(s);
    if (!st) st = genc__nuts_set_metric(s, "genc_kernel_nuts");
    if (st) return st;
    memcpy(s->q, w->q + c * w->dim, b), memcpy(s->g, w->g + c * w->dim, b);
    s->lp = w->lp[c];
    s->rng = genc_host_rng_new(w->n ? genc_key_particle(key, (uint32_t)c) : key);
    genc__step_start(&w->t[c], s);
    w->busy[c] = 1;
  }
  return GENC_OK;
}

/* Rounds until every chain's transition is over; w->q then holds the draws. */
static genc_status rounds(genc_ctx *ctx, genc_logdensity *ld, ws *w) {
  size_t b = (size_t)w->dim * sizeof(double);
  for (;;) {
    int waiting = 0;
    for (int64_t c = 0; c < w->np; c++) {
      if (w->busy[c]) w->busy[c] = genc__step_run(&w->t[c]);
      waiting += w->busy[c];
      memcpy(w->q + c * w->dim, w->s[c].q, b);
    }
    if (!waiting) return GENC_OK;
    genc_status st = eval(ctx, ld, w);
    if (st) return st;
    for (int64_t c = 0; c < w->np; c++)
      if (w->busy[c]) {
        w->s[c].lp = w->lp[c];
        memcpy(w->s[c].g, w->g + c * w->dim, b);
      }
  }
}

/* The start's lp must be finite for every chain. */
static genc_status check_start(genc_ctx *ctx, const nk *h, const genc_trace *t, const ws *w) {
  for (int64_t c = 0; c < w->np; c++)
    if (w->lp[c] == -INFINITY)
      return genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                           "genc_kernel_nuts: chain %lld of %s starts where the log density of "
                           "the selection (%s, ...) is not finite",
                           (long long)c, genc_gf_name(genc_trace_gf(t)), h->g.addr[0]);
  return GENC_OK;
}

static genc_status transitions(genc_ctx *ctx, const nk *h, const genc_trace *t, genc_logdensity *ld,
                               ws *w, genc_key key) {
  genc_status st = ws_alloc(ctx, h, w);
  if (!st) st = genc_logdensity_unconstrain(ctx, ld, t, w->q);
  if (!st) st = eval(ctx, ld, w);
  if (!st) st = check_start(ctx, h, t, w);
  if (!st) st = chains_start(ctx, h, w, key);
  if (!st) memcpy(w->q0, w->q, (size_t)(w->np * w->dim) * sizeof(double));
  if (!st) st = rounds(ctx, ld, w);
  /* NUTS has no accept step: a chain counts as accepted when it moved */
  for (int64_t c = 0; !st && c < w->np; c++) {
    size_t b = (size_t)w->dim * sizeof(double);
    w->acc[c] = memcmp(w->q + c * w->dim, w->q0 + c * w->dim, b) != 0, w->one[c] = 1;
  }
  return st;
}

static genc_trace *nuts_apply(genc_ctx *ctx, const genc_trace *t, genc_key key, int64_t step,
                              genc_array **accepted, genc_array **proposed, void *user) {
  (void)step;
  const nk *h = user;
  genc_logdensity *ld =
      genc_logdensity_of_trace(ctx, t, h->g.naddr, (const char *const *)h->g.addr);
  if (!ld) return NULL;
  ws w = {.n = genc_trace_nparticles(t), .dim = genc_logdensity_dim(ld)};
  w.np = w.n ? w.n : 1;
  genc_status st = GENC_OK;
  if (h->g.inv_metric && h->g.metric_dim != (h->dense ? w.dim * w.dim : w.dim))
    st = genc_ctx_fail(ctx, GENC_ERR_ARG,
                       "genc_kernel_nuts: the inverse metric has %lld values, the selection of "
                       "%s (%d addresses) has %lld unconstrained dimensions",
                       (long long)h->g.metric_dim, genc_gf_name(genc_trace_gf(t)), h->g.naddr,
                       (long long)w.dim);
  if (!st) st = transitions(ctx, h, t, ld, &w, key);
  genc_choicemap *cm = st ? NULL : genc_logdensity_choicemap(ctx, ld, w.n, w.q);
  genc_trace *out = cm ? genc_gf_update(ctx, t, NULL, NULL, cm, key, NULL, NULL) : NULL;
  if (out && accepted) *accepted = genc_array_from(ctx, GENC_F64, 0, NULL, w.n, w.acc);
  if (out && proposed) *proposed = genc_array_from(ctx, GENC_F64, 0, NULL, w.n, w.one);
  genc_choicemap_free(cm);
  ws_free(&w);
  genc_logdensity_free(ld);
  return out;
}

genc_kernel *genc_kernel_nuts(int naddrs, const char *const *addrs,
                              const genc_nuts_kernel_opts *opts) {
  if (!opts || opts->max_depth < 0 || opts->max_depth > 30 || (opts->dense && !opts->inv_metric))
    return NULL;
  nk *h = calloc(1, sizeof *h);
  /* a dense metric is checked when first factored, at the first application */
  if (!h || !genc__gk_init(&h->g, naddrs, addrs, opts->step_size, opts->inv_metric,
                           opts->metric_dim, !opts->dense)) {
    free(h);
    return NULL;
  }
  h->max_depth = opts->max_depth ? opts->max_depth : 10;
  h->dense = opts->dense;
  return genc_kernel_user_owned("nuts", nuts_apply, h, nk_free);
}
