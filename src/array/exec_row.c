/*
 * Row-fused bodies, for the CUDA executor and the CPU's. The CPU emitter
 * (exec_emit.c) gives
 * every value of a region a local array of its per-particle size and runs one
 * loop per node; a C compiler keeps those arrays in L1 and vectorizes the
 * loops. On a GPU thread the same arrays become hundreds of registers (the
 * B1 region: 255 registers and spills, one block of 256 threads per
 * multiprocessor), so the kernels starve for warps. For the common shape of a
 * model's density (scalars per particle, then elementwise work over one row of
 * L elements ending in full reductions, then scalars again) this file writes
 * the body as one loop over the row in which every value is a scalar: the
 * same expressions, operand casts and summation order as the emitter and the
 * eager kernels (reductions of float rows in four interleaved running sums,
 * row4 of cuda_reduce.cu; others in order), so the results
 * are those of the emitter's body. Regions of any other shape keep the
 * emitter's body (exec_cuda_src.c decides).
 *
 * On the CPU the emitter's per-node loops each pass over locals of the row
 * (B4: twenty passes over 1000 doubles per gradient, B3 six over 100 per
 * step), so the CPU takes a row-fused body too when every row reduction is a
 * float sum (genc__xcpu_row_body): the row in groups of sixteen elements, an
 * inner loop over the group that gcc vectorizes (each sum in sixteen lanes,
 * the lane of an element its index mod 16, as genc_x_rowsum), then the last
 * len % 16 elements with each sum's tail in order (their terms computed in a
 * loop that vectorizes, then added one by one), then the halving of the
 * lanes plus the tail: the eager row sum's order exactly. A batched region
 * gets a block form too (genc_xbodyb): the same statements in loops across
 * GENC_XPB particles, per-particle scalars as arrays, each particle's sums in
 * their own sixteen lanes.
 *
 * The expressions, operand casts and dtype promotion are the emitter's own
 * (genc__xemit_*, exec_cpu.h), so both kinds of body compute the same thing;
 * test_graph_cuda compares both with the eager results on the GPU.
 */
#include <stdio.h>
#include <stdlib.h>

#include "array/exec_cpu.h"
#include "array/exec_cuda.h"

#define P(...) genc__xbuf_printf(b, __VA_ARGS__)

static bool isf(int d) { return d == GENC_F64 || d == GENC_F32; }

static int fused_dtype(const genc_graph *g, const genc_gnode *nd) {
  bool f32 = false;
  for (int i = 0; i < 3; i++) {
    const genc_gmeta *m = &g->meta[nd->in[i]];
    if (m->weak) continue;
    if (m->dtype != GENC_F32) return GENC_F64;
    f32 = true;
  }
  return f32 ? GENC_F32 : GENC_F64;
}

/* ---- classification ---- */

enum { K_EXT, K_PRE, K_ROW, K_RED, K_POST };

typedef struct rowp {
  const genc_graph *g;
  const genc_xpart *p;
  const genc_xregion *r;
  int32_t ri, base;
  int64_t L;             /* the row length (0: none yet) */
  const genc_gmeta *row; /* its shape */
  int8_t *kind;          /* per value id (K_EXT for values outside the region) */
  int32_t *sample;       /* per value id: its sample slot, or -1 */
  genc_xbuf *b;
  bool cpu; /* the CPU's body: sums in sixteen lanes (main: inside the group loop) */
  bool main;
  bool blk;   /* the CPU's block body: GENC_XPB particles, per-particle scalars as arrays [k] */
  bool tailv; /* the CPU's one-particle tail: terms stored (tv<id>[li - l0]), summed after */
} rowp;

static bool inside(const rowp *R, int32_t v) {
  return v >= R->base && R->p->region_of[v - R->base] == R->ri;
}

static bool same_shape(const genc_gmeta *a, const genc_gmeta *b) {
  return a->ndim == b->ndim && !memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof *a->shape);
}

/* Size class of a value read by a node: 1 (scalar) or the row; false if neither. */
static bool operand_ok(rowp *R, int32_t v, bool *is_row) {
  const genc_gmeta *m = &R->g->meta[v];
  if (m->size == 1) {
    *is_row = false;
    return true;
  }
  if (!R->L) R->L = m->size, R->row = m;
  *is_row = true;
  return m->size == R->L && same_shape(m, R->row);
}

static bool elementwise_prim(const char *n) {
  return !strcmp(n, "unary") || !strcmp(n, "binary") || !strcmp(n, "where") ||
         !strcmp(n, "astype") || !strcmp(n, "stop_gradient") || !strcmp(n, "normal_logpdf");
}

