/*
 * Parallel tempering (replica exchange) on N-chain MH: K temperatures x M
 * replicas held as one batched trace, particle m K + k = replica m at
 * temperature k.
 *
 * Why the tempered weight is w - (1 - beta) dLL. The tempered target is
 * pi_b(t) = p(latent) p(obs | latent)^b = p(t) exp(-(1 - b) LL(t)), with
 * p(t) the model's joint (the trace score) and LL(t) = project(t, obs) the
 * log-likelihood of the observations. Any MH kernel's acceptance log-ratio is
 * w = log p(t') - log p(t) + log q(t | t') - log q(t' | t); the proposal
 * terms do not involve b, so the tempered ratio is
 * log pi_b(t') - log pi_b(t) + (the same proposal terms)
 * = w - (1 - b) (LL(t') - LL(t)). This holds for every MH kernel whose edit
 * weight is the full acceptance ratio: regenerate (prior proposals, where w
 * is exactly dLL, so the tempered weight is b dLL) and custom proposals
 * (genc_gf_edit() with GENC_EDIT_PROPOSAL, a random walk or any
 * trace-reading proposal). It does not hold for kernels that use the
 * gradient of the target (MALA, HMC): their proposals depend on b.
 *
 * Swaps between temperatures k and k+1 exchange states; the product target
 * prod_k pi_{b_k}(t_k) changes by exp((b_k - b_{k+1}) (LL_{k+1} - LL_k)), the
 * prior factors cancelling. Pairs alternate even/odd so that each iteration's
 * pairs are disjoint.
 */
#include <math.h>
#include <stdlib.h>

#include "genc.h"

genc_status genc_pt_ladder(genc_ctx *ctx, int K, double beta_min, double *betas) {
  if (!ctx) return GENC_ERR_ARG;
  if (beta_min == 0) beta_min = 0.01;
  if (K < 1 || !betas || !(beta_min > 0 && beta_min <= 1))
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_pt_ladder: need K >= 1 (got %d), betas, beta_min in (0, 1] (got %g)",
                         K, beta_min);
  for (int k = 0; k < K; k++)
    betas[k] = K == 1 ? 1.0 : pow(beta_min, (double)k / (K - 1));
  betas[0] = 1.0;
  return GENC_OK;
}

/* The tempered step; also the kept trace's LL (caller's scope) in *ll_out. */
static genc_trace *tempered_step(genc_ctx *ctx, const genc_trace *t, const genc_edit_request *move,
                                 const genc_selection *obs, genc_array *beta, genc_key key,
                                 genc_array **accepted, genc_array **ll_out) {
  genc_key k[2];
  genc_key_split(key, 2, k); /* as genc_mh_select(): edit, then the uniform */
  int64_t mark = genc_scope_begin(ctx);
  genc_edit_result r;
  genc_trace *out = NULL;
  genc_array *keep[2] = {NULL, NULL};
  if (!genc_gf_edit(ctx, t, move, k[0], &r)) {
    genc_array *ll0 = genc_gf_project(ctx, t, obs);
    genc_array *ll1 = ll0 ? genc_gf_project(ctx, r.trace, obs) : NULL;
    genc_array *w = ll1 ? genc_sub(ctx, r.weight,
                                   genc_mul(ctx, genc_sub(ctx, 1.0, beta), genc_sub(ctx, ll1, ll0)))
                        : NULL;
    genc_array *u =
        w ? genc_random_uniform(ctx, k[1], GENC_F64, 0, NULL, genc_trace_nparticles(t)) : NULL;
    genc_array *acc = u ? genc_lt(ctx, genc_log(ctx, u), w) : NULL;
    out = acc ? genc_trace_select(ctx, acc, r.trace, t) : NULL;
    if (out) {
      keep[0] = acc;
      keep[1] = genc_where(ctx, acc, ll1, ll0);
      if (!keep[1]) genc_trace_release(out), out = NULL;
    }
    genc_edit_result_clear(&r);
  }
  genc_scope_end_keep(ctx, mark, keep, out ? 2 : 0);
  if (accepted) *accepted = out ? keep[0] : NULL;
  if (ll_out) *ll_out = out ? keep[1] : NULL;
  return out;
}

static genc_status check_move(genc_ctx *ctx, const genc_trace *t, const genc_edit_request *move,
                              const genc_selection *obs, const char *who) {
  if (!t || !move || !obs)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: NULL trace, move or observation selection", who);
  if (move->kind != GENC_EDIT_SELECTION && move->kind != GENC_EDIT_PROPOSAL)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "%s: the move must be an MH edit (GENC_EDIT_SELECTION or "
                         "GENC_EDIT_PROPOSAL), got kind %d",
                         who, (int)move->kind);
  return GENC_OK;
}

