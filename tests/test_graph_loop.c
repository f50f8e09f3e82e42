/*
 * genc_graph_loop (genc/array.h): a loop of replays gives exactly what as
 * many genc_graph_replay calls give with the keys folded with first + i and
 * the carried outputs fed back by hand, bit for bit (records, final outputs,
 * the replay whose guard changed), interpreted, compiled as one unbatched
 * region (the fast path: genc_compile_info.looped_replays counts it) and
 * compiled batched (replays one by one); loops of 1 and of lengths that are
 * not a multiple of the fast path's 64-replay blocks; pass-through outputs
 * and crosswise carries; a guard that changes mid-loop; bad arguments; and
 * flat memory over 2000 iterations. Four graphs are compiled (about 0.5 s
 * of cc each, in a fresh cache directory; recompiling one is a cache hit).
 */
#include "testutil.h"

#include "genc/exec.h"

#define NP 37 /* particles of the batched graph (odd: Box-Muller pairs straddle) */
#define NDATA 100
#define MAXOUT 8

static char cache_dir[256];
static double data_v[NDATA];

static int setup(void **state) {
  if (!t_mkdir_cache(cache_dir, sizeof cache_dir, "loop_test")) return -1;
  for (int i = 0; i < NDATA; i++)
    data_v[i] = 0.4 + 0.9 * sin(1.7 * i) + 0.1 * i / NDATA;
  /* the CPU executor's loop: a CPU context whatever GENC_TEST_DEVICE asks */
  genc_status st;
  *state = genc_ctx_new(&(genc_ctx_opts){0}, &st);
  return *state ? 0 : -1;
}

static int teardown(void **state) {
  if (t_rmdir(cache_dir)) return -1;
  return t_teardown(state);
}

static void compile(genc_ctx *ctx, genc_graph *g) {
  genc_compile_opts o = {.threads = 1, .cache_dir = cache_dir};
  assert_int_equal(genc_graph_compile(ctx, g, &o), GENC_OK);
  genc_compile_info info;
  assert_int_equal(genc_graph_compile_info(ctx, g, &info), GENC_OK);
  if (!info.compiled) fail_msg("not compiled: %s", info.why);
}

static int64_t looped(genc_ctx *ctx, genc_graph *g) {
  genc_compile_info info;
  assert_int_equal(genc_graph_compile_info(ctx, g, &info), GENC_OK);
  return info.looped_replays;
}

/* Elements of a (all particles). */
static int64_t count(const genc_array *a) {
  int64_t np = genc_array_nparticles(a);
  return genc_array_size(a) * (np ? np : 1);
}

/* Raw bytes of a, into a new buffer of *bytes. */
static unsigned char *raw(genc_ctx *ctx, genc_array *a, size_t *bytes) {
  *bytes = (size_t)count(a) * genc_dtype_size(genc_array_dtype(a));
  unsigned char *p = malloc(*bytes + 1);
  if (genc_array_copy_raw(ctx, a, p, *bytes)) fail_msg("copy_raw: %s", genc_ctx_error(ctx));
  return p;
}

/* a and b equal bit for bit (dtype, shape, particles, bytes). */
static void same_bits(genc_ctx *ctx, genc_array *a, genc_array *b, const char *what, int j) {
  if (!a || !b) fail_msg("%s: output %d is NULL (loop %p, replays %p)", what, j, a, b);
  assert_int_equal(genc_array_dtype(a), genc_array_dtype(b));
  assert_int_equal(genc_array_ndim(a), genc_array_ndim(b));
  assert_int_equal(genc_array_nparticles(a), genc_array_nparticles(b));
  assert_int_equal(genc_array_size(a), genc_array_size(b));
  size_t na, nb;
  unsigned char *pa = raw(ctx, a, &na), *pb = raw(ctx, b, &nb);
  if (memcmp(pa, pb, na)) {
    int64_t n = count(a);
    double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    genc_array_copy_out(ctx, a, x, n), genc_array_copy_out(ctx, b, y, n);
    for (int64_t i = 0; i < n; i++)
      if (memcmp(&x[i], &y[i], sizeof *x))
        fail_msg("%s: output %d element %lld: loop %.17g, replays %.17g", what, j, (long long)i,
                 x[i], y[i]);
    fail_msg("%s: output %d differs in its bytes", what, j);
  }
  free(pa), free(pb);
}

