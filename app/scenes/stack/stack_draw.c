/* stack_draw.c: the layer-stack scene's frame (see stack_draw.h). Start at
 * stack_draw_frame at the bottom: it lays the scene out, then paints the
 * header, the lesson's caption, each pane's maps (decks of channels, the
 * lit field of the focus cell, padding the field reaches into, labels),
 * the table, the growth strip, the timeline and the status line, through
 * the toolkit (paint.h) on a Painter. Numbers come from the stack's RfLayer
 * records. */
#include "stack_draw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "kernels.h"
#include "paint.h"
#include "stack.h"
#include "stack_kind.h"
#include "stack_layout.h"
#include "theme.h"

typedef struct Ctx {
    Painter *p;
    const Scene *scene;
    const StackScene *s;
    const View *v;
    const Theme *th;
    const StackLayout *L;
    StackCell sel, hov;         /* the view's clicked and hovered cells (pane -1: none) */
} Ctx;

/* ------------------------------------------------------------- helpers */

static int thick(const Ctx *x, double v)
{
    return imax(1, (int)lround(v * x->L->scale));
}

/* ------------------------------------------------------------- numbers */

static const char *shape_text(const StackStage *g, char *buf, size_t size)
{
    if (g->c)
        snprintf(buf, size, "%zux%zux%zu", g->h, g->w, g->c);
    else
        snprintf(buf, size, "%zux%zu", g->h, g->w);
    return buf;
}

/* The layer's spec text without a "torch.nn." / "nn." prefix. */
static const char *layer_text(const LayerSpec *l)
{
    const char *t = l->text;
    if (strncmp(t, "torch.", 6) == 0)
        t += 6;
    if (strncmp(t, "nn.", 3) == 0)
        t += 3;
    return t;
}

/* A short name for a map's label: "conv 3x3/2", "max 2x2/2", "input". */
static void stage_short(const StackPane *P, size_t j, char *buf, size_t size)
{
    const StackStage *g = &P->stages[j];
    if (j == 0) {
        snprintf(buf, size, "input");
        return;
    }
    const LayerSpec *l = &P->spec.layers[g->layer];
    const RfLayer *r = &P->rf[g->layer];
    const char *kind = l->type == SPEC_CONV2D ? "conv" : l->type == SPEC_CONV_TRANSPOSE2D ? "convT"
                       : l->type == SPEC_MAXPOOL2D ? "max" : "avg";
    char k[24], st[16] = "", d[16] = "";
    snprintf(k, sizeof k, "%dx%d", r->kernel[0], r->kernel[1]);
    if (r->stride[0] > 1 || r->stride[1] > 1)
        snprintf(st, sizeof st, "/%d", r->stride[0]);
    if (r->dilation[0] > 1 || r->dilation[1] > 1)
        snprintf(d, sizeof d, " d%d", r->dilation[0]);
    snprintf(buf, size, "%s %s%s%s%s", kind, k, st, d, g->nonlin ? " +act" : "");
}

/* The record of the layer before stage j's layer (NULL: it is the first). */
static const RfLayer *prev_rf(const StackPane *P, size_t j)
{
    size_t layer = P->stages[j].layer;
    return layer > 0 ? &P->rf[layer - 1] : NULL;
}

/* The growth formulas of one axis of stage j's layer, in live numbers. */
static void formula_axis(const StackPane *P, size_t j, int a, char *buf, size_t size)
{
    const RfLayer *l = &P->rf[P->stages[j].layer], *p = prev_rf(P, j);
    double rp = p ? p->rf[a] : 1.0, jp = p ? p->jump[a] : 1.0;
    int keff = l->dilation[a] * (l->kernel[a] - 1) + 1;
    char kpart[96] = "";
    if (l->dilation[a] > 1)
        snprintf(kpart, sizeof kpart, "k_eff = d(k - 1) + 1 = %d(%d - 1) + 1 = %d;  ", l->dilation[a],
                 l->kernel[a], keff);
    if (l->transposed)
        snprintf(buf, size,
                 "%sr = r_prev + (k_eff - 1) x jump_prev / s = %.10g + (%d - 1) x %.10g / %d = %.10g   "
                 "jump = jump_prev / s = %.10g / %d = %.10g",
                 kpart, rp, keff, jp, l->stride[a], l->rf[a], jp, l->stride[a], l->jump[a]);
    else
        snprintf(buf, size,
                 "%sr = r_prev + (k_eff - 1) x jump_prev = %.10g + (%d - 1) x %.10g = %.10g   "
                 "jump = jump_prev x s = %.10g x %d = %.10g",
                 kpart, rp, keff, jp, l->rf[a], jp, l->stride[a], l->jump[a]);
}

