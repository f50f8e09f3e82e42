/*
 * The CPU executor of captured graphs (genc/exec.h): a compiled replay gives
 * the eager results (draws, integers and bools bit for bit; floats within a
 * few ulps, see ulps_close), for any thread count and tile size, through the
 * disk cache of a second process, and through the tiled interpreter when no
 * compiler runs. Every graph here is compiled once per cache directory
 * (about 0.3-1 s of cc each), so the test keeps to three graphs. The thread
 * pool runs every index of every job once, spinning or asleep.
 */
#include <float.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "array/exec_cpu.h"
#include "array/graph.h"
#include "array/internal.h"

#define N 37 /* odd: the Box-Muller pairs of the last particle are split */

static char cache_dir[256];

static int setup(void **state) {
  if (!t_mkdir_cache(cache_dir, sizeof cache_dir, "exec_test")) return -1;
  /* the CPU executor's test: a CPU context whatever GENC_TEST_DEVICE asks
   * (test_graph_cuda covers the CUDA executor) */
  genc_status st;
  *state = genc_ctx_new(&(genc_ctx_opts){0}, &st);
  return *state ? 0 : -1;
}

static int teardown(void **state) {
  if (t_rmdir(cache_dir)) return -1;
  return t_teardown(state);
}

/* All elements of a (particle-major) into a new host buffer of *n doubles. */
static double *host(genc_ctx *ctx, genc_array *a, int64_t *n) {
  int64_t np = genc_array_nparticles(a);
  *n = genc_array_size(a) * (np ? np : 1);
  double *v = malloc((size_t)(*n ? *n : 1) * sizeof *v);
  if (genc_array_copy_out(ctx, a, v, *n)) fail_msg("copy_out: %s", genc_ctx_error(ctx));
  return v;
}

/* Replay value a against eager value b: equal shapes and dtypes, and every
 * element within ulps units of b's precision relative to the largest |b| of
 * the array (0: bit for bit). The compiled code calls glibc's scalar libm
 * where the eager elementwise loops call its vector libm (at most 4 ulp
 * apart, glibc's documented bound); a value computed from such results (a
 * sum of them, a difference) carries a few such errors relative to the
 * terms, which the array's largest magnitude bounds here. 16 ulps covers the
 * chains below with room, and a wrong op or a wrong element is off by far
 * more. Integer and bool values, and draws, are compared with ulps = 0. */
static void ulps_close(genc_ctx *ctx, genc_array *a, genc_array *b, double ulps, const char *what) {
  assert_int_equal(genc_array_dtype(a), genc_array_dtype(b));
  assert_int_equal(genc_array_nparticles(a), genc_array_nparticles(b));
  assert_int_equal(genc_array_size(a), genc_array_size(b));
  int64_t n, m;
  double *x = host(ctx, a, &n), *y = host(ctx, b, &m);
  double eps = genc_array_dtype(b) == GENC_F32 ? FLT_EPSILON : DBL_EPSILON, scale = 0;
  for (int64_t i = 0; i < n; i++)
    scale = isfinite(y[i]) ? fmax(scale, fabs(y[i])) : scale;
  for (int64_t i = 0; i < n; i++) {
    bool same = x[i] == y[i] || (isnan(x[i]) && isnan(y[i]));
    if (!same && !(fabs(x[i] - y[i]) <= ulps * eps * scale))
      fail_msg("%s: element %lld is %.17g, eager %.17g", what, (long long)i, x[i], y[i]);
  }
  free(x), free(y);
}

static genc_compile_opts opts(int threads, int64_t tile) {
  return (genc_compile_opts){.threads = threads, .cache_dir = cache_dir, .tile = tile};
}

/* ---- graph 1: every fusable elementwise primitive and reduction ---- */

#define NOUT1 28

