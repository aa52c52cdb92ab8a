/* painter.h: the drawing toolkit's backend interface. Every scene draws
 * through a Painter and nothing else, so scene drawing code needs no SDL
 * and a second backend (vector output) can sit under the same calls.
 *
 * A backend fills a PainterOps table in its own file (ui/raster.c draws
 * with SDL's software renderer and the text cache); the generic code calls
 * the painter_* functions below, which dispatch once through the table.
 * Coordinates are pixels of the target, y down; colours are blended by
 * their alpha. */
#ifndef CONVSTEP_PAINTER_H
#define CONVSTEP_PAINTER_H

#include <math.h>
#include <stdint.h>

#include "theme.h"

typedef struct Rect {
    int x, y, w, h;
} Rect;

/* Pixel arithmetic every layout and drawing uses. */
static inline int imax(int a, int b)
{
    return a > b ? a : b;
}

static inline int imin(int a, int b)
{
    return a < b ? a : b;
}

/* v rounded to the nearest whole pixel (halves away from zero). */
static inline int px(double v)
{
    return (int)lround(v);
}

/* Alignment of painter_text's (x, y): one horizontal and one vertical. */
enum {
    TEXT_LEFT = 0, TEXT_CENTER = 1, TEXT_RIGHT = 2,     /* horizontal */
    TEXT_TOP = 0, TEXT_MIDDLE = 4, TEXT_BOTTOM = 8      /* vertical */
};

typedef struct PainterOps {
    /* Paints the whole target with c (no blending). */
    void (*clear)(void *ctx, Rgba c);
    /* Fills rc (w, h > 0) with c. */
    void (*fill)(void *ctx, Rect rc, Rgba c);
    /* A one-pixel line from (x1, y1) to (x2, y2), both ends included (ends
     * that coincide: one pixel). */
    void (*line)(void *ctx, int x1, int y1, int x2, int y2, Rgba c);
    /* Restricts drawing to rc, or lifts the restriction (rc NULL). */
    void (*clip)(void *ctx, const Rect *rc);
    /* Draws a w x h picture of ARGB8888 pixels (row stride w) scaled to dst,
     * nearest neighbour. */
    void (*image)(void *ctx, Rect dst, const uint32_t *argb, int w, int h);
    /* Draws UTF-8 text at pixel size px in c, aligned at (x, y); returns the
     * drawn width. */
    int (*text)(void *ctx, const char *text, int px, Rgba c, int x, int y, int align);
    /* Width and height text takes at size px, without drawing it; w or h
     * may be NULL. */
    void (*measure)(void *ctx, const char *text, int px, int *w, int *h);
    /* The advance of one character at size px (the font is monospace).
     * measure could tell it, but text fitting asks for it for every number
     * drawn, and the backend can keep it per size. */
    int (*char_width)(void *ctx, int px);
} PainterOps;

typedef struct Painter {
    const PainterOps *ops;
    void *ctx;              /* the backend's state */
} Painter;

/* ---- the backend's operations (see PainterOps) ---- */
void painter_clear(Painter *p, Rgba c);
void painter_fill(Painter *p, Rect rc, Rgba c);     /* an empty rc draws nothing */
void painter_line(Painter *p, int x1, int y1, int x2, int y2, Rgba c);
void painter_clip(Painter *p, const Rect *rc);
void painter_image(Painter *p, Rect dst, const uint32_t *argb, int w, int h);
int painter_text(Painter *p, const char *text, int px, Rgba c, int x, int y, int align);
void painter_measure(Painter *p, const char *text, int px, int *w, int *h);
int painter_char_width(Painter *p, int px);

#endif
