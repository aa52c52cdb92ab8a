/* net_draw.c: the network scene's frame (see net_draw.h). Start at
 * net_draw_frame at the bottom: it paints the header, the canvas (the
 * input's picture, then each card: a deck of channel heatmaps or a row of
 * bars, with its label and the legend of its range; the selected cell's
 * receptive field outlined on every tile), the classes panel,
 * the strip, the timeline and the status line, through the toolkit
 * (paint.h) on a Painter. Every number comes from the model (the forward
 * pass's outputs and what net_scene.c gathered of them). */
#include "net_draw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "net_job.h"
#include "net_kind.h"
#include "paint.h"
#include "theme.h"

typedef struct Ctx {
    Painter *p;
    const NetScene *s;
    const View *v;
    const Theme *th;
    const NetLayout *L;
    CellRange (*fields)[2];     /* the selected cell's lit field per card, or NULL */
    size_t focus;               /* the card of the selected cell */
} Ctx;

static int thick(const Ctx *x, double v)
{
    return imax(1, (int)lround(v * x->L->scale));
}

static uint32_t argb(Rgba c)
{
    return 0xff000000u | (uint32_t)c.r << 16 | (uint32_t)c.g << 8 | (uint32_t)c.b;
}

/* ------------------------------------------------------------- colours */

/* A value of card g: diverging about zero when the card has negative
 * values (scaled by the larger of |min| and |max|), else sequential from 0
 * to its max. */
static Rgba value_color(const Ctx *x, const NetCard *g, float v)
{
    if (g->is_signed) {
        float m = fmaxf(fabsf(g->lo), fabsf(g->hi));
        return theme_diverging(x->th, m > 0.0f ? v / m : 0.0f);
    }
    return theme_sequential(g->hi > 0.0f ? v / g->hi : 0.0f);
}

/* ------------------------------------------------------------- cards */

static bool rect_visible(Rect a, Rect clip)
{
    return a.w > 0 && a.h > 0 && a.x < clip.x + clip.w && a.y < clip.y + clip.h && a.x + a.w > clip.x &&
           a.y + a.h > clip.y;
}

/* Tile k of box b as one rectangle. */
static Rect tile_rect(const NetBox *b, int k)
{
    Rect a = net_layout_cell(b, k, 0, 0), z = net_layout_cell(b, k, (int)b->rows - 1, (int)b->cols - 1);
    return (Rect){a.x, a.y, z.x + z.w - a.x, z.y + z.h - a.y};
}

/* The input as a picture: 0-255 colours for an image, else each value
 * scaled from the input's own range (grey, or the first three channels). */
static void draw_picture(Ctx *x, const NetBox *b)
{
    const Tensor *in = &x->s->picture;
    Rect dst = tile_rect(b, 0);
    if (!rect_visible(dst, x->L->canvas))
        return;
    size_t plane = in->h * in->w;
    uint32_t *pix = malloc(plane * sizeof *pix);
    if (!pix)
        return;
    float lo = 0.0f, hi = 255.0f;
    if (!x->s->image) {
        lo = hi = in->data[0];
        for (size_t i = 0; i < plane * in->c; i++) {
            lo = fminf(lo, in->data[i]);
            hi = fmaxf(hi, in->data[i]);
        }
    }
    float span = hi > lo ? hi - lo : 1.0f;
    bool rgb = in->c >= 3;
    for (size_t i = 0; i < plane; i++) {
        uint32_t ch[3];
        for (int c = 0; c < 3; c++) {
            float t = (in->data[(rgb ? (size_t)c : 0) * plane + i] - lo) / span * 255.0f;
            ch[c] = (uint32_t)(t < 0.0f ? 0.0f : t > 255.0f ? 255.0f : t + 0.5f);
        }
        pix[i] = 0xff000000u | ch[0] << 16 | ch[1] << 8 | ch[2];
    }
    painter_image(x->p, dst, pix, (int)in->w, (int)in->h);
    free(pix);
    paint_outline(x->p, dst, 1, x->th->text_dim);
}

/* Lines between the cells of a tile when cells are big enough to tell
 * apart. */
