/*
 * The handwritten baselines' random numbers (as shared/baselines/common.h):
 * xoshiro256+ and a 256-layer ziggurat normal, one generator per process
 * (static state: each benchmark program includes this once). Used by the
 * handwritten chains and filters of bench_b3, bench_b3_compiled and
 * bench_smc; b1_hand/b1_rng.h keeps its own copy in a state struct because
 * its two users are compiled with different flags.
 */
#ifndef GENC_BENCH_HAND_RNG_H
#define GENC_BENCH_HAND_RNG_H

#include <math.h>
#include <stdint.h>

static uint64_t rs[4];
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline uint64_t next_u64(void) {
  const uint64_t r = rs[0] + rs[3], t = rs[1] << 17;
  rs[2] ^= rs[0], rs[3] ^= rs[1], rs[1] ^= rs[2], rs[0] ^= rs[3], rs[2] ^= t;
  rs[3] = rotl(rs[3], 45);
  return r;
}
static void seed_rng(uint64_t seed) {
  for (int i = 0; i < 4; i++) {
    uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL, z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    rs[i] = z ^ (z >> 31);
  }
}
static inline double unif(void) { return ((double)(next_u64() >> 11) + 0.5) * 0x1.0p-53; }

#define ZIG_R 3.6541528853610088
#define ZIG_V 0.00492867323399
static double zx[257], zf[257];
static void zig_init(void) {
  zx[0] = ZIG_V / exp(-0.5 * ZIG_R * ZIG_R), zx[1] = ZIG_R;
  for (int i = 2; i < 256; i++)
    zx[i] = sqrt(-2.0 * log(ZIG_V / zx[i - 1] + exp(-0.5 * zx[i - 1] * zx[i - 1])));
  zx[256] = 0.0;
  for (int i = 0; i <= 256; i++)
    zf[i] = exp(-0.5 * zx[i] * zx[i]);
}
/* the rare path: tail beyond R (Marsaglia 1964) or the wedge test; NAN = reject */
static double zig_slow(int i, double u, double x) {
  if (i == 0) {
    double xt, yt;
    do {
      xt = log(unif()) / ZIG_R, yt = log(unif());
    } while (-2.0 * yt < xt * xt);
    return u < 0 ? xt - ZIG_R : ZIG_R - xt;
  }
  if (zf[i + 1] + (zf[i] - zf[i + 1]) * unif() < exp(-0.5 * x * x)) return x;
  return NAN;
}
/* layer from bits 3..10, uniform from bits 11..63: xoshiro256+'s weak low bits unused */
static inline double std_normal(void) {
  for (;;) {
    uint64_t bits = next_u64();
    int i = (int)((bits >> 3) & 0xff);
    double u = (double)(bits >> 11) * 0x1.0p-52 - 1.0, x = u * zx[i];
    if (fabs(x) < zx[i + 1]) return x;
    double r = zig_slow(i, u, x);
    if (r == r) return r;
  }
}

#endif
