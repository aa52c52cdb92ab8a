/* test_netscene.c: the network scene (app/scenes/net), without a display:
 * which options open it, its model (cards, classes, steps), the hit test
 * on a layout alone, the drill-down into the single-layer scene (whose
 * total must equal the forward pass's value at that cell, for random cells
 * of every Conv2d and pooling layer of the fixture models) and the way
 * back, and the refusals' messages.
 *
 * The fixture models are tests/net/NAME/model.txt with their input.npy
 * (tests/gen_net_fixtures.py made them): LeNet-5 (Tanh, AvgPool2d, Linear;
 * default initialisation here), a VGG-style block (BatchNorm2d, Dropout,
 * an adaptive pool, Softmax; its weights.safetensors), a depthwise-separable
 * block (groups=3, ReLU6), a nested print(model) (reflect padding,
 * dilation, a transposed convolution) and AlexNet's features (a filter
 * reading 64 channels, which the single-layer scene refuses for now). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actions.h"
#include "kinds.h"
#include "layer_layout.h"
#include "net_actions.h"
#include "net_kind.h"
#include "net_job.h"
#include "net_layout.h"
#include "lesson.h"
#include "rng.h"
#include "stack_actions.h"
#include "stack_kind.h"

/* ---- fixtures ---- */

typedef struct Model {
    const char *name;
    bool weights;               /* use its weights.safetensors */
} Model;

static const Model models[] = {
    {"lenet", false}, {"vgg_block", true}, {"depthwise", true}, {"nested", true}, {"alexnet_features", false},
};

/* An App built from args (NULL-terminated SCENE OPTIONS). */
static App app_from(const char *const *args)
{
    SceneOptions o;
    Error err = {0};
    char *argv[24];
    int argc = 0;
    scene_options_init(&o);
    while (args[argc]) {
        argv[argc] = (char *)args[argc];
        argc++;
    }
    for (int i = 0; i < argc; i++) {
        int r = scene_options_parse_one(&o, argc, argv, &i, &err);
        if (r == 0)
            o.input = argv[i];
        else
            cr_assert_eq(r, 1, "%s", err.message);
    }
    App a;
    memset(&a, 0, sizeof a);
    cr_assert_eq(scene_create(&o, &a.scene, &err), CS_OK, "%s", err.message);
    view_init(&a.view, &o);
    return a;
}

/* The App of fixture model m. */
static App app_model(const Model *m)
{
    char layers[256], input[256], weights[256];
    snprintf(layers, sizeof layers, "@tests/net/%s/model.txt", m->name);
    snprintf(input, sizeof input, "tests/net/%s/input.npy", m->name);
    snprintf(weights, sizeof weights, "tests/net/%s/weights.safetensors", m->name);
    const char *with[] = {"--layers", layers, "--weights", weights, input, NULL};
    const char *without[] = {"--layers", layers, input, NULL};
    return app_from(m->weights ? with : without);
}

/* scene_create's error for args. */
static Status create_error(const char *const *args, Error *err)
{
    SceneOptions o;
    char *argv[24];
    int argc = 0;
    scene_options_init(&o);
    while (args[argc]) {
        argv[argc] = (char *)args[argc];
        argc++;
    }
    for (int i = 0; i < argc; i++)
        if (scene_options_parse_one(&o, argc, argv, &i, err) == 0)
            o.input = argv[i];
    Scene *s = NULL;
    Status st = scene_create(&o, &s, err);
    scene_destroy(s);
    return st;
}

static Target cell(int card, int c, int y, int x)
{
    return (Target){TARGET_NET_CELL, card, c, y, x, 0};
}

/* ---- which options open it ---- */

Test(netscene, options_pick_the_kind)
{
    const char *spec = "Conv2d(3, 4, 3), ReLU()";
    const char *with_input[] = {"--layers", spec, "assets/default.png", NULL};
    const char *with_weights_only[] = {"--layers", "Conv2d(3, 4, 3)", "--weights", "tests/net/none.safetensors", NULL};
    const char *alone[] = {"--layers", spec, NULL};
    const char *lesson[] = {"--lesson", "shapes", NULL};
    App a = app_from(with_input);
    cr_assert_eq(a.scene->scene_kind, &net_kind, "--layers with an input runs the network");
    scene_destroy(a.scene);
    a = app_from(alone);
    cr_assert_eq(a.scene->scene_kind, &stack_kind, "--layers alone stays the geometry");
    scene_destroy(a.scene);
    a = app_from(lesson);
    cr_assert_eq(a.scene->scene_kind, &stack_kind);
    scene_destroy(a.scene);
    Error err = {0};
    cr_assert_neq(create_error(with_weights_only, &err), CS_OK, "--weights alone asks for the network (and fails here)");
    cr_assert(strstr(err.message, "none.safetensors"), "%s", err.message);
}

