/* pool.h: max and average pooling over each channel (PyTorch's max_pool2d
 * and avg_pool2d, batch size one).
 *
 *   max: out[c][y][x] = max over the window of in[c][...] (padding is -inf)
 *   avg: out[c][y][x] = sum over the window / divisor, where the divisor
 *        counts the window cells inside input+padding (count_include_pad) or
 *        only the cells inside the input; windows are clipped to the padded
 *        input as PyTorch does under ceil_mode. */
#ifndef CONVSTEP_POOL_H
#define CONVSTEP_POOL_H

#include "geom.h"
#include "tensor.h"

/* Pools input (1 x C x H x W) into *out (allocated here, 1 x C x OH x OW). */
Status pool_forward(const Tensor *input, const PoolParams *p, Tensor *out, Error *err);

#endif
