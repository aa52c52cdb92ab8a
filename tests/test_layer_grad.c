/* test_layer_grad.c: the backward passes of pooling, activations, softmax,
 * cross-entropy, Linear and BatchNorm2d, and Dropout's masks (issue 11).
 *
 * Fixtures: tests/fixtures/layergrad/cases.txt lists cases whose inputs and
 * PyTorch 1.13 autograd gradients tests/gen_layer_grad_fixtures.py wrote as
 * .npy files; every case is run here and compared value by value (NaN with
 * NaN, infinities exactly).
 * Finite differences: on random configurations, each gradient against
 * (L(x + e) - L(x - e)) / 2e of L = sum(gy * f(x)) in double.
 * Properties: the total gradient a pooling passes on, softmax and loss rows
 * summing to zero, BatchNorm's gradient orthogonal to 1 and xhat, Dropout's
 * mask values and rate. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "act.h"
#include "dropout.h"
#include "linear.h"
#include "loss.h"
#include "norm.h"
#include "npy.h"
#include "pool.h"
#include "rng.h"

#define FIXTURES "tests/fixtures/layergrad/"

/* ---- helpers ---- */

/* Loads FIXTURES/name-key.npy. */
static Tensor load(const char *name, const char *key)
{
    char path[256];
    Tensor t;
    Error err = {0};
    snprintf(path, sizeof path, FIXTURES "%s-%s.npy", name, key);
    cr_assert_eq(npy_read(path, &t, &err), CS_OK, "%s", err.message);
    return t;
}

/* got[0..n) against want: NaN where want is NaN, infinities and zeros
 * exactly, else within atol + rtol*|want|. */
static void expect_close(const float *got, const float *want, size_t n, double rtol, double atol,
                         const char *what, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        const double g = got[i], w = want[i];
        if (isnan(w))
            cr_expect(isnan(g), "%s %s[%zu] is %g, PyTorch gives nan", name, what, i, g);
        else if (isinf(w))
            cr_expect(g == w, "%s %s[%zu] is %g, PyTorch gives %g", name, what, i, g, w);
        else
            cr_expect(fabs(g - w) <= atol + rtol * fabs(w), "%s %s[%zu] is %.9g, PyTorch gives %.9g", name,
                      what, i, g, w);
    }
}

static void expect_tensor(const Tensor *got, const char *name, const char *key, double rtol, double atol)
{
    Tensor want = load(name, key);
    cr_assert_eq(tensor_count(got), tensor_count(&want), "%s %s: %zu values, PyTorch has %zu", name, key,
                 tensor_count(got), tensor_count(&want));
    expect_close(got->data, want.data, tensor_count(&want), rtol, atol, key, name);
    tensor_free(&want);
}

/* Calls run(line) for every cases.txt line of the given kind. */
static size_t for_each_case(const char *kind, void (*run)(const char *line))
{
    FILE *f = fopen(FIXTURES "cases.txt", "r");
    char line[512], word[32];
    size_t count = 0;
    cr_assert(f, "cannot open " FIXTURES "cases.txt");
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%31s", word) == 1 && strcmp(word, kind) == 0) {
            run(line);
            count++;
        }
    fclose(f);
    return count;
}

static Tensor zeros(size_t c, size_t h, size_t w)
{
    Tensor t;
    cr_assert_eq(tensor_init(&t, 1, c, h, w, 3, NULL), CS_OK);
    return t;
}

static float *vec(size_t n)
{
    float *v = calloc(n ? n : 1, sizeof *v);
    cr_assert(v);
    return v;
}

/* ---- pooling against PyTorch ---- */

static void run_pool_case(const char *line)
{
    char name[64], mode[8];
    int v[10];
    cr_assert_eq(sscanf(line, "pool %63s %7s %d %d %d %d %d %d %d %d %d %d", name, mode, &v[0], &v[1], &v[2],
                        &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]),
                 12, "bad line: %s", line);
    PoolParams p = geom_pool_defaults(strcmp(mode, "max") == 0 ? POOL_MAX : POOL_AVG, v[0], v[1]);
    p.stride_h = v[2], p.stride_w = v[3], p.pad_h = v[4], p.pad_w = v[5];
    p.dilation_h = v[6], p.dilation_w = v[7], p.ceil_mode = v[8], p.count_include_pad = v[9];
    Tensor x = load(name, "x"), gy = load(name, "gy"), gx = {0};
    Error err = {0};
    cr_assert_eq(pool_backward(&x, &p, &gy, &gx, &err), CS_OK, "%s: %s", name, err.message);
    cr_expect(gx.c == x.c && gx.h == x.h && gx.w == x.w && gx.rank == x.rank, "%s: gradient shape", name);
    expect_tensor(&gx, name, "gx", 1e-6, 1e-7);
    /* a second call reuses the buffer and overwrites it (no accumulation) */
    float *data = gx.data;
    cr_assert_eq(pool_backward(&x, &p, &gy, &gx, &err), CS_OK, "%s: %s", name, err.message);
    cr_expect(gx.data == data, "%s: the input gradient buffer was not reused", name);
    expect_tensor(&gx, name, "gx", 1e-6, 1e-7);
    tensor_free(&x), tensor_free(&gy), tensor_free(&gx);
}

Test(layer_grad, pool_backward_matches_pytorch)
{
    cr_expect_geq(for_each_case("pool", run_pool_case), 16);
}

