/* cli_trace.c: `convstep trace`, the arithmetic of one output cell of a
 * convolution: for every input channel the window, the weights and their
 * products, then the channel sums, bias, total and activation; as a table a
 * student can follow, or as JSON. Every number comes from the stepper's
 * trace (core/stepper.h). */
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "cli_common.h"
#include "format.h"
#include "stepper.h"

static const CliCommand cmd = {
    "trace",
    "usage: convstep trace -i INPUT -w WEIGHTS [-b BIAS.npy] [options] --at ROW,COL\n"
    "                      [--filter F] [--json]\n"
    "\n"
    "Shows how one output cell of a convolution is computed: for each input\n"
    "channel the window of input values, the weights and their products, then\n"
    "the channel sums, the bias, the total and the activation.\n"
    "\n"
    "  -i INPUT              a .npy array (C,H,W) or (1,C,H,W), or an image file\n"
    "                        (- reads standard input; any file may be a pipe)\n"
    "  -w WEIGHTS            a .npy array (F, C/G, KH, KW), or a kernel preset name\n"
    "  -b BIAS.npy           F biases (default none)\n"
    CLI_CONV_OPTIONS_HELP
    "  --at ROW,COL          the output cell (counted from 0)\n"
    "  --filter F            the filter, i.e. output channel (default 0)\n"
    "  --json                print the trace as one JSON object\n"
    "  -h, --help            this text\n"
    "\n"
    "Example: convstep trace -i photo.png -w sobel-x --padding 1 --at 10,20\n",
};

/* ---- text ---- */

enum { TRACE_BLOCKS = 3 };  /* window, weights, products */

/* The number block b (0 window, 1 weights, 2 products) shows for cell c. */
static double trace_cell_value(const TraceCell *c, int block)
{
    return block == 0 ? c->value : block == 1 ? c->weight : c->product;
}

/* True when every number of block b is whole: the block is then printed
 * without decimals, otherwise every number gets four, so that the decimal
 * points line up. */
static bool trace_block_whole(const Trace *t, const TraceChannel *ch, int block)
{
    for (int i = 0; i < t->kh * t->kw; i++) {
        double v = trace_cell_value(&ch->cells[i], block);
        if (!((ch->cells[i].flags & CELL_SKIP) && block != 1) && isfinite(v) && v != floor(v))
            return false;
    }
    return true;
}

/* The text of one cell of block b; padding cells of the window in brackets,
 * taps no input cell lands on as ".". */
static void trace_cell_text(const TraceCell *c, int block, bool whole, char *buf, size_t size)
{
    char num[40];
    double v = trace_cell_value(c, block);
    if ((c->flags & CELL_SKIP) && block != 1) {
        snprintf(buf, size, ".");
        return;
    }
    if (whole || !isfinite(v))
        format_number(v, num, sizeof num);
    else
        snprintf(num, sizeof num, fabs(v) < 1e5 ? "%.4f" : "%.4g", v);
    if (block == 0 && (c->flags & CELL_PAD))
        snprintf(buf, size, "[%s]", num);
    else
        snprintf(buf, size, "%s", num);
}

/* "1..3" for consecutive coordinates, "0,2,4" otherwise; TRACE_NONE is
 * written "." (a transposed convolution's row or column that no input cell
 * lands on). */
#define TRACE_NONE INT_MIN

static void trace_coords_text(const int *v, int n, char *buf, size_t size)
{
    bool consecutive = true;
    for (int i = 1; i < n; i++)
        consecutive = consecutive && v[i - 1] != TRACE_NONE && v[i] == v[i - 1] + 1;
    if (n > 1 && consecutive) {
        snprintf(buf, size, "%d..%d", v[0], v[n - 1]);
        return;
    }
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && used < size; i++) {
        const char *sep = i ? "," : "";
        if (v[i] == TRACE_NONE)
            used += (size_t)snprintf(buf + used, size - used, "%s.", sep);
        else
            used += (size_t)snprintf(buf + used, size - used, "%s%d", sep, v[i]);
    }
}

/* The input rows and columns the window covers, from its cells: a row's
 * coordinate is that of its first cell an input cell lands on. */
