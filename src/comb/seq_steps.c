/* The step table of a sequence trace: kernel traces in reference-counted
 * chunks of SEQ_CHUNK, so that a trace made by an update shares the chunks
 * of the old trace's unchanged prefix instead of copying (and retaining)
 * one pointer per step. A chunk is written only while its one owner, the
 * trace under construction, fills it. */
#include <stdlib.h>

#include "comb/seq.h"

seq_trace *seq_trace_alloc(int64_t len) {
  seq_trace *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->nchunks = (len + SEQ_CHUNK - 1) / SEQ_CHUNK;
  d->chunks = calloc((size_t)(d->nchunks ? d->nchunks : 1), sizeof *d->chunks);
  if (!d->chunks) {
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
  for (int i = 0; i < SEQ_CHUNK; i++)
    genc_trace_release(c->sub[i]);
  free(c);
}

bool seq_set_sub(seq_trace *d, int64_t t, genc_trace *s) {
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
    for (int i = 0; i < SEQ_CHUNK; i++)
      copy->sub[i] = genc_trace_retain((*c)->sub[i]);
    (*c)->refs--;
    *c = copy;
  }
  genc_trace_release((*c)->sub[t % SEQ_CHUNK]);
  (*c)->sub[t % SEQ_CHUNK] = s;
  return true;
}

bool seq_share_prefix(seq_trace *d, const seq_trace *old, int64_t k) {
  int64_t whole = k / SEQ_CHUNK;
  for (int64_t i = 0; i < whole; i++) {
    d->chunks[i] = old->chunks[i];
    d->chunks[i]->refs++;
  }
  for (int64_t t = whole * SEQ_CHUNK; t < k; t++)
    if (!seq_set_sub(d, t, genc_trace_retain(seq_sub(old, t)))) return false;
  return true;
}

void seq_trace_free(void *impl) {
  seq_trace *d = impl;
  if (!d) return;
  for (int64_t i = 0; d->chunks && i < d->nchunks; i++)
    chunk_release(d->chunks[i]);
  free(d->chunks);
  free(d);
}
