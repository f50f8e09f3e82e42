/*
 * One-pass host scans for the GFI layer's checks (the layers above src/array
 * see arrays only through the public API; this is their one private door to
 * an eager CPU array's memory, read-only), and the SMC driver's weight passes
 * over its own host buffers, vectorized here where the CPU backend's vector
 * libm may be used (host_weights.c).
 */
#ifndef GENC_ARRAY_HOST_SCAN_H
#define GENC_ARRAY_HOST_SCAN_H

#include <stdint.h>

#include "genc/array.h"

/*
 * How many elements of @p x (every element of every particle) are NaN or
 * +inf, counted by one loop over its memory; -1 when that cannot be done here
 * (a capture records, the array is not in host memory, or an unknown dtype):
 * the caller then takes its array-op path. Integer and bool arrays count 0.
 */
int64_t genc__host_count_nan_posinf(const genc_ctx *ctx, const genc_array *x);

/*
 * The memory of @p x, an eager CPU f64 array of exactly @p n elements (every
 * element of every particle, particle-major), to read while x lives; NULL
 * when it is not one or a capture records (the caller then copies it out with
 * genc_array_copy_out, which also says why it cannot).
 */
const double *genc__host_f64(const genc_ctx *ctx, const genc_array *x, int64_t n);

/*
 * w[i] += v[i] for i < n, a NaN sum (-inf + inf) made -inf (a particle of
 * zero weight); returns the largest w[i] (-inf when n == 0 or all are -inf).
 * w and v must not overlap.
 */
double genc__host_add_max(double *restrict w, const double *restrict v, int64_t n);

/*
 * e[i] = exp(w[i] - mx) for i < n (by libmvec's vector exp, within 4 ulp of
 * the scalar one), stored in @p e unless it is NULL, with out[0] their
 * compensated (Neumaier) sum and out[1] the sum of their squares. The sums
 * run in 8 lanes (element i in lane i mod 8, each lane compensated, the lanes
 * combined in order): the same bits whatever the vector width. w and e must
 * not overlap.
 */
void genc__host_exp_sums(const double *restrict w, int64_t n, double mx, double *restrict e,
                         double out[2]);

#endif
