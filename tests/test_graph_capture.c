/*
 * Graph capture and interpreted replay (issue 12): for every primitive, a
 * replay on the captured inputs gives the eager result bit for bit, and a
 * replay on new inputs and a new key gives what an eager run on them gives;
 * memory stays flat over many replays; value-dependent control flow, nested
 * captures and bypasses are refused with their messages; parameter-check
 * guards make a replay fail with GENC_ERR_CAPTURE when a check would fail.
 */
#include "testutil.h"

#define N 5 /* particles of the batched variants (odd: Box-Muller pairs straddle) */

typedef genc_array *(*case_fn)(genc_ctx *ctx, genc_key key, genc_array *x, genc_array *y, int op);

typedef struct tcase {
  const char *name;
  case_fn f;
  int op;
} tcase;

static genc_status run_case(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                            genc_array **out, void *user) {
  const tcase *c = user;
  out[0] = c->f(ctx, keys[0], in[0], in[1], c->op);
  return out[0] ? GENC_OK : genc_ctx_status(ctx);
}

/* Bitwise equality of two arrays (dtype, shape, particles, bytes). */
static void assert_same(genc_ctx *ctx, const char *what, genc_array *a, genc_array *b) {
  if (!a || !b) fail_msg("%s: NULL result: %s", what, genc_ctx_error(ctx));
  assert_int_equal(genc_array_dtype(a), genc_array_dtype(b));
  assert_int_equal(genc_array_ndim(a), genc_array_ndim(b));
  assert_int_equal(genc_array_nparticles(a), genc_array_nparticles(b));
  assert_int_equal(genc_array_size(a), genc_array_size(b));
  int64_t n = genc_array_size(a) * (genc_array_nparticles(a) ? genc_array_nparticles(a) : 1);
  size_t bytes = (size_t)n * genc_dtype_size(genc_array_dtype(a));
  unsigned char *pa = malloc(bytes + 1), *pb = malloc(bytes + 1);
  assert_int_equal(genc_array_copy_raw(ctx, a, pa, bytes), GENC_OK);
  assert_int_equal(genc_array_copy_raw(ctx, b, pb, bytes), GENC_OK);
  if (memcmp(pa, pb, bytes)) fail_msg("%s: replay differs from the eager result", what);
  free(pa);
  free(pb);
}

/* Positive test values in (0.2, 1.4), batched over np particles (0: shared). */
static genc_array *values(genc_ctx *ctx, int64_t np, double shift) {
  int64_t s[2] = {3, 4}, cnt = 12 * (np ? np : 1);
  double *v = malloc((size_t)cnt * sizeof *v);
  for (int64_t i = 0; i < cnt; i++)
    v[i] = 0.2 + fmod(0.37 * (double)i + shift, 1.2);
  genc_array *a = genc_array_from(ctx, GENC_F64, 2, s, np, v);
  free(v);
  return a;
}

/* Capture c on (x, y, k1); replay it there and on (x2, y2, k2); compare. */
static void check_case(genc_ctx *ctx, const tcase *c, int64_t np) {
  int64_t m = genc_scope_begin(ctx);
  genc_key k1 = genc_key_from_seed(11), k2 = genc_key_from_seed(12);
  genc_array *in1[2] = {values(ctx, np, 0.0), values(ctx, np, 0.5)};
  genc_array *in2[2] = {values(ctx, np, 0.3), values(ctx, np, 0.9)};
  genc_array *eager1 = NULL, *r1 = NULL, *r2 = NULL;
  genc_graph *g = genc_graph_capture(ctx, run_case, (void *)c, 1, &k1, 2, in1, 1, &eager1);
  if (!g) fail_msg("%s (np %lld): capture failed: %s", c->name, (long long)np, genc_ctx_error(ctx));
  assert_true(genc_graph_nnodes(g) > 0);
  assert_int_equal(genc_graph_replay(ctx, g, &k1, in1, &r1), GENC_OK);
  char what[128];
  snprintf(what, sizeof what, "%s np=%lld same inputs", c->name, (long long)np);
  assert_same(ctx, what, eager1, r1);
  assert_int_equal(genc_graph_replay(ctx, g, &k2, in2, &r2), GENC_OK);
  genc_array *eager2 = c->f(ctx, k2, in2[0], in2[1], c->op);
  snprintf(what, sizeof what, "%s np=%lld new inputs", c->name, (long long)np);
  assert_same(ctx, what, eager2, r2);
  genc_graph_free(g);
  genc_scope_end(ctx, m);
}

