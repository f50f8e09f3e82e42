/* Tempered SMC / annealed importance sampling over a static model.
 *
 * The likelihood/prior split comes from the GFI: LL(x) = genc_gf_project() of
 * the observed addresses (the selection of the observation map), which is
 * the generate weight of the observations; the prior is everything else, and
 * one batched genc_gf_generate() with the observations constrained draws the
 * latents from it (the internal proposal is the prior), so at beta_0 = 0 the
 * particles are exact and equally weighted. Step k multiplies the weights by
 * p(y | x)^(beta_k - beta_{k-1}), the ratio of successive targets, adds the
 * log normalizer to log Z as genc_smc() does (so exp(log Z) stays unbiased
 * under adaptive resampling), resamples when the ESS falls below the
 * threshold, and moves the particles with genc_mh_tempered() at beta_k, which
 * leaves pi_k invariant and so changes no weight.
 *
 * The adaptive ladder picks beta_k by bisection on the conditional ESS
 * (Zhou, Johansen and Aston 2016), CESS(d) = N (sum_i W_i e^{d LL_i})^2 /
 * sum_i W_i e^{2 d LL_i}: after resampling (equal W) it is the ESS the step
 * will have, and it decreases in d. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "genc.h"
#include "smc_internal.h"

#define FN "genc_tempered_smc"

void genc_tempered_result_clear(genc_tempered_result *r) {
  if (!r) return;
  genc_trace_release(r->trace);
  free(r->betas), free(r->ess), free(r->resampled), free(r->log_weights);
  memset(r, 0, sizeof *r);
}

typedef struct tsmc {
  genc_tempered_opts o;
  genc_gf *model;
  genc_selection *obs; /* the observed addresses */
  double *ll, *v;      /* [n] log-likelihoods, increments */
  int64_t cap;         /* capacity of betas, ess, resampled */
  double acc, nacc;    /* acceptances and proposals of the MH moves */
} tsmc;

/* log(CESS(d) / N) of the increment d * LL under normalized log weights w. */
static double log_cess(const double *w, const double *ll, int64_t n, double d) {
  double m1 = -INFINITY, m2 = -INFINITY, s1 = 0, s2 = 0;
  for (int64_t i = 0; i < n; i++)
    if (ll[i] > -INFINITY) m1 = fmax(m1, w[i] + d * ll[i]), m2 = fmax(m2, w[i] + 2 * d * ll[i]);
  if (m1 == -INFINITY) return -INFINITY;
  for (int64_t i = 0; i < n; i++)
    if (ll[i] > -INFINITY) s1 += exp(w[i] + d * ll[i] - m1), s2 += exp(w[i] + 2 * d * ll[i] - m2);
  return 2 * (m1 + log(s1)) - (m2 + log(s2));
}

/* The next inverse temperature after beta: 1 if the whole rest keeps the
 * CESS at the target, else the largest d found by bisection that does (the
 * bracket's top when none does: a step must make progress). */
static double next_beta(const tsmc *p, const double *w, double beta) {
  int64_t n = p->o.n;
  double lt = log(p->o.target_cess), lo = 0, hi = 1 - beta;
  if (log_cess(w, p->ll, n, hi) >= lt) return 1;
  for (int i = 0; i < 60; i++) {
    double mid = 0.5 * (lo + hi);
    if (log_cess(w, p->ll, n, mid) >= lt)
      lo = mid;
    else
      hi = mid;
  }
  double b = beta + (lo > 0 ? lo : hi);
  return b < 1 ? b : 1;
}

