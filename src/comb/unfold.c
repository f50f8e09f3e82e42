/* Unfold: a state threaded through T steps of a kernel, kernel(t, state,
 * params...) -> new state; step t at address t. The steps run in seq_chain.c. */
#include "comb/seq.h"

static genc_status unfold_simulate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                                   genc_gfi_result *r) {
  return seq_chain_run(c, g, SEQ_SIMULATE, k, r, false);
}
static genc_status unfold_generate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                                   genc_gfi_result *r) {
  return seq_chain_run(c, g, SEQ_GENERATE, k, r, false);
}
static genc_status unfold_update(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                                 genc_gfi_result *r) {
  return seq_chain_run(c, g, SEQ_UPDATE, k, r, false);
}
static genc_status unfold_regenerate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                                     genc_gfi_result *r) {
  return seq_chain_run(c, g, SEQ_REGENERATE, k, r, false);
}
static genc_status unfold_assess(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                                 genc_gfi_result *r) {
  return seq_chain_run(c, g, SEQ_ASSESS, k, r, false);
}

static const genc_gf_type unfold_type = {
    .name = "unfold",
    .simulate = unfold_simulate,
    .generate = unfold_generate,
    .update = unfold_update,
    .regenerate = unfold_regenerate,
    .assess = unfold_assess,
    .project = seq_project,
    .trace_map = seq_trace_map,
    .trace_take = seq_trace_take,
    .trace_choices = seq_trace_choices,
    .trace_free = seq_trace_free,
    .gf_free = seq_gf_free,
};

genc_gf *genc_unfold(genc_gf *kernel) {
  if (!kernel || genc_gf_nargs(kernel) < 2) return NULL;
  return seq_gf_new(&unfold_type, "Unfold", kernel, genc_gf_nargs(kernel), NULL, NULL);
}
