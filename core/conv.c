/* conv.c: 2-D convolution and transposed convolution (see conv.h).
 *
 *   out[f][y][x] = bias[f] + sum_{c in group(f)} sum_{ky,kx}
 *                  w[f][c'][ky][kx] * in_padded[c][y*s + ky*d][x*s + kx*d]
 *
 * (in_padded is indexed from its own top-left corner, pad_top/pad_left
 * cells before the input). The transposed form scatters every input cell:
 *   out[f][iy*s - pad_top + ky*d][ix*s - pad_left + kx*d] += in[c][iy][ix] * w[c][f'][ky][kx].
 *
 * Speed: a regular convolution runs in convflat.c (a direct kernel over a
 * flattened, stride-split copy of the padded input, one copy per
 * instruction set, chosen per call by isa_active()). The transposed one
 * gathers instead of scattering, see below. */
#include "conv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "convflat.h"
#include "isa.h"
#include "winograd.h"

/* Vectorise the transposed loops even under the default -O2 and let
 * a*b + c fuse into one FMA (rounding once instead of twice, so results may
 * differ from a separate multiply and add in the last bit). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "fp-contract=fast")
#endif

/* On x86-64 the transposed loops are compiled three times, for the
 * baseline ISA (SSE2), AVX2+FMA and AVX-512, and isa_active() picks one per
 * call. */
#if defined(__x86_64__) && defined(__GNUC__)
#define CONV_X86_DISPATCH
#endif
#define CONV_INLINE static inline __attribute__((always_inline))

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

__attribute__((target("avx512f,avx2,fma"))) static void conv_transposed_avx512(const Tensor *wide, size_t margin,
                                                                           const Tensor *weights,
                                                                           const Tensor *bias, const ConvParams *p,
                                                                           Pad4 pad, Tensor *out, float *acc)
{
    conv_transposed_rows(wide, margin, weights, bias, p, pad, out, acc);
}
#endif

static Status conv_forward_transposed(const Tensor *input, const Tensor *weights, const Tensor *bias,
                                      const ConvParams *p, Pad4 pad, CpuIsa isa, Tensor *out, Error *err)
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
    if (isa == ISA_AVX512)
        conv_transposed_avx512(&wide, margin, weights, bias, p, pad, out, acc);
    else if (isa == ISA_AVX2)
        conv_transposed_avx2(&wide, margin, weights, bias, p, pad, out, acc);
    else
#endif
        conv_transposed_baseline(&wide, margin, weights, bias, p, pad, out, acc);
    tensor_free(&wide);
    free(acc);
    return CS_OK;
}

Status conv_forward(const Tensor *input, const Tensor *weights, const Tensor *bias,
                    const ConvParams *p, Tensor *out, Error *err)
{
    return conv_forward_threads(input, weights, bias, p, NULL, out, err);
}

Status conv_forward_threads(const Tensor *input, const Tensor *weights, const Tensor *bias,
                            const ConvParams *p, Threads *threads, Tensor *out, Error *err)
{
    const CpuIsa isa = isa_active();
    const int rank = input->rank > 3 ? input->rank : 3;
    size_t f, oh, ow;
    Pad4 pad;
    Status st;
    memset(out, 0, sizeof *out);
    if ((st = conv_check(input, weights, bias, p, &f, err)) != CS_OK ||
        (st = geom_conv_output(p, input->h, input->w, weights->h, weights->w, &oh, &ow, err)) != CS_OK ||
        (st = geom_conv_padding(p, input->h, input->w, weights->h, weights->w, &pad, err)) != CS_OK)
        return st;
    if (!p->transposed && winograd_applies(weights, p))
        return winograd_forward(input, weights, bias, p, pad, oh, ow, rank, isa, threads, out, err);
    if (!p->transposed)
        return convflat_forward(input, weights, bias, p, pad, oh, ow, rank, isa, threads, out, err);
    st = tensor_init(out, 1, f, oh, ow, rank, err);
    if (st == CS_OK)
        st = conv_forward_transposed(input, weights, bias, p, pad, isa, out, err);
    if (st != CS_OK)
        tensor_free(out);
    return st;
}