static void run_adaptive_case(const char *line)
{
    char name[64], mode[8];
    int oh, ow;
    cr_assert_eq(sscanf(line, "adaptive %63s %7s %d %d", name, mode, &oh, &ow), 4, "bad line: %s", line);
    Tensor x = load(name, "x"), gy = load(name, "gy"), gx = {0};
    Error err = {0};
    cr_assert(gy.h == (size_t)oh && gy.w == (size_t)ow);
    cr_assert_eq(pool_adaptive_backward(&x, strcmp(mode, "max") == 0 ? POOL_MAX : POOL_AVG, &gy, &gx, &err),
                 CS_OK, "%s: %s", name, err.message);
    expect_tensor(&gx, name, "gx", 1e-6, 1e-7);
    tensor_free(&x), tensor_free(&gy), tensor_free(&gx);
}

Test(layer_grad, adaptive_pool_backward_matches_pytorch)
{
    cr_expect_geq(for_each_case("adaptive", run_adaptive_case), 6);
}

/* ---- activations, softmax, loss against PyTorch ---- */

static void run_act_case(const char *line)
{
    char name[64], kind[32];
    float slope;
    cr_assert_eq(sscanf(line, "act %63s %31s %f", name, kind, &slope), 3, "bad line: %s", line);
    Activation act = {ACT_NONE, slope};
    bool found = false;
    for (int k = ACT_NONE; k <= ACT_HARDSWISH && !found; k++)
        if (strcmp(act_name((ActKind)k), kind) == 0)
            act.kind = (ActKind)k, found = true;
    cr_assert(found, "unknown activation %s", kind);
    Tensor x = load(name, "x"), gy = load(name, "gy"), gx = zeros(1, 1, tensor_count(&x));
    act_backward(act, x.data, gy.data, tensor_count(&x), gx.data);
    /* exp, erf and tanh differ between libm and ATen's vector versions by an
       ulp or two, and 1 - tanh^2 cancels where tanh is near -1 or 1 (one
       ulp of tanh moves gelu_tanh'(-3.03) = -0.025 by 2e-7), so the error
       allowed is a few ulps of 1, not of the result */
    expect_tensor(&gx, name, "gx", 2e-6, 1e-6);
    /* relu, relu6 and leaky_relu: the output in place of the input */
    if (act.kind == ACT_RELU || act.kind == ACT_RELU6 || (act.kind == ACT_LEAKY_RELU && slope > 0)) {
        Tensor y = zeros(1, 1, tensor_count(&x));
        for (size_t i = 0; i < tensor_count(&x); i++)
            y.data[i] = act_apply(act, x.data[i]);
        act_backward(act, y.data, gy.data, tensor_count(&x), gx.data);
        expect_tensor(&gx, name, "gx", 0, 0);
        tensor_free(&y);
    }
    /* in place: dx = dy */
    act_backward(act, x.data, gy.data, tensor_count(&x), gy.data);
    expect_tensor(&gy, name, "gx", 2e-6, 1e-6);
    tensor_free(&x), tensor_free(&gy), tensor_free(&gx);
}

Test(layer_grad, activation_backward_matches_pytorch)
{
    cr_expect_geq(for_each_case("act", run_act_case), 12);
}

static void run_softmax_case(const char *line)
{
    char name[64];
    int take_log, outer, n, inner;
    cr_assert_eq(sscanf(line, "softmax %63s %d %d %d %d", name, &take_log, &outer, &n, &inner), 5, "bad line: %s",
                 line);
    Tensor y = load(name, "y"), gy = load(name, "gy"), gx = zeros(1, 1, tensor_count(&y));
    act_softmax_backward(y.data, gy.data, (size_t)outer, (size_t)n, (size_t)inner, take_log, gx.data);
    expect_tensor(&gx, name, "gx", 1e-5, 1e-6);
    tensor_free(&y), tensor_free(&gy), tensor_free(&gx);
}

Test(layer_grad, softmax_backward_matches_pytorch)
{
    cr_expect_geq(for_each_case("softmax", run_softmax_case), 4);
}

static void run_loss_case(const char *line)
{
    char name[64];
    int batch, classes;
    cr_assert_eq(sscanf(line, "loss %63s %d %d", name, &batch, &classes), 3, "bad line: %s", line);
    Tensor z = load(name, "logits"), lab = load(name, "labels"), want = load(name, "loss");
    Tensor grad = zeros(1, (size_t)batch, (size_t)classes);
    uint8_t labels[256];
    size_t correct = 99, hits = 0;
    for (int r = 0; r < batch; r++) {
        labels[r] = (uint8_t)lab.data[r];
        /* the first highest logit, counted by hand */
        int best = 0;
        for (int j = 1; j < classes; j++)
            if (z.data[r * classes + j] > z.data[r * classes + best])
                best = j;
        hits += best == labels[r];
    }
    double loss = loss_cross_entropy(z.data, (size_t)batch, (size_t)classes, labels, grad.data, &correct);
    cr_expect(fabs(loss - want.data[0]) <= 1e-6 * fabs(want.data[0]) + 1e-7, "%s: loss %.9g, PyTorch %.9g", name,
              loss, (double)want.data[0]);
    cr_expect_eq(correct, hits, "%s: %zu correct, counted %zu", name, correct, hits);
    expect_tensor(&grad, name, "grad", 1e-5, 1e-8);
    /* without grad and correct: the same loss */
    cr_expect_eq(loss_cross_entropy(z.data, (size_t)batch, (size_t)classes, labels, NULL, NULL), loss);
    tensor_free(&z), tensor_free(&lab), tensor_free(&want), tensor_free(&grad);
}

Test(layer_grad, cross_entropy_matches_pytorch)
{
    cr_expect_geq(for_each_case("loss", run_loss_case), 3);
}

