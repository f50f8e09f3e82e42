/*
 * Special functions in double precision, written once for every backend: plain
 * C on the CPU, __host__ __device__ under nvcc, so that both backends compute
 * the same values.
 */
#ifndef GENC_SPECFUN_H
#define GENC_SPECFUN_H

#include <math.h>

#ifdef __CUDACC__
#define GENC_HD __host__ __device__ static inline
#else
#define GENC_HD static inline
#endif

GENC_HD double genc_sf_sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + exp(-x));
  double e = exp(x);
  return e / (1.0 + e);
}

/* log(1 + e^x) without overflow or loss for large |x| */
GENC_HD double genc_sf_softplus(double x) {
  if (x > 33.3) return x + exp(-x);
  if (x < -37.0) return exp(x);
  return log1p(exp(x));
}

GENC_HD double genc_sf_log_sigmoid(double x) { return -genc_sf_softplus(-x); }

/* log N(x; mu, sigma) = -z^2/2 - (log sigma + log(2 pi)/2), z = (x - mu) / sigma.
 * Standardizing first keeps it exact far in the tails (no cancellation at 40
 * sigma) and for tiny sigma (sigma^2 would underflow). lsig = log sigma and
 * isig = 1 / sigma are passed in so that a loop over a shared sigma takes the
 * log and the division once: z is (x - mu) times isig, a product where a
 * division per element cost a vector divide (on a Xeon about 40% of a compiled
 * B1 replay). Every backend and path passes isig = 1.0 / sigma, so they agree.
 * Only a subnormal sigma (below 1 / DBL_MAX, where isig overflows) divides.
 * It is computed from h = z / 2 as fma(-2, h^2, -(lsig + c)): the product -2 h^2
 * is exact, so the one rounding of the FMA is the subtraction's and the value
 * is that of -z^2/2 - (lsig + c) evaluated op by op (up to subnormal h), in one
 * operation fewer: four per element in a compiled row loop, whose throughput
 * is its cost. fma is correctly rounded everywhere (an instruction or libm's
 * exact software one), so every backend and compiler gets the same bits. */
GENC_HD double genc_sf_normal_lph(double h, double lsig) {
  return fma(-2.0, h * h, -(lsig + 0.91893853320467274178032973640562));
}
GENC_HD double genc_sf_normal_lp(double x, double mu, double sigma, double isig, double lsig) {
  return genc_sf_normal_lph(isig < INFINITY ? (x - mu) * (0.5 * isig) : (x - mu) / (2.0 * sigma),
                            lsig);
}

/* genc_sf_normal_lp where the caller knows isig < INFINITY: no branch in a
 * vector loop over a shared sigma (the compiled CPU block bodies, which check
 * their hoisted isig once per call). The same arithmetic, so the same bits. */
GENC_HD double genc_sf_normal_lp_i(double x, double mu, double isig, double lsig) {
  return genc_sf_normal_lph((x - mu) * (0.5 * isig), lsig);
}

/* Inverse error function: Giles' single-precision approximation as a start,
 * then two Halley steps on erf, which brings it to full double precision. */
