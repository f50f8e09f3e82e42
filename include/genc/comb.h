/**
 * @file comb.h
 * @brief Layer 4: combinators, generative functions built from generative functions.
 *
 * Each combinator returns a new generative function (one reference, released
 * with genc_gf_release()) that retains the functions it is built from, and
 * implements the whole GFI (simulate, generate, update with argument diffs,
 * regenerate, assess, propose, project, edit, gradients), for one trace and
 * for N particles. Combinators are written against the public headers only.
 */
#ifndef GENC_COMB_H
#define GENC_COMB_H

#include "genc/gfi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Map, Unfold, Scan, Vmap                                              */
/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* Switch, Mask, Mix, Recurse, Contramap, Dimap                         */
/* ------------------------------------------------------------------ */

#ifdef __cplusplus
}
#endif
#endif
