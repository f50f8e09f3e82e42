/*
 * Background compilation (genc_compile_opts.background, genc/exec.h): replays
 * started before the compiler finishes run interpreted, switch to the
 * compiled code once it is loaded (genc_compile_info.pending turns false), and
 * give the eager results on either path (draws bit for bit, floats within
 * the executor's ulps, see ulps_close) and the same bits as a blocking
 * compile; a cached object loads at once; a failing compiler keeps the
 * interpreter and says why; freeing a graph mid-compile stops the compiler
 * and leaves no temporaries; memory stays flat. One small graph, compiled once
 * per fresh cache directory (about 0.3 s of cc, on a thread of its own).
 */
#include <dirent.h>
#include <float.h>
#include <time.h>

#include "testutil.h"

#include "array/graph.h"
#include "array/internal.h"

#define NP 1001 /* odd: the Box-Muller pairs of the last particle are split */
#define NOUT 5

static char cache_dir[256];

static int setup(void **state) {
  if (!t_mkdir_cache(cache_dir, sizeof cache_dir, "async_test")) return -1;
  genc_status st; /* the CPU executor's test: a CPU context whatever the suite asks */
  *state = genc_ctx_new(&(genc_ctx_opts){0}, &st);
  return *state ? 0 : -1;
}

static int teardown(void **state) {
  if (t_rmdir(cache_dir)) return -1;
  return t_teardown(state);
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* A fresh cache directory under cache_dir (so the compiler runs) into dir. */
static void fresh_dir(char *dir, size_t cap, const char *name) {
  snprintf(dir, cap, "%s/%s", cache_dir, name);
}

static double *host(genc_ctx *ctx, genc_array *a, int64_t *n) {
  int64_t np = genc_array_nparticles(a);
  *n = genc_array_size(a) * (np ? np : 1);
  double *v = malloc((size_t)(*n ? *n : 1) * sizeof *v);
  if (genc_array_copy_out(ctx, a, v, *n)) fail_msg("copy_out: %s", genc_ctx_error(ctx));
  return v;
}

/* a against b element by element within ulps of b's largest magnitude (0: bit
 * for bit). The compiled code calls glibc's scalar libm where the eager
 * kernels call its vector libm (at most 4 ulp apart, glibc's bound); the
 * exp and the sum below carry a few such errors, which 16 ulps of the
 * array's scale covers; a wrong op or element is off by far more. */
static void ulps_close(genc_ctx *ctx, genc_array *a, genc_array *b, double ulps, const char *what) {
  assert_int_equal(genc_array_dtype(a), genc_array_dtype(b));
  int64_t n, m;
  double *x = host(ctx, a, &n), *y = host(ctx, b, &m), scale = 0;
  assert_int_equal(n, m);
  for (int64_t i = 0; i < n; i++)
    scale = isfinite(y[i]) ? fmax(scale, fabs(y[i])) : scale;
  for (int64_t i = 0; i < n; i++)
    if (x[i] != y[i] && !(fabs(x[i] - y[i]) <= ulps * DBL_EPSILON * scale))
      fail_msg("%s: element %lld is %.17g, expected %.17g", what, (long long)i, x[i], y[i]);
  free(x), free(y);
}

/* Draws (outputs 0-2: bit for bit on every path) and float functions of them
 * (outputs 3-4: within the ulps). */
static genc_status fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in, genc_array **out,
                      void *user) {
  (void)user;
  genc_key k[3];
  genc_key_split(keys[0], 3, k);
  out[0] = genc_random_normal(ctx, k[0], GENC_F64, 0, NULL, NP);
  out[1] = genc_random_uniform(ctx, k[1], GENC_F64, 1, (int64_t[]){2}, NP);
  out[2] = genc_random_bits(ctx, k[2], 0, NULL, NP);
  genc_array *mu = genc_add(ctx, 0.5, genc_mul(ctx, 2.0, out[0]));
  out[3] = genc_exp(ctx, genc_mul(ctx, -0.25, genc_mul(ctx, mu, mu)));
  out[4] = genc_sum(ctx, genc__normal_logpdf(ctx, in[0], mu, genc_scalar_weak(ctx, 0.3)), 0, NULL,
                    false);
  for (int i = 0; i < NOUT; i++)
    if (!out[i]) return genc_ctx_status(ctx);
  return GENC_OK;
}