static genc_status ops_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                          genc_array **out, void *user) {
  (void)keys, (void)user;
  genc_array *x = in[0], *y = in[1], *xf = in[2], *k = in[3];
  int ax1[1] = {1}, ax0[1] = {0};
  genc_array *lx = genc_log(ctx, x);
  out[0] = genc_add(ctx, genc_add(ctx, genc_exp(ctx, x), lx), genc_sqrt(ctx, x));
  out[1] = genc_add(ctx, genc_sin(ctx, x), genc_tanh(ctx, genc_neg(ctx, x)));
  out[2] = genc_add(ctx, genc_sigmoid(ctx, x), genc_softplus(ctx, genc_sub(ctx, 1.0, x)));
  out[3] = genc_add(ctx, genc_lgamma(ctx, x), genc_floor(ctx, genc_mul(ctx, x, 3.0)));
  out[4] = genc_mul(ctx, genc_erf(ctx, genc_sub(ctx, x, 1.0)), genc_reciprocal(ctx, x));
  out[5] = genc_div(ctx, genc_pow(ctx, x, y), genc_atan2(ctx, x, y));
  out[6] = genc_maximum(ctx, genc_minimum(ctx, x, y), genc_square(ctx, genc_sub(ctx, x, 1.5)));
  genc_array *c = genc_lt(ctx, x, y);
  out[7] = c;
  out[8] = genc_where(ctx, c, x, genc_neg(ctx, y));
  out[9] = genc_sum(ctx, out[0], 1, ax1, false); /* contiguous rows: four accumulators */
  out[10] = genc_sum(ctx, out[1], 1, ax0, false);
  out[11] = genc_max(ctx, out[2], 0, NULL, false);
  out[12] = genc_logsumexp(ctx, genc_mul(ctx, x, 10.0), 1, ax1, true);
  out[13] = genc_prod(ctx, x, 1, ax0, false);
  out[14] = genc_min(ctx, genc_add(ctx, x, y), 1, ax1, false);
  out[15] = genc__normal_logpdf(ctx, x, y, genc_scalar_weak(ctx, 0.7));
  out[16] = genc_sum(ctx, genc__normal_logpdf(ctx, y, x, genc_add(ctx, y, 0.5)), 0, NULL, false);
  /* f32: weak C numbers follow the array's dtype */
  genc_array *f = genc_add(ctx, genc_mul(ctx, xf, 2.5), genc_exp(ctx, xf));
  out[17] = f;
  out[18] = genc_logsumexp(ctx, f, 0, NULL, false);
  out[19] = genc_astype(ctx, genc_mul(ctx, x, y), GENC_F32);
  /* i32 and bool */
  out[20] = genc_add(ctx, genc_mul(ctx, k, k), genc_scalar_weak_i32(ctx, 3));
  out[21] = genc_sum(ctx, genc_abs(ctx, genc_neg(ctx, k)), 0, NULL, false);
  out[22] =
      genc_logical_and(ctx, genc_gt(ctx, k, 2), genc_astype(ctx, genc_sign(ctx, k), GENC_BOOL));
  int64_t sh[3] = {2, 3, 4};
  out[23] =
      genc_reshape(ctx, genc_broadcast_to(ctx, genc_expm1(ctx, y), 3, sh), 2, (int64_t[]){6, 4});
  /* float reductions of bools (the distributions' finite checks): reduced as bools */
  genc_array *b = genc_astype(ctx, genc_gt(ctx, x, 1.0), GENC_F64);
  out[24] = genc_min(ctx, b, 1, ax1, false);
  out[25] = genc_max(ctx, b, 1, ax0, false);
  out[26] = genc_sum(ctx, b, 0, NULL, false);
  out[27] = genc_sum(ctx, f, 0, NULL, false); /* an f32 row sum */
  for (int i = 0; i < NOUT1; i++)
    if (!out[i]) return genc_ctx_status(ctx);
  return GENC_OK;
}

/* Inputs of graph 1 from a seed. */
static void ops_inputs(genc_ctx *ctx, unsigned seed, genc_array **in) {
  double x[N * 12], y[4];
  float xf[N * 5];
  int32_t k[N * 4];
  srand(seed);
  for (int i = 0; i < N * 12; i++)
    x[i] = 0.1 + 3.0 * rand() / RAND_MAX;
  for (int i = 0; i < 4; i++)
    y[i] = 0.2 + 2.0 * rand() / RAND_MAX;
  for (int i = 0; i < N * 5; i++)
    xf[i] = (float)(-2.0 + 4.0 * rand() / RAND_MAX);
  for (int i = 0; i < N * 4; i++)
    k[i] = rand() % 200001 - 100000;
  in[0] = genc_array_from(ctx, GENC_F64, 2, (int64_t[]){3, 4}, N, x);
  in[1] = genc_array_from(ctx, GENC_F64, 1, (int64_t[]){4}, 0, y);
  in[2] = genc_array_from(ctx, GENC_F32, 1, (int64_t[]){5}, N, xf);
  in[3] = genc_array_from(ctx, GENC_I32, 1, (int64_t[]){4}, N, k);
}

