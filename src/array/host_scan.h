/*
 * One-pass host scans for the checks of the GFI and distribution layers: a
 * private door of theirs to an eager CPU array's memory, read-only. (The
 * public equivalents for the layers above, genc_array_host_f64 and the host
 * log-weight kernels of host_weights.c, are in genc/array.h.)
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

#endif