static void draw_tile_grid(Ctx *x, const NetBox *b, Rect r)
{
    if (b->pitch < 8.0)
        return;
    Rgba line = paint_with_alpha(x->th->grid_line, 160);
    Rect clip = x->L->canvas;
    for (size_t i = 1; i < b->cols; i++) {
        int lx = (int)floor(r.x + (double)i * b->pitch);
        if (lx >= clip.x && lx < clip.x + clip.w)
            painter_fill(x->p, (Rect){lx, r.y, 1, r.h}, line);
    }
    for (size_t i = 1; i < b->rows; i++) {
        int ly = (int)floor(r.y + (double)i * b->pitch);
        if (ly >= clip.y && ly < clip.y + clip.h)
            painter_fill(x->p, (Rect){r.x, ly, r.w, 1}, line);
    }
}

/* The deck behind a card with more channels than tiles. */
static void draw_deck(Ctx *x, const NetBox *b)
{
    for (int k = b->slices; k >= 1; k--) {
        int d = (int)lround(k * b->slice_dx);
        Rect sl = {px(b->x) + d, px(b->y) - d, px(b->w), px(b->h)};
        painter_fill(x->p, sl, x->th->panel);
        paint_outline(x->p, sl, 1, x->th->grid_line);
    }
}

/* Channel tiles of map card j. */
static void draw_map(Ctx *x, size_t j, const NetBox *b)
{
    const NetCard *g = &x->s->cards[j];
    size_t plane = g->h * g->w;
    uint32_t *pix = malloc(plane * sizeof *pix);
    if (!pix)
        return;
    draw_deck(x, b);
    for (int k = 0; k < b->n_items; k++) {
        Rect r = tile_rect(b, k);
        if (!rect_visible(r, x->L->canvas))
            continue;
        const float *src = g->values->data + (size_t)b->item[k] * plane;
        for (size_t i = 0; i < plane; i++)
            pix[i] = argb(value_color(x, g, src[i]));
        painter_image(x->p, r, pix, (int)g->w, (int)g->h);
        draw_tile_grid(x, b, r);
        paint_outline(x->p, (Rect){r.x - 1, r.y - 1, r.w + 2, r.h + 2}, 1, x->th->grid_line);
    }
    free(pix);
}

/* The bars of vector card j: up from the zero line (down for negative
 * values), coloured like the maps. */
static void draw_bars(Ctx *x, size_t j, const NetBox *b)
{
    const NetCard *g = &x->s->cards[j];
    draw_deck(x, b);
    Rect area = {px(b->x), px(b->y), px(b->w), px(b->h)};
    painter_fill(x->p, area, x->th->panel);
    float top = fmaxf(g->hi, 0.0f), bottom = fminf(g->lo, 0.0f);
    float span = top - bottom > 0.0f ? top - bottom : 1.0f;
    double zero_y = b->y + b->h * (double)(top / span);
    for (int k = 0; k < b->n_items; k++) {
        Rect col = net_layout_cell(b, k, 0, 0);
        float v = g->values->data[b->item[k]];
        double y1 = b->y + b->h * (double)((top - v) / span);
        int ya = (int)floor(fmin(zero_y, y1)), yb = (int)ceil(fmax(zero_y, y1));
        int w = col.w > 3 ? col.w - 1 : col.w;
        painter_fill(x->p, (Rect){col.x, ya, w, imax(1, yb - ya)}, value_color(x, g, v));
    }
    painter_fill(x->p, (Rect){area.x, (int)lround(zero_y), area.w, 1}, x->th->text_dim);
    paint_outline(x->p, area, 1, x->th->grid_line);
}

/* The legend of card g: a colour strip from its min to its max, the two
 * numbers at its ends. */
static void draw_legend(Ctx *x, const NetCard *g, int lx, int ly, int w)
{
    int pxs = x->L->frame.small_px;
    char lo[32], hi[32];
    format_value(g->lo, lo, sizeof lo, 7);
    format_value(g->hi, hi, sizeof hi, 7);
    int cw = imax(1, painter_char_width(x->p, pxs));
    int lw = (int)strlen(lo) * cw, hw = (int)strlen(hi) * cw;
    int strip = w - lw - hw - 2 * cw;
    int mid = ly + pxs / 2;
    painter_text(x->p, lo, pxs, x->th->text_dim, lx, mid, TEXT_LEFT | TEXT_MIDDLE);
    if (strip >= 8) {
        int sx = lx + lw + cw, sh = imax(3, pxs / 2);
        for (int i = 0; i < strip; i++) {
            float v = g->lo + (g->hi - g->lo) * (float)i / (float)(strip - 1);
            painter_fill(x->p, (Rect){sx + i, mid - sh / 2, 1, sh}, value_color(x, g, v));
        }
        painter_text(x->p, hi, pxs, x->th->text_dim, sx + strip + cw, mid, TEXT_LEFT | TEXT_MIDDLE);
    } else {
        painter_text(x->p, hi, pxs, x->th->text_dim, lx + w, mid, TEXT_RIGHT | TEXT_MIDDLE);
    }
}

