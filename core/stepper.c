/* stepper.c: walks one convolution, transposed convolution or pooling layer
 * a step at a time and reports the arithmetic of the current step (see
 * stepper.h for the order of steps and the Trace).
 *
 * Convolution (cross-correlation), for output (oy, ox), filter f in group g:
 *   sum_c   = sum over kernel cells (ky, kx), row-major, of
 *             w[f][c - g*C/G][ky][kx] * in_pad[c][oy*s - pad_top + ky*d][ox*s - pad_left + kx*d]
 *   total   = ((0 + sum_c0) + sum_c1) + ... + bias,   out = act(total)
 * where in_pad takes its value from geom_pad_source (zero padding: 0).
 * Transposed convolution, the same sums gathered instead of scattered: tap
 * (ky, kx) reads input cell iy = (oy + pad_top - ky*d) / s (likewise ix)
 * when the division is exact and the cell is inside the input, with weight
 * w[c][f - g*F/G][ky][kx]; any other tap is CELL_SKIP and adds nothing.
 * For a skipped tap iy/ix hold the floor of that quotient and src_y/src_x -1.
 * Pooling (PyTorch's max_pool2d / avg_pool2d), window cell (ky, kx) at
 * (oy*s - pad + ky*d, ox*s - pad + kx*d):
 *   max: the first maximum over the cells inside the input, in window order,
 *        a NaN taking over (PyTorch's rule); padding counts as -inf.
 *   avg: sum of the cells inside the input / divisor, the divisor counting
 *        the cells inside input+padding (count_include_pad) or only those
 *        inside the input; ceil_mode overhang beyond the padding is
 *        CELL_OUTSIDE and never counted.
 *
 * Why the output agrees bit for bit with the trace: every number is a float
 * sum taken in one fixed order (kernel cells row-major within a channel,
 * channels ascending, bias last), each product rounded to float in its own
 * statement and never fused into a multiply-add (see the pragma below:
 * GCC under -std=gnu11 on FMA hardware would fuse otherwise). The trace sums
 * one cell in that order; create-time fills the whole output with the same
 * order one output row at a time (a padded copy of the kernel's input rows;
 * each cell's channel sum formed in kernel order, eight cells at a time,
 * then added to the output row), so it runs at the speed of a plain
 * convolution and needs only O(kh * padded width) scratch. Pooling
 * outputs are filled by the very function that builds the pooling trace.
 * tests/test_stepper.c checks the equality at every position.
 *
 * Memory: the pre-activation output, plus a second tensor only when an
 * activation is set (with none, stepper_output is the pre-activation); the
 * trace's cells (channels * kh*kw) are allocated once here and refilled on
 * every move, so stepping never allocates. */
#include "stepper.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"

/* Belt and braces for the bit-for-bit rule above: never contract a product
 * and a sum into one multiply-add, whatever -std says (only clang's explicit
 * -ffp-contract=fast overrides this). */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

struct Stepper {
    LayerKind kind;
    /* Borrowed data (the Tensor headers are not kept, so a caller may move
     * them); bias is NULL for none, weights for pooling. */
    const float *input, *weights, *bias;
    int in_c, in_rank;
    ConvParams conv;
    PoolParams pool;
    Activation act;
    StepGranularity granularity;
    int in_h, in_w;
    int out_h, out_w, filters;
    int kh, kw, sh, sw, dh, dw;
    Pad4 pad;
    int channels_per_group;     /* channels a filter reads (pooling: 1) */
    int filters_per_group;
    size_t taps;                /* kh * kw */
    size_t positions;           /* out_h * out_w * filters */
    size_t index;
    Tensor pre;                 /* before activation */
    Tensor post;                /* after activation; empty when act is none */
    Trace trace;
    TraceChannel *channels;
    TraceCell *cells;
};

/* ---- small helpers ---- */

static bool mul_fits(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return false;
    *out = a * b;
    return true;
}

