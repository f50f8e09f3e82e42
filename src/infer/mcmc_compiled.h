/*
 * A captured MCMC kernel step (issue 12, src/infer/mcmc_compiled.c): one
 * application of a kernel recorded as a graph from the trace's arrays and the
 * step's key to the new trace's arrays and the acceptance counts, compiled
 * with genc_graph_compile and replayed by genc_mcmc_run (opts.compile); a
 * single chain's replays run as genc_graph_loop calls (loop mode). The
 * chain's state between replays is the list of arrays only; a trace is
 * rebuilt from the capture's trace as template when one is needed.
 */
#ifndef GENC_INFER_MCMC_COMPILED_H
#define GENC_INFER_MCMC_COMPILED_H

#include "genc.h"

typedef struct genc__cstep genc__cstep;

/* Whether applications of k ignore the driver step (kernel.c). */
bool genc__kernel_step_free(const genc_kernel *k);

/*
 * Apply k to t at step under a capture. On success: the step, *out the eager
 * new trace (a new reference), *acc / *prop its counts (caller's scope). On a
 * refusal: NULL with no error, *out the eager result when the kernel ran to
 * the end (else NULL: the caller runs the step eagerly). On an error: NULL,
 * the context's error, *out NULL. copts: how the graph is compiled.
 */
genc__cstep *genc__cstep_capture(genc_ctx *ctx, const genc_kernel *k, const genc_trace *t,
                                 genc_key key, int64_t step, const genc_compile_opts *copts,
                                 genc_trace **out, genc_array **acc, genc_array **prop);
/*
 * Iteration s of a run whose iteration i has the key genc_key_fold_in(base,
 * i): one replay, the state moves on by one application; *acc / *prop (NULL
 * when the kernel reports none) are in the caller's scope. GENC_ERR_CAPTURE
 * (state unchanged): a guard changed, run iteration s eagerly on
 * genc__cstep_trace().
 */
genc_status genc__cstep_replay(genc_ctx *ctx, genc__cstep *cs, genc_key base, int64_t s,
                               genc_array **acc, genc_array **prop);
/*
 * Loop mode, for a single chain (unbatched) whose recorded addresses (naddrs
 * text addresses) are each an array of the state: iterations are then served
 * by genc__cstep_row from genc_graph_loop calls that run up to 4096 of them
 * ahead, so an iteration makes no arrays. Returns whether loop mode is on
 * (set once; false: use genc__cstep_replay).
 */
bool genc__cstep_loop_plan(genc_ctx *ctx, genc__cstep *cs, int naddrs, const char *const *addrs);
/*
 * Iteration s of end in loop mode (iterations in order): *row points to its
 * host values, valid until the next call: the acceptance count and the
 * proposal count (those genc__cstep_counts says the kernel reports), then
 * the recorded addresses' elements in order. While the graph's compiled code
 * is not loaded, one replay builds the row. GENC_ERR_CAPTURE as
 * genc__cstep_replay (the rows before the changed guard were served).
 */
genc_status genc__cstep_row(genc_ctx *ctx, genc__cstep *cs, genc_key base, int64_t s, int64_t end,
                            const double **row);
/* Which counts the kernel reports (the first values of a row). */
void genc__cstep_counts(const genc__cstep *cs, bool *acc, bool *prop);
/* The state's array holding the value at text address addr, or NULL when
 * the address does not name one array of the trace (then read a trace). */
genc_array *genc__cstep_value(genc_ctx *ctx, const genc__cstep *cs, const char *addr);
/* The state as a trace (a new reference), or NULL with the context's error. */
genc_trace *genc__cstep_trace(genc_ctx *ctx, const genc__cstep *cs);
/* Whether replays run compiled code (false: the graph interpreter). */
bool genc__cstep_compiled(const genc__cstep *cs);
void genc__cstep_free(genc__cstep *cs);

#endif