genc_trace *genc_mh_tempered(genc_ctx *ctx, const genc_trace *t, const genc_edit_request *move,
                             const genc_selection *obs, genc_array *beta, genc_key key,
                             genc_array **accepted) {
  if (accepted) *accepted = NULL;
  if (!ctx || check_move(ctx, t, move, obs, "genc_mh_tempered")) return NULL;
  if (!beta || genc_array_ndim(beta) != 0) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_mh_tempered: beta must be a 0-d array");
    return NULL;
  }
  return tempered_step(ctx, t, move, obs, beta, key, accepted, NULL);
}

/* ---- the driver ---- */

typedef struct pt {
  genc_pt_opts o;
  int K;
  int64_t M, n, D, nvals, maxsize;
  double *beta, *acc, *prop, *sacc, *sprop; /* K, K, K, K, K */
  double *ll, *u, *tmp;                     /* n, n, maxsize * n */
  int32_t *idx;                             /* n */
  int64_t *size;                            /* naddrs */
} pt;

static void pt_free(pt *p) {
  free(p->beta), free(p->acc), free(p->prop), free(p->sacc), free(p->sprop);
  free(p->ll), free(p->u), free(p->tmp), free(p->idx), free(p->size);
}

static genc_status pt_ladder(genc_ctx *ctx, pt *p) {
  genc_pt_opts *o = &p->o;
  if (!o->betas) return genc_pt_ladder(ctx, p->K, o->beta_min, p->beta);
  for (int k = 0; k < p->K; k++) {
    p->beta[k] = o->betas[k];
    if (!(k ? p->beta[k] > 0 && p->beta[k] < p->beta[k - 1] : p->beta[k] == 1))
      return genc_ctx_fail(ctx, GENC_ERR_ARG,
                           "genc_pt_run: betas must run 1 = b_0 > b_1 > ... > 0; betas[%d] = %g", k,
                           p->beta[k]);
  }
  return GENC_OK;
}

static genc_status pt_plan(genc_ctx *ctx, pt *p, const genc_trace *init) {
  genc_pt_opts *o = &p->o;
  if (!o->ntemps) o->ntemps = 4;
  if (!o->samples) o->samples = 1000;
  if (!o->thin) o->thin = 1;
  if (!o->swap_every) o->swap_every = 1;
  p->K = o->ntemps, p->n = genc_trace_nparticles(init);
  if (p->K < 1 || o->warmup < 0 || o->samples < 0 || o->thin < 0 || o->swap_every < 0 ||
      o->naddrs < 0 || (o->naddrs && !o->addrs))
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_pt_run: need ntemps >= 1 (got %d), nonnegative warmup, samples, "
                         "thin, swap_every, naddrs, and addrs when naddrs > 0",
                         p->K);
  if (p->n < 1 || p->n % p->K)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_pt_run: init must be a batched trace of K * M particles; it has "
                         "%lld for K = %d",
                         (long long)p->n, p->K);
  p->M = p->n / p->K, p->D = 1 + (o->samples - 1) / o->thin;
  size_t K = (size_t)p->K, n = (size_t)p->n;
  p->beta = calloc(K, sizeof(double)), p->acc = calloc(K, sizeof(double));
  p->prop = calloc(K, sizeof(double)), p->sacc = calloc(K, sizeof(double));
  p->sprop = calloc(K, sizeof(double)), p->ll = calloc(n, sizeof(double));
  p->u = calloc(n, sizeof(double)), p->idx = calloc(n, sizeof(int32_t));
  p->size = calloc((size_t)o->naddrs + 1, sizeof(int64_t));
  if (!p->beta || !p->acc || !p->prop || !p->sacc || !p->sprop || !p->ll || !p->u || !p->idx ||
      !p->size)
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_pt_run: out of memory");
  genc_status st = pt_ladder(ctx, p);
  for (int i = 0; !st && i < o->naddrs; i++) {
    genc_array *v = genc_trace_get_path(ctx, init, o->addrs[i]);
    if (!v) return genc_ctx_status(ctx);
    p->size[i] = genc_array_size(v);
    p->nvals += p->size[i];
    if (p->size[i] > p->maxsize) p->maxsize = p->size[i];
  }
  if (st) return st;
  if (p->nvals && (!o->draws || o->draws_cap < p->nvals * p->M * p->D))
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_pt_run: draws needs %lld doubles (%lld scalars x %lld cold chains "
                         "x %lld draws), has %lld",
                         (long long)(p->nvals * p->M * p->D), (long long)p->nvals, (long long)p->M,
                         (long long)p->D, o->draws ? (long long)o->draws_cap : 0LL);
  p->tmp = malloc((size_t)(p->maxsize * p->n + 1) * sizeof(double));
  return p->tmp ? GENC_OK : genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_pt_run: out of memory");
}

