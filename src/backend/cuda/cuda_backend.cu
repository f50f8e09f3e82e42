/*
 * The CUDA backend: device selection, one stream per context, a caching
 * allocator over plain cudaMalloc (never managed memory), host copies, and the
 * kernel table. Host copies happen only in upload/download (item, copy-out).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cuda/cuda_internal.cuh"
#include "backend/cuda/cuda_rtc.h"

/* Blocks up to 1 MiB round to a power of two (>= 512 B); larger ones to a
 * multiple of 2 MiB. Free blocks are cached by rounded size and reused by the
 * next request of that size: scopes then cost no cudaMalloc per temporary. */
static size_t round_size(size_t bytes) {
  if (bytes <= ((size_t)1 << 20)) {
    size_t s = 512;
    while (s < bytes)
      s <<= 1;
    return s;
  }
  size_t mb2 = (size_t)2 << 20;
  return (bytes + mb2 - 1) / mb2 * mb2;
}

static void cache_flush(genc_cu_state *st) {
  for (int64_t i = 0; i < st->ncache; i++)
    cudaFree(st->cache[i].p);
  st->ncache = 0;
}

static void *cu_create(int device_index, char *err, size_t errcap) {
  int ndev = 0;
  cudaError_t e = cudaGetDeviceCount(&ndev);
  if (e != cudaSuccess || ndev == 0) {
    snprintf(err, errcap, "genc_ctx_new: no CUDA device is available (%s)",
             e != cudaSuccess ? cudaGetErrorString(e) : "the driver reports 0 devices");
    return NULL;
  }
  int dev = device_index;
  if (dev < 0 || dev >= ndev) {
    snprintf(err, errcap, "genc_ctx_new: CUDA device %d requested, %d present", dev, ndev);
    return NULL;
  }
  genc_cu_state *st = (genc_cu_state *)calloc(1, sizeof *st);
  if (!st) {
    snprintf(err, errcap, "genc_ctx_new: out of memory");
    return NULL;
  }
  st->dev = dev;
  st->multi = ndev > 1;
  const char *what = "cudaSetDevice";
  if ((e = cudaSetDevice(dev)) == cudaSuccess) {
    what = "cudaStreamCreate";
    e = cudaStreamCreateWithFlags(&st->stream, cudaStreamNonBlocking);
  }
  if (e == cudaSuccess) {
    what = "cudaMalloc";
    e = cudaMalloc((void **)&st->dflag, sizeof(long long));
  }
  if (e == cudaSuccess) {
    what = "cudaMalloc";
    e = cudaMalloc((void **)&st->rcount, GENC_CU_RCOUNT * sizeof(unsigned));
  }
  if (e == cudaSuccess) {
    what = "cudaMemset";
    e = cudaMemset(st->rcount, 0, GENC_CU_RCOUNT * sizeof(unsigned));
  }
  if (e == cudaSuccess) {
    what = "cudaMallocHost";
    e = cudaMallocHost((void **)&st->hflag, GENC_CU_HSTAGE);
  }
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&st->sms, cudaDevAttrMultiProcessorCount, dev);
  if (e != cudaSuccess) {
    snprintf(err, errcap, "genc_ctx_new: CUDA device %d: %s failed: %s", dev, what,
             cudaGetErrorString(e));
  } else if (cublasCreate(&st->blas) != CUBLAS_STATUS_SUCCESS) {
    snprintf(err, errcap, "genc_ctx_new: CUDA device %d: cublasCreate failed", dev);
    e = cudaErrorUnknown;
  } else {
    cublasSetStream(st->blas, st->stream);
    return st;
  }
  if (st->dflag) cudaFree(st->dflag);
  if (st->rcount) cudaFree(st->rcount);
  if (st->hflag) cudaFreeHost(st->hflag);
  if (st->stream) cudaStreamDestroy(st->stream);
  free(st);
  return NULL;
}

static void cu_destroy(void *stp) {
  genc_cu_state *st = genc_cu_enter(stp);
  cudaStreamSynchronize(st->stream);
  genc_cu_rtc_release(st);
  cache_flush(st);
  free(st->cache);
  free(st->held);
  cublasDestroy(st->blas);
  cudaFree(st->dflag);
  cudaFree(st->rcount);
  cudaFreeHost(st->hflag);
  cudaStreamDestroy(st->stream);
  free(st);
}

void *genc_cu_alloc(void *stp, size_t bytes) {
  genc_cu_state *st = genc_cu_enter(stp);
  if (bytes > ((size_t)1 << 62)) return NULL; /* rounding up would overflow */
  size_t r = round_size(bytes);
  for (int64_t i = st->ncache - 1; i >= 0; i--)
    if (st->cache[i].bytes == r) {
      void *p = st->cache[i].p;
      st->cache[i] = st->cache[--st->ncache];
      return p;
    }
  void *p = NULL;
  if (cudaMalloc(&p, r) != cudaSuccess) {
    cudaGetLastError(); /* clear: out of memory is reported as NULL, not sticky */
    cudaStreamSynchronize(st->stream);
    cache_flush(st);
    if (cudaMalloc(&p, r) != cudaSuccess) {
      cudaGetLastError();
      return NULL;
    }
  }
  return p;
}

