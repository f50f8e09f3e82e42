/*
 * Array internals shared by the files of src/array/ (and, read-only, by layers
 * that need the struct: random, dist). Nothing here is public.
 */
#ifndef GENC_ARRAY_INTERNAL_H
#define GENC_ARRAY_INTERNAL_H

#include <stdarg.h>
#include <string.h>

#include "backend/backend.h"
#include "genc/array.h"

struct genc_node;

struct genc_array {
  genc_ctx *ctx;
  int32_t refs;
  uint8_t dtype;
  uint8_t ndim;
  uint8_t weak; /* C number: dtype yields in binary ops */
  int64_t n;    /* particles; 0 = shared */
  int64_t size; /* logical elements */
  int64_t shape[GENC_MAX_DIMS];
  void *data;             /* backend memory, max(n,1) * size elements */
  size_t bytes;           /* allocated bytes of data */
  struct genc_node *node; /* tape node while a tape records */
  genc_array *next_free;
  /* graph capture (capture.c): gval means something only while gcap equals
   * the running capture's serial (ctx->cap_serial); genc__alloc stamps every
   * array with ctx->cap_serial and gval 0, so nothing needs resetting after */
  uint32_t gcap;
  int32_t gval; /* 0: unmarked; > 0: capture value id + 1; -1: a constant */
  /* hcopy: hval holds data's bytes (8 or fewer), so host reads skip the
   * device. A compiled replay that waits for its guard check anyway brings
   * small outputs back with that one synchronization (exec_cuda.c); arrays
   * never change after they are made, so the copy stays true. */
  uint8_t hcopy;
  uint64_t hval;
};

/* Parameters of a recorded op: enough to replay it (graph capture) and to
 * compute its vjp. One struct for every primitive keeps the tape flat. */
typedef struct genc_params {
  int op;
  int axis;
  int naxes;
  int axes[GENC_MAX_DIMS];
  int ndim;
  int64_t shape[GENC_MAX_DIMS];
  int64_t i[4];
  double f;
  bool flag, flag2;
} genc_params;

typedef struct genc_node genc_node;

/* A primitive: the one place that knows how to compute an op and its vjp. */
typedef struct genc_prim {
  const char *name;
  /* compute the output from inputs; validate nothing the public op checked */
  genc_array *(*forward)(genc_ctx *ctx, genc_array *const *in, const genc_params *p);
  /* cotangents of the inputs from the output cotangent (NULL entries: none);
   * NULL vjp: not differentiable (zero gradient) */
  genc_status (*vjp)(genc_ctx *ctx, const genc_node *nd, genc_array *cot, genc_array **in_cot);
} genc_prim;

#define GENC_MAX_INPUTS 4

struct genc_node {
  const genc_prim *prim; /* NULL for a watched leaf */
  int nin;
  genc_array *in[GENC_MAX_INPUTS];
  genc_array *out;
  genc_params p;
  genc_array *cot; /* accumulated cotangent during backward */
};

typedef struct genc_tape {
  genc_node **nodes;
  int64_t len, cap;
} genc_tape;

#define GENC_NBUCKETS 48

struct genc_ctx {
  const genc_backend *bk;
  void *bst;
  genc_status status;
  char msg[1024];
  /* scope registry: every array made holds one reference here */
  genc_array **reg;
  int64_t reg_len, reg_cap;
  int scope_depth;
  /* genc__alloc fails once reg_len reaches this: the user's live_array_limit
   * while no scope is open, INT64_MAX otherwise (one compare per array) */
  int64_t reg_limit, live_limit;
  /* recycled array headers */
  genc_array *free_arrays;
  int64_t live_bytes, live_arrays;
  /* name of the op running (set by genc__dispatch and the creation
   * functions), so that genc__alloc's errors name it; NULL outside ops */
  const char *op;
  /* autodiff */
  genc_tape *tape;
  bool no_record; /* set while backpropagating */
  /* graph capture (capture.c): the running capture (NULL: none), its serial
   * (0 when none: what genc__alloc stamps), the depth of primitive forwards
   * running (only ops at depth 0 are recorded) and the last serial used */
  struct genc_capture *capture;
  uint32_t cap_serial, cap_last;
  int cap_depth;
};

