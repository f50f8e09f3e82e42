/*
 * A NUTS transition that can stop at every leapfrog's model evaluation and
 * resume after it (nuts_step.c), so that N chains each build their own tree
 * while their evaluations run as one batch (genc_nuts_lockstep, in
 * nuts_lockstep.c). It makes the same arithmetic and random draws in the same
 * order as genc__nuts_transition (nuts.c), so a chain equals the single-chain
 * sampler bit for bit when the batch evaluates each point as the single
 * callback would. Internal.
 */
#ifndef GENC_INFER_NUTS_STEP_H
#define GENC_INFER_NUTS_STEP_H

#include "infer/nuts.h"

#define GENC__STEP_FRAMES 32 /* build_tree frames: max_depth <= 30, plus one */

/* One pending call of Stan's build_tree (see nuts.c): its arguments and where
 * it stands (pc: 0 start, 1 after the first half or the leaf's evaluation, 2
 * after the second half). */
typedef struct genc__step_frame {
  int depth, pc;
  double *q_prop, *g_prop, *lp_prop, *h_prop; /* the subtree's sample */
  double *sharp_beg, *sharp_end, *rho, *p_beg, *p_end, *lsw;
  double lsw_init, lsw_final, lp_final, h_final;
} genc__step_frame;

/* A resumable transition of the sampler s (its q, p, g, lp, rng, eps and
 * scratch are used as genc__nuts_transition uses them). */
typedef struct genc__step {
  genc__nuts *s;
  int phase; /* internal: where the top level stands */
  int sp;    /* frames in use */
  int ret;   /* the last finished frame's verdict */
  double h0, lsw, lsw_sub, sign;
  double s_lp, s_h, z_lp, z_h; /* the sample's and the new subtree's lp and energy */
  double fwd_lp, bck_lp;
  genc__step_frame f[GENC__STEP_FRAMES];
} genc__step;

/* Start a transition from z = (s->q, s->g, s->lp) with step size s->eps. */
void genc__step_start(genc__step *t, genc__nuts *s);
/* Run until the next evaluation is needed (returns 1: evaluate the density at
 * s->q into s->lp and s->g, then call again) or the transition is over
 * (returns 0: z is the draw and the statistics fields are set). */
int genc__step_run(genc__step *t);

#endif
