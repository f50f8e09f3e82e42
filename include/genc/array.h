/**
 * @file array.h
 * @brief Layer 0: n-d arrays with an implicit particle axis, ops, scopes and
 * reverse-mode autodiff.
 *
 * An array has a dtype, a *logical* shape of up to GENC_MAX_DIMS dimensions and
 * a particle count: 0 means *shared* (one value for every particle), N > 0
 * means *batched* over N particles. The particle axis is not part of the
 * logical shape; every op broadcasts shared against batched with NumPy rules on
 * the logical shape, and axes passed to ops are logical axes (negative counts
 * from the end). Two batched operands must have the same N.
 *
 * Ownership: every array made while a scope is open belongs to that scope and
 * dies at genc_scope_end() unless kept (genc_scope_end_keep()) or retained
 * (genc_array_retain(), released with genc_array_release()). Arrays made with
 * no scope open belong to the context and die with it.
 *
 * Errors: ops return NULL and record a message in the context (see base.h).
 * A NULL input makes an op return NULL without a new message; a NULL context
 * makes every function return NULL (or an error status, or the neutral value
 * its doc gives) without crashing. Sizes are checked once when an output is
 * planned: one whose element or byte count overflows, or exceeds 2^47 bytes,
 * is GENC_ERR_NOMEM naming the op and the shape.
 *
 * Integer semantics: i32 arithmetic (add, sub, mul, neg, abs, square, sum,
 * prod, cumsum) wraps around in two's complement, as NumPy and JAX do:
 * INT32_MAX + 1 == INT32_MIN and -INT32_MIN == INT32_MIN. It never traps and is
 * never undefined behaviour.
 *
 * Names: math ops are named after the math (genc_add, genc_exp) because model
 * code reads as math; everything else reads genc_<noun>_<verb>.
 */
#ifndef GENC_ARRAY_H
#define GENC_ARRAY_H

#include <stdbool.h>
#include "genc/base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct genc_array genc_array;

/* ------------------------------------------------------------------ */
/* Creation and inspection                                             */
/* ------------------------------------------------------------------ */

/** A 0-d f64 array holding @p v. */
genc_array *genc_scalar(genc_ctx *ctx, double v);
/** A 0-d array of dtype @p dt holding @p v (converted). */
genc_array *genc_scalar_of(genc_ctx *ctx, double v, genc_dtype dt);
/**
 * A 0-d f64 array flagged *weak*: in a binary op its dtype yields to the other
 * operand's floating dtype (as Python scalars do in NumPy), so `x * 2.0` keeps
 * an f32 x in f32. This is what the _Generic wrappers use for C numbers.
 */
genc_array *genc_scalar_weak(genc_ctx *ctx, double v);

/**
 * A weak 0-d i32 array: as genc_scalar_weak, for C integers, so that
 * `i + 1` keeps an i32 array i32 (and `x + 1` keeps a float x in its dtype).
 */
genc_array *genc_scalar_weak_i32(genc_ctx *ctx, int32_t v);

/**
 * An array of shape @p shape (ndim dims) copied from the host buffer @p data,
 * whose element type must match @p dt (double, float, int32_t, bool).
 * With @p n > 0 the buffer holds n particles one after the other (the particle
 * axis is the slowest); n == 0 makes a shared array.
 */
genc_array *genc_array_from(genc_ctx *ctx, genc_dtype dt, int ndim, const int64_t *shape, int64_t n,
                            const void *data);
/** Shorthand: shared 1-d f64 array of length @p len copied from @p data. */
genc_array *genc_array_vec(genc_ctx *ctx, int64_t len, const double *data);
/** Shared f64 array of shape [rows, cols] copied from row-major @p data. */
genc_array *genc_array_mat(genc_ctx *ctx, int64_t rows, int64_t cols, const double *data);
/** Array filled with @p v (batched over @p n particles if n > 0). */
genc_array *genc_array_full(genc_ctx *ctx, genc_dtype dt, int ndim, const int64_t *shape, int64_t n,
                            double v);
/** genc_array_full with v = 0. */
genc_array *genc_array_zeros(genc_ctx *ctx, genc_dtype dt, int ndim, const int64_t *shape,
                             int64_t n);
/** genc_array_full with v = 1. */
genc_array *genc_array_ones(genc_ctx *ctx, genc_dtype dt, int ndim, const int64_t *shape,
                            int64_t n);
/** Zeros with the dtype, shape and particle count of @p like. */
genc_array *genc_array_zeros_like(genc_ctx *ctx, const genc_array *like);
/** 1-d array start, start+step, ... < stop. */
genc_array *genc_array_arange(genc_ctx *ctx, genc_dtype dt, double start, double stop, double step);
/** 1-d array of @p num points from @p start to @p stop, both included. */
genc_array *genc_array_linspace(genc_ctx *ctx, genc_dtype dt, double start, double stop,
                                int64_t num);
