/* cli_train.c: `convstep train`, a network trained on an MNIST-format
 * dataset (Fashion-MNIST by default): read the layers, load both splits
 * (core/dataset.h), train for the epochs in shuffled mini-batches
 * (core/train.h), score the test split, and write the weights as
 * safetensors under PyTorch's state_dict names (--save).
 *
 * Output: a progress bar on a terminal, a line per epoch and the final
 * scores; with --json one object per log point (every LOG_STEPS steps and
 * at each epoch's end) and a final one with test_accuracy and
 * images_per_s. images_per_s counts the training steps' wall time only
 * (not loading, shuffling or scoring). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "cli.h"
#include "cli_common.h"
#include "dataset.h"
#include "progress.h"
#include "spec.h"
#include "stack.h"
#include "threads.h"
#include "train.h"

/* The network DESIGN.md gives as train's default. */
#define TRAIN_DEFAULT_LAYERS \
    "Conv2d(1, 8, 3), ReLU(), MaxPool2d(2), Conv2d(8, 16, 3), ReLU(), MaxPool2d(2), Flatten(), Linear(400, 10)"

/* Steps between --json log points. */
#define LOG_STEPS 100

static const CliCommand cmd = {
    "train",
    "usage: convstep train [--layers SPEC|@FILE] [--data DIR] [--epochs E] [--batch B]\n"
    "                      [--lr LR] [--momentum M] [--optimizer sgd|adam] [--seed N]\n"
    "                      [--limit N] [--threads N] [--save FILE.safetensors] [--json]\n"
    "                      [--force] [--quiet]\n"
    "\n"
    "Trains a network on an MNIST-format dataset with cross-entropy loss and\n"
    "mini-batch gradient descent, as PyTorch's training loop does, then scores\n"
    "it on the test images.\n"
    "\n"
    "  --layers SPEC|@FILE   the layers in PyTorch's notation (default: the small CNN\n"
    "                        " TRAIN_DEFAULT_LAYERS ")\n"
    "  --data DIR            a folder with the four MNIST IDX files, plain or .gz\n"
    "                        (default " DATASET_DEFAULT_DIR ",\n"
    "                        Debian's dataset-fashion-mnist)\n"
    "  --epochs E            passes over the training images (default 1)\n"
    "  --batch B             images per step (default 64)\n"
    "  --lr LR               learning rate (default 0.05 for sgd, 0.001 for adam)\n"
    "  --momentum M          SGD momentum (default 0.9)\n"
    "  --optimizer O         sgd or adam (default sgd)\n"
    "  --seed N              initialisation, shuffling and dropout (default 1)\n"
    "  --limit N             use only the first N training and N test images\n"
    "  --threads N           threads (default: every CPU online); the weights are\n"
    "                        the same bit for bit for every N\n"
    "  --save FILE           the trained weights as .safetensors (PyTorch's\n"
    "                        state_dict names: load_state_dict(load_file(FILE)))\n"
    "  --json                one JSON object per log point and a final one\n"
    "  --force               replace an existing --save file\n"
    "  --quiet               no progress bar (shown on stderr when it is a terminal)\n"
    "  -h, --help            this text\n"
    "\n"
    "Example: convstep train --epochs 2 --save fashion.safetensors\n",
};

typedef struct TrainArgs {
    const char *layers, *data, *epochs, *batch, *lr, *momentum, *optimizer, *seed, *limit, *threads, *save;
    bool json, force, quiet;
} TrainArgs;

/* One run's state; run_free frees it. */
typedef struct Run {
    char *text;
    LayerStack stack;
    Dataset train, test;
    Trainer *trainer;
    Threads *pool;
    TrainOptions o;
    long epochs, limit, threads;
    size_t *order;
    float *images;
    uint8_t *labels;
} Run;

static void run_free(Run *r)
{
    free(r->order);
    free(r->images);
    free(r->labels);
    trainer_free(r->trainer);
    threads_free(r->pool);
    dataset_free(&r->train);
    dataset_free(&r->test);
    spec_free(&r->stack);
    free(r->text);
}

