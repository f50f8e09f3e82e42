/* Internal helpers of the MCMC diagnostics (src/infer/diag_*.c). Each follows the
 * R package posterior's function of the same role, so results agree with it to
 * rounding. Layer 5 sees public headers only. */
#ifndef GENC_INFER_DIAG_H
#define GENC_INFER_DIAG_H

#include <stdbool.h>

#include "genc/infer.h"

/* Validate the common arguments of a per-parameter diagnostic named fn. */
genc_status genc__diag_args(genc_ctx *ctx, const char *fn, const double *draws, int64_t nchains,
                            int64_t niter, const void *out);

/* posterior's should_return_NA: a NaN or infinity, or all values equal
 * (max - min below the machine epsilon). */
bool genc__diag_degenerate(const double *x, int64_t n);

/* Whether x[0..n) holds a NaN. */
bool genc__diag_has_nan(const double *x, int64_t n);

/* Copy of the chains split in half (.split_chains): 2 nchains chains of niter/2
 * draws, the middle draw of an odd chain dropped; one chain of one draw is kept
 * as is. Stores the new shape in *mc, *nc. NULL (NOMEM failure) on fn's behalf. */
double *genc__diag_split(genc_ctx *ctx, const char *fn, const double *x, int64_t m, int64_t n,
                         int64_t *mc, int64_t *nc);

/* Replace x[0..n) by the normal scores of its average ranks (z_scale):
 * qnorm((r - 3/8) / (n + 1/4)). */
genc_status genc__diag_zscale(genc_ctx *ctx, const char *fn, double *x, int64_t n);

/* Split-chain R-hat of m chains of n draws (.rhat) into *rhat; NaN when n < 2
 * or degenerate. */
genc_status genc__diag_rhat_of(genc_ctx *ctx, const char *fn, const double *x, int64_t m, int64_t n,
                               double *rhat);

/* ESS of m chains of n draws by Geyer's initial monotone sequence (.ess);
 * NaN when n < 3 or degenerate. */
genc_status genc__diag_ess_of(genc_ctx *ctx, const char *fn, const double *x, int64_t m, int64_t n,
                              double *ess);

/* Biased autocovariance of x[0..n) at every lag into acov[0..n), by FFT
 * (posterior's autocovariance). */
genc_status genc__diag_autocov(genc_ctx *ctx, const char *fn, const double *x, int64_t n,
                               double *acov);

/* Mean as R's mean(): long-double sum with one refinement pass. */
double genc__diag_mean(const double *x, int64_t n);

/* Sample variance (divisor n - 1) about genc__diag_mean; NaN for n < 2. */
double genc__diag_var(const double *x, int64_t n);

/* Sort x[0..n) (no NaN) ascending in place, permuting idx along when not NULL;
 * ties keep their order (stable). */
genc_status genc__diag_sort(genc_ctx *ctx, const char *fn, double *x, int64_t *idx, int64_t n);

/* Sorted copy of x[0..n) (NULL on NOMEM, reported for fn). */
double *genc__diag_sorted(genc_ctx *ctx, const char *fn, const double *x, int64_t n);

/* Type-7 quantile of sorted s[0..n) at p, computed as R's quantile.default. */
double genc__diag_quantile_sorted(const double *s, int64_t n, double p);

/* Median of sorted s[0..n) as R's median(): the mean of the middle two. */
double genc__diag_median_sorted(const double *s, int64_t n);

/* Standard normal quantile, Wichura's AS 241 (R's qnorm). */
double genc__diag_qnorm(double p);

/* Quantile of the Beta(a, b) law (R's qbeta), for a, b >= 1. */
double genc__diag_qbeta(double p, double a, double b);

#endif
