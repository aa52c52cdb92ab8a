/* frame.h: the one drawing path. A frame is the shown scene kind's own
 * drawing through the raster painter (raster.h), then the `?` overlay when
 * the view shows it. The window and the exporter both draw through here,
 * so an exported frame is the frame the window shows. */
#ifndef CONVSTEP_FRAME_H
#define CONVSTEP_FRAME_H

#include <SDL.h>

#include "scene.h"
#include "text.h"
#include "view.h"

/* Draws the frame for s as v shows it into r's w x h target (the whole
 * target is painted) with layout, the one s's kind made for s, v, w and h
 * (kind.h). tc must belong to r. */
void frame_draw(SDL_Renderer *r, TextCache *tc, const Scene *s, const View *v, const void *layout, int w,
                int h);

/* The same, laying the frame out first (offscreen frames, which keep no
 * layout for hit tests). Out of memory: the target is left as it was. */
void draw_frame(SDL_Renderer *r, TextCache *tc, const Scene *s, const View *v, int w, int h);

#endif
