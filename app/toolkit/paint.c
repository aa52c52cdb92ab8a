/* paint.c: the drawing toolkit (see paint.h). Shapes are built from the
 * painter's fills and one-pixel lines; text sizes from its character
 * width. */
#include "paint.h"

#include <math.h>

/* The text sizes backends draw (ui/text.c clamps to the same range). */
#define PAINT_TEXT_PX_MIN 6
#define PAINT_TEXT_PX_MAX 400

Rgba paint_with_alpha(Rgba c, uint8_t a)
{
    c.a = a;
    return c;
}

/* ------------------------------------------------------------- shapes */

void paint_outline(Painter *p, Rect rc, int th, Rgba c)
{
    if (th < 1)
        th = 1;
    if (rc.w <= 2 * th || rc.h <= 2 * th) {
        painter_fill(p, rc, c);
        return;
    }
    painter_fill(p, (Rect){rc.x, rc.y, rc.w, th}, c);
    painter_fill(p, (Rect){rc.x, rc.y + rc.h - th, rc.w, th}, c);
    painter_fill(p, (Rect){rc.x, rc.y + th, th, rc.h - 2 * th}, c);
    painter_fill(p, (Rect){rc.x + rc.w - th, rc.y + th, th, rc.h - 2 * th}, c);
}

void paint_ring(Painter *p, Rect rc, int th, Rgba c, Rgba halo)
{
    paint_outline(p, (Rect){rc.x - 1, rc.y - 1, rc.w + 2, rc.h + 2}, th + 2, halo);
    paint_outline(p, rc, th, c);
}

void paint_dashed(Painter *p, Rect rc, int th, int dash, Rgba c)
{
    if (dash < 2)
        dash = 2;
    for (int i = 0; i < rc.w; i += 2 * dash) {
        int len = rc.w - i < dash ? rc.w - i : dash;
        painter_fill(p, (Rect){rc.x + i, rc.y, len, th}, c);
        painter_fill(p, (Rect){rc.x + i, rc.y + rc.h - th, len, th}, c);
    }
    for (int i = 0; i < rc.h; i += 2 * dash) {
        int len = rc.h - i < dash ? rc.h - i : dash;
        painter_fill(p, (Rect){rc.x, rc.y + i, th, len}, c);
        painter_fill(p, (Rect){rc.x + rc.w - th, rc.y + i, th, len}, c);
    }
}

void paint_hatch(Painter *p, Rect rc, int sp, Rgba c)
{
    if (sp < 3)
        sp = 3;
    int w = rc.w - 1, h = rc.h - 1;
    for (int d = sp / 2; d < w + h; d += sp) {
        int ax = d < h ? 0 : d - h, ay = d < h ? d : h;
        int bx = d < w ? d : w, by = d < w ? 0 : d - w;
        if (ax != bx || ay != by)   /* in a rectangle one pixel wide or high */
            painter_line(p, rc.x + ax, rc.y + ay, rc.x + bx, rc.y + by, c);
    }
}

void paint_line(Painter *p, int x1, int y1, int x2, int y2, int th, Rgba c)
{
    double dx = x2 - x1, dy = y2 - y1, len = sqrt(dx * dx + dy * dy);
    if (len < 1e-9) {
        painter_line(p, x1, y1, x1, y1, c);
        return;
    }
    /* th one-pixel lines side by side, offset along the normal */
    double nx = -dy / len, ny = dx / len;
    for (int i = 0; i < th; i++) {
        double o = i - (th - 1) / 2.0;
        painter_line(p, x1 + (int)lround(nx * o), y1 + (int)lround(ny * o), x2 + (int)lround(nx * o),
                     y2 + (int)lround(ny * o), c);
    }
}

void paint_arrow(Painter *p, int x1, int y1, int x2, int y2, int th, int head, Rgba c)
{
    double dx = x2 - x1, dy = y2 - y1, len = sqrt(dx * dx + dy * dy);
    paint_line(p, x1, y1, x2, y2, th, c);
    if (len < 1e-9)
        return;
    /* two strokes 30 degrees either side of the shaft */
    double ux = dx / len, uy = dy / len;
    for (int side = -1; side <= 1; side += 2) {
        double ax = x2 - head * (ux * 0.87 - side * uy * 0.5);
        double ay = y2 - head * (uy * 0.87 + side * ux * 0.5);
        paint_line(p, x2, y2, (int)lround(ax), (int)lround(ay), th, c);
    }
}

/* ------------------------------------------------------------- text */

static int clamp_px(int px)
{
    return px < PAINT_TEXT_PX_MIN ? PAINT_TEXT_PX_MIN : px > PAINT_TEXT_PX_MAX ? PAINT_TEXT_PX_MAX : px;
}

int paint_text_fit(Painter *p, const char *text, int px, int max_w)
{
    int n = 0;
    for (const unsigned char *c = (const unsigned char *)text; *c; c++)
        n += (*c & 0xC0) != 0x80;   /* UTF-8 characters: the font is monospace */
    px = clamp_px(px);
    while (px > PAINT_TEXT_PX_MIN && n * painter_char_width(p, px) > max_w)
        px--;
    return px;
}

void paint_text_in(Painter *p, const char *text, int px, Rgba c, Rect rc)
{
    int size = paint_text_fit(p, text, px, rc.w - 2);
    painter_text(p, text, size, c, rc.x + rc.w / 2, rc.y + rc.h / 2, TEXT_CENTER | TEXT_MIDDLE);
}

int paint_text_shrunk(Painter *p, const char *text, int px, Rgba c, int x, int y, int max_w, int align)
{
    return painter_text(p, text, paint_text_fit(p, text, px, max_w), c, x, y, align);
}

void paint_label(Painter *p, const char *text, int px, Rgba c, int x, int y, int max_w)
{
    int fit = paint_text_fit(p, text, px, max_w);
    if (fit * 4 >= px * 3)
        painter_text(p, text, fit, c, x, y, TEXT_LEFT | TEXT_TOP);
}
