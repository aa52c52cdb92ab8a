/* stack_actions.c: keys and the mouse in the layer-stack scene (see
 * stack_actions.h). Reading order: helpers, growth and playback, clicks,
 * lessons, the view (table, zoom, pan), files, the key filter. */
#include "stack_actions.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"

#define ZOOM_STEP 1.25f

/* ---- helpers ---- */

static StackScene *stack_of(App *app)
{
    return app->scene->stack;
}

/* "layer 5 of 99: Conv2d(1, 1, 3) -> 191x191x1, rf 11" for the status line. */
static void say_step(App *app)
{
    const StackScene *s = stack_of(app);
    const StackPane *P = &s->panes[0];
    size_t j = stack_current(s, 0);
    const StackStage *g = &P->stages[j];
    if (j == 0) {
        view_set_status(&app->view, false, "the input alone, %zux%zu (Right adds a layer)", g->h, g->w);
        return;
    }
    const RfLayer *r = &P->rf[g->last];
    view_set_status(&app->view, false, "layer %zu of %zu: %s -> %zux%zu, receptive field %.10gx%.10g, jump %.10g",
                    j, P->n_stages - 1, P->spec.layers[g->layer].text, g->h, g->w, r->rf[0], r->rf[1],
                    r->jump[0]);
}

static void seek_to(App *app, long long index)
{
    long long last = (long long)stack_step_count(stack_of(app)) - 1;
    stack_seek(stack_of(app), (size_t)(index < 0 ? 0 : index > last ? last : index));
}

/* ---- growth and playback ---- */

void stack_action_step(App *app, int arg)
{
    app->view.playing = false;
    seek_to(app, (long long)stack_step_index(stack_of(app)) + arg);
    say_step(app);
}

void stack_action_step_end(App *app, int arg)
{
    app->view.playing = false;
    seek_to(app, arg < 0 ? 0 : (long long)stack_step_count(stack_of(app)) - 1);
    say_step(app);
}

void stack_action_play_toggle(App *app, int arg)
{
    (void)arg;
    View *v = &app->view;
    StackScene *s = stack_of(app);
    if (v->playing) {
        v->playing = false;
        view_set_status(v, false, "paused");
        return;
    }
    if (stack_step_index(s) + 1 >= stack_step_count(s))
        stack_seek(s, 0);
    v->playing = true;
    view_set_status(v, false, "growing one layer at a time at %g layers/s (+ and - change the speed)", v->speed);
}

void stack_action_play_advance(App *app, int steps)
{
    View *v = &app->view;
    StackScene *s = stack_of(app);
    if (!v->playing || steps <= 0)
        return;
    size_t last = stack_step_count(s) - 1, index = stack_step_index(s);
    if ((size_t)steps >= last - index) {
        stack_seek(s, last);
        v->playing = false;
        say_step(app);
        return;
    }
    stack_seek(s, index + (size_t)steps);
}

/* ---- the mouse ---- */

void stack_action_click(App *app, Target t)
{
    StackScene *s = stack_of(app);
    View *v = &app->view;
    if (t.kind == TARGET_TIMELINE) {
        v->playing = false;
        seek_to(app, (long long)t.step);
        say_step(app);
        return;
    }
    if (t.kind != TARGET_STACK_CELL || !stack_select(s, t.f, t.c, t.y, t.x)) {
        s->selected.pane = -1;
        return;
    }
    if (s->selected.pane < 0) {
        view_set_status(v, false, "selection cleared: the newest layer's centre cell is lit");
        return;
    }
    const StackPane *P = &s->panes[t.f];
    if (t.c == 0) {
        view_set_status(v, false, "input (%d, %d): the cells it feeds are lit on every layer", t.y, t.x);
        return;
    }
    const RfLayer *r = &P->rf[P->stages[t.c].last];
    view_set_status(v, false, "layer %d cell (%d, %d) sees %.10gx%.10g input pixels; the cells it feeds are lit "
                    "after it (click again to clear)", t.c, t.y, t.x, r->rf[0], r->rf[1]);
}

