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
  genc_trace *tmpl;  /* the captured step's eager trace: structure, visiting order */
  genc_array **tarr; /* its arrays per position (borrowed from tmpl) */
  int *slot;         /* per position: its slot, -1 for NULL */
  int npos, nslots;
  genc_array **state; /* per slot: the current array (a reference) */
  bool has_acc, has_prop, compiled;
  int64_t n;
  /* loop mode (genc__cstep_loop_plan): the graph's outputs recorded per
   * iteration (the counts, then the recorded slots), the carry (slot j <-
   * output h + j), and rows of host values: row r is iteration s0 + r */
  int32_t *record, *carry, nrecord;
  int64_t width;
  double *rows, *one; /* one: a row built from arrays (interpreted replays) */
  int64_t nrows, row, s0;
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

void genc__cstep_free(genc__cstep *cs) {
  if (!cs) return;
  genc_graph_free(cs->g);
  for (int j = 0; cs->state && j < cs->nslots; j++)
    genc_array_release(cs->state[j]);
  genc_trace_release(cs->tmpl);
  free(cs->record), free(cs->carry), free(cs->rows), free(cs->one);
  free(cs->state), free(cs->tarr), free(cs->slot), free(cs);
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

/* Whether g's replays run compiled CPU code now (false while its compiler
 * runs in the background, when it failed, and on another device). */
static bool runs_compiled(genc_ctx *ctx, const genc_graph *g) {
  genc_compile_info info = {0};
  bool ok = !genc_graph_compile_info(ctx, g, &info);
  genc_ctx_clear_error(ctx);
  return ok && !info.pending && info.compiled;
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
  cs->n = genc_trace_nparticles(u->out);
  cs->has_acc = u->acc != NULL, cs->has_prop = u->prop != NULL;
  for (int p = 0; p < u->npos; p++)
    cs->slot[p] = u->slot[p], cs->tarr[p] = u->oc.v[p];
  for (int j = 0; j < u->nslots; j++)
    cs->state[j] = genc_array_retain(u->oc.v[u->first[j]]);
  cs->compiled = compile_graph(ctx, g, copts);
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
                               genc_array **acc, genc_array **prop) {
  *acc = NULL, *prop = NULL;
  return step_replay(ctx, cs, genc_key_fold_in(base, (uint64_t)s), acc, prop);
}

/* The slot whose array holds the value at addr, or -1. */
static int slot_of(genc_ctx *ctx, const genc__cstep *cs, const char *addr) {
  int64_t mark = genc_scope_begin(ctx);
  genc_array *v = genc_trace_get_path(ctx, cs->tmpl, addr);
  genc_scope_end(ctx, mark);
  genc_ctx_clear_error(ctx);
  for (int p = 0; v && p < cs->npos; p++)
    if (cs->tarr[p] == v && cs->slot[p] >= 0) return cs->slot[p];
  return -1;
}

bool genc__cstep_loop_plan(genc_ctx *ctx, genc__cstep *cs, int naddrs, const char *const *addrs) {
  int h = cs->has_acc + cs->has_prop;
  if (cs->n || cs->record) return cs->record != NULL;
  int32_t *rec = malloc(((size_t)h + (size_t)naddrs + 1) * sizeof *rec);
  int32_t *carry = malloc(((size_t)cs->nslots + 1) * sizeof *carry);
  bool ok = rec && carry;
  int64_t w = h;
  for (int i = 0; i < h; i++)
    rec[i] = i;
  for (int i = 0; ok && i < naddrs; i++) {
    int j = slot_of(ctx, cs, addrs[i]);
    ok = j >= 0;
    if (ok) rec[h + i] = h + j, w += genc_array_size(cs->state[j]);
  }
  for (int j = 0; ok && j < cs->nslots; j++)
    carry[j] = h + j;
  double *one = ok ? malloc((size_t)w * sizeof *one + 1) : NULL;
  if (!one) {
    free(rec), free(carry);
    return false;
  }
  cs->record = rec, cs->carry = carry, cs->nrecord = h + naddrs, cs->width = w, cs->one = one;
  return true;
}

/* A row from one replay's arrays (the graph not compiled yet). */
static genc_status row_of(genc_ctx *ctx, genc__cstep *cs, genc_array *acc, genc_array *prop) {
  double *r = cs->one;
  int h = cs->has_acc + cs->has_prop;
  genc_status st = GENC_OK;
  if (cs->has_acc) st = genc_array_copy_out(ctx, acc, r++, 1);
  if (!st && cs->has_prop) st = genc_array_copy_out(ctx, prop, r++, 1);
  for (int32_t i = h; !st && i < cs->nrecord; i++) {
    genc_array *a = cs->state[cs->record[i] - h];
    st = genc_array_copy_out(ctx, a, r, genc_array_size(a));
    r += genc_array_size(a);
  }
  return st;
}

/* Rows of iterations [s, s + iters) by genc_graph_loop; the state moves to
 * the last one's. A guard that changed past s leaves the rows before it. */
static genc_status loop_rows(genc_ctx *ctx, genc__cstep *cs, genc_key base, int64_t s,
                             int64_t iters) {
  int h = cs->has_acc + cs->has_prop, no = h + cs->nslots;
  genc_array *ob[16], **o = no <= 16 ? ob : malloc(((size_t)no + 1) * sizeof *o);
  if (!o) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_mcmc_run: out of memory");
  int64_t done = 0;
  genc_status st = genc_graph_loop(ctx, cs->g, &base, cs->state, o,
                                   &(genc_graph_loop_opts){.iters = iters,
                                                           .first = s,
                                                           .carry = cs->carry,
                                                           .nrecord = cs->nrecord,
                                                           .record = cs->record,
                                                           .rec = cs->rows,
                                                           .done = &done});
  if ((!st || st == GENC_ERR_CAPTURE) && done > 0) {
    for (int j = 0; j < cs->nslots; j++) {
      genc_array_release(cs->state[j]);
      cs->state[j] = genc_array_retain(o[h + j]);
    }
    cs->nrows = done, cs->row = 0, cs->s0 = s;
    genc_ctx_clear_error(ctx);
    st = GENC_OK;
  }
  if (o != ob) free(o);
  return st;
}

/* Iterations a loop runs ahead at most (rows of a few doubles each). */
enum { LOOP_ROWS = 4096 };

genc_status genc__cstep_row(genc_ctx *ctx, genc__cstep *cs, genc_key base, int64_t s, int64_t end,
                            const double **row) {
  *row = NULL;
  if (cs->nrows && s == cs->s0 + cs->row) {
    *row = cs->rows + cs->row++ * cs->width;
    if (cs->row == cs->nrows) cs->nrows = 0;
    return GENC_OK;
  }
  cs->nrows = 0;
  if (!runs_compiled(ctx, cs->g)) { /* compiling still, interpreted, or another device */
    genc_array *a = NULL, *p = NULL;
    genc_status st = genc__cstep_replay(ctx, cs, base, s, &a, &p);
    if (!st) st = row_of(ctx, cs, a, p);
    *row = st ? NULL : cs->one;
    return st;
  }
  int64_t n = end - s < LOOP_ROWS ? end - s : LOOP_ROWS;
  if (!cs->rows) cs->rows = malloc((size_t)(LOOP_ROWS * cs->width) * sizeof *cs->rows + 1);
  if (!cs->rows) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_mcmc_run: out of memory");
  genc_status st = loop_rows(ctx, cs, base, s, n < 1 ? 1 : n);
  if (!st) return genc__cstep_row(ctx, cs, base, s, end, row);
  return st;
}

genc_array *genc__cstep_value(genc_ctx *ctx, const genc__cstep *cs, const char *addr) {
  int j = slot_of(ctx, cs, addr);
  return j >= 0 ? cs->state[j] : NULL;
}

bool genc__cstep_compiled(const genc__cstep *cs) { return cs && cs->compiled; }

void genc__cstep_counts(const genc__cstep *cs, bool *acc, bool *prop) {
  *acc = cs->has_acc, *prop = cs->has_prop;
}
