/* Special functions the diagnostics need, computed as R computes them so that
 * rank normalization agrees with posterior's z_scale to rounding: the normal
 * quantile is Wichura's algorithm AS 241 (PPND16), R's qnorm. */
#include <math.h>

#include "infer/diag.h"

static double poly8(const double *c, double r) {
  double v = c[7];
  for (int i = 6; i >= 0; i--)
    v = v * r + c[i];
  return v;
}

double genc__diag_qnorm(double p) {
  static const double a[8] = {3.387132872796366608,  133.14166789178437745, 1971.5909503065514427,
                              13731.693765509461125, 45921.953931549871457, 67265.770927008700853,
                              33430.575583588128105, 2509.0809287301226727};
  static const double b[8] = {1.,
                              42.313330701600911252,
                              687.1870074920579083,
                              5394.1960214247511077,
                              21213.794301586595867,
                              39307.89580009271061,
                              28729.085735721942674,
                              5226.495278852545925};
  static const double c[8] = {1.42343711074968357734,  4.6303378461565452959,
                              5.7694972214606914055,   3.64784832476320460504,
                              1.27045825245236838258,  .24178072517745061177,
                              .0227238449892691845833, 7.7454501427834140764e-4};
  static const double d[8] = {1.,
                              2.05319162663775882187,
                              1.6763848301838038494,
                              .68976733498510000455,
                              .14810397642748007459,
                              .0151986665636164571966,
                              5.475938084995344946e-4,
                              1.05075007164441684324e-9};
  static const double e[8] = {6.6579046435011037772,     5.4637849111641143699,
                              1.7848265399172913358,     .29656057182850489123,
                              .026532189526576123093,    .0012426609473880784386,
                              2.71155556874348757815e-5, 2.01033439929228813265e-7};
  static const double f[8] = {1.,
                              .59983220655588793769,
                              .13692988092273580531,
                              .0148753612908506148525,
                              7.868691311456132591e-4,
                              1.8463183175100546818e-5,
                              1.4215117583164458887e-7,
                              2.04426310338993978564e-15};
  if (isnan(p) || p < 0 || p > 1) return NAN;
  if (p == 0) return -INFINITY;
  if (p == 1) return INFINITY;
  double q = p - 0.5;
  if (fabs(q) <= .425) {
    double r = .180625 - q * q;
    return q * poly8(a, r) / poly8(b, r);
  }
  double r = sqrt(-log(q < 0 ? p : 0.5 - p + 0.5));
  double v = r <= 5. ? poly8(c, r - 1.6) / poly8(d, r - 1.6) : poly8(e, r - 5.) / poly8(f, r - 5.);
  return q < 0 ? -v : v;
}

/* Continued fraction of the regularized incomplete beta (modified Lentz). */
static double betacf(double x, double a, double b) {
  const double tiny = 1e-300, eps = 1e-16;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  d = 1 / (fabs(d) < tiny ? tiny : d);
  double h = d;
  for (int m = 1; m < 100000; m++) {
    double m2 = 2.0 * m, aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    for (int k = 0; k < 2; k++) {
      d = 1 + aa * d;
      d = 1 / (fabs(d) < tiny ? tiny : d);
      c = 1 + aa / c;
      if (fabs(c) < tiny) c = tiny;
      h *= d * c;
      if (k == 0) aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    }
    if (fabs(d * c - 1) < eps) break;
  }
  return h;
}

/* Regularized incomplete beta I_x(a, b). */
static double pbeta(double x, double a, double b) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  double lf = a * log(x) + b * log1p(-x) - (lgamma(a) + lgamma(b) - lgamma(a + b));
  if (x < (a + 1) / (a + b + 2)) return exp(lf) * betacf(x, a, b) / a;
  return 1 - exp(lf) * betacf(1 - x, b, a) / b;
}

double genc__diag_qbeta(double p, double a, double b) {
  /* bisection: I_x is monotone in x; 200 halvings reach the spacing of doubles */
  double lo = 0, hi = 1;
  for (int i = 0; i < 200 && hi - lo > 0; i++) {
    double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (pbeta(mid, a, b) < p)
      lo = mid;
    else
      hi = mid;
  }
  return 0.5 * (lo + hi);
}
