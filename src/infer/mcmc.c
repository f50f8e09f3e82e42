/*
 * The MCMC driver: runs a kernel for warmup + samples iterations, one array
 * scope per iteration (memory stays flat), records the chosen addresses into
 * the caller's buffer in the diagnostics' [chains][draws] layout, one block
 * per recorded scalar, and counts acceptance per chain. The library never
 * prints: progress goes to the caller's callback.
 */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "genc.h"
#include "infer/mcmc_compiled.h"

typedef struct run {
  genc_mcmc_opts o;
  bool capture; /* iterations may capture the step (opts.compile, decided) */
  bool compile; /* and run the compiler (else AUTO loads only a cached object) */
  int64_t chains, ndraws, nvals, maxsize;
  int64_t *size;        /* elements of each recorded address */
  double *tmp;          /* one address's values, particle-major */
  double acc_h, prop_h; /* counts of iterations served as host rows (one chain) */
} run;

static genc_status run_plan(genc_ctx *ctx, run *r, const genc_trace *init) {
  genc_mcmc_opts *o = &r->o;
  if (o->warmup < 0 || o->samples < 0 || o->thin < 0 || o->naddrs < 0 || (o->naddrs && !o->addrs))
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_mcmc_run: negative warmup, samples, thin or naddrs, or NULL addrs");
  if (o->compile != GENC_COMPILE_AUTO && o->compile != GENC_COMPILE_ON &&
      o->compile != GENC_COMPILE_OFF)
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_mcmc_run: compile = %d is not a genc_compile_mode (AUTO 0, ON 1, "
                         "OFF -1)",
                         (int)o->compile);
  if (!o->samples) o->samples = 1000;
  if (!o->thin) o->thin = 1;
  if (!o->progress_every) o->progress_every = 100;
  r->chains = genc_trace_nparticles(init) ? genc_trace_nparticles(init) : 1;
  r->ndraws = 1 + (o->samples - 1) / o->thin;
  r->size = calloc((size_t)o->naddrs + 1, sizeof *r->size);
  if (!r->size) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_mcmc_run: out of memory");
  for (int i = 0; i < o->naddrs; i++) {
    genc_array *v = genc_trace_get_path(ctx, init, o->addrs[i]);
    if (!v) return genc_ctx_status(ctx);
    r->size[i] = genc_array_size(v);
    r->nvals += r->size[i];
    if (r->size[i] > r->maxsize) r->maxsize = r->size[i];
  }
  if (r->nvals && (!o->draws || o->draws_cap < r->nvals * r->chains * r->ndraws))
    return genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_mcmc_run: draws needs %lld doubles (%lld scalars x %lld chains x "
                         "%lld draws), has %lld",
                         (long long)(r->nvals * r->chains * r->ndraws), (long long)r->nvals,
                         (long long)r->chains, (long long)r->ndraws,
                         o->draws ? (long long)o->draws_cap : 0LL);
  r->tmp = malloc((size_t)(r->maxsize * r->chains + 1) * sizeof *r->tmp);
  return r->tmp ? GENC_OK : genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_mcmc_run: out of memory");
}

/* Copy draw d of every recorded address from t into the caller's buffer. */
static genc_status record(genc_ctx *ctx, const run *r, const genc_trace *t, int64_t d) {
  int64_t p0 = 0, C = r->chains, D = r->ndraws;
  for (int i = 0; i < r->o.naddrs; i++) {
    int64_t sz = r->size[i];
    genc_status st = genc_trace_copy_out(ctx, t, r->o.addrs[i], r->tmp, sz * C);
    if (st) return st;
    for (int64_t c = 0; c < C; c++)
      for (int64_t e = 0; e < sz; e++)
        r->o.draws[((p0 + e) * C + c) * D + d] = r->tmp[c * sz + e];
    p0 += sz;
  }
  return GENC_OK;
}

/* *tot += x, keeping the total alive across iteration scopes (a reference). */
static genc_status total_add(genc_ctx *ctx, genc_array **tot, genc_array *x) {
  if (!x) return GENC_OK;
  genc_array *s = genc_add(ctx, *tot, x);
  if (!s) return genc_ctx_status(ctx);
  genc_array_release(*tot);
  *tot = genc_array_retain(s);
  return GENC_OK;
}

