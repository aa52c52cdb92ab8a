/* conv_grad.c: a convolution over a batch and its backward pass (see
 * conv_grad.h).
 *
 * Every operation here is one of three on a convolution seen as a map
 * from a side A (which the window reads) to a side B (which it writes):
 *
 *   col[(c, ky, kx)][(n, y, x)] = A_padded[n][c][y*sh + ky*dh][x*sw + kx*dw]   (im2col)
 *   forward:      B  = W . col + bias                    (W: B channels x K per group)
 *   weight grad:  gW += dB . col^T                       (sums over images and positions)
 *   input grad:   dA = col2im(W^T . dB)                  (each column entry added back to
 *                                                         the A cell it was read from)
 *
 * A regular convolution has A = its input, B = its output. A transposed
 * convolution is the input gradient of the regular convolution with the
 * same weights (in, out/groups, kh, kw), so there A = its output and
 * B = its input: its forward is col2im(W^T . x) + bias, its input gradient
 * is W . col(dy), and its weight gradient x . col(dy)^T.
 *
 * The products W . col that are whole convolutions (a regular layer's
 * forward; a transposed layer's input gradient when output_padding is below
 * the stride, so that its size comes out as the input's) run through
 * convflat's direct kernel over the batch instead, which was measured
 * faster at the trainer's shapes (conv2 at batch 64: 0.27 ms against 0.32
 * for im2col + 1x1 kernel); the rest run as below.
 *
 * Images are taken a chunk at a time; a chunk's columns sit side by side
 * in rows of L floats (image j's positions at j*P, then zeros up to a
 * multiple of the vector width), so the products run over one long row per
 * channel instead of one short row per image. At stride 1 the positions
 * are wide: P = B's rows x A's (padded) row pitch, the columns past B's
 * width computed and thrown away (B values there are zeros on the way in),
 * so that each column row of an image is one contiguous run of A, copied
 * in one go (and added back in one go), as in convflat.c; at other strides
 * P = B's rows x columns, copied row by row. The
 * products are convflat's 1x1 kernel (forward and input gradient) and the
 * dot tiles of conv_grad_tiles.h (weight gradient), compiled per
 * instruction set. Padding: A is copied padded under its mode before the
 * im2col; the input gradient is added up in such a padded copy and each
 * padded cell is then added to the cell it was copied from
 * (geom_pad_source), so reflect, replicate and circular padding send their
 * gradient back to their sources. */
#include "conv_grad.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "convflat.h"
#include "isa.h"

/* Vectorise the copies under the default -O2 too, and fuse a*b + c into
 * one FMA where the target has it (each ISA path is deterministic). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "fp-contract=fast")
#endif

#define CG_INLINE static inline __attribute__((always_inline))
#define CG_UNROLL _Pragma("GCC unroll 16")
/* Keeps a loaded vector in a register: without it GCC folds the load into
 * each of the fused multiply-adds that use it, and a dot tile then loads
 * 27 vectors for 24 FMAs instead of 11. */
#if defined(__x86_64__) && defined(__GNUC__)
#define CG_IN_REGISTER(v) __asm__("" : "+v"(v))
#else
#define CG_IN_REGISTER(v) ((void)0)
#endif

/* Floats of columns and B rows per chunk of images: a chunk's working set
 * stays in the L2 cache between the im2col, the products and the col2im,
 * and each buffer stays below glibc's mmap threshold (128 KiB), so a call
 * reuses heap pages instead of faulting fresh ones in (at 128K floats the
 * trainer's conv1 took 1.4 ms instead of 0.45 per batch of 64, mostly in
 * page faults). */
#define CONV_GRAD_CHUNK_FLOATS (32 * 1024)
/* Rows of a chunk are padded to a multiple of this (the widest vector). */
#define CONV_GRAD_ALIGN 16

/* ---- the kernels, one copy per instruction set ---- */

typedef float CgVec4 __attribute__((vector_size(4 * sizeof(float))));

#define CG_VEC CgVec4
#define CG_LANES 4
#define CG_FA 4
#define CG_KB 3
#define CG_SUFFIX portable
#define CG_TARGET
#include "conv_grad_tiles.h"
#undef CG_VEC
#undef CG_LANES
#undef CG_FA
#undef CG_KB
#undef CG_SUFFIX
#undef CG_TARGET

#if defined(__x86_64__) && defined(__GNUC__)
#define CONV_GRAD_X86
typedef float CgVec8 __attribute__((vector_size(8 * sizeof(float))));
typedef float CgVec16 __attribute__((vector_size(16 * sizeof(float))));

