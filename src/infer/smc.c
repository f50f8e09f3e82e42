/* Sequential Monte Carlo: a particle filter over any model through generate
 * and update, all particles in one batched trace.
 *
 * The weights are kept normalized on the host in f64 (log sum exp = 0). Step
 * t adds its incremental weights v_i and log sum_i exp(w_i + v_i) to log Z:
 * after a resampling w_i = -log N and this is the log-mean-exp of v; between
 * resamplings it carries the old weights along, which is what keeps exp(log
 * Z) unbiased under adaptive resampling (the product over resampling epochs of
 * the weighted means). Resampling is one genc_resample() and one
 * genc_trace_take() of the batched trace; rejuvenation follows it, when the
 * particles are equally weighted, so an invariant kernel changes no weight.
 *
 * On a non-CPU context the weights stay on the device instead (see
 * genc__smc_reweight_dev): per step one read of three scalars (log normalizer,
 * ESS, max), and systematic or stratified resampling by a cumulative sum and a
 * searchsorted on the device; multinomial and residual copy the weights to the
 * host and resample there. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "genc.h"
#include "smc_internal.h"

#define FN "genc_smc"

void genc_smc_result_clear(genc_smc_result *r) {
  if (!r) return;
  genc_trace_release(r->trace);
  for (int64_t i = 0; r->traces && i < r->n; i++)
    genc_trace_release(r->traces[i]);
  free(r->traces);
  free(r->log_weights);
  free(r->ess);
  free(r->resampled);
  memset(r, 0, sizeof *r);
}

/* Add the incremental weights v to the normalized log weights w; returns the
 * log normalizer (-inf when every particle has weight zero) and leaves w
 * normalized and the ESS in *ess. */
double genc__smc_reweight(double *w, const double *v, int64_t n, double *ess) {
  return genc__smc_reweight_ws(w, v, n, ess, NULL);
}

/* The passes over the particles are the public host log-weight kernels
 * (genc/array.h; SIMD with libmvec's exp, fixed lanes): the log normalizer
 * is mx + log of the compensated sum of the relative weights, the total the
 * resampler needs (f64-exact at 1e8 particles: a plain sum there could be off
 * by a relative n eps ~ 1e-8, a whole systematic step). */
double genc__smc_reweight_ws(double *w, const double *v, int64_t n, double *ess,
                             genc__resample_ws *ws) {
  if (ws) ws->nrel = 0;
  double mx = genc_host_logw_add(w, v, n);
  if (mx == -INFINITY) return *ess = 0, -INFINITY;
  double sum[2]; /* sum of exp(w_i - mx), sum of its squares */
  genc_host_exp_sums(w, n, mx, ws ? ws->u : NULL, sum);
  double lse = mx + log(sum[0]);
  for (int64_t i = 0; i < n; i++)
    w[i] -= lse;
  *ess = sum[0] * sum[0] / sum[1];
  if (ws && isfinite(lse)) ws->nrel = n, ws->total = sum[0]; /* else resampling fails on w */
  return lse;
}

double genc__smc_reweight_dev(genc_ctx *ctx, genc_array **w, genc_array *lw, double *ess,
                              genc_array **rel, genc_status *st) {
  *rel = NULL, *ess = 0, *st = GENC_OK;
  genc_array *x = genc_add(ctx, *w, genc_astype(ctx, genc_particle_to_axis(ctx, lw), GENC_F64));
  x = genc_where(ctx, genc_eq(ctx, x, x), x, -INFINITY); /* NaN (-inf + inf): zero weight */
  genc_array *mx = genc_max(ctx, x, 0, NULL, false);
  genc_array *e = genc_exp(ctx, genc_sub(ctx, x, mx));
  genc_array *s = genc_sum(ctx, e, 0, NULL, false);
  genc_array *s2 = genc_sum(ctx, genc_square(ctx, e), 0, NULL, false);
  genc_array *lse = genc_add(ctx, mx, genc_log(ctx, s));
  genc_array *wn = genc_sub(ctx, x, lse);
  genc_array *three[3] = {lse, genc_div(ctx, genc_square(ctx, s), s2), mx};
  genc_array *h = genc_stack(ctx, 3, three, 0);
  double hv[3];
  if (!wn || !h || (*st = genc_array_copy_out(ctx, h, hv, 3))) {
    if (!*st) *st = genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_BACKEND;
    return NAN;
  }
  genc_array_release(*w);
  *w = genc_array_retain(wn);
  if (hv[2] == -INFINITY) return -INFINITY; /* every weight zero: lse is NaN there */
  *ess = hv[1];
  if (isfinite(hv[0])) *rel = e; /* else resampling fails on w on the host and says why */
  return hv[0];
}

