/* layer_draw.c: the single-layer scene's frame (see layer_draw.h). Start
 * at layer_draw_frame at the bottom: with the kind's layout, it paints,
 * in order, the header, each input channel (cells, padding, unreached
 * rows, the window, the stride ghost), the arithmetic row (weights, products, channel sums, or the
 * pooling window), the output maps and the link from the current cell to
 * its window, the sum line, the formula strip, the timeline and the status
 * line. Everything is drawn through the toolkit (paint.h) on a Painter.
 *
 * Every number drawn comes from the scene's stepper: the trace of the
 * current step, the finished output cells (stepper_cell_done), or the input
 * and weight tensors the stepper reads; the geometry too (which rows a
 * window reaches, which outputs read a cell, where a padded value comes
 * from: stepper_unreached, stepper_window_reads, stepper_input_value). */
#include "layer_draw.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "layer_layout.h"
#include "paint.h"
#include "theme.h"

#define MAX_TRACKED 2048

typedef struct Ctx {
    Painter *p;
    const Scene *s;
    const View *v;
    const Theme *th;
    const Layout *L;
    const Trace *t;
    Pad4 pad;
    size_t oh, ow, nf;
    float in_lo[LAYOUT_MAX_CHANNELS], in_hi[LAYOUT_MAX_CHANNELS];
    float out_lo, out_hi;
    float w_absmax, p_absmax;
    /* rows / columns of the padded input no window reads, indexed from
     * -pad.top / -pad.left; beyond MAX_TRACKED they count as read */
    bool unreached_rows[MAX_TRACKED], unreached_cols[MAX_TRACKED];
    int n_unreached_rows, n_unreached_cols;
    int cell_px;            /* text size of the grid being drawn (grid_text_size) */
    int label_used;         /* width of the channel label just drawn */
    /* one text size per kind of grid, shared by every channel's grid */
    int input_px, inset_px, weight_px, product_px, output_px;
} Ctx;

/* ------------------------------------------------------------- helpers */

static Rect grow(Rect rc, int d)
{
    return (Rect){rc.x - d, rc.y - d, rc.w + 2 * d, rc.h + 2 * d};
}

/* Whether channels wear their colour: R, G, B of a colour image. Grey
 * images and arrays are drawn in grey. */
static bool tinted(const Ctx *x)
{
    return x->s->image_input && x->s->input.c >= 3;
}

/* ------------------------------------------------------------- numbers */

/* How many characters a value may take in g's cells: decimals are dropped
 * rather than the text shrunk below two thirds of the body text size (12
 * pixels at 1280x720), the smallest that reads from a distance. */
static int grid_chars(Ctx *x, const GridLayout *g)
{
    int chars = (g->cell - 2) / painter_char_width(x->p, x->L->text_px * 2 / 3);
    return chars < 3 ? 3 : chars > 6 ? 6 : chars;
}

/* Grows *longest to the length of v as g's cells print it. */
static void note_value(Ctx *x, const GridLayout *g, float v, int *longest)
{
    char buf[32];
    int n = (int)strlen(format_value(v, buf, sizeof buf, grid_chars(x, g)));
    if (n > *longest)
        *longest = n;
}

/* Sets the one text size of g's values (x->cell_px): the largest at which
 * a value of `longest` characters fits a cell, so a grid's numbers share a
 * size instead of each shrinking on its own. */
static void grid_text_size(Ctx *x, const GridLayout *g, int longest)
{
    int size = g->text_px;
    while (size > 6 && longest * painter_char_width(x->p, size) > g->cell - 2)
        size--;
    x->cell_px = size;
}

/* Value text in a cell at the grid's size (grid_text_size). */
static void cell_value(Ctx *x, const GridLayout *g, Rect cr, float v, Rgba c)
{
    char buf[32];
    if (!g->numbers)
        return;
    format_value(v, buf, sizeof buf, grid_chars(x, g));
    int size = paint_text_fit(x->p, buf, x->cell_px > 0 ? x->cell_px : g->text_px, cr.w - 2);
    painter_text(x->p, buf, size, c, cr.x + cr.w / 2, cr.y + cr.h / 2, TEXT_CENTER | TEXT_MIDDLE);
}

/* ------------------------------------------------------------- geometry */

/* Thickness of outlines at the layout's scale. */
static int thick(const Ctx *x, float base)
{
    return imax(1, (int)lroundf(base * x->L->scale));
}

static bool inside_input(const Ctx *x, int iy, int ix)
{
    return iy >= 0 && ix >= 0 && iy < (int)x->s->input.h && ix < (int)x->s->input.w;
}

static bool inside_padding(const Ctx *x, int iy, int ix)
{
    return iy >= -x->pad.top && ix >= -x->pad.left && iy < (int)x->s->input.h + x->pad.bottom &&
           ix < (int)x->s->input.w + x->pad.right;
}

/* The trace channel that reads input channel c, or NULL (pooling reads one
 * channel per step). */
static const TraceChannel *trace_channel(const Ctx *x, int c)
{
    for (int i = 0; i < x->t->n_channels; i++)
        if (x->t->channels[i].channel == c)
            return &x->t->channels[i];
    return NULL;
}

/* The rows and columns of the padded input that no window reads (e.g. the
 * last row and column of a 6x6 input, or its bottom and right padding,
 * depending on stride and padding), from the stepper. */
static void find_unreached(Ctx *x)
{
    x->n_unreached_rows = stepper_unreached(x->s->stepper, 0, x->unreached_rows, MAX_TRACKED);
    x->n_unreached_cols = stepper_unreached(x->s->stepper, 1, x->unreached_cols, MAX_TRACKED);
}

/* Pixel rectangle covering model cells [y1..y2] x [x1..x2] of g, clipped to
 * what g shows; false when none of it is shown. */
static bool span_rect(const GridLayout *g, int y1, int x1, int y2, int x2, Rect *out)
{
    int r1 = y1 - g->y0, c1 = x1 - g->x0, r2 = y2 - g->y0, c2 = x2 - g->x0;
    if (r2 < 0 || c2 < 0 || r1 >= g->rows || c1 >= g->cols)
        return false;
    r1 = imax(r1, 0);
    c1 = imax(c1, 0);
    r2 = imin(r2, g->rows - 1);
    c2 = imin(c2, g->cols - 1);
    Rect a = layout_cell_rect(g, r1, c1), b = layout_cell_rect(g, r2, c2);
    *out = (Rect){a.x, a.y, b.x + b.w - a.x, b.y + b.h - a.y};
    return true;
}

/* ------------------------------------------------------------- values */

/* Position of 0..1 of value v on channel c's colour ramp. */
static float input_level(const Ctx *x, int c, float v)
{
    if (x->s->image_input)
        return v / 255.0f;
    int slot = c - x->L->first_channel;
    if (slot < 0 || slot >= x->L->n_channels)
        return 0.5f;
    float lo = x->in_lo[slot], hi = x->in_hi[slot];
    return hi > lo ? (v - lo) / (hi - lo) : 0.5f;
}

