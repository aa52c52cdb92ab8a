/* test_geom.c: layer geometry (output sizes for every padding kind, the
 * conv_arithmetic relationships, pooling ceil_mode, the live arithmetic
 * text, padding modes, which coordinates a window reads, refusals) and
 * the activations. */
#include <criterion/criterion.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "act.h"
#include "geom.h"
#include "rng.h"

/* ---- convolution output sizes ---- */

typedef struct ConvCase {
    const char *what;
    int n, k, s, d;
    PadKind kind;
    int pad;           /* PAD_EXPLICIT */
    bool transposed;
    int op;            /* output padding */
    int out;
} ConvCase;

/* Square inputs and kernels; the same numbers on both axes. Relationships
 * from Dumoulin & Visin, "A guide to convolution arithmetic" (2016). */
static const ConvCase conv_cases[] = {
    {"R1 no padding, unit stride: i - k + 1", 4, 3, 1, 1, PAD_EXPLICIT, 0, false, 0, 2},
    {"R2 padding p, unit stride: i - k + 2p + 1", 5, 4, 1, 1, PAD_EXPLICIT, 2, false, 0, 6},
    {"R3 half padding keeps the size", 5, 3, 1, 1, PAD_EXPLICIT, 1, false, 0, 5},
    {"R4 full padding: i + k - 1", 5, 3, 1, 1, PAD_EXPLICIT, 2, false, 0, 7},
    {"R5 no padding, stride 2", 5, 3, 2, 1, PAD_EXPLICIT, 0, false, 0, 2},
    {"R6 padding 1, stride 2", 5, 3, 2, 1, PAD_EXPLICIT, 1, false, 0, 3},
    {"R6 odd input, same output", 6, 3, 2, 1, PAD_EXPLICIT, 1, false, 0, 3},
    {"R15 dilation 2: i - d(k-1)", 7, 3, 1, 2, PAD_EXPLICIT, 0, false, 0, 3},
    {"valid", 7, 3, 1, 1, PAD_VALID, 0, false, 0, 5},
    {"valid, stride 3", 10, 3, 3, 1, PAD_VALID, 0, false, 0, 3},
    {"same, stride 1, odd kernel", 7, 3, 1, 1, PAD_SAME, 0, false, 0, 7},
    {"same, stride 1, even kernel", 5, 4, 1, 1, PAD_SAME, 0, false, 0, 5},
    {"same, stride 2: ceil(7/2)", 7, 3, 2, 1, PAD_SAME, 0, false, 0, 4},
    {"same, stride 2: ceil(6/2)", 6, 3, 2, 1, PAD_SAME, 0, false, 0, 3},
    {"same, stride 3, kernel 1", 5, 1, 3, 1, PAD_SAME, 0, false, 0, 2},
    {"same, dilation 2", 6, 3, 1, 2, PAD_SAME, 0, false, 0, 6},
    {"full: i + k - 1", 5, 3, 1, 1, PAD_FULL, 0, false, 0, 7},
    {"full, dilation 2: i + d(k-1)", 5, 3, 1, 2, PAD_FULL, 0, false, 0, 9},
    {"full, stride 2", 5, 3, 2, 1, PAD_FULL, 0, false, 0, 4},
    {"transposed R1: i + k - 1", 2, 3, 1, 1, PAD_EXPLICIT, 0, true, 0, 4},
    {"transposed R6: (i-1)s - 2p + k", 3, 3, 2, 1, PAD_EXPLICIT, 1, true, 0, 5},
    {"transposed with output padding", 3, 3, 2, 1, PAD_EXPLICIT, 1, true, 1, 6},
    {"transposed, stride 2, kernel 2: 2i", 4, 2, 2, 1, PAD_EXPLICIT, 0, true, 0, 8},
    {"transposed, dilation 2", 3, 3, 1, 2, PAD_EXPLICIT, 0, true, 0, 7},
    {"transposed, output padding below dilation", 3, 3, 1, 2, PAD_EXPLICIT, 0, true, 1, 8},
    {"transposed, 1x1 from padding", 2, 2, 1, 1, PAD_EXPLICIT, 1, true, 0, 1},
};

static ConvParams conv_params_of(const ConvCase *c)
{
    ConvParams p = geom_conv_defaults();
    p.stride_h = p.stride_w = c->s;
    p.dilation_h = p.dilation_w = c->d;
    p.padding.kind = c->kind;
    p.padding.h = p.padding.w = c->pad;
    p.transposed = c->transposed;
    p.output_padding_h = p.output_padding_w = c->op;
    return p;
}

