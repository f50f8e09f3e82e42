/* genc_trace_support: the declared support of a traced choice, read from the
 * distribution type that dynamic sites record (handlers.c). */
#include "gfi/internal.h"

/* Find the choice at path in a dynamic trace, descending through splices. */
static const dyn_rec *find_choice(const genc_trace *t, const genc_comp *path, int len,
                                  const genc_trace **owner) {
  while (t && t->gf->type == &genc__dynamic_type) {
    const dyn_trace *d = t->impl;
    for (int k = len; k >= 1; k--) {
      int j = genc__dyn_find_path(d, path, k);
      if (j < 0) continue;
      const dyn_rec *r = &d->recs[j];
      if (r->kind == REC_CHOICE && k == len) return r;
      if (r->kind != REC_CALL) return NULL;
      *owner = r->sub;
      if (k == len) return NULL;
      path += k, len -= k;
      break;
    }
    if (*owner == t) return NULL;
    t = *owner;
  }
  return NULL;
}

genc_status genc_trace_support(genc_ctx *ctx, const genc_trace *t, const char *path,
                               genc_support_info *out) {
  if (!ctx) return GENC_ERR_ARG;
  if (!t || !path || !out)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_trace_support: NULL trace, address or output");
  genc_addr a;
  if (genc_addr_parse(ctx, path, &a)) return genc_ctx_status(ctx);
  const genc_trace *owner = t;
  const dyn_rec *r = find_choice(t, a.comp, a.len, &owner);
  if (!r && owner && owner->gf->type != &genc__dynamic_type)
    return genc_ctx_fail(ctx, GENC_ERR_UNSUPPORTED,
                         "genc_trace_support: %s at %s is a %s trace, which records no supports",
                         owner->gf->name, path, owner->gf->type->name);
  if (!r)
    return genc_ctx_fail(ctx, GENC_ERR_ADDRESS, "genc_trace_support: no choice at %s in %s", path,
                         t->gf->name);
  out->dist = r->dist;
  out->support = r->dist ? r->dist->support : (genc_support){0};
  out->lo = r->bound[0];
  out->hi = r->bound[1];
  return GENC_OK;
}
