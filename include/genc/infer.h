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

/** Whether inference compiles the graphs it captures (genc_is_opts.compile,
 * genc_mcmc_opts.compile; genc/exec.h). Every mode gives the eager results
 * (draws bit for bit, floats within the executor's few ulps where compiled
 * code calls glibc's vector maths). Under AUTO, whether a step or tile ran
 * compiled depends on the job's measured speed, the disk cache and when the
 * background compiler finished, so runs can differ in those last ulps (and
 * an MCMC chain, whose accept test reads them, can then take another path):
 * GENC_COMPILE_OFF is the mode that reproduces a run bit for bit anywhere. */
typedef enum genc_compile_mode {
  /** The default: compile only a job long enough to repay it, with the
   * compiler in the background (genc_compile_opts.background: the job never
   * waits for it; an object in the disk cache loads at once). The rule is
   * each option's; a job too short never captures (or, importance sampling,
   * never compiles). `false` converts to this mode, not to OFF. On a
   * context other than the CPU it runs eagerly (the CUDA executor compiles
   * in the calling thread: choose ON there). */
  GENC_COMPILE_AUTO = 0,
  /** Always capture and compile, waiting for the compiler (`true`). */
  GENC_COMPILE_ON = 1,
  /** Never: run eagerly. */
  GENC_COMPILE_OFF = -1,
} genc_compile_mode;

/** GENC_COMPILE_AUTO's threshold: a job compiles when the eager time it has
 * left, estimated from its own iterations (MCMC) or first tile (importance
 * sampling), is at least this many seconds, about twice a cold compile of a
 * small graph (0.25-0.35 s): the compiled code then arrives with most of the
 * job still ahead, and a shorter job never starts the compiler. */
#define GENC_AUTO_COMPILE_S 0.5

/** GENC_COMPILE_AUTO's lower threshold: a job with at least this much eager
 * time left, but less than GENC_AUTO_COMPILE_S, captures its graph and runs
 * it compiled only when the disk cache holds the object (capture and load
 * take about 1 ms), interpreted otherwise (the eager kernels without the
 * GFI's work per call: on B3 as fast as eager or faster); a shorter job stays
 * eager. */
#define GENC_AUTO_LOAD_S 0.01

/** Options of genc_importance(). Write them with designated initializers,
 * `(genc_is_opts){.n = 100000, .key = genc_key_from_seed(7)}`; a
 * zero-initialized field takes the default shown. */