/* The options' numbers: CLI_CONTINUE or the usage error's status. */
static int parse_numbers(const TrainArgs *a, Run *r)
{
    Error err = {0};
    long batch = (long)r->o.batch, seed = (long)r->o.seed;
    r->epochs = 1;
    if (a->optimizer) {
        if (strcmp(a->optimizer, "sgd") == 0)
            r->o.optimizer = OPTIM_SGD;
        else if (strcmp(a->optimizer, "adam") == 0)
            r->o.optimizer = OPTIM_ADAM, r->o.lr = 0.001f;
        else
            return cli_usage_error(&cmd, "--optimizer: expected sgd or adam, got '%s'", a->optimizer);
    }
    if ((a->epochs && args_parse_int("--epochs", a->epochs, 1, 100000, &r->epochs, &err) != CS_OK) ||
        (a->batch && args_parse_int("--batch", a->batch, 1, 65536, &batch, &err) != CS_OK) ||
        (a->seed && args_parse_int("--seed", a->seed, 0, 0x7fffffffL, &seed, &err) != CS_OK) ||
        (a->limit && args_parse_int("--limit", a->limit, 1, 0x7fffffffL, &r->limit, &err) != CS_OK) ||
        (a->threads && args_parse_int("--threads", a->threads, 1, THREADS_MAX, &r->threads, &err) != CS_OK) ||
        (a->lr && args_parse_float("--lr", a->lr, 1e-30f, 1e6f, &r->o.lr, &err) != CS_OK) ||
        (a->momentum && args_parse_float("--momentum", a->momentum, 0.0f, 1.0f, &r->o.momentum, &err) != CS_OK))
        return cli_usage_error(&cmd, "%s", err.message);
    if (a->momentum && r->o.optimizer == OPTIM_ADAM)
        return cli_usage_error(&cmd, "--momentum is SGD's; Adam uses its betas (0.9, 0.999)");
    r->o.batch = (size_t)batch;
    r->o.seed = (uint64_t)seed;
    return CLI_CONTINUE;
}

/* The layers, the data and the trainer. */
static int prepare(const TrainArgs *a, Run *r)
{
    Error err = {0};
    const char *where = a->layers ? a->layers : "the default network";
    if (a->save && !a->force && access(a->save, F_OK) == 0)
        return cli_fail(1, "--save: %s already exists (use --force to replace it)", a->save);
    const char *dir = a->data ? a->data : DATASET_DEFAULT_DIR;
    if (stack_read_spec(a->layers ? a->layers : TRAIN_DEFAULT_LAYERS, &r->text, &err) != CS_OK)
        return cli_fail(1, "%s", err.message);
    if (spec_parse(r->text, &r->stack, &err) != CS_OK)
        return cli_fail(1, "%s: %s", where, err.message);
    if (dataset_load_mnist(dir, false, (size_t)r->limit, &r->train, &err) != CS_OK ||
        dataset_load_mnist(dir, true, (size_t)r->limit, &r->test, &err) != CS_OK)
        return cli_fail(1, "%s", err.message);
    const Dataset *d = &r->train;
    if (trainer_create(&r->stack, d->channels, d->h, d->w, d->classes, &r->o, &r->trainer, &err) != CS_OK)
        return cli_fail(1, "%s with %zux%zux%zu images: %s", where, d->channels, d->h, d->w, err.message);
    if (threads_create((size_t)r->threads, &r->pool, &err) != CS_OK)
        return cli_fail(1, "%s", err.message);
    r->order = malloc(d->count * sizeof *r->order);
    r->images = malloc(r->o.batch * d->channels * d->h * d->w * sizeof *r->images);
    r->labels = malloc(r->o.batch);
    if (!r->order || !r->images || !r->labels)
        return cli_fail(1, "out of memory for the batches");
    return CLI_CONTINUE;
}

/* What the log points average: the steps since the last one. */
typedef struct Window {
    double loss;
    size_t correct, count, steps;
} Window;

static void log_point(const Run *r, long epoch, size_t images, Window *w)
{
    printf("{\"epoch\": %ld, \"step\": %zu, \"images\": %zu, \"loss\": ", epoch, trainer_steps(r->trainer), images);
    cli_json_float(stdout, w->steps ? w->loss / (double)w->steps : 0.0);
    printf(", \"accuracy\": ");
    cli_json_float(stdout, w->count ? (double)w->correct / (double)w->count : 0.0);
    printf(", \"lr\": ");
    cli_json_float(stdout, trainer_lr(r->trainer));
    printf("}\n");
    fflush(stdout);
    *w = (Window){0};
}

