/* test_conv.c: convolution and transposed convolution. Hand-worked cases
 * from the literature, differential tests against tests/support_reference.c
 * over thousands of random configurations, properties (identity kernel,
 * linearity, padding modes against an explicitly pre-padded input) and the
 * shape refusals of conv_check. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "conv.h"
#include "rng.h"
#include "support_isa.h"
#include "support_reference.h"

/* ---- helpers ---- */

static Tensor make_tensor(size_t n, size_t c, size_t h, size_t w, int rank, const float *values)
{
    Tensor t;
    Error err = {0};
    cr_assert_eq(tensor_init(&t, n, c, h, w, rank, &err), CS_OK, "%s", err.message);
    if (values)
        memcpy(t.data, values, tensor_count(&t) * sizeof(float));
    return t;
}

static Tensor random_tensor(Rng *rng, size_t n, size_t c, size_t h, size_t w)
{
    Tensor t = make_tensor(n, c, h, w, 4, NULL);
    for (size_t i = 0; i < tensor_count(&t); i++)
        t.data[i] = rng_range(rng, -1.0f, 1.0f);
    return t;
}

/* Same shape and every value within 1e-4 relative (1e-4 absolute near 0). */
static void expect_near(const Tensor *got, const Tensor *want, const char *what)
{
    cr_assert(got->c == want->c && got->h == want->h && got->w == want->w,
              "%s: shape %zux%zux%zu, expected %zux%zux%zu", what, got->c, got->h, got->w, want->c,
              want->h, want->w);
    for (size_t i = 0; i < tensor_count(want); i++) {
        float a = got->data[i], b = want->data[i];
        cr_assert(fabsf(a - b) <= 1e-4f * (1.0f + fabsf(b)), "%s: element %zu is %.7g, expected %.7g", what,
                  i, (double)a, (double)b);
    }
}

static void expect_values(const Tensor *got, size_t c, size_t h, size_t w, const float *want,
                          const char *what)
{
    cr_assert(got->c == c && got->h == h && got->w == w, "%s: shape %zux%zux%zu, expected %zux%zux%zu", what,
              got->c, got->h, got->w, c, h, w);
    for (size_t i = 0; i < c * h * w; i++)
        cr_expect_float_eq(got->data[i], want[i], 1e-5, "%s: element %zu is %g, expected %g", what, i,
                           (double)got->data[i], (double)want[i]);
}

/* ---- hand-worked cases ---- */

/* Dumoulin & Visin, "A guide to convolution arithmetic for deep learning",
 * figures 2.1 (no padding, unit stride) and 2.5 (padding 1, stride 2). */
static const float arith_input[] = {
    3, 3, 2, 1, 0,
    0, 0, 1, 3, 1,
    3, 1, 2, 2, 3,
    2, 0, 0, 2, 2,
    2, 0, 0, 0, 1,
};
static const float arith_kernel[] = {
    0, 1, 2,
    2, 2, 0,
    0, 1, 2,
};

Test(conv, conv_arithmetic_unit_stride)
{
    /* Top-left: 3*0 + 3*1 + 2*2 + 0*2 + 0*2 + 1*0 + 3*0 + 1*1 + 2*2 = 12. */
    static const float want[] = {12, 12, 17, 10, 17, 19, 9, 6, 14};
    Tensor in = make_tensor(1, 1, 5, 5, 2, arith_input), w = make_tensor(1, 1, 3, 3, 2, arith_kernel), out;
    ConvParams p = geom_conv_defaults();
    Error err = {0};
    cr_assert_eq(conv_forward(&in, &w, NULL, &p, &out, &err), CS_OK, "%s", err.message);
    expect_values(&out, 1, 3, 3, want, "figure 2.1");
    cr_expect_eq(out.rank, 3, "a rank-2 input gives a rank-3 output");
    tensor_free(&out);
    tensor_free(&in);
    tensor_free(&w);
}

Test(conv, conv_arithmetic_padding_1_stride_2)
{
    /* Top-left window covers padding plus [[3,3],[0,0]]:
     * 3*2 + 3*0 + 0*1 + 0*2 = 6. */
    static const float want[] = {6, 17, 3, 8, 17, 13, 6, 4, 4};
    Tensor in = make_tensor(1, 1, 5, 5, 2, arith_input), w = make_tensor(1, 1, 3, 3, 2, arith_kernel), out;
    ConvParams p = geom_conv_defaults();
    Error err = {0};
    p.stride_h = p.stride_w = 2;
    p.padding.h = p.padding.w = 1;
    cr_assert_eq(conv_forward(&in, &w, NULL, &p, &out, &err), CS_OK, "%s", err.message);
    expect_values(&out, 1, 3, 3, want, "figure 2.5");
    tensor_free(&out);
    tensor_free(&in);
    tensor_free(&w);
}