Test(layer_grad, cross_entropy_not_finite_on_nan_or_inf)
{
    float z[2 * 3] = {1, 2, 3, 0, 0, 0};
    const uint8_t labels[2] = {2, 1};
    float grad[6];
    z[1] = NAN;
    cr_expect(isnan(loss_cross_entropy(z, 2, 3, labels, grad, NULL)), "a NaN logit gives a NaN loss");
    cr_expect(isnan(grad[0]) && isnan(grad[2]), "and a NaN gradient in its row");
    z[1] = INFINITY;
    cr_expect(isnan(loss_cross_entropy(z, 2, 3, labels, grad, NULL)), "+inf gives NaN (inf - inf), as PyTorch");
    z[1] = 2;
    z[4] = -INFINITY; /* row 1's label */
    double loss = loss_cross_entropy(z, 2, 3, labels, grad, NULL);
    cr_expect(isinf(loss) && loss > 0, "-inf at the label gives +inf, got %g", loss);
    /* hand-worked: logits (0, 0), label 0: loss log 2, gradient (-1/2, 1/2) */
    const float even[2] = {0, 0};
    const uint8_t zero = 0;
    size_t correct;
    cr_expect(fabs(loss_cross_entropy(even, 1, 2, &zero, grad, &correct) - log(2.0)) < 1e-12);
    cr_expect(grad[0] == -0.5f && grad[1] == 0.5f && correct == 1, "tie: the first highest logit counts");
}

/* ---- Linear against PyTorch ---- */

static void run_linear_case(const char *line)
{
    char name[64];
    int batch, in, out;
    cr_assert_eq(sscanf(line, "linear %63s %d %d %d", name, &batch, &in, &out), 4, "bad line: %s", line);
    Tensor x = load(name, "x"), w = load(name, "w"), b = load(name, "b"), gy = load(name, "gy");
    Tensor y = zeros(1, (size_t)batch, (size_t)out), gx = zeros(1, (size_t)batch, (size_t)in);
    Tensor gw = zeros(1, (size_t)out, (size_t)in), gb = zeros(1, 1, (size_t)out);
    float *row = vec((size_t)out);
    linear_forward_batch(x.data, (size_t)batch, (size_t)in, w.data, b.data, (size_t)out, y.data);
    expect_tensor(&y, name, "y", 1e-5, 1e-6);
    for (int r = 0; r < batch; r++) {
        linear_forward(x.data + r * in, (size_t)in, w.data, b.data, (size_t)out, row);
        cr_expect(memcmp(row, y.data + r * out, (size_t)out * sizeof *row) == 0,
                  "%s: row %d differs from linear_forward's", name, r);
    }
    for (size_t i = 0; i < tensor_count(&gx); i++)
        gx.data[i] = 123.0f; /* overwritten */
    linear_backward(x.data, w.data, gy.data, (size_t)batch, (size_t)in, (size_t)out, gx.data, gw.data, gb.data);
    expect_tensor(&gx, name, "gx", 1e-5, 1e-6);
    expect_tensor(&gw, name, "gw", 1e-5, 1e-6);
    expect_tensor(&gb, name, "gb", 1e-5, 1e-6);
    /* dw and db accumulate: a second call doubles them */
    linear_backward(x.data, w.data, gy.data, (size_t)batch, (size_t)in, (size_t)out, NULL, gw.data, gb.data);
    for (size_t i = 0; i < tensor_count(&gw); i++)
        gw.data[i] /= 2;
    for (size_t i = 0; i < tensor_count(&gb); i++)
        gb.data[i] /= 2;
    expect_tensor(&gw, name, "gw", 1e-5, 1e-6);
    expect_tensor(&gb, name, "gb", 1e-5, 1e-6);
    free(row);
    tensor_free(&x), tensor_free(&w), tensor_free(&b), tensor_free(&gy), tensor_free(&y);
    tensor_free(&gx), tensor_free(&gw), tensor_free(&gb);
}

Test(layer_grad, linear_matches_pytorch)
{
    cr_expect_geq(for_each_case("linear", run_linear_case), 3);
}

/* ---- BatchNorm2d against PyTorch ---- */

