/* Draws written as CmdStan's CSV: its comment header (the lines
 * rstan::read_stan_csv parses), sampler columns, parameters with CmdStan's
 * index names in column-major order, optional log_lik columns, the adaptation
 * block and the timing footer. Values at 17 significant digits round-trip. */
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "genc/infer.h"

struct genc_stan_csv {
  FILE *f;
  bool owned; /* opened here from a path */
  int nparams;
  int64_t nvalues, nloglik;
  int64_t *perm; /* column j takes values[perm[j]] (column-major from row-major) */
  double warmup_s, sampling_s;
};

static const char *fn_open = "genc_stan_csv_open";

/* A Stan identifier: rstan reads columns with read.csv, which rewrites any
 * other name (theta/1 becomes theta.1, an index). */
static bool is_identifier(const char *s) {
  if (!s || !isalpha((unsigned char)s[0])) return false;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_') return false;
  return true;
}

static genc_status check_params(genc_ctx *ctx, int np, const genc_stan_csv_param *p,
                                int64_t *total) {
  *total = 0;
  if (np < 0 || (np > 0 && !p))
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: nparams = %d with params %s", fn_open, np,
                         p ? "given" : "NULL");
  for (int i = 0; i < np; i++) {
    if (!is_identifier(p[i].name))
      return genc_ctx_fail(ctx, GENC_ERR_ARG,
                           "%s: parameter %d has name '%s', not an identifier (a letter, then "
                           "letters, digits or _)",
                           fn_open, i, p[i].name ? p[i].name : "(NULL)");
    if (p[i].ndim < 0 || p[i].ndim > GENC_MAX_DIMS)
      return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: parameter '%s' has ndim = %d", fn_open,
                           p[i].name, p[i].ndim);
    int64_t size = 1;
    for (int d = 0; d < p[i].ndim; d++) {
      if (p[i].shape[d] < 1 || p[i].shape[d] > (INT64_MAX >> 20) / size)
        return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: parameter '%s' has shape[%d] = %lld", fn_open,
                             p[i].name, d, (long long)p[i].shape[d]);
      size *= p[i].shape[d];
    }
    *total += size;
  }
  return GENC_OK;
}

/* The CmdStan comment header: the run's configuration, one key per line. */
static void write_config(FILE *f, const genc_stan_csv_config *c) {
  int64_t ns = c->num_samples ? c->num_samples : 1000, nw = c->num_warmup;
  fprintf(f,
          "# stan_version_major = 2\n# stan_version_minor = 32\n# stan_version_patch = 2\n"
          "# model = %s\n# method = sample (Default)\n#   sample\n"
          "#     num_samples = %lld\n#     num_warmup = %lld\n#     save_warmup = 0\n"
          "#     thin = %lld\n#     adapt\n#       engaged = %d\n",
          c->model ? c->model : "genc_model", (long long)ns, (long long)nw,
          (long long)(c->thin ? c->thin : 1), nw > 0);
  fprintf(f,
          "#     algorithm = hmc (Default)\n#       hmc\n#         engine = %s\n"
          "#           %s\n#             max_depth = %d\n#         metric = %s\n"
          "#     num_chains = 1 (Default)\n# id = %d\n# random\n#   seed = %llu\n"
          "# output\n#   sig_figs = 17\n# generator = genc\n",
          c->engine ? c->engine : "nuts", c->engine ? c->engine : "nuts",
          c->max_depth ? c->max_depth : 10, c->metric ? c->metric : "diag_e",
          c->chain_id ? c->chain_id : 1, (unsigned long long)c->seed);
}

/* One value as CmdStan writes it: nan, inf, -inf, else 17 significant digits. */
static void put_value(FILE *f, double v) {
  if (isnan(v))
    fputs("nan", f);
  else if (isinf(v))
    fputs(v > 0 ? "inf" : "-inf", f);
  else
    fprintf(f, "%.17g", v);
}

/* Column names of one parameter, first index fastest, and the row-major
 * offset of each column into perm. */
static void write_names(FILE *f, const genc_stan_csv_param *p, int64_t base, int64_t *perm) {
  int64_t size = 1, idx[GENC_MAX_DIMS] = {0};
  for (int d = 0; d < p->ndim; d++)
    size *= p->shape[d];
  for (int64_t j = 0; j < size; j++) {
    fprintf(f, ",%s", p->name);
    int64_t off = 0;
    for (int d = 0; d < p->ndim; d++) {
      fprintf(f, ".%lld", (long long)idx[d] + 1);
      off = off * p->shape[d] + idx[d];
    }
    perm[base + j] = base + off;
    for (int d = 0; d < p->ndim && ++idx[d] == p->shape[d]; d++)
      idx[d] = 0;
  }
}

static void write_adaptation(FILE *f, const genc_stan_csv_config *c) {
  if (!(c->stepsize > 0)) return;
  fputs("# Adaptation terminated\n# Step size = ", f);
  put_value(f, c->stepsize);
  fputc('\n', f);
  if (!c->inv_metric || c->inv_metric_dim < 1) return;
  bool dense = c->metric && !strcmp(c->metric, "dense_e");
  fputs(dense ? "# Elements of inverse mass matrix:\n"
              : "# Diagonal elements of inverse mass "
                "matrix:\n",
        f);
  int64_t n = c->inv_metric_dim;
  for (int64_t r = 0; r < (dense ? n : 1); r++) {
    fputs("# ", f);
    for (int64_t j = 0; j < n; j++) {
      if (j) fputs(", ", f);
      put_value(f, c->inv_metric[r * (dense ? n : 0) + j]);
    }
    fputc('\n', f);
  }
}

