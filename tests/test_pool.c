/* test_pool.c: max and average pooling. Hand-worked cases (ceil_mode,
 * count_include_pad, dilation, padding as -inf, NaN), a differential test
 * against tests/support_reference.c over thousands of random
 * configurations, properties on constant inputs, and refusals. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pool.h"
#include "rng.h"
#include "support_isa.h"
#include "support_reference.h"

static Tensor make_tensor(size_t c, size_t h, size_t w, const float *values)
{
    Tensor t;
    Error err = {0};
    cr_assert_eq(tensor_init(&t, 1, c, h, w, 3, &err), CS_OK, "%s", err.message);
    if (values)
        memcpy(t.data, values, tensor_count(&t) * sizeof(float));
    return t;
}

/* Pools values (c x h x w) and checks the result (c x oh x ow) cell by cell. */
static void expect_pool(const PoolParams *p, size_t c, size_t h, size_t w, const float *values, size_t oh,
                        size_t ow, const float *want, const char *what)
{
    Tensor in = make_tensor(c, h, w, values), out;
    Error err = {0};
    cr_assert_eq(pool_forward(&in, p, &out, &err), CS_OK, "%s: %s", what, err.message);
    cr_assert(out.c == c && out.h == oh && out.w == ow, "%s: shape %zux%zux%zu, expected %zux%zux%zu", what,
              out.c, out.h, out.w, c, oh, ow);
    for (size_t i = 0; i < c * oh * ow; i++) {
        if (isnan(want[i]))
            cr_expect(isnan(out.data[i]), "%s: element %zu is %g, expected NaN", what, i, (double)out.data[i]);
        else if (isinf(want[i]))
            cr_expect(out.data[i] == want[i], "%s: element %zu is %g, expected %g", what, i,
                      (double)out.data[i], (double)want[i]);
        else
            cr_expect_float_eq(out.data[i], want[i], 1e-5, "%s: element %zu is %g, expected %g", what, i,
                               (double)out.data[i], (double)want[i]);
    }
    tensor_free(&out);
    tensor_free(&in);
}

/* ---- hand-worked cases ---- */

static const float grid4[] = {
    1, 3, 2, 1,
    4, 6, 5, 0,
    7, 2, 9, 8,
    1, 0, 3, 4,
};

Test(pool, max_2x2)
{
    static const float want[] = {6, 5, 7, 9};
    PoolParams p = geom_pool_defaults(POOL_MAX, 2, 2);
    expect_pool(&p, 1, 4, 4, grid4, 2, 2, want, "max 2x2");
}

Test(pool, avg_2x2)
{
    /* (1+3+4+6)/4, (2+1+5+0)/4, (7+2+1+0)/4, (9+8+3+4)/4 */
    static const float want[] = {3.5f, 2, 2.5f, 6};
    PoolParams p = geom_pool_defaults(POOL_AVG, 2, 2);
    expect_pool(&p, 1, 4, 4, grid4, 2, 2, want, "avg 2x2");
}

Test(pool, ceil_mode_keeps_the_partial_window)
{
    /* Row 0 1 2 3 4, windows of 2 at stride 2: floor mode stops at [2,3];
     * ceil mode adds the window [4, pad) whose average divides by the one
     * cell inside the input (PyTorch clips it to input+padding). */
    static const float row[] = {0, 1, 2, 3, 4};
    static const float max_floor[] = {1, 3}, max_ceil[] = {1, 3, 4}, avg_ceil[] = {0.5f, 2.5f, 4};
    PoolParams p = geom_pool_defaults(POOL_MAX, 1, 2);
    expect_pool(&p, 1, 1, 5, row, 1, 2, max_floor, "max floor");
    p.ceil_mode = true;
    expect_pool(&p, 1, 1, 5, row, 1, 3, max_ceil, "max ceil");
    p.mode = POOL_AVG;
    expect_pool(&p, 1, 1, 5, row, 1, 3, avg_ceil, "avg ceil");
}

