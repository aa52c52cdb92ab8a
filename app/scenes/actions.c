/* actions.c: what keys and clicks do to the App in every scene kind (see
 * actions.h). Reading order: helpers (moving through the steps, the view
 * after a change), stepping and playback, presentation, the mouse, typing a
 * weight, files. Where kinds differ, the shown kind's table (kind.h)
 * decides; the actions only one kind has are in its folder. */
#include "actions.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinds.h"

/* Playback speeds in steps per second, slowest first. */
static const float speed_ladder[] = {0.5f, 1.0f,   2.0f,   4.0f,   8.0f,   15.0f,
                                     30.0f, 60.0f, 120.0f, 240.0f, 480.0f, 960.0f};
#define SPEED_COUNT ((int)(sizeof speed_ladder / sizeof speed_ladder[0]))

#define SCALE_STEP 1.25f

/* ---- helpers ---- */

static const SceneKind *kind_of(const App *app)
{
    return app->scene->scene_kind;
}

/* Drops the selection and the hover when the steps moved past their cells
 * (a layer-stack stage no longer shown). */
static void drop_stale_targets(App *app)
{
    View *v = &app->view;
    const SceneKind *kind = kind_of(app);
    if (v->selected.kind != TARGET_NONE && !kind->selection_valid(app->scene, &v->selected))
        v->selected.kind = TARGET_NONE;
    if (v->hover.kind != TARGET_NONE && !kind->selection_valid(app->scene, &v->hover))
        v->hover.kind = TARGET_NONE;
}

void actions_seek(App *app, long long index)
{
    long long last = (long long)scene_step_count(app->scene) - 1;
    app->view.playing = false;
    scene_seek(app->scene, (size_t)(index < 0 ? 0 : index > last ? last : index));
    drop_stale_targets(app);
}

void actions_after_change(App *app)
{
    View *v = &app->view;
    v->edit.kind = TARGET_NONE;
    v->edit_text[0] = '\0';
    v->hover.kind = TARGET_NONE;
    if (v->selected.kind != TARGET_NONE && !kind_of(app)->selection_valid(app->scene, &v->selected))
        v->selected.kind = TARGET_NONE;
}

/* ---- stepping and playback ---- */

void action_step(App *app, int arg)
{
    size_t index = scene_step_index(app->scene), count = scene_step_count(app->scene);
    StepMoment m = arg > 0 && index + 1 >= count ? STEP_AT_LAST : arg < 0 && index == 0 ? STEP_AT_FIRST : STEP_MOVED;
    actions_seek(app, (long long)index + arg);
    kind_of(app)->say_step(app, m);
}

void action_step_row(App *app, int arg)
{
    long long row = (long long)kind_of(app)->row_steps(app->scene);
    actions_seek(app, (long long)scene_step_index(app->scene) + (arg < 0 ? -row : row));
    kind_of(app)->say_step(app, STEP_MOVED);
}

void action_step_end(App *app, int arg)
{
    actions_seek(app, arg < 0 ? 0 : (long long)scene_step_count(app->scene) - 1);
    kind_of(app)->say_step(app, STEP_MOVED);
}

void action_play_toggle(App *app, int arg)
{
    (void)arg;
    View *v = &app->view;
    if (v->playing) {
        v->playing = false;
        view_set_status(v, false, "paused");
        return;
    }
    if (scene_step_index(app->scene) + 1 >= scene_step_count(app->scene)) {
        scene_seek(app->scene, 0);
        drop_stale_targets(app);
    }
    v->playing = true;
    kind_of(app)->say_step(app, STEP_PLAYING);
}

void action_speed(App *app, int arg)
{
    View *v = &app->view;
    int k;
    if (arg > 0) {
        for (k = 0; k < SPEED_COUNT - 1 && speed_ladder[k] <= v->speed; k++)
            ;
    } else {
        for (k = SPEED_COUNT - 1; k > 0 && speed_ladder[k] >= v->speed; k--)
            ;
    }
    v->speed = speed_ladder[k];
    view_set_status(v, false, "speed %g steps/s", v->speed);
}

void action_play_advance(App *app, int steps)
{
    View *v = &app->view;
    if (!v->playing || steps <= 0)
        return;
    size_t last = scene_step_count(app->scene) - 1;
    size_t index = scene_step_index(app->scene);
    if ((size_t)steps >= last - index) {
        scene_seek(app->scene, last);
        v->playing = false;
        kind_of(app)->say_step(app, STEP_FINISHED);
        return;
    }
    scene_seek(app->scene, index + (size_t)steps);
    drop_stale_targets(app);
}

/* ---- presentation ---- */

void action_theme(App *app, int arg)
{
    (void)arg;
    View *v = &app->view;
    v->theme = v->theme == THEME_DARK ? THEME_LIGHT : THEME_DARK;
    view_set_status(v, false, "%s theme", theme_name(v->theme));
}

