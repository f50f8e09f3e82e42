/* A base distribution repeated independently over a shape S: the value has
 * shape [S..., base value shape...]. One base draw / density per repeat, each
 * batched over the particles (any base works, scalar ones included). */
#include <stdlib.h>
#include <string.h>

#include "dist/internal.h"

static const genc_dist *base_of(const genc_dist *d) { return d->extra; }

static genc_status check(genc_ctx *ctx, const genc_dist *d) {
  genc_array *s = d->p[0];
  if (!base_of(d)) return genc_ctx_fail(ctx, GENC_ERR_ARG, "iid: NULL base distribution");
  if (s->ndim != 1 || s->n || s->dtype != GENC_I32 || s->shape[0] > GENC_MAX_DIMS) {
    char b[96];
    return genc_ctx_fail(ctx, GENC_ERR_SHAPE,
                         "iid: parameter shape %s must be a shared 1-d i32 array of <= %d entries",
                         genc__shape_str(s, b, sizeof b), GENC_MAX_DIMS);
  }
  genc_status st = genc_dist_check_param(ctx, d, 0, GENC_PARAM_COUNT);
  return st ? st : genc_dist_check(ctx, base_of(d));
}

/* The repeat shape S (host copy of parameter "shape"); -1 with an error. */
static int repeat_shape(genc_ctx *ctx, const genc_dist *d, int64_t *shape) {
  double v[GENC_MAX_DIMS];
  int nd = (int)d->p[0]->shape[0];
  if (nd && genc_array_copy_out(ctx, d->p[0], v, nd)) return -1;
  for (int i = 0; i < nd; i++)
    shape[i] = (int64_t)v[i];
  return nd;
}

static int64_t numel(int nd, const int64_t *s) {
  int64_t p = 1;
  for (int i = 0; i < nd; i++)
    p *= s[i];
  return p;
}

static genc_array *logpdf(genc_ctx *ctx, const genc_dist *d, genc_array *x) {
  const genc_dist *b = base_of(d);
  int64_t s[GENC_MAX_DIMS];
  int nd = repeat_shape(ctx, d, s);
  if (nd < 0) return NULL;
  bool ok = x->ndim >= nd;
  for (int i = 0; ok && i < nd; i++)
    ok = x->shape[i] == s[i];
  if (!ok) {
    char buf[96];
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "iid: value %s does not start with the repeat shape",
                  genc__shape_str(x, buf, sizeof buf));
    return NULL;
  }
  /* [S..., V...] -> [P, V...], then one base density per repeat */
  int64_t p = numel(nd, s), f[GENC_MAX_DIMS];
  int fd = x->ndim - nd + 1;
  f[0] = p;
  memcpy(f + 1, x->shape + nd, (size_t)(fd - 1) * sizeof *f);
  genc_array *xf = genc_reshape(ctx, x, fd, f), *acc = genc_scalar_weak(ctx, 0.0);
  for (int64_t e = 0; e < p && acc; e++) {
    genc_array *xe = genc_squeeze(ctx, genc_slice(ctx, xf, 0, e, e + 1, 1), 0);
    acc = genc_add(ctx, acc, xe ? b->type->logpdf(ctx, b, xe) : NULL);
  }
  return acc;
}

/* Concatenate xs[0..n) along axis 0 as a tree of groups of JOIN, so each
 * element is copied log_JOIN(n) times (a linear chain copies n^2 / JOIN);
 * overwrites xs. */
#define JOIN 16
static genc_array *join(genc_ctx *ctx, int64_t n, genc_array **xs) {
  while (n > 1) {
    int64_t m = 0;
    for (int64_t i = 0; i < n; i += JOIN) {
      int g = (int)(n - i < JOIN ? n - i : JOIN);
      if (!(xs[m++] = genc_concat(ctx, g, xs + i, 0))) return NULL;
    }
    n = m;
  }
  return xs[0];
}

/* Repeat e draws with key fold_in(key, e), batched over the particles, so
 * particle i of a batched draw is the shared draw of genc_key_particle(key, i). */
