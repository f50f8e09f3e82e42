/*
 * Helpers shared by the distribution files of src/dist/: parameter checks (one
 * reduction and one host read per parameter per call), support masks, output
 * shapes and dtypes of samplers, and the saddle-point terms (Loader 2000) that
 * keep Poisson and binomial masses accurate for huge counts.
 */
#ifndef GENC_DIST_INTERNAL_H
#define GENC_DIST_INTERNAL_H

#include <math.h>

#include "array/internal.h"
#include "genc/dist.h"

#define GENC_LOG_2PI 1.8378770664093454836
#define GENC_LOG_PI 1.1447298858494001741

/* The parameter checks are the public helpers of genc/dist.h
 * (genc_dist_check_*); the short names below are aliases kept for the
 * built-in files. */
typedef genc_param_kind genc__pkind;
#define GENC__ANY GENC_PARAM_ANY
#define GENC__REAL GENC_PARAM_REAL
#define GENC__POS GENC_PARAM_POSITIVE
#define GENC__NONNEG GENC_PARAM_NONNEG
#define GENC__PROB GENC_PARAM_PROB
#define GENC__PROB_POS GENC_PARAM_PROB_POS
#define GENC__COUNT GENC_PARAM_COUNT
#define GENC__INT GENC_PARAM_INT
#define GENC__NOT_NAN_POSINF GENC_PARAM_LOGIT
#define genc__check_array genc_dist_check_array
#define genc__check_param genc_dist_check_param
#define genc__check_true genc_dist_check_true
#define genc__check_value genc_dist_check_value
#define genc__finish genc_dist_sum_support

/* Parameters (location, scale) of a location-scale family: 0 finite, 1 > 0. */
genc_status genc__check_loc_scale(genc_ctx *ctx, const genc_dist *d);

/* A check_shapes (genc_dist_type) that checks nothing: the type's check has
 * only value checks. */
genc_status genc__check_no_shapes(genc_ctx *ctx, const genc_dist *d);

/* Checks before scoring d: genc_dist_check, or under a capture for a type
 * with check_shapes only the structural ones, with *after set: the caller
 * then passes the score to genc__dist_check_score. */
genc_status genc__dist_check_first(genc_ctx *ctx, const genc_dist *d, bool *after);
/* The rest of the checks, given d's score lp (any shape): under a capture a
 * guard that lp is finite everywhere; when it is not, d's check (which
 * reports, or records its own guards; the guard then holds "not finite", so
 * replays with finite scores run eagerly: a capture whose score overflowed). */
genc_status genc__dist_check_score(genc_ctx *ctx, const genc_dist *d, genc_array *lp);
/* Under a capture: 1 if every element of x is finite, recorded as a guard (a
 * sum over all elements and particles, judged finite); 0 if not, on error,
 * or outside a capture. */
int genc__capture_finite(genc_ctx *ctx, genc_array *x);

/* Package a built-in distribution. */
genc_dist genc__dist(const genc_dist_type *t, genc_array *a, genc_array *b, genc_array *c,
                     genc_array *e);

/* Floating dtype for draws: f32 if a non-weak parameter is f32 and none is f64. */
genc_dtype genc__dist_dtype(const genc_dist *d);
/* Broadcast logical shape of the first np parameters; false with an error. */
bool genc__dist_shape(genc_ctx *ctx, const genc_dist *d, int np, int *ndim, int64_t *shape);
/* Particles of a draw: n if n > 0 (checked against batched parameters), else
 * the parameters' particle count (0 if all shared); -1 with an error. */
int64_t genc__dist_particles(genc_ctx *ctx, const genc_dist *d, int64_t n);
/* Standard normal/uniform/exponential draws of the broadcast shape of the first
 * np parameters (np == 0: 0-d), batched over the draw's particles. */
genc_array *genc__draw(genc_ctx *ctx, genc_key key, const genc_dist *d, int np, int64_t n,
                       genc_law law);

