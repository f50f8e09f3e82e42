/* Choice maps as text: the human-readable tree and JSON export. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

/* Elements shown per axis before "..." in human-readable output. */
#define SHOW 8

void genc__sb_printf(genc__sb *sb, const char *fmt, ...) {
  if (sb->oom) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = sb->cap - sb->len;
    int n = vsnprintf(sb->cap ? sb->buf + sb->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < room) {
      sb->len += (size_t)n;
      return;
    }
    size_t cap = sb->cap ? sb->cap * 2 : 256;
    while (cap < sb->len + (size_t)n + 1)
      cap *= 2;
    char *nb = realloc(sb->buf, cap);
    if (!nb) {
      sb->oom = true;
      return;
    }
    sb->buf = nb;
    sb->cap = cap;
  }
}

int genc__sb_finish(genc__sb *sb, char *buf, size_t cap) {
  int n = (int)sb->len;
  if (cap && buf) snprintf(buf, cap, "%s", sb->buf ? sb->buf : "");
  free(sb->buf);
  return n;
}

/* ---- human-readable ---- */

static void put_num(genc__sb *sb, double v, genc_dtype dt) {
  if (dt == GENC_BOOL)
    genc__sb_printf(sb, "%s", v != 0 ? "true" : "false");
  else if (dt == GENC_I32)
    genc__sb_printf(sb, "%.0f", v);
  else
    genc__sb_printf(sb, "%.6g", v);
}

/* Nested brackets over axes [ax, nd) of the block starting at v. */
static void put_block(genc__sb *sb, const double *v, const int64_t *shape, int nd, int ax,
                      genc_dtype dt) {
  if (ax == nd) {
    put_num(sb, *v, dt);
    return;
  }
  int64_t stride = 1;
  for (int i = ax + 1; i < nd; i++)
    stride *= shape[i];
  genc__sb_printf(sb, "[");
  for (int64_t i = 0; i < shape[ax]; i++) {
    if (i == SHOW && shape[ax] > SHOW) {
      genc__sb_printf(sb, ", ... (%lld)", (long long)shape[ax]);
      break;
    }
    if (i) genc__sb_printf(sb, ", ");
    put_block(sb, v + i * stride, shape, nd, ax + 1, dt);
  }
  genc__sb_printf(sb, "]");
}

static genc_status put_value(genc_ctx *ctx, genc__sb *sb, const genc_array *a) {
  int64_t n = 0;
  double *v = genc__host_values(ctx, a, &n);
  if (!v) return genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_NOMEM;
  int nd = genc_array_ndim(a);
  int64_t shape[GENC_MAX_DIMS + 1];
  int64_t np = genc_array_nparticles(a);
  shape[0] = np;
  memcpy(shape + 1, genc_array_shape(a), (size_t)nd * sizeof *shape);
  if (np) genc__sb_printf(sb, "(%lld particles) ", (long long)np);
  put_block(sb, v, np ? shape : shape + 1, np ? nd + 1 : nd, 0, genc_array_dtype(a));
  free(v);
  return GENC_OK;
}

/* Lines deeper than this keep its indentation and say their depth instead, so
 * the text of a deep map grows linearly, not with the square of its depth. */
#define INDENT_MAX 32

/* Two spaces (text) or a tab (JSON) per level, up to INDENT_MAX levels. */
static void put_indent(genc__sb *sb, int64_t depth, char ch) {
  static const char spaces[2 * INDENT_MAX + 1] =
      "                                                                ";
  static const char tabs[INDENT_MAX + 1] = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t"
                                           "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";
  int d = (int)(depth < INDENT_MAX ? depth : INDENT_MAX);
  if (d > 0) genc__sb_printf(sb, "%.*s", ch == ' ' ? 2 * d : d, ch == ' ' ? spaces : tabs);
}

/* A walk frame: node, next child to visit, its component, members written. */
typedef struct {
  const genc_choicemap *n;
  int64_t next;
  genc_comp c;
  int64_t nout;
} wframe;

/* The next nonempty child of the top frame: its node (a sub-map is pushed,
 * NULL returned) or, for a value, the node (not pushed). Pops finished frames,
 * calling close(user, frame index) for each; *done when the walk is over. */
typedef void (*close_fn)(void *user, genc__stk *st, int64_t j);

