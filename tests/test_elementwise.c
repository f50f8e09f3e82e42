/*
 * Elementwise ops: values against scipy fixtures (tests/fixtures/array_ops.json,
 * made by tools/fixtures/array_ops.py) and libm at ordinary points, tails and
 * special values; dtype promotion; broadcasting and the particle axis; where;
 * astype; errors.
 *
 * Tolerances. f64 against libm: the kernels call the same libm, so results
 * agree to 1e-15 relative (exactly, in practice). f64 against scipy: per-op
 * bounds below, all <= 1e-12; each is a few times the error measured when the
 * test was written (printed by the test). f32: compared with the f64 op applied
 * to the same f32-rounded input, then rounded to f32, so only the f32 kernel's
 * own error (a few ulp, ~1e-7) is measured: 1e-5 relative leaves a margin.
 */
#include <cjson/cJSON.h>
#include <float.h>

#include "testutil.h"

static genc_ctx *ctx;
static cJSON *fix;

static int setup(void **s) {
  (void)s;
  ctx = t_ctx();
  FILE *f = fopen(GENC_FIXTURES "/array_ops.json", "rb");
  if (!f || !ctx) return -1;
  static char buf[1 << 17];
  size_t len = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[len] = 0;
  fix = cJSON_Parse(buf);
  return fix ? 0 : -1;
}

static int teardown(void **s) {
  (void)s;
  cJSON_Delete(fix);
  genc_ctx_free(ctx);
  return 0;
}

/* ---- helpers ---- */

static genc_array *vec(int64_t n, const double *v) {
  genc_array *a = genc_array_vec(ctx, n, v);
  T_OK(ctx, a);
  return a;
}

static double *host(genc_array *a) {
  T_OK(ctx, a);
  int64_t n = genc_array_size(a) * (genc_array_nparticles(a) ? genc_array_nparticles(a) : 1);
  double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
  assert_int_equal(genc_array_copy_out(ctx, a, v, n), GENC_OK);
  return v;
}

/* Relative error with NaN/inf handled as classes; values below @p tiny in
 * magnitude on both sides count as equal (denormal underflow). */
static double relerr(double a, double b, double tiny) {
  if (isnan(b) || isnan(a)) return isnan(a) && isnan(b) ? 0 : INFINITY;
  if (isinf(b) || isinf(a)) return a == b ? 0 : INFINITY;
  if (fabs(a) < tiny && fabs(b) < tiny) return 0;
  return fabs(a - b) / fmax(fabs(b), tiny);
}

static double jnum(cJSON *v) {
  if (cJSON_IsNumber(v)) return v->valuedouble;
  const char *s = cJSON_GetStringValue(v);
  assert_non_null(s);
  return !strcmp(s, "inf") ? INFINITY : !strcmp(s, "-inf") ? -INFINITY : NAN;
}

static void expect_err(genc_array *r, genc_status st, const char *s1, const char *s2) {
  assert_null(r);
  assert_int_equal(genc_ctx_status(ctx), st);
  const char *msg = genc_ctx_error(ctx);
  if (s1 && !strstr(msg, s1)) fail_msg("message '%s' lacks '%s'", msg, s1);
  if (s2 && !strstr(msg, s2)) fail_msg("message '%s' lacks '%s'", msg, s2);
  genc_ctx_clear_error(ctx);
}

/* f32 check: op in f32 on x rounded to f32, against the f64 op on the same
 * rounded input, rounded to f32. */
static void check_f32(genc_unary_op op, const char *name, int64_t n, const double *x) {
  genc_array *xf = genc_astype(ctx, vec(n, x), GENC_F32);
  genc_array *yf = genc_unary(ctx, op, xf);
  T_OK(ctx, yf);
  assert_int_equal(genc_array_dtype(yf), GENC_F32);
  double *got = host(yf), *ref = host(genc_unary(ctx, op, genc_astype(ctx, xf, GENC_F64)));
  double *xr = host(xf);
  for (int64_t i = 0; i < n; i++) {
    double want = (double)(float)ref[i], e = relerr(got[i], want, 1e-35);
    if (!(e <= 1e-5))
      fail_msg("f32 %s(%.9g) = %.9g, expected %.9g (rel err %.3g)", name, xr[i], got[i], want, e);
  }
  free(got), free(ref), free(xr);
}

