/* One-pass host scans (host_scan.h): no temporaries, no reductions. */
#include <math.h>

#include "array/host_scan.h"
#include "array/internal.h"

/* Branch-free counts: one cheap pass. NaN fails v == v. The f64 count sums
 * 0.0 or 1.0 in eight lanes (exact below 2^53 elements): a single running
 * sum of doubles is an in-order chain of adds (the vectorizer may not
 * reassociate it, one add latency per element), and an int64 sum of f64
 * comparisons does not vectorize below AVX2; eight lanes vectorize on SSE2. */
#define CL 8
static int64_t count_f64(const double *p, int64_t n) {
  double lane[CL] = {0}, bad = 0;
  int64_t i = 0;
  for (; i + CL <= n; i += CL)
    for (int l = 0; l < CL; l++) {
      double v = p[i + l];
      lane[l] += (v != v) | (v == INFINITY) ? 1.0 : 0.0;
    }
  for (; i < n; i++) {
    double v = p[i];
    bad += (v != v) | (v == INFINITY) ? 1.0 : 0.0;
  }
  for (int l = 0; l < CL; l++)
    bad += lane[l];
  return (int64_t)bad;
}

static int64_t count_f32(const float *p, int64_t n) {
  int64_t bad = 0;
  for (int64_t i = 0; i < n; i++) {
    float v = p[i];
    bad += v != v ? 1 : (v == INFINITY ? 1 : 0);
  }
  return bad;
}

int64_t genc__host_count_nan_posinf(const genc_ctx *ctx, const genc_array *x) {
  if (!ctx || !x || x->ctx != ctx || genc__capturing(ctx) || ctx->bk->device != GENC_CPU) return -1;
  int64_t n = genc__numel(x);
  if (n == 0) return 0;
  if (!x->data) return -1;
  switch ((genc_dtype)x->dtype) {
  case GENC_F64: return count_f64(x->data, n);
  case GENC_F32: return count_f32(x->data, n);
  case GENC_I32:
  case GENC_BOOL: return 0;
  }
  return -1;
}

const double *genc_array_host_f64(const genc_ctx *ctx, const genc_array *x, int64_t n) {
  if (!ctx || !x || x->ctx != ctx || genc__capturing(ctx) || ctx->bk->device != GENC_CPU ||
      (genc_dtype)x->dtype != GENC_F64 || genc__numel(x) != n)
    return NULL;
  return x->data;
}