static void test_compiled_ops_equal_eager(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  genc_array *in[4], *out[NOUT1], *got[NOUT1], *want[NOUT1];
  ops_inputs(ctx, 1, in);
  genc_graph *g = genc_graph_capture(ctx, ops_fn, NULL, 0, NULL, 4, in, NOUT1, out);
  T_OK(ctx, g);
  genc_compile_opts o = opts(2, 0);
  assert_int_equal(genc_graph_compile(ctx, g, &o), GENC_OK);
  genc_compile_info info;
  assert_int_equal(genc_graph_compile_info(ctx, g, &info), GENC_OK);
  if (!info.compiled) fail_msg("not compiled: %s", info.why);
  assert_true(info.regions >= 1);
  ops_inputs(ctx, 2, in); /* new inputs: nothing is left over from the capture run */
  assert_int_equal(genc_graph_replay(ctx, g, NULL, in, got), GENC_OK);
  assert_int_equal(ops_fn(ctx, NULL, in, want, NULL), GENC_OK);
  for (int i = 0; i < NOUT1; i++) {
    char what[32];
    snprintf(what, sizeof what, "output %d", i);
    bool exact = i == 7 || (i >= 20 && i <= 26); /* ints, bools, reductions of bools */
    ulps_close(ctx, got[i], want[i], exact ? 0 : 16, what);
  }
  /* the tiled interpreter runs the eager kernels themselves: bit for bit */
  o.interpret = true;
  assert_int_equal(genc_graph_compile(ctx, g, &o), GENC_OK);
  assert_int_equal(genc_graph_compile_info(ctx, g, &info), GENC_OK);
  assert_false(info.compiled);
  assert_int_equal(genc_graph_replay(ctx, g, NULL, in, got), GENC_OK);
  for (int i = 0; i < NOUT1; i++)
    ulps_close(ctx, got[i], want[i], 0, "interpreted");
  genc_graph_free(g);
  genc_scope_end(ctx, mark);
}

/* ---- graph 2: draws of every fused law and a density of them ---- */

#define NOUT2 9
#define NP 1001

static genc_status draw_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                           genc_array **out, void *user) {
  (void)in, (void)user;
  genc_key k[7];
  genc_key_split(keys[0], 7, k);
  int64_t s2[1] = {2}, s3[1] = {3};
  out[0] = genc_random_normal(ctx, k[0], GENC_F64, 0, NULL, NP);
  out[1] = genc_random_normal(ctx, k[1], GENC_F32, 1, s3, NP);
  out[2] = genc_random_uniform(ctx, k[2], GENC_F64, 1, s2, NP);
  out[3] = genc_random_uniform(ctx, k[3], GENC_F32, 0, NULL, NP);
  out[4] = genc_random_exponential(ctx, k[4], GENC_F64, 1, s2, NP);
  out[5] = genc_random_gumbel(ctx, k[5], GENC_F64, 0, NULL, NP);
  out[6] = genc_random_bits(ctx, k[6], 1, s3, NP);
  genc_array *mu = genc_add(ctx, 0.5, genc_mul(ctx, 2.0, out[0]));
  out[7] = mu;
  out[8] = genc_sum(ctx, genc__normal_logpdf(ctx, in[0], mu, genc_scalar_weak(ctx, 0.3)), 0, NULL,
                    false);
  for (int i = 0; i < NOUT2; i++)
    if (!out[i]) return genc_ctx_status(ctx);
  return GENC_OK;
}

static void check_draws(genc_ctx *ctx, genc_graph *g, genc_key key, genc_array *data) {
  genc_array *got[NOUT2], *want[NOUT2];
  assert_int_equal(genc_graph_replay(ctx, g, &key, &data, got), GENC_OK);
  assert_int_equal(draw_fn(ctx, &key, &data, want, NULL), GENC_OK);
  for (int i = 0; i < NOUT2; i++)
    ulps_close(ctx, got[i], want[i], 0, "draws");
}

static void test_draws_and_threads(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  double y[5] = {0.3, -1.0, 2.0, 0.7, 1.1};
  genc_array *data = genc_array_vec(ctx, 5, y), *out[NOUT2];
  genc_key key = genc_key_from_seed(7);
  genc_graph *g = genc_graph_capture(ctx, draw_fn, NULL, 1, &key, 1, &data, NOUT2, out);
  T_OK(ctx, g);
  /* 1, 2 and 16 threads; chunks of 7 particles start at odd particles, so
   * Box-Muller pairs straddle chunk edges */
  const int threads[3] = {1, 2, 16};
  for (int t = 0; t < 3; t++) {
    genc_compile_opts o = opts(threads[t], 7);
    assert_int_equal(genc_graph_compile(ctx, g, &o), GENC_OK);
    genc_compile_info info;
    assert_int_equal(genc_graph_compile_info(ctx, g, &info), GENC_OK);
    assert_true(info.compiled);
    assert_int_equal(info.threads, threads[t]);
    assert_int_equal(info.cache_hit, t > 0); /* the same source: compiled once */
    check_draws(ctx, g, genc_key_from_seed(100 + (uint64_t)t), data);
    /* a key whose particle offset is odd shifts every pair */
    check_draws(ctx, g, genc_key_particle(genc_key_from_seed(9), 3), data);
  }
  /* the tiled interpreter, tiles of 7 particles: the same draws */
  genc_compile_opts o = opts(1, 7);
  o.interpret = true;
  assert_int_equal(genc_graph_compile(ctx, g, &o), GENC_OK);
  check_draws(ctx, g, genc_key_particle(genc_key_from_seed(9), 3), data);
  genc_graph_free(g);
  genc_scope_end(ctx, mark);
}

