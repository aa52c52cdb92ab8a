/* conv.h: 2-D convolution (cross-correlation, as PyTorch's conv2d) and
 * transposed convolution (conv_transpose2d), batch size one.
 *
 *   out[f][y][x] = bias[f] + sum_{c in group(f)} sum_{ky,kx}
 *                  w[f][c'][ky][kx] * in_padded[c][y*s - pad_top + ky*d][x*s - pad_left + kx*d]
 *
 * where c' = c - group_start and in_padded applies the padding mode.
 * The transposed form scatters: for every input cell (c, iy, ix),
 *   out[f][iy*s - pad_top + ky*d][ix*s - pad_left + kx*d] += in[c][iy][ix] * w[c][f'][ky][kx]. */
#ifndef CONVSTEP_CONV_H
#define CONVSTEP_CONV_H

#include "geom.h"
#include "tensor.h"
#include "threads.h"

/* Checks that input (N=1 x C x H x W), weights and bias fit p: weights are
 * (F, C/groups, kh, kw) for a convolution and (C, F/groups, kh, kw) for a
 * transposed one; groups divides C and F; bias (if not NULL) has F elements.
 * On success *out_channels is F. Messages name the mismatching numbers, e.g.
 * "weights expect 1 input channel per group but the input has 3 channels". */
Status conv_check(const Tensor *input, const Tensor *weights, const Tensor *bias,
                  const ConvParams *p, size_t *out_channels, Error *err);

/* Computes the layer into *out (allocated here, 1 x F x OH x OW, rank equal
 * to the input's rank but at least 3). bias may be NULL. One thread; results
 * agree with tests/support_reference.c within float rounding (1e-5 relative
 * to 1 + |value| for sums of up to 600 terms), on every instruction-set
 * path (isa.h; chosen per call, CONVSTEP_ISA forces one), and are the same
 * bit for bit from run to run on one path. */
Status conv_forward(const Tensor *input, const Tensor *weights, const Tensor *bias,
                    const ConvParams *p, Tensor *out, Error *err);

/* As conv_forward, with the work split over threads' pool (threads.h;
 * NULL: one thread) when the layer is large enough to pay (about 4 million
 * multiply-adds or more; smaller layers run on the calling thread). The
 * result is the same bit for bit as conv_forward's on the same path, for
 * any pool: the split is by output rows and filters, never inside a sum.
 * Transposed convolutions run on one thread. */
Status conv_forward_threads(const Tensor *input, const Tensor *weights, const Tensor *bias,
                            const ConvParams *p, Threads *threads, Tensor *out, Error *err);

#endif
