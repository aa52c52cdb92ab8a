/* stack_actions.c: keys and the mouse in the layer-stack scene (see
 * stack_actions.h). Reading order: helpers, the kind's hooks (status after
 * a step, clicks, files, wheel and drag), lessons, the view (table, zoom,
 * pan). */
#include "stack_actions.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinds.h"
#include "stack.h"

#define ZOOM_STEP 1.25f

/* ---- helpers ---- */

static StackScene *stack_of(App *app)
{
    return stack_model(app->scene);
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

void stack_say_step(App *app, StepMoment moment)
{
    if (moment == STEP_PLAYING)
        view_set_status(&app->view, false, "growing one layer at a time at %g layers/s (+ and - change the speed)",
                        app->view.speed);
    else
        say_step(app);
}

/* ---- the mouse ---- */

void stack_click(App *app, Target t)
{
    StackScene *s = stack_of(app);
    View *v = &app->view;
    if (t.kind == TARGET_TIMELINE) {
        actions_seek(app, (long long)t.step);
        say_step(app);
        return;
    }
    StackCell c = {t.f, t.c, t.y, t.x};
    if (t.kind != TARGET_STACK_CELL || !stack_cell_shown(s, c)) {
        v->selected.kind = TARGET_NONE;
        return;
    }
    StackCell was = stack_cell_of(&v->selected);
    if (was.pane == c.pane && was.stage == c.stage && was.y == c.y && was.x == c.x) {
        v->selected.kind = TARGET_NONE;
        view_set_status(v, false, "selection cleared: the newest layer's centre cell is lit");
        return;
    }
    v->selected = t;
    const StackPane *P = &s->panes[t.f];
    if (t.c == 0) {
        view_set_status(v, false, "input (%d, %d): the cells it feeds are lit on every layer", t.y, t.x);
        return;
    }
    const RfLayer *r = &P->rf[P->stages[t.c].last];
    view_set_status(v, false, "layer %d cell (%d, %d) sees %.10gx%.10g input pixels; the cells it feeds are lit "
                    "after it (click again to clear)", t.c, t.y, t.x, r->rf[0], r->rf[1]);
}

bool stack_selection_valid(const Scene *s, const Target *t)
{
    return t->kind == TARGET_STACK_CELL && stack_cell_shown(stack_model(s), (StackCell){t->f, t->c, t->y, t->x});
}

/* ---- lessons ---- */

/* Shows next (NULL: the single-layer scene) instead of the scene shown. */
static void put_stack(App *app, StackScene *next)
{
    if (next)
        scene_show(app->scene, &stack_kind, next);
    else
        scene_show(app->scene, &layer_kind, NULL);
    view_reset_scene(&app->view);
}

/* Leaving home for lesson made: the scene shown (a network, a stack, the
 * single layer; a drill-down is left first, back to its network) is
 * parked in made, so coming home shows it again as it was (a network
 * stays a network, not its geometry). */
static void park_home(App *app, StackScene *made)
{
    Scene *sc = app->scene;
    if (sc->kept_kind)
        scene_pop(sc);
    made->home_model = scene_replace(sc, &stack_kind, made, &made->home_kind);
    view_reset_scene(&app->view);
}

void action_lesson(App *app, int arg)
{
    Scene *sc = app->scene;
    StackScene *cur = stack_model(sc);
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
    if (next < 0 && cur && cur->home_kind) {
        /* home is parked: show it again */
        const SceneKind *kind = cur->home_kind;
        void *model = cur->home_model;
        cur->home_kind = NULL;
        cur->home_model = NULL;
        scene_show(sc, kind, model);
        view_reset_scene(&app->view);
        actions_after_change(app);
        view_set_status(&app->view, false, "your %s again (L: lessons again)", kind->name);
        return;
    }
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
    if (at >= 0 && made->lesson) {
        /* from lesson to lesson: the parked home goes along */
        made->home_kind = cur->home_kind;
        made->home_model = cur->home_model;
        cur->home_kind = NULL;
        cur->home_model = NULL;
    }
    if (at >= 0)
        put_stack(app, made);
    else
        park_home(app, made);
    if (made->lesson)
        view_set_status(&app->view, false, "lesson %s: Space plays, Right adds one layer, L the next lesson",
                        made->lesson->name);
    else
        view_set_status(&app->view, false, "your stack again: %s", made->source);
}

/* ---- the view ---- */

void action_stack_table(App *app, int arg)
{
    (void)arg;
    View *v = &app->view;
    v->show_table = !v->show_table;
    view_set_status(v, false, "table of sizes, receptive fields, jumps, padding, params and MACs %s",
                    v->show_table ? "shown" : "hidden");
}

static void zoom_about(View *v, float factor, double cx, double cy)
{
    float z = v->zoom * factor;
    z = z < VIEW_ZOOM_MIN ? VIEW_ZOOM_MIN : z > VIEW_ZOOM_MAX ? VIEW_ZOOM_MAX : z;
    factor = z / v->zoom;
    /* keep the point (cx, cy), given relative to the canvas centre, still */
    v->pan_x = (float)(cx - (cx - v->pan_x) * factor);
    v->pan_y = (float)(cy - (cy - v->pan_y) * factor);
    v->zoom = z;
}

void action_stack_zoom(App *app, int arg)
{
    View *v = &app->view;
    if (arg == 0) {
        v->zoom = 1.0f;
        v->pan_x = v->pan_y = 0.0f;
    } else {
        zoom_about(v, arg > 0 ? ZOOM_STEP : 1.0f / ZOOM_STEP, 0.0, 0.0);
    }
    view_set_status(v, false, "zoom x%.2f (0 fits the whole stack)", v->zoom);
}

void action_stack_pan(App *app, int arg)
{
    View *v = &app->view;
    const float step = 128.0f;
    if (arg == 1)
        v->pan_x -= step;
    else if (arg == 2)
        v->pan_x += step;
    else if (arg == 3)
        v->pan_y -= step;
    else if (arg == 4)
        v->pan_y += step;
}

void stack_wheel(App *app, int clicks, int x, int y, int w, int h)
{
    /* about the point under the mouse, relative to the canvas centre (the
       window centre is close enough for the feel of it) */
    zoom_about(&app->view, powf(ZOOM_STEP, (float)clicks), x - w * 0.5, y - h * 0.5);
}

void stack_drag(App *app, int dx, int dy)
{
    app->view.pan_x += (float)dx;
    app->view.pan_y += (float)dy;
}

/* ---- files ---- */

void stack_open(App *app, const char *path)
{
    Scene *sc = app->scene;
    StackScene *cur = stack_model(sc);
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
        Status st = scene_set_input_tensor(sc, &in, name, image, &err);
        tensor_free(&in);
        if (st != CS_OK) {
            stack_destroy(made);
            view_set_status(&app->view, true, "%s", err.message);
            return;
        }
        snprintf(sc->note, sizeof sc->note, "%s", note);
    }
    if (cur && cur->lesson && made->lesson) {
        /* the same lesson on a new input: its parked home goes along */
        made->home_kind = cur->home_kind;
        made->home_model = cur->home_model;
        cur->home_kind = NULL;
        cur->home_model = NULL;
    }
    put_stack(app, made);
    say_step(app);
}
