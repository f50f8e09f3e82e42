/*
 * Vector libm for the generated code of the CPU executor, as
 * backend/cpu/vecmath.h for the eager kernels: glibc's libmvec variants
 * (at most 4 ulp from the scalar functions) declared for the functions the
 * elementwise ops call, so that loops of them vectorize as the eager ones
 * do (and give their values: the eager loops call the same variants). Double
 * log, sin and cos were left out while the samplers called them (draws must
 * stay the eager draws bit for bit); the samplers the generated code runs
 * (genc_x_sample_tile) now call no libm at all (laws.h's polynomials), so
 * they are declared too: a row of logs (a Bernoulli-logit density's) was 15%
 * of B4's compiled gradient as scalar calls. A log outside a loop (a hoisted
 * log sigma, one particle's scalar) stays glibc's scalar log.
 * gcc on x86-64 glibc only; elsewhere nothing.
 */
#ifndef GENC_ARRAY_EXEC_VEC_H
#define GENC_ARRAY_EXEC_VEC_H

#include <math.h>

#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__) && defined(__x86_64__) &&     \
    defined(__GLIBC__)
#define GENC_XVEC1(f) __attribute__((simd("notinbranch"))) double f(double)
#define GENC_XVEC1F(f) __attribute__((simd("notinbranch"))) float f(float)
GENC_XVEC1(exp);
GENC_XVEC1(expm1);
GENC_XVEC1(log);
GENC_XVEC1(log1p);
GENC_XVEC1(sin);
GENC_XVEC1(cos);
GENC_XVEC1(tan);
GENC_XVEC1(tanh);
GENC_XVEC1(erf);
GENC_XVEC1(erfc);
GENC_XVEC1F(expf);
GENC_XVEC1F(expm1f);
GENC_XVEC1F(logf);
GENC_XVEC1F(log1pf);
GENC_XVEC1F(sinf);
GENC_XVEC1F(cosf);
GENC_XVEC1F(tanf);
GENC_XVEC1F(tanhf);
GENC_XVEC1F(erff);
GENC_XVEC1F(erfcf);
#undef GENC_XVEC1
#undef GENC_XVEC1F
#endif

#endif