/* The CS231n convolution demo (cs231n.github.io/convolutional-networks):
 * a 5x5x3 input, two 3x3x3 filters, stride 2, zero padding 1, biases 1
 * and 0, giving 3x3x2. The page draws fresh random numbers on every load,
 * so these are one set in its ranges (inputs 0..2, weights -1..1), with
 * the output worked by hand. Output (0,0) of filter 0: the window is the
 * padded corner, so only input rows/cols 0..1 meet weight rows/cols 1..2:
 *   channel 0: in [[1,1],[0,0]] . w [[1,1],[0,0]] = 2
 *   channel 1: in [[2,0],[1,1]] . w [[0,-1],[1,0]] = 1
 *   channel 2: in [[0,2],[2,0]] . w [[0,1],[-1,-1]] = 2 - 2 = 0
 *   2 + 1 + 0 + bias 1 = 4. */
Test(conv, cs231n_demo)
{
    static const float x[] = {
        1, 1, 2, 0, 2, 0, 2, 2, 1, 0, 2, 0, 1, 1, 0, 1, 2, 0, 0, 2, 0, 1, 2, 1, 1,
        2, 0, 1, 2, 0, 1, 1, 0, 2, 2, 0, 2, 1, 0, 1, 2, 1, 2, 1, 0, 1, 0, 0, 2, 1,
        0, 2, 1, 1, 2, 2, 0, 0, 1, 1, 1, 1, 2, 2, 0, 0, 0, 1, 2, 2, 2, 1, 0, 0, 1,
    };
    static const float w[] = {
        /* W0 */
        1, 0, -1, 0, 1, 1, -1, 0, 0,
        0, -1, 1, 1, 0, -1, 0, 1, 0,
        -1, 1, 0, 0, 0, 1, 1, -1, -1,
        /* W1 */
        0, 1, 0, -1, -1, 1, 1, 0, 1,
        1, 1, -1, 0, -1, 0, -1, 1, 1,
        0, 0, 1, 1, -1, -1, 0, 1, -1,
    };
    static const float b[] = {1, 0};
    static const float want[] = {
        4, -1, 6, 4, 7, 0, 0, 4, 4,
        2, -1, -1, 1, 1, 5, -1, 3, -1,
    };
    Tensor in = make_tensor(1, 3, 5, 5, 3, x), wt = make_tensor(2, 3, 3, 3, 4, w);
    Tensor bias = make_tensor(1, 1, 1, 2, 1, b), out;
    ConvParams p = geom_conv_defaults();
    Error err = {0};
    p.stride_h = p.stride_w = 2;
    p.padding.h = p.padding.w = 1;
    cr_assert_eq(conv_forward(&in, &wt, &bias, &p, &out, &err), CS_OK, "%s", err.message);
    expect_values(&out, 2, 3, 3, want, "CS231n demo");
    tensor_free(&out);
    tensor_free(&in);
    tensor_free(&wt);
    tensor_free(&bias);
}

Test(conv, padding_modes_by_hand)
{
    /* A 1x5 kernel whose only 1 is its first tap reads in[x-2]; padding
     * (0, 2) shows the two cells before the row under each mode. */
    static const float row[] = {1, 2, 3, 4};
    static const float pick[] = {1, 0, 0, 0, 0};
    static const float want[4][4] = {
        {0, 0, 1, 2}, /* zeros */
        {3, 2, 1, 2}, /* reflect: 2 1 | 0 1 2 3 */
        {1, 1, 1, 2}, /* replicate */
        {3, 4, 1, 2}, /* circular */
    };
    Tensor in = make_tensor(1, 1, 1, 4, 2, row), w = make_tensor(1, 1, 1, 5, 2, pick);
    for (int mode = 0; mode < 4; mode++) {
        ConvParams p = geom_conv_defaults();
        Tensor out;
        Error err = {0};
        p.padding.w = 2;
        p.pad_mode = (PadMode)mode;
        cr_assert_eq(conv_forward(&in, &w, NULL, &p, &out, &err), CS_OK, "%s", err.message);
        expect_values(&out, 1, 1, 4, want[mode], geom_pad_mode_name(p.pad_mode));
        tensor_free(&out);
    }
    tensor_free(&in);
    tensor_free(&w);
}

