/* Resampling: ancestor indices from log weights, computed on the host in f64,
 * and sampling importance resampling on top of genc_importance().
 *
 * Every scheme but residual places m sorted points in [0, T), T the sum of the
 * weights u_i = exp(w_i - max w), and gives point p the smallest i with
 * C_i > p, C_i the running sum of u. The running sums are compensated
 * (Neumaier), so that many tiny weights after a large one still add up: with
 * 1e7 particles a naive sum would lose a relative 1e-9 of T. Points are
 * generated sorted, so one merge pass (O(n + m)) finds every ancestor:
 * multinomial points are sorted uniforms from exponential spacings
 * (S_k / S_m with S the running sums of m + 1 standard exponentials),
 * stratified points (k + U_k) T / m and systematic points (k + U) T / m. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "genc.h"
#include "smc_internal.h"

#define FN "genc_resample"

/* len standard uniform (exponential if expo) draws of key into buf. */
static genc_status host_draws(genc_ctx *ctx, genc_key key, bool expo, int64_t len, double *buf) {
  int64_t mark = genc_scope_begin(ctx);
  genc_array *a = expo ? genc_random_exponential(ctx, key, GENC_F64, 1, &len, 0)
                       : genc_random_uniform(ctx, key, GENC_F64, 1, &len, 0);
  genc_status st = a ? genc_array_copy_out(ctx, a, buf, len) : genc_ctx_status(ctx);
  genc_scope_end(ctx, mark);
  return st;
}

/* m sorted uniform points on [0, total) into p, from m + 1 exponential spacings. */
static genc_status sorted_points(genc_ctx *ctx, genc_key key, int64_t m, double total, double *p) {
  double *e = malloc((size_t)(m + 1) * sizeof *e);
  if (!e)
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, FN ": out of memory for %lld draws",
                         (long long)m + 1);
  genc_status st = host_draws(ctx, key, true, m + 1, e);
  if (!st) {
    genc__ksum k = {0, 0};
    for (int64_t j = 0; j < m; j++) {
      genc__ksum_add(&k, e[j]);
      p[j] = k.s + k.c;
    }
    genc__ksum_add(&k, e[m]);
    double scale = total / (k.s + k.c);
    for (int64_t j = 0; j < m; j++)
      p[j] *= scale;
  }
  free(e);
  return st;
}

/* The ancestor of each sorted point p[0..m): the smallest i with C_i > p[k],
 * never a particle of zero weight (the scan stops at the last positive one). */
static void merge(const double *u, int64_t n, const double *p, int64_t m, int32_t *idx) {
  int64_t last = n - 1;
  while (last > 0 && u[last] == 0)
    last--;
  int64_t i = 0;
  while (i < last && u[i] == 0)
    i++;
  genc__ksum k = {u[i], 0};
  for (int64_t j = 0; j < m; j++) {
    while (i < last && k.s + k.c <= p[j])
      genc__ksum_add(&k, u[++i]);
    idx[j] = (int32_t)i;
  }
}

/* merge() for evenly spread points (systematic, stratified: point j lies in
 * [j, j + 1) step), without merge's data-dependent branch per point and particle (a misprediction
 * on nearly every one: at 1e4 particles a fifth of a B2 filter step). Particle i's running sum C_i
 * (the same compensated sums as merge's) is above exactly cnt_i = #{j : p[j] < C_i} points, found
 * from its estimate C_i / step - u0 (systematic: u0 = U, exact up to rounding; stratified: u0 =
 * 1/2, off by one at most) by comparisons with the points. merge's ancestor of point j, the
 * smallest i with C_i > p[j], is the smallest i with cnt_i > j, which is the
 * smallest i whose running maximum of the cnt exceeds j: so particle i fills
 * idx[top, cnt_i) with i, top the running maximum before it (whatever the
 * order of the sums, which rounding may break by an ulp). The fill is one
 * store of 8 copies of i (idx has 8 entries of slack: what lies past cnt_i is
 * overwritten by the particles after i, and the rest by the last particle),
 * and a loop only past 8 offspring. */
