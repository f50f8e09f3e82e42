/*
 * Particle-axis reductions of a compiled graph on the thread pool: the
 * log-sum-exp of an importance estimate over N particles and the guards'
 * max/min of check values. Run by the interpreter they are one serial pass
 * each (13% of a B1 replay), which bounds 16 threads at 5.4x (Amdahl). Here
 * the particles are cut into fixed blocks of PRED_BLOCK, each block reduced by
 * whichever thread takes it, and the block results combined in block order:
 * the same bits for any thread count.
 *
 * Max and min equal the eager kernel's bits (cpu_reduce.c), NaN and signed
 * zeros included. Of one number per particle (size 1, the guards) the eager
 * kernel keeps ROWL lanes (particle p in lane p mod ROWL, a tail of fewer than
 * ROWL in lane 0), each folded in order with its rule (NaN wins, the first of
 * equal maxima stays), then folds the lanes in lane order; of rows (size > 1)
 * each column is folded in particle order, and a log-sum-exp's maximum is
 * folded in order whatever the size. Blocks keep the same lanes (PRED_BLOCK is
 * a multiple of ROWL), so folding each lane over the blocks in order gives
 * eager's lanes. Only a NaN or a zero maximum depends on that order (any other
 * value has one bit pattern): a size-1 block is first reduced by a vectorized
 * pass in VL lanes, and only when that gives NaN or zero is the block redone
 * with the exact lanes; otherwise its value stands for every lane, which
 * cannot change the result (see extreme_block).
 *
 * A sum or a log-sum-exp (max first, then the sum of exp(x - max)) differs
 * from the eager single pass only in the order of its additions (a few ulps):
 * within a size-1 block VL lane sums in a fixed order, and glibc's vector exp
 * (vecmath.h, at most 4 ulp from the scalar one) for the exp terms; every
 * thread count runs the same code on the same blocks, so the same bits.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "array/exec_cpu.h"
#include "backend/cpu/vecmath.h"

#define PRED_BLOCK 4096
#define ROWL 4 /* lanes of the eager kernel's contiguous-row max/min (cpu_reduce.c ROW4) */
#define VL 8   /* lanes of the vectorized passes: one AVX-512 register, two AVX2 ones */

