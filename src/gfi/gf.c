/* Generative function values and the shared helpers of the GFI layer. */
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "array/host_scan.h"
#include "gfi/internal.h"

genc_gf *genc_gf_new(const genc_gf_type *type, const char *name, int nargs, void *impl) {
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
  atomic_init(&gf->refs, 1);
  gf->type = type;
  gf->name = copy;
  gf->nargs = nargs;
  gf->tile = GENC_DEFAULT_TILE;
  gf->impl = impl;
  return gf;
}

genc_gf *genc_gf_retain(genc_gf *gf) {
  if (gf) atomic_fetch_add(&gf->refs, 1);
  return gf;
}

void genc_gf_release(genc_gf *gf) {
  if (!gf || atomic_fetch_sub(&gf->refs, 1) != 1) return;
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

/* Can term x join a host sum? Only where reading it costs no more than an op:
 * a shared 0-d f64 on the CPU, and no tape that would need the array. */
static bool host_term(genc_ctx *ctx, const gfi_acc *acc, genc_array *x, double *v) {
  if (acc->a || genc_tape_active(ctx) || genc_graph_capturing(ctx) ||
      genc_ctx_device(ctx) != GENC_CPU)
    return false;
  if (genc_array_batched(x) || genc_array_ndim(x) || genc_array_dtype(x) != GENC_F64) return false;
  return genc_array_item(ctx, x, v) == GENC_OK;
}

/* Move the host sum into the array sum (before an array term joins it). */
static bool flush(genc_ctx *ctx, gfi_acc *acc) {
  if (!acc->has_h) return true;
  acc->a = genc_scalar(ctx, acc->h);
  acc->has_h = false;
  return acc->a != NULL;
}

bool genc__hacc_addv(genc_ctx *ctx, gfi_acc *acc, double v, int sign) {
  if (acc->a) {
    genc_array *x = genc_scalar(ctx, v);
    return sign < 0 ? genc__acc_sub(ctx, &acc->a, x) : genc__acc(ctx, &acc->a, x);
  }
  /* the first term starts the sum as genc__acc does (x, or -x) */
  if (!acc->has_h)
    acc->h = sign < 0 ? -v : v;
  else
    acc->h = sign < 0 ? acc->h - v : acc->h + v;
  acc->has_h = true;
  return true;
}

static bool acc_term(genc_ctx *ctx, gfi_acc *acc, genc_array *x, int sign) {
  if (!x) return false;
  double v;
  if (host_term(ctx, acc, x, &v)) return genc__hacc_addv(ctx, acc, v, sign);
  if (!flush(ctx, acc)) return false;
  return sign < 0 ? genc__acc_sub(ctx, &acc->a, x) : genc__acc(ctx, &acc->a, x);
}

bool genc__hacc_add(genc_ctx *ctx, gfi_acc *acc, genc_array *x) { return acc_term(ctx, acc, x, 1); }

bool genc__hacc_sub(genc_ctx *ctx, gfi_acc *acc, genc_array *x) {
  return acc_term(ctx, acc, x, -1);
}

bool genc__hacc_sub_rec(genc_ctx *ctx, gfi_acc *acc, const dyn_rec *r) {
  return r->lp_host ? genc__hacc_addv(ctx, acc, r->lpv, -1) : genc__hacc_sub(ctx, acc, r->lp);
}

genc_array *genc__hacc_get(genc_ctx *ctx, const gfi_acc *acc) {
  return acc->a ? acc->a : acc->has_h ? genc_scalar(ctx, acc->h) : NULL;
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
    for (; s && *s; s++)
      h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
  }
  /* splitmix64 finalizer of the index, offset away from the symbol hashes' tag */
  uint64_t z = c + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static genc_status bad_weight(genc_ctx *ctx, const char *gf, const char *what, double nbad) {
  return genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                       "%s: the %s is NaN or +inf (in %.0f element(s)); a weight must be a "
                       "finite number or -inf",
                       gf, what, nbad);
}

genc_status genc__check_weight(genc_ctx *ctx, genc_array *x, const char *gf, const char *what) {
  if (!x) return genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_ARG;
  /* bad = NaN or +inf; -inf is a legal log weight. An eager CPU array is
   * counted in one pass over its memory (every update checks its weight);
   * under a capture the count is array ops read through a guard */
  int64_t counted = genc__host_count_nan_posinf(ctx, x);
  if (counted >= 0) return counted ? bad_weight(ctx, gf, what, (double)counted) : GENC_OK;
  int64_t m = genc_scope_begin(ctx);
  genc_array *bad = genc_logical_or(ctx, genc_ne(ctx, x, x), genc_eq(ctx, x, INFINITY));
  genc_array *any = genc_sum_all(ctx, genc_astype(ctx, bad, GENC_F64));
  if (any && genc_array_batched(any)) any = genc_particle_reduce(ctx, GENC_RSUM, any);
  double nbad = 0;
  genc_status st = any ? genc_graph_guard_item(ctx, any, &nbad) : genc_ctx_status(ctx);
  genc_scope_end(ctx, m);
  if (st) return st;
  return nbad > 0 ? bad_weight(ctx, gf, what, nbad) : GENC_OK;
}
