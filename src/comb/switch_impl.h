/* Switch internals shared by switch.c, switch_run.c, switch_trace.c and mask.c. Not public. */
#ifndef GENC_COMB_SWITCH_IMPL_H
#define GENC_COMB_SWITCH_IMPL_H

#include "comb/cb2.h"

/* Most branches of one Switch (fixed arrays keep the run state off the heap). */
#define SW_MAXK GENC_SWITCH_MAX_BRANCHES

typedef struct sw_gf {
  int k;
  bool mask; /* a Mask: branch 0 is "nothing"; a vectorized value is branch 1's */
  genc_gf *br[];
} sw_gf;

/* A Switch trace: the index and the sub-trace of the taken branch (shared
 * index, taken >= 0) or of every branch (batched index, taken == -1). */
typedef struct sw_trace {
  int k, taken;
  genc_array *index; /* 0-d i32, shared or batched */
  genc_trace *sub[];
} sw_trace;

/* What the branches' runs of one operation produced (references owned). */
typedef struct sw_runs {
  genc_trace *sub[SW_MAXK];
  genc_array *w[SW_MAXK];   /* the weight of each branch's particles (NULL: 0) */
  genc_array *ret[SW_MAXK]; /* assess: values */
  genc_choicemap *discard;
} sw_runs;

/* A Switch over @p k branches; @p mask makes it a Mask. Retains the branches. */
genc_gf *genc__switch_new(const char *name, int k, genc_gf *const *branches, bool mask);

void genc__sw_runs_clear(int k, sw_runs *r);
/* Fresh runs: the taken branch, or every branch for a batched index. */
genc_status genc__sw_run_one(genc_ctx *ctx, genc_gf *gf, cb2_op op, const genc_gfi_call *call,
                             int taken, sw_runs *r);
genc_status genc__sw_run_all(genc_ctx *ctx, genc_gf *gf, cb2_op op, const genc_gfi_call *call,
                             genc_array *idx, sw_runs *r);
/* Update/regenerate: shared old and new index, or vectorized (batched new index). */
genc_status genc__sw_edit_one(genc_ctx *ctx, genc_gf *gf, cb2_op op, const genc_gfi_call *call,
                              int taken, sw_runs *r);
genc_status genc__sw_edit_all(genc_ctx *ctx, genc_gf *gf, cb2_op op, const genc_gfi_call *call,
                              genc_array *idx, sw_runs *r);
/* Split a union constraint map into each branch's part (parts[] NULL when empty). */
genc_status genc__sw_split_cons(genc_ctx *ctx, genc_gf *gf, const genc_gfi_call *call, int64_t n,
                                genc_choicemap **parts);
/* Select per particle: vals[idx] (idx batched i32). */
genc_array *genc__sw_select(genc_ctx *ctx, genc_array *idx, int k, genc_array *const *vals);
/* Build the result (trace, weight, value, discard) from the runs. */
genc_status genc__sw_finish(genc_ctx *ctx, genc_gf *gf, cb2_op op, const genc_gfi_call *call,
                            genc_array *idx, int taken, sw_runs *r, genc_gfi_result *res);

genc_status genc__sw_project(genc_ctx *ctx, genc_gf *gf, const genc_gfi_call *call,
                             genc_gfi_result *res);
genc_trace *genc__sw_trace_map(genc_ctx *ctx, const genc_trace *t, genc_array_map_fn f, void *user,
                               int64_t n);
genc_status genc__sw_trace_choices(genc_ctx *ctx, const genc_trace *t, genc_choicemap *out);
void genc__sw_trace_free(void *impl);

#endif
