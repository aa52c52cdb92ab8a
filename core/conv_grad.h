/* conv_grad.h: a convolution (or transposed convolution) over a batch, and
 * its backward pass, for training (issue 11). Numbers are PyTorch's
 * conv2d / conv_transpose2d and their autograd gradients:
 *
 *   forward:  out[n][f][y][x] = bias[f] + sum_{c in group(f), ky, kx}
 *                               w[f][c'][ky][kx] * in_padded[n][c][y*s + ky*d][x*s + kx*d]
 *   backward: dL/dw[f][c'][ky][kx] = sum_{n, y, x} g[n][f][y][x] * in_padded[n][c][y*s + ky*d][x*s + kx*d]
 *             dL/dbias[f]          = sum_{n, y, x} g[n][f][y][x]
 *             dL/din[n][c][i][j]   = sum over the padded cells (i', j') that copy (i, j) of
 *                                    sum_{f, ky, kx} w[f][c'][ky][kx] * g[n][f][y][x]
 *                                    where i' = y*s + ky*d, j' = x*s + kx*d
 *
 * (g = dL/dout). A transposed convolution is the backward of a convolution
 * with its weights read as (in, out/groups, kh, kw), so its gradients are the
 * same sums with the roles of input and output exchanged. */
#ifndef CONVSTEP_CONV_GRAD_H
#define CONVSTEP_CONV_GRAD_H

#include "geom.h"
#include "tensor.h"

/* A batch forward for training: input N x C x H x W (any N >= 1; rank 4 or 3 with N 1),
   out: if empty, allocated N x F x OH x OW (rank 4); if already that shape, reused
   without allocating. Numbers as conv_forward's per image (within float rounding). */
Status conv_forward_batch(const Tensor *input, const Tensor *weights, const Tensor *bias,
                          const ConvParams *p, Tensor *out, Error *err);

/* Backward of the convolution (or transposed convolution, p->transposed) for the batch:
   grad_output N x F x OH x OW. grad_input NULL: not computed; else allocated if empty,
   reused if shaped like input; overwritten with dL/dinput. grad_weight (shaped like
   weights) and grad_bias (F values, any rank) NULL or ACCUMULATED (+=) so a caller sums
   chunks of a batch in its own fixed order. One thread. PyTorch autograd's numbers. */
Status conv_backward(const Tensor *input, const Tensor *weights, const ConvParams *p,
                     const Tensor *grad_output, Tensor *grad_input, Tensor *grad_weight,
                     Tensor *grad_bias, Error *err);

#endif