GENC_HD double genc_sf_erfinv(double y) {
  if (!(y > -1.0 && y < 1.0)) {
    if (y == 1.0) return INFINITY;
    if (y == -1.0) return -INFINITY;
    return NAN;
  }
  double w = -log((1.0 - y) * (1.0 + y)), x;
  if (w < 6.25) {
    w -= 3.125;
    x = -3.6444120640178196996e-21;
    x = -1.685059138182016589e-19 + x * w;
    x = 1.2858480715256400167e-18 + x * w;
    x = 1.115787767802518096e-17 + x * w;
    x = -1.333171662854620906e-16 + x * w;
    x = 2.0972767875968561637e-17 + x * w;
    x = 6.6376381343583238325e-15 + x * w;
    x = -4.0545662729752068639e-14 + x * w;
    x = -8.1519341976054721522e-14 + x * w;
    x = 2.6335093153082322977e-12 + x * w;
    x = -1.2975133253453532498e-11 + x * w;
    x = -5.4154120542946279317e-11 + x * w;
    x = 1.051212273321532285e-09 + x * w;
    x = -4.1126339803469836976e-09 + x * w;
    x = -2.9070369957882005086e-08 + x * w;
    x = 4.2347877827932403518e-07 + x * w;
    x = -1.3654692000834678645e-06 + x * w;
    x = -1.3882523362786468719e-05 + x * w;
    x = 0.0001867342080340571352 + x * w;
    x = -0.00074070253416626697512 + x * w;
    x = -0.0060336708714301490533 + x * w;
    x = 0.24015818242558961693 + x * w;
    x = 1.6536545626831027356 + x * w;
  } else if (w < 16.0) {
    w = sqrt(w) - 3.25;
    x = 2.2137376921775787049e-09;
    x = 9.0756561938885390979e-08 + x * w;
    x = -2.7517406297064545428e-07 + x * w;
    x = 1.8239629214389227755e-08 + x * w;
    x = 1.5027403968909827627e-06 + x * w;
    x = -4.013867526981545969e-06 + x * w;
    x = 2.9234449089955446044e-06 + x * w;
    x = 1.2475304481671778723e-05 + x * w;
    x = -4.7318229009055733981e-05 + x * w;
    x = 6.8284851459573175448e-05 + x * w;
    x = 2.4031110387097893999e-05 + x * w;
    x = -0.0003550375203628474796 + x * w;
    x = 0.00095328937973738049703 + x * w;
    x = -0.0016882755560235047313 + x * w;
    x = 0.0024914420961078508066 + x * w;
    x = -0.0037512085075692412107 + x * w;
    x = 0.005370914553590063617 + x * w;
    x = 1.0052589676941592334 + x * w;
    x = 3.0838856104922207635 + x * w;
  } else {
    w = sqrt(w) - 5.0;
    x = -2.7109920616438573243e-11;
    x = -2.5556418169965252055e-10 + x * w;
    x = 1.5076572693500548083e-09 + x * w;
    x = -3.7894654401267369937e-09 + x * w;
    x = 7.6157012080783393804e-09 + x * w;
    x = -1.4960026627149240478e-08 + x * w;
    x = 2.9147953450901080826e-08 + x * w;
    x = -6.7711997758452339498e-08 + x * w;
    x = 2.2900482228026654717e-07 + x * w;
    x = -9.9298272942317002539e-07 + x * w;
    x = 4.5260625972231537039e-06 + x * w;
    x = -1.9681778105531670567e-05 + x * w;
    x = 7.5995277030017761139e-05 + x * w;
    x = -0.00021503011930044477347 + x * w;
    x = -0.00013871931833623122026 + x * w;
    x = 1.0103004648645343977 + x * w;
    x = 4.8499064014085844221 + x * w;
  }
  x *= y;
  for (int i = 0; i < 2; i++) { /* Halley on f(x) = erf(x) - y */
    double err = erf(x) - y;
    double fp = 1.1283791670955126 * exp(-x * x);
    x -= err / (fp + x * err);
  }
  return x;
}

/* digamma: recurrence up to x >= 10, then the asymptotic series; reflection
 * for negative x. */
GENC_HD double genc_sf_digamma(double x) {
  double r = 0;
  if (x <= 0) {
    if (x == 0) return copysign(INFINITY, -x); /* the pole at 0 is -inf from the right */
    if (x == floor(x)) return NAN;
    /* psi(1 - x) - psi(x) = pi cot(pi x) */
    return genc_sf_digamma(1 - x) - 3.14159265358979323846 / tan(3.14159265358979323846 * x);
  }
  while (x < 10) { /* at 10 the first omitted series term is < 1e-16 */
    r -= 1 / x;
    x += 1;
  }
  double f = 1 / (x * x);
  double t =
      f * (-1.0 / 12 +
           f * (1.0 / 120 +
                f * (-1.0 / 252 +
                     f * (1.0 / 240 + f * (-1.0 / 132 + f * (691.0 / 32760 + f * (-1.0 / 12)))))));
  return r + log(x) - 0.5 / x + t;
}

