/* cli_common.c: the option parser, convolution options, file loading and
 * atomic output shared by the commands (see cli_common.h). Start at
 * cli_parse; the rest are small helpers in the order a command uses them. */
#include "cli_common.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "conv.h"
#include "input.h"
#include "kernels.h"
#include "npy.h"

/* ---- errors ---- */

/* Prints "convstep: " + the formatted message (newlines become spaces) on
 * one line of stderr. */
static void cli_vprint_error(const char *prefix, const char *fmt, va_list ap, const char *suffix)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    for (char *c = msg; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    fprintf(stderr, "convstep: %s%s%s\n", prefix, msg, suffix);
}

int cli_fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_vprint_error("", fmt, ap, "");
    va_end(ap);
    return status;
}

int cli_usage_error(const CliCommand *cmd, const char *fmt, ...)
{
    char prefix[64], suffix[96];
    va_list ap;
    snprintf(prefix, sizeof prefix, "%s: ", cmd->name);
    snprintf(suffix, sizeof suffix, " (see 'convstep %s --help')", cmd->name);
    va_start(ap, fmt);
    cli_vprint_error(prefix, fmt, ap, suffix);
    va_end(ap);
    return 2;
}

int cli_require(const CliCommand *cmd, const char *value, const char *what)
{
    if (value)
        return CLI_CONTINUE;
    return cli_usage_error(cmd, "missing %s", what);
}

/* ---- option parsing ---- */

/* The option named by word (up to len characters), or NULL. */
static const CliOption *cli_find_option(const CliOption *opts, int n, const char *word, size_t len)
{
    for (int i = 0; i < n; i++) {
        const char *names[2] = {opts[i].name, opts[i].alias};
        for (int k = 0; k < 2; k++)
            if (names[k] && strlen(names[k]) == len && strncmp(names[k], word, len) == 0)
                return &opts[i];
    }
    return NULL;
}

int cli_parse(const CliCommand *cmd, int argc, char **argv, const CliOption *opts, int n,
              const char **positional, int max_positional, int *n_positional)
{
    int count = 0;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *word = argv[i];
        if (options_done || word[0] != '-' || word[1] == '\0') {
            if (count >= max_positional)
                return cli_usage_error(cmd, "unexpected argument '%s'", word);
            positional[count++] = word;
            continue;
        }
        if (strcmp(word, "--") == 0) {
            options_done = true;
            continue;
        }
        if (strcmp(word, "-h") == 0 || strcmp(word, "--help") == 0) {
            fputs(cmd->usage, stdout);
            return 0;
        }
        const char *eq = strncmp(word, "--", 2) == 0 ? strchr(word, '=') : NULL;
        size_t len = eq ? (size_t)(eq - word) : strlen(word);
        const CliOption *opt = cli_find_option(opts, n, word, len);
        if (!opt)
            return cli_usage_error(cmd, "unknown option '%.*s'", (int)len, word);
        if (!opt->metavar) {
            if (eq)
                return cli_usage_error(cmd, "%s takes no value", opt->name);
            *opt->flag = true;
            continue;
        }
        if (eq) {
            *opt->value = eq + 1;
        } else {
            if (i + 1 >= argc)
                return cli_usage_error(cmd, "%s needs a value (%s)", opt->name, opt->metavar);
            *opt->value = argv[++i];
        }
    }
    if (n_positional)
        *n_positional = count;
    return CLI_CONTINUE;
}

/* ---- convolution options ---- */

void cli_conv_options(CliConvText *t, CliOption *rows)
{
    const CliOption table[CLI_CONV_OPTION_COUNT] = {
        {"--stride", NULL, "S", &t->stride, NULL},
        {"--padding", NULL, "P", &t->padding, NULL},
        {"--padding-mode", NULL, "M", &t->padding_mode, NULL},
        {"--dilation", NULL, "D", &t->dilation, NULL},
        {"--groups", NULL, "G", &t->groups, NULL},
        {"--transposed", NULL, NULL, NULL, &t->transposed},
        {"--output-padding", NULL, "OP", &t->output_padding, NULL},
        {"--activation", "--act", "A", &t->activation, NULL},
    };
    memcpy(rows, table, sizeof table);
}

int cli_conv_params(const CliConvText *t, ConvParams *p, Activation *act)
{
    Error err = {0};
    long groups;
    *p = geom_conv_defaults();
    *act = (Activation){ACT_NONE, 0.01f};
    p->transposed = t->transposed;
    if ((t->stride && args_parse_pair("--stride", t->stride, 1, 1 << 20, &p->stride_h, &p->stride_w, &err)) ||
        (t->padding && args_parse_padding("--padding", t->padding, &p->padding, &err)) ||
        (t->padding_mode && args_parse_pad_mode("--padding-mode", t->padding_mode, &p->pad_mode, &err)) ||
        (t->dilation && args_parse_pair("--dilation", t->dilation, 1, 1 << 20, &p->dilation_h, &p->dilation_w, &err)) ||
        (t->output_padding && args_parse_pair("--output-padding", t->output_padding, 0, 1 << 20,
                                              &p->output_padding_h, &p->output_padding_w, &err)))
        return cli_fail(1, "%s", err.message);
    if (t->groups) {
        if (args_parse_int("--groups", t->groups, 1, 1 << 20, &groups, &err))
            return cli_fail(1, "%s", err.message);
        p->groups = (int)groups;
    }
    if (t->output_padding && !t->transposed)
        return cli_fail(1, "--output-padding needs --transposed");
    if (t->activation && !act_parse(t->activation, &act->kind))
        return cli_fail(1, "--activation: expected none, relu, leaky_relu, sigmoid or tanh, got '%s'",
                        t->activation);
    return CLI_CONTINUE;
}

