/* The handlers: what genc_rt_trace and genc_rt_splice do in each mode. One
 * model body serves every operation; these functions are the only place that
 * knows the modes' rules for values, scores and weights (ARCHITECTURE.md, GFI
 * contracts). */
#include <stdio.h>

#include "dist/internal.h"
#include "gfi/internal.h"

genc_ctx *genc_rt_ctx(genc_rt *rt) { return rt ? rt->ctx : NULL; }
int64_t genc_rt_nparticles(const genc_rt *rt) { return rt ? rt->n : 0; }

/* Record a failure of this run (the message is already in the context). */
static genc_array *fail(genc_rt *rt) {
  rt->failed = true;
  return NULL;
}

static const char *comp_str(genc_comp c, char *buf, size_t cap) {
  genc_comp_format(c, buf, cap);
  return buf;
}

/* Add the site's position to the message of an error raised below it. */
static genc_array *fail_at(genc_rt *rt, genc_comp addr, const char *what) {
  char msg[1024], a[128];
  snprintf(msg, sizeof msg, "%s", genc_ctx_error(rt->ctx));
  genc_status st = genc_ctx_status(rt->ctx);
  genc_ctx_fail(rt->ctx, st ? st : GENC_ERR_ARG, "%s at address %s of %s: %s", what,
                comp_str(addr, a, sizeof a), rt->gf->name, msg);
  return fail(rt);
}

static int push_site(genc_rt *rt, genc_comp addr, int kind) {
  char a[128];
  if (addr == GENC_COMP_INVALID) {
    genc_ctx_fail(rt->ctx, GENC_ERR_ADDRESS, "%s: invalid address component", rt->gf->name);
    return -1;
  }
  int i = genc__dyn_push(rt->tr, addr);
  if (i == -2)
    genc_ctx_fail(rt->ctx, GENC_ERR_ADDRESS,
                  "%s: address %s traced twice in one run (every choice needs its own address)",
                  rt->gf->name, comp_str(addr, a, sizeof a));
  else if (i < 0)
    genc_ctx_fail(rt->ctx, GENC_ERR_NOMEM, "%s: out of memory for the trace", rt->gf->name);
  else
    rt->tr->recs[i].kind = kind;
  return i;
}

/* The old site at addr if it is of kind @p kind. */
static const dyn_rec *old_site(const genc_rt *rt, genc_comp addr, int kind) {
  int j = genc__dyn_find(rt->old, addr);
  return j >= 0 && rt->old->recs[j].kind == kind ? &rt->old->recs[j] : NULL;
}

