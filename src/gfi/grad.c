/* Gradients of a trace's score with respect to its choices, its arguments and
 * the trainable parameters: one tape pass over assess with the trace's own
 * choices, where the differentiated quantities are watched leaves. */
#include <stdlib.h>

#include "gfi/internal.h"

typedef struct leaf {
  genc_addr path;
  genc_array *watched;
} leaf;

typedef struct pass {
  genc_ctx *ctx;
  const genc_selection *sel;
  genc_choicemap *cm; /* the choices, with selected leaves replaced by watched ones */
  leaf *leaves;
  int len, cap;
  genc_status st;
  bool params; /* accumulate parameter gradients */
} pass;

static int watch_choice(const genc_comp *path, int len, genc_array *v, void *user) {
  pass *p = user;
  genc_dtype dt = genc_array_dtype(v);
  if (!genc_selection_has_path(p->sel, path, len) || (dt != GENC_F64 && dt != GENC_F32)) return 0;
  if (p->len == p->cap) {
    int cap = p->cap ? 2 * p->cap : 16;
    leaf *l = realloc(p->leaves, (size_t)cap * sizeof *l);
    if (!l) return (p->st = genc_ctx_fail(p->ctx, GENC_ERR_NOMEM, "gradients: out of memory"));
    p->leaves = l;
    p->cap = cap;
  }
  leaf *l = &p->leaves[p->len++];
  l->path.len = len;
  for (int i = 0; i < len; i++)
    l->path.comp[i] = path[i];
  l->watched = genc_tape_watch(p->ctx, v);
  if (!l->watched || genc_choicemap_set_path(p->ctx, p->cm, path, len, l->watched))
    return (p->st = genc_ctx_status(p->ctx));
  return 0;
}

/* Run the pass; leaves to differentiate: choices, then args, then params. */
static genc_status run_pass(genc_ctx *ctx, const genc_trace *t, pass *p, double param_scale,
                            genc_array **arg_grads) {
  genc_gf *gf = t->gf;
  genc_array *args[GENC_GF_MAX_ARGS] = {0}, *all[256] = {0}, *grads[256] = {0};
  const genc_choicemap *cm = genc_trace_choices(ctx, t);
  if (!cm || !(p->cm = genc_choicemap_copy(ctx, cm))) return genc_ctx_status(ctx);
  if (p->sel && genc_choicemap_foreach(cm, watch_choice, p)) return p->st;
  int k = 0, na = 0;
  for (int i = 0; i < p->len && k < 256; i++)
    all[k++] = p->leaves[i].watched;
  for (int i = 0; i < gf->nargs; i++) {
    args[i] = t->args[i];
    if (arg_grads && (gf->arg_grads >> i & 1u) && args[i] && k < 256) {
      if (!(args[i] = genc_tape_watch(ctx, t->args[i]))) return genc_ctx_status(ctx);
      all[k++] = args[i];
      na++;
    }
  }
  int np = p->params ? genc__params_watch(ctx, gf->params, true, all + k, 256 - k) : 0;
  genc_gfi_call c = {.args = args, .constraints = p->cm};
  genc_gfi_result r = {0};
  genc_status st = gf->type->assess(ctx, gf, &c, &r);
  if (!st) st = genc_tape_backward(ctx, r.weight, NULL, k + np, all, grads);
  if (np) genc__params_watch(ctx, gf->params, false, NULL, 0);
  if (st) return st;
  /* put the gradients back where the caller wants them */
  for (int i = 0; i < p->len; i++)
    p->leaves[i].watched = grads[i];
  for (int i = 0, j = p->len; arg_grads && i < gf->nargs; i++)
    arg_grads[i] = (gf->arg_grads >> i & 1u) && t->args[i] ? grads[j++] : NULL;
  for (int i = 0; !st && i < np; i++)
    st = genc__param_add_grad(ctx, gf->params, i, grads[k + i], param_scale);
  (void)na;
  return st;
}

/* Open scope and tape, run the pass, close both keeping the results. */
static genc_status with_tape(genc_ctx *ctx, const genc_trace *t, pass *p, double param_scale,
                             genc_array **arg_grads, genc_choicemap **values,
                             genc_choicemap **grads) {
  if (!ctx) return GENC_ERR_ARG;
  if (!t) return genc_ctx_fail(ctx, GENC_ERR_ARG, "gradients: NULL trace");
  genc_ctx_clear_error(ctx);
  if (genc_tape_begin(ctx)) return genc_ctx_status(ctx);
  int64_t mark = genc_scope_begin(ctx);
  p->ctx = ctx;
  genc_status st = run_pass(ctx, t, p, param_scale, arg_grads);
  genc_choicemap *v = NULL, *g = NULL;
  if (!st && (values || grads)) {
    v = genc_choicemap_new(ctx);
    g = genc_choicemap_new(ctx);
    st = v && g ? GENC_OK : genc_ctx_status(ctx);
    for (int i = 0; !st && i < p->len; i++) {
      const genc_addr *a = &p->leaves[i].path;
      genc_array *val = genc_choicemap_lookup_path(genc_trace_choices(ctx, t), a->comp, a->len);
      if (genc_choicemap_set_path(ctx, v, a->comp, a->len, val) ||
          genc_choicemap_set_path(ctx, g, a->comp, a->len, p->leaves[i].watched))
        st = genc_ctx_status(ctx);
    }
  }
  genc_tape_end(ctx);
  int nargs = arg_grads ? t->gf->nargs : 0;
  genc_scope_end_keep(ctx, mark, arg_grads, st ? 0 : nargs);
  genc_choicemap_free(p->cm);
  free(p->leaves);
  if (st) {
    genc_choicemap_free(v);
    genc_choicemap_free(g);
    return st;
  }
  if (values)
    *values = v;
  else
    genc_choicemap_free(v);
  if (grads)
    *grads = g;
  else
    genc_choicemap_free(g);
  return GENC_OK;
}

genc_status genc_gf_choice_gradients(genc_ctx *ctx, const genc_trace *t, const genc_selection *s,
                                     genc_choicemap **values, genc_choicemap **grads) {
  pass p = {.sel = s};
  return with_tape(ctx, t, &p, 0, NULL, values, grads);
}

genc_status genc_gf_arg_gradients(genc_ctx *ctx, const genc_trace *t, genc_array **grads) {
  if (!grads || !ctx) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_gf_arg_gradients: NULL output");
  pass p = {0};
  return with_tape(ctx, t, &p, 0, grads, NULL, NULL);
}

genc_status genc_gf_accumulate_param_grads(genc_ctx *ctx, const genc_trace *t, double scale) {
  pass p = {.params = true};
  if (t && !t->gf->params)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: no parameter store to accumulate into",
                         t->gf->name);
  return with_tape(ctx, t, &p, scale, NULL, NULL, NULL);
}
