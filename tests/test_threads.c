/* test_threads.c: the worker pool (threads.h) and the layers split over it.
 *
 * The pool: every task runs exactly once, on a thread numbered below the
 * pool's count; NULL, one thread and a run started from inside a run all
 * fall back to the caller's thread.
 *
 * Differential, bit for bit: conv_forward_threads, pool_forward_threads and
 * net_forward_threads with pools of 2 and 3 threads (3 on a 2-core machine:
 * more threads than cores, so tasks land on threads in changing orders)
 * against the one-thread call, over random layers large enough to be split
 * (direct kernel, Winograd in chunks and in steps, groups, 1x1), on every
 * instruction-set path; and each test checks that the pool really ran
 * (threads_split_runs), so a threshold that kept everything on one thread
 * would fail it rather than pass it vacuously. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "conv.h"
#include "net.h"
#include "pool.h"
#include "rng.h"
#include "spec.h"
#include "support_isa.h"
#include "threads.h"

/* ---- the pool ---- */

typedef struct Counts {
    atomic_int hits[1000];
    atomic_int bad_worker;
    size_t workers;
} Counts;

static void count_task(void *ctx, size_t task, size_t worker)
{
    Counts *c = ctx;
    atomic_fetch_add(&c->hits[task], 1);
    if (worker >= c->workers)
        atomic_fetch_add(&c->bad_worker, 1);
}

Test(threads, every_task_runs_once_on_a_numbered_thread)
{
    static Counts c;
    Threads *pool;
    Error err = {0};
    cr_assert_eq(threads_create(3, &pool, &err), CS_OK, "%s", err.message);
    cr_assert_eq(threads_count(pool), 3);
    for (size_t tasks = 0; tasks <= 1000; tasks += 37) {
        memset(&c, 0, sizeof c);
        c.workers = 3;
        threads_run(pool, tasks, count_task, &c);
        for (size_t t = 0; t < 1000; t++)
            cr_assert_eq(atomic_load(&c.hits[t]), t < tasks ? 1 : 0, "%zu tasks: task %zu ran %d times", tasks,
                         t, atomic_load(&c.hits[t]));
        cr_assert_eq(atomic_load(&c.bad_worker), 0);
    }
    cr_expect_gt(threads_split_runs(pool), 0);
    threads_free(pool);
}

Test(threads, default_size_is_the_cpus_online)
{
    Threads *pool;
    Error err = {0};
    cr_assert_eq(threads_create(0, &pool, &err), CS_OK, "%s", err.message);
    cr_expect_eq(threads_count(pool), threads_online());
    cr_expect_geq(threads_online(), 1);
    threads_free(pool);
    cr_expect_eq(threads_count(NULL), 1);
    threads_free(NULL);
}

/* A task that runs the pool again: the inner run falls back to the
 * caller's thread instead of waiting for the outer one. */
typedef struct Nested {
    Threads *pool;
    atomic_int inner;
} Nested;

static void inner_task(void *ctx, size_t task, size_t worker)
{
    Nested *n = ctx;
    (void)task;
    cr_assert_eq(worker, 0, "a nested run is the caller's alone");
    atomic_fetch_add(&n->inner, 1);
}

static void outer_task(void *ctx, size_t task, size_t worker)
{
    Nested *n = ctx;
    (void)task;
    (void)worker;
    threads_run(n->pool, 5, inner_task, n);
}

Test(threads, a_run_inside_a_run_stays_on_its_thread)
{
    Nested n = {0};
    Error err = {0};
    cr_assert_eq(threads_create(2, &n.pool, &err), CS_OK, "%s", err.message);
    threads_run(n.pool, 8, outer_task, &n);
    cr_expect_eq(atomic_load(&n.inner), 40);
    threads_free(n.pool);
}

/* ---- layers, bit for bit ---- */

static Tensor random_tensor(Rng *rng, size_t n, size_t c, size_t h, size_t w)
{
    Tensor t;
    Error err = {0};
    cr_assert_eq(tensor_init(&t, n, c, h, w, 4, &err), CS_OK, "%s", err.message);
    for (size_t i = 0; i < tensor_count(&t); i++)
        t.data[i] = rng_range(rng, -1.0f, 1.0f);
    return t;
}

static int rand_int(Rng *rng, int lo, int hi)
{
    return lo + (int)(rng_next(rng) % (uint64_t)(hi - lo + 1));
}

static void expect_same_bits(const Tensor *got, const Tensor *want, const char *what)
{
    cr_assert(got->n == want->n && got->c == want->c && got->h == want->h && got->w == want->w &&
                  got->rank == want->rank,
              "%s: the shapes differ", what);
    for (size_t i = 0; i < tensor_count(want); i++)
        cr_assert(memcmp(&got->data[i], &want->data[i], sizeof(float)) == 0,
                  "%s: element %zu is %.9g with threads, %.9g on one", what, i, (double)got->data[i],
                  (double)want->data[i]);
}

