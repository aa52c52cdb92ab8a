/* cli_rf.c: `convstep rf`, the receptive field and shapes through a stack of
 * layers written in PyTorch's notation: one table row (or JSON object) per
 * layer with its kernel, stride, padding, dilation, receptive field, jump,
 * effective padding, and with --input-size its output size, parameters and
 * multiply-adds. The numbers come from core/rf.h. Also the rf_10000_ms row
 * of `convstep bench` (bench.h): the same work over 10,000 layers. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "bench.h"
#include "cli.h"
#include "cli_common.h"
#include "filein.h"
#include "rf.h"
#include "spec.h"
#include "format.h"
#include "stack.h"


static const CliCommand cmd = {
    "rf",
    "usage: convstep rf [--input-size H[,W]] [--json] SPEC\n"
    "\n"
    "Prints, for each layer of a stack, its kernel, stride, padding and dilation,\n"
    "the receptive field (input pixels one output sees), the jump (input pixels\n"
    "between neighbouring outputs) and the effective padding; with --input-size\n"
    "also the output size, parameters and multiply-adds. A pair is shown as one\n"
    "number when height and width agree, as HxW otherwise.\n"
    "\n"
    "  SPEC                  layers in PyTorch's notation, separated by commas,\n"
    "                        semicolons or newlines (nn. prefix, Sequential(...) and\n"
    "                        # comments allowed), or @FILE to read them from FILE\n"
    "  --input-size H[,W]    the input's height and width\n"
    "  --json                print {\"layers\": [...]} with [h, w] pairs\n"
    "  -h, --help            this text\n"
    "\n"
    "Example: convstep rf --input-size 224 'Conv2d(3, 64, 3, padding=1), ReLU(), MaxPool2d(2)'\n",
};

/* ---- text table ---- */

/* The table is built without printf (format.h writes whole numbers digit
 * by digit), so that 10,000 layers stay within issue 5's 10 ms
 * (rf_10000_ms below); each line is put together in a buffer and written
 * at once. */

enum { RF_COLUMNS = 11, RF_CELL = 72 };

/* The cells of one table row for layer i. */
static void rf_row(const LayerSpec *spec, const RfLayer *l, bool sized, char cells[RF_COLUMNS][RF_CELL])
{
    enum { RF_LAYER_CHARS = 55 };
    bool spatial = spec_is_spatial(spec);
    /* the table drops a "torch.nn." or "nn." prefix to leave room for the
     * arguments; --json keeps the layer as written */
    const char *text = spec->text;
    if (strncmp(text, "torch.", 6) == 0)
        text += 6;
    if (strncmp(text, "nn.", 3) == 0)
        text += 3;
    size_t len = strlen(text);
    if (len > RF_LAYER_CHARS) {
        memcpy(cells[0], text, RF_LAYER_CHARS - 3);
        memcpy(cells[0] + RF_LAYER_CHARS - 3, "...", 4);
    } else {
        memcpy(cells[0], text, len + 1);
    }
    if (spatial) {
        format_pair(l->kernel[0], l->kernel[1], 'x', cells[1], RF_CELL);
        format_pair(l->stride[0], l->stride[1], 'x', cells[2], RF_CELL);
        format_pair(l->padding[0], l->padding[1], 'x', cells[3], RF_CELL);
        format_pair(l->dilation[0], l->dilation[1], 'x', cells[4], RF_CELL);
    } else {
        for (int c = 1; c <= 4; c++)
            strcpy(cells[c], "-");
    }
    if (l->flat) {
        /* a vector of features: no field of its own, its size is a count */
        for (int c = 5; c <= 7; c++)
            strcpy(cells[c], "-");
        if (l->out_channels)
            *format_put_uint(cells[8], l->out_channels) = '\0';
        else
            strcpy(cells[8], "-");
    } else {
        format_pair(l->rf[0], l->rf[1], 'x', cells[5], RF_CELL);
        format_pair(l->jump[0], l->jump[1], 'x', cells[6], RF_CELL);
        format_pair(l->effective_padding[0], l->effective_padding[1], 'x', cells[7], RF_CELL);
    }
    if (l->flat) {
    } else if (sized) {
        char *end = format_put_uint(cells[8], l->out_size[0]);
        *end++ = 'x';
        end = format_put_uint(end, l->out_size[1]);
        if (l->out_channels) {
            *end++ = 'x';
            end = format_put_uint(end, l->out_channels);
        }
        *end = '\0';
    } else {
        strcpy(cells[8], "-");
    }
    format_count(l->params, cells[9], RF_CELL);
    if (sized)
        format_count(l->macs, cells[10], RF_CELL);
    else
        strcpy(cells[10], "-");
}

