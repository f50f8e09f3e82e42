/*
 * The CPU executor's thread pool: workers wait for a job (a range of
 * particles and a function), take chunks of it from a shared counter until
 * none is left, and the caller works beside them and waits for the last
 * chunk. Owned by a compiled graph (no global state). Which thread runs a
 * chunk never changes a result: chunks are independent particles.
 *
 * Waiting spins before it sleeps. A replay runs several jobs back to back (its
 * regions, then the particle reductions), and waking sleeping workers through
 * a condition variable cost more than the job at small N: B1 at 1e4 took
 * 0.60 ms on two threads of the development VM against 0.33 ms on one. A
 * worker spins on the job number, and the caller on the count of chunks
 * done: SPIN pauses, then YIELDS yields of the CPU (the thread waited for
 * may share it: with pauses alone, 2048 of them, two threads on the VM's two
 * vCPUs were 0.30 or 0.58 ms a replay from run to run; with the yields
 * 0.27-0.39 ms, against 0.37-0.71 ms before any spinning), then it sleeps on
 * the mutex and condition variable. No wakeup is lost: a sleeper announces itself
 * (sleepers, caller_asleep) before it looks at the state again under the
 * mutex, and the other side looks at the announcement after it changed the
 * state (sequentially consistent atomics) and signals under the mutex.
 *
 * The caller waits for the job's chunks, not for the workers: a small job
 * (B1 at 1e4 is twenty chunks) can be over before sleeping workers are
 * scheduled, and waiting until each of 15 had woken and looked cost more than
 * the job. A late worker must then not touch the job's fields while the caller
 * writes the next one's: a worker enters a job by counting itself in
 * (inside) and only then checking that the job is still open, and the caller
 * closes a finished job before it waits for inside to drop to zero and writes
 * the next; sequentially consistent, one of the two sees the other's write, so
 * either the worker leaves or the caller waits for it (which takes a failing
 * claim: every chunk is taken). That wait comes at the next job, not at the
 * end of this one.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "array/exec_cpu.h"

enum { SPIN = 1 << 9, YIELDS = 32 };

struct genc_xpool {
  int nworkers;
  pthread_t *tid;
  pthread_mutex_t mu;
  pthread_cond_t go, done;
  atomic_ullong gen;         /* job number */
  atomic_int inside;         /* workers entered in a job (open or just closed) */
  atomic_bool closed;        /* the current job is finished: no worker enters it */
  atomic_int sleepers;       /* workers asleep on go, or about to be */
  atomic_bool caller_asleep; /* the caller asleep on done, or about to be */
  atomic_bool quit;
  _Alignas(64) atomic_llong completed; /* chunks of the current job done (own line: */
  _Alignas(64) atomic_llong next;      /* every chunk writes both, the spinners read gen) */
  /* the job (written while no worker is inside and the job is closed) */
  _Alignas(64) int64_t n, chunk, nchunks;
  void (*fn)(void *arg, int64_t a, int64_t b);
  void *arg;
};

/* Spin step s of a wait: a pause, then after SPIN of them a yield of the
 * CPU (the thread waited for may share it); false when it is time to sleep. */
static inline bool spin_step(int s) {
  if (s < SPIN) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
    return true;
  }
  if (s >= SPIN + YIELDS) return false;
  sched_yield();
  return true;
}

/* Take chunks until none is left; the one who completes the last wakes the
 * caller if it sleeps. */
static void work(genc_xpool *p) {
  for (;;) {
    int64_t a = (int64_t)atomic_fetch_add(&p->next, (long long)p->chunk);
    if (a >= p->n) return;
    p->fn(p->arg, a, a + p->chunk < p->n ? a + p->chunk : p->n);
    if (atomic_fetch_add(&p->completed, 1) + 1 == p->nchunks && atomic_load(&p->caller_asleep)) {
      pthread_mutex_lock(&p->mu);
      pthread_cond_signal(&p->done);
      pthread_mutex_unlock(&p->mu);
    }
  }
}

