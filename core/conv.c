/* conv.c: 2-D convolution and transposed convolution (see conv.h).
 *
 *   out[f][y][x] = bias[f] + sum_{c in group(f)} sum_{ky,kx}
 *                  w[f][c'][ky][kx] * in_padded[c][y*s + ky*d][x*s + kx*d]
 *
 * (in_padded is indexed from its own top-left corner, pad_top/pad_left
 * cells before the input). The transposed form scatters every input cell:
 *   out[f][iy*s - pad_top + ky*d][ix*s - pad_left + kx*d] += in[c][iy][ix] * w[c][f'][ky][kx].
 *
 * Speed: the padded input is materialised once (whatever the padding mode),
 * so the inner loops never test bounds. For a horizontal stride s > 1 each
 * padded row is stored split into s phases (columns p, p+s, p+2s, ... for
 * p = 0..s-1, one after another), so the cells that consecutive outputs
 * read through one tap are contiguous whatever the stride. Four
 * filters are computed together in blocks of 16 outputs: 8 vector
 * accumulators stay in registers while every channel and kernel tap is
 * added, and each input vector loaded feeds all four filters (GNU C vector
 * types, lowered by GCC and Clang to AVX2+FMA; used only in the AVX2 copy of
 * the row loop, see below). Leftover filters, the row's tail and CPUs
 * without AVX2 use a per-filter kernel with chunks of CONV_CHUNK
 * accumulators, which the compiler vectorises for the target at hand.
 * Rows are the outer loop and filters the inner one, so the few input rows
 * an output row needs stay in cache across filters.
 * Memory: the padded copy (none without padding at stride 1) plus the
 * output. */
#include "conv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Accumulators per chunk: 64 floats are 8 AVX or 4 AVX-512 registers. */
#define CONV_CHUNK 64
/* The blocked kernel: CONV_BLOCK_F filters x CONV_BLOCK_X outputs, as two
 * 8-float vectors per filter. */
#define CONV_BLOCK_F 4
#define CONV_BLOCK_X 16

/* Vectorise the hot loops even under the default -O2 and let a*b + c fuse
 * into one FMA (rounding once instead of twice, so results may differ from
 * a separate multiply and add in the last bit). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "fp-contract=fast")
#endif

/* On x86-64 the row loops are compiled twice: for the baseline ISA (SSE2),
 * and for AVX2+FMA (with the blocked kernel), chosen per call by CPU
 * features. Every kernel is inlined into both, so each copy is built for
 * its own instruction set. */
#if defined(__x86_64__) && defined(__GNUC__)
#define CONV_X86_DISPATCH
#endif
#define CONV_INLINE static inline __attribute__((always_inline))

/* Where the inputs of one output row are: tap (ci, ky, kx) reads, for
 * output x, base[ci*chan_stride + ky*row_step + tap_offset[kx] + x]. */
typedef struct RowSource {
    const float *base;
    size_t chan_stride, row_step;
    size_t channels, kh, kw;
    const size_t *tap_offset;   /* kw entries */
} RowSource;

/* One chunk of CONV_CHUNK outputs: every index is a constant after
 * unrolling, so the accumulators live in registers. */
CONV_INLINE void conv_chunk_fast(float *restrict o, const RowSource *rs, const float *restrict w,
                                 float bias)
{
    float acc[CONV_CHUNK];
    for (size_t i = 0; i < CONV_CHUNK; i++)
        acc[i] = bias;
    for (size_t ci = 0; ci < rs->channels; ci++) {
        for (size_t ky = 0; ky < rs->kh; ky++) {
            const float *restrict row = rs->base + ci * rs->chan_stride + ky * rs->row_step;
            const float *restrict wr = w + (ci * rs->kh + ky) * rs->kw;
            for (size_t kx = 0; kx < rs->kw; kx++) {
                const float wv = wr[kx];
                const float *restrict src = row + rs->tap_offset[kx];
                for (size_t i = 0; i < CONV_CHUNK; i++)
                    acc[i] += wv * src[i];
            }
        }
    }
    for (size_t i = 0; i < CONV_CHUNK; i++)
        o[i] = acc[i];
}

