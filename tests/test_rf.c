/* test_rf.c: receptive fields through a stack. The figures from the
 * literature (VGG-16: 212 with jump 32; AlexNet: 195 with jump 32; 3x3 valid
 * convolutions take 199x199 to 1x1 in 99 layers), hand-worked cell ranges
 * with stride, padding and dilation, parameters and multiply-adds of a small
 * stack worked by hand, and the cell ranges against brute force over random
 * layers and through random stacks. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rf.h"
#include "rng.h"

/* Parses spec and computes its RfLayers for an h x w x c input (0 =
 * unknown). The caller frees *stack and the returned array. */
static RfLayer *compute(const char *spec, size_t h, size_t w, size_t c, LayerStack *stack)
{
    Error err = {0};
    RfLayer *out;
    memset(stack, 0, sizeof *stack);
    cr_assert_eq(spec_parse(spec, stack, &err), CS_OK, "%s: %s", spec, err.message);
    out = calloc(stack->count, sizeof *out);
    cr_assert(out);
    cr_assert_eq(rf_compute(stack, h, w, c, out, &err), CS_OK, "%s: %s", spec, err.message);
    return out;
}

static char *read_model(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = malloc(1 << 16);
    size_t n;
    cr_assert(f, "%s (tests run from the repository root)", path);
    cr_assert(text);
    n = fread(text, 1, (1 << 16) - 1, f);
    fclose(f);
    text[n] = '\0';
    return text;
}

static CellRange cells(int lo, int hi)
{
    CellRange r = {lo, hi};
    return r;
}

#define expect_range(got, want_lo, want_hi, ...)                                             \
    cr_expect((got).lo == (want_lo) && (got).hi == (want_hi), "got [%d, %d], want [%d, %d]: " \
              __VA_ARGS__, (got).lo, (got).hi, (want_lo), (want_hi))

/* ---- real networks ---- */

Test(rf, vgg16_reaches_212_with_jump_32)
{
    char *text = read_model("assets/models/vgg16.txt");
    LayerStack s;
    RfLayer *r = compute(text, 224, 224, 3, &s);
    const RfLayer *last = &r[s.count - 1];
    uint64_t params = 0, macs = 0;

    cr_assert_eq(s.count, 31);
    cr_expect_eq(s.layers[s.count - 1].type, SPEC_MAXPOOL2D);
    cr_expect_eq(last->rf[0], 212.0);
    cr_expect_eq(last->rf[1], 212.0);
    cr_expect_eq(last->jump[0], 32.0);
    cr_expect_eq(last->jump[1], 32.0);
    /* one padding of 1 before each block of 3x3 convolutions, at jumps 1, 2, 4, 8, 16:
       2*1 + 2*2 + 3*4 + 3*8 + 3*16 = 90 */
    cr_expect_eq(last->effective_padding[0], 90.0);
    cr_expect_eq(last->out_size[0], 7);
    cr_expect_eq(last->out_size[1], 7);
    cr_expect_eq(last->out_channels, 512);
    for (size_t i = 0; i < s.count; i++) {
        params += r[i].params;
        macs += r[i].macs;
    }
    /* sum over the 13 convolutions of out*in*9 + out, and of size^2*out*in*9
       with size 224, 224, 112, 112, 56 x3, 28 x3, 14 x3 */
    cr_expect_eq(params, 14714688);
    cr_expect_eq(macs, 15346630656ULL);
    free(r);
    spec_free(&s);

    /* the field does not depend on the input size */
    r = compute(text, 0, 0, 0, &s);
    cr_expect_eq(r[s.count - 1].rf[0], 212.0);
    cr_expect_eq(r[s.count - 1].jump[1], 32.0);
    cr_expect_eq(r[s.count - 1].out_size[0], 0);
    cr_expect_eq(r[s.count - 1].macs, 0);
    cr_expect_eq(r[0].params, 64 * 3 * 9 + 64);
    cr_expect_eq(r[0].in_channels, 3);
    free(r);
    spec_free(&s);
    free(text);
}