/* The whole stack shown so far in pane p: rf and jump of its newest layer. */
static const RfLayer *newest_rf(const StackScene *s, int p)
{
    const StackPane *P = &s->panes[p];
    size_t cur = stack_current(s, p);
    return cur ? &P->rf[P->stages[cur].last] : NULL;
}

/* Sum of parameters over stages 0..cur of pane p; non-linearities too. */
static uint64_t pane_params(const StackScene *s, int p, int *nonlin)
{
    const StackPane *P = &s->panes[p];
    uint64_t sum = 0;
    int n = 0;
    for (size_t j = 0; j <= stack_current(s, p); j++) {
        sum += P->stages[j].params;
        n += P->stages[j].nonlin;
    }
    if (nonlin)
        *nonlin = n;
    return sum;
}

/* ------------------------------------------------------------- panels */

static void draw_header(Ctx *x)
{
    const StackScene *s = x->s;
    const StackLayout *L = x->L;
    char left[256], right[192], a[48], b[48];
    if (s->lesson) {
        size_t n;
        const Lesson *all = lesson_table(&n);
        snprintf(left, sizeof left, "lesson %zu of %zu: %s", (size_t)(s->lesson - all) + 1, n,
                 s->lesson->name);
    } else {
        snprintf(left, sizeof left, "layer stack: %s   input %s", s->source,
                 shape_text(&s->panes[0].stages[0], a, sizeof a));
    }
    const RfLayer *r = newest_rf(s, 0);
    size_t n_layers = s->panes[0].n_stages - 1;
    snprintf(right, sizeof right, "%zu of %zu layers   rf %s   jump %s", stack_current(s, 0), n_layers,
             r ? format_pair(r->rf[0], r->rf[1], 'x', a, sizeof a) : "1",
             r ? format_pair(r->jump[0], r->jump[1], 'x', b, sizeof b) : "1");
    int mid = L->frame.header.y + L->frame.header.h / 2;
    int rw = painter_text(x->p, right, L->frame.text_px, x->th->text_dim, L->frame.header.x + L->frame.header.w, mid,
                          TEXT_RIGHT | TEXT_MIDDLE);
    paint_text_shrunk(x->p, left, L->frame.text_px, x->th->text, L->frame.header.x, mid, L->frame.header.w - rw - L->frame.text_px,
                      TEXT_LEFT | TEXT_MIDDLE);
}

static void draw_caption(Ctx *x)
{
    const StackLayout *L = x->L;
    const Lesson *ls = x->s->lesson;
    if (!ls)
        return;
    Rect c = L->caption;
    paint_text_shrunk(x->p, ls->question, L->frame.big_px, x->th->accent, c.x, c.y, c.w, TEXT_LEFT | TEXT_TOP);
    int cw = imax(1, painter_char_width(x->p, L->frame.text_px));
    int starts[16], lens[16];
    int n = stack_layout_wrap(ls->caption, c.w / cw, starts, lens, 16);
    int line_h = (int)lround(L->frame.text_px * 1.35);
    int y = c.y + (int)lround(L->frame.big_px * 1.5);
    for (int i = 0; i < n && i < 16; i++) {
        char line[512];
        snprintf(line, sizeof line, "%.*s", lens[i], ls->caption + starts[i]);
        if (y + line_h > c.y + c.h + line_h / 2)
            break;
        painter_text(x->p, line, L->frame.text_px, x->th->text, c.x, y, TEXT_LEFT | TEXT_TOP);
        y += line_h;
    }
}

/* Pane p's title; in the comparison lesson, with its live numbers. */
static void draw_pane_title(Ctx *x, int p)
{
    const StackScene *s = x->s;
    const StackPane *P = &s->panes[p];
    Rect t = x->L->pane_title[p];
    char buf[320], a[48], n[48];
    if (s->lesson && s->lesson->numbers == LESSON_COMPARE) {
        int nonlin;
        uint64_t params = pane_params(s, p, &nonlin);
        const RfLayer *r = newest_rf(s, p);
        size_t c = P->stages[0].c;
        char mult[48] = "";
        if (c && params % (c * c) == 0)
            snprintf(mult, sizeof mult, " = %lluC^2 (C = %zu)", (unsigned long long)(params / (c * c)), c);
        snprintf(buf, sizeof buf, "%s: rf %s, weights %s%s, %d non-linearit%s", P->title,
                 r ? format_pair(r->rf[0], r->rf[1], 'x', a, sizeof a) : "1", format_count(params, n, sizeof n),
                 mult, nonlin, nonlin == 1 ? "y" : "ies");
    } else {
        snprintf(buf, sizeof buf, "%s", P->title);
    }
    paint_text_shrunk(x->p, buf, x->L->frame.small_px, x->th->text_dim, t.x, t.y + t.h / 2, t.w, TEXT_LEFT | TEXT_MIDDLE);
}

