/* A chain's captured kernel generate: new steps replay one capture (see
 * seq_stepcache in seq.h). */
#include <stdlib.h>
#include <time.h>

#include "comb/seq.h"

/* Eager new steps before a capture: the first step of an Unfold usually
 * takes a shared initial state and later ones a batched carry, so the graph
 * is captured on a step shaped like the ones that follow; the first also pays
 * first-touch costs, so the step's cost is the cheaper of the next two. */
#define SEQ_CAP_EAGER 3
/* Fewer particles never capture: a capture costs a few eager steps, and a
 * small step's time is mostly noise (a first step's page faults). */
#define SEQ_CAP_MIN_N 1024
/* An eager step must cost this much to be captured: with ~50 steps ahead it
 * is GENC_AUTO_LOAD_S of eager time, what a capture and a cached object's
 * load (1-2 ms) repay. Cheaper steps (B2 below ~1e4 particles) stay eager. */
#define SEQ_CAP_STEP_S 2e-4

struct seq_stepcache {
  int64_t refs;
  genc_ctx *ctx;
  genc_gen_graph *gg;
  bool refused;   /* the capture was refused: every step runs eagerly */
  bool compiling; /* compiled: loaded from the disk cache or compiling in the background */
  int eager;      /* eager new steps */
  double step_s;  /* the cheapest eager step's time after the first (0: none yet) */
  double spent_s; /* time of all new steps so far */
  int64_t replays;
};

/* The calling thread's CPU time: on a shared machine wall time counts the
 * time other processes took the core, and one preempted step would look
 * expensive enough to start the compiler. */
static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

seq_stepcache *seq_stepcache_new(genc_ctx *ctx) {
  seq_stepcache *c = calloc(1, sizeof *c);
  if (c) c->refs = 1, c->ctx = ctx;
  return c;
}

seq_stepcache *seq_stepcache_retain(seq_stepcache *c) {
  if (c) c->refs++;
  return c;
}

void seq_stepcache_release(seq_stepcache *c) {
  if (!c || --c->refs > 0) return;
  genc_gen_graph_free(c->gg);
  free(c);
}

genc_ctx *seq_stepcache_ctx(const seq_stepcache *c) { return c ? c->ctx : NULL; }

int64_t seq_stepcache_replays(const seq_stepcache *c) { return c ? c->replays : 0; }

/* Compile the graph: from the disk cache only, or with the compiler in the
 * background. A failure is no error (replays interpret: the eager bits). */
static void compile(seq_stepcache *c, bool background) {
  genc_compile_opts o = {.cached_only = !background, .background = background};
  genc_graph_compile(c->ctx, genc_gen_graph_graph(c->gg), &o);
  genc_compile_info info = {0};
  bool loaded = !background &&
                !genc_graph_compile_info(c->ctx, genc_gen_graph_graph(c->gg), &info) &&
                info.compiled;
  genc_ctx_clear_error(c->ctx);
  c->compiling = background || loaded; /* a loaded object needs no compiler */
}

/* Worth a background compile: the chain's new steps have taken
 * GENC_AUTO_COMPILE_S, so (their number not being known) as long again is
 * likely ahead. Not from one step's time times a guessed horizon: the first
 * steps of a fresh context pay page faults (B2 at 5e4 particles: 7-15 ms for
 * a 0.5 ms step), and such a guess started the compiler for short jobs. */
static bool worth_compile(const seq_stepcache *c) { return c->spent_s >= GENC_AUTO_COMPILE_S; }

/* A refusal (GENC_ERR_CAPTURE) is no error: the step runs eagerly. */
static bool refused(genc_ctx *ctx) {
  if (genc_ctx_status(ctx) != GENC_ERR_CAPTURE) return false;
  genc_ctx_clear_error(ctx);
  return true;
}

/* Replay or capture; *done false (no error) when the step must run eagerly. */
static genc_status cached(seq_stepcache *c, genc_ctx *ctx, genc_gf *kernel, const genc_gfi_call *kc,
                          genc_gfi_result *kr, bool *done) {
  double t0 = now_s();
  if (c->gg) {
    kr->trace =
        genc_gen_graph_replay_in(ctx, c->gg, kc->key, kc->args, kc->constraints, &kr->weight);
    if (!kr->trace) return refused(ctx) ? GENC_OK : genc_ctx_status(ctx);
    c->replays++;
  } else {
    c->gg = genc_gf_generate_capture_in(ctx, kernel, kc->args, kc->constraints, kc->key, kc->n,
                                        &kr->trace, &kr->weight);
    if (!c->gg) return (c->refused = refused(ctx)) ? GENC_OK : genc_ctx_status(ctx);
    compile(c, worth_compile(c));
  }
  *done = true;
  c->spent_s += now_s() - t0;
  if (!c->compiling && worth_compile(c)) compile(c, true);
  return GENC_OK;
}

genc_status seq_stepcache_generate(seq_stepcache *c, genc_ctx *ctx, genc_gf *kernel,
                                   const genc_gfi_call *kc, genc_gfi_result *kr) {
  const genc_gf_type *ty = genc_gf_type_of(kernel);
  bool usable = c && c->ctx == ctx && kc->n >= SEQ_CAP_MIN_N && !kc->from && !c->refused &&
                genc_ctx_device(ctx) == GENC_CPU && !genc_graph_capturing(ctx);
  if (!usable) return ty->generate(ctx, kernel, kc, kr);
  if (c->gg || (c->eager >= SEQ_CAP_EAGER && c->step_s >= SEQ_CAP_STEP_S)) {
    bool done = false;
    genc_status st = cached(c, ctx, kernel, kc, kr, &done);
    if (st || done) return st;
  }
  double t0 = now_s();
  genc_status st = ty->generate(ctx, kernel, kc, kr);
  double dt = now_s() - t0;
  if (c->eager > 0) c->step_s = c->eager > 1 && c->step_s < dt ? c->step_s : dt;
  c->spent_s += dt;
  c->eager++;
  return st;
}