Test(rf, alexnet_reaches_195_with_jump_32)
{
    /* rf_l = rf_{l-1} + (k-1)*jump_{l-1}, layer by layer (ReLUs keep both) */
    static const double want_rf[] = {11, 11, 19, 51, 51, 67, 99, 99, 131, 131, 163, 163, 195};
    static const double want_jump[] = {4, 4, 8, 8, 8, 16, 16, 16, 16, 16, 16, 16, 32};
    static const size_t want_size[] = {55, 55, 27, 27, 27, 13, 13, 13, 13, 13, 13, 13, 6};
    char *text = read_model("assets/models/alexnet.txt");
    LayerStack s;
    RfLayer *r = compute(text, 224, 224, 3, &s);
    uint64_t params = 0;

    cr_assert_eq(s.count, 13);
    for (size_t i = 0; i < s.count; i++) {
        cr_expect_eq(r[i].rf[0], want_rf[i], "layer %zu", i + 1);
        cr_expect_eq(r[i].rf[1], want_rf[i], "layer %zu", i + 1);
        cr_expect_eq(r[i].jump[0], want_jump[i], "layer %zu", i + 1);
        cr_expect_eq(r[i].out_size[0], want_size[i], "layer %zu", i + 1);
        cr_expect_eq(r[i].out_size[1], want_size[i], "layer %zu", i + 1);
        params += r[i].params;
    }
    cr_expect_eq(r[12].out_channels, 256);
    /* conv1: 55*55 positions * 64 filters * 3*11*11 terms */
    cr_expect_eq(r[0].macs, 55ULL * 55 * 64 * 3 * 121);
    /* 3*64*121+64 + 64*192*25+192 + 192*384*9+384 + 384*256*9+256 + 256*256*9+256 */
    cr_expect_eq(params, 2469696);
    /* the first output's field is centred at (11-1)/2 - 2 = 3 cells in: 3.5 */
    cr_expect_eq(r[0].start[0], 3.5);
    free(r);
    spec_free(&s);
    free(text);
}

/* ---- 199 to 1 ---- */

static char *valid_3x3_stack(int layers)
{
    char *text = malloc((size_t)layers * 16 + 1);
    cr_assert(text);
    text[0] = '\0';
    for (int i = 0; i < layers; i++)
        strcpy(text + (size_t)i * 16, "Conv2d(1, 1, 3)\n");
    return text;
}

Test(rf, valid_3x3_convolutions_take_199_to_1_in_99_layers)
{
    char *text = valid_3x3_stack(99);
    LayerStack s;
    RfLayer *r = compute(text, 199, 199, 1, &s);
    Error err = {0};

    cr_assert_eq(s.count, 99);
    for (size_t i = 0; i < s.count; i++) {
        cr_expect_eq(r[i].out_size[0], 199 - 2 * (i + 1), "layer %zu", i + 1);
        cr_expect_eq(r[i].out_size[1], 199 - 2 * (i + 1), "layer %zu", i + 1);
        cr_expect_eq(r[i].rf[0], 3.0 + 2.0 * (double)i, "layer %zu", i + 1);
    }
    /* the last cell sees the whole input */
    cr_expect_eq(r[98].out_size[0], 1);
    cr_expect_eq(r[98].rf[0], 199.0);
    free(r);
    spec_free(&s);
    free(text);

    /* a 100th layer has nothing left to convolve */
    text = valid_3x3_stack(100);
    cr_assert_eq(spec_parse(text, &s, &err), CS_OK);
    r = calloc(s.count, sizeof *r);
    cr_assert_eq(rf_compute(&s, 199, 199, 1, r, &err), CS_ERR_RANGE);
    cr_expect(strncmp(err.message, "layer 100 (Conv2d(1, 1, 3)): ", 29) == 0, "%s", err.message);
    free(r);
    spec_free(&s);
    free(text);
}

/* ---- hand-worked cell ranges ---- */

Test(rf, ranges_with_stride_and_padding)
{
    /* k=3, s=2, p=1 on 7 cells: 4 outputs; output o reads 2o-1 .. 2o+1 */
    LayerStack s;
    RfLayer *r = compute("Conv2d(1, 1, 3, stride=2, padding=1)", 7, 7, 1, &s);
    cr_assert_eq(r[0].out_size[0], 4);
    expect_range(rf_range_back(&r[0], 0, cells(0, 0)), -1, 1, "output 0 reaches the top padding");
    expect_range(rf_range_back(&r[0], 1, cells(3, 3)), 5, 7, "output 3 reaches the right padding");
    expect_range(rf_range_back(&r[0], 0, cells(1, 2)), 1, 5, "outputs 1..2");
    expect_range(rf_range_forward(&r[0], 0, cells(0, 0)), 0, 0, "input 0: tap 1 of output 0");
    expect_range(rf_range_forward(&r[0], 0, cells(1, 1)), 0, 1, "input 1: taps 2 and 0");
    expect_range(rf_range_forward(&r[0], 0, cells(2, 2)), 1, 1, "input 2: tap 1 of output 1");
    expect_range(rf_range_forward(&r[0], 1, cells(6, 6)), 3, 3, "input 6");
    expect_range(rf_range_forward(&r[0], 1, cells(-1, -1)), 0, 0, "the padding cell before input 0");
    cr_expect_gt(rf_range_back(&r[0], 0, cells(2, 1)).lo, rf_range_back(&r[0], 0, cells(2, 1)).hi,
                 "an empty range stays empty");
    free(r);
    spec_free(&s);
}