static void run_bn_case(const char *line)
{
    char name[64];
    int training, affine, track, batch, channels, plane;
    float eps, momentum;
    cr_assert_eq(sscanf(line, "bn %63s %d %d %d %d %d %d %f %f", name, &training, &affine, &track, &batch,
                        &channels, &plane, &eps, &momentum),
                 9, "bad line: %s", line);
    const size_t n = (size_t)batch * (size_t)channels * (size_t)plane, c = (size_t)channels;
    Tensor x = load(name, "x"), gy = load(name, "gy");
    Tensor w = {0}, b = {0}, rm = {0}, rv = {0};
    Tensor y = zeros(1, 1, n), gx = zeros(1, 1, n), gw = zeros(1, 1, c), gb = zeros(1, 1, c);
    Tensor mean = zeros(1, 1, c), invstd = zeros(1, 1, c);
    if (affine)
        w = load(name, "w"), b = load(name, "b");
    if (track)
        rm = load(name, "rm0"), rv = load(name, "rv0");
    if (training) {
        norm_batch_train_forward(x.data, (size_t)batch, c, (size_t)plane, w.data, b.data, eps, momentum, rm.data,
                                 rv.data, y.data, mean.data, invstd.data);
        expect_tensor(&mean, name, "mean", 1e-6, 1e-6);
        expect_tensor(&invstd, name, "invstd", 1e-6, 0);
        if (track) {
            expect_tensor(&rm, name, "rm1", 1e-6, 1e-7);
            expect_tensor(&rv, name, "rv1", 1e-6, 1e-7);
        }
    } else {
        /* eval: the running statistics, as a fixed mean and invstd */
        for (size_t k = 0; k < c; k++) {
            mean.data[k] = rm.data[k];
            invstd.data[k] = (float)(1.0 / sqrt((double)rv.data[k] + eps));
        }
        for (int i = 0; i < batch; i++)
            norm_batch_forward(x.data + (size_t)i * c * (size_t)plane, c, (size_t)plane, rm.data, rv.data, w.data,
                               b.data, eps, y.data + (size_t)i * c * (size_t)plane);
    }
    expect_tensor(&y, name, "y", 1e-5, 1e-5);
    norm_batch_backward(x.data, gy.data, (size_t)batch, c, (size_t)plane, w.data, mean.data, invstd.data,
                        training, gx.data, affine ? gw.data : NULL, affine ? gb.data : NULL);
    expect_tensor(&gx, name, "gx", 1e-4, 1e-5);
    if (affine) {
        expect_tensor(&gw, name, "gw", 1e-5, 1e-5);
        expect_tensor(&gb, name, "gb", 1e-5, 1e-5);
    }
    tensor_free(&x), tensor_free(&gy), tensor_free(&w), tensor_free(&b), tensor_free(&rm), tensor_free(&rv);
    tensor_free(&y), tensor_free(&gx), tensor_free(&gw), tensor_free(&gb), tensor_free(&mean);
    tensor_free(&invstd);
}

Test(layer_grad, batchnorm_matches_pytorch)
{
    cr_expect_geq(for_each_case("bn", run_bn_case), 7);
}

/* ---- finite differences on random configurations ---- */

static int rand_int(Rng *rng, int lo, int hi)
{
    return lo + (int)(rng_next(rng) % (uint64_t)(hi - lo + 1));
}

/* sum(gy * pool(x)) in double. */
static double pool_objective(const Tensor *x, const PoolParams *p, const Tensor *gy)
{
    Tensor y;
    Error err = {0};
    double s = 0;
    cr_assert_eq(pool_forward(x, p, &y, &err), CS_OK, "%s", err.message);
    for (size_t i = 0; i < tensor_count(&y); i++)
        s += (double)gy->data[i] * y.data[i];
    tensor_free(&y);
    return s;
}

Test(layer_grad, pool_backward_matches_finite_differences)
{
    Rng rng;
    rng_seed(&rng, 111);
    for (int trial = 0; trial < 300; trial++) {
        PoolParams p = geom_pool_defaults(rand_int(&rng, 0, 1) ? POOL_AVG : POOL_MAX, rand_int(&rng, 1, 4),
                                          rand_int(&rng, 1, 4));
        p.stride_h = rand_int(&rng, 1, 3), p.stride_w = rand_int(&rng, 1, 3);
        p.pad_h = rand_int(&rng, 0, p.kernel_h / 2), p.pad_w = rand_int(&rng, 0, p.kernel_w / 2);
        if (p.mode == POOL_MAX)
            p.dilation_h = rand_int(&rng, 1, 2), p.dilation_w = rand_int(&rng, 1, 2);
        p.ceil_mode = rand_int(&rng, 0, 1), p.count_include_pad = rand_int(&rng, 0, 1);
        const size_t c = (size_t)rand_int(&rng, 1, 3), h = (size_t)rand_int(&rng, 4, 9),
                     w = (size_t)rand_int(&rng, 4, 9);
        size_t oh, ow;
        if (geom_pool_output(&p, h, w, &oh, &ow, NULL) != CS_OK)
            continue;
        Tensor x = zeros(c, h, w), gy = zeros(c, oh, ow), gx = {0};
        Error err = {0};
        /* distinct values a unit apart, so a nudge of 1/4 moves no maximum */
        for (size_t i = 0; i < tensor_count(&x); i++)
            x.data[i] = (float)i;
        for (size_t i = tensor_count(&x) - 1; i > 0; i--) {
            size_t j = (size_t)(rng_next(&rng) % (i + 1));
            float t = x.data[i];
            x.data[i] = x.data[j], x.data[j] = t;
        }
        for (size_t i = 0; i < tensor_count(&gy); i++)
            gy.data[i] = rng_range(&rng, -1.0f, 1.0f);
        cr_assert_eq(pool_backward(&x, &p, &gy, &gx, &err), CS_OK, "%s", err.message);
        for (size_t i = 0; i < tensor_count(&x); i++) {
            const float keep = x.data[i], e = 0.25f;
            x.data[i] = keep + e;
            double up = pool_objective(&x, &p, &gy);
            x.data[i] = keep - e;
            double down = pool_objective(&x, &p, &gy);
            x.data[i] = keep;
            double fd = (up - down) / (2 * e);
            cr_expect(fabs(fd - gx.data[i]) <= 1e-3, "trial %d (%s k%dx%d s%dx%d p%dx%d d%dx%d ceil %d cip %d) "
                      "cell %zu: backward %g, finite difference %g", trial, p.mode == POOL_MAX ? "max" : "avg",
                      p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.dilation_h,
                      p.dilation_w, p.ceil_mode, p.count_include_pad, i, (double)gx.data[i], fd);
        }
        tensor_free(&x), tensor_free(&gy), tensor_free(&gx);
    }
}

