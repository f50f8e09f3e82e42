/* The summary table: posterior::summarise_draws()'s default columns for one
 * parameter, and the table of many formatted into a caller's buffer (the
 * library never prints). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infer/diag.h"

/* mean, sd, median, mad, q5, q95 from the pooled draws */
static genc_status pooled(genc_ctx *ctx, const char *fn, const double *x, int64_t n,
                          genc_diag_summary *o) {
  o->mean = genc__diag_mean(x, n);
  o->sd = sqrt(genc__diag_var(x, n));
  for (int64_t i = 0; i < n; i++)
    if (isnan(x[i])) { /* R's median and quantile of NaN draws: NA */
      o->median = o->mad = o->q5 = o->q95 = NAN;
      return GENC_OK;
    }
  double *s = genc__diag_sorted(ctx, fn, x, n);
  if (!s) return genc_ctx_status(ctx);
  o->median = genc__diag_median_sorted(s, n);
  o->q5 = genc__diag_quantile_sorted(s, n, 0.05);
  o->q95 = genc__diag_quantile_sorted(s, n, 0.95);
  for (int64_t i = 0; i < n; i++)
    s[i] = fabs(x[i] - o->median);
  double *d = genc__diag_sorted(ctx, fn, s, n);
  free(s);
  if (!d) return genc_ctx_status(ctx);
  o->mad = 1.4826 * genc__diag_median_sorted(d, n); /* R's mad(): constant 1.4826 */
  free(d);
  return GENC_OK;
}

genc_status genc_diag_summarize(genc_ctx *ctx, const double *draws, int64_t nchains, int64_t niter,
                                genc_diag_summary *out) {
  const char *fn = "genc_diag_summarize";
  genc_status st = genc__diag_args(ctx, fn, draws, nchains, niter, out);
  if (st) return st;
  st = pooled(ctx, fn, draws, nchains * niter, out);
  if (!st) st = genc_diag_rhat(ctx, draws, nchains, niter, &out->rhat);
  if (!st) st = genc_diag_ess_bulk(ctx, draws, nchains, niter, &out->ess_bulk);
  if (!st) st = genc_diag_ess_tail(ctx, draws, nchains, niter, &out->ess_tail);
  if (!st) st = genc_diag_mcse_mean(ctx, draws, nchains, niter, &out->mcse_mean);
  return st;
}

/* Appends to a buffer that counts what it would need when it is too small. */
typedef struct {
  char *buf;
  size_t size, len;
} sink;

static void put(sink *k, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t room = k->len < k->size ? k->size - k->len : 0;
  int w = vsnprintf(k->buf ? k->buf + (room ? k->len : 0) : NULL, room, fmt, ap);
  va_end(ap);
  if (w > 0) k->len += (size_t)w;
}

/* Values print as posterior's tibble does, to about 3 significant digits:
 * %.3g would switch to exponents at 1e3, so wider numbers get no decimals. */
static void put_num(sink *k, double v) {
  if (isnan(v))
    put(k, " %9s", "NA");
  else if (fabs(v) >= 1e3 && fabs(v) < 1e9)
    put(k, " %9.0f", v);
  else if (v == 0 || (fabs(v) >= 1e-3 && fabs(v) < 1e3))
    put(k, " %9.3g", v);
  else
    put(k, " %9.2e", v);
}

genc_status genc_diag_summary_format(genc_ctx *ctx, int nrows, const char *const *names,
                                     const genc_diag_summary *rows, char *buf, size_t bufsize,
                                     size_t *needed) {
  const char *fn = "genc_diag_summary_format";
  if (nrows < 0 || (nrows > 0 && (!names || !rows)) || (!buf && bufsize))
    return genc_ctx_fail(
        ctx, GENC_ERR_ARG, "%s: nrows = %d with names %s, rows %s, buf %s of %zu bytes", fn, nrows,
        names ? "given" : "NULL", rows ? "given" : "NULL", buf ? "given" : "NULL", bufsize);
  int w = 8;
  for (int i = 0; i < nrows; i++) {
    if (!names[i]) return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: names[%d] is NULL", fn, i);
    if ((int)strlen(names[i]) > w) w = (int)strlen(names[i]);
  }
  sink k = {buf, bufsize, 0};
  if (buf && bufsize) buf[0] = '\0';
  static const char *cols[] = {"mean", "median", "sd",       "mad",      "q5",
                               "q95",  "rhat",   "ess_bulk", "ess_tail", "mcse_mean"};
  put(&k, "%-*s", w, "variable");
  for (int c = 0; c < 10; c++)
    put(&k, " %9s", cols[c]);
  put(&k, "\n");
  for (int i = 0; i < nrows; i++) {
    const genc_diag_summary *r = &rows[i];
    put(&k, "%-*s", w, names[i]);
    double v[6] = {r->mean, r->median, r->sd, r->mad, r->q5, r->q95};
    for (int c = 0; c < 6; c++)
      put_num(&k, v[c]);
    if (isnan(r->rhat))
      put(&k, " %9s", "NA");
    else
      put(&k, " %9.3f", r->rhat);
    put_num(&k, isnan(r->ess_bulk) ? NAN : round(r->ess_bulk));
    put_num(&k, isnan(r->ess_tail) ? NAN : round(r->ess_tail));
    put_num(&k, r->mcse_mean);
    put(&k, "\n");
  }
  if (needed) *needed = k.len;
  if (buf && k.len >= bufsize)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: the table needs %zu bytes, buf has %zu", fn,
                         k.len + 1, bufsize);
  return GENC_OK;
}
