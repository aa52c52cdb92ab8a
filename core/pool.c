/* pool.c: max and average pooling (see pool.h), PyTorch's max_pool2d and
 * avg_pool2d for one image.
 *
 *   window of out[c][y][x]: rows y*s - pad + ky*d (ky < k), same for columns
 *   max: the largest input cell in the window (padding counts as -inf, a NaN
 *        wins as in PyTorch)
 *   avg: sum of the window's input cells / divisor, where the window
 *        [y*s - pad, y*s - pad + k) is first clipped to input+padding; its
 *        size then is the divisor under count_include_pad, otherwise the
 *        number of its cells inside the input.
 *
 * Speed: each output row is reduced in two passes that vectorise. First
 * the window's input rows are reduced column by column into a row `tmp`
 * (tmp[j] holds input column j - pad_w; padding columns are -inf for max,
 * 0 for avg), contiguous loads; then each output takes its kernel columns
 * from tmp, out[x] = reduce over kx of tmp[x*s + kx*d], with strides 1, 2
 * and 3 as constants so the compiler vectorises them too. The loops are
 * compiled once per instruction set (isa.h). Max is exact whatever the
 * order; an average sums its cells column by column, so it may differ from
 * a row-major sum in the last bit.
 *
 * Backward (at the end of the file): the gradient of each output goes back
 * to the cell its max chose, or divided by its divisor to every cell of its
 * average's window, added in output order as PyTorch's CPU kernels add it. */
#include "pool.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif
#define POOL_INLINE static inline __attribute__((always_inline))

/* m kept unless v is larger or NaN (once NaN, m stays NaN). */
#define POOL_MAX_OF(m, v) (((v) > (m) || (v) != (v)) ? (v) : (m))

/* out[x] = reduce over kx < k of tmp[x*s + kx*d], for x < n. */
POOL_INLINE void pool_columns(float *restrict out, const float *restrict tmp, size_t n, size_t s, size_t k,
                              size_t d, bool max)
{
    for (size_t x = 0; x < n; x++)
        out[x] = max ? -INFINITY : 0.0f;
    for (size_t kx = 0; kx < k; kx++) {
        const float *restrict t = tmp + kx * d;
#define POOL_PASS(S)                                                                \
    for (size_t x = 0; x < n; x++)                                                 \
        out[x] = max ? POOL_MAX_OF(out[x], t[x * (S)]) : out[x] + t[x * (S)];
        switch (s) {
        case 1:
            POOL_PASS(1)
            break;
        case 2:
            POOL_PASS(2)
            break;
        case 3:
            POOL_PASS(3)
            break;
        default:
            POOL_PASS(s)
            break;
        }
#undef POOL_PASS
    }
}

/* One channel: in (h x w) into out (oh x ow); tmp holds tw floats. */
POOL_INLINE void pool_plane(const float *restrict in, long h, long w, const PoolParams *p, float *restrict out,
                            size_t oh, size_t ow, float *restrict tmp, size_t tw)
{
    const bool max = p->mode == POOL_MAX;
    const long pw = p->pad_w;
    /* tmp[j] is input column j - pw: columns [lo, hi) of tmp are the input. */
    const size_t lo = (size_t)pw, hi = (size_t)(pw + w) < tw ? (size_t)(pw + w) : tw;
    for (size_t y = 0; y < oh; y++) {
        const long y0 = (long)y * p->stride_h - p->pad_h;
        float *restrict orow = out + y * ow;
        for (size_t j = 0; j < tw; j++)
            tmp[j] = max ? -INFINITY : 0.0f;
        if (max) {
            for (long ky = 0; ky < p->kernel_h; ky++) {
                const long iy = y0 + ky * p->dilation_h;
                const float *restrict row = in + iy * w - pw;
                if (iy < 0 || iy >= h)
                    continue;
                for (size_t j = lo; j < hi; j++)
                    tmp[j] = POOL_MAX_OF(tmp[j], row[j]);
            }
            pool_columns(orow, tmp, ow, (size_t)p->stride_w, (size_t)p->kernel_w, (size_t)p->dilation_w, true);
        } else {
            const long y1 = y0 + p->kernel_h < h + p->pad_h ? y0 + p->kernel_h : h + p->pad_h;
            const long iy0 = y0 > 0 ? y0 : 0, iy1 = y1 < h ? y1 : h;
            for (long iy = iy0; iy < iy1; iy++) {
                const float *restrict row = in + iy * w - pw;
                for (size_t j = lo; j < hi; j++)
                    tmp[j] += row[j];
            }
            pool_columns(orow, tmp, ow, (size_t)p->stride_w, (size_t)p->kernel_w, 1, false);
            for (size_t x = 0; x < ow; x++) {
                const long x0 = (long)x * p->stride_w - pw;
                const long x1 = x0 + p->kernel_w < w + pw ? x0 + p->kernel_w : w + pw;
                const long ix0 = x0 > 0 ? x0 : 0, ix1 = x1 < w ? x1 : w;
                const long divisor = p->count_include_pad ? (y1 - y0) * (x1 - x0) : (iy1 - iy0) * (ix1 - ix0);
                orow[x] /= (float)divisor;
            }
        }
    }
}