/* The input as a picture (an image or .npy given with -i): values 0-255
 * (a .npy is scaled from its own range), RGB or grey. */
static void draw_picture(Ctx *x, Rect dst)
{
    const Tensor *in = &x->scene->input;
    uint32_t *px = malloc(in->w * in->h * sizeof *px);
    if (!px)
        return;
    float lo = 0.0f, hi = 255.0f;
    size_t plane = in->h * in->w;
    if (!x->scene->image_input) {
        lo = hi = in->data[0];
        for (size_t i = 0; i < plane * in->c; i++) {
            lo = fminf(lo, in->data[i]);
            hi = fmaxf(hi, in->data[i]);
        }
    }
    float span = hi > lo ? hi - lo : 1.0f;
    bool rgb = in->c >= 3 && x->scene->image_input;
    for (size_t i = 0; i < plane; i++) {
        uint32_t ch[3];
        for (int c = 0; c < 3; c++) {
            float v = in->data[(rgb ? (size_t)c : 0) * plane + i];
            float t = (v - lo) / span * 255.0f;
            ch[c] = (uint32_t)(t < 0.0f ? 0.0f : t > 255.0f ? 255.0f : t + 0.5f);
        }
        px[i] = 0xff000000u | ch[0] << 16 | ch[1] << 8 | ch[2];
    }
    painter_image(x->p, dst, px, (int)in->w, (int)in->h);
    free(px);
}

/* The rectangle of cells lo..hi (both axes) of box b. */
static Rect range_rect(const StackBox *b, const CellRange *rg)
{
    Rect a = stack_layout_cell(b, rg[0].lo, rg[1].lo), z = stack_layout_cell(b, rg[0].hi, rg[1].hi);
    return (Rect){a.x, a.y, z.x + z.w - a.x, z.y + z.h - a.y};
}

static bool rect_visible(Rect a, Rect clip)
{
    return a.x < clip.x + clip.w && a.y < clip.y + clip.h && a.x + a.w > clip.x && a.y + a.h > clip.y;
}

/* The lit cells' column through every channel of a deck: the field on the
 * back channel, d pixels up and right, joined to the front one at the
 * corners, so a 1x1 convolution's column of channels shows. */
static void draw_column(Ctx *x, Rect f, int d, Rgba c)
{
    Rect back = {f.x + d, f.y - d, f.w, f.h};
    Rgba line = paint_with_alpha(c, 220);
    paint_outline(x->p, back, 1, line);
    if (d < 1)
        return;     /* no depth: the corners are joined already */
    int xs[2] = {f.x, f.x + f.w - 1}, ys[2] = {f.y, f.y + f.h - 1};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            painter_line(x->p, xs[i], ys[j], xs[i] + d, ys[j] - d, line);
}

/* Where a map's lit range falls: the cells inside the map, and the
 * padding around it that the range reaches into. */
typedef struct MapLit {
    bool inside;            /* some lit cells lie inside the map: field */
    bool outside;           /* the range reaches into the padding: padded */
    Rect field;             /* the lit cells inside the map */
    Rect padded;            /* the whole lit range, cut at the room the layout left */
} MapLit;

/* The lit range rg (NULL: none) of stage g in box b, cut at the b->pad
 * cells of room the layout left around the map. */
static MapLit map_lit(const StackBox *b, const StackStage *g, const CellRange *rg)
{
    MapLit lit = {false, false, {0, 0, 0, 0}, {0, 0, 0, 0}};
    if (!rg || rg[0].lo > rg[0].hi || rg[1].lo > rg[1].hi)
        return lit;
    int m = (int)lround(b->pad / fmax(b->pitch, 1e-9));
    CellRange inside[2], cut[2];
    for (int a = 0; a < 2; a++) {
        int n = a == 0 ? (int)g->h : (int)g->w;
        inside[a] = (CellRange){rg[a].lo < 0 ? 0 : rg[a].lo, rg[a].hi >= n ? n - 1 : rg[a].hi};
        cut[a] = (CellRange){rg[a].lo < -m ? -m : rg[a].lo, rg[a].hi > n - 1 + m ? n - 1 + m : rg[a].hi};
        lit.outside = lit.outside || cut[a].lo < inside[a].lo || cut[a].hi > inside[a].hi;
    }
    lit.inside = inside[0].lo <= inside[0].hi && inside[1].lo <= inside[1].hi;
    if (lit.outside)
        lit.padded = range_rect(b, cut);
    if (lit.inside)
        lit.field = range_rect(b, inside);
    return lit;
}

