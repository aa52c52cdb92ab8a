/* canvas_frame.h: the frame the canvas scenes (the layer stack, the
 * network) lay out alike: text sizes and margins for a w x h target at a UI
 * scale, the header line at the top, the status line and the timeline with
 * its bar at the bottom, a strip of text lines above the timeline and the
 * canvas between; and the timeline they draw alike (through the toolkit). */
#ifndef CONVSTEP_CANVAS_FRAME_H
#define CONVSTEP_CANVAS_FRAME_H

#include <stddef.h>

#include "painter.h"
#include "theme.h"

typedef struct CanvasFrame {
    int w, h;                   /* the target, at least 1 x 1 */
    double fit;                 /* min(w/1280, h/720), at least 0.25 */
    double k;                   /* fit times the UI scale: every size scales with it */
    int text_px, small_px, big_px;
    int margin, gap, inner;     /* the outer margin, the gap between parts, the width inside */
    Rect header;                /* the top line */
    Rect status, timeline, timeline_bar;    /* the bottom lines */
} CanvasFrame;

/* The frame of a w x h target (each at least 1) at UI scale ui_scale (0 or
 * less: 1). */
void canvas_frame_compute(int w, int h, float ui_scale, CanvasFrame *f);

/* The strip of `lines` text lines just above the timeline, and the canvas
 * from y = top down to the strip (at least 1 pixel high). */
void canvas_frame_strip(const CanvasFrame *f, int lines, int top, Rect *strip, Rect *canvas);

/* The timeline of f: left (the step, what is running) and right (the keys)
 * on its line, and the bar filled up to step index of count. */
void canvas_frame_draw_timeline(Painter *p, const CanvasFrame *f, const Theme *th, const char *left,
                                const char *right, size_t index, size_t count);

#endif
