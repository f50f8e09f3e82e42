/*
 * The CUDA executor of captured graphs (src/array/exec_cuda*.c) and its
 * NVRTC / CUDA Graph layer (src/backend/cuda/cuda_rtc.h).
 *
 * Without a CUDA build every test is skipped. In a CUDA build without a GPU
 * the generated sources are still compiled by NVRTC (for sm_90, no device
 * needed), and the tests that need a device are skipped; the program then
 * exits 77 so that ctest reports it skipped.
 *
 * With a GPU: a hand-written NVRTC kernel drawing through random/laws.h gives
 * the eager CUDA draws bit for bit and is found in the disk cache by a second
 * context; a CUDA Graph relaunches recorded work; compiled replays (kernels
 * launched one by one, and as a recorded CUDA Graph) equal the eager run of
 * the captured function: integers, bools and draws bit for bit, floats within
 * ulps_close's bound; 2000 replays through the CUDA Graph keep the
 * context's live memory flat; and a replay whose parameter check would now
 * fail (a guard, checked on the device) is refused with GENC_ERR_CAPTURE,
 * with and without the CUDA Graph, and the next valid replay is right again;
 * small outputs come back with the guard check and read as the device holds
 * them; a region kernel that finishes particle reductions gives the bits of
 * the reduction launches it replaces.
 */
#include <float.h>
#include <unistd.h>

#include "testutil.h"

#include "array/exec_cuda.h"
#include "array/graph.h"
#include "array/internal.h"
#include "genc/exec.h"
#ifdef GENC_HAVE_CUDA
#include "backend/cuda/cuda_rtc.h"
#endif

#define N 1001 /* odd: the last particle's Box-Muller pair is split */

static char cache_dir[256];
static genc_ctx *gpu; /* NULL: no device */

static int setup(void **state) {
  (void)state;
  if (!t_mkdir_cache(cache_dir, sizeof cache_dir, "cuda_test")) return -1;
  genc_ctx_opts o = {.device = GENC_CUDA};
  gpu = genc_ctx_new(&o, NULL);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  genc_ctx_free(gpu);
  return t_rmdir(cache_dir);
}

#define NEED_GPU()                                                                                 \
  do {                                                                                             \
    if (!gpu) skip();                                                                              \
  } while (0)

static double *host(genc_ctx *ctx, genc_array *a, int64_t *n) {
  int64_t np = genc_array_nparticles(a);
  *n = genc_array_size(a) * (np ? np : 1);
  double *v = malloc((size_t)(*n ? *n : 1) * sizeof *v);
  if (genc_array_copy_out(ctx, a, v, *n)) fail_msg("copy_out: %s", genc_ctx_error(ctx));
  return v;
}

/* a (replay) against b (eager): same dtype and size, every element within
 * ulps units of b's precision relative to the largest finite |b| of the array
 * (0: bit for bit). Both sides run on the GPU with the same libdevice and no
 * FMA contraction (--fmad=false on both); what differs is the order of a
 * reduction (the eager kernels reduce a row as a tree, the compiled body in
 * four running sums) and a log sigma hoisted out of the density: a few
 * roundings of terms no larger than the array's largest magnitude. 16 ulps
 * of that bounds the 100-term sums here with room; a wrong op, element or
 * draw is off by far more. */
