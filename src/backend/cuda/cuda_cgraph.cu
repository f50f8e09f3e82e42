/*
 * CUDA Graphs over the context's stream (cuda_rtc.h). While a graph records,
 * genc_cu_free parks freed blocks in st->held instead of the allocator's cache:
 * a block freed during the recorded run (an intermediate released after its
 * last use, a kernel's scratch) is written again by every launch of the graph,
 * so nothing else may receive it while the graph lives. The graph takes the
 * parked blocks and gives them back when it is freed.
 *
 * Guards on the device: a recorded replay ends with genc_cu_guards_launch, one
 * thread comparing every guard value with its captured value and writing the
 * count that differ (after copies of the replay's small outputs, the echoes)
 * into pinned host memory; the replay then waits for that word (spinning on
 * it, the stream queried between looks, so a failed launch cannot hang it),
 * instead of one device-to-host copy and stream wait a guard.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cuda/cuda_internal.cuh"
#include "backend/cuda/cuda_rtc.h"

struct genc_cu_graph {
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  genc_cu_block *held;
  int64_t nheld;
};

/* genc_cu_free's path while recording; false when the block cannot be parked
 * (out of memory): the caller then frees it for good (cudaFree waits for the
 * device and, while capturing, invalidates the capture: the graph then fails
 * cleanly at its end). */
bool genc_cu_hold(genc_cu_state *st, void *p, size_t bytes) {
  if (st->nheld == st->capheld) {
    int64_t cap = st->capheld ? 2 * st->capheld : 64;
    genc_cu_block *h = (genc_cu_block *)realloc(st->held, (size_t)cap * sizeof *h);
    if (!h) return false;
    st->held = h, st->capheld = cap;
  }
  st->held[st->nheld].p = p;
  st->held[st->nheld].bytes = bytes;
  st->nheld++;
  return true;
}

/* Give parked blocks back to the allocator. */
static void unhold(genc_cu_state *st, genc_cu_block *b, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    genc_cu_free(st, b[i].p, b[i].bytes);
}

extern "C" int genc_cu_graph_begin(void *bst, char *err, size_t errcap) {
  genc_cu_state *st = genc_cu_enter(bst);
  if (st->hold) {
    snprintf(err, errcap, "a CUDA graph is already recording on this context");
    return -1;
  }
  cudaError_t e = cudaStreamBeginCapture(st->stream, cudaStreamCaptureModeRelaxed);
  if (e != cudaSuccess) {
    cudaGetLastError();
    snprintf(err, errcap, "cudaStreamBeginCapture: %s", cudaGetErrorString(e));
    return -1;
  }
  st->hold = true;
  st->nheld = 0;
  return 0;
}

extern "C" genc_cu_graph *genc_cu_graph_end(void *bst, char *err, size_t errcap) {
  genc_cu_state *st = genc_cu_enter(bst);
  cudaGraph_t graph = NULL;
  cudaError_t e = cudaStreamEndCapture(st->stream, &graph);
  st->hold = false;
  genc_cu_graph *g = (genc_cu_graph *)calloc(1, sizeof *g);
  if (e == cudaSuccess && g) e = cudaGraphInstantiate(&g->exec, graph, 0);
  if (e != cudaSuccess || !g) {
    cudaGetLastError(); /* a failed capture is not the context's error */
    snprintf(err, errcap, "CUDA graph capture failed: %s",
             g ? cudaGetErrorString(e) : "out of memory");
    if (graph) cudaGraphDestroy(graph);
    free(g);
    /* nothing recorded ran: the parked blocks hold no pending work */
    genc_cu_block *h = st->held;
    int64_t n = st->nheld;
    st->held = NULL, st->nheld = st->capheld = 0;
    unhold(st, h, n);
    free(h);
    return NULL;
  }
  g->graph = graph;
  g->held = st->held, g->nheld = st->nheld;
  st->held = NULL, st->nheld = st->capheld = 0;
  return g;
}

