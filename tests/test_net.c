/* test_net.c: the forward pass against PyTorch, and each new layer against a
 * naive reference.
 *
 * Differential: tests/net/NAME/ holds what tests/gen_net_fixtures.py wrote
 * from PyTorch 1.13 in eval mode (model.txt, keys.txt, input.npy and every
 * layer's output NN.npy). The weights are a formula both sides compute
 * (keys.txt gives each tensor's name, shape and A, B); the test checks that
 * convstep names and shapes the parameters as the state_dict does, runs the
 * network and compares every layer's output with PyTorch's within 1e-4 of
 * that layer's largest magnitude.
 *
 * Property: ELU, SiLU, GELU (erf and tanh), Hardswish, ReLU6, Softmax and
 * LogSoftmax, adaptive pools, BatchNorm and Linear against the formulas
 * written out in double precision over random values and shapes. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "linear.h"
#include "net.h"
#include "norm.h"
#include "npy.h"
#include "pool.h"
#include "resize.h"
#include "rng.h"
#include "spec.h"
#include "weights.h"

#define FIXTURES "tests/net/"

static char *read_text(const char *path)
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

/* u(k, i) of gen_net_fixtures.py's formula_u. */
static double formula_u(uint64_t k, uint64_t i)
{
    uint64_t h = (i * 2654435761u + k * 40503u) % 4294967296u;
    return ((double)(h % 2001) - 1000.0) / 1000.0;
}

/* Checks net's parameters against keys.txt (names, shapes, order) and fills
 * them with the formula's values. */
static void fill_from_keys(Net *net, const char *dir)
{
    char path[256], *text, *line, *save = NULL;
    size_t k = 0;
    snprintf(path, sizeof path, FIXTURES "%s/keys.txt", dir);
    text = read_text(path);
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), k++) {
        char name[128];
        int rank, used;
        size_t shape[4] = {0};
        double a, b;
        cr_assert_eq(sscanf(line, "%127s %d%n", name, &rank, &used), 2, "%s: %s", path, line);
        const char *rest = line + used;
        for (int d = 0; d < rank; d++) {
            cr_assert_eq(sscanf(rest, "%zu%n", &shape[d], &used), 1);
            rest += used;
        }
        cr_assert_eq(sscanf(rest, "%lf %lf", &a, &b), 2);
        cr_assert_lt(k, net->n_params, "%s: convstep has only %zu parameters, PyTorch has %s", dir,
                     net->n_params, name);
        NetParam *p = &net->params[k];
        cr_expect_str_eq(p->name, name, "%s: parameter %zu", dir, k);
        cr_expect_eq(p->rank, rank, "%s: %s", dir, name);
        for (int d = 0; d < rank; d++)
            cr_expect_eq(p->shape[d], shape[d], "%s: %s dimension %d", dir, name, d);
        cr_assert(net_find_param(net, name) == p);
        for (size_t i = 0; i < tensor_count(&p->t); i++)
            p->t.data[i] = (float)(a + b * formula_u(k, i));
    }
    cr_expect_eq(k, net->n_params, "%s: PyTorch has %zu parameters, convstep %zu", dir, k, net->n_params);
    free(text);
}

