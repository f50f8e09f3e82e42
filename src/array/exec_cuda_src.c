/*
 * The CUDA source of a compiled graph (exec_cuda.h): the CPU emitter's output
 * (per-particle bodies, GENC_HD, exec_emit.c) followed by one __global__
 * driver per region: a grid-stride loop over particles, each thread drawing
 * its particle's samples with the per-element law code (random/laws.h: the
 * eager draws) into local arrays, then calling the region's body. Key words
 * are read from a device buffer K (per sample node: word 0, word 1, particle
 * offset), so a recorded CUDA Graph reads each replay's keys. A region whose
 * outputs the graph reduces over the particles may finish those reductions
 * itself (genc_xcu_fuse: the chunked reductions' grid and order).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array/exec_cpu.h"
#include "array/exec_cuda.h"
#include "backend/cuda/cuda_rtc.h"

/* ---- source ---- */

#define P(...) genc__xbuf_printf(b, __VA_ARGS__)

static const char *ctyp(int dt) {
  return dt == GENC_F64   ? "double"
         : dt == GENC_F32 ? "float"
         : dt == GENC_I32 ? "int32_t"
                          : "uint8_t";
}

/* H[2h] = log sigma, H[2h + 1] = 1 / sigma of the region's hoisted normal
 * densities, in the emitter's plan (the bodies index H by it). */
static void emit_hoist(const genc_graph *g, const genc_xpart *p, int32_t ri, genc_xbuf *b) {
  int32_t *hoist = malloc(((size_t)p->regions[ri].nnodes + 1) * sizeof *hoist);
  if (!hoist) {
    b->oom = true;
    return;
  }
  genc__xemit_hoists(g, p, ri, hoist, b);
  free(hoist);
}

/* Draws of sample node k (slot i) for particle expression `pe` into local
 * array `buf`<i>. */
static void emit_draw(const genc_graph *g, int32_t k, int i, const char *pe, const char *buf,
                      genc_xbuf *b) {
  const genc_gnode *nd = &g->nodes[k];
  P("      {\n        genc_sample_req q;\n        memset(&q, 0, sizeof q);\n");
  P("        q.law = (genc_law)%d, q.dtype = (genc_dtype)%d, q.stream = %uu;\n", nd->p.op,
    nd->p.axis, (unsigned)(uint32_t)nd->p.i[2]);
  P("        q.key[0] = K[%d], q.key[1] = K[%d], q.npart = 1, q.size = %lld;\n", 3 * i, 3 * i + 1,
    (long long)nd->out.size);
  /* the particle as particle 0 of a request offset by it: the same counter and
   * Box-Muller parity as the eager kernel's element (p, j) */
  P("        q.part_offset = (int64_t)K[%d] + (%s);\n", 3 * i + 2, pe);
  P("        for (int64_t j = 0; j < %lld; j++) genc_law_sample_elem(&q, 0, j, %s%d);\n      }\n",
    (long long)nd->out.size, buf, i);
}

static bool is_normal(const genc_graph *g, int32_t k) {
  return (genc_law)g->nodes[k].p.op == GENC_LAW_NORMAL;
}

static void emit_sbufs(const genc_graph *g, const genc_xregion *r, const char *pre, genc_xbuf *b) {
  for (int i = 0; i < r->nsample; i++) {
    const genc_gnode *nd = &g->nodes[r->sample[i]];
    P("    %s %s%d[%lld];\n", ctyp(nd->out.dtype), pre, i, (long long)nd->out.size);
  }
}

static void emit_call(const genc_xregion *r, int32_t ri, bool row, const char *pre, const char *pe,
                      genc_xbuf *b) {
  P("    {\n      const void *S[%d] = {", r->nsample + 1);
  for (int i = 0; i < r->nsample; i++)
    P("%s%d, ", pre, i);
  P("0};\n      genc_x%sbody%d(&A, %s, S, H);\n    }\n", row ? "g" : "", (int)ri, pe);
}

/* Particles two at a time when the region draws normals: particles P and
 * P + 1 of a normal draw (P + the key's offset even) share one Philox block,
 * one log and one sqrt (random/laws.h's Box-Muller pairs), so a thread that
 * takes both draws each pair once, as the eager kernel does. Only when every
 * normal node's key offset has the same parity (true for keys derived from
 * one key), and when the launch asked for pairs (pair_ok: enough particles
 * to fill the device with half as many threads); otherwise one particle per
 * thread. */
