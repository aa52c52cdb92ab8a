/* test_actions.c: the window's actions and key table, without a display.
 *
 * The default scene is assets/default.png (7x7 RGB) with a 3x3 filter,
 * stride 1, no padding: a 5x5 output, 25 positions. Worked numbers below
 * come from out = floor((n + 2p - d*(k-1) - 1) / s) + 1. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actions.h"
#include "keys.h"
#include "layer_actions.h"
#include "layer_layout.h"
#include "npy.h"
#include "rng.h"
#include "stack.h"
#include "stack_actions.h"
#include "stack_kind.h"

/* ---- fixtures ---- */

static App app_new(void)
{
    SceneOptions o;
    scene_options_init(&o);
    App a;
    memset(&a, 0, sizeof a);
    Error err = {0};
    cr_assert_eq(scene_create(&o, &a.scene, &err), CS_OK, "%s", err.message);
    view_init(&a.view, &o);
    return a;
}

static void app_free(App *a)
{
    scene_destroy(a->scene);
    a->scene = NULL;
}

static size_t out_h(const App *a)
{
    size_t h, w, f;
    stepper_output_size(a->scene->stepper, &h, &w, &f);
    return h;
}

static size_t out_w(const App *a)
{
    size_t h, w, f;
    stepper_output_size(a->scene->stepper, &h, &w, &f);
    return w;
}

static size_t index_of(const App *a)
{
    return stepper_index(a->scene->stepper);
}

static size_t count_of(const App *a)
{
    return stepper_count(a->scene->stepper);
}

static Target target(TargetKind kind, int f, int c, int y, int x)
{
    Target t = {.kind = kind, .f = f, .c = c, .y = y, .x = x, .step = 0};
    return t;
}

/* A single-channel h x w input counting 0, 1, 2, ... */
static void set_grey_input(App *a, size_t h, size_t w)
{
    Tensor t = {0};
    Error err = {0};
    cr_assert_eq(tensor_init(&t, 1, 1, h, w, 3, &err), CS_OK);
    for (size_t i = 0; i < h * w; i++)
        t.data[i] = (float)i;
    cr_assert_eq(scene_set_input_tensor(a->scene, &t, "grey", false, &err), CS_OK, "%s", err.message);
    tensor_free(&t);
}

/* Everything a valid App satisfies, whatever happened before. */
static void check_valid(const App *a)
{
    const Scene *s = a->scene;
    const View *v = &a->view;
    cr_assert_not_null(s);
    cr_assert_not_null(s->stepper);
    cr_assert_geq(count_of(a), 1);
    cr_assert_lt(index_of(a), count_of(a));
    cr_assert_eq(stepper_trace(s->stepper)->index, index_of(a));
    cr_assert_geq(out_h(a), 1);
    cr_assert_geq(out_w(a), 1);
    if (s->kind == LAYER_CONV)
        cr_assert_eq((size_t)s->kernel_h, s->weights.h);
    cr_assert(v->speed >= 0.5f && v->speed <= 960.0f, "speed %g", v->speed);
    cr_assert(v->ui_scale >= VIEW_SCALE_MIN && v->ui_scale <= VIEW_SCALE_MAX);
    cr_assert(v->theme == THEME_DARK || v->theme == THEME_LIGHT);
    cr_assert_lt(strlen(v->edit_text), sizeof v->edit_text);
    cr_assert_lt(strlen(v->status), sizeof v->status);
    Pad4 pad = stepper_padding(s->stepper);
    if (v->selected.kind != TARGET_NONE) {
        const Target *t = &v->selected;
        cr_assert_eq(t->kind, TARGET_INPUT);
        cr_assert(t->c >= 0 && (size_t)t->c < s->input.c);
        cr_assert(t->y >= -pad.top && t->y < (int)s->input.h + pad.bottom);
        cr_assert(t->x >= -pad.left && t->x < (int)s->input.w + pad.right);
    }
    if (v->edit.kind != TARGET_NONE) {
        const Target *t = &v->edit;
        cr_assert(t->kind == TARGET_WEIGHT || t->kind == TARGET_BIAS);
        cr_assert_eq(s->kind, LAYER_CONV);
        cr_assert(t->f >= 0 && (size_t)t->f < s->weights.n);
        if (t->kind == TARGET_WEIGHT)
            cr_assert(t->c >= 0 && (size_t)t->c < s->weights.c && t->y >= 0 &&
                      (size_t)t->y < s->weights.h && t->x >= 0 && (size_t)t->x < s->weights.w);
    }
}

/* What a refused setting must leave exactly as it was. */
typedef struct Snapshot {
    LayerKind kind;
    ConvParams conv;
    PoolParams pool;
    Activation act;
    int kernel_h;
    size_t count, index;
    size_t c, h, w;
    float weights[4096];
    size_t n_weights;
} Snapshot;

static void snapshot(const App *a, Snapshot *sn)
{
    const Scene *s = a->scene;
    memset(sn, 0, sizeof *sn);
    sn->kind = s->kind;
    sn->conv = s->conv;
    sn->pool = s->pool;
    sn->act = s->act;
    sn->kernel_h = s->kernel_h;
    sn->count = count_of(a);
    sn->index = index_of(a);
    sn->c = s->input.c;
    sn->h = s->input.h;
    sn->w = s->input.w;
    sn->n_weights = tensor_count(&s->weights);
    cr_assert_leq(sn->n_weights, 4096);
    memcpy(sn->weights, s->weights.data, sn->n_weights * sizeof(float));
}