/* ---- special functions against scipy ---- */

typedef struct {
  const char *name;
  genc_unary_op op;
  double tol;
} sf_case;

/* Bounds are a few times the worst error measured when written (printed by the
 * test): erf 1.3e-16, erfc 3.8e-16, erfinv 1.7e-16, lgamma 9.9e-16, digamma
 * 3.4e-15 and trigamma 2.7e-15 (the recurrence up to x >= 10 sums terms of
 * mixed sign), softplus/log_sigmoid 0, sigmoid 2.0e-16, expm1 1.2e-16, log1p
 * 2.0e-16. */
static const sf_case SF[] = {
    {"erf", GENC_ERF, 1e-15},           {"erfc", GENC_ERFC, 2e-15},
    {"erfinv", GENC_ERFINV, 1e-15},     {"lgamma", GENC_LGAMMA, 5e-15},
    {"digamma", GENC_DIGAMMA, 2e-14},   {"trigamma", GENC_TRIGAMMA, 2e-14},
    {"softplus", GENC_SOFTPLUS, 1e-15}, {"log_sigmoid", GENC_LOG_SIGMOID, 1e-15},
    {"sigmoid", GENC_SIGMOID, 1e-15},   {"expm1", GENC_EXPM1, 1e-15},
    {"log1p", GENC_LOG1P, 1e-15},
};

static void test_special_functions(void **s) {
  (void)s;
  cJSON *f64 = cJSON_GetObjectItem(fix, "f64");
  assert_non_null(f64);
  for (size_t c = 0; c < sizeof SF / sizeof SF[0]; c++) {
    int64_t mark = genc_scope_begin(ctx);
    cJSON *pts = cJSON_GetObjectItem(f64, SF[c].name);
    int n = cJSON_GetArraySize(pts);
    assert_true(n >= 20);
    double *x = malloc((size_t)n * sizeof *x), *want = malloc((size_t)n * sizeof *want);
    for (int i = 0; i < n; i++) {
      x[i] = jnum(cJSON_GetArrayItem(cJSON_GetArrayItem(pts, i), 0));
      want[i] = jnum(cJSON_GetArrayItem(cJSON_GetArrayItem(pts, i), 1));
    }
    double *got = host(genc_unary(ctx, SF[c].op, vec(n, x))), worst = 0;
    for (int i = 0; i < n; i++) {
      double e = relerr(got[i], want[i], 1e-300);
      if (!(e <= SF[c].tol))
        fail_msg("%s(%.17g) = %.17g, scipy %.17g (rel err %.3g > %.3g)", SF[c].name, x[i], got[i],
                 want[i], e, SF[c].tol);
      worst = fmax(worst, e);
    }
    print_message("%-12s %2d points, worst rel err vs scipy %.2e\n", SF[c].name, n, worst);
    check_f32(SF[c].op, SF[c].name, n, x);
    free(x), free(want), free(got);
    genc_scope_end(ctx, mark);
  }
}

/* ---- unary ops against libm ---- */

static double neg_(double x) { return -x; }
static double sq_(double x) { return x * x; }
static double rcp_(double x) { return 1 / x; }
static double sign_(double x) { return isnan(x) ? x : (double)((x > 0) - (x < 0)); }
static double fin_(double x) { return isfinite(x) ? 1 : 0; }
static double not_(double x) { return x == 0 ? 1 : 0; }
static double lgam_(double x) { return lgamma(x); }

typedef struct {
  genc_unary_op op;
  const char *name;
  double (*f)(double);
} libm_case;

