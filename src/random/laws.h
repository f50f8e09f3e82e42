/*
 * Per-element sampling algorithms, written once for every backend: plain C on
 * the CPU, __host__ __device__ under nvcc (GENC_HD), so that the CPU loop and
 * the CUDA kernel run the same code. Measured on an H100 (nvcc 13.0, 1e6 draws
 * per law): uniform, bits and every integer law (poisson, binomial, including
 * their rejection paths) agree bit for bit with the CPU; the laws that call
 * log/cos/exp (normal, exponential, gumbel, gamma) differ in the last ulp or so
 * in 0.3-18% of draws (max relative difference 2e-13, from exp of log-gamma
 * near -700), because libdevice and glibc round transcendentals differently.
 * No draw takes a different rejection path in those tests.
 *
 * Element j of particle p reads 32-bit words from Philox4x32-10 with key
 * `key` and counter {j, p, stream, it}; each Philox call yields 4 words and
 * the iteration word `it` advances when they are used up. A law therefore
 * consumes as many words as it needs (rejection loops simply keep reading),
 * and no element's draws depend on another element's.
 */
#ifndef GENC_RANDOM_LAWS_H
#define GENC_RANDOM_LAWS_H

#include <Random123/philox.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"
#include "backend/specfun.h"

/* The word source of one element. */
typedef struct genc_rng {
  philox4x32_key_t key;
  philox4x32_ctr_t ctr; /* v[3] is the iteration word */
  philox4x32_ctr_t buf;
  int used; /* words of buf already consumed (4: refill) */
} genc_rng;

GENC_HD genc_rng genc_rng_make(const uint32_t key[2], uint32_t j, uint32_t p, uint32_t stream) {
  genc_rng r;
  r.key.v[0] = key[0];
  r.key.v[1] = key[1];
  r.ctr.v[0] = j;
  r.ctr.v[1] = p;
  r.ctr.v[2] = stream;
  r.ctr.v[3] = 0;
  r.buf = r.ctr;
  r.used = 4;
  return r;
}

GENC_HD uint32_t genc_rng_u32(genc_rng *r) {
  if (r->used == 4) {
    r->buf = philox4x32(r->ctr, r->key);
    r->ctr.v[3]++;
    r->used = 0;
  }
  return r->buf.v[r->used++];
}

/* Uniform on [0, 1) with 53 random bits (27 from one word, 26 from the next). */
GENC_HD double genc_law_uniform(genc_rng *r) {
  uint32_t a = genc_rng_u32(r) >> 5, b = genc_rng_u32(r) >> 6;
  return ((double)a * 67108864.0 + (double)b) * (1.0 / 9007199254740992.0);
}

/* Uniform on (0, 1): the 53-bit grid shifted by half a step, so log() is finite. */
GENC_HD double genc_law_uniform_open(genc_rng *r) {
  uint32_t a = genc_rng_u32(r) >> 5, b = genc_rng_u32(r) >> 6;
  return ((double)a * 67108864.0 + (double)b + 0.5) * (1.0 / 9007199254740992.0);
}

/* Uniform on [0, 1) in single precision: 24 bits of one word (a double draw
 * rounded to float could round up to 1.0). */
GENC_HD float genc_law_uniform_f32(genc_rng *r) {
  return (float)(genc_rng_u32(r) >> 8) * (1.0f / 16777216.0f);
}

/* Box-Muller, one normal per pair of uniforms: exact, table-free, identical
 * on both backends (no polar-method rejection to keep draw counts fixed). */
GENC_HD double genc_law_normal(genc_rng *r) {
  double u1 = genc_law_uniform_open(r), u2 = genc_law_uniform(r);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2);
}

/* Both Box-Muller normals of one pair of uniforms: *c is genc_law_normal's. */
GENC_HD void genc_law_normal2(genc_rng *r, double *c, double *s) {
  double u1 = genc_law_uniform_open(r), u2 = genc_law_uniform(r);
  double rad = sqrt(-2.0 * log(u1)), th = 6.283185307179586476925 * u2;
  *c = rad * cos(th);
  *s = rad * sin(th);
}

GENC_HD double genc_law_exponential(genc_rng *r) { return -log(genc_law_uniform_open(r)); }

GENC_HD double genc_law_gumbel(genc_rng *r) { return -log(-log(genc_law_uniform_open(r))); }

/* log of a Gamma(alpha, 1) draw, alpha > 0 (Marsaglia & Tsang 2000). For
 * alpha < 1 the boost Gamma(alpha) = Gamma(alpha + 1) * U^(1/alpha) is applied
 * in log space: log U / alpha is finite even where U^(1/alpha) underflows. */