/* Card j's label: its layer, its shape (and what folded into it, and the
 * channels not drawn), its legend. */
static void draw_label(Ctx *x, size_t j, const NetBox *b)
{
    const NetScene *s = x->s;
    const NetCard *g = &s->cards[j];
    Rect lr = b->label_rect;
    int pxs = x->L->frame.small_px, lh = (int)lround(pxs * 1.25);
    char title[200], shape[160], more[48] = "";
    bool newest = j == s->shown;
    /* the state_dict name and the class (the whole layer text is the
       strip's): "3: Conv2d" */
    if (j == 0)
        snprintf(title, sizeof title, "input");
    else
        snprintf(title, sizeof title, "%s: %s", s->net.layers[g->layer].spec.name,
                 spec_type_name(s->net.layers[g->layer].spec.type));
    paint_text_shrunk(x->p, title, pxs, newest ? x->th->accent : x->th->text, lr.x, lr.y, lr.w,
                      TEXT_LEFT | TEXT_TOP);
    if (g->c > (size_t)b->n_items && b->kind != NET_BOX_PICTURE)
        snprintf(more, sizeof more, ", %d of %zu shown", b->n_items, g->c);
    if (g->flat)
        snprintf(shape, sizeof shape, "%zu%s%s%s", g->c, g->folded[0] ? " +" : "", g->folded, more);
    else
        snprintf(shape, sizeof shape, "%zux%zux%zu%s%s%s", g->c, g->h, g->w, g->folded[0] ? " +" : "", g->folded,
                 more);
    paint_label(x->p, shape, pxs, x->th->text_dim, lr.x, lr.y + lh, lr.w);
    if (j > 0)
        draw_legend(x, g, lr.x, lr.y + 2 * lh, imin(lr.w, imax(px(b->w), 14 * painter_char_width(x->p, pxs))));
}

/* The selected cell's field on card j: on each tile, an outline around
 * the cells it reads (an earlier card, in the selection's colour) or that
 * read it (a later card, in the accent), with a halo so it reads on any
 * heatmap colour. */
static void draw_field(Ctx *x, size_t j, const NetBox *b)
{
    if (!x->fields || j == x->focus || b->kind == NET_BOX_BARS)
        return;
    const CellRange *r = x->fields[j];
    if (r[0].lo > r[0].hi || r[1].lo > r[1].hi)
        return;
    Rgba c = j < x->focus ? x->th->step : x->th->accent;
    int t = thick(x, 1.5);
    for (int k = 0; k < b->n_items; k++) {
        Rect a = net_layout_cell(b, k, r[0].lo, r[1].lo), z = net_layout_cell(b, k, r[0].hi, r[1].hi);
        Rect f = {a.x - 1, a.y - 1, z.x + z.w - a.x + 2, z.y + z.h - a.y + 2};
        if (rect_visible(f, x->L->canvas))
            paint_ring(x->p, f, t, c, x->th->halo);
    }
}

/* The hovered and the selected cell of card j. */
static void draw_marks(Ctx *x, size_t j, const NetBox *b)
{
    const Target *ts[2] = {&x->v->hover, &x->v->selected};
    for (int m = 0; m < 2; m++) {
        const Target *t = ts[m];
        if (t->kind != TARGET_NET_CELL || t->f != (int)j)
            continue;
        for (int k = 0; k < b->n_items; k++) {
            if (b->kind != NET_BOX_PICTURE && b->item[k] != t->c)
                continue;
            Rect c = b->kind == NET_BOX_BARS ? net_layout_cell(b, k, 0, 0) : net_layout_cell(b, k, t->y, t->x);
            if (m == 0)
                paint_outline(x->p, c, 1, x->th->text);
            else
                paint_ring(x->p, (Rect){c.x - 2, c.y - 2, c.w + 4, c.h + 4}, thick(x, 2.0), x->th->step,
                           x->th->halo);
            break;
        }
    }
}

static void draw_card(Ctx *x, size_t j, const NetBox *b)
{
    if (b->kind == NET_BOX_PICTURE)
        draw_picture(x, b);
    else if (b->kind == NET_BOX_BARS)
        draw_bars(x, j, b);
    else
        draw_map(x, j, b);
    draw_field(x, j, b);
    draw_marks(x, j, b);
    if (b->label)
        draw_label(x, j, b);
}