/* ---- the model ---- */

Test(netscene, lenet_cards_steps_and_classes)
{
    App a = app_model(&models[0]);
    const NetScene *s = net_model(a.scene);
    cr_assert_not_null(s);
    /* 12 layers; Flatten folds into the pool before it: 11 cards + the input */
    cr_assert_eq(s->net.count, 12);
    cr_assert_eq(s->n_cards, 12);
    cr_assert_str_eq(s->cards[6].folded, "Flatten");
    cr_assert(!s->cards[6].flat, "the folded Flatten keeps its map");
    cr_assert(s->cards[7].flat && s->cards[7].c == 120);
    cr_assert_eq(scene_step_count(a.scene), 12);
    cr_assert_eq(scene_step_index(a.scene), 11, "the whole network first");
    cr_assert_eq(net_kind.still_step(a.scene), 11, "export --png draws the whole network");
    cr_assert(s->classifier);
    cr_assert_eq(s->n_top, NET_SCENE_TOP);
    float sum = 0.0f;
    for (size_t k = 0; k < s->n_top; k++) {
        sum += s->top[k].probability;
        if (k)
            cr_assert_geq(s->top[k - 1].probability, s->top[k].probability);
    }
    cr_assert_leq(sum, 1.0f + 1e-5f);
    /* Tanh's card is non-negative nowhere: diverging; ranges hold every value */
    const NetCard *tanh_card = &s->cards[2];
    cr_assert(tanh_card->is_signed);
    cr_assert_leq(tanh_card->hi, 1.0f);
    cr_assert_geq(tanh_card->lo, -1.0f);
    char name[64];
    cr_assert_str_eq(net_scene_class_name(s, 3, name, sizeof name), "class 3");
    action_step_end(&a, -1);
    cr_assert_eq(scene_step_index(a.scene), 0);
    action_step(&a, +1);
    cr_assert(strstr(a.view.status, "layer 1 of 11"), "%s", a.view.status);
    scene_destroy(a.scene);
}

Test(netscene, order_key_sorts_channels_by_mean)
{
    App a = app_model(&models[1]);
    NetScene *s = net_model(a.scene);
    const NetCard *g = &s->cards[3];     /* the first ReLU: 8 channels */
    cr_assert_eq(net_scene_channel_at(s, 3, 0), 0);
    action_net_order(&a, 0);
    cr_assert(s->sorted);
    for (size_t k = 1; k < g->c; k++)
        cr_assert_geq(g->mean[net_scene_channel_at(s, 3, k - 1)], g->mean[net_scene_channel_at(s, 3, k)]);
    action_net_order(&a, 0);
    cr_assert(!s->sorted);
    scene_destroy(a.scene);
}

/* ---- the hit test, on the layout alone ---- */

