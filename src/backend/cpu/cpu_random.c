/* CPU sampling kernels. PLACEHOLDER: filled in by the random work. */
#include "backend/cpu/cpu.h"

void genc_cpu_sample(void *st, const genc_sample_req *req, void *out) {
  (void)st, (void)req, (void)out;
}