/* Generate (t = 0) or update the trace *tr with step t's inputs; the
 * incremental log weights, an array in the caller's scope, go to *lw_out. */
static genc_status extend(genc_ctx *ctx, genc_gf *model, genc_trace **tr, int64_t t, int64_t n,
                          genc_smc_step_fn fn, void *user, genc_key key,
                          const genc_smcp3_kernels *prop, genc_array **lw_out) {
  int nargs = genc_gf_nargs(model);
  genc_array **args = calloc((size_t)nargs + 1, sizeof *args);
  genc_argdiff *diffs = calloc((size_t)nargs + 1, sizeof *diffs);
  genc_choicemap *obs = NULL;
  genc_status st = GENC_OK;
  if (!args || !diffs) {
    st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, FN ": out of memory at step %lld", (long long)t);
    goto out;
  }
  for (int i = 0; i < nargs; i++)
    diffs[i] = genc_unknown();
  if ((st = fn(ctx, t, args, diffs, &obs, user))) goto out;
  for (int i = 0; i < nargs; i++)
    if (!args[i]) {
      st = genc_ctx_fail(ctx, GENC_ERR_ARG,
                         FN ": the step function left argument %d of '%s' NULL at step %lld", i,
                         genc_gf_name(model), (long long)t);
      goto out;
    }
  genc_array *lw = NULL;
  genc_trace *next =
      prop     ? genc_smcp3_extend(ctx, model, t ? *tr : NULL, args, diffs, obs, prop, key, n, &lw)
      : t == 0 ? genc_gf_generate(ctx, model, args, obs, key, n, &lw)
               : genc_gf_update(ctx, *tr, args, diffs, obs, key, &lw, NULL);
  if (!next) {
    st = genc_ctx_status(ctx);
    goto out;
  }
  genc_trace_release(*tr);
  *tr = next;
  *lw_out = lw;
out:
  genc_choicemap_free(obs);
  free(args);
  free(diffs);
  return st;
}

/* The device path's n ancestors from the device weights wdev (relative
 * weights rel, NULL when the normalizer is not finite): systematic and
 * stratified on the device; multinomial, residual and weights genc_resample
 * rejects (it says why) through the host, buf holding n doubles. */
static genc_array *dev_ancestors(genc_ctx *ctx, genc_array *wdev, genc_array *rel, int64_t n,
                                 genc_resample_scheme scheme, genc_key key, double *buf,
                                 genc__resample_ws *ws) {
  if (rel && (scheme == GENC_RESAMPLE_SYSTEMATIC || scheme == GENC_RESAMPLE_STRATIFIED))
    return genc__smc_ancestors_dev(ctx, rel, n, scheme, key);
  if (genc_array_copy_out(ctx, wdev, buf, n)) return NULL;
  return genc__resample_ws_run(ctx, buf, n, n, scheme, key, ws);
}

/* Weights -log n into w, or a new retained device array *wdev (replacing and
 * releasing the old one) on the device path. */