/* The same for any count n <= CONV_CHUNK (a row's tail). */
CONV_INLINE void conv_chunk_tail(float *restrict o, size_t n, const RowSource *rs,
                                 const float *restrict w, float bias)
{
    for (size_t i = 0; i < n; i++)
        o[i] = bias;
    for (size_t ci = 0; ci < rs->channels; ci++) {
        for (size_t ky = 0; ky < rs->kh; ky++) {
            const float *restrict row = rs->base + ci * rs->chan_stride + ky * rs->row_step;
            const float *restrict wr = w + (ci * rs->kh + ky) * rs->kw;
            for (size_t kx = 0; kx < rs->kw; kx++) {
                const float wv = wr[kx];
                const float *restrict src = row + rs->tap_offset[kx];
                for (size_t i = 0; i < n; i++)
                    o[i] += wv * src[i];
            }
        }
    }
}

/* Eight floats: one AVX register. */
typedef float ConvVec __attribute__((vector_size(8 * sizeof(float))));

/* Unaligned vector loads and stores (memcpy compiles to one instruction). */
#define CONV_LOAD(v, p) memcpy(&(v), (p), sizeof(ConvVec))
#define CONV_STORE(p, v) memcpy((p), &(v), sizeof(ConvVec))

/* CONV_BLOCK_F filters at once, in blocks of CONV_BLOCK_X
 * outputs: filter j writes o + j*plane, has its weights at
 * w + j*filter_size ([channel][ky][kx]) and bias[j]. Returns how many
 * outputs of the row it computed (a multiple of CONV_BLOCK_X). */
CONV_INLINE size_t conv_rows_blocked(float *restrict o, size_t plane, size_t ow, const RowSource *rs,
                                     const float *restrict w, size_t filter_size,
                                     const float *restrict bias)
{
    const float *restrict w0 = w, *restrict w1 = w + filter_size;
    const float *restrict w2 = w + 2 * filter_size, *restrict w3 = w + 3 * filter_size;
    const ConvVec zero = {0};
    size_t x0 = 0;
    for (; x0 + CONV_BLOCK_X <= ow; x0 += CONV_BLOCK_X) {
        ConvVec a0 = zero + bias[0], b0 = a0, a1 = zero + bias[1], b1 = a1;
        ConvVec a2 = zero + bias[2], b2 = a2, a3 = zero + bias[3], b3 = a3;
        size_t tap = 0;
        for (size_t ci = 0; ci < rs->channels; ci++) {
            for (size_t ky = 0; ky < rs->kh; ky++) {
                const float *restrict row = rs->base + ci * rs->chan_stride + ky * rs->row_step + x0;
                for (size_t kx = 0; kx < rs->kw; kx++, tap++) {
                    const float *restrict src = row + rs->tap_offset[kx];
                    ConvVec lo, hi;
                    CONV_LOAD(lo, src);
                    CONV_LOAD(hi, src + 8);
                    a0 += w0[tap] * lo;
                    b0 += w0[tap] * hi;
                    a1 += w1[tap] * lo;
                    b1 += w1[tap] * hi;
                    a2 += w2[tap] * lo;
                    b2 += w2[tap] * hi;
                    a3 += w3[tap] * lo;
                    b3 += w3[tap] * hi;
                }
            }
        }
        CONV_STORE(o + x0, a0);
        CONV_STORE(o + x0 + 8, b0);
        CONV_STORE(o + plane + x0, a1);
        CONV_STORE(o + plane + x0 + 8, b1);
        CONV_STORE(o + 2 * plane + x0, a2);
        CONV_STORE(o + 2 * plane + x0 + 8, b2);
        CONV_STORE(o + 3 * plane + x0, a3);
        CONV_STORE(o + 3 * plane + x0 + 8, b3);
    }
    return x0;
}