/** Identity matrix [n, n]. */
genc_array *genc_array_eye(genc_ctx *ctx, genc_dtype dt, int64_t n);

/*
 * The queries below accept NULL (the result of a failed op) and answer with a
 * neutral value: dtype (genc_dtype)-1 (no dtype: genc_dtype_size gives 0),
 * ndim -1, shape NULL, dim -1, size 0, nparticles 0, batched false.
 */
/** Element type. */
genc_dtype genc_array_dtype(const genc_array *a);
/** Number of logical dimensions. */
int genc_array_ndim(const genc_array *a);
/** Logical shape (ndim entries, valid while @p a lives). */
const int64_t *genc_array_shape(const genc_array *a);
/** Size of logical dimension @p axis (negative counts from the end); -1 if out of range. */
int64_t genc_array_dim(const genc_array *a, int axis);
/** Number of logical elements (product of the shape; 1 for 0-d). */
int64_t genc_array_size(const genc_array *a);
/** Particle count: 0 for shared arrays. */
int64_t genc_array_nparticles(const genc_array *a);
/** True if batched over particles. */
bool genc_array_batched(const genc_array *a);

/**
 * The value of a shared array with exactly one element, as a double. A batched
 * array is an error (which particle?): use genc_particle_get() or copy-out.
 */
genc_status genc_array_item(genc_ctx *ctx, const genc_array *a, double *out);
/**
 * The number held by a shared 0-d array (any dtype) as a double, for reading
 * results in one call; NaN with an error when @p a is NULL, not 0-d, or batched
 * (a NULL @p a after a failed op keeps that op's message).
 */
double genc_array_to_double(genc_ctx *ctx, const genc_array *a);
/**
 * Copy all elements, converted to double, into @p out, which holds
 * max(n,1) * size entries (particle-major).
 */
genc_status genc_array_copy_out(genc_ctx *ctx, const genc_array *a, double *out, int64_t cap);
/** Copy all elements in their own dtype (raw bytes) into @p out of @p bytes. */
genc_status genc_array_copy_raw(genc_ctx *ctx, const genc_array *a, void *out, size_t bytes);
/**
 * Read-only view of @p a's memory, without a copy: an eager f64 array of
 * exactly @p n elements (genc_array_size() times max(1, particles),
 * particle-major) held in host memory, valid while @p a lives. NULL (no
 * error set) when it is not one: another dtype or count, a device array, or
 * a capture recording (whose replays could not repeat a host read); copy the
 * values out with genc_array_copy_out() then.
 */
const double *genc_array_host_f64(const genc_ctx *ctx, const genc_array *a, int64_t n);

/*
 * Host log-weight kernels: the passes a particle method makes over weights it
 * keeps in host memory (genc_smc does), vectorized with the CPU backend's
 * vector exp. Their sums and maxima run in 8 fixed lanes (element i in lane
 * i mod 8, the lanes combined in order), so the bits do not depend on the
 * vector width the machine picks, only on its exp (within 4 ulp of exp()).
 */

/**
 * w[i] += v[i] for i < @p n, a NaN sum (-inf + inf) made -inf (a particle of
 * weight zero); returns the largest w[i]: -inf when @p n <= 0 or every w[i]
 * is -inf, NaN when @p w or @p v is NULL with @p n > 0. The buffers must not
 * overlap.
 */
double genc_host_logw_add(double *w, const double *v, int64_t n);
/**
 * e[i] = exp(w[i] - @p mx) for i < @p n, stored in @p e unless it is NULL;
 * sums[0] gets their compensated (Neumaier) sum, exact enough that a
 * resampler's cumulative sum over 1e8 particles stays in f64 rounding, and
 * sums[1] the sum of their squares (for the effective sample size). Both are 0
 * when @p n <= 0, NaN when @p w is NULL with @p n > 0. @p w and @p e must not
 * overlap.
 */
void genc_host_exp_sums(const double *w, int64_t n, double mx, double *e, double sums[2]);

/** Print an array to a string buffer (NumPy-like); returns chars needed. */
int genc_array_format(genc_ctx *ctx, const genc_array *a, char *buf, size_t cap);

/* ------------------------------------------------------------------ */
/* Memory                                                              */
/* ------------------------------------------------------------------ */

/** Open a scope; returns its mark for genc_scope_end(). */
int64_t genc_scope_begin(genc_ctx *ctx);
/** Close the scope opened at @p mark: every array made since dies. */
void genc_scope_end(genc_ctx *ctx, int64_t mark);
/**
 * Close the scope at @p mark, but move the @p nkeep arrays in @p keep to the
 * enclosing scope (or the context, if none).
 */
void genc_scope_end_keep(genc_ctx *ctx, int64_t mark, genc_array *const *keep, int nkeep);
/** Take a reference: the array outlives its scope until genc_array_release(). */
genc_array *genc_array_retain(genc_array *a);
/** Drop a reference taken by genc_array_retain(). NULL is a no-op. */
void genc_array_release(genc_array *a);

