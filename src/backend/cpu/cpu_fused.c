/* CPU fused kernels (backend.h, genc_fused_op). Built without vecmath.h, so each
 * element takes the scalar libm value that the single-trace fast path takes. */
#include <math.h>

#include "backend/cpu/clones.h"
#include "backend/cpu/cpu.h"
#include "backend/specfun.h"

/* Rows of the collapsed iteration space; inside a row, a shared sigma (stride
 * 0, the common case of observations with one noise scale) takes the log once
 * and leaves a loop of plain arithmetic. */
#define NORMAL_LP_LOOP(T)                                                                          \
  do {                                                                                             \
    const T *X_ = a, *M_ = b, *S_ = c;                                                             \
    T *O_ = out;                                                                                   \
    int nd_ = g->ndim;                                                                             \
    int64_t w_ = g->shape[nd_ - 1], s0 = g->stride[0][nd_ - 1], s1 = g->stride[1][nd_ - 1];        \
    int64_t s2 = g->stride[2][nd_ - 1];                                                            \
    int64_t outer_ = g->n / w_, idx_[GENC_PDIMS] = {0}, off_[3] = {0, 0, 0};                       \
    for (int64_t o_ = 0; o_ < outer_; o_++) {                                                      \
      T *po_ = O_ + o_ * w_;                                                                       \
      if (s2 == 0) {                                                                               \
        double sg = S_[off_[2]], ls = log(sg), is = 1.0 / sg;                                      \
        const T *px_ = X_ + off_[0], *pm_ = M_ + off_[1];                                          \
        if (s0 == 1 && s1 == 1)                                                                    \
          for (int64_t i = 0; i < w_; i++)                                                         \
            po_[i] = (T)genc_sf_normal_lp(px_[i], pm_[i], sg, is, ls);                             \
        else                                                                                       \
          for (int64_t i = 0; i < w_; i++)                                                         \
            po_[i] = (T)genc_sf_normal_lp(px_[i * s0], pm_[i * s1], sg, is, ls);                   \
      } else {                                                                                     \
        for (int64_t i = 0; i < w_; i++) {                                                         \
          double sg = S_[off_[2] + i * s2];                                                        \
          po_[i] = (T)genc_sf_normal_lp(X_[off_[0] + i * s0], M_[off_[1] + i * s1], sg, 1.0 / sg,  \
                                        log(sg));                                                  \
        }                                                                                          \
      }                                                                                            \
      genc_cpu_next_row(g, idx_, off_, 3);                                                         \
    }                                                                                              \
  } while (0)

/* Elementwise f(x, y) of two broadcast operands, for the binary fused ops
 * (iterative special functions: nothing to hoist or vectorize). */
#define BINARY_LOOP(T, F)                                                                          \
  do {                                                                                             \
    const T *X_ = a, *Y_ = b;                                                                      \
    T *O_ = out;                                                                                   \
    int nd_ = g->ndim;                                                                             \
    int64_t w_ = g->shape[nd_ - 1], s0 = g->stride[0][nd_ - 1], s1 = g->stride[1][nd_ - 1];        \
    int64_t outer_ = g->n / w_, idx_[GENC_PDIMS] = {0}, off_[2] = {0, 0};                          \
    for (int64_t o_ = 0; o_ < outer_; o_++) {                                                      \
      for (int64_t i = 0; i < w_; i++)                                                             \
        O_[o_ * w_ + i] = (T)F(X_[off_[0] + i * s0], Y_[off_[1] + i * s1]);                        \
      genc_cpu_next_row(g, idx_, off_, 2);                                                         \
    }                                                                                              \
  } while (0)

#define BINARY_OP(F)                                                                               \
  do {                                                                                             \
    if (dt == GENC_F64)                                                                            \
      BINARY_LOOP(double, F);                                                                      \
    else if (dt == GENC_F32)                                                                       \
      BINARY_LOOP(float, F);                                                                       \
  } while (0)

/* Cloned: genc_sf_normal_lp's fma is an instruction from x86-64-v3 on; the
 * baseline build calls libm's (the same correctly rounded value) per element. */
GENC_ISA_CLONES static void normal_lp(genc_dtype dt, const void *a, const void *b, const void *c,
                                      void *out, const genc_bcast *g) {
  if (dt == GENC_F64)
    NORMAL_LP_LOOP(double);
  else if (dt == GENC_F32)
    NORMAL_LP_LOOP(float);
}

void genc_cpu_fused3(void *st, genc_fused_op op, genc_dtype dt, const void *a, const void *b,
                     const void *c, void *out, const genc_bcast *g) {
  (void)st;
  switch (op) {
  case GENC_FUSED_NORMAL_LOGPDF: normal_lp(dt, a, b, c, out, g); break;
  case GENC_FUSED_GAMMA_DZ_DA: BINARY_OP(genc_sf_gamma_dz_da); break;
  case GENC_FUSED_GAMMA_DLOGZ_DA: BINARY_OP(genc_sf_gamma_dlogz_da); break;
  default: break;
  }
}
