/* Contramap and Dimap: an inner function run on transformed arguments (and
 * with a transformed value). Also the wrapper behind Mix and Recurse, which
 * own the functions they are built from (cb2_owned). */
#include <stdlib.h>

#include "comb/cb2.h"

typedef struct wrap_gf {
  genc_gf *inner;
  genc_args_transform args_fn;
  genc_value_transform ret_fn;
  void *user;
  cb2_owned owned;
} wrap_gf;

/* A wrapper trace holds the inner trace; choices and score are its. */
typedef struct wrap_trace {
  genc_trace *sub;
} wrap_trace;

static void wrap_trace_free(void *impl) {
  wrap_trace *w = impl;
  genc_trace_release(w->sub);
  free(w);
}

static void owned_free(cb2_owned *o) {
  for (int i = 0; i < 4; i++)
    genc_gf_release(o->gfs[i]);
  if (o->free_data) o->free_data(o->data);
}

static void wrap_gf_free(void *impl) {
  wrap_gf *w = impl;
  genc_gf_release(w->inner);
  owned_free(&w->owned);
  free(w);
}

/* The inner arguments of a call: old ones when every argument is unchanged. */
static genc_status inner_args(genc_ctx *ctx, genc_gf *gf, const genc_gfi_call *call,
                              genc_array **out) {
  wrap_gf *w = genc_gf_impl(gf);
  int nin = genc_gf_nargs(w->inner);
  const genc_trace *old = call->trace ? ((wrap_trace *)genc_trace_impl(call->trace))->sub : NULL;
  if (old && genc_argdiffs_all_unchanged(call->argdiffs, genc_gf_nargs(gf))) {
    for (int i = 0; i < nin; i++)
      out[i] = genc_trace_arg(old, i);
    return GENC_OK;
  }
  if (!w->args_fn) {
    for (int i = 0; i < nin; i++)
      out[i] = call->args[i];
    return GENC_OK;
  }
  genc_status st = w->args_fn(ctx, call->args, out, w->user);
  if (!st && genc_ctx_status(ctx)) st = genc_ctx_status(ctx);
  for (int i = 0; !st && i < nin; i++)
    if (!out[i])
      st = genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: the argument transform left argument %d NULL",
                         genc_gf_name(gf), i);
  return st;
}

static genc_array *outer_value(genc_ctx *ctx, const wrap_gf *w, genc_array *x) {
  return w->ret_fn && x ? w->ret_fn(ctx, x, w->user) : x;
}

static genc_status wrap_op(genc_ctx *ctx, genc_gf *gf, cb2_op op, const genc_gfi_call *call,
                           genc_gfi_result *res) {
  wrap_gf *w = genc_gf_impl(gf);
  int64_t mark = genc_scope_begin(ctx);
  genc_array *args[GENC_GF_MAX_ARGS] = {0};
  genc_argdiff diffs[GENC_GF_MAX_ARGS];
  genc_gfi_call c = *call;
  genc_gfi_result r = {0};
  genc_status st = inner_args(ctx, gf, call, args);
  c.args = args;
  if (call->trace) c.trace = ((wrap_trace *)genc_trace_impl(call->trace))->sub;
  if (call->argdiffs) {
    bool same = genc_argdiffs_all_unchanged(call->argdiffs, genc_gf_nargs(gf));
    genc_argdiffs_fill(diffs, genc_gf_nargs(w->inner), same ? genc_nochange() : genc_unknown());
    c.argdiffs = diffs;
  }
  if (!st) st = genc__cb2_call(ctx, w->inner, op, &c, &r);
  genc_array *value = NULL;
  if (!st) {
    value = outer_value(ctx, w, op == CB2_ASSESS ? r.retval : genc_trace_retval(r.trace));
    if (!value) st = genc_ctx_status(ctx) ? genc_ctx_status(ctx) : GENC_ERR_ARG;
  }
  if (!st && op != CB2_ASSESS) {
    wrap_trace *wt = calloc(1, sizeof *wt);
    res->trace =
        wt ? genc_trace_new(ctx, gf, call->args, value, genc_trace_score(r.trace), call->n, wt)
           : NULL;
    if (res->trace)
      wt->sub = r.trace, r.trace = NULL;
    else
      free(wt), st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: out of memory", genc_gf_name(gf));
  }
  genc_trace_release(r.trace);
  if (st) {
    genc_choicemap_free(r.discard);
    genc_scope_end(ctx, mark);
    return st;
  }
  res->weight = r.weight;
  res->retval = op == CB2_ASSESS ? value : NULL;
  res->discard = r.discard;
  genc__cb2_keep(ctx, mark, res);
  return GENC_OK;
}

