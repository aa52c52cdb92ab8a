/* geom.c: layer geometry (see geom.h): padding resolution, output sizes,
 * the output-size arithmetic written out in live numbers, padding sources
 * and the coordinates a window reads.
 *
 *   conv:       out = floor((n + pad_before + pad_after - d*(k-1) - 1) / s) + 1
 *   transposed: out = (n-1)*s - pad_before - pad_after + d*(k-1) + output_padding + 1
 *   pool:       out = floor or ceil((n + 2p - d*(k-1) - 1) / s) + 1, minus one
 *               under ceil_mode when the last window would start at or past
 *               the end of the input (PyTorch's rule); under ceil_mode the
 *               window may overhang the padded input.
 *
 * Every axis is computed in long long from values first checked to fit an
 * int, so no intermediate can overflow; results are checked to fit an int.
 * The explanation always writes the dilated kernel as d*(k-1), also for
 * d = 1: the student sees one formula whose numbers change, never a
 * formula that changes shape. */
#include "geom.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* One axis of a layer, with every number the formula needs. */
typedef struct Axis {
    long long n, k, s, d;   /* input size, kernel, stride, dilation */
    long long before, after; /* padding on each side */
    long long op;           /* output padding (transposed only) */
    long long out;
    bool dropped;           /* pool ceil_mode dropped the last window */
} Axis;

static const char *geom_axis_name(int axis)
{
    return axis == 0 ? "height" : "width";
}

/* "2" when both axes agree, else "2x1". */
static void geom_pair_text(char *buf, size_t size, long long h, long long w)
{
    if (h == w)
        snprintf(buf, size, "%lld", h);
    else
        snprintf(buf, size, "%lldx%lld", h, w);
}

ConvParams geom_conv_defaults(void)
{
    ConvParams p;
    memset(&p, 0, sizeof p);
    p.stride_h = p.stride_w = 1;
    p.padding.kind = PAD_EXPLICIT;
    p.pad_mode = PADMODE_ZEROS;
    p.dilation_h = p.dilation_w = 1;
    p.groups = 1;
    return p;
}

PoolParams geom_pool_defaults(PoolMode mode, int kernel_h, int kernel_w)
{
    PoolParams p;
    memset(&p, 0, sizeof p);
    p.mode = mode;
    p.kernel_h = kernel_h;
    p.kernel_w = kernel_w;
    p.stride_h = kernel_h;
    p.stride_w = kernel_w;
    p.dilation_h = p.dilation_w = 1;
    p.count_include_pad = true;
    return p;
}

/* ---- shared checks ---- */

static Status geom_check_sizes(const char *what, size_t h, size_t w, Error *err)
{
    if (h == 0 || w == 0)
        return error_set(err, CS_ERR_RANGE, "%s %zux%zu has a zero side", what, h, w);
    if (h > INT_MAX || w > INT_MAX)
        return error_set(err, CS_ERR_RANGE, "%s %zux%zu is too large (each side must fit an int)",
                         what, h, w);
    return CS_OK;
}

static Status geom_check_at_least_one(const char *what, int h, int w, Error *err)
{
    if (h < 1 || w < 1)
        return error_set(err, CS_ERR_RANGE, "%s %d is not allowed: it must be at least 1", what,
                         h < 1 ? h : w);
    return CS_OK;
}

static Status geom_check_fits_int(const char *what, int axis, long long v, Error *err)
{
    if (v > INT_MAX)
        return error_set(err, CS_ERR_RANGE, "%s %lld on the %s axis is too large (it must fit an int)",
                         what, v, geom_axis_name(axis));
    return CS_OK;
}

/* Reflect needs pad < n (the edge is not repeated), circular pad <= n. */
static Status geom_check_pad_mode(PadMode mode, int axis, long long pad, long long n, Error *err)
{
    const char *wide = axis == 0 ? "high" : "wide";
    if (mode == PADMODE_REFLECT && pad >= n)
        return error_set(err, CS_ERR_RANGE,
                         "reflect padding %lld needs an input larger than %lld on the %s axis; the input is %lld %s",
                         pad, pad, geom_axis_name(axis), n, wide);
    if (mode == PADMODE_CIRCULAR && pad > n)
        return error_set(err, CS_ERR_RANGE,
                         "circular padding %lld needs an input of at least %lld on the %s axis; the input is %lld %s",
                         pad, pad, geom_axis_name(axis), n, wide);
    return CS_OK;
}

