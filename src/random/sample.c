/*
 * The public samplers: validate, broadcast parameters to the output, and hand
 * one genc_sample_req to the backend (whose per-element code is laws.h).
 * Sampling is a primitive without a vjp, dispatched like every op, so a graph
 * capture records it; its parameters (law, dtype, key, particle offset,
 * particle count, shape) all live in genc_params.
 *
 * Derived samplers (bernoulli, categorical, permutation) are array ops over
 * the base ones, so they inherit the batched == per-particle property.
 */
#include <math.h>
#include <stdlib.h>

#include "array/internal.h"
#include "genc/random.h"
#include "random/internal.h"
#include "random/laws.h"

/* Parameters are checked before sampling; counts beyond this could overflow
 * the i32 results (1e9 + 40 standard deviations < 2^31). */
#define MAX_COUNT 1e9

static genc_array *sample_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  genc_array *out = genc__alloc(ctx, (genc_dtype)p->axis, p->ndim, p->shape, p->i[3]);
  if (!out || out->size == 0) return out;
  genc_sample_req q = {.law = (genc_law)p->op,
                       .dtype = (genc_dtype)p->axis,
                       .key = {(uint32_t)p->i[0], (uint32_t)((uint64_t)p->i[0] >> 32)},
                       .stream = (uint32_t)p->i[2],
                       .npart = p->i[3] ? p->i[3] : 1,
                       .size = out->size,
                       .part_offset = p->i[1]};
  for (int k = 0; k < p->naxes; k++) {
    q.param[k] = in[k]->data;
    q.pstride[k][0] = in[k]->n ? in[k]->size : 0;
    q.pstride[k][1] = in[k]->size == 1 ? 0 : 1;
  }
  ctx->bk->sample(ctx->bst, &q, out->data);
  return out;
}

/* Draws move with their parameters only where a law is reparameterized: the
 * gamma laws, implicitly (along the quantile at fixed probability). Other laws
 * have no parameter inputs that could carry a gradient (stop_gradient). */
static genc_status sample_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  genc_law law = (genc_law)nd->p.op;
  if (law != GENC_LAW_GAMMA && law != GENC_LAW_LOG_GAMMA) return GENC_OK;
  genc_array *d = genc__gamma_sample_grad(ctx, nd->out, nd->in[0], law == GENC_LAW_LOG_GAMMA);
  ic[0] = genc_mul(ctx, g, d);
  return ic[0] ? GENC_OK : genc_ctx_status(ctx);
}

static const genc_prim sample_prim = {"random", sample_fwd, sample_vjp};

double genc__sample_scalar(genc_key key, genc_law law) {
  /* the request sample_fwd builds for a shared 0-d draw (see run below) */
  genc_sample_req q = {.law = law,
                       .dtype = GENC_F64,
                       .key = {key.k[0], key.k[1]},
                       .stream = 0,
                       .npart = 1,
                       .size = 1,
                       .part_offset = key.particle};
  double v = 0;
  genc_law_sample_elem(&q, 0, 0, &v);
  return v;
}

static bool check_shape(genc_ctx *ctx, const char *name, int ndim, const int64_t *shape,
                        int64_t n) {
  if (ndim < 0 || ndim > GENC_MAX_DIMS || (ndim && !shape)) {
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "%s: rank %d outside 0..%d", name, ndim, GENC_MAX_DIMS);
    return false;
  }
  int64_t size = 1;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] < 0) {
      genc_ctx_fail(ctx, GENC_ERR_SHAPE, "%s: negative dimension %lld", name, (long long)shape[d]);
      return false;
    }
    size *= shape[d];
  }
  if (size > (int64_t)UINT32_MAX) {
    genc_ctx_fail(ctx, GENC_ERR_SHAPE,
                  "%s: %lld elements per particle; the Philox counter allows at most 2^32 - 1",
                  name, (long long)size);
    return false;
  }
  if (n < 0) {
    genc_ctx_fail(ctx, GENC_ERR_PARTICLE, "%s: negative particle count %lld", name, (long long)n);
    return false;
  }
  return true;
}

/* Run the sample primitive; params (0-2, f64, each of size 1 or of the output
 * shape) are already validated. */
static genc_array *run(genc_ctx *ctx, genc_law law, genc_dtype dt, genc_key key, int ndim,
                       const int64_t *shape, int64_t n, int np, genc_array *const *params) {
  genc_params p = {.op = law, .axis = dt, .naxes = np, .ndim = ndim};
  for (int d = 0; d < ndim; d++)
    p.shape[d] = shape[d];
  p.i[0] = (int64_t)((uint64_t)key.k[0] | (uint64_t)key.k[1] << 32);
  p.i[1] = key.particle;
  p.i[2] = 0;
  p.i[3] = n;
  return genc__dispatch(ctx, &sample_prim, np, params, &p);
}