/* Every epoch's steps; *seconds gets their wall time. */
static int train_epochs(const TrainArgs *a, Run *r, double *seconds)
{
    const Dataset *d = &r->train;
    const size_t steps_per_epoch = (d->count + r->o.batch - 1) / r->o.batch;
    Progress bar;
    Window w = {0}, epoch_w = {0};
    size_t seen = 0;
    Error err = {0};
    *seconds = 0.0;
    progress_start(&bar, (size_t)r->epochs * d->count, a->quiet || a->json, "images", "images/s");
    for (long e = 1; e <= r->epochs; e++) {
        dataset_shuffle(r->order, d->count, r->o.seed, (size_t)e - 1);
        epoch_w = (Window){0};
        for (size_t s = 0; s < steps_per_epoch; s++) {
            size_t start = s * r->o.batch, n = d->count - start < r->o.batch ? d->count - start : r->o.batch;
            TrainStats st;
            dataset_gather(d, r->order, start, n, r->images, r->labels);
            double t0 = bench_wall_ms();
            Status status = trainer_step(r->trainer, r->images, r->labels, n, r->pool, &st, &err);
            *seconds += (bench_wall_ms() - t0) / 1000.0;
            if (status != CS_OK) {
                progress_finish(&bar);
                return cli_fail(1, "%s%s", err.message, a->save ? "; nothing saved" : "");
            }
            seen += n;
            w.loss += st.loss, w.correct += st.correct, w.count += st.count, w.steps++;
            epoch_w.loss += st.loss, epoch_w.correct += st.correct, epoch_w.count += st.count, epoch_w.steps++;
            snprintf(bar.note, sizeof bar.note, "epoch %ld  loss %.3f", e, st.loss);
            progress_update(&bar, seen);
            if (a->json && (trainer_steps(r->trainer) % LOG_STEPS == 0 || s + 1 == steps_per_epoch))
                log_point(r, e, seen, &w);
        }
        if (!a->json)
            printf("epoch %ld/%ld: %zu steps, mean loss %.4f, train accuracy %.4f\n", e, r->epochs, epoch_w.steps,
                   epoch_w.loss / (double)epoch_w.steps, (double)epoch_w.correct / (double)epoch_w.count);
    }
    progress_finish(&bar);
    return CLI_CONTINUE;
}

static int finish(const TrainArgs *a, Run *r, double seconds)
{
    Error err = {0};
    TrainStats test;
    const Dataset *d = &r->test;
    if (trainer_evaluate(r->trainer, d->images, d->labels, d->count, r->pool, &test, NULL, &err) != CS_OK)
        return cli_fail(1, "scoring the test images: %s", err.message);
    const double accuracy = (double)test.correct / (double)test.count;
    const size_t images = (size_t)r->epochs * r->train.count;
    const double rate = seconds > 0.0 ? (double)images / seconds : 0.0;
    if (a->save && trainer_save(r->trainer, a->save, a->force, &err) != CS_OK)
        return cli_fail(1, "--save: %s%s", err.message, a->force ? "" : " (use --force to replace it)");
    if (a->json) {
        printf("{\"test_accuracy\": ");
        cli_json_float(stdout, accuracy);
        printf(", \"test_loss\": ");
        cli_json_float(stdout, test.loss);
        printf(", \"test_images\": %zu, \"train_images\": %zu, \"epochs\": %ld, \"steps\": %zu, \"threads\": %zu, "
               "\"seconds\": ", test.count, r->train.count, r->epochs, trainer_steps(r->trainer),
               threads_count(r->pool));
        cli_json_float(stdout, seconds);
        printf(", \"images_per_s\": ");
        cli_json_float(stdout, rate);
        printf("}\n");
    } else {
        printf("test accuracy %.4f (%zu of %zu), test loss %.4f\n", accuracy, test.correct, test.count, test.loss);
        printf("%.0f images/s on %zu thread%s (%.2f s of training)\n", rate, threads_count(r->pool),
               threads_count(r->pool) == 1 ? "" : "s", seconds);
        if (a->save)
            printf("saved %s\n", a->save);
    }
    return 0;
}

int cli_train(int argc, char **argv)
{
    TrainArgs a = {0};
    const CliOption opts[] = {
        {"--layers", NULL, "SPEC", &a.layers, NULL},
        {"--data", NULL, "DIR", &a.data, NULL},
        {"--epochs", NULL, "E", &a.epochs, NULL},
        {"--batch", NULL, "B", &a.batch, NULL},
        {"--lr", NULL, "LR", &a.lr, NULL},
        {"--momentum", NULL, "M", &a.momentum, NULL},
        {"--optimizer", NULL, "O", &a.optimizer, NULL},
        {"--seed", NULL, "N", &a.seed, NULL},
        {"--limit", NULL, "N", &a.limit, NULL},
        {"--threads", NULL, "N", &a.threads, NULL},
        {"--save", NULL, "FILE", &a.save, NULL},
        {"--json", NULL, NULL, NULL, &a.json},
        {"--force", NULL, NULL, NULL, &a.force},
        {"--quiet", NULL, NULL, NULL, &a.quiet},
    };
    int rc = cli_parse(&cmd, argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), NULL, 0, NULL);
    if (rc != CLI_CONTINUE)
        return rc;
    Run r = {.o = train_defaults()};
    double seconds = 0.0;
    rc = parse_numbers(&a, &r);
    if (rc == CLI_CONTINUE)
        rc = prepare(&a, &r);
    if (rc == CLI_CONTINUE)
        rc = train_epochs(&a, &r, &seconds);
    if (rc == CLI_CONTINUE)
        rc = finish(&a, &r, seconds);
    run_free(&r);
    return rc;
}
