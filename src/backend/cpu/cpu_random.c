/* CPU sampling kernel: the per-element laws of src/random/laws.h in a loop,
 * the same code the CUDA kernel runs per thread. Normal draws are computed two
 * particles at a time (the Box-Muller pairs of laws.h). */
#include "backend/cpu/cpu.h"
#include "random/laws.h"

void genc_cpu_sample(void *st, const genc_sample_req *req, void *out) {
  (void)st;
  if (req->law == GENC_LAW_GAMMA || req->law == GENC_LAW_LOG_GAMMA) {
    genc_law_gamma_run(req, out); /* genc_law_sample_elem's draws, 4 elements at a time */
    return;
  }
  bool pairs = req->law == GENC_LAW_NORMAL;
  for (int64_t p = 0; p < req->npart; p++) {
    if (pairs && !((p + req->part_offset) & 1) && p + 1 < req->npart) {
      for (int64_t j = 0; j < req->size; j++)
        genc_law_normal_pair_elem(req, p, j, out);
      p++;
      continue;
    }
    for (int64_t j = 0; j < req->size; j++)
      genc_law_sample_elem(req, p, j, out);
  }
}
