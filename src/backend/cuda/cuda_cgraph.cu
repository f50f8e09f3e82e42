/*
 * CUDA Graphs over the context's stream (cuda_rtc.h). While a graph records,
 * genc_cu_free parks freed blocks in st->held instead of the allocator's cache:
 * a block freed during the recorded run (an intermediate released after its
 * last use, a kernel's scratch) is written again by every launch of the graph,
 * so nothing else may receive it while the graph lives. The graph takes the
 * parked blocks and gives them back when it is freed.
 */
#include <stdio.h>
#include <stdlib.h>

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
