/**
 * @file infer.h
 * @brief Layer 5, inference: MCMC diagnostics as Stan computes them and draws
 * written as CmdStan CSV; batched importance sampling and resampling
 * (genc_importance(), genc_resample(), genc_importance_resampling()).
 *
 * **Draws layout.** Every diagnostic takes the draws of one scalar parameter
 * as a host array `const double *draws` of `nchains * niter` values laid out
 * `[chains][iterations]`: iteration t of chain c is `draws[c * niter + t]`
 * (each chain contiguous, in sampling order). Quantities pooled over chains
 * (mean, sd, quantiles) ignore the split into chains.
 *
 * The diagnostics follow the R package posterior (Vehtari, Gelman, Simpson,
 * Carpenter and Bürkner 2021, "Rank-normalization, folding, and localization:
 * an improved R-hat"), which is what Stan's stansummary reports: chains are
 * split in half (an odd middle draw is dropped), autocorrelations come from an
 * FFT, and the effective sample size uses Geyer's initial monotone sequence.
 * As in posterior, a parameter whose draws contain a NaN or an infinity, or
 * are all equal, gets NaN diagnostics (posterior's NA) - except that the
 * rank-normalized R-hat and bulk ESS rank infinities like any value, as
 * posterior does, and only a NaN makes them NaN. That is a value, not
 * an error. Errors (GENC_ERR_ARG) are reserved for invalid arguments: NULL
 * pointers, fewer than one chain or iteration, probabilities outside [0, 1].
 *
 * CmdStan CSV: see genc_stan_csv_open(). The library never prints; the
 * summary table is formatted into a buffer the caller owns.
 */
#ifndef GENC_INFER_H
#define GENC_INFER_H

#include <stdio.h>

#include "genc/base.h"
#include "genc/core.h"
#include "genc/gfi.h"
#include "genc/random.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- diagnostics of one parameter (draws laid out [chains][iterations]) ---- */

/**
 * Rank-normalized split R-hat (posterior::rhat): the larger of the bulk
 * R-hat, computed on the normal scores of the ranks of the split chains, and
 * the tail R-hat, computed the same way on the draws folded about their median
 * (|x - median|). Values above 1.01 signal chains that have not mixed.
 * Stores NaN in @p rhat when the split chains have fewer than 2 draws each or
 * the draws are non-finite or constant.
 */
genc_status genc_diag_rhat(genc_ctx *ctx, const double *draws, int64_t nchains, int64_t niter,
                           double *rhat);

/**
 * Split R-hat without rank normalization (posterior::rhat_basic, the R-hat of
 * Gelman et al. 2013, BDA3): the classic potential scale reduction factor on
 * the chains split in half.
 */
genc_status genc_diag_rhat_basic(genc_ctx *ctx, const double *draws, int64_t nchains, int64_t niter,
                                 double *rhat);

/**
 * Bulk effective sample size (posterior::ess_bulk): the ESS of the normal
 * scores of the ranks of the split chains, a measure of how well the centre of
 * the distribution is estimated. NaN when the split chains have fewer than 3
 * draws each or the draws are non-finite or constant.
 */
genc_status genc_diag_ess_bulk(genc_ctx *ctx, const double *draws, int64_t nchains, int64_t niter,
                               double *ess);

/**
 * Tail effective sample size (posterior::ess_tail): the smaller of the ESS of
 * the 5% and the 95% quantile (genc_diag_ess_quantile()), a measure of how well
 * the tails are estimated.
 */
genc_status genc_diag_ess_tail(genc_ctx *ctx, const double *draws, int64_t nchains, int64_t niter,
                               double *ess);

/**
 * ESS of the split chains without rank normalization (posterior::ess_basic
 * and posterior::ess_mean): the ESS that governs the Monte Carlo error of the
 * posterior mean.
 */
genc_status genc_diag_ess_basic(genc_ctx *ctx, const double *draws, int64_t nchains, int64_t niter,
                                double *ess);

