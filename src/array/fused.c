/* Fused elementwise primitives: one pass over memory where the hot log
 * densities would otherwise make several eager passes (backend.h,
 * genc_fused_op). Each is one node on the tape, with its own vjp. */
#include "array/internal.h"

/* f32 when every strongly typed operand is f32 (weak C scalars follow), else f64 */
static genc_dtype fused_dtype(int n, genc_array *const *in) {
  bool f32 = false;
  for (int k = 0; k < n; k++) {
    if (in[k]->weak) continue;
    if (in[k]->dtype != GENC_F32) return GENC_F64;
    f32 = true;
  }
  return f32 ? GENC_F32 : GENC_F64;
}

static const char *const fused_names[GENC_FUSED_COUNT] = {"normal_logpdf", "gamma_dz_da",
                                                          "gamma_dlogz_da"};

static int fused_arity(genc_fused_op op) { return op == GENC_FUSED_NORMAL_LOGPDF ? 3 : 2; }

static genc_array *fused_fwd(genc_ctx *ctx, genc_array *const *in, const genc_params *p) {
  const char *name = fused_names[p->op];
  int n = fused_arity((genc_fused_op)p->op);
  genc_dtype dt = fused_dtype(n, in);
  genc_array *c[3];
  for (int k = 0; k < n; k++)
    if (!(c[k] = genc__cast_raw(ctx, in[k], dt))) return NULL;
  genc_array *y = genc__nary_out(ctx, name, n, c, dt);
  if (!y || !y->bytes) return y;
  genc_bcast g;
  genc__bcast_plan(y, n, (const genc_array *const *)c, &g);
  ctx->bk->fused3(ctx->bst, (genc_fused_op)p->op, dt, c[0]->data, c[1]->data, c[n - 1]->data,
                  y->data, &g);
  return y;
}

/* z = (x - mu) / sigma: d/dx = -z / sigma, d/dmu = z / sigma, d/dsigma = (z^2 - 1) / sigma */
static genc_status normal_lp_vjp(genc_ctx *ctx, const genc_node *nd, genc_array *g,
                                 genc_array **ic) {
  genc_array *x = nd->in[0], *mu = nd->in[1], *s = nd->in[2];
  genc_array *z = genc_div(ctx, genc_sub(ctx, x, mu), s);
  genc_array *gzs = genc_div(ctx, genc_mul(ctx, g, z), s);
  ic[0] = genc_neg(ctx, gzs);
  ic[1] = gzs;
  ic[2] = genc_div(ctx, genc_mul(ctx, g, genc_sub(ctx, genc_square(ctx, z), 1.0)), s);
  return ic[0] && ic[2] ? GENC_OK : genc_ctx_status(ctx);
}

static const genc_prim normal_lp_prim = {"normal_logpdf", fused_fwd, normal_lp_vjp};
/* no vjp: second derivatives of sampling are not offered (tapes do not nest) */
static const genc_prim gamma_grad_prim = {"gamma_sample_grad", fused_fwd, NULL};

genc_array *genc__normal_logpdf(genc_ctx *ctx, genc_array *x, genc_array *mu, genc_array *sigma) {
  genc_array *in[3] = {x, mu, sigma};
  if (!genc__check_in(ctx, "normal_logpdf", 3, in)) return NULL;
  genc_params p = {.op = GENC_FUSED_NORMAL_LOGPDF};
  return genc__dispatch(ctx, &normal_lp_prim, 3, in, &p);
}

genc_array *genc__gamma_sample_grad(genc_ctx *ctx, genc_array *z, genc_array *alpha, bool lg) {
  genc_array *in[2] = {z, alpha};
  if (!genc__check_in(ctx, "gamma_sample_grad", 2, in)) return NULL;
  genc_params p = {.op = lg ? GENC_FUSED_GAMMA_DLOGZ_DA : GENC_FUSED_GAMMA_DZ_DA};
  return genc__dispatch(ctx, &gamma_grad_prim, 2, in, &p);
}
