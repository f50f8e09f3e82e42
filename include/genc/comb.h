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
 * once. The kept prefix is not walked either: the new trace shares the old
 * one's steps in chunks of 64, and its return value copies the old one's
 * rows in one slice, so what remains linear in T is that copy (and
 * genc_trace_take(), which maps every step's trace).
 */

/**
 * Map(kernel): applies @p kernel independently to each element of its
 * arguments. Every argument of the Map is an array whose leading logical axis
 * has the same length T (the elements; batched arguments keep their particle
 * axis); element t calls the kernel with the slices args[j][t] (leading axis
 * removed). The Map takes as many arguments as the kernel (at least one).
 * Choices of element t live under address t; the return value stacks the
 * kernel's return values along a new leading axis ([T, ...]; shape [0] when
 * T == 0), so they must share one shape (a Map of Unfolds of different
 * lengths fails with GENC_ERR_SHAPE). The score is the sum of the elements'
 * scores. Returns a new
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
 * Turn the reuse of unchanged steps (prefix skipping) of a Map, Unfold or Scan
 * @p gf on (the default) or off. Off, update and regenerate rerun the kernel's
 * update or regenerate on every step with unknown argument diffs, as a system
 * without incremental computation would: extending an Unfold from T to T+1
 * steps then costs T+1 kernel runs. The results are the same either way; the
 * switch exists to measure what skipping saves (bench/bench_unfold.c). A
 * setting of the function (no global state), read by every later operation.
 * GENC_ERR_ARG if @p gf is NULL or not a Map, Unfold or Scan.
 */
genc_status genc_unfold_set_prefix_skipping(genc_gf *gf, bool on);

/**
 * Turn the replay of new steps of an Unfold or Scan @p gf on (the default) or
 * off (issue 12). On, a batched generate or update on the CPU that adds steps
 * (an SMC extends its trace by one step per update) runs the kernel's
 * generate eagerly for the first new steps, then, where a step costs at
 * least about 0.2 ms (B2: about 1e4 particles), captures the next one
 * (genc_gf_generate_capture_in) and replays that graph for the later new
 * steps with their arguments, observations and keys: compiled when the disk
 * cache holds its object, or compiled in the background once the chain's new
 * steps took GENC_AUTO_COMPILE_S (genc/exec.h, infer.h). The capture lives in
 * the traces the chain's operations make from one another, not in @p gf.
 * Draws are bit for bit the eager ones and weights within the compiled
 * code's few ulps (interpreted replays: the eager bits). A kernel the
 * capture refuses, or a step whose shapes or observed addresses differ from
 * the capture's, runs eagerly. Off, every step runs eagerly. GENC_ERR_ARG if
 * @p gf is NULL or not an Unfold or Scan.
 */
genc_status genc_unfold_set_step_replay(genc_gf *gf, bool on);

/** New steps of @p t's chain of traces that replayed the captured kernel
 * generate so far (see genc_unfold_set_step_replay; 0: all eager), or -1 if
 * @p t is not an Unfold's or Scan's trace. For tests and benchmarks. */
int64_t genc_unfold_trace_step_replays(const genc_trace *t);

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

/**
 * Vmap(kernel): the kernel mapped over a new leading axis inside one trace
 * (GenJAX's vmap). Bit j of @p in_axes says that argument j is mapped: it is
 * an array whose leading logical axis holds the T elements (all mapped
 * arguments have the same T >= 1), and element t gets its slice t; an
 * argument not mapped is passed whole to every element. The T elements are
 * ONE batched run of the kernel (over T particles, or n*T for an n-particle
 * run, flat particle p*T + t for outer particle p and element t), so the
 * kernel obeys the batched rules (no control flow on random values; use
 * Switch or Mask). Address layout: each address of the kernel holds one
 * [T, ...] array (a Vmap of 1000 elements over a kernel tracing "x" has the
 * single address "x" holding a [1000] array), and constraints give such
 * arrays. The return value stacks the elements' values ([T, ...]); the score
 * sums the elements' scores. Selections act on whole addresses (all T
 * elements of "x" at once). Update and regenerate keep T (a different T is
 * GENC_ERR_SHAPE: use Map) and run the kernel once. The run key of outer
 * particle p is the call's key with particle offset p*T, so particle i of a
 * batched run equals the single run with genc_key_particle(key, i). Returns a
 * new function (one reference) retaining @p kernel; NULL if @p kernel is NULL,
 * @p in_axes is 0 or names an argument the kernel lacks, or on NOMEM.
 */
genc_gf *genc_vmap(genc_gf *kernel, uint32_t in_axes);

/**
 * Repeat(kernel, count): a Vmap with no mapped argument: @p count (>= 1)
 * independent runs of the kernel on the same arguments, one batched kernel
 * run; addresses hold [count, ...] arrays as in genc_vmap(). NULL if @p kernel
 * is NULL or @p count < 1.
 */
genc_gf *genc_repeat(genc_gf *kernel, int64_t count);

/* ------------------------------------------------------------------ */
/* Switch, Mask, Mix, Recurse, Contramap, Dimap                         */
/* ------------------------------------------------------------------ */

/**
 * Argument transform of Contramap and Dimap: write the inner function's
 * arguments (genc_gf_nargs(inner) of them) into @p out from the outer ones in
 * @p args. Array ops only (arguments may be batched over particles); the
 * arrays made belong to the caller's scope. Return GENC_OK or a status with a
 * message set in @p ctx.
 */
typedef genc_status (*genc_args_transform)(genc_ctx *ctx, genc_array *const *args,
                                           genc_array **out, void *user);
/** Return-value transform of Dimap: the outer value from the inner one (NULL on error). */
typedef genc_array *(*genc_value_transform)(genc_ctx *ctx, genc_array *x, void *user);

/**
 * Contramap(f, g): the generative function x -> f(g(x)) of @p nargs arguments.
 * Its choices are f's, at the same addresses (no extra level); its score and
 * value are f's. @p g (not NULL) maps the outer arguments to f's and receives
 * @p user. Update and regenerate pass argument diffs through: all outer
 * arguments unchanged gives f no-change diffs (and f's old arguments, so g
 * does not run), anything else gives f unknown diffs (g may mix arguments).
 * Retains @p f. NULL on bad arguments or NOMEM (no context: nothing recorded).
 */
genc_gf *genc_contramap(const char *name, genc_gf *f, int nargs, genc_args_transform g,
                        void *user);

/**
 * Dimap(f, g, h): x -> h(f(g(x))): Contramap with the return value passed
 * through @p h (not NULL; both transforms receive @p user). Choices, score and
 * diffs as genc_contramap(); @p g may be NULL for the identity (then @p nargs
 * must equal genc_gf_nargs(f)).
 */
genc_gf *genc_dimap(const char *name, genc_gf *f, int nargs, genc_args_transform g,
                    genc_value_transform h, void *user);

/**
 * Switch(branches[0..k)): argument 0 is the branch index, a 0-d i32 array in
 * [0, k) (a bool is read as 0/1); arguments 1.. go to the branch, so every
 * branch must take the same number of arguments (the Switch takes one more).
 * The choices are the taken branch's, at the Switch's own level (Gen.jl's
 * Switch), its score and value are the branch's. The branch runs with the
 * Switch's key. An index out of range is GENC_ERR_ARG naming it.
 *
 * **Update** with the same index updates the branch (diffs of arguments 1..
 * passed on). When the index changes from j to i, Gen.jl's rule: branch i is
 * generated with the previous choices merged under the update's constraints
 * (constraints win), so an address both branches visit keeps its old value;
 * w = generate weight of branch i - old score (= new score - old score - log
 * q(fresh choices)); the discard holds the previous choices at addresses the
 * new trace lacks or the constraints name. The constraints must be visited by
 * branch i; of the previous choices only those at addresses branch i visits
 * are kept, found by running it (a run with the constraints, then again with
 * the old choices it visited added, until that set stops growing). Refused
 * (GENC_ERR_ADDRESS) in the one case this cannot resolve: a kept old value
 * that makes branch i skip another kept address.
 * **Regenerate** with a changed index simulates the new branch: w = 0 (all old
 * choices leave and all new ones are fresh from the prior, so the ratio
 * cancels, as for sites a dynamic function adds and removes).
 *
 * **Vectorized switch.** In a batched run (n > 0) with a batched index, every
 * branch runs for all particles and the trace keeps each branch's batched
 * sub-trace and the index; score, weights and the value are selected per
 * particle with genc_where (so branches' values must broadcast to one shape
 * and dtype). genc_trace_particle(t, i) is exactly the single trace of the
 * branch particle i took. A shared index in a batched run runs one branch.
 * The batched choice map is the *union* of the branches' maps: at an address
 * of several branches each particle holds its taken branch's value; an
 * address of only some branches holds, for the other particles, the value
 * the branch computed but did not use (padding). Per particle, only the taken
 * branch's addresses are choices: take genc_trace_particle() for the exact
 * map. Such a union map is accepted back as constraints and by assess: each
 * branch gets the entries at its own addresses (learned from one extra batched
 * simulate of the branch: in batched mode addresses cannot depend on random
 * values); shared addresses must have one dtype and shape in every branch.
 * A batched update that moves some particles to a branch runs that branch's
 * update and generate (one generate per old branch particles leave, keeping
 * that branch's shared choices) and joins them per particle (one more run,
 * fully constrained); its discard is likewise a union (old values, padded).
 * Retains the branches; NULL on bad arguments (k outside 1..GENC_SWITCH_MAX_BRANCHES,
 * a NULL branch, branches of different argument counts) or NOMEM.
 */
genc_gf *genc_switch(const char *name, int k, genc_gf *const *branches);

/**
 * Mask(f): argument 0 is a 0-d bool (or i32 0/1) array; arguments 1.. go to
 * @p f. When true, f runs and the Mask's choices, score and value are f's (at
 * the Mask's own level); when false it contributes nothing: no choices, score
 * 0, and its value is a 0-d f64 NaN. Update and regenerate handle flips of the
 * flag as a Switch between "nothing" and f (a flip to true generates f with
 * the constraints, "nothing" having no choices to keep; a flip to false
 * discards all of f's choices, w = -old score). Batched with a batched flag: f runs for all particles and scores
 * and weights are selected per particle; the value is then f's value at every
 * particle (unused where the flag is false), and the choice map holds f's
 * choices for all particles (padding where false: see genc_switch()).
 * Retains @p f; NULL on bad arguments or NOMEM.
 */
genc_gf *genc_mask(const char *name, genc_gf *f);

/**
 * Mix(components[0..k)): a first-class mixture (GenMLX's mix, Gen.jl's
 * HomogeneousMixture with any components). Argument 0 is the mixture weights
 * as **logits**: a [k] float array of unnormalized log probabilities (finite
 * or -inf; probabilities p are logits log p); arguments 1.. go to the
 * component, so every component takes the same number of arguments. Choices:
 * the component index at "component" (i32, Categorical(logits)) and the
 * component's choices under "value" ("value/x" for a component choosing "x").
 * The value is the component's. generate with "value" constrained and
 * "component" free has weight log p(value | component drawn), whose
 * expectation over the prior is the marginal log sum_k p_k p(value | k).
 * Full GFI, batched (a vectorized switch under "value"). Retains the
 * components; NULL on bad arguments or NOMEM.
 */
genc_gf *genc_mix(const char *name, int k, genc_gf *const *components);

/** Most branches of one Switch (and components of one Mix). */
#define GENC_SWITCH_MAX_BRANCHES 64

/** Deepest Recurse tree (nodes below the root): addresses must fit GENC_ADDR_MAX. */
#define GENC_RECURSE_MAX_DEPTH 24

/**
 * Recurse(production, aggregation): a recursive structure, as Gen.jl's
 * Recurse. The function takes one argument v (the root's). Every node runs
 * @p production(v) (one argument), which returns the child arguments as an
 * array of shape [m, ...] (m children, m may be 0; child c gets row c), then
 * each child as a node on its row, then @p aggregation(v, values), whose
 * second argument stacks the m children's values along a new axis 0 (a [0]
 * f64 array when m == 0), and returns the node's value. Address layout, nested
 * paths: a node's production at "production", its aggregation at
 * "aggregation", child c's whole subtree under index c, so
 * "0/1/production" is the production of child 1 of child 0 of the root. The
 * score is the sum over nodes of both functions' scores. A tree deeper than
 * @p max_depth levels below the root (1..GENC_RECURSE_MAX_DEPTH) fails with
 * GENC_ERR_ARG naming the depth. In batched mode m must be the same for every
 * particle (a shape), so random branching (m read from a choice) is
 * single-trace only. Full GFI through the dynamic function interface.
 * Retains both functions; NULL on bad arguments or NOMEM.
 */
genc_gf *genc_recurse(const char *name, genc_gf *production, genc_gf *aggregation, int max_depth);

#ifdef __cplusplus
}
#endif
#endif