static genc_status w_simulate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k, genc_gfi_result *r) {
  return wrap_op(c, g, CB2_SIMULATE, k, r);
}
static genc_status w_generate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k, genc_gfi_result *r) {
  return wrap_op(c, g, CB2_GENERATE, k, r);
}
static genc_status w_update(genc_ctx *c, genc_gf *g, const genc_gfi_call *k, genc_gfi_result *r) {
  return wrap_op(c, g, CB2_UPDATE, k, r);
}
static genc_status w_regenerate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                                genc_gfi_result *r) {
  return wrap_op(c, g, CB2_REGENERATE, k, r);
}
static genc_status w_assess(genc_ctx *c, genc_gf *g, const genc_gfi_call *k, genc_gfi_result *r) {
  return wrap_op(c, g, CB2_ASSESS, k, r);
}

static genc_status w_project(genc_ctx *ctx, genc_gf *gf, const genc_gfi_call *call,
                             genc_gfi_result *res) {
  wrap_gf *w = genc_gf_impl(gf);
  genc_gfi_call c = *call;
  c.trace = ((wrap_trace *)genc_trace_impl(call->trace))->sub;
  c.args = NULL;
  return genc__cb2_call(ctx, w->inner, CB2_PROJECT, &c, res);
}

static genc_trace *w_trace_map(genc_ctx *ctx, const genc_trace *t, genc_array_map_fn f, void *user,
                               int64_t n) {
  const wrap_trace *wt = genc_trace_impl(t);
  genc_trace *sub = genc_gf_type_of(genc_trace_gf(wt->sub))->trace_map(ctx, wt->sub, f, user, n);
  genc_gf *gf = genc_trace_gf(t);
  genc_array *args[GENC_GF_MAX_ARGS] = {0};
  bool ok = sub != NULL;
  for (int i = 0; ok && i < genc_gf_nargs(gf); i++)
    ok = !genc_trace_arg(t, i) || (args[i] = f(ctx, genc_trace_arg(t, i), user)) != NULL;
  genc_array *ret = ok ? f(ctx, genc_trace_retval(t), user) : NULL;
  wrap_trace *nw = ret ? calloc(1, sizeof *nw) : NULL;
  genc_trace *out = nw ? genc_trace_new(ctx, gf, args, ret, genc_trace_score(sub), n, nw) : NULL;
  if (out)
    nw->sub = sub;
  else
    free(nw), genc_trace_release(sub);
  return out;
}

static genc_status w_trace_choices(genc_ctx *ctx, const genc_trace *t, genc_choicemap *out) {
  const wrap_trace *wt = genc_trace_impl(t);
  return genc_gf_type_of(genc_trace_gf(wt->sub))->trace_choices(ctx, wt->sub, out);
}

/* The inner trace answers: its choices are the wrapper's, at the same addresses. */
static genc_status w_trace_support(genc_ctx *ctx, const genc_trace *t, const genc_comp *path,
                                   int len, genc_support_info *out) {
  const wrap_trace *wt = genc_trace_impl(t);
  return genc_trace_support_at(ctx, wt->sub, path, len, out);
}

static const genc_gf_type wrap_type = {
    .name = "contramap",
    .simulate = w_simulate,
    .generate = w_generate,
    .update = w_update,
    .regenerate = w_regenerate,
    .assess = w_assess,
    .project = w_project,
    .trace_map = w_trace_map,
    .trace_choices = w_trace_choices,
    .trace_support = w_trace_support,
    .trace_free = wrap_trace_free,
    .gf_free = wrap_gf_free,
};

genc_gf *genc__cb2_wrap(const char *name, genc_gf *inner, int nin, genc_args_transform args_fn,
                        genc_value_transform ret_fn, void *user, const cb2_owned *owned) {
  cb2_owned none = {0}, own = owned ? *owned : none;
  bool bad =
      !inner || nin < 0 || nin > GENC_GF_MAX_ARGS || (!args_fn && nin != genc_gf_nargs(inner));
  wrap_gf *w = bad ? NULL : calloc(1, sizeof *w);
  genc_gf *gf = w ? genc_gf_new(&wrap_type, name, nin, w) : NULL;
  if (!gf) {
    free(w);
    owned_free(&own);
    return NULL;
  }
  *w = (wrap_gf){genc_gf_retain(inner), args_fn, ret_fn, user, own};
  return gf;
}

genc_gf *genc_contramap(const char *name, genc_gf *f, int nargs, genc_args_transform g,
                        void *user) {
  if (!g) return NULL;
  return genc__cb2_wrap(name ? name : "contramap", f, nargs, g, NULL, user, NULL);
}

genc_gf *genc_dimap(const char *name, genc_gf *f, int nargs, genc_args_transform g,
                    genc_value_transform h, void *user) {
  if (!h) return NULL;
  return genc__cb2_wrap(name ? name : "dimap", f, nargs, g, h, user, NULL);
}