/* The deck behind the front map: one slice per channel, the last one
 * first, each with the lit field's outline in lit_c. */
static void draw_deck(Ctx *x, const StackBox *b, Rect front, const MapLit *lit, Rgba lit_c)
{
    for (int k = b->slices - 1; k >= 1; k--) {
        int d = (int)lround(k * b->slice_dx);
        Rect sl = {front.x + d, front.y - d, front.w, front.h};
        painter_fill(x->p, sl, x->th->panel);
        paint_outline(x->p, sl, 1, x->th->grid_line);
        if (lit->inside) {
            Rect f = {lit->field.x + d, lit->field.y - d, lit->field.w, lit->field.h};
            paint_outline(x->p, f, 1, paint_with_alpha(lit_c, 200));
        }
    }
}

/* Lines between the cells of stage g in box b, when cells are big enough
 * to tell apart (only those inside the canvas). */
static void draw_grid_lines(Ctx *x, const StackBox *b, const StackStage *g, Rect front)
{
    if (b->pitch < 5.0)
        return;
    Rgba line = paint_with_alpha(x->th->grid_line, 255);
    Rect clip = x->L->canvas;
    for (size_t i = 0; i <= g->w; i++) {
        int lx = (int)floor(b->x + (double)i * b->pitch);
        if (lx >= clip.x && lx < clip.x + clip.w)
            painter_fill(x->p, (Rect){lx, front.y, 1, front.h}, line);
    }
    for (size_t i = 0; i <= g->h; i++) {
        int ly = (int)floor(b->y + (double)i * b->pitch);
        if (ly >= clip.y && ly < clip.y + clip.h)
            painter_fill(x->p, (Rect){front.x, ly, front.w, 1}, line);
    }
}

/* The hovered cell of stage j of pane p, and on the focus stage the focus
 * cell (in the selection colour when this pane holds the click). */
static void draw_map_marks(Ctx *x, int p, size_t j, const StackBox *b, int focus)
{
    const StackCell *hv = &x->hov;
    if (hv->pane == p && hv->stage == (int)j)
        paint_outline(x->p, stack_layout_cell(b, hv->y, hv->x), 1, x->th->text);
    if ((int)j == focus) {
        StackCell f = stack_focus(x->s, p, x->sel);
        Rect c = stack_layout_cell(b, f.y, f.x);
        paint_outline(x->p, (Rect){c.x - 2, c.y - 2, c.w + 4, c.h + 4}, thick(x, 2.0),
                      x->sel.pane == p ? x->th->step : x->th->halo);
    }
}

/* The label beside stage j's map: its shape, its kind, and (after the
 * input) its parameters and multiply-adds. */
static void draw_map_label(Ctx *x, const StackPane *P, size_t j, const StackBox *b, int focus)
{
    const StackStage *g = &P->stages[j];
    char shape[48], kind[80];
    Rect lr = b->label_rect;
    int px = x->L->frame.small_px, lh = (int)lround(px * 1.25);
    paint_label(x->p, shape_text(g, shape, sizeof shape), px, (int)j == focus ? x->th->accent : x->th->text, lr.x,
                lr.y, lr.w);
    stage_short(P, j, kind, sizeof kind);
    paint_label(x->p, kind, px, x->th->text_dim, lr.x, lr.y + lh, lr.w);
    if (j == 0)
        return;
    char params[16], macs[16], cost[64];
    if (g->params)
        snprintf(cost, sizeof cost, "%s params, %s MACs", format_count_short(g->params, params, sizeof params),
                 format_count_short(g->macs, macs, sizeof macs));
    else
        snprintf(cost, sizeof cost, "no weights");
    paint_label(x->p, cost, px, x->th->text_dim, lr.x, lr.y + 2 * lh, lr.w);
}

/* One map of pane p: stage j in box b, its lit range rg (NULL: none),
 * focus the focus stage. */
