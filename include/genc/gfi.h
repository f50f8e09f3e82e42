/**
 * @file gfi.h
 * @brief Layer 3: generative functions, traces, C-function models and the
 * generative function interface (GFI), for one trace or N particles.
 *
 * A generative function (::genc_gf) is a value with a table of operations
 * (::genc_gf_type): simulate, generate, update, regenerate, assess, project,
 * plus propose, edit and gradients built on them. The *dynamic* generative
 * function wraps a C function, the model:
 * @code
 * static genc_array *model(genc_rt *rt, genc_array *const *args, void *user) {
 *   genc_ctx *ctx = genc_rt_ctx(rt);
 *   genc_array *slope = GENC_TRACE(rt, "slope", genc_normal(ctx, 0.0, 10.0));
 *   ...
 *   return slope;
 * }
 * genc_gf *gf = genc_gf_dynamic("linreg", model, 1, NULL);
 * @endcode
 * One body serves every operation: the runtime handle ::genc_rt carries the
 * mode (simulate, generate...), the key, the constraints or selection, the old
 * trace and the weight, and GENC_TRACE() does what the mode asks.
 *
 * **Particles.** Every operation takes a particle count @p n. With n == 0 the
 * body runs once for one trace; with n > 0 it still runs once, but every draw
 * is batched over n particles and scores and weights are per-particle arrays.
 * Particle i of a batched run equals the single-trace run with key
 * genc_key_particle(key, i): the key of a choice is the run's key folded with a
 * hash of the choice's name (the string, not the symbol number), in both modes.
 * In batched mode, control flow may not depend on random values: reading one
 * as a C number (genc_array_item) fails the operation with a message saying to
 * compute both branches and select between their values with genc_where().
 *
 * **Weights** follow docs/gfi.md (Gen.jl semantics): the
 * internal proposal of a dynamic function is its prior. A NaN or +inf weight or
 * score fails the operation with GENC_ERR_DOMAIN naming the first offending
 * choice; -inf (a zero-probability constraint) is a legal weight.
 *
 * **Memory.** Traces are heap objects, immutable once made and reference
 * counted (genc_trace_retain / genc_trace_release): an MH step keeps the old trace
 * until it decides, and update/regenerate share unchanged sub-traces with the
 * old trace. Traces retain their arrays. Every operation runs in its own array
 * scope; the arrays it returns (weight, retval) belong to the caller's current
 * scope. Free traces, choice maps and parameter stores before the context.
 *
 * **Errors.** Operations return NULL or a status and leave a message in the
 * context naming the model, the address and the distribution. An operation
 * starts by clearing the context's error, and fails if any error is recorded
 * while the body runs, even one the model ignored.
 */
#ifndef GENC_GFI_H
#define GENC_GFI_H

#include "genc/array.h"
#include "genc/core.h"
#include "genc/dist.h"
#include "genc/random.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most arguments a generative function takes. */
#define GENC_GF_MAX_ARGS 8

typedef struct genc_gf genc_gf;
typedef struct genc_trace genc_trace;
typedef struct genc_rt genc_rt;
typedef struct genc_param_store genc_param_store;

/* ------------------------------------------------------------------ */
/* Parameter stores                                                     */
/* ------------------------------------------------------------------ */

/** A new, empty store of trainable parameters owned by the caller. NULL on NOMEM. */
genc_param_store *genc_param_store_new(genc_ctx *ctx);
/** Free a store and release its arrays. NULL is a no-op. */
void genc_param_store_free(genc_param_store *ps);
/**
 * Set parameter @p name to a copy of @p value (shared, floating point),
 * creating it with a zero gradient if new. Replacing keeps the gradient if
 * the shape is unchanged, else resets it.
 */
genc_status genc_param_store_set(genc_ctx *ctx, genc_param_store *ps, const char *name,
                                 genc_array *value);
/** The current value of @p name (owned by the store), or NULL with GENC_ERR_ADDRESS. */
genc_array *genc_param_store_get(genc_ctx *ctx, const genc_param_store *ps, const char *name);
/** The accumulated gradient of @p name (owned by the store), or NULL with GENC_ERR_ADDRESS. */
genc_array *genc_param_store_grad(genc_ctx *ctx, const genc_param_store *ps, const char *name);
/** Reset every accumulated gradient to zero. */
genc_status genc_param_store_zero_grads(genc_ctx *ctx, genc_param_store *ps);
/** Number of parameters. */
int genc_param_store_count(const genc_param_store *ps);
/** Name of parameter @p i (insertion order), or NULL if out of range. */
const char *genc_param_store_name(const genc_param_store *ps, int i);

/* ------------------------------------------------------------------ */
/* Generative functions                                                */
/* ------------------------------------------------------------------ */

/** A model: the body of a dynamic generative function. Returns its value (NULL on error). */
typedef genc_array *(*genc_model_fn)(genc_rt *rt, genc_array *const *args, void *user);

