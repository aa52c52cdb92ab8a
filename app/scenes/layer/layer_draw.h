/* draw.h: the one drawing path. draw_frame paints the whole window for a
 * scene and view with an SDL renderer; the window and the exporter both call
 * it, so an exported frame is the frame the window shows. Every number comes
 * from the scene's stepper (its trace, finished output cells and inputs);
 * the layout comes from layout_compute. */
#ifndef CONVSTEP_LAYER_DRAW_H
#define CONVSTEP_LAYER_DRAW_H

#include <SDL.h>

#include "scene.h"
#include "text.h"
#include "view.h"

/* Draws the frame for s as v shows it into r's w x h target (the whole
 * target is painted). tc must belong to r. */
void draw_frame(SDL_Renderer *r, TextCache *tc, const Scene *s, const View *v, int w, int h);

#endif
