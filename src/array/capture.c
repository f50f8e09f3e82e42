/*
 * Graph capture (ARCHITECTURE decision 3): while genc_graph_capture runs a
 * function, genc__dispatch hands every op to genc__capture_dispatch, which
 * records the ops that depend on the inputs (array inputs, or keys derived from
 * the key inputs) into the graph of array/graph.h. Values are marked on the
 * array headers (gcap/gval, see array/internal.h); keys, which are host
 * structs, are followed through the key log of random/internal.h. The
 * interpreter that replays the graph is replay.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "array/graph.h"
#include "random/internal.h"

enum { K_INPUT, K_CONST, K_NODE };

/* One value of the running capture (local numbering: in order of creation). */
typedef struct cval {
  uint8_t kind;
  int32_t idx; /* input, constant or node index */
  const char *made_by;
  genc_gmeta meta;
} cval;

typedef struct genc_capture {
  uint32_t serial;
  cval *vals;
  int32_t nvals, capv;
  genc_array **consts;
  int32_t nconsts, capc;
  genc_gnode *nodes; /* in[] hold local value ids until finalize */
  int32_t nnodes, capn;
  genc_gkey *keys;
  int32_t nkeys, capk;
  genc_gguard *guards; /* value holds local ids until finalize */
  int32_t nguards, capg;
  int nkeys_in;
  genc_key *key_in;
  int32_t *key_in_id; /* derived key standing for key input i, -1 until used */
  int32_t *log_key;   /* per key-log entry: derived key id, -1 constant, -2 unknown */
  int64_t log_key_len;
  genc__key_log klog;
  int32_t *extra; /* local ids of genc_graph_add_output's outputs */
  int32_t nextra, cape;
  bool guarding;
  genc_status fail;
  char msg[1024];
} genc_capture;

static bool grow(void **p, int32_t *cap, int32_t need, size_t sz) {
  if (need <= *cap) return true;
  int32_t c = *cap ? *cap : 16;
  while (c < need)
    c *= 2;
  void *q = realloc(*p, (size_t)c * sz);
  if (!q) return false;
  *p = q;
  *cap = c;
  return true;
}

/* Refuse the capture: the first refusal's message is the one that stands. */
static genc_status cap_fail(genc_ctx *ctx, genc_status st, const char *fmt, ...) {
  genc_capture *cap = ctx->capture;
  if (cap && !cap->fail) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cap->msg, sizeof cap->msg, fmt, ap);
    va_end(ap);
    cap->fail = st;
  }
  return genc_ctx_fail(ctx, st, "%s", cap ? cap->msg : "capture failed");
}

static genc_status cap_oom(genc_ctx *ctx) {
  return cap_fail(ctx, GENC_ERR_NOMEM, "genc_graph_capture: out of memory recording the graph");
}

static genc_gmeta meta_of(const genc_array *a) {
  genc_gmeta m = {.dtype = a->dtype, .ndim = a->ndim, .weak = a->weak, .n = a->n, .size = a->size};
  memcpy(m.shape, a->shape, (size_t)a->ndim * sizeof *m.shape);
  return m;
}

/* The local value id of a, or -1 if it is no value of this capture. */
static int32_t value_of(const genc_ctx *ctx, const genc_array *a) {
  return a->gcap == ctx->cap_serial && a->gval > 0 ? a->gval - 1 : -1;
}

static bool derived(const genc_capture *cap, int32_t id) {
  return id >= 0 && cap->vals[id].kind != K_CONST;
}

static int32_t new_value(genc_ctx *ctx, uint8_t kind, int32_t idx, genc_array *a,
                         const char *made_by) {
  genc_capture *cap = ctx->capture;
  if (!grow((void **)&cap->vals, &cap->capv, cap->nvals + 1, sizeof *cap->vals)) {
    cap_oom(ctx);
    return -1;
  }
  int32_t id = cap->nvals++;
  cap->vals[id] = (cval){kind, idx, made_by, meta_of(a)};
  a->gcap = ctx->cap_serial;
  a->gval = id + 1;
  return id;
}

/* a as a constant of the graph (held by reference), or -1 with a refusal when
 * a was made during the capture without an op: a replay could not remake it. */