Test(conv, dilation_by_hand)
{
    /* A 3x3 kernel of ones at dilation 2 on a 5x5 input sums the cells at
     * even rows and columns: 3+2+0 + 3+2+3 + 2+0+1 = 16. */
    static const float ones[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    static const float want[] = {16};
    Tensor in = make_tensor(1, 1, 5, 5, 2, arith_input), w = make_tensor(1, 1, 3, 3, 2, ones), out;
    ConvParams p = geom_conv_defaults();
    p.dilation_h = p.dilation_w = 2;
    cr_assert_eq(conv_forward(&in, &w, NULL, &p, &out, NULL), CS_OK);
    expect_values(&out, 1, 1, 1, want, "dilation 2");
    tensor_free(&out);
    tensor_free(&in);
    tensor_free(&w);
}

Test(conv, groups_by_hand)
{
    /* Depthwise 1x1: each channel scaled by its own weight, plus its bias.
     * Two groups of two channels each, 1x1: f0 = 1*c0 + 2*c1,
     * f1 = -1*c2 + 1*c3. */
    static const float x[] = {1, 2, 3, 4, 10, 20, 30, 40, 5, 5, 5, 5, 1, 0, 1, 0};
    static const float dw[] = {2, 3, -1, 0.5f};
    static const float db[] = {0, 1, 0, 0};
    static const float dwant[] = {2, 4, 6, 8, 31, 61, 91, 121, -5, -5, -5, -5, 0.5f, 0, 0.5f, 0};
    static const float gw[] = {1, 2, -1, 1};
    static const float gwant[] = {21, 42, 63, 84, -4, -5, -4, -5};
    Tensor in = make_tensor(1, 4, 2, 2, 3, x), w = make_tensor(4, 1, 1, 1, 4, dw);
    Tensor b = make_tensor(1, 1, 1, 4, 1, db), out;
    ConvParams p = geom_conv_defaults();
    Error err = {0};
    p.groups = 4;
    cr_assert_eq(conv_forward(&in, &w, &b, &p, &out, &err), CS_OK, "%s", err.message);
    expect_values(&out, 4, 2, 2, dwant, "depthwise");
    tensor_free(&out);
    tensor_free(&w);
    w = make_tensor(2, 2, 1, 1, 4, gw);
    p.groups = 2;
    cr_assert_eq(conv_forward(&in, &w, NULL, &p, &out, &err), CS_OK, "%s", err.message);
    expect_values(&out, 2, 2, 2, gwant, "two groups");
    tensor_free(&out);
    tensor_free(&w);
    tensor_free(&b);
    tensor_free(&in);
}

Test(conv, transposed_by_hand)
{
    /* Input [[1,2],[3,4]] and a 2x2 kernel of ones: each input cell paints
     * a 2x2 block. Stride 2 tiles the blocks; stride 1 overlaps them; the
     * centre of the stride-1 result is 1+2+3+4 = 10. */
    static const float x[] = {1, 2, 3, 4};
    static const float ones[] = {1, 1, 1, 1};
    static const float stride2[] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
    static const float stride1[] = {1, 3, 2, 4, 10, 6, 3, 7, 4};
    static const float cropped[] = {10};
    /* Output padding adds a last row and column that only the bias reaches. */
    static const float padded_out[] = {
        1.5f, 1.5f, 2.5f, 2.5f, 0.5f,
        1.5f, 1.5f, 2.5f, 2.5f, 0.5f,
        3.5f, 3.5f, 4.5f, 4.5f, 0.5f,
        3.5f, 3.5f, 4.5f, 4.5f, 0.5f,
        0.5f, 0.5f, 0.5f, 0.5f, 0.5f,
    };
    static const float half[] = {0.5f};
    Tensor in = make_tensor(1, 1, 2, 2, 2, x), w = make_tensor(1, 1, 2, 2, 4, ones);
    Tensor b = make_tensor(1, 1, 1, 1, 1, half), out;
    ConvParams p = geom_conv_defaults();
    Error err = {0};
    p.transposed = true;
    p.stride_h = p.stride_w = 2;
    cr_assert_eq(conv_forward(&in, &w, NULL, &p, &out, &err), CS_OK, "%s", err.message);
    expect_values(&out, 1, 4, 4, stride2, "stride 2");
    tensor_free(&out);
    p.output_padding_h = p.output_padding_w = 1;
    cr_assert_eq(conv_forward(&in, &w, &b, &p, &out, &err), CS_OK, "%s", err.message);
    expect_values(&out, 1, 5, 5, padded_out, "stride 2, output padding 1, bias 0.5");
    tensor_free(&out);
    p = geom_conv_defaults();
    p.transposed = true;
    cr_assert_eq(conv_forward(&in, &w, NULL, &p, &out, &err), CS_OK, "%s", err.message);
    expect_values(&out, 1, 3, 3, stride1, "stride 1");
    tensor_free(&out);
    p.padding.h = p.padding.w = 1;
    cr_assert_eq(conv_forward(&in, &w, NULL, &p, &out, &err), CS_OK, "%s", err.message);
    expect_values(&out, 1, 1, 1, cropped, "padding 1 crops the border");
    tensor_free(&out);
    tensor_free(&in);
    tensor_free(&w);
    tensor_free(&b);
}

Test(conv, transposed_groups_by_hand)
{
    /* Two input channels, groups 2, weights (2, 1, 1, 1): each output
     * channel is its own input channel times its weight. */
    static const float x[] = {1, 2, 3, 4};
    static const float w[] = {10, -1};
    static const float want[] = {10, 20, -3, -4};
    Tensor in = make_tensor(1, 2, 1, 2, 3, x), wt = make_tensor(2, 1, 1, 1, 4, w), out;
    ConvParams p = geom_conv_defaults();
    Error err = {0};
    p.transposed = true;
    p.groups = 2;
    cr_assert_eq(conv_forward(&in, &wt, NULL, &p, &out, &err), CS_OK, "%s", err.message);
    expect_values(&out, 2, 1, 2, want, "transposed groups");
    tensor_free(&out);
    tensor_free(&in);
    tensor_free(&wt);
}

/* ---- differential tests against the reference ---- */

typedef struct RandomConv {
    Tensor in, w, b;
    bool has_bias;
    ConvParams p;
} RandomConv;

static int rand_int(Rng *rng, int lo, int hi)
{
    return lo + (int)(rng_next(rng) % (uint64_t)(hi - lo + 1));
}

static RandomConv random_conv(Rng *rng)
{
    RandomConv rc;
    ConvParams p = geom_conv_defaults();
    int groups = rand_int(rng, 1, 3), cpg = rand_int(rng, 1, 3), fpg = rand_int(rng, 1, 9);
    int kh = rand_int(rng, 1, 4), kw = rand_int(rng, 1, 4);
    int h = rand_int(rng, 1, 12), w = rand_int(rng, 1, 12);
    if (rand_int(rng, 0, 5) == 0) {
        groups = rand_int(rng, 2, 6); /* depthwise */
        cpg = 1;
    }
    if (rand_int(rng, 0, 7) == 0) {
        w = rand_int(rng, 60, 150); /* rows long enough for the vector chunks */
        h = rand_int(rng, 1, 6);
    }
    p.groups = groups;
    p.stride_h = rand_int(rng, 1, 3);
    p.stride_w = rand_int(rng, 1, 3);
    p.dilation_h = rand_int(rng, 1, 3);
    p.dilation_w = rand_int(rng, 1, 3);
    p.padding.h = rand_int(rng, 0, 3);
    p.padding.w = rand_int(rng, 0, 3);
    if (rand_int(rng, 0, 2) == 0) {
        int mh = p.stride_h > p.dilation_h ? p.stride_h : p.dilation_h;
        int mw = p.stride_w > p.dilation_w ? p.stride_w : p.dilation_w;
        p.transposed = true;
        p.output_padding_h = rand_int(rng, 0, mh - 1);
        p.output_padding_w = rand_int(rng, 0, mw - 1);
        rc.w = random_tensor(rng, (size_t)(groups * cpg), (size_t)fpg, (size_t)kh, (size_t)kw);
    } else {
        static const PadKind kinds[] = {PAD_EXPLICIT, PAD_EXPLICIT, PAD_VALID, PAD_SAME, PAD_FULL};
        p.padding.kind = kinds[rand_int(rng, 0, 4)];
        p.pad_mode = (PadMode)rand_int(rng, 0, 3);
        rc.w = random_tensor(rng, (size_t)(groups * fpg), (size_t)cpg, (size_t)kh, (size_t)kw);
    }
    rc.in = random_tensor(rng, 1, (size_t)(groups * cpg), (size_t)h, (size_t)w);
    rc.b = random_tensor(rng, 1, 1, 1, (size_t)(groups * fpg));
    rc.has_bias = rand_int(rng, 0, 3) != 0;
    rc.p = p;
    return rc;
}

/* Every path this CPU runs (isa.h) gets the same configurations. */
Test(conv, matches_reference_on_random_configurations)
{
    CpuIsa isas[ISA_COUNT];
    size_t n_isas = isa_paths(isas);
    for (size_t k = 0; k < n_isas; k++) {
        Rng rng;
        int accepted = 0, transposed = 0, wide = 0, total = 3000;
        isa_use(isas[k]);
        rng_seed(&rng, 20240611);
        for (int i = 0; i < total; i++) {
            RandomConv rc = random_conv(&rng);
            Tensor got, want;
            Error e1 = {0}, e2 = {0};
            const Tensor *bias = rc.has_bias ? &rc.b : NULL;
            Status s1 = conv_forward(&rc.in, &rc.w, bias, &rc.p, &got, &e1);
            Status s2 = rc.p.transposed ? ref_conv_transpose(&rc.in, &rc.w, bias, &rc.p, &want, &e2)
                                        : ref_conv(&rc.in, &rc.w, bias, &rc.p, &want, &e2);
            cr_assert_eq(s1, s2, "%s, config %d: conv_forward says %d (%s), the reference %d (%s)",
                         isa_name(isas[k]), i, s1, e1.message, s2, e2.message);
            if (s1 == CS_OK) {
                char what[64];
                size_t oh, ow;
                cr_assert_eq(geom_conv_output(&rc.p, rc.in.h, rc.in.w, rc.w.h, rc.w.w, &oh, &ow, NULL), CS_OK);
                cr_assert(got.h == oh && got.w == ow, "config %d: output %zux%zu, formula %zux%zu", i, got.h,
                          got.w, oh, ow);
                snprintf(what, sizeof what, "%s, config %d", isa_name(isas[k]), i);
                expect_near(&got, &want, what);
                accepted++;
                transposed += rc.p.transposed;
                wide += got.w >= 64;
                tensor_free(&got);
                tensor_free(&want);
            } else {
                cr_assert_null(got.data, "config %d: a refusal leaves no output", i);
            }
            tensor_free(&rc.in);
            tensor_free(&rc.w);
            tensor_free(&rc.b);
        }
        /* The generator must mostly produce valid layers of every kind. */
        cr_expect_gt(accepted, total * 6 / 10, "only %d of %d configurations were valid", accepted, total);
        cr_expect_gt(transposed, total / 5, "only %d transposed", transposed);
        cr_expect_gt(wide, total / 50, "only %d wide outputs", wide);
    }
}

/* Layers big enough for every part of the regular kernel (convflat.c):
 * several bands of input copy, channel passes, filter blocks of 12 and
 * their leftovers, the 1x1 path that reads the input as it is, row mode,
 * rows longer than a piece, groups; and the Winograd path. Each on every
 * path, against the reference within the contract's 1e-5; and each
 * computed twice, bit for bit the same. */
typedef struct BigConv {
    const char *what;
    int c, h, w, f, kh, kw, stride, pad, dilation, groups;
    PadMode mode;
} BigConv;

static const BigConv big_convs[] = {
    {"3x3 direct (20 filters), several bands and channel passes", 40, 30, 61, 20, 3, 3, 1, 1, 1, 1, PADMODE_ZEROS},
    {"stride 2, bands of phases", 8, 61, 150, 13, 3, 3, 2, 1, 1, 1, PADMODE_ZEROS},
    {"11x11 stride 4, blocks of 12 filters", 3, 83, 87, 24, 11, 11, 4, 2, 1, 1, PADMODE_ZEROS},
    {"1x1 read as it is (16x16)", 20, 16, 16, 26, 1, 1, 1, 0, 1, 1, PADMODE_ZEROS},
    {"1x1 through a copy (10x10)", 20, 10, 10, 26, 1, 1, 1, 0, 1, 1, PADMODE_ZEROS},
    {"dilation 2", 16, 40, 70, 16, 3, 3, 1, 2, 2, 1, PADMODE_ZEROS},
    {"depthwise", 24, 33, 90, 24, 3, 3, 1, 1, 1, 24, PADMODE_ZEROS},
    {"groups 2", 12, 20, 45, 10, 3, 5, 1, 2, 1, 2, PADMODE_ZEROS},
    {"row mode: more thrown away than kept", 2, 3, 40, 5, 2, 30, 1, 0, 1, 1, PADMODE_ZEROS},
    {"row mode, rows longer than a piece", 1, 2, 2000, 3, 1, 1100, 1, 0, 1, 1, PADMODE_ZEROS},
    {"one output per row", 3, 9, 9, 4, 3, 9, 1, 0, 1, 1, PADMODE_ZEROS},
    /* Winograd F(2x2, 3x3) (winograd.c): odd and even sizes, every padding */
    {"Winograd, odd output, no padding", 24, 13, 20, 24, 3, 3, 1, 0, 1, 1, PADMODE_ZEROS},
    {"Winograd, padding 2", 25, 9, 31, 27, 3, 3, 1, 2, 1, 1, PADMODE_ZEROS},
    {"Winograd, reflect padding", 28, 14, 15, 24, 3, 3, 1, 1, 1, 1, PADMODE_REFLECT},
    {"Winograd, replicate padding", 24, 11, 12, 24, 3, 3, 1, 1, 1, 1, PADMODE_REPLICATE},
    {"Winograd, circular padding", 24, 8, 9, 24, 3, 3, 1, 1, 1, 1, PADMODE_CIRCULAR},
    {"Winograd, 1x1 output", 24, 3, 3, 24, 3, 3, 1, 0, 1, 1, PADMODE_ZEROS},
    {"Winograd, many tiles per row", 24, 6, 300, 24, 3, 3, 1, 1, 1, 1, PADMODE_ZEROS},
};

/* Within tol of the reference relative to 1 + |value|, shapes equal. */
static void expect_close(const Tensor *got, const Tensor *want, float tol, const char *what)
{
    cr_assert(got->c == want->c && got->h == want->h && got->w == want->w, "%s: shape", what);
    for (size_t i = 0; i < tensor_count(want); i++) {
        float a = got->data[i], b = want->data[i];
        cr_assert(fabsf(a - b) <= tol * (1.0f + fabsf(b)), "%s: element %zu is %.8g, expected %.8g", what, i,
                  (double)a, (double)b);
    }
}

Test(conv, big_layers_match_reference_on_every_path)
{
    CpuIsa isas[ISA_COUNT];
    size_t n_isas = isa_paths(isas);
    Rng rng;
    rng_seed(&rng, 77);
    for (size_t i = 0; i < sizeof big_convs / sizeof big_convs[0]; i++) {
        const BigConv *bc = &big_convs[i];
        Tensor in = random_tensor(&rng, 1, (size_t)bc->c, (size_t)bc->h, (size_t)bc->w);
        Tensor w = random_tensor(&rng, (size_t)bc->f, (size_t)(bc->c / bc->groups), (size_t)bc->kh, (size_t)bc->kw);
        Tensor b = random_tensor(&rng, 1, 1, 1, (size_t)bc->f), want;
        ConvParams p = geom_conv_defaults();
        p.stride_h = p.stride_w = bc->stride;
        p.padding.h = p.padding.w = bc->pad;
        p.dilation_h = p.dilation_w = bc->dilation;
        p.groups = bc->groups;
        p.pad_mode = bc->mode;
        /* conv_forward's contract, 1e-5, for sums of up to 600 terms; a
         * float sum of 1100 terms (the row-mode case) drifts past it on any
         * path, so 1e-4 there. */
        const float tol = bc->c / bc->groups * bc->kh * bc->kw <= 600 ? 1e-5f : 1e-4f;
        cr_assert_eq(ref_conv(&in, &w, &b, &p, &want, NULL), CS_OK, "%s", bc->what);
        for (size_t k = 0; k < n_isas; k++) {
            Tensor got, again;
            char what[160];
            isa_use(isas[k]);
            snprintf(what, sizeof what, "%s (%s)", bc->what, isa_name(isas[k]));
            cr_assert_eq(conv_forward(&in, &w, &b, &p, &got, NULL), CS_OK, "%s", what);
            expect_close(&got, &want, tol, what);
            cr_assert_eq(conv_forward(&in, &w, &b, &p, &again, NULL), CS_OK, "%s", what);
            cr_expect_eq(memcmp(got.data, again.data, tensor_count(&got) * sizeof(float)), 0,
                         "%s: two runs differ", what);
            tensor_free(&got);
            tensor_free(&again);
        }
        tensor_free(&want);
        tensor_free(&in);
        tensor_free(&w);
        tensor_free(&b);
    }
}

Test(conv, benchmark_layer_matches_reference)
{
    /* The layer `convstep bench` times (16 filters of 3x3 over 3 channels,
     * stride 1, padding 1) on a smaller image, under every padding mode and
     * with dilation: the path that computes four filters at once. */
    Rng rng;
    rng_seed(&rng, 42);
    Tensor in = random_tensor(&rng, 1, 3, 21, 133), w = random_tensor(&rng, 16, 3, 3, 3);
    Tensor b = random_tensor(&rng, 1, 1, 1, 16);
    for (int mode = 0; mode < 4; mode++) {
        for (int d = 1; d <= 2; d++) {
            ConvParams p = geom_conv_defaults();
            Tensor got, want;
            p.padding.h = p.padding.w = d;
            p.dilation_h = p.dilation_w = d;
            p.pad_mode = (PadMode)mode;
            cr_assert_eq(conv_forward(&in, &w, &b, &p, &got, NULL), CS_OK);
            cr_assert_eq(ref_conv(&in, &w, &b, &p, &want, NULL), CS_OK);
            expect_near(&got, &want, geom_pad_mode_name(p.pad_mode));
            tensor_free(&got);
            tensor_free(&want);
        }
    }
    tensor_free(&in);
    tensor_free(&w);
    tensor_free(&b);
}

/* ---- properties ---- */

Test(conv, identity_kernel_returns_input)
{
    /* 3x3 kernels with a single 1 at the centre, filter f reading channel
     * f; padding 1 keeps the size under every padding mode. */
    Rng rng;
    rng_seed(&rng, 7);
    Tensor in = random_tensor(&rng, 1, 3, 9, 70);
    for (int groups = 1; groups <= 3; groups += 2) {
        Tensor w = make_tensor(3, (size_t)(3 / groups), 3, 3, 4, NULL);
        for (size_t f = 0; f < 3; f++)
            *tensor_at(&w, f, groups == 1 ? f : 0, 1, 1) = 1.0f;
        for (int mode = 0; mode < 4; mode++) {
            ConvParams p = geom_conv_defaults();
            Tensor out;
            Error err = {0};
            p.groups = groups;
            p.padding.h = p.padding.w = 1;
            p.pad_mode = (PadMode)mode;
            cr_assert_eq(conv_forward(&in, &w, NULL, &p, &out, &err), CS_OK, "%s", err.message);
            cr_assert_eq(tensor_count(&out), tensor_count(&in));
            cr_expect_eq(memcmp(out.data, in.data, tensor_count(&in) * sizeof(float)), 0,
                         "groups %d, %s padding changed the input", groups, geom_pad_mode_name(p.pad_mode));
            tensor_free(&out);
        }
        tensor_free(&w);
    }
    tensor_free(&in);
}

Test(conv, linearity)
{
    /* conv(a x + b y) = a conv(x) + b conv(y) without bias, for a regular
     * and a transposed layer. */
    Rng rng;
    const float a = 1.5f, b = -0.75f;
    rng_seed(&rng, 11);
    for (int t = 0; t < 2; t++) {
        Tensor x = random_tensor(&rng, 1, 4, 11, 80), y = random_tensor(&rng, 1, 4, 11, 80);
        Tensor w = random_tensor(&rng, 4, 2, 3, 3), mix = make_tensor(1, 4, 11, 80, 4, NULL);
        Tensor cx, cy, cmix;
        ConvParams p = geom_conv_defaults();
        p.groups = 2;
        p.transposed = t == 1;
        p.stride_w = 2;
        p.padding.h = p.padding.w = 1;
        p.pad_mode = t == 1 ? PADMODE_ZEROS : PADMODE_REFLECT;
        for (size_t i = 0; i < tensor_count(&x); i++)
            mix.data[i] = a * x.data[i] + b * y.data[i];
        cr_assert_eq(conv_forward(&x, &w, NULL, &p, &cx, NULL), CS_OK);
        cr_assert_eq(conv_forward(&y, &w, NULL, &p, &cy, NULL), CS_OK);
        cr_assert_eq(conv_forward(&mix, &w, NULL, &p, &cmix, NULL), CS_OK);
        for (size_t i = 0; i < tensor_count(&cx); i++)
            cx.data[i] = a * cx.data[i] + b * cy.data[i];
        expect_near(&cmix, &cx, t ? "transposed linearity" : "linearity");
        tensor_free(&x);
        tensor_free(&y);
        tensor_free(&w);
        tensor_free(&mix);
        tensor_free(&cx);
        tensor_free(&cy);
        tensor_free(&cmix);
    }
}

Test(conv, padding_equals_prepadded_input)
{
    /* A layer with padding (2, 3) under each mode equals the same layer with
     * no padding on an input padded beforehand, cell by cell, with
     * geom_pad_source. */
    Rng rng;
    rng_seed(&rng, 5);
    Tensor in = random_tensor(&rng, 1, 2, 6, 90), w = random_tensor(&rng, 3, 2, 3, 4);
    for (int mode = 0; mode < 4; mode++) {
        Tensor pre = make_tensor(1, 2, 10, 96, 3, NULL), a, b;
        ConvParams p = geom_conv_defaults();
        for (size_t c = 0; c < 2; c++)
            for (int y = 0; y < 10; y++)
                for (int x = 0; x < 96; x++) {
                    int sy = geom_pad_source((PadMode)mode, y - 2, 6), sx = geom_pad_source((PadMode)mode, x - 3, 90);
                    *tensor_at(&pre, 0, c, (size_t)y, (size_t)x) =
                        sy < 0 || sx < 0 ? 0.0f : *tensor_at(&in, 0, c, (size_t)sy, (size_t)sx);
                }
        p.dilation_w = 2;
        cr_assert_eq(conv_forward(&pre, &w, NULL, &p, &b, NULL), CS_OK);
        p.padding.h = 2;
        p.padding.w = 3;
        p.pad_mode = (PadMode)mode;
        cr_assert_eq(conv_forward(&in, &w, NULL, &p, &a, NULL), CS_OK);
        expect_near(&a, &b, geom_pad_mode_name(p.pad_mode));
        tensor_free(&pre);
        tensor_free(&a);
        tensor_free(&b);
    }
    tensor_free(&in);
    tensor_free(&w);
}

Test(conv, output_rank_follows_input)
{
    Tensor in = make_tensor(1, 1, 4, 4, 4, NULL), w = make_tensor(2, 1, 1, 1, 4, NULL), out;
    ConvParams p = geom_conv_defaults();
    cr_assert_eq(conv_forward(&in, &w, NULL, &p, &out, NULL), CS_OK);
    cr_expect_eq(out.rank, 4);
    cr_expect(out.n == 1 && out.c == 2 && out.h == 4 && out.w == 4);
    tensor_free(&out);
    tensor_free(&in);
    tensor_free(&w);
}

/* ---- refusals ---- */

static void expect_refused(const Tensor *in, const Tensor *w, const Tensor *b, const ConvParams *p,
                           Status status, const char *phrase)
{
    Tensor out;
    Error err = {0};
    size_t f = 12345;
    cr_expect_eq(conv_check(in, w, b, p, &f, &err), status, "conv_check: expected '%s'", phrase);
    cr_expect(strstr(err.message, phrase) != NULL, "message '%s' lacks '%s'", err.message, phrase);
    cr_expect_eq(f, 12345, "a refusal leaves out_channels alone");
    memset(&err, 0, sizeof err);
    cr_expect_eq(conv_forward(in, w, b, p, &out, &err), status, "conv_forward: expected '%s'", phrase);
    cr_expect(strstr(err.message, phrase) != NULL, "message '%s' lacks '%s'", err.message, phrase);
    cr_expect_null(out.data, "a refusal leaves no output");
}

Test(conv, refuses_mismatched_channels)
{
    Tensor in = make_tensor(1, 3, 5, 5, 3, NULL), w = make_tensor(4, 1, 3, 3, 4, NULL);
    ConvParams p = geom_conv_defaults();
    expect_refused(&in, &w, NULL, &p, CS_ERR_SHAPE,
                   "weights expect 1 input channel per group but the input has 3 channels");
    p.transposed = true;
    expect_refused(&in, &w, NULL, &p, CS_ERR_SHAPE,
                   "transposed weights expect 4 input channels but the input has 3 channels");
    tensor_free(&in);
    tensor_free(&w);
}

Test(conv, refuses_groups_not_dividing)
{
    Tensor in = make_tensor(1, 3, 5, 5, 3, NULL), w = make_tensor(4, 1, 3, 3, 4, NULL);
    Tensor in4 = make_tensor(1, 4, 5, 5, 3, NULL), w3 = make_tensor(3, 2, 3, 3, 4, NULL);
    ConvParams p = geom_conv_defaults();
    p.groups = 2;
    expect_refused(&in, &w, NULL, &p, CS_ERR_SHAPE, "groups 2 does not divide the 3 input channels");
    expect_refused(&in4, &w3, NULL, &p, CS_ERR_SHAPE, "groups 2 does not divide the 3 output channels");
    p.groups = 0;
    expect_refused(&in, &w, NULL, &p, CS_ERR_RANGE, "groups 0");
    tensor_free(&in);
    tensor_free(&w);
    tensor_free(&in4);
    tensor_free(&w3);
}

Test(conv, refuses_bad_bias_and_batch)
{
    Tensor in = make_tensor(1, 1, 5, 5, 3, NULL), w = make_tensor(4, 1, 3, 3, 4, NULL);
    Tensor b = make_tensor(1, 1, 1, 3, 1, NULL), batch = make_tensor(2, 1, 5, 5, 4, NULL);
    ConvParams p = geom_conv_defaults();
    expect_refused(&in, &w, &b, &p, CS_ERR_SHAPE, "bias has 3 values but the layer has 4 output channels");
    expect_refused(&batch, &w, NULL, &p, CS_ERR_SHAPE, "batch of 2");
    tensor_free(&in);
    tensor_free(&w);
    tensor_free(&b);
    tensor_free(&batch);
}

Test(conv, refuses_bad_geometry)
{
    Tensor in = make_tensor(1, 1, 3, 3, 3, NULL), w = make_tensor(1, 1, 5, 5, 4, NULL);
    ConvParams p = geom_conv_defaults();
    expect_refused(&in, &w, NULL, &p, CS_ERR_RANGE, "kernel 5x5 (dilation 1) is larger than the padded input 3x3");
    p.padding.h = p.padding.w = 1;
    p.stride_h = 0;
    expect_refused(&in, &w, NULL, &p, CS_ERR_RANGE, "stride 0");
    p.stride_h = 1;
    p.pad_mode = PADMODE_REFLECT;
    p.padding.h = p.padding.w = 3;
    expect_refused(&in, &w, NULL, &p, CS_ERR_RANGE, "reflect padding 3");
    tensor_free(&in);
    tensor_free(&w);
}