extern "C" int genc_cu_graph_launch(void *bst, genc_cu_graph *g, char *err, size_t errcap) {
  genc_cu_state *st = genc_cu_enter(bst);
  cudaError_t e = cudaGraphLaunch(g->exec, st->stream);
  if (e != cudaSuccess) {
    if (st->err == cudaSuccess) st->err = e;
    snprintf(err, errcap, "cudaGraphLaunch: %s", cudaGetErrorString(e));
    return -1;
  }
  return 0;
}

extern "C" void genc_cu_graph_free(void *bst, genc_cu_graph *g) {
  if (!g) return;
  genc_cu_state *st = genc_cu_enter(bst);
  /* launched work may still read or write the held blocks: they go back to
   * the allocator after it, in stream order, which is all reuse needs */
  cudaGraphExecDestroy(g->exec);
  cudaGraphDestroy(g->graph);
  unhold(st, g->held, g->nheld);
  free(g->held);
  free(g);
}

/* ---- guards checked on the device ---- */

#define GUARDS_PER_LAUNCH 64

/* One launch's guards and echoes, by value (kernel parameters: ~1.3 KB,
 * under 4 KB). */
typedef struct guard_args {
  const void *p[GUARDS_PER_LAUNCH];
  double seen[GUARDS_PER_LAUNCH];
  unsigned char dt[GUARDS_PER_LAUNCH];
  int n;
  const void *e[GENC_CU_GUARD_ECHOES];
  unsigned char eb[GENC_CU_GUARD_ECHOES];
  int ne;
  unsigned long long *echo; /* where echo i goes (device view of pinned memory) */
} guard_args;

struct genc_cu_guards {
  int n, nlaunch, necho;
  long long *word;  /* nlaunch words, then necho echo slots: pinned and mapped */
  long long *dword; /* the same memory as the device sees it */
};

/* Element 0 of a guard value as genc_array_item reads it (create.c). */
__device__ static double guard_value(const void *p, unsigned char dt) {
  switch (dt) {
  case GENC_F64: return *(const double *)p;
  case GENC_F32: return *(const float *)p;
  case GENC_I32: return *(const int32_t *)p;
  default: return *(const unsigned char *)p;
  }
}

__global__ static void k_guards(guard_args a, long long *word) {
  long long changed = 0;
  for (int i = 0; i < a.n; i++) {
    double v = guard_value(a.p[i], a.dt[i]), s = a.seen[i];
    changed += !(v == s || (isnan(v) && isnan(s)));
  }
  for (int i = 0; i < a.ne; i++) {
    unsigned long long w = 0;
    memcpy(&w, a.e[i], a.eb[i]);
    a.echo[i] = w;
  }
  __threadfence_system(); /* the echoes reach the host before the word says done */
  *word = changed;
}

extern "C" genc_cu_guards *genc_cu_guards_new(void *bst, int n, int necho, char *err,
                                              size_t errcap) {
  genc_cu_enter(bst);
  if (necho < 0 || necho > GENC_CU_GUARD_ECHOES) {
    snprintf(err, errcap, "%d echoes (at most %d)", necho, GENC_CU_GUARD_ECHOES);
    return NULL;
  }
  genc_cu_guards *g = (genc_cu_guards *)calloc(1, sizeof *g);
  if (!g) {
    snprintf(err, errcap, "out of memory");
    return NULL;
  }
  g->n = n, g->nlaunch = (n + GUARDS_PER_LAUNCH - 1) / GUARDS_PER_LAUNCH, g->necho = necho;
  size_t words = (size_t)(g->nlaunch + 1 + necho);
  cudaError_t e = cudaHostAlloc((void **)&g->word, words * sizeof *g->word, cudaHostAllocMapped);
  if (e == cudaSuccess) e = cudaHostGetDevicePointer((void **)&g->dword, g->word, 0);
  if (e != cudaSuccess) {
    cudaGetLastError();
    snprintf(err, errcap, "cudaHostAlloc (mapped): %s", cudaGetErrorString(e));
    if (g->word) cudaFreeHost(g->word);
    free(g);
    return NULL;
  }
  for (int i = 0; i <= g->nlaunch; i++)
    g->word[i] = -1; /* nothing checked yet */
  return g;
}

