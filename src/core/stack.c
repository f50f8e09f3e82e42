/* A growable stack for the walks over user-built nesting (choice maps and
 * selections can nest arbitrarily deep: recursion would overflow the C stack). */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

bool genc__stk_push(genc__stk *s, const void *e) {
  if (s->n == s->cap) {
    int64_t cap = s->cap ? s->cap * 2 : 16;
    char *np = s->heap ? realloc(s->p, (size_t)cap * s->esz) : malloc((size_t)cap * s->esz);
    if (!np) return false;
    if (!s->heap && s->n) memcpy(np, s->p, (size_t)s->n * s->esz);
    s->p = np;
    s->cap = cap;
    s->heap = true;
  }
  memcpy(s->p + (size_t)s->n++ * s->esz, e, s->esz);
  return true;
}

bool genc__stk_pop(genc__stk *s, void *e) {
  if (!s->n) return false;
  s->n--;
  if (e) memcpy(e, s->p + (size_t)s->n * s->esz, s->esz);
  return true;
}

void genc__stk_free(genc__stk *s) {
  if (s->heap) free(s->p);
  s->p = NULL;
  s->n = s->cap = 0;
  s->heap = false;
}
