/* Addresses written as strings ("t/3/y"): parse, then the path functions. */
#include "core/internal.h"

genc_array *genc_choicemap_get_str(genc_ctx *ctx, const genc_choicemap *cm, const char *addr) {
  genc_addr a;
  if (!addr) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_choicemap_get_str: NULL address string");
    return NULL;
  }
  if (genc_addr_parse(ctx, addr, &a)) return NULL;
  return genc_choicemap_get_path(ctx, cm, a.comp, a.len);
}

genc_status genc_choicemap_set_str(genc_ctx *ctx, genc_choicemap *cm, const char *addr,
                                   genc_array *v) {
  genc_addr a;
  if (!addr) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_choicemap_set_str: NULL address string");
  genc_status st = genc_addr_parse(ctx, addr, &a);
  return st ? st : genc_choicemap_set_path(ctx, cm, a.comp, a.len, v);
}

genc_status genc_selection_add_str(genc_ctx *ctx, genc_selection *sel, const char *addr) {
  genc_addr a;
  if (!addr) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_selection_add_str: NULL address string");
  genc_status st = genc_addr_parse(ctx, addr, &a);
  return st ? st : genc_selection_add_path(ctx, sel, a.comp, a.len);
}

bool genc_selection_has_str(const genc_selection *s, const char *addr) {
  genc_addr a;
  return addr && !genc_addr_parse(NULL, addr, &a) && genc_selection_has_path(s, a.comp, a.len);
}
