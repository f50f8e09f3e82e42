/* The trace_support entry of Map, Unfold and Scan: step t's kernel trace (read
 * through seq_sub, so a pending particle index is applied) answers for the
 * address after the step index t. */
#include "comb/seq.h"

genc_status seq_trace_support(genc_ctx *ctx, const genc_trace *t, const genc_comp *path, int len,
                              genc_support_info *out) {
  const seq_trace *d = genc_trace_impl(t);
  int64_t s = genc_comp_index(path[0]);
  if (s < 0 || s >= d->len || len < 2) {
    char a[256];
    genc_addr_format(path, len, a, sizeof a);
    return genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                         "genc_trace_support: no choice at %s in %s (its choices are at step "
                         "index/choice address, steps 0..%lld)",
                         a, genc_gf_name(genc_trace_gf(t)), (long long)d->len - 1);
  }
  const genc_trace *sub = seq_sub(ctx, d, s);
  if (!sub) return genc_ctx_status(ctx);
  return genc_trace_support_at(ctx, sub, path + 1, len - 1, out);
}
