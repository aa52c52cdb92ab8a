/* layer_draw.h: drawing the single-layer scene. Every number comes from the
 * scene's stepper (its trace, finished output cells and inputs); the layout
 * comes from layout_compute; everything is painted through a Painter (no
 * SDL here), so the window, exported frames and any later backend draw the
 * same frame. */
#ifndef CONVSTEP_LAYER_DRAW_H
#define CONVSTEP_LAYER_DRAW_H

#include "painter.h"
#include "scene.h"
#include "view.h"

/* Draws the frame for s (a single layer: s->stack NULL) as v shows it on
 * p's w x h target; the whole target is painted. The `?` overlay is not
 * part of it (overlay.h). */
void layer_draw_frame(Painter *p, const Scene *s, const View *v, int w, int h);

#endif