/**
 * ESS of the quantile @p prob (posterior::ess_quantile): the ESS of the split
 * chains of the indicator x <= q, q the pooled type-7 quantile. @p prob must
 * lie in [0, 1].
 */
genc_status genc_diag_ess_quantile(genc_ctx *ctx, const double *draws, int64_t nchains,
                                   int64_t niter, double prob, double *ess);

/**
 * Monte Carlo standard error of the posterior mean (posterior::mcse_mean):
 * sd / sqrt(ESS), with the pooled sample sd and genc_diag_ess_basic().
 */
genc_status genc_diag_mcse_mean(genc_ctx *ctx, const double *draws, int64_t nchains, int64_t niter,
                                double *mcse);

/**
 * Monte Carlo standard error of the quantile @p prob (posterior::mcse_quantile):
 * half the distance between the order statistics at the 15.9% and 84.1%
 * quantiles of the Beta(ess p + 1, ess (1 - p) + 1) law of the quantile's
 * probability, with ess = genc_diag_ess_quantile(). @p prob must lie in [0, 1].
 */
genc_status genc_diag_mcse_quantile(genc_ctx *ctx, const double *draws, int64_t nchains,
                                    int64_t niter, double prob, double *mcse);

/**
 * Quantiles of @p n pooled draws (any layout) at the @p nprobs probabilities
 * @p probs, each in [0, 1], into @p out: R's default type 7 (linear
 * interpolation between order statistics at h = (n - 1) p), which is what
 * posterior's quantile2 and summarise_draws report. NaN draws make every
 * quantile NaN.
 */
genc_status genc_diag_quantiles(genc_ctx *ctx, const double *draws, int64_t n, const double *probs,
                                int nprobs, double *out);

/**
 * Mean and sample standard deviation (divisor n - 1; NaN for n = 1) of @p n
 * pooled draws. Either output pointer may be NULL.
 */
genc_status genc_diag_mean_sd(genc_ctx *ctx, const double *draws, int64_t n, double *mean,
                              double *sd);

/* ---- the summary table (posterior::summarise_draws, stansummary) ---- */

/** One row of the summary table: what posterior::summarise_draws() reports
 * by default, plus the Monte Carlo standard error of the mean. */
typedef struct genc_diag_summary {
  double mean;      /**< posterior mean */
  double median;    /**< type-7 50% quantile */
  double sd;        /**< sample standard deviation */
  double mad;       /**< median absolute deviation, scaled by 1.4826 as R's mad() */
  double q5;        /**< type-7 5% quantile */
  double q95;       /**< type-7 95% quantile */
  double rhat;      /**< genc_diag_rhat() */
  double ess_bulk;  /**< genc_diag_ess_bulk() */
  double ess_tail;  /**< genc_diag_ess_tail() */
  double mcse_mean; /**< genc_diag_mcse_mean() */
} genc_diag_summary;

/**
 * Fill @p out with the summary of one parameter's draws (layout
 * [chains][iterations]).
 */
genc_status genc_diag_summarize(genc_ctx *ctx, const double *draws, int64_t nchains, int64_t niter,
                                genc_diag_summary *out);

/**
 * Format the summary table of @p nrows parameters, named @p names (each a
 * non-NULL string), as text into @p buf of @p bufsize bytes: one header line
 * (`variable mean median sd mad q5 q95 rhat ess_bulk ess_tail mcse_mean`) and
 * one line per parameter, columns aligned, each line ended by '\n', the whole
 * NUL-terminated. The length the table needs (without the NUL) is stored in
 * @p needed when it is not NULL; call with @p buf NULL and @p bufsize 0 to
 * learn it. A non-NULL buffer too small for the table receives a truncated,
 * NUL-terminated table and the call fails with GENC_ERR_ARG.
 */
genc_status genc_diag_summary_format(genc_ctx *ctx, int nrows, const char *const *names,
                                     const genc_diag_summary *rows, char *buf, size_t bufsize,
                                     size_t *needed);

/* ---- sampler statistics (HMC, NUTS) ---- */

