/**
 * @file genc.h
 * @brief genc: Gen-style programmable probabilistic inference in C.
 *
 * Include this one header; it pulls in every public layer header.
 */
#ifndef GENC_H
#define GENC_H

#include "genc/base.h"
#include "genc/array.h"
#include "genc/exec.h"
#include "genc/random.h"
#include "genc/dist.h"
#include "genc/core.h"
#include "genc/gfi.h"
#include "genc/comb.h"
#include "genc/infer.h"

#endif
