/* Building set selections (addresses, hierarchical sub-selections, the
 * addresses of a choice map) and printing selections. */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

static genc_status not_a_set(genc_ctx *ctx, const char *fn, const genc_selection *s) {
  return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: %s", fn,
                       s ? "only a selection made by genc_selection_new can be added to"
                         : "NULL selection");
}

/* Put the owned reference sub at component c of set node n, uniting it with
 * what is already there. */
static genc_status put_kid(genc_ctx *ctx, genc_selection *n, genc_comp c, genc_selection *sub) {
  int64_t i = n->ix.len ? genc__cidx_find(&n->ix, c) : -1;
  if (i >= 0) {
    n->kids[i] = genc__sel_union_own(ctx, n->kids[i], sub);
    if (n->kids[i]) return GENC_OK;
    n->kids[i] = genc_selection_none(); /* union failed: keep the node consistent */
    return genc_ctx_status(ctx);
  }
  i = genc__cidx_append(&n->ix, c, (void **)&n->kids, sizeof *n->kids);
  if (i < 0) {
    genc_selection_release(sub);
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_selection_add: out of memory");
  }
  n->kids[i] = sub;
  return GENC_OK;
}

/* Add the owned reference sub below path in set node n. */
static genc_status add_own(genc_ctx *ctx, genc_selection *n, const genc_comp *path, int len,
                           genc_selection *sub) {
  if (len == 0) {
    n->a = n->a ? genc__sel_union_own(ctx, n->a, sub) : sub;
    return n->a ? GENC_OK : genc_ctx_status(ctx);
  }
  if (len == 1) return put_kid(ctx, n, path[0], sub);
  int64_t i = n->ix.len ? genc__cidx_find(&n->ix, path[0]) : -1;
  genc_selection *k = i >= 0 ? n->kids[i] : NULL;
  if (k && k->kind == GENC__SEL_SET && k->refs == 1) return add_own(ctx, k, path + 1, len - 1, sub);
  if (k && genc_selection_is_all(k)) {
    genc_selection_release(sub); /* already selected whole */
    return GENC_OK;
  }
  /* absent, or shared / not a set: build a fresh chain and unite it in */
  genc_selection *fresh = genc_selection_new(ctx);
  if (!fresh) {
    genc_selection_release(sub);
    return genc_ctx_status(ctx);
  }
  genc_status st = add_own(ctx, fresh, path + 1, len - 1, sub);
  if (st) {
    genc_selection_release(fresh);
    return st;
  }
  return put_kid(ctx, n, path[0], fresh);
}

genc_status genc_selection_add_sub(genc_ctx *ctx, genc_selection *sel, const genc_comp *path,
                                   int len, genc_selection *sub) {
  if (!sel || sel->kind != GENC__SEL_SET) return not_a_set(ctx, "genc_selection_add", sel);
  if (!sub) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_selection_add_sub: NULL sub-selection");
  /* a selection holding another reference may be inside sub (a cycle) or be
   * shared with an operator that cached its answers: it is frozen */
  if (sub == sel || sel->refs != 1)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_selection_add: %s",
                         sub == sel ? "cannot add a selection below itself"
                                    : "the selection is shared (retained, or an "
                                      "operand of an operator): it can no longer "
                                      "change");
  if (len < 0 || (len && !path))
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_selection_add: NULL or negative-length path");
  if (len > GENC_ADDR_MAX)
    return genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                         "genc_selection_add: path of %d components is deeper than %d", len,
                         GENC_ADDR_MAX);
  for (int i = 0; i < len; i++)
    if (path[i] == GENC_COMP_INVALID)
      return genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                           "genc_selection_add: invalid address component at position %d", i);
  return add_own(ctx, sel, path, len, genc_selection_retain(sub));
}

genc_status genc_selection_add_path(genc_ctx *ctx, genc_selection *sel, const genc_comp *path,
                                    int len) {
  return genc_selection_add_sub(ctx, sel, path, len, genc_selection_all());
}

genc_status genc_selection_add(genc_ctx *ctx, genc_selection *sel, genc_comp c) {
  return genc_selection_add_sub(ctx, sel, &c, 1, genc_selection_all());
}

typedef struct {
  genc_ctx *ctx;
  genc_selection *sel;
} from_cm;

static int add_leaf(const genc_comp *path, int len, genc_array *v, void *user) {
  (void)v;
  from_cm *f = user;
  return genc_selection_add_path(f->ctx, f->sel, path, len) ? 1 : 0;
}

