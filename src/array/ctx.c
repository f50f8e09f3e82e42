/* Contexts and errors. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array/internal.h"

static _Thread_local char create_err[512];
/* status of the last genc_ctx_new failure on this thread, for genc_ctx_status(NULL) */
static _Thread_local genc_status create_status;

const char *genc_ctx_new_error(void) { return create_err; }

genc_ctx *genc_ctx_new(const genc_ctx_opts *opts, genc_status *status) {
  genc_ctx_opts o = opts ? *opts : (genc_ctx_opts){0};
  const genc_backend *bk = NULL;
  genc_status st = GENC_OK;
  create_err[0] = 0;
  if (o.device == GENC_CPU) {
    bk = &genc_backend_cpu;
  } else if (o.device == GENC_CUDA) {
    bk = genc_backend_cuda_get();
    if (!bk) {
      snprintf(create_err, sizeof create_err,
               "genc_ctx_new: this build of genc has no CUDA backend (nvcc was not found "
               "when it was configured)");
      st = GENC_ERR_BACKEND;
    }
  } else {
    snprintf(create_err, sizeof create_err, "genc_ctx_new: unknown device %d", (int)o.device);
    st = GENC_ERR_ARG;
  }
  if (st == GENC_OK && o.live_array_limit < 0) {
    snprintf(create_err, sizeof create_err,
             "genc_ctx_new: live_array_limit %lld is negative (0 turns the limit off)",
             (long long)o.live_array_limit);
    st = GENC_ERR_ARG;
  }
  genc_ctx *ctx = NULL;
  if (st == GENC_OK) {
    ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
      snprintf(create_err, sizeof create_err, "genc_ctx_new: out of memory");
      st = GENC_ERR_NOMEM;
    }
  }
  if (ctx) {
    ctx->bk = bk;
    ctx->live_limit = o.live_array_limit ? o.live_array_limit : INT64_MAX;
    ctx->reg_limit = ctx->live_limit;
    ctx->bst = bk->create(o.device_index, create_err, sizeof create_err);
    if (!ctx->bst) {
      free(ctx);
      ctx = NULL;
      st = GENC_ERR_BACKEND;
    }
  }
  create_status = st;
  if (status) *status = st;
  return ctx;
}

/* "cpu", "cuda" or "cuda:N" (N a decimal ordinal); false for anything else */
static bool parse_device(const char *e, genc_ctx_opts *o) {
  *o = (genc_ctx_opts){0};
  if (!e || !*e || !strcmp(e, "cpu")) return true;
  if (strncmp(e, "cuda", 4)) return false;
  o->device = GENC_CUDA;
  if (!e[4]) return true;
  if (e[4] != ':' || !isdigit((unsigned char)e[5])) return false;
  char *end;
  long n = strtol(e + 5, &end, 10);
  if (*end || n > INT_MAX) return false;
  o->device_index = (int)n;
  return true;
}

genc_ctx *genc_ctx_new_env(genc_status *status) {
  const char *e = getenv("GENC_DEVICE");
  genc_ctx_opts o;
  if (!parse_device(e, &o)) {
    snprintf(create_err, sizeof create_err,
             "genc_ctx_new_env: GENC_DEVICE=\"%.64s\" is not cpu, cuda or cuda:N", e);
    create_status = GENC_ERR_ARG;
    if (status) *status = GENC_ERR_ARG;
    return NULL;
  }
  return genc_ctx_new(&o, status);
}

void genc_ctx_free(genc_ctx *ctx) {
  if (!ctx) return;
  genc_tape_end(ctx);
  genc_scope_end(ctx, 0);
  free(ctx->reg);
  for (genc_array *a = ctx->free_arrays; a;) {
    genc_array *nx = a->next_free;
    free(a);
    a = nx;
  }
  ctx->bk->destroy(ctx->bst);
  free(ctx);
}

genc_device genc_ctx_device(const genc_ctx *ctx) { return ctx ? ctx->bk->device : GENC_CPU; }

genc_status genc_ctx_status(const genc_ctx *ctx) {
  if (ctx) return ctx->status;
  return create_status ? create_status : GENC_ERR_ARG;
}

/* The usual way to get here is genc_ctx_error(ctx) after genc_ctx_new failed. */
const char *genc_ctx_error(const genc_ctx *ctx) {
  static _Thread_local char buf[sizeof create_err + 64];
  if (ctx) return ctx->msg;
  if (create_err[0])
    snprintf(buf, sizeof buf, "no context (genc_ctx_new failed: %s)", create_err);
  else
    snprintf(buf, sizeof buf, "no context (a NULL genc_ctx was passed)");
  return buf;
}

void genc_ctx_clear_error(genc_ctx *ctx) {
  if (!ctx) return;
  ctx->status = GENC_OK;
  ctx->msg[0] = 0;
}

genc_status genc_ctx_fail(genc_ctx *ctx, genc_status st, const char *fmt, ...) {
  if (!ctx) return st;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx->msg, sizeof ctx->msg, fmt, ap);
  va_end(ap);
  ctx->status = st;
  return st;
}

int64_t genc_ctx_live_bytes(const genc_ctx *ctx) { return ctx ? ctx->live_bytes : 0; }
int64_t genc_ctx_live_arrays(const genc_ctx *ctx) { return ctx ? ctx->live_arrays : 0; }

const char *genc_dtype_name(genc_dtype dt) {
  switch (dt) {
  case GENC_F64: return "f64";
  case GENC_F32: return "f32";
  case GENC_I32: return "i32";
  case GENC_BOOL: return "bool";
  }
  return "?";
}

size_t genc_dtype_size(genc_dtype dt) { return (unsigned)dt > GENC_BOOL ? 0 : genc__esize(dt); }

const char *genc_status_name(genc_status st) {
  static const char *names[] = {"ok",
                                "shape error",
                                "dtype error",
                                "axis error",
                                "bad argument",
                                "particle-axis error",
                                "out of memory",
                                "domain error",
                                "linear-algebra error",
                                "address error",
                                "backend error",
                                "unsupported",
                                "capture error"};
  return (unsigned)st < sizeof names / sizeof *names ? names[st] : "unknown status";
}
