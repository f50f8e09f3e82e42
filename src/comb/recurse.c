/* Recurse(production, aggregation): every node runs production(v) at
 * "production", its children (one per row of the production's value) at
 * indices 0.., then aggregation(v, stacked child values) at "aggregation".
 * Nodes are one dynamic function calling itself with (v, depth); the public
 * function wraps it with depth 0 and owns the parts. */
#include <stdlib.h>

#include "comb/cb2.h"

typedef struct rec_data {
  genc_gf *prod, *agg, *node;
  int max_depth;
} rec_data;

/* The children's values stacked on a new axis 0 ([0] f64 for a leaf). */
static genc_array *stack_children(genc_ctx *ctx, int64_t m, genc_array **vals) {
  int64_t zero = 0;
  return m ? genc_stack(ctx, (int)m, vals, 0) : genc_array_zeros(ctx, GENC_F64, 1, &zero, 0);
}

static genc_array *run_children(genc_rt *rt, const rec_data *d, genc_array *kids, double depth) {
  genc_ctx *ctx = genc_rt_ctx(rt);
  int64_t m = genc_array_dim(kids, 0);
  genc_array **vals = malloc((size_t)(m ? m : 1) * sizeof *vals);
  genc_array *dn = genc_scalar_of(ctx, depth + 1, GENC_I32), *out = NULL;
  int64_t c = 0;
  for (; vals && dn && c < m; c++) {
    genc_array *row = genc_squeeze(ctx, genc_slice(ctx, kids, 0, c, c + 1, 1), 0);
    genc_array *cargs[2] = {row, dn};
    if (!row || !(vals[c] = genc_rt_splice(rt, genc_idx(c), d->node, cargs))) break;
  }
  if (vals && c == m) out = stack_children(ctx, m, vals);
  if (!vals) genc_ctx_fail(ctx, GENC_ERR_NOMEM, "recurse: out of memory");
  free(vals);
  return out;
}

static genc_array *node_body(genc_rt *rt, genc_array *const *args, void *user) {
  const rec_data *d = user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  double depth = 0;
  if (genc_array_item(ctx, args[1], &depth)) return NULL;
  if (depth > d->max_depth) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: the tree is deeper than max_depth %d",
                  genc_gf_name(d->node), d->max_depth);
    return NULL;
  }
  genc_array *kids = genc_rt_splice(rt, GENC_SYM("production"), d->prod, args);
  if (!kids) return NULL;
  if (genc_array_ndim(kids) < 1) {
    genc_ctx_fail(ctx, GENC_ERR_SHAPE,
                  "%s: the production must return the children's arguments as an array of "
                  "shape [m, ...] (it returned a 0-d array)",
                  genc_gf_name(d->node));
    return NULL;
  }
  genc_array *vals = run_children(rt, d, kids, depth);
  genc_array *aargs[2] = {args[0], vals};
  return vals ? genc_rt_splice(rt, GENC_SYM("aggregation"), d->agg, aargs) : NULL;
}

/* The root node's arguments: (v, depth 0). */
static genc_status root_args(genc_ctx *ctx, genc_array *const *in, genc_array **out, void *user) {
  (void)user;
  out[0] = in[0];
  out[1] = genc_scalar_of(ctx, 0, GENC_I32);
  return out[1] ? GENC_OK : genc_ctx_status(ctx);
}

genc_gf *genc_recurse(const char *name, genc_gf *production, genc_gf *aggregation, int max_depth) {
  if (!production || !aggregation || genc_gf_nargs(production) != 1 ||
      genc_gf_nargs(aggregation) != 2 || max_depth < 1 || max_depth > GENC_RECURSE_MAX_DEPTH)
    return NULL;
  if (!name) name = "recurse";
  rec_data *d = calloc(1, sizeof *d);
  genc_gf *node = d ? genc_gf_dynamic(name, node_body, 2, d) : NULL;
  if (!node) {
    free(d);
    return NULL;
  }
  *d = (rec_data){genc_gf_retain(production), genc_gf_retain(aggregation), node, max_depth};
  cb2_owned own = {.gfs = {d->prod, d->agg}, .data = d, .free_data = free};
  /* the wrapper holds the node; d->node is a borrowed self-reference (no cycle) */
  genc_gf *gf = genc__cb2_wrap(name, node, 1, root_args, NULL, NULL, &own);
  genc_gf_release(node);
  return gf;
}