Test(netscene, layout_answers_hits_alone)
{
    App a = app_model(&models[1]);
    NetScene *s = net_model(a.scene);
    action_net_order(&a, 0);            /* tiles in another order than channels */
    NetLayout L;
    net_layout_compute(s, &a.view, 960, 540, &L);
    cr_assert_eq(L.n_boxes, s->n_cards);
    /* the model may change (or go) after the layout was made: the hit test
       reads the layout only */
    s->sorted = false;
    size_t checked = 0;
    for (size_t j = 0; j < L.n_boxes; j++) {
        const NetBox *b = &L.boxes[j];
        for (int k = 0; k < b->n_items; k++) {
            int y = (int)b->rows - 1, x = (int)b->cols / 2;
            Rect r = net_layout_cell(b, k, b->kind == NET_BOX_BARS ? 0 : y, b->kind == NET_BOX_BARS ? 0 : x);
            if (r.w < 2 || r.h < 2)
                continue;
            Target t = net_layout_hit(&L, r.x + r.w / 2, r.y + r.h / 2);
            cr_assert_eq(t.kind, TARGET_NET_CELL, "card %zu tile %d", j, k);
            cr_assert_eq(t.f, (int)j);
            if (b->kind == NET_BOX_PICTURE) {
                cr_assert_eq(t.c, 0);
            } else {
                s->sorted = true;
                cr_assert_eq(t.c, net_scene_channel_at(s, j, (size_t)k), "card %zu tile %d", j, k);
                s->sorted = false;
            }
            if (b->kind != NET_BOX_BARS)
                cr_assert(t.y == y && t.x == x, "card %zu: (%d, %d)", j, t.y, t.x);
            checked++;
        }
    }
    cr_assert_gt(checked, 40);
    /* the classes panel's rows name their class */
    cr_assert_eq(L.n_classes, s->n_top);
    Rect row = L.class_row[1];
    Target t = net_layout_hit(&L, row.x + row.w / 2, row.y + row.h / 2);
    cr_assert(t.kind == TARGET_NET_CELL && t.f == (int)s->n_cards - 1 && t.c == (int)s->top[1].index);
    /* the timeline, and nothing between the cards */
    t = net_layout_hit(&L, L.frame.timeline_bar.x + L.frame.timeline_bar.w - 1, L.frame.timeline_bar.y + 1);
    cr_assert(t.kind == TARGET_TIMELINE && t.step == s->n_cards - 1);
    t = net_layout_hit(&L, L.frame.header.x + 2, L.frame.header.y + 2);
    cr_assert_eq(t.kind, TARGET_NONE);
    net_layout_free(&L);
    scene_destroy(a.scene);
}

Test(netscene, click_selects_and_says_the_value)
{
    App a = app_model(&models[0]);
    const NetScene *s = net_model(a.scene);
    action_click(&a, cell(1, 2, 3, 4));
    cr_assert_eq(a.view.selected.kind, TARGET_NET_CELL);
    char want[32];
    snprintf(want, sizeof want, "row 3, column 4");
    cr_assert(strstr(a.view.status, want) && strstr(a.view.status, "Enter opens it"), "%s", a.view.status);
    action_click(&a, cell(1, 2, 3, 4));
    cr_assert_eq(a.view.selected.kind, TARGET_NONE, "again: clears");
    action_click(&a, cell(1, 99, 0, 0));
    cr_assert_eq(a.view.selected.kind, TARGET_NONE, "no channel 99");
    action_click(&a, cell(0, 0, 1, 1));
    cr_assert(strstr(a.view.status, "input row 1, column 1"), "%s", a.view.status);
    (void)s;
    scene_destroy(a.scene);
}

/* ---- the drill-down ---- */

/* The single-layer scene's result at its current position. */
static float shown_result(const Scene *sc)
{
    const Trace *t = stepper_trace(sc->stepper);
    return t->kind == LAYER_POOL ? t->pool_result : t->total;
}

static bool drillable(const NetScene *s, size_t j)
{
    const LayerSpec *l = &s->net.layers[s->cards[j].layer].spec;
    return !s->cards[j].flat && (l->type == SPEC_CONV2D || l->type == SPEC_MAXPOOL2D || l->type == SPEC_AVGPOOL2D);
}

