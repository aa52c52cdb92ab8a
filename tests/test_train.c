/* test_train.c: the trainer (core/train.h).
 *
 * Differential: tests/fixtures/train/ holds what tests/gen_train_fixtures.py
 * computed with PyTorch 1.13: a network with BatchNorm2d, max and average
 * pooling, ReLU and Tanh, its initial weights, a batch of 12 images (two of
 * the trainer's chunks) and the weights and losses after three training
 * steps with SGD + momentum, SGD + weight decay and Adam. The trainer must
 * reproduce them within float rounding.
 *
 * Finite differences: the gradient of every parameter of a smooth network
 * (tanh, average pooling) against central differences of the loss.
 *
 * Properties: determinism (two runs, and one against two threads, give the
 * same bits), a NaN loss keeps the weights, the class check, the saved
 * safetensors' names and shapes, and a loss that falls. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataset.h"
#include "npy.h"
#include "rng.h"
#include "spec.h"
#include "stack.h"
#include "support_tmp.h"
#include "threads.h"
#include "train.h"
#include "weights.h"

#define FIXTURES "tests/fixtures/train/"

/* Kept in step with tests/gen_train_fixtures.py. */
static const char *const FIXTURE_LAYERS =
    "Conv2d(1, 4, 3, padding=1), ReLU(), BatchNorm2d(4), MaxPool2d(2), "
    "Conv2d(4, 6, 3), Tanh(), AvgPool2d(2), Flatten(), Linear(6, 10)";

static Trainer *make_trainer(const char *layers, size_t c, size_t h, size_t w, TrainOptions o)
{
    LayerStack stack = {0};
    Error err = {0};
    Trainer *t = NULL;
    cr_assert_eq(spec_parse(layers, &stack, &err), CS_OK, "%s", err.message);
    Status st = trainer_create(&stack, c, h, w, 10, &o, &t, &err);
    spec_free(&stack);
    cr_assert_eq(st, CS_OK, "%s", err.message);
    return t;
}

static void load_state(Trainer *t, const char *path)
{
    WeightsFile wf = {0};
    Error err = {0};
    cr_assert_eq(weights_read(path, &wf, &err), CS_OK, "%s", err.message);
    /* the trainer's net is its own; tests set its weights as a load would */
    cr_assert_eq(net_load_weights((Net *)trainer_net(t), &wf, &err), CS_OK, "%s", err.message);
    weights_free(&wf);
}

static void read_batch(const char *name, Tensor *images, uint8_t *labels)
{
    char path[256];
    Tensor l = {0};
    Error err = {0};
    snprintf(path, sizeof path, FIXTURES "%s-images.npy", name);
    cr_assert_eq(npy_read(path, images, &err), CS_OK, "%s", err.message);
    snprintf(path, sizeof path, FIXTURES "%s-labels.npy", name);
    cr_assert_eq(npy_read(path, &l, &err), CS_OK, "%s", err.message);
    for (size_t i = 0; i < tensor_count(&l); i++)
        labels[i] = (uint8_t)l.data[i];
    tensor_free(&l);
}

static void replay(const char *name, TrainOptions o)
{
    char path[256];
    Tensor images = {0}, losses = {0};
    uint8_t labels[12];
    Error err = {0};
    o.batch = 12;
    Trainer *t = make_trainer(FIXTURE_LAYERS, 1, 10, 10, o);
    snprintf(path, sizeof path, FIXTURES "%s-w0.npz", name);
    load_state(t, path);
    read_batch(name, &images, labels);
    snprintf(path, sizeof path, FIXTURES "%s-loss.npy", name);
    cr_assert_eq(npy_read(path, &losses, &err), CS_OK, "%s", err.message);
    for (size_t s = 0; s < 3; s++) {
        TrainStats st;
        cr_assert_eq(trainer_step(t, images.data, labels, 12, NULL, &st, &err), CS_OK, "%s", err.message);
        cr_expect(fabs(st.loss - losses.data[s]) < 1e-5 * (1 + fabs(losses.data[s])),
                  "%s step %zu: loss %.7f, PyTorch %.7f", name, s + 1, st.loss, (double)losses.data[s]);
    }
    WeightsFile want = {0};
    snprintf(path, sizeof path, FIXTURES "%s-w3.npz", name);
    cr_assert_eq(weights_read(path, &want, &err), CS_OK, "%s", err.message);
    const Net *net = trainer_net(t);
    for (size_t i = 0; i < net->n_params; i++) {
        const NetParam *p = &net->params[i];
        const NamedTensor *w = weights_find(&want, p->name);
        cr_assert_not_null(w, "%s missing from the fixture", p->name);
        double worst = 0.0, scale = 0.0;
        for (size_t j = 0; j < tensor_count(&p->t); j++) {
            worst = fmax(worst, fabs((double)p->t.data[j] - w->t.data[j]));
            scale = fmax(scale, fabs((double)w->t.data[j]));
        }
        cr_expect(worst <= 2e-5 * (1.0 + scale), "%s: %s differs from PyTorch's by %g (largest value %g)", name,
                  p->name, worst, scale);
    }
    weights_free(&want);
    tensor_free(&losses);
    tensor_free(&images);
    trainer_free(t);
}

