/* main.c: the entry point. The first argument names a command (the table
 * below); anything else (no arguments, scene options, an IMAGE) opens the
 * window. Each command lives in app/cli/cli_<name>.c.
 *
 * Start reading here, then docs/ARCHITECTURE.md. The window: cli/cli_window.c
 * builds the Scene (scenes/scene.h) and runs ui/window.c's loop: events ->
 * the key table (ui/keys.c) -> actions (scenes/actions.c, then the kind's
 * own: scenes/layer/, scenes/stack/) -> the kind's layout and drawing. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

typedef struct Command {
    const char *name;
    int (*run)(int argc, char **argv);
} Command;

static const Command commands[] = {
    {"conv", cli_conv},   {"pool", cli_pool},   {"trace", cli_trace},
    {"rf", cli_rf},       {"bench", cli_bench}, {"export", cli_export},
    {"forward", cli_forward}, {"train", cli_train},
};

static const char usage[] =
    "usage: convstep [SCENE OPTIONS] [IMAGE]      open the window\n"
    "       convstep export [SCENE OPTIONS] (--frames DIR | --gif FILE | --video FILE | --png FILE)\n"
    "                       [--size WxH] [--fps N] [--force] ...\n"
    "       convstep conv  -i INPUT -w WEIGHTS [-b BIAS.npy] [conv options] -o OUT.npy\n"
    "       convstep pool  -i INPUT --mode max|avg --kernel K [pool options] -o OUT.npy\n"
    "       convstep trace -i INPUT -w WEIGHTS [conv options] --at ROW,COL [--filter F] [--json]\n"
    "       convstep rf    [--input-size H[,W]] [--json] SPEC\n"
    "       convstep forward --layers SPEC|@FILE -i INPUT [--weights FILE] [--seed N]\n"
    "                      [--normalize N] [--input-size H,W] [-o OUT.npy] [--dump DIR]\n"
    "                      [--top K [--labels FILE]] [--json]\n"
    "       convstep train [--layers SPEC|@FILE] [--data DIR] [--epochs E] [--batch B] [--lr LR]\n"
    "                      [--momentum M] [--optimizer sgd|adam] [--seed N] [--limit N]\n"
    "                      [--threads N] [--save FILE.safetensors] [--json]\n"
    "       convstep bench [--json]\n"
    "       convstep --version | --help | help COMMAND\n"
    "\n"
    "convstep shows, step by step, how a convolutional layer computes its output.\n"
    "'convstep COMMAND --help' describes a command; 'man convstep' describes them all.\n"
    "\n"
    "SCENE OPTIONS (the window and export):\n"
    "  -i INPUT, IMAGE       a .npy array (C,H,W) or an image (default: a built-in scene)\n"
    "  --fit H[,W]           resample an image to a size whose numbers can be read\n"
    "  --kernel NAME|FILE    a preset (sobel-x, blur, sharpen, identity, ...), an\n"
    "                        initialiser (uniform, xavier-uniform, he-normal, ...) or .npy\n"
    "  --bias B              a number for every filter, or a .npy of one per filter\n"
    "  --kernel-size K       kernel size for random weights, window size for pooling\n"
    "  --stride S, --padding P, --padding-mode M, --dilation D   as for conv\n"
    "  --pool max|avg        a pooling scene (--ceil-mode rounds the size up)\n"
    "  --filters N           filters for presets and random weights (1-8)\n"
    "  --act A               none, relu, leaky_relu, sigmoid or tanh\n"
    "  --layers SPEC|@FILE   a layer-stack scene: layers in PyTorch notation, or a file\n"
    "                        of model code (nn.Sequential(...) pasted as it is); with\n"
    "                        an input or --weights, the network running on the input\n"
    "  --weights FILE        the network's state dict (.safetensors or .npz), strict\n"
    "  --labels FILE         the network's class names, one per line\n"
    "  --normalize N         unit, imagenet or M1,M2,M3/S1,S2,S3 (default 0-255)\n"
    "  --lesson NAME         a demonstration: 199-to-1, why-3x3, shapes,\n"
    "                        stride-padding-pooling, alexnet, vgg16, init, training\n"
    "  --input-size H[,W]    the layer-stack scene's input size (the network's input\n"
    "                        is resampled to it)\n"
    "  --step position|channel|term   what one step is\n"
    "  --theme dark|light, --seed N, --font FILE, --scale F\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

int main(int argc, char **argv)
{
    const char *first = argc > 1 ? argv[1] : "";
    size_t n = sizeof commands / sizeof commands[0];

    if (strcmp(first, "--version") == 0) {
        puts("convstep " CONVSTEP_VERSION);
        return 0;
    }
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(first, "help") == 0) {
        if (argc < 3) {
            fputs(usage, stdout);
            return 0;
        }
        for (size_t i = 0; i < n; i++) {
            if (strcmp(argv[2], commands[i].name) == 0) {
                char help[] = "--help";
                char *args[] = {argv[2], help, NULL};
                return commands[i].run(2, args);
            }
        }
        return cli_fail(2, "help: unknown command '%s' (see 'convstep --help')", argv[2]);
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(first, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    /* A word that is no file and does not look like one is a mistyped command. */
    struct stat st;
    if (first[0] && first[0] != '-' && !strpbrk(first, "./") && stat(first, &st) != 0)
        return cli_fail(2, "'%s' is neither a command (conv, pool, trace, rf, forward, train, bench, export) "
                           "nor a file (see 'convstep --help')", first);
    return cli_window(argc, argv);
}
