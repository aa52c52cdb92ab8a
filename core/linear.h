/* linear.h: a fully connected layer (PyTorch's nn.Linear), one sample or a
 * batch, and its backward pass:
 *
 *   y[o] = bias[o] + sum_i W[o][i] * x[i]        W is (out_features, in_features)
 *   dx = dy W,  dW = dy^T x,  db = sum over the batch of dy
 *
 * A map arriving at a Linear is its C,H,W values in C order (flattened as
 * torch.flatten(x, 1) does). */
#ifndef CONVSTEP_LINEAR_H
#define CONVSTEP_LINEAR_H

#include <stddef.h>

/* Computes y[0..out) from x[0..in), the row-major out x in weights w and
 * bias (NULL: none). Each dot product is summed in eight interleaved float
 * partial sums (as vectorised BLAS kernels do), so long rows (VGG's 25088)
 * lose less to rounding than one running sum would. */
void linear_forward(const float *x, size_t in, const float *w, const float *bias, size_t out, float *y);

/* The same for a batch: x is batch rows of `in` features, y batch rows of
 * `out` outputs, each row the same numbers as linear_forward gives it. */
void linear_forward_batch(const float *x, size_t batch, size_t in, const float *w,
                          const float *bias, size_t out, float *y);

/* The backward of linear_forward_batch for the upstream gradient dy
 * (batch x out):
 *   dx = dy W            NULL or overwritten (batch x in)
 *   dw += dy^T x         NULL or accumulated (out x in)
 *   db += sum over rows of dy   NULL or accumulated (out) */
void linear_backward(const float *x, const float *w, const float *dy, size_t batch, size_t in,
                     size_t out, float *dx, float *dw, float *db);

#endif
