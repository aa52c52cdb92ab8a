/* winograd.c: F(2x2, 3x3) Winograd convolution (see winograd.h).
 *
 * For each 4x4 input tile d (rows 2ty..2ty+3, columns 2tx..2tx+3 of the
 * padded input) and 3x3 filter g, the 2x2 outputs are
 *
 *   Y = A^T [ (G g G^T) (.) (B^T d B) ] A     ((.) elementwise, 4x4)
 *
 *   B^T = | 1  0 -1  0 |    G = | 1    0    0   |    A^T = | 1  1  1  0 |
 *         | 0  1  1  0 |        | 1/2  1/2  1/2 |          | 0  1 -1 -1 |
 *         | 0 -1  1  0 |        | 1/2 -1/2  1/2 |
 *         | 0  1  0 -1 |        | 0    0    1   |
 *
 * so with U[xi][f][c] = (G g_fc G^T)[xi] and V[xi][c][t] = (B^T d_ct B)[xi]
 * for tile t, the sum over channels is 16 matrix products
 *
 *   M[xi][f][t] = sum_c U[xi][f][c] * V[xi][c][t],   xi = 0..15,
 *
 * computed by convflat's 1x1 kernel, and Y[f][t] = A^T M[.][f][t] A + bias.
 * That is 16 multiply-adds per channel per 4 outputs instead of 36.
 *
 * Order: the padded input is copied once (one extra zero row and column
 * for odd output sizes); the tiles are taken a chunk of tile rows at a time
 * (about WINOGRAD_CHUNK tiles), so V and M of a chunk stay in L2 between
 * the input transform, the products and the output transform. The
 * transforms run across tiles, vectorised (compiled per ISA). */
#include "winograd.h"

#include <stdlib.h>
#include <string.h>

#include "convflat.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif
#define WINO_INLINE static inline __attribute__((always_inline))

/* Fewer input channels or filters than this and the direct kernel wins
 * (the transforms are per channel and per filter, the saving per pair).
 * Measured, min of 30 runs: 16 -> 64 channels at 56x56 0.61 ms against
 * 0.37 direct, 64 -> 16 even, 24 -> 64 0.59 against 0.78, 32 -> 32 at
 * 64x64 0.39 against 0.48. */
#define WINOGRAD_MIN_CHANNELS 24
/* Tiles per chunk, about: V and M then take 16*(C+F)*chunk floats. */
#define WINOGRAD_CHUNK 128
/* Floats added between the 16 planes of U, V and M: planes a multiple of
 * 4 KiB apart map to the same L1 sets, and a transform that writes or
 * reads all 16 at once then misses on every access (measured: the filter
 * transform took 0.23 ms for 64x64 filters). One cache line apart, the 16
 * streams fall in 16 different sets. */
#define WINOGRAD_SKEW 16

bool winograd_applies(const Tensor *weights, const ConvParams *p)
{
    return weights->h == 3 && weights->w == 3 && p->stride_h == 1 && p->stride_w == 1 && p->dilation_h == 1 &&
           p->dilation_w == 1 && p->groups == 1 && !p->transposed && weights->c >= WINOGRAD_MIN_CHANNELS &&
           weights->n >= WINOGRAD_MIN_CHANNELS;
}

/* ---- transforms ---- */

/* U[xi][f][c] = (G g G^T)[xi] for the filters f in [f0, f1) and every
 * channel c, as 16 F x C matrices `ux` floats apart. */
static void winograd_filters(const Tensor *weights, size_t f0, size_t f1, float *u, size_t ux)
{
    const size_t C = weights->c;
    for (size_t f = f0; f < f1; f++)
        for (size_t c = 0; c < C; c++) {
            const float *g = weights->data + (f * C + c) * 9;
            float t[4][3], r[4][4];
            for (size_t j = 0; j < 3; j++) {
                t[0][j] = g[j];
                t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
                t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
                t[3][j] = g[6 + j];
            }
            for (size_t i = 0; i < 4; i++) {
                r[i][0] = t[i][0];
                r[i][1] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
                r[i][2] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
                r[i][3] = t[i][2];
            }
            for (size_t xi = 0; xi < 16; xi++)
                u[xi * ux + f * C + c] = r[xi / 4][xi % 4];
        }
}

