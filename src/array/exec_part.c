/* Partition of a captured graph into per-particle regions (exec_part.h). */
#include <stdlib.h>

#include "array/exec_part.h"

static bool named(const genc_gnode *nd, const char *name) {
  return nd->prim && !strcmp(nd->prim->name, name);
}

/* Laws whose element reads only the first Philox block and takes no
 * parameter array: the region's tile pass samples them (exec_abi.h). */
static bool law_fusable(const genc_gnode *nd) {
  genc_law law = (genc_law)nd->p.op;
  bool ok = law == GENC_LAW_NORMAL || law == GENC_LAW_UNIFORM || law == GENC_LAW_EXPONENTIAL ||
            law == GENC_LAW_GUMBEL || law == GENC_LAW_BITS;
  return ok && nd->nin == 0 && nd->out.size <= (int64_t)UINT32_MAX && nd->p.i[3] == nd->out.n;
}

static bool reduce_fusable(const genc_gnode *nd) {
  genc_reduce_op op = (genc_reduce_op)nd->p.op;
  return !nd->p.flag2 && (op == GENC_RSUM || op == GENC_RPROD || op == GENC_RMAX ||
                          op == GENC_RMIN || op == GENC_RLOGSUMEXP);
}

bool genc__xpart_fusable(const genc_graph *g, int32_t k) {
  const genc_gnode *nd = &g->nodes[k];
  if (nd->out.size <= 0 || nd->out.size > GENC_X_MAX_LOCAL) return false;
  for (int i = 0; i < nd->nin; i++) {
    const genc_gmeta *m = &g->meta[nd->in[i]];
    if (m->size <= 0 || m->size > GENC_X_MAX_LOCAL || (m->n && m->n != nd->out.n)) return false;
  }
  if (named(nd, "unary") || named(nd, "binary") || named(nd, "where") || named(nd, "astype") ||
      named(nd, "stop_gradient") || named(nd, "broadcast") || named(nd, "reshape"))
    return true;
  if (named(nd, "normal_logpdf")) return nd->p.op == GENC_FUSED_NORMAL_LOGPDF;
  if (named(nd, "random")) return law_fusable(nd);
  if (named(nd, "reduce")) return reduce_fusable(nd);
  return false;
}

/* Growable int32 vector. */
typedef struct ivec {
  int32_t *v;
  int32_t len, cap;
} ivec;

static bool ipush(ivec *a, int32_t x) {
  if (a->len == a->cap) {
    int32_t cap = a->cap ? 2 * a->cap : 8;
    int32_t *v = realloc(a->v, (size_t)cap * sizeof *v);
    if (!v) return false;
    a->v = v, a->cap = cap;
  }
  a->v[a->len++] = x;
  return true;
}

static int64_t local_bytes(const genc_gmeta *m) {
  return m->size * (int64_t)genc__esize((genc_dtype)m->dtype);
}

/* State of the partition walk. state[k]: 1 while node k is in the open
 * region, 2 while it is deferred (an interpreted node that reads the open
 * region or a deferred node: it runs right after the region). */
typedef struct walk {
  const genc_graph *g;
  genc_xpart *p;
  ivec steps, nodes, deferred; /* steps as pairs (node, region) */
  uint8_t *state;
  int64_t open_n, open_bytes;
  bool open;
} walk;

static bool step(walk *w, int32_t node, int32_t region) {
  return ipush(&w->steps, node) && ipush(&w->steps, region);
}

/* The open region as a step, then its deferred nodes. */
static bool close_region(walk *w) {
  if (!w->open) return true;
  w->open = false;
  genc_xpart *p = w->p;
  genc_xregion *r = realloc(p->regions, (size_t)(p->nregions + 1) * sizeof *r);
  if (!r) return false;
  p->regions = r;
  r = &p->regions[p->nregions];
  memset(r, 0, sizeof *r);
  r->n = w->open_n;
  r->nnodes = w->nodes.len;
  r->nodes = w->nodes.v;
  w->nodes = (ivec){0};
  for (int32_t i = 0; i < r->nnodes; i++)
    p->region_of[r->nodes[i]] = p->nregions, w->state[r->nodes[i]] = 0;
  p->nregions++;
  if (!step(w, -1, p->nregions - 1)) return false;
  for (int32_t i = 0; i < w->deferred.len; i++) {
    w->state[w->deferred.v[i]] = 0;
    if (!step(w, w->deferred.v[i], -1)) return false;
  }
  w->deferred.len = 0;
  return true;
}

