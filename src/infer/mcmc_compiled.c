/*
 * A captured MCMC kernel step (see mcmc_compiled.h). The graph's inputs are
 * the distinct arrays of the current trace in trace_map's visiting order
 * (its slots), its key input is the step's key; its outputs are the kernel's
 * acceptance counts and, slot by slot, the new trace's arrays. That lets the
 * outputs of one replay be the inputs of the next as they are, provided the
 * new trace shares arrays between positions at least where the old one did
 * (checked at capture: a position of a slot must hold the slot's array).
 */
#include <stdlib.h>
#include <string.h>

#include "genc/exec.h"
#include "infer/mcmc_compiled.h"

struct genc__cstep {
  genc_graph *g;     /* one kernel application */
  genc_graph *gb;    /* blk applications in a row (NULL: not captured yet or refused) */
  genc_kernel *k;    /* for the block's capture (a reference) */
  genc_trace *tmpl;  /* the captured step's eager trace: structure, visiting order */
  genc_array **tarr; /* its arrays per position (borrowed from tmpl) */
  int *slot;         /* per position: its slot, -1 for NULL */
  int npos, nslots, blk;
  int64_t left;            /* iterations that must be left to capture a block */
  genc_compile_opts copts; /* how both graphs compile */
  genc_array **state;      /* per slot: the current array (a reference) */
  bool has_acc, has_prop, compiled, block_tried, block_ready;
  int64_t n;
  /* a block's iterations not served yet: rows of w = has_acc + has_prop +
   * nslots references, row r being iteration s0 + r; hold: the counts the
   * last served iteration handed out (alive until the next one) */
  genc_array **buf, *hold[2];
  int rows, row;
  int64_t s0;
};

typedef struct positions {
  genc_array **v;
  int len, cap;
} positions;

static genc_array *collect_fn(genc_ctx *ctx, genc_array *x, void *user) {
  positions *c = user;
  if (c->len == c->cap) {
    int cap = c->cap ? 2 * c->cap : 32;
    genc_array **v = realloc(c->v, (size_t)cap * sizeof *v);
    if (!v) {
      genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_mcmc_run: out of memory capturing a step");
      return NULL;
    }
    c->v = v, c->cap = cap;
  }
  c->v[c->len++] = x;
  return x;
}

/* t's arrays by position; the returned trace (a reference) holds them. */
static genc_trace *collect(genc_ctx *ctx, const genc_trace *t, positions *c) {
  const genc_gf_type *ty = genc_gf_type_of(genc_trace_gf(t));
  if (!ty || !ty->trace_map) return NULL;
  return ty->trace_map(ctx, t, collect_fn, c, genc_trace_nparticles(t));
}

/* Slots: distinct arrays; slot[p] for every position, first[j] for every slot.
 * Quadratic in the count of arrays, which is the trace's site count. */
static int make_slots(const positions *c, int *slot, int *first) {
  int ns = 0;
  for (int p = 0; p < c->len; p++) {
    slot[p] = -1;
    if (!c->v[p]) continue;
    for (int j = 0; j < ns && slot[p] < 0; j++)
      if (c->v[first[j]] == c->v[p]) slot[p] = j;
    if (slot[p] < 0) first[ns] = p, slot[p] = ns++;
  }
  return ns;
}

/* Whether a replay may take y where the graph was captured with x: same
 * dtype, shape and particle count (a generated trace holds constrained values
 * shared where the chains' later traces hold them batched). */
static bool like(const genc_array *y, const genc_array *x) {
  int nd = genc_array_ndim(x);
  return genc_array_dtype(y) == genc_array_dtype(x) && genc_array_ndim(y) == nd &&
         genc_array_nparticles(y) == genc_array_nparticles(x) &&
         (nd == 0 ||
          !memcmp(genc_array_shape(y), genc_array_shape(x), (size_t)nd * sizeof(int64_t)));
}