/* Floor division for a possibly negative numerator, positive divisor. */
static int floor_div(int a, int b)
{
    int q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static const float *input_plane(const Stepper *s, int c)
{
    return s->input + (size_t)c * (size_t)s->in_h * (size_t)s->in_w;
}

static float bias_of(const Stepper *s, int f)
{
    return s->bias ? s->bias[f] : 0.0f;
}

/* Weights of (filter f, input channel c) as kh*kw floats, in either layout. */
static const float *weights_of(const Stepper *s, int f, int c)
{
    int g = f / s->filters_per_group;
    size_t slice;
    if (s->kind == LAYER_CONV_TRANSPOSED)
        slice = (size_t)c * (size_t)s->filters_per_group + (size_t)(f - g * s->filters_per_group);
    else
        slice = (size_t)f * (size_t)s->channels_per_group + (size_t)(c - g * s->channels_per_group);
    return s->weights + slice * s->taps;
}

/* Terms (single multiplies, or pooling window cells) covered by one step. */
static size_t terms_per_step(const Stepper *s, StepGranularity g)
{
    switch (g) {
    case STEP_TERM:
        return 1;
    case STEP_CHANNEL:
        return s->taps;
    case STEP_POSITION:
        break;
    }
    return s->taps * (size_t)s->channels_per_group;
}

static size_t steps_per_position(const Stepper *s, StepGranularity g)
{
    return terms_per_step(s, STEP_POSITION) / terms_per_step(s, g);
}

/* ---- the arithmetic of one output cell ---- */

/* Where kernel cell (ky, kx) of conv output (oy, ox) reads: fills the
 * cell's coordinates, source and CELL_PAD / CELL_SKIP flags, and returns
 * whether the tap adds a product (a skipped transposed tap does not). */
static bool conv_locate(const Stepper *s, int oy, int ox, int ky, int kx, TraceCell *cell)
{
    if (s->kind == LAYER_CONV_TRANSPOSED) {
        int ny = oy + s->pad.top - ky * s->dh, nx = ox + s->pad.left - kx * s->dw;
        cell->iy = floor_div(ny, s->sh);
        cell->ix = floor_div(nx, s->sw);
        if (cell->iy * s->sh != ny || cell->ix * s->sw != nx || cell->iy < 0 || cell->iy >= s->in_h ||
            cell->ix < 0 || cell->ix >= s->in_w) {
            cell->flags = CELL_SKIP;
            cell->src_y = cell->src_x = -1;
            return false;
        }
        cell->flags = 0;
        cell->src_y = cell->iy;
        cell->src_x = cell->ix;
        return true;
    }
    cell->iy = oy * s->sh - s->pad.top + ky * s->dh;
    cell->ix = ox * s->sw - s->pad.left + kx * s->dw;
    cell->flags = cell->iy < 0 || cell->iy >= s->in_h || cell->ix < 0 || cell->ix >= s->in_w ? CELL_PAD : 0;
    cell->src_y = geom_pad_source(s->conv.pad_mode, cell->iy, s->in_h);
    cell->src_x = geom_pad_source(s->conv.pad_mode, cell->ix, s->in_w);
    if (cell->src_y < 0 || cell->src_x < 0)
        cell->src_y = cell->src_x = -1;
    return true;
}

/* Fills the trace's channels, sums and total for conv output (oy, ox, f),
 * marking the first `done` terms (channel-major, then kernel cell) as added. */
static void conv_fill(Stepper *s, int oy, int ox, int f, size_t done)
{
    Trace *t = &s->trace;
    int c0 = f / s->filters_per_group * s->channels_per_group;
    float total = 0.0f, partial_total = 0.0f;
    size_t term = 0;
    for (int i = 0; i < s->channels_per_group; i++) {
        TraceChannel *ch = &t->channels[i];
        int c = c0 + i;
        const float *plane = input_plane(s, c);
        const float *wk = weights_of(s, f, c);
        float sum = 0.0f, partial = 0.0f;
        for (size_t k = 0; k < s->taps; k++, term++) {
            TraceCell *cell = &ch->cells[k];
            bool adds = conv_locate(s, oy, ox, (int)(k / (size_t)s->kw), (int)(k % (size_t)s->kw), cell);
            float product;
            cell->weight = wk[k];
            cell->value = cell->src_y < 0 ? 0.0f
                                          : plane[(size_t)cell->src_y * (size_t)s->in_w + (size_t)cell->src_x];
            product = adds ? cell->value * cell->weight : 0.0f;
            cell->product = product;
            if (adds)
                sum += product;
            if (term < done) {
                cell->flags |= CELL_DONE;
                if (adds)
                    partial += product;
            }
        }
        ch->channel = c;
        ch->sum = sum;
        ch->partial = partial;
        ch->done = term <= done;
        total += sum;
        if ((size_t)i * s->taps < done)
            partial_total += partial;
    }
    t->bias = bias_of(s, f);
    if (s->bias) {
        total += t->bias;
        if (done >= term)
            partial_total += t->bias;
    }
    t->total = total;
    t->partial_total = partial_total;
    t->activated = act_apply(s->act, total);
}

/* Fills the trace's window for pooling output (oy, ox) of channel c, the
 * first `done` window cells marked as taken in; returns the pooled value. */
static float pool_fill(Stepper *s, int c, int oy, int ox, size_t done)
{
    Trace *t = &s->trace;
    TraceChannel *ch = &t->channels[0];
    const float *plane = input_plane(s, c);
    bool is_max = s->pool.mode == POOL_MAX;
    float pad_value = is_max ? -INFINITY : 0.0f;
    int y0 = oy * s->sh - s->pad.top, x0 = ox * s->sw - s->pad.left;
    int y_limit = s->in_h + s->pad.bottom, x_limit = s->in_w + s->pad.right;
    float sum = 0.0f, partial = 0.0f;         /* avg: all cells / done cells */
    float best = -INFINITY, best_done = -INFINITY;
    int best_cell = -1, best_cell_done = -1;
    int counted_pad = 0, counted_in = 0;
    float result;
    for (int ky = 0; ky < s->kh; ky++) {
        for (int kx = 0; kx < s->kw; kx++) {
            int k = ky * s->kw + kx;
            TraceCell *cell = &ch->cells[k];
            bool is_done = (size_t)k < done;
            cell->iy = y0 + ky * s->dh;
            cell->ix = x0 + kx * s->dw;
            cell->weight = 0.0f;
            cell->product = 0.0f;
            if (cell->iy >= 0 && cell->iy < s->in_h && cell->ix >= 0 && cell->ix < s->in_w) {
                float v = plane[(size_t)cell->iy * (size_t)s->in_w + (size_t)cell->ix];
                cell->flags = 0;
                cell->src_y = cell->iy;
                cell->src_x = cell->ix;
                cell->value = v;
                counted_in++;
                counted_pad++;
                /* PyTorch: the index starts at the first cell inside the
                 * input, and a later cell wins if larger or NaN. */
                if (best_cell < 0)
                    best_cell = k;
                if (v > best || isnan(v)) {
                    best = v;
                    best_cell = k;
                }
                sum += v;
                if (is_done) {
                    if (best_cell_done < 0)
                        best_cell_done = k;
                    if (v > best_done || isnan(v)) {
                        best_done = v;
                        best_cell_done = k;
                    }
                    partial += v;
                }
            } else {
                bool in_pad = cell->iy < y_limit && cell->ix < x_limit;
                cell->flags = in_pad ? CELL_PAD : CELL_OUTSIDE;
                cell->src_y = cell->src_x = -1;
                cell->value = pad_value;
                if (in_pad)
                    counted_pad++;
            }
            if (is_done)
                cell->flags |= CELL_DONE;
        }
    }
    ch->channel = c;
    ch->done = done >= s->taps;
    if (is_max) {
        result = best;
        ch->sum = best;
        ch->partial = best_done;
        t->max_cell = best_cell;
        t->pool_sum = 0.0f;
        t->pool_divisor = 0;
    } else {
        int divisor = s->pool.count_include_pad ? counted_pad : counted_in;
        result = divisor > 0 ? sum / (float)divisor : NAN;
        ch->sum = sum;
        ch->partial = partial;
        t->max_cell = -1;
        t->pool_sum = sum;
        t->pool_divisor = divisor;
    }
    t->pool_result = result;
    t->total = result;
    t->activated = result;
    t->partial_total = ch->partial;
    return result;
}

/* Rebuilds the trace for the current index. */
static void stepper_refresh(Stepper *s)
{
    Trace *t = &s->trace;
    size_t per = steps_per_position(s, s->granularity);
    size_t pos = s->index / per, sub = s->index % per;
    size_t per_step = terms_per_step(s, s->granularity);
    size_t done = (sub + 1) * per_step;
    size_t cell = pos / (size_t)s->filters;
    t->index = s->index;
    t->filter = (int)(pos % (size_t)s->filters);
    t->out_x = (int)(cell % (size_t)s->out_w);
    t->out_y = (int)(cell / (size_t)s->out_w);
    switch (s->granularity) {
    case STEP_POSITION:
        t->channel_step = -1;
        t->term_step = -1;
        break;
    case STEP_CHANNEL:
        t->channel_step = (int)sub;
        t->term_step = -1;
        break;
    case STEP_TERM:
        t->channel_step = (int)(sub / s->taps);
        t->term_step = (int)(sub % s->taps);
        break;
    }
    if (s->kind == LAYER_POOL)
        pool_fill(s, t->filter, t->out_y, t->out_x, done);
    else
        conv_fill(s, t->out_y, t->out_x, t->filter, done);
}

/* ---- the whole output, in the trace's summation order ---- */

static void row_add(float *restrict out, const float *restrict t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] += t[i];
}