Test(netscene, drill_down_total_equals_the_forward_pass, .timeout = 120)
{
    Rng r;
    rng_seed(&r, 7);
    size_t opened = 0, refused = 0;
    for (size_t m = 0; m < sizeof models / sizeof models[0]; m++) {
        App a = app_model(&models[m]);
        NetScene *s = net_model(a.scene);
        for (size_t j = 1; j < s->n_cards; j++) {
            if (!drillable(s, j))
                continue;
            const NetCard *g = &s->cards[j];
            for (int trial = 0; trial < 6; trial++) {
                Target t = cell((int)j, (int)(rng_next(&r) % g->c), (int)(rng_next(&r) % g->h),
                                (int)(rng_next(&r) % g->w));
                float expected = net_scene_value(s, j, t.c, t.y, t.x);
                a.view.zoom = 2.0f;
                a.view.pan_x = 17.0f;
                action_click(&a, t);
                cr_assert_eq(a.view.selected.kind, TARGET_NET_CELL);
                action_net_drill(&a, 0);
                if (a.view.status_error) {
                    /* only a filter reading more channels than the scene shows */
                    cr_assert(strstr(a.view.status, "later issue"), "%s: %s", models[m].name, a.view.status);
                    cr_assert_eq(a.scene->scene_kind, &net_kind, "a refusal changes nothing");
                    refused++;
                    break;
                }
                cr_assert_eq(a.scene->scene_kind, &layer_kind, "%s card %zu", models[m].name, j);
                const Trace *tr = stepper_trace(a.scene->stepper);
                cr_assert(tr->out_y == t.y && tr->out_x == t.x && tr->filter == 0);
                float got = shown_result(a.scene);
                cr_assert(fabsf(got - expected) <= 1e-4f * fmaxf(1.0f, fabsf(expected)),
                          "%s card %zu channel %d (%d, %d): single layer %.7g, forward %.7g", models[m].name, j,
                          t.c, t.y, t.x, (double)got, (double)expected);
                cr_assert(strstr(a.view.status, "Backspace returns"), "%s", a.view.status);
                opened++;
                action_net_back(&a, 0);
                cr_assert_eq(a.scene->scene_kind, &net_kind);
                cr_assert_eq(net_model(a.scene), s, "the same network came back");
                cr_assert(a.view.zoom == 2.0f && a.view.pan_x == 17.0f, "the view as it was");
                cr_assert(actions_same_target(&a.view.selected, &t), "the cell still selected");
                a.view.selected.kind = TARGET_NONE;
            }
        }
        scene_destroy(a.scene);
    }
    cr_assert_gt(opened, 40);
    cr_assert_gt(refused, 0, "AlexNet's 64-channel filters are refused for now");
}

Test(netscene, drill_down_keeps_working_after_single_layer_changes)
{
    App a = app_model(&models[0]);
    action_click(&a, cell(1, 0, 5, 5));
    action_net_drill(&a, 0);
    cr_assert_eq(a.scene->scene_kind, &layer_kind);
    cr_assert_eq(a.scene->input.c, 1);
    cr_assert_eq(a.scene->weights.h, 5);
    cr_assert_eq(a.scene->act.kind, ACT_NONE);
    action_step(&a, +3);
    action_net_back(&a, 0);
    cr_assert_eq(a.scene->scene_kind, &net_kind);
    action_net_back(&a, 0);
    cr_assert(a.view.status_error, "nothing to return to");
    scene_destroy(a.scene);
}

Test(netscene, refusals_say_why_and_change_nothing)
{
    App a = app_model(&models[0]);
    NetScene *s = net_model(a.scene);
    action_net_drill(&a, 0);
    cr_assert(a.view.status_error && strstr(a.view.status, "click a cell"), "%s", a.view.status);
    action_click(&a, cell(2, 0, 1, 1));            /* Tanh */
    action_net_drill(&a, 0);
    cr_assert(a.view.status_error && strstr(a.view.status, "Enter opens a Conv2d"), "%s", a.view.status);
    action_click(&a, cell(0, 0, 1, 1));            /* the input */
    action_net_drill(&a, 0);
    cr_assert(a.view.status_error && strstr(a.view.status, "input"), "%s", a.view.status);
    cr_assert_eq(net_model(a.scene), s);
    /* a file that is no image keeps the network */
    net_open_input(&a, "tests/net/none.png");
    cr_assert(a.view.status_error && strstr(a.view.status, "none.png"), "%s", a.view.status);
    cr_assert_eq(net_model(a.scene), s);
    /* a transposed convolution is not shown yet */
    scene_destroy(a.scene);
    a = app_model(&models[3]);
    s = net_model(a.scene);
    size_t tj = 0;
    for (size_t j = 1; j < s->n_cards; j++)
        if (s->net.layers[s->cards[j].layer].spec.type == SPEC_CONV_TRANSPOSE2D)
            tj = j;
    cr_assert_gt(tj, 0);
    action_click(&a, cell((int)tj, 0, 0, 0));
    action_net_drill(&a, 0);
    cr_assert(a.view.status_error && strstr(a.view.status, "transposed"), "%s", a.view.status);
    /* the actions of this kind say so in another kind */
    scene_destroy(a.scene);
    const char *plain[] = {NULL};
    a = app_from(plain);
    action_net_order(&a, 0);
    cr_assert(a.view.status_error);
    action_net_drill(&a, 0);
    cr_assert(a.view.status_error);
    scene_destroy(a.scene);
}

