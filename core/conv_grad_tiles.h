/* conv_grad_tiles.h: the inner kernels of conv_grad.c, written once and
 * included once per instruction set (a template, as convflat_tiles.h:
 * conv_grad.c defines CG_VEC, the vector type, CG_LANES, its floats,
 * CG_FA and CG_KB, the rows of each operand a dot tile holds, CG_TARGET and
 * CG_SUFFIX, then includes this file).
 *
 * The weight gradient is a matrix of dot products over long rows,
 *
 *   out[i][j] += sum_l a[i][l] * b[j][l]   (a: grad_output rows, b: im2col rows),
 *
 * computed in tiles of CG_FA x CG_KB outputs: CG_FA*CG_KB vector
 * accumulators stay in registers while the tile walks its rows, each step
 * loading CG_KB vectors of b and CG_FA of a for CG_FA*CG_KB fused
 * multiply-adds; between chunks of images they wait in memory, lane by
 * lane, and each one's lanes are added up once at the end. */
#define CG_PASTE2(a, b) a##b
#define CG_PASTE(a, b) CG_PASTE2(a, b)
#define CG_FN(name) CG_PASTE(name, CG_SUFFIX)

/* The sum of v's lanes, lane 0 first. */
CG_INLINE float CG_FN(grad_lanes_sum_)(const CG_VEC *v)
{
    float lanes[CG_LANES], s = 0.0f;
    memcpy(lanes, v, sizeof lanes);
    for (size_t l = 0; l < CG_LANES; l++)
        s += lanes[l];
    return s;
}

/* part[(i*k + j)*CG_LANES + lane] += the sum, over images t < images and
 * l < n with l = lane (mod CG_LANES), of
 *   a[i*lda + t*a_step + l] * b[j][t*b_step + l]
 * for i < m, j < k (part starts from zeros when first). n is a multiple of
 * CG_LANES. The partial sums stay lane by lane from chunk to chunk, so the
 * lanes are added up once, at the end (grad_dot_finish_), and every sum
 * runs in one order on every run. Edge tiles repeat the last row of a or b
 * and drop those results, so every tile is a full, unrolled one. */
CG_TARGET static void CG_FN(grad_dot_)(const float *a, size_t lda, size_t m, const float *const *b, size_t k,
                                       size_t n, size_t images, size_t a_step, size_t b_step, float *part,
                                       bool first)
{
    for (size_t i0 = 0; i0 < m; i0 += CG_FA) {
        const float *ar[CG_FA];
        for (size_t i = 0; i < CG_FA; i++)
            ar[i] = a + (i0 + i < m ? i0 + i : m - 1) * lda;
        for (size_t j0 = 0; j0 < k; j0 += CG_KB) {
            const float *br[CG_KB];
            float *pr[CG_FA][CG_KB];
            CG_VEC acc[CG_FA][CG_KB];
            for (size_t j = 0; j < CG_KB; j++)
                br[j] = b[j0 + j < k ? j0 + j : k - 1];
            CG_UNROLL for (size_t i = 0; i < CG_FA; i++)
                CG_UNROLL for (size_t j = 0; j < CG_KB; j++) {
                    pr[i][j] = part + ((i0 + i < m ? i0 + i : m - 1) * k + (j0 + j < k ? j0 + j : k - 1)) * CG_LANES;
                    if (first)
                        acc[i][j] = (CG_VEC){0};
                    else
                        memcpy(&acc[i][j], pr[i][j], sizeof acc[i][j]);
                }
            for (size_t t = 0; t < images; t++)
                for (size_t l = 0; l < n; l += CG_LANES) {
                    CG_VEC bv[CG_KB];
                    CG_UNROLL for (size_t j = 0; j < CG_KB; j++)
                        memcpy(&bv[j], br[j] + t * b_step + l, sizeof bv[j]);
                    CG_UNROLL for (size_t i = 0; i < CG_FA; i++) {
                        CG_VEC av;
                        memcpy(&av, ar[i] + t * a_step + l, sizeof av);
                        CG_IN_REGISTER(av);
                        CG_UNROLL for (size_t j = 0; j < CG_KB; j++)
                            acc[i][j] += av * bv[j];
                    }
                }
            /* edge tiles store their repeated rows' sums twice, the same
             * values each time */
            CG_UNROLL for (size_t i = 0; i < CG_FA; i++)
                CG_UNROLL for (size_t j = 0; j < CG_KB; j++)
                    memcpy(pr[i][j], &acc[i][j], sizeof acc[i][j]);
        }
    }
}

/* out[i*ldo + j] += the lanes of part's (i, j) added up, lane 0 first. */
CG_TARGET static void CG_FN(grad_dot_finish_)(const float *part, size_t m, size_t k, float *out, size_t ldo)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < k; j++) {
            CG_VEC v;
            memcpy(&v, part + (i * k + j) * CG_LANES, sizeof v);
            out[i * ldo + j] += CG_FN(grad_lanes_sum_)(&v);
        }
}

/* The sum of x[0..n): four vector sums over l = 4*CG_LANES*m + ...,
 * added together, then over the lanes, then the tail in order (four
 * chains, so the adds do not wait on each other). */
CG_TARGET static float CG_FN(grad_sum_)(const float *x, size_t n)
{
    CG_VEC acc[4] = {{0}, {0}, {0}, {0}};
    size_t l = 0;
    float s;
    for (; l + 4 * CG_LANES <= n; l += 4 * CG_LANES)
        CG_UNROLL for (size_t u = 0; u < 4; u++) {
            CG_VEC v;
            memcpy(&v, x + l + u * CG_LANES, sizeof v);
            acc[u] += v;
        }
    for (; l + CG_LANES <= n; l += CG_LANES) {
        CG_VEC v;
        memcpy(&v, x + l, sizeof v);
        acc[0] += v;
    }
    acc[0] = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    s = CG_FN(grad_lanes_sum_)(&acc[0]);
    for (; l < n; l++)
        s += x[l];
    return s;
}

/* The col2im of one kernel row of one channel at stride 1: for i < n,
 *   d[i] += s[0*pitch + i] + s[1*pitch + i - dw] + ... (kx = 0 .. kw-1,
 *           the terms with i - kx*dw >= 0, added in that order),
 * that is, each kx's column run added at its shift kx*dw, one pass over d
 * (runs added one after the other would reload d's vectors at shifts of a
 * few floats just after storing them, which stalls the store forwarding). */
CG_TARGET static void CG_FN(grad_add_taps_)(float *restrict d, const float *restrict s, size_t pitch, size_t kw,
                                            size_t dw, size_t n)
{
    const size_t head = (kw - 1) * dw < n ? (kw - 1) * dw : n;
    size_t i = 0;
    for (; i < head; i++)
        for (size_t kx = 0; kx * dw <= i; kx++)
            d[i] += s[kx * pitch + i - kx * dw];
    for (; i + CG_LANES <= n; i += CG_LANES) {
        CG_VEC a;
        memcpy(&a, d + i, sizeof a);
        for (size_t kx = 0; kx < kw; kx++) {
            CG_VEC b;
            memcpy(&b, s + kx * pitch + i - kx * dw, sizeof b);
            a += b;
        }
        memcpy(d + i, &a, sizeof a);
    }
    for (; i < n; i++)
        for (size_t kx = 0; kx < kw; kx++)
            d[i] += s[kx * pitch + i - kx * dw];
}
