/* b1_blk built with 512-bit vectors preferred (-mprefer-vector-width=512):
 * gcc's tuning for Intel server cores keeps to 256-bit vectors although the
 * core has AVX-512, which made blk 10-30% slower on the device host's Xeon,
 * while on the development machine's EPYC 512 is the slower one; the
 * benchmark times both and takes the faster as `blk`. */
#define b1_blk b1_blk512
#include "b1_blk.c"
