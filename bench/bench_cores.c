/*
 * What the machine's online CPUs give parallel code, the ceiling for the
 * all-core columns of bench_compiled: each of P threads runs the same loop,
 * P = 1, 2, 4, ... up to every online CPU, and the efficiency is the one-thread
 * time over the P-thread wall time (1.0: P CPUs did P times the work).
 *  - latency: one dependent chain of scalar multiply-adds through a volatile
 *    (store-to-load latency per step): scales wherever each thread has a
 *    hardware thread, hyperthreads of one core included;
 * *  - vector: ten independent chains of 8-lane double multiply-adds in registers (the
 *    floating-point units' throughput, as in a compiled B1 row loop): scales
 *    only over cores with their own vector units.
 * On the Xeon host of the H200 device machine (16 vCPUs, lscpu: one thread
 * per core) these loops, in a throwaway program before this one, kept 94% at
 * 16 threads (latency) and fell to 53% (vector): 8 cores' vector units behind
 * 16 vCPUs (bench/README.md).
 * Usage: bench_cores [max threads, default: every online CPU]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "benchutil.h"

typedef double v8 __attribute__((vector_size(64)));

static volatile double sink[1024];

static void *latency(void *arg) {
  volatile double x = 1.0;
  for (long i = 0; i < 50000000; i++)
    x = x * 1.0000001 + 1e-9;
  sink[(long)arg % 1024] = x;
  return NULL;
}

static void *vector(void *arg) {
  v8 m, c;
  for (int l = 0; l < 8; l++)
    m[l] = 0.9999999, c[l] = 1e-7;
  v8 x0 = m, x1 = m + c, x2 = x1 + c, x3 = x2 + c, x4 = x3 + c, x5 = x4 + c, x6 = x5 + c,
     x7 = x6 + c, x8 = x7 + c, x9 = x8 + c;
  for (long i = 0; i < 50000000; i++) {
    x0 = x0 * m + c, x1 = x1 * m + c, x2 = x2 * m + c, x3 = x3 * m + c, x4 = x4 * m + c;
    x5 = x5 * m + c, x6 = x6 * m + c, x7 = x7 * m + c, x8 = x8 * m + c, x9 = x9 * m + c;
  }
  v8 s = x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9;
  sink[(long)arg % 1024] = s[0];
  return NULL;
}

/* Wall time of p threads each running fn once. */
static double run(void *(*fn)(void *), int p) {
  pthread_t *t = malloc((size_t)p * sizeof *t);
  if (!t) return -1;
  double t0 = bench_now();
  int started = 0;
  for (; started < p; started++)
    if (pthread_create(&t[started], NULL, fn, (void *)(long)started)) break;
  for (int i = 0; i < started; i++)
    pthread_join(t[i], NULL);
  double dt = bench_now() - t0;
  free(t);
  return started == p ? dt : -1;
}

int main(int argc, char **argv) {
  int cpus = (int)sysconf(_SC_NPROCESSORS_ONLN), top = argc > 1 ? atoi(argv[1]) : cpus;
  if (top < 1) top = 1;
  printf("%d online CPUs; each thread the same loop; efficiency = t(1) / t(P)\n", cpus);
  printf("%8s %12s %8s %12s %8s\n", "threads", "latency s", "eff", "vector s", "eff");
  double l1 = run(latency, 1), v1 = run(vector, 1);
  for (int p = 1; p <= top; p = p < top && 2 * p > top ? top : 2 * p) {
    double l = p == 1 ? l1 : run(latency, p), v = p == 1 ? v1 : run(vector, p);
    if (l < 0 || v < 0) {
      fprintf(stderr, "could not start %d threads\n", p);
      return 1;
    }
    printf("%8d %12.3f %7.0f%% %12.3f %7.0f%%\n", p, l, 100 * l1 / l, v, 100 * v1 / v);
    if (p == top) break;
  }
  return 0;
}
