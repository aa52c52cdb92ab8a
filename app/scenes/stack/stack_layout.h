/* stack_layout.h: where the layer-stack scene's parts go, as a pure
 * function of (stack, UI scale, window size), and what is under a point.
 *
 * Top to bottom:
 *   header      the source (lesson or --layers), input shape, layer count,
 *               final receptive field and jump
 *   caption     the lesson's question and sentences (lessons only)
 *   canvas      the panes one above the other; in each, the input map on
 *               the left, then one map per stage shown so far, flowing left
 *               to right in rows; each map drawn as a deck of its channels
 *               (up to STACK_MAX_SLICES), sized in proportion to its side
 *               relative to the input (never below a few pixels), with its
 *               shape and layer under it when they fit; the table of sizes,
 *               jumps and effective padding on the right when shown
 *   strip       the growth arithmetic of the newest layer in live numbers
 *   timeline    growth step k of N
 *   status line
 * The canvas content is scaled so everything fits at zoom 1, then zoomed
 * about the canvas centre and panned (the view's zoom, pan_x, pan_y). */
#ifndef CONVSTEP_STACK_LAYOUT_H
#define CONVSTEP_STACK_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "canvas_frame.h"
#include "painter.h"
#include "stack.h"
#include "view.h"

#define STACK_MAX_SLICES 8      /* channel slices drawn behind a map */
#define STACK_STRIP_LINES 3

/* One map on screen. Cell (row, col) of the front slice covers
 * [x + col * pitch, x + (col + 1) * pitch) horizontally, likewise in y.
 * Slice i (1 .. slices - 1) is drawn i * slice_dx right of and above it. */
/* The table's columns (#, size, rf, jump, pad, params, MACs) in characters:
 * the layout makes room for them, stack_draw.c fills them. */
#define STACK_TABLE_CHARS 47

typedef struct StackBox {
    double x, y, pitch;         /* the front map's top left and cell size */
    size_t rows, cols;          /* the map's size in cells */
    double pad;                 /* room around the map for padding a lit field
                                   reaches into (pixels, whole cells) */
    int slices;
    double slice_dx;
    bool label;                 /* the label under it fits */
    Rect label_rect;
} StackBox;

typedef struct StackLayout {
    CanvasFrame frame;          /* size, text sizes, header, status, timeline */
    float scale;                /* the frame's k as a float (what drawing scales by) */
    float zoom, pan_x, pan_y;   /* the view's, when laid out */
    Rect caption, canvas, table, strip;
    int caption_chars;          /* characters per caption line the layout planned */
    Rect pane[LESSON_MAX_PANES], pane_title[LESSON_MAX_PANES];
    StackBox *boxes[LESSON_MAX_PANES];  /* n_stages each (those not shown are
                                           placed too); owned */
    /* what the hit test needs of the stack as it was laid out, so that a
       layout kept from the last frame answers alone */
    int n_panes;
    size_t shown[LESSON_MAX_PANES];     /* each pane's newest stage shown */
    size_t steps;                       /* growth steps */
} StackLayout;

/* Lays s out for a w x h window as v shows it (UI scale, zoom, pan, the
 * table). Allocates the boxes (stack_layout_free frees them); on
 * allocation failure the boxes are NULL and nothing is placed in the
 * canvas. */
void stack_layout_compute(const StackScene *s, const View *v, int w, int h, StackLayout *out);

void stack_layout_free(StackLayout *l);

/* Pixel rectangle of cell (y, x) of box b (may lie outside the map, for
 * padding). */
Rect stack_layout_cell(const StackBox *b, int y, int x);

/* What is at (x, y) in l (from l alone: the stack may have changed since):
 * a map's cell shown when l was made (TARGET_STACK_CELL: f = pane,
 * c = stage, y, x), a timeline step (TARGET_TIMELINE), or TARGET_NONE. */
Target stack_layout_hit(const StackLayout *l, int x, int y);

/* Splits text into lines of at most max_chars characters at spaces;
 * writes the start offset and length of each into starts/lens (up to max
 * lines) and returns the number of lines needed (which may exceed max). */
int stack_layout_wrap(const char *text, int max_chars, int *starts, int *lens, int max);

#endif