Test(pool, ceil_mode_drops_a_window_starting_in_the_padding)
{
    /* Padding 1 each side: windows start at -1, 1, 3 (and 5, which would
     * start in the right padding and is dropped). Avg with padding counted:
     * (pad+0)/2, (1+2)/2, (3+4)/2. */
    static const float row[] = {0, 1, 2, 3, 4};
    static const float max_want[] = {0, 2, 4}, avg_want[] = {0, 1.5f, 3.5f};
    PoolParams p = geom_pool_defaults(POOL_MAX, 1, 2);
    p.pad_w = 1;
    p.ceil_mode = true;
    expect_pool(&p, 1, 1, 5, row, 1, 3, max_want, "max");
    p.mode = POOL_AVG;
    expect_pool(&p, 1, 1, 5, row, 1, 3, avg_want, "avg, count_include_pad");
    p.count_include_pad = false;
    expect_pool(&p, 1, 1, 5, row, 1, 3, (const float[]){0, 1.5f, 3.5f}, "avg, without padding");
}

Test(pool, count_include_pad)
{
    /* 3x3 window, stride 1, padding 1 on 1..9. Corner: 1+2+4+5 = 12 over 9
     * cells (padding counted) or over the 4 input cells; top edge:
     * 1+2+3+4+5+6 = 21 over 9 or 6. */
    static const float grid[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    static const float with_pad[] = {12.0f / 9, 21.0f / 9, 16.0f / 9, 27.0f / 9, 5, 33.0f / 9,
                                     24.0f / 9, 39.0f / 9, 28.0f / 9};
    static const float without[] = {3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7};
    PoolParams p = geom_pool_defaults(POOL_AVG, 3, 3);
    p.stride_h = p.stride_w = 1;
    p.pad_h = p.pad_w = 1;
    expect_pool(&p, 1, 3, 3, grid, 3, 3, with_pad, "count_include_pad true");
    p.count_include_pad = false;
    expect_pool(&p, 1, 3, 3, grid, 3, 3, without, "count_include_pad false");
}

Test(pool, max_padding_is_minus_infinity)
{
    /* With zero padding the corners would be 0; max pooling pads with -inf. */
    static const float neg[] = {-1, -2, -3, -4};
    static const float want[] = {-1, -1, -2, -1, -1, -2, -3, -3, -4};
    PoolParams p = geom_pool_defaults(POOL_MAX, 2, 2);
    p.stride_h = p.stride_w = 1;
    p.pad_h = p.pad_w = 1;
    expect_pool(&p, 1, 2, 2, neg, 3, 3, want, "negative input");
}

Test(pool, max_dilation)
{
    /* 2x2 window at dilation 2: max of in[y][x], in[y][x+2], in[y+2][x],
     * in[y+2][x+2] on the conv_arithmetic input. */
    static const float in[] = {
        3, 3, 2, 1, 0,
        0, 0, 1, 3, 1,
        3, 1, 2, 2, 3,
        2, 0, 0, 2, 2,
        2, 0, 0, 0, 1,
    };
    static const float want[] = {3, 3, 3, 2, 3, 2, 3, 2, 3};
    PoolParams p = geom_pool_defaults(POOL_MAX, 2, 2);
    p.stride_h = p.stride_w = 1;
    p.dilation_h = p.dilation_w = 2;
    expect_pool(&p, 1, 5, 5, in, 3, 3, want, "dilation 2");
}

Test(pool, max_window_of_only_padding_is_minus_infinity)
{
    /* One cell, window of 2 at dilation 2 and padding 1: its cells are -1
     * and 1, both padding (PyTorch gives -inf as well). */
    static const float one[] = {5};
    static const float want[] = {-INFINITY};
    PoolParams p = geom_pool_defaults(POOL_MAX, 1, 2);
    p.stride_w = 1;
    p.pad_w = 1;
    p.dilation_w = 2;
    expect_pool(&p, 1, 1, 1, one, 1, 1, want, "all padding");
}

Test(pool, max_propagates_nan)
{
    static const float row[] = {1, NAN, 3, 0};
    static const float want[] = {NAN, 3};
    PoolParams p = geom_pool_defaults(POOL_MAX, 1, 2);
    expect_pool(&p, 1, 1, 4, row, 1, 2, want, "NaN");
}

/* PyTorch 1.13, F.max_pool2d / F.avg_pool2d(x, 2) over
 *     1  nan    3  0
 *  -inf -inf  inf  2
 * max: nan, inf; avg: nan, inf. */
Test(pool, nan_and_infinities_as_pytorch)
{
    static const float grid[] = {1, NAN, 3, 0, -INFINITY, -INFINITY, INFINITY, 2};
    static const float want[] = {NAN, INFINITY};
    PoolParams p = geom_pool_defaults(POOL_MAX, 2, 2);
    expect_pool(&p, 1, 2, 4, grid, 1, 2, want, "max with NaN and inf");
    p = geom_pool_defaults(POOL_AVG, 2, 2);
    expect_pool(&p, 1, 2, 4, grid, 1, 2, want, "avg with NaN and inf");
    /* -inf + inf in one window is NaN for the average (PyTorch: nan). */
    static const float mixed[] = {-INFINITY, INFINITY};
    static const float nan_want[] = {NAN};
    p = geom_pool_defaults(POOL_AVG, 1, 2);
    expect_pool(&p, 1, 1, 2, mixed, 1, 1, nan_want, "avg of -inf and inf");
}

/* An input of -inf everywhere, 2x2 windows at stride 1 and padding 1:
 * every window holds -inf cells and padding, and gives -inf (PyTorch too). */
Test(pool, max_of_minus_infinity_cells_is_minus_infinity)
{
    static const float neg[] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    static const float want[] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY,
                                 -INFINITY, -INFINITY, -INFINITY, -INFINITY};
    PoolParams p = geom_pool_defaults(POOL_MAX, 2, 2);
    p.stride_h = p.stride_w = 1;
    p.pad_h = p.pad_w = 1;
    expect_pool(&p, 1, 2, 2, neg, 3, 3, want, "all -inf");
}

