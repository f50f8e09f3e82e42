/* Host streams of draws (genc_host_rng): the state of the per-element law
 * code (laws.h), kept in an opaque public value so that samplers above the
 * random layer draw through the public API. */
#include <string.h>

#include "genc/random.h"
#include "random/laws.h"

_Static_assert(sizeof(genc_rng) <= sizeof(genc_host_rng), "genc_host_rng too small");

/* The state is copied in and out rather than aliased: the public value is
 * declared as plain words. */
static genc_rng load(const genc_host_rng *h) {
  genc_rng r;
  memcpy(&r, h->opaque, sizeof r);
  return r;
}

static void store(genc_host_rng *h, const genc_rng *r) { memcpy(h->opaque, r, sizeof *r); }

genc_host_rng genc_host_rng_new(genc_key key) {
  genc_host_rng h = {{0}};
  genc_rng r = genc_rng_make(key.k, 0, key.particle, 0);
  store(&h, &r);
  return h;
}

double genc_host_rng_uniform(genc_host_rng *h) {
  genc_rng r = load(h);
  double u = genc_law_uniform(&r);
  store(h, &r);
  return u;
}

double genc_host_rng_normal(genc_host_rng *h) {
  genc_rng r = load(h);
  double z = genc_law_normal(&r);
  store(h, &r);
  return z;
}