/* ---- B1 (shared/BENCHMARKS.md): batched generate through the GFI ---- */

static genc_array *b1_model(genc_rt *rt, genc_array *const *a, void *user) {
  (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  genc_array *A = GENC_TRACE(rt, "a", genc_normal(ctx, 0.0, 1.0));
  genc_array *B = GENC_TRACE(rt, "b", genc_normal(ctx, 0.0, 1.0));
  genc_array *C = GENC_TRACE(rt, "c", genc_normal(ctx, 0.0, 1.0));
  genc_array *mu = genc_add(ctx, genc_add(ctx, A, genc_mul(ctx, B, a[0])), genc_mul(ctx, C, a[1]));
  return GENC_TRACE(rt, "y", genc_broadcasted_normal(ctx, mu, 0.3));
}

typedef struct b1_env {
  genc_gf *gf;
  genc_array *args[2];
  genc_choicemap *obs;
} b1_env;

/* the log weights of NP particles and their log-sum-exp over particles */
static genc_status b1_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                         genc_array **out, void *user) {
  (void)in;
  b1_env *e = user;
  genc_trace *t = genc_gf_generate(ctx, e->gf, e->args, e->obs, keys[0], NP, &out[0]);
  if (!t) return genc_ctx_status(ctx);
  genc_trace_release(t);
  out[1] = genc_particle_reduce(ctx, GENC_RLOGSUMEXP, out[0]);
  return out[1] ? GENC_OK : genc_ctx_status(ctx);
}

static void test_b1_generate_equals_eager(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  double x[100], x2[100], y[100];
  for (int i = 0; i < 100; i++) {
    x[i] = -1 + 2.0 * i / 99, x2[i] = x[i] * x[i];
    y[i] = 0.5 - x[i] + 2.0 * x2[i] + 0.3 * sin(12.9898 * i);
  }
  b1_env e = {.gf = genc_gf_dynamic("b1", b1_model, 2, NULL),
              .args = {genc_array_vec(ctx, 100, x), genc_array_vec(ctx, 100, x2)},
              .obs = genc_choicemap_new(ctx)};
  genc_choicemap_set_str(ctx, e.obs, "y", genc_array_vec(ctx, 100, y));
  genc_key key = genc_key_from_seed(3);
  genc_array *out[2], *got[2], *want[2];
  genc_graph *g = genc_graph_capture(ctx, b1_fn, &e, 1, &key, 0, NULL, 2, out);
  T_OK(ctx, g);
  genc_compile_opts o = opts(2, 64);
  assert_int_equal(genc_graph_compile(ctx, g, &o), GENC_OK);
  genc_compile_info info;
  assert_int_equal(genc_graph_compile_info(ctx, g, &info), GENC_OK);
  assert_true(info.compiled);
  assert_int_equal(info.regions, 1); /* the guards' particle reductions run after it */
  key = genc_key_from_seed(11);
  assert_int_equal(genc_graph_replay(ctx, g, &key, NULL, got), GENC_OK);
  assert_int_equal(b1_fn(ctx, &key, NULL, want, &e), GENC_OK);
  /* every expression and summation order is the eager one, and B1 calls no
   * vector libm: bit for bit */
  ulps_close(ctx, got[0], want[0], 0, "B1 log weights");
  ulps_close(ctx, got[1], want[1], 0, "B1 log-sum-exp");
  genc_graph_free(g);
  genc_choicemap_free(e.obs);
  genc_gf_release(e.gf);
  genc_scope_end(ctx, mark);
}

/* ---- a row body's blocks of particles (exec_row.c's genc_xbodyb) ---- */

#define NB 269 /* 33 blocks of 8 and 5 one by one; past a tile of 256 */
#define LB 37  /* two groups of 16 and a tail of 5 */

/* Every operand kind of a block body: a per-particle scalar (a), a
 * per-particle row (X), a shared row (c), row draws (r), row sums, a row
 * output and scalars after the sums; a normal density over the row with a
 * shared sigma (in[3]), whose reciprocal the region hoists. */
