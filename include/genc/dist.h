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
 * genc_dist_new(); it is then used exactly like the built-in ones.
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

/**
 * Kinds of support a distribution declares (genc_dist_type.support). The
 * gradient samplers map each continuous kind to the real line with Stan's
 * transforms (log, logit, scaled logit, stick-breaking; see infer.h).
 */
typedef enum genc_support_kind {
  GENC_SUPPORT_UNKNOWN = 0, /**< not declared (user types that leave it out) */
  GENC_SUPPORT_REAL,     /**< every element in R (normal, mvnormal, von_mises: periodic density) */
  GENC_SUPPORT_POSITIVE, /**< every element > 0 */
  GENC_SUPPORT_NONNEGATIVE,   /**< every element >= 0 (a density on [0, inf)) */
  GENC_SUPPORT_UNIT_INTERVAL, /**< every element in [0, 1] */
  GENC_SUPPORT_INTERVAL,      /**< [p[lo], p[hi]]: bounds are parameters (indices lo, hi) */
  GENC_SUPPORT_CIRCLE,        /**< every element in [-pi, pi) (wrapped laws) */
  GENC_SUPPORT_SIMPLEX,       /**< last axis >= 0 summing to 1 */
  GENC_SUPPORT_COV_MATRIX,    /**< a symmetric positive-definite matrix */
  GENC_SUPPORT_DISCRETE,      /**< integers or bools (no transform: not for gradients) */
  GENC_SUPPORT_OTHER          /**< declared but none of these (delta, mixture, product...) */
} genc_support_kind;

/** A declared support: its kind and, for GENC_SUPPORT_INTERVAL, which
 * parameters hold the lower and upper bound. */
typedef struct genc_support {
  genc_support_kind kind;
  int8_t lo, hi; /**< GENC_SUPPORT_INTERVAL: parameter indices of the bounds */
} genc_support;

/** Kind name for messages: "real", "positive", "unit interval", ... */
const char *genc_support_name(genc_support_kind kind);

/** A distribution: its type and parameters (arrays owned by the caller's scope). */
typedef struct genc_dist {
  const genc_dist_type *type;
  int nparams;
  genc_array *p[GENC_DIST_MAX_PARAMS];
  const void *extra; /**< type-specific data (e.g. mixture components) */
} genc_dist;

/** The table of functions that defines a distribution type. */
struct genc_dist_type {
  const char *name; /**< e.g. "normal" */
  int nparams;      /**< number of parameter arrays */
  const char *param_names[GENC_DIST_MAX_PARAMS];
  bool discrete; /**< values are integers/bools (no value gradient) */
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

  /* ---- Optional scalar fast path (members may be left out: NULL / 0) ----
   * Used instead of check/sample/logpdf when no tape records, the context is on
   * the CPU, no particle count is asked for (n == 0), and every parameter is a
   * shared 0-d f64 array; @p params then holds the parameters as doubles. A type
   * gets the fast path only if it sets both sample_scalar and logpdf_scalar (and
   * check_scalar when it has a check). They must agree with the array path:
   * the same draw bit for bit and the same log density (same operation order). */

  /**
   * Validate host parameter values as check does (same errors and messages).
   * NULL: the fast path runs @c check on the arrays instead.
   */
  genc_status (*check_scalar)(genc_ctx *ctx, const genc_dist *d, const double *params);
  /**
   * Draw one value from @p key into @p value (a bool value as 0 or 1). Return
   * false to decline (the array sampler then runs).
   */
  bool (*sample_scalar)(genc_key key, const double *params, double *value);
  /** Log density of the 0-d value @p x (-inf outside the support). */
  double (*logpdf_scalar)(const double *params, double x);
  /** dtype of the values sample_scalar makes (GENC_F64, the zero value, or
   * GENC_BOOL / GENC_I32 for discrete types). */
  genc_dtype scalar_dtype;
  /** The support of a value (zero: GENC_SUPPORT_UNKNOWN). Read by the GFI
   * (genc_trace_support()) and the unconstraining transforms of infer.h. */
  genc_support support;
  /**
   * Optional: the part of @c check that a finite log density does not imply
   * (dimensions, shapes; it may check nothing). Setting it declares that
   * logpdf is NaN or -inf at every element whose parameters fail @c check,
   * and that sample is harmless with such parameters (no loop, no error).
   * Under a capture (genc_graph_capture) the GFI and genc_dist_logpdf then
   * run this check, score the value, and guard that the score is finite in
   * place of @c check's reductions over the parameters, which would
   * otherwise replay with every step: a replay whose score is not finite fails
   * its guard, its caller runs the step eagerly, and @c check reports there.
   * NULL: @c check runs under a capture too.
   */
  genc_status (*check_shapes)(genc_ctx *ctx, const genc_dist *d);
};