static void find_ranges(Ctx *x)
{
    const Scene *s = x->s;
    size_t plane = s->input.h * s->input.w;
    for (int slot = 0; slot < x->L->n_channels; slot++) {
        const float *d = s->input.data + (size_t)(x->L->first_channel + slot) * plane;
        float lo = d[0], hi = d[0];
        for (size_t i = 1; i < plane; i++) {
            lo = fminf(lo, d[i]);
            hi = fmaxf(hi, d[i]);
        }
        x->in_lo[slot] = lo;
        x->in_hi[slot] = hi;
    }
    const Tensor *out = stepper_output(s->stepper);
    size_t n = tensor_count(out);
    x->out_lo = x->out_hi = out->data[0];
    for (size_t i = 1; i < n; i++) {
        x->out_lo = fminf(x->out_lo, out->data[i]);
        x->out_hi = fmaxf(x->out_hi, out->data[i]);
    }
    x->w_absmax = x->p_absmax = 0.0f;
    for (int i = 0; i < x->t->n_channels; i++) {
        const TraceChannel *tc = &x->t->channels[i];
        for (int k = 0; k < x->t->kh * x->t->kw; k++) {
            x->w_absmax = fmaxf(x->w_absmax, fabsf(tc->cells[k].weight));
            if (!(tc->cells[k].flags & (CELL_SKIP | CELL_OUTSIDE)))
                x->p_absmax = fmaxf(x->p_absmax, fabsf(tc->cells[k].product));
        }
    }
}

/* ------------------------------------------------------------- input grids */

/* A small arrow in the corner of padding cell rc pointing towards the
 * input cell (sy, sx) its value was copied from (reflect, replicate,
 * circular); hovering the cell draws the whole line. */
static void draw_source_arrow(Ctx *x, Rect rc, int iy, int ix, int sy, int sx)
{
    static const char *const arrows[3][3] = {
        {"\xe2\x86\x96", "\xe2\x86\x91", "\xe2\x86\x97"},   /* up-left, up, up-right */
        {"\xe2\x86\x90", "", "\xe2\x86\x92"},                  /* left, -, right */
        {"\xe2\x86\x99", "\xe2\x86\x93", "\xe2\x86\x98"},   /* down-left, down, down-right */
    };
    int dy = (sy > iy) - (sy < iy), dx = (sx > ix) - (sx < ix);
    const char *glyph = arrows[dy + 1][dx + 1];
    if (!*glyph)
        return;
    int size = imax(7, rc.h * 9 / 25);
    Rect box = {rc.x + 1, rc.y + 1, size, size};
    painter_fill(x->p, box, paint_with_alpha(x->th->halo, 200));
    painter_text(x->p, glyph, size, x->th->step, box.x + box.w / 2, box.y + box.h / 2, TEXT_CENTER | TEXT_MIDDLE);
}

/* One input cell: colour by value, padding hatched, value printed when the
 * grid has room. */
static void draw_input_cell(Ctx *x, int c, const GridLayout *g, int row, int col)
{
    int iy = g->y0 + row, ix = g->x0 + col;
    Rect cr = layout_cell_rect(g, row, col);
    if (inside_input(x, iy, ix)) {
        float v = stepper_input_value(x->s->stepper, c, iy, ix);
        Rgba bg = theme_tint(c, tinted(x), input_level(x, c, v));
        painter_fill(x->p, cr, bg);
        if (g->numbers)
            cell_value(x, g, cr, v, theme_text_on(bg));
    } else if (inside_padding(x, iy, ix)) {
        painter_fill(x->p, cr, x->th->pad_fill);
        paint_hatch(x->p, cr, imax(5, g->cell / 5), x->th->pad_hatch);
        if (g->numbers) {
            char buf[32];
            float v = stepper_input_value(x->s->stepper, c, iy, ix);
            format_value(v, buf, sizeof buf, grid_chars(x, g));
            int size = paint_text_fit(x->p, buf, (x->cell_px > 0 ? x->cell_px : g->text_px) * 9 / 10, cr.w - 4);
            Rect box = {cr.x + cr.w / 2, cr.y + cr.h / 2, 0, 0};
            painter_text(x->p, buf, size, x->th->text, box.x, box.y, TEXT_CENTER | TEXT_MIDDLE);
            const Scene *s = x->s;
            if (s->kind != LAYER_POOL && s->conv.pad_mode != PADMODE_ZEROS)
                draw_source_arrow(x, cr, iy, ix, geom_pad_source(s->conv.pad_mode, iy, (int)s->input.h),
                                  geom_pad_source(s->conv.pad_mode, ix, (int)s->input.w));
        }
    } else {
        paint_dashed(x->p, cr, 1, imax(2, g->cell / 6), x->th->pad_hatch);
    }
}

/* A picture of channel c: one pixel per cell, scaled up. */
static void draw_input_picture(Ctx *x, int c, const GridLayout *g)
{
    uint32_t *argb = malloc((size_t)g->rows * (size_t)g->cols * sizeof *argb);
    if (!argb)
        return;
    for (int row = 0; row < g->rows; row++) {
        for (int col = 0; col < g->cols; col++) {
            int iy = g->y0 + row, ix = g->x0 + col;
            Rgba k;
            if (inside_input(x, iy, ix))
                k = theme_tint(c, tinted(x), input_level(x, c, stepper_input_value(x->s->stepper, c, iy, ix)));
            else
                k = inside_padding(x, iy, ix) ? x->th->pad_hatch : x->th->bg;
            argb[(size_t)row * (size_t)g->cols + (size_t)col] =
                0xFF000000u | (uint32_t)k.r << 16 | (uint32_t)k.g << 8 | k.b;
        }
    }
    painter_image(x->p, (Rect){g->rect.x, g->rect.y, g->cols * g->pitch, g->rows * g->pitch}, argb, g->cols,
                  g->rows);
    free(argb);
}

/* Veils the rows and columns (input and padding) that no window reads. */
static void draw_unreached(Ctx *x, const GridLayout *g)
{
    int top = -x->pad.top, left = -x->pad.left;
    int bottom = (int)x->s->input.h + x->pad.bottom - 1, right = (int)x->s->input.w + x->pad.right - 1;
    for (int iy = top; iy <= bottom && iy - top < MAX_TRACKED; iy++) {
        Rect rc;
        if (x->unreached_rows[iy - top] && span_rect(g, iy, left, iy, right, &rc))
            painter_fill(x->p, rc, x->th->unreached);
    }
    for (int ix = left; ix <= right && ix - left < MAX_TRACKED; ix++) {
        if (!x->unreached_cols[ix - left])
            continue;
        for (int iy = top; iy <= bottom && iy - top < MAX_TRACKED; iy++) {
            Rect cell;
            if (!x->unreached_rows[iy - top] && span_rect(g, iy, ix, iy, ix, &cell))
                painter_fill(x->p, cell, x->th->unreached);
        }
    }
}

