/*
 * MCMC kernels as values: MH moves, user functions and the combinators
 * sequence, cycle, random mixture and repeat. A kernel maps a trace (one
 * chain, or N chains batched) to a trace and reports per-chain counts of
 * accepted and proposed MH moves. Every random decision a combinator makes is
 * drawn per chain from the application's key, so chain i of a batched run is
 * the single run with genc_key_particle(key, i).
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "genc.h"
#include "infer/mcmc_compiled.h"

enum { K_SELECT, K_PROPOSAL, K_FN, K_SEQ, K_CYCLE, K_MIX, K_REPEAT };

struct genc_kernel {
  _Atomic int32_t refs; /* atomic, as generative functions: kernels may be shared by threads */
  int kind;
  genc_selection *sel;
  genc_gf *fwd, *bwd;
  genc_kernel_fn fn;
  void *user;
  void (*free_user)(void *); /* called on user at the last release, or NULL */
  char *name;
  int k;
  genc_kernel **ks;
  double *cum; /* mixture: cumulative normalized weights */
  int64_t times;
};

static genc_kernel *kernel_new(int kind) {
  genc_kernel *k = calloc(1, sizeof *k);
  if (k) {
    k->refs = 1;
    k->kind = kind;
  }
  return k;
}

genc_kernel *genc_kernel_retain(genc_kernel *k) {
  if (k) k->refs++;
  return k;
}

void genc_kernel_release(genc_kernel *k) {
  if (!k || --k->refs > 0) return;
  if (k->free_user) k->free_user(k->user);
  genc_selection_release(k->sel);
  genc_gf_release(k->fwd);
  genc_gf_release(k->bwd);
  for (int i = 0; i < k->k; i++)
    genc_kernel_release(k->ks[i]);
  free(k->ks);
  free(k->cum);
  free(k->name);
  free(k);
}

genc_kernel *genc_kernel_mh_select(genc_selection *s) {
  genc_kernel *k = s ? kernel_new(K_SELECT) : NULL;
  if (k) k->sel = genc_selection_retain(s);
  return k;
}

genc_kernel *genc_kernel_mh_proposal(genc_gf *fwd, genc_gf *bwd) {
  genc_kernel *k = fwd ? kernel_new(K_PROPOSAL) : NULL;
  if (k) k->fwd = genc_gf_retain(fwd), k->bwd = genc_gf_retain(bwd);
  return k;
}

genc_kernel *genc_kernel_user_owned(const char *name, genc_kernel_fn fn, void *user,
                                    void (*free_user)(void *)) {
  genc_kernel *k = fn ? kernel_new(K_FN) : NULL;
  if (!k) {
    if (free_user) free_user(user);
    return NULL;
  }
  k->fn = fn, k->user = user, k->free_user = free_user;
  k->name = strdup(name ? name : "kernel");
  if (!k->name) genc_kernel_release(k), k = NULL;
  return k;
}

genc_kernel *genc_kernel_user(const char *name, genc_kernel_fn fn, void *user) {
  return genc_kernel_user_owned(name, fn, user, NULL);
}

static genc_kernel *kernel_list(int kind, int n, genc_kernel *const *ks) {
  if (n < 1 || !ks) return NULL;
  for (int i = 0; i < n; i++)
    if (!ks[i]) return NULL;
  genc_kernel *k = kernel_new(kind);
  if (!k || !(k->ks = calloc((size_t)n, sizeof *k->ks))) {
    free(k);
    return NULL;
  }
  k->k = n;
  for (int i = 0; i < n; i++)
    k->ks[i] = genc_kernel_retain(ks[i]);
  return k;
}

genc_kernel *genc_kernel_sequence(int k, genc_kernel *const *ks) {
  return kernel_list(K_SEQ, k, ks);
}

genc_kernel *genc_kernel_cycle(int k, genc_kernel *const *ks) {
  return kernel_list(K_CYCLE, k, ks);
}

genc_kernel *genc_kernel_mixture(int k, genc_kernel *const *ks, const double *weights) {
  if (!weights || k < 1) return NULL;
  double sum = 0;
  for (int i = 0; i < k; i++) {
    if (!(weights[i] >= 0) || !isfinite(weights[i])) return NULL;
    sum += weights[i];
  }
  if (!(sum > 0) || !isfinite(sum)) return NULL;
  genc_kernel *m = kernel_list(K_MIX, k, ks);
  if (m && !(m->cum = malloc((size_t)k * sizeof *m->cum))) genc_kernel_release(m), m = NULL;
  double c = 0;
  for (int i = 0; m && i < k; i++)
    c += weights[i], m->cum[i] = c / sum;
  return m;
}

genc_kernel *genc_kernel_repeat(genc_kernel *kernel, int64_t times) {
  if (times < 1) return NULL;
  genc_kernel *k = kernel_list(K_REPEAT, 1, &kernel);
  if (k) k->times = times;
  return k;
}

/* *tot += x (NULL x counts 0); false on error. */
static bool acc_add(genc_ctx *ctx, genc_array **tot, genc_array *x) {
  if (!x) return true;
  *tot = *tot ? genc_add(ctx, *tot, x) : x;
  return *tot != NULL;
}

static genc_trace *apply_mh(genc_ctx *ctx, const genc_kernel *k, const genc_trace *t, genc_key key,
                            genc_array **acc, genc_array **prop) {
  genc_array *a = NULL;
  genc_trace *out = k->kind == K_SELECT
                        ? genc_mh_select(ctx, t, k->sel, key, &a)
                        : genc_mh_proposal(ctx, t, k->fwd, k->bwd, NULL, NULL, key, &a);
  if (!out) return NULL;
  *acc = genc_astype(ctx, a, GENC_F64);
  *prop = genc_scalar(ctx, 1.0);
  return out;
}

