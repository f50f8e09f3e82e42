/*
 * MAP by gradient ascent of the trace's score over selected continuous
 * choices (SGD or Adam), on the natural space: genc_gf_choice_gradients gives
 * d score / d value, genc_gf_update writes the stepped values. Adam's moment
 * estimates live in two choice maps keyed like the gradients, so they survive
 * the per-step array scope (maps retain their arrays).
 */
#include <math.h>
#include <stdlib.h>

#include "genc.h"

typedef struct map_step {
  genc_ctx *ctx;
  const genc_map_opts *o;
  int64_t iter; /* 1-based, for Adam's bias correction */
  const genc_choicemap *values;
  genc_choicemap *m, *v, *out;
  double gmax; /* largest |gradient| seen */
} map_step;

static genc_array *map_adam(map_step *s, const genc_comp *path, int len, genc_array *g) {
  genc_ctx *ctx = s->ctx;
  const genc_map_opts *o = s->o;
  genc_array *m0 = genc_choicemap_lookup_path(s->m, path, len);
  genc_array *v0 = genc_choicemap_lookup_path(s->v, path, len);
  genc_array *b1 = genc_scalar(ctx, o->beta1), *b2 = genc_scalar(ctx, o->beta2);
  genc_array *m = genc_mul(ctx, genc_scalar(ctx, 1 - o->beta1), g);
  genc_array *v = genc_mul(ctx, genc_scalar(ctx, 1 - o->beta2), genc_square(ctx, g));
  if (m0) m = genc_add(ctx, m, genc_mul(ctx, b1, m0));
  if (v0) v = genc_add(ctx, v, genc_mul(ctx, b2, v0));
  if (!m || !v || genc_choicemap_set_path(ctx, s->m, path, len, m) ||
      genc_choicemap_set_path(ctx, s->v, path, len, v))
    return NULL;
  double c1 = 1 - pow(o->beta1, (double)s->iter), c2 = 1 - pow(o->beta2, (double)s->iter);
  genc_array *den = genc_add(ctx, genc_sqrt(ctx, genc_div(ctx, v, genc_scalar(ctx, c2))),
                             genc_scalar(ctx, o->eps));
  return genc_mul(ctx, genc_scalar(ctx, o->lr / c1), genc_div(ctx, m, den));
}

static int map_visit(const genc_comp *path, int len, genc_array *g, void *user) {
  map_step *s = user;
  genc_ctx *ctx = s->ctx;
  genc_array *gm = genc_max(ctx, genc_abs(ctx, g), 0, NULL, false);
  if (gm && genc_array_batched(gm)) gm = genc_particle_reduce(ctx, GENC_RMAX, gm);
  double a = NAN;
  if (!gm || genc_array_item(ctx, gm, &a)) return 1;
  s->gmax = fmax(s->gmax, a);
  genc_array *x = genc_choicemap_lookup_path(s->values, path, len);
  genc_array *step = s->o->method == GENC_MAP_SGD ? genc_mul(ctx, genc_scalar(ctx, s->o->lr), g)
                                                  : map_adam(s, path, len, g);
  genc_array *xn = x && step ? genc_add(ctx, x, step) : NULL;
  return !xn || genc_choicemap_set_path(ctx, s->out, path, len, xn);
}

static genc_map_opts map_defaults(const genc_map_opts *opts) {
  genc_map_opts o = opts ? *opts : (genc_map_opts){0};
  if (!o.iters) o.iters = 1000;
  if (!o.lr) o.lr = 0.01;
  if (!o.beta1) o.beta1 = 0.9;
  if (!o.beta2) o.beta2 = 0.999;
  if (!o.eps) o.eps = 1e-8;
  if (!o.grad_tol) o.grad_tol = 1e-10;
  return o;
}

/* Every particle's score must stay finite: a step off the support stops the run. */
static genc_status map_check_score(genc_ctx *ctx, const genc_trace *t, int64_t iter) {
  genc_array *m = genc_trace_score(t);
  if (genc_array_batched(m)) m = genc_particle_reduce(ctx, GENC_RMIN, m);
  double s = NAN;
  if (!m || genc_array_item(ctx, m, &s)) return genc_ctx_status(ctx);
  if (!isfinite(s))
    return genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                         "genc_map_optimize: model %s: step %lld left the support (score %g); "
                         "lower lr",
                         genc_gf_name(genc_trace_gf(t)), (long long)iter, s);
  return GENC_OK;
}

/* One step; 1 when converged (nothing stepped), 0 when stepped, -1 on error. */
static int map_one(genc_ctx *ctx, genc_trace **cur, const genc_selection *sel, map_step *s) {
  genc_choicemap *values = NULL, *grads = NULL;
  int r = -1;
  s->out = genc_choicemap_new(ctx);
  if (s->out && !genc_gf_choice_gradients(ctx, *cur, sel, &values, &grads)) {
    s->values = values, s->gmax = 0;
    if (!genc_choicemap_foreach(grads, map_visit, s)) r = s->gmax < s->o->grad_tol;
  }
  if (r == 0) {
    genc_trace *t =
        genc_gf_update(ctx, *cur, NULL, NULL, s->out, genc_key_from_seed(0), NULL, NULL);
    if (t && map_check_score(ctx, t, s->iter)) genc_trace_release(t), t = NULL;
    if (t)
      genc_trace_release(*cur), *cur = t;
    else
      r = -1;
  }
  genc_choicemap_free(values), genc_choicemap_free(grads), genc_choicemap_free(s->out);
  return r;
}

genc_trace *genc_map_optimize(genc_ctx *ctx, const genc_trace *t, const genc_selection *s,
                              const genc_map_opts *opts, int64_t *iters_run) {
  if (iters_run) *iters_run = 0;
  if (!ctx) return NULL;
  genc_map_opts o = map_defaults(opts);
  if (!t || !s || o.iters < 0 || !(o.lr > 0) || !(o.beta1 >= 0 && o.beta1 < 1) ||
      !(o.beta2 >= 0 && o.beta2 < 1) || !(o.eps > 0) || !(o.grad_tol >= 0)) {
    genc_ctx_fail(ctx, GENC_ERR_ARG,
                  "genc_map_optimize: NULL trace or selection, or an option out of range "
                  "(iters >= 0, lr > 0, beta in [0, 1), eps > 0, grad_tol >= 0)");
    return NULL;
  }
  genc_trace *cur = genc_trace_retain((genc_trace *)t);
  map_step st = {.ctx = ctx, .o = &o, .m = genc_choicemap_new(ctx), .v = genc_choicemap_new(ctx)};
  int r = st.m && st.v ? 0 : -1;
  for (st.iter = 1; r == 0 && st.iter <= o.iters; st.iter++) {
    int64_t mark = genc_scope_begin(ctx);
    r = map_one(ctx, &cur, s, &st);
    genc_scope_end(ctx, mark);
    if (iters_run && r == 0) *iters_run = st.iter;
  }
  genc_choicemap_free(st.m), genc_choicemap_free(st.v);
  if (r < 0) genc_trace_release(cur), cur = NULL;
  return cur;
}
