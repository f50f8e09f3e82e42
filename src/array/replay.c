/*
 * Replay of a captured graph (array/graph.h): the derived keys are recomputed
 * on the host from the new key inputs, then every node runs through its
 * primitive's forward in order (or the executor a compiled graph carries
 * does), each intermediate is released after its last use so memory stays
 * flat, and the guards of parameter checks are read again.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "array/graph.h"
#include "random/internal.h"

void genc__graph_keys(const genc_graph *g, const genc_key *key_inputs, genc_key *out) {
  for (int32_t i = 0; i < g->nkeys; i++) {
    const genc_gkey *d = &g->keys[i];
    genc_key k = d->parent < 0 ? key_inputs[-d->parent - 1] : out[d->parent];
    switch (d->op) {
    case GENC_GKEY_SPLIT: k = genc__key_split_one(k, (uint32_t)d->arg); break;
    case GENC_GKEY_FOLD: k = genc_key_fold_in(k, d->arg); break;
    case GENC_GKEY_PARTICLE: k.particle += (uint32_t)d->arg; break;
    }
    out[i] = k;
  }
}

static bool meta_match(const genc_gmeta *m, const genc_array *a) {
  return a->dtype == m->dtype && a->ndim == m->ndim && a->n == m->n && a->size == m->size &&
         !memcmp(a->shape, m->shape, (size_t)m->ndim * sizeof *m->shape);
}

static const char *meta_str(const genc_gmeta *m, char *buf, size_t cap) {
  genc_array a = {.dtype = m->dtype, .ndim = m->ndim, .n = m->n};
  memcpy(a.shape, m->shape, sizeof a.shape);
  char s[128];
  snprintf(buf, cap, "%s %s", genc_dtype_name((genc_dtype)m->dtype),
           genc__shape_str(&a, s, sizeof s));
  return buf;
}

genc_array *genc__graph_run_node(genc_ctx *ctx, const genc_graph *g, int32_t k, genc_array **vals,
                                 const genc_key *keys) {
  const genc_gnode *nd = &g->nodes[k];
  genc_params p = nd->p;
  if (nd->key >= 0) {
    genc_key key = keys[nd->key];
    p.i[0] = (int64_t)((uint64_t)key.k[0] | (uint64_t)key.k[1] << 32);
    p.i[1] = key.particle;
  }
  genc_array *in[GENC_MAX_INPUTS];
  for (int i = 0; i < nd->nin; i++)
    in[i] = vals[nd->in[i]];
  /* the forward's temporaries die in this scope; the output survives it */
  int64_t mark = genc_scope_begin(ctx);
  const char *op = ctx->op;
  ctx->op = nd->prim->name;
  genc_array *y = genc_array_retain(nd->prim->forward(ctx, in, &p));
  ctx->op = op;
  genc_scope_end(ctx, mark);
  if (y && !meta_match(&nd->out, y)) {
    char b1[192], b2[192];
    genc_gmeta got = {.dtype = y->dtype, .ndim = y->ndim, .n = y->n};
    memcpy(got.shape, y->shape, sizeof got.shape);
    genc_ctx_fail(ctx, GENC_ERR_CAPTURE,
                  "genc_graph_replay: node %d ('%s') made %s where the capture made %s", (int)k,
                  nd->prim->name, meta_str(&got, b1, sizeof b1), meta_str(&nd->out, b2, sizeof b2));
    genc_array_release(y);
    return NULL;
  }
  if (y) y->weak = nd->out.weak;
  return y;
}

/* Guard q against this replay's value. */
static genc_status check_guard(genc_ctx *ctx, const genc_graph *g, int32_t q, genc_array **vals) {
  double v = NAN, seen = g->guards[q].seen;
  genc_status st = genc_array_item(ctx, vals[g->guards[q].value], &v);
  if (st || v == seen || (isnan(v) && isnan(seen))) return st;
  return genc_ctx_fail(ctx, GENC_ERR_CAPTURE,
                       "genc_graph_replay: guard changed: rerun eagerly (a check read %g at "
                       "capture and %g now)",
                       seen, v);
}

genc_status genc__graph_check_guard(genc_ctx *ctx, const genc_graph *g, int32_t q,
                                    genc_array **vals) {
  return check_guard(ctx, g, q, vals);
}

