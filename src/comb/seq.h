/* Shared machinery of the sequence combinators (Map, Unfold, Scan): a trace
 * that holds one kernel trace per element or step at index address t, the
 * per-step dispatch of a GFI operation to the kernel, and the helpers that
 * decide what changed. Written against the public headers only. Internal to
 * src/comb. */
#ifndef GENC_COMB_SEQ_H
#define GENC_COMB_SEQ_H

#include "genc.h"

typedef enum seq_mode {
  SEQ_SIMULATE,
  SEQ_GENERATE,
  SEQ_UPDATE,
  SEQ_REGENERATE,
  SEQ_ASSESS
} seq_mode;

/* The implementation data of a Map, Unfold or Scan function. */
typedef struct seq_gf {
  genc_gf *kernel;     /* retained */
  genc_carry_fn carry; /* Scan: carry from a kernel return value (NULL: itself) */
  void *user;          /* Scan: for carry */
  bool no_skip;        /* genc_unfold_set_prefix_skipping(gf, false): rerun every step */
  bool scan;           /* Scan's chain, kernel(carry, xs[t], ...); else Unfold's */
  bool no_replay;      /* genc_unfold_set_step_replay(gf, false): every new step eager */
} seq_gf;

/* Kernel traces in chunks of SEQ_CHUNK steps. A chunk is reference counted
 * and shared between traces: an update that keeps the first k steps of the
 * old trace shares its chunks below k (a partly kept chunk is copied), so
 * its cost is O(k / SEQ_CHUNK + changed steps), not O(k). Chunks are
 * immutable once shared (refs > 1); only a trace under construction writes,
 * into chunks it made. */
#define SEQ_CHUNK 64
/* A pending particle index kept as a chain, composed only when read: idx
 * applied after inner's (p = inner[idx]). A partly kept chunk of a taken
 * trace is copied on every update of an SMC step, and composing each of its
 * steps' indices then (one gather of n ints and one allocation per step and
 * update) cost more than the step itself; a link is O(1). Chains are
 * immutable and shared; one reaching SEQ_PERM_DEPTH links is flattened, so
 * that a loop of takes and updates keeps its memory and read cost bounded. */
#define SEQ_PERM_DEPTH 64
typedef struct seq_perm {
  int64_t refs;
  int depth;              /* links in the chain, this one included */
  genc_array *idx;        /* retained */
  struct seq_perm *inner; /* retained; NULL: none */
} seq_perm;
typedef struct seq_chunk {
  int64_t refs;
  genc_trace *sub[SEQ_CHUNK]; /* NULL past the end of the last chunk */
  /* pending particle index of each step (NULL: none): step j is particle
   * perm[j](i) of sub[j] at particle i (set when a partly kept chunk of a
   * taken trace is copied) */
  seq_perm *perm[SEQ_CHUNK];
} seq_chunk;

/* The implementation data of their traces: kernel trace t at address t.
 * Kernel traces keep their own scores and return values, so the per-step
 * scores and carries an incremental update needs are the step traces'
 * score and retval.
 *
 * genc_trace_take is lazy (seq_trace_take): the new trace shares the old
 * chunks and records, per chunk, a pending particle index (perm, shared i32
 * [n]; successive takes compose, perm' = perm[idx], one gather of n ints per
 * distinct index), so a take costs O(n + chunks), not O(T n). A step's trace
 * is materialized (genc_trace_take of the stored one by the composed index)
 * only when read, through seq_sub, and cached in the trace that read it. */
typedef struct seq_trace {
  int64_t len;
  int64_t nchunks; /* ceil(capacity / SEQ_CHUNK) */
  int like_pos;    /* argument an empty stacked return value takes its shape from (-1: none) */
  seq_chunk **chunks;
  genc_array **perm;  /* per chunk: pending index applied after the chunk's own (NULL: none) */
  genc_trace **cache; /* nchunks * SEQ_CHUNK materialized steps, made on first need */
  struct seq_stepcache *steps; /* Unfold/Scan: the captured new step (seq_stepcache.c) */
} seq_trace;

/*
 * A chain's captured kernel generate (issue 12): an SMC over an Unfold adds
 * one step per update, and every new step runs the kernel's generate on
 * arguments and observations of the same shapes. After SEQ_CAP_EAGER eager
 * new steps that each cost at least SEQ_CAP_STEP_S, the next one is captured
 * (genc_gf_generate_capture_in: its run is that step's eager result) and the
 * later ones replay the graph, compiled where the disk cache holds its object
 * or, once the chain's new steps have taken GENC_AUTO_COMPILE_S, compiled in
 * the background. It lives in the trace, not in the function (which may
 * serve several contexts on several threads): the trace an operation makes
 * from an old one (update, regenerate, a take) shares the old one's cache,
 * so an SMC's chain of traces keeps one. Used only by the context that made
 * it, on the CPU, for batched steps.
 */