/* The line from a hovered padding cell to the cell its value came from. */
static void draw_source_line(Ctx *x, const GridLayout *g, int iy, int ix)
{
    const Scene *s = x->s;
    if (s->kind == LAYER_POOL || s->conv.pad_mode == PADMODE_ZEROS || inside_input(x, iy, ix) ||
        !inside_padding(x, iy, ix))
        return;
    int sy = geom_pad_source(s->conv.pad_mode, iy, (int)s->input.h);
    int sx = geom_pad_source(s->conv.pad_mode, ix, (int)s->input.w);
    Rect a, b;
    if (sy < 0 || sx < 0 || !span_rect(g, iy, ix, iy, ix, &a) || !span_rect(g, sy, sx, sy, sx, &b))
        return;
    int th = imax(2, thick(x, 2.0f)), r = imax(3, g->cell / 8);
    paint_line(x->p, a.x + a.w / 2, a.y + a.h / 2, b.x + b.w / 2, b.y + b.h / 2, th + 2, x->th->halo);
    paint_line(x->p, a.x + a.w / 2, a.y + a.h / 2, b.x + b.w / 2, b.y + b.h / 2, th, x->th->step);
    paint_ring(x->p, grow(b, thick(x, 3.0f)), thick(x, 3.0f), x->th->step, x->th->halo);
    paint_ring(x->p, (Rect){a.x + a.w / 2 - r, a.y + a.h / 2 - r, 2 * r, 2 * r}, r, x->th->step, x->th->halo);
}

/* The window of trace channel tc on grid g: its span outlined, each tapped
 * cell marked when dilation leaves gaps, the current multiply and the
 * source of padded values. */
static void draw_window(Ctx *x, const GridLayout *g, const TraceChannel *tc, bool current_channel)
{
    const Trace *t = x->t;
    int n = t->kh * t->kw;
    const TraceCell *first = &tc->cells[0], *last = &tc->cells[n - 1];
    Rect span;
    int th = imax(2, imin(thick(x, 3.0f), g->pitch / 6 + 1));
    bool dilated = t->dilation_h > 1 || t->dilation_w > 1;
    if (dilated) {
        for (int k = 0; k < n; k++) {
            Rect rc;
            if (span_rect(g, tc->cells[k].iy, tc->cells[k].ix, tc->cells[k].iy, tc->cells[k].ix, &rc))
                paint_ring(x->p, grow(rc, g->pitch - g->cell > 0 ? 1 : 0), imax(2, th - 1), x->th->window, x->th->halo);
        }
    }
    if (span_rect(g, first->iy, first->ix, last->iy, last->ix, &span)) {
        Rect o = grow(span, imax(1, (g->pitch - g->cell + 1) / 2) + th);
        if (dilated)
            paint_dashed(x->p, o, imax(1, th / 2), imax(4, g->pitch / 3), x->th->window);
        else
            paint_ring(x->p, o, th, x->th->window, x->th->halo);
    }
    if (current_channel && t->term_step >= 0) {
        const TraceCell *cell = &tc->cells[t->term_step];
        Rect rc;
        if (span_rect(g, cell->iy, cell->ix, cell->iy, cell->ix, &rc))
            paint_ring(x->p, rc, th, x->th->step, x->th->halo);
    }
}

/* The previous window position as a dashed ghost with an arrow to the
 * current one: the stride made visible. */
static void draw_stride_ghost(Ctx *x, const GridLayout *g, const TraceChannel *tc, Rect label)
{
    const Trace *t = x->t;
    int py, px;
    if (t->out_x > 0) {
        py = t->out_y;
        px = t->out_x - 1;
    } else if (t->out_y > 0) {
        py = t->out_y - 1;
        px = 0;
    } else {
        return;
    }
    int y1 = py * t->stride_h - x->pad.top, x1 = px * t->stride_w - x->pad.left;
    int span_h = t->dilation_h * (t->kh - 1), span_w = t->dilation_w * (t->kw - 1);
    Rect ghost, now;
    if (!span_rect(g, y1, x1, y1 + span_h, x1 + span_w, &ghost) ||
        !span_rect(g, tc->cells[0].iy, tc->cells[0].ix, tc->cells[0].iy + span_h, tc->cells[0].ix + span_w,
                   &now))
        return;
    int th = imax(1, thick(x, 2.0f));
    paint_dashed(x->p, grow(ghost, th), th, imax(3, g->pitch / 4), x->th->ghost);
    if (g->pitch >= 8) {
        int ax = ghost.x + g->cell / 3, ay = ghost.y + g->cell / 3;
        int bx = now.x + g->cell / 3, by = now.y + g->cell / 3;
        paint_arrow(x->p, ax, ay, bx, by, th, imax(5, g->pitch / 4), x->th->ghost);
        if (t->stride_h > 1 || t->stride_w > 1) {
            char buf[48];
            int tw, th_text;
            snprintf(buf, sizeof buf, "stride %d", t->out_x > 0 ? t->stride_w : t->stride_h);
            painter_measure(x->p, buf, x->L->small_px, &tw, &th_text);
            if (x->label_used + tw + x->L->small_px <= label.w)
                painter_text(x->p, buf, x->L->small_px, x->th->accent, label.x + label.w, label.y + label.h / 2,
                             TEXT_RIGHT | TEXT_MIDDLE);
        }
    }
}

/* A channel label: "R" in the channel's colour, then its size. */
static void draw_channel_label(Ctx *x, int c, Rect rc, bool current)
{
    char name[16], buf[64];
    scene_channel_name(x->s, c, name, sizeof name);
    Rgba col = theme_channel_color(x->th, c, tinted(x));
    int px = x->L->text_px;
    int w = painter_text(x->p, name, px, col, rc.x, rc.y + rc.h / 2, TEXT_LEFT | TEXT_MIDDLE);
    snprintf(buf, sizeof buf, "  channel %d%s", c, current ? "  <" : "");
    w += painter_text(x->p, buf, x->L->small_px, current ? x->th->accent2 : x->th->text_dim, rc.x + w,
                      rc.y + rc.h / 2, TEXT_LEFT | TEXT_MIDDLE);
    x->label_used = w;
}

static void draw_input_channel(Ctx *x, int slot)
{
    const Layout *L = x->L;
    int c = L->first_channel + slot;
    const GridLayout *g = &L->input[slot];
    const TraceChannel *tc = trace_channel(x, c);
    bool pool_channel = x->s->kind == LAYER_POOL && x->t->filter == c;
    bool current = (x->t->channel_step >= 0 && tc == &x->t->channels[x->t->channel_step]) || pool_channel;
    draw_channel_label(x, c, L->channel_label[slot], current && x->t->channel_step >= 0);
    if (!g->numbers && g->pitch <= 4) {
        draw_input_picture(x, c, g);
    } else {
        x->cell_px = x->input_px;
        for (int row = 0; row < g->rows; row++)
            for (int col = 0; col < g->cols; col++)
                draw_input_cell(x, c, g, row, col);
    }
    draw_unreached(x, g);
    if (x->v->selected.kind == TARGET_INPUT && x->v->selected.c == c) {
        Rect rc;
        if (span_rect(g, x->v->selected.y, x->v->selected.x, x->v->selected.y, x->v->selected.x, &rc))
            paint_ring(x->p, rc, thick(x, 3.0f), x->th->step, x->th->halo);
    }
    if (x->v->hover.kind == TARGET_INPUT && x->v->hover.c == c) {
        Rect rc;
        if (span_rect(g, x->v->hover.y, x->v->hover.x, x->v->hover.y, x->v->hover.x, &rc))
            paint_outline(x->p, grow(rc, 1), 1, x->th->text);
        if (g->numbers)
            draw_source_line(x, g, x->v->hover.y, x->v->hover.x);
    }
    if (!tc)
        return;
    draw_stride_ghost(x, g, tc, L->channel_label[slot]);
    draw_window(x, g, tc, current);
    if (L->has_inset) {
        const GridLayout *in = &L->inset[slot];
        Rect cover;
        x->cell_px = x->inset_px;
        for (int row = 0; row < in->rows; row++)
            for (int col = 0; col < in->cols; col++)
                draw_input_cell(x, c, in, row, col);
        draw_window(x, in, tc, current);
        if (span_rect(g, in->y0, in->x0, in->y0 + in->rows - 1, in->x0 + in->cols - 1, &cover)) {
            Rgba lc = paint_with_alpha(x->th->text_dim, 200);
            paint_outline(x->p, grow(cover, 1), 1, lc);
            paint_line(x->p, cover.x, cover.y + cover.h, in->rect.x, in->rect.y, 1, lc);
            paint_line(x->p, cover.x + cover.w, cover.y + cover.h, in->rect.x + in->rect.w, in->rect.y, 1, lc);
        }
    }
}

