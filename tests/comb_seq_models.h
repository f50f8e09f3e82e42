/* Kernel models and value helpers shared by the Map/Unfold/Scan/Vmap tests
 * (kernels count their runs through their user pointer); the GFI law checks
 * come from gfi_laws.h. */
#ifndef GENC_TEST_COMB_SEQ_MODELS_H
#define GENC_TEST_COMB_SEQ_MODELS_H

#include "gfi_laws.h"

/* x ~ N(m, 1); y ~ N(x, 0.5); returns x. args[0] = m (0-d); user: a counter of runs or NULL */
static inline genc_array *k_step(genc_rt *rt, genc_array *const *args, void *u) {
  if (u) ++*(int64_t *)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, args[0], 1.0));
  GENC_TRACE(rt, "y", genc_normal(ctx, x, 0.5));
  return x;
}

/* An n-particle (0: shared) 1-d f64 array of length len holding j * scale + off. */
static inline genc_array *t_vec(genc_ctx *ctx, int64_t n, int64_t len, double scale, double off) {
  return t_iota(ctx, n, 1, &len, scale, off);
}

/* log N(x; mu, sigma) */
static inline double t_lnorm(double x, double mu, double sigma) {
  double z = (x - mu) / sigma;
  return -0.5 * z * z - log(sigma) - 0.5 * log(2 * M_PI);
}

/* The value at path (a, b) of a trace's choices, as a double. */
static inline double t_choice2(genc_ctx *ctx, const genc_trace *t, genc_comp a, genc_comp b) {
  genc_comp p[2] = {a, b};
  genc_array *v = genc_trace_get(ctx, t, p, 2);
  T_OK(ctx, v);
  return t_item(ctx, v);
}

/* The fixture of the Map/Vmap/Scan tests: a kernel that counts its runs in
 * runs and the combinator made of it. */
typedef struct seq_fixture {
  genc_ctx *ctx;
  int64_t runs;
  genc_gf *kernel, *comb;
} seq_fixture;

/* cmocka setup: the kernel named @p name from @p body, then make(kernel). */
static inline int seq_setup(void **state, const char *name, genc_model_fn body, int nargs,
                            genc_gf *(*make)(genc_gf *kernel)) {
  seq_fixture *f = calloc(1, sizeof *f);
  f->ctx = t_ctx();
  f->kernel = genc_gf_dynamic(name, body, nargs, &f->runs);
  f->comb = make(f->kernel);
  *state = f;
  return f->ctx && f->comb ? 0 : -1;
}

static inline int seq_teardown(void **state) {
  seq_fixture *f = *state;
  genc_gf_release(f->comb);
  genc_gf_release(f->kernel);
  genc_ctx_free(f->ctx);
  free(f);
  return 0;
}

/* The Unfold fixture of the Unfold tests: kernel(t, state): x ~ N(0.9 state,
 * 1); y ~ N(x, 0.5); returns x; counts its runs in lg_fixture.runs. */
static inline genc_array *lg_kernel(genc_rt *rt, genc_array *const *args, void *u) {
  ++*(int64_t *)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *x = GENC_TRACE(rt, "x", genc_normal(ctx, genc_mul(ctx, args[1], 0.9), 1.0));
  GENC_TRACE(rt, "y", genc_normal(ctx, x, 0.5));
  return x;
}

typedef struct lg_fixture {
  genc_ctx *ctx;
  int64_t runs;
  genc_gf *kernel, *unfold;
} lg_fixture;

static inline int lg_setup(void **state) {
  lg_fixture *f = calloc(1, sizeof *f);
  f->ctx = t_ctx();
  f->kernel = genc_gf_dynamic("lg", lg_kernel, 2, &f->runs);
  f->unfold = genc_unfold(f->kernel);
  *state = f;
  return f->ctx && f->unfold ? 0 : -1;
}

static inline int lg_teardown(void **state) {
  lg_fixture *f = *state;
  genc_gf_release(f->unfold);
  genc_gf_release(f->kernel);
  genc_ctx_free(f->ctx);
  free(f);
  return 0;
}

/* A shared 0-d i32 (Unfold's T). */
static inline genc_array *i32(genc_ctx *ctx, int v) { return genc_scalar_of(ctx, v, GENC_I32); }

#endif