/* V[xi][c][t] for the tile rows [ty0, ty1) of channel plane `in` (padded,
 * row pitch `pitch`), t = (ty - ty0)*tw + tx, planes of V `vp` apart. B^T
 * first combines whole rows (contiguous), then B each tile's columns from
 * those rows (stride 2): both loops vectorise. rows holds 4*pitch floats. */
WINO_INLINE void winograd_inputs(const float *restrict in, size_t pitch, size_t ty0, size_t ty1, size_t tw,
                                 float *restrict v, size_t vp, float *restrict rows)
{
    for (size_t ty = ty0; ty < ty1; ty++) {
        const float *restrict r0 = in + 2 * ty * pitch, *restrict r1 = r0 + pitch;
        const float *restrict r2 = r1 + pitch, *restrict r3 = r2 + pitch;
        float *restrict t0 = rows, *restrict t1 = rows + pitch, *restrict t2 = rows + 2 * pitch;
        float *restrict t3 = rows + 3 * pitch;
        float *restrict o = v + (ty - ty0) * tw;
        for (size_t x = 0; x < 2 * tw + 2; x++) {
            t0[x] = r0[x] - r2[x];
            t1[x] = r1[x] + r2[x];
            t2[x] = r2[x] - r1[x];
            t3[x] = r1[x] - r3[x];
        }
        for (size_t i = 0; i < 4; i++) {
            const float *restrict t = rows + i * pitch;
            float *restrict o0 = o + (4 * i) * vp, *restrict o1 = o0 + vp, *restrict o2 = o1 + vp;
            float *restrict o3 = o2 + vp;
            for (size_t tx = 0; tx < tw; tx++) {
                o0[tx] = t[2 * tx] - t[2 * tx + 2];
                o1[tx] = t[2 * tx + 1] + t[2 * tx + 2];
                o2[tx] = t[2 * tx + 2] - t[2 * tx + 1];
                o3[tx] = t[2 * tx + 1] - t[2 * tx + 3];
            }
        }
    }
}

/* The outputs of filter plane `out` (oh x ow) for the tile rows
 * [ty0, ty1), from M (16 planes `mp` apart, tile t = (ty - ty0)*tw + tx).
 * The two output rows of a tile row are built whole in rows (2 x 2*tw
 * floats, no conditions in the loop, so it vectorises), then copied. */
WINO_INLINE void winograd_outputs(const float *restrict m, size_t mp, size_t ty0, size_t ty1, size_t tw,
                                  float bias, float *restrict out, size_t oh, size_t ow, float *restrict rows)
{
    float *restrict e0 = rows, *restrict e1 = rows + 2 * tw;
    for (size_t ty = ty0; ty < ty1; ty++) {
        const float *restrict mt = m + (ty - ty0) * tw;
        for (size_t tx = 0; tx < tw; tx++) {
            float s[2][4];
            for (size_t j = 0; j < 4; j++) {
                const float a = mt[j * mp + tx], b = mt[(4 + j) * mp + tx];
                const float c = mt[(8 + j) * mp + tx], d = mt[(12 + j) * mp + tx];
                s[0][j] = a + b + c;
                s[1][j] = b - c - d;
            }
            e0[2 * tx] = bias + (s[0][0] + s[0][1] + s[0][2]);
            e0[2 * tx + 1] = bias + (s[0][1] - s[0][2] - s[0][3]);
            e1[2 * tx] = bias + (s[1][0] + s[1][1] + s[1][2]);
            e1[2 * tx + 1] = bias + (s[1][1] - s[1][2] - s[1][3]);
        }
        memcpy(out + 2 * ty * ow, e0, ow * sizeof *out);
        if (2 * ty + 1 < oh)
            memcpy(out + (2 * ty + 1) * ow, e1, ow * sizeof *out);
    }
}