/* 16 registers: 12 accumulators, 3 + 1 operands. */
#define CG_VEC CgVec8
#define CG_LANES 8
#define CG_FA 4
#define CG_KB 3
#define CG_SUFFIX avx2
#define CG_TARGET __attribute__((target("avx2,fma")))
#include "conv_grad_tiles.h"
#undef CG_VEC
#undef CG_LANES
#undef CG_FA
#undef CG_KB
#undef CG_SUFFIX
#undef CG_TARGET

/* 32 registers: 24 accumulators, 3 + 1 operands. */
#define CG_VEC CgVec16
#define CG_LANES 16
#define CG_FA 8
#define CG_KB 3
#define CG_SUFFIX avx512
#define CG_TARGET __attribute__((target("avx512f,avx2,fma")))
#include "conv_grad_tiles.h"
#undef CG_VEC
#undef CG_LANES
#undef CG_FA
#undef CG_KB
#undef CG_SUFFIX
#undef CG_TARGET
#endif

static void grad_dot(CpuIsa isa, const float *a, size_t lda, size_t m, const float *const *b, size_t k, size_t n,
                     size_t images, size_t a_step, size_t b_step, float *part, bool first)
{
    switch (isa) {
#ifdef CONV_GRAD_X86
    case ISA_AVX512:
        grad_dot_avx512(a, lda, m, b, k, n, images, a_step, b_step, part, first);
        return;
    case ISA_AVX2:
        grad_dot_avx2(a, lda, m, b, k, n, images, a_step, b_step, part, first);
        return;
#endif
    default:
        grad_dot_portable(a, lda, m, b, k, n, images, a_step, b_step, part, first);
        return;
    }
}

static void grad_dot_finish(CpuIsa isa, const float *part, size_t m, size_t k, float *out, size_t ldo)
{
    switch (isa) {
#ifdef CONV_GRAD_X86
    case ISA_AVX512:
        grad_dot_finish_avx512(part, m, k, out, ldo);
        return;
    case ISA_AVX2:
        grad_dot_finish_avx2(part, m, k, out, ldo);
        return;
#endif
    default:
        grad_dot_finish_portable(part, m, k, out, ldo);
        return;
    }
}

static void grad_add_taps(CpuIsa isa, float *d, const float *s, size_t pitch, size_t kw, size_t dw, size_t n)
{
    switch (isa) {
#ifdef CONV_GRAD_X86
    case ISA_AVX512:
        grad_add_taps_avx512(d, s, pitch, kw, dw, n);
        return;
    case ISA_AVX2:
        grad_add_taps_avx2(d, s, pitch, kw, dw, n);
        return;
#endif
    default:
        grad_add_taps_portable(d, s, pitch, kw, dw, n);
        return;
    }
}

static float grad_sum(CpuIsa isa, const float *x, size_t n)
{
    switch (isa) {
#ifdef CONV_GRAD_X86
    case ISA_AVX512:
        return grad_sum_avx512(x, n);
    case ISA_AVX2:
        return grad_sum_avx2(x, n);
#endif
    default:
        return grad_sum_portable(x, n);
    }
}

/* ---- a convolution as A -> B ---- */

typedef struct GradLayer {
    size_t n;                   /* images */
    size_t ca, ha, wa;          /* A: the side the window reads */
    size_t cb, hb, wb;          /* B: the side the window writes */
    size_t kh, kw, groups;
    size_t cpg, fpg, kg;        /* per group: A channels, B channels, col rows (cpg*kh*kw) */
    size_t sh, sw, dh, dw;
    size_t top, left;           /* padding before A */
    size_t ph, pw;              /* the padded extent of A the windows need */
    PadMode mode;
    bool padded;                /* some window reads a padding cell */
    const float *w;             /* (cb, cpg, kh, kw) */
    bool wide;                  /* stride 1: positions y*pitch + x, x < pitch */
    size_t pitch;               /* floats between rows of A as the columns read it */
    size_t span;                /* positions per image that hold values: hb*pitch when wide, else hb*wb */
    size_t P;                   /* floats per image in a chunk's rows: span, rounded up to a vector when wide */
    size_t plane;               /* floats per channel of one image of A as the columns read it */
    size_t LA;                  /* floats per channel of a chunk's packed A (wide) */
    size_t nb, L;               /* images per chunk; floats per row of a chunk */
    CpuIsa isa;
} GradLayer;