/* ---- helpers used across src/array ---- */

/* Allocate an uninitialized array registered in the current scope. */
genc_array *genc__alloc(genc_ctx *ctx, genc_dtype dt, int ndim, const int64_t *shape, int64_t n);
/* genc__alloc(ctx, dt, 0, NULL, 0) for a creation function: its errors name
 * ctx->op, else op. Cheaper: the common case has no shape to check. */
genc_array *genc__alloc_scalar(genc_ctx *ctx, const char *op, genc_dtype dt);
/* Largest array buffer genc asks a backend for: 2^47 bytes (128 TiB), the
 * user address space of x86-64 and more than any GPU holds. Larger requests
 * fail with GENC_ERR_NOMEM before the allocator sees them. */
#define GENC_MAX_ALLOC_BYTES ((int64_t)1 << 47)
/* Elements of a shape of ndim dims over n particles (n == 0: shared) and
 * bytes of dtype dt; false on overflow or over GENC_MAX_ALLOC_BYTES (shape
 * entries must be >= 0). Every size the array layer allocates is planned
 * through it. */
bool genc__plan_size(genc_dtype dt, int ndim, const int64_t *shape, int64_t n, int64_t *size,
                     size_t *bytes);
/* Record GENC_ERR_NOMEM for an array too large to allocate, naming ctx->op
 * (or @p op when not NULL), the shape and the particle count. */
void genc__fail_too_large(genc_ctx *ctx, const char *op, genc_dtype dt, int ndim,
                          const int64_t *shape, int64_t n);
/* Run a public creation function under its name: genc__alloc's errors name it. */
static inline const char *genc__op_enter(genc_ctx *ctx, const char *op) {
  const char *old = ctx->op;
  ctx->op = op;
  return old;
}
/* Same shape/particles as @p like with dtype @p dt. */
genc_array *genc__alloc_like(genc_ctx *ctx, const genc_array *like, genc_dtype dt);
/* Physical element count. */
static inline int64_t genc__numel(const genc_array *a) { return (a->n ? a->n : 1) * a->size; }
static inline size_t genc__esize(genc_dtype dt) {
  return dt == GENC_F64 ? 8 : dt == GENC_BOOL ? 1 : 4;
}
static inline bool genc__is_float(genc_dtype dt) { return dt == GENC_F64 || dt == GENC_F32; }

/* The dispatch point: run prim->forward and, if a tape records and an input is
 * tracked, record the node. Every op goes through here. */
genc_array *genc__dispatch(genc_ctx *ctx, const genc_prim *prim, int nin, genc_array *const *in,
                           const genc_params *p);
/* The tape half of genc__dispatch: record out if a tape records and an input
 * is tracked (out is returned, or NULL on failure). */
genc_array *genc__tape_record(genc_ctx *ctx, const genc_prim *prim, int nin, genc_array *const *in,
                              const genc_params *p, genc_array *out);

/* Graph capture (capture.c). genc__dispatch calls genc__capture_dispatch
 * while a capture runs; it runs the forward and records the op. */
genc_array *genc__capture_dispatch(genc_ctx *ctx, const genc_prim *prim, int nin,
                                   genc_array *const *in, const genc_params *p);
/* Record an op whose output the caller computed (tape_watch's copy). */
genc_array *genc__capture_record(genc_ctx *ctx, const genc_prim *prim, int nin,
                                 genc_array *const *in, const genc_params *p, genc_array *out);
/* An op set a's weak flag after its dispatch (genc_unary): the graph's record
 * of a follows, so that a replay gives it the same flag. */