/* A loop to check: graph, keys and inputs of replay 0, and the options. */
typedef struct lcase {
  const char *what;
  genc_graph *g;
  const genc_key *keys;
  genc_array *const *in;
  const int32_t *carry;
  const int32_t *record;
  int32_t nrecord;
  int64_t iters, first;
} lcase;

/* The doubles one replay records: each recorded output's elements. */
static int64_t per_replay(const lcase *c, genc_array *const *outs) {
  int64_t per = 0;
  for (int r = 0; r < c->nrecord; r++)
    per += count(outs[c->record[r]]);
  return per;
}

/* The loop by hand: replays with keys fold_in(keys, first + i) and the carry
 * done here. Into out the outputs of the last replay that succeeded (NULL
 * when none did), into rec its records, into *done the replays that
 * succeeded; returns the first failing replay's status (GENC_OK if none). */
static genc_status by_hand(genc_ctx *ctx, const lcase *c, double *rec, genc_array **out,
                           int64_t *done) {
  int nin = 0, nout = genc_graph_noutputs(c->g), nkeys = c->keys ? 1 : 0;
  while (c->in[nin])
    nin++;
  genc_array *cur[MAXOUT], *res[MAXOUT];
  genc_key k[4];
  for (int j = 0; j < nin; j++)
    cur[j] = c->in[j];
  for (int j = 0; j < nout; j++)
    out[j] = NULL;
  int64_t off = 0;
  for (int64_t i = 0; i < c->iters; i++) {
    for (int q = 0; q < nkeys; q++)
      k[q] = genc_key_fold_in(c->keys[q], (uint64_t)(c->first + i));
    genc_status st = genc_graph_replay(ctx, c->g, nkeys ? k : NULL, cur, res);
    if (st) {
      *done = i;
      return st;
    }
    for (int r = 0; r < c->nrecord; r++) {
      genc_array *a = res[c->record[r]];
      if (genc_array_copy_out(ctx, a, rec + off, count(a))) fail_msg("%s", genc_ctx_error(ctx));
      off += count(a);
    }
    for (int j = 0; j < nout; j++)
      out[j] = res[j];
    for (int j = 0; j < nin; j++)
      cur[j] = c->carry[j] >= 0 ? res[c->carry[j]] : c->in[j];
  }
  *done = c->iters;
  return GENC_OK;
}

#define SENTINEL -1234.5

/* genc_graph_loop against by_hand: status, done, records (bit for bit, and
 * nothing written past the replays done), final outputs bit for bit, and the
 * caller's inputs untouched. Returns done. in must end with a NULL entry. */
static int64_t check_loop(genc_ctx *ctx, const lcase *c, genc_array *const *outs0) {
  int64_t mark = genc_scope_begin(ctx);
  int nin = 0, nout = genc_graph_noutputs(c->g);
  while (c->in[nin])
    nin++;
  size_t inb[MAXOUT];
  unsigned char *in_before[MAXOUT];
  for (int j = 0; j < nin; j++)
    in_before[j] = raw(ctx, c->in[j], &inb[j]);
  int64_t per = per_replay(c, outs0), tot = per * c->iters;
  double *rl = malloc((size_t)(tot + 1) * sizeof *rl), *rs = malloc((size_t)(tot + 1) * sizeof *rs);
  for (int64_t i = 0; i < tot; i++)
    rl[i] = SENTINEL;
  genc_array *ol[MAXOUT], *os[MAXOUT];
  for (int j = 0; j < nout; j++)
    ol[j] = (genc_array *)&ol; /* not NULL: the loop must write every entry */
  int64_t dl = -1, ds = -1;
  genc_graph_loop_opts o = {.iters = c->iters,
                            .first = c->first,
                            .carry = c->carry,
                            .nrecord = c->nrecord,
                            .record = c->record,
                            .rec = c->nrecord ? rl : NULL,
                            .done = &dl};
  genc_status stl = genc_graph_loop(ctx, c->g, c->keys, c->in, ol, &o);
  char msg[512];
  snprintf(msg, sizeof msg, "%s", genc_ctx_error(ctx));
  genc_ctx_clear_error(ctx);
  genc_status sts = by_hand(ctx, c, rs, os, &ds);
  genc_ctx_clear_error(ctx);
  if (stl != sts)
    fail_msg("%s: genc_graph_loop status %d (%s), replays %d (after %lld)", c->what, stl, msg, sts,
             (long long)ds);
  if (stl == GENC_ERR_CAPTURE && !strstr(msg, "guard changed"))
    fail_msg("%s: message '%s' lacks 'guard changed'", c->what, msg);
  if (dl != ds) fail_msg("%s: done %lld, replays %lld", c->what, (long long)dl, (long long)ds);
  for (int64_t i = 0; i < per * ds; i++)
    if (memcmp(&rl[i], &rs[i], sizeof *rl))
      fail_msg("%s: rec[%lld] (replay %lld, value %lld) is %.17g, replays %.17g", c->what,
               (long long)i, (long long)(i / per), (long long)(i % per), rl[i], rs[i]);
  for (int64_t i = per * ds; i < tot; i++)
    if (rl[i] != SENTINEL)
      fail_msg("%s: rec[%lld] of replay %lld (not done, done %lld) written: %.17g", c->what,
               (long long)i, (long long)(i / per), (long long)ds, rl[i]);
  for (int j = 0; j < nout; j++) {
    if (ol[j] == (genc_array *)&ol) fail_msg("%s: out[%d] not written", c->what, j);
    if (ds == 0) {
      if (ol[j]) fail_msg("%s: done 0 but out[%d] is not NULL", c->what, j);
      continue;
    }
    same_bits(ctx, ol[j], os[j], c->what, j);
  }
  for (int j = 0; j < nin; j++) {
    size_t n;
    unsigned char *now = raw(ctx, c->in[j], &n);
    if (n != inb[j] || memcmp(now, in_before[j], n))
      fail_msg("%s: the loop changed the caller's input %d", c->what, j);
    free(now), free(in_before[j]);
  }
  free(rl), free(rs);
  genc_scope_end(ctx, mark);
  return ds;
}