bool stack_action_hover(App *app, Target t)
{
    StackScene *s = stack_of(app);
    StackCell c = {-1, 0, 0, 0};
    if (t.kind == TARGET_STACK_CELL)
        c = (StackCell){t.f, t.c, t.y, t.x};
    StackCell *h = &s->hover;
    if (h->pane == c.pane && (c.pane < 0 || (h->stage == c.stage && h->y == c.y && h->x == c.x)))
        return false;
    *h = c;
    return true;
}

bool stack_action_escape(App *app)
{
    StackScene *s = stack_of(app);
    if (app->view.show_help || s->selected.pane < 0)
        return false;
    s->selected.pane = -1;
    return true;
}

/* ---- lessons ---- */

/* Replaces the scene's stack by next (NULL: the single-layer scene). */
static void put_stack(App *app, StackScene *next)
{
    stack_destroy(app->scene->stack);
    app->scene->stack = next;
    app->view.playing = false;
    app->view.selected.kind = TARGET_NONE;
    app->view.hover.kind = TARGET_NONE;
}

void action_lesson(App *app, int arg)
{
    Scene *sc = app->scene;
    StackScene *cur = sc->stack;
    size_t n;
    const Lesson *all = lesson_table(&n);
    /* positions: -1 = home (the scene started with), 0..n-1 the lessons */
    long at = cur && cur->lesson ? (long)(cur->lesson - all) : -1;
    long next = at + (arg < 0 ? -1 : 1);
    if (next >= (long)n)
        next = -1;
    if (next < -1)
        next = (long)n - 1;
    int home_h = cur ? cur->home_h : 0, home_w = cur ? cur->home_w : 0;
    StackSource src = {NULL, NULL, 0, 0, 0, 0, 0};
    if (next >= 0) {
        src.lesson = all[next].name;
    } else if (sc->layers) {
        src.layers = sc->layers;
        src.size_h = home_h;
        src.size_w = home_w;
    } else {
        put_stack(app, NULL);
        view_set_status(&app->view, false, "the single-layer scene (L: lessons again)");
        return;
    }
    StackScene *made;
    Error err;
    if (stack_create(&src, &made, &err) != CS_OK) {
        view_set_status(&app->view, true, "%s", err.message);
        return;
    }
    made->home_h = home_h;
    made->home_w = home_w;
    put_stack(app, made);
    if (made->lesson)
        view_set_status(&app->view, false, "lesson %s: Space plays, Right adds one layer, L the next lesson",
                        made->lesson->name);
    else
        view_set_status(&app->view, false, "your stack again: %s", made->source);
}

/* ---- the view ---- */

/* Refuses a stack-only key in the single-layer scene. */
static bool need_stack(App *app, const char *what)
{
    if (stack_of(app))
        return true;
    view_set_status(&app->view, true, "%s applies to the layer-stack scene (L opens a lesson)", what);
    return false;
}

void action_stack_table(App *app, int arg)
{
    (void)arg;
    if (!need_stack(app, "the table"))
        return;
    StackScene *s = stack_of(app);
    s->show_table = !s->show_table;
    view_set_status(&app->view, false, "table of sizes, receptive fields, jumps, padding, params and MACs %s",
                    s->show_table ? "shown" : "hidden");
}

static void zoom_about(StackScene *s, float factor, double cx, double cy)
{
    float z = s->zoom * factor;
    z = z < STACK_ZOOM_MIN ? STACK_ZOOM_MIN : z > STACK_ZOOM_MAX ? STACK_ZOOM_MAX : z;
    factor = z / s->zoom;
    /* keep the point (cx, cy), given relative to the canvas centre, still */
    s->pan_x = (float)(cx - (cx - s->pan_x) * factor);
    s->pan_y = (float)(cy - (cy - s->pan_y) * factor);
    s->zoom = z;
}