static void draw_map(Ctx *x, int p, size_t j, const StackBox *b, const CellRange *rg, int focus)
{
    const StackPane *P = &x->s->panes[p];
    const StackStage *g = &P->stages[j];
    const Theme *th = x->th;
    Rect front = {(int)floor(b->x), (int)floor(b->y), (int)ceil(b->pitch * (double)g->w),
                  (int)ceil(b->pitch * (double)g->h)};
    Rect whole = {front.x, front.y - (int)ceil((b->slices - 1) * b->slice_dx),
                  front.w + (int)ceil((b->slices - 1) * b->slice_dx), 0};
    whole.h = front.y + front.h - whole.y;
    if (!rect_visible(whole, x->L->canvas) && !(rg && rg[0].lo < 0))
        return;
    MapLit lit = map_lit(b, g, rg);
    Rgba lit_c = (int)j < focus ? th->window : th->accent;
    draw_deck(x, b, front, &lit, lit_c);
    /* padding the field reaches into: hatched cells around the map */
    if (lit.outside) {
        painter_fill(x->p, lit.padded, th->bg);
        paint_hatch(x->p, lit.padded, imax(4, (int)lround(b->pitch / 2.0)), th->pad_hatch);
    }
    if (j == 0 && p == 0 && x->s->picture)
        draw_picture(x, front);
    else
        painter_fill(x->p, front, th->panel);
    draw_grid_lines(x, b, g, front);
    /* the edge over the grid lines, which would cut it into dashes */
    paint_outline(x->p, front, 1, th->text_dim);
    if (lit.inside) {
        Rect f = lit.field;
        painter_fill(x->p, f, paint_with_alpha(lit_c, (int)j == focus ? 230 : 120));
        paint_outline(x->p, f, thick(x, 2.0), th->halo);
        paint_outline(x->p, (Rect){f.x + 1, f.y + 1, f.w - 2, f.h - 2}, thick(x, 1.5), lit_c);
    }
    if (lit.outside)
        paint_outline(x->p, lit.padded, thick(x, 1.5), lit_c);
    if (lit.inside && b->slices > 1)
        draw_column(x, lit.field, (int)lround((b->slices - 1) * b->slice_dx), lit_c);
    draw_map_marks(x, p, j, b, focus);
    if (b->label)
        draw_map_label(x, P, j, b, focus);
}

static void draw_pane(Ctx *x, int p, CellRange (*fields)[2])
{
    const StackScene *s = x->s;
    const StackBox *boxes = x->L->boxes[p];
    draw_pane_title(x, p);
    if (!boxes)
        return;
    StackCell f = stack_focus(s, p, x->sel);
    stack_fields(s, p, f, fields);
    size_t cur = stack_current(s, p);
    for (size_t j = 0; j <= cur; j++)
        draw_map(x, p, j, &boxes[j], fields[j], f.stage);
}

/* The pane the strip and table describe: the clicked cell's, else 0. */
static int strip_pane(const Ctx *x)
{
    return x->sel.pane >= 0 ? x->sel.pane : 0;
}

static void draw_table(Ctx *x)
{
    const StackLayout *L = x->L;
    if (!x->v->show_table)
        return;
    const StackScene *s = x->s;
    int p = strip_pane(x);
    const StackPane *P = &s->panes[p];
    Rect t = L->table;
    painter_fill(x->p, t, x->th->panel);
    int pxs = L->frame.small_px, cw = imax(1, painter_char_width(x->p, pxs));
    int row_h = (int)lround(pxs * 1.45), pad = pxs / 2;
    enum { n_cols = 7 };
    static const char *const heads[n_cols] = {"#", "size", "rf", "jump", "pad", "params", "MACs"};
    static const int widths[n_cols] = {3, 12, 6, 6, 5, 8, 7}; /* STACK_TABLE_CHARS in all */
    int cols_x[n_cols], xx = t.x + pad;
    for (int c = 0; c < n_cols; c++) {
        cols_x[c] = xx;
        xx += widths[c] * cw;
    }
    int y = t.y + pad;
    for (int c = 0; c < n_cols; c++)
        painter_text(x->p, heads[c], pxs, x->th->text_dim, cols_x[c], y, TEXT_LEFT | TEXT_TOP);
    y += row_h;
    size_t cur = stack_current(s, p);
    int rows = imax(1, (t.y + t.h - y - pad) / row_h);
    StackCell f = stack_focus(s, p, x->sel);
    size_t first = 0;
    if ((int)cur + 1 > rows) {
        long want = (long)f.stage - rows / 2;
        long most = (long)cur + 1 - rows;
        first = (size_t)(want < 0 ? 0 : want > most ? most : want);
    }
    for (size_t j = first; j <= cur && (int)(j - first) < rows; j++) {
        const StackStage *g = &P->stages[j];
        const RfLayer *r = j ? &P->rf[g->last] : NULL;
        char c[n_cols][48];
        snprintf(c[0], sizeof c[0], "%zu", j);
        shape_text(g, c[1], sizeof c[1]);
        format_pair(r ? r->rf[0] : 1, r ? r->rf[1] : 1, 'x', c[2], sizeof c[2]);
        format_pair(r ? r->jump[0] : 1, r ? r->jump[1] : 1, 'x', c[3], sizeof c[3]);
        format_pair(r ? r->effective_padding[0] : 0, r ? r->effective_padding[1] : 0, 'x', c[4], sizeof c[4]);
        format_count_short(g->params, c[5], sizeof c[5]);
        format_count_short(g->macs, c[6], sizeof c[6]);
        Rgba col = (int)j == f.stage ? x->th->accent : x->th->text;
        if ((int)j == f.stage)
            painter_fill(x->p, (Rect){t.x, y - 1, t.w, row_h}, paint_with_alpha(x->th->window, 50));
        for (int k = 0; k < n_cols; k++)
            painter_text(x->p, c[k], pxs, col, cols_x[k], y, TEXT_LEFT | TEXT_TOP);
        y += row_h;
    }
}

