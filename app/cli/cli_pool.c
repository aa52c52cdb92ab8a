/* cli_pool.c: `convstep pool`, max or average pooling from a file to a
 * file, as PyTorch's max_pool2d / avg_pool2d; with --grad-output, also the
 * backward pass (PyTorch autograd's input gradient) to a second file. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "cli_common.h"
#include "pool.h"

static const CliCommand cmd = {
    "pool",
    "usage: convstep pool -i INPUT --mode max|avg --kernel K [options] -o OUT.npy\n"
    "                     [--grad-output G.npy --grad-input F.npy]\n"
    "\n"
    "Pools every channel as PyTorch's max_pool2d or avg_pool2d and writes the\n"
    "result as a float32 .npy file; with --grad-output, also runs the backward\n"
    "pass for that upstream gradient and writes the input's gradient.\n"
    "\n"
    "  -i INPUT              a .npy array (C,H,W) or (1,C,H,W), or an image file\n"
    "                        (- reads standard input; any file may be a pipe)\n"
    "  --mode max|avg        the largest value, or the average, of each window\n"
    "  --kernel K            window size: N or H,W\n"
    "  --stride S            step between windows: N or H,W (default: the kernel)\n"
    "  --padding P           N or H,W, at most half the kernel (default 0);\n"
    "                        max pooling pads with -inf, average with zeros\n"
    "  --dilation D          gap between window cells, max only (default 1)\n"
    "  --ceil-mode           round the output size up (keep a partial last window)\n"
    "  --exclude-pad         average: divide by the cells inside the input only\n"
    "                        (PyTorch's count_include_pad=False)\n"
    "  -o OUT.npy            the output, shaped like the input's rank\n"
    "  --grad-output G.npy   the gradient of a loss with respect to the output,\n"
    "                        shaped like OUT.npy\n"
    "  --grad-input F.npy    where to write the gradient with respect to the input\n"
    "                        (as PyTorch's autograd: max sends each output's\n"
    "                        gradient to its window's first maximum, avg divides\n"
    "                        it over the window); needs --grad-output\n"
    "  --force               replace OUT.npy (and F.npy) if they exist (refused\n"
    "                        otherwise)\n"
    "  -h, --help            this text\n"
    "\n"
    "Example: convstep pool -i photo.png --mode max --kernel 2 -o half.npy\n",
};

/* Fills p from the option texts; prints the error and returns 1 on a bad value. */
static int pool_params(const char *mode, const char *kernel, const char *stride,
                       const char *padding, const char *dilation, PoolParams *p)
{
    Error err = {0};
    PoolMode m;
    int kh, kw;
    if (strcmp(mode, "max") == 0)
        m = POOL_MAX;
    else if (strcmp(mode, "avg") == 0 || strcmp(mode, "average") == 0)
        m = POOL_AVG;
    else
        return cli_fail(1, "--mode: expected max or avg, got '%s'", mode);
    if (args_parse_pair("--kernel", kernel, 1, 1 << 20, &kh, &kw, &err) != CS_OK)
        return cli_fail(1, "%s", err.message);
    *p = geom_pool_defaults(m, kh, kw);
    if ((stride && args_parse_pair("--stride", stride, 1, 1 << 20, &p->stride_h, &p->stride_w, &err)) ||
        (padding && args_parse_pair("--padding", padding, 0, 1 << 20, &p->pad_h, &p->pad_w, &err)) ||
        (dilation && args_parse_pair("--dilation", dilation, 1, 1 << 20, &p->dilation_h, &p->dilation_w, &err)))
        return cli_fail(1, "%s", err.message);
    return CLI_CONTINUE;
}