/* ------------------------------------------------------------------ */
/* Elementwise ops                                                     */
/* ------------------------------------------------------------------ */

/** Unary op codes (genc_unary() and the backend use them). */
typedef enum genc_unary_op {
  GENC_NEG,
  GENC_ABS,
  GENC_SIGN,
  GENC_EXP,
  GENC_EXPM1,
  GENC_LOG,
  GENC_LOG1P,
  GENC_SQRT,
  GENC_SQUARE,
  GENC_SIN,
  GENC_COS,
  GENC_TAN,
  GENC_TANH,
  GENC_SIGMOID,
  GENC_LOG_SIGMOID,
  GENC_SOFTPLUS,
  GENC_ERF,
  GENC_ERFC,
  GENC_ERFINV,
  GENC_LGAMMA,
  GENC_DIGAMMA,
  GENC_TRIGAMMA,
  GENC_FLOOR,
  GENC_CEIL,
  GENC_ROUND,
  GENC_ISFINITE,
  GENC_NOT,
  GENC_RECIPROCAL,
  GENC_UNARY_COUNT
} genc_unary_op;

/** Binary op codes. */
typedef enum genc_binary_op {
  GENC_ADD,
  GENC_SUB,
  GENC_MUL,
  GENC_DIV,
  GENC_POW,
  GENC_MAXIMUM,
  GENC_MINIMUM,
  GENC_ATAN2,
  GENC_EQ,
  GENC_NE,
  GENC_LT,
  GENC_LE,
  GENC_GT,
  GENC_GE,
  GENC_AND,
  GENC_OR,
  GENC_BINARY_COUNT
} genc_binary_op;

/** Apply unary op @p op elementwise (integer inputs of float ops become f64). */
genc_array *genc_unary(genc_ctx *ctx, genc_unary_op op, genc_array *x);
/** Apply binary op @p op with broadcasting and type promotion. */
genc_array *genc_binary(genc_ctx *ctx, genc_binary_op op, genc_array *a, genc_array *b);

genc_array *genc_neg(genc_ctx *ctx, genc_array *x);         /**< -x */
genc_array *genc_abs(genc_ctx *ctx, genc_array *x);         /**< |x| */
genc_array *genc_sign(genc_ctx *ctx, genc_array *x);        /**< -1, 0 or 1 */
genc_array *genc_exp(genc_ctx *ctx, genc_array *x);         /**< e^x */
genc_array *genc_expm1(genc_ctx *ctx, genc_array *x);       /**< e^x - 1 */
genc_array *genc_log(genc_ctx *ctx, genc_array *x);         /**< natural log */
genc_array *genc_log1p(genc_ctx *ctx, genc_array *x);       /**< log(1 + x) */
genc_array *genc_sqrt(genc_ctx *ctx, genc_array *x);        /**< square root */
genc_array *genc_square(genc_ctx *ctx, genc_array *x);      /**< x^2 */
genc_array *genc_sin(genc_ctx *ctx, genc_array *x);         /**< sine */
genc_array *genc_cos(genc_ctx *ctx, genc_array *x);         /**< cosine */
genc_array *genc_tan(genc_ctx *ctx, genc_array *x);         /**< tangent */
genc_array *genc_tanh(genc_ctx *ctx, genc_array *x);        /**< hyperbolic tangent */
genc_array *genc_sigmoid(genc_ctx *ctx, genc_array *x);     /**< 1 / (1 + e^-x) */
genc_array *genc_log_sigmoid(genc_ctx *ctx, genc_array *x); /**< log sigmoid(x), stable */
genc_array *genc_softplus(genc_ctx *ctx, genc_array *x);    /**< log(1 + e^x), stable */
genc_array *genc_erf(genc_ctx *ctx, genc_array *x);         /**< error function */
genc_array *genc_erfc(genc_ctx *ctx, genc_array *x);        /**< 1 - erf(x), accurate in tails */
genc_array *genc_erfinv(genc_ctx *ctx, genc_array *x);      /**< inverse of erf on (-1, 1) */
genc_array *genc_lgamma(genc_ctx *ctx, genc_array *x);      /**< log |Gamma(x)| */
genc_array *genc_digamma(genc_ctx *ctx, genc_array *x);     /**< d/dx lgamma */
genc_array *genc_trigamma(genc_ctx *ctx, genc_array *x);    /**< d/dx digamma */
genc_array *genc_floor(genc_ctx *ctx, genc_array *x);       /**< round down (zero gradient) */
genc_array *genc_ceil(genc_ctx *ctx, genc_array *x);        /**< round up (zero gradient) */
genc_array *genc_round(genc_ctx *ctx, genc_array *x);       /**< round half away from zero */
genc_array *genc_isfinite(genc_ctx *ctx, genc_array *x);    /**< bool: not inf, not NaN */
genc_array *genc_logical_not(genc_ctx *ctx, genc_array *x); /**< bool: !x */
genc_array *genc_reciprocal(genc_ctx *ctx, genc_array *x);  /**< 1 / x */

