/* Names of the support kinds a distribution type declares (genc_dist_type.support). */
#include "genc/dist.h"

const char *genc_support_name(genc_support_kind kind) {
  static const char *const names[] = {[GENC_SUPPORT_UNKNOWN] = "undeclared",
                                      [GENC_SUPPORT_REAL] = "real",
                                      [GENC_SUPPORT_POSITIVE] = "positive",
                                      [GENC_SUPPORT_NONNEGATIVE] = "nonnegative",
                                      [GENC_SUPPORT_UNIT_INTERVAL] = "unit interval",
                                      [GENC_SUPPORT_INTERVAL] = "interval",
                                      [GENC_SUPPORT_CIRCLE] = "circle [-pi, pi)",
                                      [GENC_SUPPORT_SIMPLEX] = "simplex",
                                      [GENC_SUPPORT_COV_MATRIX] = "positive-definite matrix",
                                      [GENC_SUPPORT_DISCRETE] = "discrete",
                                      [GENC_SUPPORT_OTHER] = "other"};
  if ((int)kind < 0 || (int)kind > (int)GENC_SUPPORT_OTHER) return "invalid";
  return names[kind];
}
