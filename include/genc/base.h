/**
 * @file base.h
 * @brief Contexts, status codes, errors and dtypes: what every genc layer shares.
 *
 * A ::genc_ctx owns a backend (CPU or CUDA), a stack of memory scopes, the
 * autodiff tape and the last error. Independent contexts may run on different
 * threads; one context must not be used by two threads at once.
 *
 * Errors are values: a function that can fail returns a ::genc_status (or NULL
 * for functions returning a pointer) and leaves a message in the context, read
 * back with genc_ctx_error(). An array op given a NULL input (the result of an
 * earlier failure) returns NULL without touching the message, so a chain of ops
 * can be checked once at its end. The library never aborts, exits or prints.
 */
#ifndef GENC_BASE_H
#define GENC_BASE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Result of every fallible call. GENC_OK is zero. */
typedef enum genc_status {
  GENC_OK = 0,
  GENC_ERR_SHAPE,      /**< shapes do not broadcast or do not fit the op */
  GENC_ERR_DTYPE,      /**< wrong element type */
  GENC_ERR_AXIS,       /**< axis out of range or repeated */
  GENC_ERR_ARG,        /**< any other invalid argument (NULL, negative size...) */
  GENC_ERR_PARTICLE,   /**< particle-axis misuse (item on a batched array, N mismatch) */
  GENC_ERR_NOMEM,      /**< allocation failed */
  GENC_ERR_DOMAIN,     /**< invalid distribution parameter or non-finite value */
  GENC_ERR_LINALG,     /**< matrix not positive definite / singular */
  GENC_ERR_ADDRESS,    /**< address traced twice, visited never, or missing */
  GENC_ERR_BACKEND,    /**< backend failure (CUDA error, no GPU) */
  GENC_ERR_UNSUPPORTED, /**< op not available on this backend or dtype */
  GENC_ERR_CAPTURE      /**< graph capture refused, or a replay's guard changed: run eagerly */
} genc_status;

/** Element types. f64 is the default everywhere. Booleans are one byte. */
typedef enum genc_dtype { GENC_F64 = 0, GENC_F32, GENC_I32, GENC_BOOL } genc_dtype;

/** Which backend a context runs on. */
typedef enum genc_device { GENC_CPU = 0, GENC_CUDA = 1 } genc_device;

/** Maximum number of logical dimensions of an array. */
#define GENC_MAX_DIMS 8

typedef struct genc_ctx genc_ctx;

/** Options for genc_ctx_new(). Zero-initialized fields take the defaults. */
typedef struct genc_ctx_opts {
  genc_device device; /**< backend; default GENC_CPU */
  int device_index;   /**< CUDA device ordinal; default 0 */
  /**
   * Debug aid for arrays made in a loop with no scope open (they live until
   * genc_ctx_free, so such a loop grows without bound): when > 0, an op that
   * would make more than this many arrays alive outside any scope fails with
   * GENC_ERR_NOMEM and a message showing the genc_scope_begin/genc_scope_end
   * idiom. Costs one compare per array made. Default 0: no limit.
   */
  int64_t live_array_limit;
} genc_ctx_opts;

/**
 * Create a context. @p opts may be NULL for the defaults (CPU). On failure
 * (no GPU, out of memory) returns NULL and, if @p status is not NULL, stores
 * the reason there; genc_ctx_new_error() gives the message.
 */
genc_ctx *genc_ctx_new(const genc_ctx_opts *opts, genc_status *status);

/**
 * Create a context on the device the environment variable GENC_DEVICE names:
 * unset, empty or "cpu" for the CPU, "cuda" for GPU 0, "cuda:N" for GPU N. So a
 * program (every example) runs on the GPU with `GENC_DEVICE=cuda ./prog` and
 * no change to its code. Any other value fails with GENC_ERR_ARG; failures are
 * reported as by genc_ctx_new(). No other genc function reads the
 * environment.
 */
genc_ctx *genc_ctx_new_env(genc_status *status);

/** Message of the last genc_ctx_new() failure on this thread. */
const char *genc_ctx_new_error(void);

/** Destroy a context and every array it still owns. NULL is a no-op. */
void genc_ctx_free(genc_ctx *ctx);

/** Device this context runs on (GENC_CPU for NULL). */
genc_device genc_ctx_device(const genc_ctx *ctx);

/**
 * Last error's status (GENC_OK if none since genc_ctx_clear_error()). For a
 * NULL context (genc_ctx_new failed): that failure's status, or GENC_ERR_ARG.
 */
genc_status genc_ctx_status(const genc_ctx *ctx);

/**
 * Last error's message ("" if none). Valid until the next error. For a NULL
 * context: "no context (genc_ctx_new failed: <genc_ctx_new_error()>)".
 */
const char *genc_ctx_error(const genc_ctx *ctx);

/** Forget the last error. NULL is a no-op. */
void genc_ctx_clear_error(genc_ctx *ctx);

/**
 * Record an error in the context (printf-style message) and return @p st.
 * Used by every layer; users defining their own distributions or generative
 * functions report errors through it too.
 */
genc_status genc_ctx_fail(genc_ctx *ctx, genc_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/** Bytes held by live arrays of this context (not the allocator's cache); 0 for NULL. */
int64_t genc_ctx_live_bytes(const genc_ctx *ctx);

/** Number of live arrays of this context; 0 for NULL. */
int64_t genc_ctx_live_arrays(const genc_ctx *ctx);

/** Name of a dtype ("f64", "f32", "i32", "bool"). */
const char *genc_dtype_name(genc_dtype dt);

/** Size in bytes of one element of @p dt (0 for a value that is no dtype). */
size_t genc_dtype_size(genc_dtype dt);

/** Human-readable name of a status code. */
const char *genc_status_name(genc_status st);

#ifdef __cplusplus
}
#endif
#endif
