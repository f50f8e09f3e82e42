/* The handlers: what genc_rt_trace and genc_rt_splice do in each mode. One
 * model body serves every operation; these functions are the only place that
 * knows the modes' rules for values, scores and weights (docs/gfi.md,
 * "Operations and their weights"). */
#include <stdio.h>
#include <string.h>

#include "dist/internal.h"
#include "gfi/internal.h"

genc_ctx *genc_rt_ctx(genc_rt *rt) { return rt ? rt->ctx : NULL; }
int64_t genc_rt_nparticles(const genc_rt *rt) { return rt ? rt->n : 0; }

/* Record a failure of this run (the message is already in the context). */
static genc_array *fail(genc_rt *rt) {
  rt->failed = true;
  return NULL;
}

static const char *path_str(const genc_comp *path, int len, char *buf, size_t cap) {
  genc_addr_format(path, len, buf, cap);
  return buf;
}

/* Add the site's position to the message of an error raised below it. */
static genc_array *fail_at(genc_rt *rt, const genc_comp *path, int len, const char *what) {
  char msg[1024], a[256];
  snprintf(msg, sizeof msg, "%s", genc_ctx_error(rt->ctx));
  genc_status st = genc_ctx_status(rt->ctx);
  genc_ctx_fail(rt->ctx, st ? st : GENC_ERR_ARG, "%s at address %s of %s: %s", what,
                path_str(path, len, a, sizeof a), rt->gf->name, msg);
  return fail(rt);
}

static const char *kind_name(int kind) {
  return kind == REC_CHOICE ? "a random choice"
         : kind == REC_CALL ? "a splice"
                            : "nested addresses";
}

/* Report that @p path (a @p kind site) collides with record j of this run. */
static void conflict(genc_rt *rt, const genc_comp *path, int len, int kind, int j) {
  char a[256], b[256];
  const dyn_rec *r = &rt->tr->recs[j];
  int rl;
  const genc_comp *rp = genc__rec_path(rt->tr, r, &rl);
  path_str(path, len, a, sizeof a);
  path_str(rp, rl, b, sizeof b);
  if (rl == len && r->kind == kind)
    genc_ctx_fail(rt->ctx, GENC_ERR_ADDRESS,
                  "%s: address %s traced twice in one run (every choice needs its own address)",
                  rt->gf->name, a);
  else if (rl == len)
    genc_ctx_fail(rt->ctx, GENC_ERR_ADDRESS,
                  "%s: address %s already holds %s in this run, so it cannot hold %s", rt->gf->name,
                  a, kind_name(r->kind), kind_name(kind));
  else
    genc_ctx_fail(rt->ctx, GENC_ERR_ADDRESS,
                  "%s: address %s holds %s, so nothing can be traced below it (at %s)",
                  rt->gf->name, b, kind_name(r->kind), a);
}

static int push_site(genc_rt *rt, genc_comp addr, int kind) {
  if (addr == GENC_COMP_INVALID) {
    genc_ctx_fail(rt->ctx, GENC_ERR_ADDRESS, "%s: invalid address component", rt->gf->name);
    return -1;
  }
  int i = genc__dyn_push(rt->tr, addr);
  if (i == -2)
    conflict(rt, &addr, 1, kind, genc__dyn_find(rt->tr, addr));
  else if (i < 0)
    genc_ctx_fail(rt->ctx, GENC_ERR_NOMEM, "%s: out of memory for the trace", rt->gf->name);
  else
    rt->tr->recs[i].kind = kind;
  return i < 0 ? -1 : i;
}

/* Push a site at a path of len >= 2 and a namespace marker at each proper
 * prefix (made once per prefix); -1 with the error set on a collision. */
static int push_nested(genc_rt *rt, const genc_comp *path, int len, int kind) {
  for (int k = 1; k <= len; k++) {
    int j = genc__dyn_find_path(rt->tr, path, k);
    if (j >= 0 && k < len && rt->tr->recs[j].kind == REC_NS) continue;
    if (j >= 0) {
      conflict(rt, path, len, kind, j);
      return -1;
    }
    int i = k == 1 ? genc__dyn_push(rt->tr, path[0]) : genc__dyn_push_path(rt->tr, path, k);
    if (i < 0) {
      genc_ctx_fail(rt->ctx, GENC_ERR_NOMEM, "%s: out of memory for the trace", rt->gf->name);
      return -1;
    }
    rt->tr->recs[i].kind = k < len ? REC_NS : kind;
    if (k == len) return i;
  }
  return -1;
}