/**
 * A dynamic generative function running @p fn with @p nargs arguments
 * (0..GENC_GF_MAX_ARGS) and the pointer @p user. @p name (copied) appears in
 * messages. No argument is differentiable until genc_gf_set_arg_grads().
 * NULL on bad arguments or NOMEM (no context: nothing is recorded).
 */
genc_gf *genc_gf_dynamic(const char *name, genc_model_fn fn, int nargs, void *user);
/**
 * Generative functions are reference counted: constructors return one
 * reference, every trace holds one, and so does a combinator or model that
 * holds the function. genc_gf_retain() takes a reference and returns @p gf.
 */
genc_gf *genc_gf_retain(genc_gf *gf);
/** Drop a reference; the last one frees the function. Safe before its traces. NULL: no-op. */
void genc_gf_release(genc_gf *gf);
/** Name given at creation. */
const char *genc_gf_name(const genc_gf *gf);
/** Number of arguments. */
int genc_gf_nargs(const genc_gf *gf);
/**
 * Say which arguments are differentiable: bit i of @p mask for argument i.
 * genc_gf_arg_gradients() returns gradients for exactly these.
 */
void genc_gf_set_arg_grads(genc_gf *gf, uint32_t mask);
/** The differentiable-argument mask. */
uint32_t genc_gf_arg_grads(const genc_gf *gf);
/**
 * Tile size of batched simulate and generate: a call with more than @p particles
 * particles runs the body over tiles of that many particles and joins the
 * traces, so that the body's temporaries stay in cache. Values are identical
 * to an untiled run (tile t draws with its particles' keys). Tiling is skipped
 * when an argument or a constraint is batched. 0 disables it; the default is
 * 2048. A model that reads genc_rt_nparticles() sees the tile's count.
 */
void genc_gf_set_tile(genc_gf *gf, int64_t particles);
/** The tile size (0: untiled). */
int64_t genc_gf_tile(const genc_gf *gf);

/**
 * A captured batched generate (issue 12; graph capture: array.h): the graph
 * of one genc_gf_generate() of @p gf on @p args and @p constraints over @p n
 * particles (0: a single trace), with the key as its only input. Arguments
 * and constraints are constants of the graph (it holds references to them).
 */
typedef struct genc_gen_graph genc_gen_graph;
/**
 * Run genc_gf_generate() eagerly under a capture: the eager trace and weight
 * are returned in @p trace and @p weight (either may be NULL), and the graph.
 * NULL with the context's error if generate fails, or with GENC_ERR_CAPTURE
 * when the model cannot be captured (it reads a value it drew, e.g. a branch
 * on a random choice; a type without trace_map): run genc_gf_generate()
 * instead. A capture does not tile (genc_gf_set_tile()); executors that
 * compile the graph (genc/exec.h, genc_gen_graph_graph()) tile it themselves.
 */
genc_gen_graph *genc_gf_generate_capture(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                                         const genc_choicemap *constraints, genc_key key,
                                         int64_t n, genc_trace **trace, genc_array **weight);
/**
 * Replay @p gg with a new key: the trace (a new reference) and its weight (in
 * the current scope; @p weight may be NULL) that genc_gf_generate() with that
 * key gives, without running the model's body. NULL with the error on failure;
 * GENC_ERR_CAPTURE (a parameter check would now fail) means: run
 * genc_gf_generate() to get the eager result or error.
 */
genc_trace *genc_gen_graph_replay(genc_ctx *ctx, genc_gen_graph *gg, genc_key key,
                                  genc_array **weight);
/**
 * genc_gf_generate_capture() whose graph has inputs besides the key: the
 * arrays of @p args, then the values of @p constraints in the map's order
 * (insertion order, depth first), so that genc_gen_graph_replay_in() runs it
 * on other arguments and observations of the same shapes (a combinator's
 * kernel step by step: issue 12). It runs the function's own generate, as a
 * combinator runs its kernel: no tiling and none of genc_gf_generate()'s
 * checks of the score and weight (the caller checks its total). The inputs
 * must be distinct arrays: two that are one array, a type without trace_map,
 * a generate that gives no weight, or a model the capture refuses fail with
 * GENC_ERR_CAPTURE (run the generate eagerly instead); other errors are the
 * generate's own. The eager trace and weight are in @p trace and @p weight.
 */
genc_gen_graph *genc_gf_generate_capture_in(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                                            const genc_choicemap *constraints, genc_key key,
                                            int64_t n, genc_trace **trace, genc_array **weight);