static void check_unchanged(const App *a, const Snapshot *sn, const char *what)
{
    Snapshot now;
    snapshot(a, &now);
    cr_assert_eq(now.kind, sn->kind, "%s", what);
    cr_assert_eq(memcmp(&now.conv, &sn->conv, sizeof now.conv), 0, "%s: conv params changed", what);
    cr_assert_eq(memcmp(&now.pool, &sn->pool, sizeof now.pool), 0, "%s: pool params changed", what);
    cr_assert_eq(now.act.kind, sn->act.kind, "%s", what);
    cr_assert_eq(now.kernel_h, sn->kernel_h, "%s", what);
    cr_assert_eq(now.count, sn->count, "%s", what);
    cr_assert_eq(now.index, sn->index, "%s", what);
    cr_assert(now.c == sn->c && now.h == sn->h && now.w == sn->w, "%s: input changed", what);
    cr_assert_eq(now.n_weights, sn->n_weights, "%s", what);
    cr_assert_eq(memcmp(now.weights, sn->weights, sn->n_weights * sizeof(float)), 0,
                 "%s: weights changed", what);
}

/* ---- stepping and playback ---- */

Test(actions, step_moves_one_and_stops_at_the_ends)
{
    App a = app_new();
    cr_assert_eq(count_of(&a), 25, "7x7 input, 3x3 kernel: 5x5 outputs");
    action_step(&a, -1);
    cr_assert_eq(index_of(&a), 0);
    cr_assert_str_eq(a.view.status, "first step");
    action_step(&a, +1);
    action_step(&a, +1);
    cr_assert_eq(index_of(&a), 2);
    action_step(&a, -1);
    cr_assert_eq(index_of(&a), 1);
    action_step_end(&a, +1);
    cr_assert_eq(index_of(&a), 24);
    action_step(&a, +1);
    cr_assert_eq(index_of(&a), 24);
    cr_assert(strstr(a.view.status, "last step"));
    action_step_end(&a, -1);
    cr_assert_eq(index_of(&a), 0);
    app_free(&a);
}

Test(actions, step_row_moves_one_output_row_at_any_granularity)
{
    App a = app_new();
    action_step_row(&a, +1);
    cr_assert_eq(index_of(&a), 5, "a row of 5 positions, 1 filter");
    action_step_row(&a, -1);
    cr_assert_eq(index_of(&a), 0);
    action_granularity(&a, +1);   /* channel: 3 steps per position */
    action_step_row(&a, +1);
    cr_assert_eq(index_of(&a), 15);
    action_step_end(&a, +1);
    action_step_row(&a, +1);
    cr_assert_eq(index_of(&a), count_of(&a) - 1, "clamped at the last step");
    app_free(&a);
}

Test(actions, manual_steps_pause_playback)
{
    App a = app_new();
    action_play_toggle(&a, 0);
    cr_assert(a.view.playing);
    action_step(&a, +1);
    cr_assert_not(a.view.playing);
    action_play_toggle(&a, 0);
    action_step_row(&a, +1);
    cr_assert_not(a.view.playing);
    action_play_toggle(&a, 0);
    action_click(&a, (Target){.kind = TARGET_TIMELINE, .step = 3});
    cr_assert_not(a.view.playing);
    cr_assert_eq(index_of(&a), 3);
    app_free(&a);
}

Test(actions, playback_advances_by_the_clock_and_stops_at_the_end)
{
    App a = app_new();
    action_play_advance(&a, 3);
    cr_assert_eq(index_of(&a), 0, "paused: the clock does nothing");
    action_play_toggle(&a, 0);
    action_play_advance(&a, 3);
    cr_assert_eq(index_of(&a), 3);
    action_play_advance(&a, 1000);
    cr_assert_eq(index_of(&a), 24);
    cr_assert_not(a.view.playing);
    cr_assert(strstr(a.view.status, "finished"));
    action_play_toggle(&a, 0);
    cr_assert(a.view.playing);
    cr_assert_eq(index_of(&a), 0, "play at the end starts again");
    action_play_toggle(&a, 0);
    cr_assert_not(a.view.playing);
    app_free(&a);
}

Test(actions, speed_walks_a_ladder_with_limits)
{
    App a = app_new();
    cr_assert_float_eq(a.view.speed, 2.0f, 1e-6);
    action_speed(&a, +1);
    cr_assert_float_eq(a.view.speed, 4.0f, 1e-6);
    cr_assert_str_eq(a.view.status, "speed 4 steps/s");
    for (int i = 0; i < 20; i++)
        action_speed(&a, +1);
    cr_assert_float_eq(a.view.speed, 960.0f, 1e-6);
    for (int i = 0; i < 20; i++)
        action_speed(&a, -1);
    cr_assert_float_eq(a.view.speed, 0.5f, 1e-6);
    a.view.speed = 3.0f;    /* off the ladder: the next rung either way */
    action_speed(&a, -1);
    cr_assert_float_eq(a.view.speed, 2.0f, 1e-6);
    a.view.speed = 3.0f;
    action_speed(&a, +1);
    cr_assert_float_eq(a.view.speed, 4.0f, 1e-6);
    app_free(&a);
}

Test(actions, granularity_cycles_and_multiplies_the_steps)
{
    App a = app_new();
    action_granularity(&a, +1);
    cr_assert_eq(stepper_granularity(a.scene->stepper), STEP_CHANNEL);
    cr_assert_eq(count_of(&a), 75, "25 positions x 3 channels");
    action_granularity(&a, +1);
    cr_assert_eq(count_of(&a), 675, "x 9 multiplies");
    action_granularity(&a, +1);
    cr_assert_eq(stepper_granularity(a.scene->stepper), STEP_POSITION);
    action_granularity(&a, -1);
    cr_assert_eq(stepper_granularity(a.scene->stepper), STEP_TERM);
    app_free(&a);
}

/* ---- settings ---- */

