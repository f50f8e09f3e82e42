/* What the SMC drivers (smc.c, smc_seq.c, tempered.c, csmc.c) share inside the library. */
#ifndef GENC_INFER_SMC_INTERNAL_H
#define GENC_INFER_SMC_INTERNAL_H

#include <stdint.h>

#include <math.h>

#include "genc.h"

/* A compensated running sum (Neumaier): the value is s + c (resample.c, smc.c). */
typedef struct genc__ksum {
  double s, c;
} genc__ksum;
static inline void genc__ksum_add(genc__ksum *k, double x) {
  double t = k->s + x;
  k->c += fabs(k->s) >= fabs(x) ? (k->s - t) + x : (x - t) + k->s;
  k->s = t;
}

/* Add the incremental log weights v to the normalized log weights w (n of
 * them, host f64, not overlapping): returns the log normalizer log sum_i
 * exp(w_i + v_i), -inf when every particle has weight zero, and leaves w
 * normalized and the ESS 1 / sum W_i^2 in *ess (smc.c). The exps are
 * libmvec's (within 4 ulp of libm's) and their sums run in 8 fixed lanes
 * (src/array/host_weights.c): the same bits for any thread count, and for any
 * vector width that computes the same exps. */
double genc__smc_reweight(double *w, const double *v, int64_t n, double *ess);

/* Host buffers of genc_resample kept across the steps of a filter: at 1e4
 * particles and more, allocating and freeing them every step made glibc trim
 * and regrow its heap (or map and unmap them), and the page faults of their
 * first touch cost more than the resampling (resample.c). Zero-initialize. */
typedef struct genc__resample_ws {
  double *u, *p; /* n relative weights, m points */
  int32_t *idx;  /* m ancestors */
  int64_t ncap, mcap;
  int64_t nrel; /* u holds the relative weights of the last genc__smc_reweight_ws (0: no) */
  double total; /* and their compensated sum */
} genc__resample_ws;
/* Room in ws for n weights and m draws. GENC_OK or NOMEM. */
genc_status genc__resample_ws_reserve(genc_ctx *ctx, genc__resample_ws *ws, int64_t n, int64_t m);
/* genc_resample with the buffers of ws (grown as needed): the same checks and
 * the same ancestors. */
genc_array *genc__resample_ws_run(genc_ctx *ctx, const double *log_weights, int64_t n, int64_t m,
                                  genc_resample_scheme scheme, genc_key key, genc__resample_ws *ws);
/* Free ws's buffers (zeroing it). */
void genc__resample_ws_free(genc__resample_ws *ws);

/* genc__smc_reweight that also leaves the relative weights exp(w_i + v_i -
 * max) it sums and their compensated sum, when the normalizer is finite, in
 * ws->u (reserved for n) and ws->total for
 * genc__smc_ancestors, which then need no second exp pass (smc.c). */
double genc__smc_reweight_ws(double *w, const double *v, int64_t n, double *ess,
                             genc__resample_ws *ws);
/* m ancestors (an i32 array) of the n particles of log weights w by scheme:
 * from the relative weights genc__smc_reweight_ws left in ws if it did (they
 * are exp(w_i - max w) up to rounding: the ancestors are those of
 * genc_resample(w) except where a point falls within rounding of a running
 * sum), else genc__resample_ws_run(w). Consumes ws's relative weights. */
genc_array *genc__smc_ancestors(genc_ctx *ctx, const double *w, int64_t n, int64_t m,
                                genc_resample_scheme scheme, genc_key key, genc__resample_ws *ws);

/* The device path of genc_smc (smc.c, resample.c), taken when the context's
 * device is not the CPU: the normalized log weights stay on the device (a
 * shared f64 [n] array) and only the step's log normalizer, ESS and max come
 * to the host, in one read per step. The CPU path above is unchanged. */

/* w (retained; replaced by the new normalized weights, retained) += lw (the
 * update's incremental weights, batched 0-d of any float dtype, taken in
 * f64): returns the log normalizer as genc__smc_reweight (-inf when every
 * particle has weight zero; NaN with an error status in *st when an op
 * failed), the ESS in *ess and the relative weights exp(w_i + lw_i - max), f64
 * [n] in the caller's scope, in *rel (smc.c). */
double genc__smc_reweight_dev(genc_ctx *ctx, genc_array **w, genc_array *lw, double *ess,
                              genc_array **rel, genc_status *st);
/* m systematic or stratified ancestors (an i32 [m] array on rel's device) of
 * the n particles of relative weights rel (f64 [n]): the cumulative sums of
 * rel in f64, the points (j + U_j) C_{n-1} / m of genc_resample (the same
 * draws of key), and for each the smallest i with C_i > p (searchsorted),
 * clamped to the last particle of positive weight. The same ancestors as the
 * host's except where a point falls within rounding of a cumulative sum
 * (resample.c). Multinomial and residual are not done here: NULL with
 * GENC_ERR_ARG (the caller copies the weights to the host for them). */
genc_array *genc__smc_ancestors_dev(genc_ctx *ctx, genc_array *rel, int64_t m,
                                    genc_resample_scheme scheme, genc_key key);
/* genc_smc with the device path forced on (device true) or off, whatever the
 * context's device: for tests comparing the two on a CPU context (smc.c). */
genc_status genc__smc_run(genc_ctx *ctx, genc_gf *model, int64_t steps, genc_smc_step_fn step_fn,
                          void *user, const genc_smc_opts *opts, genc_smc_result *out, bool device);

#endif
