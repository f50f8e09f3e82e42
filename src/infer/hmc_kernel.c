/*
 * HMC (MALA with one leapfrog step) as an MCMC kernel over a selection of
 * continuous addresses of a trace, the other choices held fixed: the target
 * is the model's log density restricted to the selection
 * (genc_logdensity_of_trace: the unselected choices are observations), on the
 * unconstrained space. N chains held as one batched trace move in lock-step:
 * all chains take the same number of leapfrog steps, so every step is one
 * batched run of the model (genc_logdensity_eval_batch) and no chain waits.
 * Each chain accepts on its own energy error and draws its momentum and
 * uniform from genc_key_particle(key, i) (a single trace: from key), so
 * chain i of a batched run is the single run with genc_key_particle(key, i),
 * as for the library's other kernels. The kept values go back into the trace
 * with one genc_gf_update.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "genc/infer.h"
#include "infer/grad_kernel.h"

genc_logdensity *genc_logdensity_of_trace(genc_ctx *ctx, const genc_trace *t, int naddrs,
                                          const char *const *addrs) {
  if (!ctx) return NULL;
  if (!t || naddrs < 1 || !addrs) {
    genc_ctx_fail(ctx, GENC_ERR_ARG,
                  "genc_logdensity_of_trace: NULL trace or addresses, or naddrs = %d < 1", naddrs);
    return NULL;
  }
  genc_gf *gf = genc_trace_gf(t);
  genc_array *args[GENC_GF_MAX_ARGS] = {0};
  for (int i = 0; i < genc_gf_nargs(gf) && i < GENC_GF_MAX_ARGS; i++)
    args[i] = genc_trace_arg(t, i);
  genc_selection *sel = genc_selection_new(ctx), *rest = NULL;
  for (int a = 0; sel && a < naddrs; a++)
    if (!addrs[a] || genc_selection_add_str(ctx, sel, addrs[a])) {
      if (!addrs[a])
        genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_logdensity_of_trace: address %d is NULL", a);
      genc_selection_release(sel), sel = NULL;
    }
  const genc_choicemap *all = sel ? genc_trace_choices(ctx, t) : NULL;
  rest = all ? genc_selection_complement(ctx, sel) : NULL;
  genc_choicemap *obs = rest ? genc_choicemap_filter(ctx, all, rest) : NULL;
  genc_trace *tmpl = !obs                       ? NULL
                     : genc_trace_nparticles(t) ? genc_trace_particle(ctx, t, 0)
                                                : genc_trace_retain((genc_trace *)t);
  genc_logdensity *ld = tmpl ? genc_logdensity_new(ctx, gf, args, obs, naddrs, addrs, tmpl) : NULL;
  genc_trace_release(tmpl);
  genc_choicemap_free(obs);
  genc_selection_release(rest);
  genc_selection_release(sel);
  return ld;
}

typedef struct hk {
  genc__gk g;
  int nleap;
} hk;

static void hk_free(void *user) {
  hk *h = user;
  if (!h) return;
  genc__gk_clear(&h->g);
  free(h);
}

/* The work space of one application over np chains of dim values. */
typedef struct ws {
  int64_t n, np, dim; /* n: the particle count (0: one trace) */
  double *q0, *g0, *lp0, *q, *p, *g, *lp, *h0, *acc, *one;
} ws;

static genc_status ws_alloc(genc_ctx *ctx, ws *w) {
  size_t nd = (size_t)(w->np * w->dim), np = (size_t)w->np;
  w->q0 = malloc((5 * nd + 5 * np) * sizeof(double));
  if (!w->q0) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_kernel_hmc: no memory");
  w->g0 = w->q0 + nd, w->q = w->g0 + nd, w->p = w->q + nd, w->g = w->p + nd;
  w->lp0 = w->g + nd, w->lp = w->lp0 + np, w->h0 = w->lp + np, w->acc = w->h0 + np;
  w->one = w->acc + np;
  return GENC_OK;
}

/* lp and grad at the np points: one (batched) run of the model. A failed run
 * is a point of probability zero for every chain (all reject), as a failed
 * evaluation is inside NUTS's trajectories; only NOMEM is returned. */
static genc_status eval(genc_ctx *ctx, genc_logdensity *ld, const ws *w, const double *q,
                        double *lp, double *g) {
  genc_status st = w->n ? genc_logdensity_eval_batch(ctx, ld, w->n, q, lp, g)
                        : genc_logdensity_eval(ctx, ld, q, lp, g);
  if (st == GENC_ERR_NOMEM) return st;
  if (st) genc_ctx_clear_error(ctx);
  for (int64_t c = 0; c < w->np; c++)
    if (st || !isfinite(lp[c])) {
      lp[c] = -INFINITY;
      memset(g + c * w->dim, 0, (size_t)w->dim * sizeof(double));
    }
  return GENC_OK;
}

static double kinetic(const hk *h, const double *p, int64_t dim) {
  double k = 0;
  for (int64_t i = 0; i < dim; i++)
    k += (h->g.inv_metric ? h->g.inv_metric[i] : 1.0) * p[i] * p[i];
  return 0.5 * k;
}