static int32_t const_of(genc_ctx *ctx, genc_array *a, const char *op) {
  int32_t id = value_of(ctx, a);
  if (id >= 0) return id;
  genc_capture *cap = ctx->capture;
  if (a->gcap == ctx->cap_serial && a->gval == 0) {
    cap_fail(ctx, GENC_ERR_CAPTURE,
             "capture: '%s' reads an array made during the capture without an op (it bypassed "
             "genc__dispatch), so a replay could not remake it",
             op);
    return -1;
  }
  if (!grow((void **)&cap->consts, &cap->capc, cap->nconsts + 1, sizeof *cap->consts)) {
    cap_oom(ctx);
    return -1;
  }
  id = new_value(ctx, K_CONST, cap->nconsts, a, "constant");
  if (id >= 0) cap->consts[cap->nconsts++] = genc_array_retain(a);
  return id;
}

/* ---- keys ---- */

static bool key_eq(genc_key a, genc_key b) {
  return a.k[0] == b.k[0] && a.k[1] == b.k[1] && a.particle == b.particle;
}

static int32_t new_gkey(genc_ctx *ctx, genc_gkey_op op, int32_t parent, uint64_t arg) {
  genc_capture *cap = ctx->capture;
  if (!grow((void **)&cap->keys, &cap->capk, cap->nkeys + 1, sizeof *cap->keys)) {
    cap_oom(ctx);
    return -2;
  }
  cap->keys[cap->nkeys] = (genc_gkey){op, parent, arg};
  return cap->nkeys++;
}

/* The derived key standing for key input i (an identity derivation). */
static int32_t input_key(genc_ctx *ctx, int i) {
  genc_capture *cap = ctx->capture;
  if (cap->key_in_id[i] < 0) cap->key_in_id[i] = new_gkey(ctx, GENC_GKEY_PARTICLE, -i - 1, 0);
  return cap->key_in_id[i];
}

static bool log_key_fit(genc_ctx *ctx) {
  genc_capture *cap = ctx->capture;
  int64_t len = cap->klog.len;
  if (len <= cap->log_key_len) return true;
  int32_t *v = realloc(cap->log_key, (size_t)len * sizeof *v);
  if (!v) return cap_oom(ctx), false;
  for (int64_t j = cap->log_key_len; j < len; j++)
    v[j] = -2;
  cap->log_key = v;
  cap->log_key_len = len;
  return true;
}

/* The derived key id of key k (-1: not derived from a key input, a constant
 * key; -2: out of memory). Walks the log back from k to a key input, then
 * records the chain from the input down, remembering every entry it resolves. */
static int32_t resolve_key(genc_ctx *ctx, genc_key k) {
  genc_capture *cap = ctx->capture;
  if (cap->klog.oom) return cap_oom(ctx), -2;
  if (!log_key_fit(ctx)) return -2;
  int64_t before = cap->klog.len, *chain = NULL, nchain = 0, capch = 0;
  int32_t base = -1;
  for (;;) {
    int i = 0;
    while (i < cap->nkeys_in && !key_eq(cap->key_in[i], k))
      i++;
    if (i < cap->nkeys_in) {
      base = input_key(ctx, i);
      break;
    }
    int64_t j = before - 1;
    while (j >= 0 && !key_eq(cap->klog.v[j].child, k))
      j--;
    if (j < 0 || cap->log_key[j] != -2) {
      base = j < 0 ? -1 : cap->log_key[j];
      break;
    }
    if (nchain == capch) {
      capch = capch ? 2 * capch : 16;
      int64_t *c = realloc(chain, (size_t)capch * sizeof *c);
      if (!c) return free(chain), cap_oom(ctx), -2;
      chain = c;
    }
    chain[nchain++] = j;
    k = cap->klog.v[j].parent;
    before = j;
  }
  for (int64_t t = nchain - 1; t >= 0 && base != -2; t--) {
    const genc__key_rec *r = &cap->klog.v[chain[t]];
    base = base < 0 ? -1 : new_gkey(ctx, (genc_gkey_op)r->op, base, r->arg);
    cap->log_key[chain[t]] = base;
  }
  free(chain);
  return base;
}

/* ---- recording ---- */

static bool is_sample(const genc_prim *prim) { return !strcmp(prim->name, "random"); }

