/* stack_draw.h: drawing the layer-stack scene. draw_frame (draw.h) hands
 * over to stack_draw_frame when the scene has a stack, so the window and
 * the exporter draw it through the same path. Every number comes from the
 * stack's RfLayer records (core/rf.h); the layout from stack_layout.h. */
#ifndef CONVSTEP_STACK_DRAW_H
#define CONVSTEP_STACK_DRAW_H

#include <SDL.h>

#include "scene.h"
#include "text.h"
#include "view.h"

/* Draws s->stack (which must not be NULL) as v shows it into r's w x h
 * target (the whole target is painted). tc must belong to r. */
void stack_draw_frame(SDL_Renderer *r, TextCache *tc, const Scene *s, const View *v, int w, int h);

#endif