/* Runs tests/net/dir and compares every layer with PyTorch's output. */
static void check_fixture(const char *dir, size_t layers)
{
    char path[256], shape[64];
    LayerStack stack = {0};
    Tensor input = {0};
    Net net;
    Error err = {0};

    snprintf(path, sizeof path, FIXTURES "%s/model.txt", dir);
    char *text = read_text(path);
    cr_assert_eq(spec_parse(text, &stack, &err), CS_OK, "%s: %s", dir, err.message);
    cr_assert_eq(stack.count, layers, "%s", dir);
    snprintf(path, sizeof path, FIXTURES "%s/input.npy", dir);
    cr_assert_eq(npy_read(path, &input, &err), CS_OK, "%s", err.message);
    cr_assert_eq(net_build(&stack, input.c, input.h, input.w, &net, &err), CS_OK, "%s: %s", dir, err.message);
    fill_from_keys(&net, dir);
    cr_assert_eq(net_forward(&net, &input, &err), CS_OK, "%s: %s", dir, err.message);
    for (size_t i = 0; i < net.count; i++) {
        const Tensor *got = &net.layers[i].out;
        Tensor want = {0};
        double scale = 0.0, worst = 0.0;
        size_t at = 0;
        snprintf(path, sizeof path, FIXTURES "%s/%02zu.npy", dir, i + 1);
        cr_assert_eq(npy_read(path, &want, &err), CS_OK, "%s", err.message);
        net_shape_text(&net, i, shape, sizeof shape);
        cr_assert_eq(tensor_count(got), tensor_count(&want), "%s layer %zu (%s): %s", dir, i + 1,
                     net.layers[i].spec.text, shape);
        /* a layer between the last map and the first Linear (the Dropout of
           a classifier) still holds the map: torch.flatten in forward() runs
           before it there, convstep flattens at the Linear */
        if (!(got->rank == 3 && want.rank == 1 && !net.layers[i].flat))
            cr_expect_eq(got->rank, want.rank, "%s layer %zu: rank", dir, i + 1);
        for (size_t j = 0; j < tensor_count(&want); j++)
            scale = fmax(scale, fabs(want.data[j]));
        for (size_t j = 0; j < tensor_count(&want); j++) {
            double d = fabs((double)got->data[j] - want.data[j]);
            if (d > worst) {
                worst = d;
                at = j;
            }
        }
        cr_expect_leq(worst, 1e-4 * fmax(scale, 1e-30), "%s layer %zu (%s %s): value %zu is %.9g, PyTorch %.9g "
                      "(largest magnitude %.9g)", dir, i + 1, net.layers[i].spec.name, net.layers[i].spec.text,
                      at, (double)got->data[at], (double)want.data[at], scale);
        tensor_free(&want);
    }
    net_free(&net);
    tensor_free(&input);
    spec_free(&stack);
    free(text);
}

Test(net, lenet5_tanh_avgpool_linear)
{
    check_fixture("lenet", 12);
}

Test(net, vgg_block_batchnorm_dropout_adaptive_pool_softmax)
{
    check_fixture("vgg_block", 12);
}

Test(net, depthwise_separable_relu6_py_file)
{
    check_fixture("depthwise", 10);
}

Test(net, printed_nested_module)
{
    check_fixture("nested", 15);
}

Test(net, alexnet_features_at_67)
{
    check_fixture("alexnet_features", 13);
}

/* ---- building: shapes and names ---- */

static Status build(const char *spec, size_t c, size_t h, size_t w, Net *net, Error *err)
{
    LayerStack s = {0};
    Status st = spec_parse(spec, &s, err);
    cr_assert_eq(st, CS_OK, "%s: %s", spec, err->message);
    st = net_build(&s, c, h, w, net, err);
    spec_free(&s);
    return st;
}

Test(net, shapes_of_a_small_classifier)
{
    Net net;
    Error err = {0};
    char text[32];
    cr_assert_eq(build("Conv2d(3, 4, 3), ReLU(), AdaptiveAvgPool2d((2, None)), Flatten(), Linear(80, 7), "
                       "Softmax()", 3, 7, 12, &net, &err), CS_OK, "%s", err.message);
    net_shape_text(&net, 0, text, sizeof text);
    cr_expect_str_eq(text, "4x5x10");
    net_shape_text(&net, 2, text, sizeof text);
    cr_expect_str_eq(text, "4x2x10");
    net_shape_text(&net, 3, text, sizeof text);
    cr_expect_str_eq(text, "80");
    cr_expect(net.layers[3].flat && !net.layers[2].flat);
    net_free(&net);
    cr_expect_eq(build("Conv2d(3, 4, 3), Flatten(), Linear(80, 7)", 3, 7, 12, &net, &err), CS_ERR_SHAPE);
    cr_expect_str_eq(err.message, "layer 3 (2: Linear(80, 7)): expects 80 input features, but 200 arrive");
}

typedef struct BuildError {
    const char *spec;
    Status status;
    const char *message;
} BuildError;