genc_array *genc__capture_record(genc_ctx *ctx, const genc_prim *prim, int nin,
                                 genc_array *const *in, const genc_params *p, genc_array *out) {
  genc_capture *cap = ctx->capture;
  if (!out || !cap || cap->fail) return out;
  int32_t ids[GENC_MAX_INPUTS];
  bool dep = false;
  for (int i = 0; i < nin; i++) {
    ids[i] = value_of(ctx, in[i]);
    dep = dep || derived(cap, ids[i]);
    if (in[i] == out) return out; /* the op returned its input: the same value */
  }
  int32_t key = -1;
  if (p && is_sample(prim)) {
    genc_key k = {{(uint32_t)p->i[0], (uint32_t)((uint64_t)p->i[0] >> 32)}, (uint32_t)p->i[1]};
    if ((key = resolve_key(ctx, k)) == -2) return NULL;
  }
  if (!dep && key < 0) { /* a function of constants: itself a constant */
    if (out->gcap == ctx->cap_serial && out->gval == 0) out->gval = -1;
    return out;
  }
  for (int i = 0; i < nin; i++)
    if (!derived(cap, ids[i]) && (ids[i] = const_of(ctx, in[i], prim->name)) < 0) return NULL;
  if (!grow((void **)&cap->nodes, &cap->capn, cap->nnodes + 1, sizeof *cap->nodes)) {
    cap_oom(ctx);
    return NULL;
  }
  genc_gnode *nd = &cap->nodes[cap->nnodes];
  *nd = (genc_gnode){.prim = prim, .nin = nin, .key = key, .out = meta_of(out)};
  if (p) nd->p = *p;
  memcpy(nd->in, ids, (size_t)nin * sizeof *ids);
  if (new_value(ctx, K_NODE, cap->nnodes, out, prim->name) < 0) return NULL;
  cap->nnodes++;
  return out;
}

void genc__capture_weak(genc_ctx *ctx, genc_array *a) {
  int32_t id = value_of(ctx, a);
  if (id < 0) return;
  cval *c = &ctx->capture->vals[id];
  c->meta.weak = a->weak;
  if (c->kind == K_NODE) ctx->capture->nodes[c->idx].out.weak = a->weak;
}

genc_array *genc__capture_dispatch(genc_ctx *ctx, const genc_prim *prim, int nin,
                                   genc_array *const *in, const genc_params *p) {
  const char *op = ctx->op;
  ctx->op = prim->name;
  ctx->cap_depth++; /* ops a forward runs inside are part of this op */
  genc_array *out = prim->forward(ctx, in, p);
  ctx->cap_depth--;
  ctx->op = op;
  if (out && ctx->cap_depth == 0 && !genc__capture_record(ctx, prim, nin, in, p, out)) return NULL;
  return genc__tape_record(ctx, prim, nin, in, p, out);
}

genc_status genc__capture_read(genc_ctx *ctx, const genc_array *a, const char *fn) {
  genc_capture *cap = ctx->capture;
  int32_t id = value_of(ctx, a);
  if (cap->guarding || !derived(cap, id)) return GENC_OK;
  return cap_fail(ctx, GENC_ERR_CAPTURE,
                  "capture: %s reads a value that depends on the inputs (made by '%s'); a "
                  "function whose control flow depends on values cannot be captured",
                  fn, cap->vals[id].made_by);
}

genc_status genc__guard_item(genc_ctx *ctx, const genc_array *a, double *out) {
  if (!ctx || !ctx->capture || !a || !derived(ctx->capture, value_of(ctx, a)))
    return genc_array_item(ctx, a, out);
  genc_capture *cap = ctx->capture;
  cap->guarding = true;
  genc_status st = genc_array_item(ctx, a, out);
  cap->guarding = false;
  if (st) return st;
  if (!grow((void **)&cap->guards, &cap->capg, cap->nguards + 1, sizeof *cap->guards))
    return cap_oom(ctx);
  cap->guards[cap->nguards++] = (genc_gguard){value_of(ctx, a), *out};
  return GENC_OK;
}

genc_status genc_graph_guard_item(genc_ctx *ctx, const genc_array *a, double *out) {
  return genc__guard_item(ctx, a, out);
}

bool genc_graph_capturing(const genc_ctx *ctx) { return genc__capturing(ctx); }

/* ---- finishing ---- */