/* ---- graph A: a random-walk step with a reduction and a hoisted sigma ---- */

/* x [3], s (0-d): z ~ N(0, 1)^3, u ~ U(0, 1), e ~ Exp(1); x_new = where(u <
 * 0.5, x + 0.1 z, x); out 0 x_new, out 1 the normal log density of the data
 * with mean x_new[0] (a sum with weights 1, 0, 0: a slice would leave the
 * region) and sigma s, out 2 where(u < 0.5, 1, 0) + 0.01 e. user: the
 * particle count (0 or NP). */
static genc_status walk_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                           genc_array **out, void *user) {
  int64_t n = *(const int64_t *)user, s3[1] = {3};
  genc_key k[3];
  genc_key_split(keys[0], 3, k);
  genc_array *z = genc_random_normal(ctx, k[0], GENC_F64, 1, s3, n);
  genc_array *u = genc_random_uniform(ctx, k[1], GENC_F64, 0, NULL, n);
  genc_array *e = genc_random_exponential(ctx, k[2], GENC_F64, 0, NULL, n);
  genc_array *acc = genc_lt(ctx, u, 0.5);
  out[0] = genc_where(ctx, acc, genc_add(ctx, in[0], genc_mul(ctx, 0.1, z)), in[0]);
  genc_array *w = genc_array_vec(ctx, 3, (double[]){1, 0, 0});
  genc_array *mu = genc_sum(ctx, genc_mul(ctx, out[0], w), 1, (int[]){0}, false);
  genc_dist d = genc_broadcasted_normal(ctx, mu, in[1]);
  out[1] = genc_dist_logpdf(ctx, &d, genc_array_vec(ctx, NDATA, data_v));
  out[2] = genc_add(ctx, genc_where(ctx, acc, 1.0, 0.0), genc_mul(ctx, 0.01, e));
  for (int i = 0; i < 3; i++)
    if (!out[i]) return genc_ctx_status(ctx);
  return GENC_OK;
}

static const int32_t walk_carry[2] = {0, -1}, walk_record[3] = {1, 2, 0};

/* Inputs of graph A (x, s, NULL) over n particles. */
static void walk_inputs(genc_ctx *ctx, int64_t n, genc_array **in) {
  in[0] = t_iota(ctx, n, 1, (int64_t[]){3}, 0.05, -0.2);
  in[1] = t_iota(ctx, n, 0, NULL, 0.01, 0.8);
  in[2] = NULL;
}

