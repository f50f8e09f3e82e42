/*
 * The C emitter of the CPU executor: one function per region (exec_part.h)
 * that runs tiles of particles, each tile a sampling pass (the draws of the
 * region's sample nodes, exec_abi.h) then a per-particle body. A body
 * computes every node of the region for one particle: each value lives in a
 * local array of its static per-particle size (size 1: a scalar the compiler
 * keeps in a register), loops carry their shapes and broadcast strides as
 * constants so that they vectorize, external values are read through
 * pointers (shared ones without a particle stride), and only the values
 * needed outside the region are stored. Every expression is the eager
 * kernel's (cpu_elementwise.c, cpu_fused.c, cpu_reduce.c), evaluated in the
 * same order, so results agree with the eager ones bit for bit except where
 * the eager loops call glibc's vector libm (a few ulps).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "array/exec_abi.h"
#include "array/exec_cpu.h"

void genc__xbuf_printf(genc_xbuf *b, const char *fmt, ...) {
  if (b->oom) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
      b->oom = true;
      return;
    }
    if (b->s && b->len + (size_t)n < b->cap) {
      b->len += (size_t)n;
      return;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap <= b->len + (size_t)n)
      cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
      b->oom = true;
      return;
    }
    b->s = s, b->cap = cap;
  }
}

#define P(...) genc__xbuf_printf(E->b, __VA_ARGS__)

const char *genc__xemit_ctype(int dt) {
  return dt == GENC_F64   ? "double"
         : dt == GENC_F32 ? "float"
         : dt == GENC_I32 ? "int32_t"
                          : "uint8_t";
}

/* The state of one region's emission. */
typedef struct emit {
  const genc_graph *g;
  const genc_xpart *p;
  const genc_xregion *r;
  int32_t ri, base;
  genc_xbuf *b;
  int nhoist;
  int32_t *hoist; /* per region node position: index into H of its hoisted log sigma, or -1 */
} emit;

static const genc_gmeta *meta(const emit *E, int32_t v) { return &E->g->meta[v]; }

static bool inside(const emit *E, int32_t v) {
  return v >= E->base && E->p->region_of[v - E->base] == E->ri;
}

static int ext_index(const emit *E, int32_t v) {
  for (int i = 0; i < E->r->nin; i++)
    if (E->r->in[i] == v) return i;
  return -1;
}

/* The name of value v in the body: v<id> (a region value) or e<i> (external). */
static void vname(const emit *E, int32_t v, char *out, size_t cap) {
  if (inside(E, v))
    snprintf(out, cap, "v%d", (int)v);
  else
    snprintf(out, cap, "e%d", ext_index(E, v));
}

/* "(to)(expr)" as the eager casts (cpu_cast's conversions). */
void genc__xemit_cast_expr(int from, int to, const char *x, char *out, size_t cap) {
  if (from == to)
    snprintf(out, cap, "(%s)", x);
  else if (to == GENC_BOOL)
    snprintf(out, cap, "((uint8_t)((%s) != 0))", x);
  else
    snprintf(out, cap, "((%s)(%s))", genc__xemit_ctype(to), x);
}

/* ---- loop nests over a broadcast output ---- */

typedef struct lnest {
  int nd, nops;
  int64_t dim[GENC_MAX_DIMS];
  int64_t st[4][GENC_MAX_DIMS]; /* 0: the output (contiguous), then operands */
} lnest;

/* The loops of an output of shape out over operands of the given shapes
 * (right-aligned broadcasting), size-1 dims dropped and contiguous runs
 * merged so that the innermost loop is as long as possible. */
static void lnest_make(lnest *L, const genc_gmeta *out, int nops, const genc_gmeta *const *ops) {
  int64_t st[4][GENC_MAX_DIMS];
  L->nops = nops + 1;
  for (int o = 0; o <= nops; o++) {
    const genc_gmeta *m = o ? ops[o - 1] : out;
    int64_t s = 1;
    for (int d = out->ndim - 1; d >= 0; d--) {
      int md = d - (out->ndim - m->ndim);
      int64_t dim = md >= 0 ? m->shape[md] : 1;
      st[o][d] = dim == 1 ? 0 : s;
      s *= dim;
    }
  }
  L->nd = 0;
  for (int d = 0; d < out->ndim; d++) {
    if (out->shape[d] == 1) continue;
    int k = L->nd;
    bool merge = k > 0;
    for (int o = 0; merge && o < L->nops; o++)
      merge = L->st[o][k - 1] == st[o][d] * out->shape[d];
    if (merge) {
      L->dim[k - 1] *= out->shape[d];
      for (int o = 0; o < L->nops; o++)
        L->st[o][k - 1] = st[o][d];
      continue;
    }
    L->dim[k] = out->shape[d];
    for (int o = 0; o < L->nops; o++)
      L->st[o][k] = st[o][d];
    L->nd++;
  }
}

