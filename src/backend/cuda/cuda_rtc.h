/*
 * Run-time compiled kernels and CUDA Graphs on a CUDA context's stream, for
 * the compiled-graph executor (src/array/exec_cuda*.c). Plain C: the executor
 * is C; the implementation (cuda_rtc*.cu, cuda_cgraph.cu) is the only code
 * that sees NVRTC, the driver API and CUDA Graphs.
 *
 * Kernels are CUDA C++ sources compiled by NVRTC for the context's device
 * (cubin, --fmad=false like the backend's own kernels, functions device by
 * default, so plain C helpers compile as device code), cached per context in
 * memory and on disk by a hash of the source, the options, the device
 * architecture and the NVRTC version, loaded with cuModuleLoadData and launched
 * with cuLaunchKernel on the context's stream. The driver API is reached
 * through cudaGetDriverEntryPointByVersion, so libgenc does not link libcuda
 * (a CUDA build then still starts, and reports no device, on a machine with no
 * driver).
 */
#ifndef GENC_CUDA_RTC_H
#define GENC_CUDA_RTC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A loaded kernel (owned by its context's cache: valid until the context is
 * freed). */
typedef struct genc_cu_fn genc_cu_fn;

/* What genc_cu_rtc_kernel did. */
typedef struct genc_cu_rtc_info {
  bool mem_hit;     /* already loaded in this context */
  bool disk_hit;    /* the cubin came from the disk cache (no NVRTC run) */
  double compile_s; /* wall time of the call, seconds */
} genc_cu_rtc_info;

/* Kernel @p name (an extern "C" __global__ function) of CUDA C++ source @p src,
 * compiled for the device of backend state @p bst. @p cache_dir: the disk
 * cache folder (created if missing; NULL or "": no disk cache). Project
 * headers are found under the source tree libgenc was built from
 * (GENC_RTC_SOURCE_DIR: src/ and include/); the C library headers the genc
 * headers include (stdint.h, math.h, ...) and Random123's philox.h are
 * supplied in memory (cuda_rtc_shims.cu). Returns NULL with a message (the
 * NVRTC log's first lines, or the failing call) in @p err. @p info may be NULL. */
genc_cu_fn *genc_cu_rtc_kernel(void *bst, const char *src, const char *name, const char *cache_dir,
                               genc_cu_rtc_info *info, char *err, size_t errcap);

/* Compile @p src with NVRTC for sm_<arch> (e.g. 90) and throw the result away:
 * no device needed (tests check generated sources on machines without a GPU).
 * 0, or -1 with the NVRTC log in @p err. */
int genc_cu_rtc_compile_only(const char *src, int arch, char *err, size_t errcap);

/* Launch @p fn on the context's stream with kernel parameters @p args (as
 * cuLaunchKernel's kernelParams) and enough threads for a grid-stride loop
 * over @p n items (256 a block, at most 32 blocks a multiprocessor). 0, or -1
 * with a message in @p err. */
int genc_cu_rtc_launch(void *bst, const genc_cu_fn *fn, int64_t n, void **args, char *err,
                       size_t errcap);

/* Launch @p fn as @p blocks blocks of GENC_CU_RED_THREADS (256) threads
 * (cuda_reduce.cuh): a kernel that reduces in the chunked reductions' order
 * takes their grid. 0, or -1 with a message in @p err. */
int genc_cu_rtc_launch_blocks(void *bst, const genc_cu_fn *fn, int64_t blocks, void **args,
                              char *err, size_t errcap);

/* The chunked reductions' rule, for a device of @p sms multiprocessors:
 * whether genc_cu_reduce of @p nout rows of @p len elements cuts rows into
 * chunks (k_red_part, k_lse_part: one block of 256 threads a chunk, a thread
 * taking elements t, t + 256, ... of its chunk, partials finished by the last
 * block; rows longer than 4096, fewer than 1024 of them), and then their count
 * and length: about eight blocks a multiprocessor in all, at least one element
 * a thread. A generated kernel that folds the same elements the same way into
 * the same tree gives the same bits. Plain C, so that sources can be planned
 * for a device without one (exec_cuda_src.c); cuda_reduce.cu runs by it. */
static inline bool genc_cu_chunk_rule(int64_t sms, int64_t nout, int64_t len, int64_t *nchunk,
                                      int64_t *clen) {
  if (nout <= 0 || nout >= 1024 || len <= 4096) return false;
  int64_t want = (sms * 8 + nout - 1) / nout, maxc = (len + 255) / 256;
  int64_t c = want < maxc ? want : maxc;
  if (c < 1) c = 1;
  *clen = (len + c - 1) / c;
  *nchunk = (len + *clen - 1) / *clen;
  return true;
}