static void trace_window_coords(const Trace *t, const TraceChannel *ch, char *rows, char *cols,
                                size_t size)
{
    enum { MAX_SIDE = 64 };
    int r[MAX_SIDE], c[MAX_SIDE];
    int nr = t->kh < MAX_SIDE ? t->kh : MAX_SIDE, nc = t->kw < MAX_SIDE ? t->kw : MAX_SIDE;
    for (int i = 0; i < nr; i++)
        r[i] = TRACE_NONE;
    for (int i = 0; i < nc; i++)
        c[i] = TRACE_NONE;
    for (int ky = 0; ky < nr; ky++) {
        for (int kx = 0; kx < nc; kx++) {
            const TraceCell *cell = &ch->cells[ky * t->kw + kx];
            if (cell->flags & CELL_SKIP)
                continue;
            if (r[ky] == TRACE_NONE)
                r[ky] = cell->iy;
            if (c[kx] == TRACE_NONE)
                c[kx] = cell->ix;
        }
    }
    trace_coords_text(r, nr, rows, size);
    trace_coords_text(c, nc, cols, size);
}

static void trace_print_channel(const Trace *t, const TraceChannel *ch)
{
    static const char *const titles[TRACE_BLOCKS] = {"window", "weights", "products"};
    static const char *const after[TRACE_BLOCKS] = {" x ", " = ", "\n"};
    char text[48], rows[200], cols[200];
    int cell[TRACE_BLOCKS], width[TRACE_BLOCKS];
    bool whole[TRACE_BLOCKS];
    for (int b = 0; b < TRACE_BLOCKS; b++) {
        whole[b] = trace_block_whole(t, ch, b);
        cell[b] = 1;
        for (int i = 0; i < t->kh * t->kw; i++) {
            trace_cell_text(&ch->cells[i], b, whole[b], text, sizeof text);
            if ((int)strlen(text) + 1 > cell[b])
                cell[b] = (int)strlen(text) + 1;
        }
        width[b] = cell[b] * t->kw;
        if (width[b] < (int)strlen(titles[b]) + 1)
            width[b] = (int)strlen(titles[b]) + 1;
    }
    trace_window_coords(t, ch, rows, cols, sizeof rows);
    printf("input channel %d: rows %s, columns %s\n", ch->channel, rows, cols);
    printf("  ");
    for (int b = 0; b + 1 < TRACE_BLOCKS; b++)
        printf(" %-*s   ", width[b] - 1, titles[b]);
    printf(" %s\n", titles[TRACE_BLOCKS - 1]);
    for (int ky = 0; ky < t->kh; ky++) {
        printf("  ");
        for (int b = 0; b < TRACE_BLOCKS; b++) {
            printf("%*s", width[b] - cell[b] * t->kw, "");
            for (int kx = 0; kx < t->kw; kx++) {
                trace_cell_text(&ch->cells[ky * t->kw + kx], b, whole[b], text, sizeof text);
                printf("%*s", cell[b], text);
            }
            printf("%s", after[b]);
        }
    }
    printf("  sum of products: %s\n\n", format_number(ch->sum, text, sizeof text));
}

