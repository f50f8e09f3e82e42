/* Stan's unconstraining transforms on host doubles (internal to src/infer). */
#ifndef GENC_INFER_TRANSFORM_H
#define GENC_INFER_TRANSFORM_H

#include "genc/dist.h"

/* One block of theta: m rows of a transform (a simplex of k: k - 1 entries of
 * theta per row; others: one entry per element). lo/hi per element (interval). */
typedef struct ld_block {
  genc_support_kind kind;
  int64_t rows, k;  /* elements = rows * k; simplex rows of k, else k = 1 */
  int64_t off, dim; /* offset and length in theta */
  double *lo, *hi;  /* GENC_SUPPORT_INTERVAL / CIRCLE: per element, else NULL */
} ld_block;

/* Unconstrained entries of theta for elements of a support kind (-1: not supported). */
int64_t genc__tf_dim(genc_support_kind kind, int64_t rows, int64_t k);
/* x = constrain(y); returns log|J|. */
double genc__tf_constrain(const ld_block *b, const double *y, double *x);
/* gy += d/dy [gx . x(y) + log|J|(y)] at y (x = constrain(y) already computed). */
void genc__tf_grad(const ld_block *b, const double *y, const double *x, const double *gx,
                   double *gy);
/* y = unconstrain(x); returns the index of the first element outside the
 * (open) support, or -1. */
int64_t genc__tf_unconstrain(const ld_block *b, const double *x, double *y);

#endif
