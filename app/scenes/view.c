/* view.c: presentation state defaults and the status line (see view.h). */
#include "view.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scene.h"

void view_init(View *v, const SceneOptions *o)
{
    memset(v, 0, sizeof *v);
    v->theme = o ? o->theme : THEME_DARK;
    v->ui_scale = (o && o->ui_scale > 0.0f) ? o->ui_scale : 1.0f;
    if (v->ui_scale < VIEW_SCALE_MIN)
        v->ui_scale = VIEW_SCALE_MIN;
    if (v->ui_scale > VIEW_SCALE_MAX)
        v->ui_scale = VIEW_SCALE_MAX;
    v->selected.kind = TARGET_NONE;
    v->hover.kind = TARGET_NONE;
    v->edit.kind = TARGET_NONE;
    v->zoom = 1.0f;
    v->speed = 2.0f;
}

void view_reset_scene(View *v)
{
    v->selected.kind = TARGET_NONE;
    v->hover.kind = TARGET_NONE;
    v->show_table = false;
    v->zoom = 1.0f;
    v->pan_x = v->pan_y = 0.0f;
    v->playing = false;
}

void view_set_status(View *v, bool error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->status, sizeof v->status, fmt, ap);
    va_end(ap);
    v->status_error = error;
}
