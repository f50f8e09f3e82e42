/* Choice maps: structure, set, lookup, sub-maps, removal and walking. */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

#define KSZ sizeof(genc_choicemap)

genc_choicemap *genc_choicemap_new(genc_ctx *ctx) {
  genc_choicemap *cm = calloc(1, sizeof *cm);
  if (!cm) genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_choicemap_new: out of memory");
  return cm;
}

/* Release a detached node's value and children, one level per turn of the
 * loop: whole child nodes are moved onto a heap stack, so depth costs no C
 * stack (a map nested a million deep frees in linear time). */
void genc__cm_clear(genc_choicemap *cm) {
  genc_choicemap buf[8], cur = *cm;
  genc__stk st = GENC__STK(buf);
  bool view = cm->view;
  memset(cm, 0, KSZ);
  cm->view = view;
  do {
    genc_array_release(cur.value);
    for (int64_t i = 0; i < cur.ix.len; i++) {
      genc_choicemap *k = &cur.kids[i];
      if (k->ix.len) {
        if (!genc__stk_push(&st, k)) genc__cm_clear(k); /* out of memory: recurse */
      } else {
        genc_array_release(k->value);
      }
    }
    genc__cidx_free(&cur.ix);
    free(cur.kids);
  } while (genc__stk_pop(&st, &cur));
  genc__stk_free(&st);
}

void genc_choicemap_free(genc_choicemap *cm) {
  if (!cm || cm->view) return;
  genc__cm_clear(cm);
  free(cm);
}

static genc_choicemap *kid(const genc_choicemap *cm, genc_comp c) {
  if (!cm || !genc__cidx_live(&cm->ix)) return NULL;
  int64_t i = genc__cidx_find(&cm->ix, c);
  return i < 0 ? NULL : &cm->kids[i];
}

/* The child at c, made empty if absent; NULL on out-of-memory. */
static genc_choicemap *kid_make(genc_choicemap *cm, genc_comp c) {
  genc_choicemap *k = kid(cm, c);
  if (k) return k;
  int64_t i = genc__cidx_append(&cm->ix, c, (void **)&cm->kids, KSZ);
  if (i < 0) return NULL;
  memset(&cm->kids[i], 0, KSZ);
  cm->kids[i].view = true;
  return &cm->kids[i];
}

static genc_status bad_comp(genc_ctx *ctx, const char *fn) {
  return genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                       "%s: invalid address component (a failed "
                       "genc_sym_intern or a negative index)",
                       fn);
}

/* Make node cm a leaf holding v (v already checked). */
static void make_leaf(genc_choicemap *cm, genc_array *v) {
  genc_array_retain(v);
  genc__cm_clear(cm);
  cm->value = v;
}

/* A NULL map is an error; a NULL value usually comes from a failed op whose
 * message is already in ctx, which is kept. */
static genc_status null_args(genc_ctx *ctx, const char *fn, const genc_choicemap *cm) {
  if (cm) {
    genc_status st = genc_ctx_status(ctx);
    if (st) return st;
  }
  return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: NULL %s", fn, cm ? "value" : "choice map");
}

genc_status genc_choicemap_set(genc_ctx *ctx, genc_choicemap *cm, genc_comp c, genc_array *v) {
  if (!cm || !v) return null_args(ctx, "genc_choicemap_set", cm);
  if (c == GENC_COMP_INVALID) return bad_comp(ctx, "genc_choicemap_set");
  if (cm->value) {
    char a[256];
    genc_comp_format(c, a, sizeof a);
    return genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                         "genc_choicemap_set: cannot set address %s below a leaf (the map holds "
                         "a value at its root)",
                         a);
  }
  genc_choicemap *k = kid_make(cm, c);
  if (!k) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_choicemap_set: out of memory");
  make_leaf(k, v);
  return GENC_OK;
}

genc_status genc_choicemap_set_path(genc_ctx *ctx, genc_choicemap *cm, const genc_comp *path,
                                    int len, genc_array *v) {
  if (!cm || !v) return null_args(ctx, "genc_choicemap_set_path", cm);
  if (len < 0 || (len && !path))
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_choicemap_set_path: NULL or negative-length "
                         "path");
  for (int i = 0; i < len; i++)
    if (path[i] == GENC_COMP_INVALID) return bad_comp(ctx, "genc_choicemap_set_path");
  if (len > GENC_ADDR_MAX)
    return genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                         "genc_choicemap_set_path: path of %d components is deeper than %d", len,
                         GENC_ADDR_MAX);
  if (len == 0 && genc__cidx_live(&cm->ix))
    return genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                         "genc_choicemap_set_path: cannot set a root value in a map that has "
                         "addresses");
  genc_choicemap *n = cm;
  for (int i = 0; i < len; i++) {
    if (n->value) genc__cm_clear(n); /* newest write wins: the leaf becomes a sub-map */
    n = kid_make(n, path[i]);
    if (!n) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_choicemap_set_path: out of memory");
  }
  make_leaf(n, v);
  return GENC_OK;
}