static void lnest_open(emit *E, const lnest *L) {
  for (int d = 0; d < L->nd; d++)
    P("  for (int64_t i%d = 0; i%d < %lld; i%d++)\n", d, d, (long long)L->dim[d], d);
  P("  {\n");
}

/* The element index of operand o (0: the output) inside the loops. */
static void lnest_index(const lnest *L, int o, char *out, size_t cap) {
  size_t n = 0;
  out[0] = 0;
  for (int d = 0; d < L->nd; d++) {
    if (!L->st[o][d]) continue;
    if (L->st[o][d] == 1)
      n += (size_t)snprintf(out + n, cap - n, "%si%d", n ? " + " : "", d);
    else
      n += (size_t)snprintf(out + n, cap - n, "%si%d * %lld", n ? " + " : "", d,
                            (long long)L->st[o][d]);
    if (n >= cap) break;
  }
  if (!n) snprintf(out, cap, "0");
}

/* Operand o (1-based in L) as "(T)(name[index])" cast to dt. */
static void operand(const emit *E, const lnest *L, int o, int32_t v, int dt, char *out,
                    size_t cap) {
  char nm[32], ix[256], rd[320];
  vname(E, v, nm, sizeof nm);
  lnest_index(L, o, ix, sizeof ix);
  snprintf(rd, sizeof rd, "%s[%s]", nm, ix);
  genc__xemit_cast_expr(meta(E, v)->dtype, dt, rd, out, cap);
}

/* An elementwise node: out[o] = (TO)(expr) with the operands bound to the
 * names the eager kernels' macros use (v for unary; x, y for binary; c, x, y
 * for where; x, m, s for the normal density). */
static void elementwise(emit *E, int32_t k, int nops, const int *dts, const char *const *names,
                        int compute_dt, const char *expr) {
  const genc_gnode *nd = &E->g->nodes[k];
  const genc_gmeta *ops[3];
  for (int i = 0; i < nops; i++)
    ops[i] = meta(E, nd->in[i]);
  lnest L;
  lnest_make(&L, &nd->out, nops, ops);
  lnest_open(E, &L);
  P("    typedef %s T;\n", genc__xemit_ctype(compute_dt));
  for (int i = 0; i < nops; i++) {
    char x[400];
    operand(E, &L, i + 1, nd->in[i], dts[i], x, sizeof x);
    P("    const %s %s = %s;\n", genc__xemit_ctype(dts[i]), names[i], x);
  }
  char ix[256];
  lnest_index(&L, 0, ix, sizeof ix);
  P("    v%d[%s] = (%s)(%s);\n  }\n", (int)(E->base + k), ix, genc__xemit_ctype(nd->out.dtype),
    expr);
}

/* ---- dtype rules (elementwise.c) ---- */

static int rank(int d) { return d == GENC_BOOL ? 0 : d == GENC_I32 ? 1 : d == GENC_F32 ? 2 : 3; }
static bool isf(int d) { return d == GENC_F64 || d == GENC_F32; }

int genc__xemit_promote2(const genc_gmeta *a, const genc_gmeta *b) {
  if (a->weak && !b->weak) return isf(b->dtype) ? b->dtype : a->dtype;
  if (b->weak && !a->weak) return isf(a->dtype) ? a->dtype : b->dtype;
  return rank(a->dtype) >= rank(b->dtype) ? a->dtype : b->dtype;
}

/* ---- unary ---- */

const char *genc__xemit_unary_expr(genc_unary_op op, int dt, char *buf, size_t cap) {
  const char *s = dt == GENC_F32 ? "f" : "";
  if (dt == GENC_I32) {
    switch (op) {
    case GENC_NEG: return "GENC_XWRAP32(0, -, v)";
    case GENC_ABS: return "v < 0 ? GENC_XWRAP32(0, -, v) : v";
    case GENC_SIGN: return "(v > 0) - (v < 0)";
    case GENC_SQUARE: return "GENC_XWRAP32(v, *, v)";
    default: return NULL;
    }
  }
  static const char *lib[GENC_UNARY_COUNT] = {
      [GENC_EXP] = "exp",   [GENC_EXPM1] = "expm1", [GENC_LOG] = "log",   [GENC_LOG1P] = "log1p",
      [GENC_SQRT] = "sqrt", [GENC_SIN] = "sin",     [GENC_COS] = "cos",   [GENC_TAN] = "tan",
      [GENC_TANH] = "tanh", [GENC_ERF] = "erf",     [GENC_ERFC] = "erfc", [GENC_FLOOR] = "floor",
      [GENC_CEIL] = "ceil", [GENC_ROUND] = "round", [GENC_ABS] = "fabs"};
  static const char *sf[GENC_UNARY_COUNT] = {
      [GENC_SIGMOID] = "genc_sf_sigmoid",   [GENC_LOG_SIGMOID] = "genc_sf_log_sigmoid",
      [GENC_SOFTPLUS] = "genc_sf_softplus", [GENC_ERFINV] = "genc_sf_erfinv",
      [GENC_LGAMMA] = "genc_sf_lgamma",     [GENC_DIGAMMA] = "genc_sf_digamma",
      [GENC_TRIGAMMA] = "genc_sf_trigamma"};
  if (lib[op]) {
    snprintf(buf, cap, "%s%s(v)", lib[op], s);
    return buf;
  }
  if (sf[op]) {
    snprintf(buf, cap, "%s(v)", sf[op]);
    return buf;
  }
  switch (op) {
  case GENC_NEG: return "-v";
  case GENC_SIGN: return "v != v ? v : (T)((v > 0) - (v < 0))";
  case GENC_SQUARE: return "v * v";
  case GENC_RECIPROCAL: return "1 / v";
  case GENC_ISFINITE: return "isfinite(v) != 0";
  case GENC_NOT: return "!v";
  default: return NULL;
  }
}

