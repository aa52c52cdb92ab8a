/* act.h: element-wise activations.
 *   relu(x) = max(0, x); leaky_relu(x) = x >= 0 ? x : slope*x;
 *   sigmoid(x) = 1 / (1 + exp(-x)); tanh(x).
 * As in PyTorch, each turns NaN into NaN; at +-inf they give relu 0 and inf,
 * leaky_relu -inf and inf, sigmoid 0 and 1, tanh -1 and 1. */
#ifndef CONVSTEP_ACT_H
#define CONVSTEP_ACT_H

#include <stdbool.h>

#include "tensor.h"

typedef enum ActKind { ACT_NONE, ACT_RELU, ACT_LEAKY_RELU, ACT_SIGMOID, ACT_TANH } ActKind;

typedef struct Activation {
    ActKind kind;
    float slope;        /* ACT_LEAKY_RELU only; PyTorch's default is 0.01 */
} Activation;

/* The activation applied to one value. */
float act_apply(Activation act, float x);

/* Applies act to every element of t in place. */
void act_apply_tensor(Activation act, Tensor *t);

/* "none", "relu", "leaky_relu", "sigmoid", "tanh" (the window's labels use
 * act_label: "ReLU", "LeakyReLU(0.01)", ...). */
const char *act_name(ActKind kind);
bool act_parse(const char *name, ActKind *kind);
void act_label(Activation act, char *buf, int size);

#endif