typedef struct cap_user {
  const genc_kernel *k;
  genc_trace *in; /* the current trace rebuilt on the inputs */
  int64_t step;
  const int *slot, *first;
  int npos, nslots;
  genc_trace *out; /* the eager result */
  positions oc;    /* its arrays */
  genc_array *acc, *prop;
} cap_user;

/* Whether t's arrays (collected into *oc, reset first) are laid out as the
 * slots say: a position of a slot holds the slot's array, NULL positions stay
 * NULL, each slot's array is like in[j]. arr[j]: the slot's array. A
 * GENC_ERR_CAPTURE refusal when not. */
static genc_status laid_out(genc_ctx *ctx, const genc_trace *t, positions *oc, const int *slot,
                            int npos, int nslots, genc_array *const *in, genc_array **arr) {
  oc->len = 0;
  genc_trace *seen = collect(ctx, t, oc);
  if (!seen) return genc_ctx_status(ctx);
  genc_trace_release(seen);
  bool same = oc->len == npos;
  for (int j = 0; j < nslots; j++)
    arr[j] = NULL;
  for (int p = 0; same && p < npos; p++) {
    genc_array **a = slot[p] < 0 ? NULL : &arr[slot[p]];
    same = !a ? !oc->v[p] : oc->v[p] && (!*a || *a == oc->v[p]);
    if (same && a) *a = oc->v[p];
  }
  for (int j = 0; same && j < nslots; j++)
    same = arr[j] && like(arr[j], in[j]);
  return same ? GENC_OK
              : genc_ctx_fail(ctx, GENC_ERR_CAPTURE,
                              "genc_mcmc_run: the kernel's new trace is laid out unlike its input");
}

static genc_status cap_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                          genc_array **out, void *user) {
  (void)out;
  cap_user *u = user;
  u->out = genc_kernel_apply(ctx, u->k, u->in, keys[0], u->step, &u->acc, &u->prop);
  if (!u->out) return genc_ctx_status(ctx);
  genc_array **arr = malloc(((size_t)u->nslots + 1) * sizeof *arr);
  if (!arr) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_mcmc_run: out of memory");
  genc_status lst = laid_out(ctx, u->out, &u->oc, u->slot, u->npos, u->nslots, in, arr);
  free(arr);
  if (lst) return lst;
  genc_status st = GENC_OK;
  if (u->acc) st = genc_graph_add_output(ctx, u->acc);
  if (!st && u->prop) st = genc_graph_add_output(ctx, u->prop);
  for (int j = 0; !st && j < u->nslots; j++)
    st = genc_graph_add_output(ctx, u->oc.v[u->first[j]]);
  return st;
}

/* Release the block's unserved rows and the counts handed out last. */
static void drop_rows(genc__cstep *cs) {
  int w = cs->has_acc + cs->has_prop + cs->nslots;
  for (int i = cs->row * w; cs->buf && i < cs->rows * w; i++)
    genc_array_release(cs->buf[i]), cs->buf[i] = NULL;
  cs->rows = cs->row = 0;
}

void genc__cstep_free(genc__cstep *cs) {
  if (!cs) return;
  drop_rows(cs);
  genc_array_release(cs->hold[0]), genc_array_release(cs->hold[1]);
  genc_graph_free(cs->g), genc_graph_free(cs->gb);
  for (int j = 0; cs->state && j < cs->nslots; j++)
    genc_array_release(cs->state[j]);
  genc_trace_release(cs->tmpl);
  genc_kernel_release(cs->k);
  free(cs->buf), free(cs->state), free(cs->tarr), free(cs->slot), free(cs);
}

/* Compile g; whether its replays run compiled code. A compiler that fails is
 * no error (the interpreter replays); another context's backend refusing is
 * not one either. */
static bool compile_graph(genc_ctx *ctx, genc_graph *g, const genc_compile_opts *copts) {
  genc_compile_info info = {0};
  bool compiled = !genc_graph_compile(ctx, g, copts) && !genc_graph_compile_info(ctx, g, &info) &&
                  info.compiled;
  genc_ctx_clear_error(ctx);
  return compiled;
}

