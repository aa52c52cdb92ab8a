/* cli_forward.c: `convstep forward`, a network run on one input: read the
 * layers (core/spec.h) and the input, resize and normalise it, build the
 * network (core/net.h) with the weights file's parameters or PyTorch's
 * default initialisation, run it, and print every layer's output shape and
 * range (or JSON), the top classes, and write the last output (-o) and each
 * layer's output (--dump) as .npy files. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "cli_common.h"
#include "format.h"
#include "net.h"
#include "normalize.h"
#include "npy.h"
#include "resize.h"
#include "spec.h"
#include "stack.h"
#include "threads.h"
#include "weights.h"

static const CliCommand cmd = {
    "forward",
    "usage: convstep forward --layers SPEC|@FILE -i INPUT [--weights FILE] [--seed N]\n"
    "                        [--normalize N] [--input-size H,W] [-o OUT.npy] [--dump DIR]\n"
    "                        [--top K [--labels FILE]] [--threads N] [--json] [--force]\n"
    "\n"
    "Runs a network on one input, as PyTorch's eval mode computes it (batch 1),\n"
    "and prints every layer's output shape and range.\n"
    "\n"
    "  --layers SPEC|@FILE   the layers in PyTorch's notation, a print(model)\n"
    "                        output or a .py file (see 'man convstep')\n"
    "  -i INPUT              a .npy array (C,H,W) or (1,C,H,W), or an image (0-255)\n"
    "  --weights FILE        the state dict as .safetensors or .npz, loaded strictly\n"
    "                        (default: PyTorch's initialisation from --seed)\n"
    "  --seed N              the seed of the default initialisation (default 1; the\n"
    "                        numbers differ from torch.manual_seed's)\n"
    "  --normalize N         unit (x/255), imagenet (x/255, then ImageNet's mean and\n"
    "                        std) or M1,M2,M3/S1,S2,S3 (x/255, then (x - M)/S)\n"
    "  --input-size H,W      resample the input first, as torchvision's\n"
    "                        Resize((H, W), antialias=True)\n"
    "  -o OUT.npy            the last layer's output, (C,H,W) or (N,)\n"
    "  --dump DIR            every layer's output as DIR/NN-NAME.npy (NN from 01,\n"
    "                        NAME the state_dict name)\n"
    "  --top K               the K most probable classes (softmax of the last layer)\n"
    "  --labels FILE         class names, one per line, for --top\n"
    "  --threads N           threads the layers are computed on (default: every CPU\n"
    "                        online); the numbers are the same for every N\n"
    "  --json                print one JSON object instead of the table\n"
    "  --force               replace existing output files\n"
    "  -h, --help            this text\n"
    "\n"
    "Example: convstep forward --layers @lenet.py -i digit.png --normalize unit --top 3\n",
};

/* ---- input ---- */

/* Applies --normalize to x: "unit", "imagenet" or "M1,M2,M3/S1,S2,S3". */
static int normalize_input(const char *text, Tensor *x)
{
    Normalize n;
    Error err = {0};
    if (normalize_parse(text, &n, &err) != CS_OK)
        return cli_usage_error(&cmd, "%s", err.message);
    if (normalize_apply(&n, x, &err) != CS_OK)
        return cli_fail(1, "%s", err.message);
    return CLI_CONTINUE;
}

/* ---- labels and the top classes ---- */

typedef struct Labels {
    char *text;         /* the file, lines cut at '\n' */
    char **line;
    size_t count;
} Labels;

static void labels_free(Labels *l)
{
    free(l->text);
    free(l->line);
    memset(l, 0, sizeof *l);
}

