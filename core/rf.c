/* rf.c: receptive fields and shapes through a stack of layers (see rf.h).
 *
 * Per spatial layer, on each axis, with k_eff = d*(k-1) + 1:
 *     conv, pool:  rf += (k_eff-1)*jump    jump *= s
 *                  eff += p*jump           start += ((k_eff-1)/2 - p)*jump
 *     transposed:  rf = ceil(rf + (k_eff-1)*jump/s)    jump /= s
 *                  eff += (k_eff-1-p)/s*jump           start += (p - (k_eff-1)/2)/s*jump
 * (the right-hand sides use the previous layer's jump).
 *
 * Cells on one axis: output o of a conv or pool reads the input cells
 *     i = o*s - p + j*d,  j = 0 .. k-1,
 * and a transposed convolution's input i writes the output cells
 *     o = i*s - p + j*d,  j = 0 .. k-1.
 * Going against that map (which outputs read input i; which inputs write
 * output o) solves o*s + j*d in [lo+p, hi+p] for o; see "cell ranges". */
#include "rf.h"

#include <limits.h>

#include "pool.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

/* rf, jump and effective padding stay exact integers in a double up to here. */
#define RF_LIMIT 9007199254740992.0 /* 2^53 */

/* ---- layer errors ---- */

/* Rewrites err's message as "layer N (TEXT): message" and returns status. */
static Status fail_layer(Error *err, Status status, size_t index, const LayerSpec *l)
{
    char msg[sizeof err->message];
    if (!err)
        return status;
    snprintf(msg, sizeof msg, "%s", err->message);
    return error_set(err, status, "layer %zu (%.80s%s): %s", index + 1, l->text,
                     strlen(l->text) > 80 ? "..." : "", msg);
}

static bool mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    if (a != 0 && b > UINT64_MAX / a)
        return false;
    *out = a * b;
    return true;
}

/* a*b*c*d*e, false on overflow. */
static bool product5(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, uint64_t *out)
{
    uint64_t x;
    return mul_u64(a, b, &x) && mul_u64(x, c, &x) && mul_u64(x, d, &x) && mul_u64(x, e, out);
}

/* ---- one layer's geometry ---- */

/* Kernel, stride, dilation, resolved padding and (with a size) the output
 * size of layer l into r. */
