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
  if (c == GENC_COMP_INVALID) return -1; /* the tombstones' key */
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

/* ---- Fenwick tree over the live flags (1-based positions) ---- */

static int64_t fen_prefix(const genc__cidx *ix, int64_t p) {
  int64_t s = 0;
  for (; p > 0; p -= p & -p)
    s += ix->fen[p];
  return s;
}

/* Give the new last entry (live) its node: the sum over (p - lowbit(p), p]. */
static void fen_append(genc__cidx *ix) {
  int64_t p = ix->len;
  ix->fen[p] = (int32_t)(1 + fen_prefix(ix, p - 1) - fen_prefix(ix, p - (p & -p)));
}

static bool fen_build(genc__cidx *ix) {
  ix->fen = malloc((size_t)(ix->cap + 1) * sizeof *ix->fen);
  if (!ix->fen) return false;
  for (int64_t p = 1; p <= ix->len; p++)
    ix->fen[p] = ix->keys[p - 1] != GENC_COMP_INVALID;
  for (int64_t p = 1; p <= ix->len; p++) {
    int64_t q = p + (p & -p);
    if (q <= ix->len) ix->fen[q] += ix->fen[p];
  }
  return true;
}

int64_t genc__cidx_at(const genc__cidx *ix, int64_t i) {
  if (i < 0 || i >= genc__cidx_live(ix)) return -1;
  if (!ix->dead) return i;
  int64_t pos = 0, step = 1, rem = i + 1;
  while (step * 2 <= ix->len)
    step *= 2;
  for (; step; step /= 2)
    if (pos + step <= ix->len && ix->fen[pos + step] < rem) {
      pos += step;
      rem -= ix->fen[pos];
    }
  return pos; /* 1-based pos + 1 is the entry: 0-based pos */
}

int64_t genc__cidx_append(genc__cidx *ix, genc_comp c, void **vals, size_t vsize) {
  if (ix->len >= INT32_MAX) return -1;
  if (ix->len == ix->cap) {
    /* one entry first: the nodes of deep chains have one child each */
    int64_t cap = ix->cap ? (ix->cap < 4 ? 4 : ix->cap * 2) : 1;
    genc_comp *nk = realloc(ix->keys, (size_t)cap * sizeof *nk);
    if (!nk) return -1;
    ix->keys = nk;
    void *nv = realloc(*vals, (size_t)cap * vsize);
    if (!nv) return -1;
    *vals = nv;
    if (ix->fen) {
      int32_t *nf = realloc(ix->fen, (size_t)(cap + 1) * sizeof *nf);
      if (!nf) return -1;
      ix->fen = nf;
    }
    ix->cap = cap;
  }
  int64_t i = ix->len++;
  ix->keys[i] = c;
  if (ix->fen) fen_append(ix);
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

/* Drop the tombstones, moving the live entries down in order. */
static void compact(genc__cidx *ix, char *vals, size_t vsize) {
  int64_t j = 0;
  for (int64_t i = 0; i < ix->len; i++) {
    if (ix->keys[i] == GENC_COMP_INVALID) continue;
    if (i != j) {
      ix->keys[j] = ix->keys[i];
      memcpy(vals + (size_t)j * vsize, vals + (size_t)i * vsize, vsize);
    }
    j++;
  }
  ix->len = j;
  ix->dead = 0;
  free(ix->fen);
  ix->fen = NULL;
  /* shrinking never needs memory: reindex reuses the slots or drops them */
  (void)reindex(ix);
}

void genc__cidx_remove(genc__cidx *ix, int64_t i, void *vals, size_t vsize) {
  ix->keys[i] = GENC_COMP_INVALID; /* its hash slot stays, matching nothing */
  ix->dead++;
  /* small indices and half-dead ones compact now (O(len), amortized O(1)) */
  if (ix->len <= 4 * GENC__CIDX_LINEAR || ix->dead * 2 >= ix->len) {
    compact(ix, vals, vsize);
  } else if (!ix->fen) { /* the first tombstone: the build counts it */
    if (!fen_build(ix)) compact(ix, vals, vsize);
  } else {
    for (int64_t p = i + 1; p <= ix->len; p += p & -p)
      ix->fen[p]--;
  }
}

void genc__cidx_free(genc__cidx *ix) {
  free(ix->keys);
  free(ix->slots);
  free(ix->fen);
  memset(ix, 0, sizeof *ix);
}
