/* The CPU backend: memory (a size-class cache, so scopes do not hit malloc per
 * temporary) and the kernel table.
 *
 * Memory. A request is rounded up to a size class: powers of two from 64 B below SLAB_MIN
 * (64 KiB), four classes an octave from there (next_size). Every block is 64-byte aligned.
 * Freed blocks wait on their class's list (threaded through the blocks, LIFO) while the cache
 * holds at most `budget` bytes, so a scope's temporaries and a repeated run's arrays are reused
 * without reaching malloc or the kernel. Where blocks come from:
 *  - classes below SLAB_MIN: aligned_alloc / free (glibc's heap, which recycles its pages);
 *  - classes from SLAB_MIN to under 2 MiB: carved by a bump pointer from 32 MiB slabs, each
 *    mapped 2 MiB-aligned with MADV_HUGEPAGE and holding blocks of one class only;
 *  - classes of 2 MiB and more: one mapping per block, 2 MiB-aligned, MADV_HUGEPAGE.
 * Why: the first touch of fresh memory faults once per 4 KiB page, 12-20 us each on the
 * development VM (the first `bench_smc 1e5 0 1` took 123,000 faults and 2 s against 0.2 s for
 * later runs: the batched Unfold trace keeps every step's arrays, so each step needs fresh
 * blocks); a transparent huge page faults once per 2 MiB. Without THP (or off Linux) the advice
 * is a no-op and the blocks work with small pages.
 * A slab is released only whole, so slabs stay mapped until the context is destroyed: a slab
 * block freed over budget gives its pages back to the OS (MADV_DONTNEED) and waits, holding no
 * memory, on its class's cold list for reuse. A context so keeps the address space of its peak
 * use of those classes, not the memory. Bigger blocks freed over budget are unmapped.
 * Costs: a block's rounding tail is resident once its huge page is touched (under 25% of the
 * request: the reason for four classes an octave there), and so is the touched huge page of each
 * class's newest slab (under 2 MiB per class); only whole slabs' address space is reserved.
 * Budget: a quarter of physical memory, at least 2 GiB. The cache of a context never exceeds its
 * peak use, and what it saves is a fault per page on every reuse: N = 1e6 SMC on B2 keeps 4-5 GB
 * of step arrays alive, so a fixed 2 GiB made every run fault on half of them again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backend/cpu/cpu.h"

#define NCLASS 127 /* classes up to 2^45 bytes are cached */
#define HUGE_PAGE ((size_t)2 << 20)
#define SLAB_MIN ((size_t)64 << 10)
#define SLAB_BYTES ((size_t)32 << 20)
#define MIN_BUDGET ((size_t)2 << 30)

typedef struct block {
  struct block *next;
} block;

typedef struct cpu_state {
  block *cache[NCLASS];                  /* freed blocks holding memory */
  block *cold[NCLASS];                   /* slab blocks whose pages went back to the OS */
  char *bump[NCLASS], *bump_end[NCLASS]; /* unused blocks of the class's newest slab */
  void **slabs;                          /* every slab, unmapped at destroy */
  size_t nslab, capslab;
  size_t cached_bytes, budget;
} cpu_state;

/* Requests above this are refused: rounding them up to a power of two would
 * overflow (the array layer never asks for more than GENC_MAX_ALLOC_BYTES). */
#define MAX_REQUEST ((size_t)1 << 62)

/* The size of the class after the one of size s: powers of two from 64 B up to SLAB_MIN, then
 * four classes an octave (x 5/4, 6/4, 7/4, 2), so the rounding tail of a request, resident once
 * its huge page is touched, is under a quarter of it. */
static size_t next_size(size_t s) {
  if (s < SLAB_MIN) return 2 * s;
  return s + ((size_t)1 << (63 - __builtin_clzll((unsigned long long)s))) / 4;
}

static int size_class(size_t bytes, size_t *rounded) {
  size_t s = 64;
  int c = 0;
  while (s < bytes) {
    s = next_size(s);
    c++;
  }
  *rounded = s;
  return c;
}

static size_t class_size(int c) {
  size_t s = 64;
  while (c-- > 0)
    s = next_size(s);
  return s;
}

