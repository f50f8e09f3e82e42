/* The dynamic generative function: a C model run under one of the handlers
 * (the mode of its genc_rt). This file runs the body and closes a run: the
 * checks on constraints, deleted sites, the discard and the result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gfi/internal.h"

typedef struct dyn_gf {
  genc_model_fn fn;
  void *user;
  int hint;  /* sites seen in the largest run so far: preallocated next time */
  int ahint; /* components of nested addresses in the largest run so far */
} dyn_gf;

genc_gf *genc_gf_dynamic(const char *name, genc_model_fn fn, int nargs, void *user) {
  if (!fn) return NULL;
  dyn_gf *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->fn = fn;
  d->user = user;
  genc_gf *gf = genc_gf_new(&genc__dynamic_type, name, nargs, d);
  if (!gf) free(d);
  return gf;
}

genc_array *genc__dyn_body(genc_rt *rt, genc_gf *gf, genc_array *const *args) {
  dyn_gf *d = gf->impl;
  return d->fn(rt, args, d->user);
}

/* Constraints the run never visited, listed for the message. */
typedef struct unvisited {
  const dyn_trace *tr;
  genc_comp path[GENC_ADDR_MAX + 1];
  int nbad;
  size_t len;
  char list[512];
} unvisited;

static void note_unvisited(unvisited *u, const genc_comp *path, int len) {
  char name[256];
  genc_addr_format(path, len, name, sizeof name);
  if (u->len + strlen(name) + 8 < sizeof u->list)
    u->len += (size_t)snprintf(u->list + u->len, sizeof u->list - u->len, "%s%s",
                               u->nbad ? ", " : "", name);
  u->nbad++;
}

/* Was a constraint at path used: a choice exactly there, or a splice at a
 * prefix (whose callee checks the rest)? */
static bool visited(const dyn_trace *tr, const genc_comp *path, int len) {
  for (int k = 1; k <= len; k++) {
    int j = genc__dyn_find_path(tr, path, k);
    if (j < 0) return false;
    if (tr->recs[j].kind == REC_CALL) return true;
    if (tr->recs[j].kind == REC_CHOICE) return k == len;
  }
  return false;
}

static int visit_leaf(const genc_comp *path, int len, genc_array *v, void *user) {
  unvisited *u = user;
  (void)v;
  if (len >= GENC_ADDR_MAX) return 0;
  memcpy(u->path + 1, path, (size_t)len * sizeof *path);
  if (!visited(u->tr, u->path, len + 1)) note_unvisited(u, u->path, len + 1);
  return 0;
}

/* Fail if a constraint names an address the run never visited (listing them).
 * One-component hits are counted as the run goes, so a run without nested
 * addresses that used every constraint skips the walk. */
static genc_status check_unvisited(genc_rt *rt) {
  const genc_choicemap *cm = rt->cons;
  if (!cm || rt->cons_hit >= genc_choicemap_count(cm)) return GENC_OK;
  unvisited u = {.tr = rt->tr};
  for (int64_t i = 0, k = genc_choicemap_count(cm); i < k; i++) {
    genc_comp c;
    const genc_choicemap *ch = genc_choicemap_child(cm, i, &c);
    int j = genc__dyn_find(rt->tr, c);
    if ((j >= 0 && rt->tr->recs[j].kind != REC_NS) || genc_choicemap_is_empty(ch)) continue;
    if (j < 0) {
      note_unvisited(&u, &c, 1);
      continue;
    }
    u.path[0] = c; /* nested choices below c: check each constrained leaf */
    genc_choicemap_foreach(ch, visit_leaf, &u);
  }
  if (!u.nbad) return GENC_OK;
  return genc_ctx_fail(rt->ctx, GENC_ERR_ADDRESS,
                       "%s: %d constrained address(es) never visited by the model: %s",
                       rt->gf->name, u.nbad, u.list);
}