static void emit_pair_loop(const genc_graph *g, const genc_xregion *r, int32_t ri, bool row,
                           genc_xbuf *b) {
  int first = -1;
  P("  bool pairs = pair_ok != 0;\n");
  for (int i = 0; i < r->nsample; i++)
    if (is_normal(g, r->sample[i])) {
      if (first < 0) first = i;
      P("  pairs = pairs && !((K[%d] ^ K[%d]) & 1u);\n", 3 * first + 2, 3 * i + 2);
    }
  P("  if (pairs) {\n    const int64_t par = K[%d] & 1u;\n", 3 * first + 2);
  P("    for (int64_t u = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; u < (n + par + 1) / 2;\n"
    "         u += (int64_t)gridDim.x * blockDim.x) {\n      const int64_t p = 2 * u - par;\n");
  emit_sbufs(g, r, "sb", b);
  emit_sbufs(g, r, "sc", b);
  for (int i = 0; i < r->nsample; i++) {
    const genc_gnode *nd = &g->nodes[r->sample[i]];
    if (!is_normal(g, r->sample[i])) {
      P("    if (p >= 0)\n");
      emit_draw(g, r->sample[i], i, "p", "sb", b);
      P("    if (p + 1 < n)\n");
      emit_draw(g, r->sample[i], i, "p + 1", "sc", b);
      continue;
    }
    P("    for (int64_t j = 0; j < %lld; j++) {\n", (long long)nd->out.size);
    P("      genc_rng rr = genc_rng_make(K + %d, (uint32_t)j, (uint32_t)(p + (int64_t)K[%d]), "
      "%uu);\n",
      3 * i, 3 * i + 2, (unsigned)(uint32_t)nd->p.i[2]);
    P("      double c, s;\n      genc_law_normal2(&rr, &c, &s);\n");
    P("      sb%d[j] = (%s)c, sc%d[j] = (%s)s;\n    }\n", i, ctyp(nd->out.dtype), i,
      ctyp(nd->out.dtype));
  }
  P("    if (p >= 0)\n");
  emit_call(r, ri, row, "sb", "p", b);
  P("    if (p + 1 < n)\n");
  emit_call(r, ri, row, "sc", "p + 1", b);
  P("    }\n    return;\n  }\n");
}

/* ---- reduction epilogues ---- */

static bool named(const genc_gnode *nd, const char *name) { return !strcmp(nd->prim->name, name); }

/* Slot of value v among region r's outputs, or -1. */
static int32_t out_slot(const genc_xregion *r, int32_t v) {
  for (int32_t i = 0; i < r->nout; i++)
    if (r->out[i] == v) return i;
  return -1;
}

void genc__xcuda_plan_fuse(const genc_graph *g, const genc_xpart *p, const bool *skip,
                           genc_xcu_chunks chunks, void *arg, genc_xcu_fuse *fuse) {
  int32_t base = g->ninputs + g->nconsts;
  memset(fuse, 0, (size_t)p->nregions * sizeof *fuse);
  for (int32_t s = 0; s < p->nsteps; s++) {
    int32_t k = p->steps[s].node;
    if (k < 0) continue;
    const genc_gnode *nd = &g->nodes[k];
    genc_reduce_op op = (genc_reduce_op)nd->p.op;
    int32_t v = nd->in[0], ri = v >= base ? p->region_of[v - base] : -1;
    if (!named(nd, "reduce") || !nd->p.flag2 || op == GENC_RARGMAX || op == GENC_RARGMIN ||
        ri < 0 || (skip && skip[ri]))
      continue;
    const genc_gmeta *m = &g->meta[v];
    genc_xcu_fuse *f = &fuse[ri];
    int32_t slot = out_slot(&p->regions[ri], v);
    int64_t nchunk, clen;
    if (m->n != p->regions[ri].n || m->n <= 0 || m->size != 1 || slot < 0 ||
        (m->dtype != GENC_F64 && m->dtype != GENC_F32) || nd->out.dtype != m->dtype ||
        f->nred == GENC_XCU_MAX_RED || !chunks(arg, m->n, &nchunk, &clen))
      continue;
    f->nchunk = nchunk, f->clen = clen;
    f->node[f->nred] = k, f->slot[f->nred] = slot, f->nred++;
  }
}

