/* frame.c: the one drawing path (see frame.h). Builds the raster painter,
 * hands it to the shown kind's drawing, then draws the key overlay with the
 * rows of the key table whose kinds column holds that kind. */
#include "frame.h"

#include <stdlib.h>

#include "keys.h"
#include "overlay.h"
#include "raster.h"

/* The `?` overlay: the labelled keys that apply to the kind shown. */
static void draw_help(Painter *p, const Scene *s, const View *v, int w, int h)
{
    size_t count;
    const KeyBinding *keys = keys_table(&count);
    HelpRow *rows = malloc(count * sizeof *rows);
    if (!rows)
        return;
    int n = 0;
    for (size_t i = 0; i < count; i++)
        if (keys[i].label && (keys[i].kinds & s->scene_kind->bit))
            rows[n++] = (HelpRow){keys[i].label, keys[i].help};
    overlay_draw(p, theme_get(v->theme), s->scene_kind->help_title, rows, n, w, h, v->ui_scale);
    free(rows);
}

void frame_draw(SDL_Renderer *r, TextCache *tc, const Scene *s, const View *v, const void *layout, int w,
                int h)
{
    Raster rs = {r, tc};
    Painter p = raster_painter(&rs);
    s->scene_kind->draw(&p, s, v, layout);
    if (v->show_help)
        draw_help(&p, s, v, w, h);
}

void draw_frame(SDL_Renderer *r, TextCache *tc, const Scene *s, const View *v, int w, int h)
{
    void *layout = s->scene_kind->layout(s, v, w, h);
    if (!layout)
        return;
    frame_draw(r, tc, s, v, layout, w, h);
    s->scene_kind->layout_free(layout);
}