/* The sizes lesson's line: the sizes so far (the first four, "...", then
 * the newest ones that fit), the layer count, and whether one output sees
 * the whole input. */
static void strip_sizes(Ctx *x, int p, char *buf, size_t size)
{
    const StackScene *s = x->s;
    const StackPane *P = &s->panes[p];
    size_t cur = stack_current(s, p);
    const RfLayer *r = newest_rf(s, p);
    int room = imax(20, x->L->strip.w / imax(1, painter_char_width(x->p, x->L->frame.text_px)) - 48);
    size_t used = 0;
    buf[0] = '\0';
    size_t head = cur + 1 <= 12 ? cur + 1 : 4;
    size_t tail_from = head;
    if (cur + 1 > head) {
        int need = 0;
        tail_from = cur + 1;
        while (tail_from > head && need + 5 < room - 24) {
            tail_from--;
            need += snprintf(NULL, 0, " %zu", P->stages[tail_from].h);
        }
    }
    for (size_t j = 0; j <= cur && used < size; j++) {
        if (j >= head && j < tail_from) {
            used += (size_t)snprintf(buf + used, size - used, " ...");
            j = tail_from - 1;
            continue;
        }
        used += (size_t)snprintf(buf + used, size - used, "%s%zu", j ? " " : "sizes: ", P->stages[j].h);
    }
    if (used < size)
        snprintf(buf + used, size - used, "   -> %zu layer%s%s", cur, cur == 1 ? "" : "s",
                 cur + 1 == P->n_stages && r && r->rf[0] >= (double)P->stages[0].h
                     ? ", and one output sees the whole input"
                     : "");
}

/* The initialisation lesson's line: the focus layer's fan-in and the
 * bounds and deviation each initialiser draws from. */
static void strip_init(Ctx *x, int p, char *buf, size_t size)
{
    const StackPane *P = &x->s->panes[p];
    size_t j = (size_t)stack_focus(x->s, p, x->sel).stage;
    const LayerSpec *l = j ? &P->spec.layers[P->stages[j].layer] : NULL;
    if (!l || (l->type != SPEC_CONV2D && l->type != SPEC_CONV_TRANSPOSE2D)) {
        snprintf(buf, size, "%s: no weights to initialise (click a convolution, or Right adds one)",
                 j ? "pooling" : "the input");
        return;
    }
    /* the weight's shape: (out, in/groups, kh, kw), transposed (in, out/groups, kh, kw) */
    bool transposed = l->type == SPEC_CONV_TRANSPOSE2D;
    size_t dim0 = (size_t)(transposed ? l->in_channels : l->out_channels);
    size_t dim1 = (size_t)((transposed ? l->out_channels : l->in_channels) / l->conv.groups);
    double fan_in, fan_out;
    kernels_fans(dim0, dim1, (size_t)l->kernel_h, (size_t)l->kernel_w, &fan_in, &fan_out);
    snprintf(buf, size,
             "fan_in = %zu x %dx%d = %.0f:  default b = 1/sqrt(%.0f) = %.4f   He std = sqrt(2/%.0f) = "
             "%.4f   Xavier b = sqrt(6/(%.0f + %.0f)) = %.4f",
             dim1, l->kernel_h, l->kernel_w, fan_in, fan_in, 1.0 / sqrt(fan_in), fan_in,
             sqrt(2.0 / fan_in), fan_in, fan_out, sqrt(6.0 / (fan_in + fan_out)));
}