/* Padded input row iy (may lie in the padding) of plane into row: the
 * input row in the middle, the padding columns from col_src (-1: zero). */
static void build_padded_row(const Stepper *s, const float *plane, int iy, const int *col_src,
                             size_t padded_w, float *row)
{
    int sy = geom_pad_source(s->conv.pad_mode, iy, s->in_h);
    size_t left = (size_t)s->pad.left, w = (size_t)s->in_w;
    const float *src;
    if (sy < 0) {
        memset(row, 0, padded_w * sizeof *row);
        return;
    }
    src = plane + (size_t)sy * w;
    memcpy(row + left, src, w * sizeof *row);
    for (size_t x = 0; x < left; x++)
        row[x] = col_src[x] < 0 ? 0.0f : src[col_src[x]];
    for (size_t x = left + w; x < padded_w; x++)
        row[x] = col_src[x] < 0 ? 0.0f : src[col_src[x]];
}

/* Adds filter f's channel-c sums for one output row to out: each cell's
 * sum is formed over the kernel cells in order from 0, then added, exactly
 * as conv_fill forms a channel sum and adds it to the total. rows holds
 * the kh padded input rows the kernel covers. Stride 1 runs eight cells
 * at a time, a fixed-size inner loop the compiler turns into vector code. */
static void conv_row_channel(const Stepper *s, int f, int c, const float *rows, size_t padded_w,
                             float *restrict out)
{
    enum { BLOCK = 8 };
    const float *wk = weights_of(s, f, c);
    size_t ow = (size_t)s->out_w, stride = (size_t)s->sw, x = 0;
    if (stride == 1) {
        for (; x + BLOCK <= ow; x += BLOCK) {
            float acc[BLOCK] = {0};
            for (int ky = 0; ky < s->kh; ky++)
                for (int kx = 0; kx < s->kw; kx++) {
                    const float *restrict src =
                        rows + (size_t)ky * padded_w + (size_t)kx * (size_t)s->dw + x;
                    float w = wk[ky * s->kw + kx];
                    for (int j = 0; j < BLOCK; j++) {
                        float p = src[j] * w;
                        acc[j] += p;
                    }
                }
            for (int j = 0; j < BLOCK; j++)
                out[x + (size_t)j] += acc[j];
        }
    }
    for (; x < ow; x++) {
        float acc = 0.0f;
        for (int ky = 0; ky < s->kh; ky++)
            for (int kx = 0; kx < s->kw; kx++) {
                float p = rows[(size_t)ky * padded_w + (size_t)kx * (size_t)s->dw + x * stride] *
                          wk[ky * s->kw + kx];
                acc += p;
            }
        out[x] += acc;
    }
}

