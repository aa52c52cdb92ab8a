/* layer_layout.c: rectangles for every panel from (scene, view, size); see
 * layer_layout.h for the picture. Pure: no SDL, no text rendering. Sizes come
 * from one factor, k = min(w/1280, h/720) * ui_scale, so 1920x1080 is
 * 1280x720 enlarged, and the grids then take what room is left: cells are
 * as large as the width and height allow, capped so tiny inputs do not
 * become giant tiles.
 *
 * Start at layout_compute: it sizes the text, lays the strips from the
 * top and bottom edges inwards, picks the channels and maps shown, sizes
 * the cells (numbers, or pictures with an inset), and places the channel
 * columns and the output maps. Every length below is given at 1280x720
 * and multiplied by k (or by fit, the window factor without the UI scale,
 * where noted); a "lines" constant is a multiple of a text size. */
#include "layer_layout.h"

#include <math.h>
#include <string.h>

/* ---- the window's factor ---- */
#define BASE_W 1280.0f          /* the window size every length is given at */
#define BASE_H 720.0f
#define MIN_FIT 0.25f           /* smallest window factor: a tiny window still gets sane sizes */

/* ---- text ---- */
#define TEXT_PX 18.0f           /* body text */
#define SMALL_PX 14.0f          /* labels */
#define BIG_PX 26.0f            /* the sum line */
#define TEXT_MIN_PX 7           /* the smallest sizes a tiny window shrinks them to */
#define SMALL_MIN_PX 6
#define BIG_MIN_PX 8

/* ---- spacing and strips ---- */
#define MARGIN 14.0f            /* window edge (at fit, min MARGIN_MIN_PX) */
#define MARGIN_MIN_PX 2
#define GAP 20.0f               /* between panels (at fit, min GAP_MIN_PX) */
#define GAP_MIN_PX 2
#define LABEL_LINES 1.6f        /* a grid's label, in label sizes */
#define HEADER_LINES 1.7f       /* the header, in text sizes */
#define STATUS_LINES 1.7f       /* the status line, in label sizes */
#define TIMELINE_LINES 2.3f     /* the timeline, in text sizes */
#define BAR_H 10.0f             /* the timeline's bar (min BAR_MIN_PX) */
#define BAR_MIN_PX 4
#define BAR_INSET 4.0f          /* between the bar and the timeline's bottom */
#define FORMULA_LINES 1.8f      /* the formula strip, in label sizes */
#define SUM_LINES 1.8f          /* the sum line, in its big size */

/* ---- the channel row ---- */
/* Smallest cell (at 1280x720) that prints a three-digit value readably;
 * numbers_min_cell() scales it with the window but keeps it within
 * [NUMBERS_FLOOR, NUMBERS_CEIL] pixels, so a 16x16x3 input still shows every
 * number at 1920x1080 and a small window still prints the default scene. */
#define NUMBERS_MIN_CELL 26.0f
#define NUMBERS_FLOOR 18.0f
#define NUMBERS_CEIL 27.0f
/* Largest cell at k = 1. */
#define MAX_CELL 84.0f
#define SMALL_GRID_NUMBERS 18.0f /* kernel, window and inset cells print values from this (at fit) */
#define OUTPUT_NUMBERS 0.85f    /* output cells print values from this share of numbers_min_cell:
                                   one value per cell on its own colour reads a little smaller */
#define MAP_BETTER 1.05f        /* another arrangement of the maps must give cells this much larger */
#define LINK_W 48.0f            /* room for the arrow from the window to the output */
#define SUM_GAP 4.0f            /* between the arithmetic grids and the channel sum */
#define SUM_TEXT_LINES 1.5f     /* the channel sum, in text sizes */
#define TIMES_LINES 1.6f        /* the "x" between kernel and products, in text sizes */
#define KERNEL_MAX_ZOOM 2.0f    /* kernel cells at most this many input cells */
#define OUTPUT_MAX_ZOOM 1.5f    /* output cells at most this many input cells, or
                                   OUTPUT_NUMBERS_ROOM readable ones */
#define OUTPUT_NUMBERS_ROOM 1.6f
#define PICTURE_SHARE 0.30f     /* a picture takes at most this share of the main height */
#define INSET_BORDER 1          /* cells the inset shows around the window on each side */
#define BIAS_W_LINES 5.0f       /* the bias box, in text sizes */
#define BIAS_H_LINES 1.8f
#define POOL_RIGHT_W 260.0f     /* pooling: the column of the window's values on the right */