/* The table's cells, row after row, each cell a string with its '\0'. */
typedef struct RfCells {
    char *text;
    size_t used, cap;
} RfCells;

/* Appends one row's cells; false when out of memory. */
static bool rf_cells_add(RfCells *t, char cells[RF_COLUMNS][RF_CELL])
{
    if (t->cap - t->used < RF_COLUMNS * RF_CELL) {
        size_t cap = t->cap ? t->cap * 2 : 64 * RF_COLUMNS * RF_CELL;
        char *grown = realloc(t->text, cap);
        if (!grown)
            return false;
        t->text = grown;
        t->cap = cap;
    }
    for (int c = 0; c < RF_COLUMNS; c++) {
        size_t n = strlen(cells[c]) + 1;
        memcpy(t->text + t->used, cells[c], n);
        t->used += n;
    }
    return true;
}

/* Appends s to line at *at, right-aligned in width (left-aligned when
 * left), after `gap` spaces. */
static void rf_put_cell(char *line, size_t *at, const char *s, int width, int gap, bool left)
{
    size_t n = strlen(s), pad = (size_t)width > n ? (size_t)width - n : 0;
    memset(line + *at, ' ', (size_t)gap + (left ? 0 : pad));
    *at += (size_t)gap + (left ? 0 : pad);
    memcpy(line + *at, s, n);
    *at += n;
    if (left) {
        memset(line + *at, ' ', pad);
        *at += pad;
    }
}

/* The table of layers (with --input-size: sized) and its totals line into
 * out. False when out of memory (the message printed). */
static bool rf_print_table(FILE *out, const LayerStack *stack, const RfLayer *layers, bool sized,
                           size_t in_h, size_t in_w)
{
    static const char *const heads[RF_COLUMNS] = {
        "layer", "kernel", "stride", "padding", "dilation", "rf", "jump", "eff.pad",
        "output HxWxC", "params", "mult-adds",
    };
    char row[RF_COLUMNS][RF_CELL], number[24];
    RfCells t = {0};
    int width[RF_COLUMNS];
    unsigned long long params = 0, macs = 0;
    char a[80], b[80];
    for (int c = 0; c < RF_COLUMNS; c++)
        width[c] = (int)strlen(heads[c]);
    for (size_t i = 0; i < stack->count; i++) {
        rf_row(&stack->layers[i], &layers[i], sized, row);
        if (!rf_cells_add(&t, row)) {
            free(t.text);
            cli_fail(1, "out of memory");
            return false;
        }
        for (int c = 0; c < RF_COLUMNS; c++)
            if ((int)strlen(row[c]) > width[c])
                width[c] = (int)strlen(row[c]);
        params += layers[i].params;
        macs += layers[i].macs;
    }
    /* one line: the row number (3 wide, wider past 999), the cells with two
     * spaces before each */
    size_t line_size = sizeof number + 1;
    for (int c = 0; c < RF_COLUMNS; c++)
        line_size += 2 + (size_t)width[c];
    char *line = malloc(line_size);
    if (!line) {
        free(t.text);
        cli_fail(1, "out of memory");
        return false;
    }
    if (sized)
        fprintf(out, "input %zux%zu\n", in_h, in_w);
    size_t at = 0;
    rf_put_cell(line, &at, "#", 3, 0, false);
    for (int c = 0; c < RF_COLUMNS; c++)
        rf_put_cell(line, &at, heads[c], width[c], 2, c == 0);
    line[at++] = '\n';
    fwrite(line, 1, at, out);
    const char *cell = t.text;
    for (size_t i = 0; i < stack->count; i++) {
        at = 0;
        *format_put_uint(number, i + 1) = '\0';
        rf_put_cell(line, &at, number, 3, 0, false);
        for (int c = 0; c < RF_COLUMNS; c++) {
            rf_put_cell(line, &at, cell, width[c], 2, c == 0);
            cell += strlen(cell) + 1;
        }
        line[at++] = '\n';
        fwrite(line, 1, at, out);
    }
    free(line);
    free(t.text);
    /* the field of the last map (Flatten and Linear end the maps) */
    size_t first_flat = stack->count;
    while (first_flat > 0 && layers[first_flat - 1].flat)
        first_flat--;
    const RfLayer *last = &layers[first_flat > 0 ? first_flat - 1 : 0];
    fprintf(out, "\nreceptive field %s, jump %s", format_pair(last->rf[0], last->rf[1], 'x', a, sizeof a),
            format_pair(last->jump[0], last->jump[1], 'x', b, sizeof b));
    if (first_flat < stack->count)
        fprintf(out, " (of layer %zu, the last map: from layer %zu, %s, on the layers see a "
                "vector of features)", first_flat, first_flat + 1,
                spec_type_name(stack->layers[first_flat].type));
    fprintf(out, ", parameters %s", format_count(params, a, sizeof a));
    if (sized)
        fprintf(out, ", multiply-adds %s", format_count(macs, a, sizeof a));
    fprintf(out, "\n");
    return true;
}

