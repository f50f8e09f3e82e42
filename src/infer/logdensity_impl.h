/*
 * The log density object (logdensity.c) and its captured evaluation
 * (logdensity_graph.c), private to the inference layer.
 */
#ifndef GENC_INFER_LOGDENSITY_IMPL_H
#define GENC_INFER_LOGDENSITY_IMPL_H

#include "genc/exec.h"
#include "genc/infer.h"
#include "infer/transform.h"

struct genc_logdensity {
  genc_gf *gf;
  genc_array *args[GENC_GF_MAX_ARGS];
  genc_choicemap *obs;
  genc_selection *sel;
  int naddr;
  char **addr;
  ld_block *blk;
  int *ndim;       /* per address: the value's rank */
  int64_t **shape; /* per address: the value's shape */
  int64_t dim, xdim;
  char **names; /* CmdStan names of the constrained elements */
  /* genc_logdensity_set_compile: the mode, and the captured evaluation of n
   * points (with gradients or not); refused: a capture was refused, stay eager */
  genc_compile_mode compile;
  genc_graph *graph;
  int64_t graph_n;
  bool graph_grad, refused;
};

/*
 * The score (lp, np values) and, when gx is not NULL, the score's gradients
 * at the selected addresses (gx, [np][xdim]) at the constrained points x
 * ([np][xdim]) through the captured graph of the evaluation: captured at the
 * first call for (n, gradients or not), compiled as ld->compile says,
 * replayed after. *handled false (no error): evaluate eagerly instead (mode
 * OFF, a refused capture, another device, a guard that changed).
 */
genc_status genc__ld_eval_graph(genc_ctx *ctx, genc_logdensity *ld, int64_t n, const double *x,
                                double *lp, double *gx, bool *handled);

#endif