/* One chunk of tile rows through both transforms, for every channel and
 * filter: the per-ISA copies. */
typedef struct WinoChunk {
    const float *padded;   /* C planes of `plane` floats, rows `pitch` apart */
    size_t pitch, plane, C, F, tw, oh, ow;
    float *v, *m;          /* V[xi] at v + xi*vx: C planes of vp floats; M: F planes, mx */
    size_t vp, vx, mx;
    float *rows;           /* 4 x pitch floats */
} WinoChunk;

#define WINO_COPIES(suffix, target)                                                                  \
    target static void winograd_in_##suffix(const WinoChunk *k, size_t ty0, size_t ty1, size_t c0,   \
                                            size_t c1)                                               \
    {                                                                                                \
        for (size_t c = c0; c < c1; c++)                                                             \
            winograd_inputs(k->padded + c * k->plane, k->pitch, ty0, ty1, k->tw, k->v + c * k->vp,   \
                            k->vx, k->rows);                                                         \
    }                                                                                                \
    target static void winograd_out_##suffix(const WinoChunk *k, size_t ty0, size_t ty1, size_t f0,  \
                                             size_t f1, const float *bias, float *out)               \
    {                                                                                                \
        for (size_t f = f0; f < f1; f++)                                                             \
            winograd_outputs(k->m + f * k->vp, k->mx, ty0, ty1, k->tw, bias[f],                      \
                             out + f * k->oh * k->ow, k->oh, k->ow, k->rows);                        \
    }
WINO_COPIES(portable, )
#if defined(__x86_64__) && defined(__GNUC__)
#define WINO_X86
WINO_COPIES(avx2, __attribute__((target("avx2,fma"))))
WINO_COPIES(avx512, __attribute__((target("avx512f,avx2,fma"))))
#endif

/* The input transform of channels [c0, c1) and the output transform of
 * filters [f0, f1) for the tile rows [ty0, ty1), on isa. */
static void winograd_in(CpuIsa isa, const WinoChunk *k, size_t ty0, size_t ty1, size_t c0, size_t c1)
{
#ifdef WINO_X86
    if (isa == ISA_AVX512) {
        winograd_in_avx512(k, ty0, ty1, c0, c1);
        return;
    }
    if (isa == ISA_AVX2) {
        winograd_in_avx2(k, ty0, ty1, c0, c1);
        return;
    }
#endif
    (void)isa;
    winograd_in_portable(k, ty0, ty1, c0, c1);
}

static void winograd_out(CpuIsa isa, const WinoChunk *k, size_t ty0, size_t ty1, size_t f0, size_t f1,
                         const float *bias, float *out)
{
#ifdef WINO_X86
    if (isa == ISA_AVX512) {
        winograd_out_avx512(k, ty0, ty1, f0, f1, bias, out);
        return;
    }
    if (isa == ISA_AVX2) {
        winograd_out_avx2(k, ty0, ty1, f0, f1, bias, out);
        return;
    }
#endif
    (void)isa;
    winograd_out_portable(k, ty0, ty1, f0, f1, bias, out);
}

/* ---- the layer, over threads ---- */

/* Multiply-adds (of the direct form) per task at least, as in convflat.c. */
#define WINOGRAD_TASK_MACS (2u << 20)

/* How the layer's work is split. Chunk mode (many chunks): a task is a
 * chunk of tile rows through all three steps, each worker with its own V,
 * M and buffers. Step mode (a deep layer whose tiles make one or two
 * chunks): for each chunk, the input transform split by channels, the 16
 * products by xi, the output transform by filters, one run each, V and M
 * shared. Either way every value is computed by one task with the code
 * and order of the one-thread run (the products' sums over channels are
 * never split): the same bits. */
typedef struct WinoJob {
    CpuIsa isa;
    WinoChunk k;                    /* v, m, rows: worker 0's */
    const Tensor *weights;
    float *u, *packed;
    size_t ux, th, chunk_rows, parts;
    const float *bias, *zeros;
    float *dst;
    float *v[THREADS_MAX], *m[THREADS_MAX], *rows[THREADS_MAX], *scratch[THREADS_MAX];
    size_t ty0, ty1;                /* step mode: the chunk */
} WinoJob;