static genc_array *base(genc_ctx *ctx, const char *name, genc_law law, genc_key key, genc_dtype dt,
                        int ndim, const int64_t *shape, int64_t n) {
  if (dt != GENC_F64 && dt != GENC_F32) {
    genc_ctx_fail(ctx, GENC_ERR_DTYPE, "%s: dtype must be f64 or f32, not %s", name,
                  genc_dtype_name(dt));
    return NULL;
  }
  if (!check_shape(ctx, name, ndim, shape, n)) return NULL;
  return run(ctx, law, dt, key, ndim, shape, n, 0, NULL);
}

genc_array *genc_random_uniform(genc_ctx *ctx, genc_key key, genc_dtype dt, int ndim,
                                const int64_t *shape, int64_t n) {
  return base(ctx, "genc_random_uniform", GENC_LAW_UNIFORM, key, dt, ndim, shape, n);
}

genc_array *genc_random_normal(genc_ctx *ctx, genc_key key, genc_dtype dt, int ndim,
                               const int64_t *shape, int64_t n) {
  return base(ctx, "genc_random_normal", GENC_LAW_NORMAL, key, dt, ndim, shape, n);
}

genc_array *genc_random_exponential(genc_ctx *ctx, genc_key key, genc_dtype dt, int ndim,
                                    const int64_t *shape, int64_t n) {
  return base(ctx, "genc_random_exponential", GENC_LAW_EXPONENTIAL, key, dt, ndim, shape, n);
}

genc_array *genc_random_gumbel(genc_ctx *ctx, genc_key key, genc_dtype dt, int ndim,
                               const int64_t *shape, int64_t n) {
  return base(ctx, "genc_random_gumbel", GENC_LAW_GUMBEL, key, dt, ndim, shape, n);
}

genc_array *genc_random_bits(genc_ctx *ctx, genc_key key, int ndim, const int64_t *shape,
                             int64_t n) {
  if (!check_shape(ctx, "genc_random_bits", ndim, shape, n)) return NULL;
  return run(ctx, GENC_LAW_BITS, GENC_I32, key, ndim, shape, n, 0, NULL);
}

/* ---- parameter checks ---- */

/* True if every element of the bool array @p ok is true (NULL: error set). */
static int all_true(genc_ctx *ctx, genc_array *ok) {
  if (ok && ok->size == 0) return 1;
  genc_array *m = genc_reduce(ctx, GENC_RMIN, genc_astype(ctx, ok, GENC_F64), 0, NULL, false);
  if (m && m->n) m = genc_particle_reduce(ctx, GENC_RMIN, m);
  double v = 1;
  if (!m || genc__guard_item(ctx, m, &v)) return -1;
  return v == 1.0;
}

/* Fail with a message naming the sampler, the parameter, the rule and the
 * first offending value (found on the host: this is the error path only). */
static void domain_fail(genc_ctx *ctx, const char *name, const char *param, const char *rule,
                        genc_array *x, genc_array *ok) {
  /* ok was computed elementwise from x alone, so it has x's shape and particles */
  int64_t cnt = genc__numel(x), at = -1;
  double *xv = malloc((size_t)cnt * sizeof *xv), *okv = malloc((size_t)cnt * sizeof *okv);
  if (xv && okv && !genc_array_copy_out(ctx, x, xv, cnt) && !genc_array_copy_out(ctx, ok, okv, cnt))
    for (at = 0; at < cnt && okv[at] != 0.0; at++) {
    }
  if (at >= 0 && at < cnt)
    genc_ctx_fail(ctx, GENC_ERR_DOMAIN, "%s: %s must be %s (got %g at element %lld)", name, param,
                  rule, xv[at], (long long)at);
  else
    genc_ctx_fail(ctx, GENC_ERR_DOMAIN, "%s: %s must be %s", name, param, rule);
  free(xv);
  free(okv);
}

/* Check @p ok (bool, computed from @p x) holds everywhere; on failure report. */
static bool check_param(genc_ctx *ctx, const char *name, const char *param, const char *rule,
                        genc_array *x, genc_array *ok) {
  int r = all_true(ctx, ok);
  if (r == 1) return true;
  if (r == 0) domain_fail(ctx, name, param, rule, x, ok);
  return false;
}

/* The particle count of a draw from batched-or-shared parameters and a
 * requested n; -1 (error set) when they disagree. */