Test(geom, conv_output_sizes)
{
    for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++) {
        const ConvCase *c = &conv_cases[i];
        ConvParams p = conv_params_of(c);
        size_t oh = 0, ow = 0;
        Error err = {0};
        Status st = geom_conv_output(&p, (size_t)c->n, (size_t)c->n, (size_t)c->k, (size_t)c->k, &oh, &ow,
                                     &err);
        cr_assert_eq(st, CS_OK, "%s: %s", c->what, err.message);
        cr_expect_eq(oh, (size_t)c->out, "%s: height %zu, expected %d", c->what, oh, c->out);
        cr_expect_eq(ow, (size_t)c->out, "%s: width %zu, expected %d", c->what, ow, c->out);
    }
}

Test(geom, conv_output_axes_independent)
{
    /* 1x7 kernel with padding (0, 3) keeps a 10x20 input's size. */
    ConvParams p = geom_conv_defaults();
    size_t oh, ow;
    p.padding.h = 0;
    p.padding.w = 3;
    p.stride_h = 2;
    cr_assert_eq(geom_conv_output(&p, 10, 20, 1, 7, &oh, &ow, NULL), CS_OK);
    cr_expect_eq(oh, 5);
    cr_expect_eq(ow, 20);
}

typedef struct SameCase {
    int n, k, s, d, before, after;
} SameCase;