/* The same for a transposed convolution: gathers the input cells that land
 * on output row oy, tap by tap in kernel order. */
static void transposed_row_channel(const Stepper *s, int f, int c, int oy, float *t)
{
    const float *plane = input_plane(s, c);
    const float *wk = weights_of(s, f, c);
    memset(t, 0, (size_t)s->out_w * sizeof *t);
    for (int ky = 0; ky < s->kh; ky++) {
        int ny = oy + s->pad.top - ky * s->dh, iy;
        const float *row;
        if (ny < 0 || ny % s->sh != 0 || (iy = ny / s->sh) >= s->in_h)
            continue;
        row = plane + (size_t)iy * (size_t)s->in_w;
        for (int kx = 0; kx < s->kw; kx++) {
            float w = wk[ky * s->kw + kx];
            int offset = kx * s->dw - s->pad.left;          /* ox = ix*s + offset */
            int ix = offset >= 0 ? 0 : (-offset + s->sw - 1) / s->sw;
            for (; ix < s->in_w; ix++) {
                int ox = ix * s->sw + offset;
                float p;
                if (ox >= s->out_w)
                    break;
                p = row[ix] * w;
                t[ox] += p;
            }
        }
    }
}

static Status compute_conv_output(Stepper *s, Error *err)
{
    size_t padded_w = (size_t)s->in_w + (size_t)s->pad.left + (size_t)s->pad.right;
    size_t ow = (size_t)s->out_w;
    bool transposed = s->kind == LAYER_CONV_TRANSPOSED;
    int channels = s->in_c;
    float *rows = NULL, *t = NULL;
    int *col_src = NULL;
    if (transposed) {
        t = malloc(ow * sizeof *t);
    } else {
        rows = malloc((size_t)s->kh * padded_w * sizeof *rows);
        col_src = malloc(padded_w * sizeof *col_src);
    }
    if (transposed ? !t : (!rows || !col_src)) {
        free(t);
        free(rows);
        free(col_src);
        return error_set(err, CS_ERR_NOMEM, "cannot allocate the stepper's row buffers (%zu columns)",
                         padded_w);
    }
    if (!transposed)
        for (size_t x = 0; x < padded_w; x++)
            col_src[x] = geom_pad_source(s->conv.pad_mode, (int)x - s->pad.left, s->in_w);
    for (int oy = 0; oy < s->out_h; oy++) {
        for (int c = 0; c < channels; c++) {
            int g = c / s->channels_per_group;
            if (!transposed)
                for (int ky = 0; ky < s->kh; ky++)
                    build_padded_row(s, input_plane(s, c), oy * s->sh - s->pad.top + ky * s->dh,
                                     col_src, padded_w, rows + (size_t)ky * padded_w);
            for (int f = g * s->filters_per_group; f < (g + 1) * s->filters_per_group; f++) {
                float *out = tensor_at(&s->pre, 0, (size_t)f, (size_t)oy, 0);
                if (transposed) {
                    transposed_row_channel(s, f, c, oy, t);
                    row_add(out, t, ow);
                } else {
                    conv_row_channel(s, f, c, rows, padded_w, out);
                }
            }
        }
        for (int f = 0; f < s->filters; f++) {
            float *out = tensor_at(&s->pre, 0, (size_t)f, (size_t)oy, 0);
            if (s->bias) {
                float b = s->bias[f];
                for (size_t x = 0; x < ow; x++)
                    out[x] += b;
            }
            /* act_apply per cell, exactly as the trace computes `activated`,
             * while the row is still in cache. */
            if (s->post.data) {
                float *post = tensor_at(&s->post, 0, (size_t)f, (size_t)oy, 0);
                for (size_t x = 0; x < ow; x++)
                    post[x] = act_apply(s->act, out[x]);
            }
        }
    }
    free(t);
    free(rows);
    free(col_src);
    return CS_OK;
}