Test(layer_grad, activation_backward_matches_finite_differences)
{
    Rng rng;
    rng_seed(&rng, 112);
    for (int k = ACT_NONE; k <= ACT_HARDSWISH; k++) {
        Activation act = {(ActKind)k, k == ACT_ELU ? 0.7f : 0.05f};
        for (int trial = 0; trial < 400; trial++) {
            float x = rng_range(&rng, -8.0f, 8.0f), dx;
            const float one = 1.0f, e = 1e-2f;
            /* keep away from the kinks (0, 6, +-3), where a difference straddles them */
            if (fabsf(x) < 0.05f || fabsf(x - 6.0f) < 0.05f || fabsf(fabsf(x) - 3.0f) < 0.05f)
                continue;
            act_backward(act, &x, &one, 1, &dx);
            double fd = ((double)act_apply(act, x + e) - act_apply(act, x - e)) / (2.0 * e);
            cr_expect(fabs(fd - dx) <= 2e-3 * (1 + fabs(fd)), "%s'(%g) is %g, finite difference %g",
                      act_name(act.kind), (double)x, (double)dx, fd);
        }
    }
}

Test(layer_grad, softmax_and_loss_match_finite_differences)
{
    Rng rng;
    rng_seed(&rng, 113);
    for (int trial = 0; trial < 50; trial++) {
        const size_t outer = (size_t)rand_int(&rng, 1, 3), n = (size_t)rand_int(&rng, 2, 6),
                     inner = (size_t)rand_int(&rng, 1, 3), count = outer * n * inner;
        const bool take_log = trial % 2;
        float *x = vec(count), *y = vec(count), *gy = vec(count), *dx = vec(count);
        for (size_t i = 0; i < count; i++)
            x[i] = rng_range(&rng, -3, 3), gy[i] = rng_range(&rng, -1, 1);
        memcpy(y, x, count * sizeof *x);
        act_softmax(y, outer, n, inner, take_log);
        act_softmax_backward(y, gy, outer, n, inner, take_log, dx);
        for (size_t i = 0; i < count; i++) {
            double s[2];
            for (int side = 0; side < 2; side++) {
                memcpy(y, x, count * sizeof *x);
                y[i] += side ? -1e-2f : 1e-2f;
                act_softmax(y, outer, n, inner, take_log);
                s[side] = 0;
                for (size_t j = 0; j < count; j++)
                    s[side] += (double)gy[j] * y[j];
            }
            double fd = (s[0] - s[1]) / 2e-2;
            cr_expect(fabs(fd - dx[i]) <= 2e-3 * (1 + fabs(fd)), "%s trial %d: dx[%zu] %g, finite difference %g",
                      take_log ? "log_softmax" : "softmax", trial, i, (double)dx[i], fd);
        }
        /* the loss: rows of n logits, labels below n */
        uint8_t labels[9];
        const size_t rows = outer * inner;
        for (size_t r = 0; r < rows; r++)
            labels[r] = (uint8_t)rand_int(&rng, 0, (int)n - 1);
        loss_cross_entropy(x, rows, n, labels, dx, NULL);
        for (size_t i = 0; i < rows * n; i++) {
            const float keep = x[i];
            x[i] = keep + 1e-2f;
            double up = loss_cross_entropy(x, rows, n, labels, NULL, NULL);
            x[i] = keep - 1e-2f;
            double down = loss_cross_entropy(x, rows, n, labels, NULL, NULL);
            x[i] = keep;
            double fd = (up - down) / 2e-2;
            cr_expect(fabs(fd - dx[i]) <= 1e-4 + 1e-3 * fabs(fd), "loss trial %d: grad[%zu] %g, finite difference %g",
                      trial, i, (double)dx[i], fd);
        }
        free(x), free(y), free(gy), free(dx);
    }
}

/* sum(gy * bn_train(x)) in double. */
static double bn_objective(const float *x, size_t batch, size_t c, size_t plane, const float *w, const float *b,
                           const float *gy)
{
    const size_t n = batch * c * plane;
    float *y = vec(n), *mean = vec(c), *invstd = vec(c);
    double s = 0;
    norm_batch_train_forward(x, batch, c, plane, w, b, 1e-5f, 0.1f, NULL, NULL, y, mean, invstd);
    for (size_t i = 0; i < n; i++)
        s += (double)gy[i] * y[i];
    free(y), free(mean), free(invstd);
    return s;
}