static genc_graph *capture(genc_ctx *ctx, genc_array **data) {
  double y[5] = {0.3, -1.0, 2.0, 0.7, 1.1};
  *data = genc_array_vec(ctx, 5, y);
  genc_array *out[NOUT];
  genc_key key = genc_key_from_seed(7);
  genc_graph *g = genc_graph_capture(ctx, fn, NULL, 1, &key, 1, data, NOUT, out);
  T_OK(ctx, g);
  return g;
}

/* Replay g with key against the eager function (and, when ref is not NULL,
 * the same bits as ref's replay). */
static void check(genc_ctx *ctx, genc_graph *g, genc_graph *ref, genc_key key, genc_array *data) {
  int64_t mark = genc_scope_begin(ctx);
  genc_array *got[NOUT], *want[NOUT], *same[NOUT];
  assert_int_equal(genc_graph_replay(ctx, g, &key, &data, got), GENC_OK);
  assert_int_equal(fn(ctx, &key, &data, want, NULL), GENC_OK);
  for (int i = 0; i < NOUT; i++)
    ulps_close(ctx, got[i], want[i], i < 3 ? 0 : 16, i < 3 ? "draws" : "floats");
  if (ref) {
    assert_int_equal(genc_graph_replay(ctx, ref, &key, &data, same), GENC_OK);
    for (int i = 0; i < NOUT; i++)
      ulps_close(ctx, got[i], same[i], 0, "background = blocking compile");
  }
  genc_scope_end(ctx, mark);
}

static genc_compile_info info_of(genc_ctx *ctx, genc_graph *g) {
  genc_compile_info info;
  assert_int_equal(genc_graph_compile_info(ctx, g, &info), GENC_OK);
  return info;
}

/* A replay loop started before the compiler finishes: interpreted replays,
 * then the switch to the compiled code; eager results throughout, and the
 * bits of a blocking compile once compiled. */
static void test_switches_to_compiled(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  genc_array *data;
  genc_graph *g = capture(ctx, &data);
  char dir[300];
  fresh_dir(dir, sizeof dir, "switch");
  genc_compile_opts o = {.threads = 2, .cache_dir = dir, .background = true};
  double t0 = now_s();
  assert_int_equal(genc_graph_compile(ctx, g, &o), GENC_OK);
  double call = now_s() - t0;
  genc_compile_info info = info_of(ctx, g);
  assert_true(info.background && info.pending); /* a fresh directory: cc runs (>= 0.1 s) */
  assert_false(info.compiled);
  int64_t before = 0, after = 0;
  for (uint64_t i = 0; after < 3 && now_s() - t0 < 120; i++) {
    check(ctx, g, NULL, genc_key_from_seed(1000 + i), data);
    info = info_of(ctx, g);
    if (info.pending)
      before++;
    else
      after++;
  }
  print_message("compile call %.4f s, background %.3f s, %lld replays interpreted\n", call,
                info.background_s, (long long)info.interpreted_replays);
  assert_false(info.pending);
  assert_true(info.compiled); /* the switch happened */
  assert_false(info.cache_hit);
  assert_int_equal(info.threads, 2);
  assert_true(info.background_s > 0);
  assert_true(before >= 1 && info.interpreted_replays >= before);
  /* a blocking compile of a second capture loads the same object: same bits */
  genc_array *data2;
  genc_graph *ref = capture(ctx, &data2);
  o.background = false;
  assert_int_equal(genc_graph_compile(ctx, ref, &o), GENC_OK);
  assert_true(info_of(ctx, ref).cache_hit);
  for (uint64_t i = 0; i < 3; i++)
    check(ctx, g, ref, genc_key_particle(genc_key_from_seed(50 + i), 3), data);
  /* a background compile with the object cached loads it at once */
  o.background = true;
  assert_int_equal(genc_graph_compile(ctx, ref, &o), GENC_OK);
  info = info_of(ctx, ref);
  assert_true(info.compiled && info.cache_hit && !info.pending);
  assert_int_equal(genc_graph_compile_wait(ctx, ref), GENC_OK); /* nothing pending: at once */
  check(ctx, ref, g, genc_key_from_seed(77), data);
  genc_graph_free(ref);
  genc_graph_free(g);
  genc_scope_end(ctx, mark);
}

/* A compiler that fails: replays stay interpreted (eager results), the
 * reason is reported and nothing is printed. */