static genc_graph *walk_graph(genc_ctx *ctx, int64_t *n, genc_key key, genc_array **in,
                              genc_array **outs) {
  walk_inputs(ctx, *n, in);
  genc_graph *g = genc_graph_capture(ctx, walk_fn, n, 1, &key, 2, in, 3, outs);
  T_OK(ctx, g);
  return g;
}

static lcase walk_case(const char *what, genc_graph *g, const genc_key *key, genc_array **in,
                       int64_t iters, int64_t first) {
  return (lcase){.what = what,
                 .g = g,
                 .keys = key,
                 .in = in,
                 .carry = walk_carry,
                 .record = walk_record,
                 .nrecord = 3,
                 .iters = iters,
                 .first = first};
}

/* 1: interpreted, compiled unbatched (the fast path), compiled batched. */
static void test_loop_equals_replays(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx), n0 = 0, nb = NP;
  genc_key key = genc_key_from_seed(21);
  genc_array *in[3], *outs[3], *inb[3], *outsb[3];
  genc_graph *g = walk_graph(ctx, &n0, key, in, outs);
  assert_true(genc_graph_nguards(g) >= 1); /* sigma's check: a guard */
  lcase c = walk_case("interpreted", g, &key, in, 150, 7);
  assert_int_equal(check_loop(ctx, &c, outs), 150);
  compile(ctx, g);
  genc_compile_info info;
  assert_int_equal(genc_graph_compile_info(ctx, g, &info), GENC_OK);
  print_message("graph A: %d regions, %d fused, %d interpreted nodes\n", info.regions,
                info.fused_nodes, info.interp_nodes);
  assert_int_equal(info.looped_replays, 0);
  c.what = "compiled unbatched";
  assert_int_equal(check_loop(ctx, &c, outs), 150);
  if (looped(ctx, g) != 150)
    fail_msg("compiled unbatched: looped_replays %lld, expected 150 (the fast path)",
             (long long)looped(ctx, g));
  /* the batched graph: the same results as its replays, one by one */
  genc_graph *gb = walk_graph(ctx, &nb, key, inb, outsb);
  compile(ctx, gb);
  lcase cb = walk_case("compiled batched", gb, &key, inb, 150, 7);
  assert_int_equal(check_loop(ctx, &cb, outsb), 150);
  assert_int_equal(looped(ctx, gb), 0);
  genc_graph_free(g);
  genc_graph_free(gb);
  genc_scope_end(ctx, mark);
}

/* 2: loops of 1 and of lengths around the fast path's blocks of 64. */
static void test_loop_lengths(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx), n0 = 0;
  genc_key key = genc_key_from_seed(22);
  genc_array *in[3], *outs[3];
  genc_graph *g = walk_graph(ctx, &n0, key, in, outs);
  const int64_t iters[6] = {1, 130, 63, 64, 65, 1};
  const int64_t first[6] = {0, 1000, 3, 0, 64, 12345678901LL};
  char what[96];
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) compile(ctx, g); /* a cache hit after test 1 */
    for (int t = 0; t < 6; t++) {
      snprintf(what, sizeof what, "%s, iters %lld, first %lld", pass ? "compiled" : "interpreted",
               (long long)iters[t], (long long)first[t]);
      int64_t before = pass ? looped(ctx, g) : 0;
      lcase c = walk_case(what, g, &key, in, iters[t], first[t]);
      assert_int_equal(check_loop(ctx, &c, outs), iters[t]);
      if (pass && looped(ctx, g) - before != iters[t])
        fail_msg("%s: looped_replays grew by %lld (the fast path)", what,
                 (long long)(looped(ctx, g) - before));
    }
  }
  /* no records, and no done pointer */
  int64_t m2 = genc_scope_begin(ctx);
  genc_array *ol[3], *os[3];
  genc_graph_loop_opts o = {.iters = 70, .first = 5, .carry = walk_carry};
  assert_int_equal(genc_graph_loop(ctx, g, &key, in, ol, &o), GENC_OK);
  lcase c = walk_case("no records", g, &key, in, 70, 5);
  c.nrecord = 0;
  int64_t ds;
  double rs[70 * 5];
  assert_int_equal(by_hand(ctx, &c, rs, os, &ds), GENC_OK);
  for (int j = 0; j < 3; j++)
    same_bits(ctx, ol[j], os[j], "no records", j);
  genc_scope_end(ctx, m2);
  genc_graph_free(g);
  genc_scope_end(ctx, mark);
}

