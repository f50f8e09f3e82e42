/* Stan's transforms (Stan Reference Manual, "Constraint transforms"): log for
 * positive values, logit for the unit interval, scaled logit for intervals,
 * stick-breaking with the log(K - k) offset for simplexes; each with the log
 * absolute Jacobian determinant that makes the unconstrained density proper. */
#include <math.h>

#include "infer/transform.h"

static double inv_logit(double y) {
  return y >= 0 ? 1.0 / (1.0 + exp(-y)) : exp(y) / (1.0 + exp(y));
}
/* log(s (1 - s)) for s = inv_logit(y), stable for large |y|. */
static double log_sig_1m(double y) { return -fabs(y) - 2.0 * log1p(exp(-fabs(y))); }

int64_t genc__tf_dim(genc_support_kind kind, int64_t rows, int64_t k) {
  switch (kind) {
  case GENC_SUPPORT_REAL:
  case GENC_SUPPORT_POSITIVE:
  case GENC_SUPPORT_NONNEGATIVE:
  case GENC_SUPPORT_UNIT_INTERVAL:
  case GENC_SUPPORT_INTERVAL:
  case GENC_SUPPORT_CIRCLE: return rows * k;
  case GENC_SUPPORT_SIMPLEX: return k >= 1 ? rows * (k - 1) : -1;
  default: return -1;
  }
}

static double simplex_constrain(int64_t k, const double *y, double *x) {
  double stick = 1.0, lj = 0.0;
  for (int64_t i = 0; i < k - 1; i++) {
    double a = y[i] - log((double)(k - 1 - i)), z = inv_logit(a);
    x[i] = stick * z;
    lj += log_sig_1m(a) + log(stick);
    stick -= x[i];
  }
  x[k - 1] = stick;
  return lj;
}

double genc__tf_constrain(const ld_block *b, const double *y, double *x) {
  double lj = 0.0;
  int64_t n = b->rows * b->k;
  if (b->kind == GENC_SUPPORT_SIMPLEX) {
    for (int64_t r = 0; r < b->rows; r++)
      lj += simplex_constrain(b->k, y + r * (b->k - 1), x + r * b->k);
    return lj;
  }
  for (int64_t i = 0; i < n; i++) {
    switch (b->kind) {
    case GENC_SUPPORT_POSITIVE:
    case GENC_SUPPORT_NONNEGATIVE:
      x[i] = exp(y[i]);
      lj += y[i];
      break;
    case GENC_SUPPORT_UNIT_INTERVAL:
      x[i] = inv_logit(y[i]);
      lj += log_sig_1m(y[i]);
      break;
    case GENC_SUPPORT_INTERVAL:
    case GENC_SUPPORT_CIRCLE:
      x[i] = b->lo[i] + (b->hi[i] - b->lo[i]) * inv_logit(y[i]);
      lj += log(b->hi[i] - b->lo[i]) + log_sig_1m(y[i]);
      break;
    default: x[i] = y[i];
    }
  }
  return lj;
}

/* Reverse sweep of simplex_constrain for one row (see the forward pass). */
static void simplex_grad(int64_t k, const double *y, const double *x, const double *gx,
                         double *gy) {
  double gs = gx[k - 1], stick = x[k - 1]; /* adjoint and value of stick_{i+1} */
  for (int64_t i = k - 2; i >= 0; i--) {
    double st = stick + x[i]; /* stick_i */
    double a = y[i] - log((double)(k - 1 - i)), z = inv_logit(a);
    double gz = gx[i] * st - gs * st + (1.0 - 2.0 * z) / (z * (1.0 - z));
    gy[i] += gz * z * (1.0 - z);
    gs = gx[i] * z + gs * (1.0 - z) + 1.0 / st;
    stick = st;
  }
}

void genc__tf_grad(const ld_block *b, const double *y, const double *x, const double *gx,
                   double *gy) {
  if (b->kind == GENC_SUPPORT_SIMPLEX) {
    for (int64_t r = 0; r < b->rows; r++)
      simplex_grad(b->k, y + r * (b->k - 1), x + r * b->k, gx + r * b->k, gy + r * (b->k - 1));
    return;
  }
  for (int64_t i = 0; i < b->rows * b->k; i++) {
    double s;
    switch (b->kind) {
    case GENC_SUPPORT_POSITIVE:
    case GENC_SUPPORT_NONNEGATIVE: gy[i] += gx[i] * x[i] + 1.0; break;
    case GENC_SUPPORT_UNIT_INTERVAL: gy[i] += gx[i] * x[i] * (1.0 - x[i]) + 1.0 - 2.0 * x[i]; break;
    case GENC_SUPPORT_INTERVAL:
    case GENC_SUPPORT_CIRCLE:
      s = inv_logit(y[i]);
      gy[i] += gx[i] * (b->hi[i] - b->lo[i]) * s * (1.0 - s) + 1.0 - 2.0 * s;
      break;
    default: gy[i] += gx[i];
    }
  }
}

int64_t genc__tf_unconstrain(const ld_block *b, const double *x, double *y) {
  if (b->kind == GENC_SUPPORT_SIMPLEX) {
    for (int64_t r = 0; r < b->rows; r++) {
      const double *xr = x + r * b->k;
      double stick = 1.0;
      for (int64_t i = 0; i < b->k - 1; i++) {
        double z = xr[i] / stick;
        if (!(z > 0 && z < 1)) return r * b->k + i;
        y[r * (b->k - 1) + i] = log(z / (1 - z)) + log((double)(b->k - 1 - i));
        stick -= xr[i];
      }
      if (!(xr[b->k - 1] > 0)) return r * b->k + b->k - 1;
    }
    return -1;
  }
  for (int64_t i = 0; i < b->rows * b->k; i++) {
    double u;
    switch (b->kind) {
    case GENC_SUPPORT_POSITIVE:
    case GENC_SUPPORT_NONNEGATIVE:
      if (!(x[i] > 0 && isfinite(x[i]))) return i;
      y[i] = log(x[i]);
      break;
    case GENC_SUPPORT_UNIT_INTERVAL:
      if (!(x[i] > 0 && x[i] < 1)) return i;
      y[i] = log(x[i] / (1 - x[i]));
      break;
    case GENC_SUPPORT_INTERVAL:
    case GENC_SUPPORT_CIRCLE:
      u = (x[i] - b->lo[i]) / (b->hi[i] - b->lo[i]);
      if (!(u > 0 && u < 1)) return i;
      y[i] = log(u / (1 - u));
      break;
    default:
      if (!isfinite(x[i])) return i;
      y[i] = x[i];
    }
  }
  return -1;
}