/* Computes o[0..ow) = bias + sum over channels and taps, for one output row
 * of one filter whose weights w are laid out [channel][ky][kx]. */
CONV_INLINE void conv_row(float *restrict o, size_t ow, const RowSource *rs,
                          const float *restrict w, float bias)
{
    RowSource at = *rs;
    size_t x0 = 0;
    for (; x0 + CONV_CHUNK <= ow; x0 += CONV_CHUNK) {
        at.base = rs->base + x0;
        conv_chunk_fast(o + x0, &at, w, bias);
    }
    if (x0 < ow) {
        at.base = rs->base + x0;
        conv_chunk_tail(o + x0, ow - x0, &at, w, bias);
    }
}

/* ---- checks ---- */

Status conv_check(const Tensor *input, const Tensor *weights, const Tensor *bias,
                  const ConvParams *p, size_t *out_channels, Error *err)
{
    size_t c = input->c, f, oh, ow;
    size_t g;
    Status st;
    if (input->n != 1)
        return error_set(err, CS_ERR_SHAPE, "the input holds a batch of %zu; convstep takes one image (batch 1)",
                         input->n);
    if (p->groups < 1)
        return error_set(err, CS_ERR_RANGE, "groups %d is not allowed: it must be at least 1", p->groups);
    g = (size_t)p->groups;
    if (c % g != 0)
        return error_set(err, CS_ERR_SHAPE, "groups %zu does not divide the %zu input channel%s", g, c,
                         c == 1 ? "" : "s");
    if (p->transposed) {
        if (weights->n != c)
            return error_set(err, CS_ERR_SHAPE,
                             "transposed weights expect %zu input channel%s but the input has %zu channel%s",
                             weights->n, weights->n == 1 ? "" : "s", c, c == 1 ? "" : "s");
        f = weights->c * g;
    } else {
        if (weights->c * g != c)
            return error_set(err, CS_ERR_SHAPE,
                             "weights expect %zu input channel%s per group but the input has %zu channel%s%s",
                             weights->c, weights->c == 1 ? "" : "s", c, c == 1 ? "" : "s",
                             g == 1 ? "" : " (that is not groups times the weights' channels)");
        f = weights->n;
        if (f % g != 0)
            return error_set(err, CS_ERR_SHAPE, "groups %zu does not divide the %zu output channel%s (filters)",
                             g, f, f == 1 ? "" : "s");
    }
    if (bias && tensor_count(bias) != f)
        return error_set(err, CS_ERR_SHAPE, "bias has %zu value%s but the layer has %zu output channel%s",
                         tensor_count(bias), tensor_count(bias) == 1 ? "" : "s", f, f == 1 ? "" : "s");
    st = geom_conv_output(p, input->h, input->w, weights->h, weights->w, &oh, &ow, err);
    if (st != CS_OK)
        return st;
    *out_channels = f;
    return CS_OK;
}

/* ---- the prepared input ---- */

/* Where phase p (columns p, p+s, ...) of a row of width pw starts when the
 * row is stored phase after phase: the sizes of phases 0..p-1. */
static size_t conv_phase_start(size_t pw, size_t s, size_t p)
{
    size_t start = 0;
    for (size_t q = 0; q < p && q < pw; q++)
        start += (pw - q + s - 1) / s;
    return start;
}

/* The value at input column ix (outside [0, w): padding) of row src. */
static float conv_pad_value(const float *src, PadMode mode, int ix, int w)
{
    int sx = geom_pad_source(mode, ix, w);
    return sx < 0 ? 0.0f : src[sx];
}

/* Fills prepared (C x (H+top+bottom) x (W+left+right)) with the padded
 * input under mode, each row split into s phases. */
