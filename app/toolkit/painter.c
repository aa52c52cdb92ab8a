/* painter.c: the painter_* calls (see painter.h), each one dispatch through
 * the backend's PainterOps table. */
#include "painter.h"

void painter_clear(Painter *p, Rgba c)
{
    p->ops->clear(p->ctx, c);
}

void painter_fill(Painter *p, Rect rc, Rgba c)
{
    if (rc.w <= 0 || rc.h <= 0)
        return;
    p->ops->fill(p->ctx, rc, c);
}

void painter_line(Painter *p, int x1, int y1, int x2, int y2, Rgba c)
{
    p->ops->line(p->ctx, x1, y1, x2, y2, c);
}

void painter_clip(Painter *p, const Rect *rc)
{
    p->ops->clip(p->ctx, rc);
}

void painter_image(Painter *p, Rect dst, const uint32_t *argb, int w, int h)
{
    p->ops->image(p->ctx, dst, argb, w, h);
}

int painter_text(Painter *p, const char *text, int px, Rgba c, int x, int y, int align)
{
    return p->ops->text(p->ctx, text, px, c, x, y, align);
}

void painter_measure(Painter *p, const char *text, int px, int *w, int *h)
{
    p->ops->measure(p->ctx, text, px, w, h);
}

int painter_char_width(Painter *p, int px)
{
    return p->ops->char_width(p->ctx, px);
}
