/* act.c: element-wise activations and softmax (see act.h for the formulas).
 * Written as PyTorch's CPU kernels compute them in float32: GELU with erff,
 * ELU with expm1f, softmax with the row maximum subtracted. */
#include "act.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The backward loops are selects over whole arrays (dy loaded in every lane,
   so no load is conditional); -O2's cheap cost model leaves them scalar and
   branchy, where random signs mispredict half the time (relu's backward over
   the training network's batch: 2.3 ms scalar, 0.11 ms vectorised). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

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

void act_apply_array(Activation act, const float *x, float *y, size_t n)
{
    if (act.kind == ACT_RELU) {
        /* act_apply's relu as a select the compiler vectorises: NaN <= 0 is
           false, so NaN stays NaN; -0 and +0 give +0 */
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] <= 0.0f ? 0.0f : x[i];
        return;
    }
    if (act.kind == ACT_NONE) {
        if (x != y)
            memmove(y, x, n * sizeof *y);
        return;
    }
    for (size_t i = 0; i < n; i++)
        y[i] = act_apply(act, x[i]);
}

void act_apply_tensor(Activation act, Tensor *t)
{
    act_apply_array(act, t->data, t->data, tensor_count(t));
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

/* ---- backward ----
 * The derivatives as ATen's CPU kernels write them (threshold_backward,
 * leaky_relu_backward, hardtanh_backward, elu_backward, sigmoid_backward,
 * tanh_backward, silu_backward, gelu_backward, hardswish_backward), in
 * their vectorised forms (what every tensor of 8 or more values gets): the
 * comparisons are written as those kernels' masks, so NaN and the ends of
 * the ranges go the same way. Each kind is one loop, so relu's and its
 * neighbours' vectorise here too. */

void act_backward(Activation act, const float *x, const float *dy, size_t n, float *dx)
{
    const float slope = act.slope;
    switch (act.kind) {
    case ACT_NONE:
        if (dx != dy)
            memmove(dx, dy, n * sizeof *dx);
        return;
    case ACT_RELU:
        /* PyTorch tests the output (relu(x) <= 0): a NaN x passes dy */
        for (size_t i = 0; i < n; i++) {
            const float g = dy[i]; /* loaded in every lane, so the select vectorises */
            dx[i] = x[i] <= 0.0f ? 0.0f : g;
        }
        return;
    case ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) {
            const float g = dy[i];
            dx[i] = x[i] > 0.0f ? g : g * slope;
        }
        return;
    case ACT_RELU6:
        for (size_t i = 0; i < n; i++) {
            const float g = dy[i];
            dx[i] = x[i] > 0.0f && x[i] < 6.0f ? g : 0.0f;
        }
        return;
    case ACT_ELU:
        for (size_t i = 0; i < n; i++)
            dx[i] = x[i] > 0.0f ? dy[i] : dy[i] * slope * expf(x[i]);
        return;
    case ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) {
            const float y = act_apply(act, x[i]);
            dx[i] = dy[i] * (1.0f - y) * y;
        }
        return;
    case ACT_TANH:
        for (size_t i = 0; i < n; i++) {
            const float t = tanhf(x[i]);
            dx[i] = dy[i] * (1.0f - t * t);
        }
        return;
    case ACT_SILU:
        for (size_t i = 0; i < n; i++) {
            const float s = 1.0f / (1.0f + expf(-x[i]));
            dx[i] = dy[i] * s * (1.0f + x[i] * (1.0f - s));
        }
        return;
    case ACT_GELU: {
        const float alpha = 0.39894228040143268f; /* 1/sqrt(2 pi) */
        for (size_t i = 0; i < n; i++) {
            const float cdf = 0.5f * (1.0f + erff(x[i] * 0.70710678118654752f));
            const float pdf = alpha * expf(-0.5f * x[i] * x[i]);
            dx[i] = dy[i] * (cdf + x[i] * pdf);
        }
        return;
    }
    case ACT_GELU_TANH: {
        const float beta = 0.79788456080286536f, kappa = 0.044715f; /* sqrt(2/pi) */
        for (size_t i = 0; i < n; i++) {
            const float v = x[i], t = tanhf(beta * (v + kappa * v * v * v));
            const float left = 0.5f * v, right = 1.0f + t;
            const float inner = beta * (1.0f + 3.0f * kappa * v * v);
            dx[i] = dy[i] * (0.5f * right + left * (1.0f - t * t) * inner);
        }
        return;
    }
    case ACT_HARDSWISH:
        for (size_t i = 0; i < n; i++)
            dx[i] = x[i] < -3.0f ? 0.0f : x[i] >= 3.0f ? dy[i] : dy[i] * (x[i] / 3.0f + 0.5f);
        return;
    }
}

void act_softmax_backward(const float *y, const float *dy, size_t outer, size_t n, size_t inner,
                          bool take_log, float *dx)
{
    for (size_t o = 0; o < outer; o++) {
        for (size_t i = 0; i < inner; i++) {
            const size_t base = o * n * inner + i;
            double sum = 0.0;
            if (take_log) {
                /* dx_j = dy_j - exp(y_j) * sum dy */
                for (size_t j = 0; j < n; j++)
                    sum += dy[base + j * inner];
                for (size_t j = 0; j < n; j++)
                    dx[base + j * inner] = dy[base + j * inner] - expf(y[base + j * inner]) * (float)sum;
            } else {
                /* dx_j = y_j * (dy_j - sum dy*y) */
                for (size_t j = 0; j < n; j++)
                    sum += (double)dy[base + j * inner] * y[base + j * inner];
                for (size_t j = 0; j < n; j++)
                    dx[base + j * inner] = y[base + j * inner] * (dy[base + j * inner] - (float)sum);
            }
        }
    }
}
