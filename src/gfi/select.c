/*
 * Per-particle select between two batched traces: the accept/reject step of
 * N-chain MCMC. The fast path zips the two traces array by array with
 * genc_where (the type's trace_zip: same addresses in the same order); the
 * fallback selects the choice maps leaf by leaf and regenerates the trace with
 * every choice constrained, which any generative function supports.
 */
#include <string.h>

#include "gfi/internal.h"

static bool same_layout(const genc_array *x, const genc_array *y) {
  int nd = genc_array_ndim(x);
  if (genc_array_dtype(x) != genc_array_dtype(y) || nd != genc_array_ndim(y)) return false;
  return nd == 0 || !memcmp(genc_array_shape(x), genc_array_shape(y), (size_t)nd * sizeof(int64_t));
}

/* where(cond, x, y) for corresponding arrays; NULL (no error) if they do not correspond. */
static genc_array *zip_where(genc_ctx *ctx, genc_array *x, genc_array *y, void *user) {
  if (x == y) return x; /* shared inputs both traces hold, e.g. an argument */
  if (!x || !y || !same_layout(x, y)) return NULL;
  return genc_where(ctx, (genc_array *)user, x, y);
}

static bool same_rec(const dyn_trace *da, const dyn_rec *ra, const dyn_trace *db,
                     const dyn_rec *rb) {
  if (ra->kind != rb->kind || ra->plen != rb->plen || ra->addr != rb->addr) return false;
  if (ra->plen <= 1) return true;
  int la, lb;
  const genc_comp *pa = genc__rec_path(da, ra, &la), *pb = genc__rec_path(db, rb, &lb);
  return la == lb && !memcmp(pa, pb, (size_t)la * sizeof *pa);
}

/* Zip one record pair into q; false on a mismatch or an error. */
static bool zip_rec(genc_ctx *ctx, const dyn_trace *da, const dyn_rec *ra, const dyn_trace *db,
                    const dyn_rec *rb, dyn_rec *q, genc_array_zip_fn f, void *user, int64_t n) {
  if (!same_rec(da, ra, db, rb)) return false;
  if (ra->kind == REC_NS) return true;
  if (ra->kind == REC_CHOICE) {
    q->value = genc_array_retain(f(ctx, ra->value, rb->value, user));
    q->lp = genc_array_retain(f(ctx, genc__rec_lp(ctx, ra), genc__rec_lp(ctx, rb), user));
    q->dist = ra->dist;
    for (int k = 0; k < 2; k++)
      if (ra->bound[k] && rb->bound[k] &&
          !(q->bound[k] = genc_array_retain(f(ctx, ra->bound[k], rb->bound[k], user))))
        return false;
    return q->value && q->lp;
  }
  const genc_gf_type *ty = ra->sub->gf->type;
  if (ra->sub->gf != rb->sub->gf || !ty->trace_zip) return false;
  q->sub = ty->trace_zip(ctx, ra->sub, rb->sub, f, user, n);
  return q->sub != NULL;
}

genc_trace *genc__dyn_trace_zip(genc_ctx *ctx, const genc_trace *a, const genc_trace *b,
                                genc_array_zip_fn f, void *user, int64_t n) {
  const dyn_trace *da = a->impl, *db = b->impl;
  if (a->gf != b->gf || da->len != db->len) return NULL;
  dyn_trace *nd = genc__dyn_new2(da->len, da->alen);
  if (!nd) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: out of memory for a trace", a->gf->name);
    return NULL;
  }
  bool ok = true;
  for (int i = 0; ok && i < da->len; i++) {
    const dyn_rec *ra = &da->recs[i];
    int len;
    const genc_comp *p = genc__rec_path(da, ra, &len);
    int qi = len == 1 ? genc__dyn_push(nd, ra->addr) : genc__dyn_push_path(nd, p, len);
    if (qi < 0) {
      genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: out of memory for a trace", a->gf->name);
      break;
    }
    nd->recs[qi].kind = ra->kind;
    ok = zip_rec(ctx, da, ra, db, &db->recs[i], &nd->recs[qi], f, user, n);
  }
  genc_array *args[GENC_GF_MAX_ARGS] = {0};
  for (int i = 0; ok && i < a->gf->nargs; i++)
    ok = (!a->args[i] && !b->args[i]) || (args[i] = f(ctx, a->args[i], b->args[i], user));
  genc_array *ret = NULL;
  if (ok && (a->retval || b->retval)) ok = (ret = f(ctx, a->retval, b->retval, user)) != NULL;
  genc_array *score = ok ? f(ctx, a->score, b->score, user) : NULL;
  genc_trace *out = score ? genc_trace_new(ctx, a->gf, args, ret, score, n, nd) : NULL;
  if (!out) genc__dyn_free(nd);
  return out;
}

typedef struct leaf_sel {
  genc_ctx *ctx;
  const genc_choicemap *other;
  genc_choicemap *out;
  genc_array *cond;
  const char *name;
} leaf_sel;