static void trace_print_text(const Trace *t, const ConvParams *p, const char *input_text,
                             size_t out_h, size_t out_w, size_t filters)
{
    char a[48], b[48], pad[96];
    printf("%s: output row %d, column %d of filter %d (output %zux%zu, %zu filter%s)\n",
           t->kind == LAYER_CONV_TRANSPOSED ? "transposed convolution" : "convolution",
           t->out_y, t->out_x, t->filter, out_h, out_w, filters, filters == 1 ? "" : "s");
    if (t->pad.top == t->pad.bottom && t->pad.left == t->pad.right)
        format_pair(t->pad.top, t->pad.left, ',', pad, sizeof pad);
    else
        snprintf(pad, sizeof pad, "top %d, bottom %d, left %d, right %d", t->pad.top,
                 t->pad.bottom, t->pad.left, t->pad.right);
    printf("input %s, kernel %dx%d, stride %s, padding %s (%s), dilation %s\n", input_text,
           t->kh, t->kw, format_pair(t->stride_h, t->stride_w, ',', a, sizeof a), pad,
           geom_pad_mode_name(p->pad_mode), format_pair(t->dilation_h, t->dilation_w, ',', b, sizeof b));
    int flags = 0;
    for (int c = 0; c < t->n_channels; c++)
        for (int i = 0; i < t->kh * t->kw; i++)
            flags |= t->channels[c].cells[i].flags;
    static const char *const pad_values[] = {
        [PADMODE_ZEROS] = "zero",
        [PADMODE_REFLECT] = "the input mirrored at its edge, without repeating the edge",
        [PADMODE_REPLICATE] = "the nearest edge cell repeated",
        [PADMODE_CIRCULAR] = "the input wrapped around from the opposite side",
    };
    if (flags & CELL_PAD)
        printf("[v] is a padding cell: %s\n", pad_values[p->pad_mode]);
    if (flags & CELL_SKIP)
        printf(". is a tap that no input cell lands on (the stride's gaps)\n");
    printf("\n");
    for (int c = 0; c < t->n_channels; c++)
        trace_print_channel(t, &t->channels[c]);

    printf("channel sums:  ");
    for (int c = 0; c < t->n_channels; c++)
        printf("%s%s", c ? " + " : "", format_number(t->channels[c].sum, a, sizeof a));
    printf("\n");
    printf("bias:          %s\n", t->has_bias ? format_number(t->bias, a, sizeof a) : "none");
    printf("total:         %s\n", format_number(t->total, a, sizeof a));
    if (t->act.kind != ACT_NONE) {
        act_label(t->act, b, sizeof b);
        printf("activation:    %s: %s -> %s\n", b, format_number(t->total, pad, sizeof pad),
               format_number(t->activated, a, sizeof a));
    }
    printf("output[%d][%d][%d] = %s\n", t->filter, t->out_y, t->out_x,
           format_number(t->activated, a, sizeof a));
}

/* ---- JSON ---- */

/* A kh x kw grid of one field of the cells as a JSON array of rows. */
static void trace_json_grid(const Trace *t, const TraceChannel *ch, int field)
{
    printf("[");
    for (int ky = 0; ky < t->kh; ky++) {
        printf("%s[", ky ? ", " : "");
        for (int kx = 0; kx < t->kw; kx++) {
            const TraceCell *c = &ch->cells[ky * t->kw + kx];
            printf("%s", kx ? ", " : "");
            if (field == 0)
                cli_json_float(stdout, c->value);
            else if (field == 1)
                cli_json_float(stdout, c->weight);
            else if (field == 2)
                cli_json_float(stdout, c->product);
            else
                printf("%s", (c->flags & (field == 3 ? CELL_PAD : CELL_SKIP)) ? "true" : "false");
        }
        printf("]");
    }
    printf("]");
}

static void trace_print_json(const Trace *t)
{
    static const char *const fields[] = {"window", "weights", "products", "padded", "skipped"};
    int n_fields = t->kind == LAYER_CONV_TRANSPOSED ? 5 : 4;
    printf("{\"layer\": \"%s\", \"output\": [%d, %d], \"filter\": %d,\n",
           t->kind == LAYER_CONV_TRANSPOSED ? "conv_transposed" : "conv", t->out_y, t->out_x,
           t->filter);
    printf(" \"kernel\": [%d, %d], \"stride\": [%d, %d], \"dilation\": [%d, %d],\n", t->kh, t->kw,
           t->stride_h, t->stride_w, t->dilation_h, t->dilation_w);
    printf(" \"padding\": {\"top\": %d, \"bottom\": %d, \"left\": %d, \"right\": %d},\n",
           t->pad.top, t->pad.bottom, t->pad.left, t->pad.right);
    printf(" \"channels\": [\n");
    for (int c = 0; c < t->n_channels; c++) {
        const TraceChannel *ch = &t->channels[c];
        printf("  {\"channel\": %d, \"rows\": [", ch->channel);
        for (int ky = 0; ky < t->kh; ky++)
            printf("%s%d", ky ? ", " : "", ch->cells[ky * t->kw].iy);
        printf("], \"cols\": [");
        for (int kx = 0; kx < t->kw; kx++)
            printf("%s%d", kx ? ", " : "", ch->cells[kx].ix);
        printf("],\n");
        for (int f = 0; f < n_fields; f++) {
            printf("   \"%s\": ", fields[f]);
            trace_json_grid(t, ch, f);
            printf(",\n");
        }
        printf("   \"sum\": ");
        cli_json_float(stdout, ch->sum);
        printf("}%s\n", c + 1 < t->n_channels ? "," : "");
    }
    printf(" ],\n \"bias\": ");
    if (t->has_bias)
        cli_json_float(stdout, t->bias);
    else
        printf("null");
    printf(", \"total\": ");
    cli_json_float(stdout, t->total);
    printf(", \"activation\": \"%s\", \"activated\": ", act_name(t->act.kind));
    cli_json_float(stdout, t->activated);
    printf("}\n");
}

