/* support_reference.c: the slow references of support_reference.h.
 *
 *   conv:       out[f][y][x] = bias[f] + sum_{c in group(f), ky, kx}
 *                   w[f][c'][ky][kx] * in[c][src(y*s - top + ky*d)][src(x*s - left + kx*d)]
 *   transposed: out[f][iy*s - top + ky*d][ix*s - left + kx*d] += in[c][iy][ix] * w[c][f'][ky][kx]
 *   max pool:   max over in-input window cells (padding is -inf)
 *   avg pool:   sum / divisor, PyTorch's: the window clipped to input+padding
 *               counts (count_include_pad), or only its cells in the input. */
#include "support_reference.h"

#include <math.h>
#include <stdlib.h>

Status ref_conv(const Tensor *input, const Tensor *weights, const Tensor *bias,
                const ConvParams *p, Tensor *out, Error *err)
{
    size_t f_total, oh, ow;
    Pad4 pad;
    Status st;
    if ((st = conv_check(input, weights, bias, p, &f_total, err)) != CS_OK ||
        (st = geom_conv_output(p, input->h, input->w, weights->h, weights->w, &oh, &ow, err)) != CS_OK ||
        (st = geom_conv_padding(p, input->h, input->w, weights->h, weights->w, &pad, err)) != CS_OK ||
        (st = tensor_init(out, 1, f_total, oh, ow, input->rank > 3 ? input->rank : 3, err)) != CS_OK)
        return st;
    size_t cpg = weights->c, fpg = f_total / (size_t)p->groups;
    for (size_t f = 0; f < f_total; f++) {
        size_t c0 = f / fpg * cpg;
        for (size_t y = 0; y < oh; y++) {
            for (size_t x = 0; x < ow; x++) {
                double sum = bias ? bias->data[f] : 0.0;
                for (size_t ci = 0; ci < cpg; ci++) {
                    for (size_t ky = 0; ky < weights->h; ky++) {
                        int py = (int)(y * (size_t)p->stride_h + ky * (size_t)p->dilation_h) - pad.top;
                        int sy = geom_pad_source(p->pad_mode, py, (int)input->h);
                        for (size_t kx = 0; kx < weights->w; kx++) {
                            int px = (int)(x * (size_t)p->stride_w + kx * (size_t)p->dilation_w) - pad.left;
                            int sx = geom_pad_source(p->pad_mode, px, (int)input->w);
                            if (sy < 0 || sx < 0)
                                continue;
                            sum += (double)*tensor_at(weights, f, ci, ky, kx) *
                                   (double)*tensor_at(input, 0, c0 + ci, (size_t)sy, (size_t)sx);
                        }
                    }
                }
                *tensor_at(out, 0, f, y, x) = (float)sum;
            }
        }
    }
    return CS_OK;
}

Status ref_conv_transpose(const Tensor *input, const Tensor *weights, const Tensor *bias,
                          const ConvParams *p, Tensor *out, Error *err)
{
    size_t f_total, oh, ow;
    Pad4 pad;
    Status st;
    double *acc;
    if ((st = conv_check(input, weights, bias, p, &f_total, err)) != CS_OK ||
        (st = geom_conv_output(p, input->h, input->w, weights->h, weights->w, &oh, &ow, err)) != CS_OK ||
        (st = geom_conv_padding(p, input->h, input->w, weights->h, weights->w, &pad, err)) != CS_OK ||
        (st = tensor_init(out, 1, f_total, oh, ow, input->rank > 3 ? input->rank : 3, err)) != CS_OK)
        return st;
    acc = calloc(f_total * oh * ow, sizeof *acc);
    if (!acc) {
        tensor_free(out);
        return error_set(err, CS_ERR_NOMEM, "reference: out of memory");
    }
    size_t cpg = input->c / (size_t)p->groups, fpg = weights->c;
    for (size_t c = 0; c < input->c; c++) {
        for (size_t iy = 0; iy < input->h; iy++) {
            for (size_t ix = 0; ix < input->w; ix++) {
                double v = *tensor_at(input, 0, c, iy, ix);
                for (size_t fo = 0; fo < fpg; fo++) {
                    size_t f = c / cpg * fpg + fo;
                    for (size_t ky = 0; ky < weights->h; ky++) {
                        long oy = (long)iy * p->stride_h - pad.top + (long)ky * p->dilation_h;
                        for (size_t kx = 0; kx < weights->w; kx++) {
                            long ox = (long)ix * p->stride_w - pad.left + (long)kx * p->dilation_w;
                            if (oy < 0 || oy >= (long)oh || ox < 0 || ox >= (long)ow)
                                continue;
                            acc[(f * oh + (size_t)oy) * ow + (size_t)ox] +=
                                v * (double)*tensor_at(weights, c, fo, ky, kx);
                        }
                    }
                }
            }
        }
    }
    for (size_t f = 0; f < f_total; f++)
        for (size_t i = 0; i < oh * ow; i++)
            out->data[f * oh * ow + i] = (float)(acc[f * oh * ow + i] + (bias ? bias->data[f] : 0.0));
    free(acc);
    return CS_OK;
}

Status ref_pool(const Tensor *input, const PoolParams *p, Tensor *out, Error *err)
{
    size_t oh, ow;
    Status st;
    const long h = (long)input->h, w = (long)input->w;
    if (input->n != 1)
        return error_set(err, CS_ERR_SHAPE, "reference: batch must be 1");
    if ((st = geom_pool_output(p, input->h, input->w, &oh, &ow, err)) != CS_OK ||
        (st = tensor_init(out, 1, input->c, oh, ow, input->rank > 3 ? input->rank : 3, err)) != CS_OK)
        return st;
    for (size_t c = 0; c < input->c; c++) {
        for (size_t y = 0; y < oh; y++) {
            for (size_t x = 0; x < ow; x++) {
                long y0 = (long)y * p->stride_h - p->pad_h, x0 = (long)x * p->stride_w - p->pad_w;
                double result;
                if (p->mode == POOL_MAX) {
                    result = -INFINITY;
                    for (long ky = 0; ky < p->kernel_h; ky++) {
                        for (long kx = 0; kx < p->kernel_w; kx++) {
                            long iy = y0 + ky * p->dilation_h, ix = x0 + kx * p->dilation_w;
                            double v;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                continue;
                            v = *tensor_at(input, 0, c, (size_t)iy, (size_t)ix);
                            if (v > result || isnan(v))
                                result = v;
                        }
                    }
                } else {
                    /* PyTorch: the window is first clipped to input+padding
                     * (this is the count_include_pad divisor), then to the input. */
                    long y1 = y0 + p->kernel_h < h + p->pad_h ? y0 + p->kernel_h : h + p->pad_h;
                    long x1 = x0 + p->kernel_w < w + p->pad_w ? x0 + p->kernel_w : w + p->pad_w;
                    long padded_cells = (y1 - y0) * (x1 - x0), inside = 0;
                    double sum = 0.0;
                    for (long iy = y0; iy < y1; iy++) {
                        for (long ix = x0; ix < x1; ix++) {
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                continue;
                            sum += *tensor_at(input, 0, c, (size_t)iy, (size_t)ix);
                            inside++;
                        }
                    }
                    result = sum / (double)(p->count_include_pad ? padded_cells : inside);
                }
                *tensor_at(out, 0, c, y, x) = (float)result;
            }
        }
    }
    return CS_OK;
}