/* The highest state among the nodes node k reads. */
static int reads(const walk *w, int32_t k) {
  const genc_graph *g = w->g;
  int32_t base = g->ninputs + g->nconsts;
  int st = 0;
  for (int i = 0; i < g->nodes[k].nin; i++) {
    int32_t v = g->nodes[k].in[i] - base;
    if (v >= 0 && w->state[v] > st) st = w->state[v];
  }
  return st;
}

static bool walk_node(walk *w, int32_t k, bool batched_graph) {
  const genc_gnode *nd = &w->g->nodes[k];
  /* shared values of a batched graph are computed once, by the interpreter */
  bool fuse = genc__xpart_fusable(w->g, k) && (nd->out.n > 0 || !batched_graph);
  int rd = reads(w, k);
  if (fuse && w->open &&
      (nd->out.n != w->open_n || rd == 2 ||
       w->open_bytes + local_bytes(&nd->out) > GENC_X_MAX_REGION_BYTES))
    if (!close_region(w)) return false;
  if (fuse) {
    if (!w->open) w->open = true, w->open_n = nd->out.n, w->open_bytes = 0;
    w->open_bytes += local_bytes(&nd->out);
    w->state[k] = 1;
    return ipush(&w->nodes, k);
  }
  if (rd) { /* after the region: later region nodes need not wait for it */
    w->state[k] = 2;
    return ipush(&w->deferred, k);
  }
  return step(w, k, -1);
}

/* A fusable node of a shared value (n == 0). */
static bool shared_fusable(const genc_graph *g, int32_t k) {
  return k >= 0 && g->nodes[k].out.n == 0 && genc__xpart_fusable(g, k);
}

/* Runs of two or more consecutive steps that interpret shared fusable nodes
 * (in graph order) become regions of n == 0 (genc__xpart_build's
 * shared_regions). Runs after the walk, when no region is open. */
static bool group_shared(walk *w) {
  ivec old = w->steps;
  int32_t n = old.len / 2;
  bool ok = true;
  w->steps = (ivec){0};
  for (int32_t i = 0; ok && i < n;) {
    int32_t j = i;
    while (j < n && shared_fusable(w->g, old.v[2 * j]) &&
           (j == i || old.v[2 * j] > old.v[2 * j - 2]))
      j++;
    if (j - i < 2) {
      ok = step(w, old.v[2 * i], old.v[2 * i + 1]);
      i++;
      continue;
    }
    for (; ok && i < j; i++)
      ok = ipush(&w->nodes, old.v[2 * i]);
    w->open = true, w->open_n = 0;
    ok = ok && close_region(w);
  }
  free(old.v);
  return ok;
}

/* Inputs, outputs and sample nodes of region ri. */
static bool region_io(const genc_graph *g, genc_xpart *p, int32_t ri, const uint8_t *needed) {
  genc_xregion *r = &p->regions[ri];
  int32_t base = g->ninputs + g->nconsts, nv = base + g->nnodes;
  ivec in = {0}, out = {0}, smp = {0};
  uint8_t *seen = calloc((size_t)nv, 1);
  bool ok = seen != NULL;
  for (int32_t i = 0; ok && i < r->nnodes; i++) {
    const genc_gnode *nd = &g->nodes[r->nodes[i]];
    for (int j = 0; ok && j < nd->nin; j++) {
      int32_t v = nd->in[j];
      bool inside = v >= base && p->region_of[v - base] == ri;
      if (!inside && !seen[v]) seen[v] = 1, ok = ipush(&in, v);
    }
    if (ok && needed[r->nodes[i]]) ok = ipush(&out, base + r->nodes[i]);
    if (ok && named(nd, "random")) ok = ipush(&smp, r->nodes[i]);
  }
  free(seen);
  r->in = in.v, r->nin = in.len, r->out = out.v, r->nout = out.len;
  r->sample = smp.v, r->nsample = smp.len;
  return ok;
}