/* The phase of a value read by a node (externals: row or pre). */
static int phase_of(const rowp *R, int32_t v) {
  if (inside(R, v)) return R->kind[v];
  return R->g->meta[v].size == 1 ? K_PRE : K_ROW;
}

static bool classify_node(rowp *R, int32_t k) {
  const genc_gnode *nd = &R->g->nodes[k];
  int32_t id = R->base + k;
  const char *n = nd->prim->name;
  bool row;
  if (!operand_ok(R, id, &row)) return false;
  if (!strcmp(n, "random")) {
    R->kind[id] = row ? K_ROW : K_PRE;
    return true;
  }
  int maxph = K_PRE;
  for (int i = 0; i < nd->nin; i++) {
    bool r;
    if (!operand_ok(R, nd->in[i], &r)) return false;
    int ph = phase_of(R, nd->in[i]);
    maxph = ph > maxph ? ph : maxph;
  }
  if (!strcmp(n, "reduce")) {
    genc_reduce_op op = (genc_reduce_op)nd->p.op;
    if (op == GENC_RLOGSUMEXP || nd->p.flag2 || row) return false;
    const genc_gmeta *x = &R->g->meta[nd->in[0]];
    if (x->size == 1) { /* a copy or cast of a scalar */
      R->kind[id] = maxph == K_PRE ? K_PRE : K_POST;
      return true;
    }
    if (nd->p.naxes != x->ndim || maxph != K_ROW) return false;
    R->kind[id] = K_RED;
    return true;
  }
  if (!elementwise_prim(n)) return false;
  if (row) {
    if (maxph > K_ROW) return false; /* a row after a reduction: two loops */
    R->kind[id] = K_ROW;
  } else {
    if (maxph == K_ROW) return false; /* a scalar of a row without a reduction */
    R->kind[id] = maxph == K_PRE ? K_PRE : K_POST;
  }
  return true;
}

/* ---- emission ---- */

/* The name of value v read at row index li ("" outside the loop). In a block
 * body, particle k's: per-particle scalars are arrays, row values stay
 * scalars of the particle loop, per-particle inputs are strided by particle. */
static void vref(const rowp *R, int32_t v, char *out, size_t cap) {
  const genc_gmeta *m = &R->g->meta[v];
  if (inside(R, v)) {
    if (R->sample[v] >= 0 && m->size > 1)
      snprintf(out, cap, R->blk ? "s%d[k * %lld + li]" : "s%d[li]", (int)v, (long long)m->size);
    else if (R->blk && (R->sample[v] >= 0 || R->kind[v] != K_ROW))
      snprintf(out, cap, "v%d[k]", (int)v);
    else
      snprintf(out, cap, "v%d", (int)v);
    return;
  }
  int e = -1;
  for (int i = 0; i < R->r->nin; i++)
    if (R->r->in[i] == v) e = i;
  if (R->blk && m->n)
    snprintf(out, cap, m->size > 1 ? "e%d[k * %lld + li]" : "e%d[k]", e, (long long)m->size);
  else
    snprintf(out, cap, m->size > 1 ? "e%d[li]" : "e%d[0]", e);
}

