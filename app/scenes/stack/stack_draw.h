/* stack_draw.h: drawing the layer-stack scene. Every number comes from the
 * stack's RfLayer records (core/rf.h); the layout from stack_layout.h;
 * everything is painted through a Painter (no SDL here), so the window and
 * the exporter draw it through the same path. */
#ifndef CONVSTEP_STACK_DRAW_H
#define CONVSTEP_STACK_DRAW_H

#include "painter.h"
#include "scene.h"
#include "view.h"

/* Draws s->stack (which must not be NULL) as v shows it on p's w x h
 * target; the whole target is painted. The `?` overlay is not part of it
 * (overlay.h). */
void stack_draw_frame(Painter *p, const Scene *s, const View *v, int w, int h);

#endif
