/* cli_conv.c: `convstep conv`, one convolution layer from files to files:
 * load the input and the weights, compute, write OUT.npy atomically; with
 * --grad-output, also the layer's backward pass for that upstream gradient
 * (core/conv_grad.h), each requested gradient written atomically as well. */
#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "cli_common.h"
#include "conv.h"
#include "conv_grad.h"
#include "npy.h"

static const CliCommand cmd = {
    "conv",
    "usage: convstep conv -i INPUT -w WEIGHTS [-b BIAS.npy] [options] -o OUT.npy\n"
    "\n"
    "Computes one convolution layer as PyTorch's conv2d (or conv_transpose2d) and\n"
    "writes the result as a float32 .npy file.\n"
    "\n"
    "  -i INPUT              a .npy array (C,H,W) or (1,C,H,W), or an image file\n"
    "                        (PNG, JPEG, BMP, GIF, ...: its channels, values 0-255)\n"
    "                        (- reads standard input; any file may be a pipe)\n"
    "  -w WEIGHTS            a .npy array (F, C/G, KH, KW), or a kernel preset name\n"
    "                        (identity, blur, gaussian-3, sharpen, sobel-x, ...)\n"
    "  -b BIAS.npy           F biases (default none)\n"
    CLI_CONV_OPTIONS_HELP
    "  -o OUT.npy            the output, shaped (F,OH,OW), or (1,F,OH,OW) for a\n"
    "                        rank-4 input; written to a temporary name, then renamed\n"
    "  --grad-output G.npy   run the backward pass for this gradient of the loss\n"
    "                        with respect to the output (shaped like OUT, before any\n"
    "                        activation: not with --activation), and write:\n"
    "  --grad-input F        the gradient with respect to the input (its shape)\n"
    "  --grad-weight F       ... with respect to the weights (their shape)\n"
    "  --grad-bias F         ... with respect to the bias, (F,)\n"
    "                        (PyTorch autograd's numbers; at least one of the three)\n"
    "  --force               replace OUT.npy (and the gradient files) if they exist\n"
    "                        (refused otherwise)\n"
    "  -h, --help            this text\n"
    "\n"
    "Example: convstep conv -i photo.png -w sobel-x --padding 1 -o edges.npy\n",
};

/* The backward pass's files. */
typedef struct ConvGradFiles {
    const char *output;             /* --grad-output */
    const char *path[3];            /* --grad-input, --grad-weight, --grad-bias */
} ConvGradFiles;

/* Checks the gradient options together: any of --grad-input,
 * --grad-weight, --grad-bias needs --grad-output, which needs one of them,
 * and the gradient is the layer's own, so not with an activation. Returns
 * CLI_CONTINUE or 2. */
static int conv_grad_usage(const ConvGradFiles *g, Activation act)
{
    static const char *names[3] = {"--grad-input", "--grad-weight", "--grad-bias"};
    const bool any = g->path[0] || g->path[1] || g->path[2];
    for (int i = 0; i < 3; i++)
        if (g->path[i] && !g->output)
            return cli_usage_error(&cmd, "%s needs --grad-output G.npy", names[i]);
    if (g->output && !any)
        return cli_usage_error(&cmd, "--grad-output needs --grad-input, --grad-weight or --grad-bias");
    if (g->output && act.kind != ACT_NONE)
        return cli_usage_error(&cmd, "--grad-output is the gradient of the layer's own output: not with --activation");
    return CLI_CONTINUE;
}

/* Loads --grad-output and checks it is shaped like the output (one image
 * of f x oh x ow, as (F,OH,OW) or (1,F,OH,OW)). Returns CLI_CONTINUE or 1. */
static int conv_grad_load(const char *path, const Tensor *out, Tensor *g)
{
    Error err = {0};
    char want[64], got[64];
    if (npy_read(path, g, &err) != CS_OK)
        return cli_fail(1, "%s", err.message);
    if (g->n == out->n && g->c == out->c && g->h == out->h && g->w == out->w)
        return CLI_CONTINUE;
    tensor_shape_text(g, got, sizeof got);
    tensor_shape_text(out, want, sizeof want);
    return cli_fail(1, "%s: the gradient is %s but the layer's output is %s", path, got, want);
}

/* Runs the backward pass into grads[0..2] (input, weight, bias; only
 * those with a path) and writes them through fo[0..2], which are open.
 * Returns 0 or 1 (the files not written are aborted by the caller). */
