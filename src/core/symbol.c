/*
 * The symbol intern table: the one process-wide structure of genc. It only
 * grows (a name, once interned, keeps its id and its storage until exit), and
 * a mutex guards it, so interning from several threads is safe; the cost is
 * paid once per call site thanks to GENC_SYM's cache.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "genc/core.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char **names;      /* names[id], id >= 1; names[0] unused */
static uint64_t *hashes;  /* hashes[id] */
static int64_t count = 1; /* next id */
static int64_t names_cap;
static uint32_t *slots; /* open addressing: id or 0 */
static int64_t nslots;  /* power of two */

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h ^ (h >> 29);
}

static bool valid_name(const char *s, size_t n) {
  if (!s || n == 0 || memchr(s, '/', n) || memchr(s, 0, n)) return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return true;
  return false; /* only digits: would print as an index */
}

static bool rehash(int64_t want) {
  uint32_t *ns = calloc((size_t)want, sizeof *ns);
  if (!ns) return false;
  for (int64_t id = 1; id < count; id++) {
    uint64_t j = hashes[id] & (uint64_t)(want - 1);
    while (ns[j])
      j = (j + 1) & (uint64_t)(want - 1);
    ns[j] = (uint32_t)id;
  }
  free(slots);
  slots = ns;
  nslots = want;
  return true;
}

static bool grow_names(void) {
  int64_t cap = names_cap ? names_cap * 2 : 256;
  char **nn = realloc(names, (size_t)cap * sizeof *nn);
  if (!nn) return false;
  names = nn;
  uint64_t *nh = realloc(hashes, (size_t)cap * sizeof *nh);
  if (!nh) return false;
  hashes = nh;
  names_cap = cap;
  return true;
}

/* Called with the lock held. */
static genc_sym intern_locked(const char *name, size_t n, uint64_t h) {
  if (nslots) {
    for (uint64_t j = h & (uint64_t)(nslots - 1); slots[j]; j = (j + 1) & (uint64_t)(nslots - 1)) {
      uint32_t id = slots[j];
      if (hashes[id] == h && !strncmp(names[id], name, n) && names[id][n] == 0)
        return GENC_COMP_SYM_BIT | id;
    }
  }
  if (count >= UINT32_MAX) return GENC_COMP_INVALID;
  if (count >= names_cap && !grow_names()) return GENC_COMP_INVALID;
  if ((count + 1) * 2 > nslots && !rehash(nslots ? nslots * 2 : 512)) return GENC_COMP_INVALID;
  char *copy = malloc(n + 1);
  if (!copy) return GENC_COMP_INVALID;
  memcpy(copy, name, n);
  copy[n] = 0;
  int64_t id = count++;
  names[id] = copy;
  hashes[id] = h;
  uint64_t j = h & (uint64_t)(nslots - 1);
  while (slots[j])
    j = (j + 1) & (uint64_t)(nslots - 1);
  slots[j] = (uint32_t)id;
  return GENC_COMP_SYM_BIT | (genc_comp)id;
}

genc_sym genc_sym_intern_n(const char *name, size_t len) {
  if (!valid_name(name, len)) return GENC_COMP_INVALID;
  uint64_t h = hash_bytes(name, len);
  pthread_mutex_lock(&lock);
  genc_sym s = intern_locked(name, len, h);
  pthread_mutex_unlock(&lock);
  return s;
}

genc_sym genc_sym_intern(const char *name) {
  return name ? genc_sym_intern_n(name, strlen(name)) : GENC_COMP_INVALID;
}

const char *genc_sym_name(genc_sym s) {
  if (!genc_comp_is_sym(s)) return NULL;
  uint64_t id = s & ~GENC_COMP_SYM_BIT;
  const char *r = NULL;
  pthread_mutex_lock(&lock);
  if (id >= 1 && id < (uint64_t)count) r = names[id];
  pthread_mutex_unlock(&lock);
  return r;
}

int64_t genc_sym_count(void) {
  pthread_mutex_lock(&lock);
  int64_t n = count - 1;
  pthread_mutex_unlock(&lock);
  return n;
}