GENC_HD double genc_law_log_gamma(genc_rng *r, double alpha) {
  if (!(alpha > 0.0)) return NAN;
  if (alpha == INFINITY) return INFINITY;
  double a = alpha < 1.0 ? alpha + 1.0 : alpha;
  double d = a - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d), lg;
  for (;;) {
    double x = genc_law_normal(r), v = 1.0 + c * x;
    if (v <= 0.0) continue;
    v = v * v * v;
    double u = genc_law_uniform_open(r), x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) {
      lg = log(d) + log(v);
      break;
    }
    double lv = log(v);
    if (log(u) < 0.5 * x2 + d * (1.0 - v + lv)) {
      lg = log(d) + lv;
      break;
    }
  }
  if (alpha < 1.0) lg += log(genc_law_uniform_open(r)) / alpha;
  return lg;
}

GENC_HD double genc_law_gamma(genc_rng *r, double alpha) {
  return exp(genc_law_log_gamma(r, alpha));
}

/* Poisson by sequential inversion (expected rate + 1 steps), for small rates. */
GENC_HD double genc_law_poisson_inv(genc_rng *r, double rate) {
  double u = genc_law_uniform(r), p = exp(-rate), s = p, k = 0.0;
  /* the cap only matters when rounding leaves s just below u in the far tail */
  while (u >= s && k < 1000.0) {
    k += 1.0;
    p *= rate / k;
    s += p;
  }
  return k;
}

/* Poisson for rate >= 10: Hormann's transformed rejection with squeeze (PTRS),
 * "The transformed rejection method for generating Poisson random variables",
 * Insurance: Mathematics and Economics 12 (1993). */
GENC_HD double genc_law_poisson_ptrs(genc_rng *r, double rate) {
  double slam = sqrt(rate), loglam = log(rate);
  double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2.0);
  for (;;) {
    double u = genc_law_uniform(r) - 0.5, v = genc_law_uniform_open(r);
    double us = 0.5 - fabs(u);
    double k = floor((2.0 * a / us + b) * u + rate + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0.0 || (us < 0.013 && v > us)) continue;
    if (log(v) + log(inv_alpha) - log(a / (us * us) + b) <=
        -rate + k * loglam - genc_sf_lgamma(k + 1.0))
      return k;
  }
}

GENC_HD double genc_law_poisson(genc_rng *r, double rate) {
  if (!(rate >= 0.0)) return NAN;
  if (rate == 0.0) return 0.0;
  return rate < 10.0 ? genc_law_poisson_inv(r, rate) : genc_law_poisson_ptrs(r, rate);
}

/* Binomial by inversion (expected n p + 1 steps), p <= 0.5. */
GENC_HD double genc_law_binomial_inv(genc_rng *r, double n, double p) {
  double q = 1.0 - p, s = p / q, a = (n + 1.0) * s, f = exp(n * log1p(-p));
  double u = genc_law_uniform(r), k = 0.0;
  while (u >= f && k < n) {
    u -= f;
    k += 1.0;
    f *= a / k - s;
  }
  return k;
}

/* The tail of Stirling's series, lgamma(k + 1) - [(k + 1/2) log(k + 1) - (k + 1)
 * + log(2 pi) / 2]: a table for k < 10 (exact constants, the same everywhere),
 * else the first three terms of the series. */
GENC_HD double genc_law_stirling_tail(double k) {
  if (k < 10.0) {
    const double t[10] = {0.0810614667953272582196702, 0.0413406959554092940938221,
                          0.0276779256849983391487893, 0.0207906721037650975185008,
                          0.0166446911898211921631949, 0.0138761288230707480737469,
                          0.0118967099458917700950557, 0.0104112652619720965496356,
                          0.0092554621827127329177286, 0.0083305634333594725168432};
    return t[(int)k];
  }
  double kp1 = k + 1.0, k2 = kp1 * kp1;
  return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / k2) / k2) / kp1;
}

/* Binomial for n p >= 10, p <= 0.5: Hormann's BTRS (transformed rejection with
 * squeeze, no normal draws), "The generation of binomial random variates",
 * J. Statist. Comput. Simul. 46 (1993). */
GENC_HD double genc_law_binomial_btrs(genc_rng *r, double n, double p) {
  double q = 1.0 - p, spq = sqrt(n * p * q);
  double b = 1.15 + 2.53 * spq, a = -0.0873 + 0.0248 * b + 0.01 * p, c = n * p + 0.5;
  double vr = 0.92 - 4.2 / b, rr = p / q, alpha = (2.83 + 5.1 / b) * spq;
  double m = floor((n + 1.0) * p);
  for (;;) {
    double u = genc_law_uniform(r) - 0.5, v = genc_law_uniform_open(r);
    double us = 0.5 - fabs(u);
    double k = floor((2.0 * a / us + b) * u + c);
    if (k < 0.0 || k > n) continue;
    if (us >= 0.07 && v <= vr) return k;
    double lv = log(v * alpha / (a / (us * us) + b));
    double bound = (m + 0.5) * log((m + 1.0) / (rr * (n - m + 1.0))) +
                   (n + 1.0) * log((n - m + 1.0) / (n - k + 1.0)) +
                   (k + 0.5) * log(rr * (n - k + 1.0) / (k + 1.0)) + genc_law_stirling_tail(m) +
                   genc_law_stirling_tail(n - m) - genc_law_stirling_tail(k) -
                   genc_law_stirling_tail(n - k);
    if (lv <= bound) return k;
  }
}

