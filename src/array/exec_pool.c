/*
 * The CPU executor's thread pool: workers wait for a job (a range of
 * particles and a function), take chunks of it from a shared counter until
 * none is left, and the caller works beside them and waits for the last.
 * Owned by a compiled graph (no global state). Which thread runs a chunk
 * never changes a result: chunks are independent particles.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "array/exec_cpu.h"

struct genc_xpool {
  int nworkers;
  pthread_t *tid;
  pthread_mutex_t mu;
  pthread_cond_t go, done;
  uint64_t gen; /* job number; workers run each once */
  int busy;     /* workers still inside the current job */
  bool quit;
  /* the job */
  int64_t n, chunk;
  atomic_llong next;
  void (*fn)(void *arg, int64_t a, int64_t b);
  void *arg;
};

static void work(genc_xpool *p) {
  for (;;) {
    int64_t a = (int64_t)atomic_fetch_add(&p->next, (long long)p->chunk);
    if (a >= p->n) return;
    p->fn(p->arg, a, a + p->chunk < p->n ? a + p->chunk : p->n);
  }
}

static void *worker(void *arg) {
  genc_xpool *p = arg;
  uint64_t seen = 0;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->quit && p->gen == seen)
      pthread_cond_wait(&p->go, &p->mu);
    if (p->quit) break;
    seen = p->gen;
    pthread_mutex_unlock(&p->mu);
    work(p);
    pthread_mutex_lock(&p->mu);
    if (--p->busy == 0) pthread_cond_signal(&p->done);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

genc_xpool *genc__xpool_new(int threads) {
  if (threads < 2) return NULL;
  genc_xpool *p = calloc(1, sizeof *p);
  if (!p || !(p->tid = calloc((size_t)threads - 1, sizeof *p->tid))) {
    free(p);
    return NULL;
  }
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->go, NULL);
  pthread_cond_init(&p->done, NULL);
  for (; p->nworkers < threads - 1; p->nworkers++)
    if (pthread_create(&p->tid[p->nworkers], NULL, worker, p)) break;
  return p;
}

void genc__xpool_run(genc_xpool *p, int64_t n, int64_t chunk,
                     void (*fn)(void *arg, int64_t a, int64_t b), void *arg) {
  if (chunk < 1) chunk = 1;
  if (!p || !p->nworkers || n <= chunk) {
    for (int64_t a = 0; a < n; a += chunk)
      fn(arg, a, a + chunk < n ? a + chunk : n);
    return;
  }
  pthread_mutex_lock(&p->mu);
  p->n = n, p->chunk = chunk, p->fn = fn, p->arg = arg;
  atomic_store(&p->next, 0);
  p->busy = p->nworkers;
  p->gen++;
  pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->mu);
  work(p);
  pthread_mutex_lock(&p->mu);
  while (p->busy)
    pthread_cond_wait(&p->done, &p->mu);
  pthread_mutex_unlock(&p->mu);
}

void genc__xpool_free(genc_xpool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->quit = true;
  pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->nworkers; i++)
    pthread_join(p->tid[i], NULL);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->go);
  pthread_cond_destroy(&p->done);
  free(p->tid);
  free(p);
}