static int64_t out_particles(genc_ctx *ctx, const char *name, int64_t pn, int64_t n) {
  if (n < 0) {
    genc_ctx_fail(ctx, GENC_ERR_PARTICLE, "%s: negative particle count %lld", name, (long long)n);
    return -1;
  }
  if (pn && n && pn != n) {
    genc_ctx_fail(ctx, GENC_ERR_PARTICLE,
                  "%s: parameters have %lld particles but %lld were requested", name, (long long)pn,
                  (long long)n);
    return -1;
  }
  return pn ? pn : n;
}

/* A parameter as the sampler reads it: f64, of the output shape (size-1
 * parameters stay size 1); differentiable only where the law is (diff). */
static genc_array *as_param_d(genc_ctx *ctx, genc_array *x, int ndim, const int64_t *shape,
                              bool diff) {
  x = genc_astype(ctx, x, GENC_F64);
  if (!diff) x = genc_stop_gradient(ctx, x);
  if (x && x->size != 1 && (x->ndim != ndim || memcmp(x->shape, shape, sizeof *shape * ndim)))
    x = genc_broadcast_to(ctx, x, ndim, shape);
  return x;
}

static genc_array *as_param(genc_ctx *ctx, genc_array *x, int ndim, const int64_t *shape) {
  return as_param_d(ctx, x, ndim, shape, false);
}

#define C(v) genc_scalar_weak(ctx, v)

static genc_array *gamma_like(genc_ctx *ctx, const char *name, genc_law law, genc_key key,
                              genc_array *alpha, int64_t n) {
  if (!genc__check_in(ctx, name, 1, &alpha)) return NULL;
  int64_t on = out_particles(ctx, name, alpha->n, n);
  if (on < 0 || !check_shape(ctx, name, alpha->ndim, alpha->shape, on)) return NULL;
  genc_array *ok =
      genc_logical_and(ctx, genc_gt(ctx, alpha, 0.0), genc_lt(ctx, alpha, C(INFINITY)));
  if (!check_param(ctx, name, "alpha", "positive and finite", alpha, ok)) return NULL;
  genc_dtype dt = alpha->dtype == GENC_F32 ? GENC_F32 : GENC_F64;
  genc_array *a = as_param_d(ctx, alpha, alpha->ndim, alpha->shape, true);
  return a ? run(ctx, law, dt, key, alpha->ndim, alpha->shape, on, 1, &a) : NULL;
}

genc_array *genc_random_gamma(genc_ctx *ctx, genc_key key, genc_array *alpha, int64_t n) {
  return gamma_like(ctx, "genc_random_gamma", GENC_LAW_GAMMA, key, alpha, n);
}

genc_array *genc_random_log_gamma(genc_ctx *ctx, genc_key key, genc_array *alpha, int64_t n) {
  return gamma_like(ctx, "genc_random_log_gamma", GENC_LAW_LOG_GAMMA, key, alpha, n);
}

genc_array *genc_random_poisson(genc_ctx *ctx, genc_key key, genc_array *rate, int64_t n) {
  static const char *name = "genc_random_poisson";
  if (!genc__check_in(ctx, name, 1, &rate)) return NULL;
  int64_t on = out_particles(ctx, name, rate->n, n);
  if (on < 0 || !check_shape(ctx, name, rate->ndim, rate->shape, on)) return NULL;
  genc_array *ok = genc_logical_and(ctx, genc_ge(ctx, rate, 0.0), genc_le(ctx, rate, MAX_COUNT));
  if (!check_param(ctx, name, "rate", "in [0, 1e9] (and not NaN)", rate, ok)) return NULL;
  genc_array *r = as_param(ctx, rate, rate->ndim, rate->shape);
  return r ? run(ctx, GENC_LAW_POISSON, GENC_I32, key, rate->ndim, rate->shape, on, 1, &r) : NULL;
}

genc_array *genc_random_binomial(genc_ctx *ctx, genc_key key, genc_array *count, genc_array *p,
                                 int64_t n) {
  static const char *name = "genc_random_binomial";
  genc_array *in[2] = {count, p};
  if (!genc__check_in(ctx, name, 2, in)) return NULL;
  int ndim;
  int64_t shape[GENC_MAX_DIMS];
  int64_t pn = genc__join_particles(ctx, name, 2, in);
  if (pn < 0 || !genc__broadcast_shapes(ctx, name, 2, in, &ndim, shape)) return NULL;
  int64_t on = out_particles(ctx, name, pn, n);
  if (on < 0 || !check_shape(ctx, name, ndim, shape, on)) return NULL;
  genc_array *okc = genc_logical_and(
      ctx, genc_logical_and(ctx, genc_ge(ctx, count, 0.0), genc_le(ctx, count, MAX_COUNT)),
      genc_eq(ctx, genc_floor(ctx, count), count));
  if (!check_param(ctx, name, "count", "an integer in [0, 1e9]", count, okc)) return NULL;
  genc_array *okp = genc_logical_and(ctx, genc_ge(ctx, p, 0.0), genc_le(ctx, p, 1.0));
  if (!check_param(ctx, name, "p", "in [0, 1]", p, okp)) return NULL;
  genc_array *prm[2] = {as_param(ctx, count, ndim, shape), as_param(ctx, p, ndim, shape)};
  if (!prm[0] || !prm[1]) return NULL;
  return run(ctx, GENC_LAW_BINOMIAL, GENC_I32, key, ndim, shape, on, 2, prm);
}