/* ---- grid cells ---- */
#define CELL_GAP_FROM 12        /* cells from this size get a gap between them ... */
#define CELL_GAP_DIV 22         /* ... of 1/CELL_GAP_DIV of a cell (at least 1 pixel) */
#define CELL_TEXT 0.44f         /* a value's size, in cell sides */
#define CELL_TEXT_MIN_PX 6

static float numbers_min_cell(float fit)
{
    return fminf(fmaxf(NUMBERS_MIN_CELL * fit, NUMBERS_FLOOR), NUMBERS_CEIL);
}

/* Fills g for rows x cols cells of side cell at (x, y), showing model
 * coordinates from (y0, x0). Numbers are printed when the cell is at least
 * numbers_min_cell(fit), fit being the window's size factor (not the UI
 * scale: a bigger scale should make numbers bigger where there is room,
 * never turn them into a picture). */
static void grid_place(GridLayout *g, int x, int y, int rows, int cols, int y0, int x0, int cell,
                       float fit)
{
    cell = imax(cell, 1);
    int gap = cell >= CELL_GAP_FROM ? imax(1, cell / CELL_GAP_DIV) : 0;
    g->rows = rows;
    g->cols = cols;
    g->y0 = y0;
    g->x0 = x0;
    g->cell = imax(cell - gap, 1);
    g->pitch = cell;
    g->rect.x = x;
    g->rect.y = y;
    g->rect.w = cols * cell - gap;
    g->rect.h = rows * cell - gap;
    g->numbers = (float)cell >= numbers_min_cell(fit) * 0.999f;
    g->text_px = imax(CELL_TEXT_MIN_PX, px((float)g->cell * CELL_TEXT));
}

Rect layout_cell_rect(const GridLayout *g, int row, int col)
{
    Rect r = {g->rect.x + col * g->pitch, g->rect.y + row * g->pitch, g->cell, g->cell};
    return r;
}

bool layout_grid_find(const GridLayout *g, int y, int x, int *row, int *col)
{
    int r = y - g->y0, c = x - g->x0;
    if (g->rows <= 0 || r < 0 || c < 0 || r >= g->rows || c >= g->cols)
        return false;
    *row = r;
    *col = c;
    return true;
}

/* Moves every panel of the main area down by dy pixels. */
static void shift_main(Layout *L, int dy)
{
    for (int c = 0; c < L->n_channels; c++) {
        L->channel_label[c].y += dy;
        L->input[c].rect.y += dy;
        L->inset[c].rect.y += dy;
        L->kernel[c].rect.y += dy;
        L->product[c].rect.y += dy;
        L->op_times[c].y += dy;
        L->channel_sum[c].y += dy;
    }
    for (int m = 0; m < L->n_maps; m++) {
        L->map_label[m].y += dy;
        L->output[m].rect.y += dy;
    }
    L->bias.y += dy;
}

/* Centres the main area's content vertically between the header and the
 * sum line when it is shorter (a tall window), keeping it in one block. */
static void centre_main(Layout *L, int main_top, int main_h)
{
    int bottom = main_top;
    for (int c = 0; c < L->n_channels; c++)
        bottom = imax(bottom, L->channel_sum[c].y + L->channel_sum[c].h);
    for (int m = 0; m < L->n_maps; m++)
        bottom = imax(bottom, L->output[m].rect.y + L->output[m].rect.h);
    if (L->bias.h > 0)
        bottom = imax(bottom, L->bias.y + L->bias.h);
    int spare = main_top + main_h - bottom;
    if (spare > 1)
        shift_main(L, spare / 2);
}

/* ---- the steps of layout_compute ---- */

/* What the steps share: the window's factors, the main area, the grids'
 * shapes and, once sized, their cells. */
