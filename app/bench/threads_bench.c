/* threads_bench.c: the worker pool's figures (bench.h's *_threads_* rows):
 * a layer or VGG-16's pass on a pool of every CPU online against one
 * thread.
 *
 * These rows time the wall clock (the CPU clock would add up every
 * thread's time), so on a shared machine they are noisier than the
 * one-thread rows: the speed-up rows alternate one-thread and pool runs so
 * that both see the same load, and take the ratio of their medians. */
#include <stdint.h>

#include "bench.h"
#include "conv.h"
#include "net.h"
#include "rng.h"
#include "threads.h"

enum { THREADS_BENCH_MAX_RUNS = 31 };

/* What one timed run does: a layer or a network. */
typedef struct Workload {
    Tensor in, w, b;
    ConvParams p;
    Net net;
    bool is_net;
} Workload;

static void fill(Tensor *t, uint64_t seed, float lo, float hi)
{
    Rng rng;
    rng_seed(&rng, seed);
    for (size_t i = 0; i < tensor_count(t); i++)
        t->data[i] = rng_range(&rng, lo, hi);
}

/* A c x side x side input, f filters 3x3, padding 1. */
static Status workload_conv(Workload *wl, size_t c, size_t side, size_t f, Error *err)
{
    Status st;
    *wl = (Workload){0};
    if ((st = tensor_init(&wl->in, 1, c, side, side, 3, err)) != CS_OK ||
        (st = tensor_init(&wl->w, f, c, 3, 3, 4, err)) != CS_OK ||
        (st = tensor_init(&wl->b, 1, 1, 1, f, 1, err)) != CS_OK)
        return st;
    fill(&wl->in, 1, -1.0f, 1.0f);
    fill(&wl->w, 2, -0.2f, 0.2f);
    fill(&wl->b, 3, -1.0f, 1.0f);
    wl->p = geom_conv_defaults();
    wl->p.padding = (Padding){PAD_EXPLICIT, 1, 1};
    return CS_OK;
}

static Status workload_vgg16(Workload *wl, Error *err)
{
    *wl = (Workload){0};
    wl->is_net = true;
    return bench_vgg16_build(&wl->net, &wl->in, err);
}

static void workload_free(Workload *wl)
{
    tensor_free(&wl->in);
    tensor_free(&wl->w);
    tensor_free(&wl->b);
    net_free(&wl->net);
}

/* One run on pool (NULL: one thread), its wall time in *ms. */
static Status workload_run(Workload *wl, Threads *pool, double *ms, Error *err)
{
    Tensor out = {0};
    double start = bench_wall_ms();
    Status st = wl->is_net ? net_forward_threads(&wl->net, &wl->in, pool, err)
                           : conv_forward_threads(&wl->in, &wl->w, &wl->b, &wl->p, pool, &out, err);
    *ms = bench_wall_ms() - start;
    tensor_free(&out);
    return st;
}

/* Warms up, then `runs` timed runs on the pool, and with `alternate` a
 * one-thread run before each: *many and *one get the medians. */
static Status workload_time(Workload *wl, int runs, bool alternate, double *many, double *one, Error *err)
{
    double a[THREADS_BENCH_MAX_RUNS], b[THREADS_BENCH_MAX_RUNS], ignored;
    Threads *pool = NULL;
    Status st = threads_create(0, &pool, err);
    if (runs > THREADS_BENCH_MAX_RUNS)
        runs = THREADS_BENCH_MAX_RUNS;
    if (st == CS_OK)
        st = workload_run(wl, pool, &ignored, err);
    for (int r = 0; st == CS_OK && r < runs; r++) {
        if (alternate)
            st = workload_run(wl, NULL, &b[r], err);
        if (st == CS_OK)
            st = workload_run(wl, pool, &a[r], err);
    }
    if (st == CS_OK) {
        *many = bench_median(a, (size_t)runs);
        if (alternate)
            *one = bench_median(b, (size_t)runs);
    }
    threads_free(pool);
    workload_free(wl);
    return st;
}

static Status figure(int which, bool speedup, double *value, Error *err)
{
    static const int runs[] = {15, 31, 3};
    Workload wl;
    double many = 0, one = 0;
    Status st = which == 0   ? workload_conv(&wl, 3, 512, 16, err)
                : which == 1 ? workload_conv(&wl, 64, 56, 64, err)
                             : workload_vgg16(&wl, err);
    if (st != CS_OK) {
        workload_free(&wl);
        return st;
    }
    if ((st = workload_time(&wl, runs[which], speedup, &many, &one, err)) == CS_OK)
        *value = speedup ? one / many : many;
    return st;
}

Status bench_conv_threads_ms(double *value, Error *err) { return figure(0, false, value, err); }
Status bench_conv_threads_speedup(double *value, Error *err) { return figure(0, true, value, err); }
Status bench_shape_vgg_threads_ms(double *value, Error *err) { return figure(1, false, value, err); }
Status bench_shape_vgg_threads_speedup(double *value, Error *err) { return figure(1, true, value, err); }
Status bench_forward_vgg16_threads_ms(double *value, Error *err) { return figure(2, false, value, err); }
Status bench_forward_vgg16_threads_speedup(double *value, Error *err) { return figure(2, true, value, err); }
