/* CPU sampling kernel: the per-element laws of src/random/laws.h in a loop,
 * the same code the CUDA kernel runs per thread. */
#include "backend/cpu/cpu.h"
#include "random/laws.h"

void genc_cpu_sample(void *st, const genc_sample_req *req, void *out) {
  (void)st;
  for (int64_t p = 0; p < req->npart; p++)
    for (int64_t j = 0; j < req->size; j++)
      genc_law_sample_elem(req, p, j, out);
}