typedef struct Plan {
    const Scene *s;
    const Trace *t;
    bool pool;
    float fit;                  /* window factor, min(w/BASE_W, h/BASE_H), at least MIN_FIT */
    float k;                    /* fit times the UI scale (L->scale) */
    int margin, gap, label_h;
    int main_top, main_h, main_w;   /* the area between the header and the sum line */
    /* grid shapes */
    int in_rows, in_cols, in_y0, in_x0; /* the padded input drawn (stepper_input_extent) */
    int out_rows, out_cols;     /* one output map */
    int kh, kw;
    int map_cols, map_rows;     /* how the output maps are arranged */
    int sum_h;                  /* a channel sum and the gap above it */
    int link_w;                 /* room for the link from the window to the output */
    int times_w;                /* the "x" between kernel and products */
    /* cells, in pixels */
    bool pictures;              /* input cells too small for numbers: pictures and an inset */
    int input_cell, kernel_cell, inset_cell, output_cell;
    int inset_rows, inset_cols;
    int column_w;               /* one channel's column */
    int arith_top;              /* top of the arithmetic row's label */
} Plan;

/* Text sizes and the factors every other length is scaled by. */
static void plan_text(Layout *L, Plan *P, const View *v, int w, int h)
{
    float ui_scale = v->ui_scale > 0.0f ? v->ui_scale : 1.0f;
    P->fit = fmaxf(fminf((float)w / BASE_W, (float)h / BASE_H), MIN_FIT);
    P->k = P->fit * ui_scale;
    L->scale = P->k;
    /* the scale enlarges the text that carries the arithmetic fully, the
     * labels and gaps less: in a window the grids already fill, every
     * pixel of height they give up makes their numbers smaller */
    float text_scale = P->fit * sqrtf(ui_scale);
    L->text_px = imax(TEXT_MIN_PX, px(TEXT_PX * text_scale));
    L->small_px = imax(SMALL_MIN_PX, px(SMALL_PX * text_scale));
    L->big_px = imax(BIG_MIN_PX, px(BIG_PX * P->k));
    P->margin = imax(MARGIN_MIN_PX, px(MARGIN * P->fit));
    P->gap = imax(GAP_MIN_PX, px(GAP * P->fit));
    P->label_h = px((float)L->small_px * LABEL_LINES);
}

/* The header at the top; status, timeline, formula and sum line stacked up
 * from the bottom; the main area between. */
static void plan_strips(Layout *L, Plan *P, int w, int h)
{
    int margin = P->margin, strip_w = w - 2 * margin;
    L->header = (Rect){margin, margin / 2, strip_w, px((float)L->text_px * HEADER_LINES)};
    int status_h = px((float)L->small_px * STATUS_LINES);
    L->status = (Rect){margin, h - margin / 2 - status_h, strip_w, status_h};
    int timeline_h = px((float)L->text_px * TIMELINE_LINES);
    L->timeline = (Rect){margin, L->status.y - timeline_h, strip_w, timeline_h};
    int bar_h = imax(BAR_MIN_PX, px(BAR_H * P->k));
    int bar_y = L->timeline.y + L->timeline.h - bar_h - px(BAR_INSET * P->k);
    L->timeline_bar = (Rect){margin, bar_y, strip_w, bar_h};
    int formula_h = px((float)L->small_px * FORMULA_LINES);
    L->formula = (Rect){margin, L->timeline.y - formula_h, strip_w, formula_h};
    int sum_line_h = px((float)L->big_px * SUM_LINES);
    L->sum_line = (Rect){margin, L->formula.y - sum_line_h, strip_w, sum_line_h};
    P->main_top = L->header.y + L->header.h + P->gap / 2;
    P->main_h = imax(1, L->sum_line.y - P->gap / 2 - P->main_top);
    P->main_w = imax(1, strip_w);
}

/* Which channels and maps get slots, and the shapes of the grids. With
 * more channels than slots, the slots follow the channel being worked on,
 * with a few either side of it. */
static void plan_slots(Layout *L, Plan *P)
{
    const Scene *s = P->s;
    const Trace *t = P->t;
    size_t oh, ow, filters;
    stepper_output_size(s->stepper, &oh, &ow, &filters);
    stepper_input_extent(s->stepper, &P->in_y0, &P->in_x0, &P->in_rows, &P->in_cols);
    P->out_rows = (int)oh;
    P->out_cols = (int)ow;
    P->kh = t->kh;
    P->kw = t->kw;
    int slots = imin((int)s->input.c, LAYOUT_MAX_CHANNELS);
    L->n_channels = slots;
    L->n_maps = imin((int)filters, LAYOUT_MAX_MAPS);
    if ((int)s->input.c > slots) {
        int current = P->pool ? t->filter : t->channel_step >= 0 ? t->channels[t->channel_step].channel : 0;
        L->first_channel = imax(0, imin(current - slots / 2 + 1, (int)s->input.c - slots));
    }
    if (P->pool)
        L->first_map = imax(0, imin(L->first_channel, (int)filters - L->n_maps));
}