/* ---- Built-in distributions (constructors only package their arguments) ---- */

/** Normal(mu, sigma): sigma > 0. Reparameterized. Alias: genc_gaussian. */
genc_dist genc_normal(genc_ctx *ctx, genc_array *mu, genc_array *sigma);
/** Elementwise normal over the broadcast shape of mu and sigma, scored as one
 * address (the sum of the elementwise log densities). Reparameterized. */
genc_dist genc_broadcasted_normal(genc_ctx *ctx, genc_array *mu, genc_array *sigma);
/** Uniform on [lo, hi], lo < hi. Reparameterized. */
genc_dist genc_uniform(genc_ctx *ctx, genc_array *lo, genc_array *hi);
/** Bernoulli(p), p in [0, 1]; values are bool. Alias: genc_flip. */
genc_dist genc_bernoulli(genc_ctx *ctx, genc_array *p);
/** Beta(alpha, beta), both > 0. Reparameterized (implicitly, through the gamma draws). */
genc_dist genc_beta(genc_ctx *ctx, genc_array *alpha, genc_array *beta);
/** Gamma(shape, rate), both > 0 (mean shape / rate). Reparameterized (implicitly: a draw
 * moves along its quantile, see genc_random_gamma). */
genc_dist genc_gamma(genc_ctx *ctx, genc_array *shape, genc_array *rate);
/** Exponential(rate), rate > 0. Reparameterized. */
genc_dist genc_exponential(genc_ctx *ctx, genc_array *rate);
/** Categorical over 0..K-1 from unnormalized log-probabilities along the last axis
 * of logits (finite or -inf, at least one finite); values are i32. */
genc_dist genc_categorical(genc_ctx *ctx, genc_array *logits);
/** Poisson(rate), rate >= 0; values are i32. */
genc_dist genc_poisson(genc_ctx *ctx, genc_array *rate);
/** Laplace(loc, scale), scale > 0. Reparameterized. */
genc_dist genc_laplace(genc_ctx *ctx, genc_array *loc, genc_array *scale);
/** Student's t(df, loc, scale), df > 0, scale > 0. Reparameterized (implicitly, through the gamma
 * draws). */
genc_dist genc_student_t(genc_ctx *ctx, genc_array *df, genc_array *loc, genc_array *scale);
/** Log-normal: log x ~ Normal(mu, sigma). Reparameterized. */
genc_dist genc_lognormal(genc_ctx *ctx, genc_array *mu, genc_array *sigma);
/** Multivariate normal(mean [k], cov [k, k] positive definite), through the
 * Cholesky factor of cov. Reparameterized. */
genc_dist genc_mvnormal(genc_ctx *ctx, genc_array *mean, genc_array *cov);
/** Multivariate normal given the lower Cholesky factor L of the covariance
 * (cov = L L^T, diagonal > 0). Reparameterized. */
genc_dist genc_mvnormal_chol(genc_ctx *ctx, genc_array *mean, genc_array *chol);
/** Dirichlet(alpha) over the last axis, alpha > 0. Reparameterized (implicitly, through the gamma
 * draws). */
genc_dist genc_dirichlet(genc_ctx *ctx, genc_array *alpha);
/** Point mass at v (log density 0 at v, -inf elsewhere). Reparameterized (the
 * draw is v itself). */
genc_dist genc_delta(genc_ctx *ctx, genc_array *v);
/** Cauchy(loc, scale), scale > 0. Reparameterized. */
genc_dist genc_cauchy(genc_ctx *ctx, genc_array *loc, genc_array *scale);
/** Inverse gamma(shape, scale): 1/x ~ Gamma(shape, rate = scale). Reparameterized (implicitly,
 * through the gamma draws). */
