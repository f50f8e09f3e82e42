/* Sequence traces (kernel trace t at index address t): closing a run, and the
 * type-table entries every sequence combinator shares (project, trace_map,
 * choices, freeing). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comb/seq.h"

static bool acc(genc_ctx *ctx, genc_array **a, genc_array *x, int sign) {
  if (!x) return false;
  if (sign < 0) x = genc_neg(ctx, x);
  *a = *a ? genc_add(ctx, *a, x) : x;
  return *a != NULL;
}

/* Update/regenerate to fewer steps: the old steps beyond len are removed. */
static genc_status remove_old(seq_run *r) {
  genc_ctx *ctx = r->ctx;
  for (int64_t t = r->len; r->old && t < r->old->len; t++) {
    const genc_trace *o = seq_sub(ctx, r->old, t);
    bool ok = o && acc(ctx, &r->dscore, genc_trace_score(o), -1);
    if (ok && r->mode == SEQ_UPDATE) {
      ok = acc(ctx, &r->weight, genc_trace_score(o), -1);
      const genc_choicemap *cm = ok ? genc_trace_choices(ctx, o) : NULL;
      genc_choicemap *copy = cm ? genc_choicemap_copy(ctx, cm) : NULL;
      ok = copy && !genc_choicemap_set_submap(ctx, r->discard, genc_idx(t), copy);
    }
    if (!ok) return genc_ctx_status(ctx);
  }
  return GENC_OK;
}

/* Every constraint must name a step: an index below len. */
static genc_status check_visited(seq_run *r) {
  const genc_choicemap *cm = r->call->constraints;
  if (r->mode == SEQ_SIMULATE || r->mode == SEQ_REGENERATE || !cm) return GENC_OK;
  char list[256] = "";
  size_t len = 0;
  int nbad = 0;
  for (int64_t i = 0, k = genc_choicemap_count(cm); i < k; i++) {
    genc_comp c;
    const genc_choicemap *ch = genc_choicemap_child(cm, i, &c);
    int64_t t = genc_comp_index(c);
    if ((t >= 0 && t < r->len) || genc_choicemap_is_empty(ch)) continue;
    char name[64];
    genc_comp_format(c, name, sizeof name);
    if (len + strlen(name) + 8 < sizeof list)
      len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", nbad ? ", " : "", name);
    nbad++;
  }
  if (!nbad) return GENC_OK;
  return genc_ctx_fail(r->ctx, GENC_ERR_ADDRESS,
                       "%s: %d constrained address(es) name no step (steps are 0..%lld): %s",
                       genc_gf_name(r->gf), nbad, (long long)r->len - 1, list);
}

genc_status seq_run_finish(seq_run *r, int like_pos, genc_gfi_result *res) {
  genc_ctx *ctx = r->ctx;
  genc_status st = remove_old(r);
  if (!st) st = check_visited(r);
  if (st) return st;
  int64_t n = r->call->n;
  genc_array *score = r->dscore;
  if (r->mode == SEQ_UPDATE || r->mode == SEQ_REGENERATE) {
    score = genc_trace_score(r->call->trace);
    if (r->dscore) score = genc_add(ctx, score, r->dscore);
  }
  score = seq_per_particle(ctx, score, n);
  if (!score) return genc_ctx_status(ctx);
  if (r->mode == SEQ_ASSESS) {
    genc_array *like = like_pos >= 0 ? r->call->args[like_pos] : NULL;
    res->weight = score;
    res->retval = seq_stack(ctx, r->len, r->rets, like);
    return res->retval ? GENC_OK : genc_ctx_status(ctx);
  }
  genc_array *weight = seq_per_particle(ctx, r->weight, n);
  if (!weight) return genc_ctx_status(ctx);
  r->tr->len = r->len;
  r->tr->like_pos = like_pos;
  res->trace = genc_trace_new(ctx, r->gf, r->call->args, NULL, score, n, r->tr);
  if (!res->trace) return genc_ctx_status(ctx);
  r->tr = NULL;
  res->weight = weight;
  res->discard = r->discard;
  r->discard = NULL;
  return GENC_OK;
}