/* trigamma: recurrence up to x >= 10, then the asymptotic series. */
GENC_HD double genc_sf_trigamma(double x) {
  double r = 0;
  if (x <= 0) {
    if (x == floor(x)) return INFINITY; /* double poles: +inf from both sides */
    /* psi1(1 - x) + psi1(x) = pi^2 / sin^2(pi x) */
    double s = sin(3.14159265358979323846 * x);
    return -genc_sf_trigamma(1 - x) + 9.86960440108935861883 / (s * s);
  }
  while (x < 10) { /* at 10 the first omitted series term is < 1e-16 */
    r += 1 / (x * x);
    x += 1;
  }
  double f = 1 / (x * x);
  double t =
      1 / x + f / 2 +
      f / x *
          (1.0 / 6 + f * (-1.0 / 30 +
                          f * (1.0 / 42 + f * (-1.0 / 30 + f * (5.0 / 66 + f * (-691.0 / 2730 +
                                                                                f * (7.0 / 6)))))));
  return r + t;
}

GENC_HD double genc_sf_lgamma(double x) {
#if defined(__CUDA_ARCH__)
  return lgamma(x);
#else
  int sign;
  return lgamma_r(x, &sign);
#endif
}

GENC_HD double genc_sf_round(double x) { return round(x); }

/* Implicit reparameterization of Gamma(a, 1) (Figurnov et al. 2018): a draw z
 * moves with a along its quantile, dz/da = -(dP(a, z)/da) / p(z; a), P the
 * regularized lower incomplete gamma function. Returned in log space,
 * d log z / da, which stays finite where z underflows (a -> 0), given lz = log z.
 *
 * Below z = a + 1, P's series sum_n z^(a+n) e^-z / Gamma(a+n+1) differentiated
 * termwise and divided by z p(z) = z^a e^-z / Gamma(a) leaves
 *   -sum_n r_n (log z - psi(a+n+1)),  r_0 = 1/a,  r_n = r_(n-1) z / (a+n),
 * with no exp or lgamma. Above it, Q = 1 - P = z^a e^-z h / Gamma(a) with h the
 * continued fraction of Gamma(a, z) (modified Lentz), so
 *   d log z / da = dQ/da / (z p) = h (log z - psi(a)) + dh/da,
 * dh/da carried through the Lentz recurrence in forward mode. */
GENC_HD double genc_sf_gamma_dlogz_da(double lz, double a) {
  if (!(a > 0) || lz != lz) return NAN;
  if (lz == -INFINITY) return INFINITY;
  double z = exp(lz);
  if (z < a + 1.0) {
    double r = 1.0 / a, psi = genc_sf_digamma(a + 1.0), sum = r * (lz - psi);
    for (int n = 1; n < 100000; n++) {
      r *= z / (a + n);
      psi += 1.0 / (a + n);
      double t = r * (lz - psi);
      sum += t;
      if (fabs(t) <= 1e-17 * fabs(sum) && z < a + n) break;
    }
    return -sum;
  }
  const double tiny = 1e-300;
  double b = z + 1.0 - a, b_a = -1.0; /* b and db/da */
  double c = 1.0 / tiny, c_a = 0.0, d = 1.0 / b, d_a = -b_a / (b * b), h = d, h_a = d_a;
  for (int i = 1; i < 100000; i++) {
    double an = -i * (i - a), an_a = i;
    b += 2.0;
    double dd = an * d + b, dd_a = an_a * d + an * d_a + b_a;
    if (fabs(dd) < tiny) dd = tiny;
    double cc = b + an / c, cc_a = b_a + (an_a * c - an * c_a) / (c * c);
    if (fabs(cc) < tiny) cc = tiny;
    d = 1.0 / dd, d_a = -dd_a * d * d;
    c = cc, c_a = cc_a;
    double del = d * c, del_a = d_a * c + d * c_a;
    h_a = h_a * del + h * del_a;
    h *= del;
    if (fabs(del - 1.0) < 1e-16 && fabs(del_a) < 1e-16 * (1.0 + fabs(h_a / h))) break;
  }
  return h * (lz - genc_sf_digamma(a)) + h_a;
}

/* dz/da for z ~ Gamma(a, 1): z d log z / da, and 0 where z underflowed to 0 */
GENC_HD double genc_sf_gamma_dz_da(double z, double a) {
  return z == 0.0 ? 0.0 : z * genc_sf_gamma_dlogz_da(log(z), a);
}

#endif