Test(train, sgd_momentum_matches_pytorch)
{
    TrainOptions o = train_defaults();
    o.lr = 0.1f;
    replay("sgd", o);
}

Test(train, sgd_weight_decay_matches_pytorch)
{
    TrainOptions o = train_defaults();
    o.weight_decay = 0.01f;
    o.lr = 0.05f;
    replay("sgd-decay", o);
}

Test(train, adam_matches_pytorch)
{
    TrainOptions o = train_defaults();
    o.optimizer = OPTIM_ADAM;
    o.lr = 0.01f;
    o.momentum = 0.0f;
    replay("adam", o);
}

/* ---- finite differences ---- */

static void random_batch(uint64_t seed, float *images, size_t count, uint8_t *labels, size_t n)
{
    Rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < count; i++)
        images[i] = rng_uniform(&r);
    for (size_t i = 0; i < n; i++)
        labels[i] = (uint8_t)(rng_next(&r) % 10);
}

Test(train, gradients_match_finite_differences)
{
    /* smooth everywhere, so central differences are exact to O(h^2) */
    const char *layers = "Conv2d(2, 3, 3, stride=2, padding=1), Tanh(), Conv2d(3, 4, 2, dilation=2), Sigmoid(), "
                         "AvgPool2d(2), Flatten(), Linear(4, 10)";
    TrainOptions o = train_defaults();
    o.batch = 11;
    o.lr = 1e-30f;          /* the step's update vanishes below float resolution */
    o.momentum = 0.0f;
    Trainer *t = make_trainer(layers, 2, 9, 9, o);
    float images[11 * 2 * 9 * 9];
    uint8_t labels[11];
    TrainStats st;
    Error err = {0};
    random_batch(5, images, sizeof images / sizeof images[0], labels, 11);
    cr_assert_eq(trainer_step(t, images, labels, 11, NULL, &st, &err), CS_OK, "%s", err.message);
    const Net *net = trainer_net(t);
    for (size_t i = 0; i < net->n_params; i++) {
        const NetParam *p = &net->params[i];
        const float *g = trainer_grad(t, i);
        for (size_t j = 0; j < tensor_count(&p->t); j += 3) {
            const float keep = p->t.data[j], h = 1e-2f;
            TrainStats plus, minus;
            p->t.data[j] = keep + h;
            cr_assert_eq(trainer_evaluate(t, images, labels, 11, NULL, &plus, NULL, &err), CS_OK);
            p->t.data[j] = keep - h;
            cr_assert_eq(trainer_evaluate(t, images, labels, 11, NULL, &minus, NULL, &err), CS_OK);
            p->t.data[j] = keep;
            double fd = (plus.loss - minus.loss) / (2.0 * h);
            cr_expect(fabs(fd - g[j]) < 2e-3 + 2e-2 * fabs(fd), "%s[%zu]: gradient %g, finite difference %g",
                      p->name, j, (double)g[j], fd);
        }
    }
    trainer_free(t);
}

/* ---- properties ---- */

#define DEFAULT_NET \
    "Conv2d(1, 8, 3), ReLU(), MaxPool2d(2), Conv2d(8, 16, 3), ReLU(), MaxPool2d(2), Flatten(), Linear(400, 10)"

