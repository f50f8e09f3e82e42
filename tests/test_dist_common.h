/* Helpers shared by the tests/test_dist_*.c programs: fixtures (cJSON) to arrays,
 * and distributions built by name from fixture parameters. */
#ifndef GENC_TEST_DIST_COMMON_H
#define GENC_TEST_DIST_COMMON_H

#include <cjson/cJSON.h>

#include "testutil.h"

/* Parse a fixture file; fails the test if it cannot be read. */
static inline cJSON *td_load(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", GENC_FIXTURES, name);
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)len + 1);
  size_t got = fread(buf, 1, (size_t)len, f);
  buf[got] = 0;
  fclose(f);
  cJSON *j = cJSON_Parse(buf);
  free(buf);
  if (!j) fail_msg("cannot parse %s", path);
  return j;
}

/* A number, or "inf" / "-inf" / "nan". */
static inline double td_num(const cJSON *j) {
  if (cJSON_IsNumber(j)) return j->valuedouble;
  const char *s = cJSON_GetStringValue(j);
  if (s && !strcmp(s, "inf")) return INFINITY;
  if (s && !strcmp(s, "-inf")) return -INFINITY;
  return NAN;
}

/* Shape of a nested list; returns the rank. */
static inline int td_shape(const cJSON *j, int64_t *shape) {
  int nd = 0;
  while (cJSON_IsArray(j)) {
    shape[nd++] = cJSON_GetArraySize(j);
    j = j->child;
  }
  return nd;
}

static inline void td_flatten(const cJSON *j, double *out, int64_t *k) {
  if (!cJSON_IsArray(j)) {
    out[(*k)++] = td_num(j);
    return;
  }
  for (const cJSON *c = j->child; c; c = c->next)
    td_flatten(c, out, k);
}

/* A fixture value as an array of dtype dt (f64 or f32). */
static inline genc_array *td_array(genc_ctx *ctx, const cJSON *j, genc_dtype dt) {
  int64_t shape[GENC_MAX_DIMS], k = 0, size = 1;
  int nd = td_shape(j, shape);
  for (int d = 0; d < nd; d++)
    size *= shape[d];
  double *buf = malloc((size_t)size * sizeof *buf);
  td_flatten(j, buf, &k);
  genc_array *a = genc_array_from(ctx, GENC_F64, nd, shape, 0, buf);
  free(buf);
  return dt == GENC_F64 ? a : genc_astype(ctx, a, dt);
}

typedef genc_dist (*td_ctor1)(genc_ctx *, genc_array *);
typedef genc_dist (*td_ctor2)(genc_ctx *, genc_array *, genc_array *);
typedef genc_dist (*td_ctor3)(genc_ctx *, genc_array *, genc_array *, genc_array *);
typedef genc_dist (*td_ctor4)(genc_ctx *, genc_array *, genc_array *, genc_array *, genc_array *);

typedef struct td_entry {
  const char *name;
  int np;
  void (*fn)(void);
} td_entry;

#define TD(name, np)                                                                               \
  { #name, np, (void (*)(void))genc_##name }
static const td_entry td_table[] = {
    TD(normal, 2),
    TD(broadcasted_normal, 2),
    TD(uniform, 2),
    TD(bernoulli, 1),
    TD(beta, 2),
    TD(gamma, 2),
    TD(exponential, 1),
    TD(categorical, 1),
    TD(poisson, 1),
    TD(laplace, 2),
    TD(student_t, 3),
    TD(lognormal, 2),
    TD(mvnormal, 2),
    TD(mvnormal_chol, 2),
    TD(dirichlet, 1),
    TD(delta, 1),
    TD(cauchy, 2),
    TD(inv_gamma, 2),
    TD(geometric, 1),
    TD(neg_binomial, 2),
    TD(binomial, 2),
    TD(discrete_uniform, 2),
    TD(truncated_normal, 4),
    TD(piecewise_uniform, 2),
    TD(beta_uniform, 3),
    TD(wishart, 2),
    TD(inv_wishart, 2),
    TD(von_mises, 2),
};
#undef TD

/* Storage a mixture keeps pointing at while it is used. */
typedef struct td_mix {
  genc_dist comps[2];
  genc_mixture_comps mc;
} td_mix;

/* Build the distribution a fixture names from parameter arrays p. The mixture
 * fixture is [log_weights, mu1, sigma1, mu2, sigma2] over two normals. */
static inline genc_dist td_make(genc_ctx *ctx, const char *name, genc_array **p, td_mix *mix) {
  if (!strcmp(name, "mixture")) {
    mix->comps[0] = genc_normal(ctx, p[1], p[2]);
    mix->comps[1] = genc_normal(ctx, p[3], p[4]);
    mix->mc.k = 2;
    mix->mc.comps = mix->comps;
    return genc_mixture(ctx, &mix->mc, p[0]);
  }
  for (size_t i = 0; i < sizeof td_table / sizeof td_table[0]; i++) {
    const td_entry *e = &td_table[i];
    if (strcmp(e->name, name)) continue;
    switch (e->np) {
    case 1: return ((td_ctor1)e->fn)(ctx, p[0]);
    case 2: return ((td_ctor2)e->fn)(ctx, p[0], p[1]);
    case 3: return ((td_ctor3)e->fn)(ctx, p[0], p[1], p[2]);
    default: return ((td_ctor4)e->fn)(ctx, p[0], p[1], p[2], p[3]);
    }
  }
  fail_msg("unknown distribution %s", name);
  return (genc_dist){0};
}

/* Build from a fixture case's "params" list (dtype dt). */
static inline genc_dist td_make_json(genc_ctx *ctx, const cJSON *c, genc_dtype dt, td_mix *mix) {
  genc_array *p[8] = {0};
  int i = 0;
  const cJSON *ps = cJSON_GetObjectItem(c, "params");
  for (const cJSON *q = ps->child; q && i < 8; q = q->next)
    p[i++] = td_array(ctx, q, dt);
  return td_make(ctx, cJSON_GetStringValue(cJSON_GetObjectItem(c, "dist")), p, mix);
}

#endif
