/* convflat.c: regular convolution as one long 1-D convolution per group
 * (see convflat.h).
 *
 *   out[f][y][x] = bias[f] + sum_{c, ky, kx} w[f][c][ky][kx] * padded[c][y*sh + ky*dh][x*sw + kx*dw]
 *
 * The padded input (pad_top/pad_left cells before it, the padding mode
 * applied) is copied once, split by stride phase in both directions
 * ("space to depth"): padded[c][r*sh + py][q*sw + px] is stored at
 *
 *   src[c*chan_pitch + (py*sw + px)*R*L + r*L + q],   R = ceil(PH/sh), L = ceil(PW/sw),
 *
 * so tap (ky, kx) of output (y, x) reads src[c*chan_pitch + tap_off[ky][kx] + y*L + x]
 * with tap_off = phase(ky*dh % sh, kx*dw % sw)*R*L + (ky*dh/sh)*L + kx*dw/sw.
 * Numbering the outputs flat, i = y*L + x, every tap reads a contiguous run
 * of the source whatever the stride, dilation or padding: the layer is
 *
 *   flat[f][i] = bias[f] + sum_{c, t} w[f][c][t] * src[c*chan_pitch + tap_off[t] + i],
 *
 * computed in tiles of F filters x a few vectors of i (convflat_tiles.h).
 * Columns x >= ow of each flat row (L - ow of them, (kw-1)*dw/sw + a
 * rounding) are computed and thrown away: the flat buffer is compacted in
 * place into the output. When a row would waste more than it keeps, the
 * tiles cover each output row alone instead (row mode).
 *
 * Order: per group, the flat outputs are cut into pieces of CONVFLAT_CHUNK
 * (row mode: one row each); every block of filters runs over a piece
 * before the next piece starts, so the piece's input stays in cache while
 * the blocks' packed weights ([channel][tap][F], at most 27 KiB for a
 * VGG body layer) are reused across its tiles. Within an output the sum runs
 * channel by channel, tap by tap, in one order on every run.
 *
 * Memory: the prepared copy (none for a 1x1 kernel at stride 1 without
 * padding) plus the output with L - ow extra columns per row until
 * compacted. */
#include "convflat.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Vectorise under the default -O2 too and fuse a*b + c into one FMA where
 * the target has it (rounding once; each ISA path is deterministic). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "fp-contract=fast")
#endif

#define CF_INLINE static inline __attribute__((always_inline))

/* Flat outputs per piece: a multiple of every ISA's tile, small enough that
 * a piece's input rows of a 64-channel layer stay in the L2 cache. */
#define CONVFLAT_CHUNK 1024
/* Room past the flat outputs for the last tile of any ISA (at most 64). */
#define CONVFLAT_SLACK 64
/* Floats per filter in the scratch a piece is computed into. */
#define CONVFLAT_SCRATCH (CONVFLAT_CHUNK + CONVFLAT_SLACK)
/* The most filters one block holds (AVX-512). */
#define CONVFLAT_FMAX 12

/* Where a group's input is: channel c at src + c*chan_pitch, tap t at
 * tap_off[t] from there. */
typedef struct FlatSource {
    const float *src;
    size_t chan_pitch, channels, taps;
    const size_t *tap_off;
} FlatSource;

/* How the flat outputs of one group are cut and where they go. */
typedef struct FlatPlan {
    size_t fpg;            /* filters per group */
    size_t L, oh, ow;      /* flat row pitch, output rows and columns */
    size_t n;              /* flat outputs per plane: oh*L */
    bool rows;             /* row mode: pieces cover [y*L, y*L + ow) for each y */
    size_t per_row;        /* row mode: pieces per row */
    size_t pieces;
} FlatPlan;

/* Piece k's flat outputs [*a, *b). */
static void convflat_piece(const FlatPlan *plan, size_t k, size_t *a, size_t *b)
{
    if (plan->rows) {
        const size_t y = k / plan->per_row, row_end = y * plan->L + plan->ow;
        *a = y * plan->L + k % plan->per_row * CONVFLAT_CHUNK;
        *b = *a + CONVFLAT_CHUNK < row_end ? *a + CONVFLAT_CHUNK : row_end;
    } else {
        *a = k * CONVFLAT_CHUNK;
        *b = *a + CONVFLAT_CHUNK < plan->n ? *a + CONVFLAT_CHUNK : plan->n;
    }
}

/* Copies the flat outputs [a, b) of F filters from scratch (filter j at
 * scratch + j*CONVFLAT_SCRATCH, output a first) to their places in the
 * planes at out (oh x ow each), dropping the columns x >= ow. */
static void convflat_emit(const FlatPlan *plan, const float *scratch, size_t F, size_t a, size_t b,
                          float *out)
{
    for (size_t i = a; i < b;) {
        const size_t y = i / plan->L, x = i % plan->L;
        const size_t row_end = (y + 1) * plan->L < b ? (y + 1) * plan->L : b;
        if (x < plan->ow) {
            const size_t n = (row_end - i < plan->ow - x) ? row_end - i : plan->ow - x;
            for (size_t j = 0; j < F; j++)
                memcpy(out + j * plan->oh * plan->ow + y * plan->ow + x, scratch + j * CONVFLAT_SCRATCH + (i - a),
                       n * sizeof *out);
        }
        i = row_end;
    }
}