static genc_status rowblk_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                             genc_array **out, void *user) {
  (void)user;
  int64_t shape[1] = {LB};
  int ax[1] = {0};
  genc_array *a = in[0], *X = in[1], *c = in[2];
  genc_array *r = genc_random_normal(ctx, keys[0], GENC_F64, 1, shape, NB);
  genc_array *mu = genc_add(ctx, genc_add(ctx, genc_mul(ctx, a, c), X), r);
  out[0] = genc_sum(ctx, mu, 1, ax, false);
  out[1] = genc_mul(ctx, mu, 2.0);
  out[2] = genc_sum(ctx, genc_square(ctx, genc_sub(ctx, X, mu)), 1, ax, false);
  out[3] = genc_where(ctx, genc_gt(ctx, out[0], a), genc_sub(ctx, out[0], a), genc_mul(ctx, a, a));
  out[4] = genc_sum(ctx, genc__normal_logpdf(ctx, X, mu, in[3]), 1, ax, false);
  /* x == mu: z = 0 * (1 / sigma), NaN where that reciprocal overflows */
  out[5] = genc_sum(ctx, genc__normal_logpdf(ctx, r, r, in[3]), 1, ax, false);
  for (int i = 0; i < 6; i++)
    if (!out[i]) return genc_ctx_status(ctx);
  return GENC_OK;
}

static void test_row_blocks_equal_eager(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx), shape[1] = {LB};
  double cv[LB];
  for (int i = 0; i < LB; i++)
    cv[i] = 0.25 * i - 3;
  genc_array *in[4] = {genc_random_normal(ctx, genc_key_from_seed(1), GENC_F64, 0, NULL, NB),
                       genc_random_normal(ctx, genc_key_from_seed(2), GENC_F64, 1, shape, NB),
                       genc_array_vec(ctx, LB, cv), genc_scalar(ctx, 0.7)};
  genc_key key = genc_key_from_seed(5);
  genc_array *out[6], *got[6], *want[6];
  genc_graph *g = genc_graph_capture(ctx, rowblk_fn, NULL, 1, &key, 4, in, 6, out);
  T_OK(ctx, g);
  /* tiles of 100 start blocks off a multiple of 8; 64 ends on 5 singles;
   * the third replay's sigma is subnormal, so its reciprocal overflows and
   * every particle takes the one-by-one body, which divides */
  const int64_t tiles[3] = {100, 64, 64};
  for (int t = 0; t < 3; t++) {
    if (t == 2) in[3] = genc_scalar(ctx, 1e-310);
    genc_compile_opts o = opts(2, tiles[t]);
    assert_int_equal(genc_graph_compile(ctx, g, &o), GENC_OK);
    genc_compile_info info;
    assert_int_equal(genc_graph_compile_info(ctx, g, &info), GENC_OK);
    assert_true(info.compiled);
    assert_int_equal(info.regions, 1);
    key = genc_key_from_seed(17 + t);
    assert_int_equal(genc_graph_replay(ctx, g, &key, in, got), GENC_OK);
    assert_int_equal(rowblk_fn(ctx, &key, in, want, NULL), GENC_OK);
    /* adds, products, densities and sums in eager's order: bit for bit */
    for (int i = 0; i < 6; i++)
      ulps_close(ctx, got[i], want[i], 0, "row blocks");
    int64_t n;
    double *d = host(ctx, got[5], &n);
    for (int64_t i = 0; i < n; i++)
      assert_true(isfinite(d[i])); /* the subnormal sigma's density divides */
    free(d);
  }
  genc_graph_free(g);
  genc_scope_end(ctx, mark);
}

/* ---- the disk cache across processes, and the fallback ---- */

static genc_status small_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                            genc_array **out, void *user) {
  (void)keys, (void)user;
  out[0] = genc_sum(ctx, genc_mul(ctx, genc_add(ctx, in[0], 1.25), in[0]), 0, NULL, false);
  return out[0] ? GENC_OK : genc_ctx_status(ctx);
}