static Status layer_geometry(const LayerSpec *l, bool sized, Error *err, RfLayer *r)
{
    size_t *in = r->in_size, *out = r->out_size;
    Status st;

    r->kernel[0] = r->kernel[1] = 1;
    r->stride[0] = r->stride[1] = 1;
    r->dilation[0] = r->dilation[1] = 1;
    out[0] = in[0];
    out[1] = in[1];
    if (l->type == SPEC_CONV2D || l->type == SPEC_CONV_TRANSPOSE2D) {
        const ConvParams *c = &l->conv;
        r->transposed = c->transposed;
        r->kernel[0] = l->kernel_h;
        r->kernel[1] = l->kernel_w;
        r->stride[0] = c->stride_h;
        r->stride[1] = c->stride_w;
        r->dilation[0] = c->dilation_h;
        r->dilation[1] = c->dilation_w;
        if (sized) {
            Pad4 pad;
            if ((st = geom_conv_padding(c, in[0], in[1], (size_t)l->kernel_h, (size_t)l->kernel_w,
                                        &pad, err)) != CS_OK ||
                (st = geom_conv_output(c, in[0], in[1], (size_t)l->kernel_h, (size_t)l->kernel_w,
                                       &out[0], &out[1], err)) != CS_OK)
                return st;
            r->padding[0] = pad.top;
            r->padding[1] = pad.left;
            return CS_OK;
        }
        for (int a = 0; a < 2; a++) {
            long long span = (long long)r->dilation[a] * (r->kernel[a] - 1); /* k_eff - 1 */
            long long p;
            switch (c->padding.kind) {
            case PAD_EXPLICIT: p = a == 0 ? c->padding.h : c->padding.w; break;
            case PAD_VALID: p = 0; break;
            case PAD_SAME: p = span / 2; break;
            case PAD_FULL: p = span; break;
            default: p = 0; break;
            }
            if (p < 0 || p > INT_MAX)
                return error_set(err, CS_ERR_RANGE, "padding %lld is out of range", p);
            r->padding[a] = (int)p;
        }
        return CS_OK;
    }
    if (l->type == SPEC_MAXPOOL2D || l->type == SPEC_AVGPOOL2D) {
        const PoolParams *q = &l->pool;
        r->kernel[0] = q->kernel_h;
        r->kernel[1] = q->kernel_w;
        r->stride[0] = q->stride_h;
        r->stride[1] = q->stride_w;
        r->dilation[0] = q->dilation_h;
        r->dilation[1] = q->dilation_w;
        r->padding[0] = q->pad_h;
        r->padding[1] = q->pad_w;
        if (sized)
            return geom_pool_output(q, in[0], in[1], &out[0], &out[1], err);
    }
    if ((l->type == SPEC_ADAPTIVE_AVGPOOL2D || l->type == SPEC_ADAPTIVE_MAXPOOL2D) && sized) {
        int want[2] = {l->adaptive_h, l->adaptive_w};
        for (int a = 0; a < 2; a++) {
            size_t m = want[a] > 0 ? (size_t)want[a] : in[a], widest = 0;
            out[a] = m;
            if (in[a] % m == 0) {
                r->kernel[a] = r->stride[a] = (int)(in[a] / m);
                continue;
            }
            /* windows of varying size: the widest sets the field */
            for (size_t i = 0; i < m; i++) {
                size_t lo, hi;
                pool_adaptive_window(i, in[a], m, &lo, &hi);
                if (hi - lo > widest)
                    widest = hi - lo;
            }
            r->kernel[a] = (int)widest;
            r->adaptive = true;
        }
    }
    return CS_OK;
}

/* Weights + biases of l, and (when sized and the channels are known) its
 * multiply-adds for one image. */
static Status layer_counts(const LayerSpec *l, bool sized, Error *err, RfLayer *r)
{
    uint64_t in_c = (uint64_t)l->in_channels, out_c = (uint64_t)l->out_channels;
    uint64_t kh = (uint64_t)l->kernel_h, kw = (uint64_t)l->kernel_w;
    uint64_t g = l->conv.groups > 0 ? (uint64_t)l->conv.groups : 1;
    bool ok = true;

    switch (l->type) {
    case SPEC_CONV2D:
        ok = product5(out_c, in_c / g, kh, kw, 1, &r->params) &&
             (!sized || product5(r->out_size[0], r->out_size[1], out_c, in_c / g, kh * kw,
                                 &r->macs));
        break;
    case SPEC_CONV_TRANSPOSE2D:
        /* every input cell scatters into out/groups filters of kh x kw */
        ok = product5(in_c, out_c / g, kh, kw, 1, &r->params) &&
             (!sized || product5(r->in_size[0], r->in_size[1], in_c, out_c / g, kh * kw,
                                 &r->macs));
        break;
    case SPEC_LINEAR:
        ok = product5(in_c, out_c, 1, 1, 1, &r->params) && product5(in_c, out_c, 1, 1, 1, &r->macs);
        break;
    case SPEC_BATCHNORM2D:
        /* in evaluation, y = x*scale + shift: one multiply-add per element */
        r->params = l->bias ? 2 * out_c : 0;
        ok = !sized || product5(r->out_size[0], r->out_size[1], out_c, 1, 1, &r->macs);
        return ok ? CS_OK : error_set(err, CS_ERR_RANGE, "multiply-adds overflow 64 bits");
    default:
        return CS_OK;
    }
    if (ok && l->bias && r->params > UINT64_MAX - out_c)
        ok = false;
    if (!ok)
        return error_set(err, CS_ERR_RANGE, "parameter or multiply-add count overflows 64 bits");
    if (l->bias)
        r->params += out_c;
    return CS_OK;
}

/* ---- public ---- */

