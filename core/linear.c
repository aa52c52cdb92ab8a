/* linear.c: y = W x + b for one sample or a batch, and the backward pass
 * (see linear.h). */
#include "linear.h"

/* The row updates below vectorise only under -O3's cost model (GCC's -O2
   leaves loops with a remainder scalar); the sums keep their order, so the
   numbers are those of -O2. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

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

void linear_forward_batch(const float *x, size_t batch, size_t in, const float *w,
                          const float *bias, size_t out, float *y)
{
    for (size_t b = 0; b < batch; b++)
        linear_forward(x + b * in, in, w, bias, out, y + b * out);
}

/* The three products as contiguous row updates (row += scalar * row), which
 * the compiler vectorises; sums run over the batch in row order. */
void linear_backward(const float *x, const float *w, const float *dy, size_t batch, size_t in,
                     size_t out, float *dx, float *dw, float *db)
{
    if (dx)
        for (size_t b = 0; b < batch; b++) {
            float *restrict row = dx + b * in;
            for (size_t i = 0; i < in; i++)
                row[i] = 0.0f;
            for (size_t o = 0; o < out; o++) {
                const float g = dy[b * out + o];
                const float *restrict wrow = w + o * in;
                for (size_t i = 0; i < in; i++)
                    row[i] += g * wrow[i];
            }
        }
    if (dw)
        for (size_t o = 0; o < out; o++) {
            float *restrict row = dw + o * in;
            for (size_t b = 0; b < batch; b++) {
                const float g = dy[b * out + o];
                const float *restrict xrow = x + b * in;
                for (size_t i = 0; i < in; i++)
                    row[i] += g * xrow[i];
            }
        }
    if (db)
        for (size_t b = 0; b < batch; b++)
            for (size_t o = 0; o < out; o++)
                db[o] += dy[b * out + o];
}
