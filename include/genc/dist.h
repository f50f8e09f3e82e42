/**
 * @file dist.h
 * @brief Layer 1: distributions.
 *
 * A distribution is a ::genc_dist value: a type (a table of functions) and up to
 * GENC_DIST_MAX_PARAMS parameter arrays. Constructors such as genc_normal()
 * only package their arguments (C numbers are accepted through _Generic);
 * checks run in genc_dist_check(), once per batch, which the samplers and the
 * GFI call. Log densities are written with array ops, so they are
 * differentiable in the value and the parameters through the tape.
 *
 * Users define a distribution by filling a ::genc_dist_type and calling
 * genc_dist_make(); it is then used exactly like the built-in ones.
 */
#ifndef GENC_DIST_H
#define GENC_DIST_H

#include "genc/array.h"
#include "genc/random.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GENC_DIST_MAX_PARAMS 4

typedef struct genc_dist_type genc_dist_type;

/** A distribution: its type and parameters (arrays owned by the caller's scope). */
typedef struct genc_dist {
  const genc_dist_type *type;
  int nparams;
  genc_array *p[GENC_DIST_MAX_PARAMS];
  const void *extra; /**< type-specific data (e.g. mixture components) */
} genc_dist;

/** The table of functions that defines a distribution type. */
struct genc_dist_type {
  const char *name;                          /**< e.g. "normal" */
  int nparams;                               /**< number of parameter arrays */
  const char *param_names[GENC_DIST_MAX_PARAMS];
  bool discrete;                             /**< values are integers/bools (no value gradient) */
  /**
   * Validate parameters; return GENC_OK or a genc_ctx_fail() naming the
   * distribution and parameter. NULL: no checks.
   */
  genc_status (*check)(genc_ctx *ctx, const genc_dist *d);
  /**
   * Draw a value. With n > 0 the result is batched over n particles (parameters
   * may be shared or batched over n); with n == 0 it is batched exactly when a
   * parameter is. Required.
   */
  genc_array *(*sample)(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n);
  /**
   * Log density (or mass) of @p x, summed over the event: a 0-d array per
   * particle. -inf outside the support. Required.
   */
  genc_array *(*logpdf)(genc_ctx *ctx, const genc_dist *d, genc_array *x);
  /**
   * Reparameterized draw: the same distribution as sample, written with array
   * ops of the parameters so that gradients flow. NULL if none.
   */
  genc_array *(*rsample)(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n);
};

/** Package a distribution of a user-defined type. */
genc_dist genc_dist_make(const genc_dist_type *type, int nparams, genc_array *const *params);
/** Check parameters (the type's check, plus NULL and context checks). */
genc_status genc_dist_check(genc_ctx *ctx, const genc_dist *d);
/** Check, then sample (see genc_dist_type.sample). NULL on error. */
genc_array *genc_dist_sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n);
/** Check, then reparameterized sample; GENC_ERR_UNSUPPORTED if the type has none. */
genc_array *genc_dist_rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n);
/** Check, then log density of @p x (0-d, batched like x and the parameters). */
genc_array *genc_dist_logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x);
/** True if the type has a reparameterized sampler. */
bool genc_dist_has_rsample(const genc_dist *d);
/** The type's name. */
const char *genc_dist_name(const genc_dist *d);

#ifdef __cplusplus
}
#endif
#endif
