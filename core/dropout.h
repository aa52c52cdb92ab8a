/* dropout.h: the masks of Dropout and Dropout2d in training mode:
 *
 *   y = x * mask,  dx = dy * mask,  mask = 0 (probability p) or 1/(1-p)
 *
 * Dropout draws one value per element; Dropout2d one per channel plane (the
 * whole H x W plane kept or zeroed). The draws come from rng.h's generator,
 * not torch's: the statistics are PyTorch's, the particular masks are not
 * (a fixed seed gives the same masks on every machine). Eval mode is the
 * identity and needs no mask. */
#ifndef CONVSTEP_DROPOUT_H
#define CONVSTEP_DROPOUT_H

#include <stddef.h>

#include "rng.h"

/* Fills mask[0..count) for probability p in [0, 1]: each run of `plane`
 * values (1 for Dropout, H*W for Dropout2d; count a multiple of it) is 0
 * with probability p, else 1/(1-p). p == 1 gives all zeros, as PyTorch;
 * p == 0 all ones (and draws nothing). */
void dropout_mask(Rng *rng, float p, size_t count, size_t plane, float *mask);

#endif