Test(netscene, a_new_input_runs_the_network_again)
{
    const char *args[] = {"--layers", "Conv2d(3, 4, 3), ReLU(), AdaptiveAvgPool2d(1), Flatten(), Linear(4, 3)",
                          "--input-size", "12,16", "assets/default.png", NULL};
    App a = app_from(args);
    NetScene *s = net_model(a.scene);
    cr_assert_eq(s->input.h, 12);
    cr_assert_eq(s->input.w, 16);
    float before = s->net.layers[4].out.data[0];
    net_open_input(&a, "tests/net/alexnet_features/input.npy");
    cr_assert(!a.view.status_error, "%s", a.view.status);
    NetScene *t = net_model(a.scene);
    cr_assert_neq(t, s);
    cr_assert_eq(t->input.h, 12, "--input-size applies to the new input too");
    cr_assert_neq(t->net.layers[4].out.data[0], before);
    scene_destroy(a.scene);
}

Test(netscene, creation_errors_are_one_clear_line)
{
    Error err = {0};
    char path[] = "/tmp/convstep-netscene-labels-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("shirt\ntrouser\nbag\n", f);
    fclose(f);
    const char *labels[] = {"--layers", "@tests/net/lenet/model.txt", "--labels", path, "tests/net/lenet/input.npy",
                            NULL};
    cr_assert_neq(create_error(labels, &err), CS_OK);
    cr_assert(strstr(err.message, "--labels") && strstr(err.message, "has 3 labels") &&
              strstr(err.message, "10 classes"), "%s", err.message);
    /* enough labels name the classes */
    f = fopen(path, "w");
    for (int i = 0; i < 10; i++)
        fprintf(f, "label %d\n", i);
    fclose(f);
    App a = app_from(labels);
    const NetScene *s = net_model(a.scene);
    char name[64];
    cr_assert_str_eq(net_scene_class_name(s, 4, name, sizeof name), "label 4");
    scene_destroy(a.scene);
    unlink(path);
    const char *strict[] = {"--layers", "@tests/net/lenet/model.txt", "--weights",
                            "tests/net/vgg_block/weights.safetensors", "tests/net/lenet/input.npy", NULL};
    cr_assert_neq(create_error(strict, &err), CS_OK);
    cr_assert(strstr(err.message, "does not fit the layers") && strstr(err.message, "missing"), "%s", err.message);
    const char *shape[] = {"--layers", "Conv2d(1, 4, 3)", "assets/default.png", NULL};
    cr_assert_neq(create_error(shape, &err), CS_OK);
    cr_assert(strstr(err.message, "3x7x7 input"), "%s", err.message);
    const char *norm[] = {"--layers", "Conv2d(3, 4, 3)", "--normalize", "zebra", "assets/default.png", NULL};
    cr_assert_neq(create_error(norm, &err), CS_OK);
    cr_assert(strstr(err.message, "--normalize"), "%s", err.message);
    cr_assert_null(strchr(err.message, '\n'));
}

/* ---- the receptive field over the real maps ---- */

/* The golden case's LeNet (net_lenet_clicked): cards 0 input 3x32x32,
 * 1 Conv2d(3,6,5) 28x28, 2 ReLU, 3 MaxPool2d(2) 14x14, 4 Conv2d(6,16,5)
 * 10x10, 5 ReLU, 6 MaxPool2d(2) + Flatten 5x5, 7.. vectors. */
static App lenet_app(void)
{
    const char *args[] = {"--layers", "Conv2d(3, 6, 5), ReLU(), MaxPool2d(2), Conv2d(6, 16, 5), ReLU(), "
                          "MaxPool2d(2), Flatten(), Linear(400, 120), ReLU(), Linear(120, 10)",
                          "--input-size", "32", "--normalize", "unit", "-i", "assets/default.png", NULL};
    return app_from(args);
}