/** One draw's sampler statistics as CmdStan's NUTS records them (the CSV's
 * sampler columns). A sampler without trajectories (MH) sets the acceptance
 * probability and lp, 1 for stepsize, 0 for treedepth, n_leapfrog and
 * divergent, and NaN for energy. */
typedef struct genc_sampler_stats {
  double lp;          /**< lp__: log density up to a constant */
  double accept_stat; /**< accept_stat__ */
  double stepsize;    /**< stepsize__ */
  int treedepth;      /**< treedepth__ */
  int64_t n_leapfrog; /**< n_leapfrog__ */
  int divergent;      /**< divergent__ (0 or 1) */
  double energy;      /**< energy__ */
} genc_sampler_stats;

/** What stansummary and CmdStan's diagnose report about one chain's sampler. */
typedef struct genc_diag_sampler_summary {
  double accept_mean;   /**< mean accept_stat__ */
  double leapfrog_mean; /**< mean n_leapfrog__ */
  int64_t ndivergent;   /**< draws with divergent__ set */
  int64_t nmax_depth;   /**< draws whose treedepth__ reached max_depth */
  double ebfmi;         /**< genc_diag_ebfmi() of the energies */
} genc_diag_sampler_summary;

/**
 * Energy Bayesian fraction of missing information of one chain's @p n energies
 * (energy__), as rstan::get_bfmi: sum of squared successive differences / n,
 * over the sample variance. Below 0.2 the momentum resampling explores the
 * energy distribution poorly (Betancourt 2016). NaN for n < 2 or a NaN energy.
 */
genc_status genc_diag_ebfmi(genc_ctx *ctx, const double *energy, int64_t n, double *ebfmi);

/**
 * Summarize one chain's @p n per-draw sampler statistics: mean acceptance
 * statistic and leapfrog count, the number of divergent draws and of draws at
 * the maximum tree depth @p max_depth (> 0; CmdStan's default is 10), and the
 * E-BFMI.
 */
genc_status genc_diag_summarize_sampler(genc_ctx *ctx, const genc_sampler_stats *stats, int64_t n,
                                        int max_depth, genc_diag_sampler_summary *out);

/* ---- draws as CmdStan CSV ---- */

/** A parameter as CmdStan names its columns: @p name with shape @p shape
 * (@p ndim = 0 for a scalar). Its values are given row-major (C order); the
 * writer emits them in CmdStan's column-major order, first index fastest, so a
 * 2 x 3 matrix `a` becomes a.1.1, a.2.1, a.1.2, a.2.2, a.1.3, a.2.3. */
typedef struct genc_stan_csv_param {
  const char *name;             /**< a Stan identifier: a letter, then letters, digits or
                                     '_' (read.csv, hence rstan, would mangle others) */
  int ndim;                     /**< 0 .. GENC_MAX_DIMS */
  int64_t shape[GENC_MAX_DIMS]; /**< extent of each dimension, each >= 1 */
} genc_stan_csv_param;

/** What the CSV's comment header records about the run (CmdStan's layout).
 * Zero-initialized fields take the defaults shown. */
typedef struct genc_stan_csv_config {
  const char *model;        /**< model name; default "genc_model" */
  int64_t num_samples;      /**< sampling iterations run, before thinning, as CmdStan's
                                 num_samples (default 1000): rstan::read_stan_csv expects
                                 1 + (num_samples - 1) / thin draws and warns otherwise */
  int64_t num_warmup;       /**< warmup iterations run (not written); 0 is 0 */
  int64_t thin;             /**< default 1 */
  uint64_t seed;            /**< random seed of the run (0 is written as 0) */
  int chain_id;             /**< CmdStan's id; default 1 */
  int max_depth;            /**< NUTS maximum tree depth; default 10 */
  const char *engine;       /**< "nuts" (default) or "static" */
  const char *metric;       /**< "diag_e" (default), "dense_e" or "unit_e" */
  double stepsize;          /**< adapted step size, written after the column names;
                                 0 writes no adaptation block */
  const double *inv_metric; /**< diagonal of the inverse mass matrix (diag_e) or
                                 the dense matrix row-major (dense_e), or NULL */
  int64_t inv_metric_dim;   /**< number of unconstrained parameters of inv_metric */
  double warmup_seconds;    /**< written in the "Elapsed Time" footer */
  double sampling_seconds;  /**< written in the "Elapsed Time" footer */
} genc_stan_csv_config;