/* Working memory of one call. */
typedef struct GradWork {
    float *col;                 /* ca*kh*kw rows of L: the chunk's columns (or their gradient) */
    float *brows;               /* cb rows of L: the chunk's B values */
    float *apad;                /* ca x ph x pw: one image of A padded (or its gradient) */
    float *apack;               /* wide: ca rows of LA, the chunk's images of A (padded) side by side */
    const float **brow;         /* the dot's b rows: one per column row */
    float *packed;              /* the weights packed for convflat_matmul */
    float *wt;                  /* one group's weights transposed, before packing */
    float *part;                /* the weight gradient's partial sums, CONV_GRAD_ALIGN lanes each */
    float *zeros;               /* a zero bias for convflat_matmul */
    float *scratch;             /* convflat_matmul's */
    int *rows, *cols;           /* source row / column of each padded one, -1 for zero */
} GradWork;

static size_t grad_round(size_t x, size_t to)
{
    return (x + to - 1) / to * to;
}

/* Fills the sizes of g for a convolution from A (n x ca x ha x wa) to B
 * (cb x hb x wb) with p's stride, dilation, groups and padding mode, pad
 * before A, and weights (cb, ca/groups, kh, kw). */
static void grad_layer_init(GradLayer *g, size_t n, size_t ca, size_t ha, size_t wa, size_t cb, size_t hb,
                            size_t wb, const Tensor *weights, const ConvParams *p, Pad4 pad)
{
    size_t need_h, need_w, per_image;
    memset(g, 0, sizeof *g);
    g->n = n;
    g->ca = ca, g->ha = ha, g->wa = wa;
    g->cb = cb, g->hb = hb, g->wb = wb;
    g->kh = weights->h, g->kw = weights->w;
    g->groups = (size_t)p->groups;
    g->cpg = ca / g->groups, g->fpg = cb / g->groups;
    g->kg = g->cpg * g->kh * g->kw;
    g->sh = (size_t)p->stride_h, g->sw = (size_t)p->stride_w;
    g->dh = (size_t)p->dilation_h, g->dw = (size_t)p->dilation_w;
    g->top = (size_t)pad.top, g->left = (size_t)pad.left;
    g->mode = p->pad_mode;
    g->w = weights->data;
    need_h = (hb - 1) * g->sh + (g->kh - 1) * g->dh + 1;
    need_w = (wb - 1) * g->sw + (g->kw - 1) * g->dw + 1;
    g->ph = need_h > g->top + ha ? need_h : g->top + ha;
    g->pw = need_w > g->left + wa ? need_w : g->left + wa;
    g->padded = g->top > 0 || g->left > 0 || g->ph > ha || g->pw > wa;
    g->wide = g->sh == 1 && g->sw == 1;
    g->pitch = g->padded ? g->pw : wa;
    g->span = g->wide ? hb * g->pitch : hb * wb;
    g->P = g->wide ? grad_round(g->span, CONV_GRAD_ALIGN) : g->span;
    g->plane = g->padded ? g->ph * g->pw : ha * wa;
    per_image = (ca * g->kh * g->kw + cb) * g->P;
    g->nb = CONV_GRAD_CHUNK_FLOATS / (per_image ? per_image : 1);
    g->nb = g->nb < 1 ? 1 : g->nb > n ? n : g->nb;
    g->L = grad_round(g->nb * g->P, CONV_GRAD_ALIGN);
    g->LA = g->wide ? g->nb * g->plane : 0;
    g->isa = isa_active();
}

static void grad_work_free(GradWork *wk)
{
    free(wk->col);
    free(wk->brows);
    free(wk->apad);
    free(wk->apack);
    free(wk->brow);
    free(wk->packed);
    free(wk->wt);
    free(wk->part);
    free(wk->zeros);
    free(wk->scratch);
    free(wk->rows);
    free(wk->cols);
    memset(wk, 0, sizeof *wk);
}

/* Allocates wk for g; the rows past each buffer's end are zeros
 * convflat_matmul may read. */