static genc_array *draw(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n, bool re) {
  const genc_dist *b = base_of(d);
  int64_t s[GENC_MAX_DIMS];
  int nd = repeat_shape(ctx, d, s);
  if (nd < 0) return NULL;
  int64_t p = numel(nd, s);
  if (p == 0) { /* no repeats: the value is empty, of the base's value shape */
    genc_array *one = re ? b->type->rsample(ctx, key, b, n) : b->type->sample(ctx, key, b, n);
    int64_t t[GENC_MAX_DIMS];
    if (!one) return NULL;
    if (nd + one->ndim > GENC_MAX_DIMS) {
      genc_ctx_fail(ctx, GENC_ERR_SHAPE, "iid: too many axes (%d + %d)", nd, one->ndim);
      return NULL;
    }
    memcpy(t, s, (size_t)nd * sizeof *t);
    memcpy(t + nd, one->shape, (size_t)one->ndim * sizeof *t);
    genc_array *z = genc_slice(ctx, genc_expand_dims(ctx, one, 0), 0, 0, 0, 1); /* [0, V] */
    return genc_reshape(ctx, z, nd + one->ndim, t);
  }
  genc_array **xs = calloc((size_t)p, sizeof *xs), *out = NULL;
  if (!xs) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "iid: out of memory");
    return NULL;
  }
  int64_t e = 0;
  for (; e < p; e++) {
    genc_key ke = genc_key_fold_in(key, (uint64_t)e);
    genc_array *x = re ? b->type->rsample(ctx, ke, b, n) : b->type->sample(ctx, ke, b, n);
    if (!(xs[e] = genc_expand_dims(ctx, x, 0))) break;
  }
  if (e == p) out = join(ctx, p, xs);
  free(xs);
  if (!out || nd == 1) return out;
  int64_t t[GENC_MAX_DIMS];
  if (nd + out->ndim - 1 > GENC_MAX_DIMS) {
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "iid: %d repeat axes and %d value axes exceed %d", nd,
                  out->ndim - 1, GENC_MAX_DIMS);
    return NULL;
  }
  memcpy(t, s, (size_t)nd * sizeof *t);
  memcpy(t + nd, out->shape + 1, (size_t)(out->ndim - 1) * sizeof *t);
  return genc_reshape(ctx, out, nd + out->ndim - 1, t);
}

static genc_array *sample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  return draw(ctx, key, d, n, false);
}

static genc_array *rsample(genc_ctx *ctx, genc_key key, const genc_dist *d, int64_t n) {
  return draw(ctx, key, d, n, true);
}

static const genc_dist_type iid_type = {.name = "iid",
                                        .support = {GENC_SUPPORT_OTHER},
                                        .nparams = 1,
                                        .param_names = {"shape"},
                                        .check = check,
                                        .sample = sample,
                                        .logpdf = logpdf};
/* the type when the base is reparameterized */
static const genc_dist_type iid_r_type = {.name = "iid",
                                          .support = {GENC_SUPPORT_OTHER},
                                          .nparams = 1,
                                          .param_names = {"shape"},
                                          .check = check,
                                          .sample = sample,
                                          .logpdf = logpdf,
                                          .rsample = rsample};

genc_dist genc_iid(genc_ctx *ctx, const genc_dist *base, int ndim, const int64_t *shape) {
  int32_t v[GENC_MAX_DIMS];
  genc_array *s = NULL;
  if (ndim < 0 || ndim > GENC_MAX_DIMS || (ndim && !shape)) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "iid: %d repeat axes (0..%d, shape not NULL)", ndim,
                  GENC_MAX_DIMS);
  } else {
    for (int i = 0; i < ndim; i++)
      v[i] = shape[i] < 0 ? -1 : shape[i] > INT32_MAX ? INT32_MAX : (int32_t)shape[i];
    int64_t len = ndim;
    s = genc_array_from(ctx, GENC_I32, 1, &len, 0, v);
  }
  bool r = base && base->type && base->type->rsample;
  genc_dist d = genc__dist(r ? &iid_r_type : &iid_type, s, NULL, NULL, NULL);
  d.extra = base;
  return d;
}