static void ulps_close(genc_array *a, genc_array *b, double ulps, const char *what) {
  assert_int_equal(genc_array_dtype(a), genc_array_dtype(b));
  assert_int_equal(genc_array_nparticles(a), genc_array_nparticles(b));
  assert_int_equal(genc_array_size(a), genc_array_size(b));
  int64_t n, m;
  double *x = host(gpu, a, &n), *y = host(gpu, b, &m);
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

/* ---- the NVRTC layer with a hand-written kernel ---- */

#ifdef GENC_HAVE_CUDA
static const char *normal_src =
    "#include \"random/laws.h\"\n"
    "extern \"C\" __global__ void draw(int64_t n, uint32_t k0, uint32_t k1, double *out) {\n"
    "  for (int64_t p = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; p < n;\n"
    "       p += (int64_t)gridDim.x * blockDim.x) {\n"
    "    genc_sample_req q;\n"
    "    memset(&q, 0, sizeof q);\n"
    "    q.law = GENC_LAW_NORMAL, q.dtype = GENC_F64, q.key[0] = k0, q.key[1] = k1;\n"
    "    q.npart = n, q.size = 1;\n"
    "    genc_law_sample_elem(&q, p, 0, out);\n"
    "  }\n"
    "}\n";
#endif

static void test_rtc_kernel_draws_eager_normals(void **state) {
  (void)state;
#ifndef GENC_HAVE_CUDA
  skip();
#else
  NEED_GPU();
  genc_key key = genc_key_from_seed(42);
  genc_array *eager = genc_random_normal(gpu, key, GENC_F64, 0, NULL, N);
  genc_array *out = genc_array_zeros(gpu, GENC_F64, 0, NULL, N);
  T_OK(gpu, eager);
  T_OK(gpu, out);
  char err[2048];
  genc_cu_rtc_info inf;
  genc_cu_fn *fn =
      genc_cu_rtc_kernel(gpu->bst, normal_src, "draw", cache_dir, &inf, err, sizeof err);
  if (!fn) fail_msg("%s", err);
  assert_false(inf.disk_hit);
  int64_t n = N;
  uint32_t k0 = key.k[0], k1 = key.k[1];
  void *data = out->data;
  void *args[4] = {&n, &k0, &k1, &data};
  assert_int_equal(genc_cu_rtc_launch(gpu->bst, fn, n, args, err, sizeof err), 0);
  ulps_close(out, eager, 0, "NVRTC normal draws");
  /* the same source again: this context's module; a new context: the disk */
  assert_non_null(genc_cu_rtc_kernel(gpu->bst, normal_src, "draw", cache_dir, &inf, err, 2048));
  assert_true(inf.mem_hit);
  genc_ctx_opts o = {.device = GENC_CUDA};
  genc_ctx *other = genc_ctx_new(&o, NULL);
  assert_non_null(other);
  assert_non_null(genc_cu_rtc_kernel(other->bst, normal_src, "draw", cache_dir, &inf, err, 2048));
  assert_true(inf.disk_hit);
  genc_ctx_free(other);
  /* a source that does not compile: an error naming NVRTC, no crash */
  assert_null(genc_cu_rtc_kernel(gpu->bst, "extern \"C\" __global__ void bad() { nope; }", "bad",
                                 cache_dir, &inf, err, sizeof err));
  assert_non_null(strstr(err, "NVRTC"));
#endif
}

static void test_cuda_graph_relaunches(void **state) {
  (void)state;
#ifndef GENC_HAVE_CUDA
  skip();
#else
  NEED_GPU();
  genc_array *x = genc_array_zeros(gpu, GENC_F64, 0, NULL, N);
  T_OK(gpu, x);
  char err[256];
  /* record the NVRTC kernel above drawing into x; nothing runs until launch */
  genc_cu_fn *fn = genc_cu_rtc_kernel(gpu->bst, normal_src, "draw", cache_dir, NULL, err, 256);
  assert_non_null(fn);
  int64_t n = N;
  uint32_t k0 = 7, k1 = 9;
  void *data = x->data;
  void *args[4] = {&n, &k0, &k1, &data};
  assert_int_equal(genc_cu_graph_begin(gpu->bst, err, sizeof err), 0);
  assert_int_equal(genc_cu_rtc_launch(gpu->bst, fn, n, args, err, sizeof err), 0);
  genc_cu_graph *g = genc_cu_graph_end(gpu->bst, err, sizeof err);
  if (!g) fail_msg("%s", err);
  assert_int_equal(genc_cu_graph_launch(gpu->bst, g, err, sizeof err), 0);
  genc_key key = {{7, 9}, 0};
  genc_array *eager = genc_random_normal(gpu, key, GENC_F64, 0, NULL, N);
  ulps_close(x, eager, 0, "CUDA graph launch");
  genc_cu_graph_free(gpu->bst, g);
#endif
}

/* ---- compiled replays of captured functions ---- */

#define NOUT 14

/* Every fusable primitive kind: draws of each per-element law, unary and
 * binary math, where, casts, reductions, the normal density; f64, f32, i32
 * and bool. */
static genc_status ops_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                          genc_array **out, void *user) {
  (void)user;
  genc_array *x = in[0], *y = in[1];
  int ax1[1] = {0}; /* the logical axis of [3] */
  int64_t n = genc_array_nparticles(x), s3[1] = {3};
  genc_array *z = genc_random_normal(ctx, genc_key_fold_in(keys[0], 1), GENC_F64, 1, s3, n);
  genc_array *u = genc_random_uniform(ctx, genc_key_fold_in(keys[0], 2), GENC_F32, 0, NULL, n);
  genc_array *e = genc_random_exponential(ctx, genc_key_fold_in(keys[0], 3), GENC_F64, 0, NULL, n);
  genc_array *gb = genc_random_gumbel(ctx, genc_key_fold_in(keys[0], 4), GENC_F64, 0, NULL, n);
  genc_array *bits = genc_random_bits(ctx, genc_key_fold_in(keys[0], 5), 0, NULL, n);
  out[0] = z, out[1] = u, out[2] = bits;
  out[3] = genc_add(ctx, genc_exp(ctx, genc_neg(ctx, x)), genc_log(ctx, genc_add(ctx, x, e)));
  out[4] = genc_mul(ctx, genc_tanh(ctx, genc_sub(ctx, x, y)), genc_sigmoid(ctx, gb));
  out[5] = genc_div(ctx, genc_pow(ctx, x, 1.5), genc_maximum(ctx, y, genc_square(ctx, z)));
  genc_array *c = genc_lt(ctx, x, y);
  out[6] = c;
  out[7] = genc_where(ctx, c, genc_sin(ctx, x), genc_cos(ctx, y));
  out[8] =
      genc_sum(ctx, genc__normal_logpdf(ctx, y, genc_add(ctx, x, z), genc_scalar_weak(ctx, 0.3)), 1,
               ax1, false);
  out[9] = genc_logsumexp(ctx, genc_mul(ctx, x, 3.0), 1, ax1, false);
  out[10] = genc_add(ctx, genc_mul(ctx, u, 2.5f), genc_expm1(ctx, u)); /* f32 */
  out[11] = genc_astype(ctx, genc_mul(ctx, x, 1000.0), GENC_I32);
  out[12] = genc_add(ctx, genc_mul(ctx, bits, bits), genc_scalar_weak_i32(ctx, 3)); /* wraps */
  out[13] = genc_max(ctx, genc_softplus(ctx, x), 1, ax1, false);
  for (int i = 0; i < NOUT; i++)
    if (!out[i]) return genc_ctx_status(ctx);
  return GENC_OK;
}