static Status grad_work_alloc(GradWork *wk, const GradLayer *g, Error *err)
{
    const size_t k = g->ca * g->kh * g->kw, wcount = g->cb * g->kg;
    size_t col_floats, b_floats, pad_floats;
    memset(wk, 0, sizeof *wk);
    if (__builtin_mul_overflow(k, g->L, &col_floats) || __builtin_mul_overflow(g->cb, g->L, &b_floats) ||
        __builtin_mul_overflow(g->ca * g->ph, g->pw, &pad_floats) ||
        col_floats > SIZE_MAX / sizeof(float) - CONVFLAT_READ_PAST ||
        b_floats > SIZE_MAX / sizeof(float) - CONVFLAT_READ_PAST)
        return error_set(err, CS_ERR_NOMEM,
                         "the columns of a %zux%zu kernel over %zu channels of %zux%zu are too large", g->kh, g->kw,
                         g->ca, g->hb, g->wb);
    wk->col = calloc(col_floats + CONVFLAT_READ_PAST, sizeof *wk->col);
    wk->brows = calloc(b_floats + CONVFLAT_READ_PAST, sizeof *wk->brows);
    wk->apad = calloc(pad_floats, sizeof *wk->apad);
    /* the dot reads up to a vector and (kw-1)*dw floats past an image */
    wk->apack = calloc(g->ca * g->LA + CONV_GRAD_ALIGN + (g->kw - 1) * g->dw, sizeof *wk->apack);
    wk->brow = malloc(k * sizeof *wk->brow);
    wk->packed = malloc(wcount * sizeof *wk->packed);
    wk->wt = malloc(g->fpg * g->kg * sizeof *wk->wt);
    wk->part = malloc(wcount * CONV_GRAD_ALIGN * sizeof *wk->part);
    wk->zeros = calloc(g->kg > g->fpg ? g->kg : g->fpg, sizeof *wk->zeros);
    wk->scratch = malloc(convflat_scratch_floats() * sizeof *wk->scratch);
    wk->rows = malloc(g->ph * sizeof *wk->rows);
    wk->cols = malloc(g->pw * sizeof *wk->cols);
    if (!wk->col || !wk->brows || !wk->apad || !wk->apack || !wk->brow || !wk->packed || !wk->wt || !wk->part ||
        !wk->zeros || !wk->scratch || !wk->rows || !wk->cols) {
        grad_work_free(wk);
        return error_set(err, CS_ERR_NOMEM,
                         "cannot allocate the working memory (%zu floats of columns) of a %zux%zu kernel over "
                         "%zu channels of %zux%zu",
                         col_floats, g->kh, g->kw, g->ca, g->hb, g->wb);
    }
    for (size_t y = 0; y < g->ph; y++)
        wk->rows[y] = geom_pad_source(g->mode, (int)y - (int)g->top, (int)g->ha);
    for (size_t x = 0; x < g->pw; x++)
        wk->cols[x] = geom_pad_source(g->mode, (int)x - (int)g->left, (int)g->wa);
    return CS_OK;
}

/* Packs the weights for B = W . col (transpose false: per group fpg x kg)
 * or for dcol = W^T . dB (transpose true: per group kg x fpg). */
static void grad_pack(const GradLayer *g, GradWork *wk, bool transpose)
{
    const size_t per = g->fpg * g->kg;
    for (size_t gi = 0; gi < g->groups; gi++) {
        const float *w = g->w + gi * per;
        if (!transpose) {
            convflat_pack_matrix(g->isa, w, g->fpg, g->kg, wk->packed + gi * per);
            continue;
        }
        for (size_t f = 0; f < g->fpg; f++)
            for (size_t k = 0; k < g->kg; k++)
                wk->wt[k * g->fpg + f] = w[f * g->kg + k];
        convflat_pack_matrix(g->isa, wk->wt, g->kg, g->fpg, wk->packed + gi * per);
    }
}

/* ---- moving a chunk's values in and out of rows ---- */

/* rows[c*L + j*P + y*pitch + x] = src[j][c][y][x] (h x w values per
 * channel) for the chunk's nbc images; zeros for x from w to pitch, from
 * h*pitch to P and from nbc*P to Lc. */
static void grad_gather(const GradLayer *g, const float *src, size_t nbc, size_t channels, size_t Lc, float *rows)
{
    const size_t h = g->hb, w = g->wb, pitch = g->wide ? g->pitch : w, plane = h * w;
    for (size_t c = 0; c < channels; c++) {
        float *dst = rows + c * g->L;
        for (size_t j = 0; j < nbc; j++) {
            const float *sp = src + (j * channels + c) * plane;
            float *dp = dst + j * g->P;
            if (pitch == w) {
                memcpy(dp, sp, plane * sizeof *dp);
            } else {
                for (size_t y = 0; y < h; y++) {
                    memcpy(dp + y * pitch, sp + y * w, w * sizeof *dp);
                    memset(dp + y * pitch + w, 0, (pitch - w) * sizeof *dp);
                }
            }
            memset(dp + h * pitch, 0, (g->P - h * pitch) * sizeof *dp);
        }
        memset(dst + nbc * g->P, 0, (Lc - nbc * g->P) * sizeof *dst);
    }
}