static int conv_grad_compute(const ConvGradFiles *files, const Tensor *input, const Tensor *weights,
                             const ConvParams *p, const Tensor *grad_output, Tensor grads[3])
{
    Error err = {0};
    Tensor g4 = *grad_output;
    g4.rank = 4;
    if ((files->path[1] && tensor_init(&grads[1], weights->n, weights->c, weights->h, weights->w, weights->rank,
                                       &err) != CS_OK) ||
        (files->path[2] && tensor_init(&grads[2], 1, 1, 1, grad_output->c, 1, &err) != CS_OK) ||
        conv_backward(input, weights, p, &g4, files->path[0] ? &grads[0] : NULL, files->path[1] ? &grads[1] : NULL,
                      files->path[2] ? &grads[2] : NULL, &err) != CS_OK)
        return cli_fail(1, "%s", err.message);
    return 0;
}

int cli_conv(int argc, char **argv)
{
    const char *input_path = NULL, *weights_path = NULL, *bias_path = NULL, *out_path = NULL;
    bool force = false;
    CliConvText text = {0};
    ConvGradFiles gf = {0};
    CliOption opts[9 + CLI_CONV_OPTION_COUNT] = {
        {"-i", "--input", "INPUT", &input_path, NULL},
        {"-w", "--weights", "WEIGHTS", &weights_path, NULL},
        {"-b", "--bias", "BIAS.npy", &bias_path, NULL},
        {"-o", "--output", "OUT.npy", &out_path, NULL},
        {"--force", NULL, NULL, NULL, &force},
        {"--grad-output", NULL, "G.npy", &gf.output, NULL},
        {"--grad-input", NULL, "F", &gf.path[0], NULL},
        {"--grad-weight", NULL, "F", &gf.path[1], NULL},
        {"--grad-bias", NULL, "F", &gf.path[2], NULL},
    };
    cli_conv_options(&text, opts + 9);
    int rc = cli_parse(&cmd, argc, argv, opts, 9 + CLI_CONV_OPTION_COUNT, NULL, 0, NULL);
    if (rc != CLI_CONTINUE ||
        (rc = cli_require(&cmd, input_path, "-i INPUT")) != CLI_CONTINUE ||
        (rc = cli_require(&cmd, weights_path, "-w WEIGHTS")) != CLI_CONTINUE ||
        (rc = cli_require(&cmd, out_path, "-o OUT.npy")) != CLI_CONTINUE)
        return rc;

    ConvParams params;
    Activation act;
    if ((rc = cli_conv_params(&text, &params, &act)) != CLI_CONTINUE ||
        (rc = conv_grad_usage(&gf, act)) != CLI_CONTINUE)
        return rc;

    Tensor input = {0}, weights = {0}, bias = {0}, out = {0}, grad_output = {0}, grads[3] = {{0}};
    FileOut fo, gfo[3];
    bool opened = false, gopened[3] = {false, false, false};
    Error err = {0};
    rc = 1;
    if (cli_load_input(input_path, &input) != CLI_CONTINUE ||
        cli_load_weights(weights_path, input.c, params.groups, params.transposed, &weights) != CLI_CONTINUE ||
        cli_load_bias(bias_path, &bias) != CLI_CONTINUE ||
        cli_check_conv(&input, &weights, bias_path ? &bias : NULL, &params, input_path,
                       weights_path) != CLI_CONTINUE)
        goto done;
    if (cli_output_open(&fo, out_path, force) != CLI_CONTINUE)
        goto done;
    opened = true;
    for (int i = 0; i < 3; i++) {
        if (gf.path[i] && cli_output_open(&gfo[i], gf.path[i], force) != CLI_CONTINUE)
            goto done;
        gopened[i] = gf.path[i] != NULL;
    }
    if (conv_forward(&input, &weights, bias_path ? &bias : NULL, &params, &out, &err) != CS_OK) {
        cli_fail(1, "%s", err.message);
        goto done;
    }
    act_apply_tensor(act, &out);
    if (gf.output && (conv_grad_load(gf.output, &out, &grad_output) != CLI_CONTINUE ||
                      conv_grad_compute(&gf, &input, &weights, &params, &grad_output, grads) != 0))
        goto done;
    opened = false;
    rc = cli_output_commit(&fo, &out);
    for (int i = 0; i < 3; i++)
        if (gopened[i]) {
            gopened[i] = false;
            if (rc == 0)
                rc = cli_output_commit(&gfo[i], &grads[i]);
            else
                cli_output_abort(&gfo[i]);
        }
done:
    if (opened)
        cli_output_abort(&fo);
    for (int i = 0; i < 3; i++) {
        if (gopened[i])
            cli_output_abort(&gfo[i]);
        tensor_free(&grads[i]);
    }
    tensor_free(&input);
    tensor_free(&weights);
    tensor_free(&bias);
    tensor_free(&out);
    tensor_free(&grad_output);
    return rc;
}