/* Reduction e's accumulator type and combiner (cuda_reduce.cuh). */
static void red_types(const genc_graph *g, const genc_xcu_fuse *f, int e, char *acc, char *ops,
                      size_t cap) {
  const genc_gnode *nd = &g->nodes[f->node[e]];
  const char *t = ctyp(nd->out.dtype);
  if (nd->p.op == GENC_RLOGSUMEXP) {
    snprintf(acc, cap, "lacc<%s>", t);
    snprintf(ops, cap, "lops<%s>{}", t);
  } else {
    snprintf(acc, cap, "racc<%s>", t);
    snprintf(ops, cap, "rops<%s>{%d}", t, nd->p.op);
  }
}

/* The particle loop of a region with an epilogue: the chunked reductions'
 * grid, each thread folding the values it computed into one accumulator a
 * reduction (k_red_part, k_lse_part); then each block's partials, and the last
 * block's finish into the reductions' outputs. */
static void emit_fused_loop(const genc_graph *g, const genc_xregion *r, int32_t ri, bool row,
                            const genc_xcu_fuse *f, genc_xbuf *b) {
  int po = r->nout, pp = r->nout + f->nred, pc = r->nout + 2 * f->nred;
  char acc[64], ops[64];
  P("  __shared__ __align__(16) unsigned char genc_sh[GENC_CU_RED_THREADS * 16];\n");
  P("  const int64_t c = blockIdx.x, l0 = c * %lldLL, l1 = l0 + %lldLL < n ? l0 + %lldLL : n;\n",
    (long long)f->clen, (long long)f->clen, (long long)f->clen);
  for (int e = 0; e < f->nred; e++) {
    const genc_gnode *nd = &g->nodes[f->node[e]];
    red_types(g, f, e, acc, ops, sizeof acc);
    if (nd->p.op == GENC_RLOGSUMEXP)
      P("  %s a%d = {r_lowest<%s>(), 0};\n", acc, e, ctyp(nd->out.dtype));
    else
      P("  %s a%d = r_start<%s>(%d, (int32_t)l0);\n", acc, e, ctyp(nd->out.dtype), nd->p.op);
  }
  P("  for (int64_t p = l0 + threadIdx.x; p < l1; p += blockDim.x) {\n");
  emit_sbufs(g, r, "sb", b);
  for (int i = 0; i < r->nsample; i++)
    emit_draw(g, r->sample[i], i, "p", "sb", b);
  emit_call(r, ri, row, "sb", "p", b);
  for (int e = 0; e < f->nred; e++) {
    const genc_gnode *nd = &g->nodes[f->node[e]];
    const char *t = ctyp(nd->out.dtype);
    red_types(g, f, e, acc, ops, sizeof acc);
    if (nd->p.op == GENC_RLOGSUMEXP)
      P("    a%d = l_add<%s>(a%d, ((const %s *)P.out[%d])[p]);\n", e, t, e, t, f->slot[e]);
    else
      P("    a%d = r_comb<%s>(%d, a%d, %s{((const %s *)P.out[%d])[p], (int32_t)p});\n", e, t,
        nd->p.op, e, acc, t, f->slot[e]);
  }
  P("  }\n");
  for (int e = 0; e < f->nred; e++) {
    red_types(g, f, e, acc, ops, sizeof acc);
    P("  r_tree(%s, (%s *)genc_sh, a%d);\n", ops, acc, e);
    P("  if (threadIdx.x == 0) ((%s *)P.out[%d])[c] = ((%s *)genc_sh)[0];\n", acc, pp + e, acc);
    P("  __syncthreads();\n");
  }
  P("  if (!r_arrive((unsigned *)P.out[%d])) return;\n", pc);
  for (int e = 0; e < f->nred; e++) {
    const genc_gnode *nd = &g->nodes[f->node[e]];
    const char *t = ctyp(nd->out.dtype);
    red_types(g, f, e, acc, ops, sizeof acc);
    P("  r_finish(%s, (const %s *)P.out[%d], (int64_t)gridDim.x, (%s *)genc_sh);\n", ops, acc,
      pp + e, acc);
    if (nd->p.op == GENC_RLOGSUMEXP)
      P("  if (threadIdx.x == 0) ((%s *)P.out[%d])[0] = l_value<%s>(((%s *)genc_sh)[0]);\n", t,
        po + e, t, acc);
    else
      P("  if (threadIdx.x == 0) ((%s *)P.out[%d])[0] = ((%s *)genc_sh)[0].v;\n", t, po + e, acc);
    P("  __syncthreads();\n");
  }
  P("  if (threadIdx.x == 0) *(unsigned *)P.out[%d] = 0; /* for the next launch */\n}\n\n", pc);
}