static int select_leaf(const genc_comp *path, int len, genc_array *v, void *user) {
  leaf_sel *s = user;
  genc_array *w = genc_choicemap_get_path(s->ctx, s->other, path, len);
  if (!w) return 1; /* GENC_ERR_ADDRESS names the path */
  if (!same_layout(v, w)) {
    genc_ctx_fail(s->ctx, GENC_ERR_SHAPE,
                  "genc_trace_select: %s: a choice has different shapes or dtypes in the two "
                  "traces",
                  s->name);
    return 1;
  }
  genc_array *x = v == w ? v : genc_where(s->ctx, s->cond, v, w);
  return !x || genc_choicemap_set_path(s->ctx, s->out, path, len, x) != GENC_OK;
}

/* The generic path: select the choice maps, then generate with all of them constrained. */
static genc_trace *select_generic(genc_ctx *ctx, genc_array *cond, const genc_trace *a,
                                  const genc_trace *b) {
  const genc_choicemap *ca = genc_trace_choices(ctx, a), *cb = genc_trace_choices(ctx, b);
  if (!ca || !cb) return NULL;
  if (genc_choicemap_num_values(ca) != genc_choicemap_num_values(cb)) {
    genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                  "genc_trace_select: traces of %s have different addresses (%lld and %lld "
                  "choices)",
                  a->gf->name, (long long)genc_choicemap_num_values(ca),
                  (long long)genc_choicemap_num_values(cb));
    return NULL;
  }
  genc_choicemap *cm = genc_choicemap_new(ctx);
  if (!cm) return NULL;
  leaf_sel s = {ctx, cb, cm, cond, a->gf->name};
  genc_trace *out = NULL;
  genc_array *args[GENC_GF_MAX_ARGS] = {0};
  bool ok = !genc_choicemap_foreach(ca, select_leaf, &s);
  for (int i = 0; ok && i < a->gf->nargs; i++) {
    args[i] = a->args[i] == b->args[i] ? a->args[i] : zip_where(ctx, a->args[i], b->args[i], cond);
    if (!args[i] && (a->args[i] || b->args[i])) {
      if (!genc_ctx_status(ctx))
        genc_ctx_fail(ctx, GENC_ERR_SHAPE,
                      "genc_trace_select: argument %d of %s has different shapes in the two "
                      "traces",
                      i, a->gf->name);
      ok = false;
    }
  }
  if (ok) out = genc_gf_generate(ctx, a->gf, args, cm, genc_key_from_seed(0), a->n, NULL);
  genc_choicemap_free(cm);
  return out;
}

static genc_array *check_cond(genc_ctx *ctx, genc_array *cond, int64_t n) {
  bool ok = cond && genc_array_dtype(cond) == GENC_BOOL;
  if (ok && n == 0)
    ok = !genc_array_batched(cond) && genc_array_size(cond) == 1;
  else if (ok && genc_array_batched(cond))
    ok = genc_array_ndim(cond) == 0 && genc_array_nparticles(cond) == n;
  else if (ok) {
    ok = genc_array_ndim(cond) == 1 && genc_array_dim(cond, 0) == n;
    cond = ok ? genc_particle_from_axis(ctx, cond) : NULL;
    return cond;
  }
  return ok ? cond : NULL;
}

genc_trace *genc_trace_select(genc_ctx *ctx, genc_array *cond, const genc_trace *a,
                              const genc_trace *b) {
  if (!ctx) return NULL;
  genc_ctx_clear_error(ctx);
  if (!a || !b || a->gf != b->gf || a->n != b->n) {
    genc_ctx_fail(ctx, GENC_ERR_ARG,
                  "genc_trace_select: needs two traces of one generative function with the "
                  "same particle count (got %s with %lld and %s with %lld)",
                  a ? a->gf->name : "NULL", a ? (long long)a->n : 0LL, b ? b->gf->name : "NULL",
                  b ? (long long)b->n : 0LL);
    return NULL;
  }
  int64_t mark = genc_scope_begin(ctx);
  genc_array *c = check_cond(ctx, cond, a->n);
  genc_trace *out = NULL;
  if (!c) {
    if (!genc_ctx_status(ctx))
      genc_ctx_fail(ctx, GENC_ERR_ARG,
                    "genc_trace_select: %s: cond must be bool, batched 0-d over %lld particles "
                    "or shared 1-d of that length (a shared 0-d bool for single traces)",
                    a->gf->name, (long long)a->n);
  } else if (a->n == 0 && !genc_graph_capturing(ctx)) {
    /* under a capture a single trace is zipped with where, as batched ones:
     * the host read of cond would be refused */
    double v = 0;
    if (!genc_array_item(ctx, c, &v)) out = genc_trace_retain((genc_trace *)(v != 0 ? a : b));
  } else if (a == b) {
    out = genc_trace_retain((genc_trace *)a);
  } else {
    if (a->gf->type->trace_zip) out = a->gf->type->trace_zip(ctx, a, b, zip_where, c, a->n);
    if (!out && !genc_ctx_status(ctx)) out = select_generic(ctx, c, a, b);
  }
  genc_scope_end(ctx, mark);
  return out;
}