/* The size of the filter block starting at f0 when fpg filters are cut
 * into the fewest blocks of at most fmax, as even as possible (64 filters
 * with fmax 12: 11, 11, 11, 11, 10, 10). */
static size_t convflat_block(size_t fpg, size_t fmax, size_t f0)
{
    const size_t blocks = (fpg + fmax - 1) / fmax, base = fpg / blocks, extra = fpg % blocks;
    return f0 < extra * (base + 1) ? base + 1 : base;
}

/* ---- the kernels, one copy per instruction set ---- */

typedef float CfVec4 __attribute__((vector_size(4 * sizeof(float))));

#define CF_VEC CfVec4
#define CF_LANES 4
#define CF_V 2
#define CF_FMAX 6
#define CF_SUFFIX portable
#define CF_TARGET
#include "convflat_tiles.h"
#undef CF_VEC
#undef CF_LANES
#undef CF_V
#undef CF_FMAX
#undef CF_SUFFIX
#undef CF_TARGET

#if defined(__x86_64__) && defined(__GNUC__)
#define CONVFLAT_X86
typedef float CfVec8 __attribute__((vector_size(8 * sizeof(float))));
typedef float CfVec16 __attribute__((vector_size(16 * sizeof(float))));

/* 16 registers: 12 accumulators, 2 inputs, 1 broadcast weight. */
#define CF_VEC CfVec8
#define CF_LANES 8
#define CF_V 2
#define CF_FMAX 6
#define CF_SUFFIX avx2
#define CF_TARGET __attribute__((target("avx2,fma")))
#include "convflat_tiles.h"
#undef CF_VEC
#undef CF_LANES
#undef CF_V
#undef CF_FMAX
#undef CF_SUFFIX
#undef CF_TARGET

/* 32 registers: 24 accumulators, 2 inputs, broadcast weights. */
#define CF_VEC CfVec16
#define CF_LANES 16
#define CF_V 2
#define CF_FMAX 12
#define CF_SUFFIX avx512
#define CF_TARGET __attribute__((target("avx512f,avx2,fma")))
#include "convflat_tiles.h"
#undef CF_VEC
#undef CF_LANES
#undef CF_V
#undef CF_FMAX
#undef CF_SUFFIX
#undef CF_TARGET
#endif

static void convflat_group(CpuIsa isa, const FlatSource *s, const FlatPlan *plan, const float *w,
                           const float *bias, float *scratch, float *out)
{
    switch (isa) {
#ifdef CONVFLAT_X86
    case ISA_AVX512:
        convflat_group_avx512(s, plan, w, bias, scratch, out);
        return;
    case ISA_AVX2:
        convflat_group_avx2(s, plan, w, bias, scratch, out);
        return;
#endif
    default:
        convflat_group_portable(s, plan, w, bias, scratch, out);
        return;
    }
}

/* ---- preparing the input and the weights ---- */

/* Fills src (zeroed, c*chan_pitch floats and more) with the padded input
 * under mode, split by phase as described at the top. */
static void convflat_prepare(const Tensor *input, PadMode mode, Pad4 pad, size_t sh, size_t sw,
                             size_t R, size_t L, size_t chan_pitch, float *src)
{
    const int h = (int)input->h, w = (int)input->w;
    const size_t ph = input->h + (size_t)pad.top + (size_t)pad.bottom;
    const size_t pw = input->w + (size_t)pad.left + (size_t)pad.right;
    for (size_t c = 0; c < input->c; c++) {
        for (size_t py = 0; py < ph; py++) {
            const int sy = geom_pad_source(mode, (int)py - pad.top, h);
            const float *row;
            if (sy < 0)
                continue; /* a zero row */
            row = tensor_at(input, 0, c, (size_t)sy, 0);
            for (size_t px = 0; px < sw && px < pw; px++) {
                float *dst = src + c * chan_pitch + ((py % sh) * sw + px) * R * L + (py / sh) * L;
                size_t q = 0, col = px; /* padded column col = px + q*sw */
                for (; col < pw && col < (size_t)pad.left; q++, col += sw) {
                    const int sx = geom_pad_source(mode, (int)col - pad.left, w);
                    dst[q] = sx < 0 ? 0.0f : row[sx];
                }
                if (sw == 1 && col < (size_t)pad.left + (size_t)w) {
                    memcpy(dst + q, row + (col - (size_t)pad.left), ((size_t)w - (col - (size_t)pad.left)) * sizeof(float));
                    q += (size_t)w - (col - (size_t)pad.left);
                    col = (size_t)pad.left + (size_t)w;
                }
                for (; col < pw && col < (size_t)pad.left + (size_t)w; q++, col += sw)
                    dst[q] = row[col - (size_t)pad.left];
                for (; col < pw; q++, col += sw) {
                    const int sx = geom_pad_source(mode, (int)col - pad.left, w);
                    dst[q] = sx < 0 ? 0.0f : row[sx];
                }
            }
        }
    }
}