static void check_all(genc_ctx *ctx, const tcase *cs, int n, bool shared, bool batched) {
  for (int i = 0; i < n; i++) {
    if (shared) check_case(ctx, &cs[i], 0);
    if (batched) check_case(ctx, &cs[i], N);
  }
}

/* ---- elementwise ---- */

static genc_array *f_unary(genc_ctx *ctx, genc_key k, genc_array *x, genc_array *y, int op) {
  (void)k, (void)y;
  return genc_unary(ctx, (genc_unary_op)op, x);
}

static genc_array *f_binary(genc_ctx *ctx, genc_key k, genc_array *x, genc_array *y, int op) {
  (void)k;
  return genc_binary(ctx, (genc_binary_op)op, genc_mul(ctx, x, 3.0), y);
}

static genc_array *f_misc(genc_ctx *ctx, genc_key k, genc_array *x, genc_array *y, int op) {
  (void)k;
  switch (op) {
  case 0: return genc_where(ctx, genc_gt(ctx, x, y), x, genc_neg(ctx, y));
  case 1: return genc_astype(ctx, genc_mul(ctx, x, 10.0), GENC_I32);
  case 2: return genc_astype(ctx, x, GENC_F32);
  case 3: return genc_stop_gradient(ctx, genc_add(ctx, x, y));
  case 4: return genc_mul(ctx, genc_astype(ctx, x, GENC_F32), 2.5); /* f32 stays f32 */
  default: return genc_logical_and(ctx, genc_gt(ctx, x, 0.5), genc_lt(ctx, y, 1.0));
  }
}

static void test_elementwise(void **state) {
  genc_ctx *ctx = *state;
  tcase cs[GENC_UNARY_COUNT + GENC_BINARY_COUNT + 6];
  int n = 0;
  for (int op = 0; op < GENC_UNARY_COUNT; op++)
    cs[n++] = (tcase){"unary", f_unary, op};
  for (int op = 0; op < GENC_BINARY_COUNT; op++)
    cs[n++] = (tcase){"binary", f_binary, op};
  for (int op = 0; op < 6; op++)
    cs[n++] = (tcase){"misc", f_misc, op};
  check_all(ctx, cs, n, true, true);
}

/* ---- reductions and scans ---- */

static genc_array *f_reduce(genc_ctx *ctx, genc_key k, genc_array *x, genc_array *y, int op) {
  (void)k, (void)y;
  int ax1 = 1, ax0 = 0;
  switch (op) {
  case 0: return genc_sum(ctx, x, 1, &ax1, false);
  case 1: return genc_logsumexp(ctx, x, 0, NULL, false);
  case 2: return genc_argmax(ctx, x, 0, false);
  case 3: return genc_max(ctx, x, 1, &ax1, true);
  case 4: return genc_prod(ctx, x, 1, &ax0, false);
  case 5: return genc_mean(ctx, x, 0, NULL, false);
  case 6: return genc_cumsum(ctx, x, 1);
  case 7: return genc_cumlogsumexp(ctx, x, 0);
  default: return genc_min(ctx, x, 0, NULL, true);
  }
}

static genc_array *f_particle(genc_ctx *ctx, genc_key k, genc_array *x, genc_array *y, int op) {
  (void)k;
  int32_t iv[4] = {4, 0, 0, 2};
  int64_t four = 4;
  switch (op) {
  case 0: return genc_particle_reduce(ctx, GENC_RLOGSUMEXP, x);
  case 1: return genc_particle_get(ctx, x, 3);
  case 2: return genc_particle_take(ctx, x, genc_array_from(ctx, GENC_I32, 1, &four, 0, iv));
  case 3: return genc_particle_from_axis(ctx, genc_exp(ctx, genc_particle_to_axis(ctx, x)));
  case 4: return genc_particle_concat(ctx, 2, (genc_array *[]){x, y});
  default: return genc_particle_reduce(ctx, GENC_RSUM, genc_mul(ctx, x, y));
  }
}

