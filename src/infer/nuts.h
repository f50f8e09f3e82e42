/* The NUTS sampler's state and trajectory primitives (nuts.c); its one
 * transition (nuts_step.c), driven by genc_nuts() (nuts_run.c). Internal. */
#ifndef GENC_INFER_NUTS_H
#define GENC_INFER_NUTS_H

#include "genc.h"
#include "infer/adapt.h"

/* The sampler's state: the current point z = (q, p, lp, grad) and the
 * trajectory's scratch. */
typedef struct genc__nuts {
  genc_ctx *ctx;
  genc_lp_grad_fn fn;
  void *user;
  int dim, max_depth;
  const double *inv_metric; /* M^-1: dim values (its diagonal) or, dense, dim x dim */
  int dense;                /* a dense metric (Stan's dense_e) */
  double *chol;             /* dense: L, M^-1 = L L' (lower triangle, row-major; owned) */
  double *v;                /* dense: M^-1 p of the current p, set by genc__nuts_h */
  double eps;               /* step size of the next transition */
  genc_host_rng rng;
  double *q, *p, *g, lp; /* z */
  /* statistics of the last transition */
  int64_t n_leapfrog;
  double sum_metro, accept_stat, energy;
  int depth, divergent;
  genc_status err; /* a callback failure */
  double *top;     /* scratch of the top level (GENC__NUTS_TOP_VECS vectors) */
  double *levels;  /* scratch of each tree level (GENC__NUTS_LEVEL_VECS vectors each) */
} genc__nuts;

/* The transition's scratch vectors of dim doubles (nuts_step.c carves them):
 * at the top level, and at each level 0 .. max_depth of the tree. */
#define GENC__NUTS_TOP_VECS 22
#define GENC__NUTS_LEVEL_VECS 9

/* Allocate the scratch (0, or NOMEM set on ctx); a dense sampler then needs
 * genc__nuts_set_metric() before its first transition. */
genc_status genc__nuts_init(genc__nuts *s);
void genc__nuts_free(genc__nuts *s);
/* Take a new s->inv_metric: dense, factor it (Cholesky); GENC_ERR_ARG naming
 * @p who when it is not symmetric positive definite. Diagonal: nothing to do. */
genc_status genc__nuts_set_metric(genc__nuts *s, const char *who);
/* Check a caller's initial inverse metric @p m of @p dim (dim x dim when
 * @p dense): finite, a positive diagonal, symmetric; GENC_ERR_ARG naming
 * @p who and the entry. Positive definiteness is genc__nuts_set_metric's. */
genc_status genc__nuts_check_metric(genc_ctx *ctx, const char *who, int dim, int dense,
                                    const double *m);
/* Evaluate the density at s->q into s->lp and s->g. */
genc_status genc__nuts_eval(genc__nuts *s);
/* v = M^-1 p for a dense metric (dim values; deterministic, single-threaded). */
void genc__nuts_velocity(const genc__nuts *s, const double *p, double *v);
/* The Hamiltonian -lp + p' M^-1 p / 2 of z (NaN read as +inf); dense, it
 * leaves M^-1 p in s->v. */
double genc__nuts_h(const genc__nuts *s);
/* Resample the momentum p ~ N(0, M) (dense: p = L'^-1 u, u ~ N(0, I), whose
 * covariance is (L L')^-1 = M, as Stan's dense_e_metric::sample_p). */
void genc__nuts_sample_p(genc__nuts *s);
/* One leapfrog step of size eps from z (lp and grad updated): drift, the
 * evaluation at the new q, kick. */
genc_status genc__nuts_leapfrog(genc__nuts *s, double eps);
/* The leapfrog's first half: a half kick of p by eps / 2 and a drift of q by
 * eps (dense: leaves M^-1 p in s->v). The point q then needs evaluating. */
void genc__nuts_drift(genc__nuts *s, double eps);
/* The leapfrog's last half, after the evaluation: p += eps / 2 * grad. */
void genc__nuts_kick(genc__nuts *s, double eps);
/* Stan's init_stepsize: double or halve s->eps until one leapfrog's
 * acceptance crosses 0.8 (scratch: 2 dim doubles); z is restored after. */
genc_status genc__nuts_init_stepsize(genc__nuts *s, double *scratch);
/* One transition from z with step size s->eps: z becomes the draw; the
 * statistics fields are set. The resumable transition of nuts_step.h run to
 * its end, the density evaluated by s->fn whenever it asks (nuts_step.c). */
genc_status genc__nuts_transition(genc__nuts *s);

/* One chain of genc_nuts's driver (nuts_run.c): the sampler, its warmup
 * adaptation (dual averaging, metric windows) and options, so that the
 * lock-step driver (nuts_lockstep.c) runs each chain exactly as genc_nuts. */
typedef struct genc__nuts_chain {
  genc__nuts s;
  genc__dual_avg da;
  genc__var_adapt va;
  int adapt_metric; /* adapt the metric (diag or dense) */
  genc_nuts_opts o; /* filled by genc__nuts_fill_defaults */
  double *scratch;  /* 2 dim: the step size heuristic's */
  genc_nuts_result *out;
} genc__nuts_chain;

/* Fill genc_nuts_opts's defaults and check the options (GENC_ERR_ARG naming
 * the field). */
genc_status genc__nuts_fill_defaults(genc_ctx *ctx, int dim, genc_nuts_opts *o);
/* Allocate c->out (zeroed by the caller) and the sampler for c->o, find the
 * initial point and run the step size heuristic: ready for iteration 0. */
genc_status genc__nuts_chain_begin(genc__nuts_chain *c, genc_ctx *ctx, genc_lp_grad_fn fn,
                                   void *user, int dim, genc_nuts_result *out);
/* After iteration @p it's transition (begun with step size @p eps): warmup
 * adaptation, the final step size after the last warmup iteration, or the
 * draw recorded. */
genc_status genc__nuts_chain_after(genc__nuts_chain *c, int64_t it, double eps);
/* Free what genc__nuts_chain_begin allocated, except c->out. */
void genc__nuts_chain_end(genc__nuts_chain *c);

#endif
