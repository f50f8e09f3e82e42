/* Unfold: a state threaded through T steps of a kernel, kernel(t, state,
 * params...) -> new state; step t at address t. The steps run in seq_chain.c. */
#include "comb/seq.h"

static const genc_gf_type unfold_type = {
    .name = "unfold",
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

genc_gf *genc_unfold(genc_gf *kernel) {
  if (!kernel || genc_gf_nargs(kernel) < 2) return NULL;
  return seq_gf_new(&unfold_type, "Unfold", kernel, genc_gf_nargs(kernel), NULL, NULL);
}
