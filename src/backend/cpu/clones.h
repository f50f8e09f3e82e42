/* GENC_ISA_CLONES compiles a function for AVX-512 (x86-64-v4), AVX2 with FMA
 * (v3) and the x86-64 baseline, picked at load time: for loops whose
 * arithmetic the baseline lacks as instructions (fma) or runs at half width.
 * Other compilers and platforms get the one plain function. */
#ifndef GENC_BACKEND_CPU_CLONES_H
#define GENC_BACKEND_CPU_CLONES_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
#define GENC_ISA_CLONES                                                                            \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define GENC_ISA_CLONES
#endif

#endif
