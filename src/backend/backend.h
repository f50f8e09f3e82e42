/*
 * The backend seam (docs/architecture.md, decision 7). Everything above src/backend/
 * reaches array memory only through this table. Pointers are backend memory
 * (host for the CPU, device for CUDA); sizes and strides count elements.
 * Kernels never fail on valid input except where they return a status; the
 * array layer validates everything before it calls them.
 */
#ifndef GENC_BACKEND_H
#define GENC_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "genc/array.h"

/* Physical rank: the logical dims plus the leading particle axis. */
#define GENC_PDIMS (GENC_MAX_DIMS + 1)

/* Iteration space of a broadcasting n-ary elementwise kernel (collapsed). */
typedef struct genc_bcast {
  int ndim;
  int64_t shape[GENC_PDIMS];
  int64_t stride[3][GENC_PDIMS]; /* per operand, 0 where broadcast */
  int64_t n;                     /* product of shape */
} genc_bcast;

/* Random laws the backends sample natively (algorithms: src/random/laws.h). */
typedef enum genc_law {
  GENC_LAW_UNIFORM,     /* U[0,1) */
  GENC_LAW_NORMAL,      /* N(0,1) */
  GENC_LAW_GAMMA,       /* Gamma(p0, 1), p0 > 0 */
  GENC_LAW_POISSON,     /* Poisson(p0) */
  GENC_LAW_BINOMIAL,    /* Binomial(p0 = n, p1 = p) */
  GENC_LAW_BITS,        /* uniform uint32 stored in i32 */
  GENC_LAW_GUMBEL,      /* standard Gumbel */
  GENC_LAW_EXPONENTIAL, /* Exp(1) */
  GENC_LAW_LOG_GAMMA,   /* log of a Gamma(p0, 1) draw (finite for tiny p0) */
  GENC_LAW_COUNT
} genc_law;

/* A sampling request: element (p, j) of a [npart, size] output draws from the
 * Philox4x32-10 stream with key `key` and counter {j, p + part_offset, stream,
 * iteration}; the iteration word counts the Philox blocks one element uses
 * (rejection loops keep reading). Invalid parameters give NaN (the random layer
 * validates before it asks). The backend must compute each element with
 * genc_law_sample_elem() from src/random/laws.h, so every backend draws the same
 * numbers. */
typedef struct genc_sample_req {
  genc_law law;
  genc_dtype dtype; /* output dtype: f64/f32; i32 for BITS (and counts) */
  uint32_t key[2];
  uint32_t stream;
  int64_t npart;          /* >= 1 */
  int64_t size;           /* elements per particle, < 2^32 */
  int64_t part_offset;    /* added (mod 2^32) to the particle index */
  const double *param[2]; /* f64 parameters (backend memory), NULL if unused */
  int64_t pstride[2][2];  /* element stride of each param over (p, j); 0 = broadcast */
} genc_sample_req;

/* Fused elementwise kernels of three broadcast operands (float dtypes): one pass
 * where the hottest densities would make several. */
typedef enum genc_fused_op {
  GENC_FUSED_NORMAL_LOGPDF, /* (x, mu, sigma) -> genc_sf_normal_lp, src/backend/specfun.h */
  /* binary ones (c is ignored; callers pass b): implicit reparameterization of gamma draws */
  GENC_FUSED_GAMMA_DZ_DA,    /* (z, a) -> genc_sf_gamma_dz_da */
  GENC_FUSED_GAMMA_DLOGZ_DA, /* (log z, a) -> genc_sf_gamma_dlogz_da */
  GENC_FUSED_COUNT
} genc_fused_op;