static void compute_pool_output(Stepper *s)
{
    for (int c = 0; c < s->filters; c++)
        for (int oy = 0; oy < s->out_h; oy++) {
            float *out = tensor_at(&s->pre, 0, (size_t)c, (size_t)oy, 0);
            for (int ox = 0; ox < s->out_w; ox++)
                out[ox] = pool_fill(s, c, oy, ox, s->taps);
        }
}

/* ---- validation and set-up ---- */

static Status check_config(const StepperConfig *cfg, Stepper *s, Error *err)
{
    const Tensor *in = cfg->input;
    size_t out_h, out_w;
    Status st;
    if (!in || !in->data)
        return error_set(err, CS_ERR_RANGE, "the stepper needs an input tensor");
    if (cfg->granularity != STEP_POSITION && cfg->granularity != STEP_CHANNEL &&
        cfg->granularity != STEP_TERM)
        return error_set(err, CS_ERR_RANGE, "unknown step granularity %d", (int)cfg->granularity);
    if (in->c > INT_MAX)
        return error_set(err, CS_ERR_RANGE, "the input has too many channels (%zu)", in->c);
    if (cfg->kind == LAYER_POOL) {
        if (in->n != 1)
            return error_set(err, CS_ERR_SHAPE, "pooling takes a batch of one, but the input has %zu",
                             in->n);
        if ((st = geom_pool_output(&cfg->pool, in->h, in->w, &out_h, &out_w, err)) != CS_OK)
            return st;
        s->filters = (int)in->c;
        s->kh = cfg->pool.kernel_h;
        s->kw = cfg->pool.kernel_w;
        s->sh = cfg->pool.stride_h;
        s->sw = cfg->pool.stride_w;
        s->dh = cfg->pool.dilation_h;
        s->dw = cfg->pool.dilation_w;
        s->pad.top = s->pad.bottom = cfg->pool.pad_h;
        s->pad.left = s->pad.right = cfg->pool.pad_w;
        s->channels_per_group = 1;
        s->filters_per_group = 1;
    } else {
        size_t filters;
        bool transposed = cfg->kind == LAYER_CONV_TRANSPOSED;
        if (cfg->kind != LAYER_CONV && !transposed)
            return error_set(err, CS_ERR_RANGE, "unknown layer kind %d", (int)cfg->kind);
        if (cfg->conv.transposed != transposed)
            return error_set(err, CS_ERR_RANGE, "the layer is a %s convolution but its parameters say %s",
                             transposed ? "transposed" : "plain",
                             cfg->conv.transposed ? "transposed" : "not transposed");
        if (!cfg->weights || !cfg->weights->data)
            return error_set(err, CS_ERR_RANGE, "a convolution needs weights");
        if ((st = conv_check(in, cfg->weights, cfg->bias, &cfg->conv, &filters, err)) != CS_OK ||
            (st = geom_conv_output(&cfg->conv, in->h, in->w, cfg->weights->h, cfg->weights->w,
                                   &out_h, &out_w, err)) != CS_OK ||
            (st = geom_conv_padding(&cfg->conv, in->h, in->w, cfg->weights->h, cfg->weights->w,
                                    &s->pad, err)) != CS_OK)
            return st;
        if (filters > INT_MAX || cfg->weights->h > INT_MAX || cfg->weights->w > INT_MAX)
            return error_set(err, CS_ERR_RANGE, "the layer has too many filters or too large a kernel");
        s->filters = (int)filters;
        s->kh = (int)cfg->weights->h;
        s->kw = (int)cfg->weights->w;
        s->sh = cfg->conv.stride_h;
        s->sw = cfg->conv.stride_w;
        s->dh = cfg->conv.dilation_h;
        s->dw = cfg->conv.dilation_w;
        s->channels_per_group = (int)(in->c / (size_t)cfg->conv.groups);
        s->filters_per_group = s->filters / cfg->conv.groups;
    }
    s->in_h = (int)in->h;
    s->in_w = (int)in->w;
    s->out_h = (int)out_h;
    s->out_w = (int)out_w;
    return CS_OK;
}

