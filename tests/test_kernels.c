/* test_kernels.c: the random generator (core/rng.h), the kernel presets and
 * the PyTorch-style initialisers (core/kernels.h). */
#include <criterion/criterion.h>

#include <math.h>
#include <string.h>

#include "kernels.h"
#include "rng.h"

/* ---- rng ---------------------------------------------------------------- */

Test(rng, matches_the_reference_splitmix64_and_xoshiro256starstar)
{
    /* SplitMix64's first output for seed 0 is 0xe220a8397b1dcdaf (its
     * published test value); the xoshiro256** outputs below come from an
     * independent Python transcription of the reference C code. */
    Rng r;
    rng_seed(&r, 0);
    cr_expect_eq(r.s[0], 0xe220a8397b1dcdafULL);
    cr_expect_eq(rng_next(&r), 0x99ec5f36cb75f2b4ULL);
    cr_expect_eq(rng_next(&r), 0xbf6e1f784956452aULL);
    cr_expect_eq(rng_next(&r), 0x1a5f849d4933e6e0ULL);
    rng_seed(&r, 42);
    cr_expect_eq(rng_next(&r), 0x15780b2e0c2ec716ULL);
    cr_expect_eq(rng_next(&r), 0x6104d9866d113a7eULL);
    cr_expect_eq(rng_next(&r), 0xae17533239e499a1ULL);
}

Test(rng, uniform_range_and_normal_have_their_moments)
{
    enum { N = 100000 };
    Rng r;
    double sum_u = 0, sum_n = 0, sum_n2 = 0, lo = 1, hi = 0;
    rng_seed(&r, 12345);
    for (int i = 0; i < N; i++) {
        float u = rng_uniform(&r);
        cr_assert(u >= 0.0f && u < 1.0f, "uniform %g outside [0, 1)", u);
        sum_u += u;
        lo = fmin(lo, u);
        hi = fmax(hi, u);
        float v = rng_range(&r, -2.0f, 3.0f);
        cr_assert(v >= -2.0f && v < 3.0f, "range %g outside [-2, 3)", v);
        float n = rng_normal(&r);
        cr_assert(isfinite(n));
        sum_n += n;
        sum_n2 += (double)n * n;
    }
    cr_expect(fabs(sum_u / N - 0.5) < 0.005, "uniform mean %g", sum_u / N);
    cr_expect(lo < 0.001 && hi > 0.999, "uniform spans [%g, %g]", lo, hi);
    cr_expect(fabs(sum_n / N) < 0.02, "normal mean %g", sum_n / N);
    cr_expect(fabs(sum_n2 / N - 1.0) < 0.03, "normal variance %g", sum_n2 / N);
}

Test(rng, range_never_returns_its_upper_end)
{
    /* With hi - lo tiny against lo, lo + (hi-lo)*u rounds up to hi for u
     * near 1; the generator must still stay below hi. */
    Rng r;
    rng_seed(&r, 3);
    for (int i = 0; i < 100000; i++) {
        float v = rng_range(&r, 1.0f, nextafterf(1.0f, 2.0f));
        cr_assert(v == 1.0f, "got %.9g", v);
    }
}

/* ---- presets ------------------------------------------------------------ */

static const float *preset_values(const char *name, Tensor *t)
{
    Error err;
    int index = kernels_preset_find(name);
    cr_assert_geq(index, 0, "no preset %s", name);
    cr_assert_eq(kernels_preset_weights(index, 1, 1, t, &err), CS_OK, "%s", err.message);
    return t->data;
}