genc_dist genc_inv_gamma(genc_ctx *ctx, genc_array *shape, genc_array *scale);
/** Geometric(p), p in (0, 1]: failures before the first success, k >= 0; i32. */
genc_dist genc_geometric(genc_ctx *ctx, genc_array *p);
/** Negative binomial(r > 0, p in (0, 1]): pmf C(k+r-1, k) p^r (1-p)^k; i32. */
genc_dist genc_neg_binomial(genc_ctx *ctx, genc_array *r, genc_array *p);
/** Binomial(n, p): n a non-negative integer, p in [0, 1]; values are i32. */
genc_dist genc_binomial(genc_ctx *ctx, genc_array *n, genc_array *p);
/** Uniform on the integers lo..hi, both included (lo <= hi integers); i32. */
genc_dist genc_discrete_uniform(genc_ctx *ctx, genc_array *lo, genc_array *hi);
/** Normal(mu, sigma) truncated to [lo, hi], lo < hi. Reparameterized
 * (inverse CDF). */
genc_dist genc_truncated_normal(genc_ctx *ctx, genc_array *mu, genc_array *sigma, genc_array *lo,
                                genc_array *hi);
/** Piecewise uniform: bin i = [bounds[i], bounds[i+1]) has probability
 * probs[i] / sum(probs); bounds increasing (K+1 entries), probs >= 0 (K entries). */
genc_dist genc_piecewise_uniform(genc_ctx *ctx, genc_array *bounds, genc_array *probs);
/** Beta-uniform mixture theta * Beta(alpha, beta) + (1 - theta) * U(0, 1). */
genc_dist genc_beta_uniform(genc_ctx *ctx, genc_array *theta, genc_array *alpha, genc_array *beta);
/**
 * Wishart(df, scale [k, k] positive definite), df > k - 1. The value's lower
 * triangle is read (it is scored through its Cholesky factor); a value that is
 * not positive definite is outside the support: log density -inf, gradient 0.
 * Same for inv_wishart.
 * Reparameterized (Bartlett's construction; implicitly through its gamma draws).
 */
genc_dist genc_wishart(genc_ctx *ctx, genc_array *df, genc_array *scale);
/** Inverse Wishart(df, scale [k, k] positive definite), df > k - 1. Reparameterized. */
genc_dist genc_inv_wishart(genc_ctx *ctx, genc_array *df, genc_array *scale);
/** Von Mises(mu, kappa > 0) on the circle; the log density is periodic in x
 * and draws lie in [mu - pi, mu + pi]. */
genc_dist genc_von_mises(genc_ctx *ctx, genc_array *mu, genc_array *kappa);

/** Components of a mixture: @p k distributions (the array must outlive the mixture). */
typedef struct genc_mixture_comps {
  int k;
  const genc_dist *comps;
} genc_mixture_comps;

/**
 * Mixture of the components in @p comps (kept by pointer in the result's
 * `extra`, so it must outlive the distribution) with unnormalized log weights
 * @p log_weights [k]. Every component must have the same value shape and dtype.
 */
genc_dist genc_mixture(genc_ctx *ctx, const genc_mixture_comps *comps, genc_array *log_weights);

/** Half-normal(sigma) = |Normal(0, sigma)|, sigma > 0, on x >= 0 (density
 * 2 N(x; 0, sigma)). Reparameterized. For this and the next three laws a
 * value off the support scores -inf and a NaN value NaN. */
genc_dist genc_half_normal(genc_ctx *ctx, genc_array *sigma);
/** Half-Cauchy(scale) = |Cauchy(0, scale)|, scale > 0, on x >= 0. Reparameterized. */
genc_dist genc_half_cauchy(genc_ctx *ctx, genc_array *scale);
/**
 * Wrapped Cauchy(mu, rho) on the circle, mu finite, rho in [0, 1) (rho = 0:
 * uniform): density (1 - rho^2) / (2 pi (1 + rho^2 - 2 rho cos(x - mu))) on
 * the support [-pi, pi); values outside it have log density -inf, and draws
 * are wrapped into it (for f32 values its bounds are pi rounded to f32).
 * (scipy: wrapcauchy(c = rho) of (x - mu) mod 2 pi.)
 * Reparameterized in mu and rho (inverse CDF).
 */