static genc_array *f_bcast(genc_ctx *ctx, genc_key k, genc_array *x, genc_array *y, int op) {
  (void)k, (void)y, (void)op;
  return genc_particle_broadcast(ctx, genc_exp(ctx, x), 3);
}

static void test_reduce_scan_particle(void **state) {
  genc_ctx *ctx = *state;
  tcase red[9], part[6];
  for (int op = 0; op < 9; op++)
    red[op] = (tcase){"reduce", f_reduce, op};
  for (int op = 0; op < 6; op++)
    part[op] = (tcase){"particle", f_particle, op};
  check_all(ctx, red, 9, true, true);
  check_all(ctx, part, 6, false, true);
  tcase b = {"particle_broadcast", f_bcast, 0};
  check_all(ctx, &b, 1, true, false);
}

/* ---- layout and indexing ---- */

static genc_array *f_layout(genc_ctx *ctx, genc_key k, genc_array *x, genc_array *y, int op) {
  (void)k;
  int perm[2] = {1, 0};
  int64_t s3[3] = {2, 3, 4}, s2[2] = {4, 3}, two = 2;
  int32_t iv[3] = {3, 0, 3}, rows[2] = {2, 0};
  genc_array *idx = genc_array_from(ctx, GENC_I32, 1, (int64_t[]){3}, 0, iv);
  switch (op) {
  case 0: return genc_slice(ctx, x, 1, 1, 4, 2);
  case 1: return genc_concat(ctx, 2, (genc_array *[]){x, y}, 0);
  case 2: return genc_permute(ctx, x, 2, perm);
  case 3: return genc_reshape(ctx, x, 2, s2);
  case 4: return genc_broadcast_to(ctx, x, 3, s3);
  case 5: return genc_take(ctx, x, idx, 1);
  case 6: return genc_take(ctx, y, genc_array_from(ctx, GENC_I32, 1, &two, 0, rows), 0);
  case 7: {
    genc_array *am = genc_argmax(ctx, x, 1, true);
    return genc_take_along(ctx, y, am, 1);
  }
  case 8: return genc_scatter_add(ctx, x, idx, genc_slice(ctx, y, 1, 0, 3, 1), 1);
  case 9: return genc_one_hot(ctx, genc_argmax(ctx, x, 1, false), 4);
  case 10: return genc_stack(ctx, 3, (genc_array *[]){x, y, x}, 1);
  case 11: return genc_concat(ctx, 5, (genc_array *[]){x, y, x, y, x}, 1); /* grouped */
  case 12: return genc_squeeze(ctx, genc_expand_dims(ctx, x, 0), 0);
  default: {
    genc_array *sorted = genc_array_linspace(ctx, GENC_F64, 0.0, 1.5, 7);
    return genc_searchsorted(ctx, sorted, x, false);
  }
  }
}

static void test_layout_index(void **state) {
  genc_ctx *ctx = *state;
  tcase cs[14];
  for (int op = 0; op < 14; op++)
    cs[op] = (tcase){"layout", f_layout, op};
  check_all(ctx, cs, 14, true, true);
}

/* ---- linear algebra ---- */

static genc_array *f_linalg(genc_ctx *ctx, genc_key k, genc_array *x, genc_array *y, int op) {
  (void)k;
  genc_array *a = genc_add(ctx, genc_matmul(ctx, x, genc_transpose(ctx, x)),
                           genc_mul(ctx, genc_array_eye(ctx, GENC_F64, 3), 4.0));
  switch (op) {
  case 0: return genc_matmul(ctx, x, genc_transpose(ctx, y));
  case 1: return genc_cholesky(ctx, a);
  case 2: return genc_triangular_solve(ctx, genc_cholesky(ctx, a), y, true, false);
  case 3: return genc_logdet(ctx, a);
  case 4: return genc_inv(ctx, a);
  default: return genc_matmul(ctx, genc_slice(ctx, y, 0, 0, 1, 1), genc_transpose(ctx, x));
  }
}