void action_scale(App *app, int arg)
{
    View *v = &app->view;
    float s = arg == 0 ? 1.0f : arg > 0 ? v->ui_scale * SCALE_STEP : v->ui_scale / SCALE_STEP;
    if (s < VIEW_SCALE_MIN)
        s = VIEW_SCALE_MIN;
    if (s > VIEW_SCALE_MAX)
        s = VIEW_SCALE_MAX;
    v->ui_scale = s;
    view_set_status(v, false, "scale %.0f%% (Ctrl+0 resets)", s * 100.0f);
}

void action_fullscreen(App *app, int arg)
{
    (void)arg;
    app->fullscreen = !app->fullscreen;
}

void action_help(App *app, int arg)
{
    (void)arg;
    app->view.show_help = !app->view.show_help;
}

void action_escape(App *app, int arg)
{
    (void)arg;
    View *v = &app->view;
    if (v->edit.kind != TARGET_NONE) {
        v->edit.kind = TARGET_NONE;
        v->edit_text[0] = '\0';
        view_set_status(v, false, "edit cancelled");
    } else if (v->show_help) {
        v->show_help = false;
    } else if (v->selected.kind != TARGET_NONE) {
        v->selected.kind = TARGET_NONE;
    } else {
        app->quit = true;
    }
}

void action_quit(App *app, int arg)
{
    (void)arg;
    app->quit = true;
}

void action_save_png(App *app, int arg)
{
    (void)arg;
    app->save_png = true;
}

void action_export_gif(App *app, int arg)
{
    (void)arg;
    app->export_gif = true;
}

/* ---- the mouse ---- */

bool actions_same_target(const Target *a, const Target *b)
{
    if (a->kind != b->kind)
        return false;
    if (a->kind == TARGET_TIMELINE)
        return a->step == b->step;
    return a->f == b->f && a->c == b->c && a->y == b->y && a->x == b->x;
}

void action_click(App *app, Target t)
{
    kind_of(app)->click(app, t);
}

void action_double_click(App *app, Target t)
{
    const SceneKind *k = kind_of(app);
    if (!k->activate) {
        action_click(app, t);
        return;
    }
    if (!actions_same_target(&app->view.selected, &t))
        action_click(app, t);
    if (t.kind != TARGET_NONE && actions_same_target(&app->view.selected, &t))
        k->activate(app);
}

bool action_hover(App *app, Target t)
{
    if (actions_same_target(&app->view.hover, &t))
        return false;
    app->view.hover = t;
    return true;
}

void action_wheel(App *app, int clicks, int x, int y, int w, int h)
{
    if (clicks != 0)
        kind_of(app)->wheel(app, clicks, x, y, w, h);
}

bool action_can_drag(const App *app)
{
    return kind_of(app)->drag != NULL;
}

void action_drag(App *app, int dx, int dy)
{
    if (kind_of(app)->drag)
        kind_of(app)->drag(app, dx, dy);
}

/* ---- typing a weight ---- */

void action_edit_type(App *app, const char *text)
{
    View *v = &app->view;
    if (v->edit.kind == TARGET_NONE)
        return;
    size_t have = strlen(v->edit_text), add = strlen(text);
    if (have + add >= sizeof v->edit_text)
        return;
    memcpy(v->edit_text + have, text, add + 1);
}

void action_edit_erase(App *app, int arg)
{
    (void)arg;
    char *t = app->view.edit_text;
    size_t n = strlen(t);
    /* Drop UTF-8 continuation bytes with their lead byte. */
    while (n > 0 && ((unsigned char)t[n - 1] & 0xC0) == 0x80)
        n--;
    if (n > 0)
        n--;
    t[n] = '\0';
}

void action_edit_commit(App *app, int arg)
{
    (void)arg;
    View *v = &app->view;
    if (v->edit.kind == TARGET_NONE)
        return;
    const char *text = v->edit_text;
    char *end;
    float value = strtof(text, &end);
    while (*end == ' ')
        end++;
    if (end == text || *end != '\0' || !isfinite(value)) {
        view_set_status(v, true, "'%s' is not a number: type one like 0.25 or -3, or Escape", text);
        return;
    }
    Target t = v->edit;
    Error err;
    Status st = t.kind == TARGET_WEIGHT ? scene_set_weight(app->scene, t.f, t.c, t.y, t.x, value, &err)
                                        : scene_set_bias(app->scene, t.f, value, &err);
    if (st != CS_OK) {
        view_set_status(v, true, "%s", err.message);
        return;
    }
    actions_after_change(app);
    if (t.kind == TARGET_WEIGHT)
        view_set_status(v, false, "weight [%d, %d, %d, %d] = %g", t.f, t.c, t.y, t.x, value);
    else
        view_set_status(v, false, "bias of filter %d = %g", t.f, value);
}

/* ---- files ---- */

void action_open(App *app, const char *path)
{
    size_t n;
    const SceneKind *const *kinds = scene_kinds(&n);
    for (size_t k = 0; k < n; k++)
        if (kinds[k]->claims_file && kinds[k]->claims_file(app->scene, path)) {
            kinds[k]->open_file(app, path);
            return;
        }
    kind_of(app)->open_input(app, path);
}