static const libm_case LIBM[] = {
    {GENC_NEG, "neg", neg_},
    {GENC_ABS, "abs", fabs},
    {GENC_SIGN, "sign", sign_},
    {GENC_EXP, "exp", exp},
    {GENC_EXPM1, "expm1", expm1},
    {GENC_LOG, "log", log},
    {GENC_LOG1P, "log1p", log1p},
    {GENC_SQRT, "sqrt", sqrt},
    {GENC_SQUARE, "square", sq_},
    {GENC_SIN, "sin", sin},
    {GENC_COS, "cos", cos},
    {GENC_TAN, "tan", tan},
    {GENC_TANH, "tanh", tanh},
    {GENC_ERF, "erf", erf},
    {GENC_ERFC, "erfc", erfc},
    {GENC_LGAMMA, "lgamma", lgam_},
    {GENC_FLOOR, "floor", floor},
    {GENC_CEIL, "ceil", ceil},
    {GENC_ROUND, "round", round},
    {GENC_RECIPROCAL, "reciprocal", rcp_},
    {GENC_ISFINITE, "isfinite", fin_},
    {GENC_NOT, "logical_not", not_},
};

static const double PTS[] = {0.0,   -0.0,   0.5,  -0.5,     1.0,       -1.0,    2.5,   -2.5,
                             3.7,   -3.7,   10.0, -10.0,    1e-300,    -1e-300, 1e300, -1e300,
                             700.0, -745.0, 1e-8, INFINITY, -INFINITY, NAN};
#define NPTS ((int64_t)(sizeof PTS / sizeof PTS[0]))

static void test_unary_libm(void **s) {
  (void)s;
  for (size_t c = 0; c < sizeof LIBM / sizeof LIBM[0]; c++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_array *y = genc_unary(ctx, LIBM[c].op, vec(NPTS, PTS));
    T_OK(ctx, y);
    bool boolean = LIBM[c].op == GENC_ISFINITE || LIBM[c].op == GENC_NOT;
    assert_int_equal(genc_array_dtype(y), boolean ? GENC_BOOL : GENC_F64);
    double *got = host(y);
    for (int64_t i = 0; i < NPTS; i++) {
      double want = LIBM[c].f(PTS[i]);
      if (LIBM[c].op == GENC_NOT && isnan(PTS[i])) want = 0; /* NaN is truthy */
      if (!(relerr(got[i], want, 1e-300) <= 1e-15))
        fail_msg("%s(%.17g) = %.17g, libm %.17g", LIBM[c].name, PTS[i], got[i], want);
    }
    free(got);
    if (!boolean) check_f32(LIBM[c].op, LIBM[c].name, NPTS, PTS);
    genc_scope_end(ctx, mark);
  }
  /* signed zero and round-half-away details */
  int64_t mark = genc_scope_begin(ctx);
  double z[3] = {-0.0, 0.5, -0.5};
  double *r = host(genc_round(ctx, vec(3, z)));
  assert_true(signbit(r[0]) && r[1] == 1 && r[2] == -1);
  free(r);
  r = host(genc_neg(ctx, vec(1, z + 1)));
  assert_true(r[0] == -0.5);
  free(r);
  genc_scope_end(ctx, mark);
}

static void test_unary_ints(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  int32_t iv[4] = {-3, 0, 2, 7};
  int64_t s4[1] = {4};
  genc_array *x = genc_array_from(ctx, GENC_I32, 1, s4, 0, iv);
  genc_unary_op keep[4] = {GENC_NEG, GENC_ABS, GENC_SIGN, GENC_SQUARE};
  double want[4][4] = {{3, 0, -2, -7}, {3, 0, 2, 7}, {-1, 0, 1, 1}, {9, 0, 4, 49}};
  for (int k = 0; k < 4; k++) {
    genc_array *y = genc_unary(ctx, keep[k], x);
    T_OK(ctx, y);
    assert_int_equal(genc_array_dtype(y), GENC_I32);
    for (int i = 0; i < 4; i++)
      T_CLOSE(t_at(ctx, y, i), want[k][i], 0);
  }
  /* float ops on integers compute in f64 */
  genc_array *e = genc_exp(ctx, x);
  assert_int_equal(genc_array_dtype(e), GENC_F64);
  T_CLOSE(t_at(ctx, e, 3), exp(7.0), 1e-15);
  genc_array *sq = genc_sqrt(ctx, x);
  assert_true(isnan(t_at(ctx, sq, 0)));
  /* bool: neg promotes to i32, not stays bool */
  uint8_t bv[2] = {1, 0};
  int64_t s2[1] = {2};
  genc_array *b = genc_array_from(ctx, GENC_BOOL, 1, s2, 0, bv);
  genc_array *nb = genc_neg(ctx, b);
  assert_int_equal(genc_array_dtype(nb), GENC_I32);
  T_CLOSE(t_at(ctx, nb, 0), -1, 0);
  genc_array *lb = genc_logical_not(ctx, b);
  assert_int_equal(genc_array_dtype(lb), GENC_BOOL);
  T_CLOSE(t_at(ctx, lb, 1), 1, 0);
  genc_scope_end(ctx, mark);
}

