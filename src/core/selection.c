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

/* Free a node whose count reached zero, then its parts whose counts do, from a
 * heap stack: a chain of 30,000 unions must not recurse 30,000 deep. */
void genc_selection_release(genc_selection *s) {
  if (!s || s->refs < 0 || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) > 0) return;
  genc_selection *buf[16];
  genc__stk st = GENC__STK(buf);
  do {
    for (int64_t i = -2; i < s->ix.len; i++) {
      genc_selection *p = i == -2 ? s->a : i == -1 ? s->b : s->kids[i];
      if (!p || p->refs < 0 || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) > 0) continue;
      if (!genc__stk_push(&st, &p)) { /* out of memory: recurse for this one */
        p->refs = 1;
        genc_selection_release(p);
      }
    }
    genc__cidx_free(&s->ix);
    free(s->kids);
    free(s);
  } while (genc__stk_pop(&st, &s));
  genc__stk_free(&st);
}

static bool eval(const genc_selection *s, int q, const genc_comp *path, int len);

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
  /* operators are immutable: answer is_all / is_none once, so that queries
   * and further operators on them cost O(1), not a walk */
  if (k == GENC__SEL_NOT) {
    s->c_all = genc_selection_is_none(a);
    s->c_none = genc_selection_is_all(a);
  } else if (k == GENC__SEL_OR || k == GENC__SEL_AND) {
    bool aa = genc_selection_is_all(a), ba = genc_selection_is_all(b);
    bool an = genc_selection_is_none(a), bn = genc_selection_is_none(b);
    s->c_all = k == GENC__SEL_OR ? aa || ba : aa && ba;
    s->c_none = k == GENC__SEL_OR ? an && bn : an || bn;
  }
  return s;
}

genc_selection *genc_selection_new(genc_ctx *ctx) {
  return genc__sel_make(ctx, GENC__SEL_SET, NULL, NULL);
}

/* ---- queries ---- */

/* is_all, is_none and has are evaluated as and/or trees over the nodes from
 * a heap stack of frames, short-circuiting like && and ||. */
enum { Q_ALL, Q_NONE, Q_HAS };

typedef struct {
  const genc_selection *s;
  int q, off;   /* query, and for Q_HAS the path offset */
  bool or, neg; /* combine children with || (else &&); negate the result */
  int64_t next; /* next child */
} qframe;

static const genc_selection *set_kid(const genc_selection *s, genc_comp c);

/* Fill in how frame f combines, or answer it directly (0 / 1); -1: expand. */
static int expand(qframe *f) {
  const genc_selection *s = f->s;
  if (!s) return f->q == Q_NONE;
  f->or = false;
  f->neg = false;
  f->next = 0;
  switch (s->kind) {
  case GENC__SEL_ALL: return f->q != Q_NONE;
  case GENC__SEL_NONE: return f->q == Q_NONE;
  case GENC__SEL_SET:
    if (f->q == Q_ALL && !s->a) return 0; /* a finite set never covers every address */
    f->or = f->q == Q_HAS;
    return -1;
  case GENC__SEL_NOT:
  case GENC__SEL_OR:
  case GENC__SEL_AND:
    if (f->q != Q_HAS) return f->q == Q_ALL ? s->c_all : s->c_none;
    f->neg = s->kind == GENC__SEL_NOT;
    f->or = s->kind == GENC__SEL_OR;
    return -1;
  }
  return 0;
}

/* The next child query of f into *g; false when there is none left. */
static bool child(qframe *f, qframe *g, const genc_comp *path, int len) {
  const genc_selection *s = f->s;
  *g = (qframe){.q = f->q, .off = f->off};
  while (true) {
    int64_t i = f->next++;
    if (s->kind != GENC__SEL_SET) {
      if (i > (s->kind == GENC__SEL_NOT ? 0 : 1)) return false;
      g->s = i ? s->b : s->a;
      return true;
    }
    if (f->q == Q_ALL) { /* all below the root only via the root extra */
      if (i > 0 || !s->a) return false;
      g->s = s->a;
      return true;
    }
    if (f->q == Q_NONE) {
      if (i < s->ix.len)
        g->s = s->kids[i];
      else if (i == s->ix.len && s->a)
        g->s = s->a;
      else
        return false;
      return true;
    }
    if (i == 0) { /* has: the child at path[off] ... */
      if (f->off >= len) continue;
      g->s = set_kid(s, path[f->off]);
      g->off = f->off + 1;
      return true;
    }
    if (i > 1 || !s->a) return false; /* ... or the root extra */
    g->s = s->a;
    return true;
  }
}