static void conv_prepare_input(const Tensor *input, PadMode mode, Pad4 pad, size_t s, Tensor *prepared)
{
    const int h = (int)input->h, w = (int)input->w;
    const size_t pw = prepared->w;
    for (size_t c = 0; c < input->c; c++) {
        for (size_t py = 0; py < prepared->h; py++) {
            float *dst = tensor_at(prepared, 0, c, py, 0);
            int sy = geom_pad_source(mode, (int)py - pad.top, h);
            const float *src;
            if (sy < 0)
                continue; /* zero row, already zero-filled */
            src = tensor_at(input, 0, c, (size_t)sy, 0);
            for (size_t p = 0, start = 0; p < s && p < pw; start += (pw - p + s - 1) / s, p++) {
                /* Padded column px = p + i*s is input column px - left. */
                float *seg = dst + start;
                size_t i = 0, px = p;
                for (; px < pw && px < (size_t)pad.left; i++, px += s)
                    seg[i] = conv_pad_value(src, mode, (int)px - pad.left, w);
                for (; px < pw && px < (size_t)pad.left + (size_t)w; i++, px += s)
                    seg[i] = src[px - (size_t)pad.left];
                for (; px < pw; i++, px += s)
                    seg[i] = conv_pad_value(src, mode, (int)px - pad.left, w);
            }
        }
    }
}

/* ---- forward ---- */

/* The whole layer, row by row; `blocked` enables the four-filter kernel. */
CONV_INLINE void conv_regular_rows(const Tensor *src, const size_t *tap_offset, const Tensor *weights,
                                   const Tensor *bias, const ConvParams *p, Tensor *out, bool blocked)
{
    const size_t groups = (size_t)p->groups, fpg = out->c / groups, cpg = weights->c;
    const size_t filter_size = cpg * weights->h * weights->w, plane = out->h * out->w;
    RowSource rs;
    rs.chan_stride = src->h * src->w;
    rs.row_step = (size_t)p->dilation_h * src->w;
    rs.channels = cpg;
    rs.kh = weights->h;
    rs.kw = weights->w;
    rs.tap_offset = tap_offset;
    for (size_t y = 0; y < out->h; y++) {
        for (size_t group = 0; group < groups; group++) {
            size_t f = group * fpg, f_end = f + fpg;
            rs.base = tensor_at(src, 0, group * cpg, y * (size_t)p->stride_h, 0);
            for (; blocked && f + CONV_BLOCK_F <= f_end; f += CONV_BLOCK_F) {
                float *o = tensor_at(out, 0, f, y, 0);
                const float *w = weights->data + f * filter_size;
                float b[CONV_BLOCK_F];
                RowSource tail = rs;
                size_t done;
                for (size_t j = 0; j < CONV_BLOCK_F; j++)
                    b[j] = bias ? bias->data[f + j] : 0.0f;
                done = conv_rows_blocked(o, plane, out->w, &rs, w, filter_size, b);
                tail.base = rs.base + done;
                for (size_t j = 0; j < CONV_BLOCK_F && done < out->w; j++)
                    conv_row(o + j * plane + done, out->w - done, &tail, w + j * filter_size, b[j]);
            }
            for (; f < f_end; f++)
                conv_row(tensor_at(out, 0, f, y, 0), out->w, &rs, weights->data + f * filter_size,
                         bias ? bias->data[f] : 0.0f);
        }
    }
}

static void conv_regular_baseline(const Tensor *src, const size_t *tap_offset, const Tensor *weights,
                                  const Tensor *bias, const ConvParams *p, Tensor *out)
{
    conv_regular_rows(src, tap_offset, weights, bias, p, out, false);
}

#ifdef CONV_X86_DISPATCH
__attribute__((target("avx2,fma"))) static void conv_regular_avx2(const Tensor *src, const size_t *tap_offset,
                                                                  const Tensor *weights, const Tensor *bias,
                                                                  const ConvParams *p, Tensor *out)
{
    conv_regular_rows(src, tap_offset, weights, bias, p, out, true);
}
#endif

#ifdef CONV_X86_DISPATCH
/* Whether this CPU runs the AVX2+FMA copies. */
static bool conv_has_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

/* src is the prepared input (or the input itself at stride 1 without
 * padding); tap kx of a row reads from tap_offset[kx]. */