static genc_status plan(genc_ctx *ctx, tsmc *p, const genc_choicemap *obs) {
  genc_tempered_opts *o = &p->o;
  const char *name = genc_gf_name(p->model);
  if (o->n < 0 || o->n > INT32_MAX)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": '%s': n = %lld particles, must be in [0, 2^31)",
                         name, (long long)o->n);
  if (o->target_cess == 0) o->target_cess = 0.5;
  if (!(o->target_cess > 0 && o->target_cess < 1) || isnan(o->ess_threshold) || o->max_steps < 0 ||
      o->nmoves < 0 || o->nbetas < 0 || o->nbetas == 1 || (o->nbetas && !o->betas))
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         FN ": '%s': need target_cess in (0, 1) (got %g), a non-NaN ess_threshold, "
                            "max_steps, nmoves >= 0, and nbetas 0 or >= 2 with betas",
                         name, o->target_cess);
  for (int k = 0; k < o->nbetas; k++) {
    double b = o->betas[k], lo = k ? o->betas[k - 1] : 0;
    bool last = k == o->nbetas - 1;
    if (!(k ? b > lo && b <= 1 : b == 0) || (last && b != 1))
      return genc_ctx_fail(
          ctx, GENC_ERR_ARG,
          FN ": '%s': betas must run 0 = b_0 < b_1 < ... < b_K = 1; betas[%d] = %g", name, k, b);
  }
  if (!o->n) o->n = GENC_SMC_DEFAULT_N;
  if (!o->ess_threshold) o->ess_threshold = GENC_SMC_DEFAULT_ESS_THRESHOLD;
  if (!o->max_steps) o->max_steps = 1000;
  if (!o->nmoves) o->nmoves = 1;
  if (o->nbetas) p->cap = o->nbetas - 1, o->max_steps = p->cap;
  p->cap = p->cap ? p->cap : 16;
  p->obs = obs ? genc_selection_from_choicemap(ctx, obs) : genc_selection_none();
  p->ll = malloc((size_t)o->n * sizeof(double));
  p->v = malloc((size_t)o->n * sizeof(double));
  if (!p->obs) return genc_ctx_status(ctx);
  if (!p->ll || !p->v) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, FN ": out of memory");
  return GENC_OK;
}

/* Room for step k in the per-step arrays. */
static genc_status grow(genc_ctx *ctx, tsmc *p, genc_tempered_result *r, int64_t k) {
  if (k < p->cap && r->betas) return GENC_OK;
  if (r->betas) p->cap *= 2;
  double *b = realloc(r->betas, (size_t)(p->cap + 1) * sizeof *b);
  if (b) r->betas = b;
  double *e = realloc(r->ess, (size_t)p->cap * sizeof *e);
  if (e) r->ess = e;
  bool *s = realloc(r->resampled, (size_t)p->cap * sizeof *s);
  if (s) r->resampled = s;
  return b && e && s ? GENC_OK : genc_ctx_fail(ctx, GENC_ERR_NOMEM, FN ": out of memory");
}

/* LL of every particle of r->trace into p->ll. */
static genc_status loglik(genc_ctx *ctx, tsmc *p, const genc_trace *t) {
  genc_array *ll = genc_gf_project(ctx, t, p->obs);
  return ll ? genc_array_copy_out(ctx, ll, p->ll, p->o.n) : genc_ctx_status(ctx);
}

/* Resample by the log weights (then reset to -log N). */
static genc_status resample(genc_ctx *ctx, tsmc *p, genc_tempered_result *r, genc_key key) {
  genc_array *idx = genc_resample(ctx, r->log_weights, p->o.n, p->o.n, p->o.scheme, key);
  genc_trace *kept = idx ? genc_trace_take(ctx, r->trace, idx) : NULL;
  if (!kept) return genc_ctx_status(ctx);
  genc_trace_release(r->trace);
  r->trace = kept;
  for (int64_t i = 0; i < p->o.n; i++)
    r->log_weights[i] = -log((double)p->o.n);
  return GENC_OK;
}

/* opts->nmoves tempered MH steps at beta. */
static genc_status mcmc(genc_ctx *ctx, tsmc *p, genc_tempered_result *r, double beta,
                        genc_key key) {
  genc_array *b = genc_scalar(ctx, beta);
  for (int64_t j = 0; b && j < p->o.nmoves; j++) {
    genc_array *acc = NULL;
    genc_trace *moved = genc_mh_tempered(ctx, r->trace, p->o.move, p->obs, b,
                                         genc_key_fold_in(key, (uint64_t)j), &acc);
    if (!moved) return genc_ctx_status(ctx);
    genc_trace_release(r->trace);
    r->trace = moved;
    if (genc_array_copy_out(ctx, acc, p->v, p->o.n)) return genc_ctx_status(ctx);
    for (int64_t i = 0; i < p->o.n; i++)
      p->acc += p->v[i];
    p->nacc += (double)p->o.n;
  }
  return b ? GENC_OK : genc_ctx_status(ctx);
}

