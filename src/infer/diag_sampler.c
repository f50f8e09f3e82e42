/* Sampler diagnostics of one chain: E-BFMI (rstan::get_bfmi), acceptance,
 * divergences and tree depth hits (CmdStan's diagnose). */
#include <math.h>
#include <stdlib.h>

#include "infer/diag.h"

genc_status genc_diag_ebfmi(genc_ctx *ctx, const double *energy, int64_t n, double *ebfmi) {
  if (!energy || !ebfmi || n < 1)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_diag_ebfmi: energy %s, ebfmi %s, n = %lld",
                         energy ? "given" : "NULL", ebfmi ? "given" : "NULL", (long long)n);
  long double num = 0;
  for (int64_t i = 1; i < n; i++)
    num += (energy[i] - energy[i - 1]) * (energy[i] - energy[i - 1]);
  *ebfmi = (double)(num / n) / genc__diag_var(energy, n);
  return GENC_OK;
}

genc_status genc_diag_summarize_sampler(genc_ctx *ctx, const genc_sampler_stats *stats, int64_t n,
                                        int max_depth, genc_diag_sampler_summary *out) {
  const char *fn = "genc_diag_summarize_sampler";
  if (!stats || !out || n < 1 || max_depth < 1)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "%s: stats %s, out %s, n = %lld, max_depth = %d", fn,
                         stats ? "given" : "NULL", out ? "given" : "NULL", (long long)n, max_depth);
  double *energy = malloc((size_t)n * sizeof *energy);
  if (!energy)
    return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "%s: no memory for %lld energies", fn, (long long)n);
  long double acc = 0, leap = 0;
  *out = (genc_diag_sampler_summary){0};
  for (int64_t i = 0; i < n; i++) {
    acc += stats[i].accept_stat;
    leap += (double)stats[i].n_leapfrog;
    out->ndivergent += stats[i].divergent != 0;
    out->nmax_depth += stats[i].treedepth >= max_depth;
    energy[i] = stats[i].energy;
  }
  out->accept_mean = (double)(acc / n);
  out->leapfrog_mean = (double)(leap / n);
  genc_status st = genc_diag_ebfmi(ctx, energy, n, &out->ebfmi);
  free(energy);
  return st;
}