void genc_cu_free(void *stp, void *p, size_t bytes) {
  genc_cu_state *st = (genc_cu_state *)stp;
  if (!p) return;
  if (st->hold && genc_cu_hold(st, p, bytes)) return; /* a CUDA graph records */
  if (st->ncache == st->capcache) {
    int64_t cap = st->capcache ? st->capcache * 2 : 256;
    genc_cu_block *c = (genc_cu_block *)realloc(st->cache, (size_t)cap * sizeof *c);
    if (!c) { /* cannot cache: give it back (cudaFree waits for pending work) */
      genc_cu_enter(st);
      cudaFree(p);
      return;
    }
    st->cache = c;
    st->capcache = cap;
  }
  st->cache[st->ncache].p = p;
  st->cache[st->ncache].bytes = round_size(bytes);
  st->ncache++;
}

static int cu_upload(void *stp, void *dst, const void *host, size_t bytes) {
  genc_cu_state *st = genc_cu_enter(stp);
  /* from pageable memory the copy is staged before this returns: host may be reused */
  cudaError_t e = cudaMemcpyAsync(dst, host, bytes, cudaMemcpyHostToDevice, st->stream);
  if (e != cudaSuccess && st->err == cudaSuccess) st->err = e;
  return st->err != cudaSuccess ? -1 : 0;
}

/* Small downloads (an item, a replay's scalar result) go through pinned
 * memory: a copy into pageable memory is staged by the driver, about twice
 * the time of the whole round trip for a few bytes. */
static int cu_download(void *stp, void *host, const void *src, size_t bytes) {
  genc_cu_state *st = genc_cu_enter(stp);
  char *stage = (char *)st->hflag + GENC_CU_HSTAGE_OFF;
  bool small = bytes <= GENC_CU_HSTAGE - GENC_CU_HSTAGE_OFF;
  cudaError_t e =
      cudaMemcpyAsync(small ? stage : host, src, bytes, cudaMemcpyDeviceToHost, st->stream);
  if (e == cudaSuccess) e = cudaStreamSynchronize(st->stream);
  if (e == cudaSuccess && small) memcpy(host, stage, bytes);
  if (e != cudaSuccess && st->err == cudaSuccess) st->err = e;
  return st->err != cudaSuccess ? -1 : 0;
}

static void cu_copy(void *stp, void *dst, const void *src, size_t bytes) {
  genc_cu_state *st = genc_cu_enter(stp);
  cudaError_t e = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, st->stream);
  if (e != cudaSuccess && st->err == cudaSuccess) st->err = e;
}

void genc_cu_flag_set(genc_cu_state *st, long long v) {
  *st->hflag = v;
  cudaMemcpyAsync(st->dflag, st->hflag, sizeof v, cudaMemcpyHostToDevice, st->stream);
}

long long genc_cu_flag_get(genc_cu_state *st) {
  genc_cu_check(st);
  cudaMemcpyAsync(st->hflag, st->dflag, sizeof(long long), cudaMemcpyDeviceToHost, st->stream);
  cudaError_t e = cudaStreamSynchronize(st->stream);
  if (e != cudaSuccess && st->err == cudaSuccess) st->err = e;
  return *st->hflag;
}

/* Designated initializers (declaration order) make this a constant: no
 * dynamic initialization, so no C++ runtime is needed at link time. */
static const genc_backend cuda_table = {
    .name = "cuda",
    .device = GENC_CUDA,
    .create = cu_create,
    .destroy = cu_destroy,
    .alloc = genc_cu_alloc,
    .free = genc_cu_free,
    .upload = cu_upload,
    .download = cu_download,
    .copy = cu_copy,
    .fill = genc_cu_fill,
    .cast = genc_cu_cast,
    .unary = genc_cu_unary,
    .binary = genc_cu_binary,
    .where = genc_cu_where,
    .fused3 = genc_cu_fused3,
    .reduce = genc_cu_reduce,
    .scan = genc_cu_scan,
    .searchsorted = genc_cu_searchsorted,
    .strided_copy = genc_cu_strided_copy,
    .gather = genc_cu_gather,
    .scatter_add = genc_cu_scatter_add,
    .matmul = genc_cu_matmul,
    .cholesky = genc_cu_cholesky,
    .trisolve = genc_cu_trisolve,
    .logdet = genc_cu_logdet,
    .inv = genc_cu_inv,
    .sample = genc_cu_sample,
};

extern "C" const genc_backend *genc_backend_cuda_get(void) { return &cuda_table; }