/* Step k: reweight from beta_{k-1} to beta_k, maybe resample, move. */
static genc_status step(genc_ctx *ctx, tsmc *p, genc_tempered_result *r, int64_t k) {
  double b0 = r->betas[k], b1;
  if (p->o.nbetas)
    b1 = p->o.betas[k + 1];
  else
    b1 = k + 1 >= p->o.max_steps ? 1 : next_beta(p, r->log_weights, b0);
  for (int64_t i = 0; i < p->o.n; i++)
    p->v[i] = p->ll[i] == -INFINITY ? -INFINITY : (b1 - b0) * p->ll[i];
  double lse = genc__smc_reweight(r->log_weights, p->v, p->o.n, &r->ess[k]);
  r->log_ml += lse;
  r->betas[k + 1] = b1;
  r->steps = k + 1;
  if (lse == -INFINITY)
    return genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                         FN ": every particle of '%s' has weight zero at step %lld (beta %g)",
                         genc_gf_name(p->model), (long long)k, b1);
  genc_key ks[2];
  genc_key_split(genc_key_fold_in(p->o.key, (uint64_t)k + 1), 2, ks);
  double thr = p->o.ess_threshold;
  genc_status st = GENC_OK;
  r->resampled[k] = b1 < 1 && thr >= 0 && (thr >= 1 || r->ess[k] < thr * (double)p->o.n);
  if (r->resampled[k]) st = resample(ctx, p, r, ks[0]), r->nresampled++;
  if (!st && p->o.move) st = mcmc(ctx, p, r, b1, ks[1]);
  if (!st && (r->resampled[k] || p->o.move)) st = loglik(ctx, p, r->trace);
  return st;
}

static genc_status run(genc_ctx *ctx, tsmc *p, genc_array *const *args, const genc_choicemap *obs,
                       genc_tempered_result *r) {
  int64_t n = p->o.n;
  r->n = n;
  r->log_weights = malloc((size_t)n * sizeof(double));
  if (!r->log_weights || grow(ctx, p, r, 0))
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, FN ": out of memory");
  for (int64_t i = 0; i < n; i++)
    r->log_weights[i] = -log((double)n);
  r->betas[0] = 0;
  int64_t mark = genc_scope_begin(ctx);
  r->trace = genc_gf_generate(ctx, p->model, args, obs, genc_key_fold_in(p->o.key, 0), n, NULL);
  genc_status st = r->trace ? loglik(ctx, p, r->trace) : genc_ctx_status(ctx);
  genc_scope_end(ctx, mark);
  for (int64_t k = 0; !st && r->betas[k] < 1; k++) {
    if ((st = grow(ctx, p, r, k))) break;
    mark = genc_scope_begin(ctx);
    st = step(ctx, p, r, k);
    genc_scope_end(ctx, mark);
  }
  return st;
}

genc_status genc_tempered_smc(genc_ctx *ctx, genc_gf *model, genc_array *const *args,
                              const genc_choicemap *obs, const genc_tempered_opts *opts,
                              genc_tempered_result *out) {
  if (!ctx) return GENC_ERR_ARG;
  if (!out) return genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": out is NULL");
  memset(out, 0, sizeof *out);
  if (!model || (!args && genc_gf_nargs(model) > 0))
    return genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": %s is NULL", model ? "args" : "model");
  tsmc p = {.o = opts ? *opts : (genc_tempered_opts){0}, .model = model};
  genc_status st = plan(ctx, &p, obs);
  if (!st) st = run(ctx, &p, args, obs, out);
  out->accept_rate = p.nacc ? p.acc / p.nacc : NAN;
  genc_selection_release(p.obs);
  free(p.ll), free(p.v);
  if (st) genc_tempered_result_clear(out);
  return st;
}
