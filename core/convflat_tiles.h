/* convflat_tiles.h: the inner kernel of convflat.c, written once and
 * included once per instruction set (a template: convflat.c defines
 * CF_VEC, the vector type, CF_LANES, its floats, CF_ACC, the accumulator
 * registers a tile may use, CF_FMAX, the most filters a tile holds,
 * CF_SCATTER_OK and CF_SCATTER, whether and how a vector is stored to its
 * output cells with masks, and CF_SUFFIX, the name suffix, then includes
 * this file inside its target region).
 *
 * A tile is F filters x V*CF_LANES consecutive flat outputs, V =
 * convflat_vectors(CF_ACC, F): F*V vector accumulators stay in registers
 * while every channel and tap adds into them; each tap loads V input
 * vectors and broadcasts F weights, so each broadcast feeds V fused
 * multiply-adds and each load F. The band copy (convflat_prepare_) is here
 * too, so its strided gathers vectorise for each set. */
#define CF_PASTE2(a, b) a##b
#define CF_PASTE(a, b) CF_PASTE2(a, b)
#define CF_FN(name) CF_PASTE(name, CF_SUFFIX)

/* *v = x in every lane (one vbroadcastss; 0 + x would add, since x may be
 * -0). Through a pointer: a vector return value would change the ABI. */
CF_INLINE void CF_FN(convflat_splat_)(CF_VEC *v, float x)
{
    float lanes[CF_LANES];
    for (size_t l = 0; l < CF_LANES; l++)
        lanes[l] = x;
    memcpy(v, lanes, sizeof *v);
}

/* Flat outputs [a, b) (b - a a multiple of V*CF_LANES) of F filters whose
 * weights are packed [channel][tap][F] at w, over channels [c0, c1): each
 * accumulator starts from the bias (c0 = 0) or from the partial sum stored
 * at out + j*pitch + i - a for filter j by the channels before c0, and is
 * stored back there. With scatter (c0 = 0, c1 = every channel), each
 * vector goes straight to its output cells instead, out being the band's
 * first row of filter 0's plane (CF_SCATTER, masked stores). F and V are
 * constants after inlining, so the loops over j and v unroll and acc lives
 * in registers. */
CF_INLINE void CF_FN(convflat_tiles_)(const FlatSource *s, const float *restrict w,
                                      const float *restrict bias, float *restrict out, size_t pitch,
                                      size_t a, size_t b, size_t c0, size_t c1, const size_t F,
                                      const size_t V, const FlatPlan *scatter)
{
    for (size_t i = a; i < b; i += V * CF_LANES) {
        CF_VEC acc[CF_FMAX][CONVFLAT_VMAX];
        const float *restrict wq = w + c0 * s->taps * F;
        CF_UNROLL for (size_t j = 0; j < F; j++)
            CF_UNROLL for (size_t v = 0; v < V; v++) {
                if (c0 == 0)
                    CF_FN(convflat_splat_)(&acc[j][v], bias[j]);
                else
                    memcpy(&acc[j][v], out + j * pitch + (i - a) + v * CF_LANES, sizeof acc[j][v]);
            }
        for (size_t c = c0; c < c1; c++) {
            const float *restrict sc = s->src + c * s->chan_pitch + i;
            for (size_t t = 0; t < s->taps; t++, wq += F) {
                const float *restrict p = sc + s->tap_off[t];
                CF_VEC x[CONVFLAT_VMAX];
                CF_UNROLL for (size_t v = 0; v < V; v++)
                    memcpy(&x[v], p + v * CF_LANES, sizeof x[v]);
                CF_UNROLL for (size_t j = 0; j < F; j++) {
                    CF_VEC wv;
                    CF_FN(convflat_splat_)(&wv, wq[j]);
                    CF_UNROLL for (size_t v = 0; v < V; v++)
                        acc[j][v] += wv * x[v];
                }
            }
        }
        if (scatter) {
            /* row and column of each vector's first output, one division
             * per tile */
            size_t vy[CONVFLAT_VMAX], vx[CONVFLAT_VMAX];
            vy[0] = i / scatter->L;
            vx[0] = i - vy[0] * scatter->L;
            for (size_t v = 1; v < V; v++) {
                vy[v] = vy[v - 1];
                vx[v] = vx[v - 1] + CF_LANES;
                while (vx[v] >= scatter->L) {
                    vx[v] -= scatter->L;
                    vy[v]++;
                }
            }
            CF_UNROLL for (size_t j = 0; j < F; j++)
                CF_UNROLL for (size_t v = 0; v < V; v++)
                    CF_SCATTER(scatter, out + j * pitch, vy[v], vx[v], acc[j][v]);
        } else {
            CF_UNROLL for (size_t j = 0; j < F; j++)
                CF_UNROLL for (size_t v = 0; v < V; v++)
                    memcpy(out + j * pitch + (i - a) + v * CF_LANES, &acc[j][v], sizeof acc[j][v]);
        }
    }
}