/* The constraint value at a choice, or NULL; an error if a sub-map is there. */
static genc_array *constraint_at(genc_rt *rt, genc_comp addr, bool *bad) {
  genc_array *v = genc_choicemap_lookup(rt->cons, addr);
  *bad = false;
  if (!v && genc_choicemap_submap(rt->cons, addr)) {
    char a[128];
    genc_ctx_fail(rt->ctx, GENC_ERR_ADDRESS,
                  "%s: the constraint at %s is a sub-map, but %s is a random choice", rt->gf->name,
                  comp_str(addr, a, sizeof a), a);
    *bad = true;
  }
  if (v) rt->cons_hit++;
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

/* Draw the value of a fresh choice (on the host when pv, the host parameters,
 * is given and the type does not decline); *lp gets a host density if known. */
static genc_array *fresh_value(genc_rt *rt, genc_comp addr, const genc_dist *d, const double *pv,
                               site_lp *lp) {
  /* the key is derived only here: kept and constrained sites never need it */
  genc_key key = genc_key_fold_in(rt->key, genc__comp_hash(addr));
  genc_array *v = NULL;
  int r = pv ? genc__dist_sample_scalar(rt->ctx, key, d, pv, &v, &lp->h) : 0;
  if (r < 0) return NULL;
  lp->host = r > 0;
  return r > 0 ? v : d->type->sample(rt->ctx, key, d, rt->n);
}

static genc_array *choice_value(genc_rt *rt, genc_comp addr, const genc_dist *d, const double *pv,
                                site_lp *lp) {
  genc_ctx *ctx = rt->ctx;
  genc_array *v = NULL, *c = NULL;
  const dyn_rec *o = NULL;
  bool bad = false;
  char a[128];
  switch (rt->mode) {
  case MODE_SIMULATE: break;
  case MODE_GENERATE:
    if ((c = constraint_at(rt, addr, &bad))) v = c;
    break;
  case MODE_ASSESS:
    if (!(v = constraint_at(rt, addr, &bad)) && !bad) {
      genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                    "%s: assess needs every choice, but the choice map has none at %s (%s)",
                    rt->gf->name, comp_str(addr, a, sizeof a), genc_dist_name(d));
      return NULL;
    }
    break;
  case MODE_UPDATE:
    o = old_site(rt, addr, REC_CHOICE);
    if ((c = constraint_at(rt, addr, &bad)))
      v = c;
    else if (o)
      v = o->value;
    if (c && o && genc_choicemap_set(ctx, rt->discard, addr, o->value)) return NULL;
    break;
  case MODE_REGENERATE:
    o = old_site(rt, addr, REC_CHOICE);
    if (o && !genc_selection_has(rt->sel, addr))
      v = o->value;
    else
      o = NULL;
    break;
  }
  if (bad) return NULL;
  double xv;
  if (!v) {
    v = fresh_value(rt, addr, d, pv, lp);
  } else if (pv && genc__dist_scalar_value(ctx, v, &xv)) {
    lp->h = d->type->logpdf_scalar(pv, xv);
    lp->host = true;
  }
  if (!v) return NULL;
  if (!lp->host && !(lp->a = d->type->logpdf(ctx, d, v))) return NULL;
  bool ok = true;
  if (c && rt->mode != MODE_ASSESS) ok = acc_lp(ctx, &rt->weight, lp);
  if (o && (rt->mode == MODE_UPDATE || rt->mode == MODE_REGENERATE)) {
    /* a kept (or constrained) site: its change of density enters the weight */
    if (!c) ok = ok && acc_lp(ctx, &rt->weight, lp);
    ok = ok && genc__hacc_sub_rec(ctx, &rt->weight, o);
  }
  return ok ? v : NULL;
}

genc_array *genc_rt_trace(genc_rt *rt, genc_comp addr, genc_dist d) {
  if (!rt || rt->failed) return NULL;
  int i = push_site(rt, addr, REC_CHOICE);
  if (i < 0) return fail(rt);
  double pv[GENC_DIST_MAX_PARAMS];
  bool fast = genc__dist_scalar_params(rt->ctx, &d, rt->n, pv);
  if (fast ? genc__dist_check_scalar(rt->ctx, &d, pv) : genc_dist_check(rt->ctx, &d))
    return fail_at(rt, addr, "invalid distribution");
  site_lp lp = {0};
  genc_array *v = choice_value(rt, addr, &d, fast ? pv : NULL, &lp);
  if (!v || !acc_lp(rt->ctx, &rt->score, &lp)) {
    /* address errors already name the site */
    if (genc_ctx_status(rt->ctx) == GENC_ERR_ADDRESS) return fail(rt);
    return fail_at(rt, addr, genc_dist_name(&d));
  }
  dyn_rec *r = &rt->tr->recs[i];
  r->value = genc_array_retain(v);
  r->lp = genc_array_retain(lp.a);
  r->lp_host = lp.host;
  r->lpv = lp.h;
  return v;
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
  genc_gfi_call c = {
      .args = args, .key = genc_key_fold_in(rt->key, genc__comp_hash(addr)), .n = rt->n};
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
    o = old_site(rt, addr, REC_CALL);
    if (!o || o->sub->gf != gf) return ty->generate(ctx, gf, &c, res);
    if (genc_choicemap_is_empty(c.constraints) && same_args(o->sub, args)) break;
    c.trace = o->sub;
    return ty->update(ctx, gf, &c, res);
  case MODE_REGENERATE: {
    o = old_site(rt, addr, REC_CALL);
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
    genc_gf *outer = rt->gf;
    rt->gf = gf;
    genc_array *r = genc__dyn_body(rt, gf, args);
    rt->gf = outer;
    return r;
  }
  int i = push_site(rt, addr, REC_CALL);
  if (i < 0) return fail(rt);
  genc_gfi_result res = {0};
  if (call_op(rt, addr, gf, args, &res)) return fail_at(rt, addr, gf->name);
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
  if (!ok) return fail_at(rt, addr, gf->name);
  return rt->mode == MODE_ASSESS ? res.retval : res.trace->retval;
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