/* The training lesson's line: how many numbers training adjusts. */
static void strip_training(Ctx *x, int p, char *buf, size_t size)
{
    const StackPane *P = &x->s->panes[p];
    size_t cur = stack_current(x->s, p);
    char all[48], newest[48];
    snprintf(buf, size,
             "training adjusts %s numbers (weights and biases of the %zu layer%s shown); the newest layer holds %s",
             format_count(pane_params(x->s, p, NULL), all, sizeof all), cur, cur == 1 ? "" : "s",
             format_count(P->stages[cur].params, newest, sizeof newest));
}

/* The comparison lesson's line: rf and weights of each pair of panes. */
static void strip_compare(Ctx *x, char *buf, size_t size)
{
    const StackScene *s = x->s;
    char pairs[2][160] = {"", ""};
    for (int q = 0; q + 1 < s->n_panes && q < 4; q += 2) {
        const RfLayer *r1 = newest_rf(s, q), *r2 = newest_rf(s, q + 1);
        char rf1[48], rf2[48], w1[48], w2[48];
        snprintf(pairs[q / 2], sizeof pairs[q / 2], "rf %s vs %s, weights %s vs %s",
                 r1 ? format_pair(r1->rf[0], r1->rf[1], 'x', rf1, sizeof rf1) : "1",
                 r2 ? format_pair(r2->rf[0], r2->rf[1], 'x', rf2, sizeof rf2) : "1",
                 format_count(pane_params(s, q, NULL), w1, sizeof w1),
                 format_count(pane_params(s, q + 1, NULL), w2, sizeof w2));
    }
    snprintf(buf, size, "%s   |   %s", pairs[0], s->n_panes > 2 ? pairs[1] : "");
}

/* The plain line: rf, jump and effective padding of pane p's stack so far,
 * and its parameters and multiply-adds. */
static void strip_totals(Ctx *x, int p, char *buf, size_t size)
{
    const StackPane *P = &x->s->panes[p];
    size_t cur = stack_current(x->s, p);
    const RfLayer *r = newest_rf(x->s, p);
    if (!r) {
        snprintf(buf, size, "the input alone: rf 1, jump 1 (Right adds a layer, Space plays)");
        return;
    }
    uint64_t macs = 0, params = 0;
    for (size_t j = 0; j <= cur; j++) {
        macs += P->stages[j].macs;
        params += P->stages[j].params;
    }
    char rf[48], jump[48], pad[48], params_text[48], macs_text[48];
    snprintf(buf, size, "layers 1-%zu: rf %s, jump %s, effective padding %s, params %s, MACs %s", cur,
             format_pair(r->rf[0], r->rf[1], 'x', rf, sizeof rf), format_pair(r->jump[0], r->jump[1], 'x', jump, sizeof jump),
             format_pair(r->effective_padding[0], r->effective_padding[1], 'x', pad, sizeof pad),
             format_count(params, params_text, sizeof params_text), format_count(macs, macs_text, sizeof macs_text));
}

/* Line 3 of the strip: what the lesson adds, or the stack's totals. */
static void strip_numbers(Ctx *x, int p, char *buf, size_t size)
{
    switch (x->s->lesson ? x->s->lesson->numbers : LESSON_PLAIN) {
    case LESSON_SIZES:
        strip_sizes(x, p, buf, size);
        break;
    case LESSON_INIT:
        strip_init(x, p, buf, size);
        break;
    case LESSON_TRAINING:
        strip_training(x, p, buf, size);
        break;
    case LESSON_COMPARE:
        strip_compare(x, buf, size);
        break;
    default:
        strip_totals(x, p, buf, size);
        break;
    }
}

