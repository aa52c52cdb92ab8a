/* frame.c: the one drawing path (see frame.h). Builds the raster painter,
 * hands it to the scene's drawing, then draws the key overlay with the
 * rows of the key table that apply to the scene. */
#include "frame.h"

#include <stdlib.h>

#include "keys.h"
#include "layer_draw.h"
#include "overlay.h"
#include "raster.h"
#include "stack_actions.h"
#include "stack_draw.h"

/* The `?` overlay: the labelled keys of the key table (for a layer stack,
 * those stack_key_applies accepts). */
static void draw_help(Painter *p, const Scene *s, const View *v, int w, int h)
{
    size_t count;
    const KeyBinding *keys = keys_table(&count);
    HelpRow *rows = malloc(count * sizeof *rows);
    if (!rows)
        return;
    int n = 0;
    for (size_t i = 0; i < count; i++)
        if (keys[i].label && (!s->stack || stack_key_applies(keys[i].action)))
            rows[n++] = (HelpRow){keys[i].label, keys[i].help};
    const char *title = s->stack ? "Keys (layer stack; the mouse: click a cell, drag to pan, wheel to zoom)"
                                 : "Keys";
    overlay_draw(p, theme_get(v->theme), title, rows, n, w, h, v->ui_scale);
    free(rows);
}

void draw_frame(SDL_Renderer *r, TextCache *tc, const Scene *s, const View *v, int w, int h)
{
    Raster rs = {r, tc};
    Painter p = raster_painter(&rs);
    if (s->stack)
        stack_draw_frame(&p, s, v, w, h);   /* the layer-stack scene (issue 5) */
    else
        layer_draw_frame(&p, s, v, w, h);
    if (v->show_help)
        draw_help(&p, s, v, w, h);
}