genc_stan_csv *genc_stan_csv_open(genc_ctx *ctx, FILE *f, const char *path,
                                  const genc_stan_csv_config *cfg, int nparams,
                                  const genc_stan_csv_param *params, int64_t nloglik) {
  static const genc_stan_csv_config defaults = {0};
  const genc_stan_csv_config *c = cfg ? cfg : &defaults;
  int64_t nvalues = 0;
  if (!f && !path) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: neither a stream nor a path given", fn_open);
    return NULL;
  }
  if (nloglik < 0 || c->num_samples < 0 || c->num_warmup < 0 || c->thin < 0 ||
      (c->inv_metric_dim > 0 && !c->inv_metric)) {
    genc_ctx_fail(ctx, GENC_ERR_ARG,
                  "%s: nloglik = %lld, num_samples = %lld, num_warmup = %lld, thin = %lld, "
                  "inv_metric %s of dim %lld",
                  fn_open, (long long)nloglik, (long long)c->num_samples, (long long)c->num_warmup,
                  (long long)c->thin, c->inv_metric ? "given" : "NULL",
                  (long long)c->inv_metric_dim);
    return NULL;
  }
  if (check_params(ctx, nparams, params, &nvalues)) return NULL;
  genc_stan_csv *w = calloc(1, sizeof *w);
  int64_t *perm = malloc((size_t)(nvalues ? nvalues : 1) * sizeof *perm);
  if (!w || !perm) {
    free(w);
    free(perm);
    genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory for %lld columns", fn_open,
                  (long long)nvalues);
    return NULL;
  }
  *w = (genc_stan_csv){f,       false, nparams,           nvalues,
                       nloglik, perm,  c->warmup_seconds, c->sampling_seconds};
  if (!f && !(w->f = fopen(path, "w"))) {
    free(perm);
    free(w);
    genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: cannot open '%s' for writing", fn_open, path);
    return NULL;
  }
  w->owned = !f;
  write_config(w->f, c);
  fputs("lp__,accept_stat__,stepsize__,treedepth__,n_leapfrog__,divergent__,energy__", w->f);
  int64_t base = 0;
  for (int i = 0; i < nparams; i++) {
    write_names(w->f, &params[i], base, perm);
    int64_t size = 1;
    for (int d = 0; d < params[i].ndim; d++)
      size *= params[i].shape[d];
    base += size;
  }
  for (int64_t i = 0; i < nloglik; i++)
    fprintf(w->f, ",log_lik.%lld", (long long)i + 1);
  fputc('\n', w->f);
  write_adaptation(w->f, c);
  if (ferror(w->f)) {
    genc_stan_csv_close(ctx, w);
    genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: write error on '%s'", fn_open, path ? path : "stream");
    return NULL;
  }
  return w;
}

int64_t genc_stan_csv_nvalues(const genc_stan_csv *csv) { return csv ? csv->nvalues : 0; }

genc_status genc_stan_csv_write(genc_ctx *ctx, genc_stan_csv *csv, const genc_sampler_stats *s,
                                const double *values, const double *loglik) {
  if (!csv || !s || (csv->nvalues && !values) || (csv->nloglik && !loglik))
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_stan_csv_write: %s is NULL",
                         !csv      ? "csv"
                         : !s      ? "sampler"
                         : !values ? "values"
                                   : "loglik");
  FILE *f = csv->f;
  double head[3] = {s->lp, s->accept_stat, s->stepsize};
  for (int i = 0; i < 3; i++) {
    put_value(f, head[i]);
    fputc(',', f);
  }
  fprintf(f, "%d,%lld,%d,", s->treedepth, (long long)s->n_leapfrog, s->divergent);
  put_value(f, s->energy);
  for (int64_t j = 0; j < csv->nvalues; j++) {
    fputc(',', f);
    put_value(f, values[csv->perm[j]]);
  }
  for (int64_t j = 0; j < csv->nloglik; j++) {
    fputc(',', f);
    put_value(f, loglik[j]);
  }
  fputc('\n', f);
  if (ferror(f)) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_stan_csv_write: write error");
  return GENC_OK;
}

genc_status genc_stan_csv_close(genc_ctx *ctx, genc_stan_csv *csv) {
  if (!csv) return GENC_OK;
  FILE *f = csv->f;
  fprintf(f,
          "# \n#  Elapsed Time: %g seconds (Warm-up)\n#                %g seconds (Sampling)\n"
          "#                %g seconds (Total)\n# \n",
          csv->warmup_s, csv->sampling_s, csv->warmup_s + csv->sampling_s);
  bool bad = fflush(f) != 0 || ferror(f);
  if (csv->owned) bad |= fclose(f) != 0;
  free(csv->perm);
  free(csv);
  if (bad) return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_stan_csv_close: write error");
  return GENC_OK;
}