static bool emit_unary(emit *E, int32_t k) {
  const genc_gnode *nd = &E->g->nodes[k];
  genc_unary_op op = (genc_unary_op)nd->p.op;
  int in = meta(E, nd->in[0])->dtype, dt;
  if (op == GENC_NOT)
    dt = GENC_BOOL;
  else if (op == GENC_NEG || op == GENC_ABS || op == GENC_SIGN || op == GENC_SQUARE)
    dt = in == GENC_BOOL ? GENC_I32 : in;
  else
    dt = isf(in) ? in : GENC_F64;
  char buf[64];
  const char *ex =
      (unsigned)op < GENC_UNARY_COUNT ? genc__xemit_unary_expr(op, dt, buf, sizeof buf) : NULL;
  if (!ex) return false;
  const char *names[1] = {"v"};
  elementwise(E, k, 1, &dt, names, dt, ex);
  return true;
}

/* ---- binary ---- */

const char *genc__xemit_binary_expr(genc_binary_op op, int dt, char *buf, size_t cap) {
  static const char *cmp[] = {"x == y", "x != y", "x < y", "x <= y", "x > y", "x >= y"};
  if (op >= GENC_EQ && op <= GENC_GE && dt != GENC_BOOL) return cmp[op - GENC_EQ];
  const char *s = dt == GENC_F32 ? "f" : "";
  if (isf(dt)) {
    switch (op) {
    case GENC_ADD: return "x + y";
    case GENC_SUB: return "x - y";
    case GENC_MUL: return "x * y";
    case GENC_DIV: return "x / y";
    case GENC_POW: snprintf(buf, cap, "pow%s(x, y)", s); return buf;
    case GENC_MAXIMUM: return "(x > y || x != x) ? x : y";
    case GENC_MINIMUM: return "(x < y || x != x) ? x : y";
    case GENC_ATAN2: snprintf(buf, cap, "atan2%s(x, y)", s); return buf;
    default: return NULL;
    }
  }
  if (dt == GENC_I32) {
    switch (op) {
    case GENC_ADD: return "GENC_XWRAP32(x, +, y)";
    case GENC_SUB: return "GENC_XWRAP32(x, -, y)";
    case GENC_MUL: return "GENC_XWRAP32(x, *, y)";
    case GENC_MAXIMUM: return "x > y ? x : y";
    case GENC_MINIMUM: return "x < y ? x : y";
    default: return NULL;
    }
  }
  switch (op) {
  case GENC_AND: return "x && y";
  case GENC_OR: return "x || y";
  case GENC_EQ: return "x == y";
  case GENC_NE: return "x != y";
  default: return NULL;
  }
}

static bool emit_binary(emit *E, int32_t k) {
  const genc_gnode *nd = &E->g->nodes[k];
  genc_binary_op op = (genc_binary_op)nd->p.op;
  const genc_gmeta *a = meta(E, nd->in[0]), *b = meta(E, nd->in[1]);
  int dt;
  if (op == GENC_AND || op == GENC_OR)
    dt = GENC_BOOL;
  else {
    dt = genc__xemit_promote2(a, b);
    if (dt == GENC_BOOL && !(op == GENC_EQ || op == GENC_NE)) dt = GENC_I32;
    if (dt == GENC_I32 && (op == GENC_DIV || op == GENC_POW || op == GENC_ATAN2)) dt = GENC_F64;
  }
  char buf[64];
  const char *ex =
      (unsigned)op < GENC_BINARY_COUNT ? genc__xemit_binary_expr(op, dt, buf, sizeof buf) : NULL;
  if (!ex) return false;
  const int dts[2] = {dt, dt};
  const char *names[2] = {"x", "y"};
  elementwise(E, k, 2, dts, names, dt, ex);
  return true;
}

