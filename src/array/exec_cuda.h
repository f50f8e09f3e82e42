/*
 * The CUDA executor of captured graphs (exec_cuda.c): the regions of the CPU
 * executor's partition (exec_part.h) compiled by NVRTC from the CPU emitter's
 * per-particle bodies (exec_emit.c), one thread per particle, and a whole
 * replay recorded once as a CUDA Graph when nothing in it reads the host.
 * genc_graph_compile (exec_cpu.c) hands CUDA contexts here.
 */
#ifndef GENC_ARRAY_EXEC_CUDA_H
#define GENC_ARRAY_EXEC_CUDA_H

#include "array/exec_cpu.h"
#include "genc/exec.h"

/* Install the CUDA executor on g (a graph of a CUDA context). Without a
 * working NVRTC the regions run through the interpreter instead (info says
 * compiled = false); GENC_ERR_UNSUPPORTED in a build without CUDA. */
genc_status genc__xcuda_compile(genc_ctx *ctx, genc_graph *g, const genc_compile_opts *o);
/* The compile info of g's CUDA executor; false if g has none. */
bool genc__xcuda_info(const genc_graph *g, genc_compile_info *out);
/* Most particle reductions one region kernel finishes itself. */
#define GENC_XCU_MAX_RED 8

/* The particle reductions a region's kernel finishes itself (a reduction
 * epilogue): each reduces one of the region's outputs, a float scalar per
 * particle, over the particles (sum, prod, max, min, logsumexp), so a replay
 * saves its launch. The kernel then runs as the chunked reductions' grid
 * (genc_cu_reduce_chunks: block c takes particles [c clen, (c + 1) clen), a
 * thread every 256th) and folds the values it computed in their order, so the
 * result has the bits of the launch it replaces. */
typedef struct genc_xcu_fuse {
  int32_t nred;
  int32_t node[GENC_XCU_MAX_RED]; /* the reduction nodes (interpreted steps of the partition) */
  int32_t slot[GENC_XCU_MAX_RED]; /* what each reduces: an index into the region's out */
  int64_t nchunk, clen;
} genc_xcu_fuse;

/* The chunk plan of a particle reduction over n particles (false: that
 * reduction does not run in chunks, so no kernel can match its order). */
typedef bool (*genc_xcu_chunks)(void *arg, int64_t n, int64_t *nchunk, int64_t *clen);

/* Into fuse[r] (one per region of p): the reductions region r finishes, for
 * regions with skip[r] false (skip may be NULL). A reduction qualifies when it
 * is a particle reduction of a float value with one element per particle that
 * region r computes, and chunks(arg, n) gives its plan. */
void genc__xcuda_plan_fuse(const genc_graph *g, const genc_xpart *p, const bool *skip,
                           genc_xcu_chunks chunks, void *arg, genc_xcu_fuse *fuse);

/* The CUDA source of the regions of partition p of g (malloc'd; NULL when
 * out of memory): the emitter's bodies and a __global__ genc_xk<r> per region
 * (exec_cuda_src.c), with the reduction epilogues of fuse (one per region;
 * NULL: none). A kernel with an epilogue takes, after its region's outputs
 * in its parameter block, the nred reductions' outputs, their partials
 * (nchunk entries of 16 bytes each) and a counter that is zero between
 * launches. */
char *genc__xcuda_make_source(const genc_graph *g, const genc_xpart *p, const genc_xcu_fuse *fuse);
/* The row-fused body genc_xgbody<ri> of region ri appended to b when the
 * region has the row shape exec_row.c handles (nothing appended and
 * false otherwise: the kernel then calls the emitter's genc_xbody<ri>). */
bool genc__xcuda_row_body(const genc_graph *g, const genc_xpart *p, int32_t ri, genc_xbuf *b);
/* The CUDA source genc__xcuda_compile builds for g (malloc'd; NULL on
 * failure): for tests and for reading, on any context. */
char *genc__xcuda_source(genc_ctx *ctx, const genc_graph *g);

#endif