/* ------------------------------------------------------------- arithmetic */

/* A label centred at cx above y_bottom, shrunk to max_w pixels. */
static void draw_small_label(Ctx *x, const char *s, Rgba c, int cx, int y_bottom, int max_w)
{
    int size = paint_text_fit(x->p, s, x->L->small_px, max_w);
    painter_text(x->p, s, size, c, cx, y_bottom - x->L->small_px / 3, TEXT_CENTER | TEXT_BOTTOM);
}

/* Whether the edit target is this weight or bias. */
static bool editing(const Ctx *x, TargetKind kind, int f, int c, int ky, int kx)
{
    const Target *e = &x->v->edit;
    return e->kind == kind && e->f == f && (kind == TARGET_BIAS || (e->c == c && e->y == ky && e->x == kx));
}

/* An edit box over cell cr: the typed text and a caret, the box widened
 * (about its centre) so the text keeps the cell's size. */
static void draw_edit_box(Ctx *x, Rect cr, int px)
{
    char buf[40];
    int tw, th;
    snprintf(buf, sizeof buf, "%s_", x->v->edit_text);
    painter_measure(x->p, buf, px, &tw, &th);
    Rect box = cr;
    if (tw + px / 2 > box.w) {
        box.x -= (tw + px / 2 - box.w) / 2;
        box.w = tw + px / 2;
    }
    painter_fill(x->p, box, x->th->bg);
    paint_ring(x->p, box, thick(x, 3.0f), x->th->step, x->th->halo);
    paint_text_in(x->p, buf, px, x->th->text, box);
}

/* Channel tc's sum (named name) under its products: whole, so far, or
 * still to come; while stepping by multiply, the multiply itself and the
 * running sum. */
static void conv_sum_text(Ctx *x, const TraceChannel *tc, bool current, const char *name, char *buf, size_t size)
{
    const Trace *t = x->t;
    char num[32], num2[32];
    if (t->channel_step < 0 || tc->done) {
        snprintf(buf, size, "sum %s = %s", name, format_value(tc->sum, num, sizeof num, 9));
    } else if (current && t->term_step >= 0) {
        const TraceCell *cell = &tc->cells[t->term_step];
        char v[32], w[32];
        snprintf(buf, size, "%s \xc3\x97 %s = %s, sum %s", format_value(cell->value, v, sizeof v, 9),
                 format_value(cell->weight, w, sizeof w, 9), format_value(cell->product, num, sizeof num, 9),
                 format_value(tc->partial, num2, sizeof num2, 9));
    } else if (current) {
        snprintf(buf, size, "sum %s so far = %s", name, format_value(tc->partial, num, sizeof num, 9));
    } else {
        snprintf(buf, size, "sum %s = ...", name);
    }
}

/* Channel c's weights, its products and its sum (convolution). */
static void draw_conv_arithmetic(Ctx *x, int slot)
{
    const Layout *L = x->L;
    int c = L->first_channel + slot;
    const Trace *t = x->t;
    const TraceChannel *tc = trace_channel(x, c);
    if (!tc)
        return;
    const GridLayout *kg = &L->kernel[slot], *pg = &L->product[slot];
    char name[16], buf[128];
    scene_channel_name(x->s, c, name, sizeof name);
    Rgba ccol = theme_channel_color(x->th, c, tinted(x));
    bool current = t->channel_step >= 0 && tc == &t->channels[t->channel_step];

    snprintf(buf, sizeof buf, "filter %d: %s weights", t->filter, name);
    if (x->nf < 2 || paint_text_fit(x->p, buf, L->small_px, kg->rect.w + L->op_times[slot].w / 2) < L->small_px)
        snprintf(buf, sizeof buf, "%s weights", name);
    draw_small_label(x, buf, ccol, kg->rect.x + kg->rect.w / 2, kg->rect.y, kg->rect.w + L->op_times[slot].w / 2);
    snprintf(buf, sizeof buf, "%s window \xc3\x97 weights", name);
    draw_small_label(x, buf, x->th->text_dim, pg->rect.x + pg->rect.w / 2, pg->rect.y,
                     pg->rect.w + L->op_times[slot].w);
    if (current) {
        Rect both = {kg->rect.x, kg->rect.y, pg->rect.x + pg->rect.w - kg->rect.x, kg->rect.h};
        paint_outline(x->p, grow(both, thick(x, 6.0f)), thick(x, 2.0f), x->th->step);
    }

    for (int ky = 0; ky < t->kh; ky++) {
        for (int kx = 0; kx < t->kw; kx++) {
            int k = ky * t->kw + kx;
            const TraceCell *cell = &tc->cells[k];
            Rect kr = layout_cell_rect(kg, ky, kx), pr = layout_cell_rect(pg, ky, kx);
            if (editing(x, TARGET_WEIGHT, t->filter, c, ky, kx)) {
                draw_edit_box(x, kr, kg->text_px);
            } else {
                Rgba wb = theme_diverging(x->th, x->w_absmax > 0 ? cell->weight / x->w_absmax : 0.0f);
                painter_fill(x->p, kr, wb);
                x->cell_px = x->weight_px;
                cell_value(x, kg, kr, cell->weight, theme_text_on(wb));
            }
            bool done = (cell->flags & CELL_DONE) || t->channel_step < 0;
            if (t->channel_step >= 0 && tc->done)
                done = true;
            if (done) {
                Rgba pb = theme_diverging(x->th, x->p_absmax > 0 ? cell->product / x->p_absmax : 0.0f);
                painter_fill(x->p, pr, pb);
                x->cell_px = x->product_px;
                cell_value(x, pg, pr, cell->product, theme_text_on(pb));
            } else {
                painter_fill(x->p, pr, x->th->pending);
            }
            if (current && t->term_step == k) {
                paint_ring(x->p, kr, thick(x, 3.0f), x->th->step, x->th->halo);
                paint_ring(x->p, pr, thick(x, 3.0f), x->th->step, x->th->halo);
            }
            if (x->v->hover.kind == TARGET_WEIGHT && x->v->hover.c == c && x->v->hover.y == ky &&
                x->v->hover.x == kx)
                paint_outline(x->p, grow(kr, 1), 1, x->th->text);
        }
    }
    Rect op = L->op_times[slot];
    paint_text_in(x->p, "\xe2\x86\x92", L->text_px, x->th->text_dim, op);

    conv_sum_text(x, tc, current, name, buf, sizeof buf);
    Rect sr = L->channel_sum[slot];
    int size = paint_text_fit(x->p, buf, L->text_px, sr.w);
    painter_text(x->p, buf, size, current ? x->th->accent2 : ccol, sr.x + sr.w / 2, sr.y + sr.h / 2,
                 TEXT_CENTER | TEXT_MIDDLE);
}