genc_array *genc_choicemap_lookup(const genc_choicemap *cm, genc_comp c) {
  const genc_choicemap *k = kid(cm, c);
  return k ? k->value : NULL;
}

const genc_choicemap *genc_choicemap_submap_path(const genc_choicemap *cm, const genc_comp *path,
                                                 int len) {
  if (len < 0 || (len > 0 && !path)) return NULL;
  for (int i = 0; cm && i < len; i++)
    cm = kid(cm, path[i]);
  return cm;
}

genc_array *genc_choicemap_lookup_path(const genc_choicemap *cm, const genc_comp *path, int len) {
  if (len < 0) return NULL;
  const genc_choicemap *n = genc_choicemap_submap_path(cm, path, len);
  return n ? n->value : NULL;
}

static genc_array *get_fail(genc_ctx *ctx, const genc_choicemap *cm, const genc_comp *path,
                            int len) {
  if (len < 0 || (len && !path)) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_choicemap_get_path: NULL or negative-length path");
    return NULL;
  }
  char a[512];
  genc_addr_format(path, len, a, sizeof a);
  int depth = 0;
  const genc_choicemap *n = cm;
  while (n && depth < len && kid(n, path[depth]))
    n = kid(n, path[depth++]);
  if (depth == len)
    genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                  "choice map has no value at address %s: it holds a sub-map of %lld "
                  "address(es) there",
                  a, (long long)genc_choicemap_count(n));
  else if (n && n->value)
    genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                  "choice map has no address %s: a value ends the path after %d component(s)", a,
                  depth);
  else
    genc_ctx_fail(ctx, GENC_ERR_ADDRESS, "choice map has no address %s", a);
  return NULL;
}

genc_array *genc_choicemap_get(genc_ctx *ctx, const genc_choicemap *cm, genc_comp c) {
  genc_array *v = genc_choicemap_lookup(cm, c);
  return v ? v : get_fail(ctx, cm, &c, 1);
}

genc_array *genc_choicemap_get_path(genc_ctx *ctx, const genc_choicemap *cm, const genc_comp *path,
                                    int len) {
  genc_array *v = genc_choicemap_lookup_path(cm, path, len);
  return v ? v : get_fail(ctx, cm, path, len);
}

genc_array *genc_choicemap_value(const genc_choicemap *cm) { return cm ? cm->value : NULL; }

bool genc_choicemap_has(const genc_choicemap *cm, genc_comp c) {
  return genc_choicemap_lookup(cm, c) != NULL;
}

bool genc_choicemap_has_path(const genc_choicemap *cm, const genc_comp *path, int len) {
  return genc_choicemap_lookup_path(cm, path, len) != NULL;
}

const genc_choicemap *genc_choicemap_submap(const genc_choicemap *cm, genc_comp c) {
  return kid(cm, c);
}

genc_choicemap *genc_choicemap_submap_mut(genc_ctx *ctx, genc_choicemap *cm, genc_comp c) {
  if (!cm) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_choicemap_submap_mut: NULL choice map");
    return NULL;
  }
  if (c == GENC_COMP_INVALID) {
    bad_comp(ctx, "genc_choicemap_submap_mut");
    return NULL;
  }
  if (cm->value) genc__cm_clear(cm);
  genc_choicemap *k = kid_make(cm, c);
  if (!k) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_choicemap_submap_mut: out of memory");
    return NULL;
  }
  if (k->value) genc__cm_clear(k);
  return k;
}

/* True if node n lies inside the tree of root (a walk over its sub-maps). */
static bool contains(const genc_choicemap *root, const genc_choicemap *n) {
  const genc_choicemap *buf[16], *cur = root;
  genc__stk st = GENC__STK(buf);
  bool found = false;
  do {
    for (int64_t i = 0; !found && i < cur->ix.len; i++) {
      const genc_choicemap *k = &cur->kids[i];
      found = k == n || (k->ix.len && !genc__stk_push(&st, &k));
    }
  } while (!found && genc__stk_pop(&st, &cur));
  genc__stk_free(&st);
  return found; /* out of memory counts as found: refuse rather than risk a cycle */
}