/**
 * Replay a genc_gf_generate_capture_in() graph with a new key, arguments and
 * constraints: the trace (a new reference) and weight the capture's generate
 * gives on them. GENC_ERR_CAPTURE, meaning "run the generate eagerly", when
 * they do not fit the capture: constraints at other addresses (or in another
 * order), an input of another shape, dtype or particle count, two inputs
 * that are one array, or a changed guard. GENC_ERR_ARG for a graph of
 * genc_gf_generate_capture() (and genc_gen_graph_replay() refuses this one).
 */
genc_trace *genc_gen_graph_replay_in(genc_ctx *ctx, genc_gen_graph *gg, genc_key key,
                                     genc_array *const *args, const genc_choicemap *constraints,
                                     genc_array **weight);
/** The array-level graph of @p gg (owned by it), e.g. to compile it. */
genc_graph *genc_gen_graph_graph(const genc_gen_graph *gg);
/** Free @p gg (NULL is a no-op). */
void genc_gen_graph_free(genc_gen_graph *gg);
/** Called once on a freshly captured graph (e.g. to compile it, genc/exec.h). */
typedef genc_status (*genc_graph_prepare_fn)(genc_ctx *ctx, genc_graph *g, void *user);
/**
 * genc_gf_generate() run over tiles of genc_gf_tile() particles where tiling
 * applies (see genc_gf_set_tile()), the first full tile captured
 * (genc_gf_generate_capture(); @p prepare, if not NULL, then sees its graph)
 * and the other full tiles replayed with their particles' keys, a last
 * partial tile run eagerly: the trace and weights of genc_gf_generate() with
 * the same key (bit for bit under the interpreter), without running the
 * model's body per tile. A model that cannot be captured, or a replay whose
 * guard changed, runs eagerly instead (no error). Where tiling does not
 * apply, it is genc_gf_generate().
 */
genc_trace *genc_gf_generate_replayed(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                                      const genc_choicemap *constraints, genc_key key, int64_t n,
                                      genc_array **weight, genc_graph_prepare_fn prepare,
                                      void *user);
/** Attach the store genc_rt_param() reads (not owned; NULL detaches). */
void genc_gf_set_params(genc_gf *gf, genc_param_store *ps);
/** The attached store, or NULL. */
genc_param_store *genc_gf_params(const genc_gf *gf);

/* ------------------------------------------------------------------ */
/* Inside a model                                                      */
/* ------------------------------------------------------------------ */

/** The context the model runs in (for its array ops). */
genc_ctx *genc_rt_ctx(genc_rt *rt);
/** Particle count of this run: 0 for a single trace. */
int64_t genc_rt_nparticles(const genc_rt *rt);

/**
 * Make the random choice @p d at address component @p addr (a symbol or an
 * index) and return its value: sampled, taken from the constraints or the old
 * trace, as the operation asks. NULL on error (the operation then fails):
 * invalid distribution parameters, or @p addr already traced in this run.
 */
genc_array *genc_rt_trace(genc_rt *rt, genc_comp addr, genc_dist d);

/** genc_rt_trace at the symbol of a string literal, interned once per call site. */
#define GENC_TRACE(rt, name, dist) genc_rt_trace((rt), GENC_SYM(name), (dist))

/**
 * Make the random choice @p d at the hierarchical address @p path (@p len
 * components, 1..GENC_ADDR_MAX) of this function, without a splice: "flip/3",
 * "t/3/y". Every operation sees the nesting: constraints and selections are
 * looked up at the path (selecting "flip" selects every flip/i), the choice
 * map and the discard hold sub-maps, genc_trace_get() finds the value. An
 * address is either a choice, a splice, or a prefix of nested choices: a choice
 * at "flip" and another at "flip/1", a splice at "flip" and a choice at
 * "flip/1", or one path traced twice fail the operation naming the address.
 * With len == 1 this is genc_rt_trace(). The key of the draw is the run's key
 * folded with each component's hash in turn, so the choice draws what a choice
 * at "3" would inside a function spliced at "flip".
 */
genc_array *genc_rt_trace_path(genc_rt *rt, const genc_comp *path, int len, genc_dist d);

/**
 * GENC_TRACE_AT(rt, "flip", i, dist): the choice at address flip/i (a symbol
 * literal, then an integer index >= 0).
 */
#define GENC_TRACE_AT(rt, name, index, dist)                                                       \
  genc_rt_trace_path((rt), (const genc_comp[]){GENC_SYM(name), genc_idx(index)}, 2, (dist))

/**
 * genc_rt_trace_path() at an address written as text, "t/3/y" (parsed by
 * genc_addr_parse(): all-digit parts are indices). Parsing interns the symbols
 * on every call: in hot loops prefer GENC_TRACE_AT() or a path of GENC_SYM()s.
 */
genc_array *genc_rt_trace_str(genc_rt *rt, const char *path, genc_dist d);

/**
 * Call generative function @p gf on @p args at address @p addr: its choices
 * live below @p addr, its score and weight add to this run's. Returns its
 * value. With @p addr == GENC_ROOT the callee (which must be dynamic) runs in
 * this function's own address space, as if its body were inlined.
 */
