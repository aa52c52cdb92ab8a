/* cli_window.c: `convstep [SCENE OPTIONS] [IMAGE]`, the window's command line.
 *
 * First cut, before the scene model lands: it checks the arguments (known
 * option names, a value after each, at most one IMAGE) and then says plainly
 * that the window is not built yet. Once app/scene.h exists, the options go
 * through scene_options_parse_one and the window opens. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* SCENE OPTIONS from DESIGN.md that take a value. */
static const char *const option_names[] = {
    "-i", "--fit", "--kernel", "--stride", "--padding", "--padding-mode", "--dilation",
    "--pool", "--layers", "--step", "--theme", "--seed", "--font", "--filters",
};

static int is_value_option(const char *arg)
{
    for (size_t k = 0; k < sizeof option_names / sizeof option_names[0]; k++)
        if (strcmp(arg, option_names[k]) == 0)
            return 1;
    return 0;
}

int cli_window(int argc, char **argv)
{
    const char *image = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--bias") == 0)
            continue;
        if (is_value_option(arg)) {
            if (i + 1 >= argc)
                return cli_fail(2, "%s needs a value", arg);
            i++;
            continue;
        }
        if (arg[0] == '-' && arg[1] != '\0')
            return cli_fail(2, "unknown option '%s'", arg);
        if (image)
            return cli_fail(2, "more than one IMAGE: '%s' and '%s'", image, arg);
        image = arg;
    }
    return cli_fail(1, "the window is not built yet");
}