static genc_status reset_weights(genc_ctx *ctx, double *w, genc_array **wdev, int64_t n) {
  const double w0 = -log((double)n); /* once: a libm call is not hoisted out of the loop */
  if (!wdev) {
    for (int64_t i = 0; i < n; i++)
      w[i] = w0;
    return GENC_OK;
  }
  int64_t mark = genc_scope_begin(ctx);
  genc_array *a = genc_array_retain(genc_array_full(ctx, GENC_F64, 1, &n, 0, w0));
  genc_scope_end(ctx, mark);
  if (!a) return genc_ctx_status(ctx);
  genc_array_release(*wdev);
  *wdev = a;
  return GENC_OK;
}

/* Resample the particles by their log weights w (then reset to -log N) and
 * apply the rejuvenation kernel, if any, at driver step t; ws holds the
 * resampling's host buffers across steps. On the device path the weights are
 * *wdev with relative weights rel, and w is a host buffer of n doubles. */
static genc_status resample(genc_ctx *ctx, genc_trace **tr, double *w, int64_t n,
                            const genc_smc_opts *o, int64_t t, const genc_key *keys,
                            genc__resample_ws *ws, genc_array **wdev, genc_array *rel) {
  genc_array *idx = wdev ? dev_ancestors(ctx, *wdev, rel, n, o->scheme, keys[0], w, ws)
                         : genc__smc_ancestors(ctx, w, n, n, o->scheme, keys[0], ws);
  genc_trace *kept = idx ? genc_trace_take(ctx, *tr, idx) : NULL;
  if (!kept) return genc_ctx_status(ctx);
  genc_trace_release(*tr);
  *tr = kept;
  genc_status st = reset_weights(ctx, w, wdev, n);
  if (st) return st;
  if (!o->rejuvenate) return GENC_OK;
  genc_trace *moved = genc_kernel_apply(ctx, o->rejuvenate, *tr, keys[1], t, NULL, NULL);
  if (!moved) return genc_ctx_status(ctx);
  genc_trace_release(*tr);
  *tr = moved;
  return GENC_OK;
}

/* One step of the filter in its own array scope: the trace retains what it
 * keeps. wdev: the device weights, NULL on the host path. */
static genc_status smc_step(genc_ctx *ctx, genc_gf *model, int64_t t, genc_smc_step_fn fn,
                            void *user, const genc_smc_opts *o, double *v, genc__resample_ws *ws,
                            genc_smc_result *r, genc_array **wdev) {
  int64_t mark = genc_scope_begin(ctx);
  genc_key k[3];
  genc_key_split(genc_key_fold_in(o->key, (uint64_t)t), 3, k);
  genc_array *lw = NULL, *rel = NULL;
  genc_status st = extend(ctx, model, &r->trace, t, r->n, fn, user, k[0], o->proposal, &lw);
  /* the host path reads an eager CPU lw in place (no copy), anything else copied to v */
  const double *lv = wdev || st ? NULL : genc_array_host_f64(ctx, lw, r->n);
  if (!st && !wdev && !lv) st = genc_array_copy_out(ctx, lw, v, r->n), lv = v;
  if (!st) {
    double lse = wdev ? genc__smc_reweight_dev(ctx, wdev, lw, &r->ess[t], &rel, &st)
                      : genc__smc_reweight_ws(r->log_weights, lv, r->n, &r->ess[t], ws);
    r->log_ml += lse;
    if (!st && lse == -INFINITY)
      st = genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                         FN ": every particle of '%s' has weight zero at step %lld",
                         genc_gf_name(model), (long long)t);
  }
  double thr = o->ess_threshold;
  bool due = thr >= 1 || r->ess[t] < thr * (double)r->n;
  if (!st && t < r->steps - 1 && thr >= 0 && due) {
    st = resample(ctx, &r->trace, wdev ? v : r->log_weights, r->n, o, t, &k[1], ws, wdev, rel);
    r->resampled[t] = true;
    r->nresampled++;
  }
  genc_scope_end(ctx, mark);
  return st;
}

genc_status genc_smc(genc_ctx *ctx, genc_gf *model, int64_t steps, genc_smc_step_fn step_fn,
                     void *user, const genc_smc_opts *opts, genc_smc_result *out) {
  bool device = ctx && genc_ctx_device(ctx) != GENC_CPU;
  return genc__smc_run(ctx, model, steps, step_fn, user, opts, out, device);
}

