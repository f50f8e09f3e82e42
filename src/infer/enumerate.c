/*
 * Exact enumeration of small discrete models (GenMLX's enumerate): every
 * combination of the caller's value sets is one particle of a single batched,
 * fully constrained generate, whose weights are then the joint log densities.
 * The normalization is done on the host in f64 (log-sum-exp about the max).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "genc.h"

#define ENUM_MAX_COMBOS (INT64_C(1) << 24)

static genc_status enum_check(genc_ctx *ctx, genc_gf *model, int nvars, const genc_enum_var *vars,
                              int64_t *n) {
  if (!model || (nvars > 0 && !vars) || nvars < 1)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_enumerate: NULL model or no variables");
  *n = 1;
  for (int v = 0; v < nvars; v++) {
    if (!vars[v].addr || !vars[v].values || vars[v].nvalues < 1)
      return genc_ctx_fail(ctx, GENC_ERR_ARG,
                           "genc_enumerate: model %s: variable %d has no address or no values",
                           genc_gf_name(model), v);
    *n *= vars[v].nvalues;
    if (*n > ENUM_MAX_COMBOS)
      return genc_ctx_fail(ctx, GENC_ERR_ARG,
                           "genc_enumerate: model %s: more than 2^24 combinations (at %s)",
                           genc_gf_name(model), vars[v].addr);
  }
  return GENC_OK;
}

/* Combination j's values, last variable fastest (mixed radix). */
static void enum_fill(int64_t n, int nvars, const genc_enum_var *vars, double *values) {
  for (int64_t j = 0; j < n; j++) {
    int64_t rest = j;
    for (int v = nvars - 1; v >= 0; v--) {
      values[j * nvars + v] = vars[v].values[rest % vars[v].nvalues];
      rest /= vars[v].nvalues;
    }
  }
}

/* The observations plus one batched constraint per variable. */
static genc_choicemap *enum_constraints(genc_ctx *ctx, const genc_choicemap *obs, int64_t n,
                                        int nvars, const genc_enum_var *vars, const double *values,
                                        double *col) {
  genc_choicemap *cm = obs ? genc_choicemap_copy(ctx, obs) : genc_choicemap_new(ctx);
  for (int v = 0; cm && v < nvars; v++) {
    for (int64_t j = 0; j < n; j++)
      col[j] = values[j * nvars + v];
    genc_array *a = genc_array_from(ctx, GENC_F64, 0, NULL, n, col);
    if (!a || genc_choicemap_set_str(ctx, cm, vars[v].addr, a)) {
      genc_choicemap_free(cm);
      return NULL;
    }
  }
  return cm;
}

/* Run the batched generate; log joints into out->log_joint, checking that every choice was
 * constrained (weight == score). */
static genc_status enum_run(genc_ctx *ctx, genc_gf *model, genc_array *const *args,
                            const genc_choicemap *cm, genc_enum_result *out, double *score) {
  genc_array *w = NULL;
  genc_trace *t = genc_gf_generate(ctx, model, args, cm, genc_key_from_seed(0), out->n, &w);
  genc_status st = t ? genc_array_copy_out(ctx, w, out->log_joint, out->n) : genc_ctx_status(ctx);
  if (!st) st = genc_array_copy_out(ctx, genc_trace_score(t), score, out->n);
  genc_trace_release(t);
  for (int64_t j = 0; !st && j < out->n; j++) {
    double a = out->log_joint[j], b = score[j];
    if (a != b && !(fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b))))
      st = genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_enumerate: model %s: combination %lld drew an unconstrained choice "
                         "(score %.17g, weight %.17g): enumerate or observe every latent choice",
                         genc_gf_name(model), (long long)j, b, a);
  }
  return st;
}

static genc_status enum_normalize(genc_ctx *ctx, genc_gf *model, genc_enum_result *out) {
  double m = -INFINITY, s = 0.0;
  for (int64_t j = 0; j < out->n; j++)
    m = fmax(m, out->log_joint[j]);
  if (!isfinite(m))
    return genc_ctx_fail(ctx, GENC_ERR_DOMAIN,
                         "genc_enumerate: model %s: every combination has zero probability",
                         genc_gf_name(model));
  for (int64_t j = 0; j < out->n; j++)
    s += (out->posterior[j] = exp(out->log_joint[j] - m));
  for (int64_t j = 0; j < out->n; j++)
    out->posterior[j] /= s;
  out->log_ml = m + log(s);
  return GENC_OK;
}

genc_status genc_enumerate(genc_ctx *ctx, genc_gf *model, genc_array *const *args,
                           const genc_choicemap *obs, int nvars, const genc_enum_var *vars,
                           genc_enum_result *out) {
  if (!ctx) return GENC_ERR_ARG;
  if (!out) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_enumerate: NULL result");
  memset(out, 0, sizeof *out);
  int64_t n = 0;
  genc_status st = enum_check(ctx, model, nvars, vars, &n);
  if (st) return st;
  out->n = n, out->nvars = nvars;
  out->values = malloc((size_t)(n * nvars) * sizeof(double));
  out->log_joint = malloc((size_t)n * sizeof(double));
  out->posterior = malloc((size_t)n * sizeof(double));
  double *score = malloc((size_t)n * sizeof(double));
  if (!out->values || !out->log_joint || !out->posterior || !score) {
    free(score);
    genc_enum_result_clear(out);
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_enumerate: out of memory");
  }
  enum_fill(n, nvars, vars, out->values);
  int64_t mark = genc_scope_begin(ctx);
  genc_choicemap *cm = enum_constraints(ctx, obs, n, nvars, vars, out->values, score);
  st = cm ? enum_run(ctx, model, args, cm, out, score) : genc_ctx_status(ctx);
  genc_choicemap_free(cm);
  genc_scope_end(ctx, mark);
  free(score);
  if (!st) st = enum_normalize(ctx, model, out);
  if (st) genc_enum_result_clear(out);
  return st;
}

genc_status genc_enum_marginal(genc_ctx *ctx, const genc_enum_result *r, const genc_enum_var *vars,
                               int var, double *probs) {
  if (!ctx) return GENC_ERR_ARG;
  if (!r || !vars || !probs || var < 0 || var >= r->nvars)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_enum_marginal: NULL argument or variable %d "
                         "outside [0, nvars)",
                         var);
  int k = vars[var].nvalues;
  for (int i = 0; i < k; i++)
    probs[i] = 0.0;
  for (int64_t j = 0; j < r->n; j++) {
    double x = r->values[j * r->nvars + var];
    for (int i = 0; i < k; i++)
      if (vars[var].values[i] == x) {
        probs[i] += r->posterior[j];
        break;
      }
  }
  return GENC_OK;
}

void genc_enum_result_clear(genc_enum_result *r) {
  if (!r) return;
  free(r->values), free(r->log_joint), free(r->posterior);
  memset(r, 0, sizeof *r);
}