Test(kernels, preset_values_are_the_textbook_ones)
{
    struct {
        const char *name;
        float v[9];
    } cases[] = {
        {"identity", {0, 0, 0, 0, 1, 0, 0, 0, 0}},
        {"box-blur", {1 / 9.f, 1 / 9.f, 1 / 9.f, 1 / 9.f, 1 / 9.f, 1 / 9.f, 1 / 9.f, 1 / 9.f, 1 / 9.f}},
        {"gaussian-3", {1 / 16.f, 2 / 16.f, 1 / 16.f, 2 / 16.f, 4 / 16.f, 2 / 16.f, 1 / 16.f, 2 / 16.f, 1 / 16.f}},
        {"sharpen", {0, -1, 0, -1, 5, -1, 0, -1, 0}},
        {"sobel-x", {-1, 0, 1, -2, 0, 2, -1, 0, 1}},
        {"sobel-y", {-1, -2, -1, 0, 0, 0, 1, 2, 1}},
        {"scharr-x", {-3, 0, 3, -10, 0, 10, -3, 0, 3}},
        {"scharr-y", {-3, -10, -3, 0, 0, 0, 3, 10, 3}},
        {"laplacian", {0, 1, 0, 1, -4, 1, 0, 1, 0}},
        {"emboss", {-2, -1, 0, -1, 1, 1, 0, 1, 2}},
        {"outline", {-1, -1, -1, -1, 8, -1, -1, -1, -1}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Tensor t;
        const float *v = preset_values(cases[i].name, &t);
        cr_expect(t.h == 3 && t.w == 3, "%s is %zux%zu", cases[i].name, t.h, t.w);
        for (int k = 0; k < 9; k++)
            cr_expect_float_eq(v[k], cases[i].v[k], 1e-7, "%s[%d] = %g, wanted %g", cases[i].name, k, v[k],
                               cases[i].v[k]);
        tensor_free(&t);
    }
}

Test(kernels, gaussian_5_is_the_binomial_outer_product)
{
    const float row[5] = {1, 4, 6, 4, 1};
    Tensor t;
    const float *v = preset_values("gaussian-5", &t);
    cr_assert(t.h == 5 && t.w == 5);
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 5; x++)
            cr_expect_float_eq(v[y * 5 + x], row[y] * row[x] / 256.0f, 1e-7, "(%d,%d)", y, x);
    tensor_free(&t);
}

Test(kernels, presets_sum_to_one_or_zero)
{
    /* Blurs and identity keep brightness (sum 1); edge finders give 0 on a
     * flat area (sum 0). */
    for (int i = 0; i < kernels_preset_count(); i++) {
        const char *name = kernels_preset_name(i);
        Tensor t;
        Error err;
        cr_assert_eq(kernels_preset_weights(i, 1, 1, &t, &err), CS_OK);
        double sum = 0;
        for (size_t k = 0; k < tensor_count(&t); k++)
            sum += t.data[k];
        bool edge = strstr(name, "sobel") || strstr(name, "scharr") || !strcmp(name, "laplacian") ||
                    !strcmp(name, "outline");
        cr_expect_float_eq(sum, edge ? 0.0 : 1.0, 1e-6, "%s sums to %g", name, sum);
        tensor_free(&t);
    }
}

Test(kernels, every_preset_has_a_unique_name_and_a_summary)
{
    cr_assert_eq(kernels_preset_count(), 12);
    for (int i = 0; i < kernels_preset_count(); i++) {
        const char *name = kernels_preset_name(i);
        const char *summary = kernels_preset_summary(i);
        cr_assert_not_null(name);
        cr_assert_not_null(summary);
        cr_expect_gt(strlen(summary), 20, "%s: summary too short", name);
        cr_expect_eq(kernels_preset_find(name), i, "%s is not found by its name", name);
        for (int j = 0; j < i; j++)
            cr_expect_str_neq(name, kernels_preset_name(j));
    }
    cr_expect_null(kernels_preset_name(-1));
    cr_expect_null(kernels_preset_name(kernels_preset_count()));
    cr_expect_null(kernels_preset_summary(kernels_preset_count()));
}

