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

/* ---- dynamic traces: a flat table of sites with a hash on the address ----
 * A site at one component (GENC_TRACE) is keyed by that component. A site at a
 * longer path ("flip/3", genc_rt_trace_path) is keyed by a hash of its path
 * (genc__path_key: a symbol-tagged value no interned symbol reaches) and keeps
 * its components in the trace's arena; every proper prefix of such a path
 * holds a REC_NS marker record, so that a choice or a splice at "flip" and a
 * choice at "flip/1" collide in the table and are reported. */

enum { REC_CHOICE = 0, REC_CALL = 1, REC_NS = 2 };

typedef struct dyn_rec {
  genc_comp addr; /* the component (plen 1) or the path key (plen > 1) */
  int32_t plen;   /* components in the address */
  int32_t poff;   /* plen > 1: offset of the components in the arena */
  int kind;
  bool lp_host;           /* REC_CHOICE scored on the host: lpv holds it, lp is NULL */
  genc_array *value, *lp; /* REC_CHOICE */
  double lpv;
  genc_trace *sub; /* REC_CALL */
  /* REC_CHOICE: the distribution's type (its support, genc_trace_support) and,
   * for a GENC_SUPPORT_INTERVAL support only, the bound parameters (retained):
   * the hot path pays one pointer store. */
  const genc_dist_type *dist;
  genc_array *bound[2];
} dyn_rec;

typedef struct dyn_trace {
  int len, cap;
  dyn_rec *recs;
  int32_t *slots;   /* open addressing over recs, -1 empty; 2 * cap entries */
  genc_comp *arena; /* components of the multi-component addresses */
  int alen, acap;
} dyn_trace;

dyn_trace *genc__dyn_new(int cap);
/* dyn_new with room for @p arena components of nested addresses too. */
dyn_trace *genc__dyn_new2(int cap, int arena);
/* The address of record r as a path (*len components; r->addr itself for one). */
const genc_comp *genc__rec_path(const dyn_trace *d, const dyn_rec *r, int *len);
/* Key of a path of len >= 2 components in the site table. */
genc_comp genc__path_key(const genc_comp *path, int len);
/* index of the record at path (len >= 1), or -1 */
int genc__dyn_find_path(const dyn_trace *d, const genc_comp *path, int len);
/* append a record at path (len >= 2; no prefix markers); -1 NOMEM, -2 present */
int genc__dyn_push_path(dyn_trace *d, const genc_comp *path, int len);
/* key of a choice at path: the run's key folded with each component's hash */
genc_key genc__path_fold(genc_key key, const genc_comp *path, int len);
void genc__dyn_free(void *impl);
/* index of the record at addr, or -1 */
int genc__dyn_find(const dyn_trace *d, genc_comp addr);
/* append a record (grows as needed); -1 on NOMEM, -2 if addr is already present */
int genc__dyn_push(dyn_trace *d, genc_comp addr);
/* A choice record's log density as an array (a new 0-d array if kept on the host). */
genc_array *genc__rec_lp(genc_ctx *ctx, const dyn_rec *r);
/* trace_zip of dynamic traces (select.c). */
genc_trace *genc__dyn_trace_zip(genc_ctx *ctx, const genc_trace *a, const genc_trace *b,
                                genc_array_zip_fn f, void *user, int64_t n);

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
  genc_array *const *args;    /* the arguments of the body that runs */
  const genc_trace *from;     /* a proposal's source trace (genc_rt_from), or NULL */
  dyn_trace *tr;              /* sites of this run */
  gfi_acc score, weight;      /* empty means 0 */
  int64_t cons_hit;           /* constraint entries visited */
  genc_choicemap *discard;    /* update */
  bool failed;
};

/* The value a constraint @p c gives the choice of @p d at path (constrain.c):
 * c, or c converted to the site's float dtype; NULL with an error naming the
 * address, the distribution and both shapes when c does not fit the site. @p pv
 * non-NULL: the scalar fast path applies (a 0-d site). */
genc_array *genc__check_constraint(genc_rt *rt, const genc_comp *path, int len, const genc_dist *d,
                                   const double *pv, genc_array *c);

/* Entry check of an operation's arguments (values.c): true, with the context's
 * error cleared, when every one of gf's arguments is present; else false with
 * a message naming the model and the argument (an earlier op's error, the
 * usual cause of a NULL argument, is kept). */
bool genc__check_args(genc_ctx *ctx, const genc_gf *gf, genc_array *const *args);

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
/* A trace's arrays in trace_map's visiting order: trace_map with
 * genc__collect_fn appends each (NULL ones too) to a genc__collect (tile.c;
 * graph.c rebuilds a replayed trace in the same order). */
typedef struct genc__collect {
  genc_array **v;
  int len, cap;
} genc__collect;
genc_array *genc__collect_fn(genc_ctx *ctx, genc_array *x, void *user);
/* One tile's run for genc__tile_run_fn: call @p c (its n and key are the
 * tile's), results into @p r. */
typedef genc_status (*genc__tile_fn)(genc_ctx *ctx, genc_gf *gf, const genc_gfi_call *c,
                                     genc_gfi_result *r, void *user);
genc_status genc__tile_run_fn(genc_ctx *ctx, genc_gf *gf, genc__tile_fn fn, void *user,
                              const genc_gfi_call *call, genc_gfi_result *res);
/* Run @p op over tiles of particles and join the traces and weights. */
genc_status genc__tile_run(genc_ctx *ctx, genc_gf *gf, genc_gfi_op op, const genc_gfi_call *call,
                           genc_gfi_result *res);

/* Default tile of new functions: enough particles that per-op overhead is
 * amortized, few enough that a body's temporaries stay in L2/L3 cache. */
#define GENC_DEFAULT_TILE 2048

extern const genc_gf_type genc__dynamic_type;

#endif
