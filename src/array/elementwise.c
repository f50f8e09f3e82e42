/* Elementwise primitives: unary, binary, where, casts; their vjps. */
#include <math.h>

#include "array/internal.h"

/* ---- dtype rules ---- */

static int rank(genc_dtype d) {
  return d == GENC_BOOL ? 0 : d == GENC_I32 ? 1 : d == GENC_F32 ? 2 : 3;
}

static genc_dtype promote2(const genc_array *a, const genc_array *b) {
  genc_dtype da = (genc_dtype)a->dtype, db = (genc_dtype)b->dtype;
  if (a->weak && !b->weak) return genc__is_float(db) ? db : da;
  if (b->weak && !a->weak) return genc__is_float(da) ? da : db;
  return rank(da) >= rank(db) ? da : db;
}

static bool is_compare(genc_binary_op op) { return op >= GENC_EQ && op <= GENC_GE; }
static bool is_logical(genc_binary_op op) { return op == GENC_AND || op == GENC_OR; }

static const genc_prim astype_prim;

genc_array *genc__cast_raw(genc_ctx *ctx, genc_array *x, genc_dtype dt) {
  if (!x) return NULL;
  if (x->dtype == dt) return x;
  if (ctx->capture && ctx->cap_depth == 0) {
    /* outside a forward the cast must be a recorded op for a capture (a tape
     * still sees a raw cast: no_record keeps it off the tape) */
    bool nr = ctx->no_record;
    ctx->no_record = true;
    genc_array *y = genc__dispatch(ctx, &astype_prim, 1, &x, &(genc_params){.op = dt});
    ctx->no_record = nr;
    return y;
  }
  genc_array *y = genc__alloc_like(ctx, x, dt);
  if (y && y->bytes)
    ctx->bk->cast(ctx->bst, (genc_dtype)x->dtype, x->data, dt, y->data, genc__numel(x));
  return y;
}

/* ---- unary ---- */

static genc_dtype unary_dtype(genc_unary_op op, genc_dtype in) {
  switch (op) {
  case GENC_NOT: return GENC_BOOL;
  case GENC_NEG:
  case GENC_ABS:
  case GENC_SIGN:
  case GENC_SQUARE: return in == GENC_BOOL ? GENC_I32 : in;
  default: return genc__is_float(in) ? in : GENC_F64;
  }
}

static genc_array *unary_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  genc_unary_op op = (genc_unary_op)p->op;
  genc_dtype dt = unary_dtype(op, (genc_dtype)in[0]->dtype);
  genc_array *x = genc__cast_raw(ctx, in[0], dt);
  if (!x) return NULL;
  genc_dtype odt = (op == GENC_ISFINITE || op == GENC_NOT) ? GENC_BOOL : dt;
  genc_array *y = genc__alloc_like(ctx, x, odt);
  if (y && y->bytes) ctx->bk->unary(ctx->bst, op, dt, x->data, y->data, genc__numel(x));
  return y;
}

#define U(op, x) genc_unary(ctx, op, x)
#define B(op, a, b) genc_binary(ctx, op, a, b)
#define C(v) genc_scalar_weak(ctx, v)