/* ---- graph B: pass-through outputs and crosswise carries ---- */

/* x [2], y [2], w (0-d), k (0-d i32): out 0 = 0.9 x + z (z ~ N(0, 1)^2),
 * out 1 = y and out 2 = w (the inputs themselves when *user, else computed
 * as y * 1 and w * 1), out 3 = sum(x * y) + w, out 4 = k + 1. */
static genc_status cross_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                            genc_array **out, void *user) {
  bool pass_through = *(const bool *)user;
  genc_array *z = genc_random_normal(ctx, keys[0], GENC_F64, 1, (int64_t[]){2}, 0);
  out[0] = genc_add(ctx, genc_mul(ctx, 0.9, in[0]), z);
  out[1] = pass_through ? in[1] : genc_mul(ctx, in[1], 1.0);
  out[2] = pass_through ? in[2] : genc_mul(ctx, in[2], 1.0);
  out[3] = genc_add(ctx, genc_sum(ctx, genc_mul(ctx, in[0], in[1]), 0, NULL, false), in[2]);
  out[4] = genc_add(ctx, in[3], 1);
  for (int i = 0; i < 5; i++)
    if (!out[i]) return genc_ctx_status(ctx);
  return GENC_OK;
}

/* 3: x <- out 1 (y, passed through), y <- out 0, w <- out 2 (itself), k <-
 * out 4; and the same with w and k staying. Pass-through outputs
 * interpreted; computed ones compiled, which is one region: the fast path
 * swaps x and y in its loop. */
static void test_pass_through_crosswise(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  genc_key key = genc_key_from_seed(23);
  genc_array *in[5] = {genc_array_vec(ctx, 2, (double[]){0.5, -1.0}),
                       genc_array_vec(ctx, 2, (double[]){2.0, 0.25}), genc_scalar(ctx, 0.125),
                       genc_scalar_of(ctx, 7, GENC_I32), NULL};
  genc_array *outs[5];
  static const int32_t carry[4] = {1, 0, 2, 4}, carry2[4] = {1, 0, -1, -1};
  static const int32_t record[4] = {3, 1, 2, 4};
  const int64_t iters[3] = {1, 2, 131};
  char what[96];
  for (int pass = 0; pass < 2; pass++) {
    bool pass_through = pass == 0;
    genc_graph *g = genc_graph_capture(ctx, cross_fn, &pass_through, 1, &key, 4, in, 5, outs);
    T_OK(ctx, g);
    if (pass) compile(ctx, g);
    int64_t before = pass ? looped(ctx, g) : 0, sum = 0;
    for (int t = 0; t < 3; t++)
      for (int v = 0; v < 2; v++) {
        snprintf(what, sizeof what, "%s, %s, iters %lld, carry %d",
                 pass ? "compiled" : "interpreted", pass_through ? "pass-through" : "computed",
                 (long long)iters[t], v);
        lcase c = {.what = what,
                   .g = g,
                   .keys = &key,
                   .in = in,
                   .carry = v ? carry2 : carry,
                   .record = record,
                   .nrecord = 4,
                   .iters = iters[t],
                   .first = 3};
        assert_int_equal(check_loop(ctx, &c, outs), iters[t]);
        sum += iters[t];
      }
    if (pass)
      print_message("%s: looped_replays %lld of %lld\n", what, (long long)(looped(ctx, g) - before),
                    (long long)sum);
    if (pass && looped(ctx, g) - before != sum)
      fail_msg("computed crosswise: looped_replays %lld, expected %lld (one region: the fast path)",
               (long long)(looped(ctx, g) - before), (long long)sum);
    genc_graph_free(g);
  }
  genc_scope_end(ctx, mark);
}

/* ---- graph C: a guard the carried input changes ---- */

/* t (0-d), x (0-d): a check of t > 0 through genc_graph_guard_item (the
 * function's own error when it fails); out 0 = t - 1, out 1 = x + z (z ~
 * N(0, 1)), out 2 = t * x. */
static genc_status guard_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                            genc_array **out, void *user) {
  (void)user;
  double v = 0;
  genc_status st =
      genc_graph_guard_item(ctx, genc_astype(ctx, genc_gt(ctx, in[0], 0.0), GENC_F64), &v);
  if (st) return st;
  if (v == 0) return genc_ctx_fail(ctx, GENC_ERR_DOMAIN, "guard_fn: t must be positive");
  out[0] = genc_sub(ctx, in[0], 1.0);
  out[1] = genc_add(ctx, in[1], genc_random_normal(ctx, keys[0], GENC_F64, 0, NULL, 0));
  out[2] = genc_mul(ctx, in[0], in[1]);
  for (int i = 0; i < 3; i++)
    if (!out[i]) return genc_ctx_status(ctx);
  return GENC_OK;
}

