/* layout.c: rectangles for every panel from (scene, view, size); see
 * layout.h for the picture. Pure: no SDL, no text rendering. Sizes come
 * from one factor, k = min(w/1280, h/720) * ui_scale, so 1920x1080 is
 * 1280x720 enlarged, and the grids then take what room is left: cells are
 * as large as the width and height allow, capped so tiny inputs do not
 * become giant tiles. */
#include "layer_layout.h"
#include "stack_layout.h"

#include <math.h>
#include <string.h>

/* Smallest cell (at 1280x720) that prints a three-digit value readably;
 * numbers_min_cell() scales it with the window but keeps it within
 * [NUMBERS_FLOOR, NUMBERS_CEIL] pixels, so a 16x16x3 input still shows every
 * number at 1920x1080 and a small window still prints the default scene. */
#define NUMBERS_MIN_CELL 26.0f
#define NUMBERS_FLOOR 18.0f
#define NUMBERS_CEIL 27.0f
/* Largest cell at k = 1. */
#define MAX_CELL 84.0f

static float numbers_min_cell(float fit)
{
    return fminf(fmaxf(NUMBERS_MIN_CELL * fit, NUMBERS_FLOOR), NUMBERS_CEIL);
}

static int imax(int a, int b)
{
    return a > b ? a : b;
}

static int imin(int a, int b)
{
    return a < b ? a : b;
}