genc_array *genc_random_bernoulli(genc_ctx *ctx, genc_key key, genc_array *p, int64_t n) {
  static const char *name = "genc_random_bernoulli";
  if (!genc__check_in(ctx, name, 1, &p)) return NULL;
  int64_t on = out_particles(ctx, name, p->n, n);
  if (on < 0) return NULL;
  genc_array *ok = genc_logical_and(ctx, genc_ge(ctx, p, 0.0), genc_le(ctx, p, 1.0));
  if (!check_param(ctx, name, "p", "in [0, 1]", p, ok)) return NULL;
  genc_array *u = genc_random_uniform(ctx, key, GENC_F64, p->ndim, p->shape, on);
  return genc_lt(ctx, u, genc_stop_gradient(ctx, p));
}

genc_array *genc_random_categorical(genc_ctx *ctx, genc_key key, genc_array *logits, int64_t n) {
  static const char *name = "genc_random_categorical";
  if (!genc__check_in(ctx, name, 1, &logits)) return NULL;
  if (logits->ndim < 1 || logits->shape[logits->ndim - 1] < 1) {
    char b[128];
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "%s: logits must have a non-empty last axis, not %s", name,
                  genc__shape_str(logits, b, sizeof b));
    return NULL;
  }
  int64_t on = out_particles(ctx, name, logits->n, n);
  if (on < 0) return NULL;
  genc_array *ok = genc_lt(ctx, logits, C(INFINITY));
  if (!check_param(ctx, name, "logits", "below +inf and not NaN", logits, ok)) return NULL;
  /* a row of -inf logits has no category to draw (argmax would say 0) */
  int ax = -1;
  genc_array *mx = genc_max(ctx, genc_stop_gradient(ctx, logits), 1, &ax, false);
  int r = all_true(ctx, genc_gt(ctx, mx, C(-INFINITY)));
  if (r == 0)
    genc_ctx_fail(ctx, GENC_ERR_DOMAIN, "%s: every logit is -inf in a row of logits %s", name,
                  genc__shape_str(logits, (char[128]){0}, 128));
  if (r != 1) return NULL;
  genc_dtype dt = logits->dtype == GENC_F32 ? GENC_F32 : GENC_F64;
  genc_array *g = genc_random_gumbel(ctx, key, dt, logits->ndim, logits->shape, on);
  return genc_argmax(ctx, genc_add(ctx, genc_stop_gradient(ctx, logits), g), -1, false);
}

/* Ranks of iid uniforms are a uniform random permutation. The rank of u_i
 * counts the u_j below it (ties, which need equal 53-bit draws, broken by
 * index), an O(len^2) comparison matrix per particle: fine for the small
 * permutations models use, not for shuffling millions. */
genc_array *genc_random_permutation(genc_ctx *ctx, genc_key key, int64_t len, int64_t n) {
  static const char *name = "genc_random_permutation";
  if (len < 0 || len > 46340) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: len %lld outside 0..46340 (the method is O(len^2))", name,
                  (long long)len);
    return NULL;
  }
  int64_t shape[1] = {len};
  genc_array *u = genc_random_uniform(ctx, key, GENC_F64, 1, shape, n);
  if (!u || len == 0) return u ? genc_astype(ctx, u, GENC_I32) : NULL;
  genc_array *idx = genc_array_arange(ctx, GENC_F64, 0, (double)len, 1);
  genc_array *ui = genc_expand_dims(ctx, u, 1), *uj = genc_expand_dims(ctx, u, 0);
  genc_array *ii = genc_expand_dims(ctx, idx, 1), *jj = genc_expand_dims(ctx, idx, 0);
  genc_array *below = genc_logical_or(
      ctx, genc_lt(ctx, uj, ui), genc_logical_and(ctx, genc_eq(ctx, uj, ui), genc_lt(ctx, jj, ii)));
  int ax[1] = {1};
  genc_array *rank = genc_sum(ctx, genc_astype(ctx, below, GENC_F64), 1, ax, false);
  return genc_astype(ctx, rank, GENC_I32);
}
