/*
 * A captured graph (ARCHITECTURE decision 3): the straight-line program of
 * primitives that one eager run of a function of arrays made, with keys, data
 * and parameters as inputs. The capture (src/array/capture.c) writes it; the
 * interpreter (replay of every node through its primitive's forward) and the
 * executors (src/array/exec_cpu*.c: fused, compiled, threaded; CUDA) read it.
 * This header is the contract between them.
 *
 * Values are numbered: 0 .. ninputs-1 are the inputs in the order they were
 * marked, ninputs .. ninputs+nconsts-1 the constants (arrays the run read that
 * no input determines: data, parameters, C numbers; the graph holds a
 * reference to each), then one value per node, node k being value
 * ninputs + nconsts + k. Shapes, dtypes and particle counts of every value are
 * fixed at capture (a replay's inputs must match them). Nodes are in execution
 * order and every node is live: the capture drops nodes (and constants) that
 * no output or guard depends on.
 */
#ifndef GENC_ARRAY_GRAPH_H
#define GENC_ARRAY_GRAPH_H

#include "array/internal.h"
#include "genc/random.h"

/* Static description of one value. */
typedef struct genc_gmeta {
  uint8_t dtype, ndim, weak;
  int64_t n; /* particles; 0 = shared */
  int64_t size;
  int64_t shape[GENC_MAX_DIMS];
} genc_gmeta;

/* How a key the run used derives from the graph's key inputs: key = op(parent,
 * arg) where parent is a key input (parent < 0: key input -parent-1) or an
 * earlier derived key (parent >= 0), so a replay recomputes every key on the
 * host from its new key inputs in a few Philox blocks. */
typedef enum genc_gkey_op { GENC_GKEY_SPLIT, GENC_GKEY_FOLD, GENC_GKEY_PARTICLE } genc_gkey_op;
typedef struct genc_gkey {
  genc_gkey_op op;
  int32_t parent;
  uint64_t arg; /* split index, fold-in data, particle offset */
} genc_gkey;

typedef struct genc_gnode {
  const genc_prim *prim;
  int nin;
  int32_t in[GENC_MAX_INPUTS]; /* value ids */
  genc_params p;               /* as captured */
  /* sample nodes ("random" primitive): the derived key whose words and
   * particle offset replace p.i[0] and p.i[1] at replay; -1: a constant key
   * (the same draws every replay) */
  int32_t key;
  genc_gmeta out;
} genc_gnode;

/* A host read the run made of a value the inputs determine (a parameter
 * check's "worst element"): a replay reads it again and refuses (status
 * GENC_ERR_CAPTURE) if it differs, so the caller reruns eagerly and gets the
 * eager error. */
typedef struct genc_gguard {
  int32_t value;
  double seen;
} genc_gguard;

/* also declared in genc/array.h (C11 allows the repeat) */
typedef struct genc_graph genc_graph;

struct genc_graph {
  genc_ctx *ctx;
  int32_t ninputs, nconsts, nnodes, nkeys_in, nkeys, noutputs, nguards;
  genc_gmeta *meta;    /* ninputs + nconsts + nnodes entries */
  genc_array **consts; /* nconsts, referenced */
  genc_gnode *nodes;   /* nnodes */
  genc_gkey *keys;     /* nkeys derived keys */
  int32_t *outputs;    /* noutputs value ids */
  genc_gguard *guards; /* nguards */
  /* an executor's compiled plan (NULL: the interpreter runs every node).
   * exec_run receives vals[ninputs + nconsts + nnodes] with the inputs and
   * constants filled (borrowed) and the derived keys of this replay; it must
   * leave a new reference in vals[v] for every output and guard value v (it
   * may fill others; the replay releases whatever it finds there). */
  void *exec;
  genc_status (*exec_run)(genc_ctx *ctx, struct genc_graph *g, const genc_key *keys,
                          genc_array **vals);
  void (*exec_free)(void *exec);
  /* an executor's genc_graph_loop for the graphs it runs as one loop (NULL:
   * none): *handled false (nothing done, no error) hands the loop to replays
   * one by one (loop.c); the arguments are checked and out is all NULL */
  genc_status (*exec_loop)(genc_ctx *ctx, struct genc_graph *g, const genc_key *keys,
                           genc_array *const *in, genc_array **out,
                           const struct genc_graph_loop_opts *o, bool *handled);
  /* exec_run checks the guards itself (genc__graph_check_guard or its own
   * way, e.g. on the device) and the replay reads none after it */
  bool exec_guards;
  /* the interpreter's plan (capture.c fills it; executors may read it):
   * last_use[v] is the node after which a replay may release value v (nnodes
   * for outputs and guard values, -1 for values no node reads); guards are
   * sorted by guard_pos, the node after which each is checked (-1: before
   * the first node, for a guard on an input) */
  int32_t *last_use;  /* ninputs + nconsts + nnodes */
  int32_t *guard_pos; /* nguards */
};

/* The derived keys of a replay (g->nkeys of them, into out) from its key
 * inputs (capture.c). */
void genc__graph_keys(const genc_graph *g, const genc_key *key_inputs, genc_key *out);
/* Run node k through its primitive's forward on the value table (inputs read
 * from vals, keys from genc__graph_keys); returns a new reference, or NULL
 * with the context's error (capture.c). */
/* Guard q against this replay's value vals[g->guards[q].value] (a host
 * read): GENC_OK, or GENC_ERR_CAPTURE "guard changed" (replay.c). */
genc_status genc__graph_check_guard(genc_ctx *ctx, const genc_graph *g, int32_t q,
                                    genc_array **vals);
/* genc_graph_replay's checks of its arguments (f names the caller). */
genc_status genc__graph_check_args(genc_ctx *ctx, const genc_graph *g, const genc_key *keys,
                                   genc_array *const *in, genc_array **out, const char *f);
genc_array *genc__graph_run_node(genc_ctx *ctx, const genc_graph *g, int32_t k, genc_array **vals,
                                 const genc_key *keys);

#endif