/* convflat_tiles_ for a block of F filters, F known only at run time: one
 * unrolled copy per F, each with its V. */
CF_INLINE void CF_FN(convflat_block_)(const FlatSource *s, const float *w, const float *bias, float *out,
                                      size_t pitch, size_t a, size_t b, size_t c0, size_t c1, size_t F,
                                      const FlatPlan *scatter)
{
    switch (F) {
#define CF_CASE(n)                                                   \
    case n:                                                          \
        CF_FN(convflat_tiles_)(s, w, bias, out, pitch, a, b, c0, c1, n,      \
                               convflat_vectors(CF_ACC, n), scatter);        \
        break;
        CF_CASE(1) CF_CASE(2) CF_CASE(3) CF_CASE(4) CF_CASE(5) CF_CASE(6)
#if CF_FMAX >= 8
        CF_CASE(7) CF_CASE(8)
#endif
#if CF_FMAX >= 12
        CF_CASE(9) CF_CASE(10) CF_CASE(11) CF_CASE(12)
#endif
#undef CF_CASE
    default:
        break;
    }
}

/* The pieces of one group: for each piece, every block of filters over it
 * (the block sizes come from convflat_block). Where the flat outputs are
 * the output cells themselves (no thrown-away columns), whole tiles are
 * stored in place; with masked stores (CF_SCATTER_OK) and one pass over
 * the channels, every tile is scattered to its cells; otherwise the rest
 * goes through scratch and is copied out of it while still in cache. out
 * is the band's first row in the group's first plane; only the filters
 * [plan->f_lo, plan->f_hi) of the group are computed (f_lo a block start). */
CF_TARGET static void CF_FN(convflat_group_)(const FlatSource *s, const FlatPlan *plan, const float *w,
                                                  const float *bias, float *scratch, float *out)
{
    const size_t plane = plan->plane;
    const bool direct = !plan->rows && plan->L == plan->ow;
    /* a vector then spans at most two rows, and the second store's start
     * stays inside the output */
    const bool scatter = CF_SCATTER_OK && !direct && !plan->rows && plan->ow >= CF_LANES &&
                         plan->pass >= s->channels;
    for (size_t k = 0; k < plan->pieces; k++) {
        size_t a, b;
        convflat_piece(plan, k, &a, &b);
        for (size_t f0 = plan->f_lo; f0 < plan->f_hi;) {
            const size_t F = convflat_block(plan->fpg, CF_FMAX, f0);
            const float *wb = w + f0 * s->channels * s->taps;
            const size_t tile = convflat_vectors(CF_ACC, F) * CF_LANES;
            const size_t end = a + (b - a + tile - 1) / tile * tile;
            const size_t mid = direct ? a + (b - a) / tile * tile : a;
            if (scatter) {
                CF_FN(convflat_block_)(s, wb, bias + f0, out + f0 * plane, plane, a, end, 0, s->channels, F, plan);
                f0 += F;
                continue;
            }
            for (size_t c0 = 0; c0 < s->channels; c0 += plan->pass) {
                const size_t c1 = c0 + plan->pass < s->channels ? c0 + plan->pass : s->channels;
                if (mid > a)
                    CF_FN(convflat_block_)(s, wb, bias + f0, out + f0 * plane + a, plane, a, mid, c0, c1, F, NULL);
                if (end > mid)
                    CF_FN(convflat_block_)(s, wb, bias + f0, scratch, CONVFLAT_SCRATCH, mid, end, c0, c1, F, NULL);
            }
            if (end > mid)
                convflat_emit(plan, scratch, F, mid, b, out + f0 * plane);
            f0 += F;
        }
    }
}

