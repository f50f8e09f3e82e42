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

/*
 * Map, Unfold and Scan hold one kernel trace per element or step, at the index
 * address of the element or step: a Map of 3 elements over a kernel that
 * traces "x" has the choices 0/x, 1/x, 2/x. Element or step t runs the kernel
 * with the key genc_key_fold_in(key, t). Batched (n particles), each element or
 * step is one batched run of the kernel serving every particle, and particle i
 * equals the single run with genc_key_particle(key, i).
 *
 * Incremental update and regenerate: an element or step is revisited only if
 * its inputs changed, the constraints name it or the selection selects
 * something below it; the others keep their old kernel traces (shared, not
 * copied). What changed comes from the argument diffs (genc_nochange,
 * genc_vectordiff for elements of a vector argument, genc_intdiff for a
 * length) or, when a diff is unknown (as under genc_rt_splice()), by comparing
 * the old and new argument values. Unfold and Scan feed a revisited step's
 * new carry to the next step only if its value changed, so an update that
 * constrains step t runs the kernel for steps t.. while their carries change,
 * and none before t; extending an Unfold from T to T+1 steps runs the kernel
 * once.
 */

/**
 * Map(kernel): applies @p kernel independently to each element of its
 * arguments. Every argument of the Map is an array whose leading logical axis
 * has the same length T (the elements; batched arguments keep their particle
 * axis); element t calls the kernel with the slices args[j][t] (leading axis
 * removed). The Map takes as many arguments as the kernel (at least one).
 * Choices of element t live under address t; the return value stacks the
 * kernel's return values along a new leading axis ([T, ...]; shape [0] when
 * T == 0). The score is the sum of the elements' scores. Returns a new
 * function (one reference) that retains @p kernel; NULL if @p kernel is NULL,
 * takes no argument, or on NOMEM.
 */
genc_gf *genc_map(genc_gf *kernel);

/**
 * Unfold(kernel): threads a state through T steps. The Unfold's arguments are
 * (T, init_state, params...): T a shared one-element integer array (0-d i32 or
 * a whole f64), then the initial state, then any parameters passed unchanged
 * to every step. Step t calls kernel(t, state, params...) with t a 0-d i32
 * array and state the previous step's return value (init_state for t = 0);
 * the kernel's return value is the new state, so @p kernel takes as many
 * arguments as the Unfold (at least 2). Choices of step t live under address
 * t; the return value stacks the T states ([T, ...]; an empty [0, ...] shaped
 * like init_state when T == 0). A GENC_DIFF_INT diff (or any change) of T adds
 * or removes steps at the end: update generates the new ones and removes the
 * old ones (their scores leave the weight, their choices go to the discard).
 * Returns a new function (one reference) retaining @p kernel, NULL on bad
 * arguments or NOMEM.
 */
genc_gf *genc_unfold(genc_gf *kernel);

/**
 * The carry of a Scan step from the kernel's return value @p ret: a
 * deterministic function built from array ops (NULL on error, with the error
 * recorded). @p user is the pointer given to genc_scan().
 */
typedef genc_array *(*genc_carry_fn)(genc_ctx *ctx, genc_array *ret, void *user);

/**
 * Scan(kernel), shaped like jax.lax.scan. The Scan's arguments are (carry0,
 * xs, params...): the initial carry, the per-step inputs xs (an array whose
 * leading axis has length T, the number of steps), then parameters passed to
 * every step. Step t calls kernel(carry, xs[t], params...) and returns ONE
 * array r_t that packs the new carry and the step's output y_t: the next
 * carry is @p carry(r_t) (NULL: r_t itself, the common case where the output
 * is the carry), and the output is whatever the user reads from r_t. The
 * Scan's return value is the stack of the r_t ([T, ...]); the final carry is
 * @p carry of its last row and the ys are read from the rows, so one return
 * value serves both (e.g. a kernel returning concat(carry, y) with @p carry a
 * slice). Choices of step t live under address t. Incremental update treats
 * elements of xs as Map does (genc_vectordiff) and carries as Unfold does.
 * With T == 0 the return value is an empty [0, ...] shaped like carry0.
 * Returns a new function (one reference) retaining @p kernel; NULL if
 * @p kernel is NULL, takes fewer than 2 arguments, or on NOMEM.
 */
genc_gf *genc_scan(genc_gf *kernel, genc_carry_fn carry, void *user);

/* ------------------------------------------------------------------ */
/* Switch, Mask, Mix, Recurse, Contramap, Dimap                         */
/* ------------------------------------------------------------------ */

#ifdef __cplusplus
}
#endif
#endif