Test(layer_grad, batchnorm_matches_finite_differences)
{
    Rng rng;
    rng_seed(&rng, 114);
    for (int trial = 0; trial < 20; trial++) {
        const size_t batch = (size_t)rand_int(&rng, 1, 4), c = (size_t)rand_int(&rng, 1, 3),
                     plane = (size_t)rand_int(&rng, 2, 9), n = batch * c * plane;
        const bool affine = trial % 2;
        float *x = vec(n), *gy = vec(n), *dx = vec(n), *y = vec(n), *w = vec(c), *b = vec(c);
        float *dw = vec(c), *db = vec(c), *mean = vec(c), *invstd = vec(c);
        for (size_t i = 0; i < n; i++)
            x[i] = rng_range(&rng, -2, 2), gy[i] = rng_range(&rng, -1, 1);
        for (size_t k = 0; k < c; k++)
            w[k] = rng_range(&rng, 0.5f, 1.5f), b[k] = rng_range(&rng, -1, 1);
        const float *wp = affine ? w : NULL, *bp = affine ? b : NULL;
        norm_batch_train_forward(x, batch, c, plane, wp, bp, 1e-5f, 0.1f, NULL, NULL, y, mean, invstd);
        norm_batch_backward(x, gy, batch, c, plane, wp, mean, invstd, true, dx, dw, db);
        const float e = 1e-2f;
        for (size_t i = 0; i < n; i++) {
            const float keep = x[i];
            x[i] = keep + e;
            double up = bn_objective(x, batch, c, plane, wp, bp, gy);
            x[i] = keep - e;
            double down = bn_objective(x, batch, c, plane, wp, bp, gy);
            x[i] = keep;
            double fd = (up - down) / (2 * e);
            cr_expect(fabs(fd - dx[i]) <= 5e-3 * (1 + fabs(fd)), "trial %d: dx[%zu] %g, finite difference %g",
                      trial, i, (double)dx[i], fd);
        }
        for (size_t k = 0; affine && k < c; k++) {
            float *param[2] = {w, b}, grad[2] = {dw[k], db[k]};
            for (int q = 0; q < 2; q++) {
                const float keep = param[q][k];
                param[q][k] = keep + e;
                double up = bn_objective(x, batch, c, plane, w, b, gy);
                param[q][k] = keep - e;
                double down = bn_objective(x, batch, c, plane, w, b, gy);
                param[q][k] = keep;
                double fd = (up - down) / (2 * e);
                cr_expect(fabs(fd - grad[q]) <= 5e-3 * (1 + fabs(fd)), "trial %d: d%s[%zu] %g, finite difference %g",
                          trial, q ? "bias" : "weight", k, (double)grad[q], fd);
            }
        }
        free(x), free(gy), free(dx), free(y), free(w), free(b), free(dw), free(db), free(mean), free(invstd);
    }
}

Test(layer_grad, linear_matches_finite_differences)
{
    Rng rng;
    rng_seed(&rng, 115);
    const size_t batch = 3, in = 11, out = 4;
    float x[3 * 11], w[4 * 11], bias[4], gy[3 * 4], y[3 * 4], dx[3 * 11], dw[4 * 11] = {0}, db[4] = {0};
    for (size_t i = 0; i < batch * in; i++)
        x[i] = rng_range(&rng, -1, 1);
    for (size_t i = 0; i < out * in; i++)
        w[i] = rng_range(&rng, -1, 1);
    for (size_t i = 0; i < out; i++)
        bias[i] = rng_range(&rng, -1, 1);
    for (size_t i = 0; i < batch * out; i++)
        gy[i] = rng_range(&rng, -1, 1);
    linear_backward(x, w, gy, batch, in, out, dx, dw, db);
    float *params[3] = {x, w, bias}, *grads[3] = {dx, dw, db};
    const size_t counts[3] = {batch * in, out * in, out};
    for (int q = 0; q < 3; q++)
        for (size_t i = 0; i < counts[q]; i++) {
            double s[2];
            const float keep = params[q][i];
            for (int side = 0; side < 2; side++) {
                params[q][i] = keep + (side ? -0.5f : 0.5f);
                linear_forward_batch(x, batch, in, w, bias, out, y);
                s[side] = 0;
                for (size_t j = 0; j < batch * out; j++)
                    s[side] += (double)gy[j] * y[j];
            }
            params[q][i] = keep;
            double fd = s[0] - s[1];
            cr_expect(fabs(fd - grads[q][i]) <= 1e-5, "parameter set %d [%zu]: %g, finite difference %g", q, i,
                      (double)grads[q][i], fd);
        }
}

/* PyTorch's max-pool backward written plainly: for each output, scan its
 * window row by row from the first tap inside the input; the cell kept is
 * the last one that was larger than the best so far or NaN. */
static void ref_max_backward(const Tensor *x, const PoolParams *p, const Tensor *gy, float *gx)
{
    const long h = (long)x->h, w = (long)x->w;
    memset(gx, 0, tensor_count(x) * sizeof *gx);
    for (size_t c = 0; c < x->c; c++)
        for (long oy = 0; oy < (long)gy->h; oy++)
            for (long ox = 0; ox < (long)gy->w; ox++) {
                long best = -1;
                float m = -INFINITY;
                for (long ky = 0; ky < p->kernel_h; ky++)
                    for (long kx = 0; kx < p->kernel_w; kx++) {
                        const long iy = oy * p->stride_h - p->pad_h + ky * p->dilation_h;
                        const long ix = ox * p->stride_w - p->pad_w + kx * p->dilation_w;
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                            continue;
                        const float v = *tensor_at(x, 0, c, (size_t)iy, (size_t)ix);
                        if (best < 0)
                            best = iy * w + ix; /* PyTorch's start: the first cell inside */
                        if (v > m || isnan(v))
                            m = v, best = iy * w + ix;
                    }
                if (best >= 0)
                    gx[c * (size_t)(h * w) + (size_t)best] += *tensor_at(gy, 0, c, (size_t)oy, (size_t)ox);
            }
}

