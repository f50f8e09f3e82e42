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
#define GENC_VEC_CLONES                                                                            \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define GENC_VEC_CLONES
#endif

#endif