static genc_status unary_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  genc_array *x = nd->in[0], *y = nd->out, *d = NULL;
  switch ((genc_unary_op)nd->p.op) {
  case GENC_NEG: ic[0] = U(GENC_NEG, g); return GENC_OK;
  case GENC_ABS: d = U(GENC_SIGN, x); break;
  case GENC_EXP: d = y; break;
  case GENC_EXPM1: d = B(GENC_ADD, y, C(1)); break;
  case GENC_LOG: ic[0] = B(GENC_DIV, g, x); return GENC_OK;
  case GENC_LOG1P: ic[0] = B(GENC_DIV, g, B(GENC_ADD, x, C(1))); return GENC_OK;
  case GENC_SQRT: ic[0] = B(GENC_DIV, B(GENC_MUL, g, C(0.5)), y); return GENC_OK;
  case GENC_SQUARE: d = B(GENC_MUL, x, C(2)); break;
  case GENC_SIN: d = U(GENC_COS, x); break;
  case GENC_COS: d = U(GENC_NEG, U(GENC_SIN, x)); break;
  case GENC_TAN: d = B(GENC_ADD, U(GENC_SQUARE, y), C(1)); break;
  case GENC_TANH: d = B(GENC_SUB, C(1), U(GENC_SQUARE, y)); break;
  case GENC_SIGMOID: d = B(GENC_MUL, y, B(GENC_SUB, C(1), y)); break;
  case GENC_LOG_SIGMOID: d = U(GENC_SIGMOID, U(GENC_NEG, x)); break;
  case GENC_SOFTPLUS: d = U(GENC_SIGMOID, x); break;
  case GENC_ERF:
  case GENC_ERFC:
    d = B(GENC_MUL, U(GENC_EXP, U(GENC_NEG, U(GENC_SQUARE, x))),
          C(nd->p.op == GENC_ERF ? M_2_SQRTPI : -M_2_SQRTPI));
    break;
  case GENC_ERFINV: d = B(GENC_MUL, U(GENC_EXP, U(GENC_SQUARE, y)), C(1.0 / M_2_SQRTPI)); break;
  case GENC_LGAMMA: d = U(GENC_DIGAMMA, x); break;
  case GENC_DIGAMMA: d = U(GENC_TRIGAMMA, x); break;
  case GENC_RECIPROCAL: d = U(GENC_NEG, U(GENC_SQUARE, y)); break;
  case GENC_TRIGAMMA:
    return genc_ctx_fail(ctx, GENC_ERR_UNSUPPORTED,
                         "the gradient of trigamma is not implemented (it needs tetragamma)");
  default: return GENC_OK; /* piecewise constant: zero gradient */
  }
  ic[0] = B(GENC_MUL, g, d);
  return ic[0] ? GENC_OK : genc_ctx_status(ctx);
}

static const genc_prim unary_prim = {"unary", unary_fwd, unary_vjp};

genc_array *genc_unary(genc_ctx *ctx, genc_unary_op op, genc_array *x) {
  if (!genc__check_in(ctx, "unary op", 1, &x)) return NULL;
  if ((unsigned)op >= GENC_UNARY_COUNT) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "unknown unary op %d", (int)op);
    return NULL;
  }
  genc_params p = {.op = op};
  genc_array *y = genc__dispatch(ctx, &unary_prim, 1, &x, &p);
  if (y && x->weak && genc__is_float((genc_dtype)y->dtype)) {
    y->weak = 1;
    if (ctx->capture) genc__capture_weak(ctx, y);
  }
  return y;
}

#define UNARY(name, op)                                                                            \
  genc_array *name(genc_ctx *ctx, genc_array *x) { return genc_unary(ctx, op, x); }
UNARY(genc_neg, GENC_NEG)
UNARY(genc_abs, GENC_ABS)
UNARY(genc_sign, GENC_SIGN)
UNARY(genc_exp, GENC_EXP)
UNARY(genc_expm1, GENC_EXPM1)
UNARY(genc_log, GENC_LOG)
UNARY(genc_log1p, GENC_LOG1P)
UNARY(genc_sqrt, GENC_SQRT)
UNARY(genc_square, GENC_SQUARE)
UNARY(genc_sin, GENC_SIN)
UNARY(genc_cos, GENC_COS)
UNARY(genc_tan, GENC_TAN)
UNARY(genc_tanh, GENC_TANH)
UNARY(genc_sigmoid, GENC_SIGMOID)
UNARY(genc_log_sigmoid, GENC_LOG_SIGMOID)
UNARY(genc_softplus, GENC_SOFTPLUS)
UNARY(genc_erf, GENC_ERF)
UNARY(genc_erfc, GENC_ERFC)
UNARY(genc_erfinv, GENC_ERFINV)
UNARY(genc_lgamma, GENC_LGAMMA)
UNARY(genc_digamma, GENC_DIGAMMA)
UNARY(genc_trigamma, GENC_TRIGAMMA)
UNARY(genc_floor, GENC_FLOOR)
UNARY(genc_ceil, GENC_CEIL)
UNARY(genc_round, GENC_ROUND)
UNARY(genc_isfinite, GENC_ISFINITE)
UNARY(genc_logical_not, GENC_NOT)
UNARY(genc_reciprocal, GENC_RECIPROCAL)