static void test_cache_second_process_and_fallback(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  double v[3 * 5];
  for (int i = 0; i < 15; i++)
    v[i] = 0.5 * i - 2.0;
  genc_array *x = genc_array_from(ctx, GENC_F64, 1, (int64_t[]){3}, 5, v), *out, *got, *want;
  genc_graph *g = genc_graph_capture(ctx, small_fn, NULL, 0, NULL, 1, &x, 1, &out);
  T_OK(ctx, g);
  char dir[300];
  snprintf(dir, sizeof dir, "%s/fresh", cache_dir);
  genc_compile_opts o = {.threads = 1, .cache_dir = dir};
  genc_compile_info info;
  assert_int_equal(genc_graph_compile(ctx, g, &o), GENC_OK);
  assert_int_equal(genc_graph_compile_info(ctx, g, &info), GENC_OK);
  assert_true(info.compiled);
  assert_false(info.cache_hit); /* a fresh directory */
  pid_t pid = fork();
  if (pid == 0) { /* a second process loads the object without compiling */
    genc_compile_info ci;
    bool ok = !genc_graph_compile(ctx, g, &o) && !genc_graph_compile_info(ctx, g, &ci) &&
              ci.compiled && ci.cache_hit;
    _exit(ok ? 0 : 1);
  }
  int st = -1;
  assert_true(pid > 0 && waitpid(pid, &st, 0) == pid);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  assert_int_equal(small_fn(ctx, NULL, &x, &want, NULL), GENC_OK);
  assert_int_equal(genc_graph_replay(ctx, g, NULL, &x, &got), GENC_OK);
  ulps_close(ctx, got, want, 0, "compiled");
  /* no compiler: the tiled interpreter, same results */
  o.compiler = "/nonexistent/cc";
  snprintf(dir, sizeof dir, "%s/other", cache_dir);
  assert_int_equal(genc_graph_compile(ctx, g, &o), GENC_OK);
  assert_int_equal(genc_graph_compile_info(ctx, g, &info), GENC_OK);
  assert_false(info.compiled);
  assert_int_equal(genc_graph_replay(ctx, g, NULL, &x, &got), GENC_OK);
  ulps_close(ctx, got, want, 0, "fallback");
  assert_non_null(strstr(info.why, "/nonexistent/cc")); /* the reason names the compiler */
  genc_graph_free(g);
  genc_scope_end(ctx, mark);
}

static void test_errors(void **state) {
  genc_ctx *ctx = *state;
  genc_compile_info info;
  assert_int_equal(genc_graph_compile(ctx, NULL, NULL), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "genc_graph_compile"));
  genc_ctx_clear_error(ctx);
  int64_t mark = genc_scope_begin(ctx);
  genc_array *x = genc_array_full(ctx, GENC_F64, 1, (int64_t[]){3}, 5, 1.0), *out;
  genc_graph *g = genc_graph_capture(ctx, small_fn, NULL, 0, NULL, 1, &x, 1, &out);
  T_OK(ctx, g);
  assert_int_equal(genc_graph_compile_info(ctx, g, &info), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "no CPU executor"));
  genc_ctx_clear_error(ctx);
  genc_compile_opts o = {.threads = -1};
  assert_int_equal(genc_graph_compile(ctx, g, &o), GENC_ERR_ARG);
  assert_non_null(strstr(genc_ctx_error(ctx), "threads"));
  genc_ctx_clear_error(ctx);
  genc_graph_free(g);
  genc_scope_end(ctx, mark);
}

/* Particle-axis reductions over more than 8192 particles run in fixed blocks
 * on the pool (exec_preduce.c): 1, 2 and 16 threads give the same bits; max
 * and min equal the eager kernel's; the sum and log-sum-exp differ from the
 * eager single pass only in the order of additions: the sum within
 * 64 eps sum|x_i| (each of the n additions rounds by at most eps times a
 * partial sum, bounded by sum|x_i|, and the two orders share most of them),
 * the log-sum-exp within 16 ulps (its terms exp(x - max) are positive, so
 * their sum's relative error is a few eps). */
enum { NRED = 5 * 4096 + 123 };
static genc_status red_fn(genc_ctx *ctx, const genc_key *k, genc_array *const *in, genc_array **out,
                          void *user) {
  (void)in, (void)user;
  genc_array *x = genc_mul(ctx, 3.0, genc_random_normal(ctx, k[0], GENC_F64, 0, NULL, NRED));
  static const genc_reduce_op ops[4] = {GENC_RLOGSUMEXP, GENC_RSUM, GENC_RMAX, GENC_RMIN};
  for (int i = 0; i < 4; i++)
    if (!(out[i] = genc_particle_reduce(ctx, ops[i], x))) return genc_ctx_status(ctx);
  out[4] = x;
  return GENC_OK;
}

