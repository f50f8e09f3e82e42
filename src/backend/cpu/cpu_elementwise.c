/* CPU elementwise kernels. Loops are written per dtype with the op switch
 * outside the loop, so each inner loop is a plain vectorizable C loop. */
#include <math.h>

#include "backend/cpu/cpu.h"
#include "backend/cpu/vecmath.h"
#include "backend/specfun.h"

void genc_cpu_fill(void *st, genc_dtype dt, void *dst, int64_t n, double v) {
  (void)st;
  switch (dt) {
  case GENC_F64:
    for (int64_t i = 0; i < n; i++)
      ((double *)dst)[i] = v;
    break;
  case GENC_F32:
    for (int64_t i = 0; i < n; i++)
      ((float *)dst)[i] = (float)v;
    break;
  case GENC_I32:
    for (int64_t i = 0; i < n; i++)
      ((int32_t *)dst)[i] = (int32_t)v;
    break;
  case GENC_BOOL:
    for (int64_t i = 0; i < n; i++)
      ((uint8_t *)dst)[i] = v != 0;
    break;
  }
}

#define CAST_TO(TO, CONV)                                                                          \
  switch (from) {                                                                                  \
  case GENC_F64:                                                                                   \
    for (int64_t i = 0; i < n; i++)                                                                \
      ((TO *)y)[i] = CONV(((const double *)x)[i]);                                                 \
    break;                                                                                         \
  case GENC_F32:                                                                                   \
    for (int64_t i = 0; i < n; i++)                                                                \
      ((TO *)y)[i] = CONV(((const float *)x)[i]);                                                  \
    break;                                                                                         \
  case GENC_I32:                                                                                   \
    for (int64_t i = 0; i < n; i++)                                                                \
      ((TO *)y)[i] = CONV(((const int32_t *)x)[i]);                                                \
    break;                                                                                         \
  case GENC_BOOL:                                                                                  \
    for (int64_t i = 0; i < n; i++)                                                                \
      ((TO *)y)[i] = CONV(((const uint8_t *)x)[i]);                                                \
    break;                                                                                         \
  }
#define CONV_F64(v) ((double)(v))
#define CONV_F32(v) ((float)(v))
#define CONV_I32(v) ((int32_t)(v))
#define CONV_BOOL(v) ((uint8_t)((v) != 0))

void genc_cpu_cast(void *st, genc_dtype from, const void *x, genc_dtype to, void *y, int64_t n) {
  (void)st;
  switch (to) {
  case GENC_F64: CAST_TO(double, CONV_F64) break;
  case GENC_F32: CAST_TO(float, CONV_F32) break;
  case GENC_I32: CAST_TO(int32_t, CONV_I32) break;
  case GENC_BOOL: CAST_TO(uint8_t, CONV_BOOL) break;
  }
}

#define ULOOP(EXPR)                                                                                \
  for (int64_t i = 0; i < n; i++) {                                                                \
    T v = x[i];                                                                                    \
    y[i] = (T)(EXPR);                                                                              \
  }                                                                                                \
  break;