/* ---- binary ---- */

static genc_dtype binary_compute_dtype(genc_binary_op op, const genc_array *a,
                                       const genc_array *b) {
  if (is_logical(op)) return GENC_BOOL;
  genc_dtype dt = promote2(a, b);
  if (dt == GENC_BOOL && !(op == GENC_EQ || op == GENC_NE)) dt = GENC_I32;
  if (dt == GENC_I32 && (op == GENC_DIV || op == GENC_POW || op == GENC_ATAN2)) dt = GENC_F64;
  return dt;
}

genc_array *genc__nary_out(genc_ctx *ctx, const char *name, int n, genc_array *const *in,
                           genc_dtype odt) {
  if (n == 2 && in[0]->n == in[1]->n && in[0]->ndim == in[1]->ndim &&
      !memcmp(in[0]->shape, in[1]->shape, (size_t)in[0]->ndim * sizeof(int64_t)))
    return genc__alloc(ctx, odt, in[0]->ndim, in[0]->shape, in[0]->n);
  int nd;
  int64_t shape[GENC_MAX_DIMS];
  int64_t np = genc__join_particles(ctx, name, n, in);
  if (np < 0 || !genc__broadcast_shapes(ctx, name, n, in, &nd, shape)) return NULL;
  return genc__alloc(ctx, odt, nd, shape, np);
}

static const char *binary_name(genc_binary_op op) {
  static const char *names[] = {"add",     "sub",   "mul",         "div",       "pow", "maximum",
                                "minimum", "atan2", "eq",          "ne",        "lt",  "le",
                                "gt",      "ge",    "logical_and", "logical_or"};
  return (unsigned)op < GENC_BINARY_COUNT ? names[op] : "binary";
}

/* One-element operands of one dtype: the common case of scalar model code.
 * Skips promotion, broadcasting and planning. */
static genc_array *binary_scalar(genc_ctx *ctx, genc_binary_op op, genc_array *a, genc_array *b) {
  static const genc_bcast one = {.ndim = 1, .shape = {1}, .n = 1};
  genc_dtype dt = (genc_dtype)a->dtype;
  genc_array *y = genc__alloc(ctx, is_compare(op) ? GENC_BOOL : dt, 0, NULL, 0);
  if (!y) return NULL;
  ctx->bk->binary(ctx->bst, op, dt, a->data, b->data, y->data, &one);
  y->weak = a->weak & b->weak;
  return y;
}

static genc_array *binary_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  genc_binary_op op = (genc_binary_op)p->op;
  /* logical ops compute on bools: their float inputs must take the cast below */
  if (in[0]->ndim == 0 && in[1]->ndim == 0 && !in[0]->n && !in[1]->n && !is_logical(op) &&
      in[0]->dtype == in[1]->dtype && genc__is_float((genc_dtype)in[0]->dtype))
    return binary_scalar(ctx, op, in[0], in[1]);
  genc_dtype dt = binary_compute_dtype(op, in[0], in[1]);
  genc_array *a = genc__cast_raw(ctx, in[0], dt), *b = genc__cast_raw(ctx, in[1], dt);
  if (!a || !b) return NULL;
  genc_dtype odt = is_compare(op) || is_logical(op) ? GENC_BOOL : dt;
  genc_array *ab[2] = {a, b};
  genc_array *y = genc__nary_out(ctx, binary_name(op), 2, ab, odt);
  if (!y || !y->bytes) return y;
  genc_bcast g;
  genc__bcast_plan(y, 2, (const genc_array *const *)ab, &g);
  ctx->bk->binary(ctx->bst, op, dt, a->data, b->data, y->data, &g);
  if (a->weak && b->weak) y->weak = 1;
  return y;
}