/* ---- convolution ---- */

static Status geom_conv_resolve_axis(const ConvParams *p, int axis, Axis *a, Error *err)
{
    long long total;
    Status st;
    switch (p->padding.kind) {
    case PAD_EXPLICIT:
        a->before = a->after = axis == 0 ? p->padding.h : p->padding.w;
        break;
    case PAD_VALID:
        a->before = a->after = 0;
        break;
    case PAD_SAME:
        /* TensorFlow: out = ceil(n/s); the odd extra cell goes after. */
        total = ((a->n + a->s - 1) / a->s - 1) * a->s + a->d * (a->k - 1) + 1 - a->n;
        if (total < 0)
            total = 0;
        a->before = total / 2;
        a->after = total - a->before;
        break;
    case PAD_FULL:
        a->before = a->after = a->d * (a->k - 1);
        break;
    }
    st = geom_check_fits_int("padding", axis, a->after, err);
    if (st != CS_OK)
        return st;
    return geom_check_pad_mode(p->pad_mode, axis, a->after, a->n, err);
}

/* Validates p and resolves the padding of both axes into ax[0] (height)
 * and ax[1] (width); output sizes are left for geom_conv_axes. */
static Status geom_conv_pad_axes(const ConvParams *p, size_t in_h, size_t in_w, size_t kh, size_t kw,
                            Axis ax[2], Error *err)
{
    Status st;
    if ((st = geom_check_sizes("input", in_h, in_w, err)) != CS_OK ||
        (st = geom_check_sizes("kernel", kh, kw, err)) != CS_OK ||
        (st = geom_check_at_least_one("stride", p->stride_h, p->stride_w, err)) != CS_OK ||
        (st = geom_check_at_least_one("dilation", p->dilation_h, p->dilation_w, err)) != CS_OK)
        return st;
    if (p->padding.kind == PAD_EXPLICIT && (p->padding.h < 0 || p->padding.w < 0))
        return error_set(err, CS_ERR_RANGE, "padding %d is negative: it must be 0 or more",
                         p->padding.h < 0 ? p->padding.h : p->padding.w);
    if (p->transposed && (p->padding.kind == PAD_SAME || p->padding.kind == PAD_FULL))
        return error_set(err, CS_ERR_RANGE,
                         "padding '%s' is not defined for a transposed convolution; give a number",
                         p->padding.kind == PAD_SAME ? "same" : "full");
    if (p->transposed && p->pad_mode != PADMODE_ZEROS)
        return error_set(err, CS_ERR_RANGE,
                         "a transposed convolution pads with zeros only, not %s",
                         geom_pad_mode_name(p->pad_mode));
    memset(ax, 0, 2 * sizeof *ax);
    ax[0].n = (long long)in_h;
    ax[1].n = (long long)in_w;
    ax[0].k = (long long)kh;
    ax[1].k = (long long)kw;
    ax[0].s = p->stride_h;
    ax[1].s = p->stride_w;
    ax[0].d = p->dilation_h;
    ax[1].d = p->dilation_w;
    ax[0].op = p->output_padding_h;
    ax[1].op = p->output_padding_w;
    for (int i = 0; i < 2; i++)
        if ((st = geom_conv_resolve_axis(p, i, &ax[i], err)) != CS_OK)
            return st;
    return CS_OK;
}

