/* cli_bench.c: `convstep bench`, speed and memory figures. The figures are
 * the rows of BENCH_FIGURES (bench.h); this file measures the core's (conv,
 * stepper, memory) and prints any set of them as a table or as JSON. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "cli_common.h"
#include "conv.h"
#include "rng.h"
#include "stepper.h"

typedef struct BenchFigure {
    Status (*measure)(double *value, Error *err);
    const char *key, *unit, *what;
} BenchFigure;

#define BENCH_ROW(function, key, unit, what) {function, key, unit, what},
static const BenchFigure figures[] = {BENCH_FIGURES(BENCH_ROW)};
#undef BENCH_ROW

enum { BENCH_N_FIGURES = sizeof figures / sizeof figures[0] };

static const CliCommand cmd = {
    "bench",
    "usage: convstep bench [--json] [FIGURE...]\n"
    "\n"
    "Measures speed and memory on this machine, one thread, and prints one line\n"
    "per figure (name, value, unit, what was measured), or one JSON object.\n"
    "Naming FIGUREs (conv_ms, stepper_steps_per_s, peak_mib, ...) measures only\n"
    "those; 'make bench' also runs the same convolution in PyTorch beside it.\n"
    "\n"
    "  --json                print {\"conv_ms\": ..., ...}; a figure that cannot be\n"
    "                        measured here is null\n"
    "  -h, --help            this text\n",
};

/* ---- the core's figures ---- */

/* The layer every figure uses: 16 filters of 3x3, stride 1, padding 1. */
enum { BENCH_FILTERS = 16, BENCH_K = 3, BENCH_RUNS = 7 };

static double clock_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

double bench_cpu_ms(void)
{
    return clock_ms(CLOCK_THREAD_CPUTIME_ID);
}

double bench_wall_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *ms, size_t n)
{
    qsort(ms, n, sizeof *ms, compare_double);
    return ms[n / 2];
}

static void bench_fill(Tensor *t, uint64_t seed, float lo, float hi)
{
    Rng rng;
    rng_seed(&rng, seed);
    for (size_t i = 0; i < tensor_count(t); i++)
        t->data[i] = rng_range(&rng, lo, hi);
}

/* An image-like input 1 x 3 x side x side (values 0-255), the layer's
 * weights and bias. */
static Status bench_layer(size_t side, Tensor *input, Tensor *weights, Tensor *bias,
                          ConvParams *p, Error *err)
{
    Status st;
    if ((st = tensor_init(input, 1, 3, side, side, 3, err)) != CS_OK ||
        (st = tensor_init(weights, BENCH_FILTERS, 3, BENCH_K, BENCH_K, 4, err)) != CS_OK ||
        (st = tensor_init(bias, 1, 1, 1, BENCH_FILTERS, 1, err)) != CS_OK)
        return st;
    bench_fill(input, 1, 0.0f, 255.0f);
    bench_fill(weights, 2, -0.2f, 0.2f);
    bench_fill(bias, 3, -1.0f, 1.0f);
    *p = geom_conv_defaults();
    p->padding = (Padding){PAD_EXPLICIT, 1, 1};
    return CS_OK;
}

Status bench_conv_ms(double *value, Error *err)
{
    Tensor input = {0}, weights = {0}, bias = {0}, out = {0};
    ConvParams p;
    double ms[BENCH_RUNS];
    Status st = bench_layer(512, &input, &weights, &bias, &p, err);
    /* one warm-up run, then the timed ones */
    for (int run = -1; st == CS_OK && run < BENCH_RUNS; run++) {
        double start = bench_wall_ms();
        st = conv_forward(&input, &weights, &bias, &p, &out, err);
        if (run >= 0)
            ms[run] = bench_wall_ms() - start;
        tensor_free(&out);
    }
    if (st == CS_OK) {
        *value = bench_median(ms, BENCH_RUNS);
    }
    tensor_free(&input);
    tensor_free(&weights);
    tensor_free(&bias);
    return st;
}

Status bench_stepper_steps(double *value, Error *err)
{
    Tensor input = {0}, weights = {0}, bias = {0};
    StepperConfig cfg = {0};
    Stepper *s = NULL;
    Status st = bench_layer(64, &input, &weights, &bias, &cfg.conv, err);
    if (st == CS_OK) {
        cfg.kind = LAYER_CONV;
        cfg.input = &input;
        cfg.weights = &weights;
        cfg.bias = &bias;
        cfg.granularity = STEP_POSITION;
        st = stepper_create(&cfg, &s, err);
    }
    if (st == CS_OK) {
        /* walk forward (and back from the end) for half a second */
        size_t steps = 0;
        double start = bench_wall_ms(), elapsed = 0;
        volatile float sink = 0;  /* reads every trace, so none is optimised away */
        bool forward = true;
        while (elapsed < 500) {
            for (int i = 0; i < 1000; i++) {
                if (!(forward ? stepper_next(s) : stepper_prev(s)))
                    forward = !forward;
                sink += stepper_trace(s)->total;
                steps++;
            }
            elapsed = bench_wall_ms() - start;
        }
        *value = steps / (elapsed / 1e3);
    }
    stepper_destroy(s);
    tensor_free(&input);
    tensor_free(&weights);
    tensor_free(&bias);
    return st;
}

