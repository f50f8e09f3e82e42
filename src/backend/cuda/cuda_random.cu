/*
 * CUDA sampling: one thread per element, each calling genc_law_sample_elem()
 * from src/random/laws.h, the exact code the CPU loop runs. Every element owns
 * its Philox counter, so the draws match the CPU's bit for bit wherever the
 * law uses only exactly rounded arithmetic: uniform, bits, normal,
 * exponential and gumbel (whose log and sincos are laws.h's polynomials, each
 * product and sum rounded on its own, __dmul_rn/__dadd_rn), and every integer
 * law whose accept/reject tests do not sit within an ulp of a threshold; the
 * gamma law to the last ulp of CUDA's exp (alpha < 1), and the integer laws'
 * log-based tests to the last ulp of CUDA's log.
 */
#include "backend/cuda/cuda_internal.cuh"
#include "random/laws.h"

__global__ void k_sample(genc_sample_req q, void *out) {
  GENC_CU_LOOP(e, q.npart * q.size) {
    int64_t p = e / q.size, j = e - p * q.size;
    genc_law_sample_elem(&q, p, j, out);
  }
}

void genc_cu_sample(void *stp, const genc_sample_req *req, void *out) {
  genc_cu_state *st = genc_cu_enter(stp);
  int64_t n = req->npart * req->size;
  if (n <= 0) return;
  k_sample<<<genc_cu_blocks(st, n), GENC_CU_THREADS, 0, st->stream>>>(*req, out);
  genc_cu_check(st);
}