/* 4: t = 5 carried as t - 1: replay i sees t = t0 - i, and the guard (t > 0,
 * 1 at capture) changes at the first replay with t0 - i <= 0. */
static void test_guard_changes_mid_loop(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  genc_key key = genc_key_from_seed(24);
  genc_array *in[3] = {genc_scalar(ctx, 5.0), genc_scalar(ctx, 0.3), NULL}, *outs[3];
  static const int32_t carry[2] = {0, 1}, record[2] = {2, 0};
  char what[96];
  for (int pass = 0; pass < 2; pass++) {
    genc_graph *g = genc_graph_capture(ctx, guard_fn, NULL, 1, &key, 2, in, 3, outs);
    T_OK(ctx, g);
    assert_int_equal(genc_graph_nguards(g), 1);
    if (pass == 1) compile(ctx, g);
    const double t0[5] = {5.0, 1.0, 0.0, -3.0, 64.5};
    const int64_t want[5] = {5, 1, 0, 0, 10}; /* 10: never changes in 10 replays */
    for (int t = 0; t < 5; t++) {
      snprintf(what, sizeof what, "%s guard, t0 %g", pass ? "compiled" : "interpreted", t0[t]);
      genc_array *ins[3] = {genc_scalar(ctx, t0[t]), in[1], NULL};
      lcase c = {.what = what,
                 .g = g,
                 .keys = &key,
                 .in = ins,
                 .carry = carry,
                 .record = record,
                 .nrecord = 2,
                 .iters = 10,
                 .first = 0};
      int64_t before = pass ? looped(ctx, g) : 0;
      int64_t done = check_loop(ctx, &c, outs);
      if (done != want[t])
        fail_msg("%s: done %lld, expected %lld", what, (long long)done, (long long)want[t]);
      /* one region: the fast path ran at least the replays done */
      if (pass && looped(ctx, g) - before < done)
        fail_msg("%s: looped_replays +%lld, done %lld", what, (long long)(looped(ctx, g) - before),
                 (long long)done);
    }
    genc_graph_free(g);
  }
  genc_scope_end(ctx, mark);
}

/* ---- 5: bad arguments ---- */

/* x [3], s (0-d), i (0-d i32): outputs of every kind a carry can mismatch. */
static genc_status kinds_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                            genc_array **out, void *user) {
  (void)user;
  out[0] = genc_mul(ctx, in[0], 2.0);            /* [3] f64 */
  out[1] = genc_sum(ctx, in[0], 0, NULL, false); /* () f64 */
  out[2] = genc_add(ctx, in[2], 1);              /* () i32 */
  out[3] = genc_add(ctx, in[1], genc_random_normal(ctx, keys[0], GENC_F64, 0, NULL, 4)); /* N=4 */
  out[4] = genc_astype(ctx, in[1], GENC_F32); /* () f32 */
  for (int i = 0; i < 5; i++)
    if (!out[i]) return genc_ctx_status(ctx);
  return GENC_OK;
}

static void expect_loop_error(genc_ctx *ctx, genc_graph *g, const genc_key *keys,
                              genc_array *const *in, genc_array **out,
                              const genc_graph_loop_opts *o, genc_status want, const char *word,
                              const char *what) {
  int64_t live = genc_ctx_live_arrays(ctx);
  if (o && o->done) *o->done = -7;
  genc_status st = genc_graph_loop(ctx, g, keys, in, out, o);
  if (st != want) fail_msg("%s: status %d, expected %d (%s)", what, st, want, genc_ctx_error(ctx));
  print_message("%s: %s\n", what, genc_ctx_error(ctx));
  t_expect_error(ctx, NULL, want, "genc_graph_loop", word);
  if (o && o->done && *o->done != 0)
    fail_msg("%s: done %lld, expected 0", what, (long long)*o->done);
  if (genc_ctx_live_arrays(ctx) != live)
    fail_msg("%s: live arrays %lld, before %lld", what, (long long)genc_ctx_live_arrays(ctx),
             (long long)live);
}

