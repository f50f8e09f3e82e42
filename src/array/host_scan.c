/* One-pass host scans (host_scan.h): no temporaries, no reductions. */
#include <math.h>

#include "array/host_scan.h"
#include "array/internal.h"

/* Branch-free counts: one cheap pass. NaN fails v == v. The f64 count sums
 * doubles (exact below 2^53 elements) because GCC 12 vectorizes that form,
 * not an int64 sum of f64 comparisons. */
static int64_t count_f64(const double *p, int64_t n) {
  double bad = 0;
  for (int64_t i = 0; i < n; i++) {
    double v = p[i];
    bad += v != v || v == INFINITY ? 1.0 : 0.0;
  }
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