Status rf_compute(const LayerStack *stack, size_t in_h, size_t in_w, size_t in_channels,
                  RfLayer *out, Error *err)
{
    bool sized = in_h > 0 && in_w > 0;
    size_t size[2] = {sized ? in_h : 0, sized ? in_w : 0};
    size_t channels = in_channels;
    double rf[2] = {1.0, 1.0}, jump[2] = {1.0, 1.0};
    double eff[2] = {0.0, 0.0}, start[2] = {0.5, 0.5};
    bool flat = false;

    for (size_t i = 0; i < stack->count; i++) {
        const LayerSpec *l = &stack->layers[i];
        bool has_channels = l->type == SPEC_CONV2D || l->type == SPEC_CONV_TRANSPOSE2D ||
                            l->type == SPEC_BATCHNORM2D;
        RfLayer *r = &out[i];
        Status st;

        memset(r, 0, sizeof *r);
        r->in_size[0] = size[0];
        r->in_size[1] = size[1];
        if (flat && (spec_is_spatial(l) || l->type == SPEC_BATCHNORM2D)) {
            error_set(err, CS_ERR_SHAPE, "needs a map (C,H,W), but a vector of features arrives "
                      "(after Flatten or Linear)");
            return fail_layer(err, CS_ERR_SHAPE, i, l);
        }
        if (has_channels && channels != 0 && channels != (size_t)l->in_channels) {
            error_set(err, CS_ERR_SHAPE, "expects %d input channels, but %zu arrive",
                      l->in_channels, channels);
            return fail_layer(err, CS_ERR_SHAPE, i, l);
        }
        if (l->type == SPEC_LINEAR && channels != 0 && (flat || sized)) {
            /* a map arriving is flattened in C,H,W order */
            uint64_t features = channels;
            if (!flat && !product5(channels, size[0], size[1], 1, 1, &features))
                features = UINT64_MAX;
            if (features != (uint64_t)l->in_channels) {
                if (flat)
                    error_set(err, CS_ERR_SHAPE, "expects %d input features, but %zu arrive",
                              l->in_channels, channels);
                else
                    error_set(err, CS_ERR_SHAPE, "expects %d input features, but a %zux%zux%zu map "
                              "arrives (%llu features when flattened)", l->in_channels, channels,
                              size[0], size[1], (unsigned long long)features);
                return fail_layer(err, CS_ERR_SHAPE, i, l);
            }
        }
        r->in_channels = has_channels || l->type == SPEC_LINEAR ? (size_t)l->in_channels : channels;
        r->out_channels = has_channels || l->type == SPEC_LINEAR ? (size_t)l->out_channels : channels;
        if ((st = layer_geometry(l, sized, err, r)) != CS_OK ||
            (st = layer_counts(l, sized, err, r)) != CS_OK)
            return fail_layer(err, st, i, l);
        if (spec_is_flat(l) && !flat) {
            /* the map becomes a vector of C*H*W features (0: unknown) */
            uint64_t features = 0;
            if (l->type == SPEC_FLATTEN && sized && channels != 0 &&
                (!product5(channels, size[0], size[1], 1, 1, &features) || features > SIZE_MAX))
                features = 0;
            if (l->type == SPEC_FLATTEN)
                r->out_channels = (size_t)features;
            flat = true;
        }
        r->flat = flat;
        if (flat && sized)
            r->out_size[0] = r->out_size[1] = 1;

        for (int a = 0; a < 2; a++) {
            double span = (double)r->dilation[a] * (r->kernel[a] - 1); /* k_eff - 1 */
            double s = r->stride[a], p = r->padding[a];
            if (r->adaptive) {
                /* windows start at floor(i*n/m): the jump grows by n/m */
                s = (double)r->in_size[a] / (double)r->out_size[a];
                rf[a] += span * jump[a];
                start[a] += span / 2.0 * jump[a];
                jump[a] *= s;
            } else if (r->flat) {
                /* no map: the last map's numbers stay */
            } else if (r->transposed) {
                rf[a] = ceil(rf[a] + span * jump[a] / s - 1e-9);
                eff[a] += (span - p) / s * jump[a];
                start[a] += (p - span / 2.0) / s * jump[a];
                jump[a] /= s;
            } else {
                rf[a] += span * jump[a];
                eff[a] += p * jump[a];
                start[a] += (span / 2.0 - p) * jump[a];
                jump[a] *= s;
            }
            if (rf[a] > RF_LIMIT || jump[a] > RF_LIMIT || fabs(eff[a]) > RF_LIMIT) {
                error_set(err, CS_ERR_RANGE, "the receptive field would exceed 2^53 pixels");
                return fail_layer(err, CS_ERR_RANGE, i, l);
            }
            r->rf[a] = rf[a];
            r->jump[a] = jump[a];
            r->effective_padding[a] = eff[a];
            r->start[a] = start[a];
        }
        channels = r->out_channels;
        size[0] = r->out_size[0];
        size[1] = r->out_size[1];
    }
    return CS_OK;
}