genc_array *genc_rt_splice(genc_rt *rt, genc_comp addr, genc_gf *gf, genc_array *const *args);

/** The address that splices at the caller's own level (see genc_rt_splice()). */
#define GENC_ROOT GENC_COMP_INVALID

/**
 * Most splices nested inside one another (per thread): each level uses C
 * stack, so a deeper splice fails the operation with GENC_ERR_ARG naming the
 * function instead of overflowing the stack. Write deep recursion as a loop.
 */
#define GENC_MAX_SPLICE_DEPTH 1000

/**
 * The value of trainable parameter @p name from the store attached to this
 * function (genc_gf_set_params()). While parameter gradients are computed the
 * value is watched, so scores differentiate through it. NULL and
 * GENC_ERR_ADDRESS if there is no store or no such parameter.
 */
genc_array *genc_rt_param(genc_rt *rt, const char *name);

/**
 * Argument @p i of this run as a C integer: it must be a shared 0-d array
 * holding a whole number (as GENC_ARGS() makes from an int). Otherwise the
 * operation fails with a message naming the model and the argument index, and
 * the result is 0.
 */
int64_t genc_rt_arg_int(genc_rt *rt, int i);

/**
 * Argument @p i of this run as a double: it must be a shared 0-d number.
 * Otherwise the operation fails naming the model and the index; result NaN.
 */
double genc_rt_arg_double(genc_rt *rt, int i);

/* ---- arguments from C values ---- */

/** GENC_ARGS() helpers: an array passes through; a C number becomes a 0-d array. */
genc_array *genc__arg_array(genc_ctx *ctx, genc_array *a);
genc_array *genc__arg_double(genc_ctx *ctx, double v);
genc_array *genc__arg_int(genc_ctx *ctx, long long v);

#ifndef __cplusplus
/** One argument of GENC_ARGS(). */
#define GENC_ARG(ctx, x)                                                                           \
  _Generic((x), genc_array *                                                                       \
           : genc__arg_array, double                                                               \
           : genc__arg_double, float                                                               \
           : genc__arg_double, int                                                                 \
           : genc__arg_int, unsigned                                                               \
           : genc__arg_int, long                                                                   \
           : genc__arg_int, unsigned long                                                          \
           : genc__arg_int, long long                                                              \
           : genc__arg_int)((ctx), (x))

#define GENC__NARG(...) GENC__NARG_(__VA_ARGS__, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define GENC__NARG_(_1, _2, _3, _4, _5, _6, _7, _8, n, ...) n
#define GENC__CAT(a, b) GENC__CAT_(a, b)
#define GENC__CAT_(a, b) a##b
#define GENC__A1(c, x) GENC_ARG(c, x)
#define GENC__A2(c, x, ...) GENC_ARG(c, x), GENC__A1(c, __VA_ARGS__)
#define GENC__A3(c, x, ...) GENC_ARG(c, x), GENC__A2(c, __VA_ARGS__)
#define GENC__A4(c, x, ...) GENC_ARG(c, x), GENC__A3(c, __VA_ARGS__)
#define GENC__A5(c, x, ...) GENC_ARG(c, x), GENC__A4(c, __VA_ARGS__)
#define GENC__A6(c, x, ...) GENC_ARG(c, x), GENC__A5(c, __VA_ARGS__)
#define GENC__A7(c, x, ...) GENC_ARG(c, x), GENC__A6(c, __VA_ARGS__)
#define GENC__A8(c, x, ...) GENC_ARG(c, x), GENC__A7(c, __VA_ARGS__)

/**
 * GENC_ARGS(ctx, a, b, ...): an argument vector (a compound literal of type
 * `genc_array *const[]`, valid in the enclosing block) from 1 to
 * GENC_GF_MAX_ARGS values, each a genc_array * (passed through), a double or
 * float (a 0-d f64 array) or a C integer (a 0-d i32 array; one outside the i32
 * range records an error and gives NULL, which the GFI call then reports):
 * `genc_gf_simulate(ctx, gf, GENC_ARGS(ctx, xs, 10, 0.5), key, 0)`. The arrays
 * belong to the current scope.
 */
#define GENC_ARGS(ctx, ...)                                                                        \
  ((genc_array *const[]){GENC__CAT(GENC__A, GENC__NARG(__VA_ARGS__))((ctx), __VA_ARGS__)})
#endif

/**
 * The trace a proposal proposes from, or NULL when the function does not run
 * as a proposal. This is Gen.jl's first proposal argument: genc_gf_propose_from()
 * and genc_gf_assess_from() set it, and an edit with a proposal request
 * (genc_gf_edit()) gives the forward proposal the old trace and the backward
 * proposal the new one. Functions spliced by a proposal see it too. Read its
 * choices with genc_trace_get().
 */