typedef struct seq_stepcache seq_stepcache;
/* A new cache for @p ctx (NULL on NOMEM: steps then run eagerly). */
seq_stepcache *seq_stepcache_new(genc_ctx *ctx);
seq_stepcache *seq_stepcache_retain(seq_stepcache *c);
void seq_stepcache_release(seq_stepcache *c);
/* The context the cache serves. */
genc_ctx *seq_stepcache_ctx(const seq_stepcache *c);
/* Replays of the cache's graph so far (tests and benchmarks). */
int64_t seq_stepcache_replays(const seq_stepcache *c);
/* A new step's kernel generate for @p kc through the cache @p c (NULL, or
 * another context's: eager), results into @p kr as the type's generate. */
genc_status seq_stepcache_generate(seq_stepcache *c, genc_ctx *ctx, genc_gf *kernel,
                                   const genc_gfi_call *kc, genc_gfi_result *kr);

/* A new step table for @p len steps (chunks made as steps are set); NULL on NOMEM. */
seq_trace *seq_trace_alloc(int64_t len);
/* The stored kernel trace t, without its pending index (borrowed); t < len. */
static inline genc_trace *seq_raw(const seq_trace *d, int64_t t) {
  return d->chunks[t / SEQ_CHUNK]->sub[t % SEQ_CHUNK];
}
/* Kernel trace t (borrowed): the stored one with any pending index applied
 * (materialized once and cached in @p d). t < len. NULL with an error in
 * @p ctx on failure. Every read of a step goes through here. */
genc_trace *seq_sub(genc_ctx *ctx, const seq_trace *d, int64_t t);
/* The return value of kernel trace t into *out (NULL if the step returns
 * none): seq_sub's retval, but without materializing the step: the stored
 * step's return value taken by its pending index (an array of the current
 * scope). An update that only passes the last kept step's value on as the
 * next carry (every SMC step) gathers one array instead of the whole step
 * trace. false with an error in @p ctx. */
bool seq_sub_retval(genc_ctx *ctx, const seq_trace *d, int64_t t, genc_array **out);
/* Set step t of a table under construction to @p s (reference taken over). false on NOMEM. */
bool seq_set_sub(seq_trace *d, int64_t t, genc_trace *s);
/* Make steps 0..k-1 of @p d those of @p old (k <= both lengths): whole chunks
 * shared with their pending index, a partly kept chunk copied (its steps'
 * indices composed, not materialized). false with an error in ctx. */
bool seq_share_prefix(genc_ctx *ctx, seq_trace *d, const seq_trace *old, int64_t k);
/* Release a pending index chain (NULL: nothing). */
void seq_perm_release(seq_perm *p);
/* The chain @p inner followed by @p outer (either may be NULL: none), in *out
 * (NULL when both are): one new link, or when @p inner is SEQ_PERM_DEPTH
 * long, its composed index as one link. false with an error in ctx. */
bool seq_perm_push(genc_ctx *ctx, seq_perm *inner, genc_array *outer, seq_perm **out);
/* The pending index @p inner followed by @p outer (either may be NULL: none):
 * inner[outer], retained, in *out (NULL when both are). false with an error. */
bool seq_perm_compose(genc_ctx *ctx, genc_array *inner, genc_array *outer, genc_array **out);
/* The type's trace_take hook: a lazy take (see seq_trace). */
genc_trace *seq_trace_take(genc_ctx *ctx, const genc_trace *t, genc_array *idx);

/* One operation over the steps. The caller fills ctx, gf, mode, call, old and
 * len, calls seq_run_init, then seq_step for t = 0..len-1 in order, then
 * seq_run_finish. */
typedef struct seq_run {
  genc_ctx *ctx;
  genc_gf *gf; /* the combinator */
  genc_gf *kernel;
  seq_mode mode;
  const genc_gfi_call *call;
  const seq_trace *old; /* update, regenerate */
  int64_t len;          /* steps of the new trace */
  seq_trace *tr;        /* the new trace's data (not for assess) */
  genc_array **rets;    /* kernel return values, len entries */
  genc_array *dscore;   /* update/regenerate: new - old score of revisited steps; else score */
  genc_array *weight;
  genc_choicemap *discard;  /* update */
  int64_t runs;             /* kernel operations run (not reused) */
  int64_t kept;             /* update/regenerate: length of the prefix of reused old steps */
  int64_t *cons, ncons, ci; /* update: the constrained steps, ascending, and a cursor */
} seq_run;

/* Allocate the run's tables. GENC_OK or NOMEM. */
genc_status seq_run_init(seq_run *r);
/* Free what the run still owns (after a failure, or after finish). */
void seq_run_free(seq_run *r);
/*
 * Run step t with kernel arguments @p kargs and kernel argument diffs @p kd
 * (NULL: unknown; all no-change with no constraint or selection at t reuses
 * the old step). *revisited (may be NULL) says whether the kernel ran.
 */
