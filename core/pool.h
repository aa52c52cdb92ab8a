/* pool.h: max and average pooling over each channel (PyTorch's max_pool2d
 * and avg_pool2d, batch size one).
 *
 *   max: out[c][y][x] = max over the window of in[c][...] (padding is -inf)
 *   avg: out[c][y][x] = sum over the window / divisor, where the divisor
 *        counts the window cells inside input+padding (count_include_pad) or
 *        only the cells inside the input; windows are clipped to the padded
 *        input as PyTorch does under ceil_mode.
 *
 * Adaptive pooling (adaptive_avg_pool2d, adaptive_max_pool2d) picks the
 * windows from the sizes: on an axis of n input cells and m output cells,
 * output i pools input cells [floor(i*n/m), ceil((i+1)*n/m)), so windows may
 * differ in size by one and overlap; avg divides by the window's size. */
#ifndef CONVSTEP_POOL_H
#define CONVSTEP_POOL_H

#include "geom.h"
#include "tensor.h"
#include "threads.h"

/* Pools input (1 x C x H x W) into *out (allocated here, 1 x C x OH x OW). */
Status pool_forward(const Tensor *input, const PoolParams *p, Tensor *out, Error *err);

/* As pool_forward, with the channels split over threads' pool when the
 * input is large enough to pay (NULL: one thread). The same bits as
 * pool_forward whatever the pool. */
Status pool_forward_threads(const Tensor *input, const PoolParams *p, Threads *threads, Tensor *out, Error *err);

/* As pool_forward_threads, into out, which the caller has shaped 1 x C x
 * OH x OW (a view of a larger buffer, as the trainer's batches are): nothing
 * is allocated for it. A wrong shape is refused naming both. */
Status pool_forward_into(const Tensor *input, const PoolParams *p, Threads *threads, Tensor *out, Error *err);

/* The window [*start, *end) of output cell i on an axis of n input and m
 * output cells (i < m; n, m >= 1). */
void pool_adaptive_window(size_t i, size_t n, size_t m, size_t *start, size_t *end);

/* Adaptive pooling of input (1 x C x H x W) to 1 x C x oh x ow (allocated
 * here, rank 3 or the input's 4). oh, ow must be at least 1. */
Status pool_adaptive_forward(const Tensor *input, PoolMode mode, size_t oh, size_t ow, Tensor *out,
                             Error *err);

/* ---- backward (PyTorch autograd's numbers) ---- */

/* The backward of pool_forward: input is 1 x C x H x W (a batch is passed as
 * C = N*channels), grad_output is shaped like pool_forward's output for it
 * (checked: CS_ERR_SHAPE names both shapes). *grad_input is allocated (shaped
 * like input) when empty, reused when already shaped like input; either way
 * overwritten. Max: each output's gradient goes to the cell PyTorch's CPU
 * kernel picks (the first maximum in window scan order, row by row; a NaN
 * wins); a window wholly in the padding sends its gradient nowhere. Avg: each
 * output's gradient is divided as the forward divides (count_include_pad,
 * ceil_mode clipping) and added to every input cell of its window. */
Status pool_backward(const Tensor *input, const PoolParams *p, const Tensor *grad_output,
                     Tensor *grad_input, Error *err);

/* The backward of pool_adaptive_forward, with the output size read from
 * grad_output (1 x C x oh x ow, C and rank as the input): *grad_input as in
 * pool_backward. Max sends each output's gradient to its window's first
 * maximum (a NaN wins); avg spreads it evenly over the window. */
Status pool_adaptive_backward(const Tensor *input, PoolMode mode, const Tensor *grad_output,
                              Tensor *grad_input, Error *err);

#endif