/* The maps' columns and rows: the arrangement giving the largest cells in
 * an output area of about one channel column's width. */
static void plan_map_grid(const Layout *L, Plan *P)
{
    int maps = L->n_maps;
    float best = 0.0f;
    P->map_cols = 1;
    P->map_rows = maps;
    for (int cols = 1; cols <= maps; cols++) {
        int rows = (maps + cols - 1) / cols;
        float area_w = (float)P->main_w / (float)(L->n_channels + 1);
        float cell_w = (area_w - (float)(cols - 1) * (float)P->gap) / (float)(cols * P->out_cols);
        float cell_h =
            ((float)P->main_h - (float)rows * (float)(P->label_h + P->gap)) / (float)(rows * P->out_rows);
        float cell = fminf(cell_w, cell_h);
        if (cell > best * MAP_BETTER) {
            best = cell;
            P->map_cols = cols;
            P->map_rows = rows;
        }
    }
}

/* The input cell the room allows: from the width (channel grids, plus
 * output maps at the same size for a start) and from the height (the grid,
 * its label, the arithmetic row of kh cells, its label and the channel
 * sum), capped at MAX_CELL. */
static float input_cell_from_room(const Layout *L, const Plan *P)
{
    int nc = L->n_channels, mc = P->map_cols;
    float across = (float)(nc * P->in_cols + mc * P->out_cols);
    float from_w =
        ((float)P->main_w - (float)(nc + mc) * (float)P->gap - (float)P->link_w) / fmaxf(across, 1.0f);
    float from_h = ((float)(P->main_h - 2 * P->label_h - P->sum_h - P->gap)) / (float)(P->in_rows + P->kh);
    return fminf(fminf(from_w, from_h), MAX_CELL * P->k);
}

/* Cells when the input prints numbers: the input at cell, the kernel and
 * product grids side by side with the "x" between, under it. */
static void plan_number_cells(Plan *P, float cell)
{
    float max_cell = MAX_CELL * P->k;
    P->input_cell = imax(1, (int)cell);
    P->column_w = P->in_cols * P->input_cell;
    float kernel = fminf(((float)P->column_w - (float)P->times_w) / (float)(2 * P->kw),
                         (float)P->input_cell * KERNEL_MAX_ZOOM);
    int below_input = P->main_h - 2 * P->label_h - P->in_rows * P->input_cell - P->gap - P->sum_h;
    kernel = fminf(kernel, ((float)below_input) / (float)P->kh);
    kernel = fminf(kernel, max_cell);
    P->kernel_cell = imax(1, (int)kernel);
    P->arith_top = P->main_top + P->label_h + P->in_rows * P->input_cell + P->gap;
}

/* Cells when the input is a picture: whole pixels per cell, at most
 * PICTURE_SHARE of the height; the inset (the window and INSET_BORDER
 * cells around it) and the arithmetic share the rest. */
static void plan_picture_cells(const Layout *L, Plan *P)
{
    int nc = L->n_channels, mc = P->map_cols, gap = P->gap, label_h = P->label_h;
    float max_cell = MAX_CELL * P->k;
    float picture = fminf(((float)P->main_w - (float)(nc + mc) * (float)gap) /
                              fmaxf((float)(nc * P->in_cols + mc * P->out_cols), 1.0f),
                          PICTURE_SHARE * (float)P->main_h / (float)P->in_rows);
    P->input_cell = imax(1, (int)picture);
    P->column_w = imax(P->in_cols * P->input_cell, (P->main_w - (nc + mc) * gap) / (nc + 1));
    int picture_h = P->in_rows * P->input_cell;
    int rest = P->main_h - label_h - picture_h - gap - label_h - gap - label_h - P->sum_h;
    float inset =
        fminf((float)P->column_w / (float)P->inset_cols, (float)rest / (float)(P->inset_rows + P->kh));
    float kernel = fminf(inset, ((float)P->column_w - (float)P->times_w) / (float)(2 * P->kw));
    inset = fminf(inset, max_cell);
    kernel = fminf(kernel, max_cell);
    P->inset_cell = imax(1, (int)inset);
    P->kernel_cell = imax(1, (int)kernel);
    P->arith_top = P->main_top + label_h + picture_h + gap + label_h + P->inset_rows * P->inset_cell + gap;
}