/* The old site at path if it is of kind @p kind. */
static const dyn_rec *old_site(const genc_rt *rt, const genc_comp *path, int len, int kind) {
  int j = len == 1 ? genc__dyn_find(rt->old, path[0]) : genc__dyn_find_path(rt->old, path, len);
  return j >= 0 && rt->old->recs[j].kind == kind ? &rt->old->recs[j] : NULL;
}

/* The constraint value at a choice, or NULL; an error if a sub-map is there. */
static genc_array *constraint_at(genc_rt *rt, const genc_comp *path, int len, bool *bad) {
  genc_array *v = len == 1 ? genc_choicemap_lookup(rt->cons, path[0])
                           : genc_choicemap_lookup_path(rt->cons, path, len);
  *bad = false;
  if (!v && (len == 1 ? genc_choicemap_submap(rt->cons, path[0])
                      : genc_choicemap_submap_path(rt->cons, path, len))) {
    char a[256];
    genc_ctx_fail(rt->ctx, GENC_ERR_ADDRESS,
                  "%s: the constraint at %s is a sub-map, but %s is a random choice", rt->gf->name,
                  path_str(path, len, a, sizeof a), a);
    *bad = true;
  }
  /* only one-component hits are counted: check_unvisited walks nested ones */
  if (v && len == 1) rt->cons_hit++;
  return v;
}

/* A choice's log density: an array, or (scalar fast path) a host double. */
typedef struct site_lp {
  genc_array *a;
  double h;
  bool host;
} site_lp;

static bool acc_lp(genc_ctx *ctx, gfi_acc *acc, const site_lp *lp) {
  return lp->host ? genc__hacc_addv(ctx, acc, lp->h, 1) : genc__hacc_add(ctx, acc, lp->a);
}

/* acc += new - old for a site kept or re-constrained by update/regenerate. Equal
 * densities contribute exactly 0, so an unchanged -inf site (Gen.jl) cancels
 * instead of making -inf - -inf = NaN. */
static bool acc_delta(genc_ctx *ctx, gfi_acc *acc, const site_lp *lp, const dyn_rec *o) {
  if (lp->host && o->lp_host)
    return genc__hacc_addv(ctx, acc, lp->h == o->lpv ? 0.0 : lp->h - o->lpv, 1);
  genc_array *a = lp->host ? genc_scalar(ctx, lp->h) : lp->a, *b = genc__rec_lp(ctx, o);
  return genc__hacc_add(ctx, acc, genc_where(ctx, genc_eq(ctx, a, b), 0.0, genc_sub(ctx, a, b)));
}

/* Draw the value of a fresh choice (on the host when pv, the host parameters,
 * is given and the type does not decline); *lp gets a host density if known. */
static genc_array *fresh_value(genc_rt *rt, const genc_comp *path, int len, const genc_dist *d,
                               const double *pv, site_lp *lp) {
  /* the key is derived only here: kept and constrained sites never need it */
  genc_key key = len == 1 ? genc_key_fold_in(rt->key, genc__comp_hash(path[0]))
                          : genc__path_fold(rt->key, path, len);
  genc_array *v = NULL;
  int r = pv ? genc__dist_sample_scalar(rt->ctx, key, d, pv, &v, &lp->h) : 0;
  if (r < 0) return NULL;
  lp->host = r > 0;
  return r > 0 ? v : d->type->sample(rt->ctx, key, d, rt->n);
}

static genc_status set_discard(genc_rt *rt, const genc_comp *path, int len, genc_array *v) {
  return len == 1 ? genc_choicemap_set(rt->ctx, rt->discard, path[0], v)
                  : genc_choicemap_set_path(rt->ctx, rt->discard, path, len, v);
}