static genc_status binary_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  genc_array *a = nd->in[0], *b = nd->in[1], *y = nd->out;
  switch ((genc_binary_op)nd->p.op) {
  case GENC_ADD: ic[0] = g, ic[1] = g; break;
  case GENC_SUB: ic[0] = g, ic[1] = U(GENC_NEG, g); break;
  case GENC_MUL: ic[0] = B(GENC_MUL, g, b), ic[1] = B(GENC_MUL, g, a); break;
  case GENC_DIV:
    ic[0] = B(GENC_DIV, g, b);
    ic[1] = U(GENC_NEG, B(GENC_DIV, B(GENC_MUL, g, y), b));
    break;
  case GENC_POW: {
    /* d/da = b a^(b-1); d/db = y log a (0 where a <= 0, where y is 0 or undefined) */
    ic[0] = B(GENC_MUL, g, B(GENC_MUL, b, B(GENC_POW, a, B(GENC_SUB, b, C(1)))));
    genc_array *pos = B(GENC_GT, a, C(0));
    genc_array *la = U(GENC_LOG, genc_where(ctx, pos, a, C(1)));
    ic[1] = B(GENC_MUL, g, B(GENC_MUL, y, la));
    break;
  }
  case GENC_MAXIMUM:
  case GENC_MINIMUM: {
    genc_binary_op cmp = nd->p.op == GENC_MAXIMUM ? GENC_GE : GENC_LE;
    genc_array *m = B(cmp, a, b);
    ic[0] = genc_where(ctx, m, g, C(0));
    ic[1] = genc_where(ctx, m, C(0), g);
    break;
  }
  case GENC_ATAN2: {
    genc_array *r2 = B(GENC_ADD, U(GENC_SQUARE, a), U(GENC_SQUARE, b));
    ic[0] = B(GENC_MUL, g, B(GENC_DIV, b, r2));
    ic[1] = B(GENC_MUL, g, U(GENC_NEG, B(GENC_DIV, a, r2)));
    break;
  }
  default: return GENC_OK;
  }
  return ic[0] && ic[1] ? GENC_OK : genc_ctx_status(ctx);
}

static const genc_prim binary_prim = {"binary", binary_fwd, binary_vjp};

genc_array *genc_binary(genc_ctx *ctx, genc_binary_op op, genc_array *a, genc_array *b) {
  genc_array *in[2] = {a, b};
  if (!genc__check_in(ctx, binary_name(op), 2, in)) return NULL;
  if ((unsigned)op >= GENC_BINARY_COUNT) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "unknown binary op %d", (int)op);
    return NULL;
  }
  genc_params p = {.op = op};
  return genc__dispatch(ctx, &binary_prim, 2, in, &p);
}

#undef genc_add
#undef genc_sub
#undef genc_mul
#undef genc_div
#undef genc_pow
#undef genc_maximum
#undef genc_minimum
#undef genc_atan2
#undef genc_eq
#undef genc_ne
#undef genc_lt
#undef genc_le
#undef genc_gt
#undef genc_ge
#undef genc_where
#define BINARY(name, op)                                                                           \
  genc_array *name(genc_ctx *ctx, genc_array *a, genc_array *b) {                                  \
    return genc_binary(ctx, op, a, b);                                                             \
  }