static genc_status write_rates(genc_ctx *ctx, const run *r, genc_array *acc, genc_array *prop) {
  double *a = malloc((size_t)r->chains * 2 * sizeof *a);
  if (!a) return genc_ctx_fail(ctx, GENC_ERR_NOMEM, "genc_mcmc_run: out of memory");
  genc_status st = genc_array_copy_out(ctx, acc, a, r->chains);
  if (!st) st = genc_array_copy_out(ctx, prop, a + r->chains, r->chains);
  if (!st && r->chains == 1) a[0] += r->acc_h, a[1] += r->prop_h;
  for (int64_t c = 0; !st && c < r->chains; c++)
    r->o.accept_rate[c] = a[r->chains + c] > 0 ? a[c] / a[r->chains + c] : NAN;
  free(a);
  return st;
}

/* Draw d from a captured step's state: straight from its arrays when every
 * address names one, else through the state rebuilt as a trace. */
static genc_status record_cs(genc_ctx *ctx, const run *r, const genc__cstep *cs, int64_t d) {
  int64_t p0 = 0, C = r->chains, D = r->ndraws;
  for (int i = 0; i < r->o.naddrs; i++) {
    genc_array *v = genc__cstep_value(ctx, cs, r->o.addrs[i]);
    if (!v) {
      genc_trace *t = genc__cstep_trace(ctx, cs);
      genc_status st = t ? record(ctx, r, t, d) : genc_ctx_status(ctx);
      genc_trace_release(t);
      return st;
    }
    int64_t sz = r->size[i];
    genc_status st = genc_array_copy_out(ctx, v, r->tmp, sz * C);
    if (st) return st;
    for (int64_t c = 0; c < C; c++)
      for (int64_t e = 0; e < sz; e++)
        r->o.draws[((p0 + e) * C + c) * D + d] = r->tmp[c * sz + e];
    p0 += sz;
  }
  return GENC_OK;
}

/* Draw d of one chain from a loop-mode row (the recorded values after the
 * counts). */
static void record_row(const run *r, const double *v, int64_t d) {
  for (int64_t e = 0; e < r->nvals; e++)
    r->o.draws[e * r->ndraws + d] = v[e];
}

/* The loop's state: a trace, or (opts.compile) a captured step's arrays. */
typedef struct chain {
  genc_trace *cur;
  genc__cstep *cs;
  int tries; /* captures attempted (the first may see generate's layout) */
  bool loop; /* cs serves host rows (genc__cstep_loop_plan) */
} chain;