static genc_array *choice_value(genc_rt *rt, const genc_comp *path, int len, const genc_dist *d,
                                const double *pv, site_lp *lp) {
  genc_ctx *ctx = rt->ctx;
  genc_array *v = NULL, *c = NULL;
  const dyn_rec *o = NULL;
  bool bad = false;
  char a[256];
  switch (rt->mode) {
  case MODE_SIMULATE: break;
  case MODE_GENERATE:
    if ((c = constraint_at(rt, path, len, &bad))) v = c;
    break;
  case MODE_ASSESS:
    if (!(v = c = constraint_at(rt, path, len, &bad)) && !bad) {
      genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                    "%s: assess needs every choice, but the choice map has none at %s (%s)",
                    rt->gf->name, path_str(path, len, a, sizeof a), genc_dist_name(d));
      return NULL;
    }
    break;
  case MODE_UPDATE:
    o = old_site(rt, path, len, REC_CHOICE);
    if ((c = constraint_at(rt, path, len, &bad)))
      v = c;
    else if (o)
      v = o->value;
    if (c && o && set_discard(rt, path, len, o->value)) return NULL;
    break;
  case MODE_REGENERATE:
    o = old_site(rt, path, len, REC_CHOICE);
    if (o && !(len == 1 ? genc_selection_has(rt->sel, path[0])
                        : genc_selection_has_path(rt->sel, path, len)))
      v = o->value;
    else
      o = NULL;
    break;
  }
  if (bad) return NULL;
  if (c && !(v = genc__check_constraint(rt, path, len, d, pv, c))) return NULL;
  double xv;
  if (!v) {
    v = fresh_value(rt, path, len, d, pv, lp);
  } else if (pv && genc__dist_scalar_value(ctx, v, &xv)) {
    lp->h = d->type->logpdf_scalar(pv, xv);
    lp->host = true;
  }
  if (!v) return NULL;
  if (!lp->host && !(lp->a = d->type->logpdf(ctx, d, v))) return NULL;
  bool ok = true;
  if (o && (rt->mode == MODE_UPDATE || rt->mode == MODE_REGENERATE))
    ok = acc_delta(ctx, &rt->weight, lp, o); /* a kept or re-constrained site */
  else if (c && rt->mode != MODE_ASSESS)
    ok = acc_lp(ctx, &rt->weight, lp);
  return ok ? v : NULL;
}

/* Make the choice of record i at path (pushed by the caller). */
static genc_array *trace_site(genc_rt *rt, const genc_comp *path, int len, int i, genc_dist *d) {
  double pv[GENC_DIST_MAX_PARAMS];
  bool fast = genc__dist_scalar_params(rt->ctx, d, rt->n, pv), after = false;
  if (fast ? genc__dist_check_scalar(rt->ctx, d, pv) : genc__dist_check_first(rt->ctx, d, &after))
    return fail_at(rt, path, len, "invalid distribution");
  site_lp lp = {0};
  genc_array *v = choice_value(rt, path, len, d, fast ? pv : NULL, &lp);
  /* under a capture, a finite score stands in for the parameters' checks */
  if (v && after && !lp.host && genc__dist_check_score(rt->ctx, d, lp.a))
    return fail_at(rt, path, len, "invalid distribution");
  if (!v || !acc_lp(rt->ctx, &rt->score, &lp)) {
    /* address errors already name the site */
    if (genc_ctx_status(rt->ctx) == GENC_ERR_ADDRESS) return fail(rt);
    return fail_at(rt, path, len, genc_dist_name(d));
  }
  dyn_rec *r = &rt->tr->recs[i];
  r->value = genc_array_retain(v);
  r->lp = genc_array_retain(lp.a);
  r->lp_host = lp.host;
  r->lpv = lp.h;
  r->dist = d->type;
  if (d->type->support.kind == GENC_SUPPORT_INTERVAL) {
    r->bound[0] = genc_array_retain(d->p[d->type->support.lo]);
    r->bound[1] = genc_array_retain(d->p[d->type->support.hi]);
  }
  return v;
}

genc_array *genc_rt_trace(genc_rt *rt, genc_comp addr, genc_dist d) {
  if (!rt || rt->failed) return NULL;
  int i = push_site(rt, addr, REC_CHOICE);
  if (i < 0) return fail(rt);
  return trace_site(rt, &addr, 1, i, &d);
}

