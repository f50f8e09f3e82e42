/* CPU reductions and scans over the middle axis of an [outer, len, inner] view. */
#include <math.h>

#include "backend/cpu/cpu.h"
#include "backend/rowsum.h"
#include "backend/cpu/vecmath.h"

#define RED_LOOP(T, INIT, STEP, FINISH)                                                            \
  for (int64_t o = 0; o < outer; o++) {                                                            \
    const T *xo = x + o * len * inner;                                                             \
    T *yo = y + o * inner;                                                                         \
    for (int64_t j = 0; j < inner; j++)                                                            \
      yo[j] = (T)(INIT);                                                                           \
    for (int64_t l = 0; l < len; l++) {                                                            \
      const T *xr = xo + l * inner;                                                                \
      for (int64_t j = 0; j < inner; j++) {                                                        \
        T acc = yo[j], v = xr[j];                                                                  \
        yo[j] = (T)(STEP);                                                                         \
      }                                                                                            \
    }                                                                                              \
    for (int64_t j = 0; j < inner; j++) {                                                          \
      T acc = yo[j];                                                                               \
      (void)acc;                                                                                   \
      yo[j] = (T)(FINISH);                                                                         \
    }                                                                                              \
  }

#define ARG_LOOP(T, BETTER)                                                                        \
  for (int64_t o = 0; o < outer; o++)                                                              \
    for (int64_t j = 0; j < inner; j++) {                                                          \
      const T *xo = x + o * len * inner + j;                                                       \
      int32_t best = 0;                                                                            \
      for (int64_t l = 1; l < len; l++) {                                                          \
        T v = xo[l * inner], b = xo[best * inner];                                                 \
        if ((BETTER) || (v != v && b == b)) best = (int32_t)l;                                     \
      }                                                                                            \
      ((int32_t *)yv)[o * inner + j] = best;                                                       \
    }

/* logsumexp in two passes: max, then sum of exp(x - max) */
#define LSE_LOOP(T, EXP, LOG)                                                                      \
  for (int64_t o = 0; o < outer; o++) {                                                            \
    const T *xo = x + o * len * inner;                                                             \
    T *yo = y + o * inner;                                                                         \
    for (int64_t j = 0; j < inner; j++) {                                                          \
      T m = -INFINITY, s = 0;                                                                      \
      for (int64_t l = 0; l < len; l++) {                                                          \
        T v = xo[l * inner + j];                                                                   \
        if (v > m || v != v) m = v;                                                                \
      }                                                                                            \
      if (m != m || m == INFINITY || m == -INFINITY) {                                             \
        yo[j] = m;                                                                                 \
        continue;                                                                                  \
      }                                                                                            \
      for (int64_t l = 0; l < len; l++)                                                            \
        s += EXP(xo[l * inner + j] - m);                                                           \
      yo[j] = m + LOG(s);                                                                          \
    }                                                                                              \
  }

#define REDUCE_ALL(T, EXP, LOG)                                                                    \
  {                                                                                                \
    const T *x = xv;                                                                               \
    T *y = yv;                                                                                     \
    switch (op) {                                                                                  \
    case GENC_RSUM: RED_LOOP(T, 0, acc + v, acc) break;                                            \
    case GENC_RPROD: RED_LOOP(T, 1, acc *v, acc) break;                                            \
    case GENC_RMAX: RED_LOOP(T, -INFINITY, (v > acc || v != v) ? v : acc, acc) break;              \
    case GENC_RMIN: RED_LOOP(T, INFINITY, (v < acc || v != v) ? v : acc, acc) break;               \
    case GENC_RLOGSUMEXP: LSE_LOOP(T, EXP, LOG) break;                                             \
    case GENC_RARGMAX: ARG_LOOP(T, v > b) break;                                                   \
    case GENC_RARGMIN: ARG_LOOP(T, v < b) break;                                                   \
    }                                                                                              \
  }

/* Contiguous rows (inner == 1) of max and min, the common case: four
 * independent accumulators so the loop is not bound by the latency of one
 * compare chain. */
#define ROW4(T, INIT, STEP)                                                                        \
  for (int64_t o = 0; o < outer; o++) {                                                            \
    const T *r = x + o * len;                                                                      \
    T a0 = INIT, a1 = INIT, a2 = INIT, a3 = INIT, v;                                               \
    int64_t l = 0;                                                                                 \
    for (; l + 4 <= len; l += 4) {                                                                 \
      T acc;                                                                                       \
      acc = a0, v = r[l], a0 = (STEP);                                                             \
      acc = a1, v = r[l + 1], a1 = (STEP);                                                         \
      acc = a2, v = r[l + 2], a2 = (STEP);                                                         \
      acc = a3, v = r[l + 3], a3 = (STEP);                                                         \
    }                                                                                              \
    for (; l < len; l++) {                                                                         \
      T acc = a0;                                                                                  \
      v = r[l], a0 = (STEP);                                                                       \
    }                                                                                              \
    T acc = a0;                                                                                    \
    v = a1, acc = (STEP), v = a2, acc = (STEP), v = a3, acc = (STEP);                              \
    y[o] = acc;                                                                                    \
  }

/* Contiguous-row sums by genc_x_rowsum (backend/rowsum.h: sixteen lanes,
 * chains of len / 16 adds), the function compiled regions call, so the same
 * bits. */