/* Iteration s: one kernel application, replayed when a step is captured. */
static genc_status chain_step(genc_ctx *ctx, const run *r, const genc_kernel *kernel, chain *c,
                              int64_t s, genc_array **a, genc_array **p, const double **row) {
  if (c->cs) {
    genc_status st = c->loop
                         ? genc__cstep_row(ctx, c->cs, r->o.key, s, r->o.warmup + r->o.samples, row)
                         : genc__cstep_replay(ctx, c->cs, r->o.key, s, a, p);
    if (st != GENC_ERR_CAPTURE) return st;
    genc_ctx_clear_error(ctx); /* a changed guard: eager from here on */
    c->cur = genc__cstep_trace(ctx, c->cs);
    genc__cstep_free(c->cs), c->cs = NULL;
    if (!c->cur) return genc_ctx_status(ctx);
  }
  genc_key key = genc_key_fold_in(r->o.key, (uint64_t)s);
  genc_trace *nxt = NULL;
  if (r->capture && c->tries < 2 && genc__kernel_step_free(kernel)) {
    c->tries++;
    bool aut = r->o.compile == GENC_COMPILE_AUTO;
    genc_compile_opts co = {.threads = r->o.compile_threads,
                            .background = aut && r->compile,
                            .cached_only = aut && !r->compile};
    c->cs = genc__cstep_capture(ctx, kernel, c->cur, key, s, &co, &nxt, a, p);
    if (genc_ctx_status(ctx)) return genc_ctx_status(ctx);
    c->loop = c->cs && genc__cstep_loop_plan(ctx, c->cs, r->o.naddrs, r->o.addrs);
  }
  if (!nxt && !c->cs) nxt = genc_kernel_apply(ctx, kernel, c->cur, key, s, a, p);
  genc_trace_release(c->cur);
  c->cur = c->cs ? NULL : nxt;
  if (c->cs) genc_trace_release(nxt);
  return c->cur || c->cs ? GENC_OK : genc_ctx_status(ctx);
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* GENC_COMPILE_AUTO (see genc_mcmc_opts.compile), before iteration s of
 * total: iterations 1 .. GENC_MCMC_AUTO_PROBE run eagerly and are timed (the
 * first pays first-touch costs); then, with the eager time left estimated
 * from their pace, the step is captured and compiled in the background from
 * GENC_AUTO_COMPILE_S on, captured and run from a cached object (else
 * interpreted) from GENC_AUTO_LOAD_S on. *t1: when iteration 1 began. */
static void auto_decide(run *r, int64_t s, int64_t total, double *t1) {
  if (r->o.compile != GENC_COMPILE_AUTO || r->capture) return;
  if (s == 1) *t1 = now_s();
  if (s != 1 + GENC_MCMC_AUTO_PROBE) return;
  double left = (now_s() - *t1) / GENC_MCMC_AUTO_PROBE * (double)(total - s);
  r->compile = left >= GENC_AUTO_COMPILE_S;
  r->capture = left >= GENC_AUTO_LOAD_S;
}

/* A sampling iteration's row: its counts into the totals; the recorded
 * values after them. */
static const double *served(run *r, const genc__cstep *cs, const double *row) {
  bool ha, hp;
  genc__cstep_counts(cs, &ha, &hp);
  if (ha) r->acc_h += *row++;
  if (hp) r->prop_h += *row++;
  return row;
}

static genc_trace *run_loop(genc_ctx *ctx, run *r, const genc_kernel *kernel,
                            const genc_trace *init) {
  const genc_mcmc_opts *o = &r->o;
  int64_t n = genc_trace_nparticles(init), total = o->warmup + o->samples;
  genc_array *acc = genc_array_retain(genc_array_zeros(ctx, GENC_F64, 0, NULL, n));
  genc_array *prop = genc_array_retain(genc_array_zeros(ctx, GENC_F64, 0, NULL, n));
  chain c = {acc && prop ? genc_trace_retain((genc_trace *)init) : NULL, NULL, 0, false};
  bool replayed = false;
  genc_status st = c.cur ? GENC_OK : genc_ctx_status(ctx);
  double t1 = 0;
  r->capture = r->compile = o->compile == GENC_COMPILE_ON;
  bool cpu = genc_ctx_device(ctx) == GENC_CPU; /* AUTO elsewhere: eager (infer.h) */
  for (int64_t s = 0; !st && s < total; s++) {
    if (cpu) auto_decide(r, s, total, &t1);
    int64_t mark = genc_scope_begin(ctx);
    genc_array *a = NULL, *p = NULL;
    const double *row = NULL;
    bool was = c.cs != NULL;
    st = chain_step(ctx, r, kernel, &c, s, &a, &p, &row);
    replayed |= was && c.cs;
    int64_t k = s - o->warmup;
    if (!st && k >= 0 && row) row = served(r, c.cs, row);
    if (!st && k >= 0 && !row) st = total_add(ctx, &acc, a);
    if (!st && k >= 0 && !row) st = total_add(ctx, &prop, p);
    if (!st && k >= 0 && k % o->thin == 0 && r->nvals && row)
      record_row(r, row, k / o->thin);
    else if (!st && k >= 0 && k % o->thin == 0 && r->nvals)
      st = c.cs ? record_cs(ctx, r, c.cs, k / o->thin) : record(ctx, r, c.cur, k / o->thin);
    genc_scope_end(ctx, mark);
    if (!st && o->progress && ((s + 1) % o->progress_every == 0 || s + 1 == total) &&
        o->progress(s + 1, total, o->progress_user))
      st = genc_ctx_fail(ctx, GENC_ERR_ARG,
                         "genc_mcmc_run: stopped by the progress callback "
                         "after %lld of %lld iterations",
                         (long long)(s + 1), (long long)total);
  }
  if (!st && c.cs) {
    c.cur = genc__cstep_trace(ctx, c.cs);
    st = c.cur ? GENC_OK : genc_ctx_status(ctx);
  }
  if (o->compiled) *o->compiled = replayed;
  if (!st && o->accept_rate) st = write_rates(ctx, r, acc, prop);
  if (st) genc_trace_release(c.cur), c.cur = NULL;
  genc__cstep_free(c.cs);
  genc_array_release(acc), genc_array_release(prop);
  return c.cur;
}

genc_trace *genc_mcmc_run(genc_ctx *ctx, const genc_kernel *kernel, const genc_trace *init,
                          const genc_mcmc_opts *opts) {
  if (!ctx) return NULL;
  genc_ctx_clear_error(ctx);
  if (!kernel || !init || !opts) {
    genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_mcmc_run: NULL kernel, initial trace or options");
    return NULL;
  }
  run r = {.o = *opts};
  int64_t mark = genc_scope_begin(ctx);
  genc_trace *out = run_plan(ctx, &r, init) ? NULL : run_loop(ctx, &r, kernel, init);
  genc_scope_end(ctx, mark);
  free(r.size), free(r.tmp);
  return out;
}