static void merge_even(const double *u, int64_t n, const double *p, int64_t m, double step,
                       double u0, int32_t *idx) {
  int64_t last = n - 1;
  while (last > 0 && u[last] == 0)
    last--;
  int64_t i0 = 0;
  while (i0 < last && u[i0] == 0)
    i0++;
  genc__ksum k = {u[i0], 0};
  double inv = 1 / step;
  int64_t top = 0;
  for (int64_t i = i0; i < last; i++) {
    if (i > i0) genc__ksum_add(&k, u[i]);
    double c = k.s + k.c, e = c * inv - u0;
    /* ceil(e) but for an integer e (one more correction step), clamped */
    int64_t cnt = e <= 0 ? 0 : e >= (double)m ? m : (int64_t)e + 1;
    while (cnt > 0 && p[cnt - 1] >= c)
      cnt--;
    while (cnt < m && p[cnt] < c)
      cnt++;
    int32_t v[8] = {(int32_t)i, (int32_t)i, (int32_t)i, (int32_t)i,
                    (int32_t)i, (int32_t)i, (int32_t)i, (int32_t)i};
    memcpy(idx + top, v, sizeof v);
    for (int64_t j = top + 8; j < cnt; j++)
      idx[j] = (int32_t)i;
    top = cnt > top ? cnt : top;
  }
  for (int64_t j = top; j < m; j++)
    idx[j] = (int32_t)last;
}

/* Residual resampling: floor(m W_i) copies of i, then the remaining r draws
 * multinomial on the residuals m W_i - floor(m W_i). Writes idx in order. */
static genc_status residual(genc_ctx *ctx, genc_key key, const double *u, int64_t n, double total,
                            int64_t m, int32_t *idx) {
  int32_t *cnt = malloc((size_t)n * sizeof *cnt);
  double *res = malloc((size_t)n * sizeof *res);
  genc_status st = GENC_OK;
  if (!cnt || !res) st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, FN ": out of memory");
  int64_t used = 0;
  for (int64_t i = 0; !st && i < n; i++) {
    double x = (double)m * (u[i] / total), f = floor(x);
    cnt[i] = (int32_t)f;
    res[i] = x - f;
    used += cnt[i];
  }
  /* rounding could in theory hand out one copy too many: take it back */
  for (int64_t i = n - 1; !st && used > m && i >= 0; i--)
    if (cnt[i] > 0) cnt[i]--, res[i] = 0, used--;
  int64_t r = m - used;
  if (!st && r > 0) { /* the r residual draws land after the floors in idx: merge them */
    genc__ksum k = {0, 0};
    for (int64_t i = 0; i < n; i++)
      genc__ksum_add(&k, res[i]);
    double *p = malloc((size_t)r * sizeof *p);
    st = p ? sorted_points(ctx, key, r, k.s + k.c, p)
           : genc_ctx_fail(ctx, GENC_ERR_NOMEM, FN ": out of memory");
    if (!st) merge(res, n, p, r, idx + used);
    for (int64_t j = used; !st && j < m; j++)
      cnt[idx[j]]++;
    free(p);
  }
  for (int64_t i = 0, j = 0; !st && i < n; i++)
    for (int32_t c = 0; c < cnt[i]; c++)
      idx[j++] = (int32_t)i;
  free(cnt);
  free(res);
  return st;
}

/* The m ancestors by scheme into idx, from the weights u (sum total); p has
 * room for m points. */
static genc_status ancestors(genc_ctx *ctx, genc_resample_scheme scheme, genc_key key,
                             const double *u, int64_t n, double total, int64_t m, int32_t *idx,
                             double *p) {
  if (scheme == GENC_RESAMPLE_RESIDUAL) return residual(ctx, key, u, n, total, m, idx);
  genc_status st = GENC_OK;
  if (scheme == GENC_RESAMPLE_MULTINOMIAL) {
    st = sorted_points(ctx, key, m, total, p);
  } else {
    bool sys = scheme == GENC_RESAMPLE_SYSTEMATIC;
    st = host_draws(ctx, key, false, sys ? 1 : m, p);
    double step = total / (double)m, u0 = st ? 0 : sys ? p[0] : 0.5;
    for (int64_t j = 0; !st && j < m; j++)
      p[j] = ((double)j + (sys ? u0 : p[j])) * step;
    if (!st) merge_even(u, n, p, m, step, u0, idx);
    return st;
  }
  if (!st) merge(u, n, p, m, idx);
  return st;
}