/* Update: sites of the old trace this run did not visit are deleted. */
static genc_status sweep_deleted(genc_rt *rt) {
  genc_ctx *ctx = rt->ctx;
  for (int i = 0; rt->old && i < rt->old->len; i++) {
    const dyn_rec *o = &rt->old->recs[i];
    if (o->kind == REC_NS) continue;
    int len;
    const genc_comp *p = genc__rec_path(rt->old, o, &len);
    int j = genc__dyn_find_path(rt->tr, p, len);
    if (j >= 0 && rt->tr->recs[j].kind == o->kind) continue;
    if (o->kind == REC_CHOICE) {
      if (!genc__hacc_sub_rec(ctx, &rt->weight, o)) return genc_ctx_status(ctx);
      if (rt->discard && genc_choicemap_set_path(ctx, rt->discard, p, len, o->value))
        return genc_ctx_status(ctx);
    } else {
      if (!genc__hacc_sub(ctx, &rt->weight, o->sub->score)) return genc_ctx_status(ctx);
      if (rt->discard) {
        const genc_choicemap *sc = genc_trace_choices(ctx, o->sub);
        genc_choicemap *copy = sc ? genc_choicemap_copy(ctx, sc) : NULL;
        if (!copy || genc_choicemap_set_submap(ctx, rt->discard, o->addr, copy))
          return genc_ctx_status(ctx);
      }
    }
  }
  return GENC_OK;
}

/* Turn an error recorded while the body ran into the operation's error. */
static genc_status body_error(genc_rt *rt) {
  genc_status st = genc_ctx_status(rt->ctx);
  if (st == GENC_ERR_PARTICLE && rt->n > 0) {
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", genc_ctx_error(rt->ctx));
    return genc_ctx_fail(
        rt->ctx, st,
        "%s, run batched over %lld particles, read a batched value as a C "
        "number to branch on it; compute both branches and select between "
        "their values with genc_where(cond, a, b), or splice genc_switch / genc_mask "
        "(%s)",
        rt->gf->name, (long long)rt->n, msg);
  }
  return st ? st
            : genc_ctx_fail(rt->ctx, GENC_ERR_ARG, "%s: the model returned NULL", rt->gf->name);
}

static genc_status finish(genc_rt *rt, rt_mode mode) {
  genc_status st = GENC_OK;
  if (mode == MODE_GENERATE || mode == MODE_UPDATE || mode == MODE_ASSESS) st = check_unvisited(rt);
  if (!st && mode == MODE_UPDATE) st = sweep_deleted(rt);
  return st;
}

genc_status genc__dyn_run(genc_ctx *ctx, genc_gf *gf, rt_mode mode, const genc_gfi_call *call,
                          genc_gfi_result *res) {
  dyn_gf *d = gf->impl;
  const dyn_trace *old = NULL;
  if (call->trace) {
    if (call->trace->gf != gf)
      return genc_ctx_fail(
          ctx, GENC_ERR_ARG, "%s: %s of %s was given a trace of another generative function, %s",
          gf->name, mode == MODE_UPDATE ? "update" : "regenerate", gf->name, call->trace->gf->name);
    old = call->trace->impl;
  }
  int64_t mark = genc_scope_begin(ctx);
  genc_rt rt = {.ctx = ctx,
                .gf = gf,
                .mode = mode,
                .key = call->key,
                .n = call->n,
                .cons = call->constraints,
                .sel = call->selection,
                .old = old,
                .from = call->from};
  rt.args = call->args;
  rt.tr = genc__dyn_new2(d->hint, d->ahint);
  if (mode == MODE_UPDATE) rt.discard = genc_choicemap_new(ctx);
  genc_status st = GENC_OK;
  if (!rt.tr || (mode == MODE_UPDATE && !rt.discard))
    st = genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: out of memory for a trace", gf->name);
  genc_array *retval = st ? NULL : d->fn(&rt, call->args, d->user);
  if (!st && (rt.failed || genc_ctx_status(ctx) || !retval)) st = body_error(&rt);
  if (!st) st = finish(&rt, mode);
  genc_array *score = NULL, *weight = NULL;
  if (!st) score = genc__per_particle(ctx, genc__hacc_get(ctx, &rt.score), rt.n);
  if (!st && mode != MODE_ASSESS)
    weight = genc__per_particle(ctx, genc__hacc_get(ctx, &rt.weight), rt.n);
  else
    weight = score;
  if (!st && genc_ctx_status(ctx)) st = genc_ctx_status(ctx);
  if (!st && (!score || !weight)) st = genc_ctx_status(ctx);
  if (!st && rt.tr->len > d->hint) d->hint = rt.tr->len;
  if (!st && rt.tr->alen > d->ahint) d->ahint = rt.tr->alen;
  if (!st && mode != MODE_ASSESS) {
    res->trace = genc_trace_new(ctx, gf, call->args, retval, score, rt.n, rt.tr);
    if (res->trace)
      rt.tr = NULL;
    else
      st = genc_ctx_status(ctx);
  }
  genc__dyn_free(rt.tr);
  if (st) {
    genc_choicemap_free(rt.discard);
    genc_trace_release(res->trace);
    res->trace = NULL;
    genc_scope_end(ctx, mark);
    return st;
  }
  res->weight = weight;
  res->retval = mode == MODE_ASSESS ? retval : NULL;
  res->discard = rt.discard;
  genc_array *keep[2] = {weight, res->retval};
  genc_scope_end_keep(ctx, mark, keep, res->retval ? 2 : 1);
  return GENC_OK;
}

