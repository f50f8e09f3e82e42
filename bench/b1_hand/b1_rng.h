/* The parts b1_loop.c and b1_blk.c share (static: each file compiles them
 * with its own flags): xoshiro256+, the ziggurat, the data, the streamed
 * log-sum-exp. The algorithms are those of shared/baselines/common.h. */
#ifndef GENC_BENCH_B1_RNG_H
#define GENC_BENCH_B1_RNG_H

#include <math.h>
#include <stdint.h>

#define B1_NOBS 100
#define B1_SIGMA 0.3

typedef struct b1_state {
  uint64_t s[4];
  double zx[257], zf[257];
  double x[B1_NOBS], x2[B1_NOBS], y[B1_NOBS];
  double m, sum; /* running log-sum-exp */
} b1_state;

static inline uint64_t b1_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t b1_next(b1_state *r) {
  uint64_t *s = r->s, out = s[0] + s[3], t = s[1] << 17;
  s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t;
  s[3] = b1_rotl(s[3], 45);
  return out;
}

static inline double b1_unif(b1_state *r) { return ((double)(b1_next(r) >> 11) + 0.5) * 0x1.0p-53; }

#define B1_ZR 3.6541528853610088
#define B1_ZV 0.00492867323399

static void b1_init(b1_state *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) { /* splitmix64 */
    uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    r->s[i] = z ^ (z >> 31);
  }
  r->zx[0] = B1_ZV / exp(-0.5 * B1_ZR * B1_ZR), r->zx[1] = B1_ZR;
  for (int i = 2; i < 256; i++)
    r->zx[i] = sqrt(-2.0 * log(B1_ZV / r->zx[i - 1] + exp(-0.5 * r->zx[i - 1] * r->zx[i - 1])));
  r->zx[256] = 0.0;
  for (int i = 0; i <= 256; i++)
    r->zf[i] = exp(-0.5 * r->zx[i] * r->zx[i]);
  for (int i = 0; i < B1_NOBS; i++) {
    r->x[i] = -1.0 + 2.0 * i / 99.0, r->x2[i] = r->x[i] * r->x[i];
    r->y[i] = 0.5 - r->x[i] + 2.0 * r->x2[i] + 0.3 * sin(12.9898 * i);
  }
  r->m = -INFINITY, r->sum = 0;
}

static double b1_zig_slow(b1_state *r, int i, double u, double x) {
  if (i == 0) { /* the tail beyond R (Marsaglia 1964) */
    double xt, yt;
    do {
      xt = log(b1_unif(r)) / B1_ZR, yt = log(b1_unif(r));
    } while (-2.0 * yt < xt * xt);
    return u < 0 ? xt - B1_ZR : B1_ZR - xt;
  }
  if (r->zf[i + 1] + (r->zf[i] - r->zf[i + 1]) * b1_unif(r) < exp(-0.5 * x * x)) return x;
  return NAN; /* rejected: the caller draws again */
}

static inline double b1_normal(b1_state *r) {
  for (;;) {
    uint64_t bits = b1_next(r);
    int i = (int)((bits >> 3) & 0xff);
    double u = (double)(bits >> 11) * 0x1.0p-52 - 1.0, x = u * r->zx[i];
    if (fabs(x) < r->zx[i + 1]) return x;
    double v = b1_zig_slow(r, i, u, x);
    if (v == v) return v;
  }
}

static inline void b1_lse_add(b1_state *r, double lw) {
  if (lw <= r->m)
    r->sum += exp(lw - r->m);
  else
    r->sum = r->sum * exp(r->m - lw) + 1.0, r->m = lw;
}

static inline double b1_lconst(void) { return -B1_NOBS * (log(B1_SIGMA) + 0.91893853320467274178); }

#endif
