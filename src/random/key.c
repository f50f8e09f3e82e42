/*
 * Key derivation. Every derived key is one Philox4x32-10 block of the parent
 * key (or of a fixed key, for seeding), so derivation needs no other mixer and
 * inherits Philox's statistical quality. Derivation counters put a tag in the
 * stream word (v[2]); tags sit at the top of the 32-bit stream range, which
 * sampling never uses (the public samplers use stream 0), so a key's draws and
 * its children's keys never come from the same counter.
 *
 * The particle offset is copied unchanged: splitting or folding the key of
 * particle i gives the key of particle i of the split or folded batched key,
 * which is what makes a batched run reproduce single-particle runs.
 */
#include <Random123/philox.h>

#include <stdlib.h>

#include "genc/random.h"
#include "random/internal.h"

_Thread_local genc__key_log *genc__key_log_active;

/* Append a derivation to the running capture's key log (out of line: the
 * common case is one load and a not-taken branch). */
static __attribute__((noinline)) void key_log(genc_key child, genc_key parent, int op,
                                              uint64_t arg) {
  genc__key_log *l = genc__key_log_active;
  if (l->len == l->cap) {
    int64_t cap = l->cap ? 2 * l->cap : 64;
    genc__key_rec *v = realloc(l->v, (size_t)cap * sizeof *v);
    if (!v) {
      l->oom = true;
      return;
    }
    l->v = v, l->cap = cap;
  }
  l->v[l->len++] = (genc__key_rec){child, parent, op, arg};
}

enum {
  TAG_SEED = GENC__KEY_TAG_SEED,
  TAG_SPLIT = GENC__KEY_TAG_SPLIT,
  TAG_FOLD = GENC__KEY_TAG_FOLD
};

static genc_key derive(const uint32_t k[2], uint32_t w0, uint32_t w1, uint32_t tag,
                       uint32_t particle) {
  philox4x32_ctr_t c = {{w0, w1, tag, 0}};
  philox4x32_key_t kk = {{k[0], k[1]}};
  philox4x32_ctr_t r = philox4x32(c, kk);
  genc_key out = {{r.v[0], r.v[1]}, particle};
  return out;
}

genc_key genc_key_from_seed(uint64_t seed) {
  /* a fixed key (hex digits of pi) so that seed 0 is as good as any */
  static const uint32_t pi_key[2] = {0x243f6a88u, 0x85a308d3u};
  return derive(pi_key, (uint32_t)seed, (uint32_t)(seed >> 32), TAG_SEED, 0);
}

genc_key genc__key_split_one(genc_key key, uint32_t i) {
  return derive(key.k, i, 0, TAG_SPLIT, key.particle);
}

void genc_key_split(genc_key key, int n, genc_key *out) {
  if (!out) return;
  for (int i = 0; i < n; i++) {
    out[i] = derive(key.k, (uint32_t)i, 0, TAG_SPLIT, key.particle);
    if (__builtin_expect(genc__key_log_active != NULL, 0)) key_log(out[i], key, 0, (uint64_t)i);
  }
}

genc_key genc_key_fold_in(genc_key key, uint64_t data) {
  genc_key out = derive(key.k, (uint32_t)data, (uint32_t)(data >> 32), TAG_FOLD, key.particle);
  if (__builtin_expect(genc__key_log_active != NULL, 0)) key_log(out, key, 1, data);
  return out;
}

genc_key genc_key_particle(genc_key key, uint32_t i) {
  genc_key out = key;
  out.particle += i;
  if (__builtin_expect(genc__key_log_active != NULL, 0) && i) key_log(out, key, 2, i);
  return out;
}
