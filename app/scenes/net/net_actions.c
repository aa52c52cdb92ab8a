/* net_actions.c: keys and the mouse in the network scene (see
 * net_actions.h). Reading order: helpers, the kind's hooks (status after a
 * step, clicks, a new input), the tiles' order, the drill-down and the way
 * back. */
#include "net_actions.h"

#include <stdio.h>
#include <string.h>

#include "format.h"
#include "kinds.h"
#include "layer_layout.h"
#include "net_job.h"
#include "stack.h"

/* ---- helpers ---- */

static NetScene *net_of(App *app)
{
    return net_model(app->scene);
}

/* "card 3 of 9: 3: Conv2d(6, 16, 5) -> 16x8x8, values -2.1 to 3.4". */
static void say_card(App *app)
{
    const NetScene *s = net_of(app);
    size_t j = s->shown;
    const NetCard *g = &s->cards[j];
    char title[200], lo[32], hi[32];
    if (j == 0) {
        view_set_status(&app->view, false, "the input alone, %zux%zux%zu (Right adds a layer)", g->c, g->h, g->w);
        return;
    }
    net_scene_card_title(s, j, title, sizeof title);
    char shape[48];
    net_shape_text(&s->net, g->layer, shape, sizeof shape);
    view_set_status(&app->view, false, "layer %zu of %zu: %s -> %s, values %s to %s", j, s->n_cards - 1, title, shape,
                    format_number(g->lo, lo, sizeof lo), format_number(g->hi, hi, sizeof hi));
}

/* ---- the kind's hooks ---- */

void net_say_step(App *app, StepMoment moment)
{
    if (moment == STEP_PLAYING)
        view_set_status(&app->view, false, "adding one layer at a time at %g layers/s (+ and - change the speed)",
                        app->view.speed);
    else
        say_card(app);
}

void net_click(App *app, Target t)
{
    NetScene *s = net_of(app);
    View *v = &app->view;
    if (t.kind == TARGET_TIMELINE) {
        actions_seek(app, (long long)t.step);
        say_card(app);
        return;
    }
    if (!net_scene_cell_shown(s, &t)) {
        v->selected.kind = TARGET_NONE;
        return;
    }
    if (actions_same_target(&v->selected, &t)) {
        v->selected.kind = TARGET_NONE;
        view_set_status(v, false, "selection cleared");
        return;
    }
    v->selected = t;
    char text[256];
    net_scene_describe(s, &t, text, sizeof text);
    const LayerSpec *l = t.f > 0 ? &s->net.layers[s->cards[t.f].layer].spec : NULL;
    bool opens = l && !s->cards[t.f].flat &&
                 (l->type == SPEC_CONV2D || l->type == SPEC_MAXPOOL2D || l->type == SPEC_AVGPOOL2D);
    bool map = !s->cards[t.f].flat;
    view_set_status(v, false, "%s%s%s", text, map ? "; outlined: the cells it reads and feeds" : "",
                    opens ? "   (Enter opens it)" : "");
}

void net_activate(App *app)
{
    action_net_drill(app, 0);
}

bool net_selection_valid(const Scene *s, const Target *t)
{
    return net_scene_cell_shown(net_model(s), t);
}

/* ---- new inputs and new layers: now, or on a worker thread ---- */

/* Shows made, the network r asked for, in place of the one shown (with r's
 * picture as the scene's input when it is a new one); on failure the
 * scene stays as it was and the status line says why. */
static void install(App *app, const NetRequest *r, NetScene *made)
{
    Scene *sc = app->scene;
    const NetScene *cur = net_model(sc);
    Error err;
    if (r->new_input) {
        made->shown = cur && cur->shown < made->n_cards ? cur->shown : made->n_cards - 1;
        if (scene_set_input_tensor(sc, &r->picture, r->name, r->image, &err) != CS_OK) {
            net_scene_destroy(made);
            view_set_status(&app->view, true, "%s", err.message);
            return;
        }
        snprintf(sc->note, sizeof sc->note, "%s", r->note);
    }
    scene_show(sc, &net_kind, made);
    actions_after_change(app);
    const char *note = r->note;
    if (!r->new_input) {
        view_reset_scene(&app->view);
        view_set_status(&app->view, false, "%s on %s: %zu layers, weights: %s", made->source, r->name,
                        made->n_cards - 1, made->weights_name);
    } else if (made->classifier && made->n_top > 0) {
        char cls[96];
        view_set_status(&app->view, false, "%s: %s, %.1f%%%s%s", r->name,
                        net_scene_class_name(made, made->top[0].index, cls, sizeof cls),
                        made->top[0].probability * 100.0f, note[0] ? "; " : "", note);
    } else {
        view_set_status(&app->view, false, "%s: the network ran on it%s%s", r->name, note[0] ? "; " : "", note);
    }
}

/* Builds what r asks for: here when it is quick (estimated within the
 * model's async_ms), else on a worker thread the window's loop polls
 * (net_tick). Either way an older pass still running is given up: the
 * newest request wins. r is used up. */
static void start(App *app, NetRequest *r)
{
    NetScene *cur = net_of(app);
    Error err;
    net_job_abandon(cur->pending);
    cur->pending = NULL;
    double ms = net_request_estimate_ms(r);
    if (ms <= cur->async_ms) {
        NetScene *made;
        if (net_request_run(r, &made, &err) != CS_OK)
            view_set_status(&app->view, true, "%s: %s", r->name, err.message);
        else
            install(app, r, made);
        net_request_free(r);
        return;
    }
    char name[128];
    snprintf(name, sizeof name, "%s", r->name);
    if (net_job_start(r, &cur->pending, &err) != CS_OK) {
        view_set_status(&app->view, true, "%s: %s", name, err.message);
        return;
    }
    cur->pending_tenths = 0;
    view_set_status(&app->view, false, "running the network on %s (about %.1f s); the last one stays meanwhile",
                    name, ms / 1000.0);
}