static void test_bad_arguments(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx);
  genc_key key = genc_key_from_seed(25);
  genc_array *in[3] = {t_iota(ctx, 0, 1, (int64_t[]){3}, 1.0, 0.5), genc_scalar(ctx, 0.7),
                       genc_scalar_of(ctx, 3, GENC_I32)};
  genc_array *out[5];
  genc_graph *g = genc_graph_capture(ctx, kinds_fn, NULL, 1, &key, 3, in, 5, out);
  T_OK(ctx, g);
  int64_t done = 0;
  double rec[64];
  int32_t carry[3] = {0, -1, 2}, record[2] = {1, 2};
  genc_graph_loop_opts ok = {.iters = 3,
                             .carry = carry,
                             .nrecord = 2,
                             .record = record,
                             .rec = rec,
                             .done = &done},
                       o;
  /* the options above are fine */
  assert_int_equal(genc_graph_loop(ctx, g, &key, in, out, &ok), GENC_OK);
  assert_int_equal(done, 3);
  expect_loop_error(ctx, NULL, &key, in, out, &ok, GENC_ERR_ARG, NULL, "NULL graph");
  expect_loop_error(ctx, g, &key, in, out, NULL, GENC_ERR_ARG, NULL, "NULL opts");
  o = ok, o.iters = 0;
  expect_loop_error(ctx, g, &key, in, out, &o, GENC_ERR_ARG, "iters", "iters 0");
  o = ok, o.iters = -5;
  expect_loop_error(ctx, g, &key, in, out, &o, GENC_ERR_ARG, "iters", "iters -5");
  o = ok, o.carry = NULL;
  expect_loop_error(ctx, g, &key, in, out, &o, GENC_ERR_ARG, "carry", "NULL carry");
  const int32_t bad_idx[4] = {5, -2, 100, INT32_MIN};
  for (int b = 0; b < 4; b++) {
    int32_t cb[3] = {0, bad_idx[b], -1};
    o = ok, o.carry = cb;
    expect_loop_error(ctx, g, &key, in, out, &o, GENC_ERR_ARG, "carry", "carry out of range");
  }
  /* input 1 (f64 0-d shared) from: [3] f64, () i32, () f64 over 4 particles,
   * () f32; and input 2 (i32) from () f64 */
  const int32_t mism[4] = {0, 2, 3, 4};
  const char *mname[4] = {"carry of another shape", "carry of another dtype (i32)",
                          "carry of another particle count", "carry of another dtype (f32)"};
  for (int b = 0; b < 4; b++) {
    int32_t cb[3] = {-1, mism[b], -1};
    o = ok, o.carry = cb;
    int64_t live = genc_ctx_live_arrays(ctx);
    done = -7;
    genc_status st = genc_graph_loop(ctx, g, &key, in, out, &o);
    /* a shape mismatch is GENC_ERR_SHAPE; a dtype or particle mismatch that
     * too (as genc_graph_replay reports an input's), or its own status */
    bool fine =
        st == GENC_ERR_SHAPE ||
        (b > 0 && (st == GENC_ERR_ARG || st == (b == 2 ? GENC_ERR_PARTICLE : GENC_ERR_DTYPE)));
    print_message("%s: %s\n", mname[b], genc_ctx_error(ctx));
    if (!fine) fail_msg("%s: status %d (%s)", mname[b], st, genc_ctx_error(ctx));
    t_expect_error(ctx, NULL, st, "genc_graph_loop", "carry");
    assert_int_equal(done, 0);
    assert_int_equal(genc_ctx_live_arrays(ctx), live);
  }
  {
    int32_t cb[3] = {-1, 1, 1}; /* input 2 (i32) from out 1 (f64) */
    o = ok, o.carry = cb;
    int64_t live = genc_ctx_live_arrays(ctx);
    done = -7;
    genc_status st = genc_graph_loop(ctx, g, &key, in, out, &o);
    assert_int_equal(done, 0);
    if (st != GENC_ERR_SHAPE && st != GENC_ERR_ARG && st != GENC_ERR_DTYPE)
      fail_msg("i32 input from f64: status %d (%s)", st, genc_ctx_error(ctx));
    t_expect_error(ctx, NULL, st, "genc_graph_loop", "carry");
    assert_int_equal(genc_ctx_live_arrays(ctx), live);
  }
  const int32_t bad_rec[3] = {5, -1, 1000};
  for (int b = 0; b < 3; b++) {
    int32_t rb[2] = {1, bad_rec[b]};
    o = ok, o.record = rb;
    expect_loop_error(ctx, g, &key, in, out, &o, GENC_ERR_ARG, "record", "record out of range");
  }
  o = ok, o.rec = NULL;
  expect_loop_error(ctx, g, &key, in, out, &o, GENC_ERR_ARG, NULL, "NULL rec");
  o = ok, o.record = NULL;
  expect_loop_error(ctx, g, &key, in, out, &o, GENC_ERR_ARG, "record", "NULL record");
  o = ok, o.nrecord = -1;
  expect_loop_error(ctx, g, &key, in, out, &o, GENC_ERR_ARG, "record", "nrecord -1");
  /* what genc_graph_replay checks: keys, inputs, room for outputs */
  expect_loop_error(ctx, g, NULL, in, out, &ok, GENC_ERR_ARG, NULL, "NULL keys");
  expect_loop_error(ctx, g, &key, NULL, out, &ok, GENC_ERR_ARG, NULL, "NULL inputs");
  expect_loop_error(ctx, g, &key, in, NULL, &ok, GENC_ERR_ARG, NULL, "NULL out");
  genc_array *bad[3] = {in[0], genc_array_vec(ctx, 2, (double[]){1, 2}), in[2]};
  expect_loop_error(ctx, g, &key, bad, out, &ok, GENC_ERR_SHAPE, "input 1",
                    "input of another shape");
  bad[1] = NULL;
  expect_loop_error(ctx, g, &key, bad, out, &ok, GENC_ERR_ARG, "input 1", "NULL input");
  bad[1] = genc_array_full(ctx, GENC_F64, 0, NULL, 4, 0.7);
  expect_loop_error(ctx, g, &key, bad, out, &ok, GENC_ERR_SHAPE, "input 1", "batched input");
  /* nothing was left half done: a good call still works */
  assert_int_equal(genc_graph_loop(ctx, g, &key, in, out, &ok), GENC_OK);
  genc_graph_free(g);
  genc_scope_end(ctx, mark);
}