/* ---- the table ---- */

static genc_status dyn_simulate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                                genc_gfi_result *r) {
  return genc__dyn_run(c, g, MODE_SIMULATE, k, r);
}
static genc_status dyn_generate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                                genc_gfi_result *r) {
  return genc__dyn_run(c, g, MODE_GENERATE, k, r);
}
static genc_status dyn_update(genc_ctx *c, genc_gf *g, const genc_gfi_call *k, genc_gfi_result *r) {
  return genc__dyn_run(c, g, MODE_UPDATE, k, r);
}
static genc_status dyn_regenerate(genc_ctx *c, genc_gf *g, const genc_gfi_call *k,
                                  genc_gfi_result *r) {
  return genc__dyn_run(c, g, MODE_REGENERATE, k, r);
}
static genc_status dyn_assess(genc_ctx *c, genc_gf *g, const genc_gfi_call *k, genc_gfi_result *r) {
  return genc__dyn_run(c, g, MODE_ASSESS, k, r);
}

/* project needs no run: the trace holds every site's log density. */
static genc_status dyn_project(genc_ctx *ctx, genc_gf *gf, const genc_gfi_call *call,
                               genc_gfi_result *res) {
  const genc_trace *t = call->trace;
  if (t->gf != gf)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "%s: project of %s was given a trace of another generative function, %s",
                         gf->name, gf->name, t->gf->name);
  const dyn_trace *d = t->impl;
  int64_t mark = genc_scope_begin(ctx);
  genc_array *w = NULL;
  genc_status st = GENC_OK;
  for (int i = 0; !st && i < d->len; i++) {
    const dyn_rec *r = &d->recs[i];
    if (r->kind == REC_NS) continue;
    if (r->kind == REC_CHOICE) {
      int len;
      const genc_comp *p = genc__rec_path(d, r, &len);
      if (genc_selection_has_path(call->selection, p, len) &&
          !genc__acc(ctx, &w, genc__rec_lp(ctx, r)))
        st = genc_ctx_status(ctx);
      continue;
    }
    genc_selection *sub = genc_selection_sub(ctx, call->selection, r->addr);
    if (!sub) {
      st = genc_ctx_status(ctx);
      break;
    }
    if (!genc_selection_is_none(sub)) {
      genc_gfi_call sc = {.trace = r->sub, .selection = sub, .n = call->n};
      genc_gfi_result sr = {0};
      st = r->sub->gf->type->project(ctx, r->sub->gf, &sc, &sr);
      if (!st && !genc__acc(ctx, &w, sr.weight)) st = genc_ctx_status(ctx);
    }
    genc_selection_release(sub);
  }
  w = st ? NULL : genc__per_particle(ctx, w, t->n);
  if (!w) {
    genc_scope_end(ctx, mark);
    return st ? st : genc_ctx_status(ctx);
  }
  res->weight = w;
  genc_scope_end_keep(ctx, mark, &w, 1);
  return GENC_OK;
}