static void capture_free(genc_capture *cap) {
  if (!cap) return;
  for (int32_t c = 0; c < cap->nconsts; c++)
    genc_array_release(cap->consts[c]);
  free(cap->vals), free(cap->consts), free(cap->nodes), free(cap->keys), free(cap->guards);
  free(cap->key_in), free(cap->key_in_id), free(cap->log_key), free(cap->klog.v);
  free(cap->extra);
  free(cap);
}

void genc_graph_free(genc_graph *g) {
  if (!g) return;
  for (int32_t c = 0; c < g->nconsts; c++)
    genc_array_release(g->consts[c]);
  if (g->exec && g->exec_free) g->exec_free(g->exec);
  free(g->meta), free(g->consts), free(g->nodes), free(g->keys), free(g->outputs);
  free(g->guards), free(g->last_use), free(g->guard_pos);
  free(g);
}

/* Live local values: what the outputs and guards depend on. */
static bool *liveness(const genc_capture *cap, const int32_t *outs, int nout) {
  bool *live = calloc((size_t)cap->nvals + 1, sizeof *live);
  if (!live) return NULL;
  for (int j = 0; j < nout; j++)
    live[outs[j]] = true;
  for (int32_t q = 0; q < cap->nguards; q++)
    live[cap->guards[q].value] = true;
  for (int32_t v = cap->nvals - 1; v >= 0; v--) {
    if (!live[v] || cap->vals[v].kind != K_NODE) continue;
    const genc_gnode *nd = &cap->nodes[cap->vals[v].idx];
    for (int i = 0; i < nd->nin; i++)
      live[nd->in[i]] = true;
  }
  return live;
}

/* Sort guards by check position (insertion sort: guards come nearly sorted). */
static void sort_guards(genc_graph *g) {
  for (int32_t i = 1; i < g->nguards; i++) {
    genc_gguard gd = g->guards[i];
    int32_t pos = g->guard_pos[i], j = i - 1;
    for (; j >= 0 && g->guard_pos[j] > pos; j--) {
      g->guards[j + 1] = g->guards[j];
      g->guard_pos[j + 1] = g->guard_pos[j];
    }
    g->guards[j + 1] = gd;
    g->guard_pos[j + 1] = pos;
  }
}

/* The last node reading each value, and each guard's check position. */
static void plan(genc_graph *g) {
  int32_t base = g->ninputs + g->nconsts, nv = base + g->nnodes;
  for (int32_t v = 0; v < nv; v++)
    g->last_use[v] = -1;
  for (int32_t k = 0; k < g->nnodes; k++)
    for (int i = 0; i < g->nodes[k].nin; i++)
      g->last_use[g->nodes[k].in[i]] = k;
  for (int32_t j = 0; j < g->noutputs; j++)
    g->last_use[g->outputs[j]] = g->nnodes;
  for (int32_t q = 0; q < g->nguards; q++) {
    int32_t v = g->guards[q].value;
    g->last_use[v] = g->nnodes;
    g->guard_pos[q] = v >= base ? v - base : -1;
  }
  sort_guards(g);
}

/* ---- common subexpressions ---- */

static bool params_eq(const genc_params *a, const genc_params *b) {
  return a->op == b->op && a->axis == b->axis && a->naxes == b->naxes && a->ndim == b->ndim &&
         !memcmp(a->axes, b->axes, sizeof a->axes) &&
         !memcmp(a->shape, b->shape, sizeof a->shape) && !memcmp(a->i, b->i, sizeof a->i) &&
         !memcmp(&a->f, &b->f, sizeof a->f) && a->flag == b->flag && a->flag2 == b->flag2;
}

static bool gmeta_eq(const genc_gmeta *a, const genc_gmeta *b) {
  return a->dtype == b->dtype && a->ndim == b->ndim && a->weak == b->weak && a->n == b->n &&
         a->size == b->size && !memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof *a->shape);
}

/* Whether nodes a and b compute the same value (inputs already forwarded). */
static bool same_node(const genc_gnode *a, const genc_gnode *b) {
  return a->prim == b->prim && a->nin == b->nin && a->key == b->key &&
         !memcmp(a->in, b->in, (size_t)a->nin * sizeof *a->in) && params_eq(&a->p, &b->p) &&
         gmeta_eq(&a->out, &b->out);
}