Test(geom, same_padding_follows_tensorflow)
{
    /* total = max((ceil(n/s)-1)*s + d*(k-1) + 1 - n, 0), odd cell after. */
    static const SameCase cases[] = {
        {7, 3, 1, 1, 1, 1}, {5, 4, 1, 1, 1, 2}, {7, 3, 2, 1, 1, 1}, {6, 3, 2, 1, 0, 1},
        {5, 1, 3, 1, 0, 0}, {6, 3, 1, 2, 2, 2}, {8, 5, 3, 1, 1, 2}, {1, 3, 1, 1, 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const SameCase *c = &cases[i];
        ConvParams p = geom_conv_defaults();
        Pad4 pad;
        Error err = {0};
        p.padding.kind = PAD_SAME;
        p.stride_h = p.stride_w = c->s;
        p.dilation_h = p.dilation_w = c->d;
        cr_assert_eq(geom_conv_padding(&p, (size_t)c->n, 3, (size_t)c->k, 1, &pad, &err), CS_OK, "%s",
                     err.message);
        cr_expect_eq(pad.top, c->before, "n=%d k=%d s=%d d=%d: top %d", c->n, c->k, c->s, c->d, pad.top);
        cr_expect_eq(pad.bottom, c->after, "n=%d k=%d s=%d d=%d: bottom %d", c->n, c->k, c->s, c->d,
                     pad.bottom);
        cr_expect_eq(pad.left, 0);
        cr_expect_eq(pad.right, 0);
    }
}

Test(geom, full_and_explicit_padding)
{
    ConvParams p = geom_conv_defaults();
    Pad4 pad;
    p.padding.kind = PAD_FULL;
    p.dilation_h = 2;
    cr_assert_eq(geom_conv_padding(&p, 5, 5, 3, 5, &pad, NULL), CS_OK);
    cr_expect(pad.top == 4 && pad.bottom == 4 && pad.left == 4 && pad.right == 4);
    p = geom_conv_defaults();
    p.padding.h = 2;
    p.padding.w = 1;
    cr_assert_eq(geom_conv_padding(&p, 5, 5, 3, 3, &pad, NULL), CS_OK);
    cr_expect(pad.top == 2 && pad.bottom == 2 && pad.left == 1 && pad.right == 1);
}

/* ---- pooling output sizes ---- */

typedef struct PoolCase {
    const char *what;
    int n, k, s, pad, d;
    bool ceil_mode;
    int out;
} PoolCase;

static const PoolCase pool_cases[] = {
    {"2x2 stride 2 halves", 8, 2, 2, 0, 1, false, 4},
    {"floor drops the odd column", 5, 2, 2, 0, 1, false, 2},
    {"ceil keeps the partial window", 5, 2, 2, 0, 1, true, 3},
    {"3x3 stride 2 pad 1 (ResNet stem)", 112, 3, 2, 1, 1, false, 56},
    {"ceil: last window starts inside the input", 6, 3, 2, 1, 1, true, 4},
    {"ceil: last window would start in the padding, dropped", 5, 2, 2, 1, 1, true, 3},
    {"floor, same numbers", 5, 2, 2, 1, 1, false, 3},
    {"ceil, exact fit changes nothing", 7, 3, 2, 0, 1, true, 3},
    {"ceil, overhanging window allowed", 1, 4, 2, 1, 1, true, 1},
    {"dilation 2", 7, 3, 1, 0, 2, false, 3},
    {"stride 1", 4, 3, 1, 1, 1, false, 4},
};

Test(geom, pool_output_sizes)
{
    for (size_t i = 0; i < sizeof pool_cases / sizeof pool_cases[0]; i++) {
        const PoolCase *c = &pool_cases[i];
        PoolParams p = geom_pool_defaults(POOL_MAX, c->k, c->k);
        size_t oh = 0, ow = 0;
        Error err = {0};
        p.stride_h = p.stride_w = c->s;
        p.pad_h = p.pad_w = c->pad;
        p.dilation_h = p.dilation_w = c->d;
        p.ceil_mode = c->ceil_mode;
        cr_assert_eq(geom_pool_output(&p, (size_t)c->n, (size_t)c->n, &oh, &ow, &err), CS_OK, "%s: %s",
                     c->what, err.message);
        cr_expect_eq(oh, (size_t)c->out, "%s: %zu, expected %d", c->what, oh, c->out);
        cr_expect_eq(ow, (size_t)c->out, "%s: %zu, expected %d", c->what, ow, c->out);
    }
}

Test(geom, pool_defaults)
{
    PoolParams p = geom_pool_defaults(POOL_AVG, 3, 2);
    cr_expect_eq(p.mode, POOL_AVG);
    cr_expect(p.kernel_h == 3 && p.kernel_w == 2 && p.stride_h == 3 && p.stride_w == 2);
    cr_expect(p.pad_h == 0 && p.pad_w == 0 && p.dilation_h == 1 && p.dilation_w == 1);
    cr_expect(!p.ceil_mode && p.count_include_pad);
}

Test(geom, conv_defaults)
{
    ConvParams p = geom_conv_defaults();
    cr_expect(p.stride_h == 1 && p.stride_w == 1 && p.dilation_h == 1 && p.dilation_w == 1);
    cr_expect(p.padding.kind == PAD_EXPLICIT && p.padding.h == 0 && p.padding.w == 0);
    cr_expect(p.pad_mode == PADMODE_ZEROS && p.groups == 1 && !p.transposed);
    cr_expect(p.output_padding_h == 0 && p.output_padding_w == 0);
}

/* ---- the arithmetic in live numbers ---- */

Test(geom, explain_conv)
{
    char buf[200];
    ConvParams p = geom_conv_defaults();
    p.stride_h = p.stride_w = 2;
    p.padding.h = p.padding.w = 1;
    cr_assert_eq(geom_conv_explain(&p, 7, 9, 3, 3, 0, buf, sizeof buf), CS_OK);
    cr_expect_str_eq(buf, "floor((7 + 1 + 1 - 1*(3-1) - 1) / 2) + 1 = 4");
    cr_assert_eq(geom_conv_explain(&p, 7, 9, 3, 3, 1, buf, sizeof buf), CS_OK);
    cr_expect_str_eq(buf, "floor((9 + 1 + 1 - 1*(3-1) - 1) / 2) + 1 = 5");
    p.dilation_h = 2;
    p.padding.kind = PAD_SAME;
    cr_assert_eq(geom_conv_explain(&p, 6, 6, 3, 3, 0, buf, sizeof buf), CS_OK);
    cr_expect_str_eq(buf, "floor((6 + 1 + 2 - 2*(3-1) - 1) / 2) + 1 = 3");
}

Test(geom, explain_transposed)
{
    char buf[200];
    ConvParams p = geom_conv_defaults();
    p.transposed = true;
    p.stride_h = p.stride_w = 2;
    p.padding.h = p.padding.w = 1;
    cr_assert_eq(geom_conv_explain(&p, 4, 4, 3, 3, 0, buf, sizeof buf), CS_OK);
    cr_expect_str_eq(buf, "(4-1)*2 - 1 - 1 + 1*(3-1) + 0 + 1 = 7");
    p.output_padding_w = 1;
    cr_assert_eq(geom_conv_explain(&p, 4, 4, 3, 3, 1, buf, sizeof buf), CS_OK);
    cr_expect_str_eq(buf, "(4-1)*2 - 1 - 1 + 1*(3-1) + 1 + 1 = 8");
}

Test(geom, explain_pool)
{
    char buf[200];
    PoolParams p = geom_pool_defaults(POOL_MAX, 2, 2);
    cr_assert_eq(geom_pool_explain(&p, 5, 5, 0, buf, sizeof buf), CS_OK);
    cr_expect_str_eq(buf, "floor((5 + 0 + 0 - 1*(2-1) - 1) / 2) + 1 = 2");
    p.ceil_mode = true;
    cr_assert_eq(geom_pool_explain(&p, 5, 5, 0, buf, sizeof buf), CS_OK);
    cr_expect_str_eq(buf, "ceil((5 + 0 + 0 - 1*(2-1) - 1) / 2) + 1 = 3");
    p.pad_h = 1;
    cr_assert_eq(geom_pool_explain(&p, 5, 5, 0, buf, sizeof buf), CS_OK);
    cr_expect_str_eq(buf, "ceil((5 + 1 + 1 - 1*(2-1) - 1) / 2) + 1 - 1 = 3"
                          " (the last window would start in the padding)");
}

Test(geom, explain_failure_says_why)
{
    char buf[200];
    ConvParams p = geom_conv_defaults();
    PoolParams q = geom_pool_defaults(POOL_MAX, 3, 3);
    cr_expect_eq(geom_conv_explain(&p, 3, 3, 5, 5, 0, buf, sizeof buf), CS_ERR_RANGE);
    cr_expect_str_eq(buf, "kernel 5x5 (dilation 1) is larger than the padded input 3x3");
    q.pad_h = 2;
    cr_expect_eq(geom_pool_explain(&q, 8, 8, 0, buf, sizeof buf), CS_ERR_RANGE);
    cr_expect(strstr(buf, "padding 2") != NULL, "%s", buf);
    /* A short buffer is cut, never overrun. */
    p.padding.h = p.padding.w = 1;
    cr_expect_eq(geom_conv_explain(&p, 7, 7, 3, 3, 0, buf, 6), CS_OK);
    cr_expect_str_eq(buf, "floor");
}

/* ---- padding modes ---- */

Test(geom, pad_source_every_mode)
{
    /* n = 4, cells -3..6:   -3 -2 -1 | 0 1 2 3 | 4 5 6 */
    static const int zeros[] = {-1, -1, -1, 0, 1, 2, 3, -1, -1, -1};
    static const int reflect[] = {3, 2, 1, 0, 1, 2, 3, 2, 1, 0};
    static const int replicate[] = {0, 0, 0, 0, 1, 2, 3, 3, 3, 3};
    static const int circular[] = {1, 2, 3, 0, 1, 2, 3, 0, 1, 2};
    for (int i = -3; i <= 6; i++) {
        cr_expect_eq(geom_pad_source(PADMODE_ZEROS, i, 4), zeros[i + 3], "zeros %d", i);
        cr_expect_eq(geom_pad_source(PADMODE_REFLECT, i, 4), reflect[i + 3], "reflect %d", i);
        cr_expect_eq(geom_pad_source(PADMODE_REPLICATE, i, 4), replicate[i + 3], "replicate %d", i);
        cr_expect_eq(geom_pad_source(PADMODE_CIRCULAR, i, 4), circular[i + 3], "circular %d", i);
    }
    /* One cell: everything mirrors, repeats or wraps onto it. */
    cr_expect_eq(geom_pad_source(PADMODE_REFLECT, -2, 1), 0);
    cr_expect_eq(geom_pad_source(PADMODE_CIRCULAR, 5, 1), 0);
}

Test(geom, pad_source_always_in_range)
{
    for (int mode = PADMODE_REFLECT; mode <= PADMODE_CIRCULAR; mode++)
        for (int n = 1; n <= 6; n++)
            for (int i = -40; i <= 40; i++) {
                int s = geom_pad_source((PadMode)mode, i, n);
                cr_assert(s >= 0 && s < n, "mode %d n %d i %d gives %d", mode, n, i, s);
            }
}

/* ---- which coordinates a window reads ---- */

static WindowAxis window_axis(int size, int taps, int stride, int dilation, int pad, bool transposed)
{
    WindowAxis a = {size, taps, stride, dilation, pad, transposed};
    return a;
}

/* Kernel 3, stride 2, padding 1 over 6 inputs (3 outputs):
 *   output 0 reads -1 0 1, output 1 reads 1 2 3, output 2 reads 3 4 5;
 * the bottom padding row 6 is read by none. */
Test(geom, window_reads_stride_and_padding)
{
    WindowAxis a = window_axis(6, 3, 2, 1, 1, false);
    static const int first[] = {-1, 1, 3};
    for (int o = 0; o < 3; o++)
        for (int i = -3; i <= 8; i++)
            cr_expect_eq(geom_window_reads(&a, o, i), i >= first[o] && i <= first[o] + 2, "o %d i %d", o, i);
    bool unread[8];
    cr_expect_eq(geom_window_unreached(&a, 3, -1, 6, unread, 8), 1);
    for (int j = 0; j < 8; j++)
        cr_expect_eq(unread[j], j == 7, "coordinate %d", j - 1);
}

/* Kernel 3, dilation 2, stride 2 over 7 inputs (2 outputs): output 0 reads
 * 0 2 4, output 1 reads 2 4 6; the odd coordinates fall in the gaps. */
Test(geom, window_reads_dilation_gaps)
{
    WindowAxis a = window_axis(7, 3, 2, 2, 0, false);
    for (int i = 0; i < 7; i++) {
        cr_expect_eq(geom_window_reads(&a, 0, i), i % 2 == 0 && i <= 4, "o 0 i %d", i);
        cr_expect_eq(geom_window_reads(&a, 1, i), i % 2 == 0 && i >= 2, "o 1 i %d", i);
    }
    bool unread[7];
    cr_expect_eq(geom_window_unreached(&a, 2, 0, 6, unread, 7), 3);
    for (int i = 0; i < 7; i++)
        cr_expect_eq(unread[i], i % 2 == 1, "coordinate %d", i);
}

/* Stride larger than the kernel: kernel 2, stride 3 over 7 inputs (2
 * outputs) reads 0 1 and 3 4; 2, 5 and 6 are unread. A buffer of 3 entries
 * sees only 0..2, so it counts one. */
Test(geom, window_unreached_stride_gaps_and_short_buffer)
{
    WindowAxis a = window_axis(7, 2, 3, 1, 0, false);
    bool unread[7], few[4] = {false, false, false, true};
    cr_expect_eq(geom_window_unreached(&a, 2, 0, 6, unread, 7), 3);
    for (int i = 0; i < 7; i++)
        cr_expect_eq(unread[i], i == 2 || i == 5 || i == 6, "coordinate %d", i);
    cr_expect_eq(geom_window_unreached(&a, 2, 0, 6, few, 3), 1);
    cr_expect(!few[0] && !few[1] && few[2] && few[3], "the 4th entry must stay untouched");
}

/* Pooling 2, stride 2, ceil_mode over 5 inputs: 3 outputs, the last window
 * 4 5 overhangs the input; every coordinate 0..4 is read. */
Test(geom, window_reads_ceil_mode_overhang)
{
    WindowAxis a = window_axis(5, 2, 2, 1, 0, false);
    cr_expect(geom_window_reads(&a, 2, 4));
    cr_expect(geom_window_reads(&a, 2, 5));
    cr_expect(!geom_window_reads(&a, 2, 3));
    bool unread[5];
    cr_expect_eq(geom_window_unreached(&a, 3, 0, 4, unread, 5), 0);
}

/* Transposed, kernel 3, stride 2, padding 1 over 3 inputs (5 outputs):
 * input i lands on outputs o = 2i - 1 + k, k = 0..2, so output 2 gathers
 * i = 1 (k = 1) only, output 1 gathers i = 0 (k = 2) and i = 1 (k = 0). */
Test(geom, window_reads_transposed)
{
    WindowAxis a = window_axis(3, 3, 2, 1, 1, true);
    cr_expect(geom_window_reads(&a, 2, 1));
    cr_expect(!geom_window_reads(&a, 2, 0));
    cr_expect(!geom_window_reads(&a, 2, 2));
    cr_expect(geom_window_reads(&a, 1, 0));
    cr_expect(geom_window_reads(&a, 1, 1));
    cr_expect(!geom_window_reads(&a, 0, -1), "a transposed convolution reads no padding");
    bool unread[3];
    cr_expect_eq(geom_window_unreached(&a, 5, 0, 2, unread, 3), 0);
    /* Cropped to one output (output 0 gathers only input 0, at tap 1). */
    cr_expect_eq(geom_window_unreached(&a, 1, 0, 2, unread, 3), 2);
    cr_expect(!unread[0] && unread[1] && unread[2]);
}

static int rand_between(Rng *r, int lo, int hi)
{
    return lo + (int)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* Brute force: every output's every tap, as the stepper walks them. */
static bool brute_reads(const WindowAxis *a, int o, int i)
{
    for (int k = 0; k < a->taps; k++) {
        if (a->transposed) {
            if (i >= 0 && i < a->size && o == i * a->stride - a->pad + k * a->dilation)
                return true;
        } else if (i == o * a->stride - a->pad + k * a->dilation) {
            return true;
        }
    }
    return false;
}

/* Random axes, both kinds: reads equals the brute force for every (o, i)
 * around the input, and unreached marks exactly the coordinates no output
 * in range reads (the brute force over every window). */
Test(geom, window_reads_match_brute_force)
{
    Rng r;
    rng_seed(&r, 91);
    for (int round = 0; round < 2000; round++) {
        WindowAxis a = window_axis(rand_between(&r, 1, 9), rand_between(&r, 1, 4), rand_between(&r, 1, 4),
                                   rand_between(&r, 1, 3), rand_between(&r, 0, 3), rng_next(&r) % 2);
        int outputs = rand_between(&r, 1, 8);
        int lo = -a.pad - 2, hi = a.size + a.pad + 2;
        bool unread[32], want[32];
        for (int i = lo; i <= hi; i++) {
            want[i - lo] = true;
            for (int o = -2; o < outputs + 2; o++) {
                bool got = geom_window_reads(&a, o, i);
                cr_assert_eq(got, brute_reads(&a, o, i), "round %d: o %d i %d", round, o, i);
                if (got && o >= 0 && o < outputs)
                    want[i - lo] = false;
            }
        }
        int n = geom_window_unreached(&a, outputs, lo, hi, unread, 32), count = 0;
        for (int i = lo; i <= hi; i++) {
            cr_assert_eq(unread[i - lo], want[i - lo], "round %d: coordinate %d", round, i);
            count += want[i - lo];
        }
        cr_assert_eq(n, count, "round %d", round);
    }
}

Test(geom, pad_mode_names)
{
    static const char *const names[] = {"zeros", "reflect", "replicate", "circular"};
    for (int i = 0; i < 4; i++) {
        PadMode m;
        cr_assert(geom_pad_mode_parse(names[i], &m), "%s", names[i]);
        cr_expect_eq(m, (PadMode)i);
        cr_expect_str_eq(geom_pad_mode_name(m), names[i]);
    }
    PadMode m = PADMODE_REFLECT;
    cr_expect_not(geom_pad_mode_parse("mirror", &m));
    cr_expect_not(geom_pad_mode_parse("", &m));
    cr_expect_eq(m, PADMODE_REFLECT, "a failed parse leaves the mode alone");
}

/* ---- refusals ---- */

static void expect_conv_refused(const ConvParams *p, size_t h, size_t w, size_t kh, size_t kw,
                                const char *phrase)
{
    size_t oh = 99, ow = 99;
    Error err = {0};
    Status st = geom_conv_output(p, h, w, kh, kw, &oh, &ow, &err);
    cr_expect_eq(st, CS_ERR_RANGE, "expected a refusal with '%s', got status %d", phrase, st);
    cr_expect(strstr(err.message, phrase) != NULL, "message '%s' lacks '%s'", err.message, phrase);
    cr_expect(oh == 99 && ow == 99, "a refusal leaves the outputs alone");
}

Test(geom, refuses_stride_and_dilation_zero)
{
    ConvParams p = geom_conv_defaults();
    p.stride_w = 0;
    expect_conv_refused(&p, 5, 5, 3, 3, "stride 0");
    p = geom_conv_defaults();
    p.dilation_h = 0;
    expect_conv_refused(&p, 5, 5, 3, 3, "dilation 0");
    p = geom_conv_defaults();
    p.stride_h = -2;
    expect_conv_refused(&p, 5, 5, 3, 3, "stride -2");
}

Test(geom, refuses_negative_padding)
{
    ConvParams p = geom_conv_defaults();
    Pad4 pad;
    Error err = {0};
    p.padding.w = -1;
    cr_expect_eq(geom_conv_padding(&p, 5, 5, 3, 3, &pad, &err), CS_ERR_RANGE);
    cr_expect(strstr(err.message, "padding -1") != NULL, "%s", err.message);
    expect_conv_refused(&p, 5, 5, 3, 3, "negative");
}

Test(geom, refuses_reflect_wider_than_input)
{
    ConvParams p = geom_conv_defaults();
    Pad4 pad;
    p.pad_mode = PADMODE_REFLECT;
    p.padding.h = p.padding.w = 3;
    expect_conv_refused(&p, 5, 3, 3, 3,
                        "reflect padding 3 needs an input larger than 3 on the width axis; the input is 3 wide");
    expect_conv_refused(&p, 2, 8, 3, 3, "the input is 2 high");
    cr_expect_eq(geom_conv_padding(&p, 4, 4, 3, 3, &pad, NULL), CS_OK, "pad 3 < n 4 is fine");
    /* "same" resolves first: a 7x7 kernel on 3 cells needs 3 on each side. */
    p.padding.kind = PAD_SAME;
    expect_conv_refused(&p, 3, 3, 7, 7, "reflect padding 3");
}

Test(geom, circular_allows_padding_equal_to_input)
{
    ConvParams p = geom_conv_defaults();
    Pad4 pad;
    p.pad_mode = PADMODE_CIRCULAR;
    p.padding.h = p.padding.w = 3;
    cr_expect_eq(geom_conv_padding(&p, 3, 3, 3, 3, &pad, NULL), CS_OK);
    expect_conv_refused(&p, 2, 3, 3, 3, "circular padding 3");
    p.pad_mode = PADMODE_REPLICATE;
    p.padding.h = p.padding.w = 10;
    cr_expect_eq(geom_conv_padding(&p, 1, 1, 3, 3, &pad, NULL), CS_OK, "replicate has no limit");
}

Test(geom, refuses_kernel_larger_than_padded_input)
{
    ConvParams p = geom_conv_defaults();
    expect_conv_refused(&p, 3, 3, 5, 5, "kernel 5x5 (dilation 1) is larger than the padded input 3x3");
    p.padding.h = 1;
    expect_conv_refused(&p, 3, 8, 6, 3, "padded input 5x8");
    p = geom_conv_defaults();
    p.dilation_h = p.dilation_w = 2;
    expect_conv_refused(&p, 4, 4, 3, 3, "spanning 5x5");
}

Test(geom, refuses_bad_output_padding)
{
    ConvParams p = geom_conv_defaults();
    p.transposed = true;
    p.stride_h = p.stride_w = 2;
    p.output_padding_h = 2;
    expect_conv_refused(&p, 4, 4, 3, 3, "output padding 2 must be smaller than the stride (2) or the dilation (1)");
    p.output_padding_h = -1;
    expect_conv_refused(&p, 4, 4, 3, 3, "output padding -1");
    p = geom_conv_defaults();
    p.output_padding_w = 1;
    expect_conv_refused(&p, 4, 4, 3, 3, "only to a transposed");
}

Test(geom, refuses_same_and_full_for_transposed)
{
    ConvParams p = geom_conv_defaults();
    p.transposed = true;
    p.padding.kind = PAD_SAME;
    expect_conv_refused(&p, 4, 4, 3, 3, "'same' is not defined for a transposed");
    p.padding.kind = PAD_FULL;
    expect_conv_refused(&p, 4, 4, 3, 3, "'full'");
    p.padding.kind = PAD_EXPLICIT;
    p.pad_mode = PADMODE_REFLECT;
    expect_conv_refused(&p, 4, 4, 3, 3, "zeros only, not reflect");
}

Test(geom, refuses_transposed_output_below_one)
{
    ConvParams p = geom_conv_defaults();
    p.transposed = true;
    p.padding.h = 2;
    /* (2-1)*1 - 2 - 2 + 1*(2-1) + 0 + 1 = -1 */
    expect_conv_refused(&p, 2, 2, 2, 2, "the output would be -1x3");
}

Test(geom, refuses_numbers_overflowing_int)
{
    ConvParams p = geom_conv_defaults();
    expect_conv_refused(&p, (size_t)INT_MAX + 1, 5, 3, 3, "too large");
    expect_conv_refused(&p, 5, 5, 3, (size_t)INT_MAX + 7, "too large");
    p.padding.h = INT_MAX;
    expect_conv_refused(&p, 5, 5, 3, 3, "output size");
    p = geom_conv_defaults();
    p.padding.kind = PAD_FULL;
    p.dilation_w = INT_MAX;
    expect_conv_refused(&p, 5, 5, 3, 3, "padding");
    p = geom_conv_defaults();
    p.transposed = true;
    p.stride_h = INT_MAX;
    expect_conv_refused(&p, 5, 5, 3, 3, "output size");
    expect_conv_refused(&p, 0, 5, 3, 3, "zero side");
    expect_conv_refused(&p, 5, 5, 3, 0, "zero side");
}

static void expect_pool_refused(const PoolParams *p, size_t h, size_t w, const char *phrase)
{
    size_t oh, ow;
    Error err = {0};
    cr_expect_eq(geom_pool_output(p, h, w, &oh, &ow, &err), CS_ERR_RANGE, "expected '%s'", phrase);
    cr_expect(strstr(err.message, phrase) != NULL, "message '%s' lacks '%s'", err.message, phrase);
}

Test(geom, pool_refusals)
{
    PoolParams p = geom_pool_defaults(POOL_MAX, 3, 3);
    p.pad_w = 2;
    expect_pool_refused(&p, 8, 8, "pooling padding 2 is more than half the kernel 3 (at most 1)");
    p = geom_pool_defaults(POOL_MAX, 3, 3);
    p.stride_h = 0;
    expect_pool_refused(&p, 8, 8, "stride 0");
    p = geom_pool_defaults(POOL_MAX, 0, 3);
    expect_pool_refused(&p, 8, 8, "pooling kernel 0");
    p = geom_pool_defaults(POOL_MAX, 3, 3);
    p.pad_h = -1;
    expect_pool_refused(&p, 8, 8, "padding -1");
    p = geom_pool_defaults(POOL_AVG, 2, 2);
    p.dilation_h = 2;
    expect_pool_refused(&p, 8, 8, "average pooling has no dilation");
    p = geom_pool_defaults(POOL_MAX, 5, 5);
    expect_pool_refused(&p, 3, 8, "pooling window 5x5 (dilation 1) is larger than the padded input 3x8");
    p = geom_pool_defaults(POOL_MAX, 3, 3);
    p.dilation_w = 0;
    expect_pool_refused(&p, 8, 8, "dilation 0");
    expect_pool_refused(&p, (size_t)INT_MAX + 1, 8, "too large");
}

/* ---- activations ---- */

Test(act, apply_each_kind)
{
    Activation none = {ACT_NONE, 0}, relu = {ACT_RELU, 0}, leaky = {ACT_LEAKY_RELU, 0.1f};
    Activation sig = {ACT_SIGMOID, 0}, th = {ACT_TANH, 0};
    cr_expect_float_eq(act_apply(none, -2.5f), -2.5f, 0);
    cr_expect_float_eq(act_apply(relu, -2.5f), 0.0f, 0);
    cr_expect_float_eq(act_apply(relu, 3.0f), 3.0f, 0);
    cr_expect_float_eq(act_apply(leaky, -2.0f), -0.2f, 1e-7);
    cr_expect_float_eq(act_apply(leaky, 2.0f), 2.0f, 0);
    cr_expect_float_eq(act_apply(sig, 0.0f), 0.5f, 1e-7);
    cr_expect_float_eq(act_apply(sig, 2.0f), 1.0f / (1.0f + expf(-2.0f)), 1e-7);
    cr_expect_float_eq(act_apply(sig, -2.0f), 1.0f - 1.0f / (1.0f + expf(-2.0f)), 1e-7);
    cr_expect_float_eq(act_apply(sig, -200.0f), 0.0f, 1e-30, "no overflow far out");
    cr_expect_float_eq(act_apply(sig, 200.0f), 1.0f, 0);
    cr_expect_float_eq(act_apply(th, 0.5f), tanhf(0.5f), 0);
}

Test(act, apply_tensor_in_place)
{
    Tensor t;
    Activation relu = {ACT_RELU, 0};
    cr_assert_eq(tensor_init(&t, 1, 1, 1, 4, 1, NULL), CS_OK);
    t.data[0] = -1.0f;
    t.data[1] = 2.0f;
    t.data[2] = -0.5f;
    t.data[3] = 0.0f;
    act_apply_tensor(relu, &t);
    cr_expect(t.data[0] == 0.0f && t.data[1] == 2.0f && t.data[2] == 0.0f && t.data[3] == 0.0f);
    tensor_free(&t);
}

Test(act, names_and_labels)
{
    static const char *const names[] = {"none", "relu", "leaky_relu", "sigmoid", "tanh"};
    char buf[32];
    for (int i = 0; i < 5; i++) {
        ActKind k;
        cr_assert(act_parse(names[i], &k), "%s", names[i]);
        cr_expect_eq(k, (ActKind)i);
        cr_expect_str_eq(act_name(k), names[i]);
    }
    ActKind k;
    cr_expect_not(act_parse("gelu", &k));
    act_label((Activation){ACT_LEAKY_RELU, 0.01f}, buf, sizeof buf);
    cr_expect_str_eq(buf, "LeakyReLU(0.01)");
    act_label((Activation){ACT_RELU, 0}, buf, sizeof buf);
    cr_expect_str_eq(buf, "ReLU");
    act_label((Activation){ACT_SIGMOID, 0}, buf, sizeof buf);
    cr_expect_str_eq(buf, "Sigmoid");
    act_label((Activation){ACT_TANH, 0}, buf, sizeof buf);
    cr_expect_str_eq(buf, "Tanh");
    act_label((Activation){ACT_NONE, 0}, buf, sizeof buf);
    cr_expect_str_eq(buf, "Identity");
}
