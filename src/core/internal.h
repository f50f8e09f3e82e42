/*
 * Internals shared by the files of src/core/ (choice maps, selections). Nothing
 * here is public.
 */
#ifndef GENC_CORE_INTERNAL_H
#define GENC_CORE_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>

#include "genc/core.h"

/* A small component -> entry index: linear scan up to GENC__CIDX_LINEAR
 * entries (a few cache lines), an open-addressing hash of entry indices above. */
#define GENC__CIDX_LINEAR 8

/* Removal leaves a tombstone (key GENC_COMP_INVALID) so it is O(1) and keeps
 * the insertion order of the others; tombstones are compacted away once they
 * are half the entries (amortized O(1)). While there are any, a Fenwick tree
 * over the live flags finds the i-th live entry in O(log n). */
typedef struct genc__cidx {
  genc_comp *keys; /* entries in insertion order (GENC_COMP_INVALID: removed) */
  int32_t *slots;  /* hash slots: entry index or -1; NULL while small */
  int64_t len, cap;
  int64_t nslots; /* power of two, or 0 */
  int64_t dead;   /* tombstones among the len entries */
  int32_t *fen;   /* Fenwick tree (1-based, cap + 1) of live flags while dead > 0 */
} genc__cidx;

/* Number of live entries. */
static inline int64_t genc__cidx_live(const genc__cidx *ix) { return ix->len - ix->dead; }
/* Physical index of the i-th live entry (0 <= i < live), or -1. */
int64_t genc__cidx_at(const genc__cidx *ix, int64_t i);

/* Entry index of c, or -1. */
int64_t genc__cidx_find(const genc__cidx *ix, genc_comp c);
/* Append c (caller checked it is absent) and grow the caller's parallel array
 * *vals of element size vsize to the same capacity. Returns its index or -1
 * on out-of-memory. */
int64_t genc__cidx_append(genc__cidx *ix, genc_comp c, void **vals, size_t vsize);
/* Remove entry i (the caller has emptied vals[i], which stays in place as a
 * zeroed-out tombstone until a compaction moves the later entries down). */
void genc__cidx_remove(genc__cidx *ix, int64_t i, void *vals, size_t vsize);
/* Free the index's memory (not the parallel array). */
void genc__cidx_free(genc__cidx *ix);

/* A choice-map node: a leaf (value != NULL) or children, never both. Children
 * live inline in kids[] so a leaf costs no allocation of its own. */
struct genc_choicemap {
  genc_array *value;
  genc__cidx ix;
  struct genc_choicemap *kids;
  bool view; /* a child inside its parent's kids[]: not freeable */
};

/* Child i of a node as stored (NULL for a tombstone), its component in *c. */
static inline struct genc_choicemap *genc__cm_slot(const struct genc_choicemap *cm, int64_t i,
                                                   genc_comp *c) {
  *c = cm->ix.keys[i];
  return *c == GENC_COMP_INVALID ? NULL : &cm->kids[i];
}
/* A node with neither a value nor live children (cheap; is_empty looks deeper). */
static inline bool genc__cm_bare(const struct genc_choicemap *cm) {
  return !cm->value && !genc__cidx_live(&cm->ix);
}

/* A growable stack of fixed-size elements for walks over user-built nesting,
 * which must not recurse on the C stack. Starts in a caller's buffer. */
typedef struct genc__stk {
  char *p;
  int64_t n, cap;
  size_t esz;
  bool heap;
} genc__stk;

#define GENC__STK(buf)                                                                             \
  { (char *)(buf), 0, (int64_t)(sizeof(buf) / sizeof((buf)[0])), sizeof((buf)[0]), false }
/* Push a copy of *e; false on out-of-memory. */
bool genc__stk_push(genc__stk *s, const void *e);
/* Top element (NULL if empty); valid until the next push. */
static inline void *genc__stk_top(genc__stk *s) {
  return s->n ? s->p + (size_t)(s->n - 1) * s->esz : NULL;
}
/* Pop into *e (if not NULL); false if empty. */
bool genc__stk_pop(genc__stk *s, void *e);
void genc__stk_free(genc__stk *s);

/* Release everything a node holds (values, children), leaving it empty. */
void genc__cm_clear(genc_choicemap *cm);
/* Deep copy of src's contents into the empty node dst (leaves retained). */
genc_status genc__cm_copy_into(genc_ctx *ctx, genc_choicemap *dst, const genc_choicemap *src);

/* Selection nodes. A set node selects, below each component in ix, what its
 * kid selects, *united with* its optional extra selection a (what was added at
 * the root: genc_selection_add_path with len 0). not uses a; or / and use a, b. */
typedef enum {
  GENC__SEL_ALL,
  GENC__SEL_NONE,
  GENC__SEL_SET,
  GENC__SEL_NOT,
  GENC__SEL_OR,
  GENC__SEL_AND
} genc__sel_kind;

struct genc_selection {
  genc__sel_kind kind;
  int32_t refs;       /* < 0: static, never freed */
  bool c_all, c_none; /* not / or / and: is_all, is_none, computed once at creation */
  genc__cidx ix;
  genc_selection **kids;
  genc_selection *a, *b;
};

/* Make a node of kind k owning the references a and b; NULL on out-of-memory
 * (a and b are then still the caller's). */
genc_selection *genc__sel_make(genc_ctx *ctx, genc__sel_kind k, genc_selection *a,
                               genc_selection *b);
/* Union of two owned references (consumed, even on failure). */
genc_selection *genc__sel_union_own(genc_ctx *ctx, genc_selection *x, genc_selection *y);

/* A growable string for print and selection formatting. */
typedef struct genc__sb {
  char *buf;
  size_t len, cap;
  bool oom;
} genc__sb;

void genc__sb_printf(genc__sb *sb, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Copy the text into buf snprintf-style and free it; returns the length. */
int genc__sb_finish(genc__sb *sb, char *buf, size_t cap);

/* A host copy of an array's values as doubles (caller frees); NULL on error. */
double *genc__host_values(genc_ctx *ctx, const genc_array *a, int64_t *count);

#endif