/** A CSV file being written (opaque). */
typedef struct genc_stan_csv genc_stan_csv;

/**
 * Start a CmdStan CSV on the stream @p f (left open by genc_stan_csv_close) or,
 * when @p f is NULL, on a new file at @p path. Writes the comment header and
 * the column names: lp__, accept_stat__, stepsize__, treedepth__, n_leapfrog__,
 * divergent__, energy__, then each of the @p nparams parameters (see
 * ::genc_stan_csv_param), then log_lik.1 ... log_lik.@p nloglik when
 * @p nloglik > 0 (per-observation log likelihoods, for loo), then the
 * adaptation block when @p cfg gives a step size. @p cfg may be NULL for the
 * defaults. Values are written with 17 significant digits (%.17g), so they
 * read back to the same doubles; NaN and infinities as CmdStan writes them
 * (nan, inf, -inf). Returns NULL on an invalid argument or an I/O error.
 * As in CmdStan, a file holds one chain: write one file per chain (chain_id
 * 1, 2, ...) and give them all to rstan::read_stan_csv or posterior.
 */
genc_stan_csv *genc_stan_csv_open(genc_ctx *ctx, FILE *f, const char *path,
                                  const genc_stan_csv_config *cfg, int nparams,
                                  const genc_stan_csv_param *params, int64_t nloglik);

/**
 * Write one draw: the sampler columns @p s, the parameter values @p values
 * (all parameters concatenated in the order given to genc_stan_csv_open(),
 * each row-major, genc_stan_csv_nvalues() doubles in all) and, when the file
 * has log-likelihood columns, @p loglik (nloglik doubles; otherwise ignored).
 */
genc_status genc_stan_csv_write(genc_ctx *ctx, genc_stan_csv *csv, const genc_sampler_stats *s,
                                const double *values, const double *loglik);

/** Number of parameter values one draw takes (the sum of the parameters' sizes). */
int64_t genc_stan_csv_nvalues(const genc_stan_csv *csv);

/**
 * Write the timing footer CmdStan ends its files with, flush, close the file
 * if genc_stan_csv_open() opened it, and free @p csv (NULL is a no-op).
 * Returns GENC_ERR_ARG on an I/O error (the writer is freed all the same).
 */
genc_status genc_stan_csv_close(genc_ctx *ctx, genc_stan_csv *csv);

/* ---- importance sampling and resampling (src/infer/importance.c, resample.c) ---- */

/** Particles importance sampling runs when ::genc_is_opts leaves n at 0. */
#define GENC_IS_DEFAULT_N 1000

/** Options of genc_importance(). Write them with designated initializers,
 * `(genc_is_opts){.n = 100000, .key = genc_key_from_seed(7)}`; a
 * zero-initialized field takes the default shown. */
typedef struct genc_is_opts {
  int64_t n;         /**< particles, >= 0; 0 means GENC_IS_DEFAULT_N */
  genc_key key;      /**< random key; default the all-zero key (a valid, fixed key) */
  genc_gf *proposal; /**< custom proposal generative function; NULL (default): the
                          model's internal proposal, its prior */
  genc_array *const *proposal_args; /**< the proposal's arguments (NULL: none) */
} genc_is_opts;

