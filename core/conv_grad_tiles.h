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
 * multiply-adds; each accumulator's lanes are added up once at the end. */
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

/* out[i*ldo + j] += sum_{l < n} a[i*lda + l] * b[j*ldb + l] for i < m,
 * j < k. n is a multiple of CG_LANES. Each sum runs lane-wise over l in
 * order, then over the lanes: one order on every run. Edge tiles repeat
 * the last row of a or b and drop those results, so every tile is a full,
 * unrolled one. */
CG_TARGET static void CG_FN(grad_dot_)(const float *a, size_t lda, size_t m, const float *b, size_t ldb,
                                       size_t k, size_t n, float *out, size_t ldo)
{
    for (size_t i0 = 0; i0 < m; i0 += CG_FA) {
        const float *ar[CG_FA];
        for (size_t i = 0; i < CG_FA; i++)
            ar[i] = a + (i0 + i < m ? i0 + i : m - 1) * lda;
        for (size_t j0 = 0; j0 < k; j0 += CG_KB) {
            const float *br[CG_KB];
            CG_VEC acc[CG_FA][CG_KB];
            for (size_t j = 0; j < CG_KB; j++)
                br[j] = b + (j0 + j < k ? j0 + j : k - 1) * ldb;
            CG_UNROLL for (size_t i = 0; i < CG_FA; i++)
                CG_UNROLL for (size_t j = 0; j < CG_KB; j++)
                    acc[i][j] = (CG_VEC){0};
            for (size_t l = 0; l < n; l += CG_LANES) {
                CG_VEC bv[CG_KB];
                CG_UNROLL for (size_t j = 0; j < CG_KB; j++)
                    memcpy(&bv[j], br[j] + l, sizeof bv[j]);
                CG_UNROLL for (size_t i = 0; i < CG_FA; i++) {
                    CG_VEC av;
                    memcpy(&av, ar[i] + l, sizeof av);
                    CG_UNROLL for (size_t j = 0; j < CG_KB; j++)
                        acc[i][j] += av * bv[j];
                }
            }
            for (size_t i = 0; i < CG_FA && i0 + i < m; i++)
                for (size_t j = 0; j < CG_KB && j0 + j < k; j++)
                    out[(i0 + i) * ldo + j0 + j] += CG_FN(grad_lanes_sum_)(&acc[i][j]);
        }
    }
}

/* The sum of x[0..n), lane-wise in vectors then over the lanes, then the
 * tail in order. */
CG_TARGET static float CG_FN(grad_sum_)(const float *x, size_t n)
{
    CG_VEC acc = {0};
    size_t l = 0;
    float s;
    for (; l + CG_LANES <= n; l += CG_LANES) {
        CG_VEC v;
        memcpy(&v, x + l, sizeof v);
        acc += v;
    }
    s = CG_FN(grad_lanes_sum_)(&acc);
    for (; l < n; l++)
        s += x[l];
    return s;
}