Status stepper_create(const StepperConfig *cfg, Stepper **out, Error *err)
{
    Stepper *s;
    Status st;
    size_t cells, steps;
    *out = NULL;
    s = calloc(1, sizeof *s);
    if (!s)
        return error_set(err, CS_ERR_NOMEM, "cannot allocate the stepper");
    if ((st = check_config(cfg, s, err)) != CS_OK)
        goto fail;
    s->kind = cfg->kind;
    s->input = cfg->input->data;
    s->in_c = (int)cfg->input->c;
    s->in_rank = cfg->input->rank;
    s->weights = s->kind == LAYER_POOL ? NULL : cfg->weights->data;
    s->bias = s->kind == LAYER_POOL || !cfg->bias ? NULL : cfg->bias->data;
    s->conv = cfg->conv;
    s->pool = cfg->pool;
    s->act = s->kind == LAYER_POOL ? (Activation){ACT_NONE, 0.0f} : cfg->act;
    s->granularity = cfg->granularity;
    s->taps = (size_t)s->kh * (size_t)s->kw;
    if (!mul_fits(s->taps, (size_t)s->channels_per_group, &cells) ||
        !mul_fits((size_t)s->out_h * (size_t)s->out_w, (size_t)s->filters, &s->positions) ||
        !mul_fits(s->positions, cells, &steps)) {
        st = error_set(err, CS_ERR_NOMEM, "the layer has too many steps to count");
        goto fail;
    }
    s->channels = calloc((size_t)s->channels_per_group, sizeof *s->channels);
    s->cells = calloc(cells, sizeof *s->cells);
    if (!s->channels || !s->cells) {
        st = error_set(err, CS_ERR_NOMEM, "cannot allocate the trace (%zu cells)", cells);
        goto fail;
    }
    for (int i = 0; i < s->channels_per_group; i++)
        s->channels[i].cells = s->cells + (size_t)i * s->taps;

    s->trace.kind = s->kind;
    s->trace.kh = s->kh;
    s->trace.kw = s->kw;
    s->trace.stride_h = s->sh;
    s->trace.stride_w = s->sw;
    s->trace.dilation_h = s->dh;
    s->trace.dilation_w = s->dw;
    s->trace.pad = s->pad;
    s->trace.n_channels = s->channels_per_group;
    s->trace.channels = s->channels;
    s->trace.has_bias = s->bias != NULL;
    s->trace.act = s->act;
    s->trace.max_cell = -1;

    st = tensor_init(&s->pre, 1, (size_t)s->filters, (size_t)s->out_h, (size_t)s->out_w,
                     s->in_rank < 3 ? 3 : s->in_rank, err);
    if (st == CS_OK && s->act.kind != ACT_NONE)
        st = tensor_init(&s->post, 1, (size_t)s->filters, (size_t)s->out_h, (size_t)s->out_w,
                         s->pre.rank, err);
    if (st != CS_OK)
        goto fail;
    if (s->kind == LAYER_POOL)
        compute_pool_output(s);
    else if ((st = compute_conv_output(s, err)) != CS_OK)
        goto fail;
    s->trace.count = stepper_count(s);
    s->index = 0;
    stepper_refresh(s);
    *out = s;
    return CS_OK;
fail:
    stepper_destroy(s);
    return st;
}