/** What importance sampling returns (genc_importance()). The caller owns it and
 * releases it with genc_is_result_clear(). With weights w_i (i < n),
 * m = max w_i and u_i = exp(w_i - m):
 * - log_ml = m + log(mean u), the log of the unbiased estimate mean exp(w) of
 *   the marginal likelihood p(observations);
 * - log_ml_se = sd(u) / (sqrt(n) mean(u)), sd with divisor n - 1: the delta
 *   method, se(log Z) ~= se(Z) / Z, of the standard error of mean(u);
 * - ess = 1 / sum W_i^2 with the normalized weights W_i = u_i / sum u.
 * When every weight is -inf: log_ml = -inf, log_ml_se = NaN, W_i = 0, ess = 0. */
typedef struct genc_is_result {
  genc_trace *trace;   /**< the batched trace of the n particles (a reference) */
  int64_t n;           /**< particle count */
  double *log_weights; /**< n log weights w_i (malloc'ed) */
  double *weights;     /**< n normalized weights W_i, summing to 1 (malloc'ed) */
  double log_ml;       /**< log marginal likelihood estimate, log mean exp(w) */
  double log_ml_se;    /**< its standard error by the delta method (above) */
  double ess;          /**< effective sample size 1 / sum W_i^2, in [1, n] */
} genc_is_result;

/**
 * Importance sampling of @p model on @p args given the observations @p obs
 * (a choice map, may be NULL), batched: one run of the model for all n
 * particles. Without a proposal, one genc_gf_generate() with @p obs as
 * constraints; the weights are its weights (the internal proposal is the
 * prior). With a custom proposal q, genc_gf_propose() of q on
 * proposal_args draws a batched choice map c of n particles; the model is
 * generated with c merged with @p obs as constraints, and w = (model generate
 * weight) - log q(c). q's choices must not overlap @p obs (GENC_ERR_ADDRESS
 * naming the address). The proposal must be able to propose every value the
 * model's posterior allows, or the estimates are biased. Fills @p out (zeroed
 * first; on error nothing is left to free). Errors: NULL arguments, n < 0,
 * a model or proposal failure (its message).
 */
genc_status genc_importance(genc_ctx *ctx, genc_gf *model, genc_array *const *args,
                            const genc_choicemap *obs, const genc_is_opts *opts,
                            genc_is_result *out);

/** Release what @p r holds (trace, weight arrays) and zero it. NULL is a no-op. */
void genc_is_result_clear(genc_is_result *r);

/** Resampling schemes of genc_resample(). All are unbiased: particle i gets
 * N_i offspring with E[N_i] = m W_i. */
typedef enum genc_resample_scheme {
  GENC_RESAMPLE_MULTINOMIAL = 0, /**< m i.i.d. draws from W */
  GENC_RESAMPLE_SYSTEMATIC,      /**< one uniform U, points (k + U) / m; N_i is
                                      floor(m W_i) or ceil(m W_i) */
  GENC_RESAMPLE_STRATIFIED,      /**< one uniform per stratum, points (k + U_k) / m */
  GENC_RESAMPLE_RESIDUAL         /**< floor(m W_i) copies, the rest multinomial
                                      on the residuals m W_i - floor(m W_i) */
} genc_resample_scheme;

/**
 * Ancestor indices for resampling @p m particles from @p n log weights
 * @p log_weights (host doubles; -inf allowed, at least one finite; NaN and
 * +inf are GENC_ERR_DOMAIN naming the index), by @p scheme with the key
 * @p key. Returns a shared 1-d i32 array of length @p m, in increasing order,
 * ready for genc_trace_take() (it belongs to the caller's current scope), or
 * NULL on error (n or m < 1 or above INT32_MAX, NULL arguments). Computed on
 * the host in f64: the weights are taken relative to their maximum and their
 * running sums are compensated (Neumaier), so that a particle with almost all
 * the weight among 1e7 keeps exact offspring counts. A zero weight gets no
 * offspring.
 */
genc_array *genc_resample(genc_ctx *ctx, const double *log_weights, int64_t n, int64_t m,
                          genc_resample_scheme scheme, genc_key key);

/**
 * Sampling importance resampling: genc_importance() with @p opts, then
 * genc_resample() of @p m traces by @p scheme (with a key folded from
 * opts->key). Returns a batched trace of @p m particles (a new reference), or
 * NULL on error; the log marginal likelihood estimate goes to @p log_ml when
 * it is not NULL.
 */