/* The output cell: the output column takes the width the channel columns
 * leave, and the height the bias box leaves; with numbers, at most
 * OUTPUT_MAX_ZOOM input cells (or OUTPUT_NUMBERS_ROOM readable ones). */
static void plan_output_cell(const Layout *L, Plan *P, int area_w)
{
    int mc = P->map_cols, mr = P->map_rows;
    bool bias = !P->pool && P->s->has_bias;
    int bias_h = bias ? P->label_h + px((float)L->text_px * BIAS_H_LINES) + P->gap : 0;
    float cell = fminf(((float)area_w - (float)(mc - 1) * (float)P->gap) / (float)(mc * P->out_cols),
                       ((float)(P->main_h - bias_h) - (float)mr * (float)(P->label_h + P->gap)) /
                           (float)(mr * P->out_rows));
    cell = fminf(cell, MAX_CELL * P->k);
    if (!P->pictures)
        cell = fminf(cell, fmaxf((float)P->input_cell * OUTPUT_MAX_ZOOM,
                                 numbers_min_cell(P->fit) * OUTPUT_NUMBERS_ROOM));
    P->output_cell = imax(1, (int)cell);
}

/* Pooling with readable numbers: each channel's pooled map right under its
 * input (same cell size, so the window and the cell it makes line up), and
 * the window's values with the max or the average in a column on the
 * right. Returns false when the numbers would not be readable (the general
 * layout then draws pictures and an inset). */
static bool layout_pool(Layout *L, const Plan *P)
{
    int nc = L->n_channels, gap = P->gap, label_h = P->label_h;
    float k = P->k, fit = P->fit;
    int right_w = px(POOL_RIGHT_W * k);
    int widest = imax(P->in_cols, P->out_cols);
    float from_w = ((float)(P->main_w - right_w - nc * gap)) / (float)imax(nc * widest, 1);
    float from_h = ((float)(P->main_h - 2 * label_h - gap)) / (float)(P->in_rows + P->out_rows);
    float fitted = fminf(fminf(from_w, from_h), MAX_CELL * k);
    if (fitted < numbers_min_cell(fit))
        return false;
    int cell = (int)fitted;
    int column_w = widest * cell;
    int used = nc * (column_w + gap) + right_w;
    int x = P->margin + imax(0, P->main_w - used) / 2;
    int out_top = P->main_top + label_h + P->in_rows * cell + gap;
    int out_room = P->main_top + P->main_h - out_top - label_h;
    int out_cell = imax(cell, imin(column_w / imax(P->out_cols, 1), out_room / imax(P->out_rows, 1)));
    out_cell = imin(out_cell, px(MAX_CELL * k));
    for (int ci = 0; ci < nc; ci++) {
        L->channel_label[ci] = (Rect){x, P->main_top, column_w, label_h};
        grid_place(&L->input[ci], x + (column_w - P->in_cols * cell) / 2, P->main_top + label_h, P->in_rows,
                   P->in_cols, P->in_y0, P->in_x0, cell, fit);
        if (ci < L->n_maps) {
            L->map_label[ci] = (Rect){x, out_top, column_w, label_h};
            grid_place(&L->output[ci], x + (column_w - P->out_cols * out_cell) / 2, out_top + label_h,
                       P->out_rows, P->out_cols, 0, 0, out_cell, fit);
        }
        x += column_w + gap;
    }
    /* the window's values: at most 5/4 of the cell size, fitting the right column */
    int window_cell = imin(cell * 5 / 4, (right_w - gap) / imax(P->kw, 1));
    window_cell = imin(window_cell, (P->main_h - 3 * label_h - P->sum_h) / imax(P->kh, 1));
    window_cell = imax(window_cell, 1);
    int window_x = x + (right_w - P->kw * window_cell) / 2;
    int window_y = P->main_top + label_h + label_h;
    for (int ci = 0; ci < nc; ci++) {
        grid_place(&L->kernel[ci], window_x, window_y, P->kh, P->kw, 0, 0, window_cell, fit);
        L->kernel[ci].numbers = (float)window_cell >= SMALL_GRID_NUMBERS * fit;
        L->channel_sum[ci] = (Rect){x, window_y + P->kh * window_cell + px(SUM_GAP * k), right_w,
                                    px((float)L->text_px * SUM_TEXT_LINES)};
    }
    return true;
}