static uint64_t node_hash(const genc_gnode *nd) {
  uint64_t h = (uint64_t)(uintptr_t)nd->prim * 0x9E3779B97F4A7C15u ^ (uint64_t)nd->p.op;
  for (int i = 0; i < nd->nin; i++)
    h = (h ^ (uint64_t)(uint32_t)nd->in[i]) * 0x100000001B3u;
  return (h ^ (uint64_t)(uint32_t)nd->key ^ (uint64_t)nd->out.size << 20) * 0x9E3779B97F4A7C15u;
}

/*
 * Forward every copy to its source and every node that repeats an earlier
 * one (same primitive, inputs, parameters, key and result) to that one: the
 * repeats are then dead and finalize drops them. Captures repeat work the
 * eager run did twice: a gradient re-runs the model's forward on the tape,
 * whose leaves are copies of the values (B4's gradient replayed its matrix
 * product and density twice). The values are the same, so the replay's bits
 * are. outs and the guards are forwarded too.
 */
static bool forward_repeats(genc_capture *cap, int32_t *outs, int nout) {
  int32_t *to = malloc(((size_t)cap->nvals + 1) * sizeof *to), cap2 = 1;
  while (cap2 < 2 * cap->nnodes + 2)
    cap2 *= 2;
  int32_t *tab = malloc((size_t)cap2 * sizeof *tab),
          *val = malloc(((size_t)cap->nnodes + 1) * sizeof *val);
  if (!to || !tab || !val) {
    free(to), free(tab), free(val);
    return false;
  }
  for (int32_t v = 0; v < cap->nvals; v++) {
    to[v] = v;
    if (cap->vals[v].kind == K_NODE) val[cap->vals[v].idx] = v;
  }
  for (int32_t t = 0; t < cap2; t++)
    tab[t] = -1;
  for (int32_t k = 0; k < cap->nnodes; k++) {
    genc_gnode *nd = &cap->nodes[k];
    for (int i = 0; i < nd->nin; i++)
      nd->in[i] = to[nd->in[i]];
    if (!strcmp(nd->prim->name, "copy") && nd->nin == 1 &&
        gmeta_eq(&nd->out, &cap->vals[nd->in[0]].meta)) {
      to[val[k]] = nd->in[0];
      continue;
    }
    uint32_t t = (uint32_t)node_hash(nd) & (uint32_t)(cap2 - 1);
    while (tab[t] >= 0 && !same_node(&cap->nodes[tab[t]], nd))
      t = (t + 1) & (uint32_t)(cap2 - 1);
    if (tab[t] >= 0)
      to[val[k]] = val[tab[t]];
    else
      tab[t] = k;
  }
  for (int j = 0; j < nout; j++)
    outs[j] = to[outs[j]];
  for (int32_t q = 0; q < cap->nguards; q++)
    cap->guards[q].value = to[cap->guards[q].value];
  free(to), free(tab), free(val);
  return true;
}

/* The graph of a finished capture: live values renumbered inputs, constants,
 * nodes. */
