/* canvas_frame.c: the canvas scenes' shared frame (see canvas_frame.h). */
#include "canvas_frame.h"

#include <math.h>
#include <string.h>

#include "paint.h"

void canvas_frame_compute(int w, int h, float ui_scale, CanvasFrame *f)
{
    memset(f, 0, sizeof *f);
    f->w = imax(w, 1);
    f->h = imax(h, 1);
    f->fit = fmax(fmin(f->w / 1280.0, f->h / 720.0), 0.25);
    f->k = f->fit * (ui_scale > 0.0f ? ui_scale : 1.0f);
    f->text_px = imax(7, px(18.0 * f->k));
    f->small_px = imax(6, px(14.0 * f->k));
    f->big_px = imax(8, px(24.0 * f->k));
    f->margin = imax(2, px(14.0 * f->fit));
    f->gap = imax(2, px(12.0 * f->k));
    f->inner = f->w - 2 * f->margin;
    f->header = (Rect){f->margin, f->margin / 2, f->inner, px(f->text_px * 1.7)};
    int status_h = px(f->small_px * 1.7);
    f->status = (Rect){f->margin, f->h - f->margin / 2 - status_h, f->inner, status_h};
    int timeline_h = px(f->text_px * 2.3);
    f->timeline = (Rect){f->margin, f->status.y - timeline_h, f->inner, timeline_h};
    int bar_h = imax(4, px(10.0 * f->k));
    f->timeline_bar =
        (Rect){f->margin, f->timeline.y + f->timeline.h - bar_h - px(4.0 * f->k), f->inner, bar_h};
}

void canvas_frame_strip(const CanvasFrame *f, int lines, int top, Rect *strip, Rect *canvas)
{
    int strip_h = px(f->text_px * 1.45) * lines + f->gap / 2;
    *strip = (Rect){f->margin, f->timeline.y - strip_h, f->inner, strip_h};
    *canvas = (Rect){f->margin, top + f->gap / 2, f->inner, imax(1, strip->y - f->gap / 2 - top - f->gap / 2)};
}

void canvas_frame_draw_timeline(Painter *p, const CanvasFrame *f, const Theme *th, const char *left,
                                const char *right, size_t index, size_t count)
{
    Rect t = f->timeline, b = f->timeline_bar;
    int ty = t.y + (b.y - t.y) / 2;
    int rw = painter_text(p, right, f->small_px, th->text_dim, t.x + t.w, ty, TEXT_RIGHT | TEXT_MIDDLE);
    paint_text_shrunk(p, left, f->text_px, th->text, t.x, ty, t.w - rw - f->text_px, TEXT_LEFT | TEXT_MIDDLE);
    painter_fill(p, b, th->panel);
    int done = count > 1 ? (int)((double)b.w * (double)index / (double)(count - 1)) : b.w;
    painter_fill(p, (Rect){b.x, b.y, done, b.h}, paint_with_alpha(th->accent, 200));
    int mark = imax(2, b.h / 2);
    painter_fill(p, (Rect){b.x + done - mark / 2, b.y - 2, mark, b.h + 4}, th->window);
}