genc_status seq_step(seq_run *r, int64_t t, genc_array *const *kargs, const genc_argdiff *kd,
                     bool *revisited);
/*
 * Close the run: steps of the old trace beyond len are removed (update:
 * their scores leave the weight and their choices go to the discard), the
 * constraints are checked for addresses no step visited, and res is filled:
 * a trace and its score, or for assess the weight and return value. A
 * trace's return value (the kernel return values stacked along a new leading
 * axis; argument @p like_pos gives an empty one its shape, -1: none) is
 * lazy: seq_trace_retval stacks it when it is first read, so a filter that
 * never reads it does not pay O(T N) per step for it.
 */
genc_status seq_run_finish(seq_run *r, int like_pos, genc_gfi_result *res);
/* The type's trace_retval hook (see seq_run_finish). */
genc_array *seq_trace_retval(genc_ctx *ctx, const genc_trace *t);
/* The type's trace_support hook: step t's kernel trace answers for path[1..]
 * (seq_support.c). */
genc_status seq_trace_support(genc_ctx *ctx, const genc_trace *t, const genc_comp *path, int len,
                              genc_support_info *out);

/* Run an Unfold (scan false) or Scan (scan true) operation (seq_chain.c). */
genc_status seq_chain_run(genc_ctx *ctx, genc_gf *gf, seq_mode mode, const genc_gfi_call *call,
                          genc_gfi_result *res, bool scan);
/* The table entries of Unfold and Scan: seq_chain_run for the chain the
 * function was made as (seq_gf.scan). */
#define SEQ_CHAIN_OP(name)                                                                         \
  genc_status name(genc_ctx *ctx, genc_gf *gf, const genc_gfi_call *call, genc_gfi_result *res)
SEQ_CHAIN_OP(seq_chain_simulate);
SEQ_CHAIN_OP(seq_chain_generate);
SEQ_CHAIN_OP(seq_chain_update);
SEQ_CHAIN_OP(seq_chain_regenerate);
SEQ_CHAIN_OP(seq_chain_assess);

/* The trace type's shared entries. */
genc_status seq_project(genc_ctx *ctx, genc_gf *gf, const genc_gfi_call *call,
                        genc_gfi_result *res);
genc_trace *seq_trace_map(genc_ctx *ctx, const genc_trace *t, genc_array_map_fn f, void *user,
                          int64_t n);
genc_status seq_trace_choices(genc_ctx *ctx, const genc_trace *t, genc_choicemap *out);
void seq_trace_free(void *impl);
void seq_gf_free(void *impl);

/* A new sequence combinator of @p type over @p kernel named "<prefix>(<kernel>)". */
genc_gf *seq_gf_new(const genc_gf_type *type, const char *prefix, genc_gf *kernel, int nargs,
                    genc_carry_fn carry, void *user);

/* ---- helpers ---- */

/* Element t of x along its leading axis (a 0-d take). */
genc_array *seq_elem(genc_ctx *ctx, genc_array *x, int64_t t);
/* Stack len arrays along a new leading axis; len == 0 gives an empty [0, ...]
 * array shaped like @p like (may be NULL: shape [0]). */
genc_array *seq_stack(genc_ctx *ctx, int64_t len, genc_array *const *xs, genc_array *like);
/* True if a and b hold the same values (same pointer, or equal dtype, shape,
 * particle count and elements); false on any doubt. */
bool seq_same_value(genc_ctx *ctx, genc_array *a, genc_array *b);
/*
 * Which elements t < len of a mapped argument changed, into changed[len]:
 * from the diff @p d (no-change, vector) or, when unknown, by comparing the
 * old and new arrays element by element. Elements at or beyond the old
 * length are new (changed). GENC_OK or an error.
 */
genc_status seq_changed_elems(genc_ctx *ctx, const genc_argdiff *d, genc_array *old_x,
                              genc_array *new_x, int64_t len, bool *changed);
/* True if argument i is unchanged: a no-change diff, the same pointer, or equal values. */
bool seq_arg_unchanged(genc_ctx *ctx, const genc_argdiff *d, int i, genc_array *old_x,
                       genc_array *new_x);
/* Read a 0-d shared integer argument (a length) into *out, failing with a
 * message naming @p gf and @p what. */
genc_status seq_read_len(genc_ctx *ctx, const genc_gf *gf, genc_array *x, const char *what,
                         int64_t *out);
/* End an operation's scope: free the run; on success keep res's weight (and
 * retval) in the caller's scope, on failure drop res. Returns st. */
genc_status seq_close(genc_ctx *ctx, int64_t mark, genc_status st, seq_run *r,
                      genc_gfi_result *res);
/* x, or 0, broadcast to n particles when n > 0. */
genc_array *seq_per_particle(genc_ctx *ctx, genc_array *x, int64_t n);

#endif