/* The pooling window's values, the chosen cell (max) or every counted cell
 * (avg), and the result, under the channel being pooled. */
static void draw_pool_arithmetic(Ctx *x)
{
    const Layout *L = x->L;
    const Trace *t = x->t;
    int c = t->filter, slot = c - L->first_channel;
    if (slot < 0 || slot >= L->n_channels || t->n_channels < 1)
        return;
    const TraceChannel *tc = &t->channels[0];
    const GridLayout *kg = &L->kernel[slot];
    bool max = x->s->pool.mode == POOL_MAX;
    char name[16], buf[96], num[32], num2[32];
    int longest = 0;
    for (int k = 0; k < t->kh * t->kw; k++)
        if (!(tc->cells[k].flags & CELL_OUTSIDE))
            note_value(x, kg, tc->cells[k].value, &longest);
    grid_text_size(x, kg, longest);
    scene_channel_name(x->s, c, name, sizeof name);
    snprintf(buf, sizeof buf, "%s window", name);
    draw_small_label(x, buf, theme_channel_color(x->th, c, tinted(x)), kg->rect.x + kg->rect.w / 2,
                     kg->rect.y, L->channel_label[slot].w);
    for (int ky = 0; ky < t->kh; ky++) {
        for (int kx = 0; kx < t->kw; kx++) {
            int k = ky * t->kw + kx;
            const TraceCell *cell = &tc->cells[k];
            Rect kr = layout_cell_rect(kg, ky, kx);
            if (cell->flags & CELL_OUTSIDE) {
                paint_dashed(x->p, kr, 1, imax(2, kg->cell / 6), x->th->pad_hatch);
                continue;
            }
            bool done = (cell->flags & CELL_DONE) || t->term_step < 0;
            Rgba bg = (cell->flags & CELL_PAD) ? x->th->pad_fill
                                               : theme_tint(c, tinted(x), input_level(x, c, cell->value));
            painter_fill(x->p, kr, done ? bg : x->th->pending);
            if (cell->flags & CELL_PAD)
                paint_hatch(x->p, kr, imax(5, kg->cell / 5), x->th->pad_hatch);
            cell_value(x, kg, kr, cell->value, (cell->flags & CELL_PAD) ? x->th->text : theme_text_on(bg));
            if (max && k == t->max_cell && done)
                paint_ring(x->p, kr, thick(x, 4.0f), x->th->window, x->th->halo);
            if (t->term_step == k)
                paint_ring(x->p, kr, thick(x, 3.0f), x->th->step, x->th->halo);
        }
    }
    if (max)
        snprintf(buf, sizeof buf, "max = %s", format_value(t->pool_result, num, sizeof num, 9));
    else
        snprintf(buf, sizeof buf, "%s / %d = %s", format_value(t->pool_sum, num, sizeof num, 9),
                 t->pool_divisor, format_value(t->pool_result, num2, sizeof num2, 9));
    Rect sr = L->channel_sum[slot];
    int size = paint_text_fit(x->p, buf, L->text_px, sr.w);
    painter_text(x->p, buf, size, x->th->accent, sr.x + sr.w / 2, sr.y + sr.h / 2, TEXT_CENTER | TEXT_MIDDLE);
}

/* ------------------------------------------------------------- outputs */

static void draw_output_map(Ctx *x, int slot)
{
    const Layout *L = x->L;
    int f = L->first_map + slot;
    const GridLayout *g = &L->output[slot];
    const Tensor *out = stepper_output(x->s->stepper);
    char buf[96], name[16];
    Rect lr = L->map_label[slot];
    /* the longest label that fits over the map at label size */
    int room = imin(lr.w + L->small_px * 2, L->w - lr.x - 2);
    int tw, text_h;
    if (x->s->kind == LAYER_POOL)
        snprintf(buf, sizeof buf, "%s pooled %zux%zu", scene_channel_name(x->s, f, name, sizeof name), x->oh,
                 x->ow);
    else
        snprintf(buf, sizeof buf, "output %d  %zux%zu", f, x->oh, x->ow);
    painter_measure(x->p, buf, L->small_px, &tw, &text_h);
    if (tw > room && x->s->kind != LAYER_POOL) {
        snprintf(buf, sizeof buf, "output %d", f);
        painter_measure(x->p, buf, L->small_px, &tw, &text_h);
        if (tw > room)
            snprintf(buf, sizeof buf, "%d", f);
    }
    int size = paint_text_fit(x->p, buf, L->small_px, room);
    painter_text(x->p, buf, size, f == x->t->filter ? x->th->accent : x->th->text_dim, lr.x, lr.y + lr.h / 2,
                 TEXT_LEFT | TEXT_MIDDLE);
    float span = x->out_hi - x->out_lo;
    x->cell_px = x->output_px;
    bool sel = x->v->selected.kind == TARGET_INPUT && (x->s->kind != LAYER_POOL || x->v->selected.c == f);
    for (int oy = 0; oy < g->rows; oy++) {
        for (int ox = 0; ox < g->cols; ox++) {
            Rect cr = layout_cell_rect(g, oy, ox);
            if (stepper_cell_done(x->s->stepper, oy, ox, f)) {
                float v = *tensor_at(out, 0, (size_t)f, (size_t)oy, (size_t)ox);
                Rgba bg = theme_sequential(span > 0 ? (v - x->out_lo) / span : 0.5f);
                painter_fill(x->p, cr, bg);
                if (g->numbers)
                    cell_value(x, g, cr, v, theme_text_on(bg));
            } else {
                painter_fill(x->p, cr, x->th->pending);
            }
            if (sel && stepper_window_reads(x->s->stepper, oy, ox, x->v->selected.y, x->v->selected.x))
                paint_ring(x->p, cr, thick(x, 3.0f), x->th->step, x->th->halo);
            if (x->v->hover.kind == TARGET_OUTPUT && x->v->hover.f == f && x->v->hover.y == oy &&
                x->v->hover.x == ox)
                paint_outline(x->p, grow(cr, 1), 1, x->th->text);
        }
    }
    if (x->t->filter == f) {
        Rect cr;
        if (span_rect(g, x->t->out_y, x->t->out_x, x->t->out_y, x->t->out_x, &cr)) {
            int th = imax(2, imin(thick(x, 3.0f), g->pitch / 6 + 1));
            paint_ring(x->p, grow(cr, th), th, x->th->window, x->th->halo);
        }
    }
}

