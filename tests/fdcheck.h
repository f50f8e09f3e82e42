/*
 * A reusable finite-difference gradient checker for cmocka tests.
 *
 * t_fdcheck(ctx, f, nargs, args, user, wrt, tol) compares genc_vjp of f against
 * central differences of the scalar L(args) = <c, f(args)>, where c is a fixed
 * pseudo-random cotangent of f's output shape (and particle count). Weighting
 * by a random c instead of summing the output catches vjps that are right only
 * for cotangents of ones (a transposed index map, a wrong reduction axis).
 *
 * For each argument i with bit i of wrt set, every physical element (particles
 * included) is perturbed by +-h, h = 1e-5 * max(1, |x|). With f64 arithmetic the
 * truncation error is O(h^2 f''') and the rounding error O(1e-16 |L| / h), both
 * near 1e-10 for the smooth, O(1)-sized test functions this is meant for, so a
 * tolerance of 1e-6 leaves a wide margin while any real vjp bug is O(1).
 *
 * The error reported is normwise relative:
 *   max_j |g_j - fd_j| / max(max_j |fd_j|, max_j |g_j|, 1e-3).
 * The 1e-3 floor keeps a truly zero gradient (fd ~ 1e-11 noise) from failing.
 *
 * It also asserts that each gradient has its argument's shape and particle
 * count. Everything it makes dies in its own scope. Returns the largest error.
 */
#ifndef GENC_TESTS_FDCHECK_H
#define GENC_TESTS_FDCHECK_H

#include "testutil.h"

/* Host copy of any array as doubles (particle-major); caller frees. */
static inline double *t_fd_host(genc_ctx *ctx, genc_array *a, int64_t *count) {
  int64_t np = genc_array_nparticles(a), n = genc_array_size(a) * (np ? np : 1);
  double *buf = malloc((size_t)(n ? n : 1) * sizeof *buf);
  if (!buf || genc_array_copy_out(ctx, a, buf, n))
    fail_msg("fdcheck: copy_out failed: %s", genc_ctx_error(ctx));
  *count = n;
  return buf;
}

/* An array like @p like (dtype, shape, particles) holding @p v (converted). */
static inline genc_array *t_fd_like(genc_ctx *ctx, genc_array *like, const double *v) {
  genc_array *a = genc_array_from(ctx, GENC_F64, genc_array_ndim(like), genc_array_shape(like),
                                  genc_array_nparticles(like), v);
  if (a && genc_array_dtype(like) != GENC_F64) a = genc_astype(ctx, a, genc_array_dtype(like));
  if (!a) fail_msg("fdcheck: cannot build an array: %s", genc_ctx_error(ctx));
  return a;
}

/* <c, f(args)> evaluated without a tape. */
static inline double t_fd_eval(genc_ctx *ctx, genc_fn f, genc_array *const *args, void *user,
                               const double *c, int64_t nc) {
  int64_t mark = genc_scope_begin(ctx);
  genc_array *y = f(ctx, args, user);
  if (!y) fail_msg("fdcheck: f failed: %s", genc_ctx_error(ctx));
  int64_t ny;
  double *v = t_fd_host(ctx, y, &ny), s = 0;
  if (ny != nc)
    fail_msg("fdcheck: f's output size changed (%lld, was %lld)", (long long)ny, (long long)nc);
  for (int64_t j = 0; j < ny; j++)
    s += c[j] * v[j];
  free(v);
  genc_scope_end(ctx, mark);
  return s;
}

/* Numerical gradient of <c, f> with respect to args[i]; returns malloc'd values. */
static inline double *t_fd_numeric(genc_ctx *ctx, genc_fn f, int nargs, genc_array *const *args,
                                   void *user, int i, const double *c, int64_t nc, int64_t *count) {
  genc_array *work[32];
  for (int k = 0; k < nargs; k++)
    work[k] = args[k];
  double *x = t_fd_host(ctx, args[i], count);
  double *fd = malloc((size_t)(*count ? *count : 1) * sizeof *fd);
  for (int64_t j = 0; j < *count; j++) {
    double x0 = x[j], h = 1e-5 * fmax(1.0, fabs(x0)), lp, lm;
    int64_t mark = genc_scope_begin(ctx);
    x[j] = x0 + h;
    work[i] = t_fd_like(ctx, args[i], x);
    lp = t_fd_eval(ctx, f, work, user, c, nc);
    x[j] = x0 - h;
    work[i] = t_fd_like(ctx, args[i], x);
    lm = t_fd_eval(ctx, f, work, user, c, nc);
    x[j] = x0;
    genc_scope_end(ctx, mark);
    fd[j] = (lp - lm) / (2 * h);
  }
  free(x);
  return fd;
}

static inline double t_fdcheck(genc_ctx *ctx, genc_fn f, int nargs, genc_array *const *args,
                               void *user, uint32_t wrt, double tol) {
  assert_true(nargs > 0 && nargs <= 32);
  int64_t mark = genc_scope_begin(ctx);
  genc_array *y0 = f(ctx, args, user);
  if (!y0) fail_msg("fdcheck: f failed: %s", genc_ctx_error(ctx));
  int64_t nc;
  double *c = t_fd_host(ctx, y0, &nc);
  uint64_t s = 0x9E3779B97F4A7C15ull; /* fixed seed: the check is deterministic */
  for (int64_t j = 0; j < nc; j++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    c[j] = (double)(s >> 11) * 0x1.0p-53 * 2.0 - 1.0;
  }
  genc_array *cot = t_fd_like(ctx, y0, c), *out = NULL, *g[32];
  if (genc_vjp(ctx, f, nargs, args, user, wrt, cot, &out, g))
    fail_msg("fdcheck: genc_vjp failed: %s", genc_ctx_error(ctx));
  double worst = 0;
  for (int i = 0; i < nargs; i++) {
    if (!(wrt >> i & 1u)) continue;
    assert_non_null(g[i]);
    assert_int_equal(genc_array_nparticles(g[i]), genc_array_nparticles(args[i]));
    assert_int_equal(genc_array_ndim(g[i]), genc_array_ndim(args[i]));
    assert_int_equal(genc_array_size(g[i]), genc_array_size(args[i]));
    int64_t ng, nf;
    double *ga = t_fd_host(ctx, g[i], &ng);
    double *fd = t_fd_numeric(ctx, f, nargs, args, user, i, c, nc, &nf);
    double diff = 0, scale = 1e-3;
    int64_t at = 0;
    for (int64_t j = 0; j < nf; j++) {
      if (fabs(ga[j] - fd[j]) > diff) diff = fabs(ga[j] - fd[j]), at = j;
      scale = fmax(scale, fmax(fabs(fd[j]), fabs(ga[j])));
    }
    double err = diff / scale;
    if (!(err <= tol))
      fail_msg("fdcheck: arg %d element %lld: vjp %.12g, central difference %.12g "
               "(relative error %.3g > %.3g)",
               i, (long long)at, ga[at], fd[at], err, tol);
    worst = fmax(worst, err);
    free(ga);
    free(fd);
  }
  free(c);
  genc_scope_end(ctx, mark);
  return worst;
}

#endif