static int labels_read(const char *path, Labels *out)
{
    Error err = {0};
    char arg[4200];
    snprintf(arg, sizeof arg, "@%s", path);
    if (stack_read_spec(arg, &out->text, &err) != CS_OK)
        return cli_fail(1, "--labels: %s", err.message);
    size_t n = 0;
    for (char *p = out->text; *p; p++)
        n += *p == '\n';
    out->line = calloc(n + 1, sizeof *out->line);
    if (!out->line)
        return cli_fail(1, "out of memory");
    for (char *p = out->text, *next; *p; p = next) {
        char *end = strchr(p, '\n');
        next = end ? end + 1 : p + strlen(p);
        if (end)
            *end = '\0';
        if (end > p && end[-1] == '\r')
            end[-1] = '\0';
        out->line[out->count++] = p;
    }
    return CLI_CONTINUE;
}

typedef struct Top {
    size_t index;
    double probability;
} Top;

/* The k largest probabilities of the last output: it is already a softmax
 * (Softmax), a log-softmax (LogSoftmax, exponentiated) or logits (softmax
 * taken here). */
static void top_classes(const Net *net, Top *top, size_t k)
{
    const NetLayer *last = &net->layers[net->count - 1];
    const Tensor *y = &last->out;
    size_t n = tensor_count(y);
    double m = -INFINITY, sum = 0.0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, y->data[i]);
    for (size_t i = 0; i < n; i++)
        sum += exp(y->data[i] - m);
    for (size_t j = 0; j < k; j++)
        top[j] = (Top){0, -1.0};
    for (size_t i = 0; i < n; i++) {
        double p = last->spec.type == SPEC_SOFTMAX ? y->data[i]
                 : last->spec.type == SPEC_LOGSOFTMAX ? exp(y->data[i]) : exp(y->data[i] - m) / sum;
        size_t j = k;
        while (j > 0 && p > top[j - 1].probability) {
            if (j < k)
                top[j] = top[j - 1];
            j--;
        }
        if (j < k)
            top[j] = (Top){i, p};
    }
}

/* ---- writing ---- */

/* Whether the dump would replace a file (refused without --force). */
static void dump_path(const char *dir, const Net *net, size_t i, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%02zu-%s.npy", dir, i + 1, net->layers[i].spec.name);
}

/* Writes every layer's output into dir; on failure removes what it wrote
 * (and dir, when it made it). */
static int dump_layers(const char *dir, const Net *net, bool force)
{
    char path[4200];
    struct stat st;
    bool made = false;
    size_t done = 0;
    int rc = 0;
    if (stat(dir, &st) != 0) {
        if (mkdir(dir, 0777) != 0)
            return cli_fail(1, "--dump: cannot make the folder %s: %s", dir, strerror(errno));
        made = true;
    } else if (!S_ISDIR(st.st_mode)) {
        return cli_fail(1, "--dump: %s is not a folder", dir);
    }
    for (size_t i = 0; i < net->count && !force; i++) {
        dump_path(dir, net, i, path, sizeof path);
        if (stat(path, &st) == 0)
            return cli_fail(1, "%s already exists (use --force to replace it)", path);
    }
    for (; done < net->count && rc == 0; done++) {
        FileOut fo;
        dump_path(dir, net, done, path, sizeof path);
        if (cli_output_open(&fo, path, force) != CLI_CONTINUE)
            rc = 1;
        else
            rc = cli_output_commit(&fo, &net->layers[done].out);
        if (rc != 0)
            break;
    }
    if (rc != 0) {
        for (size_t i = 0; i < done; i++) {
            dump_path(dir, net, i, path, sizeof path);
            unlink(path);
        }
        if (made)
            rmdir(dir);
    }
    return rc;
}

/* ---- printing ---- */

static void layer_range(const Tensor *t, double *lo, double *hi, double *mean)
{
    size_t n = tensor_count(t);
    double sum = 0.0;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        *lo = fmin(*lo, t->data[i]);
        *hi = fmax(*hi, t->data[i]);
        sum += t->data[i];
    }
    *mean = n ? sum / (double)n : 0.0;
}