#define ROWS_FLOAT(T, ROWSUM)                                                                      \
  {                                                                                                \
    const T *x = xv;                                                                               \
    T *y = yv;                                                                                     \
    switch (op) {                                                                                  \
    case GENC_RSUM:                                                                                \
      for (int64_t o = 0; o < outer; o++)                                                          \
        y[o] = ROWSUM(x + o * len, len);                                                           \
      return true;                                                                                 \
    case GENC_RMAX: ROW4(T, -INFINITY, (v > acc || v != v) ? v : acc) return true;                 \
    case GENC_RMIN: ROW4(T, INFINITY, (v < acc || v != v) ? v : acc) return true;                  \
    default: return false;                                                                         \
    }                                                                                              \
  }

static bool reduce_rows(genc_reduce_op op, genc_dtype dt, const void *xv, void *yv, int64_t outer,
                        int64_t len) {
  if (dt == GENC_F64) ROWS_FLOAT(double, genc_x_rowsum)
  if (dt == GENC_F32) ROWS_FLOAT(float, genc_x_rowsumf)
  return false;
}

void genc_cpu_reduce(void *st, genc_reduce_op op, genc_dtype dt, const void *xv, void *yv,
                     int64_t outer, int64_t len, int64_t inner) {
  (void)st;
  if (inner == 1 && reduce_rows(op, dt, xv, yv, outer, len)) return;
  switch (dt) {
  case GENC_F64: REDUCE_ALL(double, genc_exp_term, log) break;
  case GENC_F32: REDUCE_ALL(float, genc_expf_term, logf) break;
  case GENC_I32: {
    const int32_t *x = xv;
    int32_t *y = yv;
    switch (op) {
    case GENC_RSUM: RED_LOOP(int32_t, 0, GENC_WRAP32(acc, +, v), acc) break;
    case GENC_RPROD: RED_LOOP(int32_t, 1, GENC_WRAP32(acc, *, v), acc) break;
    case GENC_RMAX: RED_LOOP(int32_t, INT32_MIN, v > acc ? v : acc, acc) break;
    case GENC_RMIN: RED_LOOP(int32_t, INT32_MAX, v < acc ? v : acc, acc) break;
    case GENC_RARGMAX: ARG_LOOP(int32_t, v > b) break;
    case GENC_RARGMIN: ARG_LOOP(int32_t, v < b) break;
    default: break;
    }
    break;
  }
  case GENC_BOOL: break;
  }
}

/* Rows of the scanned axis are visited in memory order (l outer, j inner), so a
 * scan over a leading axis streams through memory once instead of once per j. */
#define SCAN_LOOP(T, EXP, LOG1P)                                                                   \
  {                                                                                                \
    const T *x = xv;                                                                               \
    T *y = yv;                                                                                     \
    for (int64_t o = 0; o < outer; o++)                                                            \
      for (int64_t l = 0; l < len; l++) {                                                          \
        const T *xr = x + (o * len + l) * inner;                                                   \
        T *yr = y + (o * len + l) * inner;                                                         \
        for (int64_t j = 0; j < inner; j++) {                                                      \
          T v = xr[j], acc = l ? yr[j - inner] : (op == GENC_RSUM ? 0 : -INFINITY);                \
          if (op == GENC_RSUM) {                                                                   \
            acc += v;                                                                              \
          } else if (acc == -INFINITY || v == INFINITY) {                                          \
            acc = v; /* nothing to add to, or v dominates */                                       \
          } else if (v != -INFINITY) {                                                             \
            T hi = acc > v ? acc : v, lo = acc > v ? v : acc;                                      \
            acc = hi + LOG1P(EXP(lo - hi));                                                        \
          }                                                                                        \
          yr[j] = acc;                                                                             \
        }                                                                                          \
      }                                                                                            \
  }

void genc_cpu_scan(void *st, genc_reduce_op op, genc_dtype dt, const void *xv, void *yv,
                   int64_t outer, int64_t len, int64_t inner) {
  (void)st;
  if (dt == GENC_F64)
    SCAN_LOOP(double, exp, log1p)
  else if (dt == GENC_F32)
    SCAN_LOOP(float, expf, log1pf)
  else if (dt == GENC_I32) {
    const int32_t *x = xv;
    int32_t *y = yv;
    for (int64_t o = 0; o < outer; o++)
      for (int64_t j = 0; j < inner; j++) {
        int32_t acc = 0;
        for (int64_t l = 0; l < len; l++) {
          acc = GENC_WRAP32(acc, +, x[(o * len + l) * inner + j]);
          y[(o * len + l) * inner + j] = acc;
        }
      }
  }
}

#define SS_LOOP(T)                                                                                 \
  {                                                                                                \
    const T *s = sorted;                                                                           \
    const T *vv = v;                                                                               \
    for (int64_t o = 0; o < outer; o++) {                                                          \
      const T *row = s + o * srow;                                                                 \
      for (int64_t k = 0; k < m; k++) {                                                            \
        T q = vv[o * vrow + k];                                                                    \
        int64_t lo = 0, hi = len;                                                                  \
        while (lo < hi) {                                                                          \
          int64_t mid = (lo + hi) / 2;                                                             \
          if (right ? !(q < row[mid]) : row[mid] < q)                                              \
            lo = mid + 1;                                                                          \
          else                                                                                     \
            hi = mid;                                                                              \
        }                                                                                          \
        out32[o * m + k] = (int32_t)lo;                                                            \
      }                                                                                            \
    }                                                                                              \
  }

void genc_cpu_searchsorted(void *st, genc_dtype dt, const void *sorted, int64_t srow, int64_t len,
                           const void *v, int64_t vrow, void *out, int64_t outer, int64_t m,
                           bool right) {
  (void)st;
  int32_t *out32 = out;
  if (dt == GENC_F64)
    SS_LOOP(double)
  else if (dt == GENC_F32)
    SS_LOOP(float)
  else if (dt == GENC_I32)
    SS_LOOP(int32_t)
}
