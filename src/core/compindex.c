/* Component -> entry index, shared by choice maps and selections. Small maps
 * (the common case: a model's handful of sites) are scanned linearly; larger
 * ones (Map/Unfold elements) get an open-addressing hash over the entries. */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

static inline uint64_t slot_of(genc_comp c, int64_t nslots) {
  uint64_t h = c * 0x9E3779B97F4A7C15ull;
  return (h ^ (h >> 32)) & (uint64_t)(nslots - 1);
}

int64_t genc__cidx_find(const genc__cidx *ix, genc_comp c) {
  if (!ix->slots) {
    for (int64_t i = 0; i < ix->len; i++)
      if (ix->keys[i] == c) return i;
    return -1;
  }
  for (uint64_t j = slot_of(c, ix->nslots);; j = (j + 1) & (uint64_t)(ix->nslots - 1)) {
    int32_t e = ix->slots[j];
    if (e < 0) return -1;
    if (ix->keys[e] == c) return e;
  }
}

/* Rebuild the hash for the current entries (dropping it while small). */
static bool reindex(genc__cidx *ix) {
  if (ix->len <= GENC__CIDX_LINEAR) {
    free(ix->slots);
    ix->slots = NULL;
    ix->nslots = 0;
    return true;
  }
  int64_t want = ix->nslots ? ix->nslots : 32;
  while (want < ix->len * 2)
    want *= 2;
  if (want != ix->nslots || !ix->slots) {
    int32_t *ns = malloc((size_t)want * sizeof *ns);
    if (!ns) return false;
    free(ix->slots);
    ix->slots = ns;
    ix->nslots = want;
  }
  memset(ix->slots, 0xff, (size_t)ix->nslots * sizeof *ix->slots);
  for (int64_t i = 0; i < ix->len; i++) {
    uint64_t j = slot_of(ix->keys[i], ix->nslots);
    while (ix->slots[j] >= 0)
      j = (j + 1) & (uint64_t)(ix->nslots - 1);
    ix->slots[j] = (int32_t)i;
  }
  return true;
}

int64_t genc__cidx_append(genc__cidx *ix, genc_comp c, void **vals, size_t vsize) {
  if (ix->len >= INT32_MAX) return -1;
  if (ix->len == ix->cap) {
    int64_t cap = ix->cap ? ix->cap * 2 : 4;
    genc_comp *nk = realloc(ix->keys, (size_t)cap * sizeof *nk);
    if (!nk) return -1;
    ix->keys = nk;
    void *nv = realloc(*vals, (size_t)cap * vsize);
    if (!nv) return -1;
    *vals = nv;
    ix->cap = cap;
  }
  int64_t i = ix->len++;
  ix->keys[i] = c;
  if (ix->len <= GENC__CIDX_LINEAR) return i;
  if (ix->slots && ix->len * 2 <= ix->nslots) {
    uint64_t j = slot_of(c, ix->nslots);
    while (ix->slots[j] >= 0)
      j = (j + 1) & (uint64_t)(ix->nslots - 1);
    ix->slots[j] = (int32_t)i;
    return i;
  }
  if (!reindex(ix)) {
    ix->len--;
    return -1;
  }
  return i;
}

void genc__cidx_remove(genc__cidx *ix, int64_t i, void *vals, size_t vsize) {
  int64_t tail = ix->len - i - 1;
  memmove(ix->keys + i, ix->keys + i + 1, (size_t)tail * sizeof *ix->keys);
  char *v = vals;
  memmove(v + (size_t)i * vsize, v + (size_t)(i + 1) * vsize, (size_t)tail * vsize);
  ix->len--;
  /* shrinking never needs memory: reindex reuses the slots or drops them */
  (void)reindex(ix);
}

void genc__cidx_free(genc__cidx *ix) {
  free(ix->keys);
  free(ix->slots);
  memset(ix, 0, sizeof *ix);
}
