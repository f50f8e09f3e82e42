/* What the gradient kernels over a selection (hmc_kernel.c, nuts_kernel.c)
 * both hold: the selected addresses, the step size and an optional inverse
 * metric, copied from the user's options. */
#ifndef GENC_INFER_GRAD_KERNEL_H
#define GENC_INFER_GRAD_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

typedef struct genc__gk {
  int naddr;
  char **addr;
  double eps;
  double *inv_metric; /* metric_dim values, or NULL: ones */
  int64_t metric_dim;
} genc__gk;

/* Copy the addresses and the metric into k (zeroed first). Every metric value
 * must be finite, and > 0 when @p positive (a diagonal; a dense metric is
 * checked when first factored). false on bad input or NOMEM, k cleared. */
bool genc__gk_init(genc__gk *k, int naddrs, const char *const *addrs, double eps,
                   const double *inv_metric, int64_t metric_dim, bool positive);
/* Free what k holds. */
void genc__gk_clear(genc__gk *k);

#endif