Test(layer_grad, max_pool_backward_matches_reference_with_ties_nan_and_inf)
{
    Rng rng;
    rng_seed(&rng, 119);
    for (int trial = 0; trial < 1000; trial++) {
        /* a third of the trials are 2x2 stride 2, the unrolled path */
        PoolParams p = geom_pool_defaults(POOL_MAX, 2, 2);
        if (trial % 3) {
            p = geom_pool_defaults(POOL_MAX, rand_int(&rng, 1, 4), rand_int(&rng, 1, 4));
            p.stride_h = rand_int(&rng, 1, 3), p.stride_w = rand_int(&rng, 1, 3);
            p.pad_h = rand_int(&rng, 0, p.kernel_h / 2), p.pad_w = rand_int(&rng, 0, p.kernel_w / 2);
            p.dilation_h = rand_int(&rng, 1, 2), p.dilation_w = rand_int(&rng, 1, 2);
            p.ceil_mode = rand_int(&rng, 0, 1);
        }
        const size_t c = (size_t)rand_int(&rng, 1, 3), h = (size_t)rand_int(&rng, 2, 9),
                     w = (size_t)rand_int(&rng, 2, 9);
        size_t oh, ow;
        if (geom_pool_output(&p, h, w, &oh, &ow, NULL) != CS_OK)
            continue;
        Tensor x = zeros(c, h, w), gy = zeros(c, oh, ow), gx = {0};
        float *want = vec(tensor_count(&x));
        static const float specials[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f};
        for (size_t i = 0; i < tensor_count(&x); i++) {
            const int r = rand_int(&rng, 0, 9);
            x.data[i] = r < 2 ? specials[rand_int(&rng, 0, 4)] : (float)rand_int(&rng, -2, 2);
        }
        for (size_t i = 0; i < tensor_count(&gy); i++)
            gy.data[i] = (float)rand_int(&rng, 1, 100);
        cr_assert_eq(pool_backward(&x, &p, &gy, &gx, NULL), CS_OK);
        ref_max_backward(&x, &p, &gy, want);
        for (size_t i = 0; i < tensor_count(&x); i++)
            cr_expect_eq(gx.data[i], want[i], "trial %d (k%dx%d s%dx%d p%dx%d d%dx%d ceil %d, %zux%zux%zu) cell %zu: "
                         "%g, reference %g", trial, p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.pad_h,
                         p.pad_w, p.dilation_h, p.dilation_w, p.ceil_mode, c, h, w, i, (double)gx.data[i],
                         (double)want[i]);
        free(want);
        tensor_free(&x), tensor_free(&gy), tensor_free(&gx);
    }
}

/* ---- properties ---- */

Test(layer_grad, tiling_pools_pass_the_whole_gradient_on)
{
    Rng rng;
    rng_seed(&rng, 116);
    for (int trial = 0; trial < 200; trial++) {
        /* windows that tile the input (stride = kernel, no padding, sizes
           multiples of the kernel): avg spreads each output's gradient over
           its window, max gives it to one cell; either way the sum is kept */
        const int kh = rand_int(&rng, 1, 4), kw = rand_int(&rng, 1, 4);
        PoolParams p = geom_pool_defaults(trial % 2 ? POOL_AVG : POOL_MAX, kh, kw);
        const size_t c = (size_t)rand_int(&rng, 1, 4), h = (size_t)(kh * rand_int(&rng, 1, 5)),
                     w = (size_t)(kw * rand_int(&rng, 1, 5));
        Tensor x = zeros(c, h, w), gy = zeros(c, h / (size_t)kh, w / (size_t)kw), gx = {0};
        double want = 0, got = 0;
        for (size_t i = 0; i < tensor_count(&x); i++)
            x.data[i] = (float)rand_int(&rng, 0, 3); /* ties too */
        for (size_t i = 0; i < tensor_count(&gy); i++)
            gy.data[i] = (float)rand_int(&rng, -8, 8), want += gy.data[i];
        cr_assert_eq(pool_backward(&x, &p, &gy, &gx, NULL), CS_OK);
        size_t nonzero = 0;
        for (size_t i = 0; i < tensor_count(&gx); i++)
            got += gx.data[i], nonzero += gx.data[i] != 0.0f;
        cr_expect(fabs(got - want) < 1e-4, "trial %d: %s k%dx%d passes %g of %g", trial,
                  p.mode == POOL_MAX ? "max" : "avg", kh, kw, got, want);
        if (p.mode == POOL_MAX)
            cr_expect_leq(nonzero, tensor_count(&gy), "max: one cell per window at most");
        tensor_free(&x), tensor_free(&gy), tensor_free(&gx);
    }
}

Test(layer_grad, max_pool_ties_go_to_the_first_maximum)
{
    /* 1x2x4, kernel 2: both windows are all 5s; their gradients go to the
       top-left cell of each */
    const float values[] = {5, 5, 5, 5, 5, 5, 5, 5};
    Tensor x = zeros(1, 2, 4), gy = zeros(1, 1, 2), gx = {0};
    memcpy(x.data, values, sizeof values);
    gy.data[0] = 3, gy.data[1] = 7;
    PoolParams p = geom_pool_defaults(POOL_MAX, 2, 2);
    cr_assert_eq(pool_backward(&x, &p, &gy, &gx, NULL), CS_OK);
    const float want[] = {3, 0, 7, 0, 0, 0, 0, 0};
    for (int i = 0; i < 8; i++)
        cr_expect_eq(gx.data[i], want[i], "cell %d: %g, expected %g", i, (double)gx.data[i], (double)want[i]);
    tensor_free(&x), tensor_free(&gy), tensor_free(&gx);
}

Test(layer_grad, pool_backward_refuses_wrong_shapes)
{
    Tensor x = zeros(2, 6, 6), gy = zeros(2, 4, 3), gx = {0}, wrong = zeros(2, 6, 5);
    Error err = {0};
    PoolParams p = geom_pool_defaults(POOL_MAX, 2, 2);
    cr_expect_eq(pool_backward(&x, &p, &gy, &gx, &err), CS_ERR_SHAPE);
    cr_expect(strstr(err.message, "2x4x3") && strstr(err.message, "2x3x3"), "names both shapes: %s", err.message);
    cr_expect_null(gx.data);
    tensor_free(&gy);
    gy = zeros(2, 3, 3);
    cr_expect_eq(pool_backward(&x, &p, &gy, &wrong, &err), CS_ERR_SHAPE);
    cr_expect(strstr(err.message, "2x6x5") && strstr(err.message, "2x6x6"), "names both shapes: %s", err.message);
    cr_expect_eq(pool_adaptive_backward(&x, POOL_AVG, &gy, &wrong, &err), CS_ERR_SHAPE);
    tensor_free(&gy);
    gy = zeros(3, 2, 2);
    cr_expect_eq(pool_adaptive_backward(&x, POOL_AVG, &gy, &gx, &err), CS_ERR_SHAPE, "channels must match");
    tensor_free(&x), tensor_free(&gy), tensor_free(&wrong);
}

