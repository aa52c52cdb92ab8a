/* train_bench.c: the two convolutions of `convstep train`'s default network
 * (Conv2d(1, 8, 3) on 1x28x28 images, Conv2d(8, 16, 3) on 8x13x13
 * activations), forward and backward of a batch of 64 as a training step
 * runs them: conv_forward_batch, then conv_backward for the weight and
 * bias gradients (and the input gradient for the second layer, whose
 * input is an activation), in chunks of TRAIN_BENCH_CHUNK images whose
 * gradients add up, outputs reused from step to step. One thread, median
 * on this thread's CPU clock: the train_conv*_ms rows of BENCH_FIGURES.
 * bench/torch_train_conv.py times the same in PyTorch. */
#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "conv_grad.h"
#include "rng.h"

#define TRAIN_BENCH_BATCH 64
#define TRAIN_BENCH_CHUNK 16
#define TRAIN_BENCH_REPS 51

static void train_bench_fill(Tensor *t, uint64_t seed, float lo, float hi)
{
    Rng rng;
    rng_seed(&rng, seed);
    for (size_t i = 0; i < tensor_count(t); i++)
        t->data[i] = rng_range(&rng, lo, hi);
}

/* One chunk's view of the n x ... tensor t: images [lo, lo + count). */
static Tensor train_bench_chunk(const Tensor *t, size_t lo, size_t count)
{
    const size_t image = t->c * t->h * t->w;
    return (Tensor){count, t->c, t->h, t->w, 4, t->data + lo * image};
}

/* The median ms of forward + backward of the layer c -> f (3x3) on a
 * batch of size x size inputs; input_grad: compute the input gradient. */
static Status train_bench_layer(size_t c, size_t f, size_t size, bool input_grad, double *value, Error *err)
{
    const size_t n = TRAIN_BENCH_BATCH, o = size - 2;
    const ConvParams p = geom_conv_defaults();
    Tensor x = {0}, w = {0}, b = {0}, g = {0}, y = {0}, dx = {0}, dw = {0}, db = {0};
    double ms[TRAIN_BENCH_REPS];
    Status st;
    if ((st = tensor_init(&x, n, c, size, size, 4, err)) != CS_OK ||
        (st = tensor_init(&w, f, c, 3, 3, 4, err)) != CS_OK || (st = tensor_init(&b, 1, 1, 1, f, 1, err)) != CS_OK ||
        (st = tensor_init(&g, n, f, o, o, 4, err)) != CS_OK || (st = tensor_init(&y, n, f, o, o, 4, err)) != CS_OK ||
        (st = tensor_init(&dx, n, c, size, size, 4, err)) != CS_OK ||
        (st = tensor_init(&dw, f, c, 3, 3, 4, err)) != CS_OK || (st = tensor_init(&db, 1, 1, 1, f, 1, err)) != CS_OK)
        goto done;
    train_bench_fill(&x, 1, 0.0f, 1.0f);
    train_bench_fill(&w, 2, -0.3f, 0.3f);
    train_bench_fill(&b, 3, -0.3f, 0.3f);
    train_bench_fill(&g, 4, -0.01f, 0.01f);
    for (int run = -3; st == CS_OK && run < TRAIN_BENCH_REPS; run++) {
        const double start = bench_cpu_ms();
        for (size_t lo = 0; st == CS_OK && lo < n; lo += TRAIN_BENCH_CHUNK) {
            Tensor xc = train_bench_chunk(&x, lo, TRAIN_BENCH_CHUNK), yc = train_bench_chunk(&y, lo, TRAIN_BENCH_CHUNK);
            st = conv_forward_batch(&xc, &w, &b, &p, &yc, err);
        }
        for (size_t lo = 0; st == CS_OK && lo < n; lo += TRAIN_BENCH_CHUNK) {
            Tensor xc = train_bench_chunk(&x, lo, TRAIN_BENCH_CHUNK), gc = train_bench_chunk(&g, lo, TRAIN_BENCH_CHUNK);
            Tensor dxc = train_bench_chunk(&dx, lo, TRAIN_BENCH_CHUNK);
            st = conv_backward(&xc, &w, &p, &gc, input_grad ? &dxc : NULL, &dw, &db, err);
        }
        if (run >= 0)
            ms[run] = bench_cpu_ms() - start;
    }
    if (st == CS_OK)
        *value = bench_median(ms, TRAIN_BENCH_REPS);
done:
    tensor_free(&x), tensor_free(&w), tensor_free(&b), tensor_free(&g);
    tensor_free(&y), tensor_free(&dx), tensor_free(&dw), tensor_free(&db);
    return st;
}

Status bench_train_conv1(double *value, Error *err)
{
    return train_bench_layer(1, 8, 28, false, value, err);
}

Status bench_train_conv2(double *value, Error *err)
{
    return train_bench_layer(8, 16, 13, true, value, err);
}