/* ---- the command ---- */

int cli_trace(int argc, char **argv)
{
    const char *input_path = NULL, *weights_path = NULL, *bias_path = NULL;
    const char *at = NULL, *filter_text = NULL;
    bool json = false;
    CliConvText text = {0};
    CliOption opts[6 + CLI_CONV_OPTION_COUNT] = {
        {"-i", "--input", "INPUT", &input_path, NULL},
        {"-w", "--weights", "WEIGHTS", &weights_path, NULL},
        {"-b", "--bias", "BIAS.npy", &bias_path, NULL},
        {"--at", NULL, "ROW,COL", &at, NULL},
        {"--filter", NULL, "F", &filter_text, NULL},
        {"--json", NULL, NULL, NULL, &json},
    };
    cli_conv_options(&text, opts + 6);
    int rc = cli_parse(&cmd, argc, argv, opts, 6 + CLI_CONV_OPTION_COUNT, NULL, 0, NULL);
    if (rc != CLI_CONTINUE ||
        (rc = cli_require(&cmd, input_path, "-i INPUT")) != CLI_CONTINUE ||
        (rc = cli_require(&cmd, weights_path, "-w WEIGHTS")) != CLI_CONTINUE ||
        (rc = cli_require(&cmd, at, "--at ROW,COL")) != CLI_CONTINUE)
        return rc;

    StepperConfig cfg = {0};
    Error err = {0};
    int row, col;
    long filter = 0;
    if ((rc = cli_conv_params(&text, &cfg.conv, &cfg.act)) != CLI_CONTINUE)
        return rc;
    if (args_parse_cell("--at", at, &row, &col, &err) != CS_OK ||
        (filter_text && args_parse_int("--filter", filter_text, 0, 1 << 30, &filter, &err) != CS_OK))
        return cli_fail(1, "%s", err.message);

    Tensor input = {0}, weights = {0}, bias = {0};
    Stepper *stepper = NULL;
    char shape[64];
    size_t out_h, out_w, filters;
    rc = 1;
    if (cli_load_input(input_path, &input) != CLI_CONTINUE ||
        cli_load_weights(weights_path, input.c, cfg.conv.groups, cfg.conv.transposed, &weights) != CLI_CONTINUE ||
        cli_load_bias(bias_path, &bias) != CLI_CONTINUE ||
        cli_check_conv(&input, &weights, bias_path ? &bias : NULL, &cfg.conv, input_path,
                       weights_path) != CLI_CONTINUE)
        goto done;
    cfg.kind = cfg.conv.transposed ? LAYER_CONV_TRANSPOSED : LAYER_CONV;
    cfg.input = &input;
    cfg.weights = &weights;
    cfg.bias = bias_path ? &bias : NULL;
    cfg.granularity = STEP_POSITION;
    if (stepper_create(&cfg, &stepper, &err) != CS_OK) {
        cli_fail(1, "%s", err.message);
        goto done;
    }
    stepper_output_size(stepper, &out_h, &out_w, &filters);
    if ((size_t)row >= out_h || (size_t)col >= out_w) {
        cli_fail(1, "--at %d,%d is outside the output, which is %zux%zu (rows 0-%zu, columns 0-%zu)",
                 row, col, out_h, out_w, out_h - 1, out_w - 1);
        goto done;
    }
    if ((size_t)filter >= filters) {
        cli_fail(1, "--filter %ld: the layer has %zu filter%s (0-%zu)", filter, filters,
                 filters == 1 ? "" : "s", filters - 1);
        goto done;
    }
    stepper_seek(stepper, stepper_index_of(stepper, row, col, (int)filter));
    tensor_shape_text(&input, shape, sizeof shape);
    if (json)
        trace_print_json(stepper_trace(stepper));
    else
        trace_print_text(stepper_trace(stepper), &cfg.conv, shape, out_h, out_w, filters);
    rc = fflush(stdout) == 0 && !ferror(stdout) ? 0 : cli_fail(1, "cannot write the trace to standard output");
done:
    stepper_destroy(stepper);
    tensor_free(&input);
    tensor_free(&weights);
    tensor_free(&bias);
    return rc;
}
