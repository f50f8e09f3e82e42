/* The host log-weight kernels (genc/array.h), the SMC driver's passes over host f64 memory: plain
 * loops the vectorizer turns into SIMD code, exp by glibc's libmvec
 * (vecmath.h: at most 4 ulp from the scalar exp; built with -fno-math-errno,
 * CMakeLists.txt), one clone per ISA picked at load time.
 *
 * Sums and maxima run in HL lanes, element i in lane i mod HL whatever the
 * vector width of the clone, each lane in index order, the lanes combined in
 * lane order: the same bits on every clone that computes the same exps (the
 * AVX2 and AVX-512 variants of libmvec's exp may differ in the last bits),
 * and no dependence on threads (there are none here). */
#include <math.h>
#include <string.h>

#include "genc/array.h"
#include "backend/cpu/vecmath.h"

#define HL 8   /* lanes: one AVX-512 register, two AVX2 ones, four SSE2 ones */
#define HB 512 /* exps per block, kept in L1 between the exp loop and the sums */

GENC_VEC_CLONES double genc_host_logw_add(double *restrict w, const double *restrict v, int64_t n) {
  if (n > 0 && (!w || !v)) return NAN;
  double a[HL];
  for (int l = 0; l < HL; l++)
    a[l] = -INFINITY;
  int64_t i = 0;
  for (; i + HL <= n; i += HL)
    for (int l = 0; l < HL; l++) {
      double x = w[i + l] + v[i + l];
      x = x != x ? -INFINITY : x; /* -inf + inf: a particle of zero weight */
      w[i + l] = x;
      a[l] = x > a[l] ? x : a[l];
    }
  for (; i < n; i++) {
    double x = w[i] + v[i];
    x = x != x ? -INFINITY : x;
    w[i] = x;
    a[i % HL] = x > a[i % HL] ? x : a[i % HL];
  }
  double mx = a[0];
  for (int l = 1; l < HL; l++)
    mx = a[l] > mx ? a[l] : mx;
  return mx;
}

/* HL lanes as one value: GCC and clang lower it to one AVX-512 register, two
 * AVX2 or four SSE2 ones, lane by lane the same IEEE operations (plain lane
 * arrays stayed scalar: the vectorizer does not take a compensated sum's
 * chain of dependent operations for a reduction). */
typedef double lanes __attribute__((vector_size(HL * sizeof(double))));

/* The lane sums of the groups of HL exps at x[0, len), len a multiple of HL:
 * s + c compensated by Knuth's TwoSum (the exact rounding error of s + x,
 * branch-free), q the squares. */
static inline void lane_sums(const double *x, int64_t len, lanes *s, lanes *c, lanes *q) {
  lanes ls = *s, lc = *c, lq = *q;
  for (int64_t i = 0; i < len; i += HL) {
    lanes v;
    memcpy(&v, x + i, sizeof v);
    lanes t = ls + v, z = t - ls;
    lc += (ls - (t - z)) + (v - z);
    ls = t;
    lq += v * v;
  }
  *s = ls, *c = lc, *q = lq;
}

GENC_VEC_CLONES void genc_host_exp_sums(const double *restrict w, int64_t n, double mx,
                                        double *restrict e, double out[2]) {
  if (n > 0 && !w) {
    out[0] = out[1] = NAN;
    return;
  }
  lanes s = {0}, c = {0}, q = {0};
  double buf[HB];
  for (int64_t b = 0; b < n; b += HB) { /* HB is a multiple of HL: lane i mod HL */
    int64_t len = n - b < HB ? n - b : HB, full = len - len % HL;
    double *eb = e ? e + b : buf;
    for (int64_t k = 0; k < len; k++)
      eb[k] = w[b + k] - mx;
    for (int64_t k = 0; k < len; k += 256)
      genc_exp_terms(eb + k, len - k < 256 ? (int)(len - k) : 256);
    lane_sums(eb, full, &s, &c, &q);
    if (full < len) { /* the last group padded with zeros, which change no sum */
      double tail[HL] = {0};
      memcpy(tail, eb + full, (size_t)(len - full) * sizeof *tail);
      lane_sums(tail, HL, &s, &c, &q);
    }
  }
  double ts = 0, tc = 0, tq = 0; /* the lanes in lane order, compensated again */
  for (int l = 0; l < HL; l++) {
    double t = ts + s[l], z = t - ts;
    tc += (ts - (t - z)) + (s[l] - z) + c[l];
    ts = t;
    tq += q[l];
  }
  out[0] = ts + tc, out[1] = tq;
}