void stepper_destroy(Stepper *s)
{
    if (!s)
        return;
    tensor_free(&s->pre);
    tensor_free(&s->post);
    free(s->channels);
    free(s->cells);
    free(s);
}

/* ---- moving ---- */

size_t stepper_count(const Stepper *s)
{
    return s->positions * steps_per_position(s, s->granularity);
}

size_t stepper_index(const Stepper *s)
{
    return s->index;
}

bool stepper_next(Stepper *s)
{
    if (s->index + 1 >= stepper_count(s))
        return false;
    s->index++;
    stepper_refresh(s);
    return true;
}

bool stepper_prev(Stepper *s)
{
    if (s->index == 0)
        return false;
    s->index--;
    stepper_refresh(s);
    return true;
}

void stepper_seek(Stepper *s, size_t index)
{
    size_t count = stepper_count(s);
    s->index = index < count ? index : count - 1;
    stepper_refresh(s);
}

/* The first term the current step covers, re-expressed at the new
 * granularity: refining lands on the first sub-step of the current step,
 * coarsening on the step that contains it. */
void stepper_set_granularity(Stepper *s, StepGranularity g)
{
    size_t per = steps_per_position(s, s->granularity);
    size_t pos = s->index / per, sub = s->index % per;
    size_t first_term = sub * terms_per_step(s, s->granularity);
    s->granularity = g;
    s->index = pos * steps_per_position(s, g) + first_term / terms_per_step(s, g);
    s->trace.count = stepper_count(s);
    stepper_refresh(s);
}

StepGranularity stepper_granularity(const Stepper *s)
{
    return s->granularity;
}

const Trace *stepper_trace(const Stepper *s)
{
    return &s->trace;
}

const Tensor *stepper_output(const Stepper *s)
{
    return s->act.kind == ACT_NONE ? &s->pre : &s->post;
}

const Tensor *stepper_preactivation(const Stepper *s)
{
    return &s->pre;
}

size_t stepper_index_of(const Stepper *s, int oy, int ox, int f)
{
    size_t pos = ((size_t)oy * (size_t)s->out_w + (size_t)ox) * (size_t)s->filters + (size_t)f;
    return pos * steps_per_position(s, s->granularity);
}

size_t stepper_steps_per_position(const Stepper *s)
{
    return steps_per_position(s, s->granularity);
}

bool stepper_cell_done(const Stepper *s, int oy, int ox, int f)
{
    if (oy < 0 || oy >= s->out_h || ox < 0 || ox >= s->out_w || f < 0 || f >= s->filters)
        return false;
    return stepper_index_of(s, oy, ox, f) + stepper_steps_per_position(s) - 1 <= s->index;
}

Pad4 stepper_padding(const Stepper *s)
{
    return s->pad;
}

void stepper_output_size(const Stepper *s, size_t *out_h, size_t *out_w, size_t *filters)
{
    *out_h = (size_t)s->out_h;
    *out_w = (size_t)s->out_w;
    *filters = (size_t)s->filters;
}

