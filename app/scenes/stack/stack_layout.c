/* stack_layout.c: the layer-stack scene's layout (see stack_layout.h).
 * Pure: no SDL, no text rendering; text widths are planned with the
 * monospace font's advance (about 0.6 of its size, rounded up here).
 *
 * Within a pane the input takes a square of side S on the left (S as large
 * as the pane's height and 40% of the canvas width allow, capped so a tiny
 * input does not become giant tiles). The other maps get sides
 * f * S * side_j / side_input (at least STACK_MIN_SIDE pixels, at most S),
 * and f <= STACK_MAX_GROWTH is the largest factor (a bisection) at which
 * they flow into the room to the right of the input: f = 1 is the input's
 * scale, and small maps after a large input (AlexNet's 13x13 after
 * 224x224) grow to use the room, though never to cells larger than the
 * input's or STACK_GROWN_PITCH, whichever is larger (a 1x1 output stays
 * one cell). Every map keeps whole-cell room around it
 * for the padding a lit field reaches into. */
#include "stack_layout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define STACK_MIN_SIDE 6.0      /* smallest map side in pixels (at k = 1) */
#define STACK_MAX_PITCH 72.0    /* largest cell at k = 1 */
#define STACK_MAX_GROWTH 8.0    /* largest f: later maps' scale over the input's */
#define STACK_GROWN_PITCH 4.0   /* a grown map's cells stop at the input's or this (k = 1) */
#define CHAR_W 0.62             /* planned monospace advance per pixel of size */

int stack_layout_wrap(const char *text, int max_chars, int *starts, int *lens, int max)
{
    int n = 0, len = (int)strlen(text), at = 0;
    if (max_chars < 8)
        max_chars = 8;
    while (at < len) {
        while (at < len && text[at] == ' ')
            at++;
        if (at >= len)
            break;
        int end = at + max_chars;
        if (end >= len) {
            end = len;
        } else {
            int space = end;
            while (space > at && text[space] != ' ')
                space--;
            if (space > at)
                end = space;
        }
        if (n < max) {
            starts[n] = at;
            lens[n] = end - at;
        }
        n++;
        at = end;
    }
    return n;
}

/* The width and height (pixels) a map of stage g takes at pitch p with its
 * deck of slices and pad cells of room for padding on every side. */
static void box_extent(const StackStage *g, double p, double k, int pad, StackBox *b, double *w, double *h)
{
    b->pitch = p;
    b->rows = g->h;
    b->cols = g->w;
    b->pad = pad * p;
    b->slices = g->c > 1 ? (int)(g->c < STACK_MAX_SLICES ? g->c : STACK_MAX_SLICES) : 1;
    double side = p * (double)(g->h > g->w ? g->h : g->w);
    b->slice_dx = b->slices > 1 ? fmin(fmax(side * 0.06, 2.0), 7.0 * k) : 0.0;
    *w = p * (double)(g->w + 2 * (size_t)pad) + (b->slices - 1) * b->slice_dx;
    *h = p * (double)(g->h + 2 * (size_t)pad) + (b->slices - 1) * b->slice_dx;
}

/* The padding cells shown around pane P's maps: its largest layer padding,
 * at most 2 (a field reaching further is cut at that edge). */
static int pane_pad_cells(const StackPane *P)
{
    int pad = 0;
    for (size_t i = 0; i < P->spec.count; i++)
        for (int a = 0; a < 2; a++)
            if (P->rf[i].padding[a] > pad)
                pad = P->rf[i].padding[a];
    return pad < 2 ? pad : 2;
}

/* Places stages 1.. of pane P in region (x0, y0, rw, rh) at factor f of the
 * input's pitch p0; returns whether they fit. label_h: room under each;
 * pad: padding cells of room around each (pane_pad_cells). */
static bool flow(const StackPane *P, StackBox *boxes, double p0, double f, double x0, double y0,
                 double rw, double rh, double gap, double label_h, int pad, double k)
{
    double side0 = (double)(P->stages[0].h > P->stages[0].w ? P->stages[0].h : P->stages[0].w);
    double x = x0, y = y0, line_h = 0.0;
    for (size_t j = 1; j < P->n_stages; j++) {
        const StackStage *g = &P->stages[j];
        double sj = (double)(g->h > g->w ? g->h : g->w);
        double side = fmin(fmin(f * p0 * sj, p0 * side0), sj * fmax(p0, STACK_GROWN_PITCH * k));
        side = fmax(STACK_MIN_SIDE * k, side);
        double w, h;
        box_extent(g, side / sj, k, pad, &boxes[j], &w, &h);
        if (x > x0 && x + w > x0 + rw) {
            x = x0;
            y += line_h;
            line_h = 0.0;
        }
        double top = (boxes[j].slices - 1) * boxes[j].slice_dx;
        boxes[j].x = x + boxes[j].pad;
        boxes[j].y = y + top + boxes[j].pad;
        double item_h = h + label_h + gap * 0.5;
        if (item_h > line_h)
            line_h = item_h;
        x += w + gap;
    }
    return y + line_h <= y0 + rh + 0.5;
}

