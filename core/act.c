/* act.c: element-wise activations (see act.h).
 *   relu(x) = max(0, x); leaky_relu(x) = x >= 0 ? x : slope*x;
 *   sigmoid(x) = 1 / (1 + exp(-x)); tanh(x).
 * As in PyTorch, each turns NaN into NaN; at +-inf they give relu 0 and inf,
 * leaky_relu -inf and inf, sigmoid 0 and 1, tanh -1 and 1. */
#include "act.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const act_names[] = {"none", "relu", "leaky_relu", "sigmoid", "tanh"};
#define ACT_COUNT (sizeof act_names / sizeof act_names[0])

float act_apply(Activation act, float x)
{
    switch (act.kind) {
    case ACT_NONE:
        return x;
    case ACT_RELU:
        /* NaN stays NaN, as PyTorch's relu (a plain x > 0 test makes it 0). */
        return x > 0.0f || isnan(x) ? x : 0.0f;
    case ACT_LEAKY_RELU:
        return x >= 0.0f ? x : act.slope * x;
    case ACT_SIGMOID:
        /* Written so exp never overflows for large |x|. */
        if (x >= 0.0f)
            return 1.0f / (1.0f + expf(-x));
        else {
            float e = expf(x);
            return e / (1.0f + e);
        }
    case ACT_TANH:
        return tanhf(x);
    }
    return x;
}

void act_apply_tensor(Activation act, Tensor *t)
{
    size_t count = tensor_count(t);
    if (act.kind == ACT_NONE)
        return;
    for (size_t i = 0; i < count; i++)
        t->data[i] = act_apply(act, t->data[i]);
}

const char *act_name(ActKind kind)
{
    return (unsigned)kind < ACT_COUNT ? act_names[kind] : "unknown";
}

bool act_parse(const char *name, ActKind *kind)
{
    for (size_t i = 0; i < ACT_COUNT; i++)
        if (strcmp(name, act_names[i]) == 0) {
            *kind = (ActKind)i;
            return true;
        }
    return false;
}

void act_label(Activation act, char *buf, int size)
{
    if (size <= 0)
        return;
    switch (act.kind) {
    case ACT_LEAKY_RELU:
        snprintf(buf, (size_t)size, "LeakyReLU(%g)", (double)act.slope);
        break;
    case ACT_RELU:
        snprintf(buf, (size_t)size, "ReLU");
        break;
    case ACT_SIGMOID:
        snprintf(buf, (size_t)size, "Sigmoid");
        break;
    case ACT_TANH:
        snprintf(buf, (size_t)size, "Tanh");
        break;
    default:
        snprintf(buf, (size_t)size, "Identity");
        break;
    }
}