static void assert_range(CellRange (*f)[2], size_t card, int y0, int y1, int x0, int x1)
{
    cr_assert(f[card][0].lo == y0 && f[card][0].hi == y1 && f[card][1].lo == x0 && f[card][1].hi == x1,
              "card %zu: rows %d..%d, columns %d..%d expected; got rows %d..%d, columns %d..%d", card, y0, y1, x0,
              x1, f[card][0].lo, f[card][0].hi, f[card][1].lo, f[card][1].hi);
}

Test(netscene, a_clicked_cell_lights_what_it_reads_and_feeds)
{
    App a = lenet_app();
    const NetScene *s = net_model(a.scene);
    cr_assert_eq(s->n_cards, 10);
    CellRange f[10][2];
    /* conv2 cell (2, 6): pool1 rows 2..6, columns 6..10 (5x5 kernel); conv1
       and its ReLU rows 4..13, columns 12..21 (2x2 pool); the input rows
       4..17, columns 12..25 (5x5 again). Forward: its ReLU the cell, pool2
       (1, 3); the vectors after the Flatten: nothing. */
    Target t = cell(4, 3, 2, 6);
    cr_assert(net_scene_fields(s, &t, f));
    assert_range(f, 0, 4, 17, 12, 25);
    assert_range(f, 1, 4, 13, 12, 21);
    assert_range(f, 2, 4, 13, 12, 21);
    assert_range(f, 3, 2, 6, 6, 10);
    assert_range(f, 4, 2, 2, 6, 6);
    assert_range(f, 5, 2, 2, 6, 6);
    assert_range(f, 6, 1, 1, 3, 3);
    for (size_t k = 7; k < 10; k++)
        cr_assert(f[k][0].lo > f[k][0].hi, "card %zu (a vector) is not lit", k);
    /* an input pixel feeds conv1 cells (y-4..y) cut to the map, and on */
    t = cell(0, 0, 0, 31);
    cr_assert(net_scene_fields(s, &t, f));
    assert_range(f, 1, 0, 0, 27, 27);
    assert_range(f, 3, 0, 0, 13, 13);
    assert_range(f, 4, 0, 0, 9, 9);
    /* a vector's feature, and no cell: nothing to light */
    t = cell(7, 0, 0, 0);
    cr_assert_not(net_scene_fields(s, &t, f));
    t.kind = TARGET_NONE;
    cr_assert_not(net_scene_fields(s, &t, f));
    scene_destroy(a.scene);
}

Test(netscene, the_field_follows_the_growth_steps)
{
    App a = lenet_app();
    NetScene *s = net_model(a.scene);
    net_scene_seek(s, 4);
    CellRange f[10][2];
    for (size_t k = 0; k < 10; k++)
        f[k][0] = f[k][1] = (CellRange){-7, -7};
    Target t = cell(3, 0, 5, 5);
    cr_assert(net_scene_fields(s, &t, f));
    assert_range(f, 4, 1, 5, 1, 5);
    cr_assert_eq(f[5][0].lo, -7, "cards not shown are left alone");
    scene_destroy(a.scene);
}

/* ---- long passes on a worker thread ---- */

/* Calls the kind's tick until the pending pass has been taken (at most
 * 20 s); returns how many ticks said something changed. */