static void test_linalg(void **state) {
  genc_ctx *ctx = *state;
  tcase cs[6];
  for (int op = 0; op < 6; op++)
    cs[op] = (tcase){"linalg", f_linalg, op};
  check_all(ctx, cs, 6, true, true);
}

/* ---- samplers: keys derived from the key input ---- */

static genc_array *f_sample(genc_ctx *ctx, genc_key key, genc_array *x, genc_array *y, int op) {
  genc_key ks[3];
  genc_key_split(key, 3, ks);
  genc_key k = genc_key_fold_in(ks[2], 77);
  int64_t n = genc_array_nparticles(x), s[2] = {3, 4};
  switch (op) {
  case 0: return genc_add(ctx, genc_random_uniform(ctx, k, GENC_F64, 2, s, n), x);
  case 1: return genc_mul(ctx, genc_random_normal(ctx, ks[1], GENC_F64, 2, s, n), y);
  case 2: return genc_random_exponential(ctx, genc_key_particle(k, 3), GENC_F32, 1, s, n);
  case 3: return genc_random_gumbel(ctx, k, GENC_F64, 0, NULL, n);
  case 4: return genc_random_bits(ctx, k, 2, s, n);
  case 5: return genc_random_gamma(ctx, k, genc_mul(ctx, x, 3.0), 0);
  case 6: return genc_random_log_gamma(ctx, k, genc_mul(ctx, x, 0.1), 0);
  case 7: return genc_random_poisson(ctx, k, genc_mul(ctx, x, 20.0), 0);
  case 8: return genc_random_binomial(ctx, k, genc_scalar(ctx, 30.0), genc_sigmoid(ctx, y), 0);
  case 9: return genc_random_bernoulli(ctx, k, genc_sigmoid(ctx, genc_sub(ctx, x, y)), 0);
  case 10: return genc_random_categorical(ctx, k, genc_log(ctx, x), 0);
  case 11: return genc_random_permutation(ctx, k, 6, n);
  default: return genc_random_normal(ctx, key, GENC_F64, 1, s, n); /* the key input itself */
  }
}

static void test_samplers(void **state) {
  genc_ctx *ctx = *state;
  tcase cs[13];
  for (int op = 0; op < 13; op++)
    cs[op] = (tcase){"sample", f_sample, op};
  check_all(ctx, cs, 13, true, true);
}

/* A draw whose key is not derived from a key input is a constant: same draws. */
static genc_status const_key(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                             genc_array **out, void *user) {
  (void)keys, (void)user;
  genc_array *z = genc_random_normal(ctx, genc_key_from_seed(5), GENC_F64, 0, NULL, 0);
  out[0] = genc_add(ctx, in[0], z);
  return out[0] ? GENC_OK : genc_ctx_status(ctx);
}

static void test_constant_key(void **state) {
  genc_ctx *ctx = *state;
  int64_t m = genc_scope_begin(ctx);
  genc_key k = genc_key_from_seed(1);
  genc_array *x = genc_scalar(ctx, 1.0), *e = NULL, *r = NULL;
  genc_graph *g = genc_graph_capture(ctx, const_key, NULL, 1, &k, 1, &x, 1, &e);
  T_OK(ctx, g);
  assert_int_equal(genc_graph_nnodes(g), 1); /* only the add: the draw is a constant */
  genc_array *x2 = genc_scalar(ctx, 3.0);
  assert_int_equal(genc_graph_replay(ctx, g, &k, &x2, &r), GENC_OK);
  T_CLOSE(t_item(ctx, r) - t_item(ctx, e), 2.0, 1e-15);
  genc_graph_free(g);
  genc_scope_end(ctx, m);
}

/* A C number's weak dtype survives an op on it (exp of a weak scalar is weak,
 * so times an f32 array it stays f32): the replay keeps the flag. */
static genc_status weak_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                           genc_array **out, void *user) {
  (void)keys, (void)user;
  genc_array *v = genc_astype(ctx, genc_array_vec(ctx, 2, (double[]){1.5, -2}), GENC_F32);
  out[0] = genc_mul(ctx, genc_exp(ctx, in[0]), v);
  return out[0] ? GENC_OK : genc_ctx_status(ctx);
}

