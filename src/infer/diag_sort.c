/* Sorting for the diagnostics: ranks and order statistics of millions of draws
 * are sorted several times per parameter, so large inputs take an LSD radix
 * sort on the doubles' order-preserving integer keys (O(n), stable), small
 * ones qsort. No NaN may be present (callers check). */
#include <stdlib.h>
#include <string.h>

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

static genc_status sort_small(genc_ctx *ctx, const char *fn, double *x, int64_t *idx, int64_t n) {
  keyed *k = malloc((size_t)(n ? n : 1) * sizeof *k);
  if (!k)
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory to sort %lld draws", fn, (long long)n);
  for (int64_t i = 0; i < n; i++)
    k[i] = (keyed){x[i], idx ? idx[i] : i};
  qsort(k, (size_t)n, sizeof *k, cmp_keyed);
  for (int64_t i = 0; i < n; i++) {
    x[i] = k[i].v;
    if (idx) idx[i] = k[i].i;
  }
  free(k);
  return GENC_OK;
}

/* Flip the sign bit of non-negative doubles and every bit of negative ones:
 * the unsigned order of the keys is then the numeric order. */
static uint64_t to_key(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u >> 63 ? ~u : u | 0x8000000000000000ull;
}

static double from_key(uint64_t u) {
  u = u >> 63 ? u & 0x7fffffffffffffffull : ~u;
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

genc_status genc__diag_sort(genc_ctx *ctx, const char *fn, double *x, int64_t *idx, int64_t n) {
  if (n < 4096) return sort_small(ctx, fn, x, idx, n);
  enum { BITS = 16, NB = 1 << BITS };
  uint64_t *k = malloc((size_t)n * 2 * sizeof *k);
  int64_t *j = idx ? malloc((size_t)n * 2 * sizeof *j) : NULL;
  size_t *count = malloc(NB * sizeof *count);
  if (!k || (idx && !j) || !count) {
    free(k);
    free(j);
    free(count);
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory to sort %lld draws", fn, (long long)n);
  }
  uint64_t *src = k, *dst = k + n;
  int64_t *isrc = j, *idst = j ? j + n : NULL;
  for (int64_t i = 0; i < n; i++) {
    src[i] = to_key(x[i]);
    if (j) isrc[i] = idx[i];
  }
  for (int shift = 0; shift < 64; shift += BITS) {
    memset(count, 0, NB * sizeof *count);
    for (int64_t i = 0; i < n; i++)
      count[(src[i] >> shift) & (NB - 1)]++;
    if (count[(src[0] >> shift) & (NB - 1)] == (size_t)n) continue; /* one digit: no move */
    size_t sum = 0;
    for (int b = 0; b < NB; b++) {
      size_t c = count[b];
      count[b] = sum;
      sum += c;
    }
    for (int64_t i = 0; i < n; i++) {
      size_t p = count[(src[i] >> shift) & (NB - 1)]++;
      dst[p] = src[i];
      if (j) idst[p] = isrc[i];
    }
    uint64_t *t = src;
    src = dst;
    dst = t;
    if (j) {
      int64_t *ti = isrc;
      isrc = idst;
      idst = ti;
    }
  }
  for (int64_t i = 0; i < n; i++) {
    x[i] = from_key(src[i]);
    if (j) idx[i] = isrc[i];
  }
  free(k);
  free(j);
  free(count);
  return GENC_OK;
}
