/* Selections: all, none, address sets (with hierarchical sub-selections),
 * complement, union, intersection. Nodes are reference counted and immutable
 * once shared; all and none are static. */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

static genc_selection sel_all = {.kind = GENC__SEL_ALL, .refs = -1};
static genc_selection sel_none = {.kind = GENC__SEL_NONE, .refs = -1};

genc_selection *genc_selection_all(void) { return &sel_all; }
genc_selection *genc_selection_none(void) { return &sel_none; }

genc_selection *genc_selection_retain(genc_selection *s) {
  if (s && s->refs >= 0) __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
  return s;
}

void genc_selection_release(genc_selection *s) {
  if (!s || s->refs < 0 || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) > 0) return;
  for (int64_t i = 0; i < s->ix.len; i++)
    genc_selection_release(s->kids[i]);
  genc__cidx_free(&s->ix);
  free(s->kids);
  genc_selection_release(s->a);
  genc_selection_release(s->b);
  free(s);
}

genc_selection *genc__sel_make(genc_ctx *ctx, genc__sel_kind k, genc_selection *a,
                               genc_selection *b) {
  genc_selection *s = calloc(1, sizeof *s);
  if (!s) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "selection: out of memory");
    return NULL;
  }
  s->kind = k;
  s->refs = 1;
  s->a = a;
  s->b = b;
  return s;
}

genc_selection *genc_selection_new(genc_ctx *ctx) {
  return genc__sel_make(ctx, GENC__SEL_SET, NULL, NULL);
}

/* ---- queries ---- */

bool genc_selection_is_all(const genc_selection *s) {
  if (!s) return false;
  switch (s->kind) {
  case GENC__SEL_ALL: return true;
  case GENC__SEL_SET: return s->a && genc_selection_is_all(s->a);
  case GENC__SEL_NOT: return genc_selection_is_none(s->a);
  case GENC__SEL_OR: return genc_selection_is_all(s->a) || genc_selection_is_all(s->b);
  case GENC__SEL_AND: return genc_selection_is_all(s->a) && genc_selection_is_all(s->b);
  default: return false; /* a finite set never covers every address */
  }
}

bool genc_selection_is_none(const genc_selection *s) {
  if (!s) return true;
  switch (s->kind) {
  case GENC__SEL_NONE: return true;
  case GENC__SEL_SET:
    for (int64_t i = 0; i < s->ix.len; i++)
      if (!genc_selection_is_none(s->kids[i])) return false;
    return genc_selection_is_none(s->a);
  case GENC__SEL_NOT: return genc_selection_is_all(s->a);
  case GENC__SEL_OR: return genc_selection_is_none(s->a) && genc_selection_is_none(s->b);
  case GENC__SEL_AND: return genc_selection_is_none(s->a) || genc_selection_is_none(s->b);
  default: return false;
  }
}

static const genc_selection *set_kid(const genc_selection *s, genc_comp c) {
  int64_t i = s->ix.len ? genc__cidx_find(&s->ix, c) : -1;
  return i < 0 ? &sel_none : s->kids[i];
}

bool genc_selection_has_path(const genc_selection *s, const genc_comp *path, int len) {
  if (!s) return false;
  switch (s->kind) {
  case GENC__SEL_ALL: return true;
  case GENC__SEL_NONE: return false;
  case GENC__SEL_SET:
    return (len > 0 && genc_selection_has_path(set_kid(s, path[0]), path + 1, len - 1)) ||
           (s->a && genc_selection_has_path(s->a, path, len));
  case GENC__SEL_NOT: return !genc_selection_has_path(s->a, path, len);
  case GENC__SEL_OR:
    return genc_selection_has_path(s->a, path, len) || genc_selection_has_path(s->b, path, len);
  case GENC__SEL_AND:
    return genc_selection_has_path(s->a, path, len) && genc_selection_has_path(s->b, path, len);
  }
  return false;
}

bool genc_selection_has(const genc_selection *s, genc_comp c) {
  return genc_selection_has_path(s, &c, 1);
}

