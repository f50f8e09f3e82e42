/* The step table of a sequence trace: kernel traces in reference-counted
 * chunks of SEQ_CHUNK, so that a trace made by an update shares the chunks
 * of the old trace's unchanged prefix instead of copying (and retaining)
 * one pointer per step, and a trace made by a take shares all of them under
 * a pending particle index. A chunk is written only while its one owner, the
 * trace under construction, fills it. */
#include <stdlib.h>

#include "comb/seq.h"

seq_trace *seq_trace_alloc(int64_t len) {
  seq_trace *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->nchunks = (len + SEQ_CHUNK - 1) / SEQ_CHUNK;
  d->like_pos = -1;
  size_t nc = (size_t)(d->nchunks ? d->nchunks : 1);
  d->chunks = calloc(nc, sizeof *d->chunks);
  d->perm = calloc(nc, sizeof *d->perm);
  if (!d->chunks || !d->perm) {
    free(d->chunks);
    free(d->perm);
    free(d);
    return NULL;
  }
  return d;
}

static seq_chunk *chunk_new(void) {
  seq_chunk *c = calloc(1, sizeof *c);
  if (c) c->refs = 1;
  return c;
}

static void chunk_release(seq_chunk *c) {
  if (!c || --c->refs > 0) return;
  for (int i = 0; i < SEQ_CHUNK; i++) {
    genc_trace_release(c->sub[i]);
    genc_array_release(c->perm[i]);
  }
  free(c);
}

bool seq_perm_compose(genc_ctx *ctx, genc_array *inner, genc_array *outer, genc_array **out) {
  *out = NULL;
  if (!inner || !outer) {
    *out = genc_array_retain(inner ? inner : outer);
    return true;
  }
  int64_t mark = genc_scope_begin(ctx);
  genc_array *p = genc_take(ctx, inner, outer, 0); /* p[i] = inner[outer[i]] */
  *out = genc_array_retain(p);
  genc_scope_end(ctx, mark);
  return p != NULL;
}

bool seq_set_sub(seq_trace *d, int64_t t, genc_trace *s) {
  /* callers set only steps of chunks they made (d->perm of them is NULL) */
  seq_chunk **c = &d->chunks[t / SEQ_CHUNK];
  if (!*c && !(*c = chunk_new())) {
    genc_trace_release(s);
    return false;
  }
  if ((*c)->refs > 1) { /* shared: never written (callers set only steps past the shared
                           prefix), but if it were, the write goes to a private copy */
    seq_chunk *copy = chunk_new();
    if (!copy) {
      genc_trace_release(s);
      return false;
    }
    for (int i = 0; i < SEQ_CHUNK; i++) {
      copy->sub[i] = genc_trace_retain((*c)->sub[i]);
      copy->perm[i] = genc_array_retain((*c)->perm[i]);
    }
    (*c)->refs--;
    *c = copy;
  }
  int j = (int)(t % SEQ_CHUNK);
  genc_trace_release((*c)->sub[j]);
  genc_array_release((*c)->perm[j]);
  (*c)->sub[j] = s;
  (*c)->perm[j] = NULL;
  return true;
}

bool seq_share_prefix(genc_ctx *ctx, seq_trace *d, const seq_trace *old, int64_t k) {
  int64_t whole = k / SEQ_CHUNK;
  for (int64_t i = 0; i < whole; i++) {
    d->chunks[i] = old->chunks[i];
    d->chunks[i]->refs++;
    d->perm[i] = genc_array_retain(old->perm[i]);
  }
  /* the partly kept chunk: its steps' stored traces with their indices composed */
  genc_array *slot = whole < old->nchunks ? old->perm[whole] : NULL;
  for (int64_t t = whole * SEQ_CHUNK; t < k; t++) {
    if (!seq_set_sub(d, t, genc_trace_retain(seq_raw(old, t)))) {
      genc_ctx_fail(ctx, GENC_ERR_NOMEM, "out of memory for a sequence trace");
      return false;
    }
    seq_chunk *c = old->chunks[whole];
    if (!seq_perm_compose(ctx, c->perm[t % SEQ_CHUNK], slot,
                          &d->chunks[whole]->perm[t % SEQ_CHUNK]))
      return false;
  }
  return true;
}

genc_trace *seq_sub(genc_ctx *ctx, const seq_trace *d, int64_t t) {
  const seq_chunk *c = d->chunks[t / SEQ_CHUNK];
  genc_array *inner = c->perm[t % SEQ_CHUNK], *outer = d->perm[t / SEQ_CHUNK];
  if (!inner && !outer) return c->sub[t % SEQ_CHUNK];
  if (d->cache && d->cache[t]) return d->cache[t];
  seq_trace *m = (seq_trace *)d; /* the cache is not part of the trace's value */
  if (!m->cache && !(m->cache = calloc((size_t)(d->nchunks * SEQ_CHUNK), sizeof *m->cache))) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "out of memory for a sequence trace");
    return NULL;
  }
  int64_t mark = genc_scope_begin(ctx);
  genc_array *idx = inner && outer ? genc_take(ctx, inner, outer, 0) : inner ? inner : outer;
  genc_trace *s = idx ? genc_trace_take(ctx, c->sub[t % SEQ_CHUNK], idx) : NULL;
  genc_scope_end(ctx, mark);
  m->cache[t] = s;
  return s;
}

void seq_trace_free(void *impl) {
  seq_trace *d = impl;
  if (!d) return;
  for (int64_t i = 0; d->chunks && i < d->nchunks; i++) {
    chunk_release(d->chunks[i]);
    genc_array_release(d->perm[i]);
  }
  for (int64_t t = 0; d->cache && t < d->nchunks * SEQ_CHUNK; t++)
    genc_trace_release(d->cache[t]);
  free(d->cache);
  free(d->chunks);
  free(d->perm);
  free(d);
}
