/**
 * @file exec.h
 * @brief The fused, compiled, multi-threaded CPU executor of captured graphs.
 *
 * genc_graph_capture (array.h) records a function of arrays once; by itself a
 * replay interprets the graph node by node, one pass over memory per op.
 * genc_graph_compile partitions the graph into per-particle regions (maximal
 * runs of elementwise ops, the fused normal log density, per-element samplers
 * and reductions over logical axes), writes C for each region (a loop over
 * particles that computes every node of the region for one particle before it
 * moves to the next), compiles it with the system C compiler into a shared
 * object cached on disk, and runs tiles of particles on a pool of threads.
 * Nodes outside regions (matmul, gathers, particle-axis reductions, ...) still
 * run through the interpreter between regions.
 *
 * Replays of a compiled graph give the eager results: integer and bool values
 * bit for bit, draws bit for bit, float values within a few ulps (the eager
 * elementwise kernels call glibc's vector libm, the compiled code its scalar
 * functions); any thread count gives the same bits, since each particle's
 * computation is independent of the others.
 *
 * Time to first draw: a compile with the object in the disk cache takes 1-2
 * ms; a cold one runs cc (0.25-0.35 s on a quiet machine). With
 * genc_compile_opts.background the caller never waits for cc: replays
 * interpret until the object is loaded, then switch to it by themselves.
 *
 * The generated C includes headers of genc's source tree (the path CMake
 * recorded, or $GENC_SOURCE_DIR); $GENC_EXEC_SOURCE names a file to receive
 * the generated source of each compile (for debugging).
 */
#ifndef GENC_EXEC_H
#define GENC_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "genc/array.h"

#ifdef __cplusplus
extern "C" {
#endif

/* also declared in genc/array.h (C11 allows the repeat) */
typedef struct genc_graph genc_graph;

/** Options of genc_graph_compile (zero-initialize for the defaults). */
typedef struct genc_compile_opts {
  /** worker threads for replays; 0 = all online cores */
  int threads;
  /** where compiled regions are cached; NULL: $GENC_CACHE_DIR, else
   * $XDG_CACHE_HOME/genc, else $HOME/.cache/genc (created if missing) */
  const char *cache_dir;
  /** the C compiler; NULL: $CC, else "cc". One that fails (or is missing)
   * makes the executor fall back to the tiled interpreter. */
  const char *compiler;
  /** force the tiled interpreter (no compiler is run) */
  bool interpret;
  /** particles per chunk a thread takes (compiled) or per tile (interpreted);
   * 0 = auto (512) */
  int64_t tile;
  /** CUDA contexts: never record replays as a CUDA Graph (every replay then
   * launches its kernels one by one) */
  bool no_cuda_graph;
  /** CPU contexts: compile in the background (default false: block). When
   * the disk cache holds the object it is loaded at once (1-2 ms) as without
   * it; otherwise genc_graph_compile returns after partitioning the graph and
   * writing its C, the compiler runs on a thread of the graph's own, replays
   * meanwhile run through the interpreter (genc_graph_replay's node-by-node
   * path: the eager values bit for bit), and the first replay after the
   * object loaded runs it. Interpreted replays give the eager values bit for
   * bit and compiled ones the compiled values (draws bit for bit, floats
   * within the few ulps above), so which one ran a replay, and hence the last
   * ulps of a float, depends on when the compiler finished. A compiler that fails leaves replays
   * interpreted node by node, reported by genc_graph_compile_info, never
   * printed.
   * genc_graph_free stops a compile still running (it terminates the
   * compiler's process group) rather than wait for it; the cache then lacks
   * the object. */
  bool background;
  /** CPU contexts: never run the compiler: load the object when the disk
   * cache holds it (1-2 ms), else replays interpret node by node as without
   * an executor (info.why says so). For callers whose job is too short to
   * repay a compile but not a load (GENC_COMPILE_AUTO, infer.h). */
  bool cached_only;
} genc_compile_opts;

/** What genc_graph_compile did (for benchmarks: time to first draw). */
typedef struct genc_compile_info {
  int regions;                 /**< fused regions */
  int fused_nodes;             /**< nodes inside regions */
  int interp_nodes;            /**< nodes the interpreter runs */
  bool compiled;               /**< regions run as native code (false: tiled interpreter) */
  bool cache_hit;              /**< the shared object came from the disk cache */
  double compile_s;            /**< wall time of the genc_graph_compile call, seconds */
  int threads;                 /**< worker threads replays use */
  char so_path[512];           /**< the shared object ("" when interpreted) */
  char why[256];               /**< why the regions are interpreted ("" when compiled) */
  bool cuda_graph;             /**< CUDA: replays now launch one recorded CUDA Graph */
  bool background;             /**< the compiler ran (or runs) in the background */
  bool pending;                /**< it still runs: replays interpret; compiled, cache_hit, threads,
                                    so_path and why tell its outcome once this is false */
  double background_s;         /**< wall time of the background compile, seconds */
  int64_t interpreted_replays; /**< replays that ran interpreted while it was pending */
  int64_t looped_replays;      /**< replays genc_graph_loop ran in the compiled loop (one
                                    unbatched region: keys and draws ahead, no arrays) */
} genc_compile_info;

/**
 * Compile graph @p g for the CPU: install its executor (replays then run
 * regions fused, compiled and threaded). @p opts may be NULL (defaults).
 * Compiling a graph that already has an executor replaces it. A graph on a
 * non-CPU context fails with GENC_ERR_UNSUPPORTED. A failing compiler is not
 * an error: the executor interprets the regions over tiles of particles
 * instead (genc_graph_compile_info says which happened).
 */
genc_status genc_graph_compile(genc_ctx *ctx, genc_graph *g, const genc_compile_opts *opts);

/**
 * What the last genc_graph_compile of @p g did, into @p out. GENC_ERR_ARG if
 * @p g has no CPU executor installed.
 */
genc_status genc_graph_compile_info(genc_ctx *ctx, const genc_graph *g, genc_compile_info *out);

/**
 * Wait for a background compile of @p g (genc_compile_opts.background) to
 * finish and install its object; at once when none is pending. GENC_ERR_ARG
 * if @p g has no executor installed. (For tests and benchmarks: replays never
 * need it, they switch to the compiled code by themselves.)
 */
genc_status genc_graph_compile_wait(genc_ctx *ctx, genc_graph *g);

#ifdef __cplusplus
}
#endif

#endif