/* const T v<id> = (T)(expr) with the operands bound as the emitter binds them. */
static void emit_elem(rowp *R, int32_t k, int *hoist) {
  genc_xbuf *b = R->b;
  const genc_gnode *nd = &R->g->nodes[k];
  const char *n = nd->prim->name;
  const genc_gmeta *in0 = &R->g->meta[nd->in[0]];
  int dts[3], nops = nd->nin, cdt;
  const char *names[3] = {"v", NULL, NULL};
  char buf[96];
  const char *ex = NULL;
  if (!strcmp(n, "unary")) {
    genc_unary_op op = (genc_unary_op)nd->p.op;
    int in = in0->dtype;
    if (op == GENC_NOT)
      cdt = GENC_BOOL;
    else if (op == GENC_NEG || op == GENC_ABS || op == GENC_SIGN || op == GENC_SQUARE)
      cdt = in == GENC_BOOL ? GENC_I32 : in;
    else
      cdt = isf(in) ? in : GENC_F64;
    dts[0] = cdt;
    ex = genc__xemit_unary_expr(op, cdt, buf, sizeof buf);
  } else if (!strcmp(n, "binary")) {
    genc_binary_op op = (genc_binary_op)nd->p.op;
    if (op == GENC_AND || op == GENC_OR)
      cdt = GENC_BOOL;
    else {
      cdt = genc__xemit_promote2(in0, &R->g->meta[nd->in[1]]);
      if (cdt == GENC_BOOL && !(op == GENC_EQ || op == GENC_NE)) cdt = GENC_I32;
      if (cdt == GENC_I32 && (op == GENC_DIV || op == GENC_POW || op == GENC_ATAN2)) cdt = GENC_F64;
    }
    dts[0] = dts[1] = cdt, names[0] = "x", names[1] = "y";
    ex = genc__xemit_binary_expr(op, cdt, buf, sizeof buf);
  } else if (!strcmp(n, "where")) {
    cdt = genc__xemit_promote2(&R->g->meta[nd->in[1]], &R->g->meta[nd->in[2]]);
    dts[0] = GENC_BOOL, dts[1] = dts[2] = cdt;
    names[0] = "c", names[1] = "x", names[2] = "y", ex = "c ? x : y";
  } else if (!strcmp(n, "normal_logpdf")) {
    cdt = fused_dtype(R->g, nd);
    dts[0] = dts[1] = dts[2] = cdt;
    names[0] = "x", names[1] = "m", names[2] = "s";
    if (*hoist >= 0 && R->blk) /* the driver runs blocks only when every isig is finite */
      snprintf(buf, sizeof buf, "genc_sf_normal_lp_i(x, m, H[%d], H[%d])", 2 * *hoist + 1,
               2 * *hoist);
    else if (*hoist >= 0)
      snprintf(buf, sizeof buf, "genc_sf_normal_lp(x, m, s, H[%d], H[%d])", 2 * *hoist + 1,
               2 * *hoist);
    else
      snprintf(buf, sizeof buf, "genc_sf_normal_lp(x, m, s, 1.0 / (double)s, log((double)s))");
    ex = buf;
  } else { /* astype, stop_gradient, a reduce of a scalar: a copy with a cast */
    cdt = dts[0] = nd->out.dtype;
    nops = 1, ex = "v";
  }
  if (!ex) ex = "0"; /* unreachable: the partition admits only ops the emitter has */
  P("    { typedef %s T;\n", genc__xemit_ctype(cdt));
  for (int i = 0; i < nops; i++) {
    char r[64], c[128];
    vref(R, nd->in[i], r, sizeof r);
    genc__xemit_cast_expr(R->g->meta[nd->in[i]].dtype, dts[i], r, c, sizeof c);
    P("      const %s %s = %s;\n", genc__xemit_ctype(dts[i]), names[i], c);
  }
  char o[64];
  vref(R, R->base + k, o, sizeof o);
  P("      %s = (%s)(%s); }\n", o, genc__xemit_ctype(nd->out.dtype), ex);
}

/* four interleaved sums (row4) for float rows other than products */
static bool row4(const genc_gnode *nd) {
  return isf(nd->out.dtype) && (genc_reduce_op)nd->p.op != GENC_RPROD;
}

/* One element li of the row: its row values, stores, and accumulations into
 * accumulator q of every reduction. */
static void emit_row(rowp *R, const char *idx, int q, int *hoist) {
  genc_xbuf *b = R->b;
  P("  {\n    const int64_t li = %s;\n", idx);
  if (R->blk) P("    GENC_XPB_FOR (int k = 0; k < GENC_XPB; k++) {\n");
  for (int i = 0; i < R->r->nnodes; i++) {
    int32_t k = R->r->nodes[i], id = R->base + k;
    const genc_gnode *nd = &R->g->nodes[k];
    if (R->kind[id] == K_ROW && R->sample[id] < 0) {
      P("    %s v%d;\n", genc__xemit_ctype(nd->out.dtype), (int)id);
      emit_elem(R, k, &hoist[i]);
    } else if (R->kind[id] == K_RED) {
      char r[64], c[128];
      int dt = nd->out.dtype;
      vref(R, nd->in[0], r, sizeof r);
      genc__xemit_cast_expr(R->g->meta[nd->in[0]].dtype, dt, r, c, sizeof c);
      const char *T = genc__xemit_ctype(dt);
      const char *ix = R->blk ? "[k]" : "";
      if (R->tailv)
        P("    tv%d[li - l0] = %s;\n", (int)id, c);
      else if (R->cpu && R->main)
        P("    { %s acc = s%d[q]%s, v = %s; s%d[q]%s = (%s)(acc + v); }\n", T, (int)id, ix, c,
          (int)id, ix, T);
      else if (R->cpu)
        P("    { %s acc = t%d%s, v = %s; t%d%s = (%s)(acc + v); }\n", T, (int)id, ix, c, (int)id,
          ix, T);
      else
        P("    { %s acc = a%d_%d, v = %s; a%d_%d = (%s)(%s); }\n", T, (int)id, row4(nd) ? q : 0, c,
          (int)id, row4(nd) ? q : 0, T, genc__xemit_red_step((genc_reduce_op)nd->p.op, dt));
    }
  }
  for (int i = 0; i < R->r->nout; i++) {
    int32_t v = R->r->out[i];
    if (R->kind[v] != K_ROW) continue;
    const genc_gmeta *m = &R->g->meta[v];
    char r[64];
    vref(R, v, r, sizeof r);
    P("    ((%s *)A->out[%d])[(p%s) * %lld + li] = %s;\n", genc__xemit_ctype(m->dtype), i,
      R->blk ? " + k" : "", (long long)(m->n ? m->size : 0), r);
  }
  P(R->blk ? "  }}\n" : "  }\n");
}