static const BuildError build_errors[] = {
    {"Conv2d(3, 4, 3), Conv2d(8, 4, 3)", CS_ERR_SHAPE,
     "layer 2 (1: Conv2d(8, 4, 3)): expects 8 input channels, but 4 arrive"},
    {"Conv2d(3, 4, 3), Linear(99, 2)", CS_ERR_SHAPE,
     "layer 2 (1: Linear(99, 2)): expects 99 input features, but a 4x6x6 map arrives (144 features when flattened)"},
    {"Flatten(), MaxPool2d(2)", CS_ERR_SHAPE,
     "layer 2 (1: MaxPool2d(2)): needs a map (C,H,W), but 192 features arrive (after Flatten or Linear)"},
    {"MaxPool2d(2), MaxPool2d(2), MaxPool2d(2), MaxPool2d(2)", CS_ERR_RANGE, NULL},
    {"Flatten(start_dim=2)", CS_ERR_RANGE,
     "layer 1 (0: Flatten(start_dim=2)): convstep flattens every dimension after the batch (start_dim=1, "
     "end_dim=-1); start_dim 2, end_dim -1 would keep a map"},
    {"Flatten(), Softmax(dim=2)", CS_ERR_RANGE,
     "layer 2 (1: Softmax(dim=2)): dim 2 is outside the 2 dimensions arriving (batch, features)"},
    {"self.body = nn.Sequential(nn.BatchNorm2d(4))", CS_ERR_SHAPE,
     "layer 1 (body.0: nn.BatchNorm2d(4)): expects 4 input channels, but 3 arrive"},
};

Test(net, build_errors_name_the_layer)
{
    for (size_t i = 0; i < sizeof build_errors / sizeof build_errors[0]; i++) {
        Net net;
        Error err = {0};
        const BuildError *c = &build_errors[i];
        cr_expect_eq(build(c->spec, 3, 8, 8, &net, &err), c->status, "%s: %s", c->spec, err.message);
        if (c->message)
            cr_expect_str_eq(err.message, c->message);
        else
            cr_expect(strstr(err.message, "layer 4 (3: MaxPool2d(2)): ") == err.message, "%s", err.message);
        cr_expect_null(net.layers);
    }
}

Test(net, parameter_names_and_default_init)
{
    Net net;
    Error err = {0};
    cr_assert_eq(build("Conv2d(2, 4, 3, groups=2), BatchNorm2d(4), ConvTranspose2d(4, 6, 2, groups=2), "
                       "BatchNorm2d(6, affine=False), Flatten(), Linear(294, 3, bias=False)",
                       2, 8, 8, &net, &err), CS_OK, "%s", err.message);
    static const char *const names[] = {
        "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
        "2.weight", "2.bias", "3.running_mean", "3.running_var", "5.weight"};
    cr_assert_eq(net.n_params, sizeof names / sizeof names[0]);
    for (size_t i = 0; i < net.n_params; i++)
        cr_expect_str_eq(net.params[i].name, names[i]);
    /* PyTorch's shapes: conv (out, in/g, kh, kw), transposed (in, out/g, kh, kw), Linear (out, in) */
    cr_expect(net.params[0].rank == 4 && net.params[0].shape[0] == 4 && net.params[0].shape[1] == 1);
    cr_expect(net.params[6].rank == 4 && net.params[6].shape[0] == 4 && net.params[6].shape[1] == 3);
    cr_expect(net.params[10].rank == 2 && net.params[10].shape[0] == 3 && net.params[10].shape[1] == 294);
    net_init_default(&net, 7);
    /* U(-1/sqrt(fan_in), 1/sqrt(fan_in)): fan_in 1*3*3 for the grouped conv,
       3*2*2 for the transposed one (PyTorch reads dim 1), 294 for Linear */
    double bounds[3] = {1.0 / 3.0, 1.0 / sqrt(12.0), 1.0 / sqrt(294.0)};
    NetParam *drawn[3][2] = {{&net.params[0], &net.params[1]}, {&net.params[6], &net.params[7]},
                             {&net.params[10], NULL}};
    for (int l = 0; l < 3; l++)
        for (int k = 0; k < 2; k++) {
            NetParam *p = drawn[l][k];
            double lo = 1, hi = -1;
            for (size_t i = 0; p && i < tensor_count(&p->t); i++) {
                lo = fmin(lo, p->t.data[i]);
                hi = fmax(hi, p->t.data[i]);
            }
            if (p)
                cr_expect(lo >= -bounds[l] && hi <= bounds[l] && hi > lo, "%s in [%g, %g]", p->name, lo, hi);
        }
    for (size_t i = 0; i < 4; i++) {
        cr_expect_eq(net.params[2].t.data[i], 1.0f);
        cr_expect_eq(net.params[3].t.data[i], 0.0f);
        cr_expect_eq(net.params[4].t.data[i], 0.0f);
        cr_expect_eq(net.params[5].t.data[i], 1.0f);
    }
    /* the same seed gives the same weights */
    float first = net.params[10].t.data[5];
    net_init_default(&net, 7);
    cr_expect_eq(net.params[10].t.data[5], first);
    net_init_default(&net, 8);
    cr_expect_neq(net.params[10].t.data[5], first);
    net_free(&net);
}