static void ops_inputs(genc_ctx *ctx, unsigned seed, genc_array **in) {
  int64_t sh[1] = {3};
  double *x = malloc(N * 3 * sizeof *x), y[3];
  srand(seed);
  for (int i = 0; i < N * 3; i++)
    x[i] = 0.1 + 3.0 * rand() / RAND_MAX;
  for (int i = 0; i < 3; i++)
    y[i] = 0.2 + 2.0 * rand() / RAND_MAX;
  in[0] = genc_array_from(ctx, GENC_F64, 1, sh, N, x);
  in[1] = genc_array_from(ctx, GENC_F64, 1, sh, 0, y);
  free(x);
}

/* Eager outputs of fn on (key, inputs), then three compiled replays on the
 * same key and inputs: eager kernel launches, then (CUDA Graph allowed) the
 * recording replay and a replay through the graph. Each equals eager. */
static void check_replays(genc_graph_fn fn, int nin, genc_array **in, int nout, genc_key key,
                          const double *tol) {
  genc_array *eager[NOUT + 1], *rep[NOUT + 1];
  int64_t mark = genc_scope_begin(gpu);
  genc_graph *g = genc_graph_capture(gpu, fn, NULL, 1, &key, nin, in, nout, eager);
  if (!g) fail_msg("capture: %s", genc_ctx_error(gpu));
  for (int pass = 0; pass < 2; pass++) {
    genc_compile_opts o = {.cache_dir = cache_dir, .no_cuda_graph = pass == 0};
    assert_int_equal(genc_graph_compile(gpu, g, &o), GENC_OK);
    genc_compile_info inf;
    assert_int_equal(genc_graph_compile_info(gpu, g, &inf), GENC_OK);
    assert_true(inf.compiled);
    assert_true(inf.regions >= 1);
    for (int r = 0; r < 3; r++) {
      if (genc_graph_replay(gpu, g, &key, in, rep)) fail_msg("replay: %s", genc_ctx_error(gpu));
      for (int i = 0; i < nout; i++) {
        char what[64];
        snprintf(what, sizeof what, "pass %d replay %d output %d", pass, r, i);
        ulps_close(rep[i], eager[i], tol[i], what);
      }
    }
    assert_int_equal(genc_graph_compile_info(gpu, g, &inf), GENC_OK);
    assert_int_equal(inf.cuda_graph, pass == 1);
  }
  genc_graph_free(g);
  genc_scope_end(gpu, mark);
}