static int px(float v)
{
    return (int)lroundf(v);
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
    int gap = cell >= 12 ? imax(1, cell / 22) : 0;
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
    g->text_px = imax(6, px((float)g->cell * 0.44f));
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

/* Rows and columns of the padded input drawn: the input, its padding, and
 * for pooling in ceil mode the overhang windows reach past the padding. */
static void padded_extent(const Scene *s, const Trace *t, int *rows, int *cols, int *y0, int *x0)
{
    size_t oh, ow, f;
    Pad4 p = stepper_padding(s->stepper);
    stepper_output_size(s->stepper, &oh, &ow, &f);
    int h = (int)s->input.h + p.top + p.bottom, w = (int)s->input.w + p.left + p.right;
    int reach_h = ((int)oh - 1) * t->stride_h + t->dilation_h * (t->kh - 1) + 1;
    int reach_w = ((int)ow - 1) * t->stride_w + t->dilation_w * (t->kw - 1) + 1;
    *rows = imax(h, reach_h);
    *cols = imax(w, reach_w);
    *y0 = -p.top;
    *x0 = -p.left;
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

/* What the pooling layout needs from layout_compute. */
typedef struct PoolGeometry {
    int main_top, main_h, main_w, margin, gap, label_h, sum_h;
    int rows_in, cols_in, y0, x0, oh, ow, kh, kw;
} PoolGeometry;

/* Pooling with readable numbers: each channel's pooled map right under its
 * input (same cell size, so the window and the cell it makes line up), and
 * the window's values with the max or the average in a column on the
 * right. Returns false when the numbers would not be readable (the general
 * layout then draws pictures and an inset). */
static bool layout_pool(Layout *L, const PoolGeometry *g, float k, float fit)
{
    int nc = L->n_channels;
    int right_w = px(260.0f * k);
    float cw = ((float)(g->main_w - right_w - nc * g->gap)) / (float)imax(nc * imax(g->cols_in, g->ow), 1);
    float ch = ((float)(g->main_h - 2 * g->label_h - g->gap)) / (float)(g->rows_in + g->oh);
    float c = fminf(fminf(cw, ch), MAX_CELL * k);
    if (c < numbers_min_cell(fit))
        return false;
    int cell = (int)c;
    int col_w = imax(g->cols_in, g->ow) * cell;
    int used = nc * (col_w + g->gap) + right_w;
    int x = g->margin + imax(0, g->main_w - used) / 2;
    int out_top = g->main_top + g->label_h + g->rows_in * cell + g->gap;
    int out_room = g->main_top + g->main_h - out_top - g->label_h;
    int cell_out = imax(cell, imin(col_w / imax(g->ow, 1), out_room / imax(g->oh, 1)));
    cell_out = imin(cell_out, px(MAX_CELL * k));
    for (int ci = 0; ci < nc; ci++) {
        L->channel_label[ci] = (Rect){x, g->main_top, col_w, g->label_h};
        grid_place(&L->input[ci], x + (col_w - g->cols_in * cell) / 2, g->main_top + g->label_h, g->rows_in,
                   g->cols_in, g->y0, g->x0, cell, fit);
        if (ci < L->n_maps) {
            L->map_label[ci] = (Rect){x, out_top, col_w, g->label_h};
            grid_place(&L->output[ci], x + (col_w - g->ow * cell_out) / 2, out_top + g->label_h, g->oh, g->ow,
                       0, 0, cell_out, fit);
        }
        x += col_w + g->gap;
    }
    /* the window's values: at most the cell size, fitting the right column */
    int ck = imin(cell * 5 / 4, (right_w - g->gap) / imax(g->kw, 1));
    ck = imin(ck, (g->main_h - 3 * g->label_h - g->sum_h) / imax(g->kh, 1));
    ck = imax(ck, 1);
    int kx = x + (right_w - g->kw * ck) / 2;
    int ky = g->main_top + g->label_h + g->label_h;
    for (int ci = 0; ci < nc; ci++) {
        grid_place(&L->kernel[ci], kx, ky, g->kh, g->kw, 0, 0, ck, fit);
        L->kernel[ci].numbers = (float)ck >= 18.0f * fit;
        L->channel_sum[ci] = (Rect){x, ky + g->kh * ck + px(4.0f * k), right_w, px((float)L->text_px * 1.5f)};
    }
    return true;
}

void layout_compute(const Scene *s, const View *v, int w, int h, Layout *L)
{
    const Trace *t = stepper_trace(s->stepper);
    size_t oh, ow, nf;
    memset(L, 0, sizeof *L);
    w = imax(w, 1);
    h = imax(h, 1);
    L->w = w;
    L->h = h;
    stepper_output_size(s->stepper, &oh, &ow, &nf);

    float fit = fminf((float)w / 1280.0f, (float)h / 720.0f);
    fit = fmaxf(fit, 0.25f);
    float k = fit * (v->ui_scale > 0.0f ? v->ui_scale : 1.0f);
    L->scale = k;
    /* the scale enlarges the text that carries the arithmetic fully, the
     * labels and gaps less: in a window the grids already fill, every
     * pixel of height they give up makes their numbers smaller */
    float ks = fit * sqrtf(v->ui_scale > 0.0f ? v->ui_scale : 1.0f);
    L->text_px = imax(7, px(18.0f * ks));
    L->small_px = imax(6, px(14.0f * ks));
    L->big_px = imax(8, px(26.0f * k));
    int margin = imax(2, px(14.0f * fit));
    int gap = imax(2, px(20.0f * fit));
    int label_h = px((float)L->small_px * 1.6f);

    /* bands */
    L->header = (Rect){margin, margin / 2, w - 2 * margin, px((float)L->text_px * 1.7f)};
    int y_bottom = h - margin / 2;
    L->status = (Rect){margin, y_bottom - px((float)L->small_px * 1.7f), w - 2 * margin,
                       px((float)L->small_px * 1.7f)};
    int tl_h = px((float)L->text_px * 2.3f);
    L->timeline = (Rect){margin, L->status.y - tl_h, w - 2 * margin, tl_h};
    int bar_h = imax(4, px(10.0f * k));
    L->timeline_bar = (Rect){margin, L->timeline.y + L->timeline.h - bar_h - px(4.0f * k),
                             w - 2 * margin, bar_h};
    int fo_h = px((float)L->small_px * 1.8f);
    L->formula = (Rect){margin, L->timeline.y - fo_h, w - 2 * margin, fo_h};
    int sum_band = px((float)L->big_px * 1.8f);
    L->sum_line = (Rect){margin, L->formula.y - sum_band, w - 2 * margin, sum_band};
    int main_top = L->header.y + L->header.h + gap / 2;
    int main_h = imax(1, L->sum_line.y - gap / 2 - main_top);
    int main_w = imax(1, w - 2 * margin);

    /* the channel row's grid geometry */
    int rows_in, cols_in, y0, x0;
    padded_extent(s, t, &rows_in, &cols_in, &y0, &x0);
    bool pool = s->kind == LAYER_POOL;
    int nc = imin((int)s->input.c, LAYOUT_MAX_CHANNELS);
    int nm = imin((int)nf, LAYOUT_MAX_MAPS);
    L->n_channels = nc;
    L->n_maps = nm;
    if ((int)s->input.c > nc) {
        /* the channel being worked on, and a few either side of it */
        int cur = pool ? t->filter : t->channel_step >= 0 ? t->channels[t->channel_step].channel : 0;
        L->first_channel = imax(0, imin(cur - nc / 2 + 1, (int)s->input.c - nc));
    }
    if (pool)
        L->first_map = imax(0, imin(L->first_channel, (int)nf - nm));
    int kh = t->kh, kw = t->kw;
    int span_h = t->dilation_h * (kh - 1) + 1, span_w = t->dilation_w * (kw - 1) + 1;

    /* output maps: mc columns of maps, chosen to give the largest cells in
     * an output area of about one channel column's width */
    int mc = 1, mr = nm;
    float best = 0.0f;
    for (int tc = 1; tc <= nm; tc++) {
        int tr = (nm + tc - 1) / tc;
        float area_w = (float)main_w / (float)(nc + 1);
        float cell_w = (area_w - (float)(tc - 1) * (float)gap) / (float)(tc * (int)ow);
        float cell_h = ((float)main_h - (float)tr * (float)(label_h + gap)) / (float)(tr * (int)oh);
        float cell = fminf(cell_w, cell_h);
        if (cell > best * 1.05f) {
            best = cell;
            mc = tc;
            mr = tr;
        }
    }

    /* input cell size from the width (channel grids, plus output maps at
     * the same size for a start) and from the height (the grid, its label,
     * the arithmetic row of kh cells, its label and the channel sum) */
    float max_cell = MAX_CELL * k;
    int sum_h = px((float)L->text_px * 1.5f) + px(4.0f * k);
    int link_w = px(48.0f * k);     /* room for the arrow from the window to the output */
    float denom = (float)(nc * cols_in + mc * (int)ow);
    float cw = ((float)main_w - (float)(nc + mc) * (float)gap - (float)link_w) / fmaxf(denom, 1.0f);
    float ch = ((float)(main_h - 2 * label_h - sum_h - gap)) / (float)(rows_in + kh);
    float c = fminf(fminf(cw, ch), max_cell);
    bool pictures = c < numbers_min_cell(fit);
    if (pool) {
        PoolGeometry pg = {main_top, main_h, main_w, margin, gap, label_h, sum_h, rows_in, cols_in, y0, x0,
                           (int)oh, (int)ow, kh, kw};
        if (layout_pool(L, &pg, k, fit)) {
            centre_main(L, main_top, main_h);
            return;
        }
    }

    int cell_in, cell_k, cell_inset = 0;
    int arith_top, col_w;
    int inset_rows = span_h + 2, inset_cols = span_w + 2;
    int op_w = px((float)L->text_px * 1.6f);
    if (!pictures) {
        cell_in = imax(1, (int)c);
        col_w = cols_in * cell_in;
        /* kernel and product grids side by side with an arrow between */
        float ck = fminf(((float)col_w - (float)op_w) / (float)(2 * kw), (float)cell_in * 2.0f);
        ck = fminf(ck, ((float)(main_h - 2 * label_h - rows_in * cell_in - gap - sum_h)) / (float)kh);
        ck = fminf(ck, max_cell);
        cell_k = imax(1, (int)ck);
        arith_top = main_top + label_h + rows_in * cell_in + gap;
    } else {
        /* pictures: whole pixels per cell, at most 30% of the height; the
         * inset and the arithmetic share the rest */
        float cp = fminf(((float)main_w - (float)(nc + mc) * (float)gap) /
                             fmaxf((float)(nc * cols_in + mc * (int)ow), 1.0f),
                         0.30f * (float)main_h / (float)rows_in);
        cell_in = imax(1, (int)cp);
        col_w = imax(cols_in * cell_in, (main_w - (nc + mc) * gap) / (nc + 1));
        int pic_h = rows_in * cell_in;
        int rest = main_h - label_h - pic_h - gap - label_h - gap - label_h - sum_h;
        float ci = fminf((float)col_w / (float)inset_cols, (float)rest / (float)(inset_rows + kh));
        float ck = fminf(ci, ((float)col_w - (float)op_w) / (float)(2 * kw));
        ci = fminf(ci, max_cell);
        ck = fminf(ck, max_cell);
        cell_inset = imax(1, (int)ci);
        cell_k = imax(1, (int)ck);
        arith_top = main_top + label_h + pic_h + gap + label_h + inset_rows * cell_inset + gap;
        L->has_inset = true;
    }

    /* the output column takes the width left; its cells may be larger */
    int out_x = margin + nc * (col_w + gap) + link_w;
    int area_w = margin + main_w - out_x;
    int bias_h = (!pool && s->has_bias) ? label_h + px((float)L->text_px * 1.8f) + gap : 0;
    float co = fminf(((float)area_w - (float)(mc - 1) * (float)gap) / (float)(mc * (int)ow),
                     ((float)(main_h - bias_h) - (float)mr * (float)(label_h + gap)) / (float)(mr * (int)oh));
    co = fminf(co, max_cell);
    if (!pictures)
        co = fminf(co, fmaxf((float)cell_in * 1.5f, numbers_min_cell(fit) * 1.6f));
    int cell_out = imax(1, (int)co);
    int out_w = mc * (int)ow * cell_out + (mc - 1) * gap;
    int slack = imax(0, area_w - out_w);
    int x = margin + slack / 2;

    /* channel columns */
    for (int ci = 0; ci < nc; ci++) {
        int gx = x + (col_w - cols_in * cell_in) / 2;
        L->channel_label[ci] = (Rect){x, main_top, col_w, label_h};
        grid_place(&L->input[ci], gx, main_top + label_h, rows_in, cols_in, y0, x0, cell_in, fit);
        if (pictures) {
            GridLayout *g = &L->inset[ci];
            int iy0 = 0, ix0 = 0;
            if (t->channels && t->n_channels > 0) {
                iy0 = t->channels[0].cells[0].iy - 1;
                ix0 = t->channels[0].cells[0].ix - 1;
            }
            int top = main_top + label_h + rows_in * cell_in + gap + label_h;
            grid_place(g, x + (col_w - inset_cols * cell_inset) / 2, top, inset_rows, inset_cols, iy0,
                       ix0, cell_inset, fit);
            g->numbers = (float)cell_inset >= 18.0f * fit;
        }
        /* arithmetic row: kernel (or pooling window), arrow, products, sum */
        int pair_w = pool ? kw * cell_k : 2 * kw * cell_k + op_w;
        int ax = x + (col_w - pair_w) / 2;
        int ay = arith_top + label_h;
        grid_place(&L->kernel[ci], ax, ay, kh, kw, 0, 0, cell_k, fit);
        L->kernel[ci].numbers = (float)cell_k >= 18.0f * fit;
        if (!pool) {
            L->op_times[ci] = (Rect){ax + kw * cell_k, ay, op_w, kh * cell_k};
            grid_place(&L->product[ci], ax + kw * cell_k + op_w, ay, kh, kw, 0, 0, cell_k, fit);
            L->product[ci].numbers = L->kernel[ci].numbers;
        }
        L->channel_sum[ci] = (Rect){x, ay + kh * cell_k + px(4.0f * k), col_w,
                                    px((float)L->text_px * 1.5f)};
        x += col_w + gap;
    }
    x += link_w;

    /* output maps */
    int ox = x;
    int oy = main_top;
    int maps_bottom = oy;
    for (int m = 0; m < nm; m++) {
        int r = m / mc, cidx = m % mc;
        int mx = ox + cidx * ((int)ow * cell_out + gap);
        int my = oy + r * (label_h + (int)oh * cell_out + gap);
        L->map_label[m] = (Rect){mx, my, (int)ow * cell_out, label_h};
        grid_place(&L->output[m], mx, my + label_h, (int)oh, (int)ow, 0, 0, cell_out, fit);
        /* one value per cell on its own colour: a little smaller still reads */
        L->output[m].numbers = (float)cell_out >= 0.85f * numbers_min_cell(fit);
        maps_bottom = imax(maps_bottom, my + label_h + (int)oh * cell_out);
    }
    if (!pool && s->has_bias) {
        int bw = px((float)L->text_px * 5.0f), bh = px((float)L->text_px * 1.8f);
        L->bias = (Rect){ox, imax(arith_top, maps_bottom + gap) + label_h, bw, bh};
    }
    centre_main(L, main_top, main_h);
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
    if (s->stack) {
        /* the layer-stack scene lays itself out (stack_layout.h) */
        float fit = fmaxf(fminf((float)l->w / 1280.0f, (float)l->h / 720.0f), 0.25f);
        StackLayout sl;
        stack_layout_compute(s->stack, l->scale / fit, l->w, l->h, &sl);
        Target t = stack_layout_hit(&sl, s->stack, x, y);
        stack_layout_free(&sl);
        return t;
    }
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
