/*
 * Particle-axis reductions of a compiled graph on the thread pool: the
 * log-sum-exp of an importance estimate over N particles and the guards'
 * max/min of check values. Run by the interpreter they are one serial pass
 * each (13% of a B1 replay), which bounds 16 threads at 5.4x (Amdahl). Here
 * the particles are cut into fixed blocks of PRED_BLOCK, each block reduced in
 * particle order by whichever thread takes it, and the block results combined
 * in block order: the same bits for any thread count. Max and min equal the
 * eager kernel's exactly (a NaN anywhere gives NaN there too); a sum or a
 * log-sum-exp (max first, exactly, then the sum of exp(x - max)) differs from
 * the eager single pass only in the order of its additions (a few ulps).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "array/exec_cpu.h"

#define PRED_BLOCK 4096

typedef struct pred {
  genc_reduce_op op; /* of this pass: LOGSUMEXP's passes are MAX, then SUM of exp(x - m) */
  bool lse_sum;
  const double *x; /* [n][size] */
  int64_t n, size;
  double *part;    /* [nblocks][size] */
  const double *m; /* lse_sum: the maxima, [size] */
} pred;

static double init_of(genc_reduce_op op) {
  return op == GENC_RMAX ? -INFINITY : op == GENC_RMIN ? INFINITY : 0.0;
}

/* the eager kernels' step (cpu_reduce.c): NaN wins max and min */
static inline double step(genc_reduce_op op, double acc, double v) {
  switch (op) {
  case GENC_RMAX: return (v > acc || v != v) ? v : acc;
  case GENC_RMIN: return (v < acc || v != v) ? v : acc;
  default: return acc + v;
  }
}

static void block_pass(void *arg, int64_t a, int64_t b) {
  const pred *r = arg;
  for (int64_t k = a; k < b; k++) {
    int64_t p1 = (k + 1) * PRED_BLOCK < r->n ? (k + 1) * PRED_BLOCK : r->n;
    double *out = r->part + k * r->size;
    for (int64_t j = 0; j < r->size; j++)
      out[j] = init_of(r->op);
    for (int64_t p = k * PRED_BLOCK; p < p1; p++) {
      const double *row = r->x + p * r->size;
      for (int64_t j = 0; j < r->size; j++)
        out[j] = step(r->op, out[j], r->lse_sum ? exp(row[j] - r->m[j]) : row[j]);
    }
  }
}

/* One pass over the blocks on the pool, combined in block order into y. */
static void run_pass(genc_xpool *pool, pred *r, double *y) {
  int64_t nb = (r->n + PRED_BLOCK - 1) / PRED_BLOCK;
  genc__xpool_run(pool, nb, 1, block_pass, r);
  for (int64_t j = 0; j < r->size; j++) {
    double acc = init_of(r->op);
    for (int64_t k = 0; k < nb; k++)
      acc = step(r->op, acc, r->part[k * r->size + j]);
    y[j] = acc;
  }
}

static bool handled(const genc_gnode *nd, const genc_gmeta *in) {
  genc_reduce_op op = (genc_reduce_op)nd->p.op;
  return !strcmp(nd->prim->name, "reduce") && nd->p.flag2 && in->dtype == GENC_F64 &&
         nd->out.dtype == GENC_F64 && in->n >= 2 * PRED_BLOCK &&
         (op == GENC_RSUM || op == GENC_RMAX || op == GENC_RMIN || op == GENC_RLOGSUMEXP);
}

genc_array *genc__xpreduce(genc_ctx *ctx, genc_xpool *pool, const genc_graph *g, int32_t k,
                           genc_array **vals) {
  const genc_gnode *nd = &g->nodes[k];
  if (!handled(nd, &g->meta[nd->in[0]])) return NULL;
  const genc_array *x = vals[nd->in[0]];
  int64_t nb = (x->n + PRED_BLOCK - 1) / PRED_BLOCK;
  genc_array *y = genc__alloc(ctx, GENC_F64, nd->out.ndim, nd->out.shape, 0);
  double *part = malloc((size_t)(nb * x->size) * sizeof *part);
  double *m = malloc((size_t)x->size * sizeof *m);
  if (!y || !part || !m) {
    free(part), free(m);
    if (y) genc_ctx_fail(ctx, GENC_ERR_NOMEM, "particle_reduce: out of memory");
    return NULL;
  }
  genc_reduce_op op = (genc_reduce_op)nd->p.op;
  pred r = {.op = op == GENC_RLOGSUMEXP ? GENC_RMAX : op,
            .x = x->data,
            .n = x->n,
            .size = x->size,
            .part = part};
  double *out = y->data;
  run_pass(pool, &r, op == GENC_RLOGSUMEXP ? m : out);
  if (op == GENC_RLOGSUMEXP) {
    r.op = GENC_RSUM, r.lse_sum = true, r.m = m;
    run_pass(pool, &r, out);
    for (int64_t j = 0; j < x->size; j++) /* the eager kernel's rule for NaN and infinite maxima */
      out[j] = (m[j] != m[j] || isinf(m[j])) ? m[j] : m[j] + log(out[j]);
  }
  free(part), free(m);
  return genc_array_retain(y);
}