Test(rf, ranges_with_dilation)
{
    /* k=3, d=2 on 7 cells: 3 outputs; output o reads o, o+2, o+4 */
    LayerStack s;
    RfLayer *r = compute("Conv2d(1, 1, 3, dilation=2)", 7, 7, 1, &s);
    cr_assert_eq(r[0].out_size[0], 3);
    cr_expect_eq(r[0].rf[0], 5.0);
    expect_range(rf_range_back(&r[0], 0, cells(1, 1)), 1, 5, "the span, gaps included");
    /* input 3 is read by outputs 3, 1 and -1: only output 1 exists */
    expect_range(rf_range_forward(&r[0], 0, cells(3, 3)), 1, 1, "input 3");
    /* input 2 is read by outputs 2, 0, -2 */
    expect_range(rf_range_forward(&r[0], 0, cells(2, 2)), 0, 2, "input 2");
    expect_range(rf_range_forward(&r[0], 0, cells(6, 6)), 2, 2, "input 6");
    free(r);
    spec_free(&s);

    /* k=3, s=2, d=2, p=2 on 8 cells: 4 outputs; output o reads 2o-2, 2o, 2o+2 */
    r = compute("Conv2d(1, 1, 3, stride=2, dilation=2, padding=2)", 8, 8, 1, &s);
    cr_assert_eq(r[0].out_size[0], 4);
    expect_range(rf_range_back(&r[0], 0, cells(0, 0)), -2, 2, "output 0");
    expect_range(rf_range_back(&r[0], 0, cells(3, 3)), 4, 8, "output 3");
    /* only even cells are ever read */
    cr_expect_gt(rf_range_forward(&r[0], 0, cells(1, 1)).lo, rf_range_forward(&r[0], 0, cells(1, 1)).hi,
                 "input 1 feeds nothing");
    /* input 4 = 2o - 2 + 2j: o = 3 - j */
    expect_range(rf_range_forward(&r[0], 0, cells(4, 4)), 1, 3, "input 4");
    expect_range(rf_range_forward(&r[0], 0, cells(1, 2)), 0, 2, "inputs 1..2");
    free(r);
    spec_free(&s);
}

Test(rf, ranges_of_pooling_activations_and_transposed)
{
    LayerStack s;
    RfLayer *r = compute("MaxPool2d(2), ReLU(), ConvTranspose2d(1, 1, 3, stride=2, padding=1), "
                         "ConvTranspose2d(1, 1, 1, stride=2)",
                         6, 6, 1, &s);
    /* 6 -> pool 3 -> 3 -> transposed (3-1)*2 - 2 + 3 = 5 -> (5-1)*2 + 1 = 9 */
    cr_assert_eq(r[2].out_size[0], 5);
    cr_assert_eq(r[3].out_size[0], 9);
    expect_range(rf_range_back(&r[0], 0, cells(1, 1)), 2, 3, "pool window 1");
    expect_range(rf_range_forward(&r[0], 0, cells(5, 5)), 2, 2, "pool: input 5");
    expect_range(rf_range_back(&r[1], 1, cells(1, 2)), 1, 2, "activations map a range to itself");
    expect_range(rf_range_forward(&r[1], 1, cells(0, 2)), 0, 2, "activations map a range to itself");
    /* transposed k=3, s=2, p=1: input i writes outputs 2i-1, 2i, 2i+1 */
    cr_expect(r[2].transposed);
    expect_range(rf_range_forward(&r[2], 0, cells(0, 0)), 0, 1, "input 0 (output -1 is cropped)");
    expect_range(rf_range_forward(&r[2], 0, cells(2, 2)), 3, 4, "input 2 (output 5 is cropped)");
    expect_range(rf_range_back(&r[2], 0, cells(0, 0)), 0, 0, "output 0");
    expect_range(rf_range_back(&r[2], 0, cells(1, 1)), 0, 1, "output 1");
    expect_range(rf_range_back(&r[2], 0, cells(4, 4)), 2, 2, "output 4");
    /* k=1, s=2: input i writes output 2i only; odd outputs get nothing */
    cr_expect_gt(rf_range_back(&r[3], 0, cells(3, 3)).lo, rf_range_back(&r[3], 0, cells(3, 3)).hi,
                 "output 3 has no input");
    expect_range(rf_range_back(&r[3], 0, cells(3, 5)), 2, 2, "outputs 3..5");
    expect_range(rf_range_forward(&r[3], 0, cells(1, 2)), 2, 4, "inputs 1..2");
    /* transposed: jump halves; rf grows by ceil((k-1)*jump/s) */
    cr_expect_eq(r[2].jump[0], 1.0);
    cr_expect_eq(r[2].rf[0], 2.0 + 2.0 * 2.0 / 2.0);
    cr_expect_eq(r[3].jump[0], 0.5);
    free(r);
    spec_free(&s);
}