/* ---- binary ops ---- */

static double bref(genc_binary_op op, double x, double y) {
  switch (op) {
  case GENC_ADD: return x + y;
  case GENC_SUB: return x - y;
  case GENC_MUL: return x * y;
  case GENC_DIV: return x / y;
  case GENC_POW: return pow(x, y);
  case GENC_MAXIMUM: return isnan(x) || isnan(y) ? NAN : fmax(x, y);
  case GENC_MINIMUM: return isnan(x) || isnan(y) ? NAN : fmin(x, y);
  case GENC_ATAN2: return atan2(x, y);
  case GENC_EQ: return x == y;
  case GENC_NE: return x != y;
  case GENC_LT: return x < y;
  case GENC_LE: return x <= y;
  case GENC_GT: return x > y;
  case GENC_GE: return x >= y;
  case GENC_AND: return (x != 0) && (y != 0);
  case GENC_OR: return (x != 0) || (y != 0);
  default: return NAN;
  }
}

static const double BP[] = {0.0, -0.0,  1.0,     -1.0,     2.5,       -3.0,
                            0.3, 1e300, -1e-300, INFINITY, -INFINITY, NAN};
#define NBP ((int64_t)(sizeof BP / sizeof BP[0]))

static void test_binary_libm(void **s) {
  (void)s;
  /* every pair of points: x along rows [NBP, 1], y along columns [NBP] */
  int64_t col[2] = {NBP, 1};
  for (int op = 0; op < GENC_BINARY_COUNT; op++) {
    int64_t mark = genc_scope_begin(ctx);
    genc_array *x = genc_reshape(ctx, vec(NBP, BP), 2, col), *y = vec(NBP, BP);
    genc_array *z = genc_binary(ctx, (genc_binary_op)op, x, y);
    T_OK(ctx, z);
    bool boolean = op >= GENC_EQ;
    assert_int_equal(genc_array_dtype(z), boolean ? GENC_BOOL : GENC_F64);
    assert_int_equal(genc_array_size(z), NBP * NBP);
    double *got = host(z);
    for (int64_t i = 0; i < NBP; i++)
      for (int64_t j = 0; j < NBP; j++) {
        double want = bref((genc_binary_op)op, BP[i], BP[j]), g = got[i * NBP + j];
        if (!(relerr(g, want, 1e-300) <= 1e-15))
          fail_msg("binary op %d (%.17g, %.17g) = %.17g, libm %.17g", op, BP[i], BP[j], g, want);
      }
    free(got);
    if (!boolean) { /* f32: float inputs, reference in double rounded to float */
      genc_array *zf = genc_binary(ctx, (genc_binary_op)op, genc_astype(ctx, x, GENC_F32),
                                   genc_astype(ctx, y, GENC_F32));
      assert_int_equal(genc_array_dtype(zf), GENC_F32);
      got = host(zf);
      for (int64_t i = 0; i < NBP; i++)
        for (int64_t j = 0; j < NBP; j++) {
          double want = (float)bref((genc_binary_op)op, (float)BP[i], (float)BP[j]);
          if (!(relerr(got[i * NBP + j], want, 1e-35) <= 1e-5))
            fail_msg("f32 binary op %d (%.9g, %.9g) = %.9g, expected %.9g", op, (float)BP[i],
                     (float)BP[j], got[i * NBP + j], want);
        }
      free(got);
    }
    genc_scope_end(ctx, mark);
  }
}

