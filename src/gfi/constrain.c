/* Checks on a constraint before a dynamic model uses it as a choice's value:
 * its shape must be the site's (a [2, 3] value at a [3] site would broadcast
 * into six density terms), and its dtype must suit the distribution.
 *
 * Dtype rule: an integer or bool constraint at a continuous site is converted
 * to the site's float dtype (the trace then holds what a draw would); a float
 * constraint at a discrete site is accepted when every element is integral
 * and is an error otherwise (it would score -inf silently). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dist/internal.h"
#include "gfi/internal.h"

/* Types whose value has the broadcast shape of all their parameters. Types with
 * a scalar fast path are elementwise by construction; the rest are named. */
static bool elementwise(const genc_dist_type *t) {
  static const char *const names[] = {
      "gamma",        "inv_gamma",        "beta",      "poisson",   "binomial",         "geometric",
      "neg_binomial", "discrete_uniform", "student_t", "von_mises", "truncated_normal", "delta"};
  if (t->sample_scalar) return true;
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (!strcmp(t->name, names[i])) return true;
  return false;
}

static void shape_str(int nd, const int64_t *shape, char *buf, size_t cap) {
  size_t k = (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < nd && k < cap; i++)
    k += (size_t)snprintf(buf + k, cap - k, "%s%lld", i ? ", " : "", (long long)shape[i]);
  if (k < cap) snprintf(buf + k, cap - k, "]");
}

static genc_array *bad_shape(genc_rt *rt, const char *addr, const genc_dist *d, genc_array *c,
                             int nd, const int64_t *shape) {
  char want[128], got[128];
  shape_str(nd, shape, want, sizeof want);
  shape_str(genc_array_ndim(c), genc_array_shape(c), got, sizeof got);
  genc_ctx_fail(rt->ctx, GENC_ERR_SHAPE,
                "%s: the constraint at %s has shape %s, but the %s choice there has shape %s "
                "(a constraint needs the site's shape; a batched one, per particle)",
                rt->gf->name, addr, got, genc_dist_name(d), want);
  return NULL;
}

/* True if every element of the float array c is an integer. */
static bool integral(genc_ctx *ctx, genc_array *c, bool *ok) {
  double v;
  if (!genc_array_batched(c) && genc_array_size(c) == 1 && !genc_array_item(ctx, c, &v))
    return *ok = true, v == floor(v) && isfinite(v);
  int64_t m = genc_scope_begin(ctx);
  genc_array *bad =
      genc_sum_all(ctx, genc_astype(ctx, genc_logical_not(ctx, genc__is_int(ctx, c)), GENC_F64));
  if (bad && genc_array_batched(bad)) bad = genc_particle_reduce(ctx, GENC_RSUM, bad);
  double nbad = 1;
  *ok = bad && !genc_array_item(ctx, bad, &nbad);
  genc_scope_end(ctx, m);
  return nbad == 0;
}

genc_array *genc__check_constraint(genc_rt *rt, const genc_comp *path, int len, const genc_dist *d,
                                   const double *pv, genc_array *c) {
  genc_ctx *ctx = rt->ctx;
  char a[256];
  int nd = 0;
  int64_t shape[GENC_MAX_DIMS];
  bool known = pv != NULL; /* the fast path runs only with 0-d parameters: a 0-d value */
  if (!known && elementwise(d->type)) {
    if (!genc__dist_shape(ctx, d, d->type->nparams, &nd, shape)) return NULL;
    known = true;
  }
  int cn = genc_array_ndim(c);
  if (known && (cn != nd || memcmp(genc_array_shape(c), shape, (size_t)nd * sizeof *shape))) {
    genc_addr_format(path, len, a, sizeof a);
    return bad_shape(rt, a, d, c, nd, shape);
  }
  genc_dtype dt = genc_array_dtype(c);
  bool fl = dt == GENC_F64 || dt == GENC_F32;
  if (!d->type->discrete && !fl) return genc_astype(ctx, c, genc__dist_dtype(d));
  if (!d->type->discrete || !fl) return c;
  bool ok = false;
  if (integral(ctx, c, &ok)) return c;
  if (!ok) return NULL;
  genc_addr_format(path, len, a, sizeof a);
  genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                "%s: the constraint at %s is not integral, but %s is a discrete distribution "
                "(a float constraint there must hold whole numbers)",
                rt->gf->name, a, genc_dist_name(d));
  return NULL;
}
