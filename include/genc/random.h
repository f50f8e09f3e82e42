/**
 * @file random.h
 * @brief Layer 0: counter-based random keys (Philox4x32-10) and batched samplers.
 *
 * A key is a value, never global state. Every sampler takes a key and fills a
 * whole (possibly batched) array in one call. Element j of particle p draws from
 * the Philox stream with counter {j, p + key.particle, stream, iteration}, so:
 *  - the same seed gives the same numbers on every run, platform and backend;
 *  - particle i of a batched draw equals the shared draw made with
 *    genc_key_particle(key, i): batched execution reproduces single traces.
 */
#ifndef GENC_RANDOM_H
#define GENC_RANDOM_H

#include "genc/array.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A random key: 64 bits of Philox key plus the particle offset of its draws. */
typedef struct genc_key {
  uint32_t k[2];     /**< Philox key words */
  uint32_t particle; /**< offset added to the particle index of every draw */
} genc_key;

/** Key from a 64-bit seed. */
genc_key genc_key_from_seed(uint64_t seed);
/** @p n independent keys derived from @p key (n >= 1), written to @p out. */
void genc_key_split(genc_key key, int n, genc_key *out);
/** A key derived from @p key and @p data (distinct data give independent keys). */
genc_key genc_key_fold_in(genc_key key, uint64_t data);
/** The key whose shared draws equal particle @p i of @p key's batched draws. */
genc_key genc_key_particle(genc_key key, uint32_t i);

/**
 * Uniform [0, 1) draws of dtype @p dt (f64 or f32) with logical shape @p shape,
 * batched over @p n particles (0: shared).
 */
genc_array *genc_random_uniform(genc_ctx *ctx, genc_key key, genc_dtype dt, int ndim,
                                const int64_t *shape, int64_t n);
/** Standard normal draws (see genc_random_uniform for the arguments). */
genc_array *genc_random_normal(genc_ctx *ctx, genc_key key, genc_dtype dt, int ndim,
                               const int64_t *shape, int64_t n);
/** Standard exponential draws. */
genc_array *genc_random_exponential(genc_ctx *ctx, genc_key key, genc_dtype dt, int ndim,
                                    const int64_t *shape, int64_t n);
/** Standard Gumbel draws. */
genc_array *genc_random_gumbel(genc_ctx *ctx, genc_key key, genc_dtype dt, int ndim,
                               const int64_t *shape, int64_t n);
/** Uniform 32-bit integers (stored in i32). */
genc_array *genc_random_bits(genc_ctx *ctx, genc_key key, int ndim, const int64_t *shape,
                             int64_t n);
/**
 * Gamma(alpha, 1) draws, one per element of @p alpha (f64 after conversion;
 * batched alpha gives batched draws), or broadcast to @p n particles when
 * alpha is shared and n > 0. Marsaglia-Tsang, with the alpha < 1 boost
 * Gamma(alpha+1) * U^(1/alpha).
 */
genc_array *genc_random_gamma(genc_ctx *ctx, genc_key key, genc_array *alpha, int64_t n);
/** Poisson(rate) draws, one per element of @p rate (inversion for small rates,
 * transformed rejection (PTRS) for rate >= 10). Result i32. */
genc_array *genc_random_poisson(genc_ctx *ctx, genc_key key, genc_array *rate, int64_t n);
/** Binomial(count, p) draws, elementwise after broadcasting. Result i32. */
genc_array *genc_random_binomial(genc_ctx *ctx, genc_key key, genc_array *count, genc_array *p,
                                 int64_t n);
/** Bernoulli(p) draws (bool), one per element of @p p (broadcast to n particles). */
genc_array *genc_random_bernoulli(genc_ctx *ctx, genc_key key, genc_array *p, int64_t n);
/**
 * Categorical draws (i32) from unnormalized log-probabilities along the last
 * axis of @p logits (Gumbel-max): the result has logits' shape without its last
 * axis, batched like logits or over @p n particles.
 */
genc_array *genc_random_categorical(genc_ctx *ctx, genc_key key, genc_array *logits, int64_t n);
/** A random permutation of 0..len-1 (i32), batched over n particles if n > 0. */
genc_array *genc_random_permutation(genc_ctx *ctx, genc_key key, int64_t len, int64_t n);

#ifdef __cplusplus
}
#endif
#endif