const genc_trace *genc_rt_from(const genc_rt *rt);

/* ------------------------------------------------------------------ */
/* Traces                                                              */
/* ------------------------------------------------------------------ */

/** Take a reference to @p t; returns it. */
genc_trace *genc_trace_retain(genc_trace *t);
/** Drop a reference; the last one frees the trace. NULL is a no-op. */
void genc_trace_release(genc_trace *t);
/** The generative function that made the trace. */
genc_gf *genc_trace_gf(const genc_trace *t);
/** Argument @p i (owned by the trace), NULL if out of range. */
genc_array *genc_trace_arg(const genc_trace *t, int i);
/** The return value (owned by the trace). A type with a trace_retval hook
 * computes it here at the first call (see ::genc_gf_type); NULL then means
 * that failed, with the error in the trace's context. */
genc_array *genc_trace_retval(const genc_trace *t);
/** log p(choices; args): 0-d, batched over the particles of a batched trace. */
genc_array *genc_trace_score(const genc_trace *t);
/** Particle count: 0 for a single trace. */
int64_t genc_trace_nparticles(const genc_trace *t);
/**
 * The choices, as a map owned by the trace (built at the first call). NULL on
 * NOMEM.
 */
const genc_choicemap *genc_trace_choices(genc_ctx *ctx, const genc_trace *t);
/** The value at @p path, or NULL with GENC_ERR_ADDRESS naming the path. */
genc_array *genc_trace_get(genc_ctx *ctx, const genc_trace *t, const genc_comp *path, int len);
/** genc_trace_get() at an address written as text, "t/3/y" (genc_addr_parse()). */
genc_array *genc_trace_get_path(genc_ctx *ctx, const genc_trace *t, const char *path);
/**
 * The choice at the text address @p path as a double: it must be a shared 0-d
 * value (a single trace's scalar choice). NaN with an error naming the address
 * when it is missing, not 0-d, or batched (use genc_trace_copy_out()).
 */
double genc_trace_get_double(genc_ctx *ctx, const genc_trace *t, const char *path);
/**
 * Copy the choice at the text address @p path into @p buf as f64: max(n, 1) x
 * (element count) values, particle-major, for a batched or shared value.
 * GENC_ERR_ARG naming the address when @p cap is smaller.
 */
genc_status genc_trace_copy_out(genc_ctx *ctx, const genc_trace *t, const char *path, double *buf,
                                int64_t cap);
/** Particle @p i of a batched trace as a single trace (new reference). */
genc_trace *genc_trace_particle(genc_ctx *ctx, const genc_trace *t, int64_t i);
/**
 * Reindex particles (resampling): particle j of the result is particle idx[j]
 * of @p t. @p idx is a shared 1-d i32 array; the result has len(idx) particles.
 */
genc_trace *genc_trace_take(genc_ctx *ctx, const genc_trace *t, genc_array *idx);
/**
 * Per-particle select between two traces of one generative function with the
 * same particle count n: particle i of the result is particle i of @p a where
 * cond[i] is true, else particle i of @p b (choices, scores, arguments and
 * return value). This is the accept/reject step of N-chain MCMC. @p cond is a
 * bool array: batched 0-d over n particles, or shared 1-d of length n; for
 * single traces (n == 0), a shared 0-d bool, and the result is @p a or @p b
 * itself (a new reference). When both traces have the same structure (same
 * addresses in the same order, values of equal shapes and dtypes: the usual
 * case for MH on a static model) every array is selected with genc_where()
 * through the type's trace_zip; otherwise (or when the type has no trace_zip)
 * the choices are selected leaf by leaf (an address only one trace has is
 * GENC_ERR_ADDRESS naming it) and the result is a fully constrained generate.
 * NULL on error (different functions or particle counts, a bad @p cond).
 */
genc_trace *genc_trace_select(genc_ctx *ctx, genc_array *cond, const genc_trace *a,
                              const genc_trace *b);

/** The support of one traced choice (genc_trace_support()). */
typedef struct genc_support_info {
  genc_support support;       /**< the distribution type's declared support */
  const genc_dist_type *dist; /**< the distribution's type (its name: dist->name) */
  genc_array *lo, *hi;        /**< GENC_SUPPORT_INTERVAL: the bounds (owned by the trace; a
                                   Vmap's per-element bounds: new [T, ...] arrays in the
                                   current scope) */
} genc_support_info;

/**
 * The support of the choice at the text address @p path of @p t: the kind its
 * distribution declares and, for an interval given by parameters (uniform,
 * truncated normal), the bound arrays of that draw (batched like them).
 * Dynamic traces record the distribution type of every choice; the
 * combinators answer from the sub-trace holding the choice (the trace
 * type's trace_support entry); a trace type without that entry gives
 * GENC_ERR_UNSUPPORTED naming the function. A missing address or one that is
 * not a choice is GENC_ERR_ADDRESS naming it.
 */