/* Binomial(n, p), n a non-negative integer, p in [0, 1]; p > 1/2 draws the
 * failures instead so both algorithms see p <= 1/2. */
GENC_HD double genc_law_binomial(genc_rng *r, double n, double p) {
  if (!(n >= 0.0) || !(p >= 0.0 && p <= 1.0)) return NAN;
  bool flip = p > 0.5;
  double pp = flip ? 1.0 - p : p, k;
  if (n == 0.0 || pp == 0.0)
    k = 0.0;
  else if (n * pp < 10.0)
    k = genc_law_binomial_inv(r, n, pp);
  else
    k = genc_law_binomial_btrs(r, n, pp);
  return flip ? n - k : k;
}

/* One element of a request: element j of particle p (both 0-based within the
 * request), written to out[p * size + j]. The CPU loop and the CUDA kernel
 * both call exactly this. */
/* Normal draws come in Box-Muller pairs across particles: particles 2k and
 * 2k+1 (counting the key's particle offset) share the block of particle 2k,
 * the even one taking the cosine, the odd one the sine. A batched draw then
 * costs one Philox block, one log and one sqrt per two normals, and particle
 * i still equals the shared draw made with genc_key_particle(key, i). */
GENC_HD uint32_t genc_law_block_particle(const genc_sample_req *q, int64_t p) {
  uint32_t P = (uint32_t)(p + q->part_offset);
  return q->law == GENC_LAW_NORMAL ? P & ~1u : P;
}

GENC_HD void genc_law_write(const genc_sample_req *q, int64_t o, double v, void *out) {
  if (q->dtype == GENC_F64)
    ((double *)out)[o] = v;
  else if (q->dtype == GENC_F32)
    ((float *)out)[o] = (float)v;
  else
    ((int32_t *)out)[o] = (int32_t)v;
}

/* Element j of particles p (even, counting the offset) and p + 1 of a normal
 * request at once: what genc_law_sample_elem gives for each, for half the work. */
GENC_HD void genc_law_normal_pair_elem(const genc_sample_req *q, int64_t p, int64_t j,
                                       void *out) {
  genc_rng r = genc_rng_make(q->key, (uint32_t)j, genc_law_block_particle(q, p), q->stream);
  double c, s;
  genc_law_normal2(&r, &c, &s);
  genc_law_write(q, p * q->size + j, c, out);
  genc_law_write(q, (p + 1) * q->size + j, s, out);
}

GENC_HD void genc_law_sample_elem(const genc_sample_req *q, int64_t p, int64_t j, void *out) {
  genc_rng r = genc_rng_make(q->key, (uint32_t)j, genc_law_block_particle(q, p), q->stream);
  int64_t o = p * q->size + j;
  double a = q->param[0] ? q->param[0][p * q->pstride[0][0] + j * q->pstride[0][1]] : 0.0;
  double b = q->param[1] ? q->param[1][p * q->pstride[1][0] + j * q->pstride[1][1]] : 0.0;
  double v;
  switch (q->law) {
  case GENC_LAW_BITS: ((int32_t *)out)[o] = (int32_t)genc_rng_u32(&r); return;
  case GENC_LAW_UNIFORM:
    if (q->dtype == GENC_F32) {
      ((float *)out)[o] = genc_law_uniform_f32(&r);
      return;
    }
    v = genc_law_uniform(&r);
    break;
  case GENC_LAW_NORMAL: {
    double c, sn;
    genc_law_normal2(&r, &c, &sn);
    v = (p + q->part_offset) & 1 ? sn : c;
    break;
  }
  case GENC_LAW_EXPONENTIAL: v = genc_law_exponential(&r); break;
  case GENC_LAW_GUMBEL: v = genc_law_gumbel(&r); break;
  case GENC_LAW_GAMMA: v = genc_law_gamma(&r, a); break;
  case GENC_LAW_LOG_GAMMA: v = genc_law_log_gamma(&r, a); break;
  case GENC_LAW_POISSON: v = genc_law_poisson(&r, a); break;
  case GENC_LAW_BINOMIAL: v = genc_law_binomial(&r, a, b); break;
  default: v = NAN; break;
  }
  genc_law_write(q, o, v, out);
}

#endif
