/* Vector libm for the CPU kernels.
 *
 * glibc ships libmvec (linked through libm's linker script on x86_64): SIMD
 * versions of exp, log, sin, ... with at most 4 ulp error. Declaring the scalar
 * functions with GCC's simd attribute lets the vectorizer call them from the
 * plain loops of cpu_elementwise.c, and GENC_VEC_CLONES compiles a function
 * for AVX-512 (x86-64-v4), AVX2 (v3) and the x86-64 baseline, picked at load
 * time (the vector Philox of cpu_philox.c uses it too). Other
 * compilers and platforms keep the scalar calls: same formulas, same results
 * within the libm tolerance the tests already allow. */
#ifndef GENC_BACKEND_CPU_VECMATH_H
#define GENC_BACKEND_CPU_VECMATH_H

#include <math.h>

#include "backend/cpu/clones.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__) &&       \
    !defined(GENC_NO_LIBMVEC)
#define GENC_VEC1(f) __attribute__((simd("notinbranch"))) double f(double)
#define GENC_VEC1F(f) __attribute__((simd("notinbranch"))) float f(float)
GENC_VEC1(exp);
GENC_VEC1(expm1);
GENC_VEC1(log);
GENC_VEC1(log1p);
GENC_VEC1(sin);
GENC_VEC1(cos);
GENC_VEC1(tan);
GENC_VEC1(tanh);
GENC_VEC1(erf);
GENC_VEC1(erfc);
GENC_VEC1F(expf);
GENC_VEC1F(expm1f);
GENC_VEC1F(logf);
GENC_VEC1F(log1pf);
GENC_VEC1F(sinf);
GENC_VEC1F(cosf);
GENC_VEC1F(tanf);
GENC_VEC1F(tanhf);
GENC_VEC1F(erff);
GENC_VEC1F(erfcf);
#undef GENC_VEC1
#undef GENC_VEC1F
#define GENC_VEC_CLONES GENC_ISA_CLONES
#else
#define GENC_VEC_CLONES
#endif

/* Terms of sums of exp(x - max), x - max <= 0. Below -746 exp is exactly 0,
 * but libmvec sends a vector holding such a lane to its scalar fallback, and
 * glibc's scalar exp takes its underflow path (with errno): importance
 * weights from a prior are mostly that far below their maximum, and B1's
 * log-sum-exp spent a fifth of a replay there. Every result is the one exp
 * gives. */
static inline double genc_exp_term(double d) { return d < -746.0 ? 0.0 : exp(d); }

/* genc_exp_term for float (expf is 0 below -104). */
static inline float genc_expf_term(float d) { return d < -104.0f ? 0.0f : expf(d); }

/* x[i] = exp(x[i]) for i < n <= 256, vectorized, with genc_exp_term's
 * shortcut: such arguments are replaced by 0 before the vector call and the
 * results by 0 after it, in three loops, since GCC drops a select on the
 * argument when a select on the result of the same loop covers it. */
static inline void genc_exp_terms(double *x, int n) {
  unsigned char z[256];
  for (int i = 0; i < n; i++) {
    z[i] = x[i] < -746.0;
    x[i] = z[i] ? 0.0 : x[i];
  }
  for (int i = 0; i < n; i++)
    x[i] = exp(x[i]);
  for (int i = 0; i < n; i++)
    x[i] = z[i] ? 0.0 : x[i];
}

#endif
