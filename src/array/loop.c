/*
 * genc_graph_loop (genc/array.h): a graph replayed many times in a row with
 * outputs carried into inputs. The executor may run the whole loop itself
 * (exec_loop: the CPU executor's compiled single-chain loop, exec_loop.c);
 * otherwise it is replays one by one, each in a scope of its own, so memory
 * stays at one replay's whatever the count.
 */
#include <stdlib.h>
#include <string.h>

#include "array/graph.h"

static const char *const FN = "genc_graph_loop";

static bool meta_eq(const genc_gmeta *a, const genc_gmeta *b) {
  return a->dtype == b->dtype && a->ndim == b->ndim && a->n == b->n && a->size == b->size &&
         !memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof *a->shape);
}

static genc_status check_opts(genc_ctx *ctx, const genc_graph *g, const genc_graph_loop_opts *o) {
  if (!o) return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: NULL options", FN);
  if (o->iters < 1)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: iters = %lld (at least 1)", FN,
                         (long long)o->iters);
  if (g->ninputs && !o->carry)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: NULL carry (one entry per input, -1: stays)", FN);
  for (int32_t j = 0; j < g->ninputs; j++) {
    int32_t c = o->carry[j];
    if (c < -1 || c >= g->noutputs)
      return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: carry[%d] = %d is no output (the graph has %d)",
                           FN, (int)j, (int)c, (int)g->noutputs);
    if (c >= 0 && !meta_eq(&g->meta[g->outputs[c]], &g->meta[j]))
      return genc_ctx_fail(ctx, GENC_ERR_SHAPE,
                           "%s: carry[%d] = %d: output %d's dtype, shape or particle count "
                           "differs from input %d's",
                           FN, (int)j, (int)c, (int)c, (int)j);
  }
  if (o->nrecord < 0 || (o->nrecord && (!o->record || !o->rec)))
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: nrecord = %d with %s", FN, (int)o->nrecord,
                         o->nrecord < 0 ? "a negative count" : "NULL record or rec");
  for (int32_t r = 0; r < o->nrecord; r++)
    if (o->record[r] < 0 || o->record[r] >= g->noutputs)
      return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: record[%d] = %d is no output (the graph has %d)",
                           FN, (int)r, (int)o->record[r], (int)g->noutputs);
  return GENC_OK;
}

/* Hand arrays this function holds a reference to over to the caller's
 * scope (the reference becomes the scope's). */
static void hand_over(genc_ctx *ctx, genc_array **a, int32_t n) {
  int64_t mark = genc_scope_begin(ctx);
  genc_scope_end_keep(ctx, mark, a, n);
  for (int32_t j = 0; j < n; j++)
    genc_array_release(a[j]);
}

/* Replay i's outputs res into rec (replay i's row) and the next inputs. */
static genc_status carry_on(genc_ctx *ctx, const genc_graph *g, const genc_graph_loop_opts *o,
                            int64_t i, genc_array **res, genc_array **cur) {
  int64_t w = 0;
  for (int32_t r = 0; r < o->nrecord; r++) {
    const genc_gmeta *m = &g->meta[g->outputs[o->record[r]]];
    w += m->size * (m->n ? m->n : 1);
  }
  double *row = o->nrecord ? o->rec + i * w : NULL;
  for (int32_t r = 0; r < o->nrecord; r++) {
    const genc_gmeta *m = &g->meta[g->outputs[o->record[r]]];
    int64_t c = m->size * (m->n ? m->n : 1);
    genc_status st = genc_array_copy_out(ctx, res[o->record[r]], row, c);
    if (st) return st;
    row += c;
  }
  for (int32_t j = 0; j < g->ninputs; j++)
    if (o->carry[j] >= 0) {
      genc_array *x = genc_array_retain(res[o->carry[j]]);
      genc_array_release(cur[j]);
      cur[j] = x;
    }
  return GENC_OK;
}

static genc_status one_by_one(genc_ctx *ctx, genc_graph *g, const genc_key *keys,
                              genc_array *const *in, genc_array **out,
                              const genc_graph_loop_opts *o) {
  int32_t ni = g->ninputs, no = g->noutputs, nk = g->nkeys_in;
  genc_array **cur = calloc((size_t)ni + 1, sizeof *cur);
  genc_array **res = calloc((size_t)no + 1, sizeof *res);
  genc_array **last = calloc((size_t)no + 1, sizeof *last);
  genc_key *kk = malloc(((size_t)nk + 1) * sizeof *kk);
  genc_status st =
      cur && res && last && kk ? GENC_OK : genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory", FN);
  for (int32_t j = 0; !st && j < ni; j++)
    cur[j] = genc_array_retain(in[j]);
  int64_t i = 0;
  for (; !st && i < o->iters; i++) {
    for (int32_t k = 0; k < nk; k++)
      kk[k] = genc_key_fold_in(keys[k], (uint64_t)(o->first + i));
    int64_t mark = genc_scope_begin(ctx);
    st = genc_graph_replay(ctx, g, kk, cur, res);
    if (!st) st = carry_on(ctx, g, o, i, res, cur);
    for (int32_t j = 0; !st && j < no; j++) {
      genc_array_release(last[j]);
      last[j] = genc_array_retain(res[j]);
    }
    genc_scope_end(ctx, mark);
  }
  if (o->done) *o->done = st == GENC_ERR_CAPTURE ? i - 1 : st ? 0 : i;
  if (!st || st == GENC_ERR_CAPTURE) {
    hand_over(ctx, last, no);
    for (int32_t j = 0; j < no; j++)
      out[j] = last[j];
  } else {
    for (int32_t j = 0; last && j < no; j++)
      genc_array_release(last[j]);
  }
  for (int32_t j = 0; cur && j < ni; j++)
    genc_array_release(cur[j]);
  free(cur), free(res), free(last), free(kk);
  return st;
}

genc_status genc_graph_loop(genc_ctx *ctx, genc_graph *g, const genc_key *keys,
                            genc_array *const *in, genc_array **out,
                            const genc_graph_loop_opts *opts) {
  if (!ctx) return GENC_ERR_ARG;
  if (opts && opts->done) *opts->done = 0;
  genc_status st = genc__graph_check_args(ctx, g, keys, in, out, FN);
  if (!st) st = check_opts(ctx, g, opts);
  if (st) return st;
  for (int32_t j = 0; j < g->noutputs; j++)
    out[j] = NULL;
  if (g->exec_loop) {
    bool handled = false;
    st = g->exec_loop(ctx, g, keys, in, out, opts, &handled);
    if (handled) return st;
  }
  return one_by_one(ctx, g, keys, in, out, opts);
}