/* The inverse of grad_gather (the zeros dropped). */
static void grad_scatter(const GradLayer *g, const float *rows, size_t nbc, size_t channels, float *dst)
{
    const size_t h = g->hb, w = g->wb, pitch = g->wide ? g->pitch : w, plane = h * w;
    for (size_t c = 0; c < channels; c++)
        for (size_t j = 0; j < nbc; j++) {
            const float *sp = rows + c * g->L + j * g->P;
            float *dp = dst + (j * channels + c) * plane;
            if (pitch == w)
                memcpy(dp, sp, plane * sizeof *dp);
            else
                for (size_t y = 0; y < h; y++)
                    memcpy(dp + y * w, sp + y * pitch, w * sizeof *dp);
        }
}

/* One image of A (img) padded under its mode: channel c's ph x pw cells
 * at dst + c*stride. */
static void grad_pad_copy(const GradLayer *g, const GradWork *wk, const float *img, float *dst, size_t stride)
{
    const size_t plane_a = g->ha * g->wa;
    for (size_t c = 0; c < g->ca; c++)
        for (size_t y = 0; y < g->ph; y++) {
            float *d = dst + c * stride + y * g->pw;
            const int sy = wk->rows[y];
            const float *src = img + c * plane_a + (size_t)(sy < 0 ? 0 : sy) * g->wa;
            for (size_t x = 0; x < g->pw; x++)
                d[x] = sy < 0 || wk->cols[x] < 0 ? 0.0f : src[wk->cols[x]];
        }
}

/* Wide layers' weight gradient reads its columns straight from the
 * chunk's images of A (at a), padded, side by side: channel c of image j
 * at wk->apack + c*LA + j*plane. Column row (c, ky, kx) of image j is then
 * the run from ky*dh*pitch + kx*dw there (grad_run's b rows), with no
 * im2col copy. */
static void grad_apack(const GradLayer *g, GradWork *wk, const float *a, size_t nbc)
{
    const size_t plane_a = g->ha * g->wa;
    for (size_t j = 0; j < nbc; j++) {
        const float *img = a + j * g->ca * plane_a;
        if (g->padded)
            grad_pad_copy(g, wk, img, wk->apack + j * g->plane, g->LA);
        else
            for (size_t c = 0; c < g->ca; c++)
                memcpy(wk->apack + c * g->LA + j * g->plane, img + c * plane_a, plane_a * sizeof *img);
    }
}

/* The columns of the chunk's nbc images of A (at a) into wk->col, zeros
 * from nbc*P to Lc. */
static void grad_im2col(const GradLayer *g, GradWork *wk, const float *a, size_t nbc, size_t Lc)
{
    const size_t plane_a = g->ha * g->wa;
    const size_t pitch = g->pitch, plane = g->plane;
    for (size_t j = 0; j < nbc; j++) {
        const float *img = a + j * g->ca * plane_a, *base = img;
        if (g->padded) {
            grad_pad_copy(g, wk, img, wk->apad, plane);
            base = wk->apad;
        }
        for (size_t c = 0; c < g->ca; c++)
            for (size_t ky = 0; ky < g->kh; ky++)
                for (size_t kx = 0; kx < g->kw; kx++) {
                    float *dst = wk->col + ((c * g->kh + ky) * g->kw + kx) * g->L + j * g->P;
                    if (g->wide) {
                        /* one run; its last kx*dw values would come from
                         * past the plane and only feed thrown-away columns */
                        const size_t n = g->span - kx * g->dw;
                        memcpy(dst, base + c * plane + ky * g->dh * pitch + kx * g->dw, n * sizeof *dst);
                        memset(dst + n, 0, (g->P - n) * sizeof *dst);
                        continue;
                    }
                    for (size_t y = 0; y < g->hb; y++) {
                        const float *src = base + c * plane + (y * g->sh + ky * g->dh) * pitch + kx * g->dw;
                        float *d = dst + y * g->wb;
                        if (g->sw == 1)
                            for (size_t x = 0; x < g->wb; x++)
                                d[x] = src[x];
                        else
                            for (size_t x = 0; x < g->wb; x++)
                                d[x] = src[x * g->sw];
                    }
                }
    }
    for (size_t r = 0; r < g->ca * g->kh * g->kw; r++)
        memset(wk->col + r * g->L + nbc * g->P, 0, (Lc - nbc * g->P) * sizeof *wk->col);
}

/* Overwrites the chunk's nbc images of A (at a) with the column gradient
 * in wk->col added back to the cells each entry was read from. */
