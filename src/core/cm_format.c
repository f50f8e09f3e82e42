/* Choice maps as text: the human-readable tree and JSON export. */
#include <cJSON.h>
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
  if (cap) snprintf(buf, cap, "%s", sb->buf ? sb->buf : "");
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

static genc_status put_tree(genc_ctx *ctx, genc__sb *sb, const genc_choicemap *cm, int depth) {
  for (int64_t i = 0; i < genc_choicemap_count(cm); i++) {
    genc_comp c;
    const genc_choicemap *k = genc_choicemap_child(cm, i, &c);
    if (genc_choicemap_is_empty(k)) continue;
    char name[256];
    genc_comp_format(c, name, sizeof name);
    genc__sb_printf(sb, "%*s%s", 2 * depth, "", name);
    genc_status st;
    if (k->value) {
      genc__sb_printf(sb, " = ");
      st = put_value(ctx, sb, k->value);
      genc__sb_printf(sb, "\n");
    } else {
      genc__sb_printf(sb, "\n");
      st = put_tree(ctx, sb, k, depth + 1);
    }
    if (st) return st;
  }
  return GENC_OK;
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
    st = put_tree(ctx, &sb, cm, 0);
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
  if (cap) snprintf(buf, cap, "%s", s);
  free(s);
  return (int)len;
}

char *genc_choicemap_to_string(genc_ctx *ctx, const genc_choicemap *cm) {
  size_t len = 0;
  return to_text(ctx, cm, &len);
}

/* ---- JSON ---- */

static cJSON *json_num(double v, genc_dtype dt) {
  if (dt == GENC_BOOL) return cJSON_CreateBool(v != 0);
  if (isnan(v)) return cJSON_CreateString("NaN");
  if (isinf(v)) return cJSON_CreateString(v > 0 ? "Infinity" : "-Infinity");
  /* cJSON's own printing treats values within a relative epsilon as equal and
   * can drop the last digits: print the shortest exact form ourselves */
  char buf[32];
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) break;
  }
  return cJSON_CreateRaw(buf);
}

static cJSON *json_block(const double *v, const int64_t *shape, int nd, int ax, genc_dtype dt) {
  if (ax == nd) return json_num(*v, dt);
  int64_t stride = 1;
  for (int i = ax + 1; i < nd; i++)
    stride *= shape[i];
  cJSON *arr = cJSON_CreateArray();
  for (int64_t i = 0; arr && i < shape[ax]; i++) {
    cJSON *e = json_block(v + i * stride, shape, nd, ax + 1, dt);
    if (!e || !cJSON_AddItemToArray(arr, e)) {
      cJSON_Delete(e);
      cJSON_Delete(arr);
      return NULL;
    }
  }
  return arr;
}

static cJSON *json_value(genc_ctx *ctx, const genc_array *a) {
  int64_t n = 0;
  double *v = genc__host_values(ctx, a, &n);
  if (!v) return NULL;
  int nd = genc_array_ndim(a);
  int64_t shape[GENC_MAX_DIMS + 1];
  int64_t np = genc_array_nparticles(a);
  shape[0] = np;
  memcpy(shape + 1, genc_array_shape(a), (size_t)nd * sizeof *shape);
  cJSON *r = json_block(v, np ? shape : shape + 1, np ? nd + 1 : nd, 0, genc_array_dtype(a));
  free(v);
  return r;
}

static cJSON *json_tree(genc_ctx *ctx, const genc_choicemap *cm) {
  if (cm->value) return json_value(ctx, cm->value);
  cJSON *obj = cJSON_CreateObject();
  for (int64_t i = 0; obj && i < genc_choicemap_count(cm); i++) {
    genc_comp c;
    const genc_choicemap *k = genc_choicemap_child(cm, i, &c);
    if (genc_choicemap_is_empty(k)) continue;
    char name[256];
    genc_comp_format(c, name, sizeof name);
    cJSON *e = json_tree(ctx, k);
    if (!e || !cJSON_AddItemToObject(obj, name, e)) {
      cJSON_Delete(e);
      cJSON_Delete(obj);
      return NULL;
    }
  }
  return obj;
}

char *genc_choicemap_to_json(genc_ctx *ctx, const genc_choicemap *cm, bool pretty) {
  cJSON *j = cm ? json_tree(ctx, cm) : cJSON_CreateObject();
  char *s = j ? (pretty ? cJSON_Print(j) : cJSON_PrintUnformatted(j)) : NULL;
  cJSON_Delete(j);
  if (!s && !genc_ctx_status(ctx))
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_choicemap_to_json: out of memory");
  return s;
}
