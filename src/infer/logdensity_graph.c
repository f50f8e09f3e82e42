/*
 * A log density's evaluation captured as a graph (genc_logdensity_set_compile):
 * the constrained values of the selected addresses in, the score and its
 * gradients at those addresses out. An eager evaluation is a generate through
 * the GFI (choice maps, a trace, a tape) and a backward pass, tens of
 * microseconds of bookkeeping around a few array ops; a replay runs only the
 * ops (fused and compiled where they fuse, the matrix products through BLAS),
 * which is what NUTS and HMC call thousands of times.
 */
#include <stdlib.h>
#include <string.h>

#include "infer/logdensity_impl.h"

typedef struct cap {
  const genc_logdensity *ld;
  int64_t n;
  bool grad;
  genc_trace *t;     /* the eager trace, kept until the capture returns */
  genc_choicemap *g; /* its gradients */
} cap;

static genc_status cap_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                          genc_array **out, void *user) {
  (void)keys;
  cap *u = user;
  const genc_logdensity *ld = u->ld;
  genc_choicemap *cm = genc_choicemap_copy(ctx, ld->obs);
  for (int a = 0; cm && a < ld->naddr; a++)
    if (genc_choicemap_set_str(ctx, cm, ld->addr[a], in[a])) break;
  if (!genc_ctx_status(ctx) && cm)
    u->t = genc_gf_generate(ctx, ld->gf, ld->args, cm, genc_key_from_seed(0), u->n, NULL);
  genc_choicemap_free(cm);
  if (!u->t) return genc_ctx_status(ctx);
  out[0] = genc_trace_score(u->t);
  if (!u->grad) return GENC_OK;
  if (genc_gf_choice_gradients(ctx, u->t, ld->sel, NULL, &u->g)) return genc_ctx_status(ctx);
  for (int a = 0; a < ld->naddr; a++)
    if (!(out[1 + a] = genc_choicemap_get_str(ctx, u->g, ld->addr[a]))) return genc_ctx_status(ctx);
  return GENC_OK;
}

/* The values of x ([np][xdim]) at each address, as arrays. */
static genc_status inputs(genc_ctx *ctx, const genc_logdensity *ld, int64_t n, const double *x,
                          genc_array **in) {
  int64_t np = n ? n : 1, q = 0;
  for (int a = 0; a < ld->naddr; a++) {
    int64_t m = ld->blk[a].rows * ld->blk[a].k;
    double *buf = malloc((size_t)(np * m + 1) * sizeof *buf);
    if (!buf) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_logdensity: no memory");
    for (int64_t p = 0; p < np; p++)
      memcpy(buf + p * m, x + p * ld->xdim + q, (size_t)m * sizeof *buf);
    in[a] = genc_array_from(ctx, GENC_F64, ld->ndim[a], ld->shape[a], n, buf);
    free(buf);
    if (!in[a]) return genc_ctx_status(ctx);
    q += m;
  }
  return GENC_OK;
}

/* lp and gx from the graph's outputs. */
static genc_status outputs(genc_ctx *ctx, const genc_logdensity *ld, int64_t n,
                           genc_array *const *out, double *lp, double *gx) {
  int64_t np = n ? n : 1, q = 0;
  genc_status st = genc_array_copy_out(ctx, out[0], lp, np);
  double *buf = gx && !st ? malloc((size_t)(np * ld->xdim + 1) * sizeof *buf) : NULL;
  if (gx && !st && !buf) st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_logdensity: no memory");
  for (int a = 0; buf && !st && a < ld->naddr; a++) {
    int64_t m = ld->blk[a].rows * ld->blk[a].k;
    if ((st = genc_array_copy_out(ctx, out[1 + a], buf, np * m))) break;
    for (int64_t p = 0; p < np; p++)
      memcpy(gx + p * ld->xdim + q, buf + p * m, (size_t)m * sizeof *buf);
    q += m;
  }
  free(buf);
  return st;
}

/* Capture the evaluation at the values in (its eager results into lp, gx)
 * and compile it; a refusal leaves no graph and no error (ld->refused). */
static genc_status capture(genc_ctx *ctx, genc_logdensity *ld, int64_t n, genc_array **in,
                           double *lp, double *gx) {
  genc_graph_free(ld->graph), ld->graph = NULL;
  int no = 1 + (gx ? ld->naddr : 0);
  genc_array **out = calloc((size_t)no + 1, sizeof *out);
  if (!out) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_logdensity: no memory");
  cap u = {.ld = ld, .n = n, .grad = gx != NULL};
  genc_graph *g = genc_graph_capture(ctx, cap_fn, &u, 0, NULL, ld->naddr, in, no, out);
  genc_status st = genc_ctx_status(ctx);
  if (g) st = outputs(ctx, ld, n, out, lp, gx);
  genc_trace_release(u.t);
  genc_choicemap_free(u.g);
  free(out);
  if (!g) {
    if (st != GENC_ERR_CAPTURE) return st;
    genc_ctx_clear_error(ctx); /* eager from now on */
    ld->refused = true;
    return GENC_OK;
  }
  ld->graph = g, ld->graph_n = n, ld->graph_grad = gx != NULL;
  if (!st && genc_ctx_device(ctx) == GENC_CPU) {
    genc_compile_opts co = {.background = ld->compile == GENC_COMPILE_AUTO};
    genc_graph_compile(ctx, g, &co);
    genc_ctx_clear_error(ctx); /* no compiler: the interpreter replays */
  }
  return st;
}

genc_status genc__ld_eval_graph(genc_ctx *ctx, genc_logdensity *ld, int64_t n, const double *x,
                                double *lp, double *gx, bool *handled) {
  *handled = false;
  if (ld->compile == GENC_COMPILE_OFF || ld->refused || genc_ctx_device(ctx) != GENC_CPU)
    return GENC_OK;
  bool fresh = !ld->graph || ld->graph_n != n || ld->graph_grad != (gx != NULL);
  int64_t mark = genc_scope_begin(ctx);
  genc_array **in = calloc((size_t)ld->naddr + 1, sizeof *in);
  int no = 1 + (gx ? ld->naddr : 0);
  genc_array **out = calloc((size_t)no + 1, sizeof *out);
  genc_status st = in && out ? inputs(ctx, ld, n, x, in)
                             : genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_logdensity: no memory");
  if (!st && fresh) {
    st = capture(ctx, ld, n, in, lp, gx);
    *handled = !st && ld->graph;
  } else if (!st) {
    st = genc_graph_replay(ctx, ld->graph, NULL, in, out);
    if (!st) st = outputs(ctx, ld, n, out, lp, gx);
    *handled = !st;
    if (st == GENC_ERR_CAPTURE) genc_ctx_clear_error(ctx), st = GENC_OK; /* a guard changed */
  }
  free(in), free(out);
  genc_scope_end(ctx, mark);
  return st;
}