static void grad_col2im(const GradLayer *g, GradWork *wk, float *a, size_t nbc)
{
    const size_t plane_a = g->ha * g->wa;
    const size_t pitch = g->pitch, plane = g->plane;
    for (size_t j = 0; j < nbc; j++) {
        float *img = a + j * g->ca * plane_a, *base = g->padded ? wk->apad : img;
        memset(base, 0, g->ca * plane * sizeof *base);
        for (size_t c = 0; c < g->ca; c++)
            for (size_t ky = 0; ky < g->kh; ky++) {
                if (g->wide) {
                    /* run kx adds at d[kx*dw .. P); the thrown-away
                     * columns add zeros */
                    grad_add_taps(g->isa, base + c * plane + ky * g->dh * pitch,
                                  wk->col + (c * g->kh + ky) * g->kw * g->L + j * g->P, g->L, g->kw, g->dw, g->span);
                    continue;
                }
                for (size_t kx = 0; kx < g->kw; kx++) {
                    const float *src = wk->col + ((c * g->kh + ky) * g->kw + kx) * g->L + j * g->P;
                    for (size_t y = 0; y < g->hb; y++) {
                        float *d = base + c * plane + (y * g->sh + ky * g->dh) * pitch + kx * g->dw;
                        const float *s = src + y * g->wb;
                        if (g->sw == 1)
                            for (size_t x = 0; x < g->wb; x++)
                                d[x] += s[x];
                        else
                            for (size_t x = 0; x < g->wb; x++)
                                d[x * g->sw] += s[x];
                    }
                }
            }
        if (!g->padded)
            continue;
        /* each padded cell's gradient to the cell it copied, raster order */
        memset(img, 0, g->ca * plane_a * sizeof *img);
        for (size_t c = 0; c < g->ca; c++)
            for (size_t y = 0; y < g->ph; y++) {
                const int sy = wk->rows[y];
                const float *s = wk->apad + (c * g->ph + y) * g->pw;
                if (sy < 0)
                    continue;
                for (size_t x = 0; x < g->pw; x++)
                    if (wk->cols[x] >= 0)
                        img[c * plane_a + (size_t)sy * g->wa + (size_t)wk->cols[x]] += s[x];
            }
    }
}

/* ---- the three operations, over every chunk ---- */

/* What one pass over the chunks computes; NULL members are skipped.
 *   b_out = W . col(a) + bias          (a, b_out; bias may be NULL)
 *   gw   += b . col(a)^T               (a, b, gw)
 *   a_out = col2im(W^T . b)            (b, a_out)
 * b_out and a_out are never both asked for. */
typedef struct GradPass {
    const float *a, *b, *bias;
    float *b_out, *a_out, *gw;
} GradPass;

static void grad_run(const GradLayer *g, GradWork *wk, const GradPass *pass)
{
    const size_t a_image = g->ca * g->ha * g->wa, b_image = g->cb * g->hb * g->wb, per = g->fpg * g->kg;
    /* a wide weight gradient reads A packed, not im2col'd (grad_apack) */
    const bool packed = g->wide && pass->gw && !pass->b_out;
    if (pass->b_out || pass->a_out)
        grad_pack(g, wk, pass->a_out != NULL);
    for (size_t c = 0; c < g->ca; c++)
        for (size_t t = 0; t < g->kh * g->kw; t++)
            wk->brow[c * g->kh * g->kw + t] = packed ? wk->apack + c * g->LA + t / g->kw * g->dh * g->pitch +
                                                           t % g->kw * g->dw
                                                     : wk->col + (c * g->kh * g->kw + t) * g->L;
    for (size_t n0 = 0; n0 < g->n; n0 += g->nb) {
        const size_t nbc = g->n - n0 < g->nb ? g->n - n0 : g->nb;
        const size_t Lc = grad_round(nbc * g->P, CONV_GRAD_ALIGN);
        if (pass->b)
            grad_gather(g, pass->b + n0 * b_image, nbc, g->cb, Lc, wk->brows);
        if (pass->a && packed)
            grad_apack(g, wk, pass->a + n0 * a_image, nbc);
        else if (pass->a)
            grad_im2col(g, wk, pass->a + n0 * a_image, nbc, Lc);
        if (pass->gw)
            for (size_t gi = 0; gi < g->groups; gi++)
                grad_dot(g->isa, wk->brows + gi * g->fpg * g->L, g->L, g->fpg, wk->brow + gi * g->kg, g->kg,
                         packed ? g->P : Lc, packed ? nbc : 1, g->P, g->plane, wk->part + gi * per * CONV_GRAD_ALIGN,
                         n0 == 0);
        if (pass->b_out) {
            for (size_t gi = 0; gi < g->groups; gi++)
                convflat_matmul(g->isa, wk->packed + gi * per, g->fpg, g->kg, wk->col + gi * g->kg * g->L, g->L,
                                Lc, pass->bias ? pass->bias + gi * g->fpg : wk->zeros,
                                wk->brows + gi * g->fpg * g->L, g->L, wk->scratch);
            grad_scatter(g, wk->brows, nbc, g->cb, pass->b_out + n0 * b_image);
        }
        if (pass->a_out) {
            for (size_t gi = 0; gi < g->groups; gi++)
                convflat_matmul(g->isa, wk->packed + gi * per, g->kg, g->fpg, wk->brows + gi * g->fpg * g->L, g->L,
                                Lc, wk->zeros, wk->col + gi * g->kg * g->L, g->L, wk->scratch);
            grad_col2im(g, wk, pass->a_out + n0 * a_image, nbc);
        }
    }
    if (pass->gw)
        for (size_t gi = 0; gi < g->groups; gi++)
            grad_dot_finish(g->isa, wk->part + gi * per * CONV_GRAD_ALIGN, g->fpg, g->kg, pass->gw + gi * per, g->kg);
}