static const genc_choicemap *next_value(genc__stk *st, genc_comp *c, close_fn close, void *user,
                                        bool *oom) {
  wframe *t;
  while ((t = genc__stk_top(st))) {
    if (t->next == t->n->ix.len) {
      close(user, st, st->n - 1);
      genc__stk_pop(st, NULL);
      continue;
    }
    const genc_choicemap *k = genc__cm_slot(t->n, t->next++, c);
    if (!k || genc__cm_bare(k)) continue;
    if (k->value) return k;
    wframe g = {k, 0, *c, 0};
    if (!genc__stk_push(st, &g)) {
      *oom = true;
      return NULL;
    }
  }
  return NULL;
}

typedef struct {
  genc__sb *sb;
  int64_t shown; /* frames [0, shown) have their opening written (the root's is implicit) */
  bool pretty;
} wstate;

static void text_close(void *user, genc__stk *st, int64_t j) {
  wstate *w = user;
  (void)st;
  if (w->shown > j) w->shown = j;
}

static void put_name(genc__sb *sb, genc_comp c, int64_t depth) {
  char name[256];
  genc_comp_format(c, name, sizeof name);
  put_indent(sb, depth, ' ');
  if (depth > INDENT_MAX) genc__sb_printf(sb, "[depth %lld] ", (long long)depth);
  genc__sb_printf(sb, "%s", name);
}

/* Sub-map headers are written when the first value below them is, so empty
 * sub-maps print nothing without a look ahead. */
static genc_status put_tree(genc_ctx *ctx, genc__sb *sb, const genc_choicemap *cm) {
  wframe buf[16], f = {cm, 0, 0, 0};
  genc__stk st = GENC__STK(buf);
  wstate w = {sb, 1, false};
  bool oom = !genc__stk_push(&st, &f);
  genc_status rc = GENC_OK;
  genc_comp c;
  const genc_choicemap *k;
  while (!rc && !oom && (k = next_value(&st, &c, text_close, &w, &oom))) {
    const wframe *fr = (const wframe *)st.p;
    for (int64_t j = w.shown; j < st.n; j++) {
      put_name(sb, fr[j].c, j - 1);
      genc__sb_printf(sb, "\n");
    }
    w.shown = st.n;
    put_name(sb, c, st.n - 1);
    genc__sb_printf(sb, " = ");
    rc = put_value(ctx, sb, k->value);
    genc__sb_printf(sb, "\n");
  }
  genc__stk_free(&st);
  if (oom) sb->oom = true;
  return rc;
}

static char *to_text(genc_ctx *ctx, const genc_choicemap *cm, size_t *len) {
  genc__sb sb = {0};
  genc_status st = GENC_OK;
  if (genc_choicemap_is_empty(cm))
    genc__sb_printf(&sb, "(empty choice map)\n");
  else if (cm->value) {
    st = put_value(ctx, &sb, cm->value);
    genc__sb_printf(&sb, "\n");
  } else
    st = put_tree(ctx, &sb, cm);
  if (!st && sb.oom) st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, "choice map print: out of memory");
  if (st) {
    free(sb.buf);
    return NULL;
  }
  *len = sb.len;
  return sb.buf;
}

int genc_choicemap_format(genc_ctx *ctx, const genc_choicemap *cm, char *buf, size_t cap) {
  size_t len = 0;
  char *s = to_text(ctx, cm, &len);
  if (!s) return -1;
  if (cap && buf) snprintf(buf, cap, "%s", s);
  free(s);
  return (int)len;
}

char *genc_choicemap_to_string(genc_ctx *ctx, const genc_choicemap *cm) {
  size_t len = 0;
  return to_text(ctx, cm, &len);
}

/* ---- JSON ---- */

/* JSON text is written directly (not through cJSON, whose printer recurses and
 * would overflow the C stack on deep maps). */

