/* Choice-map algebra: copy, merge, equality. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

static genc_choicemap *kid(const genc_choicemap *cm, genc_comp c) {
  int64_t i = genc__cidx_find(&cm->ix, c);
  return i < 0 ? NULL : &cm->kids[i];
}

/* The walks below keep their position in heap frames instead of recursing:
 * maps built with set_submap can nest arbitrarily deep. */

typedef struct {
  const genc_choicemap *s; /* source node */
  genc_choicemap *d;       /* destination node */
  int64_t next;            /* next child of s to visit */
  genc_comp c;             /* component of s (and d) in their parents */
} copy_frame;

genc_status genc__cm_copy_into(genc_ctx *ctx, genc_choicemap *dst, const genc_choicemap *src) {
  if (src->value) return genc_choicemap_set_path(ctx, dst, NULL, 0, src->value);
  copy_frame buf[16], f = {src, dst, 0, 0};
  genc__stk st = GENC__STK(buf);
  genc_status rc = genc__stk_push(&st, &f) ? GENC_OK : GENC_ERR_NOMEM;
  copy_frame *t;
  while (!rc && (t = genc__stk_top(&st))) {
    if (t->next == t->s->ix.len) { /* done: prune it if nothing landed below */
      copy_frame done;
      genc__stk_pop(&st, &done);
      t = genc__stk_top(&st);
      if (t && genc__cm_bare(done.d)) genc_choicemap_remove(t->d, done.c);
      continue;
    }
    genc_comp c;
    const genc_choicemap *k = genc__cm_slot(t->s, t->next++, &c);
    if (!k || genc__cm_bare(k)) continue;
    if (k->value) {
      rc = genc_choicemap_set(ctx, t->d, c, k->value);
    } else {
      copy_frame g = {k, genc_choicemap_submap_mut(ctx, t->d, c), 0, c};
      rc = !g.d ? genc_ctx_status(ctx) : genc__stk_push(&st, &g) ? GENC_OK : GENC_ERR_NOMEM;
    }
  }
  genc__stk_free(&st);
  if (rc == GENC_ERR_NOMEM && !genc_ctx_status(ctx))
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "choice map copy: out of memory");
  return rc;
}

genc_choicemap *genc_choicemap_copy(genc_ctx *ctx, const genc_choicemap *cm) {
  genc_choicemap *r = genc_choicemap_new(ctx);
  if (r && cm && genc__cm_copy_into(ctx, r, cm)) {
    genc_choicemap_free(r);
    return NULL;
  }
  return r;
}

typedef struct {
  genc_choicemap *d, *s; /* destination node, source node (owned copy) */
  int64_t next;
  genc_comp c;
} merge_frame;

/* The address of frames [0, n) plus c, for messages ("(root)" if empty). */
static genc_status conflict(genc_ctx *ctx, const genc__stk *st, genc_comp c, bool with_c) {
  genc_addr p = {0};
  const merge_frame *fr = (const merge_frame *)st->p;
  for (int64_t i = 1; i < st->n && p.len < GENC_ADDR_MAX; i++)
    p.comp[p.len++] = fr[i].c;
  if (with_c && p.len < GENC_ADDR_MAX) p.comp[p.len++] = c;
  char a[512];
  genc_addr_format(p.comp, p.len, a, sizeof a);
  return genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                       "genc_choicemap_merge: address %s%s is in both maps (GENC_MERGE_DISJOINT "
                       "requires disjoint maps)",
                       p.len ? a : "(root)", p.len == GENC_ADDR_MAX ? "/..." : "");
}

/* Move the node s (of an owned copy) into the empty slot d. */
static void move_node(genc_choicemap *d, genc_choicemap *s) {
  bool dv = d->view, sv = s->view;
  genc__cm_clear(d);
  *d = *s;
  d->view = dv;
  memset(s, 0, sizeof *s);
  s->view = sv;
}

/* Merge the owned copy src (no empty sub-maps: copies prune them) into dst,
 * moving its nodes over where dst has nothing. */
