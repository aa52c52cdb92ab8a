/* net_layout.c: the network scene's layout (see net_layout.h). Pure: no
 * SDL, no text rendering; text widths are planned with the monospace
 * font's advance (about 0.6 of its size, rounded up here).
 *
 * The input picture takes a square of side S on the left (as large as the
 * canvas height and 30% of its width allow, its cells at most
 * NET_MAX_PITCH). Every other card is a square of side f * S (a vector card
 * is f * S wide and half as high), and f <= 1 is the largest factor (a
 * bisection) at which the cards flow into the room to the right of the
 * input. */
#include "net_layout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NET_MAX_PITCH 40.0      /* the input's largest cell at k = 1 */
#define NET_MIN_CARD 18.0       /* smallest card side in pixels at k = 1 */
#define NET_BARS_ASPECT 0.5     /* a vector card's height over its width */
#define CHAR_W 0.62             /* planned monospace advance per pixel of size */
#define LABEL_LINES 3.4         /* name, shape, legend (in small_px * 1.25 lines) */

/* ------------------------------------------------------------- one card */

/* The tiles of card g at side `side` pixels (tile gap gap) into b. */
static void place_map(const NetScene *s, size_t j, double side, double gap, NetBox *b)
{
    const NetCard *g = &s->cards[j];
    b->kind = NET_BOX_MAP;
    b->rows = g->h;
    b->cols = g->w;
    b->n_items = (int)(g->c < NET_MAX_TILES ? g->c : NET_MAX_TILES);
    b->tile_cols = (int)ceil(sqrt((double)b->n_items));
    int tile_rows = (b->n_items + b->tile_cols - 1) / b->tile_cols;
    b->gap = b->n_items > 1 ? gap : 0.0;
    /* the whole card is side x side (the longer axis of the map) */
    double longest = (double)(g->h > g->w ? g->h : g->w);
    double t = (side - (b->tile_cols - 1) * b->gap) / b->tile_cols;
    double t_rows = (side - (tile_rows - 1) * b->gap) / tile_rows;
    b->pitch = fmax(fmin(t, t_rows) / longest, 1e-3);
    b->tile_w = b->pitch * (double)g->w;
    b->tile_h = b->pitch * (double)g->h;
    b->w = b->tile_cols * b->tile_w + (b->tile_cols - 1) * b->gap;
    b->h = tile_rows * b->tile_h + (tile_rows - 1) * b->gap;
    for (int k = 0; k < b->n_items; k++)
        b->item[k] = net_scene_channel_at(s, j, (size_t)k);
    b->slices = g->c > (size_t)b->n_items ? 2 : 0;
    b->slice_dx = b->slices ? fmax(2.0, side * 0.04) : 0.0;
}

/* The bars of vector card g at width side into b. */
static void place_bars(const NetScene *s, size_t j, double side, NetBox *b)
{
    const NetCard *g = &s->cards[j];
    b->kind = NET_BOX_BARS;
    b->rows = 1;
    b->cols = g->c;
    b->n_items = (int)(g->c < NET_MAX_BARS ? g->c : NET_MAX_BARS);
    b->tile_cols = b->n_items;
    b->pitch = side / b->n_items;
    b->w = side;
    b->h = side * NET_BARS_ASPECT;
    b->tile_w = b->pitch;
    b->tile_h = b->h;
    for (int k = 0; k < b->n_items; k++)
        b->item[k] = net_scene_channel_at(s, j, (size_t)k);
    b->slices = g->c > (size_t)b->n_items ? 2 : 0;
    b->slice_dx = b->slices ? fmax(2.0, side * 0.04) : 0.0;
}

static void place_card(const NetScene *s, size_t j, double side, double gap, NetBox *b)
{
    if (s->cards[j].flat)
        place_bars(s, j, side, b);
    else
        place_map(s, j, side, gap, b);
}

/* Places cards 1..n-1 at side f * S from (x0, y0) in a region rw x rh;
 * returns whether they fit. */
static bool flow(const NetScene *s, NetBox *boxes, size_t n, double S, double f, double x0, double y0,
                 double rw, double rh, double gap, double label_h, double k)
{
    double side = fmax(NET_MIN_CARD * k, f * S);
    double x = x0, y = y0, line_h = 0.0;
    double tile_gap = fmax(1.0, fmin(3.0 * k, side * 0.03));
    for (size_t j = 1; j < n; j++) {
        NetBox *b = &boxes[j];
        place_card(s, j, side, tile_gap, b);
        double deck = b->slices * b->slice_dx;
        double w = b->w + deck, h = b->h + deck;
        if (x > x0 && x + w > x0 + rw) {
            x = x0;
            y += line_h;
            line_h = 0.0;
        }
        b->x = x;
        b->y = y + deck;
        double item_h = h + label_h + gap * 0.5;
        if (item_h > line_h)
            line_h = item_h;
        x += fmax(w, side) + gap;
    }
    return y + line_h <= y0 + rh + 0.5;
}