static bool emit_where(emit *E, int32_t k) {
  const genc_gnode *nd = &E->g->nodes[k];
  int dt = genc__xemit_promote2(meta(E, nd->in[1]), meta(E, nd->in[2]));
  const int dts[3] = {GENC_BOOL, dt, dt};
  const char *names[3] = {"c", "x", "y"};
  elementwise(E, k, 3, dts, names, dt, "c ? x : y");
  return true;
}

/* astype, stop_gradient, broadcast, reshape: copies (with a cast for astype). */
static bool emit_copy(emit *E, int32_t k, bool flat) {
  const genc_gnode *nd = &E->g->nodes[k];
  const int dt = nd->out.dtype;
  const char *names[1] = {"v"};
  if (!flat) {
    elementwise(E, k, 1, &dt, names, dt, "v");
    return true;
  }
  char nm[32], x[128];
  vname(E, nd->in[0], nm, sizeof nm);
  snprintf(x, sizeof x, "%s[i]", nm);
  char c[200];
  genc__xemit_cast_expr(meta(E, nd->in[0])->dtype, dt, x, c, sizeof c);
  P("  for (int64_t i = 0; i < %lld; i++) v%d[i] = %s;\n", (long long)nd->out.size,
    (int)(E->base + k), c);
  return true;
}

/* ---- the fused normal log density (cpu_fused.c) ---- */

static int fused_dtype(const emit *E, const genc_gnode *nd) {
  bool f32 = false;
  for (int i = 0; i < 3; i++) {
    const genc_gmeta *m = meta(E, nd->in[i]);
    if (m->weak) continue;
    if (m->dtype != GENC_F32) return GENC_F64;
    f32 = true;
  }
  return f32 ? GENC_F32 : GENC_F64;
}

static bool emit_normal_lp(emit *E, int32_t k, int pos) {
  const genc_gnode *nd = &E->g->nodes[k];
  int dt = fused_dtype(E, nd);
  const int dts[3] = {dt, dt, dt};
  const char *names[3] = {"x", "m", "s"};
  char ex[96];
  if (E->hoist[pos] >= 0)
    snprintf(ex, sizeof ex, "genc_sf_normal_lp(x, m, s, H[%d], H[%d])", 2 * E->hoist[pos] + 1,
             2 * E->hoist[pos]);
  else
    snprintf(ex, sizeof ex, "genc_sf_normal_lp(x, m, s, 1.0 / (double)s, log((double)s))");
  elementwise(E, k, 3, dts, names, dt, ex);
  return true;
}

/* ---- reductions (cpu_reduce.c) ---- */

const char *genc__xemit_red_init(genc_reduce_op op, int dt) {
  if (dt == GENC_BOOL) return op == GENC_RMIN ? "1" : "0"; /* min and max of bools: all, any */
  switch (op) {
  case GENC_RSUM: return "0";
  case GENC_RPROD: return "1";
  case GENC_RMAX: return dt == GENC_I32 ? "INT32_MIN" : "-INFINITY";
  default: return dt == GENC_I32 ? "INT32_MAX" : "INFINITY";
  }
}

const char *genc__xemit_red_step(genc_reduce_op op, int dt) {
  if (dt == GENC_BOOL) return op == GENC_RMIN ? "acc & v" : "acc | v";
  bool i = dt == GENC_I32;
  switch (op) {
  case GENC_RSUM: return i ? "GENC_XWRAP32(acc, +, v)" : "acc + v";
  case GENC_RPROD: return i ? "GENC_XWRAP32(acc, *, v)" : "acc * v";
  /* the eager (v > acc || v != v), with | so that no branch keeps the
   * compiler from vectorizing the four accumulators (the same value) */
  case GENC_RMAX: return i ? "v > acc ? v : acc" : "((v > acc) | (v != v)) ? v : acc";
  default: return i ? "v < acc ? v : acc" : "((v < acc) | (v != v)) ? v : acc";
  }
}