/* Trains the default network for `steps` batches of 64 random images. */
static Trainer *train_random(size_t steps, Threads *threads, uint64_t seed)
{
    TrainOptions o = train_defaults();
    o.seed = seed;
    Trainer *t = make_trainer(DEFAULT_NET, 1, 28, 28, o);
    float *images = malloc(64 * 28 * 28 * sizeof *images);
    uint8_t labels[64];
    Error err = {0};
    for (size_t s = 0; s < steps; s++) {
        TrainStats st;
        random_batch(100 + s, images, 64 * 28 * 28, labels, 64);
        cr_assert_eq(trainer_step(t, images, labels, s == steps - 1 ? 37 : 64, threads, &st, &err), CS_OK,
                     "%s", err.message);
    }
    free(images);
    return t;
}

static void expect_same_weights(const Trainer *a, const Trainer *b, const char *what)
{
    const Net *x = trainer_net(a), *y = trainer_net(b);
    for (size_t i = 0; i < x->n_params; i++)
        cr_expect(memcmp(x->params[i].t.data, y->params[i].t.data, tensor_count(&x->params[i].t) * sizeof(float)) == 0,
                  "%s: %s differs", what, x->params[i].name);
}

Test(train, deterministic_run_to_run_and_across_threads)
{
    Threads *pool = NULL;
    Error err = {0};
    cr_assert_eq(threads_create(2, &pool, &err), CS_OK);
    Trainer *a = train_random(4, NULL, 3), *b = train_random(4, NULL, 3), *c = train_random(4, pool, 3);
    Trainer *d = train_random(4, NULL, 4);
    expect_same_weights(a, b, "two runs");
    expect_same_weights(a, c, "one thread and two");
    cr_expect(memcmp(trainer_net(a)->params[0].t.data, trainer_net(d)->params[0].t.data, 72 * sizeof(float)) != 0,
              "another seed gives the same first kernels");
    trainer_free(a);
    trainer_free(b);
    trainer_free(c);
    trainer_free(d);
    threads_free(pool);
}

Test(train, nan_loss_keeps_the_weights)
{
    TrainOptions o = train_defaults();
    Trainer *t = make_trainer(DEFAULT_NET, 1, 28, 28, o);
    float *images = malloc(64 * 28 * 28 * sizeof *images);
    uint8_t labels[64];
    TrainStats st;
    Error err = {0};
    random_batch(9, images, 64 * 28 * 28, labels, 64);
    cr_assert_eq(trainer_step(t, images, labels, 64, NULL, &st, &err), CS_OK);
    const Net *net = trainer_net(t);
    float keep[72];
    memcpy(keep, net->params[0].t.data, sizeof keep);
    images[5] = NAN;
    cr_assert_eq(trainer_step(t, images, labels, 64, NULL, &st, &err), CS_ERR_RANGE);
    cr_expect(strstr(err.message, "NaN at step 2") && strstr(err.message, "kept the weights of step 1"), "%s",
              err.message);
    cr_expect(memcmp(keep, net->params[0].t.data, sizeof keep) == 0, "the weights changed");
    cr_expect_eq(trainer_steps(t), 1);
    free(images);
    trainer_free(t);
}

Test(train, refuses_a_network_without_ten_scores)
{
    LayerStack stack = {0};
    Error err = {0};
    Trainer *t = NULL;
    TrainOptions o = train_defaults();
    cr_assert_eq(spec_parse("Conv2d(1, 8, 3), ReLU(), Flatten(), Linear(5408, 7)", &stack, &err), CS_OK);
    cr_expect_eq(trainer_create(&stack, 1, 28, 28, 10, &o, &t, &err), CS_ERR_SHAPE);
    cr_expect(strstr(err.message, "ends in 7, not 10 class scores"), "%s", err.message);
    cr_expect_null(t);
    spec_free(&stack);
    cr_assert_eq(spec_parse("Conv2d(1, 8, 3)", &stack, &err), CS_OK);
    cr_expect_eq(trainer_create(&stack, 1, 28, 28, 10, &o, &t, &err), CS_ERR_SHAPE);
    cr_expect(strstr(err.message, "ends in 8x26x26"), "%s", err.message);
    spec_free(&stack);
}