genc_status seq_project(genc_ctx *ctx, genc_gf *gf, const genc_gfi_call *call,
                        genc_gfi_result *res) {
  const seq_trace *d = genc_trace_impl(call->trace);
  int64_t mark = genc_scope_begin(ctx);
  genc_array *w = NULL;
  genc_status st = GENC_OK;
  for (int64_t t = 0; !st && t < d->len; t++) {
    genc_selection *sel = genc_selection_sub(ctx, call->selection, genc_idx(t));
    if (!sel) st = genc_ctx_status(ctx);
    if (!st && !genc_selection_is_none(sel)) {
      const genc_trace *s = seq_sub(ctx, d, t);
      if (!s) {
        genc_selection_release(sel);
        st = genc_ctx_status(ctx);
        break;
      }
      genc_gfi_call sc = {.trace = s, .selection = sel, .n = call->n};
      genc_gfi_result sr = {0};
      genc_gf *k = genc_trace_gf(s);
      st = genc_gf_type_of(k)->project(ctx, k, &sc, &sr);
      if (!st && !acc(ctx, &w, sr.weight, 1)) st = genc_ctx_status(ctx);
    }
    genc_selection_release(sel);
  }
  w = st ? NULL : seq_per_particle(ctx, w, call->n);
  if (!w) {
    genc_scope_end(ctx, mark);
    return st ? st : genc_ctx_status(ctx);
  }
  (void)gf;
  res->weight = w;
  genc_scope_end_keep(ctx, mark, &w, 1);
  return GENC_OK;
}

static genc_array *map_opt(genc_ctx *ctx, genc_array *x, genc_array_map_fn f, void *user,
                           bool *ok) {
  if (!x || !*ok) return NULL;
  genc_array *y = f(ctx, x, user);
  *ok = y != NULL;
  return y;
}

genc_trace *seq_trace_map(genc_ctx *ctx, const genc_trace *t, genc_array_map_fn f, void *user,
                          int64_t n) {
  const seq_trace *d = genc_trace_impl(t);
  seq_trace *nd = seq_trace_alloc(d->len);
  if (!nd) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: out of memory for a trace",
                  genc_gf_name(t ? genc_trace_gf(t) : NULL));
    return NULL;
  }
  nd->len = d->len;
  nd->like_pos = d->like_pos;
  bool ok = true;
  for (int64_t s = 0; ok && s < d->len; s++) {
    const genc_trace *sub = seq_sub(ctx, d, s);
    if (!sub) {
      ok = false;
      break;
    }
    genc_trace *m = genc_gf_type_of(genc_trace_gf(sub))->trace_map(ctx, sub, f, user, n);
    ok = m && seq_set_sub(nd, s, m);
    if (m && !ok)
      genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: out of memory for a trace",
                    genc_gf_name(genc_trace_gf(t)));
  }
  genc_gf *gf = genc_trace_gf(t);
  genc_array *args[GENC_GF_MAX_ARGS] = {0};
  for (int i = 0; i < genc_gf_nargs(gf); i++)
    args[i] = map_opt(ctx, genc_trace_arg(t, i), f, user, &ok);
  genc_array *score = map_opt(ctx, genc_trace_score(t), f, user, &ok);
  genc_trace *out = ok ? genc_trace_new(ctx, gf, args, NULL, score, n, nd) : NULL;
  if (!out) seq_trace_free(nd);
  return out;
}

static genc_array *map_take(genc_ctx *ctx, genc_array *x, void *user) {
  return genc_array_batched(x) ? genc_particle_take(ctx, x, (genc_array *)user) : x;
}

/* A take in O(n + chunks): the chunks are shared and each chunk's pending
 * index composed with idx (once per distinct index: after an update the
 * whole chunks share one); the arguments and the score are gathered now, as
 * genc_trace_take's fallback would; the stacked return value stays lazy. */