int cli_check_conv(const Tensor *input, const Tensor *weights, const Tensor *bias,
                   const ConvParams *p, const char *input_path, const char *weights_path)
{
    Error err = {0};
    size_t filters, out_h, out_w;
    size_t kh = weights->h, kw = weights->w;
    if (conv_check(input, weights, bias, p, &filters, &err) != CS_OK)
        return cli_fail(1, "%s does not fit %s: %s", weights_path, input_path, err.message);
    if (geom_conv_output(p, input->h, input->w, kh, kw, &out_h, &out_w, &err) != CS_OK)
        return cli_fail(1, "%s", err.message);
    if (out_h * out_w > NPY_MAX_ELEMENTS / filters)
        return cli_fail(1, "the output %zux%zux%zu would have more than %zu values, the limit",
                        filters, out_h, out_w, (size_t)NPY_MAX_ELEMENTS);
    return CLI_CONTINUE;
}

/* ---- loading ---- */

int cli_load_input(const char *path, Tensor *out)
{
    Error err = {0};
    if (input_load(path, NULL, out, NULL, &err) != CS_OK)
        return cli_fail(1, "%s", err.message);
    return CLI_CONTINUE;
}

int cli_load_weights(const char *path, size_t channels, int groups, bool transposed, Tensor *out)
{
    Error err = {0};
    struct stat st;
    int preset = kernels_preset_find(path);
    if (preset >= 0 && stat(path, &st) != 0) {
        size_t filters = transposed ? channels : (size_t)groups;
        size_t slices = transposed ? 1 : channels / (size_t)groups;
        if (slices == 0)
            slices = channels;
        if (kernels_preset_weights(preset, filters, slices, out, &err) != CS_OK)
            return cli_fail(1, "%s", err.message);
        return CLI_CONTINUE;
    }
    if (npy_read(path, out, &err) != CS_OK)
        return cli_fail(1, "%s", err.message);
    return CLI_CONTINUE;
}

int cli_load_bias(const char *path, Tensor *out)
{
    Error err = {0};
    if (!path)
        return CLI_CONTINUE;
    if (npy_read(path, out, &err) != CS_OK)
        return cli_fail(1, "%s", err.message);
    return CLI_CONTINUE;
}

/* ---- atomic output ---- */

/* The temporary files being written (a command may write several, e.g.
 * conv's -o and its gradients), for the signal handler. File-scope
 * because a signal handler receives no context; they are only read there
 * (unlink is async-signal-safe). */
#define CLI_MAX_OUTPUTS 8
static const char *volatile cli_temp_paths[CLI_MAX_OUTPUTS];

static void cli_on_signal(int sig)
{
    for (size_t i = 0; i < CLI_MAX_OUTPUTS; i++) {
        const char *path = cli_temp_paths[i];
        if (path)
            unlink(path);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Stops the signal handler removing fo's temporary file. */
static void cli_temp_forget(const FileOut *fo)
{
    for (size_t i = 0; i < CLI_MAX_OUTPUTS; i++)
        if (cli_temp_paths[i] == fileout_temp_path(fo))
            cli_temp_paths[i] = NULL;
}

void cli_on_stop_signals(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int cli_output_open(FileOut *fo, const char *path, bool force)
{
    Error err = {0};
    struct stat st;
    if (fileout_open(fo, path, force, &err) != CS_OK) {
        if (!force && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            return cli_fail(1, "%s already exists (use --force to replace it)", path);
        return cli_fail(1, "%s", err.message);
    }
    for (size_t i = 0; i < CLI_MAX_OUTPUTS; i++)
        if (!cli_temp_paths[i]) {
            cli_temp_paths[i] = fileout_temp_path(fo);
            break;
        }
    cli_on_stop_signals(cli_on_signal);
    return CLI_CONTINUE;
}

int cli_output_commit(FileOut *fo, const Tensor *t)
{
    Error err = {0};
    Status st = npy_write_stream(fo->stream, fo->final_path, t, &err);
    if (st == CS_OK)
        st = fileout_commit(fo, &err);
    else
        fileout_abort(fo);
    cli_temp_forget(fo);
    if (st != CS_OK)
        return cli_fail(1, "%s", err.message);
    return 0;
}

void cli_output_abort(FileOut *fo)
{
    cli_temp_forget(fo);
    fileout_abort(fo);
}

/* ---- printing ---- */

void cli_json_float(FILE *f, double v)
{
    char buf[40];
    if (!isfinite(v)) {
        fputs("null", f);
        return;
    }
    /* the fewest digits that read back as the same float32 */
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, v);
        if ((float)strtod(buf, NULL) == (float)v)
            break;
    }
    fputs(buf, f);
}

void cli_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c < 0x20)
            fprintf(f, "\\u%04x", *c);
        else
            fputc(*c, f);
    }
    fputc('"', f);
}