/* Channel slot ci in the column at x: its label and input grid, the inset
 * around the window (pictures), and the arithmetic row: the kernel (or
 * the pooling window), the "x", the products and the channel sum. */
static void place_channel_column(Layout *L, const Plan *P, int ci, int x)
{
    const Trace *t = P->t;
    int label_h = P->label_h, kh = P->kh, kw = P->kw, cell_k = P->kernel_cell;
    int grid_x = x + (P->column_w - P->in_cols * P->input_cell) / 2;
    L->channel_label[ci] = (Rect){x, P->main_top, P->column_w, label_h};
    grid_place(&L->input[ci], grid_x, P->main_top + label_h, P->in_rows, P->in_cols, P->in_y0, P->in_x0,
               P->input_cell, P->fit);
    if (P->pictures) {
        GridLayout *g = &L->inset[ci];
        int inset_y0 = 0, inset_x0 = 0;
        if (t->channels && t->n_channels > 0) {
            inset_y0 = t->channels[0].cells[0].iy - INSET_BORDER;
            inset_x0 = t->channels[0].cells[0].ix - INSET_BORDER;
        }
        int top = P->main_top + label_h + P->in_rows * P->input_cell + P->gap + label_h;
        int inset_x = x + (P->column_w - P->inset_cols * P->inset_cell) / 2;
        grid_place(g, inset_x, top, P->inset_rows, P->inset_cols, inset_y0, inset_x0, P->inset_cell, P->fit);
        g->numbers = (float)P->inset_cell >= SMALL_GRID_NUMBERS * P->fit;
    }
    int pair_w = P->pool ? kw * cell_k : 2 * kw * cell_k + P->times_w;
    int arith_x = x + (P->column_w - pair_w) / 2;
    int arith_y = P->arith_top + label_h;
    grid_place(&L->kernel[ci], arith_x, arith_y, kh, kw, 0, 0, cell_k, P->fit);
    L->kernel[ci].numbers = (float)cell_k >= SMALL_GRID_NUMBERS * P->fit;
    if (!P->pool) {
        L->op_times[ci] = (Rect){arith_x + kw * cell_k, arith_y, P->times_w, kh * cell_k};
        int products_x = arith_x + kw * cell_k + P->times_w;
        grid_place(&L->product[ci], products_x, arith_y, kh, kw, 0, 0, cell_k, P->fit);
        L->product[ci].numbers = L->kernel[ci].numbers;
    }
    L->channel_sum[ci] = (Rect){x, arith_y + kh * cell_k + px(SUM_GAP * P->k), P->column_w,
                                px((float)L->text_px * SUM_TEXT_LINES)};
}

/* The output maps from x, map_cols to a row, and the bias box under them
 * (or under the arithmetic row's top, whichever is lower). */
static void place_output_maps(Layout *L, const Plan *P, int x)
{
    int label_h = P->label_h, cell = P->output_cell;
    int map_w = P->out_cols * cell, map_h = P->out_rows * cell;
    int maps_bottom = P->main_top;
    for (int m = 0; m < L->n_maps; m++) {
        int map_x = x + (m % P->map_cols) * (map_w + P->gap);
        int map_y = P->main_top + (m / P->map_cols) * (label_h + map_h + P->gap);
        L->map_label[m] = (Rect){map_x, map_y, map_w, label_h};
        grid_place(&L->output[m], map_x, map_y + label_h, P->out_rows, P->out_cols, 0, 0, cell, P->fit);
        L->output[m].numbers = (float)cell >= OUTPUT_NUMBERS * numbers_min_cell(P->fit);
        maps_bottom = imax(maps_bottom, map_y + label_h + map_h);
    }
    if (!P->pool && P->s->has_bias) {
        int bias_w = px((float)L->text_px * BIAS_W_LINES), bias_h = px((float)L->text_px * BIAS_H_LINES);
        L->bias = (Rect){x, imax(P->arith_top, maps_bottom + P->gap) + label_h, bias_w, bias_h};
    }
}

