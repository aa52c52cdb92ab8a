/* act.h: element-wise activations, and softmax along one axis.
 *   relu(x) = max(0, x); leaky_relu(x) = x >= 0 ? x : slope*x;
 *   sigmoid(x) = 1 / (1 + exp(-x)); tanh(x);
 *   relu6(x) = min(max(0, x), 6); elu(x) = x > 0 ? x : slope*(exp(x) - 1) (ELU's alpha);
 *   silu(x) = x * sigmoid(x); gelu(x) = x/2 * (1 + erf(x/sqrt(2)));
 *   gelu_tanh(x) = x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)));
 *   hardswish(x) = x * relu6(x + 3) / 6;
 *   softmax(x)_i = exp(x_i - m) / sum_j exp(x_j - m), m = max_j x_j;
 *   log_softmax(x)_i = x_i - m - log(sum_j exp(x_j - m)).
 * NaN goes through as PyTorch lets it (a NaN in a softmax row makes the row NaN);
 * at +-inf relu gives 0 and inf, leaky_relu -inf and inf, sigmoid 0 and 1,
 * tanh -1 and 1. */
#ifndef CONVSTEP_ACT_H
#define CONVSTEP_ACT_H

#include <stdbool.h>
#include <stddef.h>

#include "tensor.h"

typedef enum ActKind {
    ACT_NONE, ACT_RELU, ACT_LEAKY_RELU, ACT_SIGMOID, ACT_TANH,
    /* the layer stacks' further activations (after ACT_TANH, so the window's
       cycle over the first five stays as it is) */
    ACT_RELU6, ACT_ELU, ACT_SILU, ACT_GELU, ACT_GELU_TANH, ACT_HARDSWISH
} ActKind;

typedef struct Activation {
    ActKind kind;
    float slope;        /* the parameter: ACT_LEAKY_RELU's negative_slope (PyTorch's
                           default 0.01) and ACT_ELU's alpha (default 1.0) */
} Activation;

/* The activation applied to one value. */
float act_apply(Activation act, float x);

/* Applies act to every element of t in place. */
void act_apply_tensor(Activation act, Tensor *t);

/* Applies act to x[0..n) into y[0..n) (y may be x): the values of act_apply,
 * ReLU's in a vectorised loop. */
void act_apply_array(Activation act, const float *x, float *y, size_t n);

/* Softmax (or log-softmax when take_log) along one axis of a row-major block:
 * the data is outer x n x inner values, and each of the outer*inner lines of
 * n values spaced `inner` apart is normalised in place, with the maximum
 * subtracted first so exp never overflows. */
void act_softmax(float *data, size_t outer, size_t n, size_t inner, bool take_log);

/* ---- backward ----
 * dx[i] = dy[i] * act'(x[i]) from the activation's INPUT x, with PyTorch's
 * derivative formulas (its autograd, float32):
 *   relu:       x <= 0 ? 0 : 1             (0 at x = 0; a NaN x passes dy,
 *                                          as PyTorch tests relu's output)
 *   leaky_relu: x > 0 ? 1 : slope          (slope at x = 0 and for NaN)
 *   relu6:      0 < x < 6 ? 1 : 0          (0 at both ends and for NaN)
 *   elu:        x > 0 ? 1 : alpha * exp(x) (alpha at 0; NaN for NaN)
 *   sigmoid:    s * (1 - s), s = sigmoid(x); tanh: 1 - t*t, t = tanh(x)
 *   silu:       s * (1 + x * (1 - s))      (NaN at +-inf, as PyTorch)
 *   gelu:       Phi(x) + x * phi(x) (the exact form); gelu_tanh: the
 *               derivative of the tanh form as ATen writes it (NaN at +-inf)
 *   hardswish:  x < -3 ? 0 : x >= 3 ? 1 : x/3 + 1/2   (-1/2 at -3, 1 at 3
 *               and NaN for NaN: ATen's vectorised kernel, which every
 *               tensor of 8 or more values meets; its scalar tail says 1.5
 *               at 3)
 * dx may be dy (in place). For relu, relu6 and leaky_relu with slope > 0
 * the activation's output gives the same dx as its input (the tests keep
 * their signs and NaNs), so an in-place forward needs no copy of x. */
void act_backward(Activation act, const float *x, const float *dy, size_t n, float *dx);

/* The backward of act_softmax from the forward's OUTPUT y (same layout:
 * outer x n x inner, lines of n values `inner` apart):
 *   softmax:     dx_i = y_i * (dy_i - sum_j dy_j * y_j)
 *   log_softmax: dx_i = dy_i - exp(y_i) * sum_j dy_j
 * dx may be dy. */
void act_softmax_backward(const float *y, const float *dy, size_t outer, size_t n, size_t inner,
                          bool take_log, float *dx);

/* "none", "relu", "leaky_relu", "sigmoid", "tanh", "relu6", "elu", "silu",
 * "gelu", "gelu_tanh", "hardswish" (the window's labels use act_label:
 * "ReLU", "LeakyReLU(0.01)", ...). act_parse reads only the first five, the
 * names of --activation. */
const char *act_name(ActKind kind);
bool act_parse(const char *name, ActKind *kind);
void act_label(Activation act, char *buf, int size);

#endif
