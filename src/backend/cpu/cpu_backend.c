/* The CPU backend: memory (a size-class cache, so scopes do not hit malloc per
 * temporary) and the kernel table. */
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/cpu.h"

#define NCLASS 40
/* Freed blocks are kept per size class while the cache holds less than this
 * many bytes: big batched temporaries are reused instead of going back to the
 * kernel (which would cost page faults on every op). */
#define CACHE_BUDGET_BYTES ((size_t)2 << 30)

typedef struct block {
  struct block *next;
} block;

typedef struct cpu_state {
  block *cache[NCLASS];
  size_t cached_bytes;
} cpu_state;

/* Requests above this are refused: rounding them up to a power of two would
 * overflow (the array layer never asks for more than GENC_MAX_ALLOC_BYTES). */
#define MAX_REQUEST ((size_t)1 << 62)

static int size_class(size_t bytes, size_t *rounded) {
  size_t s = 64;
  int c = 0;
  while (s < bytes) {
    s <<= 1;
    c++;
  }
  *rounded = s;
  return c;
}

static void *cpu_create(int device_index, char *err, size_t errcap) {
  (void)device_index, (void)err, (void)errcap;
  return calloc(1, sizeof(cpu_state));
}

static void cpu_destroy(void *stp) {
  cpu_state *st = stp;
  for (int c = 0; c < NCLASS; c++)
    for (block *b = st->cache[c]; b;) {
      block *nx = b->next;
      free(b);
      b = nx;
    }
  free(st);
}

static void *cpu_alloc(void *stp, size_t bytes) {
  cpu_state *st = stp;
  size_t r;
  if (bytes > MAX_REQUEST) return NULL;
  int c = size_class(bytes, &r);
  if (c < NCLASS && st->cache[c]) {
    block *b = st->cache[c];
    st->cache[c] = b->next;
    st->cached_bytes -= r;
    return b;
  }
  return aligned_alloc(64, r);
}

static void cpu_free(void *stp, void *p, size_t bytes) {
  cpu_state *st = stp;
  size_t r;
  if (!p) return;
  int c = size_class(bytes, &r);
  if (c < NCLASS && st->cached_bytes + r <= CACHE_BUDGET_BYTES) {
    block *b = p;
    b->next = st->cache[c];
    st->cache[c] = b;
    st->cached_bytes += r;
    return;
  }
  free(p);
}

static int cpu_upload(void *st, void *dst, const void *host, size_t bytes) {
  (void)st;
  memcpy(dst, host, bytes);
  return 0;
}

static void cpu_copy(void *st, void *dst, const void *src, size_t bytes) {
  (void)st;
  memcpy(dst, src, bytes);
}

const genc_backend genc_backend_cpu = {
    .name = "cpu",
    .device = GENC_CPU,
    .create = cpu_create,
    .destroy = cpu_destroy,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .upload = cpu_upload,
    .download = cpu_upload,
    .copy = cpu_copy,
    .fill = genc_cpu_fill,
    .cast = genc_cpu_cast,
    .unary = genc_cpu_unary,
    .binary = genc_cpu_binary,
    .where = genc_cpu_where,
    .fused3 = genc_cpu_fused3,
    .reduce = genc_cpu_reduce,
    .scan = genc_cpu_scan,
    .searchsorted = genc_cpu_searchsorted,
    .strided_copy = genc_cpu_strided_copy,
    .gather = genc_cpu_gather,
    .scatter_add = genc_cpu_scatter_add,
    .matmul = genc_cpu_matmul,
    .cholesky = genc_cpu_cholesky,
    .trisolve = genc_cpu_trisolve,
    .logdet = genc_cpu_logdet,
    .inv = genc_cpu_inv,
    .sample = genc_cpu_sample,
};

#ifndef GENC_HAVE_CUDA
const genc_backend *genc_backend_cuda_get(void) { return NULL; }
#endif