Test(actions, stride_cycles_and_reports_the_output_size)
{
    App a = app_new();
    action_stride(&a, +1);
    cr_assert_eq(a.scene->conv.stride_h, 2);
    cr_assert_eq(out_h(&a), 3, "floor((7-3)/2)+1");
    cr_assert_str_eq(a.view.status, "stride 2 -> output 3x3");
    cr_assert_not(a.view.status_error);
    action_stride(&a, +1);
    action_stride(&a, +1);
    cr_assert_eq(a.scene->conv.stride_h, 4);
    cr_assert_eq(out_h(&a), 2, "floor(4/4)+1");
    action_stride(&a, +1);
    cr_assert_eq(a.scene->conv.stride_h, 1, "wraps");
    action_stride(&a, -1);
    cr_assert_eq(a.scene->conv.stride_w, 4, "Shift goes back, wrapping");
    app_free(&a);
}

Test(actions, padding_cycles_numbers_then_valid_same_full)
{
    App a = app_new();
    static const struct { PadKind kind; int n; size_t out; } want[] = {
        {PAD_EXPLICIT, 1, 7}, {PAD_EXPLICIT, 2, 9}, {PAD_EXPLICIT, 3, 11}, {PAD_VALID, 0, 5},
        {PAD_SAME, 0, 7},     {PAD_FULL, 0, 9},     {PAD_EXPLICIT, 0, 5},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        action_padding(&a, +1);
        cr_assert_not(a.view.status_error, "%s", a.view.status);
        cr_assert_eq(a.scene->conv.padding.kind, want[k].kind, "press %zu", k);
        if (want[k].kind == PAD_EXPLICIT)
            cr_assert_eq(a.scene->conv.padding.h, want[k].n);
        cr_assert_eq(out_h(&a), want[k].out, "press %zu: output %zu", k, out_h(&a));
    }
    action_padding(&a, -1);
    cr_assert_eq(a.scene->conv.padding.kind, PAD_FULL);
    app_free(&a);
}

Test(actions, refused_setting_keeps_the_scene_and_shows_the_core_message)
{
    App a = app_new();
    set_grey_input(&a, 3, 3);
    cr_assert_eq(out_h(&a), 1);
    Snapshot before;
    snapshot(&a, &before);
    action_kernel_size(&a, +1);     /* 4x4 on a 3x3 input without padding */
    cr_assert(a.view.status_error);
    check_unchanged(&a, &before, "kernel 4");
    Error err = {0};
    cr_assert_neq(scene_set_kernel_size(a.scene, 4, &err), CS_OK);
    cr_assert_str_eq(a.view.status, err.message, "the scene's own message");
    action_dilation(&a, +1);        /* dilated 3x3 spans 5 */
    cr_assert(a.view.status_error);
    check_unchanged(&a, &before, "dilation 2");
    app_free(&a);
}

Test(actions, reflect_padding_wider_than_the_input_is_refused)
{
    App a = app_new();
    set_grey_input(&a, 3, 3);
    action_pad_mode(&a, +1);
    cr_assert_eq(a.scene->conv.pad_mode, PADMODE_REFLECT);
    action_padding(&a, +1);
    action_padding(&a, +1);
    cr_assert_eq(a.scene->conv.padding.h, 2);
    Snapshot before;
    snapshot(&a, &before);
    action_padding(&a, +1);         /* reflect needs pad < 3 */
    cr_assert(a.view.status_error, "%s", a.view.status);
    check_unchanged(&a, &before, "reflect 3 on 3x3");
    app_free(&a);
}

Test(actions, layer_kind_cycles_conv_max_avg_and_restores_the_weights)
{
    App a = app_new();
    Snapshot conv;
    snapshot(&a, &conv);
    action_layer_kind(&a, +1);
    cr_assert_eq(a.scene->kind, LAYER_POOL);
    cr_assert_eq(a.scene->pool.mode, POOL_MAX);
    cr_assert_eq(out_h(&a), 3, "2x2 window, stride 2: floor(5/2)+1");
    action_layer_kind(&a, +1);
    cr_assert_eq(a.scene->pool.mode, POOL_AVG);
    action_ceil_mode(&a, 0);
    cr_assert(a.scene->pool.ceil_mode);
    cr_assert_eq(out_h(&a), 4, "ceil(5/2)+1");
    action_layer_kind(&a, +1);
    cr_assert_eq(a.scene->kind, LAYER_CONV);
    conv.pool = a.scene->pool;      /* the pooling settings are remembered, not reset */
    check_unchanged(&a, &conv, "back to convolution");
    app_free(&a);
}

Test(actions, convolution_only_settings_are_refused_in_pooling)
{
    App a = app_new();
    action_layer_kind(&a, +1);
    ActionFn conv_only[] = {action_pad_mode, action_preset, action_random_weights,
                            action_initialiser, action_activation};
    for (size_t k = 0; k < sizeof conv_only / sizeof conv_only[0]; k++) {
        Snapshot before;
        snapshot(&a, &before);
        conv_only[k](&a, +1);
        cr_assert(a.view.status_error, "action %zu", k);
        cr_assert(strstr(a.view.status, "convolution"), "%s", a.view.status);
        check_unchanged(&a, &before, "conv-only action in pooling");
    }
    action_layer_kind(&a, -1);
    action_ceil_mode(&a, 0);
    cr_assert(a.view.status_error, "ceil mode is for pooling");
    app_free(&a);
}

Test(actions, presets_cycle_through_every_preset_and_the_default_filter)
{
    App a = app_new();
    cr_assert_eq(a.scene->kernel_source, KERNEL_DEFAULT);
    int n = kernels_preset_count();
    for (int k = 0; k < n; k++) {
        action_preset(&a, +1);
        cr_assert_eq(a.scene->kernel_source, KERNEL_PRESET, "%s", a.view.status);
        cr_assert_eq(a.scene->preset, k);
    }
    action_preset(&a, +1);
    cr_assert_eq(a.scene->kernel_source, KERNEL_DEFAULT, "wraps to the default filter");
    action_preset(&a, -1);
    cr_assert_eq(a.scene->preset, n - 1);
    app_free(&a);
}