static void test_binary_ints(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  int32_t a[4] = {7, -7, 3, 0}, b[4] = {2, 2, -4, 5};
  int64_t s4[1] = {4};
  genc_array *A = genc_array_from(ctx, GENC_I32, 1, s4, 0, a);
  genc_array *B = genc_array_from(ctx, GENC_I32, 1, s4, 0, b);
  genc_binary_op keep[5] = {GENC_ADD, GENC_SUB, GENC_MUL, GENC_MAXIMUM, GENC_MINIMUM};
  for (int k = 0; k < 5; k++) {
    genc_array *z = genc_binary(ctx, keep[k], A, B);
    assert_int_equal(genc_array_dtype(z), GENC_I32);
    for (int i = 0; i < 4; i++)
      T_CLOSE(t_at(ctx, z, i), bref(keep[k], a[i], b[i]), 0);
  }
  /* true division and pow of integers give f64 */
  genc_binary_op flt[3] = {GENC_DIV, GENC_POW, GENC_ATAN2};
  for (int k = 0; k < 3; k++) {
    genc_array *z = genc_binary(ctx, flt[k], A, B);
    assert_int_equal(genc_array_dtype(z), GENC_F64);
    for (int i = 0; i < 4; i++)
      T_CLOSE(t_at(ctx, z, i), bref(flt[k], a[i], b[i]), 1e-15);
  }
  T_CLOSE(t_at(ctx, genc_div(ctx, A, B), 1), -3.5, 0);
  for (int op = GENC_EQ; op <= GENC_GE; op++) {
    genc_array *z = genc_binary(ctx, (genc_binary_op)op, A, B);
    assert_int_equal(genc_array_dtype(z), GENC_BOOL);
    for (int i = 0; i < 4; i++)
      T_CLOSE(t_at(ctx, z, i), bref(op, a[i], b[i]), 0);
  }
  /* C numbers are weak: an integer keeps i32 arrays i32, a double makes them f64,
   * and neither changes a float array's dtype */
  genc_array *Ai = genc_add(ctx, A, 2);
  assert_int_equal(genc_array_dtype(Ai), GENC_I32);
  T_CLOSE(t_at(ctx, Ai, 1), -5, 0);
  assert_int_equal(genc_array_dtype(genc_add(ctx, A, 2.5)), GENC_F64);
  assert_int_equal(genc_array_dtype(genc_mul(ctx, genc_astype(ctx, A, GENC_F32), 2)), GENC_F32);
  T_CLOSE(t_at(ctx, genc_div(ctx, A, 2), 0), 3.5, 0);
  /* bools: logical ops stay bool, arithmetic promotes to i32 */
  uint8_t p[4] = {1, 1, 0, 0}, q[4] = {1, 0, 1, 0};
  genc_array *P = genc_array_from(ctx, GENC_BOOL, 1, s4, 0, p);
  genc_array *Q = genc_array_from(ctx, GENC_BOOL, 1, s4, 0, q);
  for (int i = 0; i < 4; i++) {
    T_CLOSE(t_at(ctx, genc_logical_and(ctx, P, Q), i), p[i] && q[i], 0);
    T_CLOSE(t_at(ctx, genc_logical_or(ctx, P, Q), i), p[i] || q[i], 0);
    T_CLOSE(t_at(ctx, genc_eq(ctx, P, Q), i), p[i] == q[i], 0);
    T_CLOSE(t_at(ctx, genc_ne(ctx, P, Q), i), p[i] != q[i], 0);
  }
  genc_array *sum = genc_add(ctx, P, Q);
  assert_int_equal(genc_array_dtype(sum), GENC_I32);
  T_CLOSE(t_at(ctx, sum, 0), 2, 0);
  assert_int_equal(genc_array_dtype(genc_eq(ctx, P, Q)), GENC_BOOL);
  /* logical ops on floats read nonzero as true */
  double fa[2] = {2.0, 0.0}, fb[2] = {-1.0, NAN};
  genc_array *la = genc_logical_and(ctx, vec(2, fa), vec(2, fb));
  assert_int_equal(genc_array_dtype(la), GENC_BOOL);
  T_CLOSE(t_at(ctx, la, 0), 1, 0);
  T_CLOSE(t_at(ctx, la, 1), 0, 0);
  genc_scope_end(ctx, mark);
}

