/* Internals of the random layer shared with the layers above it. Nothing here
 * is public. */
#ifndef GENC_RANDOM_INTERNAL_H
#define GENC_RANDOM_INTERNAL_H

#include "backend/backend.h"
#include "genc/random.h"

/*
 * One f64 draw of a parameterless law (GENC_LAW_UNIFORM, _NORMAL,
 * _EXPONENTIAL, _GUMBEL) computed on the host: bit for bit the value that the
 * CPU backend gives for a shared 0-d draw with @p key (the same
 * genc_sample_req, run through genc_law_sample_elem). It lets the scalar fast
 * path of distributions skip dispatch and array allocation.
 */
double genc__sample_scalar(genc_key key, genc_law law);

/*
 * The key log of a graph capture (src/array/capture.c). Keys are host values,
 * so a capture cannot see how the keys its samplers used derive from its key
 * inputs; while a capture runs on this thread, genc_key_split / fold_in /
 * particle append (child, parent, op, arg) here. This thread-local pointer is
 * the one piece of mutable state outside a context: only a running capture
 * sets it (and refuses to start while another capture on the thread has it).
 */
/* The stream words of key derivation (key.c): a derived key is word 0 and 1
 * of the Philox block {w0, w1, tag, 0} under its parent's key; the compiled
 * loop of genc_graph_loop (array/exec_loop.c) derives keys in SIMD lanes
 * with the same words. */
#define GENC__KEY_TAG_SEED 0xfffffff0u
#define GENC__KEY_TAG_SPLIT 0xfffffff1u
#define GENC__KEY_TAG_FOLD 0xfffffff2u

typedef struct genc__key_rec {
  genc_key child, parent;
  int op; /* genc_gkey_op of array/graph.h */
  uint64_t arg;
} genc__key_rec;
typedef struct genc__key_log {
  genc__key_rec *v;
  int64_t len, cap;
  bool oom;
} genc__key_log;
extern _Thread_local genc__key_log *genc__key_log_active;

/* Child i of genc_key_split(key, ...), without the others. */
genc_key genc__key_split_one(genc_key key, uint32_t i);

#endif
