/* Rank normalization (posterior's z_scale): average ranks over all pooled
 * draws, then normal scores qnorm((r - 3/8) / (S - 2 * 3/8 + 1)), Blom's
 * offset, as Vehtari et al. (2021) define the bulk diagnostics. */
#include <stdlib.h>

#include "infer/diag.h"

typedef struct {
  double v;
  int64_t i;
} keyed;

static int cmp_keyed(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  if (x->v != y->v) return (x->v > y->v) - (x->v < y->v);
  return (x->i > y->i) - (x->i < y->i);
}

genc_status genc__diag_zscale(genc_ctx *ctx, const char *fn, double *x, int64_t n) {
  keyed *k = malloc((size_t)n * sizeof *k);
  if (!k)
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory to rank %lld draws", fn, (long long)n);
  for (int64_t i = 0; i < n; i++)
    k[i] = (keyed){x[i], i};
  qsort(k, (size_t)n, sizeof *k, cmp_keyed);
  double denom = (double)n - 0.75 + 1;
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    while (j + 1 < n && k[j + 1].v == k[i].v)
      j++;
    /* ties share the average of their 1-based ranks i+1 .. j+1, as R's rank() */
    double r = (double)(i + j + 2) / 2.0;
    double z = genc__diag_qnorm((r - 0.375) / denom);
    for (int64_t t = i; t <= j; t++)
      x[k[t].i] = z;
    i = j + 1;
  }
  free(k);
  return GENC_OK;
}