static void test_weak(void **state) {
  genc_ctx *ctx = *state;
  int64_t m = genc_scope_begin(ctx);
  genc_array *x = genc_scalar_weak(ctx, 0.5), *x2 = genc_scalar_weak(ctx, 0.25), *e, *r;
  genc_graph *g = genc_graph_capture(ctx, weak_fn, NULL, 0, NULL, 1, &x, 1, &e);
  T_OK(ctx, g);
  assert_int_equal(genc_array_dtype(e), GENC_F32);
  assert_int_equal(genc_graph_replay(ctx, g, NULL, &x2, &r), GENC_OK);
  assert_int_equal(weak_fn(ctx, NULL, &x2, &e, NULL), GENC_OK);
  assert_same(ctx, "weak", e, r);
  genc_graph_free(g);
  /* the accessors and add_output outside a capture */
  assert_int_equal(genc_graph_nnodes(NULL) + genc_graph_noutputs(NULL), 0);
  assert_int_equal(genc_graph_add_output(ctx, x), GENC_ERR_ARG);
  genc_ctx_clear_error(ctx);
  genc_scope_end(ctx, m);
}

/* ---- gradients: a capture records the backward pass too ---- */

static genc_status grad_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                           genc_array **out, void *user) {
  (void)keys, (void)user;
  genc_status st = genc_tape_begin(ctx);
  if (st) return st;
  genc_array *x = genc_tape_watch(ctx, in[0]);
  genc_array *y = genc_sum_all(ctx, genc_mul(ctx, genc_exp(ctx, x), genc_sin(ctx, x)));
  genc_array *gr = NULL;
  st = genc_tape_backward(ctx, y, NULL, 1, &x, &gr);
  genc_tape_end(ctx);
  out[0] = gr;
  out[1] = y;
  return st;
}

static void test_gradient(void **state) {
  genc_ctx *ctx = *state;
  int64_t m = genc_scope_begin(ctx);
  genc_array *x = values(ctx, N, 0.0), *x2 = values(ctx, N, 0.7), *e[2], *r[2], *e2[2];
  genc_graph *g = genc_graph_capture(ctx, grad_fn, NULL, 0, NULL, 1, &x, 2, e);
  T_OK(ctx, g);
  assert_int_equal(genc_graph_replay(ctx, g, NULL, &x2, r), GENC_OK);
  assert_int_equal(grad_fn(ctx, NULL, &x2, e2, NULL), GENC_OK);
  assert_same(ctx, "gradient", e2[0], r[0]);
  assert_same(ctx, "value", e2[1], r[1]);
  genc_graph_free(g);
  genc_scope_end(ctx, m);
}

/* ---- repeated work is captured once ---- */

/* exp(x) twice, two equal draws (the same key), and work on a copy of x (as a
 * gradient's tape re-runs a forward on copies of its leaves): the graph keeps
 * one exp, one draw, one sin, and every output equals the eager one. A
 * different parameter (exp(2x) against exp(x)) is no repeat. */
static genc_status repeat_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                             genc_array **out, void *user) {
  (void)user;
  genc_array *x = in[0];
  genc_array *a = genc_add(ctx, genc_exp(ctx, x), genc_exp(ctx, x));
  genc_array *z1 = genc_random_normal(ctx, keys[0], GENC_F64, 0, NULL, N);
  genc_array *z2 = genc_random_normal(ctx, keys[0], GENC_F64, 0, NULL, N);
  genc_tape_begin(ctx);
  genc_array *xc = genc_tape_watch(ctx, x); /* a copy of x under a capture */
  genc_array *s = genc_add(ctx, genc_sin(ctx, x), genc_sin(ctx, xc));
  genc_tape_end(ctx);
  out[0] = genc_add(ctx, genc_add(ctx, a, genc_sub(ctx, z1, z2)), s);
  out[1] = genc_exp(ctx, genc_mul(ctx, x, 2.0));
  return out[0] && out[1] ? GENC_OK : genc_ctx_status(ctx);
}

