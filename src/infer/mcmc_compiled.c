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
  genc_graph *g;
  genc_trace *tmpl;  /* the captured step's eager trace: structure, visiting order */
  genc_array **tarr; /* its arrays per position (borrowed from tmpl) */
  int *slot;         /* per position: its slot, -1 for NULL */
  int npos, nslots;
  genc_array **state; /* per slot: the current array (a reference) */
  bool has_acc, has_prop, compiled;
  int64_t n;
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

static genc_status cap_fn(genc_ctx *ctx, const genc_key *keys, genc_array *const *in,
                          genc_array **out, void *user) {
  (void)out;
  cap_user *u = user;
  u->out = genc_kernel_apply(ctx, u->k, u->in, keys[0], u->step, &u->acc, &u->prop);
  if (!u->out) return genc_ctx_status(ctx);
  genc_trace *seen = collect(ctx, u->out, &u->oc);
  if (!seen) return genc_ctx_status(ctx);
  genc_trace_release(seen);
  bool same = u->oc.len == u->npos;
  for (int p = 0; same && p < u->npos; p++)
    same = u->slot[p] < 0 ? !u->oc.v[p] : u->oc.v[p] == u->oc.v[u->first[u->slot[p]]];
  for (int j = 0; same && j < u->nslots; j++)
    same = like(u->oc.v[u->first[j]], in[j]);
  if (!same)
    return genc_ctx_fail(ctx, GENC_ERR_CAPTURE,
                         "genc_mcmc_run: the kernel's new trace is laid out unlike its input");
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
  free(cs->state), free(cs->tarr), free(cs->slot), free(cs);
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
  /* a compiler that fails is no error (the interpreter replays); another
   * context's backend refusing is not one either */
  genc_compile_info info = {0};
  if (!genc_graph_compile(ctx, g, copts) && !genc_graph_compile_info(ctx, g, &info))
    cs->compiled = info.compiled;
  genc_ctx_clear_error(ctx);
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

genc_status genc__cstep_replay(genc_ctx *ctx, genc__cstep *cs, genc_key key, genc_array **acc,
                               genc_array **prop) {
  *acc = NULL, *prop = NULL;
  int h = cs->has_acc + cs->has_prop, no = h + cs->nslots;
  genc_array **o = malloc(((size_t)no + 1) * sizeof *o);
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
  free(o);
  return st;
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

typedef struct feed {
  const genc__cstep *cs;
  int pos;
} feed;

static genc_array *feed_fn(genc_ctx *ctx, genc_array *x, void *user) {
  feed *f = user;
  int p = f->pos++;
  if (p >= f->cs->npos || (f->cs->slot[p] >= 0) != (x != NULL)) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_mcmc_run: the captured trace changed its structure");
    return NULL;
  }
  return x ? f->cs->state[f->cs->slot[p]] : NULL;
}

genc_trace *genc__cstep_trace(genc_ctx *ctx, const genc__cstep *cs) {
  feed f = {cs, 0};
  return genc_gf_type_of(genc_trace_gf(cs->tmpl))->trace_map(ctx, cs->tmpl, feed_fn, &f, cs->n);
}

bool genc__cstep_compiled(const genc__cstep *cs) { return cs && cs->compiled; }
