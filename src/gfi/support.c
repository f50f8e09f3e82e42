/* genc_trace_support: the declared support of a traced choice, read from the
 * distribution type that dynamic sites record (handlers.c). Other trace types
 * answer through their optional trace_support entry, which hands the rest of
 * the address to the sub-trace holding the choice (the combinators, src/comb). */
#include <stdio.h>
#include <string.h>

#include "gfi/internal.h"

static genc_status no_choice(genc_ctx *ctx, const genc_trace *t, const genc_comp *path, int len) {
  char a[256];
  genc_addr_format(path, len, a, sizeof a);
  return genc_ctx_fail(ctx, GENC_ERR_ADDRESS, "genc_trace_support: no choice at %s in %s", a,
                       t->gf->name);
}

/* A dynamic trace: the choice record at path, or the call record at a prefix
 * of it whose sub-trace answers for the rest. */
static genc_status dyn_support(genc_ctx *ctx, const genc_trace *t, const genc_comp *path, int len,
                               genc_support_info *out) {
  const dyn_trace *d = t->impl;
  for (int k = len; k >= 1; k--) {
    int j = genc__dyn_find_path(d, path, k);
    if (j < 0) continue;
    const dyn_rec *r = &d->recs[j];
    if (r->kind == REC_CALL && k < len && r->sub)
      return genc_trace_support_at(ctx, r->sub, path + k, len - k, out);
    if (r->kind != REC_CHOICE || k != len) break;
    out->dist = r->dist;
    out->support = r->dist ? r->dist->support : (genc_support){0};
    out->lo = r->bound[0];
    out->hi = r->bound[1];
    return GENC_OK;
  }
  return no_choice(ctx, t, path, len);
}

genc_status genc_trace_support_at(genc_ctx *ctx, const genc_trace *t, const genc_comp *path,
                                  int len, genc_support_info *out) {
  if (!ctx) return GENC_ERR_ARG;
  if (!t || !path || !out || len < 1)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_trace_support_at: NULL trace, address or output, or an empty "
                         "address (len = %d)",
                         len);
  if (t->gf->type == &genc__dynamic_type) return dyn_support(ctx, t, path, len, out);
  if (t->gf->type->trace_support) return t->gf->type->trace_support(ctx, t, path, len, out);
  char a[256];
  genc_addr_format(path, len, a, sizeof a);
  return genc_ctx_fail(ctx, GENC_ERR_UNSUPPORTED,
                       "genc_trace_support: %s at %s is a %s trace, which records no supports",
                       t->gf->name, a, t->gf->type->name);
}

genc_status genc_trace_support(genc_ctx *ctx, const genc_trace *t, const char *path,
                               genc_support_info *out) {
  if (!ctx) return GENC_ERR_ARG;
  if (!t || !path || !out)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_trace_support: NULL trace, address or output");
  genc_addr a;
  if (genc_addr_parse(ctx, path, &a)) return genc_ctx_status(ctx);
  genc_status st = genc_trace_support_at(ctx, t, a.comp, a.len, out);
  if (st && !strstr(genc_ctx_error(ctx), path)) {
    /* failed in a sub-trace, whose message names the relative address */
    char msg[512];
    snprintf(msg, sizeof msg, "%s", genc_ctx_error(ctx));
    genc_ctx_fail(ctx, st, "%s (the choice %s of %s)", msg, path, t->gf->name);
  }
  return st;
}