/* Zoom about (cx, cy) and pan: screen = c + (p - c) * zoom + pan. */
static void transform(NetBox *b, double cx, double cy, double zoom, double pan_x, double pan_y)
{
    b->x = cx + (b->x - cx) * zoom + pan_x;
    b->y = cy + (b->y - cy) * zoom + pan_y;
    b->w *= zoom;
    b->h *= zoom;
    b->pitch *= zoom;
    b->tile_w *= zoom;
    b->tile_h *= zoom;
    b->gap *= zoom;
    b->slice_dx *= zoom;
}

/* ------------------------------------------------------------- the frame */

static void layout_canvas(const NetScene *s, NetLayout *L, double k)
{
    Rect R = L->canvas;
    size_t n = L->n_boxes;
    NetBox *boxes = L->boxes;
    double label_h = L->frame.small_px * 1.25 * LABEL_LINES;
    double gap = fmax(4.0, 14.0 * k);
    const NetCard *g0 = &s->cards[0];
    double side0 = (double)(g0->h > g0->w ? g0->h : g0->w);
    double S = fmin(R.h - label_h, R.w * (n > 1 ? 0.3 : 1.0));
    S = fmax(fmin(S, side0 * NET_MAX_PITCH * k), 4.0);
    NetBox *b0 = &boxes[0];
    b0->kind = NET_BOX_PICTURE;
    b0->rows = g0->h;
    b0->cols = g0->w;
    b0->n_items = 1;
    b0->tile_cols = 1;
    b0->pitch = S / side0;
    b0->w = b0->tile_w = b0->pitch * (double)g0->w;
    b0->h = b0->tile_h = b0->pitch * (double)g0->h;
    b0->x = R.x;
    b0->y = R.y;
    double rx = R.x + S + gap * 1.5, rw = R.x + R.w - rx;
    if (n > 1) {
        double lo = 0.0, hi = 1.0;
        if (!flow(s, boxes, n, S, hi, rx, R.y, rw, R.h, gap, label_h, k)) {
            for (int it = 0; it < 22; it++) {
                double mid = 0.5 * (lo + hi);
                if (flow(s, boxes, n, S, mid, rx, R.y, rw, R.h, gap, label_h, k))
                    lo = mid;
                else
                    hi = mid;
            }
            flow(s, boxes, n, S, lo, rx, R.y, rw, R.h, gap, label_h, k);
        }
    }
    double cx = R.x + R.w * 0.5, cy = R.y + R.h * 0.5;
    for (size_t j = 0; j < n; j++) {
        NetBox *b = &boxes[j];
        double room = b->w + b->slices * b->slice_dx;
        if (j + 1 < n && boxes[j + 1].x > b->x)
            room = boxes[j + 1].x - b->x - gap * 0.3;
        else if (j == 0)
            room = rx - b->x - gap * 0.3;
        transform(b, cx, cy, L->zoom, L->pan_x, L->pan_y);
        room *= L->zoom;
        b->label_rect = (Rect){px(b->x), px(b->y + b->h + 3.0), px(fmax(room, b->w)), px(label_h)};
        b->label = b->label_rect.w >= 7.0 * CHAR_W * L->frame.small_px;
    }
}

/* The classes panel: a title row, then one row per top class. */
static void layout_classes(const NetScene *s, NetLayout *L, int gap)
{
    if (!s->classifier || s->shown + 1 < s->n_cards)
        return;
    int need = px(30.0 * CHAR_W * L->frame.small_px);
    int w = imin(need, L->canvas.w / 3);
    L->classes = (Rect){L->canvas.x + L->canvas.w - w, L->canvas.y, w, L->canvas.h};
    L->canvas.w = imax(1, L->canvas.w - w - gap);
    L->n_classes = s->n_top;
    L->classes_card = (int)s->n_cards - 1;
    int row_h = px(L->frame.text_px * 2.6);
    int y = L->classes.y + px(L->frame.text_px * 1.8);
    for (size_t k = 0; k < s->n_top; k++) {
        L->class_row[k] = (Rect){L->classes.x, y, L->classes.w, row_h};
        L->class_index[k] = (int)s->top[k].index;
        y += row_h;
    }
}