/* One axis: x [outer, len, inner] (name xs) into y [outer, inner] (name ys). */
static void reduce_axis(emit *E, genc_reduce_op op, int dt, const char *xs, const char *ys,
                        int64_t outer, int64_t len, int64_t inner) {
  const char *T = genc__xemit_ctype(dt), *st = genc__xemit_red_step(op, dt),
             *in = genc__xemit_red_init(op, dt);
  const char *f = dt == GENC_F32 ? "f" : "";
  P("  for (int64_t o = 0; o < %lld; o++) {\n", (long long)outer);
  if (op == GENC_RLOGSUMEXP) {
    P("    for (int64_t j = 0; j < %lld; j++) {\n      %s m = -INFINITY, s = 0;\n",
      (long long)inner, T);
    P("      for (int64_t l = 0; l < %lld; l++) { %s v = %s[(o * %lld + l) * %lld + j]; if (v > m "
      "|| v != v) m = v; }\n",
      (long long)len, T, xs, (long long)len, (long long)inner);
    P("      if (m != m || m == INFINITY || m == -INFINITY) { %s[o * %lld + j] = m; continue; }\n",
      ys, (long long)inner);
    P("      for (int64_t l = 0; l < %lld; l++) s += exp%s(%s[(o * %lld + l) * %lld + j] - m);\n",
      (long long)len, f, xs, (long long)len, (long long)inner);
    P("      %s[o * %lld + j] = m + log%s(s);\n    }\n  }\n", ys, (long long)inner, f);
    return;
  }
  if (inner == 1 && isf(dt) && op == GENC_RSUM) { /* the eager row sum's lanes (exec_abi.h) */
    P("    %s[o] = genc_x_rowsum%s(%s + o * %lld, %lld);\n  }\n", ys, f, xs, (long long)len,
      (long long)len);
    return;
  }
  if (inner == 1 && isf(dt) && op != GENC_RPROD) { /* ROW4: four accumulators */
    P("    const %s *r = %s + o * %lld;\n    %s a0 = %s, a1 = %s, a2 = %s, a3 = %s, v, acc;\n", T,
      xs, (long long)len, T, in, in, in, in);
    P("    int64_t l = 0;\n    for (; l + 4 <= %lld; l += 4) {\n", (long long)len);
    for (int q = 0; q < 4; q++)
      P("      acc = a%d, v = r[l + %d], a%d = (%s);\n", q, q, q, st);
    P("    }\n    for (; l < %lld; l++) acc = a0, v = r[l], a0 = (%s);\n", (long long)len, st);
    P("    acc = a0;\n    v = a1, acc = (%s);\n    v = a2, acc = (%s);\n    v = a3, acc = (%s);\n",
      st, st, st);
    P("    %s[o] = acc;\n  }\n", ys);
    return;
  }
  P("    for (int64_t j = 0; j < %lld; j++) %s[o * %lld + j] = (%s)(%s);\n", (long long)inner, ys,
    (long long)inner, T, in);
  P("    for (int64_t l = 0; l < %lld; l++)\n      for (int64_t j = 0; j < %lld; j++) {\n",
    (long long)len, (long long)inner);
  P("        %s acc = %s[o * %lld + j], v = %s[(o * %lld + l) * %lld + j];\n", T, ys,
    (long long)inner, xs, (long long)len, (long long)inner);
  P("        %s[o * %lld + j] = (%s)(%s);\n      }\n  }\n", ys, (long long)inner, T, st);
}

/* The bool value a float max, min or sum reduces when its input is a cast
 * of a region bool (the "all finite" checks of the distributions): -1 if
 * none. Reduced as bools (min: all, max: any) or as an i32 count (exact
 * below 2^31) and cast back, it gives the same value, and byte and integer
 * reductions vectorize where the NaN-aware float select of the eager loop
 * does not. */
static int32_t bool_source(const emit *E, const genc_gnode *nd) {
  genc_reduce_op op = (genc_reduce_op)nd->p.op;
  int32_t x = nd->in[0];
  if (!(op == GENC_RSUM || op == GENC_RMAX || op == GENC_RMIN) || !isf(nd->out.dtype) ||
      !inside(E, x))
    return -1;
  const genc_gnode *c = &E->g->nodes[x - E->base];
  if (strcmp(c->prim->name, "astype") || meta(E, c->in[0])->dtype != GENC_BOOL) return -1;
  return c->in[0];
}

