/* Mix: address layout, GFI laws single and batched, and the generate weight
 * against the exact marginal: exactly through assess summed over the
 * components, and in expectation through importance weights; a component
 * change by update keeps the value (Gen.jl's Switch rule). */
#include "gfi_laws.h"

static const double MU[3] = {-2.0, 1.0, 0.0}, SD[3] = {1.0, 0.5, 3.0}, P[3] = {0.2, 0.5, 0.3};

/* component k(m): x ~ N(m + MU[k], SD[k]) */
static genc_array *m_comp(genc_rt *rt, genc_array *const *args, void *u) {
  int k = (int)(intptr_t)u;
  genc_ctx *ctx = genc_rt_ctx(rt);
  return GENC_TRACE(rt, "x", genc_normal(ctx, genc_add(ctx, args[0], MU[k]), SD[k]));
}

typedef struct fixture {
  genc_ctx *ctx;
  genc_gf *c[3], *mix;
  genc_array *logits, *m;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->ctx = t_ctx();
  for (int k = 0; k < 3; k++)
    f->c[k] = genc_gf_dynamic("comp", m_comp, 1, (void *)(intptr_t)k);
  f->mix = genc_mix("mix", 3, f->c);
  double lg[3] = {log(P[0]), log(P[1]), log(P[2])};
  f->logits = genc_array_retain(genc_array_vec(f->ctx, 3, lg));
  f->m = genc_array_retain(genc_scalar(f->ctx, 0.4));
  *state = f;
  return f->mix ? 0 : -1;
}

static int teardown(void **state) {
  fixture *f = *state;
  genc_array_release(f->logits);
  genc_array_release(f->m);
  genc_gf_release(f->mix);
  for (int k = 0; k < 3; k++)
    genc_gf_release(f->c[k]);
  genc_ctx_free(f->ctx);
  free(f);
  return 0;
}

static double normal_lp(double x, double mu, double s) {
  double z = (x - mu) / s;
  return -0.5 * z * z - log(s) - 0.5 * log(2 * M_PI);
}

/* log sum_k P[k] N(v; m + MU[k], SD[k]) */
static double log_marginal(double v, double m) {
  double s = 0;
  for (int k = 0; k < 3; k++)
    s += P[k] * exp(normal_lp(v, m + MU[k], SD[k]));
  return log(s);
}

static void test_layout_and_laws(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_array *args[2] = {f->logits, f->m};
  genc_trace *t = genc_gf_simulate(ctx, f->mix, args, genc_key_from_seed(1), 0);
  T_OK(ctx, t);
  double k = t_item(ctx, genc_trace_get(ctx, t, GENC_PATH(GENC_SYM("component"))));
  double x = t_item(ctx, genc_trace_get(ctx, t, GENC_PATH(GENC_SYM("value"), GENC_SYM("x"))));
  assert_int_equal(genc_choicemap_num_values(genc_trace_choices(ctx, t)), 2);
  T_CLOSE(t_item(ctx, genc_trace_retval(t)), x, 0);
  T_CLOSE(t_item(ctx, genc_trace_score(t)),
          log(P[(int)k]) + normal_lp(x, 0.4 + MU[(int)k], SD[(int)k]), 1e-12);
  genc_trace_release(t);
  genc_selection *sel = genc_selection_new(ctx);
  genc_selection_add_path(ctx, sel, GENC_PATH(GENC_SYM("value"), GENC_SYM("x")));
  for (uint64_t s = 1; s <= 4; s++)
    gl_laws(ctx, f->mix, args, sel, s);
  genc_selection_release(sel);
  gl_batched(ctx, f->mix, args, 6, 51);
}

