/* Vmap internals shared by vmap.c and vmap_flat.c. */
#ifndef GENC_COMB_VMAP_H
#define GENC_COMB_VMAP_H

#include "genc.h"

typedef struct vmap_gf {
  genc_gf *kernel;
  uint32_t mapped; /* bit j: argument j is mapped over its leading axis */
  int64_t count;   /* elements when no argument is mapped (Repeat) */
} vmap_gf;

/* A Vmap trace: the kernel's trace over n*T (T when single) flat particles. */
typedef struct vmap_trace {
  genc_trace *inner;
  int64_t len;
} vmap_trace;

/* An argument or choice for the flat kernel run: a mapped array [T, ...]
 * (batched over n or shared) becomes batched over max(n,1)*T particles of
 * shape [...]; an unmapped batched one is repeated for each element; an
 * unmapped shared one is returned as is. */
genc_array *vm_flat(genc_ctx *ctx, genc_array *x, int64_t n, int64_t len, bool mapped);
/* The inverse: a flat array back to [T, ...] batched over n (n == 0: shared). A
 * shared array (the same at every element) is broadcast to [T, ...]. */
genc_array *vm_unflat(genc_ctx *ctx, genc_array *x, int64_t n, int64_t len);
/* Sum a flat 0-d array (scores, weights) over the elements: per outer particle. */
genc_array *vm_sum(genc_ctx *ctx, genc_array *x, int64_t n, int64_t len);
/* Write every leaf of @p cm, flattened (flat) or unflattened, into @p out. */
genc_status vm_convert_cm(genc_ctx *ctx, const genc_choicemap *cm, int64_t n, int64_t len,
                          bool flat, genc_choicemap *out);

/* The trace type's entries (vmap_trace.c). */
genc_status vm_project(genc_ctx *ctx, genc_gf *gf, const genc_gfi_call *call, genc_gfi_result *res);
genc_status vm_trace_choices(genc_ctx *ctx, const genc_trace *t, genc_choicemap *out);
genc_status vm_trace_support(genc_ctx *ctx, const genc_trace *t, const genc_comp *path, int len,
                             genc_support_info *out);
genc_trace *vm_trace_map(genc_ctx *ctx, const genc_trace *t, genc_array_map_fn f, void *user,
                         int64_t n);
void vm_trace_free(void *impl);
void vm_gf_free(void *impl);

#endif
