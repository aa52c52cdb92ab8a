/* render.c: offscreen frames (see render.h). An ARGB8888 surface, SDL's
 * software renderer drawing into it, and a text cache of its own. SDL's
 * video subsystem is never started, so no display is needed. */
#include "render.h"

#include <stdlib.h>

#include <SDL.h>

#include "frame.h"
#include "frame_memory.h"

struct Render {
    SDL_Surface *surface;       /* over frame */
    void *frame;                /* the pixels (frame_memory_alloc) */
    SDL_Renderer *renderer;
    TextCache *text;
    int w, h;
};

Status render_open(Render **out, const SceneOptions *o, int w, int h, Error *err)
{
    char font[4096];
    Status st;
    *out = NULL;
    if (w < 1 || h < 1 || w > 8192 || h > 8192)
        return error_set(err, CS_ERR_RANGE, "frame size %dx%d: each side must be 1 to 8192", w, h);
    if ((st = text_find_font(o ? o->font : NULL, font, sizeof font, err)) != CS_OK)
        return st;
    Render *r = calloc(1, sizeof *r);
    if (!r)
        return error_set(err, CS_ERR_NOMEM, "out of memory");
    r->w = w;
    r->h = h;
    r->frame = frame_memory_alloc((size_t)w * (size_t)h * 4);
    if (r->frame)
        r->surface = SDL_CreateRGBSurfaceWithFormatFrom(r->frame, w, h, 32, w * 4, SDL_PIXELFORMAT_ARGB8888);
    if (r->surface)
        r->renderer = SDL_CreateSoftwareRenderer(r->surface);
    if (!r->surface || !r->renderer) {
        st = error_set(err, CS_ERR_NOMEM, "cannot make a %dx%d frame: %s", w, h, SDL_GetError());
        render_close(r);
        return st;
    }
    if ((st = text_cache_create(r->renderer, font, &r->text, err)) != CS_OK) {
        render_close(r);
        return st;
    }
    *out = r;
    return CS_OK;
}

Status render_frame(Render *r, const Scene *s, const View *v, const uint32_t **pixels, Error *err)
{
    draw_frame(r->renderer, r->text, s, v, r->w, r->h);
    SDL_RenderFlush(r->renderer);
    if (r->surface->pitch != r->w * 4)
        return error_set(err, CS_ERR_FORMAT, "unexpected frame row stride %d", r->surface->pitch);
    *pixels = r->surface->pixels;
    return CS_OK;
}

TextCache *render_text_cache(Render *r)
{
    return r->text;
}

void render_close(Render *r)
{
    if (!r)
        return;
    text_cache_destroy(r->text);
    if (r->renderer)
        SDL_DestroyRenderer(r->renderer);
    if (r->surface)
        SDL_FreeSurface(r->surface);
    free(r->frame);
    free(r);
}