static void test_common_subexpressions(void **state) {
  genc_ctx *ctx = *state;
  int64_t m = genc_scope_begin(ctx);
  genc_array *x = values(ctx, N, 0.0), *x2 = values(ctx, N, 0.7), *e[2], *r[2], *e2[2];
  genc_key k = genc_key_from_seed(5), k2 = genc_key_from_seed(6);
  genc_graph *g = genc_graph_capture(ctx, repeat_fn, NULL, 1, &k, 1, &x, 2, e);
  T_OK(ctx, g);
  /* exp, add, draw, sub, add, sin, add, add (out 0); mul, exp (out 1): 10 of the 15 recorded */
  assert_int_equal(genc_graph_nnodes(g), 10);
  assert_int_equal(genc_graph_replay(ctx, g, &k2, &x2, r), GENC_OK);
  assert_int_equal(repeat_fn(ctx, &k2, &x2, e2, NULL), GENC_OK);
  assert_same(ctx, "repeats", e2[0], r[0]);
  assert_same(ctx, "not a repeat", e2[1], r[1]);
  genc_graph_free(g);
  genc_scope_end(ctx, m);
}

/* ---- memory: a replay loop stays flat ---- */

static genc_status small_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                            genc_array **out, void *user) {
  (void)user;
  genc_key k = genc_key_fold_in(keys[0], 3);
  genc_array *z = genc_random_normal(ctx, k, GENC_F64, 0, NULL, 4);
  out[0] = genc_logsumexp(
      ctx, genc_particle_to_axis(ctx, genc_mul(ctx, genc_add(ctx, z, in[0]), genc_exp(ctx, in[0]))),
      0, NULL, false);
  return out[0] ? GENC_OK : genc_ctx_status(ctx);
}

static void test_memory_flat(void **state) {
  genc_ctx *ctx = *state;
  int64_t m = genc_scope_begin(ctx);
  genc_key k = genc_key_from_seed(3);
  genc_array *x = genc_scalar(ctx, 0.5), *e = NULL;
  genc_graph *g = genc_graph_capture(ctx, small_fn, NULL, 1, &k, 1, &x, 1, &e);
  T_OK(ctx, g);
  int64_t arrays0 = 0, bytes0 = 0;
  for (int i = 0; i < 100000; i++) {
    int64_t mi = genc_scope_begin(ctx);
    genc_key ki = genc_key_fold_in(k, (uint64_t)i);
    genc_array *r = NULL;
    if (genc_graph_replay(ctx, g, &ki, &x, &r)) fail_msg("replay %d: %s", i, genc_ctx_error(ctx));
    if (i == 0) assert_same(ctx, "first replay", small_fn(ctx, &ki, &x, &e, NULL) ? NULL : e, r);
    genc_scope_end(ctx, mi);
    if (i == 1) arrays0 = genc_ctx_live_arrays(ctx), bytes0 = genc_ctx_live_bytes(ctx);
  }
  assert_int_equal(genc_ctx_live_arrays(ctx), arrays0);
  assert_int_equal(genc_ctx_live_bytes(ctx), bytes0);
  genc_graph_free(g);
  genc_scope_end(ctx, m);
}

/* ---- refusals ---- */

static genc_status branchy(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                           genc_array **out, void *user) {
  (void)in, (void)user;
  genc_array *z = genc_random_normal(ctx, keys[0], GENC_F64, 0, NULL, 0);
  double v = 0;
  genc_status st = genc_array_item(ctx, z, &v);
  if (st) return st;
  out[0] = v > 0 ? z : genc_neg(ctx, z);
  return GENC_OK;
}

static genc_status nested(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                          genc_array **out, void *user) {
  (void)user;
  genc_graph *g = genc_graph_capture(ctx, branchy, NULL, 1, keys, 0, in, 1, out);
  genc_graph_free(g);
  return g ? GENC_OK : genc_ctx_status(ctx);
}

