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
    seq_perm_release(c->perm[i]);
  }
  free(c);
}

void seq_perm_release(seq_perm *p) {
  while (p && --p->refs == 0) { /* a loop, not recursion, down the chain */
    seq_perm *in = p->inner;
    genc_array_release(p->idx);
    free(p);
    p = in;
  }
}

/* The composed index of the chain p: its one array, or an array of the
 * current scope (NULL with an error in ctx). */
static genc_array *perm_flat(genc_ctx *ctx, const seq_perm *p) {
  const seq_perm *links[SEQ_PERM_DEPTH];
  int k = 0;
  for (; p && k < SEQ_PERM_DEPTH; p = p->inner)
    links[k++] = p;
  genc_array *x = links[--k]->idx; /* the innermost index, applied first */
  while (x && k > 0)
    x = genc_take(ctx, x, links[--k]->idx, 0); /* x[i] = x[outer[i]] */
  return x;
}

bool seq_perm_push(genc_ctx *ctx, seq_perm *inner, genc_array *outer, seq_perm **out) {
  *out = NULL;
  if (!outer) {
    if (inner) inner->refs++;
    *out = inner;
    return true;
  }
  seq_perm *p = calloc(1, sizeof *p);
  if (!p) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "out of memory for a sequence trace");
    return false;
  }
  p->refs = 1, p->depth = 1;
  if (inner && inner->depth >= SEQ_PERM_DEPTH) { /* flatten: one link again */
    int64_t mark = genc_scope_begin(ctx);
    genc_array *flat = perm_flat(ctx, inner);
    p->idx = genc_array_retain(flat ? genc_take(ctx, flat, outer, 0) : NULL);
    genc_scope_end(ctx, mark);
    if (!p->idx) {
      free(p);
      return false;
    }
  } else {
    p->idx = genc_array_retain(outer);
    if (inner) inner->refs++, p->inner = inner, p->depth = inner->depth + 1;
  }
  *out = p;
  return true;
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
      copy->perm[i] = (*c)->perm[i];
      if (copy->perm[i]) copy->perm[i]->refs++;
    }
    (*c)->refs--;
    *c = copy;
  }
  int j = (int)(t % SEQ_CHUNK);
  genc_trace_release((*c)->sub[j]);
  seq_perm_release((*c)->perm[j]);
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
  /* the partly kept chunk: its steps' stored traces with slot linked to their
   * index chains (composed when a step is read) */
  genc_array *slot = whole < old->nchunks ? old->perm[whole] : NULL;
  for (int64_t t = whole * SEQ_CHUNK; t < k; t++) {
    if (!seq_set_sub(d, t, genc_trace_retain(seq_raw(old, t)))) {
      genc_ctx_fail(ctx, GENC_ERR_NOMEM, "out of memory for a sequence trace");
      return false;
    }
    seq_chunk *c = old->chunks[whole];
    if (!seq_perm_push(ctx, c->perm[t % SEQ_CHUNK], slot, &d->chunks[whole]->perm[t % SEQ_CHUNK]))
      return false;
  }
  return true;
}

/* A step's index chain followed by its chunk's pending index, composed (an
 * array of the current scope, or one of them). */
static genc_array *pending_index(genc_ctx *ctx, const seq_perm *inner, genc_array *outer) {
  genc_array *idx = inner ? perm_flat(ctx, inner) : outer;
  return idx && inner && outer ? genc_take(ctx, idx, outer, 0) : idx;
}

genc_trace *seq_sub(genc_ctx *ctx, const seq_trace *d, int64_t t) {
  const seq_chunk *c = d->chunks[t / SEQ_CHUNK];
  seq_perm *inner = c->perm[t % SEQ_CHUNK];
  genc_array *outer = d->perm[t / SEQ_CHUNK];
  if (!inner && !outer) return c->sub[t % SEQ_CHUNK];
  if (d->cache && d->cache[t]) return d->cache[t];
  seq_trace *m = (seq_trace *)d; /* the cache is not part of the trace's value */
  if (!m->cache && !(m->cache = calloc((size_t)(d->nchunks * SEQ_CHUNK), sizeof *m->cache))) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "out of memory for a sequence trace");
    return NULL;
  }
  int64_t mark = genc_scope_begin(ctx);
  genc_array *idx = pending_index(ctx, inner, outer);
  genc_trace *s = idx ? genc_trace_take(ctx, c->sub[t % SEQ_CHUNK], idx) : NULL;
  genc_scope_end(ctx, mark);
  m->cache[t] = s;
  return s;
}

bool seq_sub_retval(genc_ctx *ctx, const seq_trace *d, int64_t t, genc_array **out) {
  const seq_chunk *c = d->chunks[t / SEQ_CHUNK];
  seq_perm *inner = c->perm[t % SEQ_CHUNK];
  genc_array *outer = d->perm[t / SEQ_CHUNK];
  if ((!inner && !outer) || (d->cache && d->cache[t])) {
    const genc_trace *s = seq_sub(ctx, d, t);
    *out = s ? genc_trace_retval(s) : NULL;
    return s != NULL;
  }
  genc_array *rv = genc_trace_retval(c->sub[t % SEQ_CHUNK]);
  *out = rv;
  if (!rv || !genc_array_batched(rv)) return true; /* a take keeps a shared array as it is */
  genc_array *idx = pending_index(ctx, inner, outer);
  *out = idx ? genc_particle_take(ctx, rv, idx) : NULL;
  return *out != NULL;
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
  seq_stepcache_release(d->steps);
  free(d);
}