Test(actions, random_weights_draw_again_with_the_next_seed)
{
    App a = app_new();
    action_random_weights(&a, 0);
    cr_assert_eq(a.scene->kernel_source, KERNEL_RANDOM);
    cr_assert_eq(a.scene->init, INIT_UNIFORM);
    uint64_t seed = a.scene->seed;
    float w0 = a.scene->weights.data[0];
    action_random_weights(&a, 0);
    cr_assert_eq(a.scene->seed, seed + 1);
    cr_assert_neq(a.scene->weights.data[0], w0);
    for (int k = 1; k <= 5; k++) {
        action_initialiser(&a, +1);
        cr_assert_eq(a.scene->init, (InitKind)(k % 5));
    }
    app_free(&a);
}

Test(actions, activation_cycles_every_kind)
{
    App a = app_new();
    cr_assert_eq(a.scene->act.kind, ACT_RELU);
    ActKind want[] = {ACT_LEAKY_RELU, ACT_SIGMOID, ACT_TANH, ACT_NONE, ACT_RELU};
    for (size_t k = 0; k < 5; k++) {
        action_activation(&a, +1);
        cr_assert_eq(a.scene->act.kind, want[k]);
    }
    app_free(&a);
}

/* ---- presentation ---- */

Test(actions, theme_scale_fullscreen_help)
{
    App a = app_new();
    action_theme(&a, 0);
    cr_assert_eq(a.view.theme, THEME_LIGHT);
    action_theme(&a, 0);
    cr_assert_eq(a.view.theme, THEME_DARK);
    action_scale(&a, +1);
    cr_assert_float_eq(a.view.ui_scale, 1.25f, 1e-6);
    for (int i = 0; i < 20; i++)
        action_scale(&a, +1);
    cr_assert_float_eq(a.view.ui_scale, VIEW_SCALE_MAX, 1e-6);
    for (int i = 0; i < 20; i++)
        action_scale(&a, -1);
    cr_assert_float_eq(a.view.ui_scale, VIEW_SCALE_MIN, 1e-6);
    action_scale(&a, 0);
    cr_assert_float_eq(a.view.ui_scale, 1.0f, 1e-6);
    action_fullscreen(&a, 0);
    cr_assert(a.fullscreen);
    action_fullscreen(&a, 0);
    cr_assert_not(a.fullscreen);
    action_help(&a, 0);
    cr_assert(a.view.show_help);
    action_help(&a, 0);
    cr_assert_not(a.view.show_help);
    app_free(&a);
}

Test(actions, escape_closes_one_thing_at_a_time_then_quits)
{
    App a = app_new();
    action_help(&a, 0);
    action_click(&a, target(TARGET_INPUT, 0, 1, 2, 2));
    action_click(&a, target(TARGET_WEIGHT, 0, 0, 1, 1));
    cr_assert_eq(a.view.selected.kind, TARGET_NONE, "a weight click clears the selection");
    action_click(&a, target(TARGET_INPUT, 0, 1, 2, 2));
    action_click(&a, target(TARGET_BIAS, 0, 0, 0, 0));
    action_click(&a, target(TARGET_INPUT, 0, 1, 2, 2));
    cr_assert_eq(a.view.edit.kind, TARGET_NONE, "another click ends the edit");
    action_click(&a, target(TARGET_WEIGHT, 0, 0, 1, 1));
    a.view.selected = target(TARGET_INPUT, 0, 1, 2, 2);
    action_escape(&a, 0);
    cr_assert_eq(a.view.edit.kind, TARGET_NONE);
    cr_assert(a.view.show_help);
    action_escape(&a, 0);
    cr_assert_not(a.view.show_help);
    cr_assert_eq(a.view.selected.kind, TARGET_INPUT);
    action_escape(&a, 0);
    cr_assert_eq(a.view.selected.kind, TARGET_NONE);
    cr_assert_not(a.quit);
    action_escape(&a, 0);
    cr_assert(a.quit);
    App b = app_new();
    action_quit(&b, 0);
    cr_assert(b.quit);
    app_free(&a);
    app_free(&b);
}

/* ---- the mouse ---- */

Test(actions, clicking_an_output_cell_jumps_to_it)
{
    App a = app_new();
    action_granularity(&a, +1);
    action_click(&a, target(TARGET_OUTPUT, 0, 0, 2, 3));
    const Trace *t = stepper_trace(a.scene->stepper);
    cr_assert_eq(t->out_y, 2);
    cr_assert_eq(t->out_x, 3);
    cr_assert_eq(index_of(&a), (size_t)(2 * 5 + 3) * 3, "first channel step of position 13");
    action_click(&a, target(TARGET_OUTPUT, 0, 0, 5, 0));     /* no such row */
    cr_assert_eq(index_of(&a), 39, "a cell outside the output is ignored");
    app_free(&a);
}