BINARY(genc_add, GENC_ADD)
BINARY(genc_sub, GENC_SUB)
BINARY(genc_mul, GENC_MUL)
BINARY(genc_div, GENC_DIV)
BINARY(genc_pow, GENC_POW)
BINARY(genc_maximum, GENC_MAXIMUM)
BINARY(genc_minimum, GENC_MINIMUM)
BINARY(genc_atan2, GENC_ATAN2)
BINARY(genc_eq, GENC_EQ)
BINARY(genc_ne, GENC_NE)
BINARY(genc_lt, GENC_LT)
BINARY(genc_le, GENC_LE)
BINARY(genc_gt, GENC_GT)
BINARY(genc_ge, GENC_GE)
BINARY(genc_logical_and, GENC_AND)
BINARY(genc_logical_or, GENC_OR)

/* ---- where ---- */

static genc_array *where_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  (void)p;
  genc_dtype dt = promote2(in[1], in[2]);
  genc_array *c = genc__cast_raw(ctx, in[0], GENC_BOOL);
  genc_array *a = genc__cast_raw(ctx, in[1], dt), *b = genc__cast_raw(ctx, in[2], dt);
  if (!c || !a || !b) return NULL;
  genc_array *cab[3] = {c, a, b};
  genc_array *y = genc__nary_out(ctx, "where", 3, cab, dt);
  if (!y || !y->bytes) return y;
  genc_bcast g;
  genc__bcast_plan(y, 3, (const genc_array *const *)cab, &g);
  ctx->bk->where(ctx->bst, dt, c->data, a->data, b->data, y->data, &g);
  return y;
}

static genc_status where_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  genc_array *z = genc_array_zeros_like(ctx, g);
  ic[1] = genc_where(ctx, nd->in[0], g, z);
  ic[2] = genc_where(ctx, nd->in[0], z, g);
  return ic[1] && ic[2] ? GENC_OK : genc_ctx_status(ctx);
}

static const genc_prim where_prim = {"where", where_fwd, where_vjp};

genc_array *genc_where(genc_ctx *ctx, genc_array *cond, genc_array *a, genc_array *b) {
  genc_array *in[3] = {cond, a, b};
  if (!genc__check_in(ctx, "where", 3, in)) return NULL;
  return genc__dispatch(ctx, &where_prim, 3, in, NULL);
}

/* ---- casts ---- */

static genc_array *astype_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  genc_array *y = genc__cast_raw(ctx, in[0], (genc_dtype)p->op);
  if (y == in[0]) { /* same dtype: still a fresh array, so the tape sees a new node */
    y = genc__alloc_like(ctx, in[0], (genc_dtype)in[0]->dtype);
    if (y && y->bytes) ctx->bk->copy(ctx->bst, y->data, in[0]->data, y->bytes);
  }
  return y;
}

static genc_status astype_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g, genc_array **ic) {
  (void)ctx;
  if (genc__is_float((genc_dtype)nd->in[0]->dtype)) ic[0] = g; /* unbroadcast casts back */
  return GENC_OK;
}

static const genc_prim astype_prim = {"astype", astype_fwd, astype_vjp};

genc_array *genc_astype(genc_ctx *ctx, genc_array *x, genc_dtype dt) {
  if (!genc__check_in(ctx, "astype", 1, &x)) return NULL;
  if ((unsigned)dt > GENC_BOOL) {
    genc_ctx_fail(ctx, GENC_ERR_DTYPE, "astype: unknown dtype %d", (int)dt);
    return NULL;
  }
  genc_params p = {.op = dt};
  return genc__dispatch(ctx, &astype_prim, 1, &x, &p);
}

static const genc_prim stop_prim = {"stop_gradient", astype_fwd, NULL};

genc_array *genc_stop_gradient(genc_ctx *ctx, genc_array *x) {
  if (!genc__check_in(ctx, "stop_gradient", 1, &x)) return NULL;
  genc_params p = {.op = x->dtype};
  return genc__dispatch(ctx, &stop_prim, 1, &x, &p);
}
