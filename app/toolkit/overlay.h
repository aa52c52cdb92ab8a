/* overlay.h: the `?` overlay, the one list of keys every scene shows: a
 * translucent veil over the frame, a centred panel, a title, and one line
 * per key (the keys in one colour, what they do in another), in two
 * columns when one column would crowd the lines. */
#ifndef CONVSTEP_OVERLAY_H
#define CONVSTEP_OVERLAY_H

#include "painter.h"
#include "theme.h"

/* One line of the overlay. */
typedef struct HelpRow {
    const char *keys;       /* the key(s) as the overlay writes them ("s, S") */
    const char *help;       /* what they do, one short line; NULL: none */
} HelpRow;

/* Draws the overlay over a w x h target in th's colours: title, then rows
 * [0, n). ui_scale is the view's text scale (1 normal; 0 counts as 1); the
 * panel and its text grow with the window as the scenes' layouts do. */
void overlay_draw(Painter *p, const Theme *th, const char *title, const HelpRow *rows, int n, int w, int h,
                  float ui_scale);

#endif