genc_status genc_choicemap_set_submap(genc_ctx *ctx, genc_choicemap *cm, genc_comp c,
                                      genc_choicemap *sub) {
  genc_status st = GENC_OK;
  if (sub && sub->view)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_choicemap_set_submap: the map to move in is a "
                         "view into another map; pass a copy");
  if (sub && (sub == cm || (cm && cm->view && contains(sub, cm))))
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_choicemap_set_submap: cannot move a map into itself or below "
                         "itself (it is left as it was)");
  if (!cm || c == GENC_COMP_INVALID) {
    st = !cm ? genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_choicemap_set_submap: NULL choice map")
             : bad_comp(ctx, "genc_choicemap_set_submap");
  } else if (!sub || genc__cm_bare(sub)) { /* O(1): building deep maps by moving stays linear */
    genc_choicemap_remove(cm, c);
  } else {
    genc_choicemap *k = genc_choicemap_submap_mut(ctx, cm, c);
    if (!k) {
      st = genc_ctx_status(ctx);
    } else {
      genc__cm_clear(k);
      *k = *sub; /* move the contents; the shell is freed below */
      k->view = true;
      memset(sub, 0, sizeof *sub);
    }
  }
  if (sub && !sub->view) genc_choicemap_free(sub);
  return st;
}

bool genc_choicemap_remove(genc_choicemap *cm, genc_comp c) {
  if (!cm || !genc__cidx_live(&cm->ix)) return false;
  int64_t i = genc__cidx_find(&cm->ix, c);
  if (i < 0) return false;
  genc__cm_clear(&cm->kids[i]); /* leaves an empty node as the tombstone */
  genc__cidx_remove(&cm->ix, i, cm->kids, KSZ);
  return true;
}

bool genc_choicemap_remove_path(genc_choicemap *cm, const genc_comp *path, int len) {
  if (!cm || len < 0 || (len > 0 && !path)) return false;
  if (len == 0) {
    if (genc__cm_bare(cm)) return false;
    genc__cm_clear(cm);
    return true;
  }
  /* the nodes on the way, to prune the ones the removal empties (no recursion:
   * a path may be as long as the map is deep) */
  genc_choicemap *buf[GENC_ADDR_MAX], *n = cm;
  genc__stk st = GENC__STK(buf);
  bool ok = true;
  for (int i = 0; ok && i < len - 1; i++) {
    ok = genc__stk_push(&st, &n) && (n = kid(n, path[i])) != NULL;
  }
  bool removed = ok && genc_choicemap_remove(n, path[len - 1]);
  for (int i = (int)st.n - 1; removed && i >= 0 && genc_choicemap_is_empty(n); i--) {
    genc__stk_pop(&st, &n);
    genc_choicemap_remove(n, path[i]);
  }
  genc__stk_free(&st);
  return removed;
}

bool genc_choicemap_is_empty(const genc_choicemap *cm) {
  if (!cm || cm->value) return !cm;
  const genc_choicemap *buf[16], *cur = cm;
  genc__stk st = GENC__STK(buf);
  bool empty = true;
  do {
    for (int64_t i = 0; empty && i < cur->ix.len; i++) {
      const genc_choicemap *k = &cur->kids[i];
      /* out of memory answers "not empty": safe for every caller */
      empty = !k->value && (!k->ix.len || genc__stk_push(&st, &k));
    }
  } while (empty && genc__stk_pop(&st, &cur));
  genc__stk_free(&st);
  return empty;
}

int64_t genc_choicemap_count(const genc_choicemap *cm) { return cm ? genc__cidx_live(&cm->ix) : 0; }

const genc_choicemap *genc_choicemap_child(const genc_choicemap *cm, int64_t i, genc_comp *comp) {
  int64_t j = cm ? genc__cidx_at(&cm->ix, i) : -1;
  if (j < 0) return NULL;
  if (comp) *comp = cm->ix.keys[j];
  return &cm->kids[j];
}

int64_t genc_choicemap_num_values(const genc_choicemap *cm) {
  if (!cm) return 0;
  const genc_choicemap *buf[16], *cur = cm;
  genc__stk st = GENC__STK(buf);
  int64_t n = 0;
  do {
    n += cur->value != NULL;
    for (int64_t i = 0; n >= 0 && i < cur->ix.len; i++) {
      const genc_choicemap *k = &cur->kids[i];
      n += k->value != NULL;
      if (k->ix.len && !genc__stk_push(&st, &k)) n = -1;
    }
  } while (n >= 0 && genc__stk_pop(&st, &cur));
  genc__stk_free(&st);
  return n;
}

static int walk(const genc_choicemap *cm, genc_addr *p, genc_choicemap_visit_fn fn, void *user) {
  if (cm->value) return fn(p->comp, p->len, cm->value, user);
  if (genc__cidx_live(&cm->ix) && p->len == GENC_ADDR_MAX) return -1;
  for (int64_t i = 0; i < cm->ix.len; i++) {
    genc_comp c;
    const genc_choicemap *k = genc__cm_slot(cm, i, &c);
    if (!k) continue;
    p->comp[p->len++] = c;
    int r = walk(k, p, fn, user); /* at most GENC_ADDR_MAX deep */
    p->len--;
    if (r) return r;
  }
  return 0;
}

int genc_choicemap_foreach(const genc_choicemap *cm, genc_choicemap_visit_fn fn, void *user) {
  if (!cm || !fn) return 0;
  genc_addr p = {0};
  return walk(cm, &p, fn, user);
}