/* A random regular convolution of at least a few million multiply-adds,
 * of one of five kinds. */
static void random_big_conv(Rng *rng, int kind, Tensor *in, Tensor *w, Tensor *b, ConvParams *p)
{
    size_t c, f, k, h, wd;
    *p = geom_conv_defaults();
    switch (kind) {
    case 0: /* direct, any geometry */
        c = (size_t)rand_int(rng, 3, 20);
        f = (size_t)rand_int(rng, 8, 40);
        k = (size_t)rand_int(rng, 2, 5);
        h = (size_t)rand_int(rng, 24, 90);
        wd = (size_t)rand_int(rng, 24, 130);
        p->stride_h = rand_int(rng, 1, 2);
        p->stride_w = rand_int(rng, 1, 3);
        p->dilation_h = rand_int(rng, 1, 2);
        p->dilation_w = rand_int(rng, 1, 2);
        p->padding.h = rand_int(rng, 0, 2);
        p->padding.w = rand_int(rng, 0, 2);
        p->pad_mode = (PadMode)rand_int(rng, 0, 3);
        break;
    case 1: /* Winograd, many chunks */
        c = (size_t)rand_int(rng, 24, 40);
        f = (size_t)rand_int(rng, 24, 40);
        k = 3;
        h = (size_t)rand_int(rng, 40, 70);
        wd = (size_t)rand_int(rng, 40, 70);
        p->padding.h = p->padding.w = rand_int(rng, 0, 1);
        break;
    case 2: /* Winograd, one or two chunks: split in steps */
        c = (size_t)rand_int(rng, 64, 160);
        f = (size_t)rand_int(rng, 24, 100);
        k = 3;
        h = wd = (size_t)rand_int(rng, 9, 16);
        p->padding.h = p->padding.w = 1;
        break;
    case 3: /* groups, depthwise included */
        p->groups = rand_int(rng, 2, 32);
        c = (size_t)p->groups * (size_t)rand_int(rng, 1, 2);
        f = (size_t)p->groups * (size_t)rand_int(rng, 1, 3);
        k = 3;
        h = (size_t)rand_int(rng, 60, 120);
        wd = (size_t)rand_int(rng, 60, 120);
        p->padding.h = p->padding.w = 1;
        break;
    default: /* 1x1, read as it is */
        c = (size_t)rand_int(rng, 32, 64);
        f = (size_t)rand_int(rng, 64, 128);
        k = 1;
        h = wd = (size_t)rand_int(rng, 40, 60);
        break;
    }
    *in = random_tensor(rng, 1, c, h, wd);
    *w = random_tensor(rng, f, c / (size_t)p->groups, k, k);
    *b = random_tensor(rng, 1, 1, 1, f);
}

Test(threads, conv_is_bit_identical_on_every_path)
{
    CpuIsa isas[ISA_COUNT];
    size_t n_isas = isa_paths(isas);
    Threads *pools[2];
    Error err = {0};
    cr_assert_eq(threads_create(2, &pools[0], &err), CS_OK, "%s", err.message);
    cr_assert_eq(threads_create(3, &pools[1], &err), CS_OK, "%s", err.message);
    for (size_t k = 0; k < n_isas; k++) {
        Rng rng;
        isa_use(isas[k]);
        rng_seed(&rng, 20251207);
        int split = 0;
        for (int i = 0; i < 25; i++) {
            Tensor in, w, b, want;
            double macs;
            ConvParams p;
            random_big_conv(&rng, i % 5, &in, &w, &b, &p);
            Status st = conv_forward(&in, &w, i % 3 ? &b : NULL, &p, &want, &err);
            cr_assert_eq(st, CS_OK, "%s, config %d: %s", isa_name(isas[k]), i, err.message);
            macs = (double)(w.n * w.c * w.h * w.w) * (double)(want.h * want.w);
            for (int q = 0; q < 2; q++) {
                Tensor got;
                char what[96];
                size_t before = threads_split_runs(pools[q]);
                snprintf(what, sizeof what, "%s, config %d (kind %d, %zu->%zu, %zux%zu), %zu threads",
                         isa_name(isas[k]), i, i % 5, in.c, w.n, in.h, in.w, threads_count(pools[q]));
                cr_assert_eq(conv_forward_threads(&in, &w, i % 3 ? &b : NULL, &p, pools[q], &got, &err), CS_OK,
                             "%s: %s", what, err.message);
                /* conv.h: layers of 4 million multiply-adds or more are split */
                if (macs >= 4.2e6)
                    cr_assert_gt(threads_split_runs(pools[q]), before, "%s: the layer was not split", what);
                split += threads_split_runs(pools[q]) > before;
                expect_same_bits(&got, &want, what);
                tensor_free(&got);
            }
            tensor_free(&want);
            tensor_free(&in);
            tensor_free(&w);
            tensor_free(&b);
        }
        cr_expect_geq(split, 40, "%s: only %d of 50 runs were split", isa_name(isas[k]), split);
    }
    threads_free(pools[0]);
    threads_free(pools[1]);
}