static bool emit_reduce(emit *E, int32_t k) {
  const genc_gnode *nd = &E->g->nodes[k];
  genc_reduce_op op = (genc_reduce_op)nd->p.op;
  int32_t src = bool_source(E, nd);
  const genc_gmeta *x = meta(E, src >= 0 ? src : nd->in[0]);
  int dt = src < 0 ? nd->out.dtype : op == GENC_RSUM ? GENC_I32 : GENC_BOOL;
  int id = (int)(E->base + k);
  char cur[32], nm[32];
  vname(E, src >= 0 ? src : nd->in[0], nm, sizeof nm);
  int64_t shape[GENC_MAX_DIMS];
  for (int d = 0; d < x->ndim; d++)
    shape[d] = x->shape[d];
  P("  {\n");
  if (x->dtype != dt || nd->p.naxes == 0) { /* the cast of reduce_fwd, into a temporary */
    char rd[64], c[128];
    snprintf(rd, sizeof rd, "%s[i]", nm);
    genc__xemit_cast_expr(x->dtype, dt, rd, c, sizeof c);
    P("  %s t%d_c[%lld];\n  for (int64_t i = 0; i < %lld; i++) t%d_c[i] = %s;\n",
      genc__xemit_ctype(dt), id, (long long)x->size, (long long)x->size, id, c);
    snprintf(cur, sizeof cur, "t%d_c", id);
  } else {
    snprintf(cur, sizeof cur, "%s", nm);
  }
  for (int a = nd->p.naxes - 1; a >= 0; a--) { /* from the last axis, as reduce_fwd */
    int ax = nd->p.axes[a];
    int64_t outer = 1, inner = 1, len = shape[ax];
    for (int d = 0; d < ax; d++)
      outer *= shape[d];
    for (int d = ax + 1; d < x->ndim; d++)
      inner *= shape[d];
    shape[ax] = 1;
    char nxt[32];
    if (a == 0 && src < 0)
      snprintf(nxt, sizeof nxt, "v%d", id);
    else {
      snprintf(nxt, sizeof nxt, "t%d_%d", id, a);
      P("  %s %s[%lld];\n", genc__xemit_ctype(dt), nxt, (long long)(outer * inner));
    }
    reduce_axis(E, op, dt, cur, nxt, outer, len, inner);
    snprintf(cur, sizeof cur, "%s", nxt);
  }
  if (nd->p.naxes == 0 || src >= 0)
    P("  for (int64_t i = 0; i < %lld; i++) v%d[i] = (%s)%s[i];\n", (long long)nd->out.size, id,
      genc__xemit_ctype(nd->out.dtype), cur);
  P("  }\n");
  return true;
}

/* ---- regions ---- */

static bool emit_node(emit *E, int32_t k, int pos) {
  const genc_gnode *nd = &E->g->nodes[k];
  const char *n = nd->prim->name;
  int id = (int)(E->base + k);
  if (!strcmp(n, "random")) return true; /* bound to its tile row at the top of the body */
  P("  /* node %d: %s */\n  %s v%d[%lld];\n", (int)k, n, genc__xemit_ctype(nd->out.dtype), id,
    (long long)nd->out.size);
  if (!strcmp(n, "unary")) return emit_unary(E, k);
  if (!strcmp(n, "binary")) return emit_binary(E, k);
  if (!strcmp(n, "where")) return emit_where(E, k);
  if (!strcmp(n, "astype") || !strcmp(n, "stop_gradient")) return emit_copy(E, k, true);
  if (!strcmp(n, "reshape")) return emit_copy(E, k, true);
  if (!strcmp(n, "broadcast")) return emit_copy(E, k, false);
  if (!strcmp(n, "normal_logpdf")) return emit_normal_lp(E, k, pos);
  if (!strcmp(n, "reduce")) return emit_reduce(E, k);
  return false;
}

/* Whether values a and b are one shared scalar: the same value, or two
 * constants of one dtype and value (every genc_scalar call makes a constant of
 * its own: a graph of several MCMC steps has one per step and density). The
 * source then depends on which constants are equal, so a cached object is
 * only reused by graphs whose constants are equal alike. */
static bool same_scalar(const emit *E, int32_t a, int32_t b) {
  const genc_graph *g = E->g;
  int32_t c0 = g->ninputs, c1 = g->ninputs + g->nconsts;
  if (a == b) return true;
  if (a < c0 || a >= c1 || b < c0 || b >= c1 || meta(E, a)->dtype != meta(E, b)->dtype)
    return false;
  double x = NAN, y = NAN; /* NaN never equals: not shared */
  return !genc_array_item(g->ctx, g->consts[a - c0], &x) &&
         !genc_array_item(g->ctx, g->consts[b - c0], &y) && x == y && signbit(x) == signbit(y);
}

/* log sigma and 1 / sigma of the normal densities whose sigma is a shared
 * scalar from outside the region: computed once per call instead of once per
 * particle, and once for all densities of the region with equal sigmas
 * (H[2h] and H[2h + 1] for hoisted value h; genc__xemit_hoists). */
static void plan_hoist(emit *E) {
  E->nhoist = 0;
  for (int i = 0; i < E->r->nnodes; i++) {
    const genc_gnode *nd = &E->g->nodes[E->r->nodes[i]];
    E->hoist[i] = -1;
    if (strcmp(nd->prim->name, "normal_logpdf")) continue;
    const genc_gmeta *s = meta(E, nd->in[2]);
    if (inside(E, nd->in[2]) || s->n != 0 || s->size != 1) continue;
    for (int j = 0; j < i && E->hoist[i] < 0; j++) {
      const genc_gnode *o = &E->g->nodes[E->r->nodes[j]];
      if (E->hoist[j] >= 0 && fused_dtype(E, o) == fused_dtype(E, nd) &&
          same_scalar(E, o->in[2], nd->in[2]))
        E->hoist[i] = E->hoist[j];
    }
    if (E->hoist[i] < 0) E->hoist[i] = E->nhoist++;
  }
}