genc_trace *genc_importance_resampling(genc_ctx *ctx, genc_gf *model, genc_array *const *args,
                                       const genc_choicemap *obs, const genc_is_opts *opts,
                                       int64_t m, genc_resample_scheme scheme, double *log_ml);

/* ---- Metropolis-Hastings and MCMC kernels (src/infer/mh.c, kernel*.c, mcmc.c) ----
 *
 * Every kernel runs on one trace (N = 0) or on N independent chains held as
 * one batched trace: each chain accepts or rejects on its own
 * (genc_trace_select()), and chain i of a batched run equals the single-chain
 * run with genc_key_particle(key, i), whatever N. Acceptance flags are bool
 * arrays (shared 0-d for one trace, batched 0-d over the chains) in the
 * caller's array scope.
 */

/**
 * One MH step that regenerates the selection @p s from the prior
 * (genc_gf_regenerate()) and accepts with probability min(1, exp(w)). Returns
 * the trace kept (a new reference: the proposed trace, @p t itself, or per
 * chain a mix of both); @p accepted (may be NULL) gets the acceptance flags.
 * NULL on error (a message names the model and the address).
 */
genc_trace *genc_mh_select(genc_ctx *ctx, const genc_trace *t, const genc_selection *s,
                           genc_key key, genc_array **accepted);

/**
 * One MH step with a custom proposal (Gen.jl's mh(trace, proposal, args)):
 * the forward proposal @p fwd reads the current trace through genc_rt_from()
 * and proposes new values, the backward proposal @p bwd (NULL: @p fwd, for a
 * symmetric proposal such as a random walk; then @p bwd_args is ignored and
 * @p fwd_args serves both) scores the discarded values from the new trace; see
 * genc_gf_edit() with GENC_EDIT_PROPOSAL. Result and @p accepted as
 * genc_mh_select().
 */
genc_trace *genc_mh_proposal(genc_ctx *ctx, const genc_trace *t, genc_gf *fwd, genc_gf *bwd,
                             genc_array *const *fwd_args, genc_array *const *bwd_args, genc_key key,
                             genc_array **accepted);

/** An MCMC kernel: a value that maps a trace to a trace (reference counted, opaque). */
typedef struct genc_kernel genc_kernel;

/**
 * A user kernel: return the new trace (a new reference; may be @p t retained)
 * or NULL with the context's error set. @p step is the driver's iteration
 * (0-based, warmup included). Set @p *accepted and @p *proposed (0-d f64,
 * batched over the chains when @p t is; arrays in the caller's scope) to the
 * accepted and proposed MH moves of this application, or leave them NULL
 * (counted as 0). Chain i must depend on genc_key_particle(key, i) only, as
 * the GFI's batched operations do, for runs to be independent of N.
 */
typedef genc_trace *(*genc_kernel_fn)(genc_ctx *ctx, const genc_trace *t, genc_key key,
                                      int64_t step, genc_array **accepted, genc_array **proposed,
                                      void *user);

/**
 * Kernels are reference counted: constructors return one reference and a
 * combinator holds one on each component, so components may be released
 * right after the combinator is made. Constructors take no context and
 * return NULL on bad arguments or NOMEM.
 */
genc_kernel *genc_kernel_retain(genc_kernel *k);
/** Drop a reference; the last one frees the kernel. NULL is a no-op. */
void genc_kernel_release(genc_kernel *k);

/** MH regenerating the selection @p s (retained) each application: genc_mh_select(). */
genc_kernel *genc_kernel_mh_select(genc_selection *s);
/**
 * MH with the custom proposals @p fwd and @p bwd (NULL: symmetric) each
 * application: genc_mh_proposal() with no extra proposal arguments. The
 * proposals are retained.
 */