Test(actions, clicking_an_input_cell_selects_it_and_again_clears)
{
    App a = app_new();
    action_click(&a, target(TARGET_INPUT, 0, 2, 3, 4));
    cr_assert_eq(a.view.selected.kind, TARGET_INPUT);
    cr_assert_eq(a.view.selected.c, 2);
    cr_assert_eq(a.view.selected.y, 3);
    cr_assert_eq(a.view.selected.x, 4);
    cr_assert(strstr(a.view.status, "B (3, 4)"), "%s", a.view.status);
    action_click(&a, target(TARGET_INPUT, 0, 2, 3, 4));
    cr_assert_eq(a.view.selected.kind, TARGET_NONE);
    action_click(&a, target(TARGET_INPUT, 0, 0, 0, 0));
    action_click(&a, target(TARGET_NONE, 0, 0, 0, 0));
    cr_assert_eq(a.view.selected.kind, TARGET_NONE, "a click elsewhere clears");
    action_click(&a, target(TARGET_INPUT, 0, 0, -1, 0));
    cr_assert_eq(a.view.selected.kind, TARGET_NONE, "no padding ring without padding");
    action_padding(&a, +1);
    action_click(&a, target(TARGET_INPUT, 0, 0, -1, 0));
    cr_assert_eq(a.view.selected.kind, TARGET_INPUT, "a padding cell can be selected");
    action_padding(&a, -1);
    cr_assert_eq(a.view.selected.kind, TARGET_NONE, "its cell is gone with the padding");
    app_free(&a);
}

Test(actions, typing_a_weight_sets_it)
{
    App a = app_new();
    action_click(&a, target(TARGET_WEIGHT, 0, 1, 0, 2));
    cr_assert_eq(a.view.edit.kind, TARGET_WEIGHT);
    action_edit_type(&a, "-");
    action_edit_type(&a, "2");
    action_edit_type(&a, "x");
    action_edit_erase(&a, 0);
    action_edit_type(&a, ".5");
    cr_assert_str_eq(a.view.edit_text, "-2.5");
    action_edit_commit(&a, 0);
    cr_assert_not(a.view.status_error, "%s", a.view.status);
    cr_assert_eq(a.view.edit.kind, TARGET_NONE);
    cr_assert_float_eq(*tensor_at(&a.scene->weights, 0, 1, 0, 2), -2.5f, 1e-6);
    cr_assert_eq(a.scene->kernel_source, KERNEL_EDITED);
    cr_assert_float_eq(stepper_trace(a.scene->stepper)->channels[1].cells[2].weight, -2.5f, 1e-6,
                       "the trace uses the new weight");
    action_click(&a, target(TARGET_BIAS, 0, 0, 0, 0));
    action_edit_type(&a, "4");
    action_edit_commit(&a, 0);
    cr_assert_float_eq(a.scene->bias.data[0], 4.0f, 1e-6);
    app_free(&a);
}

Test(actions, bad_weight_text_keeps_the_edit_open)
{
    App a = app_new();
    float before = *tensor_at(&a.scene->weights, 0, 0, 0, 0);
    action_click(&a, target(TARGET_WEIGHT, 0, 0, 0, 0));
    const char *bad[] = {"", "abc", "1.5.2", "1e999", "nan", "--1"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        a.view.edit_text[0] = '\0';
        action_edit_type(&a, bad[k]);
        action_edit_commit(&a, 0);
        cr_assert(a.view.status_error, "'%s' accepted", bad[k]);
        cr_assert_eq(a.view.edit.kind, TARGET_WEIGHT);
    }
    cr_assert_float_eq(*tensor_at(&a.scene->weights, 0, 0, 0, 0), before, 1e-6);
    char longer[64];
    memset(longer, '1', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    a.view.edit_text[0] = '\0';
    action_edit_type(&a, longer);
    cr_assert_str_eq(a.view.edit_text, "", "text that does not fit is not typed");
    action_edit_erase(&a, 0);
    cr_assert_str_eq(a.view.edit_text, "");
    action_escape(&a, 0);
    cr_assert_eq(a.view.edit.kind, TARGET_NONE);
    cr_assert_not(a.quit, "Escape cancelled the edit first");
    app_free(&a);
}

/* The target at the middle of cell (row, col) of grid g, through
 * layout_hit as the window finds it. */
static Target hit_cell(const App *a, const Layout *l, const GridLayout *g, int row, int col)
{
    Rect r = layout_cell_rect(g, row, col);
    return layout_hit(l, a->scene, r.x + r.w / 2, r.y + r.h / 2);
}

Test(actions, clicks_on_the_drawn_cells_do_what_they_say)
{
    App a = app_new();
    Layout l;
    layout_compute(a.scene, &a.view, 1280, 720, &l);
    action_click(&a, hit_cell(&a, &l, &l.output[0], 2, 3));
    const Trace *t = stepper_trace(a.scene->stepper);
    cr_assert(t->out_y == 2 && t->out_x == 3, "jumped to (%d, %d)", t->out_y, t->out_x);

    layout_compute(a.scene, &a.view, 1280, 720, &l);
    action_click(&a, hit_cell(&a, &l, &l.input[1], 4, 5));
    cr_assert_eq(a.view.selected.kind, TARGET_INPUT);
    cr_assert_eq(a.view.selected.c, 1);
    cr_assert_eq(a.view.selected.y, 4 + l.input[1].y0);
    cr_assert_eq(a.view.selected.x, 5 + l.input[1].x0);

    layout_compute(a.scene, &a.view, 1280, 720, &l);
    action_click(&a, hit_cell(&a, &l, &l.kernel[2], 0, 1));
    cr_assert_eq(a.view.edit.kind, TARGET_WEIGHT);
    cr_assert(a.view.edit.c == 2 && a.view.edit.y == 0 && a.view.edit.x == 1);
    action_escape(&a, 0);

    layout_compute(a.scene, &a.view, 1280, 720, &l);
    Rect bar = l.timeline_bar;
    Target mid = layout_hit(&l, a.scene, bar.x + bar.w / 2, bar.y + bar.h / 2);
    cr_assert_eq(mid.kind, TARGET_TIMELINE);
    action_click(&a, mid);
    cr_assert(index_of(&a) >= 11 && index_of(&a) <= 13, "middle of 25 steps: %zu", index_of(&a));
    app_free(&a);
}

Test(actions, hover_reports_changes_only)
{
    App a = app_new();
    cr_assert(action_hover(&a, target(TARGET_INPUT, 0, 0, 1, 1)));
    cr_assert_not(action_hover(&a, target(TARGET_INPUT, 0, 0, 1, 1)));
    cr_assert(action_hover(&a, target(TARGET_INPUT, 0, 0, 1, 2)));
    cr_assert(action_hover(&a, target(TARGET_NONE, 0, 0, 0, 0)));
    app_free(&a);
}

/* ---- files ---- */

static void write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, size, f), size);
    fclose(f);
}

