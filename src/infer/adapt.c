/*
 * Step size and metric adaptation, line for line Stan's stepsize_adaptation
 * and windowed/var_adaptation/covar_adaptation (see adapt.h), so that a
 * genc warmup follows the same schedule a CmdStan user knows.
 */
#include "infer/adapt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void genc__dual_avg_restart(genc__dual_avg *da) {
  da->counter = 0;
  da->s_bar = 0;
  da->x_bar = 0;
}

double genc__dual_avg_learn(genc__dual_avg *da, double stat) {
  da->counter += 1;
  if (!(stat <= 1)) stat = stat > 1 ? 1 : 0; /* a NaN statistic counts as a rejection */
  double eta = 1.0 / (da->counter + da->t0);
  da->s_bar = (1 - eta) * da->s_bar + eta * (da->delta - stat);
  double x = da->mu - da->s_bar * sqrt(da->counter) / da->gamma;
  double x_eta = pow(da->counter, -da->kappa);
  da->x_bar = (1 - x_eta) * da->x_bar + x_eta * x;
  return exp(x);
}

double genc__dual_avg_final(const genc__dual_avg *da) { return exp(da->x_bar); }

static size_t m2_len(const genc__var_adapt *va) {
  return (size_t)va->dim * (va->dense ? (size_t)va->dim : 1);
}

static void welford_restart(genc__var_adapt *va) {
  va->n = 0;
  memset(va->mean, 0, (size_t)va->dim * sizeof(double));
  memset(va->m2, 0, m2_len(va) * sizeof(double));
}

static int adapt_init(genc__var_adapt *va, int dim, int dense, int64_t num_warmup,
                      int64_t init_buffer, int64_t term_buffer, int64_t base_window) {
  va->dim = dim;
  va->dense = dense;
  va->num_warmup = num_warmup;
  if (num_warmup >= 20 && init_buffer + base_window + term_buffer > num_warmup) {
    /* Stan: a short warmup gets 15% fast, 75% slow, 10% fast. */
    init_buffer = (int64_t)(0.15 * (double)num_warmup);
    term_buffer = (int64_t)(0.1 * (double)num_warmup);
    base_window = num_warmup - (init_buffer + term_buffer);
  }
  va->init_buffer = init_buffer;
  va->term_buffer = term_buffer;
  va->base_window = base_window;
  va->counter = 0;
  va->window_size = base_window;
  va->next_window = init_buffer + base_window - 1;
  va->mean = calloc((size_t)dim + m2_len(va), sizeof(double));
  if (!va->mean) return 1;
  va->m2 = va->mean + dim;
  welford_restart(va);
  return 0;
}

int genc__var_adapt_init(genc__var_adapt *va, int dim, int64_t num_warmup, int64_t init_buffer,
                         int64_t term_buffer, int64_t base_window) {
  return adapt_init(va, dim, 0, num_warmup, init_buffer, term_buffer, base_window);
}

int genc__var_adapt_init_dense(genc__var_adapt *va, int dim, int64_t num_warmup,
                               int64_t init_buffer, int64_t term_buffer, int64_t base_window) {
  return adapt_init(va, dim, 1, num_warmup, init_buffer, term_buffer, base_window);
}

void genc__var_adapt_free(genc__var_adapt *va) {
  free(va->mean);
  va->mean = va->m2 = NULL;
}

static bool in_window(const genc__var_adapt *va) {
  return va->num_warmup >= 20 && va->counter >= va->init_buffer &&
         va->counter < va->num_warmup - va->term_buffer && va->counter != va->num_warmup;
}

static bool window_end(const genc__var_adapt *va) {
  return va->num_warmup >= 20 && va->counter == va->next_window && va->counter != va->num_warmup;
}

/* Stan's compute_next_window: double the window; a window that would leave
 * less than twice its length before the terminal buffer absorbs the rest. */
static void next_window(genc__var_adapt *va) {
  int64_t last = va->num_warmup - va->term_buffer - 1;
  if (va->next_window == last) return;
  va->window_size *= 2;
  va->next_window = va->counter + va->window_size;
  if (va->next_window != last && va->next_window + 2 * va->window_size >= last + 1)
    va->next_window = last;
}

/* Welford's update of the mean and of the (co-)moment, as Stan's
 * welford_var_estimator and welford_covar_estimator: with delta = q - mean
 * before the update, m2 += (q - mean_new) delta' (the lower triangle only
 * when dense; q - mean_new = delta (1 - 1/n)). */
static void welford_add(genc__var_adapt *va, const double *q) {
  int d = va->dim;
  va->n++;
  if (va->dense) {
    double shrink = 1.0 - 1.0 / (double)va->n;
    for (int i = 0; i < d; i++)
      for (int j = 0; j <= i; j++)
        va->m2[i * d + j] += shrink * (q[i] - va->mean[i]) * (q[j] - va->mean[j]);
  }
  for (int i = 0; i < d; i++) {
    double di = q[i] - va->mean[i];
    va->mean[i] += di / (double)va->n;
    if (!va->dense) va->m2[i] += di * (q[i] - va->mean[i]);
  }
}

/* The regularized estimate of the window that just ended into var. */
static void window_estimate(const genc__var_adapt *va, double *var) {
  double n = (double)va->n, w = n / (n + 5.0), reg = 1e-3 * (5.0 / (n + 5.0));
  int d = va->dim;
  if (!va->dense) {
    for (int i = 0; i < d; i++)
      var[i] = w * (n > 1 ? va->m2[i] / (n - 1) : 1.0) + reg;
    return;
  }
  for (int i = 0; i < d; i++)
    for (int j = 0; j <= i; j++) {
      double c = n > 1 ? va->m2[i * d + j] / (n - 1) : (i == j);
      var[i * d + j] = var[j * d + i] = w * c + (i == j ? reg : 0.0);
    }
}

bool genc__var_adapt_learn(genc__var_adapt *va, const double *q, double *var) {
  if (in_window(va)) welford_add(va, q);
  if (window_end(va)) {
    next_window(va);
    window_estimate(va, var);
    welford_restart(va);
    va->counter++;
    return true;
  }
  va->counter++;
  return false;
}