/* [i*n/parts, (i+1)*n/parts) */
static void wino_part(size_t i, size_t parts, size_t n, size_t *a, size_t *b)
{
    *a = i * n / parts;
    *b = (i + 1) * n / parts;
}

/* The filter transform of filter range `task`, then (tasks 16 on) the
 * packing of U[xi]. */
static void wino_filters_task(void *ctx, size_t task, size_t worker)
{
    WinoJob *j = ctx;
    size_t a, b;
    (void)worker;
    wino_part(task, j->parts, j->weights->n, &a, &b);
    winograd_filters(j->weights, a, b, j->u, j->ux);
}

static void wino_pack_task(void *ctx, size_t xi, size_t worker)
{
    WinoJob *j = ctx;
    const size_t F = j->weights->n, C = j->weights->c;
    (void)worker;
    convflat_pack_matrix(j->isa, j->u + xi * j->ux, F, C, j->packed + xi * F * C);
}

static void wino_chunk_task(void *ctx, size_t chunk, size_t worker)
{
    const WinoJob *j = ctx;
    WinoChunk k = j->k;
    const size_t ty0 = chunk * j->chunk_rows, ty1 = ty0 + j->chunk_rows < j->th ? ty0 + j->chunk_rows : j->th;
    const size_t n = (ty1 - ty0) * k.tw;
    k.v = j->v[worker];
    k.m = j->m[worker];
    k.rows = j->rows[worker];
    winograd_in(j->isa, &k, ty0, ty1, 0, k.C);
    for (size_t xi = 0; xi < 16; xi++)
        convflat_matmul(j->isa, j->packed + xi * k.F * k.C, k.F, k.C, k.v + xi * k.vx, k.vp, n, j->zeros,
                        k.m + xi * k.mx, k.vp, j->scratch[worker]);
    winograd_out(j->isa, &k, ty0, ty1, 0, k.F, j->bias, j->dst);
}

static void wino_in_task(void *ctx, size_t task, size_t worker)
{
    const WinoJob *j = ctx;
    WinoChunk k = j->k;
    size_t a, b;
    k.rows = j->rows[worker];
    wino_part(task, j->parts, k.C, &a, &b);
    winograd_in(j->isa, &k, j->ty0, j->ty1, a, b);
}

static void wino_product_task(void *ctx, size_t xi, size_t worker)
{
    const WinoJob *j = ctx;
    const WinoChunk *k = &j->k;
    convflat_matmul(j->isa, j->packed + xi * k->F * k->C, k->F, k->C, k->v + xi * k->vx, k->vp,
                    (j->ty1 - j->ty0) * k->tw, j->zeros, k->m + xi * k->mx, k->vp, j->scratch[worker]);
}

static void wino_out_task(void *ctx, size_t task, size_t worker)
{
    const WinoJob *j = ctx;
    WinoChunk k = j->k;
    size_t a, b;
    k.rows = j->rows[worker];
    wino_part(task, j->parts, k.F, &a, &b);
    winograd_out(j->isa, &k, j->ty0, j->ty1, a, b, j->bias, j->dst);
}