genc_array *genc_add(genc_ctx *ctx, genc_array *a, genc_array *b);         /**< a + b */
genc_array *genc_sub(genc_ctx *ctx, genc_array *a, genc_array *b);         /**< a - b */
genc_array *genc_mul(genc_ctx *ctx, genc_array *a, genc_array *b);         /**< a * b */
genc_array *genc_div(genc_ctx *ctx, genc_array *a, genc_array *b);         /**< a / b */
genc_array *genc_pow(genc_ctx *ctx, genc_array *a, genc_array *b);         /**< a ^ b */
genc_array *genc_maximum(genc_ctx *ctx, genc_array *a, genc_array *b);     /**< max(a, b) */
genc_array *genc_minimum(genc_ctx *ctx, genc_array *a, genc_array *b);     /**< min(a, b) */
genc_array *genc_atan2(genc_ctx *ctx, genc_array *a, genc_array *b);       /**< atan2(a, b) */
genc_array *genc_eq(genc_ctx *ctx, genc_array *a, genc_array *b);          /**< bool a == b */
genc_array *genc_ne(genc_ctx *ctx, genc_array *a, genc_array *b);          /**< bool a != b */
genc_array *genc_lt(genc_ctx *ctx, genc_array *a, genc_array *b);          /**< bool a < b */
genc_array *genc_le(genc_ctx *ctx, genc_array *a, genc_array *b);          /**< bool a <= b */
genc_array *genc_gt(genc_ctx *ctx, genc_array *a, genc_array *b);          /**< bool a > b */
genc_array *genc_ge(genc_ctx *ctx, genc_array *a, genc_array *b);          /**< bool a >= b */
genc_array *genc_logical_and(genc_ctx *ctx, genc_array *a, genc_array *b); /**< bool a && b */
genc_array *genc_logical_or(genc_ctx *ctx, genc_array *a, genc_array *b);  /**< bool a || b */

/** Elementwise select: cond ? a : b, all three broadcast together. */
genc_array *genc_where(genc_ctx *ctx, genc_array *cond, genc_array *a, genc_array *b);
/** Convert to dtype @p dt (gradient flows between float types). */
genc_array *genc_astype(genc_ctx *ctx, genc_array *x, genc_dtype dt);
/** Identity whose gradient is zero. */
genc_array *genc_stop_gradient(genc_ctx *ctx, genc_array *x);

/* ------------------------------------------------------------------ */
/* Reductions and scans (over logical axes)                            */
/* ------------------------------------------------------------------ */

/** Reduction op codes. */
typedef enum genc_reduce_op {
  GENC_RSUM,
  GENC_RPROD,
  GENC_RMAX,
  GENC_RMIN,
  GENC_RLOGSUMEXP,
  GENC_RARGMAX,
  GENC_RARGMIN
} genc_reduce_op;

/**
 * Reduce over @p naxes logical axes listed in @p axes (naxes == 0: all axes).
 * @p keepdims keeps reduced axes as size 1. A batched input stays batched: the
 * particle axis is never reduced here (see genc_particle_reduce()).
 */
genc_array *genc_reduce(genc_ctx *ctx, genc_reduce_op op, genc_array *x, int naxes, const int *axes,
                        bool keepdims);
genc_array *genc_sum(genc_ctx *ctx, genc_array *x, int naxes, const int *axes, bool keepdims);
genc_array *genc_mean(genc_ctx *ctx, genc_array *x, int naxes, const int *axes, bool keepdims);
genc_array *genc_prod(genc_ctx *ctx, genc_array *x, int naxes, const int *axes, bool keepdims);
genc_array *genc_max(genc_ctx *ctx, genc_array *x, int naxes, const int *axes, bool keepdims);
genc_array *genc_min(genc_ctx *ctx, genc_array *x, int naxes, const int *axes, bool keepdims);
genc_array *genc_logsumexp(genc_ctx *ctx, genc_array *x, int naxes, const int *axes, bool keepdims);
/** Index (i32) of the maximum along one axis; an empty axis is GENC_ERR_SHAPE. */
genc_array *genc_argmax(genc_ctx *ctx, genc_array *x, int axis, bool keepdims);
/** Index (i32) of the minimum along one axis; an empty axis is GENC_ERR_SHAPE. */
genc_array *genc_argmin(genc_ctx *ctx, genc_array *x, int axis, bool keepdims);
/** Sum over every logical element: a 0-d array (batched stays batched). */
genc_array *genc_sum_all(genc_ctx *ctx, genc_array *x);

