/* Internals of the GFI layer shared by the files of src/gfi. Nothing here is public. */
#ifndef GENC_GFI_INTERNAL_H
#define GENC_GFI_INTERNAL_H

#include <stdatomic.h>

#include "genc/gfi.h"

struct genc_gf {
  _Atomic int32_t refs; /* atomic: one function may serve contexts on several threads */
  const genc_gf_type *type;
  char *name;
  int nargs;
  uint32_t arg_grads;
  genc_param_store *params;
  int64_t tile; /* particles per tile of a batched simulate/generate; 0: untiled */
  void *impl;
};

struct genc_trace {
  int32_t refs;
  genc_gf *gf;
  genc_ctx *ctx;
  int64_t n;
  genc_array *args[GENC_GF_MAX_ARGS];
  genc_array *retval, *score;
  genc_choicemap *choices; /* built lazily by genc_trace_choices */
  void *impl;
};

/* ---- dynamic traces: a flat table of sites with a hash on the component ---- */

enum { REC_CHOICE = 0, REC_CALL = 1 };

typedef struct dyn_rec {
  genc_comp addr;
  int kind;
  bool lp_host;           /* REC_CHOICE scored on the host: lpv holds it, lp is NULL */
  genc_array *value, *lp; /* REC_CHOICE */
  double lpv;
  genc_trace *sub; /* REC_CALL */
} dyn_rec;

typedef struct dyn_trace {
  int len, cap;
  dyn_rec *recs;
  int32_t *slots; /* open addressing over recs, -1 empty; 2 * cap entries */
} dyn_trace;

dyn_trace *genc__dyn_new(int cap);
void genc__dyn_free(void *impl);
/* index of the record at addr, or -1 */
int genc__dyn_find(const dyn_trace *d, genc_comp addr);
/* append a record (grows as needed); -1 on NOMEM, -2 if addr is already present */
int genc__dyn_push(dyn_trace *d, genc_comp addr);
/* A choice record's log density as an array (a new 0-d array if kept on the host). */
genc_array *genc__rec_lp(genc_ctx *ctx, const dyn_rec *r);

/* ---- score and weight accumulators ----
 * A single-trace run on the CPU with no tape keeps its sum as a host double
 * (no array op per choice); it switches to an array sum, flushing the host
 * part first, the moment a term cannot be read on the host. Terms are added in
 * visit order either way, so both give the same numbers. */
typedef struct gfi_acc {
  genc_array *a; /* array sum; NULL while the sum is on the host (or empty) */
  double h;      /* host sum, valid when has_h */
  bool has_h;
} gfi_acc;

/* acc += x (x NULL: false, error already set). */
bool genc__hacc_add(genc_ctx *ctx, gfi_acc *acc, genc_array *x);
/* acc -= x. */
bool genc__hacc_sub(genc_ctx *ctx, gfi_acc *acc, genc_array *x);
/* acc += v (sign -1: acc -= v) for a log density known on the host. */
bool genc__hacc_addv(genc_ctx *ctx, gfi_acc *acc, double v, int sign);
/* acc -= the log density of choice record r. */
bool genc__hacc_sub_rec(genc_ctx *ctx, gfi_acc *acc, const dyn_rec *r);
/* The sum as an array (NULL: empty, or an allocation error with the error set). */
genc_array *genc__hacc_get(genc_ctx *ctx, const gfi_acc *acc);

/* ---- the runtime handle ---- */

typedef enum rt_mode {
  MODE_SIMULATE,
  MODE_GENERATE,
  MODE_UPDATE,
  MODE_REGENERATE,
  MODE_ASSESS
} rt_mode;

struct genc_rt {
  genc_ctx *ctx;
  genc_gf *gf; /* the function whose body runs (changes for a root splice) */
  rt_mode mode;
  genc_key key;
  int64_t n;
  const genc_choicemap *cons; /* generate/update constraints, assess choices */
  const genc_selection *sel;  /* regenerate */
  const dyn_trace *old;       /* update/regenerate: old sites */
  dyn_trace *tr;              /* sites of this run */
  gfi_acc score, weight;      /* empty means 0 */
  int64_t cons_hit;           /* constraint entries visited */
  genc_choicemap *discard;    /* update */
  bool failed;
};

/* Run the body of the dynamic function @p gf for @p call in mode @p mode. */
genc_status genc__dyn_run(genc_ctx *ctx, genc_gf *gf, rt_mode mode, const genc_gfi_call *call,
                          genc_gfi_result *res);

/* Call the model of the dynamic function @p gf with @p rt (a root splice). */
genc_array *genc__dyn_body(genc_rt *rt, genc_gf *gf, genc_array *const *args);

/* acc = acc + x (acc NULL means 0). Returns false on error. */
bool genc__acc(genc_ctx *ctx, genc_array **acc, genc_array *x);
/* acc = acc - x. */
bool genc__acc_sub(genc_ctx *ctx, genc_array **acc, genc_array *x);
/* x, or a 0-d zero, broadcast to n particles when n > 0. */
genc_array *genc__per_particle(genc_ctx *ctx, genc_array *x, int64_t n);
/* Stable 64-bit hash of a component: FNV-1a of a symbol's name, mixed index otherwise. */
uint64_t genc__comp_hash(genc_comp c);
/* Fail with GENC_ERR_DOMAIN if x has a NaN or +inf element; what names the quantity. */
genc_status genc__check_weight(genc_ctx *ctx, genc_array *x, const char *gf, const char *what);

/* Parameter lookup used by genc_rt_param. */
genc_array *genc__param_lookup(genc_ctx *ctx, genc_param_store *ps, const char *name);
/* Watch every parameter of @p ps on the active tape (watch = true) or stop (false);
 * fills leaves[] (count returned) when watching. */
int genc__params_watch(genc_ctx *ctx, genc_param_store *ps, bool watch, genc_array **leaves,
                       int cap);
/* grad(i) += scale * g */
genc_status genc__param_add_grad(genc_ctx *ctx, genc_param_store *ps, int i, genc_array *g,
                                 double scale);

/* True if a batched simulate/generate call should run over tiles (tile.c). */
bool genc__tile_applies(const genc_gf *gf, const genc_gfi_call *c);
/* Run @p op over tiles of particles and join the traces and weights. */
genc_status genc__tile_run(genc_ctx *ctx, genc_gf *gf, genc_gfi_op op, const genc_gfi_call *call,
                           genc_gfi_result *res);

/* Default tile of new functions: enough particles that per-op overhead is
 * amortized, few enough that a body's temporaries stay in L2/L3 cache. */
#define GENC_DEFAULT_TILE 2048

extern const genc_gf_type genc__dynamic_type;

#endif