/* Whether g's replays run compiled code now (false while its compiler runs
 * in the background, and for good when it failed: *failed). */
static bool runs_compiled(genc_ctx *ctx, const genc_graph *g, bool *failed) {
  genc_compile_info info = {0};
  bool ok = !genc_graph_compile_info(ctx, g, &info);
  genc_ctx_clear_error(ctx);
  *failed = !ok || (!info.pending && !info.compiled);
  return ok && !info.pending && info.compiled;
}

/*
 * Applications per block graph: enough that a replay's fixed cost (key
 * derivation, bookkeeping, the region's hoisted values) is paid once for
 * several steps, few enough that the block stays a graph of at most about
 * BLOCK_NODES nodes (the C compiler's time grows faster than linearly with
 * the size of the one function a region becomes: B3's block of 8, 856 nodes,
 * takes 2-3x the one-step graph's cold compile). A batched graph of many
 * chains already spreads its fixed cost over the chains: no block.
 *
 * The block's capture costs about 5-25 ms (B3, one chain: the capture of
 * ~900 nodes, the emitted C and its hash, loading the object), against
 * ~0.1-0.2 us saved per iteration (measured 10-15% of a ~1 us step on the
 * 2-core development machine), so a block is captured only when at least
 * BLOCK_LEFT iterations are left. GENC_MCMC_BLOCK (tests, benchmarks)
 * overrides the size (1: no block) and lowers that bound to 64 blocks.
 */
enum { BLOCK_NODES = 900, BLOCK_MAX = 32, BLOCK_LEFT = 1 << 16 };
static int block_size(const genc_graph *g, int64_t n, int64_t *left) {
  const char *e = getenv("GENC_MCMC_BLOCK");
  int b = e && *e ? atoi(e) : 0;
  if (e && *e) {
    b = b < 1 ? 1 : b > 4 * BLOCK_MAX ? 4 * BLOCK_MAX : b;
    *left = 64 * (int64_t)b;
    return b;
  }
  *left = BLOCK_LEFT;
  int nn = genc_graph_nnodes(g);
  b = nn > 0 ? BLOCK_NODES / nn : 1;
  if (n > 1) return 1;
  return b < 2 ? 1 : b > BLOCK_MAX ? BLOCK_MAX : b;
}

/* The step object from a finished capture; NULL with an error (NOMEM). */
static genc__cstep *cstep_new(genc_ctx *ctx, genc_graph *g, cap_user *u,
                              const genc_compile_opts *copts) {
  genc__cstep *cs = calloc(1, sizeof *cs);
  if (cs) cs->g = g, cs->npos = u->npos, cs->nslots = u->nslots;
  if (cs) cs->state = calloc((size_t)u->nslots + 1, sizeof *cs->state);
  if (cs) cs->slot = malloc(((size_t)u->npos + 1) * sizeof *cs->slot);
  if (cs) cs->tarr = malloc(((size_t)u->npos + 1) * sizeof *cs->tarr);
  if (!cs || !cs->state || !cs->slot || !cs->tarr) {
    if (cs) cs->g = NULL;
    genc__cstep_free(cs);
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_mcmc_run: out of memory capturing a step");
    return NULL;
  }
  cs->tmpl = genc_trace_retain(u->out);
  cs->k = genc_kernel_retain((genc_kernel *)u->k);
  cs->n = genc_trace_nparticles(u->out);
  cs->copts = *copts;
  cs->has_acc = u->acc != NULL, cs->has_prop = u->prop != NULL;
  for (int p = 0; p < u->npos; p++)
    cs->slot[p] = u->slot[p], cs->tarr[p] = u->oc.v[p];
  for (int j = 0; j < u->nslots; j++)
    cs->state[j] = genc_array_retain(u->oc.v[u->first[j]]);
  cs->compiled = compile_graph(ctx, g, copts);
  cs->blk = block_size(g, cs->n, &cs->left);
  return cs;
}