/* ------------------------------------------------------------- panels */

static void draw_header(Ctx *x)
{
    const NetScene *s = x->s;
    const NetLayout *L = x->L;
    char left[640], right[200] = "";
    const NetCard *g0 = &s->cards[0];
    snprintf(left, sizeof left, "network: %s   input %s %zux%zux%zu%s%s   weights: %s", s->source, s->input_name,
             g0->c, g0->h, g0->w, s->normalize ? ", normalize " : "", s->normalize ? s->normalize : "",
             s->weights_name);
    if (s->classifier && s->n_top > 0 && s->shown + 1 == s->n_cards) {
        char cls[96];
        snprintf(right, sizeof right, "prediction: %s (%.1f%%)",
                 net_scene_class_name(s, s->top[0].index, cls, sizeof cls), s->top[0].probability * 100.0f);
    }
    int mid = L->frame.header.y + L->frame.header.h / 2;
    int rw = right[0] ? painter_text(x->p, right, L->frame.text_px, x->th->accent, L->frame.header.x + L->frame.header.w, mid,
                                     TEXT_RIGHT | TEXT_MIDDLE)
                      : 0;
    paint_text_shrunk(x->p, left, L->frame.text_px, x->th->text, L->frame.header.x, mid, L->frame.header.w - rw - L->frame.text_px,
                      TEXT_LEFT | TEXT_MIDDLE);
}

/* The classifier's top classes: name, a bar of its probability, the
 * percentage. */
static void draw_classes(Ctx *x)
{
    const NetScene *s = x->s;
    const NetLayout *L = x->L;
    if (L->n_classes == 0)
        return;
    Rect c = L->classes;
    painter_fill(x->p, c, x->th->panel);
    int pad = L->frame.small_px / 2;
    paint_text_shrunk(x->p, "top classes (softmax)", L->frame.text_px, x->th->text_dim, c.x + pad, c.y + pad, c.w - 2 * pad,
                      TEXT_LEFT | TEXT_TOP);
    const Target *sel = &x->v->selected;
    for (size_t k = 0; k < L->n_classes; k++) {
        Rect r = L->class_row[k];
        const NetTop *t = &s->top[k];
        char name[96], pct[32];
        net_scene_class_name(s, t->index, name, sizeof name);
        snprintf(pct, sizeof pct, "%.1f%%", t->probability * 100.0f);
        Rgba col = k == 0 ? x->th->accent : x->th->text;
        int line = r.y + L->frame.text_px * 6 / 10;
        int pw = painter_text(x->p, pct, L->frame.text_px, col, r.x + r.w - pad, line, TEXT_RIGHT | TEXT_MIDDLE);
        paint_text_shrunk(x->p, name, L->frame.text_px, col, r.x + pad, line, r.w - 2 * pad - pw - L->frame.text_px,
                          TEXT_LEFT | TEXT_MIDDLE);
        int bw = r.w - 2 * pad, bh = imax(3, L->frame.text_px / 2);
        int by = r.y + L->frame.text_px * 13 / 10;
        painter_fill(x->p, (Rect){r.x + pad, by, bw, bh}, x->th->bg);
        int fill = (int)lround(bw * fmin(fmax(t->probability, 0.0f), 1.0f));
        painter_fill(x->p, (Rect){r.x + pad, by, imax(fill, 1), bh}, paint_with_alpha(x->th->accent, 220));
        if (sel->kind == TARGET_NET_CELL && sel->f == L->classes_card && sel->c == (int)t->index)
            paint_ring(x->p, r, thick(x, 2.0), x->th->step, x->th->halo);
    }
}

/* The card the strip describes: the selected cell's, else the newest. */
static size_t strip_card(const Ctx *x)
{
    const Target *t = &x->v->selected;
    return t->kind == TARGET_NET_CELL && net_scene_cell_shown(x->s, t) ? (size_t)t->f : x->s->shown;
}