static int tick_until_done(App *a)
{
    int changed = 0;
    for (int i = 0; i < 2000 && net_busy(a->scene); i++) {
        if (net_kind.tick(a))
            changed++;
        if (net_busy(a->scene))
            nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    cr_assert_not(net_busy(a->scene), "the pass ended");
    return changed;
}

Test(netscene, the_estimate_tells_small_passes_from_long_ones)
{
    NetRequest r;
    memset(&r, 0, sizeof r);
    r.picture.c = 3;
    r.size_h = r.size_w = 224;
    r.layers = strdup("@assets/models/vgg16.txt");   /* 15.5 G multiply-adds */
    cr_assert_gt(net_request_estimate_ms(&r), NET_ASYNC_MS * 10);
    free(r.layers);
    r.size_h = r.size_w = 32;
    r.layers = strdup("Conv2d(3, 6, 5), ReLU(), MaxPool2d(2), Conv2d(6, 16, 5)");
    double ms = net_request_estimate_ms(&r);
    cr_assert(ms > 0.0 && ms < NET_ASYNC_MS, "LeNet's front: %g ms", ms);
    free(r.layers);
    r.layers = strdup("Conv2d(5, 6, 5)");   /* does not fit: the build says why, at once */
    cr_assert_eq(net_request_estimate_ms(&r), 0.0);
    net_request_free(&r);
}

static const char *small_net[] = {"--layers", "Conv2d(3, 4, 3), ReLU(), AdaptiveAvgPool2d(1), Flatten(), Linear(4, 3)",
                                  "--input-size", "12,16", "assets/default.png", NULL};

Test(netscene, a_long_pass_runs_on_a_worker_and_gives_the_same_numbers)
{
    App a = app_from(small_net);
    NetScene *s = net_model(a.scene);
    /* the same pass here and now, for comparison */
    Tensor in = {0};
    bool image;
    char name[128], note[160];
    Error err;
    cr_assert_eq(scene_read_input(a.scene, "tests/net/vgg_block/input.npy", &in, &image, name, sizeof name, note,
                                  sizeof note, &err), CS_OK, "%s", err.message);
    NetScene *now;
    cr_assert_eq(net_scene_rebuild(s, &in, image, name, &now, &err), CS_OK, "%s", err.message);
    tensor_free(&in);

    s->async_ms = -1.0;   /* every pass goes to a worker */
    net_open_input(&a, "tests/net/vgg_block/input.npy");
    cr_assert_not(a.view.status_error, "%s", a.view.status);
    cr_assert(net_busy(a.scene), "the pass runs away from the loop");
    cr_assert_eq(net_model(a.scene), s, "the network shown stays meanwhile");
    cr_assert(strstr(a.view.status, "running the network on input.npy"), "%s", a.view.status);
    cr_assert_geq(tick_until_done(&a), 1);
    NetScene *t = net_model(a.scene);
    cr_assert_neq(t, s);
    cr_assert_str_eq(t->input_name, "input.npy");
    cr_assert_str_eq(a.scene->input_name, "input.npy", "the scene's input follows");
    cr_assert_eq(t->async_ms, -1.0, "the setting is kept");
    cr_assert_eq(t->n_cards, now->n_cards);
    for (size_t j = 0; j < t->n_cards; j++) {
        const Tensor *x = t->cards[j].values, *y = now->cards[j].values;
        cr_assert_eq(tensor_count(x), tensor_count(y));
        cr_assert_arr_eq(x->data, y->data, tensor_count(x) * sizeof(float), "card %zu as computed here", j);
    }
    net_scene_destroy(now);
    scene_destroy(a.scene);
}

Test(netscene, a_newer_image_supersedes_the_older_pass)
{
    App a = app_from(small_net);
    NetScene *s = net_model(a.scene);
    s->async_ms = -1.0;
    net_open_input(&a, "tests/net/alexnet_features/input.npy");
    net_open_input(&a, "tests/net/depthwise/input.npy");
    net_open_input(&a, "tests/net/vgg_block/input.npy");
    tick_until_done(&a);
    NetScene *t = net_model(a.scene);
    /* the three share the file name: tell them by their size (vgg_block's is 3x20x20) */
    cr_assert_eq(a.scene->input.h, 20, "the newest image is shown");
    cr_assert_eq(t->picture.c, 3);
    cr_assert_not(a.view.status_error, "%s", a.view.status);
    /* a failing pass keeps the network shown and says why */
    net_open_input(&a, "tests/net/lenet/input.npy");   /* 1 channel into Conv2d(3, ...) */
    tick_until_done(&a);
    cr_assert_eq(net_model(a.scene), t);
    cr_assert(a.view.status_error);
    cr_assert(strstr(a.view.status, "expects 3 input channels"), "%s", a.view.status);
    scene_destroy(a.scene);
}

Test(netscene, a_job_given_up_frees_itself)
{
    App a = app_from(small_net);
    NetScene *s = net_model(a.scene);
    NetRequest r;
    Error err;
    Tensor pic = {0};
    cr_assert_eq(tensor_copy(&pic, &a.scene->input, &err), CS_OK);
    cr_assert_eq(net_request_input(s, &pic, true, "again", "", &r, &err), CS_OK);
    cr_assert_null(pic.data, "the picture moved into the request");
    NetJob *j;
    cr_assert_eq(net_job_start(&r, &j, &err), CS_OK, "%s", err.message);
    cr_assert_null(r.layers, "the request moved into the job");
    net_job_abandon(j);   /* running or not: no wait, no leak (make sanitize) */
    cr_assert_eq(net_request_input(s, &(Tensor){0}, true, "x", "", &r, &err), CS_OK);
    net_request_free(&r);
    scene_destroy(a.scene);
    nanosleep(&(struct timespec){0, 300000000}, NULL);   /* the worker ends and frees it */
}

/* ---- lessons and dropped layer files ---- */

Test(netscene, lessons_come_home_to_the_network)
{
    App a = app_from(small_net);
    NetScene *s = net_model(a.scene);
    size_t n;
    lesson_table(&n);
    action_lesson(&a, +1);
    cr_assert_not_null(stack_model(a.scene), "%s", a.view.status);
    cr_assert_not_null(stack_model(a.scene)->lesson);
    for (size_t i = 1; i < n; i++)
        action_lesson(&a, +1);
    cr_assert_not_null(stack_model(a.scene)->lesson, "the last lesson");
    action_lesson(&a, +1);
    cr_assert_eq(net_model(a.scene), s, "home is the network itself: %s", a.view.status);
    /* backwards, and from a drill-down (left first, back to its network) */
    action_lesson(&a, -1);
    cr_assert_not_null(stack_model(a.scene)->lesson);
    action_lesson(&a, +1);
    cr_assert_eq(net_model(a.scene), s, "%s", a.view.status);
    action_click(&a, cell(1, 0, 2, 2));
    action_net_drill(&a, 0);
    cr_assert_null(net_model(a.scene), "%s", a.view.status);
    action_lesson(&a, +1);
    action_lesson(&a, -1);
    cr_assert_eq(net_model(a.scene), s, "%s", a.view.status);
    scene_destroy(a.scene);
}

Test(netscene, a_dropped_layer_file_is_a_network_on_the_same_picture)
{
    App a = app_from(small_net);
    char dir[] = "/tmp/convstep-netscene-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/two.txt", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("Conv2d(3, 2, 5)\nReLU()\nMaxPool2d(2)\n", f);
    fclose(f);
    action_open(&a, path);
    NetScene *t = net_model(a.scene);
    cr_assert_not_null(t, "still a network: %s", a.view.status);
    cr_assert_not(a.view.status_error, "%s", a.view.status);
    cr_assert_eq(t->n_cards, 4, "input, Conv2d, ReLU, MaxPool2d");
    cr_assert_str_eq(t->source, "two.txt");
    cr_assert_eq(t->input.h, 12, "--input-size kept");
    cr_assert_eq(t->cards[1].c, 2);
    /* layers that do not fit the picture: refused, the network stays */
    f = fopen(path, "w");
    fputs("Conv2d(1, 2, 5)\n", f);
    fclose(f);
    action_open(&a, path);
    cr_assert_eq(net_model(a.scene), t);
    cr_assert(a.view.status_error, "%s", a.view.status);
    remove(path);
    rmdir(dir);
    scene_destroy(a.scene);
}

/* ---- the double click ---- */

Test(netscene, a_double_click_drills_down_like_enter)
{
    App a = app_from(small_net);
    NetScene *s = net_model(a.scene);
    /* a ReLU cell: selected, and the refusal says why; the network stays */
    action_click(&a, cell(2, 1, 3, 4));
    action_double_click(&a, cell(2, 1, 3, 4));
    cr_assert_eq(net_model(a.scene), s);
    cr_assert(actions_same_target(&a.view.selected, &(Target){TARGET_NET_CELL, 2, 1, 3, 4, 0}),
              "the second press does not clear the selection");
    cr_assert(a.view.status_error && strstr(a.view.status, "Enter opens a Conv2d"), "%s", a.view.status);
    /* a Conv2d cell (the first press selected it): the single layer at it */
    action_click(&a, cell(1, 2, 5, 6));
    action_double_click(&a, cell(1, 2, 5, 6));
    cr_assert_null(net_model(a.scene), "%s", a.view.status);
    cr_assert_eq(net_kept_model(a.scene), s);
    cr_assert(strstr(a.view.status, "filter 2 at (5, 6)"), "%s", a.view.status);
    /* in the single layer a double click is two clicks, as before */
    action_net_back(&a, 0);
    cr_assert_eq(net_model(a.scene), s);
    scene_destroy(a.scene);
}