/** Cumulative sum along @p axis. */
genc_array *genc_cumsum(genc_ctx *ctx, genc_array *x, int axis);
/** Cumulative log-sum-exp along @p axis (stable). */
genc_array *genc_cumlogsumexp(genc_ctx *ctx, genc_array *x, int axis);
/**
 * For each value in @p v, the index (i32) at which it would be inserted into the
 * sorted last axis of @p sorted to keep it sorted (side "right" if @p right).
 * Leading dims of @p sorted broadcast against those of @p v.
 */
genc_array *genc_searchsorted(genc_ctx *ctx, genc_array *sorted, genc_array *v, bool right);

/* ------------------------------------------------------------------ */
/* Shape and indexing                                                  */
/* ------------------------------------------------------------------ */

/** Same elements, new logical shape (one entry may be -1). */
genc_array *genc_reshape(genc_ctx *ctx, genc_array *x, int ndim, const int64_t *shape);
/** Reverse the axes. */
genc_array *genc_transpose(genc_ctx *ctx, genc_array *x);
/** Permute logical axes: output axis i is input axis perm[i]. */
genc_array *genc_permute(genc_ctx *ctx, genc_array *x, int ndim, const int *perm);
/** Broadcast to a logical shape (NumPy rules). */
genc_array *genc_broadcast_to(genc_ctx *ctx, genc_array *x, int ndim, const int64_t *shape);
/** Insert a size-1 axis at @p axis. */
genc_array *genc_expand_dims(genc_ctx *ctx, genc_array *x, int axis);
/** Remove size-1 axis @p axis (or all size-1 axes if axis == GENC_ALL_AXES). */
genc_array *genc_squeeze(genc_ctx *ctx, genc_array *x, int axis);
#define GENC_ALL_AXES 0x7fffffff
/** Basic slice along one axis: start:stop:step (step > 0, clamped like Python). */
genc_array *genc_slice(genc_ctx *ctx, genc_array *x, int axis, int64_t start, int64_t stop,
                       int64_t step);
/**
 * Gather along @p axis with integer @p idx: out shape is x.shape[:axis] +
 * idx.shape + x.shape[axis+1:]. @p idx (i32) may be batched (per-particle
 * indices: resampling is genc_take(x, idx, 0) with a batched 0-d idx on the
 * genc_particle_to_axis view). Indices are not wrapped: one outside
 * [0, len) is GENC_ERR_ARG, naming the index and the axis length.
 */
genc_array *genc_take(genc_ctx *ctx, genc_array *x, genc_array *idx, int axis);
/**
 * NumPy take_along_axis: @p idx (i32) has x's rank; along @p axis
 * out[..., j, ...] = x[..., idx[..., j, ...], ...], and the other axes of x and
 * idx broadcast. Out-of-range indices are GENC_ERR_ARG.
 */
genc_array *genc_take_along(genc_ctx *ctx, genc_array *x, genc_array *idx, int axis);
/**
 * out = x; out[..., idx[i], ...] += upd[..., i, ...] along @p axis (duplicates
 * accumulate). @p upd broadcasts to x.shape[:axis] + idx.shape +
 * x.shape[axis+1:] and is cast to x's dtype; indices as in genc_take().
 */
genc_array *genc_scatter_add(genc_ctx *ctx, genc_array *x, genc_array *idx, genc_array *upd,
                             int axis);
/** Join @p n arrays along an existing axis (dtypes promote; shared and batched mix). */
genc_array *genc_concat(genc_ctx *ctx, int n, genc_array *const *xs, int axis);
/** Join @p n same-shape arrays along a new axis. */
genc_array *genc_stack(genc_ctx *ctx, int n, genc_array *const *xs, int axis);
/**
 * One-hot encode i32 (or bool) indices into a new last axis of length @p depth
 * (f64); an index outside [0, depth) is GENC_ERR_ARG.
 */
genc_array *genc_one_hot(genc_ctx *ctx, genc_array *idx, int64_t depth);

/* ------------------------------------------------------------------ */
/* Linear algebra (last two axes are the matrix; leading axes batch)   */
/* ------------------------------------------------------------------ */

/** Matrix product with NumPy matmul semantics (1-d operands promoted). */
genc_array *genc_matmul(genc_ctx *ctx, genc_array *a, genc_array *b);
/**
 * Lower Cholesky factor L with L L^T = a (the lower triangle is read); a matrix
 * that is not positive definite, or holds NaN or inf, is GENC_ERR_LINALG naming
 * its particle / batch index.
 */
genc_array *genc_cholesky(genc_ctx *ctx, genc_array *a);
/**
 * Solve op(L) X = B for triangular L (lower if @p lower), op = transpose if
 * @p trans. An L with an exact zero on its diagonal is GENC_ERR_LINALG naming
 * its particle / batch index.
 */
genc_array *genc_triangular_solve(genc_ctx *ctx, genc_array *l, genc_array *b, bool lower,
                                  bool trans);
/** log |det a| of a square matrix (through LU). */
genc_array *genc_logdet(genc_ctx *ctx, genc_array *a);
/** Matrix inverse. */
genc_array *genc_inv(genc_ctx *ctx, genc_array *a);