static Status geom_conv_axes(const ConvParams *p, size_t in_h, size_t in_w, size_t kh, size_t kw,
                        Axis ax[2], Error *err)
{
    Status st = geom_conv_pad_axes(p, in_h, in_w, kh, kw, ax, err);
    if (st != CS_OK)
        return st;
    if (!p->transposed && (ax[0].op != 0 || ax[1].op != 0))
        return error_set(err, CS_ERR_RANGE,
                         "output padding %lld applies only to a transposed convolution",
                         ax[0].op != 0 ? ax[0].op : ax[1].op);
    if (!p->transposed) {
        long long span_h = ax[0].d * (ax[0].k - 1) + 1, span_w = ax[1].d * (ax[1].k - 1) + 1;
        long long padded_h = ax[0].n + ax[0].before + ax[0].after;
        long long padded_w = ax[1].n + ax[1].before + ax[1].after;
        if (span_h > padded_h || span_w > padded_w) {
            char dil[32];
            geom_pair_text(dil, sizeof dil, ax[0].d, ax[1].d);
            if (ax[0].d == 1 && ax[1].d == 1)
                return error_set(err, CS_ERR_RANGE,
                                 "kernel %lldx%lld (dilation 1) is larger than the padded input %lldx%lld",
                                 ax[0].k, ax[1].k, padded_h, padded_w);
            return error_set(err, CS_ERR_RANGE,
                             "kernel %lldx%lld (dilation %s, spanning %lldx%lld) is larger than the padded input %lldx%lld",
                             ax[0].k, ax[1].k, dil, span_h, span_w, padded_h, padded_w);
        }
        for (int i = 0; i < 2; i++) {
            Axis *a = &ax[i];
            a->out = (a->n + a->before + a->after - a->d * (a->k - 1) - 1) / a->s + 1;
        }
    } else {
        for (int i = 0; i < 2; i++) {
            Axis *a = &ax[i];
            if (a->op < 0)
                return error_set(err, CS_ERR_RANGE, "output padding %lld is negative: it must be 0 or more",
                                 a->op);
            if (a->op >= a->s && a->op >= a->d)
                return error_set(err, CS_ERR_RANGE,
                                 "output padding %lld must be smaller than the stride (%lld) or the dilation (%lld)",
                                 a->op, a->s, a->d);
            a->out = (a->n - 1) * a->s - a->before - a->after + a->d * (a->k - 1) + a->op + 1;
        }
        if (ax[0].out < 1 || ax[1].out < 1)
            return error_set(err, CS_ERR_RANGE,
                             "the output would be %lldx%lld: padding %lld is too large, the output must be at least 1x1",
                             ax[0].out, ax[1].out, ax[0].out < 1 ? ax[0].before : ax[1].before);
    }
    for (int i = 0; i < 2; i++)
        if ((st = geom_check_fits_int("output size", i, ax[i].out, err)) != CS_OK)
            return st;
    return CS_OK;
}

Status geom_conv_padding(const ConvParams *p, size_t in_h, size_t in_w, size_t kh, size_t kw,
                         Pad4 *pad, Error *err)
{
    Axis ax[2];
    Status st = geom_conv_pad_axes(p, in_h, in_w, kh, kw, ax, err);
    if (st != CS_OK)
        return st;
    pad->top = (int)ax[0].before;
    pad->bottom = (int)ax[0].after;
    pad->left = (int)ax[1].before;
    pad->right = (int)ax[1].after;
    return CS_OK;
}

Status geom_conv_output(const ConvParams *p, size_t in_h, size_t in_w, size_t kh, size_t kw,
                        size_t *out_h, size_t *out_w, Error *err)
{
    Axis ax[2];
    Status st = geom_conv_axes(p, in_h, in_w, kh, kw, ax, err);
    if (st != CS_OK)
        return st;
    *out_h = (size_t)ax[0].out;
    *out_w = (size_t)ax[1].out;
    return CS_OK;
}

Status geom_conv_explain(const ConvParams *p, size_t in_h, size_t in_w, size_t kh, size_t kw,
                         int axis, char *buf, size_t size)
{
    Axis ax[2];
    Error err;
    Status st = geom_conv_axes(p, in_h, in_w, kh, kw, ax, &err);
    const Axis *a = &ax[axis == 0 ? 0 : 1];
    if (size == 0)
        return st;
    if (st != CS_OK)
        snprintf(buf, size, "%s", err.message);
    else if (p->transposed)
        snprintf(buf, size, "(%lld-1)*%lld - %lld - %lld + %lld*(%lld-1) + %lld + 1 = %lld",
                 a->n, a->s, a->before, a->after, a->d, a->k, a->op, a->out);
    else
        snprintf(buf, size, "floor((%lld + %lld + %lld - %lld*(%lld-1) - 1) / %lld) + 1 = %lld",
                 a->n, a->before, a->after, a->d, a->k, a->s, a->out);
    return st;
}