genc_status genc__smc_run(genc_ctx *ctx, genc_gf *model, int64_t steps, genc_smc_step_fn step_fn,
                          void *user, const genc_smc_opts *opts, genc_smc_result *out,
                          bool device) {
  if (!ctx) return GENC_ERR_ARG;
  if (!out) return genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": out is NULL");
  memset(out, 0, sizeof *out);
  if (!model || !step_fn)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": %s is NULL", model ? "step_fn" : "model");
  genc_smc_opts o = opts ? *opts : (genc_smc_opts){0};
  if (steps < 1)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": '%s': steps = %lld, must be >= 1",
                         genc_gf_name(model), (long long)steps);
  if (o.n < 0 || o.n > INT32_MAX)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": '%s': n = %lld particles, must be in [0, 2^31)",
                         genc_gf_name(model), (long long)o.n);
  if (isnan(o.ess_threshold))
    return genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": '%s': ess_threshold is NaN", genc_gf_name(model));
  if (o.n == 0) o.n = GENC_SMC_DEFAULT_N;
  if (o.ess_threshold == 0) o.ess_threshold = GENC_SMC_DEFAULT_ESS_THRESHOLD;
  size_t n = (size_t)o.n;
  out->n = o.n, out->steps = steps;
  out->log_weights = calloc(n, sizeof(double));
  out->ess = calloc((size_t)steps, sizeof(double));
  out->resampled = calloc((size_t)steps, sizeof(bool));
  double *v = malloc(n * sizeof *v);
  genc__resample_ws ws = {0};
  genc_status st = GENC_OK;
  if (!out->log_weights || !out->ess || !out->resampled || !v)
    st =
        genc_ctx_fail(ctx, GENC_ERR_NOMEM, FN ": out of memory for %lld particles", (long long)o.n);
  genc_array *wdev = NULL; /* the device path's weights */
  if (!st && !device) st = genc__resample_ws_reserve(ctx, &ws, o.n, o.n);
  if (!st) st = reset_weights(ctx, out->log_weights, device ? &wdev : NULL, o.n);
  for (int64_t t = 0; !st && t < steps; t++)
    st = smc_step(ctx, model, t, step_fn, user, &o, v, &ws, out, device ? &wdev : NULL);
  if (!st && device) st = genc_array_copy_out(ctx, wdev, out->log_weights, o.n);
  genc_array_release(wdev);
  free(v);
  genc__resample_ws_free(&ws);
  if (st) genc_smc_result_clear(out);
  return st;
}

genc_status genc_smc_unfold_step(genc_ctx *ctx, int64_t t, genc_array **args,
                                 genc_argdiff *argdiffs, genc_choicemap **constraints, void *user) {
  const genc_smc_unfold *u = user;
  if (!u || u->nrest < 0 || (u->nrest > 0 && !u->rest))
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_smc_unfold_step: user is not a genc_smc_unfold "
                         "(NULL, nrest < 0 or rest NULL)");
  args[0] = genc_scalar(ctx, (double)(t + 1));
  argdiffs[0] = genc_intdiff(1);
  for (int i = 0; i < u->nrest; i++)
    args[i + 1] = u->rest[i], argdiffs[i + 1] = genc_nochange();
  *constraints = NULL;
  if (!args[0]) return genc_ctx_status(ctx);
  if (!u->obs || !u->obs[t]) return GENC_OK;
  genc_choicemap *cm = genc_choicemap_new(ctx);
  genc_choicemap *sub = cm ? genc_choicemap_copy(ctx, u->obs[t]) : NULL;
  if (!sub || genc_choicemap_set_submap(ctx, cm, genc_idx(t), sub)) {
    genc_choicemap_free(cm);
    return genc_ctx_status(ctx);
  }
  *constraints = cm;
  return GENC_OK;
}
