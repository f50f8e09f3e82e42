/* CPU linear algebra. PLACEHOLDER: filled in by the linear-algebra work. */
#include "backend/cpu/cpu.h"

void genc_cpu_matmul(void *st, genc_dtype dt, int64_t batch, int64_t m, int64_t n, int64_t k,
                     const void *a, int64_t sa, bool ta, const void *b, int64_t sb, bool tb,
                     void *c) {
  (void)st, (void)dt, (void)batch, (void)m, (void)n, (void)k, (void)a, (void)sa, (void)ta;
  (void)b, (void)sb, (void)tb, (void)c;
}
int64_t genc_cpu_cholesky(void *st, genc_dtype dt, int64_t batch, int64_t n, void *out) {
  (void)st, (void)dt, (void)batch, (void)n, (void)out;
  return 0;
}
void genc_cpu_trisolve(void *st, genc_dtype dt, int64_t batch, int64_t n, int64_t m,
                       const void *l, int64_t sl, void *out, bool lower, bool trans) {
  (void)st, (void)dt, (void)batch, (void)n, (void)m, (void)l, (void)sl, (void)out, (void)lower;
  (void)trans;
}
int64_t genc_cpu_logdet(void *st, genc_dtype dt, int64_t batch, int64_t n, void *a, void *out) {
  (void)st, (void)dt, (void)batch, (void)n, (void)a, (void)out;
  return 0;
}
int64_t genc_cpu_inv(void *st, genc_dtype dt, int64_t batch, int64_t n, void *a) {
  (void)st, (void)dt, (void)batch, (void)n, (void)a;
  return 0;
}