/* ---- dtype promotion ---- */

static void test_promotion(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  double v[2] = {1.5, -2};
  int64_t s2[1] = {2};
  genc_array *f64 = vec(2, v), *f32 = genc_astype(ctx, f64, GENC_F32);
  genc_array *i32 = genc_astype(ctx, f64, GENC_I32), *bl = genc_astype(ctx, f64, GENC_BOOL);
  (void)s2;
  struct {
    genc_array *r;
    genc_dtype want;
  } cases[] = {
      {genc_mul(ctx, f32, 2.0), GENC_F32},  /* weak scalar yields to f32 */
      {genc_mul(ctx, 2.0, f32), GENC_F32},  /* either side */
      {genc_add(ctx, f32, 1), GENC_F32},    /* a C int is weak too */
      {genc_add(ctx, f64, 1.0f), GENC_F64}, /* a C float is a weak f64 */
      {genc_add(ctx, f32, f64), GENC_F64},  /* arrays: the wider float */
      {genc_add(ctx, i32, f32), GENC_F32},  /* int yields to any float */
      {genc_add(ctx, i32, i32), GENC_I32},
      {genc_div(ctx, i32, i32), GENC_F64}, /* true division */
      {genc_div(ctx, f32, i32), GENC_F32},
      {genc_add(ctx, i32, 2.5), GENC_F64}, /* weak float over int: f64 */
      {genc_add(ctx, bl, bl), GENC_I32},
      {genc_add(ctx, bl, i32), GENC_I32},
      {genc_lt(ctx, f32, 1.0), GENC_BOOL},
      {genc_eq(ctx, i32, f64), GENC_BOOL},
      {genc_where(ctx, bl, f32, 0.0), GENC_F32},
      {genc_where(ctx, bl, f32, f64), GENC_F64},
      {genc_where(ctx, bl, i32, 0.5), GENC_F64},
      {genc_exp(ctx, f32), GENC_F32},
      {genc_exp(ctx, i32), GENC_F64},
      /* a weak result stays weak: f32 * (2.0 + 3.0) and f32 * exp(2.0) are f32 */
      {genc_mul(ctx, f32, genc_add(ctx, 2.0, 3.0)), GENC_F32},
      {genc_mul(ctx, f32, genc_exp(ctx, genc_scalar_weak(ctx, 2.0))), GENC_F32},
      /* a strong 0-d f64 array does not yield */
      {genc_mul(ctx, f32, genc_scalar(ctx, 2.0)), GENC_F64},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    T_OK(ctx, cases[i].r);
    if (genc_array_dtype(cases[i].r) != cases[i].want)
      fail_msg("case %zu: dtype %s, expected %s", i, genc_dtype_name(genc_array_dtype(cases[i].r)),
               genc_dtype_name(cases[i].want));
  }
  T_CLOSE(t_at(ctx, cases[0].r, 0), 3.0, 0);
  T_CLOSE(t_at(ctx, cases[9].r, 1), 0.5, 0); /* (int)-2 + 2.5 */
  genc_scope_end(ctx, mark);
}

/* ---- broadcasting and the particle axis ---- */