/* ---- geometry and values for a picture of the layer ---- */

/* Axis 0 (rows) or 1 (columns) of the layer's window. */
static WindowAxis window_axis(const Stepper *s, int axis)
{
    WindowAxis a;
    a.size = axis == 0 ? s->in_h : s->in_w;
    a.taps = axis == 0 ? s->kh : s->kw;
    a.stride = axis == 0 ? s->sh : s->sw;
    a.dilation = axis == 0 ? s->dh : s->dw;
    a.pad = axis == 0 ? s->pad.top : s->pad.left;
    a.transposed = s->kind == LAYER_CONV_TRANSPOSED;
    return a;
}

bool stepper_window_reads(const Stepper *s, int oy, int ox, int iy, int ix)
{
    WindowAxis rows = window_axis(s, 0), cols = window_axis(s, 1);
    if (oy < 0 || oy >= s->out_h || ox < 0 || ox >= s->out_w)
        return false;
    return geom_window_reads(&rows, oy, iy) && geom_window_reads(&cols, ox, ix);
}

/* Whether any output reads any coordinate of the axis. Always true for a
 * convolution or pooling (every window starts in the padded input); a
 * transposed convolution cropped hard can leave every output of an axis
 * in stride gaps, and then no cell at all is read. */
static bool axis_reads_any(const Stepper *s, int axis)
{
    WindowAxis a = window_axis(s, axis);
    for (int i = 0; i < a.size; i++)
        if (geom_window_reached(&a, axis == 0 ? s->out_h : s->out_w, i))
            return true;
    return s->kind != LAYER_CONV_TRANSPOSED;
}

int stepper_unreached(const Stepper *s, int axis, bool *unread, size_t n)
{
    WindowAxis a = window_axis(s, axis);
    int before = axis == 0 ? s->pad.top : s->pad.left;
    int after = axis == 0 ? s->pad.bottom : s->pad.right;
    int count;
    if (s->kind == LAYER_CONV_TRANSPOSED)
        before = after = 0;
    count = geom_window_unreached(&a, axis == 0 ? s->out_h : s->out_w, -before, a.size + after - 1, unread, n);
    if (!axis_reads_any(s, 1 - axis)) {
        /* a cell is read only where a read row meets a read column */
        size_t length = (size_t)before + (size_t)a.size + (size_t)after;
        count = 0;
        for (size_t j = 0; j < n && j < length; j++, count++)
            unread[j] = true;
    }
    return count;
}

float stepper_input_value(const Stepper *s, int c, int iy, int ix)
{
    const float *plane = input_plane(s, c);
    int sy, sx;
    if (iy >= 0 && iy < s->in_h && ix >= 0 && ix < s->in_w)
        return plane[(size_t)iy * (size_t)s->in_w + (size_t)ix];
    if (s->kind == LAYER_POOL)
        return s->pool.mode == POOL_MAX ? -INFINITY : 0.0f;
    if (s->kind == LAYER_CONV_TRANSPOSED)
        return 0.0f;
    sy = geom_pad_source(s->conv.pad_mode, iy, s->in_h);
    sx = geom_pad_source(s->conv.pad_mode, ix, s->in_w);
    if (sy < 0 || sx < 0)
        return 0.0f;
    return plane[(size_t)sy * (size_t)s->in_w + (size_t)sx];
}

void stepper_input_extent(const Stepper *s, int *y0, int *x0, int *rows, int *cols)
{
    if (s->kind == LAYER_CONV_TRANSPOSED) {
        *y0 = *x0 = 0;
        *rows = s->in_h;
        *cols = s->in_w;
        return;
    }
    /* the last window ends (out-1)*stride + dilation*(k-1) + 1 cells after
     * the first padded cell */
    long long reach_h = (long long)(s->out_h - 1) * s->sh + (long long)s->dh * (s->kh - 1) + 1;
    long long reach_w = (long long)(s->out_w - 1) * s->sw + (long long)s->dw * (s->kw - 1) + 1;
    long long padded_h = (long long)s->in_h + s->pad.top + s->pad.bottom;
    long long padded_w = (long long)s->in_w + s->pad.left + s->pad.right;
    *y0 = -s->pad.top;
    *x0 = -s->pad.left;
    *rows = (int)(padded_h > reach_h ? padded_h : reach_h);
    *cols = (int)(padded_w > reach_w ? padded_w : reach_w);
}