/* Zoom about (cx, cy) and pan: screen = c + (p - c) * zoom + pan. */
static void transform(StackBox *b, double cx, double cy, double zoom, double pan_x, double pan_y)
{
    b->x = cx + (b->x - cx) * zoom + pan_x;
    b->y = cy + (b->y - cy) * zoom + pan_y;
    b->pitch *= zoom;
    b->pad *= zoom;
    b->slice_dx *= zoom;
}

/* Lays out pane p in rect R. */
static void layout_pane(const StackScene *s, int p, Rect R, StackLayout *L, double k)
{
    const StackPane *P = &s->panes[p];
    StackBox *boxes = L->boxes[p];
    int title_h = px(L->frame.small_px * 1.7);
    L->pane[p] = R;
    L->pane_title[p] = (Rect){R.x, R.y, R.w, title_h};
    double label_h = L->frame.small_px * 3.85;    /* shape, kind, params and MACs */
    double gap = fmax(4.0, 16.0 * k);
    double y0 = R.y + title_h, ch = fmax(4.0, R.h - title_h - label_h);
    const StackStage *g0 = &P->stages[0];
    double side0 = (double)(g0->h > g0->w ? g0->h : g0->w);
    /* the input, with room above for its deck and around it for padding */
    StackBox probe;
    double w0, h0;
    int pad = pane_pad_cells(P);
    box_extent(g0, 1.0, k, pad, &probe, &w0, &h0);
    /* the deck adds 6% of the side per slice (box_extent), padding 2 * pad
     * cells */
    double padded = 1.0 + 2.0 * pad / side0;
    double S = fmin(ch / (padded + (probe.slices - 1) * 0.06), R.w * 0.4 / padded);
    S = fmin(S, side0 * STACK_MAX_PITCH * k);
    S = fmax(S, 4.0);
    box_extent(g0, S / side0, k, pad, &boxes[0], &w0, &h0);
    boxes[0].x = R.x + boxes[0].pad;
    boxes[0].y = y0 + (boxes[0].slices - 1) * boxes[0].slice_dx + boxes[0].pad;
    double p0 = S / side0;
    double rx = R.x + w0 + gap * 1.5, rw = R.x + R.w - rx;
    /* the largest factor at which the other maps fit */
    double lo = 0.0, hi = STACK_MAX_GROWTH;
    if (!flow(P, boxes, p0, hi, rx, y0, rw, R.h - title_h, gap, label_h, pad, k)) {
        for (int it = 0; it < 24; it++) {
            double mid = 0.5 * (lo + hi);
            if (flow(P, boxes, p0, mid, rx, y0, rw, R.h - title_h, gap, label_h, pad, k))
                lo = mid;
            else
                hi = mid;
        }
        flow(P, boxes, p0, lo, rx, y0, rw, R.h - title_h, gap, label_h, pad, k);
    }
    /* a label may use the room up to the next map in its row */
    double *room = malloc(P->n_stages * sizeof *room);
    for (size_t j = 0; room && j < P->n_stages; j++) {
        if (j == 0)
            room[j] = rx - boxes[0].x;
        else if (j + 1 < P->n_stages && boxes[j + 1].x > boxes[j].x)
            room[j] = boxes[j + 1].x - boxes[j].x;
        else if (j + 1 < P->n_stages) /* the end of a row: as much as its neighbours */
            room[j] = boxes[j].pitch * (double)P->stages[j].w + (boxes[j].slices - 1) * boxes[j].slice_dx + gap;
        else /* the last map: up to the pane's edge, for the output's shape */
            room[j] = rx + rw - boxes[j].x;
    }
    double cx = L->canvas.x + L->canvas.w * 0.5, cy = L->canvas.y + L->canvas.h * 0.5;
    for (size_t j = 0; j < P->n_stages; j++) {
        StackBox *b = &boxes[j];
        transform(b, cx, cy, L->zoom, L->pan_x, L->pan_y);
        const StackStage *g = &P->stages[j];
        double w = b->pitch * (double)g->w + (b->slices - 1) * b->slice_dx;
        double label_w = room ? room[j] * L->zoom - gap * 0.3 : w;
        b->label_rect = (Rect){px(b->x), px(b->y + b->pitch * (double)g->h + b->pad + 2.0), px(label_w),
                               px(label_h)};
        /* a label needs room for about six characters */
        b->label = label_w >= 6.0 * CHAR_W * L->frame.small_px;
    }
    free(room);
}