static void draw_strip(Ctx *x)
{
    const NetScene *s = x->s;
    const NetLayout *L = x->L;
    Rect st = L->strip;
    painter_fill(x->p, st, x->th->panel);
    size_t j = strip_card(x);
    const NetCard *g = &s->cards[j];
    char l1[512], l2[512], title[200], shape[48], a[32], b[32], m[32], params[48];
    if (j == 0) {
        snprintf(l1, sizeof l1, "input %zux%zux%zu: %s%s%s", g->c, g->h, g->w, s->input_name,
                 s->size_h ? ", resampled to --input-size" : "", s->normalize ? ", then normalised" : "");
    } else {
        const NetLayer *Ly = &s->net.layers[g->layer];
        uint64_t n = 0;
        if (Ly->weight)
            n += tensor_count(&Ly->weight->t);
        if (Ly->bias)
            n += tensor_count(&Ly->bias->t);
        net_scene_card_title(s, j, title, sizeof title);
        net_shape_text(&s->net, g->layer, shape, sizeof shape);
        snprintf(l1, sizeof l1, "layer %zu of %zu: %s%s%s  ->  %s   params %s", j, s->n_cards - 1, title,
                 g->folded[0] ? " + " : "", g->folded, shape, format_count(n, params, sizeof params));
    }
    double mean = 0.0;
    for (size_t c = 0; c < g->c; c++)
        mean += g->mean[c];
    mean = g->c ? mean / (double)g->c : 0.0;
    snprintf(l2, sizeof l2, "values %s to %s, mean %s; %s; click a cell, Enter opens a Conv2d or pooling cell",
             format_number(g->lo, a, sizeof a), format_number(g->hi, b, sizeof b), format_number(mean, m, sizeof m),
             s->sorted ? "channels by mean activation (b: in order)" : "channels in order (b: by activation)");
    int line_h = (int)lround(L->frame.text_px * 1.45), pad = L->frame.text_px / 2;
    int x0 = st.x + pad, y = st.y + pad / 2, w = st.w - 2 * pad;
    paint_text_shrunk(x->p, l1, L->frame.text_px, x->th->text, x0, y, w, TEXT_LEFT | TEXT_TOP);
    paint_text_shrunk(x->p, l2, L->frame.text_px, x->th->accent2, x0, y + line_h, w, TEXT_LEFT | TEXT_TOP);
}

static void draw_timeline(Ctx *x)
{
    const NetLayout *L = x->L;
    const NetScene *s = x->s;
    size_t count = net_scene_step_count(s), index = net_scene_step_index(s);
    char left[400], right[160];
    char busy[200] = "";
    if (s->pending)   /* a pass on a worker thread (window only: export never has one) */
        snprintf(busy, sizeof busy, "   running on %.100s... %.1f s", net_job_request(s->pending)->name,
                 net_job_seconds(s->pending));
    snprintf(left, sizeof left, "layers shown: %zu of %zu%s%s", index, count - 1, x->v->playing ? "   playing" : "",
             busy);
    snprintf(right, sizeof right, "Space plays   b order   Enter opens a cell   ? keys");
    canvas_frame_draw_timeline(x->p, &L->frame, x->th, left, right, index, count);
}

/* The status line: the hovered cell's value while the mouse is on one,
 * else the view's status. */
static void draw_status(Ctx *x)
{
    const NetLayout *L = x->L;
    Rect st = L->frame.status;
    char hover[256] = "";
    if (x->v->hover.kind == TARGET_NET_CELL)
        net_scene_describe(x->s, &x->v->hover, hover, sizeof hover);
    const char *text = hover[0] ? hover : x->v->status;
    Rgba c = hover[0] ? x->th->text : x->v->status_error ? x->th->error : x->th->text_dim;
    paint_text_shrunk(x->p, text, L->frame.small_px, c, st.x, st.y + st.h / 2, st.w, TEXT_LEFT | TEXT_MIDDLE);
}

/* ------------------------------------------------------------- frame */

void net_draw_frame(Painter *painter, const Scene *scene, const View *v, const NetLayout *L)
{
    Ctx x = {painter, net_model(scene), v, theme_get(v->theme), L, NULL, 0};
    CellRange(*fields)[2] = L->n_boxes ? malloc(L->n_boxes * sizeof *fields) : NULL;
    if (fields && v->selected.kind == TARGET_NET_CELL && (size_t)v->selected.f < L->n_boxes &&
        net_scene_fields(x.s, &v->selected, fields)) {
        x.fields = fields;
        x.focus = (size_t)v->selected.f;
    }
    painter_clear(painter, x.th->bg);
    draw_header(&x);
    painter_clip(painter, &L->canvas);
    for (size_t j = 0; j < L->n_boxes; j++)
        draw_card(&x, j, &L->boxes[j]);
    painter_clip(painter, NULL);
    draw_classes(&x);
    draw_strip(&x);
    draw_timeline(&x);
    draw_status(&x);
    free(fields);
}