Test(pool, channels_pool_separately)
{
    static const float in[] = {1, 2, 3, 4, 40, 30, 20, 10};
    static const float want_max[] = {4, 40}, want_avg[] = {2.5f, 25};
    PoolParams p = geom_pool_defaults(POOL_MAX, 2, 2);
    expect_pool(&p, 2, 2, 2, in, 1, 1, want_max, "max");
    p.mode = POOL_AVG;
    expect_pool(&p, 2, 2, 2, in, 1, 1, want_avg, "avg");
}

/* ---- differential and properties ---- */

static int rand_int(Rng *rng, int lo, int hi)
{
    return lo + (int)(rng_next(rng) % (uint64_t)(hi - lo + 1));
}

static PoolParams random_pool(Rng *rng)
{
    PoolParams p = geom_pool_defaults(rand_int(rng, 0, 1) ? POOL_AVG : POOL_MAX, rand_int(rng, 1, 5),
                                      rand_int(rng, 1, 5));
    p.stride_h = rand_int(rng, 1, 4);
    p.stride_w = rand_int(rng, 1, 4);
    p.pad_h = rand_int(rng, 0, p.kernel_h / 2);
    p.pad_w = rand_int(rng, 0, p.kernel_w / 2);
    if (p.mode == POOL_MAX) {
        p.dilation_h = rand_int(rng, 1, 3);
        p.dilation_w = rand_int(rng, 1, 3);
    }
    p.ceil_mode = rand_int(rng, 0, 1);
    p.count_include_pad = rand_int(rng, 0, 1);
    return p;
}

/* The random configurations on one path. */
static void random_configurations(CpuIsa isa)
{
    Rng rng;
    int accepted = 0, ceil_cases = 0, total = 4000;
    rng_seed(&rng, 99);
    for (int i = 0; i < total; i++) {
        PoolParams p = random_pool(&rng);
        Tensor in = make_tensor((size_t)rand_int(&rng, 1, 3), (size_t)rand_int(&rng, 1, 14),
                                (size_t)rand_int(&rng, 1, 14), NULL), got, want;
        Error e1 = {0}, e2 = {0};
        Status s1, s2;
        for (size_t k = 0; k < tensor_count(&in); k++)
            in.data[k] = rng_range(&rng, -2.0f, 2.0f);
        s1 = pool_forward(&in, &p, &got, &e1);
        s2 = ref_pool(&in, &p, &want, &e2);
        cr_assert_eq(s1, s2, "%s, config %d: pool_forward %d (%s), reference %d (%s)", isa_name(isa), i, s1, e1.message, s2,
                     e2.message);
        if (s1 == CS_OK) {
            size_t oh, ow;
            cr_assert_eq(geom_pool_output(&p, in.h, in.w, &oh, &ow, NULL), CS_OK);
            cr_assert(got.c == in.c && got.h == oh && got.w == ow, "config %d: shape", i);
            for (size_t k = 0; k < tensor_count(&want); k++)
                cr_assert(fabsf(got.data[k] - want.data[k]) <= 1e-5f * (1.0f + fabsf(want.data[k])) ||
                              got.data[k] == want.data[k],
                          "%s, config %d (%s k%dx%d s%dx%d p%dx%d d%dx%d ceil %d incl %d): element %zu is %g, expected %g",
                          isa_name(isa), i, p.mode == POOL_MAX ? "max" : "avg", p.kernel_h, p.kernel_w, p.stride_h, p.stride_w,
                          p.pad_h, p.pad_w, p.dilation_h, p.dilation_w, p.ceil_mode, p.count_include_pad, k,
                          (double)got.data[k], (double)want.data[k]);
            accepted++;
            ceil_cases += p.ceil_mode;
            tensor_free(&got);
            tensor_free(&want);
        }
        tensor_free(&in);
    }
    cr_expect_gt(accepted, total * 6 / 10, "only %d of %d configurations were valid", accepted, total);
    cr_expect_gt(ceil_cases, total / 4, "only %d ceil_mode cases", ceil_cases);
}