genc_dist genc_wrapped_cauchy(genc_ctx *ctx, genc_array *mu, genc_array *rho);
/**
 * Wrapped normal(mu, sigma) on the circle, mu finite, sigma > 0: the law of
 * Normal(mu, sigma) wrapped into the support [-pi, pi) (log density -inf
 * outside it). The density is the wrapping sum of normal densities for sigma
 * < 1.5 and its Fourier (Jacobi theta) series above, each truncated where the
 * terms fall below double precision. Reparameterized.
 */
genc_dist genc_wrapped_normal(genc_ctx *ctx, genc_array *mu, genc_array *sigma);

/** Components of a product: @p k distributions (the array must outlive the product). */
typedef struct genc_product_comps {
  int k;
  const genc_dist *comps;
} genc_product_comps;

/**
 * Product of the independent distributions in @p comps (kept by pointer in the
 * result's `extra`, like genc_mixture(), so it must outlive the distribution).
 * Every component must have the same value shape S; the value stacks them along
 * a new leading axis, shape [k, S...], with their dtypes promoted (component i
 * is value[i], and discrete components score integer-valued floats). The log
 * density is the sum of the components'. Reparameterized when every component is.
 */
genc_dist genc_product(genc_ctx *ctx, const genc_product_comps *comps);
/**
 * @p base repeated independently over the shape @p shape (@p ndim axes, each
 * >= 0): the value has shape [shape..., base value shape...] and the log
 * density is the sum over the repeats. @p base is kept by pointer (it must
 * outlive the result); the shape is kept as its parameter "shape" (a 1-d i32
 * array in the current scope). Any base works (scalar ones
 * such as genc_normal included): each repeat e is one base draw with key
 * genc_key_fold_in(key, e), batched over the particles, and one base density,
 * so the cost grows with the number of repeats (for many elementwise repeats
 * genc_broadcasted_normal and friends are faster). Reparameterized when the
 * base is.
 */
genc_dist genc_iid(genc_ctx *ctx, const genc_dist *base, int ndim, const int64_t *shape);

/** Package a distribution of a user-defined type. */
genc_dist genc_dist_new(const genc_dist_type *type, int nparams, genc_array *const *params);
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

/* ---- Helpers for writing a distribution type (the built-ins use them too) ----
 * A check written with these costs one reduction and one host read per
 * parameter per call, whatever the particle count, and names the distribution
 * and parameter the way the built-ins do:
 *   "<type name>: parameter <param name> must be finite and > 0 (got -1)". */

/** What a parameter must satisfy. Every kind rejects NaN. */
typedef enum genc_param_kind {
  GENC_PARAM_ANY,      /**< not NaN (infinities allowed) */
  GENC_PARAM_REAL,     /**< finite */
  GENC_PARAM_POSITIVE, /**< finite and > 0 */
  GENC_PARAM_NONNEG,   /**< finite and >= 0 */
  GENC_PARAM_PROB,     /**< in [0, 1] */
  GENC_PARAM_PROB_POS, /**< in (0, 1] */
  GENC_PARAM_COUNT,    /**< a finite integer >= 0 */
  GENC_PARAM_INT,      /**< a finite integer */
  GENC_PARAM_LOGIT     /**< not +inf (finite or -inf: unnormalized log-probabilities) */
} genc_param_kind;

/**
 * Check that every element of every particle of parameter @p i of @p d
 * satisfies @p kind; otherwise GENC_ERR_DOMAIN naming the type and the
 * parameter (from d->type->param_names) and the smallest offending value.
 * Not recorded on the tape. Use it in a genc_dist_type.check function.
 */
genc_status genc_dist_check_param(genc_ctx *ctx, const genc_dist *d, int i, genc_param_kind kind);
/** genc_dist_check_param() for an array @p x (e.g. one derived from the
 * parameters) with the names @p dist and @p param used in the message; a NULL
 * @p x is GENC_ERR_ARG (or the context's pending error). */
genc_status genc_dist_check_array(genc_ctx *ctx, const char *dist, const char *param, genc_array *x,
                                  genc_param_kind kind);