static void test_compiled_ops_equal_eager(void **state) {
  (void)state;
  NEED_GPU();
  genc_array *in[2];
  ops_inputs(gpu, 3, in);
  /* draws, integers and bools bit for bit; f64 math 16 ulps; f32 16 ulps */
  const double tol[NOUT] = {0, 0, 0, 16, 16, 16, 0, 16, 16, 16, 16, 0, 0, 16};
  check_replays(ops_fn, 2, in, NOUT, genc_key_from_seed(11), tol);
}

/* B1 (shared/BENCHMARKS.md): a, b, c ~ N(0, 1) per particle, 100 observations
 * y_i ~ N(a + b x_i + c x_i^2, 0.3); outputs a, b, c and the log weights. */
static double b1_x[100], b1_y[100];

static void b1_data(void) {
  for (int i = 0; i < 100; i++) {
    b1_x[i] = -1 + 2.0 * i / 99;
    b1_y[i] = 0.5 - b1_x[i] + 2 * b1_x[i] * b1_x[i] + 0.3 * sin(12.9898 * i);
  }
}

static genc_status b1_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                         genc_array **out, void *user) {
  (void)in;
  int64_t n = *(const int64_t *)user;
  genc_array *x = genc_array_vec(ctx, 100, b1_x), *y = genc_array_vec(ctx, 100, b1_y);
  genc_array *a = genc_random_normal(ctx, genc_key_fold_in(keys[0], 1), GENC_F64, 0, NULL, n);
  genc_array *b = genc_random_normal(ctx, genc_key_fold_in(keys[0], 2), GENC_F64, 0, NULL, n);
  genc_array *c = genc_random_normal(ctx, genc_key_fold_in(keys[0], 3), GENC_F64, 0, NULL, n);
  genc_array *mu =
      genc_add(ctx, genc_add(ctx, a, genc_mul(ctx, b, x)), genc_mul(ctx, c, genc_square(ctx, x)));
  genc_dist obs = genc_broadcasted_normal(ctx, mu, genc_scalar_weak(ctx, 0.3));
  out[0] = a, out[1] = b, out[2] = c;
  out[3] = genc_sum(ctx, genc_dist_logpdf(ctx, &obs, y), 0, NULL, false);
  for (int i = 0; i < 4; i++)
    if (!out[i]) return genc_ctx_status(ctx);
  return GENC_OK;
}

static genc_status b1_capture_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                                 genc_array **out, void *user) {
  static int64_t n = N;
  (void)user;
  return b1_fn(ctx, keys, in, out, &n);
}

