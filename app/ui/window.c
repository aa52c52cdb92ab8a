/* window.c: the window and its loop (see window.h).
 *
 * Start at window_run. The loop follows STYLE.md: drain the events into
 * actions (keys through keys.h's table, clicks through layout_hit), advance
 * playback by a clock in steps per second, draw from the state only when
 * something changed, and sleep in SDL_WaitEvent while nothing plays.
 *
 * Drawing: SDL's software renderer on the window's own surface, the same
 * renderer render.c uses offscreen, so the window shows the exporter's
 * pixels. It is created with SDL_CreateRenderer(SOFTWARE) rather than
 * SDL_CreateSoftwareRenderer(SDL_GetWindowSurface()): that is the same
 * renderer on the same surface, but SDL re-fetches the surface itself when
 * the window is resized, so the renderer and the text cache's textures
 * survive a resize instead of being rebuilt (and every string rasterised
 * again) at each step of a drag. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#include "export.h"
#include "frame.h"
#include "keys.h"
#include "text.h"
#include "window.h"

#define WINDOW_W 1280           /* first size, shrunk to fit the screen */
#define WINDOW_H 720
#define FRAME_MS 16             /* at most ~60 redraws a second while playing */
#define CATCH_UP_S 0.25         /* playback never jumps more than this much time at once */
#define GIF_MAX_STEPS 500       /* ~25 s of encoding; longer GIFs are for `convstep export` */
#define BUSY_POLL_MS 50         /* how often the loop looks at work in the background */

typedef struct Window {
    const SceneOptions *options;    /* the font, for the GIF export */
    SDL_Window *win;
    SDL_Renderer *ren;          /* software renderer on the window surface */
    TextCache *tc;
    void *layout;               /* the layout the last frame was drawn with (hit tests use it) */
    const SceneKind *layout_kind;   /* the kind that made it */
    bool dragging;              /* the left button went down on the timeline */
    bool panning;               /* the empty canvas is being dragged (kinds that pan) */
    int pan_x, pan_y;           /* where the last pan motion ended (pixels) */
    bool fullscreen;            /* the full-screen state applied to win */
    bool dirty;                 /* the state changed since the last frame */
    double clock;               /* playback: fraction of a step due */
    Uint64 last_tick;           /* playback: when the clock last advanced */
    Uint64 last_frame;          /* when the last frame was presented */
} Window;

/* ---- opening and closing ---- */

