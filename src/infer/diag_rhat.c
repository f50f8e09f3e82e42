/* R-hat: posterior's .rhat on split chains, plain (rhat_basic) and
 * rank-normalized over the bulk and the folded tails (rhat). */
#include <math.h>
#include <stdlib.h>

#include "infer/diag.h"

genc_status genc__diag_rhat_of(genc_ctx *ctx, const char *fn, const double *x, int64_t m, int64_t n,
                               double *rhat) {
  *rhat = NAN;
  if (n < 2 || genc__diag_degenerate(x, m * n)) return GENC_OK;
  double *means = malloc((size_t)m * sizeof *means);
  if (!means) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory for chain means", fn);
  long double w = 0;
  for (int64_t c = 0; c < m; c++) {
    means[c] = genc__diag_mean(x + c * n, n);
    w += genc__diag_var(x + c * n, n);
  }
  double var_between = (double)n * (m > 1 ? genc__diag_var(means, m) : NAN);
  double var_within = (double)(w / m);
  free(means);
  *rhat = sqrt((var_between / var_within + (double)n - 1) / (double)n);
  return GENC_OK;
}

/* R-hat of the split chains of draws; rank-normalized and folded when rank. */
static genc_status rhat_split(genc_ctx *ctx, const char *fn, const double *draws, int64_t nchains,
                              int64_t niter, bool rank, double *rhat) {
  genc_status st = genc__diag_args(ctx, fn, draws, nchains, niter, rhat);
  if (st) return st;
  *rhat = NAN;
  int64_t total = nchains * niter, mc, nc;
  /* posterior ranks infinities in the rank-normalized R-hat; only NaN makes it NA */
  if (rank ? genc__diag_has_nan(draws, total) : genc__diag_degenerate(draws, total)) return GENC_OK;
  double *y = genc__diag_split(ctx, fn, draws, nchains, niter, &mc, &nc);
  if (!y) return genc_ctx_status(ctx);
  if (!rank) {
    st = genc__diag_rhat_of(ctx, fn, y, mc, nc, rhat);
    free(y);
    return st;
  }
  double *s = genc__diag_sorted(ctx, fn, draws, total);
  double *f = malloc((size_t)(mc * nc) * sizeof *f);
  if (!s || !f) {
    free(y);
    free(s);
    free(f);
    return s ? genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory for folded draws", fn)
             : genc_ctx_status(ctx);
  }
  /* fold_draws: |x - median(x)|, the median over all draws before the split */
  double med = genc__diag_median_sorted(s, total);
  for (int64_t i = 0; i < mc * nc; i++)
    f[i] = fabs(y[i] - med);
  st = genc__diag_zscale(ctx, fn, y, mc * nc);
  if (!st) st = genc__diag_zscale(ctx, fn, f, mc * nc);
  double bulk = NAN, tail = NAN;
  if (!st) st = genc__diag_rhat_of(ctx, fn, y, mc, nc, &bulk);
  if (!st) st = genc__diag_rhat_of(ctx, fn, f, mc, nc, &tail);
  if (!st) {
    *rhat = isnan(bulk) || isnan(tail) ? NAN : fmax(bulk, tail);
  }
  free(y);
  free(s);
  free(f);
  return st;
}

genc_status genc_diag_rhat(genc_ctx *ctx, const double *draws, int64_t nchains, int64_t niter,
                           double *rhat) {
  return rhat_split(ctx, "genc_diag_rhat", draws, nchains, niter, true, rhat);
}

genc_status genc_diag_rhat_basic(genc_ctx *ctx, const double *draws, int64_t nchains, int64_t niter,
                                 double *rhat) {
  return rhat_split(ctx, "genc_diag_rhat_basic", draws, nchains, niter, false, rhat);
}