/* Copy draw d of the cold chains (particles m K) into the caller's buffer. */
static genc_status pt_record(genc_ctx *ctx, const pt *p, const genc_trace *t, int64_t d) {
  int64_t p0 = 0;
  for (int i = 0; i < p->o.naddrs; i++) {
    int64_t sz = p->size[i];
    genc_status st = genc_trace_copy_out(ctx, t, p->o.addrs[i], p->tmp, sz * p->n);
    if (st) return st;
    for (int64_t m = 0; m < p->M; m++)
      for (int64_t e = 0; e < sz; e++)
        p->o.draws[((p0 + e) * p->M + m) * p->D + d] = p->tmp[m * p->K * sz + e];
    p0 += sz;
  }
  return GENC_OK;
}

/* Swap adjacent temperatures of every replica: pairs (k, k+1), k = parity mod 2. */
static genc_trace *pt_swap(genc_ctx *ctx, pt *p, genc_trace *t, genc_array *ll, genc_key key,
                           int parity, int count) {
  genc_array *u = genc_random_uniform(ctx, key, GENC_F64, 0, NULL, p->n);
  if (!u || genc_array_copy_out(ctx, ll, p->ll, p->n) || genc_array_copy_out(ctx, u, p->u, p->n))
    return NULL;
  int any = 0;
  for (int64_t i = 0; i < p->n; i++)
    p->idx[i] = (int32_t)i;
  for (int64_t m = 0; m < p->M; m++)
    for (int k = parity; k + 1 < p->K; k += 2) {
      int64_t i = m * p->K + k;
      double la = (p->beta[k] - p->beta[k + 1]) * (p->ll[i + 1] - p->ll[i]);
      int yes = log(p->u[i]) < la;
      if (yes) p->idx[i] = (int32_t)(i + 1), p->idx[i + 1] = (int32_t)i, any = 1;
      if (count) p->sprop[k] += 1, p->sacc[k] += yes;
    }
  if (!any) return genc_trace_retain(t);
  genc_array *idx = genc_array_from(ctx, GENC_I32, 1, &p->n, 0, p->idx);
  return idx ? genc_trace_take(ctx, t, idx) : NULL;
}

/* Iteration s: the tempered MH step on every particle, then maybe swaps. */
static genc_trace *pt_iter(genc_ctx *ctx, pt *p, genc_trace *t, const genc_edit_request *move,
                           const genc_selection *obs, genc_array *beta, int64_t s) {
  genc_key ks[2];
  genc_key_split(genc_key_fold_in(p->o.key, (uint64_t)s), 2, ks);
  int count = s >= p->o.warmup;
  genc_array *acc = NULL, *ll = NULL;
  genc_trace *t1 = tempered_step(ctx, t, move, obs, beta, ks[0], &acc, &ll);
  if (!t1) return NULL;
  if (count) {
    if (genc_array_copy_out(ctx, acc, p->u, p->n)) return genc_trace_release(t1), NULL;
    for (int64_t i = 0; i < p->n; i++)
      p->acc[i % p->K] += p->u[i], p->prop[i % p->K] += 1;
  }
  if ((s + 1) % p->o.swap_every || p->K < 2) return t1;
  genc_trace *t2 = pt_swap(ctx, p, t1, ll, ks[1], (int)((s / p->o.swap_every) & 1), count);
  genc_trace_release(t1);
  return t2;
}

static void pt_rates(const pt *p) {
  for (int k = 0; p->o.accept_rate && k < p->K; k++)
    p->o.accept_rate[k] = p->prop[k] ? p->acc[k] / p->prop[k] : NAN;
  for (int k = 0; p->o.swap_rate && k + 1 < p->K; k++)
    p->o.swap_rate[k] = p->sprop[k] ? p->sacc[k] / p->sprop[k] : NAN;
}

genc_trace *genc_pt_run(genc_ctx *ctx, const genc_trace *init, const genc_edit_request *move,
                        const genc_selection *obs, const genc_pt_opts *opts) {
  if (!ctx || check_move(ctx, init, move, obs, "genc_pt_run")) return NULL;
  if (!opts) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_pt_run: NULL options");
    return NULL;
  }
  pt p = {.o = *opts};
  int64_t outer = genc_scope_begin(ctx);
  genc_trace *t = NULL;
  genc_array *beta = NULL;
  if (!pt_plan(ctx, &p, init)) {
    for (int64_t i = 0; i < p.n; i++)
      p.u[i] = p.beta[i % p.K];
    beta = genc_array_from(ctx, GENC_F64, 0, NULL, p.n, p.u);
  }
  if (beta) t = genc_trace_retain((genc_trace *)init);
  int64_t total = p.o.warmup + p.o.samples;
  for (int64_t s = 0; t && s < total; s++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_trace *t1 = pt_iter(ctx, &p, t, move, obs, beta, s);
    genc_trace_release(t);
    t = t1;
    int64_t j = s - p.o.warmup;
    if (t && j >= 0 && j % p.o.thin == 0 && pt_record(ctx, &p, t, j / p.o.thin))
      genc_trace_release(t), t = NULL;
    genc_scope_end(ctx, mark);
  }
  if (t) pt_rates(&p);
  genc_scope_end(ctx, outer);
  pt_free(&p);
  return t;
}