/* Apply ks[i] (i < count, kernel index idx(i)) in turn, one key and scope each. */
static genc_trace *apply_chain(genc_ctx *ctx, const genc_kernel *k, const genc_trace *t,
                               genc_key key, int64_t step, int64_t count, genc_array **acc,
                               genc_array **prop) {
  genc_trace *cur = genc_trace_retain((genc_trace *)t);
  for (int64_t i = 0; cur && i < count; i++) {
    const genc_kernel *ki = k->kind == K_SEQ ? k->ks[i] : k->ks[0];
    int64_t mark = genc_scope_begin(ctx);
    genc_array *a = NULL, *p = NULL;
    genc_trace *nxt =
        genc_kernel_apply(ctx, ki, cur, genc_key_fold_in(key, (uint64_t)i), step, &a, &p);
    genc_trace_release(cur);
    cur = nxt && acc_add(ctx, acc, a) && acc_add(ctx, prop, p) ? nxt : NULL;
    if (!cur) genc_trace_release(nxt);
    genc_array *keep[2] = {*acc, *prop};
    genc_scope_end_keep(ctx, mark, keep, 2);
  }
  return cur;
}

/* The mixture's pick as an array: the number of cumulative weights <= u, by
 * the same array ops for one chain and for N, so that both pick alike. */
static genc_array *mix_pick(genc_ctx *ctx, const genc_kernel *k, genc_key key, int64_t n) {
  genc_array *u = genc_random_uniform(ctx, key, GENC_F64, 0, NULL, n);
  genc_array *j = genc_scalar(ctx, 0.0);
  for (int i = 0; j && i < k->k - 1; i++)
    j = genc_add(ctx, j, genc_astype(ctx, genc_ge(ctx, u, genc_scalar(ctx, k->cum[i])), GENC_F64));
  return j;
}

static genc_trace *apply_mix(genc_ctx *ctx, const genc_kernel *k, const genc_trace *t, genc_key key,
                             int64_t step, genc_array **acc, genc_array **prop) {
  int64_t n = genc_trace_nparticles(t);
  genc_array *pick = mix_pick(ctx, k, genc_key_fold_in(key, 0), n);
  if (!pick) return NULL;
  if (n == 0) {
    double j = 0;
    if (genc_array_item(ctx, pick, &j)) return NULL;
    return genc_kernel_apply(ctx, k->ks[(int)j], t, genc_key_fold_in(key, 1 + (uint64_t)j), step,
                             acc, prop);
  }
  /* batched: every component on every chain, each chain keeps its pick */
  genc_trace *out = NULL;
  for (int i = 0; i < k->k; i++) {
    genc_array *a = NULL, *p = NULL;
    genc_trace *c =
        genc_kernel_apply(ctx, k->ks[i], t, genc_key_fold_in(key, 1 + (uint64_t)i), step, &a, &p);
    if (!c) {
      genc_trace_release(out);
      return NULL;
    }
    a = a ? a : genc_scalar(ctx, 0.0), p = p ? p : genc_scalar(ctx, 0.0);
    if (!out) {
      out = c, *acc = a, *prop = p;
      continue;
    }
    genc_array *is = genc_eq(ctx, pick, genc_scalar(ctx, (double)i));
    genc_trace *s = is ? genc_trace_select(ctx, is, c, out) : NULL;
    genc_trace_release(c), genc_trace_release(out);
    out = s;
    *acc = genc_where(ctx, is, a, *acc), *prop = genc_where(ctx, is, p, *prop);
    if (!out || !*acc || !*prop) {
      genc_trace_release(out);
      return NULL;
    }
  }
  return out;
}

genc_trace *genc_kernel_apply(genc_ctx *ctx, const genc_kernel *kernel, const genc_trace *t,
                              genc_key key, int64_t step, genc_array **accepted,
                              genc_array **proposed) {
  genc_array *acc = NULL, *prop = NULL;
  if (accepted) *accepted = NULL;
  if (proposed) *proposed = NULL;
  if (!ctx) return NULL;
  if (!kernel || !t) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_kernel_apply: NULL %s", kernel ? "trace" : "kernel");
    return NULL;
  }
  genc_trace *out = NULL;
  switch (kernel->kind) {
  case K_SELECT:
  case K_PROPOSAL: out = apply_mh(ctx, kernel, t, key, &acc, &prop); break;
  case K_FN:
    out = kernel->fn(ctx, t, key, step, &acc, &prop, kernel->user);
    if (!out && !genc_ctx_status(ctx))
      genc_ctx_fail(ctx, GENC_ERR_ARG, "kernel %s returned no trace", kernel->name);
    break;
  case K_SEQ: out = apply_chain(ctx, kernel, t, key, step, kernel->k, &acc, &prop); break;
  case K_REPEAT: out = apply_chain(ctx, kernel, t, key, step, kernel->times, &acc, &prop); break;
  case K_CYCLE:
    out = genc_kernel_apply(ctx, kernel->ks[((step % kernel->k) + kernel->k) % kernel->k], t, key,
                            step, &acc, &prop);
    break;
  default: out = apply_mix(ctx, kernel, t, key, step, &acc, &prop);
  }
  if (out && accepted) *accepted = acc;
  if (out && proposed) *proposed = prop;
  return out;
}

/* Whether applications of k ignore the driver step (none is a user function
 * or a cycle), so that one captured application replays at every step. */
bool genc__kernel_step_free(const genc_kernel *k) {
  if (k->kind == K_FN || k->kind == K_CYCLE) return false;
  for (int i = 0; i < k->k; i++)
    if (!genc__kernel_step_free(k->ks[i])) return false;
  return true;
}