Test(rf, ranges_through_a_stack)
{
    /* 16 -> conv k3 s2 p1 -> 8 -> pool 2 -> 4 -> conv k3 d2 p2 -> 4 */
    LayerStack s;
    RfLayer *r = compute("Conv2d(1, 1, 3, stride=2, padding=1)\nMaxPool2d(2)\n"
                         "Conv2d(1, 1, 3, dilation=2, padding=2)",
                         16, 16, 1, &s);
    CellRange c = cells(1, 1);
    cr_assert_eq(r[2].out_size[0], 4);
    /* output 1 of the last conv reads pool cells -1, 1, 3 */
    c = rf_range_back(&r[2], 0, c);
    expect_range(c, -1, 3, "before the last conv");
    /* pool cells -1..3 cover conv cells -2..7 */
    c = rf_range_back(&r[1], 0, c);
    expect_range(c, -2, 7, "before the pool");
    /* conv cells -2..7 read input 2*(-2)-1 .. 2*7+1 */
    c = rf_range_back(&r[0], 0, c);
    expect_range(c, -5, 15, "on the input");
    /* the width is the receptive field: 3 + (2-1)*2 + (5-1)*4 = 21 */
    cr_expect_eq(r[2].rf[0], 21.0);
    cr_expect_eq(c.hi - c.lo + 1, 21);
    /* input cell 0 feeds conv1 0..0, pool 0, last conv 0 and 2 (the gap at 1) */
    c = rf_range_forward(&r[0], 0, cells(0, 0));
    expect_range(c, 0, 0, "conv1");
    c = rf_range_forward(&r[1], 0, c);
    expect_range(c, 0, 0, "pool");
    c = rf_range_forward(&r[2], 0, c);
    expect_range(c, 0, 2, "last conv");
    free(r);
    spec_free(&s);
}

/* ---- parameters, multiply-adds and the field, worked by hand ---- */

Test(rf, params_macs_and_fields_of_a_small_stack)
{
    LayerStack s;
    RfLayer *r = compute("Conv2d(3, 8, 3, padding=1)\nReLU()\nMaxPool2d(2)\n"
                         "Conv2d(8, 16, 3, groups=2, bias=False)\nBatchNorm2d(16)\n"
                         "ConvTranspose2d(16, 4, 2, stride=2)",
                         10, 10, 0, &s);
    static const uint64_t params[] = {8 * 3 * 9 + 8, 0, 0, 16 * 4 * 9, 2 * 16, 16 * 4 * 4 + 4};
    static const uint64_t macs[] = {
        10 * 10 * 8 * 3 * 9,    /* 10x10 outputs, 8 filters of 3x3x3 */
        0, 0,
        3 * 3 * 16 * 4 * 9,     /* 5 -> 3; each filter reads 8/2 channels */
        3 * 3 * 16,             /* one multiply-add per element */
        3 * 3 * 16 * 4 * 4,     /* every input cell times 4 kernels of 2x2 */
    };
    static const size_t size[] = {10, 10, 5, 3, 3, 6};
    static const size_t channels[] = {8, 8, 8, 16, 16, 4};
    static const double rf[] = {3, 3, 4, 8, 8, 9};
    static const double jump[] = {1, 1, 2, 2, 2, 1};
    static const double eff[] = {1, 1, 1, 1, 1, 2};
    /* 0.5 + (1-1)*1; + (0.5-0)*1; + (1-0)*2; + (0-0.5)/2*2 */
    static const double start[] = {0.5, 0.5, 1.0, 3.0, 3.0, 2.5};

    cr_assert_eq(s.count, 6);
    cr_expect_eq(r[0].in_channels, 3, "taken from the first conv");
    for (size_t i = 0; i < s.count; i++) {
        cr_expect_eq(r[i].params, params[i], "layer %zu", i + 1);
        cr_expect_eq(r[i].macs, macs[i], "layer %zu", i + 1);
        cr_expect_eq(r[i].out_size[0], size[i], "layer %zu", i + 1);
        cr_expect_eq(r[i].out_size[1], size[i], "layer %zu", i + 1);
        cr_expect_eq(r[i].out_channels, channels[i], "layer %zu", i + 1);
        cr_expect_eq(r[i].rf[0], rf[i], "layer %zu", i + 1);
        cr_expect_eq(r[i].jump[1], jump[i], "layer %zu", i + 1);
        cr_expect_eq(r[i].effective_padding[0], eff[i], "layer %zu", i + 1);
        cr_expect_eq(r[i].start[1], start[i], "layer %zu", i + 1);
    }
    cr_expect_eq(r[2].kernel[0], 2);
    cr_expect_eq(r[2].stride[1], 2);
    cr_expect_eq(r[1].kernel[0], 1);
    free(r);
    spec_free(&s);
}

