/* paint.h: the drawing primitives both scenes' drawing (draw.c, the
 * single-layer scene, and stack_draw.c, the layer stack) paint with:
 * rectangles, outlines, dashed outlines and hatching in a theme colour. */
#ifndef CONVSTEP_PAINT_H
#define CONVSTEP_PAINT_H

#include <SDL.h>

#include "layer_layout.h"
#include "theme.h"

/* Fills rc with c (blended by c's alpha); an empty rc draws nothing.
 * Everything draws in BLEND mode, opaque colours too: this SDL's plain
 * fill streams past the cache (SSE non-temporal stores), which for cell-
 * sized rectangles is three times slower than its blending fill. */
void paint_fill(SDL_Renderer *r, Rect rc, Rgba c);

/* An outline th pixels thick (at least 1) drawn inside rc; a rectangle too
 * small for it is filled. */
void paint_outline(SDL_Renderer *r, Rect rc, int th, Rgba c);

/* A dashed outline th pixels thick inside rc, dashes and gaps dash pixels
 * long (at least 2). */
void paint_dashed(SDL_Renderer *r, Rect rc, int th, int dash, Rgba c);

/* Diagonal hatching over rc (lower left to upper right), one-pixel lines
 * every sp pixels (at least 3). */
void paint_hatch(SDL_Renderer *r, Rect rc, int sp, Rgba c);

#endif