static void emit_kernel(const genc_graph *g, const genc_xpart *p, int32_t ri, bool row,
                        const genc_xcu_fuse *f, genc_xbuf *b) {
  const genc_xregion *r = &p->regions[ri];
  int nred = f ? f->nred : 0;
  P("struct genc_xkp%d {\n  const void *in[%d];\n  void *out[%d];\n};\n", (int)ri, r->nin + 1,
    r->nout + 2 * nred + 2);
  P("extern \"C\" __global__ void genc_xk%d(const __grid_constant__ genc_xkp%d P, int64_t n,\n"
    "                                      const uint32_t *K, int pair_ok) {\n",
    (int)ri, (int)ri);
  P("  const genc_xargs A = {P.in, P.out, K};\n  double H[%d];\n", 2 * r->nnodes + 1);
  emit_hoist(g, p, ri, b);
  if (nred) {
    emit_fused_loop(g, r, ri, row, f, b);
    return;
  }
  bool normals = false;
  for (int i = 0; i < r->nsample; i++)
    normals = normals || is_normal(g, r->sample[i]);
  if (normals) emit_pair_loop(g, r, ri, row, b);
  P("  for (int64_t p = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; p < n;\n"
    "       p += (int64_t)gridDim.x * blockDim.x) {\n");
  emit_sbufs(g, r, "sb", b);
  for (int i = 0; i < r->nsample; i++)
    emit_draw(g, r->sample[i], i, "p", "sb", b);
  emit_call(r, ri, row, "sb", "p", b);
  P("  }\n}\n\n");
}

char *genc__xcuda_make_source(const genc_graph *g, const genc_xpart *p, const genc_xcu_fuse *fuse) {
  genc_xbuf src = {0}, *b = &src;
  P("/* generated by genc for NVRTC (src/array/exec_cuda.c) */\n"
    "#define restrict __restrict__\n");
  for (int32_t ri = 0; fuse && ri < p->nregions; ri++)
    if (fuse[ri].nred) {
      P("#include \"backend/cuda/cuda_reduce.cuh\"\n");
      break;
    }
  genc__xemit(g, p, b);
  bool *row = calloc((size_t)p->nregions + 1, sizeof *row);
  if (!row) b->oom = true;
  P("\n/* row-fused bodies (exec_row.c) */\n");
  for (int32_t ri = 0; row && ri < p->nregions; ri++)
    row[ri] = genc__xcuda_row_body(g, p, ri, b);
  P("\n/* CUDA drivers, one thread per particle */\n");
  for (int32_t ri = 0; row && ri < p->nregions; ri++)
    emit_kernel(g, p, ri, row[ri], fuse ? &fuse[ri] : NULL, b);
  free(row);
  if (b->oom) {
    free(src.s);
    return NULL;
  }
  return src.s;
}

/* A plan for any device, for sources read or compiled without one: the
 * chunked reductions' rule on 132 multiprocessors (an H200). */
static bool nominal_chunks(void *arg, int64_t n, int64_t *nchunk, int64_t *clen) {
  (void)arg;
  return genc_cu_chunk_rule(132, 1, n, nchunk, clen);
}

char *genc__xcuda_source(genc_ctx *ctx, const genc_graph *g) {
  genc_xpart part;
  if (!ctx || !g || genc__xpart_build(ctx, g, true, &part)) return NULL;
  genc_xcu_fuse *fuse = calloc((size_t)part.nregions + 1, sizeof *fuse);
  char *s = NULL;
  if (fuse) {
    genc__xcuda_plan_fuse(g, &part, NULL, nominal_chunks, NULL, fuse);
    s = genc__xcuda_make_source(g, &part, fuse);
  }
  free(fuse);
  genc__xpart_free(&part);
  return s;
}