static void print_table(const Net *net, const char *source, const Top *top, size_t k, const Labels *labels)
{
    char shape[64], a[32], b[32], c[32];
    size_t width = 5;
    for (size_t i = 0; i < net->count; i++)
        if (strlen(net->layers[i].spec.name) > width)
            width = strlen(net->layers[i].spec.name);
    printf("input %zux%zux%zu, weights: %s\n", net->in_c, net->in_h, net->in_w, source);
    printf("  #  %-*s  %-14s %12s %12s %12s  layer\n", (int)width, "name", "output", "min", "max", "mean");
    for (size_t i = 0; i < net->count; i++) {
        const NetLayer *L = &net->layers[i];
        double lo, hi, mean;
        layer_range(&L->out, &lo, &hi, &mean);
        net_shape_text(net, i, shape, sizeof shape);
        printf("%3zu  %-*s  %-14s %12s %12s %12s  %s\n", i + 1, (int)width, L->spec.name, shape,
               format_number(lo, a, sizeof a), format_number(hi, b, sizeof b),
               format_number(mean, c, sizeof c), L->spec.text);
    }
    if (k > 0)
        printf("\ntop %zu:\n", k);
    for (size_t j = 0; j < k; j++)
        printf("%3zu  %7.3f%%  %zu%s%s\n", j + 1, top[j].probability * 100.0, top[j].index,
               labels->count ? "  " : "", labels->count ? labels->line[top[j].index] : "");
}

static void print_json(const Net *net, const char *source, const Top *top, size_t k, const Labels *labels)
{
    printf("{\"input\": [%zu, %zu, %zu], \"weights\": ", net->in_c, net->in_h, net->in_w);
    cli_json_string(stdout, source);
    printf(", \"layers\": [\n");
    for (size_t i = 0; i < net->count; i++) {
        const NetLayer *L = &net->layers[i];
        double lo, hi, mean;
        layer_range(&L->out, &lo, &hi, &mean);
        printf("  {\"name\": ");
        cli_json_string(stdout, L->spec.name);
        printf(", \"layer\": ");
        cli_json_string(stdout, L->spec.text);
        printf(", \"type\": \"%s\", \"output\": ", spec_type_name(L->spec.type));
        if (L->flat)
            printf("[%zu]", L->c);
        else
            printf("[%zu, %zu, %zu]", L->c, L->h, L->w);
        printf(", \"min\": ");
        cli_json_float(stdout, lo);
        printf(", \"max\": ");
        cli_json_float(stdout, hi);
        printf(", \"mean\": ");
        cli_json_float(stdout, mean);
        printf("}%s\n", i + 1 < net->count ? "," : "");
    }
    printf("]");
    if (k > 0) {
        printf(", \"top\": [");
        for (size_t j = 0; j < k; j++) {
            printf("%s{\"index\": %zu, \"probability\": ", j ? ", " : "", top[j].index);
            cli_json_float(stdout, top[j].probability);
            if (labels->count) {
                printf(", \"label\": ");
                cli_json_string(stdout, labels->line[top[j].index]);
            }
            printf("}");
        }
        printf("]");
    }
    printf("}\n");
}

/* ---- the command ---- */

typedef struct ForwardArgs {
    const char *layers, *input, *weights, *seed, *normalize, *size, *out, *dump, *top, *labels, *threads;
    bool json, force;
} ForwardArgs;

/* Loads --weights into net, strictly (net_load_weights). */
static int load_weights(Net *net, const char *path)
{
    WeightsFile w = {0};
    Error err = {0};
    if (weights_read(path, &w, &err) != CS_OK)
        return cli_fail(1, "%s", err.message);
    Status st = net_load_weights(net, &w, &err);
    weights_free(&w);
    if (st != CS_OK)
        return cli_fail(1, "%s does not fit the layers: %s", path, err.message);
    return CLI_CONTINUE;
}