Test(rf, padding_words_resolve)
{
    LayerStack s;
    /* without a size, same pads (k_eff-1)/2 before; full pads d*(k-1) */
    RfLayer *r = compute("Conv2d(1, 1, 4, padding='same'), Conv2d(1, 1, 5, dilation=2, padding='same'), "
                         "Conv2d(1, 1, (3, 5), padding='full'), Conv2d(1, 1, 3, padding='valid')",
                         0, 0, 0, &s);
    cr_expect_eq(r[0].padding[0], 1);
    cr_expect_eq(r[1].padding[0], 4);
    cr_expect_eq(r[2].padding[0], 2);
    cr_expect_eq(r[2].padding[1], 4);
    cr_expect_eq(r[3].padding[0], 0);
    free(r);
    spec_free(&s);

    /* with a size, TensorFlow's rule: 7 cells, k=4, s=2: out 4, total
       padding (4-1)*2 + 4 - 7 = 3, 1 before and 2 after */
    r = compute("Conv2d(1, 1, 4, stride=2, padding='same')", 7, 7, 1, &s);
    cr_expect_eq(r[0].out_size[0], 4);
    cr_expect_eq(r[0].padding[0], 1);
    expect_range(rf_range_back(&r[0], 0, cells(3, 3)), 5, 8, "the last window reaches 2 cells of padding");
    free(r);
    spec_free(&s);
}