Test(net, forward_refuses_another_input_shape)
{
    Net net;
    Error err = {0};
    Tensor x = {0};
    cr_assert_eq(build("ReLU()", 3, 4, 4, &net, &err), CS_OK);
    cr_assert_eq(tensor_init(&x, 1, 3, 4, 5, 3, &err), CS_OK);
    cr_expect_eq(net_forward(&net, &x, &err), CS_ERR_SHAPE);
    cr_expect_str_eq(err.message, "the input is 3x4x5, but the network was built for 3x4x4");
    cr_expect_null(net_output(&net));
    tensor_free(&x);
    net_free(&net);
}

/* ---- each new layer against a naive reference ---- */

static double ref_act(ActKind kind, double x, double alpha)
{
    switch (kind) {
    case ACT_RELU6: return fmin(fmax(x, 0.0), 6.0);
    case ACT_ELU: return x > 0 ? x : alpha * (exp(x) - 1.0);
    case ACT_SILU: return x / (1.0 + exp(-x));
    case ACT_GELU: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    case ACT_GELU_TANH: return 0.5 * x * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
    case ACT_HARDSWISH: return x * fmin(fmax(x + 3.0, 0.0), 6.0) / 6.0;
    default: return NAN;
    }
}

Test(net, activations_against_their_formulas)
{
    static const ActKind kinds[] = {ACT_RELU6, ACT_ELU, ACT_SILU, ACT_GELU, ACT_GELU_TANH, ACT_HARDSWISH};
    Rng rng;
    rng_seed(&rng, 3);
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        Activation a = {kinds[k], 0.7f};
        for (int i = 0; i < 20000; i++) {
            /* wide values, and exactly the kinks (0, +-3, 6) now and then */
            float x = i % 50 == 0 ? (float)((i / 50) % 9 - 4) * 1.5f : rng_range(&rng, -12.0f, 12.0f);
            double want = ref_act(kinds[k], x, 0.7f);
            double got = act_apply(a, x);
            cr_assert(fabs(got - want) <= 2e-6 * fmax(1.0, fabs(want)), "%s(%.9g) = %.9g, want %.9g",
                      act_name(kinds[k]), (double)x, got, want);
        }
        cr_expect(isnan(act_apply(a, NAN)), "%s keeps NaN", act_name(kinds[k]));
    }
    cr_expect_eq(act_apply((Activation){ACT_RELU6, 0}, 1e30f), 6.0f);
    cr_expect_eq(act_apply((Activation){ACT_SILU, 0}, -1e30f), -0.0f);
    cr_expect_eq(act_apply((Activation){ACT_ELU, 1.0f}, -1e30f), -1.0f);
}

