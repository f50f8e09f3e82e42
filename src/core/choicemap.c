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

void genc__cm_clear(genc_choicemap *cm) {
  genc_array_release(cm->value);
  cm->value = NULL;
  for (int64_t i = 0; i < cm->ix.len; i++)
    genc__cm_clear(&cm->kids[i]);
  genc__cidx_free(&cm->ix);
  free(cm->kids);
  cm->kids = NULL;
}

void genc_choicemap_free(genc_choicemap *cm) {
  if (!cm || cm->view) return;
  genc__cm_clear(cm);
  free(cm);
}

static genc_choicemap *kid(const genc_choicemap *cm, genc_comp c) {
  if (!cm || !cm->ix.len) return NULL;
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
  if (len == 0 && cm->ix.len)
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
  for (int i = 0; cm && i < len; i++)
    cm = kid(cm, path[i]);
  return cm;
}

genc_array *genc_choicemap_lookup_path(const genc_choicemap *cm, const genc_comp *path, int len) {
  const genc_choicemap *n = genc_choicemap_submap_path(cm, path, len);
  return n ? n->value : NULL;
}

static genc_array *get_fail(genc_ctx *ctx, const genc_choicemap *cm, const genc_comp *path,
                            int len) {
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

genc_status genc_choicemap_set_submap(genc_ctx *ctx, genc_choicemap *cm, genc_comp c,
                                      genc_choicemap *sub) {
  genc_status st = GENC_OK;
  if (sub && sub->view)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_choicemap_set_submap: the map to move in is a "
                         "view into another map; pass a copy");
  if (!cm || c == GENC_COMP_INVALID) {
    st = !cm ? genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_choicemap_set_submap: NULL choice map")
             : bad_comp(ctx, "genc_choicemap_set_submap");
  } else if (genc_choicemap_is_empty(sub)) {
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
  if (!cm || !cm->ix.len) return false;
  int64_t i = genc__cidx_find(&cm->ix, c);
  if (i < 0) return false;
  genc__cm_clear(&cm->kids[i]);
  genc__cidx_remove(&cm->ix, i, cm->kids, KSZ);
  return true;
}

bool genc_choicemap_remove_path(genc_choicemap *cm, const genc_comp *path, int len) {
  if (!cm || len <= 0) {
    if (!cm || (!cm->value && !cm->ix.len)) return false;
    genc__cm_clear(cm);
    return true;
  }
  if (len == 1) return genc_choicemap_remove(cm, path[0]);
  genc_choicemap *k = kid(cm, path[0]);
  if (!k || !genc_choicemap_remove_path(k, path + 1, len - 1)) return false;
  if (genc_choicemap_is_empty(k)) genc_choicemap_remove(cm, path[0]);
  return true;
}

bool genc_choicemap_is_empty(const genc_choicemap *cm) {
  if (!cm || cm->value) return !cm;
  for (int64_t i = 0; i < cm->ix.len; i++)
    if (!genc_choicemap_is_empty(&cm->kids[i])) return false;
  return true;
}

int64_t genc_choicemap_count(const genc_choicemap *cm) { return cm ? cm->ix.len : 0; }

const genc_choicemap *genc_choicemap_child(const genc_choicemap *cm, int64_t i, genc_comp *comp) {
  if (!cm || i < 0 || i >= cm->ix.len) return NULL;
  if (comp) *comp = cm->ix.keys[i];
  return &cm->kids[i];
}

int64_t genc_choicemap_num_values(const genc_choicemap *cm) {
  if (!cm) return 0;
  int64_t n = cm->value ? 1 : 0;
  for (int64_t i = 0; i < cm->ix.len; i++)
    n += genc_choicemap_num_values(&cm->kids[i]);
  return n;
}

static int walk(const genc_choicemap *cm, genc_addr *p, genc_choicemap_visit_fn fn, void *user) {
  if (cm->value) return fn(p->comp, p->len, cm->value, user);
  if (cm->ix.len && p->len == GENC_ADDR_MAX) return -1;
  for (int64_t i = 0; i < cm->ix.len; i++) {
    p->comp[p->len++] = cm->ix.keys[i];
    int r = walk(&cm->kids[i], p, fn, user);
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
