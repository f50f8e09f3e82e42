/* The trace_support entry of Switch and Mask: the taken branch's trace answers
 * (its choices sit at the Switch's own addresses). With a batched index every
 * branch has a trace; the branches holding the choice must agree on its
 * distribution type and have no per-draw bounds, else the support would
 * differ between particles. */
#include "comb/switch_impl.h"

static bool same_support(const genc_support_info *a, const genc_support_info *b) {
  return a->dist == b->dist && !a->lo && !a->hi && !b->lo && !b->hi;
}

static genc_status batched_support(genc_ctx *ctx, const genc_trace *tr, const genc_comp *path,
                                   int len, genc_support_info *out) {
  const sw_trace *t = genc_trace_impl(tr);
  int found = -1;
  for (int k = 0; k < t->k; k++) {
    genc_support_info si;
    genc_status st = genc_trace_support_at(ctx, t->sub[k], path, len, &si);
    if (st == GENC_ERR_ADDRESS) {
      genc_ctx_clear_error(ctx); /* branch k has no such choice */
      continue;
    }
    if (st) return st;
    if (found >= 0 && !same_support(out, &si)) {
      char a[256];
      genc_addr_format(path, len, a, sizeof a);
      return genc_ctx_fail(ctx, GENC_ERR_UNSUPPORTED,
                           "genc_trace_support: %s has a batched index and its branches %d and "
                           "%d draw the choice at %s from different supports (%s, %s) or with "
                           "bounds, which differ between particles",
                           genc_gf_name(genc_trace_gf(tr)), found, k, a,
                           out->dist ? out->dist->name : "?", si.dist ? si.dist->name : "?");
    }
    if (found < 0) *out = si, found = k;
  }
  if (found >= 0) return GENC_OK;
  char a[256];
  genc_addr_format(path, len, a, sizeof a);
  return genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                       "genc_trace_support: no branch of %s has a choice at %s",
                       genc_gf_name(genc_trace_gf(tr)), a);
}

genc_status genc__sw_trace_support(genc_ctx *ctx, const genc_trace *tr, const genc_comp *path,
                                   int len, genc_support_info *out) {
  const sw_trace *t = genc_trace_impl(tr);
  if (t->taken >= 0) return genc_trace_support_at(ctx, t->sub[t->taken], path, len, out);
  return batched_support(ctx, tr, path, len, out);
}
