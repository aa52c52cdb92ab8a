/* norm.h: batch normalisation as PyTorch's BatchNorm2d computes it in eval
 * mode, one image:
 *
 *   y[c][i] = (x[c][i] - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c]
 *
 * computed as x*alpha + beta with alpha = weight/sqrt(var + eps) and
 * beta = bias - mean*alpha, the form of ATen's CPU kernel. With
 * track_running_stats=False there are no running statistics and eval mode
 * uses the image's own: mean and biased variance over its H*W cells. */
#ifndef CONVSTEP_NORM_H
#define CONVSTEP_NORM_H

#include <stddef.h>

/* Normalises the channels planes of size `plane` in x into y (which may be
 * x). mean and var NULL: the image's own statistics; weight NULL: 1, bias
 * NULL: 0 (affine=False). */
void norm_batch_forward(const float *x, size_t channels, size_t plane, const float *mean,
                        const float *var, const float *weight, const float *bias, float eps, float *y);

#endif
