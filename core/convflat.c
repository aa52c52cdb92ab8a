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
 * rounding) are computed and thrown away: tiles that hold some are stored
 * into a small scratch and their valid runs copied out. When a row would
 * waste more than it keeps, the tiles cover each output row alone instead
 * (row mode).
 *
 * Bands: the copy is made for a band of output rows at a time (the padded
 * rows the band reads, about CONVFLAT_BAND floats for all channels), and
 * the band is computed while its copy is still in the L2 cache; the
 * (kh-1)*dh rows shared with the next band are copied twice. Within a
 * band, per group, the flat outputs are cut into pieces of CONVFLAT_CHUNK
 * (row mode: at most a row each); every block of filters runs over a piece
 * before the next piece starts, so the piece's input stays in cache while
 * the blocks' packed weights ([channel][tap][F], at most 27 KiB for a
 * VGG body layer) are reused across its tiles. Within an output the sum
 * runs channel by channel, tap by tap, in one order on every run.
 *
 * Memory: the output, one band's copy (none for a 1x1 kernel at stride 1
 * without padding, which reads the input as it is) and the packed weights. */
#include "convflat.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

/* Vectorise under the default -O2 too and fuse a*b + c into one FMA where
 * the target has it (rounding once; each ISA path is deterministic); keep
 * short copy loops as loops (GCC turns them into memcpy calls, which cost
 * more than a 112-float row). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "fp-contract=fast", "no-tree-loop-distribute-patterns")
#endif

#define CF_INLINE static inline __attribute__((always_inline))
/* Unroll the loops over a tile's filters and vectors completely (GCC's own
 * limits left the 12-filter tile as a loop over accumulators in memory:
 * 1x1 layer at 36 GMAC/s). */
#define CF_UNROLL _Pragma("GCC unroll 16")

/* Flat outputs per piece: a multiple of every ISA's tile, small enough that
 * a piece's input rows of a 64-channel layer stay in the L2 cache. */
#define CONVFLAT_CHUNK 768
/* Room past the flat outputs for the last tile of any ISA (at most
 * CONVFLAT_VMAX x 16 = 96). */
#define CONVFLAT_SLACK 128
/* Floats of input copy per band (128 KiB: measured from 8K to 256K floats,
 * 16K-64K were fastest; 1 MiB was 1.5x slower on the dilated layer). */
#define CONVFLAT_BAND (32 * 1024)
/* Channels x kernel rows one pass over a tile reads: about 3 cache lines
 * each, so the input a tile reads (and reads again for the next rows)
 * stays in the 48 KiB L1 beside the weights. */
#define CONVFLAT_PASS_ROWS 64
/* Floats per filter in the scratch a piece is computed into. */
#define CONVFLAT_SCRATCH (CONVFLAT_CHUNK + CONVFLAT_SLACK)
/* The most filters one block holds on any path (AVX-512), and the most
 * vectors per filter in a tile. */
#define CONVFLAT_FMAX 12
#define CONVFLAT_VMAX 6

/* Where a group's input is: channel c at src + c*chan_pitch, tap t at
 * tap_off[t] from there. */
typedef struct FlatSource {
    const float *src;
    size_t chan_pitch, channels, taps;
    const size_t *tap_off;
} FlatSource;

