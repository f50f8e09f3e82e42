/*
 * The partition of a captured graph into per-particle regions (exec_part.c):
 * which nodes fuse. Shared by the CPU executor (exec_cpu.c), its C emitter
 * (exec_emit.c) and the CUDA executor, which generate code from the same
 * regions.
 */
#ifndef GENC_ARRAY_EXEC_PART_H
#define GENC_ARRAY_EXEC_PART_H

#include "array/graph.h"

/* Most elements one value of a region may have per particle (it lives in a
 * local array of the generated code), and most bytes of such locals a region
 * may have in all (they live on a thread's stack). */
#define GENC_X_MAX_LOCAL 8192
#define GENC_X_MAX_REGION_BYTES (512 * 1024)

/* A region: nodes that run as one loop over particles, each particle
 * computing all of them before the next. Every node of a region produces n
 * particles (n == 0: a graph without batched values, run as one particle). */
typedef struct genc_xregion {
  int64_t n;
  int32_t nnodes, nin, nout, nsample;
  int32_t *nodes;  /* node indices, in graph order */
  int32_t *in;     /* value ids read from outside the region (inputs, constants, other nodes) */
  int32_t *out;    /* value ids of region nodes needed outside: outputs, guards, other readers */
  int32_t *sample; /* node indices of the region's sample nodes, in node order */
} genc_xregion;

/* One step of a replay: node >= 0 runs that node through the interpreter,
 * else region runs region `region`. */
typedef struct genc_xstep {
  int32_t node, region;
} genc_xstep;

typedef struct genc_xpart {
  int32_t nregions, nsteps;
  genc_xregion *regions;
  genc_xstep *steps;
  int32_t *region_of; /* per node: its region, or -1 */
} genc_xpart;

/* Whether node k of g can run inside a region (its primitive, dtype, sizes,
 * and for samplers its law). */
bool genc__xpart_fusable(const genc_graph *g, int32_t k);
/* Partition g: nodes in order join the open region while they fuse (same
 * particle count, local bytes within bounds); an interpreted node runs
 * before the open region when it reads none of its values, else right after
 * it (deferred, so the region stays open for the nodes that follow; a
 * fusable node that reads a deferred one closes it). The shared values of a
 * batched graph (n == 0) stay with the interpreter, where the CPU computes
 * them once; with @p shared_regions, two or more such fusable nodes in
 * consecutive steps become a region of their own (n == 0): on the GPU each
 * interpreted node is a launch. GENC_ERR_NOMEM on allocation failure. */
genc_status genc__xpart_build(genc_ctx *ctx, const genc_graph *g, bool shared_regions,
                              genc_xpart *out);
void genc__xpart_free(genc_xpart *p);
/* Into last (ninputs + nconsts + nnodes entries): the last step of p that
 * reads each value (-1: none), by step and not by node, since an interpreted
 * node deferred after a region runs after region nodes of higher index;
 * outputs and guard values get nsteps (the replay reads them after the
 * executor). Both executors release a value after its last step. */
void genc__xpart_lifetimes(const genc_graph *g, const genc_xpart *p, int32_t *last);

#endif
