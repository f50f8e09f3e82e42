/* Values at the boundary between C and the GFI: reading choices by a text
 * address and as C numbers, arguments made from C numbers (GENC_ARGS) and read
 * back as C numbers inside a model, and the argument checks of every entry. */
#include <math.h>
#include <stdio.h>

#include "gfi/internal.h"

genc_array *genc_trace_get_path(genc_ctx *ctx, const genc_trace *t, const char *path) {
  if (!ctx) return NULL;
  genc_addr a;
  if (!path) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_trace_get_path: NULL address");
    return NULL;
  }
  if (genc_addr_parse(ctx, path, &a)) return NULL;
  return genc_trace_get(ctx, t, a.comp, a.len);
}

/* Fail naming the quantity and why it is not a C number; NaN. */
static double not_scalar(genc_ctx *ctx, const char *what, const genc_array *a) {
  if (genc_array_batched(a))
    genc_ctx_fail(ctx, GENC_ERR_PARTICLE,
                  "%s is batched over %lld particles, not one number (copy it out with "
                  "genc_trace_copy_out or read one particle)",
                  what, (long long)genc_array_nparticles(a));
  else
    genc_ctx_fail(ctx, GENC_ERR_SHAPE, "%s has %d dimension(s) and %lld element(s), not 0-d", what,
                  genc_array_ndim(a), (long long)genc_array_size(a));
  return NAN;
}

double genc_trace_get_double(genc_ctx *ctx, const genc_trace *t, const char *path) {
  genc_array *v = genc_trace_get_path(ctx, t, path);
  if (!v) return NAN;
  if (genc_array_batched(v) || genc_array_ndim(v) != 0) {
    char what[320];
    snprintf(what, sizeof what, "genc_trace_get_double: the choice at %s of %s", path,
             genc_gf_name(t->gf));
    return not_scalar(ctx, what, v);
  }
  double x = NAN;
  return genc_array_item(ctx, v, &x) ? NAN : x;
}

genc_status genc_trace_copy_out(genc_ctx *ctx, const genc_trace *t, const char *path, double *buf,
                                int64_t cap) {
  if (!ctx) return GENC_ERR_ARG;
  if (!buf) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_trace_copy_out: NULL buffer");
  genc_array *v = genc_trace_get_path(ctx, t, path);
  if (!v) return genc_ctx_status(ctx);
  int64_t n = genc_array_nparticles(v), need = (n ? n : 1) * genc_array_size(v);
  if (cap < need)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_trace_copy_out: the choice at %s of %s holds %lld value(s) (%lld "
                         "particle(s) x %lld element(s)), but the buffer has room for %lld",
                         path, genc_gf_name(t->gf), (long long)need, (long long)(n ? n : 1),
                         (long long)genc_array_size(v), (long long)cap);
  return genc_array_copy_out(ctx, v, buf, cap);
}

/* ---- arguments ---- */

genc_array *genc__arg_array(genc_ctx *ctx, genc_array *a) {
  (void)ctx;
  return a;
}

genc_array *genc__arg_double(genc_ctx *ctx, double v) { return ctx ? genc_scalar(ctx, v) : NULL; }

genc_array *genc__arg_int(genc_ctx *ctx, long long v) {
  if (!ctx) return NULL;
  if (v < INT32_MIN || v > INT32_MAX) {
    genc_ctx_fail(ctx, GENC_ERR_ARG,
                  "GENC_ARGS: the integer %lld does not fit an i32 argument (pass a double or an "
                  "array)",
                  v);
    return NULL;
  }
  return genc_scalar_of(ctx, (double)v, GENC_I32);
}

/* Argument i of the running body as a double, or NaN with the operation failed. */
static double arg_number(genc_rt *rt, int i, const char *want) {
  if (!rt || rt->failed) return NAN;
  const genc_gf *gf = rt->gf;
  const char *why = NULL;
  genc_array *a = i >= 0 && i < gf->nargs && rt->args ? rt->args[i] : NULL;
  if (i < 0 || i >= gf->nargs)
    why = "out of range";
  else if (!a)
    why = "NULL";
  else if (genc_array_batched(a))
    why = "batched over particles";
  else if (genc_array_ndim(a) != 0)
    why = "not 0-d";
  double v = NAN;
  if (!why && genc_array_item(rt->ctx, a, &v)) why = "unreadable";
  if (!why) return v;
  genc_ctx_fail(rt->ctx, GENC_ERR_ARG,
                "model '%s': argument %d (of %d) is %s, but the model reads it as %s (a shared "
                "0-d number)",
                gf->name, i, gf->nargs, why, want);
  rt->failed = true;
  return NAN;
}

double genc_rt_arg_double(genc_rt *rt, int i) { return arg_number(rt, i, "a double"); }

int64_t genc_rt_arg_int(genc_rt *rt, int i) {
  double v = arg_number(rt, i, "an integer");
  if (isnan(v)) return 0;
  if (v != floor(v) || fabs(v) > 9.007199254740992e15) {
    genc_ctx_fail(rt->ctx, GENC_ERR_ARG,
                  "model '%s': argument %d is %g, but the model reads it as an integer",
                  rt->gf->name, i, v);
    rt->failed = true;
    return 0;
  }
  return (int64_t)v;
}

bool genc__check_args(genc_ctx *ctx, const genc_gf *gf, genc_array *const *args) {
  int i = 0;
  while (args && i < gf->nargs && args[i])
    i++;
  if (i == gf->nargs) {
    genc_ctx_clear_error(ctx);
    return true;
  }
  /* a NULL argument usually comes from a failed op: keep that op's message */
  if (genc_ctx_status(ctx)) return false;
  if (!args)
    genc_ctx_fail(ctx, GENC_ERR_ARG, "model '%s': NULL argument vector, expected %d arguments",
                  gf->name, gf->nargs);
  else
    genc_ctx_fail(ctx, GENC_ERR_ARG, "model '%s': argument %d is NULL", gf->name, i);
  return false;
}
