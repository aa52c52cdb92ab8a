/* act.c: element-wise activations and softmax (see act.h for the formulas).
 * Written as PyTorch's CPU kernels compute them in float32: GELU with erff,
 * ELU with expm1f, softmax with the row maximum subtracted. */
#include "act.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const act_names[] = {"none", "relu", "leaky_relu", "sigmoid", "tanh", "relu6",
                                        "elu", "silu", "gelu", "gelu_tanh", "hardswish"};
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
    case ACT_RELU6:
        /* comparisons with NaN are false: NaN stays NaN, as in hardtanh */
        return x < 0.0f ? 0.0f : x > 6.0f ? 6.0f : x;
    case ACT_ELU:
        return x > 0.0f ? x : act.slope * expm1f(x);
    case ACT_SILU:
        return x / (1.0f + expf(-x));
    case ACT_GELU:
        return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case ACT_GELU_TANH: {
        const float k = 0.79788456080286536f; /* sqrt(2/pi) */
        return 0.5f * x * (1.0f + tanhf(k * (x + 0.044715f * x * x * x)));
    }
    case ACT_HARDSWISH: {
        float r = x + 3.0f;
        r = r < 0.0f ? 0.0f : r > 6.0f ? 6.0f : r;
        return x * r / 6.0f;
    }
    }
    return x;
}

void act_softmax(float *data, size_t outer, size_t n, size_t inner, bool take_log)
{
    for (size_t o = 0; o < outer; o++) {
        for (size_t i = 0; i < inner; i++) {
            float *line = data + o * n * inner + i;
            float m = -INFINITY;
            double sum = 0.0;
            for (size_t j = 0; j < n; j++)
                if (line[j * inner] > m || isnan(line[j * inner]))
                    m = line[j * inner];
            if (isinf(m) && m < 0)
                m = 0.0f; /* every value -inf: exp gives 0s, the sum 0, as PyTorch */
            for (size_t j = 0; j < n; j++)
                sum += exp((double)(line[j * inner] - m));
            if (take_log) {
                float lse = (float)log(sum);
                for (size_t j = 0; j < n; j++)
                    line[j * inner] = line[j * inner] - m - lse;
            } else {
                for (size_t j = 0; j < n; j++)
                    line[j * inner] = (float)(exp((double)(line[j * inner] - m)) / sum);
            }
        }
    }
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
    /* only the activations of --activation and --act (the first five); the
       others come from layer specs */
    for (size_t i = 0; i <= ACT_TANH; i++)
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
    case ACT_RELU6:
        snprintf(buf, (size_t)size, "ReLU6");
        break;
    case ACT_ELU:
        snprintf(buf, (size_t)size, "ELU(%g)", (double)act.slope);
        break;
    case ACT_SILU:
        snprintf(buf, (size_t)size, "SiLU");
        break;
    case ACT_GELU:
        snprintf(buf, (size_t)size, "GELU");
        break;
    case ACT_GELU_TANH:
        snprintf(buf, (size_t)size, "GELU(tanh)");
        break;
    case ACT_HARDSWISH:
        snprintf(buf, (size_t)size, "Hardswish");
        break;
    default:
        snprintf(buf, (size_t)size, "Identity");
        break;
    }
}