static void test_failed_compile_keeps_interpreter(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  genc_array *data;
  genc_graph *g = capture(ctx, &data);
  char dir[300];
  fresh_dir(dir, sizeof dir, "fail");
  genc_compile_opts o = {
      .threads = 1, .cache_dir = dir, .compiler = "/nonexistent/cc", .background = true};
  assert_int_equal(genc_graph_compile(ctx, g, &o), GENC_OK);
  check(ctx, g, NULL, genc_key_from_seed(3), data);
  assert_int_equal(genc_graph_compile_wait(ctx, g), GENC_OK);
  genc_compile_info info = info_of(ctx, g);
  assert_false(info.pending);
  assert_false(info.compiled);
  assert_non_null(strstr(info.why, "/nonexistent/cc"));
  check(ctx, g, NULL, genc_key_from_seed(4), data);
  assert_int_equal(genc_ctx_status(ctx), GENC_OK);
  genc_graph_free(g);
  genc_scope_end(ctx, mark);
}

/* The files in dir (the compile's temporaries are
 * genc-<hash>.<pid>.<thread>.{c,so,log}, the object genc-<hash>.so). */
static int count_files(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));)
    n += e->d_name[0] != '.';
  if (d) closedir(d);
  return n;
}

/* Freeing a graph whose compile still runs stops the compiler rather than
 * waiting for it, and leaves no temporaries behind. */
static void test_free_stops_compiler(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  genc_array *data;
  genc_graph *g = capture(ctx, &data);
  char dir[300];
  fresh_dir(dir, sizeof dir, "stop");
  genc_compile_opts o = {.threads = 1, .cache_dir = dir, .background = true};
  assert_int_equal(genc_graph_compile(ctx, g, &o), GENC_OK);
  assert_true(info_of(ctx, g).pending);
  struct timespec ms = {0, 30000000}; /* let the compiler start */
  nanosleep(&ms, NULL);
  double t0 = now_s();
  genc_graph_free(g);
  double dt = now_s() - t0;
  print_message("free mid-compile: %.4f s, files left %d\n", dt, count_files(dir));
  assert_int_equal(count_files(dir), 0);
  /* a compile that is cancelled early never reaches the rename; a real
   * compile takes >= 0.1 s, and stopping it takes milliseconds */
  assert_true(dt < 0.1);
  genc_scope_end(ctx, mark);
}

/* Many replays across the switch: the live arrays and bytes come back to the
 * same level (interpreted and compiled replays free what they make). */
static void test_memory_flat(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  genc_array *data;
  genc_graph *g = capture(ctx, &data);
  char dir[300];
  fresh_dir(dir, sizeof dir, "flat");
  genc_compile_opts o = {.threads = 1, .cache_dir = dir, .background = true};
  assert_int_equal(genc_graph_compile(ctx, g, &o), GENC_OK);
  genc_array *out[NOUT];
  genc_key key = genc_key_from_seed(5);
  int64_t a0 = -1, b0 = -1;
  double t0 = now_s();
  for (int i = 0; (i < 400 || info_of(ctx, g).pending) && now_s() - t0 < 120; i++) {
    int64_t m = genc_scope_begin(ctx);
    assert_int_equal(genc_graph_replay(ctx, g, &key, &data, out), GENC_OK);
    genc_scope_end(ctx, m);
    if (i == 2) a0 = genc_ctx_live_arrays(ctx), b0 = genc_ctx_live_bytes(ctx);
  }
  assert_false(info_of(ctx, g).pending);
  /* the compiled plan keeps each region output of the last replay for reuse
   * (bounded by the graph, not the replay count) */
  for (int i = 0; i < 400; i++) {
    int64_t m = genc_scope_begin(ctx);
    assert_int_equal(genc_graph_replay(ctx, g, &key, &data, out), GENC_OK);
    genc_scope_end(ctx, m);
  }
  int64_t a1 = genc_ctx_live_arrays(ctx), b1 = genc_ctx_live_bytes(ctx);
  for (int i = 0; i < 400; i++) {
    int64_t m = genc_scope_begin(ctx);
    assert_int_equal(genc_graph_replay(ctx, g, &key, &data, out), GENC_OK);
    genc_scope_end(ctx, m);
  }
  print_message("live arrays %lld -> %lld -> %lld\n", (long long)a0, (long long)a1,
                (long long)genc_ctx_live_arrays(ctx));
  assert_int_equal(genc_ctx_live_arrays(ctx), a1);
  assert_int_equal(genc_ctx_live_bytes(ctx), b1);
  assert_true(a0 >= 0 && b0 >= 0);
  genc_graph_free(g);
  genc_scope_end(ctx, mark);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_switches_to_compiled),
      cmocka_unit_test(test_failed_compile_keeps_interpreter),
      cmocka_unit_test(test_free_stops_compiler),
      cmocka_unit_test(test_memory_flat),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
