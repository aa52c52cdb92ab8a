/* raster.c: the raster backend (see raster.h): each PainterOps entry is one
 * or two calls of SDL's renderer or of the text cache. */
#include "raster.h"

static void set_color(SDL_Renderer *r, Rgba c)
{
    SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(r, c.r, c.g, c.b, c.a);
}

static void raster_clear(void *ctx, Rgba c)
{
    Raster *rs = ctx;
    SDL_SetRenderDrawColor(rs->renderer, c.r, c.g, c.b, c.a);
    SDL_RenderClear(rs->renderer);
}

static void raster_fill(void *ctx, Rect rc, Rgba c)
{
    Raster *rs = ctx;
    SDL_Rect q = {rc.x, rc.y, rc.w, rc.h};
    set_color(rs->renderer, c);
    SDL_RenderFillRect(rs->renderer, &q);
}

static void raster_line(void *ctx, int x1, int y1, int x2, int y2, Rgba c)
{
    Raster *rs = ctx;
    set_color(rs->renderer, c);
    /* this SDL draws nothing for a line whose ends coincide */
    if (x1 == x2 && y1 == y2)
        SDL_RenderDrawPoint(rs->renderer, x1, y1);
    else
        SDL_RenderDrawLine(rs->renderer, x1, y1, x2, y2);
}

static void raster_clip(void *ctx, const Rect *rc)
{
    Raster *rs = ctx;
    if (rc) {
        SDL_Rect q = {rc->x, rc->y, rc->w, rc->h};
        SDL_RenderSetClipRect(rs->renderer, &q);
    } else {
        SDL_RenderSetClipRect(rs->renderer, NULL);
    }
}

/* A texture for the picture, scaled into dst, then dropped. */
static void raster_image(void *ctx, Rect dst, const uint32_t *argb, int w, int h)
{
    Raster *rs = ctx;
    SDL_Texture *tex = SDL_CreateTexture(rs->renderer, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STATIC, w, h);
    if (!tex)
        return;
    if (SDL_UpdateTexture(tex, NULL, argb, w * (int)sizeof *argb) == 0) {
        SDL_Rect q = {dst.x, dst.y, dst.w, dst.h};
        SDL_RenderCopy(rs->renderer, tex, NULL, &q);
    }
    SDL_DestroyTexture(tex);
}

static int raster_text(void *ctx, const char *text, int px, Rgba c, int x, int y, int align)
{
    Raster *rs = ctx;
    SDL_Color sc = {c.r, c.g, c.b, c.a};
    return text_draw(rs->text, text, px, sc, x, y, align);
}

static void raster_measure(void *ctx, const char *text, int px, int *w, int *h)
{
    Raster *rs = ctx;
    text_measure(rs->text, text, px, w, h);
}

static int raster_char_width(void *ctx, int px)
{
    Raster *rs = ctx;
    return text_char_width(rs->text, px);
}

static const PainterOps raster_ops = {
    .clear = raster_clear,
    .fill = raster_fill,
    .line = raster_line,
    .clip = raster_clip,
    .image = raster_image,
    .text = raster_text,
    .measure = raster_measure,
    .char_width = raster_char_width,
};

Painter raster_painter(Raster *rs)
{
    return (Painter){&raster_ops, rs};
}