typedef struct genc_is_opts {
  int64_t n;         /**< particles, >= 0; 0 means GENC_IS_DEFAULT_N */
  genc_key key;      /**< random key; default the all-zero key (a valid, fixed key) */
  genc_gf *proposal; /**< custom proposal generative function; NULL (default): the
                          model's internal proposal, its prior */
  genc_array *const *proposal_args; /**< the proposal's arguments (NULL: none) */
  /** Capture the model's generate on its first tile of genc_gf_tile()
   * particles, compile that graph (genc_graph_compile(), genc/exec.h; where it
   * cannot, the interpreter replays it) and replay it for the other tiles
   * (genc_gf_generate_replayed()): the eager weights and trace, floats within
   * a few ulps. Without a custom proposal and with n over one tile only (else
   * eager). GENC_COMPILE_ON compiles always, blocking (on B1 0.18-0.26x the
   * eager time at n = 1e5-1e6 but 1.2x at 1e4: the compiled code is loaded on
   * every call). GENC_COMPILE_AUTO (default) captures the first tile and
   * compiles in the background only when the first tile's time times the
   * tiles left is at least GENC_AUTO_COMPILE_S; the other tiles replay the
   * graph interpreted (the eager kernels, bit for bit) until the code is
   * loaded. GENC_COMPILE_OFF: eager. */
  genc_compile_mode compile;
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
/** A kernel running the user function @p fn with @p user (not owned); @p name (copied) appears in
 * messages. */
genc_kernel *genc_kernel_user(const char *name, genc_kernel_fn fn, void *user);
/** genc_kernel_user() owning @p user: @p free_user (may be NULL) is called on it when the last
 * reference goes, or at once when the kernel cannot be made (NULL returned). */
genc_kernel *genc_kernel_user_owned(const char *name, genc_kernel_fn fn, void *user,
                                    void (*free_user)(void *));
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
/** GENC_COMPILE_AUTO of genc_mcmc_opts: eager iterations timed, after the
 * first (which pays first-touch costs), before the run decides to compile. */
#define GENC_MCMC_AUTO_PROBE 3

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
  /** Capture one application of the kernel as a graph (genc_graph_capture(),
   * array.h: the trace's arrays and the iteration's key in, the new trace's
   * arrays and acceptance counts out), compile it (genc_graph_compile(),
   * genc/exec.h; the interpreter replays it where no compiler runs) and replay
   * it every iteration, chains and draws as the eager run's (floats within the
   * executor's few ulps). Kernels that read the driver step (user kernels,
   * cycles), and steps the capture refuses (a branch on a drawn value, a
   * single-chain mixture), run eagerly with no error; see @p compiled.
   * GENC_COMPILE_ON captures at the first iteration and waits for the
   * compiler. GENC_COMPILE_AUTO (default) runs GENC_MCMC_AUTO_PROBE + 1
   * iterations eagerly, and captures (compiling in the background, replays
   * interpreted until the code is loaded) only when the pace of the last
   * GENC_MCMC_AUTO_PROBE of them times the iterations left is at least
   * GENC_AUTO_COMPILE_S; between GENC_AUTO_LOAD_S and that it captures and
   * replays the step from a cached object or interpreted (@p compiled then
   * reads true although nothing compiled); below, the run stays eager.
   * GENC_COMPILE_OFF: eager. */
  genc_compile_mode compile;
  int compile_threads; /**< compile: worker threads of the replays (0: all cores) */
  bool *compiled;      /**< if not NULL: set true when iterations replayed a captured step */
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

/* ---- exact enumeration, Gibbs, elliptical slice, involutive MCMC, MAP
 *      (src/infer/enumerate.c, gibbs.c, elliptical.c, involutive.c, map.c) ---- */

/** A discrete address and its finite value set, for genc_enumerate() and
 * genc_gibbs(). The trace API does not expose the distribution at an address,
 * so the caller gives the support: {0, 1} for a Bernoulli, {0 .. K-1} for a
 * categorical, {0 .. n} for a binomial. Values outside the support are legal
 * and score -inf. */
typedef struct genc_enum_var {
  const char *addr;     /**< text address ("z", "z/3") of a 0-d discrete choice */
  int nvalues;          /**< >= 1 */
  const double *values; /**< the value set (whole numbers for a discrete choice) */
} genc_enum_var;

/** What genc_enumerate() returns; release with genc_enum_result_clear(). */
typedef struct genc_enum_result {
  int64_t n;         /**< combinations: the product of the value-set sizes */
  int nvars;         /**< enumerated addresses */
  double *values;    /**< n * nvars: combination j's value of var v at [j * nvars + v];
                          the last variable varies fastest */
  double *log_joint; /**< n joint log densities log p(z_j, obs) */
  double *posterior; /**< n posterior probabilities p(z_j | obs), summing to 1 */
  double log_ml;     /**< log p(obs) = logsumexp(log_joint) */
} genc_enum_result;

/**
 * Exact enumeration of a small discrete model (GenMLX's enumerate): every
 * combination of the @p nvars value sets @p vars becomes one particle of a
 * single batched genc_gf_generate() of @p model on @p args, constrained by
 * the combination and the observations @p obs (may be NULL), so the weights
 * are the joint log densities. Every latent choice must be enumerated or
 * observed: a combination whose trace score differs from its weight (an
 * unconstrained choice was drawn) is GENC_ERR_ARG. At most 2^24
 * combinations. A combination of zero probability is legal (-inf); when all
 * are, GENC_ERR_DOMAIN. Fills @p out (zeroed first; nothing to free on error).
 */
genc_status genc_enumerate(genc_ctx *ctx, genc_gf *model, genc_array *const *args,
                           const genc_choicemap *obs, int nvars, const genc_enum_var *vars,
                           genc_enum_result *out);

/** Posterior marginal of variable @p var of @p r over its value set, into
 * @p probs (vars[var].nvalues doubles, in the order of the value set). */
genc_status genc_enum_marginal(genc_ctx *ctx, const genc_enum_result *r, const genc_enum_var *vars,
                               int var, double *probs);

/** Release what @p r holds and zero it. NULL is a no-op. */
void genc_enum_result_clear(genc_enum_result *r);

/**
 * One Gibbs step at the discrete address @p var->addr: score every value of
 * the value set given the rest of the trace, draw from that conditional
 * (categorical over the scores) and return the trace with the drawn value (a
 * new reference), or NULL on error. A single trace is scored by one batched
 * fully constrained genc_gf_generate() with one particle per value (so the
 * model's address set must not depend on the value); N batched chains by one
 * batched genc_gf_update() per value, each chain drawing from its own
 * conditional. The step always "accepts". Values are cast to the dtype of
 * the current value (bool for a Bernoulli). A value set whose every value
 * has zero probability for some chain is GENC_ERR_DOMAIN naming the address.
 */
genc_trace *genc_gibbs(genc_ctx *ctx, const genc_trace *t, const genc_enum_var *var, genc_key key);

/**
 * One elliptical slice sampling step (Murray, Adams and MacKay 2010) at the
 * address @p addr whose prior is Gaussian N(@p mean, S S^T): @p scale S is
 * either of the value's shape (elementwise standard deviations: a normal or
 * broadcasted normal) or, for a 1-d value of length d, a d x d lower
 * Cholesky factor (a multivariate normal). The likelihood is the trace's
 * score minus the prior term at @p addr, genc_gf_project() of that address,
 * so the given prior must be the model's prior at @p addr (conditionally on
 * the choices before it). Draws nu ~ N(0, S S^T), then angles on the ellipse
 * mean + (x - mean) cos a + nu sin a, shrinking the bracket until the
 * likelihood clears the slice; always moves. Single traces only. Returns the
 * new trace (a new reference) or NULL on error (GENC_ERR_DOMAIN when 200
 * shrinks do not find a point, which only a likelihood that is -inf at the
 * current point can cause).
 */
genc_trace *genc_elliptical_slice(genc_ctx *ctx, const genc_trace *t, const char *addr,
                                  genc_array *mean, genc_array *scale, genc_key key);

/**
 * An involution for genc_mh_involutive(): given the model trace @p t and the
 * auxiliary choices @p fwd the proposal drew, write into the empty maps
 * @p constraints the new values of the model choices it changes (the update
 * constraints) and into @p bwd the auxiliary choices that map back, and set
 * @p *log_abs_det_j to the log |Jacobian| of (t's moved values, fwd) ->
 * (constraints, bwd) (an array: 0-d, batched with the trace; NULL means 0 for
 * a discrete or volume-preserving map). Arrays belong to the caller's scope.
 * Return GENC_OK or a status with the context's message set.
 */
typedef genc_status (*genc_involution_fn)(genc_ctx *ctx, const genc_trace *t,
                                          const genc_choicemap *fwd, genc_choicemap *constraints,
                                          genc_choicemap *bwd, genc_array **log_abs_det_j,
                                          void *user);

/**
 * Involutive MCMC (Cusumano-Towner, Lew and Mansinghka; Gen.jl's
 * mh(trace, proposal, proposal_args, involution)): (u, wf) =
 * propose_from(t, @p proposal, @p proposal_args); (c, u', logJ) =
 * @p involution(t, u); (t', w) = update(t, c); wb = assess_from(t', proposal,
 * proposal_args, u'); accept with probability min(1, exp(w + wb - wf +
 * logJ)). One trace or N batched chains (per-chain accept through
 * genc_trace_select()). Result and @p accepted as genc_mh_select().
 */
genc_trace *genc_mh_involutive(genc_ctx *ctx, const genc_trace *t, genc_gf *proposal,
                               genc_array *const *proposal_args, genc_involution_fn involution,
                               void *user, genc_key key, genc_array **accepted);

/** Step rules of genc_map_optimize(). */
typedef enum genc_map_method {
  GENC_MAP_ADAM = 0, /**< Adam (Kingma and Ba 2015), bias-corrected */
  GENC_MAP_SGD       /**< plain gradient ascent x += lr * grad */
} genc_map_method;

/** Options of genc_map_optimize(); zero fields take the defaults shown. */
typedef struct genc_map_opts {
  genc_map_method method; /**< default Adam */
  int64_t iters;          /**< most steps; default 1000 */
  double lr;              /**< step size; default 0.01 (Adam and SGD) */
  double beta1, beta2;    /**< Adam's moment decays; default 0.9 and 0.999 */
  double eps;             /**< Adam's denominator guard; default 1e-8 */
  double grad_tol;        /**< stop when every |gradient| < grad_tol; default 1e-10 */
} genc_map_opts;

/**
 * MAP by gradient ascent of the trace's score over the continuous choices in
 * @p s, with genc_gf_choice_gradients() and genc_gf_update() (the other
 * choices stay fixed). Runs on the natural space of the choices: there is no
 * unconstrained transform, so a positive or unit-interval choice whose step
 * leaves the support gets a -inf score and the optimizer stops there with
 * GENC_ERR_DOMAIN naming the iteration (lower lr). One trace or N batched
 * traces (each optimized on its own, stopping when all gradients are below
 * grad_tol). Returns the final trace (a new reference) or NULL; @p iters_run
 * (may be NULL) gets the number of steps taken. Memory is flat per step.
 */
genc_trace *genc_map_optimize(genc_ctx *ctx, const genc_trace *t, const genc_selection *s,
                              const genc_map_opts *opts, int64_t *iters_run);

/* ---- NUTS on a log density callback (src/infer/nuts.c, nuts_run.c, adapt.c) ---- */

/**
 * A log density and its gradient on R^dim, the interface of the gradient
 * samplers: store log p(theta) (up to a constant) in @p lp and its gradient
 * in @p grad (dim doubles), return GENC_OK. The model log-density object of
 * this layer (a model, its data and a flat vector on the unconstrained space,
 * as BridgeStan offers) provides one; a hand-written function works the same.
 * A point outside the support is not an error: store lp = -inf (or NaN) and
 * return GENC_OK; the sampler then rejects it (a divergence inside a
 * trajectory). Any other status stops the sampler with that status (the
 * callback should have set the context's message through @p user).
 */
typedef genc_status (*genc_lp_grad_fn)(void *user, const double *theta, int dim, double *lp,
                                       double *grad);

/** Metric (mass matrix) of the gradient samplers. */
typedef enum genc_metric {
  GENC_METRIC_DIAG = 0, /**< diagonal, adapted in Stan's windows (CmdStan's diag_e) */
  GENC_METRIC_UNIT,     /**< identity, never adapted (unit_e) */
  GENC_METRIC_DENSE     /**< dense, adapted in the same windows to the regularized sample
                             covariance (n / (n + 5)) Sigma + 1e-3 (5 / (n + 5)) I of each
                             window's draws (dense_e); momenta drawn through the Cholesky
                             factor of the inverse metric. Worth it for correlated posteriors
                             of moderate dimension (each leapfrog costs O(dim^2)) */
} genc_metric;

/** genc_nuts_opts.warmup value asking for no warmup (and so no adaptation). */
#define GENC_NUTS_NO_WARMUP (-1)

/** Options of genc_nuts(), written with designated initializers,
 * `(genc_nuts_opts){.samples = 2000, .key = genc_key_from_seed(1)}`; a zero
 * field takes the default shown, which is CmdStan's. */
typedef struct genc_nuts_opts {
  int64_t warmup;                 /**< adaptation iterations, not returned; default 1000;
                                       GENC_NUTS_NO_WARMUP for none */
  int64_t samples;                /**< draws returned; default 1000 */
  double delta;                   /**< target acceptance statistic in (0, 1); default 0.8 */
  int max_depth;                  /**< maximum tree depth, 1 .. 30; default 10 */
  genc_key key;                   /**< random key; iteration s (warmup included) uses
                                       genc_key_fold_in(key, s); default the zero key */
  genc_metric metric;             /**< default GENC_METRIC_DIAG */
  double stepsize;                /**< initial step size; default 1 (then Stan's heuristic) */
  const double *inv_metric;       /**< initial inverse metric: dim values > 0 (diagonal,
                                       unit) or, for GENC_METRIC_DENSE, a dim x dim
                                       symmetric positive definite matrix, row-major;
                                       NULL: the identity */
  const double *init;             /**< initial point (dim values); NULL: uniform on
                                       (-init_radius, init_radius), up to 100 tries for a
                                       finite lp and gradient, as Stan */
  double init_radius;             /**< default 2 */
  double gamma;                   /**< dual averaging regularization; default 0.05 */
  double t0;                      /**< dual averaging iteration offset; default 10 */
  double kappa;                   /**< dual averaging relaxation exponent; default 0.75 */
  int64_t init_buffer;            /**< fast initial buffer; default 75 */
  int64_t term_buffer;            /**< fast terminal buffer; default 50 (CmdStan's) */
  int64_t window;                 /**< first slow window, doubling after; default 25 */
  genc_mcmc_progress_fn progress; /**< called every progress_every iterations
                                       (warmup included), or NULL; nonzero stops the
                                       run with GENC_ERR_ARG "stopped" */
  int64_t progress_every;         /**< default 100 */
  void *progress_user;            /**< passed to progress */
} genc_nuts_opts;

/** One chain of genc_nuts(), owned by the caller (genc_nuts_result_clear()).
 * draws[s * dim + j] is parameter j of draw s and stats[s] its sampler
 * statistics: draw s goes straight to genc_stan_csv_write(ctx, csv,
 * &r.stats[s], r.draws + s * r.dim, NULL), and stepsize and inv_metric fill
 * genc_stan_csv_config's adaptation block. */
typedef struct genc_nuts_result {
  int dim;                   /**< parameters */
  int64_t samples;           /**< draws */
  double *draws;             /**< samples * dim values, [samples][dim] (malloc'ed) */
  genc_sampler_stats *stats; /**< samples entries (malloc'ed) */
  double stepsize;           /**< step size after warmup */
  double *inv_metric;        /**< the adapted inverse metric (malloc'ed): dim values (its
                                  diagonal) or, dense, dim x dim row-major, as
                                  genc_stan_csv_config.inv_metric takes it */
  double warmup_seconds;     /**< wall time of warmup */
  double sampling_seconds;   /**< wall time of sampling */
  genc_metric metric;        /**< the run's metric (dense: inv_metric is dim x dim) */
} genc_nuts_result;

/**
 * One chain of the No-U-Turn sampler on the density @p fn (@p user passed
 * through) in @p dim >= 1 dimensions, as Stan 2.26+ runs it: multinomial
 * sampling of the trajectory's points, biased progressive sampling of each
 * new subtree, the generalized no-U-turn criterion checked over each merged
 * tree and across the two subtrees' neighbouring ends, a divergence when the
 * energy error exceeds 1000 (the trajectory stops, the draw is flagged).
 * Warmup adapts the step size by dual averaging and the diagonal or dense
 * inverse metric in Stan's windows (see ::genc_nuts_opts, ::genc_metric). Fills @p out (zeroed
 * first; nothing to free on error). Errors: NULL arguments, out-of-range
 * options (GENC_ERR_ARG naming the field), no finite initial point
 * (GENC_ERR_DOMAIN naming the coordinate and the value tried), a callback
 * failure (its status), or the step size heuristic running away.
 */
genc_status genc_nuts(genc_ctx *ctx, genc_lp_grad_fn fn, void *user, int dim,
                      const genc_nuts_opts *opts, genc_nuts_result *out);

/**
 * @p nchains independent chains, chain c run by genc_nuts() with the key
 * genc_key_fold_in(opts->key, c) into out[c] (nchains results, freed on
 * error). opts->init, when given, starts every chain.
 */
genc_status genc_nuts_chains(genc_ctx *ctx, genc_lp_grad_fn fn, void *user, int dim, int nchains,
                             const genc_nuts_opts *opts, genc_nuts_result *out);

/**
 * Parameter @p j's draws of @p nchains results with equal sample counts,
 * copied into @p dst (nchains * samples doubles) in the diagnostics' layout
 * [chains][iterations], ready for genc_diag_rhat() and its siblings.
 */
genc_status genc_nuts_param_draws(genc_ctx *ctx, const genc_nuts_result *res, int nchains, int j,
                                  double *dst);

/** Release what @p r holds and zero it. NULL is a no-op. */
void genc_nuts_result_clear(genc_nuts_result *r);

/* ---- N chains in lock-step (src/infer/nuts_lockstep.c, nuts_step.c) ---- */

/**
 * A log density and its gradient at @p n points at once, the interface of the
 * lock-step samplers: theta holds the points as [n][dim]; store their log
 * densities in lp[n] and gradients in grad[n][dim]. A point outside the
 * support is not an error: lp = -inf (or NaN), as ::genc_lp_grad_fn. Any
 * other status stops the sampler with that status.
 * genc_logdensity_lp_grad_batch() is one for a model.
 */
typedef genc_status (*genc_lp_grad_batch_fn)(void *user, int n, const double *theta, int dim,
                                             double *lp, double *grad);

/**
 * @p nchains NUTS chains in lock-step (NumPyro's vectorized chains): each
 * chain builds its own tree, and every round evaluates the next leapfrog
 * point of every unfinished chain with one call of @p fn (n = the chains
 * still running; a chain whose iteration ends starts its next one in the
 * same round, and finished chains wait). Warmup adapts each chain's step
 * size and metric on its own. Chain c uses the key
 * genc_key_fold_in(opts->key, c) and follows genc_nuts() step for step, so
 * it does not depend on @p nchains, and equals chain c of genc_nuts_chains()
 * bit for bit when @p fn evaluates each point as the single-point callback
 * would. Options, results (out[nchains], freed on error) and errors as
 * genc_nuts(); a chain's warmup_seconds and sampling_seconds are wall times
 * shared with the others (the run's wall time is their maximum, not their
 * sum); opts->progress gets the chain iterations done and their total
 * (nchains times warmup + samples). The initial points and the step size
 * heuristics evaluate one point per call.
 */
genc_status genc_nuts_lockstep(genc_ctx *ctx, genc_lp_grad_batch_fn fn, void *user, int dim,
                               int nchains, const genc_nuts_opts *opts, genc_nuts_result *out);

/* ---- the log density on the unconstrained space (as BridgeStan) ---- */

/**
 * A model's log density over a flat vector theta of its selected continuous
 * choices, each moved to the real line by Stan's transform for the support its
 * distribution declares (genc_trace_support()): identity for real values, log
 * for positive and nonnegative ones, logit for the unit interval, a scaled
 * logit for intervals (uniform, truncated normal: bounds read once from the
 * template trace, so they must not depend on the selected choices; the
 * wrapped laws' circle as [-pi, pi]), stick-breaking for simplexes (K - 1
 * entries per simplex). log p(theta) = log p(choices, observations) + log|J|.
 * Every choice of the model must be either selected or observed.
 */
typedef struct genc_logdensity genc_logdensity;

/**
 * The log density of @p gf on @p args given the observations @p obs (copied;
 * NULL: none) over the @p naddrs text addresses @p addrs (theta holds them in
 * this order, each value flattened row-major). @p tmpl, a single trace of the
 * model, gives the shapes, supports and interval bounds. An address with a
 * discrete or undeclared support is GENC_ERR_UNSUPPORTED naming it. NULL on
 * error.
 */
genc_logdensity *genc_logdensity_new(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                                     const genc_choicemap *obs, int naddrs,
                                     const char *const *addrs, const genc_trace *tmpl);
/** Free it. NULL is a no-op. */
void genc_logdensity_free(genc_logdensity *ld);
/**
 * Whether evaluations of @p ld run through a captured graph (genc/array.h's
 * genc_graph_capture): the first evaluation for a batch size (with or
 * without gradient) captures the generate and the backward pass with the
 * selected values as inputs, later ones replay it (the ops alone: no choice
 * maps, traces or tape; compiled and fused on the CPU). GENC_COMPILE_ON
 * compiles at the capture, waiting for the compiler (a disk-cached object
 * loads at once); AUTO compiles in the background (replays interpret until
 * it is loaded, so the switch, and the last ulps of the values after it,
 * depend on timing); OFF, the default, evaluates eagerly (bit for bit
 * reproducible: NUTS trajectories amplify last-ulp differences). A model
 * whose capture is refused (a branch on a value) stays eager, with no
 * error; a replay whose guard changed is redone eagerly. CPU contexts only
 * (others evaluate eagerly).
 */
genc_status genc_logdensity_set_compile(genc_ctx *ctx, genc_logdensity *ld, genc_compile_mode mode);
/** Whether @p ld's evaluations now replay a captured graph (false: eager, or
 * nothing captured yet). */
bool genc_logdensity_captured(const genc_logdensity *ld);
/** Length of theta (0 for NULL). */
int64_t genc_logdensity_dim(const genc_logdensity *ld);
/** Number of constrained values (a simplex of K counts K). */
int64_t genc_logdensity_constrained_dim(const genc_logdensity *ld);
/** CmdStan's name of constrained value @p i ("mu", "w.2", "L.1.3"; 1-based
 * indices, row-major), NULL out of range. Owned by @p ld. */
const char *genc_logdensity_param_name(const genc_logdensity *ld, int64_t i);
/**
 * Log density at @p theta into @p lp and, when @p grad is not NULL, its
 * gradient (dim values) by the model's tape. A point of probability zero gives
 * lp = -inf and a zero gradient (not an error).
 */
genc_status genc_logdensity_eval(genc_ctx *ctx, genc_logdensity *ld, const double *theta,
                                 double *lp, double *grad);
/** genc_logdensity_eval() at @p n points at once (theta and grad [n][dim], lp
 * [n]) through one batched run of the model. */
genc_status genc_logdensity_eval_batch(genc_ctx *ctx, genc_logdensity *ld, int64_t n,
                                       const double *theta, double *lp, double *grad);
/** The constrained values of @p theta into @p x (constrained_dim values, in
 * the order of the names) and log|J| into @p log_jac (may be NULL). */
genc_status genc_logdensity_constrain(genc_ctx *ctx, const genc_logdensity *ld, const double *theta,
                                      double *x, double *log_jac);
/** theta of the selected choices of the trace @p t: dim values for a single
 * trace, [n][dim] for a batched trace of n particles. A value on or outside
 * its support's boundary is GENC_ERR_DOMAIN naming the address, the support
 * and the value. */
genc_status genc_logdensity_unconstrain(genc_ctx *ctx, const genc_logdensity *ld,
                                        const genc_trace *t, double *theta);
/** The selected choices at @p theta (constrained) as a new choice map: shared
 * values for n = 0 (theta: dim values), batched over n particles for n >= 1
 * (theta: [n][dim]); ready as constraints for genc_gf_update(). NULL on
 * error. */
genc_choicemap *genc_logdensity_choicemap(genc_ctx *ctx, const genc_logdensity *ld, int64_t n,
                                          const double *theta);
/** GENC_OK if the log density is finite at @p theta; else GENC_ERR_DOMAIN
 * naming the first selected address whose log density is not finite, its
 * constraint and its value (or saying the observations are impossible). */
genc_status genc_logdensity_check_init(genc_ctx *ctx, genc_logdensity *ld, const double *theta);

/** The user data of genc_logdensity_lp_grad(): the context to evaluate in,
 * the log density, and a count of the evaluations that failed. */
typedef struct genc_logdensity_fn {
  genc_ctx *ctx;
  genc_logdensity *ld;
  int64_t failures; /**< evaluations whose model run failed (read as lp = -inf) */
} genc_logdensity_fn;

/**
 * A genc_logdensity as a ::genc_lp_grad_fn, @p user a genc_logdensity_fn:
 * NUTS on a model is
 * `genc_logdensity_fn f = {ctx, ld}; genc_nuts(ctx, genc_logdensity_lp_grad, &f,
 * (int)genc_logdensity_dim(ld), &opts, &res);` (or genc_nuts_model()). A model
 * evaluation that fails (an error status, say a score of +inf at an extreme
 * point) or gives a non-finite lp is stored as lp = -inf with a zero gradient
 * and GENC_OK, the context's error cleared and f->failures counted: the
 * sampler treats the point as of probability zero (a divergence inside a
 * trajectory). Only GENC_ERR_NOMEM and bad arguments are returned.
 */
genc_status genc_logdensity_lp_grad(void *user, const double *theta, int dim, double *lp,
                                    double *grad);

/**
 * genc_nuts() on the model log density @p ld through genc_logdensity_lp_grad();
 * the draws are on the unconstrained space (genc_logdensity_constrain() maps
 * each back). A given opts->init is checked first with
 * genc_logdensity_check_init(), so a bad start names its address.
 */
genc_status genc_nuts_model(genc_ctx *ctx, genc_logdensity *ld, const genc_nuts_opts *opts,
                            genc_nuts_result *out);

/**
 * A genc_logdensity as a ::genc_lp_grad_batch_fn, @p user a
 * genc_logdensity_fn: the n points in one batched run of the model
 * (genc_logdensity_eval_batch()). A failed or non-finite point reads as
 * lp = -inf with a zero gradient, as genc_logdensity_lp_grad(): when the
 * batched run fails, the points are evaluated one at a time so that only the
 * failing ones are lost. Only GENC_ERR_NOMEM and bad arguments are returned.
 */
genc_status genc_logdensity_lp_grad_batch(void *user, int n, const double *theta, int dim,
                                          double *lp, double *grad);

/**
 * The log density of the model of @p t over the @p naddrs text addresses
 * @p addrs given all the other choices of @p t, held as observations (Gibbs's
 * conditional of the selection, up to a constant): genc_logdensity_new() with
 * the trace's arguments, its unselected choices as @p obs and @p t (particle 0
 * of a batched trace) as the template. For a batched trace of n particles the
 * observations are batched: evaluate it with genc_logdensity_eval_batch() at
 * exactly n points (point i with particle i's other choices). NULL on error.
 */
genc_logdensity *genc_logdensity_of_trace(genc_ctx *ctx, const genc_trace *t, int naddrs,
                                          const char *const *addrs);

/** Options of genc_kernel_hmc(), written with designated initializers. */
typedef struct genc_hmc_kernel_opts {
  double step_size;         /**< leapfrog step size on the unconstrained space (> 0, required) */
  int nleapfrog;            /**< leapfrog steps per application; default 1, which is MALA */
  const double *inv_metric; /**< diagonal inverse metric (metric_dim values > 0, copied),
                                 or NULL: the identity */
  int64_t metric_dim;       /**< its length: the selection's unconstrained dimension */
} genc_hmc_kernel_opts;

/**
 * A kernel moving the continuous choices at the @p naddrs text addresses
 * @p addrs (copied) by one static HMC step (MALA for one leapfrog step) with a
 * fixed step size and diagonal metric, the other choices of the trace held
 * fixed (genc_logdensity_of_trace(): each application rebuilds that density,
 * so it composes with MH or Gibbs kernels on the other choices, discrete
 * ones included, in genc_kernel_cycle() or genc_kernel_sequence()). The
 * selected values move on the unconstrained space (Stan's transforms; the
 * Jacobian is in the target). N chains of a batched trace step in lock-step,
 * one batched run of the model per leapfrog step; chain i accepts on its own
 * energy error and draws from genc_key_particle(key, i), so it is the single
 * run with that key. A leapfrog step where the model fails rejects the
 * proposal (of every chain, when the batched run fails); a start outside the
 * support is GENC_ERR_DOMAIN. Reports 1 proposed and 0/1 accepted per chain.
 * NULL on bad options (step size not > 0, nleapfrog < 0, a metric value not
 * > 0) or NOMEM; the metric's length is checked at the first application.
 */
genc_kernel *genc_kernel_hmc(int naddrs, const char *const *addrs,
                             const genc_hmc_kernel_opts *opts);

/** Options of genc_kernel_nuts(), written with designated initializers. */
typedef struct genc_nuts_kernel_opts {
  double step_size;         /**< leapfrog step size on the unconstrained space (> 0, required),
                                 say a previous warmup's adapted one */
  int max_depth;            /**< tree depth limit, at most 30; default 0 means 10 */
  const double *inv_metric; /**< diagonal inverse metric (metric_dim values > 0, copied),
                                 or NULL: the identity; dense: see @p dense */
  int64_t metric_dim;       /**< its length: the selection's unconstrained dimension d
                                 (dense: d * d) */
  bool dense;               /**< inv_metric is dense: d x d, row-major, symmetric positive
                                 definite (required; checked at the first application) */
} genc_nuts_kernel_opts;

/**
 * A kernel moving the continuous choices at the @p naddrs text addresses
 * @p addrs (copied) by one NUTS transition (Stan's multinomial NUTS, as
 * genc_nuts() without adaptation) with a fixed step size and a diagonal or
 * dense metric (say a previous warmup's), the other choices held fixed: genc_kernel_hmc() with
 * NUTS's trajectory, composing the same way with MH or Gibbs kernels on the other choices. The
 * chains of a batched trace build their own trees in lock-step (as genc_nuts_lockstep()): every
 * round is one batched run of the model at all n points (the chains not waiting for an evaluation
 * are evaluated too, their values unused, since the density of a batched trace takes exactly n
 * points). Chain i draws from genc_key_particle(key, i), so it is the single
 * run with that key. A round whose batched run fails is of probability zero
 * for every waiting chain (a divergence); a start outside the support is
 * GENC_ERR_DOMAIN. Reports 1 proposed and, per chain, 1 accepted when the
 * selection moved. NULL on bad options or NOMEM; the metric's length is
 * checked at the first application.
 */
genc_kernel *genc_kernel_nuts(int naddrs, const char *const *addrs,
                              const genc_nuts_kernel_opts *opts);

/**
 * genc_nuts_lockstep() on the model log density @p ld through
 * genc_logdensity_lp_grad_batch(): @p nchains chains, one batched run of the
 * model per round. opts->init, when given, is checked first as
 * genc_nuts_model() does.
 */
genc_status genc_nuts_model_lockstep(genc_ctx *ctx, genc_logdensity *ld, int nchains,
                                     const genc_nuts_opts *opts, genc_nuts_result *out);

/* ---- HMC and MALA on a genc_logdensity (host doubles) ---- */

/** Options of genc_hmc() and genc_mala(); genc_hmc_options_default() fills
 * Stan's defaults. */
typedef struct genc_hmc_options {
  int64_t warmup;          /**< adaptation iterations (default 1000) */
  int64_t samples;         /**< kept draws (default 1000) */
  double step_size;        /**< initial step size (default 1; adapted when adapt) */
  int nleapfrog;           /**< HMC leapfrog steps per iteration (default 16) */
  bool dense;              /**< dense metric (as GENC_METRIC_DENSE: the covariance adapted
                                in Stan's windows); the default false is diagonal */
  bool adapt;              /**< adapt step size and metric in warmup (default true) */
  double delta;            /**< target acceptance; default 0: the sampler's own, 0.8 for
                                HMC (Stan's) and 0.57 for MALA (Roberts and Rosenthal
                                1998's optimal rate) */
  double gamma, t0, kappa; /**< dual averaging (0.05, 10, 0.75: Hoffman and Gelman) */
  int64_t init_buffer, term_buffer, base_window; /**< Stan's windows (75, 25, 25) */
  double max_energy_error;  /**< a divergence: energy error above this (1000) */
  const double *inv_metric; /**< initial inverse metric: dim values > 0, or dim x dim
                                 symmetric positive definite row-major when dense;
                                 NULL (default): the identity */
} genc_hmc_options;

/** Stan's defaults (see the fields). */
genc_hmc_options genc_hmc_options_default(void);

/** What a run of genc_hmc() / genc_mala() returns. */
typedef struct genc_hmc_result {
  int64_t ndraws, dim;
  double *draws;     /**< [ndraws][dim] unconstrained draws (malloc'd) */
  double *lp;        /**< [ndraws] log densities */
  double *accept;    /**< [ndraws] acceptance statistics */
  int64_t divergent; /**< divergent sampling iterations */
  double step_size;  /**< the adapted step size */
  double *metric;    /**< the inverse metric: [dim] diagonal or [dim][dim] dense */
} genc_hmc_result;

/** Free what @p r holds and zero it. */
void genc_hmc_result_clear(genc_hmc_result *r);

/**
 * Static HMC (nleapfrog leapfrog steps, diagonal or dense Euclidean metric) from the
 * unconstrained point @p init (genc_logdensity_check_init() first, so a bad
 * start is an error naming its address), with NUTS's warmup as Stan runs it
 * for static HMC: Stan's step size heuristic, dual averaging toward delta, and
 * at the end of each doubling slow window the regularized variance (dense: the
 * regularized covariance) as the new
 * inverse metric, the heuristic again and dual averaging restarted at
 * mu = log(10 eps). The acceptance statistic is min(1, exp(H0 - H1)). A
 * trajectory whose model evaluation fails (see genc_logdensity_lp_grad()) or
 * whose energy error exceeds max_energy_error is divergent and rejected.
 * Draws after warmup go to @p out (zeroed first; nothing to free on error).
 */
genc_status genc_hmc(genc_ctx *ctx, genc_logdensity *ld, const double *init,
                     const genc_hmc_options *opt, genc_key key, genc_hmc_result *out);
/** The Metropolis-adjusted Langevin algorithm: genc_hmc() with one leapfrog
 * step (the same warmup); the default delta is 0.57, MALA's optimal
 * acceptance rate (Roberts and Rosenthal 1998). */
genc_status genc_mala(genc_ctx *ctx, genc_logdensity *ld, const double *init,
                      const genc_hmc_options *opt, genc_key key, genc_hmc_result *out);

/**
 * @p nchains chains of genc_hmc() in lock-step (src/infer/hmc_lockstep.c):
 * every round evaluates the next leapfrog point of every chain that needs
 * one with a single call of @p fn (n = those chains), the step size
 * heuristic's leapfrogs included, so each chain runs its own warmup
 * (heuristic, dual averaging, metric windows) exactly as genc_hmc(). Chain c
 * starts at init[c][dim], uses the key genc_key_fold_in(key, c), does not
 * depend on @p nchains, and equals genc_hmc() from that point with that key
 * bit for bit when @p fn evaluates each point as the single-point callback
 * would (genc_logdensity_lp_grad_batch() on a model: @p user a
 * genc_logdensity_fn). An initial point whose log density is not finite is
 * GENC_ERR_DOMAIN naming the chain; options and errors otherwise as
 * genc_hmc(). Results in out[nchains] (zeroed first; cleared on error).
 */
genc_status genc_hmc_lockstep(genc_ctx *ctx, genc_lp_grad_batch_fn fn, void *user, int dim,
                              int nchains, const double *init, const genc_hmc_options *opt,
                              genc_key key, genc_hmc_result *out);
/** genc_mala() in lock-step: genc_hmc_lockstep() with one leapfrog step and
 * MALA's default delta 0.57; chain c equals genc_mala() with
 * genc_key_fold_in(key, c). */
genc_status genc_mala_lockstep(genc_ctx *ctx, genc_lp_grad_batch_fn fn, void *user, int dim,
                               int nchains, const double *init, const genc_hmc_options *opt,
                               genc_key key, genc_hmc_result *out);

/* ---- parallel tempering (src/infer/tempering.c) ---- */

/**
 * Default geometric ladder: betas[k] = beta_min^(k / (K - 1)), so betas[0] = 1
 * and betas[K-1] = beta_min, adjacent ratios equal (the ladder of Earl and
 * Deem for a log-likelihood whose variance scales as 1 / beta^2). @p beta_min
 * 0 means 0.01; it must lie in (0, 1]. K == 1 gives {1}.
 */
genc_status genc_pt_ladder(genc_ctx *ctx, int K, double beta_min, double *betas);

/**
 * One tempered MH step on a trace (or N batched chains) whose target is
 * p(latent) p(obs | latent)^beta: the edit @p move (GENC_EDIT_SELECTION or
 * GENC_EDIT_PROPOSAL) gives the untempered acceptance log-ratio w, and
 * log(u) < w - (1 - beta) (LL(t') - LL(t)) decides, LL = genc_gf_project() of
 * the selection @p obs. @p beta is a 0-d f64 array, batched over the chains
 * (one temperature each) or shared, every value in (0, 1]. With beta = 1 the
 * step is genc_mh_select() / genc_mh_proposal() with the same key, bit for
 * bit. Result and @p accepted as genc_mh_select().
 */
genc_trace *genc_mh_tempered(genc_ctx *ctx, const genc_trace *t, const genc_edit_request *move,
                             const genc_selection *obs, genc_array *beta, genc_key key,
                             genc_array **accepted);

/** Options of genc_pt_run(); zero fields take the defaults shown. */
typedef struct genc_pt_opts {
  int ntemps;               /**< K temperatures; default 4 */
  const double *betas;      /**< K inverse temperatures 1 = b_0 > ... > b_{K-1} > 0, or NULL for
                                 genc_pt_ladder(K, beta_min) */
  double beta_min;          /**< the default ladder's hottest beta; default 0.01 */
  int64_t warmup;           /**< iterations not recorded; default 0 */
  int64_t samples;          /**< iterations after warmup; default 1000 */
  int64_t thin;             /**< record every thin-th sampling iteration; default 1 */
  int64_t swap_every;       /**< attempt swaps after every swap_every-th MH step; default 1 */
  genc_key key;             /**< iteration s runs with genc_key_fold_in(key, s) */
  int naddrs;               /**< addresses recorded from the cold chains (0: none) */
  const char *const *addrs; /**< their text addresses */
  double *draws;            /**< M cold chains' draws, genc_mcmc_run()'s layout with C = M */
  int64_t draws_cap;        /**< its capacity in doubles */
  double *accept_rate;      /**< K doubles or NULL: MH acceptance per temperature (sampling) */
  double *swap_rate;        /**< K - 1 doubles or NULL: swap acceptance of pair (k, k+1) */
} genc_pt_opts;

/**
 * Parallel tempering (replica exchange) over K temperatures on N-chain MH.
 * @p init is a batched trace of K * M particles, M replicas of the ladder;
 * particle m * K + k holds replica m at temperature k (replica-major, so
 * replica m's K chains are particles [m K, m K + K)). Each iteration runs one
 * genc_mh_tempered() step with @p move on all particles at their own beta,
 * then, every swap_every-th iteration, swaps states between adjacent
 * temperatures of each replica: pairs (k, k+1) with k even and odd
 * alternately, accepted with probability min(1, exp((b_k - b_{k+1})
 * (LL_{k+1} - LL_k))); the swap is genc_trace_take() with the permutation.
 * The draws at @p opts->addrs of the cold chains (k = 0) are recorded.
 *
 * Same seed, same result whatever M: particle m K + k draws its MH randomness
 * from genc_key_particle() of its index and replica m its swap uniforms from
 * particles [m K, m K + K) of a batched draw, so replica m's chains do not
 * depend on how many replicas run beside it. A @p move whose proposal
 * arguments are batched (e.g. a step size per temperature) must hold K * M
 * particles in the same layout. Returns the final trace (new reference) or NULL.
 */
genc_trace *genc_pt_run(genc_ctx *ctx, const genc_trace *init, const genc_edit_request *move,
                        const genc_selection *obs, const genc_pt_opts *opts);

/* ---- sequential Monte Carlo: the particle filter (src/infer/smc.c) ----
 *
 * A particle filter over any model through generate and update: all N
 * particles live in one batched trace; step 0 is genc_gf_generate(), step t > 0
 * genc_gf_update() with step t's arguments, argument diffs and constraints, so
 * that a combinator's incremental update (Unfold's prefix skipping) makes the
 * step cost O(1) in t. */

/** Particles the filter runs when ::genc_smc_opts leaves n at 0. */
#define GENC_SMC_DEFAULT_N 1000
/** ESS threshold (fraction of N) when ::genc_smc_opts leaves it at 0. */
#define GENC_SMC_DEFAULT_ESS_THRESHOLD 0.5
/** An ESS threshold that never resamples. */
#define GENC_SMC_NEVER_RESAMPLE (-1.0)

/**
 * The model inputs of step @p t (0-based): fill @p args (genc_gf_nargs() of
 * the model; the arguments of the model for steps 0..t), @p argdiffs (as many
 * diffs, from step t-1's arguments; ignored at t = 0; left as filled by the
 * filter, genc_unknown(), they are safe but may defeat incremental update)
 * and @p *constraints (a new choice map the filter frees, or NULL for none:
 * step t's observations). Arrays made here belong to a scope the filter ends
 * after the step, which is fine: the trace retains what it keeps. Return
 * GENC_OK or the context's error.
 */
typedef genc_status (*genc_smc_step_fn)(genc_ctx *ctx, int64_t t, genc_array **args,
                                        genc_argdiff *argdiffs, genc_choicemap **constraints,
                                        void *user);

/** Options of genc_smc(). Write them with designated initializers,
 * `(genc_smc_opts){.n = 500, .scheme = GENC_RESAMPLE_SYSTEMATIC}`; a
 * zero-initialized field takes the default shown. */
typedef struct genc_smc_opts {
  int64_t n;                     /**< particles >= 0; 0 means GENC_SMC_DEFAULT_N */
  genc_key key;                  /**< random key; default the all-zero key */
  genc_resample_scheme scheme;   /**< resampling scheme; default multinomial */
  double ess_threshold;          /**< resample after step t (t < T-1) when ESS < ess_threshold * N;
                                      0: GENC_SMC_DEFAULT_ESS_THRESHOLD (0.5); >= 1: after every
                                      step; negative (GENC_SMC_NEVER_RESAMPLE): never, which is
                                      sequential importance sampling */
  const genc_kernel *rejuvenate; /**< MCMC kernel applied (driver step t) to the particles
                                      right after each resampling, e.g. MH on step t's choices;
                                      it must leave the step-t posterior invariant; default
                                      NULL: none */
  const struct genc_smcp3_kernels *proposal; /**< SMCP3 proposal kernels for every step
                                                  (genc_smcp3_extend()); default NULL: the
                                                  model's internal proposal (bootstrap) */
} genc_smc_opts;

/**
 * What genc_smc() returns; release with genc_smc_result_clear(). With log
 * weights w_i normalized after every step (log sum exp w = 0) and reset to
 * -log N at a resampling, step t with incremental weights v_i adds
 * log sum_i exp(w_i + v_i) to log_ml: the log-mean-exp of v when the weights
 * were equal, and in general the estimate that stays unbiased for Z under
 * adaptive resampling (E[exp(log_ml)] = p(observations)).
 */
typedef struct genc_smc_result {
  genc_trace *trace;   /**< batched trace of the n particles after the last step (a reference) */
  int64_t n;           /**< particles */
  int64_t steps;       /**< steps T */
  double *log_weights; /**< n final normalized log weights (log sum exp = 0; malloc'ed) */
  double log_ml;       /**< log of the marginal likelihood estimate */
  double *ess;         /**< [steps] ESS 1 / sum W_i^2 after weighting step t, before any
                            resampling (malloc'ed) */
  bool *resampled;     /**< [steps] whether the particles were resampled after step t */
  int64_t nresampled;  /**< how many steps resampled */
  genc_trace **traces; /**< genc_smc_sequential(): the n single traces (references; trace is
                            then NULL); NULL for genc_smc() */
} genc_smc_result;

/**
 * Run a particle filter of @p model over @p steps steps (>= 1) with the step
 * inputs from @p step_fn (and @p user), by @p opts (may be NULL: defaults).
 * Each step: generate (t = 0) or update (t > 0) the batched trace, add the
 * weights, compute the ESS; then, for t < T - 1 and ESS < threshold * N,
 * resample by opts->scheme (one genc_trace_take() of the batched trace) and
 * apply the rejuvenation kernel. The ancestors are genc_resample()'s from the
 * relative weights the reweighting computed, which equal genc_resample() of
 * the normalized weights except where a point falls within rounding of a
 * running sum. On a non-CPU context the weights stay on the device and
 * systematic and stratified resampling run there (an f64 cumulative sum and
 * genc_searchsorted of the same points, with the same proviso; the device sum
 * is not compensated); multinomial and residual resample on the host. Step t's random keys are
 * folded from opts->key and t. Fills @p out (zeroed first; on error nothing is left to free).
 * Errors: NULL arguments, steps < 1, n < 0, NaN threshold, a failing step function, model or kernel
 * (its message, with the step named), every particle of weight zero (GENC_ERR_DOMAIN naming the
 * step).
 */
genc_status genc_smc(genc_ctx *ctx, genc_gf *model, int64_t steps, genc_smc_step_fn step_fn,
                     void *user, const genc_smc_opts *opts, genc_smc_result *out);

/** Release what @p r holds (trace, arrays) and zero it. NULL is a no-op. */
void genc_smc_result_clear(genc_smc_result *r);

/**
 * The same particle filter over n separate single traces (src/infer/smc_seq.c):
 * one generate / update (or genc_smcp3_extend() with opts->proposal) per
 * particle and step, particle i keyed genc_key_particle(k, i) with the key k
 * genc_smc() gives the batched operation, the same host resampling as
 * genc_smc() on a CPU context (which reorders trace pointers) and the rejuvenation kernel applied
 * to each trace with its particle key. It is the baseline vectorized SMC is measured against
 * (bench/bench_smc.c): without proposal and rejuvenation it draws exactly what
 * genc_smc() on a CPU context draws (particle i of a batched operation equals the single-trace
 * operation with genc_key_particle()), so log_ml agrees to rounding; with them
 * it is the same algorithm with other random numbers. The particles go to
 * out->traces (out->trace is NULL). Arguments and errors as genc_smc().
 */
genc_status genc_smc_sequential(genc_ctx *ctx, genc_gf *model, int64_t steps,
                                genc_smc_step_fn step_fn, void *user, const genc_smc_opts *opts,
                                genc_smc_result *out);

/**
 * The step inputs of an Unfold-shaped model, for genc_smc_unfold_step(): the
 * model's arguments are (T, init, params...); step t has T = t + 1 (argument
 * diff genc_intdiff(1), the rest unchanged) and the constraints obs[t], a map
 * relative to the step (e.g. "y"), which the step function copies under
 * address t ("t/y").
 */
typedef struct genc_smc_unfold {
  int nrest;                        /**< genc_gf_nargs(model) - 1 (>= 0) */
  genc_array *const *rest;          /**< the genc_gf_nargs() - 1 arguments after T: init,
                                         params... (made before genc_smc(), so they outlive it) */
  const genc_choicemap *const *obs; /**< [steps] step-relative constraints (entries may be NULL) */
} genc_smc_unfold;

/** A ::genc_smc_step_fn for an Unfold-shaped model; @p user is a const
 * ::genc_smc_unfold *. */
genc_status genc_smc_unfold_step(genc_ctx *ctx, int64_t t, genc_array **args,
                                 genc_argdiff *argdiffs, genc_choicemap **constraints, void *user);

/* ---- SMCP3: SMC with probabilistic program proposals (src/infer/smcp3.c) ----
 *
 * Lew et al. 2023, "SMC with probabilistic program proposals": a step's
 * proposal is a generative function K that reads the old trace and proposes
 * choices of the new trace (new latents, and revised old ones), and a backward
 * generative function L that reads the new trace and scores the choices the
 * move removed or replaced. The incremental weight is
 *   log p(t'; x') - log p(t; x) + log L(discard; t') - log K(u; t),
 * the forward and backward proposal traces' scores, as in genc_gf_edit() with
 * GENC_EDIT_PROPOSAL but with new arguments and observations. The new trace is
 * the update of the old one with K's choices merged with the observations as
 * constraints (so the "trace translator" is the update: choices K proposes
 * replace or extend the trace; no deterministic transform or Jacobian). */

/** The kernels of an SMCP3 step. fwd NULL means the model's internal proposal
 * (plain generate/update: the bootstrap filter). */
typedef struct genc_smcp3_kernels {
  genc_gf *fwd;                /**< forward kernel K: proposes choices of the new trace, reading
                                    the old trace through genc_rt_from() (no trace at the first
                                    step: then genc_rt_from() is NULL) */
  genc_gf *bwd;                /**< backward kernel L: assesses, reading the new trace, the choices
                                    the update discarded; NULL only if it never discards any */
  genc_array *const *fwd_args; /**< K's arguments; NULL: the model's new arguments (so K has the
                                    model's arity and sees step t through them) */
  genc_array *const *bwd_args; /**< L's arguments; NULL: the model's old arguments */
} genc_smcp3_kernels;

/**
 * One SMCP3 move of the batched trace @p t (NULL: the first step, which
 * generates @p n particles) to the model's arguments @p args (NULL: keep; with
 * @p argdiffs as genc_gf_update()) and new observations @p obs (may be NULL):
 * (u, log K) = propose_from(t, fwd); (t', w, d) = update(t, args, u + obs);
 * log L = assess_from(t', bwd, d); @p weight (required; caller's scope, batched
 * 0-d) = w + log L - log K. At the first step (u, log K) = propose(fwd), t' =
 * generate(u + obs), weight = w - log K. K's choices and @p obs must be
 * disjoint. Returns t' (new reference) or NULL with a message naming the model,
 * the kernel and the operation that failed; a non-empty discard without a
 * backward kernel is GENC_ERR_ARG.
 */
genc_trace *genc_smcp3_extend(genc_ctx *ctx, genc_gf *model, const genc_trace *t,
                              genc_array *const *args, const genc_argdiff *argdiffs,
                              const genc_choicemap *obs, const genc_smcp3_kernels *k, genc_key key,
                              int64_t n, genc_array **weight);

/* ---- tempered SMC and annealed importance sampling (src/infer/tempered.c) ----
 *
 * Static model p(x, y) with observations y: the targets
 * pi_k(x) ~ p(x) p(y | x)^beta_k along 0 = beta_0 < ... < beta_K = 1. The
 * particles start from the prior (one batched genc_gf_generate() with y
 * constrained); step k reweights by (beta_k - beta_{k-1}) LL(x), LL(x) =
 * genc_gf_project() of the observed addresses (the generate weight of y),
 * resamples adaptively as genc_smc(), then moves every particle with MH
 * invariant for pi_k (genc_mh_tempered()). exp(log_ml) is unbiased for p(y)
 * with a fixed ladder; the adaptive ladder (beta_k chosen from the particles)
 * is the usual, very slightly biased, practice. Never resampling is annealed
 * importance sampling (Neal 2001). */

/** Options of genc_tempered_smc(); zero fields take the defaults shown. */
typedef struct genc_tempered_opts {
  int64_t n;                     /**< particles; 0: GENC_SMC_DEFAULT_N */
  genc_key key;                  /**< step k runs with genc_key_fold_in(key, k) */
  int nbetas;                    /**< points of a fixed ladder in betas (K + 1 >= 2); 0: adaptive */
  const double *betas;           /**< 0 = betas[0] < ... < betas[nbetas - 1] = 1 */
  double target_cess;            /**< adaptive: beta_k by bisection so that the conditional ESS
                                      of the step's increment (Zhou, Johansen and Aston 2016) is
                                      target_cess * N, in (0, 1); 0: 0.5 */
  int64_t max_steps;             /**< adaptive: at most this many steps (the last jumps to 1);
                                      0: 1000 */
  genc_resample_scheme scheme;   /**< resampling scheme; default multinomial */
  double ess_threshold;          /**< as ::genc_smc_opts: 0: 0.5; >= 1 every step but the last;
                                      negative: never (AIS) */
  const genc_edit_request *move; /**< MH move (GENC_EDIT_SELECTION or GENC_EDIT_PROPOSAL) applied
                                      by genc_mh_tempered() at beta_k after each step's
                                      resampling; NULL: no MCMC (then nmoves is ignored) */
  int64_t nmoves;                /**< MH steps per temperature; 0: 1 */
} genc_tempered_opts;

/** What genc_tempered_smc() returns; release with genc_tempered_result_clear(). */
typedef struct genc_tempered_result {
  genc_trace *trace;   /**< batched trace of the n particles at beta = 1 (a reference) */
  int64_t n;           /**< particles */
  int64_t steps;       /**< K, the reweighting steps */
  double *betas;       /**< [K + 1] the ladder used, betas[0] = 0, betas[K] = 1 (malloc'ed) */
  double *ess;         /**< [K] ESS after reweighting to beta_k, before resampling */
  bool *resampled;     /**< [K] whether step k resampled */
  int64_t nresampled;  /**< how many steps resampled */
  double *log_weights; /**< [n] final normalized log weights */
  double log_ml;       /**< log of the estimate of p(y) */
  double accept_rate;  /**< mean MH acceptance over all moves (NaN without moves) */
} genc_tempered_result;

/**
 * Tempered SMC of @p model on @p args with observations @p obs (a choice map;
 * its addresses are the likelihood, every other choice the prior) by @p opts
 * (NULL: defaults). Fills @p out (zeroed first; nothing to free on error).
 * Errors: NULL arguments, a bad ladder (not increasing from 0 to 1), n < 0,
 * target_cess outside (0, 1), a model or move failure (its message, with the
 * step named), every particle of weight zero (GENC_ERR_DOMAIN).
 */
genc_status genc_tempered_smc(genc_ctx *ctx, genc_gf *model, genc_array *const *args,
                              const genc_choicemap *obs, const genc_tempered_opts *opts,
                              genc_tempered_result *out);

/** Release what @p r holds and zero it. NULL is a no-op. */
void genc_tempered_result_clear(genc_tempered_result *r);

/* ---- particle MCMC: conditional SMC, particle Gibbs, PMMH (src/infer/csmc.c, pmcmc.c) ----
 *
 * Conditional SMC (Andrieu, Doucet and Holenstein 2010) is the particle filter
 * of genc_smc() with one particle, slot 0 of the batched trace, pinned to a
 * reference trajectory: at every step its choices are the reference's and at
 * every resampling its ancestor is itself, while the N - 1 others are drawn
 * from all N weights (multinomially: the conditional of multinomial
 * resampling is multinomial; other schemes' conditionals are not a scheme run
 * on N - 1). A trajectory drawn from the final weights is particle Gibbs's
 * update of the states. Particle Gibbs alternates it with MH on static
 * parameters theta; PMMH runs random-walk MH on theta with a fresh
 * genc_smc() estimate of the likelihood per proposal. */

/**
 * The selection of step @p t's choices (latent and observed) of a model run by
 * genc_csmc(), a new reference; NULL with the context's error on failure.
 */
typedef genc_selection *(*genc_csmc_select_fn)(genc_ctx *ctx, int64_t t, void *user);

/** Options of genc_csmc(); zero fields take the defaults shown. */
typedef struct genc_csmc_opts {
  int64_t n;            /**< particles >= 2 (slot 0 is the reference); 0: GENC_SMC_DEFAULT_N */
  genc_key key;         /**< random key; step t's keys are folded from it and t */
  double ess_threshold; /**< as ::genc_smc_opts (0: 0.5; >= 1: every step; < 0: never) */
  genc_csmc_select_fn step_select; /**< step t's choices; NULL: an Unfold-shaped model's,
                                        everything below address t */
  bool ancestor_sampling; /**< at each resampling, draw particle 0's ancestor with probability
                               proportional to W_i p(ref_{t+1}, y_{t+1} | particle i's past)
                               (Lindsten, Jordan and Schon 2014: particle Gibbs with ancestor
                               sampling, which mixes over the early states where plain particle
                               Gibbs degenerates); exact for Markov models; one more model run
                               per resampling step; default false */
} genc_csmc_opts;

/** What genc_csmc() returns; release with genc_csmc_result_clear(). */
typedef struct genc_csmc_result {
  genc_trace *trace;   /**< the batched trace of the n particles after the last step; particle 0
                            is the reference (a reference) */
  genc_trace *sample;  /**< the new trajectory: particle @p index as a single trace (a reference) */
  int64_t index;       /**< its slot, drawn from the final weights */
  int64_t n, steps;    /**< particles and steps */
  double *log_weights; /**< n final normalized log weights (malloc'ed) */
  double log_ml;       /**< the conditional filter's log Z estimate, accumulated as genc_smc()'s
                            (not unbiased for Z: it is conditioned on the reference) */
  int64_t nresampled;  /**< how many steps resampled */
} genc_csmc_result;

/**
 * Conditional SMC of @p model over @p steps steps with the step inputs of
 * @p step_fn (as genc_smc()), given the reference trajectory @p ref: a choice
 * map of shared (single-trace) values holding, for every step t, the latent
 * choices of step t (e.g. genc_trace_choices() of a single trace of the model
 * over @p steps steps; observed values in it are ignored). Step t's reference
 * latents are the entries of @p ref that opts->step_select(t) selects and step
 * t's constraints do not name.
 *
 * Each step extends all n particles as genc_smc() does (generate or update,
 * the internal proposal), then pins particle 0: an update constraining step
 * t's latents to the reference for every particle gives particle 0's weight
 * change u_0 and, in its discard, the particles' own values; a second update
 * constrains them to genc_where(particle == 0, reference, own). Particle 0's
 * incremental weight becomes v_0 + u_0 - log q(ref) + log q(own), q the
 * internal proposal (the prior) at those latents, read by two
 * genc_gf_project() calls. So a step runs the model three times (under
 * Unfold: three batched kernel runs, none linear in t) and costs 3-4 times a
 * genc_smc() step (3.2-3.9x measured at n = 1e2..1e4, T = 50). Resampling
 * keeps slot 0's ancestor at 0 and draws the other n - 1 by genc_resample()
 * (multinomial) from all n weights. Fills @p out
 * (zeroed first; nothing to free on error). Errors: NULL arguments, steps < 1,
 * n < 2 or above 2^31, NaN threshold, a reference with no latent choice at
 * some step or a batched value (GENC_ERR_ADDRESS / GENC_ERR_ARG naming the
 * step), a failing step function or model (its message).
 */
genc_status genc_csmc(genc_ctx *ctx, genc_gf *model, int64_t steps, genc_smc_step_fn step_fn,
                      void *user, const genc_choicemap *ref, const genc_csmc_opts *opts,
                      genc_csmc_result *out);

/** Release what @p r holds and zero it. NULL is a no-op. */
void genc_csmc_result_clear(genc_csmc_result *r);

/** Step inputs of a state-space model at the static parameters @p theta (dim doubles): as
 * ::genc_smc_step_fn, with theta entering through the arguments. */
typedef genc_status (*genc_pmcmc_step_fn)(genc_ctx *ctx, int64_t t, const double *theta,
                                          genc_array **args, genc_argdiff *argdiffs,
                                          genc_choicemap **constraints, void *user);

/** The log prior density of @p theta (up to a constant); -inf outside its support. */
typedef double (*genc_pmcmc_log_prior_fn)(const double *theta, void *user);

/** A state-space model with static parameters theta, for genc_particle_gibbs() and genc_pmmh(). */
typedef struct genc_pmcmc_model {
  genc_gf *model;                    /**< the state-space model (e.g. an Unfold) */
  int64_t steps;                     /**< steps T >= 1 */
  int dim;                           /**< theta's dimension >= 1 */
  genc_pmcmc_step_fn step;           /**< step inputs at theta */
  genc_pmcmc_log_prior_fn log_prior; /**< log p(theta) */
  genc_csmc_select_fn step_select;   /**< particle Gibbs: step t's choices (NULL: Unfold) */
  void *user;                        /**< passed to step, log_prior and step_select */
} genc_pmcmc_model;

/**
 * A user update of theta given the trajectory @p traj (a single trace of the
 * model at the current theta) for genc_particle_gibbs(), e.g. a draw from a
 * conjugate conditional p(theta | states, observations): write the new theta
 * in place, add the accepted and proposed MH moves to @p *accepted and
 * @p *proposed (exact draws: one each), return GENC_OK or the context's error.
 */
typedef genc_status (*genc_pg_theta_fn)(genc_ctx *ctx, const genc_trace *traj, double *theta,
                                        genc_key key, int64_t *accepted, int64_t *proposed,
                                        void *user);

/** Options of genc_particle_gibbs() and genc_pmmh(); zero fields take the defaults shown. */
typedef struct genc_pmcmc_opts {
  int64_t iters;               /**< recorded iterations; default 1000 */
  int64_t warmup;              /**< iterations run first and not recorded; default 0 */
  genc_key key;                /**< iteration s (warmup included) uses genc_key_fold_in(key, s) */
  const double *theta0;        /**< dim initial values (required; log prior finite there) */
  const double *scale;         /**< dim random-walk standard deviations > 0 (required unless
                                    particle Gibbs has theta_step) */
  int64_t n;                   /**< particles; 0: GENC_SMC_DEFAULT_N */
  double ess_threshold;        /**< as ::genc_smc_opts */
  genc_resample_scheme scheme; /**< PMMH's filter; particle Gibbs resamples multinomially */
  int theta_moves;             /**< particle Gibbs: random-walk MH moves on theta per
                                    iteration; default 1 */
  genc_pg_theta_fn theta_step; /**< particle Gibbs: replaces the random-walk moves if set */
  void *theta_user;            /**< passed to theta_step */
  bool ancestor_sampling;      /**< particle Gibbs: as ::genc_csmc_opts */
  int naddrs;                  /**< particle Gibbs: trajectory addresses recorded (0: none) */
  const char *const *addrs;    /**< their text addresses ("3/x"); scalar choices */
} genc_pmcmc_opts;

/** What genc_particle_gibbs() and genc_pmmh() return; release with genc_pmcmc_result_clear(). */
typedef struct genc_pmcmc_result {
  int dim;            /**< theta's dimension */
  int64_t iters;      /**< recorded iterations D */
  double *theta;      /**< [dim][D]: element (j, s) is theta[j * D + s], one chain in the
                           diagnostics' layout (genc_diag_ess_bulk(ctx, theta + j * D, 1, D)) */
  int naddrs;         /**< recorded trajectory addresses (particle Gibbs) */
  double *states;     /**< [naddrs][D] their values, or NULL */
  double *log_ml;     /**< [D]: PMMH: the chain's current log Z-hat; particle Gibbs: the
                           conditional filter's */
  double accept_rate; /**< accepted / proposed theta moves over the recorded iterations */
  genc_trace *trace;  /**< particle Gibbs: the last trajectory (a reference); PMMH: NULL */
} genc_pmcmc_result;

/**
 * Particle Gibbs (Andrieu et al. 2010) on @p m: the first trajectory is drawn
 * from a genc_smc() run at theta0 by its final weights; then each iteration
 * draws the states by genc_csmc() given theta and the last trajectory, and
 * then theta given the states: opts->theta_step, or opts->theta_moves
 * random-walk MH moves accepting by log p(theta') - log p(theta) plus the
 * genc_gf_update() weight of the trajectory to the arguments at theta' (step
 * T-1's, argument diffs unknown), i.e. log p(x, y | theta') - log p(x, y |
 * theta). Fills @p out (zeroed first; nothing to free on error). Errors:
 * NULL arguments, steps or dim < 1, iters < 0, warmup < 0, a missing
 * theta0 or scale, a non-positive scale, a theta0 outside the prior's
 * support, n < 2, a failing step function, model or filter (its message).
 */
genc_status genc_particle_gibbs(genc_ctx *ctx, const genc_pmcmc_model *m,
                                const genc_pmcmc_opts *opts, genc_pmcmc_result *out);

/**
 * Particle marginal Metropolis-Hastings (Andrieu et al. 2010) on @p m:
 * Gaussian random-walk proposals theta' = theta + scale * eps, each scored by
 * a fresh genc_smc() run (opts->n particles, scheme and threshold) at theta';
 * accepted with probability min(1, p(theta') Z-hat' / (p(theta) Z-hat)), the
 * current estimate kept with the chain (which is what makes the chain exact
 * for p(theta | y)). A proposal outside the prior's support is rejected
 * without a filter run. Errors as genc_particle_gibbs().
 */
genc_status genc_pmmh(genc_ctx *ctx, const genc_pmcmc_model *m, const genc_pmcmc_opts *opts,
                      genc_pmcmc_result *out);

/** Release what @p r holds and zero it. NULL is a no-op. */
void genc_pmcmc_result_clear(genc_pmcmc_result *r);

#ifdef __cplusplus
}
#endif
#endif