static void test_particle_reductions_on_threads(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  genc_key key = genc_key_from_seed(17);
  genc_array *out[5], *want[5], *got[3][5];
  genc_graph *g = genc_graph_capture(ctx, red_fn, NULL, 1, &key, 0, NULL, 5, out);
  T_OK(ctx, g);
  genc_key k2 = genc_key_from_seed(18);
  assert_int_equal(red_fn(ctx, &k2, NULL, want, NULL), GENC_OK);
  const int threads[3] = {1, 2, 16};
  for (int t = 0; t < 3; t++) {
    genc_compile_opts o = opts(threads[t], 0);
    assert_int_equal(genc_graph_compile(ctx, g, &o), GENC_OK);
    assert_int_equal(genc_graph_replay(ctx, g, &k2, NULL, got[t]), GENC_OK);
    for (int i = 0; i < 5; i++)
      ulps_close(ctx, got[t][i], got[0][i], 0, "threads");
  }
  ulps_close(ctx, got[0][0], want[0], 16, "logsumexp");
  ulps_close(ctx, got[0][2], want[2], 0, "max");
  ulps_close(ctx, got[0][3], want[3], 0, "min");
  int64_t n;
  double *x = host(ctx, want[4], &n), abs_sum = 0, a, b;
  for (int64_t i = 0; i < n; i++)
    abs_sum += fabs(x[i]);
  a = genc_array_to_double(ctx, got[0][1]), b = genc_array_to_double(ctx, want[1]);
  print_message("sum %.17g eager %.17g, bound %.3g\n", a, b, 64 * DBL_EPSILON * abs_sum);
  assert_true(fabs(a - b) <= 64 * DBL_EPSILON * abs_sum);
  free(x);
  genc_graph_free(g);
  genc_scope_end(ctx, mark);
}

/* The same blocks on edge values, where order decides the bits: signed zeros
 * and NaNs of different signs and payloads. Eager's max/min of one number per
 * particle keeps 4 lanes (particle p in lane p mod 4, a tail in lane 0) folded
 * in lane order, so the zeros and NaNs below are placed where that order and
 * plain particle order disagree (x0's max is -0, not the first zero +0; x1's
 * min +0; x2's NaN the one in lane 2, not the last); rows (z) and a
 * log-sum-exp's maximum fold in particle order. Max and min (and a
 * log-sum-exp's NaN, its maximum) equal eager bit for bit; sums within 64 eps sum|x_i| and
 * log-sum-exps within 16 ulps as in the test above; 1, 2 and 4 threads give the same bits. */
enum { NEDGE = 3 * 4096 + 3 }; /* a last block of 3: a tail in lane 0 */
static genc_status edge_fn(genc_ctx *ctx, const genc_key *k, genc_array *const *in,
                           genc_array **out, void *user) {
  (void)k, (void)user;
  static const genc_reduce_op ops[4] = {GENC_RMAX, GENC_RMIN, GENC_RSUM, GENC_RLOGSUMEXP};
  for (int i = 0; i < 4; i++)
    for (int o = 0; o < 4; o++)
      if (!(out[4 * i + o] = genc_particle_reduce(ctx, ops[o], in[i]))) return genc_ctx_status(ctx);
  return GENC_OK;
}