typedef struct genc_backend {
  const char *name;
  genc_device device;
  void *(*create)(int device_index, char *err, size_t errcap);
  void (*destroy)(void *st);

  /* memory */
  void *(*alloc)(void *st, size_t bytes);
  void (*free)(void *st, void *p, size_t bytes);
  int (*upload)(void *st, void *dst, const void *host, size_t bytes);
  int (*download)(void *st, void *host, const void *src, size_t bytes);
  void (*copy)(void *st, void *dst, const void *src, size_t bytes);

  /* elementwise */
  void (*fill)(void *st, genc_dtype dt, void *dst, int64_t n, double v);
  void (*cast)(void *st, genc_dtype from, const void *x, genc_dtype to, void *y, int64_t n);
  /* y has dtype dt, except ISFINITE/NOT which write bool */
  void (*unary)(void *st, genc_unary_op op, genc_dtype dt, const void *x, void *y, int64_t n);
  /* a, b, out in dtype dt; comparisons and logical ops write bool */
  void (*binary)(void *st, genc_binary_op op, genc_dtype dt, const void *a, const void *b,
                 void *out, const genc_bcast *g);
  /* cond is bool; a, b, out are dt; strides: 0 cond, 1 a, 2 b */
  void (*where)(void *st, genc_dtype dt, const void *cond, const void *a, const void *b, void *out,
                const genc_bcast *g);
  /* a, b, c, out in float dtype dt; strides: 0 a, 1 b, 2 c */
  void (*fused3)(void *st, genc_fused_op op, genc_dtype dt, const void *a, const void *b,
                 const void *c, void *out, const genc_bcast *g);

  /* x viewed as [outer, len, inner]; reduce the middle axis into out [outer, inner].
   * ARGMAX/ARGMIN write i32. */
  void (*reduce)(void *st, genc_reduce_op op, genc_dtype dt, const void *x, void *out,
                 int64_t outer, int64_t len, int64_t inner);
  /* cumulative op (GENC_RSUM or GENC_RLOGSUMEXP) along the middle axis */
  void (*scan)(void *st, genc_reduce_op op, genc_dtype dt, const void *x, void *out, int64_t outer,
               int64_t len, int64_t inner);
  /* sorted: [outer, len] rows (row stride srow, 0 = shared), v: [outer, m] (row stride
   * vrow), out i32 [outer, m] */
  void (*searchsorted)(void *st, genc_dtype dt, const void *sorted, int64_t srow, int64_t len,
                       const void *v, int64_t vrow, void *out, int64_t outer, int64_t m,
                       bool right);

  /* out[i] = x[sum_k idx_k(i) * stride_k] over the out shape (gathers any view) */
  void (*strided_copy)(void *st, size_t esize, const void *x, void *out, int ndim,
                       const int64_t *shape, const int64_t *xstride);
  /* x viewed [outer, xlen, inner]; idx [iouter, nidx] i32 with iouter 1 or outer;
   * out [outer, nidx, inner] = x[o, idx[o or 0, k], i]. Returns -1, or the first
   * offending index position if an index is out of range. */
  int64_t (*gather)(void *st, size_t esize, const void *x, const int32_t *idx, void *out,
                    int64_t outer, int64_t xlen, int64_t inner, int64_t nidx, int64_t iouter);
  /* out [outer, xlen, inner] (already holding x) += upd [outer, nidx, inner] at idx
   * [iouter, nidx]; returns as gather */
  int64_t (*scatter_add)(void *st, genc_dtype dt, void *out, const int32_t *idx, const void *upd,
                         int64_t outer, int64_t xlen, int64_t inner, int64_t nidx, int64_t iouter);

  /* C[b] = op(A[b]) op(B[b]); A [M,K] (or [K,M] if ta), B [K,N] (or [N,K] if tb);
   * batch strides in elements (0 = broadcast) */
  void (*matmul)(void *st, genc_dtype dt, int64_t batch, int64_t m, int64_t n, int64_t k,
                 const void *a, int64_t sa, bool ta, const void *b, int64_t sb, bool tb, void *c);
  /* batched lower Cholesky, in place on out (holding a copy of A); returns -1 or the
   * first batch index that is not positive definite (a non-finite factor, from NaN
   * or inf entries, counts as not). Every matrix is processed; one that is not
   * positive definite is filled with NaN (genc__pd_mask reads that). */
  int64_t (*cholesky)(void *st, genc_dtype dt, int64_t batch, int64_t n, void *out);
  /* out (holding B [batch, n, m]) <- op(L)^-1 B; L batch stride sl (0 = shared).
   * Returns -1, or the first batch index whose L has an exact zero on its
   * diagonal (solved anyway: inf/NaN there). A NaN diagonal is not reported: a
   * NaN-filled failed Cholesky factor flows through to genc__pd_mask's users. */
  int64_t (*trisolve)(void *st, genc_dtype dt, int64_t batch, int64_t n, int64_t m, const void *l,
                      int64_t sl, void *out, bool lower, bool trans);
  /* LU in place on a (batch of [n,n]); logabsdet per batch into out (f64/f32 per dt);
   * returns -1 or first singular batch */
  int64_t (*logdet)(void *st, genc_dtype dt, int64_t batch, int64_t n, void *a, void *out);
  /* inverse in place on a; returns -1 or first singular batch */
  int64_t (*inv)(void *st, genc_dtype dt, int64_t batch, int64_t n, void *a);

  /* random */
  void (*sample)(void *st, const genc_sample_req *req, void *out);
} genc_backend;

extern const genc_backend genc_backend_cpu;
/* NULL when the library was built without CUDA */
const genc_backend *genc_backend_cuda_get(void);

#endif