/* u_i = exp(w_i - max w) into u and their compensated sum into *total, after
 * checking the weights. */
static genc_status relative_weights(genc_ctx *ctx, const double *lw, int64_t n, double *u,
                                    double *total) {
  double mx = -INFINITY;
  for (int64_t i = 0; i < n; i++) {
    if (isnan(lw[i]) || lw[i] == INFINITY)
      return genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                           FN ": log weight %lld is %g (NaN and +inf are "
                              "invalid; -inf is a zero weight)",
                           (long long)i, lw[i]);
    if (lw[i] > mx) mx = lw[i];
  }
  if (mx == -INFINITY)
    return genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                         FN ": every one of the %lld log weights is -inf: nothing to resample",
                         (long long)n);
  genc__ksum k = {0, 0};
  for (int64_t i = 0; i < n; i++) {
    u[i] = exp(lw[i] - mx);
    genc__ksum_add(&k, u[i]);
  }
  *total = k.s + k.c;
  return GENC_OK;
}

/* Room in ws for n weights and m points and ancestors (grown, never shrunk). */
genc_status genc__resample_ws_reserve(genc_ctx *ctx, genc__resample_ws *ws, int64_t n, int64_t m) {
  if (n > ws->ncap) {
    free(ws->u);
    ws->ncap = 0;
    if (!(ws->u = malloc((size_t)n * sizeof *ws->u))) goto nomem;
    ws->ncap = n;
  }
  if (m > ws->mcap) {
    free(ws->p), free(ws->idx);
    ws->mcap = 0;
    ws->p = malloc((size_t)m * sizeof *ws->p);
    ws->idx = malloc((size_t)(m + 8) * sizeof *ws->idx); /* merge_even's slack */
    if (!ws->p || !ws->idx) goto nomem;
    ws->mcap = m;
  }
  return GENC_OK;
nomem:
  return genc_ctx_fail(ctx, GENC_ERR_NOMEM, FN ": out of memory for %lld particles and %lld draws",
                       (long long)n, (long long)m);
}

void genc__resample_ws_free(genc__resample_ws *ws) {
  free(ws->u), free(ws->p), free(ws->idx);
  *ws = (genc__resample_ws){0};
}

genc_array *genc__resample_ws_run(genc_ctx *ctx, const double *log_weights, int64_t n, int64_t m,
                                  genc_resample_scheme scheme, genc_key key,
                                  genc__resample_ws *ws) {
  if (!ctx) return NULL;
  if (!log_weights) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": log_weights is NULL");
    return NULL;
  }
  if (n < 1 || n > INT32_MAX || m < 1 || m > INT32_MAX) {
    genc_ctx_fail(ctx, GENC_ERR_ARG,
                  FN ": n = %lld particles and m = %lld draws must lie in [1, INT32_MAX]",
                  (long long)n, (long long)m);
    return NULL;
  }
  if ((int)scheme < GENC_RESAMPLE_MULTINOMIAL || (int)scheme > GENC_RESAMPLE_RESIDUAL) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": unknown scheme %d", (int)scheme);
    return NULL;
  }
  double total = 0;
  ws->nrel = 0;
  genc_status st = genc__resample_ws_reserve(ctx, ws, n, m);
  if (!st) st = relative_weights(ctx, log_weights, n, ws->u, &total);
  if (!st) st = ancestors(ctx, scheme, key, ws->u, n, total, m, ws->idx, ws->p);
  return st ? NULL : genc_array_from(ctx, GENC_I32, 1, &m, 0, ws->idx);
}