static size_t default_budget(void) {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return MIN_BUDGET;
  size_t quarter = (size_t)pages / 4 * (size_t)page;
  return quarter > MIN_BUDGET ? quarter : MIN_BUDGET;
}

void genc__cpu_set_cache_budget(void *stp, size_t bytes) { ((cpu_state *)stp)->budget = bytes; }

/* A fresh mapping of `bytes` (a multiple of 32 KiB) at a HUGE_PAGE boundary: map a huge page
 * more and trim both ends. */
static void *map_aligned(size_t bytes) {
  size_t span = bytes + HUGE_PAGE;
  char *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  char *a = (char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
  if (a > p) munmap(p, (size_t)(a - p));
  if (p + span > a + bytes) munmap(a + bytes, (size_t)(p + span - (a + bytes)));
#ifdef MADV_HUGEPAGE
  (void)madvise(a, bytes, MADV_HUGEPAGE); /* advice only: small pages work too */
#endif
  return a;
}

/* The next block of class c (size r < HUGE_PAGE) from its newest slab, mapping a new one when
 * that is used up (its tail, under r, stays unused). */
static void *slab_block(cpu_state *st, int c, size_t r) {
  if ((size_t)(st->bump_end[c] - st->bump[c]) < r) {
    if (st->nslab == st->capslab) {
      size_t cap = st->capslab ? 2 * st->capslab : 64;
      void **s = realloc(st->slabs, cap * sizeof *s);
      if (!s) return NULL;
      st->slabs = s, st->capslab = cap;
    }
    char *s = map_aligned(SLAB_BYTES);
    if (!s) return NULL;
    st->slabs[st->nslab++] = s;
    st->bump[c] = s, st->bump_end[c] = s + SLAB_BYTES;
  }
  void *b = st->bump[c];
  st->bump[c] += r;
  return b;
}

static void *cpu_create(int device_index, char *err, size_t errcap) {
  (void)device_index, (void)err, (void)errcap;
  cpu_state *st = calloc(1, sizeof(cpu_state));
  if (st) st->budget = default_budget();
  genc_cpu_blas_serial();
  return st;
}

static void cpu_destroy(void *stp) {
  cpu_state *st = stp;
  for (int c = 0; c < NCLASS; c++) {
    size_t r = class_size(c);
    if (r >= SLAB_MIN && r < HUGE_PAGE) continue; /* inside the slabs */
    for (block *b = st->cache[c]; b;) {
      block *nx = b->next;
      if (r < SLAB_MIN)
        free(b);
      else
        munmap(b, r);
      b = nx;
    }
  }
  for (size_t i = 0; i < st->nslab; i++)
    munmap(st->slabs[i], SLAB_BYTES);
  free(st->slabs);
  free(st);
}

static void *pop(block **list) {
  block *b = *list;
  *list = b->next;
  return b;
}

static void *cpu_alloc(void *stp, size_t bytes) {
  cpu_state *st = stp;
  size_t r;
  if (bytes > MAX_REQUEST) return NULL;
  int c = size_class(bytes, &r);
  if (c < NCLASS && st->cache[c]) {
    st->cached_bytes -= r;
    return pop(&st->cache[c]);
  }
  if (r < SLAB_MIN) return aligned_alloc(64, r);
  if (r >= HUGE_PAGE) return map_aligned(r);
  return st->cold[c] ? pop(&st->cold[c]) : slab_block(st, c, r);
}

static void push(block **list, void *p) {
  block *b = p;
  b->next = *list;
  *list = b;
}

static void cpu_free(void *stp, void *p, size_t bytes) {
  cpu_state *st = stp;
  size_t r;
  if (!p) return;
  int c = size_class(bytes, &r);
  if (c < NCLASS && st->cached_bytes <= st->budget && r <= st->budget - st->cached_bytes) {
    push(&st->cache[c], p);
    st->cached_bytes += r;
  } else if (r < SLAB_MIN) {
    free(p);
  } else if (r >= HUGE_PAGE) {
    munmap(p, r);
  } else {
    (void)madvise(p, r, MADV_DONTNEED); /* its pages read as zero again: only the link faults */
    push(&st->cold[c], p);
  }
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
