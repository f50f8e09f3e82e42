/* Mix(components): "component" ~ Categorical(logits), then the component
 * (a Switch) under "value". A dynamic function wrapped so that the Mix owns
 * its Switch. */
#include "comb/cb2.h"

static genc_array *mix_body(genc_rt *rt, genc_array *const *args, void *user) {
  genc_gf *sw = user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *sargs[GENC_GF_MAX_ARGS] = {0};
  sargs[0] = GENC_TRACE(rt, "component", genc_categorical(ctx, args[0]));
  if (!sargs[0]) return NULL;
  for (int i = 1; i < genc_gf_nargs(sw); i++)
    sargs[i] = args[i];
  return genc_rt_splice(rt, GENC_SYM("value"), sw, sargs);
}

genc_gf *genc_mix(const char *name, int k, genc_gf *const *components) {
  if (!name) name = "mix";
  genc_gf *sw = genc_switch(name, k, components);
  if (!sw) return NULL;
  genc_gf *body = genc_gf_dynamic(name, mix_body, genc_gf_nargs(sw), sw);
  if (!body) {
    genc_gf_release(sw);
    return NULL;
  }
  cb2_owned own = {.gfs = {sw}};
  genc_gf *gf = genc__cb2_wrap(name, body, genc_gf_nargs(sw), NULL, NULL, NULL, &own);
  genc_gf_release(body);
  return gf;
}
