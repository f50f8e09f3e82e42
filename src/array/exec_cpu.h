/*
 * Internals of the CPU executor of captured graphs: the C emitter
 * (exec_emit.c), the compiler driver and disk cache (exec_cc.c) and the
 * thread pool (exec_pool.c), used by exec_cpu.c.
 */
#ifndef GENC_ARRAY_EXEC_CPU_H
#define GENC_ARRAY_EXEC_CPU_H

#include <pthread.h>
#include <sys/types.h>

#include "array/exec_abi.h"
#include "array/exec_part.h"

/* A growable string; oom is set (and the text left short) when growing failed. */
typedef struct genc_xbuf {
  char *s;
  size_t len, cap;
  bool oom;
} genc_xbuf;

void genc__xbuf_printf(genc_xbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Particles per tile of the compiled sampling pass and body loop. */
#define GENC_X_TILE 256

/* The C source of every region of p (function GENC_XFN_FMT of exec_abi.h per
 * region), appended to out. A plain C17 translation unit that includes
 * array/exec_abi.h; the per-particle bodies are GENC_HD functions. */
void genc__xemit(const genc_graph *g, const genc_xpart *p, genc_xbuf *out);
/* The emitter's pieces the CUDA row bodies (exec_row.c) share, so both
 * write the same expressions: the C type of a dtype; "x" cast from one dtype
 * to another into out; the dtype two operands promote to (elementwise.c's
 * rule, weak C numbers yielding); the expression of a unary op on "v" and of
 * a binary op on "x", "y" in dtype dt (NULL: not fusable; buf holds built
 * ones). */
const char *genc__xemit_ctype(int dt);
void genc__xemit_cast_expr(int from, int to, const char *x, char *out, size_t cap);
int genc__xemit_promote2(const genc_gmeta *a, const genc_gmeta *b);
const char *genc__xemit_unary_expr(genc_unary_op op, int dt, char *buf, size_t cap);
const char *genc__xemit_binary_expr(genc_binary_op op, int dt, char *buf, size_t cap);
/* A reduction's initial value and its step on "acc" and "v" in dtype dt (the
 * eager kernels' rules, NaN winning max and min, bools as all / any). */
const char *genc__xemit_red_init(genc_reduce_op op, int dt);
const char *genc__xemit_red_step(genc_reduce_op op, int dt);
/* The row-fused body of region ri (exec_row.c) as genc_xbody<ri>, and for a
 * batched region also its block form genc_xbodyb<ri> (GENC_XPB particles,
 * for finite hoisted reciprocals of sigma), appended to out, when the region
 * has a model density's row shape and its row reductions are float sums;
 * false (nothing written) otherwise. */
bool genc__xcpu_row_body(const genc_graph *g, const genc_xpart *p, int32_t ri, genc_xbuf *out);
/* The hoisted normal-density constants of region ri (one per distinct shared
 * sigma): hoist[pos] is region node pos's index h or -1; with out, appends the
 * statements H[2h] = log sigma, H[2h + 1] = 1 / sigma reading the kernel
 * argument block "A." (the CUDA kernels, whose bodies read H as the CPU's
 * do). Returns the count. */
int genc__xemit_hoists(const genc_graph *g, const genc_xpart *p, int32_t ri, int32_t *hoist,
                       genc_xbuf *out);

/* A handle to stop a compile running on another thread: the compiler's pid
 * while it runs (0: none), under mu; stopped once genc__xcc_cancel ran.
 * Initialize with GENC_XCC_STOP_INIT. */
typedef struct genc_xcc_stop {
  pthread_mutex_t mu;
  pid_t pid;
  bool stopped;
} genc_xcc_stop;
#define GENC_XCC_STOP_INIT                                                                         \
  { PTHREAD_MUTEX_INITIALIZER, 0, false }
/* Stop the compile of stop (its compiler's process group gets SIGTERM; one
 * not started yet never starts): genc__xcc_load then fails soon. */
void genc__xcc_cancel(genc_xcc_stop *stop);

/* Compile source (NUL-terminated) with compiler into a shared object cached
 * in cache_dir under a hash of the source, the compiler, the flags and the
 * headers the source includes; dlopen it. Returns the dlopen handle, or NULL
 * with a reason in err (the caller then interprets). *hit says whether the
 * object came from the cache; path receives its file name. stop (may be
 * NULL) lets another thread cancel the compile. Safe to call from several
 * threads at once. */
void *genc__xcc_load(const char *source, const char *compiler, const char *cache_dir, bool *hit,
                     char *path, size_t pathcap, char *err, size_t errcap, genc_xcc_stop *stop);
/* The object of source from the cache, dlopen'ed, or NULL (none there: no
 * error); path receives its file name. Never runs the compiler. */
void *genc__xcc_cached(const char *source, const char *compiler, const char *cache_dir, char *path,
                       size_t pathcap);
/* The cache directory of the options' rules ($GENC_CACHE_DIR, else
 * $XDG_CACHE_HOME/genc, else $HOME/.cache/genc) into out; false if none. */
bool genc__xcc_cache_dir(const char *given, char *out, size_t cap);

/* A pool of worker threads running chunks of a range of particles. */
typedef struct genc_xpool genc_xpool;
/* A pool of threads - 1 workers (the caller is the last); NULL if threads < 2
 * or on failure (callers then run everything on the calling thread). */
genc_xpool *genc__xpool_new(int threads);
/* fn(arg, a, b) over chunks [a, b) of [0, n), chunk particles each, on every
 * thread of the pool and the caller; returns when all are done. */
void genc__xpool_run(genc_xpool *pool, int64_t n, int64_t chunk,
                     void (*fn)(void *arg, int64_t a, int64_t b), void *arg);
void genc__xpool_free(genc_xpool *pool);
/* Node k of g when it is a particle-axis sum, max, min or log-sum-exp of an
 * f64 value over at least 8192 particles: reduced in fixed blocks on @p pool
 * (may be NULL: one thread), the same bits for any thread count
 * (exec_preduce.c). A new reference; NULL with no error when the node is not
 * one of those (the interpreter runs it), NULL with an error on NOMEM. */
genc_array *genc__xpreduce(genc_ctx *ctx, genc_xpool *pool, const genc_graph *g, int32_t k,
                           genc_array **vals);

/* Whether genc_graph_loop on g with carry can run as exec_loop.c's loop:
 * p is one unbatched region, every output and guard value is the region's,
 * an input's or a constant, and every carried output is the region's or the
 * input itself. */
bool genc__xloop_fits(const genc_graph *g, const genc_xpart *p, const int32_t *carry);
/* genc_graph_loop of such a graph with its region's step function fn (the
 * arguments checked, out all NULL); *done: replays completed. */
genc_status genc__xloop_run(genc_ctx *ctx, genc_graph *g, const genc_xpart *p, genc_xstepfn fn,
                            const genc_key *keys, genc_array *const *in, genc_array **out,
                            const genc_graph_loop_opts *o, int64_t *done);

#endif