/* ---- checks ---- */

/* "2x8x26x26" for n x c x h x w. */
static void grad_shape_text(size_t n, size_t c, size_t h, size_t w, char *buf, size_t size)
{
    snprintf(buf, size, "%zux%zux%zux%zu", n, c, h, w);
}

/* Checks input, weights, bias and p as conv_check does, for any number of
 * images, and sets up g for the layer: A -> B as described at the top. */
static Status grad_layer_check(const Tensor *input, const Tensor *weights, const Tensor *bias, const ConvParams *p,
                               GradLayer *g, size_t *f, size_t *oh, size_t *ow, Pad4 *pad, Error *err)
{
    Tensor one;
    Status st;
    if (!input->data || input->n < 1)
        return error_set(err, CS_ERR_SHAPE, "the input is empty");
    one = *input;
    one.n = 1;
    if ((st = conv_check(&one, weights, bias, p, f, err)) != CS_OK ||
        (st = geom_conv_output(p, input->h, input->w, weights->h, weights->w, oh, ow, err)) != CS_OK ||
        (st = geom_conv_padding(p, input->h, input->w, weights->h, weights->w, pad, err)) != CS_OK)
        return st;
    if (p->transposed)
        grad_layer_init(g, input->n, *f, *oh, *ow, input->c, input->h, input->w, weights, p, *pad);
    else
        grad_layer_init(g, input->n, input->c, input->h, input->w, *f, *oh, *ow, weights, p, *pad);
    return CS_OK;
}

/* Allocates t as n x c x h x w with rank when it is empty; otherwise
 * checks it has that shape (what names it in the message). */
static Status grad_target(Tensor *t, size_t n, size_t c, size_t h, size_t w, int rank, const char *what,
                          Error *err)
{
    char want[64], got[64];
    if (!t->data)
        return tensor_init(t, n, c, h, w, rank, err);
    if (t->n == n && t->c == c && t->h == h && t->w == w)
        return CS_OK;
    grad_shape_text(n, c, h, w, want, sizeof want);
    grad_shape_text(t->n, t->c, t->h, t->w, got, sizeof got);
    return error_set(err, CS_ERR_SHAPE, "%s is %s but must be %s", what, got, want);
}


/* ---- through convflat's direct kernel ---- */

/* dst (n x f x oh x ow) = the regular convolution of every image of src
 * with weights, bias (may be NULL), p's stride, dilation and groups, pad
 * under mode, by convflat's direct kernel. */
static Status grad_direct(const Tensor *src, const Tensor *weights, const Tensor *bias, const ConvParams *p,
                          PadMode mode, Pad4 pad, size_t oh, size_t ow, CpuIsa isa, float *dst, Error *err)
{
    ConvParams q = *p;
    q.transposed = false;
    q.pad_mode = mode;
    return convflat_forward_to(src, weights, bias, &q, pad, oh, ow, isa, dst, err);
}

/* ---- the public calls ---- */

Status conv_forward_batch(const Tensor *input, const Tensor *weights, const Tensor *bias,
                          const ConvParams *p, Tensor *out, Error *err)
{
    GradLayer g;
    GradWork wk;
    size_t f, oh, ow;
    Pad4 pad;
    const bool fresh = out->data == NULL;
    Status st;
    if ((st = grad_layer_check(input, weights, bias, p, &g, &f, &oh, &ow, &pad, err)) != CS_OK ||
        (st = grad_target(out, input->n, f, oh, ow, 4, "the output tensor", err)) != CS_OK)
        return st;
    if (!p->transposed) {
        st = grad_direct(input, weights, bias, p, p->pad_mode, pad, oh, ow, g.isa, out->data, err);
    } else if ((st = grad_work_alloc(&wk, &g, err)) == CS_OK) {
        const size_t P = oh * ow;
        grad_run(&g, &wk, &(GradPass){.b = input->data, .a_out = out->data});
        if (bias)
            for (size_t i = 0; i < input->n * f; i++)
                for (size_t q = 0; q < P; q++)
                    out->data[i * P + q] += bias->data[i % f];
        grad_work_free(&wk);
    }
    if (st != CS_OK && fresh)
        tensor_free(out);
    return st;
}

