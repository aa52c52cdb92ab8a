/* grad_bench.c: the backward passes the trainer's default network spends
 * time in besides its convolutions (issue 11), batch 64, one thread:
 *   Conv2d(1, 8, 3), ReLU(), MaxPool2d(2), Conv2d(8, 16, 3), ReLU(),
 *   MaxPool2d(2), Flatten(), Linear(400, 10)   on 1x28x28 images
 * grad_maxpool_ms: pool_backward of both pools (64*8 planes of 26x26 and
 *   64*16 of 11x11, the batch passed as channels);
 * grad_relu_ms: act_backward of both ReLUs (64*8*26*26 + 64*16*11*11);
 * grad_head_ms: linear_forward_batch, loss_cross_entropy and
 *   linear_backward (dx, dw, db) of the 64x400 -> 10 head.
 * A batch has 64/12,600 s = 5.1 ms in all to beat PyTorch's one-thread
 * training speed; these should be a small part of it. Each runs once to
 * warm up, then BENCH_GRAD_REPS times; the figure is the median on this
 * thread's CPU clock. */
#include <stdint.h>
#include <stdlib.h>

#include "act.h"
#include "bench.h"
#include "linear.h"
#include "loss.h"
#include "pool.h"
#include "rng.h"

enum { BENCH_GRAD_REPS = 51, BENCH_GRAD_BATCH = 64 };

static void grad_fill(float *v, size_t n, uint64_t seed, float lo, float hi)
{
    Rng rng;
    rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++)
        v[i] = rng_range(&rng, lo, hi);
}

/* ---- max pooling ---- */

typedef struct GradPool {
    Tensor x, gy, gx;
} GradPool;

static Status grad_pool_make(GradPool *g, size_t planes, size_t side, Error *err)
{
    Status st;
    *g = (GradPool){0};
    if ((st = tensor_init(&g->x, 1, planes, side, side, 3, err)) != CS_OK ||
        (st = tensor_init(&g->gy, 1, planes, side / 2, side / 2, 3, err)) != CS_OK)
        return st;
    grad_fill(g->x.data, tensor_count(&g->x), 1, -1.0f, 1.0f);
    grad_fill(g->gy.data, tensor_count(&g->gy), 2, -1.0f, 1.0f);
    return CS_OK;
}

static void grad_pool_free(GradPool *g)
{
    tensor_free(&g->x), tensor_free(&g->gy), tensor_free(&g->gx);
}

Status bench_grad_maxpool(double *value, Error *err)
{
    GradPool a, b;
    const PoolParams p = geom_pool_defaults(POOL_MAX, 2, 2);
    double ms[BENCH_GRAD_REPS];
    Status st;
    if ((st = grad_pool_make(&a, BENCH_GRAD_BATCH * 8, 26, err)) == CS_OK &&
        (st = grad_pool_make(&b, BENCH_GRAD_BATCH * 16, 11, err)) == CS_OK)
        for (int run = -1; run < BENCH_GRAD_REPS && st == CS_OK; run++) {
            double start = bench_cpu_ms();
            if ((st = pool_backward(&a.x, &p, &a.gy, &a.gx, err)) == CS_OK)
                st = pool_backward(&b.x, &p, &b.gy, &b.gx, err);
            if (run >= 0)
                ms[run] = bench_cpu_ms() - start;
        }
    if (st == CS_OK)
        *value = bench_median(ms, BENCH_GRAD_REPS);
    grad_pool_free(&a), grad_pool_free(&b);
    return st;
}

/* ---- ReLU ---- */

Status bench_grad_relu(double *value, Error *err)
{
    const size_t n1 = BENCH_GRAD_BATCH * 8 * 26 * 26, n2 = BENCH_GRAD_BATCH * 16 * 11 * 11;
    const Activation relu = {ACT_RELU, 0.0f};
    float *x = malloc((n1 + n2) * sizeof *x), *dy = malloc((n1 + n2) * sizeof *dy);
    double ms[BENCH_GRAD_REPS];
    if (!x || !dy) {
        free(x), free(dy);
        return error_set(err, CS_ERR_NOMEM, "cannot allocate the ReLU benchmark's %zu values", n1 + n2);
    }
    grad_fill(x, n1 + n2, 3, -1.0f, 1.0f);
    for (int run = -1; run < BENCH_GRAD_REPS; run++) {
        grad_fill(dy, n1 + n2, 4, -1.0f, 1.0f);
        double start = bench_cpu_ms();
        act_backward(relu, x, dy, n1, dy);
        act_backward(relu, x + n1, dy + n1, n2, dy + n1);
        if (run >= 0)
            ms[run] = bench_cpu_ms() - start;
    }
    *value = bench_median(ms, BENCH_GRAD_REPS);
    free(x), free(dy);
    return CS_OK;
}

/* ---- Linear(400, 10) and the loss ---- */

Status bench_grad_head(double *value, Error *err)
{
    enum { IN = 400, OUT = 10, B = BENCH_GRAD_BATCH };
    float *x = malloc(B * IN * sizeof *x), *w = malloc(OUT * IN * sizeof *w), *dx = malloc(B * IN * sizeof *dx);
    float *dw = calloc(OUT * IN, sizeof *dw), bias[OUT], db[OUT] = {0}, y[B * OUT], gy[B * OUT];
    uint8_t labels[B];
    double ms[BENCH_GRAD_REPS], sink = 0;
    if (!x || !w || !dx || !dw) {
        free(x), free(w), free(dx), free(dw);
        return error_set(err, CS_ERR_NOMEM, "cannot allocate the Linear benchmark");
    }
    grad_fill(x, B * IN, 5, 0.0f, 1.0f);
    grad_fill(w, OUT * IN, 6, -0.05f, 0.05f);
    grad_fill(bias, OUT, 7, -0.05f, 0.05f);
    for (int i = 0; i < B; i++)
        labels[i] = (uint8_t)(i % OUT);
    for (int run = -1; run < BENCH_GRAD_REPS; run++) {
        double start = bench_cpu_ms();
        linear_forward_batch(x, B, IN, w, bias, OUT, y);
        sink += loss_cross_entropy(y, B, OUT, labels, gy, NULL);
        linear_backward(x, w, gy, B, IN, OUT, dx, dw, db);
        if (run >= 0)
            ms[run] = bench_cpu_ms() - start;
    }
    *value = bench_median(ms, BENCH_GRAD_REPS);
    free(x), free(w), free(dx), free(dw);
    return sink == sink ? CS_OK : error_set(err, CS_ERR_RANGE, "the benchmark's loss is NaN");
}