/* The link from the window to the current output cell: an arrow across
 * the gap between the last channel's grid and the output map, from the
 * window's middle row to the current cell's row, drawn where it covers no
 * numbers; the matching outlines on the window and the cell finish the
 * link. Pooling has none: each pooled map sits right under its channel. */
static void draw_link(Ctx *x)
{
    const Layout *L = x->L;
    const Trace *t = x->t;
    int map = t->filter - L->first_map, slot = L->n_channels - 1;
    if (map < 0 || map >= L->n_maps || slot < 0 || x->s->kind == LAYER_POOL)
        return;
    const TraceChannel *tc = trace_channel(x, L->first_channel + slot);
    if (!tc)
        return;
    const TraceCell *first = &tc->cells[0], *last = &tc->cells[t->kh * t->kw - 1];
    const GridLayout *in = &L->input[slot], *out = &L->output[map];
    Rect win, cell;
    if (!span_rect(in, first->iy, first->ix, last->iy, last->ix, &win) ||
        !span_rect(out, t->out_y, t->out_x, t->out_y, t->out_x, &cell))
        return;
    int th = imax(2, thick(x, 3.0f));
    int x1 = in->rect.x + in->rect.w + th * 2, y1 = win.y + win.h / 2;
    int x2 = out->rect.x - th * 2, y2 = cell.y + cell.h / 2;
    if (x2 - x1 < th * 4)
        return;
    int head = imax(6, thick(x, 10.0f));
    paint_arrow(x->p, x1, y1, x2, y2, th + 2, head + 1, x->th->halo);
    paint_arrow(x->p, x1, y1, x2, y2, th, head, x->th->window);
    /* short ticks marking the rows the arrow joins */
    painter_fill(x->p, (Rect){in->rect.x + in->rect.w + 1, y1 - th / 2, th * 2, th}, x->th->window);
}

/* The bias box under the output maps (click to edit). */
static void draw_bias(Ctx *x)
{
    const Layout *L = x->L;
    const Trace *t = x->t;
    if (L->bias.w <= 0 || !t->has_bias)
        return;
    char num[32];
    Rect b = L->bias;
    draw_small_label(x, "bias", x->th->text_dim, b.x + b.w / 2, b.y, b.w * 2);
    if (editing(x, TARGET_BIAS, t->filter, 0, 0, 0)) {
        draw_edit_box(x, b, L->text_px);
        return;
    }
    Rgba bg = theme_diverging(x->th, 0.0f);
    painter_fill(x->p, b, bg);
    paint_outline(x->p, b, 1, x->th->text_dim);
    paint_text_in(x->p, format_value(t->bias, num, sizeof num, 9), L->text_px, theme_text_on(bg), b);
    if (x->v->hover.kind == TARGET_BIAS)
        paint_outline(x->p, grow(b, 1), 1, x->th->text);
}

/* ------------------------------------------------------------- text lines */

/* Appends formatted text to buf at *len. */
static void append(char *buf, size_t size, size_t *len, const char *fmt, const char *a)
{
    if (*len >= size)
        return;
    int n = snprintf(buf + *len, size - *len, fmt, a);
    if (n > 0)
        *len += (size_t)n;
    if (*len >= size)
        *len = size - 1;
}

/* The sum line's pieces, each in its own colour. */
typedef struct SumLine {
    char seg[LAYOUT_MAX_CHANNELS + 5][64];
    Rgba col[LAYOUT_MAX_CHANNELS + 5];
    int n;
} SumLine;

/* Adds a piece in colour c (printf style). */
__attribute__((format(printf, 3, 4))) static void sum_add(SumLine *sl, Rgba c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sl->seg[sl->n], sizeof sl->seg[sl->n], fmt, ap);
    va_end(ap);
    sl->col[sl->n++] = c;
}

/* The pooling window as the sum line writes it: "max(107, 121, 93, 122)"
 * or "(107 + 121 + 93 + 122) / 4" when the window is small enough to read,
 * else "max of 25 values" or "2710 / 25". */
static void pool_window_text(Ctx *x, char *buf, size_t size)
{
    const Trace *t = x->t;
    const TraceChannel *tc = &t->channels[0];
    bool is_max = x->s->pool.mode == POOL_MAX;
    int cells = t->kh * t->kw;
    char num[32];
    if (cells > 9) {
        if (is_max)
            snprintf(buf, size, "max of %d values", cells);
        else
            snprintf(buf, size, "%s / %d", format_value(t->pool_sum, num, sizeof num, 9), t->pool_divisor);
        return;
    }
    size_t len = 0;
    buf[0] = '\0';
    append(buf, size, &len, "%s", is_max ? "max(" : "(");
    int listed = 0;
    for (int k = 0; k < cells; k++) {
        if (tc->cells[k].flags & CELL_OUTSIDE)
            continue;
        if (!is_max && (tc->cells[k].flags & CELL_PAD) && !x->s->pool.count_include_pad)
            continue;
        append(buf, size, &len, "%s", listed++ ? (is_max ? ", " : " + ") : "");
        append(buf, size, &len, "%s", format_value(tc->cells[k].value, num, sizeof num, 9));
    }
    append(buf, size, &len, "%s", ")");
    if (!is_max) {
        snprintf(num, sizeof num, " / %d", t->pool_divisor);
        append(buf, size, &len, "%s", num);
    }
}

/* "R max(107, 121, 93, 122) = 122": the channel, its window, the result. */
static void sum_line_pool(Ctx *x, SumLine *sl)
{
    const Trace *t = x->t;
    char name[16], window[64], num[32];
    scene_channel_name(x->s, t->filter, name, sizeof name);
    sum_add(sl, theme_channel_color(x->th, t->filter, tinted(x)), "%s ", name);
    pool_window_text(x, window, sizeof window);
    sum_add(sl, x->th->text, "%s", window);
    sum_add(sl, x->th->accent, " = %s", format_value(t->pool_result, num, sizeof num, 9));
}

/* Channel i's term: "+ G -3.5 " when summed, "+ G -1.25.. " while being
 * summed, "+ G ? " before; false unless summed. */
static bool sum_channel_term(Ctx *x, SumLine *sl, int i)
{
    const Trace *t = x->t;
    const TraceChannel *tc = &t->channels[i];
    char name[16], num[32];
    scene_channel_name(x->s, tc->channel, name, sizeof name);
    const char *plus = i > 0 ? "+ " : "";
    Rgba c = theme_channel_color(x->th, tc->channel, tinted(x));
    if (t->channel_step < 0 || tc->done) {
        sum_add(sl, c, "%s%s %s ", plus, name, format_value(tc->sum, num, sizeof num, 9));
        return true;
    }
    if (i == t->channel_step)
        sum_add(sl, c, "%s%s %s.. ", plus, name, format_value(tc->partial, num, sizeof num, 9));
    else
        sum_add(sl, c, "%s%s ? ", plus, name);
    return false;
}

/* "R 12 + G -3.5 + B 4 + bias 0.5 = 13 -> ReLU -> 13", or "= 8.5 so far"
 * while channels are still being summed. */
