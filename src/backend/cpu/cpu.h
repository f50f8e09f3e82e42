/* Internal declarations of the CPU backend's kernel files. */
#ifndef GENC_CPU_H
#define GENC_CPU_H

#include "backend/backend.h"

/* Step the broadcasting loops to the next row of a collapsed iteration space
 * (rows are the innermost dimension): idx counts the outer dimensions, off[j]
 * is operand j's element offset, for k operands. */
static inline void genc_cpu_next_row(const genc_bcast *g, int64_t *idx, int64_t *off, int k) {
  for (int d = g->ndim - 2; d >= 0; d--) {
    for (int j = 0; j < k; j++)
      off[j] += g->stride[j][d];
    if (++idx[d] < g->shape[d]) return;
    for (int j = 0; j < k; j++)
      off[j] -= g->stride[j][d] * g->shape[d];
    idx[d] = 0;
  }
}

/* i32 arithmetic wraps (two's complement, as NumPy and JAX): computed in
 * unsigned, where overflow is defined, then converted back (GCC defines that
 * conversion as modulo 2^32). */
#define GENC_WRAP32(a, OP, b) ((int32_t)((uint32_t)(a)OP(uint32_t)(b)))

void genc_cpu_fill(void *st, genc_dtype dt, void *dst, int64_t n, double v);
void genc_cpu_cast(void *st, genc_dtype from, const void *x, genc_dtype to, void *y, int64_t n);
void genc_cpu_unary(void *st, genc_unary_op op, genc_dtype dt, const void *x, void *y, int64_t n);
void genc_cpu_binary(void *st, genc_binary_op op, genc_dtype dt, const void *a, const void *b,
                     void *out, const genc_bcast *g);
void genc_cpu_where(void *st, genc_dtype dt, const void *cond, const void *a, const void *b,
                    void *out, const genc_bcast *g);
void genc_cpu_fused3(void *st, genc_fused_op op, genc_dtype dt, const void *a, const void *b,
                     const void *c, void *out, const genc_bcast *g);
void genc_cpu_reduce(void *st, genc_reduce_op op, genc_dtype dt, const void *x, void *out,
                     int64_t outer, int64_t len, int64_t inner);
void genc_cpu_scan(void *st, genc_reduce_op op, genc_dtype dt, const void *x, void *out,
                   int64_t outer, int64_t len, int64_t inner);
void genc_cpu_searchsorted(void *st, genc_dtype dt, const void *sorted, int64_t srow, int64_t len,
                           const void *v, int64_t vrow, void *out, int64_t outer, int64_t m,
                           bool right);
void genc_cpu_strided_copy(void *st, size_t esize, const void *x, void *out, int ndim,
                           const int64_t *shape, const int64_t *xstride);
int64_t genc_cpu_gather(void *st, size_t esize, const void *x, const int32_t *idx, void *out,
                        int64_t outer, int64_t xlen, int64_t inner, int64_t nidx, int64_t iouter);
int64_t genc_cpu_scatter_add(void *st, genc_dtype dt, void *out, const int32_t *idx,
                             const void *upd, int64_t outer, int64_t xlen, int64_t inner,
                             int64_t nidx, int64_t iouter);
void genc_cpu_matmul(void *st, genc_dtype dt, int64_t batch, int64_t m, int64_t n, int64_t k,
                     const void *a, int64_t sa, bool ta, const void *b, int64_t sb, bool tb,
                     void *c);
int64_t genc_cpu_cholesky(void *st, genc_dtype dt, int64_t batch, int64_t n, void *out);
int64_t genc_cpu_trisolve(void *st, genc_dtype dt, int64_t batch, int64_t n, int64_t m,
                          const void *l, int64_t sl, void *out, bool lower, bool trans);
int64_t genc_cpu_logdet(void *st, genc_dtype dt, int64_t batch, int64_t n, void *a, void *out);
int64_t genc_cpu_inv(void *st, genc_dtype dt, int64_t batch, int64_t n, void *a);
void genc_cpu_sample(void *st, const genc_sample_req *req, void *out);

/* Cap the bytes of freed blocks the CPU backend state `st` keeps for reuse (default: a quarter
 * of physical memory, at least 2 GiB; cpu_backend.c says why). For tests of the over-budget
 * paths; blocks already cached stay until reused. */
void genc__cpu_set_cache_budget(void *st, size_t bytes);

/* Run OpenBLAS on the calling thread (once per process, at the first CPU
 * context; not when OPENBLAS_NUM_THREADS or OMP_NUM_THREADS is set): genc
 * parallelizes over particles itself, and its products are small (a
 * model's X w per particle), where OpenBLAS's threads doubled the CPU time
 * of B4's gradients for no gain in wall time. */
void genc_cpu_blas_serial(void);

/* Philox4x32-10 blocks of the counters {c0[u], c1[u], c2, c3} under key, u < n,
 * written word-major: word k of block u at out[k * n + u]. */
void genc_cpu_philox(const uint32_t key[2], int64_t n, const uint32_t *c0, const uint32_t *c1,
                     uint32_t c2, uint32_t c3, uint32_t *out);
/* Both Box-Muller normals of each of n units from their first Philox blocks
 * (word k of unit u at w[k * n + u]) in SIMD lanes, bit for bit
 * genc_law_bm_words (cpu_random.c; genc_graph_loop's draws use it too). */
void genc_cpu_normal_pairs(int n, const uint32_t *restrict w, double *restrict c,
                           double *restrict s);
/* Exponential (gumbel: Gumbel) draws of n units from their first blocks, in
 * SIMD lanes, bit for bit genc_law_exp_words (genc_law_gumbel_of_exp). */
void genc_cpu_exp_draws(int n, const uint32_t *restrict w, bool gumbel, double *restrict v);

#endif