/* Scalars of phase ph, in node order. */
static void emit_scalars(rowp *R, int ph, int *hoist) {
  genc_xbuf *b = R->b;
  for (int i = 0; R->blk && i < R->r->nnodes; i++) { /* a block: arrays, then one loop */
    int32_t k = R->r->nodes[i], id = R->base + k;
    int dt = R->g->nodes[k].out.dtype;
    /* bools held in 64 bits: gcc vectorizes no loop mixing bytes and doubles */
    if (R->kind[id] == ph && R->sample[id] < 0)
      P("  %s v%d[GENC_XPB];\n", dt == GENC_BOOL ? "int64_t" : genc__xemit_ctype(dt), (int)id);
  }
  if (R->blk) P("  GENC_XPB_FOR (int k = 0; k < GENC_XPB; k++) {\n");
  for (int i = 0; i < R->r->nnodes; i++) {
    int32_t k = R->r->nodes[i], id = R->base + k;
    if (R->kind[id] != ph || R->sample[id] >= 0) continue;
    if (!R->blk) P("  %s v%d;\n", genc__xemit_ctype(R->g->nodes[k].out.dtype), (int)id);
    emit_elem(R, k, &hoist[i]);
  }
  if (R->blk) P("  }\n");
}

static void emit_reductions(rowp *R, bool init) {
  genc_xbuf *b = R->b;
  for (int i = 0; i < R->r->nnodes; i++) {
    int32_t k = R->r->nodes[i], id = R->base + k;
    if (R->kind[id] != K_RED) continue;
    const genc_gnode *nd = &R->g->nodes[k];
    int dt = nd->out.dtype;
    const char *T = genc__xemit_ctype(dt), *st = genc__xemit_red_step((genc_reduce_op)nd->p.op, dt);
    if (init) {
      const char *in = genc__xemit_red_init((genc_reduce_op)nd->p.op, dt);
      P("  %s a%d_0 = %s, a%d_1 = %s, a%d_2 = %s, a%d_3 = %s;\n", T, (int)id, in, (int)id, in,
        (int)id, in, (int)id, in);
    } else if (row4(nd)) {
      P("  %s v%d;\n  { %s acc = a%d_0, v;\n", T, (int)id, T, (int)id);
      for (int q = 1; q < 4; q++)
        P("    v = a%d_%d, acc = (%s);\n", (int)id, q, st);
      P("    v%d = acc; }\n", (int)id);
    } else {
      P("  %s v%d = a%d_0;\n", T, (int)id, (int)id);
    }
  }
}

/* The row in groups of four, each reduction in four running sums (CUDA). */
static void emit_loop_gpu(rowp *R, int *hoist) {
  genc_xbuf *b = R->b;
  emit_reductions(R, true);
  P("  int64_t l = 0;\n  for (; l + 4 <= %lld; l += 4) {\n", (long long)R->L);
  const char *ix[4] = {"l", "l + 1", "l + 2", "l + 3"};
  for (int q = 0; q < 4; q++)
    emit_row(R, ix[q], q, hoist);
  P("  }\n  for (; l < %lld; l++)\n", (long long)R->L);
  emit_row(R, "l", 0, hoist);
  emit_reductions(R, false);
}

static void emit_sums(rowp *R, bool init);

/* The one-particle tail's terms of each sum: declared (init), or added to
 * the sum's tail t<id> in element order. */