/* genc_cu_chunk_rule on the device of backend state @p bst. */
bool genc_cu_reduce_chunks(void *bst, int64_t nout, int64_t len, int64_t *nchunk, int64_t *clen);

/* Threads the device of backend state @p bst keeps resident at once
 * (multiprocessors times threads per multiprocessor): below it a grid leaves
 * the device partly idle, so a kernel may prefer more, lighter threads. */
int64_t genc_cu_rtc_resident(void *bst);

/* Free every kernel module of a context (cu_destroy calls it). */
void genc_cu_rtc_release(void *bst);

/* ---- CUDA Graphs ---- */

typedef struct genc_cu_graph genc_cu_graph;

/* Start recording the context's stream into a graph (relaxed capture mode:
 * the allocator may still cudaMalloc). From here until genc_cu_graph_end the
 * context's allocator keeps every block freed instead of reusing it, since the
 * graph will write those blocks again at each launch. 0 or -1 with a message. */
int genc_cu_graph_begin(void *bst, char *err, size_t errcap);

/* Stop recording and instantiate. NULL with a message when the work recorded
 * could not be captured (a host synchronization inside, an error): the stream
 * is usable again and nothing recorded has run. The graph owns the blocks freed
 * while recording (they return to the allocator when it is freed). */
genc_cu_graph *genc_cu_graph_end(void *bst, char *err, size_t errcap);

/* Launch the instantiated graph on the context's stream. 0 or -1. */
int genc_cu_graph_launch(void *bst, genc_cu_graph *g, char *err, size_t errcap);

/* Free a graph (waits for its launches to finish) and give its held blocks
 * back to the context's allocator. NULL is a no-op. */
void genc_cu_graph_free(void *bst, genc_cu_graph *g);

/* ---- guards checked on the device ---- */

/* The comparison of a replay's guard values with their captured values, run
 * on the device (a recorded graph's last kernel) so that a replay reads one
 * word instead of every guard. */
typedef struct genc_cu_guards genc_cu_guards;

/* Most echoes (small values the check copies back, genc_cu_guards_launch)
 * one check carries. */
#define GENC_CU_GUARD_ECHOES 16

/* Room for the check of @p n guards (n >= 1) and @p necho echoes (0 ..
 * GENC_CU_GUARD_ECHOES): pinned, mapped host words the check kernels write.
 * NULL with a message. */
genc_cu_guards *genc_cu_guards_new(void *bst, int n, int necho, char *err, size_t errcap);

/* Enqueue the check of the n guards (recorded into a graph while one records):
 * guard i is element 0 of device memory @p ptrs[i] of dtype @p dtypes[i]
 * (genc_dtype), compared with @p seen[i] as the host would (equal, or both
 * NaN). The check also copies the necho echoes, @p ebytes[i] (at most 8)
 * bytes at device memory @p echo[i], into pinned memory before it writes its
 * word, so they come back with the replay's one synchronization
 * (genc_cu_guards_echo). The pointers and values are copied into the launch.
 * 0 or -1. */
int genc_cu_guards_launch(void *bst, genc_cu_guards *g, void *const *ptrs,
                          const unsigned char *dtypes, const double *seen, const void *const *echo,
                          const unsigned char *ebytes, char *err, size_t errcap);

/* Echo @p i's bytes as the last check copied them: read only after a
 * genc_cu_guards_wait that returned 0. */
const void *genc_cu_guards_echo(const genc_cu_guards *g, int i);

/* Mark the check's words unwritten: before each launch of work that checks. */
void genc_cu_guards_arm(genc_cu_guards *g);

/* Wait for the check enqueued since genc_cu_guards_arm (the one host
 * synchronization of a replay: the stream's later work, e.g. output copies,
 * may still run) and set @p changed to how many guards it found changed. 0,
 * or -1 on a CUDA error (sticky: the next download reports it). */
int genc_cu_guards_wait(void *bst, genc_cu_guards *g, long long *changed);

/* Free (waits for the stream first). NULL is a no-op. */
void genc_cu_guards_free(void *bst, genc_cu_guards *g);

/* Pinned host memory (NULL when out of memory) and its free (waits for the
 * stream first; NULL is a no-op). */
void *genc_cu_host_alloc(void *bst, size_t bytes);
void genc_cu_host_free(void *bst, void *p);

/* Copy @p bytes from pinned host memory to the device in stream order (while
 * a graph records: a copy node that reads the host memory at each launch).
 * Not the context's error on failure. 0 or -1. */
int genc_cu_upload_async(void *bst, void *dst, const void *pinned, size_t bytes);

#ifdef __cplusplus
}
#endif

#endif
