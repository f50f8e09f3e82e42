/* Shared helpers for genc's cmocka tests. */
#ifndef GENC_TESTUTIL_H
#define GENC_TESTUTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

#include "genc.h"

/* Fail the test with the context's message when x is NULL. */
#define T_OK(ctx, x)                                                                               \
  do {                                                                                             \
    if (!(x)) fail_msg("%s failed: %s", #x, genc_ctx_error(ctx));                                  \
  } while (0)

/* Assert |a - b| <= tol * max(1, |b|) (relative, absolute near zero). */
#define T_CLOSE(a, b, tol)                                                                         \
  do {                                                                                             \
    double a_ = (a), b_ = (b), t_ = (tol)*fmax(1.0, fabs(b_));                                     \
    if (!(fabs(a_ - b_) <= t_) && !(isnan(a_) && isnan(b_)) && !(a_ == b_))                        \
      fail_msg("%s = %.17g, expected %.17g (tol %.3g)", #a, a_, b_, t_);                           \
  } while (0)

/* Read the single value of a shared scalar array. */
static inline double t_item(genc_ctx *ctx, genc_array *a) {
  double v = NAN;
  if (genc_array_item(ctx, a, &v)) fail_msg("item failed: %s", genc_ctx_error(ctx));
  return v;
}

/* Read element i (particle-major) of any array. */
static inline double t_at(genc_ctx *ctx, genc_array *a, int64_t i) {
  int64_t n = genc_array_size(a) * (genc_array_nparticles(a) ? genc_array_nparticles(a) : 1);
  double *buf = malloc((size_t)n * sizeof *buf);
  if (genc_array_copy_out(ctx, a, buf, n)) fail_msg("copy_out failed: %s", genc_ctx_error(ctx));
  double v = buf[i];
  free(buf);
  return v;
}

/* The device the tests run on: GENC_TEST_DEVICE=cuda selects the GPU. A test
 * program calls t_ctx() in its setup; with cuda requested but absent it exits 77
 * (ctest: skipped). */
static inline genc_ctx *t_ctx(void) {
  const char *dev = getenv("GENC_TEST_DEVICE");
  genc_ctx_opts o = {0};
  if (dev && !strcmp(dev, "cuda")) o.device = GENC_CUDA;
  genc_status st;
  genc_ctx *ctx = genc_ctx_new(&o, &st);
  if (!ctx && o.device == GENC_CUDA) {
    printf("skipped: no CUDA device (%s)\n", genc_ctx_new_error());
    exit(77);
  }
  return ctx;
}

/* The mean of v, draws [nc][n] of nc chains, within k Monte Carlo standard
 * errors of want: the MCSE from the chains' own ESS (genc_diag_mcse_mean), the
 * tolerance every MCMC test states with its k; what names the quantity. */
static inline void t_within_mcse(genc_ctx *ctx, const double *v, int nc, int64_t n, double want,
                                 double k, const char *what) {
  double mean, mcse;
  if (genc_diag_mean_sd(ctx, v, (int64_t)nc * n, &mean, NULL) ||
      genc_diag_mcse_mean(ctx, v, nc, n, &mcse))
    fail_msg("%s: %s", what, genc_ctx_error(ctx));
  print_message("%s: %.4f, exact %.4f, mcse %.4f\n", what, mean, want, mcse);
  if (!(fabs(mean - want) <= k * mcse))
    fail_msg("%s: %g, exact %g, mcse %g (%.1f MCSE)", what, mean, want, mcse, (mean - want) / mcse);
}

/* cmocka group setup/teardown for tests that take their context from *state. */
static inline int t_setup(void **state) {
  *state = t_ctx();
  return *state ? 0 : -1;
}
static inline int t_teardown(void **state) {
  genc_ctx_free(*state);
  return 0;
}

/* A fresh disk-cache directory for compiled graphs, /tmp/genc_<tag>_XXXXXX,
 * into dir (cap bytes); false on failure. Remove it with t_rmdir. */
static inline bool t_mkdir_cache(char *dir, size_t cap, const char *tag) {
  snprintf(dir, cap, "/tmp/genc_%s_XXXXXX", tag);
  return mkdtemp(dir) != NULL;
}
/* Remove such a directory and what it holds; 0, or -1 on failure. */
static inline int t_rmdir(const char *dir) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) ? -1 : 0;
}

/* r must be NULL with status st and a message containing w1 and w2 (either may
 * be NULL); clears the error. */
static inline void t_expect_error(genc_ctx *ctx, genc_array *r, genc_status st, const char *w1,
                                  const char *w2) {
  assert_null(r);
  assert_int_equal(genc_ctx_status(ctx), st);
  const char *m = genc_ctx_error(ctx);
  if (w1 && !strstr(m, w1)) fail_msg("message '%s' lacks '%s'", m, w1);
  if (w2 && !strstr(m, w2)) fail_msg("message '%s' lacks '%s'", m, w2);
  genc_ctx_clear_error(ctx);
}

/* An f64 array of the given shape over n particles holding j * scale + off. */
static inline genc_array *t_iota(genc_ctx *ctx, int64_t n, int ndim, const int64_t *shape,
                                 double scale, double off) {
  int64_t size = 1;
  for (int d = 0; d < ndim; d++)
    size *= shape[d];
  int64_t tot = size * (n ? n : 1);
  double *v = malloc((size_t)(tot ? tot : 1) * sizeof *v);
  for (int64_t j = 0; j < tot; j++)
    v[j] = (double)j * scale + off;
  genc_array *a = genc_array_from(ctx, GENC_F64, ndim, shape, n, v);
  free(v);
  T_OK(ctx, a);
  return a;
}

#endif