/* How the flat outputs of one group in one band are cut and where they go. */
typedef struct FlatPlan {
    size_t fpg;            /* filters per group */
    size_t L, oh, ow;      /* flat row pitch, output rows (of the band) and columns */
    size_t plane;          /* floats between output planes */
    size_t n;              /* flat outputs per plane: oh*L */
    bool rows;             /* row mode: pieces cover [y*L, y*L + ow) for each y */
    size_t per_row;        /* row mode: pieces per row */
    size_t pass;           /* channels per pass over a piece */
    size_t pieces;
    size_t f_lo, f_hi;     /* the group's filters to compute (f_lo starts a block) */
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
 * planes at out (rows of ow, planes plan->plane apart), dropping the
 * columns x >= ow. */
static void convflat_emit(const FlatPlan *plan, const float *scratch, size_t F, size_t a, size_t b,
                          float *out)
{
    for (size_t i = a; i < b;) {
        const size_t y = i / plan->L, x = i % plan->L;
        const size_t row_end = (y + 1) * plan->L < b ? (y + 1) * plan->L : b;
        if (x < plan->ow) {
            const size_t n = (row_end - i < plan->ow - x) ? row_end - i : plan->ow - x;
            for (size_t j = 0; j < F; j++)
                memcpy(out + j * plan->plane + y * plan->ow + x, scratch + j * CONVFLAT_SCRATCH + (i - a),
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

/* Where block b (of the blocks convflat_block cuts) starts. */
static size_t convflat_block_start(size_t fpg, size_t fmax, size_t b)
{
    const size_t blocks = (fpg + fmax - 1) / fmax, base = fpg / blocks, extra = fpg % blocks;
    return b * base + (b < extra ? b : extra);
}

/* Vectors per filter in a tile of F filters when acc accumulator registers
 * are free: as many as fit, at most CONVFLAT_VMAX (so 768 outputs hold a
 * whole number of tiles). Measured in L1 with AVX-512, 16 channels x 9
 * taps: 8 filters x 2 vectors ran at 60 GMAC/s, 8 x 3 at 86, 4 x 6 at 78;
 * 11 x 2 at 88 (a broadcast costs about as much as a load here, so each
 * must feed several FMAs). */
static size_t convflat_vectors(size_t acc, size_t F)
{
    const size_t v = acc / F;
    return v > CONVFLAT_VMAX ? CONVFLAT_VMAX : v < 1 ? 1 : v;
}

/* ---- the kernels, one copy per instruction set ---- */

typedef float CfVec4 __attribute__((vector_size(4 * sizeof(float))));

#define CF_VEC CfVec4
#define CF_LANES 4
#define CF_ACC 12
#define CF_FMAX 6
#define CF_SUFFIX portable
#define CF_TARGET
#define CF_SCATTER_OK 0
#define CF_SCATTER(plan, out, y, x, v) ((void)0)
#include "convflat_tiles.h"
#undef CF_VEC
#undef CF_LANES
#undef CF_ACC
#undef CF_FMAX
#undef CF_SUFFIX
#undef CF_TARGET
#undef CF_SCATTER_OK
#undef CF_SCATTER

#if defined(__x86_64__) && defined(__GNUC__)
#define CONVFLAT_X86
typedef float CfVec8 __attribute__((vector_size(8 * sizeof(float))));
typedef float CfVec16 __attribute__((vector_size(16 * sizeof(float))));

/* Stores the 16 flat outputs from (y, x) on of one filter (band-relative
 * flat row y, column x < L) into their cells of out (rows of ow, the
 * band's oh rows):
 * they lie in at most two rows (L >= ow >= 16); the thrown-away columns
 * x >= ow and rows past the band are masked off, so no scratch copy is
 * needed (AlexNet conv1: the copy was 3% of the time). */
__attribute__((target("avx512f"))) static inline void convflat_scatter16(const FlatPlan *plan, float *out,
                                                                         size_t y, size_t x, const CfVec16 *vec)
{
    const size_t L = plan->L, ow = plan->ow;
    __m512 v;
    memcpy(&v, vec, sizeof v); /* by pointer: a vector argument would change the ABI */
    if (y >= plan->oh)
        return;
    if (x < ow) {
        const size_t n = ow - x < 16 ? ow - x : 16;
        _mm512_mask_storeu_ps(out + y * ow + x, (__mmask16)((1u << n) - 1), v);
    }
    if (L - x < 16 && y + 1 < plan->oh) {
        const size_t first = L - x; /* the lane where row y + 1 starts */
        const size_t n = 16 - first; /* its lanes, all outputs as ow >= 16 */
        _mm512_mask_storeu_ps(out + (y + 1) * ow - first, (__mmask16)(((1u << n) - 1) << first), v);
    }
}

/* 16 registers: 12 accumulators, 2 inputs, 1 broadcast weight. */
#define CF_VEC CfVec8
#define CF_LANES 8
#define CF_ACC 12
#define CF_FMAX 6
#define CF_SUFFIX avx2
#define CF_TARGET __attribute__((target("avx2,fma")))
#define CF_SCATTER_OK 0
#define CF_SCATTER(plan, out, y, x, v) ((void)0)
#include "convflat_tiles.h"
#undef CF_VEC
#undef CF_LANES
#undef CF_ACC
#undef CF_FMAX
#undef CF_SUFFIX
#undef CF_TARGET
#undef CF_SCATTER_OK
#undef CF_SCATTER

/* 32 registers: 24 accumulators, 2 inputs, broadcast weights. */
#define CF_VEC CfVec16
#define CF_LANES 16
#define CF_ACC 24
#define CF_FMAX 12
#define CF_SUFFIX avx512
#define CF_TARGET __attribute__((target("avx512f,avx2,fma")))
#define CF_SCATTER_OK 1
#define CF_SCATTER(plan, out, y, x, v) convflat_scatter16(plan, out, y, x, &(v))
#include "convflat_tiles.h"
#undef CF_VEC
#undef CF_LANES
#undef CF_ACC
#undef CF_FMAX
#undef CF_SUFFIX
#undef CF_TARGET
#undef CF_SCATTER_OK
#undef CF_SCATTER
#endif

static void convflat_prepare(CpuIsa isa, const Tensor *input, PadMode mode, Pad4 pad, size_t sh, size_t sw,
                             size_t y0, size_t rows, size_t R, size_t L, size_t chan_pitch, float *src)
{
    switch (isa) {
#ifdef CONVFLAT_X86
    case ISA_AVX512:
        convflat_prepare_avx512(input, mode, pad, sh, sw, y0, rows, R, L, chan_pitch, src);
        return;
    case ISA_AVX2:
        convflat_prepare_avx2(input, mode, pad, sh, sw, y0, rows, R, L, chan_pitch, src);
        return;
#endif
    default:
        convflat_prepare_portable(input, mode, pad, sh, sw, y0, rows, R, L, chan_pitch, src);
        return;
    }
}

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

/* Packs weights (groups x fpg filters of k = cpg*kh*kw values each) per
 * group and per filter block of at most fmax as [channel][tap][filter of
 * the block]. */
static void convflat_pack(const float *w, size_t groups, size_t fpg, size_t k, size_t fmax, float *wp)
{
    for (size_t g = 0; g < groups; g++) {
        for (size_t f0 = 0; f0 < fpg;) {
            const size_t F = convflat_block(fpg, fmax, f0);
            float *block = wp + (g * fpg + f0) * k;
            for (size_t j = 0; j < F; j++) {
                const float *wf = w + (g * fpg + f0 + j) * k;
                for (size_t i = 0; i < k; i++)
                    block[i * F + j] = wf[i];
            }
            f0 += F;
        }
    }
}

static size_t convflat_fmax(CpuIsa isa)
{
    return isa == ISA_AVX512 ? CONVFLAT_FMAX : 6;
}

/* Outputs per tile of F filters: lanes x vectors. */
static size_t convflat_tile(CpuIsa isa, size_t F)
{
    return isa == ISA_AVX512 ? 16 * convflat_vectors(24, F) : (isa == ISA_AVX2 ? 8 : 4) * convflat_vectors(12, F);
}

/* ---- the layer ---- */

/* The layer's geometry and working buffers. */
typedef struct FlatLayer {
    size_t sh, sw, kh, kw, taps, groups, cpg, fpg, f, oh, ow;
    size_t L, R;           /* flat row pitch; rows per phase in a band's copy */
    size_t band;           /* output rows per band */
    size_t chan_pitch;     /* floats per channel in a band's copy */
    bool as_is;            /* the input is read as it is (no copy) */
} FlatLayer;

static FlatLayer convflat_layout(const Tensor *input, const Tensor *weights, const ConvParams *p, Pad4 pad,
                                 size_t oh, size_t ow, CpuIsa isa)
{
    FlatLayer l;
    const size_t ph = input->h + (size_t)pad.top + (size_t)pad.bottom;
    const size_t pw = input->w + (size_t)pad.left + (size_t)pad.right;
    const size_t dh = (size_t)p->dilation_h, halo = (weights->h - 1) * dh;
    const bool no_pad = pad.top == 0 && pad.bottom == 0 && pad.left == 0 && pad.right == 0;
    l.sh = (size_t)p->stride_h;
    l.sw = (size_t)p->stride_w;
    l.kh = weights->h;
    l.kw = weights->w;
    l.taps = l.kh * l.kw;
    l.groups = (size_t)p->groups;
    l.cpg = weights->c;
    l.f = weights->n;
    l.fpg = l.f / l.groups;
    l.oh = oh;
    l.ow = ow;
    l.L = (pw + l.sw - 1) / l.sw;
    /* A 1x1 kernel at stride 1 reads the input as it is, when no tile runs
     * past its end. */
    l.as_is = l.taps == 1 && l.sh == 1 && l.sw == 1 && no_pad && (oh * l.L) % convflat_tile(isa, convflat_block(l.fpg, convflat_fmax(isa), 0)) == 0 &&
              (oh * l.L) % convflat_tile(isa, convflat_block(l.fpg, convflat_fmax(isa), l.fpg - 1)) == 0;
    if (l.as_is) {
        l.band = oh;
        l.R = input->h;
        l.chan_pitch = input->h * input->w;
        return l;
    }
    /* An output row costs about sh padded rows of pw for every channel. */
    l.band = CONVFLAT_BAND / (input->c * l.sh * l.sw * l.L + 1);
    l.band = l.band < 1 ? 1 : l.band > oh ? oh : l.band;
    l.R = ((l.band - 1) * l.sh + halo + 1 + l.sh - 1) / l.sh;
    if (l.R * l.sh > ph)
        l.R = (ph + l.sh - 1) / l.sh;
    l.chan_pitch = l.sh * l.sw * l.R * l.L;
    return l;
}

/* Multiply-adds per task at least (about 25-50 us on one core): less and
 * waking a worker costs more than it saves. */
#define CONVFLAT_TASK_MACS (2u << 20)
/* Tasks per thread at most: enough that a thread the machine descheduled
 * holds up little, few enough that a band is copied only a few times. */
#define CONVFLAT_TASKS_PER_THREAD 8

/* One layer's run, split into tasks: task k computes band k / splits, the
 * filter blocks [k % splits * units / splits, ...) of units = groups x
 * blocks per group, into the shared output (disjoint cells per task). Each
 * worker copies the band it computes into its own buffer, and keeps it for
 * its next task of the same band. Every output is computed by one task
 * with the code and order of the one-thread run: the same bits. */
typedef struct FlatJob {
    const Tensor *input;
    const ConvParams *p;
    Pad4 pad;
    CpuIsa isa;
    FlatLayer l;
    size_t dh, plane, per_row, pass, fmax;
    bool rows;
    const size_t *tap_off;
    const float *wp, *bias;     /* packed weights; bias or zeros */
    float *dst;
    size_t splits, units, blocks; /* blocks per group */
    size_t src_floats;          /* of one worker's band copy */
    float **src, **scratch;     /* per worker */
    size_t *copied;             /* per worker: the band in src + 1, 0 for none */
} FlatJob;

static void convflat_task(void *ctx, size_t task, size_t worker)
{
    const FlatJob *j = ctx;
    const FlatLayer *l = &j->l;
    const size_t bi = task / j->splits, s = task % j->splits;
    const size_t u0 = s * j->units / j->splits, u1 = (s + 1) * j->units / j->splits;
    const size_t y0 = bi * l->band, band = l->oh - y0 < l->band ? l->oh - y0 : l->band;
    float *src = j->src[worker];
    FlatPlan plan = {l->fpg, l->L, band, l->ow, j->plane, band * l->L, j->rows, j->per_row, j->pass,
                     j->rows ? band * j->per_row : (band * l->L + CONVFLAT_CHUNK - 1) / CONVFLAT_CHUNK, 0, 0};
    if (!l->as_is && j->copied[worker] != bi + 1) {
        convflat_prepare(j->isa, j->input, j->p->pad_mode, j->pad, l->sh, l->sw, y0 * l->sh,
                         (band - 1) * l->sh + (l->kh - 1) * j->dh + 1, l->R, l->L, l->chan_pitch, src);
        j->copied[worker] = bi + 1;
    }
    for (size_t u = u0; u < u1;) {
        /* the units of one group in [u, u1): its blocks [b0, b1) */
        const size_t g = u / j->blocks, b0 = u % j->blocks;
        const size_t b1 = u1 - g * j->blocks < j->blocks ? u1 - g * j->blocks : j->blocks;
        FlatSource fs = {(l->as_is ? j->input->data : src) + g * l->cpg * l->chan_pitch, l->chan_pitch, l->cpg,
                         l->taps, j->tap_off};
        plan.f_lo = convflat_block_start(l->fpg, j->fmax, b0);
        plan.f_hi = convflat_block_start(l->fpg, j->fmax, b1);
        convflat_group(j->isa, &fs, &plan, j->wp + g * l->fpg * l->cpg * l->taps, j->bias + g * l->fpg,
                       j->scratch[worker], j->dst + g * l->fpg * j->plane + y0 * l->ow);
        u = g * j->blocks + b1;
    }
}

/* How many pieces to cut each band into so that the layer makes enough
 * tasks for `workers` threads (1 for one thread or a small layer). */
static size_t convflat_splits(const FlatLayer *l, size_t units, size_t workers)
{
    const double macs = (double)l->f * (double)(l->cpg * l->taps) * (double)(l->oh * l->ow);
    const size_t bands = (l->oh + l->band - 1) / l->band;
    size_t target = (size_t)(macs / CONVFLAT_TASK_MACS), splits;
    if (workers < 2 || target < 2)
        return 1;
    if (target > CONVFLAT_TASKS_PER_THREAD * workers)
        target = CONVFLAT_TASKS_PER_THREAD * workers;
    if (bands >= target)
        return 1;
    splits = (target + bands - 1) / bands;
    return splits > units ? units : splits;
}

/* The layer on each of input's input->n images into dst (image i's
 * F x oh x ow floats at dst + i*F*oh*ow, every one written), or, when dst
 * is NULL (one image), into a new buffer returned in *made. The weights
 * are packed and the buffers allocated once for all the images. */
static Status convflat_run(const Tensor *input, const Tensor *weights, const Tensor *bias, const ConvParams *p,
                           Pad4 pad, size_t oh, size_t ow, CpuIsa isa, Threads *threads, float *dst_given,
                           float **made, Error *err)
{
    const FlatLayer l = convflat_layout(input, weights, p, pad, oh, ow, isa);
    const size_t fmax = convflat_fmax(isa), blocks = (l.fpg + fmax - 1) / fmax, units = l.groups * blocks;
    const size_t bands = (oh + l.band - 1) / l.band, splits = convflat_splits(&l, units, threads_count(threads));
    const size_t tasks = bands * splits, workers = tasks > 1 ? threads_count(threads) : 1;
    const size_t dh = (size_t)p->dilation_h, dw = (size_t)p->dilation_w;
    /* Channels per pass: a tile then reads about pass*kh input rows. */
    const size_t passes = (l.cpg * l.kh + CONVFLAT_PASS_ROWS - 1) / CONVFLAT_PASS_ROWS;
    size_t *tap_off = malloc(l.taps * sizeof *tap_off);
    float *wp = malloc(l.f * l.cpg * l.taps * sizeof *wp), *zeros = NULL, *dst = NULL;
    float *src[THREADS_MAX] = {0}, *scratch[THREADS_MAX] = {0};
    size_t copied[THREADS_MAX] = {0};
    size_t bytes, src_floats;
    bool ok = true;
    FlatJob job;
    Status st = CS_OK;

    /* Padding may make the output far larger than the input: refuse sizes
     * that overflow, as tensor_init does. */
    if (__builtin_mul_overflow(l.f * oh, ow, &bytes) || __builtin_mul_overflow(bytes, sizeof(float), &bytes) ||
        __builtin_mul_overflow(input->c, l.chan_pitch, &src_floats)) {
        st = error_set(err, CS_ERR_NOMEM, "a %zux%zux%zu output is too large", l.f, oh, ow);
        goto done;
    }
    /* Every output cell is written, so no zero-filled tensor_init. */
    dst = dst_given ? dst_given : malloc(bytes);
    for (size_t k = 0; k < workers; k++) {
        if (!l.as_is)
            ok = ok && (src[k] = calloc(src_floats + l.L + 2 * CONVFLAT_SLACK, sizeof *src[k]));
        ok = ok && (scratch[k] = malloc(CONVFLAT_FMAX * CONVFLAT_SCRATCH * sizeof *scratch[k]));
    }
    if (!bias)
        zeros = calloc(l.f, sizeof *zeros);
    if (!dst || !tap_off || !wp || !ok || (!bias && !zeros)) {
        if (!dst_given)
            free(dst);
        st = error_set(err, CS_ERR_NOMEM, "cannot allocate the output and working copies of a %zux%zux%zu layer",
                       l.f, oh, ow);
        goto done;
    }
    for (size_t ky = 0; ky < l.kh; ky++)
        for (size_t kx = 0; kx < l.kw; kx++)
            tap_off[ky * l.kw + kx] = ((ky * dh % l.sh) * l.sw + kx * dw % l.sw) * l.R * l.L +
                                      (ky * dh / l.sh) * l.L + kx * dw / l.sw;
    convflat_pack(weights->data, l.groups, l.fpg, l.cpg * l.taps, fmax, wp);

    for (size_t i = 0; i < input->n; i++) {
        Tensor one = *input;
        one.n = 1;
        one.data += i * input->c * input->h * input->w;
        job = (FlatJob){&one, p, pad, isa, l, dh, oh * ow,
                        (ow + CONVFLAT_CHUNK - 1) / CONVFLAT_CHUNK, (l.cpg + passes - 1) / passes, fmax,
                        l.L - ow > ow, /* row mode: more thrown away than kept */
                        tap_off, wp, bias ? bias->data : zeros, dst + i * l.f * oh * ow, splits, units, blocks,
                        src_floats, src, scratch, copied};
        memset(copied, 0, sizeof copied);
        threads_run(workers > 1 ? threads : NULL, tasks, convflat_task, &job);
    }
    if (made)
        *made = dst;
done:
    free(tap_off);
    for (size_t k = 0; k < THREADS_MAX; k++) {
        free(src[k]);
        free(scratch[k]);
    }
    free(wp);
    free(zeros);
    return st;
}

Status convflat_forward(const Tensor *input, const Tensor *weights, const Tensor *bias,
                        const ConvParams *p, Pad4 pad, size_t oh, size_t ow, int rank, CpuIsa isa,
                        Threads *threads, Tensor *out, Error *err)
{
    float *dst = NULL;
    Status st;
    memset(out, 0, sizeof *out);
    st = convflat_run(input, weights, bias, p, pad, oh, ow, isa, threads, NULL, &dst, err);
    if (st == CS_OK)
        *out = (Tensor){1, weights->n, oh, ow, rank, dst};
    return st;
}

Status convflat_forward_to(const Tensor *input, const Tensor *weights, const Tensor *bias, const ConvParams *p,
                           Pad4 pad, size_t oh, size_t ow, CpuIsa isa, float *dst, Error *err)
{
    return convflat_run(input, weights, bias, p, pad, oh, ow, isa, NULL, dst, NULL, err);
}

/* ---- the 1x1 kernel for other algorithms (see convflat.h) ---- */

size_t convflat_scratch_floats(void)
{
    return CONVFLAT_FMAX * CONVFLAT_SCRATCH;
}

void convflat_pack_matrix(CpuIsa isa, const float *w, size_t F, size_t C, float *packed)
{
    convflat_pack(w, 1, F, C, convflat_fmax(isa), packed);
}

void convflat_matmul(CpuIsa isa, const float *packed, size_t F, size_t C, const float *in, size_t in_pitch,
                     size_t n, const float *bias, float *out, size_t out_pitch, float *scratch)
{
    const size_t tap0 = 0;
    const size_t passes = (C + CONVFLAT_PASS_ROWS - 1) / CONVFLAT_PASS_ROWS;
    FlatSource s = {in, in_pitch, C, 1, &tap0};
    FlatPlan plan = {F, n, 1, n, out_pitch, n, false, 1, (C + passes - 1) / passes,
                     (n + CONVFLAT_CHUNK - 1) / CONVFLAT_CHUNK, 0, F};
    convflat_group(isa, &s, &plan, packed, bias, scratch, out);
}

void convflat_pad(CpuIsa isa, const Tensor *input, PadMode mode, Pad4 pad, size_t pitch, size_t plane,
                  float *dst)
{
    const size_t ph = input->h + (size_t)pad.top + (size_t)pad.bottom;
    convflat_prepare(isa, input, mode, pad, 1, 1, 0, ph, plane / pitch, pitch, plane, dst);
}
