/* pool.c: max and average pooling (see pool.h), PyTorch's max_pool2d and
 * avg_pool2d for one image.
 *
 *   window of out[c][y][x]: rows y*s - pad + ky*d (ky < k), same for columns
 *   max: the largest input cell in the window (padding counts as -inf, a NaN
 *        wins as in PyTorch)
 *   avg: sum of the window's input cells / divisor, where the window
 *        [y*s - pad, y*s - pad + k) is first clipped to input+padding; its
 *        size then is the divisor under count_include_pad, otherwise the
 *        number of its cells inside the input. */
#include "pool.h"

#include <math.h>
#include <string.h>

/* First window index whose cell start + i*d lies at or after 0 (max pooling
 * skips padding instead of testing each cell). */
static long pool_first_inside(long start, long d)
{
    return start >= 0 ? 0 : (-start + d - 1) / d;
}

static void pool_max_plane(const float *in, long h, long w, const PoolParams *p, float *out,
                           size_t oh, size_t ow)
{
    for (size_t y = 0; y < oh; y++) {
        long y0 = (long)y * p->stride_h - p->pad_h;
        long ky_lo = pool_first_inside(y0, p->dilation_h);
        for (size_t x = 0; x < ow; x++) {
            long x0 = (long)x * p->stride_w - p->pad_w;
            long kx_lo = pool_first_inside(x0, p->dilation_w);
            float m = -INFINITY;
            for (long ky = ky_lo; ky < p->kernel_h; ky++) {
                long iy = y0 + ky * p->dilation_h;
                const float *row;
                if (iy >= h)
                    break;
                row = in + iy * w;
                for (long kx = kx_lo; kx < p->kernel_w; kx++) {
                    long ix = x0 + kx * p->dilation_w;
                    if (ix >= w)
                        break;
                    if (row[ix] > m || isnan(row[ix]))
                        m = row[ix];
                }
            }
            out[y * ow + x] = m;
        }
    }
}

static void pool_avg_plane(const float *in, long h, long w, const PoolParams *p, float *out,
                           size_t oh, size_t ow)
{
    for (size_t y = 0; y < oh; y++) {
        long y0 = (long)y * p->stride_h - p->pad_h;
        long y1 = y0 + p->kernel_h < h + p->pad_h ? y0 + p->kernel_h : h + p->pad_h;
        long padded_rows = y1 - y0;
        long iy0 = y0 > 0 ? y0 : 0, iy1 = y1 < h ? y1 : h;
        for (size_t x = 0; x < ow; x++) {
            long x0 = (long)x * p->stride_w - p->pad_w;
            long x1 = x0 + p->kernel_w < w + p->pad_w ? x0 + p->kernel_w : w + p->pad_w;
            long ix0 = x0 > 0 ? x0 : 0, ix1 = x1 < w ? x1 : w;
            long divisor = p->count_include_pad ? padded_rows * (x1 - x0) : (iy1 - iy0) * (ix1 - ix0);
            float sum = 0.0f;
            for (long iy = iy0; iy < iy1; iy++)
                for (long ix = ix0; ix < ix1; ix++)
                    sum += in[iy * w + ix];
            out[y * ow + x] = sum / (float)divisor;
        }
    }
}

Status pool_forward(const Tensor *input, const PoolParams *p, Tensor *out, Error *err)
{
    size_t oh, ow;
    Status st;
    memset(out, 0, sizeof *out);
    if (input->n != 1)
        return error_set(err, CS_ERR_SHAPE, "the input holds a batch of %zu; convstep takes one image (batch 1)",
                         input->n);
    if ((st = geom_pool_output(p, input->h, input->w, &oh, &ow, err)) != CS_OK ||
        (st = tensor_init(out, 1, input->c, oh, ow, input->rank > 3 ? input->rank : 3, err)) != CS_OK)
        return st;
    for (size_t c = 0; c < input->c; c++) {
        const float *plane = tensor_at(input, 0, c, 0, 0);
        float *dst = tensor_at(out, 0, c, 0, 0);
        if (p->mode == POOL_MAX)
            pool_max_plane(plane, (long)input->h, (long)input->w, p, dst, oh, ow);
        else
            pool_avg_plane(plane, (long)input->h, (long)input->w, p, dst, oh, ow);
    }
    return CS_OK;
}

/* ---- adaptive ---- */

void pool_adaptive_window(size_t i, size_t n, size_t m, size_t *start, size_t *end)
{
    /* integer forms of floor(i*n/m) and ceil((i+1)*n/m), as ATen writes them */
    *start = (i / m) * n + ((i % m) * n) / m;
    *end = 1 + ((i + 1) * n - 1) / m;
}

Status pool_adaptive_forward(const Tensor *input, PoolMode mode, size_t oh, size_t ow, Tensor *out,
                             Error *err)
{
    Status st;
    memset(out, 0, sizeof *out);
    if (input->n != 1)
        return error_set(err, CS_ERR_SHAPE, "the input holds a batch of %zu; convstep takes one image (batch 1)",
                         input->n);
    if (oh < 1 || ow < 1)
        return error_set(err, CS_ERR_RANGE, "adaptive pooling output %zux%zu must be at least 1x1", oh, ow);
    if ((st = tensor_init(out, 1, input->c, oh, ow, input->rank > 3 ? input->rank : 3, err)) != CS_OK)
        return st;
    for (size_t c = 0; c < input->c; c++) {
        const float *plane = tensor_at(input, 0, c, 0, 0);
        float *dst = tensor_at(out, 0, c, 0, 0);
        for (size_t y = 0; y < oh; y++) {
            size_t y0, y1;
            pool_adaptive_window(y, input->h, oh, &y0, &y1);
            for (size_t x = 0; x < ow; x++) {
                size_t x0, x1;
                pool_adaptive_window(x, input->w, ow, &x0, &x1);
                float m = -INFINITY, sum = 0.0f;
                for (size_t iy = y0; iy < y1; iy++)
                    for (size_t ix = x0; ix < x1; ix++) {
                        float v = plane[iy * input->w + ix];
                        sum += v;
                        if (v > m || isnan(v))
                            m = v;
                    }
                dst[y * ow + x] = mode == POOL_MAX ? m : sum / (float)((y1 - y0) * (x1 - x0));
            }
        }
    }
    return CS_OK;
}
