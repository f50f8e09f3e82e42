/* Argument diffs. */
#include "genc/core.h"

bool genc_argdiff_unchanged(const genc_argdiff *d, int i) {
  return d && i >= 0 && d[i].kind == GENC_DIFF_NO_CHANGE;
}

bool genc_argdiffs_all_unchanged(const genc_argdiff *d, int n) {
  if (n <= 0) return true;
  if (!d) return false;
  for (int i = 0; i < n; i++)
    if (d[i].kind != GENC_DIFF_NO_CHANGE) return false;
  return true;
}

void genc_argdiffs_fill(genc_argdiff *d, int n, genc_argdiff v) {
  for (int i = 0; d && i < n; i++)
    d[i] = v;
}

const char *genc_diff_kind_name(genc_diff_kind k) {
  switch (k) {
  case GENC_DIFF_UNKNOWN: return "unknown";
  case GENC_DIFF_NO_CHANGE: return "no-change";
  case GENC_DIFF_INT: return "int";
  case GENC_DIFF_VECTOR: return "vector";
  }
  return "invalid";
}
