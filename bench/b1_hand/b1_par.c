/* B1 by hand on P threads (b1_hand.h): b1_loop's pass per particle, the
 * particles split into P equal parts, each thread with its own generator
 * (seed + thread) and running log-sum-exp, combined at the end. Built -O2
 * like b1_loop. Its parallel efficiency is what the machine gives a plain
 * compute-bound loop: the ceiling the compiled executor's efficiency is
 * compared against (a VM's vCPUs need not be whole cores). */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "b1_hand.h"
#include "b1_rng.h"

/* Cache-line aligned: each thread writes its generator state and running sums
 * once per draw or particle, and parts sharing a line would make every such
 * write a transfer between cores (false sharing), which is not the machine. */
typedef struct part {
  _Alignas(64) b1_state r;
  long n;
  uint64_t seed;
} part;

static void *run_part(void *arg) {
  part *p = arg;
  b1_init(&p->r, p->seed);
  const double lc = b1_lconst(), inv = 1.0 / (2.0 * B1_SIGMA * B1_SIGMA);
  for (long k = 0; k < p->n; k++) {
    double a = b1_normal(&p->r), b = b1_normal(&p->r), c = b1_normal(&p->r), acc = 0.0;
    for (int i = 0; i < B1_NOBS; i++) {
      double e = p->r.y[i] - (a + b * p->r.x[i] + c * p->r.x2[i]);
      acc += e * e;
    }
    b1_lse_add(&p->r, lc - acc * inv);
  }
  return NULL;
}

double b1_loop_par(long n, uint64_t seed, int threads) {
  if (threads < 1) threads = 1;
  part *ps = aligned_alloc(64, (size_t)threads * sizeof *ps);
  pthread_t *th = calloc((size_t)threads, sizeof *th);
  if (!ps || !th) {
    free(ps), free(th);
    return NAN;
  }
  for (int t = 0; t < threads; t++) {
    ps[t].n = n / threads + (t < n % threads);
    ps[t].seed = seed + (uint64_t)t;
    if (pthread_create(&th[t], NULL, run_part, &ps[t])) ps[t].n = -1;
  }
  double m = -INFINITY, sum = 0.0;
  for (int t = 0; t < threads; t++) {
    if (ps[t].n < 0) continue; /* not started: its particles are missing */
    pthread_join(th[t], NULL);
    double mt = ps[t].r.m, st = ps[t].r.sum;
    if (mt > m)
      sum = sum * exp(m - mt) + st, m = mt;
    else
      sum += st * exp(mt - m);
  }
  free(ps), free(th);
  return m + log(sum) - log((double)n);
}