static void emit_tail_terms(rowp *R, bool init) {
  genc_xbuf *b = R->b;
  for (int i = 0; i < R->r->nnodes; i++) {
    int32_t id = R->base + R->r->nodes[i];
    if (R->kind[id] != K_RED) continue;
    const char *T = genc__xemit_ctype(R->g->nodes[R->r->nodes[i]].out.dtype);
    if (init)
      P("  %s tv%d[16];\n", T, (int)id);
    else
      P("  for (int64_t q = 0; q < %lld - l0; q++) { %s acc = t%d, v = tv%d[q]; t%d = (%s)(acc + "
        "v); }\n",
        (long long)R->L, T, (int)id, (int)id, (int)id, T);
  }
}

/* The row in groups of sixteen, an inner loop gcc vectorizes, then the tail
 * one by one (the CPU: each sum in sixteen lanes plus its tail). */
static void emit_loop_cpu(rowp *R, int *hoist) {
  genc_xbuf *b = R->b;
  emit_sums(R, true);
  P("  int64_t l = 0;\n  for (; l + 16 <= %lld; l += 16)\n    for (int q = 0; q < 16; q++)\n",
    (long long)R->L);
  R->main = true;
  emit_row(R, "l + q", 0, hoist);
  R->main = false;
  if (R->blk || R->L % 16 == 0) {
    P("  for (; l < %lld; l++)\n", (long long)R->L);
    emit_row(R, "l", 0, hoist);
  } else { /* one particle: the tail's terms in a loop that vectorizes, then added in order */
    P("  {\n  const int64_t l0 = l;\n");
    emit_tail_terms(R, true);
    P("  for (; l < %lld; l++)\n", (long long)R->L);
    R->tailv = true;
    emit_row(R, "l", 0, hoist);
    R->tailv = false;
    emit_tail_terms(R, false);
    P("  }\n");
  }
  emit_sums(R, false);
}

/* The body: genc_xbody<ri> on the CPU (it replaces the emitter's), genc_xgbody<ri>
 * for the CUDA kernels. */
static void emit_body(rowp *R, int *hoist) {
  genc_xbuf *b = R->b;
  const genc_xregion *r = R->r;
  P("GENC_HD %svoid genc_x%sbody%s%d(const genc_xargs *A, int64_t p, const void *const *S, "
    "const double *H) {\n  (void)A, (void)p, (void)S, (void)H;\n",
    R->blk ? "GENC_X512 " : "", R->cpu ? "" : "g", R->blk ? "b" : "", (int)R->ri);
  for (int i = 0; i < r->nin; i++) {
    const genc_gmeta *m = &R->g->meta[r->in[i]];
    P("  const %s *e%d = (const %s *)A->in[%d] + p * %lld;\n", genc__xemit_ctype(m->dtype), i,
      genc__xemit_ctype(m->dtype), i, (long long)(m->n ? m->size : 0));
  }
  for (int i = 0; i < r->nsample; i++) {
    int32_t id = R->base + r->sample[i];
    const char *T = genc__xemit_ctype(R->g->meta[id].dtype);
    if (R->g->meta[id].size > 1)
      P("  const %s *s%d = (const %s *)S[%d];\n", T, (int)id, T, i);
    else if (R->blk) /* the block's particles' draws, one after another */
      P("  const %s *v%d = (const %s *)S[%d];\n", T, (int)id, T, i);
    else
      P("  const %s v%d = ((const %s *)S[%d])[0];\n", T, (int)id, T, i);
  }
  emit_scalars(R, K_PRE, hoist);
  if (R->L && R->cpu)
    emit_loop_cpu(R, hoist);
  else if (R->L)
    emit_loop_gpu(R, hoist);
  emit_scalars(R, K_POST, hoist);
  for (int i = 0; i < r->nout; i++) {
    int32_t v = r->out[i];
    const genc_gmeta *m = &R->g->meta[v];
    if (R->kind[v] == K_ROW) continue;
    char ref[64];
    vref(R, v, ref, sizeof ref);
    if (R->blk)
      P("  GENC_XPB_FOR (int k = 0; k < GENC_XPB; k++) ((%s *)A->out[%d])[(p + k) * %lld] = %s;\n",
        genc__xemit_ctype(m->dtype), i, (long long)(m->n ? m->size : 0), ref);
    else
      P("  ((%s *)A->out[%d])[p * %lld] = %s;\n", genc__xemit_ctype(m->dtype), i,
        (long long)(m->n ? m->size : 0), ref);
  }
  P("}\n\n");
}