/* Channels [c0, c1), with one copy of the loops per instruction set. */
#define POOL_CHANNELS(suffix, target)                                                                       \
    target static void pool_channels_##suffix(const Tensor *input, const PoolParams *p, Tensor *out,        \
                                               float *tmp, size_t tw, size_t c0, size_t c1)                 \
    {                                                                                                       \
        for (size_t c = c0; c < c1; c++)                                                                    \
            pool_plane(tensor_at(input, 0, c, 0, 0), (long)input->h, (long)input->w, p,                     \
                       tensor_at(out, 0, c, 0, 0), out->h, out->w, tmp, tw);                                \
    }
POOL_CHANNELS(portable, )
#if defined(__x86_64__) && defined(__GNUC__)
#define POOL_X86
POOL_CHANNELS(avx2, __attribute__((target("avx2,fma"))))
POOL_CHANNELS(avx512, __attribute__((target("avx512f,avx2,fma"))))
#endif

/* Input cells a task reads at least: about 0.1 ms of pooling, below which
 * waking a worker costs more than it saves. */
#define POOL_TASK_CELLS (256 * 1024)

/* One run split by channels: task k pools channels [k*per, (k+1)*per),
 * each worker with its own row buffer. */
typedef struct PoolJob {
    const Tensor *input;
    const PoolParams *p;
    Tensor *out;
    float *tmp;        /* tw floats per worker */
    size_t tw, per;
    CpuIsa isa;
} PoolJob;

static void pool_task(void *ctx, size_t task, size_t worker)
{
    const PoolJob *j = ctx;
    const size_t c0 = task * j->per, c1 = c0 + j->per < j->input->c ? c0 + j->per : j->input->c;
    float *tmp = j->tmp + worker * j->tw;
    switch (j->isa) {
#ifdef POOL_X86
    case ISA_AVX512:
        pool_channels_avx512(j->input, j->p, j->out, tmp, j->tw, c0, c1);
        break;
    case ISA_AVX2:
        pool_channels_avx2(j->input, j->p, j->out, tmp, j->tw, c0, c1);
        break;
#endif
    default:
        pool_channels_portable(j->input, j->p, j->out, tmp, j->tw, c0, c1);
        break;
    }
}

Status pool_forward(const Tensor *input, const PoolParams *p, Tensor *out, Error *err)
{
    return pool_forward_threads(input, p, NULL, out, err);
}

/* Pools input into out, already shaped 1 x C x OH x OW. */
static Status pool_run(const Tensor *input, const PoolParams *p, Threads *threads, Tensor *out, Error *err)
{
    size_t tw, tasks, workers;
    PoolJob job;
    /* tmp spans every column a window reads (ceil_mode windows may reach
     * past the right padding), and the input with its left padding. */
    tw = (out->w - 1) * (size_t)p->stride_w + (size_t)(p->kernel_w - 1) * (size_t)p->dilation_w + 1;
    if (tw < (size_t)p->pad_w + input->w)
        tw = (size_t)p->pad_w + input->w;
    /* Channels are independent: split them when there are enough cells. */
    tasks = tensor_count(input) / POOL_TASK_CELLS;
    workers = threads_count(threads);
    if (tasks > 4 * workers)
        tasks = 4 * workers;
    if (tasks > input->c)
        tasks = input->c;
    if (tasks < 2 || workers < 2)
        tasks = 1;
    job = (PoolJob){input, p, out, NULL, tw, (input->c + tasks - 1) / tasks, isa_active()};
    tasks = (input->c + job.per - 1) / job.per;
    job.tmp = malloc((tasks > 1 ? workers : 1) * tw * sizeof *job.tmp);
    if (!job.tmp)
        return error_set(err, CS_ERR_NOMEM, "cannot allocate a %zu-wide row", tw);
    threads_run(tasks > 1 ? threads : NULL, tasks, pool_task, &job);
    free(job.tmp);
    return CS_OK;
}

