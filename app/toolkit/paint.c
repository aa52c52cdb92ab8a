/* paint.c: rectangles, outlines, dashes and hatching (see paint.h). */
#include "paint.h"

void paint_fill(SDL_Renderer *r, Rect rc, Rgba c)
{
    if (rc.w <= 0 || rc.h <= 0)
        return;
    SDL_Rect q = {rc.x, rc.y, rc.w, rc.h};
    SDL_SetRenderDrawColor(r, c.r, c.g, c.b, c.a);
    SDL_RenderFillRect(r, &q);
}

void paint_outline(SDL_Renderer *r, Rect rc, int th, Rgba c)
{
    if (th < 1)
        th = 1;
    if (rc.w <= 2 * th || rc.h <= 2 * th) {
        paint_fill(r, rc, c);
        return;
    }
    paint_fill(r, (Rect){rc.x, rc.y, rc.w, th}, c);
    paint_fill(r, (Rect){rc.x, rc.y + rc.h - th, rc.w, th}, c);
    paint_fill(r, (Rect){rc.x, rc.y + th, th, rc.h - 2 * th}, c);
    paint_fill(r, (Rect){rc.x + rc.w - th, rc.y + th, th, rc.h - 2 * th}, c);
}

void paint_dashed(SDL_Renderer *r, Rect rc, int th, int dash, Rgba c)
{
    if (dash < 2)
        dash = 2;
    for (int i = 0; i < rc.w; i += 2 * dash) {
        int len = rc.w - i < dash ? rc.w - i : dash;
        paint_fill(r, (Rect){rc.x + i, rc.y, len, th}, c);
        paint_fill(r, (Rect){rc.x + i, rc.y + rc.h - th, len, th}, c);
    }
    for (int i = 0; i < rc.h; i += 2 * dash) {
        int len = rc.h - i < dash ? rc.h - i : dash;
        paint_fill(r, (Rect){rc.x, rc.y + i, th, len}, c);
        paint_fill(r, (Rect){rc.x + rc.w - th, rc.y + i, th, len}, c);
    }
}

void paint_hatch(SDL_Renderer *r, Rect rc, int sp, Rgba c)
{
    SDL_SetRenderDrawColor(r, c.r, c.g, c.b, c.a);
    if (sp < 3)
        sp = 3;
    int w = rc.w - 1, h = rc.h - 1;
    for (int d = sp / 2; d < w + h; d += sp) {
        int ax = d < h ? 0 : d - h, ay = d < h ? d : h;
        int bx = d < w ? d : w, by = d < w ? 0 : d - w;
        SDL_RenderDrawLine(r, rc.x + ax, rc.y + ay, rc.x + bx, rc.y + by);
    }
}
