/* Generative function values and the shared helpers of the GFI layer. */
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "gfi/internal.h"

genc_gf *genc_gf_make(const genc_gf_type *type, const char *name, int nargs, void *impl) {
  if (!type || nargs < 0 || nargs > GENC_GF_MAX_ARGS) return NULL;
  genc_gf *gf = calloc(1, sizeof *gf);
  const char *nm = name ? name : type->name;
  char *copy = malloc(strlen(nm) + 1);
  if (!gf || !copy) {
    free(gf);
    free(copy);
    return NULL;
  }
  strcpy(copy, nm);
  gf->type = type;
  gf->name = copy;
  gf->nargs = nargs;
  gf->tile = GENC_DEFAULT_TILE;
  gf->impl = impl;
  return gf;
}

void genc_gf_free(genc_gf *gf) {
  if (!gf) return;
  if (gf->type->gf_free) gf->type->gf_free(gf->impl);
  free(gf->name);
  free(gf);
}

const genc_gf_type *genc_gf_type_of(const genc_gf *gf) { return gf ? gf->type : NULL; }
void *genc_gf_impl(const genc_gf *gf) { return gf ? gf->impl : NULL; }
const char *genc_gf_name(const genc_gf *gf) { return gf ? gf->name : "(null)"; }
int genc_gf_nargs(const genc_gf *gf) { return gf ? gf->nargs : 0; }
void genc_gf_set_arg_grads(genc_gf *gf, uint32_t mask) {
  if (gf) gf->arg_grads = mask & ((1u << gf->nargs) - 1u);
}
uint32_t genc_gf_arg_grads(const genc_gf *gf) { return gf ? gf->arg_grads : 0; }
void genc_gf_set_params(genc_gf *gf, genc_param_store *ps) {
  if (gf) gf->params = ps;
}
genc_param_store *genc_gf_params(const genc_gf *gf) { return gf ? gf->params : NULL; }

/* ---- helpers ---- */

bool genc__acc(genc_ctx *ctx, genc_array **acc, genc_array *x) {
  if (!x) return false;
  *acc = *acc ? genc_add(ctx, *acc, x) : x;
  return *acc != NULL;
}

bool genc__acc_sub(genc_ctx *ctx, genc_array **acc, genc_array *x) {
  if (!x) return false;
  *acc = *acc ? genc_sub(ctx, *acc, x) : genc_neg(ctx, x);
  return *acc != NULL;
}

genc_array *genc__per_particle(genc_ctx *ctx, genc_array *x, int64_t n) {
  if (!x) x = genc_scalar(ctx, 0.0);
  if (x && n > 0 && !genc_array_batched(x)) x = genc_particle_broadcast(ctx, x, n);
  return x;
}

uint64_t genc__comp_hash(genc_comp c) {
  uint64_t h = 1469598103934665603ull;
  if (genc_comp_is_sym(c)) {
    const char *s = genc_sym_name(c);
    for (; s && *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
  }
  /* splitmix64 finalizer of the index, offset away from the symbol hashes' tag */
  uint64_t z = c + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

genc_status genc__check_weight(genc_ctx *ctx, genc_array *x, const char *gf, const char *what) {
  if (!x) return genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_ARG;
  /* bad = NaN or +inf; -inf is a legal log weight */
  int64_t m = genc_scope_begin(ctx);
  genc_array *bad = genc_logical_or(ctx, genc_ne(ctx, x, x), genc_eq(ctx, x, INFINITY));
  genc_array *any = genc_sum_all(ctx, genc_astype(ctx, bad, GENC_F64));
  if (any && genc_array_batched(any)) any = genc_particle_reduce(ctx, GENC_RSUM, any);
  double nbad = 0;
  genc_status st = any ? genc_array_item(ctx, any, &nbad) : genc_ctx_status(ctx);
  genc_scope_end(ctx, m);
  if (st) return st;
  if (nbad > 0)
    return genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                         "%s: the %s is NaN or +inf (in %.0f element(s)); a weight must be a "
                         "finite number or -inf",
                         gf, what, nbad);
  return GENC_OK;
}