/* The next job number after seen (or quit): spin, then sleep on go. */
static uint64_t wait_job(genc_xpool *p, uint64_t seen) {
  for (int s = 0;; s++) {
    uint64_t g = atomic_load(&p->gen);
    if (g != seen || atomic_load(&p->quit)) return g;
    if (!spin_step(s)) break;
  }
  pthread_mutex_lock(&p->mu);
  atomic_fetch_add(&p->sleepers, 1);
  uint64_t g;
  while ((g = atomic_load(&p->gen)) == seen && !atomic_load(&p->quit))
    pthread_cond_wait(&p->go, &p->mu);
  atomic_fetch_sub(&p->sleepers, 1);
  pthread_mutex_unlock(&p->mu);
  return g;
}

static void *worker(void *arg) {
  genc_xpool *p = arg;
  uint64_t seen = 0;
  for (;;) {
    seen = wait_job(p, seen);
    if (atomic_load(&p->quit)) break;
    atomic_fetch_add(&p->inside, 1);
    if (!atomic_load(&p->closed)) work(p); /* open: its fields stay until we leave */
    atomic_fetch_sub(&p->inside, 1);
  }
  return NULL;
}

genc_xpool *genc__xpool_new(int threads) {
  if (threads < 2) return NULL;
  genc_xpool *p = aligned_alloc(_Alignof(genc_xpool), sizeof *p); /* cache-line members */
  if (p) memset(p, 0, sizeof *p);
  if (!p || !(p->tid = calloc((size_t)threads - 1, sizeof *p->tid))) {
    free(p);
    return NULL;
  }
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->go, NULL);
  pthread_cond_init(&p->done, NULL);
  atomic_init(&p->gen, 0);
  atomic_init(&p->inside, 0);
  atomic_init(&p->closed, true);
  atomic_init(&p->completed, 0);
  atomic_init(&p->sleepers, 0);
  atomic_init(&p->caller_asleep, false);
  atomic_init(&p->quit, false);
  atomic_init(&p->next, 0);
  for (; p->nworkers < threads - 1; p->nworkers++)
    if (pthread_create(&p->tid[p->nworkers], NULL, worker, p)) break;
  return p;
}

/* Bump the job number and wake the workers that sleep. */
static void publish(genc_xpool *p) {
  atomic_fetch_add(&p->gen, 1);
  if (atomic_load(&p->sleepers)) {
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
  }
}

/* Until every chunk is done: spin, then sleep on done. */
static void wait_done(genc_xpool *p) {
  for (int s = 0;; s++) {
    if (atomic_load(&p->completed) == p->nchunks) return;
    if (!spin_step(s)) break;
  }
  pthread_mutex_lock(&p->mu);
  atomic_store(&p->caller_asleep, true);
  while (atomic_load(&p->completed) != p->nchunks)
    pthread_cond_wait(&p->done, &p->mu);
  atomic_store(&p->caller_asleep, false);
  pthread_mutex_unlock(&p->mu);
}

/* Until no worker is inside the closed job (each has taken its failing claim
 * or is about to see closed): a short spin, yielding to a descheduled one. */
static void wait_out(genc_xpool *p) {
  for (int s = 0; atomic_load(&p->inside); s++)
    if (s >= SPIN) sched_yield();
}

void genc__xpool_run(genc_xpool *p, int64_t n, int64_t chunk,
                     void (*fn)(void *arg, int64_t a, int64_t b), void *arg) {
  if (chunk < 1) chunk = 1;
  if (!p || !p->nworkers || n <= chunk) {
    for (int64_t a = 0; a < n; a += chunk)
      fn(arg, a, a + chunk < n ? a + chunk : n);
    return;
  }
  wait_out(p);
  p->n = n, p->chunk = chunk, p->nchunks = (n + chunk - 1) / chunk, p->fn = fn, p->arg = arg;
  atomic_store(&p->next, 0);
  atomic_store(&p->completed, 0);
  atomic_store(&p->closed, false); /* after the fields: a worker entering now runs this job */
  publish(p);
  work(p);
  wait_done(p);
  atomic_store(&p->closed, true);
}

void genc__xpool_free(genc_xpool *p) {
  if (!p) return;
  wait_out(p);
  pthread_mutex_lock(&p->mu);
  atomic_store(&p->quit, true);
  pthread_mutex_unlock(&p->mu);
  publish(p);
  for (int i = 0; i < p->nworkers; i++)
    pthread_join(p->tid[i], NULL);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->go);
  pthread_cond_destroy(&p->done);
  free(p->tid);
  free(p);
}