static void conv_regular(const Tensor *src, const size_t *tap_offset, const Tensor *weights,
                         const Tensor *bias, const ConvParams *p, Tensor *out)
{
#ifdef CONV_X86_DISPATCH
    if (conv_has_avx2()) {
        conv_regular_avx2(src, tap_offset, weights, bias, p, out);
        return;
    }
#endif
    conv_regular_baseline(src, tap_offset, weights, bias, p, out);
}

/* ---- transposed ---- */

/* Computed by gathering rather than scattering: output (oy, ox) receives
 * tap (ky, kx) from input (iy, ix) when oy + top - ky*dh = iy*sh and
 * ox + left - kx*dw = ix*sw. The outputs of one row with ox = r (mod sw)
 * form a phase that meets the same taps, and along it ix advances by one:
 * each (channel, tap) adds a contiguous input run into a contiguous
 * accumulator row, which is then written back every sw-th cell. The input
 * is copied with `margin` zero columns on each side so those runs never
 * leave the copy. */
CONV_INLINE void conv_transposed_rows(const Tensor *wide, size_t margin, const Tensor *weights,
                                      const Tensor *bias, const ConvParams *p, Pad4 pad, Tensor *out,
                                      float *restrict acc)
{
    const size_t cpg = wide->c / (size_t)p->groups, fpg = weights->c;
    const long sh = p->stride_h, sw = p->stride_w, dh = p->dilation_h, dw = p->dilation_w;
    const long kh = (long)weights->h, kw = (long)weights->w, h = (long)wide->h;
    for (size_t f = 0; f < out->c; f++) {
        const size_t c0 = f / fpg * cpg, fo = f % fpg;
        const float b = bias ? bias->data[f] : 0.0f;
        for (size_t oy = 0; oy < out->h; oy++) {
            float *orow = tensor_at(out, 0, f, oy, 0);
            for (long r = 0; r < sw && r < (long)out->w; r++) {
                const size_t n = (out->w - (size_t)r + (size_t)sw - 1) / (size_t)sw;
                for (size_t j = 0; j < n; j++)
                    acc[j] = b;
                for (long ky = 0; ky < kh; ky++) {
                    long ty = (long)oy + pad.top - ky * dh;
                    if (ty < 0 || ty % sh != 0 || ty / sh >= h)
                        continue;
                    for (long kx = 0; kx < kw; kx++) {
                        long tx = r + pad.left - kx * dw;
                        if (((tx % sw) + sw) % sw != 0)
                            continue;
                        for (size_t ci = 0; ci < cpg; ci++) {
                            const float wv = *tensor_at(weights, c0 + ci, fo, (size_t)ky, (size_t)kx);
                            const float *restrict src =
                                tensor_at(wide, 0, c0 + ci, (size_t)(ty / sh), 0) + (long)margin + tx / sw;
                            for (size_t j = 0; j < n; j++)
                                acc[j] += wv * src[j];
                        }
                    }
                }
                for (size_t j = 0; j < n; j++)
                    orow[(size_t)r + j * (size_t)sw] = acc[j];
            }
        }
    }
}

static void conv_transposed_baseline(const Tensor *wide, size_t margin, const Tensor *weights,
                                     const Tensor *bias, const ConvParams *p, Pad4 pad, Tensor *out,
                                     float *acc)
{
    conv_transposed_rows(wide, margin, weights, bias, p, pad, out, acc);
}

#ifdef CONV_X86_DISPATCH
__attribute__((target("avx2,fma"))) static void conv_transposed_avx2(const Tensor *wide, size_t margin,
                                                                     const Tensor *weights, const Tensor *bias,
                                                                     const ConvParams *p, Pad4 pad,
                                                                     Tensor *out, float *acc)
{
    conv_transposed_rows(wide, margin, weights, bias, p, pad, out, acc);
}
#endif