Test(threads, pool_is_bit_identical_on_every_path)
{
    CpuIsa isas[ISA_COUNT];
    size_t n_isas = isa_paths(isas);
    Threads *pool;
    Error err = {0};
    cr_assert_eq(threads_create(3, &pool, &err), CS_OK, "%s", err.message);
    for (size_t k = 0; k < n_isas; k++) {
        Rng rng;
        isa_use(isas[k]);
        rng_seed(&rng, 7);
        for (int i = 0; i < 8; i++) {
            Tensor in = random_tensor(&rng, 1, (size_t)rand_int(&rng, 48, 96), (size_t)rand_int(&rng, 100, 130),
                                      (size_t)rand_int(&rng, 100, 130));
            const int kk = rand_int(&rng, 2, 3);
            PoolParams p = geom_pool_defaults(i % 2 ? POOL_AVG : POOL_MAX, kk, kk);
            Tensor got, want;
            size_t before = threads_split_runs(pool);
            p.stride_h = p.stride_w = rand_int(&rng, 1, 2);
            p.pad_h = p.pad_w = rand_int(&rng, 0, 1);
            cr_assert_eq(pool_forward(&in, &p, &want, &err), CS_OK, "%s", err.message);
            cr_assert_eq(pool_forward_threads(&in, &p, pool, &got, &err), CS_OK, "%s", err.message);
            cr_assert_gt(threads_split_runs(pool), before, "pool %d was not split", i);
            expect_same_bits(&got, &want, isa_name(isas[k]));
            tensor_free(&got);
            tensor_free(&want);
            tensor_free(&in);
        }
    }
    threads_free(pool);
}

/* A small VGG-like network with every layer kind net.c splits (conv
 * direct and Winograd, pools, ReLU, Flatten, Linear) and some it does
 * not: every layer's output the same bits as net_forward's. */
Test(threads, net_forward_is_bit_identical_on_every_path)
{
    static const char *spec_text =
        "Conv2d(3, 32, 3, padding=1), ReLU(), Conv2d(32, 32, 3, padding=1), ReLU(), MaxPool2d(2),\n"
        "Conv2d(32, 64, 3, padding=1), BatchNorm2d(64), ReLU(), MaxPool2d(2),\n"
        "Conv2d(64, 128, 3, padding=1), ReLU(), Conv2d(128, 128, 1), ReLU(), AvgPool2d(2),\n"
        "Conv2d(128, 128, 3, padding=1, groups=128), ConvTranspose2d(128, 16, 2, stride=2),\n"
        "AdaptiveAvgPool2d((6, 6)), Flatten(), Linear(576, 2048), ReLU(), Dropout(0.5), Linear(2048, 10),\n"
        "Softmax(dim=1)";
    CpuIsa isas[ISA_COUNT];
    size_t n_isas = isa_paths(isas);
    LayerStack stack;
    Net one, many;
    Threads *pool;
    Tensor image;
    Rng rng;
    Error err = {0};
    cr_assert_eq(spec_parse(spec_text, &stack, &err), CS_OK, "%s", err.message);
    cr_assert_eq(net_build(&stack, 3, 96, 96, &one, &err), CS_OK, "%s", err.message);
    cr_assert_eq(net_build(&stack, 3, 96, 96, &many, &err), CS_OK, "%s", err.message);
    net_init_default(&one, 5);
    net_init_default(&many, 5);
    rng_seed(&rng, 11);
    image = random_tensor(&rng, 1, 3, 96, 96);
    cr_assert_eq(threads_create(2, &pool, &err), CS_OK, "%s", err.message);
    for (size_t k = 0; k < n_isas; k++) {
        size_t before = threads_split_runs(pool);
        isa_use(isas[k]);
        cr_assert_eq(net_forward(&one, &image, &err), CS_OK, "%s", err.message);
        cr_assert_eq(net_forward_threads(&many, &image, pool, &err), CS_OK, "%s", err.message);
        cr_assert_gt(threads_split_runs(pool), before + 3, "the network was hardly split");
        for (size_t i = 0; i < one.count; i++) {
            char what[192];
            snprintf(what, sizeof what, "%s, layer %zu (%s)", isa_name(isas[k]), i + 1, one.layers[i].spec.name);
            expect_same_bits(&many.layers[i].out, &one.layers[i].out, what);
        }
    }
    threads_free(pool);
    tensor_free(&image);
    net_free(&one);
    net_free(&many);
    spec_free(&stack);
}