/* One run's state; forward_free frees it. */
typedef struct Forward {
    char *text;                 /* the spec's text */
    LayerStack stack;
    Tensor input;
    Net net;
    Labels labels;
    Top *top;                   /* k entries */
    long seed, k;
    long threads;               /* --threads, 0: every CPU online */
    Threads *pool;              /* NULL for one thread */
    int in_h, in_w;             /* --input-size, 0: none */
} Forward;

static void forward_free(Forward *f)
{
    threads_free(f->pool);
    free(f->top);
    labels_free(&f->labels);
    net_free(&f->net);
    tensor_free(&f->input);
    spec_free(&f->stack);
    free(f->text);
}

/* The numbers among the options: CLI_CONTINUE or the usage error's status. */
static int parse_numbers(const ForwardArgs *a, Forward *f)
{
    Error err = {0};
    if (a->seed && args_parse_int("--seed", a->seed, 0, 0x7fffffffL, &f->seed, &err) != CS_OK)
        return cli_usage_error(&cmd, "%s", err.message);
    if (a->top && args_parse_int("--top", a->top, 1, 1000000, &f->k, &err) != CS_OK)
        return cli_usage_error(&cmd, "%s", err.message);
    if (a->threads && args_parse_int("--threads", a->threads, 1, THREADS_MAX, &f->threads, &err) != CS_OK)
        return cli_usage_error(&cmd, "%s", err.message);
    if (a->labels && !a->top)
        return cli_usage_error(&cmd, "--labels goes with --top K");
    if (a->size && args_parse_pair("--input-size", a->size, 1, 1 << 14, &f->in_h, &f->in_w, &err) != CS_OK)
        return cli_usage_error(&cmd, "%s", err.message);
    return CLI_CONTINUE;
}

/* The input as the network takes it: loaded, resized (--input-size),
 * normalized. CLI_CONTINUE or the failure's status. */
static int prepare_input(const ForwardArgs *a, Forward *f)
{
    Error err = {0};
    if (cli_load_input(a->input, &f->input) != CLI_CONTINUE)
        return 1;
    if (a->size) {
        Tensor resized = {0};
        if (resize_antialias(&f->input, (size_t)f->in_h, (size_t)f->in_w, &resized, &err) != CS_OK)
            return cli_fail(1, "%s: %s", a->input, err.message);
        tensor_free(&f->input);
        f->input = resized;
    }
    return a->normalize ? normalize_input(a->normalize, &f->input) : CLI_CONTINUE;
}

/* The network on the input's shape with its parameters (--weights, or the
 * default initialisation from --seed), and the labels. */
static int prepare_net(const ForwardArgs *a, Forward *f, const char *where)
{
    Error err = {0};
    if (stack_read_spec(a->layers, &f->text, &err) != CS_OK)
        return cli_fail(1, "%s", err.message);
    if (spec_parse(f->text, &f->stack, &err) != CS_OK)
        return cli_fail(1, "%s: %s", where, err.message);
    int rc = prepare_input(a, f);
    if (rc != CLI_CONTINUE)
        return rc;
    const Tensor *in = &f->input;
    if (net_build(&f->stack, in->c, in->h, in->w, &f->net, &err) != CS_OK)
        return cli_fail(1, "%s with a %zux%zux%zu input: %s", where, in->c, in->h, in->w, err.message);
    if (a->weights) {
        if (load_weights(&f->net, a->weights) != CLI_CONTINUE)
            return 1;
    } else {
        net_init_default(&f->net, (uint64_t)f->seed);
    }
    if (a->labels && labels_read(a->labels, &f->labels) != CLI_CONTINUE)
        return 1;
    return CLI_CONTINUE;
}