void layout_compute(const Scene *s, const View *v, int w, int h, Layout *L)
{
    Plan P;
    memset(L, 0, sizeof *L);
    memset(&P, 0, sizeof P);
    w = imax(w, 1);
    h = imax(h, 1);
    L->w = w;
    L->h = h;
    P.s = s;
    P.t = stepper_trace(s->stepper);
    P.pool = s->kind == LAYER_POOL;
    plan_text(L, &P, v, w, h);
    plan_strips(L, &P, w, h);
    plan_slots(L, &P);
    plan_map_grid(L, &P);
    P.sum_h = px((float)L->text_px * SUM_TEXT_LINES) + px(SUM_GAP * P.k);
    P.link_w = px(LINK_W * P.k);
    P.times_w = px((float)L->text_px * TIMES_LINES);
    float cell = input_cell_from_room(L, &P);
    P.pictures = cell < numbers_min_cell(P.fit);
    if (P.pool && layout_pool(L, &P)) {
        centre_main(L, P.main_top, P.main_h);
        return;
    }
    P.inset_rows = P.t->dilation_h * (P.kh - 1) + 1 + 2 * INSET_BORDER;
    P.inset_cols = P.t->dilation_w * (P.kw - 1) + 1 + 2 * INSET_BORDER;
    if (P.pictures) {
        plan_picture_cells(L, &P);
        L->has_inset = true;
    } else {
        plan_number_cells(&P, cell);
    }
    int out_x = P.margin + L->n_channels * (P.column_w + P.gap) + P.link_w;
    plan_output_cell(L, &P, P.margin + P.main_w - out_x);
    /* the columns and maps as one block, moved right by half the width the maps leave */
    int out_w = P.map_cols * P.out_cols * P.output_cell + (P.map_cols - 1) * P.gap;
    int x = P.margin + imax(0, P.margin + P.main_w - out_x - out_w) / 2;
    for (int ci = 0; ci < L->n_channels; ci++, x += P.column_w + P.gap)
        place_channel_column(L, &P, ci, x);
    place_output_maps(L, &P, x + P.link_w);
    centre_main(L, P.main_top, P.main_h);
}

static bool in_rect(Rect r, int x, int y)
{
    return x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h;
}

/* The model cell of g at pixel (x, y), if any (gaps count as the cell). */
static bool grid_hit(const GridLayout *g, int x, int y, int *my, int *mx)
{
    if (g->rows <= 0 || g->pitch <= 0 || !in_rect(g->rect, x, y))
        return false;
    *my = g->y0 + (y - g->rect.y) / g->pitch;
    *mx = g->x0 + (x - g->rect.x) / g->pitch;
    return true;
}

Target layout_hit(const Layout *l, const Scene *s, int x, int y)
{
    Target hit = {TARGET_NONE, 0, 0, 0, 0, 0};
    const Trace *t = stepper_trace(s->stepper);
    int my, mx;
    for (int c = 0; c < l->n_channels; c++) {
        if (grid_hit(&l->input[c], x, y, &my, &mx) ||
            (l->has_inset && grid_hit(&l->inset[c], x, y, &my, &mx))) {
            hit.kind = TARGET_INPUT;
            hit.c = l->first_channel + c;
            hit.y = my;
            hit.x = mx;
            return hit;
        }
        if (s->kind != LAYER_POOL && grid_hit(&l->kernel[c], x, y, &my, &mx)) {
            hit.kind = TARGET_WEIGHT;
            hit.f = t->filter;
            hit.c = l->first_channel + c;
            hit.y = my;
            hit.x = mx;
            return hit;
        }
    }
    for (int m = 0; m < l->n_maps; m++) {
        if (grid_hit(&l->output[m], x, y, &my, &mx)) {
            hit.kind = TARGET_OUTPUT;
            hit.f = l->first_map + m;
            hit.y = my;
            hit.x = mx;
            return hit;
        }
    }
    if (l->bias.w > 0 && in_rect(l->bias, x, y)) {
        hit.kind = TARGET_BIAS;
        hit.f = t->filter;
        return hit;
    }
    Rect bar = l->timeline_bar;
    bar.y -= bar.h;     /* a taller band than the bar itself is easier to hit */
    bar.h *= 3;
    if (bar.w > 0 && in_rect(bar, x, y)) {
        size_t count = stepper_count(s->stepper);
        double f = (double)(x - bar.x) / (double)bar.w;
        size_t step = (size_t)(f * (double)count);
        hit.kind = TARGET_TIMELINE;
        hit.step = step >= count ? count - 1 : step;
        return hit;
    }
    return hit;
}