static genc_graph *finalize(genc_ctx *ctx, genc_capture *cap, int32_t *outs, int nout) {
  if (!forward_repeats(cap, outs, nout)) {
    cap_oom(ctx);
    return NULL;
  }
  bool *live = liveness(cap, outs, nout);
  int32_t *map = malloc(((size_t)cap->nvals + 1) * sizeof *map);
  genc_graph *g = calloc(1, sizeof *g);
  if (!live || !map || !g) {
    free(live), free(map), free(g);
    cap_oom(ctx);
    return NULL;
  }
  int32_t nc = 0, nn = 0;
  for (int32_t v = 0; v < cap->nvals; v++)
    if (live[v] && cap->vals[v].kind == K_CONST) map[v] = nc++;
  int32_t nin = 0;
  for (int32_t v = 0; v < cap->nvals; v++)
    if (cap->vals[v].kind == K_INPUT) nin++;
  for (int32_t v = 0; v < cap->nvals; v++) {
    if (cap->vals[v].kind == K_INPUT) map[v] = cap->vals[v].idx;
    if (cap->vals[v].kind == K_CONST && live[v]) map[v] += nin;
    if (cap->vals[v].kind == K_NODE && live[v]) map[v] = nin + nc + nn++;
  }
  int32_t nv = nin + nc + nn;
  *g = (genc_graph){.ctx = ctx,
                    .ninputs = nin,
                    .nconsts = nc,
                    .nnodes = nn,
                    .nkeys_in = cap->nkeys_in,
                    .nkeys = cap->nkeys,
                    .noutputs = nout,
                    .nguards = cap->nguards};
  g->meta = malloc(((size_t)nv + 1) * sizeof *g->meta);
  g->consts = malloc(((size_t)nc + 1) * sizeof *g->consts);
  g->nodes = malloc(((size_t)nn + 1) * sizeof *g->nodes);
  g->keys = malloc(((size_t)cap->nkeys + 1) * sizeof *g->keys);
  g->outputs = malloc(((size_t)nout + 1) * sizeof *g->outputs);
  g->guards = malloc(((size_t)cap->nguards + 1) * sizeof *g->guards);
  g->last_use = malloc(((size_t)nv + 1) * sizeof *g->last_use);
  g->guard_pos = malloc(((size_t)cap->nguards + 1) * sizeof *g->guard_pos);
  if (!g->meta || !g->consts || !g->nodes || !g->keys || !g->outputs || !g->guards ||
      !g->last_use || !g->guard_pos) {
    g->nconsts = 0;
    genc_graph_free(g);
    free(live), free(map);
    cap_oom(ctx);
    return NULL;
  }
  for (int32_t v = 0; v < cap->nvals; v++) {
    const cval *c = &cap->vals[v];
    if (c->kind != K_INPUT && !live[v]) continue;
    g->meta[map[v]] = c->meta;
    if (c->kind == K_CONST) g->consts[map[v] - nin] = genc_array_retain(cap->consts[c->idx]);
    if (c->kind != K_NODE) continue;
    genc_gnode *nd = &g->nodes[map[v] - nin - nc];
    *nd = cap->nodes[c->idx];
    for (int i = 0; i < nd->nin; i++)
      nd->in[i] = map[nd->in[i]];
  }
  if (cap->nkeys) memcpy(g->keys, cap->keys, (size_t)cap->nkeys * sizeof *g->keys);
  for (int j = 0; j < nout; j++)
    g->outputs[j] = map[outs[j]];
  for (int32_t q = 0; q < cap->nguards; q++)
    g->guards[q] = (genc_gguard){map[cap->guards[q].value], cap->guards[q].seen};
  plan(g);
  free(live), free(map);
  return g;
}

/* ---- the public entry ---- */

static genc_status check_args(genc_ctx *ctx, genc_graph_fn fn, int nkeys, const genc_key *keys,
                              int nin, genc_array *const *in, int nout, genc_array **out) {
  const char *f = "genc_graph_capture";
  if (!fn || nkeys < 0 || (nkeys && !keys) || nin < 0 || (nin && !in) || nout < 0 || (nout && !out))
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "%s: needs a function, and arrays for its %d keys, %d inputs and %d "
                         "outputs",
                         f, nkeys, nin, nout);
  if (ctx->capture || genc__key_log_active)
    return genc_ctx_fail(ctx, GENC_ERR_CAPTURE,
                         "%s: a capture is already running on this %s (captures do not nest)", f,
                         ctx->capture ? "context" : "thread");
  for (int i = 0; i < nin; i++) {
    if (!in[i] || in[i]->ctx != ctx)
      return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: input %d is %s", f, i,
                           in[i] ? "of another context" : "NULL");
    for (int j = 0; j < i; j++)
      if (in[j] == in[i])
        return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: inputs %d and %d are the same array", f, j, i);
  }
  return GENC_OK;
}

static genc_capture *capture_begin(genc_ctx *ctx, int nkeys, const genc_key *keys, int nin,
                                   genc_array *const *in) {
  genc_capture *cap = calloc(1, sizeof *cap);
  if (cap) {
    cap->key_in = malloc(((size_t)nkeys + 1) * sizeof *cap->key_in);
    cap->key_in_id = malloc(((size_t)nkeys + 1) * sizeof *cap->key_in_id);
  }
  if (!cap || !cap->key_in || !cap->key_in_id) {
    capture_free(cap);
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_graph_capture: out of memory");
    return NULL;
  }
  cap->nkeys_in = nkeys;
  for (int i = 0; i < nkeys; i++)
    cap->key_in[i] = keys[i], cap->key_in_id[i] = -1;
  cap->serial = ++ctx->cap_last ? ctx->cap_last : ++ctx->cap_last;
  ctx->capture = cap;
  ctx->cap_serial = cap->serial;
  ctx->cap_depth = 0;
  genc__key_log_active = &cap->klog;
  for (int i = 0; i < nin; i++)
    new_value(ctx, K_INPUT, i, in[i], "input");
  return cap;
}

