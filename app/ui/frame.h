/* frame.h: the one drawing path. draw_frame paints the whole window for a
 * scene and view with an SDL renderer: the scene's own drawing through the
 * raster painter (raster.h), then the `?` overlay when the view shows it.
 * The window and the exporter both call it, so an exported frame is the
 * frame the window shows. */
#ifndef CONVSTEP_FRAME_H
#define CONVSTEP_FRAME_H

#include <SDL.h>

#include "scene.h"
#include "text.h"
#include "view.h"

/* Draws the frame for s as v shows it into r's w x h target (the whole
 * target is painted). tc must belong to r. */
void draw_frame(SDL_Renderer *r, TextCache *tc, const Scene *s, const View *v, int w, int h);

#endif