/* ---- JSON ---- */

/* Sizes are whole numbers; a transposed convolution can make jumps
 * fractions (1/3), printed to ten significant digits. */
static void rf_json_pair(const char *key, double h, double w)
{
    printf(", \"%s\": [%.10g, %.10g]", key, h, w);
}

static void rf_print_json(const LayerStack *stack, const RfLayer *layers, bool sized,
                          size_t in_h, size_t in_w)
{
    printf("{");
    if (sized)
        printf("\"input_size\": [%zu, %zu], ", in_h, in_w);
    printf("\"layers\": [\n");
    for (size_t i = 0; i < stack->count; i++) {
        const RfLayer *l = &layers[i];
        printf("  {\"layer\": ");
        cli_json_string(stdout, stack->layers[i].text);
        printf(", \"name\": ");
        cli_json_string(stdout, stack->layers[i].name);
        printf(", \"type\": \"%s\"", spec_type_name(stack->layers[i].type));
        if (l->flat) {
            /* a vector of features: no field, no map size */
            printf(", \"flat\": true, \"features\": %zu", l->out_channels);
            printf(", \"params\": %llu", (unsigned long long)l->params);
            if (sized)
                printf(", \"macs\": %llu", (unsigned long long)l->macs);
            printf("}%s\n", i + 1 < stack->count ? "," : "");
            continue;
        }
        rf_json_pair("kernel", l->kernel[0], l->kernel[1]);
        rf_json_pair("stride", l->stride[0], l->stride[1]);
        rf_json_pair("padding", l->padding[0], l->padding[1]);
        rf_json_pair("dilation", l->dilation[0], l->dilation[1]);
        rf_json_pair("rf", l->rf[0], l->rf[1]);
        rf_json_pair("jump", l->jump[0], l->jump[1]);
        rf_json_pair("effective_padding", l->effective_padding[0], l->effective_padding[1]);
        if (sized)
            rf_json_pair("output_size", (double)l->out_size[0], (double)l->out_size[1]);
        printf(", \"in_channels\": %zu, \"out_channels\": %zu", l->in_channels, l->out_channels);
        printf(", \"params\": %llu", (unsigned long long)l->params);
        if (sized)
            printf(", \"macs\": %llu", (unsigned long long)l->macs);
        printf("}%s\n", i + 1 < stack->count ? "," : "");
    }
    printf("]}\n");
}

/* ---- the command ---- */