/* ------------------------------------------------------------------ */
/* The particle axis                                                   */
/* ------------------------------------------------------------------ */

/** Replicate a shared array over @p n particles (batched copy). */
genc_array *genc_particle_broadcast(genc_ctx *ctx, genc_array *x, int64_t n);
/** Particle @p i of a batched array, as a shared array (shared input: itself). */
genc_array *genc_particle_get(genc_ctx *ctx, genc_array *x, int64_t i);
/**
 * Reorder particles: out particle i = x particle idx[i]. @p idx is a 1-d shared
 * i32 array of length M >= 1; the result has M particles (resampling). A shared
 * @p x is returned as is (every particle holds it already).
 */
genc_array *genc_particle_take(genc_ctx *ctx, genc_array *x, genc_array *idx);
/** Reduce over the particle axis (sum, max, logsumexp, ...): a shared array. */
genc_array *genc_particle_reduce(genc_ctx *ctx, genc_reduce_op op, genc_array *x);
/** Stack @p n shared arrays of equal shape as the particles of one batched array. */
genc_array *genc_particle_stack(genc_ctx *ctx, int n, genc_array *const *xs);
/**
 * Join batched arrays of one dtype and logical shape along the particle axis:
 * the result has the sum of their particle counts (joining tiles of a run).
 */
genc_array *genc_particle_concat(genc_ctx *ctx, int n, genc_array *const *xs);
/**
 * Reinterpret: the batched array's particle axis becomes logical axis 0
 * (a shared array of shape [N, ...]); the inverse is genc_particle_from_axis.
 */
genc_array *genc_particle_to_axis(genc_ctx *ctx, genc_array *x);
/** Turn logical axis 0 of @p x (shared) into the particle axis. */
genc_array *genc_particle_from_axis(genc_ctx *ctx, genc_array *x);

/* ------------------------------------------------------------------ */
/* Autodiff                                                            */
/* ------------------------------------------------------------------ */

/** A function of arrays, as autodiff sees it. Returns NULL on error. */
typedef genc_array *(*genc_fn)(genc_ctx *ctx, genc_array *const *args, void *user);

/**
 * Reverse mode: out = f(args), and for every i with bit i of @p wrt set,
 * grads[i] = d<cot, out>/d args[i] (same shape and particle count as args[i];
 * a shared argument of a batched function gets the sum over particles).
 * @p cot NULL means ones (so a batched scalar output gives per-particle
 * gradients). Entries of @p grads for arguments not in @p wrt are set to NULL.
 */
genc_status genc_vjp(genc_ctx *ctx, genc_fn f, int nargs, genc_array *const *args, void *user,
                     uint32_t wrt, genc_array *cot, genc_array **out, genc_array **grads);
/** genc_vjp with cot = ones; f must return a 0-d (possibly batched) array. */
genc_status genc_value_and_grad(genc_ctx *ctx, genc_fn f, int nargs, genc_array *const *args,
                                void *user, uint32_t wrt, genc_array **value, genc_array **grads);
/** genc_value_and_grad without the value. */
genc_status genc_grad(genc_ctx *ctx, genc_fn f, int nargs, genc_array *const *args, void *user,
                      uint32_t wrt, genc_array **grads);

/*
 * The tape, for layers that differentiate code they do not wrap in a genc_fn
 * (the GFI's choice and parameter gradients). Between genc_tape_begin and
 * genc_tape_end, every op whose inputs depend on a watched array is recorded.
 */
/** Start recording. Tapes do not nest: a second begin is GENC_ERR_ARG. */
genc_status genc_tape_begin(genc_ctx *ctx);
/** Make @p x a leaf to differentiate against; returns a new tracked array. */
genc_array *genc_tape_watch(genc_ctx *ctx, genc_array *x);
/**
 * Backpropagate @p cot (NULL: ones) from @p out to the @p n watched leaves in
 * @p leaves; grads[i] is NULL-free (zeros where there is no dependence).
 */
genc_status genc_tape_backward(genc_ctx *ctx, genc_array *out, genc_array *cot, int n,
                               genc_array *const *leaves, genc_array **grads);
/** Stop recording and forget the tape (arrays stay alive per their scopes). */
void genc_tape_end(genc_ctx *ctx);
/** True while a tape records. */
bool genc_tape_active(const genc_ctx *ctx);

/* ------------------------------------------------------------------ */
/* Graph capture                                                       */
/* ------------------------------------------------------------------ */