Test(net, softmax_and_log_softmax_along_any_axis)
{
    Rng rng;
    rng_seed(&rng, 4);
    for (int trial = 0; trial < 40; trial++) {
        size_t outer = 1 + rng_next(&rng) % 3, n = 1 + rng_next(&rng) % 9, inner = 1 + rng_next(&rng) % 4;
        size_t count = outer * n * inner;
        float *x = malloc(count * sizeof *x), *s = malloc(count * sizeof *s), *l = malloc(count * sizeof *l);
        cr_assert(x && s && l);
        /* large values: softmax must subtract the maximum first */
        for (size_t i = 0; i < count; i++)
            x[i] = s[i] = l[i] = rng_range(&rng, -100.0f, 100.0f) + (trial % 2 ? 500.0f : 0.0f);
        act_softmax(s, outer, n, inner, false);
        act_softmax(l, outer, n, inner, true);
        for (size_t o = 0; o < outer; o++)
            for (size_t in = 0; in < inner; in++) {
                double m = -INFINITY, sum = 0.0, total = 0.0;
                for (size_t j = 0; j < n; j++)
                    m = fmax(m, x[(o * n + j) * inner + in]);
                for (size_t j = 0; j < n; j++)
                    sum += exp((double)x[(o * n + j) * inner + in] - m);
                for (size_t j = 0; j < n; j++) {
                    size_t at = (o * n + j) * inner + in;
                    double want = exp((double)x[at] - m) / sum;
                    cr_assert(fabs(s[at] - want) <= 1e-6, "softmax %g, want %g", (double)s[at], want);
                    cr_assert(fabs(l[at] - (x[at] - m - log(sum))) <= 2e-5 * fmax(1.0, fabs(l[at])));
                    total += s[at];
                }
                cr_expect(fabs(total - 1.0) < 1e-5);
            }
        free(x);
        free(s);
        free(l);
    }
}

Test(net, adaptive_pools_against_their_windows)
{
    Rng rng;
    Error err = {0};
    rng_seed(&rng, 5);
    for (int trial = 0; trial < 60; trial++) {
        size_t h = 1 + rng_next(&rng) % 13, w = 1 + rng_next(&rng) % 13;
        size_t oh = 1 + rng_next(&rng) % 9, ow = 1 + rng_next(&rng) % 9;
        Tensor x, avg, max;
        cr_assert_eq(tensor_init(&x, 1, 2, h, w, 3, &err), CS_OK);
        for (size_t i = 0; i < tensor_count(&x); i++)
            x.data[i] = rng_range(&rng, -5.0f, 5.0f);
        cr_assert_eq(pool_adaptive_forward(&x, POOL_AVG, oh, ow, &avg, &err), CS_OK);
        cr_assert_eq(pool_adaptive_forward(&x, POOL_MAX, oh, ow, &max, &err), CS_OK);
        cr_assert(avg.c == 2 && avg.h == oh && avg.w == ow);
        for (size_t c = 0; c < 2; c++)
            for (size_t y = 0; y < oh; y++)
                for (size_t xx = 0; xx < ow; xx++) {
                    /* PyTorch's windows written with floor and ceil */
                    size_t y0 = (size_t)floor((double)y * h / oh), y1 = (size_t)ceil((double)(y + 1) * h / oh);
                    size_t x0 = (size_t)floor((double)xx * w / ow), x1 = (size_t)ceil((double)(xx + 1) * w / ow);
                    double sum = 0.0, m = -INFINITY;
                    for (size_t iy = y0; iy < y1; iy++)
                        for (size_t ix = x0; ix < x1; ix++) {
                            sum += *tensor_at(&x, 0, c, iy, ix);
                            m = fmax(m, *tensor_at(&x, 0, c, iy, ix));
                        }
                    cr_assert(fabs(*tensor_at(&avg, 0, c, y, xx) - sum / ((y1 - y0) * (x1 - x0))) < 1e-5,
                              "%zux%zu -> %zux%zu at (%zu, %zu)", h, w, oh, ow, y, xx);
                    cr_assert_eq(*tensor_at(&max, 0, c, y, xx), (float)m);
                }
        tensor_free(&x);
        tensor_free(&avg);
        tensor_free(&max);
    }
}