/* Writes an h x w one-channel .npy of zeros to path. */
static void write_npy_grey(const char *path, size_t h, size_t w)
{
    Tensor t = {0};
    Error err = {0};
    cr_assert_eq(tensor_init(&t, 1, 1, h, w, 3, &err), CS_OK);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(npy_write_stream(f, path, &t, &err), CS_OK, "%s", err.message);
    fclose(f);
    tensor_free(&t);
}

Test(actions, opening_a_broken_or_enormous_file_keeps_the_scene)
{
    App a = app_new();
    char dir[] = "/tmp/convstep-actions-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char broken[128], huge[128], missing[128];
    snprintf(broken, sizeof broken, "%s/broken.png", dir);
    snprintf(huge, sizeof huge, "%s/huge.png", dir);
    snprintf(missing, sizeof missing, "%s/missing.png", dir);
    write_file(broken, "\x89PNG\r\n\x1a\nnot really", 18);
    /* A PNG header claiming 100000 x 100000 pixels, with no pixel data. */
    static const unsigned char header[] = {
        0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
        0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0, 8, 2, 0, 0, 0, 0, 0, 0, 0};
    write_file(huge, header, sizeof header);
    const char *paths[] = {broken, huge, missing, dir};
    for (size_t k = 0; k < 4; k++) {
        Snapshot before;
        snapshot(&a, &before);
        action_open(&a, paths[k]);
        cr_assert(a.view.status_error, "%s opened?", paths[k]);
        cr_assert_neq(a.view.status[0], '\0');
        check_unchanged(&a, &before, paths[k]);
        cr_assert_str_eq(a.scene->input_name, "default.png");
    }
    cr_assert(strstr(a.view.status, dir) || strstr(a.view.status, "directory"), "%s", a.view.status);
    remove(broken);
    remove(huge);
    rmdir(dir);
    app_free(&a);
}

Test(actions, opening_a_npy_input_replaces_the_scene_input)
{
    App a = app_new();
    action_click(&a, target(TARGET_INPUT, 0, 2, 6, 6));
    char dir[] = "/tmp/convstep-actions-npy-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char npy[64];
    snprintf(npy, sizeof npy, "%s/in.npy", dir);
    write_npy_grey(npy, 4, 6);
    action_open(&a, npy);
    cr_assert_not(a.view.status_error, "%s", a.view.status);
    cr_assert_eq(a.scene->input.c, 1);
    cr_assert_eq(a.scene->input.h, 4);
    cr_assert_eq(a.scene->input.w, 6);
    cr_assert_eq(a.view.selected.kind, TARGET_NONE, "the old selection is gone");
    cr_assert(strstr(a.view.status, "1x4x6"), "%s", a.view.status);
    remove(npy);
    rmdir(dir);
    app_free(&a);
}

/* Padding 508 on the default 7x7 input pads it to 1023x1023, under the
 * window's cap of SCENE_MAX_GRID (1024) a side; a 9x9 input under the same
 * padding would be 1025x1025: opening it is refused on the status line and
 * the scene stays. So is the padding key's full padding with a 15x15 kernel
 * at dilation 64 (896 a side). */
Test(actions, a_change_past_the_grid_cap_shows_on_the_status_line_and_keeps_the_scene)
{
    App a = app_new();
    Error err = {0};
    cr_assert_eq(scene_set_padding(a.scene, (Padding){PAD_EXPLICIT, 508, 508}, &err), CS_OK, "%s",
                 err.message);
    char dir[] = "/tmp/convstep-actions-cap-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char npy[64];
    snprintf(npy, sizeof npy, "%s/in.npy", dir);
    write_npy_grey(npy, 9, 9);
    Snapshot before;
    snapshot(&a, &before);
    action_open(&a, npy);
    cr_assert(a.view.status_error, "%s", a.view.status);
    cr_assert(strstr(a.view.status, "1025x1025 padded input") && strstr(a.view.status, "up to 1024x1024"),
              "%s", a.view.status);
    check_unchanged(&a, &before, "9x9 input under padding 508");
    remove(npy);
    rmdir(dir);

    cr_assert_eq(scene_set_padding(a.scene, (Padding){PAD_SAME, 0, 0}, &err), CS_OK, "%s", err.message);
    cr_assert_eq(scene_set_dilation(a.scene, 64, 64, &err), CS_OK, "%s", err.message);
    cr_assert_eq(scene_set_kernel_size(a.scene, 15, &err), CS_OK, "%s", err.message);
    snapshot(&a, &before);
    action_padding(&a, +1);         /* same -> full: 7 + 2*896 = 1799 */
    cr_assert(a.view.status_error, "%s", a.view.status);
    cr_assert(strstr(a.view.status, "padding full makes a 1799x1799 padded input"), "%s", a.view.status);
    check_unchanged(&a, &before, "full padding at dilation 64");
    app_free(&a);
}

/* ---- the layer-stack scene (issue 5) takes over what it has its own of ---- */