static void sum_line_conv(Ctx *x, SumLine *sl)
{
    const Trace *t = x->t;
    char num[32], num2[32], act[48];
    int shown = imin(t->n_channels, LAYOUT_MAX_CHANNELS);
    bool finished = true;
    if (x->nf > 1)
        sum_add(sl, x->th->text_dim, "filter %d: ", t->filter);
    for (int i = 0; i < shown; i++)
        if (!sum_channel_term(x, sl, i))
            finished = false;
    if (t->n_channels > shown)
        sum_add(sl, x->th->text_dim, "+ (%d more) ", t->n_channels - shown);
    if (t->has_bias)
        sum_add(sl, x->th->text, "+ bias %s ", format_value(t->bias, num, sizeof num, 9));
    act_label(t->act, act, sizeof act);
    if (!finished)
        sum_add(sl, x->th->text_dim, "= %s so far", format_value(t->partial_total, num, sizeof num, 9));
    else if (t->act.kind == ACT_NONE)
        sum_add(sl, x->th->accent, "= %s", format_value(t->total, num, sizeof num, 9));
    else
        sum_add(sl, x->th->accent, "= %s \xe2\x86\x92 %s \xe2\x86\x92 %s", format_value(t->total, num, sizeof num, 9),
                act, format_value(t->activated, num2, sizeof num2, 9));
}

/* The sum line, coloured per piece, centred and shrunk to fit. */
static void draw_sum_line(Ctx *x)
{
    const Layout *L = x->L;
    SumLine sl = {.n = 0};
    if (x->s->kind == LAYER_POOL)
        sum_line_pool(x, &sl);
    else
        sum_line_conv(x, &sl);
    char whole[LAYOUT_MAX_CHANNELS * 64 + 256];
    size_t len = 0;
    whole[0] = '\0';
    for (int i = 0; i < sl.n; i++)
        append(whole, sizeof whole, &len, "%s", sl.seg[i]);
    int px = paint_text_fit(x->p, whole, L->big_px, L->sum_line.w);
    int total_w, h;
    painter_measure(x->p, whole, px, &total_w, &h);
    int cx = L->sum_line.x + (L->sum_line.w - total_w) / 2, cy = L->sum_line.y + L->sum_line.h / 2;
    for (int i = 0; i < sl.n; i++)
        cx += painter_text(x->p, sl.seg[i], px, sl.col[i], cx, cy, TEXT_LEFT | TEXT_MIDDLE);
}

/* The output-size arithmetic for both axes, and which rows and columns no
 * window reads. */
static void draw_formula(Ctx *x)
{
    const Layout *L = x->L;
    const Scene *s = x->s;
    char hb[160], wb[160], line_text[480];
    size_t ih = s->input.h, iw = s->input.w;
    if (s->kind == LAYER_POOL) {
        geom_pool_explain(&s->pool, ih, iw, 0, hb, sizeof hb);
        geom_pool_explain(&s->pool, ih, iw, 1, wb, sizeof wb);
    } else {
        geom_conv_explain(&s->conv, ih, iw, (size_t)x->t->kh, (size_t)x->t->kw, 0, hb, sizeof hb);
        geom_conv_explain(&s->conv, ih, iw, (size_t)x->t->kh, (size_t)x->t->kw, 1, wb, sizeof wb);
    }
    int n = snprintf(line_text, sizeof line_text, "height %s    width %s", hb, wb);
    if ((x->n_unreached_rows || x->n_unreached_cols) && n > 0 && (size_t)n < sizeof line_text)
        snprintf(line_text + n, sizeof line_text - (size_t)n, "    never read: %d row%s, %d column%s",
                 x->n_unreached_rows, x->n_unreached_rows == 1 ? "" : "s", x->n_unreached_cols,
                 x->n_unreached_cols == 1 ? "" : "s");
    int px = paint_text_fit(x->p, line_text, L->small_px, L->formula.w);
    painter_text(x->p, line_text, px, x->th->text_dim, L->formula.x + L->formula.w / 2,
                 L->formula.y + L->formula.h / 2, TEXT_CENTER | TEXT_MIDDLE);
}

static const char *granularity_name(StepGranularity g)
{
    return g == STEP_TERM ? "multiply" : g == STEP_CHANNEL ? "channel" : "position";
}

static void draw_timeline(Ctx *x)
{
    const Layout *L = x->L;
    const Trace *t = x->t;
    const Stepper *st = x->s->stepper;
    size_t count = stepper_count(st), index = stepper_index(st);
    char buf[320], ch[96] = "";
    if (t->channel_step >= 0) {
        char name[16];
        scene_channel_name(x->s, t->channels[t->channel_step].channel, name, sizeof name);
        if (t->term_step >= 0)
            snprintf(ch, sizeof ch, "  channel %s, multiply %d of %d", name, t->term_step + 1, t->kh * t->kw);
        else
            snprintf(ch, sizeof ch, "  channel %s", name);
    }
    snprintf(buf, sizeof buf, "step %zu of %zu   output row %d, col %d, %s %d%s   steps: %s   %s %.4g steps/s",
             index + 1, count, t->out_y, t->out_x, x->s->kind == LAYER_POOL ? "channel" : "filter", t->filter, ch,
             granularity_name(stepper_granularity(st)), x->v->playing ? "playing at" : "paused, plays at",
             (double)x->v->speed);
    Rect tr = L->timeline;
    int px = paint_text_fit(x->p, buf, L->text_px, tr.w);
    painter_text(x->p, buf, px, x->th->text, tr.x, L->timeline_bar.y - thick(x, 4.0f), TEXT_LEFT | TEXT_BOTTOM);
    Rect bar = L->timeline_bar;
    painter_fill(x->p, bar, x->th->panel);
    int done_w = (int)((double)bar.w * (double)(index + 1) / (double)count);
    painter_fill(x->p, (Rect){bar.x, bar.y, done_w, bar.h}, paint_with_alpha(x->th->window, 170));
    /* one tick per output row when they are far enough apart */
    size_t per_row = x->ow * stepper_steps_per_position(st) * x->nf;
    if (per_row > 0 && count / per_row > 1 && (double)bar.w * (double)per_row / (double)count >= 14.0) {
        for (size_t r = per_row; r < count; r += per_row) {
            int tx = bar.x + (int)((double)bar.w * (double)r / (double)count);
            painter_fill(x->p, (Rect){tx, bar.y, 1, bar.h}, x->th->text_dim);
        }
    }
    int mx = bar.x + (int)((double)bar.w * ((double)index + 0.5) / (double)count);
    int mw = imax(3, thick(x, 4.0f));
    paint_ring(x->p, (Rect){mx - mw / 2, bar.y - mw, mw, bar.h + 2 * mw}, mw / 2 + 1, x->th->window, x->th->halo);
}