Test(net, batchnorm_and_linear_against_their_formulas)
{
    Rng rng;
    rng_seed(&rng, 6);
    enum { C = 5, P = 7, IN = 37, OUT = 6 };
    float x[C * P], y[C * P], mean[C], var[C], weight[C], bias[C];
    for (size_t i = 0; i < C * P; i++)
        x[i] = rng_range(&rng, -10.0f, 10.0f);
    for (size_t c = 0; c < C; c++) {
        mean[c] = rng_range(&rng, -1.0f, 1.0f);
        var[c] = rng_range(&rng, 0.1f, 3.0f);
        weight[c] = rng_range(&rng, -2.0f, 2.0f);
        bias[c] = rng_range(&rng, -2.0f, 2.0f);
    }
    norm_batch_forward(x, C, P, mean, var, weight, bias, 1e-5f, y);
    for (size_t c = 0; c < C; c++)
        for (size_t i = 0; i < P; i++) {
            double want = ((double)x[c * P + i] - mean[c]) / sqrt((double)var[c] + 1e-5) * weight[c] + bias[c];
            cr_assert(fabs(y[c * P + i] - want) <= 1e-5 * fmax(1.0, fabs(want)));
        }
    /* without running statistics: the image's own, so each channel comes out
       with mean bias and variance weight^2 (up to eps) */
    norm_batch_forward(x, C, P, NULL, NULL, weight, bias, 1e-5f, y);
    for (size_t c = 0; c < C; c++) {
        double m = 0.0, v = 0.0;
        for (size_t i = 0; i < P; i++)
            m += y[c * P + i] / P;
        for (size_t i = 0; i < P; i++)
            v += (y[c * P + i] - m) * (y[c * P + i] - m) / P;
        cr_expect(fabs(m - bias[c]) < 1e-4 && fabs(v - (double)weight[c] * weight[c]) < 1e-3 * (1 + v));
    }
    float in[IN], w[OUT * IN], b[OUT], out[OUT];
    for (size_t i = 0; i < IN; i++)
        in[i] = rng_range(&rng, -3.0f, 3.0f);
    for (size_t i = 0; i < OUT * IN; i++)
        w[i] = rng_range(&rng, -1.0f, 1.0f);
    for (size_t o = 0; o < OUT; o++)
        b[o] = rng_range(&rng, -1.0f, 1.0f);
    linear_forward(in, IN, w, b, OUT, out);
    for (size_t o = 0; o < OUT; o++) {
        double want = b[o];
        for (size_t i = 0; i < IN; i++)
            want += (double)w[o * IN + i] * in[i];
        cr_assert(fabs(out[o] - want) < 1e-5 * (1 + fabs(want)));
    }
    float nob[OUT];
    linear_forward(in, IN, w, NULL, OUT, nob);
    for (size_t o = 0; o < OUT; o++)
        cr_expect(fabs(out[o] - b[o] - nob[o]) < 1e-5f, "no bias is bias 0");
}

/* ---- --input-size: torchvision's antialiased Resize ---- */

Test(net, resize_matches_torch_interpolate_antialias)
{
    static const char *const cases[] = {"down", "up"};
    for (int i = 0; i < 2; i++) {
        char path[128];
        Tensor in = {0}, want = {0}, got = {0};
        Error err = {0};
        snprintf(path, sizeof path, FIXTURES "resize/%s_in.npy", cases[i]);
        cr_assert_eq(npy_read(path, &in, &err), CS_OK, "%s", err.message);
        snprintf(path, sizeof path, FIXTURES "resize/%s_out.npy", cases[i]);
        cr_assert_eq(npy_read(path, &want, &err), CS_OK, "%s", err.message);
        cr_assert_eq(resize_antialias(&in, want.h, want.w, &got, &err), CS_OK, "%s", err.message);
        cr_assert_eq(tensor_count(&got), tensor_count(&want));
        for (size_t j = 0; j < tensor_count(&want); j++)
            cr_assert(fabs(got.data[j] - want.data[j]) < 1e-3, "%s: value %zu is %g, torch %g", cases[i], j,
                      (double)got.data[j], (double)want.data[j]);
        tensor_free(&in);
        tensor_free(&want);
        tensor_free(&got);
    }
}

