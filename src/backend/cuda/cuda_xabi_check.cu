/* The generated graph sources' headers as NVRTC reads them (exec_cuda_src.c:
 * C++, restrict spelled __restrict__): compiled here so that C-only code in
 * them (an implicit conversion from void *, say) fails the build, not the
 * first compiled replay on a GPU. Nothing in it is called. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers" /* C designated initializers */
#define restrict __restrict__
#define R123_USE_SSE 0
#include "array/exec_abi.h"
#include "array/exec_vec.h"