#define FLOOPS(S)                                                                                  \
  case GENC_NEG: ULOOP(-v)                                                                         \
  case GENC_ABS: ULOOP(fabs##S(v))                                                                 \
  case GENC_SIGN: ULOOP(v != v ? v : (T)((v > 0) - (v < 0)))                                       \
  case GENC_EXP: ULOOP(exp##S(v))                                                                  \
  case GENC_EXPM1: ULOOP(expm1##S(v))                                                              \
  case GENC_LOG: ULOOP(log##S(v))                                                                  \
  case GENC_LOG1P: ULOOP(log1p##S(v))                                                              \
  case GENC_SQRT: ULOOP(sqrt##S(v))                                                                \
  case GENC_SQUARE: ULOOP(v *v)                                                                    \
  case GENC_SIN: ULOOP(sin##S(v))                                                                  \
  case GENC_COS: ULOOP(cos##S(v))                                                                  \
  case GENC_TAN: ULOOP(tan##S(v))                                                                  \
  case GENC_TANH: ULOOP(tanh##S(v))                                                                \
  case GENC_SIGMOID: ULOOP(genc_sf_sigmoid(v))                                                     \
  case GENC_LOG_SIGMOID: ULOOP(genc_sf_log_sigmoid(v))                                             \
  case GENC_SOFTPLUS: ULOOP(genc_sf_softplus(v))                                                   \
  case GENC_ERF: ULOOP(erf##S(v))                                                                  \
  case GENC_ERFC: ULOOP(erfc##S(v))                                                                \
  case GENC_ERFINV: ULOOP(genc_sf_erfinv(v))                                                       \
  case GENC_LGAMMA: ULOOP(genc_sf_lgamma(v))                                                       \
  case GENC_DIGAMMA: ULOOP(genc_sf_digamma(v))                                                     \
  case GENC_TRIGAMMA: ULOOP(genc_sf_trigamma(v))                                                   \
  case GENC_FLOOR: ULOOP(floor##S(v))                                                              \
  case GENC_CEIL: ULOOP(ceil##S(v))                                                                \
  case GENC_ROUND: ULOOP(round##S(v))                                                              \
  case GENC_RECIPROCAL: ULOOP(1 / v)                                                               \
  default: break;

static void unary_bool_out(genc_unary_op op, genc_dtype dt, const void *x, uint8_t *y, int64_t n) {
  if (op == GENC_NOT) {
    for (int64_t i = 0; i < n; i++)
      y[i] = !((const uint8_t *)x)[i];
  } else if (dt == GENC_F64) {
    for (int64_t i = 0; i < n; i++)
      y[i] = isfinite(((const double *)x)[i]) != 0;
  } else {
    for (int64_t i = 0; i < n; i++)
      y[i] = isfinite(((const float *)x)[i]) != 0;
  }
}

GENC_VEC_CLONES void genc_cpu_unary(void *st, genc_unary_op op, genc_dtype dt, const void *xv,
                                    void *yv, int64_t n) {
  (void)st;
  if (op == GENC_NOT || op == GENC_ISFINITE) {
    unary_bool_out(op, dt, xv, yv, n);
    return;
  }
  if (dt == GENC_F64) {
    typedef double T;
    const T *x = xv;
    T *y = yv;
    switch (op) { FLOOPS() }
  } else if (dt == GENC_F32) {
    typedef float T;
    const T *x = xv;
    T *y = yv;
    switch (op) { FLOOPS(f) }
  } else if (dt == GENC_I32) {
    typedef int32_t T;
    const T *x = xv;
    T *y = yv;
    switch (op) {
    case GENC_NEG: ULOOP(GENC_WRAP32(0, -, v))
    case GENC_ABS: ULOOP(v < 0 ? GENC_WRAP32(0, -, v) : v)
    case GENC_SIGN: ULOOP((v > 0) - (v < 0))
    case GENC_SQUARE: ULOOP(GENC_WRAP32(v, *, v))
    default: break;
    }
  }
}

/* Broadcasting loop over a collapsed iteration space: output contiguous, the
 * innermost dimension specialized for the common stride patterns. */
#define LOOP2(T, TO, EXPR)                                                                         \
  do {                                                                                             \
    const T *A_ = a;                                                                               \
    const T *B_ = b;                                                                               \
    TO *O_ = out;                                                                                  \
    int nd_ = g->ndim;                                                                             \
    int64_t w_ = g->shape[nd_ - 1], sa_ = g->stride[0][nd_ - 1], sb_ = g->stride[1][nd_ - 1];      \
    int64_t outer_ = g->n / w_, idx_[GENC_PDIMS] = {0}, off_[2] = {0, 0};                          \
    for (int64_t o_ = 0; o_ < outer_; o_++) {                                                      \
      const T *pa_ = A_ + off_[0], *pb_ = B_ + off_[1];                                            \
      TO *po_ = O_ + o_ * w_;                                                                      \
      if (sa_ == 1 && sb_ == 1) {                                                                  \
        for (int64_t i = 0; i < w_; i++) {                                                         \
          T x = pa_[i], y = pb_[i];                                                                \
          po_[i] = (TO)(EXPR);                                                                     \
        }                                                                                          \
      } else if (sa_ == 0 && sb_ == 1) {                                                           \
        T x = pa_[0];                                                                              \
        for (int64_t i = 0; i < w_; i++) {                                                         \
          T y = pb_[i];                                                                            \
          po_[i] = (TO)(EXPR);                                                                     \
        }                                                                                          \
      } else if (sa_ == 1 && sb_ == 0) {                                                           \
        T y = pb_[0];                                                                              \
        for (int64_t i = 0; i < w_; i++) {                                                         \
          T x = pa_[i];                                                                            \
          po_[i] = (TO)(EXPR);                                                                     \
        }                                                                                          \
      } else {                                                                                     \
        for (int64_t i = 0; i < w_; i++) {                                                         \
          T x = pa_[i * sa_], y = pb_[i * sb_];                                                    \
          po_[i] = (TO)(EXPR);                                                                     \
        }                                                                                          \
      }                                                                                            \
      genc_cpu_next_row(g, idx_, off_, 2);                                                         \
    }                                                                                              \
  } while (0);                                                                                     \
  break;

#define CMP_CASES(T)                                                                               \
  case GENC_EQ: LOOP2(T, uint8_t, x == y)                                                          \
  case GENC_NE: LOOP2(T, uint8_t, x != y)                                                          \
  case GENC_LT: LOOP2(T, uint8_t, x < y)                                                           \
  case GENC_LE: LOOP2(T, uint8_t, x <= y)                                                          \
  case GENC_GT: LOOP2(T, uint8_t, x > y)                                                           \
  case GENC_GE: LOOP2(T, uint8_t, x >= y)

/* maximum/minimum propagate NaN, as NumPy does */
#define FLOAT_CASES(T, S)                                                                          \
  case GENC_ADD: LOOP2(T, T, x + y)                                                                \
  case GENC_SUB: LOOP2(T, T, x - y)                                                                \
  case GENC_MUL: LOOP2(T, T, x *y)                                                                 \
  case GENC_DIV: LOOP2(T, T, x / y)                                                                \
  case GENC_POW: LOOP2(T, T, pow##S(x, y))                                                         \
  case GENC_MAXIMUM: LOOP2(T, T, (x > y || x != x) ? x : y)                                        \
  case GENC_MINIMUM: LOOP2(T, T, (x < y || x != x) ? x : y)                                        \
  case GENC_ATAN2: LOOP2(T, T, atan2##S(x, y)) CMP_CASES(T) default : break;

/* One f64 element: the scalar path of model code, without the loop machinery. */
static bool binary_one_f64(genc_binary_op op, double x, double y, void *out) {
  double r;
  switch (op) {
  case GENC_ADD: r = x + y; break;
  case GENC_SUB: r = x - y; break;
  case GENC_MUL: r = x * y; break;
  case GENC_DIV: r = x / y; break;
  default: return false;
  }
  *(double *)out = r;
  return true;
}

void genc_cpu_binary(void *st, genc_binary_op op, genc_dtype dt, const void *a, const void *b,
                     void *out, const genc_bcast *g) {
  (void)st;
  if (g->n == 1 && dt == GENC_F64 &&
      binary_one_f64(op, *(const double *)a, *(const double *)b, out))
    return;
  switch (dt) {
  case GENC_F64:
    switch (op) { FLOAT_CASES(double, ) }
    break;
  case GENC_F32:
    switch (op) { FLOAT_CASES(float, f) }
    break;
  case GENC_I32:
    switch (op) {
    case GENC_ADD: LOOP2(int32_t, int32_t, GENC_WRAP32(x, +, y))
    case GENC_SUB: LOOP2(int32_t, int32_t, GENC_WRAP32(x, -, y))
    case GENC_MUL: LOOP2(int32_t, int32_t, GENC_WRAP32(x, *, y))
    case GENC_MAXIMUM: LOOP2(int32_t, int32_t, x > y ? x : y)
    case GENC_MINIMUM: LOOP2(int32_t, int32_t, x < y ? x : y) CMP_CASES(int32_t) default : break;
    }
    break;
  case GENC_BOOL:
    switch (op) {
    case GENC_AND: LOOP2(uint8_t, uint8_t, x && y)
    case GENC_OR: LOOP2(uint8_t, uint8_t, x || y)
    case GENC_EQ: LOOP2(uint8_t, uint8_t, x == y)
    case GENC_NE: LOOP2(uint8_t, uint8_t, x != y)
    default: break;
    }
    break;
  }
}

#define WHERE_LOOP(T)                                                                              \
  do {                                                                                             \
    const uint8_t *C_ = cond;                                                                      \
    const T *A_ = a, *B_ = b;                                                                      \
    T *O_ = out;                                                                                   \
    int nd_ = g->ndim;                                                                             \
    int64_t w_ = g->shape[nd_ - 1], s0 = g->stride[0][nd_ - 1], s1 = g->stride[1][nd_ - 1];        \
    int64_t s2 = g->stride[2][nd_ - 1];                                                            \
    int64_t outer_ = g->n / w_, idx_[GENC_PDIMS] = {0}, off_[3] = {0, 0, 0};                       \
    for (int64_t o_ = 0; o_ < outer_; o_++) {                                                      \
      const uint8_t *pc_ = C_ + off_[0];                                                           \
      const T *pa_ = A_ + off_[1], *pb_ = B_ + off_[2];                                            \
      for (int64_t i = 0; i < w_; i++)                                                             \
        O_[o_ * w_ + i] = pc_[i * s0] ? pa_[i * s1] : pb_[i * s2];                                 \
      genc_cpu_next_row(g, idx_, off_, 3);                                                         \
    }                                                                                              \
  } while (0)

void genc_cpu_where(void *st, genc_dtype dt, const void *cond, const void *a, const void *b,
                    void *out, const genc_bcast *g) {
  (void)st;
  switch (dt) {
  case GENC_F64: WHERE_LOOP(double); break;
  case GENC_F32: WHERE_LOOP(float); break;
  case GENC_I32: WHERE_LOOP(int32_t); break;
  case GENC_BOOL: WHERE_LOOP(uint8_t); break;
  }
}
