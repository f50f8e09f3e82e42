/* The site table of a dynamic trace: records in visit order plus an
 * open-addressing index on the address (a component, or the key of a longer
 * path whose components live in the trace's arena), so that update and
 * regenerate find an old site in O(1) and a run allocates only when it outgrows
 * the capacity learned from earlier runs. */
#include <stdlib.h>
#include <string.h>

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

dyn_trace *genc__dyn_new(int cap) { return genc__dyn_new2(cap, 0); }

dyn_trace *genc__dyn_new2(int cap, int arena) {
  int c = 8;
  while (c < cap)
    c *= 2;
  dyn_trace *d = malloc(sizeof *d);
  if (!d) return NULL;
  d->len = 0;
  d->cap = c;
  d->recs = malloc((size_t)c * sizeof *d->recs);
  d->slots = malloc((size_t)(2 * c) * sizeof *d->slots);
  d->alen = 0;
  d->acap = arena;
  d->arena = arena ? malloc((size_t)arena * sizeof *d->arena) : NULL;
  if (!d->recs || !d->slots || (arena && !d->arena)) {
    free(d->arena);
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
    genc_array_release(d->recs[i].bound[0]);
    genc_array_release(d->recs[i].bound[1]);
  }
  free(d->recs);
  free(d->slots);
  free(d->arena);
  free(d);
}

int genc__dyn_find(const dyn_trace *d, genc_comp addr) {
  if (!d) return -1;
  uint64_t mask = (uint64_t)(2 * d->cap - 1), h = slot_hash(addr) & mask;
  for (int32_t s; (s = d->slots[h]) >= 0; h = (h + 1) & mask)
    if (d->recs[s].addr == addr) return s;
  return -1;
}

/* Room for one more record (reindexing when the table grows). */
static bool grow(dyn_trace *d) {
  if (d->len < d->cap) return true;
  int c = 2 * d->cap;
  dyn_rec *r = realloc(d->recs, (size_t)c * sizeof *r);
  if (!r) return false;
  d->recs = r;
  int32_t *s = realloc(d->slots, (size_t)(2 * c) * sizeof *s);
  if (!s) return false;
  d->slots = s;
  d->cap = c;
  reindex(d);
  return true;
}

/* Append a record keyed by addr and index it. */
static int append(dyn_trace *d, genc_comp addr, int32_t plen, int32_t poff) {
  int i = d->len++;
  dyn_rec *r = &d->recs[i];
  r->addr = addr;
  r->plen = plen;
  r->poff = poff;
  r->kind = REC_CHOICE;
  r->value = r->lp = NULL;
  r->lp_host = false;
  r->lpv = 0.0;
  r->sub = NULL;
  r->dist = NULL;
  r->bound[0] = r->bound[1] = NULL;
  uint64_t mask = (uint64_t)(2 * d->cap - 1), h = slot_hash(addr) & mask;
  while (d->slots[h] >= 0)
    h = (h + 1) & mask;
  d->slots[h] = i;
  return i;
}

int genc__dyn_push(dyn_trace *d, genc_comp addr) {
  if (genc__dyn_find(d, addr) >= 0) return -2;
  if (d->len >= d->cap && !grow(d)) return -1; /* the test inline: grow is rare */
  return append(d, addr, 1, 0);
}

genc_comp genc__path_key(const genc_comp *path, int len) {
  uint64_t h = 0x243f6a8885a308d3ull ^ (uint64_t)len;
  for (int i = 0; i < len; i++) {
    h = (h ^ path[i]) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 32;
  }
  /* symbol-tagged with bit 62 set: no interned symbol (ids count from 1) and no
   * index component has this form, so a path key never equals a component */
  return GENC_COMP_SYM_BIT | ((genc_comp)1 << 62) | (h & (((genc_comp)1 << 62) - 1));
}

const genc_comp *genc__rec_path(const dyn_trace *d, const dyn_rec *r, int *len) {
  *len = r->plen;
  return r->plen == 1 ? &r->addr : d->arena + r->poff;
}

int genc__dyn_find_path(const dyn_trace *d, const genc_comp *path, int len) {
  if (len == 1) return genc__dyn_find(d, path[0]);
  if (!d) return -1;
  genc_comp key = genc__path_key(path, len);
  uint64_t mask = (uint64_t)(2 * d->cap - 1), h = slot_hash(key) & mask;
  for (int32_t s; (s = d->slots[h]) >= 0; h = (h + 1) & mask) {
    const dyn_rec *r = &d->recs[s];
    if (r->addr == key && r->plen == len &&
        !memcmp(d->arena + r->poff, path, (size_t)len * sizeof *path))
      return s;
  }
  return -1;
}

int genc__dyn_push_path(dyn_trace *d, const genc_comp *path, int len) {
  if (genc__dyn_find_path(d, path, len) >= 0) return -2;
  if (d->alen + len > d->acap) {
    int c = d->acap ? d->acap : 16;
    while (c < d->alen + len)
      c *= 2;
    genc_comp *a = realloc(d->arena, (size_t)c * sizeof *a);
    if (!a) return -1;
    d->arena = a;
    d->acap = c;
  }
  if (d->len >= d->cap && !grow(d)) return -1;
  int off = d->alen;
  memcpy(d->arena + off, path, (size_t)len * sizeof *path);
  d->alen += len;
  return append(d, genc__path_key(path, len), len, off);
}

genc_key genc__path_fold(genc_key key, const genc_comp *path, int len) {
  for (int i = 0; i < len; i++)
    key = genc_key_fold_in(key, genc__comp_hash(path[i]));
  return key;
}

genc_array *genc__rec_lp(genc_ctx *ctx, const dyn_rec *r) {
  return r->lp_host ? genc_scalar(ctx, r->lpv) : r->lp;
}