/** Check a derived condition: every element (all particles) of the bool array
 * @p ok is true, else GENC_ERR_DOMAIN "<type name>: <msg>". */
genc_status genc_dist_check_true(genc_ctx *ctx, const genc_dist *d, genc_array *ok,
                                 const char *msg);
/** Host twin of genc_dist_check_param() for the value @p v of parameter @p i
 * (the same message), for a genc_dist_type.check_scalar function. */
genc_status genc_dist_check_value(genc_ctx *ctx, const genc_dist *d, int i, double v,
                                  genc_param_kind kind);

/**
 * Sum elementwise log density terms @p lp over the last @p event_ndim logical
 * axes (each particle separately); @p event_ndim < 0 sums every axis, giving
 * the 0-d per-particle log density a logpdf function returns. An event_ndim
 * above lp's rank is GENC_ERR_SHAPE. Differentiable.
 */
genc_array *genc_dist_sum_event(genc_ctx *ctx, genc_array *lp, int event_ndim);
/**
 * The log density of a value with independent elements: the sum over every
 * logical axis of where(ok, term, -inf), so exactly -inf when an element is
 * outside the support (@p ok false there). Keep @p term finite where ok is
 * false (substitute a safe value before a log) so that no NaN reaches the
 * gradient. The built-ins write @p ok as "not outside" (e.g. !(x < 0)) so
 * that a NaN value scores NaN, which the GFI reports, rather than -inf.
 */
genc_array *genc_dist_sum_support(genc_ctx *ctx, genc_array *term, genc_array *ok);

/** Parameterless laws of genc_dist_draw(). */
typedef enum genc_dist_law {
  GENC_DIST_LAW_UNIFORM,    /**< U[0, 1) */
  GENC_DIST_LAW_NORMAL,     /**< N(0, 1) */
  GENC_DIST_LAW_EXPONENTIAL /**< Exp(1) */
} genc_dist_law;

/**
 * Standard draws for a sampler: @p law over the broadcast shape of the first
 * @p np parameters of @p d (np == 0: 0-d), in the distribution's float dtype
 * (f32 when a non-weak parameter is f32 and none f64, else f64), batched over
 * @p n particles when n > 0 (GENC_ERR_PARTICLE if a batched parameter has
 * another count), else over the parameters' particles (shared if none is
 * batched).
 */
genc_array *genc_dist_draw(genc_ctx *ctx, genc_key key, const genc_dist *d, int np, int64_t n,
                           genc_dist_law law);
/** One f64 draw of @p law on the host: bit for bit the shared 0-d draw that
 * genc_dist_draw() makes on the CPU with @p key (for sample_scalar). */
double genc_dist_draw_scalar(genc_key key, genc_dist_law law);

#ifndef __cplusplus
/* C numbers where parameter arrays are expected: genc_normal(ctx, 0.0, 1.0). */
#define genc_normal(ctx, mu, sigma) genc_normal((ctx), GENC_A((ctx), (mu)), GENC_A((ctx), (sigma)))
#define genc_broadcasted_normal(ctx, mu, sigma)                                                    \
  genc_broadcasted_normal((ctx), GENC_A((ctx), (mu)), GENC_A((ctx), (sigma)))
#define genc_uniform(ctx, lo, hi) genc_uniform((ctx), GENC_A((ctx), (lo)), GENC_A((ctx), (hi)))
#define genc_bernoulli(ctx, p) genc_bernoulli((ctx), GENC_A((ctx), (p)))
#define genc_beta(ctx, alpha, beta) genc_beta((ctx), GENC_A((ctx), (alpha)), GENC_A((ctx), (beta)))
#define genc_gamma(ctx, shape, rate)                                                               \
  genc_gamma((ctx), GENC_A((ctx), (shape)), GENC_A((ctx), (rate)))
#define genc_exponential(ctx, rate) genc_exponential((ctx), GENC_A((ctx), (rate)))
#define genc_categorical(ctx, logits) genc_categorical((ctx), GENC_A((ctx), (logits)))
#define genc_poisson(ctx, rate) genc_poisson((ctx), GENC_A((ctx), (rate)))
#define genc_laplace(ctx, loc, scale)                                                              \
  genc_laplace((ctx), GENC_A((ctx), (loc)), GENC_A((ctx), (scale)))
