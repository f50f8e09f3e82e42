/* Choice-map algebra: copy, merge, equality. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

genc_status genc__cm_copy_into(genc_ctx *ctx, genc_choicemap *dst, const genc_choicemap *src) {
  if (src->value) return genc_choicemap_set_path(ctx, dst, NULL, 0, src->value);
  for (int64_t i = 0; i < src->ix.len; i++) {
    const genc_choicemap *k = &src->kids[i];
    genc_comp c = src->ix.keys[i];
    if (genc_choicemap_is_empty(k)) continue;
    genc_status st;
    if (k->value) {
      st = genc_choicemap_set(ctx, dst, c, k->value);
    } else {
      genc_choicemap *d = genc_choicemap_submap_mut(ctx, dst, c);
      st = d ? genc__cm_copy_into(ctx, d, k) : genc_ctx_status(ctx);
    }
    if (st) return st;
  }
  return GENC_OK;
}

genc_choicemap *genc_choicemap_copy(genc_ctx *ctx, const genc_choicemap *cm) {
  genc_choicemap *r = genc_choicemap_new(ctx);
  if (r && cm && genc__cm_copy_into(ctx, r, cm)) {
    genc_choicemap_free(r);
    return NULL;
  }
  return r;
}

static genc_status conflict(genc_ctx *ctx, genc_addr *p) {
  char a[512];
  genc_addr_format(p->comp, p->len, a, sizeof a);
  return genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                       "genc_choicemap_merge: address %s is in both maps (GENC_MERGE_DISJOINT "
                       "requires disjoint maps)",
                       p->len ? a : "(root)");
}

static genc_status merge_rec(genc_ctx *ctx, genc_choicemap *dst, const genc_choicemap *src,
                             genc_merge_mode mode, genc_addr *p) {
  if (genc_choicemap_is_empty(src)) return GENC_OK;
  bool disjoint = mode == GENC_MERGE_DISJOINT;
  if (src->value || dst->value) {
    if (disjoint && !genc_choicemap_is_empty(dst)) return conflict(ctx, p);
    if (src->value) {
      genc__cm_clear(dst);
      return genc_choicemap_set_path(ctx, dst, NULL, 0, src->value);
    }
    genc__cm_clear(dst); /* src's sub-map replaces dst's leaf */
  }
  if (p->len == GENC_ADDR_MAX)
    return genc_ctx_fail(ctx, GENC_ERR_ADDRESS, "genc_choicemap_merge: maps nest deeper than %d",
                         GENC_ADDR_MAX);
  for (int64_t i = 0; i < src->ix.len; i++) {
    genc_comp c = src->ix.keys[i];
    const genc_choicemap *sk = &src->kids[i];
    if (genc_choicemap_is_empty(sk)) continue;
    p->comp[p->len++] = c;
    const genc_choicemap *old = genc_choicemap_submap(dst, c);
    if (disjoint && !genc_choicemap_is_empty(old) && (old->value || sk->value))
      return conflict(ctx, p); /* checked before submap_mut turns a leaf into a map */
    genc_choicemap *dk = genc_choicemap_submap_mut(ctx, dst, c);
    genc_status st = dk ? merge_rec(ctx, dk, sk, mode, p) : genc_ctx_status(ctx);
    p->len--;
    if (st) return st;
  }
  return GENC_OK;
}

genc_status genc_choicemap_merge_into(genc_ctx *ctx, genc_choicemap *dst, const genc_choicemap *src,
                                      genc_merge_mode mode) {
  if (!dst) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_choicemap_merge_into: NULL destination");
  if (mode != GENC_MERGE_RIGHT && mode != GENC_MERGE_DISJOINT)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_choicemap_merge: unknown mode %d", (int)mode);
  genc_addr p = {0};
  return merge_rec(ctx, dst, src, mode, &p);
}

genc_choicemap *genc_choicemap_merge(genc_ctx *ctx, const genc_choicemap *a,
                                     const genc_choicemap *b, genc_merge_mode mode) {
  genc_choicemap *r = genc_choicemap_copy(ctx, a);
  if (r && genc_choicemap_merge_into(ctx, r, b, mode)) {
    genc_choicemap_free(r);
    return NULL;
  }
  return r;
}

double *genc__host_values(genc_ctx *ctx, const genc_array *a, int64_t *count) {
  int64_t np = genc_array_nparticles(a);
  int64_t n = genc_array_size(a) * (np ? np : 1);
  double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
  if (!v) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "choice map: out of memory reading a value");
    return NULL;
  }
  if (genc_array_copy_out(ctx, a, v, n)) {
    free(v);
    return NULL;
  }
  *count = n;
  return v;
}

/* 1 equal, 0 different, -1 error. */
static int values_equal(genc_ctx *ctx, const genc_array *a, const genc_array *b) {
  if (a == b) return 1;
  int nd = genc_array_ndim(a);
  if (genc_array_dtype(a) != genc_array_dtype(b) || nd != genc_array_ndim(b) ||
      genc_array_nparticles(a) != genc_array_nparticles(b) ||
      memcmp(genc_array_shape(a), genc_array_shape(b), (size_t)nd * sizeof(int64_t)))
    return 0;
  int64_t na = 0, nb = 0;
  double *va = genc__host_values(ctx, a, &na);
  double *vb = va ? genc__host_values(ctx, b, &nb) : NULL;
  int r = vb ? 1 : -1;
  for (int64_t i = 0; vb && i < na; i++)
    if (!(va[i] == vb[i] || (isnan(va[i]) && isnan(vb[i])))) r = 0;
  free(va);
  free(vb);
  return r;
}

static int64_t nonempty_children(const genc_choicemap *cm) {
  int64_t n = 0;
  for (int64_t i = 0; i < genc_choicemap_count(cm); i++)
    n += !genc_choicemap_is_empty(&cm->kids[i]);
  return n;
}

static int equal_rec(genc_ctx *ctx, const genc_choicemap *a, const genc_choicemap *b) {
  bool ea = genc_choicemap_is_empty(a), eb = genc_choicemap_is_empty(b);
  if (ea || eb) return ea == eb;
  if (a->value || b->value) return a->value && b->value ? values_equal(ctx, a->value, b->value) : 0;
  if (nonempty_children(a) != nonempty_children(b)) return 0;
  for (int64_t i = 0; i < a->ix.len; i++) {
    const genc_choicemap *ka = &a->kids[i];
    if (genc_choicemap_is_empty(ka)) continue;
    const genc_choicemap *kb = genc_choicemap_submap(b, a->ix.keys[i]);
    int r = kb ? equal_rec(ctx, ka, kb) : 0;
    if (r != 1) return r;
  }
  return 1;
}

bool genc_choicemap_equal(genc_ctx *ctx, const genc_choicemap *a, const genc_choicemap *b) {
  return equal_rec(ctx, a, b) == 1;
}