static void test_b1_replay_equals_eager(void **state) {
  (void)state;
  NEED_GPU();
  b1_data();
  const double tol[4] = {0, 0, 0, 16};
  /* an odd particle offset: the Box-Muller pairs of the kernels start at -1 */
  genc_key key = genc_key_from_seed(5);
  key.particle = 3;
  check_replays(b1_capture_fn, 0, NULL, 4, key, tol);
}

/* Enough particles that half of them fill the device: the kernels take
 * particles in Box-Muller pairs (below that, one particle a thread), and the
 * draws are still the eager ones bit for bit. */
#ifdef GENC_HAVE_CUDA
static int64_t b1_big_n;

static genc_status b1_big_capture_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                                     genc_array **out, void *user) {
  (void)user;
  return b1_fn(ctx, keys, in, out, &b1_big_n);
}
#endif

static void test_b1_paired_replay_equals_eager(void **state) {
  (void)state;
#ifndef GENC_HAVE_CUDA
  skip();
#else
  NEED_GPU();
  b1_data();
  b1_big_n = 2 * genc_cu_rtc_resident(gpu->bst) + 1;
  const double tol[4] = {0, 0, 0, 16};
  genc_key key = genc_key_from_seed(6);
  key.particle = 3;
  check_replays(b1_big_capture_fn, 0, NULL, 4, key, tol);
#endif
}

/* 2000 replays through the CUDA Graph, each in its own scope: the live bytes
 * and arrays of the context are the same after as after the first. */
static void test_graph_replays_keep_memory_flat(void **state) {
  (void)state;
  NEED_GPU();
  genc_array *out[4];
  genc_key key = genc_key_from_seed(9);
  int64_t mark = genc_scope_begin(gpu);
  genc_graph *g = genc_graph_capture(gpu, b1_capture_fn, NULL, 1, &key, 0, NULL, 4, out);
  if (!g) fail_msg("capture: %s", genc_ctx_error(gpu));
  genc_compile_opts o = {.cache_dir = cache_dir};
  assert_int_equal(genc_graph_compile(gpu, g, &o), GENC_OK);
  int64_t bytes = 0, arrays = 0;
  for (int r = 0; r < 2000; r++) {
    int64_t m = genc_scope_begin(gpu);
    key = genc_key_fold_in(key, (uint64_t)r);
    if (genc_graph_replay(gpu, g, &key, NULL, out)) fail_msg("replay: %s", genc_ctx_error(gpu));
    genc_scope_end(gpu, m);
    if (r == 2) bytes = genc_ctx_live_bytes(gpu), arrays = genc_ctx_live_arrays(gpu);
  }
  assert_int_equal(genc_ctx_live_bytes(gpu), bytes);
  assert_int_equal(genc_ctx_live_arrays(gpu), arrays);
  genc_compile_info inf;
  assert_int_equal(genc_graph_compile_info(gpu, g, &inf), GENC_OK);
  assert_true(inf.cuda_graph);
  genc_graph_free(g);
  genc_scope_end(gpu, mark);
}

/* The density's scale as the graph's input: its check ("sigma > 0") is a
 * guard that read 1 at capture. */
static genc_status guard_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                            genc_array **out, void *user) {
  (void)user;
  genc_array *mu = genc_random_normal(ctx, genc_key_fold_in(keys[0], 1), GENC_F64, 0, NULL, N);
  genc_dist d = genc_broadcasted_normal(ctx, mu, in[0]);
  out[0] = genc_dist_logpdf(ctx, &d, genc_scalar(ctx, 0.25));
  return out[0] ? GENC_OK : genc_ctx_status(ctx);
}

/* Replay g with scale s: the outcome, and on success the output against the
 * eager run of guard_fn with that scale. */
static genc_status guard_replay(genc_graph *g, genc_key key, double s) {
  int64_t mark = genc_scope_begin(gpu);
  genc_array *in = genc_scalar(gpu, s), *rep = NULL, *eager = NULL;
  genc_status st = genc_graph_replay(gpu, g, &key, &in, &rep);
  if (!st) {
    assert_int_equal(guard_fn(gpu, &key, &in, &eager, NULL), GENC_OK);
    ulps_close(rep, eager, 16, "guarded replay");
  }
  genc_scope_end(gpu, mark);
  return st;
}