void net_layout_compute(const NetScene *s, const View *v, int w, int h, NetLayout *L)
{
    memset(L, 0, sizeof *L);
    canvas_frame_compute(w, h, v->ui_scale, &L->frame);
    const CanvasFrame *f = &L->frame;
    L->scale = (float)f->k;
    L->zoom = v->zoom > 0.0f ? v->zoom : 1.0f;
    L->pan_x = v->pan_x;
    L->pan_y = v->pan_y;
    double k = f->k;
    int gap = f->gap;
    canvas_frame_strip(f, 2, f->header.y + f->header.h, &L->strip, &L->canvas);
    layout_classes(s, L, gap);

    L->steps = net_scene_step_count(s);
    L->n_boxes = s->shown + 1;
    if (!(L->boxes = calloc(L->n_boxes, sizeof *L->boxes))) {
        L->n_boxes = 0;
        return;
    }
    layout_canvas(s, L, k);
}

void net_layout_free(NetLayout *L)
{
    free(L->boxes);
    L->boxes = NULL;
    L->n_boxes = 0;
}

Rect net_layout_cell(const NetBox *b, int k, int y, int x)
{
    double tx = b->x + (k % b->tile_cols) * (b->tile_w + b->gap);
    double ty = b->y + (k / b->tile_cols) * (b->tile_h + b->gap);
    if (b->kind == NET_BOX_BARS)
        return (Rect){(int)floor(b->x + k * b->pitch), (int)floor(b->y),
                      imax(1, (int)floor(b->x + (k + 1) * b->pitch) - (int)floor(b->x + k * b->pitch)),
                      imax(1, (int)lround(b->h))};
    int x0 = (int)floor(tx + x * b->pitch), x1 = (int)floor(tx + (x + 1) * b->pitch);
    int y0 = (int)floor(ty + y * b->pitch), y1 = (int)floor(ty + (y + 1) * b->pitch);
    return (Rect){x0, y0, imax(1, x1 - x0), imax(1, y1 - y0)};
}

static bool inside(Rect r, int x, int y)
{
    return x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h;
}

/* The cell of box b (card j) under (x, y), if any. */
static bool hit_box(const NetBox *b, size_t j, int x, int y, Target *t)
{
    double px0 = x + 0.5 - b->x, py0 = y + 0.5 - b->y;
    if (px0 < 0.0 || py0 < 0.0 || px0 >= b->w || py0 >= b->h)
        return false;
    *t = (Target){TARGET_NET_CELL, (int)j, 0, 0, 0, 0};
    if (b->kind == NET_BOX_BARS) {
        int k = (int)(px0 / b->pitch);
        if (k < 0 || k >= b->n_items)
            return false;
        t->c = b->item[k];
        return true;
    }
    int col = (int)(px0 / (b->tile_w + b->gap)), row = (int)(py0 / (b->tile_h + b->gap));
    double in_x = px0 - col * (b->tile_w + b->gap), in_y = py0 - row * (b->tile_h + b->gap);
    int k = row * b->tile_cols + col;
    if (col >= b->tile_cols || k >= b->n_items || in_x >= b->tile_w || in_y >= b->tile_h)
        return false;
    int cx = (int)(in_x / b->pitch), cy = (int)(in_y / b->pitch);
    if (cx >= (int)b->cols || cy >= (int)b->rows)
        return false;
    t->c = b->kind == NET_BOX_PICTURE ? 0 : b->item[k];
    t->y = cy;
    t->x = cx;
    return true;
}

Target net_layout_hit(const NetLayout *L, int x, int y)
{
    Target t = {TARGET_NONE, 0, 0, 0, 0, 0};
    if (inside(L->frame.timeline_bar, x, y) || inside(L->frame.timeline, x, y)) {
        Rect b = L->frame.timeline_bar;
        double f = b.w > 1 ? (double)(x - b.x) / (double)(b.w - 1) : 0.0;
        f = fmin(fmax(f, 0.0), 1.0);
        t.kind = TARGET_TIMELINE;
        t.step = (size_t)lround(f * (double)(L->steps - 1));
        return t;
    }
    for (size_t k = 0; k < L->n_classes; k++)
        if (inside(L->class_row[k], x, y))
            return (Target){TARGET_NET_CELL, L->classes_card, L->class_index[k], 0, 0, 0};
    if (!inside(L->canvas, x, y))
        return t;
    for (size_t j = 0; j < L->n_boxes; j++)
        if (hit_box(&L->boxes[j], j, x, y, &t))
            return t;
    return (Target){TARGET_NONE, 0, 0, 0, 0, 0};
}
