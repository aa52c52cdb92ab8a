/* layout.h: where everything goes, as a pure function of (scene, view,
 * width, height): rectangles of every panel and grid, cell sizes and text
 * sizes, and hit testing for the mouse. No SDL, no drawing; the same layout
 * serves draw.c and the window's clicks.
 *
 * The main scene, top to bottom:
 *   header          layer in PyTorch notation, input name and shape
 *   channel row     each input channel's grid (padding ring included), side
 *                   by side, then the output map(s) on the right
 *   arithmetic row  under each channel: its kernel, the products, the sum
 *                   (pooling: the window's values and the chosen / summed cells)
 *   sum line        "R 12 + G -3.5 + B 4 + bias 0.5 = 13 -> ReLU -> 13"
 *   formula strip   output-size arithmetic for both axes in live numbers
 *   timeline        step i of N, position, granularity, speed
 *   status line
 * When an input's cells are too small for numbers, each channel grid is a
 * picture and `inset` holds a magnified, numbered view around the window. */
#ifndef CONVSTEP_LAYER_LAYOUT_H
#define CONVSTEP_LAYER_LAYOUT_H

#include <stdbool.h>

#include "painter.h"
#include "scene.h"
#include "view.h"

#define LAYOUT_MAX_CHANNELS 8   /* input channels drawn (more: the first ones, noted) */
#define LAYOUT_MAX_MAPS 8       /* output maps drawn */

/* A grid of cells: cell (row, col) covers
 *   x = rect.x + col * pitch, y = rect.y + row * pitch, size cell x cell,
 * and shows model coordinate (y0 + row, x0 + col). */
typedef struct GridLayout {
    Rect rect;              /* the whole grid; w = cols * pitch - gap */
    int rows, cols;
    int y0, x0;             /* model coordinate of cell (0, 0); negative in the padding */
    int cell;               /* cell side in pixels (>= 1) */
    int pitch;              /* cell + gap */
    bool numbers;           /* cells are big enough to print values */
    int text_px;            /* font size for the values */
} GridLayout;

typedef struct Layout {
    int w, h;
    float scale;            /* the view's ui_scale times the window-size factor */
    int text_px;            /* body text */
    int small_px;           /* labels */
    int big_px;             /* the sum line */
    Rect header, sum_line, formula, timeline, timeline_bar, status;
    /* channel row: slot i shows input channel first_channel + i, output map
     * slot m shows map first_map + m (more channels than slots: the slots
     * follow the channel being worked on) */
    int n_channels;                         /* drawn channels (<= LAYOUT_MAX_CHANNELS) */
    int first_channel, first_map;
    Rect channel_label[LAYOUT_MAX_CHANNELS];
    GridLayout input[LAYOUT_MAX_CHANNELS];  /* the whole padded input (picture when !numbers) */
    bool has_inset;                         /* large input: magnified windows */
    GridLayout inset[LAYOUT_MAX_CHANNELS];  /* numbered cells around the window */
    int n_maps;                             /* drawn output maps */
    Rect map_label[LAYOUT_MAX_MAPS];
    GridLayout output[LAYOUT_MAX_MAPS];     /* OH x OW each */
    /* arithmetic row, per drawn channel (conv: current filter's slices) */
    GridLayout kernel[LAYOUT_MAX_CHANNELS]; /* conv weights; pooling: the window's values */
    GridLayout product[LAYOUT_MAX_CHANNELS];/* conv products; unused for pooling */
    Rect op_times[LAYOUT_MAX_CHANNELS];     /* the "x" between kernel and products */
    Rect channel_sum[LAYOUT_MAX_CHANNELS];  /* "= 123.5" after the products */
    Rect bias;                              /* bias box (conv with bias), for clicks */
} Layout;

/* Computes the layout of s as v shows it in a w x h window. Any size works
 * (tiny windows get tiny cells, never negative sizes). */
void layout_compute(const Scene *s, const View *v, int w, int h, Layout *out);

/* What is at pixel (x, y): an input cell (including padding cells and the
 * inset's cells), an output cell, a weight (of the current filter), the
 * bias, a timeline step, or TARGET_NONE. Channel and map numbers are the
 * model's (slot + first_channel / first_map). */
Target layout_hit(const Layout *l, const Scene *s, int x, int y);

/* Pixel rectangle of cell (row, col) of g (grid coordinates, not model). */
Rect layout_cell_rect(const GridLayout *g, int row, int col);

/* The grid cell showing model coordinate (y, x), or false if g does not
 * show it. */
bool layout_grid_find(const GridLayout *g, int y, int x, int *row, int *col);

#endif