Test(train, saves_state_dict_names_and_shapes, .init = tmp_dir_create, .fini = tmp_dir_remove)
{
    TrainOptions o = train_defaults();
    o.batch = 12;
    Trainer *t = make_trainer(FIXTURE_LAYERS, 1, 10, 10, o);
    float images[12 * 100];
    uint8_t labels[12];
    TrainStats st;
    Error err = {0};
    random_batch(1, images, 1200, labels, 12);
    for (int s = 0; s < 2; s++)
        cr_assert_eq(trainer_step(t, images, labels, 12, NULL, &st, &err), CS_OK);
    const char *path = tmp_path("model.safetensors");
    cr_assert_eq(trainer_save(t, path, false, &err), CS_OK, "%s", err.message);
    cr_expect_eq(trainer_save(t, path, false, &err), CS_ERR_IO, "an existing file was replaced");
    WeightsFile wf = {0};
    cr_assert_eq(weights_read(path, &wf, &err), CS_OK, "%s", err.message);
    static const struct {
        const char *name;
        size_t count;
    } want[] = {{"0.weight", 36}, {"0.bias", 4}, {"2.weight", 4}, {"2.bias", 4}, {"2.running_mean", 4},
                {"2.running_var", 4}, {"2.num_batches_tracked", 1}, {"4.weight", 216}, {"4.bias", 6},
                {"8.weight", 60}, {"8.bias", 10}};
    cr_expect_eq(wf.count, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const NamedTensor *n = weights_find(&wf, want[i].name);
        cr_assert_not_null(n, "%s missing", want[i].name);
        cr_expect_eq(tensor_count(&n->t), want[i].count, "%s", want[i].name);
    }
    cr_expect_eq(weights_find(&wf, "2.num_batches_tracked")->t.data[0], 2.0f);
    cr_expect_eq(memcmp(weights_find(&wf, "4.weight")->t.data, trainer_net(t)->params[6].t.data, 216 * 4), 0);
    weights_free(&wf);
    trainer_free(t);
}

Test(train, loss_falls_on_a_learnable_task)
{
    /* the label is which quarter of the image is brightest: a few hundred
       images are enough to learn it */
    TrainOptions o = train_defaults();
    o.batch = 32;
    Trainer *t = make_trainer("Conv2d(1, 4, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(), Linear(256, 10)", 1, 16,
                              16, o);
    float images[32 * 256];
    uint8_t labels[32];
    Rng r;
    Error err = {0};
    double first = 0.0, last = 0.0;
    rng_seed(&r, 7);
    for (int s = 0; s < 60; s++) {
        for (int k = 0; k < 32; k++) {
            uint8_t q = (uint8_t)(rng_next(&r) % 4);
            labels[k] = q;
            for (int y = 0; y < 16; y++)
                for (int x = 0; x < 16; x++)
                    images[k * 256 + y * 16 + x] = 0.3f * rng_uniform(&r) + ((y / 8) * 2 + x / 8 == q ? 0.7f : 0.0f);
        }
        TrainStats st;
        cr_assert_eq(trainer_step(t, images, labels, 32, NULL, &st, &err), CS_OK, "%s", err.message);
        if (s < 5)
            first += st.loss / 5;
        if (s >= 55)
            last += st.loss / 5;
    }
    cr_expect(last < 0.5 * first, "the loss went from %.3f to %.3f", first, last);
    trainer_free(t);
}

/* The network lesson's model (make fashion-model) is what convstep train
   makes of the recipe: it scores on Fashion-MNIST's test images. */
Test(train, shipped_fashion_model_scores)
{
    Dataset test = {0};
    Error err = {0};
    if (dataset_load_mnist(DATASET_DEFAULT_DIR, true, 0, &test, &err) != CS_OK)
        cr_skip_test("%s", err.message);
    char *text = NULL;
    LayerStack stack = {0};
    Trainer *t = NULL;
    TrainOptions o = train_defaults();
    cr_assert_eq(stack_read_spec("@assets/models/fashion.txt", &text, &err), CS_OK, "%s", err.message);
    cr_assert_eq(spec_parse(text, &stack, &err), CS_OK, "%s", err.message);
    cr_assert_eq(trainer_create(&stack, 1, 28, 28, 10, &o, &t, &err), CS_OK, "%s", err.message);
    load_state(t, "assets/models/fashion.safetensors");
    TrainStats st;
    cr_assert_eq(trainer_evaluate(t, test.images, test.labels, test.count, NULL, &st, NULL, &err), CS_OK);
    cr_expect_geq(st.correct, 8500, "the shipped model scores %zu of %zu", st.correct, st.count);
    trainer_free(t);
    spec_free(&stack);
    free(text);
    dataset_free(&test);
}