static void test_broadcast(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  double a[3] = {1, 2, 3}, b[4] = {10, 20, 30, 40};
  int64_t s31[2] = {3, 1};
  genc_array *A = genc_reshape(ctx, vec(3, a), 2, s31), *B = vec(4, b);
  genc_array *C = genc_sub(ctx, A, B);
  T_OK(ctx, C);
  assert_int_equal(genc_array_ndim(C), 2);
  assert_int_equal(genc_array_shape(C)[0], 3);
  assert_int_equal(genc_array_shape(C)[1], 4);
  double *c = host(C);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 4; j++)
      T_CLOSE(c[i * 4 + j], a[i] - b[j], 0);
  free(c);
  /* shared [4] x batched [2 particles x 3, 1] -> batched [2 x 3, 4] */
  double pa[6] = {1, 2, 3, 4, 5, 6};
  genc_array *P = genc_array_from(ctx, GENC_F64, 2, s31, 2, pa);
  genc_array *D = genc_mul(ctx, B, P);
  T_OK(ctx, D);
  assert_int_equal(genc_array_nparticles(D), 2);
  assert_int_equal(genc_array_size(D), 12);
  double *d = host(D);
  for (int p = 0; p < 2; p++)
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 4; j++)
        T_CLOSE(d[p * 12 + i * 4 + j], pa[p * 3 + i] * b[j], 0);
  free(d);
  /* batched x batched (same N), and a 0-d shared scalar against batched */
  int64_t s3[1] = {3};
  genc_array *Q = genc_array_from(ctx, GENC_F64, 1, s3, 2, pa);
  genc_array *R = genc_add(ctx, genc_reshape(ctx, P, 1, s3), Q);
  assert_int_equal(genc_array_nparticles(R), 2);
  for (int i = 0; i < 6; i++)
    T_CLOSE(t_at(ctx, R, i), 2 * pa[i], 0);
  genc_array *S = genc_pow(ctx, Q, genc_scalar(ctx, 2));
  for (int i = 0; i < 6; i++)
    T_CLOSE(t_at(ctx, S, i), pa[i] * pa[i], 0);
  /* batched 0-d against shared vector */
  genc_array *b0 = genc_array_from(ctx, GENC_F64, 0, NULL, 3, a);
  genc_array *E = genc_add(ctx, b0, B);
  assert_int_equal(genc_array_nparticles(E), 3);
  assert_int_equal(genc_array_size(E), 4);
  T_CLOSE(t_at(ctx, E, 4 * 2 + 3), a[2] + b[3], 0);
  /* empty arrays broadcast to empty */
  int64_t z[1] = {0};
  genc_array *Z = genc_add(ctx, genc_array_zeros(ctx, GENC_F64, 1, z, 0), genc_scalar(ctx, 1));
  T_OK(ctx, Z);
  assert_int_equal(genc_array_size(Z), 0);
  genc_scope_end(ctx, mark);
}

static void test_broadcast_errors(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  int64_t s3[1] = {3}, s4[1] = {4}, s23[2] = {2, 3};
  genc_array *a = genc_array_zeros(ctx, GENC_F64, 1, s3, 0);
  genc_array *b = genc_array_zeros(ctx, GENC_F64, 1, s4, 0);
  expect_err(genc_add(ctx, a, b), GENC_ERR_SHAPE, "[3]", "[4]");
  expect_err(genc_mul(ctx, genc_array_zeros(ctx, GENC_F64, 2, s23, 0), b), GENC_ERR_SHAPE, "[2, 3]",
             "[4]");
  expect_err(genc_where(ctx, genc_scalar(ctx, 1), a, b), GENC_ERR_SHAPE, "where", "[4]");
  genc_array *p2 = genc_array_zeros(ctx, GENC_F64, 1, s3, 2);
  genc_array *p5 = genc_array_zeros(ctx, GENC_F64, 1, s3, 5);
  expect_err(genc_add(ctx, p2, p5), GENC_ERR_PARTICLE, "2", "5");
  expect_err(genc_where(ctx, genc_gt(ctx, p2, 0.0), p5, 1.0), GENC_ERR_PARTICLE, "where", NULL);
  /* unknown op codes, unknown dtype, NULL inputs */
  expect_err(genc_unary(ctx, (genc_unary_op)999, a), GENC_ERR_ARG, "unary", NULL);
  expect_err(genc_binary(ctx, (genc_binary_op)-1, a, a), GENC_ERR_ARG, "binary", NULL);
  expect_err(genc_astype(ctx, a, (genc_dtype)9), GENC_ERR_DTYPE, "astype", NULL);
  assert_null(genc_exp(ctx, NULL));
  assert_null(genc_add(ctx, a, (genc_array *)NULL));
  assert_null(genc_where(ctx, (genc_array *)NULL, a, a));
  assert_int_equal(genc_ctx_status(ctx), GENC_OK);
  /* operands of another context */
  genc_ctx *other = t_ctx();
  genc_array *o = genc_scalar(other, 1);
  expect_err(genc_add(ctx, a, o), GENC_ERR_ARG, "context", NULL);
  genc_ctx_free(other);
  genc_scope_end(ctx, mark);
}