static void test_refusals(void **state) {
  genc_ctx *ctx = *state;
  int64_t m = genc_scope_begin(ctx);
  genc_key k = genc_key_from_seed(4);
  genc_array *out = NULL;
  assert_null(genc_graph_capture(ctx, branchy, NULL, 1, &k, 0, NULL, 1, &out));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_CAPTURE);
  assert_non_null(strstr(genc_ctx_error(ctx),
                         "capture: genc_array_item reads a value that depends on the inputs (made "
                         "by 'random'); a function whose control flow depends on values cannot "
                         "be captured"));
  genc_ctx_clear_error(ctx);
  /* the same function without a capture is fine, and a capture works after */
  assert_int_equal(branchy(ctx, &k, NULL, &out, NULL), GENC_OK);
  assert_null(genc_graph_capture(ctx, nested, NULL, 1, &k, 0, NULL, 1, &out));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_CAPTURE);
  assert_non_null(strstr(genc_ctx_error(ctx), "captures do not nest"));
  genc_ctx_clear_error(ctx);
  assert_false(genc_graph_capturing(ctx));
  /* bad arguments and a replay with the wrong input */
  genc_array *x = genc_scalar(ctx, 1.0), *xs[2] = {x, x};
  assert_null(genc_graph_capture(ctx, const_key, NULL, 0, NULL, 2, xs, 1, &out));
  assert_int_equal(genc_ctx_status(ctx), GENC_ERR_ARG);
  genc_ctx_clear_error(ctx);
  genc_graph *g = genc_graph_capture(ctx, const_key, NULL, 0, NULL, 1, &x, 1, &out);
  T_OK(ctx, g);
  genc_array *v = genc_array_vec(ctx, 2, (double[]){1, 2});
  assert_int_equal(genc_graph_replay(ctx, g, NULL, &v, &out), GENC_ERR_SHAPE);
  assert_non_null(strstr(genc_ctx_error(ctx), "input 0 is f64 [2]"));
  genc_ctx_clear_error(ctx);
  genc_graph_free(g);
  genc_scope_end(ctx, m);
}

/* ---- guards: a parameter check that would fail makes the replay refuse ---- */

static genc_status logpdf_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                             genc_array **out, void *user) {
  (void)keys, (void)user;
  genc_dist d = genc_normal(ctx, 0.5, in[0]);
  out[0] = genc_dist_logpdf(ctx, &d, in[1]);
  return out[0] ? GENC_OK : genc_ctx_status(ctx);
}

static void test_guard(void **state) {
  genc_ctx *ctx = *state;
  int64_t m = genc_scope_begin(ctx);
  genc_array *in[2] = {genc_scalar(ctx, 1.0), values(ctx, N, 0.0)}, *e = NULL, *r = NULL;
  genc_graph *g = genc_graph_capture(ctx, logpdf_fn, NULL, 0, NULL, 2, in, 1, &e);
  T_OK(ctx, g);
  assert_true(genc_graph_nguards(g) >= 1);
  genc_array *in2[2] = {genc_scalar(ctx, 2.0), values(ctx, N, 0.4)};
  assert_int_equal(genc_graph_replay(ctx, g, NULL, in2, &r), GENC_OK);
  assert_int_equal(logpdf_fn(ctx, NULL, in2, &e, NULL), GENC_OK);
  assert_same(ctx, "logpdf new sigma", e, r);
  genc_array *bad[2] = {genc_scalar(ctx, -1.0), in2[1]};
  assert_int_equal(genc_graph_replay(ctx, g, NULL, bad, &r), GENC_ERR_CAPTURE);
  assert_non_null(strstr(genc_ctx_error(ctx), "guard changed: rerun eagerly"));
  genc_ctx_clear_error(ctx);
  /* the eager rerun gives the eager error */
  assert_int_equal(logpdf_fn(ctx, NULL, bad, &e, NULL), GENC_ERR_DOMAIN);
  genc_ctx_clear_error(ctx);
  genc_graph_free(g);
  genc_scope_end(ctx, m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_elementwise),  cmocka_unit_test(test_reduce_scan_particle),
      cmocka_unit_test(test_layout_index), cmocka_unit_test(test_linalg),
      cmocka_unit_test(test_samplers),     cmocka_unit_test(test_constant_key),
      cmocka_unit_test(test_gradient),     cmocka_unit_test(test_memory_flat),
      cmocka_unit_test(test_refusals),     cmocka_unit_test(test_guard),
      cmocka_unit_test(test_weak),         cmocka_unit_test(test_common_subexpressions),
  };
  return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
