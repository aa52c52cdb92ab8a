/* cli_conv.c: `convstep conv`, one convolution layer from files to a file:
 * load the input and the weights, compute, write OUT.npy atomically. */
#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "cli_common.h"
#include "conv.h"

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
    "  --force               replace OUT.npy if it exists (refused otherwise)\n"
    "  -h, --help            this text\n"
    "\n"
    "Example: convstep conv -i photo.png -w sobel-x --padding 1 -o edges.npy\n",
};

int cli_conv(int argc, char **argv)
{
    const char *input_path = NULL, *weights_path = NULL, *bias_path = NULL, *out_path = NULL;
    bool force = false;
    CliConvText text = {0};
    CliOption opts[5 + CLI_CONV_OPTION_COUNT] = {
        {"-i", "--input", "INPUT", &input_path, NULL},
        {"-w", "--weights", "WEIGHTS", &weights_path, NULL},
        {"-b", "--bias", "BIAS.npy", &bias_path, NULL},
        {"-o", "--output", "OUT.npy", &out_path, NULL},
        {"--force", NULL, NULL, NULL, &force},
    };
    cli_conv_options(&text, opts + 5);
    int rc = cli_parse(&cmd, argc, argv, opts, 5 + CLI_CONV_OPTION_COUNT, NULL, 0, NULL);
    if (rc != CLI_CONTINUE ||
        (rc = cli_require(&cmd, input_path, "-i INPUT")) != CLI_CONTINUE ||
        (rc = cli_require(&cmd, weights_path, "-w WEIGHTS")) != CLI_CONTINUE ||
        (rc = cli_require(&cmd, out_path, "-o OUT.npy")) != CLI_CONTINUE)
        return rc;

    ConvParams params;
    Activation act;
    if ((rc = cli_conv_params(&text, &params, &act)) != CLI_CONTINUE)
        return rc;

    Tensor input = {0}, weights = {0}, bias = {0}, out = {0};
    FileOut fo;
    bool opened = false;
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
    if (conv_forward(&input, &weights, bias_path ? &bias : NULL, &params, &out, &err) != CS_OK) {
        cli_fail(1, "%s", err.message);
        goto done;
    }
    act_apply_tensor(act, &out);
    opened = false;
    rc = cli_output_commit(&fo, &out);
done:
    if (opened)
        cli_output_abort(&fo);
    tensor_free(&input);
    tensor_free(&weights);
    tensor_free(&bias);
    tensor_free(&out);
    return rc;
}