int cli_rf(int argc, char **argv)
{
    const char *size_text = NULL, *spec_arg = NULL;
    bool json = false;
    const CliOption opts[] = {
        {"--input-size", NULL, "H[,W]", &size_text, NULL},
        {"--json", NULL, NULL, NULL, &json},
    };
    int n_positional = 0;
    int rc = cli_parse(&cmd, argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), &spec_arg, 1,
                       &n_positional);
    if (rc != CLI_CONTINUE || (rc = cli_require(&cmd, spec_arg, "SPEC")) != CLI_CONTINUE)
        return rc;

    Error err = {0};
    int in_h = 0, in_w = 0;
    if (size_text && args_parse_pair("--input-size", size_text, 1, 1 << 24, &in_h, &in_w, &err) != CS_OK)
        return cli_fail(1, "%s", err.message);

    char *text = NULL;
    LayerStack stack = {0};
    RfLayer *layers = NULL;
    const char *where = spec_arg[0] == '@' ? filein_name(spec_arg + 1) : "layer spec";
    rc = 1;
    if (stack_read_spec(spec_arg, &text, &err) != CS_OK) {
        cli_fail(1, "%s", err.message);
        goto done;
    }
    if (spec_parse(text, &stack, &err) != CS_OK) {
        cli_fail(1, "%s: %s", where, err.message);
        goto done;
    }
    layers = calloc(stack.count, sizeof *layers);
    if (!layers) {
        cli_fail(1, "out of memory");
        goto done;
    }
    if (rf_compute(&stack, (size_t)in_h, (size_t)in_w, 0, layers, &err) != CS_OK) {
        cli_fail(1, "%s: %s", where, err.message);
        goto done;
    }
    if (json)
        rf_print_json(&stack, layers, size_text != NULL, (size_t)in_h, (size_t)in_w);
    else if (!rf_print_table(stdout, &stack, layers, size_text != NULL, (size_t)in_h, (size_t)in_w))
        goto done;
    rc = fflush(stdout) == 0 && !ferror(stdout) ? 0 : cli_fail(1, "cannot write to standard output");
done:
    free(layers);
    spec_free(&stack);
    free(text);
    return rc;
}

/* ---- bench: rf_10000_ms ---- */

enum { RF_BENCH_LAYERS = 10000, RF_BENCH_SIDE = 224, RF_BENCH_RUNS = 11 };

/* One `convstep rf --input-size 224 SPEC > /dev/null` without the process
 * around it: parse, work out every layer, write the table to /dev/null
 * through stdio as the command writes it to standard output. */
static Status rf_bench_once(const char *text, Error *err)
{
    LayerStack stack = {0};
    RfLayer *layers = NULL;
    FILE *out = NULL;
    Status st = spec_parse(text, &stack, err);
    if (st == CS_OK && !(layers = calloc(stack.count, sizeof *layers)))
        st = error_set(err, CS_ERR_NOMEM, "out of memory");
    if (st == CS_OK)
        st = rf_compute(&stack, RF_BENCH_SIDE, RF_BENCH_SIDE, 0, layers, err);
    if (st == CS_OK && !(out = fopen("/dev/null", "w")))
        st = error_set(err, CS_ERR_IO, "rf_10000_ms: cannot open /dev/null");
    if (st == CS_OK && !rf_print_table(out, &stack, layers, true, RF_BENCH_SIDE, RF_BENCH_SIDE))
        st = error_set(err, CS_ERR_NOMEM, "out of memory");
    if (out && fclose(out) != 0 && st == CS_OK)
        st = error_set(err, CS_ERR_IO, "rf_10000_ms: cannot write to /dev/null");
    free(layers);
    spec_free(&stack);
    return st;
}

/* 10,000 x "Conv2d(1, 1, 3, padding=1)" (224x224 all the way through):
 * one untimed run, then the median of RF_BENCH_RUNS runs in this thread's
 * CPU time (other processes on a busy machine do not count). */
Status bench_rf_10000_ms(double *value, Error *err)
{
    static const char layer[] = "Conv2d(1, 1, 3, padding=1)";
    size_t size = RF_BENCH_LAYERS * (sizeof layer + 1);
    char *text = malloc(size);
    if (!text)
        return error_set(err, CS_ERR_NOMEM, "out of memory");
    size_t used = 0;
    for (int i = 0; i < RF_BENCH_LAYERS; i++)
        used += (size_t)snprintf(text + used, size - used, "%s%s", i ? ", " : "", layer);
    double ms[RF_BENCH_RUNS];
    Status st = CS_OK;
    for (int run = -1; run < RF_BENCH_RUNS && st == CS_OK; run++) {
        double start = bench_cpu_ms();
        st = rf_bench_once(text, err);
        if (run >= 0)
            ms[run] = bench_cpu_ms() - start;
    }
    free(text);
    if (st != CS_OK)
        return st;
    *value = bench_median(ms, RF_BENCH_RUNS);
    return CS_OK;
}