Test(actions, the_layer_stack_scene_takes_over_stepping_and_files)
{
    App a = app_new();
    action_step(&a, 2);
    size_t single = index_of(&a);
    action_lesson(&a, +1);
    cr_assert_not_null(stack_model(a.scene), "%s", a.view.status);
    action_step_end(&a, -1);
    cr_assert_eq(scene_step_index(a.scene), 0);
    action_step(&a, +1);
    cr_assert_eq(scene_step_index(a.scene), 1);
    action_step_row(&a, +1);
    cr_assert_eq(scene_step_index(a.scene), 2);
    action_play_toggle(&a, 0);
    action_play_advance(&a, 2);
    cr_assert_eq(scene_step_index(a.scene), 4);
    action_step_end(&a, +1);
    cr_assert_eq(scene_step_index(a.scene), scene_step_count(a.scene) - 1);
    cr_assert_eq(index_of(&a), single, "the single-layer stepper stays where it was");
    app_free(&a);

    char dir[] = "/tmp/convstep-actions-spec-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/layers.txt", dir);
    const char spec[] = "Conv2d(3, 4, 3)\nReLU()\nMaxPool2d(2)\n";
    write_file(path, spec, sizeof spec - 1);
    App b = app_new();
    action_open(&b, path);
    cr_assert_not_null(stack_model(b.scene), "a .txt file is a layer spec: %s", b.view.status);
    cr_assert_eq(scene_step_count(b.scene), 3, "the input, Conv2d (its ReLU folded in), MaxPool2d");
    app_free(&b);
    remove(path);
    rmdir(dir);
}

/* An input the stack cannot take (7x7 through two 5x5 convolutions is
 * below 1x1) is refused as a whole: the status names the file and the
 * layer, and both the input and the stack stay; one it can take replaces
 * both. */
Test(actions, an_input_the_stack_cannot_take_keeps_input_and_stack)
{
    char dir[] = "/tmp/convstep-actions-drop-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char spec_path[128], small_path[128], large_path[128];
    snprintf(spec_path, sizeof spec_path, "%s/layers.txt", dir);
    snprintf(small_path, sizeof small_path, "%s/small.npy", dir);
    snprintf(large_path, sizeof large_path, "%s/large.npy", dir);
    const char spec[] = "Conv2d(1, 2, 5), Conv2d(2, 2, 5)";
    write_file(spec_path, spec, sizeof spec - 1);
    write_npy_grey(small_path, 7, 7);
    write_npy_grey(large_path, 12, 10);
    App a = app_new();
    action_open(&a, spec_path);
    cr_assert_not_null(stack_model(a.scene), "%s", a.view.status);
    const StackScene *before = stack_model(a.scene);
    size_t in_h = a.scene->input.h, in_w = a.scene->input.w;
    char name[sizeof a.scene->input_name];
    snprintf(name, sizeof name, "%s", a.scene->input_name);

    action_open(&a, small_path);
    cr_assert(a.view.status_error, "refused: %s", a.view.status);
    cr_assert_not_null(strstr(a.view.status, "small.npy"), "names the file: %s", a.view.status);
    cr_assert_not_null(strstr(a.view.status, "layer 2"), "names the layer: %s", a.view.status);
    cr_assert_eq(stack_model(a.scene), before, "the stack stays");
    cr_assert_eq(a.scene->input.h, in_h, "the input stays");
    cr_assert_eq(a.scene->input.w, in_w);
    cr_assert_str_eq(a.scene->input_name, name);

    action_open(&a, large_path);
    cr_assert_not(a.view.status_error, "%s", a.view.status);
    cr_assert_eq(a.scene->input.h, 12);
    cr_assert_eq(a.scene->input.w, 10);
    cr_assert_eq(stack_model(a.scene)->panes[0].stages[0].h, 12, "the stack starts from the new input");
    cr_assert_eq(stack_model(a.scene)->panes[0].stages[2].h, 4, "12 - 4 - 4");
    cr_assert_eq(stack_model(a.scene)->panes[0].stages[2].w, 2, "10 - 4 - 4");
    app_free(&a);
    remove(spec_path);
    remove(small_path);
    remove(large_path);
    rmdir(dir);
}

/* ---- the key table ---- */

Test(keys, table_is_well_formed_without_clashes)
{
    size_t n;
    const KeyBinding *k = keys_table(&n);
    cr_assert_gt(n, 20);
    cr_assert_not_null(k[0].label, "the first line is named");
    for (size_t i = 0; i < n; i++) {
        cr_assert_not_null(k[i].action);
        cr_assert_eq(k[i].label == NULL, k[i].help == NULL, "entry %zu: label and help go together", i);
        size_t chars = 0;
        for (const char *c = k[i].help; c && *c; c++)
            chars += ((unsigned char)*c & 0xC0) != 0x80;
        cr_assert_leq(chars, 28, "'%s' is too long for the overlay", k[i].help);
        for (size_t j = i + 1; j < n; j++)
            cr_assert(k[i].key != k[j].key || k[i].mod != k[j].mod, "entries %zu and %zu clash", i, j);
    }
}

Test(keys, find_matches_modifiers_and_falls_back_from_shift)
{
    const KeyBinding *b = keys_find(SDLK_RIGHT, 0);
    cr_assert(b && b->action == action_step && b->arg == 1);
    b = keys_find(SDLK_RIGHT, KMOD_LSHIFT);
    cr_assert(b && b->action == action_step_row && b->arg == 1);
    b = keys_find(SDLK_s, KMOD_RSHIFT | KMOD_CAPS | KMOD_NUM);
    cr_assert(b && b->action == action_stride && b->arg == -1);
    b = keys_find(SDLK_EQUALS, KMOD_LSHIFT);
    cr_assert(b && b->action == action_speed && b->arg == 1, "Shift+= is +");
    b = keys_find(SDLK_EQUALS, KMOD_LCTRL | KMOD_LSHIFT);
    cr_assert(b && b->action == action_scale && b->arg == 1, "Ctrl+Shift+= is Ctrl++");
    b = keys_find(SDLK_SLASH, KMOD_LSHIFT);
    cr_assert(b && b->action == action_help);
    b = keys_find(SDLK_t, KMOD_LSHIFT);
    cr_assert(b && b->action == action_theme, "no Shift+t: falls back to t");
    cr_assert_null(keys_find(SDLK_s, KMOD_LALT));
    cr_assert_null(keys_find(SDLK_s, KMOD_LCTRL));
    cr_assert_null(keys_find(SDLK_SLASH, 0));
    b = keys_find(SDLK_x, 0);
    cr_assert(b && b->action == action_export_gif);
    cr_assert_null(keys_find(SDLK_e, 0));
}

