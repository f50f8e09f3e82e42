/* The one-pass host checks (src/dist/check.c's scan of a parameter,
 * src/array/host_scan.c's count of bad weights) on eager CPU arrays must
 * accept exactly what the array-op path accepts and leave its messages
 * unchanged. Each case runs eagerly (the scan) and inside a graph capture
 * (which keeps the array-op path, guards and all); both must give the same
 * status and message, for f64, f32, i32 and bool, shared and batched, 0-d and
 * 1-d. A few cases also pin the message itself. */
#include "testutil.h"

#include "dist/internal.h"
#include "gfi/internal.h"

#define NV 4

/* How one array of NV elements is laid out. */
typedef struct layout {
  int ndim;
  int64_t shape[1];
  int64_t n;
} layout;

static const layout LAYOUTS[] = {{1, {NV}, 0}, {0, {0}, NV}, {1, {2}, 2}};

typedef struct vcase {
  genc_param_kind kind;
  double v[NV];
} vcase;

static const vcase VCASES[] = {
    {GENC_PARAM_REAL, {1, -2, NAN, 3}},
    {GENC_PARAM_REAL, {1, 2, INFINITY, 3}},
    {GENC_PARAM_REAL, {1, -INFINITY, 0, 2}},
    {GENC_PARAM_REAL, {1, -2, 0.5, 3}},
    {GENC_PARAM_POSITIVE, {1, -1.5, 2, 3}},
    {GENC_PARAM_POSITIVE, {1, 0, 2, 3}},
    {GENC_PARAM_POSITIVE, {1, NAN, 2, -3}},
    {GENC_PARAM_POSITIVE, {1, INFINITY, 2, 3}},
    {GENC_PARAM_POSITIVE, {1, 1e-310, 2, 3}},
    {GENC_PARAM_NONNEG, {-0.0, 0, 1, 2}},
    {GENC_PARAM_NONNEG, {0, -1, 1, 2}},
    {GENC_PARAM_PROB, {0, 1, 0.5, 1.5}},
    {GENC_PARAM_PROB, {0, 1, 0.5, 0.25}},
    {GENC_PARAM_PROB_POS, {0.5, 1, 0, 0.25}},
    {GENC_PARAM_LOGIT, {-INFINITY, 0, 1, 2}},
    {GENC_PARAM_LOGIT, {INFINITY, 0, 1, 2}},
    {GENC_PARAM_LOGIT, {NAN, 0, 1, 2}},
    {GENC_PARAM_INT, {1, 2.5, 3, 4}},
    {GENC_PARAM_INT, {1, -2, 3, 4}},
    {GENC_PARAM_COUNT, {1, -1, 2, 3}},
    {GENC_PARAM_COUNT, {1, 0, 2, 3}},
    {GENC_PARAM_ANY, {NAN, 0, 1, 2}},
    {GENC_PARAM_ANY, {INFINITY, -INFINITY, 0, 1}},
};

/* An array of dtype dt holding the n values v (NULL: dt cannot hold them). */
static genc_array *make(genc_ctx *ctx, genc_dtype dt, const layout *l, int nv, const double *v) {
  float f[NV];
  int32_t i[NV];
  uint8_t b[NV];
  for (int k = 0; k < nv; k++) {
    if (dt != GENC_F64 && dt != GENC_F32 && !isfinite(v[k])) return NULL;
    f[k] = (float)v[k];
    i[k] = (int32_t)v[k];
    b[k] = v[k] != 0;
  }
  const void *data = dt == GENC_F64   ? (const void *)v
                     : dt == GENC_F32 ? (const void *)f
                     : dt == GENC_I32 ? (const void *)i
                                      : (const void *)b;
  return genc_array_from(ctx, dt, l->ndim, l->shape, l->n, data);
}

typedef struct job {
  genc_param_kind kind;
  bool weight; /* genc__check_weight instead of genc_dist_check_array */
} job;

static genc_status run_check(genc_ctx *ctx, const job *j, genc_array *x) {
  if (j->weight) return genc__check_weight(ctx, x, "m", "score");
  return genc_dist_check_array(ctx, "normal", "sigma", x, j->kind);
}

static genc_status captured(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                            genc_array **out, void *user) {
  (void)keys;
  (void)out;
  return run_check(ctx, user, in[0]);
}

/* The eager status and message of the check of x equal the captured ones. */
static void same_both_ways(genc_ctx *ctx, const job *j, genc_array *x) {
  char eager[1024] = "";
  genc_status se = run_check(ctx, j, x);
  if (se) snprintf(eager, sizeof eager, "%s", genc_ctx_error(ctx));
  genc_ctx_clear_error(ctx);
  genc_graph *g = genc_graph_capture(ctx, captured, (void *)j, 0, NULL, 1, &x, 0, NULL);
  genc_status sc = g ? GENC_OK : genc_ctx_status(ctx);
  if (sc != se || (se && strcmp(eager, genc_ctx_error(ctx))))
    fail_msg("kind %d weight %d: eager %d \"%s\", captured %d \"%s\"", (int)j->kind, (int)j->weight,
             (int)se, eager, (int)sc, sc ? genc_ctx_error(ctx) : "");
  genc_graph_free(g);
  genc_ctx_clear_error(ctx);
}