/* logsumexp over k of assess(component = k, value/x = v) is the marginal, exactly. */
static void test_exact_marginal(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  const double v = 0.7;
  double lse = -INFINITY;
  for (int32_t k = 0; k < 3; k++) {
    genc_choicemap *cm = genc_choicemap_new(ctx);
    genc_choicemap_set(ctx, cm, GENC_SYM("component"), genc_scalar_of(ctx, k, GENC_I32));
    genc_choicemap_set_path(ctx, cm, GENC_PATH(GENC_SYM("value"), GENC_SYM("x")),
                            genc_scalar(ctx, v));
    genc_array *a = genc_gf_assess(ctx, f->mix, (genc_array *[]){f->logits, f->m}, cm, NULL);
    T_OK(ctx, a);
    double l = t_item(ctx, a);
    lse = fmax(lse, l) + log1p(exp(-fabs(lse - l)));
    genc_choicemap_free(cm);
  }
  T_CLOSE(lse, log_marginal(v, 0.4), 1e-12);
}

/* Importance weights of generate with value/x constrained and the component
 * free: exp(w) is unbiased for the marginal; mean within 4 standard errors
 * (SE = sample sd of exp(w) / sqrt(N), N = 20000, fixed seed). */
static void test_is_marginal(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  const int n = 20000;
  const double v = 0.7;
  genc_choicemap *cm = genc_choicemap_new(ctx);
  genc_choicemap_set_path(ctx, cm, GENC_PATH(GENC_SYM("value"), GENC_SYM("x")),
                          genc_scalar(ctx, v));
  genc_array *w = NULL;
  genc_trace *t = genc_gf_generate(ctx, f->mix, (genc_array *[]){f->logits, f->m}, cm,
                                   genc_key_from_seed(61), n, &w);
  T_OK(ctx, t);
  double *ws = malloc(n * sizeof *ws), s = 0, s2 = 0;
  T_OK(ctx, !genc_array_copy_out(ctx, w, ws, n));
  for (int i = 0; i < n; i++)
    s += exp(ws[i]), s2 += exp(2 * ws[i]);
  double mean = s / n, se = sqrt((s2 / n - mean * mean) / n), exact = exp(log_marginal(v, 0.4));
  if (fabs(mean - exact) > 4 * se) fail_msg("IS mean %g, exact %g, se %g", mean, exact, se);
  free(ws);
  genc_trace_release(t);
  genc_choicemap_free(cm);
}

/* Changing the component by update (the Switch under "value" changes index,
 * Gen.jl's rule): value/x keeps its value, so w is the exact Gibbs ratio
 * log P[j] N(x; m + MU[j], SD[j]) - log P[k] N(x; m + MU[k], SD[k]); the
 * discard holds only the old component. */
static void test_component_change(void **state) {
  fixture *f = *state;
  genc_ctx *ctx = f->ctx;
  genc_array *args[2] = {f->logits, f->m};
  genc_trace *t = genc_gf_simulate(ctx, f->mix, args, genc_key_from_seed(50), 0);
  T_OK(ctx, t);
  int k = (int)genc_trace_get_double(ctx, t, "component"), j = (k + 1) % 3;
  double x = genc_trace_get_double(ctx, t, "value/x");
  int32_t jv = j;
  genc_choicemap *cons = genc_choicemap_new(ctx), *disc = NULL;
  genc_choicemap_set_str(ctx, cons, "component", genc_array_from(ctx, GENC_I32, 0, NULL, 0, &jv));
  genc_array *w = NULL;
  genc_trace *u = genc_gf_update(ctx, t, NULL, NULL, cons, genc_key_from_seed(51), &w, &disc);
  T_OK(ctx, u);
  T_CLOSE(genc_trace_get_double(ctx, u, "value/x"), x, 0);
  T_CLOSE(genc_trace_get_double(ctx, u, "component"), j, 0);
  T_CLOSE(t_item(ctx, w),
          log(P[j]) + normal_lp(x, 0.4 + MU[j], SD[j]) - log(P[k]) -
              normal_lp(x, 0.4 + MU[k], SD[k]),
          1e-12);
  assert_int_equal(genc_choicemap_num_values(disc), 1);
  T_CLOSE(t_item(ctx, genc_choicemap_get_str(ctx, disc, "component")), k, 0);
  genc_choicemap_free(disc);
  genc_choicemap_free(cons);
  genc_trace_release(u);
  genc_trace_release(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layout_and_laws),
      cmocka_unit_test(test_exact_marginal),
      cmocka_unit_test(test_is_marginal),
      cmocka_unit_test(test_component_change),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