/* ---- 6: memory ---- */

/* 2000 replays leave the outputs and nothing else, interpreted and on the
 * fast path; releasing them returns to the counts before. */
static void test_memory(void **state) {
  genc_ctx *ctx = *state;
  int64_t mark = genc_scope_begin(ctx), n0 = 0;
  genc_key key = genc_key_from_seed(26);
  genc_array *in[3], *outs[3], *out[3];
  genc_graph *g = walk_graph(ctx, &n0, key, in, outs);
  double *rec = malloc(2000 * 5 * sizeof *rec);
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) compile(ctx, g); /* a cache hit */
    for (int r = 0; r < 2; r++) {
      int64_t arrays = genc_ctx_live_arrays(ctx), bytes = genc_ctx_live_bytes(ctx);
      int64_t m = genc_scope_begin(ctx), done = 0;
      genc_graph_loop_opts o = {.iters = 2000,
                                .first = 1,
                                .carry = walk_carry,
                                .nrecord = r ? 3 : 0,
                                .record = walk_record,
                                .rec = rec,
                                .done = &done};
      if (genc_graph_loop(ctx, g, &key, in, out, &o))
        fail_msg("loop (pass %d): %s", pass, genc_ctx_error(ctx));
      assert_int_equal(done, 2000);
      if (genc_ctx_live_arrays(ctx) != arrays + 3)
        fail_msg("%s loop, records %d: live arrays %lld, before %lld + 3 outputs",
                 pass ? "compiled" : "interpreted", r, (long long)genc_ctx_live_arrays(ctx),
                 (long long)arrays);
      genc_scope_end(ctx, m);
      assert_int_equal(genc_ctx_live_arrays(ctx), arrays);
      assert_int_equal(genc_ctx_live_bytes(ctx), bytes);
    }
  }
  free(rec);
  genc_graph_free(g);
  genc_scope_end(ctx, mark);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_loop_equals_replays),    cmocka_unit_test(test_loop_lengths),
      cmocka_unit_test(test_pass_through_crosswise), cmocka_unit_test(test_guard_changes_mid_loop),
      cmocka_unit_test(test_bad_arguments),          cmocka_unit_test(test_memory),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
