/* layer_draw.h: drawing the single-layer scene. Every number comes from the
 * scene's stepper (its trace, finished output cells and inputs); the layout
 * comes from layout_compute; everything is painted through a Painter (no
 * SDL here), so the window, exported frames and any later backend draw the
 * same frame. */
#ifndef CONVSTEP_LAYER_DRAW_H
#define CONVSTEP_LAYER_DRAW_H

#include "layer_layout.h"
#include "painter.h"
#include "scene.h"
#include "view.h"

/* Draws the frame for s as v shows it on p's target with L, the layout
 * layout_compute made for s, v and the target's size; the whole target is
 * painted. The `?` overlay is not part of it (overlay.h). */
void layer_draw_frame(Painter *p, const Scene *s, const View *v, const Layout *L);

#endif
