/* Rank normalization (posterior's z_scale): average ranks over all pooled
 * draws, then normal scores qnorm((r - 3/8) / (S - 2 * 3/8 + 1)), Blom's
 * offset, as Vehtari et al. (2021) define the bulk diagnostics. */
#include <stdlib.h>
#include <string.h>

#include "infer/diag.h"

genc_status genc__diag_zscale(genc_ctx *ctx, const char *fn, double *x, int64_t n) {
  double *v = malloc((size_t)n * sizeof *v);
  int64_t *k = malloc((size_t)n * sizeof *k);
  if (!v || !k) {
    free(v);
    free(k);
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory to rank %lld draws", fn, (long long)n);
  }
  memcpy(v, x, (size_t)n * sizeof *v);
  for (int64_t i = 0; i < n; i++)
    k[i] = i;
  genc_status st = genc__diag_sort(ctx, fn, v, k, n);
  if (st) {
    free(v);
    free(k);
    return st;
  }
  double denom = (double)n - 0.75 + 1;
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    while (j + 1 < n && v[j + 1] == v[i])
      j++;
    /* ties share the average of their 1-based ranks i+1 .. j+1, as R's rank() */
    double r = (double)(i + j + 2) / 2.0;
    double z = genc__diag_qnorm((r - 0.375) / denom);
    for (int64_t t = i; t <= j; t++)
      x[k[t]] = z;
    i = j + 1;
  }
  free(v);
  free(k);
  return GENC_OK;
}