/* needed[k]: node k's value is read outside its region (or is an output or
 * a guard). */
static uint8_t *needed_outside(const genc_graph *g, const genc_xpart *p) {
  int32_t base = g->ninputs + g->nconsts;
  uint8_t *need = calloc((size_t)g->nnodes + 1, 1);
  if (!need) return NULL;
  for (int32_t k = 0; k < g->nnodes; k++)
    for (int j = 0; j < g->nodes[k].nin; j++) {
      int32_t v = g->nodes[k].in[j] - base;
      if (v >= 0 && (p->region_of[k] < 0 || p->region_of[v] != p->region_of[k])) need[v] = 1;
    }
  for (int32_t i = 0; i < g->noutputs; i++)
    if (g->outputs[i] >= base) need[g->outputs[i] - base] = 1;
  for (int32_t i = 0; i < g->nguards; i++)
    if (g->guards[i].value >= base) need[g->guards[i].value - base] = 1;
  return need;
}

genc_status genc__xpart_build(genc_ctx *ctx, const genc_graph *g, bool shared_regions,
                              genc_xpart *out) {
  memset(out, 0, sizeof *out);
  walk w = {.g = g, .p = out, .state = calloc((size_t)g->nnodes + 1, 1)};
  bool batched = false, ok = w.state != NULL;
  for (int32_t k = 0; k < g->nnodes; k++)
    batched |= g->nodes[k].out.n > 0;
  out->region_of = malloc(((size_t)g->nnodes + 1) * sizeof *out->region_of);
  ok = ok && out->region_of != NULL;
  for (int32_t k = 0; ok && k < g->nnodes; k++)
    out->region_of[k] = -1;
  for (int32_t k = 0; ok && k < g->nnodes; k++)
    ok = walk_node(&w, k, batched);
  ok = ok && close_region(&w);
  if (shared_regions && batched) ok = ok && group_shared(&w);
  uint8_t *need = ok ? needed_outside(g, out) : NULL;
  ok = need != NULL;
  for (int32_t r = 0; ok && r < out->nregions; r++)
    ok = region_io(g, out, r, need);
  free(need);
  free(w.nodes.v);
  free(w.deferred.v);
  free(w.state);
  out->steps = malloc(((size_t)w.steps.len / 2 + 1) * sizeof *out->steps);
  if (ok && out->steps) {
    out->nsteps = w.steps.len / 2;
    for (int32_t s = 0; s < out->nsteps; s++)
      out->steps[s] = (genc_xstep){w.steps.v[2 * s], w.steps.v[2 * s + 1]};
  }
  free(w.steps.v);
  if (ok && out->steps) return GENC_OK;
  genc__xpart_free(out);
  return genc_ctx_fail(ctx, GENC_ERR_NOMEM,
                       "genc_graph_compile: out of memory partitioning a "
                       "graph of %d nodes",
                       (int)g->nnodes);
}

void genc__xpart_free(genc_xpart *p) {
  for (int32_t r = 0; r < p->nregions; r++) {
    free(p->regions[r].nodes);
    free(p->regions[r].in);
    free(p->regions[r].out);
    free(p->regions[r].sample);
  }
  free(p->regions);
  free(p->steps);
  free(p->region_of);
  memset(p, 0, sizeof *p);
}

void genc__xpart_lifetimes(const genc_graph *g, const genc_xpart *p, int32_t *last) {
  int32_t nv = g->ninputs + g->nconsts + g->nnodes;
  for (int32_t v = 0; v < nv; v++)
    last[v] = -1;
  for (int32_t s = 0; s < p->nsteps; s++) {
    const genc_xstep *st = &p->steps[s];
    const genc_xregion *r = st->node >= 0 ? NULL : &p->regions[st->region];
    for (int i = 0; i < (r ? r->nnodes : 1); i++) {
      const genc_gnode *nd = &g->nodes[r ? r->nodes[i] : st->node];
      for (int j = 0; j < nd->nin; j++)
        last[nd->in[j]] = s;
    }
  }
  for (int32_t i = 0; i < g->noutputs; i++)
    last[g->outputs[i]] = p->nsteps;
  for (int32_t i = 0; i < g->nguards; i++)
    last[g->guards[i].value] = p->nsteps;
}