/* ---- where and astype ---- */

static void test_where(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  double cv[3] = {1, 0, NAN}, a[4] = {1, 2, 3, 4};
  int64_t s31[2] = {3, 1};
  /* cond [3, 1] (f64: nonzero and NaN are true), a [4], b 0-d weak */
  genc_array *W = genc_where(ctx, genc_reshape(ctx, vec(3, cv), 2, s31), vec(4, a), -1.0);
  T_OK(ctx, W);
  assert_int_equal(genc_array_size(W), 12);
  double *w = host(W);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 4; j++)
      T_CLOSE(w[i * 4 + j], i == 1 ? -1 : a[j], 0);
  free(w);
  /* batched cond selects per particle */
  uint8_t pc[2] = {1, 0};
  genc_array *bc = genc_array_from(ctx, GENC_BOOL, 0, NULL, 2, pc);
  genc_array *V = genc_where(ctx, bc, vec(4, a), 0.0);
  assert_int_equal(genc_array_nparticles(V), 2);
  T_CLOSE(t_at(ctx, V, 3), 4, 0);
  T_CLOSE(t_at(ctx, V, 7), 0, 0);
  /* where never propagates the unselected NaN/inf */
  double bad[2] = {NAN, INFINITY}, ok[2] = {5, 6};
  uint8_t f[2] = {0, 0};
  int64_t s2[1] = {2};
  genc_array *X =
      genc_where(ctx, genc_array_from(ctx, GENC_BOOL, 1, s2, 0, f), vec(2, bad), vec(2, ok));
  T_CLOSE(t_at(ctx, X, 0), 5, 0);
  T_CLOSE(t_at(ctx, X, 1), 6, 0);
  genc_scope_end(ctx, mark);
}

static void test_astype(void **s) {
  (void)s;
  int64_t mark = genc_scope_begin(ctx);
  double v[6] = {-2.7, -0.5, 0.0, 0.4, 3.9, 1e10};
  genc_array *x = vec(6, v);
  genc_array *i = genc_astype(ctx, x, GENC_I32);
  assert_int_equal(genc_array_dtype(i), GENC_I32);
  double wi[5] = {-2, 0, 0, 0, 3}; /* truncation toward zero, as C casts */
  for (int k = 0; k < 5; k++)
    T_CLOSE(t_at(ctx, i, k), wi[k], 0);
  genc_array *b = genc_astype(ctx, x, GENC_BOOL);
  double wb[6] = {1, 1, 0, 1, 1, 1};
  for (int k = 0; k < 6; k++)
    T_CLOSE(t_at(ctx, b, k), wb[k], 0);
  genc_array *f = genc_astype(ctx, x, GENC_F32);
  assert_int_equal(genc_array_dtype(f), GENC_F32);
  T_CLOSE(t_at(ctx, f, 0), (float)-2.7, 0);
  T_CLOSE(t_at(ctx, genc_astype(ctx, b, GENC_F64), 1), 1, 0);
  genc_array *same = genc_astype(ctx, x, GENC_F64);
  T_OK(ctx, same);
  assert_ptr_not_equal(same, x); /* a fresh array */
  T_CLOSE(t_at(ctx, same, 4), 3.9, 0);
  /* keeps the particle axis */
  genc_array *p = genc_astype(ctx, genc_array_from(ctx, GENC_F64, 0, NULL, 3, v), GENC_I32);
  assert_int_equal(genc_array_nparticles(p), 3);
  T_CLOSE(t_at(ctx, p, 0), -2, 0);
  genc_scope_end(ctx, mark);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_special_functions),
      cmocka_unit_test(test_unary_libm),
      cmocka_unit_test(test_unary_ints),
      cmocka_unit_test(test_binary_libm),
      cmocka_unit_test(test_binary_ints),
      cmocka_unit_test(test_promotion),
      cmocka_unit_test(test_broadcast),
      cmocka_unit_test(test_broadcast_errors),
      cmocka_unit_test(test_where),
      cmocka_unit_test(test_astype),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