/* ---- pooling ---- */

static Status geom_pool_axes(const PoolParams *p, size_t in_h, size_t in_w, Axis ax[2], Error *err)
{
    Status st;
    if ((st = geom_check_sizes("input", in_h, in_w, err)) != CS_OK ||
        (st = geom_check_at_least_one("pooling kernel", p->kernel_h, p->kernel_w, err)) != CS_OK ||
        (st = geom_check_at_least_one("stride", p->stride_h, p->stride_w, err)) != CS_OK ||
        (st = geom_check_at_least_one("dilation", p->dilation_h, p->dilation_w, err)) != CS_OK)
        return st;
    if (p->pad_h < 0 || p->pad_w < 0)
        return error_set(err, CS_ERR_RANGE, "padding %d is negative: it must be 0 or more",
                         p->pad_h < 0 ? p->pad_h : p->pad_w);
    if (p->pad_h > p->kernel_h / 2 || p->pad_w > p->kernel_w / 2) {
        int pad = p->pad_h > p->kernel_h / 2 ? p->pad_h : p->pad_w;
        int k = p->pad_h > p->kernel_h / 2 ? p->kernel_h : p->kernel_w;
        return error_set(err, CS_ERR_RANGE,
                         "pooling padding %d is more than half the kernel %d (at most %d)", pad, k, k / 2);
    }
    if (p->mode == POOL_AVG && (p->dilation_h != 1 || p->dilation_w != 1))
        return error_set(err, CS_ERR_RANGE, "average pooling has no dilation, got %d",
                         p->dilation_h != 1 ? p->dilation_h : p->dilation_w);
    memset(ax, 0, 2 * sizeof *ax);
    ax[0].n = (long long)in_h;
    ax[1].n = (long long)in_w;
    ax[0].k = p->kernel_h;
    ax[1].k = p->kernel_w;
    ax[0].s = p->stride_h;
    ax[1].s = p->stride_w;
    ax[0].d = p->dilation_h;
    ax[1].d = p->dilation_w;
    ax[0].before = ax[0].after = p->pad_h;
    ax[1].before = ax[1].after = p->pad_w;
    for (int i = 0; i < 2; i++) {
        /* PyTorch rounds toward minus infinity; under ceil_mode a window may
         * overhang the padded input as long as it starts inside the input. */
        Axis *a = &ax[i];
        long long num = a->n + 2 * a->before - a->d * (a->k - 1) - 1 + (p->ceil_mode ? a->s - 1 : 0);
        a->out = (num >= 0 ? num / a->s : -((-num + a->s - 1) / a->s)) + 1;
        if (p->ceil_mode && (a->out - 1) * a->s >= a->n + a->before) {
            a->out--;
            a->dropped = true;
        }
    }
    if (ax[0].out < 1 || ax[1].out < 1) {
        char dil[32];
        geom_pair_text(dil, sizeof dil, ax[0].d, ax[1].d);
        return error_set(err, CS_ERR_RANGE,
                         "pooling window %lldx%lld (dilation %s) is larger than the padded input %lldx%lld",
                         ax[0].k, ax[1].k, dil, ax[0].n + 2 * ax[0].before, ax[1].n + 2 * ax[1].before);
    }
    for (int i = 0; i < 2; i++)
        if ((st = geom_check_fits_int("output size", i, ax[i].out, err)) != CS_OK)
            return st;
    return CS_OK;
}

Status geom_pool_output(const PoolParams *p, size_t in_h, size_t in_w,
                        size_t *out_h, size_t *out_w, Error *err)
{
    Axis ax[2];
    Status st = geom_pool_axes(p, in_h, in_w, ax, err);
    if (st != CS_OK)
        return st;
    *out_h = (size_t)ax[0].out;
    *out_w = (size_t)ax[1].out;
    return CS_OK;
}

