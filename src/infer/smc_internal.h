/* What the SMC drivers (smc.c, smc_seq.c, tempered.c, csmc.c) share inside the library. */
#ifndef GENC_INFER_SMC_INTERNAL_H
#define GENC_INFER_SMC_INTERNAL_H

#include <stdint.h>

/* Add the incremental log weights v to the normalized log weights w (n of
 * them, host f64): returns the log normalizer log sum_i exp(w_i + v_i), -inf
 * when every particle has weight zero, and leaves w normalized and the ESS
 * 1 / sum W_i^2 in *ess (smc.c). */
double genc__smc_reweight(double *w, const double *v, int64_t n, double *ess);

#endif
