/* The shared part of the gradient kernels over a selection (grad_kernel.h). */
#include "infer/grad_kernel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void genc__gk_clear(genc__gk *k) {
  for (int a = 0; k->addr && a < k->naddr; a++)
    free(k->addr[a]);
  free(k->addr), free(k->inv_metric);
  memset(k, 0, sizeof *k);
}

bool genc__gk_init(genc__gk *k, int naddrs, const char *const *addrs, double eps,
                   const double *inv_metric, int64_t metric_dim, bool positive) {
  memset(k, 0, sizeof *k);
  if (naddrs < 1 || !addrs || !(eps > 0) || !isfinite(eps) || (inv_metric && metric_dim < 1))
    return false;
  k->naddr = naddrs, k->eps = eps;
  k->addr = calloc((size_t)naddrs, sizeof *k->addr);
  bool ok = k->addr != NULL;
  for (int a = 0; ok && a < naddrs; a++)
    ok = addrs[a] && (k->addr[a] = strdup(addrs[a]));
  if (ok && inv_metric) {
    k->metric_dim = metric_dim;
    ok = (k->inv_metric = malloc((size_t)metric_dim * sizeof(double))) != NULL;
    for (int64_t i = 0; ok && i < metric_dim; i++)
      ok = ((k->inv_metric[i] = inv_metric[i]) > 0 || !positive) && isfinite(k->inv_metric[i]);
  }
  if (!ok) genc__gk_clear(k);
  return ok;
}