static double nan_bits(uint64_t u) {
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

/* x0..x2 (one number per particle) and z (3 per particle) of the comment above */
static void edge_inputs(genc_ctx *ctx, genc_array **in) {
  double *x = malloc(3 * NEDGE * sizeof *x), *z = malloc(3 * NEDGE * sizeof *z);
  uint64_t s = 12345;
  for (int64_t i = 0; i < 3 * NEDGE; i++) {
    s = s * 6364136223846793005u + 1442695040888963407u;
    double u = (double)(s >> 11) * 0x1p-53;
    x[i] = i < NEDGE ? -1 - u : i < 2 * NEDGE ? 1 + u : 6 * u - 3;
    z[i] = i % 3 == 0 ? -1 - u : 6 * u - 3;
  }
  x[1] = 0.0, x[4] = -0.0, x[2 * 4096 + 8] = 0.0, x[NEDGE - 1] = -0.0; /* max: lane 0's -0 */
  double *x1 = x + NEDGE, *x2 = x + 2 * NEDGE;
  x1[4096 + 3] = -0.0, x1[4096 + 6] = 0.0; /* min: lane 2's +0 before lane 3's -0 */
  x2[5] = NAN, x2[4096 + 2] = -NAN, x2[NEDGE - 2] = nan_bits(0x7ff8000000000123u);
  z[3 * 10] = 0.0, z[3 * 20] = -0.0;                                   /* column 0: max +0 */
  z[3 * 7 + 1] = NAN, z[3 * 9000 + 1] = nan_bits(0xfff8000000000042u); /* column 1 */
  z[3 * 100 + 2] = INFINITY;                                           /* column 2 */
  for (int i = 0; i < 3; i++)
    in[i] = genc_array_from(ctx, GENC_F64, 0, NULL, NEDGE, x + i * NEDGE);
  in[3] = genc_array_from(ctx, GENC_F64, 1, (int64_t[]){3}, NEDGE, z);
  free(x), free(z);
}

/* got against eager want for op o of input a (bits, or the bounds above). */
static void edge_check(genc_ctx *ctx, genc_array *got, genc_array *want, genc_array *a, int o) {
  int64_t n, m, na;
  double *x = host(ctx, got, &n), *y = host(ctx, want, &m), *v = host(ctx, a, &na);
  assert_int_equal(n, m);
  for (int64_t j = 0; j < n; j++) {
    if (o == 2 && y[j] != y[j]) { /* a sum's NaN: which payload depends on the order */
      assert_true(x[j] != x[j]);
      continue;
    }
    if (o < 2 || !isfinite(y[j])) {
      if (memcmp(&x[j], &y[j], sizeof *x))
        fail_msg("op %d element %lld: %a, eager %a", o, (long long)j, x[j], y[j]);
      continue;
    }
    double abs_sum = 0;
    for (int64_t i = j; i < na; i += n)
      abs_sum += fabs(v[i]);
    double tol = o == 2 ? 64 * DBL_EPSILON * abs_sum : 16 * DBL_EPSILON * fabs(y[j]);
    if (!(fabs(x[j] - y[j]) <= tol))
      fail_msg("op %d element %lld: %.17g, eager %.17g", o, (long long)j, x[j], y[j]);
  }
  free(x), free(y), free(v);
}

static void test_particle_reductions_edge_values(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  genc_array *in[4], *want[16], *got[3][16];
  edge_inputs(ctx, in);
  genc_graph *g = genc_graph_capture(ctx, edge_fn, NULL, 0, NULL, 4, in, 16, want);
  T_OK(ctx, g);
  const int threads[3] = {1, 2, 4};
  for (int t = 0; t < 3; t++) {
    genc_compile_opts o = opts(threads[t], 0);
    assert_int_equal(genc_graph_compile(ctx, g, &o), GENC_OK);
    assert_int_equal(genc_graph_replay(ctx, g, NULL, in, got[t]), GENC_OK);
    for (int i = 0; i < 16; i++) {
      int64_t n, m;
      double *a = host(ctx, got[t][i], &n), *b = host(ctx, got[0][i], &m);
      if (memcmp(a, b, (size_t)n * sizeof *a))
        fail_msg("output %d: %d threads differ", i, threads[t]);
      free(a), free(b);
    }
  }
  for (int i = 0; i < 16; i++)
    edge_check(ctx, got[0][i], want[i], in[i / 4], i % 4);
  /* the placements above do what they say: eager's max of x0 is -0 */
  assert_true(signbit(genc_array_to_double(ctx, want[0])));
  assert_false(signbit(genc_array_to_double(ctx, want[5])));
  genc_graph_free(g);
  genc_scope_end(ctx, mark);
}

/* The pool's jobs: each index of [0, n) once a job, whatever the waiting
 * (spinning workers, sleeping ones after a pause of the caller, more threads
 * than cores). */
typedef struct pool_job {
  int32_t *count;
  int64_t sum;
  _Atomic long long total;
} pool_job;

static void pool_fn(void *arg, int64_t a, int64_t b) {
  pool_job *j = arg;
  long long s = 0;
  for (int64_t i = a; i < b; i++)
    j->count[i]++, s += i;
  atomic_fetch_add(&j->total, s);
}

static void test_pool_jobs(void **state) {
  (void)state;
  enum { NMAX = 257, JOBS = 3000 };
  for (int threads = 2; threads <= 8; threads *= 2) {
    genc_xpool *p = genc__xpool_new(threads);
    assert_non_null(p);
    static int32_t count[NMAX];
    memset(count, 0, sizeof count);
    pool_job j = {.count = count};
    long long want = 0;
    for (int k = 0; k < JOBS; k++) {
      int64_t n = 1 + (k * 37) % NMAX, chunk = 1 + k % 7;
      atomic_store(&j.total, 0);
      genc__xpool_run(p, n, chunk, pool_fn, &j);
      assert_int_equal(atomic_load(&j.total), n * (n - 1) / 2);
      want += n;
      if (k % 500 == 499) usleep(2000); /* long enough for the workers to sleep */
    }
    long long got = 0;
    for (int i = 0; i < NMAX; i++)
      got += count[i];
    assert_int_equal(got, want);
    genc__xpool_free(p);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_compiled_ops_equal_eager),
      cmocka_unit_test(test_draws_and_threads),
      cmocka_unit_test(test_b1_generate_equals_eager),
      cmocka_unit_test(test_row_blocks_equal_eager),
      cmocka_unit_test(test_cache_second_process_and_fallback),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_particle_reductions_on_threads),
      cmocka_unit_test(test_particle_reductions_edge_values),
      cmocka_unit_test(test_pool_jobs),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