int cli_pool(int argc, char **argv)
{
    const char *input_path = NULL, *out_path = NULL, *mode = NULL, *kernel = NULL;
    const char *stride = NULL, *padding = NULL, *dilation = NULL, *grad_out_path = NULL, *grad_in_path = NULL;
    bool ceil_mode = false, exclude_pad = false, force = false;
    const CliOption opts[] = {
        {"-i", "--input", "INPUT", &input_path, NULL},
        {"-o", "--output", "OUT.npy", &out_path, NULL},
        {"--mode", NULL, "max|avg", &mode, NULL},
        {"--kernel", "-k", "K", &kernel, NULL},
        {"--stride", NULL, "S", &stride, NULL},
        {"--padding", NULL, "P", &padding, NULL},
        {"--dilation", NULL, "D", &dilation, NULL},
        {"--ceil-mode", NULL, NULL, NULL, &ceil_mode},
        {"--exclude-pad", NULL, NULL, NULL, &exclude_pad},
        {"--grad-output", NULL, "G.npy", &grad_out_path, NULL},
        {"--grad-input", NULL, "F.npy", &grad_in_path, NULL},
        {"--force", NULL, NULL, NULL, &force},
    };
    int rc = cli_parse(&cmd, argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), NULL, 0, NULL);
    if (rc != CLI_CONTINUE ||
        (rc = cli_require(&cmd, input_path, "-i INPUT")) != CLI_CONTINUE ||
        (rc = cli_require(&cmd, mode, "--mode max|avg")) != CLI_CONTINUE ||
        (rc = cli_require(&cmd, kernel, "--kernel K")) != CLI_CONTINUE ||
        (rc = cli_require(&cmd, out_path, "-o OUT.npy")) != CLI_CONTINUE)
        return rc;
    if (grad_in_path && !grad_out_path)
        return cli_usage_error(&cmd, "--grad-input needs --grad-output G.npy (the gradient to pass back)");
    if (grad_out_path && !grad_in_path)
        return cli_usage_error(&cmd, "--grad-output needs --grad-input F.npy (where to write the result)");

    PoolParams params;
    if ((rc = pool_params(mode, kernel, stride, padding, dilation, &params)) != CLI_CONTINUE)
        return rc;
    if (exclude_pad && params.mode != POOL_AVG)
        return cli_fail(1, "--exclude-pad applies to --mode avg only");
    params.ceil_mode = ceil_mode;
    params.count_include_pad = !exclude_pad;

    Tensor input = {0}, out = {0}, grad_out = {0}, grad_in = {0};
    FileOut fo, fg;
    bool opened = false, grad_opened = false;
    Error err = {0};
    rc = 1;
    if (cli_load_input(input_path, &input) != CLI_CONTINUE ||
        (grad_out_path && cli_load_input(grad_out_path, &grad_out) != CLI_CONTINUE))
        goto done;
    if (cli_output_open(&fo, out_path, force) != CLI_CONTINUE)
        goto done;
    opened = true;
    if (grad_in_path) {
        if (cli_output_open(&fg, grad_in_path, force) != CLI_CONTINUE)
            goto done;
        grad_opened = true;
    }
    if (pool_forward(&input, &params, &out, &err) != CS_OK) {
        cli_fail(1, "%s", err.message);
        goto done;
    }
    out.rank = input.rank > 3 ? input.rank : 3;
    if (grad_in_path) {
        if (pool_backward(&input, &params, &grad_out, &grad_in, &err) != CS_OK) {
            cli_fail(1, "%s: %s", grad_out_path, err.message);
            goto done;
        }
        grad_in.rank = input.rank > 3 ? input.rank : 3;
    }
    /* the gradient first: if it fails, OUT.npy is not yet in place */
    if (grad_in_path) {
        grad_opened = false;
        if ((rc = cli_output_commit(&fg, &grad_in)) != 0)
            goto done;
    }
    opened = false;
    if ((rc = cli_output_commit(&fo, &out)) != 0 && grad_in_path)
        unlink(grad_in_path); /* nothing left of a failed command */
done:
    if (opened)
        cli_output_abort(&fo);
    if (grad_opened)
        cli_output_abort(&fg);
    tensor_free(&input);
    tensor_free(&out);
    tensor_free(&grad_out);
    tensor_free(&grad_in);
    return rc;
}