#define genc_student_t(ctx, df, loc, scale)                                                        \
  genc_student_t((ctx), GENC_A((ctx), (df)), GENC_A((ctx), (loc)), GENC_A((ctx), (scale)))
#define genc_lognormal(ctx, mu, sigma)                                                             \
  genc_lognormal((ctx), GENC_A((ctx), (mu)), GENC_A((ctx), (sigma)))
#define genc_mvnormal(ctx, mean, cov)                                                              \
  genc_mvnormal((ctx), GENC_A((ctx), (mean)), GENC_A((ctx), (cov)))
#define genc_mvnormal_chol(ctx, mean, chol)                                                        \
  genc_mvnormal_chol((ctx), GENC_A((ctx), (mean)), GENC_A((ctx), (chol)))
#define genc_dirichlet(ctx, alpha) genc_dirichlet((ctx), GENC_A((ctx), (alpha)))
#define genc_delta(ctx, v) genc_delta((ctx), GENC_A((ctx), (v)))
#define genc_cauchy(ctx, loc, scale)                                                               \
  genc_cauchy((ctx), GENC_A((ctx), (loc)), GENC_A((ctx), (scale)))
#define genc_inv_gamma(ctx, shape, scale)                                                          \
  genc_inv_gamma((ctx), GENC_A((ctx), (shape)), GENC_A((ctx), (scale)))
#define genc_geometric(ctx, p) genc_geometric((ctx), GENC_A((ctx), (p)))
#define genc_neg_binomial(ctx, r, p)                                                               \
  genc_neg_binomial((ctx), GENC_A((ctx), (r)), GENC_A((ctx), (p)))
#define genc_binomial(ctx, n, p) genc_binomial((ctx), GENC_A((ctx), (n)), GENC_A((ctx), (p)))
#define genc_discrete_uniform(ctx, lo, hi)                                                         \
  genc_discrete_uniform((ctx), GENC_A((ctx), (lo)), GENC_A((ctx), (hi)))
#define genc_truncated_normal(ctx, mu, sigma, lo, hi)                                              \
  genc_truncated_normal((ctx), GENC_A((ctx), (mu)), GENC_A((ctx), (sigma)), GENC_A((ctx), (lo)),   \
                        GENC_A((ctx), (hi)))
#define genc_piecewise_uniform(ctx, bounds, probs)                                                 \
  genc_piecewise_uniform((ctx), GENC_A((ctx), (bounds)), GENC_A((ctx), (probs)))
#define genc_beta_uniform(ctx, theta, alpha, beta)                                                 \
  genc_beta_uniform((ctx), GENC_A((ctx), (theta)), GENC_A((ctx), (alpha)), GENC_A((ctx), (beta)))
#define genc_wishart(ctx, df, scale)                                                               \
  genc_wishart((ctx), GENC_A((ctx), (df)), GENC_A((ctx), (scale)))
#define genc_inv_wishart(ctx, df, scale)                                                           \
  genc_inv_wishart((ctx), GENC_A((ctx), (df)), GENC_A((ctx), (scale)))
#define genc_von_mises(ctx, mu, kappa)                                                             \
  genc_von_mises((ctx), GENC_A((ctx), (mu)), GENC_A((ctx), (kappa)))
#define genc_mixture(ctx, comps, lw) genc_mixture((ctx), (comps), GENC_A((ctx), (lw)))
#define genc_half_normal(ctx, sigma) genc_half_normal((ctx), GENC_A((ctx), (sigma)))
#define genc_half_cauchy(ctx, scale) genc_half_cauchy((ctx), GENC_A((ctx), (scale)))
#define genc_wrapped_cauchy(ctx, mu, rho)                                                          \
  genc_wrapped_cauchy((ctx), GENC_A((ctx), (mu)), GENC_A((ctx), (rho)))
#define genc_wrapped_normal(ctx, mu, sigma)                                                        \
  genc_wrapped_normal((ctx), GENC_A((ctx), (mu)), GENC_A((ctx), (sigma)))
#endif
/** Alias of genc_normal. */
#define genc_gaussian genc_normal
/** Alias of genc_bernoulli. */
#define genc_flip genc_bernoulli

#ifdef __cplusplus
}
#endif
#endif
