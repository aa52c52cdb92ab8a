/* cli_common.h: what the commands share: one option parser that words every
 * usage error the same way, the convolution options of `conv` and `trace`,
 * loading inputs and weights, writing .npy output atomically, and JSON
 * numbers. Every function that fails has already printed its one
 * "convstep: ..." line and returns the exit status to use. */
#ifndef CONVSTEP_CLI_COMMON_H
#define CONVSTEP_CLI_COMMON_H

#include <stdbool.h>
#include <stdio.h>

#include "act.h"
#include "fileout.h"
#include "geom.h"
#include "tensor.h"

/* A command's name ("conv") and its full --help text. */
typedef struct CliCommand {
    const char *name;
    const char *usage;
} CliCommand;

/* One option. name is "-i" or "--stride"; alias a second spelling or NULL.
 * An option with a metavar takes a value (stored in *value, the last one
 * given wins); one without is a flag (*flag set to true). */
typedef struct CliOption {
    const char *name;
    const char *alias;
    const char *metavar;
    const char **value;
    bool *flag;
} CliOption;

/* cli_parse's "go on" result; anything else is the exit status to return. */
#define CLI_CONTINUE (-1)

/* Parses argv[1..argc-1] (argv[0] is the command name) against opts[0..n-1].
 * Accepts "--opt VALUE", "--opt=VALUE", "-i VALUE" and "--" (the end of
 * options). Words that are not options go to positional[0..max_positional-1]
 * (*n_positional counts them; it may be NULL when max_positional is 0).
 * Returns CLI_CONTINUE; or 0 after printing the usage for -h/--help; or 2
 * after a usage error (unknown option, missing value, extra argument). */
int cli_parse(const CliCommand *cmd, int argc, char **argv, const CliOption *opts, int n,
              const char **positional, int max_positional, int *n_positional);

/* Prints "convstep: CMD: MESSAGE (see 'convstep CMD --help')" and returns 2. */
int cli_usage_error(const CliCommand *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Fails with a usage error naming what is missing when value is NULL;
 * returns CLI_CONTINUE otherwise. what is e.g. "-i INPUT". */
int cli_require(const CliCommand *cmd, const char *value, const char *what);

/* ---- convolution options (conv, trace) ---- */

/* The option texts of a convolution layer, before parsing. */
typedef struct CliConvText {
    const char *stride, *padding, *padding_mode, *dilation, *groups;
    const char *output_padding, *activation;
    bool transposed;
} CliConvText;

/* Number of rows cli_conv_options writes. */
#define CLI_CONV_OPTION_COUNT 8

/* Writes the option rows for --stride, --padding, --padding-mode,
 * --dilation, --groups, --transposed, --output-padding and --activation
 * into rows (CLI_CONV_OPTION_COUNT of them), pointing at t's fields. */
void cli_conv_options(CliConvText *t, CliOption *rows);

/* The usage lines for those options, for a command's --help text. */
#define CLI_CONV_OPTIONS_HELP \
    "  --stride S            step between windows: N or H,W (default 1)\n" \
    "  --padding P           N, H,W, valid, same or full (default 0)\n" \
    "  --padding-mode M      zeros, reflect, replicate or circular (default zeros)\n" \
    "  --dilation D          gap between kernel taps: N or H,W (default 1)\n" \
    "  --groups G            split channels into G groups (default 1; G = C is depthwise)\n" \
    "  --transposed          a transposed convolution (weights are C x F/G x KH x KW)\n" \
    "  --output-padding OP   transposed only: extra rows/columns at the bottom/right\n" \
    "  --activation A        none, relu, leaky_relu, sigmoid or tanh (default none)\n"

/* Turns the texts into ConvParams and an Activation (defaults for the
 * options not given). On a bad value prints the one error line and returns
 * 1; otherwise CLI_CONTINUE. */
int cli_conv_params(const CliConvText *t, ConvParams *p, Activation *act);

/* Checks before computing that the weights and bias fit the input
 * (conv_check) and that the output fits the .npy limit (NPY_MAX_ELEMENTS),
 * naming the files in the message. Returns CLI_CONTINUE or 1. */
int cli_check_conv(const Tensor *input, const Tensor *weights, const Tensor *bias,
                   const ConvParams *p, const char *input_path, const char *weights_path);

/* ---- files ---- */

/* Loads an input (.npy or image) with input_load (core/input.h), which
 * refuses anything but one image. Returns CLI_CONTINUE or 1 (message printed). */
int cli_load_input(const char *path, Tensor *out);

/* Loads weights from a .npy file; a name that is not a file but a kernel
 * preset ("sobel-x", "blur", ...; core/kernels.h) builds that preset for an
 * input of `channels` channels: `groups` filters of channels/groups slices
 * (transposed: channels x 1). Returns CLI_CONTINUE or 1. */
int cli_load_weights(const char *path, size_t channels, int groups, bool transposed, Tensor *out);

/* Loads an optional bias .npy (path NULL leaves *out empty). */
int cli_load_bias(const char *path, Tensor *out);

/* Runs handler on SIGINT, SIGTERM and SIGHUP (the signals that end a
 * command at a terminal or from a script). */
void cli_on_stop_signals(void (*handler)(int));

/* Opens the output through fileout (a temporary file beside path; an
 * existing path is refused unless force) and arranges for Ctrl-C and
 * SIGTERM to remove the temporary file. Returns CLI_CONTINUE or 1. */
int cli_output_open(FileOut *fo, const char *path, bool force);

/* Writes t as float32 .npy to fo and renames it into place; on failure the
 * temporary file is removed. Returns 0 or 1. */
int cli_output_commit(FileOut *fo, const Tensor *t);

/* Removes the temporary file of an output that will not be finished. */
void cli_output_abort(FileOut *fo);

/* ---- printing ---- */

/* A float for JSON: shortest form that reads back as the same float
 * ("%.9g" trimmed), or null for NaN and infinities. */
void cli_json_float(FILE *f, double v);

/* A JSON string with quotes and escapes. */
void cli_json_string(FILE *f, const char *s);

#endif