/* Every case, dtype and layout, and each value alone as a shared 0-d array. */
static void test_params_agree(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  const genc_dtype dts[] = {GENC_F64, GENC_F32, GENC_I32, GENC_BOOL};
  const layout single = {0, {0}, 0};
  for (size_t c = 0; c < sizeof VCASES / sizeof VCASES[0]; c++)
    for (size_t d = 0; d < 4; d++) {
      int64_t mark = genc_scope_begin(ctx);
      job j = {VCASES[c].kind, false};
      for (size_t l = 0; l < sizeof LAYOUTS / sizeof LAYOUTS[0]; l++) {
        genc_array *x = make(ctx, dts[d], &LAYOUTS[l], NV, VCASES[c].v);
        if (x) same_both_ways(ctx, &j, x);
      }
      for (int k = 0; k < NV; k++) {
        genc_array *x = make(ctx, dts[d], &single, 1, &VCASES[c].v[k]);
        if (x) same_both_ways(ctx, &j, x);
      }
      genc_scope_end(ctx, mark);
    }
  genc_ctx_free(ctx);
}

static void expect_msg(genc_ctx *ctx, genc_status st, const char *msg) {
  if (st != GENC_ERR_DOMAIN) fail_msg("status %d, not GENC_ERR_DOMAIN, for \"%s\"", (int)st, msg);
  if (!strstr(genc_ctx_error(ctx), msg)) fail_msg("\"%s\" lacks \"%s\"", genc_ctx_error(ctx), msg);
  genc_ctx_clear_error(ctx);
}

/* The messages themselves: NaN, +inf and a negative scale, f32 and f64,
 * batched and single; a valid array passes. */
static void test_param_messages(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  const char *pos = "normal: parameter sigma must be finite and > 0 (got %s)";
  const double bad[] = {NAN, INFINITY, -1.5};
  const char *got[] = {"nan", "inf", "-1.5"};
  const genc_dtype dts[] = {GENC_F64, GENC_F32};
  for (int d = 0; d < 2; d++)
    for (int b = 0; b < 3; b++) {
      double v[NV] = {1, 2, bad[b], 3};
      char msg[128];
      snprintf(msg, sizeof msg, pos, got[b]);
      const layout single = {0, {0}, 0};
      expect_msg(ctx,
                 genc_dist_check_array(ctx, "normal", "sigma", make(ctx, dts[d], &single, 1, &v[2]),
                                       GENC_PARAM_POSITIVE),
                 msg);
      for (size_t l = 0; l < sizeof LAYOUTS / sizeof LAYOUTS[0]; l++)
        expect_msg(ctx,
                   genc_dist_check_array(ctx, "normal", "sigma",
                                         make(ctx, dts[d], &LAYOUTS[l], NV, v),
                                         GENC_PARAM_POSITIVE),
                   msg);
      v[2] = 0.5;
      assert_int_equal(genc_dist_check_array(ctx, "normal", "sigma",
                                             make(ctx, dts[d], &LAYOUTS[1], NV, v),
                                             GENC_PARAM_POSITIVE),
                       GENC_OK);
    }
  /* a batched normal with an f32 scale fails from the sampler too */
  float s[3] = {1, -2, 1};
  genc_dist nd = genc_normal(ctx, 0.0, genc_array_from(ctx, GENC_F32, 0, NULL, 3, s));
  assert_null(genc_dist_sample(ctx, genc_key_from_seed(1), &nd, 0));
  expect_msg(ctx, genc_ctx_status(ctx), "normal: parameter sigma must be finite and > 0 (got -2)");
  genc_ctx_free(ctx);
}

/* Weights: NaN and +inf are counted, -inf is legal; eager equals captured. */
static void test_weights(void **state) {
  (void)state;
  genc_ctx *ctx = t_ctx();
  const double vs[][NV] = {{0, NAN, 1, INFINITY}, {-INFINITY, 0, 1, 2}, {NAN, NAN, NAN, NAN}};
  const genc_dtype dts[] = {GENC_F64, GENC_F32, GENC_I32};
  job j = {GENC_PARAM_ANY, true};
  for (int d = 0; d < 3; d++)
    for (int c = 0; c < 3; c++)
      for (size_t l = 0; l < sizeof LAYOUTS / sizeof LAYOUTS[0]; l++) {
        genc_array *x = make(ctx, dts[d], &LAYOUTS[l], NV, vs[c]);
        if (x) same_both_ways(ctx, &j, x);
      }
  const char *two = "m: the score is NaN or +inf (in 2 element(s)); a weight must be a finite "
                    "number or -inf";
  for (int d = 0; d < 2; d++) {
    for (size_t l = 0; l < sizeof LAYOUTS / sizeof LAYOUTS[0]; l++)
      expect_msg(ctx,
                 genc__check_weight(ctx, make(ctx, dts[d], &LAYOUTS[l], NV, vs[0]), "m", "score"),
                 two);
    const layout single = {0, {0}, 0};
    expect_msg(ctx, genc__check_weight(ctx, make(ctx, dts[d], &single, 1, &vs[0][3]), "m", "score"),
               "m: the score is NaN or +inf (in 1 element(s))");
    assert_int_equal(
        genc__check_weight(ctx, make(ctx, dts[d], &LAYOUTS[2], NV, vs[1]), "m", "score"), GENC_OK);
  }
  genc_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_params_agree),
                                     cmocka_unit_test(test_param_messages),
                                     cmocka_unit_test(test_weights)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