static void test_changed_guard_fails_replay(void **state) {
  (void)state;
  NEED_GPU();
  genc_key key = genc_key_from_seed(21);
  for (int pass = 0; pass < 2; pass++) {
    int64_t mark = genc_scope_begin(gpu);
    genc_array *in = genc_scalar(gpu, 0.3), *out;
    genc_graph *g = genc_graph_capture(gpu, guard_fn, NULL, 1, &key, 1, &in, 1, &out);
    if (!g) fail_msg("capture: %s", genc_ctx_error(gpu));
    assert_true(genc_graph_nguards(g) >= 1);
    genc_compile_opts o = {.cache_dir = cache_dir, .no_cuda_graph = pass == 0};
    assert_int_equal(genc_graph_compile(gpu, g, &o), GENC_OK);
    /* eager, recording, through the graph: all pass with a valid scale */
    for (int r = 0; r < 3; r++)
      assert_int_equal(guard_replay(g, key, 0.3 + 0.1 * r), GENC_OK);
    genc_compile_info inf;
    assert_int_equal(genc_graph_compile_info(gpu, g, &inf), GENC_OK);
    assert_int_equal(inf.cuda_graph, pass == 1);
    for (int r = 0; r < 2; r++) { /* refused twice, then right again */
      assert_int_equal(guard_replay(g, key, -1.0), GENC_ERR_CAPTURE);
      assert_non_null(strstr(genc_ctx_error(gpu), "guard changed"));
      genc_ctx_clear_error(gpu);
    }
    assert_int_equal(guard_replay(g, genc_key_fold_in(key, 3), 0.9), GENC_OK);
    genc_graph_free(g);
    genc_scope_end(gpu, mark);
  }
}

/* guard_fn's density, reduced: its particle logsumexp (f64), the same as f32
 * and as an i32, the logsumexp again (one value, two outputs), and the
 * per-particle densities. */
static genc_status echo_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                           genc_array **out, void *user) {
  genc_status st = guard_fn(ctx, keys, in, &out[4], user);
  if (st) return st;
  out[0] = genc_particle_reduce(ctx, GENC_RLOGSUMEXP, out[4]);
  out[1] = genc_astype(ctx, out[0], GENC_F32);
  out[2] = genc_astype(ctx, genc_mul(ctx, out[0], genc_scalar_weak(ctx, 1000)), GENC_I32);
  out[3] = out[0];
  return out[2] ? GENC_OK : genc_ctx_status(ctx);
}

/* A replay waits for its guard check anyway, and the check brings small
 * outputs back (echoes, exec_cuda.c): their host reads give what the device
 * holds (read again through a fresh array, -(-y), which downloads), also
 * after later replays, and equal the eager run. */
static void test_small_outputs_come_back(void **state) {
  (void)state;
  NEED_GPU();
  genc_key key = genc_key_from_seed(23);
  for (int pass = 0; pass < 2; pass++) {
    int64_t mark = genc_scope_begin(gpu);
    genc_array *in = genc_scalar(gpu, 0.3), *out[5], *first[5];
    genc_graph *g = genc_graph_capture(gpu, echo_fn, NULL, 1, &key, 1, &in, 5, out);
    if (!g) fail_msg("capture: %s", genc_ctx_error(gpu));
    genc_compile_opts o = {.cache_dir = cache_dir, .no_cuda_graph = pass == 0};
    assert_int_equal(genc_graph_compile(gpu, g, &o), GENC_OK);
    for (int r = 0; r < 4; r++) {
      genc_key k = genc_key_fold_in(key, (uint64_t)r);
      genc_array *rep[5], *eager[5], *sc = genc_scalar(gpu, 0.3 + 0.1 * r);
      assert_int_equal(genc_graph_replay(gpu, g, &k, &sc, r ? rep : first), GENC_OK);
      if (!r) memcpy(rep, first, sizeof rep);
      assert_int_equal(echo_fn(gpu, &k, &sc, eager, NULL), GENC_OK);
      for (int j = 0; j < 5; j++) {
        assert_int_equal(rep[j]->hcopy, j < 4);
        ulps_close(rep[j], eager[j], 16, "small output");
      }
      for (int j = 0; j < 4; j++) {
        genc_array *again = genc_neg(gpu, genc_neg(gpu, rep[j]));
        assert_false(again->hcopy);
        assert_true(t_item(gpu, rep[j]) == t_item(gpu, again));
        assert_true(t_item(gpu, first[j]) == t_item(gpu, genc_neg(gpu, genc_neg(gpu, first[j]))));
      }
    }
    genc_compile_info inf;
    assert_int_equal(genc_graph_compile_info(gpu, g, &inf), GENC_OK);
    assert_int_equal(inf.cuda_graph, pass == 1);
    genc_graph_free(g);
    genc_scope_end(gpu, mark);
  }
}