/* Every path this CPU runs (isa.h) gets the same configurations. */
Test(pool, matches_reference_on_random_configurations)
{
    CpuIsa isas[ISA_COUNT];
    size_t n = isa_paths(isas);
    for (size_t k = 0; k < n; k++) {
        isa_use(isas[k]);
        random_configurations(isas[k]);
    }
}

Test(pool, constant_input_stays_constant)
{
    /* Max pooling, and averaging only over input cells, give the constant
     * back everywhere, whatever the padding, stride and ceil_mode. */
    Rng rng;
    rng_seed(&rng, 3);
    for (int i = 0; i < 300; i++) {
        PoolParams p = random_pool(&rng);
        Tensor in = make_tensor(2, (size_t)rand_int(&rng, 3, 12), (size_t)rand_int(&rng, 3, 12), NULL), out;
        if (p.mode == POOL_AVG)
            p.count_include_pad = false;
        else
            p.dilation_h = p.dilation_w = 1; /* a dilated window may hold only padding */
        for (size_t k = 0; k < tensor_count(&in); k++)
            in.data[k] = 2.5f;
        if (pool_forward(&in, &p, &out, NULL) != CS_OK) {
            tensor_free(&in);
            continue;
        }
        for (size_t k = 0; k < tensor_count(&out); k++)
            cr_assert_float_eq(out.data[k], 2.5f, 1e-6, "config %d element %zu: %g", i, k, (double)out.data[k]);
        tensor_free(&out);
        tensor_free(&in);
    }
}

/* ---- refusals ---- */

static void expect_refused(const Tensor *in, const PoolParams *p, Status status, const char *phrase)
{
    Tensor out;
    Error err = {0};
    cr_expect_eq(pool_forward(in, p, &out, &err), status, "expected '%s'", phrase);
    cr_expect(strstr(err.message, phrase) != NULL, "message '%s' lacks '%s'", err.message, phrase);
    cr_expect_null(out.data, "a refusal leaves no output");
}

Test(pool, refusals)
{
    Tensor in = make_tensor(1, 6, 6, NULL), batch;
    PoolParams p = geom_pool_defaults(POOL_MAX, 3, 3);
    p.pad_h = 2;
    expect_refused(&in, &p, CS_ERR_RANGE, "pooling padding 2 is more than half the kernel 3");
    p = geom_pool_defaults(POOL_AVG, 2, 2);
    p.dilation_w = 2;
    expect_refused(&in, &p, CS_ERR_RANGE, "average pooling has no dilation");
    p = geom_pool_defaults(POOL_MAX, 7, 7);
    expect_refused(&in, &p, CS_ERR_RANGE, "larger than the padded input 6x6");
    p = geom_pool_defaults(POOL_MAX, 2, 2);
    p.stride_w = 0;
    expect_refused(&in, &p, CS_ERR_RANGE, "stride 0");
    cr_assert_eq(tensor_init(&batch, 2, 1, 4, 4, 4, NULL), CS_OK);
    p = geom_pool_defaults(POOL_MAX, 2, 2);
    expect_refused(&batch, &p, CS_ERR_SHAPE, "batch of 2");
    tensor_free(&batch);
    tensor_free(&in);
}