Status winograd_forward(const Tensor *input, const Tensor *weights, const Tensor *bias,
                        const ConvParams *p, Pad4 pad, size_t oh, size_t ow, int rank, CpuIsa isa,
                        Threads *threads, Tensor *out, Error *err)
{
    const size_t C = weights->c, F = weights->n, th = (oh + 1) / 2, tw = (ow + 1) / 2;
    /* The tiles read rows and columns 0 .. 2*t+1: one past the padded input
     * when the output size is odd, kept zero. */
    const size_t pitch = 2 * tw + 2, rows = 2 * th + 2, plane = pitch * rows;
    const size_t chunk_rows = tw >= WINOGRAD_CHUNK ? 1 : WINOGRAD_CHUNK / tw;
    const size_t chunks = (th + chunk_rows - 1) / chunk_rows;
    const size_t vp = chunk_rows * tw;
    const size_t ux = F * C + WINOGRAD_SKEW, vx = C * vp + WINOGRAD_SKEW, mx = F * vp + WINOGRAD_SKEW;
    const double macs = (double)F * (double)C * 9.0 * (double)(oh * ow);
    /* threads: none for a small layer; chunk mode with enough chunks for
     * every thread to get two or more, step mode below that */
    const size_t n_threads = macs >= 2.0 * WINOGRAD_TASK_MACS ? threads_count(threads) : 1;
    const bool chunked = n_threads > 1 && chunks >= 2 * n_threads;
    const size_t per_worker = chunked ? n_threads : 1, bufs = n_threads;
    float *padded = calloc(C * plane, sizeof *padded);
    float *u = malloc(16 * ux * sizeof *u), *packed = malloc(16 * F * C * sizeof *packed);
    float *zeros = calloc(F, sizeof *zeros);
    float *dst = malloc(F * oh * ow * sizeof *dst);
    bool ok = padded && u && packed && zeros && dst;
    WinoJob job = {0};
    Status st = CS_OK;
    memset(out, 0, sizeof *out);
    for (size_t w = 0; w < bufs; w++) {
        if (w < per_worker) {
            ok = ok && (job.v[w] = malloc((16 * vx + CONVFLAT_READ_PAST) * sizeof *job.v[w]));
            ok = ok && (job.m[w] = malloc(16 * mx * sizeof *job.m[w]));
            if (ok)
                memset(job.v[w] + 16 * vx, 0, CONVFLAT_READ_PAST * sizeof *job.v[w]);
        }
        ok = ok && (job.rows[w] = malloc(4 * pitch * sizeof *job.rows[w]));
        ok = ok && (job.scratch[w] = malloc(convflat_scratch_floats() * sizeof *job.scratch[w]));
    }
    if (!ok) {
        free(dst);
        st = error_set(err, CS_ERR_NOMEM, "cannot allocate the Winograd buffers of a %zux%zux%zu layer", F, oh, ow);
        goto done;
    }
    job.isa = isa;
    job.k = (WinoChunk){padded, pitch, plane, C, F, tw, oh, ow, job.v[0], job.m[0], vp, vx, mx, job.rows[0]};
    job.weights = weights;
    job.u = u;
    job.packed = packed;
    job.ux = ux;
    job.th = th;
    job.chunk_rows = chunk_rows;
    job.bias = bias ? bias->data : zeros;
    job.zeros = zeros;
    job.dst = dst;
    convflat_pad(isa, input, p->pad_mode, pad, pitch, plane, padded);
    job.parts = n_threads > 1 ? (F < 4 * n_threads ? F : 4 * n_threads) : 1;
    threads_run(n_threads > 1 ? threads : NULL, job.parts, wino_filters_task, &job);
    threads_run(n_threads > 1 ? threads : NULL, 16, wino_pack_task, &job);
    if (chunked || n_threads < 2) {
        threads_run(chunked ? threads : NULL, chunks, wino_chunk_task, &job);
    } else {
        for (size_t ty0 = 0; ty0 < th; ty0 += chunk_rows) {
            job.ty0 = ty0;
            job.ty1 = ty0 + chunk_rows < th ? ty0 + chunk_rows : th;
            job.parts = C < 4 * n_threads ? C : 4 * n_threads;
            threads_run(threads, job.parts, wino_in_task, &job);
            threads_run(threads, 16, wino_product_task, &job);
            job.parts = F < 4 * n_threads ? F : 4 * n_threads;
            threads_run(threads, job.parts, wino_out_task, &job);
        }
    }
    *out = (Tensor){1, F, oh, ow, rank, dst};
done:
    free(padded);
    free(u);
    free(packed);
    free(zeros);
    for (size_t w = 0; w < THREADS_MAX; w++) {
        free(job.v[w]);
        free(job.m[w]);
        free(job.rows[w]);
        free(job.scratch[w]);
    }
    return st;
}