void stack_layout_compute(const StackScene *s, const View *v, int w, int h, StackLayout *L)
{
    memset(L, 0, sizeof *L);
    canvas_frame_compute(w, h, v->ui_scale, &L->frame);
    const CanvasFrame *f = &L->frame;
    L->scale = (float)f->k;
    L->zoom = v->zoom > 0.0f ? v->zoom : 1.0f;
    L->pan_x = v->pan_x;
    L->pan_y = v->pan_y;
    double k = f->k;
    int margin = f->margin, gap = f->gap, inner = f->inner;
    int y = f->header.y + f->header.h;
    if (s->lesson) {
        L->caption_chars = imax(8, (int)(inner / (CHAR_W * f->text_px)));
        int starts[16], lens[16];
        int lines = stack_layout_wrap(s->lesson->caption, L->caption_chars, starts, lens, 16);
        int line_h = px(f->text_px * 1.35);
        L->caption = (Rect){margin, y, inner, px(f->big_px * 1.5) + lines * line_h + gap / 2};
        y += L->caption.h;
    }
    canvas_frame_strip(f, STACK_STRIP_LINES, y, &L->strip, &L->canvas);
    if (v->show_table) {
        double need = (STACK_TABLE_CHARS + 1) * CHAR_W * L->frame.small_px;
        int tw = imax(1, (int)fmin(inner * 0.45, fmax(inner * 0.36, need)));
        L->table = (Rect){margin + inner - tw, L->canvas.y, tw, L->canvas.h};
        L->canvas.w = imax(1, L->canvas.w - tw - gap);
    }

    L->steps = stack_step_count(s);
    L->n_panes = s->n_panes;
    for (int p = 0; p < s->n_panes; p++) {
        L->shown[p] = stack_current(s, p);
        L->boxes[p] = calloc(s->panes[p].n_stages, sizeof *L->boxes[p]);
        if (!L->boxes[p]) {
            stack_layout_free(L);
            return;
        }
    }
    /* one column of panes; four (two comparisons) in two columns */
    int cols = s->n_panes >= 4 ? 2 : 1, rows = (s->n_panes + cols - 1) / cols;
    int ph = L->canvas.h / imax(1, rows), pw = L->canvas.w / cols;
    for (int p = 0; p < s->n_panes; p++)
        layout_pane(s, p, (Rect){L->canvas.x + (p % cols) * pw, L->canvas.y + (p / cols) * ph, pw - gap,
                                 ph - gap / 2}, L, k);
}

void stack_layout_free(StackLayout *L)
{
    for (int p = 0; p < LESSON_MAX_PANES; p++) {
        free(L->boxes[p]);
        L->boxes[p] = NULL;
    }
}

Rect stack_layout_cell(const StackBox *b, int y, int x)
{
    int x0 = (int)floor(b->x + x * b->pitch), x1 = (int)floor(b->x + (x + 1) * b->pitch);
    int y0 = (int)floor(b->y + y * b->pitch), y1 = (int)floor(b->y + (y + 1) * b->pitch);
    return (Rect){x0, y0, imax(1, x1 - x0), imax(1, y1 - y0)};
}

static bool inside(Rect r, int x, int y)
{
    return x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h;
}

Target stack_layout_hit(const StackLayout *L, int x, int y)
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
    if (!inside(L->canvas, x, y))
        return t;
    for (int p = 0; p < L->n_panes; p++) {
        if (!L->boxes[p])
            continue;
        for (size_t j = 0; j <= L->shown[p]; j++) {
            const StackBox *b = &L->boxes[p][j];
            double cx = (x + 0.5 - b->x) / b->pitch, cy = (y + 0.5 - b->y) / b->pitch;
            if (cx >= 0.0 && cy >= 0.0 && cx < (double)b->cols && cy < (double)b->rows) {
                t.kind = TARGET_STACK_CELL;
                t.f = p;
                t.c = (int)j;
                t.y = (int)cy;
                t.x = (int)cx;
                return t;
            }
        }
    }
    return t;
}