void net_open_input(App *app, const char *path)
{
    Scene *sc = app->scene;
    NetScene *cur = net_model(sc);
    Tensor in = {0};
    bool image = false;
    char name[128], note[160] = "";
    Error err;
    NetRequest r;
    if (!cur)
        return;
    if (scene_read_input(sc, path, &in, &image, name, sizeof name, note, sizeof note, &err) != CS_OK) {
        view_set_status(&app->view, true, "%s", err.message);
        return;
    }
    if (net_request_input(cur, &in, image, name, note, &r, &err) != CS_OK) {
        view_set_status(&app->view, true, "%s", err.message);
        return;
    }
    start(app, &r);
}

bool net_claims_file(const Scene *s, const char *path)
{
    return net_model(s) && stack_is_spec_file(path);
}

void net_open_file(App *app, const char *path)
{
    Scene *sc = app->scene;
    NetScene *cur = net_model(sc);
    char arg[4200];
    Error err;
    NetRequest r;
    if (!cur)
        return;
    snprintf(arg, sizeof arg, "@%s", path);
    if (net_request_layers(cur, arg, &sc->input, sc->image_input, sc->input_name, &r, &err) != CS_OK) {
        view_set_status(&app->view, true, "%s", err.message);
        return;
    }
    start(app, &r);
}

bool net_tick(App *app)
{
    NetScene *cur = net_of(app);
    if (!cur || !cur->pending)
        return false;
    NetJob *j = cur->pending;
    if (!net_job_done(j)) {
        int tenths = (int)(net_job_seconds(j) * 10.0);
        if (tenths == cur->pending_tenths)
            return false;
        cur->pending_tenths = tenths;
        view_set_status(&app->view, false, "running the network on %s... %.1f s (the last one stays meanwhile)",
                        net_job_request(j)->name, tenths / 10.0);
        return true;
    }
    cur->pending = NULL;
    NetScene *made;
    Error err;
    if (net_job_take(j, &made, &err) != CS_OK)
        view_set_status(&app->view, true, "%s: %s", net_job_request(j)->name, err.message);
    else
        install(app, net_job_request(j), made);
    net_job_free(j);
    return true;
}

bool net_busy(const Scene *s)
{
    const NetScene *m = net_model(s);
    return m && m->pending;
}

/* ---- the tiles' order ---- */

void action_net_order(App *app, int arg)
{
    (void)arg;
    NetScene *s = net_of(app);
    if (!s) {
        view_set_status(&app->view, true, "b orders a network's channels (convstep --layers SPEC IMAGE)");
        return;
    }
    s->sorted = !s->sorted;
    view_set_status(&app->view, false, "%s", s->sorted ? "channels by mean activation, largest first (b: in order)"
                                                       : "channels in order (b: by mean activation)");
}

/* ---- the drill-down ---- */

void action_net_drill(App *app, int arg)
{
    (void)arg;
    Scene *sc = app->scene;
    NetScene *s = net_of(app);
    View *v = &app->view;
    if (!s) {
        view_set_status(v, true, "Enter opens a cell of a network's layer (convstep --layers SPEC IMAGE)");
        return;
    }
    const Target t = v->selected;
    if (t.kind != TARGET_NET_CELL) {
        view_set_status(v, true, "click a cell of a Conv2d or pooling layer first; Enter then opens it");
        return;
    }
    NetDrill d;
    Error err;
    if (net_scene_drill(s, (size_t)t.f, t.c, t.y, t.x, LAYOUT_MAX_CHANNELS, SCENE_MAX_KERNEL, &d, &err) != CS_OK) {
        view_set_status(v, true, "%s", err.message);
        return;
    }
    Activation none = {ACT_NONE, 0.0f};
    Status st = scene_set_layer(sc, d.kind, &d.input, d.input_name, d.image, &d.weights,
                                d.has_bias ? &d.bias : NULL, &d.conv, &d.pool, none, d.kernel_name, d.out_y,
                                d.out_x, &err);
    net_drill_free(&d);
    if (st != CS_OK) {
        view_set_status(v, true, "%s", err.message);
        return;
    }
    s->place = (NetPlace){v->zoom, v->pan_x, v->pan_y, t};
    char title[200], value[32];
    net_scene_card_title(s, (size_t)t.f, title, sizeof title);
    format_number(d.expected, value, sizeof value);
    scene_push(sc, &layer_kind, NULL);
    view_reset_scene(v);
    actions_after_change(app);
    view_set_status(v, false, "%s, %s %d at (%d, %d): the network computed %s here (Backspace returns)", title,
                    d.kind == LAYER_POOL ? "channel" : "filter", t.c, t.y, t.x, value);
}

void action_net_back(App *app, int arg)
{
    (void)arg;
    Scene *sc = app->scene;
    View *v = &app->view;
    if (!net_kept_model(sc)) {
        view_set_status(v, true, "Backspace returns to a network after Enter opened one of its cells");
        return;
    }
    scene_pop(sc);
    const NetScene *s = net_model(sc);
    view_reset_scene(v);
    v->zoom = s->place.zoom;
    v->pan_x = s->place.pan_x;
    v->pan_y = s->place.pan_y;
    v->selected = s->place.selected;
    actions_after_change(app);
    char text[256];
    net_scene_describe(s, &v->selected, text, sizeof text);
    view_set_status(v, false, "back to the network%s%s", text[0] ? ": " : "", text);
}