static void json_num(genc__sb *sb, double v, genc_dtype dt) {
  if (dt == GENC_BOOL) {
    genc__sb_printf(sb, "%s", v != 0 ? "true" : "false");
  } else if (isnan(v)) {
    genc__sb_printf(sb, "\"NaN\"");
  } else if (isinf(v)) {
    genc__sb_printf(sb, "%s", v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else { /* the shortest form that reads back exactly */
    char buf[32];
    for (int prec = 15; prec <= 17; prec++) {
      snprintf(buf, sizeof buf, "%.*g", prec, v);
      if (strtod(buf, NULL) == v) break;
    }
    genc__sb_printf(sb, "%s", buf);
  }
}

/* Nested arrays over axes [ax, nd) (at most GENC_MAX_DIMS + 1 deep). */
static void json_block(genc__sb *sb, const double *v, const int64_t *shape, int nd, int ax,
                       genc_dtype dt, bool pretty) {
  if (ax == nd) {
    json_num(sb, *v, dt);
    return;
  }
  int64_t stride = 1;
  for (int i = ax + 1; i < nd; i++)
    stride *= shape[i];
  genc__sb_printf(sb, "[");
  for (int64_t i = 0; i < shape[ax]; i++) {
    if (i) genc__sb_printf(sb, pretty ? ", " : ",");
    json_block(sb, v + i * stride, shape, nd, ax + 1, dt, pretty);
  }
  genc__sb_printf(sb, "]");
}

static genc_status json_value(genc_ctx *ctx, genc__sb *sb, const genc_array *a, bool pretty) {
  int64_t n = 0;
  double *v = genc__host_values(ctx, a, &n);
  if (!v) return genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_NOMEM;
  int nd = genc_array_ndim(a);
  int64_t shape[GENC_MAX_DIMS + 1];
  int64_t np = genc_array_nparticles(a);
  shape[0] = np;
  memcpy(shape + 1, genc_array_shape(a), (size_t)nd * sizeof *shape);
  json_block(sb, v, np ? shape : shape + 1, np ? nd + 1 : nd, 0, genc_array_dtype(a), pretty);
  free(v);
  return GENC_OK;
}

static void json_key(genc__sb *sb, genc_comp c) {
  char name[256];
  genc_comp_format(c, name, sizeof name);
  genc__sb_printf(sb, "\"");
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    if (*p == '"' || *p == '\\')
      genc__sb_printf(sb, "\\%c", *p);
    else if (*p < 0x20)
      genc__sb_printf(sb, "\\u%04x", *p);
    else
      genc__sb_printf(sb, "%c", *p);
  }
  genc__sb_printf(sb, "\"");
}

/* Start a member of frame j: a comma after the first, a new line when pretty. */
static void json_sep(wstate *w, wframe *fr) {
  if (fr->nout++) genc__sb_printf(w->sb, ",");
  if (w->pretty) genc__sb_printf(w->sb, "\n");
}

static void json_close(void *user, genc__stk *st, int64_t j) {
  wstate *w = user;
  if (j >= w->shown) return; /* never opened: an empty sub-map */
  w->shown = j;
  const wframe *fr = (const wframe *)st->p;
  if (w->pretty && fr[j].nout) {
    genc__sb_printf(w->sb, "\n");
    put_indent(w->sb, j, '\t');
  }
  genc__sb_printf(w->sb, "}");
}

/* As put_tree: objects open when their first value is written. Pretty output
 * indents with tabs up to INDENT_MAX levels (deeper lines keep that indent). */
static genc_status json_tree(genc_ctx *ctx, genc__sb *sb, const genc_choicemap *cm, bool pretty) {
  wframe buf[16], f = {cm, 0, 0, 0};
  genc__stk st = GENC__STK(buf);
  wstate w = {sb, 1, pretty};
  bool oom = !genc__stk_push(&st, &f);
  genc_status rc = GENC_OK;
  genc_comp c;
  const genc_choicemap *k;
  genc__sb_printf(sb, "{");
  while (!rc && !oom && (k = next_value(&st, &c, json_close, &w, &oom))) {
    wframe *fr = (wframe *)st.p;
    for (int64_t j = w.shown; j < st.n; j++) {
      json_sep(&w, &fr[j - 1]);
      if (pretty) put_indent(sb, j, '\t');
      json_key(sb, fr[j].c);
      genc__sb_printf(sb, pretty ? ":\t{" : ":{");
    }
    w.shown = st.n;
    json_sep(&w, &fr[st.n - 1]);
    if (pretty) put_indent(sb, st.n, '\t');
    json_key(sb, c);
    genc__sb_printf(sb, pretty ? ":\t" : ":");
    rc = json_value(ctx, sb, k->value, pretty);
  }
  genc__stk_free(&st);
  if (oom) sb->oom = true;
  return rc;
}

char *genc_choicemap_to_json(genc_ctx *ctx, const genc_choicemap *cm, bool pretty) {
  genc__sb sb = {0};
  genc_status st = GENC_OK;
  if (genc_choicemap_is_empty(cm))
    genc__sb_printf(&sb, "{}");
  else if (cm->value)
    st = json_value(ctx, &sb, cm->value, pretty);
  else
    st = json_tree(ctx, &sb, cm, pretty);
  if (!st && sb.oom)
    st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_choicemap_to_json: out of memory");
  if (st) {
    free(sb.buf);
    return NULL;
  }
  return sb.buf;
}
