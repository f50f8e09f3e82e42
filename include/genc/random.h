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
 * The public samplers use stream 0; key derivation uses stream words at the
 * top of the 32-bit range. Uniforms carry 53 random bits (24 for f32); normals
 * are Box-Muller. CPU and CUDA give identical uniforms, bits and integer draws,
 * and agree to the last ulp of libm on the others (see src/random/laws.h).
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

/** Key from a 64-bit seed (one Philox block under a fixed key). */
genc_key genc_key_from_seed(uint64_t seed);
/**
 * @p n independent keys derived from @p key (n >= 1), written to @p out. Derived
 * keys keep @p key's particle offset, so splitting commutes with
 * genc_key_particle().
 */
void genc_key_split(genc_key key, int n, genc_key *out);
/** A key derived from @p key and @p data (distinct data give independent keys;
 * the particle offset is kept, as in genc_key_split()). */
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
 * Gamma(alpha+1) * U^(1/alpha) applied in log space. The result is f32 for an
 * f32 alpha, else f64. alpha must be positive and finite (else GENC_ERR_DOMAIN).
 * Differentiable in alpha by implicit reparameterization (Figurnov et al. 2018):
 * under a tape, a draw z moves along its quantile, dz/dalpha = -(dP/dalpha) / p(z),
 * P the gamma CDF at fixed probability. Every other sampler's draws are constant
 * in their parameters.
 */
genc_array *genc_random_gamma(genc_ctx *ctx, genc_key key, genc_array *alpha, int64_t n);
/**
 * The logarithm of Gamma(alpha, 1) draws (arguments as genc_random_gamma):
 * finite where the draw itself underflows to 0, as it does about half the time
 * for alpha = 1e-3. Use it for Beta and Dirichlet with tiny concentrations.
 * exp() of it equals genc_random_gamma with the same key. Differentiable in alpha
 * like genc_random_gamma (d log z / dalpha, finite where z underflows).
 */
genc_array *genc_random_log_gamma(genc_ctx *ctx, genc_key key, genc_array *alpha, int64_t n);
/** Poisson(rate) draws, one per element of @p rate (inversion for small rates,
 * transformed rejection (PTRS) for rate >= 10). Result i32. rate must be in
 * [0, 1e9] (else GENC_ERR_DOMAIN: larger rates would overflow i32). */
genc_array *genc_random_poisson(genc_ctx *ctx, genc_key key, genc_array *rate, int64_t n);
/** Binomial(count, p) draws, elementwise after broadcasting (inversion for
 * count * min(p, 1-p) < 10, else Hormann's BTRS rejection). Result i32. count
 * must be an integer in [0, 1e9] and p in [0, 1] (else GENC_ERR_DOMAIN). */
genc_array *genc_random_binomial(genc_ctx *ctx, genc_key key, genc_array *count, genc_array *p,
                                 int64_t n);
/** Bernoulli(p) draws (bool), one per element of @p p (broadcast to n particles):
 * uniform < p. p must be in [0, 1] (else GENC_ERR_DOMAIN). */
genc_array *genc_random_bernoulli(genc_ctx *ctx, genc_key key, genc_array *p, int64_t n);
/**
 * Categorical draws (i32) from unnormalized log-probabilities along the last
 * axis of @p logits (Gumbel-max): the result has logits' shape without its last
 * axis, batched like logits or over @p n particles. Logits may be -inf (never
 * drawn) but not +inf or NaN (GENC_ERR_DOMAIN).
 */
genc_array *genc_random_categorical(genc_ctx *ctx, genc_key key, genc_array *logits, int64_t n);
/**
 * A random permutation of 0..len-1 (i32), batched over n particles if n > 0:
 * the ranks of len iid uniforms, computed with an O(len^2) comparison, so len
 * is limited to 46340 (GENC_ERR_ARG beyond).
 */
genc_array *genc_random_permutation(genc_ctx *ctx, genc_key key, int64_t len, int64_t n);

/**
 * A stream of draws on the host from one key, for samplers that run on the
 * host (NUTS, HMC): the Philox words of element 0 of the key's particle, read
 * in order, through the same per-element law code as the array samplers.
 * A value; copy it freely. Make one with genc_host_rng_new().
 */
typedef struct genc_host_rng {
  uint64_t opaque[6]; /**< private state */
} genc_host_rng;
/** The stream of @p key. */
genc_host_rng genc_host_rng_new(genc_key key);
/** The next uniform draw in [0, 1) (53 bits). */
double genc_host_rng_uniform(genc_host_rng *r);
/** The next standard normal draw (Box-Muller, the cosine half). */
double genc_host_rng_normal(genc_host_rng *r);

#ifdef __cplusplus
}
#endif
#endif
