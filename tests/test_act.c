/* test_act.c: element-wise activations (core/act.h) on the values where
 * they differ most easily from PyTorch: NaN, +-infinity, zero and large
 * magnitudes. Expected values are PyTorch 1.13's (torch.relu,
 * F.leaky_relu(x, 0.01), torch.sigmoid, torch.tanh on float32):
 *
 *   x          relu   leaky_relu   sigmoid   tanh
 *   nan        nan    nan          nan       nan
 *   -inf       0      -inf         0         -1
 *   inf        inf    inf          1         1
 *   -2         0      -0.02        0.119203  -0.964028
 *   3          3      3            0.952574  0.995055
 *   -20        0      -0.2         2.06e-09  -1
 *   100        100    100          1         1
 * (Below -88.7 sigmoid is a denormal here and 0 in PyTorch, whose exp(-x)
 * overflows to inf; the difference is under 1.2e-38.) */
#include <criterion/criterion.h>

#include <math.h>
#include <string.h>

#include "act.h"

static const float inputs[] = {NAN, -INFINITY, INFINITY, -2.0f, 3.0f, -20.0f, 100.0f};
#define N_INPUTS (sizeof inputs / sizeof inputs[0])

typedef struct ActCase {
    Activation act;
    float want[N_INPUTS];
} ActCase;

static const ActCase cases[] = {
    {{ACT_NONE, 0.0f}, {NAN, -INFINITY, INFINITY, -2.0f, 3.0f, -20.0f, 100.0f}},
    {{ACT_RELU, 0.0f}, {NAN, 0.0f, INFINITY, 0.0f, 3.0f, 0.0f, 100.0f}},
    {{ACT_LEAKY_RELU, 0.01f}, {NAN, -INFINITY, INFINITY, -0.02f, 3.0f, -0.2f, 100.0f}},
    {{ACT_SIGMOID, 0.0f}, {NAN, 0.0f, 1.0f, 0.11920292f, 0.95257413f, 2.0611537e-09f, 1.0f}},
    {{ACT_TANH, 0.0f}, {NAN, -1.0f, 1.0f, -0.96402758f, 0.99505475f, -1.0f, 1.0f}},
};

static void expect_value(float got, float want, const char *what, float x)
{
    if (isnan(want))
        cr_expect(isnan(got), "%s(%g) is %g, PyTorch gives nan", what, (double)x, (double)got);
    else if (isinf(want) || want == 0.0f)
        cr_expect(got == want, "%s(%g) is %g, PyTorch gives %g", what, (double)x, (double)got, (double)want);
    else
        cr_expect(fabsf(got - want) <= 1e-6f * fabsf(want) + 1e-45f, "%s(%g) is %.9g, PyTorch gives %.9g",
                  what, (double)x, (double)got, (double)want);
}

Test(act, nan_and_infinities_as_pytorch)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (size_t j = 0; j < N_INPUTS; j++)
            expect_value(act_apply(cases[i].act, inputs[j]), cases[i].want[j], act_name(cases[i].act.kind),
                         inputs[j]);
}

Test(act, tensor_form_applies_the_same_function)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Tensor t;
        cr_assert_eq(tensor_init(&t, 1, 1, 1, N_INPUTS, 3, NULL), CS_OK);
        memcpy(t.data, inputs, sizeof inputs);
        act_apply_tensor(cases[i].act, &t);
        for (size_t j = 0; j < N_INPUTS; j++)
            expect_value(t.data[j], cases[i].want[j], act_name(cases[i].act.kind), inputs[j]);
        tensor_free(&t);
    }
}