/* Sum over every logical element (the event); a 0-d term is returned as is. */
static inline genc_array *genc__sum_event(genc_ctx *ctx, genc_array *t) {
  return genc_dist_sum_event(ctx, t, -1);
}
/* Bool: x is a (finite) integer. */
genc_array *genc__is_int(genc_ctx *ctx, genc_array *x);
/* x as f64 (integer and bool values are scored in f64). */
genc_array *genc__as_float(genc_ctx *ctx, genc_array *x);
/* a * log(x) with 0 * log(0) = 0. */
genc_array *genc__xlogy(genc_ctx *ctx, genc_array *a, genc_array *x);
/* a * log1p(x) with 0 * log1p(-1) = 0. */
genc_array *genc__xlog1py(genc_ctx *ctx, genc_array *a, genc_array *x);
/* log Beta(a, b). */
genc_array *genc__lbeta(genc_ctx *ctx, genc_array *a, genc_array *b);
/* Stirling's error: lgamma(k + 1) - (k + 1/2) log k + k - log(2 pi) / 2, k >= 1. */
genc_array *genc__stirlerr(genc_ctx *ctx, genc_array *k);
/* Deviance term k log(k / m) + m - k, accurate when k is close to m (k > 0). */
genc_array *genc__bd0(genc_ctx *ctx, genc_array *k, genc_array *m);
/* Main diagonal of a (batched) square matrix [.., k, k] -> [.., k]. */
genc_array *genc__diag(genc_ctx *ctx, genc_array *m);
/* Multivariate log-gamma: log Gamma_k(a). */
genc_array *genc__lmvgamma(genc_ctx *ctx, genc_array *a, int64_t k);

/* Elementwise normal log density terms (not summed). */
genc_array *genc__normal_terms(genc_ctx *ctx, genc_array *x, genc_array *mu, genc_array *sigma);
/* Elementwise Poisson log mass terms for integer k >= 0 (not summed). */
genc_array *genc__poisson_terms(genc_ctx *ctx, genc_array *k, genc_array *rate);
/* Elementwise beta log density terms on [0, 1] (not summed, no support mask). */
genc_array *genc__beta_terms(genc_ctx *ctx, genc_array *x, genc_array *a, genc_array *b);
/* Angles y wrapped into [-pi, pi) (y - 2 pi floor((y + pi) / 2 pi), rounding
 * fixed up); the gradient is that of y. */
genc_array *genc__wrap_angle(genc_ctx *ctx, genc_array *y);
/* Bool: x in the circular support [-pi, pi), or NaN (whose density is NaN). */
genc_array *genc__in_circle(genc_ctx *ctx, genc_array *x);
/* log(e^a + e^b), -inf when both are -inf. */
genc_array *genc__logaddexp(genc_ctx *ctx, genc_array *a, genc_array *b);
/* Gamma(alpha, 1) draws (their logs if lg: no underflow for tiny alpha) with
 * alpha broadcast to (ndim, shape) over m particles, in dtype dt. */
genc_array *genc__gamma_draw(genc_ctx *ctx, genc_key key, genc_array *alpha, int ndim,
                             const int64_t *shape, int64_t m, genc_dtype dt, bool lg);
/* Wishart(df, scale) draw by Bartlett's decomposition, from the lower Cholesky
 * factor of the scale. */
genc_array *genc__wishart_draw(genc_ctx *ctx, genc_key key, genc_array *df, genc_array *chol,
                               int64_t m);

/* ---- The scalar fast path (genc_dist_type.sample_scalar and friends) ---- */

/* Host twin of genc__check_loc_scale (parameter values p[0], p[1]). */
genc_status genc__check_loc_scale_scalar(genc_ctx *ctx, const genc_dist *d, const double *p);
/* True if the fast path applies to d for a draw or density over n particles
 * (no tape, CPU, n == 0, every parameter a shared 0-d f64 array, the type has
 * scalar functions); then pv holds the parameters. Sets no error. */
bool genc__dist_scalar_params(genc_ctx *ctx, const genc_dist *d, int64_t n, double *pv);
/* Structural checks of d, then its host checks on pv (fast-path twin of
 * genc_dist_check). */
genc_status genc__dist_check_scalar(genc_ctx *ctx, const genc_dist *d, const double *pv);
/* True if x can be scored on the host: a shared 0-d array, not f32 (whose
 * density the array path computes in f32); then *xv holds it. */
bool genc__dist_scalar_value(genc_ctx *ctx, const genc_array *x, double *xv);
/* The fast path's draw, as an array of the type's scalar dtype, into *out and
 * (lp not NULL) its log density into *lp. Returns 1, 0 if the type declines
 * (nothing made, no error), -1 on an allocation error (error set). */
int genc__dist_sample_scalar(genc_ctx *ctx, genc_key key, const genc_dist *d, const double *pv,
                             genc_array **out, double *lp);

/* Suspend tape recording (checks and plain samplers are not differentiated). */
static inline bool genc__norec_begin(genc_ctx *ctx) {
  bool old = ctx->no_record;
  ctx->no_record = true;
  return old;
}
static inline void genc__norec_end(genc_ctx *ctx, bool old) { ctx->no_record = old; }

#endif