/* Packs weights (F x cpg x kh x kw) per group and per filter block of at
 * most fmax as [channel][tap][filter of the block]. */
static void convflat_pack(const Tensor *weights, size_t groups, size_t fmax, float *wp)
{
    const size_t fpg = weights->n / groups, cpg = weights->c, taps = weights->h * weights->w;
    for (size_t g = 0; g < groups; g++) {
        for (size_t f0 = 0; f0 < fpg;) {
            const size_t F = convflat_block(fpg, fmax, f0);
            float *block = wp + (g * fpg + f0) * cpg * taps;
            for (size_t j = 0; j < F; j++) {
                const float *wf = weights->data + (g * fpg + f0 + j) * cpg * taps;
                for (size_t k = 0; k < cpg * taps; k++)
                    block[k * F + j] = wf[k];
            }
            f0 += F;
        }
    }
}

static size_t convflat_fmax(CpuIsa isa)
{
    return isa == ISA_AVX512 ? CONVFLAT_FMAX : 6;
}

/* ---- the layer ---- */

Status convflat_forward(const Tensor *input, const Tensor *weights, const Tensor *bias,
                        const ConvParams *p, Pad4 pad, size_t oh, size_t ow, int rank, CpuIsa isa,
                        Tensor *out, Error *err)
{
    const size_t sh = (size_t)p->stride_h, sw = (size_t)p->stride_w;
    const size_t dh = (size_t)p->dilation_h, dw = (size_t)p->dilation_w;
    const size_t kh = weights->h, kw = weights->w, taps = kh * kw;
    const size_t groups = (size_t)p->groups, cpg = weights->c, f = weights->n, fpg = f / groups;
    const size_t ph = input->h + (size_t)pad.top + (size_t)pad.bottom;
    const size_t pw = input->w + (size_t)pad.left + (size_t)pad.right;
    const size_t R = (ph + sh - 1) / sh, L = (pw + sw - 1) / sw;
    const bool no_pad = pad.top == 0 && pad.bottom == 0 && pad.left == 0 && pad.right == 0;
    /* A 1x1 kernel at stride 1 reads the input as it is, when no tile runs
     * past its end. */
    const bool as_is = taps == 1 && sh == 1 && sw == 1 && no_pad && (oh * L) % CONVFLAT_SLACK == 0;
    const size_t chan_pitch = as_is ? input->h * input->w : sh * sw * R * L;
    /* Row mode when a flat row's thrown-away columns outnumber its outputs. */
    const bool rows = L - ow > ow;
    const size_t per_row = (ow + CONVFLAT_CHUNK - 1) / CONVFLAT_CHUNK;
    FlatPlan plan = {fpg, L, oh, ow, oh * L, rows, per_row,
                     rows ? oh * per_row : (oh * L + CONVFLAT_CHUNK - 1) / CONVFLAT_CHUNK};
    size_t *tap_off = malloc(taps * sizeof *tap_off);
    float *src = NULL, *wp = malloc(f * cpg * taps * sizeof *wp), *zeros = NULL;
    float *scratch = malloc(CONVFLAT_FMAX * CONVFLAT_SCRATCH * sizeof *scratch);
    Status st = tensor_init(out, 1, f, oh, ow, rank, err);

    if (!as_is)
        src = calloc(input->c * chan_pitch + L + 2 * CONVFLAT_SLACK, sizeof *src);
    if (!bias)
        zeros = calloc(f, sizeof *zeros);
    if (st == CS_OK && (!tap_off || !wp || (!as_is && !src) || !scratch || (!bias && !zeros))) {
        tensor_free(out);
        st = error_set(err, CS_ERR_NOMEM, "cannot allocate the working copies of a %zux%zux%zu layer", f, oh, ow);
    }
    if (st != CS_OK)
        goto done;
    for (size_t ky = 0; ky < kh; ky++)
        for (size_t kx = 0; kx < kw; kx++)
            tap_off[ky * kw + kx] = ((ky * dh % sh) * sw + kx * dw % sw) * R * L + (ky * dh / sh) * L + kx * dw / sw;
    if (!as_is)
        convflat_prepare(input, p->pad_mode, pad, sh, sw, R, L, chan_pitch, src);
    convflat_pack(weights, groups, convflat_fmax(isa), wp);
    for (size_t g = 0; g < groups; g++) {
        FlatSource s = {(as_is ? input->data : src) + g * cpg * chan_pitch, chan_pitch, cpg, taps, tap_off};
        convflat_group(isa, &s, &plan, wp + g * fpg * cpg * taps, (bias ? bias->data : zeros) + g * fpg, scratch,
                       out->data + g * fpg * oh * ow);
    }
done:
    free(tap_off);
    free(src);
    free(wp);
    free(scratch);
    free(zeros);
    return st;
}
