/* window.h: the interactive window: an SDL window that shows the App's
 * scene with draw_frame (the exporter's drawing path, through a software
 * renderer on the window's own surface, so the window shows the exported
 * pixels), and a loop that turns events into actions (actions.h, keys.h). */
#ifndef CONVSTEP_WINDOW_H
#define CONVSTEP_WINDOW_H

#include "actions.h"
#include "error.h"
#include "scene.h"

/* Opens the window (title "convstep", resizable, high-DPI aware) with the
 * font of o (o->font, or the default), runs until the App quits, and closes
 * it. Returns CS_OK on a normal quit; an error (no display, no font, SDL
 * failure) with its message otherwise. app->scene stays owned by the caller. */
Status window_run(App *app, const SceneOptions *o, Error *err);

#endif