void genc__capture_weak(genc_ctx *ctx, genc_array *a);
/* Mark an array a creation function made from host data as a constant. */
static inline genc_array *genc__capture_const(genc_ctx *ctx, genc_array *a) {
  if (a && ctx->capture) a->gval = -1;
  return a;
}
/* A host read (genc_array_item and friends, named fn) of a; under a capture,
 * a value the inputs determine refuses the capture (GENC_ERR_CAPTURE). */
genc_status genc__capture_read(genc_ctx *ctx, const genc_array *a, const char *fn);
static inline genc_status genc__host_read_ok(genc_ctx *ctx, const genc_array *a, const char *fn) {
  return ctx->capture && a ? genc__capture_read(ctx, a, fn) : GENC_OK;
}
/* The host read of a parameter check: genc_array_item, except that under a
 * capture a value the inputs determine is read and recorded as a guard, which
 * a replay reads again (and refuses with GENC_ERR_CAPTURE if it changed). */
genc_status genc__guard_item(genc_ctx *ctx, const genc_array *a, double *out);
static inline bool genc__capturing(const genc_ctx *ctx) { return ctx && ctx->capture; }

/* Format a shape as "[2, 3]" (with "N x " for batched) into buf. */
const char *genc__shape_str(const genc_array *a, char *buf, size_t cap);
/* Normalize a (possibly negative) axis against ndim; -1 and an error if bad. */
int genc__axis(genc_ctx *ctx, const char *op, int axis, int ndim);
/* Check inputs non-NULL and of one context; returns false (error set if needed). */
bool genc__check_in(genc_ctx *ctx, const char *op, int n, genc_array *const *in);
/* Particle count of the result of combining arrays, or -1 with an error. */
int64_t genc__join_particles(genc_ctx *ctx, const char *op, int n, genc_array *const *in);
/* Broadcast logical shapes; false with an error naming op and shapes. */
bool genc__broadcast_shapes(genc_ctx *ctx, const char *op, int n, genc_array *const *in, int *ndim,
                            int64_t *shape);
/* The uninitialized output (dtype odt) of an elementwise op of n inputs: the
 * joined particle count and broadcast shape, or NULL with an error naming name. */
genc_array *genc__nary_out(genc_ctx *ctx, const char *name, int n, genc_array *const *in,
                           genc_dtype odt);
/* Build the collapsed iteration space of out against up to 3 inputs. */
void genc__bcast_plan(const genc_array *out, int nin, const genc_array *const *in, genc_bcast *g);
/* Convert dtype (no tape). */
genc_array *genc__cast_raw(genc_ctx *ctx, genc_array *x, genc_dtype dt);
/* Elementwise log N(x; mu, sigma), broadcast, in one pass (src/array/fused.c);
 * differentiable in all three. Parameters are not checked here. */
genc_array *genc__normal_logpdf(genc_ctx *ctx, genc_array *x, genc_array *mu, genc_array *sigma);
/* dz/da of gamma draws z ~ Gamma(a, 1) along their quantile (implicit
 * reparameterization; d log z / da of log-gamma draws if lg), elementwise,
 * broadcast: the vjp of the gamma samplers (src/array/fused.c). */
genc_array *genc__gamma_sample_grad(genc_ctx *ctx, genc_array *z, genc_array *alpha, bool lg);
/* Per matrix of a [..., n, n] array: true where it is positive definite (its
 * Cholesky factorization, which reads the lower triangle, succeeds with finite
 * entries). Not differentiable; never an error for a matrix that is not. */
genc_array *genc__pd_mask(genc_ctx *ctx, genc_array *a);
/* Sum cot down to the shape/particles of like (vjp of broadcasting). */
genc_array *genc__unbroadcast(genc_ctx *ctx, genc_array *cot, const genc_array *like);
/* Row-major strides of the physical shape (particle axis first). */
void genc__phys_shape(const genc_array *a, int *pndim, int64_t *pshape);

#endif