/*
 * genc_graph_capture() runs a function of arrays once, eagerly, and records
 * the straight-line program of primitives it ran: every op whose inputs depend
 * on the function's array inputs, and every draw whose key derives from its key
 * inputs (through genc_key_split, genc_key_fold_in, genc_key_particle).
 * Everything else the run read (data, parameters, C numbers, results of ops on
 * those alone) is a constant of the graph, which holds a reference to it.
 * genc_graph_replay() runs the recorded program on new inputs of the same
 * shapes, dtypes and particle counts, without calling the function again: a
 * replay with the capture's own inputs gives the eager outputs bit for bit.
 *
 * A capture refuses (GENC_ERR_CAPTURE, naming the cause) what a replay could
 * not repeat: a host read (genc_array_item, genc_array_copy_out, ...) of a
 * value the inputs determine (control flow that depends on values), an array
 * made from another without an op (which bypasses the recorder), and a capture
 * inside a capture. Parameter checks are the exception: their host reads go
 * through genc_graph_guard_item(), which the replay repeats; when such a value
 * changes (a check that passed at capture would fail now) the replay fails with
 * GENC_ERR_CAPTURE, "guard changed: rerun eagerly", and the caller reruns the
 * function eagerly to get the eager error. Callers fall back to eager
 * execution on any GENC_ERR_CAPTURE.
 */

typedef struct genc_graph genc_graph;
/* genc/random.h defines it (C11 allows the repeated typedef) */
typedef struct genc_key genc_key;

/**
 * A function genc_graph_capture() can record: it reads its keys and its array
 * inputs @p in, writes its array results to @p out, and returns GENC_OK (or an
 * error status with the context's message).
 */
typedef genc_status (*genc_graph_fn)(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                                     genc_array **out, void *user);

/**
 * Run @p fn once on @p nkeys keys and @p nin arrays and record it. Its @p nout
 * results are returned in @p out (the eager results, in the current scope).
 * Returns the graph (free with genc_graph_free()), or NULL with the context's
 * error: fn's own error, or GENC_ERR_CAPTURE naming what could not be
 * captured (a refusal is also an error of the eager run: the op or host read
 * that caused it fails, so fn normally fails with it). On failure @p out holds
 * whatever fn wrote. Inputs must be distinct arrays of this context.
 */
genc_graph *genc_graph_capture(genc_ctx *ctx, genc_graph_fn fn, void *user, int nkeys,
                               const genc_key *keys, int nin, genc_array *const *in, int nout,
                               genc_array **out);
/**
 * Run graph @p g on new keys and inputs (the captured counts, shapes, dtypes
 * and particle counts; checked). Its noutputs results are new arrays in the
 * current scope, written to @p out. GENC_ERR_CAPTURE means a guard changed:
 * run the function eagerly instead. Not allowed inside a capture.
 */
genc_status genc_graph_replay(genc_ctx *ctx, genc_graph *g, const genc_key *keys,
                              genc_array *const *in, genc_array **out);

/** Options of genc_graph_loop() (zero-initialize; iters and carry are needed). */
typedef struct genc_graph_loop_opts {
  /** replays in a row (at least 1) */
  int64_t iters;
  /** replay i runs on key inputs genc_key_fold_in(keys[k], first + i) */
  int64_t first;
  /** per input j: the output whose value input j takes in the next replay,
   * or -1 for an input that stays as given (ninputs entries) */
  const int32_t *carry;
  /** outputs copied to the host after every replay, in this order: rec
   * receives, for replay i, each one's elements (all particles, particle-
   * major) converted to double, replay after replay; rec holds iters times
   * their total element count. nrecord 0: none (record and rec unused). */
  int32_t nrecord;
  const int32_t *record;
  double *rec;
  /** (out, may be NULL) replays completed: iters on success; the replay
   * whose guard changed on GENC_ERR_CAPTURE; 0 on any other error */
  int64_t *done;
} genc_graph_loop_opts;

/**
 * Replay @p g opts->iters times in a row, carrying outputs into inputs (a
 * chain of MCMC steps, a filter's steps): exactly what as many
 * genc_graph_replay() calls would compute, bit for bit, with replay i's key
 * inputs genc_key_fold_in(keys[k], first + i) and its inputs the carried
 * outputs of replay i - 1 (replay 0: @p in). @p out receives the outputs of
 * the last replay, new arrays in the current scope. The CPU executor runs a
 * compiled graph of one unbatched region (one chain) as one loop around the
 * region's compiled step, with every replay's keys and draws computed ahead
 * in SIMD passes and no arrays made per replay; other graphs replay one by
 * one.
 * GENC_ERR_CAPTURE: a guard changed in replay *opts->done; @p out then holds
 * the outputs of the replay before it (NULL entries when it was the first)
 * and rec the replays before it, so the caller resumes eagerly from there.
 */
genc_status genc_graph_loop(genc_ctx *ctx, genc_graph *g, const genc_key *keys,
                            genc_array *const *in, genc_array **out,
                            const genc_graph_loop_opts *opts);
/**
 * Inside a running capture: make @p a one more output of the graph, after the
 * nout outputs genc_graph_capture() collects from its out array (extra
 * outputs come in call order). For functions whose output count is known only
 * as they run (every array of a trace). GENC_ERR_ARG outside a capture.
 */
