/* render.c: offscreen frames (see render.h). An ARGB8888 surface, SDL's
 * software renderer drawing into it, and a text cache of its own. SDL's
 * video subsystem is never started, so no display is needed. */
#include "render.h"

#include <stdlib.h>

#include <SDL.h>

#include "bench.h"
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

/* ---- bench: frame_ms ---- */

/* The default scene at 1280x720, one frame per step after a warm-up pass
 * over every step (so the text cache holds what playing would draw), the
 * median of BENCH_FRAMES frames. Timed in this thread's CPU time, so other
 * processes on a busy machine do not inflate it. */
Status bench_frame_ms(double *value, Error *err)
{
    enum { BENCH_FRAMES = 51 };
    SceneOptions o;
    Scene *s = NULL;
    Render *r = NULL;
    View v;
    const uint32_t *px;
    double t[BENCH_FRAMES];
    Status st;
    scene_options_init(&o);
    if ((st = scene_create(&o, &s, err)) != CS_OK)
        return st;
    if ((st = render_open(&r, &o, 1280, 720, err)) != CS_OK) {
        scene_destroy(s);
        return st;
    }
    view_init(&v, &o);
    size_t count = stepper_count(s->stepper);
    for (size_t i = 0; i < count && st == CS_OK; i++) {
        stepper_seek(s->stepper, i);
        st = render_frame(r, s, &v, &px, err);
    }
    for (int i = 0; i < BENCH_FRAMES && st == CS_OK; i++) {
        stepper_seek(s->stepper, (size_t)i % count);
        double t0 = bench_cpu_ms();
        st = render_frame(r, s, &v, &px, err);
        t[i] = bench_cpu_ms() - t0;
    }
    render_close(r);
    scene_destroy(s);
    if (st != CS_OK)
        return st;
    *value = bench_median(t, BENCH_FRAMES);
    return CS_OK;
}