static genc_trace *dyn_trace_map(genc_ctx *ctx, const genc_trace *t, genc_array_map_fn f,
                                 void *user, int64_t n) {
  const dyn_trace *d = t->impl;
  dyn_trace *nd = genc__dyn_new2(d->len, d->alen);
  if (!nd) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: out of memory for a trace", t->gf->name);
    return NULL;
  }
  bool ok = true;
  for (int i = 0; ok && i < d->len; i++) {
    const dyn_rec *r = &d->recs[i];
    int len;
    const genc_comp *p = genc__rec_path(d, r, &len);
    int qi = len == 1 ? genc__dyn_push(nd, r->addr) : genc__dyn_push_path(nd, p, len);
    if (qi < 0) {
      genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: out of memory for a trace", t->gf->name);
      ok = false;
      break;
    }
    dyn_rec *q = &nd->recs[qi];
    q->kind = r->kind;
    if (r->kind == REC_NS) continue;
    if (r->kind == REC_CHOICE) {
      q->value = genc_array_retain(f(ctx, r->value, user));
      q->lp = genc_array_retain(f(ctx, genc__rec_lp(ctx, r), user));
      ok = q->value && q->lp;
      q->dist = r->dist;
      for (int b = 0; ok && b < 2; b++)
        if (r->bound[b]) ok = (q->bound[b] = genc_array_retain(f(ctx, r->bound[b], user))) != NULL;
    } else {
      q->sub = r->sub->gf->type->trace_map(ctx, r->sub, f, user, n);
      ok = q->sub != NULL;
    }
  }
  genc_array *args[GENC_GF_MAX_ARGS] = {0};
  for (int i = 0; ok && i < t->gf->nargs; i++)
    ok = !t->args[i] || (args[i] = f(ctx, t->args[i], user)) != NULL;
  genc_array *ret = ok && t->retval ? f(ctx, t->retval, user) : NULL;
  genc_array *score = ok ? f(ctx, t->score, user) : NULL;
  genc_trace *out = score ? genc_trace_new(ctx, t->gf, args, ret, score, n, nd) : NULL;
  if (!out) genc__dyn_free(nd);
  return out;
}

static genc_status dyn_trace_choices(genc_ctx *ctx, const genc_trace *t, genc_choicemap *out) {
  const dyn_trace *d = t->impl;
  for (int i = 0; i < d->len; i++) {
    const dyn_rec *r = &d->recs[i];
    if (r->kind == REC_NS) continue;
    if (r->kind == REC_CHOICE) {
      int len;
      const genc_comp *p = genc__rec_path(d, r, &len);
      if (genc_choicemap_set_path(ctx, out, p, len, r->value)) return genc_ctx_status(ctx);
      continue;
    }
    genc_choicemap *sub = genc_choicemap_submap_mut(ctx, out, r->addr);
    if (!sub) return genc_ctx_status(ctx);
    genc_status st = r->sub->gf->type->trace_choices(ctx, r->sub, sub);
    if (st) return st;
    if (genc_choicemap_is_empty(sub)) genc_choicemap_remove(out, r->addr);
  }
  return GENC_OK;
}

static void dyn_gf_free(void *impl) { free(impl); }

const genc_gf_type genc__dynamic_type = {
    .name = "dynamic",
    .simulate = dyn_simulate,
    .generate = dyn_generate,
    .update = dyn_update,
    .regenerate = dyn_regenerate,
    .assess = dyn_assess,
    .project = dyn_project,
    .trace_map = dyn_trace_map,
    .trace_choices = dyn_trace_choices,
    .trace_free = genc__dyn_free,
    .gf_free = dyn_gf_free,
    .trace_zip = genc__dyn_trace_zip,
};