genc_trace *seq_trace_take(genc_ctx *ctx, const genc_trace *t, genc_array *idx) {
  const seq_trace *d = genc_trace_impl(t);
  genc_gf *gf = genc_trace_gf(t);
  seq_trace *nd = seq_trace_alloc(d->len);
  if (!nd) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: out of memory for a trace", genc_gf_name(gf));
    return NULL;
  }
  nd->len = d->len;
  nd->like_pos = d->like_pos;
  nd->steps = seq_stepcache_retain(d->steps); /* an SMC's resampled trace extends the chain */
  bool ok = true;
  for (int64_t i = 0; i < d->nchunks; i++) {
    nd->chunks[i] = d->chunks[i];
    if (nd->chunks[i]) nd->chunks[i]->refs++;
    if (i > 0 && d->perm[i] == d->perm[i - 1])
      nd->perm[i] = genc_array_retain(nd->perm[i - 1]);
    else
      ok = ok && seq_perm_compose(ctx, d->perm[i], idx, &nd->perm[i]);
  }
  genc_array *args[GENC_GF_MAX_ARGS] = {0};
  for (int i = 0; i < genc_gf_nargs(gf); i++)
    args[i] = map_opt(ctx, genc_trace_arg(t, i), map_take, idx, &ok);
  genc_array *score = map_opt(ctx, genc_trace_score(t), map_take, idx, &ok);
  genc_trace *out =
      ok ? genc_trace_new(ctx, gf, args, NULL, score, genc_array_dim(idx, 0), nd) : NULL;
  if (!out) seq_trace_free(nd);
  return out;
}

genc_status seq_trace_choices(genc_ctx *ctx, const genc_trace *t, genc_choicemap *out) {
  const seq_trace *d = genc_trace_impl(t);
  for (int64_t s = 0; s < d->len; s++) {
    const genc_trace *sub = seq_sub(ctx, d, s);
    if (!sub) return genc_ctx_status(ctx);
    genc_choicemap *cm = genc_choicemap_submap_mut(ctx, out, genc_idx(s));
    if (!cm) return genc_ctx_status(ctx);
    genc_status st = genc_gf_type_of(genc_trace_gf(sub))->trace_choices(ctx, sub, cm);
    if (st) return st;
    if (genc_choicemap_is_empty(cm)) genc_choicemap_remove(out, genc_idx(s));
  }
  return GENC_OK;
}

void seq_gf_free(void *impl) {
  seq_gf *g = impl;
  if (!g) return;
  genc_gf_release(g->kernel);
  free(g);
}

genc_status genc_unfold_set_step_replay(genc_gf *gf, bool on) {
  if (!gf || genc_gf_type_of(gf)->generate != seq_chain_generate) return GENC_ERR_ARG;
  ((seq_gf *)genc_gf_impl(gf))->no_replay = !on;
  return GENC_OK;
}

int64_t genc_unfold_trace_step_replays(const genc_trace *t) {
  if (!t || genc_gf_type_of(genc_trace_gf(t))->generate != seq_chain_generate) return -1;
  return seq_stepcache_replays(((const seq_trace *)genc_trace_impl(t))->steps);
}

genc_status genc_unfold_set_prefix_skipping(genc_gf *gf, bool on) {
  /* every sequence combinator's type frees its traces with seq_trace_free */
  if (!gf || genc_gf_type_of(gf)->trace_free != seq_trace_free) return GENC_ERR_ARG;
  ((seq_gf *)genc_gf_impl(gf))->no_skip = !on;
  return GENC_OK;
}

genc_gf *seq_gf_new(const genc_gf_type *type, const char *prefix, genc_gf *kernel, int nargs,
                    genc_carry_fn carry, void *user) {
  if (!kernel) return NULL;
  seq_gf *g = calloc(1, sizeof *g);
  char name[256];
  snprintf(name, sizeof name, "%s(%s)", prefix, genc_gf_name(kernel));
  genc_gf *gf = g ? genc_gf_new(type, name, nargs, g) : NULL;
  if (!gf) {
    free(g);
    return NULL;
  }
  g->kernel = genc_gf_retain(kernel);
  g->carry = carry;
  g->user = user;
  return gf;
}

genc_array *seq_trace_retval(genc_ctx *ctx, const genc_trace *t) {
  const seq_trace *d = genc_trace_impl(t);
  genc_array **rets = malloc((size_t)(d->len ? d->len : 1) * sizeof *rets);
  if (!rets) {
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: out of memory for the return value",
                  genc_gf_name(genc_trace_gf(t)));
    return NULL;
  }
  bool ok = true;
  for (int64_t s = 0; ok && s < d->len; s++) {
    const genc_trace *sub = seq_sub(ctx, d, s);
    ok = sub && (rets[s] = genc_trace_retval(sub)) != NULL;
  }
  genc_array *like = d->like_pos >= 0 ? genc_trace_arg(t, d->like_pos) : NULL;
  genc_array *out = ok ? seq_stack(ctx, d->len, rets, like) : NULL;
  free(rets);
  return out;
}