Test(layer_grad, softmax_and_loss_gradients_sum_to_zero_per_row)
{
    Rng rng;
    rng_seed(&rng, 117);
    float z[5 * 7], y[5 * 7], gy[5 * 7], dx[5 * 7];
    uint8_t labels[5];
    for (int i = 0; i < 35; i++)
        z[i] = rng_range(&rng, -10, 10), gy[i] = rng_range(&rng, -1, 1);
    for (int r = 0; r < 5; r++)
        labels[r] = (uint8_t)rand_int(&rng, 0, 6);
    memcpy(y, z, sizeof z);
    act_softmax(y, 5, 7, 1, false);
    act_softmax_backward(y, gy, 5, 7, 1, false, dx);
    for (int r = 0; r < 5; r++) {
        double s = 0;
        for (int j = 0; j < 7; j++)
            s += dx[r * 7 + j];
        cr_expect(fabs(s) < 1e-6, "softmax row %d: gradient sums to %g", r, s);
    }
    loss_cross_entropy(z, 5, 7, labels, dx, NULL);
    for (int r = 0; r < 5; r++) {
        double s = 0;
        for (int j = 0; j < 7; j++)
            s += dx[r * 7 + j];
        cr_expect(fabs(s) < 1e-7, "loss row %d: gradient sums to %g", r, s);
        cr_expect_lt(dx[r * 7 + labels[r]], 0.0f, "the label's logit is pushed up");
    }
}

Test(layer_grad, batchnorm_training_gradient_is_orthogonal_to_one_and_xhat)
{
    /* y's batch mean and variance are fixed by construction, so dx has no
       component along 1 or xhat within a channel */
    Rng rng;
    rng_seed(&rng, 118);
    const size_t batch = 4, c = 3, plane = 10, n = batch * c * plane;
    float *x = vec(n), *gy = vec(n), *y = vec(n), *dx = vec(n), mean[3], invstd[3];
    for (size_t i = 0; i < n; i++)
        x[i] = rng_range(&rng, -5, 5), gy[i] = rng_range(&rng, -1, 1);
    norm_batch_train_forward(x, batch, c, plane, NULL, NULL, 1e-5f, 0.1f, NULL, NULL, y, mean, invstd);
    norm_batch_backward(x, gy, batch, c, plane, NULL, mean, invstd, true, dx, NULL, NULL);
    for (size_t k = 0; k < c; k++) {
        double s = 0, sx = 0;
        for (size_t b = 0; b < batch; b++)
            for (size_t i = 0; i < plane; i++) {
                const size_t at = (b * c + k) * plane + i;
                s += dx[at];
                sx += dx[at] * y[at];
            }
        cr_expect(fabs(s) < 1e-5 && fabs(sx) < 1e-5, "channel %zu: sum %g, sum with xhat %g", k, s, sx);
    }
    free(x), free(gy), free(y), free(dx);
}

/* ---- dropout ---- */

Test(layer_grad, dropout_masks)
{
    enum { COUNT = 40000, PLANE = 25 };
    float *mask = vec(COUNT);
    Rng rng, again;
    rng_seed(&rng, 5);
    dropout_mask(&rng, 0.0f, COUNT, 1, mask);
    for (size_t i = 0; i < COUNT; i++)
        cr_assert_eq(mask[i], 1.0f, "p = 0 keeps everything");
    dropout_mask(&rng, 1.0f, COUNT, 1, mask);
    for (size_t i = 0; i < COUNT; i++)
        cr_assert_eq(mask[i], 0.0f, "p = 1 drops everything, as PyTorch");
    const float ps[] = {0.1f, 0.5f, 0.75f};
    for (size_t k = 0; k < 3; k++)
        for (size_t plane = 1; plane <= PLANE; plane += PLANE - 1) {
            const float p = ps[k], keep = 1.0f / (1.0f - p);
            double kept = 0;
            rng_seed(&rng, 7 + k);
            dropout_mask(&rng, p, COUNT, plane, mask);
            for (size_t i = 0; i < COUNT; i++) {
                cr_assert(mask[i] == 0.0f || mask[i] == keep, "p %g: value %g", (double)p, (double)mask[i]);
                cr_assert_eq(mask[i], mask[i - i % plane], "one draw per plane of %zu", plane);
                kept += mask[i] != 0.0f;
            }
            const double draws = COUNT / (double)plane, rate = kept / COUNT;
            /* within 5 standard deviations of 1 - p */
            cr_expect(fabs(rate - (1 - p)) < 5 * sqrt(p * (1 - p) / draws), "p %g plane %zu: kept %g", (double)p,
                      plane, rate);
            float *second = vec(COUNT);
            rng_seed(&again, 7 + k);
            dropout_mask(&again, p, COUNT, plane, second);
            cr_expect(memcmp(mask, second, COUNT * sizeof *mask) == 0, "the same seed gives the same mask");
            free(second);
        }
    free(mask);
}