typedef struct pred {
  genc_reduce_op op; /* MAX, MIN or SUM: LOGSUMEXP's passes are MAX, then SUM of exp(x - m) */
  bool lse;          /* a pass of a log-sum-exp: its max is sequential, its sum of exp(x - m) */
  const double *x;   /* [n][size] */
  int64_t n, size;
  int64_t w;       /* results per block: size, or ROWL for the lanes of a size-1 max/min */
  double *part;    /* [nblocks][w] */
  const double *m; /* lse SUM: the maxima, [size] */
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

/* ---- one number per particle ---- */

/* Max (min) of x[0, n) in VL lanes with eager's step written as a blend:
 * NaN when one is NaN, else the extreme value (which of equal zeros is not
 * defined: the lanes are not eager's). */
#define VEXTREME(name, CMP, INIT)                                                                  \
  GENC_VEC_CLONES static double name(const double *x, int64_t n) {                                 \
    double a[VL];                                                                                  \
    for (int l = 0; l < VL; l++)                                                                   \
      a[l] = INIT;                                                                                 \
    int64_t p = 0;                                                                                 \
    for (; p + VL <= n; p += VL)                                                                   \
      for (int l = 0; l < VL; l++) {                                                               \
        double v = x[p + l];                                                                       \
        a[l] = ((v CMP a[l]) | (v != v)) ? v : a[l];                                               \
      }                                                                                            \
    double acc = INIT;                                                                             \
    for (int l = 0; l < VL; l++)                                                                   \
      acc = ((a[l] CMP acc) | (a[l] != a[l])) ? a[l] : acc;                                        \
    for (; p < n; p++)                                                                             \
      acc = ((x[p] CMP acc) | (x[p] != x[p])) ? x[p] : acc;                                        \
    return acc;                                                                                    \
  }
VEXTREME(vmax1, >, -INFINITY)
VEXTREME(vmin1, <, INFINITY)

/* Sum of x[0, n) (with m: of exp(x - m)) in VL lanes, added in a fixed order. */
static double lanes_total(const double *a) {
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}
GENC_VEC_CLONES static double vsum1(const double *x, int64_t n) {
  double a[VL] = {0};
  int64_t p = 0;
  for (; p + VL <= n; p += VL)
    for (int l = 0; l < VL; l++)
      a[l] += x[p + l];
  double s = lanes_total(a);
  for (; p < n; p++)
    s += x[p];
  return s;
}
GENC_VEC_CLONES static double vsumexp1(const double *x, int64_t n, double m) {
  double a[VL] = {0}, t[256];
  int64_t full = n - n % VL;
  for (int64_t b = 0; b < full; b += 256) { /* 256 is a multiple of VL: lane p mod VL */
    int len = full - b < 256 ? (int)(full - b) : 256;
    for (int k = 0; k < len; k++)
      t[k] = x[b + k] - m;
    genc_exp_terms(t, len);
    for (int k = 0; k < len; k += VL)
      for (int l = 0; l < VL; l++)
        a[l] += t[k + l];
  }
  double s = lanes_total(a);
  for (int64_t p = full; p < n; p++)
    s += genc_exp_term(x[p] - m);
  return s;
}

/* Eager's exact order for a block of x[0, n): w == ROWL lanes (a tail of
 * fewer than ROWL joins lane 0, as in ROW4), or w == 1 folded in order. */
static void exact_lanes(genc_reduce_op op, const double *x, int64_t n, int64_t w, double *out) {
  for (int64_t l = 0; l < w; l++)
    out[l] = init_of(op);
  int64_t p = 0;
  for (; p + w <= n; p += w)
    for (int64_t l = 0; l < w; l++)
      out[l] = step(op, out[l], x[p + l]);
  for (; p < n; p++)
    out[0] = step(op, out[0], x[p]);
}

/* A size-1 block's max or min into out[0, w). When the fast pass gives a
 * value v that is neither NaN nor zero, v has one bit pattern and no lane of
 * the block holds NaN, so writing v to every lane changes no result: where
 * the overall extreme is v, it comes out v; where it is beyond v, v loses in
 * every lane; where it is NaN or a zero, the blocks holding those are exact
 * and v neither wins against nor displaces them (a NaN acc stays; for max
 * v < 0, so every zero wins over it, for min v > 0). Otherwise the block is redone in eager's order
 * (rare). */
static void extreme_block(const pred *r, const double *x, int64_t n, double *out) {
  double v = r->op == GENC_RMAX ? vmax1(x, n) : vmin1(x, n);
  if (v == v && v != 0) {
    for (int64_t l = 0; l < r->w; l++)
      out[l] = v;
    return;
  }
  exact_lanes(r->op, x, n, r->w, out);
}

/* ---- rows (size > 1): every column folded in particle order ---- */

GENC_VEC_CLONES static void rows_block(const pred *r, const double *x, int64_t n, double *out) {
  int64_t s = r->size;
  for (int64_t j = 0; j < s; j++)
    out[j] = init_of(r->op);
  for (int64_t p = 0; p < n; p++) {
    const double *row = x + p * s;
    switch (r->op) {
    case GENC_RMAX:
      for (int64_t j = 0; j < s; j++)
        out[j] = ((row[j] > out[j]) | (row[j] != row[j])) ? row[j] : out[j];
      break;
    case GENC_RMIN:
      for (int64_t j = 0; j < s; j++)
        out[j] = ((row[j] < out[j]) | (row[j] != row[j])) ? row[j] : out[j];
      break;
    default:
      if (r->lse)
        for (int64_t j = 0; j < s; j++)
          out[j] += genc_exp_term(row[j] - r->m[j]);
      else
        for (int64_t j = 0; j < s; j++)
          out[j] += row[j];
    }
  }
}

static void block_pass(void *arg, int64_t a, int64_t b) {
  const pred *r = arg;
  for (int64_t k = a; k < b; k++) {
    int64_t p0 = k * PRED_BLOCK, n = (p0 + PRED_BLOCK < r->n ? p0 + PRED_BLOCK : r->n) - p0;
    const double *x = r->x + p0 * r->size;
    double *out = r->part + k * r->w;
    if (r->size > 1)
      rows_block(r, x, n, out);
    else if (r->op != GENC_RSUM)
      extreme_block(r, x, n, out);
    else
      out[0] = r->lse ? vsumexp1(x, n, r->m[0]) : vsum1(x, n);
  }
}

/* One pass over the blocks on the pool, every block result column folded in
 * block order, then (ROWL lanes of a size-1 max/min) the lanes in lane order. */
static void run_pass(genc_xpool *pool, pred *r, double *y) {
  int64_t nb = (r->n + PRED_BLOCK - 1) / PRED_BLOCK;
  genc__xpool_run(pool, nb, 1, block_pass, r);
  double lane[ROWL];
  double *col = r->w == r->size ? y : lane;
  for (int64_t j = 0; j < r->w; j++) {
    double acc = init_of(r->op);
    for (int64_t k = 0; k < nb; k++)
      acc = step(r->op, acc, r->part[k * r->w + j]);
    col[j] = acc;
  }
  if (col == lane) {
    y[0] = lane[0];
    for (int l = 1; l < ROWL; l++)
      y[0] = step(r->op, y[0], lane[l]);
  }
}

static bool handled(const genc_gnode *nd, const genc_gmeta *in) {
  genc_reduce_op op = (genc_reduce_op)nd->p.op;
  return !strcmp(nd->prim->name, "reduce") && nd->p.flag2 && in->dtype == GENC_F64 &&
         nd->out.dtype == GENC_F64 && in->n >= 2 * PRED_BLOCK &&
         (op == GENC_RSUM || op == GENC_RMAX || op == GENC_RMIN || op == GENC_RLOGSUMEXP);
}

/* The maxima m of a log-sum-exp, then y = m + log(sum of exp(x - m)), with
 * the eager kernel's rule for NaN and infinite maxima (y = m, no sum). */
static void logsumexp(genc_xpool *pool, pred *r, double *m, double *y) {
  run_pass(pool, r, m);
  bool finite = false;
  for (int64_t j = 0; j < r->size; j++)
    finite |= isfinite(m[j]);
  if (finite) {
    r->op = GENC_RSUM, r->m = m;
    run_pass(pool, r, y);
  }
  for (int64_t j = 0; j < r->size; j++)
    y[j] = isfinite(m[j]) ? m[j] + log(y[j]) : m[j];
}

genc_array *genc__xpreduce(genc_ctx *ctx, genc_xpool *pool, const genc_graph *g, int32_t k,
                           genc_array **vals) {
  const genc_gnode *nd = &g->nodes[k];
  if (!handled(nd, &g->meta[nd->in[0]])) return NULL;
  const genc_array *x = vals[nd->in[0]];
  genc_reduce_op op = (genc_reduce_op)nd->p.op;
  bool lse = op == GENC_RLOGSUMEXP;
  int64_t nb = (x->n + PRED_BLOCK - 1) / PRED_BLOCK,
          w = x->size == 1 && (op == GENC_RMAX || op == GENC_RMIN) ? ROWL : x->size;
  genc_array *y = genc__alloc(ctx, GENC_F64, nd->out.ndim, nd->out.shape, 0);
  double *part = malloc((size_t)(nb * w) * sizeof *part);
  double *m = malloc((size_t)x->size * sizeof *m);
  if (!y || !part || !m) {
    free(part), free(m);
    if (y) genc_ctx_fail(ctx, GENC_ERR_NOMEM, "particle_reduce: out of memory");
    return NULL;
  }
  pred r = {.op = lse ? GENC_RMAX : op,
            .lse = lse,
            .x = x->data,
            .n = x->n,
            .size = x->size,
            .w = w,
            .part = part};
  if (lse)
    logsumexp(pool, &r, m, y->data);
  else
    run_pass(pool, &r, y->data);
  free(part), free(m);
  return genc_array_retain(y);
}
