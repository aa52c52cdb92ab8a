/* norm.c: BatchNorm2d in eval mode (see norm.h). */
#include "norm.h"

#include <math.h>

void norm_batch_forward(const float *x, size_t channels, size_t plane, const float *mean,
                        const float *var, const float *weight, const float *bias, float eps, float *y)
{
    for (size_t c = 0; c < channels; c++) {
        const float *in = x + c * plane;
        float *out = y + c * plane;
        double m, v;
        if (mean && var) {
            m = mean[c];
            v = var[c];
        } else {
            double sum = 0.0, sq = 0.0;
            for (size_t i = 0; i < plane; i++)
                sum += in[i];
            m = sum / (double)plane;
            for (size_t i = 0; i < plane; i++)
                sq += ((double)in[i] - m) * ((double)in[i] - m);
            v = sq / (double)plane;
        }
        double alpha = (weight ? weight[c] : 1.0) / sqrt(v + (double)eps);
        float a = (float)alpha, b = (float)((bias ? bias[c] : 0.0) - m * alpha);
        for (size_t i = 0; i < plane; i++)
            out[i] = in[i] * a + b;
    }
}