genc_status genc_graph_add_output(genc_ctx *ctx, genc_array *a);
/** Free a graph (NULL is a no-op) and the constants it holds. */
void genc_graph_free(genc_graph *g);
/** Recorded nodes of @p g (0 for NULL). */
int genc_graph_nnodes(const genc_graph *g);
/** Constants @p g holds (0 for NULL). */
int genc_graph_nconsts(const genc_graph *g);
/** Guards (host reads of checks) a replay of @p g repeats (0 for NULL). */
int genc_graph_nguards(const genc_graph *g);
/** Outputs of @p g (0 for NULL). */
int genc_graph_noutputs(const genc_graph *g);
/** True while a capture records on @p ctx (fast paths that compute on the host
 * check it and take their array path instead). */
bool genc_graph_capturing(const genc_ctx *ctx);
/**
 * The host read of a parameter check: genc_array_item(), except that inside a
 * capture a value the inputs determine is allowed and recorded as a guard
 * (see above). Use it for reads whose value only decides whether to fail.
 */
genc_status genc_graph_guard_item(genc_ctx *ctx, const genc_array *a, double *out);

/* ------------------------------------------------------------------ */
/* C numbers where arrays are expected                                 */
/* ------------------------------------------------------------------ */

/** Identity, for the _Generic dispatch below. */
static inline genc_array *genc__as_array_id(genc_ctx *ctx, genc_array *a) {
  (void)ctx;
  return a;
}
static inline genc_array *genc__as_array_d(genc_ctx *ctx, double v) {
  return genc_scalar_weak(ctx, v);
}
static inline genc_array *genc__as_array_i(genc_ctx *ctx, long long v) {
  return v >= INT32_MIN && v <= INT32_MAX ? genc_scalar_weak_i32(ctx, (int32_t)v)
                                          : genc_scalar_weak(ctx, (double)v);
}

#ifndef __cplusplus
/**
 * GENC_A(ctx, x): x as an array; a C double/float becomes a weak 0-d f64 array,
 * a C integer a weak 0-d i32 array (f64 if it does not fit).
 * The binary ops below are wrapped so that model code may write
 * `genc_mul(ctx, x, 2.0)`.
 */
#define GENC_A(ctx, x)                                                                             \
  _Generic((x),                                                                               \
      genc_array *: genc__as_array_id,                                                         \
      const genc_array *: genc__as_array_id,                                                   \
      double: genc__as_array_d,                                                                \
      float: genc__as_array_d,                                                                 \
      int: genc__as_array_i,                                                                   \
      long: genc__as_array_i,                                                                  \
      long long: genc__as_array_i)((ctx), (x))

#define genc_add(ctx, a, b) genc_add((ctx), GENC_A((ctx), (a)), GENC_A((ctx), (b)))
#define genc_sub(ctx, a, b) genc_sub((ctx), GENC_A((ctx), (a)), GENC_A((ctx), (b)))
#define genc_mul(ctx, a, b) genc_mul((ctx), GENC_A((ctx), (a)), GENC_A((ctx), (b)))
#define genc_div(ctx, a, b) genc_div((ctx), GENC_A((ctx), (a)), GENC_A((ctx), (b)))
#define genc_pow(ctx, a, b) genc_pow((ctx), GENC_A((ctx), (a)), GENC_A((ctx), (b)))
#define genc_maximum(ctx, a, b) genc_maximum((ctx), GENC_A((ctx), (a)), GENC_A((ctx), (b)))
#define genc_minimum(ctx, a, b) genc_minimum((ctx), GENC_A((ctx), (a)), GENC_A((ctx), (b)))
#define genc_atan2(ctx, a, b) genc_atan2((ctx), GENC_A((ctx), (a)), GENC_A((ctx), (b)))
#define genc_eq(ctx, a, b) genc_eq((ctx), GENC_A((ctx), (a)), GENC_A((ctx), (b)))
#define genc_ne(ctx, a, b) genc_ne((ctx), GENC_A((ctx), (a)), GENC_A((ctx), (b)))
#define genc_lt(ctx, a, b) genc_lt((ctx), GENC_A((ctx), (a)), GENC_A((ctx), (b)))
#define genc_le(ctx, a, b) genc_le((ctx), GENC_A((ctx), (a)), GENC_A((ctx), (b)))
#define genc_gt(ctx, a, b) genc_gt((ctx), GENC_A((ctx), (a)), GENC_A((ctx), (b)))
#define genc_ge(ctx, a, b) genc_ge((ctx), GENC_A((ctx), (a)), GENC_A((ctx), (b)))
#define genc_where(ctx, c, a, b)                                                                   \
  genc_where((ctx), GENC_A((ctx), (c)), GENC_A((ctx), (a)), GENC_A((ctx), (b)))
#endif

#ifdef __cplusplus
}
#endif
#endif