static Status window_open(Window *w, const SceneOptions *o, Error *err)
{
    char font[1024];
    Status st = text_find_font(o ? o->font : NULL, font, sizeof font, err);
    if (st != CS_OK)
        return st;
#ifdef __linux__
    /* Without a display SDL would probe Wayland (which prints to stderr)
     * and then settle for an invisible offscreen window. */
    if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY") && !getenv("SDL_VIDEODRIVER"))
        return error_set(err, CS_ERR_IO, "cannot open the window: no display (DISPLAY is not set); "
                                         "'convstep export' works without one");
#endif
    if (SDL_Init(SDL_INIT_VIDEO) != 0)
        return error_set(err, CS_ERR_IO, "cannot open the window: %s", SDL_GetError());
    const char *driver = SDL_GetCurrentVideoDriver();
    if (!getenv("SDL_VIDEODRIVER") && driver &&
        (strcmp(driver, "offscreen") == 0 || strcmp(driver, "dummy") == 0))
        return error_set(err, CS_ERR_IO, "cannot open the window: no display could be reached; "
                                         "'convstep export' works without one");

    int width = WINDOW_W, height = WINDOW_H;
    SDL_Rect usable;
    if (SDL_GetDisplayUsableBounds(0, &usable) == 0) {
        if (width > usable.w)
            width = usable.w;
        if (height > usable.h)
            height = usable.h;
    }
    w->win = SDL_CreateWindow("convstep", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, width,
                              height, SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    if (!w->win)
        return error_set(err, CS_ERR_IO, "cannot open the window: %s", SDL_GetError());
    SDL_SetWindowMinimumSize(w->win, 160, 120);
    w->ren = SDL_CreateRenderer(w->win, -1, SDL_RENDERER_SOFTWARE);
    if (!w->ren)
        return error_set(err, CS_ERR_IO, "cannot draw into the window: %s", SDL_GetError());
    return text_cache_create(w->ren, font, &w->tc, err);
}

/* Forgets the last frame's layout. */
static void drop_layout(Window *w)
{
    if (w->layout_kind)
        w->layout_kind->layout_free(w->layout);
    w->layout = NULL;
    w->layout_kind = NULL;
}

static void window_close(Window *w)
{
    drop_layout(w);
    text_cache_destroy(w->tc);
    if (w->ren)
        SDL_DestroyRenderer(w->ren);
    if (w->win)
        SDL_DestroyWindow(w->win);
    SDL_Quit();
}

/* ---- drawing ---- */

/* Lays out and draws the frame, keeping its layout for the hit tests until
 * the next frame. */
static void window_draw(Window *w, const App *app)
{
    int width, height;
    const SceneKind *kind = app->scene->scene_kind;
    SDL_GetRendererOutputSize(w->ren, &width, &height);
    drop_layout(w);
    w->layout = kind->layout(app->scene, &app->view, width, height);
    if (w->layout) {
        w->layout_kind = kind;
        frame_draw(w->ren, w->tc, app->scene, &app->view, w->layout, width, height);
    }
    SDL_RenderPresent(w->ren);
    w->dirty = false;
    w->last_frame = SDL_GetTicks64();
}

/* Event coordinates are in points; the surface is in pixels (they differ
 * on high-DPI screens). */
static void window_to_pixels(Window *w, int *x, int *y)
{
    int pw, ph, ww, wh;
    SDL_GetRendererOutputSize(w->ren, &pw, &ph);
    SDL_GetWindowSize(w->win, &ww, &wh);
    if (ww > 0 && wh > 0) {
        *x = (int)((long long)*x * pw / ww);
        *y = (int)((long long)*y * ph / wh);
    }
}

/* Pulls (x, y) onto the middle line of the timeline bar, so a drag keeps
 * seeking while the mouse strays above or beside it; false if there is no
 * bar. */
static bool onto_bar(Rect b, int *x, int *y)
{
    if (b.w <= 0 || b.h <= 0)
        return false;
    *x = *x < b.x ? b.x : *x >= b.x + b.w ? b.x + b.w - 1 : *x;
    *y = b.y + b.h / 2;
    return true;
}

/* What is under window point (x, y) in the frame on screen (the layout it
 * was drawn with; nothing before the first frame or while a new kind waits
 * for its first); with on_timeline, the point is pulled onto the timeline
 * bar first. */
static Target window_hit(Window *w, const App *app, int x, int y, bool on_timeline)
{
    Target t = {.kind = TARGET_NONE};
    const SceneKind *kind = app->scene->scene_kind;
    if (!w->layout || w->layout_kind != kind)
        return t;
    window_to_pixels(w, &x, &y);
    if (!on_timeline || onto_bar(kind->timeline_bar(w->layout), &x, &y))
        t = kind->hit(w->layout, app->scene, &app->view, x, y);
    return t;
}

/* ---- saving what the window shows ---- */

/* c: the pixels on screen, as ARGB8888 (what export_png_frame takes), into
 * a fresh convstep-INPUT-N.png in the current folder. */
static void window_save_png(Window *w, App *app)
{
    char path[256];
    Error err;
    app->save_png = false;
    w->dirty = true;
    SDL_Surface *screen = SDL_GetWindowSurface(w->win);
    SDL_Surface *argb = screen ? SDL_ConvertSurfaceFormat(screen, SDL_PIXELFORMAT_ARGB8888, 0) : NULL;
    if (!argb) {
        view_set_status(&app->view, true, "cannot read the window's pixels: %s", SDL_GetError());
        return;
    }
    Status st = export_pick_name(app->scene, "png", path, sizeof path, &err);
    if (st == CS_OK)
        st = export_png_frame(argb->pixels, argb->w, argb->h, path, &err);
    if (st == CS_OK)
        view_set_status(&app->view, false, "saved %s (%dx%d)", path, argb->w, argb->h);
    else
        view_set_status(&app->view, true, "%s", err.message);
    SDL_FreeSurface(argb);
}

/* x: every step as a GIF at the window's size. It takes a moment, so the
 * status line says so on screen first. */
static void window_export_gif(Window *w, App *app)
{
    char path[256];
    Error err;
    app->export_gif = false;
    w->dirty = true;
    size_t steps = scene_step_count(app->scene);
    if (steps > GIF_MAX_STEPS) {
        view_set_status(&app->view, true,
                        "%zu steps are too many for a GIF from the window (at most %d): use convstep export --gif",
                        steps, GIF_MAX_STEPS);
        return;
    }
    if (export_pick_name(app->scene, "gif", path, sizeof path, &err) != CS_OK) {
        view_set_status(&app->view, true, "%s", err.message);
        return;
    }
    int width, height;
    SDL_GetRendererOutputSize(w->ren, &width, &height);
    view_set_status(&app->view, false, "writing %s: %zu frames...", path, steps);
    window_draw(w, app);
    if (export_gif_scene(app->scene, &app->view, w->options, width, height, path, &err) == CS_OK)
        view_set_status(&app->view, false, "wrote %s: %zu frames at %dx%d", path, steps, width, height);
    else
        view_set_status(&app->view, true, "%s", err.message);
}

/* ---- events -> actions ---- */

static void on_key(Window *w, App *app, const SDL_KeyboardEvent *k)
{
    SDL_Keycode key = k->keysym.sym;
    if (app->view.edit.kind != TARGET_NONE) {
        /* Typing a weight: the text arrives as SDL_TEXTINPUT; keys only
         * finish or correct it. */
        if (key == SDLK_RETURN || key == SDLK_KP_ENTER)
            action_edit_commit(app, 0);
        else if (key == SDLK_ESCAPE)
            action_escape(app, 0);
        else if (key == SDLK_BACKSPACE)
            action_edit_erase(app, 0);
        else
            return;
        w->dirty = true;
        return;
    }
    const KeyBinding *b = keys_find(key, k->keysym.mod);
    if (!b)
        return;
    keys_run(app, b);
    w->dirty = true;
}

static void on_mouse_down(Window *w, App *app, const SDL_MouseButtonEvent *m)
{
    if (m->button != SDL_BUTTON_LEFT)
        return;
    Target t = window_hit(w, app, m->x, m->y, false);
    w->dragging = t.kind == TARGET_TIMELINE;
    /* Empty canvas under the button drags the view, where the kind pans. */
    w->panning = t.kind == TARGET_NONE && action_can_drag(app);
    w->pan_x = m->x;
    w->pan_y = m->y;
    window_to_pixels(w, &w->pan_x, &w->pan_y);
    /* SDL counts the presses of a double click: the second opens */
    if (m->clicks >= 2)
        action_double_click(app, t);
    else
        action_click(app, t);
    w->dirty = true;
}

/* The wheel, at the mouse's pixel (the kind decides what it does). */
static void on_mouse_wheel(Window *w, App *app, const SDL_MouseWheelEvent *e)
{
    int clicks = e->direction == SDL_MOUSEWHEEL_FLIPPED ? -e->y : e->y;
    if (clicks == 0)
        return;
    w->dirty = true;
    int x, y, pw, ph;
    SDL_GetMouseState(&x, &y);
    window_to_pixels(w, &x, &y);
    SDL_GetRendererOutputSize(w->ren, &pw, &ph);
    action_wheel(app, clicks, x, y, pw, ph);
}

static void on_mouse_motion(Window *w, App *app, const SDL_MouseMotionEvent *m)
{
    if (w->panning) {
        int x = m->x, y = m->y;
        window_to_pixels(w, &x, &y);
        action_drag(app, x - w->pan_x, y - w->pan_y);
        w->pan_x = x;
        w->pan_y = y;
        w->dirty = true;
        return;
    }
    if (w->dragging) {
        Target t = window_hit(w, app, m->x, m->y, true);
        if (t.kind == TARGET_TIMELINE && t.step != scene_step_index(app->scene)) {
            action_click(app, t);
            w->dirty = true;
        }
        return;
    }
    if (action_hover(app, window_hit(w, app, m->x, m->y, false)))
        w->dirty = true;
}

static void on_event(Window *w, App *app, const SDL_Event *e)
{
    switch (e->type) {
    case SDL_QUIT:
        app->quit = true;
        break;
    case SDL_KEYDOWN:
        on_key(w, app, &e->key);
        break;
    case SDL_TEXTINPUT:
        if (app->view.edit.kind != TARGET_NONE) {
            action_edit_type(app, e->text.text);
            w->dirty = true;
        }
        break;
    case SDL_MOUSEBUTTONDOWN:
        on_mouse_down(w, app, &e->button);
        break;
    case SDL_MOUSEBUTTONUP:
        if (e->button.button == SDL_BUTTON_LEFT)
            w->dragging = w->panning = false;
        break;
    case SDL_MOUSEWHEEL:
        on_mouse_wheel(w, app, &e->wheel);
        break;
    case SDL_MOUSEMOTION:
        on_mouse_motion(w, app, &e->motion);
        break;
    case SDL_WINDOWEVENT:
        if (e->window.event == SDL_WINDOWEVENT_LEAVE && action_hover(app, (Target){.kind = TARGET_NONE}))
            w->dirty = true;
        if (e->window.event == SDL_WINDOWEVENT_SIZE_CHANGED || e->window.event == SDL_WINDOWEVENT_EXPOSED)
            w->dirty = true;
        break;
    case SDL_DROPFILE:
        action_open(app, e->drop.file);
        SDL_free(e->drop.file);
        w->dirty = true;
        break;
    default:
        break;
    }
}

/* ---- playback clock ---- */

/* Advances playback by the time since the last call: speed steps per
 * second, never more than CATCH_UP_S worth at once (after a stall the clock
 * drops the backlog instead of racing through it). */
static void window_tick(Window *w, App *app)
{
    Uint64 now = SDL_GetPerformanceCounter();
    if (!app->view.playing) {
        w->clock = 0.0;
        w->last_tick = now;
        return;
    }
    double dt = (double)(now - w->last_tick) / (double)SDL_GetPerformanceFrequency();
    w->last_tick = now;
    if (dt > CATCH_UP_S)
        dt = CATCH_UP_S;
    w->clock += dt * app->view.speed;
    double steps = floor(w->clock);
    if (steps >= 1.0) {
        w->clock -= steps;
        action_play_advance(app, (int)steps);
        w->dirty = true;
    }
}

/* How long the loop may sleep while playing: until the next step is due,
 * but at least until the next frame. */
static Uint32 window_play_wait(const Window *w, const App *app)
{
    double to_step = (1.0 - w->clock) / app->view.speed * 1000.0;
    Uint64 since_frame = SDL_GetTicks64() - w->last_frame;
    double to_frame = since_frame >= FRAME_MS ? 0.0 : (double)(FRAME_MS - since_frame);
    double ms = to_step > to_frame ? to_step : to_frame;
    return ms < 1.0 ? 1 : ms > 1000.0 ? 1000 : (Uint32)ceil(ms);
}

/* ---- the loop ---- */

Status window_run(App *app, const SceneOptions *o, Error *err)
{
    Window w;
    memset(&w, 0, sizeof w);
    w.options = o;
    Status st = window_open(&w, o, err);
    if (st != CS_OK) {
        window_close(&w);
        return st;
    }
    w.dirty = true;
    w.last_tick = SDL_GetPerformanceCounter();
    while (!app->quit) {
        SDL_Event e;
        /* Sleep until something happens: an event, or the next step while
         * playing. A pending redraw does not sleep. */
        if (!w.dirty) {
            const SceneKind *kind = app->scene->scene_kind;
            bool busy = kind->busy && kind->busy(app->scene);
            Uint32 wait = app->view.playing ? window_play_wait(&w, app) : BUSY_POLL_MS;
            if (busy && wait > BUSY_POLL_MS)
                wait = BUSY_POLL_MS;
            bool got = app->view.playing || busy ? SDL_WaitEventTimeout(&e, (int)wait) : SDL_WaitEvent(&e);
            if (got)
                on_event(&w, app, &e);
        }
        while (!app->quit && SDL_PollEvent(&e))
            on_event(&w, app, &e);
        if (app->quit)
            break;
        if (app->fullscreen != w.fullscreen) {
            w.fullscreen = app->fullscreen;
            SDL_SetWindowFullscreen(w.win, w.fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
            w.dirty = true;
        }
        if (app->save_png)
            window_save_png(&w, app);
        if (app->export_gif)
            window_export_gif(&w, app);
        window_tick(&w, app);
        /* work in the background (a network pass on a worker thread) */
        if (app->scene->scene_kind->tick && app->scene->scene_kind->tick(app))
            w.dirty = true;
        if (w.dirty)
            window_draw(&w, app);
    }
    window_close(&w);
    return CS_OK;
}