static bool eval(const genc_selection *s, int q, const genc_comp *path, int len) {
  qframe buf[16], f = {.s = s, .q = q};
  genc__stk st = GENC__STK(buf);
  int r = expand(&f);
  if (r < 0 && !genc__stk_push(&st, &f)) r = 0; /* out of memory: "no" */
  qframe *t;
  while (r < 0 || st.n) {
    t = genc__stk_top(&st);
    if (r >= 0) { /* a child's answer arrives at t */
      if ((bool)r != t->or) {
        qframe g;
        if (child(t, &g, path, len)) {
          r = expand(&g);
          if (r < 0 && !genc__stk_push(&st, &g)) {
            r = 0;
            break;
          }
          continue;
        }
      }
      r = (r != 0) != t->neg; /* short-circuited, or the last child's answer */
      genc__stk_pop(&st, NULL);
      continue;
    }
    /* a fresh frame: ask its first child, or answer the empty and / or */
    qframe g;
    if (child(t, &g, path, len)) {
      r = expand(&g);
      if (r < 0 && !genc__stk_push(&st, &g)) {
        r = 0;
        break;
      }
    } else {
      r = (!t->or) != t->neg;
      genc__stk_pop(&st, NULL);
    }
  }
  genc__stk_free(&st);
  return r > 0;
}

bool genc_selection_is_all(const genc_selection *s) { return s && eval(s, Q_ALL, NULL, 0); }

bool genc_selection_is_none(const genc_selection *s) { return !s || eval(s, Q_NONE, NULL, 0); }

static const genc_selection *set_kid(const genc_selection *s, genc_comp c) {
  int64_t i = s->ix.len ? genc__cidx_find(&s->ix, c) : -1;
  return i < 0 ? &sel_none : s->kids[i];
}

bool genc_selection_has_path(const genc_selection *s, const genc_comp *path, int len) {
  if (!s || len < 0 || (len > 0 && !path)) return false;
  /* The common case, a walk down address sets with no root extras, needs no
   * frame stack: has(set, p) is has(kid at p[0], p[1..]) there. The first
   * node that is not such a set gets the general walk with the rest of path. */
  int off = 0;
  while (s && s->kind == GENC__SEL_SET && !s->a) {
    if (off >= len) return false;
    s = set_kid(s, path[off++]);
  }
  if (!s || s->kind == GENC__SEL_NONE) return false;
  if (s->kind == GENC__SEL_ALL) return true;
  return eval(s, Q_HAS, off ? path + off : path, len - off);
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

typedef struct {
  const genc_selection *s;
  int stage;         /* parts asked for so far */
  genc_selection *r; /* the first part's answer (owned) */
} sframe;

/* One step of sub for frame f, given the answer x (owned) of its last part:
 * returns the node's answer (stage set to -1), or asks for a part (*ask). */
static genc_selection *sub_step(genc_ctx *ctx, sframe *f, genc_comp c, genc_selection *x,
                                const genc_selection **ask) {
  const genc_selection *s = f->s;
  int stage = f->stage++;
  *ask = NULL;
  switch (s->kind) {
  case GENC__SEL_ALL:
  case GENC__SEL_NONE: break;
  case GENC__SEL_SET:
    if (stage == 0) {
      genc_selection *k = genc_selection_retain((genc_selection *)set_kid(s, c));
      if (!s->a) return f->stage = -1, k;
      f->r = k;
      *ask = s->a;
      return NULL;
    }
    return f->stage = -1, binary_own(ctx, GENC__SEL_OR, f->r, x);
  case GENC__SEL_NOT:
    if (stage == 0) return *ask = s->a, NULL;
    return f->stage = -1, complement_own(ctx, x);
  case GENC__SEL_OR:
  case GENC__SEL_AND:
    if (stage == 0) return *ask = s->a, NULL;
    if (stage == 1) return f->r = x, *ask = s->b, NULL;
    return f->stage = -1, binary_own(ctx, s->kind, f->r, x);
  }
  f->stage = -1;
  return (genc_selection *)s;
}

/* Post-order over a heap stack of frames, so deep operator chains cost no C
 * stack; a failed part (NULL) propagates through binary_own/complement_own. */
genc_selection *genc_selection_sub(genc_ctx *ctx, const genc_selection *s, genc_comp c) {
  if (!s) return &sel_none;
  sframe buf[16], f = {s, 0, NULL};
  genc__stk st = GENC__STK(buf);
  genc_selection *x = NULL;
  if (!genc__stk_push(&st, &f)) goto oom;
  sframe *t;
  while ((t = genc__stk_top(&st))) {
    const genc_selection *ask;
    genc_selection *r = sub_step(ctx, t, c, x, &ask);
    x = NULL;
    if (t->stage < 0) {
      genc__stk_pop(&st, NULL);
      x = r;
      if (!st.n) break;
      continue;
    }
    sframe g = {ask, 0, NULL};
    if (!genc__stk_push(&st, &g)) goto oom;
  }
  genc__stk_free(&st);
  return x;
oom: /* release the answers held by the frames */
  for (int64_t i = 0; i < st.n; i++)
    genc_selection_release(((sframe *)st.p)[i].r);
  genc__stk_free(&st);
  genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_selection_sub: out of memory");
  return NULL;
}

genc_selection *genc__sel_union_own(genc_ctx *ctx, genc_selection *x, genc_selection *y) {
  return binary_own(ctx, GENC__SEL_OR, x, y);
}
