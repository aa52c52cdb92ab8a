/* optim.h: the optimisers of torch.optim, PyTorch 1.13's single-tensor
 * (foreach=False) implementations, step for step in float32.
 *
 * SGD, for each parameter p with gradient g (PyTorch's notation):
 *   g = g + weight_decay * p                      when weight_decay != 0
 *   b = g                                         first step (momentum != 0)
 *   b = momentum * b + (1 - dampening) * g        later steps
 *   g = g + momentum * b  (nesterov)  or  g = b   when momentum != 0
 *   p = p - lr * g
 * Adam (L2 weight decay added to the gradient, not AdamW), step t from 1:
 *   g = g + weight_decay * p                      when weight_decay != 0
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g * g
 *   p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * with m and v starting at 0 and the bias corrections in double, as
 * PyTorch computes them in Python. */
#ifndef CONVSTEP_OPTIM_H
#define CONVSTEP_OPTIM_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

typedef enum OptimKind { OPTIM_SGD, OPTIM_ADAM } OptimKind;

/* Every field is used as given (0 is a real value for most); start from
 * optim_defaults(kind), whose values are PyTorch's defaults. */
typedef struct OptimOptions {
    OptimKind kind;
    float lr;               /* >= 0; SGD 0.01 (torch.optim.SGD requires one), Adam 0.001 */
    float momentum;         /* SGD, >= 0; default 0 */
    float dampening;        /* SGD; default 0 */
    float weight_decay;     /* both, >= 0; default 0 */
    bool nesterov;          /* SGD: needs momentum > 0 and dampening 0; default false */
    float beta1, beta2;     /* Adam, each in [0, 1); default 0.9, 0.999 */
    float eps;              /* Adam, >= 0; default 1e-8 */
} OptimOptions;

typedef struct Optim Optim;

/* PyTorch's defaults for kind (above). */
OptimOptions optim_defaults(OptimKind kind);

/* Makes an optimiser for n_params parameters of counts[i] floats each (its
 * momentum or moment buffers, zero steps taken). Refused with CS_ERR_RANGE
 * and a message naming the value: an unknown kind; a negative or non-finite
 * lr, momentum, weight_decay or eps; a non-finite dampening; nesterov
 * without momentum or with dampening; a beta outside [0, 1). CS_ERR_NOMEM
 * when the buffers do not fit. */
Status optim_create(const OptimOptions *o, size_t n_params, const size_t *counts, Optim **out, Error *err);

/* Frees the optimiser. Safe on NULL. */
void optim_free(Optim *o);

/* One step over every parameter: params[i][0..counts[i]) updated from
 * grads[i][0..counts[i]) (grads are not changed). */
void optim_step(Optim *o, float *const *params, const float *const *grads);

/* The learning rate of the next steps (>= 0 and finite), and the current one. */
void optim_set_lr(Optim *o, float lr);
float optim_lr(const Optim *o);

#endif