/* ---- strict loading, as load_state_dict(strict=True) ---- */

/* Appends a tensor named name of PyTorch shape dims (rank r) filled with v. */
static void wf_add(WeightsFile *w, const char *name, int r, const size_t *dims, float v)
{
    size_t d[4] = {1, 1, 1, 1};
    Error err = {0};
    NamedTensor *t;
    w->items = realloc(w->items, (w->count + 1) * sizeof *w->items);
    cr_assert(w->items);
    t = &w->items[w->count++];
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    t->rank = r;
    for (int i = 0; i < r; i++) {
        t->shape[i] = dims[i];
        d[4 - r + i] = dims[i];
    }
    cr_assert_eq(tensor_init(&t->t, d[0], d[1], d[2], d[3], r > 0 ? r : 1, &err), CS_OK);
    for (size_t i = 0; i < tensor_count(&t->t); i++)
        t->t.data[i] = v;
}

/* The state dict of Conv2d(1, 2, 3), BatchNorm2d(2), Flatten(), Linear(8, 3). */
static void full_state(WeightsFile *w)
{
    static const size_t conv[4] = {2, 1, 3, 3}, two[1] = {2}, lin[2] = {3, 8}, three[1] = {3};
    memset(w, 0, sizeof *w);
    wf_add(w, "0.weight", 4, conv, 0.5f);
    wf_add(w, "0.bias", 1, two, 0.25f);
    wf_add(w, "1.weight", 1, two, 2.0f);
    wf_add(w, "1.bias", 1, two, 1.0f);
    wf_add(w, "1.running_mean", 1, two, 0.0f);
    wf_add(w, "1.running_var", 1, two, 1.0f);
    wf_add(w, "1.num_batches_tracked", 0, NULL, 7.0f);
    wf_add(w, "3.weight", 2, lin, 0.125f);
    wf_add(w, "3.bias", 1, three, -1.0f);
}

Test(net, strict_loading)
{
    Net net;
    Error err = {0};
    WeightsFile w;
    static const size_t extra[2] = {10, 4};

    cr_assert_eq(build("Conv2d(1, 2, 3), BatchNorm2d(2), Flatten(), Linear(8, 3)", 1, 4, 4, &net, &err), CS_OK,
                 "%s", err.message);
    /* everything fits (num_batches_tracked ignored): values copied */
    full_state(&w);
    cr_expect_eq(net_load_weights(&net, &w, &err), CS_OK, "%s", err.message);
    cr_expect_eq(net_find_param(&net, "0.weight")->t.data[8], 0.5f);
    cr_expect_eq(net_find_param(&net, "3.bias")->t.data[2], -1.0f);
    weights_free(&w);

    /* missing, unexpected and mismatched keys in one message; nothing changed */
    full_state(&w);
    free(w.items[1].name);
    w.items[1].name = strdup("conv.bias");
    tensor_free(&w.items[0].t);
    w.items[0].shape[2] = w.items[0].shape[3] = 5;
    cr_assert_eq(tensor_init(&w.items[0].t, 2, 1, 5, 5, 4, &err), CS_OK);
    wf_add(&w, "fc.weight", 2, extra, 1.0f);
    net_find_param(&net, "0.bias")->t.data[0] = 42.0f;
    cr_expect_eq(net_load_weights(&net, &w, &err), CS_ERR_SHAPE);
    cr_expect_str_eq(err.message, "missing 0.bias (2); unexpected conv.bias, fc.weight; 0.weight is 2x1x5x5 in "
                                  "the file, 2x1x3x3 in the network");
    cr_expect_eq(net_find_param(&net, "0.bias")->t.data[0], 42.0f, "nothing loaded");
    weights_free(&w);

    /* long lists are cut after three */
    memset(&w, 0, sizeof w);
    cr_expect_eq(net_load_weights(&net, &w, &err), CS_ERR_SHAPE);
    cr_expect_str_eq(err.message, "missing 0.weight (2x1x3x3), 0.bias (2), 1.weight (2) (+5 more)");
    net_free(&net);
}