genc_status genc_trace_support(genc_ctx *ctx, const genc_trace *t, const char *path,
                               genc_support_info *out);
/**
 * genc_trace_support() at the address @p path of @p len >= 1 components,
 * relative to @p t: what a trace type's trace_support entry calls on the
 * sub-trace that holds the choice, with the rest of the address. Errors as
 * genc_trace_support(), naming the relative address and @p t's function.
 */
genc_status genc_trace_support_at(genc_ctx *ctx, const genc_trace *t, const genc_comp *path,
                                  int len, genc_support_info *out);

/* ------------------------------------------------------------------ */
/* The interface                                                       */
/* ------------------------------------------------------------------ */

/** simulate(x) -> t, with score log p(c; x). NULL on error. */
genc_trace *genc_gf_simulate(genc_ctx *ctx, genc_gf *gf, genc_array *const *args, genc_key key,
                             int64_t n);

/**
 * generate(x, u) -> (t, w): choices in @p constraints are used as given, the
 * others drawn from the prior; w = sum of the log densities of the constrained
 * choices. Every constraint must be visited (else GENC_ERR_ADDRESS listing the
 * addresses never visited). @p weight may be NULL.
 *
 * A constraint (here, in update and in assess) must have the choice's shape,
 * per particle when batched: else GENC_ERR_SHAPE naming the address, the
 * distribution and both shapes (checked for the distributions whose value has
 * the broadcast shape of their parameters: every built-in except categorical,
 * dirichlet, mvnormal, (inv_)wishart, mixture, piecewise_uniform and
 * beta_uniform, and user types with a scalar fast path). An integer or bool constraint at a
 * continuous choice is converted to the choice's float dtype; a float constraint at a discrete
 * choice must hold whole numbers (else GENC_ERR_DOMAIN).
 */
genc_trace *genc_gf_generate(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                             const genc_choicemap *constraints, genc_key key, int64_t n,
                             genc_array **weight);

/**
 * assess(x, c) -> log p(c; x), and the return value into @p retval (may be
 * NULL). Every choice must be in @p choices (a missing one is GENC_ERR_ADDRESS
 * naming it) and every entry must be visited. Batched exactly when a choice or
 * argument is. NULL on error.
 */
genc_array *genc_gf_assess(genc_ctx *ctx, genc_gf *gf, genc_array *const *args,
                           const genc_choicemap *choices, genc_array **retval);

/**
 * propose(x) -> (c, w = log p(c; x)): a new choice map owned by the caller;
 * @p weight and @p retval may be NULL.
 */
genc_choicemap *genc_gf_propose(genc_ctx *ctx, genc_gf *gf, genc_array *const *args, genc_key key,
                                int64_t n, genc_array **weight, genc_array **retval);

/**
 * propose(from, x) -> (c, w): genc_gf_propose() of a proposal that reads the
 * trace @p from (genc_rt_from()). It runs batched exactly when @p from is, with
 * from's particle count.
 */
genc_choicemap *genc_gf_propose_from(genc_ctx *ctx, genc_gf *gf, const genc_trace *from,
                                     genc_array *const *args, genc_key key, genc_array **weight,
                                     genc_array **retval);

/** assess(from, x, c): genc_gf_assess() of a proposal that reads the trace @p from. */
genc_array *genc_gf_assess_from(genc_ctx *ctx, genc_gf *gf, const genc_trace *from,
                                genc_array *const *args, const genc_choicemap *choices,
                                genc_array **retval);

/**
 * update(t, x', argdiffs, u) -> (t', w, discard). @p args NULL keeps the old
 * arguments (and then @p argdiffs defaults to no-change); @p argdiffs NULL
 * means unknown. w = log p(c'; x') - log p(c; x) - log q(fresh choices); the
 * discard (a new map, may be NULL to ignore) holds the old values replaced by
 * @p constraints and the choices t' no longer has. Unchanged arguments and no
 * constraints return @p t itself (a new reference) with w = 0.
 */
genc_trace *genc_gf_update(genc_ctx *ctx, const genc_trace *t, genc_array *const *args,
                           const genc_argdiff *argdiffs, const genc_choicemap *constraints,
                           genc_key key, genc_array **weight, genc_choicemap **discard);

/**
 * regenerate(t, x', argdiffs, s) -> (t', w): selected choices are drawn afresh
 * from the prior; w = log p(c'; x')/p(c; x) + log q(c | c')/q(c' | c), the MH
 * acceptance log-ratio. Arguments as genc_gf_update().
 */
genc_trace *genc_gf_regenerate(genc_ctx *ctx, const genc_trace *t, genc_array *const *args,
                               const genc_argdiff *argdiffs, const genc_selection *selection,
                               genc_key key, genc_array **weight);