/* The output size, after checking input is one image. */
static Status pool_output_size(const Tensor *input, const PoolParams *p, size_t *oh, size_t *ow, Error *err)
{
    if (input->n != 1)
        return error_set(err, CS_ERR_SHAPE, "the input holds a batch of %zu; convstep takes one image (batch 1)",
                         input->n);
    return geom_pool_output(p, input->h, input->w, oh, ow, err);
}

Status pool_forward_threads(const Tensor *input, const PoolParams *p, Threads *threads, Tensor *out, Error *err)
{
    size_t oh, ow;
    Status st;
    memset(out, 0, sizeof *out);
    if ((st = pool_output_size(input, p, &oh, &ow, err)) != CS_OK ||
        (st = tensor_init(out, 1, input->c, oh, ow, input->rank > 3 ? input->rank : 3, err)) != CS_OK)
        return st;
    if ((st = pool_run(input, p, threads, out, err)) != CS_OK)
        tensor_free(out);
    return st;
}

Status pool_forward_into(const Tensor *input, const PoolParams *p, Threads *threads, Tensor *out, Error *err)
{
    size_t oh, ow;
    Status st = pool_output_size(input, p, &oh, &ow, err);
    if (st != CS_OK)
        return st;
    if (out->n != 1 || out->c != input->c || out->h != oh || out->w != ow)
        return error_set(err, CS_ERR_SHAPE, "the output room is %zux%zux%zu, but pooling gives %zux%zux%zu", out->c,
                         out->h, out->w, input->c, oh, ow);
    return pool_run(input, p, threads, out, err);
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

/* ---- backward ----
 * PyTorch's CPU kernels (cpu_max_pool_backward, cpu_avg_pool_backward,
 * their adaptive forms) visit the outputs row by row and add each output's
 * gradient into grad_input; the same order here gives the same sums. */

/* Checks that grad_output is shaped (1, input->c, oh, ow) and prepares
 * *grad_input: allocated (zeroed) shaped like input when empty, else it
 * must already be, and is zeroed when `zero`. */
static Status pool_grad_prepare(const Tensor *input, size_t oh, size_t ow, const Tensor *grad_output,
                                Tensor *grad_input, bool zero, Error *err)
{
    char got[64], want[64], have[64];
    if (input->n != 1)
        return error_set(err, CS_ERR_SHAPE, "the input holds a batch of %zu; pass a batch as channels (batch 1)",
                         input->n);
    if (grad_output->n != 1 || grad_output->c != input->c || grad_output->h != oh || grad_output->w != ow) {
        tensor_shape_text(grad_output, got, sizeof got);
        snprintf(want, sizeof want, "%zux%zux%zu", input->c, oh, ow);
        return error_set(err, CS_ERR_SHAPE, "the output gradient is %s; the pooled output is %s", got, want);
    }
    if (!grad_input->data)
        return tensor_init(grad_input, 1, input->c, input->h, input->w, input->rank, err);
    if (grad_input->n != 1 || grad_input->c != input->c || grad_input->h != input->h || grad_input->w != input->w) {
        tensor_shape_text(grad_input, have, sizeof have);
        tensor_shape_text(input, want, sizeof want);
        return error_set(err, CS_ERR_SHAPE, "the input gradient buffer is %s; the input is %s", have, want);
    }
    if (zero)
        memset(grad_input->data, 0, tensor_count(grad_input) * sizeof *grad_input->data);
    return CS_OK;
}

/* The start of a dilated window axis clipped to the input: the first tap
 * at or after 0, as PyTorch's `while (ih0 < 0) ih0 += dilation`. */
static long pool_first_tap(long start, long dilation)
{
    return start < 0 ? start + ((-start + dilation - 1) / dilation) * dilation : start;
}

/* Max, one plane: each output's gradient to its window's first maximum. */
static void pool_max_backward_plane(const float *in, long h, long w, const PoolParams *p, const float *go,
                                    long oh, long ow, float *gi)
{
    const long dh = p->dilation_h, dw = p->dilation_w;
    for (long y = 0; y < oh; y++) {
        const long y0 = y * p->stride_h - p->pad_h;
        const long y1 = y0 + (p->kernel_h - 1) * dh + 1 < h ? y0 + (p->kernel_h - 1) * dh + 1 : h;
        const long iy0 = pool_first_tap(y0, dh);
        for (long x = 0; x < ow; x++) {
            const long x0 = x * p->stride_w - p->pad_w;
            const long x1 = x0 + (p->kernel_w - 1) * dw + 1 < w ? x0 + (p->kernel_w - 1) * dw + 1 : w;
            const long ix0 = pool_first_tap(x0, dw);
            if (iy0 >= y1 || ix0 >= x1)
                continue; /* no input cell in the window */
            long best = iy0 * w + ix0;
            float m = -INFINITY;
            for (long iy = iy0; iy < y1; iy += dh)
                for (long ix = ix0; ix < x1; ix += dw) {
                    const float v = in[iy * w + ix];
                    if (v > m || v != v) {
                        m = v;
                        best = iy * w + ix;
                    }
                }
            gi[best] += go[y * ow + x];
        }
    }
}

/* t ? x : y on the bits, so the compiler emits no branch (SSE has no
 * conditional move for floats, and random data mispredicts half the
 * branches it would take instead). */
static inline float pool_pick(bool t, float x, float y)
{
    uint32_t bx, by, m = 0u - (uint32_t)t;
    memcpy(&bx, &x, sizeof bx);
    memcpy(&by, &y, sizeof by);
    bx = (bx & m) | (by & ~m);
    memcpy(&x, &bx, sizeof x);
    return x;
}

/* Max 2x2, stride 2, no padding or dilation (the common case, the trainer's
 * default network): the same choices as pool_max_backward_plane, made
 * without branches, and every cell of a window written, so the plane needs
 * no zeroing first except an odd last row or column that no window covers.
 * The window a b / c d is scanned as its top pair, its bottom pair, then
 * the two winners: the bottom one wins when larger or NaN, which is the
 * a, b, c, d scan's rule (first maximum, last NaN). */
static void pool_max2_backward_plane(const float *in, long h, long w, const float *go, long oh, long ow,
                                     float *gi)
{
    for (long y = 0; y < oh; y++) {
        const float *restrict r0 = in + 2 * y * w, *restrict r1 = r0 + w;
        float *restrict g0 = gi + 2 * y * w, *restrict g1 = g0 + w;
        const float *restrict gr = go + y * ow;
        for (long x = 0; x < ow; x++) {
            const float a = r0[2 * x], b = r0[2 * x + 1], c = r1[2 * x], d = r1[2 * x + 1], g = gr[x];
            const bool tb = (b > a) | (b != b), td = (d > c) | (d != d);
            const float top = pool_pick(tb, b, a), bottom = pool_pick(td, d, c);
            const bool low = (bottom > top) | (bottom != bottom);
            const float gt = pool_pick(low, 0.0f, g), gb = pool_pick(low, g, 0.0f);
            g0[2 * x] = pool_pick(tb, 0.0f, gt);
            g0[2 * x + 1] = pool_pick(tb, gt, 0.0f);
            g1[2 * x] = pool_pick(td, 0.0f, gb);
            g1[2 * x + 1] = pool_pick(td, gb, 0.0f);
        }
        if (2 * ow < w)
            g0[w - 1] = g1[w - 1] = 0.0f;
    }
    for (long y = 2 * oh; y < h; y++)
        memset(gi + y * w, 0, (size_t)w * sizeof *gi);
}

/* Avg, one plane: each output's gradient / divisor to every cell of its
 * window (clipped as the forward clips it). */
static void pool_avg_backward_plane(long h, long w, const PoolParams *p, const float *go, long oh, long ow,
                                    float *gi)
{
    for (long y = 0; y < oh; y++) {
        const long y0 = y * p->stride_h - p->pad_h;
        const long y1 = y0 + p->kernel_h < h + p->pad_h ? y0 + p->kernel_h : h + p->pad_h;
        const long iy0 = y0 > 0 ? y0 : 0, iy1 = y1 < h ? y1 : h;
        for (long x = 0; x < ow; x++) {
            const long x0 = x * p->stride_w - p->pad_w;
            const long x1 = x0 + p->kernel_w < w + p->pad_w ? x0 + p->kernel_w : w + p->pad_w;
            const long ix0 = x0 > 0 ? x0 : 0, ix1 = x1 < w ? x1 : w;
            const long divisor = p->count_include_pad ? (y1 - y0) * (x1 - x0) : (iy1 - iy0) * (ix1 - ix0);
            if (divisor <= 0)
                continue;
            const float g = go[y * ow + x] / (float)divisor;
            for (long iy = iy0; iy < iy1; iy++)
                for (long ix = ix0; ix < ix1; ix++)
                    gi[iy * w + ix] += g;
        }
    }
}

Status pool_backward(const Tensor *input, const PoolParams *p, const Tensor *grad_output,
                     Tensor *grad_input, Error *err)
{
    size_t oh, ow;
    Status st;
    if ((st = geom_pool_output(p, input->h, input->w, &oh, &ow, err)) != CS_OK)
        return st;
    const long h = (long)input->h, w = (long)input->w;
    const bool max2 = p->mode == POOL_MAX && p->kernel_h == 2 && p->kernel_w == 2 && p->stride_h == 2 &&
                      p->stride_w == 2 && p->pad_h == 0 && p->pad_w == 0 && p->dilation_h == 1 &&
                      p->dilation_w == 1 && 2 * oh <= input->h && 2 * ow <= input->w;
    if ((st = pool_grad_prepare(input, oh, ow, grad_output, grad_input, !max2, err)) != CS_OK)
        return st;
    for (size_t c = 0; c < input->c; c++) {
        const float *in = tensor_at(input, 0, c, 0, 0), *go = tensor_at(grad_output, 0, c, 0, 0);
        float *gi = tensor_at(grad_input, 0, c, 0, 0);
        if (max2)
            pool_max2_backward_plane(in, h, w, go, (long)oh, (long)ow, gi);
        else if (p->mode == POOL_MAX)
            pool_max_backward_plane(in, h, w, p, go, (long)oh, (long)ow, gi);
        else
            pool_avg_backward_plane(h, w, p, go, (long)oh, (long)ow, gi);
    }
    return CS_OK;
}

Status pool_adaptive_backward(const Tensor *input, PoolMode mode, const Tensor *grad_output,
                              Tensor *grad_input, Error *err)
{
    const size_t oh = grad_output->h, ow = grad_output->w, w = input->w;
    Status st;
    if ((st = pool_grad_prepare(input, oh, ow, grad_output, grad_input, true, err)) != CS_OK)
        return st;
    for (size_t c = 0; c < input->c; c++) {
        const float *plane = tensor_at(input, 0, c, 0, 0), *go = tensor_at(grad_output, 0, c, 0, 0);
        float *gi = tensor_at(grad_input, 0, c, 0, 0);
        for (size_t y = 0; y < oh; y++) {
            size_t y0, y1;
            pool_adaptive_window(y, input->h, oh, &y0, &y1);
            for (size_t x = 0; x < ow; x++) {
                size_t x0, x1;
                pool_adaptive_window(x, w, ow, &x0, &x1);
                if (mode == POOL_MAX) {
                    size_t best = y0 * w + x0;
                    float m = -INFINITY;
                    for (size_t iy = y0; iy < y1; iy++)
                        for (size_t ix = x0; ix < x1; ix++) {
                            const float v = plane[iy * w + ix];
                            if (v > m || v != v) {
                                m = v;
                                best = iy * w + ix;
                            }
                        }
                    gi[best] += go[y * ow + x];
                } else {
                    /* divided by the window's height, then its width, as ATen */
                    const float g = go[y * ow + x] / (float)(y1 - y0) / (float)(x1 - x0);
                    for (size_t iy = y0; iy < y1; iy++)
                        for (size_t ix = x0; ix < x1; ix++)
                            gi[iy * w + ix] += g;
                }
            }
        }
    }
    return CS_OK;
}
