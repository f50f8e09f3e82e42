/* Scan: jax.lax.scan shaped, kernel(carry, xs[t], params...) -> r_t, the next carry
 * being carry(r_t); step t at address t. The steps run in seq_chain.c. */
#include "comb/seq.h"

static const genc_gf_type scan_type = {
    .name = "scan",
    .simulate = seq_chain_simulate,
    .generate = seq_chain_generate,
    .update = seq_chain_update,
    .regenerate = seq_chain_regenerate,
    .assess = seq_chain_assess,
    .project = seq_project,
    .trace_map = seq_trace_map,
    .trace_take = seq_trace_take,
    .trace_retval = seq_trace_retval,
    .trace_support = seq_trace_support,
    .trace_choices = seq_trace_choices,
    .trace_free = seq_trace_free,
    .gf_free = seq_gf_free,
};

genc_gf *genc_scan(genc_gf *kernel, genc_carry_fn carry, void *user) {
  if (!kernel || genc_gf_nargs(kernel) < 2) return NULL;
  genc_gf *gf = seq_gf_new(&scan_type, "Scan", kernel, genc_gf_nargs(kernel), carry, user);
  if (gf) ((seq_gf *)genc_gf_impl(gf))->scan = true;
  return gf;
}