/**
 * project(t, s) -> the generate weight of t's choices restricted to @p s:
 * project(t, all) = score, project(t, none) = 0. NULL on error.
 */
genc_array *genc_gf_project(genc_ctx *ctx, const genc_trace *t, const genc_selection *s);

/** Kinds of edit request. */
typedef enum genc_edit_kind {
  GENC_EDIT_CONSTRAINTS, /**< update with constraints; backward: the discard */
  GENC_EDIT_SELECTION,   /**< regenerate a selection; backward: the same selection */
  GENC_EDIT_PROPOSAL /**< propose from t with fwd, update, assess the discard with bwd from t' */
} genc_edit_kind;

/** An edit request (GenJAX style): one entry point for the three kinds of move. */
typedef struct genc_edit_request {
  genc_edit_kind kind;
  const genc_choicemap *constraints; /**< GENC_EDIT_CONSTRAINTS */
  const genc_selection *selection;   /**< GENC_EDIT_SELECTION */
  genc_gf *fwd, *bwd;                /**< GENC_EDIT_PROPOSAL: forward and backward proposals */
  genc_array *const *fwd_args;       /**< their arguments after the source trace */
  genc_array *const *bwd_args;
} genc_edit_request;

/** What genc_gf_edit() returns. Free with genc_edit_result_clear(). */
typedef struct genc_edit_result {
  genc_trace *trace;          /**< the new trace */
  genc_array *weight;         /**< the edit's incremental weight */
  genc_choicemap *discard;    /**< old values replaced or removed (may be empty) */
  genc_edit_request backward; /**< the request that undoes this edit */
} genc_edit_result;

/**
 * Apply @p req to @p t (same arguments). CONSTRAINTS: update, weight and
 * discard as genc_gf_update, backward = CONSTRAINTS(discard). SELECTION:
 * regenerate, backward = the same selection. PROPOSAL (Gen.jl's mh with a
 * custom proposal): (u, wf) = propose_from(t, fwd); (t', w, d) = update(t, u);
 * wb = assess_from(t', bwd, d); weight = w + wb - wf, the MH acceptance
 * log-ratio; backward = PROPOSAL(bwd, fwd) with the argument lists swapped.
 * The forward proposal reads the old trace and the backward one the new trace
 * through genc_rt_from(); for a symmetric random walk fwd and bwd are the same
 * function. Every choice the update discards must be a choice of bwd's.
 */
genc_status genc_gf_edit(genc_ctx *ctx, const genc_trace *t, const genc_edit_request *req,
                         genc_key key, genc_edit_result *out);
/** Release what an edit result holds and zero it. */
void genc_edit_result_clear(genc_edit_result *r);

/**
 * Choice gradients: d score / d (selected continuous choices) at the trace's
 * values. @p values gets the selected values, @p grads the gradients at the
 * same addresses (new maps; either may be NULL). Batched traces give
 * per-particle gradients. Runs a tape, so it fails if one is recording.
 */
genc_status genc_gf_choice_gradients(genc_ctx *ctx, const genc_trace *t, const genc_selection *s,
                                     genc_choicemap **values, genc_choicemap **grads);

/**
 * Argument gradients: grads[i] = d score / d arg i for every argument the
 * function declares differentiable (genc_gf_set_arg_grads), NULL for the
 * others; @p grads holds genc_gf_nargs() entries.
 */
genc_status genc_gf_arg_gradients(genc_ctx *ctx, const genc_trace *t, genc_array **grads);

/**
 * Parameter gradients: add @p scale * d score / d p (summed over particles)
 * to the gradient of every parameter p of the store attached to the trace's
 * function (parameters of spliced functions count when they use that store).
 */
genc_status genc_gf_accumulate_param_grads(genc_ctx *ctx, const genc_trace *t, double scale);

/* ------------------------------------------------------------------ */
/* Implementing a generative function (combinators)                    */
/* ------------------------------------------------------------------ */

/** The inputs of one operation, for implementers of ::genc_gf_type. */
typedef struct genc_gfi_call {
  genc_array *const *args;           /**< arguments (new ones for update/regenerate) */
  const genc_argdiff *argdiffs;      /**< update/regenerate; NULL: unknown */
  genc_key key;                      /**< randomness of the whole call */
  int64_t n;                         /**< particles; 0 for a single trace */
  const genc_choicemap *constraints; /**< generate, update; the choices for assess */
  const genc_selection *selection;   /**< regenerate, project */
  const genc_trace *trace;           /**< update, regenerate, project: the old trace */
  const genc_trace *from;            /**< a proposal's source trace (genc_rt_from()), or NULL */
} genc_gfi_call;

/** The outputs of one operation (unused fields stay NULL). */
typedef struct genc_gfi_result {
  genc_trace *trace;       /**< new reference */
  genc_array *weight;      /**< in the caller's scope */
  genc_array *retval;      /**< assess only (traces hold their own) */
  genc_choicemap *discard; /**< update: new map owned by the caller (NULL = empty) */
} genc_gfi_result;