/* ---- combinators (with simplification, so subselections rarely allocate) ---- */

static genc_selection *complement_own(genc_ctx *ctx, genc_selection *x) {
  if (!x) return NULL;
  if (genc_selection_is_all(x) || genc_selection_is_none(x)) {
    bool all = genc_selection_is_none(x);
    genc_selection_release(x);
    return all ? &sel_all : &sel_none;
  }
  if (x->kind == GENC__SEL_NOT) { /* !!y == y */
    genc_selection *y = genc_selection_retain(x->a);
    genc_selection_release(x);
    return y;
  }
  genc_selection *r = genc__sel_make(ctx, GENC__SEL_NOT, x, NULL);
  if (!r) genc_selection_release(x);
  return r;
}

/* Union (or) or intersection of two owned references. */
static genc_selection *binary_own(genc_ctx *ctx, genc__sel_kind k, genc_selection *x,
                                  genc_selection *y) {
  if (!x || !y) {
    genc_selection_release(x);
    genc_selection_release(y);
    return NULL;
  }
  bool (*absorb)(const genc_selection *) =
      k == GENC__SEL_OR ? genc_selection_is_all : genc_selection_is_none;
  bool (*unit)(const genc_selection *) =
      k == GENC__SEL_OR ? genc_selection_is_none : genc_selection_is_all;
  genc_selection *keep = NULL, *drop = NULL;
  if (absorb(x) || absorb(y)) {
    genc_selection_release(x);
    genc_selection_release(y);
    return k == GENC__SEL_OR ? &sel_all : &sel_none;
  }
  if (unit(x) || x == y)
    keep = y, drop = x;
  else if (unit(y))
    keep = x, drop = y;
  if (keep) {
    genc_selection_release(drop);
    return keep;
  }
  genc_selection *r = genc__sel_make(ctx, k, x, y);
  if (!r) {
    genc_selection_release(x);
    genc_selection_release(y);
  }
  return r;
}

static genc_status null_sel(genc_ctx *ctx, const char *fn) {
  return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: NULL selection", fn);
}

genc_selection *genc_selection_complement(genc_ctx *ctx, genc_selection *s) {
  if (!s) return null_sel(ctx, "genc_selection_complement"), NULL;
  return complement_own(ctx, genc_selection_retain(s));
}

genc_selection *genc_selection_union(genc_ctx *ctx, genc_selection *a, genc_selection *b) {
  if (!a || !b) return null_sel(ctx, "genc_selection_union"), NULL;
  return binary_own(ctx, GENC__SEL_OR, genc_selection_retain(a), genc_selection_retain(b));
}

genc_selection *genc_selection_intersection(genc_ctx *ctx, genc_selection *a, genc_selection *b) {
  if (!a || !b) return null_sel(ctx, "genc_selection_intersection"), NULL;
  return binary_own(ctx, GENC__SEL_AND, genc_selection_retain(a), genc_selection_retain(b));
}

genc_selection *genc_selection_sub(genc_ctx *ctx, const genc_selection *s, genc_comp c) {
  if (!s) return &sel_none;
  switch (s->kind) {
  case GENC__SEL_ALL:
  case GENC__SEL_NONE: return (genc_selection *)s;
  case GENC__SEL_SET: {
    genc_selection *k = genc_selection_retain((genc_selection *)set_kid(s, c));
    return s->a ? binary_own(ctx, GENC__SEL_OR, k, genc_selection_sub(ctx, s->a, c)) : k;
  }
  case GENC__SEL_NOT: return complement_own(ctx, genc_selection_sub(ctx, s->a, c));
  case GENC__SEL_OR:
  case GENC__SEL_AND:
    return binary_own(ctx, s->kind, genc_selection_sub(ctx, s->a, c),
                      genc_selection_sub(ctx, s->b, c));
  }
  return &sel_none;
}

genc_selection *genc__sel_union_own(genc_ctx *ctx, genc_selection *x, genc_selection *y) {
  return binary_own(ctx, GENC__SEL_OR, x, y);
}