static genc_status merge_owned(genc_ctx *ctx, genc_choicemap *dst, genc_choicemap *src,
                               genc_merge_mode mode) {
  bool disjoint = mode == GENC_MERGE_DISJOINT;
  merge_frame buf[16], f = {dst, src, 0, 0};
  genc__stk st = GENC__STK(buf);
  genc_status rc = GENC_OK;
  if (src->value || dst->value) {
    if (disjoint && !genc_choicemap_is_empty(dst)) return conflict(ctx, &st, 0, false);
    move_node(dst, src); /* right wins: src replaces dst whole */
    return GENC_OK;
  }
  if (!genc__stk_push(&st, &f)) rc = GENC_ERR_NOMEM;
  merge_frame *t;
  while (!rc && (t = genc__stk_top(&st))) {
    if (t->next == t->s->ix.len) {
      genc__stk_pop(&st, NULL);
      continue;
    }
    genc_comp c;
    genc_choicemap *sk = genc__cm_slot(t->s, t->next++, &c);
    if (!sk || genc__cm_bare(sk)) continue;
    genc_choicemap *old = kid(t->d, c);
    if (!old || genc__cm_bare(old)) {
      genc_choicemap *dk = old ? old : genc_choicemap_submap_mut(ctx, t->d, c);
      if (!dk)
        rc = genc_ctx_status(ctx);
      else
        move_node(dk, sk);
    } else if (sk->value || old->value) {
      if (disjoint && (old->value || !genc_choicemap_is_empty(old)))
        rc = conflict(ctx, &st, c, true);
      else
        move_node(old, sk);
    } else {
      merge_frame g = {old, sk, 0, c};
      if (!genc__stk_push(&st, &g)) rc = GENC_ERR_NOMEM;
    }
  }
  genc__stk_free(&st);
  if (rc == GENC_ERR_NOMEM && !genc_ctx_status(ctx))
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_choicemap_merge: out of memory");
  return rc;
}

genc_status genc_choicemap_merge_into(genc_ctx *ctx, genc_choicemap *dst, const genc_choicemap *src,
                                      genc_merge_mode mode) {
  if (!dst) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_choicemap_merge_into: NULL destination");
  if (mode != GENC_MERGE_RIGHT && mode != GENC_MERGE_DISJOINT)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_choicemap_merge: unknown mode %d", (int)mode);
  if (src == dst && mode == GENC_MERGE_RIGHT) return GENC_OK; /* a right-wins no-op */
  /* merge a snapshot: src may alias dst or a part of it, and the snapshot has
   * no empty sub-maps, so the walk never needs to look below a child */
  genc_choicemap *tmp = genc_choicemap_copy(ctx, src);
  if (!tmp) return genc_ctx_status(ctx);
  genc_status st = genc__cm_bare(tmp) ? GENC_OK : merge_owned(ctx, dst, tmp, mode);
  genc_choicemap_free(tmp);
  return st;
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

typedef struct {
  const genc_choicemap *a, *b; /* b: the node at the same address in b, or NULL */
  int64_t next;
} eq_frame;

/* Every value of a has an equal value at the same address of b: 1, 0, or -1
 * on a read error. With equal value counts that is equality (the addresses of
 * values are prefix-free, so an injection between equal-sized sets is onto). */
static int values_in(genc_ctx *ctx, const genc_choicemap *a, const genc_choicemap *b) {
  eq_frame buf[16], f = {a, b, 0};
  genc__stk st = GENC__STK(buf);
  int r = genc__stk_push(&st, &f) ? 1 : -1;
  eq_frame *t;
  while (r == 1 && (t = genc__stk_top(&st))) {
    if (t->next == t->a->ix.len) {
      genc__stk_pop(&st, NULL);
      continue;
    }
    genc_comp c;
    const genc_choicemap *ka = genc__cm_slot(t->a, t->next++, &c);
    if (!ka || genc__cm_bare(ka)) continue;
    const genc_choicemap *kb = t->b ? kid(t->b, c) : NULL;
    if (ka->value) {
      r = kb && kb->value ? values_equal(ctx, ka->value, kb->value) : 0;
    } else {
      eq_frame g = {ka, kb && !kb->value ? kb : NULL, 0};
      if (!genc__stk_push(&st, &g)) r = -1;
    }
  }
  genc__stk_free(&st);
  if (r < 0 && !genc_ctx_status(ctx))
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_choicemap_equal: out of memory");
  return r;
}

bool genc_choicemap_equal(genc_ctx *ctx, const genc_choicemap *a, const genc_choicemap *b) {
  int64_t na = genc_choicemap_num_values(a), nb = genc_choicemap_num_values(b);
  if (na < 0 || nb < 0) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_choicemap_equal: out of memory");
    return false;
  }
  if (na != nb) return false;
  if (na == 0) return true;
  if (a->value || b->value)
    return a->value && b->value && values_equal(ctx, a->value, b->value) == 1;
  return values_in(ctx, a, b) == 1;
}
