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

#include <stdbool.h>
#include <stddef.h>

/* Normalises the channels planes of size `plane` in x into y (which may be
 * x). mean and var NULL: the image's own statistics; weight NULL: 1, bias
 * NULL: 0 (affine=False). */
void norm_batch_forward(const float *x, size_t channels, size_t plane, const float *mean,
                        const float *var, const float *weight, const float *bias, float eps, float *y);

/* ---- training ----
 * BatchNorm2d in training mode over a batch x (batch x channels x plane):
 * each channel is normalised by its batch mean and biased variance over
 * batch*plane values,
 *   y = (x - mean) * invstd * weight + bias,   invstd = 1/sqrt(var + eps),
 * and, when running_mean/running_var are given (NULL: track_running_stats=
 * False), they are updated as PyTorch does:
 *   running_mean = (1 - momentum) * running_mean + momentum * mean
 *   running_var  = (1 - momentum) * running_var  + momentum * var * m/(m-1)
 * (the UNBIASED variance, m = batch*plane; PyTorch's momentum is 0.1).
 * save_mean and save_invstd (channels each) get mean and invstd for the
 * backward. weight/bias NULL: affine=False. y may be x. */
void norm_batch_train_forward(const float *x, size_t batch, size_t channels, size_t plane,
                              const float *weight, const float *bias, float eps, float momentum,
                              float *running_mean, float *running_var, float *y,
                              float *save_mean, float *save_invstd);

/* The backward of BatchNorm2d for the upstream gradient dy (shaped as x).
 * training: mean and invstd were the batch's (norm_batch_train_forward's
 * save_mean/save_invstd), so they depend on x:
 *   dx = weight * invstd * (dy - mean(dy) - xhat * mean(dy * xhat))
 * eval (!training): they are fixed numbers (e.g. the running mean and
 * 1/sqrt(running_var + eps)): dx = dy * weight * invstd.
 * Means are over the channel's batch*plane values; xhat = (x - mean)*invstd.
 * dx is overwritten; dweight += sum(dy * xhat) and dbias += sum(dy) per
 * channel, each NULL to skip. weight NULL: 1 (affine=False). */
void norm_batch_backward(const float *x, const float *dy, size_t batch, size_t channels,
                         size_t plane, const float *weight, const float *save_mean,
                         const float *save_invstd, bool training, float *dx, float *dweight,
                         float *dbias);

#endif