static void draw_header(Ctx *x)
{
    const Scene *s = x->s;
    const Layout *L = x->L;
    char layer[200], buf[400];
    size_t oh = x->oh, ow = x->ow;
    if (s->kind == LAYER_POOL) {
        const PoolParams *p = &s->pool;
        char dil[32] = "";
        if (p->dilation_h > 1)
            snprintf(dil, sizeof dil, ", dilation=%d", p->dilation_h);
        snprintf(layer, sizeof layer, "%s(kernel_size=%d, stride=%d, padding=%d%s%s)",
                 p->mode == POOL_MAX ? "MaxPool2d" : "AvgPool2d", p->kernel_h, p->stride_h, p->pad_h, dil,
                 p->ceil_mode ? ", ceil_mode=True" : "");
    } else {
        const ConvParams *p = &s->conv;
        char pad[48], mode[48] = "", dil[32] = "";
        Pad4 q = x->pad;
        if (p->padding.kind == PAD_VALID)
            snprintf(pad, sizeof pad, "'valid'");
        else if (p->padding.kind == PAD_SAME)
            snprintf(pad, sizeof pad, "'same'");
        else if (p->padding.kind == PAD_FULL)
            snprintf(pad, sizeof pad, "'full'");
        else if (q.top == q.left)
            snprintf(pad, sizeof pad, "%d", q.top);
        else
            snprintf(pad, sizeof pad, "(%d, %d)", q.top, q.left);
        if (p->pad_mode != PADMODE_ZEROS)
            snprintf(mode, sizeof mode, ", padding_mode='%s'", geom_pad_mode_name(p->pad_mode));
        if (p->dilation_h > 1 || p->dilation_w > 1)
            snprintf(dil, sizeof dil, ", dilation=%d", p->dilation_h);
        snprintf(layer, sizeof layer, "Conv2d(%zu, %zu, kernel_size=%d, stride=%d, padding=%s%s%s%s)",
                 s->input.c, s->weights.n, x->t->kh, p->stride_h, pad, dil, mode,
                 s->has_bias ? "" : ", bias=False");
    }
    int w = painter_text(x->p, layer, L->text_px, x->th->text, L->header.x, L->header.y + L->header.h / 2,
                         TEXT_LEFT | TEXT_MIDDLE);
    if (s->kind == LAYER_POOL)
        snprintf(buf, sizeof buf, "   input %s %zux%zux%zu -> %zux%zux%zu", s->input_name, s->input.c, s->input.h,
                 s->input.w, s->input.c, oh, ow);
    else
        snprintf(buf, sizeof buf, "   input %s %zux%zux%zu -> %zux%zux%zu   kernel %s", s->input_name, s->input.c,
                 s->input.h, s->input.w, s->weights.n, oh, ow, s->kernel_name);
    /* the details at label size, without the kernel's name if that does
     * not fit, and left out rather than shrunk to an unreadable size */
    int room = L->header.w - w;
    int px = paint_text_fit(x->p, buf, L->small_px, room);
    if (px < L->small_px * 8 / 10 && s->kind != LAYER_POOL) {
        char *kernel = strstr(buf, "   kernel ");
        if (kernel)
            *kernel = '\0';
        px = paint_text_fit(x->p, buf, L->small_px, room);
    }
    if (px >= L->small_px * 8 / 10)
        painter_text(x->p, buf, px, x->th->text_dim, L->header.x + w, L->header.y + L->header.h / 2,
                     TEXT_LEFT | TEXT_MIDDLE);
}

static void draw_status(Ctx *x)
{
    const Layout *L = x->L;
    const char *msg = x->v->status[0] ? x->v->status
                      : x->s->note[0] ? x->s->note
                                      : "? shows every key";
    Rgba c = x->v->status[0] && x->v->status_error ? x->th->error : x->th->text_dim;
    int px = paint_text_fit(x->p, msg, L->small_px, L->status.w);
    painter_text(x->p, msg, px, c, L->status.x, L->status.y + L->status.h / 2, TEXT_LEFT | TEXT_MIDDLE);
}

/* The shared text size of each kind of grid: the longest value among all
 * channels' grids (all maps' finished cells) fits a cell. */
static void find_text_sizes(Ctx *x)
{
    const Layout *L = x->L;
    const Trace *t = x->t;
    int in = 0, inset = 0, w = 0, p = 0, out = 0;
    for (int slot = 0; slot < L->n_channels; slot++) {
        int c = L->first_channel + slot;
        const GridLayout *g = &L->input[slot];
        for (int row = 0; g->numbers && row < g->rows; row++)
            for (int col = 0; col < g->cols; col++)
                if (inside_padding(x, g->y0 + row, g->x0 + col))
                    note_value(x, g, stepper_input_value(x->s->stepper, c, g->y0 + row, g->x0 + col), &in);
        const GridLayout *ig = &L->inset[slot];
        for (int row = 0; L->has_inset && ig->numbers && row < ig->rows; row++)
            for (int col = 0; col < ig->cols; col++)
                if (inside_padding(x, ig->y0 + row, ig->x0 + col))
                    note_value(x, ig, stepper_input_value(x->s->stepper, c, ig->y0 + row, ig->x0 + col), &inset);
    }
    for (int slot = 0; x->s->kind != LAYER_POOL && slot < L->n_channels; slot++) {
        const TraceChannel *tc = trace_channel(x, L->first_channel + slot);
        for (int k = 0; tc && k < t->kh * t->kw; k++) {
            note_value(x, &L->kernel[slot], tc->cells[k].weight, &w);
            note_value(x, &L->product[slot], tc->cells[k].product, &p);
        }
    }
    const Tensor *o = stepper_output(x->s->stepper);
    for (int slot = 0; slot < L->n_maps; slot++) {
        const GridLayout *g = &L->output[slot];
        int f = L->first_map + slot;
        for (int oy = 0; g->numbers && oy < g->rows; oy++)
            for (int ox = 0; ox < g->cols; ox++)
                if (stepper_cell_done(x->s->stepper, oy, ox, f))
                    note_value(x, g, *tensor_at(o, 0, (size_t)f, (size_t)oy, (size_t)ox), &out);
    }
    grid_text_size(x, &L->input[0], in);
    x->input_px = x->cell_px;
    grid_text_size(x, &L->inset[0], inset);
    x->inset_px = x->cell_px;
    grid_text_size(x, &L->kernel[0], w);
    x->weight_px = x->cell_px;
    grid_text_size(x, &L->product[0], p);
    x->product_px = x->cell_px;
    grid_text_size(x, &L->output[0], out);
    x->output_px = x->cell_px;
}

/* ------------------------------------------------------------- frame */

void layer_draw_frame(Painter *p, const Scene *s, const View *v, const Layout *L)
{
    Ctx x;
    memset(&x, 0, sizeof x);
    x.p = p;
    x.s = s;
    x.v = v;
    x.th = theme_get(v->theme);
    x.L = L;
    x.t = stepper_trace(s->stepper);
    x.pad = stepper_padding(s->stepper);
    stepper_output_size(s->stepper, &x.oh, &x.ow, &x.nf);
    find_ranges(&x);
    find_unreached(&x);
    find_text_sizes(&x);

    painter_clear(p, x.th->bg);

    draw_header(&x);
    for (int c = 0; c < L->n_channels; c++)
        draw_input_channel(&x, c);
    if (s->kind == LAYER_POOL)
        draw_pool_arithmetic(&x);
    else
        for (int c = 0; c < L->n_channels; c++)
            draw_conv_arithmetic(&x, c);
    for (int f = 0; f < L->n_maps; f++)
        draw_output_map(&x, f);
    draw_link(&x);
    draw_bias(&x);
    draw_sum_line(&x);
    draw_formula(&x);
    draw_timeline(&x);
    draw_status(&x);
}
