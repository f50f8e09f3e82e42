/* The site table of a dynamic trace: records in visit order plus an
 * open-addressing index on the address component, so that update and
 * regenerate find an old site in O(1) and a run allocates only when it outgrows
 * the capacity learned from earlier runs. */
#include <stdlib.h>

#include "gfi/internal.h"

static uint64_t slot_hash(genc_comp c) {
  uint64_t z = c * 0x9e3779b97f4a7c15ull;
  return z ^ (z >> 29);
}

static void reindex(dyn_trace *d) {
  int ns = 2 * d->cap;
  for (int i = 0; i < ns; i++)
    d->slots[i] = -1;
  for (int i = 0; i < d->len; i++) {
    uint64_t h = slot_hash(d->recs[i].addr) & (uint64_t)(ns - 1);
    while (d->slots[h] >= 0)
      h = (h + 1) & (uint64_t)(ns - 1);
    d->slots[h] = i;
  }
}

dyn_trace *genc__dyn_new(int cap) {
  int c = 8;
  while (c < cap)
    c *= 2;
  dyn_trace *d = malloc(sizeof *d);
  if (!d) return NULL;
  d->len = 0;
  d->cap = c;
  d->recs = malloc((size_t)c * sizeof *d->recs);
  d->slots = malloc((size_t)(2 * c) * sizeof *d->slots);
  if (!d->recs || !d->slots) {
    free(d->recs);
    free(d->slots);
    free(d);
    return NULL;
  }
  for (int i = 0; i < 2 * c; i++)
    d->slots[i] = -1;
  return d;
}

void genc__dyn_free(void *impl) {
  dyn_trace *d = impl;
  if (!d) return;
  for (int i = 0; i < d->len; i++) {
    genc_array_release(d->recs[i].value);
    genc_array_release(d->recs[i].lp);
    genc_trace_release(d->recs[i].sub);
  }
  free(d->recs);
  free(d->slots);
  free(d);
}

int genc__dyn_find(const dyn_trace *d, genc_comp addr) {
  if (!d) return -1;
  uint64_t mask = (uint64_t)(2 * d->cap - 1), h = slot_hash(addr) & mask;
  for (int32_t s; (s = d->slots[h]) >= 0; h = (h + 1) & mask)
    if (d->recs[s].addr == addr) return s;
  return -1;
}

int genc__dyn_push(dyn_trace *d, genc_comp addr) {
  if (genc__dyn_find(d, addr) >= 0) return -2;
  if (d->len == d->cap) {
    int c = 2 * d->cap;
    dyn_rec *r = realloc(d->recs, (size_t)c * sizeof *r);
    if (!r) return -1;
    d->recs = r;
    int32_t *s = realloc(d->slots, (size_t)(2 * c) * sizeof *s);
    if (!s) return -1;
    d->slots = s;
    d->cap = c;
    reindex(d);
  }
  int i = d->len++;
  dyn_rec *r = &d->recs[i];
  r->addr = addr;
  r->kind = REC_CHOICE;
  r->value = r->lp = NULL;
  r->lp_host = false;
  r->lpv = 0.0;
  r->sub = NULL;
  uint64_t mask = (uint64_t)(2 * d->cap - 1), h = slot_hash(addr) & mask;
  while (d->slots[h] >= 0)
    h = (h + 1) & mask;
  d->slots[h] = i;
  return i;
}

genc_array *genc__rec_lp(genc_ctx *ctx, const dyn_rec *r) {
  return r->lp_host ? genc_scalar(ctx, r->lpv) : r->lp;
}