static void capture_end(genc_ctx *ctx) {
  ctx->capture = NULL;
  ctx->cap_serial = 0;
  ctx->cap_depth = 0;
  genc__key_log_active = NULL;
}

/* The local value id of output a (a constant registered as needed), or -1. */
static int32_t output_id(genc_ctx *ctx, genc_array *a) {
  int32_t id = value_of(ctx, a);
  return id >= 0 ? id : const_of(ctx, a, "output");
}

genc_status genc_graph_add_output(genc_ctx *ctx, genc_array *a) {
  if (!ctx) return GENC_ERR_ARG;
  genc_capture *cap = ctx->capture;
  if (!cap || !a || a->ctx != ctx)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_graph_add_output: %s",
                         !cap ? "no capture is running" : "NULL array or another context");
  if (!grow((void **)&cap->extra, &cap->cape, cap->nextra + 1, sizeof *cap->extra))
    return cap_oom(ctx);
  int32_t id = output_id(ctx, a);
  if (id < 0) return genc_ctx_status(ctx);
  cap->extra[cap->nextra++] = id;
  return GENC_OK;
}

/* The local value ids of fn's outputs (constants registered as needed). */
static genc_status output_ids(genc_ctx *ctx, int nout, genc_array **out, int32_t *ids) {
  for (int j = 0; j < nout; j++) {
    if (!out[j])
      return cap_fail(ctx, GENC_ERR_ARG,
                      "genc_graph_capture: the function returned GENC_OK but no output %d", j);
    if ((ids[j] = output_id(ctx, out[j])) < 0) return genc_ctx_status(ctx);
  }
  return GENC_OK;
}

genc_graph *genc_graph_capture(genc_ctx *ctx, genc_graph_fn fn, void *user, int nkeys,
                               const genc_key *keys, int nin, genc_array *const *in, int nout,
                               genc_array **out) {
  if (!ctx) return NULL;
  for (int j = 0; out && j < nout; j++)
    out[j] = NULL;
  if (check_args(ctx, fn, nkeys, keys, nin, in, nout, out)) return NULL;
  int32_t *ids = malloc(((size_t)nout + 1) * sizeof *ids);
  genc_capture *cap = ids ? capture_begin(ctx, nkeys, keys, nin, in) : NULL;
  if (!cap) {
    free(ids);
    if (!genc_ctx_status(ctx)) genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_graph_capture: no memory");
    return NULL;
  }
  genc_status st = cap->fail ? cap->fail : fn(ctx, keys, in, out, user);
  if (!st && !cap->fail) st = output_ids(ctx, nout, out, ids);
  if (!cap->fail && cap->klog.oom) cap_oom(ctx);
  int32_t *all = NULL;
  if (!st && !cap->fail && !(all = malloc(((size_t)nout + cap->nextra + 1) * sizeof *all)))
    cap_oom(ctx);
  genc_graph *g = NULL;
  if (cap->fail) {
    st = genc_ctx_fail(ctx, cap->fail, "%s", cap->msg); /* fn's later messages do not hide it */
  } else if (!st) {
    memcpy(all, ids, (size_t)nout * sizeof *all);
    if (cap->nextra) memcpy(all + nout, cap->extra, (size_t)cap->nextra * sizeof *all);
    g = finalize(ctx, cap, all, nout + cap->nextra);
  }
  free(all);
  capture_end(ctx);
  capture_free(cap);
  free(ids);
  return g;
}

int genc_graph_nnodes(const genc_graph *g) { return g ? g->nnodes : 0; }
int genc_graph_nconsts(const genc_graph *g) { return g ? g->nconsts : 0; }
int genc_graph_nguards(const genc_graph *g) { return g ? g->nguards : 0; }
int genc_graph_noutputs(const genc_graph *g) { return g ? g->noutputs : 0; }