/* ---- cell ranges ----
 *
 * On one axis, tap j of output o of a conv or pool reads input o*s - p + j*d.
 * In "gather" form: x is hit by an input range [a, b] (shifted by p) when
 * x*s + j*d lies in [a, b] for some tap j; tap j hits exactly the x in
 * [ceil((a - j*d)/s), floor((b - j*d)/s)], which is non-empty when
 * (j*d - a) mod s <= b - a. Finding the first or last such tap is finding
 * the first t with (c + t*step) mod s <= w, which mod_first solves in
 * O(log s) steps, so kernels, strides and dilations of any size answer at
 * once. A transposed convolution scatters: input i writes outputs
 * o = i*s - p + j*d ("scatter" form). */

/* floor(a/b) and ceil(a/b) for b > 0 */
static long long floor_div(long long a, long long b)
{
    long long q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static long long ceil_div(long long a, long long b)
{
    return -floor_div(-a, b);
}

static long long floor_mod(long long a, long long b)
{
    return a - floor_div(a, b) * b;
}

/* The smallest t >= 0 with l <= (a*t) mod m <= r, for 0 <= l <= r < m and
 * 0 <= a < m (m < 2^31); -1 when there is none. When the interval holds no
 * multiple of a, a*t must wrap past m some y times, and the smallest y is
 * the same question one Euclid step down: (m*y) mod a in [-r, -l] mod a. */
static long long mod_first(long long a, long long m, long long l, long long r)
{
    long long t, y;
    if (l == 0)
        return 0;
    if (a == 0)
        return -1;
    t = (l + a - 1) / a;
    if (a * t <= r)
        return t;
    y = mod_first(m % a, a, a - r % a, a - l % a);
    if (y < 0)
        return -1;
    return (l + m * y + a - 1) / a;
}

/* The smallest t >= 0 with (c + t*step) mod m <= w, or -1. */
static long long first_hit(long long c, long long step, long long m, long long w)
{
    c = floor_mod(c, m);
    step = floor_mod(step, m);
    if (w >= m - 1 || c <= w)
        return 0;
    return mod_first(step, m, m - c, m - c + w);
}

/* The smallest value of (c + t*step) mod m over t in [0, n), or -1 for n <= 0:
 * the smallest w that some t below n reaches. */
static long long min_mod(long long c, long long step, long long m, long long n)
{
    long long lo = 0, hi = m - 1;
    if (n <= 0)
        return -1;
    while (lo < hi) {
        long long mid = lo + (hi - lo) / 2, t = first_hit(c, step, m, mid);
        if (t >= 0 && t < n)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

typedef struct Taps {
    long long k, s, d;
    long long a, b;     /* gather: the range shifted by p; scatter: the input range */
} Taps;

/* Gather: the smallest tap j >= lo whose cells are not empty, or -1. */
static long long tap_first(const Taps *t, long long lo)
{
    long long step;
    if (lo < 0)
        lo = 0;
    if (lo > t->k - 1)
        return -1;
    step = first_hit(lo * t->d - t->a, t->d, t->s, t->b - t->a);
    return step >= 0 && step <= t->k - 1 - lo ? lo + step : -1;
}

/* Gather: the largest tap j <= hi whose cells are not empty, or -1. */
static long long tap_last(const Taps *t, long long hi)
{
    long long step;
    if (hi > t->k - 1)
        hi = t->k - 1;
    if (hi < 0)
        return -1;
    step = first_hit(hi * t->d - t->a, -t->d, t->s, t->b - t->a);
    return step >= 0 && step <= hi ? hi - step : -1;
}

static bool gather_hit(const Taps *t, long long x)
{
    long long jlo = ceil_div(t->a - x * t->s, t->d), jhi = floor_div(t->b - x * t->s, t->d);
    return (jlo < 0 ? 0 : jlo) <= (jhi > t->k - 1 ? t->k - 1 : jhi);
}

/* Gather: the first and last x hit, within [0, size-1] when size is known;
 * false when none is. */
static bool gather_span(const Taps *t, size_t size, long long *lo, long long *hi)
{
    long long first = tap_last(t, t->k - 1), last = tap_first(t, 0);
    if (first < 0)
        return false;
    *lo = ceil_div(t->a - first * t->d, t->s);
    *hi = floor_div(t->b - last * t->d, t->s);
    if (size > 0 && *lo < 0) {
        if (gather_hit(t, 0)) {
            *lo = 0;
        } else {
            /* the first x above 0 comes from a tap whose cells all lie above 0:
               a - j*d > 0 */
            long long j = tap_last(t, ceil_div(t->a, t->d) - 1);
            if (j < 0)
                return false;
            *lo = ceil_div(t->a - j * t->d, t->s);
        }
    }
    if (size > 0 && *hi > (long long)size - 1) {
        long long x1 = (long long)size - 1;
        if (gather_hit(t, x1)) {
            *hi = x1;
        } else {
            /* from a tap whose cells all lie below x1: b - j*d < x1*s */
            long long j = tap_first(t, floor_div(t->b - x1 * t->s, t->d) + 1);
            if (j < 0)
                return false;
            *hi = floor_div(t->b - j * t->d, t->s);
        }
    }
    return *lo <= *hi;
}

/* Scatter: the smallest value i*s + j*d >= x0 over inputs i in [a, b] and
 * taps j; false when there is none. Taps from j3 on start at or above x0,
 * so the first of them is best; a tap j below j3 (and from j4 on, where
 * its inputs still reach x0) first reaches x0 + ((j*d - x0) mod s). */
static bool scatter_above(const Taps *t, long long x0, long long *out)
{
    long long j3 = ceil_div(x0 - t->a * t->s, t->d), j4 = ceil_div(x0 - t->b * t->s, t->d);
    long long from, to, v;
    bool found = false;
    if (j3 < 0)
        j3 = 0;
    if (j3 <= t->k - 1) {
        *out = t->a * t->s + j3 * t->d;
        found = true;
    }
    from = j4 < 0 ? 0 : j4;
    to = j3 - 1 < t->k - 1 ? j3 - 1 : t->k - 1;
    v = min_mod(from * t->d - x0, t->d, t->s, to - from + 1);
    if (v >= 0 && (!found || x0 + v < *out)) {
        *out = x0 + v;
        found = true;
    }
    return found;
}

/* Scatter: the largest value i*s + j*d <= x1; false when there is none.
 * The mirror image of scatter_above. */
static bool scatter_below(const Taps *t, long long x1, long long *out)
{
    long long j5 = floor_div(x1 - t->b * t->s, t->d), j6 = floor_div(x1 - t->a * t->s, t->d);
    long long from, to, v;
    bool found = false;
    if (j5 > t->k - 1)
        j5 = t->k - 1;
    if (j5 >= 0) {
        *out = t->b * t->s + j5 * t->d;
        found = true;
    }
    from = j5 + 1 < 0 ? 0 : j5 + 1;
    to = j6 < t->k - 1 ? j6 : t->k - 1;
    v = min_mod(x1 - from * t->d, -t->d, t->s, to - from + 1);
    if (v >= 0 && (!found || x1 - v > *out)) {
        *out = x1 - v;
        found = true;
    }
    return found;
}

static CellRange range_make(long long lo, long long hi)
{
    CellRange r;
    if (lo > hi) {
        lo = 0;
        hi = -1;
    }
    r.lo = lo < INT_MIN ? INT_MIN : lo > INT_MAX ? INT_MAX : (int)lo;
    r.hi = hi < INT_MIN ? INT_MIN : hi > INT_MAX ? INT_MAX : (int)hi;
    return r;
}

/* An adaptive pool's cells: output o pools inputs [floor(o*n/m),
 * ceil((o+1)*n/m)) (pool.h); so input i is read by the outputs o with
 * floor(i*m/n) <= o <= ceil((i+1)*m/n) - 1. Ranges are clipped to the
 * maps first (an adaptive pool has no padding). */
static CellRange adaptive_range(long long lo, long long hi, long long from, long long to)
{
    if (lo < 0)
        lo = 0;
    if (hi > from - 1)
        hi = from - 1;
    if (lo > hi)
        return range_make(0, -1);
    return range_make(lo * to / from, ((hi + 1) * to + from - 1) / from - 1);
}

CellRange rf_range_back(const RfLayer *layer, int axis, CellRange r)
{
    if (layer->adaptive && r.lo <= r.hi)
        return adaptive_range(r.lo, r.hi, (long long)layer->out_size[axis],
                              (long long)layer->in_size[axis]);
    Taps t = {layer->kernel[axis], layer->stride[axis], layer->dilation[axis], 0, 0};
    long long p = layer->padding[axis], lo, hi;

    if (r.lo > r.hi || t.k < 1 || t.s < 1 || t.d < 1)
        return r;
    if (!layer->transposed)
        return range_make((long long)r.lo * t.s - p, (long long)r.hi * t.s - p + (t.k - 1) * t.d);
    /* the input cells i with i*s - p + j*d in r; a transposed convolution's
       input has no padding cells */
    t.a = (long long)r.lo + p;
    t.b = (long long)r.hi + p;
    if (!gather_span(&t, layer->in_size[axis], &lo, &hi))
        return range_make(0, -1);
    return range_make(lo, hi);
}

CellRange rf_range_forward(const RfLayer *layer, int axis, CellRange r)
{
    if (layer->adaptive && r.lo <= r.hi)
        return adaptive_range(r.lo, r.hi, (long long)layer->in_size[axis],
                              (long long)layer->out_size[axis]);
    Taps t = {layer->kernel[axis], layer->stride[axis], layer->dilation[axis], r.lo, r.hi};
    long long p = layer->padding[axis], lo, hi;
    size_t out = layer->out_size[axis];

    if (r.lo > r.hi || t.k < 1 || t.s < 1 || t.d < 1)
        return r;
    if (!layer->transposed) {
        /* the outputs o with o*s - p + j*d in r */
        t.a += p;
        t.b += p;
        if (!gather_span(&t, out, &lo, &hi))
            return range_make(0, -1);
        return range_make(lo, hi);
    }
    /* the outputs o = i*s - p + j*d of the input cells i in r */
    if (layer->in_size[axis] > 0) {
        if (t.a < 0)
            t.a = 0;
        if (t.b > (long long)layer->in_size[axis] - 1)
            t.b = (long long)layer->in_size[axis] - 1;
    }
    if (t.a > t.b)
        return range_make(0, -1);
    lo = t.a * t.s - p;
    hi = t.b * t.s - p + (t.k - 1) * t.d;
    /* a clipped end may fall between the cells written: find the nearest
       written one inside (values below are o + p) */
    if (out > 0 && lo < 0) {
        if (!scatter_above(&t, p, &lo))
            return range_make(0, -1);
        lo -= p;
    }
    if (out > 0 && hi > (long long)out - 1) {
        if (!scatter_below(&t, (long long)out - 1 + p, &hi))
            return range_make(0, -1);
        hi -= p;
    }
    return range_make(lo, hi);
}