enum { BENCH_BIG_SIDE = 4096 };

/* In a child process (so that nothing earlier counts): the growth of the
 * peak resident set, in KiB, while building the 4096x4096 layer and running
 * it. Written to fd as one double. */
static void bench_memory_child(int fd)
{
    struct rusage before, after;
    Tensor input = {0}, weights = {0}, bias = {0}, out = {0};
    ConvParams p;
    Error err = {0};
    double kib = -1;
    getrusage(RUSAGE_SELF, &before);
    if (bench_layer(BENCH_BIG_SIDE, &input, &weights, &bias, &p, &err) == CS_OK &&
        conv_forward(&input, &weights, &bias, &p, &out, &err) == CS_OK) {
        getrusage(RUSAGE_SELF, &after);
        kib = (double)(after.ru_maxrss - before.ru_maxrss);
    }
    if (write(fd, &kib, sizeof kib) != (ssize_t)sizeof kib)
        _exit(1);
    _exit(0);
}

Status bench_peak_memory(double *value, Error *err)
{
    int fds[2];
    double kib = -1;
    int status = 0;
    if (pipe(fds) != 0)
        return error_set(err, CS_ERR_IO, "peak_mib: cannot create a pipe");
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return error_set(err, CS_ERR_IO, "peak_mib: cannot start a child process");
    }
    if (pid == 0) {
        close(fds[0]);
        bench_memory_child(fds[1]);
    }
    close(fds[1]);
    ssize_t n = read(fds[0], &kib, sizeof kib);
    close(fds[0]);
    waitpid(pid, &status, 0);
    if (n != (ssize_t)sizeof kib || kib < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return error_set(err, CS_ERR_NOMEM,
                         "peak_mib: the 4096x4096 run failed (not enough memory?)");
    *value = kib / 1024.0;
    return CS_OK;
}

Status bench_tensor_memory(double *value, Error *err)
{
    (void)err;
    double side = BENCH_BIG_SIDE;
    *value = (3 + BENCH_FILTERS) * side * side * sizeof(float) / (1024.0 * 1024.0);
    return CS_OK;
}

/* ---- the command ---- */

/* The figure named key, or -1. */
static int bench_find(const char *key)
{
    for (int i = 0; i < BENCH_N_FIGURES; i++)
        if (strcmp(figures[i].key, key) == 0)
            return i;
    return -1;
}

int cli_bench(int argc, char **argv)
{
    bool json = false;
    const CliOption opts[] = {{"--json", NULL, NULL, NULL, &json}};
    const char *names[BENCH_N_FIGURES];
    int n_names = 0;
    bool chosen[BENCH_N_FIGURES];
    int rc = cli_parse(&cmd, argc, argv, opts, 1, names, BENCH_N_FIGURES, &n_names);
    if (rc != CLI_CONTINUE)
        return rc;
    for (int i = 0; i < BENCH_N_FIGURES; i++)
        chosen[i] = n_names == 0;
    for (int k = 0; k < n_names; k++) {
        int i = bench_find(names[k]);
        if (i < 0)
            return cli_usage_error(&cmd, "unknown figure '%s'", names[k]);
        chosen[i] = true;
    }

    bool first = true;
    if (json)
        printf("{");
    for (int i = 0; i < BENCH_N_FIGURES; i++) {
        if (!chosen[i])
            continue;
        Error err = {0};
        double value = 0;
        Status st = figures[i].measure(&value, &err);
        char num[48];
        if (json) {
            printf("%s\"%s\": ", first ? "" : ", ", figures[i].key);
            if (st == CS_OK)
                printf("%.3f", value);
            else
                printf("null");
        } else if (st == CS_OK) {
            snprintf(num, sizeof num, value >= 1000 ? "%.0f" : "%.3g", value);
            printf("%-20s %12s %-8s %s\n", figures[i].key, num, figures[i].unit, figures[i].what);
        } else {
            printf("%-20s %12s %-8s %s\n", figures[i].key, "-", "", err.message);
        }
        fflush(stdout);
        first = false;
    }
    if (json)
        printf("}\n");
    if (fflush(stdout) != 0 || ferror(stdout))
        return cli_fail(1, "cannot write to standard output");
    return 0;
}