genc_array *genc_rt_trace_path(genc_rt *rt, const genc_comp *path, int len, genc_dist d) {
  if (!rt || rt->failed) return NULL;
  if (!path || len < 1 || len > GENC_ADDR_MAX) {
    genc_ctx_fail(rt->ctx, GENC_ERR_ADDRESS,
                  "%s: genc_rt_trace_path needs 1 to %d address components (got %d%s)",
                  rt->gf->name, GENC_ADDR_MAX, len, path ? "" : ", NULL path");
    return fail(rt);
  }
  if (len == 1) return genc_rt_trace(rt, path[0], d);
  for (int k = 0; k < len; k++)
    if (path[k] == GENC_COMP_INVALID) {
      genc_ctx_fail(rt->ctx, GENC_ERR_ADDRESS,
                    "%s: invalid address component %d of a path of %d (a negative index or a "
                    "bad symbol)",
                    rt->gf->name, k, len);
      return fail(rt);
    }
  int i = push_nested(rt, path, len, REC_CHOICE);
  if (i < 0) return fail(rt);
  return trace_site(rt, path, len, i, &d);
}

genc_array *genc_rt_trace_str(genc_rt *rt, const char *path, genc_dist d) {
  if (!rt || rt->failed) return NULL;
  genc_addr a;
  if (genc_addr_parse(rt->ctx, path ? path : "", &a) || a.len == 0) {
    if (!genc_ctx_status(rt->ctx))
      genc_ctx_fail(rt->ctx, GENC_ERR_ADDRESS, "%s: empty address in genc_rt_trace_str",
                    rt->gf->name);
    return fail_at(rt, NULL, 0, "genc_rt_trace_str");
  }
  return genc_rt_trace_path(rt, a.comp, a.len, d);
}

/* True if the callee gets exactly the arguments of its old trace (pointer equality). */
static bool same_args(const genc_trace *t, genc_array *const *args) {
  for (int i = 0; i < t->gf->nargs; i++)
    if (!args || args[i] != t->args[i]) return false;
  return true;
}

/* Run the callee's operation for this mode; fills res. */
static genc_status call_op(genc_rt *rt, genc_comp addr, genc_gf *gf, genc_array *const *args,
                           genc_gfi_result *res) {
  genc_ctx *ctx = rt->ctx;
  const genc_gf_type *ty = gf->type;
  genc_gfi_call c = {.args = args,
                     .key = genc_key_fold_in(rt->key, genc__comp_hash(addr)),
                     .n = rt->n,
                     .from = rt->from};
  const dyn_rec *o = NULL;
  if (rt->mode == MODE_GENERATE || rt->mode == MODE_UPDATE || rt->mode == MODE_ASSESS) {
    c.constraints = genc_choicemap_submap(rt->cons, addr);
    if (genc_choicemap_value(c.constraints))
      return genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                           "the constraint is a value, but the address is a call of %s", gf->name);
    if (c.constraints) rt->cons_hit++;
  }
  switch (rt->mode) {
  case MODE_SIMULATE: return ty->simulate(ctx, gf, &c, res);
  case MODE_GENERATE: return ty->generate(ctx, gf, &c, res);
  case MODE_ASSESS: return ty->assess(ctx, gf, &c, res);
  case MODE_UPDATE:
    o = old_site(rt, &addr, 1, REC_CALL);
    if (!o || o->sub->gf != gf) return ty->generate(ctx, gf, &c, res);
    if (genc_choicemap_is_empty(c.constraints) && same_args(o->sub, args)) break;
    c.trace = o->sub;
    return ty->update(ctx, gf, &c, res);
  case MODE_REGENERATE: {
    o = old_site(rt, &addr, 1, REC_CALL);
    if (!o || o->sub->gf != gf) return ty->simulate(ctx, gf, &c, res);
    genc_selection *sub = genc_selection_sub(ctx, rt->sel, addr);
    if (!sub) return genc_ctx_status(ctx);
    genc_status st = GENC_OK;
    bool reuse = genc_selection_is_none(sub) && same_args(o->sub, args);
    if (!reuse) {
      c.trace = o->sub;
      c.selection = sub;
      st = ty->regenerate(ctx, gf, &c, res);
    }
    genc_selection_release(sub);
    if (!reuse) return st;
    break;
  }
  }
  /* unchanged callee: share its old trace */
  res->trace = genc_trace_retain(o->sub);
  res->weight = NULL;
  return GENC_OK;
}

