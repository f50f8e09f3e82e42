/*
 * Warmup adaptation shared by the gradient samplers, as Stan writes it
 * (stan/mcmc/stepsize_adaptation.hpp, windowed_adaptation.hpp,
 * var_adaptation.hpp): dual averaging of the log step size (Hoffman and
 * Gelman 2014, section 3.2) and a diagonal inverse metric estimated by
 * Welford's algorithm in Stan's windows (a fast initial buffer, slow windows
 * doubling in length, a fast terminal buffer), or a dense one, the sample
 * covariance in the same windows (covar_adaptation.hpp, Stan's dense_e).
 * Internal to src/infer.
 */
#ifndef GENC_INFER_ADAPT_H
#define GENC_INFER_ADAPT_H

#include <stdbool.h>
#include <stdint.h>

/* Dual averaging of log(step size) towards the acceptance statistic delta. */
typedef struct genc__dual_avg {
  double mu, delta, gamma, kappa, t0; /* mu = log(10 eps0), the shrinkage point */
  double counter, s_bar, x_bar;
} genc__dual_avg;

/* Forget the averages (Stan's restart()); mu, delta, gamma, kappa, t0 stay. */
void genc__dual_avg_restart(genc__dual_avg *da);
/* One update with the acceptance statistic @p stat (clamped to 1); returns
 * the next step size exp(x). */
double genc__dual_avg_learn(genc__dual_avg *da, double stat);
/* The step size kept after warmup, exp(x_bar). */
double genc__dual_avg_final(const genc__dual_avg *da);

/* Stan's windowed variance adaptation of a diagonal inverse metric, or its
 * covariance adaptation of a dense one (dense set by
 * genc__var_adapt_init_dense). */
typedef struct genc__var_adapt {
  int64_t num_warmup, init_buffer, term_buffer, base_window;
  int64_t counter, window_size, next_window;
  int dim;
  int dense;         /* m2 is the dim x dim co-moment (lower triangle kept) */
  int64_t n;         /* Welford: samples in the current window */
  double *mean, *m2; /* dim and dim (dim x dim when dense) (owned) */
} genc__var_adapt;

/* Set the windows as Stan's set_window_params (buffers shrunk to 15% / 10%
 * of a short warmup; no adaptation below 20 iterations). 0 or NOMEM. */
int genc__var_adapt_init(genc__var_adapt *va, int dim, int64_t num_warmup, int64_t init_buffer,
                         int64_t term_buffer, int64_t base_window);
/* The same windows for a dense metric (Stan's covar_adaptation). */
int genc__var_adapt_init_dense(genc__var_adapt *va, int dim, int64_t num_warmup,
                               int64_t init_buffer, int64_t term_buffer, int64_t base_window);
void genc__var_adapt_free(genc__var_adapt *va);
/* Record the warmup draw @p q; at the end of a slow window write the
 * regularized variance (n / (n + 5)) var + 1e-3 (5 / (n + 5)) into @p var (or,
 * dense, (n / (n + 5)) Sigma + 1e-3 (5 / (n + 5)) I into the dim x dim @p var,
 * row-major, exactly symmetric) and return true (the caller then
 * re-initializes and restarts the step size). */
bool genc__var_adapt_learn(genc__var_adapt *va, const double *q, double *var);

#endif