static genc_status interpret(genc_ctx *ctx, const genc_graph *g, const genc_key *keys,
                             genc_array **vals) {
  int32_t base = g->ninputs + g->nconsts, q = 0;
  genc_status st = GENC_OK;
  for (; q < g->nguards && g->guard_pos[q] < 0 && !st; q++)
    st = check_guard(ctx, g, q, vals);
  for (int32_t k = 0; k < g->nnodes && !st; k++) {
    genc_array *y = genc__graph_run_node(ctx, g, k, vals, keys);
    if (!y) return genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_BACKEND;
    vals[base + k] = y;
    const genc_gnode *nd = &g->nodes[k];
    for (int i = 0; i < nd->nin; i++) {
      int32_t u = nd->in[i];
      if (u >= base && g->last_use[u] == k) {
        genc_array_release(vals[u]);
        vals[u] = NULL;
      }
    }
    for (; q < g->nguards && g->guard_pos[q] == k && !st; q++)
      st = check_guard(ctx, g, q, vals);
  }
  return st;
}

genc_status genc__graph_check_args(genc_ctx *ctx, const genc_graph *g, const genc_key *keys,
                                   genc_array *const *in, genc_array **out, const char *f) {
  if (!g) return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: NULL graph", f);
  if (g->ctx != ctx)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: the graph belongs to another context", f);
  if (ctx->capture || genc__key_log_active)
    return genc_ctx_fail(ctx, GENC_ERR_CAPTURE,
                         "%s: cannot replay a graph inside a capture (captures do not nest)", f);
  if ((g->nkeys_in && !keys) || (g->ninputs && !in) || (g->noutputs && !out))
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "%s: the graph needs %d keys, %d inputs and room for %d outputs", f,
                         (int)g->nkeys_in, (int)g->ninputs, (int)g->noutputs);
  for (int32_t i = 0; i < g->ninputs; i++) {
    if (!in[i] || in[i]->ctx != ctx)
      return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: input %d is %s", f, (int)i,
                           in[i] ? "of another context" : "NULL");
    if (!meta_match(&g->meta[i], in[i])) {
      char b1[192], b2[192];
      genc_gmeta m = {.dtype = in[i]->dtype, .ndim = in[i]->ndim, .n = in[i]->n};
      memcpy(m.shape, in[i]->shape, sizeof m.shape);
      return genc_ctx_fail(ctx, GENC_ERR_SHAPE,
                           "%s: input %d is %s, the graph was captured with %s (same shape, "
                           "dtype and particle count needed)",
                           f, (int)i, meta_str(&m, b1, sizeof b1),
                           meta_str(&g->meta[i], b2, sizeof b2));
    }
  }
  return GENC_OK;
}

genc_status genc_graph_replay(genc_ctx *ctx, genc_graph *g, const genc_key *keys,
                              genc_array *const *in, genc_array **out) {
  if (!ctx) return GENC_ERR_ARG;
  genc_status st = genc__graph_check_args(ctx, g, keys, in, out, "genc_graph_replay");
  if (st) return st;
  int32_t base = g->ninputs + g->nconsts, nv = base + g->nnodes;
  genc_array **vals = calloc((size_t)nv + 1, sizeof *vals);
  genc_key *dk = malloc(((size_t)g->nkeys + 1) * sizeof *dk);
  genc_array **res = malloc(((size_t)g->noutputs + 1) * sizeof *res);
  if (!vals || !dk || !res) {
    free(vals), free(dk), free(res);
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_graph_replay: out of memory");
  }
  for (int32_t i = 0; i < g->ninputs; i++)
    vals[i] = in[i];
  for (int32_t c = 0; c < g->nconsts; c++)
    vals[g->ninputs + c] = g->consts[c];
  genc__graph_keys(g, keys, dk);
  int64_t mark = genc_scope_begin(ctx);
  if (g->exec_run) {
    st = g->exec_run(ctx, g, dk, vals);
    for (int32_t q = 0; q < g->nguards && !st && !g->exec_guards; q++)
      st = check_guard(ctx, g, q, vals);
  } else {
    st = interpret(ctx, g, dk, vals);
  }
  for (int32_t j = 0; j < g->noutputs; j++)
    res[j] = st ? NULL : vals[g->outputs[j]];
  if (st)
    genc_scope_end(ctx, mark);
  else /* outputs join the caller's scope */
    genc_scope_end_keep(ctx, mark, res, g->noutputs);
  for (int32_t v = base; v < nv; v++) /* most were released after their last use */
    if (vals[v]) genc_array_release(vals[v]);
  for (int32_t j = 0; j < g->noutputs; j++)
    out[j] = res[j];
  free(vals), free(dk), free(res);
  return st;
}
