/* shapes_bench.c: the ten layer shapes of issue 12 (the layers real
 * networks are made of), timed through conv_forward and pool_forward on one
 * thread: the shape_*_ms rows of BENCH_FIGURES. bench/torch_shapes.py times
 * the same layers in PyTorch row for row, and bench/run.sh prints both
 * with their ratios and geometric mean.
 *
 * Each layer runs once to warm up, then `reps` times; the figure is the
 * median time on this thread's CPU clock (PyTorch's side uses the same
 * clock), so time spent waiting while other processes run on a busy
 * machine does not count; the short layers run more often. */
#include <stdint.h>

#include "bench.h"
#include "conv.h"
#include "pool.h"
#include "rng.h"

typedef enum ShapeKind { SHAPE_CONV, SHAPE_TRANSPOSED, SHAPE_MAX, SHAPE_AVG } ShapeKind;

/* One layer: input c x h x w; f filters (conv) of k x k; stride, padding,
 * dilation and groups as PyTorch's conv2d takes them. */
typedef struct Shape {
    ShapeKind kind;
    int c, h, w, f, k, stride, pad, dilation, groups, reps;
} Shape;

/* The rows, in the order of bench.h (and of bench/torch_shapes.py). */
enum { SHAPE_RGB512, SHAPE_RGB512_S2, SHAPE_VGG, SHAPE_POINTWISE, SHAPE_DEPTHWISE, SHAPE_DILATED,
       SHAPE_ALEXNET, SHAPE_TRANSPOSED_ROW, SHAPE_MAXPOOL, SHAPE_AVGPOOL };

static const Shape shapes[] = {
    [SHAPE_RGB512] = {SHAPE_CONV, 3, 512, 512, 16, 3, 1, 1, 1, 1, 15},
    [SHAPE_RGB512_S2] = {SHAPE_CONV, 3, 512, 512, 16, 3, 2, 1, 1, 1, 31},
    [SHAPE_VGG] = {SHAPE_CONV, 64, 56, 56, 64, 3, 1, 1, 1, 1, 31},
    [SHAPE_POINTWISE] = {SHAPE_CONV, 64, 56, 56, 256, 1, 1, 0, 1, 1, 15},
    [SHAPE_DEPTHWISE] = {SHAPE_CONV, 32, 112, 112, 32, 3, 1, 1, 1, 32, 31},
    [SHAPE_DILATED] = {SHAPE_CONV, 16, 128, 128, 16, 3, 1, 2, 2, 1, 31},
    [SHAPE_ALEXNET] = {SHAPE_CONV, 3, 224, 224, 64, 11, 4, 2, 1, 1, 31},
    [SHAPE_TRANSPOSED_ROW] = {SHAPE_TRANSPOSED, 16, 64, 64, 8, 4, 2, 1, 1, 1, 31},
    [SHAPE_MAXPOOL] = {SHAPE_MAX, 64, 112, 112, 0, 2, 2, 0, 1, 1, 31},
    [SHAPE_AVGPOOL] = {SHAPE_AVG, 64, 56, 56, 0, 3, 2, 0, 1, 1, 31},
};

static void shape_fill(Tensor *t, uint64_t seed, float lo, float hi)
{
    Rng rng;
    rng_seed(&rng, seed);
    for (size_t i = 0; i < tensor_count(t); i++)
        t->data[i] = rng_range(&rng, lo, hi);
}

/* Runs the layer once into *out. */
static Status shape_run(const Shape *s, const Tensor *in, const Tensor *w, const Tensor *b, Tensor *out,
                        Error *err)
{
    if (s->kind == SHAPE_MAX || s->kind == SHAPE_AVG) {
        PoolParams pp = geom_pool_defaults(s->kind == SHAPE_MAX ? POOL_MAX : POOL_AVG, s->k, s->k);
        pp.stride_h = pp.stride_w = s->stride;
        pp.pad_h = pp.pad_w = s->pad;
        return pool_forward(in, &pp, out, err);
    }
    ConvParams p = geom_conv_defaults();
    p.stride_h = p.stride_w = s->stride;
    p.padding = (Padding){PAD_EXPLICIT, s->pad, s->pad};
    p.dilation_h = p.dilation_w = s->dilation;
    p.groups = s->groups;
    p.transposed = s->kind == SHAPE_TRANSPOSED;
    return conv_forward(in, w, b, &p, out, err);
}

/* The median time of shape `which`, in ms. */
static Status shape_ms(int which, double *value, Error *err)
{
    const Shape *s = &shapes[which];
    Tensor in = {0}, w = {0}, b = {0}, out = {0};
    double ms[64];
    const int reps = s->reps < 64 ? s->reps : 64;
    Status st = tensor_init(&in, 1, (size_t)s->c, (size_t)s->h, (size_t)s->w, 3, err);
    if (st == CS_OK && s->f > 0) {
        /* conv: (f, c/groups, k, k); transposed: (c, f/groups, k, k) */
        size_t wn = s->kind == SHAPE_TRANSPOSED ? (size_t)s->c : (size_t)s->f;
        size_t wc = s->kind == SHAPE_TRANSPOSED ? (size_t)(s->f / s->groups) : (size_t)(s->c / s->groups);
        st = tensor_init(&w, wn, wc, (size_t)s->k, (size_t)s->k, 4, err);
        if (st == CS_OK)
            st = tensor_init(&b, 1, 1, 1, (size_t)s->f, 1, err);
    }
    if (st == CS_OK) {
        shape_fill(&in, 1, -1.0f, 1.0f);
        if (w.data) {
            shape_fill(&w, 2, -0.2f, 0.2f);
            shape_fill(&b, 3, -1.0f, 1.0f);
        }
    }
    for (int run = -1; st == CS_OK && run < reps; run++) {
        double start = bench_cpu_ms();
        st = shape_run(s, &in, w.data ? &w : NULL, b.data ? &b : NULL, &out, err);
        if (run >= 0)
            ms[run] = bench_cpu_ms() - start;
        tensor_free(&out);
    }
    if (st == CS_OK)
        *value = bench_median(ms, (size_t)reps);
    tensor_free(&in);
    tensor_free(&w);
    tensor_free(&b);
    return st;
}

Status bench_shape_rgb512(double *value, Error *err) { return shape_ms(SHAPE_RGB512, value, err); }
Status bench_shape_rgb512_s2(double *value, Error *err) { return shape_ms(SHAPE_RGB512_S2, value, err); }
Status bench_shape_vgg(double *value, Error *err) { return shape_ms(SHAPE_VGG, value, err); }
Status bench_shape_pointwise(double *value, Error *err) { return shape_ms(SHAPE_POINTWISE, value, err); }
Status bench_shape_depthwise(double *value, Error *err) { return shape_ms(SHAPE_DEPTHWISE, value, err); }
Status bench_shape_dilated(double *value, Error *err) { return shape_ms(SHAPE_DILATED, value, err); }
Status bench_shape_alexnet(double *value, Error *err) { return shape_ms(SHAPE_ALEXNET, value, err); }
Status bench_shape_transposed(double *value, Error *err) { return shape_ms(SHAPE_TRANSPOSED_ROW, value, err); }
Status bench_shape_maxpool(double *value, Error *err) { return shape_ms(SHAPE_MAXPOOL, value, err); }
Status bench_shape_avgpool(double *value, Error *err) { return shape_ms(SHAPE_AVGPOOL, value, err); }
