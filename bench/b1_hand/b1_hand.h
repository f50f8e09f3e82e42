/*
 * B1 poly-IS (shared/BENCHMARKS.md) written by hand, the baselines of
 * bench_compiled: one thread, f64, xoshiro256+ and a 256-layer ziggurat
 * (the generator and normal sampler of shared/baselines/common.h),
 * log-mean-exp streamed with a running maximum.
 *  - b1_loop: per particle a loop over the 100 observations, compiled -O2
 *    (shared/baselines/b1_is.c `loop`);
 *  - b1_loop_par: b1_loop on several threads (the machine's own parallel
 *    efficiency for a compute-bound loop);
 *  - b1_blk: 64 particles at a time, observation loop outside, particle loop
 *    inside so that it vectorizes, compiled -O3 -march=native (`blk`), and
 *    again with 512-bit vectors preferred (b1_blk512); the faster is `blk`.
 * Each returns log Z-hat of n particles from seed.
 */
#ifndef GENC_BENCH_B1_HAND_H
#define GENC_BENCH_B1_HAND_H

#include <stdint.h>

double b1_loop(long n, uint64_t seed);
double b1_blk(long n, uint64_t seed);
/* b1_blk compiled with 512-bit vectors preferred (b1_blk512.c). */
double b1_blk512(long n, uint64_t seed);
/* b1_loop's particles split over `threads` pthreads (b1_par.c), each with its
 * own generator: the parallel-efficiency reference of a plain loop. */
double b1_loop_par(long n, uint64_t seed, int threads);

#endif
