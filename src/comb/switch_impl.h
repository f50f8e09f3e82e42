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
/* The addresses branch k visits: one batched simulate (in batched mode they
 * cannot depend on random values). */
genc_selection *genc__sw_branch_addrs(genc_ctx *ctx, const sw_gf *s, int k,
                                      const genc_gfi_call *call, int64_t n);

/* ---- index changes in update, Gen.jl's rule (switch_keep.c) ---- */
/* The addresses of t's choices. */
genc_selection *genc__sw_visited(genc_ctx *ctx, const genc_trace *t);
/* Every address but the constrained ones. */
genc_selection *genc__sw_unconstrained(genc_ctx *ctx, const genc_choicemap *cons);
/* The old choices a new branch keeps: @p old at visited, unconstrained addresses. */
genc_choicemap *genc__sw_kept(genc_ctx *ctx, const genc_choicemap *old, genc_selection *visited,
                              genc_selection *uncons);
/* The discard of a move: @p old at addresses not visited or constrained. */
genc_choicemap *genc__sw_move_discard(genc_ctx *ctx, const genc_choicemap *old,
                                      genc_selection *visited, const genc_choicemap *cons);
/* generate of @p branch with c->constraints merged with @p kept. */
genc_status genc__sw_generate_merged(genc_ctx *ctx, genc_gf *branch, const genc_gfi_call *c,
                                     const genc_choicemap *kept, genc_gfi_result *out);
/* Single-trace update moving @p old_trace to branch @p taken (@p c: the
 * branch's call, its constraints the update's): r->sub, w and discard. */
genc_status genc__sw_move_one(genc_ctx *ctx, genc_gf *gf, const genc_gfi_call *c, int taken,
                              int64_t n, const genc_trace *old_trace, sw_runs *r);

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
/* The trace_support entry: the taken branch answers (switch_support.c). */
genc_status genc__sw_trace_support(genc_ctx *ctx, const genc_trace *tr, const genc_comp *path,
                                   int len, genc_support_info *out);
void genc__sw_trace_free(void *impl);

#endif