genc_selection *genc_selection_from_choicemap(genc_ctx *ctx, const genc_choicemap *cm) {
  genc_selection *s = genc_selection_new(ctx);
  from_cm f = {ctx, s};
  int r = s ? genc_choicemap_foreach(cm, add_leaf, &f) : 0;
  if (r) {
    if (r < 0)
      genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                    "genc_selection_from_choicemap: map nests deeper "
                    "than %d",
                    GENC_ADDR_MAX);
    genc_selection_release(s);
    return NULL;
  }
  return s;
}

/* ---- filtering a choice map ---- */

static genc_status filter_rec(genc_ctx *ctx, genc_choicemap *dst, const genc_choicemap *src,
                              const genc_selection *s, int depth) {
  if (genc_choicemap_is_empty(src) || genc_selection_is_none(s)) return GENC_OK;
  if (depth > GENC_RECURSION_MAX)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_choicemap_filter: the map and the selection nest deeper than %d "
                         "(GENC_RECURSION_MAX) below a partly selected address",
                         GENC_RECURSION_MAX);
  if (genc_choicemap_value(src))
    return genc_selection_has_path(s, NULL, 0) ? genc__cm_copy_into(ctx, dst, src) : GENC_OK;
  if (genc_selection_is_all(s)) return genc__cm_copy_into(ctx, dst, src);
  for (int64_t i = 0; i < genc_choicemap_count(src); i++) {
    genc_comp c;
    const genc_choicemap *k = genc_choicemap_child(src, i, &c);
    if (genc_choicemap_value(k) || genc_choicemap_is_empty(k)) {
      if (genc_choicemap_value(k) && genc_selection_has(s, c) &&
          genc_choicemap_set(ctx, dst, c, genc_choicemap_value(k)))
        return genc_ctx_status(ctx);
      continue;
    }
    genc_selection *sub = genc_selection_sub(ctx, s, c);
    if (!sub) return genc_ctx_status(ctx);
    genc_status st = GENC_OK;
    if (!genc_selection_is_none(sub)) {
      genc_choicemap *part = genc_choicemap_new(ctx);
      st = part ? filter_rec(ctx, part, k, sub, depth + 1) : GENC_ERR_NOMEM;
      if (st)
        genc_choicemap_free(part);
      else
        st = genc_choicemap_set_submap(ctx, dst, c, part); /* takes part */
    }
    genc_selection_release(sub);
    if (st) return st;
  }
  return GENC_OK;
}

genc_choicemap *genc_choicemap_filter(genc_ctx *ctx, const genc_choicemap *cm,
                                      const genc_selection *s) {
  genc_choicemap *r = genc_choicemap_new(ctx);
  if (r && filter_rec(ctx, r, cm, s, 0)) {
    genc_choicemap_free(r);
    return NULL;
  }
  return r;
}

/* ---- printing ---- */

/* Deeper parts print as "..." (the text is for messages; no C stack risk). */
#define SEL_PRINT_DEPTH 64

static void put_sel(genc__sb *sb, const genc_selection *s, int depth) {
  if (depth == SEL_PRINT_DEPTH) {
    genc__sb_printf(sb, "...");
    return;
  }
  depth++;
  switch (s->kind) {
  case GENC__SEL_ALL: genc__sb_printf(sb, "all"); return;
  case GENC__SEL_NONE: genc__sb_printf(sb, "none"); return;
  case GENC__SEL_NOT:
    genc__sb_printf(sb, "!(");
    put_sel(sb, s->a, depth);
    genc__sb_printf(sb, ")");
    return;
  case GENC__SEL_OR:
  case GENC__SEL_AND:
    genc__sb_printf(sb, "(");
    put_sel(sb, s->a, depth);
    genc__sb_printf(sb, s->kind == GENC__SEL_OR ? " | " : " & ");
    put_sel(sb, s->b, depth);
    genc__sb_printf(sb, ")");
    return;
  case GENC__SEL_SET: break;
  }
  genc__sb_printf(sb, "{");
  for (int64_t i = 0; i < s->ix.len; i++) {
    char name[256];
    genc_comp_format(s->ix.keys[i], name, sizeof name);
    genc__sb_printf(sb, "%s%s", i ? ", " : "", name);
    if (s->kids[i]->kind != GENC__SEL_ALL) {
      genc__sb_printf(sb, ": ");
      put_sel(sb, s->kids[i], depth);
    }
  }
  genc__sb_printf(sb, "}");
  if (s->a) {
    genc__sb_printf(sb, " | ");
    put_sel(sb, s->a, depth);
  }
}

int genc_selection_format(const genc_selection *s, char *buf, size_t cap) {
  genc__sb sb = {0};
  if (s)
    put_sel(&sb, s, 0);
  else
    genc__sb_printf(&sb, "none");
  return genc__sb_finish(&sb, buf, cap);
}