void action_stack_zoom(App *app, int arg)
{
    if (!need_stack(app, "zoom"))
        return;
    StackScene *s = stack_of(app);
    if (arg == 0) {
        s->zoom = 1.0f;
        s->pan_x = s->pan_y = 0.0f;
    } else {
        zoom_about(s, arg > 0 ? ZOOM_STEP : 1.0f / ZOOM_STEP, 0.0, 0.0);
    }
    view_set_status(&app->view, false, "zoom x%.2f (0 fits the whole stack)", s->zoom);
}

void action_stack_pan(App *app, int arg)
{
    if (!need_stack(app, "panning"))
        return;
    StackScene *s = stack_of(app);
    const float step = 128.0f;
    if (arg == 1)
        s->pan_x -= step;
    else if (arg == 2)
        s->pan_x += step;
    else if (arg == 3)
        s->pan_y -= step;
    else if (arg == 4)
        s->pan_y += step;
}

void stack_action_wheel(App *app, int clicks, int x, int y, int w, int h)
{
    StackScene *s = stack_of(app);
    if (!s || clicks == 0)
        return;
    /* about the point under the mouse, relative to the canvas centre (the
       window centre is close enough for the feel of it) */
    zoom_about(s, powf(ZOOM_STEP, (float)clicks), x - w * 0.5, y - h * 0.5);
}

void stack_action_drag(App *app, int dx, int dy)
{
    StackScene *s = stack_of(app);
    if (!s)
        return;
    s->pan_x += (float)dx;
    s->pan_y += (float)dy;
}

/* ---- files ---- */

void stack_action_open(App *app, const char *path)
{
    Scene *sc = app->scene;
    StackScene *cur = sc->stack;
    StackSource src = {NULL, NULL, cur ? cur->home_h : 0, cur ? cur->home_w : 0, 0, 0, 0};
    char arg[4200];
    Tensor in = {0};
    bool image = false;
    char name[128], note[160] = "";
    Error err;
    if (stack_is_spec_file(path)) {
        snprintf(arg, sizeof arg, "@%s", path);
        src.layers = arg;
    } else {
        /* a new input for the current stack: read it, build the stack on
           it, and only when both worked put them in (a failure keeps the
           input and the stack as they were) */
        if (!cur)
            return;
        if (scene_read_input(sc, path, &in, &image, name, sizeof name, note, sizeof note, &err) != CS_OK) {
            view_set_status(&app->view, true, "%s", err.message);
            return;
        }
        src.layers = cur->layers;
        src.lesson = cur->lesson ? cur->lesson->name : NULL;
        src.input_h = in.h;
        src.input_w = in.w;
        src.input_c = in.c;
    }
    StackScene *made;
    if (stack_create(&src, &made, &err) != CS_OK) {
        view_set_status(&app->view, true, "%s: %s", path, err.message);
        tensor_free(&in);
        return;
    }
    if (in.data) {
        /* the stack is set aside while the scene takes the input */
        sc->stack = NULL;
        Status st = scene_set_input_tensor(sc, &in, name, image, &err);
        sc->stack = cur;
        tensor_free(&in);
        if (st != CS_OK) {
            stack_destroy(made);
            view_set_status(&app->view, true, "%s", err.message);
            return;
        }
        snprintf(sc->note, sizeof sc->note, "%s", note);
    }
    put_stack(app, made);
    say_step(app);
}

/* ---- which keys apply ---- */

bool stack_key_applies(ActionFn fn)
{
    static const ActionFn apply[] = {
        action_step,      action_step_row,  action_step_end,    action_play_toggle, action_speed,
        action_theme,     action_scale,     action_fullscreen,  action_help,        action_escape,
        action_quit,      action_lesson,    action_stack_table, action_stack_zoom,  action_stack_pan,
    };
    for (size_t i = 0; i < sizeof apply / sizeof apply[0]; i++)
        if (apply[i] == fn)
            return true;
    return false;
}
