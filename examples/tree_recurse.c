/*
 * A random tree written with Recurse: a Galton-Watson branching process,
 * checked against its closed forms.
 *
 *   every node: m ~ Categorical(p0, p1, p2) children, p = (0.6, 0.2, 0.2)
 *
 * The production of a node traces its number of children at "m" and returns
 * one row per child (the child's argument, here unused); the aggregation
 * returns 1 + the sum of the children's values, so the root's value is the
 * tree's size. genc_recurse() places a node's production at "production" and
 * child c's subtree under c: "0/1/production/m" is the count of child 1 of
 * child 0 of the root. The branching is random, so each tree is one
 * single-trace simulate (batched runs need the same m for every particle).
 *
 * Checked: the mean size over R simulated trees against the closed form
 * 1 / (1 - mu) (mu = p1 + 2 p2 the mean offspring), the frequencies of the
 * sizes 1, 2, 3 against their probabilities by enumeration of the trees (size
 * 1: p0; size 2: p1 p0; size 3: p1^2 p0 + p2 p0^2), and assess of one
 * observed tree against the product of its nodes' probabilities (exact).
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "genc.h"

#define R 16000

static const double P[3] = {0.6, 0.2, 0.2};

/* production(v): m ~ Categorical(P); m children, each with argument 0 */
static genc_array *production(genc_rt *rt, genc_array *const *args, void *user) {
  (void)args, (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  double lp[3] = {log(P[0]), log(P[1]), log(P[2])}, m = 0;
  genc_array *k = GENC_TRACE(rt, "m", genc_categorical(ctx, genc_array_vec(ctx, 3, lp)));
  if (!k || genc_array_item(ctx, k, &m)) return NULL;
  int64_t len = (int64_t)m;
  return genc_array_zeros(ctx, GENC_F64, 1, &len, 0);
}

/* aggregation(v, sizes): 1 + the children's sizes */
static genc_array *aggregation(genc_rt *rt, genc_array *const *args, void *user) {
  (void)user;
  genc_ctx *ctx = genc_rt_ctx(rt);
  return genc_add(ctx, genc_sum_all(ctx, args[1]), 1.0);
}

/* log p of the tree: root 2 children; child 0 one child (a leaf); child 1 a
 * leaf: p2 p1 p0 p0, size 4. */
static bool check_assess(genc_ctx *ctx, genc_gf *tree, genc_array *root) {
  const char *addr[4] = {"production/m", "0/production/m", "0/0/production/m", "1/production/m"};
  const int32_t m[4] = {2, 1, 0, 0};
  genc_choicemap *cm = genc_choicemap_new(ctx);
  for (int i = 0; i < 4; i++)
    genc_choicemap_set_str(ctx, cm, addr[i], genc_array_from(ctx, GENC_I32, 0, NULL, 0, &m[i]));
  genc_array *size = NULL;
  genc_array *lp = genc_gf_assess(ctx, tree, &root, cm, &size);
  genc_choicemap_free(cm);
  double exact = log(P[2] * P[1] * P[0] * P[0]), got = NAN, sz = NAN;
  if (!lp || genc_array_item(ctx, lp, &got) || genc_array_item(ctx, size, &sz)) return false;
  bool ok = fabs(got - exact) < 1e-12 && sz == 4;
  printf("assess of an observed tree (4 nodes): log p %.6f, exact %.6f, size %g: %s\n", got, exact,
         sz, ok ? "ok" : "FAILED");
  return ok;
}

int main(void) {
  genc_ctx *ctx = genc_ctx_new_env(NULL);
  if (!ctx) {
    fprintf(stderr, "%s\n", genc_ctx_new_error());
    return 1;
  }
  genc_gf *prod = genc_gf_dynamic("production", production, 1, NULL);
  genc_gf *agg = genc_gf_dynamic("aggregation", aggregation, 2, NULL);
  genc_gf *tree = genc_recurse("gw_tree", prod, agg, GENC_RECURSE_MAX_DEPTH);
  genc_array *root = genc_scalar(ctx, 0.0);
  genc_array_retain(root); /* kept across the per-tree scopes */

  /* R independent trees: sizes and their frequencies */
  double sum = 0, sum2 = 0, count[4] = {0};
  genc_key key = genc_key_from_seed(2029);
  for (int r = 0; r < R; r++) {
    int64_t mark = genc_scope_begin(ctx); /* one scope per tree: memory stays flat */
    genc_trace *t = genc_gf_simulate(ctx, tree, &root, genc_key_fold_in(key, (uint64_t)r), 0);
    double size = NAN;
    if (!t || genc_array_item(ctx, genc_trace_retval(t), &size)) {
      fprintf(stderr, "tree_recurse: %s\n", genc_ctx_error(ctx));
      return 1;
    }
    genc_trace_release(t);
    genc_scope_end(ctx, mark);
    sum += size, sum2 += size * size;
    if (size <= 3) count[(int)size]++;
  }

  /* Each check: the sample mean of R independent draws against the exact
   * value within 4 SE, SE = sample sd / sqrt(R) for the size and
   * sqrt(p (1 - p) / R) for a frequency. */
  double mu = P[1] + 2 * P[2];
  double est[4],
      target[4] = {1 / (1 - mu), P[0], P[1] * P[0], P[1] * P[1] * P[0] + P[2] * P[0] * P[0]};
  double se[4];
  est[0] = sum / R;
  se[0] = sqrt((sum2 / R - est[0] * est[0]) / (R - 1));
  for (int s = 1; s <= 3; s++) {
    est[s] = count[s] / R;
    se[s] = sqrt(target[s] * (1 - target[s]) / R);
  }
  bool ok = true;
  printf("Galton-Watson tree with Recurse on the %s: offspring p = (%.1f, %.1f, %.1f), %d trees\n",
         genc_ctx_device(ctx) == GENC_CUDA ? "GPU" : "CPU", P[0], P[1], P[2], R);
  printf("                  estimate      exact   tolerance (4 SE)\n");
  for (int i = 0; i < 4; i++) {
    char name[32];
    if (i == 0)
      snprintf(name, sizeof name, "mean size");
    else
      snprintf(name, sizeof name, "P(size = %d)", i);
    bool good = fabs(est[i] - target[i]) < 4 * se[i];
    ok = ok && good;
    printf("%-15s %10.4f %10.4f   %9.4f %s\n", name, est[i], target[i], 4 * se[i],
           good ? "ok" : "FAILED");
  }
  ok = check_assess(ctx, tree, root) && ok;
  printf("check against the closed forms: %s\n", ok ? "ok" : "FAILED");

  genc_array_release(root);
  genc_gf_release(tree);
  genc_gf_release(agg);
  genc_gf_release(prod);
  genc_ctx_free(ctx);
  return ok ? 0 : 1;
}
