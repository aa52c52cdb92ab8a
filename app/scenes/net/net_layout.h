/* net_layout.h: where the network scene's parts go, as a pure function of
 * (model, view, window size), and what is under a point.
 *
 * Top to bottom:
 *   header      the network's source, its input and weights; the prediction
 *   canvas      the input as a picture on the left, then one card per layer
 *               shown so far, flowing left to right in rows: a map card is
 *               a grid of tiles, one small heatmap per channel (the first
 *               NET_MAX_TILES in the view's order, a deck behind when there
 *               are more); a vector card is a row of bars (the first
 *               NET_MAX_BARS features); under each its name, shape and the
 *               legend of its range. Every card has the same side at a
 *               factor of the input's, the largest at which they all fit
 *               (zoom 1), then the view's zoom (about the canvas centre)
 *               and pan.
 *   classes     the classifier's top classes as labelled bars, on the right
 *               of the canvas (when the last layer is shown and gives a
 *               vector)
 *   strip       the focused card's layer, shape, range and what Enter does
 *   timeline    growth step k of N
 *   status line
 * The layout keeps what the hit test needs (the channel each tile shows),
 * so the layout of the last frame answers a click alone. */
#ifndef CONVSTEP_NET_LAYOUT_H
#define CONVSTEP_NET_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "net_scene.h"
#include "canvas_frame.h"
#include "painter.h"
#include "view.h"

#define NET_MAX_TILES 16        /* channels drawn as tiles on a map card */
#define NET_MAX_BARS 64         /* features drawn as bars on a vector card */

typedef enum NetBoxKind {
    NET_BOX_PICTURE,            /* card 0: the input */
    NET_BOX_MAP,                /* tiles of channels */
    NET_BOX_BARS                /* a vector's features */
} NetBoxKind;

/* One card on screen. Tile k (0 .. n_items - 1) has its top left at
 * (x + (k % tile_cols) * (tile_w + gap), y + (k / tile_cols) * (tile_h +
 * gap)); its cell (row, col) covers pitch x pitch pixels from there. Bar k
 * covers [x + k * pitch, x + (k + 1) * pitch) across the card's height h. */
typedef struct NetBox {
    NetBoxKind kind;
    double x, y, w, h;          /* the card's tiles (or bars, or picture) */
    double pitch;               /* a cell's side, a bar's width */
    double tile_w, tile_h, gap;
    size_t rows, cols;          /* cells of one tile (bars: 1 x features) */
    int n_items, tile_cols;
    int item[NET_MAX_BARS];     /* the channel (feature) tile (bar) k shows */
    int slices;                 /* the deck behind: more channels than tiles */
    double slice_dx;
    bool label;                 /* its label fits */
    Rect label_rect;
} NetBox;

typedef struct NetLayout {
    CanvasFrame frame;          /* size, text sizes, header, status, timeline */
    float scale;                /* the frame's k as a float (what drawing scales by) */
    float zoom, pan_x, pan_y;   /* the view's, when laid out */
    Rect canvas, classes, strip;
    NetBox *boxes;              /* n_boxes (the cards shown), owned */
    size_t n_boxes;
    /* the classes panel: row k is top class k (n_classes rows) */
    size_t n_classes;
    Rect class_row[NET_SCENE_TOP];
    int class_index[NET_SCENE_TOP];
    int classes_card;           /* the card its rows name (the last) */
    size_t steps;               /* growth steps when laid out */
} NetLayout;

/* Lays s out for a w x h target as v shows it. On allocation failure the
 * boxes are NULL and the canvas is empty. */
void net_layout_compute(const NetScene *s, const View *v, int w, int h, NetLayout *out);

void net_layout_free(NetLayout *l);

/* The pixel rectangle of cell (y, x) of tile k of box b (bars: bar k). */
Rect net_layout_cell(const NetBox *b, int k, int y, int x);

/* What is at (x, y) in l, from l alone: a card's cell (TARGET_NET_CELL: f
 * = card, c = the channel its tile shows, y, x; a bar or a class row: c =
 * the feature or class, y = x = 0; the picture: c = 0), a timeline step
 * (TARGET_TIMELINE), or TARGET_NONE. */
Target net_layout_hit(const NetLayout *l, int x, int y);

#endif