/* H[2h] = log sigma, H[2h + 1] = 1 / sigma of each hoisted value h, from the
 * argument block `a` ("A->" or "A."): the CPU driver and the CUDA kernels. */
static void emit_hoisted(emit *E, const char *a) {
  const genc_xregion *r = E->r;
  for (int i = 0, h = 0; i < r->nnodes; i++)
    if (E->hoist[i] == h) { /* the first density of each hoisted value */
      const genc_gnode *nd = &E->g->nodes[r->nodes[i]];
      int dt = fused_dtype(E, nd), m = meta(E, nd->in[2])->dtype;
      char sg[160];
      snprintf(sg, sizeof sg, "(double)(%s)((const %s *)%sin[%d])[0]", genc__xemit_ctype(dt),
               genc__xemit_ctype(m), a, ext_index(E, nd->in[2]));
      P("  H[%d] = log(%s);\n  H[%d] = 1.0 / %s;\n", 2 * h, sg, 2 * h + 1, sg);
      h++;
    }
}

int genc__xemit_hoists(const genc_graph *g, const genc_xpart *p, int32_t ri, int32_t *hoist,
                       genc_xbuf *out) {
  emit es = {.g = g, .p = p, .r = &p->regions[ri], .ri = ri, .b = out, .hoist = hoist};
  es.base = g->ninputs + g->nconsts;
  plan_hoist(&es);
  if (out) emit_hoisted(&es, "A.");
  return es.nhoist;
}

static void emit_body(emit *E) {
  const genc_xregion *r = E->r;
  P("GENC_HD void genc_xbody%d(const genc_xargs *A, int64_t p, const void *const *S, "
    "const double *H) {\n  (void)A, (void)p, (void)S, (void)H;\n",
    (int)E->ri);
  for (int i = 0; i < r->nin; i++) {
    const genc_gmeta *m = meta(E, r->in[i]);
    P("  const %s *e%d = (const %s *)A->in[%d] + p * %lld;\n", genc__xemit_ctype(m->dtype), i,
      genc__xemit_ctype(m->dtype), i, (long long)(m->n ? m->size : 0));
  }
  for (int i = 0; i < r->nsample; i++) {
    const genc_gnode *nd = &E->g->nodes[r->sample[i]];
    P("  const %s *v%d = (const %s *)S[%d];\n", genc__xemit_ctype(nd->out.dtype),
      (int)(E->base + r->sample[i]), genc__xemit_ctype(nd->out.dtype), i);
  }
  for (int i = 0; i < r->nnodes && !E->b->oom; i++)
    if (!emit_node(E, r->nodes[i], i)) E->b->oom = true; /* cannot happen for fusable nodes */
  for (int i = 0; i < r->nout; i++) {
    const genc_gmeta *m = meta(E, r->out[i]);
    P("  { %s *restrict o = (%s *)A->out[%d] + p * %lld;\n", genc__xemit_ctype(m->dtype),
      genc__xemit_ctype(m->dtype), i, (long long)(m->n ? m->size : 0));
    P("    for (int64_t j = 0; j < %lld; j++) o[j] = v%d[j]; }\n", (long long)m->size,
      (int)r->out[i]);
  }
  P("}\n\n");
}

/* blk: the region has a block body (genc_xbodyb, exec_row.c) for whole
 * blocks of GENC_XPB particles of a tile; the rest go one by one. */