Test(kernels, find_accepts_aliases_and_refuses_unknown_names)
{
    cr_expect_eq(kernels_preset_find("blur"), kernels_preset_find("box-blur"));
    cr_expect_eq(kernels_preset_find("gaussian"), kernels_preset_find("gaussian-3"));
    cr_expect_geq(kernels_preset_find("blur"), 0);
    cr_expect_eq(kernels_preset_find("sobel"), -1);
    cr_expect_eq(kernels_preset_find(""), -1);
    cr_expect_eq(kernels_preset_find("SOBEL-X"), -1);
    cr_expect_eq(kernels_preset_find(NULL), -1);
}

Test(kernels, preset_weights_fill_every_filter_and_channel)
{
    Tensor t;
    Error err;
    int index = kernels_preset_find("sobel-x");
    cr_assert_eq(kernels_preset_weights(index, 4, 3, &t, &err), CS_OK);
    cr_expect(t.rank == 4 && t.n == 4 && t.c == 3 && t.h == 3 && t.w == 3);
    for (size_t f = 0; f < 4; f++)
        for (size_t c = 0; c < 3; c++) {
            cr_expect_eq(*tensor_at(&t, f, c, 1, 0), -2.0f);
            cr_expect_eq(*tensor_at(&t, f, c, 1, 2), 2.0f);
        }
    tensor_free(&t);

    cr_expect_eq(kernels_preset_weights(99, 1, 1, &t, &err), CS_ERR_RANGE);
    cr_expect_eq(kernels_preset_weights(-1, 1, 1, &t, &err), CS_ERR_RANGE);
    cr_expect_eq(kernels_preset_weights(0, 0, 1, &t, &err), CS_ERR_RANGE);
    cr_expect_null(t.data);
}

/* ---- initialisers ------------------------------------------------------- */

typedef struct Moments {
    double mean, var, min, max;
} Moments;

static Moments moments_of(const Tensor *t)
{
    Moments m = {0, 0, INFINITY, -INFINITY};
    size_t n = tensor_count(t);
    for (size_t i = 0; i < n; i++) {
        m.mean += t->data[i];
        m.min = fmin(m.min, t->data[i]);
        m.max = fmax(m.max, t->data[i]);
    }
    m.mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        m.var += (t->data[i] - m.mean) * (t->data[i] - m.mean);
    m.var /= (double)n;
    return m;
}

/* Draws kind into an (out, in, 3, 3) tensor and checks the moments against
 * PyTorch's formula: a uniform U(-b, b) has variance b^2/3 and stays inside
 * (-b, b), reaching near both ends; a normal N(0, s^2) has variance s^2. */
static void check_init(InitKind kind, size_t out, size_t in, double fan_in, double fan_out)
{
    Tensor w;
    Error err;
    cr_assert_eq(tensor_init(&w, out, in, 3, 3, 4, &err), CS_OK);
    kernels_init(&w, kind, 2024);
    Moments m = moments_of(&w);
    const char *name = kernels_init_name(kind);
    double bound = kind == INIT_UNIFORM ? 1.0 / sqrt(fan_in)
                 : kind == INIT_XAVIER_UNIFORM ? sqrt(6.0 / (fan_in + fan_out))
                 : kind == INIT_HE_UNIFORM ? sqrt(6.0 / fan_in) : 0.0;
    double var = bound > 0 ? bound * bound / 3.0
               : kind == INIT_XAVIER_NORMAL ? 2.0 / (fan_in + fan_out) : 2.0 / fan_in;
    double sd = sqrt(var);
    cr_expect(fabs(m.var / var - 1.0) < 0.05, "%s: variance %g, formula %g", name, m.var, var);
    cr_expect(fabs(m.mean) < 0.05 * sd, "%s: mean %g (sd %g)", name, m.mean, sd);
    if (bound > 0) {
        cr_expect(m.min >= -bound && m.max < bound, "%s: [%g, %g] outside +-%g", name, m.min, m.max, bound);
        cr_expect(m.min < -0.99 * bound && m.max > 0.99 * bound, "%s: [%g, %g] does not reach +-%g", name, m.min,
                  m.max, bound);
    } else {
        cr_expect(m.max > 3 * sd && m.min < -3 * sd, "%s: [%g, %g] has no normal tails (sd %g)", name, m.min,
                  m.max, sd);
    }
    tensor_free(&w);
}

