/* cli_window.c: `convstep [SCENE OPTIONS] [IMAGE]`: parses the scene
 * options (scene.h, shared with export), builds the scene, and runs the
 * window. A bad option is a usage error (2); a scene that cannot be built
 * (a broken or missing image, impossible settings) or a window that cannot
 * open fails with one "convstep:" line (1). */
#include <stdio.h>
#include <string.h>

#include "actions.h"
#include "cli.h"
#include "scene.h"
#include "view.h"
#include "window.h"

int cli_window(int argc, char **argv)
{
    SceneOptions o;
    scene_options_init(&o);
    Error err;
    for (int i = 1; i < argc; i++) {
        int r = scene_options_parse_one(&o, argc, argv, &i, &err);
        if (r < 0)
            return cli_fail(2, "%s", err.message);
        if (r > 0)
            continue;
        const char *arg = argv[i];
        if (arg[0] == '-' && arg[1] != '\0')
            return cli_fail(2, "unknown option '%s' (see 'convstep --help')", arg);
        if (o.input)
            return cli_fail(2, "more than one IMAGE: '%s' and '%s'", o.input, arg);
        o.input = arg;
    }

    App app;
    memset(&app, 0, sizeof app);
    if (scene_create(&o, &app.scene, &err) != CS_OK)
        return cli_fail(1, "%s", err.message);
    view_init(&app.view, &o);
    if (app.scene->note[0])
        view_set_status(&app.view, false, "%s", app.scene->note);
    else
        view_set_status(&app.view, false, "Right steps, Space plays, ? lists every key");

    Status st = window_run(&app, &o, &err);
    scene_destroy(app.scene);
    return st == CS_OK ? 0 : cli_fail(1, "%s", err.message);
}