/* --top K: the K most probable classes of the last layer's scores. */
static int find_top(const ForwardArgs *a, Forward *f)
{
    const NetLayer *last = &f->net.layers[f->net.count - 1];
    if (!last->flat)
        return cli_fail(1, "--top needs a vector of class scores, but the last layer (%s) gives a %zux%zux%zu map",
                        last->spec.name, last->c, last->h, last->w);
    if ((size_t)f->k > last->c)
        f->k = (long)last->c;
    if (f->labels.count && f->labels.count < last->c)
        return cli_fail(1, "--labels %s has %zu labels, but the network gives %zu classes", a->labels,
                        f->labels.count, last->c);
    if (!(f->top = calloc((size_t)f->k, sizeof *f->top)))
        return cli_fail(1, "out of memory");
    top_classes(&f->net, f->top, (size_t)f->k);
    return CLI_CONTINUE;
}

/* The table or JSON on standard output. */
static int report(const ForwardArgs *a, const Forward *f)
{
    const char *source = a->weights;
    char seeded[64];
    if (!a->weights) {
        snprintf(seeded, sizeof seeded, "PyTorch's default initialisation, seed %ld", f->seed);
        source = seeded;
    }
    if (a->json)
        print_json(&f->net, source, f->top, (size_t)f->k, &f->labels);
    else
        print_table(&f->net, source, f->top, (size_t)f->k, &f->labels);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : cli_fail(1, "cannot write to standard output");
}

static int run(const ForwardArgs *a)
{
    Forward f = {.seed = 1};
    FileOut fo;
    bool opened = false;
    const char *where = a->layers[0] == '@' ? a->layers + 1 : "--layers";
    int rc = parse_numbers(a, &f);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = prepare_net(a, &f, where);
    if (rc == CLI_CONTINUE && a->out)
        opened = (rc = cli_output_open(&fo, a->out, a->force)) == CLI_CONTINUE;
    if (rc == CLI_CONTINUE) {
        Error err = {0};
        if (f.threads != 1 && threads_create((size_t)f.threads, &f.pool, &err) != CS_OK)
            rc = cli_fail(1, "--threads %ld: %s", f.threads, err.message);
        else if (net_forward_threads(&f.net, &f.input, f.pool, &err) != CS_OK)
            rc = cli_fail(1, "%s", err.message);
    }
    if (rc == CLI_CONTINUE && f.k > 0)
        rc = find_top(a, &f);
    if (rc == CLI_CONTINUE && a->dump && dump_layers(a->dump, &f.net, a->force) != 0)
        rc = 1;
    if (rc == CLI_CONTINUE && opened) {
        opened = false;
        rc = cli_output_commit(&fo, net_output(&f.net)) != 0 ? 1 : CLI_CONTINUE;
    }
    if (rc == CLI_CONTINUE)
        rc = report(a, &f);
    if (opened)
        cli_output_abort(&fo);
    forward_free(&f);
    return rc;
}

int cli_forward(int argc, char **argv)
{
    ForwardArgs a = {0};
    const CliOption opts[] = {
        {"--layers", NULL, "SPEC", &a.layers, NULL},
        {"-i", "--input", "INPUT", &a.input, NULL},
        {"--weights", NULL, "FILE", &a.weights, NULL},
        {"--seed", NULL, "N", &a.seed, NULL},
        {"--normalize", NULL, "N", &a.normalize, NULL},
        {"--input-size", NULL, "H,W", &a.size, NULL},
        {"-o", "--output", "OUT.npy", &a.out, NULL},
        {"--dump", NULL, "DIR", &a.dump, NULL},
        {"--top", NULL, "K", &a.top, NULL},
        {"--labels", NULL, "FILE", &a.labels, NULL},
        {"--threads", NULL, "N", &a.threads, NULL},
        {"--json", NULL, NULL, NULL, &a.json},
        {"--force", NULL, NULL, NULL, &a.force},
    };
    int rc = cli_parse(&cmd, argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), NULL, 0, NULL);
    if (rc != CLI_CONTINUE || (rc = cli_require(&cmd, a.layers, "--layers SPEC")) != CLI_CONTINUE ||
        (rc = cli_require(&cmd, a.input, "-i INPUT")) != CLI_CONTINUE)
        return rc;
    return run(&a);
}
