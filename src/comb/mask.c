/* Mask(f): a Switch between "nothing" (branch 0: no choices, score 0, value
 * NaN) and f (branch 1), indexed by a boolean; flips are branch changes. */
#include <math.h>

#include "comb/switch_impl.h"

static genc_array *nothing(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  return genc_scalar(genc_rt_ctx(rt), NAN);
}

genc_gf *genc_mask(const char *name, genc_gf *f) {
  if (!f || genc_gf_nargs(f) + 1 > GENC_GF_MAX_ARGS) return NULL;
  genc_gf *off = genc_gf_dynamic("mask_off", nothing, genc_gf_nargs(f), NULL);
  if (!off) return NULL;
  genc_gf *br[2] = {off, f};
  genc_gf *gf = genc__switch_new(name ? name : "mask", 2, br, true);
  genc_gf_release(off);
  return gf;
}