genc__cstep *genc__cstep_capture(genc_ctx *ctx, const genc_kernel *k, const genc_trace *t,
                                 genc_key key, int64_t step, const genc_compile_opts *copts,
                                 genc_trace **out, genc_array **acc, genc_array **prop) {
  *out = NULL, *acc = NULL, *prop = NULL;
  positions ic = {0};
  genc_trace *in = collect(ctx, t, &ic);
  int *slot = in ? malloc(((size_t)ic.len + 1) * 2 * sizeof *slot) : NULL;
  if (!slot) {
    if (in && !genc_ctx_status(ctx)) genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_mcmc_run: no memory");
    genc_trace_release(in), free(ic.v);
    return NULL; /* no trace_map: not capturable, no error */
  }
  int *first = slot + ic.len + 1, ns = make_slots(&ic, slot, first);
  genc_array **inputs = malloc(((size_t)ns + 1) * sizeof *inputs);
  for (int j = 0; inputs && j < ns; j++)
    inputs[j] = ic.v[first[j]];
  cap_user u = {
      .k = k, .in = in, .step = step, .slot = slot, .first = first, .npos = ic.len, .nslots = ns};
  genc_graph *g = inputs ? genc_graph_capture(ctx, cap_fn, &u, 1, &key, ns, inputs, 0, NULL) : NULL;
  genc__cstep *cs = NULL;
  if (g) {
    cs = cstep_new(ctx, g, &u, copts);
    if (!cs) genc_graph_free(g);
  } else if (inputs && genc_ctx_status(ctx) == GENC_ERR_CAPTURE) {
    genc_ctx_clear_error(ctx); /* a refusal: the caller runs eagerly */
  } else if (!inputs) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_mcmc_run: out of memory capturing a step");
  }
  if (!genc_ctx_status(ctx)) {
    *out = u.out, u.out = NULL;
    *acc = *out ? u.acc : NULL, *prop = *out ? u.prop : NULL;
  }
  genc_trace_release(u.out), genc_trace_release(in);
  free(inputs), free(slot), free(ic.v), free(u.oc.v);
  return cs;
}

typedef struct feed {
  const genc__cstep *cs;
  genc_array *const *arr; /* per slot */
  int pos;
} feed;

static genc_array *feed_fn(genc_ctx *ctx, genc_array *x, void *user) {
  feed *f = user;
  int p = f->pos++;
  if (p >= f->cs->npos || (f->cs->slot[p] >= 0) != (x != NULL)) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_mcmc_run: the captured trace changed its structure");
    return NULL;
  }
  return x ? f->arr[f->cs->slot[p]] : NULL;
}

/* The template trace holding arr's arrays (a new reference), or NULL. */
static genc_trace *trace_on(genc_ctx *ctx, const genc__cstep *cs, genc_array *const *arr) {
  feed f = {cs, arr, 0};
  return genc_gf_type_of(genc_trace_gf(cs->tmpl))->trace_map(ctx, cs->tmpl, feed_fn, &f, cs->n);
}

genc_trace *genc__cstep_trace(genc_ctx *ctx, const genc__cstep *cs) {
  return trace_on(ctx, cs, cs->state);
}

/* The block capture's user data: rows receives the eager results. */
typedef struct blk_user {
  genc__cstep *cs;
  int64_t step;
  genc_array **rows;
  genc_array **arr; /* nslots */
  positions oc;
} blk_user;

/* blk kernel applications in a row from the inputs, each one's counts and
 * arrays outputs of the graph (and, retained, the rows of the buffer). */
