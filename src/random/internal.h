/* Internals of the random layer shared with the layers above it. Nothing here
 * is public. */
#ifndef GENC_RANDOM_INTERNAL_H
#define GENC_RANDOM_INTERNAL_H

#include "backend/backend.h"
#include "genc/random.h"

/*
 * One f64 draw of a parameterless law (GENC_LAW_UNIFORM, _NORMAL,
 * _EXPONENTIAL, _GUMBEL) computed on the host: bit for bit the value that the
 * CPU backend gives for a shared 0-d draw with @p key (the same
 * genc_sample_req, run through genc_law_sample_elem). It lets the scalar fast
 * path of distributions skip dispatch and array allocation.
 */
double genc__sample_scalar(genc_key key, genc_law law);

#endif