Test(kernels, initialisers_follow_torch_nn_init)
{
    /* Conv2d(32, 64, 3): weight (64, 32, 3, 3), fan_in 32*9, fan_out 64*9. */
    for (InitKind k = INIT_UNIFORM; k <= INIT_HE_NORMAL; k++)
        check_init(k, 64, 32, 288, 576);
}

Test(kernels, fans_come_from_the_weight_shape_as_in_torch)
{
    /* Conv2d(8, 1024, 3, groups=4): weight (1024, 2, 3, 3), fan_in 2*9 = 18,
     * fan_out 1024*9 = 9216 (torch does not divide fan_out by groups).
     * ConvTranspose2d(1024, 8, 3, groups=2): weight (1024, 4, 3, 3), fan_in
     * 4*9 = 36, fan_out 1024*9 = 9216. */
    for (InitKind k = INIT_UNIFORM; k <= INIT_HE_NORMAL; k++) {
        check_init(k, 1024, 2, 18, 9216);
        check_init(k, 1024, 4, 36, 9216);
    }
    double fan_in, fan_out;
    kernels_fans(1024, 8 / 4, 3, 3, &fan_in, &fan_out);
    cr_expect(fan_in == 18 && fan_out == 9216, "grouped conv fans %g, %g", fan_in, fan_out);
    kernels_fans(1024, 8 / 2, 3, 3, &fan_in, &fan_out);
    cr_expect(fan_in == 36 && fan_out == 9216, "grouped transposed fans %g, %g", fan_in, fan_out);
}

Test(kernels, initialisers_are_deterministic_from_the_seed)
{
    Tensor a, b;
    Error err;
    cr_assert_eq(tensor_init(&a, 8, 3, 5, 5, 4, &err), CS_OK);
    cr_assert_eq(tensor_init(&b, 8, 3, 5, 5, 4, &err), CS_OK);
    for (InitKind k = INIT_UNIFORM; k <= INIT_HE_NORMAL; k++) {
        kernels_init(&a, k, 99);
        kernels_init(&b, k, 99);
        cr_expect_arr_eq(a.data, b.data, tensor_count(&a) * sizeof(float), "%s differs for one seed",
                         kernels_init_name(k));
        kernels_init(&b, k, 100);
        cr_expect(memcmp(a.data, b.data, tensor_count(&a) * sizeof(float)) != 0, "%s ignores the seed",
                  kernels_init_name(k));
    }
    /* The first weight of he-uniform with seed 99 is fixed forever: the top
     * 24 bits of the first xoshiro256** output, scaled to +-sqrt(6/75). */
    Rng r;
    rng_seed(&r, 99);
    double u = (double)(rng_next(&r) >> 40) / 16777216.0;
    double b99 = sqrt(6.0 / 75.0);
    kernels_init(&a, INIT_HE_UNIFORM, 99);
    cr_expect_float_eq(a.data[0], -b99 + 2 * b99 * u, 1e-6);
    tensor_free(&a);
    tensor_free(&b);
}

Test(kernels, init_names_round_trip)
{
    const char *names[] = {"uniform", "xavier-uniform", "xavier-normal", "he-uniform", "he-normal"};
    for (int i = 0; i < 5; i++) {
        InitKind k;
        cr_assert(kernels_init_parse(names[i], &k), "%s", names[i]);
        cr_expect_str_eq(kernels_init_name(k), names[i]);
    }
    InitKind k;
    cr_expect_not(kernels_init_parse("kaiming", &k));
    cr_expect_not(kernels_init_parse("", &k));
    cr_expect_not(kernels_init_parse(NULL, &k));
}
