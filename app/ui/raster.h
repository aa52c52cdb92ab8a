/* raster.h: the raster backend of the drawing toolkit: a Painter (see
 * toolkit/painter.h) that draws with an SDL renderer and its text cache.
 * The window and the offscreen frames (render.c) both draw through it, so
 * their pixels match. */
#ifndef CONVSTEP_RASTER_H
#define CONVSTEP_RASTER_H

#include <SDL.h>

#include "painter.h"
#include "text.h"

/* The backend's state: the renderer and the text cache that belongs to it. */
typedef struct Raster {
    SDL_Renderer *renderer;
    TextCache *text;
} Raster;

/* A painter drawing with rs->renderer and rs->text; valid while rs is.
 * Fills and lines blend by their colour's alpha, opaque colours too: this
 * SDL's plain fill streams past the cache (SSE non-temporal stores), which
 * for cell-sized rectangles is three times slower than its blending fill. */
Painter raster_painter(Raster *rs);

#endif
