/*
 * Gibbs over an enumerable discrete choice: the conditional of one address
 * given the rest of the trace is proportional to the joint with that value,
 * so every value of the (caller-given) support is scored and one is drawn.
 * A single trace scores all values in one batched, fully constrained
 * generate; N chains score value k for every chain with one batched update.
 */
#include <math.h>
#include <stdlib.h>

#include "genc.h"

static genc_status gibbs_check(genc_ctx *ctx, const genc_trace *t, const genc_enum_var *var) {
  if (!t || !var || !var->addr || !var->values || var->nvalues < 1)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_gibbs: NULL trace, variable, address or empty value set");
  return GENC_OK;
}

static genc_status gibbs_fail_zero(genc_ctx *ctx, const genc_trace *t, const char *addr,
                                   int64_t chain) {
  return genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                       "genc_gibbs: model %s: every value at %s has zero probability (chain %lld)",
                       genc_gf_name(genc_trace_gf(t)), addr, (long long)chain);
}

/* Single trace: log joints of the K values as a shared [K] array. */
static genc_array *gibbs_scores_single(genc_ctx *ctx, const genc_trace *t, const genc_enum_var *var,
                                       genc_dtype dt) {
  genc_gf *gf = genc_trace_gf(t);
  genc_array *args[GENC_GF_MAX_ARGS];
  for (int i = 0; i < genc_gf_nargs(gf); i++)
    args[i] = genc_trace_arg(t, i);
  const genc_choicemap *c = genc_trace_choices(ctx, t);
  genc_choicemap *cm = c ? genc_choicemap_copy(ctx, c) : NULL;
  genc_array *vals = genc_array_from(ctx, GENC_F64, 0, NULL, var->nvalues, var->values);
  vals = vals ? genc_astype(ctx, vals, dt) : NULL;
  genc_array *w = NULL;
  if (cm && vals && !genc_choicemap_set_str(ctx, cm, var->addr, vals)) {
    genc_trace *all = genc_gf_generate(ctx, gf, args, cm, genc_key_from_seed(0), var->nvalues, &w);
    if (!all) w = NULL;
    genc_trace_release(all);
  }
  genc_choicemap_free(cm);
  return w ? genc_particle_to_axis(ctx, w) : NULL;
}

/* N chains: log p(value k, rest) - log p(t) per chain, stacked to a batched [K]. */
static genc_array *gibbs_scores_batched(genc_ctx *ctx, const genc_trace *t,
                                        const genc_enum_var *var, genc_dtype dt) {
  genc_array **ws = malloc((size_t)var->nvalues * sizeof *ws);
  genc_array *out = NULL;
  int k = 0;
  for (; ws && k < var->nvalues; k++) {
    genc_choicemap *cm = genc_choicemap_new(ctx);
    genc_trace *u = NULL;
    if (cm && !genc_choicemap_set_str(ctx, cm, var->addr, genc_scalar_of(ctx, var->values[k], dt)))
      u = genc_gf_update(ctx, t, NULL, NULL, cm, genc_key_from_seed(0), &ws[k], NULL);
    genc_choicemap_free(cm);
    if (!u) break;
    genc_trace_release(u);
  }
  if (ws && k == var->nvalues) out = genc_stack(ctx, var->nvalues, ws, 0);
  free(ws);
  return out;
}

/* The drawn value per chain: values[idx] by a chain of selects (K is small). */
static genc_array *gibbs_value(genc_ctx *ctx, const genc_enum_var *var, genc_array *idx) {
  genc_array *v = genc_scalar(ctx, var->values[0]);
  for (int k = 1; v && k < var->nvalues; k++)
    v = genc_where(ctx, genc_eq(ctx, idx, genc_scalar_of(ctx, k, GENC_I32)),
                   genc_scalar(ctx, var->values[k]), v);
  return v;
}

/* Every chain must have a value of positive probability. */
static genc_status gibbs_check_finite(genc_ctx *ctx, const genc_trace *t, const char *addr,
                                      genc_array *logits) {
  int64_t n = genc_trace_nparticles(t), c = n ? n : 1;
  genc_array *m = genc_max(ctx, logits, 0, NULL, false);
  double *buf = malloc((size_t)c * sizeof *buf);
  genc_status st = !buf ? genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_gibbs: out of memory")
                   : m  ? genc_array_copy_out(ctx, m, buf, c)
                        : genc_ctx_status(ctx);
  for (int64_t i = 0; !st && i < c; i++)
    if (!(buf[i] > -INFINITY)) st = gibbs_fail_zero(ctx, t, addr, i);
  free(buf);
  return st;
}

genc_trace *genc_gibbs(genc_ctx *ctx, const genc_trace *t, const genc_enum_var *var, genc_key key) {
  if (!ctx || gibbs_check(ctx, t, var)) return NULL;
  int64_t n = genc_trace_nparticles(t);
  int64_t mark = genc_scope_begin(ctx);
  genc_trace *out = NULL;
  genc_array *cur = genc_trace_get_path(ctx, t, var->addr);
  genc_dtype dt = cur ? genc_array_dtype(cur) : GENC_F64;
  genc_array *logits = !cur ? NULL
                       : n  ? gibbs_scores_batched(ctx, t, var, dt)
                            : gibbs_scores_single(ctx, t, var, dt);
  if (logits && !gibbs_check_finite(ctx, t, var->addr, logits)) {
    genc_array *idx = genc_random_categorical(ctx, key, logits, n);
    genc_array *v = idx ? gibbs_value(ctx, var, idx) : NULL;
    v = v ? genc_astype(ctx, v, dt) : NULL;
    genc_choicemap *cm = v ? genc_choicemap_new(ctx) : NULL;
    if (cm && !genc_choicemap_set_str(ctx, cm, var->addr, v))
      out = genc_gf_update(ctx, t, NULL, NULL, cm, key, NULL, NULL);
    genc_choicemap_free(cm);
  }
  genc_scope_end(ctx, mark);
  return out;
}