static genc_status blk_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                          genc_array **out, void *user) {
  (void)out;
  blk_user *u = user;
  genc__cstep *cs = u->cs;
  int h = cs->has_acc + cs->has_prop, w = h + cs->nslots;
  genc_trace *t = trace_on(ctx, cs, in);
  genc_status st = t ? GENC_OK : genc_ctx_status(ctx);
  genc_array *const *prev = in;
  for (int i = 0; !st && i < cs->blk; i++) {
    genc_array *a = NULL, *p = NULL;
    genc_trace *nt = genc_kernel_apply(ctx, cs->k, t, keys[i], u->step + i, &a, &p);
    genc_trace_release(t);
    t = nt;
    if (!t) return genc_ctx_status(ctx);
    if ((a != NULL) != cs->has_acc || (p != NULL) != cs->has_prop)
      st = genc_ctx_fail(ctx, GENC_ERR_CAPTURE, "genc_mcmc_run: the kernel's counts changed");
    if (!st) st = laid_out(ctx, t, &u->oc, cs->slot, cs->npos, cs->nslots, prev, u->arr);
    genc_array **row = u->rows + (size_t)i * w;
    if (!st && a) st = genc_graph_add_output(ctx, row[0] = genc_array_retain(a));
    if (!st && p) st = genc_graph_add_output(ctx, row[cs->has_acc] = genc_array_retain(p));
    for (int j = 0; !st && j < cs->nslots; j++)
      st = genc_graph_add_output(ctx, row[h + j] = genc_array_retain(u->arr[j]));
    prev = row + h;
  }
  genc_trace_release(t);
  return st;
}

/* Capture (and compile) the block graph at iteration s from the current
 * state; on success its eager run fills the buffer. A refusal (or any error
 * but NOMEM: the one-step path meets it again where the eager chain would)
 * leaves no block and no error. */
static genc_status block_capture(genc_ctx *ctx, genc__cstep *cs, const genc_key *keys, int64_t s) {
  cs->block_tried = true;
  int w = cs->has_acc + cs->has_prop + cs->nslots;
  blk_user u = {.cs = cs, .step = s};
  u.rows = calloc((size_t)cs->blk * w + 1, sizeof *u.rows);
  u.arr = malloc(((size_t)cs->nslots + 1) * sizeof *u.arr);
  if (!u.rows || !u.arr) {
    free(u.rows), free(u.arr);
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_mcmc_run: out of memory");
  }
  int64_t mark = genc_scope_begin(ctx);
  cs->gb = genc_graph_capture(ctx, blk_fn, &u, cs->blk, keys, cs->nslots, cs->state, 0, NULL);
  genc_scope_end(ctx, mark);
  genc_status st = genc_ctx_status(ctx);
  if (cs->gb) {
    /* as the caller chose (in the background: the one-step graph serves the
     * iterations until the block's code is loaded) */
    compile_graph(ctx, cs->gb, &cs->copts);
    free(cs->buf);
    cs->buf = u.rows, cs->rows = cs->blk, cs->row = 0, cs->s0 = s;
    u.rows = NULL;
  } else if (st != GENC_ERR_NOMEM) {
    genc_ctx_clear_error(ctx);
  }
  for (int i = 0; u.rows && i < cs->blk * w; i++)
    genc_array_release(u.rows[i]);
  free(u.rows), free(u.arr), free(u.oc.v);
  return cs->gb || st != GENC_ERR_NOMEM ? GENC_OK : st;
}

/* Replay the block graph at iteration s into the buffer. */
static genc_status block_replay(genc_ctx *ctx, genc__cstep *cs, const genc_key *keys, int64_t s) {
  int w = cs->has_acc + cs->has_prop + cs->nslots;
  if (!cs->buf) cs->buf = calloc((size_t)cs->blk * w + 1, sizeof *cs->buf);
  if (!cs->buf) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_mcmc_run: out of memory");
  int64_t mark = genc_scope_begin(ctx);
  genc_status st = genc_graph_replay(ctx, cs->gb, keys, cs->state, cs->buf);
  for (int i = 0; !st && i < cs->blk * w; i++)
    genc_array_retain(cs->buf[i]);
  genc_scope_end(ctx, mark);
  if (!st) cs->rows = cs->blk, cs->row = 0, cs->s0 = s;
  return st;
}

