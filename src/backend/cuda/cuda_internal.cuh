/*
 * Internals of the CUDA backend: the per-context state (device, stream, cuBLAS
 * handle, caching allocator, error flag) and launch helpers shared by the
 * kernel files. Everything runs on the context's one stream, in order, so a
 * freed block can be handed to the next op without synchronizing.
 */
#ifndef GENC_CUDA_INTERNAL_CUH
#define GENC_CUDA_INTERNAL_CUH

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <stdint.h>

extern "C" {
#include "backend/backend.h"
}

/* A cached free device block. */
typedef struct genc_cu_block {
  void *p;
  size_t bytes; /* rounded size */
} genc_cu_block;

typedef struct genc_cu_state {
  int dev;
  bool multi; /* more than one device: set ours before every call */
  cudaStream_t stream;
  cublasHandle_t blas;
  int sms;
  /* caching allocator: free blocks, looked up by exact rounded size */
  genc_cu_block *cache;
  int64_t ncache, capcache;
  /* one scalar the index/linalg kernels report through, and its host mirror
   * (pinned, the first word of GENC_CU_HSTAGE bytes: the rest stages small
   * downloads, see cu_download) */
  long long *dflag;
  long long *hflag;
  /* GENC_CU_RCOUNT counters, zero between launches: a chunked reduction's
   * last block per output finishes it (cuda_reduce.cu) */
  unsigned *rcount;
  /* first CUDA error seen (sticky): reported by the next download */
  cudaError_t err;
  /* compiled-graph executor: loaded NVRTC modules (cuda_rtc.cu); while a CUDA
   * graph records (hold), freed blocks are parked in held (cuda_cgraph.cu) */
  void *rtc;
  bool hold;
  genc_cu_block *held;
  int64_t nheld, capheld;
} genc_cu_state;

/* Make st's device current (only needed on multi-GPU machines). */
static inline genc_cu_state *genc_cu_enter(void *stp) {
  genc_cu_state *st = (genc_cu_state *)stp;
  if (st->multi) cudaSetDevice(st->dev);
  return st;
}

/* Record the first launch error (kernels themselves cannot fail on valid input). */
static inline void genc_cu_check(genc_cu_state *st) {
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess && st->err == cudaSuccess) st->err = e;
}

#define GENC_CU_THREADS 256
/* outputs a chunked reduction may have (its per-output block counters) */
#define GENC_CU_RCOUNT 1024

/* The pinned host block behind hflag, and where its download stage starts
 * (past the flag's cache line). */
#define GENC_CU_HSTAGE 4096
#define GENC_CU_HSTAGE_OFF 64

/* Blocks for a grid-stride loop over n elements. */
static inline unsigned genc_cu_blocks(const genc_cu_state *st, int64_t n) {
  int64_t b = (n + GENC_CU_THREADS - 1) / GENC_CU_THREADS;
  int64_t cap = (int64_t)st->sms * 32;
  if (b > cap) b = cap;
  return (unsigned)(b < 1 ? 1 : b);
}

#define GENC_CU_LOOP(i, n)                                                                         \
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);                        \
       i += (int64_t)gridDim.x * blockDim.x)

/* Scratch device memory from the context's allocator (freed the same way). */
void *genc_cu_alloc(void *st, size_t bytes);
void genc_cu_free(void *st, void *p, size_t bytes);
/* Park a block freed while a CUDA graph records (cuda_cgraph.cu); false: not
 * parked (out of memory). */
bool genc_cu_hold(genc_cu_state *st, void *p, size_t bytes);
/* Reset the flag to v, run nothing; read it back (synchronizes the stream). */
void genc_cu_flag_set(genc_cu_state *st, long long v);
long long genc_cu_flag_get(genc_cu_state *st);

/* kernel entry points (the backend table) */
void genc_cu_fill(void *st, genc_dtype dt, void *dst, int64_t n, double v);
void genc_cu_cast(void *st, genc_dtype from, const void *x, genc_dtype to, void *y, int64_t n);
void genc_cu_unary(void *st, genc_unary_op op, genc_dtype dt, const void *x, void *y, int64_t n);
void genc_cu_binary(void *st, genc_binary_op op, genc_dtype dt, const void *a, const void *b,
                    void *out, const genc_bcast *g);
void genc_cu_where(void *st, genc_dtype dt, const void *cond, const void *a, const void *b,
                   void *out, const genc_bcast *g);
void genc_cu_fused3(void *st, genc_fused_op op, genc_dtype dt, const void *a, const void *b,
                    const void *c, void *out, const genc_bcast *g);
void genc_cu_reduce(void *st, genc_reduce_op op, genc_dtype dt, const void *x, void *out,
                    int64_t outer, int64_t len, int64_t inner);
void genc_cu_scan(void *st, genc_reduce_op op, genc_dtype dt, const void *x, void *out,
                  int64_t outer, int64_t len, int64_t inner);
void genc_cu_searchsorted(void *st, genc_dtype dt, const void *sorted, int64_t srow, int64_t len,
                          const void *v, int64_t vrow, void *out, int64_t outer, int64_t m,
                          bool right);
void genc_cu_strided_copy(void *st, size_t esize, const void *x, void *out, int ndim,
                          const int64_t *shape, const int64_t *xstride);
int64_t genc_cu_gather(void *st, size_t esize, const void *x, const int32_t *idx, void *out,
                       int64_t outer, int64_t xlen, int64_t inner, int64_t nidx, int64_t iouter);
int64_t genc_cu_scatter_add(void *st, genc_dtype dt, void *out, const int32_t *idx, const void *upd,
                            int64_t outer, int64_t xlen, int64_t inner, int64_t nidx,
                            int64_t iouter);
void genc_cu_matmul(void *st, genc_dtype dt, int64_t batch, int64_t m, int64_t n, int64_t k,
                    const void *a, int64_t sa, bool ta, const void *b, int64_t sb, bool tb,
                    void *c);
int64_t genc_cu_cholesky(void *st, genc_dtype dt, int64_t batch, int64_t n, void *out);
int64_t genc_cu_trisolve(void *st, genc_dtype dt, int64_t batch, int64_t n, int64_t m,
                         const void *l, int64_t sl, void *out, bool lower, bool trans);
int64_t genc_cu_logdet(void *st, genc_dtype dt, int64_t batch, int64_t n, void *a, void *out);
int64_t genc_cu_inv(void *st, genc_dtype dt, int64_t batch, int64_t n, void *a);
void genc_cu_sample(void *st, const genc_sample_req *req, void *out);

#endif