Test(rf, refusals_name_the_layer)
{
    static const struct {
        const char *spec;
        size_t h, c;
        Status status;
        const char *message;
    } cases[] = {
        {"Conv2d(3, 8, 3)\nConv2d(4, 8, 3)", 10, 0, CS_ERR_SHAPE,
         "layer 2 (Conv2d(4, 8, 3)): expects 4 input channels, but 8 arrive"},
        {"ReLU()\nConv2d(3, 8, 3)", 10, 1, CS_ERR_SHAPE,
         "layer 2 (Conv2d(3, 8, 3)): expects 3 input channels, but 1 arrive"},
        {"Conv2d(3, 8, 3), BatchNorm2d(16)", 0, 0, CS_ERR_SHAPE,
         "layer 2 (BatchNorm2d(16)): expects 16 input channels, but 8 arrive"},
        {"MaxPool2d(2), MaxPool2d(2), MaxPool2d(2)", 4, 1, CS_ERR_RANGE, "layer 3 (MaxPool2d(2)): "},
        {"Conv2d(1, 1, 3, padding=1, padding_mode='reflect')", 1, 1, CS_ERR_RANGE,
         "layer 1 (Conv2d(1, 1, 3, padding=1, padding_mode='reflect')): "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        LayerStack s = {0};
        Error err = {0};
        RfLayer *r;
        cr_assert_eq(spec_parse(cases[i].spec, &s, &err), CS_OK, "%s", err.message);
        r = calloc(s.count, sizeof *r);
        cr_expect_eq(rf_compute(&s, cases[i].h, cases[i].h, cases[i].c, r, &err), cases[i].status,
                     "%s", cases[i].spec);
        cr_expect(strncmp(err.message, cases[i].message, strlen(cases[i].message)) == 0,
                  "%s: got \"%s\"", cases[i].spec, err.message);
        free(r);
        spec_free(&s);
    }
}

Test(rf, huge_stacks_are_refused_not_overflowed)
{
    /* 60 layers of stride 2^20 exceed 2^53 pixels of jump at layer 3 */
    char text[60 * 40];
    LayerStack s;
    Error err = {0};
    RfLayer *r;
    text[0] = '\0';
    for (int i = 0; i < 60; i++)
        strcat(text, "MaxPool2d(1048576),");
    cr_assert_eq(spec_parse(text, &s, &err), CS_OK);
    r = calloc(s.count, sizeof *r);
    cr_expect_eq(rf_compute(&s, 0, 0, 0, r, &err), CS_ERR_RANGE);
    cr_expect(strstr(err.message, "layer 3 (MaxPool2d(1048576))") == err.message, "%s", err.message);
    free(r);
    spec_free(&s);

    /* parameter counts that do not fit 64 bits */
    cr_assert_eq(spec_parse("Conv2d(2000000000, 2000000000, 2000000000)", &s, &err), CS_OK);
    r = calloc(s.count, sizeof *r);
    cr_expect_eq(rf_compute(&s, 0, 0, 0, r, &err), CS_ERR_RANGE);
    free(r);
    spec_free(&s);
}

/* ---- against brute force ---- */

typedef struct Layer1 {
    bool transposed;
    int n, k, s, d, p, out;
} Layer1;

/* Brute-force ranges on one axis: every (cell, tap) pair. */
static CellRange brute_back(const Layer1 *L, CellRange r)
{
    long long lo = 1LL << 40, hi = -(1LL << 40);
    for (int o = r.lo; o <= r.hi; o++)
        for (int j = 0; j < L->k; j++) {
            if (!L->transposed) {
                long long i = (long long)o * L->s - L->p + (long long)j * L->d;
                lo = i < lo ? i : lo;
                hi = i > hi ? i : hi;
            } else {
                for (int i = 0; i < L->n; i++)
                    if ((long long)i * L->s - L->p + (long long)j * L->d == o) {
                        lo = i < lo ? i : lo;
                        hi = i > hi ? i : hi;
                    }
            }
        }
    return lo > hi ? cells(0, -1) : cells((int)lo, (int)hi);
}

static CellRange brute_forward(const Layer1 *L, CellRange r)
{
    long long lo = 1LL << 40, hi = -(1LL << 40);
    for (int o = 0; o < L->out; o++)
        for (int j = 0; j < L->k; j++)
            for (int i = r.lo; i <= r.hi; i++) {
                bool hit = L->transposed
                               ? (i >= 0 && i < L->n &&
                                  (long long)i * L->s - L->p + (long long)j * L->d == o)
                               : (long long)o * L->s - L->p + (long long)j * L->d == i;
                if (hit) {
                    lo = o < lo ? o : lo;
                    hi = o > hi ? o : hi;
                }
            }
    return lo > hi ? cells(0, -1) : cells((int)lo, (int)hi);
}

static int pick(Rng *g, int lo, int hi)
{
    return lo + (int)(rng_next(g) % (uint64_t)(hi - lo + 1));
}

Test(rf, ranges_match_brute_force_on_random_layers)
{
    Rng g;
    int tried = 0;
    rng_seed(&g, 20261122);
    for (int t = 0; t < 4000; t++) {
        Layer1 L;
        char spec[160];
        LayerStack s;
        Error err = {0};
        RfLayer r;
        /* half small layers, half with strides and dilations far apart */
        bool wide = t % 2 == 1;
        L.transposed = rng_next(&g) % 3 == 0;
        L.n = pick(&g, 1, wide ? 30 : 14);
        L.k = pick(&g, 1, wide ? 7 : 5);
        L.s = pick(&g, 1, wide ? 37 : 4);
        L.d = pick(&g, 1, wide ? 23 : 3);
        L.p = pick(&g, 0, wide ? 40 : 3);
        if (L.transposed)
            snprintf(spec, sizeof spec,
                     "ConvTranspose2d(1, 1, (1, %d), stride=(1, %d), padding=(0, %d), dilation=(1, %d))",
                     L.k, L.s, L.p, L.d);
        else
            snprintf(spec, sizeof spec,
                     "Conv2d(1, 1, (1, %d), stride=(1, %d), padding=(0, %d), dilation=(1, %d))",
                     L.k, L.s, L.p, L.d);
        cr_assert_eq(spec_parse(spec, &s, &err), CS_OK, "%s: %s", spec, err.message);
        if (rf_compute(&s, 1, (size_t)L.n, 1, &r, &err) != CS_OK) {
            spec_free(&s);
            continue;   /* the kernel does not fit, or the output is empty */
        }
        tried++;
        L.out = (int)r.out_size[1];
        for (int q = 0; q < 6; q++) {
            int a = pick(&g, 0, L.out - 1), b = pick(&g, a, L.out - 1);
            int c = pick(&g, -4, L.n + 3), e = pick(&g, c, L.n + 4);
            CellRange want = brute_back(&L, cells(a, b)), got = rf_range_back(&r, 1, cells(a, b));
            cr_assert(want.lo == got.lo && want.hi == got.hi,
                      "%s on %d: back [%d, %d] gave [%d, %d], want [%d, %d]", spec, L.n, a, b,
                      got.lo, got.hi, want.lo, want.hi);
            want = brute_forward(&L, cells(c, e));
            got = rf_range_forward(&r, 1, cells(c, e));
            if (want.lo > want.hi)
                cr_assert_gt(got.lo, got.hi, "%s on %d: forward [%d, %d] gave [%d, %d], want empty",
                             spec, L.n, c, e, got.lo, got.hi);
            else
                cr_assert(want.lo == got.lo && want.hi == got.hi,
                          "%s on %d: forward [%d, %d] gave [%d, %d], want [%d, %d]", spec, L.n, c,
                          e, got.lo, got.hi, want.lo, want.hi);
        }
        spec_free(&s);
    }
    cr_expect_gt(tried, 1500);
}

/* Ranges cost O(log stride) whatever the kernel: a 200-million-cell average
 * pool (ceil_mode lets one window cover 24 cells) and transposed
 * convolutions with huge strides and dilations answer at once. */
Test(rf, ranges_of_huge_layers_answer_at_once, .timeout = 2)
{
    LayerStack s, t;
    RfLayer *r = compute("AvgPool2d(200680023, padding=1, ceil_mode=True)", 24, 24, 1, &s);
    /* on 1x2 inputs: input i writes i*40000000 - p + j*15000001, j = 0..2 */
    RfLayer *q = compute("ConvTranspose2d(1, 1, 3, stride=(1, 40000000), dilation=(1, 15000001))",
                         1, 2, 1, &t);
    LayerStack u;
    RfLayer *cut = compute("ConvTranspose2d(1, 1, 3, stride=(1, 40000000), dilation=(1, 15000001), "
                           "padding=(0, 20000000))",
                           1, 2, 1, &u);
    cr_assert_eq(r[0].out_size[0], 1);
    cr_assert_eq(q[0].out_size[1], 70000003);
    cr_assert_eq(cut[0].out_size[1], 70000003 - 2 * 20000000);
    for (int i = 0; i < 1000; i++) {
        CellRange c = rf_range_back(&r[0], 0, cells(0, 0));
        expect_range(c, -1, 200680021, "the whole window");
        c = rf_range_forward(&r[0], 0, cells(5, 9));
        expect_range(c, 0, 0, "the one output");
        /* input 0 writes 0, 15000001, 30000002; input 1 40000000, 55000001, 70000002 */
        c = rf_range_forward(&q[0], 1, cells(0, 0));
        expect_range(c, 0, 30000002, "input 0");
        c = rf_range_back(&q[0], 1, cells(30000003, 39999999));
        cr_expect_gt(c.lo, c.hi, "a gap no input writes");
        c = rf_range_back(&q[0], 1, cells(15000001, 55000001));
        expect_range(c, 0, 1, "outputs reaching inputs 0 and 1");
        /* with padding 20000000: input 0 writes only 10000002 inside the
           output, input 1 only 20000000 */
        c = rf_range_forward(&cut[0], 1, cells(0, 0));
        expect_range(c, 10000002, 10000002, "input 0, cropped on both sides");
        c = rf_range_forward(&cut[0], 1, cells(0, 1));
        expect_range(c, 10000002, 20000000, "inputs 0 and 1, cropped");
    }
    free(r);
    free(q);
    free(cut);
    spec_free(&s);
    spec_free(&t);
    spec_free(&u);
}

/* Through random stacks of convs and pools: the input cells one output
 * cell sees span exactly rf; going forward from them reaches that cell
 * again at every layer, and through the whole stack when the field stays
 * inside every intermediate map (an output whose field lies in padding of
 * an intermediate map reads no real cell there, so nothing forward reaches
 * it). */
Test(rf, back_spans_rf_and_forward_returns_on_random_stacks)
{
    Rng g;
    int tried = 0;
    int inside_count = 0;
    rng_seed(&g, 7);
    for (int t = 0; t < 300; t++) {
        char spec[1024] = "";
        int layers = pick(&g, 1, 6);
        LayerStack s;
        Error err = {0};
        RfLayer r[6];
        for (int l = 0; l < layers; l++) {
            char one[128];
            int k = pick(&g, 1, 5), st = pick(&g, 1, 3);
            switch (rng_next(&g) % 4) {
            case 0:
                snprintf(one, sizeof one, "MaxPool2d(%d, stride=%d, padding=%d, dilation=%d)\n", k, st,
                         pick(&g, 0, k / 2), pick(&g, 1, 2));
                break;
            case 1:
                snprintf(one, sizeof one, "ReLU()\n");
                break;
            default:
                snprintf(one, sizeof one, "Conv2d(1, 1, %d, stride=%d, padding=%d, dilation=%d)\n", k,
                         st, pick(&g, 0, 3), pick(&g, 1, 3));
            }
            strcat(spec, one);
        }
        cr_assert_eq(spec_parse(spec, &s, &err), CS_OK, "%s", err.message);
        if (rf_compute(&s, 64, 64, 1, r, &err) != CS_OK) {
            spec_free(&s);
            continue;
        }
        tried++;
        for (int l = 0; l < layers; l++)
            for (int o = 0; o < (int)r[l].out_size[0]; o++) {
                CellRange c = rf_range_forward(&r[l], 0, rf_range_back(&r[l], 0, cells(o, o)));
                cr_assert(c.lo <= o && o <= c.hi, "%slayer %d: forward of back of %d gave [%d, %d]",
                          spec, l + 1, o, c.lo, c.hi);
            }
        for (int q = 0; q < 4; q++) {
            int o = pick(&g, 0, (int)r[layers - 1].out_size[0] - 1);
            CellRange c = cells(o, o);
            bool inside = true;
            for (int l = layers - 1; l >= 0; l--) {
                c = rf_range_back(&r[l], 0, c);
                if (l > 0 && (c.lo < 0 || c.hi >= (int)r[l].in_size[0]))
                    inside = false;
            }
            cr_assert_eq(c.hi - c.lo + 1, (int)r[layers - 1].rf[0], "%sfrom output %d", spec, o);
            for (int l = 0; l < layers; l++)
                c = rf_range_forward(&r[l], 0, c);
            if (!inside)
                continue;
            inside_count++;
            cr_assert(c.lo <= o && o <= c.hi, "%sforward of back of %d gave [%d, %d]", spec, o, c.lo,
                      c.hi);
        }
        spec_free(&s);
    }
    cr_expect_gt(tried, 100);
    cr_expect_gt(inside_count, 200);
}

/* ---- adaptive pools, Flatten and Linear ---- */

Test(rf, adaptive_pool_that_divides_is_a_plain_pool)
{
    LayerStack s;
    RfLayer *r = compute("Conv2d(3, 8, 3, padding=1), AdaptiveAvgPool2d(2)", 8, 8, 3, &s);
    cr_expect_eq(r[1].kernel[0], 4);
    cr_expect_eq(r[1].stride[1], 4);
    cr_expect(!r[1].adaptive);
    cr_expect_eq(r[1].out_size[0], 2);
    cr_expect_eq(r[1].rf[0], 3 + 3);
    cr_expect_eq(r[1].jump[0], 4);
    expect_range(rf_range_back(&r[1], 0, cells(1, 1)), 4, 7, "second output");
    spec_free(&s);
    free(r);
}

Test(rf, adaptive_pool_windows_are_exact)
{
    LayerStack s;
    /* 5 -> 3: windows [0, 2), [1, 4), [3, 5) (floor(i*5/3), ceil((i+1)*5/3)) */
    RfLayer *r = compute("AdaptiveMaxPool2d((3, None))", 5, 4, 1, &s);
    cr_expect(r[0].adaptive);
    cr_expect_eq(r[0].out_size[0], 3);
    cr_expect_eq(r[0].out_size[1], 4, "None keeps the width");
    cr_expect_eq(r[0].kernel[0], 3, "the widest window");
    expect_range(rf_range_back(&r[0], 0, cells(0, 0)), 0, 1, "window 0");
    expect_range(rf_range_back(&r[0], 0, cells(1, 1)), 1, 3, "window 1");
    expect_range(rf_range_back(&r[0], 0, cells(2, 2)), 3, 4, "window 2");
    expect_range(rf_range_forward(&r[0], 0, cells(1, 1)), 0, 1, "input 1 feeds outputs 0 and 1");
    expect_range(rf_range_forward(&r[0], 0, cells(3, 3)), 1, 2, "input 3 feeds outputs 1 and 2");
    expect_range(rf_range_forward(&r[0], 0, cells(4, 4)), 2, 2, "input 4");
    /* brute force: every input cell against every window */
    for (int i = 0; i < 5; i++) {
        int lo = 3, hi = -1;
        for (int o = 0; o < 3; o++) {
            CellRange w = rf_range_back(&r[0], 0, cells(o, o));
            if (w.lo <= i && i <= w.hi) {
                lo = o < lo ? o : lo;
                hi = o > hi ? o : hi;
            }
        }
        expect_range(rf_range_forward(&r[0], 0, cells(i, i)), lo, hi, "input %d", i);
    }
    spec_free(&s);
    free(r);
}

Test(rf, flatten_and_linear_end_the_map)
{
    LayerStack s;
    RfLayer *r = compute("Conv2d(1, 4, 3), Flatten(), Linear(100, 10), ReLU(), Linear(10, 2)", 7, 7, 1, &s);
    cr_expect(!r[0].flat);
    cr_expect(r[1].flat && r[2].flat && r[3].flat && r[4].flat);
    cr_expect_eq(r[1].out_channels, 100, "4x5x5 flattened");
    cr_expect_eq(r[2].out_channels, 10);
    cr_expect_eq(r[2].params, 100 * 10 + 10);
    cr_expect_eq(r[2].macs, 100 * 10);
    cr_expect_eq(r[4].rf[0], 3, "the last map's field");
    spec_free(&s);
    free(r);
    /* a Linear right after a map flattens it (torchvision's forward) */
    r = compute("Conv2d(1, 4, 3), Linear(100, 10)", 7, 7, 1, &s);
    cr_expect(r[1].flat);
    spec_free(&s);
    free(r);
}

Test(rf, flat_errors_name_the_layer)
{
    static const char *const specs[] = {
        "Conv2d(1, 4, 3), Linear(99, 10)",
        "Flatten(), Linear(48, 10)",
        "Flatten(), Conv2d(1, 1, 1)",
        "Linear(49, 4), BatchNorm2d(4)",
    };
    static const char *const messages[] = {
        "layer 2 (Linear(99, 10)): expects 99 input features, but a 4x5x5 map arrives (100 features when flattened)",
        "layer 2 (Linear(48, 10)): expects 48 input features, but 49 arrive",
        "layer 2 (Conv2d(1, 1, 1)): needs a map (C,H,W), but a vector of features arrives (after Flatten or Linear)",
        "layer 2 (BatchNorm2d(4)): needs a map (C,H,W), but a vector of features arrives (after Flatten or Linear)",
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        LayerStack s = {0};
        Error err = {0};
        RfLayer r[4];
        cr_assert_eq(spec_parse(specs[i], &s, &err), CS_OK);
        cr_expect_eq(rf_compute(&s, 7, 7, 1, r, &err), CS_ERR_SHAPE, "%s", specs[i]);
        cr_expect_str_eq(err.message, messages[i]);
        spec_free(&s);
    }
}