static void emit_driver(emit *E, bool blk) {
  const genc_xregion *r = E->r;
  /* the tile's draws stay under 256 KiB of the thread's stack */
  int64_t tile = GENC_X_TILE, per = 0;
  for (int i = 0; i < r->nsample; i++)
    per += E->g->nodes[r->sample[i]].out.size * 8;
  while (tile > 1 && tile * per > 256 * 1024)
    tile /= 2;
  P("%svoid genc_xregion%d(const genc_xargs *A, int64_t p0, int64_t p1) {\n",
    blk ? "GENC_X512 " : "", (int)E->ri);
  P("  double H[%d];\n  const void *S[%d];\n", 2 * E->nhoist + 1, r->nsample + 1);
  emit_hoisted(E, "A->");
  if (blk) { /* the block body assumes finite reciprocals of its hoisted sigmas */
    P("  int blk = 1;\n");
    for (int h = 0; h < E->nhoist; h++)
      P("  blk &= H[%d] < INFINITY;\n", 2 * h + 1);
  }
  for (int i = 0; i < r->nsample; i++) {
    const genc_gnode *nd = &E->g->nodes[r->sample[i]];
    P("  %s sb%d[%lld];\n", genc__xemit_ctype(nd->out.dtype), i, (long long)(tile * nd->out.size));
  }
  P("  for (int64_t t0 = p0; t0 < p1; t0 += %lld) {\n", (long long)tile);
  P("    int64_t nt = p1 - t0 < %lld ? p1 - t0 : %lld;\n", (long long)tile, (long long)tile);
  for (int i = 0; i < r->nsample; i++) {
    const genc_gnode *nd = &E->g->nodes[r->sample[i]];
    P("    genc_x_sample_tile((genc_law)%d, (genc_dtype)%d, A->keys + %d, %uu, t0, nt, %lld, "
      "sb%d);\n",
      nd->p.op, nd->p.axis, 3 * i, (unsigned)(uint32_t)nd->p.i[2], (long long)nd->out.size, i);
  }
  P("    int64_t p = t0;\n");
  for (int pass = blk ? 0 : 1; pass < 2; pass++) {
    if (pass == 0)
      P("#ifndef __CUDACC__\n    for (; p + GENC_XPB <= t0 + nt && blk; p += GENC_XPB) {\n");
    else
      P("    for (; p < t0 + nt; p++) {\n");
    for (int i = 0; i < r->nsample; i++)
      P("      S[%d] = sb%d + (p - t0) * %lld;\n", i, i,
        (long long)E->g->nodes[r->sample[i]].out.size);
    P("      genc_xbody%s%d(A, p, S, H);\n    }\n%s", pass == 0 ? "b" : "", (int)E->ri,
      pass == 0 ? "#endif\n" : "");
  }
  P("  }\n}\n\n");
}

/* An unbatched region's one particle on draws S made by the caller: the step
 * of genc_graph_loop's compiled loop (exec_loop.c). The hoisted constants are
 * computed again only when their sigma's bits changed (fresh: the first
 * call), so a loop over carried inputs pays the logs once. */
static void emit_step(emit *E) {
  const genc_xregion *r = E->r;
  P("#ifndef __CUDACC__ /* host code: not in the NVRTC source's use */\n"
    "void genc_xstep%d(const genc_xargs *A, const void *const *S, double *H, double *hs, "
    "int fresh) {\n  (void)hs, (void)fresh;\n",
    (int)E->ri);
  for (int i = 0, h = 0; i < r->nnodes; i++)
    if (E->hoist[i] == h) {
      const genc_gnode *nd = &E->g->nodes[r->nodes[i]];
      int dt = fused_dtype(E, nd), m = meta(E, nd->in[2])->dtype;
      P("  {\n    const double x = (double)(%s)((const %s *)A->in[%d])[0];\n",
        genc__xemit_ctype(dt), genc__xemit_ctype(m), ext_index(E, nd->in[2]));
      P("    if (fresh || memcmp(&x, hs + %d, sizeof x)) {\n      hs[%d] = x;\n"
        "      H[%d] = log(x);\n      H[%d] = 1.0 / x;\n    }\n  }\n",
        h, h, 2 * h, 2 * h + 1);
      h++;
    }
  P("  genc_xbody%d(A, 0, S, H);\n}\n#endif\n\n", (int)E->ri);
}

void genc__xemit(const genc_graph *g, const genc_xpart *p, genc_xbuf *out) {
  /* Random123 would pull in every SIMD intrinsics header (a third of the
   * compile time) for types philox4x32 does not use */
  genc__xbuf_printf(out, "/* generated by genc (src/array/exec_emit.c) */\n"
                         "#define R123_USE_SSE 0\n"
                         "#include \"array/exec_abi.h\"\n"
                         "#include \"array/exec_vec.h\"\n\n");
  for (int32_t ri = 0; ri < p->nregions && !out->oom; ri++) {
    emit es = {.g = g, .p = p, .r = &p->regions[ri], .ri = ri, .b = out}, *E = &es;
    E->base = g->ninputs + g->nconsts;
    E->hoist = malloc(((size_t)E->r->nnodes + 1) * sizeof *E->hoist);
    if (!E->hoist) {
      out->oom = true;
      break;
    }
    plan_hoist(E);
    P("/* region %d: %d nodes, %lld particles */\n", (int)ri, (int)E->r->nnodes,
      (long long)E->r->n);
    genc_xbuf rb = {0};
    bool row = genc__xcpu_row_body(g, p, ri, &rb) && !rb.oom;
    if (row) { /* CUDA sources keep the node body */
      P("#ifdef __CUDACC__\n");
      emit_body(E);
      P("#else\n%s#endif\n", rb.s);
    } else {
      emit_body(E);
    }
    free(rb.s);
    emit_driver(E, row && E->r->n);
    if (!E->r->n) emit_step(E);
    free(E->hoist);
  }
}