/* Splices nested in this thread right now: the C stack grows with each, so
 * past GENC_MAX_SPLICE_DEPTH a splice fails instead of overflowing it. */
static _Thread_local int splice_depth;

static bool enter_splice(genc_rt *rt, const genc_gf *gf) {
  if (splice_depth < GENC_MAX_SPLICE_DEPTH) {
    splice_depth++;
    return true;
  }
  genc_ctx_fail(rt->ctx, GENC_ERR_ARG,
                "%s: splice of %s nested deeper than GENC_MAX_SPLICE_DEPTH (%d) splices; "
                "unbounded recursion through splices is not supported (use a loop or Unfold)",
                rt->gf->name, gf->name, GENC_MAX_SPLICE_DEPTH);
  return false;
}

genc_array *genc_rt_splice(genc_rt *rt, genc_comp addr, genc_gf *gf, genc_array *const *args) {
  if (!rt || rt->failed) return NULL;
  genc_ctx *ctx = rt->ctx;
  if (!gf) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: splice of a NULL generative function", rt->gf->name);
    return fail(rt);
  }
  if (addr == GENC_ROOT) {
    if (gf->type != &genc__dynamic_type) {
      genc_ctx_fail(ctx, GENC_ERR_ARG,
                    "%s: only a dynamic function can be spliced at the root (%s is %s)",
                    rt->gf->name, gf->name, gf->type->name);
      return fail(rt);
    }
    if (!enter_splice(rt, gf)) return fail(rt);
    genc_gf *outer = rt->gf;
    genc_array *const *outer_args = rt->args;
    rt->gf = gf;
    rt->args = args;
    genc_array *r = genc__dyn_body(rt, gf, args);
    rt->gf = outer;
    rt->args = outer_args;
    splice_depth--;
    return r;
  }
  int i = push_site(rt, addr, REC_CALL);
  if (i < 0) return fail(rt);
  genc_gfi_result res = {0};
  if (!enter_splice(rt, gf)) return fail(rt);
  genc_status cst = call_op(rt, addr, gf, args, &res);
  splice_depth--;
  /* the depth error names the function already; 1000 prefixes would bury it */
  if (cst && strstr(genc_ctx_error(ctx), "GENC_MAX_SPLICE_DEPTH")) return fail(rt);
  if (cst) return fail_at(rt, &addr, 1, gf->name);
  genc_array *lp = rt->mode == MODE_ASSESS ? res.weight : res.trace->score;
  bool ok = genc__hacc_add(ctx, &rt->score, lp);
  if (ok && rt->mode != MODE_ASSESS && rt->mode != MODE_SIMULATE && res.weight)
    ok = genc__hacc_add(ctx, &rt->weight, res.weight);
  if (ok && res.discard) {
    if (genc_choicemap_is_empty(res.discard))
      genc_choicemap_free(res.discard);
    else
      ok = !genc_choicemap_set_submap(ctx, rt->discard, addr, res.discard);
  }
  rt->tr->recs[i].sub = res.trace;
  if (!ok) return fail_at(rt, &addr, 1, gf->name);
  return rt->mode == MODE_ASSESS ? res.retval : genc_trace_retval(res.trace);
}

genc_array *genc_rt_param(genc_rt *rt, const char *name) {
  if (!rt || rt->failed) return NULL;
  if (!rt->gf->params) {
    genc_ctx_fail(rt->ctx, GENC_ERR_ADDRESS,
                  "%s reads parameter %s but has no parameter store (genc_gf_set_params)",
                  rt->gf->name, name ? name : "(null)");
    return fail(rt);
  }
  genc_array *v = genc__param_lookup(rt->ctx, rt->gf->params, name);
  return v ? v : fail(rt);
}