/* Momenta, L leapfrog steps of every chain in lock-step, then each chain's
 * accept test; w->q holds the kept points. */
static genc_status trajectories(genc_ctx *ctx, const hk *h, genc_logdensity *ld, ws *w,
                                genc_key key) {
  int64_t d = w->dim;
  genc_host_rng *rng = malloc((size_t)w->np * sizeof *rng);
  if (!rng) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_kernel_hmc: no memory");
  for (int64_t c = 0; c < w->np; c++) {
    rng[c] = genc_host_rng_new(w->n ? genc_key_particle(key, (uint32_t)c) : key);
    for (int64_t i = 0; i < d; i++)
      w->p[c * d + i] =
          genc_host_rng_normal(&rng[c]) / sqrt(h->g.inv_metric ? h->g.inv_metric[i] : 1.0);
    w->h0[c] = kinetic(h, w->p + c * d, d) - w->lp0[c];
  }
  memcpy(w->q, w->q0, (size_t)(w->np * d) * sizeof(double));
  memcpy(w->g, w->g0, (size_t)(w->np * d) * sizeof(double));
  genc_status st = GENC_OK;
  for (int l = 0; !st && l < h->nleap; l++) {
    for (int64_t k = 0; k < w->np * d; k++) {
      w->p[k] += 0.5 * h->g.eps * w->g[k];
      w->q[k] += h->g.eps * (h->g.inv_metric ? h->g.inv_metric[k % d] : 1.0) * w->p[k];
    }
    st = eval(ctx, ld, w, w->q, w->lp, w->g);
    for (int64_t k = 0; k < w->np * d; k++)
      w->p[k] += 0.5 * h->g.eps * w->g[k];
  }
  for (int64_t c = 0; !st && c < w->np; c++) {
    double dh = w->h0[c] - (kinetic(h, w->p + c * d, d) - w->lp[c]); /* NaN: reject */
    w->acc[c] = genc_host_rng_uniform(&rng[c]) < exp(dh);
    w->one[c] = 1;
    if (!w->acc[c]) memcpy(w->q + c * d, w->q0 + c * d, (size_t)d * sizeof(double));
  }
  free(rng);
  return st;
}

static genc_trace *hmc_apply(genc_ctx *ctx, const genc_trace *t, genc_key key, int64_t step,
                             genc_array **accepted, genc_array **proposed, void *user) {
  (void)step;
  const hk *h = user;
  genc_logdensity *ld =
      genc_logdensity_of_trace(ctx, t, h->g.naddr, (const char *const *)h->g.addr);
  if (!ld) return NULL;
  ws w = {.n = genc_trace_nparticles(t), .dim = genc_logdensity_dim(ld)};
  w.np = w.n ? w.n : 1;
  genc_status st = GENC_OK;
  if (h->g.inv_metric && h->g.metric_dim != w.dim)
    st = genc_ctx_fail(ctx, GENC_ERR_ARG,
                       "genc_kernel_hmc: the inverse metric has %lld values, the selection of "
                       "%s (%d addresses) has %lld unconstrained dimensions",
                       (long long)h->g.metric_dim, genc_gf_name(genc_trace_gf(t)), h->g.naddr,
                       (long long)w.dim);
  if (!st) st = ws_alloc(ctx, &w);
  if (!st) st = genc_logdensity_unconstrain(ctx, ld, t, w.q0);
  if (!st && !(st = eval(ctx, ld, &w, w.q0, w.lp0, w.g0)))
    for (int64_t c = 0; c < w.np && !st; c++)
      if (w.lp0[c] == -INFINITY)
        st = genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                           "genc_kernel_hmc: chain %lld of %s starts where the log density of "
                           "the selection (%s, ...) is not finite",
                           (long long)c, genc_gf_name(genc_trace_gf(t)), h->g.addr[0]);
  if (!st) st = trajectories(ctx, h, ld, &w, key);
  genc_choicemap *cm = st ? NULL : genc_logdensity_choicemap(ctx, ld, w.n, w.q);
  genc_trace *out = cm ? genc_gf_update(ctx, t, NULL, NULL, cm, key, NULL, NULL) : NULL;
  if (out && accepted) *accepted = genc_array_from(ctx, GENC_F64, 0, NULL, w.n, w.acc);
  if (out && proposed) *proposed = genc_array_from(ctx, GENC_F64, 0, NULL, w.n, w.one);
  genc_choicemap_free(cm);
  free(w.q0);
  genc_logdensity_free(ld);
  return out;
}

genc_kernel *genc_kernel_hmc(int naddrs, const char *const *addrs,
                             const genc_hmc_kernel_opts *opts) {
  if (!opts || opts->nleapfrog < 0) return NULL;
  hk *h = calloc(1, sizeof *h);
  if (!h || !genc__gk_init(&h->g, naddrs, addrs, opts->step_size, opts->inv_metric,
                           opts->metric_dim, true)) {
    free(h);
    return NULL;
  }
  h->nleap = opts->nleapfrog ? opts->nleapfrog : 1;
  return genc_kernel_user_owned(h->nleap == 1 ? "mala" : "hmc", hmc_apply, h, hk_free);
}