genc_kernel *genc_kernel_mh_proposal(genc_gf *fwd, genc_gf *bwd);
/** A kernel running the user function @p fn with @p user (not owned); @p name (copied) appears in messages. */
genc_kernel *genc_kernel_user(const char *name, genc_kernel_fn fn, void *user);
/** Apply the @p k kernels (k >= 1) in order, each once per application. */
genc_kernel *genc_kernel_sequence(int k, genc_kernel *const *ks);
/** Apply kernel ks[step mod k] at driver step @p step: one kernel per application, in turn. */
genc_kernel *genc_kernel_cycle(int k, genc_kernel *const *ks);
/**
 * Random mixture: each application (and each chain) picks kernel j with
 * probability weights[j] / sum(weights) (weights >= 0, finite, positive
 * sum). A batched trace runs every component on all chains and keeps per
 * chain the picked one's result, so that chains stay independent of N.
 */
genc_kernel *genc_kernel_mixture(int k, genc_kernel *const *ks, const double *weights);
/** Apply @p kernel @p times (>= 1) times per application. */
genc_kernel *genc_kernel_repeat(genc_kernel *kernel, int64_t times);

/**
 * Apply @p kernel to @p t at driver step @p step. Returns the new trace (a new
 * reference) or NULL on error; @p accepted and @p proposed (may be NULL) get
 * the per-chain counts of accepted and proposed MH moves (0-d f64, batched
 * when @p t is) in the caller's scope.
 */
genc_trace *genc_kernel_apply(genc_ctx *ctx, const genc_kernel *kernel, const genc_trace *t,
                              genc_key key, int64_t step, genc_array **accepted,
                              genc_array **proposed);

/** Progress callback of genc_mcmc_run(): @p done of @p total iterations; nonzero stops the run. */
typedef int (*genc_mcmc_progress_fn)(int64_t done, int64_t total, void *user);

/**
 * Options of genc_mcmc_run(), written with designated initializers; zero
 * fields take the defaults shown.
 */
typedef struct genc_mcmc_opts {
  int64_t warmup;           /**< iterations run and not recorded; default 0 */
  int64_t samples;          /**< iterations after warmup; default 1000 */
  int64_t thin;             /**< record every thin-th sampling iteration; default 1 */
  genc_key key;             /**< iteration s (0-based, warmup included) runs with
                                 genc_key_fold_in(key, s) */
  int naddrs;               /**< addresses recorded (0: none) */
  const char *const *addrs; /**< their text addresses ("mu", "t/3/y") */
  double *draws;            /**< host buffer of draws_cap doubles for the recorded draws, or NULL;
                                 layout: see genc_mcmc_run() */
  int64_t draws_cap;        /**< its capacity in doubles */
  double *accept_rate;      /**< max(N, 1) doubles: per-chain acceptance rate of the
                                 sampling iterations (accepted / proposed MH moves), or NULL */
  genc_mcmc_progress_fn progress; /**< called every progress_every iterations, or NULL */
  int64_t progress_every;         /**< default 100 */
  void *progress_user;            /**< passed to progress */
} genc_mcmc_opts;

/**
 * Run @p kernel from the trace @p init (one chain, or N chains as a batched
 * trace): opts->warmup iterations, then opts->samples, recording every
 * opts->thin-th sampling iteration's values at opts->addrs. Returns the final
 * trace (a new reference) or NULL on error; the run's memory is flat (one
 * array scope per iteration).
 *
 * **Draws layout.** D = 1 + (samples - 1) / thin draws per chain, C = max(N, 1)
 * chains; the recorded scalars are the elements of the addresses in order
 * (an address of shape [3] gives 3, row-major), P in all. Scalar p's draws
 * form one block of C * D doubles laid out [chains][draws], the diagnostics'
 * layout: element (p, c, d) is draws[(p * C + c) * D + d], so
 * `draws + p * C * D` goes straight to genc_diag_rhat() and its siblings.
 * draws_cap must be at least P * C * D (GENC_ERR_ARG otherwise).
 */
genc_trace *genc_mcmc_run(genc_ctx *ctx, const genc_kernel *kernel, const genc_trace *init,
                          const genc_mcmc_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
