/* linear.c: y = W x + b for one sample (see linear.h). */
#include "linear.h"

enum { LINEAR_LANES = 8 };

void linear_forward(const float *x, size_t in, const float *w, const float *bias, size_t out, float *y)
{
    for (size_t o = 0; o < out; o++) {
        const float *row = w + o * in;
        float lane[LINEAR_LANES] = {0};
        size_t i = 0;
        for (; i + LINEAR_LANES <= in; i += LINEAR_LANES)
            for (size_t k = 0; k < LINEAR_LANES; k++)
                lane[k] += row[i + k] * x[i + k];
        for (; i < in; i++)
            lane[i % LINEAR_LANES] += row[i] * x[i];
        float sum = ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
        y[o] = sum + (bias ? bias[o] : 0.0f);
    }
}