/* Classify region ri and, when it has the row shape (and, cpu, sums only),
 * emit its row body into b. */
static bool row_body(const genc_graph *g, const genc_xpart *p, int32_t ri, genc_xbuf *b, bool cpu);

bool genc__xcuda_row_body(const genc_graph *g, const genc_xpart *p, int32_t ri, genc_xbuf *b) {
  return row_body(g, p, ri, b, false);
}

bool genc__xcpu_row_body(const genc_graph *g, const genc_xpart *p, int32_t ri, genc_xbuf *b) {
  return row_body(g, p, ri, b, true);
}

/* ---- the CPU's row body ---- */

static void emit_sums(rowp *R, bool init) {
  genc_xbuf *b = R->b;
  for (int i = 0; i < R->r->nnodes; i++) {
    int32_t id = R->base + R->r->nodes[i];
    if (R->kind[id] != K_RED) continue;
    const char *T = genc__xemit_ctype(R->g->nodes[R->r->nodes[i]].out.dtype);
    if (init && R->blk) {
      P("  %s s%d[16][GENC_XPB] = {{0}}, t%d[GENC_XPB] = {0};\n", T, (int)id, (int)id);
      continue;
    }
    if (init) {
      P("  %s s%d[16] = {0}, t%d = 0;\n", T, (int)id, (int)id);
      continue;
    }
    /* lane k + h into lane k for h = 8, 4, 2, 1 (genc_x_rowsum's halving),
     * one loop per h: gcc unrolls constant trip counts, not the nest */
    for (int h = 8; h >= 1; h /= 2)
      if (R->blk)
        P("  for (int j = 0; j < %d; j++)\n    for (int k = 0; k < GENC_XPB; k++) s%d[j][k] = "
          "s%d[j][k] + s%d[j + %d][k];\n",
          h, (int)id, (int)id, (int)id, h);
      else
        P("  for (int k = 0; k < %d; k++) s%d[k] = s%d[k] + s%d[k + %d];\n", h, (int)id, (int)id,
          (int)id, h);
    if (R->blk) {
      P("  %s v%d[GENC_XPB];\n  GENC_XPB_FOR (int k = 0; k < GENC_XPB; k++) v%d[k] = s%d[0][k] + "
        "t%d[k];\n",
        T, (int)id, (int)id, (int)id, (int)id);
      continue;
    }
    P("  const %s v%d = s%d[0] + t%d;\n", T, (int)id, (int)id, (int)id);
  }
}

/* Whether every row reduction of the classified region is a float sum. */
static bool sums_only(const rowp *R) {
  for (int i = 0; i < R->r->nnodes; i++) {
    int32_t k = R->r->nodes[i];
    const genc_gnode *nd = &R->g->nodes[k];
    if (R->kind[R->base + k] == K_RED && (!isf(nd->out.dtype) || nd->p.op != GENC_RSUM))
      return false;
  }
  return true;
}

static bool row_body(const genc_graph *g, const genc_xpart *p, int32_t ri, genc_xbuf *b, bool cpu) {
  int32_t nv = g->ninputs + g->nconsts + g->nnodes;
  rowp R = {
      .g = g, .p = p, .r = &p->regions[ri], .ri = ri, .base = g->ninputs + g->nconsts, .cpu = cpu};
  R.kind = calloc((size_t)nv + 1, sizeof *R.kind);
  R.sample = malloc(((size_t)nv + 1) * sizeof *R.sample);
  int *hoist = malloc(((size_t)R.r->nnodes + 1) * sizeof *hoist);
  bool ok = R.kind && R.sample && hoist;
  for (int32_t v = 0; ok && v < nv; v++)
    R.sample[v] = -1;
  for (int i = 0; ok && i < R.r->nsample; i++)
    R.sample[R.base + R.r->sample[i]] = i;
  for (int i = 0; ok && i < R.r->nnodes; i++)
    ok = classify_node(&R, R.r->nodes[i]);
  if (ok && cpu) ok = R.L > 0 && sums_only(&R); /* no row: the emitter's body is as good */
  if (ok) {
    R.b = b;
    genc__xemit_hoists(g, p, ri, hoist, NULL); /* the emitter's plan: H as the kernel fills it */
    emit_body(&R, hoist);
    if (cpu && R.r->n) { /* batched: blocks of particles too (genc__xemit's driver) */
      R.blk = true;
      emit_body(&R, hoist);
    }
  }
  free(R.kind), free(R.sample), free(hoist);
  return ok;
}
