/*
 * The NUTS transition (nuts_step.c) as a resumable state machine: it stops
 * at every leapfrog's model evaluation and resumes after it.
 * genc__nuts_transition (genc_nuts) runs it with its own evaluations; N
 * chains each build their own tree while their evaluations run as one batch
 * (genc_nuts_lockstep in nuts_lockstep.c, genc_kernel_nuts in
 * nuts_kernel.c), so a lock-step chain equals the single-chain sampler bit
 * for bit when the batch evaluates each point as the single callback would.
 * Internal.
 */
#ifndef GENC_INFER_NUTS_STEP_H
#define GENC_INFER_NUTS_STEP_H

#include "infer/nuts.h"

#define GENC__STEP_FRAMES 32 /* build_tree frames: max_depth <= 30, plus one */

/* One pending call of Stan's build_tree (nuts_step.c): its arguments and where
 * it stands (pc: 0 start, 1 after the first half or the leaf's evaluation, 2
 * after the second half). */
typedef struct genc__step_frame {
  int depth, pc;
  double *q_prop, *g_prop, *lp_prop, *h_prop; /* the subtree's sample */
  double *sharp_beg, *sharp_end, *rho, *p_beg, *p_end, *lsw;
  double lsw_init, lsw_final, lp_final, h_final;
} genc__step_frame;

/* The top level's vectors, carved from s->top: the momenta and sharp momenta
 * at the four ends (ff: forward end of the forward part, fb: its backward
 * end, bf, bb likewise), rho of the whole tree and of each part, scratch,
 * the forward and backward ends (q, p, g), the sample and the new subtree's
 * proposal (q, g). */
typedef struct genc__step_top {
  double *p_ff, *s_ff, *p_fb, *s_fb, *p_bf, *s_bf, *p_bb, *s_bb;
  double *rho, *rho_f, *rho_b, *ext;
  double *fq, *fp, *fg, *bq, *bp, *bg;
  double *sq, *sg, *zq, *zg;
} genc__step_top;

/* A resumable transition of the sampler s (it uses s's q, p, g, lp, rng,
 * eps and scratch, and sets its statistics fields). */
typedef struct genc__step {
  genc__nuts *s;
  genc__step_top k; /* s's scratch, carved once per transition */
  int phase;        /* internal: where the top level stands */
  int sp;           /* frames in use */
  int ret;          /* the last finished frame's verdict */
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