genc_array *genc__smc_ancestors(genc_ctx *ctx, const double *w, int64_t n, int64_t m,
                                genc_resample_scheme scheme, genc_key key, genc__resample_ws *ws) {
  if (ws->nrel != n || n > ws->ncap || m > ws->mcap || m < 1 || m > INT32_MAX ||
      (int)scheme < GENC_RESAMPLE_MULTINOMIAL || (int)scheme > GENC_RESAMPLE_RESIDUAL)
    return genc__resample_ws_run(ctx, w, n, m, scheme, key, ws); /* it checks and says why */
  ws->nrel = 0;
  genc_status st = ancestors(ctx, scheme, key, ws->u, n, ws->total, m, ws->idx, ws->p);
  return st ? NULL : genc_array_from(ctx, GENC_I32, 1, &m, 0, ws->idx);
}

genc_array *genc_resample(genc_ctx *ctx, const double *log_weights, int64_t n, int64_t m,
                          genc_resample_scheme scheme, genc_key key) {
  genc__resample_ws ws = {0};
  genc_array *a = genc__resample_ws_run(ctx, log_weights, n, m, scheme, key, &ws);
  genc__resample_ws_free(&ws);
  return a;
}

genc_trace *genc_importance_resampling(genc_ctx *ctx, genc_gf *model, genc_array *const *args,
                                       const genc_choicemap *obs, const genc_is_opts *opts,
                                       int64_t m, genc_resample_scheme scheme, double *log_ml) {
  if (!ctx) return NULL;
  if (log_ml) *log_ml = NAN;
  genc_is_result r;
  if (genc_importance(ctx, model, args, obs, opts, &r)) return NULL;
  genc_key key = genc_key_fold_in(opts ? opts->key : (genc_key){{0, 0}, 0}, 3);
  int64_t mark = genc_scope_begin(ctx);
  genc_array *idx = genc_resample(ctx, r.log_weights, r.n, m, scheme, key);
  genc_trace *t = idx ? genc_trace_take(ctx, r.trace, idx) : NULL;
  genc_scope_end(ctx, mark);
  if (t && log_ml) *log_ml = r.log_ml;
  genc_is_result_clear(&r);
  return t;
}

/* The device path's systematic and stratified resampling (smc_internal.h).
 * Multinomial needs sorted points (a sort or a scan of exponentials) and
 * residual a second pass over floors: they stay on the host. The cumulative
 * sums are plain f64 scans, not compensated like the host's: their relative
 * error is a few eps times log2 n for a tree scan (n eps for a serial one),
 * which moves an ancestor only where a point lies that close to a sum. */
genc_array *genc__smc_ancestors_dev(genc_ctx *ctx, genc_array *rel, int64_t m,
                                    genc_resample_scheme scheme, genc_key key) {
  if (!ctx || !rel) return NULL;
  if (scheme != GENC_RESAMPLE_SYSTEMATIC && scheme != GENC_RESAMPLE_STRATIFIED) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, FN ": scheme %d has no device path", (int)scheme);
    return NULL;
  }
  int64_t n = genc_array_size(rel), nu = scheme == GENC_RESAMPLE_SYSTEMATIC ? 1 : m;
  genc_array *c = genc_cumsum(ctx, genc_astype(ctx, rel, GENC_F64), 0);
  genc_array *total = genc_slice(ctx, c, 0, n - 1, n, 1); /* [1] */
  genc_array *u = genc_random_uniform(ctx, key, GENC_F64, 1, &nu, 0);
  /* (j + U_j) * (total / m), the host's expression */
  genc_array *j = genc_array_arange(ctx, GENC_F64, 0, (double)m, 1);
  genc_array *p = genc_mul(ctx, genc_add(ctx, j, u), genc_div(ctx, total, (double)m));
  genc_array *idx = genc_searchsorted(ctx, c, p, true); /* smallest i with C_i > p */
  /* a point at or past the total (rounding) would get n or a trailing zero
   * weight: the first i with C_i >= total is the last of positive weight */
  genc_array *last = genc_searchsorted(ctx, c, total, false);
  return genc_minimum(ctx, idx, last);
}
