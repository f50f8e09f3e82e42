/* Scan: jax.lax.scan shaped, kernel(carry, xs[t], params...) -> r_t, the next carry
 * being carry(r_t); step t at address t. The steps run in seq_chain.c. */
#include "comb/seq.h"

static genc_status scan_simulate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                                 genc_gfi_result *r) {
  return seq_chain_run(c, g, SEQ_SIMULATE, k, r, true);
}
static genc_status scan_generate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                                 genc_gfi_result *r) {
  return seq_chain_run(c, g, SEQ_GENERATE, k, r, true);
}
static genc_status scan_update(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                               genc_gfi_result *r) {
  return seq_chain_run(c, g, SEQ_UPDATE, k, r, true);
}
static genc_status scan_regenerate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                                   genc_gfi_result *r) {
  return seq_chain_run(c, g, SEQ_REGENERATE, k, r, true);
}
static genc_status scan_assess(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                               genc_gfi_result *r) {
  return seq_chain_run(c, g, SEQ_ASSESS, k, r, true);
}

static const genc_gf_type scan_type = {
    .name = "scan",
    .simulate = scan_simulate,
    .generate = scan_generate,
    .update = scan_update,
    .regenerate = scan_regenerate,
    .assess = scan_assess,
    .project = seq_project,
    .trace_map = seq_trace_map,
    .trace_take = seq_trace_take,
    .trace_choices = seq_trace_choices,
    .trace_free = seq_trace_free,
    .gf_free = seq_gf_free,
};

genc_gf *genc_scan(genc_gf *kernel, genc_carry_fn carry, void *user) {
  if (!kernel || genc_gf_nargs(kernel) < 2) return NULL;
  return seq_gf_new(&scan_type, "Scan", kernel, genc_gf_nargs(kernel), carry, user);
}