/* B1's per-particle log likelihood (f64, and as f32) and its particle
 * reductions: logsumexp, sum, max, min of the f64 one, logsumexp of the f32
 * one, and the product of a per-particle factor near 1. Above 4096 particles
 * the region kernel finishes them itself (genc_xcu_fuse). */
enum { NRED_OUT = 9 };
static const genc_reduce_op red_op[NRED_OUT] = {0, GENC_RLOGSUMEXP, GENC_RSUM, GENC_RMAX, GENC_RMIN,
                                                0, GENC_RLOGSUMEXP, 0,         GENC_RPROD};
static const int red_src[NRED_OUT] = {-1, 0, 0, 0, 0, -1, 5, -1, 7};

static genc_status red_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                          genc_array **out, void *user) {
  genc_array *b1[4];
  genc_status st = b1_fn(ctx, keys, in, b1, user);
  if (st) return st;
  out[0] = b1[3], out[5] = genc_astype(ctx, b1[3], GENC_F32);
  out[7] =
      genc_add(ctx, genc_mul(ctx, b1[0], genc_scalar_weak(ctx, 1e-4)), genc_scalar_weak(ctx, 1));
  for (int j = 0; j < NRED_OUT; j++)
    if (red_src[j] >= 0) out[j] = genc_particle_reduce(ctx, red_op[j], out[red_src[j]]);
  for (int j = 0; j < NRED_OUT; j++)
    if (!out[j]) return genc_ctx_status(ctx);
  return GENC_OK;
}

/* Particle reductions finished by the region kernel: each has the bits of
 * the reduction launch it replaces (genc_particle_reduce of the replay's own
 * per-particle values), and equals the eager run within ulps (the
 * per-particle values do within 16; sums, maxima and logsumexps of
 * same-sign terms keep that relative bound; the product is checked by bits
 * only). N = 5000 and 100003: a particle a thread; 400001: up to two (the
 * chunk grid of an H200). Replays 0-2: eager, recording, through the CUDA
 * Graph; then 200 more keep memory flat. */