/* dst[q] = src[q*sw] for q < n. */
CF_INLINE void CF_FN(convflat_gather_)(float *restrict dst, const float *restrict src, size_t n, size_t sw)
{
    switch (sw) {
    case 1: {
        /* vector by vector: rows are short (a depthwise layer copies
         * thousands of 112-float rows), where a memcpy call costs more than
         * the copy */
        size_t q = 0;
        for (; q + CF_LANES <= n; q += CF_LANES) {
            CF_VEC t;
            memcpy(&t, src + q, sizeof t);
            memcpy(dst + q, &t, sizeof t);
        }
        for (; q < n; q++)
            dst[q] = src[q];
        break;
    }
    case 2:
        for (size_t q = 0; q < n; q++)
            dst[q] = src[2 * q];
        break;
    case 4:
        for (size_t q = 0; q < n; q++)
            dst[q] = src[4 * q];
        break;
    default:
        for (size_t q = 0; q < n; q++)
            dst[q] = src[q * sw];
        break;
    }
}

/* Fills src with the padded rows [y0, y0 + rows) of the input under mode,
 * split by phase as described at the top (row y0 + r is row r of the
 * band; y0 is a multiple of sh). */
CF_TARGET static void CF_FN(convflat_prepare_)(const Tensor *input, PadMode mode, Pad4 pad, size_t sh, size_t sw, size_t y0,
                             size_t rows, size_t R, size_t L, size_t chan_pitch, float *src)
{
    const int h = (int)input->h, w = (int)input->w;
    const size_t left = (size_t)pad.left, pw = input->w + left + (size_t)pad.right;
    for (size_t c = 0; c < input->c; c++) {
        for (size_t r = 0; r < rows; r++) {
            const int sy = geom_pad_source(mode, (int)(y0 + r) - pad.top, h);
            const float *row = sy < 0 ? NULL : tensor_at(input, 0, c, (size_t)sy, 0);
            for (size_t px = 0; px < sw && px < pw; px++) {
                float *dst = src + c * chan_pitch + ((r % sh) * sw + px) * R * L + (r / sh) * L;
                size_t q = 0, col = px; /* padded column col = px + q*sw */
                if (!row) {
                    memset(dst, 0, (pw - px + sw - 1) / sw * sizeof *dst); /* a zero row */
                    continue;
                }
                for (; col < pw && col < left; q++, col += sw) {
                    const int sx = mode == PADMODE_ZEROS ? -1 : geom_pad_source(mode, (int)col - pad.left, w);
                    dst[q] = sx < 0 ? 0.0f : row[sx];
                }
                if (col < left + (size_t)w) {
                    /* the input's own columns: a strided gather, with the
                     * common strides as constants so it vectorises */
                    const size_t n = (left + (size_t)w - col + sw - 1) / sw;
                    CF_FN(convflat_gather_)(dst + q, row + (col - left), n, sw);
                    q += n;
                    col += n * sw;
                }
                for (; col < pw; q++, col += sw) {
                    const int sx = mode == PADMODE_ZEROS ? -1 : geom_pad_source(mode, (int)col - pad.left, w);
                    dst[q] = sx < 0 ? 0.0f : row[sx];
                }
            }
        }
    }
}

#undef CF_FN
#undef CF_PASTE
#undef CF_PASTE2
