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
/* The CUDA source of the regions of partition p of g (malloc'd; NULL when
 * out of memory): the emitter's bodies and a __global__ genc_xk<r> per region
 * (exec_cuda_src.c). */
char *genc__xcuda_make_source(const genc_graph *g, const genc_xpart *p);
/* The row-fused body genc_xgbody<ri> of region ri appended to b when the
 * region has the row shape exec_row.c handles (nothing appended and
 * false otherwise: the kernel then calls the emitter's genc_xbody<ri>). */
bool genc__xcuda_row_body(const genc_graph *g, const genc_xpart *p, int32_t ri, genc_xbuf *b);
/* The CUDA source genc__xcuda_compile builds for g (malloc'd; NULL on
 * failure): for tests and for reading, on any context. */
char *genc__xcuda_source(genc_ctx *ctx, const genc_graph *g);

#endif