extern "C" int genc_cu_guards_launch(void *bst, genc_cu_guards *g, void *const *ptrs,
                                     const unsigned char *dtypes, const double *seen,
                                     const void *const *echo, const unsigned char *ebytes,
                                     char *err, size_t errcap) {
  genc_cu_state *st = genc_cu_enter(bst);
  for (int l = 0; l < g->nlaunch; l++) {
    guard_args a;
    memset(&a, 0, sizeof a);
    int q0 = l * GUARDS_PER_LAUNCH;
    a.n = g->n - q0 < GUARDS_PER_LAUNCH ? g->n - q0 : GUARDS_PER_LAUNCH;
    for (int i = 0; i < a.n; i++)
      a.p[i] = ptrs[q0 + i], a.seen[i] = seen[q0 + i], a.dt[i] = dtypes[q0 + i];
    if (l == 0) { /* the first launch carries the echoes */
      a.ne = g->necho;
      a.echo = (unsigned long long *)(g->dword + g->nlaunch + 1);
      for (int i = 0; i < g->necho; i++)
        a.e[i] = echo[i], a.eb[i] = ebytes[i] <= 8 ? ebytes[i] : 8;
    }
    k_guards<<<1, 1, 0, st->stream>>>(a, g->dword + l);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) {
      snprintf(err, errcap, "guard check launch: %s", cudaGetErrorString(e));
      return -1;
    }
  }
  return 0;
}

extern "C" const void *genc_cu_guards_echo(const genc_cu_guards *g, int i) {
  return g->word + g->nlaunch + 1 + i;
}

extern "C" void genc_cu_guards_arm(genc_cu_guards *g) {
  for (int l = 0; l < g->nlaunch; l++)
    ((volatile long long *)g->word)[l] = -1;
}

/* Every word written since genc_cu_guards_arm. */
static bool words_ready(const genc_cu_guards *g) {
  for (int l = 0; l < g->nlaunch; l++)
    if (((volatile const long long *)g->word)[l] < 0) return false;
  return true;
}

extern "C" int genc_cu_guards_wait(void *bst, genc_cu_guards *g, long long *changed) {
  genc_cu_state *st = genc_cu_enter(bst);
  *changed = 0;
  for (int spins = 0; !words_ready(g); spins++) {
    if (spins % 64) continue; /* look at the word often, ask the driver now and then */
    cudaError_t e = cudaStreamQuery(st->stream);
    if (e == cudaErrorNotReady) continue;
    if (e != cudaSuccess && st->err == cudaSuccess) st->err = e;
    if (e != cudaSuccess || !words_ready(g)) { /* the check never ran */
      if (st->err == cudaSuccess) st->err = cudaErrorLaunchFailure;
      return -1;
    }
    break;
  }
  for (int l = 0; l < g->nlaunch; l++)
    *changed += g->word[l];
  return st->err != cudaSuccess ? -1 : 0;
}

extern "C" void *genc_cu_host_alloc(void *bst, size_t bytes) {
  genc_cu_enter(bst);
  void *p = NULL;
  if (cudaHostAlloc(&p, bytes, cudaHostAllocDefault) != cudaSuccess) {
    cudaGetLastError();
    return NULL;
  }
  return p;
}

extern "C" void genc_cu_host_free(void *bst, void *p) {
  if (!p) return;
  genc_cu_state *st = genc_cu_enter(bst);
  cudaStreamSynchronize(st->stream); /* a copy from it may be pending */
  cudaFreeHost(p);
}

extern "C" int genc_cu_upload_async(void *bst, void *dst, const void *pinned, size_t bytes) {
  genc_cu_state *st = genc_cu_enter(bst);
  return cudaMemcpyAsync(dst, pinned, bytes, cudaMemcpyHostToDevice, st->stream) == cudaSuccess
             ? 0
             : (cudaGetLastError(), -1);
}

extern "C" void genc_cu_guards_free(void *bst, genc_cu_guards *g) {
  if (!g) return;
  genc_cu_state *st = genc_cu_enter(bst);
  /* a launched graph may still write the words: wait before freeing them */
  cudaStreamSynchronize(st->stream);
  cudaFreeHost(g->word);
  free(g);
}