/* ---- every action from every kind of state ---- */

static void state_default(App *a) { (void)a; }
static void state_last_step(App *a) { action_step_end(a, +1); }
static void state_term_middle(App *a) { action_granularity(a, -1); action_step(a, 40); }
static void state_max_pool(App *a) { action_layer_kind(a, +1); }
static void state_avg_pool_ceil(App *a) { action_layer_kind(a, -1); action_ceil_mode(a, 0); }
static void state_tiny(App *a) { set_grey_input(a, 3, 3); }
static void state_random(App *a) { action_random_weights(a, 0); action_kernel_size(a, +1); }
static void state_full_padding(App *a) { action_padding(a, -1); action_stride(a, +1); }
static void state_help(App *a) { action_help(a, 0); }
static void state_playing(App *a) { action_play_toggle(a, 0); action_play_advance(a, 4); }
static void state_selected(App *a) { action_click(a, target(TARGET_INPUT, 0, 1, 3, 3)); }
static void state_lesson(App *a) { action_lesson(a, +1); action_step(a, 3); }
static void state_editing(App *a)
{
    action_click(a, target(TARGET_WEIGHT, 0, 2, 2, 2));
    action_edit_type(a, "1.5");
}

typedef struct State {
    const char *name;
    void (*setup)(App *a);
} State;

static const State states[] = {
    {"default", state_default},       {"last step", state_last_step},
    {"term middle", state_term_middle}, {"max pool", state_max_pool},
    {"avg pool ceil", state_avg_pool_ceil}, {"tiny 3x3 grey", state_tiny},
    {"random 4x4", state_random},     {"full padding", state_full_padding},
    {"help", state_help},             {"playing", state_playing},
    {"selected", state_selected},     {"editing", state_editing},
    {"lesson (layer stack)", state_lesson},
};

Test(actions, every_key_from_every_kind_of_state)
{
    size_t n;
    const KeyBinding *keys = keys_table(&n);
    for (size_t si = 0; si < sizeof states / sizeof states[0]; si++) {
        for (size_t ki = 0; ki < n; ki++) {
            App a = app_new();
            states[si].setup(&a);
            check_valid(&a);
            Snapshot before;
            snapshot(&a, &before);
            a.view.status[0] = '\0';
            a.view.status_error = false;
            keys[ki].action(&a, keys[ki].arg);
            check_valid(&a);
            if (a.view.status_error)
                check_unchanged(&a, &before, states[si].name);
            app_free(&a);
        }
    }
}

/* ---- a long random sequence ---- */

static Target random_target(Rng *r, const App *a)
{
    Target t;
    t.kind = (TargetKind)(rng_next(r) % 6);
    /* Mostly cells near the scene's range, sometimes far outside it. */
    int span = (int)(rng_next(r) % 4 == 0 ? 40 : 10);
    t.f = (int)(rng_next(r) % 3) - 1;
    t.c = (int)(rng_next(r) % 5) - 1;
    t.y = (int)(rng_next(r) % (unsigned)span) - 2;
    t.x = (int)(rng_next(r) % (unsigned)span) - 2;
    t.step = (size_t)(rng_next(r) % (count_of(a) + 5));
    return t;
}

Test(actions, long_random_sequence_stays_valid, .timeout = 60)
{
    static const char *const texts[] = {"1", "-0.5", "e", ".", "x", "2e3", " ", "\xc3\xa9", "9"};
    char dir[] = "/tmp/convstep-actions-seq-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char broken[128];
    snprintf(broken, sizeof broken, "%s/b.png", dir);
    write_file(broken, "GIF89a", 6);
    size_t n;
    const KeyBinding *keys = keys_table(&n);
    App a = app_new();
    Rng r;
    rng_seed(&r, 2024);
    for (int i = 0; i < 6000; i++) {
        Snapshot before;
        snapshot(&a, &before);
        a.view.status_error = false;
        unsigned what = (unsigned)(rng_next(&r) % 20);
        bool scene_action = false;
        if (what < 11) {
            const KeyBinding *k = &keys[rng_next(&r) % n];
            k->action(&a, k->arg);
            scene_action = true;
        } else if (what < 14) {
            action_click(&a, random_target(&r, &a));
        } else if (what == 14) {
            action_hover(&a, random_target(&r, &a));
        } else if (what == 15) {
            action_edit_type(&a, texts[rng_next(&r) % (sizeof texts / sizeof texts[0])]);
        } else if (what == 16) {
            action_edit_commit(&a, 0);
        } else if (what == 17) {
            action_edit_erase(&a, 0);
        } else if (what == 18) {
            action_play_advance(&a, (int)(rng_next(&r) % 50));
        } else {
            action_open(&a, rng_next(&r) % 2 ? broken : "assets/default.png");
        }
        check_valid(&a);
        if (scene_action && a.view.status_error)
            check_unchanged(&a, &before, "refused key in the sequence");
        a.quit = false;
    }
    app_free(&a);
    remove(broken);
    rmdir(dir);
}