static void test_region_finishes_particle_reductions(void **state) {
  (void)state;
  NEED_GPU();
  b1_data();
  static int64_t ns[3] = {5000, 100003, 400001};
  for (int t = 0; t < 3; t++) {
    int64_t mark = genc_scope_begin(gpu);
    genc_key key = genc_key_from_seed(31 + (uint64_t)t);
    key.particle = 1;
    genc_array *out[NRED_OUT];
    genc_graph *g = genc_graph_capture(gpu, red_fn, &ns[t], 1, &key, 0, NULL, NRED_OUT, out);
    if (!g) fail_msg("capture: %s", genc_ctx_error(gpu));
    char *src = genc__xcuda_source(gpu, g);
    assert_non_null(src);
    assert_non_null(strstr(src, "r_arrive("));
    free(src);
    genc_compile_opts o = {.cache_dir = cache_dir};
    assert_int_equal(genc_graph_compile(gpu, g, &o), GENC_OK);
    int64_t bytes = 0, arrays = 0;
    for (int r = 0; r < 203; r++) {
      int64_t m = genc_scope_begin(gpu);
      genc_key k = genc_key_fold_in(key, (uint64_t)r);
      genc_array *rep[NRED_OUT], *eager[NRED_OUT];
      if (genc_graph_replay(gpu, g, &k, NULL, rep)) fail_msg("replay: %s", genc_ctx_error(gpu));
      if (r < 3) {
        assert_int_equal(red_fn(gpu, &k, NULL, eager, &ns[t]), GENC_OK);
        for (int j = 0; j < NRED_OUT; j++) {
          if (red_src[j] < 0) continue;
          genc_array *again = genc_particle_reduce(gpu, red_op[j], rep[red_src[j]]);
          double a = t_item(gpu, rep[j]), b = t_item(gpu, again);
          if (memcmp(&a, &b, sizeof a))
            fail_msg("N %lld, output %d: %.17g, the launch it replaces %.17g", (long long)ns[t], j,
                     a, b);
          if (red_op[j] != GENC_RPROD) ulps_close(rep[j], eager[j], 16, "fused reduction");
        }
      }
      genc_scope_end(gpu, m);
      if (r == 3) bytes = genc_ctx_live_bytes(gpu), arrays = genc_ctx_live_arrays(gpu);
    }
    assert_int_equal(genc_ctx_live_bytes(gpu), bytes);
    assert_int_equal(genc_ctx_live_arrays(gpu), arrays);
    genc_graph_free(g);
    genc_scope_end(gpu, mark);
  }
}

/* With or without a device: the generated source of the B1 graph compiles
 * under NVRTC (a CPU context captures the same graph). */
static void test_generated_source_compiles(void **state) {
  (void)state;
#ifndef GENC_HAVE_CUDA
  skip();
#else
  genc_ctx *cpu = genc_ctx_new(NULL, NULL);
  assert_non_null(cpu);
  genc_array *out[NOUT], *in[2];
  genc_key key = genc_key_from_seed(1);
  ops_inputs(cpu, 1, in);
  genc_graph *g = genc_graph_capture(cpu, ops_fn, NULL, 1, &key, 2, in, NOUT, out);
  if (!g) fail_msg("capture: %s", genc_ctx_error(cpu));
  char *src = genc__xcuda_source(cpu, g);
  assert_non_null(src);
  char err[4096];
  if (genc_cu_rtc_compile_only(src, 90, err, sizeof err)) fail_msg("%s\n--- source:\n%s", err, src);
  free(src);
  genc_graph_free(g);
  /* a region that finishes particle reductions (the plan an H200 would get) */
  b1_data();
  int64_t n = 5000;
  genc_array *rout[NRED_OUT];
  g = genc_graph_capture(cpu, red_fn, &n, 1, &key, 0, NULL, NRED_OUT, rout);
  if (!g) fail_msg("capture: %s", genc_ctx_error(cpu));
  src = genc__xcuda_source(cpu, g);
  assert_non_null(src);
  assert_non_null(strstr(src, "r_arrive("));
  if (genc_cu_rtc_compile_only(src, 90, err, sizeof err)) fail_msg("%s\n--- source:\n%s", err, src);
  free(src);
  genc_graph_free(g);
  genc_ctx_free(cpu);
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_generated_source_compiles),
      cmocka_unit_test(test_rtc_kernel_draws_eager_normals),
      cmocka_unit_test(test_cuda_graph_relaunches),
      cmocka_unit_test(test_compiled_ops_equal_eager),
      cmocka_unit_test(test_b1_replay_equals_eager),
      cmocka_unit_test(test_b1_paired_replay_equals_eager),
      cmocka_unit_test(test_graph_replays_keep_memory_flat),
      cmocka_unit_test(test_changed_guard_fails_replay),
      cmocka_unit_test(test_small_outputs_come_back),
      cmocka_unit_test(test_region_finishes_particle_reductions),
  };
  int rc = cmocka_run_group_tests(tests, setup, teardown);
  if (rc == 0 && !gpu) {
    printf("skipped: no CUDA device (the tests that need one reported skipped)\n");
    return 77;
  }
  return rc;
}
