/* stack_draw.h: drawing the layer-stack scene. Every number comes from the
 * stack's RfLayer records (core/rf.h); the layout from stack_layout.h;
 * everything is painted through a Painter (no SDL here), so the window and
 * the exporter draw it through the same path. */
#ifndef CONVSTEP_STACK_DRAW_H
#define CONVSTEP_STACK_DRAW_H

#include "painter.h"
#include "scene.h"
#include "stack_layout.h"
#include "view.h"

/* Draws s's layer stack (s shows the stack kind) as v shows it on p's
 * target with L, the layout stack_layout_compute made for them and the
 * target's size; the whole target is painted. The `?` overlay is not part
 * of it (overlay.h). */
void stack_draw_frame(Painter *p, const Scene *s, const View *v, const StackLayout *L);

#endif
