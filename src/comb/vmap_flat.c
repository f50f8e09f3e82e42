/* The reshapes behind Vmap: a Vmap of T elements over n particles runs its
 * kernel once over n*T flat particles (particle i*T + j is element j of outer
 * particle i, docs/architecture.md, decision 2), and its values come back as arrays
 * with a leading logical axis of T elements (batched over n). */
#include "comb/vmap.h"

/* [N*T, rest...] from a shared [N, T, rest...] (or [N, rest...] with T inserted) */
static genc_array *merge_lead(genc_ctx *ctx, genc_array *a) {
  int nd = a ? genc_array_ndim(a) : 0;
  if (nd < 2) return NULL;
  int64_t shape[GENC_MAX_DIMS];
  const int64_t *s = genc_array_shape(a);
  shape[0] = s[0] * s[1];
  for (int i = 2; i < nd; i++)
    shape[i - 1] = s[i];
  return genc_reshape(ctx, a, nd - 1, shape);
}

genc_array *vm_flat(genc_ctx *ctx, genc_array *x, int64_t n, int64_t len, bool mapped) {
  if (!x) return NULL;
  bool b = genc_array_batched(x);
  if (!mapped && !b) return x; /* shared by every element of every particle */
  if (mapped && !b && n == 0) return genc_particle_from_axis(ctx, x);
  genc_array *a = b ? genc_particle_to_axis(ctx, x) : genc_expand_dims(ctx, x, 0);
  if (!mapped) a = genc_expand_dims(ctx, a, 1); /* the element axis, after the particles */
  if (!a) return NULL;
  int nd = genc_array_ndim(a);
  int64_t shape[GENC_MAX_DIMS];
  for (int i = 0; i < nd; i++)
    shape[i] = genc_array_shape(a)[i];
  shape[0] = n > 0 ? n : 1;
  shape[1] = len;
  a = genc_broadcast_to(ctx, a, nd, shape);
  return genc_particle_from_axis(ctx, merge_lead(ctx, a));
}

genc_array *vm_unflat(genc_ctx *ctx, genc_array *x, int64_t n, int64_t len) {
  if (!x) return NULL;
  if (!genc_array_batched(x)) { /* the same value at every element */
    genc_array *a = genc_expand_dims(ctx, x, 0);
    int nd = a ? genc_array_ndim(a) : 0;
    int64_t shape[GENC_MAX_DIMS];
    for (int i = 0; i < nd; i++)
      shape[i] = genc_array_shape(a)[i];
    shape[0] = len;
    return a ? genc_broadcast_to(ctx, a, nd, shape) : NULL;
  }
  genc_array *a = genc_particle_to_axis(ctx, x);
  if (n == 0 || !a) return a;
  int nd = genc_array_ndim(a);
  int64_t shape[GENC_MAX_DIMS];
  shape[0] = n;
  shape[1] = len;
  for (int i = 1; i < nd; i++)
    shape[i + 1] = genc_array_shape(a)[i];
  return genc_particle_from_axis(ctx, genc_reshape(ctx, a, nd + 1, shape));
}

genc_array *vm_sum(genc_ctx *ctx, genc_array *x, int64_t n, int64_t len) {
  return genc_sum(ctx, vm_unflat(ctx, x, n, len), 1, (int[]){0}, false);
}

typedef struct cm_conv {
  genc_ctx *ctx;
  genc_choicemap *out;
  int64_t n, len;
  bool flat;
} cm_conv;

static int conv_leaf(const genc_comp *path, int plen, genc_array *v, void *user) {
  cm_conv *c = user;
  genc_array *y =
      c->flat ? vm_flat(c->ctx, v, c->n, c->len, true) : vm_unflat(c->ctx, v, c->n, c->len);
  return genc_choicemap_set_path(c->ctx, c->out, path, plen, y) ? -1 : 0;
}

genc_status vm_convert_cm(genc_ctx *ctx, const genc_choicemap *cm, int64_t n, int64_t len,
                          bool flat, genc_choicemap *out) {
  cm_conv c = {ctx, out, n, len, flat};
  if (genc_choicemap_foreach(cm, conv_leaf, &c))
    return genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_ADDRESS;
  return GENC_OK;
}
