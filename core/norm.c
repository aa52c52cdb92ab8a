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

/* ---- training ----
 * As ATen's batch_norm_cpu (update_stats, transform_input, backward): the
 * per-channel sums in double, the per-element arithmetic in float. */

void norm_batch_train_forward(const float *x, size_t batch, size_t channels, size_t plane,
                              const float *weight, const float *bias, float eps, float momentum,
                              float *running_mean, float *running_var, float *y,
                              float *save_mean, float *save_invstd)
{
    const size_t count = batch * plane;
    for (size_t c = 0; c < channels; c++) {
        double sum = 0.0, sq = 0.0;
        for (size_t b = 0; b < batch; b++) {
            const float *in = x + (b * channels + c) * plane;
            for (size_t i = 0; i < plane; i++)
                sum += in[i];
        }
        const double mean = sum / (double)count;
        for (size_t b = 0; b < batch; b++) {
            const float *in = x + (b * channels + c) * plane;
            for (size_t i = 0; i < plane; i++)
                sq += ((double)in[i] - mean) * ((double)in[i] - mean);
        }
        const double invstd = 1.0 / sqrt(sq / (double)count + (double)eps);
        save_mean[c] = (float)mean;
        save_invstd[c] = (float)invstd;
        if (running_mean)
            running_mean[c] = (float)(momentum * mean + (1.0 - momentum) * running_mean[c]);
        /* one value per channel has no unbiased variance (PyTorch refuses to
           train on it); the running variance then stays as it was */
        if (running_var && count > 1)
            running_var[c] = (float)(momentum * sq / (double)(count - 1) + (1.0 - momentum) * running_var[c]);
        const double alpha = invstd * (weight ? weight[c] : 1.0);
        const float a = (float)alpha, beta = (float)((bias ? bias[c] : 0.0) - mean * alpha);
        for (size_t b = 0; b < batch; b++) {
            const float *in = x + (b * channels + c) * plane;
            float *out = y + (b * channels + c) * plane;
            for (size_t i = 0; i < plane; i++)
                out[i] = in[i] * a + beta;
        }
    }
}

void norm_batch_backward(const float *x, const float *dy, size_t batch, size_t channels,
                         size_t plane, const float *weight, const float *save_mean,
                         const float *save_invstd, bool training, float *dx, float *dweight,
                         float *dbias)
{
    const size_t count = batch * plane;
    for (size_t c = 0; c < channels; c++) {
        const float mean = save_mean[c], invstd = save_invstd[c];
        double sum = 0.0, dot = 0.0;
        for (size_t b = 0; b < batch; b++) {
            const float *in = x + (b * channels + c) * plane, *g = dy + (b * channels + c) * plane;
            for (size_t i = 0; i < plane; i++) {
                sum += g[i];
                dot += ((double)in[i] - mean) * g[i];
            }
        }
        const float w = weight ? weight[c] : 1.0f;
        if (training) {
            /* dx = (dy - mean(dy) - (x - mean) * k) * invstd * w,
               k = mean(dy * (x - mean)) * invstd^2 */
            const float k = (float)(dot * invstd * invstd / (double)count);
            const float dmean = (float)(sum / (double)count), scale = invstd * w;
            for (size_t b = 0; b < batch; b++) {
                const float *in = x + (b * channels + c) * plane, *g = dy + (b * channels + c) * plane;
                float *out = dx + (b * channels + c) * plane;
                for (size_t i = 0; i < plane; i++)
                    out[i] = (g[i] - dmean - (in[i] - mean) * k) * scale;
            }
        } else {
            const float scale = invstd * w;
            for (size_t b = 0; b < batch; b++) {
                const float *g = dy + (b * channels + c) * plane;
                float *out = dx + (b * channels + c) * plane;
                for (size_t i = 0; i < plane; i++)
                    out[i] = g[i] * scale;
            }
        }
        if (dweight)
            dweight[c] += (float)(dot * invstd);
        if (dbias)
            dbias[c] += (float)sum;
    }
}