/* Iteration s from the buffer: the state moves to its row. */
static void serve(genc__cstep *cs, genc_array **acc, genc_array **prop) {
  int h = cs->has_acc + cs->has_prop, w = h + cs->nslots;
  genc_array **row = cs->buf + (size_t)cs->row++ * w;
  genc_array_release(cs->hold[0]), genc_array_release(cs->hold[1]);
  cs->hold[0] = cs->has_acc ? row[0] : NULL;
  cs->hold[1] = cs->has_prop ? row[cs->has_acc] : NULL;
  *acc = cs->hold[0], *prop = cs->hold[1];
  for (int j = 0; j < cs->nslots; j++) {
    genc_array_release(cs->state[j]);
    cs->state[j] = row[h + j];
  }
  for (int i = 0; i < w; i++)
    row[i] = NULL;
  if (cs->row == cs->rows) cs->rows = cs->row = 0;
}

/* One replay of the one-step graph with key. */
static genc_status step_replay(genc_ctx *ctx, genc__cstep *cs, genc_key key, genc_array **acc,
                               genc_array **prop) {
  int h = cs->has_acc + cs->has_prop, no = h + cs->nslots;
  genc_array *ob[16], **o = no <= 16 ? ob : malloc(((size_t)no + 1) * sizeof *o);
  if (!o) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_mcmc_run: out of memory");
  genc_status st = genc_graph_replay(ctx, cs->g, &key, cs->state, o);
  if (!st) {
    if (cs->has_acc) *acc = o[0];
    if (cs->has_prop) *prop = o[cs->has_acc];
    for (int j = 0; j < cs->nslots; j++) {
      genc_array_release(cs->state[j]);
      cs->state[j] = genc_array_retain(o[h + j]);
    }
  }
  if (o != ob) free(o);
  return st;
}

genc_status genc__cstep_replay(genc_ctx *ctx, genc__cstep *cs, genc_key base, int64_t s,
                               int64_t end, genc_array **acc, genc_array **prop) {
  *acc = NULL, *prop = NULL;
  if (cs->rows && s == cs->s0 + cs->row) return serve(cs, acc, prop), GENC_OK;
  drop_rows(cs); /* not the iteration the block ran ahead for */
  /* a block when the iterations left fill it, captured once enough are left
   * to repay the capture (it runs them eagerly) and the one-step graph runs
   * compiled; replayed once its own code is loaded */
  bool failed = false, blk = cs->blk > 1 && end - s >= cs->blk;
  if (blk && !cs->gb)
    blk = !cs->block_tried && end - s >= cs->left && runs_compiled(ctx, cs->g, &failed);
  else if (blk && !cs->block_ready)
    blk = cs->block_ready = runs_compiled(ctx, cs->gb, &failed);
  if (failed) cs->block_tried = true; /* a graph's compiler failed: no block */
  if (failed && cs->gb) genc_graph_free(cs->gb), cs->gb = NULL;
  if (blk) {
    genc_key kb[BLOCK_MAX],
        *keys = cs->blk <= BLOCK_MAX ? kb : malloc((size_t)cs->blk * sizeof *keys);
    if (!keys) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_mcmc_run: out of memory");
    for (int i = 0; i < cs->blk; i++)
      keys[i] = genc_key_fold_in(base, (uint64_t)(s + i));
    genc_status st = cs->gb ? block_replay(ctx, cs, keys, s) : block_capture(ctx, cs, keys, s);
    if (keys != kb) free(keys);
    if (st) return st;
    if (cs->rows) return serve(cs, acc, prop), GENC_OK;
  }
  return step_replay(ctx, cs, genc_key_fold_in(base, (uint64_t)s), acc, prop);
}

genc_array *genc__cstep_value(genc_ctx *ctx, const genc__cstep *cs, const char *addr) {
  int64_t mark = genc_scope_begin(ctx);
  genc_array *v = genc_trace_get_path(ctx, cs->tmpl, addr);
  genc_scope_end(ctx, mark);
  genc_ctx_clear_error(ctx);
  for (int p = 0; v && p < cs->npos; p++)
    if (cs->tarr[p] == v && cs->slot[p] >= 0) return cs->state[cs->slot[p]];
  return NULL;
}

bool genc__cstep_compiled(const genc__cstep *cs) { return cs && cs->compiled; }