static void draw_strip(Ctx *x)
{
    const StackLayout *L = x->L;
    const StackScene *s = x->s;
    int p = strip_pane(x);
    const StackPane *P = &s->panes[p];
    StackCell f = stack_focus(s, p, x->sel);
    size_t j = (size_t)f.stage;
    const StackStage *g = &P->stages[j];
    Rect st = L->strip;
    painter_fill(x->p, st, x->th->panel);
    int line_h = (int)lround(L->frame.text_px * 1.45), pad = L->frame.text_px / 2;
    char l1[512], l2[720], l3[640], shape[48], a[48], b[48];
    if (j == 0) {
        snprintf(l1, sizeof l1, "input %s: each cell sees itself (r = 1, jump = 1)",
                 shape_text(g, shape, sizeof shape));
        snprintf(l2, sizeof l2,
                 "r_0 = 1, jump_0 = 1; each layer adds (k_eff - 1) x jump to r and multiplies jump by its stride");
    } else {
        const LayerSpec *l = &P->spec.layers[g->layer];
        snprintf(l1, sizeof l1, "layer %zu of %zu: %s%s%s  ->  %s   params %s   MACs %s", j, P->n_stages - 1,
                 layer_text(l), g->folded[0] ? " + " : "", g->folded, shape_text(g, shape, sizeof shape),
                 format_count(g->params, a, sizeof a), format_count(g->macs, b, sizeof b));
        const RfLayer *r = &P->rf[g->layer];
        const RfLayer *pr = prev_rf(P, j);
        bool same = r->kernel[0] == r->kernel[1] && r->stride[0] == r->stride[1] &&
                    r->dilation[0] == r->dilation[1] && (!pr || (pr->rf[0] == pr->rf[1] && pr->jump[0] == pr->jump[1]));
        char ax[2][300];
        formula_axis(P, j, 0, ax[0], sizeof ax[0]);
        formula_axis(P, j, 1, ax[1], sizeof ax[1]);
        char eff[96];
        snprintf(eff, sizeof eff, "   padding reached %s",
                 format_pair(r->effective_padding[0], r->effective_padding[1], 'x', a, sizeof a));
        if (same)
            snprintf(l2, sizeof l2, "%s%s", ax[0], eff);
        else
            snprintf(l2, sizeof l2, "rows: %s   cols: %s%s", ax[0], ax[1], eff);
    }
    strip_numbers(x, p, l3, sizeof l3);
    int x0 = st.x + pad, y = st.y + pad / 2, w = st.w - 2 * pad;
    paint_text_shrunk(x->p, l1, L->frame.text_px, x->th->text, x0, y, w, TEXT_LEFT | TEXT_TOP);
    paint_text_shrunk(x->p, l2, L->frame.text_px, x->th->accent, x0, y + line_h, w, TEXT_LEFT | TEXT_TOP);
    paint_text_shrunk(x->p, l3, L->frame.text_px, x->th->accent2, x0, y + 2 * line_h, w, TEXT_LEFT | TEXT_TOP);
}

static void draw_timeline(Ctx *x)
{
    const StackLayout *L = x->L;
    const StackScene *s = x->s;
    size_t count = stack_step_count(s), index = stack_step_index(s);
    char left[160], right[160];
    snprintf(left, sizeof left, "growth step %zu of %zu (layers added: %zu)%s", index, count - 1, index,
             x->v->playing ? "   playing" : "");
    snprintf(right, sizeof right, "%g steps/s   Space plays   l lessons   v table   ? keys", x->v->speed);
    canvas_frame_draw_timeline(x->p, &L->frame, x->th, left, right, index, count);
}

static void draw_status(Ctx *x)
{
    const StackLayout *L = x->L;
    Rect st = L->frame.status;
    paint_text_shrunk(x->p, x->v->status, L->frame.small_px, x->v->status_error ? x->th->error : x->th->text_dim, st.x,
                      st.y + st.h / 2, st.w, TEXT_LEFT | TEXT_MIDDLE);
}

/* ------------------------------------------------------------- frame */

void stack_draw_frame(Painter *painter, const Scene *scene, const View *v, const StackLayout *L)
{
    const StackScene *s = stack_model(scene);
    Ctx x = {painter, scene, s, v, theme_get(v->theme), L, stack_cell_of(&v->selected), stack_cell_of(&v->hover)};

    painter_clear(painter, x.th->bg);
    draw_header(&x);
    draw_caption(&x);

    size_t most = 0;
    for (int p = 0; p < s->n_panes; p++)
        if (s->panes[p].n_stages > most)
            most = s->panes[p].n_stages;
    CellRange (*fields)[2] = malloc(most * sizeof *fields);
    if (fields) {
        painter_clip(painter, &L->canvas);
        for (int p = 0; p < s->n_panes; p++)
            draw_pane(&x, p, fields);
        painter_clip(painter, NULL);
    }
    free(fields);
    draw_table(&x);
    draw_strip(&x);
    draw_timeline(&x);
    draw_status(&x);
}
