/* paint.h: the drawing toolkit every scene paints with, on top of a Painter
 * (painter.h): rectangles, outlines (plain, haloed, dashed), hatching,
 * thick lines and arrows, and text that shrinks to fit. Backend-free: the
 * same calls draw on the window, in exported frames, and on any later
 * backend. */
#ifndef CONVSTEP_PAINT_H
#define CONVSTEP_PAINT_H

#include <stdint.h>

#include "painter.h"
#include "theme.h"

/* c with alpha a. */
Rgba paint_with_alpha(Rgba c, uint8_t a);

/* ---- shapes ---- */

/* An outline th pixels thick (at least 1) drawn inside rc; a rectangle too
 * small for it is filled. */
void paint_outline(Painter *p, Rect rc, int th, Rgba c);

/* An outline th thick in c inside rc, with a one-pixel border of halo on
 * both sides, so it reads on any cell colour. */
void paint_ring(Painter *p, Rect rc, int th, Rgba c, Rgba halo);

/* A dashed outline th pixels thick inside rc, dashes and gaps dash pixels
 * long (at least 2). */
void paint_dashed(Painter *p, Rect rc, int th, int dash, Rgba c);

/* Diagonal hatching over rc (lower left to upper right), one-pixel lines
 * every sp pixels (at least 3); a rectangle one pixel wide or high gets
 * none. */
void paint_hatch(Painter *p, Rect rc, int sp, Rgba c);

/* A line th pixels wide from (x1, y1) to (x2, y2); coinciding ends draw one
 * pixel. */
void paint_line(Painter *p, int x1, int y1, int x2, int y2, int th, Rgba c);

/* A line th wide with an arrow head head pixels long at (x2, y2). */
void paint_arrow(Painter *p, int x1, int y1, int x2, int y2, int th, int head, Rgba c);

/* ---- text (the font is monospace) ---- */

/* The largest size <= px (at most 400) at which text's characters fit in
 * max_w pixels, at least 6. */
int paint_text_fit(Painter *p, const char *text, int px, int max_w);

/* Text centred in rc, shrunk to fit rc's width. */
void paint_text_in(Painter *p, const char *text, int px, Rgba c, Rect rc);

/* Text aligned at (x, y), shrunk to fit max_w (down to 6 px); returns the
 * drawn width. */
int paint_text_shrunk(Painter *p, const char *text, int px, Rgba c, int x, int y, int max_w, int align);

/* Text at the top left (x, y), at px or a little smaller to fit max_w;
 * nothing when it would have to shrink below three quarters of px. */
void paint_label(Painter *p, const char *text, int px, Rgba c, int x, int y, int max_w);

#endif