Status conv_backward(const Tensor *input, const Tensor *weights, const ConvParams *p,
                     const Tensor *grad_output, Tensor *grad_input, Tensor *grad_weight,
                     Tensor *grad_bias, Error *err)
{
    GradLayer g;
    GradWork wk = {0};
    size_t f, oh, ow;
    Pad4 pad;
    bool direct, work;
    const bool fresh = grad_input && grad_input->data == NULL;
    Status st;
    if ((st = grad_layer_check(input, weights, NULL, p, &g, &f, &oh, &ow, &pad, err)) != CS_OK)
        return st;
    if (!grad_output->data || grad_output->n != input->n || grad_output->c != f || grad_output->h != oh ||
        grad_output->w != ow) {
        char want[64], got[64] = "empty";
        grad_shape_text(input->n, f, oh, ow, want, sizeof want);
        if (grad_output->data)
            grad_shape_text(grad_output->n, grad_output->c, grad_output->h, grad_output->w, got, sizeof got);
        return error_set(err, CS_ERR_SHAPE, "grad_output is %s but the layer's output is %s", got, want);
    }
    if (grad_weight && (!grad_weight->data || grad_weight->n != weights->n || grad_weight->c != weights->c ||
                        grad_weight->h != weights->h || grad_weight->w != weights->w)) {
        char want[64], got[64] = "empty";
        grad_shape_text(weights->n, weights->c, weights->h, weights->w, want, sizeof want);
        if (grad_weight->data)
            grad_shape_text(grad_weight->n, grad_weight->c, grad_weight->h, grad_weight->w, got, sizeof got);
        return error_set(err, CS_ERR_SHAPE, "grad_weight is %s but the weights are %s", got, want);
    }
    if (grad_bias && (!grad_bias->data || tensor_count(grad_bias) != f))
        return error_set(err, CS_ERR_SHAPE, "grad_bias has %zu value%s but the layer has %zu output channel%s",
                         grad_bias->data ? tensor_count(grad_bias) : 0,
                         grad_bias->data && tensor_count(grad_bias) == 1 ? "" : "s", f, f == 1 ? "" : "s");
    if (grad_input && (st = grad_target(grad_input, input->n, input->c, input->h, input->w, input->rank,
                                        "grad_input", err)) != CS_OK)
        return st;

    /* the input gradient of a transposed layer is the regular convolution
     * of grad_output with the same weights, computed directly when its size
     * comes out as the input's (output_padding below the stride) */
    direct = grad_input && p->transposed && p->output_padding_h < p->stride_h && p->output_padding_w < p->stride_w;
    work = grad_weight || (grad_input && !direct);
    if ((work && (st = grad_work_alloc(&wk, &g, err)) != CS_OK) ||
        (direct && (st = grad_direct(grad_output, weights, NULL, p, PADMODE_ZEROS, pad, input->h, input->w, g.isa,
                                     grad_input->data, err)) != CS_OK))
        goto fail;
    if (grad_bias) {
        const size_t P = oh * ow;
        for (size_t j = 0; j < f; j++) {
            float s = 0.0f;
            for (size_t n = 0; n < input->n; n++)
                s += grad_sum(g.isa, grad_output->data + (n * f + j) * P, P);
            grad_bias->data[j] += s;
        }
    }
    if (!p->transposed) {
        /* A = input, B = output */
        if (work)
            grad_run(&g, &wk, &(GradPass){.a = grad_weight ? input->data : NULL, .b = grad_output->data,
                                          .gw = grad_weight ? grad_weight->data : NULL,
                                          .a_out = grad_input ? grad_input->data : NULL});
    } else {
        /* A = output, B = input */
        if (grad_weight)
            grad_run(&g, &wk, &(GradPass){.a = grad_output->data, .b = input->data, .gw = grad_weight->data});
        if (grad_input && !direct)
            grad_run(&g, &wk, &(GradPass){.a = grad_output->data, .b_out = grad_input->data});
    }
    grad_work_free(&wk);
    return CS_OK;
fail:
    grad_work_free(&wk);
    if (fresh)
        tensor_free(grad_input);
    return st;
}