Status geom_pool_explain(const PoolParams *p, size_t in_h, size_t in_w,
                         int axis, char *buf, size_t size)
{
    Axis ax[2];
    Error err;
    Status st = geom_pool_axes(p, in_h, in_w, ax, &err);
    const Axis *a = &ax[axis == 0 ? 0 : 1];
    if (size == 0)
        return st;
    if (st != CS_OK)
        snprintf(buf, size, "%s", err.message);
    else if (a->dropped)
        snprintf(buf, size,
                 "ceil((%lld + %lld + %lld - %lld*(%lld-1) - 1) / %lld) + 1 - 1 = %lld"
                 " (the last window would start in the padding)",
                 a->n, a->before, a->after, a->d, a->k, a->s, a->out);
    else
        snprintf(buf, size, "%s((%lld + %lld + %lld - %lld*(%lld-1) - 1) / %lld) + 1 = %lld",
                 p->ceil_mode ? "ceil" : "floor", a->n, a->before, a->after, a->d, a->k, a->s, a->out);
    return st;
}

/* ---- padding modes ---- */

int geom_pad_source(PadMode mode, int i, int n)
{
    if (n <= 0)
        return -1;
    if (i >= 0 && i < n)
        return i;
    switch (mode) {
    case PADMODE_ZEROS:
        return -1;
    case PADMODE_REPLICATE:
        return i < 0 ? 0 : n - 1;
    case PADMODE_CIRCULAR:
        return ((i % n) + n) % n;
    case PADMODE_REFLECT: {
        /* Mirror about the edge cells: period 2(n-1), e.g. n = 4:
         * ... 2 1 | 0 1 2 3 | 2 1 0 1 ... */
        int period = 2 * (n - 1), m;
        if (n == 1)
            return 0;
        m = ((i % period) + period) % period;
        return m < n ? m : period - m;
    }
    }
    return -1;
}

/* ---- which coordinates a window reads ---- */

bool geom_window_reads(const WindowAxis *a, int o, int i)
{
    /* long long: o*stride and k*dilation may exceed an int for any o, i */
    if (a->transposed) {
        if (i < 0 || i >= a->size)
            return false;
        long long k_span = (long long)o + a->pad - (long long)i * a->stride; /* = k*dilation */
        return k_span >= 0 && k_span % a->dilation == 0 && k_span / a->dilation < a->taps;
    }
    long long k_span = (long long)i + a->pad - (long long)o * a->stride;
    return k_span >= 0 && k_span % a->dilation == 0 && k_span / a->dilation < a->taps;
}

/* For each tap k, the one output whose tap k lands on i, if it is whole
 * and in range. */
bool geom_window_reached(const WindowAxis *a, int outputs, int i)
{
    for (long long k = 0; k < a->taps; k++) {
        long long o;
        if (a->transposed) {
            if (i < 0 || i >= a->size)
                return false;
            o = (long long)i * a->stride - a->pad + k * a->dilation;
        } else {
            long long start = (long long)i + a->pad - k * a->dilation; /* = o*stride */
            if (start < 0 || start % a->stride != 0)
                continue;
            o = start / a->stride;
        }
        if (o >= 0 && o < outputs)
            return true;
    }
    return false;
}

int geom_window_unreached(const WindowAxis *a, int outputs, int lo, int hi, bool *unread, size_t n)
{
    int count = 0;
    for (long long i = lo; i <= hi && (size_t)(i - lo) < n; i++) {
        bool u = !geom_window_reached(a, outputs, (int)i);
        unread[i - lo] = u;
        count += u;
    }
    return count;
}

static const char *const pad_mode_names[] = {"zeros", "reflect", "replicate", "circular"};

bool geom_pad_mode_parse(const char *name, PadMode *mode)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, pad_mode_names[i]) == 0) {
            *mode = (PadMode)i;
            return true;
        }
    return false;
}

const char *geom_pad_mode_name(PadMode mode)
{
    return (unsigned)mode < 4 ? pad_mode_names[mode] : "unknown";
}