/** An operation of the table. Returns GENC_OK or a status with the message set. */
typedef genc_status (*genc_gfi_op)(genc_ctx *ctx, genc_gf *gf, const genc_gfi_call *call,
                                   genc_gfi_result *res);

/** Map applied to every array of a trace (genc_trace_particle, genc_trace_take). */
typedef genc_array *(*genc_array_map_fn)(genc_ctx *ctx, genc_array *x, void *user);

/**
 * Map applied to corresponding arrays of two traces (genc_trace_select). It
 * returns NULL without recording an error when @p x and @p y do not
 * correspond (different shapes or dtypes).
 */
typedef genc_array *(*genc_array_zip_fn)(genc_ctx *ctx, genc_array *x, genc_array *y, void *user);

/** The table that defines a kind of generative function. */
typedef struct genc_gf_type {
  const char *name; /**< e.g. "dynamic", "map" */
  genc_gfi_op simulate, generate, update, regenerate, assess, project;
  /** A new trace whose every array is f(array); @p n is the new particle count. */
  genc_trace *(*trace_map)(genc_ctx *ctx, const genc_trace *t, genc_array_map_fn f, void *user,
                           int64_t n);
  /** Write the trace's choices into the empty map @p out. */
  genc_status (*trace_choices)(genc_ctx *ctx, const genc_trace *t, genc_choicemap *out);
  /** Free the implementation data of a trace (genc_trace_impl). */
  void (*trace_free)(void *impl);
  /** Free the implementation data of a function (genc_gf_impl). */
  void (*gf_free)(void *impl);
  /**
   * Optional. A new trace of @p a's structure whose every array is f(array of
   * a, corresponding array of b), visited as trace_map visits them; @p n is
   * the new particle count. When the traces differ in structure (addresses,
   * their order, sub-traces' functions) or f returns NULL without an error,
   * it returns NULL and records no error: genc_trace_select() then falls back
   * to selecting choice maps.
   */
  genc_trace *(*trace_zip)(genc_ctx *ctx, const genc_trace *a, const genc_trace *b,
                           genc_array_zip_fn f, void *user, int64_t n);
  /**
   * Optional. genc_trace_take() of @p t by the shared 1-d i32 index @p idx
   * (already checked: @p t batched): a trace equal, array for array and bit
   * for bit, to trace_map with a particle take, made more cheaply (e.g. the
   * sequence combinators share their step traces under a pending index that
   * is applied only when a step is read). NULL with an error on failure.
   * When absent, genc_trace_take() uses trace_map.
   */
  genc_trace *(*trace_take)(genc_ctx *ctx, const genc_trace *t, genc_array *idx);
  /**
   * Optional. The return value of a trace made with a NULL retval
   * (genc_trace_new), computed at the first genc_trace_retval() and kept by
   * the trace; a new array (in the current scope), or NULL with an error.
   * Lets a type whose return value is costly to assemble (the sequence
   * combinators' stacked values, O(T N)) skip it where nobody reads it.
   */
  genc_array *(*trace_retval)(genc_ctx *ctx, const genc_trace *t);
  /**
   * Optional. The support of the choice at @p path (@p len >= 1 components,
   * relative to @p t; genc_trace_support()): a combinator finds the
   * sub-trace holding it and returns genc_trace_support_at() of that
   * sub-trace with the rest of the address; GENC_ERR_ADDRESS naming the
   * address when no sub-trace holds it. When absent, the type's traces
   * record no supports (GENC_ERR_UNSUPPORTED), so gradient samplers refuse
   * latents inside them.
   */
  genc_status (*trace_support)(genc_ctx *ctx, const genc_trace *t, const genc_comp *path, int len,
                               genc_support_info *out);
} genc_gf_type;

/** A new generative function (one reference) of @p type with data @p impl (owned). NULL on NOMEM.
 */
genc_gf *genc_gf_new(const genc_gf_type *type, const char *name, int nargs, void *impl);
/** The type of @p gf. */
const genc_gf_type *genc_gf_type_of(const genc_gf *gf);
/** The implementation data given to genc_gf_new(). */
void *genc_gf_impl(const genc_gf *gf);
/**
 * Make a trace (one reference) of @p gf holding @p args (nargs of gf),
 * @p retval and @p score (all retained) with implementation data @p impl
 * (owned, freed by the type's trace_free). NULL on NOMEM.
 */
genc_trace *genc_trace_new(genc_ctx *ctx, genc_gf *gf, genc_array *const *args, genc_array *retval,
                           genc_array *score, int64_t n, void *impl);
/** The implementation data of a trace. */
void *genc_trace_impl(const genc_trace *t);

#ifdef __cplusplus
}
#endif
#endif