static Status conv_forward_transposed(const Tensor *input, const Tensor *weights, const Tensor *bias,
                                      const ConvParams *p, Pad4 pad, Tensor *out, Error *err)
{
    const size_t sw = (size_t)p->stride_w;
    const size_t margin = ((weights->w - 1) * (size_t)p->dilation_w + (size_t)p->output_padding_w) / sw + 1;
    Tensor wide;
    float *acc = malloc(((out->w + sw - 1) / sw) * sizeof *acc);
    Status st;
    if (!acc)
        return error_set(err, CS_ERR_NOMEM, "cannot allocate a %zu-wide row", out->w);
    st = tensor_init(&wide, 1, input->c, input->h, input->w + 2 * margin, 3, err);
    if (st != CS_OK) {
        free(acc);
        return st;
    }
    for (size_t c = 0; c < input->c; c++)
        for (size_t y = 0; y < input->h; y++)
            memcpy(tensor_at(&wide, 0, c, y, margin), tensor_at(input, 0, c, y, 0), input->w * sizeof(float));
#ifdef CONV_X86_DISPATCH
    if (conv_has_avx2())
        conv_transposed_avx2(&wide, margin, weights, bias, p, pad, out, acc);
    else
#endif
        conv_transposed_baseline(&wide, margin, weights, bias, p, pad, out, acc);
    tensor_free(&wide);
    free(acc);
    return CS_OK;
}

/* Prepares the input (unless it can be read as it is) and runs the layer. */
static Status conv_forward_regular(const Tensor *input, const Tensor *weights, const Tensor *bias,
                                   const ConvParams *p, Pad4 pad, Tensor *out, Error *err)
{
    const size_t s = (size_t)p->stride_w, d = (size_t)p->dilation_w;
    const bool as_is = s == 1 && pad.top == 0 && pad.bottom == 0 && pad.left == 0 && pad.right == 0;
    Tensor prepared = {0};
    size_t *tap_offset = malloc(weights->w * sizeof *tap_offset);
    Status st = CS_OK;
    if (!tap_offset)
        return error_set(err, CS_ERR_NOMEM, "cannot allocate the offsets of a %zu-wide kernel", weights->w);
    if (!as_is) {
        st = tensor_init(&prepared, 1, input->c, input->h + (size_t)pad.top + (size_t)pad.bottom,
                         input->w + (size_t)pad.left + (size_t)pad.right, 3, err);
        if (st != CS_OK) {
            free(tap_offset);
            return st;
        }
        conv_prepare_input(input, p->pad_mode, pad, s, &prepared);
    }
    /* Tap kx reads padded column x*s + kx*d: phase (kx*d) % s, index x + (kx*d) / s. */
    for (size_t kx = 0; kx < weights->w; kx++)
        tap_offset[kx] = conv_phase_start(as_is ? input->w : prepared.w, s, kx * d % s) + kx * d / s;
    conv_regular(as_is ? input : &prepared, tap_offset, weights, bias, p, out);
    tensor_free(&prepared);
    free(tap_offset);
    return CS_OK;
}

Status conv_forward(const Tensor *input, const Tensor *weights, const Tensor *bias,
                    const ConvParams *p, Tensor *out, Error *err)
{
    size_t f, oh, ow;
    Pad4 pad;
    Status st;
    memset(out, 0, sizeof *out);
    if ((st = conv_check(input, weights, bias, p, &f, err)) != CS_OK ||
        (st = geom_conv_output(p, input->h, input->w, weights->h, weights->w, &oh, &ow, err)) != CS_OK ||
        (st = geom_conv_padding(p, input->h, input->w, weights->h, weights->w, &pad, err)) != CS_OK)
        return st;
    st = tensor_init(out, 1, f, oh, ow, input->rank > 3 ? input->rank : 3, err);
    if (st != CS_OK)
        return st;
    if (p->transposed)
        st = conv_forward_transposed(input, weights, bias, p, pad, out, err);
    else
        st = conv_forward_regular(input, weights, bias, p, pad, out, err);
    if (st != CS_OK)
        tensor_free(out);
    return st;
}
